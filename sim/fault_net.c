/*
 * fault_net.c - the network faults: `delay`, `loss`, `partition` and
 * `node_down`. Each lays impairment windows (netem/impair.h) over the
 * links its packets cross (sim/netfault.c), from its start to its end, so
 * the TCP model (netem/tcp.h) does the rest: a lost segment is sent again
 * after the RTO, a lost SYN after 1 s, 2 s, 4 s... and connect() gives up
 * after the 6th retry (127 s), unless a proxy's connect timeout comes
 * first (Envoy's cluster connect_timeout, 10 s by default in Istio; Kong's
 * connect_timeout, 60 s). A window covers packets sent while the fault is
 * active, retransmissions included, so the fault heals at its end:
 * connections that have not given up recover.
 *
 *  - delay {to, from?, add, jitter?}: `add` (uniform +- jitter) on every
 *    packet arriving at the target's pods (from the `from` group's nodes
 *    only, when given). A fault on the target's ingress, as `tc` netem on
 *    the pod's ingress: every round trip with the target costs `add` once,
 *    whoever calls (its callers' requests, and the answers to its own
 *    calls). Other paths are untouched.
 *  - loss {to | between, rate}: each packet towards the target's pods, or
 *    between two groups (both ways), lost with probability rate.
 *  - partition {a, b, oneway?}: every packet from a group of a to one of b
 *    vanishes, and back unless oneway.
 *  - node_down {pod}: every packet to or from the pod's node vanishes (a
 *    blackhole: the node is cut off or frozen). Unlike a kill, nothing
 *    answers: connects time out instead of being refused.
 *
 * Groups are services, workloads and "gateway" (the Kong gateway's node).
 * Packets within a node (an app and its sidecar) are never touched.
 *
 * Not here: connection resets (fault_reset.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "sim/load_internal.h"
#include "sim/netfault.h"
#include "sim/world.h"

#define GROUPS_MAX 32
#define DELAY_MAX  (INT64_C(3600) * 1000000000) /* an hour */

/* Services (0..), then workloads, then the gateway: what a group id is. */
struct groups {
    int n;
    int id[GROUPS_MAX];
};

struct net_params {
    int64_t add_ns, jitter_ns;
    double rate;
    int oneway;
    int has_from, between; /* delay: from given; loss: between given */
    struct groups a, b;    /* delay: a = from; loss: between[0], between[1]; partition */
};

/* ---- groups: services, workloads, the gateway */

static int n_groups(const struct sim_scenario *sc)
{
    return (int)(sc->n_services + sc->n_workloads) + (sc->has_gateway ? 1 : 0);
}

static const char *group_name(const struct sim_scenario *sc, int g)
{
    if (g < (int)sc->n_services) return sc->services[g].name;
    if (g < (int)(sc->n_services + sc->n_workloads)) return sc->workloads[g - sc->n_services].name;
    return "gateway";
}

static int load_group(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                      const char *what, int *out)
{
    FL_ASSERT(d && n && sc && what && out);
    const char *name;
    if (fl_y_string(d, n, what, &name)) return -1;
    int total = n_groups(sc);
    const char **names = fl_calloc((size_t)total + 1, sizeof *names);
    *out = -1;
    for (int g = 0; g < total; g++) {
        names[g] = group_name(sc, g);
        if (*out < 0 && !strcmp(names[g], name)) *out = g;
    }
    const char *hint = *out < 0 ? fl_did_you_mean(name, names) : NULL;
    free(names);
    if (*out >= 0) return 0;
    if (hint)
        return fl_y_error(d, n,
                          "unknown service, workload or gateway '%s' in %s (did you mean '%s'?)",
                          name, what, hint);
    return fl_y_error(d, n, "unknown service, workload or gateway '%s' in %s", name, what);
}

/* A group name, or a sequence of them (at least one, none twice). */
static int load_groups(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                       const char *what, struct groups *out)
{
    FL_ASSERT(d && n && sc && out);
    out->n = 0;
    if (n->type == YAML_SCALAR_NODE) {
        out->n = 1;
        return load_group(d, n, sc, what, &out->id[0]);
    }
    if (fl_y_want_seq(d, n, what)) return -1;
    if (SEQ_COUNT(n) == 0) return fl_y_error(d, n, "%s needs at least one group", what);
    if (SEQ_COUNT(n) > GROUPS_MAX)
        return fl_y_error(d, n, "%s: at most %d groups", what, GROUPS_MAX);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *x = fl_y_node(d, SEQ_ITEMS(n)[i]);
        int g;
        if (load_group(d, x, sc, what, &g)) return -1;
        for (int k = 0; k < out->n; k++)
            if (out->id[k] == g) return fl_y_error(d, x, "'%s' twice in %s", fl_y_str(x), what);
        out->id[out->n++] = g;
    }
    return 0;
}

