/*
 * fault_policy.c - the `policy` fault: Istio security resources
 * (PeerAuthentication, RequestAuthentication, AuthorizationPolicy) applied
 * to the mesh at a time or on a trigger, as `kubectl apply` of a new
 * policy during a rollout would: from then on every pod's inbound sidecar
 * enforces the scenario's resources and those of every active policy
 * fault, in schedule order, a resource replacing one of the same kind,
 * name and namespace. With `for`, the resources are withdrawn when it ends
 * (kubectl delete; a replaced resource comes back).
 *
 *   faults:
 *     - name: lockout
 *       at: 10s
 *       policy:
 *         apply:
 *           - apiVersion: security.istio.io/v1
 *             kind: AuthorizationPolicy
 *             metadata: {name: orders-callers}
 *             spec: {...}
 *
 * The change is at once on every sidecar: istiod's push delay is not
 * modeled. Only the security kinds may be applied (routing resources
 * change the outbound configuration, which is built once); the mesh must
 * be in mode sidecar, where the inbound sidecars enforce them. The chaos
 * monkey does not draw this kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio.h"
#include "sim/faults.h"
#include "sim/load_internal.h"
#include "sim/world.h"

struct policy_params {
    struct px_istio *m; /* the resources it applies */
    char subject[160];  /* "AuthorizationPolicy orders-callers" (the first), for the log */
};

static void policy_free(void *params)
{
    struct policy_params *p = params;
    if (!p->m) return;
    px_istio_free(p->m);
    free(p->m);
    p->m = NULL;
}

static int policy_item(struct fl_ydoc *d, const yaml_node_t *n, struct policy_params *p)
{
    static const char *const kinds[] = {"PeerAuthentication", "RequestAuthentication",
                                        "AuthorizationPolicy", NULL};
    yaml_node_t *kind = n->type == YAML_MAPPING_NODE ? fl_y_get(d, n, "kind") : NULL;
    const char *k = kind ? fl_y_str(kind) : NULL;
    int ok = 0;
    for (int i = 0; k && kinds[i]; i++) ok |= !strcmp(k, kinds[i]);
    if (!ok)
        return fl_y_error(d, kind ? kind : n,
                          "a policy fault applies PeerAuthentication, RequestAuthentication or "
                          "AuthorizationPolicy resources%s%s",
                          k ? ", not " : "", k ? k : "");
    if (px_istio_add(p->m, d, n)) return -1;
    if (!p->subject[0]) {
        const char *name = fl_y_str(fl_y_get(d, fl_y_get(d, n, "metadata"), "name"));
        snprintf(p->subject, sizeof p->subject, "%s %s", k, name ? name : "?");
    }
    return 0;
}

static int policy_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                       const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"apply", NULL};
    struct policy_params *p = f->params;
    (void)item;
    FL_ASSERT(d && n && sc && p);
    if (fl_y_want_map(d, n, "policy") || fl_y_check_keys(d, n, keys, keys, "policy")) return -1;
    if (sc->mesh_mode != SIM_MESH_SIDECAR)
        return fl_y_error(d, n,
                          "a policy fault needs mesh mode sidecar: the inbound sidecars enforce "
                          "Istio's security resources");
    yaml_node_t *apply = fl_y_get(d, n, "apply");
    if (fl_y_want_seq(d, apply, "policy.apply")) return -1;
    if (apply->data.sequence.items.top == apply->data.sequence.items.start)
        return fl_y_error(d, apply, "policy.apply: name at least one resource");
    f->target = (struct sim_fault_target){-1, -1, -1};
    p->m = fl_calloc(1, sizeof *p->m);
    p->m->lenient = sc->istio.lenient;
    for (yaml_node_item_t *i = apply->data.sequence.items.start; i < apply->data.sequence.items.top;
         i++)
        if (policy_item(d, fl_y_node(d, *i), p)) return -1;
    return 0;
}

static void policy_subject(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                           size_t size)
{
    const struct policy_params *p = f->params;
    (void)sc;
    snprintf(buf, size, "%s", p->subject);
}

static void policy_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct policy_params *p = f->params;
    FL_ASSERT(p->m);
    size_t n = p->m->n_peerauthns + p->m->n_reqauthns + p->m->n_authzs;
    snprintf(buf, size, "applies %zu resource%s", n, n == 1 ? "" : "s");
}

/* Every pod's inbound sidecar: the scenario's resources, then the active policy faults'. */
static void policy_change(struct sim_world *w, const struct sim_fault *f)
{
    const struct px_istio **sets = fl_calloc(w->faults.n + 1, sizeof *sets);
    size_t n = 0;
    (void)f;
    for (size_t i = 0; i < w->faults.n; i++) {
        const struct sim_fault_run *r = &w->faults.v[i];
        if (r->state != SIM_FAULT_ACTIVE || r->f->kind != SIM_FAULT_POLICY) continue;
        sets[n++] = ((const struct policy_params *)r->f->params)->m;
    }
    FL_ASSERT(n <= w->faults.n);
    sim_mesh_security(w, sets, n);
    free(sets);
}

const struct sim_fault_kind sim_fault_policy = {
    .name = "policy",
    .params_size = sizeof(struct policy_params),
    .load = policy_load,
    .subject = policy_subject,
    .describe = policy_describe,
    .start = policy_change,
    .stop = policy_change,
    .free_params = policy_free,
};
