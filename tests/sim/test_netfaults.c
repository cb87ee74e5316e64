/*
 * test_netfaults.c - the network faults (sim/fault_net.c, sim/netfault.c),
 * `reset` (sim/fault_reset.c) and `dns` (sim/dns.c) in whole runs. The
 * network is ideal and service times constant, so delays, SYN retries and
 * retransmissions give exact latencies: a packet lost at t is sent again
 * at t + 1 s (no RTT sample on an ideal path: the initial RTO, and the SYN
 * retry, are both 1 s), then t + 3 s, t + 7 s.
 */
#include <math.h>
#include <string.h>

#include "reports/results.h"
#include "reports/summary.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_netfaults(void);

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

/* api and other: one pod each, 10 ms of work; 100 requests/s to each from t = 0 (every 10 ms). */
#define TWO                                                                                        \
    "faultline: 1\n"                                                                               \
    "duration: 5s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - {name: api, workers: 100, service_time: 10ms}\n"                                          \
    "  - {name: other, workers: 100, service_time: 10ms}\n"                                        \
    "workload:\n"                                                                                  \
    "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /api}]}\n"       \
    "  - {name: d, target: other, arrival: constant, rate: 100/s, requests: [{path: /other}]}\n"

static const struct rpt_stats *route(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (!strcmp(r->routes[i].name, name)) return &r->routes[i];
    CU_FAIL("no such route");
    return &r->all;
}

/*
 * delay 100 ms towards api from 1 s to 2 s: a request on a kept-alive
 * connection takes exactly 110 ms, one on a new connection 210 ms (the
 * SYN is delayed too); other stays at exactly 10 ms. With `from: [d]`,
 * only d's packets are delayed: c's requests to api are untouched.
 */
