/*
 * istio_vs_http.c - the HTTPRoute fields of a VirtualService that answer
 * or edit a request (istio.io/latest/docs/reference/config/networking/
 * virtual-service), read into the proxy's policies (edge.h), as istiod
 * hands them to Envoy (pilot/pkg/networking/core/route/route.go):
 *
 *  - headers {request, response} {set, add, remove}, on the route and on a
 *    destination: Envoy's request/response_headers_to_add (set: overwrite
 *    or add; add: append) and _to_remove, removal first (Envoy's
 *    HeaderParser); a destination's edits apply before the route's, so
 *    the route's win (most_specific_header_mutations_wins false);
 *  - redirect {uri, authority, port, scheme, redirectCode 301}: the
 *    Location keeps each part of the request not given (an authority
 *    replaces the request's port too, as Envoy's host_redirect); uri
 *    replaces the whole path;
 *  - directResponse {status, body {string | bytes}}: the proxy answers;
 *    a body goes out as text/plain (Envoy's local reply);
 *  - corsPolicy {allowOrigins (exact, prefix, regex), allowOrigin (exact,
 *    deprecated), allowMethods, allowHeaders, exposeHeaders, maxAge,
 *    allowCredentials}: Envoy's CORS filter - a preflight from an allowed
 *    origin is answered 200 by the proxy, other requests from an allowed
 *    origin get Access-Control-Allow-Origin (the origin), -Credentials and
 *    -Expose-Headers.
 *
 * Refused as not supported yet: redirect derivePort, corsPolicy
 * unmatchedPreflights Ignore.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

/* {set: {k: v}, add: {k: v}, remove: [k]}: removal first, then set, then add. */
static int header_ops(struct ip *c, const yaml_node_t *n, const char *what, struct px_hdr_ops *o)
{
    static const char *const keys[] = {"set", "add", "remove", NULL};
    static const char *const maps[] = {"set", "add"};
    static const enum px_hdr_op_kind kinds[] = {PX_HDR_SET, PX_HDR_APPEND};
    yaml_node_t *x;
    size_t count;
    if (fl_y_want_map(c->d, n, what) || fl_y_check_keys(c->d, n, keys, NULL, what)) return -1;
    if ((x = fl_y_get(c->d, n, "remove"))) {
        if (px_istio_str_items(c, x, "headers remove", &count)) return -1;
        for (size_t i = 0; i < count; i++)
            px_hdr_ops_add(o, PX_HDR_REMOVE, fl_y_str(px_istio_item(c, x, i)), NULL);
    }
    FL_ASSERT(o != NULL);
    for (int k = 0; k < 2; k++) {
        if (!(x = fl_y_get(c->d, n, maps[k]))) continue;
        if (fl_y_want_map(c->d, x, maps[k])) return -1;
        for (yaml_node_pair_t *p = MAP_PAIRS(x); p < x->data.mapping.pairs.top; p++) {
            const char *v;
            if (fl_y_string(c->d, fl_y_node(c->d, p->value), "header value", &v)) return -1;
            px_hdr_ops_add(o, kinds[k], fl_y_str(fl_y_node(c->d, p->key)), v);
        }
    }
    return 0;
}

int px_istio_parse_headers(struct ip *c, const yaml_node_t *n, struct px_hdr_ops *req,
                           struct px_hdr_ops *resp)
{
    static const char *const keys[] = {"request", "response", NULL};
    yaml_node_t *x;
    if (fl_y_want_map(c->d, n, "headers") || fl_y_check_keys(c->d, n, keys, NULL, "headers"))
        return -1;
    if ((x = fl_y_get(c->d, n, "request")) && header_ops(c, x, "headers request", req)) return -1;
    if ((x = fl_y_get(c->d, n, "response")) && header_ops(c, x, "headers response", resp))
        return -1;
    return 0;
}

static struct px_edge *edge_new(enum px_edge_kind kind, const char *name)
{
    FL_ASSERT(kind == PX_EDGE_RESPOND || kind == PX_EDGE_CORS);
    struct px_edge *e = fl_calloc(1, sizeof *e);
    e->kind = kind;
    e->name = fl_strdup(name);
    return e;
}

static int edge_fail(struct px_edge *e)
{
    px_edge_free(e);
    free(e);
    return -1;
}

static int opt_string(struct ip *c, const yaml_node_t *n, const char *key, const char *what,
                      char **out)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    const char *s;
    if (!x) return 0;
    if (fl_y_string(c->d, x, what, &s)) return -1;
    *out = fl_strdup(s);
    return 0;
}

