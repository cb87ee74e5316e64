/*
 * amplify.c - retry amplification per hop: how many attempts each proxy
 * hop sent upstream per client request, and how many attempts reached
 * the services that call no other (end to end).
 *
 * A hop is a proxy cluster row of the results (its counters summed over
 * every proxy that has it: "gateway billing", "sidecar reviews"); the
 * gateway's rows together make the hop "gateway" (reports/checks.c).
 * Envoy counts every attempt in upstream_rq_total and each retry in
 * upstream_rq_retry (Envoy docs, "cluster statistics"), and so do our
 * proxies (proxies/upstream.c). Requests sent before the end of warmup
 * are not in the client's figures, so the counters are read once when
 * warmup ends and that reading is taken off the end figures.
 *
 * Inbound sidecars forward each request once: they are not a hop.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/series.h"

struct sim_amplify {
    struct sim_timer at_warmup;
    struct rpt_run base; /* the cluster rows at the end of warmup */
    int read;
};

static void on_warmup(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    FL_ASSERT(w->amp && t == &w->amp->at_warmup && !w->amp->read);
    sim_mesh_clusters_into(w, &w->amp->base);
    w->amp->read = 1;
}

void sim_amplify_init(struct sim_world *w)
{
    FL_ASSERT(!w->amp);
    w->amp = fl_calloc(1, sizeof *w->amp);
    if (!w->sc->warmup_ns || !w->n_proxies) return;
    sim_timer_init(&w->amp->at_warmup, on_warmup, w);
    sim_timer_arm(&w->k, &w->amp->at_warmup, w->sc->warmup_ns);
}

static const struct rpt_cluster *base_row(const struct sim_amplify *a, const char *name)
{
    FL_ASSERT(a && name);
    long at = fl_nameidx_get(&a->base.cluster_index, name);
    return at >= 0 ? &a->base.clusters[at] : NULL;
}

/* 1 for a service none of whose versions calls another. */
static int is_leaf(const struct sim_service_cfg *s)
{
    for (size_t v = 0; v < s->n_versions; v++)
        if (s->versions[v].n_calls) return 0;
    return 1;
}

void sim_amplify_results(struct sim_world *w)
{
    struct rpt_run *run = w->run;
    FL_ASSERT(w->amp && !run->hops);
    run->hops = fl_calloc(run->n_clusters ? run->n_clusters : 1, sizeof *run->hops);
    for (size_t i = 0; i < run->n_clusters; i++) {
        const struct rpt_cluster *c = &run->clusters[i];
        if (!strcmp(c->name, "sidecar inbound")) continue;
        const struct rpt_cluster *b = base_row(w->amp, c->name);
        uint64_t total = c->rq_total - (b ? b->rq_total : 0);
        uint64_t retry = c->rq_retry - (b ? b->rq_retry : 0);
        FL_ASSERT(retry <= total);
        if (!total) continue;
        struct rpt_hop *h = &run->hops[run->n_hops++];
        h->name = fl_strdup(c->name);
        h->attempts = total;
        h->retries = retry;
    }
    for (size_t i = 0; i < w->sc->n_services; i++)
        if (is_leaf(&w->sc->services[i])) run->leaf_arrivals += run->services[i].st.count;
}

uint64_t sim_amplify_events(const struct sim_world *w)
{
    return w->amp && w->amp->read ? 1 : 0;
}

void sim_amplify_free(struct sim_world *w)
{
    if (!w->amp) return;
    for (size_t i = 0; i < w->amp->base.n_clusters; i++) free(w->amp->base.clusters[i].name);
    free(w->amp->base.clusters);
    fl_nameidx_free(&w->amp->base.cluster_index);
    free(w->amp);
    w->amp = NULL;
}
