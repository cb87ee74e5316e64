/*
 * test_lb.c - proxies/lb.c: round robin order, weighted round robin by EDF
 * (exact shares over whole cycles, deterministic, no burst for a host that
 * comes back), least request (P2C with the busy host almost never picked,
 * weighted form weight / (active+1)^bias), random uniformity, excluded
 * hosts, Envoy's panic rule including the 1.4 overprovisioning factor, and
 * Kong's threshold (no pick unless more than that share of the weight is
 * healthy).
 *
 * Statistical bounds: counts over N picks are binomial; each check allows 5
 * standard deviations, with a fixed seed so the test is deterministic.
 */
#include <math.h>
#include <string.h>

#include "base/rng.h"
#include "proxies/lb.h"
#include "tests/testutil.h"

void suite_lb(void);

#define NH_MAX 20

/* Random numbers from a seeded stream. */
static uint64_t rng_random(void *arg)
{
    return fl_rng_next(arg);
}

/* Random numbers from a fixed list, for exact tests. */
struct seq {
    const uint64_t *v;
    size_t n, next;
};

static uint64_t seq_random(void *arg)
{
    struct seq *s = arg;
    CU_ASSERT_FATAL(s->next < s->n);
    return s->v[s->next++];
}

static void hosts_init(struct px_lb_host *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) h[i] = (struct px_lb_host){.weight = 1, .healthy = 1};
}

static struct px_lb_cfg cfg_of(enum px_lb_policy policy)
{
    struct px_lb_cfg c;
    px_lb_cfg_envoy(&c);
    c.policy = policy;
    return c;
}

/* Counts picks per host over n picks with a seeded stream; returns the number of panics. */
static int count_picks(struct px_lb *lb, const struct px_lb_host *h, uint64_t seed, int n,
                       int *counts)
{
    struct fl_rng r;
    fl_rng_seed(&r, seed);
    int panics = 0;
    for (int i = 0; i < n; i++) {
        int panic = 0;
        int k = px_lb_pick(lb, h, rng_random, &r, &panic);
        CU_ASSERT_FATAL(k >= 0 && (uint32_t)k < lb->n);
        counts[k]++;
        panics += panic;
    }
    return panics;
}

/* ---------------------------------------------------------------- defaults */

static void test_lb_envoy_defaults(void)
{
    struct px_lb_cfg c;
    memset(&c, 0xab, sizeof c);
    px_lb_cfg_envoy(&c);
    CU_ASSERT_EQUAL(c.policy, PX_LB_ROUND_ROBIN);
    CU_ASSERT_EQUAL(c.choice_count, 2);
    CU_ASSERT_EQUAL(c.active_request_bias, 1.0);
    CU_ASSERT_EQUAL(c.panic_threshold, 50.0);
    CU_ASSERT_EQUAL(c.min_healthy_weight, 0); /* Kong's threshold: not Envoy's */
}

/* ---------------------------------------------------------------- round robin */

static void test_lb_round_robin_cycles_in_index_order_skipping_unhealthy(void)
{
    struct px_lb_host h[5];
    hosts_init(h, 5);
    h[2].healthy = 0; /* 80% healthy: no panic */
    struct px_lb_cfg c = cfg_of(PX_LB_ROUND_ROBIN);
    struct px_lb lb;
    px_lb_init(&lb, &c, 5);
    static const uint64_t start[] = {3}; /* the first pick starts at a random host */
    struct seq s = {start, 1, 0};
    static const int want[] = {3, 4, 0, 1, 3, 4, 0, 1, 3};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int panic = 1;
        CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, &panic), want[i]);
        CU_ASSERT_EQUAL(panic, 0);
    }
    CU_ASSERT_EQUAL(s.next, 1); /* one draw only, for the start */
    h[2].healthy = 1;           /* it rejoins in its place in the cycle */
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 4);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 0);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 1);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 2);
    CU_ASSERT_EQUAL(lb.panics, 0);
    px_lb_free(&lb);
}

