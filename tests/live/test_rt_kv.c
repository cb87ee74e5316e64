/*
 * test_rt_kv.c - live/rt_kv.c, the live runtime's Redis client, against
 * loopback sockets of the test's own: a fake Redis that answers each EVAL
 * with the next integer (the answers reach the right keys, pipelined); a
 * port nothing listens on (PX_ECONNREFUSED); a listener that never reads
 * (PX_ETIMEDOUT at the request's timeout, then a new connection for the
 * next request); and the runtime shut down with a request waiting
 * (PX_ECLOSED). Every answer comes from the loop, never inside the call.
 * tests/redis.sh runs the same client against a real redis-server.
 */
#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "live/rt.h"
#include "tests/testutil.h"

void suite_live_rt_kv(void);

#define MS INT64_C(1000000)

struct kvw {
    struct ev_loop *loop;
    struct live_rt rt;
    ev_timer watchdog;
    int lfd; /* the fake server's listener */
    int cfd; /* its accepted connection */
    ev_io lio, cio;
    int accepted;
    int64_t next; /* the fake's next answer */
    int reads;    /* 0: never reads (a stalled server) */
    /* the answer */
    int answered, in_call, status;
    int64_t values[8];
    int64_t answered_ns;
};

static void watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* The fake Redis: each "EVAL" in what arrives gets ":<next>\r\n". */
static void fake_read(struct ev_loop *loop, ev_io *w, int revents)
{
    struct kvw *k = w->data;
    char buf[4096];
    (void)revents;
    ssize_t n = read(k->cfd, buf, sizeof buf - 1);
    if (n <= 0) {
        ev_io_stop(loop, w);
        close(k->cfd);
        k->cfd = -1;
        return;
    }
    buf[n] = 0;
    for (char *p = buf; (p = strstr(p, "EVAL")); p += 4) {
        char out[32];
        int len = snprintf(out, sizeof out, ":%lld\r\n", (long long)k->next++);
        CU_ASSERT(write(k->cfd, out, (size_t)len) == len);
    }
}

static void fake_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct kvw *k = w->data;
    (void)revents;
    int fd = accept(k->lfd, NULL, NULL);
    if (fd < 0) return;
    k->accepted++;
    if (k->cfd >= 0) {
        ev_io_stop(loop, &k->cio);
        close(k->cfd);
    }
    k->cfd = fd;
    ev_io_init(&k->cio, fake_read, fd, EV_READ);
    k->cio.data = k;
    ev_io_start(loop, &k->cio);
}

/* A loopback listener; its port. reads: 0 makes a server that accepts nothing and reads nothing. */
static int kvw_open(struct kvw *k, int reads)
{
    memset(k, 0, sizeof *k);
    k->cfd = -1;
    k->reads = reads;
    k->loop = ev_loop_new(EVFLAG_AUTO);
    live_rt_init(&k->rt, k->loop, 1, 0);
    ev_timer_init(&k->watchdog, watchdog, 5.0, 0.0);
    ev_timer_start(k->loop, &k->watchdog);
    k->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CU_ASSERT_FATAL(bind(k->lfd, (struct sockaddr *)&a, sizeof a) == 0);
    CU_ASSERT_FATAL(listen(k->lfd, 16) == 0);
    CU_ASSERT_FATAL(getsockname(k->lfd, (struct sockaddr *)&a, &len) == 0);
    if (reads) {
        ev_io_init(&k->lio, fake_accept, k->lfd, EV_READ);
        k->lio.data = k;
        ev_io_start(k->loop, &k->lio);
    }
    return ntohs(a.sin_port);
}

static void kvw_close(struct kvw *k)
{
    ev_timer_stop(k->loop, &k->watchdog);
    if (k->reads) ev_io_stop(k->loop, &k->lio);
    if (k->cfd >= 0) {
        ev_io_stop(k->loop, &k->cio);
        close(k->cfd);
    }
    if (k->lfd >= 0) close(k->lfd);
    live_rt_fini(&k->rt);
    ev_loop_destroy(k->loop);
}

