/*
 * outlier.c - Envoy's outlier detection for one cluster: consecutive 5xx,
 * consecutive gateway failures and consecutive local-origin failures as
 * results arrive; unejection, ejection-time backoff, success rate and
 * failure percentage at interval sweeps.
 *
 * How (envoyproxy/envoy source/common/upstream/outlier_detection_impl.cc,
 * checked function by function):
 *  - putHttpResponseCode: a 5xx counts toward consecutive_5xx, a 502/503/504
 *    also toward consecutive_gateway_failure (another 5xx resets that one);
 *    anything else resets both. The check is "++count == threshold", so a
 *    count that passes its threshold while the host is ejected does not fire
 *    again until something resets it.
 *  - putResultNoLocalExternalSplit / resultToHttpCode: without the split, a
 *    connect failure is a 503 and a timeout a 504. The router reports a reset
 *    as LocalOriginConnectFailed (router.cc onUpstreamReset), hence a 503.
 *    With the split they are local-origin failures (localOriginFailure), and
 *    an answer from the host resets that counter (LocalOriginConnectSuccess).
 *  - onConsecutiveErrorWorker: nothing happens to a host already ejected;
 *    otherwise ejectHost is tried and the counter that fired is reset, ejected
 *    or not. The gateway event is handled before the 5xx event.
 *  - ejectHost: first the max-ejection-percent check (current: 100 * (ejected
 *    + 1) / hosts <= max, envoy PR #27909; before it: 100 * ejected / hosts <
 *    max, envoy#3263 / #27066; always_eject_one_host, PR #34796, allows it
 *    when nothing is ejected), then the enforcing roll
 *    (Runtime featureEnabled: random % 100 < percent). On ejection the jitter
 *    is random % (max_ejection_time_jitter_ms + 1) ms and the multiplier
 *    (ejectTimeBackoff, from 0) grows by one while multiplier * base < max +
 *    base.
 *  - checkHostForUneject, at each sweep: back when min(base * multiplier,
 *    max) + jitter <= now - ejected_at; unejectHost resets all consecutive
 *    counters.
 *  - onIntervalTimer: unejections, then success rate and failure percentage
 *    (processSuccessRateEjections: hosts not ejected with enough volume in
 *    the interval just ended; threshold mean - stdev_factor/1000 * population
 *    stdev; failure percentage 100 - rate >= threshold), then every host not
 *    ejected whose last unejection is at least one interval old has its
 *    multiplier decreased by one.
 *
 * Random numbers: the first ejection attempt of px_outlier_record uses
 * `random` itself (roll: random % 100 < enforcing; jitter: (random / 100) %
 * (jitter_ms + 1), the quotient being independent of the remainder); a second
 * attempt in the same call (the 5xx event after a gateway event), and every
 * attempt of a sweep, use successive splitmix64 outputs seeded with `random`.
 *
 * Deviations, on purpose: hosts are visited in index order (Envoy: hash-map
 * order), which matters when max_ejection_percent stops a sweep part-way; a
 * host ejected by success rate is not ejected again by failure percentage in
 * the same sweep (Envoy would call ejectHost twice); a config whose
 * max_ejection_time is below base_ejection_time (Envoy rejects it) is run
 * with max = base.
 *
 * Kong's mode (cfg.kong.on: Kong's passive health checks, which Kong calls
 * circuit breakers), checked against Kong/lua-resty-healthcheck
 * lib/resty/healthcheck.lua and how Kong feeds it:
 *  - report_http_status: a status in healthy.http_statuses is a success, else
 *    one in unhealthy.http_statuses an HTTP failure, else it is ignored;
 *    report_tcp_failure and report_timeout count the other two kinds. Kong
 *    reports a try that failed when it picks the next one
 *    (kong/init.lua Kong.balancer: nginx's code 504 is a timeout, anything
 *    else a TCP failure) and the last try's status in the log phase
 *    (kong/runloop/handler.lua log.after: 504 is a timeout), so here a
 *    connect failure or reset is a TCP failure, a timeout or a 504 answer a
 *    timeout. (The owner reports a connect timeout as a timeout, as nginx
 *    does, and a last try's failed connection as the 502 nginx answers
 *    with: proxy.c record_failure.)
 *  - incr_counter: a counter whose threshold is 0 counts nothing; a success
 *    is not counted while the host is fully healthy, a failure not while it
 *    is fully unhealthy; a counted success clears the three failure
 *    counters, a counted failure clears the success counter (so failures
 *    are consecutive only when healthy.successes > 0: with the default 0 a
 *    success resets nothing and failures add up for as long as the process
 *    lives); a counter that reaches its threshold moves the host to
 *    unhealthy (ejected: Kong's balancer skips it, setAddressStatus) or
 *    healthy (back); short of it, the first failure makes a healthy host
 *    mostly_healthy and the first success an unhealthy one
 *    mostly_unhealthy, both keeping their traffic as they were.
 *  - nothing else brings a host back (no probes: Kong's active checks or
 *    its admin API would), except successes of requests that were already
 *    on their way to it when it was ejected; the sweep never does, as the
 *    ejection time Kong's configuration gives is as good as forever.
 *
 * Not here: local-origin success rate and failure percentage, active health
 * checks (successful_active_health_check_uneject_host), extension monitors,
 * priorities (the check counts every host of the cluster, as Envoy does).
 */
