/*
 * kong_build.c - px_kong_build: a Kong declarative configuration, as
 * kong_parse.c read it, built into a gateway proxy configuration (see
 * kong.h).
 *
 * Building: one cluster per enabled service (its upstream's targets with
 * their weights when its host names an upstream, else its host), with
 * Kong's behaviour as Envoy-style settings: retries = service retries on
 * connect failures, resets and timeouts (nginx proxy_next_upstream "error
 * timeout") with no backoff asked for (base and cap 0: the balancer
 * tries again at once), the next attempt avoiding hosts already tried;
 * per-try timeout = read_timeout; connect timeout = connect_timeout; no
 * route timeout; circuit-breaker limits 2^32-1 (Kong has none); no panic.
 * An upstream's passive health checks, when a failure counter is above 0,
 * become outlier detection in Kong's mode (outlier.h: lua-resty-healthcheck's
 * counters; an ejected target stays out "forever", as passive checks never
 * bring a target back - Kong's health-checks-circuit-breakers.md; every
 * target may be ejected; no success-rate or failure-percentage sweep), and
 * its threshold the balancer's minimum healthy weight (lb.h: below it Kong
 * answers 503). Off by default, as in Kong.
 * Routes are ordered as Kong 3's traditional_compatible router orders them
 * (kong/router/transform.lua get_priority, compat.lua): a route with
 * several paths is split into one entry per path (Kong splits by regex and
 * prefix length), then entries sort by (1) how many of methods, hosts,
 * headers, paths are set, (2) hosts without wildcards, (3) the number of
 * headers, (4) regex paths before prefixes, (5) regex_priority among
 * regexes, (6) prefix length among prefixes; ties keep file order (Kong
 * breaks them by route id). Kong matches hosts inside a route; the engine
 * matches them by virtual host: each exact route host becomes a virtual
 * host (first), each "*.suffix" host one after them (longest suffix first),
 * and "*" comes last; each virtual host lists, in Kong's order, the routes
 * whose hosts accept it plus every route without hosts. For each plugin
 * name, the plugin on the route wins over one on its service, which wins
 * over a global one (Kong's plugin iterator); a route's traffic plugins
 * become its policies (edge.h) in Kong's PRIORITY order, highest first.
 *
 * Deliberately not done: Kong's path normalisation, the nginx read_timeout
 * being between two reads rather than per response, Host headers per
 * target.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

/* Kong 3's route priority (kong/router/transform.lua get_priority), field by field. */
struct kprio {
    int weight;      /* how many of methods, hosts, headers, paths are set */
    int plain_hosts; /* hosts without a wildcard */
    int headers;     /* header names, at most 255 */
    int regex;       /* the path is a regex */
    int64_t regex_priority;
    size_t length; /* prefix length */
};

/* One row of Kong's router: a route with one of its paths (SIZE_MAX: it has none). */
struct kentry {
    size_t route, path;
    struct kprio pr;
};

static struct kprio priority(const struct px_kong_route *r, size_t path)
{
    FL_ASSERT(path == SIZE_MAX || path < r->n_paths);
    struct kprio p = {0};
    p.weight = (r->n_methods > 0) + (r->n_hosts > 0) + (r->n_headers > 0) + (r->n_paths > 0);
    p.plain_hosts = r->n_hosts > 0;
    for (size_t i = 0; i < r->n_hosts; i++)
        if (strchr(r->hosts[i], '*')) p.plain_hosts = 0;
    p.headers = r->n_headers > 255 ? 255 : (int)r->n_headers;
    if (path != SIZE_MAX && r->paths[path][0] == '~') {
        p.regex = 1;
        p.regex_priority = r->regex_priority;
    } else if (path != SIZE_MAX) {
        p.length = strlen(r->paths[path]) & 0x7FFFF;
    }
    FL_ASSERT(p.weight <= 4 && (!p.regex || path != SIZE_MAX));
    return p;
}

#define CMP_DESC(x, y)                                                                             \
    if ((x) != (y)) return (x) > (y) ? -1 : 1

