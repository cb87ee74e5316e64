/*
 * test_exp_core.c - how an experiment's replications travel: a result's
 * one-line form (exp/result.h) read back bit for bit, malformed lines
 * refused, and the worker pool (exp/pool.h) giving the same lines in the
 * same order, and the same error, whatever the number of workers.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "exp/pool.h"
#include "exp/result.h"
#include "tests/testutil.h"

void suite_exp_core(void);

/* The one-line form of x, without its '\n' (caller frees). */
static char *line_of(const struct exp_result *x)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    exp_result_write(x, f);
    fclose(f);
    CU_ASSERT(len > 0 && buf[len - 1] == '\n' && strchr(buf, '\n') == buf + len - 1);
    if (len) buf[len - 1] = '\0';
    return buf;
}

/* A result of rows x metrics values taken in turn from vals, and the given checks. */
static void make_result(struct exp_result *x, const char *const *rows, size_t n_rows,
                        const double *vals, size_t n_vals, const char *const *checks,
                        size_t n_checks)
{
    memset(x, 0, sizeof *x);
    x->n_rows = n_rows;
    x->rows = fl_calloc(n_rows, sizeof *x->rows);
    x->v = fl_calloc(n_rows * EXP_N_METRICS, sizeof *x->v);
    for (size_t i = 0; i < n_rows; i++) x->rows[i] = fl_strdup(rows[i]);
    for (size_t i = 0; i < n_rows * EXP_N_METRICS; i++) x->v[i] = vals[i % n_vals];
    x->n_checks = n_checks;
    x->checks = fl_calloc(n_checks + 1, sizeof *x->checks);
    x->check_v = fl_calloc(n_checks + 1, sizeof *x->check_v);
    x->check_ok = fl_calloc(n_checks + 1, sizeof *x->check_ok);
    for (size_t i = 0; i < n_checks; i++) {
        x->checks[i] = fl_strdup(checks[i]);
        x->check_v[i] = vals[(i + 3) % n_vals];
        x->check_ok[i] = (int)(i % 2);
    }
}

/* The same bits, or both NAN (a NAN's payload need not survive). */
static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_result(const struct exp_result *a, const struct exp_result *b)
{
    if (a->n_rows != b->n_rows || a->n_checks != b->n_checks || a->requests != b->requests)
        return 0;
    for (size_t i = 0; i < a->n_rows; i++) {
        if (strcmp(a->rows[i], b->rows[i])) return 0;
        for (int m = 0; m < EXP_N_METRICS; m++)
            if (!same_double(exp_result_get(a, i, (enum exp_metric)m),
                             exp_result_get(b, i, (enum exp_metric)m)))
                return 0;
    }
    for (size_t i = 0; i < a->n_checks; i++)
        if (strcmp(a->checks[i], b->checks[i]) || a->check_ok[i] != b->check_ok[i] ||
            !same_double(a->check_v[i], b->check_v[i]))
            return 0;
    return 1;
}

static const char *const odd_rows[] = {
    "all", "GET /a\tb", "two\nlines\r\n", "100% of %41 and %%", "", "\x7f\x01 é",
};
static const char *const odd_checks[] = {"{route: /serve, p99: \"< 47.5ms\"}", "tab\there",
                                         "50%\n"};

static void test_exp_result_round_trip_is_bit_exact(void)
{
    const double vals[] = {
        NAN,       -0.0,
        0.0,       5e-324,
        DBL_MIN,   DBL_MAX,
        -DBL_MAX,  1.0 / 3,
        0.1 + 0.2, 123456789.123456789,
        -1e-300,   INFINITY,
        -INFINITY, 46.051701859880914,
    };
    struct exp_result x, y;
    make_result(&x, odd_rows, 6, vals, sizeof vals / sizeof vals[0], odd_checks, 3);
    x.requests = UINT64_MAX;
    char *line = line_of(&x);
    CU_ASSERT_EQUAL(exp_result_read(line, &y), 0);
    CU_ASSERT(same_result(&x, &y));
    /* -0.0 keeps its sign */
    CU_ASSERT(signbit(exp_result_get(&y, 0, EXP_P95)) && exp_result_get(&y, 0, EXP_P95) == 0);
    CU_ASSERT_EQUAL(y.requests, UINT64_MAX);
    CU_ASSERT_STRING_EQUAL(y.rows[2], "two\nlines\r\n");
    CU_ASSERT_STRING_EQUAL(y.checks[2], "50%\n");
    /* written again: the same line; with its '\n': the same result */
    char *again = line_of(&y);
    CU_ASSERT_STRING_EQUAL(line, again);
    struct exp_result z;
    char *with_nl = fl_asprintf("%s\n", line);
    CU_ASSERT_EQUAL(exp_result_read(with_nl, &z), 0);
    CU_ASSERT(same_result(&x, &z));
    free(with_nl);
    free(again);
    free(line);
    exp_result_free(&x);
    exp_result_free(&y);
    exp_result_free(&z);
}

