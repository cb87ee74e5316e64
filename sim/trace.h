/*
 * trace.h - the simulator's span sink: what proxies (through the runtime's
 * span op), pods and workloads report, kept as the run's spans, and the
 * traces of the slowest requests kept whatever the sampling.
 *
 * Sampled spans go to the run's store (spans.json, run.db). Trace and
 * span ids come from a stream of the world's own (seeded from the
 * scenario's seed), so tracing never changes any other draw.
 *
 * Tail retention (report.slowest N; 0: off, nothing buffered): a
 * workload's traced request opens its trace here; every span of an open
 * trace is buffered, sampled or not. When the request ends (its root span
 * has been reported) the trace is kept if the request is among the N
 * slowest so far (latency, then the earlier start, then the earlier
 * request), else freed; a kept trace pushed out later by a slower one is
 * freed then. Spans that end after their request (a pod still working
 * when its caller gave up) are appended to a kept trace and dropped
 * otherwise. Only traces a workload opened are buffered, and each is
 * closed when its request ends (answered, failed, or unfinished at the
 * end of the run), so the buffer holds the requests in flight plus the N
 * kept: memory stays bounded on long runs.
 */
#ifndef FL_SIM_TRACE_H
#define FL_SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/rt.h"
#include "reports/results.h"

struct sim_world;

/* A fresh non-zero id for a trace or a span (the runtime's trace_id op). */
uint64_t sim_trace_new_id(struct sim_world *w);

/*
 * The sampling (percent) of a hop that decides when nobody before it did
 * and no proxy's configuration says: tracing.sample, else 1% (Istio's
 * default, meshConfig defaultConfig.tracing.sampling = 1.0).
 */
double sim_trace_default_percent(const struct sim_world *w);

/*
 * Why a try that failed with outcome (a status or RPT_FAIL_*) was retried,
 * in the words of the spans' `reason` tag: "5xx", "429", "per-try-timeout",
 * "reset", "connect-failure"; NULL for a success.
 */
const char *sim_trace_reason(int outcome);

/* "METHOD path", a span's name, into buf (cut to size); returns buf. */
const char *sim_trace_name(char *buf, size_t size, const char *method, const char *path);

/*
 * Prepares the sink (after the run's results are built). With neither
 * report.spans nor report.slowest there is none: workloads and pods then
 * send and read no trace context (w->tracer NULL).
 */
void sim_trace_init(struct sim_world *w);

/*
 * A workload's request begins the trace (hi, lo); `counted` when the
 * request counts (started after warmup): only then are its spans buffered.
 */
void sim_trace_open(struct sim_world *w, uint64_t hi, uint64_t lo, int counted);

/*
 * A span that ended: a proxy's (the runtime's span op), a pod's or a
 * workload's. A workload's spans have sampled = PX_SAMPLE_DEFER: they
 * follow the decision of the trace's first deciding hop, as far as the
 * spans reported so far show it (not sampled when no hop has decided).
 */
void sim_trace_span(struct sim_world *w, const struct px_span *s);

/*
 * A counted request ended (its root span, if traced, reported before):
 * kept among the report.slowest slowest, or its buffered trace freed.
 * `seq` orders requests that tie on latency and start. Closes the trace
 * opened for it (rq->trace_* 0: not traced, nothing buffered).
 */
void sim_trace_request_end(struct sim_world *w, const struct rpt_request *rq, uint64_t seq);

/* A request that does not count ended: closes its trace. */
void sim_trace_close(struct sim_world *w, uint64_t hi, uint64_t lo);

/* The end of the run: run->slowest (slowest first, explained), the sink freed. */
void sim_trace_finish(struct sim_world *w);

/* Frees the sink (also when the run failed). */
void sim_trace_free(struct sim_world *w);

#endif
