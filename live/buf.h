/*
 * buf.h - a growable byte buffer with a read offset: bytes are appended at
 * the end and consumed from the front, as a socket's input and output
 * queues need. Consumed space is reclaimed by moving the rest to the front
 * when the buffer would otherwise grow, so a long-lived connection keeps
 * one allocation of the size of its largest burst.
 *
 * Not here: any I/O (live/rt_conn.c reads into and writes from these).
 */
#ifndef FL_LIVE_BUF_H
#define FL_LIVE_BUF_H

#include <stddef.h>

struct live_buf {
    char *data;
    size_t off; /* first byte not yet consumed */
    size_t len; /* end of the bytes held */
    size_t cap;
};

void live_buf_init(struct live_buf *b);
void live_buf_free(struct live_buf *b);

/* The bytes held and not yet consumed. */
static inline const char *live_buf_head(const struct live_buf *b)
{
    return b->data + b->off;
}

static inline size_t live_buf_size(const struct live_buf *b)
{
    return b->len - b->off;
}

/* Makes room for at least n more bytes; returns where they go (commit with live_buf_commit). */
char *live_buf_reserve(struct live_buf *b, size_t n);

/* Counts n bytes written at live_buf_reserve's pointer as held. */
void live_buf_commit(struct live_buf *b, size_t n);

void live_buf_append(struct live_buf *b, const void *p, size_t n);
void live_buf_append_str(struct live_buf *b, const char *s);

/* Drops n bytes from the front (n <= live_buf_size). */
void live_buf_consume(struct live_buf *b, size_t n);

/* Drops everything (keeps the allocation). */
void live_buf_reset(struct live_buf *b);

#endif
