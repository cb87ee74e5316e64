/*
 * test_dist.c - base/dist.c: analytic means and quantiles against values
 * computed by hand (30-digit mpmath), samples against the analytic values,
 * one draw per sample, the truncation and the clamp, and the constructors'
 * validation.
 *
 * Statistical bounds. Each sampling test draws N_SAMPLES values from a
 * fixed seed (so it is deterministic) and allows 5 standard errors:
 *  - mean: 5 sd / sqrt(n), with the distribution's sd computed by hand;
 *  - q-quantile (p50, p90, p99 and every other percentile): the k-th
 *    smallest sample (k = q n) has a rank whose fraction is
 *    q +- s, s = sqrt(q (1 - q) / n), whatever the distribution, so it
 *    must lie between quantile(q - 5 s) and quantile(q + 5 s). With n = 200k
 *    that is about +-0.5% at p50, +-1% at p90 and +-2.5% at p99 for the
 *    exponential (+-8% at p99 for pareto with shape 1.5, whose tail is flat).
 */
#include <stdlib.h>
#include <string.h>

#include "base/dist.h"
#include "tests/testutil.h"

void suite_dist(void);

#define MS        1e6 /* nanoseconds per millisecond */
#define N_SAMPLES 200000

static int64_t samples[N_SAMPLES];

/* Plain values: equal elements are indistinguishable, so no tie-break is needed. */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Fills samples[] from a stream seeded with `seed` and sorts them; returns their mean. */
static double draw_sorted(const struct fl_dist *d, uint64_t seed)
{
    struct fl_rng r;
    fl_rng_seed(&r, seed);
    double sum = 0;
    for (int i = 0; i < N_SAMPLES; i++) {
        samples[i] = fl_dist_sample(d, &r);
        sum += (double)samples[i];
    }
    qsort(samples, N_SAMPLES, sizeof samples[0], cmp_i64);
    return sum / N_SAMPLES;
}

/* Sample mean within 5 standard errors (sd_ns is the distribution's, by hand) plus rounding. */
static void check_mean(const struct fl_dist *d, double mean, double sd_ns)
{
    ASSERT_ABS(mean, fl_dist_mean(d), 5.0 * sd_ns / sqrt((double)N_SAMPLES) + 0.5);
}

/* The sorted samples' q-quantile within the 5-sigma rank bracket (see the file comment). */
static void check_quantile(const struct fl_dist *d, double q)
{
    double s = 5.0 * sqrt(q * (1.0 - q) / N_SAMPLES);
    double got = (double)samples[(int)(q * N_SAMPLES)];
    double lo = fl_dist_quantile(d, q - s) - 0.5, hi = fl_dist_quantile(d, q + s) + 0.5;
    if (!(got >= lo && got <= hi))
        fprintf(stderr, "\n  kind %d p%g: sample %.6g, expected %.6g in [%.6g, %.6g]\n",
                (int)d->kind, 100 * q, got, fl_dist_quantile(d, q), lo, hi);
    CU_ASSERT(got >= lo && got <= hi);
}

/*
 * p50, p90 and p99, then every percentile from p1 to p99 and p0.1, p99.9, so
 * that a wrong shape anywhere shows. 103 checks at 5 sigma: a correct
 * implementation fails one with probability below 1e-4 for a given seed.
 */
static void check_quantiles(const struct fl_dist *d)
{
    check_quantile(d, 0.5);
    check_quantile(d, 0.9);
    check_quantile(d, 0.99);
    check_quantile(d, 0.001);
    check_quantile(d, 0.999);
    for (int i = 1; i < 100; i++) check_quantile(d, i / 100.0);
}

/* ---- the standard normal ---- */

