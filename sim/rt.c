/*
 * rt.c - the simulator's implementation of the runtime interface
 * (proxies/rt.h): a proxy running on a node of the simulated world.
 *
 * Clock and timers are the kernel's (a sim_timer lives inside each
 * px_timer's runtime state); connections are the world's modeled TCP
 * connections (a px_conn is one end of a sim_conn); randomness is the
 * proxy's own stream, derived from the seed and the proxy's name; CPU time
 * is modeled: each proxy has `workers` threads, and work queues for a free
 * one, FIFO, so a busy proxy adds queueing delay as a real one does.
 * Events go to the world's event log (sim/log.h) and to the fault
 * scheduler's triggers (sim/faults.h).
 *
 * Not here: which proxies exist and how they are configured (mesh.c).
 */
#include "sim/tls.h"
#include "sim/rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "sim/endpoints.h"
#include "sim/kv.h"
#include "sim/trace.h"

_Static_assert(sizeof(struct sim_timer) + sizeof(void *) <= sizeof(((struct px_timer *)0)->state),
               "a sim_timer and its runtime must fit in px_timer.state");

struct sim_work {
    px_timer_cb cb;
    void *arg;
    int64_t cost_ns;
    struct sim_work *next;
};

static const struct px_rt_ops sim_rt_ops, sim_rt_ops_untraced;

static struct sim_proxy *of(struct px_rt *rt)

{
    /* only the simulator's runtime is one */
    FL_ASSERT(rt && (rt->ops == &sim_rt_ops || rt->ops == &sim_rt_ops_untraced));
    return (struct sim_proxy *)rt;
}

static int64_t rt_now(struct px_rt *rt)
{
    return sim_now(&of(rt)->w->k);
}

/* The scenario's start_time plus the simulated time (and the proxy's clock skew, if any). */
static int64_t rt_unix_now(struct px_rt *rt)
{
    const struct sim_world *w = of(rt)->w;
    return w->sc->start_unix_ns + sim_now(&w->k);
}

static uint64_t rt_random(struct px_rt *rt)
{
    return fl_rng_next(&of(rt)->rng);
}

/* ---- timers: state holds the sim_timer, then the runtime pointer ---- */

static struct sim_timer *timer_of(struct px_timer *t)
{
    return (struct sim_timer *)t->state;
}

static void timer_fire(struct sim_kernel *k, struct sim_timer *st)
{
    struct px_timer *t = st->data;
    struct px_rt *rt;
    (void)k;
    memcpy(&rt, (char *)t->state + sizeof(struct sim_timer), sizeof rt);
    FL_ASSERT(rt && t->cb && timer_of(t) == st);
    t->cb(rt, t->arg);
}

static void rt_timer_init(struct px_rt *rt, struct px_timer *t, px_timer_cb cb, void *arg)
{
    FL_ASSERT(rt && t && cb);
    t->cb = cb;
    t->arg = arg;
    sim_timer_init(timer_of(t), timer_fire, t);
    memcpy((char *)t->state + sizeof(struct sim_timer), &rt, sizeof rt);
}

static void rt_timer_arm(struct px_rt *rt, struct px_timer *t, int64_t at_ns)
{
    FL_ASSERT(timer_of(t)->data == t); /* initialised by rt_timer_init */
    sim_timer_arm(&of(rt)->w->k, timer_of(t), at_ns);
}

static void rt_timer_cancel(struct px_rt *rt, struct px_timer *t)
{
    /* most of a stream's timers are cancelled unarmed: no call into the kernel for those */
    if (sim_timer_armed(timer_of(t))) sim_timer_cancel(&of(rt)->w->k, timer_of(t));
}

/* ---- connections ---- */

