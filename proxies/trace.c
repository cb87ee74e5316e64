/*
 * trace.c - trace context headers (proxies/trace.h): B3 multi-header, the
 * single `b3` header and W3C `traceparent`, read and written.
 *
 * Sources: openzipkin/b3-propagation README ("Multiple Headers", "Single
 * Header": b3={TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}, the last
 * two optional, the parent only after a sampling state; "b3: 0" alone
 * denies sampling); W3C Trace Context, section 3.2 "traceparent Header"
 * (version-format: 2 hex digits, ff invalid; for version 00 exactly
 * 00-{32 hex}-{16 hex}-{2 hex}; a later version may append "-..." fields;
 * all-zero ids invalid; flags bit 0 "sampled"). Ids are lower hex only.
 */
#include "proxies/trace.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"

/* n lower-hex digits of s into *out (n <= 16); 0 when any is not one. */
static int hex_n(const char *s, size_t n, uint64_t *out)
{
    FL_ASSERT(n >= 1 && n <= 16);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return 0;
        v = (v << 4) | d;
    }
    *out = v;
    return 1;
}

/* A trace id of exactly 16 or 32 lower-hex digits, not all zero. */
static int trace_id_parse(const char *s, size_t len, uint64_t *hi, uint64_t *lo)
{
    *hi = 0;
    if (len == 32) {
        if (!hex_n(s, 16, hi) || !hex_n(s + 16, 16, lo)) return 0;
    } else if (len != 16 || !hex_n(s, 16, lo)) {
        return 0;
    }
    return *hi || *lo;
}

/* A span id of exactly 16 lower-hex digits, not all zero. */
static int span_id_parse(const char *s, size_t len, uint64_t *id)
{
    return len == 16 && hex_n(s, 16, id) && *id;
}

/* b3={trace}-{span}[-{sampled}[-{parent}]], or a lone sampling state. */
static int b3_single(const char *v, struct px_trace *t)
{
    const char *part[4];
    size_t len[4], n = 0;
    const char *p = v;
    for (;;) {
        if (n == 4) return 0;
        const char *dash = strchr(p, '-');
        part[n] = p;
        len[n] = dash ? (size_t)(dash - p) : strlen(p);
        n++;
        if (!dash) break;
        p = dash + 1;
    }
    int sampled = PX_SAMPLE_DEFER;
    if (n == 1) { /* only a sampling state: "0" denies; no ids to continue */
        if (len[0] == 1 && part[0][0] == '0') t->sampled = PX_SAMPLE_NO;
        return 0;
    }
    if (n >= 3) {
        if (len[2] != 1) return 0;
        char c = part[2][0];
        if (c == '1' || c == 'd')
            sampled = PX_SAMPLE_YES;
        else if (c == '0')
            sampled = PX_SAMPLE_NO;
        else
            return 0;
    }
    struct px_trace x = {0};
    if (!trace_id_parse(part[0], len[0], &x.trace_hi, &x.trace_lo) ||
        !span_id_parse(part[1], len[1], &x.span_id))
        return 0;
    if (n == 4 && !span_id_parse(part[3], len[3], &x.parent_id)) return 0;
    x.sampled = sampled;
    *t = x;
    return 1;
}

/* x-b3-traceid and x-b3-spanid (both needed), x-b3-parentspanid, -sampled, -flags. */
static int b3_multi(const struct px_msg *m, struct px_trace *t)
{
    const char *tid = px_msg_header(m, "x-b3-traceid"), *sid = px_msg_header(m, "x-b3-spanid");
    if (!tid || !sid) return 0;
    struct px_trace x = {0};
    if (!trace_id_parse(tid, strlen(tid), &x.trace_hi, &x.trace_lo) ||
        !span_id_parse(sid, strlen(sid), &x.span_id))
        return 0;
    const char *pid = px_msg_header(m, "x-b3-parentspanid");
    if (pid && !span_id_parse(pid, strlen(pid), &x.parent_id)) return 0;
    const char *s = px_msg_header(m, "x-b3-sampled"), *f = px_msg_header(m, "x-b3-flags");
    x.sampled = PX_SAMPLE_DEFER;
    if (s) { /* "1"/"0"; older clients sent "true"/"false" (accepted leniently) */
        if (!strcmp(s, "1") || !strcmp(s, "true"))
            x.sampled = PX_SAMPLE_YES;
        else if (!strcmp(s, "0") || !strcmp(s, "false"))
            x.sampled = PX_SAMPLE_NO;
        else
            return 0;
    }
    if (f && !strcmp(f, "1")) x.sampled = PX_SAMPLE_YES; /* debug implies sampled */
    *t = x;
    return 1;
}

static int hexval(const char *s, size_t n, uint64_t *v)
{
    return hex_n(s, n, v);
}

