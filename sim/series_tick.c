/*
 * series_tick.c - fills the run's time series (reports/series.h): the
 * requests as workloads, pods and apps' calls see them end, and at every
 * window boundary a reading of the proxies' cluster counters.
 *
 * The boundary timer is bookkeeping, not the model: it changes nothing
 * that the model does (the kernel orders events of one instant by when
 * they were posted, so other events keep their order), and its events
 * are left out of the run's `events` count, so a run's figures are the
 * same with series on or off (tested).
 *
 * Cost: with one route, the series of every request is that route's, and
 * with one workload its edge's is too: they are copied at the end rather
 * than recorded twice (bench/bench.sh measures the cost of series).
 *
 * Series are recorded when the scenario's report.series is on, or when
 * an assertion judges windows or edges (recovers_within, every_window,
 * edge); in the second case they are not written out.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/series.h"

static int needs_windows(const struct sim_scenario *sc)
{
    for (size_t i = 0; i < sc->n_checks; i++)
        if (sc->checks[i].within_ns > 0 || sc->checks[i].every_window ||
            sc->checks[i].scope == RPT_SCOPE_EDGE)
            return 1;
    return 0;
}

/* Reads every proxy cluster's counters into its series' window k. */
static void read_clusters(struct sim_world *w, size_t k)
{
    struct rpt_run now;
    memset(&now, 0, sizeof now);
    sim_mesh_clusters_into(w, &now);
    for (size_t i = 0; i < now.n_clusters; i++) {
        const struct rpt_cluster *c = &now.clusters[i];
        struct rpt_cpoint p = {c->rq_total, c->rq_retry, c->rq_overflow + c->rq_pending_overflow,
                               c->rq_timeout + c->rq_per_try_timeout, c->ejections};
        rpt_cseries_tick(rpt_cseries_get(w->series->set, c->name), k, &p);
        free(now.clusters[i].name);
    }
    free(now.clusters);
    fl_nameidx_free(&now.cluster_index);
}

static void on_tick(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_series *s = w->series;
    FL_ASSERT(s && t == &s->tick);
    s->ticks++;
    int64_t win = s->set->window_ns, now = sim_now(k);
    FL_ASSERT(now % win == 0 && now > 0);
    read_clusters(w, (size_t)(now / win) - 1);
    sim_timer_arm(k, t, now + win);
}

/* The edges: every workload to its target, every service to those it calls. */
static void add_edges(struct sim_world *w)
{
    const struct sim_scenario *sc = w->sc;
    struct sim_series *s = w->series;
    s->client_edge = fl_calloc(w->n_clients ? w->n_clients : 1, sizeof *s->client_edge);
    for (uint32_t i = 0; i < w->n_clients; i++) {
        const struct sim_workload_cfg *cfg = w->clients[i].cfg;
        const char *to = cfg->target < 0 ? "gateway" : sc->services[cfg->target].name;
        s->client_edge[i] = (int)(rpt_series_edge(s->set, cfg->name, to) - s->set->edges);
    }
    size_t n = sc->n_services;
    s->call_edge = fl_calloc(n ? n * n : 1, sizeof *s->call_edge);
    for (size_t i = 0; i < n * n; i++) s->call_edge[i] = -1;
    for (size_t a = 0; a < n; a++)
        for (size_t v = 0; v < sc->services[a].n_versions; v++) {
            const struct sim_version_cfg *ver = &sc->services[a].versions[v];
            for (size_t c = 0; c < ver->n_calls; c++) {
                size_t b = (size_t)ver->calls[c].service;
                if (s->call_edge[a * n + b] >= 0) continue;
                struct rpt_series *e =
                    rpt_series_edge(s->set, sc->services[a].name, sc->services[b].name);
                s->call_edge[a * n + b] = (int)(e - s->set->edges);
                for (uint32_t i = 0; i < w->n_clients; i++) /* a workload named as a service */
                    if (s->client_edge[i] == s->call_edge[a * n + b]) s->edge_shared = 1;
            }
        }
}

