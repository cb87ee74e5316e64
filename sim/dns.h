/*
 * dns.h - name resolution of Kubernetes services as applications do it,
 * and the `dns` fault that breaks it.
 *
 * An application (a workload, or a pod's call) that opens a new
 * connection to a service first resolves the service's name through
 * kube-dns (glibc does not cache: every getaddrinfo() asks). Kept-alive
 * connections need no lookup. Without faults a lookup is free.
 *
 * Proxies never resolve service names here: Envoy's sidecar and gateway
 * clusters for Kubernetes services are EDS clusters fed endpoints by
 * istiod, and Kong's upstream targets are the pods' addresses, so a `dns`
 * fault does not reach them. An app behind a sidecar still resolves the
 * name itself (Istio's DNS proxying, ISTIO_META_DNS_CAPTURE, is off by
 * default: istio.io "DNS Proxying"), so its lookup fails all the same;
 * its kept-alive connections to the sidecar keep working.
 */
#ifndef FL_SIM_DNS_H
#define FL_SIM_DNS_H

#include <stdint.h>

#include "proxies/rt.h"

struct sim_world;
struct sim_conn;

/*
 * Opens a connection as sim_conn_open does, after resolving the name of
 * service `service` (index) under the active `dns` faults: a failed
 * lookup makes connected() report PX_EDNS at once (no packet is sent), a
 * slow one starts the handshake that much later.
 */
struct sim_conn *sim_dns_open(struct sim_world *w, int service, uint32_t src, uint32_t dst,
                              uint16_t port, const struct px_conn_cbs *cbs, void *ctx);

#endif
