/*
 * retries.h - the clients' retry counters (struct rpt_retry_count) in
 * summary.txt and summary.json: retries made, retries the budget denied,
 * tries adaptive throttling rejected, per workload and per service (its
 * calls). Rows that are all zero are left out, and so is the whole part
 * when every row is: runs without client retries keep their digests.
 */
#ifndef FL_REPORTS_RETRIES_H
#define FL_REPORTS_RETRIES_H

#include <stdio.h>

#include "reports/json.h"
#include "reports/results.h"

void rpt_retries_print(FILE *out, const struct rpt_run *run);
void rpt_retries_json(struct rpt_json *j, const struct rpt_run *run);

#endif
