/*
 * load_proxies.c - reads the sections that put proxies on the request
 * path: `gateway` (Kong's declarative configuration, inline or
 * {file: kong.yaml}), `mesh` (mode, and Istio resources from files and/or
 * inline), and `proxy` (what each proxy costs in CPU). The Kong and Istio
 * formats themselves are read by proxies/kong_*.c and proxies/istio_*.c, with
 * errors located in whichever file holds them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/load_internal.h"

/* A path relative to the scenario file's folder (absolute paths stay). */
static char *relative_to(const char *scenario, const char *path)
{
    if (path[0] == '/') return fl_strdup(path);
    const char *slash = strrchr(scenario, '/');
    if (!slash) return fl_strdup(path);
    return fl_asprintf("%.*s/%s", (int)(slash - scenario), scenario, path);
}

/* Loads a whole other YAML file; on error copies its message into d (located there). */
static int load_other(struct fl_ydoc *d, const yaml_node_t *at, const char *path,
                      struct fl_ydoc **docs, size_t *n)
{
    char *err = NULL;
    if (fl_ydoc_load_file(path, docs, n, &err)) {
        char where[512];
        fl_y_where(d, at, where, sizeof where);
        free(d->err);
        d->err = fl_asprintf("%s (included from %s)", err, where);
        free(err);
        return -1;
    }
    return 0;
}

/* Errors found inside an included file become the scenario's error. */
static int adopt_error(struct fl_ydoc *d, struct fl_ydoc *other)
{
    if (!other->err) return 0;
    free(d->err);
    d->err = other->err;
    other->err = NULL;
    return -1;
}

static int load_gateway(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_map(d, n, "gateway")) return -1;
    yaml_node_t *file = fl_y_get(d, n, "file");
    s->has_gateway = 1;
    if (!file) return px_kong_parse(d, n, &s->kong);
    static const char *const keys[] = {"file", NULL};
    const char *name;
    if (fl_y_check_keys(d, n, keys, NULL, "gateway (with file, nothing else)") ||
        fl_y_string(d, file, "gateway file", &name))
        return -1;
    char *path = relative_to(s->file, name);
    struct fl_ydoc *docs = NULL;
    size_t n_docs = 0;
    int rc = load_other(d, file, path, &docs, &n_docs);
    if (!rc && n_docs != 1)
        rc = fl_y_error(d, file, "%s must hold one YAML document (it has %zu)", path, n_docs);
    if (!rc) {
        rc = px_kong_parse(&docs[0], fl_y_root(&docs[0]), &s->kong);
        if (rc) adopt_error(d, &docs[0]);
    }
    fl_ydoc_free_all(docs, n_docs);
    free(path);
    return rc;
}

static int load_mesh_files(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_seq(d, n, "mesh files")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *f = fl_y_node(d, SEQ_ITEMS(n)[i]);
        const char *name;
        if (fl_y_string(d, f, "mesh file", &name)) return -1;
        char *path = relative_to(s->file, name);
        struct fl_ydoc *docs = NULL;
        size_t n_docs = 0;
        int rc = load_other(d, f, path, &docs, &n_docs);
        for (size_t k = 0; k < n_docs && !rc; k++) {
            yaml_node_t *root = fl_y_root(&docs[k]);
            if (root->type == YAML_SCALAR_NODE && !*fl_y_str(root)) continue; /* empty "---" */
            rc = px_istio_add(&s->istio, &docs[k], root);
            if (rc) adopt_error(d, &docs[k]);
        }
        fl_ydoc_free_all(docs, n_docs);
        free(path);
        if (rc) return -1;
    }
    return 0;
}

static int load_compat(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"backoff", "max_ejection_percent", NULL};
    static const char *const choices[] = {"current", "legacy", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "envoy_compat")) return -1;
    yaml_node_t *x;
    int v;
    if ((x = fl_y_get(d, n, "backoff"))) {
        if (fl_y_enum(d, x, "envoy_compat.backoff", choices, &v)) return -1;
        s->compat.legacy_backoff = v;
    }
    if ((x = fl_y_get(d, n, "max_ejection_percent"))) {
        if (fl_y_enum(d, x, "envoy_compat.max_ejection_percent", choices, &v)) return -1;
        s->compat.legacy_max_ejection_percent = v;
    }
    return 0;
}