static void test_norm_inv_matches_published_quantiles(void)
{
    ASSERT_ABS(fl_norm_inv(0.5), 0.0, 1e-15);
    ASSERT_REL(fl_norm_inv(0.75), 0.674489750196081743, 1e-14);
    ASSERT_REL(fl_norm_inv(0.9), 1.28155156554460047, 1e-14);
    ASSERT_REL(fl_norm_inv(0.975), 1.95996398454005424, 1e-14);
    ASSERT_REL(fl_norm_inv(0.99), 2.32634787404084110, 1e-14);
    ASSERT_REL(fl_norm_inv(0.001), -3.09023230616781335, 1e-14);
    ASSERT_REL(fl_norm_inv(1e-10), -6.36134090240405620, 1e-14);
    ASSERT_REL(fl_norm_inv(1e-300), -37.0470962993612, 1e-13);
    CU_ASSERT_EQUAL(fl_norm_inv(0.0), -INFINITY);
    CU_ASSERT_EQUAL(fl_norm_inv(1.0), INFINITY);
}

static void test_norm_cdf_inverts_norm_inv_across_both_tails(void)
{
    /* d ln Phi / dz ~ |z| in the tail, so a relative error e in z shows as ~ z^2 e in p */
    for (double p = 1e-250; p < 1.0; p *= 3.7) {
        double z = fl_norm_inv(p);
        ASSERT_REL(fl_norm_cdf(z), p, 2e-15 * (4.0 + z * z));
    }
    /* the upper tail mirrors the lower one: 1 - 2^-k is exact, so this is exact symmetry */
    for (int k = 1; k <= 53; k++)
        ASSERT_REL(fl_norm_inv(1.0 - ldexp(1.0, -k)), -fl_norm_inv(ldexp(1.0, -k)), 1e-14);
    ASSERT_REL(fl_norm_cdf(1.0), 0.841344746068542949, 1e-15);
    ASSERT_REL(fl_norm_cdf(-5.0), 2.86651571879193912e-7, 1e-14);
}

/* ---- determinism and rounding ---- */

