/*
 * test_pods.c - the pod lifecycle faults in whole runs (sim/fault_pods.c,
 * sim/pods.c, sim/endpoints.c, proxies/hostset.c), on a scenario worked
 * out by hand: 100 requests/s at constant intervals into one front pod
 * whose sidecar sends each to api (2 pods, 10 ms of work) round robin
 * (exact alternation), 1 ms each way on every link, retries off. So half
 * the calls of any whole second go to api-1, and every figure is exact.
 */
#include <stdio.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_pods(void);

#define S INT64_C(1000000000)

#define BIT_UF 1 /* PX_FLAG_UF's bit: upstream connection failure (refused) */
#define BIT_UC 6 /* PX_FLAG_UC's bit: upstream connection termination (reset) */

#define MESH(REPLICAS)                                                                             \
    "faultline: 1\n"                                                                               \
    "duration: 30s\n"                                                                              \
    "network: {delay: 1ms}\n"                                                                      \
    "services:\n"                                                                                  \
    "  - {name: api, replicas: " REPLICAS ", workers: 100, service_time: 10ms}\n"                  \
    "  - {name: front, workers: 100, service_time: 0ms, calls: [{service: api, path: /a}]}\n"      \
    "mesh:\n"                                                                                      \
    "  mode: sidecar\n"                                                                            \
    "  resources:\n"                                                                               \
    "    - apiVersion: networking.istio.io/v1beta1\n"                                              \
    "      kind: DestinationRule\n"                                                                \
    "      metadata: {name: api}\n"                                                                \
    "      spec: {host: api, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}\n"              \
    "    - apiVersion: networking.istio.io/v1beta1\n"                                              \
    "      kind: VirtualService\n"                                                                 \
    "      metadata: {name: api}\n"                                                                \
    "      spec: {hosts: [api], http: [{route: [{destination: {host: api}}], retries: "            \
    "{attempts: 0}}]}\n"                                                                           \
    "workload:\n"                                                                                  \
    "  - {name: c, target: front, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"

static uint64_t pod_count(const struct rpt_run *r, const char *name)
{
    for (size_t s = 0; s < r->n_services; s++)
        for (size_t p = 0; p < r->services[s].n_pods; p++)
            if (!strcmp(r->services[s].pods[p].name, name)) return r->services[s].pods[p].count;
    CU_FAIL("no such pod");
    return 0;
}

/* Responses the sidecars' cluster towards api answered with flag bit (UF, UC). */
static uint64_t api_flag(const struct rpt_run *r, int bit)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (strstr(r->clusters[i].name, "outbound|80||api")) return r->clusters[i].flags[bit];
    CU_FAIL("no cluster towards api");
    return 0;
}

/* A kill of api-1 at 10 s with kubernetes: {KUBE}, restart_after RESTART ("" for none). */
static int run_kill(const char *kube, const char *restart, struct rpt_run *r)
{
    char text[4096];
    snprintf(text, sizeof text,
             MESH("2") "kubernetes: {%s}\n"
                       "faults:\n"
                       "  - {name: crash, at: 10s, kill: {pod: api-1}%s}\n",
             kube, restart);
    return test_run_text(text, NULL, 0, r);
}

/*
 * Killed at 10 s, api-1 stays in the endpoints for endpoint_delay: the
 * calls sent to it meanwhile (half of 100 a second) are refused (UF),
 * none after. The one call it was serving at 10 s is reset (UC). Its
 * count: the 500 calls of [0, 10 s) but the lost one.
 */
static void test_pods_kill_stale_endpoint_refused_until_withdrawn(void)
{
    static const struct {
        const char *kube;
        uint64_t refused;
    } cases[] = {
        {"endpoint_delay: 1s", 50}, {"endpoint_delay: 2s", 100}, {"endpoint_delay: 0s", 0}};
    for (size_t i = 0; i < 3; i++) {
        struct rpt_run r;
        RUN_OR_RETURN(run_kill(cases[i].kube, "", &r));
        CU_ASSERT_EQUAL(r.all.count, 3000);
        CU_ASSERT_EQUAL(api_flag(&r, BIT_UF), cases[i].refused);
        CU_ASSERT_EQUAL(api_flag(&r, BIT_UC), 1);
        CU_ASSERT_EQUAL(r.all.errors, cases[i].refused + 1);
        CU_ASSERT_EQUAL(r.all.outcomes[503], cases[i].refused + 1);
        CU_ASSERT_EQUAL(pod_count(&r, "api-1"), 499);
        const struct rpt_event *stop = test_timeline_entry(&r, "pod-stop", 0),
                               *ep = test_timeline_entry(&r, "endpoint", 0);
        CU_ASSERT_FATAL(stop && ep);
        CU_ASSERT_EQUAL(stop->at_ns, 10 * S);
        CU_ASSERT_EQUAL(ep->at_ns, 10 * S + (int64_t)(cases[i].refused / 50) * S);
        CU_ASSERT_STRING_EQUAL(ep->detail, "removed from the endpoints");
        CU_ASSERT_EQUAL(test_timeline_count(&r, "pod-start"),
                        0); /* no restart_after: gone for good */
        rpt_run_free(&r);
    }
}

