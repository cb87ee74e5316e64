/*
 * merge.c - `faultline merge DIR...`: the results of a planned sweep's
 * jobs (faultline sweep --plan DIR, then GNU parallel, Slurm or
 * Kubernetes) gathered into the outputs a local sweep writes, the same
 * bytes. Several folders may hold parts of one plan (each machine's copy);
 * they must be copies of one plan, and every job's result must come from
 * the same scenario files (the digest in its result).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"
#include "cli/sweep_args.h"
#include "exp/plan.h"
#include "exp/sweep_out.h"

static const char usage[] =
    "usage: faultline merge DIR... [--out OUT] [--quiet]\n"
    "\n"
    "Gathers the finished jobs of a planned sweep (faultline sweep --plan DIR) from\n"
    "DIR/results (several DIRs: copies of one plan, each holding some results) and\n"
    "writes what `faultline sweep` writes: sweep.txt, sweep.json, sweep.csv and the\n"
    "plots, byte for byte as the same sweep run on one machine.\n"
    "\n"
    "Refused: folders of different plans, and a result made from other scenario\n"
    "files than the plan's (their SHA-256 differs). Missing jobs are listed (point,\n"
    "its values and the seed) and nothing is written.\n"
    "\n"
    "  --out OUT   where to write (default: the plan's --out, else\n"
    "              reports/sweep/NAME)\n"
    "  --quiet     print nothing but errors\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 merged, 2 bad input, a mixed plan or missing jobs.\n";

struct merge_opts {
    const char **dirs;
    size_t n_dirs;
    const char *out;
    int quiet;
};

static int parse(int argc, char **argv, struct merge_opts *o)
{
    FL_ASSERT(argc >= 1 && argv && o && !o->n_dirs);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return CLI_OK + 100;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc) return cli_usage_error("merge", "%s needs a value", a);
            o->out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("merge", "unknown option '%s'", a);
        } else {
            o->dirs = fl_realloc(o->dirs, (o->n_dirs + 1) * sizeof *o->dirs);
            o->dirs[o->n_dirs++] = a;
        }
    }
    if (!o->n_dirs) return cli_usage_error("merge", "%s", "a plan folder DIR is needed");
    return 0;
}

/* The same plan in every folder (digest and arguments). */
static int same_plan(const struct exp_plan *a, const struct exp_plan *b)
{
    FL_ASSERT(a && b && a->n_args && b->n_args);
    if (strcmp(a->digest, b->digest) || a->jobs != b->jobs || a->n_args != b->n_args) return 0;
    for (size_t i = 0; i < a->n_args; i++)
        if (strcmp(a->args[i], b->args[i])) return 0;
    return 1;
}

/* Every job's line from the folders; the missing ones listed. Returns 0 or CLI_BAD_INPUT. */
static int gather(const struct merge_opts *o, const struct exp_plan *plan,
                  const struct sweep_args *a, char **lines)
{
    FL_ASSERT(o && plan && a && lines && a->s.seeds >= 1);
    FL_ASSERT(plan->jobs == a->s.n_points * a->s.seeds);
    size_t missing = 0;
    int rc = 0;
    for (size_t k = 0; k < plan->jobs && !rc; k++) {
        for (size_t d = 0; d < o->n_dirs && !lines[k] && !rc; d++) {
            char digest[65], *err = NULL;
            int got = exp_plan_job_read(o->dirs[d], k, digest, &lines[k], &err);
            if (got < 0) {
                fprintf(stderr, "faultline merge: %s\n", err);
                free(err);
                rc = CLI_BAD_INPUT;
            } else if (got == 0 && strcmp(digest, plan->digest)) {
                fprintf(stderr,
                        "faultline merge: %s/results/job-%zu.txt was run on other scenario "
                        "files (digest %.12s..., the plan's %.12s...): refused\n",
                        o->dirs[d], k, digest, plan->digest);
                rc = CLI_BAD_INPUT;
            }
        }
        if (!rc && !lines[k]) {
            size_t p = k / a->s.seeds, r = k % a->s.seeds;
            FL_ASSERT(p < a->s.n_points);
            if (missing++ < 20) {
                fprintf(stderr, "faultline merge: missing job %zu: point %zu (", k, p + 1);
                for (size_t v = 0; v < a->s.n_vary; v++)
                    fprintf(stderr, "%s%s=%s", v ? " " : "", a->s.vary[v].key,
                            exp_grid_value(a->s.vary, a->s.n_vary, p, v));
                fprintf(stderr, "), seed %llu\n", (unsigned long long)(a->s.seed0 + r));
            }
        }
    }
    if (!rc && missing) {
        fprintf(stderr, "faultline merge: %zu of %zu jobs missing: nothing written\n", missing,
                plan->jobs);
        rc = CLI_BAD_INPUT;
    }
    return rc;
}

