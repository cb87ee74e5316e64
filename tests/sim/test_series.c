/*
 * test_series.c - time series, retry amplification per hop and the
 * assertions that read them (reports/series.c, sim/series_tick.c,
 * sim/amplify.c, reports/checks.c), on scenarios worked out by hand:
 * constant arrivals and service times make every count exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "reports/summary.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_series(void);

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

/* One pod, 100 workers, 10 ms of work, 100 requests/s from t = 0: every request takes 10 ms. */
#define STEADY                                                                                     \
    "faultline: 1\n"                                                                               \
    "duration: 10s\n"                                                                              \
    "services:\n"                                                                                  \
    "  - {name: api, workers: 100, service_time: 10ms}\n"                                          \
    "workload:\n"                                                                                  \
    "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"

/*
 * Requests start every 10 ms from 0 to 9.99 s and end 10 ms later, in the
 * window of their end: window 0 holds the 99 that end before 1 s, every
 * later whole window 100, the last (10 s - 11 s) the one that ends at 10 s.
 */
static void test_series_constant_rate_counts_are_exact(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY, NULL, 0, &r));
    const struct rpt_series_set *set = &r.series;
    CU_ASSERT_EQUAL(set->window_ns, 1 * S);
    CU_ASSERT_EQUAL_FATAL(set->n_routes, 1);
    const struct rpt_series *rt = &set->routes[0];
    CU_ASSERT_STRING_EQUAL(rt->name, "/x");
    CU_ASSERT_EQUAL_FATAL(rt->n_pts, 11);
    CU_ASSERT_EQUAL(rt->pts[0].count, 99);
    uint64_t sum = 0;
    for (size_t k = 0; k < rt->n_pts; k++) {
        if (k >= 1 && k <= 9) CU_ASSERT_EQUAL(rt->pts[k].count, 100);
        CU_ASSERT_EQUAL(rt->pts[k].errors, 0);
        CU_ASSERT_EQUAL(rt->pts[k].tries, rt->pts[k].count);
        CU_ASSERT_EQUAL(rt->pts[k].classes[RPT_CLASS_2XX], rt->pts[k].count);
        CU_ASSERT_EQUAL(rt->pts[k].p50_ns, 10 * MS);
        CU_ASSERT_EQUAL(rt->pts[k].p99_ns, 10 * MS);
        sum += rt->pts[k].count;
    }
    CU_ASSERT_EQUAL(rt->pts[10].count, 1);
    CU_ASSERT_EQUAL(sum, 1000);
    CU_ASSERT_EQUAL(r.all.count, 1000);
    CU_ASSERT_EQUAL_FATAL(set->n_services, 1);
    CU_ASSERT_EQUAL(set->services[0].pts[5].count, 100);
    CU_ASSERT_EQUAL_FATAL(set->n_edges, 1);
    CU_ASSERT_STRING_EQUAL(set->edges[0].name, "c -> api");
    CU_ASSERT_EQUAL(set->edges[0].pts[5].count, 100);
    CU_ASSERT_EQUAL(set->all.pts[0].count, 99);
    rpt_run_free(&r);
}

/* report.window: 250 ms windows hold 25 requests each; every window the same length. */
static void test_series_window_is_configurable(void)
{
    struct rpt_run r;
    const char *set[] = {"report={window: 250ms}"};
    RUN_OR_RETURN(test_run_text(STEADY, set, 1, &r));
    CU_ASSERT_EQUAL(r.series.window_ns, 250 * MS);
    const struct rpt_series *rt = &r.series.routes[0];
    CU_ASSERT_EQUAL_FATAL(rt->n_pts, 41);
    CU_ASSERT_EQUAL(rt->pts[0].count, 24);
    for (size_t k = 1; k < 40; k++) CU_ASSERT_EQUAL(rt->pts[k].count, 25);
    rpt_run_free(&r);
}

/* Recording series changes no other figure: same events, counts and latencies on or off. */
static void test_series_change_nothing_else(void)
{
    static const char text[] = STEADY "faults:\n"
                                      "  - {name: e, at: 2s, for: 2s, errors: {service: api, "
                                      "rate: 30%}}\n";
    struct rpt_run on, off;
    const char *set[] = {"report.series=false"};
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &on));
    RUN_OR_RETURN(test_run_text(text, set, 1, &off));
    CU_ASSERT_EQUAL(on.events, off.events);
    CU_ASSERT_EQUAL(on.all.count, off.all.count);
    CU_ASSERT_EQUAL(on.all.errors, off.all.errors);
    CU_ASSERT(on.all.hist.sum == off.all.hist.sum);
    CU_ASSERT(on.all.errors > 0);
    CU_ASSERT(on.series.window_ns > 0 && off.series.window_ns == 0);
    rpt_run_free(&on);
    rpt_run_free(&off);
}

/*
 * A mesh where the callee always answers 503 and the sidecar retries twice:
 * every client request makes exactly 3 attempts at the sidecar's cluster
 * and at the leaf service (8,000 requests, 16,000 retries), while the
 * client itself never retries. The headline must say so, not "1.00x".
 */
