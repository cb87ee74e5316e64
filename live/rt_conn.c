/*
 * rt_conn.c - the live runtime's connections (see rt.h): struct px_conn
 * over a non-blocking TCP socket with its buffers and HTTP/1.1 codec, its
 * lifecycle, the px_rt_ops entries that act on connections (connect,
 * conn_bind, send, conn_close, conn_reset, conn_release, conn_peer), and
 * draining or closing them all.
 *
 * A connection (struct px_conn) lives from connect or accept until its
 * socket is closed AND its owner released it AND no callback of ours is on
 * the stack for it; only then is it freed (live_conn_maybe_free), so a callback
 * may close and release the connection it was called for. Its states:
 *
 *   CONNECTING --(writable: SO_ERROR 0)--> OPEN --(owner close, bytes left)--> CLOSING
 *        |                                  |                                     |
 *        +--(refused, timed out)--> DEAD <--+--(EOF, error, reset, close)---------+
 *
 * `quiet` is set once the owner may hear nothing more: it closed or reset
 * the connection, or was told it ended (connected with an error, or
 * closed). What arises inside a function the proxy called is not told
 * there: the connection is queued (pend_*) and told from an ev_check
 * watcher, an ev_idle keeping the loop from sleeping meanwhile. What arises
 * in an I/O or timer callback is told at once.
 *
 * Reading parses what arrives with live/http1.h (stopping above IN_HIGH
 * unparsed bytes); a server connection hands over one request at a time.
 * Writing buffers, and flushes as the socket takes it.
 *
 * Not here: accepting (rt_listen.c), resolving addresses (rt_addr.c), the
 * ops table (rt.c); TLS, HTTP/2, connection limits.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "live/rt_internal.h"

#define READ_CHUNK (16 * 1024)
#define IN_HIGH    (256 * 1024) /* stop reading above this many unparsed bytes */

/* Deferred work of a connection, told from the loop. */
enum { D_CONNECTED = 1u << 0, D_INPUT = 1u << 1, D_CLOSED = 1u << 2 };

/* ---------------------------------------------------------------- deferred telling */

static void pend(struct px_conn *c, uint32_t what)
{
    struct live_rt *rt = c->rt;
    c->pend |= what;
    if (c->in_pend) return;
    c->in_pend = 1;
    c->pend_next = NULL;
    if (rt->pend_tail)
        rt->pend_tail->pend_next = c;
    else
        rt->pend_head = c;
    rt->pend_tail = c;
    if (!ev_is_active(&rt->pend_idle)) ev_idle_start(rt->loop, &rt->pend_idle);
}

static void tell_connected(struct px_conn *c, int status)
{
    if (c->quiet) return;
    if (status != PX_OK) c->quiet = 1;
    if (c->cbs && c->cbs->connected) {
        c->cbs->connected(c->ctx, c, status);
    } else if (status != PX_OK && c->cbs && c->cbs->closed) {
        c->cbs->closed(c->ctx, c, status);
    }
}

static void tell_closed(struct px_conn *c, int reason)
{
    if (c->quiet) return;
    c->quiet = 1;
    if (c->cbs && c->cbs->closed) c->cbs->closed(c->ctx, c, reason);
}

static void process_input(struct px_conn *c);

void live_pend_run(struct ev_loop *loop, ev_check *w, int revents)
{
    (void)w;
    (void)revents;
    struct live_rt *rt = ev_userdata(loop);
    /* what is queued while this runs waits for the next turn of the loop */
    struct px_conn *c = rt->pend_head;
    rt->pend_head = rt->pend_tail = NULL;
    ev_idle_stop(loop, &rt->pend_idle);
    while (c) {
        struct px_conn *next = c->pend_next;
        uint32_t what = c->pend;
        c->pend = 0;
        c->in_pend = 0;
        c->busy++;
        if (what & D_CONNECTED) tell_connected(c, c->pend_status);
        if ((what & D_INPUT) && c->state == C_OPEN) process_input(c);
        if (what & D_CLOSED) tell_closed(c, c->pend_reason);
        c->busy--;
        live_conn_maybe_free(c);
        c = next;
    }
}

void live_pend_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents; /* only keeps the loop from sleeping while something is queued */
}

/* ---------------------------------------------------------------- connections */

