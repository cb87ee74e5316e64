/*
 * test_tcp.c - netem/tcp.c: handshake and SYN backoff, RFC 6298 RTT and
 * Linux's RTO floor, segment retransmission and give-up, slow-start rounds,
 * in-order delivery.
 *
 * Losses are forced by editing a link's (copied) config between calls:
 * random loss with p = 1 loses everything; Gilbert-Elliott with p = 1,
 * r = 0, good_loss = 1, bad_loss = 0 loses exactly the next packet (netem
 * decides the loss by the state the packet finds: good, then bad forever).
 */
#include <string.h>

#include "netem/tcp.h"
#include "tests/testutil.h"

void suite_tcp(void);

#define MS  INT64_C(1000000)
#define SEC INT64_C(1000000000)

struct fixture {
    struct net_tcp_cfg cfg;
    struct net_link c2s, s2c;
    struct net_tcp tcp;
};

/* Two constant-delay links of one_way_ns each, Linux defaults. */
static void fx_init(struct fixture *f, int64_t one_way_ns)
{
    struct net_link_cfg lc;
    struct fl_rng r;
    net_tcp_cfg_default(&f->cfg);
    net_link_cfg_default(&lc);
    lc.delay_ns = one_way_ns;
    fl_rng_seed(&r, 1);
    net_link_init(&f->c2s, &lc, &r);
    fl_rng_seed(&r, 2);
    net_link_init(&f->s2c, &lc, &r);
    net_tcp_init(&f->tcp, &f->cfg, &f->c2s, &f->s2c);
}

static void fx_connect(struct fixture *f, int64_t now_ns)
{
    int64_t done;
    CU_ASSERT_EQUAL_FATAL(net_tcp_connect(&f->tcp, now_ns, &done), NET_OK);
}

static void lose_next_packet(struct net_link *l)
{
    l->cfg.loss = (struct net_loss){NET_LOSS_GEMODEL, 1.0, 0.0, 0.0, 1.0};
    l->ge_bad = 0;
}

static void lose_everything(struct net_link *l)
{
    l->cfg.loss = (struct net_loss){NET_LOSS_RANDOM, 1.0, 0.0, 0.0, 0.0};
}

static void test_tcp_defaults_are_linux(void)
{
    struct net_tcp_cfg c;
    net_tcp_cfg_default(&c);
    CU_ASSERT_EQUAL(c.mss, 1460);
    CU_ASSERT_EQUAL(c.header_bytes, 52);
    CU_ASSERT_EQUAL(c.init_cwnd, 10);
    CU_ASSERT_EQUAL(c.rto_min_ns, 200 * MS);
    CU_ASSERT_EQUAL(c.rto_max_ns, 120 * SEC);
    CU_ASSERT_EQUAL(c.syn_rto_ns, 1 * SEC);
    CU_ASSERT_EQUAL(c.syn_retries, 6);
    CU_ASSERT_EQUAL(c.retries2, 15);
}

static void test_tcp_handshake_costs_one_rtt(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 1 * SEC); /* no sample yet: the SYN RTO */
    int64_t done = 0;
    CU_ASSERT_EQUAL(net_tcp_connect(&f.tcp, 1 * SEC, &done), NET_OK);
    CU_ASSERT_EQUAL(done, 1 * SEC + 20 * MS);
    /* RFC 6298 first sample: SRTT = R, RTTVAR = R / 2 */
    CU_ASSERT_TRUE(f.tcp.has_rtt);
    CU_ASSERT_EQUAL(f.tcp.srtt_ns, 20 * MS);
    CU_ASSERT_EQUAL(f.tcp.rttvar_ns, 10 * MS);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 0);
}

static void test_tcp_rto_is_srtt_plus_rto_min_on_a_fast_link(void)
{
    struct fixture f;
    fx_init(&f, 1 * MS);
    fx_connect(&f, 0);
    /* 2 ms + max(4 * 1 ms, 200 ms) */
    CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 202 * MS);
    CU_ASSERT(net_tcp_rto(&f.tcp) >= f.cfg.rto_min_ns);
}

static void test_tcp_rto_uses_4_rttvar_and_caps_at_rto_max(void)
{
    struct fixture f;
    fx_init(&f, 100 * MS);
    fx_connect(&f, 0);
    CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 200 * MS + 4 * 100 * MS);
    fx_init(&f, 30 * SEC); /* 60 s + 4 * 30 s > 120 s */
    fx_connect(&f, 0);
    CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 120 * SEC);
}

