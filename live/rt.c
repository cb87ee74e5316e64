/*
 * rt.c - the live runtime (see rt.h): px_rt_ops over libev and sockets.
 * Here: the runtime itself (init, fini), its ops table, the clock, the
 * random stream, timers, work, spans (kept by rt_spans.c) and events, the log line its files
 * share (rt_internal.h), and the limits' defaults (the descriptor limit
 * read once, with getrlimit).
 *
 * The clock is CLOCK_MONOTONIC plus an offset taken once at init, so that
 * it reads as Unix time and never steps. A px_timer's ev_timer lives
 * inside px_timer.state (checked at build time); it is armed against
 * libev's loop time brought up to date first, so that it never fires
 * early. The loop's userdata is the runtime. What arises inside a function
 * the proxy called is told from an ev_check watcher (rt_conn.c's
 * live_pend_run), which alone does not keep the loop running.
 *
 * Not here: connections and the ops that act on them (rt_conn.c),
 * addresses (rt_addr.c), listening (rt_listen.c), enforcing the limits
 * (rt_conn.c, rt_limit.c, rt_listen.c). Work is not queued: the
 * CPU is real, the continuation runs at once.
 */
#include "live/rt.h"

#include <assert.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "live/rt_internal.h"

/* The timer of a px_timer is an ev_timer inside its state. */
static_assert(sizeof(ev_timer) <= sizeof(((struct px_timer *)0)->state),
              "ev_timer does not fit in px_timer.state");
static_assert(_Alignof(ev_timer) <= _Alignof(uint64_t), "ev_timer alignment");

void live_logf(struct live_rt *rt, const char *fmt, ...)
{
    if (!rt->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "faultline: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---------------------------------------------------------------- clock, random, timers */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t rt_now(struct px_rt *rt)
{
    return mono_ns() + live_rt_of(rt)->epoch_offset_ns;
}

static uint64_t rt_random(struct px_rt *rt)
{
    return fl_rng_next(&live_rt_of(rt)->rng);
}

static ev_timer *ev_timer_of(struct px_timer *t)
{
    return (ev_timer *)(void *)t->state;
}

static void timer_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct px_timer *t = w->data;
    struct live_rt *rt = ev_userdata(loop);
    t->cb(&rt->base, t->arg); /* t may be freed by now */
}

static void rt_timer_init(struct px_rt *rt, struct px_timer *t, px_timer_cb cb, void *arg)
{
    (void)rt;
    memset(t->state, 0, sizeof t->state);
    t->cb = cb;
    t->arg = arg;
    ev_timer *w = ev_timer_of(t);
    ev_init(w, timer_fire);
    w->data = t;
}

static void rt_timer_arm(struct px_rt *prt, struct px_timer *t, int64_t at_ns)
{
    struct live_rt *rt = live_rt_of(prt);
    ev_timer *w = ev_timer_of(t);
    FL_ASSERT(w->data == t); /* initialised, and not moved since */
    ev_timer_stop(rt->loop, w);
    /* libev counts from its cached loop time: bring it to now so the timer is not early */
    ev_now_update(rt->loop);
    int64_t after_ns = at_ns - rt_now(prt);
    ev_timer_set(w, after_ns > 0 ? (double)after_ns * 1e-9 : 0.0, 0.0);
    ev_timer_start(rt->loop, w);
}

static void rt_timer_cancel(struct px_rt *prt, struct px_timer *t)
{
    ev_timer_stop(live_rt_of(prt)->loop, ev_timer_of(t));
}

/* ---------------------------------------------------------------- the proxy's other calls */

static struct px_msg *rt_msg_new(struct px_rt *rt)
{
    (void)rt;
    return live_msg_new();
}

static void rt_msg_free(struct px_rt *rt, struct px_msg *m)
{
    (void)rt;
    live_msg_free(m);
}

static void rt_work(struct px_rt *rt, int64_t cost_ns, px_timer_cb cb, void *arg)
{
    (void)cost_ns; /* the CPU is real here: the work was done by the caller */
    cb(rt, arg);
}

static void rt_span(struct px_rt *prt, const struct px_span *s)
{
    struct live_rt *rt = live_rt_of(prt);
    live_rt_span_keep(rt, s);
    if (!rt->verbose) return;
    char flags[64];
    live_logf(rt, "span %s %s -> %s status %d %.3fms attempt %u flags %s", s->name ? s->name : "-",
              s->service ? s->service : "-", s->peer ? s->peer : "-", s->status,
              (double)(s->end_ns - s->start_ns) * 1e-6, s->attempt,
              px_flags_format(s->flags, flags, sizeof flags));
}

static void rt_event(struct px_rt *prt, const struct px_event *e)
{
    static const char *const names[] = {"eject",    "uneject",   "panic",
                                        "overflow", "ratelimit", "ratelimit-store"};
    struct live_rt *rt = live_rt_of(prt);
    if ((unsigned)e->kind <= PX_EV_RL_STORE) rt->st.events[e->kind]++;
    if (e->kind == PX_EV_RL_STORE) {
        if (e->value)
            rt->st.rl_unchecked++;
        else
            rt->st.rl_failed++;
    }
    live_logf(rt, "event %s proxy %s cluster %s host %s value %lld",
              (unsigned)e->kind <= PX_EV_RL_STORE ? names[e->kind] : "?", e->proxy ? e->proxy : "-",
              e->cluster ? e->cluster : "-", e->host ? e->host : "-", (long long)e->value);
}

/* The wall clock (token expiry is checked against it, as Kong's ngx.time()). */
static int64_t rt_unix_now(struct px_rt *rt)
{
    (void)rt;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    return (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec;
}

/* The verified peer of a mutual TLS connection (tls.h), else NULL: plaintext. */
static const char *rt_conn_principal(struct px_rt *rt, struct px_conn *c)
{
    (void)rt;
    FL_ASSERT(c);
    return c->tls ? live_tls_principal(c) : NULL;
}

static const struct px_rt_ops live_ops = {
    .now = rt_now,
    .draw = rt_random,
    .timer_init = rt_timer_init,
    .timer_arm = rt_timer_arm,
    .timer_cancel = rt_timer_cancel,
    .connect = live_op_connect,
    .conn_bind = live_op_conn_bind,
    .send = live_op_send,
    .conn_close = live_op_conn_close,
    .conn_reset = live_op_conn_reset,
    .conn_release = live_op_conn_release,
    .msg_new = rt_msg_new,
    .msg_free = rt_msg_free,
    .work = rt_work,
    .span = rt_span,
    .event = rt_event,
    .conn_peer = live_op_conn_peer,
    .unix_now = rt_unix_now,
    .kv_incr = live_op_kv_incr,
    .conn_principal = rt_conn_principal,
};

/* ---------------------------------------------------------------- the runtime */

uint64_t live_seed_random(void)
{
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, &seed, sizeof seed);
        close(fd);
        if (n == (ssize_t)sizeof seed) return seed;
    }
    uint64_t t = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32);
    return fl_splitmix64(&t);
}