static struct px_conn *rt_connect(struct px_rt *rt, uint64_t addr, const struct px_conn_cbs *cbs,
                                  void *ctx)
{
    struct sim_proxy *sp = of(rt);
    FL_ASSERT(sp->node < sp->w->n_nodes && cbs);
    uint32_t dst = (uint32_t)(addr >> 16);
    if (dst == SIM_NODE_SELF) dst = sp->node;
    uint16_t port = (uint16_t)(addr & 0xffff);
    enum sim_tls_kind tls = sim_tls_mesh_conn(sp->w, sp, dst, port) ? SIM_TLS_MUTUAL : SIM_TLS_NONE;
    struct sim_conn *c = sim_conn_open_tls(sp->w, sp->node, dst, port, cbs, ctx, 0, PX_OK, tls);
    FL_ASSERT(c && c->refs > 0 && c->src == sp->node); /* the caller's reference */
    return sim_px_conn(c, 0);
}

static void rt_conn_bind(struct px_rt *rt, struct px_conn *pc, const struct px_conn_cbs *cbs,
                         void *ctx)
{
    (void)rt;
    sim_conn_bind(sim_conn_of(pc), sim_conn_side(pc), cbs, ctx);
}

static void rt_send(struct px_rt *rt, struct px_conn *pc, struct px_msg *m)
{
    FL_ASSERT(m && sim_conn_of(pc)->refs > 0); /* a held handle */
    sim_conn_send(of(rt)->w, sim_conn_of(pc), sim_conn_side(pc), m);
}

static void rt_conn_close(struct px_rt *rt, struct px_conn *pc)
{
    sim_conn_close(of(rt)->w, sim_conn_of(pc), sim_conn_side(pc), 0);
}

static void rt_conn_reset(struct px_rt *rt, struct px_conn *pc)
{
    sim_conn_close(of(rt)->w, sim_conn_of(pc), sim_conn_side(pc), 1);
}

static void rt_conn_release(struct px_rt *rt, struct px_conn *pc)
{
    /*
     * The owner gives its handle back: events already posted for its end (a
     * close after a pod was killed, say) find no callbacks to call (rt.h:
     * nothing is told to an owner after it released the handle).
     */
    FL_ASSERT(sim_conn_of(pc)->refs > 0);
    sim_conn_bind(sim_conn_of(pc), sim_conn_side(pc), NULL, NULL);
    sim_conn_release(of(rt)->w, sim_conn_of(pc));
}

static const char *rt_conn_peer(struct px_rt *rt, struct px_conn *pc)
{
    struct sim_conn *c = sim_conn_of(pc);
    uint32_t peer = sim_conn_side(pc) ? c->src : c->dst;
    FL_ASSERT(peer < of(rt)->w->n_nodes);
    const struct sim_node *n = &of(rt)->w->nodes[peer];
    return n->address ? n->address : n->name;
}

/*
 * The client's identity on an accepted connection: the peer node's
 * principal, as Istio's auto mTLS gives it - a client with a sidecar (a
 * pod's, the gateway's, the ingress') talks mTLS to a pod with sidecars
 * and presents its certificate; anything else (a workload calling a pod
 * directly, an external service's pod) is plaintext.
 */
static const char *rt_conn_principal(struct px_rt *rt, struct px_conn *pc)
{
    struct sim_conn *c = sim_conn_of(pc);
    uint32_t peer = sim_conn_side(pc) ? c->src : c->dst;
    FL_ASSERT(peer < of(rt)->w->n_nodes);
    return of(rt)->w->nodes[peer].principal;
}

/* The node an end of a connection is on. */
static uint32_t end_node(struct px_conn *pc)
{
    const struct sim_conn *c = sim_conn_of(pc);
    FL_ASSERT(c->path && c->refs > 0);
    return sim_conn_side(pc) ? c->dst : c->src;
}

/* What the peer dialled: a service address (ambient mode's captured ClusterIP), or (node, port). */
static uint64_t rt_conn_local(struct px_rt *rt, struct px_conn *pc)
{
    const struct sim_conn *c = sim_conn_of(pc);
    (void)rt;
    if (c->port >= SIM_PORT_VIP && c->port < SIM_PORT_VIP + SIM_SERVICES_MAX)
        return sim_addr(SIM_NODE_VIP, c->port);
    return sim_addr(end_node(pc), c->port);
}