static void test_dist_same_stream_gives_same_samples_one_draw_each(void)
{
    struct fl_dist ds[8];
    const double p[] = {0, 0.5, 1}, v[] = {1 * MS, 2 * MS, 9 * MS};
    const char *why;
    CU_ASSERT_EQUAL(fl_dist_constant(&ds[0], 5 * MS, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_uniform(&ds[1], 1 * MS, 3 * MS, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_normal(&ds[2], 5 * MS, 1 * MS, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_exponential(&ds[3], 5 * MS, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_lognormal_quantiles(&ds[4], 10 * MS, 80 * MS, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_lognormal_moments(&ds[5], 12 * MS, 8 * MS, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_pareto(&ds[6], 1 * MS, 1.5, &why), 0);
    CU_ASSERT_EQUAL(fl_dist_empirical(&ds[7], 3, p, v, &why), 0);
    for (int k = 0; k < 8; k++) {
        struct fl_rng a, b, shadow;
        fl_rng_seed(&a, 11);
        fl_rng_seed(&b, 11);
        fl_rng_seed(&shadow, 11);
        for (int i = 0; i < 1000; i++) {
            CU_ASSERT_EQUAL(fl_dist_sample(&ds[k], &a), fl_dist_sample(&ds[k], &b));
            (void)fl_rng_next(&shadow);
        }
        /* exactly one draw per sample, whatever the kind: streams stay aligned */
        CU_ASSERT(memcmp(&a, &shadow, sizeof a) == 0);
    }
}

/*
 * Golden values from an independent computation (xoshiro256** seed 42, the
 * draw u = ((x >> 11) | 1) 2^-53, then the inverse CDF): a change to the
 * draw-to-sample mapping changes every run's results, so it must show here.
 */
static void test_dist_golden_samples_seed_42(void)
{
    static const int64_t uniform[4] = {1167726, 1757961, 2360087, 2849386};
    static const int64_t exponential[4] = {87589, 476392, 1139570, 2586181};
    struct fl_dist du, de;
    struct fl_rng ru, re;
    CU_ASSERT_EQUAL(fl_dist_uniform(&du, 1 * MS, 3 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_exponential(&de, 1 * MS, NULL), 0);
    fl_rng_seed(&ru, 42);
    fl_rng_seed(&re, 42);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(fl_dist_sample(&du, &ru), uniform[i]);
        CU_ASSERT_EQUAL(fl_dist_sample(&de, &re), exponential[i]);
    }
}

static void test_dist_samples_round_to_nearest_ns(void)
{
    struct fl_dist d;
    struct fl_rng r;
    fl_rng_seed(&r, 5);
    CU_ASSERT_EQUAL(fl_dist_constant(&d, 2.4, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 2);
    CU_ASSERT_EQUAL(fl_dist_constant(&d, 2.6, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 3);
    /* uniform on [10, 11] ns: about half round down, half up, nothing else */
    CU_ASSERT_EQUAL(fl_dist_uniform(&d, 10, 11, NULL), 0);
    int ups = 0, n = 10000;
    for (int i = 0; i < n; i++) {
        int64_t x = fl_dist_sample(&d, &r);
        CU_ASSERT(x == 10 || x == 11);
        ups += x == 11;
    }
    /* Binomial(10000, 0.5): sd 50, allow 5 sd */
    ASSERT_ABS(ups, n / 2, 250);
}

/* ---- constant and uniform ---- */

static void test_dist_constant_always_returns_its_value(void)
{
    struct fl_dist d;
    struct fl_rng r;
    fl_rng_seed(&r, 1);
    CU_ASSERT_EQUAL(fl_dist_constant(&d, 5 * MS, NULL), 0);
    for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 5000000);
    CU_ASSERT_EQUAL(fl_dist_mean(&d), 5 * MS);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 0.0), 5 * MS);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 1.0), 5 * MS);
}

static void test_dist_uniform_mean_and_quantiles_are_exact(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_uniform(&d, 1 * MS, 3 * MS, NULL), 0);
    ASSERT_REL(fl_dist_mean(&d), 2 * MS, 1e-15);
    ASSERT_REL(fl_dist_quantile(&d, 0.0), 1 * MS, 1e-15);
    ASSERT_REL(fl_dist_quantile(&d, 0.9), 2.8 * MS, 1e-15);
    ASSERT_REL(fl_dist_quantile(&d, 1.0), 3 * MS, 1e-15);
}

static void test_dist_uniform_samples_match_mean_and_quantiles(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_uniform(&d, 1 * MS, 3 * MS, NULL), 0);
    double mean = draw_sorted(&d, 101);
    CU_ASSERT(samples[0] >= 1000000 && samples[N_SAMPLES - 1] <= 3000000);
    check_mean(&d, mean, 2 * MS / sqrt(12.0)); /* sd = (max - min) / sqrt 12 */
    check_quantiles(&d);
}

/* ---- normal, truncated at 0 ---- */

static void test_dist_normal_truncated_mean_and_quantiles_are_exact(void)
{
    struct fl_dist d;
    /* mean 1, sd 1 (ms): alpha = -1, mean = 1 + phi(1)/Phi(1) */
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 1 * MS, 1 * MS, NULL), 0);
    ASSERT_REL(fl_dist_mean(&d), 1.28759997093917836 * MS, 1e-12);
    ASSERT_ABS(fl_dist_quantile(&d, 0.0), 0.0, 1e-6);
    ASSERT_REL(fl_dist_quantile(&d, 0.1), 0.302643083842742482 * MS, 1e-12);
    ASSERT_REL(fl_dist_quantile(&d, 0.5), 1.20017368616689093 * MS, 1e-12);
    ASSERT_REL(fl_dist_quantile(&d, 0.9), 2.37778736159930725 * MS, 1e-12);
    ASSERT_REL(fl_dist_quantile(&d, 0.99), 3.39046844775294464 * MS, 1e-12);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 1.0), INFINITY);
    /* mean 0: the half-normal, mean sd sqrt(2/pi), median sd z_0.75 */
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 0, 1 * MS, NULL), 0);
    ASSERT_REL(fl_dist_mean(&d), 0.797884560802865356 * MS, 1e-12);
    ASSERT_REL(fl_dist_quantile(&d, 0.5), 0.674489750196081743 * MS, 1e-12);
    /* mean 5 sd 1: the truncation barely moves the mean (by 1.4867e-6 sd) */
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 5 * MS, 1 * MS, NULL), 0);
    ASSERT_REL(fl_dist_mean(&d), 5.00000148671994090 * MS, 1e-14);
}

