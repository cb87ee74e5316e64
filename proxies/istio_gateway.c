/*
 * istio_gateway.c - the Gateway resource (istio/api networking/v1alpha3
 * gateway.proto; istio.io/latest/docs/reference/config/networking/gateway/):
 * reading its spec, and the host matching that binds VirtualServices to it.
 *
 * Read: selector (the labels of the gateway deployment; every Gateway is
 * served by the scenario's one ingress gateway, `istio-ingressgateway`),
 * servers[] with port {number, protocol, name, targetPort}, hosts
 * ("namespace/dnsName" or "dnsName"; the namespace part is read and left
 * out: services live in one namespace), name, and tls. Protocols HTTP,
 * HTTP2 and HTTPS carry the scenario's HTTP; HTTPS's TLS is not modeled
 * (the handshake costs nothing, certificates are inert), so tls modes
 * SIMPLE, MUTUAL and ISTIO_MUTUAL are accepted, while PASSTHROUGH and
 * AUTO_PASSTHROUGH (SNI routing of TLS the gateway does not terminate:
 * VirtualService tls routes) and httpsRedirect (a 301 to https) are
 * refused, as are other protocols (TCP, TLS, GRPC, MONGO: no HTTP routes),
 * `bind` and `defaultEndpoint` (sidecar ingress settings).
 *
 * Host matching (pilot/pkg/model host.Name Matches): "*" matches any name,
 * "*.example.com" any name ending in ".example.com" (and any narrower
 * wildcard), a name only itself; case does not matter (DNS).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

void px_istio_gateway_free(struct px_istio_gateway *g)
{
    free(g->name);
    free(g->ns);
    free(g->at);
    px_istio_labels_free(g->selector, g->n_selector);
    for (size_t i = 0; i < g->n_servers; i++) {
        for (size_t h = 0; h < g->servers[i].n_hosts; h++) free(g->servers[i].hosts[h]);
        free(g->servers[i].hosts);
        free(g->servers[i].protocol);
    }
    free(g->servers);
    memset(g, 0, sizeof *g);
}

int px_istio_host_matches(const char *pattern, const char *host)
{
    FL_ASSERT(pattern && host);
    if (!strcmp(pattern, "*")) return 1;
    if (pattern[0] != '*') return !strcasecmp(pattern, host);
    /* "*.example.com": a suffix; a wildcard host must be at least as narrow */
    size_t lp = strlen(pattern + 1), lh = strlen(host);
    if (host[0] == '*' && !strcmp(host, "*")) return 0;
    return lh > lp && !strcasecmp(host + lh - lp, pattern + 1);
}

int px_istio_vs_bound_one(const char *binding, const struct px_istio_gateway *g)
{
    const char *slash = strchr(binding, '/');
    FL_ASSERT(slash); /* istio_vs.c qualifies bare names */
    size_t nl = strlen(g->ns);
    return !strcmp(slash + 1, g->name) && (size_t)(slash - binding) == nl &&
           !strncmp(binding, g->ns, nl);
}

int px_istio_vs_bound(const struct px_istio_vs *v, const struct px_istio_gateway *g)
{
    FL_ASSERT(v && g);
    for (size_t i = 0; i < v->n_gateways; i++)
        if (px_istio_vs_bound_one(v->gateways[i], g)) return 1;
    return 0;
}

static int parse_gw_selector(struct ip *c, const yaml_node_t *n, struct px_istio_gateway *g)
{
    if (fl_y_want_map(c->d, n, "selector")) return -1;
    g->selector = fl_calloc(MAP_COUNT(n) + 1, sizeof *g->selector);
    for (size_t i = 0; i < MAP_COUNT(n); i++) {
        const char *k, *v;
        if (fl_y_string(c->d, fl_y_node(c->d, MAP_PAIRS(n)[i].key), "label name", &k) ||
            fl_y_string(c->d, fl_y_node(c->d, MAP_PAIRS(n)[i].value), "label value", &v))
            return -1;
        g->selector[g->n_selector++] = (struct px_label){fl_strdup(k), fl_strdup(v)};
    }
    return 0;
}

/* A server's port; sv->protocol stays NULL for one left out (--lenient). */
static int parse_port(struct ip *c, const yaml_node_t *n, struct px_istio_server *sv)
{
    static const char *const keys[] = {"number", "protocol", "name", "targetPort", NULL};
    static const char *const req[] = {"number", "protocol", NULL};
    static const char *const http[] = {"HTTP", "HTTP2", "HTTPS", NULL};
    long long num;
    const char *proto, *s;
    yaml_node_t *x;
    if (fl_y_want_map(c->d, n, "port") || fl_y_check_keys(c->d, n, keys, req, "port") ||
        fl_y_int(c->d, fl_y_get(c->d, n, "number"), "port number", 1, 65535, &num) ||
        fl_y_string(c->d, (x = fl_y_get(c->d, n, "protocol")), "port protocol", &proto))
        return -1;
    if ((x = fl_y_get(c->d, n, "name")) && fl_y_string(c->d, x, "port name", &s)) return -1;
    int known = 0;
    for (int i = 0; http[i]; i++) known |= !strcasecmp(proto, http[i]);
    x = fl_y_get(c->d, n, "protocol");
    if (!known) {
        char text[300];
        snprintf(text, sizeof text,
                 "%s: protocol %s is not modeled (the scenario's traffic is HTTP: use HTTP, "
                 "HTTP2 or HTTPS)",
                 c->what, proto);
        return px_istio_unmodeled(c, x, text, 1);
    }
    sv->port = (uint32_t)num;
    sv->protocol = fl_strdup(proto);
    for (char *p = sv->protocol; *p; p++) *p = (char)toupper((unsigned char)*p);
    return 0;
}

