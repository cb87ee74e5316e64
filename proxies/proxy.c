/*
 * proxy.c - the proxy engine (see proxy.h): downstream connections,
 * routing, rate limits and faults, then Envoy's router state machine for
 * each request: attempts, connection pools, circuit breakers, load
 * balancing, per-try and route timeouts, retries with backoff, outlier
 * detection, response flags.
 *
 * Objects and their lifetimes:
 *  - struct down: a downstream connection, from accept until it closes;
 *    HTTP/1.1, so at most one stream at a time (pipelined requests wait);
 *  - struct stream: one downstream request, until its response is sent (or
 *    its connection dies);
 *  - struct attempt: one upstream try of a stream, until its result;
 *  - struct upconn: an upstream connection, owned by its host's pool.
 *
 * Envoy behaviours implemented here, each cited where it is coded: route
 * timeout covering every attempt and backoff (router_filter.rst); per-try
 * timeout from the moment the request is sent; a retry is made only if
 * retries remain and the retry breaker / budget allows it, else the
 * original error goes back (retry_state_impl.cc); requests wait as pending
 * when no connection is free, and overflow of pending or requests answers
 * 503 UO with x-envoy-overloaded (circuit_breaking.rst); every result
 * feeds outlier detection, a connect failure as 503 and a timeout as 504.
 * For Kong's passive health checks (outlier detection in Kong's mode) a
 * failed try is reported as Kong reports it (record_failure), and a host
 * that answers often enough while ejected comes back (record_outlier).
 */
#include "proxies/proxy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"

struct stream;
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
};

struct cluster {
    struct px_proxy *p;
    const struct px_cluster_cfg *cfg;
    uint32_t index;
    struct host *hosts;
    struct px_lb_host *lbh;
    struct px_lb lb;
    struct px_breaker br;
    int has_outlier;
    struct px_outlier od;
    struct px_timer sweep;
    struct px_cluster_stats st;
};

struct attempt {
    struct stream *s;
    struct host *host;
    struct upconn *uc;
    int pending;
    int is_retry;
    struct px_timer per_try;
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
    int64_t cost_ns; /* this request's CPU cost, half each way */
    uint32_t retries;
    uint32_t flags;
    struct attempt *att;
    struct px_timer route_timer, backoff_timer, fault_timer;
    uint8_t *tried; /* per host of the cluster: tried already */
    int has_rl;
    int rl_index;
    struct px_rl_verdict rl;
    struct px_msg *resp; /* the response on its way down */
    int retry_pending;   /* a retry waits in backoff (it holds a retry count) */
    int in_work;         /* a CPU continuation is queued for it */
    int abandoned;       /* the client went away */
};

struct px_proxy {
    struct px_rt *rt;
    const struct px_proxy_cfg *cfg;
    struct cluster *clusters;
    size_t n_clusters;
    struct px_rl *rls;
    uint64_t active;
    /* everything alive, so that px_proxy_free leaves nothing behind */
    struct stream *streams;
    struct down *downs;
    struct upconn *ups;
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

static const struct px_conn_cbs down_cbs, up_cbs;

static void attempt_start(struct stream *s);
static void attempt_failed(struct attempt *a, const struct px_attempt *r);
static void stream_finish(struct stream *s, struct px_msg *resp);
static void stream_free(struct stream *s);
static void down_next(struct down *d);

/* ---------------------------------------------------------------- helpers */

static uint64_t rt_random(void *arg)
{
    return px_random(arg);
}

static void event(struct px_proxy *p, enum px_event_kind kind, const struct cluster *cl,
                  const struct host *h, int64_t value)
{
    if (!p->rt->ops->event) return;
    struct px_event e = {kind,
                         p->cfg->name,
                         cl ? cl->cfg->name : NULL,
                         h ? cl->cfg->endpoints[h->index].name : NULL,
                         px_now(p->rt),
                         value};
    p->rt->ops->event(p->rt, &e);
}

/* A response made by the proxy itself (no upstream answered). */
static struct px_msg *local_response(struct px_proxy *p, int status, uint32_t flags,
                                     const char *body)
{
    struct px_msg *m = px_msg_new(p->rt);
    m->status = status;
    m->flags = flags;
    m->body_bytes = body ? strlen(body) : 0;
    if (body) {
        m->body = (const uint8_t *)px_msg_strdup(m, body, strlen(body));
        px_msg_add_header_static(m, "content-type", "text/plain");
    }
    return m;
}

/* ---------------------------------------------------------------- routing */

static int domain_matches(const char *domain, const char *authority)
{
    if (!strcmp(domain, "*")) return 1;
    if (!authority) return 0;
    size_t n = strcspn(authority, ":"); /* the port does not matter */
    if (domain[0] == '*' && domain[1] == '.') {
        size_t d = strlen(domain + 1);
        return n > d && !strncasecmp(authority + n - d, domain + 1, d);
    }
    return strlen(domain) == n && !strncasecmp(domain, authority, n);
}

static int route_matches(const struct px_route_cfg *r, const struct px_msg *req)
{
    if (!px_match_test(&r->path, req->path ? req->path : "/")) return 0;
    if (r->n_methods) {
        size_t i = 0;
        while (i < r->n_methods && strcmp(r->methods[i], req->method ? req->method : "GET")) i++;
        if (i == r->n_methods) return 0;
    }
    for (size_t i = 0; i < r->n_headers; i++) {
        const struct px_header_match *h = &r->headers[i];
        int ok = px_match_test(&h->m, px_msg_header(req, h->name));
        if (ok == h->invert) return 0;
    }
    return 1;
}

/* The first route of the first virtual host whose domains hold the authority; NULL if none. */
static const struct px_route_cfg *find_route(const struct px_proxy_cfg *cfg,
                                             const struct px_msg *req)
{
    const char *authority = req->authority ? req->authority : px_msg_header(req, "host");
    for (size_t v = 0; v < cfg->n_vhosts; v++) {
        const struct px_vhost_cfg *vh = &cfg->vhosts[v];
        size_t d = 0;
        while (d < vh->n_domains && !domain_matches(vh->domains[d], authority)) d++;
        if (d == vh->n_domains) continue;
        for (size_t r = 0; r < vh->n_routes; r++)
            if (route_matches(&vh->routes[r], req)) return &vh->routes[r];
        return NULL; /* Envoy: the first matching virtual host decides */
    }
    return NULL;
}

/* Joins two path pieces with exactly one '/' between them, into the message's arena. */
static const char *join_path(struct px_msg *up, const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la && a[la - 1] == '/') la--;
    while (*b == '/') b++;
    char *joined = fl_asprintf("%.*s/%s", (int)la, a, b);
    const char *out = px_msg_strdup(up, joined, strlen(joined));
    free(joined);
    return out;
}

