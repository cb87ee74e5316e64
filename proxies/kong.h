/*
 * kong.h - Kong's declarative configuration (the format of `kong config
 * db_import` and DB-less Kong), read as Kong reads it, and turned into a
 * gateway proxy configuration.
 *
 * Read (kong/db/schema/others/declarative_config.lua and the entity
 * schemas): _format_version ("1.1", "2.1", "3.0",
 * required), _transform; services (name, url or protocol/host/port/path,
 * retries 5, connect/read/write_timeout 60000 ms, enabled, nested routes
 * and plugins); routes (name, service, paths, hosts, methods, headers,
 * strip_path true, preserve_host false, regex_priority, protocols); upstreams
 * (name, algorithm, targets with weights, healthchecks: passive checks and
 * threshold run, active checks are refused when switched on);
 * plugins (name, config, scope global / service / route): rate-limiting
 * and the traffic plugins of kong_plugin_edge.c run, key-auth and jwt
 * authenticate consumers (kong_consumer.c reads them and their
 * credentials), the observers (prometheus, the loggers, zipkin,
 * opentelemetry) are listed; other authentication and unknown plugins
 * are refused by name rather than ignored. Unknown keys are errors with a
 * suggestion.
 *
 * Built (px_kong_build): one virtual host; Kong's routes in Kong's
 * matching order; one cluster per service (its upstream's targets with
 * their weights and algorithm, or its host); Kong's retries (on connection
 * errors and timeouts, with no backoff: nginx's proxy_next_upstream
 * "error timeout") and timeouts; an upstream's passive health checks as
 * outlier detection in Kong's mode (a target that fails them is ejected
 * for good), its threshold as the balancer's minimum healthy weight.
 */
#ifndef FL_PROXIES_KONG_H
#define FL_PROXIES_KONG_H

#include <stddef.h>
#include <stdint.h>

#include "base/yamldoc.h"
#include "proxies/auth.h"
#include "proxies/config.h"
#include "proxies/resolve.h"

struct px_kong_header {
    char *name;
    char **values;
    size_t n_values;
};

struct px_kong_route {
    char *name;
    int service; /* index, -1 if none */
    char **paths;
    size_t n_paths;
    char **hosts;
    size_t n_hosts;
    char **methods;
    size_t n_methods;
    struct px_kong_header *headers;
    size_t n_headers;
    int strip_path, preserve_host;
    int regex_priority;
};

struct px_kong_service {
    char *name;
    char *protocol, *host, *path;
    char *host_at; /* "file:line:col" of the host (or url), for errors found when building */
    uint16_t port;
    int retries;
    int64_t connect_timeout_ns, read_timeout_ns, write_timeout_ns;
    int enabled;
    int tls_verify; /* tls_verify: true (1); false or null, Kong's default (0): not verified */
};

struct px_kong_target {
    char *host;
    char *host_at; /* "file:line:col" of the target */
    uint16_t port;
    uint32_t weight;
};

struct px_kong_upstream {
    char *name;
    enum px_lb_policy lb;
    struct px_kong_target *targets;
    size_t n_targets;
    struct px_outlier_kong passive; /* healthchecks.passive (on: a failure counter above 0) */
    double threshold;               /* healthchecks.threshold, percent */
};

enum px_kong_scope { PX_KONG_GLOBAL, PX_KONG_SERVICE, PX_KONG_ROUTE };

struct px_kong_plugin {
    char *name;
    enum px_kong_scope scope;
    int target;                /* service or route index */
    struct px_rl_cfg rl;       /* rate-limiting */
    struct px_edge *edge;      /* a modelled traffic plugin (edge.h); NULL for the others */
    int priority;              /* Kong's PRIORITY (the request phase runs highest first) */
    int observer;              /* watches only: listed, not run */
    struct px_trace_cfg trace; /* zipkin, opentelemetry: the tracing it asks for (enabled 1) */
};

/* A certificate (kong_cert.c; kong/db/schema/entities/certificates.lua, snis.lua). */
struct px_kong_cert {
    char *id;                 /* NULL when absent */
    char *cert, *key;         /* PEM text: the chain (leaf first) and its private key */
    char *cert_alt, *key_alt; /* a second pair (e.g. ECDSA beside RSA), or NULL */
    char *at;                 /* "file:line:col" of the certificate */
    char **snis;              /* the server names it answers for (Kong's wildcards kept) */
    size_t n_snis;
};

struct px_kong {
    char *format_version;
    struct px_kong_service *services;
    size_t n_services;
    struct px_kong_route *routes;
    size_t n_routes;
    struct px_kong_upstream *upstreams;
    size_t n_upstreams;
    struct px_kong_plugin *plugins;
    size_t n_plugins;
    struct px_auth_store *auth; /* consumers and credentials (auth.h); always made */
    struct px_kong_cert *certs; /* certificates (with their snis), in document order */
    size_t n_certs;
};

/*
 * Reads a Kong declarative configuration from node n of document d.
 * Returns 0, or -1 with the error recorded in d (file:line:col).
 */
int px_kong_parse(struct fl_ydoc *d, const yaml_node_t *n, struct px_kong *out);
void px_kong_free(struct px_kong *k);

/*
 * Builds the gateway's proxy configuration (kind PX_PROXY_GATEWAY, named
 * `name`). Returns 0, or -1 with *err set (caller frees).
 */
int px_kong_build(const struct px_kong *k, const char *name, const struct px_resolver *r,
                  struct px_proxy_cfg *out, char **err);

#endif
