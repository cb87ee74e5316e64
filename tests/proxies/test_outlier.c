/*
 * test_outlier.c - proxies/outlier.c against Envoy's outlier_detection_impl.cc:
 * ejection on exactly the Nth consecutive 5xx, return at the first interval
 * sweep at or after the ejection time, the ejection-time multiplier growing,
 * shrinking and capped, both max-ejection-percent rules and
 * always_eject_one_host, gateway failures, local-origin mapping, the
 * enforcing roll and jitter, success rate and failure percentage; and
 * Kong's mode (lua-resty-healthcheck's counters): only listed statuses
 * count, TCP failures and timeouts on counters of their own, a 0 threshold
 * switching its counter off, failures adding up unless successes are
 * counted, no return at sweeps, a return by enough successes.
 *
 * Time: sweeps run every 10 s from t = 0 (at 10 s, 20 s, ...), as Envoy's
 * interval timer re-arms itself after each sweep.
 */
#include <string.h>

#include "proxies/outlier.h"
#include "tests/testutil.h"

void suite_outlier(void);

#define S(x)   ((int64_t)((x)*1e9))
#define NH_MAX 32

static struct px_outlier_cfg cfg_default(void)
{
    struct px_outlier_cfg c;
    px_outlier_cfg_envoy(&c);
    return c;
}

/* n responses with `status` from host h at t; returns how many of them ejected it. */
static int answer(struct px_outlier *o, uint32_t h, int status, int n, int64_t t)
{
    int ej = 0;
    for (int i = 0; i < n; i++) ej += px_outlier_record(o, h, PX_ORIGIN_RESPONSE, status, t, 0);
    return ej;
}

/* Sweeps at every 10 s mark in (from, to]; returns the time h came back, or -1. */
static int64_t sweep_until_back(struct px_outlier *o, uint32_t h, int64_t from, int64_t to)
{
    for (int64_t t = (from / S(10) + 1) * S(10); t <= to; t += S(10)) {
        uint32_t back[NH_MAX];
        uint32_t n = px_outlier_sweep(o, t, 0, back, NULL, NULL);
        for (uint32_t i = 0; i < n; i++)
            if (back[i] == h) return t;
    }
    return -1;
}

static void test_outlier_envoy_defaults(void)
{
    struct px_outlier_cfg c;
    memset(&c, 0xab, sizeof c);
    px_outlier_cfg_envoy(&c);
    CU_ASSERT_EQUAL(c.consecutive_5xx, 5);
    CU_ASSERT_EQUAL(c.consecutive_gateway_failure, 5);
    CU_ASSERT_EQUAL(c.consecutive_local_origin_failure, 5);
    CU_ASSERT_FALSE(c.split_external_local_origin_errors);
    CU_ASSERT_EQUAL(c.interval_ns, S(10));
    CU_ASSERT_EQUAL(c.base_ejection_ns, S(30));
    CU_ASSERT_EQUAL(c.max_ejection_ns, S(300));
    CU_ASSERT_EQUAL(c.max_ejection_jitter_ns, 0);
    CU_ASSERT_EQUAL(c.max_ejection_percent, 10);
    CU_ASSERT_FALSE(c.always_eject_one_host);
    CU_ASSERT_EQUAL(c.enforcing_consecutive_5xx, 100);
    CU_ASSERT_EQUAL(c.enforcing_consecutive_gateway_failure, 0);
    CU_ASSERT_EQUAL(c.enforcing_consecutive_local_origin_failure, 100);
    CU_ASSERT_EQUAL(c.enforcing_success_rate, 100);
    CU_ASSERT_EQUAL(c.success_rate_minimum_hosts, 5);
    CU_ASSERT_EQUAL(c.success_rate_request_volume, 100);
    CU_ASSERT_EQUAL(c.success_rate_stdev_factor, 1900);
    CU_ASSERT_EQUAL(c.failure_percentage_threshold, 85);
    CU_ASSERT_EQUAL(c.enforcing_failure_percentage, 0);
    CU_ASSERT_EQUAL(c.failure_percentage_minimum_hosts, 5);
    CU_ASSERT_EQUAL(c.failure_percentage_request_volume, 50);
    CU_ASSERT_FALSE(c.legacy_max_ejection_percent);
    CU_ASSERT_FALSE(c.kong.on); /* Envoy's detectors, not Kong's */
}

