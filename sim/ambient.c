/*
 * ambient.c - Istio ambient mode in the simulated world: a ztunnel per
 * node (proxies/ztunnel.c, L4) and the waypoints (the proxy engine with
 * the Istio resources, L7), wired as Istio ambient wires them:
 *
 *   app -> [its node's ztunnel] -HBONE-> [waypoint, if the service has one]
 *       -HBONE-> [the destination node's ztunnel] -> app
 *
 * Nodes: pods are spread round-robin over `mesh.ambient.nodes` nodes, in
 * scenario order (pod i on node i mod N); without it each pod has a node of
 * its own. The gateway has its own node and ztunnel. A ztunnel's sockets
 * live in its pods' network namespaces (in-pod redirection, Istio 1.21+):
 * it listens on each local pod's port 15008 (HBONE), its service port
 * (plaintext from outside the mesh, e.g. the workloads) and the service
 * addresses (a pod's outbound connections, captured), and it opens
 * tunnels from the pod's own namespace, so the network between two
 * services' pods is what a tunnel crosses. The application listens on
 * SIM_PORT_APP behind it.
 *
 * Waypoints: each is a Deployment of `replicas` pods (nodes of their own
 * here), each pod one engine proxy listening on port 15008, configured by
 * the Istio resources (px_istio_build_outbound) with the destination
 * pods' HBONE ports as endpoints; a ztunnel sends a connection for a
 * service with a waypoint to one of the waypoint's pods.
 *
 * Not here: the L4 proxy itself (proxies/ztunnel.c), the section's loader
 * (load_ambient.c). Not modelled: ztunnels for waypoint pods (waypoints
 * speak HBONE themselves), out-of-mesh traffic through a waypoint (Istio's
 * ingress-use-waypoint), mTLS handshakes and authorization.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio.h"
#include "proxies/ztunnel.h"
#include "sim/rt.h"
#include "sim/world.h"

struct zt_inst {
    struct sim_proxy *rt; /* its runtime: CPU, stream, connections */
    struct px_ztunnel_cfg cfg;
    struct px_ztunnel *z;
};

struct sim_ambient {
    struct px_zt_service *services; /* one table, shared by every ztunnel */
    size_t n_services;
    struct zt_inst *zts;
    size_t n_zts;
    struct px_proxy_cfg *wp_cfgs; /* one per waypoint */
    size_t n_wp;
};

uint32_t sim_ambient_nodes(const struct sim_scenario *sc)
{
    uint32_t n = 0;
    if (sc->mesh_mode != SIM_MESH_AMBIENT) return 0;
    for (size_t i = 0; i < sc->ambient.n_waypoints; i++)
        n += (uint32_t)sc->ambient.waypoints[i].replicas;
    return n;
}

/* The waypoint serving service svc, or -1. */
static int waypoint_of(const struct sim_scenario *sc, int svc)
{
    for (size_t w = 0; w < sc->ambient.n_waypoints; w++)
        for (size_t k = 0; k < sc->ambient.waypoints[w].n_services; k++)
            if (sc->ambient.waypoints[w].services[k] == svc) return (int)w;
    return -1;
}

static void zt_accept(void *ctx, struct sim_conn *c)
{
    struct zt_inst *zi = ctx;
    FL_ASSERT(zi->z && c->state == SIM_CONN_OPEN);
    sim_conn_ref(c);
    px_ztunnel_accept(zi->z, sim_px_conn(c, 1));
}

/* Adds waypoint pods' nodes; first_node[w] is the node of waypoint w's pod 0. */
static void waypoint_nodes(struct sim_world *w, uint32_t *first_node)
{
    const struct sim_ambient_cfg *a = &w->sc->ambient;
    for (size_t i = 0; i < a->n_waypoints; i++) {
        FL_ASSERT(a->waypoints[i].replicas > 0);
        first_node[i] = w->n_nodes;
        for (int r = 0; r < a->waypoints[i].replicas; r++) {
            struct sim_node *n = &w->nodes[w->n_nodes];
            n->id = w->n_nodes++;
            n->name = fl_asprintf("%s-%d", a->waypoints[i].name, r);
            n->group = a->waypoints[i].name;
            n->up = 1;
        }
    }
}

