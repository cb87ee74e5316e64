/*
 * series.c - the windows of series.h: closing one, growing the points,
 * the clusters' counter differences, and the edges found by name.
 *
 * Invariant: a series' histogram holds exactly the requests of window
 * `cur` that are already counted in pts[cur] (when cur < n_pts).
 *
 * Window histogram buckets (as in hist.c, with 32 sub-buckets): v lies in
 * [2^e, 2^(e+1)), cut into 32 sub-buckets of width 2^(e-5); below 64 every
 * value has its own bucket. A bucket's middle is within half a width, so
 * 2^(e-6) / 2^e = 1/64 of any value in it.
 */
#include "reports/series.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

static const char *const class_names[RPT_CLASS_MAX] = {
    [RPT_CLASS_2XX] = "2xx",         [RPT_CLASS_3XX] = "3xx",
    [RPT_CLASS_4XX] = "4xx",         [RPT_CLASS_5XX] = "5xx",
    [RPT_CLASS_TIMEOUT] = "timeout", [RPT_CLASS_CONNECT] = "connect_failure",
    [RPT_CLASS_RESET] = "reset",     [RPT_CLASS_UNFINISHED] = "unfinished",
};

const char *rpt_class_name(enum rpt_class c)
{
    FL_ASSERT((unsigned)c < RPT_CLASS_MAX);
    return class_names[c];
}

void rpt_series_init(struct rpt_series *s, const char *name)
{
    memset(s, 0, sizeof *s);
    s->name = fl_strdup(name);
    s->h = fl_calloc(1, sizeof *s->h);
}

void rpt_series_free(struct rpt_series *s)
{
    free(s->name);
    free(s->pts);
    free(s->h);
    memset(s, 0, sizeof *s);
}

/* The middle of bucket i, or its low end for width 1. */
static int64_t whist_mid(uint32_t i)
{
    const uint32_t sub = 1u << RPT_WHIST_SUB_BITS;
    if (i < 2 * sub) return (int64_t)i;
    unsigned shift = (i >> RPT_WHIST_SUB_BITS) - 1;
    uint64_t low = (uint64_t)((i & (sub - 1)) + sub) << shift;
    return (int64_t)(low + ((UINT64_C(1) << shift) >> 1));
}

static uint64_t rank_of(double q, uint64_t count)
{
    double r = q * (double)count;
    r -= r * 1e-12; /* as hist.c: 0.99 * 100 means rank 99 */
    uint64_t rank = (uint64_t)r + ((double)(uint64_t)r < r);
    return rank < 1 ? 1 : rank > count ? count : rank;
}

/* p50, p95, p99 of the window in one pass (nearest rank, clamped), then clears it. */
static void whist_close(struct rpt_whist *h, struct rpt_point *p)
{
    static const double qs[3] = {0.50, 0.95, 0.99};
    int64_t *out[3] = {&p->p50_ns, &p->p95_ns, &p->p99_ns};
    uint64_t seen = 0;
    int q = 0;
    for (uint32_t i = h->lo; i <= h->hi && q < 3; i++) {
        seen += h->b[i];
        while (q < 3 && seen >= rank_of(qs[q], h->count)) {
            int64_t mid = whist_mid(i);
            mid = mid < h->min ? h->min : mid > h->max ? h->max : mid;
            *out[q] = rank_of(qs[q], h->count) == h->count ? h->max : mid; /* the largest: exact */
            q++;
        }
    }
    FL_ASSERT(q == 3); /* the counts add up to count */
    memset(&h->b[h->lo], 0, (size_t)(h->hi - h->lo + 1) * sizeof h->b[0]);
    h->count = 0;
}

/* Makes pts[0..n) exist, new points zero. */
static void grow(struct rpt_series *s, size_t n)
{
    if (n <= s->n_pts) return;
    if (n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        while (cap < n) cap *= 2;
        s->pts = fl_realloc(s->pts, cap * sizeof *s->pts);
        s->cap = cap;
    }
    memset(&s->pts[s->n_pts], 0, (n - s->n_pts) * sizeof *s->pts);
    s->n_pts = n;
}

void rpt_series_roll(struct rpt_series *s, size_t k)
{
    FL_ASSERT(k >= s->cur || s->n_pts == 0); /* time only moves forward */
    if (s->cur < s->n_pts && s->h->count) {
        FL_ASSERT(s->pts[s->cur].count == s->h->count);
        whist_close(s->h, &s->pts[s->cur]);
    }
    grow(s, k + 1);
    s->cur = k;
}

