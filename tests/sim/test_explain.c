/*
 * test_explain.c - sim/explain.c: the exact text `faultline check` prints
 * for a Kong gateway in front of two versions of a service without a mesh
 * (Kong's defaults in force: 5 retries on connection errors and timeouts,
 * 60 s timeouts, round robin), and that a build error comes back as an
 * error, not as text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/explain.h"
#include "sim/scenario.h"
#include "tests/testutil.h"

void suite_explain(void);

static const char *const gateway_text =
    "faultline: 1\n"
    "name: shop\n"
    "duration: 1s\n"
    "services:\n"
    "  - name: catalog\n"
    "    versions: [{name: v1, replicas: 2}, {name: v2}]\n"
    "workload:\n"
    "  - {name: web, target: gateway, rate: 1/s, requests: [{path: /api}]}\n"
    "gateway:\n"
    "  _format_version: \"3.0\"\n"
    "  services:\n"
    "    - name: catalog\n"
    "      url: http://catalog:80\n"
    "      routes: [{name: api, paths: [/api], methods: [GET]}]\n";

static const char *const gateway_expected =
    "scenario shop (seed 1): duration 1s, warmup 0ns, drain 5m00s\n"
    "services\n"
    "  catalog: 3 replicas (versions v1 x2, v2 x1)\n"
    "workloads\n"
    "  web -> gateway\n"
    "gateway (Kong, _format_version 3.0)\n"
    "  host *\n"
    "    route api: path prefix /api, method GET -> catalog\n"
    "      retry: retry_on connect-failure,reset,timeout, 5 attempts, per-try timeout 1m00s, no "
    "backoff, hosts not tried yet (1 pick)\n"
    "      timeout: none\n"
    "  cluster catalog: round-robin, connect timeout 1m00s, 3 endpoints (catalog-v1-0, "
    "catalog-v1-1, catalog-v2-0)\n"
    "    circuit breaker: max connections 4294967295, max pending 4294967295, max requests "
    "4294967295, max retries 4294967295\n"
    "    outlier detection: none\n"
    "  tracing: off (trace headers pass through)\n"
    "mesh: none (calls go straight to a pod)\n";

/* Loads text from a temporary file; returns the loader's result. */
static int load(const char *text, struct sim_scenario *sc)
{
    char path[] = "/tmp/fl-explain-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char *err = NULL;
    int rc = sim_scenario_load(path, NULL, 0, NULL, sc, &err);
    if (rc) fprintf(stderr, "\n  %s\n", err);
    free(err);
    remove(path);
    return rc;
}

static void test_explain_shows_kongs_defaults_in_force(void)
{
    struct sim_scenario sc;
    CU_ASSERT_EQUAL_FATAL(load(gateway_text, &sc), 0);
    char *text = NULL, *err = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(sim_explain(&sc, mem, &err), 0);
    fclose(mem);
    if (strcmp(text, gateway_expected))
        fprintf(stderr, "\n  got:\n%s\n  expected:\n%s\n", text, gateway_expected);
    CU_ASSERT_STRING_EQUAL(text, gateway_expected);
    free(text);
    sim_scenario_free(&sc);
}

/* A Kong service naming nothing the scenario has loads, and fails when built. */
/* A gateway that cannot be built is refused when loading, located in the Kong text. */
static void test_explain_reports_a_build_error(void)
{
    struct sim_scenario sc;
    char *bad = malloc(strlen(gateway_text) + 1);
    strcpy(bad, gateway_text);
    memcpy(strstr(bad, "http://catalog"), "http://catalxg", 14);
    char path[] = "/tmp/fl-explain-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(bad, f);
    fclose(f);
    char *err = NULL;
    CU_ASSERT_EQUAL(sim_scenario_load(path, NULL, 0, NULL, &sc, &err), -1);
    CU_ASSERT(err && strstr(err, path) && strstr(err, "'catalxg'") &&
              strstr(err, "did you mean 'catalog'"));
    free(err);
    remove(path);
    free(bad);
}

/* Each proxy's tracing, and a route's own (Kong's route-scoped zipkin over a global opentelemetry).
 */
static void test_explain_shows_tracing(void)
{
    static const char text[] =
        "faultline: 1\n"
        "duration: 1s\n"
        "services:\n"
        "  - {name: catalog}\n"
        "gateway:\n"
        "  _format_version: \"3.0\"\n"
        "  services:\n"
        "    - name: catalog\n"
        "      url: http://catalog:80\n"
        "      routes:\n"
        "        - {name: traced, paths: [/t], plugins: [{name: zipkin,\n"
        "           config: {sample_ratio: 0.5, traceid_byte_count: 8}}]}\n"
        "        - {name: plain, paths: [/p]}\n"
        "  plugins: [{name: opentelemetry, config: {endpoint: 'http://o:4318/v1/traces'}}]\n"
        "workload:\n"
        "  - {name: b, target: gateway, rate: 1/s, requests: [{path: /t}]}\n";
    struct sim_scenario sc;
    CU_ASSERT_EQUAL_FATAL(load(text, &sc), 0);
    char *out = NULL, *err = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    CU_ASSERT_EQUAL(sim_explain(&sc, mem, &err), 0);
    fclose(mem);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "      timeout: none\n"
                                       "      tracing: samples 50% of new or deferred traces, "
                                       "64-bit ids\n"
                                       "    route plain:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "    outlier detection: none\n"
                                       "  tracing: samples 1% of new or deferred traces, "
                                       "128-bit ids\n"));
    free(out);
    free(err);
    sim_scenario_free(&sc);
}

void suite_explain(void)
{
    TEST_SUITE("sim/explain");
    TEST_ADD(test_explain_shows_kongs_defaults_in_force);
    TEST_ADD(test_explain_reports_a_build_error);
    TEST_ADD(test_explain_shows_tracing);
}
