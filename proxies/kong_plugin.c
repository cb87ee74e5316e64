/*
 * kong_plugin.c - reads Kong's plugins (kong/db/schema/entities/
 * plugins.lua): which kind each is, its scope, and the config of
 * rate-limiting (kong/plugins/rate-limiting/schema.lua). The traffic
 * plugins' configs are read by kong_plugin_edge.c, the observers' by
 * kong_plugin_observe.c.
 *
 * A plugin stands globally, nests under a service or route, or names a
 * `service:` and/or `route:` (the route must then be one of the
 * service's); Kong allows one plugin of a name per scope. A plugin with
 * enabled: false is read and checked, then dropped, as Kong skips it.
 * key-auth and jwt authenticate consumers (kong_plugin_auth.c); the other
 * authentication plugins (basic-auth, oauth2, hmac-auth, ldap-auth,
 * openid-connect) are refused as not modelled yet; any other unknown name
 * is refused with a suggestion. Rate-limiting's
 * defaults as Kong's: policy local, limit_by consumer, error_code 429,
 * error_message "API rate limit exceeded", fault_tolerant true; the limits
 * of longer periods may not be lower (Kong's validate_periods_order, with
 * its message). Policy redis takes config.redis or the flat redis_* fields.
 *
 * Refused by name, as not supported yet: plugins scoped to a consumer or
 * consumer group, dynamic ordering, sync_rate other than -1, TLS to Redis;
 * non-integer rate limits; policy cluster as Kong without a database does. Which plugin runs on a
 * route is decided when building (kong_build.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

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
        FL_ASSERT(v >= 1 && p < PX_RL_PERIODS);
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
    /* what the identifier reads is set (proxy.c rl_identifier) */
    FL_ASSERT(rl->limit_by != PX_RL_BY_HEADER || rl->header_name);
    return 0;
}

/* A string field of config.redis (or its flat redis_* form), null as absent; *at its place. */
static int redis_str_at(struct kp *c, const yaml_node_t *n, const char *key, const char *what,
                        char **out, char **at)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    const char *s;
    char where[256];
    if (!x || px_kong_is_null(x)) return 0;
    if (fl_y_string(c->d, x, what, &s)) return -1;
    free(*out);
    *out = *s ? fl_strdup(s) : NULL;
    if (at) {
        free(*at);
        *at = fl_strdup(fl_y_where(c->d, x, where, sizeof where));
    }
    return 0;
}

static int redis_str(struct kp *c, const yaml_node_t *n, const char *key, const char *what,
                     char **out)
{
    return redis_str_at(c, n, key, what, out, NULL);
}

/* An integer field of config.redis, null as absent. */
static int redis_int(struct kp *c, const yaml_node_t *n, const char *key, const char *what,
                     long long min, long long max, long long *out)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    if (!x || px_kong_is_null(x)) return 0;
    return fl_y_int(c->d, x, what, min, max, out);
}

/* TLS to Redis is not modelled: ssl must stay false. */
static int redis_no_ssl(struct kp *c, const yaml_node_t *n, const char *key, const char *what)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    int b = 0;
    if (!x || px_kong_is_null(x)) return 0;
    if (fl_y_bool(c->d, x, what, &b)) return -1;
    if (b) return fl_y_error(c->d, x, "rate-limiting: %s: TLS to Redis is not supported yet", what);
    return 0;
}

/*
 * The Redis settings: Kong 3's config.redis record (kong/tools/redis/
 * schema.lua: host, port 6379, timeout 2000 ms, username, password,
 * database 0, ssl, ssl_verify, server_name) or the deprecated flat
 * redis_host, redis_port... (rate-limiting/schema.lua shorthand_fields);
 * a flat field, read after the record, wins as Kong's shorthand does.
 */