/* traceparent: {version}-{trace-id}-{parent-id}-{flags}. */
static int w3c(const char *v, struct px_trace *t)
{
    size_t len = strlen(v);
    uint64_t ver, flags;
    if (len < 55 || !hexval(v, 2, &ver) || ver == 0xff) return 0;
    if (ver == 0 && len != 55) return 0;
    if (len > 55 && v[55] != '-') return 0; /* a later version's extra fields */
    if (v[2] != '-' || v[35] != '-' || v[52] != '-') return 0;
    struct px_trace x = {0};
    if (!trace_id_parse(v + 3, 32, &x.trace_hi, &x.trace_lo) ||
        !span_id_parse(v + 36, 16, &x.span_id) || !hexval(v + 53, 2, &flags))
        return 0;
    x.sampled = (flags & 1) ? PX_SAMPLE_YES : PX_SAMPLE_NO;
    *t = x;
    return 1;
}

int px_trace_extract(const struct px_msg *m, struct px_trace *t)
{
    FL_ASSERT(m && t);
    memset(t, 0, sizeof *t);
    struct px_trace b3s = {0}, b3m = {0}, tp = {0};
    const char *single = px_msg_header(m, "b3"), *parent = px_msg_header(m, "traceparent");
    int has_s = single && b3_single(single, &b3s);
    int has_m = b3_multi(m, &b3m);
    int has_w = parent && w3c(parent, &tp);
    uint32_t formats =
        (has_s ? PX_TRACE_B3_SINGLE : 0) | (has_m ? PX_TRACE_B3 : 0) | (has_w ? PX_TRACE_W3C : 0);
    if (has_s)
        *t = b3s;
    else if (has_m)
        *t = b3m;
    else if (has_w)
        *t = tp;
    else {
        if (single && b3s.sampled == PX_SAMPLE_NO)
            t->sampled = PX_SAMPLE_NO; /* "b3: 0" */
        else
            t->sampled = PX_SAMPLE_DEFER;
        t->formats = 0;
        return 0;
    }
    t->formats = formats;
    FL_ASSERT(t->span_id && (t->trace_hi || t->trace_lo));
    return 1;
}

static const char *const trace_headers[] = {
    "b3",          "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags",
    "traceparent", "tracestate",   NULL,
};

void px_trace_strip(struct px_msg *m)
{
    FL_ASSERT(m);
    for (size_t i = 0; trace_headers[i]; i++) px_msg_remove_header(m, trace_headers[i]);
}

const char *px_trace_id_hex(uint64_t hi, uint64_t lo, char *buf)
{
    FL_ASSERT(buf && (hi || lo));
    if (hi)
        snprintf(buf, 33, "%016llx%016llx", (unsigned long long)hi, (unsigned long long)lo);
    else
        snprintf(buf, 33, "%016llx", (unsigned long long)lo);
    return buf;
}

const char *px_span_id_hex(uint64_t id, char *buf)
{
    FL_ASSERT(buf);
    snprintf(buf, 17, "%016llx", (unsigned long long)id);
    return buf;
}

void px_trace_inject(struct px_msg *m, const struct px_trace *t)
{
    FL_ASSERT(m && t && t->span_id && (t->trace_hi || t->trace_lo));
    uint32_t formats = t->formats ? t->formats : PX_TRACE_B3 | PX_TRACE_W3C;
    char tid[33], sid[17], pid[17], buf[96];
    px_trace_id_hex(t->trace_hi, t->trace_lo, tid);
    px_span_id_hex(t->span_id, sid);
    px_trace_strip(m);
    if (formats & PX_TRACE_B3) {
        px_msg_add_header(m, "x-b3-traceid", tid);
        px_msg_add_header(m, "x-b3-spanid", sid);
        if (t->parent_id)
            px_msg_add_header(m, "x-b3-parentspanid", px_span_id_hex(t->parent_id, pid));
        if (t->sampled != PX_SAMPLE_DEFER)
            px_msg_add_header_static(m, "x-b3-sampled", t->sampled == PX_SAMPLE_YES ? "1" : "0");
    }
    if (formats & PX_TRACE_B3_SINGLE) {
        /* the parent may only follow a sampling state: a deferred decision drops it */
        if (t->sampled == PX_SAMPLE_DEFER)
            snprintf(buf, sizeof buf, "%s-%s", tid, sid);
        else if (t->parent_id)
            snprintf(buf, sizeof buf, "%s-%s-%c-%s", tid, sid, t->sampled ? '1' : '0',
                     px_span_id_hex(t->parent_id, pid));
        else
            snprintf(buf, sizeof buf, "%s-%s-%c", tid, sid, t->sampled ? '1' : '0');
        px_msg_add_header(m, "b3", buf);
    }
    if (formats & PX_TRACE_W3C) {
        snprintf(buf, sizeof buf, "00-%016llx%016llx-%s-%s", (unsigned long long)t->trace_hi,
                 (unsigned long long)t->trace_lo, sid, t->sampled == PX_SAMPLE_YES ? "01" : "00");
        px_msg_add_header(m, "traceparent", buf);
    }
}

int px_trace_sample(uint64_t trace_lo, double percent)
{
    FL_ASSERT(percent == percent); /* not NaN */
    if (percent >= 100) return 1;
    if (percent <= 0) return 0;
    /* under percent% of the 2^64 ids: the same id decides alike at every hop */
    double limit = ldexp(percent / 100.0, 64);
    return (double)trace_lo < limit;
}