static void test_outlier_ejects_on_exactly_the_fifth_consecutive_5xx(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    px_outlier_init(&o, &c, 20); /* 20 hosts: 10% allows 2 */
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 4, S(1)), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 200, 1, S(1)), 0); /* resets the count */
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 4, S(1)), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 404, 1, S(1)), 0); /* any non-5xx resets it */
    CU_ASSERT_EQUAL(answer(&o, 0, 599, 4, S(1)), 0);
    CU_ASSERT_FALSE(px_outlier_ejected(&o, 0));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESPONSE, 500, S(2), 0), 1);
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 0));
    CU_ASSERT_EQUAL(o.hosts[0].ejected_at_ns, S(2));
    CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, S(30));
    CU_ASSERT_EQUAL(o.hosts[0].multiplier, 1);
    CU_ASSERT_EQUAL(o.hosts[0].ejections, 1);
    CU_ASSERT_EQUAL(o.n_ejected, 1);
    CU_ASSERT_EQUAL(o.ejections_total, 1);
    /* more failures while ejected change nothing */
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 20, S(3)), 0);
    CU_ASSERT_EQUAL(o.ejections_total, 1);
    px_outlier_free(&o);
}

static void test_outlier_returns_at_first_sweep_after_ejection_time(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 3, 500, 5, S(12)), 1);
    /* sweeps at 20, 30, 40 s: 28 s < 30 s at 40 s; back at 50 s (38 s ejected) */
    uint32_t back[20], n_ej = 99;
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(10), 0, back, NULL, &n_ej), 0);
    CU_ASSERT_EQUAL(n_ej, 0);
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(20), 0, back, NULL, NULL), 0);
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(30), 0, back, NULL, NULL), 0);
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(40), 0, back, NULL, NULL), 0);
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 3));
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(50), 0, back, NULL, NULL), 1);
    CU_ASSERT_EQUAL(back[0], 3);
    CU_ASSERT_FALSE(px_outlier_ejected(&o, 3));
    CU_ASSERT_EQUAL(o.hosts[3].last_unejected_ns, S(50));
    CU_ASSERT_EQUAL(o.n_ejected, 0);
    /* exactly on the boundary: ejected at 60 s, 30 s later is 90 s, a sweep */
    CU_ASSERT_EQUAL(answer(&o, 4, 500, 5, S(60)), 1);
    CU_ASSERT_EQUAL(sweep_until_back(&o, 4, S(60), S(300)), S(90));
    px_outlier_free(&o);
}

static void test_outlier_counters_restart_after_return(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(1)), 1);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 7, S(2)), 0); /* counted while ejected */
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, 0, S(100)), S(40));
    CU_ASSERT_EQUAL(o.hosts[0].cons_5xx, 0); /* unejectHost resets the counters */
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 4, S(41)), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 1, S(41)), 1);
    px_outlier_free(&o);
}

static void test_outlier_second_ejection_soon_after_return_lasts_twice_as_long(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(12)), 1);
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(12), S(100)), S(50));
    /* the sweep that brings it back does not shrink the multiplier (0 s since return) */
    CU_ASSERT_EQUAL(o.hosts[0].multiplier, 1);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(55)), 1);
    CU_ASSERT_EQUAL(o.hosts[0].multiplier, 2);
    CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, S(60));
    /* 55 + 60 = 115 s: back at the 120 s sweep */
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(55), S(300)), S(120));
    px_outlier_free(&o);
}

static void test_outlier_multiplier_shrinks_one_per_healthy_sweep(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(12)), 1);
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(12), S(100)), S(50));
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(60), 0, NULL, NULL, NULL), 0);
    CU_ASSERT_EQUAL(o.hosts[0].multiplier, 0); /* healthy for one interval */
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(65)), 1);
    CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, S(30)); /* back to the base time */
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(65), S(300)), S(100));
    /* build the multiplier up to 3, then watch it come down one per sweep */
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(101)), 1); /* 2: 60 s */
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(101), S(400)), S(170));
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(171)), 1); /* 3: 90 s */
    CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, S(90));
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(171), S(400)), S(270));
    static const uint32_t want[] = {2, 1, 0, 0};
    for (int i = 0; i < 4; i++) {
        px_outlier_sweep(&o, S(280 + 10 * i), 0, NULL, NULL, NULL);
        CU_ASSERT_EQUAL(o.hosts[0].multiplier, want[i]);
    }
    px_outlier_free(&o);
}

