/*
 * proxy.c - the proxy engine (see proxy.h), downstream half: downstream
 * connections, streams (one per request), request- and response-side CPU,
 * Istio's security at an inbound sidecar (istio_sec.h: STRICT mTLS when a
 * connection is accepted, tokens and authorization policies before
 * routing), routing (virtual host by authority, first matching route; 404 NR),
 * the route's policies (edge.h: those before the rate limit, Kong's rate
 * limits, Envoy's fault injection, the rest; their response phase on every
 * answer), Envoy's route and destination header edits, and the upstream
 * request's rewriting. The router proper (attempts, pools, breakers, retries,
 * outlier detection) is in upstream.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_sec.h"
#include "proxies/proxy_internal.h"
#include "proxies/vhost_index.h"

static const struct px_conn_cbs down_cbs;
static void stream_free(struct stream *s);
static void down_next(struct down *d);

/* ---------------------------------------------------------------- helpers */

uint64_t px_rt_random(void *arg)
{
    return px_random(arg);
}

void px_proxy_event(struct px_proxy *p, enum px_event_kind kind, const struct cluster *cl,
                    const struct host *h, int64_t value)
{
    FL_ASSERT(!h || (cl && h->cl == cl));
    if (!p->rt->ops->event) return;
    struct px_event e = {kind,
                         px_proxy_name(p),
                         cl ? cl->cfg->name : NULL,
                         h ? cl->cfg->endpoints[h->index].name : NULL,
                         px_now(p->rt),
                         value};
    p->rt->ops->event(p->rt, &e);
}

/* A response made by the proxy itself (no upstream answered). */
struct px_msg *px_local_response(struct px_proxy *p, int status, uint32_t flags, const char *body)
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

/* The first matching route of the virtual host Envoy picks for the authority; NULL if none. */
static const struct px_route_cfg *find_route(const struct px_proxy_cfg *cfg,
                                             const struct px_msg *req)
{
    const char *authority = req->authority ? req->authority : px_msg_header(req, "host");
    FL_ASSERT(cfg->vindex); /* built with the proxy */
    long v = px_vhost_index_find(cfg->vindex, authority);
    if (v < 0) return NULL;
    FL_ASSERT((size_t)v < cfg->n_vhosts);
    const struct px_vhost_cfg *vh = &cfg->vhosts[v];
    for (size_t r = 0; r < vh->n_routes; r++)
        if (route_matches(&vh->routes[r], req)) return &vh->routes[r];
    return NULL; /* Envoy: the virtual host chosen decides; no other is tried */
}

/* a (la bytes), then mid (lm bytes), then the string b, as one string in the message's arena. */
static const char *join3(struct px_msg *up, const char *a, size_t la, const char *mid, size_t lm,
                         const char *b)
{
    size_t lb = strlen(b);
    char *out = px_msg_alloc(up, la + lm + lb + 1);
    memcpy(out, a, la);
    memcpy(out + la, mid, lm);
    memcpy(out + la + lm, b, lb + 1);
    return out;
}

/* Joins two path pieces with exactly one '/' between them, into the message's arena. */
static const char *join_path(struct px_msg *up, const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la && a[la - 1] == '/') la--;
    while (*b == '/') b++;
    return join3(up, a, la, "/", 1, b); /* per request: no printf, no malloc */
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
    if (r->regex_rewrite.re) { /* Envoy regex_rewrite: every match in the path replaced */
        char *rw = px_regex_rewrite_apply(&r->regex_rewrite, path);
        if (!rw) return path;
        const char *out = px_msg_strdup(up, rw, strlen(rw));
        free(rw);
        return out;
    }
    if (!r->path_prefix) return path;
    if (r->path.kind != PX_MATCH_PREFIX) return r->path_prefix;
    const char *rest = path + matched;
    if (!*rest) return r->path_prefix;
    return join3(up, r->path_prefix, strlen(r->path_prefix), "", 0, rest);
}

