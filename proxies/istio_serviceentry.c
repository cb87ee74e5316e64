/*
 * istio_serviceentry.c - the ServiceEntry resource (istio/api
 * networking/v1alpha3 service_entry.proto;
 * istio.io/latest/docs/reference/config/networking/service-entry/): hosts
 * outside the mesh's registry made known to the sidecars, so that they
 * get a cluster ("outbound|PORT||HOST") and the VirtualServices and
 * DestinationRules for those hosts apply (istio_build.c).
 *
 * Read: hosts (DNS names, "*.suffix"), ports[] {number, protocol, name,
 * targetPort} (the first HTTP one names the cluster), resolution (NONE,
 * STATIC, DNS, DNS_ROUND_ROBIN) and location (MESH_EXTERNAL,
 * MESH_INTERNAL), endpoints[] and addresses, exportTo, subjectAltNames.
 * What stands for the remote endpoints is the scenario's external service
 * of the same name (`external: true`): its pods are the addresses, so
 * resolution, location, endpoints and addresses are read and inert.
 * Refused: workloadSelector (WorkloadEntries are not modeled) and ports
 * whose protocol is not HTTP or HTTP2 (HTTPS, TLS, TCP: the sidecar would
 * proxy them as TCP by SNI, none of the http routes, retries or 5xx
 * outlier detection would apply; model the application calling over HTTP
 * with TLS origination by the DestinationRule, as Istio's egress TLS
 * origination task does).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

void px_istio_se_free(struct px_istio_se *s)
{
    free(s->name);
    free(s->ns);
    free(s->at);
    for (size_t i = 0; i < s->n_hosts; i++) {
        free(s->hosts[i]);
        free(s->host_at[i]);
    }
    free(s->hosts);
    free(s->host_at);
    memset(s, 0, sizeof *s);
}

const struct px_istio_se *px_istio_se_for(const struct px_istio *m, const char *host)
{
    FL_ASSERT(m && host);
    for (size_t i = 0; i < m->n_ses; i++)
        for (size_t h = 0; h < m->ses[i].n_hosts; h++)
            if (px_istio_host_matches(m->ses[i].hosts[h], host)) return &m->ses[i];
    return NULL;
}

/* One port; *http is 1 for HTTP and HTTP2 (the scenario's traffic). */
static int se_port(struct ip *c, const yaml_node_t *n, uint32_t *number, int *http)
{
    static const char *const keys[] = {"number", "protocol", "name", "targetPort", NULL};
    static const char *const req[] = {"number", NULL};
    long long num, target;
    const char *proto = "HTTP", *s;
    yaml_node_t *x;
    if (fl_y_want_map(c->d, n, "a port") || fl_y_check_keys(c->d, n, keys, req, "port") ||
        fl_y_int(c->d, fl_y_get(c->d, n, "number"), "port number", 1, 65535, &num) ||
        ((x = fl_y_get(c->d, n, "protocol")) && fl_y_string(c->d, x, "port protocol", &proto)) ||
        ((x = fl_y_get(c->d, n, "name")) && fl_y_string(c->d, x, "port name", &s)) ||
        ((x = fl_y_get(c->d, n, "targetPort")) &&
         fl_y_int(c->d, x, "targetPort", 1, 65535, &target)))
        return -1;
    *number = (uint32_t)num;
    FL_ASSERT(*number >= 1 && *number <= 65535);
    *http = !strcasecmp(proto, "HTTP") || !strcasecmp(proto, "HTTP2");
    if (*http) return 0;
    char text[400];
    snprintf(text, sizeof text,
             "%s: port %lld protocol %s is not modeled (the sidecar would proxy it as TCP, so "
             "no http route, retry or outlier detection on 5xx applies; use HTTP with TLS "
             "origination by a DestinationRule)",
             c->what, num, proto);
    return px_istio_unmodeled(c, fl_y_get(c->d, n, "protocol"), text, 1);
}

static int se_ports(struct ip *c, const yaml_node_t *n, struct px_istio_se *se)
{
    if (fl_y_want_seq(c->d, n, "ports")) return -1;
    if (!SEQ_COUNT(n)) return fl_y_error(c->d, n, "%s: ports must not be empty", c->what);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        uint32_t num;
        int http;
        if (se_port(c, px_istio_item(c, n, i), &num, &http)) return -1;
        if (http && !se->port) se->port = num;
    }
    /* the first HTTP port, or 0 when none is */
    FL_ASSERT(se->port <= 65535);
    return 0;
}

