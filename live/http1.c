/*
 * http1.c - the HTTP/1.1 codec (see http1.h): http-parser's callbacks
 * assemble a px_msg; the writer puts one on the wire.
 *
 * http-parser hands URL, header names and values in pieces (a piece ends
 * where a read ended), so each is assembled in `tok` before it is copied
 * into the message. The parser is paused in on_message_complete, which
 * makes http_parser_execute return right after the message's last byte:
 * that is how pipelined messages come out one at a time.
 *
 * What http-parser lets through and RFC 9112 does not (http1.h lists it)
 * is refused here: the callbacks check the version, Host and
 * Transfer-Encoding, and scan_line reads the raw bytes of each head for
 * what the callbacks do not show: whitespace in field names and folded
 * lines (http-parser hands "Name " as a name, and a folded line as one
 * more piece of the value, like a piece cut by a read), bare CRs, and the
 * sizes of the target and the head, counted by position.
 *
 * A head goes to http-parser line by line (execute), and what each line
 * held is checked at its LF (line_done): http-parser tells a field when
 * the next one starts, or at the end of the bytes it was given, and a
 * check made there would make the error depend on how the stream was cut
 * (fuzz/http1.c holds the codec to "any split gives the same messages",
 * the final error included). Errors thus come in stream order.
 *
 * Not here: anything that needs a clock (the runtime's deadlines); the
 * writer's reason phrases are px_status_reason's but for the codec's own
 * refusals (414, 431, 505).
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
    case LIVE_H1_EURI_SIZE: return "request target too long";
    case LIVE_H1_EVERSION: return "HTTP version not supported (HTTP/1.0 and HTTP/1.1 are)";
    case LIVE_H1_EHOST: return "missing, repeated or invalid Host";
    case LIVE_H1_EFIELD: return "whitespace in a header field name, or a folded header line";
    case LIVE_H1_EFRAMING: return "invalid or conflicting Content-Length or Transfer-Encoding";
    case LIVE_H1_ECODING: return "transfer coding not supported (only chunked is)";
    default: return "unknown HTTP/1.1 error";
    }
}

int live_h1_error_status(int code)
{
    FL_ASSERT(code < 0); /* an error, not LIVE_H1_OK or LIVE_H1_MESSAGE */
    switch (code) {
    case LIVE_H1_EHEADERS:
    case LIVE_H1_EHEADER_SIZE: return 431; /* RFC 6585 section 5 */
    case LIVE_H1_EBODY_SIZE: return 413;
    case LIVE_H1_EURI_SIZE: return 414; /* RFC 9112 section 3 */
    case LIVE_H1_EUNSUPPORTED:
    case LIVE_H1_ECODING: return 501; /* RFC 9112 section 6.1 */
    case LIVE_H1_EVERSION: return 505;
    default: return 400;
    }
}

/* ---------------------------------------------------------------- parsing */

/* Where scan_line is in the raw bytes of a head. */
enum {
    SCAN_START,   /* before the start line (empty lines are skipped) */
    SCAN_METHOD,  /* a request's method */
    SCAN_TARGET,  /* its target */
    SCAN_LINE1,   /* the rest of the start line */
    SCAN_BOL,     /* at the start of a field line */
    SCAN_CR,      /* after a CR at the start of a line */
    SCAN_NAME,    /* in a field name */
    SCAN_NAME_WS, /* a response: whitespace after a field name, before its colon */
    SCAN_VALUE,   /* in a field value */
    SCAN_DONE,    /* the head is over */
};

static struct live_h1 *of(http_parser *p)
{
    return p->data;
}

/* A new head begins: scan_line starts over. */
static void scan_restart(struct live_h1 *h)
{
    h->scan = SCAN_START;
    h->scan_cr = 0;
    h->head_bytes = 0;
    h->target_bytes = 0;
    h->line_end_len = 0;
}

/* Records the first error; returns -1 so callbacks can `return fail(...)`. */
static int fail(struct live_h1 *h, int code)
{
    if (!h->error) h->error = code;
    return -1;
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
    h->head_response = 0;
    h->host_seen = 0;
    h->te_seen = 0;
    return 0;
}