static void answered(struct px_rt *rt, void *arg, int status, const int64_t *values)
{
    struct kvw *k = arg;
    CU_ASSERT_FALSE(k->in_call); /* from the loop, never inside kv_incr */
    k->answered++;
    k->status = status;
    k->answered_ns = px_now(rt);
    if (values) memcpy(k->values, values, 2 * sizeof *values);
    ev_break(k->loop, EVBREAK_ONE);
}

/* Asks for two keys; runs the loop until the answer (or the watchdog). */
static void ask(struct kvw *k, int port, int64_t timeout_ns)
{
    const char *keys[] = {"ratelimit:a:b:c:0:second", "ratelimit:a:b:c:0:minute"};
    int64_t expire[] = {1, 60};
    struct px_kv_store st = {"127.0.0.1", port, 0, NULL, NULL};
    struct px_kv_req req = {&st, timeout_ns, 2, keys, expire};
    int before = k->answered;
    k->in_call = 1;
    k->rt.base.ops->kv_incr(&k->rt.base, &req, answered, k);
    k->in_call = 0;
    CU_ASSERT_EQUAL(k->answered, before);
    while (k->answered == before && ev_is_active(&k->watchdog)) ev_run(k->loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL(k->answered, before + 1);
}

static void test_rt_kv_answers_reach_their_keys(void)
{
    struct kvw k;
    int port = kvw_open(&k, 1);
    k.next = 7;
    ask(&k, port, 2000 * MS);
    CU_ASSERT_EQUAL(k.status, PX_OK);
    CU_ASSERT_EQUAL(k.values[0], 7);
    CU_ASSERT_EQUAL(k.values[1], 8);
    ask(&k, port, 2000 * MS); /* the same connection, kept */
    CU_ASSERT_EQUAL(k.status, PX_OK);
    CU_ASSERT_EQUAL(k.values[0], 9);
    CU_ASSERT_EQUAL(k.values[1], 10);
    CU_ASSERT_EQUAL(k.accepted, 1);
    kvw_close(&k);
}

static void test_rt_kv_refused(void)
{
    struct kvw k;
    int port = kvw_open(&k, 1);
    close(k.lfd); /* nothing listens there any more */
    ev_io_stop(k.loop, &k.lio);
    k.lfd = -1;
    k.reads = 0;
    ask(&k, port, 2000 * MS);
    CU_ASSERT_EQUAL(k.status, PX_ECONNREFUSED);
    kvw_close(&k);
}

static void test_rt_kv_stalled_server_times_out(void)
{
    struct kvw k;
    int port = kvw_open(&k, 0);
    int64_t t0 = px_now(&k.rt.base);
    ask(&k, port, 150 * MS);
    CU_ASSERT_EQUAL(k.status, PX_ETIMEDOUT);
    CU_ASSERT(k.answered_ns - t0 >= 140 * MS && k.answered_ns - t0 < 2000 * MS);
    ask(&k, port, 100 * MS); /* a new connection, which stalls too */
    CU_ASSERT_EQUAL(k.status, PX_ETIMEDOUT);
    kvw_close(&k);
}

static void test_rt_kv_shutdown_answers_waiting_requests(void)
{
    struct kvw k;
    int port = kvw_open(&k, 0);
    const char *keys[] = {"k"};
    int64_t expire[] = {1};
    struct px_kv_store st = {"127.0.0.1", port, 0, NULL, NULL};
    struct px_kv_req req = {&st, 10000 * MS, 1, keys, expire};
    k.rt.base.ops->kv_incr(&k.rt.base, &req, answered, &k);
    ev_run(k.loop, EVRUN_NOWAIT);
    CU_ASSERT_EQUAL(k.answered, 0);
    kvw_close(&k); /* live_rt_fini */
    CU_ASSERT_EQUAL(k.answered, 1);
    CU_ASSERT_EQUAL(k.status, PX_ECLOSED);
}

void suite_live_rt_kv(void)
{
    TEST_SUITE("live/rt_kv");
    TEST_ADD(test_rt_kv_answers_reach_their_keys);
    TEST_ADD(test_rt_kv_refused);
    TEST_ADD(test_rt_kv_stalled_server_times_out);
    TEST_ADD(test_rt_kv_shutdown_answers_waiting_requests);
}
