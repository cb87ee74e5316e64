/*
 * istio_build.c - px_istio_build_outbound and px_istio_default_retry:
 * Istio's resources, as istio_parse.c read them, built into a sidecar's
 * outbound configuration with Istio's defaults (see istio.h).
 *
 * Building follows istiod (istio/istio pilot/pkg/networking/core):
 *  - route/retry/retry.go: with no `retries`, DefaultPolicy (2 retries on
 *    connect-failure, refused-stream, unavailable, cancelled and
 *    retriable-status-codes with RetriableStatusCodes [503], previous_hosts
 *    predicate, 5 host selection attempts, Envoy's 25 ms backoff);
 *    `retries` with attempts 0 means no retries; otherwise the default with
 *    attempts, retryOn (bare status codes allowed; a retryOn replaces both
 *    retry_on and the codes, none keeps the default's), perTryTimeout,
 *    retryIgnorePreviousHosts and backoff applied.
 *  - route/route.go: the timeout is none unless set (setTimeout); a
 *    VirtualService's http routes in order, one route per match (any one
 *    matches), or, for a service without one (or whose VirtualService has
 *    no http route for sidecars), istiod's default route to the service
 *    with the default retry policy; a match bound to gateways without
 *    "mesh" is dropped; a
 *    single destination takes all traffic, several share it by weight with
 *    weight-0 ones left out; fault percentages absent mean 0% (TranslateFault).
 *  - cluster_traffic_policy.go: circuit breakers 2^32-1 unless the pool
 *    says otherwise; connectTimeout 10 s (mesh default); LEAST_REQUEST
 *    unless loadBalancer.simple says otherwise (defaultLBAlgorithm); with
 *    outlierDetection: success-rate ejection off, consecutive5xxErrors and
 *    consecutiveGatewayErrors enforced at 100% when above 0, and
 *    minHealthPercent (default 0) as the panic threshold; without it,
 *    Envoy's defaults (no detection; panic at 50%, which only detection
 *    could reach).
 *  - util.go MergeTrafficPolicy: a subset's loadBalancer, connectionPool or
 *    outlierDetection replaces the DestinationRule's one as a whole.
 *  - Clusters are named as istiod names them, "outbound|80||reviews" and
 *    "outbound|80|v1|reviews", with the short host (the model's services
 *    have one port, 80); a subset's endpoints are those carrying all its
 *    labels. An external service gets a cluster only where a ServiceEntry
 *    names its host ("outbound|PORT||api.example.com", the entry's first
 *    HTTP port); without one, istiod has no route for it and the call
 *    follows outboundTrafficPolicy (hidden_route: PassthroughCluster or
 *    the 502 BlackHole route).
 *  - A VirtualService applies to sidecars when it has no `gateways` or
 *    lists "mesh" (virtual_service.proto); one bound to Gateways is built
 *    for the ingress gateway by istio_ingress.c.
 *  - Per the proto ("timeouts or retries will not be enabled when faults
 *    are enabled on the client side"), a route with a fault gets neither
 *    retries nor a timeout.
 *
 * References are checked first: every host must be a service of the
 * mesh, every subset defined by the host's DestinationRule. The scenario
 * loader has already run px_istio_resolve (istio_resolve.c), which reports
 * these mistakes located in the Istio files and leaves out the rules for
 * hosts not modeled; the checks here keep the builder safe on its own.
 *
 * Not here: namespaces beyond the resources' own (services live in one);
 * several VirtualServices or DestinationRules for one host (refused:
 * istiod would pick by age).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

#define S INT64_C(1000000000)

/*
 * Istio's retry policy for routes that set none (istio/istio
 * pilot/pkg/networking/core/route/retry/retry.go DefaultPolicy: RetryOn
 * "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
 * RetriableStatusCodes [http.StatusServiceUnavailable], NumRetries 2, the
 * previous-hosts predicate, HostSelectionRetryMaxAttempts 5).
 */