static void test_dist_normal_truncated_never_negative(void)
{
    struct fl_dist d;
    struct fl_rng r;
    fl_rng_seed(&r, 7);
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 0, 1 * MS, NULL), 0);
    int negatives = 0, zeros = 0;
    for (int i = 0; i < 100000; i++) {
        int64_t x = fl_dist_sample(&d, &r);
        negatives += x < 0;
        zeros += x == 0;
    }
    CU_ASSERT_EQUAL(negatives, 0);
    /* P(x < 0.5 ns) ~ 2 phi(0) 0.5e-6 = 4e-7: zeros must not pile up at the cut */
    CU_ASSERT(zeros <= 2);
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 1 * MS, 100 * MS, NULL), 0);
    for (int i = 0; i < 100000; i++) negatives += fl_dist_sample(&d, &r) < 0;
    CU_ASSERT_EQUAL(negatives, 0);
}

static void test_dist_normal_samples_match_truncated_mean_and_quantiles(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 1 * MS, 1 * MS, NULL), 0);
    double mean = draw_sorted(&d, 102);
    CU_ASSERT(samples[0] >= 0);
    /* sd of N(1, 1) truncated at 0: sqrt(1 + alpha l - l^2), l = phi(alpha)/(1 - Phi(alpha)) */
    check_mean(&d, mean, 0.793527747326207492 * MS);
    check_quantiles(&d);
}

/* ---- exponential ---- */

static void test_dist_exponential_p99_of_1ms_mean_is_4_605ms(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_exponential(&d, 1 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_mean(&d), 1 * MS);
    /* the M/M/1-style service time: quantile(q) = -mean ln(1 - q) */
    ASSERT_REL(fl_dist_quantile(&d, 0.99), 4.60517018598809137 * MS, 1e-14);
    ASSERT_REL(fl_dist_quantile(&d, 0.5), 0.693147180559945309 * MS, 1e-14);
    ASSERT_REL(fl_dist_quantile(&d, 0.9), 2.30258509299404568 * MS, 1e-14);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 0.0), 0.0);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 1.0), INFINITY);
}

static void test_dist_exponential_samples_match_mean_and_quantiles(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_exponential(&d, 1 * MS, NULL), 0);
    double mean = draw_sorted(&d, 103);
    check_mean(&d, mean, 1 * MS); /* sd = mean */
    check_quantiles(&d);
}

/* ---- lognormal ---- */

static void test_dist_lognormal_quantiles_reproduce_p50_and_p99(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_lognormal_quantiles(&d, 10 * MS, 80 * MS, NULL), 0);
    ASSERT_REL(fl_dist_quantile(&d, 0.5), 10 * MS, 1e-13);
    ASSERT_REL(fl_dist_quantile(&d, 0.99), 80 * MS, 1e-13);
    /* sigma = ln 8 / z_0.99; mean = p50 exp(sigma^2/2); p90 = p50 exp(sigma z_0.9) */
    ASSERT_REL(d.b, 0.893865257592738466, 1e-13);
    ASSERT_REL(fl_dist_mean(&d), 14.9107531765461617 * MS, 1e-13);
    ASSERT_REL(fl_dist_quantile(&d, 0.9), 31.4412118997540430 * MS, 1e-13);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 0.0), 0.0);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 1.0), INFINITY);
}