/* Kong's order (highest priority first); ties keep the order of the file. */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct kentry *a = pa, *b = pb;
    CMP_DESC(a->pr.weight, b->pr.weight);
    CMP_DESC(a->pr.plain_hosts, b->pr.plain_hosts);
    CMP_DESC(a->pr.headers, b->pr.headers);
    CMP_DESC(a->pr.regex, b->pr.regex);
    CMP_DESC(a->pr.regex_priority, b->pr.regex_priority);
    CMP_DESC(a->pr.length, b->pr.length);
    if (a->route != b->route) return a->route < b->route ? -1 : 1;
    return a->path < b->path ? -1 : a->path > b->path;
}

/* The routes of enabled services, one entry per path, in Kong's order. */
static struct kentry *router_entries(const struct px_kong *k, size_t *n_out)
{
    size_t n = 0, cap = 0;
    struct kentry *e = NULL;
    for (size_t r = 0; r < k->n_routes; r++) {
        const struct px_kong_route *rt = &k->routes[r];
        FL_ASSERT(rt->service >= 0 && (size_t)rt->service < k->n_services);
        if (!k->services[rt->service].enabled) continue; /* Kong skips a disabled service */
        size_t paths = rt->n_paths ? rt->n_paths : 1;
        for (size_t p = 0; p < paths; p++) {
            FL_GROW(e, cap, n + 1);
            e[n].route = r;
            e[n].path = rt->n_paths ? p : SIZE_MAX;
            e[n].pr = priority(rt, e[n].path);
            n++;
        }
    }
    if (n) qsort(e, n, sizeof *e, entry_cmp);
    *n_out = n;
    return e;
}

/* Whether a route host accepts the (exact or "*.suffix") domain of a virtual host. */
static int host_accepts(const char *host, const char *domain)
{
    if (host[0] != '*') return domain[0] != '*' && !strcasecmp(host, domain);
    const char *suffix = host + 1, *d = domain[0] == '*' ? domain + 1 : domain;
    size_t ls = strlen(suffix), ld = strlen(d);
    if (domain[0] == '*') return ld >= ls && !strcasecmp(d + ld - ls, suffix);
    return ld > ls && !strcasecmp(d + ld - ls, suffix);
}

static int route_serves(const struct px_kong_route *r, const char *domain)
{
    if (!r->n_hosts) return 1;
    if (!strcmp(domain, "*")) return 0;
    for (size_t i = 0; i < r->n_hosts; i++)
        if (host_accepts(r->hosts[i], domain)) return 1;
    return 0;
}

static int has_domain(char **v, size_t n, const char *d)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(v[i], d)) return 1;
    return 0;
}

static int wildcard_cmp(const void *pa, const void *pb)
{
    const char *a = *(char *const *)pa, *b = *(char *const *)pb;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return la > lb ? -1 : 1;
    return strcmp(a, b);
}

/* Virtual host domains: exact hosts in order of first use, wildcards longest first, then "*". */
static char **vhost_domains(const struct px_kong *k, const struct kentry *e, size_t n_e,
                            size_t *n_out)
{
    size_t n = 0, cap = 0, first_wild;
    char **v = NULL;
    for (int wild = 0; wild < 2; wild++) {
        first_wild = wild ? n : 0;
        for (size_t i = 0; i < n_e; i++) {
            const struct px_kong_route *r = &k->routes[e[i].route];
            for (size_t h = 0; h < r->n_hosts; h++) {
                if ((r->hosts[h][0] == '*') != wild || has_domain(v, n, r->hosts[h])) continue;
                FL_GROW(v, cap, n + 1);
                v[n++] = fl_strdup(r->hosts[h]);
            }
        }
        if (wild && n > first_wild) qsort(v + first_wild, n - first_wild, sizeof *v, wildcard_cmp);
    }
    FL_GROW(v, cap, n + 1);
    v[n++] = fl_strdup("*");
    *n_out = n;
    return v;
}

/* ---- one route ---- */

/* Escapes the regex metacharacters of a literal (ASCII punctuation). */
static void append_literal(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (; *s; s++) {
        FL_GROW(*buf, *cap, *len + 3);
        if (ispunct((unsigned char)*s)) (*buf)[(*len)++] = '\\';
        (*buf)[(*len)++] = (char)tolower((unsigned char)*s);
        (*buf)[*len] = '\0';
    }
}

/*
 * A Kong header condition: any of the values; a plain value is compared
 * without case, a "~*re" value is searched in the value, both lowercased
 * as Kong does (any(lower(http.headers.x)) ~ lower(re)).
 */
