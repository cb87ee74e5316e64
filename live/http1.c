/*
 * http1.c - the HTTP/1.1 codec (see http1.h): http-parser's callbacks
 * assemble a px_msg; the writer puts one on the wire.
 *
 * http-parser hands URL, header names and values in pieces (a piece ends
 * where a read ended), so each is assembled in `tok` before it is copied
 * into the message. The parser is paused in on_message_complete, which
 * makes http_parser_execute return right after the message's last byte:
 * that is how pipelined messages come out one at a time.
 */
#include "live/http1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"

struct px_msg *live_msg_new(void)
{
    struct px_msg *m = fl_malloc(sizeof *m);
    px_msg_init(m);
    return m;
}

void live_msg_free(struct px_msg *m)
{
    if (!m) return;
    px_msg_clear(m);
    free(m);
}

const char *live_h1_strerror(int code)
{
    switch (code) {
    case LIVE_H1_OK: return "ok";
    case LIVE_H1_MESSAGE: return "a message";
    case LIVE_H1_EPARSE: return "malformed HTTP/1.1";
    case LIVE_H1_EHEADERS: return "too many header fields";
    case LIVE_H1_EHEADER_SIZE: return "request line and header fields too large";
    case LIVE_H1_EBODY_SIZE: return "body too large";
    case LIVE_H1_ETRUNCATED: return "the stream ended inside a message";
    case LIVE_H1_EUNSUPPORTED: return "CONNECT and protocol upgrades are not supported";
    default: return "unknown HTTP/1.1 error";
    }
}

int live_h1_error_status(int code)
{
    switch (code) {
    case LIVE_H1_EHEADERS:
    case LIVE_H1_EHEADER_SIZE: return 431; /* RFC 6585 section 5 */
    case LIVE_H1_EBODY_SIZE: return 413;
    case LIVE_H1_EUNSUPPORTED: return 501;
    default: return 400;
    }
}

/* ---------------------------------------------------------------- parsing */

static struct live_h1 *of(http_parser *p)
{
    return p->data;
}

/* Records the first error; returns -1 so callbacks can `return fail(...)`. */
static int fail(struct live_h1 *h, int code)
{
    if (!h->error) h->error = code;
    return -1;
}

static int count_header_bytes(struct live_h1 *h, size_t n)
{
    if (n > h->lim.header_bytes_max - h->header_bytes) return fail(h, LIVE_H1_EHEADER_SIZE);
    h->header_bytes += (uint32_t)n;
    return 0;
}

static int on_message_begin(http_parser *p)
{
    struct live_h1 *h = of(p);
    FL_ASSERT(!h->done);
    if (!h->msg) h->msg = live_msg_new();
    live_buf_reset(&h->tok);
    live_buf_reset(&h->body);
    h->name_len = 0;
    h->in_value = 0;
    h->headers_done = 0;
    h->header_bytes = 0;
    h->head_response = 0;
    h->host_seen = 0;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct live_h1 *h = of(p);
    if (count_header_bytes(h, len)) return -1;
    live_buf_append(&h->tok, at, len);
    return 0;
}

static int on_status(http_parser *p, const char *at, size_t len)
{
    (void)at;
    return count_header_bytes(of(p), len);
}

static const char *field_str(struct px_msg *m, const char *base, uint16_t off, uint16_t len)
{
    return px_msg_strdup(m, base + off, len);
}

