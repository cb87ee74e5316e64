/*
 * proxy_internal.h - what the proxy engine's files share: proxy.c
 * (downstream connections, streams, routing, rate limits, faults),
 * upstream.c (clusters, connection pools, attempts, retries, breakers,
 * outlier detection), mirror.c (shadow copies) and proxy_trace.c (spans and
 * trace propagation). Not part of the engine's interface (proxy.h).
 *
 * Objects and their lifetimes:
 *  - struct down: a downstream connection, from accept until it closes;
 *    HTTP/1.1, so at most one stream at a time (pipelined requests wait);
 *  - struct stream: one downstream request, until its response is sent (or
 *    its connection dies);
 *  - struct attempt: one upstream try of a stream, until its result;
 *  - struct upconn: an upstream connection, owned by its host's pool.
 */
#ifndef FL_PROXIES_PROXY_INTERNAL_H
#define FL_PROXIES_PROXY_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/freelist.h"
#include "base/u64map.h"
#include "proxies/proxy.h"
#include "proxies/respcache.h"
#include "proxies/trace.h"

struct stream;
struct shadow;
struct attempt;
struct host;
struct cluster;

struct upconn {
    struct upconn *prev, *next; /* the proxy's list of every upstream connection */
    struct px_conn *c;
    struct host *host;
    struct attempt *att; /* the attempt using it; NULL when idle or connecting */
    int connected;
    uint32_t served;
    struct px_timer connect_timer;
    struct upconn *next_idle;
};

struct host {
    struct cluster *cl;
    uint32_t index;
    uint32_t active;     /* attempts assigned to it */
    uint32_t connecting; /* connections being opened */
    uint32_t open;       /* connections open or opening */
    struct upconn *idle;
    struct attempt *pend_head, *pend_tail; /* attempts waiting for a connection */
    uint32_t n_pend;                       /* how many (so the pool need not count them) */
};

/*
 * What each request reads comes first (then the balancer's own hot part), the rest after;
 * outlier detection, when configured, behind a pointer: a large mesh makes thousands of
 * clusters, each cold at its next request, and most have none.
 */
struct cluster {
    struct px_proxy *p;
    const struct px_cluster_cfg *cfg;
    uint32_t index;
    int has_outlier;    /* od is set */
    struct host *hosts; /* and, in the same block, lbh */
    struct px_lb_host *lbh;
    char *span_name;       /* its attempts' CLIENT span name: "router NAME egress" */
    struct px_outlier *od; /* NULL: no outlier detection */
    struct px_breaker br;
    struct px_lb lb;
    struct px_cluster_stats st;
    struct px_timer sweep;
};

struct attempt {
    struct stream *s;
    struct host *host;
    struct upconn *uc;
    int pending;
    int is_retry;
    struct px_timer per_try;
    uint64_t span_id; /* its CLIENT span (0: the stream is not traced) */
    int64_t start_ns; /* when it began (pending included) */
    uint32_t number;  /* 1 for the first try, 2 for the first retry... */
    int64_t rtx_ns;   /* its response's TCP retransmission delay (the span's rtx) */
    struct attempt *next_pend, *prev_pend;
};

struct down {
    struct down *prev, *next; /* the proxy's list of downstream connections */
    struct px_proxy *p;
    struct px_conn *c;
    struct stream *s;      /* the stream being served */
    struct px_msg **queue; /* pipelined requests waiting */
    size_t q_len, q_cap;
    int closed;
};

