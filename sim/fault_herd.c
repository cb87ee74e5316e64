/*
 * fault_herd.c - the `herd` fault: every key of a cache expires now, and
 * the requests that follow all miss at once (the thundering herd).
 *
 *   {herd: {service: billing, cache: sessions}}  every key of the service's
 *       cache (sim/cache.h) expires: the next lookup of each misses and,
 *       without coalescing, every concurrent miss of a key calls the miss
 *       path;
 *   {herd: {gateway: proxy-cache}}  the gateway's Kong proxy-cache is
 *       purged (as Kong's Admin API `DELETE /proxy-cache` does,
 *       kong/plugins/proxy-cache/api.lua): every
 *       cached response is gone, and the proxy-cache, which does not
 *       coalesce, sends every request for a purged key upstream until one
 *       response is stored again.
 *
 * The fault acts at its start; `for` changes nothing (keys refill as
 * requests come). The event log gets a `herd` entry with the number of
 * keys (entries) that were valid. The chaos monkey does not draw it.
 */
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "proxies/proxy.h"
#include "sim/cache.h"
#include "sim/load_internal.h"
#include "sim/rt.h"
#include "sim/world.h"

struct herd_params {
    int service; /* the service whose cache expires, or -1: the gateway's proxy-cache */
};

static int has_proxy_cache(const struct sim_scenario *sc)
{
    for (size_t i = 0; sc->has_gateway && i < sc->kong.n_plugins; i++)
        if (!strcmp(sc->kong.plugins[i].name, "proxy-cache")) return 1;
    return 0;
}

static int load_gateway(struct fl_ydoc *d, const yaml_node_t *g, const struct sim_scenario *sc,
                        struct herd_params *p)
{
    static const char *const caches[] = {"proxy-cache", NULL};
    const char *v;
    if (fl_y_string(d, g, "herd.gateway", &v)) return -1;
    if (strcmp(v, "proxy-cache")) {
        const char *hint = fl_did_you_mean(v, caches);
        return hint ? fl_y_error(d, g, "herd.gateway: unknown cache '%s' (did you mean '%s'?)", v,
                                 hint)
                    : fl_y_error(d, g,
                                 "herd.gateway: the gateway's cache is 'proxy-cache', not '%s'", v);
    }
    if (!has_proxy_cache(sc))
        return fl_y_error(d, g, "herd.gateway: the gateway has no proxy-cache plugin");
    p->service = -1;
    return 0;
}

static int herd_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                     const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"service", "cache", "gateway", NULL};
    (void)item;
    struct herd_params *p = f->params;
    FL_ASSERT(p != NULL && f->kind == SIM_FAULT_HERD);
    f->target.service = f->target.version = f->target.pod = -1;
    if (fl_y_want_map(d, n, "herd") || fl_y_check_keys(d, n, keys, NULL, "herd")) return -1;
    yaml_node_t *g = fl_y_get(d, n, "gateway"), *c = fl_y_get(d, n, "cache"), *x;
    if (g && (fl_y_get(d, n, "service") || c))
        return fl_y_error(d, n, "herd: 'gateway', or 'service' and 'cache', not both");
    if (g) return load_gateway(d, g, sc, p);
    if (!fl_y_get(d, n, "service") || !c)
        return fl_y_error(d, n, "herd needs 'service' and 'cache' (or 'gateway: proxy-cache')");
    if ((x = fl_y_get(d, n, "version")) || (x = fl_y_get(d, n, "pod")))
        return fl_y_error(d, x, "herd: a cache is the whole service's");
    if (sim_fault_load_target(d, n, sc, &f->target)) return -1;
    p->service = f->target.service;
    const struct sim_cache_cfg *cache = sc->services[p->service].cache;
    const char *name;
    if (fl_y_string(d, c, "herd.cache", &name)) return -1;
    if (!cache) return fl_y_error(d, c, "service '%s' has no cache", sc->services[p->service].name);
    if (strcmp(name, cache->name)) {
        const char *names[] = {cache->name, NULL};
        const char *hint = fl_did_you_mean(name, names);
        return hint ? fl_y_error(d, c, "service '%s' has no cache '%s' (did you mean '%s'?)",
                                 sc->services[p->service].name, name, hint)
                    : fl_y_error(d, c, "service '%s' has no cache '%s' (its cache is '%s')",
                                 sc->services[p->service].name, name, cache->name);
    }
    return 0;
}

static void herd_subject(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                         size_t size)
{
    const struct herd_params *p = f->params;
    FL_ASSERT(p->service < 0 || sc->services[p->service].cache != NULL);
    if (p->service < 0)
        snprintf(buf, size, "gateway proxy-cache");
    else
        snprintf(buf, size, "%s cache %s", sc->services[p->service].name,
                 sc->services[p->service].cache->name);
}

static void herd_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct herd_params *p = f->params;
    snprintf(buf, size, "%s", p->service < 0 ? "every response purged" : "every key expires");
}

static void herd_start(struct sim_world *w, const struct sim_fault *f)
{
    const struct herd_params *p = f->params;
    char subject[256];
    uint64_t n;
    herd_subject(w->sc, f, subject, sizeof subject);
    if (p->service < 0) {
        FL_ASSERT(w->gateway != NULL);
        n = px_proxy_cache_purge(w->gateway->proxy);
    } else {
        FL_ASSERT((size_t)p->service < w->sc->n_services && w->caches[p->service].cfg);
        n = sim_cache_expire_all(&w->caches[p->service], sim_now(&w->k));
    }
    sim_log_add(&w->log, sim_now(&w->k), "herd", subject, "%llu %s", (unsigned long long)n,
                p->service < 0 ? "entries purged" : "keys expired");
}

static void herd_stop(struct sim_world *w, const struct sim_fault *f)
{
    (void)w;
    (void)f; /* expired keys refill as requests come: nothing to undo */
}

const struct sim_fault_kind sim_fault_herd = {
    .name = "herd",
    .params_size = sizeof(struct herd_params),
    .exclusive = 0,
    .load = herd_load,
    .subject = herd_subject,
    .describe = herd_describe,
    .draw = NULL,
    .start = herd_start,
    .stop = herd_stop,
};
