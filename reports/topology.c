/*
 * topology.c - the service graph as DOT (see topology.h).
 *
 * DOT strings are double-quoted with '"' and '\' escaped (graphviz, "The
 * DOT Language": in quoted strings the only escaped character is '"';
 * a backslash stays for the label escapes, so a name's own backslash is
 * doubled); "\n" in a label is graphviz's centred line break.
 */
#include "reports/topology.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"

/* The inside of a quoted string (control characters dropped). */
static void dot_esc(FILE *f, const char *s)
{
    FL_ASSERT(f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        if (*p >= 0x20) fputc(*p, f);
    }
}

static void dot_str(FILE *f, const char *s)
{
    fputc('"', f);
    dot_esc(f, s);
    fputc('"', f);
}

int64_t rpt_topology_period_ns(const struct rpt_run *run)
{
    FL_ASSERT(run);
    const struct rpt_series_set *set = &run->series;
    if (set->window_ns > 0) {
        size_t first = SIZE_MAX, last = 0;
        for (size_t k = 0; k < set->all.n_pts; k++)
            if (set->all.pts[k].count) {
                if (first == SIZE_MAX) first = k;
                last = k;
            }
        FL_ASSERT(first == SIZE_MAX || first <= last);
        if (first != SIZE_MAX) {
            /* the last window ends with the run */
            int64_t end = (int64_t)(last + 1) * set->window_ns,
                    start = (int64_t)first * set->window_ns;
            if (end > run->sim_ns && run->sim_ns > start) end = run->sim_ns;
            return end - start;
        }
    }
    return run->sim_ns > 0 ? run->sim_ns : 1;
}

/* Splits "A -> B" into a and b (each at most size bytes); 0 if not an edge name. */
static int split_edge(const char *name, char *a, char *b, size_t size)
{
    FL_ASSERT(a && b && size > 0);
    const char *arrow = name ? strstr(name, " -> ") : NULL;
    if (!arrow) return 0;
    snprintf(a, size, "%.*s", (int)(arrow - name), name);
    snprintf(b, size, "%s", arrow + 4);
    return 1;
}

static int is_service(const struct rpt_run *run, const char *name)
{
    FL_ASSERT(run && name && (run->services || !run->n_services));
    for (size_t i = 0; i < run->n_services; i++)
        if (run->services[i].st.name && !strcmp(run->services[i].st.name, name)) return 1;
    return 0;
}

/* The nodes: every service, then every other edge end, once each (names owned by the run). */
struct nodes {
    char **v;
    size_t n;
};

static void node_add(struct nodes *ns, const char *name)
{
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], name)) return;
    ns->v = fl_realloc(ns->v, (ns->n + 1) * sizeof *ns->v);
    ns->v[ns->n++] = fl_strdup(name);
    FL_ASSERT(ns->n >= 1 && !strcmp(ns->v[ns->n - 1], name));
}

static void write_node(const struct rpt_run *run, FILE *f, const char *name)
{
    FL_ASSERT(run && f && name);
    fputs("  ", f);
    dot_str(f, name);
    if (is_service(run, name)) {
        size_t pods = 0;
        for (size_t i = 0; i < run->n_services; i++)
            if (!strcmp(run->services[i].st.name, name)) pods = run->services[i].n_pods;
        fputs(" [shape=box, style=\"rounded,filled\", fillcolor=\"#e6f4ea\", label=\"", f);
        dot_esc(f, name);
        fprintf(f, "\\n%zu pod%s\"];\n", pods, pods == 1 ? "" : "s");
    } else if (!strcmp(name, "gateway")) {
        fputs(" [shape=hexagon, style=filled, fillcolor=\"#fdf2d0\"];\n", f);
    } else {
        fputs(" [shape=ellipse, style=filled, fillcolor=\"#e8eef7\", label=\"", f);
        dot_esc(f, name);
        fputs("\\n(workload)\"];\n", f);
    }
}

static void write_edge(FILE *f, const char *a, const char *b, const struct rpt_stats *s,
                       double period_s)
{
    FL_ASSERT(f && a && b && s && period_s > 0 && s->errors <= s->count);
    double err = s->count ? (double)s->errors / (double)s->count : 0.0;
    char p99[32];
    fl_format_duration(rpt_hist_quantile(&s->hist, 0.99), p99, sizeof p99);
    int red = err > RPT_TOPOLOGY_RED_ERRORS;
    fputs("  ", f);
    dot_str(f, a);
    fputs(" -> ", f);
    dot_str(f, b);
    fprintf(f, " [label=\"%.1f rps\\n%.2f%% err\\nP99 %s\", color=\"%s\", fontcolor=\"%s\"%s];\n",
            (double)s->count / period_s, 100.0 * err, s->count ? p99 : "-",
            red ? "#d62728" : "#555555", red ? "#d62728" : "#333333", red ? ", penwidth=2.5" : "");
}

void rpt_topology_dot(const struct rpt_run *run, FILE *f)
{
    FL_ASSERT(run && f && (run->edges || !run->n_edges));
    double period_s = (double)rpt_topology_period_ns(run) / 1e9;
    FL_ASSERT(period_s > 0);
    struct nodes ns = {0};
    char a[256], b[256];
    for (size_t i = 0; i < run->n_edges; i++)
        if (split_edge(run->edges[i].name, a, b, sizeof a)) {
            node_add(&ns, a);
            node_add(&ns, b);
        }
    for (size_t i = 0; i < run->n_services; i++) node_add(&ns, run->services[i].st.name);
    for (size_t i = 0; i < run->n_clusters; i++) /* the gateway's clusters: see below */
        if (run->clusters[i].name && !strncmp(run->clusters[i].name, "gateway ", 8) &&
            is_service(run, run->clusters[i].name + 8))
            node_add(&ns, "gateway");

    char title[400];
    snprintf(title, sizeof title, "Service graph - %s (seed %llu)",
             run->scenario ? run->scenario : "run", (unsigned long long)run->seed);
    fputs("digraph faultline {\n  graph [rankdir=LR, labelloc=t, fontname=\"Helvetica\", "
          "fontsize=14, label=",
          f);
    dot_str(f, title);
    fputs("];\n  node [fontname=\"Helvetica\", fontsize=11];\n"
          "  edge [fontname=\"Helvetica\", fontsize=9];\n",
          f);
    for (size_t i = 0; i < ns.n; i++) write_node(run, f, ns.v[i]);
    for (size_t i = 0; i < run->n_edges; i++)
        if (split_edge(run->edges[i].name, a, b, sizeof a))
            write_edge(f, a, b, &run->edges[i], period_s);
    /* the gateway's clusters the run has no measured edge for: attempts only, dashed */
    for (size_t i = 0; i < run->n_clusters; i++) {
        const char *c = run->clusters[i].name;
        if (!c || strncmp(c, "gateway ", 8) || !is_service(run, c + 8)) continue;
        char name[300];
        snprintf(name, sizeof name, "gateway -> %s", c + 8);
        int known = 0;
        for (size_t e = 0; e < run->n_edges; e++) known |= !strcmp(run->edges[e].name, name);
        if (known) continue;
        fputs("  \"gateway\" -> ", f);
        dot_str(f, c + 8);
        fprintf(f, " [label=\"%.1f attempts/s\", style=dashed, color=\"#555555\"];\n",
                (double)run->clusters[i].rq_total / period_s);
    }
    fputs("}\n", f);
    for (size_t i = 0; i < ns.n; i++) free(ns.v[i]);
    free(ns.v);
}