/*
 * The upstream path. Kong (path_handling v0) prepends the service path to
 * the request path, after removing the matched route prefix when
 * strip_path is on; Istio's rewrite.uri replaces the matched prefix (or the
 * whole path for other matches). The result always starts with '/'.
 */
static const char *upstream_path(struct px_proxy *p, const struct px_route_cfg *r,
                                 struct px_msg *up, const char *path)
{
    size_t matched = r->path.kind == PX_MATCH_PREFIX ? strlen(r->path.value) : 0;
    if (p->cfg->kind == PX_PROXY_GATEWAY) {
        const char *rest = r->strip_path ? path + matched : path;
        const char *prefix = r->path_prefix ? r->path_prefix : "";
        if (!*prefix && *rest == '/') return rest;
        if (!*rest) return *prefix ? prefix : "/";
        return join_path(up, prefix, rest);
    }
    if (!r->path_prefix) return path;
    if (r->path.kind != PX_MATCH_PREFIX) return r->path_prefix;
    const char *rest = path + matched;
    if (!*rest) return r->path_prefix;
    char *joined = fl_asprintf("%s%s", r->path_prefix, rest);
    const char *out = px_msg_strdup(up, joined, strlen(joined));
    free(joined);
    return out;
}

static struct px_msg *upstream_request(struct stream *s)
{
    struct px_proxy *p = s->p;
    struct px_msg *up = px_msg_new(p->rt);
    px_msg_copy(up, s->req);
    up->path = upstream_path(p, s->route, up, s->req->path ? s->req->path : "/");
    if (s->route->authority) up->authority = s->route->authority;
    return up;
}

/* ---------------------------------------------------------------- pools */

static void pend_remove(struct attempt *a)
{
    struct host *h = a->host;
    if (a->prev_pend)
        a->prev_pend->next_pend = a->next_pend;
    else
        h->pend_head = a->next_pend;
    if (a->next_pend)
        a->next_pend->prev_pend = a->prev_pend;
    else
        h->pend_tail = a->prev_pend;
    a->next_pend = a->prev_pend = NULL;
    a->pending = 0;
    h->cl->br.pending--;
}

static void pend_add(struct attempt *a)
{
    struct host *h = a->host;
    a->pending = 1;
    a->prev_pend = h->pend_tail;
    a->next_pend = NULL;
    if (h->pend_tail)
        h->pend_tail->next_pend = a;
    else
        h->pend_head = a;
    h->pend_tail = a;
    h->cl->br.pending++;
}

static void idle_remove(struct upconn *uc)
{
    for (struct upconn **q = &uc->host->idle; *q; q = &(*q)->next_idle) {
        if (*q == uc) {
            *q = uc->next_idle;
            return;
        }
    }
}

/* Forgets a connection that is closed (or being closed): counters, timer, handle. */
static void upconn_drop(struct upconn *uc)
{
    struct host *h = uc->host;
    struct px_proxy *p = h->cl->p;
    if (!uc->connected) h->connecting--;
    h->open--;
    h->cl->br.connections--;
    px_timer_cancel(p->rt, &uc->connect_timer);
    p->rt->ops->conn_release(p->rt, uc->c);
    LIST_DEL(p->ups, uc);
    free(uc);
}

static void send_attempt(struct attempt *a, struct upconn *uc);

/* Opens a connection for a pending attempt if the breaker allows one more. */
static void maybe_connect(struct host *h);

/* A connection is free: it serves the first pending attempt, or goes idle. */
static void upconn_free_for_work(struct upconn *uc)
{
    struct host *h = uc->host;
    uc->att = NULL;
    if (h->pend_head) {
        struct attempt *a = h->pend_head;
        pend_remove(a);
        send_attempt(a, uc);
        return;
    }
    uc->next_idle = h->idle;
    h->idle = uc;
}

