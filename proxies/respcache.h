/*
 * respcache.h - a response cache in memory, as Kong's proxy-cache plugin
 * keeps it with strategy "memory" (kong/plugins/proxy-cache/strategies/
 * memory.lua): responses stored whole under a key, with the time they were
 * stored; an entry older than the plugin's cache_ttl is stale (Kong's
 * "Refresh") and is replaced by the next response stored under its key.
 * Used by the engine in both runtimes: in the simulator a body is only a
 * size, live it is the bytes.
 *
 * Not here: which requests and responses may be cached (edge.c decides,
 * with Kong's rules), eviction under memory pressure (Kong's shared dict
 * evicts least recently used entries when full; the cache here grows),
 * the redis strategy.
 */
#ifndef FL_PROXIES_RESPCACHE_H
#define FL_PROXIES_RESPCACHE_H

#include <stdint.h>

#include "base/u64map.h"
#include "proxies/http.h"
#include "proxies/rt.h"

/* Kong's X-Cache-Status values. */
enum px_cache_status {
    PX_CACHE_MISS = 1,
    PX_CACHE_HIT,
    PX_CACHE_REFRESH,
    PX_CACHE_BYPASS,
};

struct px_respcache {
    struct fl_u64map map;
    uint64_t entries, hits, stores;
};

void px_respcache_init(struct px_respcache *c);
void px_respcache_free(struct px_respcache *c);

/*
 * Looks key up: PX_CACHE_HIT with *out a new copy of the stored response
 * (caller owns it, made with rt) and *age_ns its age, when it is younger
 * than ttl_ns; PX_CACHE_REFRESH when stale; PX_CACHE_MISS when absent.
 */
int px_respcache_lookup(struct px_respcache *c, struct px_rt *rt, uint64_t key, int64_t now_ns,
                        int64_t ttl_ns, struct px_msg **out, int64_t *age_ns);

/* Stores a copy of resp under key (key != 0), replacing any entry. */
void px_respcache_store(struct px_respcache *c, uint64_t key, const struct px_msg *resp,
                        int64_t now_ns);

/*
 * Removes every entry (Kong's Admin API `DELETE /proxy-cache`, which purges
 * the whole cache); returns how many there were. Hits and stores stay.
 */
uint64_t px_respcache_purge(struct px_respcache *c);

/* "X-Cache-Status" text of a status ("Miss", "Hit"...). */
const char *px_cache_status_name(int status);

#endif
