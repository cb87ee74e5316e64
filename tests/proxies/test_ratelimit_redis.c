/*
 * test_ratelimit_redis.c - proxies/ratelimit.c with policy redis: Kong's
 * counter keys, and gateways sharing a fake counter store (INCR with
 * EXPIRE on creation, in fake time) that let exactly the limit through
 * together, window after window; refused requests counted by the store
 * (Kong's INCR-on-read), the headers from the store's counts, and the
 * store failing with fault_tolerant true and false.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "proxies/ratelimit.h"
#include "tests/testutil.h"

void suite_ratelimit_redis(void);

#define S INT64_C(1000000000)

/* ---- a fake Redis: INCR + EXPIRE-when-new, the count before; expiry in fake time */

struct fake_entry {
    char key[256];
    int64_t count, expire_ns;
};

struct fake_store {
    struct fake_entry e[64];
    int n;
    int64_t calls;
};

static int64_t fake_incr(struct fake_store *st, const char *key, int64_t expire_s, int64_t now)
{
    struct fake_entry *e = NULL;
    for (int i = 0; i < st->n && !e; i++)
        if (!strcmp(st->e[i].key, key)) e = &st->e[i];
    if (!e) {
        CU_ASSERT_FATAL(st->n < 64);
        e = &st->e[st->n++];
        snprintf(e->key, sizeof e->key, "%s", key);
        e->expire_ns = 0;
    }
    if (e->expire_ns <= now) {
        e->count = 0;
        e->expire_ns = now + expire_s * S;
    }
    return e->count++;
}

/* A limiter of policy redis with a second and a minute limit (0: none). */
static void rl_make(struct px_rl *rl, int64_t second, int64_t minute, int fault_tolerant)
{
    struct px_rl_cfg c;
    px_rl_cfg_default(&c);
    c.limit[PX_RL_SECOND] = second;
    c.limit[PX_RL_MINUTE] = minute;
    c.policy = PX_RL_REDIS;
    c.fault_tolerant = fault_tolerant;
    c.redis.host = fl_strdup("redis");
    c.scope = fl_strdup("api:00000000-0000-0000-0000-000000000000");
    px_rl_init(rl, &c);
}

/* One request through the store, as proxy_rl_store.c does it: keys, INCR each, decide. */
static int ask(struct px_rl *rl, struct fake_store *st, const char *id, int64_t now,
               struct px_rl_verdict *v)
{
    char *keys[PX_RL_PERIODS];
    int periods[PX_RL_PERIODS];
    int64_t expire[PX_RL_PERIODS], usage[PX_RL_PERIODS] = {0};
    size_t n = px_rl_keys(rl, id, now, keys, periods, expire);
    for (size_t i = 0; i < n; i++) {
        usage[periods[i]] = fake_incr(st, keys[i], expire[i], now);
        free(keys[i]);
    }
    st->calls++;
    return px_rl_decide(rl, usage, now, v);
}

static void test_ratelimit_redis_keys_are_kongs(void)
{
    struct px_rl rl;
    rl_make(&rl, 5, 100, 1);
    char *keys[PX_RL_PERIODS];
    int periods[PX_RL_PERIODS];
    int64_t expire[PX_RL_PERIODS];
    /* 2026-03-01T09:00:07.5Z */
    int64_t now = INT64_C(1772355607) * S + S / 2;
    size_t n = px_rl_keys(&rl, "10.0.0.7", now, keys, periods, expire);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(
        keys[0],
        "ratelimit:api:00000000-0000-0000-0000-000000000000:10.0.0.7:1772355607000:second");
    CU_ASSERT_STRING_EQUAL(
        keys[1],
        "ratelimit:api:00000000-0000-0000-0000-000000000000:10.0.0.7:1772355600000:minute");
    CU_ASSERT_EQUAL(periods[0], PX_RL_SECOND);
    CU_ASSERT_EQUAL(periods[1], PX_RL_MINUTE);
    CU_ASSERT_EQUAL(expire[0], 1); /* Kong's expiration.lua */
    CU_ASSERT_EQUAL(expire[1], 60);
    for (size_t i = 0; i < n; i++) free(keys[i]);
    px_rl_free(&rl);
    /* unscoped: both ids are Kong's EMPTY_UUID */
    struct px_rl_cfg c;
    px_rl_cfg_default(&c);
    c.limit[PX_RL_HOUR] = 1;
    c.policy = PX_RL_REDIS;
    px_rl_init(&rl, &c);
    n = px_rl_keys(&rl, "x", 7200 * S, keys, periods, expire);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(keys[0], "ratelimit:00000000-0000-0000-0000-000000000000:"
                                    "00000000-0000-0000-0000-000000000000:x:7200000:hour");
    CU_ASSERT_EQUAL(expire[0], 3600);
    free(keys[0]);
    px_rl_free(&rl);
}

/* Two gateways, one store: together they let exactly the limit through, each window. */
static void test_ratelimit_redis_two_gateways_share_the_limit(void)
{
    struct px_rl a, b;
    struct fake_store st = {0};
    rl_make(&a, 3, 0, 1);
    rl_make(&b, 3, 0, 1);
    struct px_rl_verdict v;
    for (int sec = 0; sec < 4; sec++) {
        int ok = 0;
        for (int i = 0; i < 10; i++) /* 10 requests a second, alternating */
            ok += ask(i % 2 ? &b : &a, &st, "alice", (100 + sec) * S + i * (S / 10), &v);
        CU_ASSERT_EQUAL(ok, 3);
    }
    CU_ASSERT_EQUAL(a.allowed + b.allowed, 12);
    CU_ASSERT_EQUAL(a.refused + b.refused, 28);
    CU_ASSERT_EQUAL(st.calls, 40);
    /* another identifier has its own counter */
    CU_ASSERT_TRUE(ask(&a, &st, "bob", 103 * S + 9 * (S / 10), &v));
    px_rl_free(&a);
    px_rl_free(&b);
}

