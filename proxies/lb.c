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
 * Priorities and locality weights (px_lb_set_levels; arithmetic in
 * lb_level.c): the priority is drawn from Envoy's priority load (one random
 * number, only when there are several priorities; hash balancers use the
 * request's hash), the locality by effective weight (one more random
 * number; Envoy uses an EDF schedule over localities), then the policy
 * picks among that level's hosts. Panic is decided on the chosen priority.
 *
 * Not here: degraded hosts, slow start, Envoy's random draw for the
 * priority when there is only one.
 *
 * An absent host (px_lb_host.absent: withdrawn from the host set by EDS,
 * px_proxy_set_endpoint) is as if it were not there: not counted in the
 * health and panic arithmetic, never a candidate.
 */
#include "proxies/lb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#define RR_UNSET          UINT32_MAX /* no pick made yet: start at a random host */
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

size_t px_lb_room(uint32_t n_hosts)
{
    size_t n = n_hosts ? n_hosts : 1;
    struct px_lb *lb = NULL; /* for the element sizes only */
    size_t bytes = n * (sizeof *lb->deadline + sizeof *lb->loc + sizeof *lb->prio);
    return (bytes + 7) / 8 * 8;
}

void px_lb_init(struct px_lb *lb, const struct px_lb_cfg *cfg, uint32_t n_hosts)
{
    px_lb_init_in(lb, cfg, n_hosts, fl_calloc(1, px_lb_room(n_hosts)));
    lb->owns_room = 1;
}

void px_lb_init_in(struct px_lb *lb, const struct px_lb_cfg *cfg, uint32_t n_hosts, void *room)
{
    FL_ASSERT(lb && cfg && room && ((uintptr_t)room & 7) == 0);
    memset(lb, 0, sizeof *lb);
    lb->cfg = *cfg;
    lb->n = n_hosts;
    lb->rr_next = RR_UNSET;
    /* per host: deadline, locality and priority, in one block */
    size_t n = n_hosts ? n_hosts : 1;
    char *blk = room;
    lb->deadline = (double *)blk;
    lb->loc = (uint32_t *)(blk + n * sizeof *lb->deadline);
    lb->prio = (uint8_t *)(blk + n * (sizeof *lb->deadline + sizeof *lb->loc));
    for (uint32_t i = 0; i < n_hosts; i++) lb->deadline[i] = -1.0; /* not scheduled */
    lb->edf_now = 0.0;
    /* the hash tables come with their first build (hash_refresh): most balancers never hash,
     * and a mesh makes a balancer per cluster of every sidecar */
    lb->n_prio = 1;
    lb->n_loc = 1;
}

void px_lb_free(struct px_lb *lb)
{
    if (lb->owns_room) free(lb->deadline); /* and loc and prio, in its block */
    lb->deadline = NULL;
    /* a balancer that never hashed has no tables */
    for (uint32_t p = 0; lb->tables && p < PX_LB_PRIO_MAX; p++) {
        free(lb->tables[p].members);
        px_ring_free(&lb->tables[p].ring);
        px_maglev_free(&lb->tables[p].maglev);
    }
    free(lb->tables);
    lb->tables = NULL;
    free(lb->loc_weight);
    free(lb->loc_count);
    lb->loc_count = NULL;
    lb->prio = NULL;
    lb->loc = NULL;
    lb->loc_weight = NULL;
}

