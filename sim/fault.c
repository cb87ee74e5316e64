/*
 * fault.c - what every kind of fault shares: reading a target (service,
 * version, pod) with "did you mean" for names that do not resolve, testing
 * whether a target covers a pod, naming it in the event log, and freeing
 * a fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/fault.h"
#include "sim/load_internal.h"

/* The name of pod number i of service s ("billing-1", "billing-v2-0"); caller frees. */
static char *pod_name(const struct sim_service_cfg *s, int i, int *version_out)
{
    for (size_t v = 0; v < s->n_versions; v++) {
        const struct sim_version_cfg *ver = &s->versions[v];
        if (i < ver->replicas) {
            *version_out = (int)v;
            return ver->name ? fl_asprintf("%s-%s-%d", s->name, ver->name, i)
                             : fl_asprintf("%s-%d", s->name, i);
        }
        i -= ver->replicas;
    }
    FL_ASSERT(!"pod index beyond the service's pods");
    return NULL;
}

/* "unknown WHAT 'x' (did you mean 'y'?)" at n. */
static int unknown(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char *word,
                   const char *const *names)
{
    const char *hint = fl_did_you_mean(word, names);
    if (hint) return fl_y_error(d, n, "unknown %s '%s' (did you mean '%s'?)", what, word, hint);
    return fl_y_error(d, n, "unknown %s '%s'", what, word);
}

static int load_service(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                        int *out)
{
    const char *name;
    if (fl_y_string(d, n, "service", &name)) return -1;
    const char **names = fl_calloc(sc->n_services + 1, sizeof *names);
    int found = -1;
    for (size_t i = 0; i < sc->n_services; i++) {
        names[i] = sc->services[i].name;
        if (!strcmp(names[i], name)) found = (int)i;
    }
    int rc = found < 0 ? unknown(d, n, "service", name, names) : 0;
    free(names);
    *out = found;
    return rc;
}

static int load_version(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_service_cfg *s,
                        int *out)
{
    const char *name;
    if (fl_y_string(d, n, "version", &name)) return -1;
    if (!s->versions[0].name)
        return fl_y_error(d, n, "service '%s' has no versions ('version' needs `versions:`)",
                          s->name);
    const char **names = fl_calloc(s->n_versions + 1, sizeof *names);
    int found = -1;
    for (size_t i = 0; i < s->n_versions; i++) {
        names[i] = s->versions[i].name;
        if (!strcmp(names[i], name)) found = (int)i;
    }
    int rc = found < 0 ? unknown(d, n, "version", name, names) : 0;
    free(names);
    *out = found;
    return rc;
}

static int load_pod(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_service_cfg *s,
                    struct sim_fault_target *t)
{
    const char *name;
    if (fl_y_string(d, n, "pod", &name)) return -1;
    int n_pods = sim_service_pods(s);
    char **names = fl_calloc((size_t)n_pods + 1, sizeof *names);
    int found = -1, found_version = -1;
    for (int i = 0; i < n_pods; i++) {
        int v;
        names[i] = pod_name(s, i, &v);
        if (!strcmp(names[i], name)) found = i, found_version = v;
    }
    int rc = 0;
    if (found < 0)
        rc = unknown(d, n, "pod", name, (const char *const *)names);
    else if (t->version >= 0 && t->version != found_version)
        rc =
            fl_y_error(d, n, "pod '%s' is not of version '%s'", name, s->versions[t->version].name);
    for (int i = 0; i < n_pods; i++) free(names[i]);
    free(names);
    t->pod = found;
    return rc;
}

/* A pod named on its own: finds its service among all. */
static int load_pod_anywhere(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                             struct sim_fault_target *t)
{
    const char *name;
    if (fl_y_string(d, n, "pod", &name)) return -1;
    size_t total = 0;
    for (size_t s = 0; s < sc->n_services; s++) total += (size_t)sim_service_pods(&sc->services[s]);
    char **names = fl_calloc(total + 1, sizeof *names);
    size_t k = 0;
    for (size_t s = 0; s < sc->n_services; s++) {
        for (int p = 0, v; p < sim_service_pods(&sc->services[s]); p++) {
            names[k++] = pod_name(&sc->services[s], p, &v);
            if (strcmp(names[k - 1], name)) continue;
            t->service = (int)s;
            t->pod = p;
        }
    }
    FL_ASSERT(k == total);
    int rc = t->pod < 0 ? unknown(d, n, "pod", name, (const char *const *)names) : 0;
    for (size_t i = 0; i < total; i++) free(names[i]);
    free(names);
    return rc;
}