/* The service table every ztunnel shares: addresses, and where connections go. */
static void service_table(struct sim_world *w, struct sim_ambient *am, const uint32_t *wp_node)
{
    const struct sim_scenario *sc = w->sc;
    am->n_services = sc->n_services;
    am->services = fl_calloc(sc->n_services, sizeof *am->services);
    for (size_t i = 0; i < sc->n_services; i++) {
        struct px_zt_service *s = &am->services[i];
        const struct sim_service *ws = &w->services[i];
        s->name = fl_strdup(sc->services[i].name);
        s->vip = sim_addr(SIM_NODE_VIP, (uint16_t)(SIM_PORT_VIP + i));
        int wp = waypoint_of(sc, (int)i);
        FL_ASSERT(SIM_PORT_VIP + i <= UINT16_MAX);
        if (wp >= 0) {
            s->via_waypoint = 1;
            s->n_endpoints = (size_t)sc->ambient.waypoints[wp].replicas;
            s->endpoints = fl_calloc(s->n_endpoints, sizeof *s->endpoints);
            for (size_t r = 0; r < s->n_endpoints; r++)
                s->endpoints[r] = sim_addr(wp_node[wp] + (uint32_t)r, SIM_PORT_HBONE);
        } else {
            s->n_endpoints = ws->n_pods;
            s->endpoints = fl_calloc(ws->n_pods ? ws->n_pods : 1, sizeof *s->endpoints);
            for (uint32_t k = 0; k < ws->n_pods; k++)
                s->endpoints[k] = sim_addr(w->pods[ws->first_pod + k].node, SIM_PORT_HBONE);
        }
    }
}

/* Starts one ztunnel named `name` on node (its runtime's own node). */
static struct zt_inst *zt_start(struct sim_world *w, struct sim_ambient *am, uint32_t node,
                                char *name)
{
    const struct sim_ambient_cfg *a = &w->sc->ambient;
    FL_ASSERT(node < w->n_nodes);
    struct zt_inst *zi = &am->zts[am->n_zts++];
    zi->cfg.name = name;
    zi->cfg.services = am->services;
    zi->cfg.n_services = am->n_services;
    zi->cfg.connection_ns = a->connection_ns;
    zi->cfg.message_ns = a->message_ns;
    zi->cfg.workers = a->workers;
    zi->rt = sim_rt_new(w, node, name, a->workers);
    zi->rt->role = "ztunnel";
    return zi;
}

/* Listens for ztunnel zi on node: the service addresses (captured outbound traffic). */
static void zt_capture(struct sim_world *w, struct zt_inst *zi, uint32_t node)
{
    FL_ASSERT(zi->rt && node < w->n_nodes);
    if (!w->sc->n_services) return;
    sim_listen_range(w, node, SIM_PORT_VIP, (uint16_t)(SIM_PORT_VIP + w->sc->n_services - 1),
                     zt_accept, zi);
}

static void ztunnels(struct sim_world *w, struct sim_ambient *am)
{
    const struct sim_scenario *sc = w->sc;
    uint32_t k8s = sc->ambient.nodes ? (uint32_t)sc->ambient.nodes : w->n_pods;
    if (k8s > w->n_pods) k8s = w->n_pods;
    am->zts = fl_calloc(k8s + 1, sizeof *am->zts);
    for (uint32_t k = 0; k < k8s; k++) {
        struct zt_inst *zi =
            zt_start(w, am, w->pods[k].node, fl_asprintf("ztunnel node-%u", (unsigned)k));
        size_t n = 0;
        for (uint32_t p = k; p < w->n_pods; p += k8s) n++;
        zi->cfg.locals = fl_calloc(n, sizeof *zi->cfg.locals);
        for (uint32_t p = k; p < w->n_pods; p += k8s) {
            uint32_t node = w->pods[p].node;
            struct px_zt_local *l = &zi->cfg.locals[zi->cfg.n_locals++];
            l->name = fl_strdup(w->nodes[node].name);
            l->hbone = sim_addr(node, SIM_PORT_HBONE);
            l->plain = sim_addr(node, SIM_PORT_SERVICE);
            l->app = sim_addr(node, SIM_PORT_APP);
            sim_listen(w, node, SIM_PORT_HBONE, zt_accept, zi);
            sim_listen(w, node, SIM_PORT_SERVICE, zt_accept, zi);
            zt_capture(w, zi, node);
        }
        FL_ASSERT(zi->cfg.n_locals == n);
        zi->z = px_ztunnel_new(&zi->rt->rt, &zi->cfg);
    }
    if (sc->has_gateway) {
        struct zt_inst *zi = zt_start(w, am, w->gateway_node, fl_strdup("ztunnel gateway"));
        zt_capture(w, zi, w->gateway_node);
        zi->z = px_ztunnel_new(&zi->rt->rt, &zi->cfg);
    }
}

