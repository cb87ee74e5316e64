/*
 * html_tables.c - the tables of index.html (see html_tables.h). Figures
 * are formatted as summary.txt formats them (durations with at most four
 * significant digits, percentages with two decimals).
 */
#include "reports/html_tables.h"

#include <string.h>

#include "base/assert.h"
#include "base/units.h"
#include "reports/html.h"
#include "reports/summary.h"

static void pct(FILE *f, uint64_t num, uint64_t den)
{
    FL_ASSERT(f && num <= den);
    fprintf(f, "%.2f%%", den ? 100.0 * (double)num / (double)den : 0.0);
}

static void dur(FILE *f, int64_t ns)
{
    char b[32];
    fputs(fl_format_duration(ns, b, sizeof b), f);
}

void rpt_html_head_line(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f);
    const struct rpt_stats *a = &run->all;
    fputs("<p class=\"meta\">", f);
    dur(f, run->sim_ns);
    fprintf(f, " simulated &middot; %llu requests &middot; %llu errors (",
            (unsigned long long)a->count, (unsigned long long)a->errors);
    pct(f, a->errors, a->count);
    fputs(")", f);
    if (a->count) {
        fputs(" &middot; p50 ", f);
        dur(f, rpt_hist_quantile(&a->hist, 0.50));
        fputs(" &middot; p99 ", f);
        dur(f, rpt_hist_quantile(&a->hist, 0.99));
    }
    size_t failed = 0;
    for (size_t i = 0; i < run->n_checks; i++) failed += !run->checks[i].ok;
    if (run->n_checks && failed)
        fprintf(f, " &middot; <span class=\"fail\">%zu of %zu assertions failed</span>", failed,
                run->n_checks);
    else if (run->n_checks)
        fprintf(f, " &middot; <span class=\"pass\">all %zu assertions held</span>", run->n_checks);
    if (run->digest[0]) fprintf(f, " &middot; digest <code>%.16s</code>", run->digest);
    fputs("</p>\n", f);
}

static void stats_row(FILE *f, const struct rpt_stats *s, const char *name)
{
    FL_ASSERT(f && s && s->errors <= s->count);
    fputs("<tr><td>", f);
    rpt_html_text(f, name);
    fprintf(f, "</td><td>%llu</td><td%s>%llu</td><td%s>", (unsigned long long)s->count,
            s->errors ? " class=\"bad\"" : "", (unsigned long long)s->errors,
            s->errors ? " class=\"bad\"" : "");
    pct(f, s->errors, s->count);
    fputs("</td>", f);
    static const double qs[] = {0.50, 0.90, 0.99};
    for (size_t i = 0; i < 3; i++) {
        fputs("<td>", f);
        if (s->count) dur(f, rpt_hist_quantile(&s->hist, qs[i]));
        fputs("</td>", f);
    }
    fputs("<td>", f);
    if (s->count) dur(f, s->hist.max);
    fputs("</td></tr>\n", f);
}

static void stats_head(FILE *f, const char *first)
{
    FL_ASSERT(f && first);
    fprintf(f,
            "<div class=\"scroll\"><table>\n<tr><th>%s</th><th>count</th><th>errors</th>"
            "<th>error %%</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>\n",
            first);
}

/* The outcomes any route had, in code order: statuses, then local failures. */
static void outcomes(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f && (run->routes || !run->n_routes));
    int used[RPT_STATUS_MAX] = {0};
    size_t n = 0;
    for (size_t r = 0; r < run->n_routes; r++)
        for (int o = 0; o < RPT_STATUS_MAX; o++)
            if (run->routes[r].outcomes[o] && !used[o]) {
                used[o] = 1;
                n++;
            }
    FL_ASSERT(n <= RPT_STATUS_MAX);
    if (!n) return;
    fputs("<h3>Outcomes per route</h3>\n<div class=\"scroll\"><table>\n<tr><th>route</th>", f);
    for (int pass = 0; pass < 2; pass++)
        for (int o = 0; o < RPT_STATUS_MAX; o++) {
            if (!used[o] || (pass == 0) != (o >= 100)) continue;
            const char *name = rpt_fail_name(o);
            if (name)
                fprintf(f, "<th>%s</th>", name);
            else
                fprintf(f, "<th>%d</th>", o);
        }
    fputs("</tr>\n", f);
    for (size_t r = 0; r < run->n_routes; r++) {
        fputs("<tr><td>", f);
        rpt_html_text(f, run->routes[r].name);
        fputs("</td>", f);
        for (int pass = 0; pass < 2; pass++)
            for (int o = 0; o < RPT_STATUS_MAX; o++) {
                if (!used[o] || (pass == 0) != (o >= 100)) continue;
                uint64_t c = run->routes[r].outcomes[o];
                fprintf(f, "<td%s>%llu</td>", c && rpt_outcome_is_error(o) ? " class=\"bad\"" : "",
                        (unsigned long long)c);
            }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

void rpt_html_routes(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f && (run->routes || !run->n_routes));
    fputs("<section id=\"routes\">\n<h2>Routes</h2>\n", f);
    stats_head(f, "route");
    for (size_t r = 0; r < run->n_routes; r++) stats_row(f, &run->routes[r], run->routes[r].name);
    if (run->n_routes > 1) stats_row(f, &run->all, "all");
    fputs("</table></div>\n", f);
    outcomes(run, f);
    if (run->n_services) {
        fputs("<h3>Services (server side)</h3>\n", f);
        stats_head(f, "service");
        for (size_t i = 0; i < run->n_services; i++)
            stats_row(f, &run->services[i].st, run->services[i].st.name);
        fputs("</table></div>\n", f);
    }
    fputs("</section>\n", f);
}

