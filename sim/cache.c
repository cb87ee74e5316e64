/*
 * cache.c - a service's cache while the run goes (sim/cache.h): keys drawn
 * by popularity, lookups against per-key expiry times, fills stored with
 * a jittered TTL, single flight per key when coalescing, and the counters.
 *
 * Expiry is lazy: a key is expired when a lookup finds its time passed
 * (counted then, as `expirations`), like memcached, which checks an item's
 * exptime when it is read.
 */
#include "sim/cache.h"

#include <stdlib.h>

#include "base/alloc.h"
#include "base/assert.h"

/* ttl * (1 + u), u uniform in [-jitter, +jitter]. */
static int64_t draw_ttl(struct sim_cache *c)
{
    const struct sim_cache_cfg *cfg = c->cfg;
    if (cfg->ttl_jitter == 0) return cfg->ttl_ns;
    double u = (2 * fl_rng_unit(&c->rng) - 1) * cfg->ttl_jitter;
    int64_t ttl = (int64_t)((double)cfg->ttl_ns * (1 + u) + 0.5);
    FL_ASSERT(ttl > 0);
    return ttl;
}

void sim_cache_init(struct sim_cache *c, const struct sim_cache_cfg *cfg, uint64_t seed,
                    const char *service, int64_t warmup_ns, struct rpt_cache *stats)
{
    FL_ASSERT(cfg->keys >= 1 && cfg->keys <= SIM_CACHE_KEYS_MAX && cfg->ttl_ns > 0);
    c->cfg = cfg;
    c->stats = stats;
    c->warmup_ns = warmup_ns;
    fl_zipf_init(&c->zipf, cfg->keys, cfg->zipf_s);
    char *stream = fl_asprintf("cache/%s/%s", service, cfg->name);
    fl_rng_derive(&c->rng, seed, stream);
    free(stream);
    c->expires_ns = fl_malloc(cfg->keys * sizeof *c->expires_ns);
    c->filling = fl_calloc(cfg->keys, sizeof *c->filling);
    c->waiting = cfg->coalesce ? fl_calloc(cfg->keys, sizeof *c->waiting) : NULL;
    for (uint64_t k = 0; k < cfg->keys; k++)
        c->expires_ns[k] = cfg->warm ? draw_ttl(c) : INT64_MIN; /* warm: stored at t = 0 */
}

void sim_cache_free(struct sim_cache *c)
{
    fl_zipf_free(&c->zipf);
    free(c->expires_ns);
    free(c->filling);
    free(c->waiting);
}

uint64_t sim_cache_key(struct sim_cache *c)
{
    return fl_zipf_draw(&c->zipf, &c->rng);
}

/* Counts a fill started at now_ns in its 100 ms tick. */
static void count_fill(struct sim_cache *c, int64_t now_ns, int overlapping)
{
    struct rpt_cache *s = c->stats;
    s->fills++;
    s->overlapping += (uint64_t)overlapping;
    size_t tick = (size_t)(now_ns / RPT_CACHE_TICK_NS);
    if (tick >= s->n_ticks) { /* up to the last fill's tick: at most one growth per tick */
        size_t n = tick + 1;
        s->ticks = fl_realloc(s->ticks, n * sizeof *s->ticks);
        for (size_t t = s->n_ticks; t < n; t++) s->ticks[t] = 0;
        s->n_ticks = n;
    }
    s->ticks[tick]++;
}

enum sim_cache_outcome sim_cache_lookup(struct sim_cache *c, uint64_t key, int64_t now_ns,
                                        struct sim_cache_wait *wait)
{
    FL_ASSERT(key < c->cfg->keys && now_ns >= 0);
    int counted = now_ns >= c->warmup_ns;
    struct rpt_cache *s = c->stats;
    if (c->expires_ns[key] > now_ns) {
        s->hits += (uint64_t)counted;
        return SIM_CACHE_HIT;
    }
    if (counted) {
        s->misses++;
        s->expirations += c->expires_ns[key] != INT64_MIN;
    }
    if (c->filling[key] && c->cfg->coalesce) {
        /* single flight: wait for the fill under way (golang.org/x/sync/singleflight Do) */
        wait->next = c->waiting[key];
        c->waiting[key] = wait;
        s->coalesced += (uint64_t)counted;
        return SIM_CACHE_WAIT;
    }
    if (counted) count_fill(c, now_ns, c->filling[key] > 0);
    c->filling[key]++;
    return SIM_CACHE_FILL;
}

struct sim_cache_wait *sim_cache_filled(struct sim_cache *c, uint64_t key, int64_t now_ns,
                                        int status)
{
    FL_ASSERT(key < c->cfg->keys && c->filling[key] > 0);
    c->filling[key]--;
    /* an error is not stored: the next lookup misses again */
    if (status && !rpt_outcome_is_error(status)) c->expires_ns[key] = now_ns + draw_ttl(c);
    if (!c->waiting) return NULL;
    FL_ASSERT(c->filling[key] == 0); /* coalescing: one fill per key at a time */
    struct sim_cache_wait *w = c->waiting[key];
    c->waiting[key] = NULL;
    return w;
}

uint64_t sim_cache_expire_all(struct sim_cache *c, int64_t now_ns)
{
    uint64_t valid = 0;
    for (uint64_t k = 0; k < c->cfg->keys; k++) {
        if (c->expires_ns[k] <= now_ns) continue;
        c->expires_ns[k] = now_ns;
        valid++;
    }
    FL_ASSERT(valid <= c->cfg->keys);
    return valid;
}
