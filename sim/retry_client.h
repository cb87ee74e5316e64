/*
 * retry_client.h - what a client does about a failed try, shared by the
 * workload's clients (sim/workload.c) and the applications' downstream
 * calls (sim/app.c): whether to retry, the backoff before the next try, and
 * the two defences against retry storms at the source, a retry budget
 * (Finagle) and client-side adaptive throttling (Google SRE).
 */
#ifndef FL_SIM_RETRY_CLIENT_H
#define FL_SIM_RETRY_CLIENT_H

#include <stdint.h>

#include "base/rng.h"
#include "reports/results.h"
#include "sim/scenario.h"

#define SIM_WINDOW_SLOTS 120 /* the longest window: adaptive throttling's 2 minutes of 1 s */

/* Two counts over a sliding window of 1 s slots (the current slot included). */
struct sim_window {
    int n_slots;
    int64_t cur; /* the current slot: floor(now / 1 s) */
    uint64_t a[SIM_WINDOW_SLOTS], b[SIM_WINDOW_SLOTS];
    uint64_t sum_a, sum_b;
};

/* One client's retry state: a workload's, or one call of one pod. */
struct sim_retry_state {
    struct sim_window budget;   /* a: requests (first tries), b: retries */
    struct sim_window throttle; /* a: requests, b: accepts */
    struct rpt_retry_count *counts;
};

void sim_retry_state_init(struct sim_retry_state *st, struct rpt_retry_count *counts);

/* A new request (its first try is about to be made): a deposit in the budget. */
void sim_retry_on_request(const struct sim_retry_cfg *r, struct sim_retry_state *st, int64_t now);

/* Before every try: 1 when adaptive throttling rejects it locally (counted as throttled). */
int sim_retry_throttled(const struct sim_retry_cfg *r, struct sim_retry_state *st, int64_t now,
                        struct fl_rng *rng);

/*
 * A try ended with outcome (a status or RPT_FAIL_*) and it was try number
 * `tries` (1 for the first). Counts the answer for throttling and returns
 * 1 when the client tries again: a retryable outcome, tries left, and the
 * budget (when there is one) allowing it; the retry is then counted.
 */
int sim_retry_after(const struct sim_retry_cfg *r, struct sim_retry_state *st, uint32_t tries,
                    int outcome, int64_t now);

/* run->retry_counts: one row per workload, then one per service (once; later calls keep it). */
void sim_retry_counts_alloc(struct rpt_run *run, const struct sim_scenario *sc);

/*
 * The backoff before retry number `attempt` (0 for the first retry), by the
 * jitter mode; *prev_ns carries the previous sleep for decorrelated jitter
 * (start it at base).
 */
int64_t sim_backoff(const struct sim_retry_cfg *r, int attempt, int64_t *prev_ns,
                    struct fl_rng *rng);

#endif
