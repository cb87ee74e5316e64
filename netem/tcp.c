/*
 * tcp.c - the timing TCP gives messages on one connection (see tcp.h).
 *
 * How it works: every packet goes through the direction's link
 * (net_link_packet), which says whether and when it arrives.
 *  - connect: SYN on c2s at now, SYN-ACK on s2c when the SYN arrives. If
 *    either is lost the client sends the SYN again after syn_rto, then
 *    2 syn_rto, 4 syn_rto... (Linux: TCP_TIMEOUT_INIT 1 s, doubling); after
 *    syn_retries re-sends it waits one more backoff and gives up, so with
 *    the defaults connect fails 1+2+4+8+16+32+64 = 127 s after it began.
 *  - send: ceil(bytes / mss) segments of mss + header bytes (the last one
 *    shorter), in slow-start rounds of init_cwnd, 2 init_cwnd, ... one SRTT
 *    apart. A lost segment is sent again RTO, 2 RTO, 4 RTO... (capped at
 *    rto_max) after its first transmission; after retries2 re-sends and one
 *    more backoff the sender gives up (NET_ETIMEDOUT at that time).
 *  - RTT: RFC 6298 (first sample R: SRTT = R, RTTVAR = R/2; then
 *    RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| and SRTT = 7/8 SRTT + 1/8 R), from
 *    the handshake and from segments that were never retransmitted (Karn).
 *    A data sample is the segment's one-way time plus the reverse link's
 *    base delay (the ACK is not sent through the link: no draw, no loss).
 *  - RTO = SRTT + max(4 RTTVAR, rto_min), at most rto_max; syn_rto before
 *    any sample. Linux tcp_input.c tcp_rtt_estimator() keeps rttvar_us at
 *    least tcp_rto_min (mdev_max_us starts each RTT at the minimum) and
 *    tcp_set_rto() / __tcp_set_rto() make RTO = srtt + rttvar, bounded by
 *    TCP_RTO_MAX; so RTO = SRTT + max(4 mdev, rto_min).
 *  - delivery: the latest arrival among the message's segments, never before
 *    the previous message in the same direction (last_deliver_ns).
 *  - retransmission delay (net_tcp_take_rtx, for tracing): each segment's
 *    arrival less the RTOs it waited gives the delivery it would have had
 *    without loss (clean_deliver_ns, in order like last_deliver_ns); the
 *    message's delay is the difference, plus the SYN retries' wait for the
 *    connection's first message.
 *
 * Choices made where the model is coarser than Linux:
 *  - the RTO and the round spacing of a message are those in force when it
 *    is written; its RTT samples update the estimator for later messages.
 *  - every message restarts slow start (as after idle); a loss does not
 *    shrink the window: later rounds leave on schedule.
 *  - Linux's mdev update weights a falling sample by 1/32 and decays rttvar
 *    once per RTT; plain RFC 6298 here.
 *  - before any RTT sample, rounds are spaced by the two links' base delays.
 *  - packets computed ahead of time (SYN retries, the SYN-ACK,
 *    retransmissions) enter the link with NET_PKT_RETRANSMIT; later slow-start
 *    rounds enter at their future send times without it, so they queue
 *    behind the message's earlier rounds on a rate-limited link.
 *  - `segments` counts first transmissions of data segments; `retransmits`
 *    counts data re-sends and SYN re-sends.
 *
 * Not modelled (tcp.h): fast retransmit, tail-loss probes, ACK loss,
 * receive windows, congestion avoidance; the server's own SYN-ACK timer.
 */
#include <string.h>

#include "base/assert.h"
#include "netem/tcp.h"

#define RETRIES_MAX  255                 /* Linux caps tcp_syn_retries at 127 */
#define SEGMENTS_MAX (UINT64_C(1) << 32) /* per message: about 6 TB at mss 1460 */

void net_tcp_cfg_default(struct net_tcp_cfg *c)
{
    FL_ASSERT(c);
    c->mss = 1460;
    c->header_bytes = 52;
    c->init_cwnd = 10;
    c->rto_min_ns = 200 * INT64_C(1000000);
    c->rto_max_ns = 120 * INT64_C(1000000000);
    c->syn_rto_ns = INT64_C(1000000000);
    c->syn_retries = 6;
    c->retries2 = 15;
}