static int header_match(const struct px_kong_header *h, struct px_header_match *out, char **err)
{
    out->name = fl_strdup(h->name);
    if (h->n_values == 1 && strncmp(h->values[0], "~*", 2))
        return px_match_init(&out->m, PX_MATCH_EXACT, h->values[0], 1, err);
    char *re = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < h->n_values; i++) {
        const char *v = h->values[i];
        FL_GROW(re, cap, len + strlen(v) + 32);
        len += (size_t)sprintf(re + len, "%s(?:", i ? "|" : "");
        if (!strncmp(v, "~*", 2)) {
            len += (size_t)sprintf(re + len, "(?s:.*)(?:");
            for (const char *p = v + 2; *p; p++) re[len++] = (char)tolower((unsigned char)*p);
            len += (size_t)sprintf(re + len, ")(?s:.*)");
        } else {
            re[len] = '\0';
            append_literal(&re, &len, &cap, v);
        }
        FL_GROW(re, cap, len + 2);
        re[len++] = ')';
        re[len] = '\0';
    }
    int rc = px_match_init(&out->m, PX_MATCH_REGEX, re, 1, err);
    free(re);
    return rc;
}

static int path_match(const struct px_kong_route *r, size_t path, struct px_match *m, char **err)
{
    if (path == SIZE_MAX) return px_match_init(m, PX_MATCH_ANY, NULL, 0, err);
    const char *p = r->paths[path];
    if (p[0] != '~') return px_match_init(m, PX_MATCH_PREFIX, p, 0, err);
    char *re = px_kong_path_regex(p + 1);
    int rc = px_match_init(m, PX_MATCH_REGEX, re, 0, err);
    free(re);
    return rc;
}

/* Kong's retries: connection errors and timeouts (proxy_next_upstream "error timeout"). */
static void kong_retry(const struct px_kong_service *s, struct px_retry_policy *p)
{
    memset(p, 0, sizeof *p);
    p->retry_on = PX_RETRY_CONNECT_FAILURE | PX_RETRY_RESET | PX_RETRY_TIMEOUT;
    p->num_retries = (uint32_t)s->retries;
    p->per_try_timeout_ns = s->read_timeout_ns;
    p->base_ns = -1; /* the balancer retries at once: no backoff (retry.h) */
    p->max_ns = 0;
    p->previous_hosts = 1; /* the balancer moves on to the next target */
    p->host_selection_attempts = 1;
}

/* How specific plugin p is for route: 3 the route's, 2 its service's, 1 global, 0 not its. */
static int plugin_rank(const struct px_kong *k, const struct px_kong_plugin *p, size_t route)
{
    return p->scope == PX_KONG_GLOBAL                                             ? 1
           : p->scope == PX_KONG_SERVICE && p->target == k->routes[route].service ? 2
           : p->scope == PX_KONG_ROUTE && p->target == (int)route                 ? 3
                                                                                  : 0;
}

/*
 * The plugin of a name that runs on a route: the route's, else its
 * service's, else the global one (Kong's plugin iterator); -1 if none.
 */
static int route_plugin(const struct px_kong *k, size_t route, const char *name)
{
    int best = -1, rank = 0;
    for (size_t i = 0; i < k->n_plugins; i++) {
        int r = strcmp(k->plugins[i].name, name) ? 0 : plugin_rank(k, &k->plugins[i], route);
        if (r > rank) {
            rank = r;
            best = (int)i;
        }
    }
    FL_ASSERT(best < (int)k->n_plugins && (best < 0) == (rank == 0));
    return best;
}

/*
 * The tracing plugin (zipkin or opentelemetry) that covers a route: the
 * most specific of either name, zipkin first at equal scope; -1 if none.
 * route == k->n_routes: the global ones only (requests no route serves).
 */
static int route_tracing(const struct px_kong *k, size_t route)
{
    static const char *const names[] = {"zipkin", "opentelemetry"};
    int best = -1, rank = 0;
    for (size_t i = 0; i < k->n_plugins; i++) {
        const struct px_kong_plugin *p = &k->plugins[i];
        if (strcmp(p->name, names[0]) && strcmp(p->name, names[1])) continue;
        int r = route < k->n_routes ? plugin_rank(k, p, route) : p->scope == PX_KONG_GLOBAL;
        if (r > rank || (r == rank && r && !strcmp(p->name, "zipkin") &&
                         strcmp(k->plugins[best].name, "zipkin"))) {
            rank = r;
            best = (int)i;
        }
    }
    FL_ASSERT(best < 0 || k->plugins[best].trace.enabled);
    return best;
}

