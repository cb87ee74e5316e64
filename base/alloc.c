/*
 * alloc.c - allocation wrappers that abort on failure (see alloc.h).
 */
#include "base/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
