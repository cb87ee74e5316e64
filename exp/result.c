/*
 * result.c - one replication's figures, and their one-line form (result.h).
 *
 * The line is tab-separated: "R", the row count, then per row its name and
 * its EXP_N_METRICS values; "C", the assertion count, then per assertion
 * its text, 1/0 and value; "N" and the request count. Names are
 * percent-encoded (%, tab, CR, LF); doubles are printed with %.17g, which
 * strtod reads back to the same bits (NAN as "nan").
 */
#include "exp/result.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "exp/pct.h"
#include "reports/results.h"

const char *const exp_metric_names[EXP_N_METRICS] = {
    "p50", "p95", "p99", "mean", "error_rate", "amplification", "e2e_amplification"};

int exp_metric_by_name(const char *name)
{
    FL_ASSERT(name);
    for (int m = 0; m < EXP_N_METRICS; m++)
        if (!strcmp(exp_metric_names[m], name)) return m;
    return -1;
}

int exp_metric_is_latency(enum exp_metric m)
{
    FL_ASSERT(m < EXP_N_METRICS);
    return m <= EXP_MEAN;
}

long exp_result_row(const struct exp_result *x, const char *name)
{
    FL_ASSERT(x && name);
    for (size_t i = 0; i < x->n_rows; i++)
        if (!strcmp(x->rows[i], name)) return (long)i;
    return -1;
}

int exp_result_passed(const struct exp_result *x)
{
    FL_ASSERT(x);
    for (size_t i = 0; i < x->n_checks; i++)
        if (!x->check_ok[i]) return 0;
    return 1;
}

void exp_result_free(struct exp_result *x)
{
    FL_ASSERT(x);
    for (size_t i = 0; i < x->n_rows; i++) free(x->rows[i]);
    for (size_t i = 0; i < x->n_checks; i++) free(x->checks[i]);
    free(x->rows);
    free(x->v);
    free(x->checks);
    free(x->check_v);
    free(x->check_ok);
    memset(x, 0, sizeof *x);
}

static void row_of(const struct rpt_stats *s, double *v)
{
    FL_ASSERT(s && v);
    if (s->count == 0) {
        for (int m = 0; m < EXP_N_METRICS; m++) v[m] = NAN;
        return;
    }
    v[EXP_P50] = (double)rpt_hist_quantile(&s->hist, 0.50) / 1e6;
    v[EXP_P95] = (double)rpt_hist_quantile(&s->hist, 0.95) / 1e6;
    v[EXP_P99] = (double)rpt_hist_quantile(&s->hist, 0.99) / 1e6;
    v[EXP_MEAN] = rpt_hist_mean(&s->hist) / 1e6;
    v[EXP_ERROR_RATE] = (double)s->errors / (double)s->count;
    v[EXP_AMPLIFICATION] = (double)s->tries / (double)s->count;
    v[EXP_E2E_AMPLIFICATION] = NAN; /* per route, nothing counts it */
}

void exp_result_of_run(const struct rpt_run *run, struct exp_result *out)
{
    FL_ASSERT(run && out);
    memset(out, 0, sizeof *out);
    out->n_rows = run->n_routes + 1;
    out->rows = fl_calloc(out->n_rows, sizeof *out->rows);
    out->v = fl_calloc(out->n_rows * EXP_N_METRICS, sizeof *out->v);
    out->rows[0] = fl_strdup("all");
    row_of(&run->all, out->v);
    /* sim/amplify.c: arrivals at the leaf services, whoever retried on the way */
    if (run->all.count)
        out->v[EXP_E2E_AMPLIFICATION] = (double)run->leaf_arrivals / (double)run->all.count;
    for (size_t i = 0; i < run->n_routes; i++) {
        out->rows[i + 1] = fl_strdup(run->routes[i].name);
        row_of(&run->routes[i], out->v + (i + 1) * EXP_N_METRICS);
    }
    out->n_checks = run->n_checks;
    out->checks = fl_calloc(run->n_checks + 1, sizeof *out->checks);
    out->check_v = fl_calloc(run->n_checks + 1, sizeof *out->check_v);
    out->check_ok = fl_calloc(run->n_checks + 1, sizeof *out->check_ok);
    for (size_t i = 0; i < run->n_checks; i++) {
        const struct rpt_check *c = &run->checks[i];
        out->checks[i] = fl_strdup(c->text);
        out->check_ok[i] = c->ok != 0;
        double v = c->evaluated ? c->value : NAN;
        out->check_v[i] = rpt_metric_is_duration(c->metric) ? v / 1e6 : v;
    }
    out->requests = run->all.count;
    FL_ASSERT(out->n_rows >= 1 && !strcmp(out->rows[0], "all"));
}