struct stream {
    struct stream *prev, *next; /* the proxy's list of streams, abandoned ones included */
    struct px_proxy *p;
    struct down *down;
    struct px_msg *req;
    const struct px_route_cfg *route;
    struct cluster *cl;
    int dest;        /* the route's destination picked, or -1 */
    int64_t cost_ns; /* this request's CPU cost, half each way */
    uint32_t retries;
    uint32_t flags;
    struct attempt *att;
    struct px_timer route_timer, backoff_timer, fault_timer;
    uint8_t *tried; /* per host of the cluster: tried already (tried_inline when few) */
    uint8_t tried_inline[16];
    int has_hash; /* the request's hash for ring hash / Maglev (lb_hash.h) */
    uint64_t hash;
    int has_rl;
    int rl_index;
    struct px_rl_verdict rl;
    struct px_edge_state edge; /* the route's policies (edge.h) between request and response */
    struct px_msg *resp;       /* the response on its way down */
    int retry_pending;         /* a retry waits in backoff (it holds a retry count) */
    int in_work;               /* a CPU continuation is queued for it */
    int abandoned;             /* the client went away */
    /* tracing (proxy_trace.c) */
    int64_t start_ns;   /* when the request arrived */
    struct px_trace tr; /* the trace: ids, sampling, the incoming span (tr.span_id) */
    uint64_t span_id;   /* its SERVER span; 0: not traced */
    uint32_t attempts;  /* attempts begun */
    int span_done;      /* the SERVER span was reported */
};

/* What every stream reads comes first, in one cache line (a large mesh's proxies are cold). */
struct px_proxy {
    struct px_rt *rt;
    const struct px_proxy_cfg *cfg;
    struct px_pools *pools;   /* released streams and attempts: the runtime's, else own */
    size_t n_live;            /* clusters created */
    uint32_t *live;           /* the indices of the clusters created, in the order they were */
    struct cluster **live_cl; /* live[i]'s cluster */
    struct cluster *last_cl;  /* the cluster px_cluster_at gave last (NULL: none yet) */
    /* everything alive, so that px_proxy_free leaves nothing behind */
    struct stream *streams;
    uint64_t active;
    struct down *downs;
    struct upconn *ups;
    struct shadow *shadows; /* mirrored copies in flight (mirror.c) */
    size_t n_clusters;      /* the configuration's; only those used exist (px_cluster_at) */
    size_t cap_live;
    /* index + 1 -> cluster, once more than a few exist (below, live is searched): a sidecar
     * of a large mesh is configured with every service but calls one or two */
    struct fl_u64map by_index;
    struct px_pools own;
    const char *name;        /* its own name (px_proxy_name_set), or NULL: its cfg's */
    char *locality;          /* where it runs, or NULL */
    struct px_label *labels; /* of the workload it serves */
    size_t n_labels;
    int64_t created_ns; /* when it started: its clusters' outlier sweeps keep time from it */
    struct px_rl *rls;
    struct px_rl_wait *rl_waits; /* requests to counter stores not answered yet */
    struct px_respcache cache;   /* Kong proxy-cache, memory strategy */
    uint64_t requests;           /* counted by correlation-id's uuid#counter */
    char uuid[PX_UUID_SIZE];     /* correlation-id's worker uuid (drawn when first needed) */
    uint64_t shadows_sent;
    int freeing; /* px_proxy_free is running: no spans for what it drops */
};

/* Intrusive doubly-linked lists with a head pointer. */
#define LIST_ADD(head, x)                                                                          \
    do {                                                                                           \
        (x)->prev = NULL;                                                                          \
        (x)->next = (head);                                                                        \
        if (head) (head)->prev = (x);                                                              \
        (head) = (x);                                                                              \
    } while (0)
#define LIST_DEL(head, x)                                                                          \
    do {                                                                                           \
        if ((x)->prev)                                                                             \
            (x)->prev->next = (x)->next;                                                           \
        else                                                                                       \
            (head) = (x)->next;                                                                    \
        if ((x)->next) (x)->next->prev = (x)->prev;                                                \
    } while (0)

/* ---- long-lived objects (px_pools.arena) ---- */

/* size bytes, zeroed, that live until px_keep_free or, from an arena, until the arena goes. */
static inline void *px_keep_alloc(const struct px_pools *pl, size_t size)
{
    return pl->arena ? fl_arena_alloc(pl->arena, size) : fl_calloc(1, size);
}

/* Gives back what px_keep_alloc gave (from an arena: nothing to do). */
static inline void px_keep_free(const struct px_pools *pl, void *x)
{
    if (!pl->arena) free(x);
}

/* ---- proxy.c ---- */

/* The name its events and spans carry: its own, else its configuration's. */
static inline const char *px_proxy_name(const struct px_proxy *p)
{
    return p->name ? p->name : p->cfg->name;
}

