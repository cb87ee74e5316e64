/*
 * lb_locality.c - Istio's locality load balancing, as istiod writes it into
 * Envoy's endpoints (istio/istio pilot/pkg/networking/core/loadbalancer/
 * loadbalancer.go ApplyLocalityLoadBalancer; pilot/pkg/networking/util
 * LbPriority and LocalityMatch).
 *
 *  - Nothing applies when the setting is disabled or the client has no
 *    locality.
 *  - distribute (first rule whose `from` matches the client): each `to`
 *    key, in order, claims the endpoint localities it matches that no
 *    earlier key claimed; a claimed locality's weight is ceil(its endpoint
 *    weight x the key's percent / the endpoint weight of all localities the
 *    key claimed); localities no key claims get weight 0 (no traffic).
 *    Priorities stay 0. Failover is not applied with distribute.
 *  - failover (only with outlier detection, "otherwise Envoy will never
 *    drop down to a lower priority"): priority = LbPriority(client,
 *    endpoint): 0 same region/zone/subzone, 1 same region and zone, 2 same
 *    region, 3 other regions; with a failover rule from the client's
 *    region, other regions but its `to` get 4. Priorities are then made
 *    dense (0, 1, 2... in order), as Envoy requires.
 */
#include "proxies/lb_locality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#define PARTS                   3
#define PART                    128
#define PX_LOCALITY_PRIO_LEVELS 5 /* LbPriority 0..3, and 4 for failover */

/* Splits "a/b/c" into up to three parts ("" when absent). */
static void split(const char *l, char out[PARTS][PART])
{
    FL_ASSERT(out);
    memset(out, 0, PARTS * PART);
    for (int k = 0; l && *l && k < PARTS; k++) {
        const char *e = strchr(l, '/');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len >= PART) len = PART - 1;
        memcpy(out[k], l, len);
        l = e ? e + 1 : NULL;
    }
}

void px_locality_cfg_default(struct px_locality_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->enabled = 1;
}

void px_locality_cfg_copy(struct px_locality_cfg *dst, const struct px_locality_cfg *src)
{
    FL_ASSERT(dst && src && dst != src);
    *dst = *src;
    dst->distribute = fl_calloc(src->n_distribute + 1, sizeof *dst->distribute);
    for (size_t i = 0; i < src->n_distribute; i++) {
        const struct px_locality_distribute *s = &src->distribute[i];
        struct px_locality_distribute *d = &dst->distribute[i];
        d->from = fl_strdup(s->from);
        d->n_to = s->n_to;
        d->to = fl_calloc(s->n_to + 1, sizeof *d->to);
        d->weight = fl_calloc(s->n_to + 1, sizeof *d->weight);
        for (size_t k = 0; k < s->n_to; k++) {
            d->to[k] = fl_strdup(s->to[k]);
            d->weight[k] = s->weight[k];
        }
    }
    dst->failover = fl_calloc(src->n_failover + 1, sizeof *dst->failover);
    for (size_t i = 0; i < src->n_failover; i++) {
        dst->failover[i].from = fl_strdup(src->failover[i].from);
        dst->failover[i].to = fl_strdup(src->failover[i].to);
    }
}

void px_locality_cfg_free(struct px_locality_cfg *c)
{
    for (size_t i = 0; i < c->n_distribute; i++) {
        free(c->distribute[i].from);
        for (size_t k = 0; k < c->distribute[i].n_to; k++) free(c->distribute[i].to[k]);
        free(c->distribute[i].to);
        free(c->distribute[i].weight);
    }
    free(c->distribute);
    for (size_t i = 0; i < c->n_failover; i++) {
        free(c->failover[i].from);
        free(c->failover[i].to);
    }
    free(c->failover);
    int enabled = c->enabled;
    memset(c, 0, sizeof *c);
    c->enabled = enabled;
}

int px_locality_match(const char *locality, const char *rule)
{
    char l[PARTS][PART], r[PARTS][PART];
    split(locality, l);
    split(rule, r);
    if (strcmp(r[0], "*") && strcmp(r[0], l[0])) return 0; /* the region must be given */
    for (int k = 1; k < PARTS; k++)
        if (*r[k] && strcmp(r[k], "*") && strcmp(r[k], l[k])) return 0;
    return 1;
}

int px_locality_priority(const char *self, const char *other)
{
    char a[PARTS][PART], b[PARTS][PART];
    split(self, a);
    split(other, b);
    if (strcmp(a[0], b[0])) return 3;
    if (strcmp(a[1], b[1])) return 2;
    return strcmp(a[2], b[2]) ? 1 : 0;
}

