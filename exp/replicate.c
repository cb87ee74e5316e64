/*
 * replicate.c - one run of a scenario variant with one seed (replicate.h).
 */
#include "exp/replicate.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/results.h"
#include "sim/run.h"
#include "sim/scenario.h"

/* What replications turn off: outputs that only observe. */
static const char *const quiet_sets[] = {"report.spans=false", "report.slowest=0",
                                         "report.requests=none"};
#define N_QUIET (sizeof quiet_sets / sizeof *quiet_sets)

static int load(const struct exp_variant *v, const char *const *extra, size_t n_extra,
                const uint64_t *seed, struct sim_scenario *sc, char **err)
{
    FL_ASSERT(v && v->file && (extra || !n_extra));
    size_t n = v->n_sets + n_extra + N_QUIET;
    const char **sets = fl_calloc(n, sizeof *sets);
    size_t k = 0;
    for (size_t i = 0; i < v->n_sets; i++) sets[k++] = v->sets[i];
    for (size_t i = 0; i < n_extra; i++) sets[k++] = extra[i];
    for (size_t i = 0; i < N_QUIET; i++) sets[k++] = quiet_sets[i];
    FL_ASSERT(k == n);
    struct sim_load_opts lo = {v->overlays, v->n_overlays, sets, n, seed, v->lenient};
    int rc = sim_scenario_load_opts(v->file, &lo, sc, err);
    free(sets);
    return rc;
}

int exp_variant_info(const struct exp_variant *v, uint64_t *seed, char **name, char **err)
{
    FL_ASSERT(v && seed && err);
    struct sim_scenario sc;
    if (load(v, NULL, 0, NULL, &sc, err)) return -1;
    *seed = sc.seed;
    if (name) *name = fl_strdup(sc.name);
    sim_scenario_free(&sc);
    return 0;
}

int exp_variant_seed(const struct exp_variant *v, uint64_t *seed, char **err)
{
    return exp_variant_info(v, seed, NULL, err);
}

int exp_replicate(const struct exp_variant *v, const char *const *extra, size_t n_extra,
                  uint64_t seed, struct exp_result *out, char **err)
{
    FL_ASSERT(v && out && err);
    struct sim_scenario sc;
    if (load(v, extra, n_extra, &seed, &sc, err)) return -1;
    FL_ASSERT(sc.seed == seed);
    sc.plots = 0;
    sc.db = 0;
    struct rpt_run run;
    char *why = NULL;
    if (sim_run(&sc, NULL, NULL, &run, &why)) {
        *err = fl_asprintf("%s: %s", v->file, why);
        free(why);
        sim_scenario_free(&sc);
        return -1;
    }
    rpt_checks_eval(&run);
    exp_result_of_run(&run, out);
    rpt_run_free(&run);
    sim_scenario_free(&sc);
    return 0;
}
