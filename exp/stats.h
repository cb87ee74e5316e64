/*
 * stats.h - the confidence intervals of an experiment: the mean of n
 * independent replications with Student's t interval, the paired
 * difference of two variants run on common random numbers, and Welch's
 * interval for two independent samples.
 *
 * A replication is one run of a scenario with one seed: its P99 or error
 * rate is one draw of a random quantity. The t interval assumes the
 * replications' values are independent and roughly normal (a mean or a
 * percentile over thousands of requests is; tests/exp/test_exp_stats.c checks
 * the coverage on M/M/1).
 */
#ifndef FL_EXP_STATS_H
#define FL_EXP_STATS_H

#include <stddef.h>

/* A mean and its two-sided 95% interval mean +- half; half is NAN below two values. */
struct exp_ci {
    double mean;
    double sd;   /* sample standard deviation (n - 1), NAN below two values */
    double half; /* half-width of the 95% interval */
    size_t n;    /* values used (NAN values are skipped) */
    double df;   /* degrees of freedom of the t quantile used */
};

/* Student's t 0.975 quantile for df degrees of freedom (df >= 1; fractional df for Welch). */
double exp_t975(double df);

/* The mean of x[0..n-1] (NAN entries skipped) with its 95% t interval. */
void exp_ci_of(const double *x, size_t n, struct exp_ci *out);

/*
 * b - a replication by replication (the same seeds: common random numbers):
 * the paired t interval of the differences. Pairs with a NAN are skipped.
 */
void exp_ci_paired(const double *a, const double *b, size_t n, struct exp_ci *out);

/* b - a for independent samples (different seeds): Welch's interval. */
void exp_ci_welch(const double *a, size_t na, const double *b, size_t nb, struct exp_ci *out);

/* 1 when the interval of a difference excludes 0 (a significant difference at 5%). */
int exp_ci_significant(const struct exp_ci *d);

#endif