/* The rate limit of a route: its rate-limiting plugin's index among the rate limits, or -1. */
static int route_rate_limit(const struct px_kong *k, size_t route)
{
    int best = route_plugin(k, route, "rate-limiting"), idx = 0;
    if (best < 0) return -1;
    for (int i = 0; i < best; i++) idx += !strcmp(k->plugins[i].name, "rate-limiting");
    /* the index among the rate limits build_clusters made, one per rate-limiting plugin */
    FL_ASSERT(!strcmp(k->plugins[best].name, "rate-limiting") && idx <= best);
    return idx;
}

/*
 * The policies of route r: for each modelled plugin name, the most
 * specific plugin, as a copy among out->policies (policy[i]: the copy of
 * plugin i, made once); ordered by Kong's priority, highest first, those
 * above rate-limiting's 910 before the rate limit.
 */
static void route_edges(const struct px_kong *k, size_t r, struct px_proxy_cfg *out, int *policy,
                        struct px_edge_cfg *e)
{
    int prio[16];
    memset(e, 0, sizeof *e);
    for (size_t i = 0; i < k->n_plugins; i++) {
        const struct px_kong_plugin *p = &k->plugins[i];
        if (!p->edge || route_plugin(k, r, p->name) != (int)i) continue;
        if (policy[i] < 0) {
            struct px_edge *copy = fl_calloc(1, sizeof *copy);
            px_edge_copy(copy, p->edge);
            out->policies =
                fl_realloc(out->policies, (out->n_policies + 1) * sizeof *out->policies);
            policy[i] = (int)out->n_policies;
            out->policies[out->n_policies++] = copy;
        }
        FL_ASSERT(policy[i] >= 0 && (size_t)policy[i] < out->n_policies);
        FL_ASSERT(e->n < sizeof prio / sizeof *prio);
        /* insertion by priority, highest first */
        size_t at = e->n;
        px_edge_cfg_push(e, out->policies[policy[i]]);
        while (at > 0 && prio[at - 1] < p->priority) {
            e->v[at] = e->v[at - 1];
            prio[at] = prio[at - 1];
            at--;
        }
        e->v[at] = out->policies[policy[i]];
        prio[at] = p->priority;
    }
    for (size_t i = 0; i < e->n; i++) e->n_early += prio[i] > 910; /* rate-limiting's PRIORITY */
    FL_ASSERT(e->n_early <= e->n);
}

/* The upstream a service's host names, or NULL. */
static const struct px_kong_upstream *service_upstream(const struct px_kong *k,
                                                       const struct px_kong_service *s)
{
    for (size_t i = 0; i < k->n_upstreams; i++)
        if (!strcmp(k->upstreams[i].name, s->host)) return &k->upstreams[i];
    return NULL;
}

/* The Host Kong sends upstream: the service host, with its port unless the default one. */
static char *kong_authority(const struct px_kong *k, const struct px_kong_service *s)
{
    int default_port = s->port == (strcmp(s->protocol, "https") ? 80 : 443);
    if (service_upstream(k, s) || default_port) return fl_strdup(s->host);
    return fl_asprintf("%s:%u", s->host, (unsigned)s->port);
}

