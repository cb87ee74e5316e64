/*
 * test_ratelimit_redis_sim.c - Kong's rate-limiting with policy redis in
 * the simulator (scenarios/ratelimit-redis.yaml): Redis is a service of
 * the scenario, its pod keeps the counters, and the gateway asks it over
 * the modelled network. Constant arrivals (150/s against 100 a second),
 * so every count is exact: while Redis counts, 50 a second are refused;
 * while it is gone (killed at 20 s, back and Ready at 42 s) or too slow
 * (a delay past the plugin's 100 ms timeout), nothing is refused with
 * fault_tolerant true, and everything is refused with 500 with false.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_ratelimit_redis_sim(void);

#define SCENARIO "scenarios/ratelimit-redis.yaml"

static const struct rpt_stats *service(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_services; i++)
        if (!strcmp(r->services[i].st.name, name)) return &r->services[i].st;
    CU_FAIL_FATAL("no such service");
    return NULL;
}

static void check(const struct rpt_run *r, uint64_t ok, uint64_t refused, uint64_t failed,
                  uint64_t redis)
{
    CU_ASSERT_EQUAL_FATAL(r->n_routes, 1);
    const struct rpt_stats *api = &r->routes[0];
    CU_ASSERT_EQUAL(api->count, 9000);
    CU_ASSERT_EQUAL(api->outcomes[200], ok);
    CU_ASSERT_EQUAL(api->outcomes[429], refused);
    CU_ASSERT_EQUAL(api->outcomes[500], failed);
    CU_ASSERT_EQUAL(service(r, "billing")->count, ok);
    CU_ASSERT_EQUAL(service(r, "redis")->count, redis);
}

/* 20 s + 18 s (from 42 s) of counting: 38 x 50 refused; Redis asked by every request then */
static void test_ratelimit_redis_sim_kill_fault_tolerant(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r));
    check(&r, 7100, 1900, 0, 5700);
    rpt_run_free(&r);
}

/* The 22 s without Redis: 22 x 150 refused with 500 */
static void test_ratelimit_redis_sim_kill_strict(void)
{
    static const char *const strict[] = {"gateway.plugins.0.config.fault_tolerant=false"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, strict, 1, &r));
    check(&r, 3800, 1900, 3300, 5700);
    rpt_run_free(&r);
}

/*
 * Redis slowed by 150 ms a round trip for 10 s: every request of those 10 s
 * times out at 100 ms (its connection is dropped before the request is
 * sent) and passes unchecked; the other 50 s count: 50 x 50 refused.
 */
static void test_ratelimit_redis_sim_slow_redis_times_out(void)
{
    static const char *const slow[] = {
        "faults.0={name: redis-dies, at: 20s, for: 10s, delay: {to: redis, add: 150ms}}"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, slow, 1, &r));
    check(&r, 6500, 2500, 0, 7500);
    rpt_run_free(&r);
    static const char *const slow_strict[] = {
        "faults.0={name: redis-dies, at: 20s, for: 10s, delay: {to: redis, add: 150ms}}",
        "gateway.plugins.0.config.fault_tolerant=false"};
    RUN_OR_RETURN(test_run_file(SCENARIO, slow_strict, 2, &r));
    check(&r, 5000, 2500, 1500, 7500);
    rpt_run_free(&r);
}

/* Redis 20 ms slower a round trip, within the 100 ms timeout: the limit holds (60 x 50) */
static void test_ratelimit_redis_sim_slower_within_timeout(void)
{
    static const char *const calm[] = {
        "faults.0={name: redis-dies, at: 20s, for: 10s, delay: {to: redis, add: 20ms}}"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, calm, 1, &r));
    check(&r, 6000, 3000, 0, 9000);
    rpt_run_free(&r);
}

void suite_ratelimit_redis_sim(void)
{
    TEST_SUITE("sim/ratelimit_redis");
    TEST_ADD(test_ratelimit_redis_sim_kill_fault_tolerant);
    TEST_ADD(test_ratelimit_redis_sim_kill_strict);
    TEST_ADD(test_ratelimit_redis_sim_slow_redis_times_out);
    TEST_ADD(test_ratelimit_redis_sim_slower_within_timeout);
}
