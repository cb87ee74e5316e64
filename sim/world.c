/*
 * world.c - builds the world from a scenario (nodes, pods, clients, the
 * result tables), runs the kernel until the workloads have stopped and the
 * requests under way have drained, and collects the figures.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "sim/identity.h"
#include "sim/pods.h"
#include "sim/rt.h"
#include "sim/run.h"
#include "sim/series.h"
#include "sim/trace.h"
#include "sim/world.h"

static void assert_context(FILE *out, void *arg)
{
    struct sim_world *w = arg;
    if (!w || !out) return; /* no assertion here: it runs inside a failing one */
    fprintf(out, "faultline: scenario %s, seed %llu, simulated time %lld ns\n", w->sc->file,
            (unsigned long long)w->sc->seed, (long long)sim_now(&w->k));
    fprintf(out, "faultline: replay with: faultline run %s --seed %llu\n", w->sc->file,
            (unsigned long long)w->sc->seed);
}

static void build_results(struct sim_world *w, struct rpt_run *run)
{
    const struct sim_scenario *sc = w->sc;
    FL_ASSERT(sc && run && sc->name);
    memset(run, 0, sizeof *run);
    run->scenario = fl_strdup(sc->name);
    run->seed = sc->seed;
    run->requests_every = sc->requests_every;
    run->requests_max = sc->requests_max;
    run->trace_sample = sc->trace_sample;
    run->notes = fl_calloc(sc->istio.n_notes + 1, sizeof *run->notes);
    for (; run->n_notes < sc->istio.n_notes; run->n_notes++)
        run->notes[run->n_notes] = fl_strdup(sc->istio.notes[run->n_notes]);
    run->warnings = fl_calloc(sc->istio.n_warnings + 1, sizeof *run->warnings);
    for (; run->n_warnings < sc->istio.n_warnings; run->n_warnings++)
        run->warnings[run->n_warnings] = fl_strdup(sc->istio.warnings[run->n_warnings]);
    rpt_stats_init(&run->all, "all");
    run->n_routes = sc->n_routes;
    run->routes = fl_calloc(sc->n_routes ? sc->n_routes : 1, sizeof *run->routes);
    for (size_t i = 0; i < sc->n_routes; i++) rpt_stats_init(&run->routes[i], sc->routes[i]);
    run->n_services = sc->n_services;
    run->services = fl_calloc(sc->n_services, sizeof *run->services);
    for (size_t i = 0; i < sc->n_services; i++) {
        struct rpt_service *rs = &run->services[i];
        rpt_stats_init(&rs->st, sc->services[i].name);
        rs->n_pods = (size_t)sim_service_pods(&sc->services[i]);
        rs->pods = fl_calloc(rs->n_pods, sizeof *rs->pods);
    }
    run->n_checks = sc->n_checks;
    run->checks = fl_calloc(sc->n_checks ? sc->n_checks : 1, sizeof *run->checks);
    for (size_t i = 0; i < sc->n_checks; i++) {
        run->checks[i] = sc->checks[i];
        run->checks[i].target = sc->checks[i].target ? fl_strdup(sc->checks[i].target) : NULL;
        run->checks[i].text = fl_strdup(sc->checks[i].text);
        run->checks[i].hop = sc->checks[i].hop ? fl_strdup(sc->checks[i].hop) : NULL;
        run->checks[i].report = NULL;
        if (sc->checks[i].window >= 0) {
            run->checks[i].window_stats = fl_calloc(1, sizeof *run->checks[i].window_stats);
            rpt_stats_init(run->checks[i].window_stats, sc->checks[i].text);
        }
    }
    FL_ASSERT(run->n_notes == sc->istio.n_notes && run->n_warnings == sc->istio.n_warnings);
}

static uint32_t add_node(struct sim_world *w, char *name, const char *group)
{
    FL_ASSERT(name && group && w->n_nodes < UINT32_MAX);
    struct sim_node *n = &w->nodes[w->n_nodes];
    FL_ASSERT(!n->name); /* a fresh slot of the calloc'd array */
    n->id = w->n_nodes;
    n->name = name;
    n->group = group;
    n->up = 1;
    n->pod = UINT32_MAX;
    return w->n_nodes++;
}

