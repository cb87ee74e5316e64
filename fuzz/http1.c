/*
 * http1.c - fuzz target: the live runtime's HTTP/1.1 codec (live/http1.c),
 * requests and responses, parsed in pieces and written back.
 *
 * The first byte of the input is a choice, the rest the byte stream of
 * one connection:
 *   bit 0     requests (0: a server's side) or responses (1: a client's);
 *   bit 1     the default limits, or small ones (256 header bytes, 64 body
 *             bytes) so that the limits are reached;
 *   bits 2-3  responses: which answer a HEAD (none, the first, every
 *             other one, all); the codec is told of one request
 *             (live_h1_expect) whenever none is outstanding, as a client
 *             sends the next request when the last one was answered;
 *   bits 4-7  how the stream is cut into reads: 0 one byte at a time,
 *             otherwise pieces of pseudo-random sizes up to 2^(1 + n % 6).
 *
 * The stream is parsed twice, whole and cut, each time until an error or
 * its end (live_h1_finish). Every message that comes out is written with
 * live_h1_write into a transcript, with the end result; the two
 * transcripts must be the same (http1.h: "any split of the input gives the
 * same messages"). Each message of the whole parse is also written and
 * parsed again by a fresh codec, which must give back the same method,
 * path, query, authority, status and body.
 *
 * Not here: sockets, the live runtime's use of keep-alive and pipelining
 * (tests/live.sh), trailers (dropped by the codec).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "live/buf.h"
#include "live/http1.h"

struct opts {
    enum live_h1_kind kind;
    const struct live_h1_limits *lim;
    unsigned head;  /* 0 none, 1 the first, 2 every other, 3 all */
    unsigned split; /* 0: one byte at a time */
};

static const struct live_h1_limits small = {.header_bytes_max = 256, .body_bytes_max = 64};

/* Whether the i-th request (from 0) a response answers was a HEAD. */
static int is_head(const struct opts *o, unsigned i)
{
    return o->head == 3 || (o->head == 1 && i == 0) || (o->head == 2 && i % 2 == 1);
}

/* The next read's size. */
static size_t next_size(const struct opts *o, uint32_t *state)
{
    if (!o->split) return 1;
    *state ^= *state << 13; /* xorshift32 */
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return 1 + *state % (2u << (o->split % 6));
}

static int same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* The path as the writer puts it: origin-form starts with '/' ("*" stays). */
static int same_path(const char *parsed, const char *written)
{
    if (!parsed) parsed = "";
    if (parsed[0] != '/' && strcmp(parsed, "*"))
        return written[0] == '/' && same(parsed, written + 1);
    return same(parsed, written);
}

/* A written message parses again into the same one. */
static void roundtrip(const struct opts *o, const struct px_msg *m, int head)
{
    struct live_buf out;
    live_buf_init(&out);
    live_h1_write(&out, m, head ? LIVE_H1_NO_BODY : 0);
    struct live_h1 h;
    live_h1_init(&h, o->kind, NULL);
    if (o->kind == LIVE_H1_RESPONSE) live_h1_expect(&h, head ? "HEAD" : "GET");
    size_t used;
    struct px_msg *m2;
    int rc = live_h1_parse(&h, live_buf_head(&out), live_buf_size(&out), &used, &m2);
    FUZZ_CHECK(rc == LIVE_H1_MESSAGE, "a written message parses again");
    FUZZ_CHECK(used == live_buf_size(&out), "a written message is one message");
    if (o->kind == LIVE_H1_REQUEST) {
        FUZZ_CHECK(same(m->method, m2->method), "the method survives writing");
        FUZZ_CHECK(same_path(m->path, m2->path), "the path survives writing");
        FUZZ_CHECK(same(m->query, m2->query), "the query survives writing");
        FUZZ_CHECK(same(m->authority, m2->authority), "the authority survives writing");
    } else {
        FUZZ_CHECK(m->status == m2->status, "the status survives writing");
    }
    int bodiless = head || m->status == 204 || m->status == 304;
    if (!bodiless) {
        FUZZ_CHECK(m->body_bytes == m2->body_bytes, "the body's size survives writing");
        FUZZ_CHECK(!m->body_bytes || !memcmp(m->body, m2->body, m->body_bytes),
                   "the body survives writing");
    }
    live_msg_free(m2);
    live_h1_free(&h);
    live_buf_free(&out);
}

