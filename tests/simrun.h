/*
 * simrun.h - running a scenario in-process for a test: from a file, or
 * from text written to a temporary file. Errors are printed to stderr.
 */
#ifndef FL_TESTS_SIMRUN_H
#define FL_TESTS_SIMRUN_H

#include <stddef.h>

#include "reports/results.h"

/* Loads path with the overrides, runs it, fills *run (caller frees). Returns 0 or -1. */
int test_run_file(const char *path, const char *const *sets, size_t n_sets, struct rpt_run *run);

/* The same for a scenario given as text. */
int test_run_text(const char *text, const char *const *sets, size_t n_sets, struct rpt_run *run);

/* The i-th entry (from 0) of the run's event log of kind what, or NULL. */
const struct rpt_event *test_timeline_entry(const struct rpt_run *r, const char *what, size_t i);
/* How many entries of kind what the run's event log holds. */
size_t test_timeline_count(const struct rpt_run *r, const char *what);

/* Fails the current test and returns from it when a run does not happen. */
#define RUN_OR_RETURN(expr)                                                                        \
    do {                                                                                           \
        if (expr) {                                                                                \
            CU_FAIL("scenario did not run");                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
