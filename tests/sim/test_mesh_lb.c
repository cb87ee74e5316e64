/*
 * test_mesh_lb.c - DestinationRule load balancing and retry budgets on the
 * simulated request path (proxies/lb*.c, breaker.c through the sidecar):
 * consistent hashing keeps a user on one pod, the retry budget turns away
 * exactly the retries the formula says (Envoy's RetryBudgetImpl: limit =
 * max(percent x active requests, minRetryConcurrency)).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "proxies/lb_hash.h"
#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_mesh_lb(void);

static const struct rpt_cluster *callee_cluster(const struct rpt_run *r)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strncmp(r->clusters[i].name, "sidecar ", 8) && strstr(r->clusters[i].name, "callee"))
            return &r->clusters[i];
    return NULL;
}

static const struct rpt_service *service(const struct rpt_run *r, const char *name)
{
    for (size_t s = 0; s < r->n_services; s++)
        if (!strcmp(r->services[s].st.name, name)) return &r->services[s];
    return NULL;
}

/* Twenty requests fail together; every try is a 503 the route retries (5xx, 5 attempts). */
#define FAILING_CALLEE(budget)                                                                     \
    "faultline: 1\n"                                                                               \
    "duration: 1s\n"                                                                               \
    "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"                                                 \
    "services:\n"                                                                                  \
    "  - {name: callee, workers: 64, service_time: 10ms, errors: {rate: 100%, status: 503}}\n"     \
    "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"             \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: closed, clients: 20, think_time: 1h,\n"                \
    "     requests: [{path: /x}]}\n"                                                               \
    "mesh:\n"                                                                                      \
    "  resources:\n"                                                                               \
    "    - apiVersion: networking.istio.io/v1beta1\n"                                              \
    "      kind: VirtualService\n"                                                                 \
    "      metadata: {name: callee}\n"                                                             \
    "      spec:\n"                                                                                \
    "        hosts: [callee]\n"                                                                    \
    "        http:\n"                                                                              \
    "          - route: [{destination: {host: callee}}]\n"                                         \
    "            retries: {attempts: 5, retryOn: 5xx}\n"                                           \
    "    - apiVersion: networking.istio.io/v1beta1\n"                                              \
    "      kind: DestinationRule\n"                                                                \
    "      metadata: {name: callee}\n"                                                             \
    "      spec:\n"                                                                                \
    "        host: callee\n"                                                                       \
    "        trafficPolicy: {retryBudget: " budget "}\n"

/*
 * Budget 20%, at least 3. The twenty 503s arrive at one instant; as each is
 * handled, active requests are 19, 18, ... so the limit is max(3.8 -> 3, 3)
 * = 3: the first three get a retry, the other 17 get their 503 back
 * (upstream_rq_retry_overflow). The three retry up to their 5 attempts (at
 * most 2 other retries are ever active): 15 retries, 3 hit the limit, 35
 * tries in all.
 */
static void test_mesh_lb_retry_budget_min_concurrency(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(
        test_run_text(FAILING_CALLEE("{percent: 20, minRetryConcurrency: 3}"), NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 20);
    CU_ASSERT_EQUAL(r.routes[0].outcomes[503], 20);
    const struct rpt_cluster *c = callee_cluster(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->rq_retry_overflow, 17);
    CU_ASSERT_EQUAL(c->rq_retry, 15);
    CU_ASSERT_EQUAL(c->rq_retry_limit, 3);
    CU_ASSERT_EQUAL(c->rq_total, 35);
    rpt_run_free(&r);
}

/*
 * Budget 100%, at least 1. When the k-th 503 is handled, 20 - k requests
 * are active and k - 1 retries granted: granted while k - 1 < 20 - k, so
 * for k = 1..10, and the other 10 overflow. When a retry then fails, every
 * other active request is one of the retrying streams, each holding a
 * retry: retries >= active, so no second retry is allowed while another
 * stream still retries; 9 streams overflow. The last one alone has 0
 * retries against a limit of max(0, 1) = 1: it goes on to its 5th attempt
 * (4 more retries, then the limit). 14 retries, 19 overflows, 34 tries.
 */
static void test_mesh_lb_retry_budget_percent(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(
        test_run_text(FAILING_CALLEE("{percent: 100, minRetryConcurrency: 1}"), NULL, 0, &r));
    const struct rpt_cluster *c = callee_cluster(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->rq_retry, 14);
    CU_ASSERT_EQUAL(c->rq_retry_overflow, 19);
    CU_ASSERT_EQUAL(c->rq_retry_limit, 1);
    CU_ASSERT_EQUAL(c->rq_total, 34);
    rpt_run_free(&r);
}

#define STICKY(users, dr)                                                                          \
    "faultline: 1\n"                                                                               \
    "duration: 2s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - {name: callee, replicas: 4, service_time: 1ms}\n"                                         \
    "  - {name: caller, service_time: 0ms,\n"                                                      \
    "     calls: [{service: callee, forward: [x-user]}]}\n"                                        \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: poisson, rate: 500/s,\n"                               \
    "     requests: [" users "]}\n"                                                                \
    "mesh:\n"                                                                                      \
    "  resources:\n"                                                                               \
    "    - apiVersion: networking.istio.io/v1\n"                                                   \
    "      kind: DestinationRule\n"                                                                \
    "      metadata: {name: callee}\n"                                                             \
    "      spec:\n"                                                                                \
    "        host: callee\n"                                                                       \
    "        trafficPolicy: {loadBalancer: " dr "}\n"

