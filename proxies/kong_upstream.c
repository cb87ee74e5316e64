/*
 * kong_upstream.c - reads Kong's upstreams (kong/db/schema/entities/
 * upstreams.lua) and their targets (targets.lua), nested under an
 * upstream or at the top level naming one (`upstream:`).
 *
 * Defaults as Kong's: algorithm round-robin; target port 8000, weight
 * 100. A target is "host", "host:port", "[v6]" or "[v6]:port". An
 * upstream's healthchecks start from Kong's defaults and are read in
 * kong_health.c.
 *
 * Refused by name, as not supported yet: the consistent-hashing, latency
 * and sticky-sessions algorithms, host_header. The hash_* settings, slots,
 * use_srv_name, client_certificate and tags are read and have no effect.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

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
    if (*end == ':' && px_kong_parse_port(end + 1, strlen(end + 1), &t->port))
        return fl_y_error(c->d, n, "Invalid target ('%s'); not a valid port", s);
    if (*end && *end != ':')
        return fl_y_error(c->d, n, "Invalid target ('%s'); not a valid hostname or ip address", s);
    t->host = fl_strndup(s, (size_t)(end - s));
    FL_ASSERT(end > s && t->host[0] && t->port > 0);
    return 0;
}

int px_kong_parse_target(struct kp *c, const yaml_node_t *n, int upstream)
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
    if (is_top && px_kong_resolve_ref(c, fl_y_get(c->d, n, "upstream"), K_UPSTREAM, &upstream))
        return -1;
    struct px_kong_target t = {.weight = 100};
    yaml_node_t *x = fl_y_get(c->d, n, "weight");
    long long w;
    if (x) {
        if (fl_y_int(c->d, x, "weight", 0, 65535, &w)) return -1;
        t.weight = (uint32_t)w;
    }
    if (target_address(c, fl_y_get(c->d, n, "target"), &t)) return -1;
    char where[512];
    t.host_at = fl_strdup(fl_y_where(c->d, fl_y_get(c->d, n, "target"), where, sizeof where));
    /* nested: the upstream being parsed; top level: resolve_ref found it */
    FL_ASSERT(upstream >= 0 && (size_t)upstream < c->k->n_upstreams && t.weight <= 65535);
    struct px_kong_upstream *u = &c->k->upstreams[upstream];
    u->targets = fl_realloc(u->targets, (u->n_targets + 1) * sizeof *u->targets);
    u->targets[u->n_targets++] = t;
    FL_ASSERT(u->n_targets > 0 && u->targets[u->n_targets - 1].host);
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
    FL_ASSERT(a == 0 || a == 1);
    u->lb = a == 0 ? PX_LB_ROUND_ROBIN : PX_LB_LEAST_REQUEST;
    if ((x = fl_y_get(c->d, n, "slots")) && fl_y_int(c->d, x, "slots", 10, 65536, &slots))
        return -1;
    px_kong_passive_defaults(&u->passive);
    if ((x = fl_y_get(c->d, n, "healthchecks")) && px_kong_parse_healthchecks(c, x, u, what))
        return -1;
    char msg[200];
    snprintf(msg, sizeof msg, "%s: host_header is not supported yet", what);
    return px_kong_refuse_nonempty(c, n, "host_header", msg);
}

int px_kong_parse_upstream(struct kp *c, const yaml_node_t *n)
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
    px_kong_describe(what, sizeof what, "upstream", name, 0);
    size_t idx = c->k->n_upstreams;
    FL_GROW(c->k->upstreams, c->cap_upstreams, idx + 1);
    struct px_kong_upstream *u = &c->k->upstreams[idx];
    memset(u, 0, sizeof *u);
    u->name = fl_strdup(name);
    c->k->n_upstreams++;
    if (px_kong_read_id(c, n, &c->upstream_ids, &c->cap_uids, idx) ||
        upstream_settings(c, n, u, what))
        return -1;
    if ((x = fl_y_get(c->d, n, "targets"))) {
        if (fl_y_want_seq(c->d, x, "targets")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++) {
            yaml_node_t *t = px_kong_item(c, x, i);
            if (fl_y_want_map(c->d, t, "a target") || px_kong_parse_target(c, t, (int)idx))
                return -1;
        }
    }
    return 0;
}
