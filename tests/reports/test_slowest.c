/*
 * test_slowest.c - where a slow request's time went (reports/slowest.c),
 * on traces built by hand: exact sums of queueing, service time, network,
 * TCP retransmission, backoff and the rest, and the hops.
 */
#include <stdlib.h>
#include <string.h>

#include "reports/spans.h"
#include "tests/testutil.h"

void suite_slowest(void);

#define MS INT64_C(1000000)

static struct rpt_span span(uint64_t id, uint64_t parent, int kind, int64_t start_ms,
                            int64_t end_ms, const char *service)
{
    struct rpt_span s = {0};
    s.trace_lo = 42;
    s.id = id;
    s.parent = parent;
    s.kind = (uint8_t)kind;
    s.start_ns = start_ms * MS;
    s.end_ns = end_ms * MS;
    s.service = service;
    s.name = "GET /a";
    return s;
}

/*
 * A workload's request of 1000 ms: try 1 times out at 300 ms (its server
 * works on to 400 ms: nobody waited for that), 50 ms of backoff, try 2
 * answered by front, which calls back-0.
 */
static void test_slowest_breakdown_exact(void)
{
    struct rpt_span v[7];
    v[0] = span(1, 0, 0, 0, 1000, "web"); /* root */
    v[1] = span(2, 1, 1, 0, 300, "web");  /* try 1 */
    v[1].attempt = 1;
    v[2] = span(3, 2, 2, 10, 400, "front"); /* its server: outlived the try */
    v[2].queue_ns = 100 * MS;
    v[2].service_ns = 200 * MS;
    v[3] = span(4, 1, 1, 350, 1000, "web"); /* try 2 */
    v[3].attempt = 2;
    v[3].rtx_ns = 20 * MS; /* its response was late */
    v[4] = span(5, 4, 2, 400, 900, "front");
    v[4].queue_ns = 50 * MS;
    v[4].service_ns = 150 * MS;
    v[4].rtx_ns = 30 * MS;                   /* its request was late */
    v[5] = span(6, 5, 1, 600, 880, "front"); /* front's call */
    v[5].name = "GET /b";
    v[5].attempt = 1;
    v[5].peer = "back-0";
    v[6] = span(7, 6, 2, 610, 870, "back");
    v[6].service_ns = 260 * MS;
    struct rpt_slow sl = {0};
    sl.latency_ns = 1000 * MS;
    sl.spans = malloc(sizeof v);
    memcpy(sl.spans, v, sizeof v);
    sl.n_spans = 7;
    sl.route = strdup("/a");
    rpt_slow_explain(&sl);
    CU_ASSERT_EQUAL(sl.queue_ns, 50 * MS); /* try 1's server not counted */
    CU_ASSERT_EQUAL(sl.service_ns, (150 + 260) * MS);
    CU_ASSERT_EQUAL(sl.network_ns, (650 - 500 - 50 + 280 - 260) * MS);
    CU_ASSERT_EQUAL(sl.rtx_ns, 50 * MS);
    CU_ASSERT_EQUAL(sl.backoff_ns, 50 * MS);
    CU_ASSERT_EQUAL(sl.other_ns, (1000 - 50 - 410 - 120 - 50 - 50) * MS);
    CU_ASSERT_STRING_EQUAL(sl.hops, "front 500ms > back-0 260ms");
    char line[512];
    CU_ASSERT_STRING_EQUAL(rpt_slow_line(&sl, line, sizeof line),
                           "queueing 50ms, service 410ms, network 120ms, tcp retransmission 50ms, "
                           "backoff 50ms, other 320ms; hops: front 500ms > back-0 260ms");
    rpt_slow_free(&sl);
}

/* Backoff pairs attempts of the same call: a second call's first try is not a retry. */
static void test_slowest_backoff_only_between_attempts(void)
{
    struct rpt_span v[4];
    v[0] = span(1, 0, 2, 0, 100, "front"); /* a server span as the root (a trace begun here) */
    v[1] = span(2, 1, 1, 10, 20, "front"); /* call 1, try 1 */
    v[1].attempt = 1;
    v[2] = span(3, 1, 1, 30, 40, "front"); /* call 2, try 1: no backoff */
    v[2].name = "GET /c";
    v[2].attempt = 1;
    v[3] = span(4, 1, 1, 45, 60, "front"); /* call 2, try 2: 5 ms after try 1 */
    v[3].name = "GET /c";
    v[3].attempt = 2;
    struct rpt_slow sl = {0};
    sl.latency_ns = 100 * MS;
    sl.spans = malloc(sizeof v);
    memcpy(sl.spans, v, sizeof v);
    sl.n_spans = 4;
    rpt_slow_explain(&sl);
    CU_ASSERT_EQUAL(sl.backoff_ns, 5 * MS);
    CU_ASSERT_EQUAL(sl.network_ns, 0); /* no server answered: left to other */
    CU_ASSERT_EQUAL(sl.other_ns, 95 * MS);
    CU_ASSERT_STRING_EQUAL(sl.hops, "front 100ms");
    rpt_slow_free(&sl);
}

/* No spans (an uninstrumented client's request): all of it is other, no hops. */
static void test_slowest_untraced(void)
{
    struct rpt_slow sl = {0};
    sl.latency_ns = 7 * MS;
    rpt_slow_explain(&sl);
    CU_ASSERT_EQUAL(sl.other_ns, 7 * MS);
    CU_ASSERT_EQUAL(sl.queue_ns + sl.service_ns + sl.network_ns + sl.rtx_ns + sl.backoff_ns, 0);
    char line[256];
    CU_ASSERT_STRING_EQUAL(rpt_slow_line(&sl, line, sizeof line),
                           "queueing 0ns, service 0ns, network 0ns, tcp retransmission 0ns, "
                           "backoff 0ns, other 7ms");
    rpt_slow_free(&sl);
}

void suite_slowest(void)
{
    TEST_SUITE("reports/slowest");
    TEST_ADD(test_slowest_breakdown_exact);
    TEST_ADD(test_slowest_backoff_only_between_attempts);
    TEST_ADD(test_slowest_untraced);
}
