/*
 * mesh.c - puts the proxies on the request path of the simulated world:
 * the API gateway (Kong's configuration, on the node "gateway") and, in
 * mesh mode sidecar, two sidecars per pod (outbound: the pod's calls go
 * through it, routed by the Istio resources; inbound: requests to the pod
 * reach the application through it), plus an outbound sidecar on the
 * gateway. Every proxy runs the same engine (proxies/proxy.c) on the
 * simulator's runtime (sim/rt.c).
 *
 * Names resolve as Kubernetes and the Kong Ingress Controller would have
 * them: a Kong service or upstream target naming a mesh service means its
 * pods (each with weight 100), or, with sidecars, the gateway's own
 * outbound sidecar, which then balances over the pods; a target naming a
 * pod means that pod.
 *
 * Not here: the engine, the runtime adapter, the application.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/nameidx.h"
#include "base/u64map.h"
#include "proxies/istio.h"
#include "proxies/istio_sec.h"
#include "proxies/kong.h"
#include "sim/rt.h"
#include "sim/world.h"

void sim_mesh_endpoint(const struct sim_world *w, const struct sim_pod *pod, uint16_t port,
                       struct px_endpoint_cfg *e)
{
    const struct sim_version_cfg *v = pod->cfg;
    FL_ASSERT(pod >= w->pods && pod < w->pods + w->n_pods && pod->node < w->n_nodes);
    e->name = fl_strdup(w->nodes[pod->node].name);
    e->locality = v->locality ? fl_strdup(v->locality) : NULL;
    e->addr = sim_addr(pod->node, port);
    e->weight = 100;
    e->n_labels = v->n_labels;
    e->labels = fl_calloc(v->n_labels ? v->n_labels : 1, sizeof *e->labels);
    for (size_t i = 0; i < v->n_labels; i++) {
        e->labels[i].key = fl_strdup(v->labels[i].key);
        e->labels[i].value = fl_strdup(v->labels[i].value);
    }
}

static void endpoint_of_pod(const struct sim_world *w, const struct sim_pod *pod,
                            struct px_endpoint_cfg *e)
{
    sim_mesh_endpoint(w, pod, SIM_PORT_SERVICE, e);
}

/* Kubernetes short and qualified names of a service all mean the service. */
static int service_named(const struct sim_world *w, const char *host)
{
    FL_ASSERT(host);
    for (size_t i = 0; i < w->sc->n_services; i++) {
        const char *name = w->sc->services[i].name;
        size_t n = strlen(name);
        if (!strncmp(host, name, n) && (host[n] == '\0' || host[n] == '.')) return (int)i;
    }
    return -1;
}

static int gateway_resolve(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                           size_t *n, char **err)
{
    struct sim_world *w = arg;
    (void)port;
    int svc = service_named(w, host);
    FL_ASSERT(svc < 0 || (size_t)svc < w->sc->n_services);
    FL_ASSERT(w->gateway_node < w->n_nodes); /* only the gateway resolves through here */
    if (svc >= 0 && w->sc->mesh_mode == SIM_MESH_SIDECAR) {
        /* the gateway's own sidecar takes it from here */
        *eps = fl_calloc(1, sizeof **eps);
        (*eps)->name = fl_asprintf("%s (via the gateway's sidecar)", w->sc->services[svc].name);
        (*eps)->addr = sim_addr(w->gateway_node, SIM_PORT_OUTBOUND);
        (*eps)->weight = 100;
        *n = 1;
        return 0;
    }
    if (svc >= 0 && w->sc->mesh_mode == SIM_MESH_AMBIENT) {
        /* the service's address, captured by the ztunnel of the gateway's node */
        *eps = fl_calloc(1, sizeof **eps);
        (*eps)->name = fl_asprintf("%s (via ztunnel)", w->sc->services[svc].name);
        (*eps)->addr = sim_addr(w->gateway_node, (uint16_t)(SIM_PORT_VIP + svc));
        (*eps)->weight = 100;
        *n = 1;
        return 0;
    }
    if (svc >= 0) {
        const struct sim_service *s = &w->services[svc];
        FL_ASSERT(s->first_pod + s->n_pods <= w->n_pods);
        *eps = fl_calloc(s->n_pods, sizeof **eps);
        for (uint32_t i = 0; i < s->n_pods; i++)
            endpoint_of_pod(w, &w->pods[s->first_pod + i], &(*eps)[i]);
        *n = s->n_pods;
        return 0;
    }
    for (uint32_t i = 0; i < w->n_pods; i++) {
        if (strcmp(w->nodes[w->pods[i].node].name, host)) continue;
        *eps = fl_calloc(1, sizeof **eps);
        endpoint_of_pod(w, &w->pods[i], *eps);
        *n = 1;
        return 0;
    }
    *err = fl_asprintf("'%s' is neither a service nor a pod of the scenario", host);
    return -1;
}

