/*
 * istio_ingress.c - px_istio_build_ingress: the configuration of the
 * ingress gateway deployment that serves the Gateways, built as istiod
 * builds a gateway's routes (istio/istio pilot/pkg/networking/core
 * gateway.go buildGatewayHTTPRouteConfig):
 *
 *  - a VirtualService applies at a Gateway when its `gateways` name it
 *    ("NAME" in the VirtualService's namespace, or "NAMESPACE/NAME"); one
 *    without `gateways` applies to sidecars only (virtual_service.proto);
 *  - each of its hosts that a server's host matches becomes a domain of a
 *    virtual host, the narrower name of the two (a VirtualService "*"
 *    under a server "*.example.com" serves "*.example.com");
 *  - Envoy picks the virtual host by the most specific domain (exact
 *    names, then wildcard suffixes, longest first, then "*"): the virtual
 *    hosts are ordered so, since the engine takes the first that matches;
 *  - a request whose authority matches no domain gets 404 with flag NR
 *    (the engine's no-route answer);
 *  - routes are the VirtualService's, with the sidecars' defaults
 *    (Istio's default retry policy where a route sets none); clusters are
 *    the mesh's ("outbound|80||reviews"), with the DestinationRules
 *    applied, and reach the pods directly (the gateway is an Envoy of the
 *    mesh, it needs no sidecar).
 *
 * Not modeled: ports (every server shares the one listener the scenario's
 * workloads send to), TLS (istio_gateway.c), match-level `gateways`
 * (istio_vs.c keeps a match only if it lists "mesh" or nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

/* The narrower of a server host and a VirtualService host, or NULL if they do not meet. */
static const char *narrower(const char *server, const char *vs_host)
{
    if (px_istio_host_matches(server, vs_host)) return vs_host;
    if (px_istio_host_matches(vs_host, server)) return server;
    return NULL;
}

/* Exact names first, then wildcards by length (longest first), "*" last. */
static long specificity(const char *d)
{
    if (!strcmp(d, "*")) return 0;
    if (d[0] == '*') return (long)strlen(d);
    return 1L << 20;
}

struct dom {
    const struct px_istio_vs *vs;
    const char *domain;
};

static int seen(const struct dom *ds, size_t n, const struct px_istio_vs *v, const char *d)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ds[i].domain, d)) return 1; /* the first VirtualService keeps a domain */
    (void)v;
    return 0;
}

/* Every (VirtualService, domain) the Gateways serve, most specific domain first. */
static struct dom *domains(const struct px_istio *m, size_t *n_out)
{
    size_t cap = 1, n = 0;
    for (size_t i = 0; i < m->n_vs; i++) cap += m->vs[i].n_hosts;
    for (size_t g = 0; g < m->n_gateways; g++)
        for (size_t s = 0; s < m->gateways[g].n_servers; s++)
            cap += m->gateways[g].servers[s].n_hosts;
    cap *= cap;
    struct dom *ds = fl_calloc(cap, sizeof *ds);
    for (size_t g = 0; g < m->n_gateways; g++) {
        const struct px_istio_gateway *gw = &m->gateways[g];
        for (size_t i = 0; i < m->n_vs; i++) {
            const struct px_istio_vs *v = &m->vs[i];
            if (!v->n_routes || !px_istio_vs_bound(v, gw)) continue;
            for (size_t s = 0; s < gw->n_servers; s++)
                for (size_t sh = 0; sh < gw->servers[s].n_hosts; sh++)
                    for (size_t h = 0; h < v->n_hosts; h++) {
                        const char *d = narrower(gw->servers[s].hosts[sh], v->hosts[h]);
                        if (!d || seen(ds, n, v, d)) continue;
                        FL_ASSERT(n < cap);
                        ds[n++] = (struct dom){v, d};
                    }
        }
    }
    for (size_t i = 1; i < n; i++) /* insertion sort: stable, so deterministic */
        for (size_t k = i; k > 0 && specificity(ds[k].domain) > specificity(ds[k - 1].domain);
             k--) {
            struct dom t = ds[k];
            ds[k] = ds[k - 1];
            ds[k - 1] = t;
        }
    *n_out = n;
    return ds;
}

int px_istio_build_ingress(const struct px_istio *m, const char *name,
                           const struct px_mesh_service *services, size_t n_services,
                           struct px_proxy_cfg *out, char **err)
{
    FL_ASSERT(m && name && out && err);
    memset(out, 0, sizeof *out);
    out->name = fl_strdup(name);
    out->kind = PX_PROXY_GATEWAY;
    px_cost_default(&out->cost);
    out->workers = 2;
    out->envoy_headers = 1;
    if (px_istio_check_refs(m, services, n_services, err)) {
        px_proxy_cfg_free(out);
        return -1;
    }
    size_t *first = fl_calloc(n_services + 1, sizeof *first);
    px_istio_build_clusters(m, services, n_services, out, first);
    size_t n = 0;
    struct dom *ds = domains(m, &n);
    out->vhosts = fl_calloc(n + 1, sizeof *out->vhosts);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct px_vhost_cfg *vh = &out->vhosts[out->n_vhosts++];
        vh->name = fl_asprintf("%s:%s", ds[i].domain, ds[i].vs->name);
        vh->domains = fl_calloc(1, sizeof *vh->domains);
        vh->domains[vh->n_domains++] = fl_strdup(ds[i].domain);
        rc = px_istio_vs_routes(m, services, n_services, first, ds[i].vs, out, vh, err);
    }
    free(ds);
    free(first);
    if (rc) px_proxy_cfg_free(out);
    return rc;
}
