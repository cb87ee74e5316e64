/*
 * sweep_out.c - the table, JSON, CSV and plots of a sweep (sweep_out.h).
 */
#include "exp/sweep_out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "exp/ci_json.h"
#include "reports/csv.h"
#include "reports/file.h"
#include "reports/json.h"
#include "reports/plot.h"
#include "reports/render.h"

struct out_arg {
    const struct exp_sweep *s;
    const char *name;
};

/* "mean ±half" in the metric's unit into buf. */
static const char *fmt_ci(char *buf, size_t size, const struct exp_ci *ci, enum exp_metric m)
{
    FL_ASSERT(buf && size >= 16 && m < EXP_N_METRICS);
    if (!ci || isnan(ci->mean)) {
        snprintf(buf, size, "-");
    } else if (m == EXP_ERROR_RATE) {
        if (isnan(ci->half))
            snprintf(buf, size, "%.3f%%", 100 * ci->mean);
        else
            snprintf(buf, size, "%.3f%% ±%.3f", 100 * ci->mean, 100 * ci->half);
    } else if (exp_metric_is_latency(m)) {
        if (isnan(ci->half))
            snprintf(buf, size, "%.2fms", ci->mean);
        else
            snprintf(buf, size, "%.2fms ±%.2f", ci->mean, ci->half);
    } else if (isnan(ci->half)) {
        snprintf(buf, size, "%.3f", ci->mean);
    } else {
        snprintf(buf, size, "%.3f ±%.3f", ci->mean, ci->half);
    }
    return buf;
}

static const struct exp_ci *ci_at(const struct exp_point *pt, size_t row, enum exp_metric m)
{
    FL_ASSERT(pt && m < EXP_N_METRICS && (pt->ci || !pt->n_rows));
    return row < pt->n_rows ? &pt->ci[row * EXP_N_METRICS + m] : NULL;
}

