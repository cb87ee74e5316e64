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
#include <strings.h>

#include "base/assert.h"

/* 1 + the value of each byte as a lower-hex digit, 0 when it is not one (a table: random
   ids would mispredict a branch on every other digit). */
static const uint8_t hex_value[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* The digit's value, or a value with bit 4 set (31) when c is not a lower-hex digit. */
static unsigned hex_digit(unsigned char c)
{
    return (hex_value[c] - 1u) & 31u;
}

/* n lower-hex digits of s into *out (n <= 16); 0 when any is not one. */
static int hex_n(const char *s, size_t n, uint64_t *out)
{
    FL_ASSERT(n >= 1 && n <= 16);
    uint64_t v = 0;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = hex_digit((unsigned char)s[i]);
        bad |= d;
        v = (v << 4) | (d & 15);
    }
    if (bad & 16) return 0;
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
    FL_ASSERT(v && t);
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
    FL_ASSERT(n >= 2 && n <= 4);
    if (!trace_id_parse(part[0], len[0], &x.trace_hi, &x.trace_lo) ||
        !span_id_parse(part[1], len[1], &x.span_id))
        return 0;
    if (n == 4 && !span_id_parse(part[3], len[3], &x.parent_id)) return 0;
    x.sampled = sampled;
    *t = x;
    return 1;
}

/* The first value of each trace header a request carries. */
struct trace_hdrs {
    const char *b3, *traceid, *spanid, *parentspanid, *sampled, *flags, *traceparent;
};

static void find_headers(const struct px_msg *m, struct trace_hdrs *h)
{
    FL_ASSERT(m && h && m->n_headers <= m->cap_headers);
    memset(h, 0, sizeof *h);
    for (uint32_t i = 0; i < m->n_headers; i++) {
        const char *n = m->headers[i].name, *v = m->headers[i].value;
        const char **slot = NULL;
        char c = (char)(n[0] | 0x20);
        if (c != 'x' && c != 'b' && c != 't') continue; /* most headers: one test */
        switch (strlen(n)) {                            /* then one comparison, by length */
        case 2: slot = !strcasecmp(n, "b3") ? &h->b3 : NULL; break;
        case 10: slot = !strcasecmp(n, "x-b3-flags") ? &h->flags : NULL; break;
        case 11:
            slot = !strcasecmp(n, "x-b3-spanid")   ? &h->spanid
                   : !strcasecmp(n, "traceparent") ? &h->traceparent
                                                   : NULL;
            break;
        case 12:
            slot = !strcasecmp(n, "x-b3-traceid")   ? &h->traceid
                   : !strcasecmp(n, "x-b3-sampled") ? &h->sampled
                                                    : NULL;
            break;
        case 17: slot = !strcasecmp(n, "x-b3-parentspanid") ? &h->parentspanid : NULL; break;
        default: break;
        }
        if (slot && !*slot) *slot = v; /* the first value wins */
    }
}

/* x-b3-traceid and x-b3-spanid (both needed), x-b3-parentspanid, -sampled, -flags. */
static int b3_multi(const struct trace_hdrs *h, struct px_trace *t)
{
    FL_ASSERT(h && t);
    if (!h->traceid || !h->spanid) return 0;
    struct px_trace x = {0};
    if (!trace_id_parse(h->traceid, strlen(h->traceid), &x.trace_hi, &x.trace_lo) ||
        !span_id_parse(h->spanid, strlen(h->spanid), &x.span_id))
        return 0;
    const char *pid = h->parentspanid;
    if (pid && !span_id_parse(pid, strlen(pid), &x.parent_id)) return 0;
    const char *s = h->sampled, *f = h->flags;
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
    FL_ASSERT(v && t);
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
    FL_ASSERT(flags <= 0xff);
    x.sampled = (flags & 1) ? PX_SAMPLE_YES : PX_SAMPLE_NO;
    *t = x;
    return 1;
}

int px_trace_extract(const struct px_msg *m, struct px_trace *t)
{
    FL_ASSERT(m && t);
    memset(t, 0, sizeof *t);
    t->sampled = PX_SAMPLE_DEFER;
    struct trace_hdrs h;
    find_headers(m, &h);
    /* the forms present (written back alike); the first well-formed one by precedence is read */
    uint32_t formats = (h.b3 ? PX_TRACE_B3_SINGLE : 0) | (h.traceid ? PX_TRACE_B3 : 0) |
                       (h.traceparent ? PX_TRACE_W3C : 0);
    struct px_trace x = {0};
    x.sampled = PX_SAMPLE_DEFER;
    int found = (h.b3 && b3_single(h.b3, &x)) || b3_multi(&h, &x) ||
                (h.traceparent && w3c(h.traceparent, &x));
    if (!found) {
        if (x.sampled == PX_SAMPLE_NO) t->sampled = PX_SAMPLE_NO; /* "b3: 0" */
        return 0;
    }
    *t = x;
    t->formats = formats;
    FL_ASSERT(t->span_id && (t->trace_hi || t->trace_lo));
    return 1;
}

