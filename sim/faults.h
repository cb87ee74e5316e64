/*
 * faults.h - the fault scheduler of a run: starts and stops the
 * scenario's faults (and the chaos monkey's) at their times, fires the
 * `when` triggers, and writes every transition to the event log.
 *
 * Hooks the rest of the simulator calls: sim_faults_on_request (a request
 * arrives at a pod: `requests` and `match` triggers) and
 * sim_faults_on_proxy_event (a proxy's event through the runtime's event
 * sink, sim/rt.c: `ejected` and `overflow` triggers).
 */
#ifndef FL_SIM_FAULTS_H
#define FL_SIM_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/config.h"
#include "proxies/http.h"
#include "proxies/rt.h"
#include "sim/fault.h"
#include "sim/kernel.h"

struct sim_world;

#define SIM_ACTIVE_MAX 64 /* active faults of one kind on one pod that compose */

enum sim_fault_state {
    SIM_FAULT_WAITING, /* for its time or its trigger */
    SIM_FAULT_PENDING, /* triggered; starts after the trigger's delay */
    SIM_FAULT_ACTIVE,
    SIM_FAULT_DONE,
};

struct sim_fault_run {
    const struct sim_fault *f;
    struct sim_world *w;
    enum sim_fault_state state;
    uint64_t seen;                /* requests trigger: arrivals counted so far */
    int64_t started_ns, ended_ns; /* ended_ns: 0 until it ends */
    struct sim_timer start, end;
};

struct sim_faults {
    struct sim_fault_run *v; /* the scenario's faults in file order, then the monkey's */
    size_t n;
    struct sim_fault *drawn; /* the monkey's (owned) */
    size_t n_drawn;
    size_t waiting_requests; /* faults whose requests or match trigger has not fired */
    size_t waiting_events;   /* ... whose ejected or overflow trigger has not fired */
};

/* Draws the monkey's faults and arms every start timer (before the workloads start). */
void sim_faults_init(struct sim_world *w);
void sim_faults_free(struct sim_world *w);

/* A request m arrives at pod number pod (world index). */
void sim_faults_on_request(struct sim_world *w, uint32_t pod, const struct px_msg *m);

/*
 * A proxy on node reported e; cfg is its configuration (to tell which
 * service a cluster sends to).
 */
void sim_faults_on_proxy_event(struct sim_world *w, const struct px_proxy_cfg *cfg, uint32_t node,
                               const struct px_event *e);

/*
 * Records a finished request (started at start_ns, on route) in the
 * windows of the `during` assertions whose fault was active at start_ns.
 */
void sim_faults_record(struct sim_world *w, int route, int64_t start_ns, int64_t latency_ns,
                       int outcome, uint32_t tries);

/*
 * The active faults of kind on pod (world index), in schedule order: up to
 * max of them into out. Returns how many.
 */
/*
 * After the run: tells the window checks when the workloads stopped, and the
 * recovers_within ones when their fault ended (or that it did not).
 */
void sim_faults_checks_done(struct sim_world *w);

size_t sim_faults_active_on(struct sim_world *w, enum sim_fault_kind_id kind, uint32_t pod,
                            const struct sim_fault **out, size_t max);

#endif
