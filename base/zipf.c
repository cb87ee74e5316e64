/*
 * zipf.c - the Zipf sampler (base/zipf.h): a table of the cumulative
 * distribution and a binary search in it.
 */
#include "base/zipf.h"

#include <math.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/assert.h"

void fl_zipf_init(struct fl_zipf *z, uint64_t n, double s)
{
    FL_ASSERT(n >= 1 && s >= 0 && isfinite(s));
    z->n = n;
    z->s = s;
    z->cdf = NULL;
    if (s == 0) return;
    z->cdf = fl_malloc(n * sizeof *z->cdf);
    /* summing from the largest term loses less than summing the small ones last */
    double sum = 0;
    for (uint64_t k = 0; k < n; k++) {
        sum += pow((double)(k + 1), -s);
        z->cdf[k] = sum;
    }
    for (uint64_t k = 0; k < n; k++) z->cdf[k] /= sum;
    z->cdf[n - 1] = 1.0; /* the last rank takes whatever rounding left */
}

void fl_zipf_free(struct fl_zipf *z)
{
    free(z->cdf);
    z->cdf = NULL;
}

uint64_t fl_zipf_draw(const struct fl_zipf *z, struct fl_rng *rng)
{
    FL_ASSERT(z->n >= 1);
    if (!z->cdf) return fl_rng_below(rng, z->n);
    double u = fl_rng_unit(rng); /* [0, 1): the first k with u < cdf[k] */
    uint64_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (u < z->cdf[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    FL_ASSERT(lo < z->n);
    return lo;
}

double fl_zipf_pmf(const struct fl_zipf *z, uint64_t k)
{
    FL_ASSERT(k < z->n);
    if (!z->cdf) return 1.0 / (double)z->n;
    return k ? z->cdf[k] - z->cdf[k - 1] : z->cdf[0];
}