static void test_outlier_ejection_time_is_capped_at_max(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    int64_t t = S(1);
    for (int k = 1; k <= 13; k++) {
        CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, t), 1);
        int64_t want = S(30) * k < S(300) ? S(30) * k : S(300);
        CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, want);
        /* Envoy keeps growing it while multiplier * base < max + base: it stops at 11 */
        CU_ASSERT_EQUAL(o.hosts[0].multiplier, k < 11 ? (uint32_t)k : 11u);
        int64_t back = sweep_until_back(&o, 0, t, t + S(400));
        CU_ASSERT_EQUAL(back, ((t + want + S(10) - 1) / S(10)) * S(10));
        t = back + S(1); /* fails again right after returning */
    }
    /* then 11 healthy sweeps bring it back to 0 */
    int sweeps = 0;
    for (int64_t s = (t / S(10) + 1) * S(10); o.hosts[0].multiplier > 0; s += S(10), sweeps++)
        px_outlier_sweep(&o, s, 0, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(sweeps, 11);
    /* a base larger than the default max raises the max to the base */
    c.base_ejection_ns = S(400);
    struct px_outlier o2;
    px_outlier_init(&o2, &c, 20);
    CU_ASSERT_EQUAL(o2.cfg.max_ejection_ns, S(400));
    CU_ASSERT_EQUAL(answer(&o2, 0, 500, 5, S(1)), 1);
    CU_ASSERT_EQUAL(o2.hosts[0].ejection_ns, S(400));
    px_outlier_free(&o2);
    px_outlier_free(&o);
}

/* Fails every host of n in turn (5 x 500 each); returns how many are ejected. */
static uint32_t fail_all(const struct px_outlier_cfg *c, uint32_t n, int *ejected)
{
    struct px_outlier o;
    px_outlier_init(&o, c, n);
    for (uint32_t h = 0; h < n; h++) ejected[h] = answer(&o, h, 500, 5, S(1));
    uint32_t k = o.n_ejected;
    px_outlier_free(&o);
    return k;
}

static void test_outlier_max_ejection_percent_current_rule(void)
{
    struct px_outlier_cfg c = cfg_default();
    int ej[NH_MAX];
    /* 100 * (0 + 1) / 3 = 33% > 10%: nothing is ever ejected */
    CU_ASSERT_EQUAL(fail_all(&c, 3, ej), 0);
    /* 20 hosts: 5% and 10% pass, 15% does not */
    CU_ASSERT_EQUAL(fail_all(&c, 20, ej), 2);
    CU_ASSERT(ej[0] && ej[1] && !ej[2]);
    /* 67% of 3: 33% and 67% pass (<=), 100% does not */
    c.max_ejection_percent = 67;
    CU_ASSERT_EQUAL(fail_all(&c, 3, ej), 2);
    /* always_eject_one_host: the first, even with 3 hosts at 10%, and no more */
    c.max_ejection_percent = 10;
    c.always_eject_one_host = 1;
    CU_ASSERT_EQUAL(fail_all(&c, 3, ej), 1);
    CU_ASSERT(ej[0] && !ej[1] && !ej[2]);
    /* a refused ejection still resets the count: the next try is 5 failures later */
    c.always_eject_one_host = 0;
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 5, S(1)) + answer(&o, 1, 500, 5, S(1)), 2);
    CU_ASSERT_EQUAL(answer(&o, 2, 500, 5, S(1)), 0);
    CU_ASSERT_EQUAL(o.hosts[2].cons_5xx, 0);
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(1), S(100)), S(40));
    CU_ASSERT_EQUAL(answer(&o, 2, 500, 4, S(41)), 0);
    CU_ASSERT_EQUAL(answer(&o, 2, 500, 1, S(41)), 1);
    px_outlier_free(&o);
}

static void test_outlier_max_ejection_percent_legacy_rule(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.legacy_max_ejection_percent = 1;
    int ej[NH_MAX];
    /* 100 * 0 / 3 = 0% < 10%: the first goes; 33% is not below 10% */
    CU_ASSERT_EQUAL(fail_all(&c, 3, ej), 1);
    CU_ASSERT(ej[0] && !ej[1] && !ej[2]);
    /* envoy#3263 / #27066: 3 hosts at 67% all go (0%, 33%, 66.7% < 67%) */
    c.max_ejection_percent = 67;
    CU_ASSERT_EQUAL(fail_all(&c, 3, ej), 3);
    /* 20 hosts at 10%: 0% and 5% pass, 10% does not */
    c.max_ejection_percent = 10;
    CU_ASSERT_EQUAL(fail_all(&c, 20, ej), 2);
    c.max_ejection_percent = 0; /* 0 < 0 is false: nothing */
    CU_ASSERT_EQUAL(fail_all(&c, 20, ej), 0);
}

