/*
 * checks.c - evaluating the scenario's assertions (rpt_check) on a run.
 *
 * A whole-run check looks up its target by name (routes and services are
 * few; a linear search is fine and keeps the order of the arrays the only
 * order), reads one figure, and compares it with the threshold. A target
 * that does not exist or saw no request cannot be judged: the check is
 * marked not evaluated and counts as failed, so an assertion about a
 * misspelt route never passes silently.
 *
 * Hops: retry_amplification at a hop is that hop's attempts per client
 * request; at end_to_end, the attempts arriving at services that call no
 * other, per client request (fan-out counts too: a request that reaches
 * two leaves counts twice).
 *
 * recovers_within (a window check): judged on the series windows of its
 * target (a route, a service, or every request) that end after the fault
 * `after` ended and begin before the workloads stop; windows without a
 * request are not judged. The recovery time is from the fault's end to
 * the end of the last window that broke the bound (0 when none did); the
 * check holds when it is at most recovers_within. Whole windows are
 * judged, so a window that straddles the deadline must hold too.
 * every_window: the same judgement on every window, with no grace.
 *
 * Edges have series only: their whole-run figures (count, error_rate,
 * retry_amplification, share_4xx, share_5xx) add up their windows.
 *
 * Not here: reading assertions (sim/load_assertions.c), printing (summary.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "reports/results.h"

static const char *const metric_names[] = {
    [RPT_M_P50] = "p50",
    [RPT_M_P90] = "p90",
    [RPT_M_P95] = "p95",
    [RPT_M_P99] = "p99",
    [RPT_M_P999] = "p999",
    [RPT_M_MEAN] = "mean",
    [RPT_M_MIN] = "min",
    [RPT_M_MAX] = "max",
    [RPT_M_ERROR_RATE] = "error_rate",
    [RPT_M_RETRY_AMPLIFICATION] = "retry_amplification",
    [RPT_M_COUNT] = "count",
    [RPT_M_SHARE_404] = "share_404",
    [RPT_M_SHARE_429] = "share_429",
    [RPT_M_SHARE_503] = "share_503",
    [RPT_M_SHARE_4XX] = "share_4xx",
    [RPT_M_SHARE_5XX] = "share_5xx",
    [RPT_M_EJECTIONS] = "ejections",
    [RPT_M_OVERFLOWS] = "overflows",
};

const char *rpt_metric_name(enum rpt_metric m)
{
    if ((unsigned)m >= sizeof metric_names / sizeof metric_names[0]) return NULL;
    return metric_names[m];
}

int rpt_metric_is_duration(enum rpt_metric m)
{
    return m >= RPT_M_P50 && m <= RPT_M_MAX;
}

int rpt_metric_is_fraction(enum rpt_metric m)
{
    return m == RPT_M_ERROR_RATE || (m >= RPT_M_SHARE_404 && m <= RPT_M_SHARE_5XX);
}

/* The stats a check is about, or NULL when its route or service does not exist. */
static const struct rpt_stats *check_target(const struct rpt_run *run, const struct rpt_check *c)
{
    if (c->window_stats) return c->window_stats; /* `during`: filled for its scope */
    switch (c->scope) {
    case RPT_SCOPE_ALL: return &run->all;
    case RPT_SCOPE_ROUTE:
        for (size_t i = 0; i < run->n_routes; i++)
            if (c->target && run->routes[i].name && !strcmp(run->routes[i].name, c->target))
                return &run->routes[i];
        return NULL;
    case RPT_SCOPE_SERVICE:
        for (size_t i = 0; i < run->n_services; i++) {
            const struct rpt_stats *st = &run->services[i].st;
            if (c->target && st->name && !strcmp(st->name, c->target)) return st;
        }
        return NULL;
    case RPT_SCOPE_EDGE: return NULL; /* edges have series only: edge_value */
    }
    FL_ASSERT(!"unknown check scope");
    return NULL;
}

/* Requests of s whose outcome is in [lo, hi]. */
static uint64_t outcomes_in(const struct rpt_stats *s, int lo, int hi)
{
    FL_ASSERT(lo >= 0 && hi < RPT_STATUS_MAX);
    uint64_t n = 0;
    for (int code = lo; code <= hi; code++) n += s->outcomes[code];
    return n;
}

