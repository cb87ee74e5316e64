/*
 * sweep.c - `faultline sweep FILE --vary KEY=VALUES ...`: a scenario over a
 * grid of settings with replications, here on -j worker processes, or
 * planned as jobs for GNU parallel, Slurm or Kubernetes (--plan DIR) and
 * one job of such a plan (--job K). exp/sweep.c does the work.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"
#include "cli/sweep_args.h"
#include "exp/plan.h"
#include "exp/sweep_out.h"

struct progress {
    double start;
    int shown;
};

static void show_progress(size_t done, size_t planned, size_t round, void *arg)
{
    struct progress *pr = arg;
    FL_ASSERT(pr && done <= planned);
    double el = cli_wall_s() - pr->start;
    double left = done ? el * (double)(planned - done) / (double)done : 0;
    fprintf(stderr, "\rsweep: %zu/%zu runs, round %zu, %.0fs elapsed, about %.0fs left   ", done,
            planned, round, el, left);
    pr->shown = 1;
}

/* Writes the sweep's outputs into out and prints the table. */
int cli_sweep_report(const struct exp_sweep *s, const char *name, const char *out, int quiet)
{
    FL_ASSERT(s && s->points && name && out);
    char *err = NULL;
    int drawn = 0;
    if (cli_mkdirs(out) || exp_sweep_write(s, name, out, &drawn, &err)) {
        if (!err) err = fl_asprintf("cannot create %s: %s", out, strerror(errno));
        fprintf(stderr, "faultline sweep: %s\n", err);
        free(err);
        return CLI_BAD_INPUT;
    }
    if (!quiet) {
        exp_sweep_print(s, name, stdout);
        printf("\nwrote %s/sweep.txt, %s/sweep.json, %s/sweep.csv and %s/plots/sweep-*%s\n", out,
               out, out, out, drawn ? "" : " (data and gnuplot scripts: gnuplot was not found)");
    }
    return CLI_OK;
}

/* An absolute path for a plan's commands (they run elsewhere). */
static char *absolute(const char *path)
{
    FL_ASSERT(path && *path);
    char buf[PATH_MAX];
    if (path[0] == '/') return fl_strdup(path);
    if (!getcwd(buf, sizeof buf)) return fl_strdup(path);
    return fl_asprintf("%s/%s", buf, path);
}

/* The digest of the variant's files. */
static int digest_of(const struct sweep_args *a, char out[65])
{
    FL_ASSERT(a && a->s.v.file && out);
    char *err = NULL;
    if (exp_plan_digest(a->s.v.file, a->s.v.overlays, a->s.v.n_overlays, out, &err)) {
        fprintf(stderr, "faultline sweep: %s\n", err);
        free(err);
        return -1;
    }
    return 0;
}

/* The plan's arguments: the sweep's own, its files made absolute. */
static char **plan_args(const struct sweep_args *a)
{
    FL_ASSERT(a && a->n_spec >= 1 && a->s.v.file);
    char **args = fl_calloc(a->n_spec + 1, sizeof *args);
    for (size_t i = 0; i < a->n_spec; i++) {
        /* the scenario file and every -f overlay */
        int is_path = (i > 0 && !strcmp(a->spec[i - 1], "-f")) || i == a->file_at;
        args[i] = is_path ? absolute(a->spec[i]) : fl_strdup(a->spec[i]);
    }
    return args;
}