void sim_mesh_compat(const struct sim_scenario *sc, struct px_proxy_cfg *c)
{
    for (size_t v = 0; v < c->n_vhosts; v++)
        for (size_t r = 0; r < c->vhosts[v].n_routes; r++)
            c->vhosts[v].routes[r].retry.legacy_backoff = sc->compat.legacy_backoff;
    for (size_t i = 0; i < c->n_clusters; i++)
        c->clusters[i].outlier.legacy_max_ejection_percent = sc->compat.legacy_max_ejection_percent;
}

void sim_mesh_tracing(const struct sim_scenario *sc, struct px_proxy_cfg *c, int istio, int ingress)
{
    FL_ASSERT(sc && c && (istio || !ingress));
    if (istio) px_istio_trace_cfg(&sc->istio, ingress, &c->trace);
    if (sc->trace_sample < 0) return;
    /* the scenario's tracing.sample: every proxy traces, at that rate */
    c->trace.enabled = 1;
    c->trace.sample_pct = sc->trace_sample;
    for (size_t v = 0; v < c->n_vhosts; v++)
        for (size_t r = 0; r < c->vhosts[v].n_routes; r++) {
            struct px_route_cfg *rc = &c->vhosts[v].routes[r];
            if (!rc->has_trace) continue;
            rc->trace.enabled = 1;
            rc->trace.sample_pct = sc->trace_sample;
        }
    FL_ASSERT(c->trace.sample_pct >= 0 && c->trace.sample_pct <= 100);
}

static void set_cost(struct px_proxy_cfg *c, const struct sim_proxy_cost *cost)
{
    c->cost = cost->cost;
    c->workers = cost->workers;
}

/*
 * Workload identities (Istio's SPIFFE ids without "spiffe://"): a pod with
 * sidecars is its service's service account in namespace default; the
 * Kong gateway's sidecar is service account "gateway"; Istio's ingress
 * gateway is the service account of Istio's chart. Services live in
 * namespace default.
 */
#define SIM_GATEWAY_PRINCIPAL "cluster.local/ns/default/sa/gateway"
#define SIM_INGRESS_PRINCIPAL                                                                      \
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"

static void set_principal(struct sim_world *w, uint32_t node, char *principal)
{
    FL_ASSERT(node < w->n_nodes && principal);
    free(w->nodes[node].principal);
    w->nodes[node].principal = principal;
}

/*
 * Istio's identity and policy at a pod's inbound sidecar (istio_sec.h), or
 * none: the scenario's resources, then those of the n_extra sets applied
 * since (policy faults), each replacing what it names again.
 */
