/*
 * netfault.h - network faults laid over the simulated network: a rule
 * says which packets (from a set of nodes to a set of nodes, optionally
 * both ways) get an impairment window (netem/impair.h: added delay,
 * jitter, loss) while a fault is active. Rules apply to the paths that
 * exist when the fault starts and to those created while it is active.
 *
 * Packets within a node (an app and its sidecar, over loopback) are never
 * affected. A path a rule touches leaves the "ideal" shortcut of sim/net.c
 * (no TCP model) for as long as a window lies on it, so loss is
 * retransmitted and delays add exactly.
 *
 * Not here: the kinds of fault and their parameters (sim/fault_net.c).
 */
#ifndef FL_SIM_NETFAULT_H
#define FL_SIM_NETFAULT_H

#include <stdint.h>

#include "netem/impair.h"

struct sim_world;
struct sim_path;

/* Packets from a node with src[node] set to a node with dst[node] set (NULL: any node). */
struct sim_netrule {
    uint64_t id;              /* removes it (sim_netfault_remove); several rules may share one */
    const char *name;         /* the fault's name: the windows' random streams derive from it */
    uint8_t *src, *dst;       /* w->n_nodes flags each, or NULL; the rule owns them */
    int both_ways;            /* also from dst to src */
    struct net_impair window; /* id and rng are set per link */
};

/* Lays the rule (taken over) on every matching path, now and until it is removed. */
void sim_netfault_add(struct sim_world *w, struct sim_netrule *r);
/* Lifts every rule with this id. */
void sim_netfault_remove(struct sim_world *w, uint64_t id);
/* A new path: lays the active rules on it (sim/net.c calls it). */
void sim_netfault_on_path(struct sim_world *w, struct sim_path *p);
/* Frees the rules (end of run). */
void sim_netfault_free(struct sim_world *w);

#endif
