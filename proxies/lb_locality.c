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
 *  - failoverPriority instead ranks by labels (see lb_locality.h); with
 *    failover rules as well, both combine (label rank x 5 + locality rank).
 *    Levels beyond the balancer's PX_LB_PRIO_MAX (8) share the last one (a
 *    deviation: Envoy has no such limit; it takes 2 labels and failover
 *    rules, or 8 labels, to get there).
 */
#include "proxies/lb_locality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/config.h"
#include "proxies/lb.h"

#define PARTS 3
#define PART  128

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
    dst->failover_priority = fl_calloc(src->n_failover_priority + 1, sizeof(char *));
    for (size_t i = 0; i < src->n_failover_priority; i++)
        dst->failover_priority[i] = fl_strdup(src->failover_priority[i]);
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
    for (size_t i = 0; i < c->n_failover_priority; i++) free(c->failover_priority[i]);
    free(c->failover_priority);
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

/* Renumbers raw priorities (any values >= 0) from 0 without gaps, keeping their order. */
static uint32_t make_dense(const uint32_t *raw, size_t n, uint8_t *out)
{
    uint32_t levels = 0;
    uint32_t prev = 0;
    for (;;) { /* the next smallest raw value above the previous one */
        int found = 0;
        uint32_t next = UINT32_MAX;
        for (size_t i = 0; i < n; i++)
            if ((levels == 0 || raw[i] > prev) && raw[i] <= next) {
                next = raw[i];
                found = 1;
            }
        if (!found) break;
        uint32_t level = levels < PX_LB_PRIO_MAX ? levels : PX_LB_PRIO_MAX - 1;
        for (size_t i = 0; i < n; i++)
            if (raw[i] == next) out[i] = (uint8_t)level;
        prev = next;
        levels++;
    }
    FL_ASSERT(levels <= n);
    return levels == 0 ? 1 : levels < PX_LB_PRIO_MAX ? levels : PX_LB_PRIO_MAX;
}

/* Istio's LbPriority with the failover rules: 0..4. */
static uint32_t locality_rank(const struct px_locality_cfg *c, const char *self, const char *ep)
{
    char me[PARTS][PART], other[PARTS][PART];
    split(self, me);
    split(ep, other);
    int prio = px_locality_priority(self, ep ? ep : "");
    for (size_t f = 0; prio == 3 && f < c->n_failover; f++) {
        if (strcmp(c->failover[f].from, me[0])) continue;
        if (strcmp(c->failover[f].to, other[0])) prio = 4;
        break;
    }
    FL_ASSERT(prio >= 0 && prio <= 4);
    return (uint32_t)prio;
}

/* A label's value: given, else a topology label from the locality, else NULL. */
static const char *label_value(const struct px_label *l, size_t n, const char *locality,
                               const char *key, char *buf)
{
    static const char *const topo[PARTS] = {"topology.kubernetes.io/region",
                                            "topology.kubernetes.io/zone",
                                            "topology.istio.io/subzone"};
    for (size_t i = 0; i < n; i++)
        if (!strcmp(l[i].key, key)) return l[i].value;
    char parts[PARTS][PART];
    for (int k = 0; k < PARTS; k++) {
        if (strcmp(key, topo[k]) || !locality) continue;
        split(locality, parts);
        strcpy(buf, parts[k]);
        return *buf ? buf : NULL;
    }
    return NULL;
}

/* failoverPriority: the rank of endpoint i (applyFailoverPriorityPerLocality). */
static uint32_t label_rank(const struct px_locality_cfg *c, const char *self, const char *ep_loc,
                           const struct px_locality_labels *lb, size_t i)
{
    char key[PART], b1[PART], b2[PART];
    size_t nfp = c->n_failover_priority;
    for (size_t j = 0; j < nfp; j++) {
        const char *fp = c->failover_priority[j], *eq = strchr(fp, '=');
        size_t kl = eq ? (size_t)(eq - fp) : strlen(fp);
        if (kl >= PART) kl = PART - 1;
        memcpy(key, fp, kl);
        key[kl] = 0;
        const char *mine = eq ? eq + 1 : label_value(lb->self, lb->n_self, self, key, b1);
        const char *theirs =
            label_value(lb->ep ? lb->ep[i] : NULL, lb->n_ep ? lb->n_ep[i] : 0, ep_loc, key, b2);
        if (strcmp(mine ? mine : "", theirs ? theirs : "")) return (uint32_t)(nfp - j);
    }
    return 0;
}

static void failover(const struct px_locality_cfg *c, const char *self, const char *const *ep_loc,
                     size_t n, const struct px_locality_labels *lb, struct px_locality_plan *p)
{
    uint32_t *raw = fl_calloc(n + 1, sizeof *raw);
    int by_labels = c->n_failover_priority && lb && (lb->n_self || (self && *self));
    int by_locality = self && *self && (!by_labels || c->n_failover);
    if (by_labels) {
        for (size_t i = 0; i < n; i++) raw[i] = label_rank(c, self, ep_loc[i], lb, i);
        make_dense(raw, n, p->prio);
        for (size_t i = 0; i < n; i++) raw[i] = p->prio[i];
    }
    if (by_locality) /* with labels: each label priority split by locality (x 5) */
        for (size_t i = 0; i < n; i++) raw[i] = raw[i] * 5 + locality_rank(c, self, ep_loc[i]);
    p->n_prio = make_dense(raw, n, p->prio);
    free(raw);
}

void px_locality_plan(const struct px_locality_cfg *c, const char *self, const char *const *ep_loc,
                      const uint32_t *ep_weight, size_t n, struct px_locality_plan *out)
{
    px_locality_plan_labels(c, self, ep_loc, ep_weight, n, NULL, out);
}

void px_locality_plan_labels(const struct px_locality_cfg *c, const char *self,
                             const char *const *ep_loc, const uint32_t *ep_weight, size_t n,
                             const struct px_locality_labels *labels, struct px_locality_plan *out)
{
    FL_ASSERT(c && out && (ep_loc || n == 0));
    memset(out, 0, sizeof *out);
    out->prio = fl_calloc(n + 1, sizeof *out->prio);
    out->loc = fl_calloc(n + 1, sizeof *out->loc);
    out->n_prio = 1;
    char **names = localities(ep_loc, n, out);
    if (!out->n_loc) out->n_loc = 1;
    const struct px_locality_distribute *d = NULL;
    for (size_t i = 0; c->enabled && self && *self && i < c->n_distribute && !d; i++)
        if (px_locality_match(self, c->distribute[i].from)) d = &c->distribute[i];
    if (d) {
        uint32_t *sum = fl_calloc(out->n_loc + 1, sizeof *sum);
        for (size_t i = 0; i < n; i++) sum[out->loc[i]] += ep_weight ? ep_weight[i] : 1;
        distribute(d, names, sum, out);
        free(sum);
    } else if (c->enabled && !c->n_distribute && c->outlier) {
        failover(c, self, ep_loc, n, labels, out);
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