void rpt_html_checks(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f && (run->checks || !run->n_checks));
    fputs("<section id=\"assertions\">\n<h2>Assertions</h2>\n", f);
    if (!run->n_checks) {
        fputs("<p>The scenario makes no assertion.</p>\n</section>\n", f);
        return;
    }
    fputs("<div class=\"scroll\"><table>\n<tr><th>result</th><th class=\"text\">assertion</th><th "
          "class=\"text\">value</th>"
          "</tr>\n",
          f);
    for (size_t i = 0; i < run->n_checks; i++) {
        const struct rpt_check *c = &run->checks[i];
        char value[512];
        rpt_check_value_text(value, sizeof value, c);
        fprintf(f, "<tr><td class=\"%s\">%s</td><td class=\"text\">", c->ok ? "pass" : "fail",
                c->ok ? "PASS" : "FAIL");
        rpt_html_text(f, c->text);
        fputs("</td><td class=\"text\">", f);
        rpt_html_text(f, value);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n</section>\n", f);
}

static void outcome_text(FILE *f, int outcome)
{
    FL_ASSERT(f && outcome >= 0);
    const char *name = rpt_fail_name(outcome);
    if (name)
        fputs(name, f);
    else
        fprintf(f, "%d", outcome);
}

void rpt_html_slowest(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f && (run->slowest || !run->n_slowest));
    fputs("<section id=\"slowest\">\n<h2>Slowest requests</h2>\n", f);
    if (!run->n_slowest) {
        fputs("<p>No request was traced (tracing sampled every one out, or report.slowest: "
              "0).</p>\n</section>\n",
              f);
        return;
    }
    fputs("<div class=\"scroll\"><table>\n<tr><th>#</th><th>route</th><th>latency</th>"
          "<th>outcome</th><th>tries</th><th>queueing</th><th>service</th><th>network</th>"
          "<th>TCP rtx</th><th>backoff</th><th>other</th><th>trace id</th><th>hops</th></tr>\n",
          f);
    for (size_t i = 0; i < run->n_slowest; i++) {
        const struct rpt_slow *s = &run->slowest[i];
        FL_ASSERT(s->spans || !s->n_spans);
        fprintf(f, "<tr><td>%zu</td><td>", i + 1);
        rpt_html_text(f, s->route);
        fputs("</td><td>", f);
        dur(f, s->latency_ns);
        fprintf(f, "</td><td%s>", rpt_outcome_is_error(s->outcome) ? " class=\"bad\"" : "");
        outcome_text(f, s->outcome);
        fprintf(f, "</td><td>%u</td>", s->tries);
        const int64_t parts[] = {s->queue_ns, s->service_ns, s->network_ns,
                                 s->rtx_ns,   s->backoff_ns, s->other_ns};
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            fputs("<td>", f);
            dur(f, parts[k]);
            fputs("</td>", f);
        }
        fprintf(f, "<td><code>%016llx%016llx</code></td><td class=\"text\">",
                (unsigned long long)s->trace_hi, (unsigned long long)s->trace_lo);
        rpt_html_text(f, s->hops);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n</section>\n", f);
}

void rpt_html_events(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f && (run->timeline || !run->n_timeline));
    fputs("<section id=\"events\">\n<h2>Events</h2>\n", f);
    if (!run->n_timeline) {
        fputs("<p>Nothing happened to the system during the run: no fault, ejection, panic or "
              "overflow.</p>\n</section>\n",
              f);
        return;
    }
    size_t shown = run->n_timeline < RPT_HTML_EVENTS_MAX ? run->n_timeline : RPT_HTML_EVENTS_MAX;
    fputs("<div class=\"scroll\"><table>\n<tr><th>time</th><th>event</th><th>subject</th>"
          "<th>detail</th></tr>\n",
          f);
    for (size_t i = 0; i < shown; i++) {
        const struct rpt_event *e = &run->timeline[i];
        FL_ASSERT(i == 0 || e->at_ns >= run->timeline[i - 1].at_ns); /* in time order */
        fputs("<tr><td>", f);
        dur(f, e->at_ns);
        fputs("</td><td>", f);
        rpt_html_text(f, e->what);
        fputs("</td><td>", f);
        rpt_html_text(f, e->subject);
        fputs("</td><td class=\"text\">", f);
        rpt_html_text(f, e->detail);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
    uint64_t more = (uint64_t)(run->n_timeline - shown) + run->timeline_dropped;
    if (more)
        fprintf(f, "<p>%llu more events are not shown (summary.json lists the first %d).</p>\n",
                (unsigned long long)more, RPT_EVENTS_MAX);
    fputs("</section>\n", f);
}
