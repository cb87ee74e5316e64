/*
 * plan.h - a sweep split into independent jobs for an engine that runs
 * many commands on many machines, and the jobs' results gathered again.
 *
 * A plan folder holds:
 *   plan.txt      what merge reads: the plan's format, the scenario's
 *                 digest, the number of jobs, the sweep's arguments
 *   jobs.txt      one shell command per job (job K on line K + 1)
 *   parallel.sh   GNU parallel over jobs.txt (extra arguments go to parallel:
 *                 -j N, --sshloginfile FILE)
 *   slurm.sbatch  a Slurm job array, one task per job (SLURM_ARRAY_TASK_ID)
 *   k8s-job.yaml  a Kubernetes Indexed Job, one completion per job
 *                 (JOB_COMPLETION_INDEX)
 *   results/      job-K.txt per finished job: its digest and result line
 * Commands run `${FAULTLINE:-faultline}`; paths in them are absolute, so the
 * folder and the scenario files must be at the same paths on every machine
 * (a shared filesystem, or the same image).
 *
 * The digest is SHA-256 over the scenario file's and overlays' bytes, in
 * order: a job run against other files records another digest, and merge
 * refuses it.
 */
#ifndef FL_EXP_PLAN_H
#define FL_EXP_PLAN_H

#include <stddef.h>

struct exp_plan {
    char digest[65];
    size_t jobs;
    char **args; /* the sweep's arguments (after "sweep") */
    size_t n_args;
};

/* The digest of file then overlays. Returns 0, or -1 with *err (a file cannot be read). */
int exp_plan_digest(const char *file, const char *const *overlays, size_t n, char out[65],
                    char **err);

/*
 * Writes the plan's files into dir (which exists) for jobs 0..jobs-1. cmd
 * is the shell command of a job without its number (a job's command is cmd,
 * a space and the number); name is the scenario's, for the engines' job
 * names. Returns 0, or -1 with *err.
 */
int exp_plan_write(const char *dir, const struct exp_plan *p, const char *cmd, const char *name,
                   char **err);

/* Reads dir/plan.txt. Returns 0, or -1 with *err. */
int exp_plan_read(const char *dir, struct exp_plan *p, char **err);
void exp_plan_free(struct exp_plan *p);

/* Writes dir/results/job-K.txt (atomically). Returns 0, or -1 with *err. */
int exp_plan_job_write(const char *dir, size_t job, const char *digest, const char *line,
                       char **err);

/*
 * Reads dir/results/job-K.txt: 1 when it is not there, 0 with *line (caller
 * frees) and its digest, -1 with *err when it is malformed.
 */
int exp_plan_job_read(const char *dir, size_t job, char digest[65], char **line, char **err);

#endif
