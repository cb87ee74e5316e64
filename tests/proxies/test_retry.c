/*
 * test_retry.c - proxies/retry.c: every retry_on name parses, unknown words
 * are refused, each condition matches exactly the outcomes Envoy retries,
 * and the backoff bounds of the first six retries are exact for current and
 * legacy Envoy (edge random values, then a fixed random stream).
 */
#include <stdio.h>
#include <string.h>

#include "base/rng.h"
#include "proxies/retry.h"
#include "tests/testutil.h"

void suite_retry(void);

#define MS INT64_C(1000000)

static struct px_retry_policy policy(const char *retry_on)
{
    struct px_retry_policy p;
    px_retry_policy_default(&p);
    const char *bad = NULL;
    int rc = px_retry_on_parse(retry_on, &p, &bad);
    CU_ASSERT_EQUAL(rc, 0);
    return p;
}

/* Outcomes of one attempt. */
static struct px_attempt response(int status)
{
    return (struct px_attempt){.status = status, .grpc_status = -1};
}
static const struct px_attempt connect_failure = {.grpc_status = -1, .connect_failed = 1};
static const struct px_attempt reset = {.grpc_status = -1, .reset = 1};
static const struct px_attempt per_try_timeout = {.grpc_status = -1, .timed_out = 1};
static const struct px_attempt refused = {.grpc_status = -1, .reset = 1, .refused = 1};

static int retries(const char *retry_on, struct px_attempt a)
{
    struct px_retry_policy p = policy(retry_on);
    return px_retry_matches(&p, &a);
}

/* ---------------------------------------------------------------- defaults and parsing */

static void test_retry_default_policy_is_envoys(void)
{
    struct px_retry_policy p;
    memset(&p, 0xab, sizeof p);
    px_retry_policy_default(&p);
    CU_ASSERT_EQUAL(p.retry_on, 0);
    CU_ASSERT_EQUAL(p.num_retries, 1);
    CU_ASSERT_EQUAL(p.per_try_timeout_ns, 0);
    CU_ASSERT_EQUAL(p.base_ns, 25 * MS);
    CU_ASSERT_EQUAL(p.n_codes, 0);
    CU_ASSERT_EQUAL(p.host_selection_attempts, 1);
    CU_ASSERT_FALSE(p.legacy_backoff);
    /* the cap is 10 x base: the 5th retry's range is 250 ms */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 5, 249), 249 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 5, 250), 0);
}

/* Formatting writes Istio's default in istiod's order, and reads back as what it was. */
static void test_retry_on_format_round_trips_in_istiods_order(void)
{
    struct px_retry_policy p, q;
    char buf[512];
    px_retry_policy_default(&p);
    const char *istio =
        "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
    CU_ASSERT_EQUAL_FATAL(px_retry_on_parse("retriable-status-codes,cancelled,unavailable,"
                                            "refused-stream,connect-failure",
                                            &p, NULL),
                          0);
    CU_ASSERT_STRING_EQUAL(px_retry_on_format(p.retry_on, buf, sizeof buf), istio);
    CU_ASSERT_EQUAL_FATAL(px_retry_on_parse("5xx,reset,internal,gateway-error", &p, NULL), 0);
    px_retry_policy_default(&q);
    CU_ASSERT_EQUAL_FATAL(
        px_retry_on_parse(px_retry_on_format(p.retry_on, buf, sizeof buf), &q, NULL), 0);
    CU_ASSERT_EQUAL(q.retry_on, p.retry_on);
    CU_ASSERT_STRING_EQUAL(
        px_retry_on_format(PX_RETRY_CONNECT_FAILURE | PX_RETRY_TIMEOUT, buf, sizeof buf),
        "connect-failure,timeout");
    CU_ASSERT_STRING_EQUAL(px_retry_on_format(0, buf, sizeof buf), "");
}

