/*
 * sweep_args.c - a sweep's command line (sweep_args.h).
 */
#include "cli/sweep_args.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "exp/pool.h"

const char sweep_usage[] =
    "usage: faultline sweep FILE --vary KEY=VALUES [--vary ...] [--seeds N|auto]\n"
    "                       [-f OVERLAY]... [--set KEY=VALUE]... [--seed S] [-j N]\n"
    "                       [--minimize|--maximize [ROUTE:]METRIC] [--subject-to COND]...\n"
    "                       [--precision P] [--max-seeds M] [--metric [ROUTE:]METRIC]...\n"
    "                       [--out DIR] [--plan DIR [--job K]] [--lenient] [--quiet]\n"
    "\n"
    "Runs the scenario FILE at every point of a grid of settings, each point with the\n"
    "same N seeds (common random numbers), and reports per point the mean and 95%\n"
    "confidence interval of P50/P95/P99, mean latency, error rate and retry\n"
    "amplification (every request and each route), how many runs passed the\n"
    "scenario's assertions, and the best point for an objective.\n"
    "\n"
    "  --vary KEY=VALUES   a key as --set names it, and its values: V1,V2,... or a range\n"
    "                      FROM..TO/STEP (0..5/1, 100ms..400ms/100ms); repeatable: the\n"
    "                      points are every combination, the first key varying slowest\n"
    "  --seeds N           replications per point (default 10; seeds S, S+1, ...)\n"
    "  --seeds auto        add replications until the 95% interval of the judged\n"
    "                      metrics is within --precision of their mean (default 5%),\n"
    "                      at most --max-seeds (default 50) per point\n"
    "  --metric M          a metric --seeds auto judges (repeatable; default: the\n"
    "                      objective, else p99)\n"
    "  --minimize M, --maximize M\n"
    "                      the objective: [ROUTE:]p50, p95, p99, mean, error_rate or\n"
    "                      amplification (of every request, or of ROUTE)\n"
    "  --subject-to COND   a constraint on the best point, METRIC<VALUE (also <=, >,\n"
    "                      >=), judged on the mean: 'error_rate<0.1%', 'p99<=250ms'\n"
    "  --seed S            the first seed (default: the scenario's)\n"
    "  -j N                worker processes (default: the number of cores); the results\n"
    "                      are the same, byte for byte, whatever N\n"
    "  -f, --set           change the scenario as for `faultline run`\n"
    "  --out DIR           write sweep.txt, sweep.json, sweep.csv and plots/sweep-*\n"
    "                      (default reports/sweep/NAME)\n"
    "  --plan DIR          write the sweep as independent jobs instead of running it:\n"
    "                      DIR/jobs.txt (one command per job), parallel.sh (GNU\n"
    "                      parallel, local or --sshloginfile), slurm.sbatch (a job\n"
    "                      array), k8s-job.yaml (an Indexed Job); then\n"
    "                      `faultline merge DIR` (needs a fixed --seeds)\n"
    "  --job K             with --plan DIR: run job K of the plan into DIR/results\n"
    "  --lenient           as for `faultline run`\n"
    "  --quiet             print nothing but errors\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 done, 2 bad input or usage (a scenario that does not load at a\n"
    "point is named with its file, line and column).\n";

static int usage_error(const char *fmt, const char *arg)
{
    return cli_usage_error("sweep", fmt, arg);
}

static void keep(struct sweep_args *a, const char *arg)
{
    FL_ASSERT(a && arg);
    a->spec = fl_realloc(a->spec, (a->n_spec + 1) * sizeof *a->spec);
    a->spec[a->n_spec++] = fl_strdup(arg);
}

static int count_arg(const char *opt, const char *v, size_t min, size_t *out)
{
    FL_ASSERT(opt && v && out);
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || *v == '-' || n < min || n > 100000) {
        fprintf(stderr, "faultline sweep: %s must be a whole number from %zu to 100000, not '%s'\n",
                opt, min, v);
        return CLI_BAD_INPUT;
    }
    *out = (size_t)n;
    return 0;
}

static const char *const with_value[] = {
    "--vary",       "--seeds", "--precision", "--max-seeds", "--metric", "--minimize", "--maximize",
    "--subject-to", "--seed",  "-j",          "--out",       "--plan",   "--job",      NULL};
/* The options a plan does not record: how and where this process runs. */
static const char *const local_only[] = {"-j", "--plan", "--job", NULL};

static int in(const char *const *list, const char *a)
{
    FL_ASSERT(list && a);
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], a)) return 1;
    return 0;
}