/* The printed width of a UTF-8 string (the ± sign is two bytes, one column). */
static int columns(const char *s)
{
    FL_ASSERT(s);
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void cell(FILE *out, const char *s, int width)
{
    FL_ASSERT(out && s && width >= 0);
    fprintf(out, "  %s%*s", s, width - columns(s) > 0 ? width - columns(s) : 0, "");
}

/* A key's column title: its last part (attempts for mesh...retries.attempts). */
static const char *short_key(const char *key)
{
    FL_ASSERT(key && *key);
    const char *dot = strrchr(key, '.');
    return dot && dot[1] ? dot + 1 : key;
}

static void print_rows(const struct exp_sweep *s, size_t row, const char *row_name, FILE *out)
{
    FL_ASSERT(s && s->points && row_name && out && s->points[0].n >= 1);
    /* the amplifications only when some point's differs from 1 (no retry anywhere) */
    enum exp_metric shown[5] = {EXP_P50, EXP_P99, EXP_ERROR_RATE};
    size_t n_shown = 3;
    static const enum exp_metric amps[] = {EXP_AMPLIFICATION, EXP_E2E_AMPLIFICATION};
    for (size_t i = 0; i < 2; i++)
        for (size_t p = 0; p < s->n_points; p++) {
            long r = row == 0 ? 0 : exp_result_row(&s->points[p].res[0], row_name);
            const struct exp_ci *ci = r < 0 ? NULL : ci_at(&s->points[p], (size_t)r, amps[i]);
            if (ci && !isnan(ci->mean) && ci->mean != 1.0) {
                shown[n_shown++] = amps[i];
                break;
            }
        }
    FL_ASSERT(n_shown <= 5);
    int *width = fl_calloc(s->n_vary + 1, sizeof *width);
    for (size_t k = 0; k < s->n_vary; k++) {
        width[k] = columns(short_key(s->vary[k].key));
        for (size_t i = 0; i < s->vary[k].n; i++)
            if (columns(s->vary[k].values[i]) > width[k]) width[k] = columns(s->vary[k].values[i]);
    }
    /* a seeds column only when the points have different counts (--seeds auto) */
    int seeds_col = 0;
    for (size_t p = 1; p < s->n_points; p++) seeds_col |= s->points[p].n != s->points[0].n;
    fprintf(out, "%s\n", row_name);
    for (size_t k = 0; k < s->n_vary; k++) cell(out, short_key(s->vary[k].key), width[k]);
    if (seeds_col) cell(out, "seeds", 5);
    for (size_t i = 0; i < n_shown; i++)
        cell(out, shown[i] == EXP_E2E_AMPLIFICATION ? "e2e_amplif." : exp_metric_names[shown[i]],
             13);
    if (row == 0) cell(out, "assertions", 10);
    fputc('\n', out);
    for (size_t p = 0; p < s->n_points; p++) {
        const struct exp_point *pt = &s->points[p];
        char buf[64];
        for (size_t k = 0; k < s->n_vary; k++)
            cell(out, exp_grid_value(s->vary, s->n_vary, p, k), width[k]);
        snprintf(buf, sizeof buf, "%zu", pt->n);
        if (seeds_col) cell(out, buf, 5);
        long r = row == 0 ? 0 : exp_result_row(&pt->res[0], row_name);
        for (size_t i = 0; i < n_shown; i++)
            cell(out,
                 fmt_ci(buf, sizeof buf, r < 0 ? NULL : ci_at(pt, (size_t)r, shown[i]), shown[i]),
                 13);
        if (row == 0) {
            if (pt->res[0].n_checks) {
                snprintf(buf, sizeof buf, "%zu/%zu pass", pt->passed, pt->n);
                cell(out, buf, 10);
            } else {
                cell(out, "none", 10);
            }
        }
        if (row == 0 && (long)p == s->best) fputs("  <- best", out);
        fputc('\n', out);
    }
    free(width);
}

void exp_sweep_print(const struct exp_sweep *s, const char *name, FILE *out)
{
    FL_ASSERT(s && s->points && name && out);
    const struct exp_point *p0 = &s->points[0];
    size_t lo = p0->n, hi = p0->n;
    for (size_t p = 1; p < s->n_points; p++) {
        lo = s->points[p].n < lo ? s->points[p].n : lo;
        hi = s->points[p].n > hi ? s->points[p].n : hi;
    }
    char seeds[64];
    if (lo == hi)
        snprintf(seeds, sizeof seeds, "%zu seed%s each", lo, lo == 1 ? "" : "s");
    else
        snprintf(seeds, sizeof seeds, "%zu to %zu seeds", lo, hi);
    fprintf(out, "sweep %s: %zu point%s x %s from %llu\nmean ±half-width of the 95%% interval\n\n",
            name, s->n_points, s->n_points == 1 ? "" : "s", seeds, (unsigned long long)s->seed0);
    for (size_t k = 0; k < s->n_vary; k++)
        if (strcmp(short_key(s->vary[k].key), s->vary[k].key))
            fprintf(out, "%s: %s\n", short_key(s->vary[k].key), s->vary[k].key);
    if (s->n_vary) fputc('\n', out);
    print_rows(s, 0, "every request", out);
    /* with one route, its rows are those of every request */
    for (size_t row = 1; p0->n_rows > 2 && row < p0->n_rows; row++) {
        fputc('\n', out);
        print_rows(s, row, p0->res[0].rows[row], out);
    }
    if (s->has_objective) {
        fputc('\n', out);
        char what[160];
        snprintf(what, sizeof what, "%s %s%s%s", s->maximize ? "highest" : "lowest",
                 strcmp(s->objective.row, "all") ? s->objective.row : "",
                 strcmp(s->objective.row, "all") ? " " : "", exp_metric_names[s->objective.metric]);
        if (s->best < 0) {
            fprintf(out, "best (%s): no point meets the constraints\n", what);
        } else {
            fprintf(out, "best (%s", what);
            for (size_t c = 0; c < s->n_cons; c++)
                fprintf(out, "%s%s", c ? ", " : " with ", s->cons[c].text);
            fputs("):", out);
            for (size_t k = 0; k < s->n_vary; k++)
                fprintf(out, " %s=%s", short_key(s->vary[k].key),
                        exp_grid_value(s->vary, s->n_vary, (size_t)s->best, k));
            fputc('\n', out);
        }
    }
}

static void print_cb(const void *arg, FILE *f)
{
    const struct out_arg *a = arg;
    FL_ASSERT(a && a->s && f);
    exp_sweep_print(a->s, a->name, f);
}

/* ---- sweep.json ---- */

static void json_ci(struct rpt_json *j, const struct exp_ci *ci, enum exp_metric m)
{
    FL_ASSERT(j && ci && m < EXP_N_METRICS);
    exp_ci_json(j, ci, m == EXP_ERROR_RATE || exp_metric_is_latency(m) ? 6 : 4);
}

static void json_point(struct rpt_json *j, const struct exp_sweep *s, size_t p)
{
    const struct exp_point *pt = &s->points[p];
    FL_ASSERT(p < s->n_points && pt->n >= 1 && pt->n_rows == pt->res[0].n_rows);
    rpt_json_object_begin(j);
    rpt_json_key(j, "values");
    rpt_json_object_begin(j);
    for (size_t k = 0; k < s->n_vary; k++) {
        rpt_json_key(j, s->vary[k].key);
        rpt_json_string(j, exp_grid_value(s->vary, s->n_vary, p, k));
    }
    rpt_json_object_end(j);
    rpt_json_key(j, "seeds");
    rpt_json_uint(j, pt->n);
    rpt_json_key(j, "rows");
    rpt_json_object_begin(j);
    for (size_t row = 0; row < pt->n_rows; row++) {
        rpt_json_key(j, pt->res[0].rows[row]);
        rpt_json_object_begin(j);
        for (int m = 0; m < EXP_N_METRICS; m++) {
            char key[40];
            snprintf(key, sizeof key, "%s%s", exp_metric_names[m],
                     exp_metric_is_latency((enum exp_metric)m) ? "_ms" : "");
            rpt_json_key(j, key);
            json_ci(j, ci_at(pt, row, (enum exp_metric)m), (enum exp_metric)m);
        }
        rpt_json_object_end(j);
    }
    rpt_json_object_end(j);
    rpt_json_key(j, "assertions");
    rpt_json_array_begin(j);
    for (size_t c = 0; c < pt->res[0].n_checks; c++) {
        rpt_json_object_begin(j);
        rpt_json_key(j, "text");
        rpt_json_string(j, pt->res[0].checks[c]);
        rpt_json_key(j, "passed");
        rpt_json_uint(j, pt->check_passed[c]);
        rpt_json_key(j, "value");
        json_ci(j, &pt->check_ci[c], EXP_MEAN);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
    rpt_json_key(j, "passed");
    rpt_json_uint(j, pt->passed);
    rpt_json_key(j, "feasible");
    rpt_json_bool(j, pt->feasible);
    rpt_json_object_end(j);
}

static void json_cb(const void *arg, FILE *f)
{
    const struct out_arg *a = arg;
    const struct exp_sweep *s = a->s;
    FL_ASSERT(s && s->points && a->name && (s->best < 0 || (size_t)s->best < s->n_points));
    struct rpt_json j;
    rpt_json_init(&j, f, 2);
    rpt_json_object_begin(&j);
    rpt_json_key(&j, "scenario");
    rpt_json_string(&j, a->name);
    rpt_json_key(&j, "seed0");
    rpt_json_uint(&j, s->seed0);
    rpt_json_key(&j, "seeds");
    rpt_json_string(&j, s->auto_seeds ? "auto" : "fixed");
    if (s->auto_seeds) {
        rpt_json_key(&j, "precision");
        rpt_json_double(&j, s->precision, 6);
        rpt_json_key(&j, "max_seeds");
        rpt_json_uint(&j, s->max_seeds);
        rpt_json_key(&j, "rounds");
        rpt_json_uint(&j, s->rounds);
    }
    rpt_json_key(&j, "vary");
    rpt_json_array_begin(&j);
    for (size_t k = 0; k < s->n_vary; k++) {
        rpt_json_object_begin(&j);
        rpt_json_key(&j, "key");
        rpt_json_string(&j, s->vary[k].key);
        rpt_json_key(&j, "values");
        rpt_json_array_begin(&j);
        for (size_t i = 0; i < s->vary[k].n; i++) rpt_json_string(&j, s->vary[k].values[i]);
        rpt_json_array_end(&j);
        rpt_json_object_end(&j);
    }
    rpt_json_array_end(&j);
    rpt_json_key(&j, "points");
    rpt_json_array_begin(&j);
    for (size_t p = 0; p < s->n_points; p++) json_point(&j, s, p);
    rpt_json_array_end(&j);
    rpt_json_key(&j, "best");
    if (s->best < 0) {
        rpt_json_null(&j);
    } else {
        rpt_json_uint(&j, (uint64_t)s->best);
    }
    rpt_json_object_end(&j);
    (void)rpt_json_end(&j);
}

/* ---- sweep.csv ---- */

static void csv_cb(const void *arg, FILE *f)
{
    const struct exp_sweep *s = ((const struct out_arg *)arg)->s;
    FL_ASSERT(s && s->points && f);
    fputs("point", f);
    for (size_t k = 0; k < s->n_vary; k++) {
        fputc(',', f);
        rpt_csv_field(f, s->vary[k].key);
    }
    fputs(",row,metric,n,mean,half,sd\n", f);
    for (size_t p = 0; p < s->n_points; p++) {
        const struct exp_point *pt = &s->points[p];
        for (size_t row = 0; row < pt->n_rows; row++)
            for (int m = 0; m < EXP_N_METRICS; m++) {
                const struct exp_ci *ci = ci_at(pt, row, (enum exp_metric)m);
                fprintf(f, "%zu", p);
                for (size_t k = 0; k < s->n_vary; k++) {
                    fputc(',', f);
                    rpt_csv_field(f, exp_grid_value(s->vary, s->n_vary, p, k));
                }
                fputc(',', f);
                rpt_csv_field(f, pt->res[0].rows[row]);
                fprintf(f, ",%s%s,%zu,%.9g,%.9g,%.9g\n", exp_metric_names[m],
                        exp_metric_is_latency((enum exp_metric)m) ? "_ms" : "", ci->n, ci->mean,
                        ci->half, ci->sd);
            }
    }
}

/* ---- plots ---- */

struct plot_arg {
    const struct exp_sweep *s;
    const char *name;
    enum exp_metric m;
    size_t curves; /* combinations of the other keys */
    int numeric;   /* the first key's values are numbers (with one unit) */
};

/* The first key's value as a number, or NAN. */
static double numeric_value(const char *v)
{
    FL_ASSERT(v);
    char *end;
    double x = strtod(v, &end);
    if (end == v) return NAN;
    for (; *end; end++)
        if (!(*end >= 'a' && *end <= 'z') && *end != '%' && *end != '/' &&
            !(*end >= 'A' && *end <= 'Z'))
            return NAN;
    return x;
}

static void plot_body(const void *arg, FILE *f)
{
    const struct plot_arg *a = arg;
    const struct exp_sweep *s = a->s;
    FL_ASSERT(s && s->n_vary >= 1 && a->curves >= 1 && f);
    char what[160];
    snprintf(what, sizeof what, "%s against %s (mean and 95%% interval, %s)",
             exp_metric_names[a->m], short_key(s->vary[0].key), a->name);
    fputs("set title ", f);
    rpt_plot_quote(f, what);
    fputs("\nset xlabel ", f);
    char xlabel[160];
    const char *unit = s->vary[0].values[0];
    while (*unit && (strchr("+-.eE", *unit) || (*unit >= '0' && *unit <= '9'))) unit++;
    if (a->numeric && *unit)
        snprintf(xlabel, sizeof xlabel, "%s (%s)", short_key(s->vary[0].key), unit);
    else
        snprintf(xlabel, sizeof xlabel, "%s", short_key(s->vary[0].key));
    rpt_plot_quote(f, xlabel);
    fprintf(f, "\nset ylabel '%s'\n",
            a->m == EXP_ERROR_RATE        ? "error rate (%)"
            : exp_metric_is_latency(a->m) ? "latency (ms)"
                                          : exp_metric_names[a->m]);
    fputs("set grid\nset key below\nset yrange [0:*]\nset offsets graph 0.03, graph 0.03, 0, 0\n",
          f);
    if (!a->numeric) {
        fputs("set xtics rotate by -30\n", f);
    } else {
        /* a tic at every value swept, labelled as written */
        fputs("set xtics (", f);
        for (size_t i = 0; i < s->vary[0].n; i++) {
            fputs(i ? ", " : "", f);
            rpt_plot_quote(f, s->vary[0].values[i]);
            fprintf(f, " %.9g", numeric_value(s->vary[0].values[i]));
        }
        fputs(")\n", f);
    }
    const char *x = a->numeric ? "1" : "0";
    fputs("plot ", f);
    for (size_t c = 0; c < a->curves; c++) {
        fprintf(f,
                "%s'plots/sweep-%s.dat' index %zu using %s:3:4%s with filledcurves "
                "fs transparent solid 0.2 lc %zu notitle, \\\n",
                c ? ", \\\n     " : "", exp_metric_names[a->m], c, x, a->numeric ? "" : ":xtic(5)",
                c + 1);
        fprintf(f,
                "     'plots/sweep-%s.dat' index %zu using %s:2 with linespoints lw 2 pt 7 "
                "lc %zu title columnheader(1)",
                exp_metric_names[a->m], c, x, c + 1);
    }
    fputc('\n', f);
}

static int plot_metric(const struct exp_sweep *s, const char *name, const char *dir,
                       enum exp_metric m, char **err)
{
    FL_ASSERT(s && s->n_vary >= 1 && s->points && dir);
    size_t n0 = s->vary[0].n, curves = s->n_points / n0;
    FL_ASSERT(n0 >= 1 && curves * n0 == s->n_points);
    int numeric = 1;
    for (size_t i = 0; i < n0; i++) numeric &= !isnan(numeric_value(s->vary[0].values[i]));
    struct rpt_membuf b;
    rpt_membuf_open(&b);
    fprintf(b.f, "# %s of every request against %s: x, mean, lower, upper, label\n",
            exp_metric_names[m], s->vary[0].key);
    double scale = m == EXP_ERROR_RATE ? 100 : 1;
    for (size_t c = 0; c < curves; c++) {
        /* the curve of one combination of the other keys: its title first */
        if (c) fputs("\n\n", b.f);
        fputc('"', b.f);
        for (size_t k = 1; k < s->n_vary; k++)
            fprintf(b.f, "%s%s=%s", k > 1 ? " " : "", short_key(s->vary[k].key),
                    exp_grid_value(s->vary, s->n_vary, c, k));
        if (s->n_vary == 1) fputs("every request", b.f);
        fputs("\"\n", b.f);
        for (size_t i = 0; i < n0; i++) {
            size_t p = i * curves + c;
            const struct exp_ci *ci = ci_at(&s->points[p], 0, m);
            double half = isnan(ci->half) ? 0 : ci->half;
            if (numeric)
                fprintf(b.f, "%.9g", numeric_value(s->vary[0].values[i]));
            else
                fprintf(b.f, "%zu", i);
            fprintf(b.f, " %.9g %.9g %.9g \"%s\"\n", scale * ci->mean, scale * (ci->mean - half),
                    scale * (ci->mean + half), s->vary[0].values[i]);
        }
    }
    char file[64];
    snprintf(file, sizeof file, "sweep-%s.dat", exp_metric_names[m]);
    if (rpt_membuf_put(&b, dir, file, err)) return -1;
    struct plot_arg a = {s, name, m, curves, numeric};
    rpt_membuf_open(&b);
    snprintf(file, sizeof file, "sweep-%s", exp_metric_names[m]);
    rpt_plot_script(b.f, file, "a sweep's metric against its first varied key", 900, 500, plot_body,
                    &a);
    snprintf(file, sizeof file, "sweep-%s.gp", exp_metric_names[m]);
    return rpt_membuf_put(&b, dir, file, err);
}

int exp_sweep_write(const struct exp_sweep *s, const char *name, const char *dir, int *drawn,
                    char **err)
{
    FL_ASSERT(s && s->points && name && dir && drawn);
    struct out_arg a = {s, name};
    *drawn = 0;
    if (rpt_file_write(dir, "sweep.txt", print_cb, &a, err) ||
        rpt_file_write(dir, "sweep.json", json_cb, &a, err) ||
        rpt_file_write(dir, "sweep.csv", csv_cb, &a, err))
        return -1;
    if (s->n_vary == 0) return 0;
    char *plots = fl_asprintf("%s/%s", dir, RPT_PLOT_DIR);
    int made = mkdir(plots, 0777) == 0 || errno == EEXIST;
    if (!made) *err = fl_asprintf("cannot create %s: %s", plots, strerror(errno));
    free(plots);
    if (!made) return -1;
    if (plot_metric(s, name, dir, EXP_P99, err) || plot_metric(s, name, dir, EXP_ERROR_RATE, err))
        return -1;
    char *gnuplot = rpt_render_which("gnuplot");
    if (!gnuplot) return 0;
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        const char *script = i ? "plots/sweep-error_rate.gp" : "plots/sweep-p99.gp";
        const char *argv[] = {gnuplot, script, NULL};
        rc = rpt_render_run(argv, dir, 60, err);
    }
    free(gnuplot);
    if (!rc) *drawn = 1;
    return rc;
}
