/*
 * lb.h - Envoy's load balancers as pure functions of the host set and a
 * random stream: round robin (weighted: earliest deadline first), least
 * request (power of two choices; weighted: EDF on weight / (active+1)^bias),
 * random; ring hash and Maglev (consistent hashing, lb_hash.h); with the
 * healthy panic threshold.
 *
 * Semantics (cluster/v3/cluster.proto, docs "Load balancers" and "Panic
 * threshold"):
 *  - Hosts that are unhealthy or ejected are not picked, unless the share
 *    of healthy hosts falls below the panic threshold (Envoy's default 50%;
 *    0 disables panic; Istio's default is 0 via minHealthPercent): then
 *    every host is a candidate. With panic disabled and no healthy host,
 *    there is no pick ("no healthy upstream").
 *  - Hosts marked `excluded` (tried before, for retry_host_predicate
 *    previous_hosts) are avoided when another candidate exists.
 *  - Ties are broken by host index: never by address.
 *  - Kong's upstream health (healthchecks.threshold, when above 0): no pick
 *    at all unless the healthy hosts hold more than that percent of the
 *    total weight (kong/runloop/balancer/balancers.lua updateStatus and
 *    getPeer: "Balancer is unhealthy", which Kong answers with 503).
 */
#ifndef FL_PROXIES_LB_H
#define FL_PROXIES_LB_H

#include <stdint.h>

#include "proxies/lb_hash.h"

enum px_lb_policy {
    PX_LB_ROUND_ROBIN,
    PX_LB_LEAST_REQUEST,
    PX_LB_RANDOM,
    PX_LB_RING_HASH, /* consistent hashing on a ring (lb_ring.c) */
    PX_LB_MAGLEV,    /* consistent hashing on a Maglev table (lb_maglev.c) */
};

struct px_lb_cfg {
    enum px_lb_policy policy;
    uint32_t choice_count;      /* least request: 2 */
    double active_request_bias; /* least request, unequal weights: 1.0 */
    double panic_threshold;     /* percent of healthy hosts; 0 disables panic */
    double min_healthy_weight;  /* Kong's threshold: percent of the weight; 0: no such check */
    uint64_t ring_size_min;     /* ring hash: 1024 */
    uint64_t ring_size_max;     /* ring hash: 8M */
    uint64_t maglev_size;       /* Maglev: 65537, prime */
};

/* Envoy's defaults: round robin, 2 choices, bias 1.0, panic at 50%, ring 1024..8M, Maglev 65537. */
void px_lb_cfg_envoy(struct px_lb_cfg *c);

struct px_lb_host {
    uint32_t weight;  /* >= 1 */
    uint32_t active;  /* requests in flight to it */
    uint8_t healthy;  /* not ejected, not failed */
    uint8_t excluded; /* avoid if possible (tried already) */
    uint8_t absent;   /* not in the host set now (withdrawn from EDS): never counted nor picked */
    const char *addr; /* what ring hash and Maglev hash the host by (NULL: "host<index>") */
};

#define PX_LB_PRIO_MAX 8 /* priority levels */

struct px_lb {
    struct px_lb_cfg cfg;
    uint32_t n;
    uint32_t rr_next;
    double *deadline; /* EDF: per host */
    double edf_now;
    uint64_t panics; /* picks made in panic mode */
    /* priorities and locality weights (px_lb_set_levels); none: one level, no weights */
    uint8_t *prio;        /* per host, < n_prio */
    uint32_t n_prio;      /* >= 1 */
    uint32_t *loc;        /* per host: its locality, < n_loc */
    uint32_t *loc_weight; /* per locality; NULL: no locality-weighted balancing */
    uint32_t n_loc;
    uint32_t *loc_count; /* scratch for a pick: healthy and total hosts per locality */
    uint64_t prio_picks[PX_LB_PRIO_MAX]; /* picks per priority */
    uint64_t rebuilds;                   /* hash tables built; 0: tables NULL */
    int owns_room;                       /* deadline (and loc, prio after it) is its own */
    /* ring hash / Maglev: per priority (PX_LB_PRIO_MAX of them), the table and which hosts
     * it was built over; allocated by the first build (most balancers never hash, and a
     * mesh makes one per cluster of every sidecar: 384 bytes each were cold weight) */
    struct px_lb_table {
        struct px_ring ring;
        struct px_maglev maglev;
        uint8_t *members;
        int built;
    } * tables;
};