#include "proxies/outlier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/rng.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S  INT64_C(1000000000)

void px_outlier_cfg_envoy(struct px_outlier_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->consecutive_5xx = 5;
    c->consecutive_gateway_failure = 5;
    c->consecutive_local_origin_failure = 5;
    c->interval_ns = 10 * NS_PER_S;
    c->base_ejection_ns = 30 * NS_PER_S;
    c->max_ejection_ns = 300 * NS_PER_S;
    c->max_ejection_percent = 10;
    c->enforcing_consecutive_5xx = 100;
    c->enforcing_consecutive_gateway_failure = 0;
    c->enforcing_consecutive_local_origin_failure = 100;
    c->enforcing_success_rate = 100;
    c->success_rate_minimum_hosts = 5;
    c->success_rate_request_volume = 100;
    c->success_rate_stdev_factor = 1900;
    c->failure_percentage_threshold = 85;
    c->enforcing_failure_percentage = 0;
    c->failure_percentage_minimum_hosts = 5;
    c->failure_percentage_request_volume = 50;
}

void px_status_set_add(uint8_t *set, int s)
{
    if (s >= 0 && s < PX_STATUS_SET_BYTES * 8) set[s / 8] |= (uint8_t)(1u << (s % 8));
}

int px_status_set_has(const uint8_t *set, int s)
{
    return s >= 0 && s < PX_STATUS_SET_BYTES * 8 && (set[s / 8] >> (s % 8)) & 1;
}

void px_outlier_init(struct px_outlier *o, const struct px_outlier_cfg *cfg, uint32_t n_hosts)
{
    FL_ASSERT(o && cfg && cfg->base_ejection_ns > 0);
    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    if (o->cfg.max_ejection_ns < o->cfg.base_ejection_ns)
        o->cfg.max_ejection_ns = o->cfg.base_ejection_ns;
    o->n_hosts = n_hosts;
    o->hosts = fl_calloc(n_hosts ? n_hosts : 1, sizeof *o->hosts);
    for (uint32_t i = 0; i < n_hosts; i++) o->hosts[i].last_unejected_ns = -1;
}

void px_outlier_free(struct px_outlier *o)
{
    free(o->hosts);
    o->hosts = NULL;
}

/* ---------------------------------------------------------------- ejecting */

/* Successive random numbers for one call: `random` first, then splitmix64 outputs. */
struct draws {
    uint64_t first, state;
    int used;
};

static uint64_t draw(struct draws *d)
{
    return d->used++ ? fl_splitmix64(&d->state) : d->first;
}

static int percent_allows(const struct px_outlier *o)
{
    FL_ASSERT(o->n_hosts > 0 && o->n_ejected <= o->n_hosts);
    const struct px_outlier_cfg *c = &o->cfg;
    double max = c->max_ejection_percent > 100 ? 100 : c->max_ejection_percent;
    int ok = c->legacy_max_ejection_percent ? 100.0 * o->n_ejected / o->n_hosts < max
                                            : 100.0 * (o->n_ejected + 1) / o->n_hosts <= max;
    return ok || (c->always_eject_one_host && o->n_ejected == 0);
}

static int enforced(uint32_t percent, uint64_t random)
{
    return random % 100 < (percent > 100 ? 100 : percent);
}

