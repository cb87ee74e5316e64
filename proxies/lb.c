/*
 * lb.c - Envoy's round robin, least request and random load balancers for
 * one priority level, with the healthy panic threshold.
 *
 * How. Each pick first decides panic, then the candidate set (healthy hosts,
 * or every host in panic; hosts marked excluded are dropped if any other
 * candidate is left), then applies the policy to the candidates in index
 * order, which is the order of Envoy's host vectors:
 *  - round robin, equal weights: the next candidate at or after rr_next (the
 *    first pick starts at a random host, as Envoy seeds rr_indexes_ with a
 *    random number);
 *  - round robin with unequal weights, and least request with unequal
 *    weights: earliest deadline first. A host's deadline is the pick time
 *    plus 1 / weight (least request: weight / (active + 1)^bias, computed
 *    when the host is picked, as EdfScheduler::pickAndAdd re-adds it);
 *  - least request, equal weights: choice_count draws (with replacement) of
 *    random % candidates; the fewest active requests wins, the first drawn
 *    on ties;
 *  - random: random % candidates.
 *
 * Checked against envoyproxy/envoy:
 *  - source/common/upstream/edf_scheduler.h: deadline = current time +
 *    1/weight, current time = the picked entry's deadline.
 *  - source/extensions/load_balancing_policies/common/load_balancer_impl.cc:
 *    EdfLoadBalancerBase::refresh builds an EDF schedule only when weights
 *    differ (hostWeightsAreEqual); recalculatePerPriorityState (health =
 *    min(100, 140 * healthy / hosts), the overprovisioning factor 1.4);
 *    recalculatePerPriorityPanic (no panic when that is 100; threshold 0 and
 *    nothing healthy: no host); isHostSetInPanic (100.0 * healthy / hosts <
 *    threshold); hostSourceToUse (panic uses all hosts).
 *  - least_request_lb.cc: unweightedHostPickNChoices and hostWeight
 *    (bias 1.0 divides, 0 ignores active requests, else pow).
 *  - RandomLoadBalancer::peekOrChoose: random % hosts.
 *
 * Deviations, on purpose: ties between equal deadlines go to the lower host
 * index (Envoy: insertion order); the weighted schedule starts at phase 0
 * (Envoy's createWithPicks starts at a random phase); when health changes,
 * Envoy rebuilds its schedules, here a returning host whose deadline has
 * passed is re-added at the current time instead (so it gets no burst);
 * excluded hosts (previous_hosts) are filtered out rather than re-picked up
 * to host_selection_retry_max_attempts times. panic_threshold is rounded to
 * a whole percent as Envoy's PROTOBUF_PERCENT_TO_ROUNDED_INTEGER does.
 *
 * Kong's threshold (min_healthy_weight) is checked before anything else: below
 * it there is no pick, whatever the policy.
 *
 * Ring hash and Maglev (lb_ring.c, lb_maglev.c) map the request's hash to a
 * host through a table built over the candidate source (healthy hosts, or
 * all in panic), rebuilt whenever that set changes.
 *
 * Not here: priorities and localities, degraded hosts, slow start, Envoy's
 * extra random draw for choosing a priority.
 */
#include "proxies/lb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#define RR_UNSET          UINT32_MAX /* no pick made yet: start at a random host */
#define OVERPROVISIONING  140        /* Envoy's default factor 1.4, in percent */
#define CHOICE_COUNT_DFLT 2

void px_lb_cfg_envoy(struct px_lb_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->policy = PX_LB_ROUND_ROBIN;
    c->choice_count = CHOICE_COUNT_DFLT;
    c->active_request_bias = 1.0;
    c->panic_threshold = 50.0;
    c->ring_size_min = PX_RING_SIZE_MIN_DFLT;
    c->ring_size_max = PX_RING_SIZE_MAX_DFLT;
    c->maglev_size = PX_MAGLEV_SIZE_DFLT;
}

void px_lb_init(struct px_lb *lb, const struct px_lb_cfg *cfg, uint32_t n_hosts)
{
    FL_ASSERT(lb && cfg);
    memset(lb, 0, sizeof *lb);
    lb->cfg = *cfg;
    lb->n = n_hosts;
    lb->rr_next = RR_UNSET;
    lb->deadline = fl_calloc(n_hosts ? n_hosts : 1, sizeof *lb->deadline);
    for (uint32_t i = 0; i < n_hosts; i++) lb->deadline[i] = -1.0; /* not scheduled */
    lb->edf_now = 0.0;
    lb->members = fl_calloc(n_hosts ? n_hosts : 1, 1);
}

void px_lb_free(struct px_lb *lb)
{
    free(lb->deadline);
    lb->deadline = NULL;
    free(lb->members);
    lb->members = NULL;
    px_ring_free(&lb->ring);
    px_maglev_free(&lb->maglev);
}

