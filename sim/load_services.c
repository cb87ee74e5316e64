/*
 * load_services.c - reads the `services` section: each service, its
 * optional versions (each a deployment with its own replicas, service time,
 * errors and calls, labelled {app, version}), and its downstream calls,
 * which must name services of the scenario and must not form a cycle.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/cache.h"
#include "sim/load_internal.h"

/* Keys a service and a version share. */
#define DEPLOYMENT_KEYS                                                                            \
    "replicas", "workers", "queue", "service_time", "errors", "calls", "labels", "response_size",  \
        "locality", "content_type"

static const char *const service_keys[] = {
    "name",          "versions", "cache", "external", "propagate_trace", "service_account",
    DEPLOYMENT_KEYS, NULL};

/*
 * An external service's name: a DNS name (RFC 1123: labels of lowercase
 * letters, digits and '-', not first or last, at most 63 characters,
 * separated by dots; at most 253 in all), as a ServiceEntry host.
 */
static int load_dns_name(struct fl_ydoc *d, const yaml_node_t *n, const char **out)
{
    const char *s;
    if (fl_y_string(d, n, "service name", &s)) return -1;
    size_t len = strlen(s), label = 0;
    int ok = len > 0 && len <= 253;
    for (size_t i = 0; ok && i <= len; i++) {
        char c = s[i];
        if (c == '.' || c == '\0') {
            ok = label > 0 && label <= 63 && s[i - 1] != '-';
            label = 0;
            continue;
        }
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label > 0);
        label++;
    }
    if (!ok)
        return fl_y_error(d, n,
                          "service name '%s': an external service is named by its DNS name "
                          "(e.g. api.example.com: lowercase letters, digits and '-', labels of "
                          "at most 63 characters separated by dots)",
                          s);
    *out = s;
    return 0;
}
static const char *const version_keys[] = {"name", DEPLOYMENT_KEYS, NULL};

static int load_errors(struct fl_ydoc *d, const yaml_node_t *n, struct sim_version_cfg *v)
{
    static const char *const keys[] = {"rate", "status", NULL};
    static const char *const required[] = {"rate", NULL};
    if (fl_y_check_keys(d, n, keys, required, "errors")) return -1;
    if (fl_y_fraction(d, fl_y_get(d, n, "rate"), "errors.rate", &v->error_rate)) return -1;
    yaml_node_t *st = fl_y_get(d, n, "status");
    long long status = 503;
    if (st && fl_y_int(d, st, "errors.status", 400, 599, &status)) return -1;
    v->error_status = (int)status;
    return 0;
}

void sim_call_cfg_free(struct sim_call_cfg *c)
{
    free(c->method);
    free(c->path);
    for (size_t h = 0; h < c->n_headers; h++) {
        free(c->headers[h].name);
        free(c->headers[h].value);
    }
    free(c->headers);
    for (size_t h = 0; h < c->n_forward; h++) free(c->forward[h]);
    free(c->forward);
}

void sim_calls_free(struct sim_call_cfg *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) sim_call_cfg_free(&calls[i]);
    free(calls);
}

/* forward: [user-agent, x-request-id] - headers the app copies from its request to the call. */
static int load_forward(struct fl_ydoc *d, const yaml_node_t *n, struct sim_call_cfg *c)
{
    if (fl_y_want_seq(d, n, "forward")) return -1;
    c->n_forward = SEQ_COUNT(n);
    c->forward = fl_calloc(c->n_forward ? c->n_forward : 1, sizeof *c->forward);
    for (size_t i = 0; i < c->n_forward; i++) {
        const char *h;
        if (fl_y_string(d, fl_y_node(d, SEQ_ITEMS(n)[i]), "forwarded header", &h)) return -1;
        c->forward[i] = fl_strdup(h);
    }
    return 0;
}