struct px_msg *px_upstream_request(struct stream *s)
{
    FL_ASSERT(s->route && s->req && s->cl && s->dest < (int)s->route->n_dests);
    struct px_proxy *p = s->p;
    struct px_msg *up = px_msg_new(p->rt);
    px_msg_copy(up, s->req);
    up->path = upstream_path(p, s->route, up, s->req->path ? s->req->path : "/");
    if (s->route->authority) up->authority = s->route->authority;
    if (s->dest >= 0) px_hdr_ops_apply(&s->route->dests[s->dest].req_headers, up);
    px_hdr_ops_apply(&s->route->req_headers, up);
    return up;
}

/* ---------------------------------------------------------------- policies (edge.h) */

static const struct px_edge_cfg *route_edge(const struct px_proxy *p, const struct px_route_cfg *r)
{
    if (!r || !r->edge) return NULL;
    FL_ASSERT(r->edge <= p->cfg->n_edges);
    return &p->cfg->edges[r->edge - 1];
}

static void edge_env(struct stream *s, struct px_edge_env *env)
{
    struct px_proxy *p = s->p;
    memset(env, 0, sizeof *env);
    env->rt = p->rt;
    env->now_ns = px_now(p->rt);
    env->peer = p->rt->ops->conn_peer && s->down ? p->rt->ops->conn_peer(p->rt, s->down->c) : NULL;
    env->cache = &p->cache;
    env->counter = &p->requests;
    env->worker_uuid = p->uuid;
    env->route_name = s->route->name;
    env->unix_s = px_unix_now(p->rt) / 1000000000;
}

/* Runs policies [from, to) of the stream's route; 1 when one answered the request. */
static int apply_edge(struct stream *s, size_t from, size_t to)
{
    const struct px_edge_cfg *e = route_edge(s->p, s->route);
    if (!e || from >= to) return 0;
    FL_ASSERT(to <= e->n);
    struct px_edge_env env;
    edge_env(s, &env);
    struct px_msg *m = px_edge_request(e, from, to, &env, s->req, &s->edge);
    if (!m) return 0;
    m->flags |= s->flags;
    px_stream_finish(s, m);
    return 1;
}

/* Stops a stream's timers and drops what it holds upstream. */
static void stream_cancel(struct stream *s)
{
    px_timer_cancel(s->p->rt, &s->route_timer);
    px_timer_cancel(s->p->rt, &s->backoff_timer);
    px_timer_cancel(s->p->rt, &s->fault_timer);
    px_up_cancel(s);
}

/* ---------------------------------------------------------------- streams */

/* Spends CPU on the stream's behalf, then continues with cb. */
static void stream_work(struct stream *s, int64_t cost_ns, px_timer_cb cb)
{
    FL_ASSERT(!s->in_work && cost_ns >= 0);
    s->in_work = 1;
    s->p->rt->ops->work(s->p->rt, cost_ns, cb, s);
}

