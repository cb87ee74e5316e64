/*
 * check.c - `faultline check FILE...`: loads each scenario, with the files
 * it includes, the overlays and the overrides, builds its proxies as a run
 * would, and prints what faultline understood (sim/explain.c) without
 * running anything; for CI, where a config change should fail before it
 * ships. Errors are the run's (file:line:col, exit 2); --strict makes
 * every warning an error too.
 *
 * Nothing is written to disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"
#include "sim/explain.h"
#include "sim/scenario.h"

static const char usage[] =
    "usage: faultline check FILE... [--strict] [--lenient] [-f OVERLAY]... [--set KEY=VALUE]...\n"
    "                       [--quiet]\n"
    "\n"
    "Checks each scenario FILE and everything it includes (Kong and Istio files),\n"
    "after the overlays and overrides, and builds its gateway and sidecars as a run\n"
    "would, without running it. Prints what faultline understood: services and\n"
    "workloads; per proxy and route, the match, the clusters, the retry policy and\n"
    "the timeouts in force after every default; per cluster, load balancing,\n"
    "endpoints, circuit-breaker limits and outlier detection; and the warnings.\n"
    "\n"
    "  --strict         warnings are errors\n"
    "  --lenient        what faultline does not model is a warning, not an error (as run)\n"
    "  -f OVERLAY       merge a YAML overlay onto each scenario (as for run)\n"
    "  --set KEY=VALUE  change a value of each scenario (as for run)\n"
    "  --quiet          print nothing but errors and warnings\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 every file is valid, 2 one is not (or a warning with --strict),\n"
    "or bad usage.\n";

struct check_opts {
    const char **files;
    size_t n_files;
    struct cli_scenario_opts sc;
    int strict, quiet, lenient;
};

static int parse_args(int argc, char **argv, struct check_opts *o)
{
    FL_ASSERT(argc >= 1 && argv && o && !o->files && !o->n_files);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            cli_scenario_opts_free(&o->sc);
            free(o->files);
            exit(CLI_OK);
        }
        int taken = cli_scenario_opt("check", &o->sc, argc, argv, &i);
        if (taken == CLI_BAD_INPUT) return CLI_BAD_INPUT;
        if (taken) continue;
        if (!strcmp(a, "--lenient")) {
            o->lenient = 1;
        } else if (!strcmp(a, "--strict")) {
            o->strict = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("check", "unknown option '%s'", a);
        } else {
            o->files = fl_realloc(o->files, (o->n_files + 1) * sizeof *o->files);
            o->files[o->n_files++] = a;
        }
        FL_ASSERT(i < argc);
    }
    if (!o->n_files) return cli_usage_error("check", "%s", "which scenario? give a FILE");
    return 0;
}

/* Checks one file; returns 0 when it is valid (and, with --strict, has no warning). */
static int check_one(const struct check_opts *o, const char *file)
{
    FL_ASSERT(o && file);
    struct sim_load_opts lo = {o->sc.overlays, o->sc.n_overlays, o->sc.sets, o->sc.n_sets,
                               NULL,           o->lenient};
    struct sim_scenario sc;
    char *err = NULL;
    if (sim_scenario_load_opts(file, &lo, &sc, &err)) {
        fprintf(stderr, "%s\n", err);
        free(err);
        return -1;
    }
    /* the text is shown only when the whole scenario builds */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc = mem ? sim_explain(&sc, mem, &err) : -1;
    if (mem) fclose(mem);
    if (rc) {
        fprintf(stderr, "%s: %s\n", file, err ? err : "out of memory");
        free(err);
    } else if (!o->quiet) {
        fputs(text, stdout);
    }
    free(text);
    for (size_t i = 0; !rc && i < sc.istio.n_warnings; i++)
        fprintf(stderr, "%s: %s: %s\n", file, o->strict ? "error (--strict)" : "warning",
                sc.istio.warnings[i]);
    FL_ASSERT(!sc.istio.n_warnings || sc.istio.warnings);
    if (!rc && o->strict && sc.istio.n_warnings) rc = -1;
    if (!rc && !o->quiet) printf("%s: ok%s\n", file, sc.istio.n_warnings ? " (with warnings)" : "");
    sim_scenario_free(&sc);
    return rc;
}

int cli_check(int argc, char **argv)
{
    struct check_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    int bad = 0;
    for (size_t i = 0; !rc && i < o.n_files; i++) {
        if (i && !o.quiet) putchar('\n');
        if (check_one(&o, o.files[i])) bad = 1;
    }
    FL_ASSERT(rc || o.n_files >= 1);

    cli_scenario_opts_free(&o.sc);
    free(o.files);
    if (rc) return rc;
    return bad ? CLI_BAD_INPUT : CLI_OK;
}
