/*
 * sweep.c - a scenario at every point of a grid, with replications (sweep.h).
 */
#include "exp/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "exp/pool.h"

/* ---- targets and constraints ---- */

int exp_target_parse(const char *s, struct exp_target *out, char **err)
{
    FL_ASSERT(s && out && err);
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(s, ':');
    const char *name = colon ? colon + 1 : s;
    int m = exp_metric_by_name(name);
    if (m < 0 || (colon && colon == s)) {
        *err = fl_asprintf("'%s' is not a metric: [ROUTE:]p50, p95, p99, mean, error_rate, "
                           "amplification, or e2e_amplification (every request only)",
                           s);
        return -1;
    }
    if (m == EXP_E2E_AMPLIFICATION && colon) {
        *err = fl_asprintf("'%s': e2e_amplification is of every request, not of a route", s);
        return -1;
    }
    out->row = colon ? fl_strndup(s, (size_t)(colon - s)) : fl_strdup("all");
    out->metric = (enum exp_metric)m;
    return 0;
}

void exp_target_free(struct exp_target *t)
{
    FL_ASSERT(t);
    free(t->row);
    t->row = NULL;
}

/* A bound in the metric's unit: ms for latency, a fraction for error_rate, a number. */
static int bound(const char *v, enum exp_metric m, double *out)
{
    char *end;
    if (exp_metric_is_latency(m)) {
        int64_t ns;
        if (!fl_parse_duration(v, &ns)) {
            *out = (double)ns / 1e6;
            return 0;
        }
    } else if (m == EXP_ERROR_RATE) {
        if (!fl_parse_fraction(v, out)) return 0;
    }
    *out = strtod(v, &end);
    return end != v && !*end && isfinite(*out) ? 0 : -1;
}

int exp_constraint_parse(const char *s, struct exp_constraint *out, char **err)
{
    FL_ASSERT(s && out && err);
    memset(out, 0, sizeof *out);
    size_t at = strcspn(s, "<>");
    if (!s[at]) {
        *err = fl_asprintf("'%s' is not METRIC<VALUE (or <=, >, >=)", s);
        return -1;
    }
    int eq = s[at + 1] == '=';
    out->op = s[at] == '<' ? (eq ? 'l' : '<') : (eq ? 'g' : '>');
    char *metric = fl_strndup(s, at);
    /* spaces around the operator are the user's */
    while (at && metric[at - 1] == ' ') metric[--at] = '\0';
    const char *v = s + strcspn(s, "<>") + 1 + eq;
    while (*v == ' ') v++;
    int rc = exp_target_parse(metric, &out->t, err);
    free(metric);
    if (rc) return -1;
    if (bound(v, out->t.metric, &out->value)) {
        *err =
            fl_asprintf("'%s': '%s' is not a value for %s", s, v, exp_metric_names[out->t.metric]);
        exp_target_free(&out->t);
        return -1;
    }
    out->text = fl_strdup(s);
    return 0;
}

void exp_constraint_free(struct exp_constraint *c)
{
    FL_ASSERT(c);
    exp_target_free(&c->t);
    free(c->text);
    c->text = NULL;
}

/* ---- jobs ---- */

size_t exp_sweep_stride(const struct exp_sweep *s)
{
    FL_ASSERT(s && s->seeds >= 1);
    return s->auto_seeds ? s->max_seeds : s->seeds;
}

int exp_sweep_job(const struct exp_sweep *s, size_t job, char **line, char **err)
{
    size_t stride = exp_sweep_stride(s), p = job / stride, r = job % stride;
    FL_ASSERT(p < s->n_points && line && err);
    char **sets = exp_grid_sets(s->vary, s->n_vary, p);
    struct exp_result x;
    int rc = exp_replicate(&s->v, (const char *const *)sets, s->n_vary, s->seed0 + r, &x, err);
    for (size_t k = 0; k < s->n_vary; k++) free(sets[k]);
    free(sets);
    if (rc) return -1;
    size_t len = 0;
    FILE *f = open_memstream(line, &len);
    exp_result_write(&x, f);
    fclose(f);
    exp_result_free(&x);
    if (len && (*line)[len - 1] == '\n') (*line)[len - 1] = '\0';
    return 0;
}

static int job_fn(size_t job, void *arg, char **line, char **err)
{
    return exp_sweep_job(arg, job, line, err);
}

/* The pool's progress within a round, as the sweep's. */
struct round_progress {
    exp_sweep_progress cb;
    void *arg;
    size_t before, round;
};

static void round_done(size_t done, size_t total, void *arg)
{
    const struct round_progress *pr = arg;
    FL_ASSERT(pr->cb && done <= total);
    pr->cb(pr->before + done, pr->before + total, pr->round, pr->arg);
}

/* ---- summaries ---- */

static long row_index(const struct exp_point *pt, const char *row)
{
    return pt->n ? exp_result_row(&pt->res[0], row) : -1;
}

