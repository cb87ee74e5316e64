/*
 * series.h - time series: the run's figures per window of simulated time
 * (1 s by default), per route, per service, per edge (caller -> callee)
 * and per proxy cluster.
 *
 * A window k covers [k * window_ns, (k + 1) * window_ns); a request counts
 * in the window in which it ends (as it does in a dashboard fed by access
 * logs). Each series keeps one point per window and one small latency
 * histogram reused for every window (struct rpt_whist: log-linear, 32
 * sub-buckets per power of two, so a quantile is within 1/64 of the true
 * value, clamped to the window's exact min and max): recording adds to the
 * current point and the histogram; moving to a later window first closes
 * the current one (p50/p95/p99 read in one pass over the buckets used,
 * which are then cleared). Recording is inline and allocation-free but for
 * growing the points array; the whole-run figures keep the precise
 * histogram of hist.h.
 *
 * Proxy clusters have no latency of their own: their points are the
 * differences of the clusters' counters between two window boundaries
 * (sim/series_tick.c takes the readings).
 *
 * Not here: JSON and CSV (series_out.c), judging assertions on windows
 * (checks.c).
 */
#ifndef FL_REPORTS_SERIES_H
#define FL_REPORTS_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "base/nameidx.h"

/* Outcome classes of a window's point. */
enum rpt_class {
    RPT_CLASS_2XX,
    RPT_CLASS_3XX,
    RPT_CLASS_4XX,
    RPT_CLASS_5XX,
    RPT_CLASS_TIMEOUT,
    RPT_CLASS_CONNECT,
    RPT_CLASS_RESET,
    RPT_CLASS_UNFINISHED,
    RPT_CLASS_MAX,
};

/* The class of an outcome (an HTTP status or an RPT_FAIL_* code). */
static inline enum rpt_class rpt_class_of(int outcome)
{
    switch (outcome) {
    case 1: return RPT_CLASS_TIMEOUT; /* RPT_FAIL_* of results.h */
    case 2: return RPT_CLASS_CONNECT;
    case 3: return RPT_CLASS_RESET;
    case 4: return RPT_CLASS_UNFINISHED;
    default: break;
    }
    if (outcome >= 500) return RPT_CLASS_5XX;
    if (outcome >= 400) return RPT_CLASS_4XX;
    if (outcome >= 300) return RPT_CLASS_3XX;
    return RPT_CLASS_2XX;
}

/* Names of the classes, as the CSV header and summary.json spell them. */
const char *rpt_class_name(enum rpt_class c);

struct rpt_point {
    uint64_t count, errors, tries;
    uint64_t classes[RPT_CLASS_MAX];
    int64_t p50_ns, p95_ns, p99_ns; /* set when the window closes; 0 without requests */
};

#define RPT_WHIST_SUB_BITS 5
#define RPT_WHIST_BUCKETS  ((63 - RPT_WHIST_SUB_BITS + 1) << RPT_WHIST_SUB_BITS)

/* A window's latency histogram: see the head of this file. */
struct rpt_whist {
    uint32_t lo, hi; /* the buckets used: [lo, hi] when count > 0 */
    uint64_t count;
    int64_t min, max;
    uint32_t b[RPT_WHIST_BUCKETS];
};

static inline uint32_t rpt_whist_bucket(int64_t v)
{
    uint64_t u = (uint64_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(u | ((1u << (RPT_WHIST_SUB_BITS + 1)) - 1));
    unsigned shift = e - RPT_WHIST_SUB_BITS;
    return (uint32_t)((shift << RPT_WHIST_SUB_BITS) + (u >> shift));
}

static inline void rpt_whist_record(struct rpt_whist *h, int64_t v)
{
    uint32_t i = rpt_whist_bucket(v);
    h->b[i]++;
    if (h->count++ == 0) {
        h->lo = h->hi = i;
        h->min = h->max = v;
        return;
    }
    h->lo = i < h->lo ? i : h->lo;
    h->hi = i > h->hi ? i : h->hi;
    h->min = v < h->min ? v : h->min;
    h->max = v > h->max ? v : h->max;
}

struct rpt_series {
    char *name;
    struct rpt_point *pts; /* pts[k]: window k */
    size_t n_pts, cap;
    size_t cur;          /* the window the histogram holds */
    int64_t cur_end_ns;  /* its end: a request ending then or later rolls the window */
    struct rpt_whist *h; /* allocated with the series */
};

/* A proxy cluster's counters over one window (Envoy's upstream_rq_* differences). */
struct rpt_cpoint {
    uint64_t rq_total, rq_retry, overflows, timeouts, ejections;
};

struct rpt_cseries {
    char *name;
    struct rpt_cpoint *pts;
    size_t n_pts;
    struct rpt_cpoint last; /* the counters at the last boundary */
};

struct rpt_series_set {
    int64_t window_ns; /* 0: no series (the run records none) */
    int output;        /* 1: summary.json and the CSV files show them */
    struct rpt_series all;
    struct rpt_series *routes, *services, *edges;
    size_t n_routes, n_services, n_edges, cap_edges;
    struct rpt_cseries *clusters;
    size_t n_clusters, cap_clusters;
    struct fl_nameidx edge_index, cluster_index; /* edges and clusters by name */
};

void rpt_series_init(struct rpt_series *s, const char *name);
void rpt_series_free(struct rpt_series *s);
void rpt_series_set_free(struct rpt_series_set *set);

/* Closes the window the histogram holds and makes window k (>= it) current. */
void rpt_series_roll(struct rpt_series *s, size_t k);

/* Records one request that ended at end_ns. */
static inline void rpt_series_record(struct rpt_series *s, int64_t window_ns, int64_t end_ns,
                                     int64_t latency_ns, int outcome, uint32_t tries)
{
    if (end_ns >= s->cur_end_ns) {
        size_t k = (size_t)(end_ns / window_ns);
        rpt_series_roll(s, k);
        s->cur_end_ns = ((int64_t)k + 1) * window_ns;
    }
    struct rpt_point *p = &s->pts[s->cur];
    p->count++;
    p->tries += tries;
    p->errors += outcome < 100 || outcome >= 500;
    p->classes[rpt_class_of(outcome)]++;
    rpt_whist_record(s->h, latency_ns);
}

/* Closes every series' current window and pads every series to n windows. */
void rpt_series_finish(struct rpt_series_set *set, size_t n);

/* The cluster series called name, added (with no points) if new. */
struct rpt_cseries *rpt_cseries_get(struct rpt_series_set *set, const char *name);

/* Appends window k's point: the counters now minus those at the last boundary. */
void rpt_cseries_tick(struct rpt_cseries *c, size_t k, const struct rpt_cpoint *now);

/* Makes dst's points those of src (a series that sees the same requests; dst recorded none). */
void rpt_series_copy_points(struct rpt_series *dst, const struct rpt_series *src);

/* The edge series "from -> to", added if new. */
struct rpt_series *rpt_series_edge(struct rpt_series_set *set, const char *from, const char *to);

#endif
