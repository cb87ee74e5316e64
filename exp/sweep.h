/*
 * sweep.h - a sweep: a scenario run at every point of a grid (exp/grid.h),
 * each point with the same seeds (replication r uses seed0 + r: common
 * random numbers across points), its figures summarised per point by mean
 * and 95% t interval (exp/stats.h), the assertions counted, and the best
 * point for an objective under constraints.
 *
 * Seeds: a fixed number per point, or "auto": a first round of `seeds`
 * replications per point, then rounds adding replications to the points
 * whose named metrics' interval half-width is above `precision` times
 * their mean (the relative-precision sequential procedure; Law, Simulation
 * Modeling and Analysis, 5th ed., 9.4.1), up to max_seeds. Every decision
 * is made between rounds on complete rounds, so the outcome does not
 * depend on the number of worker processes.
 */
#ifndef FL_EXP_SWEEP_H
#define FL_EXP_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "exp/grid.h"
#include "exp/replicate.h"
#include "exp/result.h"
#include "exp/stats.h"

/* A metric of a row: "p99" (every request) or "ROUTE:p99" (the last ':' splits). */
struct exp_target {
    char *row; /* "all" or a route's name */
    enum exp_metric metric;
};

/* "METRIC<VALUE" (also <=, >, >=); VALUE in ms for latency (units allowed: 200ms, 1s), a
 * fraction or percentage for error_rate (0.1%), a number for amplification. */
struct exp_constraint {
    struct exp_target t;
    int op; /* '<', 'l' (<=), '>', 'g' (>=) */
    double value;
    char *text;
};

int exp_target_parse(const char *s, struct exp_target *out, char **err);
void exp_target_free(struct exp_target *t);
int exp_constraint_parse(const char *s, struct exp_constraint *out, char **err);
void exp_constraint_free(struct exp_constraint *c);

/* One point's replications and their summary. */
struct exp_point {
    size_t n;                /* replications done */
    struct exp_result *res;  /* [n], replication r with seed seed0 + r */
    size_t n_rows;           /* of the first replication */
    struct exp_ci *ci;       /* n_rows x EXP_N_METRICS */
    size_t passed;           /* replications whose every assertion held */
    size_t *check_passed;    /* per assertion (of the first replication) */
    struct exp_ci *check_ci; /* per assertion: its value */
    int feasible;            /* every constraint holds on the means */
};

struct exp_sweep {
    struct exp_variant v;
    struct exp_vary *vary;
    size_t n_vary;
    size_t n_points;
    uint64_t seed0;
    size_t seeds; /* per point; with auto, the first round's */
    int auto_seeds;
    double precision; /* auto: relative half-width wanted (0.05) */
    size_t max_seeds; /* auto: at most this many per point */
    struct exp_target
        *prec; /* auto: the metrics judged (none given: the objective, else all p99) */
    size_t n_prec;
    int has_objective, maximize;
    struct exp_target objective;
    struct exp_constraint *cons;
    size_t n_cons;
    /* filled by the run */
    struct exp_point *points; /* [n_points] */
    size_t rounds;
    long best; /* the best point, or -1 (no objective, or no point meets the constraints) */
};

/* Progress: replications done of those planned so far, and the round. */
typedef void (*exp_sweep_progress)(size_t done, size_t planned, size_t round, void *arg);

/*
 * Runs the sweep on `workers` processes. Returns 0, or -1 with *err (a
 * replication that could not load or run: the loader's located message).
 */
int exp_sweep_run(struct exp_sweep *s, int workers, exp_sweep_progress progress, void *arg,
                  char **err);

/*
 * Replication (point p, r) as a job: its index p * stride + r, with stride
 * the seeds of a fixed sweep (exp_sweep_stride). The line is its result's.
 */
size_t exp_sweep_stride(const struct exp_sweep *s);
int exp_sweep_job(const struct exp_sweep *s, size_t job, char **line, char **err);

/*
 * Fills the points from result lines lines[p * stride + r] (a fixed sweep's
 * every job), then summarises: what a local run does after its jobs.
 * Returns 0, or -1 with *err when a line is malformed.
 */
int exp_sweep_fill(struct exp_sweep *s, char *const *lines, char **err);

void exp_sweep_free(struct exp_sweep *s);

#endif
