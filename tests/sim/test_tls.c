/*
 * test_tls.c - TLS handshakes of simulated connections (sim/tls.c): the
 * exact time a full handshake adds (one round trip, the server's key
 * exchange and signature, the client's key exchange and three
 * verifications; mutual TLS: the client's signature and the server's
 * verifications too), resumption on later connections of a path, and
 * Istio's auto mTLS between sidecars counted in the summary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_tls(void);

#define US INT64_C(1000)
#define MS INT64_C(1000000)

/* One request at 0 s from a client 5 ms (one way) from the gateway; all costs fixed. */
static const char *const one_request =
    "faultline: 1\n"
    "duration: 1s\n"
    "network: {delay: 5ms}\n"
    "proxy: {gateway: {cost: 0ms}}\n"
    "services:\n"
    "  - {name: api, replicas: 1, workers: 4, service_time: 2ms}\n"
    "gateway:\n"
    "  _format_version: \"3.0\"\n"
    "  services:\n"
    "    - {name: api, url: \"http://api:80\", routes: [{name: r, paths: [/]}]}\n"
    "workload:\n"
    "  - {name: web, target: gateway, arrival: constant, rate: 1/s, requests: [{path: /x}]}\n";

static int64_t only_latency(const char *const *sets, size_t n, struct rpt_run *r)
{
    if (test_run_text(one_request, sets, n, r)) return -1;
    CU_ASSERT_EQUAL(r->all.count, 1);
    return r->all.hist.max;
}

/*
 * With RSA 2048 (the default key): the handshake adds the round trip
 * (10 ms) and 50 + 967 us at the server, 50 + 3 x 23 us at the client:
 * 11.136 ms exactly; with ECDSA P-256, 50 + 29 and 50 + 3 x 93 us.
 */
static void test_tls_full_handshake_adds_its_exact_time(void)
{
    struct rpt_run plain, tls;
    int64_t a = only_latency(NULL, 0, &plain);
    static const char *const on[] = {"workload.0.tls=true"};
    int64_t b = only_latency(on, 1, &tls);
    CU_ASSERT_EQUAL(b - a, 10 * MS + (50 + 967) * US + (50 + 3 * 23) * US);
    CU_ASSERT_EQUAL(plain.tls_full, 0);
    CU_ASSERT_EQUAL(tls.tls_full, 1);
    CU_ASSERT_EQUAL(tls.tls_mutual, 0);
    rpt_run_free(&plain);
    rpt_run_free(&tls);
    static const char *const ec[] = {"workload.0.tls=true", "proxy.tls={key: ecdsa-p256}"};
    int64_t c = only_latency(ec, 2, &tls);
    CU_ASSERT_EQUAL(c - a, 10 * MS + (50 + 29) * US + (50 + 3 * 93) * US);
    rpt_run_free(&tls);
    static const char *const own[] = {"workload.0.tls=true",
                                      "proxy.tls={sign: 1ms, verify: 0ms, key_exchange: 0ms}"};
    c = only_latency(own, 2, &tls);
    CU_ASSERT_EQUAL(c - a, 11 * MS);
    rpt_run_free(&tls);
}

/*
 * 100 requests a second that each take 50 ms: the client holds about five
 * connections at once. The first handshake of the path is full, every
 * later one resumes with its ticket; without resumption all are full.
 */
static void test_tls_resumption(void)
{
    static const char *const sets[] = {"workload.0.tls=true", "workload.0.rate=100/s",
                                       "services.0.service_time=50ms", "duration=5s"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(one_request, sets, 4, &r));
    CU_ASSERT_EQUAL(r.tls_full, 1);
    CU_ASSERT(r.tls_resumed >= 4);
    uint64_t opened = r.tls_full + r.tls_resumed;
    rpt_run_free(&r);
    static const char *const off[] = {"workload.0.tls=true", "workload.0.rate=100/s",
                                      "services.0.service_time=50ms", "duration=5s",
                                      "proxy.tls={resumption: false}"};
    RUN_OR_RETURN(test_run_text(one_request, off, 5, &r));
    CU_ASSERT_EQUAL(r.tls_resumed, 0);
    CU_ASSERT(r.tls_full >= opened); /* slower handshakes: at least as many connections */
    rpt_run_free(&r);
}

/* Istio's auto mTLS: every handshake between sidecars is mutual; none without proxy.tls.mesh. */
static void test_tls_mesh_is_mutual(void)
{
    static const char *const sets[] = {"duration=10s"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/gateway-mesh.yaml", sets, 1, &r));
    CU_ASSERT_EQUAL(r.tls_full + r.tls_resumed, 0);
    rpt_run_free(&r);
    static const char *const on[] = {"duration=10s", "proxy.tls.mesh=true"};
    RUN_OR_RETURN(test_run_file("scenarios/gateway-mesh.yaml", on, 2, &r));
    CU_ASSERT(r.tls_full > 0);
    CU_ASSERT_EQUAL(r.tls_mutual, r.tls_full);
    CU_ASSERT_EQUAL(r.tls_failed, 0);
    rpt_run_free(&r);
}

void suite_tls(void)
{
    TEST_SUITE("sim/tls");
    TEST_ADD(test_tls_full_handshake_adds_its_exact_time);
    TEST_ADD(test_tls_resumption);
    TEST_ADD(test_tls_mesh_is_mutual);
}
