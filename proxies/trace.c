/*
 * trace.c - trace context headers (see trace.h): B3 multi-header, the
 * single `b3` header and W3C `traceparent`, read strictly (a malformed
 * header is ignored whole, never repaired) and written in the forms that
 * arrived.
 *
 * Sources: openzipkin/b3-propagation README.md ("Multiple Headers",
 * "Single Header": the single header takes precedence; "Sampling State":
 * 1 accept, 0 deny, absent defer, `d` debug; "the first value wins"), and
 * W3C Trace Context, section 3.2 "traceparent Header" (version ff invalid;
 * all-zero trace-id or parent-id invalid; flag 01 sampled; a version
 * above 00 may carry more fields after a '-').
 */
#include "proxies/trace.h"

#include <math.h>
#include <string.h>

#include "base/assert.h"

/* ---------------------------------------------------------------- hex */

/*
 * Each lower-hex digit's value plus one; 0 for every other byte (upper
 * case included: B3 and W3C ids are lower hex). A table rather than
 * comparisons: every proxy hop reads up to 64 digits of ids.
 */
static const unsigned char hex_plus1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

/*
 * 8 lower-hex digits at s (the first the most significant) into *v; -1 if
 * any is not one. Eight at a time in one 64-bit word (s[i] in byte i):
 * for a byte b below 0x80, b + (0x80 - lo) has its top bit set exactly
 * when b >= lo, and no sum carries into the next byte; a byte at or above
 * 0x80 is refused before the sums are read. Every proxy hop reads up to 64
 * digits of ids.
 */
static int hex8(const char *s, uint32_t *v)
{
    const uint64_t ones = 0x0101010101010101u, top = 0x8080808080808080u;
    uint64_t x;
    memcpy(&x, s, sizeof x); /* one load */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    if (x & top) return -1;
    uint64_t digit = (x + ones * (0x80 - '0')) & ~(x + ones * (0x80 - '9' - 1));
    uint64_t letter = (x + ones * (0x80 - 'a')) & ~(x + ones * (0x80 - 'f' - 1));
    if (((digit | letter) & top) != top) return -1;
    /* each byte's value: its low nibble, plus 9 for a letter (bit 6 set: 'a' = 0x61 -> 10) */
    x = (x & ones * 0x0f) + 9 * ((x >> 6) & ones);
    /* pairs of digits, then fours, then eights: the earlier one shifted above the later */
    x = ((x << 4) | (x >> 8)) & 0x00ff00ff00ff00ffu;
    x = ((x << 8) | (x >> 16)) & 0x0000ffff0000ffffu;
    x = ((x << 16) | (x >> 32)) & 0xffffffffu;
    *v = (uint32_t)x;
    return 0;
}

/* n (<= 16) lower-hex digits at s into *v; -1 if any is not one. */
static int hex_n(const char *s, size_t n, uint64_t *v)
{
    FL_ASSERT(n <= 16);
    uint64_t x = 0;
    size_t i = 0;
    for (uint32_t w; i + 8 <= n; i += 8) {
        if (hex8(s + i, &w)) return -1;
        x = x << 32 | w;
    }
    unsigned bad = 0;
    for (; i < n; i++) {
        unsigned d = hex_plus1[(unsigned char)s[i]];
        bad |= d == 0;
        x = x << 4 | (uint64_t)((d - 1) & 15);
    }
    if (bad) return -1;
    *v = x;
    return 0;
}

/* A B3 trace id of 16 or 32 lower-hex digits (len of them), not zero. */
static int trace_id_n(const char *s, size_t len, uint64_t *hi, uint64_t *lo)
{
    FL_ASSERT(s && hi && lo);
    if (len == 16) {
        *hi = 0;
        return hex_n(s, 16, lo) == 0 && *lo ? 0 : -1;
    }
    if (len != 32 || hex_n(s, 16, hi) || hex_n(s + 16, 16, lo)) return -1;
    return *hi || *lo ? 0 : -1;
}

/* A span id of exactly 16 lower-hex digits, not zero. */
static int span_id_n(const char *s, size_t len, uint64_t *v)
{
    return len == 16 && hex_n(s, 16, v) == 0 && *v ? 0 : -1;
}

/*
 * 8 lower-hex digits of v at out, the most significant first. The eight
 * nibbles are spread one to a byte of a word (the least significant in
 * byte 0, then swapped into writing order) and each turned into its
 * digit at once: '0' + n, and 39 more ('a' - '9' - 1) where n + 6 carries
 * into bit 4, that is n >= 10.
 */
