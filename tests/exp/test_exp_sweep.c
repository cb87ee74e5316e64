/*
 * test_exp_sweep.c - a sweep's grid (exp/grid.c), its objective and
 * constraints (exp/sweep.c), and a sweep filled from result lines: the
 * summaries per point and the best point, on results whose figures are
 * set by hand.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "exp/grid.h"
#include "exp/sweep.h"
#include "tests/testutil.h"

void suite_exp_sweep(void);

static void test_grid_list_and_ranges(void)
{
    struct exp_vary v;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("a.b=1,x,250ms", &v, &err), 0);
    CU_ASSERT_STRING_EQUAL(v.key, "a.b");
    CU_ASSERT_EQUAL(v.n, 3);
    CU_ASSERT_STRING_EQUAL(v.values[2], "250ms");
    exp_vary_free(&v);
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("k=100ms..400ms/100ms", &v, &err), 0);
    CU_ASSERT_EQUAL(v.n, 4);
    CU_ASSERT_STRING_EQUAL(v.values[0], "100ms");
    CU_ASSERT_STRING_EQUAL(v.values[3], "400ms");
    exp_vary_free(&v);
    /* by index, not by adding: 0.1 steps end exactly at 0.3, and 0.3 is printed as such */
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("k=0..0.3/0.1", &v, &err), 0);
    CU_ASSERT_EQUAL(v.n, 4);
    CU_ASSERT_STRING_EQUAL(v.values[0], "0");
    CU_ASSERT_STRING_EQUAL(v.values[3], "0.3");
    exp_vary_free(&v);
    /* a step that does not land on TO stops below it */
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("k=1..6/2", &v, &err), 0);
    CU_ASSERT_EQUAL(v.n, 3);
    CU_ASSERT_STRING_EQUAL(v.values[2], "5");
    exp_vary_free(&v);
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("k=10/s..30/s/10", &v, &err), 0);
    CU_ASSERT_EQUAL(v.n, 3);
    CU_ASSERT_STRING_EQUAL(v.values[1], "20/s");
    exp_vary_free(&v);
}

static void test_grid_rejects(void)
{
    static const char *const bad[] = {"novalue",  "=1,2",      "k=",       "k=1,,2",
                                      "k=1..5",   "k=5..1/1",  "k=1..5/0", "k=1ms..5s/1ms",
                                      "k=a..b/1", "k=0..1e9/1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct exp_vary v;
        char *err = NULL;
        CU_ASSERT_EQUAL(exp_vary_parse(bad[i], &v, &err), -1);
        CU_ASSERT_PTR_NOT_NULL(err);
        free(err);
    }
}

static void test_grid_points_first_key_slowest(void)
{
    struct exp_vary v[2];
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("a=1,2", &v[0], &err), 0);
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse("b=x,y,z", &v[1], &err), 0);
    CU_ASSERT_EQUAL(exp_grid_points(v, 2), 6);
    CU_ASSERT_STRING_EQUAL(exp_grid_value(v, 2, 0, 0), "1");
    CU_ASSERT_STRING_EQUAL(exp_grid_value(v, 2, 2, 1), "z");
    CU_ASSERT_STRING_EQUAL(exp_grid_value(v, 2, 3, 0), "2");
    CU_ASSERT_STRING_EQUAL(exp_grid_value(v, 2, 3, 1), "x");
    char **sets = exp_grid_sets(v, 2, 5);
    CU_ASSERT_STRING_EQUAL(sets[0], "a=2");
    CU_ASSERT_STRING_EQUAL(sets[1], "b=z");
    free(sets[0]);
    free(sets[1]);
    free(sets);
    CU_ASSERT_EQUAL(exp_grid_points(NULL, 0), 1);
    exp_vary_free(&v[0]);
    exp_vary_free(&v[1]);
}

static void test_targets_and_constraints(void)
{
    struct exp_target t;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(exp_target_parse("p99", &t, &err), 0);
    CU_ASSERT_STRING_EQUAL(t.row, "all");
    CU_ASSERT_EQUAL(t.metric, EXP_P99);
    exp_target_free(&t);
    /* a route name may hold ':'; the last one splits */
    CU_ASSERT_EQUAL_FATAL(exp_target_parse("/api:v2:error_rate", &t, &err), 0);
    CU_ASSERT_STRING_EQUAL(t.row, "/api:v2");
    CU_ASSERT_EQUAL(t.metric, EXP_ERROR_RATE);
    exp_target_free(&t);
    CU_ASSERT_EQUAL(exp_target_parse("p98", &t, &err), -1);
    free(err);
    err = NULL;
    struct exp_constraint c;
    CU_ASSERT_EQUAL_FATAL(exp_constraint_parse("error_rate<0.1%", &c, &err), 0);
    CU_ASSERT_EQUAL(c.op, '<');
    CU_ASSERT_DOUBLE_EQUAL(c.value, 0.001, 1e-15);
    exp_constraint_free(&c);
    CU_ASSERT_EQUAL_FATAL(exp_constraint_parse("/x:p99 <= 1.5s", &c, &err), 0);
    CU_ASSERT_EQUAL(c.op, 'l');
    CU_ASSERT_STRING_EQUAL(c.t.row, "/x");
    CU_ASSERT_DOUBLE_EQUAL(c.value, 1500.0, 1e-9); /* ms */
    exp_constraint_free(&c);
    CU_ASSERT_EQUAL_FATAL(exp_constraint_parse("amplification>=1.2", &c, &err), 0);
    CU_ASSERT_EQUAL(c.op, 'g');
    CU_ASSERT_DOUBLE_EQUAL(c.value, 1.2, 1e-15);
    exp_constraint_free(&c);
    CU_ASSERT_EQUAL(exp_constraint_parse("p99", &c, &err), -1);
    free(err);
    err = NULL;
    CU_ASSERT_EQUAL(exp_constraint_parse("p99<fast", &c, &err), -1);
    free(err);
}