static void finish_one(struct rpt_series *s, size_t n)
{
    size_t last = n > s->n_pts ? n : s->n_pts;
    if (last) rpt_series_roll(s, last - 1); /* closes cur, pads with empty windows */
    FL_ASSERT(s->n_pts == last);
}

void rpt_series_finish(struct rpt_series_set *set, size_t n)
{
    if (!set->window_ns) return;
    finish_one(&set->all, n);
    for (size_t i = 0; i < set->n_routes; i++) finish_one(&set->routes[i], n);
    for (size_t i = 0; i < set->n_services; i++) finish_one(&set->services[i], n);
    for (size_t i = 0; i < set->n_edges; i++) finish_one(&set->edges[i], n);
}

void rpt_series_set_free(struct rpt_series_set *set)
{
    if (set->all.name) rpt_series_free(&set->all);
    for (size_t i = 0; i < set->n_routes; i++) rpt_series_free(&set->routes[i]);
    free(set->routes);
    for (size_t i = 0; i < set->n_services; i++) rpt_series_free(&set->services[i]);
    free(set->services);
    for (size_t i = 0; i < set->n_edges; i++) rpt_series_free(&set->edges[i]);
    free(set->edges);
    for (size_t i = 0; i < set->n_clusters; i++) {
        free(set->clusters[i].name);
        free(set->clusters[i].pts);
    }
    free(set->clusters);
    fl_nameidx_free(&set->cluster_index);
    fl_nameidx_free(&set->edge_index);
    memset(set, 0, sizeof *set);
}

struct rpt_cseries *rpt_cseries_get(struct rpt_series_set *set, const char *name)
{
    FL_ASSERT(set && name);
    long at = fl_nameidx_get(&set->cluster_index, name);
    if (at >= 0) return &set->clusters[at];
    FL_GROW(set->clusters, set->cap_clusters, set->n_clusters + 1);
    struct rpt_cseries *c = &set->clusters[set->n_clusters];
    memset(c, 0, sizeof *c);
    c->name = fl_strdup(name);
    fl_nameidx_put(&set->cluster_index, c->name, set->n_clusters++);
    return c;
}

void rpt_cseries_tick(struct rpt_cseries *c, size_t k, const struct rpt_cpoint *now)
{
    FL_ASSERT(k >= c->n_pts); /* one reading per boundary, in order */
    c->pts = fl_realloc(c->pts, (k + 1) * sizeof *c->pts);
    memset(&c->pts[c->n_pts], 0, (k + 1 - c->n_pts) * sizeof *c->pts);
    c->n_pts = k + 1;
    struct rpt_cpoint *p = &c->pts[k];
    FL_ASSERT(now->rq_total >= c->last.rq_total && now->rq_retry >= c->last.rq_retry);
    p->rq_total = now->rq_total - c->last.rq_total;
    p->rq_retry = now->rq_retry - c->last.rq_retry;
    p->overflows = now->overflows - c->last.overflows;
    p->timeouts = now->timeouts - c->last.timeouts;
    p->ejections = now->ejections - c->last.ejections;
    c->last = *now;
}

struct rpt_series *rpt_series_edge(struct rpt_series_set *set, const char *from, const char *to)
{
    FL_ASSERT(set && from && to);
    char *name = fl_asprintf("%s -> %s", from, to);
    long at = fl_nameidx_get(&set->edge_index, name);
    if (at >= 0) {
        free(name);
        return &set->edges[at];
    }
    FL_GROW(set->edges, set->cap_edges, set->n_edges + 1);
    struct rpt_series *e = &set->edges[set->n_edges];
    rpt_series_init(e, name);
    free(name);
    fl_nameidx_put(&set->edge_index, e->name, set->n_edges++);
    return e;
}

void rpt_series_copy_points(struct rpt_series *dst, const struct rpt_series *src)
{
    FL_ASSERT(dst != src && dst->h->count == 0);
    free(dst->pts);
    dst->pts = fl_calloc(src->n_pts ? src->n_pts : 1, sizeof *dst->pts);
    memcpy(dst->pts, src->pts, src->n_pts * sizeof *dst->pts);
    dst->n_pts = dst->cap = src->n_pts;
    dst->cur = src->n_pts ? src->n_pts - 1 : 0;
}
