/*
 * kong.c - Kong's declarative configuration, read as Kong 3.x reads it and
 * built into a gateway proxy configuration (see kong.h).
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
 *    route_path.lua), and so does this file.
 *  - an upstream's healthchecks are read whole (see "health checks" below);
 *    passive checks and the threshold run, active checks are refused once
 *    an interval or counter of theirs is above 0 (the all-zero block `kong
 *    config db_export` writes loads).
 *  - parts Kong has and faultline cannot run yet (other plugins, consumers,
 *    certificates, expressions routes, snis, stream routes, https-only or
 *    grpc routes, non-http services, consistent-hashing/latency/sticky
 *    upstreams, active health checks, the redis policy) are refused by
 *    name; TLS settings and tags are read and have no effect.
 *
 * Building: one cluster per enabled service (its upstream's targets with
 * their weights when its host names an upstream, else its host), with
 * Kong's behaviour as Envoy-style settings: retries = service retries on
 * connect failures, resets and timeouts (nginx proxy_next_upstream "error
 * timeout") with no backoff asked for (base and cap 0: the balancer
 * tries again at once), the next attempt avoiding hosts already tried;
 * per-try timeout = read_timeout; connect timeout = connect_timeout; no
 * route timeout; circuit-breaker limits 2^32-1 (Kong has none); no panic.
 * An upstream's passive health checks, when a failure counter is above 0,
 * become outlier detection in Kong's mode (outlier.h: lua-resty-healthcheck's
 * counters; an ejected target stays out "forever", as passive checks never
 * bring a target back - Kong's health-checks-circuit-breakers.md; every
 * target may be ejected; no success-rate or failure-percentage sweep), and
 * its threshold the balancer's minimum healthy weight (lb.h: below it Kong
 * answers 503). Off by default, as in Kong.
 * Routes are ordered as Kong 3's traditional_compatible router orders them
 * (kong/router/transform.lua get_priority, compat.lua): a route with
 * several paths is split into one entry per path (Kong splits by regex and
 * prefix length), then entries sort by (1) how many of methods, hosts,
 * headers, paths are set, (2) hosts without wildcards, (3) the number of
 * headers, (4) regex paths before prefixes, (5) regex_priority among
 * regexes, (6) prefix length among prefixes; ties keep file order (Kong
 * breaks them by route id). Kong matches hosts inside a route; the engine
 * matches them by virtual host: each exact route host becomes a virtual
 * host (first), each "*.suffix" host one after them (longest suffix first),
 * and "*" comes last; each virtual host lists, in Kong's order, the routes
 * whose hosts accept it plus every route without hosts. A rate-limiting
 * plugin on the route wins over one on its service, which wins over a
 * global one (Kong's plugin iterator).
 *
 * Deliberately not done: Kong's path normalisation, the nginx read_timeout
 * being between two reads rather than per response, Host headers per
 * target, prefix wildcards ("example.*") and ports in route hosts (refused),
 * non-integer rate limits (refused).
 */
#include "proxies/kong.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"

#define MS INT64_C(1000000)

/* Parsing state: the document, the result, and the ids entities may be named by. */
struct kp {
    struct fl_ydoc *d;
    struct px_kong *k;
    int legacy_paths; /* _format_version before 3.0 */
    char **service_ids, **route_ids, **upstream_ids;
    size_t cap_services, cap_routes, cap_upstreams, cap_plugins;
    size_t cap_sids, cap_rids, cap_uids;
};

enum kind { K_SERVICE, K_ROUTE, K_UPSTREAM };
static const char *const kind_name[] = {"service", "route", "upstream"};

#define SEQ_ITEMS(n) ((n)->data.sequence.items.start)
#define SEQ_COUNT(n) ((size_t)((n)->data.sequence.items.top - (n)->data.sequence.items.start))

/* ---------------------------------------------------------------- small readers */

static yaml_node_t *item(struct kp *c, const yaml_node_t *seq, size_t i)
{
    return fl_y_node(c->d, SEQ_ITEMS(seq)[i]);
}

/* A list of non-empty strings; *out owns copies. */
static int str_list(struct kp *c, const yaml_node_t *n, const char *what, char ***out,
                    size_t *n_out)
{
    if (fl_y_want_seq(c->d, n, what)) return -1;
    size_t count = SEQ_COUNT(n);
    *out = fl_calloc(count ? count : 1, sizeof **out);
    *n_out = 0;
    for (size_t i = 0; i < count; i++) {
        const char *s;
        if (fl_y_string(c->d, item(c, n, i), what, &s)) return -1;
        (*out)[(*n_out)++] = fl_strdup(s);
    }
    return 0;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Kong's utf8_name: ASCII letters, digits, '.', '-', '_', '~' (and any non-ASCII). */
static int kong_name(struct kp *c, const yaml_node_t *n, const char *what, const char **out)
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

static int opt_bool(struct kp *c, const yaml_node_t *m, const char *key, const char *what, int *out)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    return x ? fl_y_bool(c->d, x, what, out) : 0;
}

/* A YAML null (`kong config db_export` writes `~` for fields without a value). */
static int is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = fl_y_str(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* A list that must be empty, null or absent (a part of Kong not supported yet). */
static int refuse_nonempty(struct kp *c, const yaml_node_t *m, const char *key, const char *msg)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x) return 0;
    if (x->type == YAML_SEQUENCE_NODE && SEQ_COUNT(x) == 0) return 0;
    if (x->type == YAML_SCALAR_NODE && (!*fl_y_str(x) || is_null(x))) return 0;
    return fl_y_error(c->d, fl_y_get_key(c->d, m, key), "%s", msg);
}

static const char *entity_name(const struct kp *c, enum kind k, size_t i)
{
    if (k == K_SERVICE) return c->k->services[i].name;
    if (k == K_ROUTE) return c->k->routes[i].name;
    return c->k->upstreams[i].name;
}

static size_t entity_count(const struct kp *c, enum kind k)
{
    return k == K_SERVICE ? c->k->n_services : k == K_ROUTE ? c->k->n_routes : c->k->n_upstreams;
}

static const char *entity_id(const struct kp *c, enum kind k, size_t i)
{
    char **ids = k == K_SERVICE ? c->service_ids : k == K_ROUTE ? c->route_ids : c->upstream_ids;
    return ids ? ids[i] : NULL;
}

/* "service 'billing'" (or "service #2" when unnamed) into buf. */
static const char *describe(char *buf, size_t size, const char *kind, const char *name, size_t i)
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
static int resolve_ref(struct kp *c, const yaml_node_t *n, enum kind k, int *out)
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
static int read_id(struct kp *c, const yaml_node_t *m, char ***ids, size_t *cap, size_t idx)
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

/* ---------------------------------------------------------------- rate-limiting */

static const char *const period_keys[] = {"second", "minute", "hour", "day", "month", "year", NULL};

static int rl_limits(struct kp *c, const yaml_node_t *n, struct px_rl_cfg *rl)
{
    const yaml_node_t *at[PX_RL_PERIODS] = {0};
    int any = 0;
    for (int p = 0; p < PX_RL_PERIODS; p++) {
        yaml_node_t *x = fl_y_get(c->d, n, period_keys[p]);
        long long v;
        char what[32];
        if (!x) continue;
        snprintf(what, sizeof what, "config.%s", period_keys[p]);
        if (fl_y_int(c->d, x, what, 1, INT64_C(1) << 53, &v)) return -1;
        rl->limit[p] = v;
        at[p] = x;
        any = 1;
    }
    if (!any)
        return fl_y_error(c->d, n,
                          "rate-limiting: at least one of these fields must be non-empty: "
                          "'config.second', 'config.minute', 'config.hour', 'config.day', "
                          "'config.month', 'config.year'");
    /* Kong's validate_periods_order, with its message */
    for (int i = 0; i < PX_RL_PERIODS; i++)
        for (int j = i + 1; j < PX_RL_PERIODS && at[i]; j++)
            if (at[j] && rl->limit[j] < rl->limit[i])
                return fl_y_error(c->d, at[j],
                                  "rate-limiting: The limit for %s(%.1f) cannot be lower than "
                                  "the limit for %s(%.1f)",
                                  period_keys[j], (double)rl->limit[j], period_keys[i],
                                  (double)rl->limit[i]);
    return 0;
}

