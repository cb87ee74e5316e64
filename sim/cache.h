/*
 * cache.h - a cache a service answers from (`cache:` of a service), and
 * the thundering herd it can cause.
 *
 * The cache sits in the app and is shared by the service's pods (a
 * memcached or Redis the service reads through). A request picks a key by
 * popularity (Zipf with exponent s over `keys` keys, or uniform) and, once
 * a worker takes it, spends hit_time looking it up:
 *  - hit (the key was stored and its TTL has not run out): answered 200;
 *  - miss: the app calls the miss path (`miss: {service, method, path}`),
 *    stores the key for ttl * (1 + u), u uniform in [-ttl_jitter,
 *    +ttl_jitter], when the answer is not an error, and answers with the
 *    miss path's status;
 *  - with `coalesce: true`, a miss on a key whose fill is under way waits
 *    for that fill and answers with its status (single flight per key, as
 *    Go's golang.org/x/sync/singleflight and Varnish's request coalescing
 *    do; memcache's leases, Nishtala et al. NSDI'13 section 3.2.1, give
 *    the same one-filler-per-key guarantee across clients).
 * The worker is held throughout, waits included. The service's own
 * service_time is not drawn for its requests and it makes no `calls:`.
 *
 * `warm: true` stores every key at t = 0 (with ttl_jitter 0 they all
 * expire together at t = ttl: the synchronized expiry). The `herd` fault
 * (sim/fault_herd.c) expires every key at once.
 *
 * Not here: the app's request flow (sim/app.c), the gateway's proxy-cache
 * (proxies/respcache.c).
 */
#ifndef FL_SIM_CACHE_H
#define FL_SIM_CACHE_H

#include <stdint.h>

#include "base/zipf.h"
#include "reports/results.h"
#include "sim/scenario.h"

#define SIM_CACHE_KEYS_MAX       1000000 /* per cache */
#define SIM_CACHE_KEYS_TOTAL_MAX 4000000 /* in all: about 28 bytes each while the run goes */

struct sim_cache_cfg {
    char *name;
    uint64_t keys;
    double zipf_s; /* popularity exponent; 0: uniform */
    int64_t ttl_ns;
    double ttl_jitter;        /* fraction of ttl, in [0, 1) */
    int64_t hit_ns;           /* the lookup's time, hit or miss */
    struct sim_call_cfg miss; /* the fill; miss.service resolved to an index */
    int coalesce, warm;
};

void sim_cache_cfg_free(struct sim_cache_cfg *c);

/* A request waiting on another's fill (coalesce), linked through its job. */
struct sim_cache_wait {
    struct sim_cache_wait *next;
};

/* One service's cache while the run goes. */
struct sim_cache {
    const struct sim_cache_cfg *cfg;
    struct fl_zipf zipf;
    struct fl_rng rng;   /* keys and TTL jitter, a stream of its own */
    int64_t *expires_ns; /* per key: when the stored value expires; INT64_MIN: never stored */
    uint32_t *filling;   /* per key: fills under way */
    struct sim_cache_wait **waiting; /* per key (coalesce): requests waiting on the fill */
    struct rpt_cache *stats;
    int64_t warmup_ns;
};

enum sim_cache_outcome { SIM_CACHE_HIT, SIM_CACHE_FILL, SIM_CACHE_WAIT };

/* Builds the cache of cfg, counting into stats (warm: every key stored at now_ns). */
void sim_cache_init(struct sim_cache *c, const struct sim_cache_cfg *cfg, uint64_t seed,
                    const char *service, int64_t warmup_ns, struct rpt_cache *stats);
void sim_cache_free(struct sim_cache *c);

/* The key of a new request. */
uint64_t sim_cache_key(struct sim_cache *c);

/*
 * Looks key up at now_ns. HIT: answer. FILL: the caller fetches it and calls
 * sim_cache_filled. WAIT (coalesce): wait was queued behind the fill under
 * way and comes back from sim_cache_filled.
 */
enum sim_cache_outcome sim_cache_lookup(struct sim_cache *c, uint64_t key, int64_t now_ns,
                                        struct sim_cache_wait *wait);

/*
 * A fill of key ended at now_ns with status (0: no answer): stores the key
 * unless it is an error; returns the requests that waited on it.
 */
struct sim_cache_wait *sim_cache_filled(struct sim_cache *c, uint64_t key, int64_t now_ns,
                                        int status);

/* Every stored key expires at now_ns (the `herd` fault); returns how many were valid. */
uint64_t sim_cache_expire_all(struct sim_cache *c, int64_t now_ns);

#endif
