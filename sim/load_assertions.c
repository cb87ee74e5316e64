/*
 * load_assertions.c - the scenario's `assertions:` (and `report:`): each
 * item names a scope (every request, a `route`, a `service`, an `edge`
 * "A -> B"; or a `hop` for retry amplification and the clusters'
 * counters), optionally a fault (`during: F`: the requests sent while F
 * was active; `after: F` with `recovers_within: D`: judged on the windows
 * after F ended) or `every_window: true` (each window must hold), and
 * one or more metrics with a comparison ("< 200ms", ">= 99%"). Each
 * metric becomes one rpt_check, evaluated by reports/checks.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/text.h"
#include "base/units.h"
#include "sim/kernel.h"
#include "sim/load_internal.h"

/* In enum rpt_metric order. */
static const char *const metric_keys[] = {
    "p50",       "p90",       "p95",       "p99",        "p999",
    "mean",      "min",       "max",       "error_rate", "retry_amplification",
    "count",     "share_404", "share_429", "share_503",  "share_4xx",
    "share_5xx", "ejections", "overflows", NULL};

static int load_threshold(struct fl_ydoc *d, const yaml_node_t *n, enum rpt_metric m,
                          struct rpt_check *c)
{
    FL_ASSERT(c && rpt_metric_name(m));
    const char *s;
    if (fl_y_string(d, n, rpt_metric_name(m), &s)) return -1;
    const char *p = s;
    while (*p == ' ') p++;
    if (p[0] == '<' && p[1] == '=')
        c->op = RPT_LE, p += 2;
    else if (p[0] == '>' && p[1] == '=')
        c->op = RPT_GE, p += 2;
    else if (p[0] == '<')
        c->op = RPT_LT, p += 1;
    else if (p[0] == '>')
        c->op = RPT_GT, p += 1;
    else
        return fl_y_error(d, n, "%s: write a comparison such as \"< 200ms\", not '%s'",
                          rpt_metric_name(m), s);
    while (*p == ' ') p++;
    int rc;
    if (rpt_metric_is_duration(m)) {
        int64_t ns;
        rc = fl_parse_duration(p, &ns);
        if (rc)
            return fl_y_error(d, n, "%s '%s': %s", rpt_metric_name(m), s,
                              fl_units_strerror(rc, FL_UNITS_DURATION));
        c->threshold = (double)ns;
    } else if (rpt_metric_is_fraction(m)) {
        rc = fl_parse_fraction(p, &c->threshold);
        if (rc)
            return fl_y_error(d, n, "%s '%s': %s", rpt_metric_name(m), s,
                              fl_units_strerror(rc, FL_UNITS_FRACTION));
    } else {
        char *end;
        c->threshold = strtod(p, &end);
        if (end == p || *end || !(c->threshold >= 0) || !isfinite(c->threshold))
            return fl_y_error(d, n, "%s '%s': expected a number after the comparison",
                              rpt_metric_name(m), s);
    }
    return 0;
}

/* during: or after: the name of a fault of `faults:`; *out its index. */
static int load_fault_ref(struct fl_ydoc *d, const yaml_node_t *n, const char *key,
                          const struct sim_scenario *s, int *out)
{
    FL_ASSERT(n && key && out);
    const char *name;
    if (fl_y_string(d, n, key, &name)) return -1;
    const char **names = fl_calloc(s->n_faults + 1, sizeof *names);
    *out = -1;
    for (size_t i = 0; i < s->n_faults; i++) {
        names[i] = s->faults[i].name;
        if (!strcmp(names[i], name)) *out = (int)i;
    }
    const char *hint = *out < 0 ? fl_did_you_mean(name, names) : NULL;
    free(names);
    if (*out >= 0) return 0;
    if (hint)
        return fl_y_error(d, n, "%s: unknown fault '%s' (did you mean '%s'?)", key, name, hint);
    return fl_y_error(d, n, "%s: no fault of `faults:` is called '%s'", key, name);
}

/* hop: "client", "end_to_end", "gateway" (with a gateway), or a proxy cluster. */
static int load_hop(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                    const char **out)
{
    FL_ASSERT(n && s && out);
    if (fl_y_string(d, n, "hop", out)) return -1;
    if (!strcmp(*out, "gateway") && !s->has_gateway)
        return fl_y_error(d, n, "hop: gateway, but the scenario has no gateway");
    if (!**out) return fl_y_error(d, n, "hop: name a hop (client, gateway, end_to_end, a cluster)");
    return 0;
}

