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

/*
 * Zeroes n bytes with the C library's memset. A pooled record reused per
 * request (a job, a request, a connection: a few hundred bytes) is cleared
 * through here because the compiler's inline expansion of memset with a
 * constant size is a `rep stos`, whose start-up costs more than the
 * library's vector stores at that size (it was ~4% of an M/M/1 run).
 */
void fl_zero(void *p, size_t n);

#define FL_GROW(arr, cap, need) fl_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
