/*
 * kong_route.c - reads Kong's routes (kong/db/schema/entities/routes.lua),
 * nested under a service or at the top level naming one (`service: name`,
 * or {name: ..} / {id: ..}): protocols, methods, hosts, paths, headers,
 * strip_path, preserve_host, regex_priority, and the plugins nested under
 * a route.
 *
 * Defaults as Kong's: protocols [http, https], strip_path true,
 * preserve_host false, regex_priority 0. Route paths: a plain path is a
 * prefix; "~re" is a regex (Kong 3.x), checked here to compile with RE2's
 * rules. With _format_version 1.1 or 2.1, Kong 3 turns a path with a
 * character outside [a-zA-Z0-9.-_~/%] into a regex (declarative migration
 * route_path.lua), and so does this file. A header value "~*re" is a
 * regex, matched without case. Route hosts are Kong 3's: a name or
 * "*.suffix".
 *
 * Refused by name, as not supported yet: expressions routes, snis, stream
 * routes (sources, destinations), routes without http in their protocols
 * (https-only, grpc), prefix wildcards ("example.*") and ports in route
 * hosts. path_handling v1 is read and handled as v0, as Kong 3's
 * traditional_compatible router does. The order Kong's router gives routes
 * is kong_build.c's.
 */
#include "proxies/kong_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"

/* Kong's protocols (routes and services); only the first two, http and https, run. */
const char *const px_kong_protocols[] = {
    "http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss", NULL};

static int route_protocols(struct kp *c, const yaml_node_t *n, const char *what)
{
    if (fl_y_want_seq(c->d, n, "protocols")) return -1;
    int has_http = 0, p;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *x = px_kong_item(c, n, i);
        if (fl_y_enum(c->d, x, "route protocol", px_kong_protocols, &p)) return -1;
        if (p > 1)
            return fl_y_error(c->d, x, "%s: protocol '%s' is not supported yet", what,
                              px_kong_protocols[p]);
        has_http |= p == 0;
        FL_ASSERT(p == 0 || p == 1);
    }
    if (!has_http)
        return fl_y_error(c->d, n,
                          "%s: routes without 'http' in protocols are not supported yet "
                          "(faultline's clients speak plain HTTP)",
                          what);
    return 0;
}

static int route_methods(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    if (px_kong_str_list(c, n, "methods", &r->methods, &r->n_methods)) return -1;
    for (size_t i = 0; i < r->n_methods; i++)
        for (const char *p = r->methods[i]; *p; p++)
            if (*p < 'A' || *p > 'Z')
                return fl_y_error(c->d, px_kong_item(c, n, i),
                                  "method '%s': invalid value, use uppercase letters (GET)",
                                  r->methods[i]);
    return 0;
}

/* Kong 3 route hosts: a name or "*.suffix" ("prefix.*" and ports are refused for now). */
static int route_hosts(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    if (px_kong_str_list(c, n, "hosts", &r->hosts, &r->n_hosts)) return -1;
    for (size_t i = 0; i < r->n_hosts; i++) {
        const char *h = r->hosts[i], *star = strchr(h, '*');
        size_t len = strlen(h);
        yaml_node_t *x = px_kong_item(c, n, i);
        if (strchr(h, ':'))
            return fl_y_error(c->d, x, "host '%s': ports in route hosts are not supported yet", h);
        if (!star || (star == h && h[1] == '.' && h[2] && !strchr(h + 1, '*'))) continue;
        if (star == h + len - 1 && len > 2 && h[len - 2] == '.' && star == strrchr(h, '*'))
            return fl_y_error(c->d, x, "host '%s': trailing wildcards are not supported yet", h);
        return fl_y_error(c->d, x,
                          "host '%s': invalid wildcard: must be placed at leftmost or "
                          "rightmost label",
                          h);
    }
    return 0;
}

/* The regex of a Kong "~re" path, as a whole-string matcher: anchored at the start only. */
char *px_kong_path_regex(const char *re)
{
    return fl_asprintf("(?:%s)(?s:.*)", re);
}

/* Checks that a regex compiles under RE2 rules; located error otherwise. */
static int check_regex(struct kp *c, const yaml_node_t *at, const char *re, int ignore_case)
{
    FL_ASSERT(re && at);
    struct px_match m;
    char *err = NULL;
    if (px_match_init(&m, PX_MATCH_REGEX, re, ignore_case, &err) == 0) {
        px_match_free(&m);
        return 0;
    }
    fl_y_error(c->d, at, "%s", err);
    free(err);
    return -1;
}

