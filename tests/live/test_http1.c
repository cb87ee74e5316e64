/*
 * test_http1.c - live/http1.c: the HTTP/1.1 codec gives the same messages
 * for every split of its input, takes pipelined messages one at a time,
 * decodes chunked bodies, follows the keep-alive rules, refuses bad input
 * and oversized messages with the right status (RFC 9112's rules where
 * http-parser is lenient: whitespace before a colon, obs-fold, versions,
 * Host, framing and smuggling variants, long targets), and what it writes
 * parses back to the same message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/http1.h"
#include "tests/testutil.h"

void suite_http1(void);

/* ---------------------------------------------------------------- helpers */

/* One message as text: its fields, headers and body, and the connection's keep-alive. */
static void describe(struct live_buf *out, const struct px_msg *m, const struct live_h1 *h)
{
    char line[256];
    snprintf(line, sizeof line, "[%s|%s|%s|%s|%d|ka=%d|v=%d]\n", m->method ? m->method : "-",
             m->authority ? m->authority : "-", m->path ? m->path : "-", m->query ? m->query : "-",
             m->status, live_h1_keep_alive(h), live_h1_version(h));
    live_buf_append_str(out, line);
    for (uint32_t i = 0; i < m->n_headers; i++) {
        snprintf(line, sizeof line, "%s=%s\n", m->headers[i].name, m->headers[i].value);
        live_buf_append_str(out, line);
    }
    snprintf(line, sizeof line, "body %llu:", (unsigned long long)m->body_bytes);
    live_buf_append_str(out, line);
    if (m->body_bytes) live_buf_append(out, m->body, (size_t)m->body_bytes);
    live_buf_append_str(out, "\n");
}

/*
 * Feeds `in` to a fresh codec in pieces cut at the offsets in cuts (sorted,
 * n_cuts of them), then ends the stream. Writes every message as text into
 * out; returns the last status (LIVE_H1_OK, or an error).
 */
static int feed(enum live_h1_kind kind, const char *in, size_t len, const size_t *cuts,
                size_t n_cuts, struct live_buf *out, const char *expect_method)
{
    struct live_h1 h;
    live_h1_init(&h, kind, NULL);
    if (expect_method)
        for (int i = 0; i < 8; i++) live_h1_expect(&h, expect_method);
    struct live_buf
        pending; /* bytes received and not yet consumed, as a socket buffer holds them */
    live_buf_init(&pending);
    int rc = LIVE_H1_OK;
    size_t start = 0;
    for (size_t c = 0; c <= n_cuts && rc >= 0; c++) {
        size_t end = c < n_cuts ? cuts[c] : len;
        live_buf_append(&pending, in + start, end - start);
        start = end;
        for (;;) {
            size_t used;
            struct px_msg *m;
            rc = live_h1_parse(&h, live_buf_head(&pending), live_buf_size(&pending), &used, &m);
            if (rc < 0) break;
            live_buf_consume(&pending, used);
            if (rc == LIVE_H1_OK) break;
            describe(out, m, &h);
            live_msg_free(m);
        }
    }
    while (rc >= 0) {
        struct px_msg *m;
        rc = live_h1_finish(&h, &m);
        if (rc != LIVE_H1_MESSAGE) break;
        describe(out, m, &h);
        live_msg_free(m);
    }
    live_buf_free(&pending);
    live_h1_free(&h);
    return rc;
}

static int feed_whole(enum live_h1_kind kind, const char *in, struct live_buf *out)
{
    return feed(kind, in, strlen(in), NULL, 0, out, NULL);
}

/* Parses exactly one message from a whole buffer; NULL (and *rc) if none. */
static struct px_msg *parse_one(struct live_h1 *h, const char *in, int *rc)
{
    size_t used;
    struct px_msg *m = NULL;
    *rc = live_h1_parse(h, in, strlen(in), &used, &m);
    return m;
}

/*
 * The same messages (and final status) whether the input comes whole, at
 * every single split point, at every pair of split points (short inputs),
 * or one byte at a time.
 */
static void check_every_split(enum live_h1_kind kind, const char *in, const char *method)
{
    size_t len = strlen(in);
    struct live_buf want, got;
    live_buf_init(&want);
    live_buf_init(&got);
    int want_rc = feed(kind, in, len, NULL, 0, &want, method);
    CU_ASSERT(live_buf_size(&want) > 0);
    int bad = 0;
    for (size_t i = 1; i < len && !bad; i++) {
        live_buf_reset(&got);
        int rc = feed(kind, in, len, &i, 1, &got, method);
        bad = rc != want_rc || live_buf_size(&got) != live_buf_size(&want) ||
              memcmp(live_buf_head(&got), live_buf_head(&want), live_buf_size(&want));
        if (bad) fprintf(stderr, "\n  split at %zu differs\n", i);
    }
    for (size_t i = 1; i < len && len <= 160 && !bad; i++)
        for (size_t j = i + 1; j < len && !bad; j++) {
            size_t cuts[2] = {i, j};
            live_buf_reset(&got);
            int rc = feed(kind, in, len, cuts, 2, &got, method);
            bad = rc != want_rc || live_buf_size(&got) != live_buf_size(&want) ||
                  memcmp(live_buf_head(&got), live_buf_head(&want), live_buf_size(&want));
            if (bad) fprintf(stderr, "\n  splits at %zu, %zu differ\n", i, j);
        }
    size_t *bytes = calloc(len ? len : 1, sizeof *bytes);
    for (size_t i = 0; i + 1 < len; i++) bytes[i] = i + 1;
    live_buf_reset(&got);
    int rc = feed(kind, in, len, bytes, len ? len - 1 : 0, &got, method);
    free(bytes);
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_EQUAL(live_buf_size(&got), live_buf_size(&want));
    CU_ASSERT(live_buf_size(&got) == live_buf_size(&want) &&
              !memcmp(live_buf_head(&got), live_buf_head(&want), live_buf_size(&want)));
    CU_ASSERT_FALSE(bad);
    live_buf_free(&want);
    live_buf_free(&got);
}

