/*
 * compare.c - `faultline compare A [-f OVERLAY] [--set K=V] B ...`: scenario
 * variants (and finished runs) run over the same seeds, each compared with
 * the first (exp/compare.h), the table on stdout and, with --out, in
 * compare.txt and compare.json.
 *
 * Every replication of every scenario variant is one job of exp/pool.h, so
 * -j N changes the speed and nothing else: the jobs' results are filed by
 * job, whatever worker ran them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"
#include "exp/compare.h"
#include "exp/pool.h"
#include "exp/replicate.h"
#include "reports/db.h"
#include "reports/file.h"

static const char usage[] =
    "usage: faultline compare A [-f OVERLAY]... [--set KEY=VALUE]... B [-f ...] [--set ...]\n"
    "                         [C ...] [--seeds N] [--seed S] [--no-crn] [-j N] [--out DIR]\n"
    "                         [--lenient] [--quiet]\n"
    "\n"
    "Compares scenario variants over several seeds: runs each variant N times, then\n"
    "prints, per metric (P50, P95, P99 and mean latency, error rate, tries per request)\n"
    "of every request and of each route all variants have, each variant's mean with\n"
    "its 95% confidence interval, its difference from the first variant (the\n"
    "baseline) with the interval of that difference, and whether the difference is\n"
    "significant (the interval excludes 0); then how many replications passed the\n"
    "assertions.\n"
    "\n"
    "Each FILE starts a variant; the -f and --set options after it, up to the next\n"
    "FILE, change that variant only (as for `faultline run`). The same file may come\n"
    "twice with different --set values. A folder holding run.db (`faultline run\n"
    "--out DIR`) is a finished run: one replication, read back, not run again; its\n"
    "differences have no interval.\n"
    "\n"
    "  --seeds N        replications per scenario variant (default 10; at least 2 for\n"
    "                   intervals); replication r runs with seed S + r\n"
    "  --seed S         the first seed S (default: the baseline scenario's `seed`, or\n"
    "                   the first scenario file's when the baseline is a finished run)\n"
    "  --no-crn         give variant v the seeds S + v*N + r instead of sharing them;\n"
    "                   differences then use Welch's interval instead of the paired one\n"
    "  -j N             worker processes (default: the online cores); the output is the\n"
    "                   same, byte for byte, whatever N\n"
    "  --out DIR        also write DIR/compare.txt (the table) and DIR/compare.json\n"
    "                   (every figure: means, standard deviations, half-widths, counts,\n"
    "                   differences, methods, verdicts)\n"
    "  --lenient        leave out, with a warning, the Istio kinds and fields faultline\n"
    "                   does not model (by default they are refused)\n"
    "  --quiet          print nothing but errors (no table, no progress)\n"
    "  -h, --help       show this help\n"
    "\n"
    "By default every variant runs on the same seeds (common random numbers): the\n"
    "same arrivals and service draws where the variants share entities, so the\n"
    "differences are paired seed by seed and their intervals narrow. Progress goes to\n"
    "stderr when it is a terminal.\n"
    "\n"
    "Exit status: 0 compared (whatever the assertions), 2 bad input or usage (fewer\n"
    "than two variants, a variant that does not load or run, no run.db in a folder).\n";

#define MAX_VARIANTS 26

struct variant {
    const char *path;
    struct cli_scenario_opts sc;
    int finished;
    char label[4];
    const char **words;
    size_t n_words;
    uint64_t *seeds;
    size_t n;
    struct exp_result *res;
};

struct compare_opts {
    struct variant v[MAX_VARIANTS];
    size_t n_variants;
    size_t seeds;
    uint64_t seed;
    int has_seed, no_crn, workers, lenient, quiet;
    const char *out;
};

static int parse_count(const char *opt, const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max) {
        char *msg =
            fl_asprintf("%s needs a whole number from %ld to %ld, not '%%s'", opt, min, max);
        int rc = cli_usage_error("compare", msg, v);
        free(msg);
        return rc;
    }
    *out = n;
    return 0;
}

/* An option with a value (argv[*i] is it); returns 0 or CLI_BAD_INPUT. */
static int option_value(struct compare_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (*i + 1 >= argc) return cli_usage_error("compare", "%s needs a value", a);
    const char *v = argv[++*i];
    long n;
    if (!strcmp(a, "--seeds")) {
        if (parse_count(a, v, 1, 100000, &n)) return CLI_BAD_INPUT;
        o->seeds = (size_t)n;
    } else if (!strcmp(a, "-j")) {
        if (parse_count(a, v, 1, 64, &n)) return CLI_BAD_INPUT;
        o->workers = (int)n;
    } else if (!strcmp(a, "--seed")) {
        if (cli_parse_seed("compare", v, &o->seed)) return CLI_BAD_INPUT;
        o->has_seed = 1;
    } else {
        FL_ASSERT(!strcmp(a, "--out"));
        o->out = v;
    }
    return 0;
}

