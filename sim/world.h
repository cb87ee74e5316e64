/*
 * world.h - the running simulation: the kernel, the nodes on the network
 * (one per workload, one per pod, the gateway's, one per ambient waypoint
 * pod), the connections between them, the pods' modeled applications, the
 * workload generators, and the figures being collected.
 *
 * Everything is indexed by dense ids assigned in scenario order (workloads
 * first, then pods service by service, version by version), never by
 * address, so a run is the same every time. Objects created per request
 * come from free lists owned by the world.
 *
 * Files: net.c (nodes, paths, connections, message delivery), app.c (pods),
 * workload.c (request generators and client retries), world.c (building
 * the world from a scenario, running it, collecting the results); the
 * fault schedule (faults.h) and the event log (log.h) hang from the world.
 */
#ifndef FL_SIM_WORLD_H
#define FL_SIM_WORLD_H

#include <stdint.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "base/u64map.h"
#include "netem/link.h"
#include "netem/tcp.h"
#include "proxies/http.h"
#include "proxies/rt.h"
#include "reports/results.h"
#include "sim/faults.h"
#include "sim/kernel.h"
#include "sim/log.h"
#include "sim/retry_client.h"
#include "sim/scenario.h"

struct sim_world;
struct sim_conn;
struct sim_netfaults;
struct px_pools;

/* Connection errors are the runtime interface's (proxies/rt.h): PX_ETIMEDOUT... */

/* Ports of the model (what a connection is addressed to on a node). */
enum {
    SIM_PORT_SERVICE = 80,     /* what callers connect to: the app, or its inbound sidecar */
    SIM_PORT_APP = 8080,       /* the app behind an inbound sidecar */
    SIM_PORT_GATEWAY = 8000,   /* Kong's proxy port */
    SIM_PORT_OUTBOUND = 15001, /* a sidecar's outbound listener (same node only) */
    SIM_PORT_HBONE = 15008,    /* ambient: tunnels into a pod (ztunnel) or a waypoint */
    SIM_PORT_VIP = 20000,      /* ambient: service i's address is port SIM_PORT_VIP + i */
};

/* The node part of a service address (ambient mode): no node has this id. */
#define SIM_NODE_VIP UINT32_MAX
/* The node part of an address on the connecting proxy's own node (an inbound sidecar's app):
 * the runtime reads it as that node, so that one configuration serves every pod */
#define SIM_NODE_SELF (UINT32_MAX - 1)

/* The address of (node, port) as the runtime interface hands it out. */
static inline uint64_t sim_addr(uint32_t node, uint16_t port)
{
    return ((uint64_t)node << 16) | port;
}

/*
 * One end of a connection: what its owner does with what happens to it
 * (proxies/rt.h's callbacks). The end is also the handle its owner holds:
 * a struct px_conn * is a struct sim_end *, so callbacks and the runtime
 * adapter know which end they speak for.
 */
struct sim_end {
    const struct px_conn_cbs *cbs;
    void *ctx;
    struct sim_conn *c;
    int side; /* 0 client, 1 server */
};

/* Who takes new connections on a port: accept() binds the server end of c. */
struct sim_listener {
    uint16_t port, port_last; /* the ports it takes: port..port_last */
    void (*accept)(void *ctx, struct sim_conn *c);
    void *ctx;
};

#define SIM_LISTENERS_MAX 4

struct sim_node {
    uint32_t id;
    char *name;                     /* pod name, workload name, or "gateway" */
    const char *group;              /* service or workload name: what link settings refer to */
    const char *locality;           /* "region/zone/subzone" (the scenario's), or NULL */
    const struct sim_label *labels; /* a pod's (the scenario's), for failoverPriority */
    size_t n_labels;
    const char *address; /* a workload's address (its cfg's), or NULL: proxies see the name */
    struct sim_listener listeners[SIM_LISTENERS_MAX]; /* up to SIM_LISTENERS_MAX ports */
    uint32_t n_listeners;
    int up;
    uint32_t pod;    /* the pod it is (index in w->pods), or UINT32_MAX */
    char *principal; /* its workload identity over mTLS (a sidecar's pod, the gateway's and
                        the ingress' Envoys: mesh.c), or NULL: it talks plaintext */
};

