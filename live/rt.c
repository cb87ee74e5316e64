/*
 * rt.c - the live runtime (see rt.h): px_rt_ops over libev and sockets.
 *
 * A connection (struct px_conn) lives from connect or accept until its
 * socket is closed AND its owner released it AND no callback of ours is on
 * the stack for it; only then is it freed (conn_maybe_free), so a callback
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
 */
#include "live/rt.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"

/* The timer of a px_timer is an ev_timer inside its state. */
static_assert(sizeof(ev_timer) <= sizeof(((struct px_timer *)0)->state),
              "ev_timer does not fit in px_timer.state");
static_assert(_Alignof(ev_timer) <= _Alignof(uint64_t), "ev_timer alignment");

#define READ_CHUNK   (16 * 1024)
#define IN_HIGH      (256 * 1024) /* stop reading above this many unparsed bytes */
#define ACCEPT_BURST 64           /* connections accepted per readiness event */

enum conn_state { C_CONNECTING, C_OPEN, C_CLOSING, C_DEAD };

/* Deferred work of a connection, told from the loop. */
enum { D_CONNECTED = 1u << 0, D_INPUT = 1u << 1, D_CLOSED = 1u << 2 };

struct px_conn {
    struct live_rt *rt;
    uint64_t id;
    int fd;
    int server; /* accepted: parses requests, writes responses */
    enum conn_state state;
    ev_io rio, wio;
    ev_timer timer; /* server: idle keep-alive; closing: the flush deadline */
    const struct px_conn_cbs *cbs;
    void *ctx;
    int quiet;    /* the owner hears nothing more */
    int released; /* the owner gave the handle back */
    int busy;     /* callbacks of ours on the stack for it */
    struct live_buf in, out;
    struct live_h1 h1;
    int no_more_input; /* the last request was read (it said close) */
    /* server: the request handed over and not yet answered */
    int waiting, req_head, req_close, req_keep_alive_10;
    char peer[64];
    uint32_t pend;
    int pend_status, pend_reason;
    int in_pend;
    struct px_conn *pend_next;
    struct px_conn *prev, *next;
};

static struct live_rt *rt_of(struct px_rt *rt)
{
    return (struct live_rt *)rt;
}

static void logf_(struct live_rt *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct live_rt *rt, const char *fmt, ...)
{
    if (!rt->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "faultline: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---------------------------------------------------------------- clock, random, timers */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t rt_now(struct px_rt *rt)
{
    return mono_ns() + rt_of(rt)->epoch_offset_ns;
}

static uint64_t rt_random(struct px_rt *rt)
{
    return fl_rng_next(&rt_of(rt)->rng);
}

static ev_timer *ev_timer_of(struct px_timer *t)
{
    return (ev_timer *)(void *)t->state;
}

static void timer_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct px_timer *t = w->data;
    struct live_rt *rt = ev_userdata(loop);
    t->cb(&rt->base, t->arg); /* t may be freed by now */
}

static void rt_timer_init(struct px_rt *rt, struct px_timer *t, px_timer_cb cb, void *arg)
{
    (void)rt;
    memset(t->state, 0, sizeof t->state);
    t->cb = cb;
    t->arg = arg;
    ev_timer *w = ev_timer_of(t);
    ev_init(w, timer_fire);
    w->data = t;
}

static void rt_timer_arm(struct px_rt *prt, struct px_timer *t, int64_t at_ns)
{
    struct live_rt *rt = rt_of(prt);
    ev_timer *w = ev_timer_of(t);
    FL_ASSERT(w->data == t); /* initialised, and not moved since */
    ev_timer_stop(rt->loop, w);
    /* libev counts from its cached loop time: bring it to now so the timer is not early */
    ev_now_update(rt->loop);
    int64_t after_ns = at_ns - rt_now(prt);
    ev_timer_set(w, after_ns > 0 ? (double)after_ns * 1e-9 : 0.0, 0.0);
    ev_timer_start(rt->loop, w);
}

static void rt_timer_cancel(struct px_rt *prt, struct px_timer *t)
{
    ev_timer_stop(rt_of(prt)->loop, ev_timer_of(t));
}

/* ---------------------------------------------------------------- deferred telling */

static void conn_maybe_free(struct px_conn *c);

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

static void pend_run(struct ev_loop *loop, ev_check *w, int revents)
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
        conn_maybe_free(c);
        c = next;
    }
}

static void pend_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
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

static struct px_conn *conn_new(struct live_rt *rt, int fd, int server)
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