static void connect_timeout(struct px_rt *rt, void *arg)
{
    struct upconn *uc = arg;
    struct host *h = uc->host;
    rt->ops->conn_reset(rt, uc->c);
    upconn_drop(uc);
    h->cl->st.cx_connect_fail++;
    /* the first pending attempt of the host takes the failure (Envoy's pool does the same) */
    if (h->pend_head) {
        struct attempt *a = h->pend_head;
        struct px_attempt r = {.grpc_status = -1, .connect_failed = 1, .connect_timeout = 1};
        pend_remove(a);
        attempt_failed(a, &r);
    }
    maybe_connect(h);
}

static void maybe_connect(struct host *h)
{
    struct cluster *cl = h->cl;
    struct px_proxy *p = cl->p;
    /* Envoy's HTTP/1.1 pool opens a connection when pending requests outnumber connecting ones */
    uint32_t pending = 0;
    for (struct attempt *a = h->pend_head; a && pending <= h->connecting; a = a->next_pend)
        pending++;
    if (pending <= h->connecting || !px_breaker_can_connect(&cl->br)) return;
    struct upconn *uc = fl_calloc(1, sizeof *uc);
    LIST_ADD(p->ups, uc);
    uc->host = h;
    h->connecting++;
    h->open++;
    cl->br.connections++;
    cl->st.cx_total++;
    px_timer_init(p->rt, &uc->connect_timer, connect_timeout, uc);
    uc->c = p->rt->ops->connect(p->rt, cl->cfg->endpoints[h->index].addr, &up_cbs, uc);
    if (cl->cfg->connect_timeout_ns > 0)
        px_timer_arm(p->rt, &uc->connect_timer, px_now(p->rt) + cl->cfg->connect_timeout_ns);
}

/* ---------------------------------------------------------------- attempts */

static void per_try_timeout(struct px_rt *rt, void *arg);

static void send_attempt(struct attempt *a, struct upconn *uc)
{
    struct stream *s = a->s;
    struct px_proxy *p = s->p;
    a->uc = uc;
    uc->att = a;
    uc->served++;
    s->cl->st.rq_total++;
    p->rt->ops->send(p->rt, uc->c, upstream_request(s));
    /* Envoy: the per-try timer starts once the request is on its way upstream */
    int64_t per_try = s->route->has_retry ? s->route->retry.per_try_timeout_ns : 0;
    if (per_try > 0) px_timer_arm(p->rt, &a->per_try, px_now(p->rt) + per_try);
}

/* Ends an attempt's hold on its host and breaker counters. */
static void attempt_release(struct attempt *a)
{
    struct cluster *cl = a->s->cl;
    px_timer_cancel(cl->p->rt, &a->per_try);
    if (a->pending) pend_remove(a);
    a->host->active--;
    cl->lbh[a->host->index].active--;
    cl->br.requests--;
    if (a->is_retry) cl->br.retries--;
}

static void record_outlier(struct cluster *cl, struct host *host, enum px_origin origin, int status)
{
    if (!cl->has_outlier) return;
    struct px_proxy *p = cl->p;
    uint32_t h = host->index;
    int r = px_outlier_record(&cl->od, h, origin, status, px_now(p->rt), px_random(p->rt));
    if (r > 0) {
        cl->lbh[h].healthy = 0;
        cl->st.ejections++;
        event(p, PX_EV_EJECT, cl, host, cl->od.hosts[h].ejection_ns);
    } else if (r < 0) { /* Kong's passive checks: successes brought it back */
        cl->lbh[h].healthy = 1;
        event(p, PX_EV_UNEJECT, cl, host, 0);
    }
}

/*
 * A try that ended without an answer, for outlier detection. Kong reports
 * such a try to its health checker when the balancer picks the next one
 * (kong/init.lua Kong.balancer: nginx's code 504, a timeout - connecting
 * included - is a timeout, any other code a TCP failure) but the last one
 * in the log phase, from the status nginx answered with
 * (kong/runloop/handler.lua log.after: 504 is a timeout, anything else an
 * HTTP status): there a connection that failed or broke is nginx's 502.
 */
static void record_failure(struct cluster *cl, struct host *h, const struct px_attempt *r,
                           int retried)
{
    enum px_origin o = r->connect_failed ? PX_ORIGIN_CONNECT_FAILED
                       : r->timed_out    ? PX_ORIGIN_TIMEOUT
                                         : PX_ORIGIN_RESET;
    if (!cl->cfg->outlier.kong.on) {
        record_outlier(cl, h, o, 0);
    } else if (r->timed_out || r->connect_timeout) {
        record_outlier(cl, h, PX_ORIGIN_TIMEOUT, 0);
    } else if (retried) {
        record_outlier(cl, h, o, 0); /* a TCP failure */
    } else {
        record_outlier(cl, h, PX_ORIGIN_RESPONSE, 502);
    }
}

