/*
 * istio_locality.c - reads a DestinationRule's loadBalancer.localityLbSetting
 * (istio/api networking/v1alpha3 destination_rule.proto,
 * LocalityLoadBalancerSetting) into struct px_locality_cfg, with istiod's
 * validation (pkg/config/validation validateLocalityLbSetting): distribute
 * and failover not both; each distribute rule has a `from` and `to` weights
 * summing to 100; failover `from` and `to` are different regions;
 * localities are "region/zone/subzone" where "*" may only stand for a
 * whole part and only as the last one given.
 *
 * failoverPriority: a list of label names ("label" or "label=value"),
 * applied by lb_locality.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

/* A locality of a rule: non-empty parts, at most 3, '*' only as the last part. */
static int locality_rule(struct ip *c, const yaml_node_t *x, const char *what, int region_only,
                         const char **out)
{
    const char *v;
    if (fl_y_string(c->d, x, what, &v)) return -1;
    int parts = 1, bad = !*v;
    for (const char *p = v; *p; p++) {
        if (*p == '/') {
            parts++;
            bad |= p == v || p[1] == '/' || p[1] == 0;
        }
        bad |= *p == '*' && ((p != v && p[-1] != '/') || (p[1] && p[1] != '/') || p[1] == '/');
    }
    if (bad || parts > 3 || (region_only && (parts > 1 || strchr(v, '*'))))
        return fl_y_error(c->d, x, "%s: %s '%s' is not %s", c->what, what, v,
                          region_only ? "a region" : "region/zone/subzone ('*' last)");
    *out = v;
    return 0;
}

static int parse_distribute(struct ip *c, const yaml_node_t *n, struct px_locality_distribute *d)
{
    static const char *const keys[] = {"from", "to", NULL};
    static const char *const req[] = {"from", "to", NULL};
    const char *from;
    yaml_node_t *to;
    long long sum = 0, w;
    FL_ASSERT(d && d->n_to == 0);
    if (fl_y_check_keys(c->d, n, keys, req, "distribute") ||
        locality_rule(c, fl_y_get(c->d, n, "from"), "distribute.from", 0, &from) ||
        fl_y_want_map(c->d, (to = fl_y_get(c->d, n, "to")), "distribute.to"))
        return -1;
    d->from = fl_strdup(from);
    d->to = fl_calloc(MAP_COUNT(to) + 1, sizeof *d->to);
    d->weight = fl_calloc(MAP_COUNT(to) + 1, sizeof *d->weight);
    for (yaml_node_pair_t *p = MAP_PAIRS(to); p < to->data.mapping.pairs.top; p++) {
        const char *l;
        if (locality_rule(c, fl_y_node(c->d, p->key), "distribute.to", 0, &l) ||
            fl_y_int(c->d, fl_y_node(c->d, p->value), "distribute weight", 0, 100, &w))
            return -1;
        d->to[d->n_to] = fl_strdup(l);
        d->weight[d->n_to++] = (uint32_t)w;
        sum += w;
    }
    if (sum != 100)
        return fl_y_error(c->d, to, "%s: distribute weights add up to %lld, not 100", c->what, sum);
    return 0;
}

static int parse_failover(struct ip *c, const yaml_node_t *n, struct px_locality_failover *f)
{
    static const char *const keys[] = {"from", "to", NULL};
    static const char *const req[] = {"from", "to", NULL};
    const char *from, *to;
    if (fl_y_check_keys(c->d, n, keys, req, "failover") ||
        locality_rule(c, fl_y_get(c->d, n, "from"), "failover.from", 1, &from) ||
        locality_rule(c, fl_y_get(c->d, n, "to"), "failover.to", 1, &to))
        return -1;
    if (!strcmp(from, to))
        return fl_y_error(c->d, fl_y_get(c->d, n, "to"),
                          "%s: failover from '%s' to itself: 'to' must be another region", c->what,
                          from);
    f->from = fl_strdup(from);
    f->to = fl_strdup(to);
    return 0;
}

/* failoverPriority: label names, each "label" or "label=value", non-empty. */
static int parse_priority(struct ip *c, const yaml_node_t *n, struct px_locality_cfg *out)
{
    if (fl_y_want_seq(c->d, n, "failoverPriority")) return -1;
    out->failover_priority = fl_calloc(SEQ_COUNT(n) + 1, sizeof *out->failover_priority);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *x = px_istio_item(c, n, i);
        const char *v;
        if (fl_y_string(c->d, x, "failoverPriority label", &v)) return -1;
        if (!*v || *v == '=' || strlen(v) > 120)
            return fl_y_error(c->d, x, "%s: failoverPriority label '%s' is not a label name",
                              c->what, v);
        out->failover_priority[out->n_failover_priority++] = fl_strdup(v);
    }
    return 0;
}

int px_istio_parse_locality(struct ip *c, const yaml_node_t *n, struct px_locality_cfg *out)
{
    static const char *const keys[] = {"enabled", "distribute", "failover", "failoverPriority",
                                       NULL};
    yaml_node_t *dist, *fail, *x;
    FL_ASSERT(c && n && out);
    if (fl_y_check_keys(c->d, n, keys, NULL, "localityLbSetting")) return -1;
    px_locality_cfg_default(out);
    if ((x = fl_y_get(c->d, n, "enabled")) &&
        fl_y_bool(c->d, x, "localityLbSetting.enabled", &out->enabled))
        return -1;
    dist = fl_y_get(c->d, n, "distribute");
    fail = fl_y_get(c->d, n, "failover");
    if (dist && fail && SEQ_COUNT(dist) && SEQ_COUNT(fail))
        return fl_y_error(c->d, fail,
                          "%s: localityLbSetting takes distribute or failover, not both", c->what);
    if (dist) {
        if (fl_y_want_seq(c->d, dist, "distribute")) return -1;
        out->distribute = fl_calloc(SEQ_COUNT(dist) + 1, sizeof *out->distribute);
        for (size_t i = 0; i < SEQ_COUNT(dist); i++, out->n_distribute++)
            if (parse_distribute(c, px_istio_item(c, dist, i), &out->distribute[i])) {
                out->n_distribute++; /* freed with the rest */
                return -1;
            }
    }
    if ((x = fl_y_get(c->d, n, "failoverPriority")) && parse_priority(c, x, out)) return -1;
    if (fail) {
        if (fl_y_want_seq(c->d, fail, "failover")) return -1;
        out->failover = fl_calloc(SEQ_COUNT(fail) + 1, sizeof *out->failover);
        for (size_t i = 0; i < SEQ_COUNT(fail); i++, out->n_failover++)
            if (parse_failover(c, px_istio_item(c, fail, i), &out->failover[i])) {
                out->n_failover++;
                return -1;
            }
    }
    return 0;
}
