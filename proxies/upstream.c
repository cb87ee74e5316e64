/*
 * upstream.c - the proxy engine's router (Envoy's router filter and
 * cluster manager): for each stream, attempts against the destination
 * cluster's hosts, with
 *  - circuit breakers: requests wait as pending when no connection is free,
 *    and overflow of pending or requests answers 503 UO with
 *    x-envoy-overloaded (circuit_breaking.rst);
 *  - load balancing with health and panic (lb.c);
 *  - per-host HTTP/1.1 connection pools with connect timeouts;
 *  - the route timeout covering every attempt and backoff
 *    (router_filter.rst) and the per-try timeout from the moment the
 *    request is sent;
 *  - retries: made only if retries remain and the retry breaker / budget
 *    allows it, else the original error goes back (retry_state_impl.cc);
 *  - outlier detection fed by every result, a connect failure as 503 and a
 *    timeout as 504; for Kong's passive health checks (outlier detection in
 *    Kong's mode) a failed try is reported as Kong reports it
 *    (record_failure), and a host that answers often enough while ejected
 *    comes back (record_outlier);
 *  - each attempt's CLIENT span, with the reason it was retried or refused,
 *    and its trace context in its request (proxy_trace.c).
 * The downstream half is proxy.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/proxy_internal.h"

static const struct px_conn_cbs up_cbs;
static void attempt_start(struct stream *s);
static void attempt_failed(struct attempt *a, const struct px_attempt *r);

/* ---------------------------------------------------------------- pools */

static void pend_remove(struct attempt *a)
{
    FL_ASSERT(a->pending && !a->uc);
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
    FL_ASSERT(h->n_pend > 0);
    h->n_pend--;
    h->cl->br.pending--;
    FL_ASSERT(h->n_pend <= h->cl->br.pending && (h->pend_head == NULL) == (h->n_pend == 0));
}

static void pend_add(struct attempt *a)
{
    FL_ASSERT(!a->pending && !a->uc && a->s->att == a);
    struct host *h = a->host;
    a->pending = 1;
    a->prev_pend = h->pend_tail;
    a->next_pend = NULL;
    if (h->pend_tail)
        h->pend_tail->next_pend = a;
    else
        h->pend_head = a;
    h->pend_tail = a;
    h->n_pend++;
    h->cl->br.pending++;
    /* every pending attempt is an active one of its host */
    FL_ASSERT(h->n_pend <= h->active && h->cl->br.pending <= h->cl->br.cfg.max_pending);
}

static void idle_remove(struct upconn *uc)
{
    FL_ASSERT(uc->connected && !uc->att);
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
    FL_ASSERT(!uc->att && h->open > 0 && h->connecting <= h->open);
    FL_ASSERT(h->cl->br.connections >= h->open && (uc->connected || h->connecting > 0));
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
    FL_ASSERT(uc->connected);
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
    /* a connection goes idle only when nothing waits for one */
    FL_ASSERT(h->n_pend == 0);
}

static void connect_timeout(struct px_rt *rt, void *arg)
{
    struct upconn *uc = arg;
    FL_ASSERT(!uc->connected && !uc->att && uc->host->connecting > 0);
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
    if (h->n_pend <= h->connecting || !px_breaker_can_connect(&cl->br)) return;
    FL_ASSERT(h->n_pend > 0 && h->pend_head);
    struct upconn *uc = fl_calloc(1, sizeof *uc);
    LIST_ADD(p->ups, uc);
    uc->host = h;
    h->connecting++;
    h->open++;
    cl->br.connections++;
    cl->st.cx_total++;
    FL_ASSERT(h->connecting <= h->open && cl->br.connections <= cl->br.cfg.max_connections);
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
    FL_ASSERT(uc->connected && !uc->att && !a->pending && uc->host == a->host && s->att == a);
    struct px_proxy *p = s->p;
    a->uc = uc;
    uc->att = a;
    uc->served++;
    s->cl->st.rq_total++;
    struct px_msg *up = px_upstream_request(s);
    px_trace_attempt_inject(s, a, up);
    p->rt->ops->send(p->rt, uc->c, up);
    /* Envoy: the per-try timer starts once the request is on its way upstream */
    int64_t per_try = s->route->has_retry ? s->route->retry.per_try_timeout_ns : 0;
    if (per_try > 0) px_timer_arm(p->rt, &a->per_try, px_now(p->rt) + per_try);
}

