/*
 * test_retry_client.c - client retries (sim/retry_client.c): the retry
 * budget and adaptive throttling on their own, then in whole runs on an
 * app's calls (per-try timeout, retries, retry_on, budget) and on a
 * workload (throttling), with constant arrivals and service times so that
 * counts and latencies are exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "reports/results.h"
#include "reports/summary.h"
#include "sim/retry_client.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_retry_client(void);

#define S INT64_C(1000000000)

static struct sim_retry_cfg cfg_with(int retries)
{
    struct sim_retry_cfg r;
    memset(&r, 0, sizeof r);
    r.retries = retries;
    r.retry_on = SIM_RETRY_5XX | SIM_RETRY_TIMEOUT;
    return r;
}

/* ratio x requests + min_per_s x 10 s retries in a 10 s window, no more; deposits expire. */
static void test_retry_budget_allows_ratio_plus_reserve(void)
{
    struct sim_retry_cfg r = cfg_with(1);
    r.has_budget = 1;
    r.budget_ratio = 0.1;
    r.budget_min_per_s = 0.5; /* a reserve of 5 retries per window */
    struct rpt_retry_count counts = {0};
    struct sim_retry_state st;
    sim_retry_state_init(&st, &counts);
    for (int i = 0; i < 100; i++) sim_retry_on_request(&r, &st, 0);
    int allowed = 0;
    for (int i = 0; i < 100; i++) allowed += sim_retry_after(&r, &st, 1, 503, 0);
    CU_ASSERT_EQUAL(allowed, 15); /* 10% of 100, and 5 */
    CU_ASSERT_EQUAL(counts.retries, 15);
    CU_ASSERT_EQUAL(counts.denied, 85);
    /* a second try that fails is not retried again (retries: 1), and is no denial */
    CU_ASSERT_EQUAL(sim_retry_after(&r, &st, 2, 503, 0), 0);
    CU_ASSERT_EQUAL(counts.denied, 85);
    /* 9 s later the window still holds them; at 10 s they have expired: the reserve only */
    CU_ASSERT_EQUAL(sim_retry_after(&r, &st, 1, 503, 9 * S), 0);
    allowed = 0;
    for (int i = 0; i < 100; i++) allowed += sim_retry_after(&r, &st, 1, 503, 10 * S);
    CU_ASSERT_EQUAL(allowed, 5);
    /* not retryable (a 404; retry_on without reset): no retry, nothing denied */
    size_t denied = counts.denied;
    CU_ASSERT_EQUAL(sim_retry_after(&r, &st, 1, 404, 10 * S), 0);
    CU_ASSERT_EQUAL(sim_retry_after(&r, &st, 1, RPT_FAIL_RESET, 10 * S), 0);
    CU_ASSERT_EQUAL(counts.denied, denied);
}

/* No budget: retries up to `retries`, whatever their number. */
static void test_retry_without_budget_counts_every_retry(void)
{
    struct sim_retry_cfg r = cfg_with(3);
    struct rpt_retry_count counts = {0};
    struct sim_retry_state st;
    sim_retry_state_init(&st, &counts);
    int allowed = 0;
    for (uint32_t t = 1; t <= 4; t++) allowed += sim_retry_after(&r, &st, t, RPT_FAIL_TIMEOUT, 0);
    CU_ASSERT_EQUAL(allowed, 3);
    CU_ASSERT_EQUAL(counts.retries, 3);
    CU_ASSERT_EQUAL(counts.denied, 0);
    CU_ASSERT_EQUAL(sim_retry_after(&r, &st, 1, RPT_FAIL_THROTTLED, 0), 0);
}

/*
 * Adaptive throttling: a backend that accepts everything is never
 * throttled (and the client's random stream is not drawn from); one that
 * accepts nothing gets p = requests / (requests + 1) of the tries rejected;
 * two minutes later the client has forgotten.
 */
