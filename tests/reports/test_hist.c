/*
 * test_hist.c - reports/hist.c: quantiles within 1/256 of the exact
 * nearest-rank value, exact small values, merge equals recording in one,
 * exact count/sum/min/max, constant memory, the extremes 0 and INT64_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "reports/hist.h"
#include "tests/testutil.h"

void suite_hist(void);

#define N_RANDOM 100000

/* Lognormal-ish latencies around 10ms (sigma 1), plus a few small and huge values. */
static int64_t draw_latency(struct fl_rng *r)
{
    double u1 = fl_rng_open01(r), u2 = fl_rng_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
    uint64_t pick = fl_rng_below(r, 100);
    if (pick == 0) return (int64_t)fl_rng_below(r, 300);
    if (pick == 1) return (int64_t)(fl_rng_next(r) >> 1);
    return (int64_t)llround(exp(log(10e6) + z));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank of the sorted data: the smallest value with at least q of all <= it. */
static int64_t exact_quantile(const int64_t *sorted, size_t n, double q)
{
    if (q <= 0) return sorted[0];
    double r = q * (double)n;
    r -= r * 1e-12;
    size_t rank = (size_t)ceil(r);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static void test_hist_quantiles_are_within_1_256_of_exact(void)
{
    struct fl_rng r;
    struct rpt_hist h;
    int64_t *v = malloc(N_RANDOM * sizeof *v);
    fl_rng_seed(&r, 42);
    rpt_hist_init(&h);
    for (size_t i = 0; i < N_RANDOM; i++) {
        v[i] = draw_latency(&r);
        rpt_hist_record(&h, v[i]);
    }
    qsort(v, N_RANDOM, sizeof *v, cmp_i64);
    int bad = 0;
    for (int i = 0; i <= 1000; i++) {
        double q = i / 1000.0;
        double got = (double)rpt_hist_quantile(&h, q);
        double want = (double)exact_quantile(v, N_RANDOM, q);
        if (fabs(got - want) > want / 256.0) bad++;
        ASSERT_REL(got, want, 0.01); /* the promise is 1%; the bound 1/256 */
    }
    CU_ASSERT_EQUAL(bad, 0);
    ASSERT_REL(rpt_hist_quantile(&h, 0.999), exact_quantile(v, N_RANDOM, 0.999), 1.0 / 256);
    ASSERT_REL(rpt_hist_quantile(&h, 0.9999), exact_quantile(v, N_RANDOM, 0.9999), 1.0 / 256);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0), v[0]);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 1), v[N_RANDOM - 1]);
    rpt_hist_free(&h);
    free(v);
}

static void test_hist_values_below_256_are_exact(void)
{
    struct rpt_hist h;
    rpt_hist_init(&h);
    for (int64_t x = 0; x < 256; x++) rpt_hist_record(&h, x);
    for (int k = 1; k <= 256; k++) CU_ASSERT_EQUAL(rpt_hist_quantile(&h, k / 256.0), k - 1);
    rpt_hist_reset(&h);
    rpt_hist_record(&h, 3);
    rpt_hist_record(&h, 1);
    rpt_hist_record(&h, 2);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.5), 2);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.34), 2);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.33), 1);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.99), 3);
    rpt_hist_free(&h);
}

/* Alone between 0 and INT64_MAX, a value's quantile is its bucket's middle, unclamped. */
static void test_hist_every_magnitude_is_within_1_256(void)
{
    struct fl_rng r;
    struct rpt_hist h;
    fl_rng_seed(&r, 7);
    rpt_hist_init(&h);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = fl_rng_next(&r); /* two statements: C leaves the order of calls open */
        int64_t v = (int64_t)(bits >> (1 + fl_rng_below(&r, 63)));
        rpt_hist_reset(&h);
        rpt_hist_record(&h, 0);
        rpt_hist_record(&h, v);
        rpt_hist_record(&h, INT64_MAX);
        int64_t got = rpt_hist_quantile(&h, 0.5);
        CU_ASSERT(fabs((double)got - (double)v) <= (double)v / 256.0);
        if (v < 256) CU_ASSERT_EQUAL(got, v);
    }
    rpt_hist_free(&h);
}

static void test_hist_merge_equals_recording_in_one(void)
{
    struct fl_rng r;
    struct rpt_hist a, b, one;
    fl_rng_seed(&r, 11);
    rpt_hist_init(&a);
    rpt_hist_init(&b);
    rpt_hist_init(&one);
    for (int i = 0; i < 50000; i++) {
        int64_t v = draw_latency(&r);
        rpt_hist_record(i % 3 ? &a : &b, v);
        rpt_hist_record(&one, v);
    }
    rpt_hist_merge(&a, &b);
    CU_ASSERT_EQUAL(a.count, one.count);
    CU_ASSERT(a.sum == one.sum);
    CU_ASSERT_EQUAL(a.min, one.min);
    CU_ASSERT_EQUAL(a.max, one.max);
    CU_ASSERT(rpt_hist_same_buckets(&a, &one));
    CU_ASSERT(!rpt_hist_same_buckets(&b, &one)); /* b has a third of the values only */
    for (int i = 0; i <= 100; i++)
        CU_ASSERT_EQUAL(rpt_hist_quantile(&a, i / 100.0), rpt_hist_quantile(&one, i / 100.0));
    rpt_hist_reset(&b);
    rpt_hist_merge(&a, &b); /* an empty histogram changes nothing */
    CU_ASSERT_EQUAL(a.min, one.min);
    CU_ASSERT_EQUAL(a.count, one.count);
    rpt_hist_free(&a);
    rpt_hist_free(&b);
    rpt_hist_free(&one);
}

