/*
 * test_link.c - netem/link.c: delay and jitter distributions as netem's
 * tables define them, netem's correlation, random and Gilbert-Elliott loss,
 * serialization behind a bounded transmit queue.
 *
 * Statistical tests use fixed seeds; every tolerance is 5 standard errors
 * of the estimate (derived next to it) unless it says otherwise, so a test
 * fails on a wrong formula, not on bad luck.
 */
#include <stdint.h>
#include <string.h>

#include "netem/link.h"
#include "tests/testutil.h"

void suite_link(void);

#define MS  INT64_C(1000000)
#define SEC INT64_C(1000000000)

/* 8.192 ms: the table's top, jitter * 32767/8192, is then a whole 32.767 ms. */
#define JITTER_8192 INT64_C(8192000)

struct stats {
    double n, sum, sumsq;
};

static void stats_add(struct stats *s, double x)
{
    s->n += 1;
    s->sum += x;
    s->sumsq += x * x;
}

static double stats_mean(const struct stats *s)
{
    return s->sum / s->n;
}

static double stats_sd(const struct stats *s)
{
    double m = stats_mean(s);
    return sqrt((s->sumsq - s->n * m * m) / (s->n - 1));
}

static void link_make(struct net_link *l, const struct net_link_cfg *cfg, uint64_t seed)
{
    struct fl_rng r;
    fl_rng_seed(&r, seed);
    net_link_init(l, cfg, &r);
}

/* The delay of one packet sent at t_ns on a link without rate or loss. */
static int64_t delay_of(struct net_link *l, int64_t t_ns)
{
    int64_t a = -1;
    CU_ASSERT_FATAL(net_link_packet(l, t_ns, 100, 0, &a) == 1);
    CU_ASSERT(a >= t_ns);
    return a - t_ns;
}

static struct net_link_cfg jitter_cfg(int64_t delay_ns, int64_t jitter_ns, enum net_jitter_dist d)
{
    struct net_link_cfg c;
    net_link_cfg_default(&c);
    c.delay_ns = delay_ns;
    c.jitter_ns = jitter_ns;
    c.dist = d;
    return c;
}

/* Standard normal CDF, for checking quantiles independently of link.c. */
static double phi_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* iproute2 pareto.c's value at uniform u, in units of jitter (clamped at s16). */
static double pareto_table(double u)
{
    double t = (pow(1.0 - u, -1.0 / 3.0) - 1.5) * 4.0 / 3.0;
    return t > 32767.0 / 8192.0 ? 32767.0 / 8192.0 : t;
}

static void test_link_ideal_is_instantaneous_and_draws_nothing(void)
{
    struct net_link_cfg c;
    net_link_cfg_default(&c);
    CU_ASSERT_TRUE(net_link_cfg_ideal(&c));
    CU_ASSERT_EQUAL(c.queue_packets, 1000);
    struct net_link l;
    link_make(&l, &c, 1);
    struct fl_rng before = l.rng;
    for (int64_t t = 0; t < 1000; t += 7) {
        int64_t a = -1;
        CU_ASSERT_EQUAL(net_link_packet(&l, t, 1500, 0, &a), 1);
        CU_ASSERT_EQUAL(a, t);
    }
    CU_ASSERT(memcmp(&before, &l.rng, sizeof before) == 0);
    CU_ASSERT_EQUAL(l.packets, 143);
    CU_ASSERT_EQUAL(l.bytes, 143 * 1500);
    c.rate_bps = 1e6;
    CU_ASSERT_FALSE(net_link_cfg_ideal(&c));
    c.rate_bps = 0;
    c.loss.model = NET_LOSS_RANDOM;
    c.loss.p = 0.01;
    CU_ASSERT_FALSE(net_link_cfg_ideal(&c));
}

static void test_link_constant_delay_is_exact_and_draws_nothing(void)
{
    struct net_link_cfg c = jitter_cfg(25 * MS, 0, NET_JITTER_NORMAL);
    struct net_link l;
    link_make(&l, &c, 2);
    struct fl_rng before = l.rng;
    for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(delay_of(&l, i * MS), 25 * MS);
    CU_ASSERT(memcmp(&before, &l.rng, sizeof before) == 0); /* tabledist: sigma 0, no draw */
}