static struct px_msg *error_response(struct stream *s, const struct px_attempt *r)
{
    struct px_proxy *p = s->p;
    if (r->connect_failed)
        return local_response(p, 503, s->flags | PX_FLAG_UF,
                              "upstream connect error or disconnect/reset before headers. "
                              "reset reason: connection failure");
    if (r->timed_out)
        return local_response(p, 504, s->flags | PX_FLAG_UT, "upstream request timeout");
    return local_response(p, 503, s->flags | PX_FLAG_UC,
                          "upstream connect error or disconnect/reset before headers. "
                          "reset reason: connection termination");
}

static void backoff_done(struct px_rt *rt, void *arg)
{
    (void)rt;
    attempt_start(arg);
}

/* A retry counted by the breaker will not be made after all. */
static void drop_retry(struct stream *s)
{
    if (!s->retry_pending) return;
    s->retry_pending = 0;
    s->cl->br.retries--;
}

/*
 * An attempt ended (resp is its response, or NULL): retry it or finish the
 * stream. Order of refusal as in Envoy's RetryStateImpl::shouldRetry:
 * retries remaining (else URX), then the retry breaker or budget (else the
 * original error goes back, upstream_rq_retry_overflow).
 */
static void attempt_done(struct attempt *a, const struct px_attempt *r, struct px_msg *resp)
{
    struct stream *s = a->s;
    struct px_proxy *p = s->p;
    struct cluster *cl = s->cl;
    struct host *h = a->host;
    attempt_release(a);
    s->att = NULL;
    free(a);
    const struct px_route_cfg *route = s->route;
    int matches = route->has_retry && px_retry_matches(&route->retry, r);
    if (!resp) /* no answer: outlier detection hears of it, knowing whether a retry follows */
        record_failure(cl, h, r,
                       matches && s->retries < route->retry.num_retries &&
                           px_breaker_can_retry(&cl->br));
    if (matches) {
        if (s->retries >= route->retry.num_retries) {
            s->flags |= PX_FLAG_URX;
            cl->st.rq_retry_limit++;
        } else if (!px_breaker_can_retry(&cl->br)) {
            s->flags |= PX_FLAG_UO;
            cl->st.rq_retry_overflow++;
            cl->br.overflow[PX_BREAKER_RETRIES]++;
            event(p, PX_EV_OVERFLOW, cl, NULL, PX_BREAKER_RETRIES);
        } else {
            if (resp) px_msg_free(p->rt, resp);
            s->retries++;
            cl->st.rq_retry++;
            cl->br.retries++; /* counts from now until the retry's own result */
            s->retry_pending = 1;
            int64_t wait = px_retry_backoff(&route->retry, s->retries, px_random(p->rt));
            px_timer_arm(p->rt, &s->backoff_timer, px_now(p->rt) + wait);
            return;
        }
    }
    if (!resp) resp = error_response(s, r);
    resp->flags |= s->flags;
    stream_finish(s, resp);
}

/* An attempt that got no answer (attempt_done reports it to outlier detection). */
static void attempt_failed(struct attempt *a, const struct px_attempt *r)
{
    attempt_done(a, r, NULL);
}

static void per_try_timeout(struct px_rt *rt, void *arg)
{
    struct attempt *a = arg;
    struct stream *s = a->s;
    s->cl->st.rq_per_try_timeout++;
    if (a->uc) {
        /* Envoy resets the upstream stream: for HTTP/1.1 the connection goes */
        struct upconn *uc = a->uc;
        rt->ops->conn_reset(rt, uc->c);
        uc->att = NULL;
        upconn_drop(uc);
        a->uc = NULL;
    }
    struct px_attempt r = {.grpc_status = -1, .timed_out = 1};
    attempt_failed(a, &r);
}

/* The cluster has no host to offer (503 UH "no healthy upstream"). */
static void no_healthy(struct stream *s)
{
    s->cl->st.no_healthy++;
    stream_finish(s, local_response(s->p, 503, s->flags | PX_FLAG_UH, "no healthy upstream"));
}

static void overflow(struct stream *s, enum px_breaker_kind kind)
{
    struct px_proxy *p = s->p;
    struct cluster *cl = s->cl;
    cl->br.overflow[kind]++;
    if (kind == PX_BREAKER_PENDING)
        cl->st.rq_pending_overflow++;
    else
        cl->st.rq_overflow++;
    event(p, PX_EV_OVERFLOW, cl, NULL, kind);
    struct px_msg *m = local_response(p, 503, s->flags | PX_FLAG_UO,
                                      "upstream connect error or "
                                      "disconnect/reset before "
                                      "headers. reset reason: "
                                      "overflow");
    /* circuit_breaking.rst: the router adds x-envoy-overloaded to breaker 503s */
    if (p->cfg->envoy_headers) px_msg_add_header_static(m, "x-envoy-overloaded", "true");
    stream_finish(s, m);
}

static int pick_host(struct stream *s)
{
    struct cluster *cl = s->cl;
    struct px_proxy *p = s->p;
    int prev = s->route->has_retry && s->route->retry.previous_hosts;
    for (uint32_t i = 0; i < cl->cfg->n_endpoints; i++) cl->lbh[i].excluded = prev && s->tried[i];
    int panic = 0;
    int h = px_lb_pick(&cl->lb, cl->lbh, rt_random, p->rt, &panic);
    if (panic) {
        cl->st.panics++;
        event(p, PX_EV_PANIC, cl, NULL, 0);
    }
    return h;
}