/*
 * A socket error as the proxy code knows them: timed out and refused as
 * such; anything else failing a connect counts as refused (unreachable,
 * out of descriptors), and anything else later as a reset (ECONNRESET,
 * EPIPE after the peer's RST).
 */
static int map_errno(int e, int connecting)
{
    if (e == ETIMEDOUT) return PX_ETIMEDOUT;
    if (e == ECONNREFUSED) return PX_ECONNREFUSED;
    return connecting ? PX_ECONNREFUSED : PX_ERESET;
}

static void conn_io(struct ev_loop *loop, ev_io *w, int revents);
static void conn_timer(struct ev_loop *loop, ev_timer *w, int revents);

struct px_conn *live_conn_new(struct live_rt *rt, int fd, int server)
{
    struct px_conn *c = fl_calloc(1, sizeof *c);
    c->rt = rt;
    c->id = ++rt->next_id;
    c->fd = fd;
    c->server = server;
    live_buf_init(&c->in);
    live_buf_init(&c->out);
    live_h1_init(&c->h1, server ? LIVE_H1_REQUEST : LIVE_H1_RESPONSE, &rt->limits);
    ev_io_init(&c->rio, conn_io, fd, EV_READ);
    ev_io_init(&c->wio, conn_io, fd, EV_WRITE);
    c->rio.data = c->wio.data = c;
    ev_init(&c->timer, conn_timer);
    c->timer.data = c;
    c->next = rt->conns;
    if (rt->conns) rt->conns->prev = c;
    rt->conns = c;
    rt->n_conns++;
    return c;
}

