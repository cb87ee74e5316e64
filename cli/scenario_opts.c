/*
 * scenario_opts.c - the options that change a scenario from the command
 * line, shared by `run` and `check`: `-f OVERLAY` and `--set KEY=VALUE`,
 * both repeatable and kept in order (the loader applies every overlay,
 * then every override: sim_load_opts).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"

int cli_scenario_opt(const char *cmd, struct cli_scenario_opts *o, int argc, char **argv, int *i)
{
    FL_ASSERT(o && argv && i && *i < argc);
    const char *a = argv[*i];
    int is_set = !strcmp(a, "--set"), is_file = !strcmp(a, "-f");
    if (!is_set && !is_file) return 0;
    if (*i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", a);
    const char *v = argv[++*i];
    if (is_set) {
        o->sets = fl_realloc(o->sets, (o->n_sets + 1) * sizeof *o->sets);
        o->sets[o->n_sets++] = v;
    } else {
        o->overlays = fl_realloc(o->overlays, (o->n_overlays + 1) * sizeof *o->overlays);
        o->overlays[o->n_overlays++] = v;
    }
    FL_ASSERT(*i < argc && (o->n_sets || o->n_overlays));
    return 1;
}

void cli_scenario_opts_free(struct cli_scenario_opts *o)
{
    FL_ASSERT(o && (o->sets || !o->n_sets) && (o->overlays || !o->n_overlays));
    free(o->sets);

    free(o->overlays);
    memset(o, 0, sizeof *o);
}