/*
 * Everything about traffic from one node to another: its link and its idle
 * connections. What every message and pooled connection reads comes first,
 * in one cache line; the link (about 200 bytes) is read only off the ideal
 * shortcut.
 */
struct sim_path {
    uint32_t src, dst;
    int ideal;             /* no delay, no loss in either direction: skip the TCP model */
    int tls_ticket;        /* a TLS session ticket from an earlier full handshake (sim/tls.c) */
    struct sim_path *back; /* dst -> src */
    struct sim_conn *idle; /* open connections src -> dst not in use, most recent first */
    uint64_t opened;
    struct net_link out; /* src -> dst */
};

enum sim_conn_state { SIM_CONN_CONNECTING, SIM_CONN_OPEN, SIM_CONN_CLOSED };

/* A connection: what each message reads first (its TCP state, off the ideal shortcut, last). */
struct sim_conn {
    uint32_t id;
    enum sim_conn_state state;
    uint16_t port;
    int accepted; /* the server end has been offered to its listener */
    uint32_t refs;
    uint32_t in_flight;    /* messages sent, not delivered yet */
    uint32_t src, dst;     /* its path's nodes (copied: a message need not read the path) */
    struct sim_path *path; /* from the client's node */
    struct sim_end end[2]; /* [0] client, [1] server */
    struct sim_world *w;
    struct sim_conn *next_idle, *prev_idle;
    int parked; /* on its path's idle list */
    struct sim_conn *next_free;
    struct sim_conn *live_prev, *live_next; /* the world's connections not freed yet */
    struct net_tcp tcp;
};

/* A pod: one replica of one version of a service, with its worker pool and queue. */
struct sim_pod {
    struct sim_world *w;
    uint32_t node;
    uint32_t service, version;
    const struct sim_version_cfg *cfg;
    struct fl_rng rng;
    int busy;               /* workers serving */
    struct sim_job **queue; /* ring of waiting requests */
    uint32_t q_head, q_len, q_cap;
    struct rpt_pod *stats;
    struct rpt_stats *svc_stats;
    struct sim_proxy *inbound, *outbound; /* its sidecar (mesh mode sidecar) */
    int forwards;                         /* its calls copy headers of the request: keep requests */
    /* what active faults do to it (sim/fault_app.c) */
    double fault_slow;       /* service time factor: 1 when no slow fault is active */
    double fault_error_rate; /* requests answered fault_error_status at once */
    int fault_error_status;
    struct fl_rng fault_rng;            /* the injected errors' draws, apart from the pod's own */
    struct sim_retry_state *call_retry; /* per call, when its calls retry or throttle (else NULL) */
    /* its lifecycle (sim/pods.c) */
    uint32_t incarnation;    /* bumped when its process dies: older work is dropped */
    int withdrawn;           /* not in its service's endpoints now (sim/endpoints.c) */
    double fault_reset_rate; /* responses replaced by a connection reset (sim/fault_reset.c) */
    struct sim_kv_table *kv; /* a Redis pod's counters (sim/kv.c), NULL until used */
};

struct sim_service {
    uint32_t first_pod, n_pods;
};

struct sim_req;
struct sim_job;
struct sim_cache;
struct sim_series;
struct sim_amplify;

/* A workload generator and its client node. */
struct sim_client {
    struct sim_world *w;
    uint32_t node;
    uint32_t target_node; /* the gateway's, when the target is the gateway */
    uint16_t target_port;
    const char *authority; /* the Host of its requests */
    const struct sim_workload_cfg *cfg;
    struct fl_rng rng;
    struct sim_timer arrival; /* open loop: the next arrival */
    int64_t decorrelated_prev;
    struct sim_retry_state *retry; /* its budget, throttling and counters (sim/retry_client.c) */
    int64_t end_ns;                /* it sends no request from then on: stop, or the duration */
    double stage_lambda;           /* stages: the expected arrivals up to the next one */
};

/* A proxy running in the simulator: the shared proxy engine on the sim runtime (sim/rt.c). */
struct sim_proxy;