/* Envoy's ejectHost. Returns 1 if h was ejected. */
static int eject(struct px_outlier *o, uint32_t h, uint32_t enforcing, int64_t now_ns,
                 struct draws *d)
{
    FL_ASSERT(h < o->n_hosts && !o->hosts[h].ejected);
    if (!percent_allows(o)) return 0; /* ejections_overflow */
    uint64_t r = draw(d);
    if (!enforced(enforcing, r)) return 0; /* detected, not enforced */
    const struct px_outlier_cfg *c = &o->cfg;
    struct px_outlier_host *hs = &o->hosts[h];
    hs->ejected = 1;
    hs->ejected_at_ns = now_ns;
    hs->ejections++;
    o->n_ejected++;
    o->ejections_total++;
    /* max_ejection_percent admits it: never more ejected hosts than hosts */
    FL_ASSERT(o->n_ejected <= o->n_hosts && o->ejections_total >= o->n_ejected);
    uint64_t jitter_ms = (r / 100) % ((uint64_t)(c->max_ejection_jitter_ns / NS_PER_MS) + 1);
    if ((int64_t)hs->multiplier * c->base_ejection_ns < c->max_ejection_ns + c->base_ejection_ns)
        hs->multiplier++;
    int64_t t = (int64_t)hs->multiplier * c->base_ejection_ns;
    hs->ejection_ns =
        (t < c->max_ejection_ns ? t : c->max_ejection_ns) + (int64_t)jitter_ms * NS_PER_MS;
    FL_ASSERT(hs->multiplier > 0 && hs->ejection_ns >= c->base_ejection_ns);
    return 1;
}

/* A consecutive counter reached its threshold (onConsecutiveErrorWorker). */
static int fired(struct px_outlier *o, uint32_t h, uint32_t *count, uint32_t enforcing,
                 int64_t now_ns, struct draws *d)
{
    if (o->hosts[h].ejected) return 0;
    /* the counter reached its threshold, which is never 0 */
    FL_ASSERT(*count > 0);
    int ej = eject(o, h, enforcing, now_ns, d);
    *count = 0;
    return ej;
}

/* putHttpResponseCode. */
static int put_code(struct px_outlier *o, uint32_t h, int code, int64_t now_ns, struct draws *d)
{
    const struct px_outlier_cfg *c = &o->cfg;
    struct px_outlier_host *hs = &o->hosts[h];
    hs->interval_total++;
    if (code < 500 || code > 599) {
        hs->cons_5xx = hs->cons_gateway = 0;
        return 0;
    }
    hs->interval_failed++;
    FL_ASSERT(hs->interval_failed <= hs->interval_total);
    int fire_gateway = 0;
    if (code >= 502 && code <= 504)
        fire_gateway = ++hs->cons_gateway == c->consecutive_gateway_failure;
    else
        hs->cons_gateway = 0;
    int fire_5xx = ++hs->cons_5xx == c->consecutive_5xx;
    int ej = 0;
    if (fire_gateway)
        ej |= fired(o, h, &hs->cons_gateway, c->enforcing_consecutive_gateway_failure, now_ns, d);
    if (fire_5xx) ej |= fired(o, h, &hs->cons_5xx, c->enforcing_consecutive_5xx, now_ns, d);
    return ej;
}

static void uneject(struct px_outlier *o, uint32_t h, int64_t now_ns);

/*
 * lua-resty-healthcheck's incr_counter for one report about host h:
 * `healthy` says which way it pushes, *ctr is the counter it increments
 * and limit that counter's threshold. Returns 1 (ejected), -1 (back) or 0.
 */
static int kong_count(struct px_outlier *o, uint32_t h, int healthy, uint32_t *ctr, uint32_t limit,
                      int64_t now_ns, struct draws *d)
{
    struct px_outlier_host *hs = &o->hosts[h];
    if (limit == 0) return 0; /* "fail fast on counters that are disabled by configuration" */
    if (hs->kong_health == (healthy ? PX_KONG_HEALTHY : PX_KONG_UNHEALTHY)) return 0;
    ++*ctr;
    if (healthy)
        hs->kong_http = hs->kong_tcp = hs->kong_timeouts = 0; /* MASK_SUCCESS */
    else
        hs->kong_successes = 0; /* MASK_FAILURE */
    if (*ctr >= limit) {
        hs->kong_health = healthy ? PX_KONG_HEALTHY : PX_KONG_UNHEALTHY;
        if (healthy && hs->ejected) {
            uneject(o, h, now_ns);
            return -1;
        }
        if (!healthy && !hs->ejected) return eject(o, h, 100, now_ns, d);
        return 0;
    }
    if (!healthy && hs->kong_health == PX_KONG_HEALTHY) hs->kong_health = PX_KONG_MOSTLY_HEALTHY;
    if (healthy && hs->kong_health == PX_KONG_UNHEALTHY) hs->kong_health = PX_KONG_MOSTLY_UNHEALTHY;
    return 0;
}

