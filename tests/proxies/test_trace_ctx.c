/*
 * test_trace_ctx.c - proxies/trace.c: reading and writing the trace
 * context (B3 multi-header, single b3, W3C traceparent), its precedence,
 * malformed headers ignored whole, and the sampling decision by trace id.
 */
#include <string.h>

#include "proxies/trace.h"
#include "tests/testutil.h"

void suite_trace_ctx(void);

static void msg(struct px_msg *m)
{
    px_msg_init(m);
    m->method = "GET";
    m->path = "/";
}

static void test_trace_ctx_b3_multi(void)
{
    struct px_msg m;
    struct px_trace t;
    msg(&m);
    px_msg_add_header(&m, "X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124");
    px_msg_add_header(&m, "x-b3-spanid", "a2fb4a1d1a96d312");
    px_msg_add_header(&m, "x-b3-parentspanid", "0020000000000001");
    px_msg_add_header(&m, "x-b3-sampled", "1");
    CU_ASSERT_EQUAL_FATAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0x463ac35c9f6413adULL);
    CU_ASSERT_EQUAL(t.trace_lo, 0x48485a3953bb6124ULL);
    CU_ASSERT_EQUAL(t.span_id, 0xa2fb4a1d1a96d312ULL);
    CU_ASSERT_EQUAL(t.parent_id, 0x0020000000000001ULL);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3);
    px_msg_set_header(&m, "x-b3-sampled", "0");
    CU_ASSERT(px_trace_extract(&m, &t) && t.sampled == PX_SAMPLE_NO);
    px_msg_remove_header(&m, "x-b3-sampled");
    CU_ASSERT(px_trace_extract(&m, &t) && t.sampled == PX_SAMPLE_DEFER);
    px_msg_add_header(&m, "x-b3-flags", "1"); /* debug: sampled */
    CU_ASSERT(px_trace_extract(&m, &t) && t.sampled == PX_SAMPLE_YES);
    px_msg_clear(&m);
}

static void test_trace_ctx_malformed_is_ignored_whole(void)
{
    static const char *const bad_ids[] = {"463AC35C9F6413AD", "463ac35c9f6413a", "0000000000000000",
                                          "463ac35c9f6413ad4", ""};
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
        struct px_msg m;
        struct px_trace t;
        msg(&m);
        px_msg_add_header(&m, "x-b3-traceid", bad_ids[i]);
        px_msg_add_header(&m, "x-b3-spanid", "a2fb4a1d1a96d312");
        CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0);
        CU_ASSERT(t.trace_lo == 0 && t.span_id == 0);
        px_msg_clear(&m);
    }
    struct px_msg m;
    struct px_trace t;
    msg(&m);
    px_msg_add_header(&m, "x-b3-traceid", "463ac35c9f6413ad");
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0); /* no span id */
    px_msg_add_header(&m, "x-b3-spanid", "a2fb4a1d1a96d312");
    px_msg_add_header(&m, "x-b3-sampled", "yes");
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0);
    px_msg_clear(&m);
}

static void test_trace_ctx_single_b3_and_precedence(void)
{
    struct px_msg m;
    struct px_trace t;
    msg(&m);
    px_msg_add_header(&m, "x-b3-traceid", "1111111111111111");
    px_msg_add_header(&m, "x-b3-spanid", "2222222222222222");
    px_msg_add_header(&m, "b3",
                      "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
    CU_ASSERT_EQUAL_FATAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0x80f198ee56343ba8ULL); /* b3 wins over x-b3-* */
    CU_ASSERT_EQUAL(t.span_id, 0xe457b5a2e4d86bd1ULL);
    CU_ASSERT_EQUAL(t.parent_id, 0x05e3ac9a4f6e3b90ULL);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3 | PX_TRACE_B3_SINGLE);
    px_msg_set_header(&m, "b3", "80f198ee56343ba8-e457b5a2e4d86bd1-x"); /* malformed: next form */
    CU_ASSERT(px_trace_extract(&m, &t) && t.trace_lo == 0x1111111111111111ULL);
    px_msg_clear(&m);
    msg(&m);
    px_msg_add_header(&m, "b3", "0");
    CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_NO);
    px_msg_clear(&m);
}