/* One event a proxy reported (proxies/rt.h struct px_event), kept for results and tests. */
struct sim_event_rec {
    int kind; /* enum px_event_kind */
    int64_t at_ns;
    int64_t value;
    const char *proxy, *cluster, *host;
};

struct sim_world {
    struct sim_kernel k; /* first: event callbacks get the kernel and cast it to the world */
    const struct sim_scenario *sc;
    uint32_t gateway_node; /* UINT32_MAX: none */
    struct sim_proxy *gateway, *gateway_sidecar;
    struct sim_proxy **proxies; /* every proxy, in creation order */
    size_t n_proxies, cap_proxies;
    struct sim_event_rec *events; /* what proxies reported (ejections...), in time order */
    size_t n_events, cap_events;
    struct px_proxy_cfg *mesh_cfg; /* the outbound configuration of the namespace's sidecars */
    struct px_proxy_cfg *
        *mesh_cfgs; /* per Istio Sidecar resource, then for none (mesh_cfg is one) */
    struct px_proxy_cfg *gateway_cfg;
    uint32_t ingress_node;            /* Istio's ingress gateway; UINT32_MAX: none */
    struct px_proxy_cfg *ingress_cfg; /* its configuration (every Gateway) */
    /* inbound sidecars: one configuration per service version, shared by its pods (immutable
     * but for its policy, which follows the version's labels), and a pod of each */
    struct px_proxy_cfg **inbound_cfgs;
    uint32_t *inbound_pods;
    size_t n_inbound_cfgs;
    struct sim_ambient *ambient; /* mesh mode ambient: ztunnels, waypoints (ambient.c) */
    struct sim_node *nodes;
    uint32_t n_nodes;
    /* per node: connections opened and messages sent from it (the zero-time guard); apart from
     * the nodes, whose lines a message need not touch, so that it stays in cache */
    uint64_t *activity;
    struct sim_pod *pods;
    uint32_t n_pods;
    struct sim_service *services;
    struct sim_cache *caches; /* per service; .cfg NULL when it has no cache (sim/cache.h) */
    struct sim_client *clients;
    uint32_t n_clients;
    struct fl_u64map paths;
    struct sim_path *last_path; /* the last path sim_path_get returned (most often asked again) */
    /* paths not ideal (sim_path_set_ideal): while none is, messages skip reading their path */
    uint64_t n_nonideal;
    struct sim_path *path_room; /* the rest of the current block of paths (net.c) */
    size_t n_path_room;
    uint32_t next_conn_id;
    struct sim_conn *free_conns;
    struct px_msg *free_msgs;
    void **msg_blocks; /* every block of pooled messages (net.c clears them all at the end) */
    size_t n_msg_blocks, cap_msg_blocks;
    struct sim_req *free_reqs;
    struct sim_job *free_jobs;
    struct sim_req *live; /* requests not finished, for the end of the run */
    uint64_t next_req_id;
    int stopping;          /* the workloads have stopped sending */
    uint64_t busy_jobs;    /* requests pods are working on */
    struct sim_timer over; /* after duration: is everything done? */
    struct rpt_run *run;
    struct sim_faults faults;        /* the fault schedule (faults.c) */
    struct sim_log log;              /* the event log (log.c) */
    struct sim_netfaults *netfaults; /* active network faults (netfault.c), or NULL */
    struct sim_series *series;       /* time series (series_tick.c), NULL when not recorded */
    struct sim_amplify *amp;         /* retry amplification's warmup reading (amplify.c) */
    uint64_t *activity_mark;         /* the zero-time guard's snapshot of every node's activity */
    char *stall;                     /* why the run could not go on (the guard's diagnosis) */
    struct fl_arena blocks;        /* pooled objects' blocks (sim_world_block), freed at the end */
    struct sim_conn *live_conns;   /* every connection not freed (net.c) */
    struct sim_lives *lives;       /* the pods' lifecycles, once a pod fault acts (pods.c) */
    uint64_t trace_ids;            /* trace and span ids drawn (sim/trace.c) */
    struct sim_tracer *tracer;     /* the span sink's open and kept traces (sim/trace.c) */
    struct sim_identity *identity; /* workload certificates (sim/identity.c), or NULL */
    struct px_pools *px_pools;     /* free lists every proxy shares (sim/rt.c), or NULL */
    struct fl_arena px_arena;      /* their arena: the proxies' long-lived objects */
};

