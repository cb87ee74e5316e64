/*
 * fault_reset.c - the `reset` fault: a share of the responses of the
 * target's pods never leave; the app resets the connection instead (an
 * RST, as a crashing worker or a proxy killing the stream would). The
 * caller sees its connection reset before any response header: a client
 * counts a reset, and an Envoy in front reports it as a 503 "upstream
 * connect error or disconnect/reset before headers. reset reason:
 * connection termination" with response flag UC (Envoy docs: access log
 * response flags, UC: upstream connection termination), which its retry
 * policy may retry (retry_on `reset`; Istio's default policy retries
 * 503s: istiod's DefaultPolicy). The work is done all the same: the
 * pod counts the request.
 *
 * The rate is checked once per response, from the pod's fault stream
 * (pod->fault_rng); several active reset faults on one pod combine as
 * independent draws (1 - product of (1 - rate)), as `errors` do.
 */
#include <stdio.h>

#include "base/assert.h"
#include "sim/faults.h"
#include "sim/load_internal.h"
#include "sim/world.h"

struct reset_params {
    double rate;
};

static int reset_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                      const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"service", "version", "pod", "rate", NULL};
    static const char *const required[] = {"rate", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "reset")) return -1;
    if (sim_fault_load_target(d, n, sc, &f->target)) return -1;
    FL_ASSERT(d && n && sc && f->params);
    struct reset_params *p = f->params;
    yaml_node_t *rate = fl_y_get(d, n, "rate");
    if (fl_y_fraction(d, rate, "reset.rate", &p->rate)) return -1;
    if (p->rate <= 0) return fl_y_error(d, rate, "reset.rate must be above 0");
    return 0;
}

static void reset_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct reset_params *p = f->params;
    snprintf(buf, size, "rate %g%%", p->rate * 100);
}

/* The monkey: 5%, 10% ... 50% */
static void reset_draw(struct fl_rng *rng, const struct sim_scenario *sc, struct sim_fault *f)
{
    (void)sc;
    struct reset_params *p = f->params;
    p->rate = (double)(1 + fl_rng_below(rng, 10)) * 0.05;
}

static void reset_change(struct sim_world *w, const struct sim_fault *f)
{
    FL_ASSERT(f->target.service >= 0 && (size_t)f->target.service < w->sc->n_services);
    const struct sim_service *svc = &w->services[f->target.service];
    for (uint32_t i = 0; i < svc->n_pods; i++) {
        struct sim_pod *pod = &w->pods[svc->first_pod + i];
        if (!sim_fault_target_has(&f->target, (int)pod->version, (int)i)) continue;
        const struct sim_fault *act[SIM_ACTIVE_MAX];
        size_t n =
            sim_faults_active_on(w, SIM_FAULT_RESET, svc->first_pod + i, act, SIM_ACTIVE_MAX);
        double pass = 1.0;
        for (size_t a = 0; a < n; a++)
            pass *= 1.0 - ((const struct reset_params *)act[a]->params)->rate;
        pod->fault_reset_rate = 1.0 - pass;
        FL_ASSERT(pod->fault_reset_rate >= 0 && pod->fault_reset_rate <= 1);
    }
}

const struct sim_fault_kind sim_fault_reset = {
    .name = "reset",
    .params_size = sizeof(struct reset_params),
    .load = reset_load,
    .describe = reset_describe,
    .draw = reset_draw,
    .start = reset_change,
    .stop = reset_change,
};
