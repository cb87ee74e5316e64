/*
 * test_ratelimit.c - proxies/ratelimit.c, Kong's rate-limiting plugin with
 * policy local: fixed windows aligned to UTC boundaries (calendar months
 * and years included), refused requests not counted, several periods at
 * once, Kong's headers name by name and value by value, hide_client_headers,
 * the error code and message, and one counter per identifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "proxies/ratelimit.h"
#include "tests/testutil.h"

void suite_ratelimit(void);

#define S   INT64_C(1000000000)
#define DAY INT64_C(86400)

/* A limiter with the given limits (0: none) and Kong's other defaults. */
static void rl_make(struct px_rl *rl, int64_t second, int64_t minute, int64_t hour, int64_t day,
                    int64_t month, int64_t year)
{
    struct px_rl_cfg c;
    px_rl_cfg_default(&c);
    int64_t limits[PX_RL_PERIODS] = {second, minute, hour, day, month, year};
    memcpy(c.limit, limits, sizeof limits);
    px_rl_init(rl, &c);
}

/* The value of a header of m, or "" when absent. */
static const char *hdr(const struct px_msg *m, const char *name)
{
    const char *v = px_msg_header(m, name);
    return v ? v : "";
}

/* Checks one request and returns its response headers in *m (initialised here). */
static int check_with_headers(struct px_rl *rl, const char *id, int64_t now_ns,
                              struct px_rl_verdict *v, struct px_msg *m)
{
    px_msg_init(m);
    int allowed = px_rl_check(rl, id, now_ns, v);
    px_rl_headers(rl, v, m);
    return allowed;
}

static void test_ratelimit_defaults_are_kongs(void)
{
    struct px_rl_cfg c;
    px_rl_cfg_default(&c);
    CU_ASSERT_EQUAL(c.error_code, 429);
    CU_ASSERT_STRING_EQUAL(c.error_message, "API rate limit exceeded");
    CU_ASSERT_EQUAL(c.limit_by, PX_RL_BY_CONSUMER);
    CU_ASSERT_FALSE(c.hide_client_headers);
    for (int p = 0; p < PX_RL_PERIODS; p++) CU_ASSERT_EQUAL(c.limit[p], 0);
    px_rl_cfg_free(&c);
}

static void test_ratelimit_100_per_minute_admits_exactly_100_per_window(void)
{
    struct px_rl rl;
    rl_make(&rl, 0, 100, 0, 0, 0, 0);
    struct px_rl_verdict v;
    int allowed = 0, refused = 0, first_refused = -1;
    for (int i = 0; i < 150; i++) { /* spread evenly over 0 .. 59 s */
        int64_t now = (int64_t)i * 59 * S / 149;
        if (px_rl_check(&rl, "client", now, &v)) {
            allowed++;
        } else {
            if (first_refused < 0) first_refused = i;
            refused++;
        }
    }
    CU_ASSERT_EQUAL(allowed, 100);
    CU_ASSERT_EQUAL(refused, 50);
    CU_ASSERT_EQUAL(first_refused, 100);
    CU_ASSERT_EQUAL(rl.allowed, 100);
    CU_ASSERT_EQUAL(rl.refused, 50);
    /* at 60 s a new window: the 50 refusals did not count */
    CU_ASSERT_TRUE(px_rl_check(&rl, "client", 60 * S, &v));
    CU_ASSERT_EQUAL(v.remaining[PX_RL_MINUTE], 99);
    for (int i = 1; i < 100; i++) CU_ASSERT_TRUE(px_rl_check(&rl, "client", 61 * S, &v));
    CU_ASSERT_FALSE(px_rl_check(&rl, "client", 119 * S + S / 2, &v));
    CU_ASSERT_TRUE(px_rl_check(&rl, "client", 120 * S, &v));
    px_rl_free(&rl);
}

static void test_ratelimit_window_boundary_allows_a_double_burst(void)
{
    /* Kong's fixed windows: 10 at 59.9 s and 10 more at 60.0 s all pass */
    struct px_rl rl;
    rl_make(&rl, 0, 10, 0, 0, 0, 0);
    struct px_rl_verdict v;
    int n = 0;
    for (int i = 0; i < 12; i++) n += px_rl_check(&rl, "c", 59 * S + 900000000, &v);
    for (int i = 0; i < 12; i++) n += px_rl_check(&rl, "c", 60 * S, &v);
    CU_ASSERT_EQUAL(n, 20);
    px_rl_free(&rl);
}

