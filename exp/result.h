/*
 * result.h - what an experiment keeps of one replication (one run of a
 * scenario variant with one seed): per row (every request, then each
 * route) the figures compared (P50, P95, P99 and mean latency in ms,
 * error rate, the clients' tries per request, and for every request the
 * end-to-end amplification: requests reaching the services that call no
 * other, per client request, which counts every proxy's and app's retries
 * on the way), and each assertion's value and verdict.
 *
 * A result travels as one line of text (exp_result_write/read: every double
 * printed to round-trip exactly), between the worker processes of `-j N`
 * and in the job files of a planned sweep, so a result read back is the
 * result computed, bit for bit.
 */
#ifndef FL_EXP_RESULT_H
#define FL_EXP_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum exp_metric {
    EXP_P50,
    EXP_P95,
    EXP_P99,
    EXP_MEAN,
    EXP_ERROR_RATE,
    EXP_AMPLIFICATION,
    EXP_E2E_AMPLIFICATION, /* the "all" row only (NAN for routes) */
    EXP_N_METRICS
};

/* "p50", "p95", "p99", "mean", "error_rate", "amplification", "e2e_amplification". */
extern const char *const exp_metric_names[EXP_N_METRICS];
/* Its index by name, or -1. */
int exp_metric_by_name(const char *name);
/* 1 for the latency metrics (ms). */
int exp_metric_is_latency(enum exp_metric m);

struct exp_result {
    size_t n_rows;
    char **rows; /* "all", then the routes' names */
    double *v;   /* rows x EXP_N_METRICS; latency in ms; NAN for a row without request */
    size_t n_checks;
    char **checks;   /* the assertions as the scenario wrote them */
    double *check_v; /* their values (ms for durations), NAN when not judged */
    int *check_ok;
    uint64_t requests; /* every request counted */
};

/* The value of metric m of row r. */
static inline double exp_result_get(const struct exp_result *x, size_t row, enum exp_metric m)
{
    return x->v[row * EXP_N_METRICS + (size_t)m];
}

/* The row named name, or -1. */
long exp_result_row(const struct exp_result *x, const char *name);
/* 1 if every assertion held. */
int exp_result_passed(const struct exp_result *x);

void exp_result_free(struct exp_result *x);

/* One line, ending in '\n'. */
void exp_result_write(const struct exp_result *x, FILE *f);
/* Reads what exp_result_write wrote (the line, '\n' optional). Returns 0, or -1 if malformed. */
int exp_result_read(const char *line, struct exp_result *out);

struct rpt_run;
/* The figures of a finished run (its checks evaluated: rpt_checks_eval). */
void exp_result_of_run(const struct rpt_run *run, struct exp_result *out);

#endif
