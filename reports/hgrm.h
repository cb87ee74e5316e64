/*
 * hgrm.h - a latency histogram (hist.h) as HdrHistogram's percentile
 * distribution text, the ".hgrm" that HdrHistogram's
 * outputPercentileDistribution prints and its plotters (plotFiles.html,
 * hdr-plot) read: a header, one row per percentile step, the last at
 * 100%, and a footer.
 *
 * Steps (HdrHistogram's PercentileIterator, 5 ticks per half distance):
 * from 0%, each step adds 100 / (5 * 2^(floor(log2(100 / (100 - level))) + 1))
 * percent, so there are 10 steps up to 50%, 10 more up to 75%, and so on:
 * the tail is resolved ever finer. A row is written at the first bucket
 * whose cumulative share reaches the level (one bucket may give several
 * rows); after the last bucket one row at 100%.
 *
 * Values are milliseconds with 3 decimals, each the value of its bucket as
 * the summary reports quantiles (the bucket's middle, clamped to the exact
 * min and max), so a row's value is the summary's quantile at its level.
 */
#ifndef FL_REPORTS_HGRM_H
#define FL_REPORTS_HGRM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/hist.h"

struct rpt_hgrm_row {
    int64_t value_ns;
    double level;   /* the percentile level, 0..100 */
    uint64_t total; /* values <= this row's bucket */
};

/* The rows of h (caller frees *rows); returns their number (0 when h is empty). */
size_t rpt_hgrm_rows(const struct rpt_hist *h, struct rpt_hgrm_row **rows);

/* Writes h as .hgrm text (an empty histogram: the header and footer only). */
void rpt_hgrm_write(const struct rpt_hist *h, FILE *f);

#endif