static struct px_istio_sec *inbound_sec(const struct sim_world *w, const struct sim_pod *pod,
                                        const struct px_istio *const *extra, size_t n_extra)
{
    const struct sim_version_cfg *v = pod->cfg;
    struct px_label *labels = fl_calloc(v->n_labels + 1, sizeof *labels);
    for (size_t i = 0; i < v->n_labels; i++) /* borrowed strings */
        labels[i] = (struct px_label){v->labels[i].key, v->labels[i].value};
    const struct px_istio **layers = fl_calloc(n_extra + 1, sizeof *layers);
    layers[0] = &w->sc->istio;
    for (size_t i = 0; i < n_extra; i++) layers[1 + i] = extra[i];
    struct px_istio_sec *s =
        px_istio_sec_build(layers, n_extra + 1, "default", labels, v->n_labels);
    free(layers);
    free(labels);
    return s;
}

void sim_mesh_security(struct sim_world *w, const struct px_istio *const *extra, size_t n_extra)
{
    FL_ASSERT(w && (extra || !n_extra));
    for (size_t i = 0; i < w->n_inbound_cfgs; i++) {
        struct px_proxy_cfg *c = w->inbound_cfgs[i];
        FL_ASSERT(w->inbound_pods[i] < w->n_pods && w->pods[w->inbound_pods[i]].inbound);
        px_istio_sec_free(c->sec);
        c->sec = inbound_sec(w, &w->pods[w->inbound_pods[i]], extra, n_extra);
    }
}

/*
 * The inbound sidecar of pod's service version: everything to the application
 * on the sidecar's own node (SIM_NODE_SELF), so that every pod of the version
 * shares it (each proxy carries its pod's name: px_proxy_name_set). In a
 * mesh of thousands of pods, one configuration per pod was cold at each
 * request.
 */
static void inbound_cfg(struct sim_world *w, const struct sim_pod *pod, struct px_proxy_cfg *c)
{
    const char *why;
    const struct sim_version_cfg *v = pod->cfg;
    memset(c, 0, sizeof *c);
    c->sec = inbound_sec(w, pod, NULL, 0);
    c->name = fl_asprintf("%s%s%s inbound", w->sc->services[pod->service].name, v->name ? " " : "",
                          v->name ? v->name : "");
    c->kind = PX_PROXY_INBOUND;
    c->envoy_headers = 1;
    set_cost(c, &w->sc->sidecar_cost);
    sim_mesh_tracing(w->sc, c, 1, 0);
    c->n_clusters = 1;
    c->clusters = fl_calloc(1, sizeof *c->clusters);
    struct px_cluster_cfg *cl = &c->clusters[0];
    cl->name = fl_strdup("inbound");
    px_lb_cfg_envoy(&cl->lb);
    cl->lb.panic_threshold = 0;
    px_breaker_cfg_istio(&cl->breaker);
    cl->connect_timeout_ns = 10 * INT64_C(1000000000);
    cl->n_endpoints = 1;
    cl->endpoints = fl_calloc(1, sizeof *cl->endpoints);
    cl->endpoints[0].name = fl_strdup("app");
    cl->endpoints[0].addr = sim_addr(SIM_NODE_SELF, SIM_PORT_APP);
    cl->endpoints[0].weight = 1;
    c->n_vhosts = 1;
    c->vhosts = fl_calloc(1, sizeof *c->vhosts);
    struct px_vhost_cfg *vh = &c->vhosts[0];
    vh->name = fl_strdup("inbound");
    vh->n_domains = 1;
    vh->domains = fl_calloc(1, sizeof *vh->domains);
    vh->domains[0] = fl_strdup("*");
    vh->n_routes = 1;
    vh->routes = fl_calloc(1, sizeof *vh->routes);
    struct px_route_cfg *r = &vh->routes[0];
    r->name = fl_strdup("inbound");
    px_match_init(&r->path, PX_MATCH_PREFIX, "/", 0, NULL);
    r->n_dests = 1;
    r->dests = fl_calloc(1, sizeof *r->dests);
    r->dests[0].weight = 1;
    r->total_weight = 1;
    r->rate_limit = -1;
    (void)why;
}

/*
 * The outbound configuration for workloads that Istio Sidecar sc applies
 * to (NULL: none), built on first use: every pod it applies to shares it.
 */
