/*
 * config.h - what a proxy is configured with, as plain data: virtual
 * hosts and their ordered routes (match -> action), clusters (endpoints,
 * load balancing, circuit breakers, outlier detection), rate limits, and
 * the proxy's own cost. The Kong and Istio front ends (kong_*.c, istio_*.c)
 * produce it; the proxy engine (proxy.c) runs it; it does not change while
 * the proxy runs.
 *
 * Everything hangs from struct px_proxy_cfg and is released by
 * px_proxy_cfg_free(). Endpoint addresses are the runtime's (a simulated
 * node, or a live socket address it resolved).
 */
#ifndef FL_PROXIES_CONFIG_H
#define FL_PROXIES_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/dist.h"
#include "proxies/breaker.h"
#include "proxies/edge.h"
#include "proxies/lb.h"
#include "proxies/lb_locality.h"
#include "proxies/match.h"
#include "proxies/outlier.h"
#include "proxies/ratelimit.h"
#include "proxies/retry.h"
#include "proxies/rewrite.h"

struct px_label {
    char *key, *value;
};

struct px_header_match {
    char *name;
    struct px_match m;
    int invert; /* Istio withoutHeaders */
};

/* Istio HTTPFaultInjection (Envoy's fault filter): percentages 0..100. */
struct px_fault_cfg {
    double delay_percent;
    int64_t delay_ns;
    double abort_percent;
    int abort_status;
};

struct px_route_dest {
    uint32_t cluster; /* index into px_proxy_cfg.clusters */
    uint32_t weight;
    struct px_hdr_ops req_headers, resp_headers; /* Envoy's weighted-cluster header edits */
};

/* Envoy's request_mirror_policy (Istio mirror / mirrors). */
struct px_mirror_cfg {
    uint32_t cluster; /* index into px_proxy_cfg.clusters */
    double percent;   /* 0..100 */
};

/*
 * Tracing (proxy_trace.c): whether the proxy reports spans and propagates
 * a context of its own, the share of new or deferred traces it samples,
 * and the width of the trace ids it starts.
 */
struct px_trace_cfg {
    int enabled;       /* 0: trace headers pass through untouched, no spans */
    double sample_pct; /* 0..100: the decision for traces started here or arriving deferred */
    int id128;         /* 1: 128-bit trace ids; 0: 64-bit (Envoy's zipkin default) */
    uint32_t formats;  /* PX_TRACE_* a trace started here is written in (0: x-b3-* and
                          traceparent) */
};

struct px_route_cfg {
    char *name;
    /* match: every condition must hold */
    struct px_match path;
    char **methods; /* none: any method */
    size_t n_methods;
    struct px_header_match *headers;
    size_t n_headers;
    /* action */
    struct px_route_dest *dests;
    size_t n_dests;
    uint32_t total_weight;
    int64_t timeout_ns; /* 0: no route timeout */
    int has_retry;
    struct px_retry_policy retry;
    int has_fault;
    struct px_fault_cfg fault;
    int direct_status; /* > 0: answer this status at once, no upstream (Envoy direct_response) */
    /* rewriting the upstream request */
    int strip_path;    /* Kong strip_path: drop the matched path prefix */
    char *path_prefix; /* prepended after stripping (Kong service path; Istio rewrite.uri) */
    char *authority;   /* upstream Host (Kong: the service host unless preserve_host) */
    struct px_regex_rewrite regex_rewrite; /* Istio uriRegexRewrite (re NULL: none) */
    int rate_limit;                        /* index into px_proxy_cfg.rate_limits, or -1 */
    uint32_t edge; /* 1 + index into px_proxy_cfg.edges (policies, edge.h); 0: none */
    /* Envoy's route-level header edits: after the destination's (so they win), on the
     * upstream request and on upstream and direct responses */
    struct px_hdr_ops req_headers, resp_headers;
    struct px_mirror_cfg *mirrors; /* shadow copies (mirror.c) */
    size_t n_mirrors;
    /* appended with tracing: a route's own tracing (Kong's service- or route-scoped zipkin
     * or opentelemetry plugin), else the proxy's */
    int has_trace;
    struct px_trace_cfg trace;
};