void px_istio_default_retry(struct px_retry_policy *p)
{
    px_retry_policy_default(p); /* Envoy's 25 ms backoff */
    p->retry_on = PX_RETRY_CONNECT_FAILURE | PX_RETRY_REFUSED_STREAM | PX_RETRY_GRPC_UNAVAILABLE |
                  PX_RETRY_GRPC_CANCELLED | PX_RETRY_RETRIABLE_STATUS_CODES;
    p->codes[0] = 503;
    p->n_codes = 1;
    p->num_retries = 2;
    p->previous_hosts = 1;
    p->host_selection_attempts = 5;
    FL_ASSERT(p->n_codes <= PX_RETRY_CODES_MAX && p->base_ns > 0);
}

static int service_index(const struct px_mesh_service *svc, size_t n, const char *host)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(svc[i].name, host)) return (int)i;
    return -1;
}

static const struct px_istio_dr *dr_for(const struct px_istio *m, const char *host)
{
    for (size_t i = 0; i < m->n_dr; i++)
        if (!strcmp(m->dr[i].host, host)) return &m->dr[i];
    return NULL;
}

/*
 * The VirtualService routing host, or NULL. One without http routes for
 * sidecars (tcp only, or every match bound to gateways) builds no route,
 * and istiod skips it: the service keeps its default route.
 */
static const struct px_istio_vs *vs_for(const struct px_istio *m, const char *host)
{
    for (size_t i = 0; i < m->n_vs; i++)
        if (m->vs[i].n_routes && m->vs[i].mesh) /* bound to sidecars */
            for (size_t h = 0; h < m->vs[i].n_hosts; h++)
                if (!strcmp(m->vs[i].hosts[h], host)) return &m->vs[i];
    return NULL;
}

static int subset_index(const struct px_istio_dr *r, const char *name)
{
    for (size_t i = 0; r && i < r->n_subsets; i++)
        if (!strcmp(r->subsets[i].name, name)) return (int)i;
    return -1;
}

static int check_drs(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                     char **err)
{
    for (size_t i = 0; i < m->n_dr; i++) {
        const struct px_istio_dr *r = &m->dr[i];
        if (service_index(svc, n, r->host) < 0) {
            *err = fl_asprintf("DestinationRule '%s': host '%s' is not a service of the mesh",
                               r->name, r->host);
            return -1;
        }
        if (dr_for(m, r->host) != r) {
            *err = fl_asprintf("DestinationRules '%s' and '%s' both configure host '%s' (istiod "
                               "would pick by age): merge them",
                               dr_for(m, r->host)->name, r->name, r->host);
            return -1;
        }
    }
    return 0;
}

static int check_dest(const struct px_istio *m, const struct px_istio_vs *v,
                      const struct px_istio_dest *dst, const struct px_mesh_service *svc, size_t n,
                      char **err)
{
    if (service_index(svc, n, dst->host) < 0) {
        *err = fl_asprintf("VirtualService '%s': destination host '%s' is not a service of the "
                           "mesh",
                           v->name, dst->host);
        return -1;
    }
    int k = service_index(svc, n, dst->host);
    FL_ASSERT(k >= 0);
    if (svc[k].external && !px_istio_se_for(m, dst->host)) {
        *err = fl_asprintf("VirtualService '%s': destination host '%s' is outside the mesh and no "
                           "ServiceEntry names it",
                           v->name, dst->host);
        return -1;
    }
    if (dst->subset && subset_index(dr_for(m, dst->host), dst->subset) < 0) {
        *err = fl_asprintf("VirtualService '%s': service '%s' has no subset '%s' (no "
                           "DestinationRule defines it)",
                           v->name, dst->host, dst->subset);
        return -1;
    }
    return 0;
}