static void build_world(struct sim_world *w, const struct sim_scenario *sc, struct rpt_run *run)
{
    FL_ASSERT(w && sc && run && !w->n_nodes && !w->n_pods && !w->n_clients);
    uint32_t n_pods = 0;
    for (size_t i = 0; i < sc->n_services; i++)
        n_pods += (uint32_t)sim_service_pods(&sc->services[i]);
    w->sc = sc;
    w->run = run;
    uint32_t max_nodes = (uint32_t)sc->n_workloads + n_pods + 2 + sim_ambient_nodes(sc);
    w->nodes = fl_calloc(max_nodes, sizeof *w->nodes);
    w->activity = fl_calloc(max_nodes, sizeof *w->activity);
    w->clients = fl_calloc(sc->n_workloads, sizeof *w->clients);
    w->pods = fl_calloc(n_pods ? n_pods : 1, sizeof *w->pods);
    w->services = fl_calloc(sc->n_services, sizeof *w->services);
    w->gateway_node = UINT32_MAX;
    if (sc->has_gateway) {
        w->gateway_node = add_node(w, fl_strdup("gateway"), "gateway");
        w->nodes[w->gateway_node].locality = sc->gateway_locality;
    }
    w->ingress_node = UINT32_MAX;
    if (sc->istio.n_gateways && sc->mesh_mode == SIM_MESH_SIDECAR)
        w->ingress_node = add_node(w, fl_strdup(SIM_INGRESS_NAME), SIM_INGRESS_NAME);
    for (size_t i = 0; i < sc->n_workloads; i++) {
        struct sim_client *cl = &w->clients[w->n_clients++];
        cl->w = w;
        cl->cfg = &sc->workloads[i];
        cl->node = add_node(w, fl_strdup(cl->cfg->name), cl->cfg->name);
        w->nodes[cl->node].locality = cl->cfg->locality;
        w->nodes[cl->node].address = cl->cfg->address;
        if (cl->cfg->target == SIM_TARGET_GATEWAY) {
            cl->target_node = w->gateway_node;
            cl->target_port = SIM_PORT_GATEWAY;
        } else if (cl->cfg->target == SIM_TARGET_INGRESS) {
            /* the request's Host header (workload headers) is its authority */
            cl->target_node = w->ingress_node;
            cl->target_port = SIM_PORT_SERVICE;
        } else {
            FL_ASSERT(cl->cfg->target >= 0 && (size_t)cl->cfg->target < sc->n_services);
            cl->target_port = SIM_PORT_SERVICE;
            cl->authority = sc->services[cl->cfg->target].name;
        }
        char *stream = fl_asprintf("workload/%s", cl->cfg->name);
        fl_rng_derive(&cl->rng, sc->seed, stream);
        free(stream);
    }
    for (size_t s = 0; s < sc->n_services; s++) {
        const struct sim_service_cfg *svc = &sc->services[s];
        w->services[s].first_pod = w->n_pods;
        size_t pod_in_svc = 0;
        for (size_t v = 0; v < svc->n_versions; v++) {
            const struct sim_version_cfg *ver = &svc->versions[v];
            for (int r = 0; r < ver->replicas; r++) {
                struct sim_pod *pod = &w->pods[w->n_pods++];
                pod->w = w;
                char *name = ver->name ? fl_asprintf("%s-%s-%d", svc->name, ver->name, r)
                                       : fl_asprintf("%s-%d", svc->name, r);
                pod->node = add_node(w, name, svc->name);
                w->nodes[pod->node].pod = w->n_pods - 1;
                w->nodes[pod->node].locality = ver->locality; /* pods inherit it */
                w->nodes[pod->node].labels = ver->labels;
                w->nodes[pod->node].n_labels = ver->n_labels;
                pod->service = (uint32_t)s;
                pod->version = (uint32_t)v;
                pod->cfg = ver;
                char *stream = fl_asprintf("pod/%s", name);
                fl_rng_derive(&pod->rng, sc->seed, stream);
                free(stream);
                stream = fl_asprintf("fault/%s", name);
                fl_rng_derive(&pod->fault_rng, sc->seed, stream);
                free(stream);
                pod->fault_slow = 1.0;
                struct rpt_pod *rp = &run->services[s].pods[pod_in_svc++];
                rp->name = fl_strdup(name);
                rp->version = ver->name ? fl_strdup(ver->name) : NULL;
                pod->stats = rp;
                pod->svc_stats = &run->services[s].st;
            }
        }
        w->services[s].n_pods = w->n_pods - w->services[s].first_pod;
        FL_ASSERT(pod_in_svc == run->services[s].n_pods && w->services[s].n_pods == pod_in_svc);
    }
    FL_ASSERT(w->n_pods == n_pods && w->n_clients == sc->n_workloads);
    FL_ASSERT(w->n_nodes <= sc->n_workloads + n_pods + 2 + sim_ambient_nodes(sc));
}