/* The figure m of s (count > 0): ns for durations, a fraction, a ratio or a count. */
static double metric_value(const struct rpt_stats *s, enum rpt_metric m)
{
    double n = (double)s->count;
    switch (m) {
    case RPT_M_P50: return (double)rpt_hist_quantile(&s->hist, 0.50);
    case RPT_M_P90: return (double)rpt_hist_quantile(&s->hist, 0.90);
    case RPT_M_P95: return (double)rpt_hist_quantile(&s->hist, 0.95);
    case RPT_M_P99: return (double)rpt_hist_quantile(&s->hist, 0.99);
    case RPT_M_P999: return (double)rpt_hist_quantile(&s->hist, 0.999);
    case RPT_M_MEAN: return rpt_hist_mean(&s->hist);
    case RPT_M_MIN: return (double)s->hist.min;
    case RPT_M_MAX: return (double)s->hist.max;
    case RPT_M_ERROR_RATE: return (double)s->errors / n;
    case RPT_M_RETRY_AMPLIFICATION: return (double)s->tries / n;
    case RPT_M_COUNT: return n;
    case RPT_M_SHARE_404: return (double)s->outcomes[404] / n;
    case RPT_M_SHARE_429: return (double)s->outcomes[429] / n;
    case RPT_M_SHARE_503: return (double)s->outcomes[503] / n;
    case RPT_M_SHARE_4XX: return (double)outcomes_in(s, 400, 499) / n;
    case RPT_M_SHARE_5XX: return (double)outcomes_in(s, 500, 599) / n;
    case RPT_M_EJECTIONS:
    case RPT_M_OVERFLOWS:
    case RPT_M_MAX_: break;
    }
    FL_ASSERT(!"metric without a request figure");
    return 0;
}

static int compare(double value, enum rpt_op op, double threshold)
{
    switch (op) {
    case RPT_LT: return value < threshold;
    case RPT_LE: return value <= threshold;
    case RPT_GT: return value > threshold;
    case RPT_GE: return value >= threshold;
    }
    FL_ASSERT(!"unknown comparison");
    return 0;
}

/*
 * 1 if a cluster row belongs to hop: every cluster but the inbound
 * sidecars' (NULL), the gateway's ("gateway"), a row by its whole name
 * ("sidecar outbound|80||api"), or the rows of one upstream: the name
 * after the proxy's ("gateway billing": "billing") or the host of an
 * Envoy cluster name ("outbound|80||api" or "outbound|80||api.ns.svc...": "api").
 */
static int cluster_in_hop(const char *row, const char *hop)
{
    if (!hop) return strcmp(row, "sidecar inbound") != 0;
    if (!strcmp(hop, "gateway")) return !strncmp(row, "gateway ", 8);
    if (!strcmp(row, hop)) return 1;
    const char *name = strchr(row, ' '), *bar = strrchr(row, '|');
    size_t n = strlen(hop);
    if (name && !strcmp(name + 1, hop)) return 1;
    return bar && !strncmp(bar + 1, hop, n) && (bar[1 + n] == '\0' || bar[1 + n] == '.');
}

double rpt_hop_amplification(const struct rpt_run *run, const char *hop)
{
    FL_ASSERT(hop);
    if (!run->all.count) return -1;
    double n = (double)run->all.count;
    if (!strcmp(hop, "client")) return (double)run->all.tries / n;
    if (!strcmp(hop, "end_to_end")) return (double)run->leaf_arrivals / n;
    uint64_t attempts = 0;
    int found = 0;
    for (size_t i = 0; i < run->n_hops; i++)
        if (cluster_in_hop(run->hops[i].name, hop)) {
            attempts += run->hops[i].attempts;
            found = 1;
        }
    return found ? (double)attempts / n : -1;
}

