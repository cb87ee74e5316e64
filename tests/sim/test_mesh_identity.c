/*
 * test_mesh_identity.c - workload certificates in the simulated mesh
 * (sim/identity.c, sim/fault_identity.c) on scenarios/mesh-ca-outage.yaml:
 * 50 requests a second from users to web, each calling api on a new mutual
 * TLS connection; certificates of 60 s renewed at 30 s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies/identity.h"
#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_mesh_identity(void);

#define SCENARIO "scenarios/mesh-ca-outage.yaml"

/*
 * The CA down from 20 s to 120 s: the certificates of 0 s expire at 60 s
 * and are renewed at the first retry after 120 s (every 5 s from 30 s:
 * 120 s itself). Every request sent from 60 s to 120 s fails: 60 s of 50
 * requests, give or take the one at each edge.
 */
static void test_mesh_identity_ca_outage(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 9000);
    CU_ASSERT(r.all.errors >= 2990 && r.all.errors <= 3010);
    CU_ASSERT_EQUAL(r.all.outcomes[503], r.all.errors);
    CU_ASSERT(r.tls_refused[PX_ID_EXPIRED] >= r.all.errors); /* each failed call, and its retries */
    CU_ASSERT_EQUAL(r.tls_refused[PX_ID_UNKNOWN_ISSUER], 0);
    /* 4 pods: issued at 0, 120 (the CA back), 150 s; renewals refused from 30 s to 115 s */
    CU_ASSERT_EQUAL(r.certs_issued, 12);
    CU_ASSERT_EQUAL(r.cert_renewals_failed, 4 * 18);
    rpt_run_free(&r);
}

/* The CA back at 45 s, before anything expires: renewals retried, nothing fails. */
static void test_mesh_identity_short_outage_is_harmless(void)
{
    static const char *const sets[] = {"faults.0.for=25s"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, sets, 1, &r));
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT_EQUAL(r.cert_renewals_failed, 4 * 3); /* at 30, 35 and 40 s */
    uint64_t refused = 0;
    for (int i = 0; i < RPT_TLS_REASONS; i++) refused += r.tls_refused[i];
    CU_ASSERT_EQUAL(refused, 0);
    rpt_run_free(&r);
}

/*
 * api's clock 2 minutes behind for 10 s from 5 s: web's certificate, valid
 * from 0 s, is not valid yet by api's clock; a clock 10 s ahead is
 * harmless (the certificate has 60 s).
 */
static void test_mesh_identity_clock_skew(void)
{
    static const char *const behind[] = {
        "faults=[{clock_skew: {service: api, offset: -2m}, at: 5s, for: 10s}]", "assertions=[]"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, behind, 2, &r));
    CU_ASSERT(r.all.errors >= 490 && r.all.errors <= 510);
    CU_ASSERT(r.tls_refused[PX_ID_NOT_YET_VALID] >= r.all.errors);
    CU_ASSERT_EQUAL(r.tls_refused[PX_ID_EXPIRED], 0);
    rpt_run_free(&r);
    static const char *const ahead[] = {
        "faults=[{clock_skew: {service: api, offset: 10s}, at: 5s, for: 10s}]", "assertions=[]"};
    RUN_OR_RETURN(test_run_file(SCENARIO, ahead, 2, &r));
    CU_ASSERT_EQUAL(r.all.errors, 0);
    rpt_run_free(&r);
}

/*
 * A new root at 10 s. Kept in the bundle with the old one: nothing fails.
 * The old one dropped: every certificate of the old root is refused until
 * its holder renews at 30 s (20 s of requests).
 */
static void test_mesh_identity_root_rotation(void)
{
    static const char *const keep[] = {"faults=[{root_rotation: {keep_old: true}, at: 10s}]",
                                       "assertions=[]"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, keep, 2, &r));
    CU_ASSERT_EQUAL(r.all.errors, 0);
    rpt_run_free(&r);
    static const char *const drop[] = {"faults=[{root_rotation: {keep_old: false}, at: 10s}]",
                                       "assertions=[]"};
    RUN_OR_RETURN(test_run_file(SCENARIO, drop, 2, &r));
    CU_ASSERT(r.all.errors >= 990 && r.all.errors <= 1010);
    CU_ASSERT(r.tls_refused[PX_ID_UNKNOWN_ISSUER] >= r.all.errors);
    rpt_run_free(&r);
}

/*
 * scenarios/jwks-rotation.yaml: the JWK set replaced at 10 s by one
 * without the old clients' key: exactly their requests from 10 s on (40/s
 * for 20 s) are 401, the new clients' none.
 */
static const struct rpt_stats *route_named(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (!strcmp(r->routes[i].name, name)) return &r->routes[i];
    CU_FAIL_FATAL("no such route");
    return NULL;
}

static void test_mesh_identity_jwks_rotation(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/jwks-rotation.yaml", NULL, 0, &r));
    const struct rpt_stats *old = route_named(&r, "/pay/old-key");
    const struct rpt_stats *young = route_named(&r, "/pay/new-key");
    CU_ASSERT_EQUAL(old->count, 1200);
    CU_ASSERT_EQUAL(old->outcomes[200], 400);
    CU_ASSERT_EQUAL(old->outcomes[401], 800);
    CU_ASSERT_EQUAL(young->count, 800);
    CU_ASSERT_EQUAL(young->outcomes[200], 800);
    rpt_run_free(&r);
}

void suite_mesh_identity(void)
{
    TEST_SUITE("sim/mesh_identity");
    TEST_ADD(test_mesh_identity_ca_outage);
    TEST_ADD(test_mesh_identity_short_outage_is_harmless);
    TEST_ADD(test_mesh_identity_clock_skew);
    TEST_ADD(test_mesh_identity_root_rotation);
    TEST_ADD(test_mesh_identity_jwks_rotation);
}