static struct px_conn *rt_connect_local(struct px_rt *rt, struct px_conn *via, uint64_t addr,
                                        const struct px_conn_cbs *cbs, void *ctx)
{
    struct sim_proxy *sp = of(rt);
    struct sim_conn *c = sim_conn_open(sp->w, end_node(via), (uint32_t)(addr >> 16),
                                       (uint16_t)(addr & 0xffff), cbs, ctx);
    return sim_px_conn(c, 0);
}

static struct px_msg *rt_msg_new(struct px_rt *rt)
{
    return sim_msg_new(of(rt)->w);
}

static void rt_msg_free(struct px_rt *rt, struct px_msg *m)
{
    sim_msg_free(of(rt)->w, m);
}

/* ---- CPU: `workers` threads, FIFO ---- */

static void work_start(struct sim_proxy *sp, struct sim_work *wk);

static void work_done(struct sim_kernel *k, void *a, void *b)
{
    struct sim_proxy *sp = a;
    struct sim_work *wk = b;
    (void)k;
    px_timer_cb cb = wk->cb;
    void *arg = wk->arg;
    FL_ASSERT(sp->busy > 0 && sp->busy <= sp->workers && cb);
    wk->next = sp->free_work;
    sp->free_work = wk;
    sp->busy--;
    if (sp->queue_head) {
        struct sim_work *next = sp->queue_head;
        sp->queue_head = next->next;
        if (!sp->queue_head) sp->queue_tail = NULL;
        work_start(sp, next);
    }
    FL_ASSERT(!sp->queue_head || sp->busy == sp->workers); /* nothing waits beside a free worker */
    cb(&sp->rt, arg);
}

static void work_start(struct sim_proxy *sp, struct sim_work *wk)
{
    FL_ASSERT(sp->busy < sp->workers && wk->cost_ns >= 0);
    sp->busy++;
    sp->cpu_ns += wk->cost_ns;
    sim_post(&sp->w->k, sim_now(&sp->w->k) + wk->cost_ns, work_done, sp, wk);
}

static void rt_work(struct px_rt *rt, int64_t cost_ns, px_timer_cb cb, void *arg)
{
    struct sim_proxy *sp = of(rt);
    struct sim_work *wk = sp->free_work;
    if (wk)
        sp->free_work = wk->next;
    else
        wk = sim_world_block(sp->w, 1, sizeof *wk);
    wk->cb = cb;
    wk->arg = arg;
    wk->cost_ns = cost_ns > 0 ? cost_ns : 0;
    wk->next = NULL;
    if (sp->busy < sp->workers) {
        FL_ASSERT(!sp->queue_head); /* FIFO: a free worker means nothing waits */
        work_start(sp, wk);
        return;
    }
    FL_ASSERT(sp->busy == sp->workers && (!sp->queue_head == !sp->queue_tail));
    if (sp->queue_tail)
        sp->queue_tail->next = wk;
    else
        sp->queue_head = wk;
    sp->queue_tail = wk;
}

/* ---- sinks ---- */

/* The event log's entry for a proxy event: ejections, returns and panics one by one, overflows
 * and rate-limit rejections as bursts (sim/log.h). */
