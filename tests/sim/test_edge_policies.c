/*
 * test_edge_policies.c - Kong's traffic plugins on the simulated request
 * path (scenarios/edge-policies.yaml): proxy-cache answers at the gateway
 * so that only misses reach a pod, request-size-limiting's 413 and cors's
 * preflight answers never reach one, and the observers are listed in the
 * summary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_edge_policies(void);

#define SCENARIO "scenarios/edge-policies.yaml"

static const struct rpt_stats *route(const struct rpt_run *r, size_t i)
{
    CU_ASSERT_FATAL(i < r->n_routes);
    return &r->routes[i];
}

/*
 * 6000 GETs over three paths at 100/s; the service takes 20 ms. The first
 * request of each path misses; a request of the same path arriving while
 * that miss is on its way misses too (requests come every 10 ms, so at
 * most two per path within 20 ms); every later one is a hit. So the pods
 * serve between 3 and 6 requests, and nothing else: the uploads get 413
 * and the preflights 200 from the gateway.
 */
static void test_edge_policies_cache_hits_never_reach_a_pod(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r));
    CU_ASSERT_EQUAL_FATAL(r.n_routes, 5);
    uint64_t gets = route(&r, 0)->count + route(&r, 1)->count + route(&r, 2)->count;
    CU_ASSERT_EQUAL(gets, 6000);
    CU_ASSERT_EQUAL(route(&r, 0)->outcomes[200] + route(&r, 1)->outcomes[200] +
                        route(&r, 2)->outcomes[200],
                    6000);
    CU_ASSERT_EQUAL_FATAL(r.n_services, 1);
    uint64_t served = r.services[0].st.count;
    CU_ASSERT(served >= 3 && served <= 6);
    CU_ASSERT_EQUAL(route(&r, 3)->count, 60);
    CU_ASSERT_EQUAL(route(&r, 3)->outcomes[413], 60);
    CU_ASSERT_EQUAL(route(&r, 4)->count, 600);
    CU_ASSERT_EQUAL(route(&r, 4)->outcomes[200], 600);
    /* every GET not served by a pod was a hit; each pod answer was stored */
    CU_ASSERT_EQUAL(r.cache_hits, gets - served);
    CU_ASSERT_EQUAL(r.cache_stores, served);
    CU_ASSERT_EQUAL_FATAL(r.n_observers, 1);
    CU_ASSERT_STRING_EQUAL(r.observers[0], "prometheus");
    rpt_run_free(&r);
}

/* Without the plugins every request reaches a pod, and nothing is listed. */
static void test_edge_policies_without_plugins_every_request_reaches_a_pod(void)
{
    static const char *const text =
        "faultline: 1\n"
        "name: plain\n"
        "seed: 7\n"
        "duration: 10s\n"
        "services:\n"
        "  - {name: catalog, replicas: 2, workers: 8, service_time: 20ms,"
        " content_type: application/json}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - name: catalog\n"
        "      url: http://catalog:80\n"
        "      routes: [{name: items, paths: [/items], strip_path: false}]\n"
        "workload:\n"
        "  - {name: browser, target: gateway, arrival: constant, rate: 100/s,"
        " requests: [{path: /items/1}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(route(&r, 0)->count, 1000);
    CU_ASSERT_EQUAL(r.services[0].st.count, 1000);
    CU_ASSERT_EQUAL(r.n_observers, 0);
    rpt_run_free(&r);
}

/*
 * ip-restriction sees each workload's address: office (10.1.0.7, in the
 * allowed 10.1.0.0/16) passes, partner (10.2.0.9) gets Kong's 403, and a
 * workload without an address cannot be identified (403 too).
 */
static void test_edge_policies_ip_restriction_by_workload_address(void)
{
    static const char *const text =
        "faultline: 1\n"
        "name: ips\n"
        "seed: 3\n"
        "duration: 10s\n"
        "services:\n"
        "  - {name: catalog, workers: 8, service_time: 1ms}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - name: catalog\n"
        "      url: http://catalog:80\n"
        "      routes: [{name: items, paths: [/]}]\n"
        "  plugins: [{name: ip-restriction, config: {allow: [10.1.0.0/16]}}]\n"
        "workload:\n"
        "  - {name: office, address: 10.1.0.7, target: gateway, arrival: constant, rate: 10/s,"
        " requests: [{path: /office}]}\n"
        "  - {name: partner, address: 10.2.0.9, target: gateway, arrival: constant, rate: 10/s,"
        " requests: [{path: /partner}]}\n"
        "  - {name: nameless, target: gateway, arrival: constant, rate: 10/s,"
        " requests: [{path: /nameless}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL_FATAL(r.n_routes, 3);
    CU_ASSERT_EQUAL(route(&r, 0)->outcomes[200], 100);
    CU_ASSERT_EQUAL(route(&r, 1)->outcomes[403], 100);
    CU_ASSERT_EQUAL(route(&r, 2)->outcomes[403], 100);
    CU_ASSERT_EQUAL(r.services[0].st.count, 100); /* only the office's reached a pod */
    rpt_run_free(&r);
}

void suite_edge_policies(void)
{
    TEST_SUITE("sim/edge_policies");
    TEST_ADD(test_edge_policies_cache_hits_never_reach_a_pod);
    TEST_ADD(test_edge_policies_without_plugins_every_request_reaches_a_pod);
    TEST_ADD(test_edge_policies_ip_restriction_by_workload_address);
}