/*
 * restart_after 2 s, readiness_delay 3 s, endpoint_delay 1 s: the
 * replacement starts at 12 s, is Ready at 15 s and in the endpoints at
 * 16 s, and the first call reaches it then: it serves half of the 1400
 * calls of [16 s, 30 s). With readiness 4 s it gets in at 17 s: 650.
 * Nothing fails but the kill's own (the replacement is never hit early).
 */
static void test_pods_replacement_serves_after_readiness_and_propagation(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(run_kill("endpoint_delay: 1s, readiness_delay: 3s", ", restart_after: 2s", &r));
    const struct rpt_event *start = test_timeline_entry(&r, "pod-start", 0),
                           *ready = test_timeline_entry(&r, "pod-ready", 0),
                           *in = test_timeline_entry(&r, "endpoint", 1);
    CU_ASSERT_FATAL(start && ready && in);
    CU_ASSERT_EQUAL(start->at_ns, 12 * S);
    CU_ASSERT_EQUAL(ready->at_ns, 15 * S);
    CU_ASSERT_EQUAL(in->at_ns, 16 * S);
    CU_ASSERT_STRING_EQUAL(in->detail, "added to the endpoints");
    CU_ASSERT_EQUAL(pod_count(&r, "api-1"), 499 + 700);
    CU_ASSERT_EQUAL(r.all.errors, 51);
    /* the fault lasts until the replacement is Ready: 10 s + 2 s + 3 s */
    const struct rpt_event *end = test_timeline_entry(&r, "fault-end", 0);
    CU_ASSERT(end && end->at_ns == 15 * S);
    rpt_run_free(&r);

    RUN_OR_RETURN(run_kill("endpoint_delay: 1s, readiness_delay: 4s", ", restart_after: 2s", &r));
    CU_ASSERT_EQUAL(pod_count(&r, "api-1"), 499 + 650);
    CU_ASSERT_EQUAL(r.all.errors, 51);
    rpt_run_free(&r);
}

/* A graceful restart of api-1 at 10 s with kubernetes: {KUBE}. */
static int run_restart(const char *kube, struct rpt_run *r)
{
    char text[4096];
    snprintf(text, sizeof text,
             MESH("2") "kubernetes: {%s}\n"
                       "faults:\n"
                       "  - {name: bounce, at: 10s, restart: {pod: api-1}}\n",
             kube);
    return test_run_text(text, NULL, 0, r);
}

/*
 * Kill against graceful restart, retries off. The kill fails 51 requests
 * (above). A graceful restart whose preStop sleep covers the endpoint
 * delay fails none: withdrawn at 11 s, SIGTERM at 11 s, the last call
 * finished, the pod exits with nothing in flight. Without the sleep the
 * pod exits at once (10.01 s, its last call done) while still in the
 * endpoints: the calls sent to it until 11 s are refused (the race), and
 * none is reset.
 */
static void test_pods_graceful_restart_fails_nothing_kill_does(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(run_restart("endpoint_delay: 1s, prestop_delay: 1s, readiness_delay: 3s", &r));
    CU_ASSERT_EQUAL(r.all.count, 3000);
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT_EQUAL(api_flag(&r, BIT_UC), 0);
    const struct rpt_event *out = test_timeline_entry(&r, "endpoint", 0),
                           *term = test_timeline_entry(&r, "pod-sigterm", 0),
                           *stop = test_timeline_entry(&r, "pod-stop", 0);
    CU_ASSERT_FATAL(out && term && stop);
    CU_ASSERT_EQUAL(out->at_ns, 11 * S);
    CU_ASSERT_EQUAL(term->at_ns, 11 * S);
    CU_ASSERT(out < term); /* withdrawn first */
    CU_ASSERT(stop->at_ns >= 11 * S && stop->at_ns <= 11 * S + 20 * INT64_C(1000000));
    CU_ASSERT_EQUAL(strncmp(stop->detail, "exited after SIGTERM", 20), 0);
    rpt_run_free(&r);

    RUN_OR_RETURN(run_restart("endpoint_delay: 1s, prestop_delay: 0s, readiness_delay: 3s", &r));
    CU_ASSERT(r.all.errors >= 49 && r.all.errors <= 50);
    CU_ASSERT_EQUAL(api_flag(&r, BIT_UF), r.all.errors);
    CU_ASSERT_EQUAL(api_flag(&r, BIT_UC), 0);
    rpt_run_free(&r);

    RUN_OR_RETURN(run_kill("endpoint_delay: 1s", "", &r));
    CU_ASSERT_EQUAL(r.all.errors, 51);
    rpt_run_free(&r);
}

