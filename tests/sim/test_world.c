/*
 * test_world.c - the simulated world end to end, on small scenarios whose
 * outcome can be worked out by hand: queue overflow, client timeouts,
 * retries and backoff, downstream call failures, warmup, drain, per-link
 * delays, closed-loop throughput against exact mean-value analysis, and
 * reproducibility.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "reports/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_world(void);
#define RUN_OR_FAIL(text, run)                                                                     \
    do {                                                                                           \
        if (test_run_text((text), NULL, 0, (run))) {                                               \
            CU_FAIL("scenario did not load");                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static const char *const full_queue =
    "faultline: 1\n"
    "duration: 10s\n"
    "services:\n"
    "  - {name: api, workers: 1, queue: 0, service_time: 1ms}\n"
    "workload:\n"
    "  - {name: c, target: api, arrival: constant, rate: 2000/s, requests: [{path: /x}]}\n";

/* Arrivals every 0.5 ms, 1 ms of work, no queue: every other request finds the worker busy. */
static void test_world_full_queue_answers_503_at_once(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(full_queue, &run);
    const struct rpt_stats *r = &run.routes[0];
    CU_ASSERT_EQUAL(r->count, 20000);
    CU_ASSERT_EQUAL(r->outcomes[200], 10000);
    CU_ASSERT_EQUAL(r->outcomes[503], 10000);
    CU_ASSERT_EQUAL(r->errors, 10000);
    /* a rejection takes no time on an ideal network; a success exactly its 1 ms */
    CU_ASSERT_EQUAL(r->hist.min, 0);
    CU_ASSERT_EQUAL(r->hist.max, 1000000);
    CU_ASSERT_EQUAL(run.services[0].pods[0].errors, 10000);
    rpt_run_free(&run);
}

static const char *const timeouts =
    "faultline: 1\n"
    "duration: 1s\n"
    "services:\n"
    "  - {name: slow, workers: 100, service_time: 100ms}\n"
    "workload:\n"
    "  - name: c\n"
    "    target: slow\n"
    "    arrival: constant\n"
    "    rate: 10/s\n"
    "    requests: [{path: /x}]\n"
    "    retry: {retries: 2, timeout: 30ms, backoff: {base: 10ms, cap: 1s, jitter: none}}\n";

/* Three tries of 30 ms with backoffs of 10 and 20 ms between them: 120 ms, then a timeout. */
static void test_world_client_timeouts_retry_with_backoff_then_give_up(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(timeouts, &run);
    const struct rpt_stats *r = &run.routes[0];
    CU_ASSERT_EQUAL(r->count, 10);
    CU_ASSERT_EQUAL(r->outcomes[RPT_FAIL_TIMEOUT], 10);
    CU_ASSERT_EQUAL(r->tries, 30);
    CU_ASSERT_EQUAL(r->hist.min, 120 * 1000000);
    CU_ASSERT_EQUAL(r->hist.max, 120 * 1000000);
    /* the server is not told: it does all 30 pieces of work and answers 200 to nobody */
    CU_ASSERT_EQUAL(run.services[0].st.count, 30);
    CU_ASSERT_EQUAL(run.services[0].st.outcomes[200], 30);
    rpt_run_free(&run);
}

static const char *const flaky =
    "faultline: 1\n"
    "duration: 100s\n"
    "services:\n"
    "  - {name: flaky, workers: 100, service_time: 1ms, errors: {rate: 50%, status: 502}}\n"
    "workload:\n"
    "  - name: c\n"
    "    target: flaky\n"
    "    rate: 200/s\n"
    "    requests: [{path: /x}]\n"
    "    retry: {retries: 5, backoff: {base: 1ms, cap: 10ms, jitter: full}}\n";

