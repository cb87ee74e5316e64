/*
 * http.c - the shared HTTP message (see http.h): headers, the string arena,
 * response flags, wire size.
 */
#include "proxies/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"

#define ARENA_CHUNK 1024

struct px_arena_chunk {
    struct px_arena_chunk *next;
    size_t used, size;
    char data[];
};

static const char *const flag_names[PX_FLAG_COUNT] = {
    "UH", "UF", "UO", "NR", "URX", "UT", "UC", "UR", "LR", "DI", "FI", "RL", "UAEX", "DC", "NC",
};

const char *px_flag_name(uint32_t flag)
{
    for (int i = 0; i < PX_FLAG_COUNT; i++)
        if (flag == 1u << i) return flag_names[i];
    return NULL;
}

const char *px_flags_format(uint32_t flags, char *buf, size_t size)
{
    FL_ASSERT(buf && size > 1);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < PX_FLAG_COUNT && used < size; i++)
        if (flags & (1u << i))
            used +=
                (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", flag_names[i]);
    if (!used) snprintf(buf, size, "-");
    return buf;
}

void px_msg_init(struct px_msg *m)
{
    /* every field but the inline header slots, which are only read below n_headers */
    m->method = m->authority = m->path = m->query = NULL;
    m->status = 0;
    m->flags = 0;
    m->headers = m->inline_headers;
    m->n_headers = 0;
    m->cap_headers = PX_HEADERS_INLINE;
    m->body_bytes = 0;
    m->body = NULL;
    m->arena = NULL;
    m->rtx_ns = 0;
}

void px_msg_clear(struct px_msg *m)
{
    FL_ASSERT(m->n_headers <= m->cap_headers);
    struct px_arena_chunk *c = m->arena;
    while (c) {
        struct px_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    if (m->headers != m->inline_headers) free(m->headers);
    px_msg_init(m);
}

/* px_msg_recycle of a message that owns an arena or a header array (out of line: see below). */
static __attribute__((noinline)) void recycle_owned(struct px_msg *m)
{
    struct px_arena_chunk *keep = NULL, *c = m->arena;
    while (c) {
        struct px_arena_chunk *next = c->next;
        if (!keep && c->size == ARENA_CHUNK)
            keep = c;
        else
            free(c);
        c = next;
    }
    struct px_header *headers = m->headers;
    uint32_t cap = m->cap_headers;
    px_msg_init(m);
    if (headers != m->inline_headers) {
        m->headers = headers;
        m->cap_headers = cap;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
        m->arena = keep;
    }
    FL_ASSERT(m->n_headers == 0 && (!m->arena || m->arena->used == 0));
}

void px_msg_recycle(struct px_msg *m)
{
    FL_ASSERT(m->n_headers <= m->cap_headers);
    /*
     * Nothing owned (a simulated message without strings or extra headers,
     * two per request in a plain mesh): nothing to keep, and no registers
     * to save for the loop over chunks.
     */
    if (!m->arena && m->headers == m->inline_headers) {
        px_msg_init(m);
        return;
    }
    recycle_owned(m);
}

/* n bytes of the message's arena (a new chunk when the last one lacks room). */
static char *arena_take(struct px_msg *m, size_t n)
{
    struct px_arena_chunk *c = m->arena;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = fl_malloc(sizeof *c + size);
        c->size = size;
        c->used = 0;
        c->next = m->arena;
        m->arena = c;
    }
    char *p = c->data + c->used;
    c->used += n;
    FL_ASSERT(c->used <= c->size);
    return p;
}

