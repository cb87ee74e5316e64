/*
 * istio.h - Istio's traffic resources (networking.istio.io VirtualService
 * and DestinationRule, v1alpha3 / v1beta1 / v1), read as users keep them,
 * and turned into a sidecar's outbound configuration with Istio's defaults
 * (not Envoy's).
 *
 * Read (istio/api networking/v1alpha3 virtual_service.proto,
 * destination_rule.proto; SEMANTICS.md b.8, b.9): VirtualService hosts and
 * http routes (match: uri, headers, withoutHeaders, method, ignoreUriCase;
 * route destinations with host, subset, weight; timeout; retries attempts,
 * perTryTimeout, retryOn; fault delay / abort with percentage; rewrite uri /
 * authority); DestinationRule host, trafficPolicy (loadBalancer.simple,
 * connectionPool tcp / http, outlierDetection) and subsets (labels, their
 * own trafficPolicy). Kinds not modeled yet are kept as warnings, never
 * dropped silently. Unknown fields are errors with a suggestion.
 *
 * Built (px_istio_build_outbound), as istiod configures a sidecar: one
 * virtual host per mesh service, matching its short and qualified names;
 * its VirtualService's routes in order, or a default route; Istio's default
 * retry policy where a route sets none; no route timeout unless set; a
 * route with a fault gets neither retries nor timeout; one cluster per
 * service and per subset, with Istio's circuit-breaker defaults (2^32-1),
 * the DestinationRule's policies, outlier detection with success-rate
 * ejection off, and minHealthPercent (default 0: panic off) as the panic
 * threshold.
 */
#ifndef FL_PROXIES_ISTIO_H
#define FL_PROXIES_ISTIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/yamldoc.h"
#include "proxies/config.h"

/* A trafficPolicy; has_* say which parts were given. */
struct px_istio_policy {
    int has_lb;
    enum px_lb_policy lb;
    int has_pool; /* a connectionPool was given: a subset's replaces the whole pool */
    int has_max_connections, has_connect_timeout, has_pending, has_requests, has_retries,
        has_per_connection;
    uint32_t max_connections, max_pending, max_requests, max_retries, max_per_connection;
    int64_t connect_timeout_ns;
    int has_outlier;
    struct px_outlier_cfg outlier;
    double min_health_percent;
};

struct px_istio_subset {
    char *name;
    struct px_label *labels;
    size_t n_labels;
    struct px_istio_policy policy;
};

struct px_istio_dr {
    char *name, *host;
    struct px_istio_policy policy;
    struct px_istio_subset *subsets;
    size_t n_subsets;
};

struct px_istio_dest {
    char *host, *subset;
    uint32_t weight;
    struct px_hdr_ops req_headers, resp_headers; /* headers edits of this destination */
};

/* A mirror: its destination (weight unused) and the percentage of requests copied. */
struct px_istio_mirror {
    struct px_istio_dest dest;
    double percent;
};

struct px_istio_match {
    struct px_match uri;
    struct px_match method;
    struct px_header_match *headers; /* withoutHeaders are inverted */
    size_t n_headers;
};

struct px_istio_route {
    char *name;
    struct px_istio_match *matches; /* any one of them; none: match everything */
    size_t n_matches;
    struct px_istio_dest *dests;
    size_t n_dests;
    int has_timeout;
    int64_t timeout_ns;
    int has_retries;
    struct px_retry_policy retry; /* attempts -> num_retries; 0 disables */
    int has_fault;
    struct px_fault_cfg fault;
    char *rewrite_uri, *rewrite_authority;
    struct px_regex_rewrite rewrite_regex;       /* uriRegexRewrite (re NULL: none) */
    struct px_hdr_ops req_headers, resp_headers; /* the route's headers edits */
    struct px_edge *cors;                        /* corsPolicy, or NULL */
    struct px_edge *respond; /* redirect or directResponse (then no destinations), or NULL */
    struct px_istio_mirror *mirrors; /* mirror (with mirrorPercentage) or mirrors */
    size_t n_mirrors;
};

struct px_istio_vs {
    char *name;
    char **hosts;
    size_t n_hosts;
    struct px_istio_route *routes;
    size_t n_routes;
};

struct px_istio {
    struct px_istio_vs *vs;
    size_t n_vs;
    struct px_istio_dr *dr;
    size_t n_dr;
    char **warnings; /* "kind Gateway (name x) is not modeled yet" */
    size_t n_warnings;
};

/*
 * Reads one Istio resource (a mapping with apiVersion, kind, metadata,
 * spec) from node n of document d and adds it to m. Returns 0, or -1 with
 * the error recorded in d.
 */
int px_istio_add(struct px_istio *m, struct fl_ydoc *d, const yaml_node_t *n);
void px_istio_free(struct px_istio *m);

/* A mesh service as the builder sees it: its name and its endpoints (with labels). */
struct px_mesh_service {
    const char *name;
    const struct px_endpoint_cfg *endpoints;
    size_t n_endpoints;
};

/*
 * Builds a sidecar's outbound configuration (kind PX_PROXY_OUTBOUND, named
 * `name`) for a mesh of these services. Hosts in the resources may be short
 * ("reviews") or qualified ("reviews.default.svc.cluster.local"). Returns 0,
 * or -1 with *err set (caller frees) for a reference to a service or subset
 * that does not exist.
 */
int px_istio_build_outbound(const struct px_istio *m, const char *name,
                            const struct px_mesh_service *services, size_t n_services,
                            struct px_proxy_cfg *out, char **err);

/* Istio's retry policy for routes that set none (MeshConfig defaultHttpRetryPolicy). */
void px_istio_default_retry(struct px_retry_policy *p);

#endif