static void test_link_uniform_jitter_bounds_and_mean(void)
{
    struct net_link_cfg c = jitter_cfg(100 * MS, 10 * MS, NET_JITTER_UNIFORM);
    struct net_link l;
    link_make(&l, &c, 3);
    struct stats s = {0};
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < 200000; i++) {
        int64_t d = delay_of(&l, i * MS);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        stats_add(&s, (double)d);
    }
    /* netem: delay - jitter + rnd % (2 jitter): [90 ms, 110 ms) */
    CU_ASSERT(lo >= 90 * MS && hi < 110 * MS);
    CU_ASSERT(lo < 90 * MS + 1000 && hi > 110 * MS - 1000); /* 2e5 draws reach the ends */
    /* sd = 20 ms / sqrt(12) = 5.77 ms; se of the mean 5.77 ms / 447 = 12.9 us */
    ASSERT_ABS(stats_mean(&s), 100 * MS, 65e3);
    ASSERT_REL(stats_sd(&s), 20.0 * MS / sqrt(12.0), 0.01);
}

static void test_link_normal_jitter_mean_and_stddev(void)
{
    struct net_link_cfg c = jitter_cfg(100 * MS, 10 * MS, NET_JITTER_NORMAL);
    struct net_link l;
    link_make(&l, &c, 4);
    struct stats s = {0};
    int n = 200000;
    for (int i = 0; i < n; i++) stats_add(&s, (double)delay_of(&l, i * MS));
    /* se of the mean 10 ms / 447 = 22 us; of the sd 10 ms / sqrt(2n) = 16 us (0.16%) */
    ASSERT_ABS(stats_mean(&s), 100 * MS, 112e3);
    ASSERT_REL(stats_sd(&s), 10 * MS, 0.008);
}

/* With correlation 1 the uniform is corr_last itself: check Phi(value) == u. */
static void test_link_normal_table_is_the_normal_quantile(void)
{
    struct net_link_cfg c = jitter_cfg(5 * SEC, SEC, NET_JITTER_NORMAL);
    c.correlation = 1.0;
    struct net_link l;
    link_make(&l, &c, 5);
    const double targets[] = {0.0005, 0.01, 0.02425, 0.3, 0.5, 0.75, 0.98, 0.9995};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        l.corr_last = (uint32_t)(targets[i] * 4294967296.0);
        double u = ((double)l.corr_last + 0.5) / 4294967296.0;
        double t = (double)(delay_of(&l, 0) - 5 * SEC) / (double)SEC;
        /* the delay is rounded to 1 ns = 1e-9 jitter: Phi moves by <= pdf * 5e-10 */
        double pdf = exp(-0.5 * t * t) / sqrt(2 * M_PI);
        ASSERT_ABS(phi_cdf(t), u, pdf * 6e-10 + 1e-15);
    }
    /* beyond 4 sd the s16 table clamps: [-32768, 32767] / 8192 */
    l.corr_last = 0;
    CU_ASSERT_EQUAL(delay_of(&l, 0), 5 * SEC - 4 * SEC);
    l.corr_last = UINT32_MAX;
    CU_ASSERT_EQUAL(delay_of(&l, 0), 5 * SEC + 3999877930); /* 1e9 * 32767 / 8192, rounded */
}

static void test_link_negative_delays_clamp_to_zero(void)
{
    struct net_link_cfg c = jitter_cfg(1 * MS, 10 * MS, NET_JITTER_NORMAL);
    struct net_link l;
    link_make(&l, &c, 6);
    int n = 100000, zero = 0;
    for (int i = 0; i < n; i++) zero += delay_of(&l, i * MS) == 0; /* delay_of checks >= 0 */
    /* P(1 ms + 10 ms Z <= 0) = Phi(-0.1) = 0.460172; binomial sd 0.00158 */
    ASSERT_ABS((double)zero / n, 0.460172, 0.0079);
}

static void test_link_correlation_one_repeats_the_previous_value(void)
{
    struct net_link_cfg c = jitter_cfg(100 * MS, 10 * MS, NET_JITTER_UNIFORM);
    c.correlation = 1.0;
    struct net_link l;
    link_make(&l, &c, 7);
    uint32_t last = l.corr_last;
    /* netem: rho + 1 = 2^32, so (fresh * 0 + last * 2^32) >> 32 = last */
    int64_t expect = 90 * MS + (int64_t)(((uint64_t)last * (uint64_t)(20 * MS)) >> 32);
    for (int i = 0; i < 1000; i++) CU_ASSERT_EQUAL(delay_of(&l, i * MS), expect);
    CU_ASSERT_EQUAL(l.corr_last, last);
}