/* ---------------------------------------------------------------- candidates */

/* Which hosts a pick may return. */
struct cands {
    const struct px_lb_host *hosts;
    uint32_t n;
    int all;        /* panic: unhealthy hosts too */
    int avoid;      /* drop excluded hosts */
    uint32_t count; /* candidates left */
    int equal;      /* the source set's weights are all equal */
};

static int in_source(const struct cands *c, uint32_t i)
{
    return c->all || c->hosts[i].healthy;
}

static int is_cand(const struct cands *c, uint32_t i)
{
    return in_source(c, i) && !(c->avoid && c->hosts[i].excluded);
}

static uint32_t threshold_percent(double t)
{
    if (!(t > 0.0)) return 0;
    return t >= 100.0 ? 100 : (uint32_t)llround(t);
}

/* Envoy's panic decision for a single priority level (see the file comment). */
static int in_panic(const struct px_lb *lb, uint32_t healthy)
{
    uint64_t n = lb->n;
    uint64_t health = (uint64_t)OVERPROVISIONING * healthy / n;
    if (health >= 100) return 0;
    double healthy_percent = 100.0 * healthy / (double)n;
    return healthy_percent < threshold_percent(lb->cfg.panic_threshold);
}

/*
 * Kong's balancer health (kong/runloop/balancer/balancers.lua updateStatus):
 * healthy while (total - unavailable) / total * 100 > threshold, in that
 * order, as doubles; with no weight at all, unhealthy.
 */
static int kong_healthy(const struct px_lb *lb, const struct px_lb_host *hosts)
{
    double total = 0, unavailable = 0;
    for (uint32_t i = 0; i < lb->n; i++) {
        total += hosts[i].weight;
        if (!hosts[i].healthy) unavailable += hosts[i].weight;
    }
    return total > 0 && (total - unavailable) / total * 100 > lb->cfg.min_healthy_weight;
}

/* Fills c for this pick; returns 0 when there is no candidate at all. */
static int cands_build(struct cands *c, const struct px_lb *lb, const struct px_lb_host *hosts,
                       int *panic)
{
    memset(c, 0, sizeof *c);
    c->hosts = hosts;
    c->n = lb->n;
    uint32_t healthy = 0;
    for (uint32_t i = 0; i < lb->n; i++) healthy += hosts[i].healthy != 0;
    c->all = in_panic(lb, healthy);
    *panic = c->all;
    uint32_t source = 0, free_ = 0, first_weight = 0;
    c->equal = 1;
    for (uint32_t i = 0; i < lb->n; i++) {
        if (!in_source(c, i)) continue;
        FL_ASSERT(hosts[i].weight >= 1);
        if (source++ == 0) first_weight = hosts[i].weight;
        if (hosts[i].weight != first_weight) c->equal = 0;
        free_ += !hosts[i].excluded;
    }
    c->avoid = free_ > 0;
    c->count = c->avoid ? free_ : source;
    return c->count > 0;
}

/* The index of the r-th candidate (0-based) in host order. */
static uint32_t cands_nth(const struct cands *c, uint32_t r)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (is_cand(c, i) && r-- == 0) return i;
    FL_ASSERT(0);
    return 0;
}

/* ---------------------------------------------------------------- policies */

static uint32_t pick_rr(struct px_lb *lb, const struct cands *c, uint64_t (*next)(void *),
                        void *arg)
{
    if (lb->rr_next == RR_UNSET || lb->rr_next >= lb->n)
        lb->rr_next = (uint32_t)(next(arg) % lb->n);
    for (uint32_t k = 0; k < lb->n; k++) {
        uint32_t i = (lb->rr_next + k) % lb->n;
        if (is_cand(c, i)) {
            lb->rr_next = (i + 1) % lb->n;
            return i;
        }
    }
    FL_ASSERT(0);
    return 0;
}

/* The weight a host is scheduled with: its own, or least request's dynamic weight. */
static double edf_weight(const struct px_lb *lb, const struct px_lb_host *h)
{
    double w = (double)h->weight;
    if (lb->cfg.policy != PX_LB_LEAST_REQUEST) return w;
    double bias = lb->cfg.active_request_bias;
    double active = (double)h->active + 1.0;
    if (bias == 1.0) return w / active;
    if (bias != 0.0) return w / pow(active, bias);
    return w;
}

