/*
 * proxy_trace.c - the proxy engine's spans and trace propagation.
 *
 * A proxy that traces (px_trace_cfg.enabled: the route's own tracing, else
 * the proxy's) reads the request's context (trace.c), or starts a trace
 * when there is none, and decides sampling when the context arrives
 * deferred or starts here (px_trace_sample on the trace id, so every hop
 * deciding on the same id decides alike). It reports, as Envoy does with
 * the HTTP connection manager's span plus one upstream span per attempt
 * (envoy/extensions/filters/network/http_connection_manager/v3
 * http_connection_manager.proto Tracing.spawn_upstream_span; router.cc
 * names them "router <cluster> egress"):
 *  - a SERVER span per downstream request, child of the incoming span;
 *  - a CLIENT span per upstream attempt, child of the SERVER span, whose
 *    context goes into that attempt's request (the forms that arrived, or
 *    x-b3-* and traceparent for a trace started here).
 * A sampled-out request reports its spans too, marked sampled = 0 (the
 * sink decides what to keep): on the stack, no allocation. A proxy that
 * does not trace passes trace headers on untouched and reports nothing.
 * Ids come from the runtime's trace_id op (a stream of their own), else
 * from its draw.
 */
#include <string.h>

#include "base/assert.h"
#include "proxies/proxy_internal.h"

/* A fresh non-zero id. */
static uint64_t new_id(struct px_proxy *p)
{
    if (p->rt->ops->trace_id) return p->rt->ops->trace_id(p->rt);
    uint64_t x;
    do x = px_random(p->rt);
    while (!x);
    return x;
}

/* The tracing that covers the stream: its route's own, else the proxy's. */
static const struct px_trace_cfg *stream_cfg(const struct stream *s)
{
    return s->route && s->route->has_trace ? &s->route->trace : &s->p->cfg->trace;
}

void px_trace_stream_begin(struct stream *s)
{
    struct px_proxy *p = s->p;
    FL_ASSERT(!s->span_id && s->req);
    const struct px_trace_cfg *tc = stream_cfg(s);
    if (!tc->enabled) return;
    if (!px_trace_extract(s->req, &s->tr)) {
        /* a new trace (a lone sampling decision, such as "b3: 0", is kept) */
        int lone = s->tr.sampled;
        memset(&s->tr, 0, sizeof s->tr);
        s->tr.sampled = lone;
        s->tr.trace_hi = tc->id128 ? new_id(p) : 0;
        s->tr.trace_lo = new_id(p);
        s->tr.formats = tc->formats; /* the tracer's own header forms */
    }
    if (s->tr.sampled == PX_SAMPLE_DEFER)
        s->tr.sampled =
            px_trace_sample(s->tr.trace_lo, tc->sample_pct) ? PX_SAMPLE_YES : PX_SAMPLE_NO;
    s->span_id = new_id(p);
    FL_ASSERT(s->span_id && (s->tr.trace_hi || s->tr.trace_lo) && s->tr.sampled != PX_SAMPLE_DEFER);
}

void px_trace_attempt_begin(struct stream *s, struct attempt *a)
{
    FL_ASSERT(a->s == s && !a->span_id);
    a->number = ++s->attempts;
    a->start_ns = px_now(s->p->rt);
    if (s->span_id) a->span_id = new_id(s->p);
}

/* The context a request sent on behalf of span `id` carries. */
static void inject(const struct stream *s, uint64_t id, uint64_t parent, struct px_msg *up)
{
    struct px_trace t = s->tr;
    FL_ASSERT(id && s->span_id);
    t.span_id = id;
    t.parent_id = parent;
    px_trace_inject(up, &t);
}

void px_trace_attempt_inject(struct stream *s, const struct attempt *a, struct px_msg *up)
{
    FL_ASSERT(a->s == s && up);
    if (a->span_id) inject(s, a->span_id, s->span_id, up);
}

void px_trace_shadow_inject(struct stream *s, struct px_msg *up)
{
    FL_ASSERT(up);
    if (s->span_id) inject(s, s->span_id, s->tr.span_id, up);
}

