/*
 * load_faults.c - reads the `faults:` section: each item has exactly one
 * kind key (slow, errors, ...: the table of sim/fault.h), `at` (a time) or
 * `when` (a trigger), an optional `for` (default: to the end of the run)
 * and an optional `name`. The kind's own keys are read by the kind.
 *
 * Rejected with the location of the mistake: a fault without a kind or
 * with two; both `at` and `when`, or neither; `at` at or after the run's
 * duration (an error, not a warning: the fault could never act, since the
 * workloads stop sending then); `for` of zero; a duplicate name; a target
 * that does not exist; a trigger that can never fire (requests to a
 * service nothing sends to; an ejection where no outlier detection or
 * passive health check covers the target; an overflow where no proxy sends
 * to the service); two faults of an exclusive kind scheduled with `at`
 * that overlap in time on one pod (triggered faults cannot be checked
 * before the run: the kind composes them when they overlap).
 *
 * Not here: the chaos monkey's settings (load_chaos.c), running faults.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

/* The item's kind key, or NULL with an error. */
static yaml_node_t *kind_key(struct fl_ydoc *d, const yaml_node_t *n, int *kind_out)
{
    yaml_node_t *found = NULL;
    const char *const *names = sim_fault_kind_names();
    for (int k = 0; names[k]; k++) {
        yaml_node_t *key = fl_y_get_key(d, n, names[k]);
        if (!key) continue;
        if (found) {
            fl_y_error(d, key, "a fault has one kind; this one has '%s' and '%s'", fl_y_str(found),
                       names[k]);
            return NULL;
        }
        found = key;
        *kind_out = k;
    }
    if (!found) {
        char list[256] = "";
        for (int k = 0; names[k]; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                     names[k]);
        fl_y_error(d, n, "a fault needs a kind: one of %s", list);
    }
    return found;
}

static int load_service_ref(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                            const char *what, int *out)
{
    const char *name;
    if (fl_y_string(d, n, what, &name)) return -1;
    const char **names = fl_calloc(s->n_services + 1, sizeof *names);
    *out = -1;
    for (size_t i = 0; i < s->n_services; i++) {
        names[i] = s->services[i].name;
        if (!strcmp(names[i], name)) *out = (int)i;
    }
    const char *hint = *out < 0 ? fl_did_you_mean(name, names) : NULL;
    free(names);
    if (*out >= 0) return 0;
    if (hint) return fl_y_error(d, n, "unknown service '%s' (did you mean '%s'?)", name, hint);
    return fl_y_error(d, n, "unknown service '%s'", name);
}

/* ejected: a pod's name, or a service's (any of its pods). */
static int load_ejected(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                        struct sim_trigger *t)
{
    const char *name;
    if (fl_y_string(d, n, "ejected", &name)) return -1;
    for (size_t i = 0; i < s->n_services; i++) {
        if (!strcmp(s->services[i].name, name)) {
            t->service = (int)i;
            t->pod = -1;
            return 0;
        }
    }
    /* a pod: SERVICE-N or SERVICE-VERSION-N; the target loader names and checks it */
    for (size_t i = 0; i < s->n_services; i++) {
        size_t len = strlen(s->services[i].name);
        if (strncmp(name, s->services[i].name, len) || name[len] != '-') continue;
        struct sim_fault_target tg = {(int)i, -1, -1};
        int n_pods = sim_service_pods(&s->services[i]);
        for (int p = 0; p < n_pods && tg.pod < 0; p++) {
            char buf[160];
            struct sim_fault_target one = {(int)i, -1, p};
            if (!strcmp(sim_fault_target_text(s, &one, buf, sizeof buf), name)) tg.pod = p;
        }
        if (tg.pod < 0) continue;
        t->service = (int)i;
        t->pod = tg.pod;
        return 0;
    }
    return fl_y_error(d, n, "ejected: '%s' is neither a service nor a pod of the scenario", name);
}

/* 1 if some workload or call sends to service svc, or a gateway might. */
static int reached(const struct sim_scenario *s, int svc)
{
    if (s->has_gateway) return 1;
    for (size_t i = 0; i < s->n_workloads; i++)
        if (s->workloads[i].target == svc) return 1;
    for (size_t i = 0; i < s->n_services; i++)
        for (size_t v = 0; v < s->services[i].n_versions; v++)
            for (size_t c = 0; c < s->services[i].versions[v].n_calls; c++)
                if (s->services[i].versions[v].calls[c].service == svc) return 1;
    return 0;
}