/* ---- net.c ---- */
void sim_net_init(struct sim_world *w);
void sim_net_free(struct sim_world *w);
/* The path from node src to node dst (created on first use). */
struct sim_path *sim_path_get(struct sim_world *w, uint32_t src, uint32_t dst);
/* Sets p's ideal flag (what every change of it goes through: the world counts those not ideal). */
void sim_path_set_ideal(struct sim_world *w, struct sim_path *p, int ideal);
/* 1 if c's path is ideal now (no TCP model): without reading the path while every path is. */
static inline int sim_conn_ideal(const struct sim_world *w, const struct sim_conn *c)
{
    return !w->n_nonideal || c->path->ideal;
}
/* Makes accept(ctx, conn) take connections to port on node. */
void sim_listen(struct sim_world *w, uint32_t node, uint16_t port,
                void (*accept)(void *ctx, struct sim_conn *c), void *ctx);
/* The same for every port from port to port_last (ambient capture of service addresses). */
void sim_listen_range(struct sim_world *w, uint32_t node, uint16_t port, uint16_t port_last,
                      void (*accept)(void *ctx, struct sim_conn *c), void *ctx);
/*
 * Opens a connection from src to port on dst; cbs->connected(status) runs
 * when the handshake ends. The caller holds one reference (sim_conn_release).
 */
struct sim_conn *sim_conn_open(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port,
                               const struct px_conn_cbs *cbs, void *ctx);
/*
 * The same, with the handshake beginning after_ns from now (a name being
 * resolved first); fail (a PX_E* code, or PX_OK) makes connected() report
 * it after_ns from now without sending anything.
 */
struct sim_conn *sim_conn_open_after(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port,
                                     const struct px_conn_cbs *cbs, void *ctx, int64_t after_ns,
                                     int fail);
/* TLS on a new connection (sim/tls.c): none, the client authenticating the server, or mutual. */
enum sim_tls_kind { SIM_TLS_NONE, SIM_TLS_SERVER, SIM_TLS_MUTUAL };
/* sim_conn_open_after, with a TLS handshake after TCP's. */
struct sim_conn *sim_conn_open_tls(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port,
                                   const struct px_conn_cbs *cbs, void *ctx, int64_t after_ns,
                                   int fail, enum sim_tls_kind tls);
/* An idle open connection from src to port on dst taken out of its pool, or NULL. */
struct sim_conn *sim_conn_take_idle(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port);
/* Puts an open connection back in its pool (the client end is unbound). */
void sim_conn_park(struct sim_world *w, struct sim_conn *c);
/* Binds one end (0 client, 1 server) of a connection to cbs/ctx. */
void sim_conn_bind(struct sim_conn *c, int side, const struct px_conn_cbs *cbs, void *ctx);
/* Sends msg (ownership passes) from one end to the other. Dropped if the connection is closed. */
void sim_conn_send(struct sim_world *w, struct sim_conn *c, int side, struct px_msg *msg);
/* Closes (or resets) the connection from one end; the other end's closed() runs when the
 * FIN (RST) arrives. */
void sim_conn_close(struct sim_world *w, struct sim_conn *c, int side, int reset);
void sim_conn_ref(struct sim_conn *c);
void sim_conn_release(struct sim_world *w, struct sim_conn *c);
/*
 * Closes every connection with an end on node, as its process exits (FIN)
 * or dies (reset): the far end learns it after the one-way delay, the
 * node's own ends at once. Returns how many were closed.
 */
size_t sim_net_node_close(struct sim_world *w, uint32_t node, int reset);
/* 1 if no open connection with an end on node has a message on the wire. */
int sim_net_node_quiet(const struct sim_world *w, uint32_t node);
/* The world a connection belongs to. */
struct sim_world *sim_conn_world(const struct sim_conn *c);

