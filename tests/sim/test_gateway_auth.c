/*
 * test_gateway_auth.c - Kong authentication on the simulated request path
 * (scenarios/gateway-auth.yaml): tokens minted when loading, checked by
 * the gateway's jwt plugin against the scenario's clock (start_time plus
 * simulated time), acl on the consumer, the rate limit per consumer; and
 * the attacks, none of which reaches the service.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_gateway_auth(void);

#define SCENARIO "scenarios/gateway-auth.yaml"

static const struct rpt_stats *route(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (!strcmp(r->routes[i].name, name)) return &r->routes[i];
    CU_FAIL_FATAL("no such route");
    return NULL;
}

/*
 * Constant arrivals, so every count is exact: web sends 40/s for 60 s and
 * its token expires at 30 s (exp <= now is expired: the request at
 * exactly 30 s is refused), mobile 80/s against 50 per second per
 * consumer, partner 5/s into the acl, the attackers 12/s over six
 * attacks. billing serves exactly web's first half and mobile's admitted.
 */
static void test_gateway_auth_counts(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r));
    const struct rpt_stats *web = route(&r, "/api/web"), *mobile = route(&r, "/api/mobile");
    CU_ASSERT_EQUAL(web->count, 2400);
    CU_ASSERT_EQUAL(web->outcomes[200], 1200);
    CU_ASSERT_EQUAL(web->outcomes[401], 1200);
    CU_ASSERT_EQUAL(mobile->count, 4800);
    CU_ASSERT_EQUAL(mobile->outcomes[200], 3000);
    CU_ASSERT_EQUAL(mobile->outcomes[429], 1800);
    CU_ASSERT_EQUAL(route(&r, "/api/partner")->outcomes[403], 300);
    static const char *const attacks[] = {"alg-none",  "bad-signature", "payload-edit",
                                          "confusion", "garbage",       "oversize"};
    uint64_t attacked = 0;
    for (size_t i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "/api/attack/%s", attacks[i]);
        const struct rpt_stats *a = route(&r, name);
        CU_ASSERT(a->count > 0);
        CU_ASSERT_EQUAL(a->outcomes[401], a->count);
        attacked += a->count;
    }
    /* 12/s for 60 s: 720, or 721 when the last arrival, at 1/12 s steps in whole
     * nanoseconds, falls just inside the end */
    CU_ASSERT(attacked == 720 || attacked == 721);
    CU_ASSERT_EQUAL_FATAL(r.n_services, 1);
    CU_ASSERT_EQUAL(r.services[0].st.count, 1200 + 3000); /* nothing else reached billing */
    CU_ASSERT_EQUAL(r.n_checks, 9); /* judged by tests/scenarios.sh's run of the file */
    rpt_run_free(&r);
}

/*
 * The clock: moving start_time moves nothing (the tokens' times are
 * relative to it); a token minted to expire before the run starts is
 * refused from the first request.
 */
static void test_gateway_auth_clock(void)
{
    static const char *const later[] = {"start_time=2031-07-04T12:30:00Z"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, later, 1, &r));
    CU_ASSERT_EQUAL(route(&r, "/api/web")->outcomes[200], 1200);
    rpt_run_free(&r);
    static const char *const expired[] = {"workload.0.requests.0.jwt.expires_in=-1s"};
    RUN_OR_RETURN(test_run_file(SCENARIO, expired, 1, &r));
    CU_ASSERT_EQUAL(route(&r, "/api/web")->outcomes[401], 2400);
    rpt_run_free(&r);
}

void suite_gateway_auth(void)
{
    TEST_SUITE("sim/gateway_auth");
    TEST_ADD(test_gateway_auth_counts);
    TEST_ADD(test_gateway_auth_clock);
}