/* The point's interval of target t, or NULL when the row is not there. */
static const struct exp_ci *target_ci(const struct exp_point *pt, const struct exp_target *t)
{
    long r = row_index(pt, t->row);
    return r < 0 ? NULL : &pt->ci[(size_t)r * EXP_N_METRICS + t->metric];
}

static void summarise(struct exp_sweep *s, struct exp_point *pt)
{
    FL_ASSERT(pt->n >= 1);
    free(pt->ci);
    free(pt->check_passed);
    free(pt->check_ci);
    const struct exp_result *first = &pt->res[0];
    pt->n_rows = first->n_rows;
    pt->ci = fl_calloc(pt->n_rows * EXP_N_METRICS, sizeof *pt->ci);
    double *x = fl_calloc(pt->n, sizeof *x);
    long *at = fl_calloc(pt->n, sizeof *at);
    for (size_t row = 0; row < pt->n_rows; row++) {
        /* the row in each replication, found once (a route may be missing from one) */
        for (size_t r = 0; r < pt->n; r++) at[r] = exp_result_row(&pt->res[r], first->rows[row]);
        for (int m = 0; m < EXP_N_METRICS; m++) {
            for (size_t r = 0; r < pt->n; r++)
                x[r] = at[r] < 0 ? NAN
                                 : exp_result_get(&pt->res[r], (size_t)at[r], (enum exp_metric)m);
            exp_ci_of(x, pt->n, &pt->ci[row * EXP_N_METRICS + (size_t)m]);
        }
    }
    free(at);
    pt->passed = 0;
    pt->check_passed = fl_calloc(first->n_checks + 1, sizeof *pt->check_passed);
    pt->check_ci = fl_calloc(first->n_checks + 1, sizeof *pt->check_ci);
    for (size_t r = 0; r < pt->n; r++) {
        pt->passed += exp_result_passed(&pt->res[r]);
        for (size_t c = 0; c < first->n_checks && c < pt->res[r].n_checks; c++)
            pt->check_passed[c] += pt->res[r].check_ok[c] != 0;
    }
    for (size_t c = 0; c < first->n_checks; c++) {
        for (size_t r = 0; r < pt->n; r++)
            x[r] = c < pt->res[r].n_checks ? pt->res[r].check_v[c] : NAN;
        exp_ci_of(x, pt->n, &pt->check_ci[c]);
    }
    free(x);
    pt->feasible = 1;
    for (size_t c = 0; c < s->n_cons; c++) {
        const struct exp_constraint *k = &s->cons[c];
        const struct exp_ci *ci = target_ci(pt, &k->t);
        double v = ci ? ci->mean : NAN;
        int ok = !isnan(v) && (k->op == '<'   ? v < k->value
                               : k->op == 'l' ? v <= k->value
                               : k->op == '>' ? v > k->value
                                              : v >= k->value);
        if (!ok) pt->feasible = 0;
    }
    FL_ASSERT(pt->passed <= pt->n);
}

static void pick_best(struct exp_sweep *s)
{
    s->best = -1;
    if (!s->has_objective) return;
    double best = NAN;
    for (size_t p = 0; p < s->n_points; p++) {
        const struct exp_point *pt = &s->points[p];
        const struct exp_ci *ci = target_ci(pt, &s->objective);
        if (!pt->feasible || !ci || isnan(ci->mean)) continue;
        /* ties: the first point in grid order */
        if (s->best < 0 || (s->maximize ? ci->mean > best : ci->mean < best)) {
            best = ci->mean;
            s->best = (long)p;
        }
    }
}

/* Whether point pt's judged metrics are precise enough (auto seeds). */
static int precise(const struct exp_sweep *s, const struct exp_point *pt)
{
    for (size_t i = 0; i < s->n_prec; i++) {
        const struct exp_ci *ci = target_ci(pt, &s->prec[i]);
        if (!ci || ci->n < 2) continue; /* a row without requests: nothing to narrow */
        if (ci->half > s->precision * fabs(ci->mean)) return 0;
    }
    return 1;
}

/*
 * Replications to add to a point whose interval is too wide: the half-width
 * shrinks as 1/sqrt(n), so about n * (half / wanted)^2 in all, at least one
 * more, at most doubling per round, within max_seeds.
 */
static size_t more_seeds(const struct exp_sweep *s, const struct exp_point *pt)
{
    double need = (double)pt->n;
    for (size_t i = 0; i < s->n_prec; i++) {
        const struct exp_ci *ci = target_ci(pt, &s->prec[i]);
        if (!ci || ci->n < 2 || ci->mean == 0) continue;
        double ratio = ci->half / (s->precision * fabs(ci->mean));
        if (ratio * ratio * (double)pt->n > need) need = ratio * ratio * (double)pt->n;
    }
    size_t want = (size_t)ceil(need);
    if (want <= pt->n) want = pt->n + 1;
    if (want > 2 * pt->n) want = 2 * pt->n;
    if (want > s->max_seeds) want = s->max_seeds;
    FL_ASSERT(want >= pt->n);
    return want - pt->n;
}