void px_lb_set_levels(struct px_lb *lb, const uint8_t *prio, const uint32_t *loc,
                      const uint32_t *loc_weight, uint32_t n_loc)
{
    FL_ASSERT(lb && prio && loc && (n_loc >= 1 || lb->n == 0));
    lb->n_prio = 1;
    for (uint32_t i = 0; i < lb->n; i++) {
        FL_ASSERT(prio[i] < PX_LB_PRIO_MAX && loc[i] < n_loc);
        lb->prio[i] = prio[i];
        lb->loc[i] = loc[i];
        if (prio[i] + 1u > lb->n_prio) lb->n_prio = prio[i] + 1u;
    }
    FL_ASSERT(lb->n_prio >= 1 && lb->n_prio <= PX_LB_PRIO_MAX);
    free(lb->loc_weight);
    free(lb->loc_count);
    lb->loc_weight = NULL;
    lb->loc_count = NULL;
    lb->n_loc = n_loc;
    if (loc_weight) {
        lb->loc_weight = fl_calloc(n_loc, sizeof *lb->loc_weight);
        memcpy(lb->loc_weight, loc_weight, n_loc * sizeof *loc_weight);
        lb->loc_count = fl_calloc(2 * (size_t)n_loc, sizeof *lb->loc_count);
    }
    for (uint32_t p = 0; lb->tables && p < PX_LB_PRIO_MAX; p++) lb->tables[p].built = 0;
}

/* ---------------------------------------------------------------- candidates */

/* Which hosts a pick may return. */
struct cands {
    const struct px_lb_host *hosts;
    uint32_t n;
    const struct px_lb *lb;
    int prio, loc;  /* the level picked: its priority, its locality (-1: any) */
    int all;        /* panic: unhealthy hosts too */
    int avoid;      /* drop excluded hosts */
    uint32_t count; /* candidates left */
    int equal;      /* the source set's weights are all equal */
    int dense;      /* every host is a candidate (the common case: no test needed) */
};

static int in_level(const struct cands *c, uint32_t i)
{
    return !c->hosts[i].absent && (c->prio < 0 || c->lb->prio[i] == c->prio) &&
           (c->loc < 0 || c->lb->loc[i] == (uint32_t)c->loc);
}

static int in_source(const struct cands *c, uint32_t i)
{
    return in_level(c, i) && (c->all || c->hosts[i].healthy);
}

static int is_cand(const struct cands *c, uint32_t i)
{
    return c->dense || (in_source(c, i) && !(c->avoid && c->hosts[i].excluded));
}

static uint32_t threshold_percent(double t)
{
    if (!(t > 0.0)) return 0;
    return t >= 100.0 ? 100 : (uint32_t)llround(t);
}

/*
 * Envoy's panic decision for the chosen priority (see the file comment): none
 * while the overall availability is 100, else healthy% of the priority
 * below the threshold.
 */
static int in_panic(const struct px_lb *lb, uint32_t healthy, uint32_t total, uint32_t avail)
{
    FL_ASSERT(healthy <= total && avail <= 100);
    if (avail >= 100 || total == 0) return 0;
    double healthy_percent = 100.0 * healthy / (double)total;
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
        if (hosts[i].absent) continue;
        total += hosts[i].weight;
        if (!hosts[i].healthy) unavailable += hosts[i].weight;
    }
    return total > 0 && (total - unavailable) / total * 100 > lb->cfg.min_healthy_weight;
}

/*
 * Fills c for this pick within level (prio, loc); returns 0 when there is no
 * candidate at all. counted: the level's (healthy, total) when the caller
 * has them (the whole set's, for a pick with one priority and no
 * locality), else NULL.
 */
static int cands_build(struct cands *c, const struct px_lb *lb, const struct px_lb_host *hosts,
                       int prio, int loc, uint32_t avail, const uint32_t counted[2], int *panic)
{
    memset(c, 0, sizeof *c);
    c->hosts = hosts;
    c->n = lb->n;
    c->lb = lb;
    c->prio = prio;
    c->loc = loc;
    FL_ASSERT(!counted || (prio < 0 && loc < 0));
    uint32_t healthy = 0, total = 0;
    if (counted) {
        healthy = counted[0];
        total = counted[1];
    } else {
        for (uint32_t i = 0; i < lb->n; i++) {
            if (!in_level(c, i)) continue;
            total++;
            healthy += hosts[i].healthy != 0;
        }
    }
    c->all = in_panic(lb, healthy, total, avail);
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
    FL_ASSERT(free_ <= source && source <= total && total <= lb->n);
    c->count = c->avoid ? free_ : source;
    c->dense = c->count == lb->n; /* then every host is in the source, and none avoided */
    return c->count > 0;
}

