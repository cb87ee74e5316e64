/*
 * load.c - the scenario loader's entry point: reads the file and the files
 * it includes (include.c), merges the overlays and applies the
 * command-line overrides, checks the top-level keys and the `network`
 * section; services, workloads, `assertions` and `report` have files of
 * their own (load_services.c, load_workload.c, load_assertions.c).
 *
 * `faults` and `chaos` have files of their own too (load_faults.c,
 * load_chaos.c); they are read last, as they refer to services, pods and
 * the proxies' configurations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/text.h"
#include "base/units.h"
#include "sim/cache.h"
#include "sim/load_internal.h"

int sim_load_name(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char **out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    size_t len = strlen(s);
    int ok = len <= 63;
    for (size_t i = 0; ok && i < len; i++) {
        char c = s[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i + 1 < len);
    }
    if (!ok)
        return fl_y_error(d, n,
                          "%s '%s': use lowercase letters, digits and '-' (not first or last), "
                          "at most 63 characters, as Kubernetes names",
                          what, s);
    *out = s;
    return 0;
}

/* ---- network ---- */

static int load_loss(struct fl_ydoc *d, const yaml_node_t *n, struct net_loss *out)
{
    if (n->type == YAML_SCALAR_NODE) {
        if (fl_y_fraction(d, n, "loss", &out->p)) return -1;
        out->model = out->p > 0 ? NET_LOSS_RANDOM : NET_LOSS_NONE;
        return 0;
    }
    static const char *const keys[] = {"model", "p", "r", "1-h", "1-k", NULL};
    static const char *const required[] = {"model", "p", NULL};
    static const char *const models[] = {"random", "gemodel", NULL};
    if (fl_y_check_keys(d, n, keys, required, "loss")) return -1;
    int model;
    if (fl_y_enum(d, fl_y_get(d, n, "model"), "loss model", models, &model)) return -1;
    if (fl_y_fraction(d, fl_y_get(d, n, "p"), "p", &out->p)) return -1;
    if (model == 0) {
        if (fl_y_get(d, n, "r") || fl_y_get(d, n, "1-h") || fl_y_get(d, n, "1-k"))
            return fl_y_error(d, n, "loss model random takes only 'p'");
        out->model = NET_LOSS_RANDOM;
        return 0;
    }
    /* netem: `loss gemodel p [r [1-h [1-k]]]`, r defaulting to 1 - p, 1-h to 100%, 1-k to 0 */
    out->model = NET_LOSS_GEMODEL;
    out->r = 1.0 - out->p;
    out->bad_loss = 1.0;
    out->good_loss = 0.0;
    yaml_node_t *x;
    if ((x = fl_y_get(d, n, "r")) && fl_y_fraction(d, x, "r", &out->r)) return -1;
    if ((x = fl_y_get(d, n, "1-h")) && fl_y_fraction(d, x, "1-h", &out->bad_loss)) return -1;
    if ((x = fl_y_get(d, n, "1-k")) && fl_y_fraction(d, x, "1-k", &out->good_loss)) return -1;
    if (out->p + out->r <= 0) return fl_y_error(d, n, "gemodel needs p + r above 0");
    return 0;
}

/* Reads the link keys present in n over *c (which holds the defaults). */
static int load_link(struct fl_ydoc *d, const yaml_node_t *n, struct net_link_cfg *c)
{
    static const char *const dists[] = {"uniform",      "normal",    "pareto",
                                        "paretonormal", "lognormal", NULL};
    yaml_node_t *x;
    if ((x = fl_y_get(d, n, "delay")) &&
        fl_y_duration(d, x, "delay", 0, SIM_DURATION_MAX, &c->delay_ns))
        return -1;
    if ((x = fl_y_get(d, n, "jitter")) &&
        fl_y_duration(d, x, "jitter", 0, SIM_DURATION_MAX, &c->jitter_ns))
        return -1;
    int dist;
    if ((x = fl_y_get(d, n, "distribution"))) {
        if (fl_y_enum(d, x, "distribution", dists, &dist)) return -1;
        c->dist = (enum net_jitter_dist)dist;
    }
    if ((x = fl_y_get(d, n, "correlation")) && fl_y_fraction(d, x, "correlation", &c->correlation))
        return -1;
    if ((x = fl_y_get(d, n, "loss")) && load_loss(d, x, &c->loss)) return -1;
    if ((x = fl_y_get(d, n, "rate")) && fl_y_bandwidth(d, x, "rate", &c->rate_bps)) return -1;
    long long q;
    if ((x = fl_y_get(d, n, "queue"))) {
        if (fl_y_int(d, x, "queue (packets)", 1, 1000000, &q)) return -1;
        c->queue_packets = (uint32_t)q;
    }
    return 0;
}

