/*
 * istio_peerauthn.c - the PeerAuthentication resource (istio/api
 * security/v1beta1 peer_authentication.proto; istio.io/latest/docs/
 * reference/config/security/peer_authentication/): reading it, and the
 * mTLS mode it gives a workload's inbound sidecar; also the selector
 * (selector.matchLabels) the three security resources share, and the
 * choice of what applies to one workload (px_istio_sec_build).
 *
 * Read: selector.matchLabels, mtls.mode (UNSET, DISABLE, PERMISSIVE,
 * STRICT), portLevelMtls {PORT: {mode}}. The proto: "portLevelMtls ...
 * Port specific mutual TLS settings. These only apply when a workload
 * selector is specified": one without a selector is an error here, as
 * istiod's validation refuses it.
 *
 * Which applies (the proto): "the policy with a workload selector takes
 * precedence over the namespace-wide policy (no selector), which takes
 * precedence over the mesh-wide one (root namespace)"; UNSET "inherits
 * from parent, if has one. Otherwise treated as PERMISSIVE". Of two
 * workload policies selecting one workload Istio takes the oldest; here,
 * the first read. A port's UNSET takes the workload's mode.
 *
 * What the modes do at the inbound sidecar: STRICT takes mTLS only (a
 * plaintext connection is reset), PERMISSIVE takes both, DISABLE takes
 * plaintext (the simulator's sidecar-to-sidecar connections then carry no
 * identity: Istio's auto mTLS sends plaintext to a DISABLE workload).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"
#include "proxies/istio_sec.h"

void px_istio_labels_free(struct px_label *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(l[i].key);
        free(l[i].value);
    }
    free(l);
}

int px_istio_parse_match_labels(struct ip *c, const yaml_node_t *sel, struct px_label **out,
                                size_t *n)
{
    static const char *const keys[] = {"matchLabels", NULL};
    FL_ASSERT(c && out && n && !*out);
    yaml_node_t *l = fl_y_get(c->d, sel, "matchLabels");
    if (fl_y_want_map(c->d, sel, "selector") ||
        fl_y_check_keys(c->d, sel, keys, NULL, "selector") ||
        (l && fl_y_want_map(c->d, l, "selector.matchLabels")))
        return -1;
    *out = fl_calloc(l ? MAP_COUNT(l) + 1 : 1, sizeof **out);
    *n = 0;
    for (size_t i = 0; l && i < MAP_COUNT(l); i++) {
        const char *k, *v;
        if (fl_y_string(c->d, fl_y_node(c->d, MAP_PAIRS(l)[i].key), "label name", &k) ||
            fl_y_string(c->d, fl_y_node(c->d, MAP_PAIRS(l)[i].value), "label value", &v))
            return -1;
        (*out)[(*n)++] = (struct px_label){fl_strdup(k), fl_strdup(v)};
    }
    return 0;
}

int px_istio_selects(const struct px_label *sel, size_t n_sel, const struct px_label *labels,
                     size_t n_labels)
{
    FL_ASSERT(!n_sel || sel);
    if (!n_sel) return 0;
    for (size_t i = 0; i < n_sel; i++) {
        size_t k = 0;
        while (k < n_labels &&
               (strcmp(labels[k].key, sel[i].key) || strcmp(labels[k].value, sel[i].value)))
            k++;
        if (k == n_labels) return 0;
    }
    return 1;
}

void px_istio_peerauthn_free(struct px_istio_peerauthn *p)
{
    free(p->name);
    free(p->ns);
    free(p->at);
    px_istio_labels_free(p->selector, p->n_selector);
    free(p->ports);
    memset(p, 0, sizeof *p);
}

static const char *const mode_names[] = {"UNSET", "DISABLE", "PERMISSIVE", "STRICT", NULL};

static int parse_mtls(struct ip *c, const yaml_node_t *n, enum px_mtls_mode *out)
{
    static const char *const keys[] = {"mode", NULL};
    yaml_node_t *x;
    int mode = PX_MTLS_UNSET;
    if (fl_y_want_map(c->d, n, "mtls") || fl_y_check_keys(c->d, n, keys, NULL, "mtls")) return -1;
    if ((x = fl_y_get(c->d, n, "mode")) && fl_y_enum(c->d, x, "mtls.mode", mode_names, &mode))
        return -1;
    *out = (enum px_mtls_mode)mode;
    return 0;
}

static int parse_ports(struct ip *c, const yaml_node_t *n, struct px_istio_peerauthn *p)
{
    if (fl_y_want_map(c->d, n, "portLevelMtls")) return -1;
    p->ports = fl_calloc(MAP_COUNT(n) + 1, sizeof *p->ports);
    for (size_t i = 0; i < MAP_COUNT(n); i++) {
        long long port;
        yaml_node_t *k = fl_y_node(c->d, MAP_PAIRS(n)[i].key);
        if (fl_y_int(c->d, k, "portLevelMtls port", 1, 65535, &port) ||
            parse_mtls(c, fl_y_node(c->d, MAP_PAIRS(n)[i].value), &p->ports[p->n_ports].mode))
            return -1;
        p->ports[p->n_ports++].port = (uint32_t)port;
    }
    FL_ASSERT(p->n_ports == MAP_COUNT(n));
    return 0;
}

static int peerauthn_body(struct ip *c, const yaml_node_t *spec, struct px_istio_peerauthn *p)
{
    yaml_node_t *x, *ports = fl_y_get(c->d, spec, "portLevelMtls");
    if ((x = fl_y_get(c->d, spec, "selector")) &&
        px_istio_parse_match_labels(c, x, &p->selector, &p->n_selector))
        return -1;
    if ((x = fl_y_get(c->d, spec, "mtls")) && parse_mtls(c, x, &p->mode)) return -1;
    if (ports && !p->n_selector)
        /* peer_authentication.proto: "These only apply when a workload selector is specified" */
        return fl_y_error(c->d, fl_y_get_key(c->d, spec, "portLevelMtls"),
                          "%s: portLevelMtls needs a selector (selector.matchLabels): port-level "
                          "mTLS applies to selected workloads only",
                          c->what);
    return ports ? parse_ports(c, ports, p) : 0;
}