static int is_run_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int add_variant(struct compare_opts *o, const char *path)
{
    FL_ASSERT(o && path && o->n_variants <= MAX_VARIANTS);
    if (o->n_variants == MAX_VARIANTS)
        return cli_usage_error("compare", "at most 26 variants ('%s' is one more)", path);
    struct variant *v = &o->v[o->n_variants];
    v->path = path;
    v->finished = is_run_dir(path);
    snprintf(v->label, sizeof v->label, "%c", (char)('A' + o->n_variants));
    o->n_variants++;
    return 0;
}

static int parse_args(int argc, char **argv, struct compare_opts *o)
{
    FL_ASSERT(argc >= 1 && argv && o && o->n_variants == 0);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(CLI_OK);
        }
        if (!strcmp(a, "--set") || !strcmp(a, "-f")) {
            if (!o->n_variants)
                return cli_usage_error("compare", "%s belongs to a variant: give its FILE first",
                                       a);
            struct variant *v = &o->v[o->n_variants - 1];
            if (v->finished)
                return cli_usage_error("compare",
                                       "-f and --set change scenario files, not the finished run "
                                       "'%s'",
                                       v->path);
            if (cli_scenario_opt("compare", &v->sc, argc, argv, &i) != 1) return CLI_BAD_INPUT;
        } else if (!strcmp(a, "--seeds") || !strcmp(a, "--seed") || !strcmp(a, "-j") ||
                   !strcmp(a, "--out")) {
            if (option_value(o, argc, argv, &i)) return CLI_BAD_INPUT;
        } else if (!strcmp(a, "--no-crn")) {
            o->no_crn = 1;
        } else if (!strcmp(a, "--lenient")) {
            o->lenient = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("compare", "unknown option '%s'", a);
        } else if (add_variant(o, a)) {
            return CLI_BAD_INPUT;
        }
    }
    if (o->n_variants < 2)
        return cli_usage_error("compare", "%s",
                               "give at least two variants: a baseline FILE and another");
    return 0;
}

/* The words that name v: FILE, its overlays, its --set values (the order they apply in). */
static void make_words(struct variant *v)
{
    size_t n = 1 + 2 * (v->sc.n_overlays + v->sc.n_sets), k = 0;
    v->words = fl_calloc(n, sizeof *v->words);
    v->words[k++] = v->path;
    for (size_t i = 0; i < v->sc.n_overlays; i++) {
        v->words[k++] = "-f";
        v->words[k++] = v->sc.overlays[i];
    }
    for (size_t i = 0; i < v->sc.n_sets; i++) {
        v->words[k++] = "--set";
        v->words[k++] = v->sc.sets[i];
    }
    FL_ASSERT(k == n);
    v->n_words = n;
}

static struct exp_variant exp_variant_of(const struct compare_opts *o, const struct variant *v)
{
    struct exp_variant e = {v->path,    v->sc.overlays, v->sc.n_overlays,
                            v->sc.sets, v->sc.n_sets,   o->lenient};
    return e;
}