static void test_tcp_first_syn_lost_costs_one_second(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    lose_next_packet(&f.c2s);
    int64_t done = 0;
    CU_ASSERT_EQUAL(net_tcp_connect(&f.tcp, 0, &done), NET_OK);
    CU_ASSERT_EQUAL(done, 1 * SEC + 20 * MS);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 1);
    CU_ASSERT_FALSE(f.tcp.has_rtt); /* Karn: no sample from a retried handshake */
    CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 1 * SEC);
}

static void test_tcp_lost_syn_ack_costs_like_a_lost_syn(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    lose_next_packet(&f.c2s); /* first SYN */
    lose_next_packet(&f.s2c); /* then the SYN-ACK of the second */
    int64_t done = 0;
    CU_ASSERT_EQUAL(net_tcp_connect(&f.tcp, 0, &done), NET_OK);
    CU_ASSERT_EQUAL(done, 1 * SEC + 2 * SEC + 20 * MS);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 2);
}

static void test_tcp_connect_gives_up_after_127_seconds(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    lose_everything(&f.c2s);
    int64_t done = 0;
    CU_ASSERT_EQUAL(net_tcp_connect(&f.tcp, 5 * SEC, &done), NET_ETIMEDOUT);
    CU_ASSERT_EQUAL(done, 5 * SEC + (1 + 2 + 4 + 8 + 16 + 32 + 64) * SEC);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 6);
    CU_ASSERT_EQUAL(f.c2s.packets, 7);
}

static void test_tcp_rtt_samples_follow_rfc6298(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    fx_connect(&f, 0);
    f.c2s.cfg.delay_ns = 30 * MS; /* next sample: 30 ms there + 10 ms ACK back */
    int64_t deliver = 0;
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 1 * SEC, 100, &deliver), NET_OK);
    CU_ASSERT_EQUAL(deliver, 1 * SEC + 30 * MS);
    /* RTTVAR = 3/4 10 + 1/4 |20 - 40| = 12.5 ms (old SRTT); SRTT = 7/8 20 + 1/8 40 */
    CU_ASSERT_EQUAL(f.tcp.rttvar_ns, 12500 * INT64_C(1000));
    CU_ASSERT_EQUAL(f.tcp.srtt_ns, 22500 * INT64_C(1000));
    CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 22500 * INT64_C(1000) + 200 * MS);
}

static void test_tcp_lost_segment_costs_one_rto(void)
{
    struct fixture f;
    fx_init(&f, 1 * MS);
    fx_connect(&f, 0);
    int64_t deliver = 0;
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 1 * SEC, 1000, &deliver), NET_OK);
    CU_ASSERT_EQUAL(deliver, 1 * SEC + 1 * MS);
    int64_t rto = net_tcp_rto(&f.tcp), srtt = f.tcp.srtt_ns, rttvar = f.tcp.rttvar_ns;
    CU_ASSERT_EQUAL(rto, 202 * MS);
    lose_next_packet(&f.c2s);
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 2 * SEC, 1000, &deliver), NET_OK);
    CU_ASSERT_EQUAL(deliver, 2 * SEC + rto + 1 * MS);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 1);
    CU_ASSERT_EQUAL(f.tcp.segments, 2);
    CU_ASSERT_EQUAL(f.tcp.srtt_ns, srtt); /* Karn: the retransmitted segment gave no sample */
    CU_ASSERT_EQUAL(f.tcp.rttvar_ns, rttvar);
}

/* The wait before the k-th retransmission's arrival: RTO + 2 RTO + ..., each at most 120 s. */
static int64_t backed_off_ns(int64_t rto_ns, int k)
{
    int64_t sum_ns = 0;
    for (int i = 0; i < k; i++) {
        int64_t b_ns = rto_ns << i;
        sum_ns += b_ns < 120 * SEC ? b_ns : 120 * SEC;
    }
    return sum_ns;
}

/*
 * k losses of the same segment cost RTO + 2 RTO + ... + 2^(k-1) RTO (each
 * term capped at rto_max). With random loss 1/2, 400 one-segment messages
 * see k = 0, 1, 2, 3...; each delivery must be exact for its k, and k = 2
 * must have occurred.
 */
