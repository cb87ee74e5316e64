/*
 * slowest.c - the slowest requests of a run, and where their time went.
 *
 * The breakdown of one request from its trace (rpt_slow_explain):
 *  - the spans counted are those the client waited for: the request's
 *    root (a span with no parent in the trace), and every span whose
 *    parent is counted, ends within the root, and, for a SERVER span under
 *    a CLIENT span, ends within it (a server still working after its
 *    caller gave up is work nobody waited for);
 *  - queueing and service time: the counted spans' queue_ns and
 *    service_ns (pods' SERVER spans);
 *  - network: for each counted CLIENT span, its duration less its child
 *    SERVER span's (the one answering that try) less the retransmission
 *    delay of the two messages between them (the child's request, the
 *    client's response); a CLIENT span with no counted child (the request
 *    never arrived, the callee reports no span or its trace broke, the
 *    try timed out) is left to `other`;
 *  - TCP retransmission: those two messages' rtx_ns, summed over the pairs;
 *  - backoff: the gap between a CLIENT span with attempt k > 1 and its
 *    sibling (same parent and name) with attempt k - 1;
 *  - other: the latency less all of these (proxies' own time, timed-out
 *    tries, waiting on another request's cache fill), 0 when they overlap.
 * hops: each counted SERVER span in order of start, named by the pod the
 * CLIENT span above it went to (else its service), with its duration.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "reports/results.h"
#include "reports/spans.h"

#define HOPS_MAX 24 /* hops named in the line; more are summed up as "+N more" */

void rpt_slow_free(struct rpt_slow *sl)
{
    FL_ASSERT(sl && (sl->spans || !sl->n_spans));
    free(sl->route);
    free(sl->hops);
    free(sl->spans);
    memset(sl, 0, sizeof *sl);
}

struct id_ix {
    uint64_t id;
    size_t i;
};

