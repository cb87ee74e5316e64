/*
 * fault_identity.c - faults of the mesh's workload identities
 * (sim/identity.c), for scenarios with proxy.tls.certificates:
 *
 *   ca_down: {}                       the CA (istiod) signs nothing while
 *                                     active: renewals fail and are tried
 *                                     again every certificates.retry; once
 *                                     a certificate expires, every mutual
 *                                     TLS handshake with its holder fails
 *   clock_skew: {service|pod, offset} the target's clock runs `offset`
 *                                     ahead (or behind, "-5m") while
 *                                     active: it judges peers'
 *                                     certificates at its own time
 *   root_rotation: {keep_old: true}   a new root signs from now on; the
 *                                     trust bundle keeps the old root too
 *                                     (Istio's procedure) or, with
 *                                     keep_old false, only the new one:
 *                                     certificates of the old root are
 *                                     refused until renewed (permanent)
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/units.h"
#include "sim/faults.h"
#include "sim/identity.h"
#include "sim/load_internal.h"
#include "sim/world.h"

static int need_certificates(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                             const char *kind)
{
    if (sc->tls.certificates) return 0;
    return fl_y_error(d, n,
                      "%s: the mesh has no workload certificates to act on (set "
                      "proxy.tls.certificates)",
                      kind);
}

static void mesh_ca(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                    size_t size)
{
    (void)sc;
    (void)f;
    snprintf(buf, size, "the mesh CA");
}

/* ---------------------------------------------------------------- ca_down */

static int ca_down_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                        const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {NULL};
    (void)item;
    if (n->type == YAML_MAPPING_NODE && fl_y_check_keys(d, n, keys, NULL, "ca_down")) return -1;
    if (n->type != YAML_MAPPING_NODE && fl_y_want_map(d, n, "ca_down")) return -1;
    f->target.service = f->target.version = f->target.pod = -1;
    return need_certificates(d, n, sc, "ca_down");
}

static void ca_down_describe(const struct sim_fault *f, char *buf, size_t size)
{
    (void)f;
    snprintf(buf, size, "signs nothing");
}

static void ca_down_start(struct sim_world *w, const struct sim_fault *f)
{
    (void)f;
    sim_identity_ca_down(w, 1);
}

static void ca_down_stop(struct sim_world *w, const struct sim_fault *f)
{
    (void)f;
    sim_identity_ca_down(w, -1);
}

const struct sim_fault_kind sim_fault_ca_down = {
    .name = "ca_down",
    .params_size = 1,
    .load = ca_down_load,
    .subject = mesh_ca,
    .describe = ca_down_describe,
    .start = ca_down_start,
    .stop = ca_down_stop,
};

/* ---------------------------------------------------------------- clock_skew */

struct skew_params {
    int64_t offset_ns;
};

static int skew_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                     const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"service", "version", "pod", "offset", NULL};
    static const char *const required[] = {"offset", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "clock_skew") ||
        sim_fault_load_target(d, n, sc, &f->target))
        return -1;
    struct skew_params *p = f->params;
    yaml_node_t *x = fl_y_get(d, n, "offset");
    const char *v;
    int64_t ns;
    if (fl_y_string(d, x, "clock_skew.offset", &v)) return -1;
    int neg = v[0] == '-';
    if (fl_parse_duration(v + neg, &ns) || ns == 0 || ns > INT64_C(3650) * 86400 * 1000000000)
        return fl_y_error(d, x, "clock_skew.offset: '%s' is not a duration such as 5m or -2h", v);
    p->offset_ns = neg ? -ns : ns;
    return need_certificates(d, n, sc, "clock_skew");
}

static void skew_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct skew_params *p = f->params;
    snprintf(buf, size, "clock %s%gs", p->offset_ns < 0 ? "-" : "+",
             (double)(p->offset_ns < 0 ? -p->offset_ns : p->offset_ns) / 1e9);
}

static void skew_apply(struct sim_world *w, const struct sim_fault *f, int sign)
{
    const struct skew_params *p = f->params;
    FL_ASSERT(f->target.service >= 0 && (size_t)f->target.service < w->sc->n_services);
    const struct sim_service *svc = &w->services[f->target.service];
    for (uint32_t i = 0; i < svc->n_pods; i++) {
        const struct sim_pod *pod = &w->pods[svc->first_pod + i];
        if (sim_fault_target_has(&f->target, (int)pod->version, (int)i))
            sim_identity_skew(w, pod->node, sign * p->offset_ns);
    }
}

static void skew_start(struct sim_world *w, const struct sim_fault *f)
{
    skew_apply(w, f, 1);
}

static void skew_stop(struct sim_world *w, const struct sim_fault *f)
{
    skew_apply(w, f, -1);
}

const struct sim_fault_kind sim_fault_clock_skew = {
    .name = "clock_skew",
    .params_size = sizeof(struct skew_params),
    .load = skew_load,
    .describe = skew_describe,
    .start = skew_start,
    .stop = skew_stop,
};

/* ---------------------------------------------------------------- root_rotation */

struct rotation_params {
    int keep_old;
};

static int rotation_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                         const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"keep_old", NULL};
    struct rotation_params *p = f->params;
    yaml_node_t *x;
    (void)item;
    p->keep_old = 1;
    if (fl_y_want_map(d, n, "root_rotation") ||
        fl_y_check_keys(d, n, keys, NULL, "root_rotation") ||
        ((x = fl_y_get(d, n, "keep_old")) &&
         fl_y_bool(d, x, "root_rotation.keep_old", &p->keep_old)))
        return -1;
    f->target.service = f->target.version = f->target.pod = -1;
    return need_certificates(d, n, sc, "root_rotation");
}

static void rotation_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct rotation_params *p = f->params;
    snprintf(buf, size, "new root, %s", p->keep_old ? "old one still trusted" : "old one dropped");
}

static void rotation_start(struct sim_world *w, const struct sim_fault *f)
{
    const struct rotation_params *p = f->params;
    sim_identity_rotate_root(w, p->keep_old);
}

static void rotation_stop(struct sim_world *w, const struct sim_fault *f)
{
    (void)w;
    (void)f; /* a rotation is not undone */
}

const struct sim_fault_kind sim_fault_root_rotation = {
    .name = "root_rotation",
    .params_size = sizeof(struct rotation_params),
    .load = rotation_load,
    .subject = mesh_ca,
    .describe = rotation_describe,
    .start = rotation_start,
    .stop = rotation_stop,
};
