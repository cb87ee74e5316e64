/*
 * hist.h - a latency histogram in the manner of HdrHistogram: log-linear
 * buckets (each power of two split into 128 equal sub-buckets), so any
 * quantile is reported within 1% (in fact within 0.4%) of the true value,
 * in constant memory, whatever the number of samples; histograms merge by
 * adding counts. Values are nanoseconds, 0 .. INT64_MAX; below 256 ns every
 * value has its own bucket. Buckets come in rows of 128, a row allocated
 * when a value first falls in it: a histogram holds a few KiB for what a
 * run usually records (a few powers of two), at most about 58 KiB.
 *
 * Quantiles use the nearest-rank definition (the smallest recorded value
 * such that at least q of all values are <= it), reported as the middle of
 * that value's bucket, clamped to the exact min and max. Count, sum (so the
 * mean), min and max are exact.
 *
 * Not here: what is measured (sim/), and printing (reports/summary.c).
 */
#ifndef FL_REPORTS_HIST_H
#define FL_REPORTS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define RPT_HIST_SUB_BITS 7
/* Rows of 2^RPT_HIST_SUB_BITS buckets: 0..255 (two rows), then one per power of two up to 2^62. */
#define RPT_HIST_ROWS 57

struct rpt_hist {
    uint64_t count;
    int64_t min, max;              /* valid when count > 0 */
    __int128 sum;                  /* exact sum of every value recorded */
    uint64_t *rows[RPT_HIST_ROWS]; /* bucket i is rows[i >> 7][i & 127]; NULL: all zero */
    uint32_t n_buckets;
};

/* An empty histogram (no row allocated yet); rpt_hist_free releases what it holds. */
void rpt_hist_init(struct rpt_hist *h);
void rpt_hist_free(struct rpt_hist *h);
/* Empties it (and releases its rows). */
void rpt_hist_reset(struct rpt_hist *h);

/* Records one value (>= 0; a negative value is a programmer error). */
void rpt_hist_record(struct rpt_hist *h, int64_t value_ns);

/* Adds every value of src into dst. */
void rpt_hist_merge(struct rpt_hist *dst, const struct rpt_hist *src);

/* The q-quantile, 0 <= q <= 1 (0 when empty). */
int64_t rpt_hist_quantile(const struct rpt_hist *h, double q);

/* The exact mean (0 when empty). */
double rpt_hist_mean(const struct rpt_hist *h);

/* The count in bucket i (< n_buckets). */
uint64_t rpt_hist_bucket(const struct rpt_hist *h, uint32_t i);

/* The first bucket from i on with a count, or n_buckets: walks the recorded buckets only. */
uint32_t rpt_hist_next(const struct rpt_hist *h, uint32_t i);

/* Adds n to bucket i alone (count, sum, min and max are the caller's: a decoder's). */
void rpt_hist_add_bucket(struct rpt_hist *h, uint32_t i, uint64_t n);

/* 1 if a and b have the same count in every bucket (whatever rows each has allocated). */
int rpt_hist_same_buckets(const struct rpt_hist *a, const struct rpt_hist *b);

/* The bytes its rows hold. */
size_t rpt_hist_bytes(const struct rpt_hist *h);

/* The value bucket i stands for: its middle, clamped to the exact min and max (as quantiles). */
int64_t rpt_hist_bucket_value(const struct rpt_hist *h, uint32_t i);

#endif