/* 64 random bits from the proxy's runtime (for px_lb_pick). */
uint64_t px_rt_random(void *arg);
/* Tells the runtime about an ejection, an overflow... (cl and h may be NULL). */
void px_proxy_event(struct px_proxy *p, enum px_event_kind kind, const struct cluster *cl,
                    const struct host *h, int64_t value);
/* A response made by the proxy itself (no upstream answered); body may be NULL. */
struct px_msg *px_local_response(struct px_proxy *p, int status, uint32_t flags, const char *body);
/* The request as it goes upstream (path and authority rewritten by the route). */
struct px_msg *px_upstream_request(struct stream *s);
/* The stream has its response: response-side CPU, then it goes downstream. */
void px_stream_finish(struct stream *s, struct px_msg *resp);

/* ---- rate limits with a counter store (proxy_rl_store.c) ---- */

enum px_rl_outcome { PX_RL_GO, PX_RL_REFUSE, PX_RL_FAIL };

/*
 * Policy redis: asks the rate limit's store about the stream's request
 * (the stream waits, in_work set); px_stream_rl_answered follows, later.
 */
void px_rl_store_ask(struct stream *s, struct px_rl *rl, const char *identifier);
/* The proxy goes away: answers still to come are dropped. */
void px_rl_store_orphan_all(struct px_proxy *p);
/* proxy.c: the store's answer for s (its verdict in s->rl): go on, 429 or 500. */
void px_stream_rl_answered(struct stream *s, enum px_rl_outcome outcome);

/* ---- upstream.c ---- */

/* Picks the destination cluster by weight, arms the route timeout, starts the first attempt. */
void px_up_start(struct stream *s);
/* Drops the stream's attempt (resetting its connection) and any retry it holds. */
void px_up_cancel(struct stream *s);
/* Timer callbacks of a stream: its route timeout, the end of a retry's backoff. */
void px_up_route_timeout(struct px_rt *rt, void *arg);
void px_up_backoff_done(struct px_rt *rt, void *arg);
/* 1 if a message asks for its connection to close. */
int px_wants_close(const struct px_msg *m);
/*
 * Cluster index of the proxy, created on first use: a proxy holds only the
 * clusters its traffic goes to (proxy.c).
 */
struct cluster *px_cluster_at(struct px_proxy *p, uint32_t index);
/* Cluster index of the proxy if it has been created, else NULL. */
struct cluster *px_cluster_find(const struct px_proxy *p, uint32_t index);
void px_cluster_init(struct px_proxy *p, struct cluster *cl, uint32_t index);
void px_cluster_free(struct px_proxy *p, struct cluster *cl);
void px_up_drop_all(struct px_proxy *p);

/* ---- proxy_trace.c ---- */

/* The stream's tracing, once routed (route may be NULL): continue or start a trace, sample. */
void px_trace_stream_begin(struct stream *s);
/* A new attempt of a traced stream: its span id, start and number. */
void px_trace_attempt_begin(struct stream *s, struct attempt *a);
/* The attempt's context into its upstream request (a traced stream's). */
void px_trace_attempt_inject(struct stream *s, const struct attempt *a, struct px_msg *up);
/* The context of the stream's SERVER span into a mirrored copy (sampling inherited). */
void px_trace_shadow_inject(struct stream *s, struct px_msg *up);
/*
 * An attempt ended: its CLIENT span (status 0: no answer; reason NULL unless
 * retried or refused; error 1 when it failed).
 */
void px_trace_attempt_end(struct stream *s, const struct attempt *a, int status, uint32_t flags,
                          const char *reason, int error);
/* The stream is answered (resp) or abandoned (NULL): its SERVER span, once. */
void px_trace_stream_end(struct stream *s, const struct px_msg *resp, const char *reason);

/* ---- mirror.c ---- */

/* Sends the stream's request to the route's mirrors (each by its percentage), fire and forget. */
void px_mirror_start(struct stream *s);
/* Envoy's shadow Host: "reviews:9080" -> "reviews-shadow:9080" (in m's arena). */
const char *px_mirror_shadow_host(struct px_msg *m, const char *host);
/* Resets and frees every shadow in flight. */
void px_mirror_drop_all(struct px_proxy *p);

#endif
