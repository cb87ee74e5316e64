/*
 * istio.h - Istio's traffic resources (networking.istio.io VirtualService,
 * DestinationRule, Sidecar, Gateway and ServiceEntry, v1alpha3 / v1beta1 /
 * v1), read as users keep them, and turned into a sidecar's outbound
 * configuration, or an ingress gateway's, with Istio's defaults (not
 * Envoy's).
 *
 * Read (istio/api networking/v1alpha3 virtual_service.proto,
 * destination_rule.proto): VirtualService hosts and
 * http routes (match: uri, headers, withoutHeaders, method, ignoreUriCase;
 * route destinations with host, subset, weight; timeout; retries attempts,
 * perTryTimeout, retryOn; fault delay / abort with percentage; rewrite uri /
 * authority); DestinationRule host, trafficPolicy (loadBalancer.simple,
 * connectionPool tcp / http, outlierDetection) and subsets (labels, their
 * own trafficPolicy). An unknown kind is an error with a suggestion; a
 * known kind or a field that would change traffic but is not modeled is
 * refused with its location, or, when m->lenient is set, named in a
 * warning: never dropped silently. Unknown fields are errors with a
 * suggestion. A resource with the kind, name and namespace of an earlier
 * one replaces it (kubectl apply), with a note.
 *
 * Resolved (px_istio_resolve) against the services a scenario models:
 * rules for hosts it does not model are warnings, references that cannot
 * be followed are errors located in the Istio file.
 *
 * The security resources (PeerAuthentication, RequestAuthentication,
 * AuthorizationPolicy) are read here too and enforced at the inbound
 * sidecars: istio_sec.h.
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
    struct px_hash_policy hash; /* consistentHash: the request's key (lb ring hash or Maglev) */
    uint64_t ring_size_min;     /* 0: Envoy's default */
    uint64_t maglev_size;       /* 0: Envoy's default */
    int has_locality;           /* loadBalancer.localityLbSetting */
    struct px_locality_cfg locality;
    int has_budget; /* retryBudget */
    double budget_percent;
    uint32_t min_retry_concurrency;
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
    char *at; /* "file:line:col" of its name */
    struct px_label *labels;
    size_t n_labels;
    struct px_istio_policy policy;
};

struct px_istio_dr {
    char *name, *ns, *host;
    char *at, *host_at; /* "file:line:col" of the resource and of its host */
    struct px_istio_policy policy;
    struct px_istio_subset *subsets;
    size_t n_subsets;
};

struct px_istio_dest {
    char *host, *subset;
    char *host_at, *subset_at; /* "file:line:col" of each (subset_at: NULL without subset) */
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
    char *name, *ns;
    char *at;       /* "file:line:col" of the resource */
    char **host_at; /* of each host */
    char **hosts;
    size_t n_hosts;
    struct px_istio_route *routes;
    size_t n_routes;
    char **gateways; /* "namespace/name" of each Gateway it is bound to (not "mesh") */
    size_t n_gateways;
    int mesh; /* applies to sidecars: no `gateways`, or "mesh" among them */
};

/*
 * A Gateway (networking/v1 gateway.proto): an ingress gateway deployment
 * (selected by spec.selector) listening on its servers. TLS is not
 * modeled: an HTTPS server's tls settings are read and inert, PASSTHROUGH
 * and AUTO_PASSTHROUGH are refused (istio_gateway.c).
 */
struct px_istio_server {
    uint32_t port;
    char *protocol; /* HTTP, HTTP2 or HTTPS */
    char **hosts;   /* dnsName, its "namespace/" part left out */
    size_t n_hosts;
};

struct px_istio_gateway {
    char *name, *ns, *at;
    struct px_label *selector;
    size_t n_selector;
    struct px_istio_server *servers;
    size_t n_servers;
};

/*
 * A Sidecar (networking/v1 sidecar.proto): which hosts a workload's
 * outbound sidecar has routes and clusters for (egress hosts), and what
 * happens to calls to other hosts (outboundTrafficPolicy).
 */
struct px_istio_sidecar {
    char *name, *ns, *at;
    struct px_label *selector; /* workloadSelector.labels; none: the namespace's default */
    size_t n_selector;
    char **egress; /* "namespace/host" as written, from every egress listener */
    size_t n_egress;
    int registry_only; /* outboundTrafficPolicy.mode REGISTRY_ONLY (default ALLOW_ANY) */
};

/*
 * A ServiceEntry (networking/v1 service_entry.proto): hosts outside the
 * mesh's registry made known to the sidecars (istio_serviceentry.c).
 */
struct px_istio_se {
    char *name, *ns, *at;
    char **hosts; /* as written: DNS names, or "*.suffix" */
    char **host_at;
    size_t n_hosts;
    uint32_t port;     /* the first port's number: the cluster is outbound|PORT||HOST */
    int resolution;    /* 0 NONE, 1 STATIC, 2 DNS, 3 DNS_ROUND_ROBIN (read; the scenario's pods
                          stand for the endpoints) */
    int mesh_internal; /* location MESH_INTERNAL (read; mTLS is not modeled) */
};

/*
 * A Telemetry (telemetry.istio.io/v1 telemetry.proto): its tracing
 * settings (istio_telemetry.c). In the root namespace istio-system it is
 * mesh-wide; elsewhere it covers the services' namespace.
 */
struct px_istio_telemetry {
    char *name, *ns, *at;
    int has_sampling;  /* tracing[0].randomSamplingPercentage given */
    double sampling;   /* percent, 0..100 */
    int disable_spans; /* tracing[0].disableSpanReporting */
};

struct px_istio_peerauthn; /* istio_sec.h */
struct px_istio_reqauthn;
struct px_istio_authz;

