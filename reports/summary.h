/*
 * summary.h - the run summary: the table on the terminal and in
 * summary.txt, the same figures in summary.json, and the run digest.
 *
 * The digest is the SHA-256 (hex) of summary.json's deterministic content,
 * i.e. everything but the digest itself and the wall-clock time; two runs
 * of the same scenario and seed therefore have the same digest and
 * byte-identical summary files, and any difference in any figure changes
 * it. Numbers are printed with fixed formats (never locale-dependent).
 *
 * Files are written to a temporary name in the same folder and renamed, so
 * a reader never sees half a file.
 */
#ifndef FL_REPORTS_SUMMARY_H
#define FL_REPORTS_SUMMARY_H

#include <stdio.h>

#include "reports/results.h"

/* Computes run->digest from the run's figures (checks evaluated or not: they are included). */
void rpt_summary_digest(struct rpt_run *run);

/* Prints the table (what summary.txt holds). */
void rpt_summary_print(const struct rpt_run *run, FILE *out);

/* A check's outcome in words: "p99 = 45.20ms", "error_rate = 1.32%", or why it was not judged. */
void rpt_check_value_text(char *buf, size_t size, const struct rpt_check *c);

/* Writes the summary JSON (with the digest, without wall-clock time) to out. */
void rpt_summary_json(const struct rpt_run *run, FILE *out);

/*
 * Computes the digest, then writes DIR/summary.txt and DIR/summary.json
 * (DIR must exist). Returns 0, or -1 with *err set to a message naming the
 * file (caller frees).
 */
int rpt_summary_write(struct rpt_run *run, const char *dir, char **err);

#endif