const char *px_msg_strdup(struct px_msg *m, const char *s, size_t len)
{
    FL_ASSERT(s || len == 0);
    char *p = arena_take(m, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *px_msg_alloc(struct px_msg *m, size_t n)
{
    FL_ASSERT(m && n > 0);
    return arena_take(m, n);
}

const char *px_msg_header(const struct px_msg *m, const char *name)
{
    FL_ASSERT(m->n_headers <= m->cap_headers);
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (strcasecmp(m->headers[i].name, name) == 0) return m->headers[i].value;
    return NULL;
}

/* Room for n headers in m's array (n <= PX_HEADERS_MAX). */
static void reserve_headers(struct px_msg *m, uint32_t n)
{
    FL_ASSERT(n <= PX_HEADERS_MAX && m->n_headers <= m->cap_headers);
    if (n <= m->cap_headers) return;
    uint32_t cap = m->cap_headers;
    while (cap < n) cap *= 2;
    struct px_header *h = fl_malloc(cap * sizeof *h);
    memcpy(h, m->headers, m->n_headers * sizeof *h);
    if (m->headers != m->inline_headers) free(m->headers);
    m->headers = h;
    m->cap_headers = cap;
}

int px_msg_add_header_static(struct px_msg *m, const char *name, const char *value)
{
    if (m->n_headers == PX_HEADERS_MAX) return -1;
    if (m->n_headers == m->cap_headers) reserve_headers(m, m->n_headers + 1);
    /* the slot written is within the array, inline or grown */
    FL_ASSERT(m->n_headers < m->cap_headers && m->cap_headers <= PX_HEADERS_MAX);
    m->headers[m->n_headers].name = name;
    m->headers[m->n_headers].value = value;
    m->n_headers++;
    return 0;
}

int px_msg_add_header(struct px_msg *m, const char *name, const char *value)
{
    return px_msg_add_header_static(m, px_msg_strdup(m, name, strlen(name)),
                                    px_msg_strdup(m, value, strlen(value)));
}

int px_msg_remove_header(struct px_msg *m, const char *name)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (strcasecmp(m->headers[i].name, name) != 0) m->headers[kept++] = m->headers[i];
    int removed = (int)(m->n_headers - kept);
    m->n_headers = kept;
    return removed;
}

int px_msg_set_header(struct px_msg *m, const char *name, const char *value)
{
    px_msg_remove_header(m, name);
    return px_msg_add_header(m, name, value);
}

/* Copies s (len bytes and a NUL) to *at, advancing it; NULL stays NULL. */
static const char *put_string(char **at, const char *s, size_t len)
{
    if (!s) return NULL;
    char *p = *at;
    memcpy(p, s, len);
    p[len] = '\0';
    *at = p + len + 1;
    return p;
}

/*
 * Every string of src is measured once and copied into one block of dst's
 * arena (a proxy copies each request and response it forwards: this is
 * per hop, twice per request).
 */
void px_msg_copy(struct px_msg *dst, const struct px_msg *src)
{
    FL_ASSERT(dst != src && dst->n_headers == 0 && src->n_headers <= PX_HEADERS_MAX);
    const char *line[4] = {src->method, src->authority, src->path, src->query};
    size_t line_len[4], total = 0;
    for (int i = 0; i < 4; i++) {
        line_len[i] = line[i] ? strlen(line[i]) : 0;
        total += line[i] ? line_len[i] + 1 : 0;
    }
    uint32_t n = src->n_headers;
    size_t lens[2 * PX_HEADERS_MAX];
    for (uint32_t i = 0; i < n; i++) {
        lens[2 * i] = strlen(src->headers[i].name);
        lens[2 * i + 1] = strlen(src->headers[i].value);
        total += lens[2 * i] + lens[2 * i + 1] + 2;
    }
    char *at = total ? arena_take(dst, total) : NULL, *start = at;
    dst->method = put_string(&at, line[0], line_len[0]);
    dst->authority = put_string(&at, line[1], line_len[1]);
    dst->path = put_string(&at, line[2], line_len[2]);
    dst->query = put_string(&at, line[3], line_len[3]);
    reserve_headers(dst, n);
    for (uint32_t i = 0; i < n; i++) {
        dst->headers[i].name = put_string(&at, src->headers[i].name, lens[2 * i]);
        dst->headers[i].value = put_string(&at, src->headers[i].value, lens[2 * i + 1]);
    }
    dst->n_headers = n;
    FL_ASSERT((size_t)(at - start) == total);
    dst->status = src->status;
    dst->flags = src->flags;
    dst->body_bytes = src->body_bytes;
    dst->body = src->body;
    dst->rtx_ns = src->rtx_ns;
}

uint64_t px_msg_wire_bytes(const struct px_msg *m)
{
    uint64_t n;
    if (m->status > 0) /* "HTTP/1.1 200 OK\r\n" */
        n = 13 + strlen(px_status_reason(m->status)) + 2;
    else /* "GET /path?query HTTP/1.1\r\nHost: authority\r\n" */
        n = (m->method ? strlen(m->method) : 3) + 1 + (m->path ? strlen(m->path) : 1) +
            (m->query ? 1 + strlen(m->query) : 0) + 11 +
            (m->authority ? 8 + strlen(m->authority) : 0);
    for (uint32_t i = 0; i < m->n_headers; i++)
        n += strlen(m->headers[i].name) + 2 + strlen(m->headers[i].value) + 2;
    n += 18 + 20 + 2; /* "Content-Length: N\r\n" and the blank line */
    return n + m->body_bytes;
}

const char *px_status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}
