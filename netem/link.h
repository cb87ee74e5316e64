/*
 * link.h - one direction of a network path between two nodes, the way Linux
 * netem shapes it: base delay plus jitter (uniform, or from a distribution,
 * with netem's correlation), random or Gilbert-Elliott burst loss, and a
 * bandwidth limit as serialization delay behind a bounded transmit queue.
 *
 * A link is a sans-I/O state machine: the caller asks what happens to one
 * packet entering it at a given time and gets back whether it arrives and
 * when. It schedules nothing. All randomness comes from the link's own
 * stream, so every link is reproducible on its own.
 *
 * Packets entering out of time order are allowed only with
 * NET_PKT_RETRANSMIT (a TCP retransmission computed ahead of time): such a
 * packet gets delay, jitter and loss but does not queue behind, or hold up,
 * other traffic.
 *
 * Not here: TCP (netem/tcp.h builds segments, retransmissions and in-order
 * delivery on top of links), and which link joins which nodes (sim/).
 */
#ifndef FL_NETEM_LINK_H
#define FL_NETEM_LINK_H

#include <stdint.h>

#include "base/rng.h"
#include "netem/impair.h"

/* The shape of the jitter around the base delay (netem's `distribution`). */
enum net_jitter_dist {
    NET_JITTER_UNIFORM, /* netem's default: delay +- jitter, uniform */
    NET_JITTER_NORMAL,
    NET_JITTER_PARETO,
    NET_JITTER_PARETONORMAL,
    NET_JITTER_LOGNORMAL,
};

enum net_loss_model {
    NET_LOSS_NONE,
    NET_LOSS_RANDOM,  /* independent: each packet lost with probability p */
    NET_LOSS_GEMODEL, /* Gilbert-Elliott: netem's `loss gemodel p r 1-h 1-k` */
};

struct net_loss {
    enum net_loss_model model;
    double p;         /* random: loss probability; gemodel: P(good -> bad) per packet */
    double r;         /* gemodel: P(bad -> good) per packet */
    double bad_loss;  /* gemodel: loss probability in the bad state (netem's 1-h) */
    double good_loss; /* gemodel: loss probability in the good state (netem's 1-k) */
};

struct net_link_cfg {
    int64_t delay_ns;  /* one-way base delay */
    int64_t jitter_ns; /* spread around the base (netem's jitter) */
    enum net_jitter_dist dist;
    double correlation; /* 0..1: weight of the previous packet's random value (netem) */
    struct net_loss loss;
    double rate_bps;        /* bandwidth in bits per second; 0 = unlimited */
    uint32_t queue_packets; /* transmit queue bound, in 1500-byte packets (netem's limit: 1000) */
};

/* An ideal link: no delay, no jitter, no loss, no bandwidth limit, queue 1000. */
void net_link_cfg_default(struct net_link_cfg *c);

/* 1 if the config can delay or drop nothing (zero delay and jitter, no loss, no rate). */
int net_link_cfg_ideal(const struct net_link_cfg *c);

struct net_link {
    struct net_link_cfg cfg;
    struct fl_rng rng;
    uint32_t corr_last;    /* netem's correlated-random state (last value) */
    int ge_bad;            /* Gilbert-Elliott: in the bad state */
    int64_t busy_until_ns; /* when the transmitter has sent everything queued so far */
    /* counters */
    uint64_t packets, lost, dropped, bytes;
    struct net_impairs impair; /* faults laid over the link for a while (netem/impair.h) */
};

/* Prepares a link with its config (copied) and its own random stream (copied). */
void net_link_init(struct net_link *l, const struct net_link_cfg *cfg, const struct fl_rng *rng);
/* Releases what the link holds besides itself (its impairment windows' room). */
void net_link_free(struct net_link *l);

enum { NET_PKT_RETRANSMIT = 1 };

/*
 * One packet of `bytes` (headers included) handed to the link at send_ns.
 * Returns 1 and sets *arrive_ns (>= send_ns) when it arrives; returns 0 when
 * it is lost (random loss, or the transmit queue was full: `dropped`).
 * Without NET_PKT_RETRANSMIT, send_ns must not go backwards between calls.
 * The impairment windows covering send_ns come first: a packet they lose
 * counts in impair.lost (not in lost), and their delay adds to the link's.
 */
int net_link_packet(struct net_link *l, int64_t send_ns, uint32_t bytes, unsigned flags,
                    int64_t *arrive_ns);

#endif
