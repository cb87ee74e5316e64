/*
 * rt_internal.h - what the live runtime's files share (live/rt.c,
 * rt_conn.c, rt_addr.c, rt_listen.c, rt_limit.c): the connection (struct
 * px_conn), the log line, and the functions one file takes from another -
 * the connection entries of the ops table and the deferred-telling
 * watchers (rt_conn.c, for rt.c), making, starting and evicting a
 * connection (rt_conn.c, for rt_listen.c and rt_limit.c), address lookup
 * (rt_addr.c, for rt_listen.c), the connection limits (rt_limit.c,
 * for rt_listen.c and rt_conn.c), and TLS on a connection (tls.c, for
 * rt_listen.c and rt_conn.c).
 *
 * Not a public API: outside live/rt*.c, use rt.h.
 */
#ifndef FL_LIVE_RT_INTERNAL_H
#define FL_LIVE_RT_INTERNAL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "live/buf.h"
#include "live/http1.h"
#include "live/rt.h"

/* A connection's states (rt_conn.c has the diagram). */
enum conn_state { C_CONNECTING, C_OPEN, C_CLOSING, C_DEAD };

/* What an open client connection waits for, which sets its deadline (rt.h). */
enum conn_phase {
    PH_NONE,  /* not open, or not a client connection */
    PH_IDLE,  /* no byte of a request: idle_timeout (new: header_timeout from the accept) */
    PH_HEAD,  /* a request's head is arriving: header_timeout from its first byte */
    PH_BODY,  /* its body is arriving: body_timeout from the end of the head */
    PH_WAIT,  /* a request is with the owner (or the last one was read): no deadline */
    PH_WRITE, /* its answer is being written: idle_timeout for the client to read it */
};

struct px_conn {
    struct live_rt *rt;
    uint64_t id;
    int fd;
    int server; /* accepted: parses requests, writes responses */
    enum conn_state state;
    ev_io rio, wio;
    ev_timer timer; /* server: the phase's deadline; closing: flush, then linger deadline */
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
    /* server: deadlines, limits, lingering close */
    enum conn_phase phase;
    int fresh;                  /* no request came yet */
    ev_tstamp fresh_deadline_s; /* the accept plus header_timeout */
    int linger;                 /* once the answer is written, read and drop until EOF */
    int lingering;              /* ... doing so (closing, write side shut) */
    struct live_ip *ip;         /* its client address (counted there until the socket closes) */
    struct px_conn *idle_prev, *idle_next;       /* the runtime's idle list (phase PH_IDLE) */
    struct px_conn *ip_idle_prev, *ip_idle_next; /* its address's idle list */
    char peer[64];
    uint32_t pend;
    int pend_status, pend_reason;
    int in_pend;
    struct px_conn *pend_next;
    struct px_conn *prev, *next;
    struct live_tls_conn *tls; /* its TLS state (tls.c), or NULL: plain TCP */
    uint64_t addr;             /* an upstream connection's px address (0 for a client's) */
};

static inline struct live_rt *live_rt_of(struct px_rt *rt)
{
    return (struct live_rt *)rt;
}

