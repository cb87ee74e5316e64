/*
 * pods.c - pods coming and going (pods.h).
 *
 * Kubernetes' sequence for a deleted pod (docs "Pod Lifecycle - Termination
 * of Pods"): the pod is marked Terminating; at the same time the endpoints
 * controller withdraws it (the proxies learn it endpoint_delay later) and
 * the kubelet runs the preStop hook (prestop_delay) then sends SIGTERM;
 * at terminationGracePeriodSeconds from the deletion it sends SIGKILL.
 * The application here is a graceful server: after SIGTERM it serves what
 * reaches it on open connections and exits at the first millisecond with
 * nothing in flight (its own work, its sidecars' requests, a message on
 * the wire to or from it), closing its connections with FIN. So with prestop_delay below
 * endpoint_delay, connections opened towards the pod between its exit and the withdrawal are
 * refused: the well-known race that a preStop sleep cures.
 *
 * A kill is SIGKILL with no warning: connections are reset at once, work
 * in flight is lost, and connects are refused (RST) until the endpoint is
 * withdrawn. The replacement has the same name (StatefulSet-like: it
 * starts after the old process is gone) and fresh state: no work, no
 * connections; its sidecars are the same proxy objects, their pools
 * emptied by the closes. It is a new pod with a new address, which no
 * caller knows before it is Ready: until then, connects to the pod's
 * address are refused (the stale endpoint of the old one).
 *
 * Endpoint changes: one timer each way per pod. A withdrawal pending when
 * the replacement turns Ready fires first (it was armed first, and at an
 * instant timers fire in arming order), so the log always reads removed,
 * then added.
 */
#include "sim/pods.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "proxies/proxy.h"
#include "sim/endpoints.h"
#include "sim/rt.h"
#include "sim/world.h"

#define POLL_NS INT64_C(1000000) /* a terminating pod looks for nothing in flight every 1 ms */

enum phase { RUNNING, TERMINATING, DOWN, STARTING };

struct life {
    struct sim_world *w;
    uint32_t pod;
    enum phase phase;
    struct sim_timer sigterm, poll, grace, start, ready, ep_out, ep_in;
    sim_pod_done_fn done; /* the restart's caller, when the replacement is in the endpoints */
    void *arg;
};

struct rollout {
    struct sim_world *w;
    uint32_t service, next, parallel, in_flight;
    char *name;
};

struct sim_lives {
    struct life *v; /* one per pod */
    struct rollout **rollouts;
    size_t n_rollouts;
};

static const char *pod_name(const struct sim_world *w, uint32_t pod)
{
    FL_ASSERT(pod < w->n_pods && w->pods[pod].node < w->n_nodes);
    return w->nodes[w->pods[pod].node].name;
}

static void log_pod(struct life *l, const char *kind, const char *detail)
{
    struct sim_world *w = l->w;
    sim_log_add(&w->log, sim_now(&w->k), kind, pod_name(w, l->pod), "%s", detail);
}

static void ep_out_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    (void)k;
    FL_ASSERT(!l->w->pods[l->pod].withdrawn);
    sim_endpoints_set(l->w, l->pod, 0);
    FL_ASSERT(l->w->pods[l->pod].withdrawn);
    log_pod(l, "endpoint", "removed from the endpoints");
}

/* The replacement is in the endpoints: the restart's caller goes on. */
static void finish(struct life *l)
{
    sim_pod_done_fn done = l->done;
    l->done = NULL;
    if (done) done(l->w, l->pod, l->arg);
}

static void ep_in_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    (void)k;
    FL_ASSERT(l->phase == RUNNING && l->w->pods[l->pod].withdrawn);
    sim_endpoints_set(l->w, l->pod, 1);
    FL_ASSERT(!l->w->pods[l->pod].withdrawn);
    log_pod(l, "endpoint", "added to the endpoints");
    finish(l);
}

/* The endpoints controller withdraws the pod: the proxies learn it endpoint_delay later. */
static void withdraw(struct life *l)
{
    struct sim_world *w = l->w;
    FL_ASSERT(l->phase == DOWN || l->phase == TERMINATING);
    sim_timer_cancel(&w->k, &l->ep_in); /* not Ready any more: it never gets in */
    if (w->pods[l->pod].withdrawn || sim_timer_armed(&l->ep_out)) return;
    sim_timer_arm(&w->k, &l->ep_out, sim_now(&w->k) + w->sc->kube.endpoint_delay_ns);
    FL_ASSERT(sim_timer_armed(&l->ep_out) && !sim_timer_armed(&l->ep_in));
}

