/*
 * plot_waterfall.c - the slowest request's trace as Jaeger draws one: a
 * horizontal bar per span from its start to its end (ms since the
 * trace's first span), one row per span in the order of the tree (a span,
 * then its children by start time, depth first), labelled with its
 * service and name indented by depth. Retries (attempt > 1) are orange and
 * labelled "retry N", failed spans red with their status.
 *
 * Files: plots/waterfall.dat (row start_ms end_ms colour label note) and
 * plots/waterfall.gp. Spans whose parent is not in the trace (a service
 * that does not propagate the trace headers breaks the tree) start trees
 * of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "reports/plot.h"

enum { C_SERVER = 1, C_CLIENT = 2, C_RETRY = 3, C_ERROR = 4 };

struct wf_plot {
    const struct rpt_run *run;
    const struct rpt_slow *sl;
    size_t rows;
};

/* Appends the subtree of span i (order: start, then id) to out. */
static void dfs(const struct rpt_slow *sl, size_t i, int depth, size_t *out, int *depths, size_t *n,
                char *seen)
{
    FL_ASSERT(i < sl->n_spans && *n <= sl->n_spans && depth >= 0);
    if (seen[i]) return; /* a cycle of ids cannot happen; a repeated id is drawn once */
    seen[i] = 1;
    depths[*n] = depth;
    out[(*n)++] = i;
    for (size_t c = 0; c < sl->n_spans; c++)
        if (c != i && sl->spans[c].parent == sl->spans[i].id && sl->spans[i].id)
            dfs(sl, c, depth + 1, out, depths, n, seen);
}

static int has_parent(const struct rpt_slow *sl, size_t i)
{
    FL_ASSERT(sl && i < sl->n_spans);
    for (size_t p = 0; p < sl->n_spans; p++)
        if (p != i && sl->spans[i].parent && sl->spans[p].id == sl->spans[i].parent) return 1;
    return 0;
}

/* Writes s without double quotes or control characters (gnuplot data strings). */
static void data_text(FILE *f, const char *s)
{
    FL_ASSERT(f);
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        fputc(*p == '"' ? '\'' : *p < 0x20 ? ' ' : *p, f);
    fputc('"', f);
}

static void write_data(struct wf_plot *wp, FILE *f)
{
    const struct rpt_slow *sl = wp->sl;
    FL_ASSERT(sl->n_spans > 0);
    size_t *order = fl_calloc(sl->n_spans, sizeof *order);
    int *depths = fl_calloc(sl->n_spans, sizeof *depths);
    char *seen = fl_calloc(sl->n_spans, 1);
    size_t n = 0;
    for (size_t i = 0; i < sl->n_spans; i++) /* spans are sorted by start: roots in time order */
        if (!has_parent(sl, i)) dfs(sl, i, 0, order, depths, &n, seen);
    for (size_t i = 0; i < sl->n_spans; i++) /* whatever a cycle left out */
        if (!seen[i]) dfs(sl, i, 0, order, depths, &n, seen);
    FL_ASSERT(n == sl->n_spans);
    int64_t t0 = sl->spans[0].start_ns;
    for (size_t i = 0; i < n; i++)
        if (sl->spans[i].start_ns < t0) t0 = sl->spans[i].start_ns;
    fputs("# faultline waterfall of the slowest trace; columns: row start_ms end_ms colour "
          "label note\n",
          f);
    for (size_t r = 0; r < n; r++) {
        const struct rpt_span *s = &sl->spans[order[r]];
        int colour = s->error                  ? C_ERROR
                     : s->attempt > 1          ? C_RETRY
                     : s->kind == 1 /*client*/ ? C_CLIENT
                                               : C_SERVER;
        char label[256], note[96] = "";
        snprintf(label, sizeof label, "%*s%s: %s", 2 * (depths[r] > 12 ? 12 : depths[r]), "",
                 s->service ? s->service : "?", s->name ? s->name : "?");
        size_t k = 0;
        if (s->attempt > 1) k += (size_t)snprintf(note, sizeof note, "retry %u", s->attempt - 1);
        if (s->error && k < sizeof note)
            k += (size_t)snprintf(note + k, sizeof note - k, "%serror%s%d", k ? ", " : "",
                                  s->status ? " " : "", s->status);
        if (s->error && !s->status && k >= 6) note[k - 1] = 0; /* "error0" -> "error" */
        if (s->reason && k < sizeof note)
            snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s", *note ? ", " : "",
                     s->reason);
        fprintf(f, "%zu ", r);
        rpt_plot_ms(f, s->start_ns - t0);
        fputc(' ', f);
        rpt_plot_ms(f, (s->end_ns > s->start_ns ? s->end_ns : s->start_ns) - t0);
        fprintf(f, " %d ", colour);
        data_text(f, label);
        fputc(' ', f);
        data_text(f, note);
        fputc('\n', f);
    }
    wp->rows = n;
    FL_ASSERT(wp->rows == sl->n_spans);
    free(order);
    free(depths);
    free(seen);
}

