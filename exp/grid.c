/*
 * grid.c - the points of a sweep (grid.h).
 */
#include "exp/grid.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

/* A number then a suffix of letters or %: "100ms" -> 100, "ms". Returns 0 or -1. */
static int num_unit(const char *s, double *v, const char **unit)
{
    char *end;
    if (!*s || isspace((unsigned char)*s)) return -1;
    *v = strtod(s, &end);
    if (end == s || !isfinite(*v)) return -1;
    for (const char *u = end; *u; u++)
        if (!isalpha((unsigned char)*u) && *u != '%' && *u != '/') return -1;
    *unit = end;
    return 0;
}

static void add_value(struct exp_vary *v, char *s)
{
    v->values = fl_realloc(v->values, (v->n + 1) * sizeof *v->values);
    v->values[v->n++] = s;
}

/* FROM..TO/STEP into v's values. Returns 0, or -1 with *err. */
static int range(const char *spec, struct exp_vary *v, char **err)
{
    const char *dots = strstr(spec, ".."), *slash = strrchr(spec, '/');
    FL_ASSERT(dots);
    if (!slash || slash < dots) {
        *err = fl_asprintf("range '%s' needs a step: FROM..TO/STEP", spec);
        return -1;
    }
    char *from_s = fl_strndup(spec, (size_t)(dots - spec));
    char *to_s = fl_strndup(dots + 2, (size_t)(slash - dots - 2));
    double from, to, step;
    const char *uf, *ut, *us;
    int rc = -1;
    if (num_unit(from_s, &from, &uf) || num_unit(to_s, &to, &ut) ||
        num_unit(slash + 1, &step, &us)) {
        *err = fl_asprintf("range '%s': FROM, TO and STEP must be numbers (with one unit)", spec);
    } else if (strcmp(uf, ut) || (*us && strcmp(us, uf))) {
        *err = fl_asprintf("range '%s': FROM, TO and STEP must share one unit", spec);
    } else if (!(step > 0) || to < from) {
        *err = fl_asprintf("range '%s': STEP must be above 0 and TO at least FROM", spec);
    } else if ((to - from) / step + 1 > EXP_GRID_MAX) {
        *err = fl_asprintf("range '%s' has more than %d values", spec, EXP_GRID_MAX);
    } else {
        /* by index, not by adding: no drift; TO included within a millionth of a step */
        size_t count = (size_t)floor((to - from) / step + 1e-6) + 1;
        for (size_t i = 0; i < count; i++) {
            double x = from + (double)i * step;
            if (fabs(x) < step * 1e-9) x = 0; /* 0.1 * 3 - 0.3 is not quite 0 */
            add_value(v, fl_asprintf("%.10g%s", x, uf));
        }
        rc = 0;
    }
    free(from_s);
    free(to_s);
    return rc;
}

int exp_vary_parse(const char *arg, struct exp_vary *out, char **err)
{
    FL_ASSERT(arg && out && err);
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        *err = fl_asprintf("'%s' is not KEY=VALUES (V1,V2,... or FROM..TO/STEP)", arg);
        return -1;
    }
    out->key = fl_strndup(arg, (size_t)(eq - arg));
    const char *vals = eq + 1;
    int rc = 0;
    if (strstr(vals, "..") && !strchr(vals, ',')) {
        rc = range(vals, out, err);
    } else {
        for (const char *p = vals;;) {
            size_t len = strcspn(p, ",");
            if (len == 0) {
                *err = fl_asprintf("'%s': an empty value in the list", arg);
                rc = -1;
                break;
            }
            add_value(out, fl_strndup(p, len));
            if (out->n > EXP_GRID_MAX) {
                *err = fl_asprintf("'%s' has more than %d values", arg, EXP_GRID_MAX);
                rc = -1;
                break;
            }
            if (!p[len]) break;
            p += len + 1;
        }
    }
    if (rc) exp_vary_free(out);
    FL_ASSERT(rc || (out->key && out->n >= 1));
    return rc;
}

void exp_vary_free(struct exp_vary *v)
{
    FL_ASSERT(v && (v->values || !v->n));
    for (size_t i = 0; i < v->n; i++) free(v->values[i]);
    free(v->values);
    free(v->key);
    memset(v, 0, sizeof *v);
}

size_t exp_grid_points(const struct exp_vary *vary, size_t n)
{
    FL_ASSERT(vary || !n);
    size_t points = 1;
    for (size_t k = 0; k < n; k++) {
        FL_ASSERT(vary[k].n >= 1);
        if (points > EXP_GRID_MAX / vary[k].n) return 0;
        points *= vary[k].n;
    }
    return points;
}

const char *exp_grid_value(const struct exp_vary *vary, size_t n, size_t p, size_t k)
{
    FL_ASSERT(k < n && p < exp_grid_points(vary, n));
    /* the last key varies fastest */
    for (size_t j = n; j-- > k + 1;) p /= vary[j].n;
    return vary[k].values[p % vary[k].n];
}

char **exp_grid_sets(const struct exp_vary *vary, size_t n, size_t p)
{
    char **sets = fl_calloc(n + 1, sizeof *sets);
    for (size_t k = 0; k < n; k++)
        sets[k] = fl_asprintf("%s=%s", vary[k].key, exp_grid_value(vary, n, p, k));
    return sets;
}
