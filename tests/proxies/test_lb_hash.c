/*
 * test_lb_hash.c - proxies/lb_hash.c, lb_ring.c, lb_maglev.c and their use
 * by lb.c: xxHash64 against the reference implementation's values, the
 * request's hash key (header, cookie with and without ttl, source address,
 * query parameter), the ring (equal shares within a stated tolerance,
 * stickiness, a new host taking about 1/N of the keys and only from
 * others), Maglev (exact slot counts: floor or ceil of size/N, Envoy's
 * documented 21846 / 43691 for weights 1 and 2; little disruption), and the
 * balancer rebuilding its table without ejected hosts.
 *
 * Key counts: keys are "user-<i>", hashed like Envoy hashes a header value;
 * the outcome is deterministic, the tolerances say how far from the ideal
 * share consistent hashing may land (see each test).
 */
#include <stdio.h>
#include <string.h>

#include "base/rng.h"
#include "proxies/http.h"
#include "proxies/lb.h"
#include "proxies/lb_hash.h"
#include "tests/testutil.h"

void suite_lb_hash(void);

#define KEYS 100000

static uint64_t key_hash(int i)
{
    char k[32];
    int n = snprintf(k, sizeof k, "user-%d", i);
    return px_xxhash64(k, (size_t)n, 0);
}

static const char *const names[] = {"reviews-0", "reviews-1", "reviews-2", "reviews-3",
                                    "reviews-4", "reviews-5", "reviews-6", "reviews-7"};

static void members(struct px_hash_member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) m[i] = (struct px_hash_member){(uint32_t)i, 1, names[i]};
}

/* Values printed by the reference tool (xxh64sum, xxHash 0.8). */
static void test_lb_hash_xxhash64_matches_the_reference(void)
{
    CU_ASSERT_EQUAL(px_xxhash64("", 0, 0), UINT64_C(0xef46db3751d8e999));
    CU_ASSERT_EQUAL(px_xxhash64("a", 1, 0), UINT64_C(0xd24ec4f1a98c6e5b));
    CU_ASSERT_EQUAL(px_xxhash64("abc", 3, 0), UINT64_C(0x44bc2cf5ad770999));
    CU_ASSERT_EQUAL(px_xxhash64("reviews-v1-0_0", 14, 0), UINT64_C(0x5ab015e5fd77fb8b));
    const char *s39 = "Nobody inspects the spammish repetition"; /* one 32-byte stripe */
    CU_ASSERT_EQUAL(px_xxhash64(s39, 39, 0), UINT64_C(0xfbcea83c8a378bf1));
    const char *s99 = "faultline: a deterministic discrete-event simulator of API gateways and "
                      "meshes, 100+ bytes long....";
    CU_ASSERT_EQUAL(px_xxhash64(s99, 99, 0), UINT64_C(0xc2d949c270fe3633));
    CU_ASSERT_NOT_EQUAL(px_xxhash64("abc", 3, 1), px_xxhash64("abc", 3, 0));
}

static uint64_t fixed_random(void *arg)
{
    (void)arg;
    return UINT64_C(0x0123456789abcdef);
}

static void test_lb_hash_request_keys(void)
{
    struct px_msg m;
    px_msg_init(&m);
    px_msg_add_header(&m, "X-User", "alice");
    px_msg_add_header(&m, "cookie", "a=1; session=\"s-42\"; b=2");
    m.query = "page=3&user=bob&x";
    struct px_hash_policy hp = {.key = PX_HASH_HEADER};
    strcpy(hp.name, "x-user");
    uint64_t h = 0;
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, "pod-1", fixed_random, NULL, &h), 1);
    CU_ASSERT_EQUAL(h, px_xxhash64("alice", 5, 0));
    strcpy(hp.name, "x-absent");
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, "pod-1", fixed_random, NULL, &h), 0);
    hp.key = PX_HASH_COOKIE;
    strcpy(hp.name, "session"); /* quotes are not part of the value */
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 1);
    CU_ASSERT_EQUAL(h, px_xxhash64("s-42", 4, 0));
    strcpy(hp.name, "sess"); /* a prefix of a name is not the name */
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 0);
    hp.has_ttl = 1; /* missing, with a ttl: generated from the random stream */
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 1);
    CU_ASSERT_EQUAL(h, px_xxhash64("0123456789abcdef", 16, 0));
    hp.key = PX_HASH_SOURCE_IP;
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, "pod-1", fixed_random, NULL, &h), 1);
    CU_ASSERT_EQUAL(h, px_xxhash64("pod-1", 5, 0));
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 0);
    hp.key = PX_HASH_QUERY;
    strcpy(hp.name, "user");
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 1);
    CU_ASSERT_EQUAL(h, px_xxhash64("bob", 3, 0));
    strcpy(hp.name, "x"); /* present without a value: hashed as "" */
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 1);
    CU_ASSERT_EQUAL(h, px_xxhash64("", 0, 0));
    strcpy(hp.name, "us");
    CU_ASSERT_EQUAL(px_hash_request(&hp, &m, NULL, fixed_random, NULL, &h), 0);
    px_msg_clear(&m);
}