static void test_outlier_gateway_failures_counted_separately(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.consecutive_5xx = 0; /* disabled: only the gateway counter can act */
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    /* default enforcing 0: detected (the counter fires and resets), never ejected */
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 100, S(1)), 0);
    CU_ASSERT_EQUAL(o.hosts[0].cons_gateway, 0);
    px_outlier_free(&o);
    c.enforcing_consecutive_gateway_failure = 100;
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 0, 502, 2, S(1)) + answer(&o, 0, 504, 2, S(1)), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 1, S(1)), 0); /* a 5xx that is not a gateway error */
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 4, S(1)), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 502, 1, S(1)), 1);
    CU_ASSERT_EQUAL(o.hosts[0].cons_5xx, 10); /* still counted, though disabled */
    px_outlier_free(&o);
    /* Envoy's defaults: the gateway event comes first and is not enforced, the 5xx one ejects */
    c = cfg_default();
    px_outlier_init(&o, &c, 20);
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 4, S(1)), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 1, S(1)), 1);
    CU_ASSERT_EQUAL(o.ejections_total, 1);
    px_outlier_free(&o);
}

static void test_outlier_local_origin_maps_to_503_and_504_without_split(void)
{
    struct px_outlier_cfg c = cfg_default();
    struct px_outlier o;
    static const enum px_origin origins[] = {PX_ORIGIN_CONNECT_FAILED, PX_ORIGIN_TIMEOUT,
                                             PX_ORIGIN_RESET};
    /* one host per origin, 5 in a row each: ejected on the 5th */
    for (uint32_t k = 0; k < 3; k++) {
        px_outlier_init(&o, &c, 20);
        for (int i = 1; i <= 5; i++)
            CU_ASSERT_EQUAL(px_outlier_record(&o, 7, origins[k], 0, S(1), 0), i == 5);
        CU_ASSERT_EQUAL(o.hosts[7].interval_failed, 5);
        px_outlier_free(&o);
    }
    /* mixed with real 5xx responses they make one run */
    px_outlier_init(&o, &c, 20);
    px_outlier_record(&o, 1, PX_ORIGIN_CONNECT_FAILED, 0, S(1), 0);
    px_outlier_record(&o, 1, PX_ORIGIN_TIMEOUT, 0, S(1), 0);
    answer(&o, 1, 500, 2, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 1, PX_ORIGIN_RESET, 0, S(1), 0), 1);
    px_outlier_free(&o);
    /* a timeout is a 504 and a connect failure a 503: gateway errors too */
    c.consecutive_5xx = 0;
    c.enforcing_consecutive_gateway_failure = 100;
    px_outlier_init(&o, &c, 20);
    for (int i = 0; i < 4; i++) px_outlier_record(&o, 2, origins[i % 2], 0, S(1), 0);
    CU_ASSERT_EQUAL(px_outlier_record(&o, 2, PX_ORIGIN_TIMEOUT, 0, S(1), 0), 1);
    px_outlier_free(&o);
}

static void test_outlier_split_counts_local_origin_failures_apart(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.split_external_local_origin_errors = 1;
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    for (int i = 0; i < 4; i++) px_outlier_record(&o, 0, PX_ORIGIN_CONNECT_FAILED, 0, S(1), 0);
    CU_ASSERT_EQUAL(o.hosts[0].cons_5xx, 0);
    CU_ASSERT_EQUAL(o.hosts[0].interval_total, 0);   /* not in the external success rate */
    CU_ASSERT_EQUAL(answer(&o, 0, 200, 1, S(1)), 0); /* the host answered: local count resets */
    CU_ASSERT_EQUAL(o.hosts[0].cons_local, 0);
    for (int i = 1; i <= 5; i++)
        CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_TIMEOUT, 0, S(2), 0), i == 5);
    /* 5xx answers still count as 5xx */
    CU_ASSERT_EQUAL(answer(&o, 1, 500, 5, S(2)), 1);
    px_outlier_free(&o);
    c.consecutive_local_origin_failure = 0;
    px_outlier_init(&o, &c, 20);
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESET, 0, S(1), 0), 0);
    px_outlier_free(&o);
}