static int rl_limit_by(struct kp *c, const yaml_node_t *n, struct px_rl_cfg *rl)
{
    static const char *const by[] = {"consumer", "credential", "ip", "service",
                                     "header",   "path",       NULL};
    yaml_node_t *x = fl_y_get(c->d, n, "limit_by");
    int v = PX_RL_BY_CONSUMER;
    const char *s;
    if (x && fl_y_enum(c->d, x, "config.limit_by", by, &v)) return -1;
    rl->limit_by = (enum px_rl_limit_by)v;
    if ((x = fl_y_get(c->d, n, "header_name"))) {
        if (fl_y_string(c->d, x, "config.header_name", &s)) return -1;
        rl->header_name = fl_strdup(s);
    }
    if ((x = fl_y_get(c->d, n, "path"))) {
        if (fl_y_string(c->d, x, "config.path", &s)) return -1;
        if (s[0] != '/') return fl_y_error(c->d, x, "config.path should start with: /");
        rl->path = fl_strdup(s);
    }
    if (rl->limit_by == PX_RL_BY_HEADER && !rl->header_name)
        return fl_y_error(c->d, n, "rate-limiting: limit_by header needs 'header_name'");
    if (rl->limit_by == PX_RL_BY_PATH && !rl->path)
        return fl_y_error(c->d, n, "rate-limiting: limit_by path needs 'path'");
    return 0;
}

/* policy (DB-less Kong: local or redis), sync_rate, fault_tolerant, redis settings. */
static int rl_policy(struct kp *c, const yaml_node_t *n)
{
    static const char *const policies[] = {"local", "redis", NULL};
    yaml_node_t *x = fl_y_get(c->d, n, "policy");
    int policy = 0, b;
    double sync = -1;
    if (x && fl_y_enum(c->d, x, "config.policy", policies, &policy)) return -1;
    if (policy == 1)
        return fl_y_error(c->d, x,
                          "rate-limiting policy 'redis' is not supported yet (faultline runs "
                          "one gateway: policy local counts the same)");
    if ((x = fl_y_get(c->d, n, "sync_rate")) &&
        fl_y_double(c->d, x, "config.sync_rate", -1, 1e9, &sync))
        return -1;
    if (sync != -1)
        return fl_y_error(c->d, x,
                          "rate-limiting: sync_rate can only be used with the redis "
                          "policy");
    if (opt_bool(c, n, "fault_tolerant", "config.fault_tolerant", &b)) return -1;
    x = fl_y_get(c->d, n, "redis");
    if (x && x->type != YAML_MAPPING_NODE && fl_y_want_map(c->d, x, "config.redis")) return -1;
    return 0;
}

static int rl_config(struct kp *c, const yaml_node_t *n, struct px_rl_cfg *rl)
{
    /* clang-format off */
    static const char *const keys[] = {
        "second", "minute", "hour", "day", "month", "year", "limit_by", "header_name", "path",
        "policy", "fault_tolerant", "redis", "hide_client_headers", "error_code", "error_message",
        "sync_rate", "redis_host", "redis_port", "redis_password", "redis_username", "redis_ssl",
        "redis_ssl_verify", "redis_server_name", "redis_timeout", "redis_database", NULL};
    /* clang-format on */
    if (fl_y_check_keys(c->d, n, keys, NULL, "rate-limiting config")) return -1;
    if (rl_limits(c, n, rl) || rl_limit_by(c, n, rl) || rl_policy(c, n)) return -1;
    if (opt_bool(c, n, "hide_client_headers", "config.hide_client_headers",
                 &rl->hide_client_headers))
        return -1;
    yaml_node_t *x;
    long long code;
    const char *s;
    if ((x = fl_y_get(c->d, n, "error_code"))) {
        if (fl_y_int(c->d, x, "config.error_code", 100, 599, &code)) return -1;
        rl->error_code = (int)code;
    }
    if ((x = fl_y_get(c->d, n, "error_message"))) {
        if (fl_y_string(c->d, x, "config.error_message", &s)) return -1;
        free(rl->error_message);
        rl->error_message = fl_strdup(s);
    }
    return 0;
}

/* ---------------------------------------------------------------- plugins */

static const char *const plugin_keys_top[] = {
    "id",        "name",    "instance_name", "created_at",     "updated_at",
    "route",     "service", "consumer",      "consumer_group", "config",
    "protocols", "enabled", "tags",          "ordering",       NULL};
/* clang-format off */
static const char *const plugin_keys_nested[] = {
    "id", "name", "instance_name", "created_at", "updated_at", "consumer", "consumer_group",
    "config", "protocols", "enabled", "tags", "ordering", NULL};
/* clang-format on */

/* The scope of a top-level plugin from its `service:` and `route:`. */
static int plugin_scope(struct kp *c, const yaml_node_t *n, enum px_kong_scope *scope, int *target)
{
    yaml_node_t *sn = fl_y_get(c->d, n, "service"), *rn = fl_y_get(c->d, n, "route");
    int svc = -1, route = -1;
    if (sn && resolve_ref(c, sn, K_SERVICE, &svc)) return -1;
    if (rn && resolve_ref(c, rn, K_ROUTE, &route)) return -1;
    if (route >= 0 && svc >= 0 && c->k->routes[route].service != svc)
        return fl_y_error(c->d, rn,
                          "plugin 'rate-limiting': route '%s' is not a route of "
                          "service '%s'",
                          c->k->routes[route].name ? c->k->routes[route].name : "?",
                          c->k->services[svc].name ? c->k->services[svc].name : "?");
    *scope = route >= 0 ? PX_KONG_ROUTE : svc >= 0 ? PX_KONG_SERVICE : PX_KONG_GLOBAL;
    *target = route >= 0 ? route : svc;
    return 0;
}

static const char *scope_text(struct kp *c, enum px_kong_scope scope, int target, char *buf,
                              size_t size)
{
    if (scope == PX_KONG_GLOBAL) return "the whole gateway";
    if (scope == PX_KONG_SERVICE)
        return describe(buf, size, "service", c->k->services[target].name, (size_t)target);
    return describe(buf, size, "route", c->k->routes[target].name, (size_t)target);
}

static int plugin_add(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target,
                      struct px_rl_cfg *rl)
{
    for (size_t i = 0; i < c->k->n_plugins; i++) {
        if (c->k->plugins[i].scope != scope || c->k->plugins[i].target != target) continue;
        char buf[160];
        px_rl_cfg_free(rl);
        return fl_y_error(c->d, n, "a second rate-limiting plugin for %s (Kong allows one)",
                          scope_text(c, scope, target, buf, sizeof buf));
    }
    FL_GROW(c->k->plugins, c->cap_plugins, c->k->n_plugins + 1);
    struct px_kong_plugin *p = &c->k->plugins[c->k->n_plugins++];
    memset(p, 0, sizeof *p);
    p->name = fl_strdup("rate-limiting");
    p->scope = scope;
    p->target = target;
    p->rl = *rl;
    return 0;
}

/* A plugin; scope and target come from where it is nested (global: top-level). */
static int parse_plugin(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target)
{
    const int top = scope == PX_KONG_GLOBAL;
    static const char *const required[] = {"name", NULL};
    const char *name;
    if (fl_y_check_keys(c->d, n, top ? plugin_keys_top : plugin_keys_nested, required, "plugin"))
        return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name");
    if (fl_y_string(c->d, nn, "plugin name", &name)) return -1;
    if (strcmp(name, "rate-limiting"))
        return fl_y_error(c->d, nn, "plugin '%s' is not supported yet", name);
    if (refuse_nonempty(c, n, "consumer",
                        "plugin 'rate-limiting': consumers are not supported "
                        "yet") ||
        refuse_nonempty(c, n, "consumer_group",
                        "plugin 'rate-limiting': consumer groups are not supported yet") ||
        refuse_nonempty(c, n, "ordering",
                        "plugin 'rate-limiting': dynamic ordering is not supported yet"))
        return -1;
    int enabled = 1;
    if (opt_bool(c, n, "enabled", "plugin enabled", &enabled)) return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "protocols");
    char **protos = NULL;
    size_t n_protos = 0;
    int rc = x ? str_list(c, x, "plugin protocols", &protos, &n_protos) : 0;
    free_strs(protos, n_protos);
    if (rc || (top && plugin_scope(c, n, &scope, &target))) return -1;
    yaml_node_t *cfg = fl_y_get(c->d, n, "config");
    if (!cfg)
        return fl_y_error(c->d, n,
                          "plugin 'rate-limiting' needs a 'config' with at least one "
                          "limit");
    struct px_rl_cfg rl;
    px_rl_cfg_default(&rl);
    if (rl_config(c, cfg, &rl) || !enabled) { /* Kong skips a disabled plugin */
        px_rl_cfg_free(&rl);
        return enabled ? -1 : 0;
    }
    return plugin_add(c, n, scope, target, &rl);
}

