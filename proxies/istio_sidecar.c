/*
 * istio_sidecar.c - the Sidecar resource (istio/api networking/v1alpha3
 * sidecar.proto; istio.io/latest/docs/reference/config/networking/sidecar/):
 * reading its spec, choosing the one that applies to a workload, and
 * whether it lets the workload's sidecar reach a service.
 *
 * Read: workloadSelector.labels, egress[].hosts ("namespace/dnsName": the
 * namespace "." (the workload's own), "*" (any) or a name, "~" for none;
 * the dnsName "*", "*.suffix" or a host), egress[].port (inert: services
 * have one port), outboundTrafficPolicy.mode ALLOW_ANY (the default) or
 * REGISTRY_ONLY. Refused by name, as not modeled: ingress listeners,
 * egress bind and captureMode, egressProxy, inboundConnectionPool.
 *
 * Which applies (the proto's rules): in the workloads' namespace (services
 * live in "default"), a Sidecar whose workloadSelector selects the
 * workload wins over the namespace's Sidecar without selector, which wins
 * over the root namespace's ("istio-system") Sidecar without selector; a
 * Sidecar elsewhere applies to no modeled workload.
 *
 * What it changes is istio_build.c's: a service outside the egress hosts
 * gets no route of its own; the call goes to PassthroughCluster (ALLOW_ANY:
 * straight to a pod, as kube-proxy would send it, with none of the mesh's
 * routing, retries or policies) or gets 502 from the BlackHole route
 * (REGISTRY_ONLY), as istiod's outbound HTTP routes do.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

#define ROOT_NS "istio-system"

void px_istio_sidecar_free(struct px_istio_sidecar *s)
{
    free(s->name);
    free(s->ns);
    free(s->at);
    px_istio_labels_free(s->selector, s->n_selector);
    for (size_t i = 0; i < s->n_egress; i++) free(s->egress[i]);
    free(s->egress);
    memset(s, 0, sizeof *s);
}

static int parse_selector(struct ip *c, const yaml_node_t *n, struct px_istio_sidecar *s)
{
    static const char *const keys[] = {"labels", NULL};
    yaml_node_t *l = fl_y_get(c->d, n, "labels");
    if (fl_y_check_keys(c->d, n, keys, NULL, "workloadSelector") ||
        (l && fl_y_want_map(c->d, l, "workloadSelector.labels")))
        return -1;
    s->selector = fl_calloc(l ? MAP_COUNT(l) + 1 : 1, sizeof *s->selector);
    for (size_t i = 0; l && i < MAP_COUNT(l); i++) {
        const char *k, *v;
        if (fl_y_string(c->d, fl_y_node(c->d, MAP_PAIRS(l)[i].key), "label name", &k) ||
            fl_y_string(c->d, fl_y_node(c->d, MAP_PAIRS(l)[i].value), "label value", &v))
            return -1;
        s->selector[s->n_selector++] = (struct px_label){fl_strdup(k), fl_strdup(v)};
    }
    FL_ASSERT(s->n_selector == (l ? MAP_COUNT(l) : 0));
    return 0;
}

/* One egress host, "namespace/dnsName". */
static int egress_host(struct ip *c, const yaml_node_t *n, struct px_istio_sidecar *s)
{
    const char *h;
    if (fl_y_string(c->d, n, "egress host", &h)) return -1;
    const char *slash = strchr(h, '/');
    if (!slash || slash == h || !slash[1])
        return fl_y_error(c->d, n,
                          "%s: egress host '%s' must be namespace/dnsName (e.g. \"./*\", "
                          "\"istio-system/*\", \"default/reviews\")",
                          c->what, h);
    FL_ASSERT(s->egress && slash > h && slash[1]); /* parse_egress sized the array */
    s->egress[s->n_egress++] = fl_strdup(h);
    return 0;
}

static int parse_egress(struct ip *c, const yaml_node_t *n, struct px_istio_sidecar *s)
{
    static const char *const keys[] = {"port", "bind", "captureMode", "hosts", NULL};
    static const char *const req[] = {"hosts", NULL};
    size_t count;
    if (fl_y_want_map(c->d, n, "an egress listener") ||
        fl_y_check_keys(c->d, n, keys, req, "egress listener") ||
        px_istio_refuse(c, n, "bind", "egress bind") ||
        px_istio_refuse(c, n, "captureMode", "egress captureMode") ||
        px_istio_ignored_map(c, n, "port"))
        return -1;
    yaml_node_t *hosts = fl_y_get(c->d, n, "hosts");
    if (px_istio_str_items(c, hosts, "egress hosts", &count)) return -1;
    s->egress = fl_realloc(s->egress, (s->n_egress + count + 1) * sizeof *s->egress);
    for (size_t i = 0; i < count; i++)
        if (egress_host(c, px_istio_item(c, hosts, i), s)) return -1;
    return 0;
}

static int parse_policy(struct ip *c, const yaml_node_t *n, struct px_istio_sidecar *s)
{
    static const char *const keys[] = {"mode", "egressProxy", NULL};
    static const char *const modes[] = {"ALLOW_ANY", "REGISTRY_ONLY", NULL};
    int mode = 0;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "outboundTrafficPolicy") ||
        px_istio_refuse(c, n, "egressProxy", "egressProxy"))
        return -1;
    if ((x = fl_y_get(c->d, n, "mode")) &&
        fl_y_enum(c->d, x, "outboundTrafficPolicy.mode", modes, &mode))
        return -1;
    s->registry_only = mode == 1;
    return 0;
}

