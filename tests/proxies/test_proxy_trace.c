/*
 * test_proxy_trace.c - the proxy engine's spans and propagation
 * (proxies/proxy_trace.c), end to end in small simulated scenarios: a
 * SERVER span per request at the gateway and a CLIENT span per attempt
 * (numbered, with the reason a retry was made or refused), parent links,
 * the context reaching the next proxy (the callee's inbound sidecar
 * continues the caller's trace), an incoming context continued, sampling
 * at 0%, 100%, Istio's 1% and a Telemetry's 10%, the scenario's override,
 * Kong's plugin scopes, the reasons of timeouts and breaker refusals,
 * mirrored copies inheriting the context, and a Kong file without a
 * tracing plugin reporting nothing.
 *
 * Only sampled spans reach the run's store (sim/trace.c), so counts below
 * are of sampled spans.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies/rt.h"
#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_proxy_trace(void);

/* Spans of a service (prefix match: "callee-1 inbound" by "callee"), of a kind, with a parent
 * (1), without (0), or either (-1). */
static size_t count(const struct rpt_run *r, const char *service, int kind, int rooted)
{
    size_t n = 0;
    for (size_t i = 0; i < r->spans.n; i++) {
        const struct rpt_span *s = &r->spans.v[i];
        if (strncmp(s->service, service, strlen(service)) || s->kind != kind) continue;
        if (rooted >= 0 && (s->parent != 0) != rooted) continue;
        n++;
    }
    return n;
}

/* The span with this id, or NULL. */
static const struct rpt_span *by_id(const struct rpt_run *r, uint64_t id)
{
    for (size_t i = 0; i < r->spans.n; i++)
        if (r->spans.v[i].id == id) return &r->spans.v[i];
    return NULL;
}

#define KONG_HEAD(plugins)                                                                         \
    "faultline: 1\n"                                                                               \
    "name: kt\n"                                                                                   \
    "seed: 5\n"                                                                                    \
    "duration: 10s\n"                                                                              \
    "services:\n"                                                                                  \
    "  - {name: catalog, replicas: 2, workers: 8, service_time: 2ms}\n"                            \
    "gateway:\n"                                                                                   \
    "  _format_version: \"3.0\"\n"                                                                 \
    "  services:\n"                                                                                \
    "    - name: catalog\n"                                                                        \
    "      url: http://catalog:80\n"                                                               \
    "      routes: [{name: items, paths: [/items]}]\n" plugins

#define KONG_LOAD(headers)                                                                         \
    "workload:\n"                                                                                  \
    "  - {name: b, target: gateway, trace: false, arrival: constant, rate: 10/s,"                  \
    " requests: [{path: /items/1" headers "}]}\n"

/* A global zipkin plugin at 100%: one root SERVER span and one CLIENT span per request. */
static void test_proxy_trace_kong_zipkin_spans(void)
{
    static const char text[] =
        KONG_HEAD("  plugins: [{name: zipkin, config: {sample_ratio: 1}}]\n") KONG_LOAD("");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 100);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_SERVER, 0), 100);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_SERVER, 1), 0);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_CLIENT, 1), 100);
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        CU_ASSERT(s->trace_hi != 0);                 /* traceid_byte_count 16: 128-bit ids */
        if (strcmp(s->service, "gateway")) continue; /* the pods' spans, in the same traces */
        CU_ASSERT(s->end_ns >= s->start_ns);
        if (s->kind == PX_SPAN_SERVER) {
            CU_ASSERT_STRING_EQUAL(s->name, "items");
            CU_ASSERT_EQUAL(s->status, 200);
            CU_ASSERT_STRING_EQUAL(s->path, "/items/1");
            CU_ASSERT_STRING_EQUAL(s->method, "GET");
            continue;
        }
        const struct rpt_span *p = by_id(&r, s->parent);
        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT_EQUAL(p->kind, PX_SPAN_SERVER);
        CU_ASSERT_EQUAL(p->trace_lo, s->trace_lo);
        CU_ASSERT(s->start_ns >= p->start_ns && s->end_ns <= p->end_ns);
        CU_ASSERT_EQUAL(s->attempt, 1);
        CU_ASSERT_PTR_NULL(s->reason);
        CU_ASSERT_EQUAL(s->status, 200);
        CU_ASSERT(s->peer && !strncmp(s->peer, "catalog-", 8));
        CU_ASSERT(s->cluster != NULL);
    }
    rpt_run_free(&r);
}

