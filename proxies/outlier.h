/*
 * outlier.h - Envoy's outlier detection for one cluster, as a pure state
 * machine: results are recorded per host as they arrive, the interval sweep
 * is called by the owner's timer, and both return what changed.
 *
 * Semantics (cluster/v3/outlier_detection.proto, docs "Outlier detection",
 * source/common/upstream/outlier_detection_impl.cc):
 *  - consecutive_5xx (default 5) and consecutive_gateway_failure (502, 503,
 *    504; default 5, enforcing 0) are checked as each result arrives; a
 *    non-matching result resets the counter. Without
 *    split_external_local_origin_errors, a connect failure counts as a 503
 *    and a timeout as a 504 (both are 5xx and gateway errors); with it,
 *    they count as local-origin failures (consecutive_local_origin_failure).
 *  - A host is ejected when the enforcing_* roll passes and the
 *    max-ejection-percent check passes. Current Envoy (after envoy#27909):
 *    allowed if 100 * (ejected + 1) / hosts <= max_ejection_percent, or if
 *    always_eject_one_host and nothing is ejected. Older Envoy (selectable):
 *    allowed if 100 * ejected / hosts < max_ejection_percent.
 *  - Ejection time = base_ejection_time x the host's ejection multiplier
 *    (which grows by one per ejection and shrinks by one at each sweep the
 *    host spends healthy, as checkHostForUneject does), capped at
 *    max_ejection_time, plus jitter. A host comes back only at an interval
 *    sweep, so its ejected time rounds up to the next sweep.
 *  - Success-rate and failure-percentage detection run at sweeps when
 *    their enforcing percentage is above 0.
 *
 * Kong's passive health checks ("circuit breakers") run here too, in their
 * own mode (kong.on; see struct px_outlier_kong and outlier.c): per host, a
 * health state and lua-resty-healthcheck's four counters instead of the
 * consecutive_* detectors; an ejection lasts as long as base_ejection_ns
 * says (Kong: forever), and a host can come back only by its own successes.
 *
 * Not here: timers (the owner calls px_outlier_sweep every interval),
 * panic mode (the load balancer's), events (the owner reports them).
 */
#ifndef FL_PROXIES_OUTLIER_H
#define FL_PROXIES_OUTLIER_H

#include <stdint.h>

/* A set of HTTP statuses 0..999, one bit each. */
#define PX_STATUS_SET_BYTES 125

/*
 * Kong's passive health checks, counted as lua-resty-healthcheck counts
 * them (Kong/lua-resty-healthcheck lib/resty/healthcheck.lua): a response
 * with a status in healthy_statuses is a success, one in
 * unhealthy_statuses an HTTP failure (any other status counts for
 * nothing); a connect failure or reset is a TCP failure; a timeout, or a
 * 504, a timeout. A threshold of 0 switches its counter off.
 */
struct px_outlier_kong {
    int on;                                          /* 0: Envoy's detectors; the rest unused */
    uint8_t unhealthy_statuses[PX_STATUS_SET_BYTES]; /* passive.unhealthy.http_statuses */
    uint8_t healthy_statuses[PX_STATUS_SET_BYTES];   /* passive.healthy.http_statuses */
    uint32_t http_failures;                          /* passive.unhealthy.* */
    uint32_t tcp_failures;
    uint32_t timeouts;
    uint32_t successes; /* passive.healthy.successes: 0 = a success resets nothing */
};

/* Adds status s (0..999) to a status set; tests whether it is in one. */
void px_status_set_add(uint8_t *set, int s);
int px_status_set_has(const uint8_t *set, int s);

