/*
 * series.h - the simulator's side of the time series (reports/series.h)
 * and of retry amplification per hop: what is recorded where, the
 * readings of the proxies' cluster counters at every window boundary and
 * at the end of warmup.
 *
 * Files: series_tick.c (the windows), amplify.c (hops).
 */
#ifndef FL_SIM_SERIES_H
#define FL_SIM_SERIES_H

#include "sim/world.h"

/* The world's part (world.h: w->series; NULL when the run records no series). */
struct sim_series {
    struct sim_timer tick;
    uint64_t ticks;   /* timer events fired: not the model's, left out of `events` */
    int *client_edge; /* per client: its edge series */
    int *call_edge;   /* per (caller service * n_services + callee): edge, or -1 */
    int edge_shared;  /* a workload's edge is also a service's (same names): record it */
    struct rpt_series_set *set;
};

/* Sets the series up (when the scenario records them) and arms the first window boundary. */
void sim_series_init(struct sim_world *w);

/* A workload's request ended (after warmup). */
void sim_series_request(struct sim_world *w, const struct sim_client *cl, int route,
                        int64_t latency_ns, int outcome, uint32_t tries);

/* A pod of service svc answered (after warmup); caller_svc >= 0: one of its calls ended. */
void sim_series_service(struct sim_world *w, uint32_t svc, int64_t latency_ns, int outcome);
void sim_series_call(struct sim_world *w, uint32_t caller_svc, uint32_t callee_svc,
                     int64_t latency_ns, int outcome);

/* Closes the windows at the end of the run; the run's series are then complete. */
void sim_series_finish(struct sim_world *w);
void sim_series_free(struct sim_world *w);

/* Timer events of the series and of amplification, to leave out of the run's `events`. */
uint64_t sim_series_events(const struct sim_world *w);

/* ---- amplify.c ---- */

/* Arms the warmup reading of the proxies' counters (when there is a warmup). */
void sim_amplify_init(struct sim_world *w);
/* Fills run->hops and run->leaf_arrivals (after sim_mesh_results). */
void sim_amplify_results(struct sim_world *w);
void sim_amplify_free(struct sim_world *w);
/* The warmup reading's timer event (0 or 1), to leave out of the run's `events`. */
uint64_t sim_amplify_events(const struct sim_world *w);

#endif