/* network.zones: extra one-way delay between localities (see sim/net.c). */
static int load_zones(struct fl_ydoc *d, const yaml_node_t *n, struct sim_network_cfg *net)
{
    static const char *const keys[] = {"cross_zone_delay", "cross_region_delay", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(d, n, keys, NULL, "network.zones")) return -1;
    if ((x = fl_y_get(d, n, "cross_zone_delay")) &&
        fl_y_duration(d, x, "cross_zone_delay", 0, SIM_DURATION_MAX, &net->cross_zone_delay_ns))
        return -1;
    net->cross_region_delay_ns = net->cross_zone_delay_ns;
    if ((x = fl_y_get(d, n, "cross_region_delay")) &&
        fl_y_duration(d, x, "cross_region_delay", 0, SIM_DURATION_MAX, &net->cross_region_delay_ns))
        return -1;
    return 0;
}

int sim_load_network(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"delay", "jitter", "distribution", "correlation", "loss",
                                       "rate",  "queue",  "links",        "zones",       NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "network")) return -1;
    if (load_link(d, n, &s->network.defaults)) return -1;
    yaml_node_t *zones = fl_y_get(d, n, "zones");
    if (zones && load_zones(d, zones, &s->network)) return -1;
    yaml_node_t *links = fl_y_get(d, n, "links");
    if (!links) return 0;
    if (fl_y_want_seq(d, links, "links")) return -1;
    s->network.n_links = SEQ_COUNT(links);
    s->network.links = fl_calloc(s->network.n_links, sizeof *s->network.links);
    for (size_t i = 0; i < s->network.n_links; i++) {
        yaml_node_t *ln = fl_y_node(d, SEQ_ITEMS(links)[i]);
        static const char *const lkeys[] = {"from",         "to",          "delay", "jitter",
                                            "distribution", "correlation", "loss",  "rate",
                                            "queue",        NULL};
        static const char *const required[] = {"from", "to", NULL};
        struct sim_link_cfg *l = &s->network.links[i];
        const char *from, *to;
        if (fl_y_check_keys(d, ln, lkeys, required, "link")) return -1;
        if (fl_y_string(d, fl_y_get(d, ln, "from"), "from", &from) ||
            fl_y_string(d, fl_y_get(d, ln, "to"), "to", &to))
            return -1;
        l->from = fl_strdup(from);
        l->to = fl_strdup(to);
        l->link = s->network.defaults;
        if (load_link(d, ln, &l->link)) return -1;
    }
    return 0;
}

/* ---- top level ---- */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (the civil-date formula). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    FL_ASSERT(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/*
 * start_time: the wall-clock time at simulated time 0, as RFC 3339 UTC
 * ("2026-01-01T00:00:00Z") or seconds since 1970; 2026-01-01T00:00:00Z
 * when absent, so that runs do not depend on the day they run.
 */
static int load_start_time(struct fl_ydoc *d, const yaml_node_t *x, struct sim_scenario *s)
{
    const int64_t sec = 1000000000;
    s->start_unix_ns = days_from_civil(2026, 1, 1) * 86400 * sec;
    if (!x) return 0;
    const char *v;
    if (fl_y_string(d, x, "start_time", &v)) return -1;
    int y, mo, da, h, mi, se, n = 0;
    long long secs;
    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &da, &h, &mi, &se, &n) == 6 && !v[n] &&
        n == 20) {
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || da < 1 || da > mdays[mo - 1] ||
            (mo == 2 && da == 29 && (y % 4 || (y % 100 == 0 && y % 400))) || h > 23 || mi > 59 ||
            se > 59 || h < 0 || mi < 0 || se < 0)
            return fl_y_error(d, x, "start_time '%s' is not a valid date and time", v);
        s->start_unix_ns =
            ((days_from_civil(y, mo, da) * 24 + h) * 60 + mi) * 60 * sec + (int64_t)se * sec;
        return 0;
    }
    size_t digits = strspn(v, "0123456789");
    secs = digits && digits <= 10 && !v[digits] ? strtoll(v, NULL, 10) : -1;
    if (secs < 0 || secs > INT64_C(7258118400)) /* up to 2200 */
        return fl_y_error(d, x,
                          "start_time '%s': want a UTC time as 2026-01-01T00:00:00Z or seconds "
                          "since 1970 (up to 2200)",
                          v);
    s->start_unix_ns = (int64_t)secs * sec;
    return 0;
}