/* ejections or overflows summed over the hop's clusters; -1 when it has none. */
static double cluster_count(const struct rpt_run *run, const struct rpt_check *c)
{
    uint64_t n = 0;
    int found = 0;
    for (size_t i = 0; i < run->n_clusters; i++) {
        const struct rpt_cluster *cl = &run->clusters[i];
        if (!cluster_in_hop(cl->name, c->hop)) continue;
        found = 1;
        n += c->metric == RPT_M_EJECTIONS ? cl->ejections
                                          : cl->rq_overflow + cl->rq_pending_overflow;
    }
    return found || !c->hop ? (double)n : -1;
}

/* The series a window check reads, or NULL. */
static const struct rpt_series *check_series(const struct rpt_run *run, const struct rpt_check *c)
{
    const struct rpt_series_set *set = &run->series;
    if (!set->window_ns) return NULL;
    if (c->scope == RPT_SCOPE_ALL) return &set->all;
    const struct rpt_series *v = c->scope == RPT_SCOPE_ROUTE  ? set->routes
                                 : c->scope == RPT_SCOPE_EDGE ? set->edges
                                                              : set->services;
    size_t n = c->scope == RPT_SCOPE_ROUTE  ? set->n_routes
               : c->scope == RPT_SCOPE_EDGE ? set->n_edges
                                            : set->n_services;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, c->target)) return &v[i];
    return NULL;
}

/* A window's figure for m: what points keep (p50, p95, p99, error_rate, amplification, count). */
static double point_value(const struct rpt_point *p, enum rpt_metric m)
{
    FL_ASSERT(p->count > 0);
    switch (m) {
    case RPT_M_P50: return (double)p->p50_ns;
    case RPT_M_P95: return (double)p->p95_ns;
    case RPT_M_P99: return (double)p->p99_ns;
    case RPT_M_ERROR_RATE: return (double)p->errors / (double)p->count;
    case RPT_M_RETRY_AMPLIFICATION: return (double)p->tries / (double)p->count;
    case RPT_M_COUNT: return (double)p->count;
    default: break;
    }
    FL_ASSERT(!"metric without a window figure (the loader refuses it)");
    return 0;
}

static void fmt_value(char *buf, size_t size, enum rpt_metric m, double v)
{
    if (rpt_metric_is_duration(m))
        fl_format_duration((int64_t)(v + 0.5), buf, size);
    else if (rpt_metric_is_fraction(m))
        snprintf(buf, size, "%.4g%%", 100.0 * v);
    else
        snprintf(buf, size, "%.4g", v);
}

#define REPORT_WINDOWS 5 /* bad windows a failure report names */

/*
 * Judges the windows of c's series that end after from_ns and begin before
 * the workloads stop; a window out of bounds that ends more than grace_ns
 * after from_ns breaks the check. Sets evaluated, ok, value (the worst
 * judged window), recovered_ns and, when it fails, a report naming the
 * windows; lead is the report's first words.
 */
static void eval_windows(const struct rpt_run *run, struct rpt_check *c, int64_t from_ns,
                         int64_t grace_ns, const char *lead)
{
    const struct rpt_series *s = check_series(run, c);
    FL_ASSERT(s && grace_ns >= 0);
    int64_t w = run->series.window_ns;
    char *text = fl_strdup("");
    size_t named = 0, bad = 0;
    int64_t last_bad_end = from_ns;
    double worst = 0;
    int have_worst = 0;
    for (size_t k = 0; k < s->n_pts; k++) {
        int64_t t0 = (int64_t)k * w, t1 = t0 + w;
        const struct rpt_point *p = &s->pts[k];
        if (t1 <= from_ns || t0 >= c->end_ns || !p->count) continue;
        c->evaluated = 1;
        double v = point_value(p, c->metric);
        int late = t1 - from_ns > grace_ns, upper = c->op == RPT_LT || c->op == RPT_LE;
        if (late && (!have_worst || (upper ? v > worst : v < worst))) {
            worst = v; /* the value nearest to breaking the bound where it must hold */
            have_worst = 1;
        }
        if (compare(v, c->op, c->threshold)) continue;
        last_bad_end = t1;
        if (!late) continue;
        bad++;
        if (named++ >= REPORT_WINDOWS) continue;
        char a[32], b[32], val[32];
        fl_format_duration(t0, a, sizeof a);
        fl_format_duration(t1, b, sizeof b);
        fmt_value(val, sizeof val, c->metric, v);
        char *next = fl_asprintf("%s%s%s-%s (%s %s)", text, *text ? ", " : "", a, b,
                                 rpt_metric_name(c->metric), val);
        free(text);
        text = next;
    }
    c->recovered_ns = last_bad_end - from_ns;
    c->value = worst;
    c->ok = c->evaluated && !bad;
    if (!c->evaluated)
        c->report = fl_strdup("no request ended in the windows judged");
    else if (!c->ok)
        c->report = fl_asprintf("%s%zu window%s broke the bound: %s%s", lead, bad,
                                bad == 1 ? "" : "s", text, bad > REPORT_WINDOWS ? ", ..." : "");
    free(text);
}