void net_tcp_init(struct net_tcp *c, const struct net_tcp_cfg *cfg, struct net_link *c2s,
                  struct net_link *s2c)
{
    FL_ASSERT(c && cfg && c2s && s2c);
    FL_ASSERT(cfg->mss > 0 && cfg->init_cwnd > 0);
    FL_ASSERT(cfg->rto_min_ns > 0 && cfg->rto_max_ns >= cfg->rto_min_ns);
    FL_ASSERT(cfg->syn_rto_ns > 0 && cfg->syn_rto_ns <= cfg->rto_max_ns);
    FL_ASSERT(cfg->syn_retries >= 0 && cfg->syn_retries <= RETRIES_MAX);
    FL_ASSERT(cfg->retries2 >= 0 && cfg->retries2 <= RETRIES_MAX);
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->link[NET_C2S] = c2s;
    c->link[NET_S2C] = s2c;
}

int64_t net_tcp_rto(const struct net_tcp *c)
{
    FL_ASSERT(c);
    if (!c->has_rtt) return c->cfg->syn_rto_ns;
    int64_t var_ns = 4 * c->rttvar_ns;
    if (var_ns < c->cfg->rto_min_ns) var_ns = c->cfg->rto_min_ns;
    int64_t rto_ns = c->srtt_ns + var_ns;
    return rto_ns < c->cfg->rto_max_ns ? rto_ns : c->cfg->rto_max_ns;
}

/* RFC 6298 2.2 and 2.3: RTTVAR is updated with the old SRTT. */
static void rtt_sample(struct net_tcp *c, int64_t r_ns)
{
    if (!c->has_rtt) {
        c->srtt_ns = r_ns;
        c->rttvar_ns = r_ns / 2;
        c->has_rtt = 1;
        return;
    }
    int64_t err_ns = c->srtt_ns > r_ns ? c->srtt_ns - r_ns : r_ns - c->srtt_ns;
    c->rttvar_ns = (3 * c->rttvar_ns + err_ns) / 4;
    c->srtt_ns = (7 * c->srtt_ns + r_ns) / 8;
}

/* The n-th backoff of a timer starting at rto_ns: rto_ns * 2^n, at most max_ns. */
static int64_t backoff_ns(int64_t rto_ns, int n, int64_t max_ns)
{
    for (int i = 0; i < n && rto_ns < max_ns; i++) rto_ns *= 2;
    return rto_ns < max_ns ? rto_ns : max_ns;
}

/* One SYN / SYN-ACK exchange begun at t_ns; 1 with *back_ns = SYN-ACK arrival. */
static int handshake_try(struct net_tcp *c, int64_t t_ns, int retry, int64_t *back_ns)
{
    uint32_t bytes = c->cfg->header_bytes;
    int64_t syn_ns;
    if (!net_link_packet(c->link[NET_C2S], t_ns, bytes, retry ? NET_PKT_RETRANSMIT : 0, &syn_ns))
        return 0;
    return net_link_packet(c->link[NET_S2C], syn_ns, bytes, NET_PKT_RETRANSMIT, back_ns);
}

int net_tcp_connect(struct net_tcp *c, int64_t now_ns, int64_t *done_ns)
{
    FL_ASSERT(c && done_ns);
    const struct net_tcp_cfg *cfg = c->cfg;
    int64_t t_ns = now_ns;
    for (int attempt = 0; attempt <= cfg->syn_retries; attempt++) {
        int64_t back_ns;
        if (attempt > 0) c->retransmits++;
        if (handshake_try(c, t_ns, attempt > 0, &back_ns)) {
            if (attempt == 0) rtt_sample(c, back_ns - t_ns); /* Karn */
            c->syn_rtx_ns += t_ns - now_ns;                  /* the SYN retries' wait */
            *done_ns = back_ns;
            return NET_OK;
        }
        t_ns += backoff_ns(cfg->syn_rto_ns, attempt, cfg->rto_max_ns);
    }
    *done_ns = t_ns;
    return NET_ETIMEDOUT;
}

