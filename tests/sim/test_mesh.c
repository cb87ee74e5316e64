/*
 * test_mesh.c - the proxies on the simulated request path: Envoy's,
 * Istio's and Kong's documented behaviour, end to end, exactly where the
 * outcome can be worked out by hand (breaker overflow, per-try and route
 * timeouts, the retry breaker, Kong's windows, outlier ejection times) and
 * within stated tolerances where it is random (weighted routing).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_mesh(void);

/* The client sidecars' cluster for `callee` (whatever the builder names it). */
static const struct rpt_cluster *callee_cluster(const struct rpt_run *r)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strncmp(r->clusters[i].name, "sidecar ", 8) && strstr(r->clusters[i].name, "callee"))
            return &r->clusters[i];
    fprintf(stderr, "\n  no sidecar cluster for callee in the results\n");
    return NULL;
}

static const struct rpt_pod *pod(const struct rpt_run *r, const char *name)
{
    for (size_t s = 0; s < r->n_services; s++)
        for (size_t p = 0; p < r->services[s].n_pods; p++)
            if (!strcmp(r->services[s].pods[p].name, name)) return &r->services[s].pods[p];
    return NULL;
}

static int flag_index(const struct rpt_run *r, const char *name)
{
    for (int i = 0; i < RPT_FLAGS_MAX; i++)
        if (r->flag_names[i] && !strcmp(r->flag_names[i], name)) return i;
    return -1;
}

/* A caller with one pod (so one client sidecar), proxies that cost nothing, a slow callee. */
#define SLOW_CALLEE                                                                                \
    "faultline: 1\n"                                                                               \
    "duration: 1s\n"                                                                               \
    "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"                                                 \
    "services:\n"                                                                                  \
    "  - {name: callee, workers: 64, service_time: 100ms}\n"                                       \
    "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"             \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: closed, clients: 5, think_time: 1h,\n"                 \
    "     requests: [{path: /x}]}\n"

/*
 * One connection allowed, three requests may wait for it: five requests
 * arrive together on a cold pool, so all of them would be pending while the
 * connection opens; three wait and the other two get 503 UO at once
 * (circuit_breaking.rst; envoy#20817). The three are served one after
 * another on the one connection.
 */
static void test_mesh_request_beyond_max_pending_gets_503_at_once(void)
{
    static const char *const text =
        SLOW_CALLEE "mesh:\n"
                    "  resources:\n"
                    "    - apiVersion: networking.istio.io/v1beta1\n"
                    "      kind: DestinationRule\n"
                    "      metadata: {name: callee}\n"
                    "      spec:\n"
                    "        host: callee\n"
                    "        trafficPolicy:\n"
                    "          connectionPool: {tcp: {maxConnections: 1},\n"
                    "                           http: {http1MaxPendingRequests: 3}}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_stats *s = &r.routes[0];
    CU_ASSERT_EQUAL(s->count, 5);
    CU_ASSERT_EQUAL(s->outcomes[200], 3);
    CU_ASSERT_EQUAL(s->outcomes[503], 2);
    CU_ASSERT_EQUAL(s->hist.min, 0); /* the refusals took no time */
    CU_ASSERT_EQUAL(s->hist.max, 300000000);
    const struct rpt_cluster *c = callee_cluster(&r);
    int uo = flag_index(&r, "UO");
    CU_ASSERT(c && c->rq_pending_overflow == 2);
    CU_ASSERT(c && uo >= 0 && c->flags[uo] == 2);
    rpt_run_free(&r);
}

/*
 * Per-try timeouts of 100 ms inside a route timeout of 250 ms against a
 * service that always takes 1 s: the retries are cut short by the route
 * timeout, and the request ends with 504 UT exactly at 250 ms
 * (router_filter.rst: the route timeout includes every retry).
 */