static void put_hex8(char *out, uint32_t v)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t x = v;
    x = (x | x << 16) & 0x0000ffff0000ffffu;
    x = (x | x << 8) & 0x00ff00ff00ff00ffu;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fu;
    x += ones * '0' + (((x + ones * 6) >> 4) & ones) * ('a' - '9' - 1);
#if __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    memcpy(out, &x, sizeof x);
}

/* 16 lower-hex digits of v at out (no terminator); returns out + 16. */
static char *put_hex(char *out, uint64_t v)
{
    put_hex8(out, (uint32_t)(v >> 32));
    put_hex8(out + 8, (uint32_t)v);
    return out + 16;
}

const char *px_trace_id_hex(uint64_t hi, uint64_t lo, char *buf)
{
    FL_ASSERT(buf && (hi || lo));
    char *end = hi ? put_hex(put_hex(buf, hi), lo) : put_hex(buf, lo);
    *end = '\0';
    return buf;
}

const char *px_span_id_hex(uint64_t id, char *buf)
{
    FL_ASSERT(buf);
    *put_hex(buf, id) = '\0';
    return buf;
}

/* ---------------------------------------------------------------- extract */

/*
 * b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}, the last two
 * optional, or a sampling state alone. Returns 1 with ids, 0 for a state
 * alone (t->sampled set), -1 when malformed.
 */
static int parse_b3_single(const char *v, struct px_trace *t)
{
    FL_ASSERT(v && t && !t->formats);
    size_t len = strlen(v);
    if (len == 1) { /* "b3: 0" (deny), or "1" / "d" with no ids */
        t->sampled = v[0] == '0' ? PX_SAMPLE_NO : PX_SAMPLE_YES;
        t->debug = v[0] == 'd';
        return v[0] == '0' || v[0] == '1' || v[0] == 'd' ? 0 : -1;
    }
    const char *dash = strchr(v, '-');
    if (!dash || trace_id_n(v, (size_t)(dash - v), &t->trace_hi, &t->trace_lo)) return -1;
    const char *sp = dash + 1, *end = strchr(sp, '-');
    size_t n = end ? (size_t)(end - sp) : strlen(sp);
    if (span_id_n(sp, n, &t->span_id)) return -1;
    t->sampled = PX_SAMPLE_DEFER;
    if (!end) return 1;
    const char *st = end + 1;
    if (!st[0] || (st[1] && st[1] != '-')) return -1;
    switch (st[0]) {
    case '0': t->sampled = PX_SAMPLE_NO; break;
    case '1': t->sampled = PX_SAMPLE_YES; break;
    case 'd':
        t->sampled = PX_SAMPLE_YES;
        t->debug = 1;
        break;
    default: return -1;
    }
    if (!st[1]) return 1;
    const char *par = st + 2;
    return span_id_n(par, strlen(par), &t->parent_id) ? -1 : 1;
}

/* The trace headers of a message, in one pass (the first value of each). */
enum { H_B3, H_TRACEID, H_SPANID, H_PARENT, H_SAMPLED, H_FLAGS, H_TRACEPARENT, H_COUNT };

/*
 * Whether s is lower (lower-case ASCII letters, digits and '-') but for
 * the case of s's letters, the terminating NUL included.
 */
static int same_lower(const char *s, const char *lower)
{
    for (;; s++, lower++) {
        unsigned char c = (unsigned char)*s;
        if ((unsigned)(c - 'A') < 26u) c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)*lower) return 0;
        if (!c) return 1;
    }
}

/* same_lower, first as written (the library's compare: most names arrive in lower case). */
static int is_name(const char *s, const char *lower)
{
    return !strcmp(s, lower) || same_lower(s, lower);
}

/*
 * Which trace header name is, or -1 (any case, as HTTP names compare). By
 * its letters, without measuring it: most headers are refused at the
 * first letter, the other x- ones (x-request-id, x-forwarded-for,
 * x-envoy-...) at the third.
 */