static void conn_maybe_free(struct px_conn *c)
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
    logf_(c->rt, "conn %llu: bad request: %s", (unsigned long long)c->id, why);
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
                logf_(c->rt, "conn %llu: bad response: %s", (unsigned long long)c->id,
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
        logf_(rt, "conn %llu: %s", (unsigned long long)c->id, strerror(errno));
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
        logf_(rt, "conn %llu: connect: %s", (unsigned long long)c->id, strerror(err));
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
    conn_maybe_free(c);
}

/* Idle keep-alive (server) or the flush deadline (closing) expired. */
static void conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct px_conn *c = w->data;
    c->busy++;
    if (c->state == C_CLOSING) {
        logf_(c->rt, "conn %llu: peer does not read; reset", (unsigned long long)c->id);
        conn_end(c, PX_ETIMEDOUT, 1, 1);
    } else if (c->server && !c->waiting) {
        /* no request, or one that does not finish arriving (nginx: client_header_timeout) */
        logf_(c->rt, "conn %llu: idle, closed", (unsigned long long)c->id);
        conn_end(c, PX_ECLOSED, 0, 1);
    }
    c->busy--;
    conn_maybe_free(c);
}

/* ---------------------------------------------------------------- the proxy's calls */

static struct px_conn *rt_connect(struct px_rt *prt, uint64_t addr, const struct px_conn_cbs *cbs,
                                  void *ctx)
{
    struct live_rt *rt = rt_of(prt);
    const struct live_addr *a = live_rt_addr(rt, addr);
    FL_ASSERT(a); /* only addresses this runtime gave out */
    rt->st.connects++;
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct px_conn *c = conn_new(rt, fd, 0);
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
        logf_(rt, "conn %llu: connect %s: %s", (unsigned long long)c->id, a->name, strerror(e));
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
    logf_(rt, "conn %llu: connecting to %s", (unsigned long long)c->id, a->name);
    return c;
}

static void rt_conn_bind(struct px_rt *rt, struct px_conn *c, const struct px_conn_cbs *cbs,
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

static void rt_send(struct px_rt *prt, struct px_conn *c, struct px_msg *m)
{
    struct live_rt *rt = rt_of(prt);
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

static void rt_conn_close(struct px_rt *prt, struct px_conn *c)
{
    (void)prt;
    c->quiet = 1;
    conn_shutdown(c); /* what was sent is still written, then the socket closes */
}

static void rt_conn_reset(struct px_rt *prt, struct px_conn *c)
{
    (void)prt;
    c->quiet = 1;
    conn_kill(c, 1);
}

static void rt_conn_release(struct px_rt *prt, struct px_conn *c)
{
    (void)prt;
    FL_ASSERT(!c->released);
    FL_ASSERT(c->quiet); /* rt.h: only after close, reset, or being told it ended */
    c->released = 1;
    c->cbs = NULL;
    c->ctx = NULL;
    conn_maybe_free(c);
}

static const char *rt_conn_peer(struct px_rt *rt, struct px_conn *c)
{
    (void)rt;
    return c->peer;
}

static struct px_msg *rt_msg_new(struct px_rt *rt)
{
    (void)rt;
    return live_msg_new();
}

static void rt_msg_free(struct px_rt *rt, struct px_msg *m)
{
    (void)rt;
    live_msg_free(m);
}

static void rt_work(struct px_rt *rt, int64_t cost_ns, px_timer_cb cb, void *arg)
{
    (void)cost_ns; /* the CPU is real here: the work was done by the caller */
    cb(rt, arg);
}

static void rt_span(struct px_rt *prt, const struct px_span *s)
{
    struct live_rt *rt = rt_of(prt);
    if (!rt->verbose) return;
    char flags[64];
    logf_(rt, "span %s %s -> %s status %d %.3fms attempt %u flags %s", s->name ? s->name : "-",
          s->service ? s->service : "-", s->peer ? s->peer : "-", s->status,
          (double)(s->end_ns - s->start_ns) * 1e-6, s->attempt,
          px_flags_format(s->flags, flags, sizeof flags));
}

static void rt_event(struct px_rt *prt, const struct px_event *e)
{
    static const char *const names[] = {"eject", "uneject", "panic", "overflow", "ratelimit"};
    struct live_rt *rt = rt_of(prt);
    if ((unsigned)e->kind <= PX_EV_RATELIMIT) rt->st.events[e->kind]++;
    logf_(rt, "event %s proxy %s cluster %s host %s value %lld",
          (unsigned)e->kind <= PX_EV_RATELIMIT ? names[e->kind] : "?", e->proxy ? e->proxy : "-",
          e->cluster ? e->cluster : "-", e->host ? e->host : "-", (long long)e->value);
}

static const struct px_rt_ops live_ops = {
    .now = rt_now,
    .random = rt_random,
    .timer_init = rt_timer_init,
    .timer_arm = rt_timer_arm,
    .timer_cancel = rt_timer_cancel,
    .connect = rt_connect,
    .conn_bind = rt_conn_bind,
    .send = rt_send,
    .conn_close = rt_conn_close,
    .conn_reset = rt_conn_reset,
    .conn_release = rt_conn_release,
    .msg_new = rt_msg_new,
    .msg_free = rt_msg_free,
    .work = rt_work,
    .span = rt_span,
    .event = rt_event,
    .conn_peer = rt_conn_peer,
};

/* ---------------------------------------------------------------- the runtime */

uint64_t live_seed_random(void)
{
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, &seed, sizeof seed);
        close(fd);
        if (n == (ssize_t)sizeof seed) return seed;
    }
    uint64_t t = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32);
    return fl_splitmix64(&t);
}