/* Notes a message in the transcript (and checks it survives writing). */
static void record(const struct opts *o, struct live_h1 *h, struct px_msg *m, unsigned i, int check,
                   struct live_buf *log)
{
    int head = o->kind == LIVE_H1_RESPONSE && is_head(o, i);
    char line[64];
    snprintf(line, sizeof line, "#%u keep-alive %d version %d\n", i, live_h1_keep_alive(h),
             live_h1_version(h));
    live_buf_append_str(log, line);
    unsigned flags = head ? LIVE_H1_NO_BODY : 0;
    flags |= live_h1_keep_alive(h) ? 0 : LIVE_H1_CLOSE;
    live_h1_write(log, m, flags);
    if (check) roundtrip(o, m, head);
    live_msg_free(m);
}

static void note_end(struct live_buf *log, const char *what, int rc)
{
    char line[64];
    snprintf(line, sizeof line, "%s %d\n", what, rc);
    live_buf_append_str(log, line);
}

/* Feeds one read to the codec; returns 0, or the error that ended the stream. */
static int feed(const struct opts *o, struct live_h1 *h, const char *p, size_t len, unsigned *msgs,
                unsigned *expected, int check, struct live_buf *log)
{
    while (len) {
        if (o->kind == LIVE_H1_RESPONSE && h->n_expected == 0)
            live_h1_expect(h, is_head(o, (*expected)++) ? "HEAD" : "GET");
        size_t used;
        struct px_msg *m;
        int rc = live_h1_parse(h, p, len, &used, &m);
        FUZZ_CHECK(used <= len, "the codec uses no more than it was given");
        if (rc < 0) return rc;
        if (rc == LIVE_H1_OK) {
            FUZZ_CHECK(used == len && !m, "without a message every byte is taken");
            return 0;
        }
        FUZZ_CHECK(rc == LIVE_H1_MESSAGE && m, "a message comes out");
        record(o, h, m, (*msgs)++, check, log);
        p += used;
        len -= used;
    }
    return 0;
}

/* Parses the whole stream (in one read, or cut) into a transcript. */
static void parse(const struct opts *o, const char *data, size_t size, int cut,
                  struct live_buf *log)
{
    struct live_h1 h;
    live_h1_init(&h, o->kind, o->lim);
    uint32_t state = 2654435761u * (o->split + 1);
    unsigned msgs = 0, expected = 0;
    int rc = 0;
    for (size_t off = 0; off < size && !rc;) {
        size_t n = cut ? next_size(o, &state) : size - off;
        if (n > size - off) n = size - off;
        rc = feed(o, &h, data + off, n, &msgs, &expected, !cut, log);
        off += n;
    }
    FUZZ_CHECK(msgs <= size, "each message takes at least one byte");
    if (rc) note_end(log, "error", rc);
    struct px_msg *m;
    int end = live_h1_finish(&h, &m);
    if (rc) FUZZ_CHECK(end == rc, "an error is sticky");
    if (end == LIVE_H1_MESSAGE) record(o, &h, m, msgs++, !cut, log);
    note_end(log, "end", end);
    int again = live_h1_finish(&h, &m);
    FUZZ_CHECK(!m && (again == LIVE_H1_OK || (end < 0 && again == end)),
               "finishing again gives nothing more");
    live_h1_free(&h);
}

static void show(const char *what, const struct live_buf *log)
{
    int n = live_buf_size(log) > 2000 ? 2000 : (int)live_buf_size(log);
    fprintf(stderr, "---- %s (%zu bytes)\n%.*s\n", what, live_buf_size(log), n,
            n ? live_buf_head(log) : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct opts o = {
        .kind = data[0] & 1 ? LIVE_H1_RESPONSE : LIVE_H1_REQUEST,
        .lim = data[0] & 2 ? &small : NULL,
        .head = (data[0] >> 2) & 3,
        .split = data[0] >> 4,
    };
    struct live_buf whole, cut;
    live_buf_init(&whole);
    live_buf_init(&cut);
    parse(&o, (const char *)data + 1, size - 1, 0, &whole);
    parse(&o, (const char *)data + 1, size - 1, 1, &cut);
    int differ = live_buf_size(&whole) != live_buf_size(&cut) ||
                 memcmp(live_buf_head(&whole), live_buf_head(&cut), live_buf_size(&whole));
    if (differ) {
        show("parsed whole", &whole);
        show("parsed in pieces", &cut);
    }
    FUZZ_CHECK(!differ, "any split of the input gives the same messages");
    live_buf_free(&whole);
    live_buf_free(&cut);
    return 0;
}