static void test_outlier_enforcing_roll_uses_random(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.enforcing_consecutive_5xx = 50;
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    /* random % 100 < 50 */
    answer(&o, 0, 500, 4, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESPONSE, 500, S(1), 50), 0);
    CU_ASSERT_EQUAL(o.hosts[0].cons_5xx, 0); /* detected, counter reset */
    answer(&o, 0, 500, 4, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESPONSE, 500, S(1), 99), 0);
    answer(&o, 0, 500, 4, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESPONSE, 500, S(1), 149), 1);
    answer(&o, 1, 500, 4, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 1, PX_ORIGIN_RESPONSE, 500, S(1), 0), 1);
    px_outlier_free(&o);
}

static void test_outlier_jitter_adds_random_ms(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.max_ejection_jitter_ns = S(5);
    struct px_outlier o;
    px_outlier_init(&o, &c, 20);
    /* roll: random % 100 = 0; jitter: (random / 100) % 5001 = 3000 ms */
    answer(&o, 0, 500, 4, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESPONSE, 500, S(1), 100 * 3000), 1);
    CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, S(33));
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, S(1), S(100)), S(40)); /* 39 s > 33 s */
    answer(&o, 1, 500, 4, S(1));
    CU_ASSERT_EQUAL(px_outlier_record(&o, 1, PX_ORIGIN_RESPONSE, 500, S(1), 100 * 5001), 1);
    CU_ASSERT_EQUAL(o.hosts[1].ejection_ns, S(30)); /* 5001 % 5001 */
    px_outlier_free(&o);
}

/* Gives host h `total` requests this interval: `failed` 500s, then 200s. */
static void traffic(struct px_outlier *o, uint32_t h, int total, int failed)
{
    for (int i = 0; i < total; i++)
        px_outlier_record(o, h, PX_ORIGIN_RESPONSE, i < failed ? 500 : 200, S(5), 0);
}

static void test_outlier_success_rate_ejects_below_mean_minus_stdevs(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.max_ejection_percent = 50;
    c.consecutive_5xx = 0;
    struct px_outlier o;
    px_outlier_init(&o, &c, 5);
    /* Envoy's worked example: {50, 100, 100, 100, 100}: mean 90, stdev 20, threshold 52 */
    traffic(&o, 0, 100, 50);
    for (uint32_t h = 1; h < 5; h++) traffic(&o, h, 100, 0);
    CU_ASSERT_EQUAL(o.hosts[0].interval_failed, 50);
    uint32_t ej[5], n_ej = 0;
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(10), 0, NULL, ej, &n_ej), 0);
    CU_ASSERT_EQUAL(n_ej, 1);
    CU_ASSERT_EQUAL(ej[0], 0);
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 0));
    CU_ASSERT_EQUAL(o.hosts[0].interval_total, 0); /* a new interval starts */
    /* an ejected host is left out of the next computation */
    for (uint32_t h = 1; h < 5; h++) traffic(&o, h, 100, 0);
    CU_ASSERT_EQUAL(px_outlier_sweep(&o, S(20), 0, NULL, ej, &n_ej), 0);
    CU_ASSERT_EQUAL(n_ej, 0);
    px_outlier_free(&o);
}

static void test_outlier_success_rate_needs_volume_hosts_and_spread(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.max_ejection_percent = 50;
    c.consecutive_5xx = 0;
    struct px_outlier o;
    uint32_t n_ej = 9;
    /* 99 requests is below the volume: only 4 hosts qualify, fewer than 5 */
    px_outlier_init(&o, &c, 5);
    traffic(&o, 0, 99, 50);
    for (uint32_t h = 1; h < 5; h++) traffic(&o, h, 100, 0);
    px_outlier_sweep(&o, S(10), 0, NULL, NULL, &n_ej);
    CU_ASSERT_EQUAL(n_ej, 0);
    px_outlier_free(&o);
    /* {50, 50, 100 x 4}: mean 83.3, stdev 23.6, threshold 38.6: nobody is an outlier */
    px_outlier_init(&o, &c, 6);
    traffic(&o, 0, 100, 50);
    traffic(&o, 1, 100, 50);
    for (uint32_t h = 2; h < 6; h++) traffic(&o, h, 100, 0);
    px_outlier_sweep(&o, S(10), 0, NULL, NULL, &n_ej);
    CU_ASSERT_EQUAL(n_ej, 0);
    px_outlier_free(&o);
    /* enforcing_success_rate 0 (Istio): detected only */
    c.enforcing_success_rate = 0;
    px_outlier_init(&o, &c, 5);
    traffic(&o, 0, 100, 50);
    for (uint32_t h = 1; h < 5; h++) traffic(&o, h, 100, 0);
    px_outlier_sweep(&o, S(10), 0, NULL, NULL, &n_ej);
    CU_ASSERT_EQUAL(n_ej, 0);
    px_outlier_free(&o);
}

