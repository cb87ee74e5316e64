/*
 * alloc.h - allocation that never returns NULL.
 *
 * Allocation failure is not an error faultline can recover from in a useful
 * way: these wrappers print a message and abort, so callers never check.
 * Hot paths do not call them per event; they keep free lists (see the
 * kernel's event pool).
 */
#ifndef FL_BASE_ALLOC_H
#define FL_BASE_ALLOC_H

#include <stddef.h>

void *fl_malloc(size_t size);
void *fl_calloc(size_t count, size_t size);
void *fl_realloc(void *ptr, size_t size);
/* Grows *ptr (an array of *cap elements of elem_size) to hold at least need elements. */
void fl_grow(void **ptr, size_t *cap, size_t need, size_t elem_size);
char *fl_strdup(const char *s);
char *fl_strndup(const char *s, size_t n);
/* printf into a new string. */
char *fl_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define FL_GROW(arr, cap, need) fl_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
