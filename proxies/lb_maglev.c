/*
 * lb_maglev.c - Envoy's Maglev table (source/extensions/load_balancing_
 * policies/maglev/maglev_lb.cc, MaglevTable), after the Maglev paper
 * (Eisenbud et al., NSDI 2016, section 3.4).
 *
 * Build. Each host has a permutation of the table's slots: offset =
 * xxHash64(address, seed 0) % size, skip = xxHash64(address, seed 1) %
 * (size - 1) + 1, slot j of the permutation = (offset + skip x j) % size
 * (size prime, so every permutation visits every slot). Rounds go over the
 * hosts in order; in each round a host whose turn it is takes the next
 * free slot of its permutation. Weights: with weights normalized to sum 1
 * and w_max the largest, a host takes a slot in round `it` when it x w >=
 * its target, which then grows by w_max (its target starts at 0): the
 * heaviest host takes one every round, a host of half that weight one
 * every other round. With equal weights every host gets floor or ceil of
 * size / n slots.
 *
 * Lookup: slot h % size. For attempt > 0 (a retry host predicate rejected
 * the host) Envoy flips the hash: h ^= ~0 - attempt + 1.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/lb_hash.h"

#define EMPTY UINT32_MAX

struct build_entry {
    uint64_t offset, skip, next;
    double weight, target;
};

void px_maglev_build(struct px_maglev *t, const struct px_hash_member *m, size_t n, uint64_t size)
{
    FL_ASSERT(t && m && n >= 1 && px_is_prime(size) && size <= PX_MAGLEV_SIZE_MAX);
    px_maglev_free(t);
    struct build_entry *b = fl_calloc(n, sizeof *b);
    double sum = 0, w_max = 0;
    for (size_t i = 0; i < n; i++) sum += m[i].weight;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(m[i].addr);
        b[i].offset = px_xxhash64(m[i].addr, len, 0) % size;
        b[i].skip = px_xxhash64(m[i].addr, len, 1) % (size - 1) + 1;
        b[i].weight = m[i].weight / sum;
        if (b[i].weight > w_max) w_max = b[i].weight;
    }
    t->table = fl_calloc(size, sizeof *t->table);
    t->size = size;
    for (uint64_t s = 0; s < size; s++) t->table[s] = EMPTY;
    uint64_t filled = 0;
    for (uint64_t it = 0; filled < size; it++) {
        for (size_t i = 0; i < n && filled < size; i++) {
            if ((double)it * b[i].weight < b[i].target) continue;
            b[i].target += w_max;
            uint64_t c = (b[i].offset + b[i].skip * b[i].next) % size;
            while (t->table[c] != EMPTY) {
                b[i].next++;
                c = (b[i].offset + b[i].skip * b[i].next) % size;
            }
            t->table[c] = m[i].host;
            b[i].next++;
            filled++;
        }
    }
    /* every slot holds a host */
    FL_ASSERT(filled == size);
    free(b);
}

uint32_t px_maglev_find(const struct px_maglev *t, uint64_t h, uint32_t attempt)
{
    FL_ASSERT(t && t->size > 0);
    if (attempt > 0) h ^= ~UINT64_C(0) - attempt + 1;
    return t->table[h % t->size];
}

void px_maglev_free(struct px_maglev *t)
{
    free(t->table);
    t->table = NULL;
    t->size = 0;
}