void px_lb_init(struct px_lb *lb, const struct px_lb_cfg *cfg, uint32_t n_hosts);
/* The bytes px_lb_init_in needs for n_hosts hosts (a multiple of 8). */
size_t px_lb_room(uint32_t n_hosts);
/*
 * px_lb_init with the per-host arrays in room (px_lb_room(n_hosts) bytes,
 * zeroed, 8-aligned), which the caller owns: px_lb_free leaves it alone.
 */
void px_lb_init_in(struct px_lb *lb, const struct px_lb_cfg *cfg, uint32_t n_hosts, void *room);
void px_lb_free(struct px_lb *lb);

/*
 * Priority levels and locality weights (Envoy's LocalityLbEndpoints.priority
 * and load_balancing_weight, which Istio's locality load balancing sets:
 * lb_locality.c). prio[i] < PX_LB_PRIO_MAX is host i's priority (copied);
 * loc[i] < n_loc its locality and loc_weight[l] each locality's weight
 * (copied; loc_weight NULL: no locality-weighted balancing). A pick first
 * chooses a priority by Envoy's priority load (px_lb_priority_load), then,
 * with locality weights and a policy other than ring hash and Maglev, a
 * locality of that priority by effective weight, then a host among that
 * level's hosts by the policy. Ring hash and Maglev build one table per
 * priority (Envoy also folds locality weights into host weights there:
 * not here).
 */
void px_lb_set_levels(struct px_lb *lb, const uint8_t *prio, const uint32_t *loc,
                      const uint32_t *loc_weight, uint32_t n_loc);

/*
 * Envoy's priority load (load_balancer_impl.cc recalculatePerPriorityState,
 * docs "Priority levels"): health[p] = min(100, 140 x healthy[p] / total[p])
 * (the overprovisioning factor 1.4, integer arithmetic); availability =
 * min(100, sum of health); priority p gets min(what is left, health[p] x 100
 * / availability), in order; rounding leftovers go to the first priority
 * with load; availability 0: priority 0 gets 100. Fills load[0..n) (sum
 * 100) and returns the availability.
 */
uint32_t px_lb_priority_load(const uint32_t *healthy, const uint32_t *total, uint32_t n,
                             uint32_t *load);

/* Envoy's choosePriority: r % 100 + 1 against the running sum of load[]. */
uint32_t px_lb_priority_choose(const uint32_t *load, uint32_t n, uint64_t r);

/*
 * A locality's effective weight (HostSetImpl::effectiveLocalityWeight):
 * weight x min(1, 1.4 x healthy / total), truncated; 0 without hosts.
 */
uint32_t px_lb_locality_effective(uint32_t weight, uint32_t healthy, uint32_t total);

/*
 * Picks a host among hosts[0..n). `random` returns 64 random bits (called
 * as needed). Returns the index, or -1 when none can be picked. *panic
 * (may be NULL) is set to 1 when the pick was made in panic mode.
 */
int px_lb_pick(struct px_lb *lb, const struct px_lb_host *hosts, uint64_t (*random)(void *),
               void *random_arg, int *panic);

/*
 * The same, with the request's hash for ring hash and Maglev (hash NULL:
 * the request gave none, and Envoy hashes on a random number:
 * ThreadAwareLoadBalancerBase::LoadBalancerImpl::chooseHost). Other
 * policies ignore hash. The table is built over the healthy hosts (every
 * host in panic) and rebuilt when that set changes, as Envoy refreshes it
 * on every host set change. An excluded host (previous_hosts) is avoided as
 * Envoy's retry host predicate does it: the pick is redone with attempt 1,
 * 2, ... up to PX_LB_HASH_ATTEMPTS (istiod's host_selection_retry_max_
 * attempts, 5), and the last pick stands.
 */
#define PX_LB_HASH_ATTEMPTS 5
int px_lb_pick_hash(struct px_lb *lb, const struct px_lb_host *hosts, const uint64_t *hash,
                    uint64_t (*random)(void *), void *random_arg, int *panic);

#endif