/* Kong's INCR-on-read counts the refused requests too; the headers come from the counts. */
static void test_ratelimit_redis_refused_requests_count_in_the_store(void)
{
    struct px_rl rl;
    struct fake_store st = {0};
    rl_make(&rl, 0, 4, 1);
    struct px_rl_verdict v;
    int64_t t0 = 600 * S;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_TRUE(ask(&rl, &st, "c", t0 + i * S, &v));
        CU_ASSERT_EQUAL(v.remaining[PX_RL_MINUTE], 3 - i);
        CU_ASSERT_EQUAL(v.limit[PX_RL_MINUTE], 4);
    }
    CU_ASSERT_FALSE(ask(&rl, &st, "c", t0 + 10 * S, &v));
    CU_ASSERT_EQUAL(v.remaining[PX_RL_MINUTE], 0);
    CU_ASSERT_EQUAL(v.reset_s, 50); /* 60 - 10 s into the minute */
    CU_ASSERT_FALSE(ask(&rl, &st, "c", t0 + 11 * S, &v));
    CU_ASSERT_EQUAL(st.e[0].count, 6); /* 4 allowed + 2 refused */
    /* the next minute's key starts from 0 */
    CU_ASSERT_TRUE(ask(&rl, &st, "c", t0 + 60 * S, &v));
    CU_ASSERT_EQUAL(v.remaining[PX_RL_MINUTE], 3);
    px_rl_free(&rl);
}

/* A store that restarts empty (or whose keys expired) counts from 0 again. */
static void test_ratelimit_redis_expiry_and_empty_store(void)
{
    struct px_rl rl;
    struct fake_store st = {0};
    rl_make(&rl, 2, 0, 1);
    struct px_rl_verdict v;
    CU_ASSERT_TRUE(ask(&rl, &st, "d", 50 * S, &v));
    CU_ASSERT_TRUE(ask(&rl, &st, "d", 50 * S + 1, &v));
    CU_ASSERT_FALSE(ask(&rl, &st, "d", 50 * S + 2, &v));
    memset(&st, 0, sizeof st); /* Redis killed and back, without persistence */
    CU_ASSERT_TRUE(ask(&rl, &st, "d", 50 * S + 3, &v));
    px_rl_free(&rl);
}

/* The store failed: fault_tolerant lets the request through without headers, or refuses it. */
static void test_ratelimit_redis_store_failure(void)
{
    struct px_rl tolerant, strict;
    rl_make(&tolerant, 1, 0, 1);
    rl_make(&strict, 1, 0, 0);
    struct px_rl_verdict v;
    for (int i = 0; i < 3; i++) CU_ASSERT_TRUE(px_rl_store_failed(&tolerant, &v));
    CU_ASSERT_EQUAL(v.stop, -1);
    struct px_msg m;
    px_msg_init(&m);
    m.status = 200;
    px_rl_headers(&tolerant, &v, &m);
    CU_ASSERT_EQUAL(m.n_headers, 0); /* Kong: no usage, no headers */
    px_msg_clear(&m);
    CU_ASSERT_FALSE(px_rl_store_failed(&strict, &v));
    CU_ASSERT_FALSE(px_rl_store_failed(&strict, &v));
    CU_ASSERT_EQUAL(tolerant.unchecked, 3);
    CU_ASSERT_EQUAL(tolerant.failed, 0);
    CU_ASSERT_EQUAL(strict.unchecked, 0);
    CU_ASSERT_EQUAL(strict.failed, 2);
    CU_ASSERT_EQUAL(strict.allowed + strict.refused, 0);
    px_rl_free(&tolerant);
    px_rl_free(&strict);
}

/* A copy of a configuration owns its strings. */
static void test_ratelimit_redis_cfg_copy(void)
{
    struct px_rl_cfg c, d;
    px_rl_cfg_default(&c);
    c.policy = PX_RL_REDIS;
    c.redis.host = fl_strdup("redis");
    c.redis.password = fl_strdup("pw");
    c.scope = fl_strdup("r:s");
    px_rl_cfg_copy(&d, &c);
    CU_ASSERT_PTR_NOT_EQUAL(d.redis.host, c.redis.host);
    CU_ASSERT_STRING_EQUAL(d.redis.host, "redis");
    CU_ASSERT_STRING_EQUAL(d.redis.password, "pw");
    CU_ASSERT_STRING_EQUAL(d.scope, "r:s");
    CU_ASSERT_EQUAL(d.redis.port, 6379);
    CU_ASSERT_EQUAL(d.redis.timeout_ms, 2000);
    CU_ASSERT_EQUAL(d.fault_tolerant, 1);
    px_rl_cfg_free(&c);
    CU_ASSERT_STRING_EQUAL(d.redis.host, "redis");
    px_rl_cfg_free(&d);
}

void suite_ratelimit_redis(void)
{
    TEST_SUITE("proxies/ratelimit_redis");
    TEST_ADD(test_ratelimit_redis_keys_are_kongs);
    TEST_ADD(test_ratelimit_redis_two_gateways_share_the_limit);
    TEST_ADD(test_ratelimit_redis_refused_requests_count_in_the_store);
    TEST_ADD(test_ratelimit_redis_expiry_and_empty_store);
    TEST_ADD(test_ratelimit_redis_store_failure);
    TEST_ADD(test_ratelimit_redis_cfg_copy);
}
