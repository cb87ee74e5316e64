/*
 * lb_ring.c - Envoy's ring hash table (source/extensions/load_balancing_
 * policies/ring_hash/ring_hash_lb.cc, RingHashLoadBalancer::Ring).
 *
 * Build. Weights are normalized to sum 1; scale = min(ceil(w_min *
 * size_min) / w_min, size_max), so that the lightest host gets a whole
 * number of entries (each host of equal weight gets size_min / n, rounded
 * up). Walking the hosts in order with running sums, a host gets entries
 * while current < target, target growing by scale x weight: hosts get
 * floor or ceil of their share. Entry i of a host hashes the string
 * "<address>_<i>" with xxHash64 (seed 0, Envoy's default XX_HASH). The ring
 * is sorted by hash (ties, which Envoy leaves to std::sort, by host then by
 * position, so the order is total).
 *
 * Lookup: the first entry whose hash is >= h, wrapping to the first entry
 * (the result of Envoy's port of ketama_get_server). For attempt > 0 (a
 * retry host predicate rejected the host) Envoy steps `attempt` entries
 * further along the ring.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/lb_hash.h"

struct build_entry {
    uint64_t hash;
    uint32_t host, seq; /* seq: order of creation, the tie-break */
};

static int by_hash(const void *a, const void *b)
{
    const struct build_entry *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void px_ring_build(struct px_ring *r, const struct px_hash_member *m, size_t n, uint64_t size_min,
                   uint64_t size_max)
{
    FL_ASSERT(r && m && n >= 1 && size_min >= 1 && size_max >= size_min);
    px_ring_free(r);
    double sum = 0, w_min = 1.0;
    for (size_t i = 0; i < n; i++) sum += m[i].weight;
    for (size_t i = 0; i < n; i++) w_min = fmin(w_min, m[i].weight / sum);
    double scale = fmin(ceil(w_min * (double)size_min) / w_min, (double)size_max);
    size_t cap = (size_t)ceil(scale) + n;
    struct build_entry *b = fl_calloc(cap, sizeof *b);
    double current = 0, target = 0;
    size_t k = 0;
    char key[PX_HASH_NAME_MAX + 32];
    for (size_t i = 0; i < n; i++) {
        target += scale * (m[i].weight / sum);
        for (uint64_t j = 0; current < target; j++, current += 1.0) {
            FL_ASSERT(k < cap);
            int len = snprintf(key, sizeof key, "%s_%llu", m[i].addr, (unsigned long long)j);
            FL_ASSERT(len > 0 && (size_t)len < sizeof key);
            b[k].hash = px_xxhash64(key, (size_t)len, 0);
            b[k].host = m[i].host;
            b[k].seq = (uint32_t)k;
            k++;
        }
    }
    FL_ASSERT(k <= cap);
    qsort(b, k, sizeof *b, by_hash);
    r->e = fl_calloc(k ? k : 1, sizeof *r->e);
    for (size_t i = 0; i < k; i++) r->e[i] = (struct px_ring_entry){b[i].hash, b[i].host};
    r->n = k;
    free(b);
}

uint32_t px_ring_find(const struct px_ring *r, uint64_t h, uint32_t attempt)
{
    FL_ASSERT(r && r->n > 0);
    size_t lo = 0, hi = r->n; /* the first entry with hash >= h is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->e[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t at = lo == r->n ? 0 : lo; /* past the last entry: wrap */
    FL_ASSERT(at < r->n && (lo == r->n || r->e[at].hash >= h));
    return r->e[(at + attempt) % r->n].host;
}

void px_ring_free(struct px_ring *r)
{
    free(r->e);
    r->e = NULL;
    r->n = 0;
}