/*
 * 4 hosts, minimum ring 1024: 256 entries each, exactly. Key shares: a
 * host's share is the sum of its 256 arcs, whose relative spread is about
 * 1/sqrt(256) = 6%; each host must be within 20% of 1/4 (over 3 sigma).
 */
static void test_lb_hash_ring_shares_and_stickiness(void)
{
    struct px_hash_member m[4];
    members(m, 4);
    struct px_ring r = {0};
    px_ring_build(&r, m, 4, 1024, PX_RING_SIZE_MAX_DFLT);
    CU_ASSERT_EQUAL(r.n, 1024);
    int entries[4] = {0}, keys[4] = {0};
    for (size_t i = 0; i < r.n; i++) entries[r.e[i].host]++;
    for (size_t i = 1; i < r.n; i++) CU_ASSERT(r.e[i - 1].hash <= r.e[i].hash);
    for (int i = 0; i < KEYS; i++) keys[px_ring_find(&r, key_hash(i), 0)]++;
    for (int h = 0; h < 4; h++) {
        CU_ASSERT_EQUAL(entries[h], 256);
        ASSERT_ABS(keys[h] / (double)KEYS, 0.25, 0.05);
    }
    /* the same key always lands on the same host; past the last entry wraps to the first */
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL(px_ring_find(&r, key_hash(i), 0), px_ring_find(&r, key_hash(i), 0));
    CU_ASSERT_EQUAL(px_ring_find(&r, UINT64_MAX, 0), r.e[0].host);
    CU_ASSERT_EQUAL(px_ring_find(&r, r.e[5].hash, 0), r.e[5].host);
    CU_ASSERT_EQUAL(px_ring_find(&r, r.e[5].hash + 1, 0), r.e[6].host);
    CU_ASSERT_EQUAL(px_ring_find(&r, r.e[5].hash, 2), r.e[7].host); /* a retry steps on */
    px_ring_free(&r);
}

/* Unequal weights: each host's entries follow its weight (1:3 over a 1024 minimum). */
static void test_lb_hash_ring_weights(void)
{
    struct px_hash_member m[2];
    members(m, 2);
    m[1].weight = 3;
    struct px_ring r = {0};
    px_ring_build(&r, m, 2, 1024, PX_RING_SIZE_MAX_DFLT);
    /* scale = ceil(0.25 * 1024) / 0.25 = 1024: 256 and 768 */
    int entries[2] = {0};
    for (size_t i = 0; i < r.n; i++) entries[r.e[i].host]++;
    CU_ASSERT_EQUAL(entries[0], 256);
    CU_ASSERT_EQUAL(entries[1], 768);
    /* weights 1 and 1000 want ceil(1024 / 1001) x 1001 = 2002 entries; a maximum of 1500
     * caps the scale: the light host gets 2 (running sums: 0 and 1 < 1.4985), the other 1499:
     * in doubles 1500 x 1/1001 + 1500 x 1000/1001 ends a hair above 1500, and Envoy's loop
     * (current < target) makes one more entry, as this one does */
    m[1].weight = 1000;
    px_ring_build(&r, m, 2, 1024, 1500);
    CU_ASSERT_EQUAL(r.n, 1501);
    entries[0] = 0;
    for (size_t i = 0; i < r.n; i++) entries[0] += r.e[i].host == 0;
    CU_ASSERT_EQUAL(entries[0], 2);
    px_ring_free(&r);
}

/*
 * A fifth host. With 200 entries per host before and after (rings of 800
 * and 1000), old hosts keep their points: every key that moves goes to the
 * new host, and about 1/5 of them move (within 0.05, over 3 sigma of the
 * arc spread). With the default minimum 1024 the old hosts go from 256 to
 * 205 entries each, so some keys move between old hosts too; still well
 * under 2/5.
 */