/* Each try fails with probability 1/2: P(all 6 fail) = 1/64, tries per request 63/32. */
static void test_world_retries_recover_from_injected_errors(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(flaky, &run);
    const struct rpt_stats *r = &run.routes[0];
    double n = (double)r->count;
    CU_ASSERT(n > 19000);
    /* binomial standard deviations, 5 of them */
    ASSERT_ABS((double)r->errors / n, 1.0 / 64, 5 * sqrt((1.0 / 64) * (63.0 / 64) / n));
    CU_ASSERT_EQUAL(r->errors, r->outcomes[502]);
    ASSERT_REL((double)r->tries / n, 63.0 / 32, 0.02);
    rpt_run_free(&run);
}

static const char *const calls =
    "faultline: 1\n"
    "duration: 2s\n"
    "services:\n"
    "  - {name: broken, workers: 10, errors: {rate: 100%, status: 504}}\n"
    "  - {name: strict, workers: 10, calls: [{service: broken}]}\n"
    "  - {name: lenient, workers: 10, calls: [{service: broken, on_error: ignore}]}\n"
    "workload:\n"
    "  - {name: a, target: strict, arrival: constant, rate: 10/s, requests: [{path: /s}]}\n"
    "  - {name: b, target: lenient, arrival: constant, rate: 10/s, requests: [{path: /l}]}\n";

static void test_world_failed_call_fails_the_caller_unless_ignored(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(calls, &run);
    CU_ASSERT_EQUAL(run.routes[0].count, 20);
    CU_ASSERT_EQUAL(run.routes[0].outcomes[504], 20); /* the callee's own status */
    CU_ASSERT_EQUAL(run.routes[1].count, 20);
    CU_ASSERT_EQUAL(run.routes[1].outcomes[200], 20);
    CU_ASSERT_EQUAL(run.services[0].st.count, 40); /* broken served both callers */
    /* caller latency: its own 1 ms, then the callee's 1 ms */
    CU_ASSERT_EQUAL(run.routes[1].hist.min, 2000000);
    CU_ASSERT_EQUAL(run.routes[1].hist.max, 2000000);
    rpt_run_free(&run);
}

static const char *const warm =
    "faultline: 1\n"
    "duration: 10s\n"
    "warmup: 2s\n"
    "services: [{name: api, workers: 4}]\n"
    "workload:\n"
    "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n";

static void test_world_warmup_requests_run_but_do_not_count(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(warm, &run);
    CU_ASSERT_EQUAL(run.routes[0].count, 800);
    CU_ASSERT_EQUAL(run.all.count, 800);
    CU_ASSERT_EQUAL(run.services[0].st.count, 800);
    CU_ASSERT_EQUAL(run.services[0].pods[0].count, 800);
    rpt_run_free(&run);
}

static const char *const stuck =
    "faultline: 1\n"
    "duration: 1s\n"
    "drain: 2s\n"
    "services: [{name: api, workers: 1, service_time: 10s}]\n"
    "workload:\n"
    "  - {name: c, target: api, arrival: constant, rate: 2/s, requests: [{path: /x}]}\n";

/* Nothing finishes within duration + drain: both requests end as unfinished errors at 3 s. */
static void test_world_requests_left_after_the_drain_are_unfinished(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(stuck, &run);
    CU_ASSERT_EQUAL(run.routes[0].count, 2);
    CU_ASSERT_EQUAL(run.routes[0].outcomes[RPT_FAIL_UNFINISHED], 2);
    CU_ASSERT_EQUAL(run.routes[0].errors, 2);
    CU_ASSERT_EQUAL(run.sim_ns, 3000000000);
    CU_ASSERT_EQUAL(run.routes[0].hist.max, 3000000000);
    CU_ASSERT_EQUAL(run.routes[0].hist.min, 2500000000);
    rpt_run_free(&run);
}

static const char *const far_client =
    "faultline: 1\n"
    "duration: 10s\n"
    "network:\n"
    "  delay: 1ms\n"
    "  links: [{from: c, to: api, delay: 20ms}]\n"
    "services:\n"
    "  - {name: api, workers: 8, service_time: 5ms, calls: [{service: db}]}\n"
    "  - {name: db, workers: 8, service_time: 2ms}\n"
    "workload:\n"
    "  - {name: c, target: api, arrival: constant, rate: 10/s, requests: [{path: /x}]}\n";

