/*
 * load_stages.c - when a workload sends: `start` and `stop` (offsets from
 * the run's start), and for open-loop workloads `stages` instead of `rate`:
 *   stages: [{for: 30s, rate: 100/s}, {for: 10s, rate: 2000/s}]
 * each stage ramps linearly from the previous target (0 before the first)
 * to its own over `for`, as k6's stages do; stages count from `start`.
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

#define SIM_STAGES_MAX 1000

static int load_stage(struct fl_ydoc *d, const yaml_node_t *n, struct sim_stage *st)
{
    static const char *const keys[] = {"for", "rate", NULL};
    if (fl_y_want_map(d, n, "a stage")) return -1;
    if (fl_y_check_keys(d, n, keys, keys, "stage")) return -1;
    if (fl_y_duration(d, fl_y_get(d, n, "for"), "stage for", 1, SIM_DURATION_MAX, &st->for_ns))
        return -1;
    yaml_node_t *r = fl_y_get(d, n, "rate");
    const char *s;
    if (fl_y_want_scalar(d, r, "stage rate")) return -1;
    s = fl_y_str(r);
    if (s[0] == '0' && (!s[1] || s[1] == '/')) { /* a ramp down to nothing */
        st->rate_per_s = 0;
        return 0;
    }
    return fl_y_rate(d, r, "stage rate", SIM_RATE_MAX, &st->rate_per_s);
}

int sim_load_schedule(struct fl_ydoc *d, const yaml_node_t *n, struct sim_workload_cfg *w)
{
    FL_ASSERT(w->name != NULL && !w->stages);
    yaml_node_t *x, *start = fl_y_get(d, n, "start"), *stop = fl_y_get(d, n, "stop");
    if (start && fl_y_duration(d, start, "start", 0, SIM_DURATION_MAX, &w->start_ns)) return -1;
    if (stop && fl_y_duration(d, stop, "stop", 1, SIM_DURATION_MAX, &w->stop_ns)) return -1;
    if (stop && w->stop_ns <= w->start_ns)
        return fl_y_error(d, stop, "workload '%s' stops before it starts", w->name);
    if (!(x = fl_y_get(d, n, "stages"))) return 0;
    if (fl_y_want_seq(d, x, "stages")) return -1;
    if (SEQ_COUNT(x) == 0 || SEQ_COUNT(x) > SIM_STAGES_MAX)
        return fl_y_error(d, x, "stages lists 1 to %d stages", SIM_STAGES_MAX);
    w->stages = fl_calloc(SEQ_COUNT(x), sizeof *w->stages);
    w->n_stages = SEQ_COUNT(x);
    double peak = 0;
    for (size_t i = 0; i < w->n_stages; i++) {
        if (load_stage(d, fl_y_node(d, SEQ_ITEMS(x)[i]), &w->stages[i])) return -1;
        if (w->stages[i].rate_per_s > peak) peak = w->stages[i].rate_per_s;
    }
    if (peak <= 0) return fl_y_error(d, x, "every stage has rate 0: no request would be sent");
    w->rate_per_s = peak; /* what reports and checks that want one rate see */
    return 0;
}