static int header_index(const char *name)
{
    switch (name[0] | 0x20) { /* 'b' only for 'b' and 'B'; alike for 't' and 'x' */
    case 'b': return is_name(name + 1, "3") ? H_B3 : -1;
    case 't': return is_name(name + 1, "raceparent") ? H_TRACEPARENT : -1;
    case 'x': break;
    default: return -1;
    }
    if (name[1] != '-' || (name[2] | 0x20) != 'b' || name[3] != '3' || name[4] != '-') return -1;
    const char *rest = name + 5;
    switch (rest[0] | 0x20) {
    case 't': return is_name(rest, "traceid") ? H_TRACEID : -1;
    case 's': return is_name(rest, "spanid") ? H_SPANID : is_name(rest, "sampled") ? H_SAMPLED : -1;
    case 'p': return is_name(rest, "parentspanid") ? H_PARENT : -1;
    case 'f': return is_name(rest, "flags") ? H_FLAGS : -1;
    }
    return -1;
}

static void find_headers(const struct px_msg *m, const char *v[H_COUNT])
{
    FL_ASSERT(m->n_headers <= m->cap_headers);
    for (int i = 0; i < H_COUNT; i++) v[i] = NULL;
    for (uint32_t i = 0; i < m->n_headers; i++) {
        int k = header_index(m->headers[i].name);
        if (k >= 0 && !v[k]) v[k] = m->headers[i].value;
    }
}

/* The x-b3-* headers: as parse_b3_single; -2 when there is none of them. */
static int parse_b3_multi(const char *const h[H_COUNT], struct px_trace *t)
{
    FL_ASSERT(h && t && !t->formats);
    const char *tid = h[H_TRACEID], *sid = h[H_SPANID], *pid = h[H_PARENT];
    const char *smp = h[H_SAMPLED], *flg = h[H_FLAGS];
    if (!tid && !sid && !pid && !smp && !flg) return -2;
    t->sampled = PX_SAMPLE_DEFER;
    if (smp) {
        /* "1" / "0", and leniently "true" / "false" (b3-propagation README) */
        if (!strcmp(smp, "1") || !strcmp(smp, "true"))
            t->sampled = PX_SAMPLE_YES;
        else if (!strcmp(smp, "0") || !strcmp(smp, "false"))
            t->sampled = PX_SAMPLE_NO;
        else
            return -1;
    }
    if (flg) {
        if (strcmp(flg, "1") && strcmp(flg, "0")) return -1;
        if (flg[0] == '1') {
            t->debug = 1;
            t->sampled = PX_SAMPLE_YES; /* debug implies an accept decision */
        }
    }
    if (!tid && !sid && !pid) return 0; /* a sampling decision alone */
    if (!tid || !sid) return -1;
    if (trace_id_n(tid, strlen(tid), &t->trace_hi, &t->trace_lo) ||
        span_id_n(sid, strlen(sid), &t->span_id))
        return -1;
    if (pid && span_id_n(pid, strlen(pid), &t->parent_id)) return -1;
    return 1;
}

/* traceparent: 1 when well formed (t set), -1 otherwise. */
static int parse_traceparent(const char *v, struct px_trace *t)
{
    FL_ASSERT(v && t && !t->formats);
    size_t len = strlen(v);
    uint64_t ver, flags;
    if (len < 55 || hex_n(v, 2, &ver) || ver == 0xff || v[2] != '-' || v[35] != '-' || v[52] != '-')
        return -1;
    /* version 00 is exactly 55 characters; a later one may add fields after a '-' */
    if ((ver == 0 && len != 55) || (len > 55 && v[55] != '-')) return -1;
    if (hex_n(v + 3, 16, &t->trace_hi) || hex_n(v + 19, 16, &t->trace_lo) ||
        hex_n(v + 36, 16, &t->span_id) || hex_n(v + 53, 2, &flags))
        return -1;
    if (!(t->trace_hi | t->trace_lo) || !t->span_id) return -1;
    t->sampled = flags & 1 ? PX_SAMPLE_YES : PX_SAMPLE_NO;
    return 1;
}

int px_trace_extract(const struct px_msg *m, struct px_trace *t)
{
    FL_ASSERT(m && t);
    struct px_trace x;
    int lone = PX_SAMPLE_DEFER; /* a sampling decision that came without ids */
    memset(t, 0, sizeof *t);
    t->sampled = PX_SAMPLE_DEFER;
    const char *h[H_COUNT];
    find_headers(m, h);
    if (h[H_B3]) {
        memset(&x, 0, sizeof x);
        int r = parse_b3_single(h[H_B3], &x);
        if (r == 1) {
            x.formats = PX_TRACE_B3_SINGLE;
            *t = x;
            return 1;
        }
        if (r == 0) lone = x.sampled;
    }
    memset(&x, 0, sizeof x);
    int r = parse_b3_multi(h, &x);
    if (r == 1) {
        x.formats = PX_TRACE_B3;
        *t = x;
        return 1;
    }
    if (r == 0 && lone == PX_SAMPLE_DEFER) lone = x.sampled;
    memset(&x, 0, sizeof x);
    if (h[H_TRACEPARENT] && parse_traceparent(h[H_TRACEPARENT], &x) == 1) {
        x.formats = PX_TRACE_W3C;
        *t = x;
        return 1;
    }
    t->sampled = lone;
    FL_ASSERT(!t->trace_hi && !t->trace_lo && !t->formats);
    return 0;
}

