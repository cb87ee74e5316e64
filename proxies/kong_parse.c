/*
 * kong_parse.c - Kong's declarative configuration, read as Kong 3.x reads
 * it (see kong.h): px_kong_parse and px_kong_free, the document's top
 * level, and the small readers that the files reading each entity share
 * (kong_internal.h).
 *
 * Reading follows Kong's schemas (kong/db/schema/entities/services.lua,
 * routes.lua, upstreams.lua, targets.lua, plugins.lua,
 * kong/plugins/rate-limiting/schema.lua, declarative_config.lua):
 *  - defaults: service protocol http, port 80, retries 5, connect/write/read
 *    timeouts 60000 ms, enabled; route protocols [http, https], strip_path
 *    true, preserve_host false, regex_priority 0; target port 8000, weight
 *    100; upstream algorithm round-robin; rate-limiting policy local,
 *    limit_by consumer, error_code 429, error_message "API rate limit
 *    exceeded".
 *  - a service's `url` is a shorthand for protocol, host, port and path
 *    (port 80 for http, 443 for https); giving both is an error here.
 *  - routes nest under a service or stand at the top naming one (`service:
 *    name`, or {name: ..} / {id: ..}); plugins stand globally, nest under a
 *    service or route, or name a `service:` and/or `route:`. Only
 *    rate-limiting runs; another plugin name is refused ("not supported
 *    yet"); a plugin with enabled: false is read and dropped, as Kong skips
 *    it.
 *  - route paths: a plain path is a prefix; "~re" is a regex (Kong 3.x).
 *    With _format_version 1.1 or 2.1, Kong 3 turns a path with a character
 *    outside [a-zA-Z0-9.-_~/%] into a regex (declarative migration
 *    route_path.lua), and so does kong_route.c.
 *  - an upstream's healthchecks are read whole (kong_health.c);
 *    passive checks and the threshold run, active checks are refused once
 *    an interval or counter of theirs is above 0 (the all-zero block `kong
 *    config db_export` writes loads).
 *  - certificates and snis are read in kong_cert.c (the live gateway's TLS).
 *  - parts Kong has and faultline cannot run yet (other plugins, consumers,
 *    expressions routes, stream routes, https-only or
 *    grpc routes, non-http services, consistent-hashing/latency/sticky
 *    upstreams, active health checks, the redis policy) are refused by
 *    name; TLS settings and tags are read and have no effect.
 *
 * How: the top level is checked first (_format_version decides how route
 * paths are read); then the entities are read in dependency order,
 * whatever the order of the keys - upstreams, targets, services (with
 * their nested routes and plugins), routes, plugins - so that a reference
 * always names something already read. Each entity's `id` is kept while
 * reading, for references, and dropped after. On an error everything read
 * so far is freed. Services are read in kong_service.c, routes in
 * kong_route.c, plugins in kong_plugin.c, upstreams and targets in
 * kong_upstream.c, health checks in kong_health.c.
 *
 * Not here: building the proxy configuration (kong_build.c). Nothing Kong
 * has is dropped silently: what is not run is refused by name (above).
 */
#include "proxies/kong_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_cert.h"

static const char *const kind_name[] = {"service", "route", "upstream"};

/* ---------------------------------------------------------------- small readers */

/* Item i of a sequence. */
yaml_node_t *px_kong_item(struct kp *c, const yaml_node_t *seq, size_t i)
{
    return fl_y_node(c->d, SEQ_ITEMS(seq)[i]);
}

/* A list of non-empty strings; *out owns copies. */
int px_kong_str_list(struct kp *c, const yaml_node_t *n, const char *what, char ***out,
                     size_t *n_out)
{
    if (fl_y_want_seq(c->d, n, what)) return -1;
    size_t count = SEQ_COUNT(n);
    *out = fl_calloc(count ? count : 1, sizeof **out);
    *n_out = 0;
    for (size_t i = 0; i < count; i++) {
        const char *s;
        if (fl_y_string(c->d, px_kong_item(c, n, i), what, &s)) return -1;
        (*out)[(*n_out)++] = fl_strdup(s);
    }
    return 0;
}

