/*
 * test_log.c - the event log (sim/log.c) fed directly: entries in order,
 * bursts grouped until a gap of one second, their counts written at the
 * next event after the gap or at the end, the cap on what reaches the run.
 */
#include <string.h>

#include "sim/log.h"
#include "tests/testutil.h"

void suite_log(void);

#define MS INT64_C(1000000)

static void test_log_bursts_end_after_a_second_without_one(void)
{
    struct sim_log l;
    sim_log_init(&l);
    const char *what = "turned away by the circuit breaker";
    sim_log_burst(&l, 0, "overflow", "sidecar payments", what);
    sim_log_burst(&l, 500 * MS, "overflow", "sidecar payments", what);
    sim_log_add(&l, 600 * MS, "eject", "payments-0", "x");
    sim_log_burst(&l, 700 * MS, "overflow", "sidecar other", what);
    sim_log_burst(&l, 1499 * MS, "overflow", "sidecar payments", what); /* 999 ms gap: same */
    sim_log_burst(&l, 2499 * MS, "overflow", "sidecar payments", what); /* 1 s gap: a new one */
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT_STRING_EQUAL(l.v[0].detail, "3 turned away by the circuit breaker in 1.499s");
    CU_ASSERT_EQUAL(l.v[0].at_ns, 0);
    CU_ASSERT_STRING_EQUAL(l.v[1].kind, "eject");
    CU_ASSERT_STRING_EQUAL(l.v[2].subject, "sidecar other");
    CU_ASSERT_STRING_EQUAL(l.v[2].detail, what); /* still open */
    CU_ASSERT_EQUAL(l.v[3].at_ns, 2499 * MS);
    sim_log_close(&l);
    CU_ASSERT_STRING_EQUAL(l.v[2].detail, "1 turned away by the circuit breaker in 0ns");
    CU_ASSERT_STRING_EQUAL(l.v[3].detail, "1 turned away by the circuit breaker in 0ns");
    struct rpt_run run;
    memset(&run, 0, sizeof run);
    sim_log_to_run(&l, &run);
    CU_ASSERT_EQUAL(run.n_timeline, 4);
    CU_ASSERT_EQUAL(run.timeline_dropped, 0);
    CU_ASSERT_STRING_EQUAL(run.timeline[1].what, "eject");
    CU_ASSERT_STRING_EQUAL(run.timeline[1].subject, "payments-0");
    rpt_run_free(&run);
    sim_log_free(&l);
}

/* The run keeps RPT_EVENTS_MAX entries and counts the others. */
static void test_log_run_keeps_the_first_entries(void)
{
    struct sim_log l;
    sim_log_init(&l);
    for (int i = 0; i < RPT_EVENTS_MAX + 5; i++) sim_log_add(&l, i, "panic", "c", "%d", i);
    struct rpt_run run;
    memset(&run, 0, sizeof run);
    sim_log_to_run(&l, &run);
    CU_ASSERT_EQUAL(run.n_timeline, RPT_EVENTS_MAX);
    CU_ASSERT_EQUAL(run.timeline_dropped, 5);
    CU_ASSERT_STRING_EQUAL(run.timeline[RPT_EVENTS_MAX - 1].detail, "9999");
    rpt_run_free(&run);
    sim_log_free(&l);
}

void suite_log(void)
{
    TEST_SUITE("sim/log");
    TEST_ADD(test_log_bursts_end_after_a_second_without_one);
    TEST_ADD(test_log_run_keeps_the_first_entries);
}
