/*
 * load_workload.c - reads the `workload` section: where requests enter,
 * how they arrive (open loop: poisson or constant rate; closed loop:
 * clients with think time), the weighted request mix, and the client's own
 * timeouts and retries with backoff. Request paths become the run's routes.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/text.h"
#include "proxies/edge.h"
#include "sim/load_internal.h"

static int add_route(struct sim_scenario *s, const char *path)
{
    for (size_t i = 0; i < s->n_routes; i++)
        if (!strcmp(s->routes[i], path)) return (int)i;
    s->routes = fl_realloc(s->routes, (s->n_routes + 1) * sizeof *s->routes);
    s->routes[s->n_routes] = fl_strdup(path);
    return (int)s->n_routes++;
}

/* RFC 9110 5.6.2: a field name is a token of tchar. */
static int is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

int sim_load_headers(struct fl_ydoc *d, const yaml_node_t *n, struct sim_header **hs, size_t *n_out)
{
    if (fl_y_want_map(d, n, "headers")) return -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k, *v;
        yaml_node_t *kn = fl_y_node(d, p->key);
        if (fl_y_string(d, kn, "header name", &k)) return -1;
        yaml_node_t *vn = fl_y_node(d, p->value);
        if (fl_y_want_scalar(d, vn, "header value")) return -1;
        v = fl_y_str(vn);
        for (const char *c = k; *c; c++)
            if (!is_tchar(*c)) return fl_y_error(d, kn, "'%s' is not a valid header name", k);
        /* RFC 9110 5.5: a field value is visible characters, spaces and tabs; never CR, LF,
         * NUL or another control character */
        size_t vlen = strlen(v);
        if (vlen != vn->data.scalar.length || fl_control_check(v, vlen, 1) != vlen)
            return fl_y_error(d, vn,
                              "header '%s': a value must not contain control characters (CR, "
                              "LF, NUL...)",
                              k);
        *hs = fl_realloc(*hs, (*n_out + 1) * sizeof **hs);
        (*hs)[*n_out].name = fl_strdup(k);
        (*hs)[*n_out].value = fl_strdup(v);
        (*n_out)++;
    }
    return 0;
}

int sim_load_path(struct fl_ydoc *d, const yaml_node_t *n, const char **out)
{
    const char *path;
    if (fl_y_string(d, n, "path", &path)) return -1;
    if (path[0] != '/') return fl_y_error(d, n, "a path starts with '/', not '%s'", path);
    size_t len = strlen(path);
    if (len > SIM_PATH_MAX)
        return fl_y_error(d, n, "a path is at most %d bytes (this one has %zu)", SIM_PATH_MAX, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c <= 0x20 || c >= 0x7F)
            return fl_y_error(d, n,
                              "path '%s': byte %zu is not visible ASCII; percent-encode spaces "
                              "and other characters (RFC 3986)",
                              path, i + 1);
    }
    *out = path;
    return 0;
}

int sim_load_method(struct fl_ydoc *d, const yaml_node_t *n, const char **out)
{
    const char *method;
    if (fl_y_string(d, n, "method", &method)) return -1;
    for (const char *c = method; *c; c++)
        if (*c < 'A' || *c > 'Z' || c - method >= 32)
            return fl_y_error(d, n,
                              "method '%s': use an upper-case HTTP method such as GET (at most "
                              "32 letters)",
                              method);
    *out = method;
    return 0;
}

/* query: the text after '?' (visible ASCII, percent-encoded as sent). */
static int load_query(struct fl_ydoc *d, const yaml_node_t *x, struct sim_request_cfg *r)
{
    const char *q;
    if (fl_y_string(d, x, "query", &q)) return -1;
    for (const char *c = q; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F || *c == '#')
            return fl_y_error(d, x,
                              "query '%s': byte %zu is not visible ASCII or is '#'; "
                              "percent-encode it (RFC 3986)",
                              q, (size_t)(c - q) + 1);
    if (strlen(q) > SIM_PATH_MAX)
        return fl_y_error(d, x, "a query is at most %d bytes", SIM_PATH_MAX);
    r->query = fl_strdup(q[0] == '?' ? q + 1 : q);
    return 0;
}