void sim_series_init(struct sim_world *w)
{
    const struct sim_scenario *sc = w->sc;
    if (!sc->series && !needs_windows(sc)) return;
    FL_ASSERT(sc->window_ns > 0 && !w->series);
    struct rpt_series_set *set = &w->run->series;
    set->window_ns = sc->window_ns;
    set->output = sc->series;
    rpt_series_init(&set->all, "all");
    set->n_routes = sc->n_routes;
    set->routes = fl_calloc(sc->n_routes ? sc->n_routes : 1, sizeof *set->routes);
    for (size_t i = 0; i < sc->n_routes; i++) rpt_series_init(&set->routes[i], sc->routes[i]);
    set->n_services = sc->n_services;
    set->services = fl_calloc(sc->n_services ? sc->n_services : 1, sizeof *set->services);
    for (size_t i = 0; i < sc->n_services; i++)
        rpt_series_init(&set->services[i], sc->services[i].name);
    w->series = fl_calloc(1, sizeof *w->series);
    w->series->set = set;
    add_edges(w);
    /* whole-run figures per edge, for the service graph (reports/topology.h) */
    w->run->n_edges = set->n_edges;
    w->run->edges = fl_calloc(set->n_edges ? set->n_edges : 1, sizeof *w->run->edges);
    for (size_t i = 0; i < set->n_edges; i++) rpt_stats_init(&w->run->edges[i], set->edges[i].name);
    sim_timer_init(&w->series->tick, on_tick, w);
    sim_timer_arm(&w->k, &w->series->tick, sc->window_ns);
}

void sim_series_request(struct sim_world *w, const struct sim_client *cl, int route,
                        int64_t latency_ns, int outcome, uint32_t tries)
{
    struct sim_series *s = w->series;
    int64_t win = s->set->window_ns, now = sim_now(&w->k);
    FL_ASSERT(route >= 0 && (size_t)route < s->set->n_routes);
    rpt_series_record(&s->set->routes[route], win, now, latency_ns, outcome, tries);
    if (s->set->n_routes > 1) rpt_series_record(&s->set->all, win, now, latency_ns, outcome, tries);
    uint32_t i = (uint32_t)(cl - w->clients);
    FL_ASSERT(w->run->n_edges == s->set->n_edges && (size_t)s->client_edge[i] < s->set->n_edges);
    rpt_stats_record(&w->run->edges[s->client_edge[i]], latency_ns, outcome, tries);
    if (w->n_clients > 1 || s->edge_shared)
        rpt_series_record(&s->set->edges[s->client_edge[i]], win, now, latency_ns, outcome, tries);
}

void sim_series_service(struct sim_world *w, uint32_t svc, int64_t latency_ns, int outcome)
{
    struct sim_series *s = w->series;
    FL_ASSERT(svc < s->set->n_services);
    rpt_series_record(&s->set->services[svc], s->set->window_ns, sim_now(&w->k), latency_ns,
                      outcome, 1);
}

void sim_series_call(struct sim_world *w, uint32_t caller_svc, uint32_t callee_svc,
                     int64_t latency_ns, int outcome)
{
    struct sim_series *s = w->series;
    size_t n = w->sc->n_services;
    FL_ASSERT(caller_svc < n && callee_svc < n);
    int e = s->call_edge[caller_svc * n + callee_svc];
    FL_ASSERT(e >= 0);
    rpt_stats_record(&w->run->edges[e], latency_ns, outcome, 1);
    rpt_series_record(&s->set->edges[e], s->set->window_ns, sim_now(&w->k), latency_ns, outcome, 1);
}

void sim_series_finish(struct sim_world *w)
{
    struct sim_series *s = w->series;
    if (!s) return;
    int64_t win = s->set->window_ns, now = sim_now(&w->k);
    size_t n = (size_t)(now / win) + (now % win ? 1 : 0); /* windows up to the last instant */
    if (n == 0) n = 1;
    sim_timer_cancel(&w->k, &s->tick);
    if (s->ticks < n) read_clusters(w, n - 1); /* the last, partial window */
    rpt_series_finish(s->set, n);
    if (s->set->n_routes == 1) rpt_series_copy_points(&s->set->all, &s->set->routes[0]);
    if (w->n_clients == 1 && !s->edge_shared)
        rpt_series_copy_points(&s->set->edges[s->client_edge[0]], &s->set->all);
}

void sim_series_free(struct sim_world *w)
{
    if (!w->series) return;
    free(w->series->client_edge);
    free(w->series->call_edge);
    free(w->series);
    w->series = NULL;
}

uint64_t sim_series_events(const struct sim_world *w)
{
    return w->series ? w->series->ticks : 0;
}
