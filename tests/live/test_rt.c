/*
 * test_rt.c - live/rt*.c on a real libev loop and loopback sockets: timers
 * fire in order and never early; connection errors map to PX_E* codes and
 * are told from the loop, never inside the call; requests and responses
 * cross real sockets; pipelined requests are handed over one at a time
 * and answered in order; keep-alive and Connection: close are followed; a
 * graceful close writes everything first; malformed requests get 400;
 * draining closes idle connections; and the proxy engine itself, on real
 * sockets, ejects a host that keeps failing (Envoy's consecutive_5xx).
 * The limits (rt.h): a trickled head or body gets 408 at its deadline, a
 * kept-alive connection closes at the idle one, the oldest idle
 * connection makes room over a limit and with none idle the new one is
 * reset, per address as in all, a refused request lingers until its
 * answer is read, an upstream answer over the limit becomes a 502 UC, and
 * Kong's gateway answers a refused upstream with 502. Timing is asserted
 * only as generous bounds around deadlines of a fraction of a second.
 * Every test is bounded by a watchdog.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "live/rt.h"
#include "proxies/proxy.h"
#include "proxies/trace.h"
#include "tests/testutil.h"

void suite_live_rt(void);

#define MS INT64_C(1000000)

/* ---------------------------------------------------------------- harness */

struct world {
    struct live_rt rt;
    struct ev_loop *loop;
    ev_timer watchdog;
    int timed_out;
    struct live_listener *l;
    uint64_t addr; /* the listener's address, resolved */
    /* the server side */
    struct px_conn *srv[8];
    int n_srv;
    int srv_closed, srv_close_reason;
    int64_t answer_delay_ns[8]; /* per request number */
    int answer_reset, answer_close;
    size_t answer_body_bytes;
    int requests_seen;
    int max_waiting; /* requests handed over and not yet answered, at most */
    int waiting;
    /* the client side */
    struct px_conn *cli;
    int connected, connect_status, in_connect;
    int cli_closed, cli_close_reason;
    char got[16][64]; /* paths echoed back, in order of arrival */
    int got_status[16];
    uint32_t got_flags[16];
    int n_got;
    uint64_t got_body_bytes;
    const char *got_connection;
};

static void watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct world *W = w->data;
    W->timed_out = 1;
    ev_break(loop, EVBREAK_ALL);
}

static void world_init(struct world *W)
{
    memset(W, 0, sizeof *W);
    W->loop = ev_loop_new(EVFLAG_AUTO);
    live_rt_init(&W->rt, W->loop, 1, 0);
    ev_timer_init(&W->watchdog, watchdog, 5.0, 0.0);
    W->watchdog.data = W;
    ev_timer_start(W->loop, &W->watchdog);
}

static void world_free(struct world *W)
{
    if (W->l) live_listener_close(W->l);
    ev_timer_stop(W->loop, &W->watchdog);
    live_rt_fini(&W->rt);
    ev_loop_destroy(W->loop);
}

/* Runs the loop until *flag is set (or the watchdog fires). */
static void run_until(struct world *W, const int *flag)
{
    while (!*flag && !W->timed_out) ev_run(W->loop, EVRUN_ONCE);
    CU_ASSERT_FALSE(W->timed_out);
}

static struct px_rt *RT(struct world *W)
{
    return &W->rt.base;
}

/* ---------------------------------------------------------------- a little server */

struct answer {
    struct world *W;
    struct px_conn *c;
    struct px_msg *req;
    struct px_timer t;
};

static void answer_now(struct px_rt *rt, void *arg)
{
    struct answer *a = arg;
    struct world *W = a->W;
    struct px_msg *m = px_msg_new(rt);
    m->status = 200;
    px_msg_add_header(m, "x-path", a->req->path);
    m->body_bytes = W->answer_body_bytes; /* a size only: padded by the codec */
    W->waiting--;
    rt->ops->send(rt, a->c, m);
    if (W->answer_close) {
        rt->ops->conn_close(rt, a->c);
        rt->ops->conn_release(rt, a->c);
    }
    px_msg_free(rt, a->req);
    free(a);
}

static void srv_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct world *W = ctx;
    struct px_rt *rt = RT(W);
    int n = W->requests_seen++;
    if (++W->waiting > W->max_waiting) W->max_waiting = W->waiting;
    if (W->answer_reset) {
        px_msg_free(rt, m);
        rt->ops->conn_reset(rt, c);
        rt->ops->conn_release(rt, c);
        return;
    }
    struct answer *a = calloc(1, sizeof *a);
    a->W = W;
    a->c = c;
    a->req = m;
    px_timer_init(rt, &a->t, answer_now, a);
    int64_t delay = n < 8 ? W->answer_delay_ns[n] : 0;
    if (delay)
        px_timer_arm(rt, &a->t, px_now(rt) + delay);
    else
        answer_now(rt, a);
}

static void srv_closed(void *ctx, struct px_conn *c, int reason)
{
    struct world *W = ctx;
    W->srv_closed = 1;
    W->srv_close_reason = reason;
    RT(W)->ops->conn_release(RT(W), c);
}

static const struct px_conn_cbs srv_cbs = {NULL, srv_message, srv_closed};

static void srv_accept(void *arg, struct px_conn *c)
{
    struct world *W = arg;
    if (W->n_srv < 8) W->srv[W->n_srv++] = c;
    RT(W)->ops->conn_bind(RT(W), c, &srv_cbs, W);
}

