/*
 * plot_percentiles.c - the latency distribution in HdrHistogram's
 * percentile form: latency (ms) against 1/(1-q) on a log scale, ticks
 * labelled 90%, 99%, 99.9%..., one line per route (the tail reads from
 * left to right as it does in HdrHistogram's plotter), and the .hgrm text
 * of the whole run and of each route (hgrm.h).
 *
 * Files: plots/percentiles.dat (one block per route with requests:
 * value_ms percentile 1_over_1_minus_q; the 100% row, at infinity, is left
 * out), plots/percentiles.gp, plots/latency.hgrm (every request) and
 * plots/latency-N-NAME.hgrm per route (N its place in the run's routes
 * from 1, NAME the route with every character but letters and digits
 * made '_').
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/hgrm.h"
#include "reports/plot.h"

static const char *const route_colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_ROUTE_COLOURS (sizeof route_colours / sizeof route_colours[0])

static void pct_body(const void *arg, FILE *f)
{
    const struct rpt_run *run = arg;
    FL_ASSERT(run && f && run->all.hist.count > 0);
    fputs("set title ", f);
    rpt_plot_title(f, run, "Latency by percentile");
    fputs("\nset xlabel 'percentile'\n"
          "set ylabel 'latency (ms)'\n"
          "set logscale x\n"
          "set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, "
          "'99.999%%' 100000, '99.9999%%' 1000000)\n"
          "set xrange [1:*]\n"
          "set yrange [0:*]\n"
          "set grid lc rgb '#dddddd'\n"
          "set key left top box opaque\n"
          "plot",
          f);
    size_t b = 0;
    for (size_t r = 0; r < run->n_routes; r++) {
        if (!run->routes[r].hist.count) continue;
        fprintf(f,
                "%s'plots/percentiles.dat' index %zu using 3:1 with linespoints lw 2 pt 7 ps 0.5 "
                "lc rgb '%s' "
                "title ",
                b ? ", \\\n     " : " ", b, route_colours[r % N_ROUTE_COLOURS]);
        rpt_plot_quote(f, run->routes[r].name);
        b++;
    }
    fputs("\n", f);
}

static void write_data(const struct rpt_run *run, FILE *f)
{
    fputs("# faultline latency by percentile per route; columns: value_ms percentile "
          "1_over_1_minus_q\n",
          f);
    size_t b = 0;
    for (size_t r = 0; r < run->n_routes; r++) {
        const struct rpt_stats *s = &run->routes[r];
        if (!s->hist.count) continue;
        if (b++) fputs("\n\n", f);
        fprintf(f, "# %s\n", s->name);
        struct rpt_hgrm_row *rows;
        size_t n = rpt_hgrm_rows(&s->hist, &rows);
        FL_ASSERT(n >= 2 && rows[n - 1].level == 100.0); /* the last row is at 100% */
        for (size_t i = 0; i < n; i++) {
            if (rows[i].level >= 100.0) continue;
            double q = rows[i].level / 100.0;
            rpt_plot_ms(f, rows[i].value_ns);
            fprintf(f, " %.12f %.2f\n", q, 1.0 / (1.0 - q));
        }
        free(rows);
    }
}

char *rpt_hgrm_name(const struct rpt_run *run, size_t r)
{
    FL_ASSERT(r < run->n_routes);
    const char *name = run->routes[r].name ? run->routes[r].name : "";
    char *safe = fl_strdup(*name ? name : "_");
    for (char *p = safe; *p; p++)
        if (!isalnum((unsigned char)*p)) *p = '_';
    if (strlen(safe) > 60) safe[60] = 0;
    char *out = fl_asprintf("latency-%zu-%s.hgrm", r + 1, safe);
    free(safe);
    return out;
}

static int put_hgrm(const char *dir, const char *name, const struct rpt_hist *h, char **err)
{
    struct rpt_membuf m;
    rpt_membuf_open(&m);
    rpt_hgrm_write(h, m.f);
    return rpt_membuf_put(&m, dir, name, err);
}

int rpt_plot_percentiles(const struct rpt_run *run, const char *dir, const char **why, char **err)
{
    FL_ASSERT(run && dir && why && err);
    FL_ASSERT(run->routes || !run->n_routes);
    if (!run->all.hist.count || !run->all.hist.n_buckets) {
        *why = "no request was counted";
        return 0;
    }
    int rc = put_hgrm(dir, "latency.hgrm", &run->all.hist, err);
    for (size_t r = 0; !rc && r < run->n_routes; r++) {
        char *name = rpt_hgrm_name(run, r);
        rc = put_hgrm(dir, name, &run->routes[r].hist, err);
        free(name);
    }
    struct rpt_membuf m;
    if (!rc) {
        rpt_membuf_open(&m);
        write_data(run, m.f);
        rc = rpt_membuf_put(&m, dir, "percentiles.dat", err);
    }
    if (!rc) {
        rpt_membuf_open(&m);
        rpt_plot_script(m.f, "percentiles", "Latency by percentile per route (HdrHistogram form)",
                        1000, 600, pct_body, run);
        rc = rpt_membuf_put(&m, dir, "percentiles.gp", err);
    }
    return rc ? -1 : 1;
}