/* Kong 3's migration of pre-3.0 paths: not [a-zA-Z0-9.-_~/%]* means a regex. */
static int looks_like_regex(const char *p)
{
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-_~/%", *p)) return 1;
    return 0;
}

static int route_paths(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    if (px_kong_str_list(c, n, "paths", &r->paths, &r->n_paths)) return -1;
    for (size_t i = 0; i < r->n_paths; i++) {
        yaml_node_t *x = px_kong_item(c, n, i);
        if (c->legacy_paths && looks_like_regex(r->paths[i])) {
            char *re = fl_asprintf("~%s", r->paths[i]);
            free(r->paths[i]);
            r->paths[i] = re;
        }
        const char *p = r->paths[i];
        if (p[0] == '~') {
            char *re = px_kong_path_regex(p + 1);
            int rc = check_regex(c, x, re, 0);
            free(re);
            if (rc) return -1;
        } else if (p[0] != '/') {
            return fl_y_error(c->d, x, "path '%s' should start with: / (or ~ for a regex)", p);
        } else if (strstr(p, "//")) {
            return fl_y_error(c->d, x, "path '%s' must not have empty segments", p);
        }
        /* a path is a checked regex (~) or starts with '/' */
        FL_ASSERT(p[0] == '~' || p[0] == '/');
    }
    return 0;
}

static int route_headers(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    if (fl_y_want_map(c->d, n, "headers")) return -1;
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    r->headers = fl_calloc(count ? count : 1, sizeof *r->headers);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = fl_y_node(c->d, p->key), *vn = fl_y_node(c->d, p->value);
        const char *name;
        if (fl_y_string(c->d, kn, "header name", &name)) return -1;
        if (!strcasecmp(name, "host"))
            return fl_y_error(c->d, kn,
                              "cannot contain 'host' header, which must be specified "
                              "in the 'hosts' attribute");
        struct px_kong_header *h = &r->headers[r->n_headers++];
        FL_ASSERT(r->n_headers <= count);
        h->name = fl_strdup(name);
        if (px_kong_str_list(c, vn, "header values", &h->values, &h->n_values)) return -1;
        if (!h->n_values) return fl_y_error(c->d, vn, "header '%s' needs a value", name);
        for (size_t i = 0; i < h->n_values; i++) {
            const char *v = h->values[i];
            if (v[0] != '~' || v[1] != '*') continue;
            char *re = fl_asprintf("(?s:.*)(?:%s)(?s:.*)", v + 2);
            int rc = check_regex(c, px_kong_item(c, vn, i), re, 1);
            free(re);
            if (rc) return -1;
        }
    }
    return 0;
}

#define ROUTE_KEYS                                                                                 \
    "id", "created_at", "updated_at", "name", "protocols", "methods", "hosts", "paths", "headers", \
        "https_redirect_status_code", "regex_priority", "strip_path", "path_handling",             \
        "preserve_host", "request_buffering", "response_buffering", "snis", "sources",             \
        "destinations", "tags", "plugins", "expression", "priority"
static const char *const route_keys_top[] = {ROUTE_KEYS, "service", NULL};
static const char *const route_keys_nested[] = {ROUTE_KEYS, NULL};

/* Fields Kong has for routes that faultline cannot run yet. */
static int route_unsupported(struct kp *c, const yaml_node_t *n, const char *what)
{
    static const char *const keys[] = {"expression", "priority",     "snis",
                                       "sources",    "destinations", NULL};
    static const char *const why[] = {"expressions routes", "expressions routes", "snis",
                                      "stream routes (sources)", "stream routes (destinations)"};
    char msg[200];
    for (int i = 0; keys[i]; i++) {
        snprintf(msg, sizeof msg, "%s: %s are not supported yet", what, why[i]);
        if (px_kong_refuse_nonempty(c, n, keys[i], msg)) return -1;
    }
    return 0;
}

