/*
 * kong_plugin_edge.c - the config of Kong's plugins that change traffic
 * and are modelled (edge.h), read with the keys and defaults of each
 * plugin's schema (kong/plugins/<name>/schema.lua; docs.konghq.com/hub/
 * kong-inc/<name>), into one policy each:
 *
 *   correlation-id      header_name Kong-Request-ID, generator uuid#counter,
 *                       echo_downstream false                 (priority 100001)
 *   cors                origins, methods (Kong's nine), headers,
 *                       exposed_headers, credentials false, max_age,
 *                       preflight_continue false               (2000)
 *   ip-restriction      allow / deny (at least one), status 403, message
 *                       "Your IP address is not allowed"       (990)
 *   request-size-limiting allowed_payload_size 128, size_unit megabytes
 *                       (2^20 bytes), require_content_length false (951)
 *   jwt, key-auth, acl  kong_plugin_auth.c              (1450, 1250, 950)
 *   request-transformer remove / rename / replace / add / append of headers
 *                       and querystring, http_method, replace.uri (801)
 *   response-transformer the same for headers                   (800)
 *   proxy-cache         strategy (required), response_code [200, 301, 404],
 *                       request_method [GET, HEAD], content_type
 *                       [text/plain, application/json], cache_ttl 300,
 *                       cache_control false, vary_headers, vary_query_params (100)
 *   request-termination status_code 503, message, body, content_type,
 *                       trigger                                  (2)
 *
 * Refused by name, as not modelled yet: JSON body edits of the
 * transformers, cors private_network, request-termination echo,
 * proxy-cache's redis strategy and cache_control true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

#define S_NS INT64_C(1000000000)

/* The string under key, if any, copied into *out (left alone otherwise). */
static int opt_str(struct kp *c, const yaml_node_t *m, const char *key, const char *what,
                   char **out)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    const char *s;
    if (!x || px_kong_is_null(x)) return 0;
    if (fl_y_string(c->d, x, what, &s)) return -1;
    free(*out);
    *out = fl_strdup(s);
    return 0;
}

/* A list of strings under key, if any (null: none). */
static int opt_list(struct kp *c, const yaml_node_t *m, const char *key, const char *what,
                    char ***out, size_t *n)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x || px_kong_is_null(x)) return 0;
    px_kong_strs_free(*out, *n);
    *out = NULL;
    *n = 0;
    return px_kong_str_list(c, x, what, out, n);
}

static int opt_int(struct kp *c, const yaml_node_t *m, const char *key, const char *what,
                   long long min, long long max, long long *out)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x || px_kong_is_null(x)) return 0;
    return fl_y_int(c->d, x, what, min, max, out);
}

static char *joined(char **v, size_t n)
{
    char *s = fl_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = fl_asprintf("%s%s%s", s, i ? "," : "", v[i]);
        free(s);
        s = next;
    }
    return s;
}

static char **strs(size_t n, const char *const *v)
{
    char **out = fl_calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = fl_strdup(v[i]);
    return out;
}

/* ---------------------------------------------------------------- correlation-id */

static int correlation(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"header_name", "generator", "echo_downstream", NULL};
    static const char *const gens[] = {"uuid", "uuid#counter", "tracker", NULL};
    struct px_edge_corr *k = &e->u.corr;
    k->header = fl_strdup("Kong-Request-ID");
    k->gen = PX_CORR_UUID_COUNTER;
    if (fl_y_check_keys(c->d, n, keys, NULL, "correlation-id config") ||
        opt_str(c, n, "header_name", "config.header_name", &k->header) ||
        px_kong_opt_bool(c, n, "echo_downstream", "config.echo_downstream", &k->echo_downstream))
        return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "generator");
    int g = PX_CORR_UUID_COUNTER;
    if (x && fl_y_enum(c->d, x, "config.generator", gens, &g)) return -1;
    k->gen = (enum px_corr_gen)g;
    return 0;
}

/* ---------------------------------------------------------------- cors */