static void log_event(struct sim_proxy *sp, const struct px_event *e)
{
    struct sim_log *l = &sp->w->log;
    FL_ASSERT(e && sp->name && e->at_ns <= sim_now(&sp->w->k));
    const char *cluster = e->cluster ? e->cluster : "";
    char subject[256];
    struct sim_log_entry *le = NULL;
    char dur[32];
    switch (e->kind) {
    case PX_EV_EJECT:
        fl_format_duration(e->value, dur, sizeof dur);
        le = sim_log_add(l, e->at_ns, "eject", e->host ? e->host : cluster,
                         "%s, cluster %s, for %s", sp->name, cluster, dur);
        break;
    case PX_EV_UNEJECT:
        le = sim_log_add(l, e->at_ns, "uneject", e->host ? e->host : cluster, "%s, cluster %s",
                         sp->name, cluster);
        break;
    case PX_EV_PANIC:
        snprintf(subject, sizeof subject, "%s %s", sp->name, cluster);
        le =
            sim_log_add(l, e->at_ns, "panic", subject, "too few healthy hosts: balancing over all");
        break;
    case PX_EV_OVERFLOW:
        snprintf(subject, sizeof subject, "%s %s", sp->name, cluster);
        sim_log_burst(l, e->at_ns, "overflow", subject, "turned away by the circuit breaker");
        break;
    case PX_EV_RATELIMIT:
        sim_log_burst(l, e->at_ns, "ratelimit", sp->name, "rejected by the rate limit");
        break;
    case PX_EV_RL_STORE:
        if (e->value)
            sim_log_burst(l, e->at_ns, "ratelimit-unchecked", sp->name,
                          "let through unchecked: redis unavailable");
        else
            sim_log_burst(l, e->at_ns, "ratelimit-error", sp->name,
                          "refused with 500: redis unavailable");
        break;
    }
    if (!le) return;
    le->proxy = fl_strdup(sp->name);
    le->cluster = fl_strdup(cluster);
    le->host = fl_strdup(e->host ? e->host : "");
    le->value_ns = e->kind == PX_EV_EJECT ? e->value : 0;
}

static void rt_event(struct px_rt *rt, const struct px_event *e)
{
    struct sim_proxy *sp = of(rt);
    struct sim_world *w = sp->w;
    /* the record is in time order: events are reported as they happen */
    FL_ASSERT(!w->n_events || w->events[w->n_events - 1].at_ns <= e->at_ns);
    FL_GROW(w->events, w->cap_events, w->n_events + 1);
    struct sim_event_rec *r = &w->events[w->n_events++];
    r->kind = e->kind;
    r->at_ns = e->at_ns;
    r->value = e->value;
    r->proxy = sp->name;
    r->cluster = e->cluster; /* static: they point into the proxy configuration */
    r->host = e->host;
    log_event(sp, e);
    sim_faults_on_proxy_event(w, sp->cfg, sp->node, e);
}

static void rt_span(struct px_rt *rt, const struct px_span *s)
{
    /* the local endpoint is this proxy ("caller-0 outbound"), not its shared configuration */
    struct px_span named = *s;
    named.service = of(rt)->name;
    sim_trace_span(of(rt)->w, &named);
}

static uint64_t rt_trace_id(struct px_rt *rt)
{
    return sim_trace_new_id(of(rt)->w);
}

static int rt_endpoint_absent(struct px_rt *rt, uint64_t addr)
{
    return sim_endpoints_absent(of(rt)->w, of(rt)->node, (uint32_t)(addr >> 16));
}

static void rt_kv_incr(struct px_rt *rt, const struct px_kv_req *req, px_kv_cb cb, void *arg)
{
    sim_kv_request(of(rt), req, cb, arg);
}

/* clang-format off */
#define SIM_RT_OPS(span_op) {                                                   \
    .now = rt_now,                                                              \
    .draw = rt_random,                                                          \
    .timer_init = rt_timer_init,                                                \
    .timer_arm = rt_timer_arm,                                                  \
    .timer_cancel = rt_timer_cancel,                                            \
    .connect = rt_connect,                                                      \
    .conn_bind = rt_conn_bind,                                                  \
    .send = rt_send,                                                            \
    .conn_close = rt_conn_close,                                                \
    .conn_reset = rt_conn_reset,                                                \
    .conn_release = rt_conn_release,                                            \
    .msg_new = rt_msg_new,                                                      \
    .msg_free = rt_msg_free,                                                    \
    .work = rt_work,                                                            \
    .span = span_op,                                                            \
    .event = rt_event,                                                          \
    .conn_peer = rt_conn_peer,                                                  \
    .conn_local = rt_conn_local,                                                \
    .connect_local = rt_connect_local,                                          \
    .trace_id = rt_trace_id,                                                    \
    .endpoint_absent = rt_endpoint_absent,                                      \
    .unix_now = rt_unix_now,                                                    \
    .conn_principal = rt_conn_principal,                                        \
    .kv_incr = rt_kv_incr,                                                      \
}
/* clang-format on */

