/*
 * test_cache.c - caches and the thundering herd (sim/cache.c,
 * sim/load_cache.c, sim/fault_herd.c, reports/cache.c) in whole runs.
 *
 * Small scenarios with constant arrivals and service times make the
 * counters exact: hits + misses = requests, fills + coalesced waits =
 * misses, one fill per key when coalescing. The bundled trio
 * (scenarios/herd*.yaml) is checked on the fills the cache sends to its
 * miss service per 100 ms: the runs are deterministic (fixed seeds), so
 * each bound below is checked against one fixed outcome, and the margins
 * say how far that outcome is from the bound (the values were 12.4x for
 * herd's peak over its mean, peaks of 205, 107 and 52 fills in 100 ms for
 * herd, herd-coalesce and herd-jitter).
 */
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "sim/explain.h"
#include "sim/scenario.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_cache(void);

#define TICKS_PER_S 10 /* 100 ms ticks */

static uint32_t peak_tick(const struct rpt_cache *c, size_t *at)
{
    uint32_t peak = 0;
    *at = 0;
    for (size_t t = 0; t < c->n_ticks; t++)
        if (c->ticks[t] > peak) {
            peak = c->ticks[t];
            *at = t;
        }
    return peak;
}

static uint64_t ticks_sum(const struct rpt_cache *c, size_t from, size_t to)
{
    uint64_t n = 0;
    for (size_t t = from; t < to && t < c->n_ticks; t++) n += c->ticks[t];
    return n;
}

static const struct rpt_event *event_of(const struct rpt_run *r, const char *what)
{
    for (size_t k = 0; k < r->n_timeline; k++)
        if (!strcmp(r->timeline[k].what, what)) return &r->timeline[k];
    return NULL;
}

/* The counters' identities, true of every run. */
static void check_identities(const struct rpt_run *r, int coalesce)
{
    const struct rpt_cache *c = &r->caches[0];
    CU_ASSERT_EQUAL(c->hits + c->misses, r->services[0].st.count);
    CU_ASSERT_EQUAL(c->fills + c->coalesced, c->misses);
    CU_ASSERT_EQUAL(c->fills, r->services[1].st.count); /* every fill reaches the miss service */
    CU_ASSERT_EQUAL(c->fills, ticks_sum(c, 0, c->n_ticks));
    if (coalesce) CU_ASSERT_EQUAL(c->overlapping, 0);
    if (!coalesce) CU_ASSERT_EQUAL(c->coalesced, 0);
}

/* Synchronized expiry without coalescing: the fills' peak is > 5x their mean, at 20 s. */
static void test_cache_herd_peaks_above_5x_the_mean_at_the_ttl(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file("scenarios/herd.yaml", NULL, 0, &r));
    CU_ASSERT_FATAL(r.n_caches == 1);
    const struct rpt_cache *c = &r.caches[0];
    check_identities(&r, 0);
    size_t at;
    double peak = peak_tick(c, &at);
    double mean = (double)c->fills / (60 * TICKS_PER_S);
    CU_ASSERT(peak > 5 * mean);
    CU_ASSERT(at >= 200 && at < 205);         /* just after 20 s, when every key expires */
    CU_ASSERT_EQUAL(ticks_sum(c, 0, 200), 0); /* warm: nothing to fill before */
    CU_ASSERT(c->overlapping > 0);            /* the duplicate reads of hot keys */
    CU_ASSERT_EQUAL(c->expirations, c->misses);
    int64_t sec;
    CU_ASSERT(rpt_cache_peak_per_s(c, &sec) > 500);
    CU_ASSERT_EQUAL(sec, 20);
    rpt_run_free(&r);
}

/* Coalescing: no overlapping fills; the same misses; the peak is < 0.6x the herd's. */
static void test_cache_coalescing_makes_one_fill_per_key_and_lowers_the_peak(void)
{
    struct rpt_run herd, coal;
    RUN_OR_RETURN(test_run_file("scenarios/herd.yaml", NULL, 0, &herd));
    if (test_run_file("scenarios/herd-coalesce.yaml", NULL, 0, &coal)) {
        rpt_run_free(&herd);
        CU_FAIL("scenario did not run");
        return;
    }
    check_identities(&coal, 1);
    const struct rpt_cache *h = &herd.caches[0], *c = &coal.caches[0];
    CU_ASSERT(c->coalesced > 0);
    CU_ASSERT(c->fills < h->fills);
    size_t at_h, at_c;
    uint32_t ph = peak_tick(h, &at_h), pc = peak_tick(c, &at_c);
    CU_ASSERT(pc * 10 < ph * 6);
    CU_ASSERT(at_c >= 200 && at_c < 205);
    rpt_run_free(&herd);
    rpt_run_free(&coal);
}

