/*
 * identity.h - workload identities in the simulated mesh (sim/identity.c):
 * the mesh CA (istiod) issues each sidecar an X.509 certificate with its
 * SPIFFE id when the run starts, renews it before expiry, and every new
 * mutual TLS connection checks both ends' certificates (proxies/identity.c)
 * at each end's own clock. Faults act on it: the CA down, clock skew, a
 * root rotation (sim/fault_identity.c).
 */
#ifndef FL_SIM_IDENTITY_H
#define FL_SIM_IDENTITY_H

#include <stdint.h>

struct sim_world;

/* Issues the certificates (when proxy.tls.certificates is set); 0, or -1 with *err. */
int sim_identity_init(struct sim_world *w, char **err);
void sim_identity_free(struct sim_world *w);

/*
 * The check of a mutual TLS handshake from node src to node dst now:
 * PX_ID_OK (proxies/identity.h), or why one end refused the other's
 * certificate. Counted in the run's results.
 */
int sim_identity_handshake(struct sim_world *w, uint32_t src, uint32_t dst);

/* The principal ("cluster.local/ns/default/sa/web") node's certificate carries, or NULL. */
const char *sim_identity_principal(const struct sim_world *w, uint32_t node);

/* Faults (sim/fault_identity.c): the CA refusing to sign; clock skew of a node; a new root. */
void sim_identity_ca_down(struct sim_world *w, int delta);
void sim_identity_skew(struct sim_world *w, uint32_t node, int64_t delta_ns);
void sim_identity_rotate_root(struct sim_world *w, int keep_old);

#endif