static void test_retry_on_parses_every_envoy_name(void)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } cases[] = {
        {"5xx", PX_RETRY_5XX},
        {"gateway-error", PX_RETRY_GATEWAY_ERROR},
        {"reset", PX_RETRY_RESET},
        {"reset-before-request", PX_RETRY_RESET_BEFORE_REQUEST},
        {"connect-failure", PX_RETRY_CONNECT_FAILURE},
        {"envoy-ratelimited", PX_RETRY_ENVOY_RATELIMITED},
        {"retriable-4xx", PX_RETRY_RETRIABLE_4XX},
        {"refused-stream", PX_RETRY_REFUSED_STREAM},
        {"retriable-status-codes", PX_RETRY_RETRIABLE_STATUS_CODES},
        {"retriable-headers", PX_RETRY_RETRIABLE_HEADERS},
        {"http3-post-connect-failure", PX_RETRY_HTTP3_POST_CONNECT_FAILURE},
        {"cancelled", PX_RETRY_GRPC_CANCELLED},
        {"deadline-exceeded", PX_RETRY_GRPC_DEADLINE_EXCEEDED},
        {"internal", PX_RETRY_GRPC_INTERNAL},
        {"resource-exhausted", PX_RETRY_GRPC_RESOURCE_EXHAUSTED},
        {"unavailable", PX_RETRY_GRPC_UNAVAILABLE},
    };
    uint32_t all = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct px_retry_policy p = policy(cases[i].name);
        CU_ASSERT_EQUAL(p.retry_on, cases[i].bit);
        CU_ASSERT_EQUAL(p.n_codes, 0);
        all |= cases[i].bit;
    }
    struct px_retry_policy p =
        policy("5xx,gateway-error,reset,reset-before-request,connect-failure,envoy-ratelimited,"
               "retriable-4xx,refused-stream,retriable-status-codes,retriable-headers,"
               "http3-post-connect-failure,cancelled,deadline-exceeded,internal,resource-exhausted,"
               "unavailable");
    CU_ASSERT_EQUAL(p.retry_on, all);
}

static void test_retry_on_istio_bare_codes_mean_retriable_status_codes(void)
{
    struct px_retry_policy p = policy("503,reset,connect-failure");
    CU_ASSERT_EQUAL(p.retry_on,
                    PX_RETRY_RETRIABLE_STATUS_CODES | PX_RETRY_RESET | PX_RETRY_CONNECT_FAILURE);
    CU_ASSERT_EQUAL(p.n_codes, 1);
    CU_ASSERT_EQUAL(p.codes[0], 503);
    /* spaces are trimmed, empty words skipped, repeated codes kept once */
    p = policy(" 502 , ,gateway-error,502,429 ");
    CU_ASSERT_EQUAL(p.retry_on, PX_RETRY_RETRIABLE_STATUS_CODES | PX_RETRY_GATEWAY_ERROR);
    CU_ASSERT_EQUAL(p.n_codes, 2);
    CU_ASSERT_EQUAL(p.codes[0], 502);
    CU_ASSERT_EQUAL(p.codes[1], 429);
    /* a new list replaces the codes of the previous one, as Istio's parseRetryOn does */
    CU_ASSERT_EQUAL(px_retry_on_parse("5xx", &p, NULL), 0);
    CU_ASSERT_EQUAL(p.retry_on, PX_RETRY_5XX);
    CU_ASSERT_EQUAL(p.n_codes, 0);
}

