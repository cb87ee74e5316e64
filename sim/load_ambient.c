/*
 * load_ambient.c - reads `mesh.ambient`, Istio ambient mode's settings:
 * how pods spread over nodes (one ztunnel per node), what a ztunnel costs,
 * and the waypoints (Envoy deployments that apply L7 policy for the
 * services they are for, as `istio.io/use-waypoint` on a Service does).
 *
 * In mode ambient it also names, in a warning each, the VirtualServices and
 * DestinationRules that will not apply because none of their hosts has a
 * waypoint (Istio ambient: L7 policy is enforced only by waypoints). In any
 * other mode a given `ambient` section is checked, then named in a warning
 * as unused (so `--set mesh.mode=sidecar` runs the same file both ways).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

#define WAYPOINT_REPLICAS_MAX 1000

static void warn(struct sim_scenario *s, char *msg)
{
    FL_ASSERT(msg);
    s->istio.warnings =
        fl_realloc(s->istio.warnings, (s->istio.n_warnings + 1) * sizeof *s->istio.warnings);
    s->istio.warnings[s->istio.n_warnings++] = msg;
}

/* The scenario service a host names (short or qualified), or -1. */
static int service_of_host(const struct sim_scenario *s, const char *host)
{
    for (size_t i = 0; i < s->n_services; i++) {
        const char *name = s->services[i].name;
        size_t n = strlen(name);
        if (!strncmp(host, name, n) && (host[n] == '\0' || host[n] == '.')) return (int)i;
    }
    return -1;
}

static int has_waypoint(const struct sim_ambient_cfg *a, int svc)
{
    for (size_t w = 0; w < a->n_waypoints; w++)
        for (size_t k = 0; k < a->waypoints[w].n_services; k++)
            if (a->waypoints[w].services[k] == svc) return 1;
    return 0;
}

static int load_service_ref(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                            int *out)
{
    const char *name;
    if (fl_y_string(d, n, "waypoint 'for' service", &name)) return -1;
    const char **names = fl_calloc(s->n_services + 1, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) names[i] = s->services[i].name;
    int found = -1;
    for (size_t i = 0; i < s->n_services && found < 0; i++)
        if (!strcmp(names[i], name)) found = (int)i;
    int rc = 0;
    if (found < 0) {
        const char *hint = fl_did_you_mean(name, names);
        rc = hint ? fl_y_error(d, n, "unknown service '%s' (did you mean '%s'?)", name, hint)
                  : fl_y_error(d, n, "unknown service '%s'", name);
    }
    free(names);
    *out = found;
    return rc;
}

static int load_waypoint(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s,
                         struct sim_waypoint_cfg *wp)
{
    static const char *const keys[] = {"name", "for", "replicas", "workers", "cost", NULL};
    static const char *const required[] = {"name", "for", NULL};
    if (fl_y_check_keys(d, n, keys, required, "waypoint")) return -1;
    const char *name;
    if (sim_load_name(d, fl_y_get(d, n, "name"), "waypoint name", &name)) return -1;
    wp->name = fl_strdup(name);
    yaml_node_t *f = fl_y_get(d, n, "for");
    if (fl_y_want_seq(d, f, "waypoint 'for'")) return -1;
    if (!SEQ_COUNT(f)) return fl_y_error(d, f, "waypoint '%s' is for no service", name);
    wp->services = fl_calloc(SEQ_COUNT(f), sizeof *wp->services);
    for (size_t i = 0; i < SEQ_COUNT(f); i++) {
        yaml_node_t *x = fl_y_node(d, SEQ_ITEMS(f)[i]);
        int svc;
        if (load_service_ref(d, x, s, &svc)) return -1;
        FL_ASSERT(svc >= 0 && (size_t)svc < s->n_services);
        if (has_waypoint(&s->ambient, svc))
            return fl_y_error(d, x, "service '%s' already has a waypoint", s->services[svc].name);
        wp->services[wp->n_services++] = svc;
    }
    yaml_node_t *x;
    long long v;
    wp->replicas = 1;
    if ((x = fl_y_get(d, n, "replicas"))) {
        if (fl_y_int(d, x, "replicas", 1, WAYPOINT_REPLICAS_MAX, &v)) return -1;
        wp->replicas = (int)v;
    }
    if ((x = fl_y_get(d, n, "workers"))) {
        if (fl_y_int(d, x, "workers", 1, 1024, &v)) return -1;
        wp->cost.workers = (uint32_t)v;
    }
    if ((x = fl_y_get(d, n, "cost")) && sim_load_dist(d, x, "cost", &wp->cost.cost)) return -1;
    return 0;
}

