/*
 * test_trace.c - proxies/trace.c: the B3 multi-header and single-header
 * forms and W3C traceparent, each well formed and in each malformed form
 * (ignored whole), their precedence, 64- and 128-bit trace ids, sampling
 * states (accept, deny, defer, debug), inject -> extract round trips in
 * every form, strip, and the deterministic sampling decision.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proxies/trace.h"
#include "tests/testutil.h"

void suite_trace(void);

#define TID64  "463ac35c9f6413ad"
#define TID128 "463ac35c9f6413ad48485a3953bb6124"
#define SID    "a2fb4a1d1a96d312"
#define PID    "0020000000000001"
#define TP     "00-" TID128 "-" SID "-01"

/* A request with the given headers (name, value, ..., NULL). */
static void msg(struct px_msg *m, ...)
{
    va_list ap;
    px_msg_init(m);
    va_start(ap, m);
    for (;;) {
        const char *n = va_arg(ap, const char *);
        if (!n) break;
        const char *v = va_arg(ap, const char *);
        px_msg_add_header(m, n, v);
    }
    va_end(ap);
}

/* Extracts from a request with one header: the result, *t set. */
static int one(const char *name, const char *value, struct px_trace *t)
{
    struct px_msg m;
    msg(&m, name, value, NULL);
    int r = px_trace_extract(&m, t);
    px_msg_clear(&m);
    return r;
}

static void test_b3_multi(void)
{
    struct px_msg m;
    struct px_trace t;
    msg(&m, "X-B3-TraceId", TID128, "X-B3-SpanId", SID, "X-B3-ParentSpanId", PID, "X-B3-Sampled",
        "1", NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0x463ac35c9f6413adULL);
    CU_ASSERT_EQUAL(t.trace_lo, 0x48485a3953bb6124ULL);
    CU_ASSERT_EQUAL(t.span_id, 0xa2fb4a1d1a96d312ULL);
    CU_ASSERT_EQUAL(t.parent_id, 0x0020000000000001ULL);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3);
    CU_ASSERT_EQUAL(t.debug, 0);
    px_msg_clear(&m);
    /* 64-bit id, no parent (a root), sampled absent: deferred */
    msg(&m, "x-b3-traceid", TID64, "x-b3-spanid", SID, NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0);
    CU_ASSERT_EQUAL(t.trace_lo, 0x463ac35c9f6413adULL);
    CU_ASSERT_EQUAL(t.parent_id, 0);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_DEFER);
    px_msg_clear(&m);
    /* lenient true / false; deny */
    static const struct {
        const char *v;
        int want;
    } smp[] = {{"0", PX_SAMPLE_NO}, {"true", PX_SAMPLE_YES}, {"false", PX_SAMPLE_NO}};
    for (size_t i = 0; i < 3; i++) {
        msg(&m, "x-b3-traceid", TID64, "x-b3-spanid", SID, "x-b3-sampled", smp[i].v, NULL);
        CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
        CU_ASSERT_EQUAL(t.sampled, smp[i].want);
        px_msg_clear(&m);
    }
    /* debug: flags 1 means sampled */
    msg(&m, "x-b3-traceid", TID64, "x-b3-spanid", SID, "x-b3-flags", "1", NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.debug, 1);
    px_msg_clear(&m);
    /* the first value wins */
    msg(&m, "x-b3-traceid", TID64, "x-b3-traceid", TID128, "x-b3-spanid", SID, NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0);
    px_msg_clear(&m);
    /* a decision alone: no context, the decision kept */
    msg(&m, "x-b3-sampled", "0", NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_NO);
    CU_ASSERT_EQUAL(t.trace_lo, 0);
    px_msg_clear(&m);
}

