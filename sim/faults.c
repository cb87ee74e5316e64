/*
 * faults.c - the fault scheduler (faults.h).
 *
 * Every fault has two kernel timers, start and end. Faults with `at` have
 * their start armed when the run begins, in schedule order (the file's,
 * then the monkey's), so faults due at one instant start in that order
 * (the kernel runs same-instant timers in the order they were armed).
 * At one instant, faults due to end then end before any starts (so that
 * back-to-back windows [at, at + for) never overlap). A trigger fires once: it arms the start
 * `delay` after (at the same instant when there is no delay: the fault then starts right after the
 * event that fired it, so the Nth request itself is not affected), and
 * `for` counts from the start. A fault without `for` lasts to the end of
 * the run and has no end entry in the log.
 *
 * Not here: what a kind does (the kinds' files), the monkey's draws
 * (monkey.c), the log's format (log.c).
 */
#include "sim/faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "sim/monkey.h"
#include "sim/world.h"

/* "slow#1: slow factor 5, for 10s" (and who drew it). */
static void describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct sim_fault_kind *k = sim_fault_kind(f->kind);
    char params[128], dur[32] = "the rest of the run";
    k->describe(f, params, sizeof params);
    if (f->for_ns) fl_format_duration(f->for_ns, dur, sizeof dur);
    snprintf(buf, size, "%s: %s %s, for %s%s", f->name, k->name, params, dur,
             f->from_monkey ? " (chaos monkey)" : "");
}

static void fault_end(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_fault_run *r = t->data;
    struct sim_world *w = r->w;
    FL_ASSERT(r->state == SIM_FAULT_ACTIVE);
    r->state = SIM_FAULT_DONE;
    r->ended_ns = sim_now(k);
    sim_fault_kind(r->f->kind)->stop(w, r->f);
    char target[160];
    sim_fault_subject(w->sc, r->f, target, sizeof target);
    sim_log_add(&w->log, sim_now(k), "fault-end", target, "%s: %s", r->f->name,
                sim_fault_kind(r->f->kind)->name);
}

/* Ends the faults due to end now whose end has not run yet: ends come before starts. */
static void end_due(struct sim_world *w)
{
    for (size_t i = 0; i < w->faults.n; i++) {
        struct sim_fault_run *r = &w->faults.v[i];
        if (r->state != SIM_FAULT_ACTIVE || !sim_timer_armed(&r->end)) continue;
        if (r->end.at_ns != sim_now(&w->k)) continue;
        sim_timer_cancel(&w->k, &r->end);
        fault_end(&w->k, &r->end);
    }
}

static void fault_start(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_fault_run *r = t->data;
    struct sim_world *w = r->w;
    FL_ASSERT(r->state == SIM_FAULT_WAITING || r->state == SIM_FAULT_PENDING);
    end_due(w);
    r->state = SIM_FAULT_ACTIVE;
    r->started_ns = sim_now(k);
    sim_fault_kind(r->f->kind)->start(w, r->f);
    char target[160], detail[320];
    sim_fault_subject(w->sc, r->f, target, sizeof target);
    describe(r->f, detail, sizeof detail);
    sim_log_add(&w->log, sim_now(k), "fault-start", target, "%s", detail);
    if (r->f->for_ns) sim_timer_arm(k, &r->end, sim_now(k) + r->f->for_ns);
}

/* A trigger fired: the fault starts after the trigger's delay. */
static void fire(struct sim_world *w, struct sim_fault_run *r, const char *why)
{
    FL_ASSERT(r->state == SIM_FAULT_WAITING && r->f->when.kind != SIM_TRIGGER_AT);
    r->state = SIM_FAULT_PENDING;
    if (r->f->when.kind == SIM_TRIGGER_REQUESTS || r->f->when.kind == SIM_TRIGGER_MATCH)
        w->faults.waiting_requests--;
    else
        w->faults.waiting_events--;
    sim_log_add(&w->log, sim_now(&w->k), "trigger", r->f->name, "%s", why);
    sim_timer_arm(&w->k, &r->start, sim_now(&w->k) + r->f->when.delay_ns);
}

