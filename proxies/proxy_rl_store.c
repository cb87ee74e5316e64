/*
 * proxy_rl_store.c - Kong's rate-limiting with policy redis: the request
 * waits while the proxy asks the counter store (the runtime's kv_incr,
 * rt.h) to count it in the current window of each limited period, then
 * goes on, is refused (429), or -- the store failing -- goes through
 * unchecked or is refused with 500 (fault_tolerant).
 *
 * Kong (kong/plugins/rate-limiting/handler.lua access, policies/init.lua
 * redis usage): get_usage asks Redis for each period; on an error, "if not
 * fault_tolerant then return error(err) end" -- Kong's error handler
 * answers 500 {"message":"An unexpected error occurred"} -- else it logs
 * "failed to get usage" and proxies the request without the rate limit's
 * headers. Redis's timeout (config.redis.timeout, ms) bounds the wait.
 * Here the periods' keys go to the store as one request (a pipeline).
 *
 * A wait outlives its stream when the proxy goes away first: the runtime
 * answers every request exactly once, and an orphaned wait is then freed.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/proxy_internal.h"

struct px_rl_wait {
    struct px_rl_wait *prev, *next; /* the proxy's list (while it has the proxy) */
    struct px_proxy *p;             /* NULL: orphaned */
    struct stream *s;
    size_t n;
    int periods[PX_RL_PERIODS];
    struct px_timer timer; /* answers "unreachable" when the runtime has no store */
};

static void answered(struct px_rt *rt, void *arg, int status, const int64_t *values)
{
    struct px_rl_wait *w = arg;
    (void)rt;
    if (!w->p) { /* the proxy went away meanwhile */
        free(w);
        return;
    }
    struct px_proxy *p = w->p;
    struct stream *s = w->s;
    LIST_DEL(p->rl_waits, w);
    FL_ASSERT(s && s->has_rl && s->in_work);
    struct px_rl *rl = &p->rls[s->rl_index];
    enum px_rl_outcome out;
    if (status == PX_OK) {
        int64_t usage[PX_RL_PERIODS] = {0};
        for (size_t i = 0; i < w->n; i++) usage[w->periods[i]] = values[i] > 0 ? values[i] : 0;
        out = px_rl_decide(rl, usage, px_now(p->rt), &s->rl) ? PX_RL_GO : PX_RL_REFUSE;
    } else {
        int pass = px_rl_store_failed(rl, &s->rl);
        px_proxy_event(p, PX_EV_RL_STORE, NULL, NULL, pass);
        out = pass ? PX_RL_GO : PX_RL_FAIL;
    }
    free(w);
    px_stream_rl_answered(s, out);
}

static void no_store(struct px_rt *rt, void *arg)
{
    answered(rt, arg, PX_ECONNREFUSED, NULL);
}

void px_rl_store_ask(struct stream *s, struct px_rl *rl, const char *identifier)
{
    struct px_proxy *p = s->p;
    FL_ASSERT(rl->cfg.policy == PX_RL_REDIS && rl->cfg.redis.host && s->in_work);
    struct px_rl_wait *w = fl_calloc(1, sizeof *w);
    char *keys[PX_RL_PERIODS];
    int64_t expire_s[PX_RL_PERIODS];
    w->p = p;
    w->s = s;
    w->n = px_rl_keys(rl, identifier, px_now(p->rt), keys, w->periods, expire_s);
    LIST_ADD(p->rl_waits, w);
    if (!p->rt->ops->kv_incr) {
        px_timer_init(p->rt, &w->timer, no_store, w);
        px_timer_arm(p->rt, &w->timer, px_now(p->rt));
    } else {
        const struct px_rl_redis *r = &rl->cfg.redis;
        struct px_kv_store st = {r->host, r->port, r->database, r->username, r->password};
        struct px_kv_req req = {&st, r->timeout_ms * 1000000, w->n, (const char *const *)keys,
                                expire_s};
        p->rt->ops->kv_incr(p->rt, &req, answered, w);
    }
    for (size_t i = 0; i < w->n; i++) free(keys[i]);
}

void px_rl_store_orphan_all(struct px_proxy *p)
{
    while (p->rl_waits) {
        struct px_rl_wait *w = p->rl_waits;
        LIST_DEL(p->rl_waits, w);
        FL_ASSERT(w->p == p);
        if (!p->rt->ops->kv_incr) { /* our own timer: nobody else will answer */
            px_timer_cancel(p->rt, &w->timer);
            free(w);
            continue;
        }
        w->p = NULL;
        w->s = NULL;
    }
}
