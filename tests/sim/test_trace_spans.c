/*
 * test_trace_spans.c - the spans of workloads and pods, the trace context they
 * carry, TCP retransmission delay on spans, and tail retention of the
 * slowest requests' traces (sim/trace.c), on small scenarios run
 * in-process.
 */
#include <stdlib.h>
#include <string.h>

#include "proxies/rt.h"
#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_trace_spans(void);

#define MS INT64_C(1000000)

/*
 * A chain front -> back with constant service times and constant arrivals
 * far apart (one request every 10 ms; a request takes under 10 ms): no
 * request ever waits for a worker.
 */
#define CHAIN_BASE                                                                                 \
    "faultline: 1\n"                                                                               \
    "name: trace-chain\n"                                                                          \
    "seed: 7\n"                                                                                    \
    "duration: 2s\n"                                                                               \
    "network: {delay: 1ms}\n"                                                                      \
    "services:\n"                                                                                  \
    "  - name: front\n"                                                                            \
    "    workers: 1\n"                                                                             \
    "    service_time: 2ms\n"                                                                      \
    "    calls: [{service: back, method: GET, path: /b}]\n"                                        \
    "  - name: back\n"                                                                             \
    "    workers: 1\n"                                                                             \
    "    service_time: 3ms\n"                                                                      \
    "workload:\n"                                                                                  \
    "  - name: clients\n"                                                                          \
    "    target: front\n"                                                                          \
    "    arrival: constant\n"                                                                      \
    "    rate: 100/s\n"                                                                            \
    "    requests: [{method: GET, path: /a}]\n"                                                    \
    "report: {slowest: 5}\n"

static const char *const chain = CHAIN_BASE "tracing: {sample: 100%}\n";

static const struct rpt_span *find_span(const struct rpt_run *r, uint64_t hi, uint64_t lo,
                                        uint64_t id)
{
    for (size_t i = 0; i < r->spans.n; i++) {
        const struct rpt_span *s = &r->spans.v[i];
        if (s->id == id && s->trace_hi == hi && s->trace_lo == lo) return s;
    }
    return NULL;
}

static size_t count_kind(const struct rpt_run *r, int kind, const char *service)
{
    size_t n = 0;
    for (size_t i = 0; i < r->spans.n; i++)
        n += r->spans.v[i].kind == kind && !strcmp(r->spans.v[i].service, service);
    return n;
}

/* workload root -> try -> front's server span -> front's call -> back's server span */
static void test_trace_span_tree_per_request(void)
{
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, NULL, 0, &run));
    uint64_t n_req = run.all.count;
    CU_ASSERT_EQUAL(n_req, 200);
    CU_ASSERT_EQUAL(run.spans.n, 5 * n_req);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_LOCAL, "clients"), n_req);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_CLIENT, "clients"), n_req);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_SERVER, "front"), n_req);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_CLIENT, "front"), n_req);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_SERVER, "back"), n_req);
    size_t checked = 0;
    for (size_t i = 0; i < run.spans.n; i++) {
        const struct rpt_span *b = &run.spans.v[i];
        if (b->kind != PX_SPAN_SERVER || strcmp(b->service, "back")) continue;
        const struct rpt_span *call = find_span(&run, b->trace_hi, b->trace_lo, b->parent);
        CU_ASSERT_FATAL(call != NULL);
        CU_ASSERT(call->kind == PX_SPAN_CLIENT && !strcmp(call->service, "front"));
        CU_ASSERT_STRING_EQUAL(call->cluster, "back");
        CU_ASSERT_STRING_EQUAL(call->peer, "back-0");
        CU_ASSERT_EQUAL(call->attempt, 1);
        const struct rpt_span *f = find_span(&run, b->trace_hi, b->trace_lo, call->parent);
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT(f->kind == PX_SPAN_SERVER && !strcmp(f->service, "front"));
        CU_ASSERT_STRING_EQUAL(f->name, "GET /a");
        const struct rpt_span *t = find_span(&run, b->trace_hi, b->trace_lo, f->parent);
        CU_ASSERT_FATAL(t != NULL);
        CU_ASSERT(t->kind == PX_SPAN_CLIENT && !strcmp(t->service, "clients") && t->attempt == 1);
        const struct rpt_span *root = find_span(&run, b->trace_hi, b->trace_lo, t->parent);
        CU_ASSERT_FATAL(root != NULL);
        CU_ASSERT(root->kind == PX_SPAN_LOCAL && root->parent == 0 && root->trace_hi != 0);
        /* children inside their parents */
        CU_ASSERT(root->start_ns <= t->start_ns && t->end_ns <= root->end_ns);
        CU_ASSERT(t->start_ns <= f->start_ns && f->end_ns <= t->end_ns);
        CU_ASSERT(f->start_ns <= call->start_ns && call->end_ns <= f->end_ns);
        CU_ASSERT(call->start_ns <= b->start_ns && b->end_ns <= call->end_ns);
        checked++;
    }
    CU_ASSERT_EQUAL(checked, n_req);
    /* the rows carry the trace ids of the roots */
    CU_ASSERT_EQUAL_FATAL(run.n_requests, n_req);
    for (size_t i = 0; i < run.n_requests; i++)
        CU_ASSERT(run.requests[i].trace_lo != 0 && run.requests[i].trace_hi != 0);
    rpt_run_free(&run);
}