void px_kong_strs_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Kong's utf8_name: ASCII letters, digits, '.', '-', '_', '~' (and any non-ASCII). */
int px_kong_utf8_name(struct kp *c, const yaml_node_t *n, const char *what, const char **out)
{
    if (fl_y_string(c->d, n, what, out)) return -1;
    for (const unsigned char *p = (const unsigned char *)*out; *p; p++)
        if (*p < 0x80 && !isalnum(*p) && !strchr(".-_~", *p))
            return fl_y_error(c->d, n,
                              "%s '%s': the only accepted ascii characters are alphanumerics "
                              "or ., -, _, and ~",
                              what, *out);
    return 0;
}

int px_kong_opt_bool(struct kp *c, const yaml_node_t *m, const char *key, const char *what,
                     int *out)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    return x ? fl_y_bool(c->d, x, what, out) : 0;
}

/* A YAML null (`kong config db_export` writes `~` for fields without a value). */
int px_kong_is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = fl_y_str(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* A list that must be empty, null or absent (a part of Kong not supported yet). */
int px_kong_refuse_nonempty(struct kp *c, const yaml_node_t *m, const char *key, const char *msg)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x) return 0;
    if (x->type == YAML_SEQUENCE_NODE && SEQ_COUNT(x) == 0) return 0;
    if (x->type == YAML_SCALAR_NODE && (!*fl_y_str(x) || px_kong_is_null(x))) return 0;
    return fl_y_error(c->d, fl_y_get_key(c->d, m, key), "%s", msg);
}

static const char *entity_name(const struct kp *c, enum kp_kind k, size_t i)
{
    if (k == K_SERVICE) return c->k->services[i].name;
    if (k == K_ROUTE) return c->k->routes[i].name;
    return c->k->upstreams[i].name;
}

static size_t entity_count(const struct kp *c, enum kp_kind k)
{
    return k == K_SERVICE ? c->k->n_services : k == K_ROUTE ? c->k->n_routes : c->k->n_upstreams;
}

static const char *entity_id(const struct kp *c, enum kp_kind k, size_t i)
{
    char **ids = k == K_SERVICE ? c->service_ids : k == K_ROUTE ? c->route_ids : c->upstream_ids;
    return ids ? ids[i] : NULL;
}

/* "service 'billing'" (or "service #2" when unnamed) into buf. */
const char *px_kong_describe(char *buf, size_t size, const char *kind, const char *name, size_t i)
{
    if (name)
        snprintf(buf, size, "%s '%s'", kind, name);
    else
        snprintf(buf, size, "%s #%zu", kind, i + 1);
    return buf;
}

/*
 * Resolves a reference to an entity: a name or id, or a mapping {name: ..}
 * or {id: ..}. *out is its index.
 */
int px_kong_resolve_ref(struct kp *c, const yaml_node_t *n, enum kp_kind k, int *out)
{
    const char *key = NULL, *text;
    if (n && n->type == YAML_MAPPING_NODE) {
        static const char *const keys[] = {"name", "id", NULL};
        if (fl_y_check_keys(c->d, n, keys, NULL, kind_name[k])) return -1;
        key = fl_y_get(c->d, n, "name") ? "name" : "id";
        if (!fl_y_get(c->d, n, key))
            return fl_y_error(c->d, n, "a %s reference needs 'name' or 'id'", kind_name[k]);
        n = fl_y_get(c->d, n, key);
    }
    if (fl_y_string(c->d, n, kind_name[k], &text)) return -1;
    size_t count = entity_count(c, k);
    const char **names = fl_calloc(count + 1, sizeof *names);
    size_t n_names = 0;
    for (size_t i = 0; i < count; i++) {
        const char *name = entity_name(c, k, i), *id = entity_id(c, k, i);
        if (name) names[n_names++] = name;
        if ((!key || !strcmp(key, "name")) && name && !strcmp(name, text))
            *out = (int)i;
        else if ((!key || !strcmp(key, "id")) && id && !strcmp(id, text))
            *out = (int)i;
        else
            continue;
        free(names);
        return 0;
    }
    const char *hint = fl_did_you_mean(text, names);
    int rc = hint ? fl_y_error(c->d, n, "no %s named '%s' (did you mean '%s'?)", kind_name[k], text,
                               hint)
                  : fl_y_error(c->d, n, "no %s named '%s'", kind_name[k], text);
    free(names);
    return rc;
}