static void test_lb_weighted_round_robin_edf_shares_are_exact(void)
{
    struct px_lb_host h[3];
    hosts_init(h, 3);
    h[0].weight = 1;
    h[1].weight = 2;
    h[2].weight = 3;
    struct px_lb_cfg c = cfg_of(PX_LB_ROUND_ROBIN);
    struct px_lb lb;
    px_lb_init(&lb, &c, 3);
    struct seq none = {NULL, 0, 0}; /* EDF draws no random numbers */
    int seq[600], counts[3] = {0};
    for (int i = 0; i < 600; i++) {
        seq[i] = px_lb_pick(&lb, h, seq_random, &none, NULL);
        counts[seq[i]]++;
    }
    CU_ASSERT_EQUAL(counts[0], 100);
    CU_ASSERT_EQUAL(counts[1], 200);
    CU_ASSERT_EQUAL(counts[2], 300);
    /* deadlines 1/3, 1/2, 2/3, then 1, 1, 1 broken by index */
    static const int first[] = {2, 1, 2, 0, 1, 2};
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(seq[i], first[i]);
    /* smooth: every whole cycle of 6 picks has the exact shares */
    for (int cyc = 0; cyc < 100; cyc++) {
        int per[3] = {0};
        for (int i = 0; i < 6; i++) per[seq[6 * cyc + i]]++;
        CU_ASSERT(per[0] == 1 && per[1] == 2 && per[2] == 3);
    }
    /* deterministic: a second balancer repeats the sequence */
    struct px_lb lb2;
    px_lb_init(&lb2, &c, 3);
    for (int i = 0; i < 600; i++)
        CU_ASSERT_EQUAL(px_lb_pick(&lb2, h, seq_random, &none, NULL), seq[i]);
    px_lb_free(&lb2);
    px_lb_free(&lb);
}

static void test_lb_weighted_round_robin_returning_host_gets_no_burst(void)
{
    struct px_lb_host h[4];
    hosts_init(h, 4);
    h[0].weight = 1;
    h[1].weight = 2;
    h[2].weight = 3;
    h[3].weight = 3;
    struct px_lb_cfg c = cfg_of(PX_LB_ROUND_ROBIN);
    struct px_lb lb;
    px_lb_init(&lb, &c, 4);
    struct seq none = {NULL, 0, 0};
    int counts[4] = {0};
    for (int i = 0; i < 90; i++) px_lb_pick(&lb, h, seq_random, &none, NULL);
    h[3].healthy = 0; /* ejected for a while, its place in the schedule left behind */
    for (int i = 0; i < 600; i++) counts[px_lb_pick(&lb, h, seq_random, &none, NULL)]++;
    CU_ASSERT_EQUAL(counts[3], 0);
    h[3].healthy = 1;
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < 18; i++) counts[px_lb_pick(&lb, h, seq_random, &none, NULL)]++;
    /* two cycles of 9: its share, not the 600 picks it missed */
    CU_ASSERT(counts[3] >= 5 && counts[3] <= 7);
    for (int i = 0; i < 882; i++) counts[px_lb_pick(&lb, h, seq_random, &none, NULL)]++;
    ASSERT_ABS(counts[3], 300, 2);
    ASSERT_ABS(counts[0], 100, 2);
    px_lb_free(&lb);
}

/* ---------------------------------------------------------------- least request */

static void test_lb_least_request_p2c_takes_fewer_active_first_on_ties(void)
{
    struct px_lb_host h[6];
    hosts_init(h, 6);
    struct px_lb_cfg c = cfg_of(PX_LB_LEAST_REQUEST);
    struct px_lb lb;
    px_lb_init(&lb, &c, 6);
    static const uint64_t draws[] = {3, 5, 3, 5, 9 /* 9 % 6 = 3 */, 5, 1, 1};
    struct seq s = {draws, 8, 0};
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 3); /* tie: first drawn */
    h[5].active = 0;
    h[3].active = 1;
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 5);
    h[5].active = 2;
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 3);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 1); /* drawn twice */
    CU_ASSERT_EQUAL(s.next, 8);
    px_lb_free(&lb);
}

