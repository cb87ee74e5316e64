/*
 * pages.c - the plots, the topology and index.html of a run (see
 * pages.h): each plot's data and script, the DOT text, then the drawing
 * (gnuplot from the run's folder, dot from plots/), then the page with
 * the images inlined.
 *
 * Images of an earlier run in the same folder are removed before drawing,
 * so that the page never shows a figure of another run.
 */
#include "reports/pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/file.h"
#include "reports/html.h"
#include "reports/plot.h"
#include "reports/render.h"
#include "reports/topology.h"

#define SVG_INLINE_MAX (2u << 20) /* larger SVGs (many points) go in as PNG */

typedef int (*plot_fn)(const struct rpt_run *, const char *, const char **, char **);

static const struct {
    const char *name, *title, *caption;
    plot_fn fn;
} plots[] = {
    {"latency", "Latency over time",
     "Every listed request as a point: its latency (log scale) against the time it started, "
     "coloured by outcome. Shaded bands are the faults, named at their start; the black lines "
     "are the p50 (solid) and p99 (dashed) of the requests that ended in each window.",
     rpt_plot_latency},
    {"throughput", "Throughput and errors",
     "Requests per second and the share of them that failed, per route and window (a request "
     "counts in the window in which it ended). Shaded bands are the faults.",
     rpt_plot_throughput},
    {"percentiles", "Latency by percentile",
     "The latency distribution of each route in HdrHistogram's form: the x axis is 1/(1-q), so "
     "the tail (99%, 99.9%...) is spread out to the right. The same figures are in the .hgrm "
     "files, which HdrHistogram's plotters read.",
     rpt_plot_percentiles},
    {"waterfall", "Slowest request, span by span",
     "The trace of the slowest request: one bar per span from its start to its end, children "
     "below their parent. Orange bars are retries, red ones failed.",
     rpt_plot_waterfall},
};
#define N_PLOTS (sizeof plots / sizeof plots[0])

static const char topo_caption[] =
    "The service graph: an arrow per caller and callee with its requests per second over the "
    "measured period, the share that failed and its p99; red above 5% errors.";

struct figure_state {
    int written;     /* data and script (or DOT) written */
    const char *why; /* else: why not */
};

static void result_problem(struct rpt_pages_result *res, char *text)
{
    FL_ASSERT(res && text && (res->problems || !res->n_problems));
    res->problems = fl_realloc(res->problems, (res->n_problems + 1) * sizeof *res->problems);
    res->problems[res->n_problems++] = text;
}

void rpt_pages_result_free(struct rpt_pages_result *res)
{
    if (!res) return;
    FL_ASSERT(res->problems || !res->n_problems);
    free(res->hint);
    for (size_t i = 0; i < res->n_problems; i++) free(res->problems[i]);
    free(res->problems);
    memset(res, 0, sizeof *res);
}

static void remove_images(const char *dir, const char *name)
{
    FL_ASSERT(dir && name && !strchr(name, '/'));
    static const char *const exts[] = {"png", "svg"};
    for (size_t i = 0; i < 2; i++) {
        char *p = fl_asprintf("%s/%s/%s.%s", dir, RPT_PLOT_DIR, name, exts[i]);
        unlink(p);
        free(p);
    }
}

static void topo_writer(const void *run, FILE *out)
{
    rpt_topology_dot(run, out);
}

/* Draws what was written; fills res. */
static void render_all(const char *dir, const struct figure_state *st,
                       const struct figure_state *topo, const struct rpt_pages_opts *o,
                       struct rpt_pages_result *res)
{
    FL_ASSERT(dir && st && topo && o && res && res->rendered == 0);
    char *gnuplot = o->render ? rpt_render_which("gnuplot") : NULL;
    char *dot = o->render ? rpt_render_which("dot") : NULL;
    res->gnuplot_missing = !gnuplot;
    res->dot_missing = !dot;
    for (size_t i = 0; gnuplot && i < N_PLOTS; i++) {
        if (!st[i].written) continue;
        char *script = fl_asprintf("%s/%s.gp", RPT_PLOT_DIR, plots[i].name);
        const char *argv[] = {gnuplot, script, NULL};
        char *err = NULL;
        if (rpt_render_run(argv, dir, o->limit_s, &err))
            result_problem(res, err);
        else
            res->rendered += 2;
        free(script);
    }
    char *plotdir = fl_asprintf("%s/%s", dir, RPT_PLOT_DIR);
    static const char *const fmts[2][2] = {{"-Tsvg", "topology.svg"}, {"-Tpng", "topology.png"}};
    for (size_t i = 0; dot && topo->written && i < 2; i++) {
        const char *argv[] = {dot, fmts[i][0], "-o", fmts[i][1], "topology.dot", NULL};
        char *err = NULL;
        if (rpt_render_run(argv, plotdir, o->limit_s, &err))
            result_problem(res, err);
        else
            res->rendered++;
    }
    free(plotdir);
    /* two images per script drawn, one per dot run */
    FL_ASSERT(res->rendered <= 2 * N_PLOTS + 2);
    free(gnuplot);
    free(dot);
}