/* Without a tracing plugin the gateway reports nothing (the pods may: they sample 1%). */
static void test_proxy_trace_kong_without_plugin_reports_nothing(void)
{
    static const char text[] = KONG_HEAD("") KONG_LOAD("");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 100);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_SERVER, -1), 0);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_CLIENT, -1), 0);
    rpt_run_free(&r);
}

/*
 * A gateway that does not trace passes the trace headers on untouched:
 * behind it, the gateway's sidecar continues the client's trace as a
 * child of the client's own span, and the gateway reports nothing.
 */
static void test_proxy_trace_untraced_gateway_passes_headers_through(void)
{
    static const char text[] = KONG_HEAD("  plugins: []\n") "mesh: {mode: sidecar}\n" KONG_LOAD(
        ", headers: {x-b3-traceid: 00000000000000a1, x-b3-spanid: 00000000000000b2,"
        " x-b3-sampled: '1'}");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 100);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_SERVER, -1) -
                        count(&r, "gateway outbound", PX_SPAN_SERVER, -1),
                    0);
    CU_ASSERT_EQUAL(count(&r, "gateway outbound", PX_SPAN_SERVER, 1), 100);
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        CU_ASSERT_EQUAL(s->trace_lo, 0xa1);
        if (s->kind == PX_SPAN_SERVER && !strcmp(s->service, "gateway outbound"))
            CU_ASSERT_EQUAL(s->parent, 0xb2);
    }
    rpt_run_free(&r);
}

/*
 * An incoming sampled B3 context is continued at a sample_ratio of 0: the
 * same trace id, the incoming span as the parent, 64-bit kept.
 */
static void test_proxy_trace_kong_continues_incoming_context(void)
{
    static const char text[] =
        KONG_HEAD("  plugins: [{name: zipkin, config: {sample_ratio: 0, traceid_byte_count: 8}}]\n")
            KONG_LOAD(", headers: {x-b3-traceid: 00000000000000a1, x-b3-spanid: 00000000000000b2,"
                      " x-b3-sampled: '1'}");
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_SERVER, 1), 100);
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_CLIENT, 1), 100);
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        CU_ASSERT_EQUAL(s->trace_hi, 0);
        CU_ASSERT_EQUAL(s->trace_lo, 0xa1);
        if (s->kind == PX_SPAN_SERVER && !strcmp(s->service, "gateway"))
            CU_ASSERT_EQUAL(s->parent, 0xb2);
    }
    rpt_run_free(&r);
    /* without the sampled header (deferred) the gateway decides: 0%, nothing kept */
    static const char deferred[] =
        KONG_HEAD("  plugins: [{name: zipkin, config: {sample_ratio: 0}}]\n")
            KONG_LOAD(", headers: {x-b3-traceid: 00000000000000a1, x-b3-spanid: 00000000000000b2}");
    RUN_OR_RETURN(test_run_text(deferred, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 100);
    CU_ASSERT_EQUAL(r.spans.n, 0);
    rpt_run_free(&r);
}

/* A route-scoped plugin covers its route only; the scenario's tracing.sample overrides. */
static void test_proxy_trace_kong_scopes_and_override(void)
{
    static const char text[] =
        "faultline: 1\n"
        "duration: 10s\n"
        "services:\n"
        "  - {name: catalog, workers: 8, service_time: 2ms}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - name: catalog\n"
        "      url: http://catalog:80\n"
        "      routes:\n"
        "        - {name: traced, paths: [/t], plugins: [{name: opentelemetry,"
        " config: {endpoint: 'http://otel:4318/v1/traces', sampling_rate: 1}}]}\n"
        "        - {name: plain, paths: [/p]}\n"
        "workload:\n"
        "  - {name: b, target: gateway, trace: false, arrival: constant, rate: 10/s,"
        " requests: [{path: /t}, {path: /p}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    size_t t = 0, p = 0;
    for (size_t i = 0; i < r.spans.n; i++) {
        if (r.spans.v[i].kind != PX_SPAN_SERVER) continue;
        t += !strcmp(r.spans.v[i].path, "/t");
        p += !strcmp(r.spans.v[i].path, "/p");
    }
    CU_ASSERT(t > 0);
    CU_ASSERT_EQUAL(t, count(&r, "gateway", PX_SPAN_SERVER, 0));
    CU_ASSERT_EQUAL(p, 0);
    rpt_run_free(&r);
    /* tracing.sample: 0% turns the route's 100% off */
    static const char *const zero[] = {"tracing.sample=0%"};
    RUN_OR_RETURN(test_run_text(text, zero, 1, &r));
    CU_ASSERT_EQUAL(r.spans.n, 0);
    rpt_run_free(&r);
    /* and 100% traces what no plugin covers */
    static const char *const all[] = {"tracing.sample=100%"};
    RUN_OR_RETURN(test_run_text(text, all, 1, &r));
    CU_ASSERT_EQUAL(count(&r, "gateway", PX_SPAN_SERVER, 0), 100);
    rpt_run_free(&r);
}

