/*
 * test_stages.c - time-varying load: the stages' rate and its integral
 * (sim/stages.c) worked out by hand, workloads' start/stop/stages in whole
 * runs, and the metastable failure of scenarios/metastable*.yaml: the
 * system stays down long after the trigger, or recovers with a retry
 * budget or a shorter trigger.
 */
#include <math.h>
#include <string.h>

#include "reports/results.h"
#include "sim/stages.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_stages(void);

#define S INT64_C(1000000000)

/* 0 -> 100/s over 10 s, held 10 s, then down to 0 over 10 s: 500 + 1000 + 500 arrivals. */
static const struct sim_stage ramp[] = {{10 * S, 100}, {10 * S, 100}, {10 * S, 0}};

static void test_stages_rate_ramps_linearly_from_zero(void)
{
    CU_ASSERT_DOUBLE_EQUAL(sim_stages_rate(ramp, 3, 0), 0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(sim_stages_rate(ramp, 3, 5 * S), 50, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(sim_stages_rate(ramp, 3, 15 * S), 100, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(sim_stages_rate(ramp, 3, 25 * S), 50, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(sim_stages_rate(ramp, 3, 30 * S), 0, 1e-9);
}

/* L(5 s) = 100 x 25 / 20 = 125; L(15 s) = 500 + 500; L(25 s) = 1500 + 375. */
static void test_stages_time_of_inverts_the_integral(void)
{
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 0), 0);
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 125), 5 * S);
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 500), 10 * S);
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 1000), 15 * S);
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 1875), 25 * S);
    /* the last 0.001 arrival of the ramp down: 5 x^2 = 0.001, x = 14.142 ms before its end */
    CU_ASSERT(llabs(sim_stages_time_of(ramp, 3, 1999.999) - (30 * S - 14142136)) < 1000);
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 2000), -1);
    CU_ASSERT_EQUAL(sim_stages_time_of(ramp, 3, 1e9), -1);
}

static uint64_t run_count(const char *workload, const char *const *sets, size_t n_sets)
{
    char text[1024];
    snprintf(text, sizeof text,
             "faultline: 1\n"
             "duration: 40s\n"
             "services:\n"
             "  - {name: api, workers: 1000, service_time: 1ms}\n"
             "workload:\n"
             "  - {name: c, target: api, requests: [{path: /x}], %s}\n",
             workload);
    struct rpt_run r;
    if (test_run_text(text, sets, n_sets, &r)) return UINT64_MAX;
    uint64_t n = r.all.count;
    rpt_run_free(&r);
    return n;
}

/* start/stop: a constant 100/s from 2 s until 4 s is exactly 200 requests; closed loops too. */
static void test_workload_start_and_stop(void)
{
    CU_ASSERT_EQUAL(run_count("arrival: constant, rate: 100/s, start: 2s, stop: 4s", NULL, 0), 200);
    CU_ASSERT_EQUAL(run_count("arrival: constant, rate: 100/s, start: 39s", NULL, 0), 100);
    /* 3 clients, 1 s of think time (and 1 ms of work): 3 requests at 10 s, 11.001 s, ... */
    CU_ASSERT_EQUAL(
        run_count("arrival: closed, clients: 3, think_time: 1s, start: 10s, stop: 15s", NULL, 0),
        15);
}

/*
 * Constant arrivals follow the stages exactly: the ramp's 2000 arrivals,
 * 125 in its first 5 s. Poisson ones in law: 2000 expected (sd 45), and
 * 125 (sd 11) in the first 5 s.
 */
static void test_workload_stages(void)
{
    const char *st = "stages: [{for: 10s, rate: 100/s}, {for: 10s, rate: 100/s}, {for: 10s, "
                     "rate: 0/s}]";
    char w[256];
    snprintf(w, sizeof w, "arrival: constant, %s", st);
    CU_ASSERT_EQUAL(run_count(w, NULL, 0), 2000);
    snprintf(w, sizeof w, "arrival: constant, %s, stop: 5s", st);
    CU_ASSERT_EQUAL(run_count(w, NULL, 0), 125);
    /* the stages count from start */
    snprintf(w, sizeof w, "arrival: constant, %s, start: 5s, stop: 10s", st);
    CU_ASSERT_EQUAL(run_count(w, NULL, 0), 125);
    snprintf(w, sizeof w, "%s", st);
    uint64_t n = run_count(w, NULL, 0);
    CU_ASSERT(n >= 2000 - 5 * 45 && n <= 2000 + 5 * 45);
    snprintf(w, sizeof w, "%s, stop: 5s", st);
    n = run_count(w, NULL, 0);
    CU_ASSERT(n >= 125 - 5 * 11 && n <= 125 + 5 * 11);
    static const char *const seed[] = {"seed=99"};
    snprintf(w, sizeof w, "%s", st);
    n = run_count(w, seed, 1);
    CU_ASSERT(n >= 2000 - 5 * 45 && n <= 2000 + 5 * 45);
}

static double probe_error_rate(const char *path)
{
    struct rpt_run r;
    if (test_run_file(path, NULL, 0, &r)) return -1;
    double rate = -1;
    for (size_t i = 0; i < r.n_routes; i++)
        if (!strcmp(r.routes[i].name, "/probe") && r.routes[i].count >= 300)
            rate = (double)r.routes[i].errors / (double)r.routes[i].count;
    rpt_run_free(&r);
    return rate;
}

/*
 * The metastable failure: the /probe route only sends in the last 20 s of
 * the run, 40 s after a 5 s trigger ended. Without a budget nearly all its
 * requests fail; with a budget, or after a 300 ms trigger, none.
 */
static void test_metastable_failure_persists_or_recovers(void)
{
    double stuck = probe_error_rate("scenarios/metastable.yaml");
    double budget = probe_error_rate("scenarios/metastable-budget.yaml");
    double brief = probe_error_rate("scenarios/metastable-short.yaml");
    CU_ASSERT(stuck > 0.5);
    CU_ASSERT(budget >= 0 && budget < 0.01);
    CU_ASSERT(brief >= 0 && brief < 0.01);
}

void suite_stages(void)
{
    TEST_SUITE("sim/stages");
    TEST_ADD(test_stages_rate_ramps_linearly_from_zero);
    TEST_ADD(test_stages_time_of_inverts_the_integral);
    TEST_ADD(test_workload_start_and_stop);
    TEST_ADD(test_workload_stages);
    TEST_ADD(test_metastable_failure_persists_or_recovers);
}
