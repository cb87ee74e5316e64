/*
 * respcache.c - the in-memory response cache (see respcache.h).
 *
 * An entry is a copy of the response (status, headers, body bytes when
 * the runtime has them, body size) and the time it was stored. The map is
 * looked up by key only: nothing iterates it in an order that could decide
 * behaviour (docs/design.md, Determinism).
 */
#include "proxies/respcache.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

struct entry {
    struct px_msg msg; /* owns its strings (arena) */
    int64_t stored_ns;
};

static void entry_free(void *val, void *arg)
{
    struct entry *e = val;
    (void)arg;
    px_msg_clear(&e->msg);
    free(e);
}

void px_respcache_init(struct px_respcache *c)
{
    memset(c, 0, sizeof *c);
    fl_u64map_init(&c->map);
}

void px_respcache_free(struct px_respcache *c)
{
    fl_u64map_each(&c->map, entry_free, NULL);
    fl_u64map_free(&c->map);
    memset(c, 0, sizeof *c);
}

uint64_t px_respcache_purge(struct px_respcache *c)
{
    uint64_t n = c->entries;
    fl_u64map_each(&c->map, entry_free, NULL);
    fl_u64map_free(&c->map);
    fl_u64map_init(&c->map);
    c->entries = 0;
    FL_ASSERT(fl_u64map_get(&c->map, 1) == NULL);
    return n;
}

int px_respcache_lookup(struct px_respcache *c, struct px_rt *rt, uint64_t key, int64_t now_ns,
                        int64_t ttl_ns, struct px_msg **out, int64_t *age_ns)
{
    FL_ASSERT(key != 0 && ttl_ns >= 0);
    struct entry *e = fl_u64map_get(&c->map, key);
    *out = NULL;
    *age_ns = 0;
    if (!e) return PX_CACHE_MISS;
    FL_ASSERT(now_ns >= e->stored_ns);
    /* Kong: an entry older than cache_ttl cannot satisfy the request ("Refresh") */
    if (now_ns - e->stored_ns >= ttl_ns) return PX_CACHE_REFRESH;
    struct px_msg *m = px_msg_new(rt);
    px_msg_copy(m, &e->msg);
    if (e->msg.body) /* the entry may be replaced while this answer is on its way */
        m->body = (const uint8_t *)px_msg_strdup(m, (const char *)e->msg.body, e->msg.body_bytes);
    *out = m;
    *age_ns = now_ns - e->stored_ns;
    FL_ASSERT(*age_ns < ttl_ns);
    c->hits++;
    return PX_CACHE_HIT;
}

void px_respcache_store(struct px_respcache *c, uint64_t key, const struct px_msg *resp,
                        int64_t now_ns)
{
    FL_ASSERT(key != 0 && resp->status > 0);
    struct entry *e = fl_u64map_get(&c->map, key);
    if (e) {
        px_msg_clear(&e->msg);
    } else {
        e = fl_calloc(1, sizeof *e);
        px_msg_init(&e->msg);
        fl_u64map_put(&c->map, key, e);
        c->entries++;
    }
    FL_ASSERT(c->entries > 0 && fl_u64map_get(&c->map, key) == e);
    px_msg_copy(&e->msg, resp);
    if (resp->body) /* px_msg_copy borrows the body: the entry keeps its own bytes */
        e->msg.body =
            (const uint8_t *)px_msg_strdup(&e->msg, (const char *)resp->body, resp->body_bytes);
    e->msg.flags = 0;
    e->stored_ns = now_ns;
    c->stores++;
}

const char *px_cache_status_name(int status)
{
    switch (status) {
    case PX_CACHE_MISS: return "Miss";
    case PX_CACHE_HIT: return "Hit";
    case PX_CACHE_REFRESH: return "Refresh";
    case PX_CACHE_BYPASS: return "Bypass";
    default: return NULL;
    }
}