/* Kong: an origin with a character outside [A-Za-z0-9.:/-] is a regex ("*" allows all). */
static int cors_origins(struct kp *c, const yaml_node_t *n, struct px_edge_cors *k)
{
    char **v = NULL;
    size_t nv = 0;
    int rc = opt_list(c, n, "origins", "config.origins", &v, &nv);
    k->origins = fl_calloc(nv + 1, sizeof *k->origins);
    for (size_t i = 0; !rc && i < nv; i++) {
        if (!strcmp(v[i], "*")) {
            k->any_origin = 1;
        }
        int literal = strspn(v[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789.:/-") == strlen(v[i]);
        char *err = NULL, *re = NULL;
        if (!literal && strcmp(v[i], "*")) { /* Kong anchors the regex at both ends */
            size_t len = strlen(v[i]);
            const char *body = v[i][0] == '^' ? v[i] + 1 : v[i];
            re = fl_asprintf("%.*s", (int)(len - (size_t)(body - v[i]) - (v[i][len - 1] == '$')),
                             body);
        }
        rc = px_match_init(&k->origins[k->n_origins], re ? PX_MATCH_REGEX : PX_MATCH_EXACT,
                           re ? re : v[i], 0, &err);
        free(re);
        if (rc) {
            rc = fl_y_error(c->d, fl_y_get(c->d, n, "origins"), "config.origins: %s", err);
            free(err);
        } else {
            k->n_origins++;
        }
    }
    px_kong_strs_free(v, nv);
    return rc;
}

static int cors(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"origins",
                                       "headers",
                                       "exposed_headers",
                                       "methods",
                                       "max_age",
                                       "credentials",
                                       "private_network",
                                       "preflight_continue",
                                       "allow_origin_absent",
                                       NULL};
    struct px_edge_cors *k = &e->u.cors;
    char **v = NULL;
    size_t nv = 0;
    long long age = -1;
    int pn = 0, absent = 1;
    k->max_age_s = -1;
    if (fl_y_check_keys(c->d, n, keys, NULL, "cors config") || cors_origins(c, n, k) ||
        opt_int(c, n, "max_age", "config.max_age", 0, INT64_C(1) << 53, &age) ||
        px_kong_opt_bool(c, n, "credentials", "config.credentials", &k->credentials) ||
        px_kong_opt_bool(c, n, "preflight_continue", "config.preflight_continue",
                         &k->preflight_continue) ||
        px_kong_opt_bool(c, n, "private_network", "config.private_network", &pn) ||
        px_kong_opt_bool(c, n, "allow_origin_absent", "config.allow_origin_absent", &absent))
        return -1;
    k->max_age_s = age;
    if (pn)
        return fl_y_error(c->d, fl_y_get(c->d, n, "private_network"),
                          "cors: private_network is not supported yet");
    if (!absent)
        return fl_y_error(c->d, fl_y_get(c->d, n, "allow_origin_absent"),
                          "cors: allow_origin_absent false is not supported yet");
    const char *lists[] = {"methods", "headers", "exposed_headers"};
    char **outs[] = {&k->methods, &k->headers, &k->expose};
    for (int i = 0; i < 3; i++) {
        char what[40];
        snprintf(what, sizeof what, "config.%s", lists[i]);
        int rc = opt_list(c, n, lists[i], what, &v, &nv);
        if (!rc && fl_y_get(c->d, n, lists[i]) && nv) *outs[i] = joined(v, nv);
        px_kong_strs_free(v, nv);
        v = NULL;
        nv = 0;
        if (rc) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- ip-restriction */

static int cidrs(struct kp *c, const yaml_node_t *n, const char *key, struct px_cidr **out,
                 size_t *n_out)
{
    char **v = NULL, what[40];
    size_t nv = 0;
    snprintf(what, sizeof what, "config.%s", key);
    int rc = opt_list(c, n, key, what, &v, &nv);
    *out = fl_calloc(nv + 1, sizeof **out);
    for (size_t i = 0; !rc && i < nv; i++)
        if (px_cidr_parse(v[i], &(*out)[(*n_out)++]))
            rc = fl_y_error(c->d, px_kong_item(c, fl_y_get(c->d, n, key), i),
                            "%s: '%s' is not an IPv4 address or CIDR range", what, v[i]);
    px_kong_strs_free(v, nv);
    return rc;
}

static int ip_restriction(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"allow", "deny", "status", "message", "protocols", NULL};
    struct px_edge_ip *k = &e->u.ip;
    long long status = 403;
    if (fl_y_check_keys(c->d, n, keys, NULL, "ip-restriction config") ||
        cidrs(c, n, "allow", &k->allow, &k->n_allow) || cidrs(c, n, "deny", &k->deny, &k->n_deny) ||
        opt_int(c, n, "status", "config.status", 100, 599, &status) ||
        opt_str(c, n, "message", "config.message", &k->message))
        return -1;
    k->status = (int)status;
    if (!k->message) k->message = fl_strdup("Your IP address is not allowed");
    if (!k->n_allow && !k->n_deny)
        return fl_y_error(c->d, n,
                          "ip-restriction: at least one of these fields must be non-empty: "
                          "'config.allow', 'config.deny'");
    return 0;
}

/* ---------------------------------------------------------------- request-size-limiting */

static int size_limiting(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"allowed_payload_size", "size_unit",
                                       "require_content_length", NULL};
    static const char *const units[] = {"megabytes", "kilobytes", "bytes", NULL};
    static const uint64_t unit_bytes[] = {UINT64_C(1) << 20, UINT64_C(1) << 10, 1};
    long long size = 128;
    int unit = 0;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "request-size-limiting config") ||
        opt_int(c, n, "allowed_payload_size", "config.allowed_payload_size", 0, INT64_C(1) << 40,
                &size) ||
        ((x = fl_y_get(c->d, n, "size_unit")) &&
         fl_y_enum(c->d, x, "config.size_unit", units, &unit)) ||
        px_kong_opt_bool(c, n, "require_content_length", "config.require_content_length",
                         &e->u.size.require_content_length))
        return -1;
    e->u.size.limit_bytes = (uint64_t)size * unit_bytes[unit];
    return 0;
}

