/*
 * load_cache.c - reads a service's `cache:` (sim/cache.h): its name, key
 * count and popularity, TTL and jitter, lookup time, miss path, and the
 * coalesce and warm switches. The miss path's service is resolved once
 * every service is known.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/cache.h"
#include "sim/load_internal.h"

#define ZIPF_S_MAX 10.0

void sim_cache_cfg_free(struct sim_cache_cfg *c)
{
    if (!c) return;
    free(c->name);
    sim_call_cfg_free(&c->miss);
    free(c);
}

/* popularity: uniform | {zipf: S} */
static int load_popularity(struct fl_ydoc *d, const yaml_node_t *n, struct sim_cache_cfg *c)
{
    static const char *const keys[] = {"zipf", NULL};
    if (n->type == YAML_SCALAR_NODE) {
        if (!strcmp(fl_y_str(n), "uniform")) return 0;
        return fl_y_error(d, n, "popularity is 'uniform' or {zipf: EXPONENT}, not '%s'",
                          fl_y_str(n));
    }
    if (fl_y_check_keys(d, n, keys, keys, "popularity")) return -1;
    yaml_node_t *s = fl_y_get(d, n, "zipf");
    if (fl_y_double(d, s, "popularity.zipf (the exponent)", 0, ZIPF_S_MAX, &c->zipf_s)) return -1;
    if (c->zipf_s <= 0) return fl_y_error(d, s, "popularity.zipf must be above 0 (use 'uniform')");
    return 0;
}

/* miss: {service, method, path}; the service is resolved later (sim_resolve_caches). */
static int load_miss(struct fl_ydoc *d, const yaml_node_t *n, struct sim_call_cfg *call)
{
    static const char *const keys[] = {"service", "method", "path", NULL};
    static const char *const required[] = {"service", NULL};
    const char *method = "GET", *path = "/", *svc;
    yaml_node_t *x;
    if (fl_y_check_keys(d, n, keys, required, "cache.miss")) return -1;
    if (fl_y_string(d, fl_y_get(d, n, "service"), "cache.miss.service", &svc)) return -1;
    if ((x = fl_y_get(d, n, "method")) && sim_load_method(d, x, &method)) return -1;
    if ((x = fl_y_get(d, n, "path")) && sim_load_path(d, x, &path)) return -1;
    call->service = -1;
    call->method = fl_strdup(method);
    call->path = fl_strdup(path);
    return 0;
}

static int load_fields(struct fl_ydoc *d, const yaml_node_t *n, struct sim_cache_cfg *c)
{
    yaml_node_t *x;
    const char *name;
    long long keys;
    if (sim_load_name(d, fl_y_get(d, n, "name"), "cache name", &name)) return -1;
    c->name = fl_strdup(name);
    if (fl_y_int(d, fl_y_get(d, n, "keys"), "cache.keys", 1, SIM_CACHE_KEYS_MAX, &keys)) return -1;
    c->keys = (uint64_t)keys;
    if ((x = fl_y_get(d, n, "popularity")) && load_popularity(d, x, c)) return -1;
    if (fl_y_duration(d, fl_y_get(d, n, "ttl"), "cache.ttl", 1, SIM_DURATION_MAX, &c->ttl_ns))
        return -1;
    if ((x = fl_y_get(d, n, "ttl_jitter"))) {
        if (fl_y_fraction(d, x, "cache.ttl_jitter", &c->ttl_jitter)) return -1;
        if (c->ttl_jitter >= 1) return fl_y_error(d, x, "cache.ttl_jitter must be below 100%%");
    }
    c->hit_ns = 200000; /* 200us: a round trip to a memcached on the same network */
    if ((x = fl_y_get(d, n, "hit_time")) &&
        fl_y_duration(d, x, "cache.hit_time", 0, SIM_DURATION_MAX, &c->hit_ns))
        return -1;
    if (load_miss(d, fl_y_get(d, n, "miss"), &c->miss)) return -1;
    if ((x = fl_y_get(d, n, "coalesce")) && fl_y_bool(d, x, "cache.coalesce", &c->coalesce))
        return -1;
    if ((x = fl_y_get(d, n, "warm")) && fl_y_bool(d, x, "cache.warm", &c->warm)) return -1;
    FL_ASSERT(c->ttl_jitter >= 0 && c->ttl_jitter < 1 && c->zipf_s >= 0);
    return 0;
}

int sim_load_cache(struct fl_ydoc *d, const yaml_node_t *n, struct sim_service_cfg *svc)
{
    static const char *const keys[] = {"name",     "keys", "popularity", "ttl",  "ttl_jitter",
                                       "hit_time", "miss", "coalesce",   "warm", NULL};
    static const char *const required[] = {"name", "keys", "ttl", "miss", NULL};
    FL_ASSERT(svc->name && svc->n_versions >= 1);
    if (fl_y_want_map(d, n, "cache")) return -1;
    if (fl_y_check_keys(d, n, keys, required, "cache")) return -1;
    for (size_t v = 0; v < svc->n_versions; v++)
        if (svc->versions[v].n_calls)
            return fl_y_error(d, n,
                              "service '%s' answers from its cache and the cache's miss path: it "
                              "cannot also have calls",
                              svc->name);
    svc->cache = fl_calloc(1, sizeof *svc->cache);
    return load_fields(d, n, svc->cache);
}

int sim_resolve_caches(struct fl_ydoc *d, const yaml_node_t *list, struct sim_scenario *s)
{
    const char **names = fl_calloc(s->n_services + 1, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) names[i] = s->services[i].name;
    int rc = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < s->n_services && !rc; i++) {
        if (!s->services[i].cache) continue;
        yaml_node_t *sn = fl_y_node(d, SEQ_ITEMS(list)[i]);
        total += s->services[i].cache->keys;
        if (total > SIM_CACHE_KEYS_TOTAL_MAX) {
            rc = fl_y_error(d, fl_y_get(d, fl_y_get(d, sn, "cache"), "keys"),
                            "the caches hold more than %d keys in all", SIM_CACHE_KEYS_TOTAL_MAX);
            break;
        }
        yaml_node_t *mn = fl_y_get(d, fl_y_get(d, fl_y_get(d, sn, "cache"), "miss"), "service");
        const char *callee = fl_y_str(mn);
        size_t j = 0;
        while (j < s->n_services && strcmp(names[j], callee)) j++;
        if (j < s->n_services) {
            s->services[i].cache->miss.service = (int)j;
            continue;
        }
        const char *hint = fl_did_you_mean(callee, names);
        rc = hint ? fl_y_error(d, mn, "unknown service '%s' (did you mean '%s'?)", callee, hint)
                  : fl_y_error(d, mn, "unknown service '%s'", callee);
    }
    free(names);
    return rc;
}