/* Lag-1 autocorrelation and sd of n delays drawn with correlation rho. */
static void corr_run(double rho, uint64_t seed, double *r1, double *sd)
{
    struct net_link_cfg c = jitter_cfg(100 * MS, 10 * MS, NET_JITTER_UNIFORM);
    c.correlation = rho;
    struct net_link l;
    link_make(&l, &c, seed);
    struct stats s = {0};
    double prev = 0, cross = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = (double)(delay_of(&l, i * MS) - 100 * MS);
        if (i > 0) cross += x * prev;
        prev = x;
        stats_add(&s, x);
    }
    double m = stats_mean(&s);
    *sd = stats_sd(&s);
    *r1 = (cross / (n - 1) - m * m) / (*sd * *sd);
}

/*
 * netem's u_n = (1 - rho) v_n + rho u_{n-1} (v fresh uniform) is an AR(1):
 * lag-1 autocorrelation rho, Var u = (1 - rho) / (12 (1 + rho)). At rho = 1/2
 * the sd of u is 1/6 instead of 1/sqrt(12): the jitter's sd is 2 * 10 ms / 6
 * (netem's correlation narrows the distribution; that is what it does).
 */
static void test_link_correlation_mixes_like_netem(void)
{
    double r1, sd;
    corr_run(0.5, 8, &r1, &sd);
    /* se of r1 ~ sqrt((1 - rho^2) / n) = 0.0019 */
    ASSERT_ABS(r1, 0.5, 0.01);
    /* se of sd ~ sqrt(1.67 * (kurtosis 2.3 - 1) / 4n) = 0.17%; 1.5% */
    ASSERT_REL(sd, 20.0 * MS / 6.0, 0.015);
    corr_run(0.0, 9, &r1, &sd);
    ASSERT_ABS(r1, 0.0, 0.012); /* se 1 / sqrt(n) = 0.0022 */
    ASSERT_REL(sd, 20.0 * MS / sqrt(12.0), 0.01);
}

/* iproute2 pareto.c: t(u) = ((1 - u)^(-1/3) - 1.5) * 4/3, clamped at 32767/8192. */
static void test_link_pareto_maps_uniform_like_the_table(void)
{
    struct net_link_cfg c = jitter_cfg(5 * SEC, SEC, NET_JITTER_PARETO);
    c.correlation = 1.0;
    struct net_link l;
    link_make(&l, &c, 10);
    const uint32_t at[] = {0, 1u << 30, 1u << 31, 3u << 30, 4250000000u};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        l.corr_last = at[i];
        double u = ((double)at[i] + 0.5) / 4294967296.0;
        ASSERT_ABS(delay_of(&l, 0), 5 * SEC + SEC * pareto_table(u), 1.0);
    }
    l.corr_last = 0; /* Pareto's minimum 1: (1 - 1.5) * 4/3 = -2/3 */
    ASSERT_ABS(delay_of(&l, 0), 5 * SEC - SEC * 2.0 / 3.0, 1.0);
    l.corr_last = UINT32_MAX; /* tail beyond X = 4.49991: clamped */
    CU_ASSERT_EQUAL(delay_of(&l, 0), 5 * SEC + 3999877930);
}

/*
 * X ~ Pareto(1, 3) capped at c = 1.5 + 0.75 * 32767/8192 (the s16 clamp):
 * E min(X, c) = 1.5 - c^-2 / 2, E min(X, c)^2 = 3 - 2/c, P(X >= c) = c^-3.
 * The jitter is 4/3 (min(X, c) - 1.5) times jitter_ns.
 */
static void test_link_pareto_jitter_has_the_tables_moments(void)
{
    struct net_link_cfg c = jitter_cfg(100 * MS, JITTER_8192, NET_JITTER_PARETO);
    struct net_link l;
    link_make(&l, &c, 11);
    double cap = 1.5 + 0.75 * 32767.0 / 8192.0;
    double ex = 1.5 - 0.5 / (cap * cap), ex2 = 3.0 - 2.0 / cap;
    double mean_t = (ex - 1.5) * 4.0 / 3.0, sd_t = sqrt(ex2 - ex * ex) * 4.0 / 3.0;
    struct stats s = {0};
    int n = 1000000, at_cap = 0;
    int64_t lo = INT64_MAX, top = 100 * MS + 32767 * 1000;
    for (int i = 0; i < n; i++) {
        int64_t d = delay_of(&l, i * MS);
        CU_ASSERT(d <= top);
        at_cap += d == top;
        lo = d < lo ? d : lo;
        stats_add(&s, (double)(d - 100 * MS) / (double)JITTER_8192);
    }
    CU_ASSERT(lo >= 100 * MS - JITTER_8192 * 2 / 3 - 1);
    /* mean_t = -0.0329 (not 0: the clamp); sd_t 0.821; se 0.821 / 1000: 5 se = 0.0041 */
    ASSERT_ABS(stats_mean(&s), mean_t, 0.0041);
    /* bounded variable, kurtosis ~ 10: se of sd ~ sqrt(9 / 4n) = 0.15%; 1% */
    ASSERT_REL(stats_sd(&s), sd_t, 0.01);
    /* P(X >= cap) = 0.010975; binomial sd 104 packets */
    ASSERT_ABS(at_cap, n * pow(cap, -3.0), 522);
}

