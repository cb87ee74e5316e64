/*
 * results.c - names of outcomes and metrics, the life cycle of a run's
 * figures, and the evaluation of the scenario's checks (see results.h).
 *
 * A check looks up its target by name (routes and services are few; a
 * linear search is fine and keeps the order of the arrays the only order),
 * reads one figure, and compares it with the threshold. A target that does
 * not exist or saw no request cannot be judged: the check is marked not
 * evaluated and counts as failed, so an assertion about a misspelt route
 * never passes silently.
 *
 * Not here: recording (inline in results.h), printing (summary.c).
 */
#include "reports/results.h"

#include "reports/cache.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

const char *rpt_fail_name(int code)
{
    switch (code) {
    case RPT_FAIL_TIMEOUT: return "timeout";
    case RPT_FAIL_CONNECT: return "connect-failure";
    case RPT_FAIL_RESET: return "reset";
    case RPT_FAIL_UNFINISHED: return "unfinished";
    case RPT_FAIL_THROTTLED: return "throttled";
    case RPT_FAIL_DNS: return "dns";
    default: return NULL;
    }
}

void rpt_stats_init(struct rpt_stats *s, const char *name)
{
    memset(s, 0, sizeof *s);
    s->name = name ? fl_strdup(name) : NULL;
    rpt_hist_init(&s->hist);
}

void rpt_stats_free(struct rpt_stats *s)
{
    free(s->name);
    rpt_hist_free(&s->hist);
    memset(s, 0, sizeof *s);
}

static void service_free(struct rpt_service *sv)
{
    for (size_t i = 0; i < sv->n_pods; i++) {
        free(sv->pods[i].name);
        free(sv->pods[i].version);
    }
    free(sv->pods);
    rpt_stats_free(&sv->st);
}

void rpt_run_free(struct rpt_run *run)
{
    free(run->scenario);
    for (size_t i = 0; i < run->n_retry_counts; i++) free(run->retry_counts[i].who);
    free(run->retry_counts);
    for (size_t i = 0; i < run->n_notes; i++) free(run->notes[i]);
    free(run->notes);
    for (size_t i = 0; i < run->n_warnings; i++) free(run->warnings[i]);
    free(run->warnings);
    /* all.hist.buckets is NULL when all was never initialised: nothing to free */
    rpt_stats_free(&run->all);
    for (size_t i = 0; i < run->n_routes; i++) rpt_stats_free(&run->routes[i]);
    free(run->routes);
    for (size_t i = 0; i < run->n_services; i++) service_free(&run->services[i]);
    free(run->services);
    for (size_t i = 0; i < run->n_checks; i++) {
        free(run->checks[i].target);
        free(run->checks[i].text);
        if (run->checks[i].window_stats) rpt_stats_free(run->checks[i].window_stats);
        free(run->checks[i].window_stats);
    }
    free(run->checks);
    for (size_t i = 0; i < run->n_clusters; i++) free(run->clusters[i].name);
    free(run->clusters);
    for (size_t i = 0; i < run->n_timeline; i++) {
        struct rpt_event *e = &run->timeline[i];
        free(e->what);
        free(e->subject);
        free(e->detail);
        free(e->proxy);
        free(e->cluster);
        free(e->host);
    }
    free(run->timeline);
    for (size_t i = 0; i < run->n_observers; i++) free(run->observers[i]);
    free(run->observers);
    rpt_caches_free(run);
    memset(run, 0, sizeof *run);
}

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
    }
    FL_ASSERT(!"unknown check scope");
    return NULL;
}

/* The figure m of s (count > 0): ns for durations, a fraction, a ratio or a count. */
static double metric_value(const struct rpt_stats *s, enum rpt_metric m)
{
    switch (m) {
    case RPT_M_P50: return (double)rpt_hist_quantile(&s->hist, 0.50);
    case RPT_M_P90: return (double)rpt_hist_quantile(&s->hist, 0.90);
    case RPT_M_P95: return (double)rpt_hist_quantile(&s->hist, 0.95);
    case RPT_M_P99: return (double)rpt_hist_quantile(&s->hist, 0.99);
    case RPT_M_P999: return (double)rpt_hist_quantile(&s->hist, 0.999);
    case RPT_M_MEAN: return rpt_hist_mean(&s->hist);
    case RPT_M_MIN: return (double)s->hist.min;
    case RPT_M_MAX: return (double)s->hist.max;
    case RPT_M_ERROR_RATE: return (double)s->errors / (double)s->count;
    case RPT_M_RETRY_AMPLIFICATION: return (double)s->tries / (double)s->count;
    case RPT_M_COUNT: return (double)s->count;
    }
    FL_ASSERT(!"unknown metric");
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

size_t rpt_checks_eval(struct rpt_run *run)
{
    size_t failed = 0;
    for (size_t i = 0; i < run->n_checks; i++) {
        struct rpt_check *c = &run->checks[i];
        const struct rpt_stats *s = check_target(run, c);
        c->evaluated = s && s->count > 0;
        c->value = c->evaluated ? metric_value(s, c->metric) : 0.0;
        c->ok = c->evaluated && compare(c->value, c->op, c->threshold);
        if (!c->ok) failed++;
    }
    return failed;
}
