/*
 * rt.h - the runtime interface: everything the proxy code needs from the
 * world, as one table of functions (in the manner of SQLite's VFS).
 *
 * The gateway and the sidecars (proxies/) talk to the world only through
 * this table: the clock, timers, connections (connect, send, close, reset,
 * and callbacks for what arrives), CPU time, a random stream, and sinks for
 * spans and notable events. Two runtimes implement it: the simulator
 * (sim/rt.c: virtual time, modeled network) and the live one (live/:
 * libev, real sockets). The proxy code never knows which one it runs on,
 * and never includes anything of either.
 *
 * Contract for every callback: it may call back into the runtime (send,
 * close, arm timers) and may close the connection it was called for; it
 * must not free a connection or a timer the runtime is still using. A
 * runtime never calls a callback from inside the function that the proxy
 * called (no re-entrance), except px_rt_work, whose continuation may run
 * before it returns on a runtime that models no CPU time.
 *
 * New entries are only ever appended to struct px_rt_ops.
 */
#ifndef FL_PROXIES_RT_H
#define FL_PROXIES_RT_H

#include <stdint.h>

#include "proxies/http.h"

struct px_rt;
struct px_conn; /* a runtime's connection; opaque to the proxy code */

enum {
    PX_OK = 0,
    PX_ETIMEDOUT = -1,    /* connect or retransmissions timed out */
    PX_ECONNREFUSED = -2, /* nothing listens there */
    PX_ERESET = -3,       /* the peer reset the connection */
    PX_ECLOSED = -4,      /* the peer closed the connection */
    PX_EDNS = -5,         /* the name did not resolve (no connection was attempted) */
    PX_ESTORE = -6,       /* a counter store answered with an error (px_rt_ops.kv_incr) */
};

/* "timed out", "connection refused"... */
const char *px_strerror(int code);

typedef void (*px_timer_cb)(struct px_rt *rt, void *arg);

/*
 * A timer embedded in its owner. `state` belongs to the runtime (which
 * checks at build time that its own timer fits); the owner sets nothing but
 * through px_timer_init.
 */
struct px_timer {
    px_timer_cb cb;
    void *arg;
    uint64_t state[6];
};

/* What a connection's owner is told. Any may be NULL. */
struct px_conn_cbs {
    /* the connection opened (PX_OK) or could not be opened */
    void (*connected)(void *ctx, struct px_conn *c, int status);
    /* a whole message arrived; the callee owns it (px_msg_free) */
    void (*message)(void *ctx, struct px_conn *c, struct px_msg *m);
    /* the connection ended under its owner (reason: a PX_E* code); the owner
     * must not use it afterwards except to px_conn_release it */
    void (*closed)(void *ctx, struct px_conn *c, int reason);
};

/*
 * A span, as Zipkin v2 has it (ids in hex-able integers; times in ns).
 * Strings are borrowed for the duration of the call: a sink that keeps
 * them copies (or interns) them.
 */
enum { PX_SPAN_LOCAL = 0, PX_SPAN_CLIENT = 1, PX_SPAN_SERVER = 2 };
struct px_span {
    uint64_t trace_hi, trace_lo, id, parent; /* parent 0: a root span */
    const char *name;
    int kind; /* PX_SPAN_* */
    int64_t start_ns, end_ns;
    const char *service; /* local endpoint */
    const char *peer;    /* remote endpoint, if known (client spans: the upstream pod) */
    int status;          /* HTTP status, 0 when there was none */
    uint32_t flags;      /* PX_FLAG_* */
    uint32_t attempt;    /* client spans: 1 for the first try, 2 for the first retry... */
    /* appended with tracing (docs/design.md "Tracing") */
    int sampled;         /* 1: the trace is sampled (exported); 0: kept only if among the slowest */
    int error;           /* 1: the span failed (5xx, reset, timeout, local refusal) */
    const char *method;  /* http.method */
    const char *path;    /* http.path */
    const char *cluster; /* client spans: the upstream cluster */
    const char *reason;  /* why this attempt ended as it did when it was retried or refused:
                            "5xx", "reset", "connect-failure", "per-try-timeout", "timeout",
                            "overflow", "retry-budget", "retry-limit", "ejected", ... or NULL */
    int64_t queue_ns;    /* server spans of pods: waiting for a worker */
    int64_t service_ns;  /* ... and working (service time, calls excluded) */
    int64_t rtx_ns;      /* TCP retransmission delay the span's messages suffered */
};