/* A caller with one pod calling a callee that always fails, through Istio sidecars. */
#define MESH(extra)                                                                                \
    "faultline: 1\n"                                                                               \
    "seed: 9\n"                                                                                    \
    "duration: 1s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - {name: callee, workers: 64, service_time: 1ms, errors: {rate: 100%, status: 503}}\n"      \
    "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"             \
    "workload:\n"                                                                                  \
    "  - {name: c, target: caller, trace: false, arrival: constant, rate: 20/s, requests: "        \
    "[{path: /x}]}\n"                                                                              \
    "mesh:\n"                                                                                      \
    "  resources:\n"                                                                               \
    "    - apiVersion: networking.istio.io/v1\n"                                                   \
    "      kind: VirtualService\n"                                                                 \
    "      metadata: {name: callee}\n"                                                             \
    "      spec:\n"                                                                                \
    "        hosts: [callee]\n"                                                                    \
    "        http:\n"                                                                              \
    "          - route: [{destination: {host: callee}}]\n"                                         \
    "            retries: {attempts: 2, retryOn: 5xx}\n" extra

#define TELEMETRY(ns, pct)                                                                         \
    "    - apiVersion: telemetry.istio.io/v1\n"                                                    \
    "      kind: Telemetry\n"                                                                      \
    "      metadata: {name: mesh-default, namespace: " ns "}\n"                                    \
    "      spec: {tracing: [{randomSamplingPercentage: " pct "}]}\n"

/*
 * Retries: three CLIENT spans per call at the caller's outbound sidecar,
 * attempts 1..3, the first two retried for "5xx", the last refused
 * ("retry-limit"); each attempt's context reaches the callee's inbound
 * sidecar, whose SERVER span is its child in the same trace.
 */
static void test_proxy_trace_attempts_and_propagation(void)
{
    static const char text[] = MESH(TELEMETRY("istio-system", "100"));
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    size_t calls = r.routes[0].count;
    CU_ASSERT_EQUAL(calls, 20);
    CU_ASSERT_EQUAL(count(&r, "caller-0 inbound", PX_SPAN_SERVER, 0), calls); /* it starts them */
    size_t n_client = 0, n_reached = 0, by_attempt[4] = {0};
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        if (s->kind != PX_SPAN_CLIENT || strncmp(s->service, "caller", 6) ||
            !strstr(s->service, "outbound"))
            continue;
        n_client++;
        CU_ASSERT_FATAL(s->attempt >= 1 && s->attempt <= 3);
        by_attempt[s->attempt]++;
        CU_ASSERT_EQUAL(s->status, 503);
        CU_ASSERT_EQUAL(s->error, 1);
        CU_ASSERT_STRING_EQUAL(s->reason, s->attempt < 3 ? "5xx" : "retry-limit");
        const struct rpt_span *server = by_id(&r, s->parent);
        CU_ASSERT_FATAL(server != NULL);
        CU_ASSERT_EQUAL(server->kind, PX_SPAN_SERVER);
        CU_ASSERT(!strncmp(server->service, "caller", 6) && strstr(server->service, "outbound"));
        /* the callee's inbound sidecar continued this attempt's context */
        for (size_t k = 0; k < r.spans.n; k++) {
            const struct rpt_span *in = &r.spans.v[k];
            if (in->parent != s->id) continue;
            n_reached++;
            CU_ASSERT_EQUAL(in->kind, PX_SPAN_SERVER);
            CU_ASSERT(!strncmp(in->service, "callee", 6));
            CU_ASSERT_EQUAL(in->trace_hi, s->trace_hi);
            CU_ASSERT_EQUAL(in->trace_lo, s->trace_lo);
            CU_ASSERT(in->start_ns >= s->start_ns && in->end_ns <= s->end_ns);
        }
    }
    CU_ASSERT_EQUAL(n_client, 3 * calls);
    CU_ASSERT_EQUAL(by_attempt[1], calls);
    CU_ASSERT_EQUAL(by_attempt[2], calls);
    CU_ASSERT_EQUAL(by_attempt[3], calls);
    CU_ASSERT_EQUAL(n_reached, 3 * calls);
    /* Istio's ids are 128-bit */
    CU_ASSERT(r.spans.n > 0 && r.spans.v[0].trace_hi != 0);
    rpt_run_free(&r);
}

