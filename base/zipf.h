/*
 * zipf.h - a Zipf sampler: ranks 0..n-1 drawn with probability
 * proportional to 1/(rank+1)^s (s > 0), or uniformly when s is 0.
 *
 * The cumulative distribution is computed once (n doubles) and a draw is
 * a binary search for a uniform variate in it: exact for every n and s,
 * O(log n) per draw. (Rejection-inversion, Hörmann & Derflinger 1996,
 * needs no table; the table is simpler to check, and caches hold at most
 * SIM_CACHE_KEYS_MAX keys.)
 */
#ifndef FL_BASE_ZIPF_H
#define FL_BASE_ZIPF_H

#include <stdint.h>

#include "base/rng.h"

struct fl_zipf {
    uint64_t n;
    double s;
    double *cdf; /* cdf[k] = P(rank <= k); NULL when s is 0 (uniform) */
};

/* Prepares a sampler over n >= 1 ranks with exponent s >= 0 (0: uniform). */
void fl_zipf_init(struct fl_zipf *z, uint64_t n, double s);
void fl_zipf_free(struct fl_zipf *z);

/* A rank in [0, n), 0 the most popular. */
uint64_t fl_zipf_draw(const struct fl_zipf *z, struct fl_rng *rng);

/* The probability of rank k. */
double fl_zipf_pmf(const struct fl_zipf *z, uint64_t k);

#endif
