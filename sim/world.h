/*
 * world.h - the running simulation: the kernel, the nodes on the network
 * (one per workload, one per pod), the connections between them, the pods'
 * modeled applications, the workload generators, and the figures being
 * collected.
 *
 * Everything is indexed by dense ids assigned in scenario order (workloads
 * first, then pods service by service, version by version), never by
 * address, so a run is the same every time. Objects created per request
 * come from free lists owned by the world.
 *
 * Files: net.c (nodes, paths, connections, message delivery), app.c (pods),
 * workload.c (request generators and client retries), world.c (building
 * the world from a scenario, running it, collecting the results).
 */
#ifndef FL_SIM_WORLD_H
#define FL_SIM_WORLD_H

#include <stdint.h>

#include "base/rng.h"
#include "base/u64map.h"
#include "netem/link.h"
#include "netem/tcp.h"
#include "proxies/http.h"
#include "reports/results.h"
#include "sim/kernel.h"
#include "sim/scenario.h"

struct sim_world;
struct sim_conn;

enum {
    SIM_OK = 0,
    SIM_ETIMEDOUT = -1,    /* SYN or data retransmissions exhausted */
    SIM_ECONNREFUSED = -2, /* nothing listens there (a dead pod) */
    SIM_ERESET = -3,       /* the peer reset the connection */
    SIM_ECLOSED = -4,      /* the peer closed the connection */
};

/* What one end of a connection does with what happens to it. Any may be NULL. */
struct sim_conn_ops {
    /* client end: the connection is open (status SIM_OK) or could not be opened */
    void (*connected)(struct sim_world *w, struct sim_conn *c, void *ctx, int status);
    /* a message arrived; the callee owns msg (sim_msg_free) */
    void (*message)(struct sim_world *w, struct sim_conn *c, void *ctx, struct px_msg *msg);
    /* the connection ended under this end: reset or closed by the peer, or broken */
    void (*closed)(struct sim_world *w, struct sim_conn *c, void *ctx, int reason);
};

struct sim_endpoint {
    const struct sim_conn_ops *ops;
    void *ctx;
};

struct sim_node {
    uint32_t id;
    char *name;                   /* pod name, or workload name */
    const char *group;            /* service or workload name: what link settings refer to */
    struct sim_endpoint listener; /* who takes new connections to this node */
    int up;
};

/* Everything about traffic from one node to another: its link and its idle connections. */
struct sim_path {
    uint32_t src, dst;
    int ideal;             /* no delay, no loss in either direction: skip the TCP model */
    struct net_link out;   /* src -> dst */
    struct sim_path *back; /* dst -> src */
    struct sim_conn *idle; /* open connections src -> dst not in use, most recent first */
    uint64_t opened;
};

enum sim_conn_state { SIM_CONN_CONNECTING, SIM_CONN_OPEN, SIM_CONN_CLOSED };

struct sim_conn {
    uint32_t id;
    enum sim_conn_state state;
    struct sim_path *path; /* from the client's node */
    struct net_tcp tcp;
    struct sim_endpoint end[2]; /* [0] client, [1] server */
    uint32_t refs;
    struct sim_conn *next_idle;
    struct sim_conn *next_free;
};

/* A pod: one replica of one version of a service, with its worker pool and queue. */
struct sim_pod {
    uint32_t node;
    uint32_t service, version;
    const struct sim_version_cfg *cfg;
    struct fl_rng rng;
    int busy;               /* workers serving */
    struct sim_job **queue; /* ring of waiting requests */
    uint32_t q_head, q_len, q_cap;
    struct rpt_pod *stats;
    struct rpt_stats *svc_stats;
};

struct sim_service {
    uint32_t first_pod, n_pods;
};

struct sim_req;
struct sim_job;

/* A workload generator and its client node. */
struct sim_client {
    uint32_t node;
    const struct sim_workload_cfg *cfg;
    struct fl_rng rng;
    struct sim_timer arrival; /* open loop: the next arrival */
    int64_t decorrelated_prev;
};

struct sim_world {
    struct sim_kernel k; /* first: event callbacks get the kernel and cast it to the world */
    const struct sim_scenario *sc;
    struct sim_node *nodes;
    uint32_t n_nodes;
    struct sim_pod *pods;
    uint32_t n_pods;
    struct sim_service *services;
    struct sim_client *clients;
    uint32_t n_clients;
    struct fl_u64map paths;
    uint32_t next_conn_id;
    struct sim_conn *free_conns;
    struct px_msg *free_msgs;
    struct sim_req *free_reqs;
    struct sim_job *free_jobs;
    struct sim_req *live; /* requests not finished, for the end of the run */
    uint64_t next_req_id;
    int stopping; /* the workloads have stopped sending */
    struct rpt_run *run;
    /* chunks of pooled objects, freed at the end */
    void **blocks;
    size_t n_blocks, cap_blocks;
};

/* ---- net.c ---- */
void sim_net_init(struct sim_world *w);
void sim_net_free(struct sim_world *w);
/* The path from node src to node dst (created on first use). */
struct sim_path *sim_path_get(struct sim_world *w, uint32_t src, uint32_t dst);
/*
 * Opens a connection from src to dst; ops->connected(status) runs when the
 * handshake ends. The caller holds one reference (sim_conn_release).
 */
struct sim_conn *sim_conn_open(struct sim_world *w, uint32_t src, uint32_t dst,
                               const struct sim_conn_ops *ops, void *ctx);
/* An idle open connection from src to dst taken out of its pool, or NULL. */
struct sim_conn *sim_conn_take_idle(struct sim_world *w, uint32_t src, uint32_t dst);
/* Puts an open connection back in its pool (the client end is unbound). */
void sim_conn_park(struct sim_world *w, struct sim_conn *c);
/* Binds one end (0 client, 1 server) of a connection to ops/ctx. */
void sim_conn_bind(struct sim_conn *c, int side, const struct sim_conn_ops *ops, void *ctx);
/* Sends msg (ownership passes) from one end to the other. Dropped if the connection is closed. */
void sim_conn_send(struct sim_world *w, struct sim_conn *c, int side, struct px_msg *msg);
/* Closes the connection from one end; the other end's closed() runs when the FIN arrives. */
void sim_conn_close(struct sim_world *w, struct sim_conn *c, int side);
void sim_conn_ref(struct sim_conn *c);
void sim_conn_release(struct sim_world *w, struct sim_conn *c);

struct px_msg *sim_msg_new(struct sim_world *w);
void sim_msg_free(struct sim_world *w, struct px_msg *m);

/* Allocates n objects of size bytes for a pool; freed with the world. */
void *sim_world_block(struct sim_world *w, size_t n, size_t size);

/* ---- app.c ---- */
void sim_app_init(struct sim_world *w);
void sim_app_free(struct sim_world *w);

/* ---- workload.c ---- */
void sim_workload_start(struct sim_world *w);
/* Ends every unfinished request as RPT_FAIL_UNFINISHED (at the end of the run). */
void sim_workload_finish(struct sim_world *w);
void sim_workload_free(struct sim_world *w);

/*
 * The backoff before retry number `attempt` (0 for the first retry), by the
 * formulas of the AWS Architecture Blog post "Exponential Backoff And
 * Jitter" (Marc Brooker, 2015). *prev_ns carries the previous sleep for the
 * decorrelated form (start it at base).
 */
int64_t sim_backoff(const struct sim_retry_cfg *r, int attempt, int64_t *prev_ns,
                    struct fl_rng *rng);

#endif
