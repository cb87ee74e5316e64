/*
 * dist.c - random durations: constructors, sampling, exact means and
 * quantiles for the distributions of dist.h.
 *
 * How it works: every kind is sampled by inversion. One 64-bit draw becomes
 * u in (0, 1) on a grid of odd multiples of 2^-53 (so u and 1 - u are both
 * exact and neither is ever 0 or 1), and the sample is the kind's quantile
 * function at u, rounded to the nearest nanosecond and clamped to
 * [0, FL_DIST_SAMPLE_MAX_NS]. Sampling and fl_dist_quantile() share that
 * one inverse CDF, so what a test measures on samples is what the analytic
 * functions promise. Every kind, constant included, consumes exactly one
 * draw per sample: changing a scenario's distribution never shifts the
 * later draws of the same stream.
 *
 * The normal is truncated at 0 by inverting the truncated CDF directly
 * (one draw restricted to [Phi(-mean/sd), 1)), not by rejection, so the
 * number of draws never depends on the values drawn. The standard normal
 * quantile is Wichura's AS241 (PPND16), the CDF comes from libm's erfc.
 *
 * Not here: parsing (the scenario loader calls the constructors), netem's
 * jitter tables, and any global or wall-clock randomness: the caller's
 * stream is the only source.
 */
#include "base/dist.h"

#include <math.h>
#include <string.h>

#include "base/assert.h"

/* Largest sample, so that a heavy pareto tail can never overflow int64 nanoseconds. */
#define FL_DIST_SAMPLE_MAX_NS 1e18

#define SQRT1_2      0.70710678118654752440 /* 1/sqrt(2) */
#define INV_SQRT_2PI 0.39894228040143267794 /* 1/sqrt(2 pi) */

/* ---- the standard normal ---- */

double fl_norm_cdf(double x)
{
    /* Phi(x) = erfc(-x / sqrt 2) / 2: accurate to relative precision in the lower tail. */
    return 0.5 * erfc(-x * SQRT1_2);
}

/* The standard normal density. */
static double norm_pdf(double x)
{
    return INV_SQRT_2PI * exp(-0.5 * x * x);
}

/* Evaluates c[0] + c[1] r + ... + c[7] r^7 by Horner's rule. */
static double poly7(const double *c, double r)
{
    double s = c[7];
    for (int i = 6; i >= 0; i--) s = s * r + c[i];
    return s;
}

/*
 * M. J. Wichura, "Algorithm AS 241: The Percentage Points of the Normal
 * Distribution", Applied Statistics 37(3), 1988, pp. 477-484: PPND16,
 * rational approximations of degree 7 in three regions, relative accuracy
 * about 1e-16. The coefficients are those published in the paper.
 */
static const double as241_a[8] = {
    3.3871328727963666080e0,  1.3314166789178437745e+2, 1.9715909503065514427e+3,
    1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
    3.3430575583588128105e+4, 2.5090809287301226727e+3,
};
static const double as241_b[8] = {
    1.0,
    4.2313330701600911252e+1,
    6.8718700749205790830e+2,
    5.3941960214247511077e+3,
    2.1213794301586595867e+4,
    3.9307895800092710610e+4,
    2.8729085735721942674e+4,
    5.2264952788528545610e+3,
};
static const double as241_c[8] = {
    1.42343711074968357734e0,  4.63033784615654529590e0,  5.76949722146069140550e0,
    3.64784832476320460504e0,  1.27045825245236838258e0,  2.41780725177450611770e-1,
    2.27238449892691845833e-2, 7.74545014278341407640e-4,
};
static const double as241_d[8] = {
    1.0,
    2.05319162663775882187e0,
    1.67638483018380384940e0,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
};
static const double as241_e[8] = {
    6.65790464350110377720e0,  5.46378491116411436990e0,  1.78482653991729133580e0,
    2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
    2.71155556874348757815e-5, 2.01033439929228813265e-7,
};
static const double as241_f[8] = {
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
};

double fl_norm_inv(double p)
{
    FL_ASSERT(p >= 0.0 && p <= 1.0);
    if (p == 0.0) return -INFINITY;
    if (p == 1.0) return INFINITY;
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * poly7(as241_a, r) / poly7(as241_b, r);
    }
    /* Tails: r = sqrt(-ln(min(p, 1 - p))); 1 - p is exact for p >= 0.5 (Sterbenz). */
    double r = sqrt(-log(q < 0 ? p : 1.0 - p));
    double z;
    if (r <= 5.0) {
        r -= 1.6;
        z = poly7(as241_c, r) / poly7(as241_d, r);
    } else {
        r -= 5.0;
        z = poly7(as241_e, r) / poly7(as241_f, r);
    }
    return q < 0 ? -z : z;
}

/* ---- constructors ---- */

static int fail(const char **why, const char *msg)
{
    if (why) *why = msg;
    return -1;
}

/* Starts a fresh value (every byte defined, so copies compare equal). */
static struct fl_dist make(enum fl_dist_kind kind, double a, double b)
{
    struct fl_dist d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.a = a;
    d.b = b;
    return d;
}