static int parse_plugins(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target)
{
    if (fl_y_want_seq(c->d, n, "plugins")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *p = item(c, n, i);
        if (fl_y_want_map(c->d, p, "a plugin") || parse_plugin(c, p, scope, target)) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- routes */

static const char *const protocols[] = {
    "http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss", NULL};

static int route_protocols(struct kp *c, const yaml_node_t *n, const char *what)
{
    if (fl_y_want_seq(c->d, n, "protocols")) return -1;
    int has_http = 0, p;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *x = item(c, n, i);
        if (fl_y_enum(c->d, x, "route protocol", protocols, &p)) return -1;
        if (p > 1)
            return fl_y_error(c->d, x, "%s: protocol '%s' is not supported yet", what,
                              protocols[p]);
        has_http |= p == 0;
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
    if (str_list(c, n, "methods", &r->methods, &r->n_methods)) return -1;
    for (size_t i = 0; i < r->n_methods; i++)
        for (const char *p = r->methods[i]; *p; p++)
            if (*p < 'A' || *p > 'Z')
                return fl_y_error(c->d, item(c, n, i),
                                  "method '%s': invalid value, use uppercase letters (GET)",
                                  r->methods[i]);
    return 0;
}

/* Kong 3 route hosts: a name or "*.suffix" ("prefix.*" and ports are refused for now). */
static int route_hosts(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    if (str_list(c, n, "hosts", &r->hosts, &r->n_hosts)) return -1;
    for (size_t i = 0; i < r->n_hosts; i++) {
        const char *h = r->hosts[i], *star = strchr(h, '*');
        size_t len = strlen(h);
        yaml_node_t *x = item(c, n, i);
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
static char *kong_path_regex(const char *re)
{
    return fl_asprintf("(?:%s)(?s:.*)", re);
}

/* Checks that a regex compiles under RE2 rules; located error otherwise. */
static int check_regex(struct kp *c, const yaml_node_t *at, const char *re, int ignore_case)
{
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
    if (str_list(c, n, "paths", &r->paths, &r->n_paths)) return -1;
    for (size_t i = 0; i < r->n_paths; i++) {
        yaml_node_t *x = item(c, n, i);
        if (c->legacy_paths && looks_like_regex(r->paths[i])) {
            char *re = fl_asprintf("~%s", r->paths[i]);
            free(r->paths[i]);
            r->paths[i] = re;
        }
        const char *p = r->paths[i];
        if (p[0] == '~') {
            char *re = kong_path_regex(p + 1);
            int rc = check_regex(c, x, re, 0);
            free(re);
            if (rc) return -1;
        } else if (p[0] != '/') {
            return fl_y_error(c->d, x, "path '%s' should start with: / (or ~ for a regex)", p);
        } else if (strstr(p, "//")) {
            return fl_y_error(c->d, x, "path '%s' must not have empty segments", p);
        }
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
        h->name = fl_strdup(name);
        if (str_list(c, vn, "header values", &h->values, &h->n_values)) return -1;
        if (!h->n_values) return fl_y_error(c->d, vn, "header '%s' needs a value", name);
        for (size_t i = 0; i < h->n_values; i++) {
            const char *v = h->values[i];
            if (v[0] != '~' || v[1] != '*') continue;
            char *re = fl_asprintf("(?s:.*)(?:%s)(?s:.*)", v + 2);
            int rc = check_regex(c, item(c, vn, i), re, 1);
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
        if (refuse_nonempty(c, n, keys[i], msg)) return -1;
    }
    return 0;
}

static int route_flags(struct kp *c, const yaml_node_t *n, struct px_kong_route *r)
{
    static const char *const handling[] = {"v0", "v1", NULL};
    yaml_node_t *x;
    long long v;
    int b, e;
    if (opt_bool(c, n, "strip_path", "strip_path", &r->strip_path) ||
        opt_bool(c, n, "preserve_host", "preserve_host", &r->preserve_host) ||
        opt_bool(c, n, "request_buffering", "request_buffering", &b) ||
        opt_bool(c, n, "response_buffering", "response_buffering", &b))
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
    if (read_id(c, n, &c->route_ids, &c->cap_rids, idx)) return NULL;
    return r;
}

/* A route; service is its service's index when nested (-1 at the top level). */
static int parse_route(struct kp *c, const yaml_node_t *n, int service)
{
    const int top = service < 0;
    const char *name = NULL;
    char what[160];
    if (fl_y_want_map(c->d, n, "a route")) return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name");
    if (nn && kong_name(c, nn, "route name", &name)) return -1;
    for (size_t i = 0; name && i < c->k->n_routes; i++)
        if (c->k->routes[i].name && !strcmp(c->k->routes[i].name, name))
            return fl_y_error(c->d, nn, "route '%s' is defined twice", name);
    describe(what, sizeof what, "route", name, c->k->n_routes);
    if (fl_y_check_keys(c->d, n, top ? route_keys_top : route_keys_nested, NULL, what) ||
        route_unsupported(c, n, what))
        return -1;
    struct px_kong_route *r = route_new(c, n, service);
    if (!r) return -1;
    r->name = name ? fl_strdup(name) : NULL;
    yaml_node_t *x = fl_y_get(c->d, n, "service");
    if (top && !x) return fl_y_error(c->d, n, "%s has no service (not supported yet)", what);
    if (top && resolve_ref(c, x, K_SERVICE, &r->service)) return -1;
    if (route_matchers(c, n, r, what) || route_flags(c, n, r)) return -1;
    int idx = (int)(c->k->n_routes - 1);
    if ((x = fl_y_get(c->d, n, "tags")) && fl_y_want_seq(c->d, x, "tags")) return -1;
    if ((x = fl_y_get(c->d, n, "plugins")) && parse_plugins(c, x, PX_KONG_ROUTE, idx)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- services */

/* Kong's protocols for a service; only http and https run. */
static int service_protocol(struct kp *c, const yaml_node_t *at, const char *proto,
                            const char *what)
{
    for (int i = 0; protocols[i]; i++) {
        if (strcmp(protocols[i], proto)) continue;
        if (i > 1)
            return fl_y_error(c->d, at, "%s: protocol '%s' is not supported yet", what, proto);
        return 0;
    }
    const char *hint = fl_did_you_mean(proto, protocols);
    if (hint)
        return fl_y_error(c->d, at, "%s: unknown protocol '%s' (did you mean '%s'?)", what, proto,
                          hint);
    return fl_y_error(c->d, at, "%s: unknown protocol '%s'", what, proto);
}

static int parse_port(const char *s, size_t len, uint16_t *out)
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

/* The url shorthand: scheme://host[:port][/path][?query] (services.lua shorthand_fields). */
static int service_url(struct kp *c, const yaml_node_t *n, struct px_kong_service *s,
                       const char *what)
{
    const char *url, *sep;
    if (fl_y_string(c->d, n, "url", &url)) return -1;
    if (!(sep = strstr(url, "://")) || sep == url)
        return fl_y_error(c->d, n, "%s: url '%s' must look like http://host:port/path", what, url);
    free(s->protocol);
    s->protocol = fl_strndup(url, (size_t)(sep - url));
    if (service_protocol(c, n, s->protocol, what)) return -1;
    const char *h = sep + 3, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        end = end ? end + 1 : h + strlen(h);
    } else {
        end = h + strcspn(h, ":/?#");
    }
    if (end == h) return fl_y_error(c->d, n, "%s: url '%s' has no host", what, url);
    s->host = fl_strndup(h, (size_t)(end - h));
    s->port = strcmp(s->protocol, "https") ? 80 : 443;
    if (*end == ':') {
        size_t len = strcspn(end + 1, "/?#");
        if (parse_port(end + 1, len, &s->port))
            return fl_y_error(c->d, n, "%s: url '%s' has an invalid port", what, url);
        end += 1 + len;
    }
    if (*end == '/') s->path = fl_strndup(end, strcspn(end, "?#"));
    return 0;
}

/* protocol, host, port, path as separate fields. */
static int service_fields(struct kp *c, const yaml_node_t *n, struct px_kong_service *s,
                          const char *what)
{
    yaml_node_t *x;
    const char *v;
    long long port;
    if ((x = fl_y_get(c->d, n, "protocol"))) {
        if (fl_y_string(c->d, x, "protocol", &v) || service_protocol(c, x, v, what)) return -1;
        free(s->protocol);
        s->protocol = fl_strdup(v);
    }
    if (!(x = fl_y_get(c->d, n, "host")))
        return fl_y_error(c->d, n, "%s needs 'host' (or 'url')", what);
    if (fl_y_string(c->d, x, "host", &v)) return -1;
    s->host = fl_strdup(v);
    if ((x = fl_y_get(c->d, n, "port"))) {
        if (fl_y_int(c->d, x, "port", 0, 65535, &port)) return -1;
        s->port = (uint16_t)port;
    }
    if ((x = fl_y_get(c->d, n, "path"))) {
        if (fl_y_string(c->d, x, "path", &v)) return -1;
        if (v[0] != '/') return fl_y_error(c->d, x, "path '%s' should start with: /", v);
        s->path = fl_strdup(v);
    }
    return 0;
}

static int service_address(struct kp *c, const yaml_node_t *n, struct px_kong_service *s,
                           const char *what)
{
    yaml_node_t *url = fl_y_get(c->d, n, "url");
    if (!url) return service_fields(c, n, s, what);
    static const char *const parts[] = {"protocol", "host", "port", "path", NULL};
    for (int i = 0; parts[i]; i++)
        if (fl_y_get(c->d, n, parts[i]))
            return fl_y_error(c->d, fl_y_get_key(c->d, n, parts[i]),
                              "%s: both 'url' and '%s' are given; use one or the other", what,
                              parts[i]);
    return service_url(c, url, s, what);
}

static int service_timeouts(struct kp *c, const yaml_node_t *n, struct px_kong_service *s)
{
    static const char *const keys[] = {"connect_timeout", "write_timeout", "read_timeout"};
    int64_t *dst[] = {&s->connect_timeout_ns, &s->write_timeout_ns, &s->read_timeout_ns};
    yaml_node_t *x;
    long long v;
    for (int i = 0; i < 3; i++) {
        *dst[i] = 60000 * MS;
        if (!(x = fl_y_get(c->d, n, keys[i]))) continue;
        /* Kong: integers in ms, between 1 and 2^31 - 2 */
        if (fl_y_int(c->d, x, keys[i], 1, 2147483646, &v)) return -1;
        *dst[i] = v * MS;
    }
    if ((x = fl_y_get(c->d, n, "retries"))) {
        if (fl_y_int(c->d, x, "retries", 0, 32767, &v)) return -1;
        s->retries = (int)v;
    }
    return opt_bool(c, n, "enabled", "enabled", &s->enabled);
}

/* clang-format off */
static const char *const service_keys[] = {
    "id", "created_at", "updated_at", "name", "retries", "protocol", "host", "port", "path",
    "connect_timeout", "write_timeout", "read_timeout", "tags", "client_certificate", "tls_verify",
    "tls_verify_depth", "ca_certificates", "enabled", "url", "routes", "plugins", NULL};
/* clang-format on */

static struct px_kong_service *service_new(struct kp *c, const yaml_node_t *n)
{
    size_t idx = c->k->n_services;
    FL_GROW(c->k->services, c->cap_services, idx + 1);
    struct px_kong_service *s = &c->k->services[idx];
    memset(s, 0, sizeof *s);
    s->protocol = fl_strdup("http");
    s->port = 80;
    s->retries = 5;
    s->enabled = 1;
    c->k->n_services++;
    if (read_id(c, n, &c->service_ids, &c->cap_sids, idx)) return NULL;
    return s;
}

static int parse_service(struct kp *c, const yaml_node_t *n)
{
    const char *name = NULL;
    char what[160];
    if (fl_y_want_map(c->d, n, "a service")) return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name"), *x;
    if (nn && kong_name(c, nn, "service name", &name)) return -1;
    for (size_t i = 0; name && i < c->k->n_services; i++)
        if (c->k->services[i].name && !strcmp(c->k->services[i].name, name))
            return fl_y_error(c->d, nn, "service '%s' is defined twice", name);
    describe(what, sizeof what, "service", name, c->k->n_services);
    if (fl_y_check_keys(c->d, n, service_keys, NULL, what)) return -1;
    struct px_kong_service *s = service_new(c, n);
    if (!s) return -1;
    s->name = name ? fl_strdup(name) : NULL;
    if (service_address(c, n, s, what) || service_timeouts(c, n, s)) return -1;
    int idx = (int)(c->k->n_services - 1);
    if ((x = fl_y_get(c->d, n, "routes"))) {
        if (fl_y_want_seq(c->d, x, "routes")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (parse_route(c, item(c, x, i), idx)) return -1;
    }
    if ((x = fl_y_get(c->d, n, "plugins")) && parse_plugins(c, x, PX_KONG_SERVICE, idx)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- upstreams */

/* "host", "host:port", "[v6]" or "[v6]:port" (targets.lua; port 8000 by default). */
static int target_address(struct kp *c, const yaml_node_t *n, struct px_kong_target *t)
{
    const char *s, *end;
    if (fl_y_string(c->d, n, "target", &s)) return -1;
    if (*s == '[')
        end = strchr(s, ']') ? strchr(s, ']') + 1 : s + strlen(s);
    else
        end = s + strcspn(s, ":");
    if (end == s)
        return fl_y_error(c->d, n,
                          "Invalid target ('%s'); not a valid hostname or ip "
                          "address",
                          s);
    t->port = 8000;
    if (*end == ':' && parse_port(end + 1, strlen(end + 1), &t->port))
        return fl_y_error(c->d, n, "Invalid target ('%s'); not a valid port", s);
    if (*end && *end != ':')
        return fl_y_error(c->d, n, "Invalid target ('%s'); not a valid hostname or ip address", s);
    t->host = fl_strndup(s, (size_t)(end - s));
    return 0;
}

static int parse_target(struct kp *c, const yaml_node_t *n, int upstream)
{
    static const char *const nested[] = {"id",     "created_at", "updated_at", "target",
                                         "weight", "tags",       NULL};
    static const char *const top[] = {"id",     "created_at", "updated_at", "target",
                                      "weight", "tags",       "upstream",   NULL};
    static const char *const req_nested[] = {"target", NULL};
    static const char *const req_top[] = {"target", "upstream", NULL};
    const int is_top = upstream < 0;
    if (fl_y_check_keys(c->d, n, is_top ? top : nested, is_top ? req_top : req_nested, "target"))
        return -1;
    if (is_top && resolve_ref(c, fl_y_get(c->d, n, "upstream"), K_UPSTREAM, &upstream)) return -1;
    struct px_kong_target t = {.weight = 100};
    yaml_node_t *x = fl_y_get(c->d, n, "weight");
    long long w;
    if (x) {
        if (fl_y_int(c->d, x, "weight", 0, 65535, &w)) return -1;
        t.weight = (uint32_t)w;
    }
    if (target_address(c, fl_y_get(c->d, n, "target"), &t)) return -1;
    struct px_kong_upstream *u = &c->k->upstreams[upstream];
    u->targets = fl_realloc(u->targets, (u->n_targets + 1) * sizeof *u->targets);
    u->targets[u->n_targets++] = t;
    return 0;
}

/* ---------------------------------------------------------------- health checks */

/*
 * An upstream's `healthchecks` (kong/db/schema/entities/upstreams.lua):
 * active {type, timeout, concurrency, http_path, https_sni,
 * https_verify_certificate, headers, healthy {interval, http_statuses,
 * successes}, unhealthy {interval, http_statuses, tcp_failures, timeouts,
 * http_failures}}, passive {type, healthy {http_statuses, successes},
 * unhealthy {http_statuses, tcp_failures, timeouts, http_failures}},
 * threshold. Ranges as the schema's: seconds 0..65535, concurrency
 * 1..2^31, statuses 100..999, threshold 0..100; counters 0..254, as
 * lua-resty-healthcheck's new() refuses more ("must be at most 254": its
 * counters are 8 bits), whatever the schema lets through.
 */

#define HC_COUNTER_MAX 254

static const char *const hc_types[] = {"tcp", "http", "https", "grpc", "grpcs", NULL};

/* Health check parsing: where we are, and the first setting that turns active checks on. */
struct hcp {
    struct kp *c;
    char path[96];                /* "healthchecks.active.healthy" */
    const yaml_node_t *active_on; /* the first non-zero interval or counter under active */
    char active_key[128];
};

/* "healthchecks.passive.unhealthy.tcp_failures" into buf. */
static const char *hc_name(const struct hcp *h, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s", h->path, key);
    return buf;
}

static int hc_check_keys(struct hcp *h, const yaml_node_t *n, const char *const *keys)
{
    struct fl_ydoc *d = h->c->d;
    return fl_y_want_map(d, n, h->path) || fl_y_check_keys(d, n, keys, NULL, h->path) ? -1 : 0;
}

/* Remembers a non-zero setting under `active`: it would switch active probing on. */
static void hc_active_on(struct hcp *h, const yaml_node_t *x, const char *key, int nonzero)
{
    if (!nonzero || h->active_on || strncmp(h->path, "healthchecks.active", 19)) return;
    h->active_on = x;
    snprintf(h->active_key, sizeof h->active_key, "%s.%s: %s", h->path, key, fl_y_str(x));
}

static int hc_seconds(struct hcp *h, const yaml_node_t *m, const char *key, double *out)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, key);
    char name[160];
    if (!x) return 0;
    if (fl_y_double(h->c->d, x, hc_name(h, key, name, sizeof name), 0, 65535, out)) return -1;
    if (!strcmp(key, "interval")) hc_active_on(h, x, key, *out != 0);
    return 0;
}

static int hc_counter(struct hcp *h, const yaml_node_t *m, const char *key, uint32_t *out)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, key);
    char name[160];
    long long v;
    if (!x) return 0;
    if (fl_y_int(h->c->d, x, hc_name(h, key, name, sizeof name), 0, HC_COUNTER_MAX, &v)) return -1;
    *out = (uint32_t)v;
    hc_active_on(h, x, key, v != 0);
    return 0;
}

/* http_statuses: a list of 100..999; given, it replaces the default set. */
static int hc_statuses(struct hcp *h, const yaml_node_t *m, uint8_t *set)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, "http_statuses");
    char name[160];
    long long v;
    if (!x) return 0;
    hc_name(h, "http_statuses", name, sizeof name);
    if (fl_y_want_seq(h->c->d, x, name)) return -1;
    memset(set, 0, PX_STATUS_SET_BYTES);
    for (size_t i = 0; i < SEQ_COUNT(x); i++) {
        if (fl_y_int(h->c->d, item(h->c, x, i), name, 100, 999, &v)) return -1;
        px_status_set_add(set, (int)v);
    }
    return 0;
}

static int hc_type(struct hcp *h, const yaml_node_t *m)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, "type");
    char name[160];
    int t;
    return x && fl_y_enum(h->c->d, x, hc_name(h, "type", name, sizeof name), hc_types, &t) ? -1 : 0;
}

/* One of `healthy` / `unhealthy` under path `sub` (active or passive): into k. */
static int hc_side(struct hcp *h, const yaml_node_t *m, const char *sub, int healthy,
                   struct px_outlier_kong *k)
{
    static const char *const active_healthy[] = {"interval", "http_statuses", "successes", NULL};
    static const char *const active_unhealthy[] = {"interval", "http_statuses", "tcp_failures",
                                                   "timeouts", "http_failures", NULL};
    static const char *const passive_healthy[] = {"http_statuses", "successes", NULL};
    static const char *const passive_unhealthy[] = {"http_statuses", "tcp_failures", "timeouts",
                                                    "http_failures", NULL};
    const int active = !strcmp(sub, "active");
    yaml_node_t *n = fl_y_get(h->c->d, m, healthy ? "healthy" : "unhealthy");
    double interval;
    if (!n) return 0;
    size_t len = strlen(h->path);
    snprintf(h->path + len, sizeof h->path - len, ".%s", healthy ? "healthy" : "unhealthy");
    int rc = hc_check_keys(h, n,
                           active ? (healthy ? active_healthy : active_unhealthy)
                                  : (healthy ? passive_healthy : passive_unhealthy));
    if (!rc && active) rc = hc_seconds(h, n, "interval", &interval);
    if (!rc) rc = hc_statuses(h, n, healthy ? k->healthy_statuses : k->unhealthy_statuses);
    if (!rc && healthy) rc = hc_counter(h, n, "successes", &k->successes);
    if (!rc && !healthy)
        rc = hc_counter(h, n, "tcp_failures", &k->tcp_failures) ||
             hc_counter(h, n, "timeouts", &k->timeouts) ||
             hc_counter(h, n, "http_failures", &k->http_failures);
    h->path[len] = '\0';
    return rc ? -1 : 0;
}

/* Active health checks: read and checked as Kong does, refused if they would probe. */
static int hc_active(struct hcp *h, const yaml_node_t *n, const char *what)
{
    static const char *const keys[] = {
        "type",    "timeout", "concurrency", "http_path", "https_sni", "https_verify_certificate",
        "headers", "healthy", "unhealthy",   NULL};
    struct fl_ydoc *d = h->c->d;
    struct px_outlier_kong unused = {0};
    yaml_node_t *x;
    double timeout;
    long long concurrency;
    const char *s;
    int b;
    snprintf(h->path, sizeof h->path, "healthchecks.active");
    if (hc_check_keys(h, n, keys) || hc_type(h, n) || hc_seconds(h, n, "timeout", &timeout))
        return -1;
    if ((x = fl_y_get(d, n, "concurrency")) &&
        fl_y_int(d, x, "healthchecks.active.concurrency", 1, INT64_C(1) << 31, &concurrency))
        return -1;
    if ((x = fl_y_get(d, n, "http_path"))) {
        if (fl_y_string(d, x, "healthchecks.active.http_path", &s)) return -1;
        if (s[0] != '/')
            return fl_y_error(d, x, "healthchecks.active.http_path should start with: /");
    }
    if ((x = fl_y_get(d, n, "https_sni")) && !is_null(x) &&
        fl_y_string(d, x, "healthchecks.active.https_sni", &s))
        return -1;
    if (opt_bool(h->c, n, "https_verify_certificate",
                 "healthchecks.active.https_verify_certificate", &b))
        return -1;
    if ((x = fl_y_get(d, n, "headers")) && !is_null(x)) {
        if (fl_y_want_map(d, x, "healthchecks.active.headers")) return -1;
        for (yaml_node_pair_t *p = x->data.mapping.pairs.start; p < x->data.mapping.pairs.top;
             p++) {
            char **values = NULL;
            size_t n_values = 0;
            int rc = fl_y_string(d, fl_y_node(d, p->key), "healthchecks.active.headers name", &s) ||
                     str_list(h->c, fl_y_node(d, p->value), "healthchecks.active.headers values",
                              &values, &n_values);
            free_strs(values, n_values);
            if (rc) return -1;
        }
    }
    if (hc_side(h, n, "active", 1, &unused) || hc_side(h, n, "active", 0, &unused)) return -1;
    if (h->active_on)
        return fl_y_error(d, h->active_on, "%s: active health checks are not supported yet (%s)",
                          what, h->active_key);
    return 0;
}

static int hc_passive(struct hcp *h, const yaml_node_t *n, struct px_outlier_kong *k)
{
    static const char *const keys[] = {"type", "healthy", "unhealthy", NULL};
    snprintf(h->path, sizeof h->path, "healthchecks.passive");
    if (hc_check_keys(h, n, keys) || hc_type(h, n) || hc_side(h, n, "passive", 1, k) ||
        hc_side(h, n, "passive", 0, k))
        return -1;
    /* kong/runloop/balancer/healthcheckers.lua is_upstream_using_healthcheck */
    k->on = k->tcp_failures || k->timeouts || k->http_failures;
    return 0;
}

/* Kong's defaults for passive checks: statuses as upstreams.lua lists them, counters off. */
static void passive_defaults(struct px_outlier_kong *k)
{
    static const int healthy[] = {200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                  300, 301, 302, 303, 304, 305, 306, 307, 308};
    static const int unhealthy[] = {429, 500, 503};
    memset(k, 0, sizeof *k);
    for (size_t i = 0; i < sizeof healthy / sizeof *healthy; i++)
        px_status_set_add(k->healthy_statuses, healthy[i]);
    for (size_t i = 0; i < sizeof unhealthy / sizeof *unhealthy; i++)
        px_status_set_add(k->unhealthy_statuses, unhealthy[i]);
}

static int parse_healthchecks(struct kp *c, const yaml_node_t *n, struct px_kong_upstream *u,
                              const char *what)
{
    static const char *const keys[] = {"active", "passive", "threshold", NULL};
    struct hcp h = {.c = c};
    yaml_node_t *x;
    snprintf(h.path, sizeof h.path, "healthchecks");
    if (hc_check_keys(&h, n, keys)) return -1;
    if ((x = fl_y_get(c->d, n, "threshold")) &&
        fl_y_double(c->d, x, "healthchecks.threshold", 0, 100, &u->threshold))
        return -1;
    if ((x = fl_y_get(c->d, n, "passive")) && hc_passive(&h, x, &u->passive)) return -1;
    if ((x = fl_y_get(c->d, n, "active")) && hc_active(&h, x, what)) return -1;
    return 0;
}

/* clang-format off */
static const char *const upstream_keys[] = {
    "id", "created_at", "updated_at", "name", "algorithm", "hash_on", "hash_fallback",
    "hash_on_header", "hash_fallback_header", "hash_on_cookie", "hash_on_cookie_path",
    "hash_on_query_arg", "hash_fallback_query_arg", "hash_on_uri_capture",
    "hash_fallback_uri_capture", "slots", "healthchecks", "tags", "host_header",
    "client_certificate", "use_srv_name", "sticky_sessions_cookie", "sticky_sessions_cookie_path",
    "targets", NULL};
/* clang-format on */

static int upstream_settings(struct kp *c, const yaml_node_t *n, struct px_kong_upstream *u,
                             const char *what)
{
    /* clang-format off */
    static const char *const algorithms[] = {
        "round-robin", "least-connections", "consistent-hashing", "latency", "sticky-sessions",
        NULL};
    /* clang-format on */
    yaml_node_t *x;
    int a = 0;
    long long slots;
    if ((x = fl_y_get(c->d, n, "algorithm")) && fl_y_enum(c->d, x, "algorithm", algorithms, &a))
        return -1;
    if (a > 1)
        return fl_y_error(c->d, x, "%s: algorithm '%s' is not supported yet", what, algorithms[a]);
    u->lb = a == 0 ? PX_LB_ROUND_ROBIN : PX_LB_LEAST_REQUEST;
    if ((x = fl_y_get(c->d, n, "slots")) && fl_y_int(c->d, x, "slots", 10, 65536, &slots))
        return -1;
    passive_defaults(&u->passive);
    if ((x = fl_y_get(c->d, n, "healthchecks")) && parse_healthchecks(c, x, u, what)) return -1;
    char msg[200];
    snprintf(msg, sizeof msg, "%s: host_header is not supported yet", what);
    return refuse_nonempty(c, n, "host_header", msg);
}

static int parse_upstream(struct kp *c, const yaml_node_t *n)
{
    static const char *const required[] = {"name", NULL};
    const char *name;
    char what[160];
    if (fl_y_want_map(c->d, n, "an upstream") ||
        fl_y_check_keys(c->d, n, upstream_keys, required, "upstream"))
        return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name"), *x;
    if (fl_y_string(c->d, nn, "upstream name", &name)) return -1;
    for (size_t i = 0; i < c->k->n_upstreams; i++)
        if (!strcmp(c->k->upstreams[i].name, name))
            return fl_y_error(c->d, nn, "upstream '%s' is defined twice", name);
    describe(what, sizeof what, "upstream", name, 0);
    size_t idx = c->k->n_upstreams;
    FL_GROW(c->k->upstreams, c->cap_upstreams, idx + 1);
    struct px_kong_upstream *u = &c->k->upstreams[idx];
    memset(u, 0, sizeof *u);
    u->name = fl_strdup(name);
    c->k->n_upstreams++;
    if (read_id(c, n, &c->upstream_ids, &c->cap_uids, idx) || upstream_settings(c, n, u, what))
        return -1;
    if ((x = fl_y_get(c->d, n, "targets"))) {
        if (fl_y_want_seq(c->d, x, "targets")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++) {
            yaml_node_t *t = item(c, x, i);
            if (fl_y_want_map(c->d, t, "a target") || parse_target(c, t, (int)idx)) return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- the document */

/* clang-format off */
static const char *const top_keys[] = {
    "_format_version", "_transform", "_comment", "_workspace", "services", "routes", "plugins",
    "upstreams", "targets", "consumers", "consumer_groups", "certificates", "ca_certificates",
    "snis", "vaults", "keys", "key_sets", "filter_chains", NULL};
/* clang-format on */

/* Kong entities faultline does not run yet: refused when given. */
static int top_unsupported(struct kp *c, const yaml_node_t *n)
{
    /* clang-format off */
    static const char *const keys[] = {
        "consumers", "consumer_groups", "certificates", "ca_certificates", "snis", "vaults", "keys",
        "key_sets", "filter_chains", NULL};
    /* clang-format on */
    char msg[120];
    for (int i = 0; keys[i]; i++) {
        snprintf(msg, sizeof msg, "Kong's %s are not supported yet", keys[i]);
        if (refuse_nonempty(c, n, keys[i], msg)) return -1;
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
    if (opt_bool(c, n, "_transform", "_transform", &b)) return -1;
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
        if (fn(c, item(c, x, i))) return -1;
    return 0;
}

static int top_target(struct kp *c, const yaml_node_t *n)
{
    return fl_y_want_map(c->d, n, "a target") || parse_target(c, n, -1) ? -1 : 0;
}

static int top_route(struct kp *c, const yaml_node_t *n)
{
    return parse_route(c, n, -1);
}

static int top_plugin(struct kp *c, const yaml_node_t *n)
{
    return fl_y_want_map(c->d, n, "a plugin") || parse_plugin(c, n, PX_KONG_GLOBAL, -1) ? -1 : 0;
}

static int parse_top(struct kp *c, const yaml_node_t *n)
{
    if (fl_y_want_map(c->d, n, "the Kong configuration") || top_header(c, n)) return -1;
    /* entities are read in dependency order, whatever the order of the keys */
    if (each(c, n, "upstreams", parse_upstream) || each(c, n, "targets", top_target) ||
        each(c, n, "services", parse_service) || each(c, n, "routes", top_route) ||
        each(c, n, "plugins", top_plugin))
        return -1;
    return 0;
}

int px_kong_parse(struct fl_ydoc *d, const yaml_node_t *n, struct px_kong *out)
{
    memset(out, 0, sizeof *out);
    struct kp c = {.d = d, .k = out};
    int rc = parse_top(&c, n);
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
        free(s->path);
    }
    free(k->services);
    for (size_t i = 0; i < k->n_routes; i++) {
        struct px_kong_route *r = &k->routes[i];
        free(r->name);
        free_strs(r->paths, r->n_paths);
        free_strs(r->hosts, r->n_hosts);
        free_strs(r->methods, r->n_methods);
        for (size_t j = 0; j < r->n_headers; j++) {
            free(r->headers[j].name);
            free_strs(r->headers[j].values, r->headers[j].n_values);
        }
        free(r->headers);
    }
    free(k->routes);
    for (size_t i = 0; i < k->n_upstreams; i++) {
        free(k->upstreams[i].name);
        for (size_t j = 0; j < k->upstreams[i].n_targets; j++)
            free(k->upstreams[i].targets[j].host);
        free(k->upstreams[i].targets);
    }
    free(k->upstreams);
    for (size_t i = 0; i < k->n_plugins; i++) {
        free(k->plugins[i].name);
        px_rl_cfg_free(&k->plugins[i].rl);
    }
    free(k->plugins);
    memset(k, 0, sizeof *k);
}

/* ---------------------------------------------------------------- building */

/* Kong 3's route priority (kong/router/transform.lua get_priority), field by field. */
struct kprio {
    int weight;      /* how many of methods, hosts, headers, paths are set */
    int plain_hosts; /* hosts without a wildcard */
    int headers;     /* header names, at most 255 */
    int regex;       /* the path is a regex */
    int64_t regex_priority;
    size_t length; /* prefix length */
};

/* One row of Kong's router: a route with one of its paths (SIZE_MAX: it has none). */
struct kentry {
    size_t route, path;
    struct kprio pr;
};

static struct kprio priority(const struct px_kong_route *r, size_t path)
{
    struct kprio p = {0};
    p.weight = (r->n_methods > 0) + (r->n_hosts > 0) + (r->n_headers > 0) + (r->n_paths > 0);
    p.plain_hosts = r->n_hosts > 0;
    for (size_t i = 0; i < r->n_hosts; i++)
        if (strchr(r->hosts[i], '*')) p.plain_hosts = 0;
    p.headers = r->n_headers > 255 ? 255 : (int)r->n_headers;
    if (path != SIZE_MAX && r->paths[path][0] == '~') {
        p.regex = 1;
        p.regex_priority = r->regex_priority;
    } else if (path != SIZE_MAX) {
        p.length = strlen(r->paths[path]) & 0x7FFFF;
    }
    return p;
}

#define CMP_DESC(x, y)                                                                             \
    if ((x) != (y)) return (x) > (y) ? -1 : 1

/* Kong's order (highest priority first); ties keep the order of the file. */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct kentry *a = pa, *b = pb;
    CMP_DESC(a->pr.weight, b->pr.weight);
    CMP_DESC(a->pr.plain_hosts, b->pr.plain_hosts);
    CMP_DESC(a->pr.headers, b->pr.headers);
    CMP_DESC(a->pr.regex, b->pr.regex);
    CMP_DESC(a->pr.regex_priority, b->pr.regex_priority);
    CMP_DESC(a->pr.length, b->pr.length);
    if (a->route != b->route) return a->route < b->route ? -1 : 1;
    return a->path < b->path ? -1 : a->path > b->path;
}

/* The routes of enabled services, one entry per path, in Kong's order. */
static struct kentry *router_entries(const struct px_kong *k, size_t *n_out)
{
    size_t n = 0, cap = 0;
    struct kentry *e = NULL;
    for (size_t r = 0; r < k->n_routes; r++) {
        const struct px_kong_route *rt = &k->routes[r];
        if (!k->services[rt->service].enabled) continue; /* Kong skips a disabled service */
        size_t paths = rt->n_paths ? rt->n_paths : 1;
        for (size_t p = 0; p < paths; p++) {
            FL_GROW(e, cap, n + 1);
            e[n].route = r;
            e[n].path = rt->n_paths ? p : SIZE_MAX;
            e[n].pr = priority(rt, e[n].path);
            n++;
        }
    }
    if (n) qsort(e, n, sizeof *e, entry_cmp);
    *n_out = n;
    return e;
}

/* Whether a route host accepts the (exact or "*.suffix") domain of a virtual host. */
static int host_accepts(const char *host, const char *domain)
{
    if (host[0] != '*') return domain[0] != '*' && !strcasecmp(host, domain);
    const char *suffix = host + 1, *d = domain[0] == '*' ? domain + 1 : domain;
    size_t ls = strlen(suffix), ld = strlen(d);
    if (domain[0] == '*') return ld >= ls && !strcasecmp(d + ld - ls, suffix);
    return ld > ls && !strcasecmp(d + ld - ls, suffix);
}

static int route_serves(const struct px_kong_route *r, const char *domain)
{
    if (!r->n_hosts) return 1;
    if (!strcmp(domain, "*")) return 0;
    for (size_t i = 0; i < r->n_hosts; i++)
        if (host_accepts(r->hosts[i], domain)) return 1;
    return 0;
}

static int has_domain(char **v, size_t n, const char *d)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(v[i], d)) return 1;
    return 0;
}

static int wildcard_cmp(const void *pa, const void *pb)
{
    const char *a = *(char *const *)pa, *b = *(char *const *)pb;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return la > lb ? -1 : 1;
    return strcmp(a, b);
}

/* Virtual host domains: exact hosts in order of first use, wildcards longest first, then "*". */
static char **vhost_domains(const struct px_kong *k, const struct kentry *e, size_t n_e,
                            size_t *n_out)
{
    size_t n = 0, cap = 0, first_wild;
    char **v = NULL;
    for (int wild = 0; wild < 2; wild++) {
        first_wild = wild ? n : 0;
        for (size_t i = 0; i < n_e; i++) {
            const struct px_kong_route *r = &k->routes[e[i].route];
            for (size_t h = 0; h < r->n_hosts; h++) {
                if ((r->hosts[h][0] == '*') != wild || has_domain(v, n, r->hosts[h])) continue;
                FL_GROW(v, cap, n + 1);
                v[n++] = fl_strdup(r->hosts[h]);
            }
        }
        if (wild && n > first_wild) qsort(v + first_wild, n - first_wild, sizeof *v, wildcard_cmp);
    }
    FL_GROW(v, cap, n + 1);
    v[n++] = fl_strdup("*");
    *n_out = n;
    return v;
}

/* ---- one route ---- */

/* Escapes the regex metacharacters of a literal (ASCII punctuation). */
static void append_literal(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (; *s; s++) {
        FL_GROW(*buf, *cap, *len + 3);
        if (ispunct((unsigned char)*s)) (*buf)[(*len)++] = '\\';
        (*buf)[(*len)++] = (char)tolower((unsigned char)*s);
        (*buf)[*len] = '\0';
    }
}

/*
 * A Kong header condition: any of the values; a plain value is compared
 * without case, a "~*re" value is searched in the value, both lowercased
 * as Kong does (any(lower(http.headers.x)) ~ lower(re)).
 */
static int header_match(const struct px_kong_header *h, struct px_header_match *out, char **err)
{
    out->name = fl_strdup(h->name);
    if (h->n_values == 1 && strncmp(h->values[0], "~*", 2))
        return px_match_init(&out->m, PX_MATCH_EXACT, h->values[0], 1, err);
    char *re = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < h->n_values; i++) {
        const char *v = h->values[i];
        FL_GROW(re, cap, len + strlen(v) + 32);
        len += (size_t)sprintf(re + len, "%s(?:", i ? "|" : "");
        if (!strncmp(v, "~*", 2)) {
            len += (size_t)sprintf(re + len, "(?s:.*)(?:");
            for (const char *p = v + 2; *p; p++) re[len++] = (char)tolower((unsigned char)*p);
            len += (size_t)sprintf(re + len, ")(?s:.*)");
        } else {
            re[len] = '\0';
            append_literal(&re, &len, &cap, v);
        }
        FL_GROW(re, cap, len + 2);
        re[len++] = ')';
        re[len] = '\0';
    }
    int rc = px_match_init(&out->m, PX_MATCH_REGEX, re, 1, err);
    free(re);
    return rc;
}

