/*
 * plot.h - what the plots of a run (reports/plot_*.c) share: the folder
 * and file names, the fault windows read from the event log, numbers
 * written exactly, text quoted for gnuplot, and the frame of a gnuplot
 * script that draws the same figure twice (PNG through pngcairo, then SVG).
 *
 * A plot is a data file (.dat, whitespace-separated columns, `#` comments,
 * blocks separated by two blank lines for gnuplot's `index`) and a script
 * (.gp) that reads it. Scripts name their files relative to the run's
 * folder and are rendered from there: `cd DIR && gnuplot plots/latency.gp`.
 * Nothing in a data file or a script depends on the machine, the time or
 * the folder: the same run gives byte-identical files.
 *
 * Not here: running gnuplot (render.c), the page (html.c).
 */
#ifndef FL_REPORTS_PLOT_H
#define FL_REPORTS_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/results.h"

#define RPT_PLOT_DIR "plots"

/* A fault's active period, from its fault-start to its fault-end event (or the run's end). */
struct rpt_fault_window {
    int64_t start_ns, end_ns;
    char label[96]; /* "slow-net (delay)" */
};

/* The run's fault windows in start order (caller frees); *n their number. */
struct rpt_fault_window *rpt_fault_windows(const struct rpt_run *run, size_t *n);

/* Writes ns as milliseconds with 6 decimals, exactly ("12.500000"). */
void rpt_plot_ms(FILE *f, int64_t ns);
/* Writes ns as seconds with 9 decimals, exactly ("1.250000000"). */
void rpt_plot_s(FILE *f, int64_t ns);

/* Writes s as a single-quoted gnuplot string (quotes doubled; control characters dropped). */
void rpt_plot_quote(FILE *f, const char *s);

/* The title every plot carries: "WHAT - SCENARIO (seed N)", quoted for gnuplot. */
void rpt_plot_title(FILE *f, const struct rpt_run *run, const char *what);

/* Shades and labels the fault windows on a time axis in seconds (set object / set label). */
void rpt_plot_fault_windows(FILE *f, const struct rpt_fault_window *w, size_t n);

/* Draws one figure: body(arg, f) holds every `set` and `plot` command of it. */
typedef void (*rpt_plot_body_cb)(const void *arg, FILE *f);

/*
 * Writes a whole script: a comment naming what it draws, then body twice,
 * once into plots/NAME.png (pngcairo) and once into plots/NAME.svg, each
 * of width x height pixels.
 */
void rpt_plot_script(FILE *f, const char *name, const char *what, int width, int height,
                     rpt_plot_body_cb body, const void *arg);

/* An outcome's class for the plots: 2xx, 3xx, 4xx, 5xx, or the local failure's name. */
enum rpt_plot_class {
    RPT_PC_2XX,
    RPT_PC_3XX,
    RPT_PC_4XX,
    RPT_PC_5XX,
    RPT_PC_TIMEOUT,
    RPT_PC_CONNECT,
    RPT_PC_RESET,
    RPT_PC_UNFINISHED,
    RPT_PC_THROTTLED,
    RPT_PC_DNS,
    RPT_PC_MAX,
};

enum rpt_plot_class rpt_plot_class_of(int outcome);
const char *rpt_plot_class_name(enum rpt_plot_class c);
/* Its colour, "#rrggbb" (greens for answers, warm colours for failures). */
const char *rpt_plot_class_colour(enum rpt_plot_class c);

/*
 * The plots, each writing DIR/plots/NAME.dat and NAME.gp: 1 when written,
 * 0 when the run has nothing to draw (*why says what is missing), -1 with
 * *err set on a write error.
 */
int rpt_plot_latency(const struct rpt_run *run, const char *dir, const char **why, char **err);
int rpt_plot_throughput(const struct rpt_run *run, const char *dir, const char **why, char **err);
int rpt_plot_percentiles(const struct rpt_run *run, const char *dir, const char **why, char **err);
int rpt_plot_waterfall(const struct rpt_run *run, const char *dir, const char **why, char **err);

/* The .hgrm file of route r: "latency-N-NAME.hgrm" (plot_percentiles.c; caller frees). */
char *rpt_hgrm_name(const struct rpt_run *run, size_t r);

/* Writes DIR/plots/NAME from a buffer (atomically, reports/file.h). */
int rpt_plot_put(const char *dir, const char *name, const char *buf, size_t len, char **err);

/* An in-memory stream (open_memstream) and its buffer, for building a file before writing it. */
struct rpt_membuf {
    FILE *f;
    char *buf;
    size_t len;
};

void rpt_membuf_open(struct rpt_membuf *m);
/* Closes the stream and writes the buffer to DIR/plots/NAME; frees it. */
int rpt_membuf_put(struct rpt_membuf *m, const char *dir, const char *name, char **err);

#endif