/* Kong's passive checks: which report a result is (see the file comment). */
static int kong_record(struct px_outlier *o, uint32_t h, enum px_origin origin, int status,
                       int64_t now_ns, struct draws *d)
{
    const struct px_outlier_kong *k = &o->cfg.kong;
    struct px_outlier_host *hs = &o->hosts[h];
    if (origin == PX_ORIGIN_TIMEOUT || (origin == PX_ORIGIN_RESPONSE && status == 504))
        return kong_count(o, h, 0, &hs->kong_timeouts, k->timeouts, now_ns, d);
    if (origin != PX_ORIGIN_RESPONSE)
        return kong_count(o, h, 0, &hs->kong_tcp, k->tcp_failures, now_ns, d);
    if (px_status_set_has(k->healthy_statuses, status))
        return kong_count(o, h, 1, &hs->kong_successes, k->successes, now_ns, d);
    if (px_status_set_has(k->unhealthy_statuses, status) || status == 0)
        return kong_count(o, h, 0, &hs->kong_http, k->http_failures, now_ns, d);
    return 0; /* in neither list: ignored */
}

int px_outlier_record(struct px_outlier *o, uint32_t h, enum px_origin origin, int status,
                      int64_t now_ns, uint64_t random)
{
    FL_ASSERT(o && h < o->n_hosts);
    const struct px_outlier_cfg *c = &o->cfg;
    struct px_outlier_host *hs = &o->hosts[h];
    struct draws d = {random, random, 0};
    if (c->kong.on) return kong_record(o, h, origin, status, now_ns, &d);
    if (c->split_external_local_origin_errors) {
        if (origin != PX_ORIGIN_RESPONSE) { /* localOriginFailure */
            if (++hs->cons_local != c->consecutive_local_origin_failure) return 0;
            return fired(o, h, &hs->cons_local, c->enforcing_consecutive_local_origin_failure,
                         now_ns, &d);
        }
        hs->cons_local = 0; /* the host answered: LocalOriginConnectSuccess */
        return put_code(o, h, status, now_ns, &d);
    }
    int code = origin == PX_ORIGIN_RESPONSE ? status : origin == PX_ORIGIN_TIMEOUT ? 504 : 503;
    return put_code(o, h, code, now_ns, &d);
}

/* ---------------------------------------------------------------- the sweep */

static void uneject(struct px_outlier *o, uint32_t h, int64_t now_ns)
{
    struct px_outlier_host *hs = &o->hosts[h];
    FL_ASSERT(h < o->n_hosts && hs->ejected && o->n_ejected > 0);
    hs->ejected = 0;
    o->n_ejected--;
    hs->cons_5xx = hs->cons_gateway = hs->cons_local = 0;
    hs->last_unejected_ns = now_ns;
    /* Kong's mode: healthy again (set_target_status clears the counters) */
    hs->kong_health = PX_KONG_HEALTHY;
    hs->kong_successes = hs->kong_http = hs->kong_tcp = hs->kong_timeouts = 0;
}

/* Success rate (0..100) of each host not ejected that had traffic this interval, else -1. */
static void rates_fill(const struct px_outlier *o, double *rate)
{
    for (uint32_t i = 0; i < o->n_hosts; i++) {
        const struct px_outlier_host *hs = &o->hosts[i];
        rate[i] = -1.0;
        if (hs->ejected || hs->interval_total == 0) continue;
        rate[i] =
            (double)(hs->interval_total - hs->interval_failed) * 100.0 / (double)hs->interval_total;
    }
}

static int has_volume(const struct px_outlier *o, const double *rate, uint32_t i, uint32_t volume)
{
    return rate[i] >= 0.0 && o->hosts[i].interval_total >= volume;
}

/* Records an ejection made by the sweep in ejected[]. */
static void sweep_eject(struct px_outlier *o, uint32_t h, uint32_t enforcing, int64_t now_ns,
                        struct draws *d, uint32_t *ejected, uint32_t *n_ej)
{
    if (o->hosts[h].ejected) return;
    /* each host ejects at most once per sweep, so there is room for it */
    FL_ASSERT(*n_ej < o->n_hosts);
    if (!eject(o, h, enforcing, now_ns, d)) return;
    if (ejected) ejected[*n_ej] = h;
    (*n_ej)++;
}

