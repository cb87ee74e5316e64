/*
 * buf.c - the byte buffer of the live runtime (see buf.h).
 */
#include "live/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

void live_buf_init(struct live_buf *b)
{
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}

void live_buf_free(struct live_buf *b)
{
    free(b->data);
    live_buf_init(b);
}

char *live_buf_reserve(struct live_buf *b, size_t n)
{
    if (b->cap - b->len >= n) return b->data + b->len;
    /* reclaim the consumed front before growing */
    if (b->off) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->cap - b->len >= n) return b->data + b->len;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        FL_ASSERT(cap <= SIZE_MAX / 2);
        cap *= 2;
    }
    b->data = fl_realloc(b->data, cap);
    b->cap = cap;
    return b->data + b->len;
}

void live_buf_commit(struct live_buf *b, size_t n)
{
    FL_ASSERT(n <= b->cap - b->len);
    b->len += n;
}

void live_buf_append(struct live_buf *b, const void *p, size_t n)
{
    if (!n) return;
    memcpy(live_buf_reserve(b, n), p, n);
    b->len += n;
}

void live_buf_append_str(struct live_buf *b, const char *s)
{
    live_buf_append(b, s, strlen(s));
}

void live_buf_consume(struct live_buf *b, size_t n)
{
    FL_ASSERT(n <= b->len - b->off);
    b->off += n;
    if (b->off == b->len) b->off = b->len = 0;
}

void live_buf_reset(struct live_buf *b)
{
    b->off = b->len = 0;
}
