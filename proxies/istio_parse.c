/*
 * istio_parse.c - px_istio_add and px_istio_free: Istio's traffic
 * resources read as users keep them (see istio.h). Here: the envelope of
 * a resource (apiVersion, kind, metadata, spec), Kubernetes Lists, kinds
 * not modeled (refused, or with --lenient a warning) and unknown (an error
 * with the closest kind), the note when a resource replaces an earlier
 * one, and the small readers that istio_vs.c and istio_dr.c share
 * (istio_internal.h).
 *
 * Reading (istio/api networking/v1alpha3 virtual_service.proto,
 * destination_rule.proto; apiVersion networking.istio.io/v1alpha3, v1beta1
 * or v1): every field of the parts modeled is checked, unknown ones are
 * errors with a suggestion. A Kubernetes List is read item by item. Other
 * known kinds (WorkloadEntry, EnvoyFilter, ...,
 * and Kubernetes objects) are refused with the reason, or with m->lenient
 * left out with a warning; an unknown kind is an error with the closest
 * one (kubectl refuses it too). A VirtualService's tcp/tls routes are
 * warnings.
 * Fields that would change traffic but are not modeled yet (delegate,
 * port-level settings, source labels, ...) are refused by name, or with
 * m->lenient left out with a warning; fields without effect here (tls, CORS, header
 * edits, keepalives, idle timeouts, ports of single-port services) are
 * read and ignored. Hosts may be short ("reviews") or qualified with the
 * resource's namespace (or "default"): "reviews.ns", "reviews.ns.svc",
 * "reviews.ns.svc.cluster.local"; they are stored short. Durations take
 * Go's forms ("1s", "500ms", "0.5s", "1m30s").
 *
 * How: the kind is read first - a List is read item by item, a kind other
 * than VirtualService, DestinationRule, Sidecar, Gateway, ServiceEntry,
 * Telemetry and the security kinds (PeerAuthentication,
 * RequestAuthentication, AuthorizationPolicy: security.istio.io v1beta1 or
 * v1) is refused or unknown - then the envelope is checked and the spec
 * goes to istio_vs.c, istio_dr.c, istio_sidecar.c, istio_gateway.c,
 * istio_serviceentry.c, istio_telemetry.c, istio_peerauthn.c,
 * istio_authn.c or istio_authz.c,
 * which add the resource to struct px_istio only once it is read whole.
 * Turning the resources into a sidecar's configuration is istio_build.c's.
 *
 * A resource with the kind, name and namespace of one read earlier
 * replaces it in place (istio_vs.c, istio_dr.c), as `kubectl apply` of the
 * later file would, with a note naming both locations.
 *
 * Not here: namespaces beyond the resource's own (services live in one),
 * delegate VirtualServices, exportTo; checking hosts against the
 * scenario's services (istio_resolve.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "proxies/istio_internal.h"
#include "proxies/istio_sec.h"

/* ---------------------------------------------------------------- small readers */

yaml_node_t *px_istio_item(struct ip *c, const yaml_node_t *seq, size_t i)
{
    FL_ASSERT(seq->type == YAML_SEQUENCE_NODE && i < SEQ_COUNT(seq));
    return fl_y_node(c->d, SEQ_ITEMS(seq)[i]);
}

void px_istio_warn(struct px_istio *m, char *text)
{
    FL_ASSERT(text);
    m->warnings = fl_realloc(m->warnings, (m->n_warnings + 1) * sizeof *m->warnings);
    m->warnings[m->n_warnings++] = text;
}

char *px_istio_at(const struct ip *c, const yaml_node_t *n)
{
    char where[512];
    return fl_strdup(fl_y_where(c->d, n, where, sizeof where));
}

int px_istio_unmodeled(struct ip *c, const yaml_node_t *n, const char *text, int hint)
{
    FL_ASSERT(c->m && text);
    if (!c->m->lenient)
        return fl_y_error(c->d, n, "%s%s", text,
                          hint ? " (--lenient leaves it out with a warning)" : "");
    char *at = px_istio_at(c, n);
    px_istio_warn(c->m, fl_asprintf("%s: %s; left out (--lenient)", at, text));
    free(at);
    return 0;
}