static void test_ratelimit_second_window_uses_whole_seconds(void)
{
    struct px_rl rl;
    rl_make(&rl, 1, 0, 0, 0, 0, 0);
    struct px_rl_verdict v;
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", 5 * S, &v));
    CU_ASSERT_FALSE(px_rl_check(&rl, "c", 5 * S + S - 1, &v));
    CU_ASSERT_EQUAL(v.reset_s, 1);
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", 6 * S, &v));
    px_rl_free(&rl);
}

static void test_ratelimit_headers_as_kong_sends_them(void)
{
    struct px_rl rl;
    rl_make(&rl, 0, 2, 0, 0, 0, 0);
    struct px_rl_verdict v;
    struct px_msg m;
    CU_ASSERT_TRUE(check_with_headers(&rl, "c", 15 * S, &v, &m));
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Limit-Minute"), "2");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Minute"), "1");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Limit"), "2");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Remaining"), "1");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Reset"), "45");
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "Retry-After"));
    CU_ASSERT_PTR_NULL(px_msg_header(&m, "X-RateLimit-Limit-Second"));
    CU_ASSERT_EQUAL(m.n_headers, 5);
    px_msg_clear(&m);

    CU_ASSERT_TRUE(check_with_headers(&rl, "c", 20 * S, &v, &m));
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Minute"), "0");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Remaining"), "0");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Reset"), "40");
    px_msg_clear(&m);

    CU_ASSERT_FALSE(check_with_headers(&rl, "c", 59 * S + S / 2, &v, &m));
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Limit-Minute"), "2");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Minute"), "0");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Reset"), "1");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "Retry-After"), "1");
    CU_ASSERT_EQUAL(m.n_headers, 6);
    px_msg_clear(&m);
    px_rl_free(&rl);
}

static void test_ratelimit_several_periods_closest_one_drives_ratelimit_headers(void)
{
    struct px_rl rl;
    rl_make(&rl, 2, 5, 0, 0, 0, 0);
    struct px_rl_verdict v;
    struct px_msg m;
    /* t = 10 s: second has 1 left, minute 4: the second drives RateLimit-* */
    CU_ASSERT_TRUE(check_with_headers(&rl, "c", 10 * S, &v, &m));
    CU_ASSERT_EQUAL(v.stop, PX_RL_SECOND);
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Second"), "1");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Minute"), "4");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Limit"), "2");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Remaining"), "1");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Reset"), "1");
    px_msg_clear(&m);
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", 10 * S, &v));
    /* the third in the same second is refused by the second; the minute is not decremented */
    CU_ASSERT_FALSE(check_with_headers(&rl, "c", 10 * S, &v, &m));
    CU_ASSERT_EQUAL(v.stop, PX_RL_SECOND);
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Second"), "0");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Minute"), "3");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "Retry-After"), "1");
    px_msg_clear(&m);
    /* three more over the next seconds use up the minute; then the minute refuses */
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", 11 * S, &v));
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", 12 * S, &v));
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", 13 * S, &v));
    CU_ASSERT_FALSE(check_with_headers(&rl, "c", 14 * S, &v, &m));
    CU_ASSERT_EQUAL(v.stop, PX_RL_MINUTE);
    CU_ASSERT_STRING_EQUAL(hdr(&m, "X-RateLimit-Remaining-Second"), "2");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Limit"), "5");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "RateLimit-Remaining"), "0");
    CU_ASSERT_STRING_EQUAL(hdr(&m, "Retry-After"), "46");
    px_msg_clear(&m);
    px_rl_free(&rl);
}

static void test_ratelimit_tie_goes_to_the_longer_window(void)
{
    struct px_rl rl;
    rl_make(&rl, 5, 5, 0, 0, 0, 0);
    struct px_rl_verdict v;
    px_rl_check(&rl, "c", 30 * S, &v);
    CU_ASSERT_EQUAL(v.remaining[PX_RL_SECOND], 4);
    CU_ASSERT_EQUAL(v.remaining[PX_RL_MINUTE], 4);
    CU_ASSERT_EQUAL(v.stop, PX_RL_MINUTE);
    CU_ASSERT_EQUAL(v.reset_s, 30);
    CU_ASSERT_EQUAL(v.limit[PX_RL_HOUR], -1);
    px_rl_free(&rl);
}

