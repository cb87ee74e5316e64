/*
 * trace.h - trace context: reading and writing the headers that carry a
 * trace from hop to hop (B3 multi-header, the single `b3` header, W3C
 * `traceparent`), drawing ids, and deciding sampling.
 *
 * Rules (openzipkin/b3-propagation README; W3C Trace Context, section
 * "traceparent Header"):
 *  - the single `b3` header takes precedence over the `x-b3-*` headers,
 *    which take precedence over `traceparent`; the first value of a
 *    header wins;
 *  - a malformed or empty header is ignored as a whole (never repaired):
 *    the hop then starts a new trace;
 *  - `x-b3-sampled` 1/0 (leniently true/false), absent = deferred (the
 *    receiver decides); `x-b3-flags: 1` = debug (sampled);
 *  - traceparent: version 00 (ff invalid), 32 lower-hex trace id, 16
 *    lower-hex parent id, 2 hex flags (bit 0 sampled); all-zero ids are
 *    invalid.
 *
 * Pure functions: no runtime, no allocation but the message's arena.
 */
#ifndef FL_PROXIES_TRACE_H
#define FL_PROXIES_TRACE_H

#include <stdint.h>

#include "proxies/http.h"

/* Which header forms carried the context (a bit set). */
enum {
    PX_TRACE_B3 = 1u << 0,        /* x-b3-traceid, x-b3-spanid, ... */
    PX_TRACE_B3_SINGLE = 1u << 1, /* b3: {trace}-{span}-{sampled}-{parent} */
    PX_TRACE_W3C = 1u << 2,       /* traceparent */
};

/* Sampling state as B3 has it. */
enum { PX_SAMPLE_DEFER = -1, PX_SAMPLE_NO = 0, PX_SAMPLE_YES = 1 };

struct px_trace {
    uint64_t trace_hi, trace_lo; /* trace_hi 0 and trace_lo != 0: a 64-bit id */
    uint64_t span_id;            /* the sender's span: the receiver's parent */
    uint64_t parent_id;          /* the sender's parent (B3 only), 0 if none */
    int sampled;                 /* PX_SAMPLE_* */
    uint32_t formats;            /* PX_TRACE_*: the forms it came in (0: started here) */
    int debug;                   /* x-b3-flags: 1 or b3 sampling state `d` (then sampled) */
};

/*
 * Reads the trace context of a request. Returns 1 with *t set, 0 when the
 * request carries none, or none that is well formed (*t zeroed). A b3
 * header that only says "0" (deny, no ids) returns 0 with t->sampled =
 * PX_SAMPLE_NO.
 */
int px_trace_extract(const struct px_msg *m, struct px_trace *t);

/*
 * Writes t into a request, replacing any trace headers it had: the forms
 * in t->formats ("preserve" what arrived), or x-b3-* and traceparent when
 * formats is 0. A deferred decision writes no x-b3-sampled (and
 * traceparent's flag 00).
 */
void px_trace_inject(struct px_msg *m, const struct px_trace *t);

/* Removes every trace header (a service that does not propagate). */
void px_trace_strip(struct px_msg *m);

/* Lower hex of a trace id: 16 digits when hi is 0, else 32; buf >= 33. */
const char *px_trace_id_hex(uint64_t hi, uint64_t lo, char *buf);
/* Lower hex of a span id (16 digits); buf >= 17. */
const char *px_span_id_hex(uint64_t id, char *buf);

/*
 * Sampling decision for a trace that arrives deferred or starts here: 1
 * when the trace id's low 64 bits fall under `percent` (0..100) of the
 * space, so every hop that decides on the same id decides alike.
 */
int px_trace_sample(uint64_t trace_lo, double percent);

#endif