static struct px_proxy_cfg *outbound_cfg(struct sim_world *w, const struct px_istio_sidecar *sc,
                                         const struct px_mesh_service *ms, char **err)
{
    const struct px_istio *m = &w->sc->istio;
    size_t k = sc ? (size_t)(sc - m->sidecars) : m->n_sidecars;
    FL_ASSERT(k <= m->n_sidecars);
    if (w->mesh_cfgs[k]) return w->mesh_cfgs[k];
    struct px_proxy_cfg *c = fl_calloc(1, sizeof *c);
    if (px_istio_build_outbound_for(m, "sidecar", ms, w->sc->n_services, sc, c, err)) {
        free(c);
        return NULL;
    }
    sim_mesh_compat(w->sc, c);
    set_cost(c, &w->sc->sidecar_cost);
    c->envoy_headers = 1;
    sim_mesh_tracing(w->sc, c, 1, 0);
    return w->mesh_cfgs[k] = c;
}

/* The Sidecar resource that applies to a pod, by its labels (or NULL). */
static const struct px_istio_sidecar *pod_sidecar(const struct sim_world *w,
                                                  const struct sim_pod *pod)
{
    const struct sim_version_cfg *v = pod->cfg;
    struct px_label *labels = fl_calloc(v->n_labels + 1, sizeof *labels);
    for (size_t i = 0; i < v->n_labels; i++) /* borrowed strings */
        labels[i] = (struct px_label){v->labels[i].key, v->labels[i].value};
    const struct px_istio_sidecar *sc = px_istio_sidecar_for(&w->sc->istio, labels, v->n_labels);
    free(labels);
    return sc;
}

/* Each pod's outbound configuration; the gateway's sidecar takes the namespace's. */
static int build_outbounds(struct sim_world *w, const struct px_mesh_service *ms,
                           struct px_proxy_cfg **pod_cfgs, char **err)
{
    w->mesh_cfgs = fl_calloc(w->sc->istio.n_sidecars + 1, sizeof *w->mesh_cfgs);
    w->mesh_cfg = outbound_cfg(w, px_istio_sidecar_for(&w->sc->istio, NULL, 0), ms, err);
    if (!w->mesh_cfg) return -1;
    for (uint32_t i = 0; i < w->n_pods; i++)
        if (!w->sc->services[w->pods[i].service].external &&
            !(pod_cfgs[i] = outbound_cfg(w, pod_sidecar(w, &w->pods[i]), ms, err)))
            return -1;
    return 0;
}

/*
 * Istio's ingress gateway: an Envoy of the mesh on its own node, serving
 * every Gateway (px_istio_build_ingress), calling the pods directly.
 */
static int start_ingress(struct sim_world *w, const struct px_mesh_service *ms, char **err)
{
    FL_ASSERT(w->ingress_node < w->n_nodes && !w->ingress_cfg);
    struct px_proxy_cfg *c = fl_calloc(1, sizeof *c);
    if (px_istio_build_ingress(&w->sc->istio, SIM_INGRESS_NAME, ms, w->sc->n_services, c, err)) {
        free(c);
        return -1;
    }
    sim_mesh_compat(w->sc, c);
    set_cost(c, &w->sc->ingress_cost);
    sim_mesh_tracing(w->sc, c, 1, 1);
    w->ingress_cfg = c;
    struct sim_proxy *sp =
        sim_proxy_start(w, w->ingress_node, SIM_PORT_SERVICE, SIM_INGRESS_NAME, c);
    sp->role = "ingress";
    set_principal(w, w->ingress_node, fl_strdup(SIM_INGRESS_PRINCIPAL));
    return 0;
}

