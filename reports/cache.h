/*
 * cache.h - the services' caches in the summaries: a `caches` block in
 * summary.txt and a `caches` array in summary.json, both only when the
 * scenario has a cache (other runs' outputs and digests stay as they were).
 */
#ifndef FL_REPORTS_CACHE_H
#define FL_REPORTS_CACHE_H

#include <stdio.h>

#include "reports/json.h"
#include "reports/results.h"

void rpt_caches_print(FILE *out, const struct rpt_run *run);
void rpt_caches_json(struct rpt_json *j, const struct rpt_run *run);
void rpt_caches_free(struct rpt_run *run);

#endif