/* (The sizes of the target and the head are scan_line's: by position in the stream.) */
static int on_url(http_parser *p, const char *at, size_t len)
{
    FL_ASSERT(of(p)->kind == LIVE_H1_REQUEST);
    live_buf_append(&of(p)->tok, at, len);
    return 0;
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
    FL_ASSERT(h->kind == LIVE_H1_REQUEST);
    /* the start line is whole here: RFC 9110 section 15.6.6, 505 for a major version we lack */
    if (h->p.http_major != 1 || h->p.http_minor > 1) return fail(h, LIVE_H1_EVERSION);
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

/* RFC 9112 section 3.2 (RFC 3986 section 3.2.2): uri-host [":" port], or empty. */
static int host_valid(const char *v, size_t n)
{
    static const char extra[] = "-._~%!$&'()*+,;=:[]";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              memchr(extra, ch, sizeof extra - 1)))
            return 0;
    }
    return 1;
}

/*
 * A request's Transfer-Encoding (RFC 9112 section 6): 0 when it is
 * "chunked"; 400 (LIVE_H1_EFRAMING) when chunked is not the final coding
 * (section 6.3: the length cannot be known) or comes twice (section 6.1:
 * never applied more than once); 501 (LIVE_H1_ECODING) for any coding
 * besides it, as the body would reach the upstream still encoded and no
 * longer labelled so (section 6.1: 501 for a coding not understood).
 */
static int check_transfer_encoding(const char *v, size_t n)
{
    FL_ASSERT(v || !n);
    size_t i = 0, codings = 0, chunked = 0;
    int last_chunked = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && v[i] != ',') i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t')) end--;
        codings++;
        last_chunked = end - start == 7 && !strncasecmp(v + start, "chunked", 7);
        chunked += (size_t)last_chunked;
    }
    if (!last_chunked || chunked > 1) return LIVE_H1_EFRAMING;
    return codings > 1 ? LIVE_H1_ECODING : 0;
}

/* The checks of a request's Host and Transfer-Encoding (http1.h); 0 or a LIVE_H1_E* code. */
static int check_request_field(struct live_h1 *h, const char *name, size_t name_len,
                               const char *value, size_t value_len)
{
    FL_ASSERT(h->kind == LIVE_H1_REQUEST);
    if (h->p.http_major != 1) return LIVE_H1_EVERSION; /* take_url refused it already */
    if (name_is(name, name_len, "host")) {
        /* RFC 9112 section 3.2: two Host fields, or an invalid one, are answered 400 */
        if (h->host_seen || !host_valid(value, value_len)) return LIVE_H1_EHOST;
        h->host_seen = 1;
        return 0;
    }
    if (!name_is(name, name_len, "transfer-encoding")) return 0;
    /* RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; nginx: 400 */
    if (h->te_seen || h->p.http_minor == 0) return LIVE_H1_EFRAMING;
    h->te_seen = 1;
    return check_transfer_encoding(value, value_len);
}

