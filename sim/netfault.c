/*
 * netfault.c - rules that lay impairment windows over paths (netfault.h).
 *
 * The active rules live in a list hanging from the world. Adding one
 * walks the existing paths; a path created later gets the rules active
 * then (sim_netfault_on_path). A window covers sends from the instant the
 * rule is added to the rule's until_ns (the fault's end), so
 * retransmissions computed ahead of time past the end get through: the
 * fault heals. Removing a rule takes its windows off every path and gives
 * back the ideal shortcut to paths left with no impairment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/netfault.h"
#include "sim/world.h"

struct sim_netfaults {
    struct sim_netrule *v;
    size_t n, cap;
};

static int in(const uint8_t *set, uint32_t node)
{
    return !set || set[node];
}

static int covers(const struct sim_netrule *r, uint32_t src, uint32_t dst)
{
    FL_ASSERT(r->src || r->dst || r->both_ways); /* a rule on every link is not a fault's */
    if (src == dst) return 0;                    /* loopback within a node */
    if (in(r->src, src) && in(r->dst, dst)) return 1;
    return r->both_ways && in(r->dst, src) && in(r->src, dst);
}

/* Lays r on p's outgoing link if it covers it; 1 if it did. */
static int lay(struct sim_world *w, const struct sim_netrule *r, struct sim_path *p)
{
    if (!covers(r, p->src, p->dst)) return 0;
    struct net_impair win = r->window;
    win.id = r->id;
    char *stream =
        fl_asprintf("netfault/%s/%s/%s", r->name, w->nodes[p->src].name, w->nodes[p->dst].name);
    fl_rng_derive(&win.rng, w->sc->seed, stream);
    free(stream);
    /* more overlapping faults than windows on one link: the extra ones are not laid */
    if (net_impairs_add(&p->out.impair, &win)) return 0;
    sim_path_set_ideal(w, p, 0);
    if (p->back) sim_path_set_ideal(w, p->back, 0);
    return 1;
}

void sim_netfault_on_path(struct sim_world *w, struct sim_path *p)
{
    FL_ASSERT(w && p);
    if (!w->netfaults) return;
    for (size_t i = 0; i < w->netfaults->n; i++) lay(w, &w->netfaults->v[i], p);
}

struct walk {
    struct sim_world *w;
    const struct sim_netrule *r;
    uint64_t id;
};

static void lay_each(void *val, void *arg)
{
    struct walk *k = arg;
    lay(k->w, k->r, val);
}

static void lift_each(void *val, void *arg)
{
    struct walk *k = arg;
    struct sim_path *p = val;
    FL_ASSERT(p->out.impair.n <= NET_IMPAIR_MAX);
    net_impairs_remove(&p->out.impair, k->id);
    if (!p->back) return;
    /* sim/net.c: a path is ideal when both directions are */
    int ideal = net_link_cfg_ideal(&p->out.cfg) && !p->out.impair.n &&
                net_link_cfg_ideal(&p->back->out.cfg) && !p->back->out.impair.n;
    sim_path_set_ideal(k->w, p, ideal);
    sim_path_set_ideal(k->w, p->back, ideal);
}

void sim_netfault_add(struct sim_world *w, struct sim_netrule *r)
{
    FL_ASSERT(w && r && r->name && r->window.until_ns >= r->window.from_ns);
    if (!w->netfaults) w->netfaults = fl_calloc(1, sizeof *w->netfaults);
    struct sim_netfaults *s = w->netfaults;
    FL_GROW(s->v, s->cap, s->n + 1);
    s->v[s->n] = *r;
    struct walk k = {w, &s->v[s->n], r->id};
    s->n++;
    fl_u64map_each(&w->paths, lay_each, &k);
}

void sim_netfault_remove(struct sim_world *w, uint64_t id)
{
    FL_ASSERT(w);
    struct sim_netfaults *s = w->netfaults;
    if (!s) return;
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].id != id) {
            s->v[kept++] = s->v[i];
            continue;
        }
        free(s->v[i].src);
        free(s->v[i].dst);
    }
    s->n = kept;
    FL_ASSERT(s->n <= s->cap);
    struct walk k = {w, NULL, id};
    fl_u64map_each(&w->paths, lift_each, &k);
}

void sim_netfault_free(struct sim_world *w)
{
    struct sim_netfaults *s = w->netfaults;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].src);
        free(s->v[i].dst);
    }
    free(s->v);
    free(s);
    w->netfaults = NULL;
}
