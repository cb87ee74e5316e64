/*
 * spans.h - the spans a run keeps, and what is made of them: the Zipkin
 * v2 and OTLP/JSON exports (spans_out.c), and the slowest requests with
 * where their time went (slowest.c).
 *
 * A span store owns its spans and interns their strings (service, pod,
 * cluster, path... repeat across millions of spans: each is kept once).
 * Times are simulated (or monotonic, live) nanoseconds from the start of
 * the run; an export adds RPT_SPAN_EPOCH_US so that collectors, which want
 * wall-clock epoch microseconds, show a date (2026-01-01T00:00:00Z, fixed
 * so that exports are byte-identical from run to run); the live gateway
 * passes its real start time instead.
 */
#ifndef FL_REPORTS_SPANS_H
#define FL_REPORTS_SPANS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RPT_SPAN_EPOCH_US 1767225600000000LL /* 2026-01-01T00:00:00Z */

struct rpt_span {
    uint64_t trace_hi, trace_lo, id, parent; /* parent 0: a root span */
    const char *name;                        /* interned: "GET /api", "gateway ratings", ... */
    const char *service;                     /* interned: the local endpoint's serviceName */
    const char *peer;                        /* interned or NULL: remote endpoint (pod, client) */
    const char *method, *path, *cluster, *reason; /* interned or NULL (px_span's) */
    int64_t start_ns, end_ns;
    int64_t queue_ns, service_ns, rtx_ns;
    int status;
    uint32_t flags; /* PX_FLAG_* bits */
    uint32_t attempt;
    uint8_t kind;  /* 0 local, 1 client, 2 server (px_span's PX_SPAN_*) */
    uint8_t error; /* 1: failed */
};

/* Interned strings: each distinct text once, freed with the table. */
struct rpt_strtab {
    char **slots; /* open addressing by hash of the text */
    size_t n, cap;
};

const char *rpt_strtab_intern(struct rpt_strtab *t, const char *s); /* NULL stays NULL */
void rpt_strtab_free(struct rpt_strtab *t);

struct rpt_spans {
    struct rpt_span *v;
    size_t n, cap;
    struct rpt_strtab strs;
    uint64_t dropped; /* spans past the store's cap (RPT_SPANS_MAX) */
};

#define RPT_SPANS_MAX 2000000

/* Appends a copy of s (its strings interned); counts it as dropped past RPT_SPANS_MAX. */
void rpt_spans_add(struct rpt_spans *st, const struct rpt_span *s);
void rpt_spans_free(struct rpt_spans *st);
/* Sorts by (trace, start, id): the order the exports write, whatever order the spans ended in. */
void rpt_spans_sort(struct rpt_spans *st);

/*
 * Zipkin v2 JSON (openzipkin/zipkin-api zipkin2-api.yaml, ListOfSpans):
 * what `POST /api/v2/spans` of Zipkin and Jaeger accept, one span a line.
 * epoch_us is added to every time; a span starts at the microsecond its
 * start_ns falls in and ends at the one its end_ns rounds up to, so that a
 * child stays inside its parent; durations are at least 1 µs.
 * flag_names[i] names flag bit i for i < RPT_SPAN_FLAG_BITS (rpt_run's
 * flag_names: Envoy's short names); NULL, or a NULL entry, writes the bit
 * as "bitN". Returns 0, or -1 on a write error. docs/tracing-export.md
 * has the field mapping.
 */
#define RPT_SPAN_FLAG_BITS 16
int rpt_spans_write_zipkin(const struct rpt_span *v, size_t n, int64_t epoch_us,
                           const char *const *flag_names, FILE *f);
/*
 * OTLP/JSON (opentelemetry-proto, ExportTraceServiceRequest): one
 * resourceSpans per service, hex ids, integer enums, nanosecond times as
 * decimal strings. Same arguments.
 */
int rpt_spans_write_otlp(const struct rpt_span *v, size_t n, int64_t epoch_us,
                         const char *const *flag_names, FILE *f);

/*
 * The store in a private binary form (spans_dump.c), for another process
 * of the same machine: times count from epoch_us. rpt_spans_load adds the
 * spans of a dump to a store whose times count from into_epoch_us. Both
 * return 0, or -1 with *err (caller frees).
 */
int rpt_spans_dump(const struct rpt_spans *st, int64_t epoch_us, const char *path, char **err);
int rpt_spans_load(struct rpt_spans *into, int64_t into_epoch_us, const char *path, char **err);
/* The epoch a dump's times count from. Returns 0, or -1 when path is no readable dump. */
int rpt_spans_dump_epoch(const char *path, int64_t *epoch_us);

/*
 * One of the slowest requests and where its time went, from its trace.
 * The parts add up to at most the latency; what no span explains is
 * `other`.
 */
struct rpt_slow {
    uint64_t trace_hi, trace_lo;
    char *route; /* owned */
    int64_t start_ns, latency_ns;
    int outcome;    /* HTTP status or RPT_FAIL_* */
    uint32_t tries; /* the client's */
    int64_t queue_ns, service_ns, network_ns, rtx_ns, backoff_ns, other_ns;
    char *hops; /* "gateway 812ms > reviews-v2-0 790ms > ratings-1 12ms" (owned) */
    struct rpt_span
        *spans; /* the whole trace, sorted by start (owned; strings of the run's store) */
    size_t n_spans;
};

/*
 * Computes the breakdown fields and `hops` of sl from sl->spans (sorted):
 * queue and service time from the pods' server spans, network as each
 * client span less its child server span, TCP retransmission from the
 * spans' rtx, backoff as the gaps between a client's successive attempts.
 */
void rpt_slow_explain(struct rpt_slow *sl);
void rpt_slow_free(struct rpt_slow *sl);
/* The one-line breakdown printed in summary.txt, into buf. */
const char *rpt_slow_line(const struct rpt_slow *sl, char *buf, size_t size);

#endif
