/*
 * load_dist.c - reads a duration distribution in any form of docs/scenario.md
 * "Distributions": a plain duration (constant) or a mapping whose `dist`
 * key picks the form and whose other keys are that form's parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/load_internal.h"

static int want(struct fl_ydoc *d, const yaml_node_t *n, const char *key, const char *what,
                double *out)
{
    int64_t v;
    yaml_node_t *x = fl_y_get(d, n, key);
    if (!x) return fl_y_error(d, n, "%s needs '%s'", what, key);
    if (fl_y_duration(d, x, key, 0, SIM_DURATION_MAX, &v)) return -1;
    *out = (double)v;
    return 0;
}

static int built(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int rc, const char *why)
{
    if (rc) return fl_y_error(d, n, "%s: %s", what, why);
    return 0;
}

/* quantiles: {p0: 1ms, p50: 3ms, p99.9: 40ms, p100: 200ms} */
static int load_empirical(struct fl_ydoc *d, const yaml_node_t *n, const char *what,
                          struct fl_dist *out)
{
    yaml_node_t *q = fl_y_get(d, n, "quantiles");
    if (!q) return fl_y_error(d, n, "%s needs 'quantiles'", what);
    if (fl_y_want_map(d, q, "quantiles")) return -1;
    double p[FL_DIST_POINTS_MAX], v[FL_DIST_POINTS_MAX];
    int k = 0;
    for (yaml_node_pair_t *pr = q->data.mapping.pairs.start; pr < q->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = fl_y_node(d, pr->key);
        const char *s = fl_y_str(key);
        char *end = NULL;
        double pct = s && s[0] == 'p' ? strtod(s + 1, &end) : -1;
        if (!s || s[0] != 'p' || end == s + 1 || *end || !(pct >= 0 && pct <= 100))
            return fl_y_error(d, key, "quantile keys are p0 .. p100 (e.g. p99.9), not '%s'",
                              s ? s : "?");
        if (k == FL_DIST_POINTS_MAX)
            return fl_y_error(d, key, "at most %d quantiles", FL_DIST_POINTS_MAX);
        int64_t ns;
        if (fl_y_duration(d, fl_y_node(d, pr->value), s, 0, SIM_DURATION_MAX, &ns)) return -1;
        if (k && pct / 100 <= p[k - 1])
            return fl_y_error(d, key, "quantiles must be listed in ascending order");
        p[k] = pct / 100;
        v[k++] = (double)ns;
    }
    const char *why = NULL;
    int rc = fl_dist_empirical(out, k, p, v, &why);
    return built(d, q, what, rc, why);
}

int sim_load_dist(struct fl_ydoc *d, const yaml_node_t *n, const char *what, struct fl_dist *out)
{
    const char *why = NULL;
    if (n && n->type == YAML_SCALAR_NODE) {
        int64_t v;
        if (fl_y_duration(d, n, what, 0, SIM_DURATION_MAX, &v)) return -1;
        int rc = fl_dist_constant(out, (double)v, &why);
        return built(d, n, what, rc, why);
    }
    if (fl_y_want_map(d, n, what)) return -1;
    static const char *const kinds[] = {"constant",  "uniform", "normal",    "exponential",
                                        "lognormal", "pareto",  "empirical", NULL};
    static const char *const keys[][5] = {
        {"dist", "value", NULL},
        {"dist", "min", "max", NULL},
        {"dist", "mean", "stddev", NULL},
        {"dist", "mean", NULL},
        {"dist", "p50", "p99", "mean", "stddev"},
        {"dist", "scale", "shape", NULL},
        {"dist", "quantiles", NULL},
    };
    yaml_node_t *kn = fl_y_get(d, n, "dist");
    int kind;
    if (!kn)
        return fl_y_error(d, n,
                          "%s needs 'dist' (one of constant, uniform, normal, "
                          "exponential, lognormal, pareto, empirical)",
                          what);
    if (fl_y_enum(d, kn, "dist", kinds, &kind)) return -1;
    const char *known[6] = {0};
    memcpy(known, keys[kind], sizeof keys[kind]);
    if (fl_y_check_keys(d, n, known, NULL, what)) return -1;
    double a, b;
    int rc;
    switch (kind) {
    case 0:
        if (want(d, n, "value", what, &a)) return -1;
        rc = fl_dist_constant(out, a, &why);
        break;
    case 1:
        if (want(d, n, "min", what, &a) || want(d, n, "max", what, &b)) return -1;
        rc = fl_dist_uniform(out, a, b, &why);
        break;
    case 2:
        if (want(d, n, "mean", what, &a) || want(d, n, "stddev", what, &b)) return -1;
        rc = fl_dist_normal(out, a, b, &why);
        break;
    case 3:
        if (want(d, n, "mean", what, &a)) return -1;
        rc = fl_dist_exponential(out, a, &why);
        break;
    case 4:
        if (fl_y_get(d, n, "p50") || fl_y_get(d, n, "p99")) {
            if (fl_y_get(d, n, "mean") || fl_y_get(d, n, "stddev"))
                return fl_y_error(d, n, "%s: give either p50 and p99, or mean and stddev", what);
            if (want(d, n, "p50", what, &a) || want(d, n, "p99", what, &b)) return -1;
            rc = fl_dist_lognormal_quantiles(out, a, b, &why);
        } else {
            if (want(d, n, "mean", what, &a) || want(d, n, "stddev", what, &b)) return -1;
            rc = fl_dist_lognormal_moments(out, a, b, &why);
        }
        break;
    case 5: {
        double shape;
        if (want(d, n, "scale", what, &a)) return -1;
        yaml_node_t *sh = fl_y_get(d, n, "shape");
        if (!sh) return fl_y_error(d, n, "%s needs 'shape'", what);
        if (fl_y_double(d, sh, "shape", 1e-6, 1e6, &shape)) return -1;
        rc = fl_dist_pareto(out, a, shape, &why);
        break;
    }
    default: return load_empirical(d, n, what, out);
    }
    return built(d, n, what, rc, why);
}