/*
 * Timeouts: a 50 ms per-try timeout ends the first attempt (retried,
 * "per-try-timeout"); the retry starts 50..75 ms in (backoff below 25 ms)
 * and the 90 ms route timeout cuts it ("timeout"): the SERVER span is
 * the 504 UT, with the same reason (proxies that cost nothing: exact times).
 */
static void test_proxy_trace_timeout_reasons(void)
{
    static const char text[] =
        "faultline: 1\n"
        "duration: 1s\n"
        "tracing: {sample: 100%}\n"
        "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"
        "services:\n"
        "  - {name: callee, workers: 64, service_time: 200ms}\n"
        "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"
        "workload:\n"
        "  - {name: c, target: caller, trace: false, arrival: constant, rate: 10/s, requests: "
        "[{path: /x}]}\n"
        "mesh:\n"
        "  resources:\n"
        "    - apiVersion: networking.istio.io/v1\n"
        "      kind: VirtualService\n"
        "      metadata: {name: callee}\n"
        "      spec:\n"
        "        hosts: [callee]\n"
        "        http:\n"
        "          - route: [{destination: {host: callee}}]\n"
        "            timeout: 90ms\n"
        "            retries: {attempts: 3, perTryTimeout: 50ms, retryOn: 5xx}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    size_t first = 0, second = 0, servers = 0;
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        if (strncmp(s->service, "caller-0 outbound", 17)) continue;
        if (s->kind == PX_SPAN_SERVER) {
            servers++;
            CU_ASSERT_EQUAL(s->status, 504);
            CU_ASSERT_STRING_EQUAL(s->reason, "timeout");
            CU_ASSERT_EQUAL(s->end_ns - s->start_ns, 90 * INT64_C(1000000));
            continue;
        }
        CU_ASSERT_EQUAL(s->status, 0);
        CU_ASSERT_EQUAL(s->error, 1);
        if (s->attempt == 1) {
            first++;
            CU_ASSERT_STRING_EQUAL(s->reason, "per-try-timeout");
            CU_ASSERT_EQUAL(s->end_ns - s->start_ns, 50 * INT64_C(1000000));
        } else {
            second++;
            CU_ASSERT_EQUAL(s->attempt, 2);
            CU_ASSERT_STRING_EQUAL(s->reason, "timeout");
        }
    }
    CU_ASSERT_EQUAL(servers, 10);
    CU_ASSERT_EQUAL(first, 10);
    CU_ASSERT_EQUAL(second, 10);
    rpt_run_free(&r);
}

/*
 * The breaker: five requests at once, one connection and three pending
 * allowed: two attempts are refused at once ("overflow", 503 UO), and
 * their SERVER spans say so too.
 */
static void test_proxy_trace_overflow_reason(void)
{
    static const char text[] =
        "faultline: 1\n"
        "duration: 1s\n"
        "tracing: {sample: 100%}\n"
        "proxy: {sidecar: {cost: 0ms, workers: 64}}\n"
        "services:\n"
        "  - {name: callee, workers: 64, service_time: 100ms}\n"
        "  - {name: caller, workers: 64, service_time: 0ms, calls: [{service: callee}]}\n"
        "workload:\n"
        "  - {name: c, target: caller, trace: false, arrival: closed, clients: 5, think_time: 1h,\n"
        "     requests: [{path: /x}]}\n"
        "mesh:\n"
        "  resources:\n"
        "    - apiVersion: networking.istio.io/v1\n"
        "      kind: DestinationRule\n"
        "      metadata: {name: callee}\n"
        "      spec:\n"
        "        host: callee\n"
        "        trafficPolicy:\n"
        "          connectionPool: {tcp: {maxConnections: 1},\n"
        "                           http: {http1MaxPendingRequests: 3}}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    size_t refused = 0, served = 0, refused_servers = 0;
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        if (strncmp(s->service, "caller-0 outbound", 17)) continue;
        if (s->kind == PX_SPAN_SERVER) {
            refused_servers += s->status == 503 && s->reason && !strcmp(s->reason, "overflow");
            continue;
        }
        if (s->reason && !strcmp(s->reason, "overflow")) {
            refused++;
            CU_ASSERT_EQUAL(s->end_ns, s->start_ns);
            CU_ASSERT(s->flags & PX_FLAG_UO);
        } else {
            served++;
            CU_ASSERT_EQUAL(s->status, 200);
        }
    }
    CU_ASSERT_EQUAL(refused, 2);
    CU_ASSERT_EQUAL(served, 3);
    CU_ASSERT_EQUAL(refused_servers, 2);
    rpt_run_free(&r);
}