int cli_merge(int argc, char **argv)
{
    struct merge_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc) {
        free(o.dirs);
        return rc == CLI_OK + 100 ? CLI_OK : rc;
    }
    struct exp_plan plan, other;
    char *err = NULL;
    if (exp_plan_read(o.dirs[0], &plan, &err)) {
        fprintf(stderr, "faultline merge: %s\n", err);
        free(err);
        free(o.dirs);
        return CLI_BAD_INPUT;
    }
    for (size_t d = 1; d < o.n_dirs && !rc; d++) {
        if (exp_plan_read(o.dirs[d], &other, &err)) {
            fprintf(stderr, "faultline merge: %s\n", err);
            free(err);
            rc = CLI_BAD_INPUT;
        } else {
            if (!same_plan(&plan, &other)) {
                fprintf(stderr,
                        "faultline merge: %s and %s hold different plans (scenario "
                        "files or sweep arguments differ): refused\n",
                        o.dirs[0], o.dirs[d]);
                rc = CLI_BAD_INPUT;
            }
            exp_plan_free(&other);
        }
    }
    /* the plan's own command line, read as `faultline sweep` reads it */
    FL_ASSERT(plan.jobs >= 1 && plan.n_args >= 1 && strlen(plan.digest) == 64);
    char **argv2 = fl_calloc(plan.n_args + 2, sizeof *argv2);
    argv2[0] = "sweep";
    for (size_t i = 0; i < plan.n_args; i++) argv2[i + 1] = plan.args[i];
    struct sweep_args a;
    if (!rc && sweep_args_parse((int)plan.n_args + 1, argv2, &a)) {
        fprintf(stderr, "faultline merge: %s/plan.txt: its sweep arguments do not read\n",
                o.dirs[0]);
        rc = CLI_BAD_INPUT;
        sweep_args_free(&a);
    } else if (!rc && a.s.n_points * a.s.seeds != plan.jobs) {
        fprintf(stderr, "faultline merge: %s/plan.txt: %zu jobs for %zu points x %zu seeds\n",
                o.dirs[0], plan.jobs, a.s.n_points, a.s.seeds);
        rc = CLI_BAD_INPUT;
        sweep_args_free(&a);
    }
    if (!rc) {
        char *name = NULL;
        uint64_t seed = 0;
        char **lines = fl_calloc(plan.jobs, sizeof *lines);
        /* the scenario's name and seed, from its files as they are here */
        if (exp_variant_info(&a.s.v, &seed, &name, &err)) {
            fprintf(stderr, "%s\n", err);
            free(err);
            rc = CLI_BAD_INPUT;
        } else {
            a.s.seed0 = a.has_seed ? a.seed : seed;
            rc = gather(&o, &plan, &a, lines);
        }
        if (!rc && exp_sweep_fill(&a.s, lines, &err)) {
            fprintf(stderr, "faultline merge: %s\n", err);
            free(err);
            rc = CLI_BAD_INPUT;
        }
        if (!rc) {
            char *out = o.out   ? fl_strdup(o.out)
                        : a.out ? fl_strdup(a.out)
                                : fl_asprintf("reports/sweep/%s", name);
            rc = cli_sweep_report(&a.s, name, out, o.quiet);
            free(out);
        }
        for (size_t k = 0; k < plan.jobs; k++) free(lines[k]);
        free(lines);
        free(name);
        sweep_args_free(&a);
    }
    free(argv2);
    exp_plan_free(&plan);
    free(o.dirs);
    return rc;
}