static void test_lb_least_request_busy_host_almost_never_picked(void)
{
    enum { N = 100000, HOSTS = 10 };
    struct px_lb_host h[HOSTS];
    hosts_init(h, HOSTS);
    h[0].active = 100;
    struct px_lb_cfg c = cfg_of(PX_LB_LEAST_REQUEST);
    struct px_lb lb;
    px_lb_init(&lb, &c, HOSTS);
    int counts[HOSTS] = {0};
    count_picks(&lb, h, 11, N, counts);
    /* P2C with replacement: only when both draws are host 0, p = 1/100 */
    double sd = sqrt(N * 0.01 * 0.99);
    ASSERT_ABS(counts[0], N * 0.01, 5 * sd);
    for (int i = 1; i < HOSTS; i++) ASSERT_ABS(counts[i], N * 0.11, 5 * sqrt(N * 0.11 * 0.89));
    px_lb_free(&lb);
    /* choice_count 1 (Envoy requires >= 2): one draw, a plain random pick, p = 1/10 */
    c.choice_count = 1;
    px_lb_init(&lb, &c, HOSTS);
    memset(counts, 0, sizeof counts);
    count_picks(&lb, h, 12, N, counts);
    ASSERT_ABS(counts[0], N * 0.1, 5 * sqrt(N * 0.1 * 0.9));
    px_lb_free(&lb);
    /* more choices: p = 1/1000 */
    c.choice_count = 3;
    px_lb_init(&lb, &c, HOSTS);
    memset(counts, 0, sizeof counts);
    count_picks(&lb, h, 13, N, counts);
    ASSERT_ABS(counts[0], N * 0.001, 5 * sqrt(N * 0.001));
    px_lb_free(&lb);
}

/* Picks with static active counts; returns the share of host 1. */
static double weighted_lr_share(double bias, uint32_t active1)
{
    struct px_lb_host h[2];
    hosts_init(h, 2);
    h[0].weight = 1;
    h[1].weight = 3;
    h[1].active = active1;
    struct px_lb_cfg c = cfg_of(PX_LB_LEAST_REQUEST);
    c.active_request_bias = bias;
    struct px_lb lb;
    px_lb_init(&lb, &c, 2);
    struct seq none = {NULL, 0, 0}; /* unequal weights: EDF, no random numbers */
    int n1 = 0;
    for (int i = 0; i < 1200; i++) n1 += px_lb_pick(&lb, h, seq_random, &none, NULL) == 1;
    px_lb_free(&lb);
    return n1 / 1200.0;
}

static void test_lb_weighted_least_request_uses_weight_over_active_pow_bias(void)
{
    /* weights 1 and 3, host 1 has 2 active: (active + 1) = 3 */
    ASSERT_ABS(weighted_lr_share(1.0, 0), 3.0 / 4, 1e-9); /* 1 : 3 */
    ASSERT_ABS(weighted_lr_share(1.0, 2), 1.0 / 2, 1e-9); /* 1 : 3/3 */
    ASSERT_ABS(weighted_lr_share(0.0, 2), 3.0 / 4, 1e-9); /* bias 0: like round robin */
    ASSERT_ABS(weighted_lr_share(2.0, 2), 1.0 / 4, 1e-9); /* 1 : 3/9 */
    ASSERT_ABS(weighted_lr_share(0.5, 8), 1.0 / 2, 1e-9); /* 1 : 3/sqrt(9) */
}