/* The request target (RFC 9112 section 3.2): origin-form, absolute-form or "*". */
static int take_url(struct live_h1 *h)
{
    struct px_msg *m = h->msg;
    const char *url = live_buf_head(&h->tok);
    size_t len = live_buf_size(&h->tok);
    m->method = http_method_str((enum http_method)h->p.method);
    if (h->p.method == HTTP_CONNECT) return fail(h, LIVE_H1_EUNSUPPORTED);
    if (len > UINT16_MAX) return fail(h, LIVE_H1_EHEADER_SIZE);
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url, len, 0, &u)) return fail(h, LIVE_H1_EPARSE);
    if (u.field_set & (1u << UF_PATH))
        m->path = field_str(m, url, u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    else
        m->path = "/";
    if (u.field_set & (1u << UF_QUERY))
        m->query = field_str(m, url, u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
    if (u.field_set & (1u << UF_HOST)) {
        /* absolute-form: the target's authority wins over Host (RFC 9112 section 3.2.2) */
        uint16_t off = u.field_data[UF_HOST].off, n = u.field_data[UF_HOST].len;
        if (u.field_set & (1u << UF_PORT))
            n = (uint16_t)(u.field_data[UF_PORT].off + u.field_data[UF_PORT].len - off);
        m->authority = field_str(m, url, off, n);
    }
    live_buf_reset(&h->tok);
    return 0;
}

static int name_is(const char *name, size_t len, const char *what)
{
    return strlen(what) == len && !strncasecmp(name, what, len);
}

/* Adds the header assembled in tok to the message (framing headers are the codec's). */
static int take_header(struct live_h1 *h)
{
    struct px_msg *m = h->msg;
    const char *name = live_buf_head(&h->tok);
    size_t name_len = h->name_len, value_len = live_buf_size(&h->tok) - name_len;
    const char *value = name + name_len;
    while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')) value_len--;
    h->in_value = 0;
    if (h->headers_done) goto done; /* a trailer: dropped */
    if (h->kind == LIVE_H1_REQUEST && name_is(name, name_len, "host")) {
        /* RFC 9112 section 3.2: a request with two Host fields is answered 400 */
        if (h->host_seen) return fail(h, LIVE_H1_EPARSE);
        h->host_seen = 1;
        if (!m->authority) m->authority = px_msg_strdup(m, value, value_len);
        goto done;
    }
    if (name_is(name, name_len, "content-length") || name_is(name, name_len, "transfer-encoding"))
        goto done;
    {
        const char *n = px_msg_strdup(m, name, name_len);
        const char *v = px_msg_strdup(m, value, value_len);
        if (px_msg_add_header_static(m, n, v)) return fail(h, LIVE_H1_EHEADERS);
    }
done:
    live_buf_reset(&h->tok);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct live_h1 *h = of(p);
    if (count_header_bytes(h, len)) return -1;
    if (h->kind == LIVE_H1_REQUEST && !h->msg->method && take_url(h)) return -1;
    if (h->in_value && take_header(h)) return -1;
    live_buf_append(&h->tok, at, len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct live_h1 *h = of(p);
    if (count_header_bytes(h, len + 4)) return -1; /* ": " and CRLF */
    if (!h->in_value) {
        h->name_len = live_buf_size(&h->tok);
        h->in_value = 1;
    }
    live_buf_append(&h->tok, at, len);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct live_h1 *h = of(p);
    struct px_msg *m = h->msg;
    if (h->kind == LIVE_H1_REQUEST && !m->method && take_url(h)) return -1;
    if (h->in_value && take_header(h)) return -1;
    h->headers_done = 1;
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > h->lim.body_bytes_max)
        return fail(h, LIVE_H1_EBODY_SIZE);
    if (h->kind == LIVE_H1_REQUEST) return 0;
    m->status = p->status_code;
    if (m->status == 101) return fail(h, LIVE_H1_EUNSUPPORTED);
    if (m->status < 200) return 0; /* informational: the final response follows */
    if (h->n_expected) {
        h->head_response = (int)(h->expect_head & 1);
        h->expect_head >>= 1;
        h->n_expected--;
    }
    return h->head_response ? 1 : 0; /* 1: no body follows (the answer to a HEAD) */
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct live_h1 *h = of(p);
    if (len > h->lim.body_bytes_max - live_buf_size(&h->body)) return fail(h, LIVE_H1_EBODY_SIZE);
    live_buf_append(&h->body, at, len);
    return 0;
}

/*
 * Makes "close" the first token of the message's Connection field (the
 * proxy code reads the first value), keeping the other tokens (they name
 * hop-by-hop fields the writer must drop).
 */
static int mark_close(struct px_msg *m)
{
    const char *first = px_msg_header(m, "connection");
    if (first && !strcasecmp(first, "close")) return 0;
    struct live_buf all;
    live_buf_init(&all);
    live_buf_append_str(&all, "close");
    for (uint32_t i = 0; i < m->n_headers; i++) {
        if (strcasecmp(m->headers[i].name, "connection")) continue;
        live_buf_append_str(&all, ", ");
        live_buf_append_str(&all, m->headers[i].value);
    }
    px_msg_remove_header(m, "connection");
    const char *v = px_msg_strdup(m, live_buf_head(&all), live_buf_size(&all));
    live_buf_free(&all);
    return px_msg_add_header_static(m, "Connection", v);
}

static int on_message_complete(http_parser *p)
{
    struct live_h1 *h = of(p);
    struct px_msg *m = h->msg;
    if (h->kind == LIVE_H1_RESPONSE && m->status < 200) {
        px_msg_clear(m); /* a 1xx: forget it and go on to the final response */
        return 0;
    }
    size_t n = live_buf_size(&h->body);
    if (n) {
        m->body = (const uint8_t *)px_msg_strdup(m, live_buf_head(&h->body), n);
        m->body_bytes = n;
    }
    h->keep_alive = http_should_keep_alive(p);
    h->version = p->http_major == 1 && p->http_minor == 0 ? 10 : 11;
    if (!h->keep_alive && mark_close(m)) return fail(h, LIVE_H1_EHEADERS);
    h->done = 1;
    http_parser_pause(p, 1); /* one message at a time */
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void live_h1_init(struct live_h1 *h, enum live_h1_kind kind, const struct live_h1_limits *lim)
{
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->lim.header_bytes_max = lim ? lim->header_bytes_max : LIVE_H1_HEADER_BYTES_MAX;
    h->lim.body_bytes_max = lim ? lim->body_bytes_max : LIVE_H1_BODY_BYTES_MAX;
    http_parser_init(&h->p, kind == LIVE_H1_REQUEST ? HTTP_REQUEST : HTTP_RESPONSE);
    h->p.data = h;
    live_buf_init(&h->tok);
    live_buf_init(&h->body);
    h->keep_alive = 1;
    h->version = 11;
}

void live_h1_free(struct live_h1 *h)
{
    live_msg_free(h->msg);
    h->msg = NULL;
    live_buf_free(&h->tok);
    live_buf_free(&h->body);
}

static int map_errno(enum http_errno e)
{
    switch (e) {
    case HPE_HEADER_OVERFLOW: return LIVE_H1_EHEADER_SIZE;
    case HPE_INVALID_EOF_STATE: return LIVE_H1_ETRUNCATED;
    default: return LIVE_H1_EPARSE;
    }
}

/* Hands out the finished message and readies the parser for the next one. */
static int take_message(struct live_h1 *h, struct px_msg **msg_out)
{
    *msg_out = h->msg;
    h->msg = NULL;
    h->done = 0;
    live_buf_reset(&h->tok);
    if (live_buf_size(&h->body) > 64 * 1024) live_buf_free(&h->body); /* do not keep a big one */
    live_buf_reset(&h->body);
    if (h->p.upgrade) {
        /* an Upgrade we do not perform: the connection goes on in HTTP/1.1 */
        http_parser_init(&h->p, h->kind == LIVE_H1_REQUEST ? HTTP_REQUEST : HTTP_RESPONSE);
        h->p.data = h;
    }
    return LIVE_H1_MESSAGE;
}

int live_h1_parse(struct live_h1 *h, const char *data, size_t len, size_t *used,
                  struct px_msg **msg_out)
{
    *used = 0;
    *msg_out = NULL;
    if (h->error) return h->error;
    FL_ASSERT(!h->done && !h->ended);
    if (!len) return LIVE_H1_OK;
    size_t n = http_parser_execute(&h->p, &settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&h->p);
    if (h->error) return h->error;
    if (e == HPE_PAUSED)
        http_parser_pause(&h->p, 0);
    else if (e != HPE_OK)
        return fail(h, map_errno(e)), h->error;
    *used = n;
    if (h->done) return take_message(h, msg_out);
    if (n < len) return fail(h, LIVE_H1_EUNSUPPORTED), h->error; /* stopped for an upgrade */
    return LIVE_H1_OK;
}

int live_h1_finish(struct live_h1 *h, struct px_msg **msg_out)
{
    *msg_out = NULL;
    if (h->error) return h->error;
    FL_ASSERT(!h->done);
    if (h->ended) return LIVE_H1_OK;
    h->ended = 1;
    http_parser_execute(&h->p, &settings, NULL, 0);
    enum http_errno e = HTTP_PARSER_ERRNO(&h->p);
    if (h->error) return h->error;
    if (e == HPE_PAUSED) http_parser_pause(&h->p, 0);
    if (h->done) {
        h->keep_alive = 0;
        return take_message(h, msg_out);
    }
    if ((e != HPE_OK && e != HPE_PAUSED) || h->msg) return fail(h, LIVE_H1_ETRUNCATED), h->error;
    return LIVE_H1_OK;
}

void live_h1_expect(struct live_h1 *h, const char *method)
{
    FL_ASSERT(h->kind == LIVE_H1_RESPONSE);
    FL_ASSERT(h->n_expected < LIVE_H1_PIPELINE_MAX);
    if (method && !strcmp(method, "HEAD")) h->expect_head |= UINT64_C(1) << h->n_expected;
    h->n_expected++;
}

int live_h1_idle(const struct live_h1 *h)
{
    return !h->msg && !h->done;
}

/* ---------------------------------------------------------------- writing */

/* Whether `name` is one of the comma-separated tokens of list (any case). */
static int token_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *s = list;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',') s++;
        size_t t = strcspn(s, ", \t");
        if (t == n && !strncasecmp(s, name, n)) return 1;
        s += t;
    }
    return 0;
}