static int rl_redis(struct kp *c, const yaml_node_t *n, struct px_rl_cfg *rl)
{
    static const char *const keys[] = {"host",
                                       "port",
                                       "timeout",
                                       "username",
                                       "password",
                                       "database",
                                       "ssl",
                                       "ssl_verify",
                                       "server_name",
                                       "connect_timeout",
                                       "send_timeout",
                                       "read_timeout",
                                       "keepalive_pool_size",
                                       "keepalive_backlog",
                                       "sentinel_master",
                                       "sentinel_role",
                                       "sentinel_nodes",
                                       "sentinel_username",
                                       "sentinel_password",
                                       "cluster_nodes",
                                       "cluster_max_redirections",
                                       "connection_is_proxied",
                                       NULL};
    struct px_rl_redis *r = &rl->redis;
    long long v;
    yaml_node_t *m = fl_y_get(c->d, n, "redis");
    if (m && px_kong_is_null(m)) m = NULL;
    if (m) {
        if (fl_y_want_map(c->d, m, "config.redis") ||
            fl_y_check_keys(c->d, m, keys, NULL, "rate-limiting config.redis"))
            return -1;
        if (redis_str_at(c, m, "host", "config.redis.host", &r->host, &r->host_at) ||
            redis_str(c, m, "username", "config.redis.username", &r->username) ||
            redis_str(c, m, "password", "config.redis.password", &r->password) ||
            redis_no_ssl(c, m, "ssl", "config.redis.ssl"))
            return -1;
        v = r->port;
        if (redis_int(c, m, "port", "config.redis.port", 1, 65535, &v)) return -1;
        r->port = (int)v;
        v = r->timeout_ms;
        if (redis_int(c, m, "timeout", "config.redis.timeout (ms)", 1, 2147483646, &v)) return -1;
        r->timeout_ms = v;
        v = r->database;
        if (redis_int(c, m, "database", "config.redis.database", 0, 2147483647, &v)) return -1;
        r->database = (int)v;
    }
    if (redis_str_at(c, n, "redis_host", "config.redis_host", &r->host, &r->host_at) ||
        redis_str(c, n, "redis_username", "config.redis_username", &r->username) ||
        redis_str(c, n, "redis_password", "config.redis_password", &r->password) ||
        redis_no_ssl(c, n, "redis_ssl", "config.redis_ssl"))
        return -1;
    v = r->port;
    if (redis_int(c, n, "redis_port", "config.redis_port", 1, 65535, &v)) return -1;
    r->port = (int)v;
    v = r->timeout_ms;
    if (redis_int(c, n, "redis_timeout", "config.redis_timeout (ms)", 1, 2147483646, &v)) return -1;
    r->timeout_ms = v;
    v = r->database;
    if (redis_int(c, n, "redis_database", "config.redis_database", 0, 2147483647, &v)) return -1;
    r->database = (int)v;
    FL_ASSERT(r->port >= 1 && r->port <= 65535 && r->timeout_ms >= 1);
    return 0;
}

/*
 * policy, sync_rate, fault_tolerant, redis settings. DB-less Kong offers
 * local and redis only (schema.lua: is_dbless() drops "cluster" from
 * one_of, so Kong answers "expected one of: local, redis"); redis needs a
 * host (the entity check "config.redis.host ... required"). sync_rate -1
 * (counting in real time) is the only value taken: Kong's batched sync
 * (sync_rate > 0) is not modelled.
 */