static void test_b3_multi_malformed(void)
{
    /* each is ignored whole: no context, nothing half read */
    static const char *const bad[][6] = {
        {"x-b3-traceid", "463AC35C9F6413AD", "x-b3-spanid", SID, NULL, NULL}, /* upper case */
        {"x-b3-traceid", "463ac35c9f6413a", "x-b3-spanid", SID, NULL, NULL},  /* 15 digits */
        {"x-b3-traceid", TID64 "00", "x-b3-spanid", SID, NULL, NULL},         /* 18 digits */
        {"x-b3-traceid", "0000000000000000", "x-b3-spanid", SID, NULL, NULL}, /* zero */
        {"x-b3-traceid", "", "x-b3-spanid", SID, NULL, NULL},                 /* empty */
        {"x-b3-traceid", TID64, "x-b3-spanid", "a2fb4a1d1a96d31", NULL, NULL},
        {"x-b3-traceid", TID64, "x-b3-spanid", "0000000000000000", NULL, NULL},
        {"x-b3-traceid", TID64, "x-b3-spanid", "a2fb4a1d1a96d31g", NULL, NULL},
        {"x-b3-traceid", TID64, "x-b3-spanid", SID, "x-b3-sampled", "yes"},
        {"x-b3-traceid", TID64, "x-b3-spanid", SID, "x-b3-sampled", ""},
        {"x-b3-traceid", TID64, "x-b3-spanid", SID, "x-b3-parentspanid", "12"},
        {"x-b3-traceid", TID64, "x-b3-spanid", SID, "x-b3-flags", "2"},
        {"x-b3-traceid", TID64, NULL, NULL, NULL, NULL}, /* no span id */
        {"x-b3-spanid", SID, NULL, NULL, NULL, NULL},    /* no trace id */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct px_msg m;
        struct px_trace t;
        px_msg_init(&m);
        for (int k = 0; k < 6 && bad[i][k]; k += 2) px_msg_add_header(&m, bad[i][k], bad[i][k + 1]);
        int r = px_trace_extract(&m, &t);
        if (r) fprintf(stderr, "\n  case %zu was accepted\n", i);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_EQUAL(t.trace_lo, 0);
        CU_ASSERT_EQUAL(t.span_id, 0);
        CU_ASSERT_EQUAL(t.formats, 0);
        px_msg_clear(&m);
    }
}

static void test_b3_single(void)
{
    struct px_trace t;
    CU_ASSERT_EQUAL(one("b3", TID128 "-" SID "-1-" PID, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0x463ac35c9f6413adULL);
    CU_ASSERT_EQUAL(t.span_id, 0xa2fb4a1d1a96d312ULL);
    CU_ASSERT_EQUAL(t.parent_id, 0x0020000000000001ULL);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3_SINGLE);
    CU_ASSERT_EQUAL(one("b3", TID64 "-" SID, &t), 1); /* state and parent optional */
    CU_ASSERT_EQUAL(t.trace_hi, 0);
    CU_ASSERT_EQUAL(t.trace_lo, 0x463ac35c9f6413adULL);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_DEFER);
    CU_ASSERT_EQUAL(t.parent_id, 0);
    CU_ASSERT_EQUAL(one("b3", TID64 "-" SID "-0", &t), 1);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_NO);
    CU_ASSERT_EQUAL(one("b3", TID64 "-" SID "-d", &t), 1);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.debug, 1);
    /* a deny alone: no context, the decision kept */
    CU_ASSERT_EQUAL(one("b3", "0", &t), 0);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_NO);
    CU_ASSERT_EQUAL(t.trace_lo, 0);
    static const char *const bad[] = {
        "",
        "2",
        TID64,                         /* no span id */
        TID64 "-",                     /* empty span id */
        TID64 "-" SID "-",             /* empty state */
        TID64 "-" SID "-2",            /* unknown state */
        TID64 "-" SID "-1-",           /* empty parent */
        TID64 "-" SID "-1-12",         /* short parent */
        TID64 "-" SID "-10",           /* state of two characters */
        "463AC35C9F6413AD-" SID,       /* upper case */
        "0000000000000000-" SID,       /* zero trace id */
        TID64 "-0000000000000000",     /* zero span id */
        TID64 "abc-" SID,              /* 19 digits */
        TID128 "-" SID "-1-" PID "-x", /* trailing field */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = one("b3", bad[i], &t);
        if (r) fprintf(stderr, "\n  b3 '%s' was accepted\n", bad[i]);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_EQUAL(t.trace_lo, 0);
        CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_DEFER);
    }
}

