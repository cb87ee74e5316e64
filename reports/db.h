/*
 * db.h - run.db: a run's figures as an sqlite3 database (docs/database.md
 * gives the schema and example queries).
 *
 * rpt_db_write stores everything summary.txt and summary.json are made
 * of (each latency histogram as a blob, outcome and flag counts, clusters,
 * hops, caches, notes, assertions), the counted requests listed in
 * run->requests, the spans, the series, the event log and the slowest
 * requests, in one transaction with reused prepared statements, into a
 * fresh temporary file that is renamed over PATH when complete (as
 * reports/file.c does): a reader sees the previous database or the new
 * one. Wall-clock time is not stored: the same run gives the same
 * contents (`sqlite3 run.db .dump` is byte-identical).
 *
 * rpt_db_read rebuilds a struct rpt_run from such a file, complete enough
 * that reports/summary.c writes summary.txt and summary.json byte for byte
 * as the run did, and that the plots and the page can be drawn again.
 */
#ifndef FL_REPORTS_DB_H
#define FL_REPORTS_DB_H

#include "reports/results.h"

/* The schema this build writes (run.schema_version); it reads versions 1 .. this one. */
#define RPT_DB_SCHEMA_VERSION 2 /* 2: the counters table */
/* PRAGMA application_id of a faultline database: "FLdb". */
#define RPT_DB_APPLICATION_ID 0x464c6462

/*
 * Writes run (and scenario_text, the scenario as the user wrote it; may be
 * NULL) to path. Returns 0, or -1 with *err set (caller frees) naming the
 * file.
 */
int rpt_db_write(const struct rpt_run *run, const char *scenario_text, const char *path,
                 char **err);

/*
 * Reads the database at path into *out (zeroed first; free it with
 * rpt_run_free) and, when scenario_text is not NULL, the scenario's text
 * into *scenario_text (caller frees; NULL when none was stored). Returns
 * 0, or -1 with *err set (caller frees): the file cannot be opened, is not
 * a faultline database, or was written with a newer schema.
 */
int rpt_db_read(const char *path, struct rpt_run *out, char **scenario_text, char **err);

#endif
