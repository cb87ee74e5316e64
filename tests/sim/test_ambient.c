/*
 * test_ambient.c - Istio ambient mode in the world (sim/ambient.c,
 * sim/load_ambient.c): L7 policy applies at a waypoint and only there,
 * with exact counts; the warnings for resources no waypoint applies; the
 * section's errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "sim/scenario.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_ambient(void);

/*
 * callee fails every request with 503; its VirtualService retries 5xx 3
 * times. Five clients send one request each. AMBIENT is the mesh.ambient
 * section.
 */
#define FAILING_CALLEE(ambient)                                                                    \
    "faultline: 1\n"                                                                               \
    "duration: 1s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - {name: callee, replicas: 2, workers: 100, service_time: 1ms,\n"                           \
    "     errors: {rate: 100%, status: 503}}\n"                                                    \
    "  - {name: caller, workers: 100, service_time: 1ms, calls: [{service: callee}]}\n"            \
    "mesh:\n"                                                                                      \
    "  mode: ambient\n" ambient "  resources:\n"                                                   \
    "    - apiVersion: networking.istio.io/v1beta1\n"                                              \
    "      kind: VirtualService\n"                                                                 \
    "      metadata: {name: callee-retries}\n"                                                     \
    "      spec:\n"                                                                                \
    "        hosts: [callee]\n"                                                                    \
    "        http:\n"                                                                              \
    "          - route: [{destination: {host: callee}}]\n"                                         \
    "            retries: {attempts: 3, retryOn: 5xx}\n"                                           \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: closed, clients: 5, think_time: 1h,\n"                 \
    "     requests: [{path: /x}]}\n"

static const char *const with_waypoint =
    FAILING_CALLEE("  ambient: {waypoints: [{name: callee-wp, for: [callee]}]}\n");
static const char *const without_waypoint = FAILING_CALLEE("");

static const struct rpt_service *service(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_services; i++)
        if (!strcmp(r->services[i].st.name, name)) return &r->services[i];
    return NULL;
}

static const struct rpt_cluster *cluster(const struct rpt_run *r, const char *prefix)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strncmp(r->clusters[i].name, prefix, strlen(prefix))) return &r->clusters[i];
    return NULL;
}

/*
 * With a waypoint for callee each request is tried 1 + 3 times (20 at the
 * pods, 15 retries at the waypoint), as with sidecars; without one the
 * VirtualService does not apply (ztunnel is L4) and each is tried once.
 */
static void test_ambient_retries_happen_only_at_a_waypoint(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(with_waypoint, NULL, 0, &r));
    CU_ASSERT_EQUAL(service(&r, "callee")->st.count, 20);
    CU_ASSERT_EQUAL(service(&r, "caller")->st.count, 5);
    CU_ASSERT_EQUAL(service(&r, "caller")->st.errors, 5);
    const struct rpt_cluster *wp = cluster(&r, "waypoint ");
    CU_ASSERT_FATAL(wp != NULL);
    CU_ASSERT_EQUAL(wp->rq_total, 20);
    CU_ASSERT_EQUAL(wp->rq_retry, 15);
    rpt_run_free(&r);

    RUN_OR_RETURN(test_run_text(without_waypoint, NULL, 0, &r));
    CU_ASSERT_EQUAL(service(&r, "callee")->st.count, 5);
    CU_ASSERT_EQUAL(service(&r, "caller")->st.errors, 5);
    CU_ASSERT(cluster(&r, "waypoint ") == NULL);
    CU_ASSERT_EQUAL(cluster(&r, "ztunnel outbound callee")->rq_total, 5);
    CU_ASSERT_EQUAL(r.n_warnings, 1); /* the summary names the VirtualService */
    CU_ASSERT(r.n_warnings && strstr(r.warnings[0], "'callee-retries' is not applied"));
    rpt_run_free(&r);

    static const char *const sidecar[] = {"mesh.mode=sidecar"};
    RUN_OR_RETURN(test_run_text(with_waypoint, sidecar, 1, &r));
    CU_ASSERT_EQUAL(service(&r, "callee")->st.count, 20);
    rpt_run_free(&r);
}

/*
 * Pods share their node's ztunnel and its workers. Two services of one pod
 * each, one request each at time 0, applications that take no time, a
 * ztunnel of one worker spending 1 ms per message: on separate nodes each
 * request takes 2 ms (its request, then its response); on one node the
 * four messages queue for the one worker (FIFO: request, request,
 * response, response), so the requests take 3 and 4 ms.
 */
