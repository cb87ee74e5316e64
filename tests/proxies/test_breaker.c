/*
 * test_breaker.c - proxies/breaker.c: Envoy's and Istio's defaults, each
 * limit refusing exactly at its threshold, and the retry budget formula of
 * envoy PR #9069 (20% of 25 active allows 5; 2 active still allows 3).
 */
#include <string.h>

#include "proxies/breaker.h"
#include "tests/testutil.h"

void suite_breaker(void);

static void test_breaker_envoy_defaults(void)
{
    struct px_breaker_cfg c;
    memset(&c, 0xab, sizeof c);
    px_breaker_cfg_envoy(&c);
    CU_ASSERT_EQUAL(c.max_connections, 1024);
    CU_ASSERT_EQUAL(c.max_pending, 1024);
    CU_ASSERT_EQUAL(c.max_requests, 1024);
    CU_ASSERT_EQUAL(c.max_retries, 3);
    CU_ASSERT_FALSE(c.budget);
    CU_ASSERT_EQUAL(c.budget_percent, 20.0);
    CU_ASSERT_EQUAL(c.min_retry_concurrency, 3);
}

static void test_breaker_istio_defaults_are_unlimited(void)
{
    struct px_breaker_cfg c;
    px_breaker_cfg_istio(&c);
    CU_ASSERT_EQUAL(c.max_connections, UINT32_MAX);
    CU_ASSERT_EQUAL(c.max_pending, UINT32_MAX);
    CU_ASSERT_EQUAL(c.max_requests, UINT32_MAX);
    CU_ASSERT_EQUAL(c.max_retries, UINT32_MAX);
    CU_ASSERT_FALSE(c.budget);
    struct px_breaker b;
    px_breaker_init(&b, &c);
    b.connections = b.pending = b.requests = b.retries = 100000;
    CU_ASSERT_TRUE(px_breaker_can_connect(&b));
    CU_ASSERT_TRUE(px_breaker_can_pend(&b));
    CU_ASSERT_TRUE(px_breaker_can_request(&b));
    CU_ASSERT_TRUE(px_breaker_can_retry(&b));
}

static void test_breaker_init_starts_empty(void)
{
    struct px_breaker_cfg c;
    px_breaker_cfg_envoy(&c);
    struct px_breaker b;
    memset(&b, 0xab, sizeof b);
    px_breaker_init(&b, &c);
    CU_ASSERT_EQUAL(b.connections + b.pending + b.requests + b.retries, 0);
    for (int k = 0; k < 4; k++) CU_ASSERT_EQUAL(b.overflow[k], 0);
    CU_ASSERT_EQUAL(b.cfg.max_requests, 1024);
}

/* With max pending N, N requests may wait; the one that would be N+1th is refused. */
static void test_breaker_pending_refuses_exactly_at_max(void)
{
    struct px_breaker_cfg c;
    px_breaker_cfg_envoy(&c);
    c.max_pending = 4;
    struct px_breaker b;
    px_breaker_init(&b, &c);
    int queued = 0;
    for (int i = 0; i < 10; i++) {
        if (px_breaker_can_pend(&b)) {
            b.pending++;
            queued++;
        } else {
            b.overflow[PX_BREAKER_PENDING]++;
        }
    }
    CU_ASSERT_EQUAL(queued, 4);
    CU_ASSERT_EQUAL(b.overflow[PX_BREAKER_PENDING], 6);
    b.pending--;
    CU_ASSERT_TRUE(px_breaker_can_pend(&b));
    /* max_pending_requests 0: nothing may ever wait (envoy#20817) */
    c.max_pending = 0;
    px_breaker_init(&b, &c);
    CU_ASSERT_FALSE(px_breaker_can_pend(&b));
}

static void test_breaker_requests_and_connections_refuse_at_max(void)
{
    struct px_breaker_cfg c;
    px_breaker_cfg_envoy(&c);
    struct px_breaker b;
    px_breaker_init(&b, &c);
    b.requests = 1023;
    CU_ASSERT_TRUE(px_breaker_can_request(&b));
    b.requests = 1024;
    CU_ASSERT_FALSE(px_breaker_can_request(&b));
    b.connections = 1023;
    CU_ASSERT_TRUE(px_breaker_can_connect(&b));
    b.connections = 1024;
    CU_ASSERT_FALSE(px_breaker_can_connect(&b));
    /* the limits are independent of each other */
    CU_ASSERT_TRUE(px_breaker_can_pend(&b));
    CU_ASSERT_TRUE(px_breaker_can_retry(&b));
}

static void test_breaker_retries_use_max_retries_without_budget(void)
{
    struct px_breaker_cfg c;
    px_breaker_cfg_envoy(&c);
    struct px_breaker b;
    px_breaker_init(&b, &c);
    b.requests = 1000; /* active load does not matter without a budget */
    CU_ASSERT_EQUAL(px_breaker_retry_limit(&b), 3);
    b.retries = 2;
    CU_ASSERT_TRUE(px_breaker_can_retry(&b));
    b.retries = 3;
    CU_ASSERT_FALSE(px_breaker_can_retry(&b));
}

static void test_breaker_retry_budget_formula(void)
{
    struct px_breaker_cfg c;
    px_breaker_cfg_envoy(&c);
    c.budget = 1;
    c.max_retries = 0; /* replaced by the budget */
    struct px_breaker b;
    px_breaker_init(&b, &c);
    /* PR #9069: 20% of 25 active requests allows 5 concurrent retries */
    b.requests = 25;
    CU_ASSERT_EQUAL(px_breaker_retry_limit(&b), 5);
    b.retries = 4;
    CU_ASSERT_TRUE(px_breaker_can_retry(&b));
    b.retries = 5;
    CU_ASSERT_FALSE(px_breaker_can_retry(&b));
    /* 2 active: 20% is 0.4, but min_retry_concurrency still allows 3 */
    b.requests = 2;
    b.retries = 2;
    CU_ASSERT_EQUAL(px_breaker_retry_limit(&b), 3);
    CU_ASSERT_TRUE(px_breaker_can_retry(&b));
    b.retries = 3;
    CU_ASSERT_FALSE(px_breaker_can_retry(&b));
    /* requests include the pending ones (counted once); the product is truncated */
    b.requests = 29;
    b.pending = 9; /* 5.8 -> 5 */
    CU_ASSERT_EQUAL(px_breaker_retry_limit(&b), 5);
    b.requests = 30; /* 6 */
    CU_ASSERT_EQUAL(px_breaker_retry_limit(&b), 6);
    b.cfg.budget_percent = 50.0;
    b.cfg.min_retry_concurrency = 0;
    b.requests = 1;
    b.pending = 0; /* 0.5 -> 0: no retry at all */
    b.retries = 0;
    CU_ASSERT_EQUAL(px_breaker_retry_limit(&b), 0);
    CU_ASSERT_FALSE(px_breaker_can_retry(&b));
}

void suite_breaker(void)
{
    TEST_SUITE("proxies/breaker");
    TEST_ADD(test_breaker_envoy_defaults);
    TEST_ADD(test_breaker_istio_defaults_are_unlimited);
    TEST_ADD(test_breaker_init_starts_empty);
    TEST_ADD(test_breaker_pending_refuses_exactly_at_max);
    TEST_ADD(test_breaker_requests_and_connections_refuse_at_max);
    TEST_ADD(test_breaker_retries_use_max_retries_without_budget);
    TEST_ADD(test_breaker_retry_budget_formula);
}
