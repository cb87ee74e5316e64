/*
 * pool.h - the replications of an experiment on N worker processes.
 *
 * Job i's result is one line (exp/result.h's form) computed by fn in a
 * worker; the parent hands out job indices one at a time to whichever
 * worker is free and files each line under its job's index, so what the
 * caller gets is the same, byte for byte, whatever the number of workers
 * and whatever order they finish in. With one worker (or one job) the
 * jobs run in this process, in order.
 */
#ifndef FL_EXP_POOL_H
#define FL_EXP_POOL_H

#include <stddef.h>

/* Computes job's result line (without '\n'; *line malloc'd); returns 0, or -1 with *err. */
typedef int (*exp_job_fn)(size_t job, void *arg, char **line, char **err);
/* Called in the parent after each job: done of total. */
typedef void (*exp_done_fn)(size_t done, size_t total, void *arg);

/*
 * Runs jobs[0..n_jobs-1] (job indices passed to fn) on `workers` processes
 * (at least 1); lines[k] receives job jobs[k]'s line. Returns 0, or -1 with
 * *err (the failing job with the lowest position: the same error whatever
 * the workers) after every worker has ended.
 */
int exp_pool_run(const size_t *jobs, size_t n_jobs, int workers, exp_job_fn fn, void *arg,
                 char **lines, exp_done_fn done, void *done_arg, char **err);

/* The number of workers by default: the machine's online cores (1 to 64). */
int exp_pool_default_workers(void);

#endif