static void test_lb_hash_ring_new_host_takes_about_one_nth(void)
{
    struct px_hash_member m[5];
    members(m, 5);
    struct px_ring a = {0}, b = {0};
    px_ring_build(&a, m, 4, 800, PX_RING_SIZE_MAX_DFLT);
    px_ring_build(&b, m, 5, 1000, PX_RING_SIZE_MAX_DFLT);
    int moved = 0, elsewhere = 0;
    for (int i = 0; i < KEYS; i++) {
        uint32_t x = px_ring_find(&a, key_hash(i), 0), y = px_ring_find(&b, key_hash(i), 0);
        moved += x != y;
        elsewhere += x != y && y != 4;
    }
    CU_ASSERT_EQUAL(elsewhere, 0);
    ASSERT_ABS(moved / (double)KEYS, 0.2, 0.05);
    px_ring_build(&a, m, 4, 1024, PX_RING_SIZE_MAX_DFLT);
    px_ring_build(&b, m, 5, 1024, PX_RING_SIZE_MAX_DFLT);
    moved = 0;
    for (int i = 0; i < KEYS; i++)
        moved += px_ring_find(&a, key_hash(i), 0) != px_ring_find(&b, key_hash(i), 0);
    CU_ASSERT(moved > KEYS / 10 && moved < 2 * KEYS / 5);
    px_ring_free(&a);
    px_ring_free(&b);
}

/* Maglev with equal weights: every host holds floor or ceil of size / N slots. */
static void test_lb_hash_maglev_table_is_balanced(void)
{
    struct px_hash_member m[7];
    members(m, 7);
    struct px_maglev t = {0};
    px_maglev_build(&t, m, 7, PX_MAGLEV_SIZE_DFLT);
    uint32_t slots[7] = {0};
    for (uint64_t s = 0; s < t.size; s++) {
        CU_ASSERT_FATAL(t.table[s] < 7);
        slots[t.table[s]]++;
    }
    for (int h = 0; h < 7; h++)
        CU_ASSERT(slots[h] == 65537 / 7 || slots[h] == 65537 / 7 + 1); /* 9362 or 9363 */
    int keys[7] = {0};
    for (int i = 0; i < KEYS; i++) keys[px_maglev_find(&t, key_hash(i), 0)]++;
    for (int h = 0; h < 7; h++) /* binomial, p = 1/7: 5 sigma is 0.0055 */
        ASSERT_ABS(keys[h] / (double)KEYS, 1.0 / 7, 0.0055);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL(px_maglev_find(&t, key_hash(i), 0), t.table[key_hash(i) % t.size]);
    /* a retry flips the hash (h ^ (~0 - attempt + 1)) */
    uint64_t h = key_hash(1);
    CU_ASSERT_EQUAL(px_maglev_find(&t, h, 1), t.table[(h ^ UINT64_MAX) % t.size]);
    CU_ASSERT_EQUAL(px_maglev_find(&t, h, 2), t.table[(h ^ (UINT64_MAX - 1)) % t.size]);
    px_maglev_free(&t);
}

/* Envoy's docs (load_balancers.rst): weights 1 and 2 in 65537 slots give 21846 and 43691. */
static void test_lb_hash_maglev_weights_match_envoys_example(void)
{
    struct px_hash_member m[2];
    members(m, 2);
    m[1].weight = 2;
    struct px_maglev t = {0};
    px_maglev_build(&t, m, 2, PX_MAGLEV_SIZE_DFLT);
    uint32_t slots[2] = {0};
    for (uint64_t s = 0; s < t.size; s++) slots[t.table[s]]++;
    CU_ASSERT_EQUAL(slots[0], 21846);
    CU_ASSERT_EQUAL(slots[1], 43691);
    px_maglev_free(&t);
}

/*
 * Removing one of 5 hosts: its keys spread over the others, and few keys of
 * the surviving hosts move (the paper's "minimal disruption": here under
 * 3% of them; the exact figure depends on the permutations).
 */
static void test_lb_hash_maglev_removal_disrupts_little(void)
{
    struct px_hash_member m[5];
    members(m, 5);
    struct px_maglev a = {0}, b = {0};
    px_maglev_build(&a, m, 5, PX_MAGLEV_SIZE_DFLT);
    px_maglev_build(&b, m, 4, PX_MAGLEV_SIZE_DFLT); /* reviews-4 gone */
    int survivors = 0, moved = 0;
    for (int i = 0; i < KEYS; i++) {
        uint32_t x = px_maglev_find(&a, key_hash(i), 0), y = px_maglev_find(&b, key_hash(i), 0);
        CU_ASSERT(y < 4);
        if (x == 4) continue;
        survivors++;
        moved += x != y;
    }
    CU_ASSERT(survivors > KEYS * 3 / 4);
    CU_ASSERT(moved < survivors * 3 / 100);
    px_maglev_free(&a);
    px_maglev_free(&b);
}