static int rl_policy(struct kp *c, const yaml_node_t *n, struct px_rl_cfg *rl)
{
    static const char *const policies[] = {"local", "redis", NULL};
    yaml_node_t *x = fl_y_get(c->d, n, "policy");
    int policy = 0;
    double sync = -1;
    if (x && x->type == YAML_SCALAR_NODE && !strcmp(fl_y_str(x), "cluster"))
        return fl_y_error(c->d, x,
                          "rate-limiting: config.policy: expected one of: local, redis (Kong "
                          "without a database has no 'cluster' policy; 'redis' shares counters "
                          "between gateways)");
    if (x && fl_y_enum(c->d, x, "config.policy", policies, &policy)) return -1;
    rl->policy = policy ? PX_RL_REDIS : PX_RL_LOCAL;
    yaml_node_t *sx = fl_y_get(c->d, n, "sync_rate");
    if (sx && fl_y_double(c->d, sx, "config.sync_rate", -1, 1e9, &sync)) return -1;
    if (sync != -1 && rl->policy != PX_RL_REDIS)
        return fl_y_error(c->d, sx,
                          "rate-limiting: sync_rate can only be used with the redis "
                          "policy");
    if (sync != -1)
        return fl_y_error(c->d, sx,
                          "rate-limiting: sync_rate %g is not supported yet (faultline counts "
                          "in real time, as sync_rate -1)",
                          sync);
    if (px_kong_opt_bool(c, n, "fault_tolerant", "config.fault_tolerant", &rl->fault_tolerant))
        return -1;
    if (rl_redis(c, n, rl)) return -1;
    if (rl->policy == PX_RL_REDIS && !rl->redis.host)
        return fl_y_error(c->d, x, "rate-limiting: policy redis needs config.redis.host");
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
    if (rl_limits(c, n, rl) || rl_limit_by(c, n, rl) || rl_policy(c, n, rl)) return -1;
    if (px_kong_opt_bool(c, n, "hide_client_headers", "config.hide_client_headers",
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
    FL_ASSERT(rl->error_code >= 100 && rl->error_code <= 599 && rl->error_message);
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
static int plugin_scope(struct kp *c, const yaml_node_t *n, const char *name,
                        enum px_kong_scope *scope, int *target)
{
    yaml_node_t *sn = fl_y_get(c->d, n, "service"), *rn = fl_y_get(c->d, n, "route");
    int svc = -1, route = -1;
    if (sn && px_kong_resolve_ref(c, sn, K_SERVICE, &svc)) return -1;
    if (rn && px_kong_resolve_ref(c, rn, K_ROUTE, &route)) return -1;
    if (route >= 0 && svc >= 0 && c->k->routes[route].service != svc)
        return fl_y_error(c->d, rn, "plugin '%s': route '%s' is not a route of service '%s'", name,
                          c->k->routes[route].name ? c->k->routes[route].name : "?",
                          c->k->services[svc].name ? c->k->services[svc].name : "?");
    *scope = route >= 0 ? PX_KONG_ROUTE : svc >= 0 ? PX_KONG_SERVICE : PX_KONG_GLOBAL;
    *target = route >= 0 ? route : svc;
    FL_ASSERT(*scope == PX_KONG_GLOBAL ? *target < 0 : *target >= 0);
    return 0;
}

static const char *scope_text(struct kp *c, enum px_kong_scope scope, int target, char *buf,
                              size_t size)
{
    if (scope == PX_KONG_GLOBAL) return "the whole gateway";
    FL_ASSERT(target >= 0);
    if (scope == PX_KONG_SERVICE)
        return px_kong_describe(buf, size, "service", c->k->services[target].name, (size_t)target);
    return px_kong_describe(buf, size, "route", c->k->routes[target].name, (size_t)target);
}

/* Adds a plugin (taking what p holds); Kong allows one plugin of a name per scope. */
static int plugin_add(struct kp *c, const yaml_node_t *n, struct px_kong_plugin *p)
{
    for (size_t i = 0; i < c->k->n_plugins; i++) {
        const struct px_kong_plugin *o = &c->k->plugins[i];
        if (o->scope != p->scope || o->target != p->target || strcmp(o->name, p->name)) continue;
        char buf[160];
        int rc = fl_y_error(c->d, n, "a second %s plugin for %s (Kong allows one)", p->name,
                            scope_text(c, p->scope, p->target, buf, sizeof buf));
        free(p->name);
        px_rl_cfg_free(&p->rl);
        if (p->edge) px_edge_free(p->edge);
        free(p->edge);
        return rc;
    }
    FL_GROW(c->k->plugins, c->cap_plugins, c->k->n_plugins + 1);
    c->k->plugins[c->k->n_plugins++] = *p;
    FL_ASSERT(c->k->n_plugins <= c->cap_plugins);
    return 0;
}

/* Kong's authentication plugins: refused until authentication is modelled. */
static const char *const auth_plugins[] = {"basic-auth", "oauth2",         "hmac-auth",
                                           "ldap-auth",  "openid-connect", NULL};

/* Every plugin name faultline knows, for "did you mean". */
static const char *const known_plugins[] = {"rate-limiting",
                                            "key-auth",
                                            "jwt",
                                            "correlation-id",
                                            "cors",
                                            "ip-restriction",
                                            "request-size-limiting",
                                            "acl",
                                            "request-transformer",
                                            "response-transformer",
                                            "proxy-cache",
                                            "request-termination",
                                            "prometheus",
                                            "file-log",
                                            "http-log",
                                            "tcp-log",
                                            "udp-log",
                                            "syslog",
                                            "statsd",
                                            "datadog",
                                            "zipkin",
                                            "opentelemetry",
                                            NULL};

/* Refuses a plugin faultline does not run: authentication, or unknown (with a suggestion). */
static int plugin_refuse(struct kp *c, const yaml_node_t *nn, const char *name)
{
    for (int i = 0; auth_plugins[i]; i++)
        if (!strcmp(auth_plugins[i], name))
            return fl_y_error(c->d, nn, "plugin '%s' is not supported yet (key-auth and jwt are)",
                              name);
    const char *near = fl_did_you_mean(name, known_plugins);
    if (near)
        return fl_y_error(c->d, nn, "plugin '%s' is not supported (did you mean '%s'?)", name,
                          near);
    return fl_y_error(c->d, nn, "plugin '%s' is not supported", name);
}

/* The plugin's config as its kind reads it, into p. */
static int plugin_config(struct kp *c, const yaml_node_t *n, const char *name,
                         struct px_kong_plugin *p)
{
    yaml_node_t *cfg = fl_y_get(c->d, n, "config");
    if (!strcmp(name, "rate-limiting")) {
        if (!cfg)
            return fl_y_error(c->d, n,
                              "plugin 'rate-limiting' needs a 'config' with at least one limit");
        px_rl_cfg_default(&p->rl);
        /*
         * Kong checks a disabled plugin's config like any other (the plugin
         * entity's schema, kong/db/schema/entities/plugins.lua, validates
         * config whatever `enabled` says), then skips the plugin.
         */
        return rl_config(c, cfg, &p->rl);
    }
    if (px_kong_observer(name)) {
        p->observer = 1;
        return px_kong_observer_check(c, name, cfg, p);
    }
    p->priority = px_kong_edge_priority(name);
    FL_ASSERT(p->priority >= 0);
    p->edge = px_kong_edge_read(c, name, n, cfg);
    return p->edge ? 0 : -1;
}

/* A plugin; scope and target come from where it is nested (global: top-level). */
int px_kong_parse_plugin(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target)
{
    const int top = scope == PX_KONG_GLOBAL;
    static const char *const required[] = {"name", NULL};
    const char *name;
    char msg[160];
    if (fl_y_check_keys(c->d, n, top ? plugin_keys_top : plugin_keys_nested, required, "plugin"))
        return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name");
    if (fl_y_string(c->d, nn, "plugin name", &name)) return -1;
    if (strcmp(name, "rate-limiting") && !px_kong_observer(name) && px_kong_edge_priority(name) < 0)
        return plugin_refuse(c, nn, name);
    snprintf(msg, sizeof msg, "plugin '%s': consumers are not supported yet", name);
    if (px_kong_refuse_nonempty(c, n, "consumer", msg)) return -1;
    snprintf(msg, sizeof msg, "plugin '%s': consumer groups are not supported yet", name);
    if (px_kong_refuse_nonempty(c, n, "consumer_group", msg)) return -1;
    snprintf(msg, sizeof msg, "plugin '%s': dynamic ordering is not supported yet", name);
    if (px_kong_refuse_nonempty(c, n, "ordering", msg)) return -1;
    int enabled = 1;
    if (px_kong_opt_bool(c, n, "enabled", "plugin enabled", &enabled)) return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "protocols");
    char **protos = NULL;
    size_t n_protos = 0;
    int rc = x ? px_kong_str_list(c, x, "plugin protocols", &protos, &n_protos) : 0;
    px_kong_strs_free(protos, n_protos);
    if (rc || (top && plugin_scope(c, n, name, &scope, &target))) return -1;
    struct px_kong_plugin p;
    memset(&p, 0, sizeof p);
    p.name = fl_strdup(name);
    p.scope = scope;
    p.target = target;
    rc = plugin_config(c, n, name, &p);
    if (rc || !enabled) { /* a disabled plugin is checked, then skipped */
        free(p.name);
        px_rl_cfg_free(&p.rl);
        if (p.edge) px_edge_free(p.edge);
        free(p.edge);
        return rc;
    }
    return plugin_add(c, n, &p);
}

int px_kong_parse_plugins(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target)
{
    if (fl_y_want_seq(c->d, n, "plugins")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *p = px_kong_item(c, n, i);
        if (fl_y_want_map(c->d, p, "a plugin") || px_kong_parse_plugin(c, p, scope, target))
            return -1;
    }
    return 0;
}
