/*
 * ztunnel.h - Istio ambient mode's node proxy: L4 only, on any runtime
 * (proxies/rt.h).
 *
 * One ztunnel serves the pods of one node. It takes three kinds of
 * connection, told apart by the address the peer dialled (rt conn_local):
 *  - outbound: a pod's connection to a service address (the ClusterIP,
 *    captured): it picks ONE endpoint of the service for the whole
 *    connection (the destination pod's HBONE port, or the service's
 *    waypoint) and tunnels to it; every request on that connection goes
 *    there (connection-level load balancing, as any L4 proxy);
 *  - HBONE inbound: a tunnel arriving on port 15008 of a local pod: it
 *    connects to the pod's application;
 *  - plaintext inbound: a connection from outside the mesh to a local pod's
 *    service port: the same.
 * Upstream connections are opened from the pod's own network namespace (rt
 * connect_local: in-pod redirection), so a tunnel crosses the same network
 * path the pod's traffic would.
 *
 * Costs: CPU per connection at each end and per message forwarded, on the
 * ztunnel's worker threads (rt work), one message at a time per direction
 * of a tunnel so that nothing is reordered.
 *
 * What it does not do (Istio ambient leaves these to waypoints): any L7:
 * no routing by path or header, no retries, no timeouts, no outlier
 * detection, no HTTP status. Not modelled: the HBONE CONNECT exchange and
 * mTLS handshake as messages (a tunnel is a connection to port 15008; their
 * cost is in the per-connection cost), HTTP/2 multiplexing of tunnels over
 * one connection between two ztunnels, authorization policies.
 */
#ifndef FL_PROXIES_ZTUNNEL_H
#define FL_PROXIES_ZTUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/rt.h"

/* A service as ztunnel knows it (from istiod's workload discovery). */
struct px_zt_service {
    char *name;
    uint64_t vip; /* the address clients dial for it */
    uint64_t
        *endpoints; /* where new connections go: its pods' HBONE addresses, or its waypoint's */
    size_t n_endpoints;
    int via_waypoint; /* the endpoints are its waypoint's pods */
};

/* A pod on the ztunnel's node. */
struct px_zt_local {
    char *name;
    uint64_t hbone; /* tunnels for it arrive here (its port 15008) */
    uint64_t plain; /* plaintext from outside the mesh arrives here (its service port) */
    uint64_t app;   /* its application */
};

struct px_ztunnel_cfg {
    char *name;
    const struct px_zt_service *services; /* not owned: every ztunnel shares one table */
    size_t n_services;
    struct px_zt_local *locals; /* owned */
    size_t n_locals;
    int64_t connection_ns; /* CPU per connection accepted */
    int64_t message_ns;    /* CPU per message forwarded (a request, a response) */
    uint32_t workers;      /* worker threads */
};

/* Counters. Outbound ones per service (index in cfg->services). */
struct px_zt_stats {
    uint64_t cx_inbound;    /* tunnels and plaintext connections to local pods */
    uint64_t rq_inbound;    /* requests forwarded to local pods */
    uint64_t *cx_outbound;  /* per service: connections tunnelled */
    uint64_t *rq_outbound;  /* per service: requests forwarded */
    uint64_t *connect_fail; /* per service: tunnels that could not be opened */
    uint64_t inbound_connect_fail;
    uint64_t unknown; /* connections to an address it knows nothing of (reset) */
};

struct px_ztunnel;

/* Creates a ztunnel running cfg (which must outlive it) on rt. Never NULL. */
struct px_ztunnel *px_ztunnel_new(struct px_rt *rt, const struct px_ztunnel_cfg *cfg);

/* The runtime hands over an accepted connection (the ztunnel then holds the handle). */
void px_ztunnel_accept(struct px_ztunnel *z, struct px_conn *c);

/* Closes every tunnel, frees the ztunnel. */
void px_ztunnel_free(struct px_ztunnel *z);

const struct px_zt_stats *px_ztunnel_stats(const struct px_ztunnel *z);

/* Frees what a configuration owns (its locals; not the shared services). */
void px_ztunnel_cfg_free(struct px_ztunnel_cfg *c);

#endif