/* ---------------------------------------------------------------- parsing */

static void test_http1_parses_a_request_into_the_message_model(void)
{
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_REQUEST, NULL);
    int rc;
    struct px_msg *m = parse_one(&h,
                                 "GET /api/v1/cart?id=7&x=y#frag HTTP/1.1\r\n"
                                 "Host: shop.example:8080\r\n"
                                 "User-Agent: curl/7.88\r\n"
                                 "X-Trace:  abc  \r\n"
                                 "Content-Length: 0\r\n"
                                 "\r\n",
                                 &rc);
    CU_ASSERT_EQUAL(rc, LIVE_H1_MESSAGE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(m->method, "GET");
    CU_ASSERT_STRING_EQUAL(m->authority, "shop.example:8080");
    CU_ASSERT_STRING_EQUAL(m->path, "/api/v1/cart");
    CU_ASSERT_STRING_EQUAL(m->query, "id=7&x=y");
    CU_ASSERT_EQUAL(m->status, 0);
    CU_ASSERT_EQUAL(m->n_headers, 2); /* Host and Content-Length are the codec's */
    CU_ASSERT_STRING_EQUAL(px_msg_header(m, "user-agent"), "curl/7.88");
    CU_ASSERT_STRING_EQUAL(m->headers[0].name, "User-Agent");   /* case kept */
    CU_ASSERT_STRING_EQUAL(px_msg_header(m, "x-trace"), "abc"); /* whitespace trimmed */
    CU_ASSERT_EQUAL(m->body_bytes, 0);
    CU_ASSERT_TRUE(live_h1_keep_alive(&h));
    CU_ASSERT_EQUAL(live_h1_version(&h), 11);
    CU_ASSERT_TRUE(live_h1_idle(&h));
    live_msg_free(m);
    live_h1_free(&h);
}

static void test_http1_parses_a_response_with_its_body(void)
{
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_RESPONSE, NULL);
    live_h1_expect(&h, "GET");
    /* a NUL in the body: fed by length */
    static const char in[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 5\r\n\r\na\0b\r\n";
    size_t used;
    struct px_msg *m;
    CU_ASSERT_EQUAL(live_h1_parse(&h, in, sizeof in - 1, &used, &m), LIVE_H1_MESSAGE);
    CU_ASSERT_EQUAL(used, sizeof in - 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->status, 503);
    CU_ASSERT_PTR_NULL(m->method);
    CU_ASSERT_EQUAL(m->body_bytes, 5);
    CU_ASSERT(m->body && !memcmp(m->body, "a\0b\r\n", 5));
    CU_ASSERT_STRING_EQUAL(px_msg_header(m, "content-type"), "text/plain");
    CU_ASSERT_PTR_NULL(px_msg_header(m, "content-length"));
    live_msg_free(m);
    live_h1_free(&h);
}

static void test_http1_same_messages_at_every_split(void)
{
    check_every_split(LIVE_H1_REQUEST,
                      "GET /a?b=c HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: two words\r\n\r\n", NULL);
    check_every_split(LIVE_H1_REQUEST,
                      "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
                      NULL);
    check_every_split(LIVE_H1_REQUEST,
                      "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                      NULL);
    /* pipelined: three requests, the last one HTTP/1.0 */
    check_every_split(LIVE_H1_REQUEST,
                      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /3 HTTP/1.0\r\n\r\n",
                      NULL);
    check_every_split(
        LIVE_H1_RESPONSE,
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nno!\r\n0\r\n\r\n"
        "HTTP/1.1 204 No Content\r\n\r\n"
        "HTTP/1.0 200 OK\r\n\r\nuntil the end",
        "GET");
    /* a bad stream fails the same way wherever it is cut */
    check_every_split(LIVE_H1_REQUEST,
                      "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nBad Header\r\n\r\n",
                      NULL);
}

static void test_http1_takes_pipelined_requests_one_at_a_time(void)
{
    static const char in[] = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                             "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                             "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_REQUEST, NULL);
    const char *p = in;
    size_t left = sizeof in - 1, used;
    const char *paths[] = {"/1", "/2", "/3"};
    for (int i = 0; i < 3; i++) {
        struct px_msg *m;
        int rc = live_h1_parse(&h, p, left, &used, &m);
        CU_ASSERT_EQUAL_FATAL(rc, LIVE_H1_MESSAGE);
        CU_ASSERT_STRING_EQUAL(m->path, paths[i]);
        CU_ASSERT_EQUAL(live_h1_keep_alive(&h), i < 2);
        CU_ASSERT_EQUAL(used, strlen("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n") +
                                  (i == 2 ? strlen("Connection: close\r\n") : 0));
        p += used;
        left -= used;
        live_msg_free(m);
    }
    CU_ASSERT_EQUAL(left, 0);
    live_h1_free(&h);
}