/* The handle of one end of c. */
static inline struct px_conn *sim_px_conn(struct sim_conn *c, int side)
{
    return (struct px_conn *)&c->end[side];
}

/* The connection of an end's handle. */
static inline struct sim_conn *sim_conn_of(struct px_conn *pc)
{
    return ((struct sim_end *)pc)->c;
}

/* Which end (0 client, 1 server) a handle is. */
static inline int sim_conn_side(struct px_conn *pc)
{
    return ((struct sim_end *)pc)->side;
}

struct px_msg *sim_msg_new(struct sim_world *w);
void sim_msg_free(struct sim_world *w, struct px_msg *m);

/* Allocates n objects of size bytes for a pool; freed with the world. */
void *sim_world_block(struct sim_world *w, size_t n, size_t size);

/* ---- app.c ---- */
void sim_app_init(struct sim_world *w);
void sim_app_free(struct sim_world *w);
/* The pod's process died: its queue and its work are dropped, unanswered. */
void sim_app_kill(struct sim_world *w, struct sim_pod *pod);
/* 1 if the pod's application has nothing to do (no work, nothing queued). */
int sim_app_idle(const struct sim_pod *pod);

/* ---- mesh.c: the gateway and the sidecars ---- */
/* Builds and starts every proxy; returns 0 or -1 with *err set (a reference that does not
 * resolve). */
int sim_mesh_init(struct sim_world *w, char **err);
void sim_mesh_free(struct sim_world *w);
/* Adds every proxy's cluster counters to the run's results. */
void sim_mesh_results(struct sim_world *w);
/* The endpoint of a pod at one of its ports, with its labels (for a proxy's cluster). */
void sim_mesh_endpoint(const struct sim_world *w, const struct sim_pod *pod, uint16_t port,
                       struct px_endpoint_cfg *e);
/* The scenario's choices of older Envoy behaviour, applied to a built configuration. */
void sim_mesh_compat(const struct sim_scenario *sc, struct px_proxy_cfg *c);
/*
 * A proxy's tracing: Istio's (px_istio_trace_cfg; ingress 1: the ingress
 * gateway, in the root namespace) when istio is set, else as built (Kong's
 * plugins); then the scenario's tracing.sample, when given, for every
 * proxy and route.
 */
void sim_mesh_tracing(const struct sim_scenario *sc, struct px_proxy_cfg *c, int istio,
                      int ingress);
/*
 * Rebuilds the mTLS mode and policies of every pod's inbound sidecar from
 * the scenario's Istio resources and then the n_extra sets given (applied
 * later: each replaces a resource of the same kind, name and namespace).
 */
void sim_mesh_security(struct sim_world *w, const struct px_istio *const *extra, size_t n_extra);
/* The results row of a proxy cluster name, added on first sight. */
struct rpt_cluster *sim_mesh_cluster_row(struct rpt_run *run, const char *name);
/* Adds every proxy's cluster counters, as they are now, to into's rows (by name). */
void sim_mesh_clusters_into(struct sim_world *w, struct rpt_run *into);

/* ---- ambient.c: Istio ambient mode (ztunnels, waypoints) ---- */
/* Nodes the world needs besides workloads, pods and the gateway (waypoint pods). */
uint32_t sim_ambient_nodes(const struct sim_scenario *sc);
/* Builds and starts the ztunnels and waypoints; 0, or -1 with *err set. */
int sim_ambient_init(struct sim_world *w, char **err);
void sim_ambient_free(struct sim_world *w);
/* Adds the ztunnels' counters to the run's results (waypoints are proxies: sim_mesh_results). */
void sim_ambient_results(struct sim_world *w);

/* ---- world.c ---- */
/* Ends the run if the workloads have stopped and nothing is under way. */
void sim_world_maybe_stop(struct sim_world *w);

/* ---- workload.c ---- */
void sim_workload_start(struct sim_world *w);
/* Ends every unfinished request as RPT_FAIL_UNFINISHED (at the end of the run). */
void sim_workload_finish(struct sim_world *w);
void sim_workload_free(struct sim_world *w);

#endif