/*
 * 20 ms each way to api, 1 ms each way from api to db. A request on a
 * kept-alive connection takes 40 + 5 + (2 + 2) = 49 ms; the first one also
 * pays two handshakes (40 ms, then 2 ms).
 */
static void test_world_link_delays_and_handshakes_add_up(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(far_client, &run);
    const struct rpt_stats *r = &run.routes[0];
    CU_ASSERT_EQUAL(r->count, 100);
    CU_ASSERT_EQUAL(r->hist.min, 49000000);
    CU_ASSERT_EQUAL(r->hist.max, 49000000 + 42000000);
    /* db sees only its own 2 ms */
    CU_ASSERT_EQUAL(run.services[1].st.hist.min, 2000000);
    CU_ASSERT_EQUAL(run.services[1].st.hist.max, 2000000);
    rpt_run_free(&run);
}

/*
 * Workload B of the peer benchmarks: 1000 closed-loop clients, 10 replicas
 * of 4 workers, exponential 5 ms service, 4 ms of network per request.
 * Exact mean-value analysis gives 7925 requests/s and 126.18 ms.
 */
static const char *const fanout =
    "faultline: 1\n"
    "duration: 60s\n"
    "network: {delay: 2ms}\n"
    "services:\n"
    "  - {name: replica, replicas: 10, workers: 4,\n"
    "     service_time: {dist: exponential, mean: 5ms}}\n"
    "workload:\n"
    "  - {name: clients, target: replica, arrival: closed, clients: 1000,\n"
    "     requests: [{path: /work}]}\n";

static void test_world_closed_loop_matches_mean_value_analysis(void)
{
    struct rpt_run run;
    RUN_OR_FAIL(fanout, &run);
    const struct rpt_stats *r = &run.routes[0];
    ASSERT_REL((double)r->count / 60.0, 7925.0, 0.01);
    ASSERT_REL(rpt_hist_mean(&r->hist) / 1e6, 126.18, 0.01);
    CU_ASSERT_EQUAL(r->errors, 0);
    rpt_run_free(&run);
}

static void test_world_same_seed_same_figures_other_seed_others(void)
{
    struct rpt_run a, b, c;
    static const char *const other[] = {"seed=2"};
    RUN_OR_FAIL(flaky, &a);
    RUN_OR_FAIL(flaky, &b);
    if (test_run_text(flaky, other, 1, &c)) {
        CU_FAIL("scenario did not load");
        return;
    }
    CU_ASSERT_EQUAL(a.events, b.events);
    CU_ASSERT(memcmp(a.routes[0].outcomes, b.routes[0].outcomes, sizeof a.routes[0].outcomes) == 0);
    CU_ASSERT(rpt_hist_same_buckets(&a.routes[0].hist, &b.routes[0].hist));
    CU_ASSERT_NOT_EQUAL(a.routes[0].errors + a.routes[0].tries * 1000003,
                        c.routes[0].errors + c.routes[0].tries * 1000003);
    rpt_run_free(&a);
    rpt_run_free(&b);
    rpt_run_free(&c);
}