static int path_match(const struct px_kong_route *r, size_t path, struct px_match *m, char **err)
{
    if (path == SIZE_MAX) return px_match_init(m, PX_MATCH_ANY, NULL, 0, err);
    const char *p = r->paths[path];
    if (p[0] != '~') return px_match_init(m, PX_MATCH_PREFIX, p, 0, err);
    char *re = kong_path_regex(p + 1);
    int rc = px_match_init(m, PX_MATCH_REGEX, re, 0, err);
    free(re);
    return rc;
}

/* Kong's retries: connection errors and timeouts (proxy_next_upstream "error timeout"). */
static void kong_retry(const struct px_kong_service *s, struct px_retry_policy *p)
{
    memset(p, 0, sizeof *p);
    p->retry_on = PX_RETRY_CONNECT_FAILURE | PX_RETRY_RESET | PX_RETRY_TIMEOUT;
    p->num_retries = (uint32_t)s->retries;
    p->per_try_timeout_ns = s->read_timeout_ns;
    p->base_ns = -1; /* the balancer retries at once: no backoff (retry.h) */
    p->max_ns = 0;
    p->previous_hosts = 1; /* the balancer moves on to the next target */
    p->host_selection_attempts = 1;
}

/* The plugin that runs on a route: the route's, else its service's, else the global one. */
static int route_rate_limit(const struct px_kong *k, size_t route)
{
    int best = -1, rank = 0;
    for (size_t i = 0; i < k->n_plugins; i++) {
        const struct px_kong_plugin *p = &k->plugins[i];
        int r = p->scope == PX_KONG_GLOBAL                                             ? 1
                : p->scope == PX_KONG_SERVICE && p->target == k->routes[route].service ? 2
                : p->scope == PX_KONG_ROUTE && p->target == (int)route                 ? 3
                                                                                       : 0;
        if (r > rank) {
            rank = r;
            best = (int)i;
        }
    }
    return best;
}

