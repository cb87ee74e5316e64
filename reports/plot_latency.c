/*
 * plot_latency.c - every listed request as a point: its latency (ms, log
 * scale) against its start time (s), coloured by outcome, the fault
 * windows shaded and named, and each series window's p50 and p99 drawn as
 * a short horizontal line across the window (as Jepsen's latency plots).
 *
 * Files: plots/latency.dat (one block per outcome class that occurs,
 * in class order: start_s latency_ms), plots/latency-windows.dat
 * (window_start_s window_end_s p50_ms p99_ms, windows with requests), and
 * plots/latency.gp. More than RPT_PLOT_POINTS_MAX listed requests are
 * thinned, and the title says so, but never the tail: every request that
 * failed or answered other than 2xx, and every one above the run's
 * p99, stays (thinned only if they alone are more than half the points);
 * the rest is drawn one in k, in list order.
 */
#include <stdlib.h>

#include "base/assert.h"
#include "reports/plot.h"

#define RPT_PLOT_POINTS_MAX 50000 /* a 20 MB SVG of 200,000 points helped no one */

struct latency_plot {
    const struct rpt_run *run;
    int present[RPT_PC_MAX];
    size_t block[RPT_PC_MAX]; /* index of the class's block in latency.dat */
    int windows;              /* latency-windows.dat has lines */
    int64_t lo_ns, hi_ns;     /* the smallest and largest latency drawn */
    size_t every;             /* the bulk: one in every */
    size_t tail_every;        /* the tail (errors, non-2xx, >= p99): one in tail_every */
    int64_t tail_ns;          /* the run's p99 */
    struct rpt_fault_window *faults;
    size_t n_faults;
};

static int in_tail(const struct latency_plot *lp, const struct rpt_request *rq)
{
    return rq->latency_ns > lp->tail_ns || rq->outcome < 200 || rq->outcome >= 300;
}

/* 1 if the i-th listed request is drawn. */
static int drawn(const struct latency_plot *lp, size_t i)
{
    FL_ASSERT(lp->every >= 1 && lp->tail_every >= 1 && i < lp->run->n_requests);
    return in_tail(lp, &lp->run->requests[i]) ? i % lp->tail_every == 0 : i % lp->every == 0;
}

static void latency_body(const void *arg, FILE *f)
{
    const struct latency_plot *lp = arg;
    const struct rpt_run *run = lp->run;
    FL_ASSERT(lp->every >= 1);
    char what[64] = "Request latency";
    if (lp->every > 1 || run->requests_every > 1)
        snprintf(what, sizeof what, "Request latency (1 in %llu requests%s)",
                 (unsigned long long)lp->every * (run->requests_every ? run->requests_every : 1),
                 lp->every > 1 && lp->tail_every == 1 ? "; all errors and above p99" : "");
    fputs("set title ", f);
    rpt_plot_title(f, run, what);
    fputs("\nset xlabel 'start of the request, since the run began (s)'\n"
          "set ylabel 'latency (ms)'\n"
          "set logscale y\n"
          "set format y '%g'\n"
          /* labels at 1, 2 and 5 of every decade: a log axis with one label per decade reads
           * badly when the latencies span less than two */
          "set ytics ()\n"
          "do for [e=-3:6] { set ytics add (sprintf('%g', 10.0**e) 10.0**e, "
          "sprintf('%g', 2*10.0**e) 2*10.0**e, sprintf('%g', 5*10.0**e) 5*10.0**e) }\n"
          "set grid xtics ytics mytics lc rgb '#dddddd'\n"
          "set key outside right top box opaque\n"
          "set xrange [0:",
          f);
    rpt_plot_s(f, run->sim_ns > 0 ? run->sim_ns : 1);
    /* a little room above and below the points (log scale: a factor) */
    fputs("]\nset yrange [", f);
    rpt_plot_ms(f, (lp->lo_ns > 1000 ? lp->lo_ns : 1000) * 2 / 3);
    fputc(':', f);
    rpt_plot_ms(f, (lp->hi_ns > 1000 ? lp->hi_ns : 1000) * 3 / 2);
    fputs("]\n", f);
    rpt_plot_fault_windows(f, lp->faults, lp->n_faults);
    fputs("plot", f);
    const char *sep = " ";
    for (int c = 0; c < RPT_PC_MAX; c++) {
        if (!lp->present[c]) continue;
        /* log scale: a zero latency (a request refused before it left) drawn at 1 us */
        fprintf(f,
                "%s'plots/latency.dat' index %zu using 1:($2 > 0.001 ? $2 : 0.001) "
                "with points pt 7 ps 0.35 lc rgb '%s' title '%s'",
                sep, lp->block[c], rpt_plot_class_colour((enum rpt_plot_class)c),
                rpt_plot_class_name((enum rpt_plot_class)c));
        sep = ", \\\n     ";
    }
    if (lp->windows) {
        fprintf(f,
                "%s'plots/latency-windows.dat' using 1:3:($2-$1):(0) with vectors nohead lw 2 "
                "lc rgb '#000000' title 'p50 per window', \\\n"
                "     'plots/latency-windows.dat' using 1:4:($2-$1):(0) with vectors nohead lw 2 "
                "dt 2 lc rgb '#000000' title 'p99 per window'",
                sep);
    }
    fputs("\n", f);
}