static void send_response(struct px_rt *rt, void *arg)
{
    struct stream *s = arg;
    struct down *d = s->down;
    FL_ASSERT(s->in_work && s->resp && (!d || d->s == s));
    s->in_work = 0;
    struct px_msg *m = s->resp;
    s->resp = NULL;
    int close = s->req && px_wants_close(s->req);
    if (!s->abandoned) px_trace_stream_end(s, m, NULL);
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
void px_stream_finish(struct stream *s, struct px_msg *resp)
{
    /* one response per stream, once nothing is held upstream any more */
    FL_ASSERT(resp && !s->resp && !s->att && !s->retry_pending && !s->abandoned);
    struct px_proxy *p = s->p;
    px_timer_cancel(p->rt, &s->route_timer);
    px_timer_cancel(p->rt, &s->backoff_timer);
    px_timer_cancel(p->rt, &s->fault_timer);
    if (s->has_rl) px_rl_headers(&p->rls[s->rl_index], &s->rl, resp);
    if (s->route && (s->edge.from_upstream || s->edge.direct)) {
        /* Envoy: the destination's edits, then the route's */
        if (s->dest >= 0) px_hdr_ops_apply(&s->route->dests[s->dest].resp_headers, resp);
        px_hdr_ops_apply(&s->route->resp_headers, resp);
    }
    const struct px_edge_cfg *e = route_edge(p, s->route);
    if (e && s->edge.ran && s->req) {
        struct px_edge_env env;
        edge_env(s, &env);
        px_edge_response(e, &env, s->req, resp, &s->edge);
    }
    if (s->cl)
        for (uint32_t bits = resp->flags; bits; bits &= bits - 1)
            s->cl->st.flags[__builtin_ctz(bits)]++;
    s->resp = resp;
    stream_work(s, s->cost_ns - s->cost_ns / 2, send_response);
}

static void stream_free(struct stream *s)
{
    struct px_proxy *p = s->p;
    FL_ASSERT(p->active > 0 && !s->att && !s->retry_pending);
    px_trace_stream_end(s, NULL, "downstream-reset"); /* if not answered: the client went away */
    px_timer_cancel(p->rt, &s->route_timer);
    px_timer_cancel(p->rt, &s->backoff_timer);
    px_timer_cancel(p->rt, &s->fault_timer);
    if (s->req) px_msg_free(p->rt, s->req);
    if (s->resp) px_msg_free(p->rt, s->resp);
    if (s->tried != s->tried_inline) free(s->tried);
    p->active--;
    LIST_DEL(p->streams, s);
    fl_freelist_put(&p->pools->streams, s);
}

/* After the rate limit and faults: the route's later policies, then the attempts. */
static void stream_proxy(struct stream *s)
{
    const struct px_edge_cfg *e = route_edge(s->p, s->route);
    if (e && apply_edge(s, e->n_early, e->n)) return;
    px_up_start(s);
}

static void fault_delay_done(struct px_rt *rt, void *arg)
{
    (void)rt;
    stream_proxy(arg);
}

/* Envoy's fault filter: the delay first, then the abort; each by its percentage. */
static int apply_fault(struct stream *s)
{
    struct px_proxy *p = s->p;
    const struct px_fault_cfg *f = &s->route->fault;
    FL_ASSERT(s->route->has_fault && !(s->flags & PX_FLAG_DI));
    int delay =
        f->delay_percent > 0 && (double)(px_random(p->rt) % 1000000) < f->delay_percent * 10000.0;
    int abort =
        f->abort_percent > 0 && (double)(px_random(p->rt) % 1000000) < f->abort_percent * 10000.0;
    if (abort) {
        px_stream_finish(
            s, px_local_response(p, f->abort_status, s->flags | PX_FLAG_FI, "fault filter abort"));
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
    /* the authenticated consumer or credential (auth.h); without one Kong falls back to the
     * IP (kong/plugins/rate-limiting/handler.lua get_identifier) */
    case PX_RL_BY_CONSUMER: id = px_auth_consumer_id(&s->edge); break;
    case PX_RL_BY_CREDENTIAL: id = px_auth_credential_id(&s->edge); break;
    default: break;
    }
    return id ? id : peer ? peer : "-";
}

/* Kong's rate limit refusal: error_code (429) with error_message. */
static void rl_refuse(struct stream *s, const struct px_rl *rl)
{
    struct px_proxy *p = s->p;
    px_proxy_event(p, PX_EV_RATELIMIT, NULL, NULL, 0);
    const char *msg = rl->cfg.error_message ? rl->cfg.error_message : "API rate limit exceeded";
    char *body = fl_asprintf("{\"message\":\"%s\"}", msg);
    struct px_msg *m = px_local_response(p, rl->cfg.error_code ? rl->cfg.error_code : 429,
                                         s->flags | PX_FLAG_RL, body);
    free(body);
    px_stream_finish(s, m);
}

/* Kong's rate-limiting plugin runs before the request is proxied. */
static int apply_rate_limit(struct stream *s)
{
    struct px_proxy *p = s->p;
    int idx = s->route->rate_limit;
    if (idx < 0) return 0;
    FL_ASSERT((size_t)idx < p->cfg->n_rate_limits && !s->has_rl);
    struct px_rl *rl = &p->rls[idx];
    s->has_rl = 1;
    s->rl_index = idx;
    if (rl->cfg.policy == PX_RL_REDIS) { /* the stream waits for the store (proxy_rl_store.c) */
        FL_ASSERT(!s->in_work);
        s->in_work = 1;
        px_rl_store_ask(s, rl, rl_identifier(s, &rl->cfg));
        return 1;
    }
    if (px_rl_check(rl, rl_identifier(s, &rl->cfg), px_now(p->rt), &s->rl)) return 0;
    rl_refuse(s, rl);
    return 1;
}

/* What Istio's checks at an inbound sidecar know of a stream's connection (istio_sec.h). */
static void sec_peer(struct px_proxy *p, struct px_conn *c, struct px_sec_peer *peer)
{
    const struct px_rt_ops *o = p->rt->ops;
    memset(peer, 0, sizeof *peer);
    peer->principal = o->conn_principal && c ? o->conn_principal(p->rt, c) : NULL;
    peer->ip = o->conn_peer && c ? o->conn_peer(p->rt, c) : NULL;
    peer->port = o->conn_local && c ? (uint32_t)(o->conn_local(p->rt, c) & 0xffff) : 0;
    peer->unix_s = px_unix_now(p->rt) / 1000000000;
}

/* Istio's RequestAuthentication and AuthorizationPolicy, before routing; 1 when refused. */
static int apply_sec(struct stream *s)
{
    struct px_proxy *p = s->p;
    struct px_sec_peer peer;
    FL_ASSERT(p->cfg->sec && s->req);
    sec_peer(p, s->down ? s->down->c : NULL, &peer);
    struct px_msg *m = px_istio_sec_request(p->cfg->sec, p->rt, &peer, s->req);
    if (!m) return 0;
    m->flags |= s->flags;
    px_stream_finish(s, m);
    return 1;
}

/* After the rate limit: a direct response, the faults, then the attempts. */
static void stream_admitted(struct stream *s)
{
    if (s->route->direct_status) { /* Envoy's direct_response: no cluster involved */
        px_stream_finish(s, px_local_response(s->p, s->route->direct_status, s->flags, NULL));
        return;
    }
    if (s->route->has_fault && apply_fault(s)) return;
    stream_proxy(s);
}

void px_stream_rl_answered(struct stream *s, enum px_rl_outcome outcome)
{
    struct px_proxy *p = s->p;
    FL_ASSERT(s->in_work && s->has_rl && !s->resp);
    s->in_work = 0;
    if (s->abandoned) {
        stream_free(s);
        return;
    }
    switch (outcome) {
    case PX_RL_GO: stream_admitted(s); return;
    case PX_RL_REFUSE: rl_refuse(s, &p->rls[s->rl_index]); return;
    case PX_RL_FAIL:
        /* Kong: error(err) in the access phase, which its error handler answers with 500 */
        px_stream_finish(s, px_local_response(p, 500, s->flags,
                                              "{\"message\":\"An unexpected error occurred\"}"));
        return;
    }
    FL_ASSERT(0);
}

/*
 * x-forwarded-client-cert at an inbound sidecar, as Istio configures
 * Envoy's (forward_client_cert_details APPEND_FORWARD): over mutual TLS,
 * "By=<this proxy's id>;URI=<the client's id>" appended to what came (",");
 * over plaintext the header is removed (Envoy sanitizes it when the
 * connection presented no certificate). Envoy's Hash and Subject
 * elements are not written.
 */
static void set_xfcc(struct stream *s)
{
    struct px_proxy *p = s->p;
    FL_ASSERT(p->cfg->xfcc_by && s->req);
    const struct px_rt_ops *o = p->rt->ops;
    const char *who = o->conn_principal && s->down ? o->conn_principal(p->rt, s->down->c) : NULL;
    if (!who || !*who) {
        px_msg_remove_header(s->req, "x-forwarded-client-cert");
        return;
    }
    const char *was = px_msg_header(s->req, "x-forwarded-client-cert");
    char *v = fl_asprintf("%s%sBy=%s;URI=spiffe://%s", was ? was : "", was ? "," : "",
                          p->cfg->xfcc_by, who);
    px_msg_set_header(s->req, "x-forwarded-client-cert", v);
    free(v);
}

/* After the request-side CPU: route, rate limit, faults, then the attempts. */
static void stream_routed(struct px_rt *rt, void *arg)
{
    struct stream *s = arg;
    struct px_proxy *p = s->p;
    (void)rt;
    FL_ASSERT(s->in_work && !s->route && !s->cl);
    s->in_work = 0;
    if (s->abandoned) {
        stream_free(s);
        return;
    }
    s->route = find_route(p->cfg, s->req);
    px_trace_stream_begin(s);
    if (p->cfg->sec && apply_sec(s)) return; /* Envoy: jwt_authn and rbac before the router */
    if (p->cfg->xfcc_by) set_xfcc(s);
    if (!s->route) {
        px_stream_finish(s, px_local_response(p, 404, PX_FLAG_NR, NULL));
        return;
    }
    const struct px_edge_cfg *e = route_edge(p, s->route);
    if ((e && apply_edge(s, 0, e->n_early)) || apply_rate_limit(s)) return;
    stream_admitted(s);
}

static void stream_start(struct down *d, struct px_msg *req)
{
    struct px_proxy *p = d->p;
    /* HTTP/1.1: one stream at a time on an open connection */
    FL_ASSERT(!d->s && !d->closed && req);
    struct stream *s = fl_freelist_get(&p->pools->streams);
    LIST_ADD(p->streams, s);
    s->p = p;
    s->down = d;
    s->req = req;
    s->dest = -1;
    s->start_ns = px_now(p->rt);
    p->active++;
    px_timer_init(p->rt, &s->route_timer, px_up_route_timeout, s);
    px_timer_init(p->rt, &s->backoff_timer, px_up_backoff_done, s);
    px_timer_init(p->rt, &s->fault_timer, fault_delay_done, s);
    struct fl_rng r;
    uint64_t seed = px_random(p->rt);
    fl_rng_seed(&r, seed);
    s->cost_ns = fl_dist_sample(&p->cfg->cost, &r);
    d->s = s;
    FL_ASSERT(p->active > 0 && s->cost_ns >= 0);
    stream_work(s, s->cost_ns / 2, stream_routed);
}

/* ---------------------------------------------------------------- downstream */

static void down_free(struct down *d)
{
    struct px_proxy *p = d->p;
    FL_ASSERT(p->downs && d->q_len <= d->q_cap);
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
    FL_ASSERT(d->q_len <= d->q_cap && d->queue);
    struct px_msg *m = d->queue[0];
    memmove(d->queue, d->queue + 1, (d->q_len - 1) * sizeof *d->queue);
    d->q_len--;
    stream_start(d, m);
}

static void down_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct down *d = ctx;
    (void)c;
    FL_ASSERT(!d->closed);
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
    FL_ASSERT(!d->closed && (!s || s->down == d));
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
    if (p->cfg->sec) { /* PeerAuthentication STRICT: a plaintext connection is reset */
        struct px_sec_peer peer;
        sec_peer(p, c, &peer);
        if (px_istio_sec_refuses(p->cfg->sec, peer.port, peer.principal)) {
            p->rt->ops->conn_reset(p->rt, c);
            p->rt->ops->conn_release(p->rt, c);
            return;
        }
    }
    struct down *d = fl_calloc(1, sizeof *d);
    LIST_ADD(p->downs, d);
    d->p = p;
    d->c = c;
    p->rt->ops->conn_bind(p->rt, c, &down_cbs, d);
}