static void attempt_start(struct stream *s)
{
    struct px_proxy *p = s->p;
    struct cluster *cl = s->cl;
    int is_retry = s->retry_pending;
    if (!px_breaker_can_request(&cl->br)) {
        drop_retry(s);
        overflow(s, PX_BREAKER_REQUESTS);
        return;
    }
    int hi = pick_host(s);
    if (hi < 0) {
        drop_retry(s);
        no_healthy(s);
        return;
    }
    s->retry_pending = 0; /* the attempt holds the retry's count until its result */
    struct host *h = &cl->hosts[hi];
    struct attempt *a = fl_calloc(1, sizeof *a);
    a->s = s;
    a->host = h;
    a->is_retry = is_retry;
    px_timer_init(p->rt, &a->per_try, per_try_timeout, a);
    s->att = a;
    s->tried[hi] = 1;
    h->active++;
    cl->lbh[hi].active++;
    cl->br.requests++;
    if (h->idle) {
        struct upconn *uc = h->idle;
        h->idle = uc->next_idle;
        send_attempt(a, uc);
        return;
    }
    /* no free connection: the request waits as pending (circuit_breaking.rst) */
    if (!px_breaker_can_pend(&cl->br)) {
        attempt_release(a);
        s->att = NULL;
        free(a);
        overflow(s, PX_BREAKER_PENDING);
        return;
    }
    pend_add(a);
    maybe_connect(h);
}

/* ---------------------------------------------------------------- upstream callbacks */

static void up_connected(void *ctx, struct px_conn *c, int status)
{
    struct upconn *uc = ctx;
    struct host *h = uc->host;
    struct px_proxy *p = h->cl->p;
    (void)c;
    px_timer_cancel(p->rt, &uc->connect_timer);
    if (status != PX_OK) {
        upconn_drop(uc);
        h->cl->st.cx_connect_fail++;
        if (h->pend_head) {
            struct attempt *a = h->pend_head;
            struct px_attempt r = {
                .grpc_status = -1, .connect_failed = 1, .connect_timeout = status == PX_ETIMEDOUT};
            pend_remove(a);
            attempt_failed(a, &r);
        }
        maybe_connect(h);
        return;
    }
    uc->connected = 1;
    h->connecting--;
    upconn_free_for_work(uc);
}

static int wants_close(const struct px_msg *m)
{
    const char *c = px_msg_header(m, "connection");
    return c && !strcasecmp(c, "close");
}

static void up_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct upconn *uc = ctx;
    struct host *h = uc->host;
    struct cluster *cl = h->cl;
    struct px_proxy *p = cl->p;
    (void)c;
    struct attempt *a = uc->att;
    if (!a) { /* a response nobody waits for */
        px_msg_free(p->rt, m);
        return;
    }
    a->uc = NULL;
    uint32_t limit = cl->cfg->max_requests_per_connection;
    if (wants_close(m) || (limit && uc->served >= limit)) {
        p->rt->ops->conn_close(p->rt, uc->c);
        uc->att = NULL;
        upconn_drop(uc);
        maybe_connect(h);
    } else {
        upconn_free_for_work(uc);
    }
    record_outlier(cl, h, PX_ORIGIN_RESPONSE, m->status);
    struct px_attempt r = {.status = m->status, .grpc_status = -1};
    const char *g = px_msg_header(m, "grpc-status");
    if (g) r.grpc_status = atoi(g);
    r.ratelimited = px_msg_header(m, "x-envoy-ratelimited") != NULL;
    attempt_done(a, &r, m);
}

static void up_closed(void *ctx, struct px_conn *c, int reason)
{
    struct upconn *uc = ctx;
    struct host *h = uc->host;
    if (!uc->connected) {
        up_connected(ctx, c, reason ? reason : PX_ECLOSED);
        return;
    }
    struct attempt *a = uc->att;
    if (!uc->att && uc->connected) idle_remove(uc);
    uc->att = NULL;
    upconn_drop(uc);
    if (a) {
        a->uc = NULL;
        struct px_attempt r = {.grpc_status = -1, .reset = 1};
        attempt_failed(a, &r);
    }
    maybe_connect(h);
}

static const struct px_conn_cbs up_cbs = {up_connected, up_message, up_closed};

/* ---------------------------------------------------------------- streams */

static void route_timeout(struct px_rt *rt, void *arg)
{
    struct stream *s = arg;
    struct attempt *a = s->att;
    (void)rt;
    s->cl->st.rq_timeout++;
    px_timer_cancel(s->p->rt, &s->backoff_timer);
    drop_retry(s);
    if (a) {
        if (a->uc) {
            struct upconn *uc = a->uc;
            rt->ops->conn_reset(rt, uc->c);
            uc->att = NULL;
            upconn_drop(uc);
            a->uc = NULL;
            /* Envoy reports the timeout to outlier detection for the host in use */
            record_outlier(s->cl, a->host, PX_ORIGIN_TIMEOUT, 0);
        }
        attempt_release(a);
        s->att = NULL;
        free(a);
    }
    stream_finish(s, local_response(s->p, 504, s->flags | PX_FLAG_UT, "upstream request timeout"));
}