static void test_ratelimit_fixed_windows_are_aligned_utc(void)
{
    int64_t t = 1700000000; /* 2023-11-14T22:13:20Z */
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_SECOND, t), t);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MINUTE, t), 1700000000 - 20);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_HOUR, t), 1699999200);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_DAY, t), 1699920000);
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_DAY, t), 1699920000 + DAY);
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_HOUR, t), 1699999200 + 3600);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MINUTE, -1), -60);
}

static void test_ratelimit_calendar_months_and_years(void)
{
    int64_t leap_day = 1709208000;                                          /* 2024-02-29T12:00Z */
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MONTH, leap_day), 1706745600); /* 2024-02-01 */
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_MONTH, leap_day), 1709251200);   /* 2024-03-01 */
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_YEAR, leap_day), 1704067200);  /* 2024-01-01 */
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_YEAR, leap_day), 1735689600);    /* 2025-01-01 */
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MONTH, 0), 0);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_YEAR, 0), 0);
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_MONTH, 0), 31 * DAY);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MONTH, 951868800), 951868800); /* 2000-03-01 */
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MONTH, -1), -2678400);         /* 1969-12-01 */
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_YEAR, -1), -31536000);         /* 1969-01-01 */
    /* 2100 is not a leap year, 1600 is */
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_MONTH, 4105123200), 4107542400);
    CU_ASSERT_EQUAL(px_rl_window_start(PX_RL_MONTH, -11670998400), -11673417600);
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_MONTH, -11670998400), -11670912000);
    /* December rolls into the next year */
    CU_ASSERT_EQUAL(px_rl_window_end(PX_RL_MONTH, 1735689600 - 1), 1735689600);
}