static void test_retry_on_rejects_unknown_words_and_keeps_the_policy(void)
{
    struct px_retry_policy p = policy("5xx");
    const char *bad = NULL;
    CU_ASSERT_EQUAL(px_retry_on_parse("connect-failure, bogus ,reset", &p, &bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "bogus");
    CU_ASSERT_EQUAL(p.retry_on, PX_RETRY_5XX);
    /* names are case-sensitive, as Envoy compares them */
    CU_ASSERT_EQUAL(px_retry_on_parse("5XX", &p, &bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "5XX");
    /* Kong's "timeout" is not an Envoy word */
    CU_ASSERT_EQUAL(px_retry_on_parse("timeout", &p, &bad), -1);
    /* a number that is not an HTTP status is not a code (Istio passes it on, Envoy ignores it) */
    CU_ASSERT_EQUAL(px_retry_on_parse("599", &p, &bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "599");
    CU_ASSERT_EQUAL(px_retry_on_parse("306", &p, &bad), -1);
    CU_ASSERT_EQUAL(px_retry_on_parse("5xx,", &p, &bad), 0);
    CU_ASSERT_EQUAL(px_retry_on_parse("", &p, &bad), 0);
    CU_ASSERT_EQUAL(p.retry_on, 0);
}

static void test_retry_on_holds_at_most_the_code_limit(void)
{
    char list[256] = "";
    for (int c = 500; c < 500 + PX_RETRY_CODES_MAX - 8; c++) /* 500..507 */
        snprintf(list + strlen(list), sizeof list - strlen(list), "%d,", c);
    strcat(list, "400,401,402,403,404,405,406,407");
    struct px_retry_policy p = policy(list);
    CU_ASSERT_EQUAL(p.n_codes, PX_RETRY_CODES_MAX);
    const char *bad = NULL;
    strcat(list, ",408");
    CU_ASSERT_EQUAL(px_retry_on_parse(list, &p, &bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "408");
}

/* ---------------------------------------------------------------- matching */

static void test_retry_5xx_covers_every_5xx_and_no_response(void)
{
    for (int st = 500; st <= 599; st++) CU_ASSERT_TRUE(retries("5xx", response(st)));
    CU_ASSERT_FALSE(retries("5xx", response(200)));
    CU_ASSERT_FALSE(retries("5xx", response(429)));
    CU_ASSERT_FALSE(retries("5xx", response(409)));
    CU_ASSERT_TRUE(retries("5xx", connect_failure));
    CU_ASSERT_TRUE(retries("5xx", reset));
    CU_ASSERT_TRUE(retries("5xx", per_try_timeout));
    CU_ASSERT_TRUE(retries("5xx", refused));
}

static void test_retry_gateway_error_is_502_503_504_and_no_response(void)
{
    for (int st = 500; st <= 599; st++)
        CU_ASSERT_EQUAL(retries("gateway-error", response(st)), st >= 502 && st <= 504);
    CU_ASSERT_TRUE(retries("gateway-error", per_try_timeout));
    /* Envoy's wouldRetryFromReset counts every reset under gateway-error too */
    CU_ASSERT_TRUE(retries("gateway-error", reset));
    CU_ASSERT_TRUE(retries("gateway-error", connect_failure));
}

static void test_retry_reset_matches_no_response_only(void)
{
    CU_ASSERT_TRUE(retries("reset", reset));
    CU_ASSERT_TRUE(retries("reset", connect_failure));
    CU_ASSERT_TRUE(retries("reset", per_try_timeout));
    CU_ASSERT_TRUE(retries("reset", refused));
    CU_ASSERT_FALSE(retries("reset", response(503)));
    CU_ASSERT_FALSE(retries("reset", response(500)));
}

static void test_retry_connect_failure_matches_connect_failures_only(void)
{
    CU_ASSERT_TRUE(retries("connect-failure", connect_failure));
    CU_ASSERT_FALSE(retries("connect-failure", reset));
    CU_ASSERT_FALSE(retries("connect-failure", per_try_timeout));
    CU_ASSERT_FALSE(retries("connect-failure", refused));
    CU_ASSERT_FALSE(retries("connect-failure", response(503)));
    CU_ASSERT_TRUE(retries("reset-before-request", connect_failure));
    CU_ASSERT_FALSE(retries("reset-before-request", reset));
    CU_ASSERT_FALSE(retries("reset-before-request", per_try_timeout));
}

static void test_retry_refused_stream_matches_refused_streams_only(void)
{
    CU_ASSERT_TRUE(retries("refused-stream", refused));
    CU_ASSERT_FALSE(retries("refused-stream", reset));
    CU_ASSERT_FALSE(retries("refused-stream", connect_failure));
    CU_ASSERT_FALSE(retries("refused-stream", response(503)));
}

static void test_retry_retriable_4xx_is_409_only(void)
{
    for (int st = 400; st <= 499; st++)
        CU_ASSERT_EQUAL(retries("retriable-4xx", response(st)), st == 409);
    CU_ASSERT_FALSE(retries("retriable-4xx", reset));
}

static void test_retry_status_codes_match_listed_codes_only(void)
{
    CU_ASSERT_TRUE(retries("503", response(503)));
    CU_ASSERT_FALSE(retries("503", response(502)));
    CU_ASSERT_FALSE(retries("503", response(500)));
    /* a reset reaches the client as a 503 but is not a 503 response */
    CU_ASSERT_FALSE(retries("503", reset));
    CU_ASSERT_FALSE(retries("503", connect_failure));
    CU_ASSERT_FALSE(retries("503", per_try_timeout));
    CU_ASSERT_TRUE(retries("429,409", response(429)));
    /* the word alone, with no codes, matches nothing */
    CU_ASSERT_FALSE(retries("retriable-status-codes", response(503)));
}

static void test_retry_envoy_ratelimited_needs_the_header(void)
{
    struct px_attempt limited = response(429);
    limited.ratelimited = 1;
    CU_ASSERT_TRUE(retries("envoy-ratelimited", limited));
    CU_ASSERT_FALSE(retries("envoy-ratelimited", response(429)));
    /* with the header, nothing but envoy-ratelimited retries it */
    CU_ASSERT_FALSE(retries("429,5xx,retriable-4xx", limited));
    struct px_attempt limited_503 = response(503);
    limited_503.ratelimited = 1;
    CU_ASSERT_FALSE(retries("5xx,gateway-error", limited_503));
}

static void test_retry_grpc_conditions_read_grpc_status(void)
{
    static const struct {
        const char *name;
        int code;
    } cases[] = {
        {"cancelled", 1}, {"deadline-exceeded", 4}, {"resource-exhausted", 8},
        {"internal", 13}, {"unavailable", 14},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int g = 0; g <= 16; g++) {
            struct px_attempt a = response(200);
            a.grpc_status = g;
            CU_ASSERT_EQUAL(retries(cases[i].name, a), g == cases[i].code);
        }
        CU_ASSERT_FALSE(retries(cases[i].name, response(200)));
        CU_ASSERT_FALSE(retries(cases[i].name, response(503)));
        CU_ASSERT_FALSE(retries(cases[i].name, reset));
    }
}

static void test_retry_kong_timeout_matches_timed_out_only(void)
{
    struct px_retry_policy p;
    px_retry_policy_default(&p);
    p.retry_on = PX_RETRY_TIMEOUT;
    CU_ASSERT_TRUE(px_retry_matches(&p, &per_try_timeout));
    CU_ASSERT_FALSE(px_retry_matches(&p, &reset));
    CU_ASSERT_FALSE(px_retry_matches(&p, &connect_failure));
    struct px_attempt r = response(504);
    CU_ASSERT_FALSE(px_retry_matches(&p, &r));
}

static void test_retry_nothing_configured_retries_nothing(void)
{
    struct px_retry_policy p;
    px_retry_policy_default(&p);
    struct px_attempt outcomes[] = {response(503), response(409),   connect_failure,
                                    reset,         per_try_timeout, refused};
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
        CU_ASSERT_FALSE(px_retry_matches(&p, &outcomes[i]));
}

/* ---------------------------------------------------------------- backoff */

static const uint64_t current_ms[6] = {25, 50, 100, 200, 250, 250};

static void test_retry_backoff_current_bounds_are_exact(void)
{
    struct px_retry_policy p;
    px_retry_policy_default(&p);
    for (uint32_t k = 1; k <= 6; k++) {
        uint64_t range = current_ms[k - 1];
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 0), 0);
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, range - 1), (int64_t)(range - 1) * MS);
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, range), 0);
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 7 * range + 3), 3 * MS);
    }
    /* later retries stay at the cap */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 100, 249), 249 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 100, 250), 0);
}

