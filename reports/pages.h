/*
 * pages.h - what a run leaves for people to look at: the plots (gnuplot
 * data, scripts and images in DIR/plots/), the HdrHistogram .hgrm files,
 * the service graph (plots/topology.dot, .svg, .png) and DIR/index.html.
 *
 * Input is the struct rpt_run alone (a run just finished, or one read
 * back from its database), so a page can be made again from a run's
 * files. Data files and scripts depend on the run only: the same run gives
 * byte-identical ones (images may differ with the gnuplot or graphviz
 * version). Every file is replaced whole (file.h).
 *
 * gnuplot and dot are run as programs (render.h). When one is not
 * installed, the data and scripts are still written, the page says what
 * is not drawn, and the result's hint (also appended to DIR/summary.txt
 * when it exists) says how to draw it.
 *
 * Files: pages.c (this), plot*.c (the plots), hgrm.c, topology.c,
 * html.c and html_tables.c (the page), render.c (running the tools).
 */
#ifndef FL_REPORTS_PAGES_H
#define FL_REPORTS_PAGES_H

#include <stddef.h>

#include "reports/results.h"

struct rpt_pages_opts {
    int render;       /* 1: run gnuplot and dot; 0: data and scripts only */
    unsigned limit_s; /* each program's time limit, seconds */
};

#define RPT_PAGES_LIMIT_S 120

struct rpt_pages_result {
    int gnuplot_missing, dot_missing;
    size_t rendered; /* images drawn */
    char *hint;      /* how to draw what is not drawn (NULL when all is drawn; owned) */
    char **problems; /* a program that failed, and what it printed (owned) */
    size_t n_problems;
};

void rpt_pages_result_free(struct rpt_pages_result *res);

/*
 * Writes everything into DIR (which must exist) with default options.
 * Returns 0, or -1 with *err set (caller frees) when a file could not be
 * written; a program that failed is not an error here (see the result).
 */
int rpt_pages_write(const struct rpt_run *run, const char *dir, char **err);

/* The same with options; res (may be NULL) receives what was drawn and what went wrong. */
int rpt_pages_write_opts(const struct rpt_run *run, const char *dir, const struct rpt_pages_opts *o,
                         struct rpt_pages_result *res, char **err);

#endif
