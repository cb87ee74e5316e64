/*
 * scenario.h - a scenario file, loaded and checked: plain data, owned by
 * the struct sim_scenario it hangs from (sim_scenario_free releases all).
 *
 * The loader (sim/load*.c) turns the YAML of docs/scenario.md into this and
 * rejects anything wrong with a located message; nothing downstream ever
 * sees a name that does not resolve, a zero rate, a negative duration or an
 * unknown key. Every reference is resolved to an index here (a call's
 * callee, a workload's target), so the world builder never looks names up.
 *
 * The `gateway` section is kept as Kong reads it (proxies/kong.h), the
 * mesh's Istio resources as Istio reads them (proxies/istio.h); turning
 * them into proxy configurations needs the world's endpoints (sim/mesh.c).
 *
 * Faults (`faults:`) are struct sim_fault (sim/fault.h); the chaos monkey's
 * settings are struct sim_monkey_cfg, its draws happen when the run starts.
 *
 * Not here: any running state (sim/world.h).
 */
#ifndef FL_SIM_SCENARIO_H
#define FL_SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/dist.h"
#include "netem/link.h"
#include "netem/tcp.h"
#include "proxies/istio.h"
#include "proxies/kong.h"
#include "reports/results.h"
#include "sim/fault.h"

/* Limits that keep a hostile or mistaken scenario from exhausting the machine. */
#define SIM_SERVICES_MAX 1000
#define SIM_REPLICAS_MAX 10000
#define SIM_PODS_MAX     100000 /* per service and in all */
#define SIM_WORKERS_MAX  100000
#define SIM_QUEUE_MAX    10000000
#define SIM_CALLS_MAX    64
#define SIM_CLIENTS_MAX  10000000
#define SIM_RATE_MAX     1e8 /* requests per second per workload */
#define SIM_RETRIES_MAX  100
#define SIM_DURATION_MAX (INT64_C(30) * 24 * 3600 * 1000000000) /* 30 days */
#define SIM_MESSAGE_MAX  (INT64_C(1) << 30)                     /* 1 GiB */

struct sim_label {
    char *key, *value;
};

struct sim_header {
    char *name, *value;
};

enum sim_jitter { SIM_JITTER_NONE, SIM_JITTER_FULL, SIM_JITTER_EQUAL, SIM_JITTER_DECORRELATED };

/* What makes a client retry: bits of retry_on. */
enum {
    SIM_RETRY_5XX = 1u << 0,
    SIM_RETRY_TIMEOUT = 1u << 1,
    SIM_RETRY_CONNECT = 1u << 2,
    SIM_RETRY_RESET = 1u << 3,
    SIM_RETRY_429 = 1u << 4,
};

struct sim_retry_cfg {
    int retries;     /* further tries after the first; 0: none */
    int64_t base_ns; /* backoff base */
    int64_t cap_ns;  /* backoff cap */
    enum sim_jitter jitter;
    int64_t timeout_ns; /* per try; 0: none */
    unsigned retry_on;  /* SIM_RETRY_* */
    /* storm defences (sim/retry_client.c) */
    int has_budget;          /* budget: Finagle's RetryBudget */
    double budget_ratio;     /* retries allowed per request over the window */
    double budget_min_per_s; /* and this many per second besides */
    double throttle_k;       /* adaptive_throttle k (Google SRE); 0: none */
};

/* A downstream call made by a service while it handles a request. */
struct sim_call_cfg {
    int service; /* index into sim_scenario.services */
    char *method, *path;
    int64_t request_bytes;
    int ignore_errors;          /* on_error: ignore */
    struct sim_header *headers; /* sent with the call */
    size_t n_headers;
    char **forward; /* headers copied from the request being handled (e.g. user-agent) */
    size_t n_forward;
    struct sim_retry_cfg retry; /* timeout, retries, backoff, retry_on, budget, throttle */
};

/* One deployment of a service: its pods are identical. */
struct sim_version_cfg {
    char *name; /* NULL when the service declares no versions */
    int replicas;
    int workers;
    int queue;
    struct fl_dist service_time;
    double error_rate;
    int error_status;
    int64_t response_bytes;
    char content_type[64]; /* the responses' Content-Type ("": none), e.g. for proxy caches */
    struct sim_call_cfg *calls;
    size_t n_calls;
    struct sim_label *labels; /* app and version first, then the scenario's own */
    size_t n_labels;
    char *locality; /* "region/zone/subzone" of its pods, or NULL */
};

struct sim_cache_cfg;

struct sim_service_cfg {
    char *name;   /* a Kubernetes name, or a DNS name for an external service */
    int external; /* outside the mesh (external: true): no sidecars; a ServiceEntry names it */
    struct sim_version_cfg *versions; /* at least one */
    size_t n_versions;
    struct sim_cache_cfg *cache; /* `cache:`, or NULL (sim/cache.h) */
    int drops_trace;             /* propagate_trace: false: its calls carry no trace context */
    char *service_account;       /* its pods' Kubernetes service account ("default"): their mTLS
                                    identity cluster.local/ns/default/sa/SA */
};

