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
    m->keys = NULL;
    m->vals = NULL;
}

void fl_u64map_free(struct fl_u64map *m)
{
    free(m->keys);
    free(m->vals);
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
        if (m->keys[i] == key) return m->vals[i];
        if (m->keys[i] == 0) return NULL;
    }
}

static void insert(uint64_t *keys, void **vals, size_t cap, uint64_t key, void *val)
{
    FL_ASSERT(keys && vals && key != 0);
    size_t i = slot_of(key, cap);
    while (keys[i] != 0 && keys[i] != key) i = (i + 1) & (cap - 1);
    keys[i] = key;
    vals[i] = val;
}

void fl_u64map_put(struct fl_u64map *m, uint64_t key, void *val)
{
    FL_ASSERT(key != 0 && val != NULL);
    if (2 * (m->len + 1) > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint64_t *keys = fl_calloc(cap, sizeof *keys);
        void **vals = fl_calloc(cap, sizeof *vals);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) insert(keys, vals, cap, m->keys[i], m->vals[i]);
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    FL_ASSERT(2 * (m->len + 1) <= m->cap);
    if (!fl_u64map_get(m, key)) m->len++;
    insert(m->keys, m->vals, m->cap, key, val);
    FL_ASSERT(m->len <= m->cap / 2);
}

void fl_u64map_each(struct fl_u64map *m, void (*fn)(void *val, void *arg), void *arg)
{
    FL_ASSERT(m && fn && (m->keys || !m->cap));
    for (size_t i = 0; i < m->cap; i++)

        if (m->keys[i]) fn(m->vals[i], arg);
}