static int check_vss(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                     char **err)
{
    for (size_t i = 0; i < m->n_vs; i++) {
        const struct px_istio_vs *v = &m->vs[i];
        for (size_t h = 0; v->mesh && h < v->n_hosts; h++) {
            /* a host bound to gateways too may be a name outside the mesh */
            if (service_index(svc, n, v->hosts[h]) < 0 && v->n_gateways) continue;
            if (service_index(svc, n, v->hosts[h]) < 0) {
                *err = fl_asprintf("VirtualService '%s': host '%s' is not a service of the mesh",
                                   v->name, v->hosts[h]);
                return -1;
            }
            if (v->n_routes && vs_for(m, v->hosts[h]) != v) {
                *err = fl_asprintf("VirtualServices '%s' and '%s' both route host '%s' (istiod "
                                   "would use only the oldest): merge them",
                                   vs_for(m, v->hosts[h])->name, v->name, v->hosts[h]);
                return -1;
            }
        }
        for (size_t r = 0; r < v->n_routes; r++) {
            for (size_t k = 0; k < v->routes[r].n_dests; k++)
                if (check_dest(m, v, &v->routes[r].dests[k], svc, n, err)) return -1;
            for (size_t k = 0; k < v->routes[r].n_mirrors; k++)
                if (check_dest(m, v, &v->routes[r].mirrors[k].dest, svc, n, err)) return -1;
        }
    }
    return 0;
}

int px_istio_check_refs(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                        char **err)
{
    return check_drs(m, svc, n, err) || check_vss(m, svc, n, err) ? -1 : 0;
}

/* ---- clusters ---- */

static void copy_pool(struct px_istio_policy *dst, const struct px_istio_policy *src)
{
    dst->has_pool = src->has_pool;
    dst->has_max_connections = src->has_max_connections;
    dst->has_connect_timeout = src->has_connect_timeout;
    dst->has_pending = src->has_pending;
    dst->has_requests = src->has_requests;
    dst->has_retries = src->has_retries;
    dst->has_per_connection = src->has_per_connection;
    dst->max_connections = src->max_connections;
    dst->max_pending = src->max_pending;
    dst->max_requests = src->max_requests;
    dst->max_retries = src->max_retries;
    dst->max_per_connection = src->max_per_connection;
    dst->connect_timeout_ns = src->connect_timeout_ns;
}

/* MergeTrafficPolicy: each part a subset gives replaces the DestinationRule's as a whole. */
static struct px_istio_policy merge_policy(const struct px_istio_policy *top,
                                           const struct px_istio_policy *sub)
{
    struct px_istio_policy p = *top;
    if (sub->has_lb) {
        p.has_lb = 1;
        p.lb = sub->lb;
        p.hash = sub->hash;
        p.has_locality = sub->has_locality; /* inside loadBalancer: replaced with it */
        p.locality = sub->locality;
        p.ring_size_min = sub->ring_size_min;
        p.maglev_size = sub->maglev_size;
    }
    if (sub->has_budget) {
        p.has_budget = 1;
        p.budget_percent = sub->budget_percent;
        p.min_retry_concurrency = sub->min_retry_concurrency;
    }
    if (sub->has_pool) copy_pool(&p, sub);
    if (sub->has_outlier) {
        p.has_outlier = 1;
        p.outlier = sub->outlier;
        p.min_health_percent = sub->min_health_percent;
    }
    return p;
}