/* Calls are read with service names; they are resolved once every service is known. */
static int load_calls(struct fl_ydoc *d, const yaml_node_t *n, struct sim_version_cfg *v)
{
    static const char *const keys[] = {"service", "method",  "path",         "on_error", "size",
                                       "headers", "forward", SIM_RETRY_KEYS, NULL};
    static const char *const required[] = {"service", NULL};
    static const char *const on_error[] = {"fail", "ignore", NULL};
    if (fl_y_want_seq(d, n, "calls")) return -1;
    if (SEQ_COUNT(n) > SIM_CALLS_MAX)
        return fl_y_error(d, n, "at most %d calls per service", SIM_CALLS_MAX);
    sim_calls_free(v->calls, v->n_calls); /* a version's own calls replace the service's */
    v->n_calls = SEQ_COUNT(n);
    v->calls = fl_calloc(v->n_calls ? v->n_calls : 1, sizeof *v->calls);
    for (size_t i = 0; i < v->n_calls; i++) {
        yaml_node_t *c = fl_y_node(d, SEQ_ITEMS(n)[i]), *x;
        struct sim_call_cfg *call = &v->calls[i];
        const char *method = "GET", *path = "/";
        int mode = 0;
        call->service = -1 - (int)i; /* unresolved */
        if (fl_y_check_keys(d, c, keys, required, "call")) return -1;
        const char *callee; /* resolved once every service is known (resolve_calls) */
        if (fl_y_string(d, fl_y_get(d, c, "service"), "service", &callee)) return -1;
        if ((x = fl_y_get(d, c, "method")) && sim_load_method(d, x, &method)) return -1;
        if ((x = fl_y_get(d, c, "path")) && sim_load_path(d, x, &path)) return -1;
        if ((x = fl_y_get(d, c, "on_error")) && fl_y_enum(d, x, "on_error", on_error, &mode))
            return -1;
        if ((x = fl_y_get(d, c, "size")) &&
            fl_y_size(d, x, "size", 0, SIM_MESSAGE_MAX, &call->request_bytes))
            return -1;
        call->method = fl_strdup(method);
        call->path = fl_strdup(path);
        call->ignore_errors = mode == 1;
        if ((x = fl_y_get(d, c, "headers")) &&
            sim_load_headers(d, x, &call->headers, &call->n_headers))
            return -1;
        if ((x = fl_y_get(d, c, "forward")) && load_forward(d, x, call)) return -1;
        sim_retry_defaults(&call->retry);
        if (sim_load_retry_fields(d, c, &call->retry)) return -1;
    }
    return 0;
}

/*
 * Adds the labels of mapping n to v. The first `inherited` labels of v came
 * from the service: a version's label of the same name replaces one of them
 * (README: a version may override labels); any other repeat is an error.
 */
static int load_labels(struct fl_ydoc *d, const yaml_node_t *n, struct sim_version_cfg *v,
                       size_t inherited)
{
    if (fl_y_want_map(d, n, "labels")) return -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k, *val;
        yaml_node_t *kn = fl_y_node(d, p->key);
        if (fl_y_string(d, kn, "label name", &k) ||
            fl_y_string(d, fl_y_node(d, p->value), "label value", &val))
            return -1;
        if (!strcmp(k, "app") || !strcmp(k, "version"))
            return fl_y_error(d, kn, "label '%s' comes from the service or version name", k);
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            const char *prev = fl_y_str(fl_y_node(d, q->key));
            if (prev && !strcmp(prev, k)) return fl_y_error(d, kn, "label '%s' is set twice", k);
        }
        size_t i = 0;
        while (i < v->n_labels && strcmp(v->labels[i].key, k)) i++;
        if (i < inherited) {
            free(v->labels[i].value);
            v->labels[i].value = fl_strdup(val);
            continue;
        }
        if (i < v->n_labels) return fl_y_error(d, kn, "label '%s' is set twice", k);
        v->labels = fl_realloc(v->labels, (v->n_labels + 1) * sizeof *v->labels);
        v->labels[v->n_labels].key = fl_strdup(k);
        v->labels[v->n_labels].value = fl_strdup(val);
        v->n_labels++;
    }
    return 0;
}

/* Reads the deployment keys present in n over *v (which holds the inherited values). */
static int load_deployment(struct fl_ydoc *d, const yaml_node_t *n, struct sim_version_cfg *v)
{
    yaml_node_t *x;
    long long i;
    if ((x = fl_y_get(d, n, "replicas"))) {
        if (fl_y_int(d, x, "replicas", 1, SIM_REPLICAS_MAX, &i)) return -1;
        v->replicas = (int)i;
    }
    if ((x = fl_y_get(d, n, "workers"))) {
        if (fl_y_int(d, x, "workers", 1, SIM_WORKERS_MAX, &i)) return -1;
        v->workers = (int)i;
    }
    if ((x = fl_y_get(d, n, "queue"))) {
        if (fl_y_int(d, x, "queue", 0, SIM_QUEUE_MAX, &i)) return -1;
        v->queue = (int)i;
    }
    if ((x = fl_y_get(d, n, "service_time")) &&
        sim_load_dist(d, x, "service_time", &v->service_time))
        return -1;
    if ((x = fl_y_get(d, n, "errors")) && load_errors(d, x, v)) return -1;
    if ((x = fl_y_get(d, n, "response_size")) &&
        fl_y_size(d, x, "response_size", 0, SIM_MESSAGE_MAX, &v->response_bytes))
        return -1;
    if ((x = fl_y_get(d, n, "calls")) && load_calls(d, x, v)) return -1;
    if ((x = fl_y_get(d, n, "locality"))) {
        free(v->locality);
        v->locality = NULL;
        if (sim_load_locality(d, x, &v->locality)) return -1;
    }
    if ((x = fl_y_get(d, n, "content_type"))) {
        const char *s;
        if (fl_y_string(d, x, "content_type", &s)) return -1;
        if (strlen(s) >= sizeof v->content_type)
            return fl_y_error(d, x, "content_type: at most %zu characters",
                              sizeof v->content_type - 1);
        snprintf(v->content_type, sizeof v->content_type, "%s", s);
    }
    return 0;
}

