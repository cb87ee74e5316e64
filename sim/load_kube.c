/*
 * load_kube.c - reads `kubernetes:`, the timings of pods coming and going
 * that the pod lifecycle faults (sim/fault_pods.c) follow:
 *
 *  endpoint_delay (1s): from a pod's change (deleted, killed, turned
 *    Ready) until the proxies' endpoint sets show it: the endpoints
 *    controller updates the EndpointSlice, istiod (or the gateway's
 *    discovery) pushes EDS. Kubernetes docs "Pod Lifecycle - Termination
 *    of Pods": removal from endpoints happens concurrently with the
 *    shutdown, so proxies see stale endpoints meanwhile.
 *  readiness_delay (5s): a started container until its readiness probe
 *    passes (Kubernetes docs "Configure Liveness, Readiness and Startup
 *    Probes": initialDelaySeconds plus a first successful probe).
 *  termination_grace_period (30s): terminationGracePeriodSeconds, after
 *    which the kubelet sends SIGKILL (default 30 s, PodSpec).
 *  prestop_delay (0s): a preStop hook's sleep before SIGTERM (the usual
 *    cure for the endpoint race; Kubernetes docs "Container Lifecycle
 *    Hooks"); it counts within the grace period.
 */
#include "sim/load_internal.h"

#define SECOND INT64_C(1000000000)

int sim_load_kube(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    struct sim_kube_cfg *k = &s->kube;
    k->endpoint_delay_ns = SECOND;
    k->readiness_delay_ns = 5 * SECOND;
    k->grace_ns = 30 * SECOND;
    k->prestop_ns = 0;
    if (!n) return 0;
    static const char *const keys[] = {"endpoint_delay", "readiness_delay",
                                       "termination_grace_period", "prestop_delay", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "kubernetes")) return -1;
    static const char *const *const names = keys;
    int64_t *const fields[] = {&k->endpoint_delay_ns, &k->readiness_delay_ns, &k->grace_ns,
                               &k->prestop_ns};
    for (size_t i = 0; i < 4; i++) {
        yaml_node_t *x = fl_y_get(d, n, names[i]);
        if (x && fl_y_duration(d, x, names[i], 0, SIM_DURATION_MAX, fields[i])) return -1;
    }
    yaml_node_t *pre = fl_y_get(d, n, "prestop_delay");
    if (pre && k->prestop_ns > k->grace_ns)
        return fl_y_error(d, pre,
                          "prestop_delay is longer than termination_grace_period (the kubelet "
                          "kills the pod at the end of the grace period, hook or not)");
    return 0;
}