/* The process ends: reset (killed) or FIN (exited); its work is lost either way. */
static void stop(struct life *l, int reset, const char *how)
{
    struct sim_world *w = l->w;
    struct sim_pod *pod = &w->pods[l->pod];
    FL_ASSERT(l->phase != DOWN && w->nodes[pod->node].up);
    sim_timer_cancel(&w->k, &l->sigterm);
    sim_timer_cancel(&w->k, &l->poll);
    sim_timer_cancel(&w->k, &l->grace);
    sim_timer_cancel(&w->k, &l->ready);
    w->nodes[pod->node].up = 0; /* new connects are refused from now on */
    size_t n = sim_net_node_close(w, pod->node, reset);
    sim_app_kill(w, pod);
    l->phase = DOWN;
    FL_ASSERT(!w->nodes[pod->node].up && sim_app_idle(pod));
    FL_ASSERT(!sim_timer_armed(&l->grace) && !sim_timer_armed(&l->ready));
    char detail[160];
    snprintf(detail, sizeof detail, "%s: %zu connection%s %s", how, n, n == 1 ? "" : "s",
             reset ? "reset" : "closed");
    log_pod(l, "pod-stop", detail);
}

static void start_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    struct sim_world *w = l->w;
    FL_ASSERT(l->phase == DOWN && !w->nodes[w->pods[l->pod].node].up);
    l->phase = STARTING;
    char d[64], detail[128];
    fl_format_duration(w->sc->kube.readiness_delay_ns, d, sizeof d);
    snprintf(detail, sizeof detail, "replacement started (Ready in %s)", d);
    log_pod(l, "pod-start", detail);
    sim_timer_arm(k, &l->ready, sim_now(k) + w->sc->kube.readiness_delay_ns);
    FL_ASSERT(sim_timer_armed(&l->ready) && !sim_timer_armed(&l->ep_in));
}

static void ready_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    struct sim_world *w = l->w;
    FL_ASSERT(l->phase == STARTING);
    l->phase = RUNNING;
    w->nodes[w->pods[l->pod].node].up = 1; /* reachable: its address is known from now on */
    FL_ASSERT(!sim_timer_armed(&l->ep_in) && sim_app_idle(&w->pods[l->pod]));
    log_pod(l, "pod-ready", "Ready: the endpoints controller adds it");
    if (!w->pods[l->pod].withdrawn && !sim_timer_armed(&l->ep_out)) {
        finish(l); /* it never left */
        return;
    }
    sim_timer_arm(k, &l->ep_in, sim_now(k) + w->sc->kube.endpoint_delay_ns);
}

/* 1 if the pod's app and sidecars have nothing in flight, nor its connections on the wire. */
static int idle(const struct life *l)
{
    const struct sim_world *w = l->w;
    const struct sim_pod *pod = &w->pods[l->pod];
    FL_ASSERT(l->phase == TERMINATING && w->nodes[pod->node].up);
    if (!sim_app_idle(pod) || !sim_net_node_quiet(w, pod->node)) return 0;
    for (size_t i = 0; i < w->n_proxies; i++) {
        const struct sim_proxy *sp = w->proxies[i];
        if (sp->node == pod->node && sp->proxy && px_proxy_active(sp->proxy)) return 0;
    }
    return 1;
}

/* After SIGTERM: exit when idle, then the replacement starts. */
static void poll_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    FL_ASSERT(l->phase == TERMINATING);
    if (!idle(l)) {
        sim_timer_arm(k, &l->poll, sim_now(k) + POLL_NS);
        return;
    }
    stop(l, 0, "exited after SIGTERM");
    FL_ASSERT(l->phase == DOWN && !sim_timer_armed(&l->start));
    sim_timer_arm(k, &l->start, sim_now(k));
}

static void sigterm_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    FL_ASSERT(l->phase == TERMINATING);
    log_pod(l, "pod-sigterm", "SIGTERM: finishing what is in flight");
    poll_fire(k, &l->poll);
}

static void grace_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct life *l = t->data;
    FL_ASSERT(l->phase == TERMINATING);
    stop(l, 1, "killed at the end of the grace period (SIGKILL)");
    FL_ASSERT(l->phase == DOWN && !sim_timer_armed(&l->poll) && !sim_timer_armed(&l->start));
    sim_timer_arm(k, &l->start, sim_now(k));
}

static struct life *life_of(struct sim_world *w, uint32_t pod)
{
    FL_ASSERT(pod < w->n_pods);
    if (!w->lives) {
        w->lives = fl_calloc(1, sizeof *w->lives);
        w->lives->v = fl_calloc(w->n_pods, sizeof *w->lives->v);
        for (uint32_t i = 0; i < w->n_pods; i++) {
            struct life *l = &w->lives->v[i];
            l->w = w;
            l->pod = i;
            l->phase = RUNNING;
            sim_timer_init(&l->sigterm, sigterm_fire, l);
            sim_timer_init(&l->poll, poll_fire, l);
            sim_timer_init(&l->grace, grace_fire, l);
            sim_timer_init(&l->start, start_fire, l);
            sim_timer_init(&l->ready, ready_fire, l);
            sim_timer_init(&l->ep_out, ep_out_fire, l);
            sim_timer_init(&l->ep_in, ep_in_fire, l);
        }
    }
    return &w->lives->v[pod];
}