static void test_adaptive_throttle_follows_requests_and_accepts(void)
{
    struct sim_retry_cfg r = cfg_with(0);
    r.throttle_k = 2;
    struct rpt_retry_count counts = {0};
    struct sim_retry_state st;
    sim_retry_state_init(&st, &counts);
    struct fl_rng rng, before;
    fl_rng_seed(&rng, 5);
    before = rng;
    for (int i = 0; i < 1000; i++) {
        CU_ASSERT_EQUAL(sim_retry_throttled(&r, &st, 0, &rng), 0);
        sim_retry_after(&r, &st, 1, 200, 0);
    }
    CU_ASSERT_EQUAL(memcmp(&rng, &before, sizeof rng), 0);
    /* k = 2: half the tries rejected by the backend still gives p <= 0 */
    for (int i = 0; i < 1000; i++) {
        CU_ASSERT_EQUAL(sim_retry_throttled(&r, &st, S, &rng), 0);
        sim_retry_after(&r, &st, 1, i % 2 ? 200 : 503, S);
    }
    CU_ASSERT_EQUAL(counts.throttled, 0);
    /* two minutes on, a backend that rejects everything */
    int64_t t = 200 * S;
    for (int i = 0; i < 1000; i++)
        if (!sim_retry_throttled(&r, &st, t, &rng)) sim_retry_after(&r, &st, 1, 503, t);
    /* p_n = n / (n + 1): about ln(1000) = 7 tries get through (sd about 2) */
    CU_ASSERT(counts.throttled >= 980 && counts.throttled <= 999);
    /* everything forgotten 121 s later: p = 0 */
    CU_ASSERT_EQUAL(sim_retry_throttled(&r, &st, t + 121 * S, &rng), 0);
}

static const struct rpt_retry_count *counts_of(const struct rpt_run *r, const char *who)
{
    for (size_t i = 0; i < r->n_retry_counts; i++)
        if (!strcmp(r->retry_counts[i].who, who)) return &r->retry_counts[i];
    return NULL;
}

static const struct rpt_stats *service_of(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_services; i++)
        if (!strcmp(r->services[i].st.name, name)) return &r->services[i].st;
    return NULL;
}

/* front calls api, which takes 100 ms; the call gives up on a try after 50 ms. */
#define CALLS(extra)                                                                               \
    "faultline: 1\n"                                                                               \
    "duration: 1s\n"                                                                               \
    "services:\n"                                                                                  \
    "  - name: front\n"                                                                            \
    "    workers: 100\n"                                                                           \
    "    service_time: 1ms\n"                                                                      \
    "    calls:\n"                                                                                 \
    "      - {service: api, timeout: 50ms, retries: 2,\n"                                          \
    "         backoff: {base: 10ms, cap: 1s, jitter: none}" extra "}\n"                            \
    "  - {name: api, workers: 100, service_time: 100ms}\n"                                         \
    "workload:\n"                                                                                  \
    "  - {name: c, target: front, arrival: constant, rate: 10/s, requests: [{path: /x}]}\n"

/*
 * Three tries of 50 ms with backoffs of 10 and 20 ms: 1 + 50 + 10 + 50 + 20
 * + 50 = 181 ms, then 503. api serves all 30 tries: giving up cancels
 * nothing.
 */
static void test_call_timeout_retries_and_backoff(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(CALLS(""), NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 10);
    CU_ASSERT_EQUAL(r.all.outcomes[503], 10);
    int64_t p50 = rpt_hist_quantile(&r.all.hist, 0.5);
    CU_ASSERT(p50 >= 181000000 && p50 <= 182000000);
    const struct rpt_stats *api = service_of(&r, "api");
    CU_ASSERT(api && api->count == 30 && api->errors == 0);
    const struct rpt_retry_count *c = counts_of(&r, "service front");
    CU_ASSERT(c && c->retries == 20 && c->denied == 0 && c->throttled == 0);
    rpt_run_free(&r);
}