/* The upstream a service's host names, or NULL. */
static const struct px_kong_upstream *service_upstream(const struct px_kong *k,
                                                       const struct px_kong_service *s)
{
    for (size_t i = 0; i < k->n_upstreams; i++)
        if (!strcmp(k->upstreams[i].name, s->host)) return &k->upstreams[i];
    return NULL;
}

/* The Host Kong sends upstream: the service host, with its port unless the default one. */
static char *kong_authority(const struct px_kong *k, const struct px_kong_service *s)
{
    int default_port = s->port == (strcmp(s->protocol, "https") ? 80 : 443);
    if (service_upstream(k, s) || default_port) return fl_strdup(s->host);
    return fl_asprintf("%s:%u", s->host, (unsigned)s->port);
}

static int route_cfg(const struct px_kong *k, const struct kentry *e, const int *svc_cluster,
                     struct px_route_cfg *rc, char **err)
{
    const struct px_kong_route *r = &k->routes[e->route];
    const struct px_kong_service *s = &k->services[r->service];
    memset(rc, 0, sizeof *rc);
    rc->rate_limit = -1;
    rc->name = r->name ? fl_strdup(r->name) : fl_asprintf("route-%zu", e->route + 1);
    if (path_match(r, e->path, &rc->path, err)) return -1;
    rc->methods = fl_calloc(r->n_methods ? r->n_methods : 1, sizeof *rc->methods);
    for (; rc->n_methods < r->n_methods; rc->n_methods++)
        rc->methods[rc->n_methods] = fl_strdup(r->methods[rc->n_methods]);
    rc->headers = fl_calloc(r->n_headers ? r->n_headers : 1, sizeof *rc->headers);
    for (; rc->n_headers < r->n_headers; rc->n_headers++)
        if (header_match(&r->headers[rc->n_headers], &rc->headers[rc->n_headers], err)) {
            rc->n_headers++;
            return -1;
        }
    rc->dests = fl_calloc(1, sizeof *rc->dests);
    rc->dests[0].cluster = (uint32_t)svc_cluster[r->service];
    rc->dests[0].weight = 100;
    rc->n_dests = 1;
    rc->total_weight = 100;
    rc->has_retry = 1;
    kong_retry(s, &rc->retry);
    rc->strip_path = r->strip_path;
    rc->path_prefix = s->path ? fl_strdup(s->path) : NULL;
    rc->authority = r->preserve_host ? NULL : kong_authority(k, s);
    rc->rate_limit = route_rate_limit(k, e->route);
    return 0;
}