static void test_trace_ctx_traceparent(void)
{
    struct px_msg m;
    struct px_trace t;
    msg(&m);
    px_msg_add_header(&m, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    CU_ASSERT_EQUAL_FATAL(px_trace_extract(&m, &t), 1);
    CU_ASSERT_EQUAL(t.trace_hi, 0x4bf92f3577b34da6ULL);
    CU_ASSERT_EQUAL(t.trace_lo, 0xa3ce929d0e0e4736ULL);
    CU_ASSERT_EQUAL(t.span_id, 0x00f067aa0ba902b7ULL);
    CU_ASSERT_EQUAL(t.sampled, PX_SAMPLE_YES);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_W3C);
    static const char *const bad[] = {
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   /* version ff */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   /* zero parent */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* 00 has no more fields */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        px_msg_set_header(&m, "traceparent", bad[i]);
        CU_ASSERT_EQUAL(px_trace_extract(&m, &t), 0);
    }
    /* a later version may append fields */
    px_msg_set_header(&m, "traceparent",
                      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x");
    CU_ASSERT(px_trace_extract(&m, &t) && t.sampled == PX_SAMPLE_NO);
    px_msg_clear(&m);
}

static void test_trace_ctx_inject_round_trip(void)
{
    struct px_msg m;
    struct px_trace t = {0x1234, 0xabcdef, 0x42, 0x7, PX_SAMPLE_DEFER, 0}, r;
    msg(&m);
    px_msg_add_header(&m, "x-b3-sampled", "1"); /* replaced */
    px_msg_add_header(&m, "user-agent", "x");
    px_trace_inject(&m, &t);
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-traceid"), "00000000000012340000000000abcdef");
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-spanid"), "0000000000000042");
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "x-b3-parentspanid"), "0000000000000007");
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "x-b3-sampled")); /* deferred */
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "traceparent"),
                           "00-00000000000012340000000000abcdef-0000000000000042-00");
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "user-agent"), "x");
    CU_ASSERT_EQUAL_FATAL(px_trace_extract(&m, &r), 1);
    CU_ASSERT(r.trace_hi == t.trace_hi && r.trace_lo == t.trace_lo && r.span_id == t.span_id &&
              r.parent_id == t.parent_id && r.sampled == PX_SAMPLE_DEFER);
    t.formats = PX_TRACE_B3_SINGLE;
    t.sampled = PX_SAMPLE_YES;
    t.trace_hi = 0;
    px_trace_inject(&m, &t);
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "x-b3-traceid"));
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "traceparent"));
    CU_ASSERT_STRING_EQUAL(px_msg_header(&m, "b3"),
                           "0000000000abcdef-0000000000000042-1-0000000000000007");
    px_trace_strip(&m);
    CU_ASSERT_EQUAL(m.n_headers, 1);
    px_msg_clear(&m);
}

static void test_trace_ctx_sampling_by_id(void)
{
    CU_ASSERT_EQUAL(px_trace_sample(UINT64_MAX, 100), 1);
    CU_ASSERT_EQUAL(px_trace_sample(0, 0), 0);
    CU_ASSERT_EQUAL(px_trace_sample(UINT64_C(1) << 62, 30), 1); /* 0.25 of the space */
    CU_ASSERT_EQUAL(px_trace_sample(UINT64_C(1) << 62, 20), 0);
    /* 100000 ids spread over the space: 1% sampled, within 5 sigma (sigma ~ 31) */
    size_t n = 0;
    for (uint64_t i = 0; i < 100000; i++) n += px_trace_sample(i * 0x9e3779b97f4a7c15ULL, 1.0);
    CU_ASSERT(n > 1000 - 160 && n < 1000 + 160);
}

void suite_trace_ctx(void)
{
    TEST_SUITE("proxies/trace_ctx");
    TEST_ADD(test_trace_ctx_b3_multi);
    TEST_ADD(test_trace_ctx_malformed_is_ignored_whole);
    TEST_ADD(test_trace_ctx_single_b3_and_precedence);
    TEST_ADD(test_trace_ctx_traceparent);
    TEST_ADD(test_trace_ctx_inject_round_trip);
    TEST_ADD(test_trace_ctx_sampling_by_id);
}
