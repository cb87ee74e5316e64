/*
 * tcp.h - what TCP does to the timing of request and response messages on
 * one connection, computed over two links (one per direction).
 *
 * The model is Linux's, at the level that shapes latency:
 *  - connect: a three-way handshake; the client may send once the SYN-ACK
 *    is back (one round trip). A lost SYN is sent again after 1 s, then 2 s,
 *    4 s... (initial RTO 1 s, doubling; tcp_syn_retries = 6), after which
 *    connect fails. A lost SYN-ACK costs the same as a lost SYN.
 *  - send: a message is cut into MSS-sized segments; a connection that has
 *    been idle restarts slow start (tcp_slow_start_after_idle), so segments
 *    leave in rounds of 10, 20, 40... (initial window 10, RFC 6928), one
 *    smoothed RTT apart. A lost segment is sent again after the RTO,
 *    RTO = SRTT + max(4 RTTVAR, 200 ms) as Linux computes it (its RTTVAR
 *    never goes below TCP_RTO_MIN), doubling on each further loss of the
 *    same segment, capped at 120 s; after tcp_retries2 = 15 retransmissions
 *    the connection is broken. SRTT/RTTVAR follow RFC 6298, sampled from
 *    segments that were not retransmitted (Karn), the handshake included.
 *  - delivery is in order: a message reaches the application when its last
 *    segment has arrived, and never before an earlier message in the same
 *    direction.
 * So loss shows up as latency (an RTO, or a SYN retry), not as a lost
 * request, as on a real network.
 *
 * Sans-I/O: the functions compute times; the simulator schedules events.
 * Not modelled: fast retransmit and tail-loss probes (every loss waits for
 * the RTO), ACK loss (cumulative ACKs hide it), receive windows, and
 * congestion avoidance beyond the idle restart.
 */
#ifndef FL_NETEM_TCP_H
#define FL_NETEM_TCP_H

#include <stdint.h>

#include "netem/link.h"

enum {
    NET_OK = 0,
    NET_ETIMEDOUT = -1, /* the handshake or a segment was lost too many times */
};

struct net_tcp_cfg {
    uint32_t mss;          /* payload bytes per segment (1460: 1500 MTU - 40) */
    uint32_t header_bytes; /* IP + TCP header bytes per segment (52: with timestamps) */
    uint32_t init_cwnd;    /* segments in the first round (10) */
    int64_t rto_min_ns;    /* 200 ms */
    int64_t rto_max_ns;    /* 120 s */
    int64_t syn_rto_ns;    /* 1 s */
    int syn_retries;       /* 6 */
    int retries2;          /* 15 */
};

/* Linux defaults, as listed above. */
void net_tcp_cfg_default(struct net_tcp_cfg *c);

enum { NET_C2S = 0, NET_S2C = 1 };

struct net_tcp {
    const struct net_tcp_cfg *cfg;
    struct net_link *link[2]; /* [NET_C2S] client to server, [NET_S2C] back */
    int64_t srtt_ns, rttvar_ns;
    int has_rtt;
    int64_t last_deliver_ns[2];
    uint64_t segments, retransmits;
    /* retransmission delay (tracing): what the message would have taken without its losses */
    int64_t clean_deliver_ns[2]; /* last_deliver_ns had no segment been lost */
    int64_t syn_rtx_ns;          /* SYN retries' wait, not yet charged to a message */
    int64_t last_rtx_ns;         /* the extra delay of the last message net_tcp_send delivered */
};

/* Prepares a connection over two links (not owned; links may be shared by connections). */
void net_tcp_init(struct net_tcp *c, const struct net_tcp_cfg *cfg, struct net_link *c2s,
                  struct net_link *s2c);

/*
 * The handshake, begun by the client at now_ns. Returns NET_OK with
 * *done_ns = when the client can send (the server learns of the connection
 * with the first data), or NET_ETIMEDOUT with *done_ns = when connect()
 * gives up.
 */
int net_tcp_connect(struct net_tcp *c, int64_t now_ns, int64_t *done_ns);

/*
 * A message of `bytes` payload bytes (>= 1) written in direction dir at
 * now_ns. Returns NET_OK with *deliver_ns = when the receiving application
 * has all of it, or NET_ETIMEDOUT with *deliver_ns = when the sender gives
 * up on the connection (the receiver never gets the message).
 */
int net_tcp_send(struct net_tcp *c, int dir, int64_t now_ns, uint64_t bytes, int64_t *deliver_ns);

/*
 * The delay retransmissions added to the message net_tcp_send delivered
 * last, plus (for the connection's first message) the SYN retries' wait:
 * the delivery time less the time it would have had with none of its
 * segments lost (in-order delivery included). Taken once: returns it and
 * clears the SYN part.
 */
int64_t net_tcp_take_rtx(struct net_tcp *c);

/* The current retransmission timeout (before any backoff). */
int64_t net_tcp_rto(const struct net_tcp *c);

#endif