/* ---- clusters ---- */

/* Adds the endpoints of host:port (weight 0: as resolved) to a cluster. */
static int add_endpoints(struct px_cluster_cfg *cl, const struct px_resolver *r, const char *host,
                         uint16_t port, uint32_t weight, const char *owner, char **err)
{
    struct px_endpoint_cfg *eps = NULL;
    size_t n = 0;
    char *why = NULL;
    if (r->resolve(r->arg, host, port, &eps, &n, &why)) {
        *err = fl_asprintf("%s: cannot resolve '%s': %s", owner, host, why ? why : "unknown name");
        free(why);
        return -1;
    }
    cl->endpoints = fl_realloc(cl->endpoints, (cl->n_endpoints + n + 1) * sizeof *cl->endpoints);
    for (size_t i = 0; i < n; i++) {
        struct px_endpoint_cfg *ep = &cl->endpoints[cl->n_endpoints++];
        *ep = eps[i];
        /* Kong: every address of a target gets the target's weight */
        if (weight) ep->weight = weight;
        if (!ep->weight) ep->weight = 1;
    }
    free(eps);
    return 0;
}

/* "Forever": far beyond any run, and small enough that twice it plus itself fits in 63 bits. */
#define KONG_FOREVER_NS (INT64_C(1) << 60)

