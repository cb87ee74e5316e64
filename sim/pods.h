/*
 * pods.h - pods coming and going: a pod's process killed (SIGKILL) or
 * deleted gracefully (SIGTERM), its replacement started and turned Ready,
 * the endpoint changes that follow with Kubernetes' propagation delay,
 * and rolling restarts of a whole service. Every step is an entry of the
 * event log (pod-stop, pod-start, pod-ready, pod-terminating, endpoint).
 * The timings are the scenario's `kubernetes:` (struct sim_kube_cfg).
 *
 * Not here: which fault asks for what (sim/fault_pods.c), how a change of
 * endpoints reaches the callers (sim/endpoints.c).
 */
#ifndef FL_SIM_PODS_H
#define FL_SIM_PODS_H

#include <stdint.h>

struct sim_world;

/* Called when a restarted pod's replacement is back in the endpoints. */
typedef void (*sim_pod_done_fn)(struct sim_world *w, uint32_t pod, void *arg);

/*
 * Kills pod (world index) now: its connections are reset, its work is
 * lost, new connections are refused; it leaves the endpoints after
 * endpoint_delay. restart_after_ns >= 0: a replacement (same name, fresh
 * state) starts that much later, is Ready readiness_delay after, and is
 * back in the endpoints endpoint_delay after that. A pod already down is
 * left alone (logged).
 */
void sim_pod_kill(struct sim_world *w, uint32_t pod, int64_t restart_after_ns);

/*
 * Deletes pod gracefully and replaces it: it leaves the endpoints after
 * endpoint_delay; SIGTERM comes after prestop_delay, and the process
 * exits (closing its connections) once it has nothing in flight, or is
 * killed at termination_grace_period; the replacement starts at once,
 * is Ready after readiness_delay, and back in the endpoints after
 * endpoint_delay: then done(w, pod, arg) runs (done may be NULL). A pod
 * not running is left alone (logged; done runs at once).
 */
void sim_pod_restart(struct sim_world *w, uint32_t pod, sim_pod_done_fn done, void *arg);

/*
 * Restarts every pod of service, in order, at most `parallel` (>= 1) at a
 * time, each as sim_pod_restart: the next starts when a replacement is
 * back in the endpoints. name: the fault's, for the log.
 */
void sim_pods_rollout(struct sim_world *w, uint32_t service, uint32_t parallel, const char *name);

void sim_pods_free(struct sim_world *w);

#endif
