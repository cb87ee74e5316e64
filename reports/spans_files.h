/*
 * spans_files.h - span exports as files: a store's spans written whole
 * (reports/file.h) as Zipkin v2 JSON or OTLP/JSON (spans.h), and a run's
 * spans.json and spans.otlp.json with the line summary.txt gives them.
 *
 * Not here: the formats themselves (spans_out.c).
 */
#ifndef FL_REPORTS_SPANS_FILES_H
#define FL_REPORTS_SPANS_FILES_H

#include <stdint.h>
#include <stdio.h>

#include "reports/results.h"
#include "reports/spans.h"

enum rpt_span_format { RPT_SPANS_ZIPKIN, RPT_SPANS_OTLP };

/*
 * Sorts the store (rpt_spans_sort) and writes DIR/NAME in the format, all
 * or nothing. flag_names and epoch_us as rpt_spans_write_zipkin takes
 * them. Returns 0, or -1 with *err (caller frees).
 */
int rpt_spans_file(struct rpt_spans *st, enum rpt_span_format format, const char *const *flag_names,
                   int64_t epoch_us, const char *dir, const char *name, char **err);

/* How many traces a sorted array of spans holds. */
size_t rpt_spans_traces(const struct rpt_span *v, size_t n);

/*
 * The run's spans.json and spans.otlp.json into dir (simulated time from
 * RPT_SPAN_EPOCH_US); sets run->spans_written. Returns 0, or -1 with *err.
 */
int rpt_spans_write_run(struct rpt_run *run, const char *dir, char **err);

/* How the run sampled its traces, in words ("tracing.sample 100%"), into buf. */
const char *rpt_spans_sampling(const struct rpt_run *run, char *buf, size_t size);

/*
 * summary.txt's line on the spans, when they were written and some were
 * kept (or tracing.sample was set): how many, of how many traces, the
 * sampling, and those dropped past the store's cap.
 */
void rpt_spans_print(FILE *out, const struct rpt_run *run);

#endif
