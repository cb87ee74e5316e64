/*
 * test_lb_locality.c - proxies/lb_level.c and lb_locality.c, and their use
 * by lb.c: Envoy's priority load with the 1.4 overprovisioning factor
 * (exact figures, rounding leftovers included), choosePriority, a
 * locality's effective weight; Istio's locality rules (match with
 * wildcards, LbPriority, failover priorities made dense, distribute weights
 * with wildcard keys); and picks spilling to priority 1 in the share the
 * load says (binomial, 5 standard deviations, fixed seed).
 */
#include <math.h>
#include <string.h>

#include "base/rng.h"
#include "proxies/config.h"
#include "proxies/lb.h"
#include "proxies/lb_locality.h"
#include "tests/testutil.h"

void suite_lb_locality(void);

static void load_of(const uint32_t *healthy, const uint32_t *total, uint32_t n, uint32_t *load,
                    uint32_t *avail)
{
    *avail = px_lb_priority_load(healthy, total, n, load);
}

/* docs "Priority levels": P0 with 2 of 4 healthy keeps 140 x 2/4 = 70%, P1 takes 30%. */
static void test_lb_locality_priority_load_spills_below_72_percent(void)
{
    uint32_t load[3], avail;
    load_of((uint32_t[]){2, 4}, (uint32_t[]){4, 4}, 2, load, &avail);
    CU_ASSERT_EQUAL(load[0], 70);
    CU_ASSERT_EQUAL(load[1], 30);
    CU_ASSERT_EQUAL(avail, 100);
    /* 5 of 7 healthy: 140 x 5/7 = 100, no spill yet; 4 of 7: 80 */
    load_of((uint32_t[]){5, 7}, (uint32_t[]){7, 7}, 2, load, &avail);
    CU_ASSERT_EQUAL(load[0], 100);
    CU_ASSERT_EQUAL(load[1], 0);
    load_of((uint32_t[]){4, 7}, (uint32_t[]){7, 7}, 2, load, &avail);
    CU_ASSERT_EQUAL(load[0], 80);
    CU_ASSERT_EQUAL(load[1], 20);
    /* 1 of 4: 35 / 65 */
    load_of((uint32_t[]){1, 4}, (uint32_t[]){4, 4}, 2, load, &avail);
    CU_ASSERT_EQUAL(load[0], 35);
    CU_ASSERT_EQUAL(load[1], 65);
    /* P0 down, P1 half: 0, 70, and P2 the remaining 30 */
    load_of((uint32_t[]){0, 1, 2}, (uint32_t[]){2, 2, 2}, 3, load, &avail);
    CU_ASSERT_EQUAL(load[0], 0);
    CU_ASSERT_EQUAL(load[1], 70);
    CU_ASSERT_EQUAL(load[2], 30);
}

/* Availability below 100 scales loads up; the rounding leftover goes to the first priority. */
static void test_lb_locality_priority_load_normalizes_and_rounds(void)
{
    uint32_t load[3], avail;
    /* health 40, 20, 15: availability 75; 53, 26, 20 = 99; +1 to P0 */
    load_of((uint32_t[]){2, 1, 1}, (uint32_t[]){7, 7, 9}, 3, load, &avail);
    CU_ASSERT_EQUAL(avail, 75);
    CU_ASSERT_EQUAL(load[0], 54);
    CU_ASSERT_EQUAL(load[1], 26);
    CU_ASSERT_EQUAL(load[2], 20);
    /* nothing healthy anywhere: P0 takes everything */
    load_of((uint32_t[]){0, 0}, (uint32_t[]){3, 3}, 2, load, &avail);
    CU_ASSERT_EQUAL(avail, 0);
    CU_ASSERT_EQUAL(load[0], 100);
    CU_ASSERT_EQUAL(load[1], 0);
}