void px_istio_note_replaced(struct ip *c, const char *old_at, const char *new_at)
{
    FL_ASSERT(c->kind && c->name && old_at && new_at);
    c->m->notes = fl_realloc(c->m->notes, (c->m->n_notes + 1) * sizeof *c->m->notes);
    c->m->notes[c->m->n_notes++] =
        fl_asprintf("%s %s from %s replaces the one from %s", c->kind, c->name, new_at, old_at);
}

/* A field Istio has that would change traffic but is not modeled yet. */
int px_istio_refuse(struct ip *c, const yaml_node_t *m, const char *key, const char *what)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x) return 0;
    if (x->type == YAML_SEQUENCE_NODE && SEQ_COUNT(x) == 0) return 0;
    if (x->type == YAML_MAPPING_NODE && MAP_COUNT(x) == 0) return 0;
    char text[300];
    snprintf(text, sizeof text, "%s: %s is not supported yet", c->what, what);
    return px_istio_unmodeled(c, fl_y_get_key(c->d, m, key), text, 0);
}

/* A mapping read for its shape only (fields without effect here). */
int px_istio_ignored_map(struct ip *c, const yaml_node_t *m, const char *key)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    return x ? fl_y_want_map(c->d, x, key) : 0;
}

/* A list of strings, borrowed from the document. */
int px_istio_str_items(struct ip *c, const yaml_node_t *n, const char *what, size_t *count)
{
    if (fl_y_want_seq(c->d, n, what)) return -1;
    const char *s;
    for (size_t i = 0; i < SEQ_COUNT(n); i++)
        if (fl_y_string(c->d, px_istio_item(c, n, i), what, &s)) return -1;
    *count = SEQ_COUNT(n);
    return 0;
}

/*
 * A Go / protobuf duration: one or more number+unit parts ("1s", "0.5s",
 * "1m30s", "250ms"), at least min_ns.
 */
int px_istio_go_duration(struct ip *c, const yaml_node_t *n, const char *what, int64_t min_ns,
                         int64_t *out)
{
    const char *s;
    if (fl_y_string(c->d, n, what, &s)) return -1;
    int64_t total = 0;
    for (const char *p = s; *p;) {
        const char *q = p;
        while (*q && (isdigit((unsigned char)*q) || *q == '.')) q++;
        while (*q && !isdigit((unsigned char)*q) && *q != '.') q++;
        char part[64];
        int64_t v;
        int rc = (size_t)(q - p) < sizeof part ? 0 : FL_UNITS_ERANGE;
        if (!rc) {
            memcpy(part, p, (size_t)(q - p));
            part[q - p] = '\0';
            rc = fl_parse_duration(part, &v);
        }
        if (rc)
            return fl_y_error(c->d, n, "%s '%s': %s", what, s,
                              fl_units_strerror(rc, FL_UNITS_DURATION));
        total += v;
        p = q;
    }
    if (total < min_ns) return fl_y_error(c->d, n, "%s must be at least 1ms, not %s", what, s);
    FL_ASSERT(total >= min_ns && min_ns >= 0);
    *out = total;
    return 0;
}

/* "reviews.ns.svc.cluster.local" (ns: the resource's or "default") -> "reviews". */
char *px_istio_short_host(const char *host, const char *ns)
{
    FL_ASSERT(host && ns);
    const char *dot = strchr(host, '.');
    if (!dot) return fl_strdup(host);
    static const char *const tails[] = {"", ".svc", ".svc.cluster.local"};
    const char *spaces[] = {ns, "default"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(spaces[i]);
        if (strncmp(dot + 1, spaces[i], n)) continue;
        for (int t = 0; t < 3; t++)
            if (!strcmp(dot + 1 + n, tails[t])) return fl_strndup(host, (size_t)(dot - host));
    }
    return fl_strdup(host);
}

/* ---------------------------------------------------------------- resources */

static int parse_metadata(struct ip *c, const yaml_node_t *n)
{
    /* clang-format off */
    static const char *const keys[] = {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields", NULL};
    /* clang-format on */
    static const char *const req[] = {"name", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, req, "metadata") ||
        fl_y_string(c->d, fl_y_get(c->d, n, "name"), "metadata.name", &c->name))
        return -1;
    c->ns = "default";
    if ((x = fl_y_get(c->d, n, "namespace")) && fl_y_string(c->d, x, "metadata.namespace", &c->ns))
        return -1;
    snprintf(c->what, sizeof c->what, "%s '%s'", c->kind, c->name);
    return 0;
}