/* Notable events a proxy reports (the simulator lists them in its results). */
enum px_event_kind {
    PX_EV_EJECT,     /* outlier detection ejected a host */
    PX_EV_UNEJECT,   /* ... and brought it back */
    PX_EV_PANIC,     /* a cluster entered panic mode (too few healthy hosts) */
    PX_EV_OVERFLOW,  /* a circuit breaker turned a request away */
    PX_EV_RATELIMIT, /* a rate limit turned a request away */
    PX_EV_RL_STORE,  /* a rate limit's counter store failed: value 1 the request went through
                        unchecked (fault_tolerant), 0 it was refused with 500 */
};

struct px_event {
    enum px_event_kind kind;
    const char *proxy;   /* the proxy's name */
    const char *cluster; /* or NULL */
    const char *host;    /* or NULL */
    int64_t at_ns;
    int64_t value; /* eject: the ejection time; overflow: which breaker (PX_BREAKER_*) */
};

/*
 * A counter store: what Kong's rate-limiting policy redis talks to (a
 * Redis server, or the simulator's model of one). Named by host, port and
 * database; username and password (NULL: none) are sent once per
 * connection (Redis AUTH), the database chosen with SELECT when not 0.
 */
struct px_kv_store {
    const char *host;
    int port;
    int database;
    const char *username, *password;
};

/*
 * One request to a store: for each key, add 1 to its counter (a missing
 * counter counts from 0) and, when this creates it, let it expire after
 * expire_s[i] seconds; answer with the counts as they were before. The
 * keys and the store are borrowed for the duration of the call.
 */
struct px_kv_req {
    const struct px_kv_store *store;
    int64_t timeout_ns; /* the whole request, connecting included */
    size_t n;           /* 1..8 */
    const char *const *keys;
    const int64_t *expire_s;
};

/* status PX_OK: values[i] is key i's count before the increment; else values is NULL */
typedef void (*px_kv_cb)(struct px_rt *rt, void *arg, int status, const int64_t *values);

struct px_rt_ops {
    /* the time now, in ns (simulated, or monotonic wall clock) */
    int64_t (*now)(struct px_rt *rt);
    /* 64 random bits from the proxy's own stream */
    uint64_t (*draw)(struct px_rt *rt);

    void (*timer_init)(struct px_rt *rt, struct px_timer *t, px_timer_cb cb, void *arg);
    /* arms (or re-arms) t to fire at at_ns */
    void (*timer_arm)(struct px_rt *rt, struct px_timer *t, int64_t at_ns);
    /* disarms t if armed; a disarmed timer may be freed with its owner */
    void (*timer_cancel)(struct px_rt *rt, struct px_timer *t);

    /*
     * Opens a connection to the endpoint `addr` (an address the runtime gave
     * out when the proxy was configured); cbs->connected runs later. The
     * caller holds the handle until it calls conn_release.
     */
    struct px_conn *(*connect)(struct px_rt *rt, uint64_t addr, const struct px_conn_cbs *cbs,
                               void *ctx);
    /* (re)binds the callbacks of the caller's end (e.g. of an accepted connection) */
    void (*conn_bind)(struct px_rt *rt, struct px_conn *c, const struct px_conn_cbs *cbs,
                      void *ctx);
    /* sends a whole message; ownership passes to the runtime */
    void (*send)(struct px_rt *rt, struct px_conn *c, struct px_msg *m);
    /* closes gracefully (close) or abortively (reset); the other end is told */
    void (*conn_close)(struct px_rt *rt, struct px_conn *c);
    void (*conn_reset)(struct px_rt *rt, struct px_conn *c);
    /* gives the handle back; after close/reset or after `closed` was called */
    void (*conn_release)(struct px_rt *rt, struct px_conn *c);

    struct px_msg *(*msg_new)(struct px_rt *rt);
    void (*msg_free)(struct px_rt *rt, struct px_msg *m);

    /*
     * Spends cost_ns of the proxy's CPU, then runs cb(rt, arg). A runtime
     * that models CPU queues the work on the proxy's workers; the live
     * runtime spends real CPU and runs cb at once.
     */
    void (*work)(struct px_rt *rt, int64_t cost_ns, px_timer_cb cb, void *arg);

    void (*span)(struct px_rt *rt, const struct px_span *s);
    void (*event)(struct px_rt *rt, const struct px_event *e);