struct sim_link_cfg {
    char *from, *to; /* a service, a workload or "gateway"; both directions */
    struct net_link_cfg link;
};

struct sim_network_cfg {
    struct net_link_cfg defaults; /* every hop without a link of its own */
    struct sim_link_cfg *links;
    size_t n_links;
    struct net_tcp_cfg tcp;
    /* network.zones: one-way delay added between nodes in different zones / regions */
    int64_t cross_zone_delay_ns, cross_region_delay_ns;
};

enum sim_arrival { SIM_ARRIVAL_POISSON, SIM_ARRIVAL_CONSTANT, SIM_ARRIVAL_CLOSED };

/* One stage of a time-varying load: the rate ramps linearly to `rate` over `for`. */
struct sim_stage {
    int64_t for_ns;
    double rate_per_s;
};

struct sim_request_cfg {
    char *method, *path;
    char *query; /* after '?' (query:, a jwt: in: query), or NULL */
    double weight;
    struct sim_header *headers;
    size_t n_headers;
    int64_t body_bytes;
    int route; /* index into sim_scenario.routes */
};

/* Workload targets other than a service. */
enum { SIM_TARGET_GATEWAY = -1, SIM_TARGET_INGRESS = -2 };

/* The node of Istio's ingress gateway deployment (and a workload's target naming it). */
#define SIM_INGRESS_NAME "istio-ingressgateway"

struct sim_workload_cfg {
    char *name;
    char *address; /* the clients' IPv4 address, as proxies see it (NULL: the workload's name) */
    int target;    /* service index, or SIM_TARGET_GATEWAY / SIM_TARGET_INGRESS */
    enum sim_arrival arrival;
    double rate_per_s;         /* poisson, constant */
    int clients;               /* closed */
    struct fl_dist think_time; /* closed */
    struct sim_request_cfg *requests;
    size_t n_requests;
    double weight_total;
    struct sim_retry_cfg retry;
    char *locality;            /* where its clients run, or NULL */
    int64_t start_ns, stop_ns; /* sends from start until stop (0: the run's duration) */
    struct sim_stage *stages;  /* instead of rate_per_s: k6-like ramps (sim/stages.c) */
    size_t n_stages;
    int untraced; /* trace: false: an uninstrumented client, its requests carry no trace context */
    int tls;      /* tls: true: its clients speak TLS to the gateway (sim/tls.c) */
};

enum sim_mesh_mode { SIM_MESH_NONE, SIM_MESH_SIDECAR, SIM_MESH_AMBIENT };

/* A proxy's own cost: CPU per request and worker threads. */
struct sim_proxy_cost {
    struct fl_dist cost;
    uint32_t workers;
};

/* Envoy behaviours that changed between releases: the older one, when asked for. */
struct sim_envoy_compat {
    int legacy_backoff;              /* retry backoff range before the JitteredExponential fix */
    int legacy_max_ejection_percent; /* the check before envoy#27909 */
};

/* chaos: {monkey: ...}: random faults drawn from the seed (sim/monkey.c). */
struct sim_monkey_cfg {
    int on;
    double rate_per_s;          /* faults started per second, Poisson */
    int kinds[SIM_FAULT_KINDS]; /* enum sim_fault_kind_id, drawn uniformly */
    size_t n_kinds;
    int *targets; /* service indices, drawn uniformly */
    size_t n_targets;
    struct fl_dist duration;   /* each fault's `for` */
    int64_t start_ns, stop_ns; /* faults start in [start, stop) */
};

/* An ambient-mode waypoint: an Envoy deployment serving some services' L7 policy. */
struct sim_waypoint_cfg {
    char *name;
    int *services; /* indices into sim_scenario.services */
    size_t n_services;
    int replicas;
    struct sim_proxy_cost cost;
};

/* Istio ambient mode (sim/load_ambient.c reads it, sim/ambient.c builds it). */
struct sim_ambient_cfg {
    int nodes;             /* pods spread round-robin over this many nodes; 0: a node per pod */
    int64_t connection_ns; /* ztunnel CPU per connection */
    int64_t message_ns;    /* ztunnel CPU per message (request or response) */
    uint32_t workers;      /* ztunnel worker threads */
    struct sim_waypoint_cfg *waypoints;
    size_t n_waypoints;
};

void sim_ambient_cfg_free(struct sim_ambient_cfg *a);

/*
 * `kubernetes:` (sim/load_kube.c): the timings of pods coming and going,
 * which the pod lifecycle faults (kill, restart, rollout) follow.
 */
struct sim_kube_cfg {
    int64_t endpoint_delay_ns;  /* pod change -> proxies' endpoint sets: 1 s */
    int64_t readiness_delay_ns; /* container start -> Ready: 5 s */
    int64_t grace_ns;           /* terminationGracePeriodSeconds: 30 s */
    int64_t prestop_ns;         /* the preStop hook's sleep before SIGTERM: 0 */
};