static void listen_here(struct world *W)
{
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(live_listen(&W->rt, "127.0.0.1:0", srv_accept, W, &W->l, &err), 0);
    char *host;
    uint16_t port;
    CU_ASSERT_EQUAL_FATAL(live_parse_hostport(live_listener_name(W->l), &host, &port, &err), 0);
    CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
    CU_ASSERT(port > 0);
    CU_ASSERT_EQUAL_FATAL(live_rt_resolve(&W->rt, host, port, &W->addr, &err), 0);
    free(host);
}

/* ---------------------------------------------------------------- a client */

static void cli_connected(void *ctx, struct px_conn *c, int status)
{
    struct world *W = ctx;
    (void)c;
    CU_ASSERT_FALSE(W->in_connect); /* never from inside connect */
    W->connected = 1;
    W->connect_status = status;
    if (status != PX_OK) RT(W)->ops->conn_release(RT(W), c);
}

static void cli_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct world *W = ctx;
    (void)c;
    const char *p = px_msg_header(m, "x-path");
    if (W->n_got < 16) {
        W->got_status[W->n_got] = m->status;
        W->got_flags[W->n_got] = m->flags;
        snprintf(W->got[W->n_got++], sizeof W->got[0], "%s", p ? p : "?");
    }
    W->got_body_bytes += m->body_bytes;
    W->got_connection = px_msg_header(m, "connection") ? "close" : NULL;
    px_msg_free(RT(W), m);
}

static void cli_closed(void *ctx, struct px_conn *c, int reason)
{
    struct world *W = ctx;
    W->cli_closed = 1;
    W->cli_close_reason = reason;
    RT(W)->ops->conn_release(RT(W), c);
}

static const struct px_conn_cbs cli_cbs = {cli_connected, cli_message, cli_closed};

static void cli_connect(struct world *W, uint64_t addr)
{
    W->in_connect = 1;
    W->cli = RT(W)->ops->connect(RT(W), addr, &cli_cbs, W);
    W->in_connect = 0;
    CU_ASSERT_FALSE(W->connected); /* told later, from the loop */
    run_until(W, &W->connected);
}

static void cli_get(struct world *W, const char *path, const char *connection)
{
    struct px_msg *m = px_msg_new(RT(W));
    m->method = "GET";
    m->authority = "test";
    m->path = px_msg_strdup(m, path, strlen(path));
    if (connection) px_msg_add_header_static(m, "Connection", connection);
    RT(W)->ops->send(RT(W), W->cli, m);
}

/* ---------------------------------------------------------------- tests */

struct fired {
    struct world *W;
    int order[4], n;
    int64_t at[4];
    int early;
};

struct tmr {
    struct fired *f;
    int id;
    struct px_timer t;
};

static void tmr_fire(struct px_rt *rt, void *arg)
{
    struct tmr *t = arg;
    if (px_now(rt) < t->f->at[t->id]) t->f->early = 1;
    t->f->order[t->f->n++] = t->id;
}