static int se_hosts(struct ip *c, const yaml_node_t *n, struct px_istio_se *se)
{
    size_t count;
    if (px_istio_str_items(c, n, "hosts", &count)) return -1;
    if (!count) return fl_y_error(c->d, n, "%s: hosts must not be empty", c->what);
    se->hosts = fl_calloc(count, sizeof *se->hosts);
    se->host_at = fl_calloc(count, sizeof *se->host_at);
    for (; se->n_hosts < count; se->n_hosts++) {
        const yaml_node_t *h = px_istio_item(c, n, se->n_hosts);
        se->hosts[se->n_hosts] = fl_strdup(fl_y_str(h));
        se->host_at[se->n_hosts] = px_istio_at(c, h);
    }
    FL_ASSERT(se->n_hosts == count && count > 0);
    return 0;
}

/* endpoints: WorkloadEntry shapes, read for their keys (the scenario's pods stand for them). */
static int se_endpoints(struct ip *c, const yaml_node_t *n)
{
    static const char *const keys[] = {"address",  "ports",  "labels",         "network",
                                       "locality", "weight", "serviceAccount", NULL};
    const char *s;
    if (fl_y_want_seq(c->d, n, "endpoints")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *e = px_istio_item(c, n, i), *x;
        if (fl_y_want_map(c->d, e, "an endpoint") ||
            fl_y_check_keys(c->d, e, keys, NULL, "endpoint") ||
            ((x = fl_y_get(c->d, e, "address")) && fl_y_string(c->d, x, "address", &s)))
            return -1;
    }
    return 0;
}

static int se_body(struct ip *c, const yaml_node_t *spec, struct px_istio_se *se)
{
    static const char *const resolutions[] = {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", NULL};
    static const char *const locations[] = {"MESH_EXTERNAL", "MESH_INTERNAL", NULL};
    size_t n;
    yaml_node_t *x;
    if (se_hosts(c, fl_y_get(c->d, spec, "hosts"), se) ||
        se_ports(c, fl_y_get(c->d, spec, "ports"), se))
        return -1;
    if ((x = fl_y_get(c->d, spec, "resolution")) &&
        fl_y_enum(c->d, x, "resolution", resolutions, &se->resolution))
        return -1;
    if ((x = fl_y_get(c->d, spec, "location")) &&
        fl_y_enum(c->d, x, "location", locations, &se->mesh_internal))
        return -1;
    static const char *const lists[] = {"addresses", "exportTo", "subjectAltNames", NULL};
    for (int i = 0; lists[i]; i++)
        if ((x = fl_y_get(c->d, spec, lists[i])) && px_istio_str_items(c, x, lists[i], &n))
            return -1;
    if ((x = fl_y_get(c->d, spec, "endpoints")) && se_endpoints(c, x)) return -1;
    return 0;
}

int px_istio_parse_se(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {
        "hosts",     "addresses", "ports",           "location",         "resolution",
        "endpoints", "exportTo",  "subjectAltNames", "workloadSelector", NULL};
    static const char *const req[] = {"hosts", "ports", NULL};
    if (fl_y_check_keys(c->d, spec, keys, req, c->what) ||
        px_istio_refuse(c, spec, "workloadSelector", "workloadSelector (WorkloadEntries)"))
        return -1;
    struct px_istio_se se = {0};
    se.name = fl_strdup(c->name);
    se.ns = fl_strdup(c->ns);
    se.at = px_istio_at(c, c->node);
    if (se_body(c, spec, &se)) {
        px_istio_se_free(&se);
        return -1;
    }
    if (!se.port) { /* every port refused (--lenient): nothing the model can route */
        px_istio_se_free(&se);
        return 0;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_ses; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->ses[i].name, se.name) && !strcmp(m->ses[i].ns, se.ns)) {
            px_istio_note_replaced(c, m->ses[i].at, se.at);
            px_istio_se_free(&m->ses[i]);
            m->ses[i] = se;
            return 0;
        }
    m->ses = fl_realloc(m->ses, (m->n_ses + 1) * sizeof *m->ses);
    m->ses[m->n_ses++] = se;
    FL_ASSERT(m->n_ses >= 1);
    return 0;
}