/*
 * Kinds users keep beside their traffic rules, and why each is not
 * modeled (Istio's reference: istio.io/latest/docs/reference/config/).
 */
static const struct {
    const char *kind, *why;
} other_kinds[] = {
    {"WorkloadEntry", "workloads outside Kubernetes are not modeled"},
    {"WorkloadGroup", "workloads outside Kubernetes are not modeled"},
    {"EnvoyFilter", "raw Envoy configuration patches are not modeled"},
    {"ProxyConfig", "proxy settings come from the scenario's `proxy` section"},
    {"WasmPlugin", "Wasm filters are not modeled"},
    {"HTTPRoute", "Kubernetes Gateway API routes are not modeled yet"},
    {"GRPCRoute", "Kubernetes Gateway API routes are not modeled yet"},
    {"TCPRoute", "Kubernetes Gateway API routes are not modeled yet"},
    {"TLSRoute", "Kubernetes Gateway API routes are not modeled yet"},
    {"ReferenceGrant", "Kubernetes Gateway API resources are not modeled yet"},
    {"GatewayClass", "Kubernetes Gateway API resources are not modeled yet"},
    {"Service", "the scenario's `services` section models services"},
    {"Deployment", "the scenario's `services` section models workloads"},
    {"StatefulSet", "the scenario's `services` section models workloads"},
    {"Pod", "the scenario's `services` section models workloads"},
    {"ServiceAccount", "a service's `service_account` names its pods' identity"},
    {"ConfigMap", "it configures applications, which the scenario models"},
    {"Secret", "it configures applications, which the scenario models"},
    {"Namespace", "services live in one namespace"},
    {"HorizontalPodAutoscaler", "autoscaling is not modeled yet"},
    {"PodDisruptionBudget", "it does not change traffic"},
};

/*
 * A kind other than those read: a known one is
 * refused (or, lenient, a warning); an unknown one is an error with the
 * closest kind, as kubectl would refuse it.
 */
static int other_kind(struct ip *c, const yaml_node_t *n, const yaml_node_t *kind)
{
    enum { N_OTHER = sizeof other_kinds / sizeof other_kinds[0] };
    const char *names[N_OTHER + 11] = {"VirtualService",
                                       "DestinationRule",
                                       "Sidecar",
                                       "Gateway",
                                       "ServiceEntry",
                                       "Telemetry",
                                       "List",
                                       "PeerAuthentication",
                                       "AuthorizationPolicy",
                                       "RequestAuthentication"};
    for (size_t i = 0; i < N_OTHER; i++) {
        names[10 + i] = other_kinds[i].kind;
        if (strcmp(c->kind, other_kinds[i].kind)) continue;
        const char *name = fl_y_str(fl_y_get(c->d, fl_y_get(c->d, n, "metadata"), "name"));
        char text[300];
        snprintf(text, sizeof text, "%s '%s' is not modeled: %s", c->kind, name ? name : "?",
                 other_kinds[i].why);
        return px_istio_unmodeled(c, kind, text, 1);
    }
    const char *hint = fl_did_you_mean(c->kind, names);
    if (hint)
        return fl_y_error(c->d, kind, "unknown kind '%s' (did you mean '%s'?)", c->kind, hint);
    return fl_y_error(
        c->d, kind,
        "unknown kind '%s' (faultline reads VirtualService, DestinationRule, Sidecar, Gateway, "
        "ServiceEntry, Telemetry, PeerAuthentication, RequestAuthentication and "
        "AuthorizationPolicy)",
        c->kind);
}

/* A Kubernetes List (what `kubectl get ... -o yaml` prints): each item in turn. */
static int list_items(struct px_istio *m, struct fl_ydoc *d, const yaml_node_t *n)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "items", NULL};
    yaml_node_t *items = fl_y_get(d, n, "items");
    if (fl_y_check_keys(d, n, keys, NULL, "List") || (items && fl_y_want_seq(d, items, "items")))
        return -1;
    for (size_t i = 0; items && i < SEQ_COUNT(items); i++)
        if (px_istio_add(m, d, fl_y_node(d, SEQ_ITEMS(items)[i]))) return -1;
    return 0;
}