static void test_ambient_pods_on_one_node_share_its_ztunnel(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 1s\n"
        "services:\n"
        "  - {name: a, service_time: 0ms}\n"
        "  - {name: b, service_time: 0ms}\n"
        "mesh:\n"
        "  mode: ambient\n"
        "  ambient: {ztunnel: {cost: 1ms, connection_cost: 0ms, workers: 1}}\n"
        "workload:\n"
        "  - {name: ca, target: a, arrival: closed, clients: 1, think_time: 1h,\n"
        "     requests: [{path: /a}]}\n"
        "  - {name: cb, target: b, arrival: closed, clients: 1, think_time: 1h,\n"
        "     requests: [{path: /b}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 2);
    ASSERT_ABS(r.all.hist.min, 2e6, 1e3);
    ASSERT_ABS(r.all.hist.max, 2e6, 1e3);
    rpt_run_free(&r);
    static const char *const one_node[] = {"mesh.ambient.nodes=1"};
    RUN_OR_RETURN(test_run_text(text, one_node, 1, &r));
    CU_ASSERT_EQUAL(r.all.count, 2);
    ASSERT_ABS(r.all.hist.min, 3e6, 1e3);
    ASSERT_ABS(r.all.hist.max, 4e6, 1e3);
    rpt_run_free(&r);
}

/*
 * The gateway's calls to a mesh service leave through the ztunnel of its
 * own node, which tunnels them to the pods: every request the gateway
 * sends is carried by a ztunnel and reaches a pod, and Kong's one endpoint
 * is the service's address (per-connection balancing then spreads the
 * gateway's few kept connections over the pods).
 */
static void test_ambient_gateway_leaves_through_its_ztunnel(void)
{
    static const char *const sets[] = {"mesh.mode=ambient", "duration=5s"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/gateway-mesh.yaml", sets, 2, &r));
    const struct rpt_cluster *gw = cluster(&r, "gateway ");
    const struct rpt_cluster *zt = cluster(&r, "ztunnel outbound orders");
    const struct rpt_service *orders = service(&r, "orders");
    CU_ASSERT_FATAL(gw && zt && orders);
    CU_ASSERT(gw->rq_total > 1000);
    CU_ASSERT_EQUAL(zt->rq_total, gw->rq_total);
    CU_ASSERT_EQUAL(cluster(&r, "ztunnel inbound")->rq_total, gw->rq_total);
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT(cluster(&r, "sidecar ") == NULL);
    rpt_run_free(&r);
}

static int load(const char *text, struct sim_scenario *sc, char **err)
{
    *err = NULL;
    return sim_scenario_load_buffer("amb.yaml", text, strlen(text), NULL, 0, NULL, sc, err);
}

static int has_warning(const struct sim_scenario *sc, const char *part)
{
    for (size_t i = 0; i < sc->istio.n_warnings; i++)
        if (strstr(sc->istio.warnings[i], part)) return 1;
    return 0;
}

/* Istio ambient: L7 policy needs a waypoint; one not applied is named once. */
static void test_ambient_warns_of_a_virtualservice_without_waypoint(void)
{
    struct sim_scenario sc;
    char *err;
    CU_ASSERT_FATAL(load(without_waypoint, &sc, &err) == 0);
    CU_ASSERT_EQUAL(sc.istio.n_warnings, 1);
    CU_ASSERT(has_warning(&sc, "VirtualService 'callee-retries' is not applied: service 'callee' "
                               "has no waypoint"));
    sim_scenario_free(&sc);
    CU_ASSERT_FATAL(load(with_waypoint, &sc, &err) == 0);
    CU_ASSERT_EQUAL(sc.istio.n_warnings, 0);
    sim_scenario_free(&sc);
}

static void test_ambient_section_errors_are_located(void)
{
    struct sim_scenario sc;
    char *err;
    static const char *const typo =
        FAILING_CALLEE("  ambient: {waypoints: [{name: wp, for: [calee]}]}\n");
    CU_ASSERT_FATAL(load(typo, &sc, &err) == -1);
    CU_ASSERT(strstr(err, "amb.yaml:9:") && strstr(err, "unknown service 'calee' (did you mean "
                                                        "'callee'?)"));
    free(err);
    static const char *const twice = FAILING_CALLEE(
        "  ambient: {waypoints: [{name: a, for: [callee]}, {name: b, for: [callee]}]}\n");
    CU_ASSERT_FATAL(load(twice, &sc, &err) == -1);
    CU_ASSERT(strstr(err, "service 'callee' already has a waypoint") != NULL);
    free(err);
    static const char *const key = FAILING_CALLEE("  ambient: {node: 3}\n");
    CU_ASSERT_FATAL(load(key, &sc, &err) == -1);
    CU_ASSERT(strstr(err, "'node'") && strstr(err, "nodes"));
    free(err);
}

void suite_ambient(void)
{
    TEST_SUITE("sim/ambient");
    TEST_ADD(test_ambient_retries_happen_only_at_a_waypoint);
    TEST_ADD(test_ambient_pods_on_one_node_share_its_ztunnel);
    TEST_ADD(test_ambient_gateway_leaves_through_its_ztunnel);
    TEST_ADD(test_ambient_warns_of_a_virtualservice_without_waypoint);
    TEST_ADD(test_ambient_section_errors_are_located);
}