/* Which pod a user's requests go to: the ring over callee-0..3, as the sidecar builds it. */
static int ring_pod(const char *user)
{
    static const char *const pods[] = {"callee-0", "callee-1", "callee-2", "callee-3"};
    struct px_hash_member m[4];
    for (uint32_t i = 0; i < 4; i++) m[i] = (struct px_hash_member){i, 1, pods[i]};
    struct px_ring ring = {0};
    px_ring_build(&ring, m, 4, PX_RING_SIZE_MIN_DFLT, PX_RING_SIZE_MAX_DFLT);
    int pod = (int)px_ring_find(&ring, px_xxhash64(user, strlen(user), 0), 0);
    px_ring_free(&ring);
    return pod;
}

/*
 * consistentHash on x-user: all of alice's requests land on the pod the
 * ring gives her key; bob's on his. Least request (Istio's default) spreads
 * the same load over all four pods.
 */
static void test_mesh_lb_consistent_hash_keeps_users_on_one_pod(void)
{
    const char *users = "{path: /a, weight: 3, headers: {x-user: alice}},"
                        " {path: /b, headers: {x-user: bob}}";
    static char text[4096];
    snprintf(text, sizeof text, STICKY("%s", "{consistentHash: {httpHeaderName: x-user}}"), users);
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_service *s = service(&r, "callee");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->n_pods, 4);
    int a = ring_pod("alice"), b = ring_pod("bob");
    uint64_t total = 0, expected = 0;
    for (int p = 0; p < 4; p++) {
        total += s->pods[p].count;
        if (p == a || p == b) expected += s->pods[p].count;
    }
    CU_ASSERT(total > 800);
    CU_ASSERT_EQUAL(expected, total);                           /* no request anywhere else */
    if (a != b) CU_ASSERT(s->pods[a].count > s->pods[b].count); /* 3:1 */
    rpt_run_free(&r);
    snprintf(text, sizeof text, STICKY("%s", "{simple: LEAST_REQUEST}"), users);
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    s = service(&r, "callee");
    for (int p = 0; s && p < 4; p++) CU_ASSERT(s->pods[p].count > 100);
    rpt_run_free(&r);
}

static uint64_t pods_count(const struct rpt_service *s, const char *version)
{
    uint64_t n = 0;
    for (size_t p = 0; p < s->n_pods; p++)
        if (s->pods[p].version && !strcmp(s->pods[p].version, version)) n += s->pods[p].count;
    return n;
}

/*
 * Locality failover (scenarios/locality-failover.yaml): the client is in
 * us-east/zone-a. While zone-a is healthy it takes every request (priority
 * 0 at 100% health); here its pods fail 30% of requests, are ejected, and
 * zone-b (priority 1) takes the rest; us-west (priority 2) none, since
 * zone-b alone is 100% available.
 */
