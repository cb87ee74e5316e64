/*
 * test_exp_compare.c - exp/compare.c on results built by hand: the means,
 * the paired and Welch differences with their intervals (worked out by
 * hand below), the choice of method, a finished run's difference without
 * an interval, the rows every variant has, the assertion counts, and the
 * table and JSON they are written as.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "exp/compare.h"
#include "tests/testutil.h"

void suite_exp_compare(void);

/*
 * A result with rows "all" and names[0..n_names-1]; every row gets p50 =
 * p50v, p99 = p99v, error rate 0.01, amplification 1, mean 5, p95 8; one
 * assertion that holds when ok.
 */
static void make(struct exp_result *x, const char *const *names, size_t n_names, double p50v,
                 double p99v, int ok)
{
    memset(x, 0, sizeof *x);
    x->n_rows = n_names + 1;
    x->rows = fl_calloc(x->n_rows, sizeof *x->rows);
    x->v = fl_calloc(x->n_rows * EXP_N_METRICS, sizeof *x->v);
    for (size_t r = 0; r < x->n_rows; r++) {
        x->rows[r] = fl_strdup(r ? names[r - 1] : "all");
        double *v = x->v + r * EXP_N_METRICS;
        v[EXP_P50] = p50v;
        v[EXP_P95] = 8;
        v[EXP_P99] = p99v;
        v[EXP_MEAN] = 5;
        v[EXP_ERROR_RATE] = 0.01;
        v[EXP_AMPLIFICATION] = 1;
    }
    x->n_checks = 1;
    x->checks = fl_calloc(1, sizeof *x->checks);
    x->checks[0] = fl_strdup("error_rate < 1%");
    x->check_v = fl_calloc(1, sizeof *x->check_v);
    x->check_ok = fl_calloc(1, sizeof *x->check_ok);
    x->check_ok[0] = ok;
    x->requests = 1000;
}

static const char *const two_routes[] = {"/a", "/b"};
static const char *const one_route[] = {"/a"};
static const char *const words_a[] = {"s.yaml"};
static const char *const words_b[] = {"s.yaml", "--set", "x=1"};

/* A: p50 10, 12, 14 and p99 20, 21, 22; B: p50 11, 14, 15 and p99 30, 31, 33 (B lacks /b). */
struct fixture {
    struct exp_result a[3], b[3], run[1];
    uint64_t seeds[3], other[3], one[1];
    struct exp_cmp_variant v[3];
};

static void fixture_init(struct fixture *fx)
{
    const double pa[3] = {10, 12, 14}, pb[3] = {11, 14, 15};
    const double qa[3] = {20, 21, 22}, qb[3] = {30, 31, 33};
    for (int r = 0; r < 3; r++) {
        make(&fx->a[r], two_routes, 2, pa[r], qa[r], 1);
        make(&fx->b[r], one_route, 1, pb[r], qb[r], r != 1);
        fx->seeds[r] = 7 + (uint64_t)r;
        fx->other[r] = 10 + (uint64_t)r;
    }
    make(&fx->run[0], two_routes, 2, 13, 25, 1);
    fx->one[0] = 99;
    fx->v[0] = (struct exp_cmp_variant){"A", words_a, 1, 0, 3, fx->seeds, fx->a};
    fx->v[1] = (struct exp_cmp_variant){"B", words_b, 3, 0, 3, fx->seeds, fx->b};
    fx->v[2] = (struct exp_cmp_variant){"C", words_a, 1, 1, 1, fx->one, fx->run};
}

static void fixture_free(struct fixture *fx)
{
    for (int r = 0; r < 3; r++) {
        exp_result_free(&fx->a[r]);
        exp_result_free(&fx->b[r]);
    }
    exp_result_free(&fx->run[0]);
}

static const struct exp_ci *diff(const struct exp_cmp *c, size_t v, size_t row, enum exp_metric m)
{
    return &c->diff[exp_cmp_at(c, v, row, m)];
}

/*
 * Paired p50 differences 1, 2, 1: mean 4/3, sd sqrt(1/3), half t(2) =
 * 4.303 times sd / sqrt(3) = 1.434333: the interval contains 0. p99: 10,
 * 10, 11: mean 10.3333, the same half: significant. Baseline p50: mean 12,
 * sd 2, half 4.303 * 2 / sqrt(3) = 4.968676.
 */
