/*
 * stages.h - a time-varying arrival rate given as k6-like stages: the rate
 * ramps linearly from the previous stage's target (0 before the first) to
 * this stage's target over the stage's duration.
 */
#ifndef FL_SIM_STAGES_H
#define FL_SIM_STAGES_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"

/* The rate (per second) at offset t_ns from the workload's start; 0 after the last stage. */
double sim_stages_rate(const struct sim_stage *st, size_t n, int64_t t_ns);

/*
 * The offset from the workload's start at which the expected number of
 * arrivals (the integral of the rate) reaches lambda, or -1 when the stages
 * end before it does.
 */
int64_t sim_stages_time_of(const struct sim_stage *st, size_t n, double lambda);

#endif