/* Builds waypoint wp's configuration: the Istio resources, the pods' HBONE ports as endpoints. */
static int waypoint_cfg(struct sim_world *w, const struct sim_waypoint_cfg *wp,
                        struct px_proxy_cfg *out, char **err)
{
    const struct sim_scenario *sc = w->sc;
    struct px_mesh_service *ms = fl_calloc(sc->n_services, sizeof *ms);
    struct px_endpoint_cfg **eps = fl_calloc(sc->n_services, sizeof *eps);
    for (size_t i = 0; i < sc->n_services; i++) {
        const struct sim_service *s = &w->services[i];
        eps[i] = fl_calloc(s->n_pods ? s->n_pods : 1, sizeof **eps);
        for (uint32_t k = 0; k < s->n_pods; k++)
            sim_mesh_endpoint(w, &w->pods[s->first_pod + k], SIM_PORT_HBONE, &eps[i][k]);
        ms[i].name = sc->services[i].name;
        ms[i].endpoints = eps[i];
        ms[i].n_endpoints = s->n_pods;
    }
    int rc = px_istio_build_outbound(&sc->istio, wp->name, ms, sc->n_services, out, err);
    for (size_t i = 0; i < sc->n_services; i++) {
        for (uint32_t k = 0; k < w->services[i].n_pods; k++) px_endpoint_cfg_free(&eps[i][k]);
        free(eps[i]);
    }
    free(eps);
    free(ms);
    if (rc) return -1;
    sim_mesh_compat(sc, out);
    out->cost = wp->cost.cost;
    out->workers = wp->cost.workers;
    out->envoy_headers = 1;
    sim_mesh_tracing(sc, out, 1, 0); /* a waypoint is an Envoy of the mesh */
    return 0;
}

int sim_ambient_init(struct sim_world *w, char **err)
{
    const struct sim_ambient_cfg *a = &w->sc->ambient;
    FL_ASSERT(w->sc->mesh_mode == SIM_MESH_AMBIENT && !w->ambient);
    struct sim_ambient *am = fl_calloc(1, sizeof *am);
    w->ambient = am;
    uint32_t *wp_node = fl_calloc(a->n_waypoints ? a->n_waypoints : 1, sizeof *wp_node);
    waypoint_nodes(w, wp_node);
    service_table(w, am, wp_node);
    ztunnels(w, am);
    am->wp_cfgs = fl_calloc(a->n_waypoints ? a->n_waypoints : 1, sizeof *am->wp_cfgs);
    int rc = 0;
    for (size_t i = 0; i < a->n_waypoints && !rc; i++) {
        const struct sim_waypoint_cfg *wp = &a->waypoints[i];
        rc = waypoint_cfg(w, wp, &am->wp_cfgs[i], err);
        if (rc) break;
        am->n_wp++;
        for (int r = 0; r < wp->replicas; r++) {
            uint32_t node = wp_node[i] + (uint32_t)r;
            struct sim_proxy *sp =
                sim_proxy_start(w, node, SIM_PORT_HBONE, w->nodes[node].name, &am->wp_cfgs[i]);
            sp->role = "waypoint";
        }
    }
    free(wp_node);
    return rc;
}

void sim_ambient_free(struct sim_world *w)
{
    struct sim_ambient *am = w->ambient;
    if (!am) return;
    for (size_t i = 0; i < am->n_zts; i++) {
        struct zt_inst *zi = &am->zts[i];
        if (zi->z) px_ztunnel_free(zi->z);
        sim_proxy_free(zi->rt);
        px_ztunnel_cfg_free(&zi->cfg);
    }
    free(am->zts);
    for (size_t i = 0; i < am->n_services; i++) {
        free(am->services[i].name);
        free(am->services[i].endpoints);
    }
    free(am->services);
    for (size_t i = 0; i < am->n_wp; i++) px_proxy_cfg_free(&am->wp_cfgs[i]);
    free(am->wp_cfgs);
    free(am);
    w->ambient = NULL;
}

/*
 * Rows "ztunnel outbound SERVICE" (connections tunnelled to the service,
 * requests carried on them, tunnels that could not open) and "ztunnel
 * inbound" (to local pods), summed over every ztunnel.
 */
void sim_ambient_results(struct sim_world *w)
{
    struct sim_ambient *am = w->ambient;
    if (!am) return;
    FL_ASSERT(am->n_services == w->sc->n_services);
    for (size_t s = 0; s < am->n_services; s++) {
        char *name = fl_asprintf("ztunnel outbound %s", am->services[s].name);
        struct rpt_cluster *c = sim_mesh_cluster_row(w->run, name);
        free(name);
        for (size_t i = 0; i < am->n_zts; i++) {
            const struct px_zt_stats *st = px_ztunnel_stats(am->zts[i].z);
            c->rq_total += st->rq_outbound[s];
            c->cx_connect_fail += st->connect_fail[s];
        }
    }
    struct rpt_cluster *c = sim_mesh_cluster_row(w->run, "ztunnel inbound");
    for (size_t i = 0; i < am->n_zts; i++) {
        const struct px_zt_stats *st = px_ztunnel_stats(am->zts[i].z);
        c->rq_total += st->rq_inbound;
        c->cx_connect_fail += st->inbound_connect_fail;
    }
}