/* Drops what a stream holds upstream: its attempt (resetting its connection) and a retry. */
static void stream_cancel(struct stream *s)
{
    struct attempt *a = s->att;
    px_timer_cancel(s->p->rt, &s->route_timer);
    px_timer_cancel(s->p->rt, &s->backoff_timer);
    px_timer_cancel(s->p->rt, &s->fault_timer);
    drop_retry(s);
    if (!a) return;
    if (a->uc) {
        struct upconn *uc = a->uc;
        s->p->rt->ops->conn_reset(s->p->rt, uc->c);
        uc->att = NULL;
        upconn_drop(uc);
        a->uc = NULL;
    }
    attempt_release(a);
    s->att = NULL;
    free(a);
}

/* Spends CPU on the stream's behalf, then continues with cb. */
static void stream_work(struct stream *s, int64_t cost_ns, px_timer_cb cb)
{
    s->in_work = 1;
    s->p->rt->ops->work(s->p->rt, cost_ns, cb, s);
}

static void send_response(struct px_rt *rt, void *arg)
{
    struct stream *s = arg;
    struct down *d = s->down;
    s->in_work = 0;
    struct px_msg *m = s->resp;
    s->resp = NULL;
    int close = s->req && wants_close(s->req);
    if (d && !s->abandoned)
        rt->ops->send(rt, d->c, m);
    else
        px_msg_free(rt, m);
    stream_free(s);
    if (!d) return;
    d->s = NULL;
    if (close && !d->closed) {
        rt->ops->conn_close(rt, d->c);
        d->closed = 1;
    }
    down_next(d);
}

/* The stream has its response: the proxy spends its response-side CPU, then sends it. */
static void stream_finish(struct stream *s, struct px_msg *resp)
{
    struct px_proxy *p = s->p;
    px_timer_cancel(p->rt, &s->route_timer);
    px_timer_cancel(p->rt, &s->backoff_timer);
    px_timer_cancel(p->rt, &s->fault_timer);
    if (s->has_rl) px_rl_headers(&p->rls[s->rl_index], &s->rl, resp);
    if (s->cl)
        for (uint32_t bits = resp->flags; bits; bits &= bits - 1)
            s->cl->st.flags[__builtin_ctz(bits)]++;
    s->resp = resp;
    stream_work(s, s->cost_ns - s->cost_ns / 2, send_response);
}

static void stream_free(struct stream *s)
{
    struct px_proxy *p = s->p;
    px_timer_cancel(p->rt, &s->route_timer);
    px_timer_cancel(p->rt, &s->backoff_timer);
    px_timer_cancel(p->rt, &s->fault_timer);
    if (s->req) px_msg_free(p->rt, s->req);
    if (s->resp) px_msg_free(p->rt, s->resp);
    free(s->tried);
    p->active--;
    LIST_DEL(p->streams, s);
    free(s);
}

static void start_attempts(struct stream *s)
{
    struct px_proxy *p = s->p;
    const struct px_route_cfg *r = s->route;
    /* route weights: a destination gets weight / (sum of weights) */
    uint32_t pick = 0;
    if (r->n_dests > 1 && r->total_weight > 0) {
        uint64_t x = px_random(p->rt) % r->total_weight;
        while (x >= r->dests[pick].weight) x -= r->dests[pick++].weight;
    }
    s->cl = &p->clusters[r->dests[pick].cluster];
    s->tried = fl_calloc(s->cl->cfg->n_endpoints ? s->cl->cfg->n_endpoints : 1, 1);
    /* router_filter.rst: the route timeout covers every attempt and backoff */
    if (r->timeout_ns > 0) px_timer_arm(p->rt, &s->route_timer, px_now(p->rt) + r->timeout_ns);
    attempt_start(s);
}

static void fault_delay_done(struct px_rt *rt, void *arg)
{
    (void)rt;
    start_attempts(arg);
}

static int wants_close(const struct px_msg *m);

/* Envoy's fault filter: the delay first, then the abort; each by its percentage. */
static int apply_fault(struct stream *s)
{
    struct px_proxy *p = s->p;
    const struct px_fault_cfg *f = &s->route->fault;
    int delay =
        f->delay_percent > 0 && (double)(px_random(p->rt) % 1000000) < f->delay_percent * 10000.0;
    int abort =
        f->abort_percent > 0 && (double)(px_random(p->rt) % 1000000) < f->abort_percent * 10000.0;
    if (abort) {
        stream_finish(
            s, local_response(p, f->abort_status, s->flags | PX_FLAG_FI, "fault filter abort"));
        return 1;
    }
    if (delay) {
        s->flags |= PX_FLAG_DI;
        px_timer_arm(p->rt, &s->fault_timer, px_now(p->rt) + f->delay_ns);
        return 1;
    }
    return 0;
}

static const char *rl_identifier(struct stream *s, const struct px_rl_cfg *c)
{
    struct px_proxy *p = s->p;
    const char *peer =
        p->rt->ops->conn_peer && s->down ? p->rt->ops->conn_peer(p->rt, s->down->c) : NULL;
    const char *id = NULL;
    switch (c->limit_by) {
    case PX_RL_BY_HEADER: id = c->header_name ? px_msg_header(s->req, c->header_name) : NULL; break;
    case PX_RL_BY_PATH: id = s->req->path; break;
    case PX_RL_BY_SERVICE: id = s->cl ? s->cl->cfg->name : s->route->name; break;
    default: break; /* consumer, credential: no authentication yet, so Kong falls back to the IP */
    }
    return id ? id : peer ? peer : "-";
}