static void test_mesh_per_try_timeouts_end_at_the_route_timeout(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 1s\n"
        "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"
        "services:\n"
        "  - {name: callee, workers: 64, service_time: 1s}\n"
        "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"
        "workload:\n"
        "  - {name: c, target: caller, arrival: constant, rate: 4/s, requests: [{path: /x}]}\n"
        "mesh:\n"
        "  resources:\n"
        "    - apiVersion: networking.istio.io/v1beta1\n"
        "      kind: VirtualService\n"
        "      metadata: {name: callee}\n"
        "      spec:\n"
        "        hosts: [callee]\n"
        "        http:\n"
        "          - route: [{destination: {host: callee}}]\n"
        "            timeout: 250ms\n"
        "            retries: {attempts: 5, perTryTimeout: 100ms, retryOn: 5xx}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_stats *s = &r.routes[0];
    CU_ASSERT_EQUAL(s->count, 4);
    CU_ASSERT_EQUAL(s->outcomes[504], 4);
    CU_ASSERT_EQUAL(s->hist.min, 250000000);
    CU_ASSERT_EQUAL(s->hist.max, 250000000);
    const struct rpt_cluster *c = callee_cluster(&r);
    int ut = flag_index(&r, "UT");
    CU_ASSERT(c && ut >= 0 && c->flags[ut] == 4);
    CU_ASSERT(c && c->rq_timeout == 4);
    rpt_run_free(&r);
}

/*
 * maxRetries 2: twenty requests fail at the same instant and all want a
 * retry; two get one (and keep retrying up to their 5 attempts), the other
 * 18 get the original 503 back (retry overflow).
 */
static void test_mesh_max_retries_caps_concurrent_retries(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 1s\n"
        "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"
        "services:\n"
        "  - {name: callee, workers: 64, service_time: 10ms, errors: {rate: 100%, status: 503}}\n"
        "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"
        "workload:\n"
        "  - {name: c, target: caller, arrival: closed, clients: 20, think_time: 1h,\n"
        "     requests: [{path: /x}]}\n"
        "mesh:\n"
        "  resources:\n"
        "    - apiVersion: networking.istio.io/v1beta1\n"
        "      kind: VirtualService\n"
        "      metadata: {name: callee}\n"
        "      spec:\n"
        "        hosts: [callee]\n"
        "        http:\n"
        "          - route: [{destination: {host: callee}}]\n"
        "            retries: {attempts: 5, retryOn: 5xx}\n"
        "    - apiVersion: networking.istio.io/v1beta1\n"
        "      kind: DestinationRule\n"
        "      metadata: {name: callee}\n"
        "      spec:\n"
        "        host: callee\n"
        "        trafficPolicy: {connectionPool: {http: {maxRetries: 2}}}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 20);
    CU_ASSERT_EQUAL(r.routes[0].outcomes[503], 20);
    const struct rpt_cluster *c = callee_cluster(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->rq_retry_overflow, 18);
    CU_ASSERT_EQUAL(c->rq_retry, 10);
    CU_ASSERT_EQUAL(c->rq_retry_limit, 2);
    CU_ASSERT_EQUAL(c->rq_total, 30);
    rpt_run_free(&r);
}

/* Three callee pods that always answer 503; 20 requests, one at a time. */
#define ALL_503                                                                                    \
    "faultline: 1\n"                                                                               \
    "duration: 1s\n"                                                                               \
    "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"                                                 \
    "services:\n"                                                                                  \
    "  - {name: callee, replicas: 3, service_time: 1ms, errors: {rate: 100%, status: 503}}\n"      \
    "  - {name: caller, service_time: 0ms, calls: [{service: callee}]}\n"                          \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, arrival: constant, rate: 20/s, requests: [{path: /x}]}\n"

/*
 * Istio's default retry policy (retry.go DefaultPolicy) retries a 503
 * (retriable-status-codes [503]) twice, each time on a host not tried yet
 * (previous-hosts predicate): with three pods each request tries each pod
 * exactly once.
 */
static void test_mesh_default_retry_policy_retries_503_twice_on_other_hosts(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(ALL_503 "mesh: {mode: sidecar}\n", NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 20);
    CU_ASSERT_EQUAL(r.routes[0].outcomes[503], 20);
    const struct rpt_cluster *c = callee_cluster(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->rq_retry, 40);
    CU_ASSERT_EQUAL(c->rq_total, 60);
    static const char *const pods[] = {"callee-0", "callee-1", "callee-2"};
    for (int i = 0; i < 3; i++) {
        const struct rpt_pod *p = pod(&r, pods[i]);
        CU_ASSERT(p && p->count == 20);
    }
    rpt_run_free(&r);
}