static void test_outlier_failure_percentage_threshold(void)
{
    struct px_outlier_cfg c = cfg_default();
    c.max_ejection_percent = 100;
    c.consecutive_5xx = 0;
    c.enforcing_success_rate = 0;
    c.enforcing_failure_percentage = 100;
    struct px_outlier o;
    px_outlier_init(&o, &c, 5);
    traffic(&o, 1, 50, 43); /* 86% failed >= 85% */
    traffic(&o, 3, 50, 42); /* 84% */
    for (uint32_t h = 0; h < 5; h += 2) traffic(&o, h, 50, 0);
    traffic(&o, 4, 49, 49); /* below the request volume of 50 */
    CU_ASSERT_EQUAL(o.hosts[4].interval_total, 49 + 50);
    uint32_t ej[5], n_ej = 0;
    px_outlier_sweep(&o, S(10), 0, NULL, ej, &n_ej);
    CU_ASSERT_EQUAL(n_ej, 1);
    CU_ASSERT_EQUAL(ej[0], 1);
    px_outlier_free(&o);
}

/* ---- Kong's mode ---- */

#define FOREVER (INT64_C(1) << 60)

/* Kong's passive checks with its default status lists and the given thresholds. */
static struct px_outlier_cfg cfg_kong(uint32_t http, uint32_t tcp, uint32_t timeouts,
                                      uint32_t successes)
{
    static const int healthy[] = {200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                  300, 301, 302, 303, 304, 305, 306, 307, 308};
    struct px_outlier_cfg c;
    memset(&c, 0, sizeof c);
    c.interval_ns = S(10);
    c.base_ejection_ns = c.max_ejection_ns = FOREVER;
    c.max_ejection_percent = 100;
    c.kong.on = 1;
    for (size_t i = 0; i < sizeof healthy / sizeof *healthy; i++)
        px_status_set_add(c.kong.healthy_statuses, healthy[i]);
    px_status_set_add(c.kong.unhealthy_statuses, 429);
    px_status_set_add(c.kong.unhealthy_statuses, 500);
    px_status_set_add(c.kong.unhealthy_statuses, 503);
    c.kong.http_failures = http;
    c.kong.tcp_failures = tcp;
    c.kong.timeouts = timeouts;
    c.kong.successes = successes;
    return c;
}

static int local(struct px_outlier *o, uint32_t h, enum px_origin origin)
{
    return px_outlier_record(o, h, origin, 0, 0, 0);
}

static void test_outlier_status_sets(void)
{
    uint8_t set[PX_STATUS_SET_BYTES] = {0};
    px_status_set_add(set, 100);
    px_status_set_add(set, 999);
    px_status_set_add(set, 1000); /* out of range: ignored */
    px_status_set_add(set, -1);
    CU_ASSERT_TRUE(px_status_set_has(set, 100));
    CU_ASSERT_TRUE(px_status_set_has(set, 999));
    CU_ASSERT_FALSE(px_status_set_has(set, 101));
    CU_ASSERT_FALSE(px_status_set_has(set, 1000));
    CU_ASSERT_FALSE(px_status_set_has(set, -1));
}

