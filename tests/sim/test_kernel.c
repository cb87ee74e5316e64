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

/* Fires like fuzz_fire, then arms another timer of the same few (maybe for this instant). */
static struct fuzz *few;
static struct fl_rng few_rng;
static uint64_t few_seq;

static void few_fire(struct sim_kernel *k, struct sim_timer *t)
{
    fuzz_fire(k, t);
    if (fl_rng_below(&few_rng, 3)) return;
    struct fuzz *x = &few[fl_rng_below(&few_rng, 14)];
    x->due = sim_now(k) + (int64_t)(fl_rng_below(&few_rng, 4) * 1000);
    x->armed_seq = few_seq++;
    sim_timer_arm(k, &x->t, x->due);
}

/*
 * With a handful of timers the kernel keeps them in its small set, and
 * moves them into the wheel past SIM_SMALL_MAX and back at SIM_SMALL_LOW:
 * 14 timers armed, re-armed (also while firing, also for the instant being
 * run) and cancelled at random cross both limits thousands of times, and
 * every firing is still in (time, arming order).
 */
static void test_kernel_small_set_and_wheel_hand_over_in_order(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    few = fl_calloc(14, sizeof *few);
    fl_rng_seed(&few_rng, 5);
    few_seq = 0;
    fuzz_last_at = fuzz_last_seq = fuzz_fired = fuzz_bad = 0;
    for (int i = 0; i < 14; i++) sim_timer_init(&few[i].t, few_fire, &few[i]);
    int wheel_rounds = 0, small_rounds = 0;
    for (int round = 0; round < 20000; round++) {
        uint64_t ops = 1 + fl_rng_below(&few_rng, 6);
        for (uint64_t j = 0; j < ops; j++) {
            struct fuzz *x = &few[fl_rng_below(&few_rng, 14)];
            if (!fl_rng_below(&few_rng, 4)) {
                sim_timer_cancel(k, &x->t);
                continue;
            }
            x->due = sim_now(k) + (int64_t)(fl_rng_below(&few_rng, 8) * 1000);
            x->armed_seq = few_seq++;
            sim_timer_arm(k, &x->t, x->due);
        }
        wheel_rounds += k->wheel_mode;
        small_rounds += !k->wheel_mode;
        sim_kernel_run(k, sim_now(k) + (int64_t)fl_rng_below(&few_rng, 5000));
    }
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(fuzz_bad, 0);
    CU_ASSERT_EQUAL(k->pending, 0);
    CU_ASSERT(fuzz_fired > 20000);
    /* both ways of keeping them were used, many times */
    CU_ASSERT(wheel_rounds > 1000 && small_rounds > 1000);
    for (int i = 0; i < 14; i++) CU_ASSERT_FALSE(sim_timer_armed(&few[i].t));
    free(few);
    sim_kernel_free(k);
    free(k);
}

/* A timer of the busy set: fires as fuzz_fire, then arms or cancels others (often for now). */
struct busy {
    struct fuzz f; /* first: fuzz_fire reads it through t->data */
    int armed;
};
static struct busy *busy;
static struct fl_rng busy_rng;
static uint64_t busy_seq, busy_arms, busy_dropped;

static void busy_arm(struct sim_kernel *k, struct busy *x, int64_t at)
{
    if (x->armed) busy_dropped++; /* re-armed: its earlier time never fires */
    x->armed = 1;
    x->f.due = at;
    x->f.armed_seq = busy_seq++;
    busy_arms++;
    sim_timer_arm(k, &x->f.t, at);
}

static void busy_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct busy *me = t->data;
    me->armed = 0;
    fuzz_fire(k, t);
    for (uint64_t n = fl_rng_below(&busy_rng, 4); n > 0; n--) {
        struct busy *x = &busy[fl_rng_below(&busy_rng, 300)];
        uint64_t op = fl_rng_below(&busy_rng, 6);
        if (op == 0) {
            busy_dropped += x->armed;
            x->armed = 0;
            sim_timer_cancel(k, &x->f.t);
        } else {
            /* half of them for the instant being run: into the now queue */
            busy_arm(k, x, sim_now(k) + (op <= 3 ? 0 : (int64_t)fl_rng_below(&busy_rng, 4) * 1000));
        }
    }
}

/*
 * Timers armed for the instant being run (the now queue) fire after every
 * timer that was due at that instant before it began, in arming order,
 * also when they are cancelled or re-armed while queued: 300 timers in the
 * wheel, each firing arming, re-arming or cancelling others, half of them
 * for the same instant, and every firing is in (time, arming order) and
 * exactly the timers still armed fire.
 */