static int load_top(struct fl_ydoc *d, struct sim_scenario *s, const uint64_t *seed_override)
{
    static const char *const keys[] = {
        "faultline", "name",       "seed",       "duration", "warmup",     "drain", "network",
        "services",  "workload",   "assertions", "gateway",  "mesh",       "proxy", "faults",
        "chaos",     "kubernetes", "report",     "tracing",  "start_time", NULL};
    static const char *const required[] = {"faultline", "duration", "services", "workload", NULL};
    yaml_node_t *root = fl_y_root(d), *x;
    if (fl_y_check_keys(d, root, keys, required, "the scenario")) return -1;
    long long version;
    x = fl_y_get(d, root, "faultline");
    if (fl_y_int(d, x, "faultline (the format version)", 1, 1000, &version)) return -1;
    if (version != 1)
        return fl_y_error(d, x,
                          "this file is in format version %lld; this faultline reads "
                          "version 1",
                          version);
    const char *name = NULL;
    if ((x = fl_y_get(d, root, "name")) && fl_y_string(d, x, "name", &name)) return -1;
    /* the name is the default output folder (reports/out/NAME): one safe file name */
    const char *why = name ? fl_file_name_problem(name) : NULL;
    if (why)
        return fl_y_error(d, x,
                          "name '%s' cannot name the output folder: %s (use letters, digits, "
                          "'-' and '_')",
                          name, why);
    if (name) s->name = fl_strdup(name);
    long long seed = 1;
    if ((x = fl_y_get(d, root, "seed")) && fl_y_int(d, x, "seed", 0, INT64_MAX, &seed)) return -1;
    s->seed = seed_override ? *seed_override : (uint64_t)seed;
    if (fl_y_duration(d, fl_y_get(d, root, "duration"), "duration", 1, SIM_DURATION_MAX,
                      &s->duration_ns))
        return -1;
    if ((x = fl_y_get(d, root, "warmup"))) {
        if (fl_y_duration(d, x, "warmup", 0, SIM_DURATION_MAX, &s->warmup_ns)) return -1;
        if (s->warmup_ns >= s->duration_ns)
            return fl_y_error(d, x, "warmup must be shorter than duration");
    }
    s->drain_ns = 5 * 60 * INT64_C(1000000000);
    if ((x = fl_y_get(d, root, "drain")) &&
        fl_y_duration(d, x, "drain", 0, SIM_DURATION_MAX, &s->drain_ns))
        return -1;
    if (load_start_time(d, fl_y_get(d, root, "start_time"), s)) return -1;
    net_link_cfg_default(&s->network.defaults);
    net_tcp_cfg_default(&s->network.tcp);
    if ((x = fl_y_get(d, root, "network")) && sim_load_network(d, x, s)) return -1;
    if (sim_load_services(d, fl_y_get(d, root, "services"), s)) return -1;
    if (sim_load_proxies(d, root, s)) return -1;
    if (sim_load_workloads(d, fl_y_get(d, root, "workload"), s)) return -1;
    if (sim_load_kube(d, fl_y_get(d, root, "kubernetes"), s)) return -1;
    if ((x = fl_y_get(d, root, "faults")) && sim_load_faults(d, x, s)) return -1;
    if ((x = fl_y_get(d, root, "chaos")) && sim_load_chaos(d, x, s)) return -1;
    if ((x = fl_y_get(d, root, "assertions")) && sim_load_assertions(d, x, s)) return -1;
    if (sim_load_report(d, fl_y_get(d, root, "report"), s)) return -1;
    if (sim_load_tracing(d, fl_y_get(d, root, "tracing"), s)) return -1;
    return 0;
}