/* Remembers an entity's `id` (NULL when absent) next to its index. */
int px_kong_read_id(struct kp *c, const yaml_node_t *m, char ***ids, size_t *cap, size_t idx)
{
    FL_GROW(*ids, *cap, idx + 1);
    (*ids)[idx] = NULL;
    yaml_node_t *x = fl_y_get(c->d, m, "id");
    const char *s;
    if (!x) return 0;
    if (fl_y_string(c->d, x, "id", &s)) return -1;
    (*ids)[idx] = fl_strdup(s);
    return 0;
}

/* A port of len decimal digits, 1..65535 (a service url's, a target's). */
int px_kong_parse_port(const char *s, size_t len, uint16_t *out)
{
    long v = 0;
    if (!len || len > 5) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) return -1;
    *out = (uint16_t)v;
    return 0;
}

/* ---------------------------------------------------------------- the document */

/* clang-format off */
static const char *const top_keys[] = {
    "_format_version", "_transform", "_comment", "_workspace", "services", "routes", "plugins",
    "upstreams", "targets", "consumers", "consumer_groups", "certificates", "ca_certificates",
    "snis", "vaults", "keys", "key_sets", "filter_chains", "keyauth_credentials", "jwt_secrets",
    "acls", "basicauth_credentials", "hmacauth_credentials", "oauth2_credentials", NULL};
/* clang-format on */

/* Kong entities faultline does not run yet: refused when given. */
static int top_unsupported(struct kp *c, const yaml_node_t *n)
{
    /* clang-format off */
    static const char *const keys[] = {
        "consumer_groups", "ca_certificates", "vaults", "keys", "key_sets", "filter_chains",
        NULL};
    /* clang-format on */
    char msg[120];
    for (int i = 0; keys[i]; i++) {
        snprintf(msg, sizeof msg, "Kong's %s are not supported yet", keys[i]);
        if (px_kong_refuse_nonempty(c, n, keys[i], msg)) return -1;
    }
    return 0;
}

static int top_header(struct kp *c, const yaml_node_t *n)
{
    static const char *const versions[] = {"1.1", "2.1", "3.0", NULL};
    static const char *const required[] = {"_format_version", NULL};
    int v, b;
    const char *s;
    if (fl_y_check_keys(c->d, n, top_keys, required, "Kong declarative configuration") ||
        fl_y_enum(c->d, fl_y_get(c->d, n, "_format_version"), "_format_version", versions, &v))
        return -1;
    c->k->format_version = fl_strdup(versions[v]);
    c->legacy_paths = v < 2;
    yaml_node_t *x;
    if (px_kong_opt_bool(c, n, "_transform", "_transform", &b)) return -1;
    if ((x = fl_y_get(c->d, n, "_workspace")) && fl_y_string(c->d, x, "_workspace", &s)) return -1;
    if ((x = fl_y_get(c->d, n, "_comment")) && fl_y_want_scalar(c->d, x, "_comment")) return -1;
    return top_unsupported(c, n);
}

/* Each item of the list under key, read by fn (in document order). */
static int each(struct kp *c, const yaml_node_t *n, const char *key,
                int (*fn)(struct kp *, const yaml_node_t *))
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    if (!x) return 0;
    if (fl_y_want_seq(c->d, x, key)) return -1;
    for (size_t i = 0; i < SEQ_COUNT(x); i++)
        if (fn(c, px_kong_item(c, x, i))) return -1;
    return 0;
}