/* TTL jitter 20%: the expiries spread over [16 s, 24 s]; the peak is < 1/3 of the herd's. */
static void test_cache_jittered_ttls_spread_the_expiries(void)
{
    struct rpt_run herd, jit;
    RUN_OR_RETURN(test_run_file("scenarios/herd.yaml", NULL, 0, &herd));
    if (test_run_file("scenarios/herd-jitter.yaml", NULL, 0, &jit)) {
        rpt_run_free(&herd);
        CU_FAIL("scenario did not run");
        return;
    }
    check_identities(&jit, 0);
    const struct rpt_cache *h = &herd.caches[0], *j = &jit.caches[0];
    CU_ASSERT_EQUAL(ticks_sum(j, 0, 160), 0); /* no key expires before 20 s - 20% */
    CU_ASSERT(ticks_sum(j, 160, 170) > 0);
    size_t at_h, at_j;
    uint32_t ph = peak_tick(h, &at_h), pj = peak_tick(j, &at_j);
    CU_ASSERT(pj * 3 < ph);
    int64_t sh, sj;
    CU_ASSERT(rpt_cache_peak_per_s(j, &sj) * 2 < rpt_cache_peak_per_s(h, &sh));
    rpt_run_free(&herd);
    rpt_run_free(&jit);
}

/* 10 keys, 100 requests/s, stored at t = 0 for an hour; the miss path takes 10 ms. */
#define SMALL(coalesce, miss_errors, faults)                                                       \
    "faultline: 1\n"                                                                               \
    "duration: 10s\n"                                                                              \
    "services:\n"                                                                                  \
    "  - name: api\n"                                                                              \
    "    workers: 100\n"                                                                           \
    "    cache: {name: c, keys: 10, popularity: uniform, ttl: 1h, hit_time: 1ms, warm: true,\n"    \
    "            coalesce: " coalesce ", miss: {service: db, path: /v}}\n"                         \
    "  - {name: db, workers: 100, service_time: 10ms" miss_errors "}\n"                            \
    "workload:\n"                                                                                  \
    "  - {name: u, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n" faults

#define HERD_AT_5S "faults:\n  - {at: 5s, herd: {service: api, cache: c}}\n"

/* Warm for an hour and no herd: every lookup hits. */
static void test_cache_warm_keys_all_hit(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(SMALL("true", "", ""), NULL, 0, &r));
    check_identities(&r, 1);
    CU_ASSERT_EQUAL(r.caches[0].hits, 1000);
    CU_ASSERT_EQUAL(r.caches[0].fills, 0);
    CU_ASSERT_EQUAL(r.services[0].st.count, 1000);
    rpt_run_free(&r);
}

/* The herd fault at 5 s: each of the 10 keys is read once (coalescing), all after 5 s. */
static void test_cache_herd_fault_expires_every_key_at_its_instant(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(SMALL("true", "", HERD_AT_5S), NULL, 0, &r));
    const struct rpt_cache *c = &r.caches[0];
    check_identities(&r, 1);
    CU_ASSERT_EQUAL(c->fills, 10);
    CU_ASSERT_EQUAL(ticks_sum(c, 0, 50), 0);
    CU_ASSERT_EQUAL(c->expirations, c->misses);
    CU_ASSERT(c->misses >= 10);
    const struct rpt_event *e = event_of(&r, "herd");
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_EQUAL(e->at_ns, INT64_C(5000000000));
    CU_ASSERT_STRING_EQUAL(e->subject, "api cache c");
    CU_ASSERT_STRING_EQUAL(e->detail, "10 keys expired");
    rpt_run_free(&r);
}

/*
 * Without coalescing, a request every 10 ms over 10 keys with a 10 ms
 * fill: every miss is a fill, and some start while their key's fill runs.
 */
static void test_cache_herd_fault_without_coalescing_overlaps_fills(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(SMALL("false", "", HERD_AT_5S), NULL, 0, &r));
    const struct rpt_cache *c = &r.caches[0];
    check_identities(&r, 0);
    CU_ASSERT_EQUAL(c->fills, c->misses);
    CU_ASSERT(c->fills >= 10);
    CU_ASSERT_EQUAL(c->fills - c->overlapping >= 10, 1);
    rpt_run_free(&r);
}

/* A failed fill is not stored: every request misses, and waiters get the fill's 503. */
static void test_cache_failed_fills_are_not_stored(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(SMALL("true", ", errors: {rate: 100%}", HERD_AT_5S), NULL, 0, &r));
    const struct rpt_cache *c = &r.caches[0];
    check_identities(&r, 1);
    CU_ASSERT_EQUAL(c->hits, 500); /* the first 5 s only */
    CU_ASSERT_EQUAL(c->misses, 500);
    CU_ASSERT_EQUAL(r.services[0].st.errors, 500);
    CU_ASSERT_EQUAL(r.services[0].st.outcomes[503], 500);
    rpt_run_free(&r);
}

/* A `slow` fault stretches the lookup: 1 ms x 5 for the requests of [2 s, 3 s). */
static void test_cache_slow_fault_stretches_the_lookup(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(
        SMALL("true", "", "faults:\n  - {at: 2s, for: 1s, slow: {service: api, factor: 5}}\n"),
        NULL, 0, &r));
    CU_ASSERT_EQUAL(r.caches[0].hits, 1000);
    CU_ASSERT_EQUAL(r.services[0].st.hist.max, 5 * INT64_C(1000000));
    CU_ASSERT_EQUAL(r.services[0].st.hist.min, INT64_C(1000000));
    rpt_run_free(&r);
}