int px_istio_parse_peerauthn(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"selector",  "mtls",       "portLevelMtls",
                                       "targetRef", "targetRefs", NULL};
    if (fl_y_check_keys(c->d, spec, keys, NULL, c->what) ||
        px_istio_refuse(c, spec, "targetRef", "targetRef (Gateway API attachment)") ||
        px_istio_refuse(c, spec, "targetRefs", "targetRefs (Gateway API attachment)"))
        return -1;
    struct px_istio_peerauthn p = {0};
    p.name = fl_strdup(c->name);
    p.ns = fl_strdup(c->ns);
    p.at = px_istio_at(c, c->node);
    if (peerauthn_body(c, spec, &p)) {
        px_istio_peerauthn_free(&p);
        return -1;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_peerauthns; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->peerauthns[i].name, p.name) && !strcmp(m->peerauthns[i].ns, p.ns)) {
            px_istio_note_replaced(c, m->peerauthns[i].at, p.at);
            px_istio_peerauthn_free(&m->peerauthns[i]);
            m->peerauthns[i] = p;
            return 0;
        }
    m->peerauthns = fl_realloc(m->peerauthns, (m->n_peerauthns + 1) * sizeof *m->peerauthns);
    m->peerauthns[m->n_peerauthns++] = p;
    return 0;
}

/* ---------------------------------------------------------------- one workload */

/* 1 if a resource of namespace rns with this selector applies to the workload. */
static int applies(const char *rns, const struct px_label *sel, size_t n_sel, const char *ns,
                   const struct px_label *labels, size_t n_labels)
{
    if (!n_sel) return !strcmp(rns, ns) || !strcmp(rns, PX_ISTIO_ROOT_NS);
    return !strcmp(rns, ns) && px_istio_selects(sel, n_sel, labels, n_labels);
}

/* Names and namespaces of one kind of resource, for shadowing: field offsets in its struct. */
#define SHADOWED(layers, n, k, arr, cnt, x)                                                        \
    shadowed(layers, n, k, offsetof(struct px_istio, arr), offsetof(struct px_istio, cnt),         \
             sizeof *(layers)[0]->arr, (x)->name, (x)->ns)

_Static_assert(offsetof(struct px_istio_peerauthn, ns) == sizeof(char *) &&
                   offsetof(struct px_istio_reqauthn, ns) == sizeof(char *) &&
                   offsetof(struct px_istio_authz, ns) == sizeof(char *),
               "security resources begin with name, ns");

/* 1 if a layer after k has a resource of the same kind, name and namespace. */
static int shadowed(const struct px_istio *const *layers, size_t n, size_t k, size_t arr_off,
                    size_t cnt_off, size_t size, const char *name, const char *ns)
{
    for (size_t l = k + 1; l < n; l++) {
        const char *base = *(const char *const *)((const char *)layers[l] + arr_off);
        size_t cnt = *(const size_t *)((const char *)layers[l] + cnt_off);
        for (size_t i = 0; i < cnt; i++) {
            /* every security resource begins with name, ns */
            const char *const *nm = (const char *const *)(base + i * size);
            if (!strcmp(nm[0], name) && !strcmp(nm[1], ns)) return 1;
        }
    }
    return 0;
}