static void test_lb_locality_choose_and_effective_weight(void)
{
    const uint32_t load[2] = {70, 30};
    CU_ASSERT_EQUAL(px_lb_priority_choose(load, 2, 0), 0);
    CU_ASSERT_EQUAL(px_lb_priority_choose(load, 2, 69), 0); /* 69 % 100 + 1 = 70 */
    CU_ASSERT_EQUAL(px_lb_priority_choose(load, 2, 70), 1);
    CU_ASSERT_EQUAL(px_lb_priority_choose(load, 2, 199), 1);
    CU_ASSERT_EQUAL(px_lb_priority_choose(load, 2, 200), 0);
    CU_ASSERT_EQUAL(px_lb_locality_effective(80, 2, 4), 56); /* 80 x 0.7 */
    CU_ASSERT_EQUAL(px_lb_locality_effective(80, 3, 4), 80); /* 1.05 capped at 1 */
    CU_ASSERT_EQUAL(px_lb_locality_effective(80, 0, 4), 0);
    CU_ASSERT_EQUAL(px_lb_locality_effective(80, 0, 0), 0);
}

static void test_lb_locality_match_and_priority(void)
{
    CU_ASSERT(px_locality_match("us-east/a/r1", "us-east/a/r1"));
    CU_ASSERT(px_locality_match("us-east/a/r1", "us-east/a/*"));
    CU_ASSERT(px_locality_match("us-east/a/r1", "us-east/*"));
    CU_ASSERT(px_locality_match("us-east/a/r1", "us-east"));
    CU_ASSERT(px_locality_match("us-east/a/r1", "*"));
    CU_ASSERT(!px_locality_match("us-east/a/r1", "us-east/b/*"));
    CU_ASSERT(!px_locality_match("us-west/a", "us-east/*"));
    CU_ASSERT(!px_locality_match("us-east", "us-east/a"));
    CU_ASSERT_EQUAL(px_locality_priority("r/z/s", "r/z/s"), 0);
    CU_ASSERT_EQUAL(px_locality_priority("r/z/s", "r/z/t"), 1);
    CU_ASSERT_EQUAL(px_locality_priority("r/z/s", "r/y/s"), 2);
    CU_ASSERT_EQUAL(px_locality_priority("r/z/s", "q/z/s"), 3);
    CU_ASSERT_EQUAL(px_locality_priority("r/z", "r/z"), 0);
}

/* Failover: priorities by LbPriority, a failover rule pushing other regions back, made dense. */
static void test_lb_locality_failover_priorities(void)
{
    static const char *const eps[] = {"us-east/a", "us-east/b", "us-west/a", "eu/x", "us-east/a"};
    struct px_locality_cfg c;
    px_locality_cfg_default(&c);
    struct px_locality_plan p;
    px_locality_plan(&c, "us-east/a", eps, NULL, 5, &p);
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(p.prio[i], 0); /* no outlier detection */
    px_locality_plan_free(&p);
    c.outlier = 1;
    px_locality_plan(&c, "us-east/a", eps, NULL, 5, &p);
    const uint8_t want[] = {0, 1, 2, 2, 0}; /* 0, 2, 3, 3 made dense */
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(p.prio[i], want[i]);
    CU_ASSERT_EQUAL(p.n_prio, 3);
    CU_ASSERT_PTR_NULL(p.loc_weight);
    CU_ASSERT_EQUAL(p.n_loc, 4);
    CU_ASSERT_EQUAL(p.loc[4], p.loc[0]);
    px_locality_plan_free(&p);
    struct px_locality_failover f = {"us-east", "eu"};
    c.failover = &f;
    c.n_failover = 1;
    px_locality_plan(&c, "us-east/a", eps, NULL, 5, &p);
    const uint8_t want2[] = {0, 1, 3, 2, 0}; /* us-west: 4, after eu's 3 */
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(p.prio[i], want2[i]);
    px_locality_plan_free(&p);
    px_locality_plan(&c, NULL, eps, NULL, 5, &p); /* a client without locality: nothing */
    CU_ASSERT_EQUAL(p.n_prio, 1);
    px_locality_plan_free(&p);
    c.enabled = 0;
    px_locality_plan(&c, "us-east/a", eps, NULL, 5, &p);
    CU_ASSERT_EQUAL(p.n_prio, 1);
    px_locality_plan_free(&p);
}