/*
 * Kong's passive health checks as outlier detection (outlier.h, Kong's
 * mode). Nothing of Envoy's runs: no consecutive_* detector, no success
 * rate or failure percentage; every target may be ejected (Kong skips
 * whatever its checker marks unhealthy); an ejection lasts forever and the
 * sweep, which has nothing to do, comes as rarely.
 */
static void kong_outlier(const struct px_kong_upstream *u, struct px_outlier_cfg *o)
{
    memset(o, 0, sizeof *o);
    o->interval_ns = KONG_FOREVER_NS;
    o->base_ejection_ns = o->max_ejection_ns = KONG_FOREVER_NS;
    o->max_ejection_percent = 100;
    o->kong = u->passive;
}

static void cluster_defaults(const struct px_kong_service *s, struct px_cluster_cfg *cl)
{
    memset(&cl->lb, 0, sizeof cl->lb);
    cl->lb.policy = PX_LB_ROUND_ROBIN;
    cl->lb.choice_count = 2;
    cl->lb.active_request_bias = 1.0;
    cl->lb.panic_threshold = 0; /* Kong has no panic mode */
    memset(&cl->breaker, 0, sizeof cl->breaker);
    cl->breaker.max_connections = cl->breaker.max_pending = UINT32_MAX; /* Kong has no breakers */
    cl->breaker.max_requests = cl->breaker.max_retries = UINT32_MAX;
    cl->connect_timeout_ns = s->connect_timeout_ns;
}