static void test_traceparent(void)
{
    struct px_trace t;
    CU_ASSERT_EQUAL(one("traceparent", TP, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0x463ac35c9f6413adULL);
    CU_ASSERT_EQUAL(t.trace_lo, 0x48485a3953bb6124ULL);
    CU_ASSERT_EQUAL(t.span_id, 0xa2fb4a1d1a96d312ULL);
    CU_ASSERT_EQUAL(t.parent_id, 0);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_W3C);
    CU_ASSERT_EQUAL(one("traceparent", "00-" TID128 "-" SID "-00", &t), 1);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_NO);
    CU_ASSERT_EQUAL(one("traceparent", "00-" TID128 "-" SID "-03", &t), 1); /* random-id bit */
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    /* a later version may carry more fields after a '-' */
    CU_ASSERT_EQUAL(one("traceparent", "cc-" TID128 "-" SID "-01-what-ever", &t), 1);
    static const char *const bad[] = {
        "",
        "ff-" TID128 "-" SID "-01",                       /* version ff */
        "00-00000000000000000000000000000000-" SID "-01", /* zero trace id */
        "00-" TID128 "-0000000000000000-01",              /* zero parent id */
        "00-463AC35C9F6413AD48485A3953BB6124-" SID "-01", /* upper case */
        "00-" TID64 "-" SID "-01",                        /* 64-bit trace id */
        "00-" TID128 "-" SID "-1",                        /* one flag digit */
        "00-" TID128 "-" SID "-01-extra",                 /* version 00 is 55 long */
        "cc-" TID128 "-" SID "-01x",                      /* no '-' after the flags */
        "00_" TID128 "-" SID "-01",                       /* separator */
        "0-" TID128 "-" SID "-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = one("traceparent", bad[i], &t);
        if (r) fprintf(stderr, "\n  traceparent '%s' was accepted\n", bad[i]);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_EQUAL(t.trace_lo, 0);
    }
}

static void test_precedence(void)
{
    struct px_msg m;
    struct px_trace t;
    /* b3 over x-b3-* over traceparent */
    msg(&m, "traceparent", TP, "x-b3-traceid", "1111111111111111", "x-b3-spanid", SID, "b3",
        "2222222222222222-" SID "-1", NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_lo, 0x2222222222222222ULL);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3_SINGLE);
    px_msg_clear(&m);
    msg(&m, "traceparent", TP, "x-b3-traceid", "1111111111111111", "x-b3-spanid", SID, NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_lo, 0x1111111111111111ULL);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3);
    px_msg_clear(&m);
    /* a malformed b3 is ignored whole: the next form is read */
    msg(&m, "b3", "nonsense", "x-b3-traceid", "1111111111111111", "x-b3-spanid", SID, NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_lo, 0x1111111111111111ULL);
    px_msg_clear(&m);
    /* malformed x-b3-*: traceparent */
    msg(&m, "x-b3-traceid", "xyz", "x-b3-spanid", SID, "traceparent", TP, NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_W3C);
    CU_ASSERT_EQUAL(t.trace_lo, 0x48485a3953bb6124ULL);
    px_msg_clear(&m);
    /* b3: 0 alone with a traceparent: the context from traceparent */
    msg(&m, "b3", "0", "traceparent", TP, NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_W3C);
    px_msg_clear(&m);
    /* nothing at all */
    msg(&m, "host", "x", NULL);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_DEFER);
    px_msg_clear(&m);
}

/* inject then extract gives back the same context, in the forms asked */
static void round_trip(uint32_t formats, uint64_t hi, int sampled, int debug, uint64_t parent)
{
    struct px_trace in = {
        hi, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, parent, sampled, formats, debug};
    struct px_msg m;
    struct px_trace out;
    msg(&m, "b3", "stale", "x-b3-sampled", "1", "traceparent", "junk", "host", "h", NULL);
    px_trace_inject(&m, &in);
    CU_ASSERT_EQUAL(px_trace_extract(&m, &out), 1);
    CU_ASSERT_EQUAL(out.trace_lo, in.trace_lo);
    CU_ASSERT_EQUAL(out.span_id, in.span_id);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "host"), "h");
    uint32_t want = formats ? formats : PX_TRACE_B3 | PX_TRACE_W3C;
    CU_ASSERT_EQUAL(!!px_msg_header(&m, "b3"), !!(want & PX_TRACE_B3_SINGLE));
    CU_ASSERT_EQUAL(!!px_msg_header(&m, "x-b3-traceid"), !!(want & PX_TRACE_B3));
    CU_ASSERT_EQUAL(!!px_msg_header(&m, "traceparent"), !!(want & PX_TRACE_W3C));
    if (want & (PX_TRACE_B3 | PX_TRACE_B3_SINGLE)) {
        /* B3 keeps the width of the id, the parent and every sampling state */
        CU_ASSERT_EQUAL(out.trace_hi, hi);
        CU_ASSERT_EQUAL(out.sampled, sampled);
        CU_ASSERT_EQUAL(out.debug, debug);
        /* b3 carries a parent only after a sampling state */
        if (sampled != PX_SAMPLE_DEFER || !(want & PX_TRACE_B3_SINGLE))
            CU_ASSERT_EQUAL(out.parent_id, parent);
    } else {
        CU_ASSERT_EQUAL(out.trace_hi, hi); /* zero-padded: the same value */
        CU_ASSERT_EQUAL(out.sampled, sampled == PX_SAMPLE_YES ? PX_SAMPLE_YES : PX_SAMPLE_NO);
    }
    px_msg_clear(&m);
}

