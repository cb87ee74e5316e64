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
 * An open server connection is in one phase (rt_internal.h: idle, head,
 * body, wait), recomputed after each read and each response
 * (phase_update); the connection's timer is the deadline of its phase,
 * armed when the phase changes and never pushed back by bytes arriving,
 * so that a trickle cannot keep a connection (rt.h). An idle connection
 * is on the idle lists of rt_limit.c and holds no buffers. A refused
 * request (the codec's error or a deadline) is answered, and the
 * connection lingers: CLOSING with its write side shut once the answer is
 * out, reading and dropping until EOF or LIVE_LINGER_TIMEOUT_NS.
 *
 * An upstream response over the limits is replaced by a 502 (rt.h).
 *
 * A TLS connection (c->tls) reads and writes through live/tls.c in place
 * of recv and send; until its handshake is over, each readiness of its
 * socket is a handshake step (on_handshake), and a graceful close sends
 * close_notify first.
 *
 * Not here: accepting (rt_listen.c), resolving addresses (rt_addr.c), the
 * ops table (rt.c), counting connections (rt_limit.c), TLS itself
 * (tls.c); HTTP/2.
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
#define NS_S       1e-9         /* ns to libev's seconds */

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
    struct live_h1_limits lim = rt->lim.request;
    if (!server) lim.body_bytes_max = rt->lim.response_body_bytes_max; /* an upstream's answer */
    live_h1_init(&c->h1, server ? LIVE_H1_REQUEST : LIVE_H1_RESPONSE, &lim);
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

/* A server connection leaves its phase (it is closing): off the idle lists, no deadline. */
static void phase_leave(struct px_conn *c)
{
    if (c->phase == PH_IDLE) live_idle_remove(c);
    c->phase = PH_NONE;
}

/* Closes the socket (abortively with reset); the connection is DEAD, its owner not yet told. */
static void conn_kill(struct px_conn *c, int reset)
{
    struct live_rt *rt = c->rt;
    if (c->state == C_DEAD) return;
    phase_leave(c);
    live_limit_detach(c);
    c->lingering = 0;
    ev_io_stop(rt->loop, &c->rio);
    ev_io_stop(rt->loop, &c->wio);
    ev_timer_stop(rt->loop, &c->timer);
    if (reset) {
        struct linger l = {1, 0}; /* close sends a RST */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else {
        live_tls_close_notify(c);
    }
    live_tls_detach(c);
    close(c->fd);
    c->fd = -1;
    c->state = C_DEAD;
    live_buf_free(&c->out);
    live_buf_free(&c->in);
    FL_ASSERT(!c->ip && c->phase == PH_NONE);
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

/* ---------------------------------------------------------------- phases and deadlines */

/* What an open server connection waits for now. */
static enum conn_phase phase_of(const struct px_conn *c)
{
    FL_ASSERT(c->server && c->state == C_OPEN);
    if (c->waiting || c->no_more_input) return PH_WAIT;
    if (!live_h1_idle(&c->h1)) return live_h1_in_body(&c->h1) ? PH_BODY : PH_HEAD;
    if (live_buf_size(&c->in)) return PH_HEAD;
    return live_buf_size(&c->out) ? PH_WRITE : PH_IDLE; /* not idle while its answer goes out */
}

/* Seconds from now to the deadline of phase ph, or 0 for none. */
static double phase_timeout_s(const struct px_conn *c, enum conn_phase ph)
{
    FL_ASSERT(ph != PH_NONE);
    const struct live_limits *lim = &c->rt->lim;
    if (c->fresh && lim->header_timeout_ns > 0 && (ph == PH_IDLE || ph == PH_HEAD)) {
        /* nginx: client_header_timeout is armed at the accept (ngx_http_init_connection) */
        double left = c->fresh_deadline_s - ev_now(c->rt->loop);
        return left > 1e-3 ? left : 1e-3;
    }
    int64_t ns = ph == PH_IDLE || ph == PH_WRITE ? lim->idle_timeout_ns
                 : ph == PH_HEAD                 ? lim->header_timeout_ns
                 : ph == PH_BODY                 ? lim->body_timeout_ns
                                                 : 0;
    return ns > 0 ? (double)ns * NS_S : 0.0;
}

/*
 * Moves an open server connection to phase ph: off or onto the idle
 * lists, and its timer set to the new phase's deadline. Only a change of
 * phase sets the timer: bytes that keep a connection in its phase do not
 * push its deadline back.
 */
static void phase_enter(struct px_conn *c, enum conn_phase ph)
{
    struct live_rt *rt = c->rt;
    FL_ASSERT(c->server && c->state == C_OPEN && ph != PH_NONE);
    if (ph == c->phase) return;
    if (c->phase == PH_IDLE) live_idle_remove(c);
    c->phase = ph;
    ev_timer_stop(rt->loop, &c->timer);
    if (ph == PH_IDLE) {
        live_idle_add(c);
        /* nothing is kept for an idle connection (nginx frees a kept-alive one's buffers) */
        if (!live_buf_size(&c->in)) live_buf_free(&c->in);
        if (!live_buf_size(&c->out)) live_buf_free(&c->out);
        live_h1_trim(&c->h1);
    }
    double after = phase_timeout_s(c, ph);
    if (after <= 0) return;
    ev_timer_set(&c->timer, after, 0.0);
    ev_timer_start(rt->loop, &c->timer);
}

/* After a read or a response: the phase the server connection is in now. */
static void phase_update(struct px_conn *c)
{
    if (!c->server || c->state != C_OPEN || c->quiet) return;
    phase_enter(c, phase_of(c));
}

void live_conn_start_server(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    FL_ASSERT(c->server && c->state == C_CONNECTING && c->ip); /* as live_conn_new left it */
    c->state = C_OPEN;
    c->fresh = 1;
    c->fresh_deadline_s = ev_now(rt->loop) + (double)rt->lim.header_timeout_ns * NS_S;
    ev_io_start(rt->loop, &c->rio);
    phase_update(c);
}

/* send(2), or its TLS counterpart. */
static ssize_t conn_send(struct px_conn *c, const void *buf, size_t len)
{
    return c->tls ? live_tls_send(c, buf, len) : send(c->fd, buf, len, MSG_NOSIGNAL);
}

/* recv(2), or its TLS counterpart. */
static ssize_t conn_recv(struct px_conn *c, void *buf, size_t len)
{
    return c->tls ? live_tls_recv(c, buf, len) : recv(c->fd, buf, len, 0);
}

/* Writes what the socket takes. Returns 0, or an errno. Finishes a close once all is written. */
static int flush(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    if (c->tls && !live_tls_established(c)) return 0; /* written once the handshake is over */
    while (live_buf_size(&c->out)) {
        ssize_t n = conn_send(c, live_buf_head(&c->out), live_buf_size(&c->out));
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
 * Once a closing server connection's answer is written: shuts the write
 * side (the client reads the end of its answer) and reads and drops what
 * it still sends, until EOF or LIVE_LINGER_TIMEOUT_NS (nginx's
 * lingering_close, lingering_timeout), so that the close does not come
 * with unread bytes, which would reset the connection and could destroy
 * the answer in the client's receive queue before it was read.
 */
static void linger_start(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    FL_ASSERT(c->state == C_CLOSING && c->linger && !live_buf_size(&c->out));
    if (c->lingering) return;
    c->lingering = 1;
    if (!c->quiet) { /* the owner is done with it: its last answer is out */
        c->pend_reason = PX_ECLOSED;
        pend(c, D_CLOSED);
    }
    live_tls_close_notify(c);
    shutdown(c->fd, SHUT_WR);
    ev_io_stop(rt->loop, &c->wio);
    ev_io_start(rt->loop, &c->rio);
    ev_timer_stop(rt->loop, &c->timer);
    ev_timer_set(&c->timer, (double)LIVE_LINGER_TIMEOUT_NS * NS_S, 0.0);
    ev_timer_start(rt->loop, &c->timer);
}

/*
 * Stops taking input; closes once what is buffered is written (within
 * LIVE_FLUSH_TIMEOUT_NS, else with a reset), after lingering if c->linger
 * is set or input is left unread. The owner is not told here.
 */
static void conn_shutdown(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    if (c->state == C_DEAD || c->state == C_CLOSING) return;
    FL_ASSERT(c->state == C_OPEN || c->state == C_CONNECTING);
    phase_leave(c);
    if (c->server && live_buf_size(&c->in)) c->linger = 1; /* the client sent more than we read */
    if (c->state == C_CONNECTING || (!live_buf_size(&c->out) && !c->linger)) {
        conn_kill(c, 0);
        return;
    }
    c->state = C_CLOSING;
    live_buf_free(&c->in);
    if (c->linger) /* lingering: still read, to drop it */
        ev_io_start(rt->loop, &c->rio);
    else
        ev_io_stop(rt->loop, &c->rio);
    ev_timer_stop(rt->loop, &c->timer);
    if (!live_buf_size(&c->out)) {
        linger_start(c);
        return;
    }
    ev_io_start(rt->loop, &c->wio);
    ev_timer_set(&c->timer, (double)LIVE_FLUSH_TIMEOUT_NS * NS_S, 0.0);
    ev_timer_start(rt->loop, &c->timer);
}

/* A closing connection's input while it lingers or flushes: read and dropped. */
static void on_linger_readable(struct px_conn *c)
{
    FL_ASSERT(c->state == C_CLOSING && c->linger);
    char sink[READ_CHUNK];
    ssize_t n = recv(c->fd, sink, sizeof sink, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n > 0) return;
    /* EOF or an error: the client is done; what is left to write goes nowhere useful */
    conn_end(c, PX_ECLOSED, 0, 1);
}

/* ---------------------------------------------------------------- reading */

static void deliver(struct px_conn *c, struct px_msg *m)
{
    if (c->cbs && c->cbs->message)
        c->cbs->message(c->ctx, c, m);
    else
        live_msg_free(m);
}

/*
 * A request refused (the codec's error, or a deadline): answers status
 * with why as the body and "Connection: close", then closes after
 * lingering; the owner is told the connection closed (PX_ECLOSED) while
 * the answer goes on.
 */
static void refuse_request(struct px_conn *c, int status, const char *why)
{
    FL_ASSERT(c->server && c->state == C_OPEN);
    FL_ASSERT(status >= 400 && status <= 599);
    struct px_msg m;
    px_msg_init(&m);
    m.status = status;
    m.body = (const uint8_t *)why;
    m.body_bytes = strlen(why);
    px_msg_add_header_static(&m, "Content-Type", "text/plain");
    live_h1_write(&c->out, &m, LIVE_H1_CLOSE);
    px_msg_clear(&m);
    c->rt->st.bad_requests++;
    live_logf(c->rt, "conn %llu: refused request: %d %s", (unsigned long long)c->id, status, why);
    c->no_more_input = 1;
    c->linger = 1;
    if (flush(c))
        conn_kill(c, 1);
    else
        conn_shutdown(c);
    tell_closed(c, PX_ECLOSED);
}

/*
 * An upstream response over the limits (rt.h): rather than reset the
 * upstream connection under the proxy (a 503 UC that says nothing of the
 * cause), the proxy gets a 502 with response flag UC in its place, as
 * nginx answers 502 for an upstream answer it cannot use (RFC 9110
 * section 15.6.3: "an invalid response from an inbound server"); then the
 * upstream connection is reset (the rest of the answer is not read).
 */
static void response_too_large(struct px_conn *c, int code)
{
    struct live_rt *rt = c->rt;
    FL_ASSERT(!c->server && c->state == C_OPEN);
    FL_ASSERT(code == LIVE_H1_EBODY_SIZE || code == LIVE_H1_EHEADER_SIZE ||
              code == LIVE_H1_EHEADERS);
    rt->st.responses_too_large++;
    char *why =
        fl_asprintf("upstream response too large: %s (limits: %llu body bytes, %u header "
                    "bytes, %u header fields)\n",
                    live_h1_strerror(code), (unsigned long long)rt->lim.response_body_bytes_max,
                    (unsigned)c->h1.lim.header_bytes_max, (unsigned)PX_HEADERS_MAX);
    live_logf(rt, "conn %llu: %s", (unsigned long long)c->id, why);
    struct px_msg *m = live_msg_new();
    m->status = 502;
    m->flags = PX_FLAG_UC;
    m->body_bytes = strlen(why);
    m->body = (const uint8_t *)px_msg_strdup(m, why, strlen(why));
    free(why);
    px_msg_add_header_static(m, "Content-Type", "text/plain");
    px_msg_add_header_static(m, "Connection", "close"); /* the proxy does not pool it */
    deliver(c, m);
    if (c->state != C_DEAD) conn_end(c, PX_ERESET, 1, 1);
}

/* A request arrived: note what its response must say, then hand it over. */
static void deliver_request(struct px_conn *c, struct px_msg *m)
{
    FL_ASSERT(c->server && !c->waiting); /* one request at a time (rt.h) */
    c->rt->st.requests_in++;
    c->waiting = 1;
    c->req_head = m->method && !strcmp(m->method, "HEAD");
    c->req_close = !live_h1_keep_alive(&c->h1);
    c->req_keep_alive_10 = !c->req_close && live_h1_version(&c->h1) == 10;
    if (c->req_close) {
        c->no_more_input = 1; /* RFC 9112 section 9.6: nothing after a close is read */
        ev_io_stop(c->rt->loop, &c->rio);
    }
    c->fresh = 0;
    phase_enter(c, PH_WAIT); /* the owner's now: no deadline of ours */
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
    FL_ASSERT(c->busy > 0); /* its callers hold it: a callback may close and release it */
    while (c->state == C_OPEN && !c->quiet && live_buf_size(&c->in)) {
        if (c->server && (c->waiting || c->no_more_input)) break;
        size_t used;
        struct px_msg *m;
        int rc = live_h1_parse(&c->h1, live_buf_head(&c->in), live_buf_size(&c->in), &used, &m);
        if (rc < 0) {
            if (c->server) {
                refuse_request(c, live_h1_error_status(rc), live_h1_strerror(rc));
            } else if (rc == LIVE_H1_EBODY_SIZE || rc == LIVE_H1_EHEADER_SIZE ||
                       rc == LIVE_H1_EHEADERS) {
                response_too_large(c, rc);
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
    phase_update(c);
    if (!c->server && c->state == C_OPEN && live_h1_idle(&c->h1) && !c->h1.n_expected &&
        !live_buf_size(&c->in) && !live_buf_size(&c->out)) {
        /* an upstream connection back in its pool keeps no buffers either */
        live_buf_free(&c->in);
        live_buf_free(&c->out);
        live_h1_trim(&c->h1);
    }
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

static void on_readable(struct px_conn *c);

/*
 * A TLS connection's socket is ready while its handshake goes on: one
 * step (tls.c bounds them per turn of the loop); once over, what came
 * with the client's last handshake message is read.
 */
static void on_handshake(struct px_conn *c)
{
    FL_ASSERT(c->tls && c->state == C_OPEN && !live_tls_established(c));
    int r = live_tls_handshake(c);
    if (r < 0 && !c->server) { /* an upstream's: as a failed connect (rt.h) */
        c->rt->st.connect_failures++;
        conn_kill(c, 0);
        tell_connected(c, PX_ECONNREFUSED);
        return;
    }
    if (r < 0) {
        conn_end(c, PX_ERESET, 0, 1); /* plain HTTP, an old version, no common suite... */
        return;
    }
    if (r == 0) return;
    FL_ASSERT(live_tls_established(c));
    if (!c->server) { /* connected now: what the owner sent meanwhile goes out */
        int e = flush(c);
        if (e) {
            conn_end(c, map_errno(e, 0), 0, 1);
            return;
        }
        tell_connected(c, PX_OK);
        if (c->state != C_OPEN) return;
    }
    on_readable(c);
}

static void on_readable(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    if (c->tls && !live_tls_established(c)) {
        on_handshake(c);
        return;
    }
    /*
     * The input grows by what arrives, not by what one read could take:
     * a short read lands on the stack first, so that thousands of quiet
     * connections hold a few hundred bytes each, not READ_CHUNK.
     */
    char stack[READ_CHUNK];
    int direct = c->in.cap - c->in.len >= READ_CHUNK;
    ssize_t n = conn_recv(c, direct ? c->in.data + c->in.len : stack, READ_CHUNK);
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
    if (direct)
        live_buf_commit(&c->in, (size_t)n);
    else
        live_buf_append(&c->in, stack, (size_t)n);
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
    const struct live_addr *a = live_rt_addr(rt, c->addr);
    if (a && a->tls) { /* the owner is told once the handshake is over (on_handshake) */
        if (live_tls_attach_client(c, a->tls, a->sni)) {
            rt->st.connect_failures++;
            conn_kill(c, 0);
            tell_connected(c, PX_ECONNREFUSED);
            return;
        }
        on_handshake(c);
        return;
    }
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
    phase_update(c); /* an answer written out: the connection may be idle now */
    if (!flushed_and_done(c)) return;
    if (c->linger)
        linger_start(c);
    else
        conn_end(c, PX_ECLOSED, 0, 1);
}

static void conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct px_conn *c = w->data;
    c->busy++;
    /* a TLS handshake or read that waits to write goes on when the socket takes bytes */
    if ((revents & EV_WRITE) && c->state == C_OPEN && live_tls_wants_write(c)) revents |= EV_READ;
    if ((revents & EV_WRITE) && c->state != C_DEAD) on_writable(c);
    if ((revents & EV_READ) && c->state == C_OPEN)
        on_readable(c);
    else if ((revents & EV_READ) && c->state == C_CLOSING && c->linger)
        on_linger_readable(c);
    c->busy--;
    live_conn_maybe_free(c);
}

/* A server connection's phase ran out of time. */
static void phase_expired(struct px_conn *c)
{
    FL_ASSERT(c->server && c->state == C_OPEN && !c->waiting);
    struct live_rt *rt = c->rt;
    unsigned long long id = (unsigned long long)c->id;
    switch (c->phase) {
    case PH_IDLE: /* RFC 9112 section 9.5: a server may close an idle connection at any time */
        live_logf(rt, "conn %llu: idle, closed", id);
        conn_end(c, PX_ECLOSED, 0, 1);
        break;
    case PH_HEAD:
        /* nginx closes without a word at client_header_timeout (and logs 408); RFC 9110
         * section 15.5.9 lets a server answer 408 then close, so the client knows why */
        rt->st.header_timeouts++;
        refuse_request(c, 408, "request header not received in time (--header-timeout)\n");
        break;
    case PH_BODY:
        rt->st.body_timeouts++;
        refuse_request(c, 408, "request body not received in time (--body-timeout)\n");
        break;
    case PH_WRITE: /* the client does not read its answer (the original idle timer's bound) */
        live_logf(rt, "conn %llu: answer not read in time; reset", id);
        conn_end(c, PX_ECLOSED, 1, 1);
        break;
    default: FL_ASSERT(0); /* waiting for the owner: no deadline is armed */
    }
}

/* The phase's deadline (open server connection), or the flush or linger deadline (closing). */
static void conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct px_conn *c = w->data;
    c->busy++;
    if (c->state == C_CLOSING && c->lingering) {
        conn_end(c, PX_ECLOSED, 0, 1); /* lingered long enough: close (a reset if bytes came) */
    } else if (c->state == C_CLOSING) {
        live_logf(c->rt, "conn %llu: peer does not read; reset", (unsigned long long)c->id);
        conn_end(c, PX_ETIMEDOUT, 1, 1);
    } else if (c->server && c->state == C_OPEN) {
        phase_expired(c);
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
    c->addr = addr;
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
        FL_ASSERT(c->waiting); /* a response answers the request handed over */
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
        if (live_buf_size(&c->in)) pend(c, D_INPUT); /* a pipelined request is next */
        read_start(c);
        phase_update(c);
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
    for (const struct px_conn *c = rt->conns; c; c = c->next)
        n += c->state == C_CLOSING && !c->lingering;
    return n;
}

void live_conn_read_now(struct px_conn *c)
{
    FL_ASSERT(c->server && c->busy > 0);
    if (c->state == C_OPEN && !c->quiet) on_readable(c);
}

void live_conn_evict(struct px_conn *c)
{
    FL_ASSERT(c->server && c->phase == PH_IDLE && c->state == C_OPEN);
    c->rt->st.evicted++;
    live_logf(c->rt, "conn %llu: idle, closed to make room", (unsigned long long)c->id);
    conn_end(c, PX_ECLOSED, 0, 1);
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