/* ---------------------------------------------------------------- transformers */

/* "name:value" items (or names alone for remove) of one edit kind into ops. */
static int edit_items(struct kp *c, const yaml_node_t *list, const char *what,
                      enum px_hdr_op_kind kind, struct px_hdr_ops *ops)
{
    FL_ASSERT(list != NULL && ops != NULL);
    char **v = NULL;
    size_t nv = 0;
    int rc = px_kong_str_list(c, list, what, &v, &nv);
    for (size_t i = 0; !rc && i < nv; i++) {
        char *colon = strchr(v[i], ':');
        if (kind == PX_HDR_REMOVE) {
            px_hdr_ops_add(ops, kind, v[i], NULL);
            continue;
        }
        if (!colon || colon == v[i]) {
            rc = fl_y_error(c->d, px_kong_item(c, list, i), "%s: '%s' should be name:value", what,
                            v[i]);
            break;
        }
        *colon = '\0';
        px_hdr_ops_add(ops, kind, v[i], colon + 1);
    }
    px_kong_strs_free(v, nv);
    return rc;
}

/* One of remove/rename/replace/add/append: headers, querystring; body/json refused. */
static int edit_group(struct kp *c, const yaml_node_t *n, const char *group,
                      enum px_hdr_op_kind kind, int response, struct px_edge_headers *h)
{
    static const char *const req_keys[] = {"headers", "querystring", "body", "uri", NULL};
    static const char *const resp_keys[] = {"headers", "json", "json_types", NULL};
    yaml_node_t *g = fl_y_get(c->d, n, group), *x;
    char what[64];
    if (!g || px_kong_is_null(g)) return 0;
    snprintf(what, sizeof what, "config.%s", group);
    if (fl_y_want_map(c->d, g, what) ||
        fl_y_check_keys(c->d, g, response ? resp_keys : req_keys, NULL, what))
        return -1;
    const char *body = response ? "json" : "body";
    if ((x = fl_y_get(c->d, g, body)) && !px_kong_is_null(x) &&
        !(x->type == YAML_SEQUENCE_NODE && SEQ_COUNT(x) == 0))
        return fl_y_error(c->d, x, "%s.%s: body edits are not modelled yet", what, body);
    if ((x = fl_y_get(c->d, g, "uri")) && !px_kong_is_null(x)) {
        const char *s;
        if (kind != PX_HDR_REPLACE)
            return fl_y_error(c->d, x, "%s.uri: only replace takes a uri", what);
        if (fl_y_string(c->d, x, "config.replace.uri", &s)) return -1;
        h->uri = fl_strdup(s);
    }
    if ((x = fl_y_get(c->d, g, "headers")) && !px_kong_is_null(x)) {
        snprintf(what, sizeof what, "config.%s.headers", group);
        if (edit_items(c, x, what, kind, response ? &h->resp : &h->req)) return -1;
    }
    if ((x = fl_y_get(c->d, g, "querystring")) && !px_kong_is_null(x)) {
        snprintf(what, sizeof what, "config.%s.querystring", group);
        if (edit_items(c, x, what, kind, &h->req_query)) return -1;
    }
    return 0;
}

