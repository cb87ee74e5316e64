/*
 * test_impair.c - netem/impair.c and its use by links and TCP: a window
 * adds its delay exactly to the packets sent in [from, until) and to no
 * other; loss 1 makes every packet vanish (a partition), and TCP's SYN
 * retries get through once the window has ended (healing); random loss is
 * binomial; jitter stays within its bounds; windows compose and are
 * removed by id.
 */
#include <math.h>
#include <string.h>

#include "netem/tcp.h"
#include "tests/testutil.h"

void suite_impair(void);

#define MS  INT64_C(1000000)
#define SEC INT64_C(1000000000)

static void link_of(struct net_link *l, int64_t delay_ns, uint64_t seed)
{
    struct net_link_cfg lc;
    struct fl_rng r;
    net_link_cfg_default(&lc);
    lc.delay_ns = delay_ns;
    fl_rng_seed(&r, seed);
    net_link_init(l, &lc, &r);
}

static struct net_impair window(uint64_t id, int64_t from, int64_t until, int64_t delay,
                                double loss)
{
    struct net_impair w;
    memset(&w, 0, sizeof w);
    w.id = id;
    w.from_ns = from;
    w.until_ns = until;
    w.delay_ns = delay;
    w.loss = loss;
    fl_rng_seed(&w.rng, id + 100);
    return w;
}

/* A 100 ms window on a 5 ms link: exactly 105 ms inside [1 s, 2 s), 5 ms outside. */
static void test_impair_delay_is_exact_inside_the_window_only(void)
{
    struct net_link l;
    link_of(&l, 5 * MS, 1);
    struct net_impair w = window(1, SEC, 2 * SEC, 100 * MS, 0);
    CU_ASSERT_EQUAL(net_impairs_add(&l.impair, &w), 0);
    int64_t at;
    CU_ASSERT(net_link_packet(&l, SEC - 1, 100, 0, &at) && at == SEC - 1 + 5 * MS);
    CU_ASSERT(net_link_packet(&l, SEC, 100, 0, &at) && at == SEC + 105 * MS);
    CU_ASSERT(net_link_packet(&l, 2 * SEC - 1, 100, 0, &at) && at == 2 * SEC - 1 + 105 * MS);
    CU_ASSERT(net_link_packet(&l, 2 * SEC, 100, 0, &at) && at == 2 * SEC + 5 * MS);
    /* an ideal link (no delay of its own) gets the window's delay too */
    struct net_link z;
    link_of(&z, 0, 2);
    CU_ASSERT_EQUAL(net_impairs_add(&z.impair, &w), 0);
    CU_ASSERT(net_link_packet(&z, SEC, 100, 0, &at) && at == SEC + 100 * MS);
    /* two windows add; removing one by id leaves the other */
    struct net_impair w2 = window(2, 0, 10 * SEC, 7 * MS, 0);
    CU_ASSERT_EQUAL(net_impairs_add(&l.impair, &w2), 0);
    CU_ASSERT(net_link_packet(&l, 3 * SEC, 100, 0, &at) && at == 3 * SEC + 12 * MS);
    CU_ASSERT(net_link_packet(&l, 3 * SEC / 2, 100, 0, &at) && at == 3 * SEC / 2 + 112 * MS);
    net_impairs_remove(&l.impair, 1);
    CU_ASSERT_EQUAL(l.impair.n, 1);
    CU_ASSERT(net_link_packet(&l, 4 * SEC, 100, 0, &at) && at == 4 * SEC + 12 * MS);
    net_link_free(&l);
    net_link_free(&z);
}

/*
 * A partition (loss 1) over [0, 5 s) on 10 ms links: the SYNs at 0, 1 s
 * and 3 s vanish, the one at 7 s gets through: connected at 7.02 s. A
 * partition that never heals: connect gives up at 127 s.
 */