/* host names service svc: "inventory", "inventory.default.svc.cluster.local", or a pod of it. */
static int host_is(const struct sim_scenario *s, const char *host, int svc)
{
    const char *name = s->services[svc].name;
    size_t len = strlen(name);
    return !strncmp(host, name, len) && (!host[len] || host[len] == '.' || host[len] == '-');
}

/* 1 if outlier detection (Istio) or passive health checks (Kong) may eject pods of svc. */
static int ejections_possible(const struct sim_scenario *s, int svc)
{
    for (size_t i = 0; s->mesh_mode == SIM_MESH_SIDECAR && i < s->istio.n_dr; i++) {
        const struct px_istio_dr *dr = &s->istio.dr[i];
        if (!host_is(s, dr->host, svc)) continue;
        if (dr->policy.has_outlier) return 1;
        for (size_t j = 0; j < dr->n_subsets; j++)
            if (dr->subsets[j].policy.has_outlier) return 1;
    }
    for (size_t i = 0; s->has_gateway && i < s->kong.n_upstreams; i++) {
        const struct px_kong_upstream *u = &s->kong.upstreams[i];
        for (size_t j = 0; u->passive.on && j < u->n_targets; j++)
            if (host_is(s, u->targets[j].host, svc)) return 1;
    }
    return 0;
}

static int load_match(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                      struct sim_trigger *t)
{
    static const char *const keys[] = {"service", "path", "header", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "match")) return -1;
    yaml_node_t *x;
    t->service = -1;
    if ((x = fl_y_get(d, n, "service")) && load_service_ref(d, x, s, "match.service", &t->service))
        return -1;
    const char *path;
    if ((x = fl_y_get(d, n, "path"))) {
        if (sim_load_path(d, x, &path)) return -1;
        t->path = fl_strdup(path);
    }
    if ((x = fl_y_get(d, n, "header")) && sim_load_headers(d, x, &t->headers, &t->n_headers))
        return -1;
    if (!t->path && !t->n_headers && t->service < 0)
        return fl_y_error(d, n, "match needs service, path or header");
    return 0;
}

static int load_when(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                     struct sim_trigger *t)
{
    static const char *const keys[] = {"requests", "service", "ejected", "overflow",
                                       "match",    "delay",   NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "when")) return -1;
    static const char *const triggers[] = {"requests", "ejected", "overflow", "match", NULL};
    static const enum sim_trigger_kind kinds[] = {SIM_TRIGGER_REQUESTS, SIM_TRIGGER_EJECTED,
                                                  SIM_TRIGGER_OVERFLOW, SIM_TRIGGER_MATCH};
    yaml_node_t *which = NULL, *x;
    for (int i = 0; triggers[i]; i++) {
        if (!(x = fl_y_get(d, n, triggers[i]))) continue;
        if (which)
            return fl_y_error(d, fl_y_get_key(d, n, triggers[i]),
                              "a trigger is one of requests, ejected, overflow, match");
        which = x;
        t->kind = kinds[i];
    }
    if (!which) return fl_y_error(d, n, "when needs requests, ejected, overflow or match");
    if ((x = fl_y_get(d, n, "delay")) &&
        fl_y_duration(d, x, "delay", 0, SIM_DURATION_MAX, &t->delay_ns))
        return -1;
    yaml_node_t *svc = fl_y_get(d, n, "service");
    if (svc && t->kind != SIM_TRIGGER_REQUESTS)
        return fl_y_error(d, svc, "'service' goes with 'requests' (match has its own)");
    switch (t->kind) {
    case SIM_TRIGGER_REQUESTS: {
        long long nth;
        if (fl_y_int(d, which, "requests", 1, INT64_MAX, &nth)) return -1;
        t->nth = (uint64_t)nth;
        if (!svc) return fl_y_error(d, n, "requests needs 'service' (requests to which?)");
        if (load_service_ref(d, svc, s, "service", &t->service)) return -1;
        if (!reached(s, t->service))
            return fl_y_error(d, svc,
                              "this trigger can never fire: no workload or call sends to '%s'",
                              s->services[t->service].name);
        return 0;
    }
    case SIM_TRIGGER_EJECTED:
        if (load_ejected(d, which, s, t)) return -1;
        if (!ejections_possible(s, t->service))
            return fl_y_error(d, which,
                              "this trigger can never fire: no outlier detection (Istio "
                              "DestinationRule) or passive health check (Kong upstream) covers "
                              "'%s'",
                              s->services[t->service].name);
        return 0;
    case SIM_TRIGGER_OVERFLOW:
        if (load_service_ref(d, which, s, "overflow", &t->service)) return -1;
        if (!s->has_gateway && s->mesh_mode != SIM_MESH_SIDECAR)
            return fl_y_error(d, which,
                              "this trigger can never fire: no proxy (gateway or sidecar) has a "
                              "circuit breaker towards '%s'",
                              s->services[t->service].name);
        return 0;
    case SIM_TRIGGER_MATCH: return load_match(d, which, s, t);
    case SIM_TRIGGER_AT: break;
    }
    FL_ASSERT(!"unreachable trigger kind");
    return -1;
}