/* `retries: {attempts: 1}` without retryOn keeps the default's 503 (ConvertPolicy). */
static void test_mesh_attempts_without_retry_on_still_retry_503(void)
{
    static const char *const text = ALL_503
        "mesh:\n"
        "  resources:\n"
        "    - apiVersion: networking.istio.io/v1\n"
        "      kind: VirtualService\n"
        "      metadata: {name: callee}\n"
        "      spec:\n"
        "        hosts: [callee]\n"
        "        http: [{route: [{destination: {host: callee}}], retries: {attempts: 1}}]\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_cluster *c = callee_cluster(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->rq_retry, 20);
    CU_ASSERT_EQUAL(c->rq_total, 40);
    rpt_run_free(&r);
}

/* A 95/5 split by VirtualService weights: within one percentage point over 100k requests. */
static void test_mesh_canary_split_follows_the_weights(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/canary.yaml", NULL, 0, &r));
    uint64_t v1 = 0, v2 = 0;
    for (size_t p = 0; p < r.services[0].n_pods; p++) {
        const struct rpt_pod *x = &r.services[0].pods[p];
        if (!strcmp(x->version, "v1")) v1 += x->count;
        if (!strcmp(x->version, "v2")) v2 += x->count;
    }
    double n = (double)(v1 + v2);
    CU_ASSERT(n >= 99000);
    ASSERT_ABS(v2 / n, 0.05, 0.01);
    ASSERT_ABS(v1 / n, 0.95, 0.01);
    /* binomial: 5 standard deviations is tighter still */
    ASSERT_ABS(v2 / n, 0.05, 5 * sqrt(0.05 * 0.95 / n));
    rpt_run_free(&r);
}

/* iPhone Safari users, and only they, reach v2: the counts match request for request. */
static void test_mesh_header_regex_routes_iphone_safari_to_v2(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/ab-routing.yaml", NULL, 0, &r));
    uint64_t v1 = 0, v2 = 0;
    for (size_t p = 0; p < r.services[0].n_pods; p++) {
        const struct rpt_pod *x = &r.services[0].pods[p];
        if (!strcmp(x->version, "v1")) v1 += x->count;
        if (!strcmp(x->version, "v2")) v2 += x->count;
    }
    CU_ASSERT_EQUAL(r.routes[0].count + r.routes[1].count, r.all.count);
    CU_ASSERT_EQUAL(v2, r.routes[0].count); /* /buy: the iPhone requests */
    CU_ASSERT_EQUAL(v1, r.routes[1].count); /* /buy-android */
    CU_ASSERT(v2 > 0 && v1 > v2);
    rpt_run_free(&r);
}

/* 150 requests a minute against a limit of 100: 100 admitted per clock minute, 50 refused. */
static void test_mesh_kong_admits_exactly_100_per_minute(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/kong-ratelimit.yaml", NULL, 0, &r));
    const struct rpt_stats *s = &r.routes[0];
    CU_ASSERT_EQUAL(s->count, 750);
    CU_ASSERT_EQUAL(s->outcomes[200], 500);
    CU_ASSERT_EQUAL(s->outcomes[429], 250);
    int rl = flag_index(&r, "RL");
    CU_ASSERT(rl >= 0 && s->flags[rl] == 250);
    CU_ASSERT_EQUAL(r.services[0].st.count, 500);
    rpt_run_free(&r);
}

/*
 * The bad pod is ejected on its 5th consecutive 5xx, comes back at the
 * first interval sweep after its ejection time (30 s), and its second
 * ejection lasts twice as long (outlier.rst; outlier_detection_impl.cc).
 */