/* A finished run's one replication. Prints why not and returns CLI_BAD_INPUT if it cannot. */
static int read_finished(struct variant *v)
{
    FL_ASSERT(v && v->finished && !v->res);
    char *path = fl_asprintf("%s/run.db", v->path), *err = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr,
                "faultline compare: %s: a folder without run.db (`faultline run --out DIR` "
                "writes it)\n",
                v->path);
        free(path);
        return CLI_BAD_INPUT;
    }
    struct rpt_run run;
    int rc = rpt_db_read(path, &run, NULL, &err);
    free(path);
    if (rc) {
        fprintf(stderr, "faultline compare: %s\n", err);
        free(err);
        return CLI_BAD_INPUT;
    }
    rpt_checks_eval(&run);
    v->n = 1;
    v->seeds = fl_calloc(1, sizeof *v->seeds);
    v->seeds[0] = run.seed;
    v->res = fl_calloc(1, sizeof *v->res);
    exp_result_of_run(&run, &v->res[0]);
    rpt_run_free(&run);
    return 0;
}

/*
 * Loads every variant (a scenario that does not load stops everything
 * before any run), reads the finished runs, and gives each scenario
 * variant its seeds.
 */
static int prepare(struct compare_opts *o)
{
    FL_ASSERT(o && o->n_variants >= 2 && o->seeds >= 1);
    uint64_t first = 0;
    int have_first = o->has_seed;
    if (o->has_seed) first = o->seed;
    for (size_t i = 0; i < o->n_variants; i++) {
        struct variant *v = &o->v[i];
        make_words(v);
        if (v->finished) {
            if (read_finished(v)) return CLI_BAD_INPUT;
            continue;
        }
        struct exp_variant e = exp_variant_of(o, v);
        uint64_t own;
        char *err = NULL;
        if (exp_variant_seed(&e, &own, &err)) {
            fprintf(stderr, "%s\n", err);
            free(err);
            return CLI_BAD_INPUT;
        }
        if (!have_first) {
            first = own;
            have_first = 1;
        }
    }
    size_t file_index = 0;
    for (size_t i = 0; i < o->n_variants; i++) {
        struct variant *v = &o->v[i];
        if (v->finished) continue;
        v->n = o->seeds;
        v->seeds = fl_calloc(v->n, sizeof *v->seeds);
        v->res = fl_calloc(v->n, sizeof *v->res);
        uint64_t base = o->no_crn ? first + (uint64_t)file_index * o->seeds : first;
        for (size_t r = 0; r < v->n; r++) v->seeds[r] = base + r;
        file_index++;
    }
    return 0;
}

/* ---- the runs ---- */

struct job_map {
    const struct compare_opts *o;
    size_t *variant, *rep; /* per job */
};

static int run_job(size_t job, void *arg, char **line, char **err)
{
    const struct job_map *map = arg;
    const struct variant *v = &map->o->v[map->variant[job]];
    size_t r = map->rep[job];
    FL_ASSERT(!v->finished && r < v->n);
    struct exp_variant e = exp_variant_of(map->o, v);
    struct exp_result res;
    if (exp_replicate(&e, NULL, 0, v->seeds[r], &res, err)) return -1;
    size_t size = 0;
    FILE *f = open_memstream(line, &size);
    FL_ASSERT(f);
    exp_result_write(&res, f);
    fclose(f);
    exp_result_free(&res);
    if (size && (*line)[size - 1] == '\n') (*line)[size - 1] = '\0';
    return 0;
}

struct progress {
    double start;
    int shown;
};

static void show_progress(size_t done, size_t total, void *arg)
{
    struct progress *p = arg;
    FL_ASSERT(p);
    FL_ASSERT(done <= total && total > 0);
    double wall = cli_wall_s() - p->start;
    double left = done ? wall * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\r  runs %zu / %zu  %5.1f%%  %.0fs elapsed, about %.0fs left   ", done, total,
            100.0 * (double)done / (double)total, wall, left);
    p->shown = 1;
}