#define EXTRA_KEYS_MAX 8 /* extra item keys per kind */

/* Another kind's extra key (restart_after on a slow fault) is an error. */
static int extra_keys_belong(struct fl_ydoc *d, const yaml_node_t *n, enum sim_fault_kind_id kind)
{
    for (int k = 0; k < SIM_FAULT_KINDS; k++) {
        const char *const *extra = sim_fault_kind((enum sim_fault_kind_id)k)->extra_keys;
        for (size_t e = 0; extra && extra[e]; e++) {
            int mine = 0;
            const char *const *own = sim_fault_kind(kind)->extra_keys;
            for (size_t o = 0; own && own[o] && !mine; o++) mine = !strcmp(own[o], extra[e]);
            if (!mine && fl_y_get(d, n, extra[e]))
                return fl_y_error(d, fl_y_get_key(d, n, extra[e]), "'%s' goes with %s faults",
                                  extra[e], sim_fault_kind((enum sim_fault_kind_id)k)->name);
        }
    }
    return 0;
}

static int load_fault(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s, size_t idx)
{
    FL_ASSERT(idx < s->n_faults);
    if (fl_y_want_map(d, n, "a fault")) return -1;
    /* the common keys, every kind's key, and every kind's extra keys */
    const char *keys[SIM_FAULT_KINDS * (EXTRA_KEYS_MAX + 1) + 5] = {"name", "at", "when", "for"};
    size_t n_keys = 4;
    const char *const *names = sim_fault_kind_names();
    for (int k = 0; names[k]; k++) {
        keys[n_keys++] = names[k];
        const char *const *extra = sim_fault_kind((enum sim_fault_kind_id)k)->extra_keys;
        for (size_t e = 0; extra && extra[e]; e++) {
            FL_ASSERT(e < EXTRA_KEYS_MAX);
            keys[n_keys++] = extra[e];
        }
    }
    if (fl_y_check_keys(d, n, keys, NULL, "fault")) return -1;
    struct sim_fault *f = &s->faults[idx];
    int kind = 0;
    FL_ASSERT(f->params == NULL && f->name == NULL);
    yaml_node_t *key = kind_key(d, n, &kind), *x;
    if (!key) return -1;
    f->kind = (enum sim_fault_kind_id)kind;
    const struct sim_fault_kind *k = sim_fault_kind(f->kind);
    FL_ASSERT(k && k->load && k->start && k->stop && k->describe);
    const char *name = NULL;
    if ((x = fl_y_get(d, n, "name")) && sim_load_name(d, x, "fault name", &name)) return -1;
    for (size_t i = 0; name && i < idx; i++)
        if (!strcmp(s->faults[i].name, name))
            return fl_y_error(d, x, "two faults are called '%s'", name);
    f->name = name ? fl_strdup(name) : fl_asprintf("%s#%zu", k->name, idx + 1);
    yaml_node_t *at = fl_y_get(d, n, "at"), *when = fl_y_get(d, n, "when");
    if (at && when) return fl_y_error(d, when, "a fault starts `at` a time or `when`, not both");
    if (!at && !when) return fl_y_error(d, n, "a fault needs `at` (a time) or `when` (a trigger)");
    if (at) {
        f->when.kind = SIM_TRIGGER_AT;
        if (fl_y_duration(d, at, "at", 0, SIM_DURATION_MAX, &f->when.at_ns)) return -1;
        if (f->when.at_ns >= s->duration_ns)
            return fl_y_error(d, at, "at %s is not before the end of the run (duration %s)",
                              fl_y_str(at), fl_y_str(fl_y_get(d, fl_y_root(d), "duration")));
    } else if (load_when(d, when, s, &f->when)) {
        return -1;
    }
    if ((x = fl_y_get(d, n, "for")) && fl_y_duration(d, x, "for", 1, SIM_DURATION_MAX, &f->for_ns))
        return -1;
    f->params = fl_calloc(1, k->params_size ? k->params_size : 1);
    yaml_node_t *body = fl_y_get(d, n, k->name);
    if (fl_y_want_map(d, body, k->name)) return -1;
    if (k->load(d, body, n, s, f)) return -1;
    return extra_keys_belong(d, n, f->kind);
}