static void apply_policy(const struct px_istio_policy *p, struct px_cluster_cfg *cl)
{
    px_lb_cfg_envoy(&cl->lb);
    cl->lb.policy = p->has_lb ? p->lb : PX_LB_LEAST_REQUEST; /* istiod's defaultLBAlgorithm */
    px_breaker_cfg_istio(&cl->breaker);
    cl->connect_timeout_ns = 10 * S; /* MeshConfig connectTimeout */
    if (p->has_max_connections) cl->breaker.max_connections = p->max_connections;
    if (p->has_pending) cl->breaker.max_pending = p->max_pending;
    if (p->has_requests) cl->breaker.max_requests = p->max_requests;
    if (p->has_retries) cl->breaker.max_retries = p->max_retries;
    if (p->has_budget) { /* circuit_breaker.proto: a retry budget replaces max_retries */
        cl->breaker.budget = 1;
        cl->breaker.budget_percent = p->budget_percent;
        cl->breaker.min_retry_concurrency = p->min_retry_concurrency;
    }
    cl->hash = p->hash;
    /* locality load balancing: on by default (mesh localityLbSetting), failover needs outlier
     * detection (loadbalancer.go ApplyLocalityLoadBalancer) */
    if (p->has_locality)
        px_locality_cfg_copy(&cl->locality, &p->locality);
    else
        px_locality_cfg_default(&cl->locality);
    cl->locality.outlier = p->has_outlier;
    if (p->ring_size_min) cl->lb.ring_size_min = p->ring_size_min;
    if (p->maglev_size) cl->lb.maglev_size = p->maglev_size;
    if (p->has_connect_timeout) cl->connect_timeout_ns = p->connect_timeout_ns;
    if (p->has_per_connection) cl->max_requests_per_connection = p->max_per_connection;
    if (p->has_outlier) {
        cl->has_outlier = 1;
        cl->outlier = p->outlier;
        cl->lb.panic_threshold = p->min_health_percent; /* healthy_panic_threshold */
    }
}

static void endpoint_copy(const struct px_endpoint_cfg *src, struct px_endpoint_cfg *dst)
{
    *dst = *src;
    dst->name = fl_strdup(src->name);
    dst->locality = src->locality ? fl_strdup(src->locality) : NULL;
    dst->labels = fl_calloc(src->n_labels + 1, sizeof *dst->labels);
    for (size_t i = 0; i < src->n_labels; i++) {
        dst->labels[i].key = fl_strdup(src->labels[i].key);
        dst->labels[i].value = fl_strdup(src->labels[i].value);
    }
}

/* Whether an endpoint carries every label of a subset (none: every endpoint does). */
int px_istio_has_labels(const struct px_endpoint_cfg *e, const struct px_istio_subset *s)
{
    FL_ASSERT(e);
    for (size_t i = 0; s && i < s->n_labels; i++) {
        size_t k = 0;
        while (k < e->n_labels && (strcmp(e->labels[k].key, s->labels[i].key) ||
                                   strcmp(e->labels[k].value, s->labels[i].value)))
            k++;
        if (k == e->n_labels) return 0;
    }
    return 1;
}

/*
 * A service's port: 80 for the mesh's (the model's services have one), a
 * ServiceEntry's first HTTP port for an external one; 0 for an external
 * one that no ServiceEntry names (it has no cluster).
 */
static uint32_t service_port(const struct px_istio *m, const struct px_mesh_service *svc)
{
    if (!svc->external) return 80;
    const struct px_istio_se *se = px_istio_se_for(m, svc->name);
    return se ? se->port : 0;
}

static void cluster_cfg(const struct px_mesh_service *svc, uint32_t port,
                        const struct px_istio_subset *subset, const struct px_istio_policy *policy,
                        struct px_cluster_cfg *cl)
{
    memset(cl, 0, sizeof *cl);
    cl->name = fl_asprintf("outbound|%u|%s|%s", port, subset ? subset->name : "", svc->name);
    apply_policy(policy, cl);
    cl->endpoints = fl_calloc(svc->n_endpoints + 1, sizeof *cl->endpoints);
    for (size_t i = 0; i < svc->n_endpoints; i++)
        if (px_istio_has_labels(&svc->endpoints[i], subset))
            endpoint_copy(&svc->endpoints[i], &cl->endpoints[cl->n_endpoints++]);
    FL_ASSERT(cl->n_endpoints <= svc->n_endpoints);
}

