/*
 * rt.h - the live runtime: proxies/rt.h implemented over one libev loop
 * and real, non-blocking TCP sockets, with the HTTP/1.1 codec of
 * live/http1.h, so that the proxy engine of proxies/ serves real clients.
 *
 * What each entry of struct px_rt_ops is here:
 *  - now: CLOCK_MONOTONIC, offset once at start so that it reads as Unix
 *    time in ns (never steps, and Kong's rate-limit windows line up with
 *    the calendar as in Kong);
 *  - random: an fl_rng stream seeded from /dev/urandom or from --seed;
 *  - timers: an ev_timer kept inside px_timer.state (checked at build
 *    time); it fires no earlier than asked;
 *  - connect: to an address this runtime gave out when it resolved
 *    "host:port" (live_rt_resolve, or the px_resolver of live_rt_resolver);
 *    refused, timed out and reset map to PX_E* codes;
 *  - message / send: requests and responses parsed and written by the
 *    codec; writes are buffered and flushed as the socket takes them;
 *  - close flushes what is buffered, then closes; reset closes with
 *    SO_LINGER 0, so the peer sees a RST;
 *  - conn_peer: the client's IP address (what Kong's rate limits count
 *    by), or the "host:port" an upstream connection went to;
 *  - work: runs its continuation at once (the CPU is real);
 *  - span: sampled spans kept in a store when asked (live_rt_keep_spans),
 *    and one line each on stderr with verbose;
 *  - event: one line each on stderr with verbose, else nothing.
 *
 * Callbacks are never made from inside a function the proxy called (what
 * arises there, such as a refused connect, is queued and told from the
 * loop); a callback may close or release its own connection. A server
 * connection hands over one request at a time: the next pipelined one
 * comes after the response to the previous one was sent (HTTP/1.1 answers
 * in order). Keep-alive follows the codec: a connection whose request or
 * response says it does not persist is closed by the runtime once the
 * response is written or read, and its owner told (PX_ECLOSED).
 *
 * A client that half-closes (EOF) is taken as gone, as nginx takes it:
 * its request in progress is abandoned.
 *
 * Hardening against clients, each limit in struct live_limits (defaults
 * below; `faultline gateway` and `stub` have an option for each):
 *  - deadlines on a client connection, by what it waits for: a request's
 *    head must arrive whole within header_timeout of its first byte (on a
 *    new connection, of the accept), its body within body_timeout of the
 *    end of the head: else 408 and close. These are TOTAL times, so that a
 *    client trickling a byte at a time (slowloris) cannot stretch them.
 *    nginx's client_header_timeout is such a total (its timer is set once
 *    per request head); its client_body_timeout is a time between two
 *    reads, which a trickle defeats: we deliberately use a total for the
 *    body too. A kept-alive connection with no request in progress closes
 *    silently after idle_timeout (nginx's keepalive_timeout), and a client
 *    that has not read its answer within idle_timeout is reset;
 *  - conns_max client connections at once, conns_per_ip_max from one
 *    IPv4 address or IPv6 /64 (one host often owns a whole /64). Over a
 *    limit, the oldest idle connection (no request in progress: kept
 *    alive, or new and silent; nginx's "reusable" connections, closed first
 *    by ngx_drain_connections) of the address, else of all, is closed to
 *    make room; when none is idle the new connection is refused: closed at
 *    once with a reset (nothing read, nothing written, no TIME_WAIT left);
 *  - out of file descriptors, accept() is not retried in a loop (libev's
 *    documented EMFILE busy loop): the oldest idle connection is closed,
 *    else a reserve descriptor is given up to accept and reset the waiting
 *    connection, else accepting pauses 100 ms;
 *  - a refused request (4xx, 5xx of the codec, 408) is answered, then the
 *    connection lingers (nginx's lingering_close): we stop writing and read
 *    and drop what the client still sends, up to LIVE_LINGER_TIMEOUT_NS, so
 *    that closing with unread bytes does not reset the connection before
 *    the client has read its answer;
 *  - an idle connection holds no buffers (nginx frees those of kept-alive
 *    connections too);
 *  - an upstream response whose body is above response_body_bytes_max, or
 *    whose head is above the codec's limits, is not carried (we do not
 *    stream): the proxy gets a 502 with response flag UC in its place,
 *    as nginx answers 502 when it cannot use what the upstream sent, and
 *    the upstream connection is reset.
 *
 * TLS (live/tls.h): a listener given a TLS server (live_listener_set_tls)
 * accepts TLS connections, whose handshake counts against the limits
 * above as a request's head does.
 *
 * An address marked with live_rt_addr_set_tls is connected to with TLS:
 * the owner is told it connected once the handshake is over, and a failed
 * handshake is a refused connection (PX_ECONNREFUSED), as nginx counts it
 * an error establishing the connection.
 *
 * Not here: HTTP/2, the proxy's own timeouts (connect, per-try and
 * route timeouts are the proxy's timers), rate limits (the proxy's).
 */
#ifndef FL_LIVE_RT_H
#define FL_LIVE_RT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/rng.h"
#include "live/http1.h"
#include "proxies/resolve.h"
#include "proxies/rt.h"