/* Ends an attempt's hold on its host and breaker counters. */
static void attempt_release(struct attempt *a)
{
    struct cluster *cl = a->s->cl;
    FL_ASSERT(a->host->cl == cl && a->host->active > 0 && cl->br.requests > 0);
    FL_ASSERT(cl->lbh[a->host->index].active > 0 && (!a->is_retry || cl->br.retries > 0));
    px_timer_cancel(cl->p->rt, &a->per_try);
    if (a->pending) pend_remove(a);
    a->host->active--;
    cl->lbh[a->host->index].active--;
    cl->br.requests--;
    if (a->is_retry) cl->br.retries--;
    FL_ASSERT(!a->pending && a->host->n_pend <= a->host->active);
}

/* Gives a released attempt back to its proxy's pool (its span is reported, its timer off). */
static void attempt_free(struct attempt *a)
{
    FL_ASSERT(a && a->s && !a->pending && !a->uc && a->s->att != a);
    fl_freelist_put(&a->s->p->pools->attempts, a);
}

static void record_outlier(struct cluster *cl, struct host *host, enum px_origin origin, int status)
{
    if (!cl->has_outlier) return;
    FL_ASSERT(host->cl == cl && host->index < cl->cfg->n_endpoints);
    struct px_proxy *p = cl->p;
    uint32_t h = host->index;
    int r = px_outlier_record(cl->od, h, origin, status, px_now(p->rt), px_random(p->rt));
    if (r > 0) {
        cl->lbh[h].healthy = 0;
        cl->st.ejections++;
        px_proxy_event(p, PX_EV_EJECT, cl, host, cl->od->hosts[h].ejection_ns);
    } else if (r < 0) { /* Kong's passive checks: successes brought it back */
        cl->lbh[h].healthy = 1;
        px_proxy_event(p, PX_EV_UNEJECT, cl, host, 0);
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
    /* a try without an answer: it failed to connect, timed out, or was reset */
    FL_ASSERT(r->connect_failed || r->timed_out || r->reset);
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

/*
 * The answer to a stream whose last try got no response. Kong answers what
 * nginx answers when its last try failed (ngx_http_upstream_next): 504
 * Gateway Time-out for a timeout, connecting included, and 502 Bad Gateway
 * for any other error - refused, unreachable, reset or closed before the
 * response - with the bodies of Kong's error handler (kong/error_handlers.lua).
 * Envoy (the sidecars) answers 503 UF for a failed connect (a connect
 * timeout included), 504 UT for a per-try or route timeout, and 503 UC for
 * a connection that broke.
 */
static struct px_msg *error_response(struct stream *s, const struct px_attempt *r)
{
    FL_ASSERT(!s->att && (r->connect_failed || r->timed_out || r->reset));
    struct px_proxy *p = s->p;
    if (p->cfg->kind == PX_PROXY_GATEWAY) {
        uint32_t flag = r->connect_failed ? PX_FLAG_UF : r->timed_out ? PX_FLAG_UT : PX_FLAG_UC;
        if (r->timed_out || r->connect_timeout)
            return px_local_response(p, 504, s->flags | flag, "The upstream server is timing out");
        return px_local_response(p, 502, s->flags | flag,
                                 "An invalid response was received from the upstream server");
    }
    if (r->connect_failed)
        return px_local_response(p, 503, s->flags | PX_FLAG_UF,
                                 "upstream connect error or disconnect/reset before headers. "
                                 "reset reason: connection failure");
    if (r->timed_out)
        return px_local_response(p, 504, s->flags | PX_FLAG_UT, "upstream request timeout");
    return px_local_response(p, 503, s->flags | PX_FLAG_UC,
                             "upstream connect error or disconnect/reset before headers. "
                             "reset reason: connection termination");
}

void px_up_backoff_done(struct px_rt *rt, void *arg)
{
    (void)rt;
    attempt_start(arg);
}

/* A retry counted by the breaker will not be made after all. */
static void drop_retry(struct stream *s)
{
    if (!s->retry_pending) return;
    /* a retry waits in backoff only while the stream has no attempt */
    FL_ASSERT(!s->att && s->cl->br.retries > 0);
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
    FL_ASSERT(a->s->att == a && !a->uc && !a->s->retry_pending);
    struct stream *s = a->s;
    struct px_proxy *p = s->p;
    struct cluster *cl = s->cl;
    struct host *h = a->host;
    attempt_release(a);
    s->att = NULL;
    const struct px_route_cfg *route = s->route;
    FL_ASSERT(route->has_retry ? s->retries <= route->retry.num_retries : s->retries == 0);
    int matches = route->has_retry && px_retry_matches(&route->retry, r);
    if (!resp) /* no answer: outlier detection hears of it, knowing whether a retry follows */
        record_failure(cl, h, r,
                       matches && s->retries < route->retry.num_retries &&
                           px_breaker_can_retry(&cl->br));
    /* the attempt's span: what it got, and why it was retried or the retry refused */
    int status = resp ? resp->status : 0;
    a->rtx_ns = resp ? resp->rtx_ns : 0; /* the response's TCP retransmission delay */
    uint32_t aflags = r->connect_failed ? PX_FLAG_UF
                      : r->timed_out    ? PX_FLAG_UT
                      : r->reset        ? PX_FLAG_UC
                                        : 0;
    const char *cause = r->connect_failed ? "connect-failure"
                        : r->timed_out    ? "per-try-timeout"
                        : r->reset        ? "reset"
                        : status >= 500   ? "5xx"
                                          : "retriable-status";
    if (matches) {
        if (s->retries >= route->retry.num_retries) {
            s->flags |= PX_FLAG_URX;
            cl->st.rq_retry_limit++;
            px_trace_attempt_end(s, a, status, aflags | PX_FLAG_URX, "retry-limit", !resp);
        } else if (!px_breaker_can_retry(&cl->br)) {
            s->flags |= PX_FLAG_UO;
            cl->st.rq_retry_overflow++;
            cl->br.overflow[PX_BREAKER_RETRIES]++;
            px_proxy_event(p, PX_EV_OVERFLOW, cl, NULL, PX_BREAKER_RETRIES);
            px_trace_attempt_end(s, a, status, aflags | PX_FLAG_UO,
                                 cl->br.cfg.budget ? "retry-budget" : "retry-overflow", !resp);
        } else {
            px_trace_attempt_end(s, a, status, aflags, cause, !resp);
            attempt_free(a);
            if (resp) px_msg_free(p->rt, resp);
            s->retries++;
            cl->st.rq_retry++;
            cl->br.retries++; /* counts from now until the retry's own result */
            s->retry_pending = 1;
            FL_ASSERT(s->retries <= route->retry.num_retries && !s->att);
            int64_t wait = px_retry_backoff(&route->retry, s->retries, px_random(p->rt));
            px_timer_arm(p->rt, &s->backoff_timer, px_now(p->rt) + wait);
            return;
        }
    } else {
        px_trace_attempt_end(s, a, status, aflags, NULL, !resp);
    }
    attempt_free(a);
    s->edge.from_upstream = resp != NULL;
    if (!resp) resp = error_response(s, r);
    resp->flags |= s->flags;
    px_stream_finish(s, resp);
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
    FL_ASSERT(s->att == a && !a->pending);
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
    FL_ASSERT(!s->att && !s->retry_pending);
    s->cl->st.no_healthy++;
    px_stream_finish(s, px_local_response(s->p, 503, s->flags | PX_FLAG_UH, "no healthy upstream"));
}

static void overflow(struct stream *s, enum px_breaker_kind kind)
{
    struct px_proxy *p = s->p;
    struct cluster *cl = s->cl;
    cl->br.overflow[kind]++;
    FL_ASSERT(kind < PX_BREAKER_RETRIES && !s->att && !s->retry_pending);
    if (kind == PX_BREAKER_PENDING)
        cl->st.rq_pending_overflow++;
    else
        cl->st.rq_overflow++;
    px_proxy_event(p, PX_EV_OVERFLOW, cl, NULL, kind);
    struct px_msg *m = px_local_response(p, 503, s->flags | PX_FLAG_UO,
                                         "upstream connect error or "
                                         "disconnect/reset before "
                                         "headers. reset reason: "
                                         "overflow");
    /* circuit_breaking.rst: the router adds x-envoy-overloaded to breaker 503s */
    if (p->cfg->envoy_headers) px_msg_add_header_static(m, "x-envoy-overloaded", "true");
    px_stream_finish(s, m);
}

static int pick_host(struct stream *s)
{
    struct cluster *cl = s->cl;
    struct px_proxy *p = s->p;
    int prev = s->route->has_retry && s->route->retry.previous_hosts;
    FL_ASSERT(s->tried && !s->att);
    for (uint32_t i = 0; i < cl->cfg->n_endpoints; i++) cl->lbh[i].excluded = prev && s->tried[i];
    int panic = 0;
    int h = px_lb_pick_hash(&cl->lb, cl->lbh, s->has_hash ? &s->hash : NULL, px_rt_random, p->rt,
                            &panic);
    FL_ASSERT(h < (int)cl->cfg->n_endpoints);
    if (panic) {
        cl->st.panics++;
        px_proxy_event(p, PX_EV_PANIC, cl, NULL, 0);
    }
    return h;
}

static void attempt_start(struct stream *s)
{
    struct px_proxy *p = s->p;
    struct cluster *cl = s->cl;
    int is_retry = s->retry_pending;
    FL_ASSERT(!s->att && !s->abandoned && s->cl);
    if (!px_breaker_can_request(&cl->br)) {
        /* refused before it began: a span of no length says so */
        struct attempt refused = {.s = s};
        px_trace_attempt_begin(s, &refused);
        px_trace_attempt_end(s, &refused, 0, PX_FLAG_UO, "overflow", 1);
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
    struct attempt *a = fl_freelist_get(&p->pools->attempts);
    a->s = s;
    a->host = h;
    a->is_retry = is_retry;
    px_timer_init(p->rt, &a->per_try, per_try_timeout, a);
    px_trace_attempt_begin(s, a);
    s->att = a;
    s->tried[hi] = 1;
    h->active++;
    cl->lbh[hi].active++;
    cl->br.requests++;
    FL_ASSERT(h->active <= cl->br.requests && cl->br.requests <= cl->br.cfg.max_requests);
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
        px_trace_attempt_end(s, a, 0, PX_FLAG_UO, "overflow", 1);
        attempt_free(a);
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
    FL_ASSERT(!uc->connected && !uc->att && h->connecting > 0);
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
    FL_ASSERT(h->connecting < h->open);
    upconn_free_for_work(uc);
}

int px_wants_close(const struct px_msg *m)
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
    FL_ASSERT(uc->connected && a->uc == uc && !a->pending && a->host == h);
    a->uc = NULL;
    uint32_t limit = cl->cfg->max_requests_per_connection;
    if (px_wants_close(m) || (limit && uc->served >= limit)) {
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
    FL_ASSERT(!a || (a->uc == uc && a->s->att == a));
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

void px_up_route_timeout(struct px_rt *rt, void *arg)
{
    struct stream *s = arg;
    struct attempt *a = s->att;
    (void)rt;
    s->cl->st.rq_timeout++;
    FL_ASSERT(!s->abandoned && (!a || a->s == s));
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
        px_trace_attempt_end(s, a, 0, PX_FLAG_UT, "timeout", 1);
        attempt_free(a);
    }
    px_stream_finish(
        s, px_local_response(s->p, 504, s->flags | PX_FLAG_UT, "upstream request timeout"));
}

/* Drops what a stream holds upstream: its attempt (resetting its connection) and a retry. */
void px_up_cancel(struct stream *s)
{
    struct attempt *a = s->att;
    drop_retry(s);
    if (!a) return;
    FL_ASSERT(a->s == s && (!a->uc || a->uc->att == a));
    if (a->uc) {
        struct upconn *uc = a->uc;
        s->p->rt->ops->conn_reset(s->p->rt, uc->c);
        uc->att = NULL;
        upconn_drop(uc);
        a->uc = NULL;
    }
    attempt_release(a);
    s->att = NULL;
    px_trace_attempt_end(s, a, 0, PX_FLAG_DC, "downstream-reset", 1);
    attempt_free(a);
}

/* Resets and forgets every upstream connection still open (the proxy is going away). */
void px_up_drop_all(struct px_proxy *p)
{
    /* every idle list empties at once (one by one would be quadratic in the pool's size) */
    for (struct upconn *uc = p->ups; uc; uc = uc->next) uc->host->idle = NULL;
    while (p->ups) { /* idle, connecting, or held by nothing any more */
        struct upconn *uc = p->ups;
        p->rt->ops->conn_reset(p->rt, uc->c);
        upconn_drop(uc);
    }
}

void px_up_start(struct stream *s)
{
    struct px_proxy *p = s->p;
    const struct px_route_cfg *r = s->route;
    /* the stream has not gone upstream yet; a route with no destination answers directly */
    FL_ASSERT(!s->cl && !s->att && !s->tried && r->n_dests > 0);
    /* route weights: a destination gets weight / (sum of weights) */
    uint32_t pick = 0;
    if (r->n_dests > 1 && r->total_weight > 0) {
        uint64_t x = px_random(p->rt) % r->total_weight;
        while (x >= r->dests[pick].weight) x -= r->dests[pick++].weight;
    }
    FL_ASSERT(pick < r->n_dests && r->dests[pick].cluster < p->n_clusters);
    s->cl = px_cluster_at(p, r->dests[pick].cluster);
    s->dest = (int)pick;
    if (r->n_mirrors) px_mirror_start(s); /* once per request, retries not mirrored */
    size_t n_hosts = s->cl->cfg->n_endpoints;
    s->tried = n_hosts <= sizeof s->tried_inline ? s->tried_inline : fl_calloc(n_hosts, 1);
    /* Envoy hashes the request once (LoadBalancerContext::computeHashKey); retries reuse it */
    const struct px_hash_policy *hp = &s->cl->cfg->hash;
    if (hp->key != PX_HASH_NONE) {
        const char *peer =
            p->rt->ops->conn_peer && s->down ? p->rt->ops->conn_peer(p->rt, s->down->c) : NULL;
        s->has_hash = px_hash_request(hp, s->req, peer, px_rt_random, p->rt, &s->hash);
    }
    /* router_filter.rst: the route timeout covers every attempt and backoff */
    if (r->timeout_ns > 0) px_timer_arm(p->rt, &s->route_timer, px_now(p->rt) + r->timeout_ns);
    attempt_start(s);
}

/* ---------------------------------------------------------------- clusters */

static void sweep(struct px_rt *rt, void *arg)
{
    struct cluster *cl = arg;
    uint32_t n = (uint32_t)cl->cfg->n_endpoints, n_ej = 0;
    FL_ASSERT(cl->has_outlier);
    uint32_t *back = fl_calloc(n ? n : 1, sizeof *back), *out = fl_calloc(n ? n : 1, sizeof *out);
    uint32_t n_back = px_outlier_sweep(cl->od, px_now(rt), px_random(rt), back, out, &n_ej);
    FL_ASSERT(n_back <= n && n_ej <= n);
    for (uint32_t i = 0; i < n_back; i++) {
        cl->lbh[back[i]].healthy = 1;
        px_proxy_event(cl->p, PX_EV_UNEJECT, cl, &cl->hosts[back[i]], 0);
    }
    for (uint32_t i = 0; i < n_ej; i++) {
        cl->lbh[out[i]].healthy = 0;
        cl->st.ejections++;
        px_proxy_event(cl->p, PX_EV_EJECT, cl, &cl->hosts[out[i]],
                       cl->od->hosts[out[i]].ejection_ns);
    }
    free(back);
    free(out);
    px_timer_arm(rt, &cl->sweep, px_now(rt) + cl->cfg->outlier.interval_ns);
}

/* Istio's locality load balancing for this proxy's locality: priorities and locality weights. */
static void set_levels(const struct px_proxy *p, struct cluster *cl)
{
    size_t n = cl->cfg->n_endpoints;
    const char **loc = fl_calloc(n + 1, sizeof *loc);
    uint32_t *weight = fl_calloc(n + 1, sizeof *weight);
    const struct px_label **labels = fl_calloc(n + 1, sizeof *labels);
    size_t *n_labels = fl_calloc(n + 1, sizeof *n_labels);
    for (size_t i = 0; i < n; i++) {
        loc[i] = cl->cfg->endpoints[i].locality;
        weight[i] = cl->lbh[i].weight;
        labels[i] = cl->cfg->endpoints[i].labels;
        n_labels[i] = cl->cfg->endpoints[i].n_labels;
    }
    struct px_locality_labels lb = {p->labels, p->n_labels, labels, n_labels};
    struct px_locality_plan plan;
    px_locality_plan_labels(&cl->cfg->locality, p->locality, loc, weight, n, &lb, &plan);
    free(labels);
    free(n_labels);
    px_lb_set_levels(&cl->lb, plan.prio, plan.loc, plan.loc_weight, plan.n_loc);
    px_locality_plan_free(&plan);
    free(loc);
    free(weight);
}

void px_cluster_init(struct px_proxy *p, struct cluster *cl, uint32_t index)
{
    FL_ASSERT(index < p->cfg->n_clusters);
    const struct px_cluster_cfg *cfg = &p->cfg->clusters[index];
    uint32_t n = (uint32_t)cfg->n_endpoints;
    cl->p = p;
    cl->cfg = cfg;
    cl->index = index;
    /* Envoy router.cc's name */
    size_t len = strlen("router  egress") + strlen(cfg->name) + 1;
    cl->span_name = px_keep_alloc(p->pools, len);
    snprintf(cl->span_name, len, "router %s egress", cfg->name);
    /* hosts, their balancer view and the balancer's per-host arrays in one block */
    size_t nb = n ? n : 1;
    cl->hosts = px_keep_alloc(p->pools, nb * (sizeof *cl->hosts + sizeof *cl->lbh) + px_lb_room(n));
    cl->lbh = (struct px_lb_host *)(cl->hosts + nb);
    for (uint32_t i = 0; i < n; i++) {
        cl->hosts[i].cl = cl;
        cl->hosts[i].index = i;
        cl->lbh[i].weight = cfg->endpoints[i].weight ? cfg->endpoints[i].weight : 1;
        cl->lbh[i].healthy = 1;
        cl->lbh[i].addr = cfg->endpoints[i].name; /* what ring hash and Maglev hash */
        /* discovery's view now: a pod being deleted is not in the host set it sends */
        cl->lbh[i].absent = p->rt->ops->endpoint_absent &&
                            p->rt->ops->endpoint_absent(p->rt, cfg->endpoints[i].addr);
    }
    px_lb_init_in(&cl->lb, &cfg->lb, n, cl->lbh + nb);
    set_levels(p, cl);
    px_breaker_init(&cl->br, &cfg->breaker);
    cl->has_outlier = cfg->has_outlier;
    px_timer_init(p->rt, &cl->sweep, sweep, cl);
    if (cl->has_outlier) {
        cl->od = px_keep_alloc(p->pools, sizeof *cl->od);
        px_outlier_init(cl->od, &cfg->outlier, n);
        /* the sweeps keep the grid of a cluster made with the proxy (Istio pushes every
         * cluster at start): the first at the next multiple of the interval since then */
        int64_t iv = cfg->outlier.interval_ns, since = px_now(p->rt) - p->created_ns;
        FL_ASSERT(iv > 0 && since >= 0);
        px_timer_arm(p->rt, &cl->sweep, p->created_ns + (since / iv + 1) * iv);
    }
}

void px_cluster_free(struct px_proxy *p, struct cluster *cl)
{
    px_timer_cancel(p->rt, &cl->sweep);
    /* streams and every connection are gone (px_proxy_free): nothing is held any more */
    FL_ASSERT(!cl->br.connections && !cl->br.pending && !cl->br.requests && !cl->br.retries);
    for (uint32_t i = 0; i < cl->cfg->n_endpoints; i++) {
        struct upconn *uc = cl->hosts[i].idle;
        while (uc) {
            struct upconn *next = uc->next_idle;
            p->rt->ops->conn_close(p->rt, uc->c);
            upconn_drop(uc);
            uc = next;
        }
    }
    if (cl->has_outlier) {
        px_outlier_free(cl->od);
        px_keep_free(p->pools, cl->od);
    }
    px_lb_free(&cl->lb);
    px_keep_free(p->pools, cl->span_name);
    px_keep_free(p->pools, cl->hosts); /* and lbh, and the balancer's arrays */
}