/* Kong's transformers apply remove, rename, replace, add, append in that order. */
static int transformer(struct kp *c, const yaml_node_t *n, struct px_edge *e, int response)
{
    static const char *const req_keys[] = {"http_method", "remove", "rename", "replace",
                                           "add",         "append", NULL};
    static const char *const resp_keys[] = {"remove", "rename", "replace", "add", "append", NULL};
    static const char *const groups[] = {"remove", "rename", "replace", "add", "append"};
    static const enum px_hdr_op_kind kinds[] = {PX_HDR_REMOVE, PX_HDR_RENAME, PX_HDR_REPLACE,
                                                PX_HDR_ADD, PX_HDR_APPEND};
    if (fl_y_check_keys(c->d, n, response ? resp_keys : req_keys, NULL,
                        response ? "response-transformer config" : "request-transformer config"))
        return -1;
    for (int i = 0; i < 5; i++)
        if (edit_group(c, n, groups[i], kinds[i], response, &e->u.hdr)) return -1;
    return response ? 0 : opt_str(c, n, "http_method", "config.http_method", &e->u.hdr.method);
}

/* ---------------------------------------------------------------- proxy-cache */

static int cache_codes(struct kp *c, const yaml_node_t *n, struct px_edge_cache *k)
{
    yaml_node_t *x = fl_y_get(c->d, n, "response_code");
    static const int defaults[] = {200, 301, 404};
    if (!x || px_kong_is_null(x)) {
        k->codes = fl_calloc(3, sizeof *k->codes);
        memcpy(k->codes, defaults, sizeof defaults);
        k->n_codes = 3;
        return 0;
    }
    if (fl_y_want_seq(c->d, x, "config.response_code")) return -1;
    k->codes = fl_calloc(SEQ_COUNT(x) + 1, sizeof *k->codes);
    for (size_t i = 0; i < SEQ_COUNT(x); i++) {
        long long v;
        if (fl_y_int(c->d, px_kong_item(c, x, i), "config.response_code", 100, 900, &v)) return -1;
        k->codes[k->n_codes++] = (int)v;
    }
    return 0;
}

static int proxy_cache(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"response_code",
                                       "request_method",
                                       "content_type",
                                       "vary_headers",
                                       "vary_query_params",
                                       "cache_ttl",
                                       "cache_control",
                                       "storage_ttl",
                                       "strategy",
                                       "memory",
                                       "redis",
                                       "ignore_uri_case",
                                       "response_headers",
                                       NULL};
    static const char *const required[] = {"strategy", NULL};
    static const char *const strategies[] = {"memory", "redis", NULL};
    static const char *const methods[] = {"GET", "HEAD"};
    static const char *const types[] = {"text/plain", "application/json"};
    struct px_edge_cache *k = &e->u.cache;
    FL_ASSERT(e->kind == PX_EDGE_CACHE);
    long long ttl = 300, storage = 0;
    int strategy = 0, b = 0;
    k->methods = strs(2, methods);
    k->n_methods = 2;
    k->content_types = strs(2, types);
    k->n_content_types = 2;
    if (fl_y_check_keys(c->d, n, keys, required, "proxy-cache config") ||
        fl_y_enum(c->d, fl_y_get(c->d, n, "strategy"), "config.strategy", strategies, &strategy))
        return -1;
    if (strategy == 1)
        return fl_y_error(c->d, fl_y_get(c->d, n, "strategy"),
                          "proxy-cache strategy 'redis' is not supported yet (faultline runs one "
                          "gateway: the memory strategy caches the same)");
    if (cache_codes(c, n, k) ||
        opt_list(c, n, "request_method", "config.request_method", &k->methods, &k->n_methods) ||
        opt_list(c, n, "content_type", "config.content_type", &k->content_types,
                 &k->n_content_types) ||
        opt_list(c, n, "vary_headers", "config.vary_headers", &k->vary_headers,
                 &k->n_vary_headers) ||
        opt_list(c, n, "vary_query_params", "config.vary_query_params", &k->vary_query,
                 &k->n_vary_query) ||
        opt_int(c, n, "cache_ttl", "config.cache_ttl", 0, INT64_C(1) << 31, &ttl) ||
        opt_int(c, n, "storage_ttl", "config.storage_ttl", 0, INT64_C(1) << 31, &storage) ||
        px_kong_opt_bool(c, n, "cache_control", "config.cache_control", &b))
        return -1;
    if (b)
        return fl_y_error(c->d, fl_y_get(c->d, n, "cache_control"),
                          "proxy-cache: cache_control true is not supported yet");
    yaml_node_t *x = fl_y_get(c->d, n, "memory");
    if (x && !px_kong_is_null(x) && fl_y_want_map(c->d, x, "config.memory")) return -1;
    k->ttl_ns = ttl * S_NS;
    return 0;
}