/* A cold cache: first lookups miss without being expirations; 10 keys, 10 fills. */
static void test_cache_cold_start_fills_each_key_once(void)
{
    static const char *const cold[] = {"services.0.cache.warm=false"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(SMALL("true", "", ""), cold, 1, &r));
    const struct rpt_cache *c = &r.caches[0];
    check_identities(&r, 1);
    CU_ASSERT_EQUAL(c->fills, 10);
    CU_ASSERT_EQUAL(c->expirations, 0);
    rpt_run_free(&r);
}

/*
 * The gateway's proxy-cache purged at 30 s: the catalog sees a second burst
 * of misses, more than one per path (Kong's proxy-cache does not coalesce).
 */
static void test_cache_herd_purges_the_gateway_proxy_cache(void)
{
    static const char *const early[] = {"faults.0.at=0s"};
    struct rpt_run r, r0;
    RUN_OR_RETURN(test_run_file("scenarios/herd-kong.yaml", NULL, 0, &r));
    const struct rpt_event *e = event_of(&r, "herd");
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_STRING_EQUAL(e->subject, "gateway proxy-cache");
    CU_ASSERT_STRING_EQUAL(e->detail, "10 entries purged");
    CU_ASSERT_EQUAL(r.n_caches, 0); /* the services' caches only */
    /* with the purge at 0 s (an empty cache: a run without the herd) the catalog sees the first
     * burst only */
    if (test_run_file("scenarios/herd-kong.yaml", early, 1, &r0)) {
        rpt_run_free(&r);
        CU_FAIL("scenario did not run");
        return;
    }
    uint64_t burst = r0.services[0].st.count, herd = r.services[0].st.count - burst;
    CU_ASSERT(burst > 10);
    CU_ASSERT(herd > 10); /* 200 requests/s over 10 paths for the catalog's 100 ms: ~20 */
    CU_ASSERT(r.services[0].st.count > burst);
    CU_ASSERT_EQUAL(r.cache_stores, r.services[0].st.count);
    rpt_run_free(&r);
    rpt_run_free(&r0);
}

/* `faultline check` shows the cache with its defaults applied. */
static void test_cache_check_explains_the_cache(void)
{
    static const char *const sets[] = {"services.0.cache.popularity=uniform",
                                       "services.0.cache.ttl_jitter=10%"};
    struct sim_scenario sc;
    char *err = NULL, *text = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sim_scenario_load("scenarios/herd.yaml", sets, 2, NULL, &sc, &err), 0);
    FILE *mem = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(sim_explain(&sc, mem, &err), 0);
    fclose(mem);
    const char *line = "  billing: 2 replicas\n    cache sessions: 10000 keys uniform, ttl 20s +- "
                       "10%, lookup 200us, miss GET inventory /session, no coalescing, warm\n";
    if (!strstr(text, line)) fprintf(stderr, "\n  got:\n%s\n", text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
    free(text);
    sim_scenario_free(&sc);
}

static void test_cache_peak_per_second_sums_aligned_seconds(void)
{
    uint32_t ticks[25] = {0};
    struct rpt_cache c = {.ticks = ticks, .n_ticks = 25};
    ticks[9] = 5;  /* second 0 */
    ticks[10] = 4; /* second 1 */
    ticks[19] = 4;
    ticks[24] = 7; /* second 2, partial */
    int64_t at;
    CU_ASSERT_EQUAL(rpt_cache_peak_per_s(&c, &at), 8);
    CU_ASSERT_EQUAL(at, 1);
    ticks[20] = 2;
    CU_ASSERT_EQUAL(rpt_cache_peak_per_s(&c, &at), 9);
    CU_ASSERT_EQUAL(at, 2);
}

void suite_cache(void)
{
    TEST_SUITE("cache");
    TEST_ADD(test_cache_herd_peaks_above_5x_the_mean_at_the_ttl);
    TEST_ADD(test_cache_coalescing_makes_one_fill_per_key_and_lowers_the_peak);
    TEST_ADD(test_cache_jittered_ttls_spread_the_expiries);
    TEST_ADD(test_cache_warm_keys_all_hit);
    TEST_ADD(test_cache_herd_fault_expires_every_key_at_its_instant);
    TEST_ADD(test_cache_herd_fault_without_coalescing_overlaps_fills);
    TEST_ADD(test_cache_failed_fills_are_not_stored);
    TEST_ADD(test_cache_slow_fault_stretches_the_lookup);
    TEST_ADD(test_cache_cold_start_fills_each_key_once);
    TEST_ADD(test_cache_herd_purges_the_gateway_proxy_cache);
    TEST_ADD(test_cache_check_explains_the_cache);
    TEST_ADD(test_cache_peak_per_second_sums_aligned_seconds);
}
