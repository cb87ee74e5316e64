/*
 * sweep_args.h - a sweep's command line, read into an exp_sweep: shared
 * by `faultline sweep` and `faultline merge` (which reads the command line
 * a plan recorded, so a merged sweep is the sweep that was planned).
 */
#ifndef FL_CLI_SWEEP_ARGS_H
#define FL_CLI_SWEEP_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "exp/sweep.h"

struct sweep_args {
    struct exp_sweep s;          /* spec filled; s.v.file points into argv */
    struct cli_scenario_opts sc; /* -f and --set */
    char *seeds_arg;             /* as given, for the plan */
    int has_seed;
    uint64_t seed;
    int workers;
    const char *out;
    const char *plan; /* --plan DIR */
    long job;         /* --job K, or -1 */
    int quiet;
    /* the arguments that define the sweep (for a plan): everything but --plan, --job, -j,
     * --quiet; the file and overlays as given */
    char **spec;
    size_t n_spec;
    size_t file_at; /* the scenario file's index in spec */
};

/*
 * Reads argv[1..argc-1] (argv[0] is "sweep"). Returns 0, or CLI_BAD_INPUT
 * after printing a usage error; CLI_OK + 100 when --help was printed.
 */
int sweep_args_parse(int argc, char **argv, struct sweep_args *a);
void sweep_args_free(struct sweep_args *a);

extern const char sweep_usage[];

/* Writes a finished sweep's outputs into out (created) and prints its table unless quiet
 * (cli/sweep.c). Returns CLI_OK or CLI_BAD_INPUT after printing why. */
int cli_sweep_report(const struct exp_sweep *s, const char *name, const char *out, int quiet);

#endif