int px_istio_parse_redirect(struct ip *c, const yaml_node_t *n, struct px_edge **out)
{
    static const char *const keys[] = {"uri",          "authority",  "port", "scheme",
                                       "redirectCode", "derivePort", NULL};
    struct px_edge *e = edge_new(PX_EDGE_RESPOND, "redirect");
    struct px_edge_respond *r = &e->u.respond;
    long long code = 301, port = 0;
    yaml_node_t *x;
    r->redirect = 1;
    if (fl_y_want_map(c->d, n, "redirect") || fl_y_check_keys(c->d, n, keys, NULL, "redirect") ||
        px_istio_refuse(c, n, "derivePort", "redirect derivePort") ||
        opt_string(c, n, "uri", "redirect uri", &r->redirect_uri) ||
        opt_string(c, n, "authority", "redirect authority", &r->redirect_host) ||
        opt_string(c, n, "scheme", "redirect scheme", &r->redirect_scheme) ||
        ((x = fl_y_get(c->d, n, "port")) && fl_y_int(c->d, x, "redirect port", 1, 65535, &port)) ||
        ((x = fl_y_get(c->d, n, "redirectCode")) &&
         fl_y_int(c->d, x, "redirectCode", 300, 399, &code)))
        return edge_fail(e);
    r->status = (int)code;
    r->redirect_port = (int)port;
    FL_ASSERT(r->redirect && r->status >= 300 && r->status <= 399 && port >= 0 && port <= 65535);
    *out = e;
    return 0;
}

static int body_bytes(struct ip *c, const yaml_node_t *x, char **out)
{
    const char *s;
    if (fl_y_string(c->d, x, "directResponse body bytes", &s)) return -1;
    size_t len = strlen(s);
    unsigned char *buf = fl_malloc(len / 4 * 3 + 4);
    int n = len % 4 ? -1 : EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
    if (n < 0) {
        free(buf);
        return fl_y_error(c->d, x, "directResponse body bytes: not base64");
    }
    while (len && s[--len] == '=') n--; /* EVP_DecodeBlock counts the padding */
    FL_ASSERT(n >= 0);
    buf[n] = '\0';
    if (memchr(buf, '\0', (size_t)n)) {
        free(buf);
        return fl_y_error(c->d, x, "directResponse body bytes: a NUL byte is not supported");
    }
    *out = (char *)buf;
    FL_ASSERT(strlen(*out) == (size_t)n);
    return 0;
}

int px_istio_parse_direct(struct ip *c, const yaml_node_t *n, struct px_edge **out)
{
    static const char *const keys[] = {"status", "body", NULL}, *const req[] = {"status", NULL};
    static const char *const bkeys[] = {"string", "bytes", NULL};
    struct px_edge *e = edge_new(PX_EDGE_RESPOND, "directResponse");
    struct px_edge_respond *r = &e->u.respond;
    long long status;
    yaml_node_t *b, *x;
    if (fl_y_want_map(c->d, n, "directResponse") ||
        fl_y_check_keys(c->d, n, keys, req, "directResponse") ||
        fl_y_int(c->d, fl_y_get(c->d, n, "status"), "directResponse status", 200, 599, &status))
        return edge_fail(e);
    r->status = (int)status;
    if ((b = fl_y_get(c->d, n, "body"))) {
        if (fl_y_want_map(c->d, b, "directResponse body") ||
            fl_y_check_keys(c->d, b, bkeys, NULL, "directResponse body"))
            return edge_fail(e);
        if (MAP_COUNT(b) != 1) {
            fl_y_error(c->d, b, "directResponse body takes one of string, bytes");
            return edge_fail(e);
        }
        if (opt_string(c, b, "string", "directResponse body string", &r->body) ||
            ((x = fl_y_get(c->d, b, "bytes")) && body_bytes(c, x, &r->body)))
            return edge_fail(e);
        r->content_type = fl_strdup("text/plain");
    }
    /* respond_request (edge.c) answers with this status */
    FL_ASSERT(r->status >= 200 && r->status <= 599 && !r->redirect);
    *out = e;
    return 0;
}

