/*
 * kv.h - Redis in the simulated world, for Kong's rate-limiting policy
 * redis (proxies/proxy_rl_store.c): the counters a Redis pod keeps, and
 * the gateway's side of a request to it (px_rt_ops.kv_incr of sim/rt.c).
 *
 * Redis is a service of the scenario like any other, named by the
 * plugin's redis host: its pods queue, serve (service_time, workers) and
 * fail (faults) as any pod does. A request is one message over the
 * modelled network, method EVAL, a header per key (x-redis-key-<i>:
 * "<expire_s> <key>"); the pod answers after its service time with the
 * counts before the increment (x-redis-value-<i>). A pod's counters live
 * as long as its process: a killed pod comes back empty (Redis without
 * persistence).
 */
#ifndef FL_SIM_KV_H
#define FL_SIM_KV_H

#include <stdint.h>

#include "proxies/rt.h"

struct sim_world;
struct sim_proxy;
struct sim_pod;
struct px_msg;

/* 1 if m is a request to a counter store. */
int sim_kv_is_request(const struct px_msg *m);

/*
 * A pod answers a counter request at now_ns: increments its counters and
 * writes the counts before into resp.
 */
void sim_kv_serve(struct sim_world *w, struct sim_pod *pod, const struct px_msg *req,
                  struct px_msg *resp);

/* The pod's process died: its counters are gone. */
void sim_kv_pod_reset(struct sim_pod *pod);

/* px_rt_ops.kv_incr for a proxy of the simulator (rt.h has the contract). */
void sim_kv_request(struct sim_proxy *sp, const struct px_kv_req *req, px_kv_cb cb, void *arg);

/* The proxy goes away: its requests still waiting are answered PX_ECLOSED. */
void sim_kv_proxy_free(struct sim_proxy *sp);

#endif
