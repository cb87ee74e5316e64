/*
 * nameidx.h - an index from names to positions in an array the caller
 * owns (open addressing, linear probing, kept under half full), so that
 * "the row named X" costs one hash instead of a scan of every row.
 *
 * The index borrows the names: each must stay alive and unchanged while it
 * is in the index (the rows' own strdup'd names do). For lookups only: it
 * is never iterated, so its order cannot decide anything (docs/design.md,
 * Determinism).
 */
#ifndef FL_BASE_NAMEIDX_H
#define FL_BASE_NAMEIDX_H

#include <stddef.h>
#include <stdint.h>

struct fl_nameidx_slot {
    const char *name; /* NULL: empty */
    size_t pos;
};

struct fl_nameidx {
    struct fl_nameidx_slot *slots;
    size_t cap, len;
};

/* FNV-1a of a NUL-terminated text. */
uint64_t fl_text_hash(const char *s);

/* A zeroed struct is an empty index; free releases the table (not the names). */
void fl_nameidx_free(struct fl_nameidx *m);
/* The position of name, or -1. */
long fl_nameidx_get(const struct fl_nameidx *m, const char *name);
/* Adds name (borrowed, not in the index yet) at position pos. */
void fl_nameidx_put(struct fl_nameidx *m, const char *name, size_t pos);

#endif