static void test_mesh_lb_locality_failover(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/locality-failover.yaml", NULL, 0, &r));
    const struct rpt_service *s = service(&r, "catalog");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    uint64_t a = pods_count(s, "east-a"), b = pods_count(s, "east-b"), w = pods_count(s, "west");
    CU_ASSERT_EQUAL(w, 0);
    CU_ASSERT(a > 0 && a < (a + b) / 20); /* zone-a served until its ejection only */
    rpt_run_free(&r);
    /* healthy zone-a: everything stays there */
    static const char *const healthy[] = {"services.catalog.versions.east-a.errors.rate=0"};
    RUN_OR_RETURN(test_run_file("scenarios/locality-failover.yaml", healthy, 1, &r));
    s = service(&r, "catalog");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT(pods_count(s, "east-a") > 11000);
    CU_ASSERT_EQUAL(pods_count(s, "east-b"), 0);
    CU_ASSERT_EQUAL(pods_count(s, "west"), 0);
    rpt_run_free(&r);
}

/*
 * network.zones: a client in us-east/a calls a service in us-east/b (2 ms
 * more each way) or us-west/a (30 ms more each way), on an otherwise ideal
 * network, one request at a time on a kept-alive connection: the median
 * is the 1 ms of service time plus twice the added delay.
 */
static void test_mesh_lb_zone_delays(void)
{
    static const char *const fmt = "faultline: 1\n"
                                   "duration: 10s\n"
                                   "network: {zones: {cross_zone_delay: 2ms, "
                                   "cross_region_delay: 30ms}}\n"
                                   "services:\n"
                                   "  - {name: svc, service_time: 1ms, locality: %s}\n"
                                   "workload:\n"
                                   "  - {name: c, target: svc, arrival: closed, clients: 1,\n"
                                   "     think_time: 10ms, locality: us-east/a,\n"
                                   "     requests: [{path: /x}]}\n";
    static const char *const where[] = {"us-east/a/rack1", "us-east/b", "us-west/a"};
    const double want_ms[] = {1, 5, 61};
    for (int i = 0; i < 3; i++) {
        char text[1024];
        snprintf(text, sizeof text, fmt, where[i]);
        struct rpt_run r;
        RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
        CU_ASSERT(r.routes[0].count > 100);
        double p50_ms = rpt_hist_quantile(&r.routes[0].hist, 0.5) / 1e6;
        ASSERT_ABS(p50_ms, want_ms[i], want_ms[i] * 0.01); /* the histogram's 1% buckets */
        rpt_run_free(&r);
    }
}

/*
 * proxy.gateway.locality: the gateway in us-west/a, its clients and the
 * service in us-east/a. Each request crosses regions twice each way
 * (client to gateway, gateway to service): 4 x 30 ms plus 1 ms of work.
 */
static void test_mesh_lb_gateway_locality(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 10s\n"
        "network: {zones: {cross_region_delay: 30ms}}\n"
        "proxy: {gateway: {cost: 0ms, locality: us-west/a}}\n"
        "services:\n"
        "  - {name: svc, service_time: 1ms, locality: us-east/a}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - {name: svc, url: http://svc:80, routes: [{name: r, paths: [/x]}]}\n"
        "workload:\n"
        "  - {name: c, target: gateway, arrival: closed, clients: 1,\n"
        "     think_time: 10ms, locality: us-east/a, requests: [{path: /x}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT(r.routes[0].count > 20);
    double p50_ms = rpt_hist_quantile(&r.routes[0].hist, 0.5) / 1e6;
    ASSERT_ABS(p50_ms, 121, 1.21);
    rpt_run_free(&r);
}

/*
 * distribute 80/20 from the caller's zone: zone-b's pods get 20% of the
 * calls (binomial over ~10000: 5 sigma = 0.02), us-west none (no key
 * names it).
 */
static void test_mesh_lb_locality_distribute(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 20s\n"
        "services:\n"
        "  - name: db\n"
        "    versions:\n"
        "      - {name: a, replicas: 2, locality: us-east/zone-a}\n"
        "      - {name: b, replicas: 2, locality: us-east/zone-b}\n"
        "      - {name: w, replicas: 1, locality: us-west/zone-a}\n"
        "  - {name: app, workers: 64, locality: us-east/zone-a, service_time: 0ms,\n"
        "     calls: [{service: db}]}\n"
        "mesh:\n"
        "  resources:\n"
        "    - apiVersion: networking.istio.io/v1\n"
        "      kind: DestinationRule\n"
        "      metadata: {name: db}\n"
        "      spec:\n"
        "        host: db\n"
        "        trafficPolicy:\n"
        "          loadBalancer:\n"
        "            localityLbSetting:\n"
        "              distribute:\n"
        "                - from: us-east/zone-a/*\n"
        "                  to: {\"us-east/zone-a/*\": 80, \"us-east/zone-b/*\": 20}\n"
        "workload:\n"
        "  - {name: c, target: app, rate: 500/s, requests: [{path: /x}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_service *s = service(&r, "db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    double a = (double)pods_count(s, "a"), b = (double)pods_count(s, "b");
    CU_ASSERT(a + b > 9000);
    CU_ASSERT_EQUAL(pods_count(s, "w"), 0);
    ASSERT_ABS(b / (a + b), 0.2, 5 * sqrt(0.2 * 0.8 / (a + b)));
    rpt_run_free(&r);
}