static void test_http1_decodes_chunked_bodies_and_drops_trailers(void)
{
    struct live_buf out;
    live_buf_init(&out);
    int rc = feed_whole(LIVE_H1_REQUEST,
                        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "4\r\nWiki\r\n5;name=v\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
                        "Expires: never\r\n\r\n",
                        &out);
    CU_ASSERT_EQUAL(rc, LIVE_H1_OK);
    live_buf_append(&out, "", 1);
    CU_ASSERT_STRING_EQUAL(live_buf_head(&out), "[POST|h|/c|-|0|ka=1|v=11]\n"
                                                "body 23:Wikipedia in\r\n\r\nchunks.\n");
    live_buf_free(&out);
}

static void test_http1_follows_keep_alive_rules(void)
{
    struct {
        const char *in;
        int keep_alive;
        const char *connection; /* the first Connection value the proxy sees */
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1, NULL},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0, "close"},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, X-Hop\r\n\r\n", 1,
         "Keep-Alive, X-Hop"},
        {"GET / HTTP/1.0\r\n\r\n", 0, "close"},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1, "keep-alive"},
        {"GET / HTTP/1.0\r\nConnection: x-hop\r\n\r\n", 0, "close, x-hop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct live_h1 h;
        live_h1_init(&h, LIVE_H1_REQUEST, NULL);
        int rc;
        struct px_msg *m = parse_one(&h, cases[i].in, &rc);
        CU_ASSERT_EQUAL_FATAL(rc, LIVE_H1_MESSAGE);
        CU_ASSERT_EQUAL(live_h1_keep_alive(&h), cases[i].keep_alive);
        const char *c = px_msg_header(m, "connection");
        if (cases[i].connection) {
            CU_ASSERT(c && !strcmp(c, cases[i].connection));
        } else {
            CU_ASSERT_PTR_NULL(c);
        }
        live_msg_free(m);
        live_h1_free(&h);
    }
    /* a response without length ends with the connection, which then cannot persist */
    struct live_buf out;
    live_buf_init(&out);
    int rc = feed_whole(LIVE_H1_RESPONSE, "HTTP/1.1 200 OK\r\nX: y\r\n\r\nall of it", &out);
    CU_ASSERT_EQUAL(rc, LIVE_H1_OK);
    live_buf_append(&out, "", 1);
    CU_ASSERT_STRING_EQUAL(live_buf_head(&out), "[-|-|-|-|200|ka=0|v=11]\nX=y\n"
                                                "Connection=close\nbody 9:all of it\n");
    live_buf_free(&out);
}

static void test_http1_answers_to_head_have_no_body(void)
{
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_RESPONSE, NULL);
    live_h1_expect(&h, "HEAD");
    live_h1_expect(&h, "GET");
    static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    size_t used;
    struct px_msg *m;
    CU_ASSERT_EQUAL_FATAL(live_h1_parse(&h, in, sizeof in - 1, &used, &m), LIVE_H1_MESSAGE);
    CU_ASSERT_EQUAL(m->body_bytes, 0);
    live_msg_free(m);
    CU_ASSERT_EQUAL_FATAL(live_h1_parse(&h, in + used, sizeof in - 1 - used, &used, &m),
                          LIVE_H1_MESSAGE);
    CU_ASSERT_EQUAL(m->body_bytes, 2);
    live_msg_free(m);
    live_h1_free(&h);
}

static void test_http1_skips_informational_responses(void)
{
    struct live_buf out;
    live_buf_init(&out);
    int rc = feed_whole(
        LIVE_H1_RESPONSE,
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", &out);
    CU_ASSERT_EQUAL(rc, LIVE_H1_OK);
    live_buf_append(&out, "", 1);
    CU_ASSERT_STRING_EQUAL(live_buf_head(&out), "[-|-|-|-|201|ka=1|v=11]\nbody 0:\n");
    live_buf_free(&out);
}

static void test_http1_takes_the_authority_of_an_absolute_target(void)
{
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_REQUEST, NULL);
    int rc;
    struct px_msg *m =
        parse_one(&h, "GET http://api.example:81/v1/x?q=1 HTTP/1.1\r\nHost: other\r\n\r\n", &rc);
    CU_ASSERT_EQUAL_FATAL(rc, LIVE_H1_MESSAGE);
    CU_ASSERT_STRING_EQUAL(m->authority, "api.example:81");
    CU_ASSERT_STRING_EQUAL(m->path, "/v1/x");
    CU_ASSERT_STRING_EQUAL(m->query, "q=1");
    live_msg_free(m);
    live_h1_free(&h);
}