struct px_istio {
    struct px_istio_se *ses;
    size_t n_ses;
    struct px_istio_gateway *gateways;
    size_t n_gateways;
    struct px_istio_sidecar *sidecars;
    size_t n_sidecars;
    struct px_istio_vs *vs;
    size_t n_vs;
    struct px_istio_dr *dr;
    size_t n_dr;
    int lenient;     /* set before reading: refusals become warnings (--lenient) */
    char **warnings; /* "file:line:col: what was left out, and why" */
    size_t n_warnings;
    char **notes; /* "VirtualService reviews from b.yaml:3:1 replaces the one from a.yaml:3:1" */
    size_t n_notes;
    struct px_istio_telemetry *telemetry; /* appended with tracing */
    size_t n_telemetry;
    /* appended with security (istio_sec.h): PeerAuthentication, RequestAuthentication,
     * AuthorizationPolicy, in file order */
    struct px_istio_peerauthn *peerauthns;
    size_t n_peerauthns;
    struct px_istio_reqauthn *reqauthns;
    size_t n_reqauthns;
    struct px_istio_authz *authzs;
    size_t n_authzs;
};

/*
 * Reads one Istio resource (a mapping with apiVersion, kind, metadata,
 * spec) from node n of document d and adds it to m. Returns 0, or -1 with
 * the error recorded in d.
 */
int px_istio_add(struct px_istio *m, struct fl_ydoc *d, const yaml_node_t *n);
void px_istio_free(struct px_istio *m);

/*
 * A mesh service as the builder sees it: its name and its endpoints (with
 * labels). An external one (a host outside the mesh, no sidecars) has
 * routes and a cluster only where a ServiceEntry names its host.
 */
struct px_mesh_service {
    const char *name;
    const struct px_endpoint_cfg *endpoints;
    size_t n_endpoints;
    int external;
};

/* The ServiceEntry whose hosts hold host (exactly or by wildcard), or NULL. */
const struct px_istio_se *px_istio_se_for(const struct px_istio *m, const char *host);

/*
 * The Sidecar that applies to a workload of the services' namespace with
 * these labels (one selecting it, else the namespace's default, else the
 * root namespace's), or NULL: then the sidecar reaches every service.
 */
const struct px_istio_sidecar *px_istio_sidecar_for(const struct px_istio *m,
                                                    const struct px_label *labels, size_t n);

/*
 * The tracing of Istio's proxies: Istio's default (every proxy traces
 * 1% of new traces with 128-bit ids), then the mesh-wide Telemetry (root
 * namespace istio-system), then for the services' sidecars (gateway 0) the
 * Telemetry of another namespace, the services' one.
 */
void px_istio_trace_cfg(const struct px_istio *m, int gateway, struct px_trace_cfg *out);

/* Whether Sidecar s (NULL: none) lets a workload's sidecar reach service svc. */
int px_istio_sidecar_sees(const struct px_istio_sidecar *s, const char *svc);

/*
 * Checks the resources against the mesh's services, as istiod would see
 * them, before anything is built:
 *  - a VirtualService or DestinationRule host that is not a service: a
 *    warning (Istio accepts rules for any host); the host is left out, and
 *    a resource left without hosts is dropped;
 *  - a route destination naming no service, a subset the host's
 *    DestinationRule does not define, a subset a route uses whose labels
 *    select no endpoint, two VirtualServices routing one host, two
 *    DestinationRules for one host: an error located where the mistake is,
 *    with the closest name as a suggestion;
 *  - a subset no route uses that selects no endpoint: a warning.
 * Returns 0, or -1 with *err ("file:line:col: ...", caller frees).
 */
int px_istio_resolve(struct px_istio *m, const struct px_mesh_service *services, size_t n,
                     char **err);

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

/*
 * The same for a workload that Sidecar sc applies to (NULL: none): a
 * service outside its egress hosts gets, instead of its routes, istiod's
 * fallback - a route to "PassthroughCluster|SERVICE" (ALLOW_ANY: any pod,
 * none of the mesh's retries, timeouts or policies) or a 502 answered at
 * once (REGISTRY_ONLY, the BlackHole route).
 */
int px_istio_build_outbound_for(const struct px_istio *m, const char *name,
                                const struct px_mesh_service *services, size_t n_services,
                                const struct px_istio_sidecar *sc, struct px_proxy_cfg *out,
                                char **err);

/*
 * Whether host pattern `pattern` ("*", "*.example.com" or a name) matches
 * name `host` (itself a name or a wildcard no wider than the pattern), as
 * Istio matches a Gateway server's hosts and a VirtualService's hosts.
 */
int px_istio_host_matches(const char *pattern, const char *host);

/* Whether VirtualService v is bound to Gateway g (`gateways: [NAME]` or NAMESPACE/NAME). */
int px_istio_vs_bound(const struct px_istio_vs *v, const struct px_istio_gateway *g);

/*
 * Builds the configuration of the ingress gateway deployment (kind
 * PX_PROXY_GATEWAY, named `name`) that serves every Gateway of m, as
 * istiod configures it (pilot/pkg/networking/core gateway.go): one virtual
 * host per VirtualService host bound to a Gateway and matched by one of
 * its servers' hosts (the narrower of the two names), most specific
 * first; a request whose authority matches none gets 404 (NR). Clusters
 * are the mesh's, with the DestinationRules applied, reaching the pods
 * directly.
 */
int px_istio_build_ingress(const struct px_istio *m, const char *name,
                           const struct px_mesh_service *services, size_t n_services,
                           struct px_proxy_cfg *out, char **err);

/* Istio's retry policy for routes that set none (MeshConfig defaultHttpRetryPolicy). */
void px_istio_default_retry(struct px_retry_policy *p);

#endif