/* A duration parameter: finite and >= 0 (NaN fails both). */
static int is_duration(double x)
{
    return isfinite(x) && x >= 0.0;
}

int fl_dist_constant(struct fl_dist *d, double value_ns, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(value_ns)) return fail(why, "value must be a finite duration >= 0");
    *d = make(FL_DIST_CONSTANT, value_ns, 0);
    return 0;
}

int fl_dist_uniform(struct fl_dist *d, double min_ns, double max_ns, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(min_ns)) return fail(why, "min must be a finite duration >= 0");
    if (!is_duration(max_ns)) return fail(why, "max must be a finite duration >= 0");
    if (max_ns < min_ns) return fail(why, "max must not be below min");
    *d = make(FL_DIST_UNIFORM, min_ns, max_ns);
    return 0;
}

int fl_dist_normal(struct fl_dist *d, double mean_ns, double stddev_ns, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(mean_ns)) return fail(why, "mean must be a finite duration >= 0");
    if (!is_duration(stddev_ns)) return fail(why, "stddev must be a finite duration >= 0");
    *d = make(FL_DIST_NORMAL, mean_ns, stddev_ns);
    return 0;
}

int fl_dist_exponential(struct fl_dist *d, double mean_ns, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(mean_ns) || mean_ns == 0.0)
        return fail(why, "mean must be a finite duration > 0");
    *d = make(FL_DIST_EXPONENTIAL, mean_ns, 0);
    return 0;
}

int fl_dist_lognormal_quantiles(struct fl_dist *d, double p50_ns, double p99_ns, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(p50_ns) || p50_ns == 0.0)
        return fail(why, "p50 must be a finite duration > 0");
    if (!isfinite(p99_ns)) return fail(why, "p99 must be a finite duration");
    if (!(p99_ns > p50_ns)) return fail(why, "p99 must be above p50");
    /* ln X ~ N(mu, sigma^2): median exp(mu), and p99 = exp(mu + sigma z_0.99). */
    double mu = log(p50_ns);
    double sigma = (log(p99_ns) - mu) / fl_norm_inv(0.99);
    *d = make(FL_DIST_LOGNORMAL, mu, sigma);
    return 0;
}

int fl_dist_lognormal_moments(struct fl_dist *d, double mean_ns, double stddev_ns, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(mean_ns) || mean_ns == 0.0)
        return fail(why, "mean must be a finite duration > 0");
    if (!is_duration(stddev_ns)) return fail(why, "stddev must be a finite duration >= 0");
    /*
     * Moment matching (Johnson, Kotz and Balakrishnan, "Continuous Univariate
     * Distributions" vol. 1, ch. 14): E X = exp(mu + sigma^2/2) and
     * Var X = (exp(sigma^2) - 1) (E X)^2, hence sigma^2 = ln(1 + s^2/m^2)
     * and mu = ln m - sigma^2/2.
     */
    double cv = stddev_ns / mean_ns;
    double s2 = log1p(cv * cv);
    *d = make(FL_DIST_LOGNORMAL, log(mean_ns) - 0.5 * s2, sqrt(s2));
    return 0;
}

int fl_dist_pareto(struct fl_dist *d, double scale_ns, double shape, const char **why)
{
    FL_ASSERT(d);
    if (!is_duration(scale_ns) || scale_ns == 0.0)
        return fail(why, "scale must be a finite duration > 0");
    if (!isfinite(shape) || !(shape > 0.0)) return fail(why, "shape must be a finite number > 0");
    *d = make(FL_DIST_PARETO, scale_ns, shape);
    return 0;
}

/* Checks the points of an empirical distribution; returns NULL or what is wrong. */
static const char *empirical_problem(int n, const double *p, const double *v)
{
    if (n < 2 || n > FL_DIST_POINTS_MAX) return "empirical needs 2 to 32 points";
    if (p[0] != 0.0) return "the first point must be at p = 0";
    if (p[n - 1] != 1.0) return "the last point must be at p = 1";
    for (int i = 0; i < n; i++) {
        if (!is_duration(v[i])) return "every value must be a finite duration >= 0";
        if (i > 0 && !(p[i] > p[i - 1])) return "probabilities must be strictly ascending";
        if (i > 0 && v[i] < v[i - 1]) return "values must not decrease";
    }
    return NULL;
}

int fl_dist_empirical(struct fl_dist *d, int n, const double *p, const double *v_ns,
                      const char **why)
{
    FL_ASSERT(d);
    FL_ASSERT(n <= 0 || (p && v_ns));
    const char *problem = empirical_problem(n, p, v_ns);
    if (problem) return fail(why, problem);
    *d = make(FL_DIST_EMPIRICAL, 0, 0);
    d->n = n;
    memcpy(d->p, p, (size_t)n * sizeof *p);
    memcpy(d->v, v_ns, (size_t)n * sizeof *v_ns);
    return 0;
}

/* ---- quantiles (the inverse CDFs) ---- */