/*
 * A rollout of api's 3 pods from 5 s, max_unavailable 1: one pod at a
 * time, each graceful (preStop 1 s covers the 1 s endpoint delay), the
 * next one deleted at the instant the previous replacement is back in the
 * endpoints. Nothing fails. With max_unavailable 2, two go at once.
 */
static void test_pods_rollout_keeps_serving(void)
{
    static const char *const fmt =
        MESH("3") "kubernetes: {endpoint_delay: 1s, prestop_delay: 1s, readiness_delay: 2s}\n"
                  "faults:\n"
                  "  - {name: deploy, at: 5s, rollout: {service: api, max_unavailable: %s, "
                  "max_surge: 1}}\n";
    char text[4096];
    struct rpt_run r;
    snprintf(text, sizeof text, fmt, "1");
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 3000);
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "pod-terminating"), 3);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "pod-stop"), 3);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "pod-start"), 3);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "pod-ready"), 3);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "endpoint"), 6);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "rollout"), 1);
    const struct rpt_event *t0 = test_timeline_entry(&r, "pod-terminating", 0);
    CU_ASSERT_FATAL(t0 != NULL);
    CU_ASSERT_EQUAL(t0->at_ns, 5 * S);
    CU_ASSERT_STRING_EQUAL(t0->subject, "api-0");
    for (size_t i = 1; i < 3; i++) {
        const struct rpt_event *t = test_timeline_entry(&r, "pod-terminating", i);
        const struct rpt_event *back = test_timeline_entry(&r, "endpoint", 2 * i - 1);
        CU_ASSERT_FATAL(t && back);
        CU_ASSERT_STRING_EQUAL(back->detail, "added to the endpoints");
        CU_ASSERT_EQUAL(t->at_ns, back->at_ns); /* the next pod goes when one is back */
        /* each turn: 1 s to SIGTERM, up to 20 ms of draining, 2 s to Ready, 1 s to the endpoints */
        CU_ASSERT(t->at_ns >= 5 * S + (int64_t)i * 4 * S);
        CU_ASSERT(t->at_ns <= 5 * S + (int64_t)i * (4 * S + 20 * INT64_C(1000000)));
    }
    const struct rpt_event *done = test_timeline_entry(&r, "rollout", 0);
    CU_ASSERT(done && done->at_ns == test_timeline_entry(&r, "endpoint", 5)->at_ns);
    rpt_run_free(&r);

    snprintf(text, sizeof text, fmt, "2");
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.errors, 0);
    const struct rpt_event *a = test_timeline_entry(&r, "pod-terminating", 0),
                           *b = test_timeline_entry(&r, "pod-terminating", 1);
    CU_ASSERT_FATAL(a && b);
    CU_ASSERT_EQUAL(a->at_ns, 5 * S);
    CU_ASSERT_EQUAL(b->at_ns, 5 * S);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "pod-stop"), 3);
    rpt_run_free(&r);
}

/*
 * Kong targets are the gateway's cluster endpoints: a kill there is
 * refused (502, Kong's answer to a failed connect) until the withdrawal.
 */
static void test_pods_kill_behind_kong_gateway(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(
        "faultline: 1\n"
        "duration: 30s\n"
        "network: {delay: 1ms}\n"
        "services:\n"
        "  - {name: catalog, replicas: 2, workers: 100, service_time: 10ms}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - {name: catalog, host: catalog, retries: 0, routes: [{name: r, paths: [/c]}]}\n"
        "workload:\n"
        "  - {name: c, target: gateway, arrival: constant, rate: 100/s, requests: [{path: /c}]}\n"
        "faults:\n"
        "  - {at: 10s, kill: {pod: catalog-1}}\n",
        NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.flags[BIT_UF], 50);
    CU_ASSERT_EQUAL(r.all.outcomes[502], r.all.errors);
    CU_ASSERT(r.all.errors >= 50 && r.all.errors <= 51);
    rpt_run_free(&r);
}

/*
 * A kill under the whole path (Kong gateway, its sidecar, the pod's
 * sidecar): the pod's connections close while the gateway's sidecar may be
 * dropping the same upstream connection for a client that went away; the
 * close already posted must not reach the proxy that released its handle
 * (it did: a use after free). The run completes; at most the work the pod
 * held fails (64 workers); 5000/s x 22 s Poisson: 110,000, sigma 332 (5
 * sigma: 1660).
 */