static void test_retry_backoff_legacy_bounds_are_exact(void)
{
    struct px_retry_policy p;
    px_retry_policy_default(&p);
    p.legacy_backoff = 1;
    /* (2^k - 1) * 25: 25, 75, 175, then 375 sampled and capped at 250 */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 1, 24), 24 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 1, 25), 0);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 2, 74), 74 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 2, 75), 0);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 3, 174), 174 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 3, 175), 0);
    for (uint32_t k = 4; k <= 6; k++) {
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 0), 0);
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 249), 249 * MS);
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 250), 250 * MS); /* the cap is reachable */
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 374), 250 * MS);
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 375), 0); /* the range stays 375 */
        CU_ASSERT_EQUAL(px_retry_backoff(&p, k, 376), 1 * MS);
    }
}

static void test_retry_backoff_stream_stays_in_bounds_and_reaches_them(void)
{
    static const uint64_t legacy_hi[6] = {24, 74, 174, 250, 250, 250}; /* inclusive */
    struct px_retry_policy cur, old;
    px_retry_policy_default(&cur);
    old = cur;
    old.legacy_backoff = 1;
    struct fl_rng r;
    fl_rng_seed(&r, 2024);
    for (uint32_t k = 1; k <= 6; k++) {
        int64_t max_cur = 0, max_old = 0;
        for (int i = 0; i < 20000; i++) {
            uint64_t x = fl_rng_next(&r);
            int64_t a = px_retry_backoff(&cur, k, x), b = px_retry_backoff(&old, k, x);
            CU_ASSERT(a >= 0 && a < (int64_t)current_ms[k - 1] * MS && a % MS == 0);
            CU_ASSERT(b >= 0 && b <= (int64_t)legacy_hi[k - 1] * MS && b % MS == 0);
            if (a > max_cur) max_cur = a;
            if (b > max_old) max_old = b;
        }
        CU_ASSERT_EQUAL(max_cur, (int64_t)(current_ms[k - 1] - 1) * MS);
        CU_ASSERT_EQUAL(max_old, (int64_t)legacy_hi[k - 1] * MS);
    }
}