/* What an item's scope and options allow; 0 or an error at the item. */
static int check_combination(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *route,
                             const yaml_node_t *svc, const yaml_node_t *hop,
                             const yaml_node_t *during, const yaml_node_t *after,
                             const yaml_node_t *within)
{
    const yaml_node_t *edge = fl_y_get(d, n, "edge"), *every = fl_y_get(d, n, "every_window");
    if (!!route + !!svc + !!edge > 1)
        return fl_y_error(d, n, "an assertion is about a route, a service or an edge, one of them");
    if (edge && (hop || during))
        return fl_y_error(d, edge, "edge: goes with every_window or after, not hop or during");
    if (every && (after || during || hop))
        return fl_y_error(d, every, "every_window: judges every window: no after, during or hop");
    if (during && svc)
        return fl_y_error(d, during,
                          "during: goes with a route or with every request, not a service");
    if (hop && (route || svc || during || after))
        return fl_y_error(d, hop,
                          "hop: is about the whole run: no route, service, during or after");
    if (!!after != !!within)
        return fl_y_error(d, after ? after : within,
                          "after: and recovers_within: go together (after: FAULT, "
                          "recovers_within: 5s)");
    if (after && during)
        return fl_y_error(d, after, "an assertion is `during` a fault or `after` it, not both");
    return 0;
}

/* Why an item may not hold metric m given its options; NULL when it may. */
static const char *metric_refused(enum rpt_metric m, int hop, int within, int edge)
{
    int cluster = m == RPT_M_EJECTIONS || m == RPT_M_OVERFLOWS;
    if (hop && !cluster && m != RPT_M_RETRY_AMPLIFICATION)
        return "with hop: only retry_amplification, ejections and overflows";
    if (edge && !within && m != RPT_M_COUNT && m != RPT_M_ERROR_RATE &&
        m != RPT_M_RETRY_AMPLIFICATION && m != RPT_M_SHARE_4XX && m != RPT_M_SHARE_5XX)
        return "an edge's whole run has count, error_rate, retry_amplification, share_4xx and "
               "share_5xx (its windows' p50, p95, p99 with every_window or recovers_within)";
    if (within && m != RPT_M_P50 && m != RPT_M_P95 && m != RPT_M_P99 && m != RPT_M_ERROR_RATE &&
        m != RPT_M_RETRY_AMPLIFICATION && m != RPT_M_COUNT)
        return "a window check (recovers_within, every_window) reads what windows keep: p50, "
               "p95, p99, error_rate, retry_amplification and count";
    return NULL;
}

/* 1 if name is a workload's or a service's (from), or a service's or "gateway" (to). */
static int edge_end_known(const struct sim_scenario *s, const char *name, size_t len, int from)
{
    if (!from && len == 7 && !strncmp(name, "gateway", 7)) return s->has_gateway;
    for (size_t i = 0; i < s->n_services; i++)
        if (strlen(s->services[i].name) == len && !strncmp(s->services[i].name, name, len))
            return 1;
    for (size_t i = 0; from && i < s->n_workloads; i++)
        if (strlen(s->workloads[i].name) == len && !strncmp(s->workloads[i].name, name, len))
            return 1;
    return 0;
}

/* edge: "CALLER -> CALLEE", a workload or service to the gateway or a service. */
static int load_edge(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                     const char **out)
{
    FL_ASSERT(n && s && out);
    if (fl_y_string(d, n, "edge", out)) return -1;
    const char *arrow = strstr(*out, " -> ");
    if (!arrow)
        return fl_y_error(d, n,
                          "edge '%s': write CALLER -> CALLEE (users -> gateway, "
                          "frontend -> search)",
                          *out);
    if (!edge_end_known(s, *out, (size_t)(arrow - *out), 1))
        return fl_y_error(d, n, "edge '%s': no workload or service is called '%.*s'", *out,
                          (int)(arrow - *out), *out);
    if (edge_end_known(s, arrow + 4, strlen(arrow + 4), 0)) return 0;
    const char **names = fl_calloc(s->n_services + 2, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) names[i] = s->services[i].name;
    if (s->has_gateway) names[s->n_services] = "gateway";
    const char *hint = fl_did_you_mean(arrow + 4, names);
    int rc = hint ? fl_y_error(d, n, "edge '%s': '%s' is not a service (did you mean '%s'?)", *out,
                               arrow + 4, hint)
                  : fl_y_error(d, n, "edge '%s': '%s' is not a service (or the gateway)", *out,
                               arrow + 4);
    free(names);
    return rc;
}