static void success_rate(struct px_outlier *o, const double *rate, int64_t now_ns, struct draws *d,
                         uint32_t *ejected, uint32_t *n_ej)
{
    const struct px_outlier_cfg *c = &o->cfg;
    uint32_t count = 0;
    double sum = 0, var = 0;
    for (uint32_t i = 0; i < o->n_hosts; i++) {
        if (!has_volume(o, rate, i, c->success_rate_request_volume)) continue;
        count++;
        sum += rate[i];
    }
    if (count == 0 || count < c->success_rate_minimum_hosts) return;
    double mean = sum / count;
    for (uint32_t i = 0; i < o->n_hosts; i++)
        if (has_volume(o, rate, i, c->success_rate_request_volume))
            var += (rate[i] - mean) * (rate[i] - mean);
    double threshold = mean - c->success_rate_stdev_factor / 1000.0 * sqrt(var / count);
    for (uint32_t i = 0; i < o->n_hosts; i++)
        if (has_volume(o, rate, i, c->success_rate_request_volume) && rate[i] < threshold)
            sweep_eject(o, i, c->enforcing_success_rate, now_ns, d, ejected, n_ej);
}

static void failure_percentage(struct px_outlier *o, const double *rate, int64_t now_ns,
                               struct draws *d, uint32_t *ejected, uint32_t *n_ej)
{
    const struct px_outlier_cfg *c = &o->cfg;
    uint32_t count = 0;
    for (uint32_t i = 0; i < o->n_hosts; i++)
        count += has_volume(o, rate, i, c->failure_percentage_request_volume);
    if (count == 0 || count < c->failure_percentage_minimum_hosts) return;
    for (uint32_t i = 0; i < o->n_hosts; i++)
        if (has_volume(o, rate, i, c->failure_percentage_request_volume) &&
            100.0 - rate[i] >= c->failure_percentage_threshold)
            sweep_eject(o, i, c->enforcing_failure_percentage, now_ns, d, ejected, n_ej);
}

/* processSuccessRateEjections for external-origin results. */
static uint32_t detect(struct px_outlier *o, int64_t now_ns, uint64_t random, uint32_t *ejected)
{
    const struct px_outlier_cfg *c = &o->cfg;
    uint32_t n_ej = 0;
    if (o->n_hosts < c->success_rate_minimum_hosts &&
        o->n_hosts < c->failure_percentage_minimum_hosts)
        return 0;
    if (c->enforcing_success_rate == 0 && c->enforcing_failure_percentage == 0) return 0;
    double *rate = fl_calloc(o->n_hosts, sizeof *rate); /* once per interval, not per request */
    rates_fill(o, rate);
    struct draws d = {random, random, 1}; /* every sweep draw comes from splitmix64 */
    if (c->enforcing_success_rate > 0) success_rate(o, rate, now_ns, &d, ejected, &n_ej);
    if (c->enforcing_failure_percentage > 0)
        failure_percentage(o, rate, now_ns, &d, ejected, &n_ej);
    free(rate);
    FL_ASSERT(n_ej <= o->n_ejected);
    return n_ej;
}

uint32_t px_outlier_sweep(struct px_outlier *o, int64_t now_ns, uint64_t random,
                          uint32_t *unejected, uint32_t *ejected, uint32_t *n_ejected_out)
{
    FL_ASSERT(o);
    const struct px_outlier_cfg *c = &o->cfg;
    uint32_t n_back = 0;
    for (uint32_t i = 0; i < o->n_hosts; i++) {
        struct px_outlier_host *hs = &o->hosts[i];
        if (!hs->ejected || hs->ejection_ns > now_ns - hs->ejected_at_ns) continue;
        uneject(o, i, now_ns);
        if (unejected) unejected[n_back] = i;
        n_back++;
    }
    /* the hosts back are no longer counted as ejected */
    FL_ASSERT(n_back <= o->n_hosts && o->n_ejected + n_back <= o->n_hosts);
    uint32_t n_ej = o->n_hosts ? detect(o, now_ns, random, ejected) : 0;
    for (uint32_t i = 0; i < o->n_hosts; i++) {
        struct px_outlier_host *hs = &o->hosts[i];
        hs->interval_total = hs->interval_failed = 0; /* the next interval's bucket */
        /* healthy for a whole interval since it came back: the backoff shrinks */
        if (!hs->ejected && hs->last_unejected_ns >= 0 &&
            now_ns - hs->last_unejected_ns >= c->interval_ns && hs->multiplier > 0)
            hs->multiplier--;
    }
    if (n_ejected_out) *n_ejected_out = n_ej;
    FL_ASSERT(n_ej <= o->n_ejected);
    return n_back;
}