static void free_world(struct sim_world *w)
{
    sim_identity_free(w);
    FL_ASSERT(w && (w->nodes || !w->n_nodes));
    sim_faults_free(w);
    sim_pods_free(w);
    sim_series_free(w);
    sim_amplify_free(w);
    sim_log_free(&w->log);
    sim_mesh_free(w);
    sim_workload_free(w);
    sim_trace_free(w);
    sim_app_free(w);
    sim_net_free(w);
    if (w->px_pools) { /* after every proxy (mesh, ambient): they give their objects back */
        px_pools_free(w->px_pools);
        free(w->px_pools);
    }
    fl_arena_free(&w->px_arena); /* every proxy's clusters, hosts...: at once */
    for (uint32_t i = 0; i < w->n_nodes; i++) free(w->nodes[i].name);
    free(w->nodes);
    free(w->clients);
    free(w->pods);
    free(w->services);
    sim_kernel_free(&w->k);
    free(w->activity);
    free(w->activity_mark);
    free(w->stall);
    fl_arena_free(&w->blocks);
}

/* ---------------------------------------------------------------- zero-time guard */

#define STALL_WATCH_EVENTS (UINT64_C(100) * 1000) /* events watched to see who loops */
#define STALL_NAMED_MAX    3                      /* nodes the diagnosis names */

/* "workload 'mobile'", "pod 'billing-0' (service billing)", "the gateway". */
static char *node_label(const struct sim_world *w, uint32_t id)
{
    FL_ASSERT(id < w->n_nodes);
    if (id == w->gateway_node) return fl_strdup("the gateway");
    if (id == w->ingress_node) return fl_strdup("the ingress gateway");
    for (uint32_t i = 0; i < w->n_clients; i++)
        if (w->clients[i].node == id) return fl_asprintf("workload '%s'", w->nodes[id].name);
    return fl_asprintf("pod '%s' (service %s)", w->nodes[id].name, w->nodes[id].group);
}

/* The guard's diagnosis: the nodes whose activity grew most while it watched. */
static char *stall_diagnosis(const struct sim_world *w, uint64_t n)
{
    char when[32];
    fl_format_duration(sim_now(&w->k), when, sizeof when);
    char *msg = fl_asprintf("simulated time stands still at %s: %llu events ran at that instant "
                            "without the clock moving (a zero-time loop)",
                            when, (unsigned long long)n);
    int named = 0;
    uint64_t above = UINT64_MAX; /* pick the busiest nodes in order, ties by id */
    uint32_t last = UINT32_MAX;
    for (; named < STALL_NAMED_MAX; named++) {
        uint32_t best = UINT32_MAX;
        uint64_t best_d = 0;
        for (uint32_t i = 0; i < w->n_nodes; i++) {
            uint64_t d = w->activity[i] - w->activity_mark[i];
            int after_last = d < above || (d == above && last != UINT32_MAX && i > last);
            if (d > 0 && after_last && (d > best_d || best == UINT32_MAX)) {
                best = i;
                best_d = d;
            }
        }
        if (best == UINT32_MAX) break;
        FL_ASSERT(best_d > 0 && best_d <= above); /* the busiest not named yet */
        char *label = node_label(w, best);
        char *next =
            fl_asprintf("%s%s %s (%llu connections and messages)", msg,
                        named ? "," : "; busiest in the loop:", label, (unsigned long long)best_d);
        free(label);
        free(msg);
        msg = next;
        above = best_d;
        last = best;
    }
    const char *hint = named ? "; something on that path must take time: a service_time, a "
                               "network delay, a think_time or a retry backoff above 0"
                             : "; no connection or message moved: a timer that re-arms itself "
                               "for the same instant";
    char *full = fl_asprintf("%s%s", msg, hint);
    free(msg);
    return full;
}

/*
 * The kernel's zero-time guard (kernel.h): the first call takes a snapshot
 * of every node's activity and watches STALL_WATCH_EVENTS more events; the
 * second names the nodes that kept busy meanwhile, and stops the run.
 */
static uint64_t instant_guard(struct sim_kernel *k, void *arg, uint64_t n)
{
    struct sim_world *w = arg;
    FL_ASSERT(k == &w->k && !w->stall);
    if (!w->activity_mark) {
        w->activity_mark = fl_calloc(w->n_nodes ? w->n_nodes : 1, sizeof *w->activity_mark);
        for (uint32_t i = 0; i < w->n_nodes; i++) w->activity_mark[i] = w->activity[i];
        return STALL_WATCH_EVENTS;
    }
    w->stall = stall_diagnosis(w, n);
    return 0;
}