static void test_lb_weighted_least_request_busy_host_loses_share(void)
{
    /* weights 1 and 4; the engine counts each pick as active and nothing completes, so the
       heavy host's dynamic weight 4 / (active + 1) falls and it gets less than 4/5 of picks */
    struct px_lb_host h[2];
    hosts_init(h, 2);
    h[0].weight = 1;
    h[1].weight = 4;
    struct px_lb_cfg c = cfg_of(PX_LB_LEAST_REQUEST);
    struct px_lb lb;
    px_lb_init(&lb, &c, 2);
    struct seq none = {NULL, 0, 0};
    for (int i = 0; i < 100; i++) h[px_lb_pick(&lb, h, seq_random, &none, NULL)].active++;
    CU_ASSERT(h[1].active > 50 && h[1].active < 75);
    /* with bias 0 active requests are ignored: exactly 4/5 */
    px_lb_free(&lb);
    c.active_request_bias = 0.0;
    px_lb_init(&lb, &c, 2);
    h[0].active = h[1].active = 0;
    for (int i = 0; i < 100; i++) h[px_lb_pick(&lb, h, seq_random, &none, NULL)].active++;
    CU_ASSERT_EQUAL(h[1].active, 80);
    px_lb_free(&lb);
}

/* ---------------------------------------------------------------- random */

static void test_lb_random_is_uniform(void)
{
    enum { N = 80000, HOSTS = 8 };
    struct px_lb_host h[HOSTS];
    hosts_init(h, HOSTS);
    struct px_lb_cfg c = cfg_of(PX_LB_RANDOM);
    struct px_lb lb;
    px_lb_init(&lb, &c, HOSTS);
    int counts[HOSTS] = {0};
    count_picks(&lb, h, 21, N, counts);
    double sd = sqrt(N * (1.0 / HOSTS) * (1 - 1.0 / HOSTS));
    double chi2 = 0;
    for (int i = 0; i < HOSTS; i++) {
        ASSERT_ABS(counts[i], N / HOSTS, 5 * sd);
        chi2 += pow(counts[i] - N / HOSTS, 2) / (N / HOSTS);
    }
    CU_ASSERT(chi2 < 24.3); /* chi-square, 7 degrees of freedom, p = 0.001 */
    /* exact: random % healthy hosts, in index order */
    h[1].healthy = 0;
    static const uint64_t draws[] = {0, 1, 6, 7};
    struct seq s = {draws, 4, 0};
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 0);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 2);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 7);
    CU_ASSERT_EQUAL(px_lb_pick(&lb, h, seq_random, &s, NULL), 0); /* 7 % 7 */
    px_lb_free(&lb);
}

/* ---------------------------------------------------------------- excluded hosts */

static void test_lb_excluded_hosts_are_avoided_when_others_exist(void)
{
    static const enum px_lb_policy policies[] = {PX_LB_ROUND_ROBIN, PX_LB_LEAST_REQUEST,
                                                 PX_LB_RANDOM};
    for (int weighted = 0; weighted < 2; weighted++) {
        for (size_t p = 0; p < 3; p++) {
            struct px_lb_host h[5];
            hosts_init(h, 5);
            if (weighted) h[4].weight = 5;
            h[1].excluded = h[2].excluded = 1;
            struct px_lb_cfg c = cfg_of(policies[p]);
            struct px_lb lb;
            px_lb_init(&lb, &c, 5);
            int counts[5] = {0};
            count_picks(&lb, h, 31 + p, 1000, counts);
            CU_ASSERT_EQUAL(counts[1] + counts[2], 0);
            CU_ASSERT(counts[0] > 0 && counts[3] > 0 && counts[4] > 0);
            /* every healthy host excluded: they are picked anyway */
            h[0].excluded = h[3].excluded = h[4].excluded = 1;
            memset(counts, 0, sizeof counts);
            count_picks(&lb, h, 41 + p, 1000, counts);
            for (int i = 0; i < 5; i++) CU_ASSERT(counts[i] > 0);
            /* excluded healthy hosts win over unhealthy ones (no panic at 60% healthy) */
            h[0].healthy = h[3].healthy = 0;
            h[1].excluded = h[2].excluded = h[4].excluded = 1;
            h[0].excluded = h[3].excluded = 0;
            memset(counts, 0, sizeof counts);
            CU_ASSERT_EQUAL(count_picks(&lb, h, 51 + p, 1000, counts), 0);
            CU_ASSERT_EQUAL(counts[0] + counts[3], 0);
            px_lb_free(&lb);
        }
    }
}

