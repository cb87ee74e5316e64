/*
 * test_rng.c - base/rng.c: golden values pin the algorithm; derived streams
 * are stable and independent; bounded draws are unbiased.
 */
#include <string.h>

#include "base/rng.h"
#include "tests/testutil.h"

void suite_rng(void);

/* Golden values from an independent implementation of xoshiro256** seeded by splitmix64. */
static void test_rng_golden_values_seed_42(void)
{
    struct fl_rng r;
    fl_rng_seed(&r, 42);
    CU_ASSERT_EQUAL(fl_rng_next(&r), UINT64_C(0x15780b2e0c2ec716));
    CU_ASSERT_EQUAL(fl_rng_next(&r), UINT64_C(0x6104d9866d113a7e));
    CU_ASSERT_EQUAL(fl_rng_next(&r), UINT64_C(0xae17533239e499a1));
    CU_ASSERT_EQUAL(fl_rng_next(&r), UINT64_C(0xecb8ad4703b360a1));
    fl_rng_seed(&r, 0);
    CU_ASSERT_EQUAL(fl_rng_next(&r), UINT64_C(0x99ec5f36cb75f2b4));
    CU_ASSERT_EQUAL(fl_rng_next(&r), UINT64_C(0xbf6e1f784956452a));
}

static void test_rng_derived_streams_depend_on_seed_and_name_only(void)
{
    struct fl_rng a, b, c, d;
    fl_rng_derive(&a, 7, "pod/inventory-0");
    fl_rng_derive(&b, 7, "pod/inventory-0");
    fl_rng_derive(&c, 7, "pod/inventory-1");
    fl_rng_derive(&d, 8, "pod/inventory-0");
    uint64_t va = fl_rng_next(&a);
    CU_ASSERT_EQUAL(va, fl_rng_next(&b));
    CU_ASSERT_NOT_EQUAL(va, fl_rng_next(&c));
    CU_ASSERT_NOT_EQUAL(va, fl_rng_next(&d));
}

static void test_rng_unit_is_in_range_with_mean_half(void)
{
    struct fl_rng r;
    fl_rng_seed(&r, 1);
    double sum = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = fl_rng_unit(&r), v = fl_rng_open01(&r);
        CU_ASSERT(u >= 0.0 && u < 1.0);
        CU_ASSERT(v > 0.0 && v <= 1.0);
        sum += u;
    }
    /* standard error of the mean is 1/sqrt(12 n) ~ 0.00065: 5 sigma */
    ASSERT_ABS(sum / n, 0.5, 0.0033);
}

static void test_rng_below_is_uniform(void)
{
    struct fl_rng r;
    fl_rng_seed(&r, 3);
    int counts[10] = {0};
    int n = 100000;
    for (int i = 0; i < n; i++) {
        uint64_t x = fl_rng_below(&r, 10);
        CU_ASSERT(x < 10);
        counts[x < 10 ? x : 0]++;
    }
    /* each bucket ~ Binomial(n, 0.1): sd ~ 95; allow 5 sd */
    for (int i = 0; i < 10; i++) ASSERT_ABS(counts[i], n / 10, 475);
    CU_ASSERT_EQUAL(fl_rng_below(&r, 1), 0);
}

static void test_rng_chance_extremes_draw_nothing(void)
{
    struct fl_rng r, copy;
    fl_rng_seed(&r, 9);
    copy = r;
    CU_ASSERT_FALSE(fl_rng_chance(&r, 0.0));
    CU_ASSERT_TRUE(fl_rng_chance(&r, 1.0));
    CU_ASSERT(memcmp(&r, &copy, sizeof r) == 0);
}

void suite_rng(void)
{
    TEST_SUITE("base/rng");
    TEST_ADD(test_rng_golden_values_seed_42);
    TEST_ADD(test_rng_derived_streams_depend_on_seed_and_name_only);
    TEST_ADD(test_rng_unit_is_in_range_with_mean_half);
    TEST_ADD(test_rng_below_is_uniform);
    TEST_ADD(test_rng_chance_extremes_draw_nothing);
}
