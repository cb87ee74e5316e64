/*
 * tls.h - the TLS 1.3 handshake of simulated connections (sim/tls.c): the
 * time its flights and public-key operations add to a connection's
 * opening, for clients that speak TLS to the gateway (a workload's `tls:`)
 * and for Istio's mutual TLS between sidecars (`proxy.tls.mesh`), with
 * session resumption on later connections of the same path.
 */
#ifndef FL_SIM_TLS_H
#define FL_SIM_TLS_H

#include <stdint.h>

struct sim_world;
struct sim_conn;
struct sim_proxy;

/*
 * The handshake of connection c (mutual: the client shows a certificate
 * too), TCP being up at tcp_done: returns when the client may send. A
 * flight TCP gives up on sets *status to PX_ETIMEDOUT (returning when).
 */
int64_t sim_tls_handshake(struct sim_world *w, struct sim_conn *c, int64_t tcp_done, int mutual,
                          int *status);

/* 1 if a connection from proxy `from` to port `port` of node dst is mutual TLS (Istio's auto mTLS).
 */
int sim_tls_mesh_conn(const struct sim_world *w, const struct sim_proxy *from, uint32_t dst,
                      uint16_t port);

#endif