/* The index of the r-th candidate (0-based) in host order. */
static uint32_t cands_nth(const struct cands *c, uint32_t r)
{
    FL_ASSERT(r < c->count);
    if (c->dense) return r;
    for (uint32_t i = 0; i < c->n; i++)
        if (is_cand(c, i) && r-- == 0) return i;
    FL_ASSERT(0);
    return 0;
}

/* ---------------------------------------------------------------- policies */

static uint32_t pick_rr(struct px_lb *lb, const struct cands *c, uint64_t (*next)(void *),
                        void *arg)
{
    FL_ASSERT(c->count > 0 && c->n == lb->n);
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
    FL_ASSERT(c->count > 0 && c->n == lb->n);
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
    FL_ASSERT(c->count > 0 && choices >= 1);
    uint32_t best = cands_nth(c, (uint32_t)(next(arg) % c->count));
    for (uint32_t k = 1; k < choices; k++) {
        uint32_t i = cands_nth(c, (uint32_t)(next(arg) % c->count));
        if (c->hosts[i].active < c->hosts[best].active) best = i;
    }
    return best;
}

/* ---------------------------------------------------------------- consistent hashing */

/* Rebuilds the priority's table if its candidate source changed since it was built. */
static struct px_lb_table *hash_refresh(struct px_lb *lb, const struct cands *c)
{
    FL_ASSERT(!lb->tables == !lb->rebuilds); /* the first build follows the tables */
    if (!lb->tables) lb->tables = fl_calloc(PX_LB_PRIO_MAX, sizeof *lb->tables);
    struct px_lb_table *t = &lb->tables[c->prio < 0 ? 0 : c->prio];
    FL_ASSERT(c->prio < (int)lb->n_prio && (t->members || !t->built));
    if (!t->members) t->members = fl_calloc(lb->n ? lb->n : 1, 1); /* none in: not built */
    int same = t->built;
    for (uint32_t i = 0; i < lb->n; i++) {
        uint8_t in = (uint8_t)in_source(c, i);
        if (t->members[i] != in) same = 0;
        t->members[i] = in;
    }
    if (same) return t;
    struct px_hash_member *m = fl_calloc(lb->n, sizeof *m);
    char(*names)[24] = fl_calloc(lb->n, sizeof *names);
    size_t k = 0;
    for (uint32_t i = 0; i < lb->n; i++) {
        if (!t->members[i]) continue;
        snprintf(names[i], sizeof names[i], "host%u", i);
        m[k++] = (struct px_hash_member){i, c->hosts[i].weight,
                                         c->hosts[i].addr ? c->hosts[i].addr : names[i]};
    }
    FL_ASSERT(k > 0);
    if (lb->cfg.policy == PX_LB_RING_HASH)
        px_ring_build(&t->ring, m, k, lb->cfg.ring_size_min, lb->cfg.ring_size_max);
    else
        px_maglev_build(&t->maglev, m, k, lb->cfg.maglev_size);
    t->built = 1;
    lb->rebuilds++;
    free(m);
    free(names);
    return t;
}