static int mesh_sidecars(struct sim_world *w, char **err)
{
    const struct sim_scenario *sc = w->sc;
    struct px_mesh_service *ms = fl_calloc(sc->n_services, sizeof *ms);
    struct px_endpoint_cfg **eps = fl_calloc(sc->n_services, sizeof *eps);
    for (size_t i = 0; i < sc->n_services; i++) {
        const struct sim_service *s = &w->services[i];
        FL_ASSERT(s->first_pod + s->n_pods <= w->n_pods);
        eps[i] = fl_calloc(s->n_pods, sizeof **eps);
        for (uint32_t k = 0; k < s->n_pods; k++)
            endpoint_of_pod(w, &w->pods[s->first_pod + k], &eps[i][k]);
        ms[i].name = sc->services[i].name;
        ms[i].endpoints = eps[i];
        ms[i].n_endpoints = s->n_pods;
        ms[i].external = sc->services[i].external;
    }
    struct px_proxy_cfg **pod_cfgs = fl_calloc(w->n_pods + 1, sizeof *pod_cfgs);
    int rc = build_outbounds(w, ms, pod_cfgs, err);
    if (!rc && w->ingress_node != UINT32_MAX) rc = start_ingress(w, ms, err);
    for (size_t i = 0; i < sc->n_services; i++) {
        for (uint32_t k = 0; k < w->services[i].n_pods; k++) px_endpoint_cfg_free(&eps[i][k]);
        free(eps[i]);
    }
    free(eps);
    free(ms);
    if (rc) {
        free(pod_cfgs);
        return -1;
    }
    struct fl_u64map by_version; /* (service, version) + 1 -> its inbound configuration */
    fl_u64map_init(&by_version);
    size_t cap_inbound = 0;
    for (uint32_t i = 0; i < w->n_pods; i++) {
        struct sim_pod *pod = &w->pods[i];
        const char *name = w->nodes[pod->node].name;
        if (!pod_cfgs[i]) continue; /* an external service's pod: no sidecars */
        uint64_t key = ((uint64_t)pod->service << 32 | pod->version) + 1;
        struct px_proxy_cfg *in = fl_u64map_get(&by_version, key);
        if (!in) {
            in = fl_calloc(1, sizeof *in);
            inbound_cfg(w, pod, in);
            FL_GROW(w->inbound_cfgs, cap_inbound, w->n_inbound_cfgs + 1);
            w->inbound_pods = fl_realloc(w->inbound_pods, cap_inbound * sizeof *w->inbound_pods);
            w->inbound_cfgs[w->n_inbound_cfgs] = in;
            w->inbound_pods[w->n_inbound_cfgs++] = i;
            fl_u64map_put(&by_version, key, in);
        }
        FL_ASSERT(in->kind == PX_PROXY_INBOUND && in->n_clusters == 1);
        set_principal(w, pod->node,
                      fl_asprintf("cluster.local/ns/default/sa/%s",
                                  sc->services[pod->service].service_account));
        char *out = fl_asprintf("%s outbound", name);
        pod->outbound = sim_proxy_start(w, pod->node, SIM_PORT_OUTBOUND, out, pod_cfgs[i]);
        free(out);
        char *in_name = fl_asprintf("%s inbound", name);
        pod->inbound = sim_proxy_start(w, pod->node, SIM_PORT_SERVICE, in_name, in);
        free(in_name);
        px_proxy_name_set(pod->inbound->proxy, pod->inbound->name); /* the pod's, not cfg's */
        FL_ASSERT(pod->inbound->node == pod->node && pod->outbound->node == pod->node);
    }
    fl_u64map_free(&by_version);
    free(pod_cfgs);
    return 0;
}

/* The gateway's plugins that only observe, once each, in file order (for the summary). */
static void list_observers(const struct px_kong *k, struct rpt_run *run)
{
    for (size_t i = 0; i < k->n_plugins; i++) {
        if (!k->plugins[i].observer) continue;
        size_t j = 0;
        while (j < run->n_observers && strcmp(run->observers[j], k->plugins[i].name)) j++;
        if (j < run->n_observers) continue;
        run->observers = fl_realloc(run->observers, (j + 1) * sizeof *run->observers);
        run->observers[run->n_observers++] = fl_strdup(k->plugins[i].name);
    }
}

