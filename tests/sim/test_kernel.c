/*
 * test_kernel.c - sim/kernel.c: time order, ties in arming order, cancel,
 * re-arm, run-until, and that cancelled timers leave nothing behind.
 */
#include <stdlib.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "sim/kernel.h"
#include "tests/testutil.h"

void suite_kernel(void);

struct rec {
    int64_t at[64];
    int id[64];
    int n;
};

struct tagged {
    struct sim_timer t;
    struct rec *rec;
    int id;
};

static void record(struct sim_kernel *k, struct sim_timer *t)
{
    struct tagged *x = t->data;
    x->rec->at[x->rec->n] = sim_now(k);
    x->rec->id[x->rec->n++] = x->id;
}

static void test_kernel_fires_in_time_order_and_ties_in_arming_order(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct rec rec = {0};
    /* times spread over several wheel levels, with ties */
    int64_t times[] = {5 * SIM_NS_PER_S, 300, 70000, 300, 1, 5 * SIM_NS_PER_S, 70000, 0, 300};
    struct tagged x[9];
    for (int i = 0; i < 9; i++) {
        x[i].rec = &rec;
        x[i].id = i;
        sim_timer_init(&x[i].t, record, &x[i]);
        sim_timer_arm(k, &x[i].t, times[i]);
    }
    CU_ASSERT_EQUAL(k->pending, 9);
    sim_kernel_run(k, SIM_TIME_MAX);
    int expect[] = {7, 4, 1, 3, 8, 2, 6, 0, 5};
    CU_ASSERT_EQUAL(rec.n, 9);
    for (int i = 0; i < 9; i++) {
        CU_ASSERT_EQUAL(rec.id[i], expect[i]);
        CU_ASSERT_EQUAL(rec.at[i], times[expect[i]]);
    }
    CU_ASSERT_EQUAL(k->pending, 0);
    CU_ASSERT_EQUAL(k->events, 9);
    sim_kernel_free(k);
    free(k);
}

/* A timer armed for the current instant from a callback runs after those already due. */
static void chain(struct sim_kernel *k, struct sim_timer *t)
{
    struct tagged *x = t->data;
    record(k, t);
    if (x->id < 3) {
        x->id += 10;
        sim_timer_arm(k, t, sim_now(k));
    }
}

static void test_kernel_same_instant_rearm_runs_after_due_timers(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct rec rec = {0};
    struct tagged a = {.rec = &rec, .id = 1}, b = {.rec = &rec, .id = 2};
    sim_timer_init(&a.t, chain, &a);
    sim_timer_init(&b.t, chain, &b);
    sim_timer_arm(k, &a.t, 1000);
    sim_timer_arm(k, &b.t, 1000);
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(rec.n, 4);
    CU_ASSERT_EQUAL(rec.id[0], 1);
    CU_ASSERT_EQUAL(rec.id[1], 2);
    CU_ASSERT_EQUAL(rec.id[2], 11);
    CU_ASSERT_EQUAL(rec.id[3], 12);
    sim_kernel_free(k);
    free(k);
}

static void test_kernel_cancelled_and_rearmed_timers_fire_once_at_the_new_time(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct rec rec = {0};
    struct tagged a = {.rec = &rec, .id = 1}, b = {.rec = &rec, .id = 2};
    sim_timer_init(&a.t, record, &a);
    sim_timer_init(&b.t, record, &b);
    sim_timer_arm(k, &a.t, 10 * SIM_NS_PER_MS);
    sim_timer_arm(k, &b.t, 20 * SIM_NS_PER_MS);
    sim_timer_cancel(k, &a.t);
    CU_ASSERT_FALSE(sim_timer_armed(&a.t));
    sim_timer_cancel(k, &a.t); /* twice is harmless */
    sim_timer_arm(k, &b.t, 30 * SIM_NS_PER_MS);
    CU_ASSERT_EQUAL(k->pending, 1);
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(rec.n, 1);
    CU_ASSERT_EQUAL(rec.id[0], 2);
    CU_ASSERT_EQUAL(rec.at[0], 30 * SIM_NS_PER_MS);
    sim_kernel_free(k);
    free(k);
}

static void test_kernel_run_until_stops_the_clock_there(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct rec rec = {0};
    struct tagged a = {.rec = &rec, .id = 1};
    sim_timer_init(&a.t, record, &a);
    sim_timer_arm(k, &a.t, 5 * SIM_NS_PER_S);
    CU_ASSERT_EQUAL(sim_kernel_run(k, 2 * SIM_NS_PER_S), 0);
    CU_ASSERT_EQUAL(sim_now(k), 2 * SIM_NS_PER_S);
    CU_ASSERT_EQUAL(rec.n, 0);
    /* a timer armed now, before the pending one, still fires first */
    struct tagged b = {.rec = &rec, .id = 2};
    sim_timer_init(&b.t, record, &b);
    sim_timer_arm(k, &b.t, 2 * SIM_NS_PER_S + 1);
    CU_ASSERT_EQUAL(sim_kernel_run(k, SIM_TIME_MAX), 2);
    CU_ASSERT_EQUAL(rec.id[0], 2);
    CU_ASSERT_EQUAL(rec.id[1], 1);
    CU_ASSERT_EQUAL(k->pending, 0);
    sim_kernel_free(k);
    free(k);
}