void px_pools_init(struct px_pools *pl)
{
    FL_ASSERT(pl);
    fl_freelist_init(&pl->streams, sizeof(struct stream));
    fl_freelist_init(&pl->attempts, sizeof(struct attempt));
}

void px_pools_free(struct px_pools *pl)
{
    FL_ASSERT(pl && pl->streams.size == sizeof(struct stream));
    fl_freelist_free(&pl->streams);
    fl_freelist_free(&pl->attempts);
}

struct px_proxy *px_proxy_new(struct px_rt *rt, const struct px_proxy_cfg *cfg)
{
    return px_proxy_new_at(rt, cfg, NULL);
}

struct px_proxy *px_proxy_new_at(struct px_rt *rt, const struct px_proxy_cfg *cfg,
                                 const char *locality)
{
    return px_proxy_new_labelled(rt, cfg, locality, NULL, 0);
}

struct px_proxy *px_proxy_new_labelled(struct px_rt *rt, const struct px_proxy_cfg *cfg,
                                       const char *locality, const struct px_label *labels,
                                       size_t n_labels)
{
    struct px_proxy *p = rt->pools ? px_keep_alloc(rt->pools, sizeof *p) : fl_calloc(1, sizeof *p);
    p->rt = rt;
    p->cfg = cfg;
    /* the domain index is the configuration's cache: built once, shared by every proxy made
     * from it (the sidecars of a mesh share one configuration) */
    if (!cfg->vindex) ((struct px_proxy_cfg *)cfg)->vindex = px_vhost_index_build(cfg);
    p->locality = locality ? fl_strdup(locality) : NULL;
    p->labels = fl_calloc(n_labels + 1, sizeof *p->labels);
    for (size_t i = 0; i < n_labels; i++) {
        p->labels[i].key = fl_strdup(labels[i].key);
        p->labels[i].value = fl_strdup(labels[i].value);
    }
    p->n_labels = n_labels;
    p->n_clusters = cfg->n_clusters;
    fl_u64map_init(&p->by_index);
    p->created_ns = px_now(rt);
    px_pools_init(&p->own);
    p->pools = rt->pools ? rt->pools : &p->own;
    FL_ASSERT(n_labels == 0 || labels);
    p->rls = fl_calloc(cfg->n_rate_limits ? cfg->n_rate_limits : 1, sizeof *p->rls);
    for (size_t i = 0; i < cfg->n_rate_limits; i++) {
        struct px_rl_cfg copy;
        px_rl_cfg_copy(&copy, &cfg->rate_limits[i]);
        px_rl_init(&p->rls[i], &copy);
    }
    px_respcache_init(&p->cache);
    return p;
}