static int shared_group(const struct groups *a, const struct groups *b)
{
    for (int i = 0; i < a->n; i++)
        for (int k = 0; k < b->n; k++)
            if (a->id[i] == b->id[k]) return a->id[i];
    return -1;
}

/* ---- loading */

static int load_rate(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double *out)
{
    if (fl_y_fraction(d, n, what, out)) return -1;
    if (*out <= 0) return fl_y_error(d, n, "%s must be above 0", what);
    return 0;
}

static int delay_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                      const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"to", "from", "add", "jitter", NULL};
    static const char *const required[] = {"to", "add", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "delay")) return -1;
    struct net_params *p = f->params;
    yaml_node_t *x;
    if (sim_fault_load_name(d, fl_y_get(d, n, "to"), "delay.to", sc, &f->target)) return -1;
    if (fl_y_duration(d, fl_y_get(d, n, "add"), "delay.add", 1, DELAY_MAX, &p->add_ns)) return -1;
    if ((x = fl_y_get(d, n, "jitter"))) {
        if (fl_y_duration(d, x, "delay.jitter", 0, DELAY_MAX, &p->jitter_ns)) return -1;
        if (p->jitter_ns > p->add_ns)
            return fl_y_error(d, x, "delay.jitter must not exceed delay.add (a delay below 0)");
    }
    if ((x = fl_y_get(d, n, "from"))) {
        p->has_from = 1;
        if (load_groups(d, x, sc, "delay.from", &p->a)) return -1;
    }
    return 0;
}

static int loss_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                     const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"to", "between", "rate", NULL};
    static const char *const required[] = {"rate", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "loss")) return -1;
    struct net_params *p = f->params;
    yaml_node_t *to = fl_y_get(d, n, "to"), *bw = fl_y_get(d, n, "between");
    f->target.service = f->target.version = f->target.pod = -1;
    if (!to == !bw) return fl_y_error(d, n, "loss needs one of 'to' and 'between'");
    if (load_rate(d, fl_y_get(d, n, "rate"), "loss.rate", &p->rate)) return -1;
    if (to) return sim_fault_load_name(d, to, "loss.to", sc, &f->target);
    p->between = 1;
    if (fl_y_want_seq(d, bw, "loss.between")) return -1;
    if (SEQ_COUNT(bw) != 2) return fl_y_error(d, bw, "loss.between is a pair: [A, B]");
    p->a.n = p->b.n = 1;
    if (load_group(d, fl_y_node(d, SEQ_ITEMS(bw)[0]), sc, "loss.between", &p->a.id[0])) return -1;
    if (load_group(d, fl_y_node(d, SEQ_ITEMS(bw)[1]), sc, "loss.between", &p->b.id[0])) return -1;
    if (p->a.id[0] == p->b.id[0])
        return fl_y_error(d, bw, "loss.between needs two different groups");
    return 0;
}

static int partition_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                          const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"a", "b", "oneway", NULL};
    static const char *const required[] = {"a", "b", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "partition")) return -1;
    struct net_params *p = f->params;
    f->target.service = f->target.version = f->target.pod = -1;
    yaml_node_t *x;
    if (load_groups(d, fl_y_get(d, n, "a"), sc, "partition.a", &p->a)) return -1;
    if (load_groups(d, fl_y_get(d, n, "b"), sc, "partition.b", &p->b)) return -1;
    int g = shared_group(&p->a, &p->b);
    if (g >= 0)
        return fl_y_error(d, fl_y_get(d, n, "b"), "'%s' is on both sides of the partition",
                          group_name(sc, g));
    if ((x = fl_y_get(d, n, "oneway")) && fl_y_bool(d, x, "partition.oneway", &p->oneway))
        return -1;
    return 0;
}