/* Only statuses in unhealthy.http_statuses count; a 502 (not listed) or a 404 counts nothing. */
static void test_outlier_kong_counts_listed_statuses_only(void)
{
    struct px_outlier_cfg c = cfg_kong(3, 0, 0, 0);
    struct px_outlier o;
    px_outlier_init(&o, &c, 2);
    CU_ASSERT_EQUAL(answer(&o, 0, 502, 10, 0), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 404, 10, 0), 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_http, 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_health, PX_KONG_HEALTHY);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 1, 0), 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_health, PX_KONG_MOSTLY_HEALTHY); /* still takes traffic */
    CU_ASSERT_FALSE(px_outlier_ejected(&o, 0));
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 1, 0), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 429, 1, 0), 1); /* the third listed status */
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 0));
    CU_ASSERT_EQUAL(o.hosts[0].kong_health, PX_KONG_UNHEALTHY);
    CU_ASSERT_EQUAL(o.n_ejected, 1);
    CU_ASSERT_EQUAL(o.hosts[0].ejection_ns, FOREVER);
    CU_ASSERT_FALSE(px_outlier_ejected(&o, 1));
    px_outlier_free(&o);
    /* a status in both lists is a success (report_http_status looks at healthy first) */
    px_status_set_add(c.kong.unhealthy_statuses, 200);
    px_outlier_init(&o, &c, 1);
    CU_ASSERT_EQUAL(answer(&o, 0, 200, 10, 0), 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_http, 0);
    px_outlier_free(&o);
}

/*
 * healthy.successes 0 (Kong's default): a success is not counted, so it
 * resets nothing and failures add up; with successes 1 a success clears
 * the failure counters, so only consecutive failures eject.
 */
static void test_outlier_kong_failures_add_up_unless_successes_count(void)
{
    struct px_outlier_cfg c = cfg_kong(3, 0, 0, 0);
    struct px_outlier o;
    px_outlier_init(&o, &c, 1);
    int ej = 0;
    for (int i = 0; i < 3; i++) {
        ej += answer(&o, 0, 503, 1, 0);
        ej += answer(&o, 0, 200, 100, 0);
    }
    CU_ASSERT_EQUAL(ej, 1);
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 0));
    px_outlier_free(&o);
    c = cfg_kong(3, 0, 0, 1);
    px_outlier_init(&o, &c, 1);
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(answer(&o, 0, 503, 2, 0), 0);
        CU_ASSERT_EQUAL(answer(&o, 0, 200, 1, 0), 0);
        CU_ASSERT_EQUAL(o.hosts[0].kong_http, 0);
    }
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 3, 0), 1);
    px_outlier_free(&o);
}

/*
 * TCP failures (connect failures, resets), timeouts (and 504 answers) and
 * HTTP failures have counters and thresholds of their own: a failure of
 * one kind resets no other; a threshold of 0 switches its counter off.
 */
static void test_outlier_kong_tcp_failures_and_timeouts_counted_apart(void)
{
    struct px_outlier_cfg c = cfg_kong(3, 2, 3, 1);
    struct px_outlier o;
    px_outlier_init(&o, &c, 1);
    CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_CONNECT_FAILED), 0);
    CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_TIMEOUT), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 504, 1, 0), 0); /* a 504 is a timeout */
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 2, 0), 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_tcp, 1);
    CU_ASSERT_EQUAL(o.hosts[0].kong_timeouts, 2);
    CU_ASSERT_EQUAL(o.hosts[0].kong_http, 2);
    CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_RESET), 1); /* the second TCP failure */
    px_outlier_free(&o);
    px_outlier_init(&o, &c, 1);
    CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_TIMEOUT), 0);
    CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_TIMEOUT), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 504, 1, 0), 1);
    px_outlier_free(&o);
    /* thresholds 0: nothing of that kind is counted, however many */
    c = cfg_kong(0, 0, 0, 0);
    px_outlier_init(&o, &c, 1);
    for (int i = 0; i < 1000; i++) {
        CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_CONNECT_FAILED), 0);
        CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_TIMEOUT), 0);
        CU_ASSERT_EQUAL(answer(&o, 0, 503, 1, 0), 0);
    }
    CU_ASSERT_EQUAL(o.hosts[0].kong_tcp + o.hosts[0].kong_timeouts + o.hosts[0].kong_http, 0);
    CU_ASSERT_FALSE(px_outlier_ejected(&o, 0));
    px_outlier_free(&o);
}