static void add_run(struct sim_world *w, const struct sim_fault *f)
{
    struct sim_fault_run *r = &w->faults.v[w->faults.n++];
    r->f = f;
    r->w = w;
    r->state = SIM_FAULT_WAITING;
    sim_timer_init(&r->start, fault_start, r);
    sim_timer_init(&r->end, fault_end, r);
    switch (f->when.kind) {
    case SIM_TRIGGER_AT: sim_timer_arm(&w->k, &r->start, f->when.at_ns); break;
    case SIM_TRIGGER_REQUESTS:
    case SIM_TRIGGER_MATCH: w->faults.waiting_requests++; break;
    case SIM_TRIGGER_EJECTED:
    case SIM_TRIGGER_OVERFLOW: w->faults.waiting_events++; break;
    }
}

void sim_faults_init(struct sim_world *w)
{
    const struct sim_scenario *sc = w->sc;
    struct sim_faults *fs = &w->faults;
    memset(fs, 0, sizeof *fs);
    fs->n_drawn = sim_monkey_draw(sc, &fs->drawn);
    size_t total = sc->n_faults + fs->n_drawn;
    fs->v = fl_calloc(total ? total : 1, sizeof *fs->v);
    for (size_t i = 0; i < sc->n_faults; i++) add_run(w, &sc->faults[i]);
    for (size_t i = 0; i < fs->n_drawn; i++) add_run(w, &fs->drawn[i]);
    FL_ASSERT(fs->n == total);
}

void sim_faults_free(struct sim_world *w)
{
    struct sim_faults *fs = &w->faults;
    for (size_t i = 0; i < fs->n; i++) {
        sim_timer_cancel(&w->k, &fs->v[i].start);
        sim_timer_cancel(&w->k, &fs->v[i].end);
    }
    free(fs->v);
    for (size_t i = 0; i < fs->n_drawn; i++) sim_fault_free(&fs->drawn[i]);
    free(fs->drawn);
    memset(fs, 0, sizeof *fs);
}

static int matches(const struct sim_trigger *t, uint32_t service, const struct px_msg *m)
{
    if (t->service >= 0 && (uint32_t)t->service != service) return 0;
    if (t->path && (!m->path || strcmp(t->path, m->path))) return 0;
    for (size_t i = 0; i < t->n_headers; i++) {
        const char *v = px_msg_header(m, t->headers[i].name);
        if (!v || strcmp(v, t->headers[i].value)) return 0;
    }
    return 1;
}

void sim_faults_on_request(struct sim_world *w, uint32_t pod, const struct px_msg *m)
{
    struct sim_faults *fs = &w->faults;
    if (!fs->waiting_requests) return;
    FL_ASSERT(pod < w->n_pods);
    uint32_t service = w->pods[pod].service;
    for (size_t i = 0; i < fs->n && fs->waiting_requests; i++) {
        struct sim_fault_run *r = &fs->v[i];
        const struct sim_trigger *t = &r->f->when;
        if (r->state != SIM_FAULT_WAITING) continue;
        char why[256];
        if (t->kind == SIM_TRIGGER_REQUESTS && (uint32_t)t->service == service) {
            if (++r->seen < t->nth) continue;
            snprintf(why, sizeof why, "request %llu arrived at %s (pod %s)",
                     (unsigned long long)t->nth, w->sc->services[service].name,
                     w->nodes[w->pods[pod].node].name);
            fire(w, r, why);
        } else if (t->kind == SIM_TRIGGER_MATCH && matches(t, service, m)) {
            snprintf(why, sizeof why, "%s %s matched at pod %s", m->method ? m->method : "",
                     m->path ? m->path : "", w->nodes[w->pods[pod].node].name);
            fire(w, r, why);
        }
    }
}

/*
 * The service a proxy's cluster sends to, or -1: through its endpoints' pods, else by name.
 * self: the proxy's own node (an inbound sidecar's endpoint is SIM_NODE_SELF: its pod).
 */
static int cluster_service(const struct sim_world *w, const struct px_proxy_cfg *cfg,
                           const char *cluster, uint32_t self)
{
    for (size_t c = 0; cluster && c < cfg->n_clusters; c++) {
        const struct px_cluster_cfg *cl = &cfg->clusters[c];
        if (strcmp(cl->name, cluster)) continue;
        for (size_t e = 0; e < cl->n_endpoints; e++) {
            uint32_t node = (uint32_t)(cl->endpoints[e].addr >> 16);
            if (node == SIM_NODE_SELF) node = self;
            for (uint32_t p = 0; p < w->n_pods; p++)
                if (w->pods[p].node == node) return (int)w->pods[p].service;
            /* "inventory (via the gateway's sidecar)" */
            for (size_t s = 0; s < w->sc->n_services; s++) {
                size_t len = strlen(w->sc->services[s].name);
                const char *name = cl->endpoints[e].name;
                if (!strncmp(name, w->sc->services[s].name, len) && name[len] == ' ') return (int)s;
            }
        }
    }
    return -1;
}

