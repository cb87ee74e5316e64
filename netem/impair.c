/*
 * impair.c - windows of added delay and loss over a link (see impair.h).
 * Windows compose: their delays add, and a packet survives only if every
 * window covering it lets it through (independent draws, in the order the
 * windows were added).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "netem/impair.h"

int net_impairs_add(struct net_impairs *s, const struct net_impair *w)
{
    FL_ASSERT(s && w && w->from_ns <= w->until_ns);
    FL_ASSERT(w->delay_ns >= 0 && w->jitter_ns >= 0 && w->loss >= 0.0 && w->loss <= 1.0);
    if (s->n == NET_IMPAIR_MAX) return -1;
    if (!s->v) s->v = fl_calloc(NET_IMPAIR_MAX, sizeof *s->v);
    s->v[s->n++] = *w;
    return 0;
}

void net_impairs_remove(struct net_impairs *s, uint64_t id)
{
    FL_ASSERT(s && s->n <= NET_IMPAIR_MAX && (s->v || !s->n));
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->v[i].id != id) continue;
        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof s->v[0]);
        s->n--;
        return;
    }
}

void net_impairs_free(struct net_impairs *s)
{
    FL_ASSERT(s && (s->v || !s->n));
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* Uniform on [delay - jitter, delay + jitter], as netem's tabledist() without a table. */
static int64_t window_delay(struct net_impair *w)
{
    if (w->jitter_ns == 0) return w->delay_ns;
    uint64_t span = (uint64_t)(2 * w->jitter_ns) + 1;
    int64_t d = w->delay_ns - w->jitter_ns + (int64_t)fl_rng_below(&w->rng, span);
    return d < 0 ? 0 : d;
}

int net_impairs_apply(struct net_impairs *s, int64_t send_ns, int64_t *add_ns)
{
    FL_ASSERT(s && add_ns);
    *add_ns = 0;
    int kept = 1;
    for (uint32_t i = 0; i < s->n; i++) {
        struct net_impair *w = &s->v[i];
        if (send_ns < w->from_ns || send_ns >= w->until_ns) continue;
        /* loss 1 draws nothing: a partition is the same whatever the seed */
        if (w->loss >= 1.0 || (w->loss > 0.0 && fl_rng_chance(&w->rng, w->loss))) kept = 0;
        if (kept) *add_ns += window_delay(w);
    }
    if (!kept) s->lost++;
    FL_ASSERT(*add_ns >= 0);
    return kept;
}