/* Adds the results of lines (jobs) to their points. */
static int absorb(struct exp_sweep *s, const size_t *jobs, char *const *lines, size_t n, char **err)
{
    size_t stride = exp_sweep_stride(s);
    for (size_t k = 0; k < n; k++) {
        struct exp_point *pt = &s->points[jobs[k] / stride];
        FL_ASSERT(jobs[k] % stride == pt->n); /* jobs come in replication order */
        pt->res = fl_realloc(pt->res, (pt->n + 1) * sizeof *pt->res);
        if (!lines[k] || exp_result_read(lines[k], &pt->res[pt->n])) {
            *err = fl_asprintf("replication %zu of point %zu: malformed result",
                               jobs[k] % stride + 1, jobs[k] / stride + 1);
            return -1;
        }
        pt->n++;
    }
    return 0;
}

static void default_prec(struct exp_sweep *s)
{
    if (!s->auto_seeds || s->n_prec) return;
    s->prec = fl_calloc(1, sizeof *s->prec);
    s->n_prec = 1;
    if (s->has_objective) {
        s->prec[0].row = fl_strdup(s->objective.row);
        s->prec[0].metric = s->objective.metric;
    } else {
        s->prec[0].row = fl_strdup("all");
        s->prec[0].metric = EXP_P99;
    }
}

int exp_sweep_run(struct exp_sweep *s, int workers, exp_sweep_progress progress, void *arg,
                  char **err)
{
    FL_ASSERT(s && s->n_points >= 1 && s->seeds >= 1 && !s->points && workers >= 1);
    FL_ASSERT(!s->auto_seeds || (s->max_seeds >= s->seeds && s->precision > 0));
    default_prec(s);
    s->points = fl_calloc(s->n_points, sizeof *s->points);
    size_t stride = exp_sweep_stride(s), done_before = 0;
    size_t *jobs = fl_calloc(s->n_points * stride, sizeof *jobs);
    char **lines = fl_calloc(s->n_points * stride, sizeof *lines);
    int rc = 0;
    for (s->rounds = 0;; s->rounds++) {
        size_t n = 0;
        for (size_t p = 0; p < s->n_points; p++) {
            struct exp_point *pt = &s->points[p];
            size_t add = s->rounds == 0 ? s->seeds : precise(s, pt) ? 0 : more_seeds(s, pt);
            for (size_t r = pt->n; r < pt->n + add; r++) jobs[n++] = p * stride + r;
        }
        if (n == 0) break;
        struct round_progress pr = {progress, arg, done_before, s->rounds + 1};
        rc = exp_pool_run(jobs, n, workers, job_fn, s, lines, progress ? round_done : NULL, &pr,
                          err);
        if (!rc) rc = absorb(s, jobs, lines, n, err);
        for (size_t k = 0; k < n; k++) {
            free(lines[k]);
            lines[k] = NULL;
        }
        if (rc) break;
        done_before += n;
        for (size_t p = 0; p < s->n_points; p++) summarise(s, &s->points[p]);
        if (!s->auto_seeds) break;
    }
    free(jobs);
    free(lines);
    if (!rc) pick_best(s);
    return rc ? -1 : 0;
}

int exp_sweep_fill(struct exp_sweep *s, char *const *lines, char **err)
{
    FL_ASSERT(s && !s->auto_seeds && !s->points && lines);
    s->points = fl_calloc(s->n_points, sizeof *s->points);
    size_t n = s->n_points * s->seeds;
    size_t *jobs = fl_calloc(n, sizeof *jobs);
    for (size_t k = 0; k < n; k++) jobs[k] = k;
    int rc = absorb(s, jobs, lines, n, err);
    free(jobs);
    if (rc) return -1;
    s->rounds = 1;
    for (size_t p = 0; p < s->n_points; p++) summarise(s, &s->points[p]);
    pick_best(s);
    return 0;
}

void exp_sweep_free(struct exp_sweep *s)
{
    FL_ASSERT(s);
    for (size_t p = 0; s->points && p < s->n_points; p++) {
        struct exp_point *pt = &s->points[p];
        for (size_t r = 0; r < pt->n; r++) exp_result_free(&pt->res[r]);
        free(pt->res);
        free(pt->ci);
        free(pt->check_passed);
        free(pt->check_ci);
    }
    free(s->points);
    for (size_t k = 0; k < s->n_vary; k++) exp_vary_free(&s->vary[k]);
    free(s->vary);
    for (size_t i = 0; i < s->n_prec; i++) exp_target_free(&s->prec[i]);
    free(s->prec);
    exp_target_free(&s->objective);
    for (size_t c = 0; c < s->n_cons; c++) exp_constraint_free(&s->cons[c]);
    free(s->cons);
    memset(s, 0, sizeof *s);
}