void live_rt_init(struct live_rt *rt, struct ev_loop *loop, uint64_t seed, int verbose)
{
    memset(rt, 0, sizeof *rt);
    rt->base.ops = &live_ops;
    rt->loop = loop;
    rt->seed = seed;
    fl_rng_seed(&rt->rng, seed);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    rt->epoch_offset_ns = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec - mono_ns();
    rt->verbose = verbose;
    live_limits_default(&rt->lim, 2);
    ev_set_userdata(loop, rt);
    ev_check_init(&rt->pend_check, live_pend_run);
    ev_check_start(loop, &rt->pend_check);
    ev_unref(loop); /* the check alone does not keep the loop running */
    ev_idle_init(&rt->pend_idle, live_pend_idle);
}

void live_limits_default(struct live_limits *l, unsigned fds_per_conn)
{
    FL_ASSERT(fds_per_conn >= 1);
    memset(l, 0, sizeof *l);
    l->header_timeout_ns = LIVE_HEADER_TIMEOUT_NS;
    l->body_timeout_ns = LIVE_BODY_TIMEOUT_NS;
    l->idle_timeout_ns = LIVE_IDLE_TIMEOUT_NS;
    struct rlimit nofile;
    uint64_t fds = LIVE_CONNS_MAX * (uint64_t)fds_per_conn + LIVE_FDS_RESERVED;
    if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur != RLIM_INFINITY &&
        nofile.rlim_cur < fds)
        fds = nofile.rlim_cur;
    uint64_t conns = fds > LIVE_FDS_RESERVED ? (fds - LIVE_FDS_RESERVED) / fds_per_conn : 1;
    l->conns_max = (uint32_t)(conns < 1 ? 1 : conns > LIVE_CONNS_MAX ? LIVE_CONNS_MAX : conns);
    l->conns_per_ip_max = l->conns_max > 1 ? l->conns_max / 2 : 1;
    l->request.uri_bytes_max = LIVE_H1_URI_BYTES_MAX;
    l->request.header_bytes_max = LIVE_H1_HEADER_BYTES_MAX;
    l->request.body_bytes_max = LIVE_H1_BODY_BYTES_MAX;
    l->response_body_bytes_max = LIVE_RESPONSE_BODY_BYTES_MAX;
}

void live_rt_set_limits(struct live_rt *rt, const struct live_limits *lim)
{
    FL_ASSERT(lim->header_timeout_ns >= 0 && lim->body_timeout_ns >= 0);
    FL_ASSERT(lim->idle_timeout_ns >= 0);
    FL_ASSERT(lim->request.uri_bytes_max && lim->request.header_bytes_max);
    FL_ASSERT(lim->request.body_bytes_max && lim->response_body_bytes_max);
    FL_ASSERT(!rt->n_clients); /* before anyone connects */
    rt->lim = *lim;
}

void live_rt_fini(struct live_rt *rt)
{
    live_kv_fini(rt);
    live_conn_free_all(rt);
    live_limit_fini(rt);
    live_tls_rt_fini(rt);
    ev_ref(rt->loop);
    ev_check_stop(rt->loop, &rt->pend_check);
    ev_idle_stop(rt->loop, &rt->pend_idle);
    for (size_t i = 0; i < rt->n_addrs; i++) {
        free(rt->addrs[i].name);
        free(rt->addrs[i].sni);
    }
    free(rt->addrs);
    rt->addrs = NULL;
    rt->n_addrs = rt->cap_addrs = 0;
}