void px_proxy_name_set(struct px_proxy *p, const char *name)
{
    FL_ASSERT(p && name);
    p->name = name;
}

void px_proxy_free(struct px_proxy *p)
{
    /* streams first (they hold attempts and connections), then what is left of the rest */
    p->freeing = 1;
    px_rl_store_orphan_all(p); /* answers still to come find no stream */
    while (p->streams) {
        struct stream *s = p->streams;
        stream_cancel(s);
        if (s->down) s->down->s = NULL;
        stream_free(s);
    }
    /* every stream counted in `active` was on the list */
    FL_ASSERT(p->active == 0);
    while (p->downs) {
        p->rt->ops->conn_close(p->rt, p->downs->c);
        down_free(p->downs);
    }
    px_up_drop_all(p);
    px_mirror_drop_all(p);
    for (size_t i = 0; i < p->n_live; i++) {
        struct cluster *cl = p->live_cl[i];
        FL_ASSERT(cl && cl->index == p->live[i]);
        px_cluster_free(p, cl);
        px_keep_free(p->pools, cl);
    }
    free(p->live);
    free(p->live_cl);
    fl_u64map_free(&p->by_index);
    px_pools_free(&p->own); /* the runtime's pools outlive the proxy */
    for (size_t i = 0; i < p->cfg->n_rate_limits; i++) px_rl_free(&p->rls[i]);
    free(p->rls);
    free(p->locality);
    for (size_t i = 0; i < p->n_labels; i++) {
        free(p->labels[i].key);
        free(p->labels[i].value);
    }
    free(p->labels);
    px_respcache_free(&p->cache);
    if (p->pools == &p->own)
        free(p);
    else
        px_keep_free(p->pools, p);
}