/* ---------------------------------------------------------------- panic */

static void test_lb_panic_uses_every_host_below_threshold(void)
{
    enum { HOSTS = 10 };
    struct px_lb_host h[HOSTS];
    hosts_init(h, HOSTS);
    for (int i = 0; i < 6; i++) h[i].healthy = 0; /* 40% healthy < 50% */
    struct px_lb_cfg c = cfg_of(PX_LB_RANDOM);
    struct px_lb lb;
    px_lb_init(&lb, &c, HOSTS);
    int counts[HOSTS] = {0};
    CU_ASSERT_EQUAL(count_picks(&lb, h, 61, 10000, counts), 10000);
    CU_ASSERT_EQUAL(lb.panics, 10000);
    for (int i = 0; i < HOSTS; i++) CU_ASSERT(counts[i] > 800);
    h[5].healthy = 1; /* 50% is not below 50%: healthy hosts only */
    memset(counts, 0, sizeof counts);
    CU_ASSERT_EQUAL(count_picks(&lb, h, 62, 1000, counts), 0);
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(counts[i], 0);
    /* nothing healthy: panic too, so there is still a host */
    for (int i = 0; i < HOSTS; i++) h[i].healthy = 0;
    int panic = 0;
    struct fl_rng r;
    fl_rng_seed(&r, 63);
    CU_ASSERT(px_lb_pick(&lb, h, rng_random, &r, &panic) >= 0);
    CU_ASSERT_EQUAL(panic, 1);
    px_lb_free(&lb);
}

/*
 * Absent hosts (withdrawn by EDS) are not in the host set: never picked,
 * not counted for panic. Of 4 hosts, 2 absent and 1 of the 2 left
 * unhealthy is 50% healthy: no panic (counted as unhealthy it would be
 * 25%, a panic over every host); every pick is host 3.
 */
static void test_lb_absent_hosts_are_outside_the_host_set(void)
{
    static const enum px_lb_policy policies[] = {PX_LB_ROUND_ROBIN, PX_LB_LEAST_REQUEST,
                                                 PX_LB_RANDOM, PX_LB_RING_HASH, PX_LB_MAGLEV};
    for (size_t p = 0; p < sizeof policies / sizeof *policies; p++) {
        struct px_lb_host h[4];
        hosts_init(h, 4);
        h[0].absent = h[1].absent = 1;
        h[2].healthy = 0;
        struct px_lb_cfg c = cfg_of(policies[p]);
        struct px_lb lb;
        px_lb_init(&lb, &c, 4);
        int counts[4] = {0};
        CU_ASSERT_EQUAL(count_picks(&lb, h, 71, 1000, counts), 0);
        CU_ASSERT_EQUAL(counts[3], 1000);
        /* every host left absent: no pick at all ("no healthy upstream"), panic or not */
        h[2].absent = h[3].absent = 1;
        struct fl_rng r;
        fl_rng_seed(&r, 72);
        CU_ASSERT_EQUAL(px_lb_pick(&lb, h, rng_random, &r, NULL), -1);
        px_lb_free(&lb);
    }
    /* Kong's threshold counts the weight in the set only: 1 of 2 present = 50% > 0 */
    struct px_lb_host h[3];
    hosts_init(h, 3);
    h[0].absent = 1;
    h[1].healthy = 0;
    struct px_lb_cfg c = cfg_of(PX_LB_ROUND_ROBIN);
    c.min_healthy_weight = 40; /* 50% healthy of what is present (33% of all) */
    struct px_lb lb;
    px_lb_init(&lb, &c, 3);
    int counts[3] = {0};
    count_picks(&lb, h, 73, 100, counts);
    CU_ASSERT_EQUAL(counts[2], 100);
    px_lb_free(&lb);
}

