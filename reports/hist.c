/*
 * hist.c - the log-linear latency histogram of hist.h.
 *
 * Bucketing: a value v lies in the power of two [2^e, 2^(e+1)); that range
 * is cut into 128 equal sub-buckets of width 2^(e-7). Taking e from v|255
 * (never below 7) makes the width 1 for every v < 256, so small values are
 * exact and need no branch:
 *
 *   shift = e - 7                      (0 for v < 256)
 *   index = shift * 128 + (v >> shift) (v >> shift is in [128, 256) once v >= 128)
 *
 * Indices are contiguous from 0 (v = 0) to 7295 (v = INT64_MAX, e = 62):
 * 7296 buckets of 8 bytes, in 57 rows of 128 (a row per power of two from
 * 2^8 on, two for 0..255), each allocated when first recorded into: a
 * run's latencies span a few powers of two, and a large mesh has a
 * histogram per service. Recording is one clz, two shifts, a load of the
 * row and an add.
 * The largest relative distance from a value to its bucket's midpoint is
 * half a width over the bucket's low end: 2^(shift-1) / 2^(shift+7) = 1/256.
 *
 * Not here: concurrency (a histogram belongs to one thread), counts that
 * overflow 64 bits, negative values, and any kind of decay or time window.
 */
#include "reports/hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#define SUB_COUNT  (1u << RPT_HIST_SUB_BITS) /* 128 sub-buckets per power of two */
#define EXACT_BITS (RPT_HIST_SUB_BITS + 1)   /* below 2^8 = 256 every value is exact */
#define TOP_EXP    62                        /* INT64_MAX < 2^63 */
#define N_BUCKETS  ((TOP_EXP - RPT_HIST_SUB_BITS + 2) * SUB_COUNT)

_Static_assert(N_BUCKETS == RPT_HIST_ROWS * SUB_COUNT, "RPT_HIST_ROWS rows hold every bucket");