static void test_impair_partition_heals_for_syn_retries(void)
{
    struct net_tcp_cfg cfg;
    struct net_link c2s, s2c;
    struct net_tcp tcp;
    net_tcp_cfg_default(&cfg);
    link_of(&c2s, 10 * MS, 1);
    link_of(&s2c, 10 * MS, 2);
    struct net_impair w = window(1, 0, 5 * SEC, 0, 1.0);
    net_impairs_add(&c2s.impair, &w);
    net_tcp_init(&tcp, &cfg, &c2s, &s2c);
    int64_t done;
    CU_ASSERT_EQUAL(net_tcp_connect(&tcp, 0, &done), NET_OK);
    CU_ASSERT_EQUAL(done, 7 * SEC + 20 * MS);
    CU_ASSERT_EQUAL(c2s.impair.lost, 3);
    CU_ASSERT_EQUAL(c2s.lost, 0); /* the link's own loss counter is its own */

    /* a one-way cut on the way back loses the SYN-ACKs: the same cost */
    net_link_free(&c2s);
    link_of(&c2s, 10 * MS, 1);
    link_of(&s2c, 10 * MS, 2);
    net_impairs_add(&s2c.impair, &w);
    net_tcp_init(&tcp, &cfg, &c2s, &s2c);
    CU_ASSERT_EQUAL(net_tcp_connect(&tcp, 0, &done), NET_OK);
    CU_ASSERT_EQUAL(done, 7 * SEC + 20 * MS);

    net_link_free(&c2s);
    link_of(&c2s, 10 * MS, 1);
    w.until_ns = INT64_MAX;
    net_impairs_add(&c2s.impair, &w);
    net_tcp_init(&tcp, &cfg, &c2s, &s2c);
    CU_ASSERT_EQUAL(net_tcp_connect(&tcp, 0, &done), NET_ETIMEDOUT);
    CU_ASSERT_EQUAL(done, 127 * SEC);
    net_link_free(&c2s);
    net_link_free(&s2c);
}

/* A segment sent into a partition is retransmitted at RTO, 2 RTO... and arrives after the heal. */
static void test_impair_partition_stalls_then_recovers_a_connection(void)
{
    struct net_tcp_cfg cfg;
    struct net_link c2s, s2c;
    struct net_tcp tcp;
    net_tcp_cfg_default(&cfg);
    link_of(&c2s, 10 * MS, 1);
    link_of(&s2c, 10 * MS, 2);
    net_tcp_init(&tcp, &cfg, &c2s, &s2c);
    int64_t done;
    CU_ASSERT_EQUAL_FATAL(net_tcp_connect(&tcp, 0, &done), NET_OK);
    /* first sample 20 ms: RTO = 20 + max(4 x 10, 200) = 220 ms */
    CU_ASSERT_EQUAL(net_tcp_rto(&tcp), 220 * MS);
    struct net_impair w = window(1, SEC, 2 * SEC, 0, 1.0);
    net_impairs_add(&c2s.impair, &w);
    /* sent at 1 s: lost at 1 s, 1.22, 1.66; the try at 1 + 0.22 + 0.44 + 0.88 = 2.54 s passes */
    CU_ASSERT_EQUAL(net_tcp_send(&tcp, NET_C2S, SEC, 100, &done), NET_OK);
    CU_ASSERT_EQUAL(done, SEC + 1540 * MS + 10 * MS);
    net_link_free(&c2s);
}

/* loss 30% on 100000 packets: binomial, sigma sqrt(1e5 x 0.3 x 0.7) = 144.9; within 4 sigma. */
static void test_impair_loss_is_binomial(void)
{
    struct net_link l;
    link_of(&l, MS, 1);
    struct net_impair w = window(1, 0, INT64_MAX, 0, 0.3);
    net_impairs_add(&l.impair, &w);
    int n = 100000, kept = 0;
    int64_t at;
    for (int i = 0; i < n; i++) kept += net_link_packet(&l, i * MS, 100, 0, &at);
    ASSERT_ABS((double)(n - kept), 0.3 * n, 4 * sqrt(n * 0.3 * 0.7));
    CU_ASSERT_EQUAL(l.impair.lost, (uint64_t)(n - kept));
    net_link_free(&l);
}

/*
 * jitter 20 ms around 50 ms: uniform on [30, 70] ms. 100000 draws: all in
 * bounds, mean 50 ms within 4 sigma (sigma of the mean = 40 / sqrt(12 n) ms).
 */
static void test_impair_jitter_is_uniform_within_bounds(void)
{
    struct net_link l;
    link_of(&l, 0, 1);
    struct net_impair w = window(1, 0, INT64_MAX, 50 * MS, 0);
    w.jitter_ns = 20 * MS;
    net_impairs_add(&l.impair, &w);
    int n = 100000, out = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        int64_t at, t = (int64_t)i * SEC;
        net_link_packet(&l, t, 100, 0, &at);
        out += at - t < 30 * MS || at - t > 70 * MS;
        sum += (double)(at - t);
    }
    CU_ASSERT_EQUAL(out, 0);
    ASSERT_ABS(sum / n, 50e6, 4 * 40e6 / sqrt(12.0 * n));
    net_link_free(&l);
}

void suite_impair(void)
{
    TEST_SUITE("netem/impair");
    TEST_ADD(test_impair_delay_is_exact_inside_the_window_only);
    TEST_ADD(test_impair_partition_heals_for_syn_retries);
    TEST_ADD(test_impair_partition_stalls_then_recovers_a_connection);
    TEST_ADD(test_impair_loss_is_binomial);
    TEST_ADD(test_impair_jitter_is_uniform_within_bounds);
}