static int cluster_cfg(const struct px_kong *k, size_t svc, const struct px_resolver *r,
                       struct px_cluster_cfg *cl, char **err)
{
    const struct px_kong_service *s = &k->services[svc];
    char owner[160];
    describe(owner, sizeof owner, "service", s->name, svc);
    memset(cl, 0, sizeof *cl);
    cl->name = s->name ? fl_strdup(s->name) : fl_asprintf("service-%zu", svc + 1);
    cluster_defaults(s, cl);
    const struct px_kong_upstream *u = service_upstream(k, s);
    if (!u) return add_endpoints(cl, r, s->host, s->port, 0, owner, err);
    cl->lb.policy = u->lb;
    cl->lb.min_healthy_weight = u->threshold;
    if (u->passive.on) {
        cl->has_outlier = 1;
        kong_outlier(u, &cl->outlier);
    }
    for (size_t i = 0; i < u->n_targets; i++) {
        const struct px_kong_target *t = &u->targets[i];
        if (!t->weight) continue; /* Kong: a target of weight 0 takes no traffic */
        if (add_endpoints(cl, r, t->host, t->port, t->weight, owner, err)) return -1;
    }
    /*
     * Kong's least-connections picks the host with the fewest active
     * connections per weight; Envoy's least request compares a sample of
     * choice_count hosts, so the sample is the whole set.
     */
    if (u->lb == PX_LB_LEAST_REQUEST && cl->n_endpoints > 2)
        cl->lb.choice_count = (uint32_t)cl->n_endpoints;
    return 0;
}

static void copy_rl(const struct px_rl_cfg *src, struct px_rl_cfg *dst)
{
    *dst = *src;
    dst->header_name = src->header_name ? fl_strdup(src->header_name) : NULL;
    dst->path = src->path ? fl_strdup(src->path) : NULL;
    dst->error_message = src->error_message ? fl_strdup(src->error_message) : NULL;
}

static int build_clusters(const struct px_kong *k, const struct px_resolver *r,
                          struct px_proxy_cfg *out, int *svc_cluster, char **err)
{
    out->clusters = fl_calloc(k->n_services ? k->n_services : 1, sizeof *out->clusters);
    for (size_t i = 0; i < k->n_services; i++) {
        svc_cluster[i] = -1;
        if (!k->services[i].enabled) continue;
        if (cluster_cfg(k, i, r, &out->clusters[out->n_clusters], err)) {
            out->n_clusters++;
            return -1;
        }
        svc_cluster[i] = (int)out->n_clusters++;
    }
    out->rate_limits = fl_calloc(k->n_plugins ? k->n_plugins : 1, sizeof *out->rate_limits);
    for (; out->n_rate_limits < k->n_plugins; out->n_rate_limits++)
        copy_rl(&k->plugins[out->n_rate_limits].rl, &out->rate_limits[out->n_rate_limits]);
    return 0;
}

static int build_vhost(const struct px_kong *k, const struct kentry *e, size_t n_e,
                       const int *svc_cluster, char *domain, struct px_vhost_cfg *vh, char **err)
{
    vh->name = fl_strdup(domain);
    vh->domains = fl_calloc(1, sizeof *vh->domains);
    vh->domains[0] = domain;
    vh->n_domains = 1;
    vh->routes = fl_calloc(n_e ? n_e : 1, sizeof *vh->routes);
    for (size_t i = 0; i < n_e; i++) {
        if (!route_serves(&k->routes[e[i].route], domain)) continue;
        if (route_cfg(k, &e[i], svc_cluster, &vh->routes[vh->n_routes++], err)) return -1;
    }
    return 0;
}

int px_kong_build(const struct px_kong *k, const char *name, const struct px_resolver *r,
                  struct px_proxy_cfg *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->name = fl_strdup(name);
    out->kind = PX_PROXY_GATEWAY;
    px_cost_default(&out->cost);
    out->workers = 1;
    int *svc_cluster = fl_calloc(k->n_services ? k->n_services : 1, sizeof *svc_cluster);
    size_t n_e = 0, n_d = 0, d = 0;
    struct kentry *e = NULL;
    char **domains = NULL;
    int rc = build_clusters(k, r, out, svc_cluster, err);
    if (!rc) {
        e = router_entries(k, &n_e);
        domains = vhost_domains(k, e, n_e, &n_d);
        out->vhosts = fl_calloc(n_d, sizeof *out->vhosts);
        for (; d < n_d && !rc; d++)
            rc =
                build_vhost(k, e, n_e, svc_cluster, domains[d], &out->vhosts[out->n_vhosts++], err);
    }
    for (; d < n_d; d++) free(domains[d]); /* the rest, after an error */
    free(domains);
    free(e);
    free(svc_cluster);
    if (rc) px_proxy_cfg_free(out);
    return rc;
}