static inline uint32_t bucket_of(int64_t v)
{
    uint64_t u = (uint64_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(u | ((1u << EXACT_BITS) - 1));
    unsigned shift = e - RPT_HIST_SUB_BITS;
    return (uint32_t)((shift << RPT_HIST_SUB_BITS) + (u >> shift));
}

/* The middle of bucket i: its low end plus half its width (low end for width 1). */
static int64_t bucket_mid(uint32_t i)
{
    if (i < 2 * SUB_COUNT) return (int64_t)i;
    unsigned shift = (i >> RPT_HIST_SUB_BITS) - 1;
    uint64_t low = (uint64_t)((i & (SUB_COUNT - 1)) + SUB_COUNT) << shift;
    return (int64_t)(low + ((UINT64_C(1) << shift) >> 1));
}

void rpt_hist_init(struct rpt_hist *h)
{
    memset(h, 0, sizeof *h);
    h->n_buckets = N_BUCKETS;
    rpt_hist_reset(h);
}

static void free_rows(struct rpt_hist *h)
{
    for (int r = 0; r < RPT_HIST_ROWS; r++) {
        free(h->rows[r]);
        h->rows[r] = NULL;
    }
}

void rpt_hist_free(struct rpt_hist *h)
{
    free_rows(h);
    memset(h, 0, sizeof *h);
}

void rpt_hist_reset(struct rpt_hist *h)
{
    FL_ASSERT(h->n_buckets == N_BUCKETS);
    free_rows(h);
    h->count = 0;
    h->sum = 0;
    /* min/max start at the far ends so recording needs no "first value" branch */
    h->min = INT64_MAX;
    h->max = 0;
}

/* Row r, allocated (zeroed) when first needed. */
static uint64_t *row_at(struct rpt_hist *h, uint32_t r)
{
    FL_ASSERT(r < RPT_HIST_ROWS && h->n_buckets == N_BUCKETS);
    if (!h->rows[r]) h->rows[r] = fl_calloc(SUB_COUNT, sizeof *h->rows[r]);
    return h->rows[r];
}

/* rpt_hist_record into a row not yet allocated: allocates it, then records. */
static __attribute__((noinline)) void record_new_row(struct rpt_hist *h, int64_t value_ns)
{
    row_at(h, bucket_of(value_ns) >> RPT_HIST_SUB_BITS);
    rpt_hist_record(h, value_ns);
}

void rpt_hist_record(struct rpt_hist *h, int64_t value_ns)
{
    FL_ASSERT(value_ns >= 0);
    uint32_t i = bucket_of(value_ns);
    uint64_t *row = h->rows[i >> RPT_HIST_SUB_BITS];
    /* a new row is rare: calling out only for it keeps this path free of saved registers */
    if (__builtin_expect(!row, 0)) {
        record_new_row(h, value_ns);
        return;
    }
    row[i & (SUB_COUNT - 1)]++;
    h->count++;
    h->sum += value_ns;
    h->min = value_ns < h->min ? value_ns : h->min;
    h->max = value_ns > h->max ? value_ns : h->max;
}

void rpt_hist_merge(struct rpt_hist *dst, const struct rpt_hist *src)
{
    FL_ASSERT(dst->n_buckets == src->n_buckets);
    if (src->count == 0) return;
    for (uint32_t r = 0; r < RPT_HIST_ROWS; r++) {
        if (!src->rows[r]) continue;
        uint64_t *row = row_at(dst, r);
        for (uint32_t k = 0; k < SUB_COUNT; k++) row[k] += src->rows[r][k];
    }
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
}

/*
 * Nearest rank: ceil(q * count), at least 1. The product is nudged down by
 * a few ulps first, so that 0.999 * 1000 (998.9999999999999 or
 * 999.0000000000001 depending on rounding) means rank 999, as a person means.
 */
static uint64_t rank_of(double q, uint64_t count)
{
    double r = q * (double)count;
    r -= r * 1e-12;
    uint64_t rank = (uint64_t)ceil(r);
    if (rank < 1) rank = 1;
    if (rank > count) rank = count;
    return rank;
}

int64_t rpt_hist_quantile(const struct rpt_hist *h, double q)
{
    FL_ASSERT(q >= 0.0 && q <= 1.0);
    if (h->count == 0) return 0;
    if (q <= 0.0) return h->min;
    if (q >= 1.0) return h->max;
    uint64_t rank = rank_of(q, h->count), seen = 0;
    /* nothing lies below min's bucket: a histogram of few values is not scanned whole */
    uint32_t i = bucket_of(h->min);
    FL_ASSERT(i < h->n_buckets && rpt_hist_bucket(h, i) > 0);
    for (; i < h->n_buckets; i = rpt_hist_next(h, i + 1)) {
        seen += rpt_hist_bucket(h, i);
        if (seen >= rank) break;
    }
    FL_ASSERT(i < h->n_buckets); /* the counts add up to count */
    int64_t mid = bucket_mid(i);
    if (mid < h->min) return h->min;
    if (mid > h->max) return h->max;
    return mid;
}

double rpt_hist_mean(const struct rpt_hist *h)
{
    if (h->count == 0) return 0.0;
    return (double)(h->sum / h->count) + (double)(h->sum % h->count) / (double)h->count;
}

uint64_t rpt_hist_bucket(const struct rpt_hist *h, uint32_t i)
{
    FL_ASSERT(h && i < h->n_buckets);
    const uint64_t *row = h->rows[i >> RPT_HIST_SUB_BITS];
    return row ? row[i & (SUB_COUNT - 1)] : 0;
}

uint32_t rpt_hist_next(const struct rpt_hist *h, uint32_t i)
{
    FL_ASSERT(h && i <= h->n_buckets);
    while (i < h->n_buckets) {
        const uint64_t *row = h->rows[i >> RPT_HIST_SUB_BITS];
        if (!row) { /* a row never recorded into: on to the next one */
            i = (i | (SUB_COUNT - 1)) + 1;
            continue;
        }
        if (row[i & (SUB_COUNT - 1)]) return i;
        i++;
    }
    return h->n_buckets;
}

void rpt_hist_add_bucket(struct rpt_hist *h, uint32_t i, uint64_t n)
{
    FL_ASSERT(h && i < h->n_buckets);
    row_at(h, i >> RPT_HIST_SUB_BITS)[i & (SUB_COUNT - 1)] += n;
}

int rpt_hist_same_buckets(const struct rpt_hist *a, const struct rpt_hist *b)
{
    FL_ASSERT(a && b);
    if (a->n_buckets != b->n_buckets) return 0;
    for (uint32_t i = 0; i < a->n_buckets; i++)
        if (rpt_hist_bucket(a, i) != rpt_hist_bucket(b, i)) return 0;
    return 1;
}

size_t rpt_hist_bytes(const struct rpt_hist *h)
{
    size_t n = 0;
    for (int r = 0; r < RPT_HIST_ROWS; r++) n += h->rows[r] ? SUB_COUNT * sizeof *h->rows[r] : 0;
    return n;
}

int64_t rpt_hist_bucket_value(const struct rpt_hist *h, uint32_t i)
{
    FL_ASSERT(h && i < h->n_buckets);
    int64_t mid = bucket_mid(i);
    if (h->count && mid < h->min) return h->min;
    if (h->count && mid > h->max) return h->max;
    return mid;
}