static uint64_t rng_random(void *arg)
{
    return fl_rng_next(arg);
}

/* lb.c: the table is rebuilt over the healthy hosts; an ejected host gets no key. */
static void test_lb_hash_balancer_skips_ejected_hosts(void)
{
    for (int pol = 0; pol < 2; pol++) {
        struct px_lb_cfg c;
        px_lb_cfg_envoy(&c);
        c.policy = pol ? PX_LB_MAGLEV : PX_LB_RING_HASH;
        c.panic_threshold = 0;
        struct px_lb lb;
        px_lb_init(&lb, &c, 4);
        struct px_lb_host h[4];
        memset(h, 0, sizeof h);
        for (int i = 0; i < 4; i++)
            h[i] = (struct px_lb_host){.weight = 1, .healthy = 1, .addr = names[i]};
        struct fl_rng r;
        fl_rng_seed(&r, 7);
        int first[200], counts[4] = {0}, stayed = 0, others = 0;
        for (int i = 0; i < 200; i++) {
            uint64_t k = key_hash(i);
            first[i] = px_lb_pick_hash(&lb, h, &k, rng_random, &r, NULL);
        }
        CU_ASSERT_EQUAL(lb.rebuilds, 1);
        h[2].healthy = 0;
        for (int i = 0; i < 200; i++) {
            uint64_t k = key_hash(i);
            int x = px_lb_pick_hash(&lb, h, &k, rng_random, &r, NULL);
            CU_ASSERT(x != 2);
            counts[x]++;
            others += first[i] != 2;
            stayed += first[i] != 2 && x == first[i];
        }
        /* Maglev keeps almost every other key where it was; the ring, whose hosts get more
         * entries each (342 instead of 256), keeps most */
        CU_ASSERT(stayed >= others * (pol ? 95 : 70) / 100);
        CU_ASSERT_EQUAL(lb.rebuilds, 2);
        CU_ASSERT_EQUAL(counts[2], 0);
        /* excluded (tried already): another host when one is left */
        h[2].healthy = 1;
        uint64_t k = key_hash(3);
        int x = px_lb_pick_hash(&lb, h, &k, rng_random, &r, NULL);
        h[x].excluded = 1;
        CU_ASSERT(px_lb_pick_hash(&lb, h, &k, rng_random, &r, NULL) != x);
        px_lb_free(&lb);
    }
}

/* No hash: Envoy hashes a random number, so picks spread over every host. */
static void test_lb_hash_without_key_is_random(void)
{
    struct px_lb_cfg c;
    px_lb_cfg_envoy(&c);
    c.policy = PX_LB_RING_HASH;
    struct px_lb lb;
    px_lb_init(&lb, &c, 4);
    struct px_lb_host h[4];
    for (int i = 0; i < 4; i++)
        h[i] = (struct px_lb_host){.weight = 1, .healthy = 1, .addr = names[i]};
    struct fl_rng r;
    fl_rng_seed(&r, 11);
    int counts[4] = {0};
    for (int i = 0; i < 4000; i++) counts[px_lb_pick(&lb, h, rng_random, &r, NULL)]++;
    for (int i = 0; i < 4; i++) ASSERT_ABS(counts[i] / 4000.0, 0.25, 0.06); /* arcs +- 5 sigma */
    px_lb_free(&lb);
}

void suite_lb_hash(void)
{
    TEST_SUITE("proxies/lb_hash");
    TEST_ADD(test_lb_hash_xxhash64_matches_the_reference);
    TEST_ADD(test_lb_hash_request_keys);
    TEST_ADD(test_lb_hash_ring_shares_and_stickiness);
    TEST_ADD(test_lb_hash_ring_weights);
    TEST_ADD(test_lb_hash_ring_new_host_takes_about_one_nth);
    TEST_ADD(test_lb_hash_maglev_table_is_balanced);
    TEST_ADD(test_lb_hash_maglev_weights_match_envoys_example);
    TEST_ADD(test_lb_hash_maglev_removal_disrupts_little);
    TEST_ADD(test_lb_hash_balancer_skips_ejected_hosts);
    TEST_ADD(test_lb_hash_without_key_is_random);
}