static void test_hist_count_mean_min_max_are_exact(void)
{
    struct rpt_hist h;
    rpt_hist_init(&h);
    CU_ASSERT_EQUAL(rpt_hist_mean(&h), 0.0);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.5), 0);
    rpt_hist_record(&h, 1000);
    rpt_hist_record(&h, 123456789);
    rpt_hist_record(&h, 1000001);
    CU_ASSERT_EQUAL(h.count, 3);
    CU_ASSERT_EQUAL(h.min, 1000);
    CU_ASSERT_EQUAL(h.max, 123456789);
    CU_ASSERT_EQUAL(rpt_hist_mean(&h), 124457790.0 / 3.0);
    rpt_hist_reset(&h);
    /* a sum far beyond int64 stays exact */
    for (int i = 0; i < 4; i++) rpt_hist_record(&h, INT64_MAX);
    rpt_hist_record(&h, 0);
    CU_ASSERT(h.sum == (__int128)INT64_MAX * 4);
    ASSERT_REL(rpt_hist_mean(&h), (double)INT64_MAX * 4 / 5, 1e-15);
    rpt_hist_free(&h);
}

/*
 * Rows come as values fall in them: none when empty, one (1 KiB) for values
 * of one power of two, and never more than every row (57 KiB) however many
 * values of every magnitude are recorded.
 */
static void test_hist_memory_does_not_grow_with_samples(void)
{
    struct fl_rng r;
    struct rpt_hist h;
    fl_rng_seed(&r, 5);
    rpt_hist_init(&h);
    uint32_t n = h.n_buckets;
    CU_ASSERT_EQUAL(rpt_hist_bytes(&h), 0);
    for (int64_t v = 1 << 20; v < 1 << 21; v += 1000) rpt_hist_record(&h, v);
    CU_ASSERT_EQUAL(rpt_hist_bytes(&h), 1024);
    /* every row: 0..127, 128..255, then each power of two from 2^8 to 2^62 */
    rpt_hist_record(&h, 0);
    for (int e = 7; e <= 62; e++) rpt_hist_record(&h, INT64_C(1) << e);
    size_t full = rpt_hist_bytes(&h);
    CU_ASSERT_EQUAL(full, 57 * 1024);
    CU_ASSERT(full <= 60 * 1024);
    for (int i = 0; i < 1000000; i++) rpt_hist_record(&h, (int64_t)(fl_rng_next(&r) >> 1));
    CU_ASSERT_EQUAL(rpt_hist_bytes(&h), full);
    CU_ASSERT_EQUAL(h.n_buckets, n);
    CU_ASSERT_EQUAL(h.count, 1000000 + 1049 + 57);
    rpt_hist_reset(&h);
    CU_ASSERT_EQUAL(rpt_hist_bytes(&h), 0);
    rpt_hist_free(&h);
}

static void test_hist_records_zero_and_int64_max(void)
{
    struct rpt_hist h;
    rpt_hist_init(&h);
    rpt_hist_record(&h, 0);
    rpt_hist_record(&h, INT64_MAX);
    CU_ASSERT_EQUAL(rpt_hist_bucket(&h, 0), 1);
    CU_ASSERT_EQUAL(rpt_hist_bucket(&h, h.n_buckets - 1), 1);
    CU_ASSERT_EQUAL(rpt_hist_next(&h, 1), h.n_buckets - 1);
    CU_ASSERT_EQUAL(rpt_hist_next(&h, h.n_buckets), h.n_buckets);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.5), 0);
    ASSERT_REL(rpt_hist_quantile(&h, 0.51), INT64_MAX, 1.0 / 256); /* the top bucket's middle */
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 1), INT64_MAX);
    CU_ASSERT_EQUAL(h.min, 0);
    CU_ASSERT_EQUAL(h.max, INT64_MAX);
    rpt_hist_reset(&h);
    rpt_hist_record(&h, INT64_MAX);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&h, 0.5), INT64_MAX);
    rpt_hist_free(&h);
}

void suite_hist(void)
{
    TEST_SUITE("reports/hist");
    TEST_ADD(test_hist_quantiles_are_within_1_256_of_exact);
    TEST_ADD(test_hist_values_below_256_are_exact);
    TEST_ADD(test_hist_every_magnitude_is_within_1_256);
    TEST_ADD(test_hist_merge_equals_recording_in_one);
    TEST_ADD(test_hist_count_mean_min_max_are_exact);
    TEST_ADD(test_hist_memory_does_not_grow_with_samples);
    TEST_ADD(test_hist_records_zero_and_int64_max);
}