/* Distribute: ceil(locality weight x percent / weight of what the key claims); others 0. */
static void test_lb_locality_distribute_weights(void)
{
    static const char *const eps[] = {"r/a", "r/a", "r/b", "r/b", "r/b", "r/c", "q/a"};
    char *to[] = {"r/a", "r/*"};
    uint32_t pct[] = {80, 20};
    struct px_locality_distribute d = {"r/a", to, pct, 2};
    struct px_locality_cfg c;
    px_locality_cfg_default(&c);
    c.distribute = &d;
    c.n_distribute = 1;
    struct px_locality_plan p;
    uint32_t w[7] = {100, 100, 100, 100, 100, 100, 100};
    px_locality_plan(&c, "r/a", eps, w, 7, &p);
    CU_ASSERT_FATAL(p.loc_weight != NULL);
    CU_ASSERT_EQUAL(p.n_loc, 4);
    CU_ASSERT_EQUAL(p.loc_weight[p.loc[0]], 80); /* r/a: claimed by the first key */
    CU_ASSERT_EQUAL(p.loc_weight[p.loc[2]], 15); /* r/b: ceil(300 x 20 / 400) */
    CU_ASSERT_EQUAL(p.loc_weight[p.loc[5]], 5);  /* r/c: ceil(100 x 20 / 400) */
    CU_ASSERT_EQUAL(p.loc_weight[p.loc[6]], 0);  /* q/a: no key */
    for (int i = 0; i < 7; i++) CU_ASSERT_EQUAL(p.prio[i], 0);
    px_locality_plan_free(&p);
    px_locality_plan(&c, "r/b", eps, w, 7, &p); /* no rule from r/b: nothing, not even failover */
    CU_ASSERT_PTR_NULL(p.loc_weight);
    px_locality_plan_free(&p);
}

/*
 * failoverPriority: rank = labels - index of the first label whose value
 * differs from the client's (topology labels from the localities), made
 * dense; "label=value" sets the value compared; with failover rules the
 * locality rank splits each level (rank x 5 + LbPriority).
 */
static void test_lb_locality_failover_priority_labels(void)
{
    static const char *const eps[] = {"us-east/a", "us-east/a", "us-east/b", "us-west/a"};
    struct px_label v1[] = {{"app", "db"}, {"version", "v1"}};
    struct px_label v2[] = {{"app", "db"}, {"version", "v2"}};
    const struct px_label *ep_labels[] = {v1, v2, v1, v1};
    const size_t n_ep[] = {2, 2, 2, 2};
    struct px_label me[] = {{"app", "web"}, {"version", "v1"}};
    struct px_locality_labels lb = {me, 2, ep_labels, n_ep};
    char *fp[] = {"topology.kubernetes.io/region", "topology.kubernetes.io/zone", "version"};
    struct px_locality_cfg c;
    px_locality_cfg_default(&c);
    c.outlier = 1;
    c.failover_priority = fp;
    c.n_failover_priority = 3;
    struct px_locality_plan p;
    px_locality_plan_labels(&c, "us-east/a", eps, NULL, 4, &lb, &p);
    const uint8_t want[] = {0, 1, 2, 3}; /* all match; version differs; zone; region */
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(p.prio[i], want[i]);
    CU_ASSERT_EQUAL(p.n_prio, 4);
    px_locality_plan_free(&p);
    fp[2] = "version=v2"; /* the value to prefer, whatever the client's */
    px_locality_plan_labels(&c, "us-east/a", eps, NULL, 4, &lb, &p);
    const uint8_t want2[] = {1, 0, 2, 3};
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(p.prio[i], want2[i]);
    px_locality_plan_free(&p);
    /* one label, then locality failover inside each level */
    char *fp1[] = {"version"};
    c.failover_priority = fp1;
    c.n_failover_priority = 1;
    const struct px_label *ep2[] = {v1, v2, v1, v2};
    lb.ep = ep2;
    px_locality_plan_labels(&c, "us-east/a", eps, NULL, 4, &lb, &p);
    const uint8_t want3[] = {0, 1, 0, 1}; /* labels only: localities do not count */
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(p.prio[i], want3[i]);
    px_locality_plan_free(&p);
    struct px_locality_failover f = {"us-east", "us-west"};
    c.failover = &f;
    c.n_failover = 1;
    px_locality_plan_labels(&c, "us-east/a", eps, NULL, 4, &lb, &p);
    const uint8_t want4[] = {0, 2, 1, 3}; /* raw 0, 5, 0x5+2, 5+3: 0, 5, 2, 8 */
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(p.prio[i], want4[i]);
    px_locality_plan_free(&p);
}

