/*
 * test_ztunnel.c - ambient mode's L4 node proxy (proxies/ztunnel.c) on the
 * simulator's runtime: load balancing per connection (requests on a kept
 * connection stay on one pod; new connections spread), and its costs per
 * connection and per message, exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_ztunnel(void);

/* caller (one pod) calls callee (three pods); CLIENTS closed-loop clients with THINK time. */
#define CALLER_CALLEE(clients, think, callee_time)                                                 \
    "faultline: 1\n"                                                                               \
    "duration: 2s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - {name: callee, replicas: 3, workers: 1000, service_time: " callee_time "}\n"              \
    "  - {name: caller, workers: 1000, service_time: 0ms, calls: [{service: callee}]}\n"           \
    "mesh: {mode: ambient}\n"                                                                      \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: closed, clients: " clients ", think_time: " think      \
    ",\n"                                                                                          \
    "     requests: [{path: /x}]}\n"

static const struct rpt_service *service(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_services; i++)
        if (!strcmp(r->services[i].st.name, name)) return &r->services[i];
    return NULL;
}

static const struct rpt_cluster *cluster(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strcmp(r->clusters[i].name, name)) return &r->clusters[i];
    return NULL;
}

/* Pods of callee that served at least one request. */
static int pods_used(const struct rpt_service *s)
{
    int n = 0;
    for (size_t i = 0; i < s->n_pods; i++) n += s->pods[i].count > 0;
    return n;
}

/*
 * One client, one request at a time: the caller keeps its connection to
 * callee's address, so its ztunnel's tunnel, so the pod chosen when the
 * tunnel opened: every request lands on that one pod. A sidecar balances
 * each request (least request, P2C) and uses all three.
 */
static void test_ztunnel_requests_on_a_kept_connection_stay_on_one_pod(void)
{
    static const char *const text = CALLER_CALLEE("1", "1ms", "1ms");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_service *callee = service(&r, "callee");
    CU_ASSERT_FATAL(callee != NULL);
    CU_ASSERT(callee->st.count > 500); /* ~2 ms a round: ~1000 requests */
    CU_ASSERT_EQUAL(pods_used(callee), 1);
    const struct rpt_cluster *zt = cluster(&r, "ztunnel outbound callee");
    CU_ASSERT_FATAL(zt != NULL);
    CU_ASSERT_EQUAL(zt->rq_total, callee->st.count);
    rpt_run_free(&r);

    static const char *const sidecar[] = {"mesh.mode=sidecar"};
    RUN_OR_RETURN(test_run_text(text, sidecar, 1, &r));
    CU_ASSERT_EQUAL(pods_used(service(&r, "callee")), 3);
    rpt_run_free(&r);
}

/*
 * 300 requests at once open 300 connections; each picks a pod uniformly
 * at random: a pod's share is Binomial(300, 1/3), mean 100, sigma 8.2;
 * the bound is 5 sigma.
 */
static void test_ztunnel_new_connections_spread_over_the_pods(void)
{
    static const char *const text = CALLER_CALLEE("300", "1h", "100ms");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_service *callee = service(&r, "callee");
    CU_ASSERT_FATAL(callee != NULL && callee->n_pods == 3);
    CU_ASSERT_EQUAL(callee->st.count, 300);
    for (size_t i = 0; i < 3; i++) ASSERT_ABS(callee->pods[i].count, 100, 41);
    rpt_run_free(&r);
}

/*
 * Costs, on an ideal network with applications that take no time: the
 * first request opens three connections through ztunnels (the client's to
 * caller, caller's tunnel out, the tunnel into callee's node: 60 us each)
 * and crosses six ztunnel hops (30 us each): 360 us. Later requests reuse
 * them: 180 us.
 */
static void test_ztunnel_costs_per_connection_and_per_message(void)
{
    static const char *const text = CALLER_CALLEE("1", "10ms", "0ms");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT(r.all.count > 100);
    ASSERT_ABS(r.all.hist.max, 360e3, 1e3);
    ASSERT_ABS(r.all.hist.min, 180e3, 1e3);
    rpt_run_free(&r);
}

void suite_ztunnel(void)
{
    TEST_SUITE("proxies/ztunnel");
    TEST_ADD(test_ztunnel_requests_on_a_kept_connection_stay_on_one_pod);
    TEST_ADD(test_ztunnel_new_connections_spread_over_the_pods);
    TEST_ADD(test_ztunnel_costs_per_connection_and_per_message);
}