static char *hint_text(const struct rpt_pages_result *res, int render)
{
    FL_ASSERT(res && (render || (res->gnuplot_missing && res->dot_missing)));
    if (!res->gnuplot_missing && !res->dot_missing) return NULL;
    const char *what = !render ? "the plots were not drawn"
                       : res->gnuplot_missing && res->dot_missing
                           ? "gnuplot and graphviz are not installed"
                       : res->gnuplot_missing ? "gnuplot is not installed"
                                              : "graphviz (dot) is not installed";
    return fl_asprintf("plots: %s; the data and scripts are in plots/. To draw them, from this "
                       "folder: %s%s%s",
                       what,
                       res->gnuplot_missing ? "for f in plots/*.gp; do gnuplot \"$f\"; done" : "",
                       res->gnuplot_missing && res->dot_missing ? "; " : "",
                       res->dot_missing ? "(cd plots && dot -Tsvg -o topology.svg topology.dot && "
                                          "dot -Tpng -o topology.png topology.dot)"
                                        : "");
}

/* Reads a whole file (caller frees); NULL if it is missing or empty. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FL_ASSERT(path && len);
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = fl_malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = fl_realloc(buf, cap *= 2);
    }
    fclose(f);
    FL_ASSERT(n <= cap);
    if (!n) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Loads NAME.svg (or NAME.png when the SVG is missing or too large) into g. */
static void load_image(const char *dir, const char *name, struct rpt_html_figure *g)
{
    FL_ASSERT(dir && name && g && !g->data);
    char *svg = fl_asprintf("%s/%s/%s.svg", dir, RPT_PLOT_DIR, name);
    char *png = fl_asprintf("%s/%s/%s.png", dir, RPT_PLOT_DIR, name);
    size_t len;
    unsigned char *data = slurp(svg, &len);
    g->mime = "image/svg+xml";
    if (data && len > SVG_INLINE_MAX) {
        free(data);
        data = NULL;
    }
    if (!data) {
        data = slurp(png, &len);
        g->mime = "image/png";
    }
    g->data = data;
    g->len = len;
    if (!data) g->mime = NULL;
    FL_ASSERT(!g->mime == !g->data);
    free(svg);
    free(png);
}

struct page_arg {
    const struct rpt_run *run;
    const struct rpt_html_figure *figs;
    size_t n;
};

static void page_writer(const void *arg, FILE *out)
{
    const struct page_arg *a = arg;
    rpt_html_page(a->run, a->figs, a->n, out);
}

