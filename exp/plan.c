/*
 * plan.c - a sweep as independent jobs, and their results (plan.h).
 *
 * The engines' forms: GNU parallel reads one command per input line when
 * given no command (parallel(1), "INPUT SOURCES"); Slurm's `#SBATCH
 * --array=0-N` runs the script once per index with SLURM_ARRAY_TASK_ID set
 * (sbatch(1), --array); a Kubernetes Job with completionMode: Indexed runs
 * `completions` pods, each with JOB_COMPLETION_INDEX set to its index
 * (kubernetes.io, "Indexed Job for Parallel Processing with Static Work
 * Assignment").
 */
#include "exp/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/sha256.h"
#include "exp/pct.h"
#include "reports/file.h"

#define PLAN_FORMAT "faultline-plan 1"

int exp_plan_digest(const char *file, const char *const *overlays, size_t n, char out[65],
                    char **err)
{
    FL_ASSERT(file && out && err && (overlays || !n));
    struct fl_sha256 ctx;
    fl_sha256_init(&ctx);
    int rc = 0;
    for (size_t i = 0; i <= n && !rc; i++) {
        const char *path = i == 0 ? file : overlays[i - 1];
        FILE *f = fopen(path, "rb");
        if (!f) {
            *err = fl_asprintf("%s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        char buf[8192];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) fl_sha256_update(&ctx, buf, got);
        if (ferror(f)) {
            *err = fl_asprintf("%s: read error", path);
            rc = -1;
        }
        fclose(f);
        /* a separator: moving bytes from one file to the next changes the digest */
        fl_sha256_update(&ctx, "\0", 1);
    }
    if (rc) return -1;
    fl_sha256_final_hex(&ctx, out);
    FL_ASSERT(strlen(out) == 64);
    return 0;
}

struct write_arg {
    const struct exp_plan *p;
    const char *cmd, *name, *dir;
};

static void plan_cb(const void *arg, FILE *f)
{
    const struct exp_plan *p = ((const struct write_arg *)arg)->p;
    FL_ASSERT(p && strlen(p->digest) == 64 && p->jobs >= 1);
    fprintf(f, "%s\ndigest %s\njobs %zu\n", PLAN_FORMAT, p->digest, p->jobs);
    for (size_t i = 0; i < p->n_args; i++) {
        fputs("arg ", f);
        exp_pct_put(f, p->args[i]);
        fputc('\n', f);
    }
}

static void jobs_cb(const void *arg, FILE *f)
{
    const struct write_arg *a = arg;
    FL_ASSERT(a && a->cmd && a->p->jobs >= 1);
    for (size_t k = 0; k < a->p->jobs; k++) fprintf(f, "%s %zu\n", a->cmd, k);
}

static void parallel_cb(const void *arg, FILE *f)
{
    (void)arg;
    fputs("#!/bin/sh\n"
          "# Runs every job of this plan with GNU parallel, one command per line of jobs.txt.\n"
          "# Arguments go to parallel: -j N (slots), --sshloginfile FILE (other machines,\n"
          "# which need faultline and this folder at the same paths). Then:\n"
          "#   faultline merge \"$(dirname \"$0\")\"\n"
          "set -e\n"
          "cd \"$(dirname \"$0\")\"\n"
          "exec parallel --joblog parallel.log --halt now,fail=1 \"$@\" < jobs.txt\n",
          f);
}

static void slurm_cb(const void *arg, FILE *f)
{
    const struct write_arg *a = arg;
    fprintf(f,
            "#!/bin/sh\n"
            "#SBATCH --job-name=faultline-%s\n"
            "#SBATCH --array=0-%zu\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --cpus-per-task=1\n"
            "#SBATCH --output=faultline-%%A_%%a.out\n"
            "# One array task per job of the plan: sbatch slurm.sbatch, then faultline merge.\n"
            "exec %s \"$SLURM_ARRAY_TASK_ID\"\n",
            a->name, a->p->jobs - 1, a->cmd);
}

/* s as a YAML double-quoted scalar. */
static void yaml_quoted(FILE *f, const char *s)
{
    FL_ASSERT(f && s);
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void k8s_cb(const void *arg, FILE *f)
{
    const struct write_arg *a = arg;
    /* a DNS-1123 name: lower case letters, digits and '-' */
    char name[48];
    size_t n = 0;
    for (const char *s = a->name; *s && n < sizeof name - 1; s++) {
        char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
        name[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
    }
    name[n] = '\0';
    char *cmd = fl_asprintf("exec %s \"$JOB_COMPLETION_INDEX\"", a->cmd);
    fprintf(f,
            "# One pod per job of the plan (an Indexed Job): kubectl apply -f k8s-job.yaml,\n"
            "# then faultline merge. The image must hold faultline and the scenario files,\n"
            "# and the plan folder must be mounted at the same path (here a volume claim).\n"
            "apiVersion: batch/v1\n"
            "kind: Job\n"
            "metadata:\n"
            "  name: faultline-sweep-%s\n"
            "spec:\n"
            "  completionMode: Indexed\n"
            "  completions: %zu\n"
            "  parallelism: %zu\n"
            "  backoffLimitPerIndex: 1\n"
            "  template:\n"
            "    spec:\n"
            "      restartPolicy: Never\n"
            "      containers:\n"
            "        - name: faultline\n"
            "          image: faultline:latest\n"
            "          command: [\"/bin/sh\", \"-c\", ",
            name, a->p->jobs, a->p->jobs < 16 ? a->p->jobs : 16);
    yaml_quoted(f, cmd);
    fputs("]\n"
          "          resources: {requests: {cpu: \"1\"}}\n"
          "          volumeMounts: [{name: plan, mountPath: ",
          f);
    yaml_quoted(f, a->dir);
    fprintf(f, "}]\n"
               "      volumes:\n"
               "        - name: plan\n"
               "          persistentVolumeClaim: {claimName: faultline-plan}\n");
    free(cmd);
}

int exp_plan_write(const char *dir, const struct exp_plan *p, const char *cmd, const char *name,
                   char **err)
{
    FL_ASSERT(dir && p && cmd && name && err && p->jobs >= 1);
    struct write_arg a = {p, cmd, name, dir};
    char *results = fl_asprintf("%s/results", dir);
    int rc = 0;
    if (mkdir(results, 0777) && errno != EEXIST) {
        *err = fl_asprintf("cannot create %s: %s", results, strerror(errno));
        rc = -1;
    }
    free(results);
    if (rc || rpt_file_write(dir, "jobs.txt", jobs_cb, &a, err) ||
        rpt_file_write(dir, "parallel.sh", parallel_cb, &a, err) ||
        rpt_file_write(dir, "slurm.sbatch", slurm_cb, &a, err) ||
        rpt_file_write(dir, "k8s-job.yaml", k8s_cb, &a, err) ||
        rpt_file_write(dir, "plan.txt", plan_cb, &a, err))
        return -1;
    char *sh = fl_asprintf("%s/parallel.sh", dir);
    chmod(sh, 0755);
    free(sh);
    return 0;
}

int exp_plan_read(const char *dir, struct exp_plan *p, char **err)
{
    FL_ASSERT(dir && p && err);
    memset(p, 0, sizeof *p);
    char *path = fl_asprintf("%s/plan.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = fl_asprintf("%s: %s (not a plan folder: faultline sweep --plan DIR makes one)", path,
                           strerror(errno));
        free(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, rc = 0;
    while (!rc && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[--len] = '\0';
        n++;
        unsigned long long jobs;
        char extra;
        if (n == 1) {
            rc = strcmp(line, PLAN_FORMAT) ? -1 : 0;
        } else if (!strncmp(line, "digest ", 7) && len == 7 + 64) {
            memcpy(p->digest, line + 7, 65);
        } else if (sscanf(line, "jobs %llu%c", &jobs, &extra) == 1 && jobs >= 1) {
            p->jobs = (size_t)jobs;
        } else if (!strncmp(line, "arg ", 4)) {
            char *arg = exp_pct_decode(line + 4);
            if (arg) {
                p->args = fl_realloc(p->args, (p->n_args + 1) * sizeof *p->args);
                p->args[p->n_args++] = arg;
            } else {
                rc = -1;
            }
        } else {
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    if (rc || !p->jobs || !p->digest[0] || !p->n_args) {
        *err = fl_asprintf("%s: line %d: not a plan this faultline reads", path, n);
        exp_plan_free(p);
        rc = -1;
    }
    free(path);
    return rc;
}

void exp_plan_free(struct exp_plan *p)
{
    FL_ASSERT(p);
    for (size_t i = 0; i < p->n_args; i++) free(p->args[i]);
    free(p->args);
    memset(p, 0, sizeof *p);
}

struct job_arg {
    const char *digest, *line;
};

static void job_cb(const void *arg, FILE *f)
{
    const struct job_arg *a = arg;
    fprintf(f, "digest %s\n%s\n", a->digest, a->line);
}

int exp_plan_job_write(const char *dir, size_t job, const char *digest, const char *line,
                       char **err)
{
    FL_ASSERT(dir && digest && line && err && strlen(digest) == 64);
    char *results = fl_asprintf("%s/results", dir), name[48];
    snprintf(name, sizeof name, "job-%zu.txt", job);
    struct job_arg a = {digest, line};
    int rc = rpt_file_write(results, name, job_cb, &a, err);
    free(results);
    return rc;
}

int exp_plan_job_read(const char *dir, size_t job, char digest[65], char **line, char **err)
{
    FL_ASSERT(dir && digest && line && err);
    char *path = fl_asprintf("%s/results/job-%zu.txt", dir, job);
    FILE *f = fopen(path, "r");
    if (!f) {
        int missing = errno == ENOENT;
        if (!missing) *err = fl_asprintf("%s: %s", path, strerror(errno));
        free(path);
        return missing ? 1 : -1;
    }
    char *head = NULL, *body = NULL;
    size_t c1 = 0, c2 = 0;
    ssize_t l1 = getline(&head, &c1, f), l2 = getline(&body, &c2, f);
    int rc = 0;
    if (l1 != 7 + 64 + 1 || strncmp(head, "digest ", 7) || l2 < 2 || body[l2 - 1] != '\n' ||
        fgetc(f) != EOF) {
        *err = fl_asprintf("%s: not a job result (a job still running, or a damaged file)", path);
        rc = -1;
        free(body);
    } else {
        memcpy(digest, head + 7, 64);
        digest[64] = '\0';
        body[l2 - 1] = '\0';
        *line = body;
    }
    free(head);
    fclose(f);
    free(path);
    return rc;
}