/* tls: inert (TLS is not modeled) except what changes where requests go. */
static int parse_tls(struct ip *c, const yaml_node_t *n)
{
    static const char *const modes[] = {"SIMPLE",      "MUTUAL",           "ISTIO_MUTUAL",
                                        "PASSTHROUGH", "AUTO_PASSTHROUGH", "OPTIONAL_MUTUAL",
                                        NULL};
    /* clang-format off */
    static const char *const keys[] = {
        "httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates", "caCrl",
        "credentialName", "credentialNames", "tlsCertificates", "subjectAltNames",
        "verifyCertificateSpki", "verifyCertificateHash", "minProtocolVersion",
        "maxProtocolVersion", "cipherSuites", NULL};
    /* clang-format on */
    int mode = 0, redirect = 0;
    yaml_node_t *x;
    if (fl_y_want_map(c->d, n, "tls") || fl_y_check_keys(c->d, n, keys, NULL, "tls")) return -1;
    if ((x = fl_y_get(c->d, n, "mode"))) {
        if (fl_y_enum(c->d, x, "tls.mode", modes, &mode)) return -1;
        if (mode == 3 || mode == 4)
            return px_istio_refuse(
                c, n, "mode",
                "tls.mode PASSTHROUGH / AUTO_PASSTHROUGH (SNI routing of TLS the "
                "gateway does not terminate)");
    }
    if ((x = fl_y_get(c->d, n, "httpsRedirect")) &&
        (fl_y_bool(c->d, x, "httpsRedirect", &redirect) ||
         (redirect && px_istio_refuse(c, n, "httpsRedirect", "httpsRedirect"))))
        return -1;
    return 0;
}

static int parse_server(struct ip *c, const yaml_node_t *n, struct px_istio_server *sv)
{
    static const char *const keys[] = {"port", "bind", "hosts", "tls", "name", "defaultEndpoint",
                                       NULL};
    static const char *const req[] = {"port", "hosts", NULL};
    size_t count;
    const char *s;
    yaml_node_t *x;
    if (fl_y_want_map(c->d, n, "a server") || fl_y_check_keys(c->d, n, keys, req, "server") ||
        px_istio_refuse(c, n, "bind", "server bind") ||
        px_istio_refuse(c, n, "defaultEndpoint", "server defaultEndpoint") ||
        parse_port(c, fl_y_get(c->d, n, "port"), sv))
        return -1;
    if ((x = fl_y_get(c->d, n, "name")) && fl_y_string(c->d, x, "server name", &s)) return -1;
    if ((x = fl_y_get(c->d, n, "tls")) && parse_tls(c, x)) return -1;
    x = fl_y_get(c->d, n, "hosts");
    if (px_istio_str_items(c, x, "server hosts", &count)) return -1;
    if (!count) return fl_y_error(c->d, x, "%s: a server needs at least one host", c->what);
    sv->hosts = fl_calloc(count, sizeof *sv->hosts);
    for (size_t i = 0; i < count; i++) {
        const char *h = fl_y_str(px_istio_item(c, x, i)), *slash = strchr(h, '/');
        if (slash && (slash == h || !slash[1]))
            return fl_y_error(c->d, px_istio_item(c, x, i),
                              "%s: server host '%s' must be dnsName or namespace/dnsName", c->what,
                              h);
        sv->hosts[sv->n_hosts++] = fl_strdup(slash ? slash + 1 : h);
    }
    return 0;
}

static int gateway_body(struct ip *c, const yaml_node_t *spec, struct px_istio_gateway *g)
{
    yaml_node_t *x;
    if ((x = fl_y_get(c->d, spec, "selector")) && parse_gw_selector(c, x, g)) return -1;
    x = fl_y_get(c->d, spec, "servers");
    if (fl_y_want_seq(c->d, x, "servers")) return -1;
    g->servers = fl_calloc(SEQ_COUNT(x) + 1, sizeof *g->servers);
    for (size_t i = 0; i < SEQ_COUNT(x); i++) {
        struct px_istio_server *sv = &g->servers[g->n_servers++];
        if (parse_server(c, px_istio_item(c, x, i), sv)) return -1;
        if (!sv->protocol) { /* left out (--lenient) */
            for (size_t h = 0; h < sv->n_hosts; h++) free(sv->hosts[h]);
            free(sv->hosts);
            memset(sv, 0, sizeof *sv);
            g->n_servers--;
        }
    }
    return 0;
}

int px_istio_parse_gateway(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"selector", "servers", NULL};
    static const char *const req[] = {"servers", NULL};
    if (fl_y_check_keys(c->d, spec, keys, req, c->what)) return -1;
    struct px_istio_gateway g = {0};
    g.name = fl_strdup(c->name);
    g.ns = fl_strdup(c->ns);
    g.at = px_istio_at(c, c->node);
    if (gateway_body(c, spec, &g)) {
        px_istio_gateway_free(&g);
        return -1;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_gateways; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->gateways[i].name, g.name) && !strcmp(m->gateways[i].ns, g.ns)) {
            px_istio_note_replaced(c, m->gateways[i].at, g.at);
            px_istio_gateway_free(&m->gateways[i]);
            m->gateways[i] = g;
            return 0;
        }
    m->gateways = fl_realloc(m->gateways, (m->n_gateways + 1) * sizeof *m->gateways);
    m->gateways[m->n_gateways++] = g;
    FL_ASSERT(m->n_gateways >= 1);
    return 0;
}