/* Adds the header assembled in tok to the message (framing headers are the codec's). */
static int take_header(struct live_h1 *h)
{
    struct px_msg *m = h->msg;
    const char *name = live_buf_head(&h->tok);
    FL_ASSERT(h->in_value && h->name_len <= live_buf_size(&h->tok));
    size_t name_len = h->name_len, value_len = live_buf_size(&h->tok) - name_len;
    const char *value = name + name_len;
    while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')) value_len--;
    h->in_value = 0;
    if (h->headers_done) goto done; /* a trailer: dropped */
    if (h->kind == LIVE_H1_RESPONSE) {
        /* RFC 9112 section 5.1: a proxy removes whitespace before the colon of a response */
        while (name_len && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t')) name_len--;
        while (name_len && (name[0] == ' ' || name[0] == '\t')) name++, name_len--;
        if (!name_len) return fail(h, LIVE_H1_EPARSE);
    } else {
        int rc = check_request_field(h, name, name_len, value, value_len);
        if (rc) return fail(h, rc);
    }
    if (h->kind == LIVE_H1_REQUEST && name_is(name, name_len, "host")) {
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
    if (h->kind == LIVE_H1_REQUEST && !h->msg->method && take_url(h)) return -1;
    if (h->in_value && take_header(h)) return -1;
    live_buf_append(&h->tok, at, len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct live_h1 *h = of(p);
    if (!len && !h->in_value && !live_buf_size(&h->tok)) return 0; /* line_done took it */
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
    /* RFC 9112 section 3.2: an HTTP/1.1 request without Host is answered 400 */
    if (h->kind == LIVE_H1_REQUEST && p->http_minor == 1 && !h->host_seen)
        return fail(h, LIVE_H1_EHOST);
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
    FL_ASSERT(h->headers_done && h->msg);
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
        scan_restart(h); /* whose head is read as any other, from the next byte: */
        h->headers_done = 0;
        http_parser_pause(p, 1);
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
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void live_h1_init(struct live_h1 *h, enum live_h1_kind kind, const struct live_h1_limits *lim)
{
    FL_ASSERT(kind == LIVE_H1_REQUEST || kind == LIVE_H1_RESPONSE);
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->lim.uri_bytes_max = lim && lim->uri_bytes_max ? lim->uri_bytes_max : LIVE_H1_URI_BYTES_MAX;
    h->lim.header_bytes_max =
        lim && lim->header_bytes_max ? lim->header_bytes_max : LIVE_H1_HEADER_BYTES_MAX;
    h->lim.body_bytes_max =
        lim && lim->body_bytes_max ? lim->body_bytes_max : LIVE_H1_BODY_BYTES_MAX;
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
    /* RFC 9112 section 6.3: framing that cannot be trusted is a 400 */
    case HPE_INVALID_CONTENT_LENGTH:
    case HPE_UNEXPECTED_CONTENT_LENGTH:
    case HPE_INVALID_CHUNK_SIZE:
    case HPE_INVALID_TRANSFER_ENCODING: return LIVE_H1_EFRAMING;
    default: return LIVE_H1_EPARSE;
    }
}

/*
 * A request line's end: what follows the target must be exactly
 * "HTTP/1.0" or "HTTP/1.1" (RFC 9112 section 2.3: HTTP-version is
 * "HTTP/" DIGIT "." DIGIT, case-sensitive). Another well-formed version
 * is answered 505 (RFC 9110 section 15.6.6), anything else 400. This is
 * checked here, on the raw bytes, because http-parser's lenient mode
 * takes any four bytes after the H for "TTP/", an LF among them, and the
 * line it would read would not be the line scan_line read.
 * Returns 0 or a LIVE_H1_E* code.
 */
static int check_version(const struct live_h1 *h)
{
    FL_ASSERT(h->kind == LIVE_H1_REQUEST && h->scan == SCAN_LINE1);
    const char *v = h->line_end;
    size_t n = h->line_end_len;
    if (n > sizeof h->line_end) return LIVE_H1_EPARSE;
    if (n && v[n - 1] == '\r') n--;
    if (n != 8 || memcmp(v, "HTTP/", 5) || v[6] != '.') return LIVE_H1_EPARSE;
    if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return LIVE_H1_EPARSE;
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return LIVE_H1_EVERSION;
    return 0;
}

/*
 * Reads the raw bytes of a head, up to and including the LF that ends its
 * current line, for what http-parser's callbacks cannot show (see the
 * top). Each byte of the start line and header fields counts toward
 * header_bytes_max, each byte of a request's target toward uri_bytes_max:
 * by position in the stream, so that the first limit passed is the same
 * however the stream is cut. In a request, whitespace in a field name or
 * before its colon is refused (RFC 9112 section 5.1: a server MUST answer
 * 400; "Transfer-Encoding : chunked" is a smuggling classic), and so is a
 * field line starting with whitespace (section 5.2: obs-fold, which a
 * server MUST reject with 400 or unfold; we reject, as nginx does). In a
 * response, whitespace before the colon is let through (take_header
 * removes it, as section 5.1 asks of a proxy), inside a name or folding a
 * line it is not (section 5.2 lets a proxy replace such an answer with a
 * 502). A CR not followed by LF is refused in both (RFC 9112 section 2.2
 * lets a recipient take it as invalid): where http-parser takes CR and
 * any byte for a line's end, the two would not agree on the lines.
 * Returns how many bytes to hand http-parser: up to the line's end (*eol
 * set), up to the first byte refused (*code set), or all n.
 */
static size_t scan_line(struct live_h1 *h, const char *p, size_t n, int *code, int *eol)
{
    FL_ASSERT(h->scan != SCAN_DONE && n > 0);
    int req = h->kind == LIVE_H1_REQUEST;
    *code = 0;
    *eol = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (h->scan_cr && ch != '\n') { /* RFC 9112 section 2.2: a bare CR is invalid */
            *code = LIVE_H1_EPARSE;
            return i;
        }
        h->scan_cr = ch == '\r';
        if (h->scan == SCAN_START) {
            if (ch == '\r' || ch == '\n') continue; /* RFC 9112 section 2.2: empty lines first */
            h->scan = req ? SCAN_METHOD : SCAN_LINE1;
        }
        if (h->head_bytes >= h->lim.header_bytes_max) {
            *code = LIVE_H1_EHEADER_SIZE;
            return i;
        }
        h->head_bytes++;
        switch (h->scan) {
        case SCAN_METHOD:
            if (ch == ' ') h->scan = SCAN_TARGET;
            break;
        case SCAN_TARGET:
            if (ch == ' ') {
                h->scan = SCAN_LINE1;
            } else if (ch != '\r' && ch != '\n' && ++h->target_bytes > h->lim.uri_bytes_max) {
                *code = LIVE_H1_EURI_SIZE; /* RFC 9112 section 3: 414 */
                return i;
            }
            break;
        case SCAN_BOL:
            if (ch == ' ' || ch == '\t') {
                *code = LIVE_H1_EFIELD;
                return i;
            }
            if (ch == '\n') { /* the empty line: the head is over */
                h->scan = SCAN_DONE;
                *eol = 1;
                return i + 1;
            }
            h->scan = ch == '\r' ? SCAN_CR : ch == ':' ? SCAN_VALUE : SCAN_NAME;
            continue;
        case SCAN_CR: /* CRLF: the head is over */
            h->scan = SCAN_DONE;
            *eol = 1;
            return i + 1;
        case SCAN_NAME:
            if (ch == ' ' || ch == '\t') {
                if (!req) { /* a proxy removes it from a response (RFC 9112 section 5.1) */
                    h->scan = SCAN_NAME_WS;
                    continue;
                }
                *code = LIVE_H1_EFIELD;
                return i;
            }
            if (ch == ':') h->scan = SCAN_VALUE;
            break;
        case SCAN_NAME_WS:
            if (ch == ':') {
                h->scan = SCAN_VALUE;
            } else if (ch != ' ' && ch != '\t') { /* whitespace inside a name */
                *code = LIVE_H1_EFIELD;
                return i;
            }
            continue;
        case SCAN_LINE1:
            if (!req) break;
            if (ch == '\n') {
                int rc = check_version(h);
                if (rc) {
                    *code = rc;
                    return i;
                }
            } else if (h->line_end_len <= sizeof h->line_end) {
                if (h->line_end_len < sizeof h->line_end) h->line_end[h->line_end_len] = ch;
                h->line_end_len++;
            }
            break;
        default: break; /* a value */
        }
        if (ch == '\n') { /* any line but the empty one ends here */
            h->scan = SCAN_BOL;
            *eol = 1;
            return i + 1;
        }
    }
    return n;
}

/*
 * A line of the head was handed to http-parser whole: what it held is
 * checked now, at its LF, rather than when the next field starts (which
 * http-parser tells at a place that depends on the reads), so that errors
 * come in stream order however the stream is cut. Then scan_line and
 * http-parser must agree on whether the head is over. Returns 0 or -1.
 */
static int line_done(struct live_h1 *h)
{
    FL_ASSERT(!h->error);
    if (!h->msg || h->done) return 0; /* a 1xx ended, or the message did */
    if (h->kind == LIVE_H1_REQUEST && !h->msg->method && live_buf_size(&h->tok) && take_url(h))
        return -1;
    if (!h->in_value && live_buf_size(&h->tok) && !h->headers_done) {
        /* a field with an empty value: http-parser tells it at the next line's first byte */
        h->name_len = live_buf_size(&h->tok);
        h->in_value = 1;
    }
    if (h->in_value && !h->headers_done && take_header(h)) return -1;
    if (h->headers_done && h->scan != SCAN_DONE) h->scan = SCAN_DONE;
    if (h->scan == SCAN_DONE && !h->headers_done) return fail(h, LIVE_H1_EPARSE);
    return 0;
}

/*
 * Hands data[0..len) to http-parser: a head line by line (scan_line),
 * the rest at once, stopping at the end of a message (where the parser
 * pauses). Returns the bytes used, with h->error or h->done set, or
 * neither when all were used.
 */
static size_t execute(struct live_h1 *h, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len && !h->error && !h->done) {
        int code = 0, eol = 0;
        size_t take = len - off;
        if (h->scan != SCAN_DONE) take = scan_line(h, data + off, take, &code, &eol);
        /* (a length 0 would tell http-parser the stream ended) */
        size_t n = take ? http_parser_execute(&h->p, &settings, data + off, take) : 0;
        FL_ASSERT(n <= take);
        off += n;
        enum http_errno e = HTTP_PARSER_ERRNO(&h->p);
        if (h->error) break;
        if (e == HPE_PAUSED) {
            http_parser_pause(&h->p, 0);
        } else if (e != HPE_OK) {
            fail(h, map_errno(e));
            break;
        }
        if (h->done) break;
        if (e == HPE_PAUSED) continue; /* a 1xx ended: scan_line reads the next head */
        if (n < take) {
            fail(h, LIVE_H1_EUNSUPPORTED); /* stopped for an upgrade */
            break;
        }
        if (code) {
            fail(h, code);
            break;
        }
        if (eol && line_done(h)) break;
    }
    return off;
}

/* Hands out the finished message and readies the parser for the next one. */
static int take_message(struct live_h1 *h, struct px_msg **msg_out)
{
    FL_ASSERT(h->done && h->msg);
    *msg_out = h->msg;
    h->msg = NULL;
    h->done = 0;
    scan_restart(h);
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
    size_t n = execute(h, data, len);
    if (h->error) return h->error;
    *used = n;
    if (h->done) return take_message(h, msg_out);
    FL_ASSERT(n == len);
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

int live_h1_in_body(const struct live_h1 *h)
{
    return h->msg && !h->done && h->headers_done;
}

void live_h1_trim(struct live_h1 *h)
{
    FL_ASSERT(live_h1_idle(h));
    live_buf_free(&h->tok);
    live_buf_free(&h->body);
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
    /* http-parser 2.9 takes any name that begins with Transfer-Encoding for it (it flags the
     * message on the prefix): passed on, one would break the next parser's framing */
    if (!strncasecmp(name, "transfer-encoding", 17)) return 1;
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

/* The reason phrase (RFC 9110 section 15), the codec's own refusals included. */
static const char *reason(int status)
{
    switch (status) {
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large"; /* RFC 6585 section 5 */
    case 505: return "HTTP Version Not Supported";
    default: return px_status_reason(status);
    }
}

static void write_start_line(struct live_buf *out, const struct px_msg *m)
{
    if (m->status > 0) {
        live_buf_append_str(out, "HTTP/1.1 ");
        append_u64(out, (uint64_t)m->status);
        live_buf_append_str(out, " ");
        live_buf_append_str(out, reason(m->status));
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
    } else if (!px_msg_header(m, "host")) {
        live_buf_append_str(out, "Host: \r\n"); /* RFC 9112 section 3.2: empty, never absent */
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