/* proxy.tls: the TLS handshakes' model (sim/tls.c) */
struct sim_tls_cfg {
    int mesh;       /* sidecar-to-sidecar connections are mutual TLS (Istio's auto mTLS) */
    int resumption; /* later connections of a path resume with a session ticket (default 1) */
    int64_t sign_ns, verify_ns, key_exchange_ns; /* CPU per public-key operation */
    /* certificates: workload identities issued and rotated by the mesh CA (sim/identity.c) */
    int certificates;
    int64_t cert_ttl_ns; /* a workload certificate's lifetime (Istio: 24h) */
    double renew_at;     /* renewed after this share of its lifetime (Istio: 0.5) */
    int64_t retry_ns;    /* a failed renewal is tried again after this */
    int64_t root_ttl_ns; /* the root's lifetime (10 years) */
    char *trust_domain;  /* "cluster.local" */
};

struct sim_scenario {
    char *file; /* as given on the command line */
    char *name;
    uint64_t seed;
    int64_t duration_ns;
    int64_t warmup_ns;
    int64_t drain_ns;      /* how long past duration requests may still finish */
    int64_t start_unix_ns; /* start_time: the wall clock at simulated time 0 (token expiry) */
    struct sim_network_cfg network;
    struct sim_service_cfg *services;
    size_t n_services;
    struct sim_workload_cfg *workloads;
    size_t n_workloads;
    char **routes; /* distinct request paths, in order of first appearance */
    size_t n_routes;
    struct rpt_check *checks; /* assertions; the results fields are unused here */
    size_t n_checks;
    int has_gateway;
    struct px_kong kong; /* the gateway's Kong configuration */
    enum sim_mesh_mode mesh_mode;
    struct px_istio istio; /* the mesh's Istio resources */
    struct sim_proxy_cost gateway_cost, sidecar_cost, ingress_cost;
    struct sim_tls_cfg tls;
    char *gateway_locality; /* proxy.gateway.locality: where the gateway runs, or NULL */
    struct sim_envoy_compat compat;
    struct sim_fault *faults; /* `faults:`, in file order */
    size_t n_faults;
    struct sim_monkey_cfg monkey;
    struct sim_ambient_cfg ambient; /* mesh mode ambient */
    struct sim_kube_cfg kube;       /* `kubernetes:` */
    int64_t window_ns;              /* report.window: the series' window (1 s) */
    int series;                     /* report.series: 1 records and writes them (--no-series: 0) */
    uint32_t requests_every;        /* report.requests: list one request in N (0: none; 1: all) */
    size_t requests_max;            /* 0, or list at most this many (then one in 2, 4...) */
    uint32_t slowest;               /* report.slowest: how many slowest requests to explain (5) */
    int spans;                      /* report.spans: 1 writes spans.json and spans.otlp.json */
    int plots;                      /* report.plots: 1 writes the plots, topology and index.html */
    double trace_sample;            /* tracing.sample in percent; -1: as the configs say */
    int db;                         /* report.db: 1 writes run.db (--no-db: 0) */
};

/*
 * Loads and checks a scenario file, after applying overrides ("a.b=value",
 * as --set gives them) and, if seed_override is not NULL, that seed.
 * Returns 0 with *out filled, or -1 with *err set to
 * "file:line:col: message" (caller frees).
 */
int sim_scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                      const uint64_t *seed_override, struct sim_scenario *out, char **err);

/* Choices of the command line that change how a scenario is read. */
/*
 * The same from memory: name stands for the file in messages, and files the
 * scenario includes are found relative to it (the fuzz targets use this).
 */
int sim_scenario_load_buffer(const char *name, const char *text, size_t len,
                             const char *const *overrides, size_t n_overrides,
                             const uint64_t *seed_override, struct sim_scenario *out, char **err);

/*
 * What changes a scenario from outside, applied in this order after the
 * files it includes are read (sim/include.c): the overlays (`-f FILE`,
 * deep-merged, fl_ydoc_merge), then the overrides (`--set KEY=VALUE`,
 * fl_ydoc_set; `mesh.Kind/name...` is short for
 * `mesh.resources.Kind/name...`), then the seed.
 */
struct sim_load_opts {
    const char *const *overlays;
    size_t n_overlays;
    const char *const *sets;
    size_t n_sets;
    const uint64_t *seed; /* NULL: the scenario's */
    int lenient; /* --lenient: what faultline does not model becomes a warning, not an error */
};

/* sim_scenario_load with overlays too. */
int sim_scenario_load_opts(const char *path, const struct sim_load_opts *o,
                           struct sim_scenario *out, char **err);

void sim_scenario_free(struct sim_scenario *s);

/* The number of pods a service runs (all versions). */
int sim_service_pods(const struct sim_service_cfg *s);

#endif
