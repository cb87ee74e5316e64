/*
 * series_out.h - the time series (series.h) written out: the `series`
 * member of summary.json and the CSV files series-routes.csv,
 * series-services.csv, series-edges.csv and series-clusters.csv.
 *
 * Both give one row (point) per window and series, windows in order from
 * 0: t_s is the window's start in seconds; latency quantiles are
 * milliseconds (empty in CSV, null in JSON, for a window without a
 * request); outcome classes are counts (2xx ... unfinished).
 */
#ifndef FL_REPORTS_SERIES_OUT_H
#define FL_REPORTS_SERIES_OUT_H

#include "reports/json.h"
#include "reports/results.h"

/* "series": {...}; nothing when the run has no series to show. */
void rpt_series_json(struct rpt_json *j, const struct rpt_run *run);

/* Writes the CSV files into dir (atomically, reports/file.h); 0, or -1 with *err set. */
int rpt_series_write(const struct rpt_run *run, const char *dir, char **err);

#endif