void sim_pod_kill(struct sim_world *w, uint32_t pod, int64_t restart_after_ns)
{
    struct life *l = life_of(w, pod);
    if (l->phase == DOWN) {
        log_pod(l, "pod-stop", "already down: nothing to kill");
        return;
    }
    stop(l, 1, "killed (SIGKILL)");
    FL_ASSERT(l->phase == DOWN && !sim_timer_armed(&l->sigterm));
    withdraw(l);
    if (restart_after_ns >= 0) sim_timer_arm(&w->k, &l->start, sim_now(&w->k) + restart_after_ns);
}

void sim_pod_restart(struct sim_world *w, uint32_t pod, sim_pod_done_fn done, void *arg)
{
    struct life *l = life_of(w, pod);
    if (l->phase != RUNNING) {
        log_pod(l, "pod-terminating", "not running: left alone");
        if (done) done(w, pod, arg);
        return;
    }
    const struct sim_kube_cfg *kc = &w->sc->kube;
    l->phase = TERMINATING;
    l->done = done;
    l->arg = arg;
    char e[32], p[32], g[32], detail[200];
    snprintf(detail, sizeof detail,
             "deleted: endpoints withdraw it in %s, SIGTERM in %s, SIGKILL in %s",
             fl_format_duration(kc->endpoint_delay_ns, e, sizeof e),
             fl_format_duration(kc->prestop_ns, p, sizeof p),
             fl_format_duration(kc->grace_ns, g, sizeof g));
    log_pod(l, "pod-terminating", detail);
    withdraw(l);
    int64_t now = sim_now(&w->k);
    sim_timer_arm(&w->k, &l->sigterm, now + kc->prestop_ns);
    sim_timer_arm(&w->k, &l->grace, now + kc->grace_ns);
    FL_ASSERT(l->phase == TERMINATING && sim_timer_armed(&l->grace));
}

static void rollout_next(struct sim_world *w, uint32_t pod, void *arg);

/* Starts restarts until `parallel` are under way or every pod has had its turn. */
static void rollout_fill(struct rollout *r)
{
    struct sim_world *w = r->w;
    const struct sim_service *svc = &w->services[r->service];
    while (r->in_flight < r->parallel && r->next < svc->n_pods) {
        r->in_flight++;
        sim_pod_restart(w, svc->first_pod + r->next++, rollout_next, r);
    }
    if (r->in_flight == 0 && r->next == svc->n_pods) {
        r->next++; /* logged once */
        sim_log_add(&w->log, sim_now(&w->k), "rollout", w->sc->services[r->service].name,
                    "%s: every pod replaced", r->name);
    }
    FL_ASSERT(r->in_flight <= r->parallel && r->next <= svc->n_pods + 1);
}

static void rollout_next(struct sim_world *w, uint32_t pod, void *arg)
{
    struct rollout *r = arg;
    (void)w;
    (void)pod;
    FL_ASSERT(r->in_flight > 0);
    r->in_flight--;
    rollout_fill(r);
}

void sim_pods_rollout(struct sim_world *w, uint32_t service, uint32_t parallel, const char *name)
{
    FL_ASSERT(service < w->sc->n_services && parallel >= 1);
    life_of(w, w->services[service].first_pod);
    struct sim_lives *ls = w->lives;
    ls->rollouts = fl_realloc(ls->rollouts, (ls->n_rollouts + 1) * sizeof *ls->rollouts);
    struct rollout *r = fl_calloc(1, sizeof *r);
    ls->rollouts[ls->n_rollouts++] = r;
    r->w = w;
    r->service = service;
    r->parallel = parallel;
    r->name = fl_strdup(name);
    rollout_fill(r);
}

void sim_pods_free(struct sim_world *w)
{
    struct sim_lives *ls = w->lives;
    if (!ls) return;
    for (uint32_t i = 0; i < w->n_pods; i++) {
        struct life *l = &ls->v[i];
        struct sim_timer *ts[] = {&l->sigterm, &l->poll,   &l->grace, &l->start,
                                  &l->ready,   &l->ep_out, &l->ep_in};
        for (size_t t = 0; t < sizeof ts / sizeof *ts; t++) sim_timer_cancel(&w->k, ts[t]);
    }
    for (size_t i = 0; i < ls->n_rollouts; i++) {
        free(ls->rollouts[i]->name);
        free(ls->rollouts[i]);
    }
    free(ls->rollouts);
    free(ls->v);
    free(ls);
    w->lives = NULL;
}
