/*
 * hgrm.c - HdrHistogram's percentile distribution text (see hgrm.h).
 *
 * The formats are those of HdrHistogram's AbstractHistogram
 * .outputPercentileDistribution (Java): header "%12s %14s %10s %14s" and a
 * blank line; rows "%12.3f %2.12f %10d %14.2f" (value, percentile as a
 * fraction, total count, 1/(1-percentile)); the 100% row without its last
 * column; footer "#[Mean    = %12.3f, StdDeviation   = %12.3f]",
 * "#[Max     = %12.3f, Total count    = %12d]",
 * "#[Buckets = %12d, SubBuckets     = %12d]". Numbers are printed in the C
 * locale (the project never calls setlocale), as HdrHistogram prints them
 * with Locale.US.
 */
#include "reports/hgrm.h"

#include <math.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/assert.h"

#define TICKS_PER_HALF 5

/* The level after `level` (PercentileIterator.incrementIterationLevel). */
static double next_level(double level)
{
    FL_ASSERT(level >= 0 && level < 100);
    long long halvings = (long long)(log(100.0 / (100.0 - level)) / log(2));
    double ticks = TICKS_PER_HALF * pow(2, (double)(halvings + 1));
    return level + 100.0 / ticks;
}

size_t rpt_hgrm_rows(const struct rpt_hist *h, struct rpt_hgrm_row **rows)
{
    FL_ASSERT(h && rows);
    *rows = NULL;
    if (!h->count) return 0;
    size_t n = 0, cap = 64;
    struct rpt_hgrm_row *v = fl_malloc(cap * sizeof *v);
    double level = 0;
    uint64_t seen = 0;
    uint32_t last = 0;
    for (uint32_t i = rpt_hist_next(h, 0); i < h->n_buckets && seen < h->count;
         i = rpt_hist_next(h, i + 1)) {
        seen += rpt_hist_bucket(h, i);
        last = i;
        double share = 100.0 * (double)seen / (double)h->count;
        while (share >= level) {
            if (n == cap) v = fl_realloc(v, (cap *= 2) * sizeof *v);
            v[n++] = (struct rpt_hgrm_row){rpt_hist_bucket_value(h, i), level, seen};
            if (seen == h->count) break; /* the iteration ends with the last value */
            level = next_level(level);
        }
    }
    FL_ASSERT(seen == h->count);
    if (n == cap) v = fl_realloc(v, (cap + 1) * sizeof *v);
    v[n++] = (struct rpt_hgrm_row){rpt_hist_bucket_value(h, last), 100.0, h->count};
    *rows = v;
    return n;
}

/* The standard deviation over the buckets' values (as HdrHistogram: its buckets' middles). */
static double std_dev(const struct rpt_hist *h)
{
    if (!h->count) return 0;
    double mean = rpt_hist_mean(h), sq = 0;
    for (uint32_t i = rpt_hist_next(h, 0); i < h->n_buckets; i = rpt_hist_next(h, i + 1)) {
        double d = (double)rpt_hist_bucket_value(h, i) - mean;
        sq += d * d * (double)rpt_hist_bucket(h, i);
    }
    return sqrt(sq / (double)h->count);
}

void rpt_hgrm_write(const struct rpt_hist *h, FILE *f)
{
    FL_ASSERT(h && f);
    struct rpt_hgrm_row *rows;
    size_t n = rpt_hgrm_rows(h, &rows);
    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    for (size_t i = 0; i < n; i++) {
        double q = rows[i].level / 100.0;
        if (rows[i].level < 100.0)
            fprintf(f, "%12.3f %2.12f %10llu %14.2f\n", (double)rows[i].value_ns / 1e6, q,
                    (unsigned long long)rows[i].total, 1.0 / (1.0 - q));
        else
            fprintf(f, "%12.3f %2.12f %10llu\n", (double)rows[i].value_ns / 1e6, q,
                    (unsigned long long)rows[i].total);
    }
    free(rows);
    /* the powers of two that hold values up to max (hist.c: 128 sub-buckets each, 256 in
     * HdrHistogram's count, which spans a bucket's two halves) */
    int buckets = 1;
    for (int64_t top = 256; h->count && top <= h->max && buckets < 63; top <<= 1) buckets++;
    fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", rpt_hist_mean(h) / 1e6,
            std_dev(h) / 1e6);
    fprintf(f, "#[Max     = %12.3f, Total count    = %12llu]\n",
            h->count ? (double)h->max / 1e6 : 0.0, (unsigned long long)h->count);
    fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, 256);
}