/* The fields every span of the stream shares. */
static void span_common(const struct stream *s, struct px_span *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->trace_hi = s->tr.trace_hi;
    sp->trace_lo = s->tr.trace_lo;
    sp->service = px_proxy_name(s->p);
    sp->sampled = s->tr.sampled == PX_SAMPLE_YES;
    sp->method = s->req && s->req->method ? s->req->method : "GET";
    sp->path = s->req && s->req->path ? s->req->path : "/";
    sp->cluster = s->cl ? s->cl->cfg->name : NULL;
    sp->end_ns = px_now(s->p->rt);
}

void px_trace_attempt_end(struct stream *s, const struct attempt *a, int status, uint32_t flags,
                          const char *reason, int error)
{
    struct px_proxy *p = s->p;
    FL_ASSERT(a->s == s && status >= 0);
    if (!a->span_id || p->freeing || !p->rt->ops->span) return;
    struct px_span sp;
    span_common(s, &sp);
    sp.id = a->span_id;
    sp.parent = s->span_id;
    sp.name = s->cl->span_name;
    sp.kind = PX_SPAN_CLIENT;
    sp.start_ns = a->start_ns;
    sp.peer = a->host ? s->cl->cfg->endpoints[a->host->index].name : NULL;
    sp.status = status;
    sp.flags = flags;
    sp.attempt = a->number;
    sp.reason = reason;
    sp.rtx_ns = a->rtx_ns;
    sp.error = error || status >= 500;
    FL_ASSERT(sp.end_ns >= sp.start_ns && sp.attempt >= 1);
    p->rt->ops->span(p->rt, &sp);
}

/* Why the proxy answered as it did, from the response's flags (NULL: the upstream's answer). */
static const char *flags_reason(uint32_t f, const struct stream *s)
{
    if (f & PX_FLAG_NR) return "no-route";
    if (f & PX_FLAG_RL) return "rate-limited";
    if (f & PX_FLAG_FI) return "fault-abort";
    if (f & PX_FLAG_UH) { /* no host left: ejected by outlier detection, or none healthy */
        const struct cluster *cl = s->cl;
        for (uint32_t i = 0; cl && cl->has_outlier && i < cl->cfg->n_endpoints; i++)
            if (px_outlier_ejected(cl->od, i)) return "ejected";
        return "no-healthy-upstream";
    }
    if (f & PX_FLAG_URX) return "retry-limit";
    if (f & PX_FLAG_UO) return "overflow";
    if (f & PX_FLAG_UT) return "timeout";
    return NULL;
}

void px_trace_stream_end(struct stream *s, const struct px_msg *resp, const char *reason)
{
    struct px_proxy *p = s->p;
    if (!s->span_id || s->span_done || p->freeing || !p->rt->ops->span) return;
    s->span_done = 1;
    struct px_span sp;
    span_common(s, &sp);
    sp.id = s->span_id;
    sp.parent = s->tr.span_id; /* the incoming span; 0 for a trace started here */
    /* low cardinality: the route (Envoy's decorator, Kong's route), not the path */
    sp.name = s->route && s->route->name ? s->route->name : "no-route";
    sp.kind = PX_SPAN_SERVER;
    sp.start_ns = s->start_ns;
    sp.peer = p->rt->ops->conn_peer && s->down ? p->rt->ops->conn_peer(p->rt, s->down->c) : NULL;
    sp.status = resp ? resp->status : 0;
    sp.flags = resp ? resp->flags : PX_FLAG_DC;
    sp.reason = reason ? reason : resp ? flags_reason(resp->flags, s) : NULL;
    sp.error = !resp || resp->status >= 500;
    sp.rtx_ns = s->req ? s->req->rtx_ns : 0; /* the request's, as it arrived (per hop) */
    FL_ASSERT(sp.end_ns >= sp.start_ns && sp.id);
    p->rt->ops->span(p->rt, &sp);
}
