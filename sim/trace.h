/*
 * trace.h - the simulator's span sink: what proxies (through the runtime's
 * span op), pods and workloads report, kept as the run's spans.
 *
 * Sampled spans go to the run's store (spans.json, run.db). Trace and
 * span ids come from a stream of the world's own (seeded from the
 * scenario's seed), so tracing never changes any other draw.
 */
#ifndef FL_SIM_TRACE_H
#define FL_SIM_TRACE_H

#include <stdint.h>

#include "proxies/rt.h"

struct sim_world;

/* A fresh non-zero id for a trace or a span (the runtime's trace_id op). */
uint64_t sim_trace_new_id(struct sim_world *w);

/* A span that ended: a proxy's (the runtime's span op), a pod's or a workload's. */
void sim_trace_span(struct sim_world *w, const struct px_span *s);

#endif