/* Kong ejects whatever fails (every host may go), and no sweep brings one back. */
static void test_outlier_kong_ejection_is_for_good(void)
{
    struct px_outlier_cfg c = cfg_kong(0, 1, 0, 0);
    struct px_outlier o;
    px_outlier_init(&o, &c, 3);
    for (uint32_t h = 0; h < 3; h++) CU_ASSERT_EQUAL(local(&o, h, PX_ORIGIN_CONNECT_FAILED), 1);
    CU_ASSERT_EQUAL(o.n_ejected, 3);
    CU_ASSERT_EQUAL(sweep_until_back(&o, 0, 0, S(24 * 3600)), -1);
    CU_ASSERT_EQUAL(o.n_ejected, 3);
    /* failures while out count for nothing; successes neither, with successes 0 */
    CU_ASSERT_EQUAL(local(&o, 0, PX_ORIGIN_CONNECT_FAILED), 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 200, 100, 0), 0);
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 0));
    px_outlier_free(&o);
}

/*
 * With healthy.successes above 0, answers of requests that were already on
 * their way when the host was ejected count: the first makes it
 * mostly_unhealthy, the successes-th brings it back (record returns -1);
 * a failure in between starts the count again.
 */
static void test_outlier_kong_successes_in_flight_bring_a_host_back(void)
{
    struct px_outlier_cfg c = cfg_kong(2, 0, 0, 2);
    struct px_outlier o;
    px_outlier_init(&o, &c, 2);
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 2, 0), 1);
    CU_ASSERT_EQUAL(answer(&o, 0, 200, 1, 0), 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_health, PX_KONG_MOSTLY_UNHEALTHY);
    CU_ASSERT_TRUE(px_outlier_ejected(&o, 0)); /* still out */
    CU_ASSERT_EQUAL(answer(&o, 0, 500, 1, 0), 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_successes, 0);
    CU_ASSERT_EQUAL(answer(&o, 0, 200, 1, 0), 0);
    CU_ASSERT_EQUAL(px_outlier_record(&o, 0, PX_ORIGIN_RESPONSE, 201, S(5), 0), -1);
    CU_ASSERT_FALSE(px_outlier_ejected(&o, 0));
    CU_ASSERT_EQUAL(o.n_ejected, 0);
    CU_ASSERT_EQUAL(o.hosts[0].kong_health, PX_KONG_HEALTHY);
    CU_ASSERT_EQUAL(o.hosts[0].last_unejected_ns, S(5));
    /* and it can be ejected again */
    CU_ASSERT_EQUAL(answer(&o, 0, 503, 2, S(6)), 1);
    CU_ASSERT_EQUAL(o.hosts[0].ejections, 2);
    px_outlier_free(&o);
}

void suite_outlier(void)
{
    TEST_SUITE("proxies/outlier");
    TEST_ADD(test_outlier_envoy_defaults);
    TEST_ADD(test_outlier_ejects_on_exactly_the_fifth_consecutive_5xx);
    TEST_ADD(test_outlier_returns_at_first_sweep_after_ejection_time);
    TEST_ADD(test_outlier_counters_restart_after_return);
    TEST_ADD(test_outlier_second_ejection_soon_after_return_lasts_twice_as_long);
    TEST_ADD(test_outlier_multiplier_shrinks_one_per_healthy_sweep);
    TEST_ADD(test_outlier_ejection_time_is_capped_at_max);
    TEST_ADD(test_outlier_max_ejection_percent_current_rule);
    TEST_ADD(test_outlier_max_ejection_percent_legacy_rule);
    TEST_ADD(test_outlier_gateway_failures_counted_separately);
    TEST_ADD(test_outlier_local_origin_maps_to_503_and_504_without_split);
    TEST_ADD(test_outlier_split_counts_local_origin_failures_apart);
    TEST_ADD(test_outlier_enforcing_roll_uses_random);
    TEST_ADD(test_outlier_jitter_adds_random_ms);
    TEST_ADD(test_outlier_success_rate_ejects_below_mean_minus_stdevs);
    TEST_ADD(test_outlier_success_rate_needs_volume_hosts_and_spread);
    TEST_ADD(test_outlier_failure_percentage_threshold);
    TEST_ADD(test_outlier_status_sets);
    TEST_ADD(test_outlier_kong_counts_listed_statuses_only);
    TEST_ADD(test_outlier_kong_failures_add_up_unless_successes_count);
    TEST_ADD(test_outlier_kong_tcp_failures_and_timeouts_counted_apart);
    TEST_ADD(test_outlier_kong_ejection_is_for_good);
    TEST_ADD(test_outlier_kong_successes_in_flight_bring_a_host_back);
}