/* iproute2 paretonormal.c: (normal(u) + 3 pareto(u)) / 4 from the same u. */
static void test_link_paretonormal_has_the_tables_quantiles(void)
{
    struct net_link_cfg c = jitter_cfg(5 * SEC, SEC, NET_JITTER_PARETONORMAL);
    c.correlation = 1.0;
    struct net_link l;
    link_make(&l, &c, 12);
    /* u within 1.2e-10 of 0.9: the value moves by < 1 ns; Phi^-1(0.9) = 1.2815515655446004 */
    l.corr_last = (uint32_t)(0.9 * 4294967296.0 - 0.5);
    double expect = 0.25 * 1.2815515655446004 + 0.75 * pareto_table(0.9);
    ASSERT_ABS(delay_of(&l, 0), 5 * SEC + SEC * expect, 3.0);

    /* the fraction of samples below each quantile is the quantile's p */
    c = jitter_cfg(100 * MS, 10 * MS, NET_JITTER_PARETONORMAL);
    link_make(&l, &c, 13);
    const double p[] = {0.1, 0.5, 0.9, 0.99};
    const double z[] = {-1.2815515655446004, 0.0, 1.2815515655446004, 2.3263478740408408};
    int below[4] = {0}, n = 400000;
    for (int i = 0; i < n; i++) {
        double t = (double)(delay_of(&l, i * MS) - 100 * MS) / (10.0 * MS);
        for (int k = 0; k < 4; k++) below[k] += t <= 0.25 * z[k] + 0.75 * pareto_table(p[k]);
    }
    /* binomial sd sqrt(p (1 - p) / n) <= 0.00079 */
    for (int k = 0; k < 4; k++) ASSERT_ABS((double)below[k] / n, p[k], 0.004);
}

static void test_link_lognormal_has_mean_delay_and_sd_jitter(void)
{
    struct net_link_cfg c = jitter_cfg(100 * MS, 50 * MS, NET_JITTER_LOGNORMAL);
    struct net_link l;
    link_make(&l, &c, 14);
    struct stats s = {0};
    int n = 1000000, below_median = 0;
    double median = 100.0 * MS / sqrt(1.25); /* exp(mu) = mean / sqrt(1 + cv^2) */
    for (int i = 0; i < n; i++) {
        int64_t d = delay_of(&l, i * MS);
        below_median += d <= median;
        stats_add(&s, (double)d);
    }
    /* se of the mean 50 ms / 1000 = 50 us; kurtosis 8.0: se of the sd 0.13% */
    ASSERT_ABS(stats_mean(&s), 100 * MS, 250e3);
    ASSERT_REL(stats_sd(&s), 50 * MS, 0.0066);
    ASSERT_ABS((double)below_median / n, 0.5, 0.0025); /* binomial sd 0.0005 */
}

static void test_link_random_loss_rate(void)
{
    struct net_link_cfg c;
    net_link_cfg_default(&c);
    c.loss.model = NET_LOSS_RANDOM;
    c.loss.p = 0.1;
    struct net_link l;
    link_make(&l, &c, 15);
    int n = 100000, got = 0;
    for (int i = 0; i < n; i++) {
        int64_t a;
        if (net_link_packet(&l, i, 100, 0, &a)) {
            got++;
            CU_ASSERT_EQUAL(a, i);
        }
    }
    CU_ASSERT_EQUAL(l.lost, (uint64_t)(n - got));
    ASSERT_ABS((double)l.lost, 10000, 475); /* binomial sd sqrt(n p (1 - p)) = 94.9 */
}