static uint32_t pick_edf(struct px_lb *lb, const struct cands *c)
{
    int best = -1;
    for (uint32_t i = 0; i < lb->n; i++) {
        if (!is_cand(c, i)) continue;
        /* never scheduled, or its turn passed while it was not a candidate: add it now */
        if (lb->deadline[i] < lb->edf_now)
            lb->deadline[i] = lb->edf_now + 1.0 / edf_weight(lb, &c->hosts[i]);
        if (best < 0 || lb->deadline[i] < lb->deadline[best]) best = (int)i;
    }
    FL_ASSERT(best >= 0);
    lb->edf_now = lb->deadline[best];
    lb->deadline[best] = lb->edf_now + 1.0 / edf_weight(lb, &c->hosts[best]);
    return (uint32_t)best;
}

static uint32_t pick_p2c(const struct px_lb *lb, const struct cands *c, uint64_t (*next)(void *),
                         void *arg)
{
    uint32_t choices = lb->cfg.choice_count ? lb->cfg.choice_count : CHOICE_COUNT_DFLT;
    uint32_t best = cands_nth(c, (uint32_t)(next(arg) % c->count));
    for (uint32_t k = 1; k < choices; k++) {
        uint32_t i = cands_nth(c, (uint32_t)(next(arg) % c->count));
        if (c->hosts[i].active < c->hosts[best].active) best = i;
    }
    return best;
}

/* ---------------------------------------------------------------- consistent hashing */

/* Rebuilds the table if the candidate source changed since it was built. */
static void hash_refresh(struct px_lb *lb, const struct cands *c)
{
    int same = lb->built;
    for (uint32_t i = 0; i < lb->n; i++) {
        uint8_t in = (uint8_t)in_source(c, i);
        if (lb->members[i] != in) same = 0;
        lb->members[i] = in;
    }
    if (same) return;
    struct px_hash_member *m = fl_calloc(lb->n, sizeof *m);
    char(*names)[24] = fl_calloc(lb->n, sizeof *names);
    size_t k = 0;
    for (uint32_t i = 0; i < lb->n; i++) {
        if (!lb->members[i]) continue;
        snprintf(names[i], sizeof names[i], "host%u", i);
        m[k++] = (struct px_hash_member){i, c->hosts[i].weight,
                                         c->hosts[i].addr ? c->hosts[i].addr : names[i]};
    }
    FL_ASSERT(k > 0);
    if (lb->cfg.policy == PX_LB_RING_HASH)
        px_ring_build(&lb->ring, m, k, lb->cfg.ring_size_min, lb->cfg.ring_size_max);
    else
        px_maglev_build(&lb->maglev, m, k, lb->cfg.maglev_size);
    lb->built = 1;
    lb->rebuilds++;
    free(m);
    free(names);
}

static uint32_t pick_hash(struct px_lb *lb, const struct cands *c, uint64_t h)
{
    hash_refresh(lb, c);
    uint32_t host = 0;
    for (uint32_t attempt = 0; attempt <= PX_LB_HASH_ATTEMPTS; attempt++) {
        host = lb->cfg.policy == PX_LB_RING_HASH ? px_ring_find(&lb->ring, h, attempt)
                                                 : px_maglev_find(&lb->maglev, h, attempt);
        FL_ASSERT(host < lb->n && in_source(c, host));
        if (is_cand(c, host)) break;
    }
    return host;
}

int px_lb_pick(struct px_lb *lb, const struct px_lb_host *hosts, uint64_t (*next)(void *),
               void *random_arg, int *panic)
{
    return px_lb_pick_hash(lb, hosts, NULL, next, random_arg, panic);
}

int px_lb_pick_hash(struct px_lb *lb, const struct px_lb_host *hosts, const uint64_t *hash,
                    uint64_t (*next)(void *), void *random_arg, int *panic)
{
    FL_ASSERT(lb && next && (hosts || lb->n == 0));
    int in_panic_ = 0;
    if (panic) *panic = 0;
    if (lb->n == 0) return -1;
    if (lb->cfg.min_healthy_weight > 0 && !kong_healthy(lb, hosts)) return -1;
    struct cands c;
    int any = cands_build(&c, lb, hosts, &in_panic_);
    if (panic) *panic = in_panic_;
    if (in_panic_) lb->panics++;
    if (!any) return -1; /* "no healthy upstream" */
    switch (lb->cfg.policy) {
    case PX_LB_ROUND_ROBIN:
        return (int)(c.equal ? pick_rr(lb, &c, next, random_arg) : pick_edf(lb, &c));
    case PX_LB_LEAST_REQUEST:
        return (int)(c.equal ? pick_p2c(lb, &c, next, random_arg) : pick_edf(lb, &c));
    case PX_LB_RANDOM: return (int)cands_nth(&c, (uint32_t)(next(random_arg) % c.count));
    case PX_LB_RING_HASH:
    case PX_LB_MAGLEV: return (int)pick_hash(lb, &c, hash ? *hash : next(random_arg));
    }
    FL_ASSERT(0);
    return -1;
}