static int run_all(struct compare_opts *o)
{
    size_t total = 0;
    for (size_t i = 0; i < o->n_variants; i++) total += o->v[i].finished ? 0 : o->v[i].n;
    if (!total) return 0;
    struct job_map map = {o, fl_calloc(total, sizeof(size_t)), fl_calloc(total, sizeof(size_t))};
    size_t *jobs = fl_calloc(total, sizeof *jobs), k = 0;
    /* replication-major: the first results of every variant come first */
    for (size_t r = 0; r < o->seeds; r++)
        for (size_t i = 0; i < o->n_variants; i++)
            if (!o->v[i].finished) {
                map.variant[k] = i;
                map.rep[k] = r;
                jobs[k] = k;
                k++;
            }
    FL_ASSERT(k == total);
    char **lines = fl_calloc(total, sizeof *lines), *err = NULL;
    struct progress p = {cli_wall_s(), 0};
    int tty = !o->quiet && isatty(STDERR_FILENO);
    int rc = exp_pool_run(jobs, total, o->workers, run_job, &map, lines, tty ? show_progress : NULL,
                          &p, &err);
    if (p.shown) fprintf(stderr, "\r%*s\r", 79, "");
    if (rc) {
        fprintf(stderr, "faultline compare: %s\n", err);
        free(err);
    }
    for (size_t j = 0; j < total; j++) {
        struct variant *v = &o->v[map.variant[j]];
        if (!rc && exp_result_read(lines[j], &v->res[map.rep[j]])) {
            fprintf(stderr, "faultline compare: a malformed result from a worker\n");
            rc = -1;
        }
        free(lines[j]);
    }
    free(lines);
    free(jobs);
    free(map.variant);
    free(map.rep);
    return rc ? CLI_BAD_INPUT : 0;
}

/* ---- output ---- */

static void write_txt(const void *arg, FILE *f)
{
    exp_cmp_write_text(arg, f);
}

static void write_json(const void *arg, FILE *f)
{
    exp_cmp_write_json(arg, f);
}

static int compare(struct compare_opts *o)
{
    FL_ASSERT(o && o->n_variants >= 2 && o->n_variants <= MAX_VARIANTS);
    struct exp_cmp_variant cv[MAX_VARIANTS];
    for (size_t i = 0; i < o->n_variants; i++) {
        const struct variant *v = &o->v[i];
        cv[i] = (struct exp_cmp_variant){v->label, v->words, v->n_words, v->finished,
                                         v->n,     v->seeds, v->res};
    }
    struct exp_cmp c;
    exp_cmp_compute(cv, o->n_variants, !o->no_crn, &c);
    if (!o->quiet) {
        exp_cmp_write_text(&c, stdout);
        fflush(stdout);
    }
    int rc = 0;
    char *err = NULL;
    if (o->out) {
        if (cli_mkdirs(o->out)) {
            err = fl_asprintf("cannot create %s: %s", o->out, strerror(errno));
            rc = -1;
        }
        if (!rc) rc = rpt_file_write(o->out, "compare.txt", write_txt, &c, &err);
        if (!rc) rc = rpt_file_write(o->out, "compare.json", write_json, &c, &err);
        if (rc) {
            fprintf(stderr, "faultline compare: %s\n", err);
            free(err);
        } else if (!o->quiet) {
            printf("\nwrote %s/compare.txt and %s/compare.json\n", o->out, o->out);
        }
    }
    exp_cmp_free(&c);
    return rc ? CLI_BAD_INPUT : CLI_OK;
}

static void free_opts(struct compare_opts *o)
{
    FL_ASSERT(o && o->n_variants <= MAX_VARIANTS);
    for (size_t i = 0; i < o->n_variants; i++) {
        struct variant *v = &o->v[i];
        for (size_t r = 0; v->res && r < v->n; r++) exp_result_free(&v->res[r]);
        free(v->res);
        free(v->seeds);
        free(v->words);
        cli_scenario_opts_free(&v->sc);
    }
}

int cli_compare(int argc, char **argv)
{
    struct compare_opts *o = fl_calloc(1, sizeof *o);
    o->seeds = 10;
    o->workers = exp_pool_default_workers();
    int rc = parse_args(argc, argv, o);
    char *err = NULL;
    if (!rc && o->out && cli_outdir_check(o->out, &err)) {
        fprintf(stderr, "faultline compare: %s\n", err);
        free(err);
        rc = CLI_BAD_INPUT;
    }
    if (!rc) rc = prepare(o);
    if (!rc) rc = run_all(o);
    if (!rc) rc = compare(o);
    free_opts(o);
    free(o);
    return rc;
}