/*
 * One segment of `bytes` first sent at send_ns in direction dir, retransmitted
 * on the backoff of rto_ns until it arrives. Returns NET_OK with *out_ns = its
 * arrival, or NET_ETIMEDOUT with *out_ns = when the sender gives up.
 */
static int segment_send(struct net_tcp *c, int dir, int64_t send_ns, uint32_t bytes, int64_t rto_ns,
                        int64_t *out_ns, int64_t *wait_ns)
{
    const struct net_tcp_cfg *cfg = c->cfg;
    c->segments++;
    *wait_ns = 0;
    if (net_link_packet(c->link[dir], send_ns, bytes, 0, out_ns)) {
        rtt_sample(c, *out_ns - send_ns + c->link[!dir]->cfg.delay_ns);
        return NET_OK;
    }
    int64_t t_ns = send_ns;
    for (int n = 0; n < cfg->retries2; n++) {
        t_ns += backoff_ns(rto_ns, n, cfg->rto_max_ns);
        c->retransmits++;
        if (net_link_packet(c->link[dir], t_ns, bytes, NET_PKT_RETRANSMIT, out_ns)) {
            *wait_ns = t_ns - send_ns; /* the RTOs it waited before the copy that arrived */
            return NET_OK;
        }
    }
    *out_ns = t_ns + backoff_ns(rto_ns, cfg->retries2, cfg->rto_max_ns);
    return NET_ETIMEDOUT;
}

/* Time between slow-start rounds: SRTT, or the base round trip before any sample. */
static int64_t round_gap_ns(const struct net_tcp *c)
{
    if (c->has_rtt) return c->srtt_ns;
    return c->link[NET_C2S]->cfg.delay_ns + c->link[NET_S2C]->cfg.delay_ns;
}

int net_tcp_send(struct net_tcp *c, int dir, int64_t now_ns, uint64_t bytes, int64_t *deliver_ns)
{
    FL_ASSERT(c && deliver_ns && bytes >= 1 && (dir == NET_C2S || dir == NET_S2C));
    const struct net_tcp_cfg *cfg = c->cfg;
    uint64_t nseg = (bytes - 1) / cfg->mss + 1;
    FL_ASSERT(nseg <= SEGMENTS_MAX);
    int64_t rto_ns = net_tcp_rto(c), gap_ns = round_gap_ns(c);
    int64_t round_ns = now_ns, last_ns = now_ns, clean_ns = now_ns;
    uint64_t cwnd = cfg->init_cwnd, in_round = 0;
    for (uint64_t i = 0; i < nseg; i++, in_round++) {
        if (in_round == cwnd) {
            round_ns += gap_ns;
            cwnd *= 2;
            in_round = 0;
        }
        uint64_t payload = i + 1 < nseg ? cfg->mss : bytes - (nseg - 1) * cfg->mss;
        int64_t arrive_ns, wait_ns;
        uint32_t seg_bytes = (uint32_t)payload + cfg->header_bytes;
        if (segment_send(c, dir, round_ns, seg_bytes, rto_ns, &arrive_ns, &wait_ns) != NET_OK) {
            *deliver_ns = arrive_ns;
            return NET_ETIMEDOUT;
        }
        if (arrive_ns > last_ns) last_ns = arrive_ns;
        if (arrive_ns - wait_ns > clean_ns) clean_ns = arrive_ns - wait_ns;
    }
    if (last_ns < c->last_deliver_ns[dir]) last_ns = c->last_deliver_ns[dir];
    if (clean_ns < c->clean_deliver_ns[dir]) clean_ns = c->clean_deliver_ns[dir];
    if (clean_ns > last_ns) clean_ns = last_ns;
    c->last_deliver_ns[dir] = last_ns;
    c->clean_deliver_ns[dir] = clean_ns;
    c->last_rtx_ns = last_ns - clean_ns;
    FL_ASSERT(c->last_rtx_ns >= 0);
    *deliver_ns = last_ns;
    return NET_OK;
}

int64_t net_tcp_take_rtx(struct net_tcp *c)
{
    FL_ASSERT(c && c->last_rtx_ns >= 0 && c->syn_rtx_ns >= 0);
    int64_t rtx_ns = c->last_rtx_ns + c->syn_rtx_ns;
    c->syn_rtx_ns = 0;
    return rtx_ns;
}