static void test_lb_panic_disabled_and_none_healthy_picks_nothing(void)
{
    static const enum px_lb_policy policies[] = {PX_LB_ROUND_ROBIN, PX_LB_LEAST_REQUEST,
                                                 PX_LB_RANDOM};
    for (size_t p = 0; p < 3; p++) {
        struct px_lb_host h[4];
        hosts_init(h, 4);
        for (int i = 0; i < 4; i++) h[i].healthy = 0;
        struct px_lb_cfg c = cfg_of(policies[p]);
        c.panic_threshold = 0; /* Istio's default minHealthPercent */
        struct px_lb lb;
        px_lb_init(&lb, &c, 4);
        struct fl_rng r;
        fl_rng_seed(&r, 71);
        int panic = 1;
        CU_ASSERT_EQUAL(px_lb_pick(&lb, h, rng_random, &r, &panic), -1);
        CU_ASSERT_EQUAL(panic, 0);
        /* and one healthy host of four takes everything, with no panic */
        h[2].healthy = 1;
        for (int i = 0; i < 20; i++) {
            CU_ASSERT_EQUAL(px_lb_pick(&lb, h, rng_random, &r, &panic), 2);
            CU_ASSERT_EQUAL(panic, 0);
        }
        px_lb_free(&lb);
    }
    struct px_lb_cfg c = cfg_of(PX_LB_ROUND_ROBIN);
    struct px_lb lb;
    px_lb_init(&lb, &c, 0);
    struct seq none = {NULL, 0, 0};
    CU_ASSERT_EQUAL(px_lb_pick(&lb, NULL, seq_random, &none, NULL), -1);
    px_lb_free(&lb);
}

static int panics_with(uint32_t n, uint32_t healthy, double threshold)
{
    struct px_lb_host h[NH_MAX];
    hosts_init(h, n);
    for (uint32_t i = healthy; i < n; i++) h[i].healthy = 0;
    struct px_lb_cfg c = cfg_of(PX_LB_RANDOM);
    c.panic_threshold = threshold;
    struct px_lb lb;
    px_lb_init(&lb, &c, n);
    struct fl_rng r;
    fl_rng_seed(&r, 81);
    int panic = -1;
    px_lb_pick(&lb, h, rng_random, &r, &panic);
    px_lb_free(&lb);
    return panic;
}

static void test_lb_panic_respects_overprovisioning_factor(void)
{
    /* 75% healthy is below 80%, but 1.4 x 75% = 105% counts as fully available */
    CU_ASSERT_EQUAL(panics_with(4, 3, 80), 0);
    /* 70%: 1.4 x 70% = 98%, and 70% < 80%: panic */
    CU_ASSERT_EQUAL(panics_with(10, 7, 80), 1);
    /* a threshold above 71.4% with 5/7 healthy: 140 * 5 / 7 = 100: no panic */
    CU_ASSERT_EQUAL(panics_with(7, 5, 100), 0);
    CU_ASSERT_EQUAL(panics_with(7, 4, 100), 1);
    /* default 50% */
    CU_ASSERT_EQUAL(panics_with(20, 9, 50), 1);
    CU_ASSERT_EQUAL(panics_with(20, 10, 50), 0);
    /* the threshold is a whole percent, rounded */
    CU_ASSERT_EQUAL(panics_with(20, 9, 45.4), 0); /* 45% is not below 45 */
    CU_ASSERT_EQUAL(panics_with(20, 9, 45.5), 1); /* 45% < 46 */
}

/*
 * Kong's threshold (balancers.lua updateStatus): the balancer is healthy
 * while (total - unavailable) / total * 100 > threshold, by weight, and an
 * unhealthy one gives no peer at all (getPeer), whatever the policy.
 */