void live_rt_init(struct live_rt *rt, struct ev_loop *loop, uint64_t seed, int verbose)
{
    memset(rt, 0, sizeof *rt);
    rt->base.ops = &live_ops;
    rt->loop = loop;
    rt->seed = seed;
    fl_rng_seed(&rt->rng, seed);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    rt->epoch_offset_ns = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec - mono_ns();
    rt->verbose = verbose;
    rt->limits.header_bytes_max = LIVE_H1_HEADER_BYTES_MAX;
    rt->limits.body_bytes_max = LIVE_H1_BODY_BYTES_MAX;
    rt->idle_timeout_ns = LIVE_IDLE_TIMEOUT_NS;
    ev_set_userdata(loop, rt);
    ev_check_init(&rt->pend_check, pend_run);
    ev_check_start(loop, &rt->pend_check);
    ev_unref(loop); /* the check alone does not keep the loop running */
    ev_idle_init(&rt->pend_idle, pend_idle_cb);
}

void live_rt_fini(struct live_rt *rt)
{
    while (rt->conns) {
        struct px_conn *c = rt->conns;
        conn_kill(c, 0);
        c->released = 1;
        c->busy = 0;
        c->in_pend = 0;
        conn_maybe_free(c);
    }
    rt->pend_head = rt->pend_tail = NULL;
    ev_ref(rt->loop);
    ev_check_stop(rt->loop, &rt->pend_check);
    ev_idle_stop(rt->loop, &rt->pend_idle);
    for (size_t i = 0; i < rt->n_addrs; i++) free(rt->addrs[i].name);
    free(rt->addrs);
    rt->addrs = NULL;
    rt->n_addrs = rt->cap_addrs = 0;
}

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
        conn_maybe_free(c);
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

/* ---------------------------------------------------------------- addresses */

int live_parse_hostport(const char *s, char **host, uint16_t *port, char **err)
{
    const char *colon, *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') goto bad;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) goto bad;
        hlen = (size_t)(colon - s);
        if (memchr(s, ':', hlen)) goto bad; /* an IPv6 address needs its brackets */
    }
    if (!hlen) goto bad;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p > 65535 || colon[1] == '-' || colon[1] == '+') goto bad;
    *host = fl_strndup(h, hlen);
    *port = (uint16_t)p;
    return 0;
bad:
    *err = fl_asprintf("'%s' is not HOST:PORT (e.g. 127.0.0.1:8000, [::1]:8000)", s);
    return -1;
}

/*
 * Resolves host:port. "localhost" (and names under .localhost) always means
 * the loopback address, as RFC 6761 section 6.3 says, whatever /etc/hosts
 * holds (a minimal system may have none).
 */
static int lookup(const char *host, uint16_t port, int passive, struct sockaddr_storage *sa,
                  socklen_t *len, char **err)
{
    size_t hl = host ? strlen(host) : 0;
    if (host &&
        (!strcasecmp(host, "localhost") || (hl > 10 && !strcasecmp(host + hl - 10, ".localhost"))))
        host = "127.0.0.1";
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc) {
        *err = fl_strdup(gai_strerror(rc)); /* the reason only: callers say what failed */
        return -1;
    }
    const struct addrinfo *pick = res;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    memcpy(sa, pick->ai_addr, pick->ai_addrlen);
    *len = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* live_rt_resolve, with *err the reason only ("Name or service not known"). */
static int resolve(struct live_rt *rt, const char *host, uint16_t port, uint64_t *addr, char **err)
{
    if (!port) port = 80;
    char *name = fl_asprintf("%s:%u", host, (unsigned)port);
    for (size_t i = 0; i < rt->n_addrs; i++)
        if (!strcmp(rt->addrs[i].name, name)) {
            free(name);
            *addr = i + 1;
            return 0;
        }
    struct live_addr a = {.name = name};
    if (lookup(host, port, 0, &a.sa, &a.len, err)) {
        free(name);
        return -1;
    }
    FL_GROW(rt->addrs, rt->cap_addrs, rt->n_addrs + 1);
    rt->addrs[rt->n_addrs++] = a;
    *addr = rt->n_addrs;
    return 0;
}