/*
 * One cluster per service, then one per subset of its DestinationRule;
 * first[i] is the service's (SIZE_MAX for an external service without a
 * ServiceEntry: the sidecars know nothing of it).
 */
void px_istio_build_clusters(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                             struct px_proxy_cfg *out, size_t *first)
{
    static const struct px_istio_policy none;
    size_t total = n;
    for (size_t i = 0; i < n; i++) {
        const struct px_istio_dr *r = dr_for(m, svc[i].name);
        total += r ? r->n_subsets : 0;
    }
    out->clusters = fl_calloc(total + 1, sizeof *out->clusters);
    for (size_t i = 0; i < n; i++) {
        const struct px_istio_dr *r = dr_for(m, svc[i].name);
        const struct px_istio_policy *top = r ? &r->policy : &none;
        uint32_t port = service_port(m, &svc[i]);
        first[i] = port ? out->n_clusters : SIZE_MAX;
        if (!port) continue;
        cluster_cfg(&svc[i], port, NULL, top, &out->clusters[out->n_clusters++]);
        for (size_t s = 0; r && s < r->n_subsets; s++) {
            struct px_istio_policy p = merge_policy(top, &r->subsets[s].policy);
            cluster_cfg(&svc[i], port, &r->subsets[s], &p, &out->clusters[out->n_clusters++]);
        }
    }
    FL_ASSERT(out->n_clusters <= total);
}

/* ---- routes ---- */

struct bctx {
    const struct px_istio *m;
    const struct px_mesh_service *svc;
    size_t n_svc;
    const size_t *first; /* each service's cluster */
    struct px_proxy_cfg *out;
};

static uint32_t dest_cluster(const struct bctx *b, const struct px_istio_dest *d)
{
    int i = service_index(b->svc, b->n_svc, d->host);
    /* check_dest made sure the host is a service with a cluster, and the subset is defined */
    FL_ASSERT(i >= 0 && b->first[i] != SIZE_MAX);
    size_t c = b->first[i];
    if (d->subset) c += 1 + (size_t)subset_index(dr_for(b->m, d->host), d->subset);
    FL_ASSERT(!d->subset || subset_index(dr_for(b->m, d->host), d->subset) >= 0);
    return (uint32_t)c;
}

/* Destinations: one takes everything; several share by weight, weight 0 left out. */
static void copy_ops(struct px_hdr_ops *dst, const struct px_hdr_ops *src)
{
    for (size_t i = 0; i < src->n; i++)
        px_hdr_ops_add(dst, src->ops[i].kind, src->ops[i].name, src->ops[i].value);
}

static void route_dests(const struct bctx *b, const struct px_istio_route *r,
                        struct px_route_cfg *rc)
{
    rc->dests = fl_calloc(r->n_dests + 1, sizeof *rc->dests);
    FL_ASSERT(rc->n_dests == 0 && rc->total_weight == 0);
    for (size_t i = 0; i < r->n_dests; i++) {
        uint32_t w = r->n_dests == 1 ? 100 : r->dests[i].weight;
        if (!w) continue;
        rc->dests[rc->n_dests].cluster = dest_cluster(b, &r->dests[i]);
        copy_ops(&rc->dests[rc->n_dests].req_headers, &r->dests[i].req_headers);
        copy_ops(&rc->dests[rc->n_dests].resp_headers, &r->dests[i].resp_headers);
        rc->dests[rc->n_dests++].weight = w;
        rc->total_weight += w;
    }
    FL_ASSERT(rc->n_dests <= r->n_dests);
}

/*
 * The route's corsPolicy and its redirect or direct response as the
 * route's policies: CORS first (Envoy's CORS filter comes before the fault
 * filter), the answer last (the router's), each a copy the configuration
 * owns.
 */
