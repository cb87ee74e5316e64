/*
 * rt_spans.c - the live runtime's span sink (live/rt.h, live_rt_keep_spans):
 * the proxy's sampled spans kept in a store, their times counted from when
 * keeping began, up to a cap.
 *
 * Times: the runtime's clock reads the monotonic clock plus the Unix time
 * it was at start (rt.c), so a span's times less the clock at
 * live_rt_keep_spans are monotonic nanoseconds since then, and the export
 * adds that start as wall-clock epoch microseconds (live_rt_spans_epoch_us):
 * a step of the wall clock while the gateway runs moves no span.
 *
 * Not here: writing the spans out (reports/spans_files.h; the gateway does
 * it on shutdown), deciding what is sampled (the proxy).
 */
#include "base/assert.h"
#include "live/rt.h"
#include "reports/spans.h"

void live_rt_keep_spans(struct live_rt *rt, struct rpt_spans *st, size_t max)
{
    FL_ASSERT(rt && st && max >= 1 && !rt->spans);
    rt->spans = st;
    rt->spans_max = max < RPT_SPANS_MAX ? max : RPT_SPANS_MAX;
    rt->spans_t0_ns = px_now(&rt->base);
    FL_ASSERT(rt->spans_t0_ns > 0);
}

int64_t live_rt_spans_epoch_us(const struct live_rt *rt)
{
    FL_ASSERT(rt && rt->spans);
    return rt->spans_t0_ns / 1000;
}

void live_rt_span_keep(struct live_rt *rt, const struct px_span *s)
{
    FL_ASSERT(rt && s && s->end_ns >= s->start_ns);
    struct rpt_spans *st = rt->spans;
    /* a sampled-out span costs nothing more (B3 "X-B3-Sampled: 0": not reported) */
    if (!st || !s->sampled) return;
    if (st->n >= rt->spans_max) {
        st->dropped++;
        return;
    }
    FL_ASSERT(s->id && (s->trace_hi || s->trace_lo) && s->kind >= 0 && s->kind <= 2);
    struct rpt_span r = {
        .trace_hi = s->trace_hi,
        .trace_lo = s->trace_lo,
        .id = s->id,
        .parent = s->parent,
        .name = s->name,
        .service = s->service,
        .peer = s->peer,
        .method = s->method,
        .path = s->path,
        .cluster = s->cluster,
        .reason = s->reason,
        .start_ns = s->start_ns - rt->spans_t0_ns,
        .end_ns = s->end_ns - rt->spans_t0_ns,
        .queue_ns = s->queue_ns,
        .service_ns = s->service_ns,
        .rtx_ns = s->rtx_ns,
        .status = s->status,
        .flags = s->flags,
        .attempt = s->attempt,
        .kind = (uint8_t)s->kind,
        .error = (uint8_t)(s->error != 0),
    };
    rpt_spans_add(st, &r);
}