/* With no wait for a worker, queue 0 and the service time the model's constant. */
static void test_trace_queue_and_service_time_are_the_model(void)
{
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, NULL, 0, &run));
    size_t n = 0;
    for (size_t i = 0; i < run.spans.n; i++) {
        const struct rpt_span *s = &run.spans.v[i];
        CU_ASSERT_EQUAL(s->rtx_ns, 0); /* no loss: no retransmission */
        if (s->kind != PX_SPAN_SERVER) continue;
        CU_ASSERT_EQUAL(s->queue_ns, 0);
        CU_ASSERT_EQUAL(s->service_ns, !strcmp(s->service, "front") ? 2 * MS : 3 * MS);
        CU_ASSERT_EQUAL(s->status, 200);
        n++;
    }
    CU_ASSERT_EQUAL(n, 400);
    rpt_run_free(&run);
}

/* One worker, two requests at once: the second waits exactly the first's service time. */
static void test_trace_queue_time_is_the_wait_for_a_worker(void)
{
    static const char *const sets[] = {"workload.0.rate=2000/s", "duration=1ms",
                                       "services.front.calls=[]"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, sets, 3, &run));
    CU_ASSERT_EQUAL_FATAL(count_kind(&run, PX_SPAN_SERVER, "front"), 2);
    int64_t q[2];
    size_t k = 0;
    for (size_t i = 0; i < run.spans.n; i++)
        if (run.spans.v[i].kind == PX_SPAN_SERVER) q[k++] = run.spans.v[i].queue_ns;
    /* arrivals 0.5 ms apart; the first holds the worker 2 ms */
    CU_ASSERT((q[0] == 0 && q[1] == 2 * MS - MS / 2) || (q[1] == 0 && q[0] == 2 * MS - MS / 2));
    rpt_run_free(&run);
}

/* Loss: some messages are late by an RTO, and the spans that received them say so. */
static void test_trace_rtx_only_with_loss(void)
{
    static const char *const lossy[] = {"network.loss=5%", "duration=10s"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, lossy, 2, &run));
    size_t late = 0;
    for (size_t i = 0; i < run.spans.n; i++) {
        const struct rpt_span *s = &run.spans.v[i];
        CU_ASSERT(s->rtx_ns >= 0);
        if (s->rtx_ns > 0) {
            late++;
            CU_ASSERT(s->rtx_ns >= 200 * MS); /* at least one RTO (rto_min 200 ms) */
        }
        if (s->kind == PX_SPAN_SERVER) CU_ASSERT_EQUAL(s->queue_ns + s->service_ns >= 2 * MS, 1);
    }
    /*
     * 1000 requests, 4 hops each way per request, 5% loss per segment: about
     * 1000 x 4 x 0.05 = 200 late messages (SYN losses add a few); sigma ~ 14.
     */
    CU_ASSERT(late > 100 && late < 320);
    CU_ASSERT_FATAL(run.n_slowest == 5);
    CU_ASSERT(run.slowest[0].rtx_ns >= 200 * MS);
    rpt_run_free(&run);
}

/* 1 when request a is slower than b (or as slow and earlier): the retention's order. */
static int slower(const struct rpt_request *a, const struct rpt_request *b)
{
    if (a->latency_ns != b->latency_ns) return a->latency_ns > b->latency_ns;
    return a->start_ns < b->start_ns;
}

static int by_slowness(const void *x, const void *y)
{
    const struct rpt_request *a = x, *b = y;
    return slower(a, b) ? -1 : slower(b, a) ? 1 : 0;
}