#define LIVE_S_NS INT64_C(1000000000)
/* Defaults of struct live_limits. */
#define LIVE_HEADER_TIMEOUT_NS       (10 * LIVE_S_NS)
#define LIVE_BODY_TIMEOUT_NS         (30 * LIVE_S_NS)
#define LIVE_IDLE_TIMEOUT_NS         (60 * LIVE_S_NS)
#define LIVE_CONNS_MAX               16384 /* at most, whatever the descriptor limit */
#define LIVE_FDS_RESERVED            64    /* descriptors left for listeners, logs, the reserve */
#define LIVE_RESPONSE_BODY_BYTES_MAX (16ull * 1024 * 1024)
/* A closing connection whose peer does not read its last bytes for this long is reset. */
#define LIVE_FLUSH_TIMEOUT_NS (10 * LIVE_S_NS)
/* A refused client's bytes are read and dropped this long after its answer, at most. */
#define LIVE_LINGER_TIMEOUT_NS (5 * LIVE_S_NS)

/* What a client may take of the runtime (see above); a timeout or count of 0 is no limit. */
struct live_limits {
    int64_t header_timeout_ns;        /* total time for a request's head to arrive */
    int64_t body_timeout_ns;          /* total time for its body, after the head */
    int64_t idle_timeout_ns;          /* a kept-alive connection waiting for a request */
    uint32_t conns_max;               /* client connections at once */
    uint32_t conns_per_ip_max;        /* ... from one IPv4 address or IPv6 /64 */
    struct live_h1_limits request;    /* target (414), head (431), body (413) of a request */
    uint64_t response_body_bytes_max; /* an upstream response's body (502 above it) */
};

/*
 * The defaults: the LIVE_* values above and the codec's; conns_max what
 * the descriptor limit allows (RLIMIT_NOFILE's soft limit less
 * LIVE_FDS_RESERVED, divided by fds_per_conn: 2 for a proxy, whose every
 * client may hold an upstream connection, 1 for a server), at most
 * LIVE_CONNS_MAX and at least 1; conns_per_ip_max half of conns_max.
 */
void live_limits_default(struct live_limits *l, unsigned fds_per_conn);

struct live_tls_client;

struct live_addr {
    char *name; /* "host:port" as asked */
    struct sockaddr_storage sa;
    socklen_t len;
    struct live_tls_client *tls; /* connections to it speak TLS (live_rt_addr_set_tls), or NULL */
    char *sni;                   /* ... naming this server (NULL: none) */
};

struct live_stats {
    uint64_t accepted, connects, connect_failures;
    uint64_t requests_in, responses_in, messages_out, bad_requests;
    uint64_t refused;                        /* connections reset at once: a limit, no descriptor */
    uint64_t evicted;                        /* idle connections closed to make room */
    uint64_t header_timeouts, body_timeouts; /* 408s */
    uint64_t responses_too_large;            /* upstream answers replaced by a 502 */
    uint64_t tls_handshakes, tls_resumed;    /* TLS handshakes done; of them, sessions resumed */
    uint64_t tls_failures;                   /* handshakes failed (plain HTTP, old versions...) */
    uint64_t tls_deferred;                   /* steps put off to a later turn (the budget) */
    uint64_t events[PX_EV_RL_STORE + 1];
    uint64_t rl_unchecked, rl_failed; /* rate limits whose store failed: let through, 500 */
};

struct live_ip;     /* a client address and its connections (rt_limit.c) */
struct live_tls_rt; /* the handshake budget (tls.c) */

struct live_rt {
    struct px_rt base; /* first: what the proxy code holds */
    struct ev_loop *loop;
    struct fl_rng rng;
    uint64_t seed;
    int64_t epoch_offset_ns; /* Unix time minus the monotonic clock, taken once */
    int verbose;
    struct live_limits lim;
    struct live_addr *addrs; /* px addresses are 1 + an index here */
    size_t n_addrs, cap_addrs;
    struct px_conn *conns; /* every connection not yet freed */
    size_t n_conns;
    struct px_conn *pend_head, *pend_tail; /* connections with something to tell */
    ev_check pend_check;
    ev_idle pend_idle;
    int draining;
    uint64_t next_id;
    struct live_stats st;
    /* connection limits (rt_limit.c) */
    uint32_t n_clients;                    /* client connections with a socket open */
    struct px_conn *idle_head, *idle_tail; /* idle client connections, oldest first */
    struct live_ip **ips;                  /* hash table of client addresses, chained */
    size_t n_ips, cap_ips;
    /* the span sink (rt_spans.c): NULL keeps none */
    struct rpt_spans *spans;
    size_t spans_max;
    int64_t spans_t0_ns; /* the clock when keeping began: span times count from it */
    int reuseport;       /* listeners bind with SO_REUSEPORT (one of several worker processes) */
    struct live_tls_rt *tls; /* made with the first TLS connection */
    struct live_kv *kv;      /* the counter stores (rt_kv.c), NULL until first used */
};

/*
 * Prepares a runtime on loop (whose userdata it takes). seed: the random
 * stream's seed (see live_seed_random). verbose: log connections, spans
 * and events on stderr.
 */