struct px_outlier_cfg {
    uint32_t consecutive_5xx;             /* 0 disables */
    uint32_t consecutive_gateway_failure; /* 0 disables */
    uint32_t consecutive_local_origin_failure;
    int split_external_local_origin_errors;
    int64_t interval_ns;            /* 10 s */
    int64_t base_ejection_ns;       /* 30 s */
    int64_t max_ejection_ns;        /* 300 s, or base if larger */
    int64_t max_ejection_jitter_ns; /* 0 */
    uint32_t max_ejection_percent;  /* 10 */
    int always_eject_one_host;
    uint32_t enforcing_consecutive_5xx;                  /* 100 */
    uint32_t enforcing_consecutive_gateway_failure;      /* 0 */
    uint32_t enforcing_consecutive_local_origin_failure; /* 100 */
    uint32_t enforcing_success_rate;                     /* 100 (Istio: 0) */
    uint32_t success_rate_minimum_hosts;                 /* 5 */
    uint32_t success_rate_request_volume;                /* 100 */
    uint32_t success_rate_stdev_factor;                  /* 1900, i.e. 1.9 */
    uint32_t failure_percentage_threshold;               /* 85 */
    uint32_t enforcing_failure_percentage;               /* 0 */
    uint32_t failure_percentage_minimum_hosts;           /* 5 */
    uint32_t failure_percentage_request_volume;          /* 50 */
    int legacy_max_ejection_percent;                     /* the check before envoy#27909 */
    struct px_outlier_kong kong;                         /* Kong's mode; all 0 for Envoy */
};

/* Envoy's defaults (as listed above). */
void px_outlier_cfg_envoy(struct px_outlier_cfg *c);

struct px_outlier_host {
    uint32_t cons_5xx, cons_gateway, cons_local;
    int ejected;
    int64_t ejected_at_ns;
    int64_t ejection_ns;       /* how long this ejection lasts (before rounding to a sweep) */
    uint32_t multiplier;       /* Envoy's ejectTimeBackoff */
    uint32_t ejections;        /* times ejected so far */
    int64_t last_unejected_ns; /* -1: never */
    uint64_t interval_total, interval_failed; /* for success rate / failure percentage */
    /* Kong's mode: lua-resty-healthcheck's internal health and counters */
    uint8_t kong_health; /* PX_KONG_HEALTHY ... */
    uint32_t kong_successes, kong_http, kong_tcp, kong_timeouts;
};

/* lua-resty-healthcheck's internal states (healthy and mostly_healthy take traffic). */
enum { PX_KONG_HEALTHY, PX_KONG_MOSTLY_HEALTHY, PX_KONG_UNHEALTHY, PX_KONG_MOSTLY_UNHEALTHY };

struct px_outlier {
    struct px_outlier_cfg cfg;
    struct px_outlier_host *hosts;
    uint32_t n_hosts, n_ejected;
    uint64_t ejections_total;
};

void px_outlier_init(struct px_outlier *o, const struct px_outlier_cfg *cfg, uint32_t n_hosts);
void px_outlier_free(struct px_outlier *o);

/* How a request to a host ended, for outlier detection. */
enum px_origin {
    PX_ORIGIN_RESPONSE,       /* the host answered with `status` */
    PX_ORIGIN_CONNECT_FAILED, /* local origin: no connection */
    PX_ORIGIN_TIMEOUT,        /* local origin: no answer in time */
    PX_ORIGIN_RESET,          /* local origin: connection reset */
};

/*
 * Records one result for host h at now_ns; `random` feeds the enforcing
 * roll and the ejection jitter. Returns 1 if h was ejected by this result,
 * -1 if it was brought back by it (Kong's mode only: enough successes of
 * requests that were already on their way), else 0.
 */
int px_outlier_record(struct px_outlier *o, uint32_t h, enum px_origin origin, int status,
                      int64_t now_ns, uint64_t random);

/*
 * The interval sweep at now_ns: brings back hosts whose ejection time has
 * passed, adjusts multipliers, runs success-rate and failure-percentage
 * detection. Writes the indexes of hosts brought back into unejected[] and
 * of hosts ejected into ejected[] (each array n_hosts long, may be NULL);
 * returns the number brought back; *n_ejected_out (may be NULL) gets the
 * number ejected.
 */
uint32_t px_outlier_sweep(struct px_outlier *o, int64_t now_ns, uint64_t random,
                          uint32_t *unejected, uint32_t *ejected, uint32_t *n_ejected_out);

static inline int px_outlier_ejected(const struct px_outlier *o, uint32_t h)
{
    return o->hosts[h].ejected;
}

#endif