/* Closes the socket (abortively with reset); the connection is DEAD, its owner not yet told. */
static void conn_kill(struct px_conn *c, int reset)
{
    struct live_rt *rt = c->rt;
    if (c->state == C_DEAD) return;
    ev_io_stop(rt->loop, &c->rio);
    ev_io_stop(rt->loop, &c->wio);
    ev_timer_stop(rt->loop, &c->timer);
    if (reset) {
        struct linger l = {1, 0}; /* close sends a RST */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(c->fd);
    c->fd = -1;
    c->state = C_DEAD;
    live_buf_free(&c->out);
    live_buf_free(&c->in);
}

void live_conn_maybe_free(struct px_conn *c)
{
    if (!c->released || c->state != C_DEAD || c->busy || c->in_pend) return;
    struct live_rt *rt = c->rt;
    if (c->prev)
        c->prev->next = c->next;
    else
        rt->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    rt->n_conns--;
    live_h1_free(&c->h1);
    free(c);
}

/*
 * The connection ended under its owner: closed now, owner told at once
 * (from a loop callback) or from the loop (inside a function the proxy
 * called).
 */
static void conn_end(struct px_conn *c, int reason, int reset, int now)
{
    conn_kill(c, reset);
    if (c->quiet) return;
    if (now) {
        tell_closed(c, reason);
    } else {
        c->pend_reason = reason;
        pend(c, D_CLOSED);
    }
}

static void read_start(struct px_conn *c)
{
    if (c->state == C_OPEN && !c->no_more_input && live_buf_size(&c->in) < IN_HIGH)
        ev_io_start(c->rt->loop, &c->rio);
}

/* Writes what the socket takes. Returns 0, or an errno. Finishes a close once all is written. */
static int flush(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    while (live_buf_size(&c->out)) {
        ssize_t n = send(c->fd, live_buf_head(&c->out), live_buf_size(&c->out), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ev_io_start(rt->loop, &c->wio);
            return 0;
        }
        if (n < 0) return errno;
        live_buf_consume(&c->out, (size_t)n);
    }
    ev_io_stop(rt->loop, &c->wio);
    return 0;
}

/* After a flush: whether a closing connection has written everything. */
static int flushed_and_done(const struct px_conn *c)
{
    return c->state == C_CLOSING && !live_buf_size(&c->out);
}

/*
 * Stops reading; closes once what is buffered is written (within
 * LIVE_FLUSH_TIMEOUT_NS, else with a reset). The owner is not told here.
 */
static void conn_shutdown(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    if (c->state == C_DEAD || c->state == C_CLOSING) return;
    if (c->state == C_CONNECTING || !live_buf_size(&c->out)) {
        conn_kill(c, 0);
        return;
    }
    c->state = C_CLOSING;
    ev_io_stop(rt->loop, &c->rio);
    ev_io_start(rt->loop, &c->wio);
    ev_timer_stop(rt->loop, &c->timer);
    ev_timer_set(&c->timer, (double)LIVE_FLUSH_TIMEOUT_NS * 1e-9, 0.0);
    ev_timer_start(rt->loop, &c->timer);
}

/* ---------------------------------------------------------------- reading */

/* A request the codec refused: answer its status, then close. */
static void refuse_request(struct px_conn *c, int code)
{
    struct px_msg m;
    px_msg_init(&m);
    m.status = live_h1_error_status(code);
    const char *why = live_h1_strerror(code);
    m.body = (const uint8_t *)why;
    m.body_bytes = strlen(why);
    px_msg_add_header_static(&m, "Content-Type", "text/plain");
    live_h1_write(&c->out, &m, LIVE_H1_CLOSE);
    px_msg_clear(&m);
    c->rt->st.bad_requests++;
    live_logf(c->rt, "conn %llu: bad request: %s", (unsigned long long)c->id, why);
}

static void deliver(struct px_conn *c, struct px_msg *m)
{
    if (c->cbs && c->cbs->message)
        c->cbs->message(c->ctx, c, m);
    else
        live_msg_free(m);
}

/* A request arrived: note what its response must say, then hand it over. */
static void deliver_request(struct px_conn *c, struct px_msg *m)
{
    c->rt->st.requests_in++;
    c->waiting = 1;
    c->req_head = m->method && !strcmp(m->method, "HEAD");
    c->req_close = !live_h1_keep_alive(&c->h1);
    c->req_keep_alive_10 = !c->req_close && live_h1_version(&c->h1) == 10;
    if (c->req_close) {
        c->no_more_input = 1; /* RFC 9112 section 9.6: nothing after a close is read */
        ev_io_stop(c->rt->loop, &c->rio);
    }
    ev_timer_stop(c->rt->loop, &c->timer);
    deliver(c, m);
}

/* A response arrived; if the connection does not persist, it ends after it. */
static void deliver_response(struct px_conn *c, struct px_msg *m)
{
    c->rt->st.responses_in++;
    int keep = live_h1_keep_alive(&c->h1);
    deliver(c, m);
    if (!keep && c->state != C_DEAD) conn_end(c, PX_ECLOSED, 0, 1);
}

/* Parses and hands over what the input holds (one request at a time on a server connection). */
static void process_input(struct px_conn *c)
{
    while (c->state == C_OPEN && !c->quiet && live_buf_size(&c->in)) {
        if (c->server && (c->waiting || c->no_more_input)) break;
        size_t used;
        struct px_msg *m;
        int rc = live_h1_parse(&c->h1, live_buf_head(&c->in), live_buf_size(&c->in), &used, &m);
        if (rc < 0) {
            if (c->server) {
                refuse_request(c, rc);
                c->no_more_input = 1;
                if (flush(c))
                    conn_kill(c, 1);
                else
                    conn_shutdown(c);
                tell_closed(c, PX_ECLOSED); /* the owner is done with it; the answer goes on */
            } else {
                live_logf(c->rt, "conn %llu: bad response: %s", (unsigned long long)c->id,
                          live_h1_strerror(rc));
                conn_end(c, PX_ERESET, 1, 1);
            }
            return;
        }
        live_buf_consume(&c->in, used);
        if (rc == LIVE_H1_OK) break;
        if (c->server)
            deliver_request(c, m);
        else
            deliver_response(c, m);
    }
    read_start(c);
}

static void on_eof(struct px_conn *c)
{
    if (!c->server) {
        struct px_msg *m;
        /* a response delimited by the end of the stream is whole now */
        if (live_h1_finish(&c->h1, &m) == LIVE_H1_MESSAGE) deliver_response(c, m);
    }
    if (c->state != C_DEAD) conn_end(c, PX_ECLOSED, 0, 1);
}

static void on_readable(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    char *p = live_buf_reserve(&c->in, READ_CHUNK);
    ssize_t n = recv(c->fd, p, READ_CHUNK, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        live_logf(rt, "conn %llu: %s", (unsigned long long)c->id, strerror(errno));
        conn_end(c, map_errno(errno, 0), 0, 1);
        return;
    }
    if (n == 0) {
        on_eof(c);
        return;
    }
    live_buf_commit(&c->in, (size_t)n);
    if (c->server && !c->waiting && c->rt->idle_timeout_ns > 0) ev_timer_again(rt->loop, &c->timer);
    if (live_buf_size(&c->in) >= IN_HIGH) ev_io_stop(rt->loop, &c->rio);
    process_input(c);
}

/* ---------------------------------------------------------------- writing and connecting */

static void on_connect_done(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err) {
        rt->st.connect_failures++;
        live_logf(rt, "conn %llu: connect: %s", (unsigned long long)c->id, strerror(err));
        conn_kill(c, 0);
        tell_connected(c, map_errno(err, 1));
        return;
    }
    c->state = C_OPEN;
    ev_io_stop(rt->loop, &c->wio);
    read_start(c);
    if (live_buf_size(&c->out)) {
        int e = flush(c);
        if (e) {
            conn_end(c, map_errno(e, 0), 0, 1);
            return;
        }
    }
    tell_connected(c, PX_OK);
}

