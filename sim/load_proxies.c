/*
 * load_proxies.c - reads the sections that put proxies on the request
 * path: `gateway` (Kong's declarative configuration, inline or
 * {file: kong.yaml}, which include.c has read into the tree), `mesh` (mode,
 * and Istio resources, those of mesh.files included), and `proxy` (what each proxy costs in CPU).
 * The Kong and Istio formats themselves are read by proxies/kong_*.c and proxies/istio_*.c, with
 * errors located in whichever file holds them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/load_internal.h"

/* Inline, or {file: kong.yaml} already read into the tree (include.c). */
static int load_gateway(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_map(d, n, "gateway")) return -1;
    s->has_gateway = 1;
    return px_kong_parse(d, n, &s->kong);
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
    /* mesh.files are mesh.resources by now (include.c) */
    static const char *const keys[] = {"mode", "resources", "envoy_compat", "ambient", NULL};
    static const char *const modes[] = {"sidecar", "ambient", "none", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "mesh")) return -1;
    yaml_node_t *x;
    int mode = 0;
    if ((x = fl_y_get(d, n, "mode"))) {
        if (fl_y_enum(d, x, "mesh mode", modes, &mode)) return -1;
    }
    s->mesh_mode = mode == 0 ? SIM_MESH_SIDECAR : mode == 1 ? SIM_MESH_AMBIENT : SIM_MESH_NONE;
    if ((x = fl_y_get(d, n, "resources"))) {
        if (fl_y_want_seq(d, x, "mesh resources")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (px_istio_add(&s->istio, d, fl_y_node(d, SEQ_ITEMS(x)[i]))) return -1;
    }
    if ((x = fl_y_get(d, n, "envoy_compat")) && load_compat(d, x, s)) return -1;
    if (sim_load_ambient(d, fl_y_get(d, n, "ambient"), s)) return -1;
    if (s->mesh_mode == SIM_MESH_NONE && (s->istio.n_vs || s->istio.n_dr)) {
        s->istio.warnings =
            fl_realloc(s->istio.warnings, (s->istio.n_warnings + 1) * sizeof *s->istio.warnings);
        s->istio.warnings[s->istio.n_warnings++] = fl_strdup(
            "mesh mode is none: the VirtualServices and DestinationRules are not applied");
    }
    return 0;
}

static int load_cost(struct fl_ydoc *d, const yaml_node_t *n, const char *what,
                     struct sim_proxy_cost *c)
{
    static const char *const keys[] = {"cost", "workers", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, what)) return -1;
    yaml_node_t *x;
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
    if ((x = fl_y_get(d, n, "gateway")) && load_cost(d, x, "proxy.gateway", &s->gateway_cost))
        return -1;
    if ((x = fl_y_get(d, n, "sidecar")) && load_cost(d, x, "proxy.sidecar", &s->sidecar_cost))
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
