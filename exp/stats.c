/*
 * stats.c - means and 95% confidence intervals (stats.h).
 *
 * Student's t quantiles: a table to seven significant digits for 1 to 30
 * degrees of freedom, then the Cornish-Fisher expansion of t in the normal
 * quantile z = 1.959964 (Abramowitz and Stegun 26.7.5), good to 1e-7 from
 * 30 on, so the two meet without a step. Welch's degrees of freedom follow
 * Welch-Satterthwaite; a fractional df interpolates the table: log t
 * linearly in 1/df, in which it is nearly straight (within 1e-3 of the
 * exact quantile from 5 degrees of freedom on, 0.5% from 2, 3% between 1
 * and 2). The chord lies above the curve, so an interpolated interval is a
 * little wider than exact, never narrower.
 */
#include "exp/stats.h"

#include <math.h>

#include "base/assert.h"

static const double t_table[31] = {
    NAN,      12.7062,  4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624,
    2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450,
    2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658,
    2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
};

static double t_expansion(double v)
{
    const double z = 1.959963984540054;
    double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v) +
           (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
}

double exp_t975(double df)
{
    FL_ASSERT(df >= 1);
    if (df >= 30) return t_expansion(df);
    int lo = (int)df;
    double f = df - lo;
    FL_ASSERT(lo >= 1 && lo <= 30 && f >= 0 && f < 1);
    if (f == 0) return t_table[lo];
    /* the share of the way from 1/lo to 1/(lo + 1) */
    double g = (1.0 / lo - 1.0 / df) / (1.0 / lo - 1.0 / (lo + 1));
    return exp(log(t_table[lo]) + g * (log(t_table[lo + 1]) - log(t_table[lo])));
}

/* mean, sd and the t interval of the n_ok values of x that are not NAN */
static void ci_fill(double sum, double sumsq_dev, size_t n, struct exp_ci *out)
{
    out->n = n;
    out->mean = n ? sum / (double)n : NAN;
    out->df = n > 1 ? (double)(n - 1) : 0;
    out->sd = n > 1 ? sqrt(sumsq_dev / (double)(n - 1)) : NAN;
    out->half = n > 1 ? exp_t975(out->df) * out->sd / sqrt((double)n) : NAN;
    FL_ASSERT(n < 2 || (out->sd >= 0 && out->half >= 0));
}

void exp_ci_of(const double *x, size_t n, struct exp_ci *out)
{
    FL_ASSERT(out && (x || n == 0));
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            k++;
        }
    double mean = k ? sum / (double)k : 0, dev = 0;
    /* two passes: the deviations from the mean, not sum of squares minus square of sums */
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) dev += (x[i] - mean) * (x[i] - mean);
    ci_fill(sum, dev, k, out);
}

void exp_ci_paired(const double *a, const double *b, size_t n, struct exp_ci *out)
{
    FL_ASSERT(out && ((a && b) || n == 0));
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(a[i]) && !isnan(b[i])) {
            sum += b[i] - a[i];
            k++;
        }
    double mean = k ? sum / (double)k : 0, dev = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(a[i]) && !isnan(b[i])) {
            double d = b[i] - a[i] - mean;
            dev += d * d;
        }
    ci_fill(sum, dev, k, out);
}

void exp_ci_welch(const double *a, size_t na, const double *b, size_t nb, struct exp_ci *out)
{
    FL_ASSERT(out);
    struct exp_ci x, y;
    exp_ci_of(a, na, &x);
    exp_ci_of(b, nb, &y);
    out->n = x.n < y.n ? x.n : y.n;
    out->mean = y.mean - x.mean;
    if (x.n < 2 || y.n < 2) {
        out->sd = out->half = NAN;
        out->df = 0;
        return;
    }
    double va = x.sd * x.sd / (double)x.n, vb = y.sd * y.sd / (double)y.n, se2 = va + vb;
    out->sd = sqrt(se2);
    if (se2 == 0) {
        out->df = (double)(x.n + y.n - 2);
        out->half = 0;
        return;
    }
    /* Welch-Satterthwaite */
    out->df = se2 * se2 / (va * va / (double)(x.n - 1) + vb * vb / (double)(y.n - 1));
    if (out->df < 1) out->df = 1;
    out->half = exp_t975(out->df) * sqrt(se2);
    FL_ASSERT(out->half >= 0 && out->df >= 1);
}

int exp_ci_significant(const struct exp_ci *d)
{
    FL_ASSERT(d);
    if (isnan(d->half) || isnan(d->mean)) return 0;
    return fabs(d->mean) > d->half;
}