static const struct px_rt_ops sim_rt_ops = SIM_RT_OPS(rt_span);
/*
 * The same without spans, for the proxies of a run that keeps none (no
 * span files and no slowest requests: sim_trace_span would drop every one):
 * the proxies then skip building them. Trace ids are drawn as before.
 */
static const struct px_rt_ops sim_rt_ops_untraced = SIM_RT_OPS(NULL);

/* A connection to the proxy's port: the proxy holds its end from now on. */
static void proxy_accept(void *ctx, struct sim_conn *c)
{
    struct sim_proxy *sp = ctx;
    FL_ASSERT(sp->proxy && c->dst == sp->node);
    sim_conn_ref(c);
    px_proxy_accept(sp->proxy, sim_px_conn(c, 1));
}

struct sim_proxy *sim_rt_new(struct sim_world *w, uint32_t node, const char *name, uint32_t workers)
{
    FL_ASSERT(w && node < w->n_nodes && name);
    struct sim_proxy *sp = fl_calloc(1, sizeof *sp);
    sp->rt.ops = w->tracer ? &sim_rt_ops : &sim_rt_ops_untraced; /* no tracer: no span kept */
    if (!w->px_pools) { /* the first proxy's; freed with the world, after every proxy */
        w->px_pools = fl_calloc(1, sizeof *w->px_pools);
        px_pools_init(w->px_pools);
        w->px_pools->arena = &w->px_arena; /* freed with the world, after the pools */
    }
    sp->rt.pools = w->px_pools;
    sp->w = w;
    sp->node = node;
    sp->name = fl_strdup(name);
    sp->workers = workers ? workers : 1;
    char *stream = fl_asprintf("proxy/%s", name);
    fl_rng_derive(&sp->rng, w->sc->seed, stream);
    free(stream);
    FL_ASSERT(sp->workers >= 1 && sp->busy == 0);
    return sp;
}

struct sim_proxy *sim_proxy_start(struct sim_world *w, uint32_t node, uint16_t port,
                                  const char *name, const struct px_proxy_cfg *cfg)
{
    struct sim_proxy *sp = sim_rt_new(w, node, name, cfg->workers);
    sp->cfg = cfg;
    const struct sim_node *nd = &w->nodes[node];
    struct px_label *labels = fl_calloc(nd->n_labels + 1, sizeof *labels);
    for (size_t i = 0; i < nd->n_labels; i++) /* borrowed: the proxy copies them */
        labels[i] = (struct px_label){nd->labels[i].key, nd->labels[i].value};
    sp->proxy = px_proxy_new_labelled(&sp->rt, cfg, nd->locality, labels, nd->n_labels);
    free(labels);
    sim_listen(w, node, port, proxy_accept, sp);
    FL_GROW(w->proxies, w->cap_proxies, w->n_proxies + 1);
    w->proxies[w->n_proxies++] = sp;
    FL_ASSERT(sp->proxy && sp->cfg == cfg);
    return sp;
}

void sim_proxy_free(struct sim_proxy *sp)
{
    FL_ASSERT(sp && sp->busy <= sp->workers);
    if (sp->proxy) px_proxy_free(sp->proxy);
    sim_kv_proxy_free(sp); /* after the proxy: the answers find its waits orphaned */

    free(sp->name);
    free(sp);
}