/* retry_on without timeout: the first timeout fails the request at 51 ms. */
static void test_call_retry_on_limits_what_is_retried(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(CALLS(", retry_on: \"5xx\""), NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.outcomes[503], 10);
    int64_t p50 = rpt_hist_quantile(&r.all.hist, 0.5);
    CU_ASSERT(p50 >= 51000000 && p50 <= 52000000);
    const struct rpt_stats *api = service_of(&r, "api");
    CU_ASSERT(api && api->count == 10);
    CU_ASSERT_EQUAL(r.n_retry_counts, 3); /* c, front, api */
    const struct rpt_retry_count *c = counts_of(&r, "service front");
    CU_ASSERT(c && c->retries == 0);
    rpt_run_free(&r);
}

/* A budget of no ratio and 0.1 retry/s: one retry in the 10 s window, the 10 others denied. */
static void test_call_budget_denies_retries(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(CALLS(", budget: {ratio: 0%, min_per_s: 0.1}"), NULL, 0, &r));
    const struct rpt_retry_count *c = counts_of(&r, "service front");
    CU_ASSERT(c && c->retries == 1 && c->denied == 10);
    const struct rpt_stats *api = service_of(&r, "api");
    CU_ASSERT(api && api->count == 11);
    rpt_run_free(&r);
}

/* A workload throttling itself against a backend that answers 503 to everything. */
static void test_workload_adaptive_throttle(void)
{
    static const char text[] =
        "faultline: 1\n"
        "duration: 10s\n"
        "services:\n"
        "  - {name: api, workers: 10, service_time: 1ms, errors: {rate: 100%, status: 503}}\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}],\n"
        "     retry: {adaptive_throttle: {k: 2}}}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 1000);
    const struct rpt_retry_count *c = counts_of(&r, "workload c");
    CU_ASSERT_FATAL(c != NULL);
    /* as in the unit test: about ln(1000) = 7 requests sent (sd about 2) */
    CU_ASSERT(c->throttled >= 980 && c->throttled <= 999);
    CU_ASSERT_EQUAL(r.all.outcomes[RPT_FAIL_THROTTLED], c->throttled);
    CU_ASSERT_EQUAL(r.all.outcomes[503], 1000 - c->throttled);
    const struct rpt_stats *api = service_of(&r, "api");
    CU_ASSERT(api && api->count == 1000 - c->throttled);
    rpt_run_free(&r);
}

static char *summary_text(const struct rpt_run *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_summary_print(r, f);
    fclose(f);
    return buf;
}

/* The summary's `client retries` part: the counters when there are some, nothing otherwise. */
static void test_summary_client_retries_only_when_nonzero(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(CALLS(", budget: {ratio: 0%, min_per_s: 0.1}"), NULL, 0, &r));
    char *txt = summary_text(&r);
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "client retries:\n"
                                       "  service front: 1 retries, 10 denied by the budget\n"));
    free(txt);
    rpt_run_free(&r);
    RUN_OR_RETURN(test_run_text(CALLS(", retry_on: \"5xx\""), NULL, 0, &r));
    txt = summary_text(&r);
    CU_ASSERT_PTR_NULL(strstr(txt, "client retries"));
    free(txt);
    rpt_run_free(&r);
}

void suite_retry_client(void)
{
    TEST_SUITE("sim/retry_client");
    TEST_ADD(test_retry_budget_allows_ratio_plus_reserve);
    TEST_ADD(test_retry_without_budget_counts_every_retry);
    TEST_ADD(test_adaptive_throttle_follows_requests_and_accepts);
    TEST_ADD(test_call_timeout_retries_and_backoff);
    TEST_ADD(test_call_retry_on_limits_what_is_retried);
    TEST_ADD(test_call_budget_denies_retries);
    TEST_ADD(test_workload_adaptive_throttle);
    TEST_ADD(test_summary_client_retries_only_when_nonzero);
}
