/*
 * endpoints.c - a service's endpoints as callers see them (endpoints.h).
 *
 * A change reaches every proxy at once (the propagation delay is counted
 * before, in sim/pods.c): each cluster endpoint addressed to the pod's
 * node is marked in or out of the host set with px_proxy_set_endpoint.
 * The pod's own sidecars are left alone (their inbound cluster is the
 * local app, not a discovered endpoint). kube-proxy (no sidecar):
 * sim_endpoints_pick skips withdrawn pods.
 */
#include "sim/endpoints.h"

#include "base/assert.h"
#include "proxies/proxy.h"
#include "sim/rt.h"
#include "sim/world.h"

void sim_endpoints_set(struct sim_world *w, uint32_t pod, int present)
{
    FL_ASSERT(pod < w->n_pods);
    struct sim_pod *p = &w->pods[pod];
    FL_ASSERT(p->withdrawn == present); /* a change, not a repeat */
    p->withdrawn = !present;
    for (size_t i = 0; i < w->n_proxies; i++) {
        struct sim_proxy *sp = w->proxies[i];
        if (sp->node == p->node || !sp->proxy) continue;
        /* only the clusters the proxy has created: the others will ask (endpoint_absent) */
        const uint32_t *used;
        size_t n_used = px_proxy_clusters_used(sp->proxy, &used);
        for (size_t u = 0; u < n_used; u++) {
            size_t c = used[u];
            FL_ASSERT(c < sp->cfg->n_clusters);
            const struct px_cluster_cfg *cl = &sp->cfg->clusters[c];
            for (size_t e = 0; e < cl->n_endpoints; e++)
                if ((uint32_t)(cl->endpoints[e].addr >> 16) == p->node)
                    px_proxy_set_endpoint(sp->proxy, c, e, present);
        }
    }
}

int sim_endpoints_absent(const struct sim_world *w, uint32_t viewer, uint32_t node)
{
    FL_ASSERT(w && viewer < w->n_nodes);
    if (node >= w->n_nodes || node == viewer) return 0;
    uint32_t pod = w->nodes[node].pod;
    FL_ASSERT(pod == UINT32_MAX || (pod < w->n_pods && w->pods[pod].node == node));
    return pod != UINT32_MAX && w->pods[pod].withdrawn;
}

uint32_t sim_endpoints_pick(struct sim_world *w, uint32_t service, struct fl_rng *rng)
{
    const struct sim_service *svc = &w->services[service];
    FL_ASSERT(svc->n_pods > 0);
    /* a lone pod: both cases below pick it, withdrawn or not, and draw nothing */
    if (svc->n_pods == 1) return svc->first_pod;
    uint32_t in = 0;
    for (uint32_t i = 0; i < svc->n_pods; i++) in += !w->pods[svc->first_pod + i].withdrawn;
    if (in == svc->n_pods || in == 0)
        return svc->first_pod + (uint32_t)fl_rng_below(rng, svc->n_pods); /* n_pods > 1 here */
    uint32_t k = in > 1 ? (uint32_t)fl_rng_below(rng, in) : 0;
    for (uint32_t i = 0; i < svc->n_pods; i++) {
        if (w->pods[svc->first_pod + i].withdrawn) continue;
        if (k-- == 0) return svc->first_pod + i;
    }
    FL_ASSERT(!"a pod in the endpoints was counted");
    return svc->first_pod;
}