static void test_round_trip(void)
{
    static const uint32_t forms[] = {0, PX_TRACE_B3, PX_TRACE_B3_SINGLE, PX_TRACE_W3C,
                                     PX_TRACE_B3 | PX_TRACE_B3_SINGLE};
    static const int states[] = {PX_SAMPLE_YES, PX_SAMPLE_NO, PX_SAMPLE_DEFER};
    for (size_t f = 0; f < 5; f++)
        for (size_t s = 0; s < 3; s++) {
            round_trip(forms[f], 0, states[s], 0, 0);
            round_trip(forms[f], 0x1111222233334444ULL, states[s], 0, 0x77ULL);
        }
    round_trip(PX_TRACE_B3, 0, PX_SAMPLE_YES, 1, 5);
    round_trip(PX_TRACE_B3_SINGLE, 0, PX_SAMPLE_YES, 1, 5);
    /* exact text of each form */
    struct px_trace t = {0,
                         0x463ac35c9f6413adULL,
                         0xa2fb4a1d1a96d312ULL,
                         0x20000000000001ULL,
                         PX_SAMPLE_YES,
                         PX_TRACE_B3 | PX_TRACE_B3_SINGLE | PX_TRACE_W3C,
                         0};
    struct px_msg m;
    px_msg_init(&m);
    px_trace_inject(&m, &t);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "b3"), TID64 "-" SID "-1-" PID);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-traceid"), TID64);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-spanid"), SID);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-parentspanid"), PID);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-sampled"), "1");
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "x-b3-flags"));
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "traceparent"),
                           "00-0000000000000000" TID64 "-" SID "-01");
    /* debug: flags, and no sampled */
    t.debug = 1;
    px_trace_inject(&m, &t);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-flags"), "1");
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "x-b3-sampled"));
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "b3"), TID64 "-" SID "-d-" PID);
    /* deferred: no sampled header, traceparent flags 00 */
    t.debug = 0;
    t.sampled = PX_SAMPLE_DEFER;
    px_trace_inject(&m, &t);
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "x-b3-sampled"));
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "b3"), TID64 "-" SID);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "traceparent"),
                           "00-0000000000000000" TID64 "-" SID "-00");
    /* strip */
    px_msg_add_header(&m, "x-b3-sampled", "1");
    px_trace_strip(&m);
    CU_ASSERT_EQUAL(m.n_headers, 0);
    px_msg_clear(&m);
}

/*
 * Every byte at every position of a span id: accepted exactly when it is a
 * lower-hex digit, and then read as that digit's value there (the ids are
 * read eight digits at a time).
 */
static void test_id_digits(void)
{
    for (int pos = 0; pos < 16; pos++) {
        for (int b = 1; b < 256; b++) {
            char sid[17] = "0000000000000001";
            if (pos == 15) sid[14] = '1'; /* stays non-zero whatever the last digit is */
            sid[pos] = (char)b;
            struct px_trace t;
            struct px_msg m;
            msg(&m, "x-b3-traceid", TID64, "x-b3-spanid", sid, NULL);
            int r = px_trace_extract(&m, &t);
            px_msg_clear(&m);
            int hex = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f');
            CU_ASSERT_EQUAL(r, hex);
            if (!hex || !r) continue;
            uint64_t base = pos == 15 ? 0x10 : 1; /* the other digit that is not 0 */
            uint64_t d = (uint64_t)(b <= '9' ? b - '0' : b - 'a' + 10);
            CU_ASSERT_EQUAL(t.span_id, base + (d << (4 * (15 - pos))));
        }
    }
}

