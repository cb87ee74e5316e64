/*
 * grid.h - the points of a sweep: each `--vary KEY=VALUES` gives a key and
 * its values; the points are every combination, the first key varying
 * slowest (as nested loops in the order given).
 *
 * VALUES is a list, V1,V2,... (any scenario values, e.g. 100ms,250ms or
 * 0,1,2), or a range FROM..TO/STEP of numbers sharing one unit suffix
 * (0..5/1, 100ms..400ms/100ms, 50%..90%/10%): FROM, FROM+STEP, ... up to TO
 * included (within a millionth of STEP), each printed with %g and the
 * suffix.
 */
#ifndef FL_EXP_GRID_H
#define FL_EXP_GRID_H

#include <stddef.h>

struct exp_vary {
    char *key;
    char **values;
    size_t n;
};

/* At most this many values per key, and points in all. */
#define EXP_GRID_MAX 100000

/* Parses "KEY=VALUES". Returns 0, or -1 with *err (a sentence, caller frees). */
int exp_vary_parse(const char *arg, struct exp_vary *out, char **err);
void exp_vary_free(struct exp_vary *v);

/* The number of points of vary[0..n-1] (1 for none), or 0 when above EXP_GRID_MAX. */
size_t exp_grid_points(const struct exp_vary *vary, size_t n);

/* Point p's value of key k. */
const char *exp_grid_value(const struct exp_vary *vary, size_t n, size_t p, size_t k);

/* Point p's changes as "KEY=VALUE" strings (n of them, caller frees each and the array). */
char **exp_grid_sets(const struct exp_vary *vary, size_t n, size_t p);

#endif
