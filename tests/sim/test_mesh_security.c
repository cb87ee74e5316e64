/*
 * test_mesh_security.c - Istio's identity and policy on the simulated
 * request path (scenarios/mesh-authz.yaml): workload identities over
 * sidecar-to-sidecar mTLS, STRICT refusing a plaintext client, an
 * AuthorizationPolicy denying a caller at the callee's inbound sidecar
 * (nothing denied reaches the application), RequestAuthentication's 401
 * and a demanded request principal's 403, a policy rollout as a fault,
 * and the same digest twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies/http.h"
#include "reports/results.h"
#include "reports/summary.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_mesh_security(void);

#define SCENARIO "scenarios/mesh-authz.yaml"

enum { ORDERS, PAYMENTS, STOREFRONT, REPORTING }; /* the scenario's order */

static const struct rpt_stats *route(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (!strcmp(r->routes[i].name, name)) return &r->routes[i];
    CU_FAIL_FATAL("no such route");
    return NULL;
}

static const struct rpt_cluster *cluster(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strcmp(r->clusters[i].name, name)) return &r->clusters[i];
    CU_FAIL_FATAL("no such cluster");
    return NULL;
}

static int flag_bit(uint32_t flag)
{
    return __builtin_ctz(flag);
}

/*
 * Constant arrivals, so the counts are exact: shoppers 50/s for 30 s through
 * storefront to orders, of which the 5 s of the bad rollout (250 calls)
 * are denied; reporting's 300 calls are all denied; the scanner's 60
 * plaintext connections to a STRICT orders are reset; orders' pods serve
 * exactly storefront's 1250 admitted calls. wallet's 1200 requests split
 * four ways: valid tokens reach payments, forged ones get 401, requests
 * without a token and DELETEs 403.
 */
static void test_mesh_security_counts(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r));
    CU_ASSERT_EQUAL_FATAL(r.n_services, 4);
    CU_ASSERT_EQUAL(route(&r, "/shop")->count, 1500);
    CU_ASSERT_EQUAL(route(&r, "/shop")->outcomes[200], 1500); /* a 4xx call fails nothing */
    CU_ASSERT_EQUAL(route(&r, "/report")->outcomes[200], 300);
    const struct rpt_stats *scan = route(&r, "/orders/scan");
    CU_ASSERT_EQUAL(scan->count, 60);
    CU_ASSERT_EQUAL(scan->errors, 60);
    CU_ASSERT_EQUAL(scan->outcomes[200], 0);
    /* denied and refused requests never reach the application */
    CU_ASSERT_EQUAL(r.services[ORDERS].st.count, 1500 - 250);
    CU_ASSERT_EQUAL(r.services[STOREFRONT].st.count, 1500);
    CU_ASSERT_EQUAL(r.services[REPORTING].st.count, 300);
    const struct rpt_cluster *to_orders = cluster(&r, "sidecar outbound|80||orders");
    CU_ASSERT_EQUAL(to_orders->rq_total, 1500 + 300);
    CU_ASSERT_EQUAL(to_orders->flags[flag_bit(PX_FLAG_UAEX)], 300 + 250);
    /* payments */
    const struct rpt_stats *pay = route(&r, "/pay"), *forged = route(&r, "/pay/forged");
    const struct rpt_stats *anon = route(&r, "/pay/anonymous"), *refund = route(&r, "/pay/refund");
    CU_ASSERT_EQUAL(pay->count + forged->count + anon->count + refund->count, 1200);
    CU_ASSERT(forged->count > 0 && anon->count > 0 && refund->count > 0);
    CU_ASSERT_EQUAL(pay->outcomes[200], pay->count);
    CU_ASSERT_EQUAL(forged->outcomes[401], forged->count);
    CU_ASSERT_EQUAL(forged->flags[flag_bit(PX_FLAG_UAEX)], 0);
    CU_ASSERT_EQUAL(anon->outcomes[403], anon->count);
    CU_ASSERT_EQUAL(anon->flags[flag_bit(PX_FLAG_UAEX)], anon->count);
    CU_ASSERT_EQUAL(refund->outcomes[403], refund->count); /* the mesh-wide DENY */
    CU_ASSERT_EQUAL(r.services[PAYMENTS].st.count, pay->count);
    /* the rollout in the event log */
    const struct rpt_event *e = test_timeline_entry(&r, "fault-start", 0);
    CU_ASSERT(e && e->at_ns == 20 * INT64_C(1000000000));
    CU_ASSERT_EQUAL(test_timeline_count(&r, "fault-end"), 1);
    CU_ASSERT_EQUAL(r.n_checks, 10); /* judged by tests/scenarios.sh's run of the file */
    rpt_run_free(&r);
}

/* Without the policies, every call and request goes through. */
static void test_mesh_security_without_policies(void)
{
    static const char *const sets[] = {"mesh.resources=[]", "faults=[]"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, sets, 2, &r));
    CU_ASSERT_EQUAL(r.services[ORDERS].st.count, 1500 + 300 + 60);
    CU_ASSERT_EQUAL(route(&r, "/orders/scan")->outcomes[200], 60);
    CU_ASSERT_EQUAL(r.services[PAYMENTS].st.count, 1200);
    CU_ASSERT_EQUAL(cluster(&r, "sidecar outbound|80||orders")->flags[flag_bit(PX_FLAG_UAEX)], 0);
    rpt_run_free(&r);
}

/* PERMISSIVE instead of STRICT lets the plaintext scanner in, where the ALLOW policy denies it. */
static void test_mesh_security_permissive(void)
{
    static const char *const sets[] = {
        "mesh.PeerAuthentication/orders-strict.spec.mtls.mode=PERMISSIVE"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, sets, 1, &r));
    const struct rpt_stats *scan = route(&r, "/orders/scan");
    CU_ASSERT_EQUAL(scan->outcomes[403], 60);
    CU_ASSERT_EQUAL(scan->flags[flag_bit(PX_FLAG_UAEX)], 60);
    CU_ASSERT_EQUAL(r.services[ORDERS].st.count, 1250);
    rpt_run_free(&r);
}

/* The same scenario and seed: the same digest. */
static void test_mesh_security_deterministic(void)
{
    struct rpt_run r1, r2;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r1));
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r2));
    rpt_summary_digest(&r1);
    rpt_summary_digest(&r2);
    CU_ASSERT_STRING_EQUAL(r1.digest, r2.digest);
    rpt_run_free(&r1);
    rpt_run_free(&r2);
}

void suite_mesh_security(void)
{
    TEST_SUITE("sim/mesh_security");
    TEST_ADD(test_mesh_security_counts);
    TEST_ADD(test_mesh_security_without_policies);
    TEST_ADD(test_mesh_security_permissive);
    TEST_ADD(test_mesh_security_deterministic);
}