static int route_flags(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    static const char *const handling[] = {"v0", "v1", NULL};
    yaml_node_t *x;
    long long v;
    int b, e;
    if (px_kong_opt_bool(c, n, "strip_path", "strip_path", &r->strip_path) ||
        px_kong_opt_bool(c, n, "preserve_host", "preserve_host", &r->preserve_host) ||
        px_kong_opt_bool(c, n, "request_buffering", "request_buffering", &b) ||
        px_kong_opt_bool(c, n, "response_buffering", "response_buffering", &b))
        return -1;
    if ((x = fl_y_get(c->d, n, "regex_priority"))) {
        if (fl_y_int(c->d, x, "regex_priority", INT32_MIN, INT32_MAX, &v)) return -1;
        r->regex_priority = (int)v;
    }
    if ((x = fl_y_get(c->d, n, "https_redirect_status_code"))) {
        if (fl_y_int(c->d, x, "https_redirect_status_code", 301, 426, &v)) return -1;
        if (v != 426 && v != 301 && v != 302 && v != 307 && v != 308)
            return fl_y_error(c->d, x,
                              "https_redirect_status_code: expected one of: 426, 301, "
                              "302, 307, 308");
    }
    /* v1 is deprecated; Kong 3's traditional_compatible router handles paths as v0 */
    if ((x = fl_y_get(c->d, n, "path_handling")) &&
        fl_y_enum(c->d, x, "path_handling", handling, &e))
        return -1;
    return 0;
}

static int route_matchers(struct kp *c, const yaml_node_t *n, struct px_kong_route *r,
                          const char *what)
{
    yaml_node_t *x;
    if ((x = fl_y_get(c->d, n, "protocols")) && route_protocols(c, x, what)) return -1;
    if ((x = fl_y_get(c->d, n, "methods")) && route_methods(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "hosts")) && route_hosts(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "paths")) && route_paths(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "headers")) && route_headers(c, x, r)) return -1;
    if (!r->n_methods && !r->n_hosts && !r->n_paths && !r->n_headers)
        return fl_y_error(c->d, n,
                          "%s: must set one of 'methods', 'hosts', 'headers', 'paths' "
                          "when 'protocols' is 'http'",
                          what);
    FL_ASSERT(r->n_methods || r->n_hosts || r->n_paths || r->n_headers);
    return 0;
}

static struct px_kong_route *route_new(struct kp *c, const yaml_node_t *n, int service)
{
    size_t idx = c->k->n_routes;
    FL_GROW(c->k->routes, c->cap_routes, idx + 1);
    struct px_kong_route *r = &c->k->routes[idx];
    memset(r, 0, sizeof *r);
    r->service = service;
    r->strip_path = 1;
    c->k->n_routes++;
    FL_ASSERT(c->k->n_routes == idx + 1 && c->k->n_routes <= c->cap_routes);
    if (px_kong_read_id(c, n, &c->route_ids, &c->cap_rids, idx)) return NULL;
    return r;
}

/* A route; service is its service's index when nested (-1 at the top level). */
int px_kong_parse_route(struct kp *c, const yaml_node_t *n, int service)
{
    const int top = service < 0;
    const char *name = NULL;
    char what[160];
    if (fl_y_want_map(c->d, n, "a route")) return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name");
    if (nn && px_kong_utf8_name(c, nn, "route name", &name)) return -1;
    for (size_t i = 0; name && i < c->k->n_routes; i++)
        if (c->k->routes[i].name && !strcmp(c->k->routes[i].name, name))
            return fl_y_error(c->d, nn, "route '%s' is defined twice", name);
    px_kong_describe(what, sizeof what, "route", name, c->k->n_routes);
    if (fl_y_check_keys(c->d, n, top ? route_keys_top : route_keys_nested, NULL, what) ||
        route_unsupported(c, n, what))
        return -1;
    struct px_kong_route *r = route_new(c, n, service);
    if (!r) return -1;
    r->name = name ? fl_strdup(name) : NULL;
    yaml_node_t *x = fl_y_get(c->d, n, "service");
    if (top && !x) return fl_y_error(c->d, n, "%s has no service (not supported yet)", what);
    if (top && px_kong_resolve_ref(c, x, K_SERVICE, &r->service)) return -1;
    /* every route has its service: nested, the enclosing one; top level, the one named */
    FL_ASSERT(r->service >= 0 && (size_t)r->service < c->k->n_services);
    if (route_matchers(c, n, r, what) || route_flags(c, n, r)) return -1;
    int idx = (int)(c->k->n_routes - 1);
    if ((x = fl_y_get(c->d, n, "tags")) && fl_y_want_seq(c->d, x, "tags")) return -1;
    if ((x = fl_y_get(c->d, n, "plugins")) && px_kong_parse_plugins(c, x, PX_KONG_ROUTE, idx))
        return -1;
    return 0;
}