static void test_netfaults_delay_is_exact_and_only_where_injected(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(TWO "faults:\n"
                                    "  - {at: 1s, for: 1s, delay: {to: api, add: 100ms}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.errors, 0);
    const struct rpt_stats *api = route(&r, "/api"), *other = route(&r, "/other");
    CU_ASSERT_EQUAL(api->count, 500);
    CU_ASSERT_EQUAL(api->hist.min, 10 * MS);
    CU_ASSERT_EQUAL(api->hist.max, 210 * MS);
    CU_ASSERT_EQUAL(other->hist.min, 10 * MS);
    CU_ASSERT_EQUAL(other->hist.max, 10 * MS);
    /* the first request of the window takes the one kept-alive connection: 110 ms */
    CU_ASSERT(rpt_hist_mean(&api->hist) > 10e6 + 100 * 100e6 / 500);
    rpt_run_free(&r);

    RUN_OR_RETURN(test_run_text(TWO
                                "faults:\n"
                                "  - {at: 1s, for: 1s, delay: {to: api, from: d, add: 100ms}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(route(&r, "/api")->hist.max, 10 * MS);
    CU_ASSERT_EQUAL(route(&r, "/other")->hist.max, 10 * MS);
    rpt_run_free(&r);

    /* jitter 50 ms: every delayed request between 10 + 50 and 10 + 2 x 150 ms */
    RUN_OR_RETURN(test_run_text(TWO "faults:\n"
                                    "  - {at: 1s, for: 1s, delay: {to: api, add: 100ms, jitter: "
                                    "50ms}}\n",
                                NULL, 0, &r));
    CU_ASSERT(route(&r, "/api")->hist.max > 160 * MS);
    CU_ASSERT(route(&r, "/api")->hist.max <= 310 * MS);
    CU_ASSERT_EQUAL(route(&r, "/other")->hist.max, 10 * MS);
    rpt_run_free(&r);
}

/*
 * A partition between c and api over [1 s, 2 s): every request sent then
 * (100) loses its first packet (the request on the kept-alive connection,
 * or a new connection's SYN) and gets through 1 s later, after the heal:
 * exactly 1.01 s; so does the request of 0.99 s, whose answer leaves at
 * 1 s. None fails; other is untouched; the requests after the heal take
 * 10 ms again: (399 x 10 ms + 101 x 1010 ms) / 500, exactly.
 */
static void test_netfaults_partition_stalls_then_heals(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(TWO "faults:\n"
                                    "  - {at: 1s, for: 1s, partition: {a: [c], b: [api]}}\n",
                                NULL, 0, &r));
    const struct rpt_stats *api = route(&r, "/api");
    CU_ASSERT_EQUAL(api->count, 500);
    CU_ASSERT_EQUAL(api->errors, 0);
    CU_ASSERT_EQUAL(api->hist.max, 1010 * MS);
    ASSERT_ABS(rpt_hist_mean(&api->hist), (399 * 10e6 + 101 * 1010e6) / 500, 0.5);
    CU_ASSERT_EQUAL(route(&r, "/other")->hist.max, 10 * MS);
    rpt_run_free(&r);

    /*
     * One way, either way: the answers of one direction still arrive, so
     * the kept-alive connection measured an RTT (0 on an ideal network):
     * its RTO is the 200 ms floor, and a request it carries into the
     * partition is sent again at +0.2 s and +0.6 s (lost) and +1.4 s:
     * 1.41 s. Nothing fails.
     */
    static const char *const oneway[] = {
        "  - {at: 1s, for: 1s, partition: {a: c, b: api, oneway: true}}\n",
        "  - {at: 1s, for: 1s, partition: {a: api, b: c, oneway: true}}\n",
    };
    for (int i = 0; i < 2; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%sfaults:\n%s", TWO, oneway[i]);
        RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
        CU_ASSERT_EQUAL(route(&r, "/api")->errors, 0);
        CU_ASSERT_EQUAL(route(&r, "/api")->hist.max, 1410 * MS);
        CU_ASSERT_EQUAL(route(&r, "/other")->hist.max, 10 * MS);
        rpt_run_free(&r);
    }
}

/*
 * node_down on api-0 over [1 s, 3 s): requests sent in [1 s, 2 s) lose
 * their first packet and its retry at +1 s, and pass at +3 s: 3.01 s (so
 * does the answer of the request of 0.99 s, leaving at 1 s); those sent
 * in [2 s, 3 s) pass at +1 s: 1.01 s. No failure without a timeout (far
 * from connect's 127 s). With a 500 ms client timeout, those 201 fail,
 * each after exactly 500 ms: a blackhole answers nothing, where a refused
 * connect fails within a round trip.
 */
static void test_netfaults_node_down_times_out_connects(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(TWO "faults:\n"
                                    "  - {at: 1s, for: 2s, node_down: {pod: api-0}}\n",
                                NULL, 0, &r));
    const struct rpt_stats *api = route(&r, "/api");
    CU_ASSERT_EQUAL(api->errors, 0);
    CU_ASSERT_EQUAL(api->hist.max, 3010 * MS);
    ASSERT_ABS(rpt_hist_mean(&api->hist), (299 * 10e6 + 101 * 3010e6 + 100 * 1010e6) / 500, 0.5);
    CU_ASSERT_EQUAL(route(&r, "/other")->hist.max, 10 * MS);
    rpt_run_free(&r);

    RUN_OR_RETURN(test_run_text("faultline: 1\n"
                                "duration: 5s\n"
                                "services:\n"
                                "  - {name: api, workers: 100, service_time: 10ms}\n"
                                "workload:\n"
                                "  - {name: c, target: api, arrival: constant, rate: 100/s, "
                                "retry: {timeout: 500ms}, requests: [{path: /api}]}\n"
                                "faults:\n"
                                "  - {at: 1s, for: 2s, node_down: {pod: api-0}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.errors, 201);
    CU_ASSERT_EQUAL(r.all.outcomes[RPT_FAIL_TIMEOUT], 201);
    CU_ASSERT_EQUAL(r.all.hist.max, 500 * MS);
    rpt_run_free(&r);
}

/*
 * loss 30% towards api, the whole run (50000 requests): no request fails,
 * and the share that lost its first packet (200 ms or more late: an RTO
 * or a SYN retry) is about 30%: binomial, sigma sqrt(0.3 x 0.7 / 50000) =
 * 0.2 points; the 69th and 71st percentiles are 4.9 sigma from it.
 */
static void test_netfaults_loss_is_retransmitted_not_failed(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text("faultline: 1\n"
                                "duration: 500s\n"
                                "services:\n"
                                "  - {name: api, workers: 1000, service_time: 10ms}\n"
                                "workload:\n"
                                "  - {name: c, target: api, arrival: constant, rate: 100/s, "
                                "requests: [{path: /api}]}\n"
                                "faults:\n"
                                "  - {at: 0s, loss: {to: api, rate: 30%}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 50000);
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT(r.all.hist.min == 10 * MS);
    /* the late share, from the quantiles: the 69th percentile is fast, the 71st slow */
    CU_ASSERT(rpt_hist_quantile(&r.all.hist, 0.69) < 20 * MS);
    CU_ASSERT(rpt_hist_quantile(&r.all.hist, 0.71) >= 200 * MS);
    rpt_run_free(&r);
}

/*
 * reset 10% on api (20000 requests): the client sees resets, binomial:
 * mean 2000, sigma sqrt(20000 x 0.1 x 0.9) = 42.4; within 4 sigma. The
 * pod did the work of every request.
 */
static void test_netfaults_reset_is_binomial(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text("faultline: 1\n"
                                "duration: 200s\n"
                                "services:\n"
                                "  - {name: api, workers: 100, service_time: 10ms}\n"
                                "workload:\n"
                                "  - {name: c, target: api, arrival: constant, rate: 100/s, "
                                "requests: [{path: /api}]}\n"
                                "faults:\n"
                                "  - {at: 0s, reset: {service: api, rate: 10%}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 20000);
    ASSERT_ABS((double)r.all.outcomes[RPT_FAIL_RESET], 2000, 4 * sqrt(20000 * 0.1 * 0.9));
    CU_ASSERT_EQUAL(r.all.errors, r.all.outcomes[RPT_FAIL_RESET]);
    CU_ASSERT_EQUAL(r.services[0].st.count, 20000);
    rpt_run_free(&r);
}

/*
 * dns fail on api from the start: no connection ever opens, every request
 * fails at once with outcome dns (0 ms). A 300 ms lookup: the first
 * request (a new connection) takes exactly 310 ms, kept-alive ones 10 ms.
 * Behind a sidecar the app still resolves: its calls fail, it answers 503
 * (every one: with the fault on from the start, no connection is kept).
 */
static void test_netfaults_dns_fails_or_delays_new_connections(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(TWO "faults:\n"
                                    "  - {at: 0s, dns: {name: api, fail: true}}\n",
                                NULL, 0, &r));
    const struct rpt_stats *api = route(&r, "/api");
    CU_ASSERT_EQUAL(api->count, 500);
    CU_ASSERT_EQUAL(api->outcomes[RPT_FAIL_DNS], 500);
    CU_ASSERT_EQUAL(api->hist.max, 0);
    CU_ASSERT_EQUAL(route(&r, "/other")->errors, 0);
    rpt_run_free(&r);

    RUN_OR_RETURN(test_run_text(TWO "faults:\n"
                                    "  - {at: 0s, dns: {name: api, delay: 300ms}}\n",
                                NULL, 0, &r));
    api = route(&r, "/api");
    CU_ASSERT_EQUAL(api->errors, 0);
    CU_ASSERT_EQUAL(api->hist.max, 310 * MS);
    CU_ASSERT_EQUAL(api->hist.min, 10 * MS);
    rpt_run_free(&r);

    RUN_OR_RETURN(test_run_text("faultline: 1\n"
                                "duration: 2s\n"
                                "services:\n"
                                "  - {name: back, service_time: 1ms}\n"
                                "  - {name: front, service_time: 1ms, calls: [{service: back, "
                                "path: /b}]}\n"
                                "mesh: {mode: sidecar}\n"
                                "workload:\n"
                                "  - {name: c, target: front, arrival: constant, rate: 100/s, "
                                "requests: [{path: /f}]}\n"
                                "faults:\n"
                                "  - {at: 0s, dns: {name: back, fail: true}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 200);
    CU_ASSERT_EQUAL(r.all.outcomes[503], 200);
    rpt_run_free(&r);
}

/*
 * Kong's proxy retries a reset before any header (nginx proxy_next_upstream
 * `error`; Kong's service `retries`, 5 by default): with 20% of the
 * responses reset, each request makes a truncated geometric number of
 * retries, mean 0.2 / 0.8 = 0.25 and variance 0.2 / 0.64 = 0.3125 each:
 * over 6000 requests 1500 retries, sigma sqrt(6000 x 0.3125) = 43.3;
 * within 4 sigma. A request fails only if six tries in a row are reset
 * (0.2^6: 0.38 expected of 6000).
 */
static void test_netfaults_reset_is_retried_by_kong(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text("faultline: 1\n"
                                "duration: 60s\n"
                                "services:\n"
                                "  - {name: api, replicas: 2, workers: 100, service_time: 10ms}\n"
                                "gateway:\n"
                                "  _format_version: \"3.0\"\n"
                                "  services:\n"
                                "    - {name: api, url: \"http://api:80\", routes: [{name: r, "
                                "paths: [/api]}]}\n"
                                "workload:\n"
                                "  - {name: c, target: gateway, arrival: constant, rate: 100/s, "
                                "requests: [{path: /api}]}\n"
                                "faults:\n"
                                "  - {at: 0s, reset: {service: api, rate: 20%}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 6000);
    CU_ASSERT(r.all.errors <= 3);
    CU_ASSERT_EQUAL_FATAL(r.n_clusters, 1);
    ASSERT_ABS((double)r.clusters[0].rq_retry, 1500, 4 * sqrt(6000 * 0.3125));
    rpt_run_free(&r);
}

/*
 * loss 100% between c and api over [1 s, 2 s), both ways: exactly the
 * partition's figures (test_netfaults_partition_stalls_then_heals).
 */
static void test_netfaults_loss_between_is_both_ways(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(TWO
                                "faults:\n"
                                "  - {at: 1s, for: 1s, loss: {between: [api, c], rate: 100%}}\n",
                                NULL, 0, &r));
    const struct rpt_stats *api = route(&r, "/api");
    CU_ASSERT_EQUAL(api->errors, 0);
    CU_ASSERT_EQUAL(api->hist.max, 1010 * MS);
    ASSERT_ABS(rpt_hist_mean(&api->hist), (399 * 10e6 + 101 * 1010e6) / 500, 0.5);
    CU_ASSERT_EQUAL(route(&r, "/other")->hist.max, 10 * MS);
    rpt_run_free(&r);
}

/*
 * The monkey draws delay, loss and reset (and the run is reproducible:
 * the windows' streams derive from the fault's name); with another seed,
 * other faults. Every kind is drawn (300 faults over three kinds).
 */
static void test_netfaults_monkey_draws_network_faults_reproducibly(void)
{
    static const char *const text =
        "faultline: 1\n"
        "name: netmonkey\n"
        "duration: 300s\n"
        "services:\n"
        "  - {name: api, replicas: 2, workers: 100, service_time: 1ms}\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: poisson, rate: 50/s, requests: [{path: /x}]}\n"
        "chaos:\n"
        "  monkey: {rate: 1/s, kinds: [delay, loss, reset], duration: {dist: exponential, mean: "
        "2s}}\n";
    struct rpt_run r1, r2, r3;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r1));
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r2));
    static const char *const other[] = {"seed=2"};
    RUN_OR_RETURN(test_run_text(text, other, 1, &r3));
    rpt_summary_digest(&r1);
    rpt_summary_digest(&r2);
    rpt_summary_digest(&r3);
    CU_ASSERT_STRING_EQUAL(r1.digest, r2.digest);
    CU_ASSERT_STRING_NOT_EQUAL(r1.digest, r3.digest);
    int seen[3] = {0, 0, 0};
    static const char *const kinds[3] = {": delay add ", ": loss rate ", ": reset rate "};
    for (size_t i = 0; i < r1.n_timeline; i++)
        for (int k = 0; k < 3; k++)
            if (!strcmp(r1.timeline[i].what, "fault-start") &&
                strstr(r1.timeline[i].detail, kinds[k]))
                seen[k]++;
    CU_ASSERT(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
    CU_ASSERT(r1.all.outcomes[RPT_FAIL_RESET] > 0);
    rpt_run_free(&r1);
    rpt_run_free(&r2);
    rpt_run_free(&r3);
}

void suite_netfaults(void)
{
    TEST_SUITE("sim/netfaults");
    TEST_ADD(test_netfaults_delay_is_exact_and_only_where_injected);
    TEST_ADD(test_netfaults_partition_stalls_then_heals);
    TEST_ADD(test_netfaults_node_down_times_out_connects);
    TEST_ADD(test_netfaults_loss_is_retransmitted_not_failed);
    TEST_ADD(test_netfaults_reset_is_binomial);
    TEST_ADD(test_netfaults_dns_fails_or_delays_new_connections);
    TEST_ADD(test_netfaults_reset_is_retried_by_kong);
    TEST_ADD(test_netfaults_loss_between_is_both_ways);
    TEST_ADD(test_netfaults_monkey_draws_network_faults_reproducibly);
}