#define AMPLIFIED                                                                                  \
    "faultline: 1\n"                                                                               \
    "duration: 10s\n"                                                                              \
    "services:\n"                                                                                  \
    "  - {name: api, workers: 100, service_time: 1ms, errors: {rate: 100%, status: 503}}\n"        \
    "  - {name: front, workers: 100, service_time: 1ms, calls: [{service: api, path: /a}]}\n"      \
    "mesh:\n"                                                                                      \
    "  mode: sidecar\n"                                                                            \
    "  resources:\n"                                                                               \
    "    - apiVersion: networking.istio.io/v1beta1\n"                                              \
    "      kind: VirtualService\n"                                                                 \
    "      metadata: {name: api}\n"                                                                \
    "      spec:\n"                                                                                \
    "        hosts: [api]\n"                                                                       \
    "        http:\n"                                                                              \
    "          - route: [{destination: {host: api}}]\n"                                            \
    "            retries: {attempts: 2, retryOn: \"5xx\"}\n"                                       \
    "workload:\n"                                                                                  \
    "  - {name: c, target: front, arrival: constant, rate: 800/s, requests: [{path: /x}]}\n"       \
    "assertions:\n"                                                                                \
    "  - {hop: end_to_end, retry_amplification: \"< 3.01\"}\n"                                     \
    "  - {hop: api, retry_amplification: \"< 2\"}\n"                                               \
    "  - {hop: client, retry_amplification: \"<= 1\"}\n"                                           \
    "  - {hop: nowhere, retry_amplification: \"<= 1\"}\n"