/*
 * A sidecar creates a cluster when a request first goes to it (proxy.c):
 * one created after a pod left the endpoints starts without it, as EDS
 * would have sent it. callee-0 dies at 1 s and leaves the endpoints at
 * 2 s. Traffic from 0 s meets the stale endpoint in between (refused
 * connects); traffic from 4 s never does. The clusters of services nobody
 * calls keep their (empty) rows.
 */
#define LATE_CLUSTER(start)                                                                        \
    "faultline: 1\n"                                                                               \
    "duration: 8s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - {name: callee, replicas: 2, workers: 8, service_time: 1ms}\n"                             \
    "  - {name: caller, workers: 8, service_time: 0ms, calls: [{service: callee}]}\n"              \
    "  - {name: unused-a, service_time: 1ms}\n"                                                    \
    "  - {name: unused-b, service_time: 1ms}\n"                                                    \
    "mesh: {mode: sidecar}\n"                                                                      \
    "faults:\n"                                                                                    \
    "  - {at: 1s, kill: {pod: callee-0}}\n"                                                        \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: constant, rate: 100/s, start: " start ",\n"            \
    "     requests: [{path: /x}]}\n"

static void test_mesh_lb_cluster_made_late_skips_withdrawn_pod(void)
{
    struct rpt_run early, late;
    RUN_OR_RETURN(test_run_text(LATE_CLUSTER("0s"), NULL, 0, &early));
    if (test_run_text(LATE_CLUSTER("4s"), NULL, 0, &late)) {
        CU_FAIL("scenario did not load");
        rpt_run_free(&early);
        return;
    }
    const struct rpt_cluster *e = callee_cluster(&early), *l = callee_cluster(&late);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    /* from 0 s: about half of the 100 calls between 1 s and 2 s try the dead pod first */
    CU_ASSERT(e->cx_connect_fail >= 20);
    /* from 4 s: 400 calls, every one to callee-1 at the first try */
    CU_ASSERT_EQUAL(l->cx_connect_fail, 0);
    CU_ASSERT_EQUAL(l->rq_retry, 0);
    CU_ASSERT_EQUAL(l->rq_total, 400);
    CU_ASSERT_EQUAL(late.routes[0].count, 400);
    CU_ASSERT_EQUAL(late.routes[0].errors, 0);
    const struct rpt_service *s = service(&late, "callee");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->pods[1].count, 400);
    /* the sidecars' clusters for services nobody calls are listed, all zero */
    int unused = 0;
    for (size_t i = 0; i < late.n_clusters; i++)
        if (strstr(late.clusters[i].name, "unused-")) {
            unused++;
            CU_ASSERT_EQUAL(late.clusters[i].rq_total, 0);
        }
    CU_ASSERT_EQUAL(unused, 2);
    rpt_run_free(&early);
    rpt_run_free(&late);
}

void suite_mesh_lb(void)
{
    TEST_SUITE("sim/mesh_lb");
    TEST_ADD(test_mesh_lb_retry_budget_min_concurrency);
    TEST_ADD(test_mesh_lb_retry_budget_percent);
    TEST_ADD(test_mesh_lb_consistent_hash_keeps_users_on_one_pod);
    TEST_ADD(test_mesh_lb_locality_failover);
    TEST_ADD(test_mesh_lb_zone_delays);
    TEST_ADD(test_mesh_lb_locality_distribute);
    TEST_ADD(test_mesh_lb_gateway_locality);
    TEST_ADD(test_mesh_lb_cluster_made_late_skips_withdrawn_pod);
}