static void test_mesh_outlier_ejects_returns_at_a_sweep_and_doubles(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/outlier.yaml", NULL, 0, &r));
    const int64_t s = 1000000000, interval = 10 * s;
    const struct rpt_event *ev[4] = {0};
    size_t n = 0;
    for (size_t i = 0; i < r.n_timeline && n < 4; i++)
        if (!strcmp(r.timeline[i].host, "inventory-v2-0")) ev[n++] = &r.timeline[i];
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_STRING_EQUAL(ev[0]->what, "eject");
    CU_ASSERT_EQUAL(ev[0]->value_ns, 30 * s);
    CU_ASSERT_STRING_EQUAL(ev[1]->what, "uneject");
    /* the first sweep at or after the end of the ejection (sweeps every 10 s from 0) */
    int64_t due = ev[0]->at_ns + 30 * s;
    CU_ASSERT_EQUAL(ev[1]->at_ns, (due + interval - 1) / interval * interval);
    CU_ASSERT_STRING_EQUAL(ev[2]->what, "eject");
    CU_ASSERT_EQUAL(ev[2]->value_ns, 60 * s);
    due = ev[2]->at_ns + 60 * s;
    CU_ASSERT_EQUAL(ev[3]->at_ns, (due + interval - 1) / interval * interval);
    /* no retries: the client sees exactly the 5 errors of each ejection */
    uint64_t ejections = 0;
    for (size_t i = 0; i < r.n_timeline; i++) ejections += !strcmp(r.timeline[i].what, "eject");
    CU_ASSERT_EQUAL(r.routes[0].errors, 5 * ejections);
    const struct rpt_pod *bad = pod(&r, "inventory-v2-0");
    CU_ASSERT(bad && bad->errors == 5 * ejections);
    rpt_run_free(&r);
}

/*
 * Three replicas at maxEjectionPercent 10%: current Envoy never ejects; 34%
 * lets one ejection through; so does the legacy check.
 */
static void test_mesh_three_replicas_never_eject_until_fixed(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/outlier-three-replicas.yaml", NULL, 0, &r));
    CU_ASSERT_EQUAL(r.n_timeline, 0);
    ASSERT_ABS((double)r.all.errors / (double)r.all.count, 1.0 / 3, 0.02);
    rpt_run_free(&r);
    static const char *const wider[] = {
        "mesh.resources.1.spec.trafficPolicy.outlierDetection.maxEjectionPercent=34"};
    RUN_OR_RETURN(test_run_file("scenarios/outlier-three-replicas.yaml", wider, 1, &r));
    CU_ASSERT(r.n_timeline > 0);
    CU_ASSERT((double)r.all.errors / (double)r.all.count < 0.01);
    rpt_run_free(&r);
    static const char *const legacy[] = {"mesh.envoy_compat.max_ejection_percent=legacy"};
    RUN_OR_RETURN(test_run_file("scenarios/outlier-three-replicas.yaml", legacy, 1, &r));
    CU_ASSERT(r.n_timeline > 0);
    CU_ASSERT((double)r.all.errors / (double)r.all.count < 0.01);
    rpt_run_free(&r);
}