static void on_writable(struct px_conn *c)
{
    if (c->state == C_CONNECTING) {
        on_connect_done(c);
        return;
    }
    int e = flush(c);
    if (e) {
        conn_end(c, map_errno(e, 0), 0, 1);
        return;
    }
    if (flushed_and_done(c)) conn_end(c, PX_ECLOSED, 0, 1);
}

static void conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct px_conn *c = w->data;
    c->busy++;
    if ((revents & EV_WRITE) && c->state != C_DEAD) on_writable(c);
    if ((revents & EV_READ) && c->state == C_OPEN) on_readable(c);
    c->busy--;
    live_conn_maybe_free(c);
}

/* Idle keep-alive (server) or the flush deadline (closing) expired. */
static void conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct px_conn *c = w->data;
    c->busy++;
    if (c->state == C_CLOSING) {
        live_logf(c->rt, "conn %llu: peer does not read; reset", (unsigned long long)c->id);
        conn_end(c, PX_ETIMEDOUT, 1, 1);
    } else if (c->server && !c->waiting) {
        /* no request, or one that does not finish arriving (nginx: client_header_timeout) */
        live_logf(c->rt, "conn %llu: idle, closed", (unsigned long long)c->id);
        conn_end(c, PX_ECLOSED, 0, 1);
    }
    c->busy--;
    live_conn_maybe_free(c);
}

/* ---------------------------------------------------------------- the proxy's calls */

struct px_conn *live_op_connect(struct px_rt *prt, uint64_t addr, const struct px_conn_cbs *cbs,
                                void *ctx)
{
    struct live_rt *rt = live_rt_of(prt);
    const struct live_addr *a = live_rt_addr(rt, addr);
    FL_ASSERT(a); /* only addresses this runtime gave out */
    rt->st.connects++;
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct px_conn *c = live_conn_new(rt, fd, 0);
    c->cbs = cbs;
    c->ctx = ctx;
    snprintf(c->peer, sizeof c->peer, "%s", a->name);
    int e = 0;
    if (fd < 0) {
        e = errno;
    } else {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0 && errno != EINPROGRESS)
            e = errno;
    }
    if (e) {
        rt->st.connect_failures++;
        live_logf(rt, "conn %llu: connect %s: %s", (unsigned long long)c->id, a->name, strerror(e));
        if (fd >= 0) {
            c->state = C_CONNECTING;
            conn_kill(c, 0);
        } else {
            c->state = C_DEAD;
        }
        c->pend_status = map_errno(e, 1);
        pend(c, D_CONNECTED);
        return c;
    }
    c->state = C_CONNECTING;
    ev_io_start(rt->loop, &c->wio); /* writable: the handshake is over, one way or the other */
    live_logf(rt, "conn %llu: connecting to %s", (unsigned long long)c->id, a->name);
    return c;
}

void live_op_conn_bind(struct px_rt *rt, struct px_conn *c, const struct px_conn_cbs *cbs,
                       void *ctx)
{
    (void)rt;
    c->cbs = cbs;
    c->ctx = ctx;
}

/* Server side: the flags of the response to the request handed over. */
static unsigned response_flags(struct px_conn *c)
{
    unsigned flags = 0;
    if (c->req_close || c->rt->draining)
        flags |= LIVE_H1_CLOSE;
    else if (c->req_keep_alive_10)
        flags |= LIVE_H1_KEEP_ALIVE;
    if (c->req_head) flags |= LIVE_H1_NO_BODY;
    return flags;
}

