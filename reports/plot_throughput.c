/*
 * plot_throughput.c - throughput (requests per second) and error rate (%)
 * over time, one line per route, from the route series (series.h: a
 * request counts in the window in which it ended). Two panels over one
 * time axis, the fault windows shaded on both.
 *
 * Files: plots/throughput.dat (one block per route, in the run's route
 * order: window_middle_s rps error_pct) and plots/throughput.gp. A last
 * window the run did not fill gives a rate over the time it covered, or
 * none when that is under half a window (a few requests over a few ms
 * would be a spike of noise).
 */
#include <stdlib.h>

#include "base/assert.h"
#include "reports/plot.h"

struct tput_plot {
    const struct rpt_run *run;
    struct rpt_fault_window *faults;
    size_t n_faults;
};

static const char *const route_colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_ROUTE_COLOURS (sizeof route_colours / sizeof route_colours[0])

static void panel(const struct tput_plot *tp, FILE *f, int column, const char *ylabel)
{
    FL_ASSERT(tp && f && (column == 2 || column == 3) && ylabel);
    const struct rpt_series_set *set = &tp->run->series;
    fprintf(f, "set ylabel '%s'\n", ylabel);
    rpt_plot_fault_windows(f, tp->faults, tp->n_faults);
    fputs("plot", f);
    for (size_t r = 0; r < set->n_routes; r++) {
        fprintf(f,
                "%s'plots/throughput.dat' index %zu using 1:%d with lines lw 1.5 lc rgb '%s' "
                "title ",
                r ? ", \\\n     " : " ", r, column, route_colours[r % N_ROUTE_COLOURS]);
        rpt_plot_quote(f, set->routes[r].name);
    }
    fputs("\n", f);
}

static void tput_body(const void *arg, FILE *f)
{
    const struct tput_plot *tp = arg;
    FL_ASSERT(tp->run->series.n_routes > 0);
    fputs("set multiplot layout 2,1 title ", f);
    rpt_plot_title(f, tp->run, "Throughput and errors per route");
    fputs("\nset grid lc rgb '#dddddd'\n"
          "set key outside right top box opaque\n"
          "set xrange [0:",
          f);
    rpt_plot_s(f, tp->run->sim_ns > 0 ? tp->run->sim_ns : 1);
    fputs("]\nset yrange [0:*]\nset xlabel 'time since the run began (s)'\n", f);
    panel(tp, f, 2, "throughput (req/s)");
    fputs("set yrange [0:*]\n", f);
    panel(tp, f, 3, "error rate (%)");
}

static void write_data(const struct rpt_run *run, FILE *f)
{
    const struct rpt_series_set *set = &run->series;
    FL_ASSERT(set->window_ns > 0);
    fputs("# faultline throughput per route and window (requests that ended in it; a last "
          "window the run did not fill is as long as it lasted, or left out under half); columns: "
          "window_middle_s rps error_pct\n",
          f);
    for (size_t r = 0; r < set->n_routes; r++) {
        const struct rpt_series *s = &set->routes[r];
        if (r) fputs("\n\n", f);
        fprintf(f, "# %s\n", s->name);
        for (size_t k = 0; k < s->n_pts; k++) {
            const struct rpt_point *p = &s->pts[k];
            int64_t start = (int64_t)k * set->window_ns, len = set->window_ns;
            if (run->sim_ns > start && run->sim_ns - start < len) len = run->sim_ns - start;
            if (run->sim_ns <= start && k) break; /* a window after the run's end */
            if (2 * len < set->window_ns) break;  /* a last sliver: a rate over it is noise */
            rpt_plot_s(f, start + len / 2);
            fprintf(f, " %.3f %.3f\n", (double)p->count * 1e9 / (double)len,
                    p->count ? 100.0 * (double)p->errors / (double)p->count : 0.0);
        }
    }
}

int rpt_plot_throughput(const struct rpt_run *run, const char *dir, const char **why, char **err)
{
    FL_ASSERT(run && dir && why && err);
    if (!run->series.window_ns || !run->series.n_routes) {
        *why = "the run recorded no time series (report.series: false)";
        return 0;
    }
    struct tput_plot tp = {.run = run};
    tp.faults = rpt_fault_windows(run, &tp.n_faults);
    struct rpt_membuf m;
    rpt_membuf_open(&m);
    write_data(run, m.f);
    int rc = rpt_membuf_put(&m, dir, "throughput.dat", err);
    if (!rc) {
        rpt_membuf_open(&m);
        rpt_plot_script(m.f, "throughput", "Throughput and error rate over time per route", 1200,
                        700, tput_body, &tp);
        rc = rpt_membuf_put(&m, dir, "throughput.gp", err);
    }
    free(tp.faults);
    return rc ? -1 : 1;
}
