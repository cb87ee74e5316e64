/*
 * test_telemetry.c - Istio's Telemetry resource (proxies/istio_telemetry.c):
 * randomSamplingPercentage and disableSpanReporting read, Istio's default
 * (1%, 128-bit ids) without one, the root namespace's mesh-wide and a
 * namespace's overriding it (but not for the ingress gateway), a later
 * resource of the same name replacing the earlier, and located errors for
 * values out of range, unknown fields and what is not modeled.
 */
#include <stdlib.h>
#include <string.h>

#include "proxies/istio.h"
#include "proxies/trace.h"
#include "tests/proxies/istiotest.h"

void suite_telemetry(void);

#define TM(name, ns, tracing)                                                                      \
    "apiVersion: telemetry.istio.io/v1\n"                                                          \
    "kind: Telemetry\n"                                                                            \
    "metadata: {name: " name ", namespace: " ns "}\n"                                              \
    "spec:\n"                                                                                      \
    "  tracing:\n" tracing

static void test_telemetry_default_and_scopes(void)
{
    struct px_istio m = {0};
    struct px_trace_cfg t;
    px_istio_trace_cfg(&m, 0, &t);
    CU_ASSERT_EQUAL(t.enabled, 1);
    CU_ASSERT_DOUBLE_EQUAL(t.sample_pct, 1.0, 1e-12);
    CU_ASSERT_EQUAL(t.id128, 1);
    CU_ASSERT_EQUAL(t.formats, PX_TRACE_B3);
    it_add_ok(&m, "mesh.yaml",
              TM("shop", "default", "  - randomSamplingPercentage: 25\n") "---\n" TM(
                  "mesh-default", "istio-system",
                  "  - {randomSamplingPercentage: 10, providers: [{name: zipkin}],\n"
                  "     customTags: {env: {literal: {value: prod}}}}\n"));
    CU_ASSERT_EQUAL(m.n_telemetry, 2);
    px_istio_trace_cfg(&m, 0, &t); /* the services' namespace wins */
    CU_ASSERT_DOUBLE_EQUAL(t.sample_pct, 25, 1e-12);
    px_istio_trace_cfg(&m, 1, &t); /* the ingress gateway lives in istio-system */
    CU_ASSERT_DOUBLE_EQUAL(t.sample_pct, 10, 1e-12);
    CU_ASSERT_EQUAL(t.enabled, 1);
    /* a later one of the same name and namespace replaces it, with a note */
    char *err = it_add(&m, "later.yaml", TM("shop", "default", "  - disableSpanReporting: true\n"));
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_EQUAL(m.n_telemetry, 2);
    CU_ASSERT_EQUAL_FATAL(m.n_notes, 1);
    ASSERT_STR(m.notes[0],
               "Telemetry shop from later.yaml:1:1 replaces the one from mesh.yaml:1:1");
    px_istio_trace_cfg(&m, 0, &t); /* spans off; the mesh's rate stays */
    CU_ASSERT_EQUAL(t.enabled, 0);
    CU_ASSERT_DOUBLE_EQUAL(t.sample_pct, 10, 1e-12);
    px_istio_free(&m);
    /* an empty spec changes nothing */
    it_add_ok(
        &m, "mesh.yaml",
        "apiVersion: telemetry.istio.io/v1alpha1\nkind: Telemetry\n"
        "metadata: {name: x, namespace: istio-system}\nspec: {metrics: [], accessLogging: []}\n");
    px_istio_trace_cfg(&m, 0, &t);
    CU_ASSERT_DOUBLE_EQUAL(t.sample_pct, 1.0, 1e-12);
    CU_ASSERT_EQUAL(t.enabled, 1);
    px_istio_free(&m);
}

#define ASSERT_ERR(text, expected)                                                                 \
    do {                                                                                           \
        char *e__ = it_add_err("mesh.yaml", text);                                                 \
        ASSERT_STR(e__, expected);                                                                 \
        free(e__);                                                                                 \
    } while (0)

static void test_telemetry_errors(void)
{
    ASSERT_ERR(TM("a", "istio-system", "  - randomSamplingPercentage: 101\n"),
               "mesh.yaml:6:31: randomSamplingPercentage must be between 0 and 100, not 101");
    ASSERT_ERR(TM("a", "istio-system", "  - randomSamplingPercentage: -1\n"),
               "mesh.yaml:6:31: randomSamplingPercentage must be between 0 and 100, not -1");
    ASSERT_ERR(TM("a", "istio-system", "  - randomSamplingPercentage: lots\n"),
               "mesh.yaml:6:31: randomSamplingPercentage must be a number, not 'lots'");
    ASSERT_ERR(TM("a", "istio-system", "  - randomSamplingPercentag: 5\n"),
               "mesh.yaml:6:5: unknown key 'randomSamplingPercentag' in tracing (did you mean "
               "'randomSamplingPercentage'?)");
    ASSERT_ERR(TM("a", "istio-system", "  - disableSpanReporting: maybe\n"),
               "mesh.yaml:6:27: disableSpanReporting must be true or false, not 'maybe'");
    ASSERT_ERR("apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: a}\n"
               "spec: {tracin: []}\n",
               "mesh.yaml:4:8: unknown key 'tracin' in Telemetry 'a' (did you mean 'tracing'?)");
    ASSERT_ERR(
        "apiVersion: networking.istio.io/v1\nkind: Telemetry\nmetadata: {name: a}\nspec: {}\n",
        "mesh.yaml:1:13: apiVersion: unknown value 'networking.istio.io/v1' (one of "
        "telemetry.istio.io/v1alpha1, telemetry.istio.io/v1)");
    /* what is not modeled: refused where it stands */
    ASSERT_ERR("apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: a}\n"
               "spec: {selector: {matchLabels: {app: reviews}}}\n",
               "mesh.yaml:4:8: Telemetry 'a': a workload selector (one workload's tracing) is not "
               "supported yet");
    ASSERT_ERR(TM("a", "istio-system", "  - match: {mode: SERVER}\n"),
               "mesh.yaml:6:19: tracing.match.mode: tracing only the client or the server side is "
               "not supported yet");
    ASSERT_ERR(TM("a", "istio-system", "  - randomSamplingPercentage: 1\n  - {}\n"),
               "mesh.yaml:7:5: more than one tracing entry is not supported yet");
}

void suite_telemetry(void)
{
    TEST_SUITE("telemetry");
    TEST_ADD(test_telemetry_default_and_scopes);
    TEST_ADD(test_telemetry_errors);
}
