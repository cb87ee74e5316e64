/*
 * kong_internal.h - what the files reading and building Kong's declarative
 * configuration share (proxies/kong_*.c): the parsing state, the small
 * readers of kong_parse.c, and the reader of each kind of entity.
 *
 * Every reader takes the parsing state and a node of the document, and
 * returns 0, or -1 with the error recorded in the document
 * (file:line:col), as px_kong_parse does. What a reader has added to
 * struct px_kong before an error is freed by px_kong_parse.
 *
 * Not a public API: outside proxies/kong_*.c, use kong.h.
 */
#ifndef FL_PROXIES_KONG_INTERNAL_H
#define FL_PROXIES_KONG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/yamldoc.h"
#include "proxies/kong.h"

/* Parsing state: the document, the result, and the ids entities may be named by. */
struct kp {
    struct fl_ydoc *d;
    struct px_kong *k;
    int legacy_paths; /* _format_version before 3.0 */
    char **service_ids, **route_ids, **upstream_ids;
    size_t cap_services, cap_routes, cap_upstreams, cap_plugins;
    size_t cap_sids, cap_rids, cap_uids;
};

/* What a reference names (px_kong_resolve_ref). */
enum kp_kind { K_SERVICE, K_ROUTE, K_UPSTREAM };

/* The items of a sequence node. */
#define SEQ_ITEMS(n) ((n)->data.sequence.items.start)
#define SEQ_COUNT(n) ((size_t)((n)->data.sequence.items.top - (n)->data.sequence.items.start))

/* ---------------------------------------------------------------- small readers (kong_parse.c) */

/* Item i of the sequence node seq. */
yaml_node_t *px_kong_item(struct kp *c, const yaml_node_t *seq, size_t i);

/* A list of non-empty strings; *out owns copies (free with px_kong_strs_free). */
int px_kong_str_list(struct kp *c, const yaml_node_t *n, const char *what, char ***out,
                     size_t *n_out);
void px_kong_strs_free(char **v, size_t n);

/* Kong's utf8_name: ASCII letters, digits, '.', '-', '_', '~' (and any non-ASCII). */
int px_kong_utf8_name(struct kp *c, const yaml_node_t *n, const char *what, const char **out);

/* The boolean under key in mapping m, if there is one (*out is left alone otherwise). */
int px_kong_opt_bool(struct kp *c, const yaml_node_t *m, const char *key, const char *what,
                     int *out);

/* A YAML null (`kong config db_export` writes `~` for fields without a value). */
int px_kong_is_null(const yaml_node_t *n);

/* A list that must be empty, null or absent (a part of Kong not supported yet): msg otherwise. */
int px_kong_refuse_nonempty(struct kp *c, const yaml_node_t *m, const char *key, const char *msg);

/* "service 'billing'" (or "service #2" when unnamed; i is the index) into buf; returns buf. */
const char *px_kong_describe(char *buf, size_t size, const char *kind, const char *name, size_t i);

/*
 * Resolves a reference to an entity already read: a name or id, or a
 * mapping {name: ..} or {id: ..}. *out is its index.
 */
int px_kong_resolve_ref(struct kp *c, const yaml_node_t *n, enum kp_kind k, int *out);

/* Remembers an entity's `id` (NULL when absent) next to its index. */
int px_kong_read_id(struct kp *c, const yaml_node_t *m, char ***ids, size_t *cap, size_t idx);

/* A port: len decimal digits, 1..65535. Returns 0 with *out, or -1 (nothing recorded). */
int px_kong_parse_port(const char *s, size_t len, uint16_t *out);

/* ---------------------------------------------------------------- entities */

/* kong_service.c: a service, with its nested routes and plugins. */
int px_kong_parse_service(struct kp *c, const yaml_node_t *n);

/* kong_route.c: Kong's protocol names (NULL-terminated; http and https first, the ones run). */
extern const char *const px_kong_protocols[];

/* kong_route.c: a route; service is its service's index when nested (-1 at the top level). */
int px_kong_parse_route(struct kp *c, const yaml_node_t *n, int service);

/* kong_route.c: the regex of a Kong "~re" path, as a whole-string matcher (caller frees). */
char *px_kong_path_regex(const char *re);

/* kong_plugin.c: a plugin; scope and target come from where it is nested (global: top-level). */
int px_kong_parse_plugin(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target);

/* kong_plugin.c: a list of plugins nested under a service or route. */
int px_kong_parse_plugins(struct kp *c, const yaml_node_t *n, enum px_kong_scope scope, int target);

/* kong_plugin_edge.c: Kong's PRIORITY of a modelled traffic plugin, or -1 if name is not one. */
int px_kong_edge_priority(const char *name);

/*
 * kong_plugin_edge.c: the config (cfg, NULL when absent; errors without one
 * point at plugin) of a modelled traffic plugin as a policy (caller owns
 * it: px_edge_free, free), or NULL with the error recorded.
 */
struct px_edge *px_kong_edge_read(struct kp *c, const char *name, const yaml_node_t *plugin,
                                  const yaml_node_t *cfg);

/* kong_plugin_observe.c: 1 if name is a plugin that only observes (logs, metrics, traces). */
int px_kong_observer(const char *name);

/*
 * kong_plugin_observe.c: checks an observer's config keys (cfg may be NULL);
 * for the tracing plugins (zipkin, opentelemetry), reads their sampling into p->trace.
 */
int px_kong_observer_check(struct kp *c, const char *name, const yaml_node_t *cfg,
                           struct px_kong_plugin *p);

/* kong_consumer.c: consumers and their credentials (top-level and nested) into c->k->auth. */
int px_kong_parse_consumers(struct kp *c, const yaml_node_t *top);

/* kong_plugin_auth.c: the configs of key-auth, jwt and acl (px_kong_edge_read's readers). */
int px_kong_keyauth_read(struct kp *c, const yaml_node_t *n, struct px_edge *e);
int px_kong_jwt_read(struct kp *c, const yaml_node_t *n, struct px_edge *e);
int px_kong_acl_read(struct kp *c, const yaml_node_t *n, struct px_edge *e);

/* kong_upstream.c: an upstream, with its targets and health checks. */
int px_kong_parse_upstream(struct kp *c, const yaml_node_t *n);

/* kong_upstream.c: a target; upstream is its upstream's index when nested (-1 at the top level). */
int px_kong_parse_target(struct kp *c, const yaml_node_t *n, int upstream);

/* kong_health.c: Kong's defaults for passive checks: statuses as upstreams.lua lists them. */
void px_kong_passive_defaults(struct px_outlier_kong *k);

/* kong_health.c: an upstream's `healthchecks` into u; what names the upstream in errors. */
int px_kong_parse_healthchecks(struct kp *c, const yaml_node_t *n, struct px_kong_upstream *u,
                               const char *what);

#endif