struct px_vhost_cfg {
    char *name;
    char **domains; /* "*" matches every authority */
    size_t n_domains;
    struct px_route_cfg *routes;
    size_t n_routes;
};

struct px_endpoint_cfg {
    char *name;     /* pod or "host:port" */
    char *locality; /* "region/zone/subzone", or NULL */
    uint64_t addr;  /* the runtime's address */
    uint32_t weight;
    struct px_label *labels;
    size_t n_labels;
};

struct px_cluster_cfg {
    char *name;
    struct px_lb_cfg lb;
    struct px_hash_policy hash; /* ring hash / Maglev: the request key (route hash_policy) */
    struct px_breaker_cfg breaker;
    struct px_locality_cfg locality; /* Istio localityLbSetting (lb_locality.h) */
    int has_outlier;
    struct px_outlier_cfg outlier;
    int64_t connect_timeout_ns;
    uint32_t max_requests_per_connection; /* 0: unlimited */
    struct px_endpoint_cfg *endpoints;
    size_t n_endpoints;
};

enum px_proxy_kind {
    PX_PROXY_GATEWAY,  /* north-south: Kong routes, plugins */
    PX_PROXY_OUTBOUND, /* a sidecar's client side: Istio routing and policies */
    PX_PROXY_INBOUND,  /* a sidecar's server side: to the local application */
};

struct px_vhost_index;
struct px_istio_sec;

struct px_proxy_cfg {
    char *name;
    enum px_proxy_kind kind;
    struct px_vhost_cfg *vhosts;
    size_t n_vhosts;
    struct px_cluster_cfg *clusters;
    size_t n_clusters;
    struct px_rl_cfg *rate_limits;
    size_t n_rate_limits;
    struct px_edge **policies; /* every policy (edge.h), each allocated on its own */
    size_t n_policies;
    struct px_edge_cfg *edges; /* routes' lists of policies, borrowed from `policies` */
    size_t n_edges;
    struct fl_dist cost;       /* CPU time per request through the proxy (both directions) */
    uint32_t workers;          /* worker threads (Istio sidecar concurrency: 2) */
    int envoy_headers;         /* add x-envoy-* headers (x-envoy-overloaded...) */
    struct px_trace_cfg trace; /* tracing for requests no route's own tracing covers */
    /* virtual hosts by domain (vhost_index.h): a cache the configuration owns, built by
     * the first proxy made from it (NULL until then), freed with it */
    struct px_vhost_index *vindex;
    /* appended with security: Istio's mTLS mode and policies at an inbound sidecar
     * (istio_sec.h), owned; NULL: nothing is checked */
    struct px_istio_sec *sec;
    /* appended with the live sidecar: at an inbound sidecar, this proxy's own SPIFFE id, and
     * x-forwarded-client-cert is written as Envoy's APPEND_FORWARD (proxy.c); NULL: untouched */
    char *xfcc_by;
};

void px_proxy_cfg_free(struct px_proxy_cfg *c);
void px_route_cfg_free(struct px_route_cfg *r);
void px_cluster_cfg_free(struct px_cluster_cfg *c);

/*
 * The default CPU cost of a proxy, from Istio's published performance
 * figures (istio.io "Performance and Scalability", Istio 1.12.3: a sidecar
 * uses 0.5 vCPU per 1000 requests per second; two proxies add about 1.7 ms
 * at P90 and 2.7 ms at P99; 2 worker threads): lognormal with mean 0.5 ms.
 */
void px_cost_default(struct fl_dist *d);

/* The index of the cluster named `name`, or -1. */
int px_proxy_cfg_cluster(const struct px_proxy_cfg *c, const char *name);

#endif
