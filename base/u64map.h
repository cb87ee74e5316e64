/*
 * u64map.h - a map from 64-bit keys to pointers (open addressing, linear
 * probing, power-of-two table kept under half full).
 *
 * For lookups only: nothing in faultline may let the order of a hash table
 * decide behaviour (docs/design.md, Determinism), so there is no iteration in key
 * order; fl_u64map_each visits in table order and is for freeing values.
 * Key 0 is reserved (callers key by id + 1 or by packed ids, never 0).
 */
#ifndef FL_BASE_U64MAP_H
#define FL_BASE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

/* A key and its value side by side: a lookup's probe reads one cache line, not two. */
struct fl_u64map_slot {
    uint64_t key; /* 0: empty */
    void *val;
};

struct fl_u64map {
    struct fl_u64map_slot *slots;
    size_t cap, len;
};

void fl_u64map_init(struct fl_u64map *m);
void fl_u64map_free(struct fl_u64map *m);
/* The value of key, or NULL. */
void *fl_u64map_get(const struct fl_u64map *m, uint64_t key);
/* Sets key (!= 0) to val (!= NULL), replacing any value. */
void fl_u64map_put(struct fl_u64map *m, uint64_t key, void *val);
/* Calls fn on every value (in table order: for releasing them only). */
void fl_u64map_each(struct fl_u64map *m, void (*fn)(void *val, void *arg), void *arg);

#endif