static void test_dist_lognormal_moments_reproduce_mean_and_median(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_lognormal_moments(&d, 12 * MS, 8 * MS, NULL), 0);
    ASSERT_REL(fl_dist_mean(&d), 12 * MS, 1e-14);
    /* median = m / sqrt(1 + s^2/m^2) = 12 / sqrt(13/9) */
    ASSERT_REL(fl_dist_quantile(&d, 0.5), 9.98460353205412420 * MS, 1e-13);
    ASSERT_REL(fl_dist_quantile(&d, 0.99), 40.9253198256167434 * MS, 1e-13);
    ASSERT_REL(d.b, 0.606403149831296105, 1e-13);
}

static void test_dist_lognormal_samples_match_mean_and_quantiles(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_lognormal_quantiles(&d, 10 * MS, 80 * MS, NULL), 0);
    double mean = draw_sorted(&d, 104);
    /* sd = mean sqrt(exp(sigma^2) - 1) */
    check_mean(&d, mean, 16.4917621892003367 * MS);
    check_quantiles(&d);
    CU_ASSERT_EQUAL(fl_dist_lognormal_moments(&d, 12 * MS, 8 * MS, NULL), 0);
    mean = draw_sorted(&d, 105);
    check_mean(&d, mean, 8 * MS);
    check_quantiles(&d);
}

/* ---- pareto ---- */

static void test_dist_pareto_mean_and_quantiles_are_exact(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_pareto(&d, 1 * MS, 1.5, NULL), 0);
    /* quantile(q) = scale (1 - q)^(-1/shape); mean = shape scale / (shape - 1) */
    ASSERT_REL(fl_dist_quantile(&d, 0.0), 1 * MS, 1e-15);
    ASSERT_REL(fl_dist_quantile(&d, 0.5), 1.58740105196819947 * MS, 1e-14);
    ASSERT_REL(fl_dist_quantile(&d, 0.99), 21.5443469003188372 * MS, 1e-13);
    CU_ASSERT_EQUAL(fl_dist_quantile(&d, 1.0), INFINITY);
    ASSERT_REL(fl_dist_mean(&d), 3 * MS, 1e-15);
    CU_ASSERT_EQUAL(fl_dist_pareto(&d, 1 * MS, 1.0, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_mean(&d), INFINITY);
}

static void test_dist_pareto_samples_match_mean_and_quantiles(void)
{
    struct fl_dist d;
    /* shape 3: finite variance, sd = scale sqrt(shape) / ((shape - 1) sqrt(shape - 2)) */
    CU_ASSERT_EQUAL(fl_dist_pareto(&d, 1 * MS, 3.0, NULL), 0);
    double mean = draw_sorted(&d, 106);
    CU_ASSERT(samples[0] >= 1000000);
    check_mean(&d, mean, 0.866025403784438647 * MS);
    check_quantiles(&d);
    /* shape 1.5: infinite variance, so only the quantiles are checked */
    CU_ASSERT_EQUAL(fl_dist_pareto(&d, 1 * MS, 1.5, NULL), 0);
    (void)draw_sorted(&d, 107);
    check_quantiles(&d);
}

static void test_dist_pareto_tail_is_clamped_to_1e18_ns(void)
{
    struct fl_dist d;
    struct fl_rng r;
    fl_rng_seed(&r, 8);
    /* shape 0.01: quantile(q) = 1ms (1 - q)^-100 passes 1e18 ns once 1 - q < 10^-0.12 */
    CU_ASSERT_EQUAL(fl_dist_pareto(&d, 1 * MS, 0.01, NULL), 0);
    int clamped = 0, n = 10000;
    for (int i = 0; i < n; i++) {
        int64_t x = fl_dist_sample(&d, &r);
        CU_ASSERT(x >= 1000000 && x <= INT64_C(1000000000000000000));
        clamped += x == INT64_C(1000000000000000000);
    }
    /* P(clamp) = (1e6 / 1e18)^0.01 = 10^-0.12 = 0.759; Binomial sd 43, allow 5 sd */
    ASSERT_ABS(clamped, 0.7586 * n, 215);
}

