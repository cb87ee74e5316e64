/*
 * lb.h - Envoy's load balancers as pure functions of the host set and a
 * random stream: round robin (weighted: earliest deadline first), least
 * request (power of two choices; weighted: EDF on weight / (active+1)^bias),
 * random; with the healthy panic threshold.
 *
 * Semantics (cluster/v3/cluster.proto, docs "Load balancers" and "Panic
 * threshold"; SEMANTICS.md b.4):
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

enum px_lb_policy { PX_LB_ROUND_ROBIN, PX_LB_LEAST_REQUEST, PX_LB_RANDOM };

struct px_lb_cfg {
    enum px_lb_policy policy;
    uint32_t choice_count;      /* least request: 2 */
    double active_request_bias; /* least request, unequal weights: 1.0 */
    double panic_threshold;     /* percent of healthy hosts; 0 disables panic */
    double min_healthy_weight;  /* Kong's threshold: percent of the weight; 0: no such check */
};

/* Envoy's defaults: round robin, 2 choices, bias 1.0, panic at 50%. */
void px_lb_cfg_envoy(struct px_lb_cfg *c);

struct px_lb_host {
    uint32_t weight;  /* >= 1 */
    uint32_t active;  /* requests in flight to it */
    uint8_t healthy;  /* not ejected, not failed */
    uint8_t excluded; /* avoid if possible (tried already) */
};

struct px_lb {
    struct px_lb_cfg cfg;
    uint32_t n;
    uint32_t rr_next;
    double *deadline; /* EDF: per host */
    double edf_now;
    uint64_t panics; /* picks made in panic mode */
};

void px_lb_init(struct px_lb *lb, const struct px_lb_cfg *cfg, uint32_t n_hosts);
void px_lb_free(struct px_lb *lb);

/*
 * Picks a host among hosts[0..n). `random` returns 64 random bits (called
 * as needed). Returns the index, or -1 when none can be picked. *panic
 * (may be NULL) is set to 1 when the pick was made in panic mode.
 */
int px_lb_pick(struct px_lb *lb, const struct px_lb_host *hosts, uint64_t (*random)(void *),
               void *random_arg, int *panic);

#endif