static uint64_t rng_random(void *arg)
{
    return fl_rng_next(arg);
}

/*
 * lb.c with priorities: 4 hosts at P0 (2 ejected), 4 at P1. P1 gets 30% of
 * N = 20000 picks: 5 sigma = 5 x sqrt(0.3 x 0.7 / N) = 0.016. Locality
 * weights 3:1 inside one priority: 0.75 within 5 sigma.
 */
static void test_lb_locality_balancer_spills_by_priority_load(void)
{
    enum { N = 20000 };
    struct px_lb_cfg c;
    px_lb_cfg_envoy(&c);
    c.panic_threshold = 0;
    struct px_lb lb;
    px_lb_init(&lb, &c, 8);
    struct px_lb_host h[8];
    for (int i = 0; i < 8; i++) h[i] = (struct px_lb_host){.weight = 1, .healthy = 1};
    const uint8_t prio[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const uint32_t loc[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    px_lb_set_levels(&lb, prio, loc, NULL, 2);
    struct fl_rng r;
    fl_rng_seed(&r, 5);
    int p1 = 0;
    for (int i = 0; i < 1000; i++) p1 += px_lb_pick(&lb, h, rng_random, &r, NULL) >= 4;
    CU_ASSERT_EQUAL(p1, 0); /* all healthy: P0 takes everything */
    h[0].healthy = h[1].healthy = 0;
    p1 = 0;
    for (int i = 0; i < N; i++) {
        int k = px_lb_pick(&lb, h, rng_random, &r, NULL);
        CU_ASSERT(k >= 2);
        p1 += k >= 4;
    }
    ASSERT_ABS(p1 / (double)N, 0.30, 5 * sqrt(0.3 * 0.7 / N));
    /* locality weights 3:1 inside priority 0 */
    const uint8_t flat[8] = {0};
    const uint32_t weights[2] = {3, 1};
    for (int i = 0; i < 8; i++) h[i].healthy = 1;
    px_lb_set_levels(&lb, flat, loc, weights, 2);
    int l0 = 0;
    for (int i = 0; i < N; i++) l0 += px_lb_pick(&lb, h, rng_random, &r, NULL) < 4;
    ASSERT_ABS(l0 / (double)N, 0.75, 5 * sqrt(0.75 * 0.25 / N));
    px_lb_free(&lb);
}

void suite_lb_locality(void)
{
    TEST_SUITE("proxies/lb_locality");
    TEST_ADD(test_lb_locality_priority_load_spills_below_72_percent);
    TEST_ADD(test_lb_locality_priority_load_normalizes_and_rounds);
    TEST_ADD(test_lb_locality_choose_and_effective_weight);
    TEST_ADD(test_lb_locality_match_and_priority);
    TEST_ADD(test_lb_locality_failover_priorities);
    TEST_ADD(test_lb_locality_distribute_weights);
    TEST_ADD(test_lb_locality_failover_priority_labels);
    TEST_ADD(test_lb_locality_balancer_spills_by_priority_load);
}