void live_rt_init(struct live_rt *rt, struct ev_loop *loop, uint64_t seed, int verbose);

/*
 * Replaces the limits (the defaults of live_limits_default(l, 2) until
 * then). Call before live_listen.
 */
void live_rt_set_limits(struct live_rt *rt, const struct live_limits *lim);

/*
 * Listeners opened from now on bind with SO_REUSEPORT, so that several
 * worker processes listen on one port and the kernel spreads the
 * connections among them (socket(7)).
 */
void live_rt_set_reuseport(struct live_rt *rt, int on);

/* Closes every connection without telling anyone, and frees the runtime's memory. */
void live_rt_fini(struct live_rt *rt);

/* ---------------------------------------------------------------- spans (rt_spans.c) */

struct rpt_spans;

/* Default cap of live_rt_keep_spans: about 30 MB of spans (a gateway may run for days). */
#define LIVE_SPANS_MAX 200000

/*
 * From now on the proxy's sampled spans (px_span.sampled) go into st (not
 * owned), their times in nanoseconds of the monotonic clock since this
 * call, at most max of them (at most RPT_SPANS_MAX): past it they are
 * counted in st->dropped. Spans not sampled are dropped at once.
 */
void live_rt_keep_spans(struct live_rt *rt, struct rpt_spans *st, size_t max);

/* The wall-clock time keeping began, in epoch microseconds: the exports' epoch_us. */
int64_t live_rt_spans_epoch_us(const struct live_rt *rt);

/* The runtime's span op: keeps s as above (rt.c calls it). */
void live_rt_span_keep(struct live_rt *rt, const struct px_span *s);

/* 64 bits from /dev/urandom (the monotonic clock mixed in should that fail). */
uint64_t live_seed_random(void);

/*
 * Splits "host:port" ("[v6addr]:port" for IPv6). Returns 0 with *host
 * (caller frees) and *port, or -1 with *err (caller frees).
 */
int live_parse_hostport(const char *s, char **host, uint16_t *port, char **err);

/*
 * Resolves host:port (port 0: 80) to a socket address (the first IPv4 one,
 * else the first) and gives back its px address (the same one for the
 * same name). Returns 0, or -1 with *err (caller frees).
 */
int live_rt_resolve(struct live_rt *rt, const char *host, uint16_t port, uint64_t *addr,
                    char **err);

/* A proxies/resolve.h resolver over live_rt_resolve: one endpoint "host:port" per name. */
struct px_resolver live_rt_resolver(struct live_rt *rt);

/*
 * Connections to px address addr speak TLS from now on, with client
 * settings cl (tls.h; not owned, outlives the runtime's connections) and
 * server name sni (NULL, or an IP address: none sent).
 */
void live_rt_addr_set_tls(struct live_rt *rt, uint64_t addr, struct live_tls_client *cl,
                          const char *sni);

/* The socket address of a px address, or NULL. */
const struct live_addr *live_rt_addr(const struct live_rt *rt, uint64_t addr);

/* ---------------------------------------------------------------- listening */

/* Called with each accepted connection; the callee owns it (conn_bind, then conn_release). */
typedef void (*live_accept_cb)(void *arg, struct px_conn *c);

struct live_listener;

/*
 * Listens on "host:port" (port 0: the kernel picks). Returns 0 with *out,
 * or -1 with *err (caller frees): bad address, address in use...
 */
int live_listen(struct live_rt *rt, const char *hostport, live_accept_cb cb, void *arg,
                struct live_listener **out, char **err);

/*
 * Binds hostport (port 0: a free one) with SO_REUSEPORT without listening,
 * so that worker processes can then listen on that port (live_rt_set_reuseport)
 * while *fd holds it; *where names it ("127.0.0.1:41234", caller frees).
 * Returns 0, or -1 with *err (caller frees).
 */
int live_reserve_port(const char *hostport, int *fd, char **where, char **err);

/* "127.0.0.1:41234": where it really listens. */
const char *live_listener_name(const struct live_listener *l);

struct live_tls_server;

/*
 * Connections accepted from now on speak TLS with s's certificates (tls.h;
 * s, not owned, outlives the listener and its connections).
 */
void live_listener_set_tls(struct live_listener *l, struct live_tls_server *s);

/* Stops accepting and frees the listener (accepted connections go on). */
void live_listener_close(struct live_listener *l);

/* ---------------------------------------------------------------- shutting down */

/*
 * From now on server connections close after their current response;
 * those with no request in progress close now (their owners are told,
 * PX_ECLOSED). Call from the loop, not from inside a runtime function.
 */
void live_rt_drain(struct live_rt *rt);

/* Ends every connection still open, telling its owner (PX_ECLOSED). Returns how many. */
size_t live_rt_close_all(struct live_rt *rt);

/* Connections whose owner closed them and whose last bytes are still being written. */
size_t live_rt_flushing(const struct live_rt *rt);

/* Client connections with a socket open (lingering ones included). */
static inline uint32_t live_rt_clients(const struct live_rt *rt)
{
    return rt->n_clients;
}

#endif