/*
 * A locality, "region", "region/zone" or "region/zone/subzone" (Kubernetes'
 * topology.kubernetes.io/region and zone, Istio's subzone): parts made of
 * letters, digits, '-', '_' and '.'. *out is allocated.
 */
int sim_load_locality(struct fl_ydoc *d, const yaml_node_t *n, char **out)
{
    const char *v;
    if (fl_y_string(d, n, "locality", &v)) return -1;
    int parts = 1, bad = !*v || strlen(v) > 200;
    for (const char *p = v; *p; p++) {
        if (*p == '/') {
            parts++;
            bad |= p == v || p[1] == '/' || p[1] == 0;
        } else {
            bad |= !(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.');
        }
    }
    if (bad || parts > 3)
        return fl_y_error(d, n, "locality '%s' is not region, region/zone or region/zone/subzone",
                          v);
    *out = fl_strdup(v);
    return 0;
}

static void copy_deployment(struct sim_version_cfg *dst, const struct sim_version_cfg *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->locality = src->locality ? fl_strdup(src->locality) : NULL;
    dst->labels = NULL;
    dst->n_labels = 0;
    dst->calls = fl_calloc(src->n_calls ? src->n_calls : 1, sizeof *dst->calls);
    for (size_t i = 0; i < src->n_calls; i++) {
        const struct sim_call_cfg *c = &src->calls[i];
        struct sim_call_cfg *o = &dst->calls[i];
        *o = *c;
        o->method = fl_strdup(c->method);
        o->path = fl_strdup(c->path);
        o->headers = fl_calloc(c->n_headers ? c->n_headers : 1, sizeof *o->headers);
        for (size_t h = 0; h < c->n_headers; h++) {
            o->headers[h].name = fl_strdup(c->headers[h].name);
            o->headers[h].value = fl_strdup(c->headers[h].value);
        }
        o->forward = fl_calloc(c->n_forward ? c->n_forward : 1, sizeof *o->forward);
        for (size_t h = 0; h < c->n_forward; h++) o->forward[h] = fl_strdup(c->forward[h]);
    }
}

static void add_label(struct sim_version_cfg *v, const char *k, const char *val)
{
    v->labels = fl_realloc(v->labels, (v->n_labels + 1) * sizeof *v->labels);
    memmove(v->labels + 1, v->labels, v->n_labels * sizeof *v->labels);
    v->labels[0].key = fl_strdup(k);
    v->labels[0].value = fl_strdup(val);
    v->n_labels++;
}

static int load_versions(struct fl_ydoc *d, const yaml_node_t *n, struct sim_service_cfg *svc,
                         const struct sim_version_cfg *base, const yaml_node_t *svc_labels)
{
    if (fl_y_want_seq(d, n, "versions")) return -1;
    if (SEQ_COUNT(n) == 0) return fl_y_error(d, n, "versions must list at least one version");
    /* each version has a pod at least; this bound also keeps sim_service_pods within an int */
    if (SEQ_COUNT(n) > SIM_PODS_MAX)
        return fl_y_error(d, n, "service '%s' has more than %d pods", svc->name, SIM_PODS_MAX);
    svc->n_versions = SEQ_COUNT(n);
    svc->versions = fl_calloc(svc->n_versions, sizeof *svc->versions);
    for (size_t i = 0; i < svc->n_versions; i++) {
        yaml_node_t *vn = fl_y_node(d, SEQ_ITEMS(n)[i]);
        struct sim_version_cfg *v = &svc->versions[i];
        const char *name;
        copy_deployment(v, base);
        if (fl_y_check_keys(d, vn, version_keys, (const char *const[]){"name", NULL}, "version"))
            return -1;
        if (sim_load_name(d, fl_y_get(d, vn, "name"), "version name", &name)) return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(svc->versions[j].name, name))
                return fl_y_error(d, fl_y_get(d, vn, "name"), "version '%s' appears twice", name);
        v->name = fl_strdup(name);
        if (load_deployment(d, vn, v)) return -1;
        if (svc_labels && load_labels(d, svc_labels, v, 0)) return -1;
        yaml_node_t *x = fl_y_get(d, vn, "labels");
        if (x && load_labels(d, x, v, v->n_labels)) return -1;
        add_label(v, "version", name);
        add_label(v, "app", svc->name);
    }
    return 0;
}

