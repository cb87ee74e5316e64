/*
 * compare_out.c - a comparison written as a table and as JSON (compare.h).
 *
 * The table prints each number to the precision its interval supports:
 * the half-width of the line's difference (else of a mean) with two
 * significant digits sets the decimals of every number on the line. A
 * verdict that would end past column 100 goes on a line of its own.
 * Error rates are shown in percent, latencies in ms, amplification as
 * tries per request. The JSON keeps every figure in its own unit (error
 * rate as a fraction) with nine decimals.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "exp/ci_json.h"
#include "exp/compare.h"
#include "reports/json.h"

#define WIDTH     100 /* columns of a line */
#define N_CELLS   5   /* metric, baseline, variant, difference, verdict */
#define CELL_SIZE 128

static const char *const labels[EXP_N_METRICS] = {"p50 ms",  "p95 ms",    "p99 ms", "mean ms",
                                                  "error %", "tries/req", "e2e/req"};

/* Columns taken by UTF-8 text s (one per character). */
static size_t cols(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void pad(FILE *f, const char *s, size_t width)
{
    FL_ASSERT(f && s);
    fputs(s, f);
    for (size_t n = cols(s); n < width; n++) fputc(' ', f);
}

static double shown(enum exp_metric m, double v)
{
    FL_ASSERT(m < EXP_N_METRICS);
    return m == EXP_ERROR_RATE ? 100 * v : v;
}

/* Decimals giving half two significant digits (3 without a usable half). */
static int decimals_for(double half)
{
    if (!(half > 0) || !isfinite(half)) return 3;
    int d = 1 - (int)floor(log10(half));
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* x with d decimals; "0" without sign or "-0" when it rounds to zero; sign: always "+" or "-". */
static void number(char *buf, size_t size, double x, int d, int sign)
{
    FL_ASSERT(buf && size > 0 && d >= 0 && d <= 6 && isfinite(x));
    if (fabs(x) < 0.5 * pow(10, -d)) x = 0;
    snprintf(buf, size, sign && x != 0 ? "%+.*f" : "%.*f", d, x);
}

/* "mean ± half", "mean" without an interval, "-" without a value. */
static void mean_cell(char *buf, const struct exp_ci *ci, enum exp_metric m, int d, int sign)
{
    FL_ASSERT(buf && ci && (isnan(ci->half) || ci->half >= 0));
    if (isnan(ci->mean)) {
        snprintf(buf, CELL_SIZE, "-");
        return;
    }
    char a[48], b[48];
    number(a, sizeof a, shown(m, ci->mean), d, sign);
    if (isnan(ci->half)) {
        snprintf(buf, CELL_SIZE, "%s", a);
        return;
    }
    number(b, sizeof b, shown(m, ci->half), d, 0);
    snprintf(buf, CELL_SIZE, "%s\u00b1%s", a, b);
}

static const char *verdict(const struct exp_ci *d, enum exp_cmp_method how)
{
    FL_ASSERT(d && how <= EXP_CMP_NONE && (how != EXP_CMP_NONE || isnan(d->half)));
    if (isnan(d->mean)) return "-";
    if (how == EXP_CMP_NONE) return "no interval (one replication)";
    return exp_ci_significant(d) ? "significant" : "not significant (interval contains 0)";
}

static void metric_cells(const struct exp_cmp *c, size_t v, size_t row, enum exp_metric m,
                         char cell[N_CELLS][CELL_SIZE])
{
    FL_ASSERT(v >= 1 && v < c->n_variants && row < c->n_rows && m < EXP_N_METRICS);
    const struct exp_ci *a = &c->stat[exp_cmp_at(c, 0, row, m)];
    const struct exp_ci *b = &c->stat[exp_cmp_at(c, v, row, m)];
    const struct exp_ci *d = &c->diff[exp_cmp_at(c, v, row, m)];
    /* the difference's interval; without one, the narrower of the means' */
    double h = d->half;
    if (!(h > 0)) h = a->half > 0 && !(b->half < a->half) ? a->half : b->half;
    int dec = decimals_for(shown(m, h));
    snprintf(cell[0], CELL_SIZE, "%s", labels[m]);
    mean_cell(cell[1], a, m, dec, 0);
    mean_cell(cell[2], b, m, dec, 0);
    mean_cell(cell[3], d, m, dec, 1);
    if (!isnan(d->mean) && a->mean != 0 && !isnan(a->mean)) {
        size_t len = strlen(cell[3]);
        double rel = 100 * d->mean / a->mean;
        const char *fmt = fabs(rel) < 0.05    ? " (0.0%%)"
                          : fabs(rel) < 99.95 ? " (%+.1f%%)"
                                              : " (%+.0f%%)";
        snprintf(cell[3] + len, CELL_SIZE - len, fmt, rel);
    }
    snprintf(cell[4], CELL_SIZE, "%s", verdict(d, c->method[v]));
}

/* One row's comparison of variant v with the baseline. */
static void write_block(const struct exp_cmp *c, size_t v, size_t row, FILE *f)
{
    FL_ASSERT(v >= 1 && v < c->n_variants && row < c->n_rows);
    char cells[EXP_N_METRICS + 1][N_CELLS][CELL_SIZE];
    const struct exp_cmp_variant *base = &c->variants[0], *var = &c->variants[v];
    snprintf(cells[0][0], CELL_SIZE, "metric");
    snprintf(cells[0][1], CELL_SIZE, "%s (baseline)", base->label);
    snprintf(cells[0][2], CELL_SIZE, "%s", var->label);
    snprintf(cells[0][3], CELL_SIZE, "%s - %s", var->label, base->label);
    snprintf(cells[0][4], CELL_SIZE, "verdict");
    int n_lines = 1;
    for (int m = 0; m < EXP_N_METRICS; m++) {
        /* a metric no variant has for this row (end-to-end amplification of a route) */
        if (isnan(c->stat[exp_cmp_at(c, 0, row, (enum exp_metric)m)].mean) &&
            isnan(c->stat[exp_cmp_at(c, v, row, (enum exp_metric)m)].mean))
            continue;
        metric_cells(c, v, row, (enum exp_metric)m, cells[n_lines++]);
    }
    size_t w[N_CELLS] = {0}, total = 2;
    for (int k = 0; k < N_CELLS; k++) {
        for (int l = 0; l < n_lines; l++)
            w[k] = cols(cells[l][k]) > w[k] ? cols(cells[l][k]) : w[k];
        total += w[k] + (k < N_CELLS - 1 ? 2 : 0);
    }
    if (!strcmp(c->rows[row], "all"))
        fprintf(f, "\nall requests: %s vs %s\n", var->label, base->label);
    else
        fprintf(f, "\nroute %s: %s vs %s\n", c->rows[row], var->label, base->label);
    for (int l = 0; l < n_lines; l++) {
        fputs("  ", f);
        for (int k = 0; k < N_CELLS - 1; k++) pad(f, cells[l][k], k < N_CELLS - 2 ? w[k] + 2 : 0);
        if (total - w[4] + cols(cells[l][4]) > WIDTH) /* the verdict on a line of its own */
            fprintf(f, "\n      %s\n", cells[l][4]);
        else {
            for (size_t n = cols(cells[l][3]); n < w[3] + 2; n++) fputc(' ', f);
            fprintf(f, "%s\n", cells[l][4]);
        }
    }
}

/*
 * A variant's words, wrapped at WIDTH, the first line after its label; an
 * option and its value (the words after the first go in pairs) stay together.
 */
static void write_words(const struct exp_cmp_variant *v, size_t indent, FILE *f)
{
    FL_ASSERT(v && v->n_words >= 1 && indent < WIDTH);
    size_t at = indent;
    for (size_t i = 0; i < v->n_words; i++) {
        size_t n = cols(v->words[i]);
        int starts_pair = i % 2 == 1;
        if (starts_pair && i + 1 < v->n_words) n += 1 + cols(v->words[i + 1]);
        if (i && starts_pair && at + 1 + n > WIDTH) {
            fprintf(f, "\n%*s", (int)indent, "");
            at = indent;
        } else if (i) {
            fputc(' ', f);
            at++;
        }
        fputs(v->words[i], f);
        at += starts_pair ? cols(v->words[i]) : n;
    }
    fputc('\n', f);
}

static void write_seeds(const struct exp_cmp_variant *v, FILE *f)
{
    FL_ASSERT(v && v->n >= 1 && (!v->finished || v->n == 1));
    int consecutive = 1;
    for (size_t r = 1; r < v->n; r++) consecutive &= v->seeds[r] == v->seeds[r - 1] + 1;
    if (v->finished)
        fprintf(f, "a finished run, seed %llu", (unsigned long long)v->seeds[0]);
    else if (v->n == 1)
        fprintf(f, "1 replication, seed %llu", (unsigned long long)v->seeds[0]);
    else if (consecutive)
        fprintf(f, "%zu replications, seeds %llu to %llu", v->n, (unsigned long long)v->seeds[0],
                (unsigned long long)v->seeds[v->n - 1]);
    else {
        fprintf(f, "%zu replications, seeds", v->n);
        for (size_t r = 0; r < v->n; r++) fprintf(f, " %llu", (unsigned long long)v->seeds[r]);
    }
}

static void write_head(const struct exp_cmp *c, FILE *f)
{
    int any_none = 0, any_paired = 0, any_welch = 0;
    for (size_t i = 1; i < c->n_variants; i++) {
        any_none |= c->method[i] == EXP_CMP_NONE;
        any_paired |= c->method[i] == EXP_CMP_PAIRED;
        any_welch |= c->method[i] == EXP_CMP_WELCH;
    }
    fprintf(f, "faultline compare: %zu variants, each compared with %s (the baseline)\n",
            c->n_variants, c->variants[0].label);
    if (c->crn)
        fputs("common random numbers: the scenario files ran on the same seeds\n", f);
    else
        fputs("independent seeds (--no-crn): each variant ran on seeds of its own\n", f);
    if (any_paired)
        fputs("differences paired seed by seed (the paired t interval of variant - baseline)\n", f);
    if (any_welch) fputs("differences of independent means (Welch's interval)\n", f);
    if (any_none)
        fputs("one replication on a side (a finished run, or --seeds 1): no interval\n", f);
    fputs("figures: mean \u00b1 half-width of the 95% interval over the replications\n\n", f);
    for (size_t i = 0; i < c->n_variants; i++) {
        const struct exp_cmp_variant *v = &c->variants[i];
        fprintf(f, "  %-3s ", v->label);
        write_words(v, 6, f);
        fputs("      ", f);
        write_seeds(v, f);
        fputc('\n', f);
    }
}

static void write_assertions(const struct exp_cmp *c, FILE *f)
{
    FL_ASSERT(c && f && c->passed);
    fputs("\nassertions: replications where every assertion held\n", f);
    for (size_t i = 0; i < c->n_variants; i++) {
        const struct exp_cmp_variant *v = &c->variants[i];
        const struct exp_result *first = &v->res[0];
        if (first->n_checks == 0) {
            fprintf(f, "  %-3s no assertions\n", v->label);
            continue;
        }
        fprintf(f, "  %-3s %zu of %zu\n", v->label, c->passed[i], v->n);
        for (size_t k = 0; k < first->n_checks; k++) {
            size_t failed = 0;
            for (size_t r = 0; r < v->n; r++)
                failed += k < v->res[r].n_checks && !v->res[r].check_ok[k];
            if (failed)
                fprintf(f, "      failed in %zu of %zu: %s\n", failed, v->n, first->checks[k]);
        }
    }
}

void exp_cmp_write_text(const struct exp_cmp *c, FILE *f)
{
    FL_ASSERT(c && f && c->n_variants >= 2 && c->n_rows >= 1);
    write_head(c, f);
    for (size_t row = 0; row < c->n_rows; row++)
        for (size_t v = 1; v < c->n_variants; v++) write_block(c, v, row, f);
    write_assertions(c, f);
}

/* ---- JSON ---- */

#define DEC 9

static void json_ci(struct rpt_json *j, const struct exp_ci *ci)
{
    exp_ci_json(j, ci, DEC);
}

static void json_diff(struct rpt_json *j, const struct exp_ci *d, const struct exp_ci *base)
{
    FL_ASSERT(j && d && base);
    rpt_json_object_begin(j);
    rpt_json_key(j, "difference");
    rpt_json_double(j, d->mean, DEC);
    rpt_json_key(j, "half");
    rpt_json_double(j, d->half, DEC);
    rpt_json_key(j, "low");
    rpt_json_double(j, d->mean - d->half, DEC);
    rpt_json_key(j, "high");
    rpt_json_double(j, d->mean + d->half, DEC);
    rpt_json_key(j, "relative");
    rpt_json_double(j, base->mean != 0 ? d->mean / base->mean : NAN, DEC);
    rpt_json_key(j, "df");
    rpt_json_double(j, d->df, DEC);
    rpt_json_key(j, "n");
    rpt_json_uint(j, d->n);
    rpt_json_key(j, "significant");
    rpt_json_bool(j, exp_ci_significant(d));
    rpt_json_object_end(j);
}

static void json_assertions(struct rpt_json *j, const struct exp_cmp *c, size_t i)
{
    const struct exp_cmp_variant *v = &c->variants[i];
    rpt_json_object_begin(j);
    rpt_json_key(j, "passed");
    rpt_json_uint(j, c->passed[i]);
    rpt_json_key(j, "checks");
    rpt_json_array_begin(j);
    for (size_t k = 0; k < v->res[0].n_checks; k++) {
        size_t held = 0;
        for (size_t r = 0; r < v->n; r++) held += k < v->res[r].n_checks && v->res[r].check_ok[k];
        rpt_json_object_begin(j);
        rpt_json_key(j, "text");
        rpt_json_string(j, v->res[0].checks[k]);
        rpt_json_key(j, "passed");
        rpt_json_uint(j, held);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
    rpt_json_object_end(j);
}

static void json_variant(struct rpt_json *j, const struct exp_cmp *c, size_t i)
{
    FL_ASSERT(j && c && i < c->n_variants);
    const struct exp_cmp_variant *v = &c->variants[i];
    rpt_json_object_begin(j);
    rpt_json_key(j, "label");
    rpt_json_string(j, v->label);
    rpt_json_key(j, "words");
    rpt_json_array_begin(j);
    for (size_t k = 0; k < v->n_words; k++) rpt_json_string(j, v->words[k]);
    rpt_json_array_end(j);
    rpt_json_key(j, "finished_run");
    rpt_json_bool(j, v->finished);
    rpt_json_key(j, "seeds");
    rpt_json_array_begin(j);
    for (size_t r = 0; r < v->n; r++) rpt_json_uint(j, v->seeds[r]);
    rpt_json_array_end(j);
    rpt_json_key(j, "assertions");
    json_assertions(j, c, i);
    rpt_json_key(j, "rows");
    rpt_json_object_begin(j);
    for (size_t row = 0; row < c->n_rows; row++) {
        rpt_json_key(j, c->rows[row]);
        rpt_json_object_begin(j);
        for (int m = 0; m < EXP_N_METRICS; m++) {
            rpt_json_key(j, exp_metric_names[m]);
            json_ci(j, &c->stat[exp_cmp_at(c, i, row, (enum exp_metric)m)]);
        }
        rpt_json_object_end(j);
    }
    rpt_json_object_end(j);
    rpt_json_object_end(j);
}

static void json_comparison(struct rpt_json *j, const struct exp_cmp *c, size_t i)
{
    FL_ASSERT(j && c && i >= 1 && i < c->n_variants);
    rpt_json_object_begin(j);
    rpt_json_key(j, "variant");
    rpt_json_string(j, c->variants[i].label);
    rpt_json_key(j, "baseline");
    rpt_json_string(j, c->variants[0].label);
    rpt_json_key(j, "method");
    rpt_json_string(j, exp_cmp_method_names[c->method[i]]);
    rpt_json_key(j, "rows");
    rpt_json_object_begin(j);
    for (size_t row = 0; row < c->n_rows; row++) {
        rpt_json_key(j, c->rows[row]);
        rpt_json_object_begin(j);
        for (int m = 0; m < EXP_N_METRICS; m++) {
            rpt_json_key(j, exp_metric_names[m]);
            json_diff(j, &c->diff[exp_cmp_at(c, i, row, (enum exp_metric)m)],
                      &c->stat[exp_cmp_at(c, 0, row, (enum exp_metric)m)]);
        }
        rpt_json_object_end(j);
    }
    rpt_json_object_end(j);
    rpt_json_object_end(j);
}

int exp_cmp_write_json(const struct exp_cmp *c, FILE *f)
{
    FL_ASSERT(c && f && c->n_variants >= 2);
    struct rpt_json j;
    rpt_json_init(&j, f, 2);
    rpt_json_object_begin(&j);
    rpt_json_key(&j, "common_random_numbers");
    rpt_json_bool(&j, c->crn);
    rpt_json_key(&j, "confidence");
    rpt_json_double(&j, 0.95, 2);
    rpt_json_key(&j, "variants");
    rpt_json_array_begin(&j);
    for (size_t i = 0; i < c->n_variants; i++) json_variant(&j, c, i);
    rpt_json_array_end(&j);
    rpt_json_key(&j, "comparisons");
    rpt_json_array_begin(&j);
    for (size_t i = 1; i < c->n_variants; i++) json_comparison(&j, c, i);
    rpt_json_array_end(&j);
    rpt_json_object_end(&j);
    return rpt_json_end(&j);
}