int sim_mesh_init(struct sim_world *w, char **err)
{
    const struct sim_scenario *sc = w->sc;
    if (sc->mesh_mode == SIM_MESH_SIDECAR && mesh_sidecars(w, err)) return -1;
    if (sc->mesh_mode == SIM_MESH_AMBIENT && sim_ambient_init(w, err)) return -1;
    if (!sc->has_gateway) return 0;
    struct px_resolver r = {gateway_resolve, w};
    w->gateway_cfg = fl_calloc(1, sizeof *w->gateway_cfg);
    if (px_kong_build(&sc->kong, "gateway", &r, w->gateway_cfg, err)) return -1;
    list_observers(&sc->kong, w->run);
    sim_mesh_compat(sc, w->gateway_cfg);
    set_cost(w->gateway_cfg, &sc->gateway_cost);
    sim_mesh_tracing(sc, w->gateway_cfg, 0, 0);
    w->gateway = sim_proxy_start(w, w->gateway_node, SIM_PORT_GATEWAY, "gateway", w->gateway_cfg);
    if (sc->mesh_mode == SIM_MESH_SIDECAR) {
        w->gateway_sidecar =
            sim_proxy_start(w, w->gateway_node, SIM_PORT_OUTBOUND, "gateway outbound", w->mesh_cfg);
        set_principal(w, w->gateway_node, fl_strdup(SIM_GATEWAY_PRINCIPAL));
    }
    return 0;
}

void sim_mesh_free(struct sim_world *w)
{
    for (size_t i = 0; i < w->n_proxies; i++) sim_proxy_free(w->proxies[i]);
    sim_ambient_free(w); /* after the waypoints: it holds their configurations */
    free(w->proxies);
    w->proxies = NULL;
    w->n_proxies = 0;
    for (size_t i = 0; w->mesh_cfgs && i <= w->sc->istio.n_sidecars; i++) {
        if (w->mesh_cfgs[i]) px_proxy_cfg_free(w->mesh_cfgs[i]);
        free(w->mesh_cfgs[i]);
    }
    free(w->mesh_cfgs);
    w->mesh_cfg = NULL;
    if (w->gateway_cfg) px_proxy_cfg_free(w->gateway_cfg);
    free(w->gateway_cfg);
    if (w->ingress_cfg) px_proxy_cfg_free(w->ingress_cfg);
    free(w->ingress_cfg);
    w->ingress_cfg = NULL;
    for (size_t i = 0; i < w->n_inbound_cfgs; i++) {
        px_proxy_cfg_free(w->inbound_cfgs[i]);
        free(w->inbound_cfgs[i]);
    }
    free(w->inbound_cfgs);
    free(w->inbound_pods);
    w->inbound_cfgs = NULL;
    w->inbound_pods = NULL;
    w->n_inbound_cfgs = 0;
    free(w->events);
    for (uint32_t i = 0; i < w->n_nodes; i++) {
        free(w->nodes[i].principal);
        w->nodes[i].principal = NULL;
    }
}

struct rpt_cluster *sim_mesh_cluster_row(struct rpt_run *run, const char *name)
{
    FL_ASSERT(run && name && (run->clusters || !run->n_clusters));
    long at = fl_nameidx_get(&run->cluster_index, name);
    if (at >= 0) return &run->clusters[at];
    FL_GROW(run->clusters, run->cap_clusters, run->n_clusters + 1);
    struct rpt_cluster *c = &run->clusters[run->n_clusters];
    memset(c, 0, sizeof *c);
    c->name = fl_strdup(name);
    fl_nameidx_put(&run->cluster_index, c->name, run->n_clusters++);
    return c;
}