void live_op_send(struct px_rt *prt, struct px_conn *c, struct px_msg *m)
{
    struct live_rt *rt = live_rt_of(prt);
    if (c->quiet || (c->state != C_OPEN && c->state != C_CONNECTING)) {
        live_msg_free(m); /* the connection is over: the owner hears it (or did) */
        return;
    }
    rt->st.messages_out++;
    if (c->server) {
        unsigned flags = response_flags(c);
        live_h1_write(&c->out, m, flags);
        if (flags & LIVE_H1_CLOSE) c->no_more_input = 1;
        c->waiting = 0;
        c->req_head = c->req_close = c->req_keep_alive_10 = 0;
    } else {
        live_h1_expect(&c->h1, m->method);
        live_h1_write(&c->out, m, 0);
    }
    live_msg_free(m);
    if (c->state == C_CONNECTING) return; /* written once connected */
    int e = flush(c);
    if (e) {
        conn_end(c, map_errno(e, 0), 0, 0);
        return;
    }
    if (c->server && c->no_more_input) {
        /* the last response: close once written, then tell the owner */
        conn_shutdown(c);
        if (c->state == C_DEAD && !c->quiet) {
            c->pend_reason = PX_ECLOSED;
            pend(c, D_CLOSED);
        }
        return;
    }
    if (c->server) {
        if (rt->idle_timeout_ns > 0) ev_timer_again(rt->loop, &c->timer);
        if (live_buf_size(&c->in)) pend(c, D_INPUT); /* a pipelined request is next */
        read_start(c);
    }
}

void live_op_conn_close(struct px_rt *prt, struct px_conn *c)
{
    (void)prt;
    c->quiet = 1;
    conn_shutdown(c); /* what was sent is still written, then the socket closes */
}

void live_op_conn_reset(struct px_rt *prt, struct px_conn *c)
{
    (void)prt;
    c->quiet = 1;
    conn_kill(c, 1);
}

void live_op_conn_release(struct px_rt *prt, struct px_conn *c)
{
    (void)prt;
    FL_ASSERT(!c->released);
    FL_ASSERT(c->quiet); /* rt.h: only after close, reset, or being told it ended */
    c->released = 1;
    c->cbs = NULL;
    c->ctx = NULL;
    live_conn_maybe_free(c);
}

const char *live_op_conn_peer(struct px_rt *rt, struct px_conn *c)
{
    (void)rt;
    return c->peer;
}

/* ---------------------------------------------------------------- shutting down */

/*
 * Runs fn on every connection there is now, each held busy meanwhile, so
 * that callbacks may close and release any of them (new ones are not
 * visited).
 */
static size_t each_conn(struct live_rt *rt, int (*fn)(struct px_conn *c))
{
    size_t n = 0;
    struct px_conn *first = rt->conns; /* new connections go in front of it */
    for (struct px_conn *c = first; c; c = c->next) c->busy++;
    for (struct px_conn *c = first; c; c = c->next) n += (size_t)fn(c);
    struct px_conn *c = first;
    while (c) {
        struct px_conn *next = c->next;
        c->busy--;
        live_conn_maybe_free(c);
        c = next;
    }
    return n;
}

static int drain_one(struct px_conn *c)
{
    if (!c->server || c->quiet || c->state != C_OPEN || c->waiting) return 0;
    conn_end(c, PX_ECLOSED, 0, 1);
    return 1;
}

void live_rt_drain(struct live_rt *rt)
{
    rt->draining = 1;
    each_conn(rt, drain_one);
}

static int close_one(struct px_conn *c)
{
    if (c->quiet) return 0;
    conn_end(c, PX_ECLOSED, 0, 1);
    return 1;
}

size_t live_rt_close_all(struct live_rt *rt)
{
    return each_conn(rt, close_one);
}

size_t live_rt_flushing(const struct live_rt *rt)
{
    size_t n = 0;
    for (const struct px_conn *c = rt->conns; c; c = c->next) n += c->state == C_CLOSING;
    return n;
}

/* Closes every connection without telling anyone, and frees it (live_rt_fini). */
void live_conn_free_all(struct live_rt *rt)
{
    while (rt->conns) {
        struct px_conn *c = rt->conns;
        conn_kill(c, 0);
        c->released = 1;
        c->busy = 0;
        c->in_pend = 0;
        live_conn_maybe_free(c);
    }
    rt->pend_head = rt->pend_tail = NULL;
}