static void test_kernel_timers_due_now_fire_after_those_due_before(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    busy = fl_calloc(300, sizeof *busy);
    fl_rng_seed(&busy_rng, 11);
    busy_seq = busy_arms = busy_dropped = 0;
    fuzz_last_at = fuzz_last_seq = fuzz_fired = fuzz_bad = 0;
    for (int i = 0; i < 300; i++) sim_timer_init(&busy[i].f.t, busy_fire, &busy[i]);
    for (int i = 0; i < 300; i++) busy_arm(k, &busy[i], (int64_t)fl_rng_below(&busy_rng, 8) * 1000);
    for (int round = 0; round < 200 && k->pending; round++) {
        CU_ASSERT(k->wheel_mode || k->pending <= SIM_SMALL_MAX);
        sim_kernel_run(k, sim_now(k) + 3000);
    }
    CU_ASSERT(k->now_cap > 0); /* the now queue was used */
    /* what is still armed is cancelled: nothing may fire after it */
    for (int i = 0; i < 300; i++) {
        busy_dropped += busy[i].armed;
        busy[i].armed = 0;
        sim_timer_cancel(k, &busy[i].f.t);
    }
    CU_ASSERT_EQUAL(k->pending, 0);
    CU_ASSERT_EQUAL(k->now_live, 0);
    CU_ASSERT_EQUAL(sim_kernel_run(k, SIM_TIME_MAX), 0);
    CU_ASSERT_EQUAL(fuzz_bad, 0);
    CU_ASSERT(fuzz_fired > 10000);
    CU_ASSERT_EQUAL(fuzz_fired, busy_arms - busy_dropped);
    free(busy);
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

/* A request in flight: re-arms itself a random 1 ms to 2 s later, for ever. */
struct inflight {
    struct sim_timer t;
    struct fl_rng *rng;
};

static void inflight_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct inflight *x = t->data;
    sim_timer_arm(k, t, sim_now(k) + 1000000 + (int64_t)(fl_rng_next(x->rng) % 1999000000));
}

/*
 * The wheel's memory follows the number of pending timers, not the
 * simulated time: with 20,000 timers always pending, the slots hold no
 * more after 200 simulated seconds than after 10 (each second of time is
 * a new level-2 slot; when each kept its storage, memory grew by what one
 * slot once held per simulated second).
 */