/* Poisson arrivals, exponential service, sampling 0%: still exactly the N slowest. */
static void test_trace_retention_keeps_exactly_the_slowest(void)
{
    static const char *const sets[] = {
        "tracing.sample=0%",
        "report.slowest=10",
        "workload.0.arrival=poisson",
        "workload.0.rate=300/s",
        "duration=20s",
        "warmup=1s",
        "services.front.service_time={dist: exponential, mean: 2ms}",
        "services.front.workers=2",
        "network.loss=1%",
    };
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, sets, sizeof sets / sizeof *sets, &run));
    CU_ASSERT_EQUAL(run.spans.n, 0); /* nothing sampled */
    CU_ASSERT_EQUAL_FATAL(run.n_slowest, 10);
    CU_ASSERT_EQUAL_FATAL(run.n_requests, run.all.count);
    CU_ASSERT(run.all.count > 5000);
    struct rpt_request *v = malloc(run.n_requests * sizeof *v);
    memcpy(v, run.requests, run.n_requests * sizeof *v);
    qsort(v, run.n_requests, sizeof *v, by_slowness);
    for (size_t i = 0; i < 10; i++) {
        const struct rpt_slow *sl = &run.slowest[i];
        CU_ASSERT_EQUAL(sl->latency_ns, v[i].latency_ns);
        CU_ASSERT_EQUAL(sl->start_ns, v[i].start_ns);
        CU_ASSERT(sl->trace_lo == v[i].trace_lo && sl->trace_hi == v[i].trace_hi);
        CU_ASSERT_STRING_EQUAL(sl->route, "/a");
        CU_ASSERT(sl->n_spans >= 5); /* the whole trace, though none was sampled */
        /* the root span is the request */
        const struct rpt_span *root = &sl->spans[0];
        CU_ASSERT(root->kind == PX_SPAN_LOCAL && root->parent == 0);
        CU_ASSERT_EQUAL(root->end_ns - root->start_ns, sl->latency_ns);
        CU_ASSERT(sl->queue_ns + sl->service_ns + sl->network_ns + sl->rtx_ns + sl->backoff_ns +
                      sl->other_ns ==
                  sl->latency_ns);
    }
    free(v);
    rpt_run_free(&run);
}

/* report.slowest: 0 lists none. */
static void test_trace_retention_off(void)
{
    static const char *const sets[] = {"report.slowest=0"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, sets, 1, &run));
    CU_ASSERT_EQUAL(run.n_slowest, 0);
    CU_ASSERT_PTR_NULL(run.slowest);
    CU_ASSERT_EQUAL(run.spans.n, 1000); /* sampling is apart from retention */
    rpt_run_free(&run);
}

/* A service that does not propagate: its callee's spans start traces of their own. */
static void test_trace_propagate_false_breaks_the_trace(void)
{
    static const char *const sets[] = {"services.front.propagate_trace=false"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, sets, 1, &run));
    size_t n_back = 0;
    for (size_t i = 0; i < run.spans.n; i++) {
        const struct rpt_span *b = &run.spans.v[i];
        if (b->kind != PX_SPAN_SERVER || strcmp(b->service, "back")) continue;
        n_back++;
        CU_ASSERT_EQUAL(b->parent, 0); /* a root: nothing came with the call */
        /* no span of a workload's trace shares its trace id */
        for (size_t k = 0; k < run.spans.n; k++)
            if (run.spans.v[k].trace_lo == b->trace_lo)
                CU_ASSERT(!strcmp(run.spans.v[k].service, "back"));
    }
    CU_ASSERT_EQUAL(n_back, 200);
    /* front's trace still holds its call */
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_CLIENT, "front"), 200);
    CU_ASSERT_FATAL(run.n_slowest == 5);
    CU_ASSERT_EQUAL(run.slowest[0].n_spans, 4); /* root, try, front, front's call */
    rpt_run_free(&run);
}

/* trace: false: no context sent, rows without trace ids; pods start the traces. */
static void test_trace_uninstrumented_client(void)
{
    static const char *const sets[] = {"workload.0.trace=false"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(chain, sets, 1, &run));
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_LOCAL, "clients"), 0);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_SERVER, "front"), 200);
    for (size_t i = 0; i < run.n_requests; i++)
        CU_ASSERT(run.requests[i].trace_lo == 0 && run.requests[i].trace_hi == 0);
    CU_ASSERT_FATAL(run.n_slowest == 5);
    CU_ASSERT(run.slowest[0].trace_lo == 0 && run.slowest[0].n_spans == 0);
    rpt_run_free(&run);
}

/* The default sampling (no tracing.sample, no proxy): 1% of the traces, decided by the first pod.
 */