static void test_paired_differences_by_hand(void)
{
    struct fixture fx;
    fixture_init(&fx);
    struct exp_cmp c;
    exp_cmp_compute(fx.v, 2, 1, &c);
    CU_ASSERT_EQUAL(c.method[1], EXP_CMP_PAIRED);
    const struct exp_ci *d = diff(&c, 1, 0, EXP_P50);
    ASSERT_ABS(d->mean, 4.0 / 3, 1e-12);
    ASSERT_ABS(d->sd, sqrt(1.0 / 3), 1e-12);
    ASSERT_ABS(d->half, exp_t975(2) / 3, 1e-12); /* t(2) sqrt(1/3) / sqrt 3 */
    CU_ASSERT_EQUAL(d->n, 3);
    CU_ASSERT_FALSE(exp_ci_significant(d));
    d = diff(&c, 1, 0, EXP_P99);
    ASSERT_ABS(d->mean, 31.0 / 3, 1e-12);
    ASSERT_ABS(d->half, exp_t975(2) / 3, 1e-12); /* t(2) sqrt(1/3) / sqrt 3 */
    CU_ASSERT_TRUE(exp_ci_significant(d));
    const struct exp_ci *s = &c.stat[exp_cmp_at(&c, 0, 0, EXP_P50)];
    ASSERT_ABS(s->mean, 12, 1e-12);
    ASSERT_ABS(s->sd, 2, 1e-12);
    ASSERT_ABS(s->half, exp_t975(2) * 2 / sqrt(3), 1e-12);
    ASSERT_ABS(exp_t975(2), 4.303, 1e-3);
    /* equal in every replication: a difference of exactly 0, not significant */
    d = diff(&c, 1, 0, EXP_ERROR_RATE);
    CU_ASSERT_EQUAL(d->mean, 0);
    CU_ASSERT_EQUAL(d->half, 0);
    CU_ASSERT_FALSE(exp_ci_significant(d));
    exp_cmp_free(&c);
    fixture_free(&fx);
}

/*
 * The same values on distinct seeds: Welch. va = s_a^2/3 = 4/3, vb = (13/3)/3 = 13/9; df = (va +
 * vb)^2 / (va^2/2 + vb^2/2) = 3.99361; t(3.99361) between t(3) = 3.182 and t(4) = 2.776
 * (exp/stats.c interpolates log t in 1/df); half = t * sqrt(va + vb), about 4.631.
 */
static void test_welch_when_seeds_differ_or_no_crn(void)
{
    struct fixture fx;
    fixture_init(&fx);
    struct exp_cmp c;
    exp_cmp_compute(fx.v, 2, 0, &c);
    CU_ASSERT_EQUAL(c.method[1], EXP_CMP_WELCH);
    const struct exp_ci *d = diff(&c, 1, 0, EXP_P50);
    ASSERT_ABS(d->mean, 4.0 / 3, 1e-12);
    ASSERT_ABS(d->df, 3.993610224, 1e-8);
    ASSERT_ABS(d->half, exp_t975(3.993610224) * sqrt(4.0 / 3 + 13.0 / 9), 1e-7);
    ASSERT_ABS(d->half, 4.6310, 2e-3); /* t(3.99) between t(3) = 3.182 and t(4) = 2.776 */
    CU_ASSERT_FALSE(exp_ci_significant(d));
    exp_cmp_free(&c);
    /* common random numbers asked for, but the seeds differ: not paired */
    fx.v[1].seeds = fx.other;
    exp_cmp_compute(fx.v, 2, 1, &c);
    CU_ASSERT_EQUAL(c.method[1], EXP_CMP_WELCH);
    ASSERT_ABS(diff(&c, 1, 0, EXP_P50)->half, exp_t975(3.993610224) * sqrt(4.0 / 3 + 13.0 / 9),
               1e-7);
    exp_cmp_free(&c);
    fixture_free(&fx);
}

/* A finished run (one replication): the difference of the means, no interval, never significant. */
static void test_finished_run_has_no_interval(void)
{
    struct fixture fx;
    fixture_init(&fx);
    struct exp_cmp_variant v[2] = {fx.v[0], fx.v[2]};
    struct exp_cmp c;
    exp_cmp_compute(v, 2, 1, &c);
    CU_ASSERT_EQUAL(c.method[1], EXP_CMP_NONE);
    const struct exp_ci *d = diff(&c, 1, 0, EXP_P99);
    ASSERT_ABS(d->mean, 25 - 21, 1e-12);
    CU_ASSERT_TRUE(isnan(d->half));
    CU_ASSERT_FALSE(exp_ci_significant(d));
    CU_ASSERT_TRUE(isnan(c.stat[exp_cmp_at(&c, 1, 0, EXP_P99)].half));
    ASSERT_ABS(c.stat[exp_cmp_at(&c, 1, 0, EXP_P99)].mean, 25, 0);
    /* both have /a and /b */
    CU_ASSERT_EQUAL(c.n_rows, 3);
    exp_cmp_free(&c);
    fixture_free(&fx);
}

/* Rows: "all", then the routes of the baseline every variant has; assertion counts. */
static void test_rows_and_assertions(void)
{
    struct fixture fx;
    fixture_init(&fx);
    struct exp_cmp c;
    exp_cmp_compute(fx.v, 3, 1, &c);
    CU_ASSERT_EQUAL(c.n_rows, 2);
    CU_ASSERT_STRING_EQUAL(c.rows[0], "all");
    CU_ASSERT_STRING_EQUAL(c.rows[1], "/a");
    CU_ASSERT_EQUAL(c.passed[0], 3);
    CU_ASSERT_EQUAL(c.passed[1], 2);
    CU_ASSERT_EQUAL(c.passed[2], 1);
    CU_ASSERT_EQUAL(c.method[1], EXP_CMP_PAIRED);
    CU_ASSERT_EQUAL(c.method[2], EXP_CMP_NONE);
    exp_cmp_free(&c);
    fixture_free(&fx);
}