static int load_service(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s, size_t idx)
{
    struct sim_service_cfg *svc = &s->services[idx];
    const char *name;
    char what[128];
    if (fl_y_want_map(d, n, "a service")) return -1;
    yaml_node_t *name_node = fl_y_get(d, n, "name");
    if (!name_node) return fl_y_error(d, n, "a service needs a 'name'");
    yaml_node_t *ext = fl_y_get(d, n, "external");
    if (ext && fl_y_bool(d, ext, "external", &svc->external)) return -1;
    int propagate = 1; /* apps copy the trace headers onto their calls unless told not */
    yaml_node_t *prop = fl_y_get(d, n, "propagate_trace");
    if (prop && fl_y_bool(d, prop, "propagate_trace", &propagate)) return -1;
    svc->drops_trace = !propagate;
    if (svc->external ? load_dns_name(d, name_node, &name)
                      : sim_load_name(d, name_node, "service name", &name))
        return -1;
    snprintf(what, sizeof what, "service '%s'", name);
    if (fl_y_check_keys(d, n, service_keys, NULL, what)) return -1;
    yaml_node_t *calls = fl_y_get(d, n, "calls");
    if (svc->external && calls)
        return fl_y_error(d, fl_y_get_key(d, n, "calls"),
                          "service '%s' is external: what it calls is outside the scenario", name);
    if (!strcmp(name, "gateway"))
        return fl_y_error(d, name_node,
                          "'gateway' is reserved for the API gateway; name the service otherwise");
    for (size_t j = 0; j < idx; j++)
        if (!strcmp(s->services[j].name, name))
            return fl_y_error(d, name_node, "service '%s' is defined twice", name);
    svc->name = fl_strdup(name);
    /* Kubernetes gives a pod without serviceAccountName the namespace's "default" */
    const char *sa = "default";
    yaml_node_t *sa_node = fl_y_get(d, n, "service_account");
    if (sa_node && sim_load_name(d, sa_node, "service_account", &sa)) return -1;
    svc->service_account = fl_strdup(sa);
    /* Defaults: one pod, one worker, a 1024-deep queue, 1 KiB responses, 1 ms of work. */
    struct sim_version_cfg base = {
        .replicas = 1, .workers = 1, .queue = 1024, .error_status = 503, .response_bytes = 1024};
    const char *why;
    fl_dist_constant(&base.service_time, 1e6, &why);
    int rc = load_deployment(d, n, &base);
    yaml_node_t *versions = fl_y_get(d, n, "versions"), *labels = fl_y_get(d, n, "labels");
    if (!rc && versions) {
        rc = load_versions(d, versions, svc, &base, labels);
    } else if (!rc) {
        svc->n_versions = 1;
        svc->versions = fl_calloc(1, sizeof *svc->versions);
        copy_deployment(&svc->versions[0], &base);
        if (labels) rc = load_labels(d, labels, &svc->versions[0], 0);
        add_label(&svc->versions[0], "app", svc->name);
    }
    sim_calls_free(base.calls, base.n_calls);
    free(base.locality);
    yaml_node_t *cache = fl_y_get(d, n, "cache");
    if (!rc && cache) rc = sim_load_cache(d, cache, svc);
    if (!rc && sim_service_pods(svc) > SIM_PODS_MAX)
        rc = fl_y_error(d, n, "service '%s' has more than %d pods", name, SIM_PODS_MAX);
    return rc;
}

