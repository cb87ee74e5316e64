/*
 * compare.c - the figures of a comparison (compare.h); compare_out.c writes them.
 */
#include "exp/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

const char *const exp_cmp_method_names[3] = {"paired", "welch", "none"};

/* 1 if every variant has a row named name. */
static int in_every(const struct exp_cmp_variant *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < v[i].n; r++)
            if (exp_result_row(&v[i].res[r], name) < 0) return 0;
    return 1;
}

static void pick_rows(const struct exp_cmp_variant *v, size_t n, struct exp_cmp *out)
{
    const struct exp_result *base = &v[0].res[0];
    out->rows = fl_calloc(base->n_rows, sizeof *out->rows);
    for (size_t i = 0; i < base->n_rows; i++)
        if (in_every(v, n, base->rows[i])) out->rows[out->n_rows++] = fl_strdup(base->rows[i]);
    FL_ASSERT(out->n_rows >= 1 && !strcmp(out->rows[0], "all"));
}

/* Metric m of row name in each of v's replications, into x[0..v->n-1]. */
static void column(const struct exp_cmp_variant *v, const char *name, enum exp_metric m, double *x)
{
    for (size_t r = 0; r < v->n; r++) {
        long row = exp_result_row(&v->res[r], name);
        FL_ASSERT(row >= 0);
        x[r] = exp_result_get(&v->res[r], (size_t)row, m);
    }
}

static enum exp_cmp_method method_of(const struct exp_cmp_variant *a,
                                     const struct exp_cmp_variant *b, int crn)
{
    if (a->n < 2 || b->n < 2) return EXP_CMP_NONE;
    if (crn && !a->finished && !b->finished && a->n == b->n &&
        !memcmp(a->seeds, b->seeds, a->n * sizeof *a->seeds))
        return EXP_CMP_PAIRED;
    return EXP_CMP_WELCH;
}

/* b - a by method; without an interval, the difference of the means. */
static void difference(enum exp_cmp_method how, const double *a, size_t na, const double *b,
                       size_t nb, struct exp_ci *out)
{
    if (how == EXP_CMP_PAIRED) {
        FL_ASSERT(na == nb);
        exp_ci_paired(a, b, na, out);
    } else if (how == EXP_CMP_WELCH) {
        exp_ci_welch(a, na, b, nb, out);
    } else {
        struct exp_ci x, y;
        exp_ci_of(a, na, &x);
        exp_ci_of(b, nb, &y);
        out->mean = y.mean - x.mean;
        out->sd = out->half = NAN;
        out->df = 0;
        out->n = x.n < y.n ? x.n : y.n;
    }
}

void exp_cmp_compute(const struct exp_cmp_variant *v, size_t n, int crn, struct exp_cmp *out)
{
    FL_ASSERT(v && n >= 2 && out);
    memset(out, 0, sizeof *out);
    out->n_variants = n;
    out->variants = v;
    out->crn = crn != 0;
    for (size_t i = 0; i < n; i++) FL_ASSERT(v[i].n >= 1 && v[i].res && v[i].seeds);
    pick_rows(v, n, out);
    size_t cells = n * out->n_rows * EXP_N_METRICS, most = 0;
    out->stat = fl_calloc(cells, sizeof *out->stat);
    out->diff = fl_calloc(cells, sizeof *out->diff);
    out->method = fl_calloc(n, sizeof *out->method);
    out->passed = fl_calloc(n, sizeof *out->passed);
    for (size_t i = 0; i < n; i++) {
        most = v[i].n > most ? v[i].n : most;
        out->method[i] = i ? method_of(&v[0], &v[i], crn) : EXP_CMP_NONE;
        for (size_t r = 0; r < v[i].n; r++) out->passed[i] += exp_result_passed(&v[i].res[r]) != 0;
    }
    double *a = fl_calloc(most, sizeof *a), *b = fl_calloc(most, sizeof *b);
    for (size_t row = 0; row < out->n_rows; row++)
        for (int m = 0; m < EXP_N_METRICS; m++) {
            column(&v[0], out->rows[row], (enum exp_metric)m, a);
            exp_ci_of(a, v[0].n, &out->stat[exp_cmp_at(out, 0, row, (enum exp_metric)m)]);
            for (size_t i = 1; i < n; i++) {
                size_t at = exp_cmp_at(out, i, row, (enum exp_metric)m);
                column(&v[i], out->rows[row], (enum exp_metric)m, b);
                exp_ci_of(b, v[i].n, &out->stat[at]);
                difference(out->method[i], a, v[0].n, b, v[i].n, &out->diff[at]);
            }
        }
    free(a);
    free(b);
    FL_ASSERT(out->passed[0] <= v[0].n);
}

void exp_cmp_free(struct exp_cmp *c)
{
    FL_ASSERT(c && (c->rows || !c->n_rows));
    for (size_t i = 0; i < c->n_rows; i++) free(c->rows[i]);
    free(c->rows);
    free(c->stat);
    free(c->diff);
    free(c->method);
    free(c->passed);
    memset(c, 0, sizeof *c);
}
