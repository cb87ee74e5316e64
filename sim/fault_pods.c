/*
 * fault_pods.c - the pod lifecycle faults:
 *
 *  kill: {pod: P} or {service: S[, version: V]} (one of its pods, chosen
 *    from the seed): the pod's process dies (SIGKILL, an OOM kill, a
 *    crash). With `restart_after: D` on the fault item, a replacement
 *    starts D later. The fault lasts until the replacement is Ready
 *    (restart_after + kubernetes.readiness_delay; without restart_after,
 *    to the end of the run): it has no `for`. Exclusive: two kills of one
 *    pod that overlap are an error.
 *  restart: {pod: P} or {service: S[, version: V]}: the pod deleted
 *    gracefully (SIGTERM) and replaced (kubectl delete pod).
 *  rollout: {service: S, max_unavailable: 25%, max_surge: 25%}: every pod
 *    of the service restarted as above, `parallel` at a time (kubectl
 *    rollout restart). Kubernetes' defaults and rounding (Deployment
 *    strategy.rollingUpdate: maxUnavailable rounds down, maxSurge up, not
 *    both 0). A replacement takes its old pod's place (same name), so
 *    surge adds no capacity here: max_unavailable pods are replaced at a
 *    time, one at a time when it is 0.
 *
 * The mechanism is sim/pods.c; the timings are `kubernetes:`. None of the
 * three can be drawn by the chaos monkey (their `for` is not theirs to
 * choose). Ambient mode is refused: its ztunnels pick pods on their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/units.h"
#include "sim/load_internal.h"
#include "sim/pods.h"
#include "sim/world.h"

struct kill_params {
    int64_t restart_after_ns; /* -1: no replacement */
};

struct rollout_params {
    int unavailable, surge; /* as resolved against the replicas */
    uint32_t parallel;      /* pods replaced at a time */
};

/* ---- loading */

static int no_for(struct fl_ydoc *d, const yaml_node_t *item, const char *why)
{
    if (!fl_y_get(d, item, "for")) return 0;
    return fl_y_error(d, fl_y_get_key(d, item, "for"), "%s", why);
}

static int not_ambient(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                       const char *kind)
{
    if (sc->mesh_mode != SIM_MESH_AMBIENT) return 0;
    return fl_y_error(d, n,
                      "%s faults are not modelled in ambient mode (ztunnels pick pods on "
                      "their own)",
                      kind);
}

/* A pod target: the pod given, or one of the target's pods chosen from the seed. */
static int load_pod_target(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                           struct sim_fault *f, const char *kind)
{
    static const char *const keys[] = {"service", "version", "pod", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, kind)) return -1;
    if (not_ambient(d, n, sc, kind)) return -1;
    if (sim_fault_load_target(d, n, sc, &f->target)) return -1;
    if (f->target.pod >= 0) return 0;
    const struct sim_service_cfg *s = &sc->services[f->target.service];
    int cands[4096], n_c = 0;
    for (int p = 0, v = 0, i = 0; v < (int)s->n_versions; v++)
        for (int r = 0; r < s->versions[v].replicas; r++, p++, i++)
            if ((f->target.version < 0 || f->target.version == v) && n_c < 4096) cands[n_c++] = p;
    FL_ASSERT(n_c > 0);
    struct fl_rng rng;
    fl_rng_derive(&rng, sc->seed, f->name);
    f->target.pod = cands[fl_rng_below(&rng, (uint64_t)n_c)];
    return 0;
}

static int kill_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                     const struct sim_scenario *sc, struct sim_fault *f)
{
    if (no_for(d, item,
               "a kill has no `for`: it lasts until its replacement is Ready (restart_after + "
               "kubernetes.readiness_delay), or to the end of the run without restart_after"))
        return -1;
    if (load_pod_target(d, n, sc, f, "kill")) return -1;
    struct kill_params *p = f->params;
    p->restart_after_ns = -1;
    yaml_node_t *x = fl_y_get(d, item, "restart_after");
    if (x && fl_y_duration(d, x, "restart_after", 0, SIM_DURATION_MAX, &p->restart_after_ns))
        return -1;
    if (x) f->for_ns = p->restart_after_ns + sc->kube.readiness_delay_ns;
    if (f->for_ns == 0 && x) f->for_ns = 1; /* restarted and Ready at once: a 1 ns outage */
    return 0;
}

static int restart_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                        const struct sim_scenario *sc, struct sim_fault *f)
{
    if (no_for(d, item,
               "a restart has no `for`: it lasts until the pod is replaced (the run's end bounds "
               "it)"))
        return -1;
    return load_pod_target(d, n, sc, f, "restart");
}