/* The table into *text (the caller's, which the stream updates until closed). */
static void text_of(const struct exp_cmp *c, char **text, size_t *size)
{
    FILE *f = open_memstream(text, size);
    exp_cmp_write_text(c, f);
    fclose(f);
}

/* The line of text starting with prefix after the block title title. */
static const char *line_after(const char *text, const char *title, const char *prefix)
{
    const char *p = strstr(text, title);
    if (!p) return NULL;
    return strstr(p, prefix);
}

static void test_table_verdicts_and_width(void)
{
    struct fixture fx;
    fixture_init(&fx);
    struct exp_cmp c;
    exp_cmp_compute(fx.v, 3, 1, &c);
    char *t = NULL;
    size_t size = 0;
    text_of(&c, &t, &size);
    const char *p50 = line_after(t, "all requests: B vs A", "  p50 ms");
    const char *p99 = line_after(t, "all requests: B vs A", "  p99 ms");
    const char *fin = line_after(t, "all requests: C vs A", "  p99 ms");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p50);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p99);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fin);
    /* p50: 12.0±5.0, then 13.3±5.2 (sd 2.08), +1.3±1.4 (+11.1%); one decimal: half 1.4;
     * the columns as wide as their titles ("A (baseline)") */
    static const char p50_head[] = "  p50 ms     12.0\u00b15.0      13.3\u00b15.2";
    CU_ASSERT_TRUE(!strncmp(p50, p50_head, strlen(p50_head)));
    CU_ASSERT_PTR_NOT_NULL(strstr(p50, "+1.3\u00b11.4 (+11.1%)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p50, "not significant (interval contains 0)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p99, "+10.3\u00b11.4 (+49.2%)  significant\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(fin, "+4.0 (+19.0%)  no interval (one replication)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "route /a: B vs A"));
    CU_ASSERT_PTR_NULL(strstr(t, "route /b"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "  B   2 of 3\n      failed in 1 of 3: error_rate < 1%\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "a finished run, seed 99"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "3 replications, seeds 7 to 9"));
    /* no line is wider than 100 columns (a UTF-8 character is one) */
    size_t col = 0, widest = 0;
    for (const char *s = t; *s; s++) {
        if (*s == '\n')
            col = 0;
        else if (((unsigned char)*s & 0xC0) != 0x80)
            col++;
        if (col > widest) widest = col;
    }
    CU_ASSERT_TRUE(widest <= 100);
    free(t);
    exp_cmp_free(&c);
    fixture_free(&fx);
}

static void test_json_holds_every_figure(void)
{
    struct fixture fx;
    fixture_init(&fx);
    struct exp_cmp c;
    exp_cmp_compute(fx.v, 3, 1, &c);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CU_ASSERT_EQUAL(exp_cmp_write_json(&c, f), 0);
    fclose(f);
    json_error_t e;
    json_t *root = json_loads(buf, 0, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_TRUE(json_is_true(json_object_get(root, "common_random_numbers")));
    json_t *va = json_array_get(json_object_get(root, "variants"), 0);
    json_t *p50 = json_object_get(json_object_get(json_object_get(va, "rows"), "all"), "p50");
    ASSERT_ABS(json_real_value(json_object_get(p50, "mean")), 12, 1e-9);
    ASSERT_ABS(json_real_value(json_object_get(p50, "sd")), 2, 1e-9);
    ASSERT_ABS(json_real_value(json_object_get(p50, "half")), exp_t975(2) * 2 / sqrt(3), 1e-8);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(p50, "n")), 3);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(va, "seeds")), 3);
    json_t *cmps = json_object_get(root, "comparisons");
    CU_ASSERT_EQUAL(json_array_size(cmps), 2);
    json_t *b = json_array_get(cmps, 0), *cc = json_array_get(cmps, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "method")), "paired");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cc, "method")), "none");
    json_t *d = json_object_get(json_object_get(json_object_get(b, "rows"), "all"), "p99");
    ASSERT_ABS(json_real_value(json_object_get(d, "difference")), 31.0 / 3, 1e-9);
    ASSERT_ABS(json_real_value(json_object_get(d, "low")), 31.0 / 3 - exp_t975(2) / 3, 1e-8);
    CU_ASSERT_TRUE(json_is_true(json_object_get(d, "significant")));
    d = json_object_get(json_object_get(json_object_get(cc, "rows"), "all"), "p99");
    CU_ASSERT_TRUE(json_is_null(json_object_get(d, "half")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(d, "significant")));
    json_decref(root);
    free(buf);
    exp_cmp_free(&c);
    fixture_free(&fx);
}

void suite_exp_compare(void)
{
    TEST_SUITE("exp/compare");
    TEST_ADD(test_paired_differences_by_hand);
    TEST_ADD(test_welch_when_seeds_differ_or_no_crn);
    TEST_ADD(test_finished_run_has_no_interval);
    TEST_ADD(test_rows_and_assertions);
    TEST_ADD(test_table_verdicts_and_width);
    TEST_ADD(test_json_holds_every_figure);
}