static int write_page(const struct rpt_run *run, const char *dir, const struct figure_state *st,
                      const struct figure_state *topo, const struct rpt_pages_result *res,
                      char **err)
{
    FL_ASSERT(run && dir && st && topo && res && err);
    struct rpt_html_figure figs[N_PLOTS + 1];
    char *missing[N_PLOTS + 1] = {0}, *files[N_PLOTS + 1] = {0};
    for (size_t i = 0; i <= N_PLOTS; i++) {
        int is_topo = i == N_PLOTS;
        const char *name = is_topo ? "topology" : plots[i].name;
        const struct figure_state *s = is_topo ? topo : &st[i];
        struct rpt_html_figure *g = &figs[i];
        memset(g, 0, sizeof *g);
        g->id = name;
        g->title = is_topo ? "Topology" : plots[i].title;
        g->caption = is_topo ? topo_caption : plots[i].caption;
        if (s->written) {
            load_image(dir, name, g);
            files[i] = is_topo ? fl_strdup("plots/topology.dot, .svg, .png")
                               : fl_asprintf("plots/%s.dat, plots/%s.gp, .png, .svg%s", name, name,
                                             strcmp(name, "percentiles") ? "" : ", *.hgrm");
            g->files = files[i];
        }
        if (!g->mime) {
            int tool_missing = is_topo ? res->dot_missing : res->gnuplot_missing;
            missing[i] =
                !s->written ? fl_strdup(s->why ? s->why : "nothing to draw")
                : tool_missing
                    ? fl_asprintf("%s; draw it with %s",
                                  is_topo ? "dot is not installed" : "gnuplot is not installed",
                                  is_topo ? "dot -Tsvg -o topology.svg topology.dot "
                                            "(in plots/)"
                                          : "gnuplot plots/NAME.gp (in the run's folder)")
                    : fl_strdup("drawing it failed (see the terminal)");
            g->missing = missing[i];
        }
        FL_ASSERT(g->mime || g->missing); /* an image, or why there is none */
    }
    struct page_arg a = {run, figs, N_PLOTS + 1};
    int rc = rpt_file_write(dir, "index.html", page_writer, &a, err);
    for (size_t i = 0; i <= N_PLOTS; i++) {
        free((void *)figs[i].data);
        free(missing[i]);
        free(files[i]);
    }
    return rc;
}

struct text_arg {
    const char *a, *b;
};

static void text_writer(const void *arg, FILE *out)
{
    const struct text_arg *t = arg;
    fputs(t->a, out);
    fputs(t->b, out);
}

/* Appends "\n" hint "\n" to DIR/summary.txt, when it exists and does not end with it yet. */
static int append_hint(const char *dir, const char *hint, char **err)
{
    FL_ASSERT(dir && hint && *hint && err);
    char *path = fl_asprintf("%s/summary.txt", dir);
    size_t len;
    unsigned char *old = slurp(path, &len);
    free(path);
    if (!old) return 0;
    char *text = fl_malloc(len + 1);
    memcpy(text, old, len);
    text[len] = 0;
    free(old);
    char *line = fl_asprintf("\n%s\n", hint);
    int rc = 0;
    if (!strstr(text, line)) {
        struct text_arg t = {text, line};
        rc = rpt_file_write(dir, "summary.txt", text_writer, &t, err);
    }
    free(line);
    free(text);
    return rc;
}

int rpt_pages_write_opts(const struct rpt_run *run, const char *dir, const struct rpt_pages_opts *o,
                         struct rpt_pages_result *res, char **err)
{
    FL_ASSERT(run && dir && o && err && o->limit_s > 0);
    struct rpt_pages_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    char *plotdir = fl_asprintf("%s/%s", dir, RPT_PLOT_DIR);
    if (mkdir(plotdir, 0777) != 0 && errno != EEXIST) {
        *err = fl_asprintf("cannot create %s: %s", plotdir, strerror(errno));
        free(plotdir);
        return -1;
    }
    free(plotdir);
    struct figure_state st[N_PLOTS], topo = {0, NULL};
    int rc = 0;
    for (size_t i = 0; i < N_PLOTS && !rc; i++) {
        remove_images(dir, plots[i].name);
        st[i].why = NULL;
        int w = plots[i].fn(run, dir, &st[i].why, err);
        st[i].written = w == 1;
        if (w < 0) rc = -1;
        FL_ASSERT(w != 0 || st[i].why);
    }
    remove_images(dir, "topology");
    if (!rc && !run->n_services && !run->n_edges) {
        topo.why = "the run has no service";
    } else if (!rc) {
        char *sub = fl_asprintf("%s/%s", dir, RPT_PLOT_DIR);
        rc = rpt_file_write(sub, "topology.dot", topo_writer, run, err);
        free(sub);
        topo.written = !rc;
    }
    if (!rc) {
        render_all(dir, st, &topo, o, res);
        res->hint = hint_text(res, o->render);
        rc = write_page(run, dir, st, &topo, res, err);
    }
    if (!rc && res->hint) rc = append_hint(dir, res->hint, err);
    FL_ASSERT(rc == 0 || *err);
    if (res == &local) rpt_pages_result_free(&local);
    return rc;
}

int rpt_pages_write(const struct rpt_run *run, const char *dir, char **err)
{
    struct rpt_pages_opts o = {1, RPT_PAGES_LIMIT_S};
    return rpt_pages_write_opts(run, dir, &o, NULL, err);
}
