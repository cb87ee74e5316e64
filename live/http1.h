/*
 * http1.h - the HTTP/1.1 codec of the live runtime: bytes from a socket
 * become struct px_msg (proxies/http.h), and px_msg becomes bytes.
 *
 * Parsing is Joyent/Node's http-parser (RFC 9112 framing: Content-Length,
 * chunked, bodies delimited by the end of the stream), fed incrementally:
 * any split of the input gives the same messages. The codec stops after
 * each whole message, so pipelined requests come out one at a time and the
 * caller decides when to take the next (a server answers in order). A
 * request becomes method, authority (the Host header, or the host of an
 * absolute-form target, RFC 9112 section 3.2.2), path and query (the
 * fragment dropped); a response its status. Header names keep their case.
 * Framing headers (Content-Length, Transfer-Encoding) are consumed; the
 * body's bytes are copied into the message's arena with body_bytes set.
 *
 * Keep-alive (RFC 9112 section 9.3): HTTP/1.1 persists unless "Connection:
 * close"; HTTP/1.0 only with "Connection: keep-alive"; a response whose
 * body ends with the stream does not. A message whose connection will not
 * persist carries "Connection: close", so the proxy code sees the decision
 * (live_h1_keep_alive() says it too).
 *
 * Limits, each a clean error with the status a server answers: a request
 * target above uri_bytes_max (414, RFC 9112 section 3), more than
 * PX_HEADERS_MAX headers (431), start line and headers above
 * header_bytes_max (431), a body above body_bytes_max (413), malformed
 * input (400), CONNECT and protocol upgrades (501: not supported).
 *
 * Requests are held to RFC 9112 where http-parser 2.9 is lenient (it takes
 * "Name : value", "Na me: value", folded lines and any HTTP/d.d):
 *  - whitespace in a field name or before its colon: 400 (section 5.1);
 *  - obs-fold, a field line starting with whitespace: 400 (section 5.2);
 *    both seen on the raw bytes (scan_line), as http-parser hides them;
 *  - a version other than HTTP/1.0 and HTTP/1.1: 505 (RFC 9110 section
 *    15.6.6; RFC 9110 section 2.5 would let 1.2 pass as 1.1, nginx does,
 *    we refuse it: nothing sends it);
 *  - HTTP/1.1 without Host, two Host fields, or a Host that is not
 *    host[:port]: 400 (section 3.2);
 *  - framing (section 6): Content-Length and Transfer-Encoding together,
 *    two Content-Lengths, a bad length or chunk size: 400 (http-parser's
 *    checks); Transfer-Encoding twice, in HTTP/1.0, or not ending in
 *    chunked: 400 (sections 6.1, 6.3); a coding besides chunked: 501.
 * NUL, CR and control characters in a field value are http-parser's 400;
 * a CR not followed by LF anywhere in a head is a 400 (section 2.2).
 * A response has whitespace before a colon removed (section 5.1: what a
 * proxy must do); one with whitespace inside a field name or a folded line
 * is refused (LIVE_H1_EFIELD: section 5.2 lets a proxy answer 502 instead).
 *
 * Serialising writes a start line (responses with their reason phrase), Host
 * from the authority (a request without one gets an empty Host, RFC 9112
 * section 3.2), the headers but the hop-by-hop ones (RFC 9110
 * section 7.6.1: Connection and those it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade; and any field
 * whose name begins with Transfer-Encoding, which http-parser 2.9 takes for
 * one and would then refuse next to Content-Length), the runtime's
 * own Connection header, Content-Length and the body. A request path
 * without its leading '/' (what stripping a route prefix "/" leaves) gets
 * one.
 *
 * Not here: sockets, TLS, HTTP/2, trailers (parsed and dropped), 1xx
 * responses (skipped: the proxy sees the final one).
 */
#ifndef FL_LIVE_HTTP1_H
#define FL_LIVE_HTTP1_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>

#include "live/buf.h"
#include "proxies/http.h"

enum {
    LIVE_H1_OK = 0,            /* everything consumed, no whole message yet */
    LIVE_H1_MESSAGE = 1,       /* one whole message */
    LIVE_H1_EPARSE = -1,       /* malformed */
    LIVE_H1_EHEADERS = -2,     /* too many headers */
    LIVE_H1_EHEADER_SIZE = -3, /* start line and headers too large */
    LIVE_H1_EBODY_SIZE = -4,   /* body too large */
    LIVE_H1_ETRUNCATED = -5,   /* the stream ended inside a message */
    LIVE_H1_EUNSUPPORTED = -6, /* CONNECT, protocol upgrade */
    LIVE_H1_EURI_SIZE = -7,    /* request target too long */
    LIVE_H1_EVERSION = -8,     /* not HTTP/1.0 or HTTP/1.1 */
    LIVE_H1_EHOST = -9,        /* HTTP/1.1 without Host, two Hosts, a bad Host */
    LIVE_H1_EFIELD = -10,      /* whitespace in a field name or before its colon, obs-fold */
    LIVE_H1_EFRAMING = -11,    /* bad or conflicting Content-Length / Transfer-Encoding */
    LIVE_H1_ECODING = -12,     /* a transfer coding other than chunked */
};