static void test_exp_result_without_checks(void)
{
    const double vals[] = {1.5, 2.5};
    struct exp_result x, y;
    make_result(&x, odd_rows, 1, vals, 2, NULL, 0);
    x.requests = 0;
    char *line = line_of(&x);
    CU_ASSERT_EQUAL(exp_result_read(line, &y), 0);
    CU_ASSERT(same_result(&x, &y));
    CU_ASSERT_EQUAL(y.n_checks, 0);
    CU_ASSERT(exp_result_passed(&y));
    CU_ASSERT_EQUAL(exp_result_row(&y, "all"), 0);
    CU_ASSERT_EQUAL(exp_result_row(&y, "none"), -1);
    free(line);
    exp_result_free(&x);
    exp_result_free(&y);
}

/* Fails the test when line reads; a malformed line leaves *out empty (and nothing allocated). */
static void refused(const char *line)
{
    struct exp_result y;
    int rc = exp_result_read(line, &y);
    if (rc != -1) fprintf(stderr, "\n  read, and should not have: \"%s\"\n", line);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT(y.n_rows == 0 && y.rows == NULL && y.v == NULL && y.checks == NULL);
    if (rc == 0) exp_result_free(&y);
}

static void test_exp_result_malformed_lines_refused(void)
{
    const double vals[] = {1, 2, 3, 4, 5, 6, 7};
    struct exp_result x;
    make_result(&x, odd_rows, 3, vals, 7, odd_checks, 2);
    x.requests = 12;
    char *line = line_of(&x);
    /* every proper prefix ending where a field ends is a line cut short */
    size_t len = strlen(line);
    for (size_t i = 0; i < len; i++) {
        if (line[i] != '\t') continue;
        char *cut = fl_strndup(line, i);
        refused(cut);
        char *cut_tab = fl_strndup(line, i + 1);
        refused(cut_tab);
        free(cut);
        free(cut_tab);
    }
    char *extra = fl_asprintf("%s\tX", line);
    refused(extra);
    free(extra);
    free(line);
    exp_result_free(&x);

    static const char *const bad[] = {
        "",
        "R",
        "R\t0\tC\t0\tN\t0",                                      /* no row */
        "X\t1\tall\t1\t2\t3\t4\t5\t6\tC\t0\tN\t1",               /* not R */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\tC\t0\tN\t1",               /* a value short */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\tx\tC\t0\tN\t1",            /* not a number */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\t7z\tC\t0\tN\t1",           /* trailing junk */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\t\tC\t0\tN\t1",             /* empty value */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\t7\tC\t1\tp99\t2\t1\tN\t1", /* ok neither 0 nor 1 */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t-1",           /* a signed count */
        "R\t1\tall\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t 1",           /* a count with a space */
        "R\t-1\tall\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t1",
        "R\t99999999999999999999\tall\tC\t0\tN\t1",
        "R\t1\tab%4\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t1", /* '%' without two hex digits */
        "R\t1\tab%\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t1",
        "R\t1\t%zz\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t1",
        "R\t1\tall\t1\t2\t3\t4\t5\t6\t7\tC\t1\t%4\t1\t1\tN\t1",
        "R\t2\tall\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t1", /* fewer rows than said */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) refused(bad[i]);
    /* and the well-formed neighbour of those lines reads */
    struct exp_result y;
    CU_ASSERT_EQUAL(exp_result_read("R\t1\tall\t1\t2\t3\t4\t5\t6\t7\tC\t0\tN\t1", &y), 0);
    exp_result_free(&y);
}

/* ---- the worker pool ---- */

struct job_arg {
    size_t fail_a, fail_b; /* jobs that fail (SIZE_MAX: none) */
};