/* max_unavailable / max_surge: a count, or a percent of the replicas rounded down (up: surge). */
static int load_share(struct fl_ydoc *d, const yaml_node_t *x, const char *what, int replicas,
                      int round_up, int *out)
{
    const char *s = fl_y_str(x);
    size_t len = s ? strlen(s) : 0;
    if (len > 1 && s[len - 1] == '%') {
        char *end;
        long pct = strtol(s, &end, 10);
        if (end != s + len - 1 || pct < 0 || pct > 100)
            return fl_y_error(d, x, "%s: '%s' is not a percent from 0%% to 100%%", what, s);
        *out = (int)((pct * replicas + (round_up ? 99 : 0)) / 100);
        return 0;
    }
    long long v;
    if (fl_y_int(d, x, what, 0, 100000, &v)) return -1;
    *out = (int)v;
    return 0;
}

static int rollout_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                        const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"service", "max_unavailable", "max_surge", NULL};
    static const char *const required[] = {"service", NULL};
    if (no_for(d, item, "a rollout has no `for`: it lasts until every pod is replaced")) return -1;
    if (fl_y_check_keys(d, n, keys, required, "rollout")) return -1;
    if (not_ambient(d, n, sc, "rollout")) return -1;
    if (sim_fault_load_target(d, n, sc, &f->target)) return -1;
    int replicas = sim_service_pods(&sc->services[f->target.service]);
    struct rollout_params *p = f->params;
    yaml_node_t *u = fl_y_get(d, n, "max_unavailable"), *s = fl_y_get(d, n, "max_surge");
    p->unavailable = replicas / 4; /* Kubernetes' default 25%, rounded down */
    p->surge = (replicas + 3) / 4; /* 25%, rounded up */
    if (u && load_share(d, u, "max_unavailable", replicas, 0, &p->unavailable)) return -1;
    if (s && load_share(d, s, "max_surge", replicas, 1, &p->surge)) return -1;
    if (!p->unavailable && !p->surge)
        return fl_y_error(d,
                          u   ? u
                          : s ? s
                              : n,
                          "max_unavailable and max_surge are both 0 for %d replicas: the "
                          "rollout could never start (Kubernetes refuses it)",
                          replicas);
    p->parallel = (uint32_t)(p->unavailable > 0 ? p->unavailable : 1);
    if (p->parallel > (uint32_t)replicas) p->parallel = (uint32_t)replicas;
    return 0;
}

/* ---- the event log */

static void kill_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct kill_params *p = f->params;
    char d[32];
    if (p->restart_after_ns < 0)
        snprintf(buf, size, "SIGKILL, no replacement");
    else
        snprintf(buf, size, "SIGKILL, replacement after %s",
                 fl_format_duration(p->restart_after_ns, d, sizeof d));
}

static void restart_describe(const struct sim_fault *f, char *buf, size_t size)
{
    (void)f;
    snprintf(buf, size, "graceful (SIGTERM), then a replacement");
}

static void rollout_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct rollout_params *p = f->params;
    snprintf(buf, size, "max_unavailable %d, max_surge %d: %u pod%s at a time", p->unavailable,
             p->surge, p->parallel, p->parallel == 1 ? "" : "s");
}

/* ---- running */

static uint32_t world_pod(const struct sim_world *w, const struct sim_fault *f)
{
    FL_ASSERT(f->target.service >= 0 && f->target.pod >= 0);
    const struct sim_service *s = &w->services[f->target.service];
    FL_ASSERT((uint32_t)f->target.pod < s->n_pods);
    return s->first_pod + (uint32_t)f->target.pod;
}

static void kill_start(struct sim_world *w, const struct sim_fault *f)
{
    sim_pod_kill(w, world_pod(w, f), ((const struct kill_params *)f->params)->restart_after_ns);
}

static void restart_start(struct sim_world *w, const struct sim_fault *f)
{
    sim_pod_restart(w, world_pod(w, f), NULL, NULL);
}

static void rollout_start(struct sim_world *w, const struct sim_fault *f)
{
    const struct rollout_params *p = f->params;
    sim_pods_rollout(w, (uint32_t)f->target.service, p->parallel, f->name);
}

/* The pod's lifecycle goes on by itself (sim/pods.c): the fault's end changes nothing. */
static void lifecycle_stop(struct sim_world *w, const struct sim_fault *f)
{
    (void)w;
    (void)f;
}

static const char *const kill_extra[] = {"restart_after", NULL};

const struct sim_fault_kind sim_fault_kill = {
    .name = "kill",
    .params_size = sizeof(struct kill_params),
    .exclusive = 1,
    .extra_keys = kill_extra,
    .load = kill_load,
    .describe = kill_describe,
    .start = kill_start,
    .stop = lifecycle_stop,
};

const struct sim_fault_kind sim_fault_restart = {
    .name = "restart",
    .params_size = 1,
    .load = restart_load,
    .describe = restart_describe,
    .start = restart_start,
    .stop = lifecycle_stop,
};

const struct sim_fault_kind sim_fault_rollout = {
    .name = "rollout",
    .params_size = sizeof(struct rollout_params),
    .load = rollout_load,
    .describe = rollout_describe,
    .start = rollout_start,
    .stop = lifecycle_stop,
};