static void test_kernel_memory_follows_pending_timers_not_time(void)
{
    enum { N = 20000 };
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct fl_rng rng;
    fl_rng_seed(&rng, 7);
    struct inflight *xs = fl_calloc(N, sizeof *xs);
    for (int i = 0; i < N; i++) {
        xs[i].rng = &rng;
        sim_timer_init(&xs[i].t, inflight_fire, &xs[i]);
        sim_timer_arm(k, &xs[i].t, (int64_t)(fl_rng_next(&rng) % 2000000000));
    }
    sim_kernel_run(k, 10 * INT64_C(1000000000));
    size_t at10 = sim_kernel_wheel_bytes(k);
    sim_kernel_run(k, 200 * INT64_C(1000000000));
    size_t at200 = sim_kernel_wheel_bytes(k);
    CU_ASSERT_EQUAL(k->pending, N);
    /* storage is that of the timers pending now plus kept small slots, whenever it is read */
    CU_ASSERT(at200 <= at10 + at10 / 2);
    CU_ASSERT(at200 <= (size_t)8 * N * sizeof(struct sim_entry));
    for (int i = 0; i < N; i++) sim_timer_cancel(k, &xs[i].t);
    CU_ASSERT_EQUAL(k->pending, 0);
    /* with nothing pending, no slot keeps more than SLOT_KEEP (64) entries */
    CU_ASSERT(sim_kernel_wheel_bytes(k) <=
              (size_t)SIM_WHEEL_LEVELS * SIM_WHEEL_SLOTS * 64 * sizeof(struct sim_entry));
    free(xs);
    sim_kernel_free(k);
    free(k);
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

/* A timer that re-arms itself for the instant it fires at: time can never move. */
static void rearm_now(struct sim_kernel *k, struct sim_timer *t)
{
    (*(uint64_t *)t->data)++;
    sim_timer_arm(k, t, sim_now(k));
}

/* Posts one more event for the same instant each time (the shape of a request loop). */
static void post_now(struct sim_kernel *k, void *a, void *b)
{
    (*(uint64_t *)a)++;
    sim_post(k, sim_now(k), post_now, a, b);
}

static void test_kernel_guard_stops_a_zero_time_loop_in_bounded_memory(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    uint64_t fired = 0, posted = 0;
    struct sim_timer t;
    sim_timer_init(&t, rearm_now, &fired);
    sim_timer_arm(k, &t, 7);
    sim_post(k, 7, post_now, &posted, NULL);
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(k->stalled, 1);
    CU_ASSERT_EQUAL(sim_now(k), 7);
    /* without a hook the kernel stops at the limit: the first event of the instant, then
     * SIM_INSTANT_EVENTS_MIN - 1 more */
    CU_ASSERT_EQUAL(fired + posted, SIM_INSTANT_EVENTS_MIN);
    CU_ASSERT(fired > 0 && posted > 0);
    /* the event the guard held back is still pending, nothing is lost */
    CU_ASSERT_EQUAL(k->pending, 2);
    /* the kernel holds the two live entries (in the small set), not ten million fired ones */
    CU_ASSERT(sim_kernel_wheel_bytes(k) <= 2 * 64 * sizeof(struct sim_entry));
    CU_ASSERT_EQUAL(k->wheel_mode, 0);
    CU_ASSERT_EQUAL(k->n_small, 2);
    sim_kernel_free(k);
    free(k);
}

struct guard_log {
    int calls;
    uint64_t at[4];
};

static uint64_t watch_twice(struct sim_kernel *k, void *arg, uint64_t n)
{
    struct guard_log *g = arg;
    (void)k;
    g->at[g->calls++] = n;
    return g->calls < 2 ? 1000 : 0;
}

static void test_kernel_guard_hook_may_watch_more_events_then_stop(void)
{
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct guard_log g = {0};
    sim_kernel_set_instant_guard(k, watch_twice, &g);
    uint64_t fired = 0;
    struct sim_timer t;
    sim_timer_init(&t, rearm_now, &fired);
    sim_timer_arm(k, &t, SIM_NS_PER_S);
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(g.calls, 2);
    CU_ASSERT_EQUAL(g.at[0], SIM_INSTANT_EVENTS_MIN);
    CU_ASSERT_EQUAL(g.at[1], SIM_INSTANT_EVENTS_MIN + 1000);
    CU_ASSERT_EQUAL(fired, SIM_INSTANT_EVENTS_MIN + 1000);
    CU_ASSERT_EQUAL(k->stalled, 1);
    /* a new run starts afresh: the guard trips again only after a new limit */
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(g.calls, 3);
    sim_kernel_free(k);
    free(k);
}

/* Each of n timers at one instant posts 40 children there, one after the other. */
static void child(struct sim_kernel *k, void *a, void *b)
{
    uint64_t *count = a;
    uintptr_t left = (uintptr_t)b;
    (*count)++;
    if (left > 0) sim_post(k, sim_now(k), child, a, (void *)(left - 1));
}

static void parent(struct sim_kernel *k, struct sim_timer *t)
{
    sim_post(k, sim_now(k), child, t->data, (void *)(uintptr_t)39);
}

static void test_kernel_guard_spares_a_large_legitimate_burst(void)
{
    /* 300000 clients starting at once, 41 events each: 12.3 million events at one instant,
     * above SIM_INSTANT_EVENTS_MIN but within 64 x the pending timers */
    enum { N = 300000 };
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct sim_timer *ts = fl_calloc(N, sizeof *ts);
    uint64_t count = 0;
    for (int i = 0; i < N; i++) {
        sim_timer_init(&ts[i], parent, &count);
        sim_timer_arm(k, &ts[i], 5);
    }
    sim_kernel_run(k, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(k->stalled, 0);
    CU_ASSERT_EQUAL(count, (uint64_t)N * 40);
    CU_ASSERT_EQUAL(k->events, (uint64_t)N * 41);
    CU_ASSERT(k->events > SIM_INSTANT_EVENTS_MIN);
    free(ts);
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
    TEST_ADD(test_kernel_memory_follows_pending_timers_not_time);
    TEST_ADD(test_kernel_small_set_and_wheel_hand_over_in_order);
    TEST_ADD(test_kernel_timers_due_now_fire_after_those_due_before);
    TEST_ADD(test_kernel_guard_stops_a_zero_time_loop_in_bounded_memory);
    TEST_ADD(test_kernel_guard_hook_may_watch_more_events_then_stop);
    TEST_ADD(test_kernel_guard_spares_a_large_legitimate_burst);
}