/* Random arm/cancel/fire traffic against a sorted reference: same order, nothing left over. */
struct fuzz {
    struct sim_timer t;
    int64_t due;
    uint64_t armed_seq;
};
static int64_t fuzz_last_at;
static uint64_t fuzz_last_seq, fuzz_fired;
static int fuzz_bad;

static void fuzz_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct fuzz *f = t->data;
    if (sim_now(k) != f->due) fuzz_bad++;
    if (sim_now(k) < fuzz_last_at) fuzz_bad++;
    if (sim_now(k) == fuzz_last_at && f->armed_seq < fuzz_last_seq) fuzz_bad++;
    fuzz_last_at = sim_now(k);
    fuzz_last_seq = f->armed_seq;
    fuzz_fired++;
}

static void test_kernel_random_traffic_matches_time_then_arming_order(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    enum { N = 20000 };
    struct fuzz *f = fl_calloc(N, sizeof *f);
    struct fl_rng r;
    fl_rng_seed(&r, 77);
    uint64_t seq = 0;
    fuzz_last_at = 0;
    fuzz_last_seq = 0;
    fuzz_fired = 0;
    fuzz_bad = 0;
    for (int i = 0; i < N; i++) sim_timer_init(&f[i].t, fuzz_fire, &f[i]);
    uint64_t expected_fires = 0;
    for (int round = 0; round < 50; round++) {
        for (int j = 0; j < 2000; j++) {
            struct fuzz *x = &f[fl_rng_below(&r, N)];
            uint64_t op = fl_rng_below(&r, 4);
            if (op == 0) {
                sim_timer_cancel(k, &x->t);
            } else {
                /* coarse times so that ties are common, spread over several levels */
                int64_t d = (int64_t)fl_rng_below(&r, 1u << (4 * (1 + fl_rng_below(&r, 7))));
                x->due = sim_now(k) + (d & ~INT64_C(15));
                x->armed_seq = seq++;
                sim_timer_arm(k, &x->t, x->due);
            }
        }
        uint64_t before = k->pending;
        (void)before;
        sim_kernel_run(k, sim_now(k) + (int64_t)fl_rng_below(&r, 1u << 20));
    }
    uint64_t pending = k->pending;
    uint64_t fired_before = fuzz_fired;
    sim_kernel_run(k, SIM_TIME_MAX);
    expected_fires = fired_before + pending;
    CU_ASSERT_EQUAL(fuzz_bad, 0);
    CU_ASSERT_EQUAL(fuzz_fired, expected_fires);
    CU_ASSERT_EQUAL(k->pending, 0);
    for (int i = 0; i < N; i++) CU_ASSERT_FALSE(sim_timer_armed(&f[i].t));
    free(f);
    sim_kernel_free(k);
    free(k);
}

static void posted(struct sim_kernel *k, void *a, void *b)
{
    int *count = a;
    (void)b;
    (void)k;
    (*count)++;
}

static void test_kernel_posted_events_return_to_the_pool(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    int count = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10000; i++) sim_post(k, sim_now(k) + i, posted, &count, NULL);
        sim_kernel_run(k, SIM_TIME_MAX);
    }
    CU_ASSERT_EQUAL(count, 30000);
    /* 10000 at a time needs 3 chunks of 4096; reuse means no more were made */
    int chunks = 0;
    for (struct sim_event_chunk **c = &k->chunks; *c; c = (struct sim_event_chunk **)*c) chunks++;
    CU_ASSERT_EQUAL(chunks, 3);
    sim_kernel_free(k);
    free(k);
}

void suite_kernel(void)
{
    TEST_SUITE("sim/kernel");
    TEST_ADD(test_kernel_fires_in_time_order_and_ties_in_arming_order);
    TEST_ADD(test_kernel_same_instant_rearm_runs_after_due_timers);
    TEST_ADD(test_kernel_cancelled_and_rearmed_timers_fire_once_at_the_new_time);
    TEST_ADD(test_kernel_run_until_stops_the_clock_there);
    TEST_ADD(test_kernel_random_traffic_matches_time_then_arming_order);
    TEST_ADD(test_kernel_posted_events_return_to_the_pool);
}