/* ---------------------------------------------------------------- inject */

void px_trace_strip(struct px_msg *m)
{
    FL_ASSERT(m && m->n_headers <= m->cap_headers);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (header_index(m->headers[i].name) < 0) m->headers[kept++] = m->headers[i];
    m->n_headers = kept;
}

void px_trace_inject(struct px_msg *m, const struct px_trace *t)
{
    FL_ASSERT(m && t && (t->trace_hi || t->trace_lo) && t->span_id);
    /* every value written into one buffer, NUL-separated, then copied into the message once */
    char buf[256], *p = buf;
    const char *names[6];
    size_t at[6], n = 0;
    uint32_t f = t->formats ? t->formats : PX_TRACE_B3 | PX_TRACE_W3C;
    char st = t->debug                      ? 'd'
              : t->sampled == PX_SAMPLE_YES ? '1'
              : t->sampled == PX_SAMPLE_NO  ? '0'
                                            : 0;
    char tid[32], sid[16], pid[16]; /* each id's digits, written once */
    size_t tlen = t->trace_hi ? 32 : 16;
    if (t->trace_hi) put_hex(tid, t->trace_hi);
    put_hex(tid + tlen - 16, t->trace_lo);
    put_hex(sid, t->span_id);
    if (t->parent_id) put_hex(pid, t->parent_id);
    px_trace_strip(m);
#define VALUE(name)                                                                                \
    do {                                                                                           \
        names[n] = (name);                                                                         \
        at[n++] = (size_t)(p - buf);                                                               \
    } while (0)
#define PUT(src, n) (memcpy(p, (src), (n)), p += (n))
    if (f & PX_TRACE_B3_SINGLE) { /* {trace}-{span}[-{state}[-{parent}]] */
        VALUE("b3");
        PUT(tid, tlen);
        *p++ = '-';
        PUT(sid, 16);
        if (st) {
            *p++ = '-';
            *p++ = st;
            /* the parent needs the sampling state before it (b3-propagation "Single Header") */
            if (t->parent_id) {
                *p++ = '-';
                PUT(pid, 16);
            }
        }
        *p++ = '\0';
    }
    if (f & PX_TRACE_B3) {
        VALUE("x-b3-traceid");
        PUT(tid, tlen);
        *p++ = '\0';
        VALUE("x-b3-spanid");
        PUT(sid, 16);
        *p++ = '\0';
        if (t->parent_id) {
            VALUE("x-b3-parentspanid");
            PUT(pid, 16);
            *p++ = '\0';
        }
        /* debug is sent as flags alone: "do not also send Sampled" */
        if (st) {
            VALUE(st == 'd' ? "x-b3-flags" : "x-b3-sampled");
            *p++ = st == 'd' ? '1' : st;
            *p++ = '\0';
        }
    }
    if (f & PX_TRACE_W3C) { /* a 64-bit id is left-padded with zeros to 32 digits */
        VALUE("traceparent");
        PUT("00-0000000000000000", tlen == 32 ? 3 : 19);
        PUT(tid, tlen);
        *p++ = '-';
        PUT(sid, 16);
        PUT(t->sampled == PX_SAMPLE_YES ? "-01" : "-00", 4);
    }
#undef VALUE
#undef PUT
    FL_ASSERT((size_t)(p - buf) <= sizeof buf && n <= 6);
    const char *copy = px_msg_strdup(m, buf, (size_t)(p - buf));
    for (size_t i = 0; i < n; i++) px_msg_add_header_static(m, names[i], copy + at[i]);
}

/* ---------------------------------------------------------------- sampling */

int px_trace_sample(uint64_t trace_lo, double percent)
{
    FL_ASSERT(percent == percent); /* not NaN */
    if (percent <= 0) return 0;
    if (percent >= 100) return 1;
    /* the low 64 bits under the rate's share of their space (an integer bound: exact) */
    uint64_t bound = (uint64_t)ldexp(percent / 100.0, 64);
    return trace_lo < bound;
}
