/*
 * topology.h - the service graph of a run as graphviz DOT, drawn as
 * Kiali draws a mesh: workloads, the gateway and the services as nodes,
 * an edge per caller -> callee with its requests per second, error
 * percentage and P99, red when more than 5% of its requests failed.
 *
 * Edges come from run->edges (whole-run figures, "A -> B"); a gateway
 * cluster ("gateway NAME") the run has no edge for is drawn dashed from
 * the gateway to service NAME with its attempts per second only. Rates
 * are over the measured period: from the start of the first series window
 * in which a request ended to the end of the last (the whole run when
 * there are no series).
 */
#ifndef FL_REPORTS_TOPOLOGY_H
#define FL_REPORTS_TOPOLOGY_H

#include <stdio.h>

#include "reports/results.h"

#define RPT_TOPOLOGY_RED_ERRORS 0.05 /* an edge with more errors than this is red */

/* Writes the DOT text of the run's service graph. */
void rpt_topology_dot(const struct rpt_run *run, FILE *f);

/* The measured period in ns (see above; >= 1). */
int64_t rpt_topology_period_ns(const struct rpt_run *run);

#endif