static void wf_body(const void *arg, FILE *f)
{
    const struct wf_plot *wp = arg;
    FL_ASSERT(wp && wp->sl && wp->rows > 0);
    char what[160], lat[32];
    fl_format_duration(wp->sl->latency_ns, lat, sizeof lat);
    snprintf(what, sizeof what, "Slowest request: %s, %s, trace %016llx%016llx",
             wp->sl->route ? wp->sl->route : "?", lat, (unsigned long long)wp->sl->trace_hi,
             (unsigned long long)wp->sl->trace_lo);
    fputs("set title ", f);
    rpt_plot_title(f, wp->run, what);
    fprintf(f,
            "\nset xlabel 'time since the request started (ms)'\n"
            "set ylabel 'span'\n"
            "set yrange [%zu.5:-0.5]\n"
            "set xrange [0:*]\n"
            "set ytics nomirror font ',9'\n" /* right-aligned against the axis: never under a bar */
            "set lmargin 44\n"
            "set grid xtics lc rgb '#dddddd'\n"
            "set linetype 1 lc rgb '#4e79a7'\n"
            "set linetype 2 lc rgb '#59a14f'\n"
            "set linetype 3 lc rgb '#f28e2b'\n"
            "set linetype 4 lc rgb '#e15759'\n"
            "set style fill solid 0.85 noborder\n"
            "set key outside bottom center horizontal\n"
            "plot 'plots/waterfall.dat' using (($2+$3)/2):1:(($3-$2)/2):(0.35):4:ytic(5) "
            "with boxxyerror lc variable notitle, \\\n"
            "     '' using 3:1:6 with labels left offset 0.5,0 font ',9' tc rgb '#333333' notitle, "
            "\\\n"
            "     keyentry with boxes fc rgb '#4e79a7' title 'server span', \\\n"
            "     keyentry with boxes fc rgb '#59a14f' title 'client span (first attempt)', \\\n"
            "     keyentry with boxes fc rgb '#f28e2b' title 'retry', \\\n"
            "     keyentry with boxes fc rgb '#e15759' title 'failed'\n",
            wp->rows ? wp->rows - 1 : 0);
}

int rpt_plot_waterfall(const struct rpt_run *run, const char *dir, const char **why, char **err)
{
    FL_ASSERT(run && dir && why && err);
    if (!run->n_slowest || !run->slowest || !run->slowest[0].n_spans) {
        *why = "no trace of the slowest request was kept (tracing sampled it out, or "
               "report.slowest: 0)";
        return 0;
    }
    struct wf_plot wp = {run, &run->slowest[0], 0};
    struct rpt_membuf m;
    rpt_membuf_open(&m);
    write_data(&wp, m.f);
    int rc = rpt_membuf_put(&m, dir, "waterfall.dat", err);
    if (!rc) {
        rpt_membuf_open(&m);
        int h = 200 + 22 * (int)(wp.rows > 60 ? 60 : wp.rows);
        rpt_plot_script(m.f, "waterfall", "The slowest request's trace, one bar per span", 1200,
                        h < 360 ? 360 : h, wf_body, &wp);
        rc = rpt_membuf_put(&m, dir, "waterfall.gp", err);
    }
    return rc ? -1 : 1;
}