int px_istio_add(struct px_istio *m, struct fl_ydoc *d, const yaml_node_t *n)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const req[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const versions[] = {"networking.istio.io/v1alpha3",
                                           "networking.istio.io/v1beta1", "networking.istio.io/v1",
                                           NULL};
    static const char *const telemetry_versions[] = {"telemetry.istio.io/v1alpha1",
                                                     "telemetry.istio.io/v1", NULL};
    static const char *const security_versions[] = {"security.istio.io/v1beta1",
                                                    "security.istio.io/v1", NULL};
    struct ip c = {.d = d, .m = m};
    int v;
    if (fl_y_want_map(d, n, "an Istio resource")) return -1;
    yaml_node_t *kind = fl_y_get(d, n, "kind");
    if (!kind) return fl_y_error(d, n, "an Istio resource needs 'kind'");
    if (fl_y_string(d, kind, "kind", &c.kind)) return -1;
    if (!strcmp(c.kind, "List")) return list_items(m, d, n);
    int is_vs = !strcmp(c.kind, "VirtualService"), is_dr = !strcmp(c.kind, "DestinationRule");
    int is_sc = !strcmp(c.kind, "Sidecar"), is_gw = !strcmp(c.kind, "Gateway");
    int is_se = !strcmp(c.kind, "ServiceEntry"), is_tm = !strcmp(c.kind, "Telemetry");
    int is_pa = !strcmp(c.kind, "PeerAuthentication"),
        is_ra = !strcmp(c.kind, "RequestAuthentication");
    int is_ap = !strcmp(c.kind, "AuthorizationPolicy"), is_sec = is_pa || is_ra || is_ap;
    if (!is_vs && !is_dr && !is_sc && !is_gw && !is_se && !is_tm && !is_sec)
        return other_kind(&c, n, kind);
    c.node = n;
    if (fl_y_check_keys(d, n, keys, req, c.kind) ||
        fl_y_enum(d, fl_y_get(d, n, "apiVersion"), "apiVersion",
                  is_tm    ? telemetry_versions
                  : is_sec ? security_versions
                           : versions,
                  &v) ||
        parse_metadata(&c, fl_y_get(d, n, "metadata")))
        return -1;
    yaml_node_t *spec = fl_y_get(d, n, "spec");
    if (fl_y_want_map(d, spec, "spec")) return -1;
    return is_vs   ? px_istio_parse_vs(&c, spec)
           : is_dr ? px_istio_parse_dr(&c, spec)
           : is_gw ? px_istio_parse_gateway(&c, spec)
           : is_se ? px_istio_parse_se(&c, spec)
           : is_tm ? px_istio_parse_telemetry(&c, spec)
           : is_pa ? px_istio_parse_peerauthn(&c, spec)
           : is_ra ? px_istio_parse_reqauthn(&c, spec)
           : is_ap ? px_istio_parse_authz(&c, spec)
                   : px_istio_parse_sidecar(&c, spec);
}

void px_istio_free(struct px_istio *m)
{
    for (size_t i = 0; i < m->n_vs; i++) px_istio_vs_free(&m->vs[i]);
    free(m->vs);
    for (size_t i = 0; i < m->n_dr; i++) px_istio_dr_free(&m->dr[i]);
    free(m->dr);
    for (size_t i = 0; i < m->n_sidecars; i++) px_istio_sidecar_free(&m->sidecars[i]);
    free(m->sidecars);
    for (size_t i = 0; i < m->n_gateways; i++) px_istio_gateway_free(&m->gateways[i]);
    for (size_t i = 0; i < m->n_ses; i++) px_istio_se_free(&m->ses[i]);
    free(m->ses);
    free(m->gateways);
    for (size_t i = 0; i < m->n_telemetry; i++) px_istio_telemetry_free(&m->telemetry[i]);
    free(m->telemetry);
    for (size_t i = 0; i < m->n_peerauthns; i++) px_istio_peerauthn_free(&m->peerauthns[i]);
    free(m->peerauthns);
    for (size_t i = 0; i < m->n_reqauthns; i++) px_istio_reqauthn_free(&m->reqauthns[i]);
    free(m->reqauthns);
    for (size_t i = 0; i < m->n_authzs; i++) px_istio_authz_free(&m->authzs[i]);
    free(m->authzs);
    for (size_t i = 0; i < m->n_warnings; i++) free(m->warnings[i]);
    free(m->warnings);
    for (size_t i = 0; i < m->n_notes; i++) free(m->notes[i]);
    free(m->notes);
    memset(m, 0, sizeof *m);
}