static int sidecar_body(struct ip *c, const yaml_node_t *spec, struct px_istio_sidecar *s)
{
    yaml_node_t *x;
    if ((x = fl_y_get(c->d, spec, "workloadSelector")) && parse_selector(c, x, s)) return -1;
    if ((x = fl_y_get(c->d, spec, "egress"))) {
        if (fl_y_want_seq(c->d, x, "egress")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (parse_egress(c, px_istio_item(c, x, i), s)) return -1;
    }
    if ((x = fl_y_get(c->d, spec, "outboundTrafficPolicy")) && parse_policy(c, x, s)) return -1;
    return 0;
}

int px_istio_parse_sidecar(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {
        "workloadSelector",      "ingress", "egress", "outboundTrafficPolicy",
        "inboundConnectionPool", NULL};
    if (fl_y_check_keys(c->d, spec, keys, NULL, c->what) ||
        px_istio_refuse(c, spec, "ingress", "ingress") ||
        px_istio_refuse(c, spec, "inboundConnectionPool", "inboundConnectionPool"))
        return -1;
    struct px_istio_sidecar s = {0};
    s.name = fl_strdup(c->name);
    s.ns = fl_strdup(c->ns);
    s.at = px_istio_at(c, c->node);
    if (sidecar_body(c, spec, &s)) {
        px_istio_sidecar_free(&s);
        return -1;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_sidecars; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->sidecars[i].name, s.name) && !strcmp(m->sidecars[i].ns, s.ns)) {
            px_istio_note_replaced(c, m->sidecars[i].at, s.at);
            px_istio_sidecar_free(&m->sidecars[i]);
            m->sidecars[i] = s;
            return 0;
        }
    m->sidecars = fl_realloc(m->sidecars, (m->n_sidecars + 1) * sizeof *m->sidecars);
    m->sidecars[m->n_sidecars++] = s;
    return 0;
}

/* ---------------------------------------------------------------- applying */

static int selects(const struct px_istio_sidecar *s, const struct px_label *labels, size_t n)
{
    for (size_t i = 0; i < s->n_selector; i++) {
        size_t k = 0;
        while (k < n && (strcmp(labels[k].key, s->selector[i].key) ||
                         strcmp(labels[k].value, s->selector[i].value)))
            k++;
        if (k == n) return 0;
    }
    return 1;
}

const struct px_istio_sidecar *px_istio_sidecar_for(const struct px_istio *m,
                                                    const struct px_label *labels, size_t n)
{
    const struct px_istio_sidecar *ns_default = NULL, *root_default = NULL;
    for (size_t i = 0; i < m->n_sidecars; i++) {
        const struct px_istio_sidecar *s = &m->sidecars[i];
        int own = !strcmp(s->ns, "default");
        if (own && s->n_selector && selects(s, labels, n)) return s;
        if (own && !s->n_selector && !ns_default) ns_default = s;
        if (!strcmp(s->ns, ROOT_NS) && !s->n_selector && !root_default) root_default = s;
    }
    return ns_default ? ns_default : root_default;
}

/* Whether dnsName (after the slash) names service svc of namespace "default". */
static int name_matches(const char *pattern, const char *svc)
{
    if (!strcmp(pattern, "*")) return 1;
    char *fqdn = fl_asprintf("%s.default.svc.cluster.local", svc);
    int ok;
    if (pattern[0] == '*' && pattern[1] == '.') { /* wildcard: a suffix of the FQDN */
        size_t lf = strlen(fqdn), lp = strlen(pattern + 1);
        /* an external service's name is its FQDN (a ServiceEntry host) */
        ok = (lf > lp && !strcmp(fqdn + lf - lp, pattern + 1)) ||
             px_istio_host_matches(pattern, svc);
    } else {
        char *short_name = px_istio_short_host(pattern, "default");
        ok = !strcmp(short_name, svc);
        free(short_name);
    }
    free(fqdn);
    return ok;
}

int px_istio_sidecar_sees(const struct px_istio_sidecar *s, const char *svc)
{
    FL_ASSERT(svc);
    if (!s) return 1; /* no Sidecar: every service of the mesh */
    /*
     * sidecar.proto, egress: "If omitted, Istio will automatically configure
     * the sidecar to be able to reach every service in the mesh that is
     * visible to this namespace."
     */
    if (!s->n_egress) return 1;
    for (size_t i = 0; i < s->n_egress; i++) {
        const char *h = s->egress[i], *slash = strchr(h, '/');
        FL_ASSERT(slash);
        size_t nl = (size_t)(slash - h);
        /* "." is the workload's namespace, "*" any; "~" none; services live in "default" */
        int ns_ok =
            (nl == 1 && (h[0] == '.' || h[0] == '*')) || (nl == 7 && !strncmp(h, "default", 7));
        if (ns_ok && name_matches(slash + 1, svc)) return 1;
    }
    return 0;
}