static int node_down_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                          const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"pod", NULL};
    static const char *const required[] = {"pod", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "node_down")) return -1;
    yaml_node_t *x = fl_y_get(d, n, "pod");
    if (sim_fault_load_name(d, x, "node_down.pod", sc, &f->target)) return -1;
    if (f->target.pod < 0)
        return fl_y_error(d, x, "node_down takes a pod ('%s' is a service)", fl_y_str(x));
    return 0;
}

/* ---- the event log */

static void groups_text(const struct sim_scenario *sc, const struct groups *g, char *buf,
                        size_t size)
{
    FL_ASSERT(g->n >= 0 && g->n <= GROUPS_MAX && size > 0);
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < g->n && len < size; i++)
        len +=
            (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", group_name(sc, g->id[i]));
}

static void pair_subject(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                         size_t size)
{
    const struct net_params *p = f->params;
    if (f->target.service >= 0) {
        sim_fault_target_text(sc, &f->target, buf, size);
        return;
    }
    char a[256], b[256];
    groups_text(sc, &p->a, a, sizeof a);
    groups_text(sc, &p->b, b, sizeof b);
    snprintf(buf, size, "%s %s %s", a, f->kind == SIM_FAULT_PARTITION && p->oneway ? "->" : "<->",
             b);
}

static void delay_subject(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                          size_t size)
{
    const struct net_params *p = f->params;
    char t[160], a[256];
    sim_fault_target_text(sc, &f->target, t, sizeof t);
    if (!p->has_from) {
        snprintf(buf, size, "%s", t);
        return;
    }
    groups_text(sc, &p->a, a, sizeof a);
    snprintf(buf, size, "%s -> %s", a, t);
}

static void delay_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct net_params *p = f->params;
    char add[32], jit[32];
    fl_format_duration(p->add_ns, add, sizeof add);
    fl_format_duration(p->jitter_ns, jit, sizeof jit);
    if (p->jitter_ns)
        snprintf(buf, size, "add %s jitter %s", add, jit);
    else
        snprintf(buf, size, "add %s", add);
}

static void loss_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct net_params *p = f->params;
    snprintf(buf, size, "rate %g%%", p->rate * 100);
}

static void partition_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct net_params *p = f->params;
    snprintf(buf, size, "%s", p->oneway ? "one way" : "both ways");
}

static void node_down_describe(const struct sim_fault *f, char *buf, size_t size)
{
    (void)f;
    snprintf(buf, size, "blackhole");
}

/* ---- the chaos monkey: a delay of 50..500 ms towards the service, a loss of 5..50% */

static void delay_draw(struct fl_rng *rng, const struct sim_scenario *sc, struct sim_fault *f)
{
    (void)sc;
    FL_ASSERT(f->target.service >= 0);
    struct net_params *p = f->params;
    p->add_ns = (int64_t)(1 + fl_rng_below(rng, 10)) * 50 * 1000000;
}

static void loss_draw(struct fl_rng *rng, const struct sim_scenario *sc, struct sim_fault *f)
{
    (void)sc;
    FL_ASSERT(f->target.service >= 0);
    struct net_params *p = f->params;
    p->rate = (double)(1 + fl_rng_below(rng, 10)) * 0.05;
}

/* ---- running */

/* The nodes of a set of groups, as flags per node. */
static uint8_t *group_nodes(const struct sim_world *w, const struct groups *g)
{
    const struct sim_scenario *sc = w->sc;
    uint8_t *set = fl_calloc(w->n_nodes, 1);
    for (int i = 0; i < g->n; i++) {
        int id = g->id[i];
        if (id < (int)sc->n_services) {
            const struct sim_service *s = &w->services[id];
            for (uint32_t k = 0; k < s->n_pods; k++) set[w->pods[s->first_pod + k].node] = 1;
        } else if (id < (int)(sc->n_services + sc->n_workloads)) {
            set[w->clients[id - (int)sc->n_services].node] = 1;
        } else {
            FL_ASSERT(w->gateway_node != UINT32_MAX);
            set[w->gateway_node] = 1;
        }
    }
    return set;
}

/* The nodes of the pods a target covers. */
static uint8_t *target_nodes(const struct sim_world *w, const struct sim_fault_target *t)
{
    FL_ASSERT(t->service >= 0 && (size_t)t->service < w->sc->n_services);
    uint8_t *set = fl_calloc(w->n_nodes, 1);
    const struct sim_service *s = &w->services[t->service];
    for (uint32_t k = 0; k < s->n_pods; k++) {
        const struct sim_pod *pod = &w->pods[s->first_pod + k];
        if (sim_fault_target_has(t, (int)pod->version, (int)k)) set[pod->node] = 1;
    }
    return set;
}

