/*
 * test_mirror.c - Istio's mirror on the simulated request path
 * (scenarios/mirror.yaml, proxies/mirror.c): half of the calls to reviews
 * are copied to v2, whose answers (slow 500s) never reach the users.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "reports/results.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_mirror(void);

static const struct rpt_pod *pod(const struct rpt_run *r, const char *name)
{
    for (size_t s = 0; s < r->n_services; s++)
        for (size_t p = 0; p < r->services[s].n_pods; p++)
            if (!strcmp(r->services[s].pods[p].name, name)) return &r->services[s].pods[p];
    return NULL;
}

/*
 * n user requests; each copied with probability 1/2: the copies are
 * binomial(n, 1/2), sigma sqrt(n)/2 (about 71 for 20,000); the test allows
 * 5 sigma. v1 serves every user request exactly once (no retries: the
 * route sees no error), v2 only copies.
 */
static void test_mirror_copies_half_and_users_see_none_of_it(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/mirror.yaml", NULL, 0, &r));
    CU_ASSERT_EQUAL_FATAL(r.n_routes, 1);
    uint64_t n = r.routes[0].count;
    CU_ASSERT(n > 19000 && n < 21000);
    CU_ASSERT_EQUAL(r.routes[0].errors, 0);
    CU_ASSERT_EQUAL(r.routes[0].tries, n);
    const struct rpt_pod *v1a = pod(&r, "reviews-v1-0"), *v1b = pod(&r, "reviews-v1-1"),
                         *v2 = pod(&r, "reviews-v2-0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v1a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v1b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v2);
    CU_ASSERT_EQUAL(v1a->count + v1b->count, n);
    ASSERT_ABS((double)v2->count, n / 2.0, 5 * sqrt((double)n) / 2);
    CU_ASSERT_EQUAL(v2->errors, v2->count);                  /* every copy failed, unseen */
    CU_ASSERT_EQUAL(r.shadows, v2->count);                   /* each copy sent was served */
    CU_ASSERT(r.routes[0].hist.max < 50 * INT64_C(1000000)); /* nobody waited for v2 */
    rpt_run_free(&r);
}

void suite_mirror(void)
{
    TEST_SUITE("sim/mirror");
    TEST_ADD(test_mirror_copies_half_and_users_see_none_of_it);
}
