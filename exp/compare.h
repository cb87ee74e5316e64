/*
 * compare.h - the comparison of scenario variants over replications: per
 * variant the mean of every figure (exp/result.h) with its 95% interval,
 * and per variant after the first (the baseline) its difference from the
 * baseline with the interval of that difference.
 *
 * The difference's interval depends on how the replications were drawn:
 * variants run on the same seeds (common random numbers) are paired
 * replication by replication (exp_ci_paired); variants on distinct seeds
 * are independent samples (exp_ci_welch); a variant of one replication (a
 * finished run) gives a difference of means without an interval.
 *
 * Everything here is a function of the results given: no run, no clock,
 * no I/O but the FILE the writers are handed.
 */
#ifndef FL_EXP_COMPARE_H
#define FL_EXP_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exp/result.h"
#include "exp/stats.h"

/* One variant as it was run: its replications' seeds and results. */
struct exp_cmp_variant {
    const char *label;        /* "A", "B", ... */
    const char *const *words; /* how it was named: FILE [-f OVERLAY] [--set K=V]..., or DIR */
    size_t n_words;
    int finished;                 /* a finished run's folder: one replication */
    size_t n;                     /* replications (>= 1) */
    const uint64_t *seeds;        /* n seeds */
    const struct exp_result *res; /* n results */
};

enum exp_cmp_method {
    EXP_CMP_PAIRED, /* same seeds: the paired t interval */
    EXP_CMP_WELCH,  /* distinct seeds: Welch's interval */
    EXP_CMP_NONE    /* a side with one replication: no interval */
};

/* "paired", "welch", "none". */
extern const char *const exp_cmp_method_names[3];

struct exp_cmp {
    size_t n_variants;
    const struct exp_cmp_variant *variants; /* not owned */
    int crn;                                /* the variants were meant to share seeds */
    size_t n_rows;
    char **rows;                 /* "all", then the routes every variant has, baseline order */
    struct exp_ci *stat;         /* [variant][row][metric] */
    struct exp_ci *diff;         /* [variant][row][metric]: variant - baseline (variant 0 unused) */
    enum exp_cmp_method *method; /* [variant] (variant 0: EXP_CMP_NONE) */
    size_t *passed;              /* [variant]: replications where every assertion held */
};

/* Index of (variant, row, metric) in stat and diff. */
static inline size_t exp_cmp_at(const struct exp_cmp *c, size_t v, size_t row, enum exp_metric m)
{
    return (v * c->n_rows + row) * EXP_N_METRICS + (size_t)m;
}

/*
 * Computes the comparison of v[0..n-1] (n >= 2; v[0] the baseline). crn:
 * whether the run used common random numbers (a pair of variants is paired
 * only when both ran the same seeds). The result points into v, which must
 * outlive it.
 */
void exp_cmp_compute(const struct exp_cmp_variant *v, size_t n, int crn, struct exp_cmp *out);
void exp_cmp_free(struct exp_cmp *c);

/*
 * The comparison as a table for people (lines of at most 100 columns,
 * unless a variant's own words are longer): the variants, then per row
 * and per variant after the baseline each metric's two means with their
 * intervals, the difference, its interval, its relative size and a
 * verdict; then how many replications passed the assertions.
 */
void exp_cmp_write_text(const struct exp_cmp *c, FILE *f);

/* Every figure as JSON (docs/experiments.md). Returns 0, or -1 on a write error. */
int exp_cmp_write_json(const struct exp_cmp *c, FILE *f);

#endif