/* edge_of_route[r]: 1 + the index of route r's policies among the configuration's edges, or 0. */
static int route_cfg(const struct px_kong *k, const struct kentry *e, const int *svc_cluster,
                     const int *edge_of_route, struct px_route_cfg *rc, char **err)
{
    const struct px_kong_route *r = &k->routes[e->route];
    const struct px_kong_service *s = &k->services[r->service];
    /* router_entries keeps only the routes of enabled services, which have clusters */
    FL_ASSERT(r->service >= 0 && (size_t)r->service < k->n_services &&
              svc_cluster[r->service] >= 0);
    memset(rc, 0, sizeof *rc);
    rc->rate_limit = -1;
    rc->name = r->name ? fl_strdup(r->name) : fl_asprintf("route-%zu", e->route + 1);
    if (path_match(r, e->path, &rc->path, err)) return -1;
    rc->methods = fl_calloc(r->n_methods ? r->n_methods : 1, sizeof *rc->methods);
    for (; rc->n_methods < r->n_methods; rc->n_methods++)
        rc->methods[rc->n_methods] = fl_strdup(r->methods[rc->n_methods]);
    rc->headers = fl_calloc(r->n_headers ? r->n_headers : 1, sizeof *rc->headers);
    for (; rc->n_headers < r->n_headers; rc->n_headers++)
        if (header_match(&r->headers[rc->n_headers], &rc->headers[rc->n_headers], err)) {
            rc->n_headers++;
            return -1;
        }
    rc->dests = fl_calloc(1, sizeof *rc->dests);
    rc->dests[0].cluster = (uint32_t)svc_cluster[r->service];
    rc->dests[0].weight = 100;
    rc->n_dests = 1;
    rc->total_weight = 100;
    rc->has_retry = 1;
    kong_retry(s, &rc->retry);
    rc->strip_path = r->strip_path;
    rc->path_prefix = s->path ? fl_strdup(s->path) : NULL;
    rc->authority = r->preserve_host ? NULL : kong_authority(k, s);
    rc->rate_limit = route_rate_limit(k, e->route);
    rc->edge = (uint32_t)edge_of_route[e->route];
    int t = route_tracing(k, e->route);
    if (t >= 0 && k->plugins[t].scope != PX_KONG_GLOBAL) { /* a global one is the proxy's */
        rc->has_trace = 1;
        rc->trace = k->plugins[t].trace;
    }
    FL_ASSERT(rc->n_methods == r->n_methods && rc->n_headers == r->n_headers);
    return 0;
}

/* ---- clusters ---- */

/* Adds the endpoints of host:port (weight 0: as resolved) to a cluster. */
static int add_endpoints(struct px_cluster_cfg *cl, const struct px_resolver *r, const char *host,
                         uint16_t port, uint32_t weight, const char *owner, const char *at,
                         char **err)
{
    struct px_endpoint_cfg *eps = NULL;
    size_t n = 0;
    char *why = NULL;
    FL_ASSERT(r->resolve && host && err);
    if (r->resolve(r->arg, host, port, &eps, &n, &why)) {
        /* located where the host is written (at: NULL for configurations built in code) */
        *err = fl_asprintf("%s%s%s: cannot resolve '%s': %s", at ? at : "", at ? ": " : "", owner,
                           host, why ? why : "unknown name");
        free(why);
        return -1;
    }
    cl->endpoints = fl_realloc(cl->endpoints, (cl->n_endpoints + n + 1) * sizeof *cl->endpoints);
    for (size_t i = 0; i < n; i++) {
        struct px_endpoint_cfg *ep = &cl->endpoints[cl->n_endpoints++];
        *ep = eps[i];
        /* Kong: every address of a target gets the target's weight */
        if (weight) ep->weight = weight;
        if (!ep->weight) ep->weight = 1;
    }
    free(eps);
    return 0;
}

/* "Forever": far beyond any run, and small enough that twice it plus itself fits in 63 bits. */
#define KONG_FOREVER_NS (INT64_C(1) << 60)

/*
 * Kong's passive health checks as outlier detection (outlier.h, Kong's
 * mode). Nothing of Envoy's runs: no consecutive_* detector, no success
 * rate or failure percentage; every target may be ejected (Kong skips
 * whatever its checker marks unhealthy); an ejection lasts forever and the
 * sweep, which has nothing to do, comes as rarely.
 */
static void kong_outlier(const struct px_kong_upstream *u, struct px_outlier_cfg *o)
{
    memset(o, 0, sizeof *o);
    o->interval_ns = KONG_FOREVER_NS;
    o->base_ejection_ns = o->max_ejection_ns = KONG_FOREVER_NS;
    o->max_ejection_percent = 100;
    o->kong = u->passive;
    FL_ASSERT(o->base_ejection_ns > 0 && o->interval_ns > 0); /* as px_outlier_init needs */
}

static void cluster_defaults(const struct px_kong_service *s, struct px_cluster_cfg *cl)
{
    memset(&cl->lb, 0, sizeof cl->lb);
    cl->lb.policy = PX_LB_ROUND_ROBIN;
    cl->lb.choice_count = 2;
    cl->lb.active_request_bias = 1.0;
    cl->lb.panic_threshold = 0; /* Kong has no panic mode */
    memset(&cl->breaker, 0, sizeof cl->breaker);
    cl->breaker.max_connections = cl->breaker.max_pending = UINT32_MAX; /* Kong has no breakers */
    cl->breaker.max_requests = cl->breaker.max_retries = UINT32_MAX;
    cl->connect_timeout_ns = s->connect_timeout_ns;
}