static void test_pods_kill_under_gateway_and_sidecars(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(
        "faultline: 1\n"
        "seed: 43\n"
        "duration: 22s\n"
        "network: {delay: 200us}\n"
        "proxy: {gateway: {workers: 16}, sidecar: {workers: 4}}\n"
        "services:\n"
        "  - {name: orders, replicas: 8, workers: 64,\n"
        "     service_time: {dist: lognormal, p50: 4ms, p99: 25ms}}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - {name: orders, url: \"http://orders:80/v2\", retries: 2,\n"
        "       routes: [{name: r, paths: [/o]}]}\n"
        "mesh: {mode: sidecar}\n"
        "workload:\n"
        "  - {name: web, target: gateway, arrival: poisson, rate: 5000/s, requests: [{path: /o}]}\n"
        "faults:\n"
        "  - {at: 20s, kill: {pod: orders-4}, restart_after: 5s}\n",
        NULL, 0, &r));
    CU_ASSERT(r.all.count > 110000 - 1660 && r.all.count < 110000 + 1660);
    CU_ASSERT(r.all.errors <= 64);
    rpt_run_free(&r);
}

/*
 * Without proxies, callers pick pods by kube-proxy's rules, which follow
 * the endpoints: with endpoint_delay 0 the killed pod is never picked
 * again and only the request it was serving fails (reset); with 1 s, the
 * requests of that second that pick it (binomial, 100 x 1/2: 50, sigma 5)
 * are refused, none after.
 */
static void test_pods_kube_proxy_follows_the_endpoints(void)
{
    static const char *const fmt =
        "faultline: 1\n"
        "duration: 30s\n"
        "network: {delay: 1ms}\n"
        "services:\n"
        "  - {name: api, replicas: 2, workers: 100, service_time: 10ms}\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"
        "kubernetes: {endpoint_delay: %s}\n"
        "faults:\n"
        "  - {at: 10.005s, kill: {pod: api-1}}\n";
    char text[1024];
    struct rpt_run r;
    snprintf(text, sizeof text, fmt, "0s");
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT(r.all.errors <= 1);
    CU_ASSERT_EQUAL(r.all.outcomes[RPT_FAIL_CONNECT], 0);
    rpt_run_free(&r);
    snprintf(text, sizeof text, fmt, "1s");
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT(r.all.outcomes[RPT_FAIL_CONNECT] >= 30 && r.all.outcomes[RPT_FAIL_CONNECT] <= 70);
    CU_ASSERT(r.all.errors - r.all.outcomes[RPT_FAIL_CONNECT] <= 1);
    rpt_run_free(&r);
}

/*
 * `kill: {service: S}` kills one pod chosen from the seed (the same one
 * every run), of the version when one is given; a trigger can kill too.
 */
static void test_pods_kill_service_picks_one_pod_from_the_seed(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 20s\n"
        "services:\n"
        "  - name: api\n"
        "    service_time: 1ms\n"
        "    versions: [{name: v1, replicas: 3}, {name: v2, replicas: 2}]\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: constant, rate: 10/s, requests: [{path: /x}]}\n"
        "faults:\n"
        "  - {at: 5s, kill: {service: api, version: v2}}\n"
        "  - {when: {requests: 20, service: api}, kill: {service: api, version: v1}}\n";
    struct rpt_run r1, r2;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r1));
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r2));
    CU_ASSERT_EQUAL(test_timeline_count(&r1, "pod-stop"), 2);
    const struct rpt_event *a = test_timeline_entry(&r1, "pod-stop", 0),
                           *b = test_timeline_entry(&r1, "pod-stop", 1);
    CU_ASSERT_FATAL(a && b);
    /* the trigger fires at the 20th request (1.9 s), before the `at` kill */
    CU_ASSERT_EQUAL(strncmp(a->subject, "api-v1-", 7), 0);
    CU_ASSERT_EQUAL(strncmp(b->subject, "api-v2-", 7), 0);
    CU_ASSERT_EQUAL(b->at_ns, 5 * S);
    CU_ASSERT_STRING_EQUAL(a->subject, test_timeline_entry(&r2, "pod-stop", 0)->subject);
    CU_ASSERT_STRING_EQUAL(b->subject, test_timeline_entry(&r2, "pod-stop", 1)->subject);
    rpt_run_free(&r1);
    rpt_run_free(&r2);
}

void suite_pods(void)
{
    TEST_SUITE("sim/pods");
    TEST_ADD(test_pods_kube_proxy_follows_the_endpoints);
    TEST_ADD(test_pods_kill_service_picks_one_pod_from_the_seed);
    TEST_ADD(test_pods_kill_stale_endpoint_refused_until_withdrawn);
    TEST_ADD(test_pods_replacement_serves_after_readiness_and_propagation);
    TEST_ADD(test_pods_graceful_restart_fails_nothing_kill_does);
    TEST_ADD(test_pods_rollout_keeps_serving);
    TEST_ADD(test_pods_kill_behind_kong_gateway);
    TEST_ADD(test_pods_kill_under_gateway_and_sidecars);
}