static void test_retry_backoff_rounds_base_to_whole_ms_and_defaults_max(void)
{
    struct px_retry_policy p;
    px_retry_policy_default(&p);
    p.base_ns = MS / 2; /* 0.5 ms -> 1 ms, max 10 ms: ranges 1, 2, 4, 8, 10 */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 1, 5), 0);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 2, 5), 1 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 4, 9), 1 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 5, 9), 9 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 5, 10), 0);
    p.base_ns = 17 * MS / 10; /* 1.7 ms is truncated to 1 ms, as PROTOBUF_GET_MS does */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 1, 1), 0);
    p.base_ns = 100 * MS; /* max 1000 ms: ranges 100, 200, 400, 800, 1000 */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 4, 999), 199 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 5, 999), 999 * MS);
    p.max_ns = 300 * MS; /* 100, 200, 300 */
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 3, 299), 299 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 3, 300), 0);
    /* Envoy doubles only while the range is below max / 2 (integer division), else jumps to
       max: base 125, max 251 gives 125 then 251, not min(250, 251) */
    p.base_ns = 125 * MS;
    p.max_ns = 251 * MS;
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 2, 250), 250 * MS);
    CU_ASSERT_EQUAL(px_retry_backoff(&p, 2, 251), 0);
}

void suite_retry(void)
{
    TEST_SUITE("proxies/retry");
    TEST_ADD(test_retry_default_policy_is_envoys);
    TEST_ADD(test_retry_on_parses_every_envoy_name);
    TEST_ADD(test_retry_on_format_round_trips_in_istiods_order);
    TEST_ADD(test_retry_on_istio_bare_codes_mean_retriable_status_codes);
    TEST_ADD(test_retry_on_rejects_unknown_words_and_keeps_the_policy);
    TEST_ADD(test_retry_on_holds_at_most_the_code_limit);
    TEST_ADD(test_retry_5xx_covers_every_5xx_and_no_response);
    TEST_ADD(test_retry_gateway_error_is_502_503_504_and_no_response);
    TEST_ADD(test_retry_reset_matches_no_response_only);
    TEST_ADD(test_retry_connect_failure_matches_connect_failures_only);
    TEST_ADD(test_retry_refused_stream_matches_refused_streams_only);
    TEST_ADD(test_retry_retriable_4xx_is_409_only);
    TEST_ADD(test_retry_status_codes_match_listed_codes_only);
    TEST_ADD(test_retry_envoy_ratelimited_needs_the_header);
    TEST_ADD(test_retry_grpc_conditions_read_grpc_status);
    TEST_ADD(test_retry_kong_timeout_matches_timed_out_only);
    TEST_ADD(test_retry_nothing_configured_retries_nothing);
    TEST_ADD(test_retry_backoff_current_bounds_are_exact);
    TEST_ADD(test_retry_backoff_legacy_bounds_are_exact);
    TEST_ADD(test_retry_backoff_stream_stays_in_bounds_and_reaches_them);
    TEST_ADD(test_retry_backoff_rounds_base_to_whole_ms_and_defaults_max);
}
