/*
 * rt.h - a proxy of the proxy engine (proxies/proxy.h) running in the
 * simulated world, on the simulator's implementation of the runtime
 * interface (sim/rt.c).
 */
#ifndef FL_SIM_RT_H
#define FL_SIM_RT_H

#include <stdint.h>

#include "base/rng.h"
#include "proxies/proxy.h"
#include "proxies/rt.h"
#include "sim/world.h"

struct sim_work;
struct sim_kv_op;

struct sim_proxy {
    struct px_rt rt; /* first: the engine's runtime is the proxy */
    struct sim_world *w;
    uint32_t node;
    char *name;
    struct fl_rng rng;
    uint32_t workers, busy;
    int64_t cpu_ns; /* CPU time spent so far */
    struct sim_work *queue_head, *queue_tail, *free_work;
    const struct px_proxy_cfg *cfg;
    struct px_proxy *proxy;
    const char *role; /* how results name its clusters ("waypoint"); NULL: by cfg->kind */
    /* requests to counter stores (sim/kv.c) */
    struct sim_kv_op *kv_ops;
    struct fl_rng kv_rng; /* which Redis pod: a stream of its own */
    int kv_rng_ready;
};

/*
 * The runtime alone, for a proxy that is not the engine (ambient mode's
 * ztunnel): its clock, CPU (`workers` threads), stream and connections on
 * node; no listener, not in w->proxies. Free with sim_proxy_free.
 */
struct sim_proxy *sim_rt_new(struct sim_world *w, uint32_t node, const char *name,
                             uint32_t workers);

/*
 * Starts a proxy called `name` on node, listening on port, running cfg
 * (which must outlive it). The world keeps it in w->proxies.
 */
struct sim_proxy *sim_proxy_start(struct sim_world *w, uint32_t node, uint16_t port,
                                  const char *name, const struct px_proxy_cfg *cfg);
void sim_proxy_free(struct sim_proxy *sp);

#endif