/* Endpoint localities, distinct, in order of first appearance: plan->loc and n_loc. */
static char **localities(const char *const *ep_loc, size_t n, struct px_locality_plan *p)
{
    char **names = fl_calloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        const char *l = ep_loc[i] ? ep_loc[i] : "";
        uint32_t k = 0;
        while (k < p->n_loc && strcmp(names[k], l)) k++;
        if (k == p->n_loc) names[p->n_loc++] = (char *)l;
        p->loc[i] = k;
    }
    return names;
}

static void distribute(const struct px_locality_distribute *d, char **names, const uint32_t *sum,
                       struct px_locality_plan *p)
{
    FL_ASSERT(d->n_to >= 1 && p->n_loc >= 1); /* istiod's validation: weights add up to 100 */
    uint8_t *claimed = fl_calloc(p->n_loc + 1, 1);
    p->loc_weight = fl_calloc(p->n_loc + 1, sizeof *p->loc_weight);
    for (size_t k = 0; k < d->n_to; k++) {
        uint64_t total = 0;
        uint8_t *mine = fl_calloc(p->n_loc + 1, 1);
        for (uint32_t l = 0; l < p->n_loc; l++) {
            if (claimed[l] || !px_locality_match(names[l], d->to[k])) continue;
            claimed[l] = mine[l] = 1;
            total += sum[l];
        }
        for (uint32_t l = 0; l < p->n_loc; l++)
            if (mine[l] && total) /* loadbalancer.go applyLocalityWeights */
                p->loc_weight[l] = (uint32_t)ceil((double)sum[l] * d->weight[k] / (double)total);
        free(mine);
    }
    free(claimed);
}

static void failover(const struct px_locality_cfg *c, const char *self, const char *const *ep_loc,
                     size_t n, struct px_locality_plan *p)
{
    char me[PARTS][PART], ep[PARTS][PART];
    split(self, me);
    int used[5] = {0};
    for (size_t i = 0; i < n; i++) {
        int prio = px_locality_priority(self, ep_loc[i] ? ep_loc[i] : "");
        split(ep_loc[i], ep);
        for (size_t f = 0; prio == 3 && f < c->n_failover; f++) {
            if (strcmp(c->failover[f].from, me[0])) continue;
            if (strcmp(c->failover[f].to, ep[0])) prio = 4;
            break;
        }
        FL_ASSERT(prio >= 0 && prio <= 4);
        p->prio[i] = (uint8_t)prio;
        used[prio] = 1;
    }
    int dense[5], next = 0; /* priorities from 0 without gaps */
    for (int k = 0; k < 5; k++) dense[k] = used[k] ? next++ : -1;
    for (size_t i = 0; i < n; i++) p->prio[i] = (uint8_t)dense[p->prio[i]];
    FL_ASSERT(next <= PX_LOCALITY_PRIO_LEVELS);
    p->n_prio = (uint32_t)(next ? next : 1);
}

void px_locality_plan(const struct px_locality_cfg *c, const char *self, const char *const *ep_loc,
                      const uint32_t *ep_weight, size_t n, struct px_locality_plan *out)
{
    FL_ASSERT(c && out && (ep_loc || n == 0));
    memset(out, 0, sizeof *out);
    out->prio = fl_calloc(n + 1, sizeof *out->prio);
    out->loc = fl_calloc(n + 1, sizeof *out->loc);
    out->n_prio = 1;
    char **names = localities(ep_loc, n, out);
    if (!out->n_loc) out->n_loc = 1;
    if (c->enabled && self && *self) {
        const struct px_locality_distribute *d = NULL;
        for (size_t i = 0; i < c->n_distribute && !d; i++)
            if (px_locality_match(self, c->distribute[i].from)) d = &c->distribute[i];
        if (d) {
            uint32_t *sum = fl_calloc(out->n_loc + 1, sizeof *sum);
            for (size_t i = 0; i < n; i++) sum[out->loc[i]] += ep_weight ? ep_weight[i] : 1;
            distribute(d, names, sum, out);
            free(sum);
        } else if (!c->n_distribute && c->outlier) {
            failover(c, self, ep_loc, n, out);
        }
    }
    free(names);
}

void px_locality_plan_free(struct px_locality_plan *p)
{
    free(p->prio);
    free(p->loc);
    free(p->loc_weight);
    memset(p, 0, sizeof *p);
}