static void test_tcp_each_further_loss_doubles_the_wait(void)
{
    struct fixture f;
    fx_init(&f, 1 * MS);
    fx_connect(&f, 0);
    f.c2s.cfg.loss = (struct net_loss){NET_LOSS_RANDOM, 0.5, 0.0, 0.0, 0.0};
    int seen[16] = {0};
    int64_t t = 1 * SEC;
    for (int i = 0; i < 400; i++) {
        CU_ASSERT_EQUAL(net_tcp_rto(&f.tcp), 202 * MS); /* samples stay 2 ms */
        uint64_t before = f.tcp.retransmits;
        int64_t deliver = 0;
        CU_ASSERT_EQUAL_FATAL(net_tcp_send(&f.tcp, NET_C2S, t, 500, &deliver), NET_OK);
        int k = (int)(f.tcp.retransmits - before);
        CU_ASSERT_FATAL(k >= 0 && k < 16);
        seen[k]++;
        CU_ASSERT_EQUAL(deliver, t + backed_off_ns(202 * MS, k) + 1 * MS);
        t = deliver + 1 * SEC;
    }
    CU_ASSERT(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
    int capped = 0; /* 202 ms * 2^10 > 120 s: from k = 11 on a wait is capped */
    for (int k = 11; k < 16; k++) capped += seen[k];
    CU_ASSERT(capped > 0); /* this seed has a run of 12 losses */
}

static void test_tcp_gives_up_after_retries2(void)
{
    struct fixture f;
    fx_init(&f, 1 * MS);
    fx_connect(&f, 0);
    lose_everything(&f.c2s);
    int64_t deliver = 0;
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 1 * SEC, 1000, &deliver), NET_ETIMEDOUT);
    /* 202 ms * (2^10 - 1) until the backoff reaches 120 s, then 6 waits of 120 s */
    CU_ASSERT_EQUAL(deliver, 1 * SEC + 202 * MS * 1023 + 6 * 120 * SEC);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 15);
    CU_ASSERT_EQUAL(f.tcp.last_deliver_ns[NET_C2S], 0);

    fx_init(&f, 1 * MS);
    f.cfg.retries2 = 3;
    fx_connect(&f, 0);
    lose_everything(&f.s2c);
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_S2C, 1 * SEC, 1000, &deliver), NET_ETIMEDOUT);
    CU_ASSERT_EQUAL(deliver, 1 * SEC + 202 * MS * (1 + 2 + 4 + 8));
    CU_ASSERT_EQUAL(f.tcp.retransmits, 3);
}

/* Delivery of a message of `bytes` written at t_ns on 10 ms links (SRTT 20 ms). */
static int64_t ss_delivery(struct fixture *f, int64_t t_ns, uint64_t bytes)
{
    int64_t deliver = 0;
    CU_ASSERT_EQUAL(net_tcp_send(&f->tcp, NET_C2S, t_ns, bytes, &deliver), NET_OK);
    return deliver - t_ns;
}

static void test_tcp_slow_start_rounds(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    fx_connect(&f, 0);
    /* rounds of 10, 20, 40 segments, 20 ms apart; the last arrives 10 ms after it left */
    CU_ASSERT_EQUAL(ss_delivery(&f, 1 * SEC, 1), 10 * MS);
    CU_ASSERT_EQUAL(ss_delivery(&f, 2 * SEC, 10 * 1460), 10 * MS);
    CU_ASSERT_EQUAL(ss_delivery(&f, 3 * SEC, 10 * 1460 + 1), 30 * MS);
    CU_ASSERT_EQUAL(ss_delivery(&f, 4 * SEC, 30 * 1460), 30 * MS);
    CU_ASSERT_EQUAL(ss_delivery(&f, 5 * SEC, 30 * 1460 + 1), 50 * MS);
    uint64_t segs = f.tcp.segments, bytes = f.c2s.bytes;
    /* 100 KB: 69 segments (68 full, 720 bytes left): rounds 10 + 20 + 40 */
    CU_ASSERT_EQUAL(ss_delivery(&f, 6 * SEC, 100000), 50 * MS);
    CU_ASSERT_EQUAL(f.tcp.segments - segs, 69);
    CU_ASSERT_EQUAL(f.c2s.bytes - bytes, 68 * (1460 + 52) + 720 + 52);
    CU_ASSERT_EQUAL(f.tcp.retransmits, 0);
    CU_ASSERT_EQUAL(f.tcp.srtt_ns, 20 * MS);
}

