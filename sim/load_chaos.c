/*
 * load_chaos.c - reads the `chaos:` section: `monkey: {rate, kinds,
 * targets, duration, start, stop}`. rate is required (faults started per
 * unit of time); kinds defaults to every kind the monkey can draw, targets
 * to every service, duration (each fault's `for`: a duration or a
 * distribution) to 10s, start to 0 and stop to the run's duration.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

static int load_kinds(struct fl_ydoc *d, const yaml_node_t *n, struct sim_monkey_cfg *m)
{
    const char *const *names = sim_fault_kind_names();
    if (!n) {
        for (int k = 0; names[k]; k++)
            if (sim_fault_kind((enum sim_fault_kind_id)k)->draw) m->kinds[m->n_kinds++] = k;
        return 0;
    }
    if (fl_y_want_seq(d, n, "kinds")) return -1;
    if (SEQ_COUNT(n) == 0) return fl_y_error(d, n, "kinds: name at least one kind of fault");
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *x = fl_y_node(d, SEQ_ITEMS(n)[i]);
        int k;
        if (fl_y_enum(d, x, "kind of fault", names, &k)) return -1;
        if (!sim_fault_kind((enum sim_fault_kind_id)k)->draw)
            return fl_y_error(d, x, "the chaos monkey cannot draw '%s' faults yet", names[k]);
        for (size_t j = 0; j < m->n_kinds; j++)
            if (m->kinds[j] == k) return fl_y_error(d, x, "kind '%s' is listed twice", names[k]);
        FL_ASSERT(m->n_kinds < SIM_FAULT_KINDS);
        m->kinds[m->n_kinds++] = k;
    }
    return 0;
}

static int load_targets(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    struct sim_monkey_cfg *m = &s->monkey;
    const char **names = fl_calloc(s->n_services + 1, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) names[i] = s->services[i].name;
    int rc = 0;
    if (!n) {
        m->n_targets = s->n_services;
        m->targets = fl_calloc(s->n_services, sizeof *m->targets);
        for (size_t i = 0; i < s->n_services; i++) m->targets[i] = (int)i;
    } else if (!(rc = fl_y_want_seq(d, n, "targets"))) {
        if (SEQ_COUNT(n) == 0) rc = fl_y_error(d, n, "targets: name at least one service");
        m->targets = fl_calloc(SEQ_COUNT(n) ? SEQ_COUNT(n) : 1, sizeof *m->targets);
        for (size_t i = 0; i < SEQ_COUNT(n) && !rc; i++) {
            int svc;
            rc = fl_y_enum(d, fl_y_node(d, SEQ_ITEMS(n)[i]), "target service", names, &svc);
            if (!rc) m->targets[m->n_targets++] = svc;
        }
    }
    free(names);
    return rc;
}

int sim_load_chaos(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"monkey", NULL};
    static const char *const mkeys[] = {"rate",  "kinds", "targets", "duration",
                                        "start", "stop",  NULL};
    static const char *const required[] = {"rate", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "chaos")) return -1;
    yaml_node_t *mn = fl_y_get(d, n, "monkey"), *x;
    if (!mn) return 0;
    if (fl_y_check_keys(d, mn, mkeys, required, "monkey")) return -1;
    struct sim_monkey_cfg *m = &s->monkey;
    if (fl_y_rate(d, fl_y_get(d, mn, "rate"), "monkey.rate", 1e6, &m->rate_per_s)) return -1;
    if (load_kinds(d, fl_y_get(d, mn, "kinds"), m)) return -1;
    if (load_targets(d, fl_y_get(d, mn, "targets"), s)) return -1;
    const char *why = NULL;
    fl_dist_constant(&m->duration, 10e9, &why);
    if ((x = fl_y_get(d, mn, "duration")) && sim_load_dist(d, x, "monkey.duration", &m->duration))
        return -1;
    m->stop_ns = s->duration_ns;
    if ((x = fl_y_get(d, mn, "start")) &&
        fl_y_duration(d, x, "monkey.start", 0, SIM_DURATION_MAX, &m->start_ns))
        return -1;
    if ((x = fl_y_get(d, mn, "stop")) &&
        fl_y_duration(d, x, "monkey.stop", 1, SIM_DURATION_MAX, &m->stop_ns))
        return -1;
    if (m->stop_ns > s->duration_ns)
        return fl_y_error(d, x ? x : mn, "monkey.stop is after the end of the run");
    if (m->start_ns >= m->stop_ns)
        return fl_y_error(d, mn, "monkey.start must be before monkey.stop");
    FL_ASSERT(m->n_kinds > 0 && m->n_targets > 0 && m->rate_per_s > 0);
    m->on = 1;
    return 0;
}