/* A link must join two things the scenario has. */
static int check_links(struct fl_ydoc *d, struct sim_scenario *s, yaml_node_t *root)
{
    yaml_node_t *net = fl_y_get(d, root, "network");
    yaml_node_t *links = fl_y_get(d, net, "links");
    for (size_t i = 0; i < s->network.n_links; i++) {
        const char *ends[2] = {s->network.links[i].from, s->network.links[i].to};
        yaml_node_t *ln = fl_y_node(d, SEQ_ITEMS(links)[i]);
        for (int e = 0; e < 2; e++) {
            int ok = 0;
            for (size_t j = 0; j < s->n_services && !ok; j++)
                ok = !strcmp(s->services[j].name, ends[e]);
            for (size_t j = 0; j < s->n_workloads && !ok; j++)
                ok = !strcmp(s->workloads[j].name, ends[e]);
            if (!ok)
                return fl_y_error(d, fl_y_get(d, ln, e ? "to" : "from"),
                                  "link end '%s' is neither a service nor a workload", ends[e]);
        }
    }
    return 0;
}

/* Reads one overlay file and merges it onto d (its own includes read first). */
static int apply_overlay(struct fl_ydoc *d, const char *path, char **err)
{
    struct fl_ydoc *docs;
    size_t n;
    if (fl_ydoc_load_file(path, &docs, &n, err)) return -1;
    int rc = 0;
    if (n != 1) {
        *err = fl_asprintf("%s:1:1: an overlay is one YAML document; this file has %zu", path, n);
        rc = -1;
    } else if (sim_include_files(&docs[0], path)) {
        *err = fl_strdup(docs[0].err);
        rc = -1;
    } else {
        rc = fl_ydoc_merge(d, &docs[0], err);
    }
    fl_ydoc_free_all(docs, n);
    return rc;
}

/* One override; "mesh.Kind/name..." is short for "mesh.resources.Kind/name...". */
static int apply_set(struct fl_ydoc *d, const char *assignment, char **err)
{
    if (strncmp(assignment, "mesh.", 5)) return fl_ydoc_set(d, assignment, err);
    size_t seg = strcspn(assignment + 5, ".=\"");
    if (!memchr(assignment + 5, '/', seg)) return fl_ydoc_set(d, assignment, err);
    char *full = fl_asprintf("mesh.resources.%s", assignment + 5);
    int rc = fl_ydoc_set_as(d, full, assignment, err);
    free(full);
    return rc;
}

/* Interprets the documents of a scenario file (the loader owns and frees docs). */
static int load_docs(const char *path, struct fl_ydoc *docs, size_t n_docs,
                     const struct sim_load_opts *o, struct sim_scenario *out, char **err)
{
    if (n_docs == 0) {
        *err = fl_asprintf("%s:1:1: the scenario is empty (it needs at least faultline, "
                           "duration, services and workload)",
                           path);
        return -1;
    }
    if (n_docs > 1) {
        char where[512];
        *err = fl_asprintf("%s: a scenario is one YAML document; this file has %zu",
                           fl_y_where(&docs[1], fl_y_root(&docs[1]), where, sizeof where), n_docs);
        fl_ydoc_free_all(docs, n_docs);
        return -1;
    }
    struct fl_ydoc *d = &docs[0];
    int rc = sim_include_files(d, path);
    if (rc) *err = fl_strdup(d->err);
    for (size_t i = 0; i < o->n_overlays && !rc; i++) rc = apply_overlay(d, o->overlays[i], err);
    for (size_t i = 0; i < o->n_sets && !rc; i++) rc = apply_set(d, o->sets[i], err);
    if (!rc) {
        out->file = fl_strdup(path);
        rc = fl_y_want_map(d, fl_y_root(d), "the scenario");
        if (!rc) rc = load_top(d, out, o->seed);
        if (!rc) rc = check_links(d, out, fl_y_root(d));
        if (rc) *err = fl_strdup(d->err);
    }
    if (!rc && !out->name) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        const char *dot = strrchr(base, '.');
        char *stem = fl_strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
        out->name = fl_file_name_safe(stem); /* the file's name may hold anything but '/' */
        free(stem);
    }
    fl_ydoc_free_all(docs, n_docs);
    if (rc) sim_scenario_free(out);
    return rc;
}