/*
 * A mirrored copy carries the request's trace and decision: each shadow
 * reaching reviews v2's inbound sidecar continues the trace of the request
 * it copies, as a child of that request's SERVER span at the outbound.
 */
static void test_proxy_trace_mirror_inherits_context(void)
{
    static const char *const sets[] = {"duration=10s", "tracing.sample=100%"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/mirror.yaml", sets, 2, &r));
    size_t shadows = 0;
    for (size_t i = 0; i < r.spans.n; i++) {
        const struct rpt_span *s = &r.spans.v[i];
        if (s->kind != PX_SPAN_SERVER || strncmp(s->service, "reviews-v2", 10) ||
            !strstr(s->service, "inbound"))
            continue;
        const struct rpt_span *p = by_id(&r, s->parent);
        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT_EQUAL(p->kind, PX_SPAN_SERVER);
        CU_ASSERT(strstr(p->service, "outbound") != NULL);
        CU_ASSERT_EQUAL(p->trace_lo, s->trace_lo);
        shadows++;
    }
    /* 2000 requests, half mirrored: sigma 22; 5 sigma */
    ASSERT_ABS(shadows, 1000, 5 * 22.4);
    rpt_run_free(&r);
}

/* The share of traces the first sidecar samples: 0%, 100%, and a Telemetry's 10%. */
static size_t roots(const char *text, const char *const *sets, size_t n_sets, size_t *requests)
{
    struct rpt_run r;
    if (test_run_text(text, sets, n_sets, &r)) {
        CU_FAIL("scenario did not run");
        return 0;
    }
    *requests = r.routes[0].count;
    size_t n = count(&r, "caller-0 inbound", PX_SPAN_SERVER, 0);
    rpt_run_free(&r);
    return n;
}

static void test_proxy_trace_sampling(void)
{
    static const char *const longer[] = {"duration=100s"};
    size_t req;
    /* Istio's default: 1%. 2000 requests: mean 20, sigma 4.4; 4 sigma */
    size_t n = roots(MESH(""), longer, 1, &req);
    CU_ASSERT_EQUAL(req, 2000);
    ASSERT_ABS(n, 20, 4 * 4.4);
    /* a namespace's Telemetry at 10%: mean 200, sigma sqrt(2000 * 0.1 * 0.9) = 13.4 */
    n = roots(MESH(TELEMETRY("default", "10")), longer, 1, &req);
    ASSERT_ABS(n, 200, 4 * 13.4);
    /* mesh-wide 0% and 100% */
    CU_ASSERT_EQUAL(roots(MESH(TELEMETRY("istio-system", "0")), NULL, 0, &req), 0);
    CU_ASSERT_EQUAL(roots(MESH(TELEMETRY("istio-system", "100")), NULL, 0, &req), req);
    /* the scenario's tracing.sample overrides the Telemetry */
    static const char *const half[] = {"duration=100s", "tracing.sample=50%"};
    n = roots(MESH(TELEMETRY("istio-system", "100")), half, 2, &req);
    ASSERT_ABS(n, 1000, 4 * 22.4); /* sigma sqrt(2000 / 4) */
}

void suite_proxy_trace(void)
{
    TEST_SUITE("proxy_trace");
    TEST_ADD(test_proxy_trace_kong_zipkin_spans);
    TEST_ADD(test_proxy_trace_kong_without_plugin_reports_nothing);
    TEST_ADD(test_proxy_trace_kong_continues_incoming_context);
    TEST_ADD(test_proxy_trace_untraced_gateway_passes_headers_through);
    TEST_ADD(test_proxy_trace_kong_scopes_and_override);
    TEST_ADD(test_proxy_trace_attempts_and_propagation);
    TEST_ADD(test_proxy_trace_sampling);
    TEST_ADD(test_proxy_trace_timeout_reasons);
    TEST_ADD(test_proxy_trace_overflow_reason);
    TEST_ADD(test_proxy_trace_mirror_inherits_context);
}