static void test_ratelimit_month_lengths_hold_for_four_centuries(void)
{
    /* every month from 1900 to 2300 is 28..31 days and follows the previous one */
    int64_t start = px_rl_window_start(PX_RL_MONTH, -2208988800); /* 1900-01-01 */
    int bad = 0, febs29 = 0, months = 0;
    while (start < 10413792000) { /* 2300-01-01 */
        int64_t end = px_rl_window_end(PX_RL_MONTH, start);
        int64_t days = (end - start) / DAY;
        bad += days < 28 || days > 31 || (end - start) % DAY != 0;
        bad += px_rl_window_start(PX_RL_MONTH, end - 1) != start;
        bad += px_rl_window_start(PX_RL_MONTH, end) != end;
        febs29 += days == 29;
        start = end;
        months++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(months, 400 * 12);
    CU_ASSERT_EQUAL(febs29, 97); /* 100 leap years in 400, less 1900, 2100, 2200 */
}

static void test_ratelimit_month_counter_resets_and_reset_uses_kongs_30_days(void)
{
    struct px_rl rl;
    rl_make(&rl, 0, 0, 0, 0, 3, 0);
    struct px_rl_verdict v;
    int64_t jan31 = 1706702400; /* 2024-01-31T12:00Z */
    for (int i = 0; i < 3; i++) CU_ASSERT_TRUE(px_rl_check(&rl, "c", jan31 * S, &v));
    CU_ASSERT_FALSE(px_rl_check(&rl, "c", jan31 * S, &v));
    /* Kong: max(1, 2592000 - 30.5 days) */
    CU_ASSERT_EQUAL(v.reset_s, 1);
    int64_t feb10 = 1707523200;
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", feb10 * S, &v));
    CU_ASSERT_EQUAL(v.remaining[PX_RL_MONTH], 2);
    CU_ASSERT_EQUAL(v.reset_s, 2592000 - 9 * DAY);
    px_rl_free(&rl);
}

static void test_ratelimit_year_and_day_windows(void)
{
    struct px_rl rl;
    rl_make(&rl, 0, 0, 0, 2, 0, 3);
    struct px_rl_verdict v;
    int64_t dec31 = 1735689600 - 3600; /* 2024-12-31T23:00Z */
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", dec31 * S, &v));
    CU_ASSERT_EQUAL(v.stop, PX_RL_DAY); /* day 1 left, year 2 */
    CU_ASSERT_EQUAL(v.reset_s, 3600);
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", (dec31 + 1) * S, &v));
    CU_ASSERT_FALSE(px_rl_check(&rl, "c", (dec31 + 2) * S, &v));
    /* 2025: both windows are new */
    CU_ASSERT_TRUE(px_rl_check(&rl, "c", (dec31 + 3600) * S, &v));
    CU_ASSERT_EQUAL(v.remaining[PX_RL_YEAR], 2);
    CU_ASSERT_EQUAL(v.remaining[PX_RL_DAY], 1);
    px_rl_free(&rl);
}

static void test_ratelimit_hide_client_headers_sends_none(void)
{
    struct px_rl_cfg c;
    px_rl_cfg_default(&c);
    c.limit[PX_RL_MINUTE] = 1;
    c.hide_client_headers = 1;
    struct px_rl rl;
    px_rl_init(&rl, &c);
    struct px_rl_verdict v;
    struct px_msg m;
    CU_ASSERT_TRUE(check_with_headers(&rl, "c", 0, &v, &m));
    CU_ASSERT_EQUAL(m.n_headers, 0);
    px_msg_clear(&m);
    CU_ASSERT_FALSE(check_with_headers(&rl, "c", 0, &v, &m));
    CU_ASSERT_EQUAL(m.n_headers, 0); /* not even Retry-After */
    px_msg_clear(&m);
    px_rl_free(&rl);
}

static void test_ratelimit_init_takes_ownership_of_error_settings(void)
{
    struct px_rl_cfg c;
    px_rl_cfg_default(&c);
    c.limit[PX_RL_HOUR] = 7;
    c.error_code = 503;
    free(c.error_message);
    c.error_message = fl_strdup("slow down");
    c.limit_by = PX_RL_BY_HEADER;
    c.header_name = fl_strdup("x-api-key");
    struct px_rl rl;
    px_rl_init(&rl, &c);
    CU_ASSERT_PTR_NULL(c.error_message); /* moved */
    CU_ASSERT_EQUAL(rl.cfg.error_code, 503);
    CU_ASSERT_STRING_EQUAL(rl.cfg.error_message, "slow down");
    CU_ASSERT_STRING_EQUAL(rl.cfg.header_name, "x-api-key");
    CU_ASSERT_EQUAL(rl.cfg.limit[PX_RL_HOUR], 7);
    px_rl_free(&rl);
}

static void test_ratelimit_counts_per_identifier(void)
{
    struct px_rl rl;
    rl_make(&rl, 0, 3, 0, 0, 0, 0);
    struct px_rl_verdict v;
    for (int i = 0; i < 3; i++) CU_ASSERT_TRUE(px_rl_check(&rl, "10.0.0.1", S, &v));
    CU_ASSERT_FALSE(px_rl_check(&rl, "10.0.0.1", S, &v));
    CU_ASSERT_TRUE(px_rl_check(&rl, "10.0.0.2", S, &v));
    CU_ASSERT_EQUAL(v.remaining[PX_RL_MINUTE], 2);
    /* many identifiers (the table grows), each with its own count */
    char id[32];
    int ok = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(id, sizeof id, "client-%d", i);
            ok += px_rl_check(&rl, id, 2 * S, &v);
        }
    }
    CU_ASSERT_EQUAL(ok, 3000);
    CU_ASSERT_EQUAL(rl.n_counters, 1002);
    px_rl_free(&rl);
}

void suite_ratelimit(void)
{
    TEST_SUITE("proxies/ratelimit");
    TEST_ADD(test_ratelimit_defaults_are_kongs);
    TEST_ADD(test_ratelimit_100_per_minute_admits_exactly_100_per_window);
    TEST_ADD(test_ratelimit_window_boundary_allows_a_double_burst);
    TEST_ADD(test_ratelimit_second_window_uses_whole_seconds);
    TEST_ADD(test_ratelimit_headers_as_kong_sends_them);
    TEST_ADD(test_ratelimit_several_periods_closest_one_drives_ratelimit_headers);
    TEST_ADD(test_ratelimit_tie_goes_to_the_longer_window);
    TEST_ADD(test_ratelimit_fixed_windows_are_aligned_utc);
    TEST_ADD(test_ratelimit_calendar_months_and_years);
    TEST_ADD(test_ratelimit_month_lengths_hold_for_four_centuries);
    TEST_ADD(test_ratelimit_month_counter_resets_and_reset_uses_kongs_30_days);
    TEST_ADD(test_ratelimit_year_and_day_windows);
    TEST_ADD(test_ratelimit_hide_client_headers_sends_none);
    TEST_ADD(test_ratelimit_init_takes_ownership_of_error_settings);
    TEST_ADD(test_ratelimit_counts_per_identifier);
}