int sim_scenario_load_opts(const char *path, const struct sim_load_opts *o,
                           struct sim_scenario *out, char **err)
{
    FL_ASSERT(path && o && out && err);
    memset(out, 0, sizeof *out);
    out->istio.lenient = o->lenient;
    struct fl_ydoc *docs;
    size_t n_docs;
    if (fl_ydoc_load_file(path, &docs, &n_docs, err)) return -1;
    return load_docs(path, docs, n_docs, o, out, err);
}

int sim_scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                      const uint64_t *seed_override, struct sim_scenario *out, char **err)
{
    struct sim_load_opts o = {NULL, 0, overrides, n_overrides, seed_override};
    return sim_scenario_load_opts(path, &o, out, err);
}

int sim_scenario_load_buffer(const char *name, const char *text, size_t len,
                             const char *const *overrides, size_t n_overrides,
                             const uint64_t *seed_override, struct sim_scenario *out, char **err)
{
    memset(out, 0, sizeof *out);
    struct fl_ydoc *docs;
    size_t n_docs;
    if (fl_ydoc_load_buffer(name, text, len, &docs, &n_docs, err)) return -1;
    struct sim_load_opts o = {NULL, 0, overrides, n_overrides, seed_override};
    return load_docs(name, docs, n_docs, &o, out, err);
}

static void free_version(struct sim_version_cfg *v)
{
    free(v->name);
    free(v->locality);
    sim_calls_free(v->calls, v->n_calls);
    for (size_t i = 0; i < v->n_labels; i++) {
        free(v->labels[i].key);
        free(v->labels[i].value);
    }
    free(v->labels);
}

void sim_scenario_free(struct sim_scenario *s)
{
    free(s->file);
    free(s->name);
    for (size_t i = 0; i < s->network.n_links; i++) {
        free(s->network.links[i].from);
        free(s->network.links[i].to);
    }
    free(s->network.links);
    for (size_t i = 0; i < s->n_services; i++) {
        for (size_t j = 0; j < s->services[i].n_versions; j++)
            free_version(&s->services[i].versions[j]);
        free(s->services[i].versions);
        free(s->services[i].name);
        free(s->services[i].service_account);
        sim_cache_cfg_free(s->services[i].cache);
    }
    free(s->services);
    for (size_t i = 0; i < s->n_workloads; i++) {
        struct sim_workload_cfg *w = &s->workloads[i];
        for (size_t j = 0; j < w->n_requests; j++) {
            struct sim_request_cfg *r = &w->requests[j];
            free(r->method);
            free(r->path);
            free(r->query);
            for (size_t h = 0; h < r->n_headers; h++) {
                free(r->headers[h].name);
                free(r->headers[h].value);
            }
            free(r->headers);
        }
        free(w->requests);
        free(w->stages);
        free(w->name);
        free(w->locality);
        free(w->address);
    }
    free(s->workloads);
    for (size_t i = 0; i < s->n_routes; i++) free(s->routes[i]);
    free(s->routes);
    for (size_t i = 0; i < s->n_checks; i++) {
        free(s->checks[i].target);
        free(s->checks[i].text);
        free(s->checks[i].hop);
    }
    free(s->checks);
    free(s->gateway_locality);
    free(s->tls.trust_domain);
    px_kong_free(&s->kong);
    px_istio_free(&s->istio);
    for (size_t i = 0; i < s->n_faults; i++) sim_fault_free(&s->faults[i]);
    free(s->faults);
    free(s->monkey.targets);
    sim_ambient_cfg_free(&s->ambient);
    memset(s, 0, sizeof *s);
}

int sim_service_pods(const struct sim_service_cfg *s)
{
    int n = 0;
    for (size_t i = 0; i < s->n_versions; i++) n += s->versions[i].replicas;
    return n;
}