/* An option that takes a value: reads it into the sweep. */
static int option(struct sweep_args *a, const char *opt, const char *v)
{
    struct exp_sweep *s = &a->s;
    FL_ASSERT(opt && v && in(with_value, opt));
    char *err = NULL;
    int rc = 0;
    if (!strcmp(opt, "--vary")) {
        s->vary = fl_realloc(s->vary, (s->n_vary + 1) * sizeof *s->vary);
        if (exp_vary_parse(v, &s->vary[s->n_vary], &err) == 0)
            s->n_vary++;
        else
            rc = -1;
    } else if (!strcmp(opt, "--seeds")) {
        free(a->seeds_arg);
        a->seeds_arg = fl_strdup(v);
        s->auto_seeds = !strcmp(v, "auto");
        if (!s->auto_seeds) return count_arg("--seeds", v, 1, &s->seeds);
    } else if (!strcmp(opt, "--precision")) {
        if (fl_parse_fraction(v, &s->precision) || !(s->precision > 0) || s->precision >= 1)
            err = fl_asprintf("--precision must be a fraction above 0 and below 1 (5%%, 0.05), "
                              "not '%s'",
                              v);
    } else if (!strcmp(opt, "--max-seeds")) {
        return count_arg("--max-seeds", v, 2, &s->max_seeds);
    } else if (!strcmp(opt, "--metric")) {
        s->prec = fl_realloc(s->prec, (s->n_prec + 1) * sizeof *s->prec);
        if (exp_target_parse(v, &s->prec[s->n_prec], &err) == 0) s->n_prec++;
    } else if (!strcmp(opt, "--minimize") || !strcmp(opt, "--maximize")) {
        if (s->has_objective) return usage_error("%s: one objective only", opt);
        if (exp_target_parse(v, &s->objective, &err) == 0) {
            s->has_objective = 1;
            s->maximize = !strcmp(opt, "--maximize");
        }
    } else if (!strcmp(opt, "--subject-to")) {
        s->cons = fl_realloc(s->cons, (s->n_cons + 1) * sizeof *s->cons);
        if (exp_constraint_parse(v, &s->cons[s->n_cons], &err) == 0) s->n_cons++;
    } else if (!strcmp(opt, "--seed")) {
        a->has_seed = 1;
        return cli_parse_seed("sweep", v, &a->seed);
    } else if (!strcmp(opt, "-j")) {
        size_t n;
        if (count_arg("-j", v, 1, &n)) return CLI_BAD_INPUT;
        a->workers = n > 64 ? 64 : (int)n;
    } else if (!strcmp(opt, "--out")) {
        a->out = v;
    } else if (!strcmp(opt, "--plan")) {
        a->plan = v;
    } else if (!strcmp(opt, "--job")) {
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *end || *v == '-' || n > LONG_MAX)
            return usage_error("--job must be a job number, not '%s'", v);
        a->job = (long)n;
    }
    if (err || rc) {
        fprintf(stderr, "faultline sweep: %s %s\n", opt, err ? err : "is malformed");
        free(err);
        return CLI_BAD_INPUT;
    }
    return 0;
}

int sweep_args_parse(int argc, char **argv, struct sweep_args *a)
{
    FL_ASSERT(argc >= 1 && argv && a);
    memset(a, 0, sizeof *a);
    a->job = -1;
    a->workers = exp_pool_default_workers();
    a->s.seeds = 10;
    a->s.precision = 0.05;
    a->s.max_seeds = 50;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(sweep_usage, stdout);
            return CLI_OK + 100;
        }
        int rc = cli_scenario_opt("sweep", &a->sc, argc, argv, &i);
        if (rc == CLI_BAD_INPUT) return rc;
        if (rc == 1) {
            keep(a, argv[i - 1]);
            keep(a, argv[i]);
            continue;
        }
        if (!strcmp(arg, "--lenient")) {
            a->s.v.lenient = 1;
            keep(a, arg);
        } else if (!strcmp(arg, "--quiet")) {
            a->quiet = 1;
        } else if (in(with_value, arg)) {
            if (i + 1 >= argc) return usage_error("%s needs a value", arg);
            if (!in(local_only, arg)) {
                keep(a, arg);
                keep(a, argv[i + 1]);
            }
            if (option(a, arg, argv[i + 1])) return CLI_BAD_INPUT;
            i++;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (a->s.v.file) {
            return usage_error("one scenario file, not also '%s'", arg);
        } else {
            a->s.v.file = arg;
            a->file_at = a->n_spec;
            keep(a, arg);
        }
    }
    if (!a->s.v.file) return usage_error("%s", "a scenario FILE is needed");
    if (a->s.n_vary == 0) return usage_error("%s", "--vary KEY=VALUES is needed");
    if (a->s.auto_seeds && a->s.max_seeds < 2)
        return usage_error("%s", "--max-seeds must be at least 2");
    if (a->s.auto_seeds) a->s.seeds = a->s.max_seeds < 5 ? a->s.max_seeds : 5;
    if (a->job >= 0 && !a->plan) return usage_error("%s", "--job needs --plan DIR");
    if (a->plan && a->s.auto_seeds)
        return usage_error("%s", "--plan needs a fixed --seeds N (auto decides between rounds)");
    a->s.n_points = exp_grid_points(a->s.vary, a->s.n_vary);
    if (a->s.n_points == 0) return usage_error("more than %s points", "100000");
    a->s.v.overlays = a->sc.overlays;
    a->s.v.n_overlays = a->sc.n_overlays;
    a->s.v.sets = a->sc.sets;
    a->s.v.n_sets = a->sc.n_sets;
    a->s.best = -1;
    FL_ASSERT(a->s.seeds >= 1 && a->s.n_points >= 1);
    return 0;
}

void sweep_args_free(struct sweep_args *a)
{
    FL_ASSERT(a);
    exp_sweep_free(&a->s);
    cli_scenario_opts_free(&a->sc);
    for (size_t i = 0; i < a->n_spec; i++) free(a->spec[i]);
    free(a->spec);
    free(a->seeds_arg);
    memset(a, 0, sizeof *a);
}