static int cluster_cfg(const struct px_kong *k, size_t svc, const struct px_resolver *r,
                       struct px_cluster_cfg *cl, char **err)
{
    const struct px_kong_service *s = &k->services[svc];
    FL_ASSERT(svc < k->n_services && s->enabled);
    char owner[160];
    px_kong_describe(owner, sizeof owner, "service", s->name, svc);
    memset(cl, 0, sizeof *cl);
    cl->name = s->name ? fl_strdup(s->name) : fl_asprintf("service-%zu", svc + 1);
    cluster_defaults(s, cl);
    const struct px_kong_upstream *u = service_upstream(k, s);
    if (!u) return add_endpoints(cl, r, s->host, s->port, 0, owner, s->host_at, err);
    cl->lb.policy = u->lb;
    cl->lb.min_healthy_weight = u->threshold;
    if (u->passive.on) {
        cl->has_outlier = 1;
        kong_outlier(u, &cl->outlier);
    }
    for (size_t i = 0; i < u->n_targets; i++) {
        const struct px_kong_target *t = &u->targets[i];
        if (!t->weight) continue; /* Kong: a target of weight 0 takes no traffic */
        if (add_endpoints(cl, r, t->host, t->port, t->weight, owner, t->host_at, err)) return -1;
    }
    /*
     * Kong's least-connections picks the host with the fewest active
     * connections per weight; Envoy's least request compares a sample of
     * choice_count hosts, so the sample is the whole set.
     */
    if (u->lb == PX_LB_LEAST_REQUEST && cl->n_endpoints > 2)
        cl->lb.choice_count = (uint32_t)cl->n_endpoints;
    return 0;
}

/*
 * A rate-limiting plugin's config, with the scope of its counters' keys:
 * Kong's get_local_key puts the plugin's route and service ids there, the
 * EMPTY_UUID for either it is not scoped to (policies/init.lua); faultline
 * names them by name.
 */
static void copy_rl(const struct px_kong *k, const struct px_kong_plugin *p, struct px_rl_cfg *dst)
{
    static const char *const none = "00000000-0000-0000-0000-000000000000";
    px_rl_cfg_copy(dst, &p->rl);
    const char *route = p->scope == PX_KONG_ROUTE ? k->routes[p->target].name : NULL;
    const char *svc = p->scope == PX_KONG_SERVICE ? k->services[p->target].name : NULL;
    FL_ASSERT(p->scope == PX_KONG_GLOBAL || p->target >= 0);
    free(dst->scope);
    dst->scope = fl_asprintf("%s:%s", route ? route : none, svc ? svc : none);
}

/* Policy redis: the Redis host must mean something to the runtime (a service of a scenario). */
static int redis_resolves(const struct px_rl_cfg *rl, const struct px_resolver *r, char **err)
{
    struct px_endpoint_cfg *eps = NULL;
    size_t n = 0;
    char *why = NULL;
    FL_ASSERT(rl->redis.host && r->resolve);
    if (r->resolve(r->arg, rl->redis.host, (uint16_t)rl->redis.port, &eps, &n, &why)) {
        const char *at = rl->redis.host_at;
        *err =
            fl_asprintf("%s%srate-limiting: cannot resolve the redis host '%s': %s", at ? at : "",
                        at ? ": " : "", rl->redis.host, why ? why : "unknown name");
        free(why);
        return -1;
    }
    for (size_t i = 0; i < n; i++) px_endpoint_cfg_free(&eps[i]);
    free(eps);
    return 0;
}