static uint64_t rule_id(const struct sim_fault *f)
{
    return (uint64_t)(uintptr_t)f;
}

/* A rule for f from now to its end (or the end of the run), impairing as given. */
static struct sim_netrule rule(struct sim_world *w, const struct sim_fault *f, int64_t delay_ns,
                               int64_t jitter_ns, double loss)
{
    FL_ASSERT(f->for_ns >= 0 && delay_ns >= 0 && loss >= 0.0 && loss <= 1.0);
    struct sim_netrule r;
    memset(&r, 0, sizeof r);
    r.id = rule_id(f);
    r.name = f->name;
    r.window.from_ns = sim_now(&w->k);
    r.window.until_ns = f->for_ns ? r.window.from_ns + f->for_ns : INT64_MAX;
    r.window.delay_ns = delay_ns;
    r.window.jitter_ns = jitter_ns;
    r.window.loss = loss;
    return r;
}

static void delay_start(struct sim_world *w, const struct sim_fault *f)
{
    const struct net_params *p = f->params;
    FL_ASSERT(p->add_ns > 0 && p->jitter_ns <= p->add_ns);
    struct sim_netrule r = rule(w, f, p->add_ns, p->jitter_ns, 0.0);
    r.src = p->has_from ? group_nodes(w, &p->a) : NULL;
    r.dst = target_nodes(w, &f->target);
    sim_netfault_add(w, &r);
}

static void loss_start(struct sim_world *w, const struct sim_fault *f)
{
    const struct net_params *p = f->params;
    FL_ASSERT(p->rate > 0 && p->rate <= 1);
    struct sim_netrule r = rule(w, f, 0, 0, p->rate);
    if (p->between) {
        r.src = group_nodes(w, &p->a);
        r.dst = group_nodes(w, &p->b);
        r.both_ways = 1;
    } else {
        r.dst = target_nodes(w, &f->target);
    }
    sim_netfault_add(w, &r);
}

static void partition_start(struct sim_world *w, const struct sim_fault *f)
{
    const struct net_params *p = f->params;
    FL_ASSERT(p->a.n > 0 && p->b.n > 0);
    struct sim_netrule r = rule(w, f, 0, 0, 1.0);
    r.src = group_nodes(w, &p->a);
    r.dst = group_nodes(w, &p->b);
    r.both_ways = !p->oneway;
    sim_netfault_add(w, &r);
}

static void node_down_start(struct sim_world *w, const struct sim_fault *f)
{
    FL_ASSERT(f->target.pod >= 0);
    struct sim_netrule r = rule(w, f, 0, 0, 1.0);
    r.src = target_nodes(w, &f->target);
    r.both_ways = 1; /* from the node to anywhere, and from anywhere to it */
    sim_netfault_add(w, &r);
}

static void net_stop(struct sim_world *w, const struct sim_fault *f)
{
    FL_ASSERT(f->kind == SIM_FAULT_DELAY || f->kind == SIM_FAULT_LOSS ||
              f->kind == SIM_FAULT_PARTITION || f->kind == SIM_FAULT_NODE_DOWN);
    sim_netfault_remove(w, rule_id(f));
}

const struct sim_fault_kind sim_fault_delay = {
    .name = "delay",
    .params_size = sizeof(struct net_params),
    .load = delay_load,
    .subject = delay_subject,
    .describe = delay_describe,
    .draw = delay_draw,
    .start = delay_start,
    .stop = net_stop,
};

const struct sim_fault_kind sim_fault_loss = {
    .name = "loss",
    .params_size = sizeof(struct net_params),
    .load = loss_load,
    .subject = pair_subject,
    .describe = loss_describe,
    .draw = loss_draw,
    .start = loss_start,
    .stop = net_stop,
};

const struct sim_fault_kind sim_fault_partition = {
    .name = "partition",
    .params_size = sizeof(struct net_params),
    .load = partition_load,
    .subject = pair_subject,
    .describe = partition_describe,
    .start = partition_start,
    .stop = net_stop,
};

const struct sim_fault_kind sim_fault_node_down = {
    .name = "node_down",
    .params_size = sizeof(struct net_params),
    .exclusive = 1,
    .load = node_down_load,
    .describe = node_down_describe,
    .start = node_down_start,
    .stop = net_stop,
};