/* Trace header names in any case, and nothing that only starts like one. */
static void test_header_names(void)
{
    static const char *const names[] = {"b3",           "x-b3-traceid", "x-b3-spanid",
                                        "x-b3-sampled", "x-b3-flags",   "traceparent"};
    static const char *const values[] = {TID64 "-" SID "-1", TID64, SID, "1", "1", TP};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t len = strlen(names[i]);
        for (size_t k = 0; k <= len; k++) {
            char name[32];
            memcpy(name, names[i], len + 1);
            if (k < len && name[k] >= 'a' && name[k] <= 'z') name[k] = (char)(name[k] - 32);
            struct px_msg m;
            msg(&m, name, values[i], NULL);
            px_msg_add_header(&m, "host", "a");
            px_trace_strip(&m);
            CU_ASSERT_EQUAL(m.n_headers, 1); /* the trace header went, host stayed */
            px_msg_clear(&m);
            /* one character more, or the last one changed: not a trace header */
            char longer[34], changed[32];
            snprintf(longer, sizeof longer, "%s%c", names[i], k < len ? name[k] : 's');
            memcpy(changed, names[i], len + 1);
            changed[len - 1] = changed[len - 1] == 'd' ? 'e' : 'd';
            msg(&m, longer, values[i], changed, values[i], NULL);
            px_trace_strip(&m);
            CU_ASSERT_EQUAL(m.n_headers, 2);
            px_msg_clear(&m);
        }
    }
}

static void test_hex(void)
{
    char b[33];
    CU_ASSERT_STRING_EQUAL(px_trace_id_hex(0, 0x1aULL, b), "000000000000001a");
    CU_ASSERT_STRING_EQUAL(px_trace_id_hex(1, 2, b), "00000000000000010000000000000002");
    CU_ASSERT_STRING_EQUAL(px_span_id_hex(0xabcdef0123456789ULL, b), "abcdef0123456789");
    /* written eight digits at a time: as printf writes them, over every digit at every place */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 4096; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t id = i < 256 ? 0x0101010101010101ULL * (uint64_t)(i & 15) << (i >> 4 & 3) : x;
        char want[33];
        snprintf(want, sizeof want, "%016llx", (unsigned long long)id);
        CU_ASSERT_STRING_EQUAL(px_span_id_hex(id, b), want);
        snprintf(want, sizeof want, "%016llx%016llx", (unsigned long long)(x >> 7 | 1),
                 (unsigned long long)id);
        CU_ASSERT_STRING_EQUAL(px_trace_id_hex(x >> 7 | 1, id, b), want);
    }
}

static void test_sample(void)
{
    CU_ASSERT_EQUAL(px_trace_sample(0, 0), 0);
    CU_ASSERT_EQUAL(px_trace_sample(UINT64_MAX, 100), 1);
    CU_ASSERT_EQUAL(px_trace_sample(0x7fffffffffffffffULL, 50), 1);
    CU_ASSERT_EQUAL(px_trace_sample(0x8000000000000001ULL, 50), 0);
    /* deterministic on the id, and the share over spread ids: n = 100000 at 10%,
     * sigma = sqrt(n p (1-p)) ~ 95; allow 5 sigma */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int n = 0;
    for (int i = 0; i < 100000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t id = x ^ (x >> 29);
        n += px_trace_sample(id, 10);
        CU_ASSERT_EQUAL(px_trace_sample(id, 10), px_trace_sample(id, 10));
    }
    ASSERT_ABS(n, 10000, 5 * 95);
}

void suite_trace(void)
{
    TEST_SUITE("trace");
    TEST_ADD(test_b3_multi);
    TEST_ADD(test_b3_multi_malformed);
    TEST_ADD(test_b3_single);
    TEST_ADD(test_traceparent);
    TEST_ADD(test_precedence);
    TEST_ADD(test_round_trip);
    TEST_ADD(test_id_digits);
    TEST_ADD(test_header_names);
    TEST_ADD(test_hex);
    TEST_ADD(test_sample);
}