static int write_plan(struct sweep_args *a, const char *name)
{
    FL_ASSERT(a && a->plan && name && !a->s.auto_seeds);
    struct exp_plan p = {0};
    if (digest_of(a, p.digest)) return CLI_BAD_INPUT;
    p.jobs = a->s.n_points * a->s.seeds;
    p.args = plan_args(a);
    p.n_args = a->n_spec;
    char *dir = absolute(a->plan), *err = NULL;
    /* the job's command: faultline sweep ARGS --plan DIR --job */
    size_t n = p.n_args + 4;
    const char **words = fl_calloc(n, sizeof *words);
    words[0] = "sweep";
    for (size_t i = 0; i < p.n_args; i++) words[i + 1] = p.args[i];
    words[p.n_args + 1] = "--plan";
    words[p.n_args + 2] = dir;
    words[p.n_args + 3] = "--job";
    char *tail = cli_shell_join(words, n);
    char *cmd = fl_asprintf("\"${FAULTLINE:-faultline}\" %s", tail);
    int rc = CLI_OK;
    if (cli_mkdirs(dir) || exp_plan_write(dir, &p, cmd, name, &err)) {
        if (!err) err = fl_asprintf("cannot create %s: %s", dir, strerror(errno));
        fprintf(stderr, "faultline sweep: %s\n", err);
        free(err);
        rc = CLI_BAD_INPUT;
    } else if (!a->quiet) {
        printf("planned %zu jobs (%zu points x %zu seeds) in %s:\n"
               "  GNU parallel:  %s/parallel.sh [-j N] [--sshloginfile FILE]\n"
               "  Slurm:         sbatch %s/slurm.sbatch\n"
               "  Kubernetes:    kubectl apply -f %s/k8s-job.yaml\n"
               "then: faultline merge %s\n",
               p.jobs, a->s.n_points, a->s.seeds, dir, dir, dir, dir, dir);
    }
    free(cmd);
    free(tail);
    free(words);
    free(dir);
    exp_plan_free(&p);
    return rc;
}

static int run_job(struct sweep_args *a)
{
    FL_ASSERT(a && a->plan && a->job >= 0 && !a->s.auto_seeds);
    size_t jobs = a->s.n_points * a->s.seeds;
    if ((size_t)a->job >= jobs) {
        fprintf(stderr, "faultline sweep: job %ld is not in this plan (jobs 0 to %zu)\n", a->job,
                jobs - 1);
        return CLI_BAD_INPUT;
    }
    char digest[65], *line = NULL, *err = NULL;
    if (digest_of(a, digest)) return CLI_BAD_INPUT;
    if (exp_sweep_job(&a->s, (size_t)a->job, &line, &err) ||
        exp_plan_job_write(a->plan, (size_t)a->job, digest, line, &err)) {
        fprintf(stderr, "%s\n", err);
        free(err);
        free(line);
        return CLI_BAD_INPUT;
    }
    free(line);
    return CLI_OK;
}

int cli_sweep(int argc, char **argv)
{
    struct sweep_args a;
    int rc = sweep_args_parse(argc, argv, &a);
    if (rc) {
        sweep_args_free(&a);
        return rc == CLI_OK + 100 ? CLI_OK : rc;
    }
    char *name = NULL, *err = NULL;
    uint64_t seed;
    if (exp_variant_info(&a.s.v, &seed, &name, &err)) {
        fprintf(stderr, "%s\n", err);
        free(err);
        sweep_args_free(&a);
        return CLI_BAD_INPUT;
    }
    a.s.seed0 = a.has_seed ? a.seed : seed;
    FL_ASSERT(a.s.n_points >= 1 && a.s.seeds >= 1 && a.workers >= 1);
    if (a.job >= 0) {
        rc = run_job(&a);
    } else if (a.plan) {
        rc = write_plan(&a, name);
    } else {
        char *out = a.out ? fl_strdup(a.out) : fl_asprintf("reports/sweep/%s", name);
        if (cli_outdir_check(out, &err)) {
            fprintf(stderr, "faultline sweep: %s\n", err);
            free(err);
            rc = CLI_BAD_INPUT;
        } else {
            struct progress pr = {cli_wall_s(), 0};
            int tty = !a.quiet && isatty(STDERR_FILENO);
            if (exp_sweep_run(&a.s, a.workers, tty ? show_progress : NULL, &pr, &err)) {
                if (pr.shown) fputc('\n', stderr);
                fprintf(stderr, "%s\n", err);
                free(err);
                rc = CLI_BAD_INPUT;
            } else {
                if (pr.shown) fprintf(stderr, "\r%*s\r", 78, "");
                rc = cli_sweep_report(&a.s, name, out, a.quiet);
            }
        }
        free(out);
    }
    free(name);
    sweep_args_free(&a);
    return rc;
}
