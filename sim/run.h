/*
 * run.h - running a loaded scenario: build the world, run it in virtual
 * time, hand back the figures.
 */
#ifndef FL_SIM_RUN_H
#define FL_SIM_RUN_H

#include <stdint.h>

#include "reports/results.h"
#include "sim/scenario.h"

struct sim_progress {
    int64_t now_ns; /* simulated time reached */
    int64_t end_ns; /* when the workloads stop sending (the drain may go past it) */
    uint64_t events;
};

/* Called now and then during a run (a progress line); must not keep p. */
typedef void (*sim_progress_fn)(const struct sim_progress *p, void *arg);

/*
 * Runs the scenario to the end and fills *out (free it with rpt_run_free).
 * The figures depend only on the scenario and its seed. The wall-clock
 * field is left 0 for the caller. Returns 0, or -1 with *err set (caller
 * frees) when the gateway or mesh configuration refers to something the
 * scenario does not have; *out is then empty.
 */
int sim_run(const struct sim_scenario *sc, sim_progress_fn progress, void *arg, struct rpt_run *out,
            char **err);

/* Called with the proxies' configurations as built (NULL for a proxy the scenario has not). */
struct px_proxy_cfg;
typedef void (*sim_proxies_fn)(const struct px_proxy_cfg *gateway,
                               const struct px_proxy_cfg *sidecar,
                               const struct px_proxy_cfg *ingress, void *arg);

/*
 * Builds the world as sim_run would, without running it, and calls fn with
 * the gateway's, the sidecars' and Istio's ingress gateway's configurations (what `faultline check`
 * shows). Returns 0, or -1 with *err set as sim_run does.
 */
int sim_proxies_build(const struct sim_scenario *sc, sim_proxies_fn fn, void *arg, char **err);

#endif