/* A cheap, deterministic result for job k: one row per k % 3 + 1, values of k. */
static int make_job(size_t job, void *arg, char **line, char **err)
{
    const struct job_arg *a = arg;
    if (job == a->fail_a || job == a->fail_b) {
        *err = fl_asprintf("job %zu failed\non two lines", job);
        return -1;
    }
    double vals[EXP_N_METRICS];
    for (int m = 0; m < EXP_N_METRICS; m++) vals[m] = sqrt((double)job) + m / 7.0;
    struct exp_result x;
    make_result(&x, odd_rows, job % 3 + 1, vals, EXP_N_METRICS, NULL, 0);
    x.requests = job * 1000;
    *line = line_of(&x);
    exp_result_free(&x);
    return 0;
}

struct progress {
    size_t calls, last, total;
    int in_order;
};

static void count_done(size_t done, size_t total, void *arg)
{
    struct progress *p = arg;
    p->in_order &= done == p->last + 1;
    p->last = done;
    p->total = total;
    p->calls++;
}

#define POOL_JOBS 20

static void test_exp_pool_same_lines_whatever_workers(void)
{
    size_t jobs[POOL_JOBS];
    for (size_t k = 0; k < POOL_JOBS; k++) jobs[k] = (k * 7) % POOL_JOBS; /* a permutation */
    struct job_arg arg = {SIZE_MAX, SIZE_MAX};
    char *serial[POOL_JOBS];
    for (int workers = 1; workers <= 3; workers++) {
        char *lines[POOL_JOBS], *err = NULL;
        struct progress p = {0, 0, 0, 1};
        int rc =
            exp_pool_run(jobs, POOL_JOBS, workers, make_job, &arg, lines, count_done, &p, &err);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_PTR_NULL(err);
        if (rc) return;
        CU_ASSERT(p.calls == POOL_JOBS && p.last == POOL_JOBS && p.total == POOL_JOBS);
        CU_ASSERT(p.in_order);
        for (size_t k = 0; k < POOL_JOBS; k++) {
            /* position k holds job jobs[k]'s line, which reads back */
            struct exp_result x;
            CU_ASSERT_EQUAL_FATAL(exp_result_read(lines[k], &x), 0);
            CU_ASSERT_EQUAL(x.requests, jobs[k] * 1000);
            CU_ASSERT_EQUAL(x.n_rows, jobs[k] % 3 + 1);
            exp_result_free(&x);
            if (workers == 1)
                serial[k] = lines[k];
            else {
                CU_ASSERT_STRING_EQUAL(lines[k], serial[k]);
                free(lines[k]);
            }
        }
    }
    for (size_t k = 0; k < POOL_JOBS; k++) free(serial[k]);
}

static void test_exp_pool_error_names_first_failing_job(void)
{
    size_t jobs[POOL_JOBS];
    for (size_t k = 0; k < POOL_JOBS; k++) jobs[k] = k;
    /* two failures: the one at the lower position is reported, whatever the workers */
    struct job_arg arg = {13, 6};
    for (int workers = 1; workers <= 3; workers++) {
        char *lines[POOL_JOBS], *err = NULL;
        struct progress p = {0, 0, 0, 1};
        int rc =
            exp_pool_run(jobs, POOL_JOBS, workers, make_job, &arg, lines, count_done, &p, &err);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(err);
        CU_ASSERT_STRING_EQUAL(err, "job 6 failed on two lines");
        CU_ASSERT(p.last < POOL_JOBS); /* it stopped handing out jobs */
        int none = 1;
        for (size_t k = 0; k < POOL_JOBS; k++) none &= lines[k] == NULL;
        CU_ASSERT(none); /* no line kept, none leaked */
        free(err);
    }
}

static void test_exp_pool_no_jobs(void)
{
    char *err = NULL;
    struct job_arg arg = {SIZE_MAX, SIZE_MAX};
    struct progress p = {0, 0, 0, 1};
    char *lines[1];
    CU_ASSERT_EQUAL(exp_pool_run(NULL, 0, 4, make_job, &arg, lines, count_done, &p, &err), 0);
    CU_ASSERT_EQUAL(p.calls, 0);
    CU_ASSERT(exp_pool_default_workers() >= 1 && exp_pool_default_workers() <= 64);
}

void suite_exp_core(void)
{
    TEST_SUITE("exp_core");
    TEST_ADD(test_exp_result_round_trip_is_bit_exact);
    TEST_ADD(test_exp_result_without_checks);
    TEST_ADD(test_exp_result_malformed_lines_refused);
    TEST_ADD(test_exp_pool_same_lines_whatever_workers);
    TEST_ADD(test_exp_pool_error_names_first_failing_job);
    TEST_ADD(test_exp_pool_no_jobs);
}