static uint32_t pick_hash(struct px_lb *lb, const struct cands *c, uint64_t h)
{
    struct px_lb_table *t = hash_refresh(lb, c);
    uint32_t host = 0;
    for (uint32_t attempt = 0; attempt <= PX_LB_HASH_ATTEMPTS; attempt++) {
        host = lb->cfg.policy == PX_LB_RING_HASH ? px_ring_find(&t->ring, h, attempt)
                                                 : px_maglev_find(&t->maglev, h, attempt);
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

/* The priority for this pick (Envoy's priority load); *avail: the overall availability. */
static int pick_priority(struct px_lb *lb, const struct px_lb_host *hosts, uint64_t r,
                         uint32_t *avail)
{
    uint32_t healthy[PX_LB_PRIO_MAX] = {0}, total[PX_LB_PRIO_MAX] = {0}, load[PX_LB_PRIO_MAX];
    FL_ASSERT(lb->n_prio > 1 && lb->n_prio <= PX_LB_PRIO_MAX);
    for (uint32_t i = 0; i < lb->n; i++) {
        if (hosts[i].absent) continue;
        total[lb->prio[i]]++;
        healthy[lb->prio[i]] += hosts[i].healthy != 0;
    }
    *avail = px_lb_priority_load(healthy, total, lb->n_prio, load);
    FL_ASSERT(*avail <= 100);
    return (int)px_lb_priority_choose(load, lb->n_prio, r);
}

/* A locality of priority prio, by effective weight (-1: none has any). */
static int pick_locality(const struct px_lb *lb, const struct px_lb_host *hosts, int prio,
                         uint64_t r)
{
    FL_ASSERT(lb->loc_weight && lb->loc_count && prio >= 0);
    uint32_t *healthy = lb->loc_count, *total = lb->loc_count + lb->n_loc;
    memset(lb->loc_count, 0, 2 * (size_t)lb->n_loc * sizeof *lb->loc_count);
    for (uint32_t i = 0; i < lb->n; i++) {
        if (lb->prio[i] != prio || hosts[i].absent) continue;
        total[lb->loc[i]]++;
        healthy[lb->loc[i]] += hosts[i].healthy != 0;
    }
    uint64_t sum = 0;
    for (uint32_t l = 0; l < lb->n_loc; l++)
        sum += px_lb_locality_effective(lb->loc_weight[l], healthy[l], total[l]);
    int loc = -1;
    if (sum > 0) {
        uint64_t x = r % sum;
        for (uint32_t l = 0; l < lb->n_loc && loc < 0; l++) {
            uint32_t w = px_lb_locality_effective(lb->loc_weight[l], healthy[l], total[l]);
            if (x < w)
                loc = (int)l;
            else
                x -= w;
        }
    }
    /* x < sum: some locality takes it */
    FL_ASSERT(sum == 0 || (loc >= 0 && (uint32_t)loc < lb->n_loc));
    return loc;
}

int px_lb_pick_hash(struct px_lb *lb, const struct px_lb_host *hosts, const uint64_t *hash,
                    uint64_t (*next)(void *), void *random_arg, int *panic)
{
    FL_ASSERT(lb && next && (hosts || lb->n == 0));
    int in_panic_ = 0;
    if (panic) *panic = 0;
    if (lb->n == 0) return -1;
    if (lb->cfg.min_healthy_weight > 0 && !kong_healthy(lb, hosts)) return -1;
    int hashing = lb->cfg.policy == PX_LB_RING_HASH || lb->cfg.policy == PX_LB_MAGLEV;
    /* hash balancers use the request's hash (else one random number) for the priority too */
    uint64_t h = hashing ? (hash ? *hash : next(random_arg)) : 0;
    int prio = -1, loc = -1;
    uint32_t avail = 100;
    uint32_t counted[2] = {0, 0}; /* healthy, total: with one priority, the level's own */
    if (lb->n_prio > 1) {
        prio = pick_priority(lb, hosts, hashing ? h : next(random_arg), &avail);
    } else {
        uint32_t load;
        for (uint32_t i = 0; i < lb->n; i++) {
            counted[1] += !hosts[i].absent;
            counted[0] += !hosts[i].absent && hosts[i].healthy;
        }
        avail = px_lb_priority_load(&counted[0], &counted[1], 1, &load);
    }
    FL_ASSERT(prio < (int)lb->n_prio && avail <= 100);
    lb->prio_picks[prio < 0 ? 0 : prio]++;
    if (lb->loc_weight && !hashing) {
        loc = pick_locality(lb, hosts, prio < 0 ? 0 : prio, next(random_arg));
        if (loc < 0) return -1; /* no locality has a healthy host */
    }
    struct cands c;
    int any = cands_build(&c, lb, hosts, prio, loc, avail, prio < 0 && loc < 0 ? counted : NULL,
                          &in_panic_);
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
    case PX_LB_MAGLEV: return (int)pick_hash(lb, &c, h);
    }
    FL_ASSERT(0);
    return -1;
}