static void test_rt_timers_fire_in_order_never_early(void)
{
    struct world W;
    world_init(&W);
    struct px_rt *rt = RT(&W);
    struct fired f = {&W, {0}, 0, {0}, 0};
    struct tmr t[4];
    int64_t now = px_now(rt);
    int64_t delay[4] = {3 * MS, 1 * MS, 2 * MS, 1 * MS};
    for (int i = 0; i < 4; i++) {
        t[i].f = &f;
        t[i].id = i;
        px_timer_init(rt, &t[i].t, tmr_fire, &t[i]);
        f.at[i] = now + delay[i];
        px_timer_arm(rt, &t[i].t, f.at[i]);
    }
    px_timer_cancel(rt, &t[3].t);
    f.at[1] = now + 4 * MS; /* re-armed later */
    px_timer_arm(rt, &t[1].t, f.at[1]);
    while (f.n < 3 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL(f.n, 3);
    CU_ASSERT_EQUAL(f.order[0], 2);
    CU_ASSERT_EQUAL(f.order[1], 0);
    CU_ASSERT_EQUAL(f.order[2], 1);
    CU_ASSERT_FALSE(f.early);
    /* the clock reads as Unix time (for Kong's calendar windows) */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    ASSERT_ABS((double)px_now(rt) * 1e-9, (double)tv.tv_sec + tv.tv_usec * 1e-6, 1.0);
    world_free(&W);
}

static void test_rt_refused_connect_is_told_from_the_loop(void)
{
    struct world W;
    world_init(&W);
    /* a port nobody listens on: bind one, note it, close it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    uint64_t addr;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(live_rt_resolve(&W.rt, "127.0.0.1", ntohs(sa.sin_port), &addr, &err), 0);
    cli_connect(&W, addr);
    CU_ASSERT_EQUAL(W.connect_status, PX_ECONNREFUSED);
    world_free(&W);
}

static void test_rt_carries_requests_and_responses(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    cli_connect(&W, W.addr);
    CU_ASSERT_EQUAL_FATAL(W.connect_status, PX_OK);
    W.answer_body_bytes = 100000; /* more than one read */
    cli_get(&W, "/one", NULL);
    int two = 0;
    while (W.n_got < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    cli_get(&W, "/two", NULL);
    while (W.n_got < 2 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    two = W.n_got == 2;
    CU_ASSERT_TRUE(two);
    CU_ASSERT_STRING_EQUAL(W.got[0], "/one");
    CU_ASSERT_STRING_EQUAL(W.got[1], "/two");
    CU_ASSERT_EQUAL(W.got_body_bytes, 200000);
    CU_ASSERT_EQUAL(W.n_srv, 1); /* kept alive: one connection */
    CU_ASSERT_STRING_EQUAL(W.rt.base.ops->conn_peer(RT(&W), W.srv[0]), "127.0.0.1");
    CU_ASSERT_FALSE(W.cli_closed);
    CU_ASSERT_FALSE(W.srv_closed);
    world_free(&W);
}

static void test_rt_answers_pipelined_requests_in_order(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    cli_connect(&W, W.addr);
    /* the first request is answered last if they were not taken one at a time */
    W.answer_delay_ns[0] = 6 * MS;
    W.answer_delay_ns[1] = 3 * MS;
    W.answer_delay_ns[2] = 1 * MS;
    cli_get(&W, "/1", NULL);
    cli_get(&W, "/2", NULL);
    cli_get(&W, "/3", NULL);
    while (W.n_got < 3 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL_FATAL(W.n_got, 3);
    CU_ASSERT_STRING_EQUAL(W.got[0], "/1");
    CU_ASSERT_STRING_EQUAL(W.got[1], "/2");
    CU_ASSERT_STRING_EQUAL(W.got[2], "/3");
    CU_ASSERT_EQUAL(W.max_waiting, 1);
    world_free(&W);
}

/* A blocking socket to the listener, for bytes the runtime's own client would not send. */
static int raw_connect(struct world *W)
{
    char *host, *err;
    uint16_t port;
    live_parse_hostport(live_listener_name(W->l), &host, &port, &err);
    free(host);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Everything the peer sends until it closes (or 2 s pass), as a string. */
static void raw_read_all(int fd, char *buf, size_t size)
{
    size_t got = 0;
    ssize_t n;
    while (got < size - 1 && (n = recv(fd, buf + got, size - 1 - got, 0)) > 0) got += (size_t)n;
    buf[got] = '\0';
}

static void test_rt_connection_close_ends_the_connection_after_the_answer(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    int fd = raw_connect(&W);
    const char req[] = "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                       "GET /never HTTP/1.1\r\nHost: t\r\n\r\n";
    CU_ASSERT_EQUAL(send(fd, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
    run_until(&W, &W.srv_closed);
    CU_ASSERT_EQUAL(W.srv_close_reason, PX_ECLOSED);
    CU_ASSERT_EQUAL(W.requests_seen, 1); /* nothing after a close is read */
    char buf[1024];
    raw_read_all(fd, buf, sizeof buf); /* returns at the close: the answer, whole */
    CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "x-path: /x\r\nConnection: close\r\n"));
    CU_ASSERT_PTR_NULL(strstr(buf, "/never"));
    close(fd);
    world_free(&W);
}

static void test_rt_http10_keep_alive_is_answered_in_kind(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    int fd = raw_connect(&W);
    const char req[] = "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                       "HEAD /b HTTP/1.0\r\n\r\n";
    W.answer_body_bytes = 5;
    CU_ASSERT_EQUAL(send(fd, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
    run_until(&W, &W.srv_closed);
    CU_ASSERT_EQUAL(W.requests_seen, 2);
    char buf[1024];
    raw_read_all(fd, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "HTTP/1.1 200 OK\r\nx-path: /a\r\nConnection: keep-alive\r\n"
                                "Content-Length: 5\r\n\r\n     "
                                "HTTP/1.1 200 OK\r\nx-path: /b\r\nConnection: close\r\n"
                                "Content-Length: 5\r\n\r\n");
    close(fd);
    world_free(&W);
}

static void test_rt_reset_is_seen_as_reset(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    cli_connect(&W, W.addr);
    W.answer_reset = 1;
    cli_get(&W, "/boom", NULL);
    run_until(&W, &W.cli_closed);
    CU_ASSERT_EQUAL(W.cli_close_reason, PX_ERESET);
    CU_ASSERT_EQUAL(W.n_got, 0);
    world_free(&W);
}

static void test_rt_graceful_close_writes_everything_first(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    cli_connect(&W, W.addr);
    W.answer_close = 1; /* the server closes and lets go at once after sending */
    W.answer_body_bytes = 8u << 20;
    cli_get(&W, "/big", NULL);
    run_until(&W, &W.cli_closed);
    CU_ASSERT_EQUAL(W.n_got, 1);
    CU_ASSERT_EQUAL(W.got_body_bytes, 8u << 20);
    CU_ASSERT_EQUAL(W.cli_close_reason, PX_ECLOSED);
    CU_ASSERT_EQUAL(live_rt_flushing(&W.rt), 0);
    world_free(&W);
}

static void test_rt_malformed_request_gets_400(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    int fd = raw_connect(&W);
    const char bad[] = "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n";
    CU_ASSERT_EQUAL(send(fd, bad, sizeof bad - 1, 0), (ssize_t)(sizeof bad - 1));
    run_until(&W, &W.srv_closed);
    CU_ASSERT_EQUAL(W.requests_seen, 0);
    char buf[512];
    raw_read_all(fd, buf, sizeof buf);
    CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Connection: close\r\n"));
    close(fd);
    CU_ASSERT_EQUAL(W.rt.st.bad_requests, 1);
    world_free(&W);
}

static void test_rt_drain_closes_idle_connections(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    cli_connect(&W, W.addr);
    cli_get(&W, "/a", NULL);
    while (W.n_got < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    live_rt_drain(&W.rt);
    CU_ASSERT_TRUE(W.srv_closed); /* idle: closed at once, its owner told */
    run_until(&W, &W.cli_closed);
    CU_ASSERT_EQUAL(W.cli_close_reason, PX_ECLOSED);
    world_free(&W);
}

static void test_rt_drain_closes_busy_connections_after_their_answer(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    cli_connect(&W, W.addr);
    W.answer_delay_ns[0] = 5 * MS;
    cli_get(&W, "/slow", NULL);
    while (!W.requests_seen && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    live_rt_drain(&W.rt);
    CU_ASSERT_FALSE(W.srv_closed); /* a request in progress: it gets its answer */
    run_until(&W, &W.cli_closed);
    CU_ASSERT_EQUAL(W.n_got, 1);
    CU_ASSERT_PTR_NOT_NULL(W.got_connection); /* "Connection: close" */
    CU_ASSERT_EQUAL(W.cli_close_reason, PX_ECLOSED);
    run_until(&W, &W.srv_closed);
    world_free(&W);
}

static void test_rt_addresses_and_names(void)
{
    struct world W;
    world_init(&W);
    uint64_t a, b, c;
    char *err = NULL;
    CU_ASSERT_EQUAL(live_rt_resolve(&W.rt, "127.0.0.1", 8000, &a, &err), 0);
    CU_ASSERT_EQUAL(live_rt_resolve(&W.rt, "127.0.0.1", 8000, &b, &err), 0);
    CU_ASSERT_EQUAL(live_rt_resolve(&W.rt, "127.0.0.1", 0, &c, &err), 0);
    CU_ASSERT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(a, c);
    CU_ASSERT_STRING_EQUAL(live_rt_addr(&W.rt, c)->name, "127.0.0.1:80");
    CU_ASSERT_PTR_NULL(live_rt_addr(&W.rt, 0));
    struct px_resolver r = live_rt_resolver(&W.rt);
    struct px_endpoint_cfg *eps;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(r.resolve(r.arg, "localhost", 9000, &eps, &n, &err), 0);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_STRING_EQUAL(eps[0].name, "localhost:9000");
    CU_ASSERT_EQUAL(eps[0].weight, 1);
    CU_ASSERT_PTR_NOT_NULL(live_rt_addr(&W.rt, eps[0].addr));
    px_endpoint_cfg_free(&eps[0]);
    free(eps);
    char *host;
    uint16_t port;
    CU_ASSERT_EQUAL(live_parse_hostport("[::1]:8080", &host, &port, &err), 0);
    CU_ASSERT_STRING_EQUAL(host, "::1");
    CU_ASSERT_EQUAL(port, 8080);
    free(host);
    const char *bad[] = {"8080", "host:", ":80", "h:99999", "h:-1", "::1:80", "[::1]80", "h:8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        CU_ASSERT_EQUAL(live_parse_hostport(bad[i], &host, &port, &err), -1);
        CU_ASSERT_PTR_NOT_NULL(err);
        free(err);
    }
    world_free(&W);
}

/* An upstream answering every request with one status at once. */
struct upstream {
    struct world *W;
    struct live_listener *l;
    uint64_t addr;
    int status, served;
    char b3[80], traceid[40], sampled[8], parent[24]; /* the last request's trace headers */
};

/* Copies header name of m into buf ("" when absent). */
static void keep_header(const struct px_msg *m, const char *name, char *buf, size_t size)
{
    const char *v = px_msg_header(m, name);
    snprintf(buf, size, "%s", v ? v : "");
}

static void up_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct upstream *u = ctx;
    struct px_rt *rt = RT(u->W);
    struct px_msg *r = px_msg_new(rt);
    r->status = u->status;
    px_msg_add_header(r, "x-path", m->path);
    keep_header(m, "b3", u->b3, sizeof u->b3);
    keep_header(m, "x-b3-traceid", u->traceid, sizeof u->traceid);
    keep_header(m, "x-b3-sampled", u->sampled, sizeof u->sampled);
    keep_header(m, "x-b3-parentspanid", u->parent, sizeof u->parent);
    px_msg_free(rt, m);
    u->served++;
    rt->ops->send(rt, c, r);
}

static void up_closed(void *ctx, struct px_conn *c, int reason)
{
    struct upstream *u = ctx;
    (void)reason;
    RT(u->W)->ops->conn_release(RT(u->W), c);
}

static const struct px_conn_cbs up_cbs = {NULL, up_message, up_closed};

static void up_accept(void *arg, struct px_conn *c)
{
    struct upstream *u = arg;
    RT(u->W)->ops->conn_bind(RT(u->W), c, &up_cbs, u);
}

static void upstream_start(struct world *W, struct upstream *u, int status)
{
    memset(u, 0, sizeof *u);
    u->W = W;
    u->status = status;
    char *err = NULL, *host;
    uint16_t port;
    CU_ASSERT_EQUAL_FATAL(live_listen(&W->rt, "127.0.0.1:0", up_accept, u, &u->l, &err), 0);
    live_parse_hostport(live_listener_name(u->l), &host, &port, &err);
    CU_ASSERT_EQUAL_FATAL(live_rt_resolve(&W->rt, host, port, &u->addr, &err), 0);
    free(host);
}

/* One virtual host, one route to one cluster of two hosts with consecutive_5xx = 3. */
static void outlier_cfg(struct px_proxy_cfg *cfg, const struct upstream *hosts)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->name = strdup("live");
    cfg->kind = PX_PROXY_OUTBOUND;
    px_cost_default(&cfg->cost);
    cfg->workers = 1;
    cfg->n_vhosts = 1;
    cfg->vhosts = calloc(1, sizeof *cfg->vhosts);
    struct px_vhost_cfg *v = &cfg->vhosts[0];
    v->name = strdup("all");
    v->n_domains = 1;
    v->domains = calloc(1, sizeof *v->domains);
    v->domains[0] = strdup("*");
    v->n_routes = 1;
    v->routes = calloc(1, sizeof *v->routes);
    struct px_route_cfg *r = &v->routes[0];
    r->name = strdup("all");
    char *err = NULL;
    CU_ASSERT_EQUAL(px_match_init(&r->path, PX_MATCH_PREFIX, "/", 0, &err), 0);
    r->n_dests = 1;
    r->dests = calloc(1, sizeof *r->dests);
    r->dests[0].weight = 1;
    r->total_weight = 1;
    r->rate_limit = -1;
    cfg->n_clusters = 1;
    cfg->clusters = calloc(1, sizeof *cfg->clusters);
    struct px_cluster_cfg *cl = &cfg->clusters[0];
    cl->name = strdup("backend");
    px_lb_cfg_envoy(&cl->lb);
    cl->lb.panic_threshold = 0;
    px_breaker_cfg_envoy(&cl->breaker);
    cl->has_outlier = 1;
    px_outlier_cfg_envoy(&cl->outlier);
    cl->outlier.consecutive_5xx = 3;
    cl->outlier.max_ejection_percent = 50; /* one host of two */
    cl->n_endpoints = 2;
    cl->endpoints = calloc(2, sizeof *cl->endpoints);
    for (int i = 0; i < 2; i++) {
        cl->endpoints[i].name = strdup(i ? "good" : "bad");
        cl->endpoints[i].addr = hosts[i].addr;
        cl->endpoints[i].weight = 1;
    }
}

static void proxy_accept(void *arg, struct px_conn *c)
{
    px_proxy_accept(arg, c);
}

static void test_rt_proxy_ejects_a_failing_host_live(void)
{
    struct world W;
    world_init(&W);
    struct upstream hosts[2];
    upstream_start(&W, &hosts[0], 503);
    upstream_start(&W, &hosts[1], 200);
    struct px_proxy_cfg cfg;
    outlier_cfg(&cfg, hosts);
    struct px_proxy *p = px_proxy_new(RT(&W), &cfg);
    char *err = NULL, *host;
    uint16_t port;
    CU_ASSERT_EQUAL_FATAL(live_listen(&W.rt, "127.0.0.1:0", proxy_accept, p, &W.l, &err), 0);
    live_parse_hostport(live_listener_name(W.l), &host, &port, &err);
    uint64_t addr;
    live_rt_resolve(&W.rt, host, port, &addr, &err);
    free(host);
    cli_connect(&W, addr);
    for (int i = 0; i < 12 && !W.timed_out; i++) {
        char path[16];
        snprintf(path, sizeof path, "/r%d", i);
        cli_get(&W, path, NULL);
        while (W.n_got <= i && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    }
    CU_ASSERT_EQUAL_FATAL(W.n_got, 12);
    int failed = 0;
    for (int i = 0; i < 12; i++) failed += W.got_status[i] == 503;
    /* round robin until the bad host's third 503 ejects it; then only the good one */
    CU_ASSERT_EQUAL(failed, 3);
    CU_ASSERT_EQUAL(hosts[0].served, 3);
    CU_ASSERT_EQUAL(hosts[1].served, 9);
    for (int i = 6; i < 12; i++) CU_ASSERT_EQUAL(W.got_status[i], 200);
    CU_ASSERT_TRUE(px_proxy_host_ejected(p, 0, 0));
    CU_ASSERT_FALSE(px_proxy_host_ejected(p, 0, 1));
    CU_ASSERT_EQUAL(W.rt.st.events[PX_EV_EJECT], 1);
    CU_ASSERT_EQUAL(px_proxy_cluster_stats(p, 0)->ejections, 1);
    live_rt_close_all(&W.rt);
    px_proxy_free(p);
    px_proxy_cfg_free(&cfg);
    live_listener_close(hosts[0].l);
    live_listener_close(hosts[1].l);
    world_free(&W);
}

/*
 * Trace propagation on real sockets: a proxy that traces writes its
 * attempt's context into the upstream request: a new trace as x-b3-*
 * (sampled at 100%), and an incoming single `b3` header continued in that
 * form with the same trace id, the attempt's own span id and the proxy's
 * span as parent.
 */
static void test_rt_proxy_propagates_trace_headers_live(void)
{
    struct world W;
    world_init(&W);
    struct upstream hosts[2];
    upstream_start(&W, &hosts[0], 200);
    upstream_start(&W, &hosts[1], 200);
    struct px_proxy_cfg cfg;
    outlier_cfg(&cfg, hosts);
    cfg.trace = (struct px_trace_cfg){.enabled = 1, .sample_pct = 100, .id128 = 1};
    cfg.trace.formats = PX_TRACE_B3;
    struct px_proxy *p = px_proxy_new(RT(&W), &cfg);
    char *err = NULL, *host;
    uint16_t port;
    CU_ASSERT_EQUAL_FATAL(live_listen(&W.rt, "127.0.0.1:0", proxy_accept, p, &W.l, &err), 0);
    live_parse_hostport(live_listener_name(W.l), &host, &port, &err);
    uint64_t addr;
    live_rt_resolve(&W.rt, host, port, &addr, &err);
    free(host);
    cli_connect(&W, addr);
    cli_get(&W, "/new", NULL);
    while (W.n_got < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    const struct upstream *u = hosts[0].served ? &hosts[0] : &hosts[1];
    CU_ASSERT_EQUAL(strlen(u->traceid), 32);
    CU_ASSERT_STRING_EQUAL(u->sampled, "1");
    CU_ASSERT_EQUAL(strlen(u->parent), 16); /* the proxy's SERVER span */
    CU_ASSERT_STRING_EQUAL(u->b3, "");
    struct px_msg *m = px_msg_new(RT(&W));
    m->method = "GET";
    m->authority = "test";
    m->path = "/continued";
    px_msg_add_header_static(m, "b3", "463ac35c9f6413ad-a2fb4a1d1a96d312-1");
    RT(&W)->ops->send(RT(&W), W.cli, m);
    while (W.n_got < 2 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL_FATAL(W.n_got, 2);
    /* the host that got it is the one whose last request carried a b3 header */
    CU_ASSERT_EQUAL(!*hosts[0].b3 + !*hosts[1].b3, 1);
    u = *hosts[0].b3 ? &hosts[0] : &hosts[1];
    CU_ASSERT_EQUAL(strncmp(u->b3, "463ac35c9f6413ad-", 17), 0);
    CU_ASSERT_EQUAL(strlen(u->b3), 16 + 1 + 16 + 2 + 1 + 16);
    CU_ASSERT(strncmp(u->b3 + 17, "a2fb4a1d1a96d312", 16) != 0); /* the attempt's own span */
    CU_ASSERT_EQUAL(strncmp(u->b3 + 33, "-1-", 3), 0);
    CU_ASSERT_STRING_EQUAL(u->traceid, ""); /* only the form that arrived */
    live_rt_close_all(&W.rt);
    px_proxy_free(p);
    px_proxy_cfg_free(&cfg);
    live_listener_close(hosts[0].l);
    live_listener_close(hosts[1].l);
    world_free(&W);
}

/* ---------------------------------------------------------------- limits */

static void stop_loop(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop for s seconds (or until the watchdog). */
static void run_for(struct world *W, double s)
{
    ev_timer t;
    ev_timer_init(&t, stop_loop, s, 0.0);
    ev_timer_start(W->loop, &t);
    ev_run(W->loop, 0);
    ev_timer_stop(W->loop, &t);
}

/* Runs the loop until *counter reaches n (or the watchdog fires). */
static void run_until_count(struct world *W, const uint64_t *counter, uint64_t n)
{
    while (*counter < n && !W->timed_out) ev_run(W->loop, EVRUN_ONCE);
    CU_ASSERT_FALSE(W->timed_out);
}

/* The runtime's limits: the defaults with short deadlines, then what the test sets. */
static struct live_limits short_limits(void)
{
    struct live_limits lim;
    live_limits_default(&lim, 2);
    lim.header_timeout_ns = lim.body_timeout_ns = lim.idle_timeout_ns = 200 * MS;
    return lim;
}

/* A raw connection from a source address of the loopback (127.0.0.N). */
static int raw_connect_from(struct world *W, int n)
{
    char *host, *err;
    uint16_t port;
    live_parse_hostport(live_listener_name(W->l), &host, &port, &err);
    free(host);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000u | n)};
    CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Sends all of p without blocking the loop (the server reads as the loop runs). */
static void raw_send_all(struct world *W, int fd, const char *p, size_t n)
{
    while (n && !W->timed_out) {
        ssize_t k = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            break;
        } else {
            ev_run(W->loop, EVRUN_ONCE);
        }
    }
    CU_ASSERT_EQUAL(n, 0);
}

struct trickle {
    int fd;
    const char *text;
    size_t sent;
};

static void trickle_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct trickle *t = w->data;
    send(t->fd, t->text + t->sent % strlen(t->text), 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    t->sent++;
}

static void test_rt_a_trickled_head_gets_408_at_its_deadline(void)
{
    const char *cases[][2] = {
        {"GET / HTTP/1.1\r\n", "X-a: b\r\n"},                               /* the head trickles */
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n", "z"}, /* the body */
    };
    for (int k = 0; k < 2; k++) {
        struct world W;
        world_init(&W);
        struct live_limits lim = short_limits();
        live_rt_set_limits(&W.rt, &lim);
        listen_here(&W);
        double start = ev_time();
        int fd = raw_connect(&W);
        raw_send_all(&W, fd, cases[k][0], strlen(cases[k][0]));
        struct trickle t = {fd, cases[k][1], 0};
        ev_timer tick;
        ev_timer_init(&tick, trickle_tick, 0.02, 0.02);
        tick.data = &t;
        ev_timer_start(W.loop, &tick);
        run_until(&W, &W.srv_closed); /* the owner is told when the 408 goes out */
        double lived = ev_time() - start;
        ev_timer_stop(W.loop, &tick);
        char buf[512];
        raw_read_all(fd, buf, sizeof buf);
        CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Connection: close\r\n"));
        CU_ASSERT(t.sent >= 5); /* bytes kept coming: the deadline is a total */
        CU_ASSERT(lived >= 0.19 && lived < 2.0);
        CU_ASSERT_EQUAL(W.rt.st.header_timeouts, k == 0);
        CU_ASSERT_EQUAL(W.rt.st.body_timeouts, k == 1);
        CU_ASSERT_EQUAL(W.requests_seen, 0);
        close(fd);
        world_free(&W);
    }
}

static void test_rt_a_kept_alive_connection_closes_at_the_idle_deadline(void)
{
    struct world W;
    world_init(&W);
    struct live_limits lim = short_limits();
    lim.idle_timeout_ns = 150 * MS;
    live_rt_set_limits(&W.rt, &lim);
    listen_here(&W);
    cli_connect(&W, W.addr);
    cli_get(&W, "/a", NULL);
    while (W.n_got < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    double start = ev_time();
    CU_ASSERT_EQUAL(live_rt_clients(&W.rt), 1);
    run_until(&W, &W.cli_closed);
    double idle = ev_time() - start;
    CU_ASSERT(idle >= 0.14 && idle < 2.0);
    CU_ASSERT_EQUAL(W.cli_close_reason, PX_ECLOSED);
    CU_ASSERT_TRUE(W.srv_closed);
    CU_ASSERT_EQUAL(live_rt_clients(&W.rt), 0);
    CU_ASSERT_EQUAL(W.rt.st.header_timeouts, 0); /* idle is not a timeout: no 408 */
    world_free(&W);
}

static void test_rt_over_the_limit_the_oldest_idle_connection_makes_room(void)
{
    struct world W;
    world_init(&W);
    struct live_limits lim = short_limits();
    lim.header_timeout_ns = 5000 * MS;
    lim.conns_max = 2;
    lim.conns_per_ip_max = 0;
    live_rt_set_limits(&W.rt, &lim);
    listen_here(&W);
    int fd[3];
    for (int i = 0; i < 3; i++) {
        fd[i] = raw_connect(&W);
        run_until_count(&W, &W.rt.st.accepted, (uint64_t)i + 1);
    }
    CU_ASSERT_EQUAL(W.rt.st.evicted, 1);
    CU_ASSERT_EQUAL(W.rt.st.refused, 0);
    CU_ASSERT_TRUE(W.srv_closed);
    CU_ASSERT_EQUAL(live_rt_clients(&W.rt), 2);
    char c;
    CU_ASSERT_EQUAL(recv(fd[0], &c, 1, 0), 0); /* the oldest: closed, without a word */
    /* the newest still works */
    const char req[] = "GET /new HTTP/1.1\r\nHost: h\r\n\r\n";
    raw_send_all(&W, fd[2], req, sizeof req - 1);
    while (W.requests_seen < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL(W.requests_seen, 1);
    for (int i = 0; i < 3; i++) close(fd[i]);
    world_free(&W);
}

static void test_rt_over_the_limit_with_none_idle_the_new_one_is_reset(void)
{
    for (int per_ip = 0; per_ip < 2; per_ip++) {
        struct world W;
        world_init(&W);
        struct live_limits lim = short_limits();
        lim.header_timeout_ns = 5000 * MS;
        lim.conns_max = per_ip ? 10 : 1;
        lim.conns_per_ip_max = per_ip ? 1 : 0;
        live_rt_set_limits(&W.rt, &lim);
        listen_here(&W);
        int busy = raw_connect(&W);
        raw_send_all(&W, busy, "GET / HTTP/1.1\r\n", 16); /* a head on its way: not idle */
        run_until_count(&W, &W.rt.st.accepted, 1);
        run_for(&W, 0.05);
        int fd = raw_connect(&W);
        run_until_count(&W, &W.rt.st.refused, 1);
        char c;
        ssize_t n = recv(fd, &c, 1, 0);
        CU_ASSERT(n == 0 || (n < 0 && errno == ECONNRESET));
        CU_ASSERT_EQUAL(W.rt.st.accepted, 1);
        CU_ASSERT_EQUAL(W.rt.st.evicted, 0);
        CU_ASSERT_EQUAL(live_rt_clients(&W.rt), 1);
        if (per_ip) { /* another address has room */
            int other = raw_connect_from(&W, 2);
            run_until_count(&W, &W.rt.st.accepted, 2);
            CU_ASSERT_EQUAL(live_rt_clients(&W.rt), 2);
            CU_ASSERT_STRING_EQUAL(W.rt.base.ops->conn_peer(RT(&W), W.srv[1]), "127.0.0.2");
            close(other);
        }
        close(fd);
        close(busy);
        world_free(&W);
    }
}

static void test_rt_a_connection_still_writing_its_answer_is_not_idle(void)
{
    struct world W;
    world_init(&W);
    struct live_limits lim = short_limits();
    lim.idle_timeout_ns = 5000 * MS;
    lim.conns_max = 1;
    live_rt_set_limits(&W.rt, &lim);
    listen_here(&W);
    W.answer_body_bytes = 32u << 20; /* more than the sockets hold: the client does not read */
    int fd = raw_connect(&W);
    const char req[] = "GET /big HTTP/1.1\r\nHost: h\r\n\r\n";
    raw_send_all(&W, fd, req, sizeof req - 1);
    while (W.requests_seen < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    run_for(&W, 0.05);
    int other = raw_connect(&W);
    run_until_count(&W, &W.rt.st.refused, 1);
    CU_ASSERT_EQUAL(W.rt.st.evicted, 0);
    CU_ASSERT_FALSE(W.srv_closed);
    close(other);
    close(fd);
    world_free(&W);
}

static void test_rt_a_refused_request_lingers_until_its_answer_is_read(void)
{
    struct world W;
    world_init(&W);
    listen_here(&W);
    int fd = raw_connect(&W);
    /* 200 KB of target: the 414 comes after 8 KiB, the rest is read and dropped */
    size_t n = 200 * 1000;
    char *req = malloc(n + 64);
    memcpy(req, "GET /", 5);
    memset(req + 5, 'a', n);
    strcpy(req + 5 + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
    raw_send_all(&W, fd, req, strlen(req));
    free(req);
    run_until(&W, &W.srv_closed);
    run_for(&W, 0.05);
    char buf[512];
    raw_read_all(fd, buf, sizeof buf); /* an error here (a reset) would leave buf empty */
    CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 414 URI Too Long\r\n", 27), 0);
    CU_ASSERT_EQUAL(W.requests_seen, 0);
    CU_ASSERT_EQUAL(W.rt.st.bad_requests, 1);
    close(fd);
    run_for(&W, 0.05); /* the close is seen: the lingering connection goes */
    CU_ASSERT_EQUAL(live_rt_clients(&W.rt), 0);
    world_free(&W);
}

static void test_rt_an_upstream_answer_over_the_limit_becomes_a_502(void)
{
    struct world W;
    world_init(&W);
    struct live_limits lim = short_limits();
    lim.response_body_bytes_max = 50;
    live_rt_set_limits(&W.rt, &lim);
    listen_here(&W);
    cli_connect(&W, W.addr);
    W.answer_body_bytes = 50; /* at the limit: carried */
    cli_get(&W, "/fits", NULL);
    while (W.n_got < 1 && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL(W.got_status[0], 200);
    W.answer_body_bytes = 51;
    cli_get(&W, "/big", NULL);
    run_until(&W, &W.cli_closed);
    CU_ASSERT_EQUAL_FATAL(W.n_got, 2);
    CU_ASSERT_EQUAL(W.got_status[1], 502);
    CU_ASSERT_EQUAL(W.got_flags[1], PX_FLAG_UC);
    CU_ASSERT_PTR_NOT_NULL(W.got_connection); /* "Connection: close": not pooled */
    CU_ASSERT_EQUAL(W.cli_close_reason, PX_ERESET);
    CU_ASSERT_EQUAL(W.rt.st.responses_too_large, 1);
    world_free(&W);
}

/* A gateway (Kong) or a sidecar (Envoy) whose only host refuses connections, without retries. */
static void refused_cfg(struct px_proxy_cfg *cfg, enum px_proxy_kind kind, uint64_t addr)
{
    struct upstream hosts[2] = {{.addr = addr}, {.addr = addr}};
    outlier_cfg(cfg, hosts);
    cfg->kind = kind;
    struct px_cluster_cfg *cl = &cfg->clusters[0];
    cl->has_outlier = 0;
    px_endpoint_cfg_free(&cl->endpoints[1]); /* one host only */
    cl->n_endpoints = 1;
}

static void test_rt_kong_answers_a_refused_upstream_with_502(void)
{
    struct world W;
    world_init(&W);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    uint64_t dead;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(live_rt_resolve(&W.rt, "127.0.0.1", ntohs(sa.sin_port), &dead, &err), 0);
    /* ngx_http_upstream_next: a failed connect is 502 Bad Gateway; Envoy says 503 UF */
    const enum px_proxy_kind kinds[2] = {PX_PROXY_GATEWAY, PX_PROXY_OUTBOUND};
    const int want[2] = {502, 503};
    for (int k = 0; k < 2; k++) {
        struct px_proxy_cfg cfg;
        refused_cfg(&cfg, kinds[k], dead);
        struct px_proxy *p = px_proxy_new(RT(&W), &cfg);
        char *host;
        uint16_t port;
        CU_ASSERT_EQUAL_FATAL(live_listen(&W.rt, "127.0.0.1:0", proxy_accept, p, &W.l, &err), 0);
        live_parse_hostport(live_listener_name(W.l), &host, &port, &err);
        uint64_t addr;
        live_rt_resolve(&W.rt, host, port, &addr, &err);
        free(host);
        W.connected = 0;
        cli_connect(&W, addr);
        int before = W.n_got;
        cli_get(&W, "/x", NULL);
        while (W.n_got == before && !W.timed_out) ev_run(W.loop, EVRUN_ONCE);
        CU_ASSERT_EQUAL(W.got_status[before], want[k]);
        CU_ASSERT_EQUAL(px_proxy_cluster_stats(p, 0)->flags[__builtin_ctz(PX_FLAG_UF)], 1);
        live_rt_close_all(&W.rt);
        live_listener_close(W.l);
        W.l = NULL;
        px_proxy_free(p);
        px_proxy_cfg_free(&cfg);
    }
    world_free(&W);
}

void suite_live_rt(void)
{
    TEST_SUITE("live/rt");
    TEST_ADD(test_rt_timers_fire_in_order_never_early);
    TEST_ADD(test_rt_refused_connect_is_told_from_the_loop);
    TEST_ADD(test_rt_carries_requests_and_responses);
    TEST_ADD(test_rt_answers_pipelined_requests_in_order);
    TEST_ADD(test_rt_connection_close_ends_the_connection_after_the_answer);
    TEST_ADD(test_rt_http10_keep_alive_is_answered_in_kind);
    TEST_ADD(test_rt_reset_is_seen_as_reset);
    TEST_ADD(test_rt_graceful_close_writes_everything_first);
    TEST_ADD(test_rt_malformed_request_gets_400);
    TEST_ADD(test_rt_drain_closes_idle_connections);
    TEST_ADD(test_rt_drain_closes_busy_connections_after_their_answer);
    TEST_ADD(test_rt_addresses_and_names);
    TEST_ADD(test_rt_proxy_ejects_a_failing_host_live);
    TEST_ADD(test_rt_proxy_propagates_trace_headers_live);
    TEST_ADD(test_rt_a_trickled_head_gets_408_at_its_deadline);
    TEST_ADD(test_rt_a_kept_alive_connection_closes_at_the_idle_deadline);
    TEST_ADD(test_rt_over_the_limit_the_oldest_idle_connection_makes_room);
    TEST_ADD(test_rt_over_the_limit_with_none_idle_the_new_one_is_reset);
    TEST_ADD(test_rt_a_connection_still_writing_its_answer_is_not_idle);
    TEST_ADD(test_rt_a_refused_request_lingers_until_its_answer_is_read);
    TEST_ADD(test_rt_an_upstream_answer_over_the_limit_becomes_a_502);
    TEST_ADD(test_rt_kong_answers_a_refused_upstream_with_502);
}