/*
 * Normal truncated at 0. With alpha = -mean/sd, the truncated CDF is
 * (Phi(x') - Phi(alpha)) / (1 - Phi(alpha)) for x' = (x - mean)/sd, so the
 * q-quantile is mean + sd Phi^-1(Phi(alpha) + q (1 - Phi(alpha))). It is
 * computed through the upper tail t = (1 - q)(1 - Phi(alpha)), with
 * 1 - Phi(alpha) = Phi(mean/sd) and Phi^-1(1 - t) = -Phi^-1(t), which keeps
 * full precision as q approaches 1 and gives exactly 0 at q = 0.
 */
static double normal_quantile(double mean, double sd, double q)
{
    if (sd == 0.0) return mean;
    double t = (1.0 - q) * fl_norm_cdf(mean / sd);
    return fmax(0.0, mean - sd * fl_norm_inv(t));
}

/* Piecewise-linear through (p[i], v[i]); exact at every given point. */
static double empirical_quantile(const struct fl_dist *d, double q)
{
    int i = 1;
    while (i < d->n - 1 && q > d->p[i]) i++;
    double f = (q - d->p[i - 1]) / (d->p[i] - d->p[i - 1]);
    return (1.0 - f) * d->v[i - 1] + f * d->v[i];
}

double fl_dist_quantile(const struct fl_dist *d, double q)
{
    FL_ASSERT(d);
    FL_ASSERT(q >= 0.0 && q <= 1.0);
    switch (d->kind) {
    case FL_DIST_CONSTANT: return d->a;
    case FL_DIST_UNIFORM: return d->a + q * (d->b - d->a);
    case FL_DIST_NORMAL: return normal_quantile(d->a, d->b, q);
    case FL_DIST_EXPONENTIAL:
        /* F(x) = 1 - exp(-x/mean); log1p keeps precision for small q. */
        return q == 1.0 ? INFINITY : -d->a * log1p(-q);
    case FL_DIST_LOGNORMAL:
        return q == 0.0 ? 0.0 : q == 1.0 ? INFINITY : exp(d->a + d->b * fl_norm_inv(q));
    case FL_DIST_PARETO:
        /* Pareto type I: F(x) = 1 - (scale/x)^shape for x >= scale. */
        return q == 1.0 ? INFINITY : d->a * exp(-log1p(-q) / d->b);
    case FL_DIST_EMPIRICAL: return empirical_quantile(d, q);
    }
    FL_ASSERT(!"unknown distribution kind");
    return 0.0;
}

/* ---- means ---- */

/* Mean of a normal truncated at 0 (Johnson, Kotz and Balakrishnan, vol. 1, ch. 13). */
static double normal_mean(double mean, double sd)
{
    if (sd == 0.0) return mean;
    /* mean + sd phi(alpha) / (1 - Phi(alpha)), alpha = -mean/sd; phi is even. */
    double beta = mean / sd;
    return mean + sd * norm_pdf(beta) / fl_norm_cdf(beta);
}

/* Each segment is uniform between its two values: weight times the midpoint. */
static double empirical_mean(const struct fl_dist *d)
{
    double sum = 0.0;
    for (int i = 1; i < d->n; i++) sum += (d->p[i] - d->p[i - 1]) * 0.5 * (d->v[i - 1] + d->v[i]);
    return sum;
}

double fl_dist_mean(const struct fl_dist *d)
{
    FL_ASSERT(d);
    switch (d->kind) {
    case FL_DIST_CONSTANT: return d->a;
    case FL_DIST_UNIFORM: return 0.5 * (d->a + d->b);
    case FL_DIST_NORMAL: return normal_mean(d->a, d->b);
    case FL_DIST_EXPONENTIAL: return d->a;
    case FL_DIST_LOGNORMAL: return exp(d->a + 0.5 * d->b * d->b);
    case FL_DIST_PARETO:
        /* shape * scale / (shape - 1), infinite when shape <= 1. */
        return d->b <= 1.0 ? INFINITY : d->b * d->a / (d->b - 1.0);
    case FL_DIST_EMPIRICAL: return empirical_mean(d);
    }
    FL_ASSERT(!"unknown distribution kind");
    return 0.0;
}

/* ---- sampling ---- */

/*
 * u = (2k + 1) 2^-53 for 52 random bits k: in (0, 1), symmetric about 1/2,
 * and both u and 1 - u are exact doubles, so neither tail is ever cut short
 * nor reaches an infinite quantile.
 */
static double draw_open_unit(struct fl_rng *r)
{
    return (double)((fl_rng_next(r) >> 11) | 1) * 0x1.0p-53;
}

int64_t fl_dist_sample(const struct fl_dist *d, struct fl_rng *r)
{
    FL_ASSERT(d && r);
    double u = draw_open_unit(r), x;
    if (d->kind == FL_DIST_EXPONENTIAL)
        /*
         * The quantile's -mean log1p(-u), as -mean log(1 - u): u is a
         * multiple of 2^-53 below 1, so 1 - u is exact and both compute the
         * same logarithm (to the libm's last bit); log is the faster call.
         */
        x = -d->a * log(1.0 - u);
    else
        x = fl_dist_quantile(d, u);
    if (!(x > 0.0)) return 0;
    if (x >= FL_DIST_SAMPLE_MAX_NS) return (int64_t)FL_DIST_SAMPLE_MAX_NS;
    return fl_round_nonneg(x);
}