/* 1 for b3, x-b3-*, traceparent and tracestate (any case). */
static int is_trace_header(const char *n)
{
    switch (n[0] | 0x20) {
    case 'b': return !strcasecmp(n, "b3");
    case 'x': return !strncasecmp(n, "x-b3-", 5);
    case 't': return !strcasecmp(n, "traceparent") || !strcasecmp(n, "tracestate");
    default: return 0;
    }
}

void px_trace_strip(struct px_msg *m)
{
    FL_ASSERT(m && m->n_headers <= m->cap_headers);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (!is_trace_header(m->headers[i].name)) m->headers[kept++] = m->headers[i];
    m->n_headers = kept;
}

/* 16 lower-hex digits of v at buf (no terminator). */
/* The two lower-hex digits of each byte value. */
static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static void hex16(uint64_t v, char *buf)
{
    for (int i = 7; i >= 0; i--, v >>= 8) memcpy(buf + 2 * i, hex_pairs + 2 * (v & 0xff), 2);
}

const char *px_trace_id_hex(uint64_t hi, uint64_t lo, char *buf)
{
    FL_ASSERT(buf && (hi || lo));
    if (hi) {
        hex16(hi, buf);
        hex16(lo, buf + 16);
        buf[32] = '\0';
    } else {
        hex16(lo, buf);
        buf[16] = '\0';
    }
    return buf;
}

const char *px_span_id_hex(uint64_t id, char *buf)
{
    FL_ASSERT(buf);
    hex16(id, buf);
    buf[16] = '\0';
    return buf;
}

void px_trace_inject(struct px_msg *m, const struct px_trace *t)
{
    FL_ASSERT(m && t && t->span_id && (t->trace_hi || t->trace_lo));
    uint32_t formats = t->formats ? t->formats : PX_TRACE_B3 | PX_TRACE_W3C;
    /* every value written into one buffer, copied into the message's arena at once:
       [trace id][span id][parent id][b3][traceparent], each ending in NUL */
    char buf[40 + 17 + 17 + 72 + 56], *p = buf;
    char tp[32]; /* the trace id on 32 digits (traceparent) */
    hex16(t->trace_hi, tp);
    hex16(t->trace_lo, tp + 16);
    const char *tid = t->trace_hi ? tp : tp + 16;
    size_t tid_len = t->trace_hi ? 32 : 16;
    char sid[16], pid[16];
    hex16(t->span_id, sid);
    hex16(t->parent_id, pid);
    size_t o_tid = 0, o_sid, o_pid, o_b3, o_tp;
    memcpy(p, tid, tid_len), p += tid_len, *p++ = '\0';
    o_sid = (size_t)(p - buf);
    memcpy(p, sid, 16), p += 16, *p++ = '\0';
    o_pid = (size_t)(p - buf);
    memcpy(p, pid, 16), p += 16, *p++ = '\0';
    o_b3 = (size_t)(p - buf);
    if (formats & PX_TRACE_B3_SINGLE) {
        /* {trace}-{span}[-{sampled}[-{parent}]]: the parent only after a sampling state */
        memcpy(p, tid, tid_len), p += tid_len, *p++ = '-';
        memcpy(p, sid, 16), p += 16;
        if (t->sampled != PX_SAMPLE_DEFER) {
            *p++ = '-', *p++ = t->sampled ? '1' : '0';
            if (t->parent_id) *p++ = '-', memcpy(p, pid, 16), p += 16;
        }
        *p++ = '\0';
    }
    o_tp = (size_t)(p - buf);
    if (formats & PX_TRACE_W3C) { /* 00-{32 hex trace}-{16 hex parent}-{flags} */
        memcpy(p, "00-", 3), p += 3;
        memcpy(p, tp, 32), p += 32, *p++ = '-';
        memcpy(p, sid, 16), p += 16;
        memcpy(p, t->sampled == PX_SAMPLE_YES ? "-01" : "-00", 4), p += 4;
    }
    FL_ASSERT((size_t)(p - buf) <= sizeof buf);
    const char *v = px_msg_strdup(m, buf, (size_t)(p - buf));
    px_trace_strip(m);
    if (formats & PX_TRACE_B3) {
        px_msg_add_header_static(m, "x-b3-traceid", v + o_tid);
        px_msg_add_header_static(m, "x-b3-spanid", v + o_sid);
        if (t->parent_id) px_msg_add_header_static(m, "x-b3-parentspanid", v + o_pid);
        if (t->sampled != PX_SAMPLE_DEFER)
            px_msg_add_header_static(m, "x-b3-sampled", t->sampled == PX_SAMPLE_YES ? "1" : "0");
    }
    if (formats & PX_TRACE_B3_SINGLE) px_msg_add_header_static(m, "b3", v + o_b3);
    if (formats & PX_TRACE_W3C) px_msg_add_header_static(m, "traceparent", v + o_tp);
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