static void test_series_amplification_per_hop_is_exact(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(AMPLIFIED, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 8000);
    CU_ASSERT_EQUAL(r.all.tries, 8000);
    CU_ASSERT_EQUAL_FATAL(r.n_hops, 1);
    CU_ASSERT_STRING_EQUAL(r.hops[0].name, "sidecar outbound|80||api");
    CU_ASSERT_EQUAL(r.hops[0].attempts, 24000);
    CU_ASSERT_EQUAL(r.hops[0].retries, 16000);
    CU_ASSERT_EQUAL(r.leaf_arrivals, 24000);
    CU_ASSERT_DOUBLE_EQUAL(rpt_hop_amplification(&r, "client"), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rpt_hop_amplification(&r, "api"), 3.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rpt_hop_amplification(&r, "end_to_end"), 3.0, 1e-12);
    CU_ASSERT_EQUAL(rpt_checks_eval(&r), 2);
    CU_ASSERT(r.checks[0].ok && !r.checks[1].ok && r.checks[2].ok);
    CU_ASSERT(!r.checks[3].evaluated && r.checks[3].report &&
              strstr(r.checks[3].report, "nowhere"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_FATAL(f != NULL);
    rpt_summary_print(&r, f);
    fclose(f);
    CU_ASSERT(strstr(text, "retry amplification 1.00x client, 3.00x end to end\n") != NULL);
    CU_ASSERT(strstr(text, "sidecar outbound|80||api 3.00x") != NULL);
    CU_ASSERT(strstr(text, "retry amplification 1.00x\n") == NULL);
    free(text);
    rpt_run_free(&r);
}

/*
 * Two workers, 10 ms of work, 100 requests/s: half the capacity. A slow
 * fault (x4) from 2 s to 4 s halves the capacity below the arrivals; the
 * backlog (about 100 requests) drains in the second after it: window
 * 4 s - 5 s has p99 above 1 s, every later one 10 ms (the first of them
 * just under 20 ms). Recovery: 1 s after the fault.
 */
#define BACKLOG                                                                                    \
    "faultline: 1\n"                                                                               \
    "duration: 10s\n"                                                                              \
    "services:\n"                                                                                  \
    "  - {name: api, workers: 2, service_time: 10ms}\n"                                            \
    "workload:\n"                                                                                  \
    "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"         \
    "faults:\n"                                                                                    \
    "  - {name: slowdown, at: 2s, for: 2s, slow: {service: api, factor: 4}}\n"                     \
    "assertions:\n"                                                                                \
    "  - {after: slowdown, recovers_within: 2s, p99: \"< 50ms\", error_rate: \"< 1%\"}\n"          \
    "  - {after: slowdown, route: /x, recovers_within: 500ms, p99: \"< 50ms\"}\n"                  \
    "  - {after: slowdown, service: api, recovers_within: 1s, p99: \"< 50ms\"}\n"

static void test_series_recovers_within_pass_and_fail(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(BACKLOG, NULL, 0, &r));
    CU_ASSERT_EQUAL(rpt_checks_eval(&r), 1);
    CU_ASSERT_EQUAL_FATAL(r.n_checks, 4);
    const struct rpt_check *p99 = &r.checks[0], *err = &r.checks[1];
    const struct rpt_check *tight = &r.checks[2], *svc = &r.checks[3];
    CU_ASSERT(p99->ok && p99->evaluated);
    CU_ASSERT_EQUAL(p99->fault_end_ns, 4 * S);
    CU_ASSERT_EQUAL(p99->recovered_ns, 1 * S); /* window 4s-5s was the last one out of bounds */
    CU_ASSERT(err->ok && err->recovered_ns == 0);
    CU_ASSERT(!tight->ok && tight->evaluated);
    CU_ASSERT_FATAL(tight->report != NULL);
    CU_ASSERT(strstr(tight->report, "ended at 4s") != NULL);
    CU_ASSERT(strstr(tight->report, "1 window broke the bound") != NULL);
    CU_ASSERT(strstr(tight->report, "4s-5s (p99 ") != NULL);
    CU_ASSERT(tight->value > 1.0 * S); /* the worst window after the deadline */
    CU_ASSERT(svc->ok && svc->recovered_ns == 1 * S);
    rpt_run_free(&r);
}

/* A fault that lasts to the end never ends: recovers_within cannot hold. */
static void test_series_recovers_within_needs_the_fault_to_end(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {name: f, at: 2s, slow: {service: api, factor: 2}}\n"
                                       "assertions:\n"
                                       "  - {after: f, recovers_within: 1s, p99: \"< 1s\"}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(rpt_checks_eval(&r), 1);
    CU_ASSERT(!r.checks[0].evaluated && r.checks[0].fault_end_ns == -1);
    CU_ASSERT(r.checks[0].report && strstr(r.checks[0].report, "never ended"));
    rpt_run_free(&r);
}

/*
 * Outcome shares: an errors fault answers 503 to every request that
 * arrives from 5 s on: exactly 500 of the 1,000 (constant arrivals).
 */
static void test_series_outcome_shares(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {name: e, at: 5s, errors: {service: api, rate: 100%, "
                                       "status: 503}}\n"
                                       "assertions:\n"
                                       "  - {share_503: \"<= 50%\", share_5xx: \">= 50%\"}\n"
                                       "  - {route: /x, share_404: \"< 1%\", share_4xx: \"> 0%\"}\n"
                                       "  - {service: api, share_5xx: \"< 50%\"}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.outcomes[503], 500);
    CU_ASSERT_EQUAL(rpt_checks_eval(&r), 2);
    CU_ASSERT_EQUAL_FATAL(r.n_checks, 5);
    CU_ASSERT(r.checks[0].ok && r.checks[1].ok);
    CU_ASSERT_DOUBLE_EQUAL(r.checks[0].value, 0.5, 1e-12);
    CU_ASSERT(r.checks[2].ok && !r.checks[3].ok); /* no 4xx at all */
    CU_ASSERT(!r.checks[4].ok);
    CU_ASSERT_DOUBLE_EQUAL(r.checks[4].value, 0.5, 1e-12);
    rpt_run_free(&r);
}

/*
 * every_window on the backlog: the windows 2s-3s, 3s-4s and 4s-5s break
 * p99 < 50 ms (500 ms, 1 s, 1.015 s: 1.02 s within the windows' 1/64),
 * every other holds; an edge's whole run adds up its windows.
 */
static void test_series_every_window_and_edges(void)
{
    struct rpt_run r;
    static const char text[] =
        "faultline: 1\n"
        "duration: 10s\n"
        "services:\n"
        "  - {name: api, workers: 2, service_time: 10ms}\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"
        "faults:\n"
        "  - {name: slowdown, at: 2s, for: 2s, slow: {service: api, factor: 4}}\n"
        "report: {series: false}\n"
        "assertions:\n"
        "  - {every_window: true, route: /x, p99: \"< 50ms\"}\n"
        "  - {every_window: true, edge: \"c -> api\", p50: \"< 2s\"}\n"
        "  - {edge: \"c -> api\", count: \">= 1000\", error_rate: \"<= 0%\"}\n";
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT(r.series.window_ns > 0 && !r.series.output); /* recorded for the checks only */
    CU_ASSERT_EQUAL(rpt_checks_eval(&r), 1);
    CU_ASSERT_EQUAL_FATAL(r.n_checks, 4);
    const struct rpt_check *c = &r.checks[0];
    CU_ASSERT(!c->ok && c->evaluated);
    CU_ASSERT_FATAL(c->report != NULL);
    CU_ASSERT(strstr(c->report, "3 windows broke the bound: 2s-3s (p99 500ms), 3s-4s (p99 1s), "
                                "4s-5s (p99 1.015s)") != NULL);
    CU_ASSERT(r.checks[1].ok);
    CU_ASSERT(r.checks[2].ok && r.checks[2].value == 0.0); /* metrics in their order */
    CU_ASSERT(r.checks[3].ok && r.checks[3].value == 1000.0);
    rpt_run_free(&r);
}

void suite_series(void)
{
    TEST_SUITE("sim/series");
    TEST_ADD(test_series_constant_rate_counts_are_exact);
    TEST_ADD(test_series_window_is_configurable);
    TEST_ADD(test_series_change_nothing_else);
    TEST_ADD(test_series_amplification_per_hop_is_exact);
    TEST_ADD(test_series_recovers_within_pass_and_fail);
    TEST_ADD(test_series_recovers_within_needs_the_fault_to_end);
    TEST_ADD(test_series_outcome_shares);
    TEST_ADD(test_series_every_window_and_edges);
}
