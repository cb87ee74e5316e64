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

/*
 * An arena: objects that live as long as it does, carved in order from 2 MiB
 * chunks that the kernel is asked to back with a huge page (a hint), and
 * freed all at once. For what a large simulated world holds per proxy: its
 * objects are cold at each request, a huge page's TLB entry covers 512
 * small pages' worth of them, and freeing them walks nothing. Not for
 * objects freed one by one (their room is not reused).
 */
struct fl_arena {
    char *next;    /* the current chunk's free room */
    size_t left;   /* bytes of it */
    void **chunks; /* every chunk, for fl_arena_free */
    size_t n_chunks, cap_chunks;
};

/* An empty arena (all zero is one too). */
void fl_arena_init(struct fl_arena *a);
/* size bytes, zeroed, aligned to 16 (to 64 from 64 bytes on: cache lines); never NULL. */
void *fl_arena_alloc(struct fl_arena *a, size_t size);
/* Frees every object of the arena at once; it is empty again. */
void fl_arena_free(struct fl_arena *a);

#define FL_GROW(arr, cap, need) fl_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