/*
 * A cluster exists in a proxy from the first request routed to it, as with
 * Envoy's on-demand cluster discovery (ODCDS: the cluster is fetched and
 * initialized when a route first names it) and as Istio's Sidecar egress
 * scoping leaves a sidecar only the services it calls. Nothing of an
 * unused cluster can be observed: no connection, no counter; its outlier
 * detection sweeps keep the time they would have kept had it been made
 * with the proxy, as Istio pushes every cluster at start (upstream.c). A mesh of N services thus
 * costs N clusters per sidecar in configuration (shared) but only those used in state.
 */
/* Up to this many clusters, a lookup searches the live indices rather than the map. */
#define LIVE_SCAN 8

struct cluster *px_cluster_find(const struct px_proxy *p, uint32_t index)
{
    FL_ASSERT(p && index < p->n_clusters && p->n_live <= p->n_clusters);
    if (p->n_live > LIVE_SCAN) return fl_u64map_get(&p->by_index, (uint64_t)index + 1);
    for (size_t i = 0; i < p->n_live; i++)
        if (p->live[i] == index) return p->live_cl[i];
    return NULL;
}

/* Records cl, just created, as live: in creation order, and in the map past LIVE_SCAN. */
static void cluster_add_live(struct px_proxy *p, struct cluster *cl)
{
    FL_ASSERT(p->n_live < p->n_clusters && !px_cluster_find(p, cl->index));
    size_t cap = p->cap_live; /* the two arrays grow alike: from the same capacity */
    FL_GROW(p->live, cap, p->n_live + 1);
    FL_GROW(p->live_cl, p->cap_live, p->n_live + 1);
    p->live[p->n_live] = cl->index;
    p->live_cl[p->n_live++] = cl;
    if (p->n_live <= LIVE_SCAN) return;
    if (p->n_live == LIVE_SCAN + 1) /* the map takes over: it holds every live cluster */
        for (size_t i = 0; i < LIVE_SCAN; i++)
            fl_u64map_put(&p->by_index, (uint64_t)p->live[i] + 1, p->live_cl[i]);
    fl_u64map_put(&p->by_index, (uint64_t)cl->index + 1, cl);
}

