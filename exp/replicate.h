/*
 * replicate.h - one replication of an experiment: a scenario variant (its
 * file, overlays and --set values, then the point's own --set values) run
 * with one seed, in this process, its figures kept (exp/result.h).
 *
 * Nothing is written: the run's outputs that cost time and decide nothing
 * here (spans, the slowest traces, the request list) are turned off, which
 * changes no figure (they only observe).
 */
#ifndef FL_EXP_REPLICATE_H
#define FL_EXP_REPLICATE_H

#include <stddef.h>
#include <stdint.h>

#include "exp/result.h"

/* A scenario as a variant of an experiment names it. */
struct exp_variant {
    const char *file;
    const char *const *overlays;
    size_t n_overlays;
    const char *const *sets;
    size_t n_sets;
    int lenient;
};

/*
 * Runs v with the extra sets (applied after v's) and seed. Returns 0 with
 * *out, or -1 with *err set (caller frees): the variant does not load or
 * run (located as `faultline run` locates it).
 */
int exp_replicate(const struct exp_variant *v, const char *const *extra, size_t n_extra,
                  uint64_t seed, struct exp_result *out, char **err);

/* The scenario's own seed (its `seed`, after v's changes). Returns 0, or -1 with *err. */
int exp_variant_seed(const struct exp_variant *v, uint64_t *seed, char **err);
/* The same, and its name (caller frees). */
int exp_variant_info(const struct exp_variant *v, uint64_t *seed, char **name, char **err);

#endif