/* RFC 9110 section 7.6.1: hop-by-hop fields, and the framing the writer adds itself. */
static int hop_by_hop(const struct px_msg *m, const char *name)
{
    static const char *const fields[] = {"connection", "keep-alive",     "proxy-connection",
                                         "te",         "trailer",        "transfer-encoding",
                                         "upgrade",    "content-length", NULL};
    for (int i = 0; fields[i]; i++)
        if (!strcasecmp(name, fields[i])) return 1;
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (!strcasecmp(m->headers[i].name, "connection") &&
            token_listed(m->headers[i].value, name))
            return 1;
    return 0;
}

/* Appends s with CR, LF and NUL made spaces (no header injection through a value). */
static void append_field(struct live_buf *out, const char *s)
{
    size_t n = strlen(s);
    if (!strpbrk(s, "\r\n")) {
        live_buf_append(out, s, n);
        return;
    }
    char *p = live_buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) p[i] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
    live_buf_commit(out, n);
}

static void append_u64(struct live_buf *out, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    live_buf_append(out, num, (size_t)n);
}

static void write_start_line(struct live_buf *out, const struct px_msg *m)
{
    if (m->status > 0) {
        live_buf_append_str(out, "HTTP/1.1 ");
        append_u64(out, (uint64_t)m->status);
        live_buf_append_str(out, " ");
        live_buf_append_str(out, px_status_reason(m->status));
        live_buf_append_str(out, "\r\n");
        return;
    }
    append_field(out, m->method ? m->method : "GET");
    live_buf_append_str(out, " ");
    /* origin-form starts with '/' (RFC 9112 section 3.2.1): "x" after a stripped "/" is "/x" */
    const char *path = m->path ? m->path : "";
    if (path[0] != '/' && strcmp(path, "*")) live_buf_append_str(out, "/");
    append_field(out, path);
    if (m->query) {
        live_buf_append_str(out, "?");
        append_field(out, m->query);
    }
    live_buf_append_str(out, " HTTP/1.1\r\n");
    if (m->authority) {
        live_buf_append_str(out, "Host: ");
        append_field(out, m->authority);
        live_buf_append_str(out, "\r\n");
    }
}

