/*
 * trace.c - the simulator's span sink (sim/trace.h).
 */
#include "sim/trace.h"

#include "base/assert.h"
#include "reports/results.h"
#include "sim/world.h"

uint64_t sim_trace_new_id(struct sim_world *w)
{
    FL_ASSERT(w && w->sc);
    /* splitmix64 over a counter keyed by the seed: distinct, non-zero, reproducible */
    uint64_t z;
    do {
        z = (w->trace_ids++ + w->sc->seed * 0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
    } while (!z);
    FL_ASSERT(z != 0);
    return z;
}

void sim_trace_span(struct sim_world *w, const struct px_span *s)
{
    FL_ASSERT(w && w->run && s && s->end_ns >= s->start_ns && s->id);
    if (!s->sampled || !w->sc->spans) return;
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
        .start_ns = s->start_ns,
        .end_ns = s->end_ns,
        .queue_ns = s->queue_ns,
        .service_ns = s->service_ns,
        .rtx_ns = s->rtx_ns,
        .status = s->status,
        .flags = s->flags,
        .attempt = s->attempt,
        .kind = (uint8_t)s->kind,
        .error = (uint8_t)(s->error != 0),
    };
    rpt_spans_add(&w->run->spans, &r);
}