static void route_policies(const struct bctx *b, const struct px_istio_route *r,
                           struct px_route_cfg *rc)
{
    const struct px_edge *src[] = {r->cors, r->respond};
    struct px_proxy_cfg *out = b->out;
    struct px_edge_cfg e;
    memset(&e, 0, sizeof e);
    for (int i = 0; i < 2; i++) {
        if (!src[i]) continue;
        FL_ASSERT(out != NULL); /* the configuration the policies go into */
        struct px_edge *copy = fl_calloc(1, sizeof *copy);
        px_edge_copy(copy, src[i]);
        out->policies = fl_realloc(out->policies, (out->n_policies + 1) * sizeof *out->policies);
        out->policies[out->n_policies++] = copy;
        px_edge_cfg_push(&e, copy);
        e.n_early += i == 0;
    }
    FL_ASSERT(e.n_early <= e.n && e.n <= 2);
    if (!e.n) return;
    out->edges = fl_realloc(out->edges, (out->n_edges + 1) * sizeof *out->edges);
    out->edges[out->n_edges++] = e;
    rc->edge = (uint32_t)out->n_edges;
}

static int route_match(const struct px_istio_match *mt, struct px_route_cfg *rc, char **err)
{
    if (!mt) return px_match_init(&rc->path, PX_MATCH_PREFIX, "/", 0, err);
    FL_ASSERT(rc->n_methods == 0 && rc->n_headers == 0);
    if (px_match_init(&rc->path, mt->uri.kind, mt->uri.value, mt->uri.ignore_case, err)) return -1;
    rc->methods = fl_calloc(2, sizeof *rc->methods);
    if (mt->method.kind == PX_MATCH_EXACT)
        rc->methods[rc->n_methods++] = fl_strdup(mt->method.value);
    rc->headers = fl_calloc(mt->n_headers + 1, sizeof *rc->headers);
    for (size_t i = 0; i < mt->n_headers; i++) {
        const struct px_header_match *h = &mt->headers[i];
        struct px_header_match *o = &rc->headers[rc->n_headers++];
        o->name = fl_strdup(h->name);
        o->invert = h->invert;
        if (px_match_init(&o->m, h->m.kind, h->m.value, h->m.ignore_case, err)) return -1;
    }
    return 0;
}

static int route_cfg(const struct bctx *b, const struct px_istio_route *r,
                     const struct px_istio_match *mt, const char *name, struct px_route_cfg *rc,
                     char **err)
{
    memset(rc, 0, sizeof *rc);
    rc->rate_limit = -1;
    rc->name = fl_strdup(name);
    if (route_match(mt, rc, err)) return -1;
    route_dests(b, r, rc);
    rc->timeout_ns = r->has_timeout ? r->timeout_ns : 0; /* no route timeout unless set */
    rc->has_retry = 1;
    if (r->has_retries)
        rc->retry = r->retry;
    else
        px_istio_default_retry(&rc->retry);
    if (r->has_retries && r->retry.num_retries == 0) rc->has_retry = 0;
    if (r->has_fault) { /* virtual_service.proto: no timeouts or retries with client faults */
        rc->has_fault = 1;
        rc->fault = r->fault;
        rc->has_retry = 0;
        rc->timeout_ns = 0;
    }
    rc->path_prefix = r->rewrite_uri ? fl_strdup(r->rewrite_uri) : NULL; /* prefix_rewrite */
    rc->strip_path = r->rewrite_uri != NULL;
    rc->authority = r->rewrite_authority ? fl_strdup(r->rewrite_authority) : NULL;
    px_regex_rewrite_copy(&rc->regex_rewrite, &r->rewrite_regex);
    copy_ops(&rc->req_headers, &r->req_headers);
    copy_ops(&rc->resp_headers, &r->resp_headers);
    route_policies(b, r, rc);
    rc->mirrors = fl_calloc(r->n_mirrors + 1, sizeof *rc->mirrors);
    for (; rc->n_mirrors < r->n_mirrors; rc->n_mirrors++) {
        rc->mirrors[rc->n_mirrors].cluster = dest_cluster(b, &r->mirrors[rc->n_mirrors].dest);
        rc->mirrors[rc->n_mirrors].percent = r->mirrors[rc->n_mirrors].percent;
    }
    /* client faults exclude retries and the route timeout (virtual_service.proto) */
    FL_ASSERT(!rc->has_fault || (!rc->has_retry && rc->timeout_ns == 0));
    return 0;
}

