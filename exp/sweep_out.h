/*
 * sweep_out.h - what a sweep writes: the table on the terminal and in
 * sweep.txt, every figure in sweep.json and sweep.csv, and plots of the
 * P99 and the error rate against the first varied key with their 95%
 * intervals as bands (plots/sweep-p99 and plots/sweep-error_rate, .dat and
 * .gp, drawn by gnuplot into .png and .svg when it is installed).
 *
 * Every file is a function of the sweep's results alone (no time, no
 * machine, no number of workers): a sweep run with -j 1, with -j 8, or
 * planned and merged writes the same bytes.
 */
#ifndef FL_EXP_SWEEP_OUT_H
#define FL_EXP_SWEEP_OUT_H

#include <stdio.h>

#include "exp/sweep.h"

/* The table: one line per point (the "all" row), then per route, then the best point. */
void exp_sweep_print(const struct exp_sweep *s, const char *name, FILE *out);

/*
 * Writes sweep.txt, sweep.json, sweep.csv and the plots' data and scripts
 * into dir (which exists); draws the plots with gnuplot when it is found
 * (*drawn set to 1). Returns 0, or -1 with *err.
 */
int exp_sweep_write(const struct exp_sweep *s, const char *name, const char *dir, int *drawn,
                    char **err);

#endif
