/*
 * amplify.h - retry amplification per hop in the summaries: attempts per
 * client request at the client, at the gateway (its clusters together),
 * at every proxy cluster that sent requests, and end to end (attempts
 * arriving at the services that call no other). The figures come from
 * sim/amplify.c; rpt_hop_amplification (checks.c) computes them.
 */
#ifndef FL_REPORTS_AMPLIFY_H
#define FL_REPORTS_AMPLIFY_H

#include <stdio.h>

#include "reports/json.h"
#include "reports/results.h"

/* "amplification": {client, gateway?, end_to_end, hops: [{name, attempts, retries, per_request}]}.
 */
void rpt_amplify_json(struct rpt_json *j, const struct rpt_run *run);

/*
 * The headline's figure: "1.00x" when no proxy sent a request, else
 * "1.00x client, 3.00x end to end"; then, on a line of its own, the hops.
 */
void rpt_amplify_head(FILE *out, const struct rpt_run *run);
void rpt_amplify_hops_line(FILE *out, const struct rpt_run *run);

#endif