/* The row of a proxy's cluster k: "sidecar inbound", or its kind and the cluster's name. */
static struct rpt_cluster *proxy_cluster_row(const struct sim_proxy *sp, size_t k,
                                             struct rpt_run *into)
{
    FL_ASSERT(sp->cfg && k < sp->cfg->n_clusters);
    if (sp->cfg->kind == PX_PROXY_INBOUND) return sim_mesh_cluster_row(into, "sidecar inbound");
    const char *kind = sp->role                             ? sp->role
                       : sp->cfg->kind == PX_PROXY_GATEWAY  ? "gateway"
                       : sp->cfg->kind == PX_PROXY_OUTBOUND ? "sidecar"
                                                            : "inbound";
    char *name = fl_asprintf("%s %s", kind, sp->cfg->clusters[k].name);
    struct rpt_cluster *c = sim_mesh_cluster_row(into, name);
    free(name);
    return c;
}

/*
 * Every proxy's clusters summed by row name. The rows are those of every
 * cluster of every configuration, in proxy then cluster order, used or not
 * (a configuration shared by many sidecars is listed once); the counters
 * are those of the clusters the proxies created (px_proxy_clusters_used):
 * the others are zero.
 */
void sim_mesh_clusters_into(struct sim_world *w, struct rpt_run *into)
{
    struct fl_u64map listed; /* configuration -> its role, once its rows exist */
    fl_u64map_init(&listed);
    for (size_t i = 0; i < w->n_proxies; i++) {
        const struct sim_proxy *sp = w->proxies[i];
        FL_ASSERT(sp->proxy && sp->cfg);
        const char *role = sp->role ? sp->role : "";
        if (fl_u64map_get(&listed, (uint64_t)(uintptr_t)sp->cfg) != role) {
            for (size_t k = 0; k < sp->cfg->n_clusters; k++) proxy_cluster_row(sp, k, into);
            fl_u64map_put(&listed, (uint64_t)(uintptr_t)sp->cfg, (void *)role);
        }
        const uint32_t *used;
        size_t n_used = px_proxy_clusters_used(sp->proxy, &used);
        for (size_t u = 0; u < n_used; u++) {
            const struct px_cluster_stats *st = px_proxy_cluster_stats(sp->proxy, used[u]);
            /* not rq_retry <= rq_total: a try that never connected is retried without having
             * been an upstream request (Envoy counts upstream_rq_total when a request is
             * attached to a connection) */
            FL_ASSERT(st);
            struct rpt_cluster *c = proxy_cluster_row(sp, used[u], into);
            c->rq_total += st->rq_total;
            c->rq_retry += st->rq_retry;
            c->rq_retry_overflow += st->rq_retry_overflow;
            c->rq_retry_limit += st->rq_retry_limit;
            c->rq_pending_overflow += st->rq_pending_overflow;
            c->rq_overflow += st->rq_overflow;
            c->rq_timeout += st->rq_timeout;
            c->rq_per_try_timeout += st->rq_per_try_timeout;
            c->cx_connect_fail += st->cx_connect_fail;
            c->no_healthy += st->no_healthy;
            c->ejections += st->ejections;
            c->panics += st->panics;
            for (int f = 0; f < RPT_FLAGS_MAX && f < PX_FLAG_COUNT; f++)
                c->flags[f] += st->flags[f];
        }
    }
    fl_u64map_free(&listed);
}

void sim_mesh_results(struct sim_world *w)
{
    for (size_t i = 0; i < w->n_proxies; i++) {
        struct px_policy_stats ps;
        px_proxy_policy_stats(w->proxies[i]->proxy, &ps);
        w->run->cache_hits += ps.cache_hits;
        w->run->cache_stores += ps.cache_stores;
        w->run->shadows += ps.shadows;
    }
    sim_mesh_clusters_into(w, w->run);
    sim_ambient_results(w);
    for (int i = 0; i < RPT_FLAGS_MAX && i < PX_FLAG_COUNT; i++)
        w->run->flag_names[i] = px_flag_name(1u << i);
}
