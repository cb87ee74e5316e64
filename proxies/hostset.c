/*
 * hostset.c - changes to a cluster's host set while the proxy runs: an
 * endpoint withdrawn (a pod being deleted, as the Kubernetes endpoints
 * controller and then EDS tell it) or added back (its replacement ready).
 *
 * Envoy: a host removed by EDS leaves the priority set at once
 * (source/common/upstream/upstream_impl.cc updateDynamicHostList): the load
 * balancers no longer see it; requests already assigned to it continue on
 * their connections. Kong: the upstream's targets are the balancer's
 * hosts (kong/runloop/balancer/targets.lua), the same in effect.
 */
#include "base/assert.h"
#include "proxies/lb.h"
#include "proxies/proxy_internal.h"

void px_proxy_set_endpoint(struct px_proxy *p, size_t i, size_t h, int present)
{
    FL_ASSERT(p && i < p->n_clusters);
    struct cluster *cl = px_cluster_find(p, (uint32_t)i);
    FL_ASSERT(h < p->cfg->clusters[i].n_endpoints);
    if (!cl) return; /* not created yet: it will start from the runtime's view (rt.h) */
    cl->lbh[h].absent = present ? 0 : 1;
}