int sim_fault_load_target(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                          struct sim_fault_target *t)
{
    FL_ASSERT(d && n && sc && t);
    t->service = t->version = t->pod = -1;
    yaml_node_t *svc = fl_y_get(d, n, "service"), *pod = fl_y_get(d, n, "pod"), *x;
    if (!svc && !pod) return fl_y_error(d, n, "a fault needs a target: 'service' or 'pod'");
    if (!svc) {
        if (fl_y_get(d, n, "version"))
            return fl_y_error(d, fl_y_get_key(d, n, "version"), "'version' needs 'service'");
        return load_pod_anywhere(d, pod, sc, t);
    }
    if (load_service(d, svc, sc, &t->service)) return -1;
    const struct sim_service_cfg *s = &sc->services[t->service];
    if ((x = fl_y_get(d, n, "version")) && load_version(d, x, s, &t->version)) return -1;
    if (pod && load_pod(d, pod, s, t)) return -1;
    return 0;
}

int sim_fault_load_name(struct fl_ydoc *d, const yaml_node_t *n, const char *what,
                        const struct sim_scenario *sc, struct sim_fault_target *t)
{
    FL_ASSERT(d && n && sc && t);
    t->service = t->version = t->pod = -1;
    const char *name;
    if (fl_y_string(d, n, what, &name)) return -1;
    size_t total = sc->n_services;
    for (size_t s = 0; s < sc->n_services; s++) total += (size_t)sim_service_pods(&sc->services[s]);
    char **names = fl_calloc(total + 1, sizeof *names);
    size_t k = 0;
    for (size_t s = 0; s < sc->n_services; s++) {
        names[k++] = fl_strdup(sc->services[s].name);
        if (!strcmp(names[k - 1], name)) t->service = (int)s;
    }
    for (size_t s = 0; s < sc->n_services && t->service < 0; s++) {
        for (int p = 0, v; p < sim_service_pods(&sc->services[s]); p++) {
            names[k++] = pod_name(&sc->services[s], p, &v);
            if (strcmp(names[k - 1], name) || t->pod >= 0) continue;
            t->service = (int)s;
            t->pod = p;
        }
    }
    FL_ASSERT(k <= total);
    int rc = t->service < 0 ? unknown(d, n, "service or pod", name, (const char *const *)names) : 0;
    for (size_t i = 0; i < k; i++) free(names[i]);
    free(names);
    return rc;
}

int sim_fault_target_has(const struct sim_fault_target *t, int version, int pod)
{
    if (t->pod >= 0) return t->pod == pod;
    return t->version < 0 || t->version == version;
}

const char *sim_fault_target_text(const struct sim_scenario *sc, const struct sim_fault_target *t,
                                  char *buf, size_t size)
{
    FL_ASSERT(t->service >= 0 && (size_t)t->service < sc->n_services);
    const struct sim_service_cfg *s = &sc->services[t->service];
    if (t->pod >= 0) {
        int v;
        char *name = pod_name(s, t->pod, &v);
        snprintf(buf, size, "%s", name);
        free(name);
    } else if (t->version >= 0) {
        snprintf(buf, size, "%s version %s", s->name, s->versions[t->version].name);
    } else {
        snprintf(buf, size, "%s", s->name);
    }
    return buf;
}

const char *sim_fault_subject(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                              size_t size)
{
    const struct sim_fault_kind *k = sim_fault_kind(f->kind);
    FL_ASSERT(k && (k->subject || f->target.service >= 0));
    if (k->subject) {
        k->subject(sc, f, buf, size);
        return buf;
    }
    return sim_fault_target_text(sc, &f->target, buf, size);
}

void sim_fault_free(struct sim_fault *f)
{
    free(f->name);
    const struct sim_fault_kind *k = sim_fault_kind(f->kind);
    if (f->params && k && k->free_params) k->free_params(f->params);
    free(f->params);
    free(f->when.path);
    for (size_t i = 0; i < f->when.n_headers; i++) {
        free(f->when.headers[i].name);
        free(f->when.headers[i].value);
    }
    free(f->when.headers);
    memset(f, 0, sizeof *f);
}