/* Resolves every call's service name to an index. */
static int resolve_calls(struct fl_ydoc *d, const yaml_node_t *list, struct sim_scenario *s)
{
    const char **names = fl_calloc(s->n_services + 1, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) names[i] = s->services[i].name;
    int rc = 0;
    for (size_t i = 0; i < s->n_services && !rc; i++) {
        yaml_node_t *sn = fl_y_node(d, SEQ_ITEMS(list)[i]);
        yaml_node_t *vs = fl_y_get(d, sn, "versions");
        for (size_t v = 0; v < s->services[i].n_versions && !rc; v++) {
            /* the calls list that defined this version's calls: its own, or the service's */
            yaml_node_t *owner = vs ? fl_y_node(d, SEQ_ITEMS(vs)[v]) : sn;
            yaml_node_t *calls = fl_y_get(d, owner, "calls");
            if (!calls) calls = fl_y_get(d, sn, "calls");
            struct sim_version_cfg *ver = &s->services[i].versions[v];
            for (size_t c = 0; c < ver->n_calls && !rc; c++) {
                yaml_node_t *cn = fl_y_get(d, fl_y_node(d, SEQ_ITEMS(calls)[c]), "service");
                const char *callee = fl_y_str(cn);
                size_t j = 0;
                while (j < s->n_services && strcmp(names[j], callee)) j++;
                if (j == s->n_services) {
                    const char *hint = fl_did_you_mean(callee, names);
                    rc = hint ? fl_y_error(d, cn, "unknown service '%s' (did you mean '%s'?)",
                                           callee, hint)
                              : fl_y_error(d, cn, "unknown service '%s'", callee);
                } else {
                    ver->calls[c].service = (int)j;
                }
            }
        }
    }
    free(names);
    return rc;
}

/* Depth-first search for a call cycle; state: 0 new, 1 on the path, 2 done. */
static int find_cycle(const struct sim_scenario *s, size_t i, unsigned char *state, size_t *path,
                      size_t depth, size_t *cycle_len)
{
    state[i] = 1;
    path[depth] = i;
    for (size_t v = 0; v < s->services[i].n_versions; v++) {
        const struct sim_version_cfg *ver = &s->services[i].versions[v];
        for (size_t c = 0; c < ver->n_calls; c++) {
            size_t j = (size_t)ver->calls[c].service;
            if (state[j] == 1) {
                size_t k = 0;
                while (path[k] != j) k++;
                memmove(path, path + k, (depth - k + 1) * sizeof *path);
                path[depth - k + 1] = j;
                *cycle_len = depth - k + 2;
                return 1;
            }
            if (state[j] == 0 && find_cycle(s, j, state, path, depth + 1, cycle_len)) return 1;
        }
    }
    /* a cache's miss path is a call too */
    const struct sim_cache_cfg *cache = s->services[i].cache;
    if (cache && state[cache->miss.service] == 1) {
        size_t k = 0;
        while (path[k] != (size_t)cache->miss.service) k++;
        memmove(path, path + k, (depth - k + 1) * sizeof *path);
        path[depth - k + 1] = (size_t)cache->miss.service;
        *cycle_len = depth - k + 2;
        return 1;
    }
    if (cache && state[cache->miss.service] == 0 &&
        find_cycle(s, (size_t)cache->miss.service, state, path, depth + 1, cycle_len))
        return 1;
    state[i] = 2;
    return 0;
}

static int check_cycles(struct fl_ydoc *d, const yaml_node_t *list, struct sim_scenario *s)
{
    unsigned char *state = fl_calloc(s->n_services, 1);
    size_t *path = fl_calloc(s->n_services + 1, sizeof *path), len = 0;
    int rc = 0;
    for (size_t i = 0; i < s->n_services && !rc; i++) {
        if (state[i] || !find_cycle(s, i, state, path, 0, &len)) continue;
        char text[1024] = "";
        size_t used = 0;
        for (size_t k = 0; k < len && used < sizeof text - 1; k++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", k ? " -> " : "",
                                     s->services[path[k]].name);
        rc = fl_y_error(d, fl_y_node(d, SEQ_ITEMS(list)[path[0]]),
                        "services call each other in a cycle: %s", text);
    }
    free(state);
    free(path);
    return rc;
}

int sim_load_services(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_seq(d, n, "services")) return -1;
    if (SEQ_COUNT(n) == 0) return fl_y_error(d, n, "services must list at least one service");
    if (SEQ_COUNT(n) > SIM_SERVICES_MAX)
        return fl_y_error(d, n, "at most %d services", SIM_SERVICES_MAX);
    s->services = fl_calloc(SEQ_COUNT(n), sizeof *s->services);
    long pods = 0;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        s->n_services = i + 1;
        yaml_node_t *item = fl_y_node(d, SEQ_ITEMS(n)[i]);
        if (load_service(d, item, s, i)) return -1;
        /* the whole world is held in memory: bound it before anything is built */
        pods += sim_service_pods(&s->services[i]);
        if (pods > SIM_PODS_MAX)
            return fl_y_error(d, item, "the scenario has more than %d pods in all (%ld so far)",
                              SIM_PODS_MAX, pods);
    }
    if (resolve_calls(d, n, s) || sim_resolve_caches(d, n, s)) return -1;
    return check_cycles(d, n, s);
}