static void write_points(const struct latency_plot *lp, FILE *f)
{
    const struct rpt_run *run = lp->run;
    fputs("# faultline latency: one block per outcome class; columns: start_s latency_ms\n", f);
    size_t block = 0;
    for (int c = 0; c < RPT_PC_MAX; c++) {
        if (!lp->present[c]) continue;
        FL_ASSERT(lp->block[c] == block);
        if (block++) fputs("\n\n", f);
        fprintf(f, "# %s\n", rpt_plot_class_name((enum rpt_plot_class)c));
        for (size_t i = 0; i < run->n_requests; i++) {
            const struct rpt_request *rq = &run->requests[i];
            if ((int)rpt_plot_class_of(rq->outcome) != c || !drawn(lp, i)) continue;
            rpt_plot_s(f, rq->start_ns);
            fputc(' ', f);
            rpt_plot_ms(f, rq->latency_ns);
            fputc('\n', f);
        }
    }
}

/* Windows of series.all with requests; returns how many. */
static size_t write_windows(const struct rpt_run *run, FILE *f)
{
    const struct rpt_series_set *set = &run->series;
    fputs("# faultline latency per window (requests that ended in it); columns: "
          "window_start_s window_end_s p50_ms p99_ms\n",
          f);
    if (!set->window_ns) return 0;
    size_t n = 0;
    for (size_t k = 0; k < set->all.n_pts; k++) {
        const struct rpt_point *p = &set->all.pts[k];
        if (!p->count) continue;
        rpt_plot_s(f, (int64_t)k * set->window_ns);
        fputc(' ', f);
        rpt_plot_s(f, (int64_t)(k + 1) * set->window_ns);
        fputc(' ', f);
        rpt_plot_ms(f, p->p50_ns);
        fputc(' ', f);
        rpt_plot_ms(f, p->p99_ns);
        fputc('\n', f);
        n++;
    }
    return n;
}

int rpt_plot_latency(const struct rpt_run *run, const char *dir, const char **why, char **err)
{
    FL_ASSERT(run && dir && why && err);
    FL_ASSERT(run->requests || !run->n_requests);
    if (!run->n_requests) {
        *why = "no request was listed (report.requests: 0, or none counted)";
        return 0;
    }
    struct latency_plot lp = {.run = run};
    lp.tail_ns = run->all.count ? rpt_hist_quantile(&run->all.hist, 0.99) : INT64_MAX;
    size_t tail = 0;
    for (size_t i = 0; i < run->n_requests; i++) tail += (size_t)in_tail(&lp, &run->requests[i]);
    size_t half = RPT_PLOT_POINTS_MAX / 2, bulk = run->n_requests - tail;
    lp.tail_every = tail > half ? (tail + half - 1) / half : 1;
    size_t room = RPT_PLOT_POINTS_MAX - (tail + lp.tail_every - 1) / lp.tail_every;
    lp.every = bulk > room ? (bulk + room - 1) / room : 1;
    lp.lo_ns = INT64_MAX;
    for (size_t i = 0; i < run->n_requests; i++) {
        const struct rpt_request *rq = &run->requests[i];
        if (!drawn(&lp, i)) continue;
        lp.present[rpt_plot_class_of(rq->outcome)] = 1;
        lp.lo_ns = rq->latency_ns < lp.lo_ns ? rq->latency_ns : lp.lo_ns;
        lp.hi_ns = rq->latency_ns > lp.hi_ns ? rq->latency_ns : lp.hi_ns;
    }
    size_t b = 0;
    for (int c = 0; c < RPT_PC_MAX; c++)
        if (lp.present[c]) lp.block[c] = b++;
    FL_ASSERT(b >= 1);
    lp.faults = rpt_fault_windows(run, &lp.n_faults);

    struct rpt_membuf m;
    rpt_membuf_open(&m);
    write_points(&lp, m.f);
    int rc = rpt_membuf_put(&m, dir, "latency.dat", err);
    if (!rc) {
        rpt_membuf_open(&m);
        lp.windows = write_windows(run, m.f) > 0;
        rc = rpt_membuf_put(&m, dir, "latency-windows.dat", err);
    }
    if (!rc) {
        rpt_membuf_open(&m);
        rpt_plot_script(m.f, "latency",
                        "Latency of every listed request against its start time, by outcome", 1200,
                        650, latency_body, &lp);
        rc = rpt_membuf_put(&m, dir, "latency.gp", err);
    }
    free(lp.faults);
    return rc ? -1 : 1;
}
