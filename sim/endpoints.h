/*
 * endpoints.h - a service's endpoints as the callers see them: which of
 * its pods the proxies' clusters (Envoy EDS, Kong upstream targets) and
 * the plain callers (kube-proxy's rules: workloads and app calls without
 * a sidecar) may send to. A pod leaves them when Kubernetes withdraws it
 * and comes back when its replacement is ready (sim/pods.c says when).
 */
#ifndef FL_SIM_ENDPOINTS_H
#define FL_SIM_ENDPOINTS_H

#include <stdint.h>

#include "base/rng.h"

struct sim_world;

/* Puts pod (world index) in its service's endpoints (present 1) or takes it out (0), everywhere. */
void sim_endpoints_set(struct sim_world *w, uint32_t pod, int present);

/*
 * 1 if the endpoint on node is out of its service's endpoints as a proxy
 * on node `viewer` sees them (a pod never sees itself withdrawn): what a
 * cluster created now starts from.
 */
int sim_endpoints_absent(const struct sim_world *w, uint32_t viewer, uint32_t node);

/*
 * A pod of service for a caller without a proxy, uniformly among those in
 * the endpoints (one draw from rng; the same draw as before any change
 * while every pod is in). With none in, any pod (its refusal is the
 * caller's answer, as kube-proxy's REJECT rule gives it).
 */
uint32_t sim_endpoints_pick(struct sim_world *w, uint32_t service, struct fl_rng *rng);

#endif