/* rt.c: one line on stderr, "faultline: " and the message, when the runtime is verbose. */
void live_logf(struct live_rt *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- rt_conn.c */

/* A new connection on socket fd (server: accepted), in the runtime's list; state to be set. */
struct px_conn *live_conn_new(struct live_rt *rt, int fd, int server);

/* An accepted connection goes live: open, reading, its first deadline set. */
void live_conn_start_server(struct px_conn *c);

/*
 * Reads what an accepted connection already holds (its owner bound; the
 * caller holds it busy), so that a request that came with the connection
 * is not taken for an idle connection.
 */
void live_conn_read_now(struct px_conn *c);

/*
 * Closes an idle client connection to make room for another (its owner is
 * told at once: call from a loop callback, not from inside a function the
 * proxy called).
 */
void live_conn_evict(struct px_conn *c);

/* Frees c if its socket is closed, its owner released it, and nothing of ours holds it. */
void live_conn_maybe_free(struct px_conn *c);

/* Closes every connection without telling anyone, and frees it (live_rt_fini). */
void live_conn_free_all(struct live_rt *rt);

/* The ev_check watcher that tells connections what was queued; the ev_idle one does nothing. */
void live_pend_run(struct ev_loop *loop, ev_check *w, int revents);
void live_pend_idle(struct ev_loop *loop, ev_idle *w, int revents);

/* The px_rt_ops entries for connections (proxies/rt.h has their contracts). */
struct px_conn *live_op_connect(struct px_rt *prt, uint64_t addr, const struct px_conn_cbs *cbs,
                                void *ctx);
void live_op_conn_bind(struct px_rt *rt, struct px_conn *c, const struct px_conn_cbs *cbs,
                       void *ctx);
void live_op_send(struct px_rt *prt, struct px_conn *c, struct px_msg *m);
void live_op_conn_close(struct px_rt *prt, struct px_conn *c);
void live_op_conn_reset(struct px_rt *prt, struct px_conn *c);
void live_op_conn_release(struct px_rt *prt, struct px_conn *c);
const char *live_op_conn_peer(struct px_rt *rt, struct px_conn *c);

/* ---------------------------------------------------------------- rt_limit.c */

/*
 * Makes room for one more client connection from sa: closes the oldest
 * idle connection of its address when that is at conns_per_ip_max, then
 * the oldest idle one of all when there are conns_max. Returns the
 * address's entry with the connection counted, or NULL: refuse it (no
 * idle connection to close).
 */
struct live_ip *live_limit_admit(struct live_rt *rt, const struct sockaddr_storage *sa);

/* The client connection c counts toward its address from now (it takes admit's count). */
void live_limit_attach(struct px_conn *c, struct live_ip *ip);

/* The socket of client connection c closed: it leaves the idle lists and stops counting. */
void live_limit_detach(struct px_conn *c);

/* c (a client connection) is idle now, the newest; or no longer idle. */
void live_idle_add(struct px_conn *c);
void live_idle_remove(struct px_conn *c);

/* Frees the address table (every connection detached first). */
void live_limit_fini(struct live_rt *rt);

/* ---------------------------------------------------------------- tls.c */

struct live_tls_server;

/* Server connection c (accepted, not yet read) speaks TLS with s's certificates. 0, or -1. */
int live_tls_attach(struct px_conn *c, struct live_tls_server *s);

/* Upstream connection c (connected) speaks TLS with cl, naming sni (NULL: none). 0, or -1. */
struct live_tls_client;
int live_tls_attach_client(struct px_conn *c, struct live_tls_client *cl, const char *sni);

/* Whether c's handshake is over (c->tls set). */
int live_tls_established(const struct px_conn *c);

/*
 * One step of c's handshake, within the turn's budget (tls.c); sets which
 * of c's watchers run. Returns 1 once it is over, 0 while it goes on (or
 * waits for the next turn), -1 when it failed (logged; close c).
 */
int live_tls_handshake(struct px_conn *c);

/* recv and send over TLS, once established: the same returns and errno (EAGAIN: wait). */
ssize_t live_tls_recv(struct px_conn *c, void *buf, size_t len);
ssize_t live_tls_send(struct px_conn *c, const void *buf, size_t len);

/* The handshake or a read waits for the socket to take bytes (c->tls may be NULL: 0). */
int live_tls_wants_write(const struct px_conn *c);

/* Sends close_notify, best effort, before a graceful close (nothing if none is due). */
void live_tls_close_notify(struct px_conn *c);

/*
 * The peer's principal (its certificate's SPIFFE id without "spiffe://")
 * once a mutual TLS handshake is over; "" while the handshake of a
 * connection accepted on a mutual TLS server goes on (it either ends
 * verified or closes the connection before a request is read); NULL for a
 * connection without a verified peer certificate.
 */
const char *live_tls_principal(const struct px_conn *c);

/* Frees c's TLS state (before its socket closes); nothing if it has none. */
void live_tls_detach(struct px_conn *c);

/* Frees the runtime's handshake budget (live_rt_fini; every connection closed first). */
void live_tls_rt_fini(struct live_rt *rt);

/* ---------------------------------------------------------------- rt_addr.c */

/*
 * Looks up host:port (passive: for listening); "localhost" is the loopback
 * address. Returns 0 with *sa and *len (the first IPv4 address, else the
 * first), or -1 with *err the reason only (caller frees).
 */
int live_addr_lookup(const char *host, uint16_t port, int passive, struct sockaddr_storage *sa,
                     socklen_t *len, char **err);

/* ---------------------------------------------------------------- rt_kv.c */

/* px_rt_ops.kv_incr: a request to a Redis server (proxies/rt.h has the contract). */
void live_op_kv_incr(struct px_rt *prt, const struct px_kv_req *req, px_kv_cb cb, void *arg);

/* Closes the stores' connections; requests still waiting are answered PX_ECLOSED. */
void live_kv_fini(struct live_rt *rt);

#endif
