/*
 * timeline.h - the run's event log in the summaries: whole in summary.json
 * (`timeline`), condensed in summary.txt (the `events` section: counts per
 * kind, then the first RPT_TIMELINE_LINES entries).
 */
#ifndef FL_REPORTS_TIMELINE_H
#define FL_REPORTS_TIMELINE_H

#include <stdio.h>

#include "reports/json.h"
#include "reports/results.h"

#define RPT_TIMELINE_LINES 20

/* Writes "timeline": [{t_ms, event, subject, detail}] (and timeline_dropped if any). */
void rpt_timeline_json(struct rpt_json *j, const struct rpt_run *run);

/* Writes the events section; nothing when the run logged no event. */
void rpt_timeline_print(FILE *out, const struct rpt_run *run);

#endif