/* ---- the one-line form ---- */

void exp_result_write(const struct exp_result *x, FILE *f)
{
    FL_ASSERT(x && f && x->n_rows >= 1);
    fprintf(f, "R\t%zu", x->n_rows);
    for (size_t i = 0; i < x->n_rows; i++) {
        fputc('\t', f);
        exp_pct_put(f, x->rows[i]);
        for (int m = 0; m < EXP_N_METRICS; m++)
            fprintf(f, "\t%.17g", exp_result_get(x, i, (enum exp_metric)m));
    }
    fprintf(f, "\tC\t%zu", x->n_checks);
    for (size_t i = 0; i < x->n_checks; i++) {
        fputc('\t', f);
        exp_pct_put(f, x->checks[i]);
        fprintf(f, "\t%d\t%.17g", x->check_ok[i], x->check_v[i]);
    }
    fprintf(f, "\tN\t%llu\n", (unsigned long long)x->requests);
}

/* The next tab-separated field of *p (advanced past it), NUL-terminated in place. */
static char *field(char **p)
{
    if (!*p) return NULL;
    char *start = *p, *end = start + strcspn(start, "\t\n");
    if (*end == '\t') {
        *end = '\0';
        *p = end + 1;
    } else {
        *end = '\0';
        *p = NULL;
    }
    return start;
}

static int number(char **p, double *out)
{
    char *f = field(p), *end;
    if (!f || !*f) return -1;
    *out = strtod(f, &end);
    return *end ? -1 : 0;
}

static int count(char **p, size_t max, size_t *out)
{
    char *f = field(p), *end;
    if (!f || *f < '0' || *f > '9') return -1; /* strtoull would take a sign or spaces */
    unsigned long long v = strtoull(f, &end, 10);
    if (*end || v > max) return -1;
    *out = (size_t)v;
    return 0;
}

int exp_result_read(const char *line, struct exp_result *out)
{
    FL_ASSERT(line && out);
    memset(out, 0, sizeof *out);
    char *copy = fl_strdup(line), *p = copy, *f;
    size_t n;
    int rc = -1;
    if (!(f = field(&p)) || strcmp(f, "R") || count(&p, 1000000, &n) || n < 1) goto done;
    out->rows = fl_calloc(n, sizeof *out->rows);
    out->v = fl_calloc(n * EXP_N_METRICS, sizeof *out->v);
    for (size_t i = 0; i < n; i++) {
        if (!(f = field(&p))) goto done;
        if (!(out->rows[out->n_rows] = exp_pct_decode(f))) goto done;
        out->n_rows++;
        for (int m = 0; m < EXP_N_METRICS; m++)
            if (number(&p, &out->v[i * EXP_N_METRICS + (size_t)m])) goto done;
    }
    if (!(f = field(&p)) || strcmp(f, "C") || count(&p, 1000000, &n)) goto done;
    out->checks = fl_calloc(n + 1, sizeof *out->checks);
    out->check_v = fl_calloc(n + 1, sizeof *out->check_v);
    out->check_ok = fl_calloc(n + 1, sizeof *out->check_ok);
    for (size_t i = 0; i < n; i++) {
        double ok;
        if (!(f = field(&p))) goto done;
        if (!(out->checks[out->n_checks] = exp_pct_decode(f))) goto done;
        out->n_checks++;
        if (number(&p, &ok) || (ok != 0 && ok != 1) || number(&p, &out->check_v[i])) goto done;
        out->check_ok[i] = ok == 1;
    }
    size_t req;
    if (!(f = field(&p)) || strcmp(f, "N") || count(&p, SIZE_MAX, &req) || p) goto done;
    out->requests = req;
    rc = 0;
done:
    free(copy);
    if (rc) exp_result_free(out);
    return rc;
}
