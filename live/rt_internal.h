/*
 * rt_internal.h - what the live runtime's files share (live/rt.c,
 * rt_conn.c, rt_addr.c, rt_listen.c): the connection (struct px_conn),
 * the log line, and the functions one file takes from another - the
 * connection entries of the ops table and the deferred-telling watchers
 * (rt_conn.c, for rt.c), making a connection (rt_conn.c, for
 * rt_listen.c), and address lookup (rt_addr.c, for rt_listen.c).
 *
 * Not a public API: outside live/rt*.c, use rt.h.
 */
#ifndef FL_LIVE_RT_INTERNAL_H
#define FL_LIVE_RT_INTERNAL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "live/buf.h"
#include "live/http1.h"
#include "live/rt.h"

/* A connection's states (rt_conn.c has the diagram). */
enum conn_state { C_CONNECTING, C_OPEN, C_CLOSING, C_DEAD };

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

static inline struct live_rt *live_rt_of(struct px_rt *rt)
{
    return (struct live_rt *)rt;
}

/* rt.c: one line on stderr, "faultline: " and the message, when the runtime is verbose. */
void live_logf(struct live_rt *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- rt_conn.c */

/* A new connection on socket fd (server: accepted), in the runtime's list; state to be set. */
struct px_conn *live_conn_new(struct live_rt *rt, int fd, int server);

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

/* ---------------------------------------------------------------- rt_addr.c */

/*
 * Looks up host:port (passive: for listening); "localhost" is the loopback
 * address. Returns 0 with *sa and *len (the first IPv4 address, else the
 * first), or -1 with *err the reason only (caller frees).
 */
int live_addr_lookup(const char *host, uint16_t port, int passive, struct sockaddr_storage *sa,
                     socklen_t *len, char **err);

#endif
