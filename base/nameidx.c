/*
 * nameidx.c - names to positions (see nameidx.h).
 */
#include "base/nameidx.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

uint64_t fl_text_hash(const char *s)
{
    FL_ASSERT(s);
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

void fl_nameidx_free(struct fl_nameidx *m)
{
    FL_ASSERT(m && m->len <= m->cap);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

long fl_nameidx_get(const struct fl_nameidx *m, const char *name)
{
    FL_ASSERT(m && name && m->len <= m->cap);
    if (!m->cap) return -1;
    size_t j = (size_t)fl_text_hash(name) & (m->cap - 1);
    for (; m->slots[j].name; j = (j + 1) & (m->cap - 1))
        if (!strcmp(m->slots[j].name, name)) return (long)m->slots[j].pos;
    return -1;
}

static void insert(struct fl_nameidx_slot *slots, size_t cap, const char *name, size_t pos)
{
    size_t j = (size_t)fl_text_hash(name) & (cap - 1);
    while (slots[j].name) j = (j + 1) & (cap - 1);
    slots[j].name = name;
    slots[j].pos = pos;
}

void fl_nameidx_put(struct fl_nameidx *m, const char *name, size_t pos)
{
    FL_ASSERT(m && name && fl_nameidx_get(m, name) < 0);
    if (2 * (m->len + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        struct fl_nameidx_slot *slots = fl_calloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].name) insert(slots, cap, m->slots[i].name, m->slots[i].pos);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    insert(m->slots, m->cap, name, pos);
    m->len++;
    FL_ASSERT(2 * m->len <= m->cap);
}
