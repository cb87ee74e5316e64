/*
 * test_zipf.c - base/zipf.c: the probabilities against the closed form,
 * and the draws against them with Pearson's chi-square statistic.
 *
 * Statistical bound. With K ranks and N draws (every expected count
 * N p_k >= 5 below), X2 = sum (O_k - N p_k)^2 / (N p_k) follows
 * chi-square with K - 1 degrees of freedom: mean K - 1, standard
 * deviation sqrt(2 (K - 1)). The tests accept X2 < mean + 5 sd (5 sigma;
 * a fixed seed keeps them deterministic). The same draws scored against
 * the neighbouring exponent (s +- 0.1) must land far beyond that bound,
 * so the test can tell the exponents apart.
 */
#include <math.h>
#include <stdlib.h>

#include "base/zipf.h"
#include "tests/testutil.h"

void suite_zipf(void);

#define N_DRAWS 400000
#define K_RANKS 50

/* Draws N_DRAWS ranks from z into counts[K_RANKS]. */
static void draw_counts(const struct fl_zipf *z, uint64_t seed, uint64_t *counts)
{
    struct fl_rng r;
    fl_rng_seed(&r, seed);
    for (int k = 0; k < K_RANKS; k++) counts[k] = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        uint64_t k = fl_zipf_draw(z, &r);
        CU_ASSERT_FATAL(k < K_RANKS);
        counts[k]++;
    }
}

static double chi_square(const uint64_t *counts, const struct fl_zipf *model)
{
    double x2 = 0;
    for (uint64_t k = 0; k < K_RANKS; k++) {
        double e = N_DRAWS * fl_zipf_pmf(model, k);
        CU_ASSERT(e >= 5);
        x2 += ((double)counts[k] - e) * ((double)counts[k] - e) / e;
    }
    return x2;
}

static double bound_5_sigma(void)
{
    return (K_RANKS - 1) + 5 * sqrt(2.0 * (K_RANKS - 1));
}

static void test_zipf_pmf_is_the_normalised_power_law(void)
{
    struct fl_zipf z;
    fl_zipf_init(&z, 4, 1.0);
    /* H(4) = 1 + 1/2 + 1/3 + 1/4 = 25/12 */
    ASSERT_REL(fl_zipf_pmf(&z, 0), 12.0 / 25, 1e-12);
    ASSERT_REL(fl_zipf_pmf(&z, 1), 6.0 / 25, 1e-12);
    ASSERT_REL(fl_zipf_pmf(&z, 3), 3.0 / 25, 1e-12);
    fl_zipf_free(&z);
    fl_zipf_init(&z, 3, 2.0); /* 1, 1/4, 1/9 over 49/36 */
    ASSERT_REL(fl_zipf_pmf(&z, 2), (1.0 / 9) / (49.0 / 36), 1e-12);
    fl_zipf_free(&z);
}

static void check_exponent(double s, uint64_t seed)
{
    struct fl_zipf z, lower, higher;
    uint64_t counts[K_RANKS];
    fl_zipf_init(&z, K_RANKS, s);
    fl_zipf_init(&lower, K_RANKS, s - 0.1);
    fl_zipf_init(&higher, K_RANKS, s + 0.1);
    draw_counts(&z, seed, counts);
    double x2 = chi_square(counts, &z);
    if (x2 >= bound_5_sigma()) fprintf(stderr, "\n  s %g: X2 = %g\n", s, x2);
    CU_ASSERT(x2 < bound_5_sigma());
    CU_ASSERT(chi_square(counts, &lower) > 10 * bound_5_sigma());
    CU_ASSERT(chi_square(counts, &higher) > 10 * bound_5_sigma());
    fl_zipf_free(&z);
    fl_zipf_free(&lower);
    fl_zipf_free(&higher);
}

static void test_zipf_draws_fit_exponent_1_1_within_5_sigma(void)
{
    check_exponent(1.1, 7);
}

static void test_zipf_draws_fit_exponent_0_8_within_5_sigma(void)
{
    check_exponent(0.8, 11);
}

static void test_zipf_exponent_0_is_uniform(void)
{
    struct fl_zipf z;
    uint64_t counts[K_RANKS];
    fl_zipf_init(&z, K_RANKS, 0);
    ASSERT_REL(fl_zipf_pmf(&z, 17), 1.0 / K_RANKS, 1e-12);
    draw_counts(&z, 3, counts);
    CU_ASSERT(chi_square(counts, &z) < bound_5_sigma());
    fl_zipf_free(&z);
}

static void test_zipf_one_rank_always_draws_it(void)
{
    struct fl_zipf z;
    struct fl_rng r;
    fl_zipf_init(&z, 1, 1.5);
    fl_rng_seed(&r, 1);
    for (int i = 0; i < 1000; i++) CU_ASSERT_EQUAL(fl_zipf_draw(&z, &r), 0);
    CU_ASSERT_EQUAL(fl_zipf_pmf(&z, 0), 1.0);
    fl_zipf_free(&z);
}

void suite_zipf(void)
{
    TEST_SUITE("zipf");
    TEST_ADD(test_zipf_pmf_is_the_normalised_power_law);
    TEST_ADD(test_zipf_draws_fit_exponent_1_1_within_5_sigma);
    TEST_ADD(test_zipf_draws_fit_exponent_0_8_within_5_sigma);
    TEST_ADD(test_zipf_exponent_0_is_uniform);
    TEST_ADD(test_zipf_one_rank_always_draws_it);
}