/* Kong's rate-limiting plugin runs before the request is proxied. */
static int apply_rate_limit(struct stream *s)
{
    struct px_proxy *p = s->p;
    int idx = s->route->rate_limit;
    if (idx < 0) return 0;
    struct px_rl *rl = &p->rls[idx];
    s->has_rl = 1;
    s->rl_index = idx;
    if (px_rl_check(rl, rl_identifier(s, &rl->cfg), px_now(p->rt), &s->rl)) return 0;
    event(p, PX_EV_RATELIMIT, NULL, NULL, 0);
    const char *msg = rl->cfg.error_message ? rl->cfg.error_message : "API rate limit exceeded";
    char *body = fl_asprintf("{\"message\":\"%s\"}", msg);
    struct px_msg *m = local_response(p, rl->cfg.error_code ? rl->cfg.error_code : 429,
                                      s->flags | PX_FLAG_RL, body);
    free(body);
    stream_finish(s, m);
    return 1;
}

/* After the request-side CPU: route, rate limit, faults, then the attempts. */
static void stream_routed(struct px_rt *rt, void *arg)
{
    struct stream *s = arg;
    struct px_proxy *p = s->p;
    (void)rt;
    s->in_work = 0;
    if (s->abandoned) {
        stream_free(s);
        return;
    }
    s->route = find_route(p->cfg, s->req);
    if (!s->route) {
        stream_finish(s, local_response(p, 404, PX_FLAG_NR, NULL));
        return;
    }
    if (apply_rate_limit(s)) return;
    if (s->route->has_fault && apply_fault(s)) return;
    start_attempts(s);
}

static void stream_start(struct down *d, struct px_msg *req)
{
    struct px_proxy *p = d->p;
    struct stream *s = fl_calloc(1, sizeof *s);
    LIST_ADD(p->streams, s);
    s->p = p;
    s->down = d;
    s->req = req;
    p->active++;
    px_timer_init(p->rt, &s->route_timer, route_timeout, s);
    px_timer_init(p->rt, &s->backoff_timer, backoff_done, s);
    px_timer_init(p->rt, &s->fault_timer, fault_delay_done, s);
    struct fl_rng r;
    uint64_t seed = px_random(p->rt);
    fl_rng_seed(&r, seed);
    s->cost_ns = fl_dist_sample(&p->cfg->cost, &r);
    d->s = s;
    stream_work(s, s->cost_ns / 2, stream_routed);
}

/* ---------------------------------------------------------------- downstream */

static void down_free(struct down *d)
{
    struct px_proxy *p = d->p;
    for (size_t i = 0; i < d->q_len; i++) px_msg_free(p->rt, d->queue[i]);
    free(d->queue);
    p->rt->ops->conn_release(p->rt, d->c);
    LIST_DEL(p->downs, d);
    free(d);
}

static void down_next(struct down *d)
{
    if (d->closed) {
        down_free(d);
        return;
    }
    if (d->s || !d->q_len) return;
    struct px_msg *m = d->queue[0];
    memmove(d->queue, d->queue + 1, (d->q_len - 1) * sizeof *d->queue);
    d->q_len--;
    stream_start(d, m);
}

static void down_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct down *d = ctx;
    (void)c;
    if (d->s) { /* pipelined: HTTP/1.1 answers in order */
        FL_GROW(d->queue, d->q_cap, d->q_len + 1);
        d->queue[d->q_len++] = m;
        return;
    }
    stream_start(d, m);
}

/*
 * The client went away: its stream is abandoned and what it holds upstream
 * is reset; a stream waiting for CPU ends when the CPU comes back.
 */
static void down_closed(void *ctx, struct px_conn *c, int reason)
{
    struct down *d = ctx;
    struct stream *s = d->s;
    (void)c;
    (void)reason;
    d->closed = 1;
    if (s) {
        s->down = NULL;
        s->abandoned = 1;
        stream_cancel(s);
        if (!s->in_work) stream_free(s);
    }
    down_free(d);
}

static const struct px_conn_cbs down_cbs = {NULL, down_message, down_closed};

void px_proxy_accept(struct px_proxy *p, struct px_conn *c)
{
    struct down *d = fl_calloc(1, sizeof *d);
    LIST_ADD(p->downs, d);
    d->p = p;
    d->c = c;
    p->rt->ops->conn_bind(p->rt, c, &down_cbs, d);
}

/* ---------------------------------------------------------------- clusters */