static int load_mesh(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"mode", "files", "resources", "envoy_compat", NULL};
    static const char *const modes[] = {"sidecar", "ambient", "none", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "mesh")) return -1;
    yaml_node_t *x;
    int mode = 0;
    if ((x = fl_y_get(d, n, "mode"))) {
        if (fl_y_enum(d, x, "mesh mode", modes, &mode)) return -1;
        if (mode == 1) return fl_y_error(d, x, "mesh mode 'ambient' is not supported yet");
    }
    s->mesh_mode = mode == 0 ? SIM_MESH_SIDECAR : SIM_MESH_NONE;
    if ((x = fl_y_get(d, n, "files")) && load_mesh_files(d, x, s)) return -1;
    if ((x = fl_y_get(d, n, "resources"))) {
        if (fl_y_want_seq(d, x, "mesh resources")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (px_istio_add(&s->istio, d, fl_y_node(d, SEQ_ITEMS(x)[i]))) return -1;
    }
    if ((x = fl_y_get(d, n, "envoy_compat")) && load_compat(d, x, s)) return -1;
    if (s->mesh_mode == SIM_MESH_NONE && (s->istio.n_vs || s->istio.n_dr)) {
        s->istio.warnings =
            fl_realloc(s->istio.warnings, (s->istio.n_warnings + 1) * sizeof *s->istio.warnings);
        s->istio.warnings[s->istio.n_warnings++] = fl_strdup(
            "mesh mode is none: the VirtualServices and DestinationRules are not applied");
    }
    return 0;
}

/* proxy.gateway or proxy.sidecar; locality (non-NULL: the gateway's) where the proxy runs. */
static int load_cost(struct fl_ydoc *d, const yaml_node_t *n, const char *what,
                     struct sim_proxy_cost *c, char **locality)
{
    static const char *const keys[] = {"cost", "workers", NULL};
    static const char *const gw_keys[] = {"cost", "workers", "locality", NULL};
    if (fl_y_check_keys(d, n, locality ? gw_keys : keys, NULL, what)) return -1;
    yaml_node_t *x;
    if (locality && (x = fl_y_get(d, n, "locality")) && sim_load_locality(d, x, locality))
        return -1;
    if ((x = fl_y_get(d, n, "cost")) && sim_load_dist(d, x, "cost", &c->cost)) return -1;
    long long workers;
    if ((x = fl_y_get(d, n, "workers"))) {
        if (fl_y_int(d, x, "workers", 1, 1024, &workers)) return -1;
        c->workers = (uint32_t)workers;
    }
    return 0;
}

static int load_proxy_costs(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"gateway", "sidecar", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "proxy")) return -1;
    yaml_node_t *x;
    if ((x = fl_y_get(d, n, "gateway")) &&
        load_cost(d, x, "proxy.gateway", &s->gateway_cost, &s->gateway_locality))
        return -1;
    if ((x = fl_y_get(d, n, "sidecar")) && load_cost(d, x, "proxy.sidecar", &s->sidecar_cost, NULL))
        return -1;
    return 0;
}

int sim_load_proxies(struct fl_ydoc *d, const yaml_node_t *root, struct sim_scenario *s)
{
    /* Istio's published figures for both kinds of proxy unless the scenario says otherwise */
    px_cost_default(&s->gateway_cost.cost);
    px_cost_default(&s->sidecar_cost.cost);
    s->gateway_cost.workers = s->sidecar_cost.workers = 2;
    yaml_node_t *x;
    if ((x = fl_y_get(d, root, "gateway")) && load_gateway(d, x, s)) return -1;
    if ((x = fl_y_get(d, root, "mesh")) && load_mesh(d, x, s)) return -1;
    if ((x = fl_y_get(d, root, "proxy")) && load_proxy_costs(d, x, s)) return -1;
    return 0;
}