/* ---------------------------------------------------------------- request-termination */

static int termination(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"status_code", "message", "body", "content_type",
                                       "trigger",     "echo",    NULL};
    struct px_edge_respond *k = &e->u.respond;
    long long status = 503;
    int echo = 0;
    k->kong = 1;
    if (fl_y_check_keys(c->d, n, keys, NULL, "request-termination config") ||
        opt_int(c, n, "status_code", "config.status_code", 100, 599, &status) ||
        opt_str(c, n, "message", "config.message", &k->message) ||
        opt_str(c, n, "body", "config.body", &k->body) ||
        opt_str(c, n, "content_type", "config.content_type", &k->content_type) ||
        opt_str(c, n, "trigger", "config.trigger", &k->trigger) ||
        px_kong_opt_bool(c, n, "echo", "config.echo", &echo))
        return -1;
    k->status = (int)status;
    if (echo)
        return fl_y_error(c->d, fl_y_get(c->d, n, "echo"),
                          "request-termination: echo is not supported yet");
    if (k->message && k->body)
        return fl_y_error(c->d, n, "request-termination: message and body are mutually exclusive");
    if (k->content_type && !k->body)
        return fl_y_error(c->d, fl_y_get(c->d, n, "content_type"),
                          "request-termination: content_type requires a body");
    return 0;
}

/* ---------------------------------------------------------------- the table */

static const struct kong_edge_plugin {
    const char *name;
    enum px_edge_kind kind;
    int priority; /* the handler's PRIORITY in Kong 3 */
    int (*read)(struct kp *c, const yaml_node_t *n, struct px_edge *e);
} plugins[] = {
    {"correlation-id", PX_EDGE_CORRELATION, 100001, correlation},
    {"cors", PX_EDGE_CORS, 2000, cors},
    {"ip-restriction", PX_EDGE_IP, 990, ip_restriction},
    {"request-size-limiting", PX_EDGE_SIZE, 951, size_limiting},
    {"jwt", PX_EDGE_JWT, 1450, px_kong_jwt_read},
    {"key-auth", PX_EDGE_KEYAUTH, 1250, px_kong_keyauth_read},
    {"acl", PX_EDGE_ACL, 950, px_kong_acl_read},
    {"request-transformer", PX_EDGE_HEADERS, 801, NULL},
    {"response-transformer", PX_EDGE_HEADERS, 800, NULL},
    {"proxy-cache", PX_EDGE_CACHE, 100, proxy_cache},
    {"request-termination", PX_EDGE_RESPOND, 2, termination},
};

int px_kong_edge_priority(const char *name)
{
    for (size_t i = 0; i < sizeof plugins / sizeof *plugins; i++)
        if (!strcmp(plugins[i].name, name)) return plugins[i].priority;
    return -1;
}

struct px_edge *px_kong_edge_read(struct kp *c, const char *name, const yaml_node_t *plugin,
                                  const yaml_node_t *cfg)
{
    size_t i = 0;
    while (i < sizeof plugins / sizeof *plugins && strcmp(plugins[i].name, name)) i++;
    FL_ASSERT(i < sizeof plugins / sizeof *plugins); /* callers ask px_kong_edge_priority first */
    struct px_edge *e = fl_calloc(1, sizeof *e);
    e->kind = plugins[i].kind;
    e->name = fl_strdup(name);
    int rc;
    if (cfg && !px_kong_is_null(cfg) && fl_y_want_map(c->d, cfg, "plugin config")) {
        rc = -1;
    } else {
        yaml_node_t empty = {.type = YAML_MAPPING_NODE}; /* no config: errors at the plugin */
        empty.start_mark = plugin->start_mark; /* both marks: yamldoc finds the plugin by them */
        empty.end_mark = plugin->end_mark;
        const yaml_node_t *n = cfg && !px_kong_is_null(cfg) ? cfg : &empty;
        if (plugins[i].read)
            rc = plugins[i].read(c, n, e);
        else
            rc = transformer(c, n, e, !strcmp(name, "response-transformer"));
    }
    if (!rc) return e;
    px_edge_free(e);
    free(e);
    return NULL;
}