static void test_trace_default_sampling_is_one_percent(void)
{
    static const char *const sets[] = {"duration=200s"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(CHAIN_BASE, sets, 1, &run));
    size_t roots = count_kind(&run, PX_SPAN_LOCAL, "clients");
    /* 20000 requests at 1%: 200 expected, sigma ~ 14 */
    CU_ASSERT(roots > 130 && roots < 270);
    CU_ASSERT_EQUAL(run.spans.n, 5 * roots); /* a sampled trace is whole */
    rpt_run_free(&run);
}

static int same_span(const struct rpt_span *a, const struct rpt_span *b)
{
    return a->trace_hi == b->trace_hi && a->trace_lo == b->trace_lo && a->id == b->id &&
           a->parent == b->parent && a->start_ns == b->start_ns && a->end_ns == b->end_ns &&
           a->queue_ns == b->queue_ns && a->service_ns == b->service_ns && a->rtx_ns == b->rtx_ns &&
           a->status == b->status && a->kind == b->kind && a->attempt == b->attempt &&
           !strcmp(a->name, b->name) && !strcmp(a->service, b->service);
}

/* Same scenario and seed: the same spans, ids included. */
static void test_trace_deterministic(void)
{
    static const char *const sets[] = {"network.loss=2%"};
    struct rpt_run a, b;
    RUN_OR_RETURN(test_run_text(chain, sets, 1, &a));
    if (test_run_text(chain, sets, 1, &b)) {
        rpt_run_free(&a);
        CU_FAIL("second run");
        return;
    }
    CU_ASSERT_EQUAL_FATAL(a.spans.n, b.spans.n);
    for (size_t i = 0; i < a.spans.n; i++) CU_ASSERT(same_span(&a.spans.v[i], &b.spans.v[i]));
    CU_ASSERT_EQUAL_FATAL(a.n_slowest, b.n_slowest);
    for (size_t i = 0; i < a.n_slowest; i++) {
        CU_ASSERT_EQUAL(a.slowest[i].trace_lo, b.slowest[i].trace_lo);
        CU_ASSERT_STRING_EQUAL(a.slowest[i].hops, b.slowest[i].hops);
    }
    rpt_run_free(&a);
    rpt_run_free(&b);
}

/* Through a gateway: every span's parent is in its trace, and the trace's one root is the
 * workload's. */
static void test_trace_gateway_tree_is_connected(void)
{
    static const char *const text = "faultline: 1\n"
                                    "name: trace-gw\n"
                                    "seed: 3\n"
                                    "duration: 2s\n"
                                    "network: {delay: 1ms}\n"
                                    "services:\n"
                                    "  - name: api\n"
                                    "    replicas: 2\n"
                                    "    service_time: 2ms\n"
                                    "gateway:\n"
                                    "  _format_version: \"3.0\"\n"
                                    "  services:\n"
                                    "    - name: api\n"
                                    "      url: http://api:80\n"
                                    "      routes: [{name: r, paths: [/], strip_path: false}]\n"
                                    "workload:\n"
                                    "  - name: web\n"
                                    "    target: gateway\n"
                                    "    arrival: constant\n"
                                    "    rate: 50/s\n"
                                    "    requests: [{path: /x}]\n"
                                    "tracing: {sample: 100%}\n";
    struct rpt_run run;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &run));
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_LOCAL, "web"), run.all.count);
    CU_ASSERT_EQUAL(count_kind(&run, PX_SPAN_SERVER, "api"), run.all.count);
    for (size_t i = 0; i < run.spans.n; i++) {
        const struct rpt_span *s = &run.spans.v[i];
        if (!s->parent) {
            CU_ASSERT(s->kind == PX_SPAN_LOCAL && !strcmp(s->service, "web"));
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL(find_span(&run, s->trace_hi, s->trace_lo, s->parent));
    }
    rpt_run_free(&run);
}

void suite_trace_spans(void)
{
    TEST_SUITE("sim/trace_spans");
    TEST_ADD(test_trace_span_tree_per_request);
    TEST_ADD(test_trace_queue_and_service_time_are_the_model);
    TEST_ADD(test_trace_queue_time_is_the_wait_for_a_worker);
    TEST_ADD(test_trace_rtx_only_with_loss);
    TEST_ADD(test_trace_retention_keeps_exactly_the_slowest);
    TEST_ADD(test_trace_retention_off);
    TEST_ADD(test_trace_propagate_false_breaks_the_trace);
    TEST_ADD(test_trace_uninstrumented_client);
    TEST_ADD(test_trace_default_sampling_is_one_percent);
    TEST_ADD(test_trace_deterministic);
    TEST_ADD(test_trace_gateway_tree_is_connected);
}