static int top_target(struct kp *c, const yaml_node_t *n)
{
    return fl_y_want_map(c->d, n, "a target") || px_kong_parse_target(c, n, -1) ? -1 : 0;
}

static int top_route(struct kp *c, const yaml_node_t *n)
{
    return px_kong_parse_route(c, n, -1);
}

static int top_plugin(struct kp *c, const yaml_node_t *n)
{
    return fl_y_want_map(c->d, n, "a plugin") || px_kong_parse_plugin(c, n, PX_KONG_GLOBAL, -1) ? -1
                                                                                                : 0;
}

static int parse_top(struct kp *c, const yaml_node_t *n)
{
    if (fl_y_want_map(c->d, n, "the Kong configuration") || top_header(c, n)) return -1;
    /* entities are read in dependency order, whatever the order of the keys */
    if (px_kong_parse_consumers(c, n) || each(c, n, "upstreams", px_kong_parse_upstream) ||
        each(c, n, "targets", top_target) || each(c, n, "services", px_kong_parse_service) ||
        each(c, n, "routes", top_route) || each(c, n, "plugins", top_plugin) ||
        px_kong_parse_certs(c, n))
        return -1;
    return 0;
}

int px_kong_parse(struct fl_ydoc *d, const yaml_node_t *n, struct px_kong *out)
{
    memset(out, 0, sizeof *out);
    out->auth = px_auth_store_new();
    struct kp c = {.d = d, .k = out};
    const char *err_before = d->err;
    int rc = parse_top(&c, n);
    /* every reader records an error exactly when it fails */
    FL_ASSERT(rc ? d->err != NULL : d->err == err_before);
    for (size_t i = 0; i < out->n_services && c.service_ids; i++) free(c.service_ids[i]);
    for (size_t i = 0; i < out->n_routes && c.route_ids; i++) free(c.route_ids[i]);
    for (size_t i = 0; i < out->n_upstreams && c.upstream_ids; i++) free(c.upstream_ids[i]);
    free(c.service_ids);
    free(c.route_ids);
    free(c.upstream_ids);
    if (rc) px_kong_free(out);
    return rc;
}

void px_kong_free(struct px_kong *k)
{
    free(k->format_version);
    for (size_t i = 0; i < k->n_services; i++) {
        struct px_kong_service *s = &k->services[i];
        free(s->name);
        free(s->protocol);
        free(s->host);
        free(s->host_at);
        free(s->path);
    }
    free(k->services);
    for (size_t i = 0; i < k->n_routes; i++) {
        struct px_kong_route *r = &k->routes[i];
        free(r->name);
        px_kong_strs_free(r->paths, r->n_paths);
        px_kong_strs_free(r->hosts, r->n_hosts);
        px_kong_strs_free(r->methods, r->n_methods);
        for (size_t j = 0; j < r->n_headers; j++) {
            free(r->headers[j].name);
            px_kong_strs_free(r->headers[j].values, r->headers[j].n_values);
        }
        free(r->headers);
    }
    free(k->routes);
    for (size_t i = 0; i < k->n_upstreams; i++) {
        free(k->upstreams[i].name);
        for (size_t j = 0; j < k->upstreams[i].n_targets; j++) {
            free(k->upstreams[i].targets[j].host);
            free(k->upstreams[i].targets[j].host_at);
        }
        free(k->upstreams[i].targets);
    }
    free(k->upstreams);
    for (size_t i = 0; i < k->n_plugins; i++) {
        free(k->plugins[i].name);
        px_rl_cfg_free(&k->plugins[i].rl);
        if (k->plugins[i].edge) px_edge_free(k->plugins[i].edge);
        free(k->plugins[i].edge);
    }
    free(k->plugins);
    px_auth_store_unref(k->auth);
    px_kong_certs_free(k);
    memset(k, 0, sizeof *k);
}