/* A result line with every metric of "all" set to v, errors to e; one assertion, ok. */
static char *line(double p99, double err_rate, int ok)
{
    return fl_asprintf("R\t1\tall\t1\t2\t%.17g\t3\t%.17g\t1\t1\tC\t1\tp99 < 1s\t%d\t%.17g\tN\t100",
                       p99, err_rate, ok, p99);
}

/* A fixed sweep over one key (vary: "KEY=VALUES") with `seeds` seeds per point. */
static void sweep_of(struct exp_sweep *s, const char *vary, size_t seeds)
{
    char *err = NULL;
    memset(s, 0, sizeof *s);
    s->vary = calloc(1, sizeof *s->vary);
    CU_ASSERT_EQUAL_FATAL(exp_vary_parse(vary, &s->vary[0], &err), 0);
    s->n_vary = 1;
    s->n_points = s->vary[0].n;
    s->seeds = seeds;
    s->seed0 = 10;
}

static void test_fill_summarises_and_picks_the_best(void)
{
    struct exp_sweep s;
    char *err = NULL;
    sweep_of(&s, "attempts=0,1,2", 2);
    s.has_objective = 1;
    CU_ASSERT_EQUAL_FATAL(exp_target_parse("p99", &s.objective, &err), 0);
    s.cons = calloc(1, sizeof *s.cons);
    CU_ASSERT_EQUAL_FATAL(exp_constraint_parse("error_rate<1%", &s.cons[0], &err), 0);
    s.n_cons = 1;
    /* point 0: fast but 5% errors; point 1: 40 and 50 ms, 0.5%; point 2: 60 ms, 0.1% */
    char *lines[6] = {line(20, 0.05, 0),  line(20, 0.05, 0),  line(40, 0.005, 1),
                      line(50, 0.005, 1), line(60, 0.001, 1), line(60, 0.001, 0)};
    CU_ASSERT_EQUAL_FATAL(exp_sweep_fill(&s, lines, &err), 0);
    CU_ASSERT_EQUAL(s.points[1].n, 2);
    const struct exp_ci *ci = &s.points[1].ci[EXP_P99];
    CU_ASSERT_DOUBLE_EQUAL(ci->mean, 45.0, 1e-12);
    /* sd of {40, 50} = 7.0711; half = t(1) 12.706 x 7.0711 / sqrt 2 = 63.53 */
    CU_ASSERT_DOUBLE_EQUAL(ci->sd, sqrt(50.0), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(ci->half, exp_t975(1) * sqrt(50.0) / sqrt(2.0), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(exp_t975(1), 12.706, 1e-3);
    CU_ASSERT_EQUAL(s.points[0].passed, 0);
    CU_ASSERT_EQUAL(s.points[2].passed, 1);
    CU_ASSERT_EQUAL(s.points[0].feasible, 0);
    CU_ASSERT_EQUAL(s.points[1].feasible, 1);
    CU_ASSERT_EQUAL(s.best, 1); /* the lowest p99 among the points under 1% errors */
    for (int i = 0; i < 6; i++) free(lines[i]);
    exp_sweep_free(&s);
}

static void test_fill_rejects_a_malformed_line(void)
{
    struct exp_sweep s;
    char *err = NULL;
    sweep_of(&s, "k=1", 1);
    char *lines[1] = {(char *)"R\t1\tall\t1\t2"};
    CU_ASSERT_EQUAL(exp_sweep_fill(&s, lines, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(err);
    free(err);
    exp_sweep_free(&s);
}

void suite_exp_sweep(void)
{
    TEST_SUITE("exp/sweep");
    TEST_ADD(test_grid_list_and_ranges);
    TEST_ADD(test_grid_rejects);
    TEST_ADD(test_grid_points_first_key_slowest);
    TEST_ADD(test_targets_and_constraints);
    TEST_ADD(test_fill_summarises_and_picks_the_best);
    TEST_ADD(test_fill_rejects_a_malformed_line);
}