/* A comma-joined list of strings (NULL when absent). */
static int joined_list(struct ip *c, const yaml_node_t *n, const char *key, char **out)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    size_t count;
    if (!x) return 0;
    if (px_istio_str_items(c, x, key, &count)) return -1;
    char *s = fl_strdup("");
    for (size_t i = 0; i < count; i++) {
        char *next = fl_asprintf("%s%s%s", s, i ? "," : "", fl_y_str(px_istio_item(c, x, i)));
        free(s);
        s = next;
    }
    *out = s;
    FL_ASSERT(count > 0 || !*s);
    return 0;
}

static int cors_origins(struct ip *c, const yaml_node_t *n, struct px_edge_cors *k)
{
    static const char *const mkeys[] = {"exact", "prefix", "regex", NULL};
    static const enum px_match_kind kinds[] = {PX_MATCH_EXACT, PX_MATCH_PREFIX, PX_MATCH_REGEX};
    yaml_node_t *o = fl_y_get(c->d, n, "allowOrigins"), *old = fl_y_get(c->d, n, "allowOrigin");
    size_t n_o = o && o->type == YAML_SEQUENCE_NODE ? SEQ_COUNT(o) : 0, n_old = 0;
    if ((o && fl_y_want_seq(c->d, o, "allowOrigins")) ||
        (old && px_istio_str_items(c, old, "allowOrigin", &n_old)))
        return -1;
    k->origins = fl_calloc(n_o + n_old + 1, sizeof *k->origins);
    for (size_t i = 0; i < n_o + n_old; i++) {
        yaml_node_t *m = i < n_o ? px_istio_item(c, o, i) : px_istio_item(c, old, i - n_o);
        enum px_match_kind kind = PX_MATCH_EXACT;
        const char *v = fl_y_str(m);
        char *err = NULL;
        if (i < n_o) {
            if (fl_y_want_map(c->d, m, "allowOrigins item") ||
                fl_y_check_keys(c->d, m, mkeys, NULL, "allowOrigins item"))
                return -1;
            if (MAP_COUNT(m) != 1)
                return fl_y_error(c->d, m, "allowOrigins item takes one of exact, prefix, regex");
            int j = 0;
            while (!fl_y_get(c->d, m, mkeys[j])) j++;
            kind = kinds[j];
            if (fl_y_string(c->d, fl_y_get(c->d, m, mkeys[j]), "allowOrigins", &v)) return -1;
        }
        if (px_match_init(&k->origins[k->n_origins], kind, v, 0, &err)) {
            fl_y_error(c->d, m, "allowOrigins: %s", err);
            free(err);
            return -1;
        }
        k->n_origins++;
    }
    FL_ASSERT(k->n_origins == n_o + n_old);
    return 0;
}

int px_istio_parse_cors(struct ip *c, const yaml_node_t *n, struct px_edge **out)
{
    static const char *const keys[] = {"allowOrigins",     "allowOrigin",         "allowMethods",
                                       "allowHeaders",     "exposeHeaders",       "maxAge",
                                       "allowCredentials", "unmatchedPreflights", NULL};
    static const char *const unmatched[] = {"UNSPECIFIED", "FORWARD", "IGNORE", NULL};
    struct px_edge *e = edge_new(PX_EDGE_CORS, "corsPolicy");
    struct px_edge_cors *k = &e->u.cors;
    yaml_node_t *x;
    int u = 0;
    k->reflect = 1;
    k->max_age_s = -1;
    if (fl_y_want_map(c->d, n, "corsPolicy") ||
        fl_y_check_keys(c->d, n, keys, NULL, "corsPolicy") || cors_origins(c, n, k) ||
        joined_list(c, n, "allowMethods", &k->methods) ||
        joined_list(c, n, "allowHeaders", &k->headers) ||
        joined_list(c, n, "exposeHeaders", &k->expose) ||
        ((x = fl_y_get(c->d, n, "allowCredentials")) &&
         fl_y_bool(c->d, x, "allowCredentials", &k->credentials)) ||
        ((x = fl_y_get(c->d, n, "unmatchedPreflights")) &&
         fl_y_enum(c->d, x, "unmatchedPreflights", unmatched, &u)))
        return edge_fail(e);
    if (u == 2) {
        fl_y_error(c->d, x, "%s: unmatchedPreflights IGNORE is not supported yet", c->what);
        return edge_fail(e);
    }
    if ((x = fl_y_get(c->d, n, "maxAge"))) {
        int64_t ns;
        if (px_istio_go_duration(c, x, "maxAge", 0, &ns)) return edge_fail(e);
        k->max_age_s = ns / 1000000000;
    }
    *out = e;
    return 0;
}