static struct net_link_cfg ge_cfg(double p, double r, double bad_loss, double good_loss)
{
    struct net_link_cfg c;
    net_link_cfg_default(&c);
    c.loss = (struct net_loss){NET_LOSS_GEMODEL, p, r, bad_loss, good_loss};
    return c;
}

/*
 * sch_netem.c loss_gilb_ell(): the transition is drawn first, but the loss
 * uses the state the packet found. With p = 1, r = 0, good_loss = 1,
 * bad_loss = 0 the first packet (found good) is lost and every later one
 * (found bad) arrives; losing by the new state would deliver them all.
 */
static void test_link_gemodel_loses_by_the_state_found(void)
{
    struct net_link_cfg c = ge_cfg(1.0, 0.0, 0.0, 1.0);
    struct net_link l;
    link_make(&l, &c, 16);
    int64_t a;
    CU_ASSERT_EQUAL(net_link_packet(&l, 0, 100, 0, &a), 0);
    for (int i = 1; i < 100; i++) CU_ASSERT_EQUAL(net_link_packet(&l, i, 100, 0, &a), 1);
    CU_ASSERT_EQUAL(l.lost, 1);
    /* r = 1: states alternate good, bad, good...: lost, kept, lost... */
    c = ge_cfg(1.0, 1.0, 0.0, 1.0);
    link_make(&l, &c, 17);
    for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(net_link_packet(&l, i, 100, 0, &a), i % 2);
}

/*
 * Stationary P(bad) = p / (p + r), so the loss rate is
 * (r good_loss + p bad_loss) / (p + r) = 0.0545 here. Losses are correlated:
 * Var of the mean = [m (1 - m) + 2 (b - g)^2 piG piB lambda / (1 - lambda)] / n
 * with lambda = 1 - p - r = 0.89: (0.0516 + 0.321) / n, sd 6.1e-4 at n = 1e6.
 */
static void test_link_gemodel_stationary_loss_rate(void)
{
    double p = 0.01, r = 0.1, bad = 0.5, good = 0.01;
    struct net_link_cfg c = ge_cfg(p, r, bad, good);
    struct net_link l;
    link_make(&l, &c, 18);
    int n = 1000000;
    int64_t a;
    for (int i = 0; i < n; i++) net_link_packet(&l, i, 100, 0, &a);
    ASSERT_ABS((double)l.lost / n, (r * good + p * bad) / (p + r), 0.00305);
}

/* bad_loss 1, good_loss 0: a burst is a stay in bad, geometric with mean 1/r. */
static void test_link_gemodel_mean_burst_length(void)
{
    struct net_link_cfg c = ge_cfg(0.05, 0.25, 1.0, 0.0);
    struct net_link l;
    link_make(&l, &c, 19);
    int n = 1000000, run = 0;
    struct stats bursts = {0};
    int64_t a;
    for (int i = 0; i < n; i++) {
        if (!net_link_packet(&l, i, 100, 0, &a)) {
            run++;
        } else if (run > 0) {
            stats_add(&bursts, run);
            run = 0;
        }
    }
    /* ~n piG p = 41667 bursts, sd of a length sqrt(1 - r) / r = 3.46: se 0.017 */
    ASSERT_ABS(stats_mean(&bursts), 4.0, 0.085);
    /* loss = being bad: sd of the rate sqrt(pi (1 - pi) (1 + lambda) / (1 - lambda) / n),
     * lambda = 1 - p - r = 0.7: sqrt(0.139 * 5.67 / 1e6) = 8.9e-4 */
    ASSERT_ABS((double)l.lost / n, 0.05 / 0.30, 0.0045);
}

static struct net_link_cfg rate_cfg(int64_t delay_ns, uint32_t queue_packets)
{
    struct net_link_cfg c;
    net_link_cfg_default(&c);
    c.delay_ns = delay_ns;
    c.rate_bps = 1e6;
    c.queue_packets = queue_packets;
    return c;
}

static void test_link_1500_bytes_at_1mbps_take_12ms(void)
{
    struct net_link_cfg c = rate_cfg(0, 1000);
    struct net_link l;
    link_make(&l, &c, 20);
    int64_t a;
    CU_ASSERT_EQUAL(net_link_packet(&l, 5 * MS, 1500, 0, &a), 1);
    CU_ASSERT_EQUAL(a, 5 * MS + 12 * MS);
    CU_ASSERT_EQUAL(l.busy_until_ns, 17 * MS);
}