static int load_request(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s,
                        struct sim_request_cfg *r)
{
    static const char *const keys[] = {"method", "path",  "weight", "headers",
                                       "size",   "query", "jwt",    NULL};
    static const char *const required[] = {"path", NULL};
    const char *method = "GET", *path;
    yaml_node_t *x;
    if (fl_y_check_keys(d, n, keys, required, "request")) return -1;
    if ((x = fl_y_get(d, n, "method")) && sim_load_method(d, x, &method)) return -1;
    if (sim_load_path(d, fl_y_get(d, n, "path"), &path)) return -1;
    r->method = fl_strdup(method);
    r->path = fl_strdup(path);
    r->weight = 1;
    if ((x = fl_y_get(d, n, "weight")) && fl_y_double(d, x, "weight", 0, 1e9, &r->weight))
        return -1;
    if ((x = fl_y_get(d, n, "headers")) && sim_load_headers(d, x, &r->headers, &r->n_headers))
        return -1;
    if ((x = fl_y_get(d, n, "size")) && fl_y_size(d, x, "size", 0, SIM_MESSAGE_MAX, &r->body_bytes))
        return -1;
    if ((x = fl_y_get(d, n, "query")) && load_query(d, x, r)) return -1;
    if ((x = fl_y_get(d, n, "jwt")) && sim_load_token(d, x, s, r)) return -1;
    r->route = add_route(s, path);
    return 0;
}

static int load_retry(struct fl_ydoc *d, const yaml_node_t *n, struct sim_retry_cfg *r)
{
    static const char *const keys[] = {SIM_RETRY_KEYS, NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "retry")) return -1;
    return sim_load_retry_fields(d, n, r);
}

static int load_target(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s,
                       struct sim_workload_cfg *w)
{
    const char *t;
    if (fl_y_string(d, n, "target", &t)) return -1;
    if (!strcmp(t, "gateway")) {
        if (!s->has_gateway)
            return fl_y_error(d, n, "target 'gateway': the scenario has no gateway section");
        w->target = SIM_TARGET_GATEWAY;
        return 0;
    }
    if (!strcmp(t, SIM_INGRESS_NAME)) {
        if (!s->istio.n_gateways || s->mesh_mode != SIM_MESH_SIDECAR)
            return fl_y_error(d, n,
                              "target '%s': the mesh has no Gateway resource (or its mode is "
                              "not sidecar)",
                              t);
        w->target = SIM_TARGET_INGRESS;
        return 0;
    }
    const char **names = fl_calloc(s->n_services + 3, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) {
        names[i] = s->services[i].name;
        if (!strcmp(t, names[i])) w->target = (int)i;
    }
    int rc = 0;
    if (w->target < 0) {
        names[s->n_services] = "gateway";
        names[s->n_services + 1] = SIM_INGRESS_NAME;
        const char *hint = fl_did_you_mean(t, names);
        rc = hint ? fl_y_error(d, n, "unknown target '%s' (did you mean '%s'?)", t, hint)
                  : fl_y_error(d, n, "unknown target '%s': name a service or 'gateway'", t);
    }
    free(names);
    return rc;
}

static int load_arrival(struct fl_ydoc *d, const yaml_node_t *n, struct sim_workload_cfg *w)
{
    static const char *const arrivals[] = {"poisson", "constant", "closed", NULL};
    yaml_node_t *x = fl_y_get(d, n, "arrival");
    int a = 0;
    if (x && fl_y_enum(d, x, "arrival", arrivals, &a)) return -1;
    w->arrival = (enum sim_arrival)a;
    yaml_node_t *rate = fl_y_get(d, n, "rate"), *clients = fl_y_get(d, n, "clients");
    yaml_node_t *think = fl_y_get(d, n, "think_time");
    if (w->arrival != SIM_ARRIVAL_CLOSED) {
        if (clients || think)
            return fl_y_error(d, clients ? clients : think,
                              "clients and think_time are for arrival: closed");
        yaml_node_t *stages = fl_y_get(d, n, "stages");
        if (rate && stages)
            return fl_y_error(d, stages, "a workload has a rate or stages, not both");
        if (stages) return 0; /* sim_load_schedule */
        if (!rate) return fl_y_error(d, n, "workload '%s' needs a 'rate' (or 'stages')", w->name);
        return fl_y_rate(d, rate, "rate", SIM_RATE_MAX, &w->rate_per_s);
    }
    if (rate) return fl_y_error(d, rate, "a closed workload has clients, not a rate");
    if (fl_y_get(d, n, "stages"))
        return fl_y_error(d, fl_y_get(d, n, "stages"),
                          "stages are for open-loop workloads (poisson, constant); a closed "
                          "workload keeps its number of clients");
    if (!clients) return fl_y_error(d, n, "workload '%s' needs 'clients'", w->name);
    long long c;
    if (fl_y_int(d, clients, "clients", 1, SIM_CLIENTS_MAX, &c)) return -1;
    w->clients = (int)c;
    const char *why;
    fl_dist_constant(&w->think_time, 0, &why);
    return think ? sim_load_dist(d, think, "think_time", &w->think_time) : 0;
}

