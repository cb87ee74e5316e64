/*
 * results.c - the names of outcomes and the life cycle of a run's
 * figures (see results.h).
 *
 * Not here: recording (inline in results.h), evaluating the checks
 * (checks.c), printing (summary.c).
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
    FL_ASSERT(s);
    memset(s, 0, sizeof *s);
    s->name = name ? fl_strdup(name) : NULL;
    rpt_hist_init(&s->hist);
    FL_ASSERT(s->count == 0 && s->hist.count == 0 && s->hist.n_buckets);
}

void rpt_stats_free(struct rpt_stats *s)
{
    FL_ASSERT(s && s->errors <= s->count);
    free(s->name);
    rpt_hist_free(&s->hist);
    memset(s, 0, sizeof *s);
}

static void service_free(struct rpt_service *sv)
{
    FL_ASSERT(sv->pods || !sv->n_pods);
    for (size_t i = 0; i < sv->n_pods; i++) {
        free(sv->pods[i].name);
        free(sv->pods[i].version);
    }
    free(sv->pods);
    rpt_stats_free(&sv->st);
}

void rpt_run_free(struct rpt_run *run)
{
    FL_ASSERT(run);
    FL_ASSERT(run->routes || !run->n_routes);
    FL_ASSERT(run->checks || !run->n_checks);
    free(run->scenario);

    for (size_t i = 0; i < run->n_retry_counts; i++) free(run->retry_counts[i].who);
    free(run->retry_counts);
    for (size_t i = 0; i < run->n_notes; i++) free(run->notes[i]);
    free(run->notes);
    for (size_t i = 0; i < run->n_warnings; i++) free(run->warnings[i]);
    free(run->warnings);
    /* all.hist holds no row when all was never initialised: nothing to free */
    rpt_stats_free(&run->all);
    for (size_t i = 0; i < run->n_routes; i++) rpt_stats_free(&run->routes[i]);
    free(run->routes);
    for (size_t i = 0; i < run->n_services; i++) service_free(&run->services[i]);
    free(run->services);
    for (size_t i = 0; i < run->n_checks; i++) {
        free(run->checks[i].target);
        free(run->checks[i].text);
        free(run->checks[i].hop);
        free(run->checks[i].report);
        if (run->checks[i].window_stats) rpt_stats_free(run->checks[i].window_stats);
        free(run->checks[i].window_stats);
    }
    free(run->checks);
    for (size_t i = 0; i < run->n_clusters; i++) free(run->clusters[i].name);
    free(run->clusters);
    fl_nameidx_free(&run->cluster_index);
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
    rpt_series_set_free(&run->series);
    free(run->requests);
    for (size_t i = 0; i < run->n_slowest; i++) rpt_slow_free(&run->slowest[i]);
    free(run->slowest);
    rpt_spans_free(&run->spans);
    for (size_t i = 0; i < run->n_hops; i++) free(run->hops[i].name);
    free(run->hops);
    for (size_t i = 0; i < run->n_observers; i++) free(run->observers[i]);
    free(run->observers);
    rpt_caches_free(run);
    for (size_t i = 0; i < run->n_edges; i++) rpt_stats_free(&run->edges[i]);
    free(run->edges);
    memset(run, 0, sizeof *run);
}

void rpt_run_add_request(struct rpt_run *run, const struct rpt_request *rq)
{
    FL_ASSERT(run && rq && rq->latency_ns >= 0 && rq->route < run->n_routes);
    if (!run->requests_every) run->requests_every = 1;
    if (run->requests_seen++ % run->requests_every) return;
    if (run->requests_max && run->n_requests == run->requests_max) {
        /* full: keep every other one (those whose place is a multiple of twice the step),
         * so the list stays one in requests_every of all, evenly, in bounded memory */
        size_t kept = 0;
        for (size_t i = 0; i < run->n_requests; i += 2) run->requests[kept++] = run->requests[i];
        run->n_requests = kept;
        run->requests_every *= 2;
        FL_ASSERT(kept * 2 >= run->requests_max && run->requests_every <= UINT32_MAX / 2);
        if ((run->requests_seen - 1) % run->requests_every) return;
    }
    if (run->n_requests == run->cap_requests) {
        run->cap_requests = run->cap_requests ? 2 * run->cap_requests : 1024;
        run->requests = fl_realloc(run->requests, run->cap_requests * sizeof *run->requests);
    }
    FL_ASSERT(run->n_requests < run->cap_requests);
    run->requests[run->n_requests++] = *rq;
}
