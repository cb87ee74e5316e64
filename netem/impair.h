/*
 * impair.h - impairments laid over a link for a window of time: what a
 * network fault (sim/fault_net.c) adds to a netem link while it is active,
 * the way `tc qdisc change ... netem` would for a while: an added delay
 * with uniform jitter, and random loss (loss 1: every packet vanishes, a
 * partition or a node down).
 *
 * A window covers packets SENT in [from_ns, until_ns): TCP computes
 * retransmissions ahead of time (netem/tcp.h), so a SYN retried after a
 * partition heals gets through, and one retried inside it does not, even
 * though both were computed when the first SYN left.
 *
 * Each window draws from its own stream, so a fault never shifts the draws
 * of the link it is laid over (nor of other faults): runs without it are
 * unchanged and runs with it differ only where it acts.
 *
 * Not here: the link's own shaping (netem/link.h), which windows apply to
 * which links (sim/netfault.c).
 */
#ifndef FL_NETEM_IMPAIR_H
#define FL_NETEM_IMPAIR_H

#include <stdint.h>

#include "base/rng.h"

#define NET_IMPAIR_MAX 8 /* windows on one link at once */

struct net_impair {
    uint64_t id;               /* the owner's handle (net_impairs_remove) */
    int64_t from_ns, until_ns; /* send times covered: [from_ns, until_ns) */
    int64_t delay_ns;          /* added one-way delay */
    int64_t jitter_ns;         /* the added delay varies uniformly in +- jitter_ns */
    double loss;               /* probability a packet vanishes, 0..1 */
    struct fl_rng rng;
};

/*
 * The windows of one link. Their room (NET_IMPAIR_MAX windows) is allocated
 * by the first add: almost every link of a large mesh never gets one, and
 * a link stays small (sim/net.c makes one per pair of nodes that talk).
 */
struct net_impairs {
    struct net_impair *v; /* NET_IMPAIR_MAX windows, NULL until the first add */
    uint32_t n;
    uint64_t lost; /* packets the windows made vanish */
};

/* Adds a window (copied); 0, or -1 when the link already has NET_IMPAIR_MAX. */
int net_impairs_add(struct net_impairs *s, const struct net_impair *w);

/* Removes the window with this id (if any). */
void net_impairs_remove(struct net_impairs *s, uint64_t id);

/* Releases the windows' room (the set is empty afterwards; lost is kept). */
void net_impairs_free(struct net_impairs *s);

/*
 * What the windows covering send_ns do to one packet: 0 when one of them
 * loses it, else 1 with *add_ns = the delay they add (never negative).
 */
int net_impairs_apply(struct net_impairs *s, int64_t send_ns, int64_t *add_ns);

#endif