    /* who is at the other end of a connection (an IP address, a pod name), for rate limits */
    const char *(*conn_peer)(struct px_rt *rt, struct px_conn *c);

    /*
     * The address the peer dialled to reach this (accepted) end: for traffic
     * a node proxy captured, its original destination (SO_ORIGINAL_DST).
     * May be NULL: a runtime that captures nothing (ztunnel then serves
     * nothing). Used by the ambient node proxy (proxies/ztunnel.c).
     */
    uint64_t (*conn_local)(struct px_rt *rt, struct px_conn *c);
    /*
     * connect, but from the network namespace where `via` (an accepted end)
     * lives: ztunnel's in-pod sockets (Istio ambient "in-pod traffic
     * redirection"). May be NULL: the proxy then uses connect.
     */
    struct px_conn *(*connect_local)(struct px_rt *rt, struct px_conn *via, uint64_t addr,
                                     const struct px_conn_cbs *cbs, void *ctx);
    /*
     * A fresh non-zero 64-bit id for a trace or a span, from a stream of
     * its own (so tracing never changes the proxy's other draws). May be
     * NULL: the proxy then uses draw.
     */
    uint64_t (*trace_id)(struct px_rt *rt);
    /*
     * 1 if the endpoint at addr is out of its service's endpoints now (a
     * pod being deleted), as discovery would tell a cluster created now.
     * May be NULL: endpoints are never withdrawn. A cluster the proxy
     * creates on first use (proxy.c) starts from it; later changes come
     * through px_proxy_set_endpoint.
     */
    int (*endpoint_absent)(struct px_rt *rt, uint64_t addr);
    /*
     * The wall-clock time, in ns since 1970 (what token expiry is checked
     * against). The simulator's is the scenario's start_time plus the
     * simulated time; the live runtime's CLOCK_REALTIME. May be NULL: the
     * proxy then takes now().
     */
    int64_t (*unix_now)(struct px_rt *rt);
    /*
     * The workload identity of the client at the other end of an accepted
     * connection, when it came over mutual TLS: its principal
     * "cluster.local/ns/NS/sa/SA" (its certificate's SPIFFE id without
     * "spiffe://"), borrowed for the connection's life; NULL for a
     * plaintext connection. May be NULL: every connection is plaintext.
     * Istio's PeerAuthentication and AuthorizationPolicy (istio_sec.h) ask.
     */
    const char *(*conn_principal)(struct px_rt *rt, struct px_conn *c);
    /*
     * Sends req to its counter store; cb(rt, arg, status, values) runs
     * exactly once, later (never inside this call): with the answer, or
     * with an error -- PX_ECONNREFUSED (cannot connect), PX_ETIMEDOUT (no
     * answer within req->timeout_ns), PX_ECLOSED (the connection broke, or
     * the runtime shut down), PX_ESTORE (the store answered an error).
     * May be NULL: the proxy then takes every store for unreachable.
     */
    void (*kv_incr)(struct px_rt *rt, const struct px_kv_req *req, px_kv_cb cb, void *arg);
};

struct px_pools;

/* A runtime instance: runtimes embed this first in their own struct. */
struct px_rt {
    const struct px_rt_ops *ops;
    /* free lists every proxy on this runtime shares (proxy.h), or NULL: each keeps its own */
    struct px_pools *pools;
};

static inline int64_t px_now(struct px_rt *rt)
{
    return rt->ops->now(rt);
}

static inline int64_t px_unix_now(struct px_rt *rt)
{
    return rt->ops->unix_now ? rt->ops->unix_now(rt) : rt->ops->now(rt);
}

static inline uint64_t px_random(struct px_rt *rt)
{
    return rt->ops->draw(rt);
}

static inline void px_timer_init(struct px_rt *rt, struct px_timer *t, px_timer_cb cb, void *arg)
{
    rt->ops->timer_init(rt, t, cb, arg);
}

static inline void px_timer_arm(struct px_rt *rt, struct px_timer *t, int64_t at_ns)
{
    rt->ops->timer_arm(rt, t, at_ns);
}

static inline void px_timer_cancel(struct px_rt *rt, struct px_timer *t)
{
    rt->ops->timer_cancel(rt, t);
}

static inline struct px_msg *px_msg_new(struct px_rt *rt)
{
    return rt->ops->msg_new(rt);
}

static inline void px_msg_free(struct px_rt *rt, struct px_msg *m)
{
    rt->ops->msg_free(rt, m);
}

#endif