/*
 * The clients' address: what a gateway's ip-restriction and rate limits by
 * ip see (without one they see the workload's name, which is no address).
 */
static int load_address(struct fl_ydoc *d, const yaml_node_t *n, struct sim_workload_cfg *w)
{
    const char *s;
    struct px_cidr c;
    if (!n) return 0;
    if (fl_y_string(d, n, "workload address", &s)) return -1;
    if (px_cidr_parse(s, &c) || strchr(s, '/'))
        return fl_y_error(d, n, "workload address '%s' is not an IPv4 address (a.b.c.d)", s);
    w->address = fl_strdup(s);
    return 0;
}

static int load_workload(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s,
                         size_t idx)
{
    static const char *const keys[] = {
        "name",     "target",  "arrival", "rate", "clients", "think_time", "requests", "retry",
        "locality", "address", "start",   "stop", "stages",  "trace",      "tls",      NULL};
    static const char *const required[] = {"name", "target", "requests", NULL};
    struct sim_workload_cfg *w = &s->workloads[idx];
    const char *name;
    w->target = -1;
    if (fl_y_check_keys(d, n, keys, required, "workload")) return -1;
    yaml_node_t *nn = fl_y_get(d, n, "name");
    if (sim_load_name(d, nn, "workload name", &name)) return -1;
    for (size_t j = 0; j < idx; j++)
        if (!strcmp(s->workloads[j].name, name))
            return fl_y_error(d, nn, "workload '%s' is defined twice", name);
    for (size_t j = 0; j < s->n_services; j++)
        if (!strcmp(s->services[j].name, name))
            return fl_y_error(d, nn, "workload '%s' has the name of a service", name);
    if (!strcmp(name, "gateway"))
        return fl_y_error(d, nn,
                          "'gateway' is reserved for the API gateway; name the workload otherwise");
    w->name = fl_strdup(name);
    if (load_address(d, fl_y_get(d, n, "address"), w)) return -1;
    if (load_target(d, fl_y_get(d, n, "target"), s, w)) return -1;
    if (load_arrival(d, n, w)) return -1;
    if (sim_load_schedule(d, n, w)) return -1;
    yaml_node_t *reqs = fl_y_get(d, n, "requests");
    if (fl_y_want_seq(d, reqs, "requests")) return -1;
    if (SEQ_COUNT(reqs) == 0) return fl_y_error(d, reqs, "requests must list at least one request");
    w->requests = fl_calloc(SEQ_COUNT(reqs), sizeof *w->requests);
    for (size_t i = 0; i < SEQ_COUNT(reqs); i++) {
        w->n_requests = i + 1;
        if (load_request(d, fl_y_node(d, SEQ_ITEMS(reqs)[i]), s, &w->requests[i])) return -1;
        w->weight_total += w->requests[i].weight;
    }
    if (w->weight_total <= 0)
        return fl_y_error(d, reqs, "the request weights add up to 0: no request would be sent");
    /* Client defaults: no timeout, no retries; when retries are set, retry on errors and timeouts.
     */
    sim_retry_defaults(&w->retry);
    yaml_node_t *r = fl_y_get(d, n, "retry");
    if (r && load_retry(d, r, &w->retry)) return -1;
    int traced = 1; /* an instrumented client: its requests carry a trace context */
    yaml_node_t *t = fl_y_get(d, n, "trace");
    if (t && fl_y_bool(d, t, "trace", &traced)) return -1;
    w->untraced = !traced;
    if ((t = fl_y_get(d, n, "tls"))) {
        if (fl_y_bool(d, t, "tls", &w->tls)) return -1;
        if (w->tls && w->target >= 0)
            return fl_y_error(d, t,
                              "tls: a workload speaks TLS to the gateway or the ingress gateway; "
                              "between sidecars it is proxy.tls.mesh");
    }
    yaml_node_t *l = fl_y_get(d, n, "locality");
    return l ? sim_load_locality(d, l, &w->locality) : 0;
}

int sim_load_workloads(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_seq(d, n, "workload")) return -1;
    if (SEQ_COUNT(n) == 0) return fl_y_error(d, n, "workload must list at least one workload");
    if (SEQ_COUNT(n) > SIM_SERVICES_MAX)
        return fl_y_error(d, n, "at most %d workloads", SIM_SERVICES_MAX);
    s->workloads = fl_calloc(SEQ_COUNT(n), sizeof *s->workloads);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        s->n_workloads = i + 1;
        yaml_node_t *w = fl_y_node(d, SEQ_ITEMS(n)[i]);
        if (fl_y_want_map(d, w, "a workload")) return -1;
        if (load_workload(d, w, s, i)) return -1;
    }
    return 0;
}