int live_rt_resolve(struct live_rt *rt, const char *host, uint16_t port, uint64_t *addr, char **err)
{
    if (!resolve(rt, host, port, addr, err)) return 0;
    char *why = *err;
    *err = fl_asprintf("cannot resolve '%s': %s", host, why);
    free(why);
    return -1;
}

const struct live_addr *live_rt_addr(const struct live_rt *rt, uint64_t addr)
{
    return addr >= 1 && addr <= rt->n_addrs ? &rt->addrs[addr - 1] : NULL;
}

static int resolve_cb(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                      size_t *n, char **err)
{
    struct live_rt *rt = arg;
    uint64_t addr;
    if (resolve(rt, host, port, &addr, err)) return -1; /* the caller names the host */
    struct px_endpoint_cfg *e = fl_calloc(1, sizeof *e);
    e->name = fl_strdup(rt->addrs[addr - 1].name);
    e->addr = addr;
    e->weight = 1;
    *eps = e;
    *n = 1;
    return 0;
}

struct px_resolver live_rt_resolver(struct live_rt *rt)
{
    struct px_resolver r = {resolve_cb, rt};
    return r;
}

/* ---------------------------------------------------------------- listening */

struct live_listener {
    struct live_rt *rt;
    int fd;
    ev_io io;
    ev_timer pause; /* out of file descriptors: accept again a little later */
    live_accept_cb cb;
    void *arg;
    char name[80];
};

static void sockaddr_text(const struct sockaddr_storage *sa, char *ip, size_t ip_size,
                          uint16_t *port)
{
    const void *a;
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        a = &s6->sin6_addr;
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        a = &s4->sin_addr;
        *port = ntohs(s4->sin_port);
    }
    if (!inet_ntop(sa->ss_family, a, ip, (socklen_t)ip_size)) snprintf(ip, ip_size, "?");
}

static void accept_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct live_listener *l = w->data;
    struct live_rt *rt = l->rt;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int fd = accept4(l->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                logf_(rt, "accept: %s; pausing 100ms", strerror(errno));
                ev_io_stop(loop, &l->io);
                ev_timer_set(&l->pause, 0.1, 0.0);
                ev_timer_start(loop, &l->pause);
            }
            return; /* EAGAIN, or an aborted connection */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct px_conn *c = conn_new(rt, fd, 1);
        uint16_t port;
        sockaddr_text(&sa, c->peer, sizeof c->peer, &port);
        c->state = C_OPEN;
        rt->st.accepted++;
        logf_(rt, "conn %llu: accepted from %s:%u", (unsigned long long)c->id, c->peer,
              (unsigned)port);
        if (rt->idle_timeout_ns > 0) {
            c->timer.repeat = (double)rt->idle_timeout_ns * 1e-9;
            ev_timer_again(loop, &c->timer);
        }
        ev_io_start(loop, &c->rio);
        c->busy++;
        l->cb(l->arg, c);
        c->busy--;
        conn_maybe_free(c);
    }
}

static void accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct live_listener *l = w->data;
    ev_io_start(loop, &l->io);
}

int live_listen(struct live_rt *rt, const char *hostport, live_accept_cb cb, void *arg,
                struct live_listener **out, char **err)
{
    char *host;
    uint16_t port;
    if (live_parse_hostport(hostport, &host, &port, err)) return -1;
    struct sockaddr_storage sa;
    socklen_t len;
    int rc = lookup(host, port, 1, &sa, &len, err);
    if (rc) {
        char *why = *err;
        *err = fl_asprintf("cannot listen on %s: %s", hostport, why);
        free(why);
    }
    free(host);
    if (rc) return -1;
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        *err = fl_asprintf("cannot listen on %s: %s", hostport, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    struct live_listener *l = fl_calloc(1, sizeof *l);
    l->rt = rt;
    l->fd = fd;
    l->cb = cb;
    l->arg = arg;
    len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[INET6_ADDRSTRLEN];
    sockaddr_text(&sa, ip, sizeof ip, &port);
    snprintf(l->name, sizeof l->name, sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
             (unsigned)port);
    ev_io_init(&l->io, accept_ready, fd, EV_READ);
    l->io.data = l;
    ev_init(&l->pause, accept_resume);
    l->pause.data = l;
    ev_io_start(rt->loop, &l->io);
    *out = l;
    return 0;
}

const char *live_listener_name(const struct live_listener *l)
{
    return l->name;
}

void live_listener_close(struct live_listener *l)
{
    if (!l) return;
    ev_io_stop(l->rt->loop, &l->io);
    ev_timer_stop(l->rt->loop, &l->pause);
    close(l->fd);
    free(l);
}
