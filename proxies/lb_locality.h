/*
 * lb_locality.h - Istio's locality load balancing (DestinationRule
 * trafficPolicy.loadBalancer.localityLbSetting; istio/istio pilot/pkg/
 * networking/core/loadbalancer/loadbalancer.go): from the client's
 * locality and each endpoint's, the Envoy priority of every endpoint
 * (failover) or the weight of every locality (distribute).
 *
 * A locality is "region/zone/subzone" (zone and subzone may be absent).
 * Rules name localities with wildcards: a part "*" matches any value.
 */
#ifndef FL_PROXIES_LB_LOCALITY_H
#define FL_PROXIES_LB_LOCALITY_H

#include <stddef.h>
#include <stdint.h>

struct px_locality_distribute {
    char *from;
    char **to; /* in the order given (Istio walks a Go map: an order of its own) */
    uint32_t *weight;
    size_t n_to;
};

struct px_locality_failover {
    char *from, *to; /* regions */
};

struct px_label;

struct px_locality_cfg {
    int enabled;              /* Istio's mesh default: on */
    char **failover_priority; /* labels, "label" or "label=value" (a value for the client) */
    size_t n_failover_priority;
    struct px_locality_distribute *distribute;
    size_t n_distribute;
    struct px_locality_failover *failover;
    size_t n_failover;
    int outlier; /* the cluster has outlier detection: failover only then (istiod) */
};

/* The default: enabled, no rules, no outlier detection. */
void px_locality_cfg_default(struct px_locality_cfg *c);
void px_locality_cfg_copy(struct px_locality_cfg *dst, const struct px_locality_cfg *src);
void px_locality_cfg_free(struct px_locality_cfg *c);

/* 1 if locality (an endpoint's or client's) matches a rule's "region/zone/subzone" with '*'. */
int px_locality_match(const char *locality, const char *rule);

/* Istio's LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere. */
int px_locality_priority(const char *self, const char *other);

/* What the balancer gets (px_lb_set_levels): per endpoint, per locality. */
struct px_locality_plan {
    uint8_t *prio;        /* per endpoint */
    uint32_t *loc;        /* per endpoint: index of its locality */
    uint32_t *loc_weight; /* per locality, or NULL (no distribute rule applies) */
    uint32_t n_loc;
    uint32_t n_prio;
};

/*
 * The plan for a client at `self` (NULL or "": no locality, and istiod then
 * applies nothing) over endpoints at ep_loc[0..n) (NULL entries: no
 * locality). Disabled, or no distribute rule from `self` and no outlier
 * detection: every endpoint at priority 0, no weights. Caller frees with
 * px_locality_plan_free.
 */
void px_locality_plan(const struct px_locality_cfg *c, const char *self, const char *const *ep_loc,
                      const uint32_t *ep_weight, size_t n, struct px_locality_plan *out);

/* Labels of the client and of each endpoint, for failoverPriority (all may be NULL). */
struct px_locality_labels {
    const struct px_label *self;
    size_t n_self;
    const struct px_label *const *ep; /* per endpoint */
    const size_t *n_ep;
};

/*
 * The same with labels: failoverPriority (with outlier detection, no
 * distribute rule) ranks endpoints by how many of its labels, in order,
 * carry the client's value (or the value given as "label=value"):
 * priority = number of labels - index of the first mismatch, 0 when all
 * match; made dense; then, if failover rules are given too, priority x 5 +
 * the locality priority, made dense again (loadbalancer.go
 * applyFailoverPriorities, applyLocalityFailover). The topology labels
 * topology.kubernetes.io/region, topology.kubernetes.io/zone and
 * topology.istio.io/subzone default to the parts of the locality, as
 * istiod adds them to pods and proxies.
 */
void px_locality_plan_labels(const struct px_locality_cfg *c, const char *self,
                             const char *const *ep_loc, const uint32_t *ep_weight, size_t n,
                             const struct px_locality_labels *labels, struct px_locality_plan *out);
void px_locality_plan_free(struct px_locality_plan *p);

#endif