static int id_cmp(const void *a, const void *b)
{
    const struct id_ix *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The index of the span with id, or -1 (the first, if ids repeat). */
static long find_id(const struct id_ix *ix, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ix[lo].id == id ? (long)ix[lo].i : -1;
}

static int64_t dur(const struct rpt_span *s)
{
    return s->end_ns - s->start_ns;
}

/* counted[i]: 1 counted, 0 not, -1 not yet known; parent[i]: the parent's index or -1. */
static int is_counted(const struct rpt_span *v, const long *parent, signed char *counted, size_t i,
                      long root, int depth)
{
    if (counted[i] >= 0) return counted[i];
    int c = 0;
    if ((long)i == root) {
        c = 1;
    } else if (parent[i] >= 0 && depth < 1000 && v[i].end_ns <= v[root].end_ns &&
               is_counted(v, parent, counted, (size_t)parent[i], root, depth + 1)) {
        const struct rpt_span *p = &v[parent[i]];
        c = !(v[i].kind == 2 && p->kind == 1 && v[i].end_ns > p->end_ns);
    }
    counted[i] = (signed char)c;
    return c;
}

static void add_hop(char *buf, size_t size, size_t *used, const char *name, int64_t ns)
{
    FL_ASSERT(buf && name && *used < size && ns >= 0);
    char d[32];
    fl_format_duration(ns, d, sizeof d);
    if (*used >= size) return;
    int k = snprintf(buf + *used, size - *used, "%s%s %s", *used ? " > " : "", name, d);
    if (k > 0) *used += (size_t)k;
    if (*used >= size) *used = size - 1;
}

void rpt_slow_explain(struct rpt_slow *sl)
{
    FL_ASSERT(sl && (sl->spans || !sl->n_spans) && sl->latency_ns >= 0);
    const struct rpt_span *v = sl->spans;
    size_t n = sl->n_spans;
    sl->queue_ns = sl->service_ns = sl->network_ns = sl->rtx_ns = sl->backoff_ns = 0;
    sl->other_ns = sl->latency_ns;
    free(sl->hops);
    sl->hops = fl_strdup("");
    if (!n) return;
    struct id_ix *ix = fl_malloc(n * sizeof *ix);
    long *parent = fl_malloc(n * sizeof *parent);
    signed char *counted = fl_malloc(n);
    for (size_t i = 0; i < n; i++) ix[i] = (struct id_ix){v[i].id, i};
    qsort(ix, n, sizeof *ix, id_cmp);
    long root = -1;
    for (size_t i = 0; i < n; i++) {
        parent[i] = v[i].parent ? find_id(ix, n, v[i].parent) : -1;
        if ((long)i == parent[i]) parent[i] = -1;
        counted[i] = -1;
        /* the root: the first span with no parent in the trace (spans are sorted by start) */
        if (parent[i] < 0 && root < 0) root = (long)i;
    }
    FL_ASSERT(root >= 0);
    for (size_t i = 0; i < n; i++) is_counted(v, parent, counted, i, root, 0);

    char hops[1024];
    size_t used = 0, n_hops = 0;
    hops[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!counted[i]) continue;
        const struct rpt_span *s = &v[i];
        sl->queue_ns += s->queue_ns;
        sl->service_ns += s->service_ns;
        long p = parent[i];
        if (s->kind == 2) { /* a hop: named by the pod its caller reached */
            const char *name = p >= 0 && v[p].kind == 1 && v[p].peer ? v[p].peer : s->service;
            if (n_hops++ < HOPS_MAX) add_hop(hops, sizeof hops, &used, name ? name : "?", dur(s));
        }
        if (s->kind != 1) continue;
        FL_ASSERT(s->end_ns >= s->start_ns);
        /* the SERVER span that answered this try */
        long child = -1;
        for (size_t k = 0; k < n && child < 0; k++)
            if (counted[k] && parent[k] == (long)i && v[k].kind == 2) child = (long)k;
        FL_ASSERT(child < (long)n);
        if (child >= 0) {
            int64_t gap = dur(s) - dur(&v[child]) - s->rtx_ns - v[child].rtx_ns;
            sl->network_ns += gap > 0 ? gap : 0;
            sl->rtx_ns += s->rtx_ns + v[child].rtx_ns;
        } else {
            sl->rtx_ns += s->rtx_ns;
        }
        if (s->attempt > 1) { /* the gap since the previous attempt ended */
            int64_t prev_end = INT64_MIN;
            for (size_t k = 0; k < n; k++) {
                const struct rpt_span *q = &v[k];
                if (!counted[k] || q->kind != 1 || parent[k] != p || q->attempt + 1 != s->attempt ||
                    q->end_ns > s->start_ns ||
                    (q->name != s->name && (!q->name || !s->name || strcmp(q->name, s->name))))
                    continue;
                if (q->end_ns > prev_end) prev_end = q->end_ns;
            }
            if (prev_end != INT64_MIN) sl->backoff_ns += s->start_ns - prev_end;
        }
    }
    if (n_hops > HOPS_MAX && used + 24 < sizeof hops)
        snprintf(hops + used, sizeof hops - used, " > +%zu more", n_hops - HOPS_MAX);
    int64_t parts = sl->queue_ns + sl->service_ns + sl->network_ns + sl->rtx_ns + sl->backoff_ns;
    sl->other_ns = parts < sl->latency_ns ? sl->latency_ns - parts : 0;
    free(sl->hops);
    sl->hops = fl_strdup(hops);
    free(ix);
    free(parent);
    free(counted);
    FL_ASSERT(sl->other_ns >= 0 && sl->hops);
}

const char *rpt_slow_line(const struct rpt_slow *sl, char *buf, size_t size)
{
    FL_ASSERT(sl && buf && size > 0);
    char q[32], s[32], n[32], r[32], b[32], o[32];
    fl_format_duration(sl->queue_ns, q, sizeof q);
    fl_format_duration(sl->service_ns, s, sizeof s);
    fl_format_duration(sl->network_ns, n, sizeof n);
    fl_format_duration(sl->rtx_ns, r, sizeof r);
    fl_format_duration(sl->backoff_ns, b, sizeof b);
    fl_format_duration(sl->other_ns, o, sizeof o);
    snprintf(buf, size,
             "queueing %s, service %s, network %s, tcp retransmission %s, backoff %s, other %s%s%s",
             q, s, n, r, b, o, sl->hops && sl->hops[0] ? "; hops: " : "", sl->hops ? sl->hops : "");
    return buf;
}