static int kong_pick(const uint32_t *weights, const uint8_t *healthy, uint32_t n, double threshold)
{
    struct px_lb_host h[NH_MAX];
    for (uint32_t i = 0; i < n; i++)
        h[i] = (struct px_lb_host){.weight = weights[i], .healthy = healthy[i]};
    struct px_lb_cfg c = cfg_of(PX_LB_ROUND_ROBIN);
    c.panic_threshold = 0;
    c.min_healthy_weight = threshold;
    struct px_lb lb;
    px_lb_init(&lb, &c, n);
    struct fl_rng r;
    fl_rng_seed(&r, 91);
    int panic = -1;
    int k = px_lb_pick(&lb, h, rng_random, &r, &panic);
    CU_ASSERT_EQUAL(panic, 0);
    px_lb_free(&lb);
    return k;
}

static void test_lb_kong_threshold_by_weight(void)
{
    static const uint32_t w[] = {100, 100, 100, 100, 100};
    static const uint8_t two_down[] = {0, 0, 1, 1, 1}, three_down[] = {0, 0, 0, 1, 1};
    /* Kong's example: threshold 55, five targets of weight 100; 60% left is enough */
    CU_ASSERT(kong_pick(w, two_down, 5, 55) >= 2);
    /* ... 40% is not: no peer at all, though two healthy hosts are there */
    CU_ASSERT_EQUAL(kong_pick(w, three_down, 5, 55), -1);
    CU_ASSERT(kong_pick(w, three_down, 5, 0) >= 3); /* 0: no such check */
    /* strictly above: exactly 60% at threshold 60 is unhealthy */
    CU_ASSERT_EQUAL(kong_pick(w, two_down, 5, 60), -1);
    CU_ASSERT(kong_pick(w, two_down, 5, 59.9) >= 2);
    /* by weight, not by count: the heavy host alone holds 75% */
    static const uint32_t heavy[] = {300, 50, 50};
    static const uint8_t only_heavy[] = {1, 0, 0}, only_light[] = {0, 1, 1};
    CU_ASSERT_EQUAL(kong_pick(heavy, only_heavy, 3, 70), 0);
    CU_ASSERT(kong_pick(heavy, only_light, 3, 20) >= 1); /* 25% */
    CU_ASSERT_EQUAL(kong_pick(heavy, only_light, 3, 25), -1);
    /* 100 is never exceeded: the balancer is never healthy, as in Kong */
    static const uint8_t all[] = {1, 1, 1, 1, 1};
    CU_ASSERT_EQUAL(kong_pick(w, all, 5, 100), -1);
}

void suite_lb(void)
{
    TEST_SUITE("proxies/lb");
    TEST_ADD(test_lb_envoy_defaults);
    TEST_ADD(test_lb_round_robin_cycles_in_index_order_skipping_unhealthy);
    TEST_ADD(test_lb_weighted_round_robin_edf_shares_are_exact);
    TEST_ADD(test_lb_weighted_round_robin_returning_host_gets_no_burst);
    TEST_ADD(test_lb_least_request_p2c_takes_fewer_active_first_on_ties);
    TEST_ADD(test_lb_least_request_busy_host_almost_never_picked);
    TEST_ADD(test_lb_weighted_least_request_uses_weight_over_active_pow_bias);
    TEST_ADD(test_lb_weighted_least_request_busy_host_loses_share);
    TEST_ADD(test_lb_random_is_uniform);
    TEST_ADD(test_lb_excluded_hosts_are_avoided_when_others_exist);
    TEST_ADD(test_lb_panic_uses_every_host_below_threshold);
    TEST_ADD(test_lb_panic_disabled_and_none_healthy_picks_nothing);
    TEST_ADD(test_lb_panic_respects_overprovisioning_factor);
    TEST_ADD(test_lb_kong_threshold_by_weight);
    TEST_ADD(test_lb_absent_hosts_are_outside_the_host_set);
}
