/*
 * dist.h - random durations: the distributions a scenario can name.
 *
 * Wherever a duration is drawn at random (service times, think times, link
 * delays) the scenario gives one of the forms of docs/scenario.md
 * "Distributions": constant, uniform, normal (truncated at 0), exponential,
 * lognormal (by p50/p99 or by mean/stddev), pareto (scale, shape) and
 * empirical (a piecewise-linear inverse CDF through given quantiles).
 *
 * A distribution is a plain value (no pointers, no ownership): copy it
 * freely. Every parameter is in nanoseconds (as double). Each sample uses
 * one or two draws from the caller's stream, so a run is reproducible.
 * Samples are rounded to the nearest nanosecond and are never negative.
 *
 * Not here: parsing (the scenario loader builds these with the
 * constructors below, which validate), and netem's jitter tables
 * (netem/link.c).
 */
#ifndef FL_BASE_DIST_H
#define FL_BASE_DIST_H

#include <stdint.h>

#include "base/rng.h"

enum fl_dist_kind {
    FL_DIST_CONSTANT,
    FL_DIST_UNIFORM,
    FL_DIST_NORMAL,
    FL_DIST_EXPONENTIAL,
    FL_DIST_LOGNORMAL,
    FL_DIST_PARETO,
    FL_DIST_EMPIRICAL,
};

#define FL_DIST_POINTS_MAX 32

struct fl_dist {
    enum fl_dist_kind kind;
    /*
     * constant: a = value; uniform: a = min, b = max; normal: a = mean,
     * b = stddev; exponential: a = mean; lognormal: a = mu, b = sigma of the
     * underlying normal (of ln of the value in ns); pareto: a = scale,
     * b = shape; empirical: n points (p[i], v[i]), p ascending from 0 to 1.
     */
    double a, b;
    int n;
    double p[FL_DIST_POINTS_MAX];
    double v[FL_DIST_POINTS_MAX];
};

/*
 * Constructors. Each returns 0 and fills *d, or returns -1 and sets *why to
 * a static message saying what is wrong (e.g. "max must not be below min").
 * Durations are nanoseconds.
 */
int fl_dist_constant(struct fl_dist *d, double value_ns, const char **why);
int fl_dist_uniform(struct fl_dist *d, double min_ns, double max_ns, const char **why);
int fl_dist_normal(struct fl_dist *d, double mean_ns, double stddev_ns, const char **why);
int fl_dist_exponential(struct fl_dist *d, double mean_ns, const char **why);
/* lognormal whose median is p50 and 99th percentile p99 (p99 > p50 > 0) */
int fl_dist_lognormal_quantiles(struct fl_dist *d, double p50_ns, double p99_ns, const char **why);
/* lognormal with the given mean and standard deviation (of the value itself) */
int fl_dist_lognormal_moments(struct fl_dist *d, double mean_ns, double stddev_ns,
                              const char **why);
int fl_dist_pareto(struct fl_dist *d, double scale_ns, double shape, const char **why);
/*
 * n points (p[i] in [0,1], strictly ascending; v[i] ascending (equal
 * allowed)), the first at p = 0 and the last at p = 1, 2 <= n <=
 * FL_DIST_POINTS_MAX.
 */
int fl_dist_empirical(struct fl_dist *d, int n, const double *p, const double *v_ns,
                      const char **why);

/*
 * llround(x) for 0 <= x < 2^63, without the library call: x - trunc(x) is
 * exact in binary floating point, so halves round up exactly as llround's
 * "half away from zero" does for non-negative x.
 */
static inline int64_t fl_round_nonneg(double x)
{
    int64_t i = (int64_t)x;
    return i + (x - (double)i >= 0.5);
}

/* One sample in nanoseconds (>= 0). */
int64_t fl_dist_sample(const struct fl_dist *d, struct fl_rng *r);

/* The exact mean in ns (normal: of the truncated distribution; pareto with shape <= 1: INFINITY).
 */
double fl_dist_mean(const struct fl_dist *d);

/* The exact q-quantile in ns, 0 <= q <= 1 (q = 1 may be INFINITY). */
double fl_dist_quantile(const struct fl_dist *d, double q);

/* The standard normal's inverse CDF (0 < p < 1), accurate to about 1e-9 relative. */
double fl_norm_inv(double p);

/* The standard normal's CDF. */
double fl_norm_cdf(double x);

#endif