/* The workload's mTLS: the most specific PeerAuthentication, UNSET inheriting. */
static void resolve_mtls(const struct px_istio *const *layers, size_t n_layers, const char *ns,
                         const struct px_label *labels, size_t n_labels, struct px_istio_sec *s)
{
    const struct px_istio_peerauthn *wl = NULL, *nsp = NULL, *root = NULL;
    for (size_t l = 0; l < n_layers; l++)
        for (size_t i = 0; i < layers[l]->n_peerauthns; i++) {
            const struct px_istio_peerauthn *p = &layers[l]->peerauthns[i];
            if (SHADOWED(layers, n_layers, l, peerauthns, n_peerauthns, p)) continue;
            if (p->n_selector) {
                if (!wl && !strcmp(p->ns, ns) &&
                    px_istio_selects(p->selector, p->n_selector, labels, n_labels))
                    wl = p;
            } else if (!nsp && !strcmp(p->ns, ns) && strcmp(ns, PX_ISTIO_ROOT_NS)) {
                nsp = p;
            } else if (!root && !strcmp(p->ns, PX_ISTIO_ROOT_NS)) {
                root = p;
            }
        }
    enum px_mtls_mode mode = PX_MTLS_UNSET;
    const struct px_istio_peerauthn *chain[] = {wl, nsp, root};
    for (int i = 0; i < 3 && mode == PX_MTLS_UNSET; i++)
        if (chain[i]) mode = chain[i]->mode;
    s->mode = mode == PX_MTLS_UNSET ? PX_MTLS_PERMISSIVE : mode;
    if (!wl || !wl->n_ports) return;
    s->ports = fl_calloc(wl->n_ports, sizeof *s->ports);
    for (size_t i = 0; i < wl->n_ports; i++) {
        s->ports[i] = wl->ports[i];
        if (s->ports[i].mode == PX_MTLS_UNSET) s->ports[i].mode = s->mode;
    }
    s->n_ports = wl->n_ports;
    FL_ASSERT(s->mode != PX_MTLS_UNSET);
}

/* Adds policy a to the workload's list for its action. */
static void add_authz(struct px_istio_sec *s, const struct px_istio_authz *a)
{
    const struct px_istio_authz ***v = a->action == PX_AUTHZ_DENY    ? &s->deny
                                       : a->action == PX_AUTHZ_AUDIT ? &s->audit
                                                                     : &s->allow;
    size_t *n = a->action == PX_AUTHZ_DENY    ? &s->n_deny
                : a->action == PX_AUTHZ_AUDIT ? &s->n_audit
                                              : &s->n_allow;
    FL_ASSERT(a->action != PX_AUTHZ_CUSTOM); /* refused when read */
    *v = fl_realloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = a;
}

struct px_istio_sec *px_istio_sec_build(const struct px_istio *const *layers, size_t n_layers,
                                        const char *ns, const struct px_label *labels,
                                        size_t n_labels)
{
    FL_ASSERT(layers && ns && (labels || !n_labels));
    struct px_istio_sec *s = fl_calloc(1, sizeof *s);
    resolve_mtls(layers, n_layers, ns, labels, n_labels, s);
    for (size_t l = 0; l < n_layers; l++) {
        const struct px_istio *m = layers[l];
        for (size_t i = 0; i < m->n_reqauthns; i++) {
            const struct px_istio_reqauthn *a = &m->reqauthns[i];
            if (SHADOWED(layers, n_layers, l, reqauthns, n_reqauthns, a) ||
                !applies(a->ns, a->selector, a->n_selector, ns, labels, n_labels))
                continue;
            s->rules = fl_realloc(s->rules, (s->n_rules + a->n_rules + 1) * sizeof *s->rules);
            for (size_t k = 0; k < a->n_rules; k++) s->rules[s->n_rules++] = &a->rules[k];
        }
        for (size_t i = 0; i < m->n_authzs; i++) {
            const struct px_istio_authz *a = &m->authzs[i];
            if (!SHADOWED(layers, n_layers, l, authzs, n_authzs, a) &&
                applies(a->ns, a->selector, a->n_selector, ns, labels, n_labels))
                add_authz(s, a);
        }
    }
    int inert =
        s->mode == PX_MTLS_PERMISSIVE && !s->n_ports && !s->n_rules && !s->n_deny && !s->n_allow;
    if (inert) { /* Istio's default: nothing to check */
        px_istio_sec_free(s);
        return NULL;
    }
    return s;
}

void px_istio_sec_free(struct px_istio_sec *s)
{
    if (!s) return;
    free(s->ports);
    free(s->rules);
    free(s->deny);
    free(s->allow);
    free(s->audit);
    free(s);
}

enum px_mtls_mode px_istio_sec_mode(const struct px_istio_sec *s, uint32_t port)
{
    if (!s) return PX_MTLS_PERMISSIVE;
    for (size_t i = 0; i < s->n_ports; i++)
        if (s->ports[i].port == port) return s->ports[i].mode;
    return s->mode;
}

int px_istio_sec_refuses(const struct px_istio_sec *s, uint32_t port, const char *principal)
{
    return !principal && px_istio_sec_mode(s, port) == PX_MTLS_STRICT;
}
