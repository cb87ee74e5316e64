/*
 * proxy.h - the proxy engine: one body of code that is the API gateway
 * (north-south) and both halves of a sidecar (east-west), on any runtime.
 *
 * A proxy accepts downstream HTTP/1.1 connections from its runtime, and for
 * each request: spends its CPU cost, applies rate limits (gateway), picks a
 * route (virtual host by authority, then the first route whose match holds;
 * 404 NR when none), injects faults, picks a destination cluster by weight,
 * and runs attempts against the cluster's hosts with Envoy's router
 * semantics: circuit breakers (503 UO with x-envoy-overloaded), load
 * balancing with health and panic, per-host connection pools with pending
 * queues, per-try timeouts inside the route timeout, retries with backoff
 * within budgets, outlier detection fed by every result, response flags
 * saying why a response is not the upstream's own, and, when it traces
 * (px_proxy_cfg.trace), a SERVER span per request and a CLIENT span per
 * attempt with the trace context carried upstream (proxy_trace.c).
 *
 * What it does not do yet: HTTP/2, TLS, authorization, request/response
 * bodies beyond their sizes in the simulator.
 */
#ifndef FL_PROXIES_PROXY_H
#define FL_PROXIES_PROXY_H

#include <stdint.h>

#include "base/alloc.h"
#include "base/freelist.h"
#include "proxies/config.h"
#include "proxies/rt.h"

struct px_proxy;

/* Counters per cluster (Envoy's upstream_rq_* statistics, simplified). */
struct px_cluster_stats {
    uint64_t rq_total;                         /* attempts sent upstream */
    uint64_t rq_retry;                         /* retries made */
    uint64_t rq_retry_overflow;                /* retries the breaker or budget refused */
    uint64_t rq_retry_limit;                   /* requests that ran out of retries (URX) */
    uint64_t rq_pending_overflow, rq_overflow; /* breaker 503s */
    uint64_t rq_timeout;                       /* route timeouts (UT) */
    uint64_t rq_per_try_timeout;
    uint64_t cx_connect_fail, cx_total;
    uint64_t no_healthy; /* UH */
    uint64_t ejections, panics;
    uint64_t flags[PX_FLAG_COUNT]; /* responses sent downstream carrying each flag (bit index) */
};

/*
 * Creates a proxy running cfg (which must outlive it) on rt. Starts its
 * outlier-detection timers. Returns the proxy (never NULL).
 */
struct px_proxy *px_proxy_new(struct px_rt *rt, const struct px_proxy_cfg *cfg);
/*
 * The same for a proxy that runs at a locality ("region/zone/subzone",
 * copied; NULL: none), which Istio's locality load balancing uses to give
 * each endpoint a priority (lb_locality.h).
 */
struct px_proxy *px_proxy_new_at(struct px_rt *rt, const struct px_proxy_cfg *cfg,
                                 const char *locality);

/*
 * The same, with the labels of the workload the proxy serves (copied; Istio's
 * failoverPriority compares them with the endpoints').
 */
struct px_proxy *px_proxy_new_labelled(struct px_rt *rt, const struct px_proxy_cfg *cfg,
                                       const char *locality, const struct px_label *labels,
                                       size_t n_labels);

/*
 * Names proxy p apart from its configuration (name borrowed: it must outlive
 * p): its events and spans carry it instead of cfg->name. Proxies sharing one
 * configuration (the inbound sidecars of a service version) keep their own
 * names so.
 */
void px_proxy_name_set(struct px_proxy *p, const char *name);

/* Stops everything (timers, connections) and frees the proxy. */
void px_proxy_free(struct px_proxy *p);

/*
 * Free lists of the engine's per-request objects (streams, attempts). A
 * runtime that runs many proxies hands one set to all (px_rt.pools): what
 * one proxy releases, the next reuses while it is still in cache, and no
 * proxy holds objects of its own once its requests are done. It must
 * outlive every proxy using it. Its arena, when the runtime gives one, holds
 * the proxies' long-lived objects (the proxy, its clusters and their hosts),
 * freed with the arena: a large mesh's are cold at each request, and an
 * arena puts them together on huge pages.
 */
struct px_pools {
    struct fl_freelist streams, attempts;
    struct fl_arena *arena; /* NULL: malloc (set by the runtime after px_pools_init) */
};

void px_pools_init(struct px_pools *pl);
void px_pools_free(struct px_pools *pl);

/* The runtime hands over a new downstream connection; the proxy binds its callbacks. */
void px_proxy_accept(struct px_proxy *p, struct px_conn *c);

/* What the route policies did (edge.h, respcache.h, mirror.c). */
struct px_policy_stats {
    uint64_t cache_hits;   /* answered from the proxy-cache */
    uint64_t cache_stores; /* responses stored in it */
    uint64_t shadows;      /* mirrored copies sent */
};

void px_proxy_policy_stats(const struct px_proxy *p, struct px_policy_stats *out);

/*
 * The clusters the proxy has created (first used), as indices in
 * cfg->clusters, in the order it created them: *index stays valid until
 * the next request. Every other cluster's counters are zero.
 */
size_t px_proxy_clusters_used(const struct px_proxy *p, const uint32_t **index);

/* Counters of cluster i (index in cfg->clusters). */
const struct px_cluster_stats *px_proxy_cluster_stats(const struct px_proxy *p, size_t i);

/* Empties the proxy's response cache (Kong proxy-cache); returns the entries it held. */
uint64_t px_proxy_cache_purge(struct px_proxy *p);
/* Whether host h of cluster i is ejected by outlier detection now. */
int px_proxy_host_ejected(const struct px_proxy *p, size_t i, size_t h);

/*
 * Puts endpoint h of cluster i in its host set (present 1) or takes it out
 * (0), as an EDS update does (Envoy's membership change: a removed host is
 * no longer picked nor counted for panic; attempts already on it go on).
 * Kong's upstream targets are the gateway's cluster endpoints: the same.
 * A cluster not created yet ignores it: it will ask the runtime
 * (endpoint_absent) when it is.
 */
void px_proxy_set_endpoint(struct px_proxy *p, size_t i, size_t h, int present);

/* Requests in flight through the proxy (for draining on shutdown). */
uint64_t px_proxy_active(const struct px_proxy *p);

#endif