static int load_target(struct fl_ydoc *d, const yaml_node_t *route, const yaml_node_t *svc,
                       const struct sim_scenario *s, const char **target)
{
    FL_ASSERT(!(route && svc)); /* check_combination refused both */
    *target = NULL;
    if (route && fl_y_string(d, route, "route", target)) return -1;
    if (svc && fl_y_string(d, svc, "service", target)) return -1;
    if (route) {
        size_t i = 0;
        while (i < s->n_routes && strcmp(s->routes[i], *target)) i++;
        if (i == s->n_routes)
            return fl_y_error(d, route, "no workload requests route '%s'", *target);
    }
    if (svc) {
        size_t i = 0;
        while (i < s->n_services && strcmp(s->services[i].name, *target)) i++;
        if (i == s->n_services) return fl_y_error(d, svc, "unknown service '%s'", *target);
    }
    return 0;
}

/* "during F ", "after F ", "hop H ", "every window ": the words before the scope. */
static char *text_prefix(const yaml_node_t *during, const yaml_node_t *after, const char *hop,
                         int every_window)
{
    if (every_window) return fl_strdup("every window ");
    if (during) return fl_asprintf("during %s ", fl_y_str(during));
    if (after) return fl_asprintf("after %s ", fl_y_str(after));
    if (hop) return fl_asprintf("hop %s ", hop);
    return fl_strdup("");
}

static int load_assertion(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    const char *keys[32];
    size_t nk = 0;
    static const char *const opts[] = {"during", "route", "service",         "edge",
                                       "hop",    "after", "recovers_within", "every_window"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) keys[nk++] = opts[i];
    for (size_t i = 0; metric_keys[i]; i++) keys[nk++] = metric_keys[i];
    keys[nk] = NULL;
    FL_ASSERT(nk < sizeof keys / sizeof keys[0]);
    if (fl_y_check_keys(d, n, keys, NULL, "assertion")) return -1;
    yaml_node_t *route = fl_y_get(d, n, "route"), *svc = fl_y_get(d, n, "service");
    yaml_node_t *hop_n = fl_y_get(d, n, "hop"), *during = fl_y_get(d, n, "during");
    yaml_node_t *after = fl_y_get(d, n, "after"), *within = fl_y_get(d, n, "recovers_within");
    if (check_combination(d, n, route, svc, hop_n, during, after, within)) return -1;
    yaml_node_t *edge = fl_y_get(d, n, "edge"), *every = fl_y_get(d, n, "every_window");
    enum rpt_scope scope = route  ? RPT_SCOPE_ROUTE
                           : svc  ? RPT_SCOPE_SERVICE
                           : edge ? RPT_SCOPE_EDGE
                                  : RPT_SCOPE_ALL;
    int every_window = 0;
    if (every && fl_y_bool(d, every, "every_window", &every_window)) return -1;
    int window = -1, after_i = -1;
    if (during && load_fault_ref(d, during, "during", s, &window)) return -1;
    if (after && load_fault_ref(d, after, "after", s, &after_i)) return -1;
    int64_t within_ns = 0;
    if (within && fl_y_duration(d, within, "recovers_within", 1, SIM_DURATION_MAX, &within_ns))
        return -1;
    const char *hop = NULL, *target = NULL;
    if (hop_n && load_hop(d, hop_n, s, &hop)) return -1;
    if (load_target(d, route, svc, s, &target)) return -1;
    if (edge && load_edge(d, edge, s, &target)) return -1;
    int found = 0;
    for (int m = 0; metric_keys[m]; m++) {
        yaml_node_t *v = fl_y_get(d, n, metric_keys[m]);
        if (!v) continue;
        found = 1;
        const char *why = metric_refused((enum rpt_metric)m, !!hop, within || every_window, !!edge);
        if (why) return fl_y_error(d, v, "%s: %s", metric_keys[m], why);
        if ((m == RPT_M_EJECTIONS || m == RPT_M_OVERFLOWS) &&
            (route || svc || edge || during || after || every_window))
            return fl_y_error(d, v, "%s counts the proxies' clusters: use hop: to narrow it",
                              metric_keys[m]);
        FL_ASSERT(!(hop && target)); /* a hop is about the whole run */
        s->checks = fl_realloc(s->checks, (s->n_checks + 1) * sizeof *s->checks);
        struct rpt_check *c = &s->checks[s->n_checks];
        memset(c, 0, sizeof *c);
        s->n_checks++;
        c->scope = scope;
        c->metric = (enum rpt_metric)m;
        c->target = target ? fl_strdup(target) : NULL;
        c->hop = hop ? fl_strdup(hop) : NULL;
        c->window = window;
        c->after = after_i;
        c->within_ns = within_ns;
        c->every_window = every_window;
        if (load_threshold(d, v, c->metric, c)) return -1;
        const char *scope_word = route ? "route " : svc ? "service " : edge ? "edge " : "";
        char *prefix = text_prefix(during, after, hop, every_window);
        c->text = fl_asprintf("%s%s%s%s%s %s%s%s", prefix, scope_word, target ? target : "",
                              target ? " " : "", metric_keys[m], fl_y_str(v),
                              within ? " recovers within " : "", within ? fl_y_str(within) : "");
        free(prefix);
    }
    if (!found)
        return fl_y_error(d, n,
                          "an assertion needs a metric (p50, p90, p95, p99, p999, mean, min, max, "
                          "error_rate, retry_amplification, count, share_404, share_429, "
                          "share_503, share_4xx, share_5xx, ejections or overflows)");
    return 0;
}

