/*
 * u64map.c - open-addressing map from 64-bit keys to pointers (see u64map.h).
 */
#include "base/u64map.h"

#include <stdlib.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/rng.h"

void fl_u64map_init(struct fl_u64map *m)
{
    FL_ASSERT(m);
    m->cap = 0;
    m->len = 0;
    m->slots = NULL;
}

void fl_u64map_free(struct fl_u64map *m)
{
    free(m->slots);
    fl_u64map_init(m);
}

static inline size_t slot_of(uint64_t key, size_t cap)
{
    FL_ASSERT(cap && !(cap & (cap - 1))); /* a power of two: the mask is a modulo */
    uint64_t x = key;
    return (size_t)(fl_splitmix64(&x) & (cap - 1));
}

void *fl_u64map_get(const struct fl_u64map *m, uint64_t key)
{
    if (!m->cap) return NULL;
    FL_ASSERT(m->len < m->cap); /* an empty slot ends every probe */
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key) return m->slots[i].val;
        if (m->slots[i].key == 0) return NULL;
    }
}

static void insert(struct fl_u64map_slot *slots, size_t cap, uint64_t key, void *val)
{
    FL_ASSERT(slots && key != 0);
    size_t i = slot_of(key, cap);
    while (slots[i].key != 0 && slots[i].key != key) i = (i + 1) & (cap - 1);
    slots[i].key = key;
    slots[i].val = val;
}

void fl_u64map_put(struct fl_u64map *m, uint64_t key, void *val)
{
    FL_ASSERT(key != 0 && val != NULL);
    if (2 * (m->len + 1) > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct fl_u64map_slot *slots = fl_calloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key) insert(slots, cap, m->slots[i].key, m->slots[i].val);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    FL_ASSERT(2 * (m->len + 1) <= m->cap);
    if (!fl_u64map_get(m, key)) m->len++;
    insert(m->slots, m->cap, key, val);
    FL_ASSERT(m->len <= m->cap / 2);
}

void fl_u64map_each(struct fl_u64map *m, void (*fn)(void *val, void *arg), void *arg)
{
    FL_ASSERT(m && fn && (m->slots || !m->cap));
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) fn(m->slots[i].val, arg);
}