/* The pod (world index) an endpoint name is, or -1. */
static int pod_named(const struct sim_world *w, const char *name)
{
    for (uint32_t p = 0; name && p < w->n_pods; p++)
        if (!strcmp(w->nodes[w->pods[p].node].name, name)) return (int)p;
    return -1;
}

void sim_faults_on_proxy_event(struct sim_world *w, const struct px_proxy_cfg *cfg, uint32_t node,
                               const struct px_event *e)
{
    struct sim_faults *fs = &w->faults;
    if (!fs->waiting_events) return;
    if (e->kind != PX_EV_EJECT && e->kind != PX_EV_OVERFLOW) return;
    int pod = e->kind == PX_EV_EJECT ? pod_named(w, e->host) : -1;
    int svc = pod >= 0 ? (int)w->pods[pod].service : cluster_service(w, cfg, e->cluster, node);
    if (svc < 0) return;
    for (size_t i = 0; i < fs->n && fs->waiting_events; i++) {
        struct sim_fault_run *r = &fs->v[i];
        const struct sim_trigger *t = &r->f->when;
        if (r->state != SIM_FAULT_WAITING || t->service != svc) continue;
        char why[256];
        if (t->kind == SIM_TRIGGER_EJECTED && e->kind == PX_EV_EJECT && pod >= 0) {
            uint32_t in_svc = (uint32_t)pod - w->services[svc].first_pod;
            if (t->pod >= 0 && (uint32_t)t->pod != in_svc) continue;
            snprintf(why, sizeof why, "%s ejected %s", e->proxy, e->host);
            fire(w, r, why);
        } else if (t->kind == SIM_TRIGGER_OVERFLOW && e->kind == PX_EV_OVERFLOW) {
            snprintf(why, sizeof why, "%s: circuit breaker overflow on %s", e->proxy,
                     e->cluster ? e->cluster : "?");
            fire(w, r, why);
        }
    }
}

void sim_faults_record(struct sim_world *w, int route, int64_t start_ns, int64_t latency_ns,
                       int outcome, uint32_t tries)
{
    struct rpt_run *run = w->run;
    for (size_t i = 0; i < run->n_checks; i++) {
        struct rpt_check *c = &run->checks[i];
        if (!c->window_stats) continue;
        FL_ASSERT(c->window >= 0 && (size_t)c->window < w->sc->n_faults);
        const struct sim_fault_run *r = &w->faults.v[c->window]; /* scenario faults come first */
        if (r->state < SIM_FAULT_ACTIVE || start_ns < r->started_ns) continue;
        if (r->state == SIM_FAULT_DONE && start_ns >= r->ended_ns) continue;
        if (c->scope == RPT_SCOPE_ROUTE && strcmp(c->target, w->sc->routes[route])) continue;
        rpt_stats_record(c->window_stats, latency_ns, outcome, tries);
    }
}

void sim_faults_checks_done(struct sim_world *w)
{
    struct rpt_run *run = w->run;
    for (size_t i = 0; i < run->n_checks; i++) {
        struct rpt_check *c = &run->checks[i];
        c->end_ns = w->sc->duration_ns;
        if (c->after < 0) continue;
        FL_ASSERT((size_t)c->after < w->sc->n_faults);
        const struct sim_fault_run *r = &w->faults.v[c->after]; /* scenario faults come first */
        c->fault_end_ns = r->state == SIM_FAULT_DONE ? r->ended_ns : -1;
    }
}

size_t sim_faults_active_on(struct sim_world *w, enum sim_fault_kind_id kind, uint32_t pod,
                            const struct sim_fault **out, size_t max)
{
    FL_ASSERT(pod < w->n_pods);
    const struct sim_pod *p = &w->pods[pod];
    int in_svc = (int)(pod - w->services[p->service].first_pod);
    size_t n = 0;
    for (size_t i = 0; i < w->faults.n && n < max; i++) {
        const struct sim_fault_run *r = &w->faults.v[i];
        if (r->state != SIM_FAULT_ACTIVE || r->f->kind != kind) continue;
        if (r->f->target.service != (int)p->service) continue; /* -1 (not pods) never matches */
        if (sim_fault_target_has(&r->f->target, (int)p->version, in_svc)) out[n++] = r->f;
    }
    return n;
}