int sim_load_assertions(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    FL_ASSERT(d && n && s);
    if (fl_y_want_seq(d, n, "assertions")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++)
        if (load_assertion(d, fl_y_node(d, SEQ_ITEMS(n)[i]), s)) return -1;
    return 0;
}

/* ---- report ---- */

int sim_load_report(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"window", "series", "requests", "slowest",
                                       "spans",  "plots",  "db",       NULL};
    FL_ASSERT(s);
    s->window_ns = SIM_NS_PER_S;
    s->series = 1;
    s->requests_every = 1;
    /* by default every request up to a million, then an even share of them: a list of
     * 18 million (M/M/1 for 20,000 s) took 850 MB and 20 s to store */
    s->requests_max = 1000000;
    s->slowest = 5;
    s->spans = 1;
    s->plots = 1;
    s->db = 1;
    if (!n) return 0;
    if (fl_y_check_keys(d, n, keys, NULL, "report")) return -1;
    yaml_node_t *x;
    if ((x = fl_y_get(d, n, "window")) &&
        fl_y_duration(d, x, "report.window", SIM_NS_PER_MS, 3600 * SIM_NS_PER_S, &s->window_ns))
        return -1;
    if (s->window_ns % SIM_NS_PER_MS)
        return fl_y_error(d, x, "report.window: a whole number of milliseconds (1s, 250ms)");
    if ((x = fl_y_get(d, n, "series")) && fl_y_bool(d, x, "report.series", &s->series)) return -1;
    if ((x = fl_y_get(d, n, "spans")) && fl_y_bool(d, x, "report.spans", &s->spans)) return -1;
    if ((x = fl_y_get(d, n, "plots")) && fl_y_bool(d, x, "report.plots", &s->plots)) return -1;
    if ((x = fl_y_get(d, n, "db")) && fl_y_bool(d, x, "report.db", &s->db)) return -1;
    long long slowest;
    if ((x = fl_y_get(d, n, "slowest"))) {
        if (fl_y_int(d, x, "report.slowest", 0, 1000, &slowest)) return -1;
        s->slowest = (uint32_t)slowest;
    }
    if ((x = fl_y_get(d, n, "requests"))) {
        s->requests_max = 0; /* what the scenario says, however many */
        /* `all`, `none`, or the share listed: 10% lists one request in 10 */
        const char *v = NULL;
        if (x->type == YAML_SCALAR_NODE && fl_y_string(d, x, "report.requests", &v)) return -1;
        if (v && !strcmp(v, "all")) {
            s->requests_every = 1;
        } else if (v && !strcmp(v, "none")) {
            s->requests_every = 0;
        } else {
            double f;
            if (fl_y_fraction(d, x, "report.requests (all, none, or a share such as 10%)", &f))
                return -1;
            if (f <= 0 || 1 / f > 1e9 || fabs(1 / f - floor(1 / f + 0.5)) > 1e-9 * (1 / f))
                return fl_y_error(d, x,
                                  "report.requests: a share of the form 1/N (100%%, 10%%, 1%%, "
                                  "0.1%%), `all` or `none`");
            s->requests_every = (uint32_t)floor(1 / f + 0.5);
        }
    }
    FL_ASSERT(s->requests_every <= 1000000000u && s->slowest <= 1000);
    return 0;
}

int sim_load_tracing(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"sample", NULL};
    FL_ASSERT(s);
    s->trace_sample = -1;
    if (!n) return 0;
    if (fl_y_want_map(d, n, "tracing") || fl_y_check_keys(d, n, keys, NULL, "tracing")) return -1;
    yaml_node_t *x = fl_y_get(d, n, "sample");
    double f;
    if (x) {
        if (fl_y_fraction(d, x, "tracing.sample", &f)) return -1;
        s->trace_sample = 100 * f;
    }
    FL_ASSERT(s->trace_sample == -1 || (s->trace_sample >= 0 && s->trace_sample <= 100));
    return 0;
}
