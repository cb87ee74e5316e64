/*
 * slowest.h - the slowest requests (run->slowest, explained from their
 * traces by rpt_slow_explain) in summary.txt and summary.json. Nothing is
 * written when the run lists none (report.slowest: 0).
 */
#ifndef FL_REPORTS_SLOWEST_H
#define FL_REPORTS_SLOWEST_H

#include <stdio.h>

#include "reports/json.h"
#include "reports/results.h"

/* "slowest requests": one line each, with its trace id and the breakdown. */
void rpt_slowest_print(FILE *out, const struct rpt_run *run);
/* "slowest": [{trace_id, route, start_ms, latency_ms, outcome, tries, queue_ms, ...}]. */
void rpt_slowest_json(struct rpt_json *j, const struct rpt_run *run);

#endif