static void sweep(struct px_rt *rt, void *arg)
{
    struct cluster *cl = arg;
    uint32_t n = (uint32_t)cl->cfg->n_endpoints, n_ej = 0;
    uint32_t *back = fl_calloc(n ? n : 1, sizeof *back), *out = fl_calloc(n ? n : 1, sizeof *out);
    uint32_t n_back = px_outlier_sweep(&cl->od, px_now(rt), px_random(rt), back, out, &n_ej);
    for (uint32_t i = 0; i < n_back; i++) {
        cl->lbh[back[i]].healthy = 1;
        event(cl->p, PX_EV_UNEJECT, cl, &cl->hosts[back[i]], 0);
    }
    for (uint32_t i = 0; i < n_ej; i++) {
        cl->lbh[out[i]].healthy = 0;
        cl->st.ejections++;
        event(cl->p, PX_EV_EJECT, cl, &cl->hosts[out[i]], cl->od.hosts[out[i]].ejection_ns);
    }
    free(back);
    free(out);
    px_timer_arm(rt, &cl->sweep, px_now(rt) + cl->cfg->outlier.interval_ns);
}

static void cluster_init(struct px_proxy *p, struct cluster *cl, uint32_t index)
{
    const struct px_cluster_cfg *cfg = &p->cfg->clusters[index];
    uint32_t n = (uint32_t)cfg->n_endpoints;
    cl->p = p;
    cl->cfg = cfg;
    cl->index = index;
    cl->hosts = fl_calloc(n ? n : 1, sizeof *cl->hosts);
    cl->lbh = fl_calloc(n ? n : 1, sizeof *cl->lbh);
    for (uint32_t i = 0; i < n; i++) {
        cl->hosts[i].cl = cl;
        cl->hosts[i].index = i;
        cl->lbh[i].weight = cfg->endpoints[i].weight ? cfg->endpoints[i].weight : 1;
        cl->lbh[i].healthy = 1;
    }
    px_lb_init(&cl->lb, &cfg->lb, n);
    px_breaker_init(&cl->br, &cfg->breaker);
    cl->has_outlier = cfg->has_outlier;
    px_timer_init(p->rt, &cl->sweep, sweep, cl);
    if (cl->has_outlier) {
        px_outlier_init(&cl->od, &cfg->outlier, n);
        px_timer_arm(p->rt, &cl->sweep, px_now(p->rt) + cfg->outlier.interval_ns);
    }
}

static void cluster_free(struct px_proxy *p, struct cluster *cl)
{
    px_timer_cancel(p->rt, &cl->sweep);
    for (uint32_t i = 0; i < cl->cfg->n_endpoints; i++) {
        struct upconn *uc = cl->hosts[i].idle;
        while (uc) {
            struct upconn *next = uc->next_idle;
            p->rt->ops->conn_close(p->rt, uc->c);
            upconn_drop(uc);
            uc = next;
        }
    }
    if (cl->has_outlier) px_outlier_free(&cl->od);
    px_lb_free(&cl->lb);
    free(cl->hosts);
    free(cl->lbh);
}

struct px_proxy *px_proxy_new(struct px_rt *rt, const struct px_proxy_cfg *cfg)
{
    struct px_proxy *p = fl_calloc(1, sizeof *p);
    p->rt = rt;
    p->cfg = cfg;
    p->n_clusters = cfg->n_clusters;
    p->clusters = fl_calloc(cfg->n_clusters ? cfg->n_clusters : 1, sizeof *p->clusters);
    for (size_t i = 0; i < cfg->n_clusters; i++) cluster_init(p, &p->clusters[i], (uint32_t)i);
    p->rls = fl_calloc(cfg->n_rate_limits ? cfg->n_rate_limits : 1, sizeof *p->rls);
    for (size_t i = 0; i < cfg->n_rate_limits; i++) {
        struct px_rl_cfg copy = cfg->rate_limits[i];
        copy.header_name = copy.header_name ? fl_strdup(copy.header_name) : NULL;
        copy.path = copy.path ? fl_strdup(copy.path) : NULL;
        copy.error_message = copy.error_message ? fl_strdup(copy.error_message) : NULL;
        px_rl_init(&p->rls[i], &copy);
    }
    return p;
}

void px_proxy_free(struct px_proxy *p)
{
    /* streams first (they hold attempts and connections), then what is left of the rest */
    while (p->streams) {
        struct stream *s = p->streams;
        stream_cancel(s);
        if (s->down) s->down->s = NULL;
        stream_free(s);
    }
    while (p->downs) {
        p->rt->ops->conn_close(p->rt, p->downs->c);
        down_free(p->downs);
    }
    while (p->ups) { /* idle, connecting, or held by nothing any more */
        struct upconn *uc = p->ups;
        if (uc->connected && !uc->att) idle_remove(uc);
        p->rt->ops->conn_reset(p->rt, uc->c);
        upconn_drop(uc);
    }
    for (size_t i = 0; i < p->n_clusters; i++) cluster_free(p, &p->clusters[i]);
    free(p->clusters);
    for (size_t i = 0; i < p->cfg->n_rate_limits; i++) px_rl_free(&p->rls[i]);
    free(p->rls);
    free(p);
}

const struct px_cluster_stats *px_proxy_cluster_stats(const struct px_proxy *p, size_t i)
{
    return &p->clusters[i].st;
}

int px_proxy_host_ejected(const struct px_proxy *p, size_t i, size_t h)
{
    const struct cluster *cl = &p->clusters[i];
    return cl->has_outlier && px_outlier_ejected(&cl->od, (uint32_t)h);
}

uint64_t px_proxy_active(const struct px_proxy *p)
{
    return p->active;
}