struct progress_ctx {
    sim_progress_fn fn;
    void *arg;
    int64_t end_ns;
};

static void on_progress(struct sim_kernel *k, void *arg)
{
    struct progress_ctx *p = arg;
    FL_ASSERT(p && p->fn);
    struct sim_progress pr = {sim_now(k), p->end_ns, k->events};
    p->fn(&pr, p->arg);
}

void sim_world_maybe_stop(struct sim_world *w)
{
    if (!w->stopping || w->live || w->busy_jobs) return;
    FL_ASSERT(sim_now(&w->k) >= w->sc->duration_ns); /* stopping: the duration is over */
    for (size_t i = 0; i < w->n_proxies; i++)
        if (px_proxy_active(w->proxies[i]->proxy)) return;
    sim_kernel_stop(&w->k);
}

/*
 * After `duration` the workloads send nothing new; the run ends as soon as
 * nothing is under way anywhere (requests, pods' work, proxies' streams):
 * proxies' own timers (outlier sweeps) would otherwise keep it going. A
 * check every 10 ms catches what the finishing hooks do not.
 */
static void check_over(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    FL_ASSERT(w->stopping && t == &w->over);
    sim_world_maybe_stop(w);
    sim_timer_arm(k, t, sim_now(k) + 10 * SIM_NS_PER_MS);
}

static void duration_over(struct sim_kernel *k, void *a, void *b)
{
    struct sim_world *w = (struct sim_world *)k;
    (void)a;
    (void)b;
    FL_ASSERT(!w->stopping && sim_now(k) == w->sc->duration_ns);
    w->stopping = 1;
    sim_timer_init(&w->over, check_over, w);
    check_over(k, &w->over);
}

int sim_proxies_build(const struct sim_scenario *sc, sim_proxies_fn fn, void *arg, char **err)
{
    struct sim_world *w = fl_calloc(1, sizeof *w);
    struct rpt_run run;
    sim_kernel_init(&w->k);
    w->sc = sc;
    build_results(w, &run);
    build_world(w, sc, &run);
    sim_net_init(w);
    sim_app_init(w);
    int rc = sim_mesh_init(w, err);
    if (!rc) fn(w->gateway_cfg, w->mesh_cfg, w->ingress_cfg, arg);
    free_world(w);
    free(w);
    rpt_run_free(&run);
    return rc;
}

int sim_run(const struct sim_scenario *sc, sim_progress_fn progress, void *arg, struct rpt_run *out,
            char **err)
{
    struct sim_world *w = fl_calloc(1, sizeof *w);
    sim_kernel_init(&w->k);
    sim_log_init(&w->log);
    w->sc = sc;
    build_results(w, out);
    build_world(w, sc, out);
    sim_trace_init(w);
    sim_net_init(w);
    sim_app_init(w);
    if (sim_mesh_init(w, err) || sim_identity_init(w, err)) {
        free_world(w);
        free(w);
        rpt_run_free(out);
        return -1;
    }
    fl_assert_set_context(assert_context, w);
    struct progress_ctx pc = {progress, arg, sc->duration_ns};
    if (progress) sim_kernel_set_progress(&w->k, on_progress, &pc);
    sim_kernel_set_instant_guard(&w->k, instant_guard, w);
    sim_faults_init(w); /* before the workloads: a fault due at t starts before t's arrivals */
    sim_series_init(w);
    sim_amplify_init(w);
    sim_workload_start(w);
    sim_post(&w->k, sc->duration_ns, duration_over, NULL, NULL);
    sim_kernel_run(&w->k, sc->duration_ns + sc->drain_ns);
    if (w->k.stalled) {
        FL_ASSERT(w->stall);
        *err = w->stall;
        w->stall = NULL;
        fl_assert_set_context(NULL, NULL);
        free_world(w);
        free(w);
        rpt_run_free(out);
        return -1;
    }
    sim_timer_cancel(&w->k, &w->over);
    FL_ASSERT(sim_now(&w->k) <= sc->duration_ns + sc->drain_ns);
    sim_workload_finish(w);
    sim_trace_finish(w);

    if (progress) on_progress(&w->k, &pc);
    sim_series_finish(w);
    out->events = w->k.events - sim_series_events(w) - sim_amplify_events(w);
    out->sim_ns = sim_now(&w->k);
    sim_mesh_results(w);
    sim_amplify_results(w);
    sim_faults_checks_done(w);
    sim_log_close(&w->log);
    sim_log_to_run(&w->log, out);
    fl_assert_set_context(NULL, NULL);
    free_world(w);
    free(w);
    return 0;
}