/* The version of pod number p of service svc. */
static int version_of(const struct sim_service_cfg *svc, int p)
{
    for (size_t v = 0; v < svc->n_versions; v++) {
        if (p < svc->versions[v].replicas) return (int)v;
        p -= svc->versions[v].replicas;
    }
    return -1;
}

/* The first pod both targets cover, or -1. */
static int shared_pod(const struct sim_scenario *s, const struct sim_fault_target *a,
                      const struct sim_fault_target *b)
{
    if (a->service < 0 || b->service < 0) return -1; /* not pod targets: the kind checks */
    if (a->service != b->service) return -1;
    const struct sim_service_cfg *svc = &s->services[a->service];
    int n = sim_service_pods(svc);
    for (int p = 0; p < n; p++) {
        int v = version_of(svc, p);
        if (sim_fault_target_has(a, v, p) && sim_fault_target_has(b, v, p)) return p;
    }
    return -1;
}

static int64_t end_of(const struct sim_fault *f)
{
    return f->for_ns ? f->when.at_ns + f->for_ns : INT64_MAX;
}

static int check_overlaps(struct fl_ydoc *d, const yaml_node_t *list, struct sim_scenario *s)
{
    for (size_t j = 0; j < s->n_faults; j++) {
        const struct sim_fault *b = &s->faults[j];
        if (b->when.kind != SIM_TRIGGER_AT || !sim_fault_kind(b->kind)->exclusive) continue;
        for (size_t i = 0; i < j; i++) {
            const struct sim_fault *a = &s->faults[i];
            if (a->kind != b->kind || a->when.kind != SIM_TRIGGER_AT) continue;
            if (a->when.at_ns >= end_of(b) || b->when.at_ns >= end_of(a)) continue;
            int p = shared_pod(s, &a->target, &b->target);
            if (p < 0) continue;
            char pod[160];
            struct sim_fault_target one = {b->target.service, -1, p};
            yaml_node_t *bn = fl_y_node(d, SEQ_ITEMS(list)[j]);
            return fl_y_error(d, fl_y_get_key(d, bn, sim_fault_kind(b->kind)->name),
                              "this %s fault overlaps '%s' (fault %zu) on pod %s: two %s faults "
                              "on one pod at once",
                              sim_fault_kind(b->kind)->name, a->name, i + 1,
                              sim_fault_target_text(s, &one, pod, sizeof pod),
                              sim_fault_kind(b->kind)->name);
        }
    }
    return 0;
}

int sim_load_faults(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_seq(d, n, "faults")) return -1;
    if (SEQ_COUNT(n) > SIM_FAULTS_MAX) return fl_y_error(d, n, "at most %d faults", SIM_FAULTS_MAX);
    s->faults = fl_calloc(SEQ_COUNT(n) ? SEQ_COUNT(n) : 1, sizeof *s->faults);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        s->n_faults = i + 1; /* what load_fault touched is freed on error */
        if (load_fault(d, fl_y_node(d, SEQ_ITEMS(n)[i]), s, i)) return -1;
    }
    return check_overlaps(d, n, s);
}
