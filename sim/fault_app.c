/*
 * fault_app.c - the application faults: `slow` (the pod's service time
 * multiplied by a factor: CPU starvation, a noisy neighbour, a GC storm)
 * and `errors` (a share of the requests answered at once with a 5xx
 * status, without doing the work: a broken dependency the app fails fast
 * on, a bad deploy).
 *
 * Both act on the pods of the target through two fields of struct
 * sim_pod that the application reads (sim/app.c): fault_slow, by which it
 * multiplies every service time drawn while the fault is active (work
 * already under way keeps its time), and fault_error_rate / _status,
 * checked when a request arrives, before it queues. When several faults
 * of a kind are active on one pod (triggers and the monkey can overlap
 * them), factors multiply, and error rates combine as independent draws
 * (1 - product of (1 - rate)) answered with the status of the first in
 * schedule order.
 *
 * Not here: network faults, pod kills.
 */
#include <stdio.h>

#include "base/assert.h"
#include "sim/faults.h"
#include "sim/load_internal.h"
#include "sim/world.h"

#define SLOW_FACTOR_MAX 1000.0

struct slow_params {
    double factor;
};

struct errors_params {
    double rate;
    int status;
};

/* ---- loading */

static int slow_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                     const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"service", "version", "pod", "factor", NULL};
    static const char *const required[] = {"factor", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "slow")) return -1;
    if (sim_fault_load_target(d, n, sc, &f->target)) return -1;
    struct slow_params *p = f->params;
    return fl_y_double(d, fl_y_get(d, n, "factor"), "slow.factor", 1.0, SLOW_FACTOR_MAX,
                       &p->factor);
}

static int errors_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                       const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"service", "version", "pod", "rate", "status", NULL};
    static const char *const required[] = {"rate", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "errors")) return -1;
    if (sim_fault_load_target(d, n, sc, &f->target)) return -1;
    struct errors_params *p = f->params;
    yaml_node_t *rate = fl_y_get(d, n, "rate"), *st = fl_y_get(d, n, "status");
    if (fl_y_fraction(d, rate, "errors.rate", &p->rate)) return -1;
    if (p->rate <= 0) return fl_y_error(d, rate, "errors.rate must be above 0");
    long long status = 503;
    if (st && fl_y_int(d, st, "errors.status (a 5xx)", 500, 599, &status)) return -1;
    p->status = (int)status;
    return 0;
}

/* ---- the event log */

static void slow_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct slow_params *p = f->params;
    snprintf(buf, size, "factor %g", p->factor);
}

static void errors_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct errors_params *p = f->params;
    snprintf(buf, size, "rate %g%% status %d", p->rate * 100, p->status);
}

/* ---- the chaos monkey: a factor in [2, 10], a rate in [10%, 100%] */

static void slow_draw(struct fl_rng *rng, const struct sim_scenario *sc, struct sim_fault *f)
{
    (void)sc;
    struct slow_params *p = f->params;
    p->factor = (double)(2 + fl_rng_below(rng, 9));
}

static void errors_draw(struct fl_rng *rng, const struct sim_scenario *sc, struct sim_fault *f)
{
    (void)sc;
    struct errors_params *p = f->params;
    p->rate = (double)(1 + fl_rng_below(rng, 10)) / 10.0;
    p->status = 503;
}

/* ---- running: recompute the fields of every pod the fault covers from what is active on it */

/* Calls fn on every pod of the fault's target with the active faults of its kind there. */
static void each_pod(struct sim_world *w, const struct sim_fault *f,
                     void (*fn)(struct sim_pod *pod, const struct sim_fault *const *act, size_t n))
{
    FL_ASSERT(f->target.service >= 0 && (size_t)f->target.service < w->sc->n_services);
    const struct sim_service *svc = &w->services[f->target.service];
    for (uint32_t i = 0; i < svc->n_pods; i++) {
        struct sim_pod *pod = &w->pods[svc->first_pod + i];
        if (!sim_fault_target_has(&f->target, (int)pod->version, (int)i)) continue;
        const struct sim_fault *act[SIM_ACTIVE_MAX];
        size_t n = sim_faults_active_on(w, f->kind, svc->first_pod + i, act, SIM_ACTIVE_MAX);
        fn(pod, act, n);
    }
}

static void slow_apply(struct sim_pod *pod, const struct sim_fault *const *act, size_t n)
{
    pod->fault_slow = 1.0;
    for (size_t a = 0; a < n; a++) {
        FL_ASSERT(act[a]->kind == SIM_FAULT_SLOW);
        pod->fault_slow *= ((const struct slow_params *)act[a]->params)->factor;
    }
    FL_ASSERT(pod->fault_slow >= 1.0);
}

static void errors_apply(struct sim_pod *pod, const struct sim_fault *const *act, size_t n)
{
    double pass = 1.0;
    pod->fault_error_status = 0;
    for (size_t a = 0; a < n; a++) {
        FL_ASSERT(act[a]->kind == SIM_FAULT_ERRORS);
        const struct errors_params *p = act[a]->params;
        pass *= 1.0 - p->rate;
        if (!pod->fault_error_status) pod->fault_error_status = p->status;
    }
    pod->fault_error_rate = 1.0 - pass;
    FL_ASSERT(pod->fault_error_rate >= 0 && pod->fault_error_rate <= 1);
}

static void slow_change(struct sim_world *w, const struct sim_fault *f)
{
    each_pod(w, f, slow_apply);
}

static void errors_change(struct sim_world *w, const struct sim_fault *f)
{
    each_pod(w, f, errors_apply);
}

const struct sim_fault_kind sim_fault_slow = {
    .name = "slow",
    .params_size = sizeof(struct slow_params),
    .exclusive = 1,
    .load = slow_load,
    .describe = slow_describe,
    .draw = slow_draw,
    .start = slow_change,
    .stop = slow_change,
};

const struct sim_fault_kind sim_fault_errors = {
    .name = "errors",
    .params_size = sizeof(struct errors_params),
    .exclusive = 1,
    .load = errors_load,
    .describe = errors_describe,
    .draw = errors_draw,
    .start = errors_change,
    .stop = errors_change,
};