#define LIVE_H1_URI_BYTES_MAX    (8u * 1024)  /* nginx's large_client_header_buffers 4 8k */
#define LIVE_H1_HEADER_BYTES_MAX (60u * 1024) /* Envoy's max_request_headers_kb */
#define LIVE_H1_BODY_BYTES_MAX   (16ull * 1024 * 1024)
#define LIVE_H1_PIPELINE_MAX     64 /* requests awaiting their response on one client connection */

struct live_h1_limits {
    uint32_t header_bytes_max; /* start line and header fields */
    uint64_t body_bytes_max;
    uint32_t uri_bytes_max; /* the request target (requests only) */
};

enum live_h1_kind { LIVE_H1_REQUEST, LIVE_H1_RESPONSE };

/* One direction of one connection: a parser and the message it is building. */
struct live_h1 {
    http_parser p;
    enum live_h1_kind kind;
    struct live_h1_limits lim;
    struct px_msg *msg;  /* being built, or NULL between messages */
    struct live_buf tok; /* the URL, or a header's name then value, being assembled */
    size_t name_len;     /* in tok: the header name's length, once the value started */
    int in_value;        /* tok holds a name and (part of) its value */
    int headers_done;    /* later header callbacks are trailers */
    int host_seen;
    int te_seen;     /* requests: a Transfer-Encoding field was read */
    uint8_t scan;    /* where scan_line is in the raw bytes of the head */
    uint8_t scan_cr; /* the last byte it read was a CR */
    struct live_buf body;
    uint32_t head_bytes;   /* of the head being read, as scan_line counted them */
    uint32_t target_bytes; /* of the request target, likewise */
    char line_end[12];     /* requests: the start line's bytes after the target, as scanned */
    uint8_t line_end_len;  /* how many of them (more than fit: the line is refused) */
    int done;              /* a whole message is ready */
    int error;             /* the first error, sticky */
    int ended;             /* live_h1_finish was called */
    int keep_alive;        /* of the last whole message */
    int version;           /* of the last whole message: 10 or 11 */
    int head_response;     /* the message being parsed answers a HEAD */
    uint64_t expect_head;  /* responses: one bit per request awaiting its answer (1: HEAD) */
    uint32_t n_expected;
};

/*
 * Prepares a codec for requests (server side) or responses (client side);
 * lim NULL: the defaults (LIVE_H1_*_MAX). A limit of 0 is taken as its default.
 */
void live_h1_init(struct live_h1 *h, enum live_h1_kind kind, const struct live_h1_limits *lim);
void live_h1_free(struct live_h1 *h);

/*
 * Parses data[0..len) as the next bytes of the stream. Returns
 * LIVE_H1_MESSAGE with *msg_out (the caller owns it: live_msg_free) and
 * *used the bytes consumed, the rest being for the next call; LIVE_H1_OK
 * when every byte was consumed without completing a message; or a negative
 * LIVE_H1_E* code, sticky (the stream is unusable). len 0 is allowed.
 */
int live_h1_parse(struct live_h1 *h, const char *data, size_t len, size_t *used,
                  struct px_msg **msg_out);

/*
 * The stream ended. Returns LIVE_H1_MESSAGE with *msg_out when that ends a
 * message (a response body delimited by the close), LIVE_H1_OK when it
 * ended between messages, LIVE_H1_ETRUNCATED inside one (or the sticky
 * error). Later calls return LIVE_H1_OK; live_h1_parse may not follow.
 */
int live_h1_finish(struct live_h1 *h, struct px_msg **msg_out);

/* Responses: a request was sent on the connection (its method says whether a body will follow). */
void live_h1_expect(struct live_h1 *h, const char *method);

/* Whether the connection persists after the last whole message. */
static inline int live_h1_keep_alive(const struct live_h1 *h)
{
    return h->keep_alive;
}

/* HTTP version of the last whole message: 10 or 11. */
static inline int live_h1_version(const struct live_h1 *h)
{
    return h->version;
}

/* No message is partly parsed (bytes of one have not yet arrived). */
int live_h1_idle(const struct live_h1 *h);

/* A message is partly parsed and its head is whole: its body is arriving. */
int live_h1_in_body(const struct live_h1 *h);

/* Between messages: frees the scratch buffers (an idle connection keeps no memory but its own). */
void live_h1_trim(struct live_h1 *h);

/* "malformed HTTP/1.1"... for a LIVE_H1_E* code. */
const char *live_h1_strerror(int code);

/* The status a server answers a request that failed to parse with code (400, 413, 414, 431, 501,
 * 505). */
int live_h1_error_status(int code);

/* A new empty message, and its release (what live_h1_parse hands out). */
struct px_msg *live_msg_new(void);
void live_msg_free(struct px_msg *m);

/* Serialising flags. */
enum {
    LIVE_H1_CLOSE = 1u << 0,      /* "Connection: close" */
    LIVE_H1_KEEP_ALIVE = 1u << 1, /* "Connection: keep-alive" (for an HTTP/1.0 peer) */
    LIVE_H1_NO_BODY = 1u << 2,    /* the answer to a HEAD: Content-Length but no body */
};

/*
 * Appends m as HTTP/1.1 to out. A message whose body_bytes has no bytes
 * behind it (body NULL: a size only, as the simulator makes them) is
 * padded with spaces to its size.
 */
void live_h1_write(struct live_buf *out, const struct px_msg *m, unsigned flags);

#endif