/* A VirtualService's routes in order: one per match, or one for a route without matches. */
static int vs_route_cfgs(const struct bctx *b, const struct px_istio_vs *v, struct px_vhost_cfg *vh,
                         char **err)
{
    size_t total = 0;
    for (size_t r = 0; r < v->n_routes; r++)
        total += v->routes[r].n_matches ? v->routes[r].n_matches : 1;
    vh->routes = fl_calloc(total + 1, sizeof *vh->routes);
    FL_ASSERT(vh->n_routes == 0);
    for (size_t r = 0; r < v->n_routes; r++) {
        const struct px_istio_route *rt = &v->routes[r];
        char *name = rt->name           ? fl_strdup(rt->name)
                     : v->n_routes == 1 ? fl_strdup(v->name)
                                        : fl_asprintf("%s-%zu", v->name, r + 1);
        size_t n = rt->n_matches ? rt->n_matches : 1;
        int rc = 0;
        for (size_t k = 0; k < n && !rc; k++)
            rc = route_cfg(b, rt, rt->n_matches ? &rt->matches[k] : NULL, name,
                           &vh->routes[vh->n_routes++], err);
        free(name);
        if (rc) return -1;
    }
    FL_ASSERT(vh->n_routes == total);
    return 0;
}

int px_istio_vs_routes(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                       const size_t *first, const struct px_istio_vs *v, struct px_proxy_cfg *out,
                       struct px_vhost_cfg *vh, char **err)
{
    FL_ASSERT(out && vh);
    struct bctx b = {m, svc, n, first, out}; /* out: where the routes' CORS and direct answers go */
    return vs_route_cfgs(&b, v, vh, err);
}

/* The route istiod gives a service without a VirtualService (BuildDefaultHTTPOutboundRoute). */
static int default_route(const struct bctx *b, size_t svc, struct px_vhost_cfg *vh, char **err)
{
    vh->routes = fl_calloc(1, sizeof *vh->routes);
    struct px_route_cfg *rc = &vh->routes[vh->n_routes++];
    rc->rate_limit = -1;
    rc->name = fl_strdup("default");
    FL_ASSERT(b->first[svc] != SIZE_MAX && vh->n_routes == 1);
    if (px_match_init(&rc->path, PX_MATCH_PREFIX, "/", 0, err)) return -1;
    rc->dests = fl_calloc(1, sizeof *rc->dests);
    rc->dests[0].cluster = (uint32_t)b->first[svc];
    rc->dests[0].weight = 100;
    rc->n_dests = 1;
    rc->total_weight = 100;
    rc->has_retry = 1;
    px_istio_default_retry(&rc->retry);
    return 0;
}

/*
 * istiod's fallback for a service a Sidecar hides from this workload
 * (pilot/pkg/networking/core httproute.go, route.BuildBlackHoleRoute):
 * with REGISTRY_ONLY the "block_all" route answers 502 at once; with
 * ALLOW_ANY the call passes through to the address the application
 * dialed, here a cluster of every pod of the service picked at random (as
 * kube-proxy picks), with no retries, timeout or DestinationRule policy.
 */