static void test_tcp_segments_serialize_on_a_slow_link(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    fx_connect(&f, 0);
    f.c2s.cfg.rate_bps = 1e6; /* 1512 bytes: 12.096 ms each */
    CU_ASSERT_EQUAL(ss_delivery(&f, 1 * SEC, 10 * 1460), 10 * 12096 * INT64_C(1000) + 10 * MS);
}

static void test_tcp_delivery_is_in_order(void)
{
    struct fixture f;
    fx_init(&f, 10 * MS);
    fx_connect(&f, 0);
    int64_t big = 0, small = 0, other = 0;
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 1 * SEC, 100000, &big), NET_OK);
    CU_ASSERT_EQUAL(big, 1 * SEC + 50 * MS);
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 1 * SEC + 1 * MS, 100, &small), NET_OK);
    CU_ASSERT_EQUAL(small, big); /* arrived at 1.011 s, waits for the big one */
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_S2C, 1 * SEC + 1 * MS, 100, &other), NET_OK);
    CU_ASSERT_EQUAL(other, 1 * SEC + 11 * MS); /* the other direction is independent */
    CU_ASSERT_EQUAL(f.tcp.last_deliver_ns[NET_C2S], big);
}

/* Retransmission delay (tracing): exactly the RTOs waited, and the SYN retries for the first
 * message. */
static void test_tcp_rtx_is_the_wait_for_retransmissions(void)
{
    struct fixture f;
    fx_init(&f, 1 * MS);
    lose_next_packet(&f.c2s); /* the first SYN: 1 s */
    int64_t done = 0, deliver = 0;
    CU_ASSERT_EQUAL_FATAL(net_tcp_connect(&f.tcp, 0, &done), NET_OK);
    CU_ASSERT_EQUAL(done, 1 * SEC + 2 * MS);
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, done, 1000, &deliver), NET_OK);
    CU_ASSERT_EQUAL(net_tcp_take_rtx(&f.tcp), 1 * SEC); /* the first message carries the SYN wait */
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_S2C, deliver, 1000, &deliver), NET_OK);
    CU_ASSERT_EQUAL(net_tcp_take_rtx(&f.tcp), 0); /* taken once; nothing lost since */
    int64_t rto = net_tcp_rto(&f.tcp);
    lose_next_packet(&f.c2s);
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 2 * SEC, 1000, &deliver), NET_OK);
    CU_ASSERT_EQUAL(deliver, 2 * SEC + rto + 1 * MS);
    CU_ASSERT_EQUAL(net_tcp_take_rtx(&f.tcp), rto);
    /* a message behind it in the same direction waits for it in order: the same delay */
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 2 * SEC + 10 * MS, 100, &deliver), NET_OK);
    CU_ASSERT_EQUAL(deliver, 2 * SEC + rto + 1 * MS);
    CU_ASSERT_EQUAL(net_tcp_take_rtx(&f.tcp), rto - 10 * MS);
    /* later, nothing lost: none */
    CU_ASSERT_EQUAL(net_tcp_send(&f.tcp, NET_C2S, 5 * SEC, 100, &deliver), NET_OK);
    CU_ASSERT_EQUAL(net_tcp_take_rtx(&f.tcp), 0);
}

void suite_tcp(void)
{
    TEST_SUITE("netem/tcp");
    TEST_ADD(test_tcp_defaults_are_linux);
    TEST_ADD(test_tcp_handshake_costs_one_rtt);
    TEST_ADD(test_tcp_rto_is_srtt_plus_rto_min_on_a_fast_link);
    TEST_ADD(test_tcp_rto_uses_4_rttvar_and_caps_at_rto_max);
    TEST_ADD(test_tcp_first_syn_lost_costs_one_second);
    TEST_ADD(test_tcp_lost_syn_ack_costs_like_a_lost_syn);
    TEST_ADD(test_tcp_connect_gives_up_after_127_seconds);
    TEST_ADD(test_tcp_rtt_samples_follow_rfc6298);
    TEST_ADD(test_tcp_lost_segment_costs_one_rto);
    TEST_ADD(test_tcp_each_further_loss_doubles_the_wait);
    TEST_ADD(test_tcp_gives_up_after_retries2);
    TEST_ADD(test_tcp_slow_start_rounds);
    TEST_ADD(test_tcp_segments_serialize_on_a_slow_link);
    TEST_ADD(test_tcp_delivery_is_in_order);
    TEST_ADD(test_tcp_rtx_is_the_wait_for_retransmissions);
}