static void test_link_back_to_back_packets_queue(void)
{
    struct net_link_cfg c = rate_cfg(5 * MS, 1000);
    struct net_link l;
    link_make(&l, &c, 21);
    int64_t a;
    for (int i = 1; i <= 3; i++) {
        CU_ASSERT_EQUAL(net_link_packet(&l, 0, 1500, 0, &a), 1);
        CU_ASSERT_EQUAL(a, i * 12 * MS + 5 * MS); /* transmission end + delay */
    }
    CU_ASSERT_EQUAL(l.busy_until_ns, 36 * MS);
    CU_ASSERT_EQUAL(net_link_packet(&l, 100 * MS, 1500, 0, &a), 1); /* idle again */
    CU_ASSERT_EQUAL(a, 117 * MS);
}

static void test_link_full_queue_drops(void)
{
    struct net_link_cfg c = rate_cfg(5 * MS, 2); /* 3000 bytes may wait */
    struct net_link l;
    link_make(&l, &c, 22);
    int64_t a;
    /* waiting: 0, 1500, 3000 bytes: kept; 4500 > 3000: dropped */
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(net_link_packet(&l, 0, 1500, 0, &a), 1);
    CU_ASSERT_EQUAL(net_link_packet(&l, 0, 1500, 0, &a), 0);
    CU_ASSERT_EQUAL(l.dropped, 1);
    CU_ASSERT_EQUAL(l.lost, 0);
    CU_ASSERT_EQUAL(l.busy_until_ns, 36 * MS); /* a drop takes no transmitter time */
    CU_ASSERT_EQUAL(net_link_packet(&l, 12 * MS, 1500, 0, &a), 1); /* 3000 waiting again */
    CU_ASSERT_EQUAL(a, 48 * MS + 5 * MS);
}

static void test_link_retransmits_skip_the_queue_and_leave_busy_until(void)
{
    struct net_link_cfg c = rate_cfg(5 * MS, 0); /* nothing may wait */
    struct net_link l;
    link_make(&l, &c, 23);
    int64_t a;
    CU_ASSERT_EQUAL(net_link_packet(&l, 10 * MS, 1500, 0, &a), 1);
    CU_ASSERT_EQUAL(net_link_packet(&l, 11 * MS, 1500, 0, &a), 0); /* queue full */
    /* out of time order, on a busy link with a full queue: serialization + delay only */
    CU_ASSERT_EQUAL(net_link_packet(&l, 1 * MS, 1500, NET_PKT_RETRANSMIT, &a), 1);
    CU_ASSERT_EQUAL(a, 1 * MS + 12 * MS + 5 * MS);
    CU_ASSERT_EQUAL(net_link_packet(&l, 15 * MS, 1500, NET_PKT_RETRANSMIT, &a), 1);
    CU_ASSERT_EQUAL(a, 15 * MS + 12 * MS + 5 * MS);
    CU_ASSERT_EQUAL(l.busy_until_ns, 22 * MS);
    CU_ASSERT_EQUAL(l.dropped, 1);
}

void suite_link(void)
{
    TEST_SUITE("netem/link");
    TEST_ADD(test_link_ideal_is_instantaneous_and_draws_nothing);
    TEST_ADD(test_link_constant_delay_is_exact_and_draws_nothing);
    TEST_ADD(test_link_uniform_jitter_bounds_and_mean);
    TEST_ADD(test_link_normal_jitter_mean_and_stddev);
    TEST_ADD(test_link_normal_table_is_the_normal_quantile);
    TEST_ADD(test_link_negative_delays_clamp_to_zero);
    TEST_ADD(test_link_correlation_one_repeats_the_previous_value);
    TEST_ADD(test_link_correlation_mixes_like_netem);
    TEST_ADD(test_link_pareto_maps_uniform_like_the_table);
    TEST_ADD(test_link_pareto_jitter_has_the_tables_moments);
    TEST_ADD(test_link_paretonormal_has_the_tables_quantiles);
    TEST_ADD(test_link_lognormal_has_mean_delay_and_sd_jitter);
    TEST_ADD(test_link_random_loss_rate);
    TEST_ADD(test_link_gemodel_loses_by_the_state_found);
    TEST_ADD(test_link_gemodel_stationary_loss_rate);
    TEST_ADD(test_link_gemodel_mean_burst_length);
    TEST_ADD(test_link_1500_bytes_at_1mbps_take_12ms);
    TEST_ADD(test_link_back_to_back_packets_queue);
    TEST_ADD(test_link_full_queue_drops);
    TEST_ADD(test_link_retransmits_skip_the_queue_and_leave_busy_until);
}
