/*
 * alloc.c - allocation wrappers that abort on failure (see alloc.h).
 */
#include "base/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/assert.h"

static _Noreturn void oom(size_t size)
{
    fprintf(stderr, "faultline: out of memory allocating %zu bytes\n", size);
    abort();
}

void *fl_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    return p;
}

void *fl_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *fl_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p) oom(size);
    return p;
}

void fl_grow(void **ptr, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap) return;
    size_t n = *cap ? *cap : 8;
    while (n < need) n *= 2;
    *ptr = fl_realloc(*ptr, n * elem_size);
    *cap = n;
}

char *fl_strdup(const char *s)
{
    return fl_strndup(s, strlen(s));
}

char *fl_strndup(const char *s, size_t n)
{
    char *p = fl_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *fl_asprintf(const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) oom(0);
    if ((size_t)n < sizeof small) return fl_strndup(small, (size_t)n);
    char *p = fl_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void fl_zero(void *p, size_t n)
{
    FL_ASSERT(p || n == 0);
    memset(p, 0, n); /* n is not a constant here: the library's memset */
}

/* ---------------------------------------------------------------- arenas */

#define ARENA_CHUNK ((size_t)2 << 20)

void fl_arena_init(struct fl_arena *a)
{
    FL_ASSERT(a);
    memset(a, 0, sizeof *a);
}

/* A new chunk of at least bytes (a multiple of the chunk size), not zeroed. */
static void *arena_chunk(size_t bytes)
{
    size_t len = (bytes + ARENA_CHUNK - 1) / ARENA_CHUNK * ARENA_CHUNK;
    void *p = aligned_alloc(ARENA_CHUNK, len);
    if (!p) return fl_malloc(len); /* alignment refused: plain pages will do */
#ifdef MADV_HUGEPAGE
    (void)madvise(p, len, MADV_HUGEPAGE); /* a hint: refused, it changes nothing */
#endif
    return p;
}

void *fl_arena_alloc(struct fl_arena *a, size_t size)
{
    FL_ASSERT(a && size <= SIZE_MAX / 2);
    size_t align = size >= 64 ? 64 : 16;
    size_t pad = (size_t)(-(uintptr_t)a->next & (align - 1));
    if (!a->next || pad + size > a->left) {
        int large = size > ARENA_CHUNK / 4; /* a chunk of its own, the current one kept */
        char *c = arena_chunk(large ? size : ARENA_CHUNK);
        FL_GROW(a->chunks, a->cap_chunks, a->n_chunks + 1);
        a->chunks[a->n_chunks++] = c;
        if (large) return memset(c, 0, size);
        a->next = c;
        a->left = ARENA_CHUNK;
        pad = (size_t)(-(uintptr_t)c & (align - 1)); /* 0 unless aligned_alloc was refused */
        FL_ASSERT(pad + size <= a->left);
    }
    char *p = a->next + pad;
    a->next += pad + size;
    a->left -= pad + size;
    FL_ASSERT(((uintptr_t)p & (align - 1)) == 0);
    return memset(p, 0, size); /* zeroed as it is handed out: the chunk's lines once each */
}

void fl_arena_free(struct fl_arena *a)
{
    FL_ASSERT(a && (a->chunks || !a->n_chunks));
    for (size_t i = 0; i < a->n_chunks; i++) free(a->chunks[i]);
    free(a->chunks);
    memset(a, 0, sizeof *a);
}