/* The breaker sheds the excess with 503 UO; what gets through stays fast. */
static void test_mesh_circuit_breaker_sheds_load(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/circuit-breaker.yaml", NULL, 0, &r));
    const struct rpt_cluster *c = NULL;
    for (size_t i = 0; i < r.n_clusters; i++)
        if (strstr(r.clusters[i].name, "payments") && !strncmp(r.clusters[i].name, "sidecar ", 8))
            c = &r.clusters[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int uo = flag_index(&r, "UO");
    CU_ASSERT(r.all.errors > r.all.count / 10);
    CU_ASSERT_EQUAL(r.all.errors, r.all.outcomes[503]);
    /* every 503 UO the sidecars sent became a failed checkout (the warmup's are not counted) */
    CU_ASSERT(uo >= 0 && c->flags[uo] == c->rq_pending_overflow + c->rq_overflow);
    CU_ASSERT(c->rq_pending_overflow >= r.all.errors);
    CU_ASSERT(rpt_hist_quantile(&r.routes[0].hist, 0.99) < 100000000);
    rpt_run_free(&r);
    /* without the limits nothing is shed by the breaker, and the tail is a hundred times worse */
    static const char *const open_[] = {
        "mesh.resources.0.spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests=1000000",
        "mesh.resources.0.spec.trafficPolicy.connectionPool.tcp.maxConnections=1000000"};
    RUN_OR_RETURN(test_run_file("scenarios/circuit-breaker.yaml", open_, 2, &r));
    for (size_t i = 0; i < r.n_clusters; i++)
        CU_ASSERT_EQUAL(r.clusters[i].rq_pending_overflow + r.clusters[i].rq_overflow, 0);
    CU_ASSERT(rpt_hist_quantile(&r.routes[0].hist, 0.99) > 5000000000);
    rpt_run_free(&r);
}

/* Jitter spreads a herd's retries out: fewer tries, fewer failures, a shorter tail. */
static void test_mesh_backoff_jitter_tames_a_thundering_herd(void)
{
    struct rpt_run full, none;
    static const char *const no_jitter[] = {"workload.0.retry.backoff.jitter=none"};
    RUN_OR_RETURN(test_run_file("scenarios/retries-jitter.yaml", NULL, 0, &full));
    RUN_OR_RETURN(test_run_file("scenarios/retries-jitter.yaml", no_jitter, 1, &none));
    double a_full = (double)full.all.tries / (double)full.all.count;
    double a_none = (double)none.all.tries / (double)none.all.count;
    CU_ASSERT(a_none > a_full * 1.1);
    CU_ASSERT(none.all.errors > 10 * (full.all.errors + 1));
    CU_ASSERT(rpt_hist_quantile(&none.all.hist, 0.99) >
              2 * rpt_hist_quantile(&full.all.hist, 0.99));
    if (!(a_none > a_full * 1.1))
        fprintf(stderr, "\n  amplification: full jitter %.3f, none %.3f\n", a_full, a_none);
    rpt_run_free(&full);
    rpt_run_free(&none);
}

/* 20% errors, three retries on 5xx: about 0.2^4 of requests still fail. */
static void test_mesh_sidecar_retries_hide_most_errors(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/mesh-retries.yaml", NULL, 0, &r));
    double n = (double)r.all.count, p = 0.2 * 0.2 * 0.2 * 0.2;
    /* per-try timeouts on the heavy tail add a few failures of their own: allow 5 sigma above */
    CU_ASSERT((double)r.all.errors / n < p + 5 * sqrt(p / n) + 0.001);
    const struct rpt_cluster *c = NULL;
    for (size_t i = 0; i < r.n_clusters; i++)
        if (strstr(r.clusters[i].name, "search")) c = &r.clusters[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    /* about a quarter of the attempts are retries (0.2 + 0.04 + 0.008 per request) */
    ASSERT_REL((double)c->rq_retry / n, 0.248, 0.05);
    rpt_run_free(&r);
}

/* Gateway, its sidecar, the service's sidecar, the service: every request gets through. */
static void test_mesh_gateway_through_the_mesh(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/gateway-mesh.yaml", NULL, 0, &r));
    CU_ASSERT(r.all.count > 55000);
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT_EQUAL(r.services[0].st.count, r.all.count);
    /* four proxies each take at least some CPU: no request is as fast as the service alone */
    CU_ASSERT(r.all.hist.min > r.services[0].st.hist.min);
    rpt_run_free(&r);
}

void suite_mesh(void)
{
    TEST_SUITE("sim/mesh");
    TEST_ADD(test_mesh_request_beyond_max_pending_gets_503_at_once);
    TEST_ADD(test_mesh_per_try_timeouts_end_at_the_route_timeout);
    TEST_ADD(test_mesh_max_retries_caps_concurrent_retries);
    TEST_ADD(test_mesh_default_retry_policy_retries_503_twice_on_other_hosts);
    TEST_ADD(test_mesh_attempts_without_retry_on_still_retry_503);
    TEST_ADD(test_mesh_canary_split_follows_the_weights);
    TEST_ADD(test_mesh_header_regex_routes_iphone_safari_to_v2);
    TEST_ADD(test_mesh_kong_admits_exactly_100_per_minute);
    TEST_ADD(test_mesh_outlier_ejects_returns_at_a_sweep_and_doubles);
    TEST_ADD(test_mesh_three_replicas_never_eject_until_fixed);
    TEST_ADD(test_mesh_circuit_breaker_sheds_load);
    TEST_ADD(test_mesh_backoff_jitter_tames_a_thundering_herd);
    TEST_ADD(test_mesh_sidecar_retries_hide_most_errors);
    TEST_ADD(test_mesh_gateway_through_the_mesh);
}