/* ---- empirical ---- */

static const double emp_p[] = {0, 0.5, 0.9, 0.99, 1};
static const double emp_v[] = {1 * MS, 3 * MS, 10 * MS, 50 * MS, 200 * MS};

static void test_dist_empirical_interpolation_is_exact_at_the_points(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_empirical(&d, 5, emp_p, emp_v, NULL), 0);
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(fl_dist_quantile(&d, emp_p[i]), emp_v[i]);
    /* linear in between: p25 halfway from 1 to 3 ms, p70 halfway from 3 to 10 ms */
    ASSERT_REL(fl_dist_quantile(&d, 0.25), 2 * MS, 1e-14);
    ASSERT_REL(fl_dist_quantile(&d, 0.7), 6.5 * MS, 1e-14);
    ASSERT_REL(fl_dist_quantile(&d, 0.995), 125 * MS, 1e-12);
    /* each segment is uniform: sum of weight times midpoint = 1 + 2.6 + 2.7 + 1.25 */
    ASSERT_REL(fl_dist_mean(&d), 7.55 * MS, 1e-14);
}

static void test_dist_empirical_samples_match_mean_and_quantiles(void)
{
    struct fl_dist d;
    CU_ASSERT_EQUAL(fl_dist_empirical(&d, 5, emp_p, emp_v, NULL), 0);
    double mean = draw_sorted(&d, 108);
    CU_ASSERT(samples[0] >= 1000000 && samples[N_SAMPLES - 1] <= 200000000);
    /* E X^2 = sum w (a^2 + ab + b^2) / 3 = 288.7 ms^2, so sd = sqrt(288.7 - 7.55^2) */
    check_mean(&d, mean, 15.2216129237344656 * MS);
    check_quantiles(&d);
}

/* ---- every kind ---- */