static int hidden_route(const struct px_mesh_service *svc, int registry_only,
                        struct px_proxy_cfg *out, struct px_vhost_cfg *vh, char **err)
{
    vh->routes = fl_calloc(1, sizeof *vh->routes);
    struct px_route_cfg *rc = &vh->routes[vh->n_routes++];
    rc->rate_limit = -1;
    rc->name = fl_strdup(registry_only ? "block_all" : "allow_any");
    FL_ASSERT(vh->n_routes == 1);
    if (px_match_init(&rc->path, PX_MATCH_PREFIX, "/", 0, err)) return -1;
    if (registry_only) {
        rc->direct_status = 502;
        return 0;
    }
    out->clusters = fl_realloc(out->clusters, (out->n_clusters + 1) * sizeof *out->clusters);
    struct px_cluster_cfg *cl = &out->clusters[out->n_clusters];
    static const struct px_istio_policy none;
    cluster_cfg(svc, 0, NULL, &none, cl);
    free(cl->name);
    cl->name = fl_asprintf("PassthroughCluster|%s", svc->name);
    cl->lb.policy = PX_LB_RANDOM;
    rc->dests = fl_calloc(1, sizeof *rc->dests);
    rc->dests[0] = (struct px_route_dest){.cluster = (uint32_t)out->n_clusters++, .weight = 100};
    rc->n_dests = 1;
    rc->total_weight = 100;
    return 0;
}

/* The names a service answers to in the mesh's namespace (an external one: its own). */
static void vhost_domains(const struct px_mesh_service *svc, struct px_vhost_cfg *vh)
{
    static const char *const forms[] = {"%s", "%s.default", "%s.default.svc",
                                        "%s.default.svc.cluster.local"};
    int n = svc->external ? 1 : 4;
    vh->domains = fl_calloc(4, sizeof *vh->domains);
    FL_ASSERT(vh->n_domains == 0);
    for (int i = 0; i < n; i++) vh->domains[vh->n_domains++] = fl_asprintf(forms[i], svc->name);
}

int px_istio_build_outbound(const struct px_istio *m, const char *name,
                            const struct px_mesh_service *services, size_t n_services,
                            struct px_proxy_cfg *out, char **err)
{
    return px_istio_build_outbound_for(m, name, services, n_services, NULL, out, err);
}

int px_istio_build_outbound_for(const struct px_istio *m, const char *name,
                                const struct px_mesh_service *services, size_t n_services,
                                const struct px_istio_sidecar *sc, struct px_proxy_cfg *out,
                                char **err)
{
    memset(out, 0, sizeof *out);
    out->name = fl_strdup(name);
    out->kind = PX_PROXY_OUTBOUND;
    px_cost_default(&out->cost);
    out->workers = 2; /* the sidecar's default concurrency */
    out->envoy_headers = 1;
    if (check_drs(m, services, n_services, err) || check_vss(m, services, n_services, err)) {
        px_proxy_cfg_free(out);
        return -1;
    }
    size_t *first = fl_calloc(n_services + 1, sizeof *first);
    struct bctx b = {m, services, n_services, first, out};
    px_istio_build_clusters(m, services, n_services, out, first);
    out->vhosts = fl_calloc(n_services + 1, sizeof *out->vhosts);
    int rc = 0;
    for (size_t i = 0; i < n_services && !rc; i++) {
        struct px_vhost_cfg *vh = &out->vhosts[out->n_vhosts++];
        FL_ASSERT(out->n_vhosts == i + 1);
        vh->name = fl_strdup(services[i].name);
        vhost_domains(&services[i], vh);
        const struct px_istio_vs *v = vs_for(m, services[i].name);
        if (!px_istio_sidecar_sees(sc, services[i].name))
            rc = hidden_route(&services[i], sc->registry_only, out, vh, err);
        else if (first[i] == SIZE_MAX) /* outside the mesh, unknown: outboundTrafficPolicy */
            rc = hidden_route(&services[i], sc && sc->registry_only, out, vh, err);
        else
            rc = v ? vs_route_cfgs(&b, v, vh, err) : default_route(&b, i, vh, err);
    }
    free(first);
    if (rc) px_proxy_cfg_free(out);
    return rc;
}