static void test_http1_refuses_bad_input_with_the_right_status(void)
{
    struct {
        const char *in;
        int code, status;
    } cases[] = {
        {"HELLO\r\n\r\n", LIVE_H1_EPARSE, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n", LIVE_H1_EFIELD, 400},
        {"GET / HTTP/9.9x\r\n\r\n", LIVE_H1_EPARSE, 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", LIVE_H1_EHOST, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", LIVE_H1_EFRAMING,
         400},
        {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", LIVE_H1_EUNSUPPORTED,
         501},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct live_h1 h;
        live_h1_init(&h, LIVE_H1_REQUEST, NULL);
        int rc;
        struct px_msg *m = parse_one(&h, cases[i].in, &rc);
        if (rc != cases[i].code) fprintf(stderr, "\n  case %zu: %d\n", i, rc);
        CU_ASSERT_EQUAL(rc, cases[i].code);
        CU_ASSERT_PTR_NULL(m);
        CU_ASSERT_EQUAL(live_h1_error_status(rc), cases[i].status);
        /* the error is sticky */
        size_t used;
        CU_ASSERT_EQUAL(live_h1_parse(&h, "GET / HTTP/1.1\r\n\r\n", 18, &used, &m), rc);
        CU_ASSERT_EQUAL(live_h1_finish(&h, &m), rc);
        live_h1_free(&h);
    }
    CU_ASSERT_STRING_EQUAL(live_h1_strerror(LIVE_H1_EBODY_SIZE), "body too large");
}

static void test_http1_enforces_its_limits(void)
{
    struct live_buf in;
    live_buf_init(&in);
    /* PX_HEADERS_MAX headers are fine, one more is 431 */
    for (int extra = 0; extra < 2; extra++) {
        live_buf_reset(&in);
        live_buf_append_str(&in, "GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < PX_HEADERS_MAX + extra; i++) {
            char line[32];
            snprintf(line, sizeof line, "X-H%d: v\r\n", i);
            live_buf_append_str(&in, line);
        }
        live_buf_append(&in, "\r\n", 3); /* with its NUL */
        struct live_h1 h;
        live_h1_init(&h, LIVE_H1_REQUEST, NULL);
        int rc;
        struct px_msg *m = parse_one(&h, live_buf_head(&in), &rc);
        CU_ASSERT_EQUAL(rc, extra ? LIVE_H1_EHEADERS : LIVE_H1_MESSAGE);
        if (extra) {
            CU_ASSERT_EQUAL(live_h1_error_status(rc), 431);
        }
        live_msg_free(m);
        live_h1_free(&h);
    }
    /* header bytes */
    struct live_h1_limits lim = {.header_bytes_max = 100, .body_bytes_max = 10};
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_REQUEST, &lim);
    int rc;
    CU_ASSERT_PTR_NULL(parse_one(&h,
                                 "GET / HTTP/1.1\r\nHost: h\r\nX-Big: "
                                 "0123456789012345678901234567890123456789"
                                 "0123456789012345678901234567890123456789"
                                 "0123456789012345678901234567890123456789\r\n\r\n",
                                 &rc));
    CU_ASSERT_EQUAL(rc, LIVE_H1_EHEADER_SIZE);
    live_h1_free(&h);
    /* body bytes: announced, and chunked */
    live_h1_init(&h, LIVE_H1_REQUEST, &lim);
    CU_ASSERT_PTR_NULL(
        parse_one(&h, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", &rc));
    CU_ASSERT_EQUAL(rc, LIVE_H1_EBODY_SIZE);
    CU_ASSERT_EQUAL(live_h1_error_status(rc), 413);
    live_h1_free(&h);
    live_h1_init(&h, LIVE_H1_REQUEST, &lim);
    struct px_msg *m =
        parse_one(&h, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", &rc);
    CU_ASSERT_EQUAL(rc, LIVE_H1_MESSAGE);
    live_msg_free(m);
    CU_ASSERT_PTR_NULL(parse_one(&h,
                                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n",
                                 &rc));
    CU_ASSERT_EQUAL(rc, LIVE_H1_EBODY_SIZE);
    live_h1_free(&h);
    live_buf_free(&in);
}

/* Parses in one piece; returns the code and frees whatever came out. */
static int parse_code(const char *in, size_t len, const struct live_h1_limits *lim)
{
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_REQUEST, lim);
    size_t used;
    struct px_msg *m;
    int rc = live_h1_parse(&h, in, len, &used, &m);
    live_msg_free(m);
    live_h1_free(&h);
    return rc;
}

/* What http-parser 2.9 lets through and RFC 9112 does not, with the status each gets. */
static void test_http1_refuses_what_rfc9112_forbids(void)
{
    struct {
        const char *in;
        int code, status;
    } cases[] = {
        /* section 5.1: whitespace in a field name or before its colon */
        {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
         LIVE_H1_EFIELD, 400},
        {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", LIVE_H1_EFIELD, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 1\r\n\r\na", LIVE_H1_EFIELD, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX A: b\r\n\r\n", LIVE_H1_EFIELD, 400},
        /* section 5.2: obs-fold, and whitespace before the first field */
        {"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n c\r\n\r\n", LIVE_H1_EFIELD, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\tc\r\n\r\n", LIVE_H1_EFIELD, 400},
        {"GET / HTTP/1.1\r\n Host: h\r\n\r\n", LIVE_H1_EFIELD, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n",
         LIVE_H1_EFIELD, 400},
        /* errors come in stream order: the bad coding's line ends before the fold */
        {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        /* RFC 9110 section 15.6.6: versions other than 1.0 and 1.1 */
        {"GET / HTTP/9.9\r\nHost: h\r\n\r\n", LIVE_H1_EVERSION, 505},
        {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", LIVE_H1_EVERSION, 505},
        {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", LIVE_H1_EVERSION, 505},
        {"GET / HTTP/0.9\r\n\r\n", LIVE_H1_EVERSION, 505},
        {"GET /\r\n\r\n", LIVE_H1_EVERSION, 505},
        /* section 2.3 of RFC 9112: the version is exactly "HTTP/" DIGIT "." DIGIT */
        {"PUT / Hz,  1.1\nHost: h\n\n", LIVE_H1_EPARSE, 400},
        {"GET / http/1.1\r\nHost: h\r\n\r\n", LIVE_H1_EPARSE, 400},
        {"GET / HTTP/1.1 x\r\nHost: h\r\n\r\n", LIVE_H1_EPARSE, 400},
        {"GET / HTTP/11.1\r\nHost: h\r\n\r\n", LIVE_H1_EPARSE, 400},
        /* section 3.2: Host */
        {"GET / HTTP/1.1\r\n\r\n", LIVE_H1_EHOST, 400},
        {"GET http://h/x HTTP/1.1\r\n\r\n", LIVE_H1_EHOST, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nhost: h\r\n\r\n", LIVE_H1_EHOST, 400},
        {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", LIVE_H1_EHOST, 400},
        {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", LIVE_H1_EHOST, 400},
        {"GET / HTTP/1.1\r\nHost: user@h\r\n\r\n", LIVE_H1_EHOST, 400},
        /* section 6: framing; smuggling variants */
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
         "0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\na", LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\na", LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\na", LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
         "chunked\r\n\r\n0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", LIVE_H1_EFRAMING,
         400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", LIVE_H1_EFRAMING,
         400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", LIVE_H1_EFRAMING,
         400},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
         LIVE_H1_ECODING, 501},
        /* bad chunk sizes */
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", LIVE_H1_EFRAMING,
         400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\na\r\n0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "fffffffffffffffffff\r\na\r\n0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
         LIVE_H1_EFRAMING, 400},
        /* CR and control characters in a value (NUL: below, fed by length) */
        {"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", LIVE_H1_EPARSE, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01\r\n\r\n", LIVE_H1_EPARSE, 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7f\r\n\r\n", LIVE_H1_EPARSE, 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse_code(cases[i].in, strlen(cases[i].in), NULL);
        if (rc != cases[i].code) fprintf(stderr, "\n  case %zu (%.40s): %d\n", i, cases[i].in, rc);
        CU_ASSERT_EQUAL(rc, cases[i].code);
        CU_ASSERT_EQUAL(live_h1_error_status(cases[i].code), cases[i].status);
    }
    static const char late_empty[] =
        "GET /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nchun\xff: x\r\n\r\n";
    CU_ASSERT_EQUAL(parse_code(late_empty, sizeof late_empty - 1, NULL), LIVE_H1_EFRAMING);
    static const char bare_cr[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n";
    CU_ASSERT_EQUAL(parse_code(bare_cr, sizeof bare_cr - 1, NULL), LIVE_H1_EPARSE);
    static const char nul_value[] = "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n";
    CU_ASSERT_EQUAL(parse_code(nul_value, sizeof nul_value - 1, NULL), LIVE_H1_EPARSE);
    static const char nul_name[] = "GET / HTTP/1.1\r\nHost: h\r\nX\0A: b\r\n\r\n";
    CU_ASSERT_EQUAL(parse_code(nul_name, sizeof nul_name - 1, NULL), LIVE_H1_EPARSE);
    /* a message before the bad one still comes out: the error is the second one's */
    struct live_buf out;
    live_buf_init(&out);
    CU_ASSERT_EQUAL(feed_whole(LIVE_H1_REQUEST,
                               "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n"
                               "Transfer-Encoding : chunked\r\n\r\n",
                               &out),
                    LIVE_H1_EFIELD);
    live_buf_append(&out, "", 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(live_buf_head(&out), "[GET|h|/1|"));
    CU_ASSERT_PTR_NULL(strstr(live_buf_head(&out), "/2"));
    live_buf_free(&out);
    CU_ASSERT_STRING_EQUAL(live_h1_strerror(LIVE_H1_EVERSION),
                           "HTTP version not supported (HTTP/1.0 and HTTP/1.1 are)");
}

/* The raw-byte checks give the same first error however the stream is cut. */
static void test_http1_refusals_do_not_depend_on_the_cuts(void)
{
    check_every_split(LIVE_H1_REQUEST,
                      "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
                      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
                      NULL);
    /* (each after a good request: the check wants a message out) */
    check_every_split(
        LIVE_H1_REQUEST,
        "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: a b\r\n X: y\r\n\r\n", NULL);
    check_every_split(LIVE_H1_REQUEST,
                      "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nX\x01Y Z: y\r\n\r\n",
                      NULL);
    check_every_split(
        LIVE_H1_REQUEST,
        "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\t2\r\n\r\n",
        NULL);
    /* found by fuzzing: an empty value is told late by http-parser; a 1xx then a bad name */
    check_every_split(LIVE_H1_REQUEST,
                      "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
                      "GET /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nchun\xff: x\r\n\r\n",
                      NULL);
    check_every_split(LIVE_H1_RESPONSE,
                      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContDELETE gth: 2\r\n\r\n",
                      "GET");
    /* a bare CR, where http-parser would take CR and any byte for a line's end */
    check_every_split(LIVE_H1_RESPONSE,
                      "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\x0bX-A: b\r\n\r\n", "GET");
    check_every_split(LIVE_H1_REQUEST,
                      "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\r\n", NULL);
    check_every_split(LIVE_H1_REQUEST,
                      "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef0123456789abcdef HTTP/1.1\r\n\r\n",
                      NULL);
}

/* What RFC 9112 allows stays allowed. */
static void test_http1_accepts_what_rfc9112_allows(void)
{
    struct live_buf out;
    live_buf_init(&out);
    /* HTTP/1.0 needs no Host; empty lines before a request; bare LF line ends (section 2.2) */
    CU_ASSERT_EQUAL(feed_whole(LIVE_H1_REQUEST,
                               "GET /a HTTP/1.0\r\n\r\n"
                               "\r\n\r\nGET /b HTTP/1.1\r\nHost:\r\n\r\n"
                               "GET /c HTTP/1.1\nHost: [::1]:8080\nX-A: a b\n\n"
                               "POST /d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
                               "1 ; ext=\"v\"\r\nz\r\n0\r\n\r\n",
                               &out),
                    LIVE_H1_OK);
    live_buf_append(&out, "", 1);
    CU_ASSERT_STRING_EQUAL(live_buf_head(&out),
                           "[GET|-|/a|-|0|ka=0|v=10]\nConnection=close\nbody 0:\n"
                           "[GET||/b|-|0|ka=1|v=11]\nbody 0:\n"
                           "[GET|[::1]:8080|/c|-|0|ka=1|v=11]\nX-A=a b\nbody 0:\n"
                           "[POST|h|/d|-|0|ka=1|v=11]\nbody 1:z\n");
    live_buf_free(&out);
    /* a response: whitespace before a colon is removed (what a proxy must do) */
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_RESPONSE, NULL);
    live_h1_expect(&h, "GET");
    int rc;
    struct px_msg *m =
        parse_one(&h, "HTTP/1.1 200 OK\r\nX-A  : b\r\nContent-Length: 0\r\n\r\n", &rc);
    CU_ASSERT_EQUAL_FATAL(rc, LIVE_H1_MESSAGE);
    CU_ASSERT_STRING_EQUAL(m->headers[0].name, "X-A");
    CU_ASSERT_STRING_EQUAL(px_msg_header(m, "x-a"), "b");
    live_msg_free(m);
    live_h1_free(&h);
    /* ... but a folded line, or whitespace inside a name, makes it unusable */
    const char *bad[] = {"HTTP/1.1 200 OK\r\nX-B: 1\r\n 2\r\nContent-Length: 0\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nX B: 1\r\nContent-Length: 0\r\n\r\n"};
    for (int i = 0; i < 2; i++) {
        live_h1_init(&h, LIVE_H1_RESPONSE, NULL);
        live_h1_expect(&h, "GET");
        CU_ASSERT_PTR_NULL(parse_one(&h, bad[i], &rc));
        CU_ASSERT_EQUAL(rc, LIVE_H1_EFIELD);
        live_h1_free(&h);
    }
}

/* RFC 9112 section 3: a target above uri_bytes_max is a 414, at the limit it passes. */
static void test_http1_refuses_a_long_target_with_414(void)
{
    struct live_buf in;
    live_buf_init(&in);
    for (int extra = 0; extra < 2; extra++) {
        live_buf_reset(&in);
        live_buf_append_str(&in, "GET /");
        for (uint32_t i = 1; i < LIVE_H1_URI_BYTES_MAX + (uint32_t)extra; i++)
            live_buf_append(&in, "a", 1);
        live_buf_append_str(&in, " HTTP/1.1\r\nHost: h\r\n\r\n");
        int rc = parse_code(live_buf_head(&in), live_buf_size(&in), NULL);
        CU_ASSERT_EQUAL(rc, extra ? LIVE_H1_EURI_SIZE : LIVE_H1_MESSAGE);
    }
    CU_ASSERT_EQUAL(live_h1_error_status(LIVE_H1_EURI_SIZE), 414);
    /* 100 KB: still 414, not the 431 of the header limit it also passes */
    live_buf_reset(&in);
    live_buf_append_str(&in, "GET /");
    for (int i = 0; i < 100 * 1000; i++) live_buf_append(&in, "b", 1);
    CU_ASSERT_EQUAL(parse_code(live_buf_head(&in), live_buf_size(&in), NULL), LIVE_H1_EURI_SIZE);
    /* a limit of its own */
    struct live_h1_limits lim = {.uri_bytes_max = 16};
    CU_ASSERT_EQUAL(parse_code("GET /0123456789abcdef HTTP/1.1\r\nHost: h\r\n\r\n", 43, &lim),
                    LIVE_H1_EURI_SIZE);
    CU_ASSERT_EQUAL(parse_code("GET /0123456789abcde HTTP/1.1\r\nHost: h\r\n\r\n", 42, &lim),
                    LIVE_H1_MESSAGE);
    /* with the header limit below the target's, the first one passed wins, whole or byte by byte */
    live_buf_reset(&in);
    live_buf_append_str(&in, "GET /");
    for (int i = 0; i < 300; i++) live_buf_append(&in, "c", 1);
    live_buf_append_str(&in, " HTTP/1.1\r\nHost: h\r\n\r\n");
    const struct live_h1_limits lims[] = {{.header_bytes_max = 100, .uri_bytes_max = 200},
                                          {.header_bytes_max = 200, .uri_bytes_max = 100}};
    for (int k = 0; k < 2; k++) {
        int want = k ? LIVE_H1_EURI_SIZE : LIVE_H1_EHEADER_SIZE;
        CU_ASSERT_EQUAL(parse_code(live_buf_head(&in), live_buf_size(&in), &lims[k]), want);
        struct live_h1 h;
        live_h1_init(&h, LIVE_H1_REQUEST, &lims[k]);
        int rc = LIVE_H1_OK;
        for (size_t i = 0; i < live_buf_size(&in) && rc == LIVE_H1_OK; i++) {
            size_t used;
            struct px_msg *m;
            rc = live_h1_parse(&h, live_buf_head(&in) + i, 1, &used, &m);
            live_msg_free(m);
        }
        CU_ASSERT_EQUAL(rc, want);
        live_h1_free(&h);
    }
    live_buf_free(&in);
}

static void test_http1_says_when_a_body_is_arriving(void)
{
    struct live_h1 h;
    live_h1_init(&h, LIVE_H1_REQUEST, NULL);
    size_t used;
    struct px_msg *m;
    CU_ASSERT_TRUE(live_h1_idle(&h));
    CU_ASSERT_EQUAL(live_h1_parse(&h, "POST / HTTP/1.1\r\nHo", 19, &used, &m), LIVE_H1_OK);
    CU_ASSERT_FALSE(live_h1_idle(&h));
    CU_ASSERT_FALSE(live_h1_in_body(&h));
    static const char rest[] = "st: h\r\nContent-Length: 2\r\n\r\na";
    CU_ASSERT_EQUAL(live_h1_parse(&h, rest, sizeof rest - 1, &used, &m), LIVE_H1_OK);
    CU_ASSERT_TRUE(live_h1_in_body(&h));
    CU_ASSERT_EQUAL_FATAL(live_h1_parse(&h, "b", 1, &used, &m), LIVE_H1_MESSAGE);
    CU_ASSERT_EQUAL(m->body_bytes, 2);
    live_msg_free(m);
    CU_ASSERT_TRUE(live_h1_idle(&h));
    CU_ASSERT_FALSE(live_h1_in_body(&h));
    live_h1_trim(&h);
    CU_ASSERT_EQUAL(h.tok.cap, 0);
    CU_ASSERT_EQUAL(live_h1_parse(&h, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 27, &used, &m),
                    LIVE_H1_MESSAGE);
    live_msg_free(m);
    live_h1_free(&h);
}

static void test_http1_reports_a_stream_cut_inside_a_message(void)
{
    struct live_buf out;
    live_buf_init(&out);
    CU_ASSERT_EQUAL(feed_whole(LIVE_H1_REQUEST, "GET / HTTP/1.1\r\nHost: h\r\n", &out),
                    LIVE_H1_ETRUNCATED);
    CU_ASSERT_EQUAL(feed_whole(LIVE_H1_REQUEST,
                               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab", &out),
                    LIVE_H1_ETRUNCATED);
    CU_ASSERT_EQUAL(
        feed_whole(LIVE_H1_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", &out),
        LIVE_H1_ETRUNCATED);
    live_buf_reset(&out);
    CU_ASSERT_EQUAL(feed_whole(LIVE_H1_REQUEST, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", &out),
                    LIVE_H1_OK);
    CU_ASSERT(live_buf_size(&out) > 0);
    live_buf_free(&out);
}

static void test_http1_serves_an_upgrade_request_as_plain_http(void)
{
    struct live_buf out;
    live_buf_init(&out);
    int rc = feed_whole(
        LIVE_H1_REQUEST,
        "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        "GET /next HTTP/1.1\r\nHost: h\r\n\r\n",
        &out);
    CU_ASSERT_EQUAL(rc, LIVE_H1_OK);
    live_buf_append(&out, "", 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(live_buf_head(&out), "[GET|h|/ws|"));
    CU_ASSERT_PTR_NOT_NULL(strstr(live_buf_head(&out), "[GET|h|/next|"));
    live_buf_free(&out);
}

/* ---------------------------------------------------------------- writing */

static char *written(const struct px_msg *m, unsigned flags)
{
    struct live_buf out;
    live_buf_init(&out);
    live_h1_write(&out, m, flags);
    live_buf_append(&out, "", 1);
    return out.data;
}

static void test_http1_writes_requests_and_responses(void)
{
    struct px_msg m;
    px_msg_init(&m);
    m.method = "POST";
    m.authority = "billing:8080";
    m.path = "/charge";
    m.query = "a=1";
    px_msg_add_header(&m, "Content-Type", "application/json");
    m.body = (const uint8_t *)"{}";
    m.body_bytes = 2;
    char *s = written(&m, 0);
    CU_ASSERT_STRING_EQUAL(s, "POST /charge?a=1 HTTP/1.1\r\nHost: billing:8080\r\n"
                              "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    free(s);
    px_msg_clear(&m);

    m.method = "GET";
    m.path = "/";
    s = written(&m, LIVE_H1_CLOSE);
    /* RFC 9112 section 3.2: no authority is an empty Host, never none */
    CU_ASSERT_STRING_EQUAL(s, "GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n");
    free(s);
    px_msg_clear(&m);

    /* a path without its leading slash gets one; no path is "/" */
    const char *paths[][2] = {{"x/y", "GET /x/y HTTP/1.1"},
                              {"", "GET / HTTP/1.1"},
                              {NULL, "GET / HTTP/1.1"},
                              {"*", "OPTIONS * HTTP/1.1"}};
    for (size_t i = 0; i < 4; i++) {
        m.method = paths[i][1][0] == 'O' ? "OPTIONS" : "GET";
        m.path = paths[i][0];
        s = written(&m, 0);
        CU_ASSERT_EQUAL(strncmp(s, paths[i][1], strlen(paths[i][1])), 0);
        free(s);
        px_msg_clear(&m);
    }

    m.status = 429;
    px_msg_add_header(&m, "Retry-After", "3");
    m.body = (const uint8_t *)"slow";
    m.body_bytes = 4;
    s = written(&m, LIVE_H1_KEEP_ALIVE);
    CU_ASSERT_STRING_EQUAL(s, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\n"
                              "Connection: keep-alive\r\nContent-Length: 4\r\n\r\nslow");
    free(s);
    s = written(&m, LIVE_H1_NO_BODY);
    CU_ASSERT_STRING_EQUAL(s, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\n"
                              "Content-Length: 4\r\n\r\n");
    free(s);
    px_msg_clear(&m);

    m.status = 204;
    s = written(&m, 0);
    CU_ASSERT_STRING_EQUAL(s, "HTTP/1.1 204 No Content\r\n\r\n");
    free(s);
    px_msg_clear(&m);

    /* a simulated body (a size only) is padded */
    m.status = 200;
    m.body_bytes = 3;
    s = written(&m, 0);
    CU_ASSERT_STRING_EQUAL(s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n   ");
    free(s);
    px_msg_clear(&m);
}

static void test_http1_writes_no_hop_by_hop_headers_and_no_injection(void)
{
    struct px_msg m;
    px_msg_init(&m);
    m.status = 200;
    px_msg_add_header(&m, "Connection", "close, X-Hop");
    px_msg_add_header(&m, "X-Hop", "secret");
    px_msg_add_header(&m, "Keep-Alive", "timeout=5");
    px_msg_add_header(&m, "Transfer-Encoding", "chunked");
    px_msg_add_header(&m, "Content-Length", "99");
    px_msg_add_header(&m, "Upgrade", "h2c");
    px_msg_add_header(&m, "X-Kept", "yes");
    px_msg_add_header(&m, "X-Evil", "a\r\nSet-Cookie: b");
    char *s = written(&m, 0);
    CU_ASSERT_STRING_EQUAL(s, "HTTP/1.1 200 OK\r\nX-Kept: yes\r\nX-Evil: a  Set-Cookie: b\r\n"
                              "Content-Length: 0\r\n\r\n");
    free(s);
    px_msg_clear(&m);
}

static void test_http1_round_trips_requests_and_responses(void)
{
    uint8_t body[300];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (uint8_t)(i * 7);
    struct px_msg m;
    px_msg_init(&m);
    m.method = "PUT";
    m.authority = "inventory";
    m.path = "/items/42";
    m.query = "force=1";
    px_msg_add_header(&m, "X-Request-Id", "r-1");
    px_msg_add_header(&m, "Accept", "*/*");
    m.body = body;
    m.body_bytes = sizeof body;
    struct live_buf out;
    live_buf_init(&out);
    live_h1_write(&out, &m, 0);
    m.method = NULL;
    m.status = 502;
    m.body_bytes = 0;
    live_h1_write(&out, &m, LIVE_H1_CLOSE);
    px_msg_clear(&m);

    struct live_h1 req, resp;
    live_h1_init(&req, LIVE_H1_REQUEST, NULL);
    live_h1_init(&resp, LIVE_H1_RESPONSE, NULL);
    live_h1_expect(&resp, "PUT");
    size_t used;
    struct px_msg *r;
    CU_ASSERT_EQUAL_FATAL(live_h1_parse(&req, live_buf_head(&out), live_buf_size(&out), &used, &r),
                          LIVE_H1_MESSAGE);
    CU_ASSERT_STRING_EQUAL(r->method, "PUT");
    CU_ASSERT_STRING_EQUAL(r->authority, "inventory");
    CU_ASSERT_STRING_EQUAL(r->path, "/items/42");
    CU_ASSERT_STRING_EQUAL(r->query, "force=1");
    CU_ASSERT_EQUAL(r->n_headers, 2);
    CU_ASSERT_STRING_EQUAL(px_msg_header(r, "x-request-id"), "r-1");
    CU_ASSERT_EQUAL(r->body_bytes, sizeof body);
    CU_ASSERT(r->body && !memcmp(r->body, body, sizeof body));
    live_msg_free(r);
    live_buf_consume(&out, used);
    CU_ASSERT_EQUAL_FATAL(live_h1_parse(&resp, live_buf_head(&out), live_buf_size(&out), &used, &r),
                          LIVE_H1_MESSAGE);
    CU_ASSERT_EQUAL(used, live_buf_size(&out));
    CU_ASSERT_EQUAL(r->status, 502);
    CU_ASSERT_FALSE(live_h1_keep_alive(&resp));
    CU_ASSERT_STRING_EQUAL(px_msg_header(r, "x-request-id"), "r-1");
    live_msg_free(r);
    live_h1_free(&req);
    live_h1_free(&resp);
    live_buf_free(&out);
}

void suite_http1(void)
{
    TEST_SUITE("live/http1");
    TEST_ADD(test_http1_parses_a_request_into_the_message_model);
    TEST_ADD(test_http1_parses_a_response_with_its_body);
    TEST_ADD(test_http1_same_messages_at_every_split);
    TEST_ADD(test_http1_takes_pipelined_requests_one_at_a_time);
    TEST_ADD(test_http1_decodes_chunked_bodies_and_drops_trailers);
    TEST_ADD(test_http1_follows_keep_alive_rules);
    TEST_ADD(test_http1_answers_to_head_have_no_body);
    TEST_ADD(test_http1_skips_informational_responses);
    TEST_ADD(test_http1_takes_the_authority_of_an_absolute_target);
    TEST_ADD(test_http1_refuses_bad_input_with_the_right_status);
    TEST_ADD(test_http1_enforces_its_limits);
    TEST_ADD(test_http1_refuses_what_rfc9112_forbids);
    TEST_ADD(test_http1_refusals_do_not_depend_on_the_cuts);
    TEST_ADD(test_http1_accepts_what_rfc9112_allows);
    TEST_ADD(test_http1_refuses_a_long_target_with_414);
    TEST_ADD(test_http1_says_when_a_body_is_arriving);
    TEST_ADD(test_http1_reports_a_stream_cut_inside_a_message);
    TEST_ADD(test_http1_serves_an_upgrade_request_as_plain_http);
    TEST_ADD(test_http1_writes_requests_and_responses);
    TEST_ADD(test_http1_writes_no_hop_by_hop_headers_and_no_injection);
    TEST_ADD(test_http1_round_trips_requests_and_responses);
}