static void test_world_backoff_follows_the_aws_formulas(void)
{
    struct sim_retry_cfg r = {.base_ns = 100, .cap_ns = 1000};
    struct fl_rng rng;
    fl_rng_seed(&rng, 5);
    int64_t prev = 100;
    r.jitter = SIM_JITTER_NONE; /* min(cap, base * 2^attempt) */
    CU_ASSERT_EQUAL(sim_backoff(&r, 0, &prev, &rng), 100);
    CU_ASSERT_EQUAL(sim_backoff(&r, 1, &prev, &rng), 200);
    CU_ASSERT_EQUAL(sim_backoff(&r, 3, &prev, &rng), 800);
    CU_ASSERT_EQUAL(sim_backoff(&r, 4, &prev, &rng), 1000);
    CU_ASSERT_EQUAL(sim_backoff(&r, 70, &prev, &rng), 1000);
    for (int i = 0; i < 1000; i++) {
        int attempt = i % 6;
        int64_t temp = 100 << attempt;
        if (temp > 1000) temp = 1000;
        r.jitter = SIM_JITTER_FULL; /* random_between(0, temp) */
        int64_t s = sim_backoff(&r, attempt, &prev, &rng);
        CU_ASSERT(s >= 0 && s <= temp);
        r.jitter = SIM_JITTER_EQUAL; /* temp/2 + random_between(0, temp/2) */
        s = sim_backoff(&r, attempt, &prev, &rng);
        CU_ASSERT(s >= temp / 2 && s <= temp);
        r.jitter = SIM_JITTER_DECORRELATED; /* min(cap, random_between(base, prev * 3)) */
        int64_t before = prev;
        s = sim_backoff(&r, attempt, &prev, &rng);
        CU_ASSERT(s >= 100 && s <= 1000 && s <= 3 * before);
        CU_ASSERT_EQUAL(prev, s);
    }
}

/* Loads text (through a temporary file) and runs it; returns sim_run's status and *err. */
static int run_with_error(const char *text, char **err)
{
    char path[] = "/tmp/faultline-test-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    struct sim_scenario sc;
    int rc = sim_scenario_load(path, NULL, 0, NULL, &sc, err);
    unlink(path);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    struct rpt_run run;
    rc = sim_run(&sc, NULL, NULL, &run, err);
    if (rc == 0) rpt_run_free(&run);
    sim_scenario_free(&sc);
    return rc;
}

/* A gateway retrying a 0 ms service that always fails, for a closed-loop client: no time passes. */
static void test_world_zero_time_loop_stops_and_names_who_loops(void)
{
    char *err = NULL;
    int rc =
        run_with_error("faultline: 1\n"
                       "duration: 10s\n"
                       "services:\n"
                       "  - {name: flaky, service_time: 0ms, errors: {rate: 100%}}\n"
                       "  - {name: quiet}\n"
                       "workload:\n"
                       "  - {name: hammer, target: flaky, arrival: closed, clients: 3,\n"
                       "     requests: [{path: /}], retry: {retries: 5, backoff: {base: 0ms}}}\n"
                       "  - {name: calm, target: quiet, rate: 1/s, requests: [{path: /q}]}\n",
                       &err);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "simulated time stands still at 0ns"));
    /* the two nodes in the loop (one message more from the pod, which answers each try); the
     * calm workload and its service are not named */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "busiest in the loop: pod 'flaky-0' (service flaky)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ", workload 'hammer' ("));
    CU_ASSERT_PTR_NULL(strstr(err, "calm"));
    CU_ASSERT_PTR_NULL(strstr(err, "quiet"));
    free(err);
}

void suite_world(void)
{
    TEST_SUITE("sim/world");
    TEST_ADD(test_world_full_queue_answers_503_at_once);
    TEST_ADD(test_world_zero_time_loop_stops_and_names_who_loops);
    TEST_ADD(test_world_client_timeouts_retry_with_backoff_then_give_up);
    TEST_ADD(test_world_retries_recover_from_injected_errors);
    TEST_ADD(test_world_failed_call_fails_the_caller_unless_ignored);
    TEST_ADD(test_world_warmup_requests_run_but_do_not_count);
    TEST_ADD(test_world_requests_left_after_the_drain_are_unfinished);
    TEST_ADD(test_world_link_delays_and_handshakes_add_up);
    TEST_ADD(test_world_closed_loop_matches_mean_value_analysis);
    TEST_ADD(test_world_same_seed_same_figures_other_seed_others);
    TEST_ADD(test_world_backoff_follows_the_aws_formulas);
}