static int load_ztunnel(struct fl_ydoc *d, const yaml_node_t *n, struct sim_ambient_cfg *a)
{
    static const char *const keys[] = {"cost", "connection_cost", "workers", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "ztunnel")) return -1;
    yaml_node_t *x;
    if ((x = fl_y_get(d, n, "cost")) &&
        fl_y_duration(d, x, "ztunnel cost", 0, SIM_DURATION_MAX, &a->message_ns))
        return -1;
    if ((x = fl_y_get(d, n, "connection_cost")) &&
        fl_y_duration(d, x, "ztunnel connection_cost", 0, SIM_DURATION_MAX, &a->connection_ns))
        return -1;
    long long v;
    if ((x = fl_y_get(d, n, "workers"))) {
        if (fl_y_int(d, x, "workers", 1, 1024, &v)) return -1;
        a->workers = (uint32_t)v;
    }
    return 0;
}

/* Names each VirtualService and DestinationRule that no waypoint will apply. */
static void warn_l7_without_waypoint(struct sim_scenario *s)
{
    for (size_t i = 0; i < s->istio.n_vs; i++) {
        const struct px_istio_vs *vs = &s->istio.vs[i];
        int applied = 0, svc = -1;
        if (!vs->mesh) continue; /* bound to Gateways only: not for waypoints */
        for (size_t h = 0; h < vs->n_hosts && !applied; h++) {
            int k = service_of_host(s, vs->hosts[h]);
            if (k >= 0 && svc < 0) svc = k;
            applied = k >= 0 && has_waypoint(&s->ambient, k);
        }
        if (!applied && svc >= 0)
            warn(s, fl_asprintf("mesh mode ambient: VirtualService '%s' is not applied: service "
                                "'%s' has no waypoint, and ztunnel does no L7 (add one under "
                                "mesh.ambient.waypoints)",
                                vs->name, s->services[svc].name));
    }
    for (size_t i = 0; i < s->istio.n_dr; i++) {
        const struct px_istio_dr *dr = &s->istio.dr[i];
        int k = service_of_host(s, dr->host);
        if (k >= 0 && !has_waypoint(&s->ambient, k))
            warn(s, fl_asprintf("mesh mode ambient: DestinationRule '%s' is not applied: service "
                                "'%s' has no waypoint",
                                dr->name, s->services[k].name));
    }
}

int sim_load_ambient(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    struct sim_ambient_cfg *a = &s->ambient;
    FL_ASSERT(!a->waypoints && !a->n_waypoints);
    /*
     * istio.io "Performance and Scalability" (Istio 1.24, 1000 HTTP requests
     * per second of 1 KB): a ztunnel uses about 0.06 vCPU, i.e. 60 us of CPU
     * per request: 30 us per message each way. No per-connection figure is
     * published; 60 us (one request's worth, mTLS handshake not included)
     * is this model's assumption.
     */
    a->message_ns = 30000;
    a->connection_ns = 60000;
    a->workers = 2;
    if (n) {
        static const char *const keys[] = {"nodes", "ztunnel", "waypoints", NULL};
        if (fl_y_check_keys(d, n, keys, NULL, "mesh.ambient")) return -1;
        yaml_node_t *x;
        long long v;
        if ((x = fl_y_get(d, n, "nodes"))) {
            if (fl_y_int(d, x, "nodes", 1, SIM_PODS_MAX, &v)) return -1;
            a->nodes = (int)v;
        }
        if ((x = fl_y_get(d, n, "ztunnel")) && load_ztunnel(d, x, a)) return -1;
        if ((x = fl_y_get(d, n, "waypoints"))) {
            if (fl_y_want_seq(d, x, "waypoints")) return -1;
            a->waypoints = fl_calloc(SEQ_COUNT(x) ? SEQ_COUNT(x) : 1, sizeof *a->waypoints);
            for (size_t i = 0; i < SEQ_COUNT(x); i++) {
                struct sim_waypoint_cfg *wp = &a->waypoints[a->n_waypoints++];
                /* Istio 1.24: a waypoint with 2 workers uses about 0.25 vCPU per 1000 rps */
                const char *why;
                fl_dist_lognormal_moments(&wp->cost.cost, 250e3, 175e3, &why);
                wp->cost.workers = 2;
                if (load_waypoint(d, fl_y_node(d, SEQ_ITEMS(x)[i]), s, wp)) return -1;
            }
        }
    }
    if (s->mesh_mode != SIM_MESH_AMBIENT) {
        if (n) warn(s, fl_strdup("mesh.ambient is not used: the mesh mode is not ambient"));
        return 0;
    }
    warn_l7_without_waypoint(s);
    return 0;
}

void sim_ambient_cfg_free(struct sim_ambient_cfg *a)
{
    for (size_t i = 0; i < a->n_waypoints; i++) {
        free(a->waypoints[i].name);
        free(a->waypoints[i].services);
    }
    free(a->waypoints);
    memset(a, 0, sizeof *a);
}