static int build_clusters(const struct px_kong *k, const struct px_resolver *r,
                          struct px_proxy_cfg *out, int *svc_cluster, char **err)
{
    out->clusters = fl_calloc(k->n_services ? k->n_services : 1, sizeof *out->clusters);
    for (size_t i = 0; i < k->n_services; i++) {
        svc_cluster[i] = -1;
        if (!k->services[i].enabled) continue;
        if (cluster_cfg(k, i, r, &out->clusters[out->n_clusters], err)) {
            out->n_clusters++;
            return -1;
        }
        svc_cluster[i] = (int)out->n_clusters++;
    }
    FL_ASSERT(out->n_clusters <= k->n_services);
    out->rate_limits = fl_calloc(k->n_plugins ? k->n_plugins : 1, sizeof *out->rate_limits);
    for (size_t i = 0; i < k->n_plugins; i++) {
        if (strcmp(k->plugins[i].name, "rate-limiting")) continue;
        struct px_rl_cfg *rl = &out->rate_limits[out->n_rate_limits++];
        copy_rl(k, &k->plugins[i], rl);
        if (rl->policy == PX_RL_REDIS && redis_resolves(rl, r, err)) return -1;
    }
    FL_ASSERT(out->n_rate_limits <= k->n_plugins);
    return 0;
}

/* Every route's policies (edge_of_route[r]: 1 + index in out->edges, 0 when it has none). */
static void build_edges(const struct px_kong *k, struct px_proxy_cfg *out, int *edge_of_route)
{
    int *policy = fl_calloc(k->n_plugins + 1, sizeof *policy);
    for (size_t i = 0; i < k->n_plugins; i++) policy[i] = -1;
    out->edges = fl_calloc(k->n_routes + 1, sizeof *out->edges);
    for (size_t r = 0; r < k->n_routes; r++) {
        struct px_edge_cfg e;
        route_edges(k, r, out, policy, &e);
        if (!e.n) {
            px_edge_cfg_free(&e);
            continue;
        }
        out->edges[out->n_edges++] = e;
        edge_of_route[r] = (int)out->n_edges;
    }
    FL_ASSERT(out->n_edges <= k->n_routes);
    free(policy);
}

static int build_vhost(const struct px_kong *k, const struct kentry *e, size_t n_e,
                       const int *svc_cluster, const int *edge_of_route, char *domain,
                       struct px_vhost_cfg *vh, char **err)
{
    vh->name = fl_strdup(domain);
    vh->domains = fl_calloc(1, sizeof *vh->domains);
    vh->domains[0] = domain;
    vh->n_domains = 1;
    vh->routes = fl_calloc(n_e ? n_e : 1, sizeof *vh->routes);
    FL_ASSERT(domain && vh->n_routes == 0);
    for (size_t i = 0; i < n_e; i++) {
        if (!route_serves(&k->routes[e[i].route], domain)) continue;
        if (route_cfg(k, &e[i], svc_cluster, edge_of_route, &vh->routes[vh->n_routes++], err))
            return -1;
    }
    return 0;
}

int px_kong_build(const struct px_kong *k, const char *name, const struct px_resolver *r,
                  struct px_proxy_cfg *out, char **err)
{
    FL_ASSERT(k && name && r && out && err);
    memset(out, 0, sizeof *out);
    out->name = fl_strdup(name);
    out->kind = PX_PROXY_GATEWAY;
    px_cost_default(&out->cost);
    out->workers = 1;
    int t = route_tracing(k, k->n_routes); /* global plugins run on requests no route serves */
    if (t >= 0) out->trace = k->plugins[t].trace;
    int *svc_cluster = fl_calloc(k->n_services ? k->n_services : 1, sizeof *svc_cluster);
    size_t n_e = 0, n_d = 0, d = 0;
    struct kentry *e = NULL;
    char **domains = NULL;
    int *edge_of_route = fl_calloc(k->n_routes + 1, sizeof *edge_of_route);
    int rc = build_clusters(k, r, out, svc_cluster, err);
    if (!rc) build_edges(k, out, edge_of_route);
    if (!rc) {
        e = router_entries(k, &n_e);
        domains = vhost_domains(k, e, n_e, &n_d);
        out->vhosts = fl_calloc(n_d, sizeof *out->vhosts);
        for (; d < n_d && !rc; d++)
            rc = build_vhost(k, e, n_e, svc_cluster, edge_of_route, domains[d],
                             &out->vhosts[out->n_vhosts++], err);
    }
    /* built: one virtual host per domain */
    FL_ASSERT(rc || (d == n_d && out->n_vhosts == n_d));
    for (; d < n_d; d++) free(domains[d]); /* the rest, after an error */
    free(domains);
    free(e);
    free(svc_cluster);
    free(edge_of_route);
    if (rc) px_proxy_cfg_free(out);
    return rc;
}