static void test_dist_quantiles_never_decrease(void)
{
    struct fl_dist ds[7];
    CU_ASSERT_EQUAL(fl_dist_uniform(&ds[0], 1 * MS, 3 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_normal(&ds[1], 2 * MS, 3 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_exponential(&ds[2], 5 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_lognormal_quantiles(&ds[3], 10 * MS, 80 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_pareto(&ds[4], 1 * MS, 1.5, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_empirical(&ds[5], 5, emp_p, emp_v, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_lognormal_moments(&ds[6], 12 * MS, 8 * MS, NULL), 0);
    for (int k = 0; k < 7; k++) {
        double prev = fl_dist_quantile(&ds[k], 0.0);
        CU_ASSERT(prev >= 0.0);
        for (int i = 1; i <= 1000; i++) {
            double x = fl_dist_quantile(&ds[k], i / 1000.0);
            CU_ASSERT(x >= prev);
            prev = x;
        }
    }
}

static void test_dist_degenerate_parameters_are_accepted(void)
{
    struct fl_dist d;
    struct fl_rng r;
    fl_rng_seed(&r, 2);
    const double p[] = {0, 1}, v[] = {4 * MS, 4 * MS};
    CU_ASSERT_EQUAL(fl_dist_constant(&d, 0, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 0);
    CU_ASSERT_EQUAL(fl_dist_uniform(&d, 2 * MS, 2 * MS, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 2000000);
    CU_ASSERT_EQUAL(fl_dist_normal(&d, 3 * MS, 0, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 3000000);
    CU_ASSERT_EQUAL(fl_dist_mean(&d), 3 * MS);
    CU_ASSERT_EQUAL(fl_dist_lognormal_moments(&d, 6 * MS, 0, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 6000000);
    CU_ASSERT_EQUAL(fl_dist_empirical(&d, 2, p, v, NULL), 0);
    CU_ASSERT_EQUAL(fl_dist_sample(&d, &r), 4000000);
}

/* ---- validation ---- */

/* The call must fail with a message and leave the distribution as it was. */
#define EXPECT_REJECTED(call)                                                                      \
    do {                                                                                           \
        struct fl_dist before__;                                                                   \
        memset(&d, 0xab, sizeof d);                                                                \
        memcpy(&before__, &d, sizeof d);                                                           \
        why = NULL;                                                                                \
        CU_ASSERT_EQUAL(call, -1);                                                                 \
        CU_ASSERT(why != NULL && why[0] != '\0');                                                  \
        CU_ASSERT(memcmp(&d, &before__, sizeof d) == 0);                                           \
    } while (0)

static void test_dist_rejects_negative_or_non_finite_durations(void)
{
    struct fl_dist d;
    const char *why;
    EXPECT_REJECTED(fl_dist_constant(&d, -1, &why));
    EXPECT_REJECTED(fl_dist_constant(&d, NAN, &why));
    EXPECT_REJECTED(fl_dist_constant(&d, INFINITY, &why));
    EXPECT_REJECTED(fl_dist_uniform(&d, -1, 3, &why));
    EXPECT_REJECTED(fl_dist_normal(&d, -1 * MS, 1 * MS, &why));
    EXPECT_REJECTED(fl_dist_normal(&d, 1 * MS, -1 * MS, &why));
    EXPECT_REJECTED(fl_dist_lognormal_moments(&d, 1 * MS, -1, &why));
    EXPECT_REJECTED(fl_dist_pareto(&d, -1 * MS, 2, &why));
}

static void test_dist_uniform_rejects_max_below_min(void)
{
    struct fl_dist d;
    const char *why;
    EXPECT_REJECTED(fl_dist_uniform(&d, 3 * MS, 1 * MS, &why));
    CU_ASSERT(why && strcmp(why, "max must not be below min") == 0);
}

static void test_dist_rejects_zero_mean_and_scale(void)
{
    struct fl_dist d;
    const char *why;
    EXPECT_REJECTED(fl_dist_exponential(&d, 0, &why));
    EXPECT_REJECTED(fl_dist_exponential(&d, -5 * MS, &why));
    EXPECT_REJECTED(fl_dist_lognormal_moments(&d, 0, 1 * MS, &why));
    EXPECT_REJECTED(fl_dist_lognormal_quantiles(&d, 0, 1 * MS, &why));
    EXPECT_REJECTED(fl_dist_pareto(&d, 0, 2, &why));
}

static void test_dist_lognormal_rejects_p99_not_above_p50(void)
{
    struct fl_dist d;
    const char *why;
    EXPECT_REJECTED(fl_dist_lognormal_quantiles(&d, 10 * MS, 10 * MS, &why));
    EXPECT_REJECTED(fl_dist_lognormal_quantiles(&d, 10 * MS, 5 * MS, &why));
    EXPECT_REJECTED(fl_dist_lognormal_quantiles(&d, 10 * MS, NAN, &why));
}

static void test_dist_pareto_rejects_shape_not_positive(void)
{
    struct fl_dist d;
    const char *why;
    EXPECT_REJECTED(fl_dist_pareto(&d, 1 * MS, 0, &why));
    EXPECT_REJECTED(fl_dist_pareto(&d, 1 * MS, -1.5, &why));
    EXPECT_REJECTED(fl_dist_pareto(&d, 1 * MS, NAN, &why));
}

static void test_dist_empirical_rejects_bad_points(void)
{
    struct fl_dist d;
    const char *why;
    double big_p[FL_DIST_POINTS_MAX + 1], big_v[FL_DIST_POINTS_MAX + 1];
    for (int i = 0; i <= FL_DIST_POINTS_MAX; i++) {
        big_p[i] = (double)i / FL_DIST_POINTS_MAX;
        big_v[i] = i * MS;
    }
    EXPECT_REJECTED(fl_dist_empirical(&d, 1, emp_p, emp_v, &why));
    EXPECT_REJECTED(fl_dist_empirical(&d, FL_DIST_POINTS_MAX + 1, big_p, big_v, &why));
    /* the largest table is fine */
    big_p[FL_DIST_POINTS_MAX - 1] = 1.0;
    CU_ASSERT_EQUAL(fl_dist_empirical(&d, FL_DIST_POINTS_MAX, big_p, big_v, &why), 0);
    const double v3[] = {1 * MS, 2 * MS, 3 * MS};
    EXPECT_REJECTED(fl_dist_empirical(&d, 3, (const double[]){0.1, 0.5, 1}, v3, &why));
    EXPECT_REJECTED(fl_dist_empirical(&d, 3, (const double[]){0, 0.5, 0.9}, v3, &why));
    EXPECT_REJECTED(fl_dist_empirical(&d, 3, (const double[]){0, 0.5, 0.5}, v3, &why));
    EXPECT_REJECTED(fl_dist_empirical(&d, 3, (const double[]){0, 0.7, 0.5}, v3, &why));
    const double p3[] = {0, 0.5, 1};
    EXPECT_REJECTED(fl_dist_empirical(&d, 3, p3, (const double[]){1 * MS, 3 * MS, 2 * MS}, &why));
    EXPECT_REJECTED(fl_dist_empirical(&d, 3, p3, (const double[]){-1 * MS, 3 * MS, 4 * MS}, &why));
}

void suite_dist(void)
{
    TEST_SUITE("base/dist");
    TEST_ADD(test_norm_inv_matches_published_quantiles);
    TEST_ADD(test_norm_cdf_inverts_norm_inv_across_both_tails);
    TEST_ADD(test_dist_same_stream_gives_same_samples_one_draw_each);
    TEST_ADD(test_dist_golden_samples_seed_42);
    TEST_ADD(test_dist_samples_round_to_nearest_ns);
    TEST_ADD(test_dist_constant_always_returns_its_value);
    TEST_ADD(test_dist_uniform_mean_and_quantiles_are_exact);
    TEST_ADD(test_dist_uniform_samples_match_mean_and_quantiles);
    TEST_ADD(test_dist_normal_truncated_mean_and_quantiles_are_exact);
    TEST_ADD(test_dist_normal_truncated_never_negative);
    TEST_ADD(test_dist_normal_samples_match_truncated_mean_and_quantiles);
    TEST_ADD(test_dist_exponential_p99_of_1ms_mean_is_4_605ms);
    TEST_ADD(test_dist_exponential_samples_match_mean_and_quantiles);
    TEST_ADD(test_dist_lognormal_quantiles_reproduce_p50_and_p99);
    TEST_ADD(test_dist_lognormal_moments_reproduce_mean_and_median);
    TEST_ADD(test_dist_lognormal_samples_match_mean_and_quantiles);
    TEST_ADD(test_dist_pareto_mean_and_quantiles_are_exact);
    TEST_ADD(test_dist_pareto_samples_match_mean_and_quantiles);
    TEST_ADD(test_dist_pareto_tail_is_clamped_to_1e18_ns);
    TEST_ADD(test_dist_empirical_interpolation_is_exact_at_the_points);
    TEST_ADD(test_dist_empirical_samples_match_mean_and_quantiles);
    TEST_ADD(test_dist_quantiles_never_decrease);
    TEST_ADD(test_dist_degenerate_parameters_are_accepted);
    TEST_ADD(test_dist_rejects_negative_or_non_finite_durations);
    TEST_ADD(test_dist_uniform_rejects_max_below_min);
    TEST_ADD(test_dist_rejects_zero_mean_and_scale);
    TEST_ADD(test_dist_lognormal_rejects_p99_not_above_p50);
    TEST_ADD(test_dist_pareto_rejects_shape_not_positive);
    TEST_ADD(test_dist_empirical_rejects_bad_points);
}