struct cluster *px_cluster_at(struct px_proxy *p, uint32_t index)
{
    /* the last one first: it is read next anyway, where the live indices are another line */
    struct cluster *cl = p->last_cl;
    if (cl && cl->index == index) return cl;
    cl = px_cluster_find(p, index);
    if (!cl) {
        cl = px_keep_alloc(p->pools, sizeof *cl);
        px_cluster_init(p, cl, index);
        cluster_add_live(p, cl);
    }
    FL_ASSERT(cl->index == index && p->n_live <= p->n_clusters);
    return p->last_cl = cl;
}

size_t px_proxy_clusters_used(const struct px_proxy *p, const uint32_t **index)
{
    FL_ASSERT(p && index && p->n_live <= p->n_clusters);
    *index = p->live;
    return p->n_live;
}

const struct px_cluster_stats *px_proxy_cluster_stats(const struct px_proxy *p, size_t i)
{
    static const struct px_cluster_stats unused; /* all zero: a cluster never used */
    const struct cluster *cl = px_cluster_find(p, (uint32_t)i);
    return cl ? &cl->st : &unused;
}

int px_proxy_host_ejected(const struct px_proxy *p, size_t i, size_t h)
{
    FL_ASSERT(i < p->n_clusters && h < p->cfg->clusters[i].n_endpoints);
    const struct cluster *cl = px_cluster_find(p, (uint32_t)i);
    return cl && cl->has_outlier && px_outlier_ejected(cl->od, (uint32_t)h);
}

uint64_t px_proxy_cache_purge(struct px_proxy *p)
{
    return px_respcache_purge(&p->cache);
}

void px_proxy_policy_stats(const struct px_proxy *p, struct px_policy_stats *out)
{
    out->cache_hits = p->cache.hits;
    out->cache_stores = p->cache.stores;
    out->shadows = p->shadows_sent;
}

uint64_t px_proxy_active(const struct px_proxy *p)
{
    return p->active;
}