/* Whether a request of this method says Content-Length even when empty (RFC 9110 8.6). */
static int method_has_content(const char *method)
{
    return method &&
           (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH"));
}

void live_h1_write(struct live_buf *out, const struct px_msg *m, unsigned flags)
{
    int response = m->status > 0;
    write_start_line(out, m);
    for (uint32_t i = 0; i < m->n_headers; i++) {
        const struct px_header *hd = &m->headers[i];
        if (hop_by_hop(m, hd->name)) continue;
        if (!response && m->authority && !strcasecmp(hd->name, "host")) continue;
        append_field(out, hd->name);
        live_buf_append_str(out, ": ");
        append_field(out, hd->value);
        live_buf_append_str(out, "\r\n");
    }
    if (flags & LIVE_H1_CLOSE)
        live_buf_append_str(out, "Connection: close\r\n");
    else if (flags & LIVE_H1_KEEP_ALIVE)
        live_buf_append_str(out, "Connection: keep-alive\r\n");
    /* RFC 9110 sections 6.4.1, 8.6: 1xx, 204 and 304 have no content and no length */
    int bodiless = response && (m->status < 200 || m->status == 204 || m->status == 304);
    if (!bodiless && (response || m->body_bytes || method_has_content(m->method))) {
        live_buf_append_str(out, "Content-Length: ");
        append_u64(out, m->body_bytes);
        live_buf_append_str(out, "\r\n");
    }
    live_buf_append_str(out, "\r\n");
    if (bodiless || (flags & LIVE_H1_NO_BODY) || !m->body_bytes) return;
    FL_ASSERT(m->body_bytes <= SIZE_MAX);
    if (m->body) {
        live_buf_append(out, m->body, (size_t)m->body_bytes);
    } else {
        memset(live_buf_reserve(out, (size_t)m->body_bytes), ' ', (size_t)m->body_bytes);
        live_buf_commit(out, (size_t)m->body_bytes);
    }
}