/* recovers_within: see the head of this file. */
static void eval_recovery(const struct rpt_run *run, struct rpt_check *c)
{
    FL_ASSERT(c->within_ns > 0 && c->after >= 0);
    c->recovered_ns = -1;
    if (!check_series(run, c) || c->fault_end_ns < 0) {
        c->report = fl_strdup(!check_series(run, c) ? "no series: the run recorded no windows"
                                                    : "the fault never ended");
        return;
    }
    char e[32];
    fl_format_duration(c->fault_end_ns, e, sizeof e);
    char *lead = fl_asprintf("the fault ended at %s; after it, ", e);
    eval_windows(run, c, c->fault_end_ns, c->within_ns, lead);
    free(lead);
}

/* An edge's whole-run figure, from its windows' counts; -1 when it saw no request. */
static double edge_value(const struct rpt_run *run, const struct rpt_check *c)
{
    const struct rpt_series *s = check_series(run, c);
    uint64_t n = 0, errors = 0, tries = 0, c4 = 0, c5 = 0;
    for (size_t k = 0; s && k < s->n_pts; k++) {
        n += s->pts[k].count;
        errors += s->pts[k].errors;
        tries += s->pts[k].tries;
        c4 += s->pts[k].classes[RPT_CLASS_4XX];
        c5 += s->pts[k].classes[RPT_CLASS_5XX];
    }
    if (!n) return -1;
    switch (c->metric) {
    case RPT_M_COUNT: return (double)n;
    case RPT_M_ERROR_RATE: return (double)errors / (double)n;
    case RPT_M_RETRY_AMPLIFICATION: return (double)tries / (double)n;
    case RPT_M_SHARE_4XX: return (double)c4 / (double)n;
    case RPT_M_SHARE_5XX: return (double)c5 / (double)n;
    default: break;
    }
    FL_ASSERT(!"edge metric the loader refuses");
    return -1;
}

static void eval_one(const struct rpt_run *run, struct rpt_check *c)
{
    free(c->report);
    c->report = NULL;
    c->evaluated = 0;
    c->ok = 0;
    c->value = 0;
    if (c->within_ns > 0) {
        eval_recovery(run, c);
        return;
    }
    if (c->every_window) {
        if (check_series(run, c))
            eval_windows(run, c, 0, 0, "");
        else
            c->report = fl_strdup("no series: the run recorded no windows");
        return;
    }
    double v = -1;
    if (c->scope == RPT_SCOPE_EDGE) {
        v = edge_value(run, c);
    } else if (c->metric == RPT_M_EJECTIONS || c->metric == RPT_M_OVERFLOWS) {
        v = cluster_count(run, c);
    } else if (c->hop) {
        v = rpt_hop_amplification(run, c->hop);
    } else {
        const struct rpt_stats *s = check_target(run, c);
        if (s && s->count > 0) v = metric_value(s, c->metric);
    }
    c->evaluated = v >= 0;
    c->value = c->evaluated ? v : 0.0;
    if (!c->evaluated && c->hop)
        c->report = fl_asprintf("no request, or no hop or proxy cluster called '%s'", c->hop);
    c->ok = c->evaluated && compare(c->value, c->op, c->threshold);
}

size_t rpt_checks_eval(struct rpt_run *run)
{
    size_t failed = 0;
    for (size_t i = 0; i < run->n_checks; i++) {
        eval_one(run, &run->checks[i]);
        if (!run->checks[i].ok) failed++;
    }
    return failed;
}
