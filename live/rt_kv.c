/*
 * rt_kv.c - the live runtime's counter stores (px_rt_ops.kv_incr): Redis
 * servers, through hiredis's asynchronous API on the runtime's libev loop
 * (hiredis/adapters/libev.h).
 *
 * One connection per store (host, port, database, credentials), opened on
 * first use, with AUTH and SELECT queued first when configured. A request
 * sends one EVAL per key, pipelined (hiredis writes the commands queued
 * before the loop runs together): the script increments the key, sets its
 * expiry when the increment created it, and returns the count before --
 * what Kong's rate-limiting policy redis runs for each period
 * (policies/init.lua, usage with sync_rate -1).
 *
 * Failures, as Kong's lua-resty-redis sees them: a refused connection
 * (PX_ECONNREFUSED), no answer within the request's timeout (PX_ETIMEDOUT:
 * the connection is then dropped, as a stalled server holds every command
 * behind it), the connection lost (PX_ECLOSED), an error reply
 * (PX_ESTORE). A dropped or lost connection is opened again by the next
 * request: a store that comes back is used again.
 *
 * Every request is answered exactly once from the loop (a timer or a
 * hiredis callback), never inside kv_incr; at live_kv_fini the requests
 * still waiting are answered PX_ECLOSED.
 *
 * hiredis resolves a host name when it connects (getaddrinfo, blocking)
 * and writes with write(2): the process must ignore SIGPIPE, as faultline's
 * long-running commands do (cli_signals_start).
 */
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "live/rt_internal.h"

#define KV_KEYS_MAX 8

/* Increment, expire when new, answer the count before (one key, one expiry in seconds). */
static const char incr_script[] = "local n = redis.call('incr', KEYS[1]) "
                                  "if n == 1 then redis.call('expire', KEYS[1], ARGV[1]) end "
                                  "return n - 1";

struct kv_store {
    struct kv_store *next;
    struct live_rt *rt;
    char *host;
    int port, database;
    char *username, *password;
    redisAsyncContext *ac; /* NULL: not connected */
};

struct kv_op {
    struct kv_op *prev, *next; /* the runtime's requests not yet freed */
    struct live_rt *rt;
    struct kv_store *st; /* the store asked */
    px_kv_cb cb;
    void *arg;
    ev_timer timer; /* the request's deadline (or 0: an error to tell at once) */
    size_t n, got;  /* keys asked, answers come */
    size_t replies; /* hiredis callbacks still to come */
    int status;     /* the first error, or PX_OK */
    int answered;   /* cb ran */
    int64_t values[KV_KEYS_MAX];
};

struct live_kv {
    struct kv_store *stores;
    struct kv_op *ops;
};

static struct live_kv *kv_of(struct live_rt *rt)
{
    if (!rt->kv) rt->kv = fl_calloc(1, sizeof *rt->kv);
    return rt->kv;
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static void op_unlink_free(struct kv_op *op)
{
    struct live_kv *kv = op->rt->kv;
    FL_ASSERT(op->answered && op->replies == 0);
    if (op->prev)
        op->prev->next = op->next;
    else
        kv->ops = op->next;
    if (op->next) op->next->prev = op->prev;
    free(op);
}

/* Tells the proxy (once); the op is freed when hiredis has nothing more for it. */
static void op_answer(struct kv_op *op, int status)
{
    FL_ASSERT(!op->answered);
    op->answered = 1;
    ev_timer_stop(op->rt->loop, &op->timer);
    if (status == PX_OK) FL_ASSERT(op->got == op->n);
    op->cb(&op->rt->base, op->arg, status, status == PX_OK ? op->values : NULL);
    if (op->replies == 0) op_unlink_free(op);
}

/* Forgets the store's connection; hiredis answers its pending commands with NULL. */
static void store_drop(struct kv_store *st)
{
    redisAsyncContext *ac = st->ac;
    if (!ac) return;
    st->ac = NULL;
    ac->data = NULL;
    redisAsyncFree(ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct kv_store *st = ac->data;
    if (status == REDIS_OK || !st) return;
    live_logf(st->rt, "redis %s:%d: cannot connect: %s", st->host, st->port, ac->errstr);
    st->ac = NULL; /* hiredis frees it, and fails what was queued */
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct kv_store *st = ac->data;
    if (!st) return;
    if (status != REDIS_OK)
        live_logf(st->rt, "redis %s:%d: connection lost: %s", st->host, st->port, ac->errstr);
    st->ac = NULL;
}

static void setup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct kv_store *st = ac->data;
    redisReply *r = reply;
    (void)priv;
    if (st && r && r->type == REDIS_REPLY_ERROR)
        live_logf(st->rt, "redis %s:%d: %s", st->host, st->port, r->str);
}

static void op_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct kv_op *op = priv;
    redisReply *r = reply;
    FL_ASSERT(op->replies > 0);
    op->replies--;
    if (!r) {
        if (op->status == PX_OK)
            op->status = (ac->c.flags & REDIS_CONNECTED) ? PX_ECLOSED : PX_ECONNREFUSED;
    } else if (r->type == REDIS_REPLY_INTEGER && op->got < op->n) {
        op->values[op->got++] = r->integer;
    } else if (op->status == PX_OK) {
        op->status = PX_ESTORE;
        live_logf(op->rt, "redis: unexpected reply: %s",
                  r->type == REDIS_REPLY_ERROR ? r->str : "not an integer");
    }
    if (op->replies) return;
    if (!op->answered)
        op_answer(op, op->status);
    else
        op_unlink_free(op);
}

static void op_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct kv_op *op = w->data;
    (void)loop;
    (void)revents;
    if (op->answered) return;
    if (op->status == PX_OK) op->status = PX_ETIMEDOUT;
    if (!op->replies) { /* an error found when sending, told from the loop */
        op_answer(op, op->status);
        return;
    }
    /*
     * A server that stalls holds every command behind this one: the
     * connection goes, before the proxy hears of it (a request it sends in
     * answer takes a new one). Its callbacks run now, this op's last one
     * answering it with the timeout and freeing it.
     */
    struct kv_store *st = op->st;
    FL_ASSERT(st->ac);
    live_logf(st->rt, "redis %s:%d: no answer in time, reconnecting", st->host, st->port);
    store_drop(st);
}

static struct kv_store *store_find(struct live_rt *rt, const struct px_kv_store *s)
{
    struct live_kv *kv = kv_of(rt);
    for (struct kv_store *st = kv->stores; st; st = st->next)
        if (st->port == s->port && st->database == s->database && !strcmp(st->host, s->host) &&
            same(st->username, s->username) && same(st->password, s->password))
            return st;
    struct kv_store *st = fl_calloc(1, sizeof *st);
    st->rt = rt;
    st->host = fl_strdup(s->host);
    st->port = s->port;
    st->database = s->database;
    st->username = s->username ? fl_strdup(s->username) : NULL;
    st->password = s->password ? fl_strdup(s->password) : NULL;
    st->next = kv->stores;
    kv->stores = st;
    return st;
}

/* Opens the store's connection if it has none; 0 when there is one. */
static int store_connect(struct kv_store *st)
{
    if (st->ac) return 0;
    redisAsyncContext *ac = redisAsyncConnect(st->host, st->port);
    if (!ac) return -1;
    if (ac->err) {
        live_logf(st->rt, "redis %s:%d: cannot connect: %s", st->host, st->port, ac->errstr);
        redisAsyncFree(ac);
        return -1;
    }
    ac->data = st;
    redisLibevAttach(st->rt->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    st->ac = ac;
    if (st->password && st->username)
        redisAsyncCommand(ac, setup_reply, NULL, "AUTH %s %s", st->username, st->password);
    else if (st->password)
        redisAsyncCommand(ac, setup_reply, NULL, "AUTH %s", st->password);
    if (st->database) redisAsyncCommand(ac, setup_reply, NULL, "SELECT %d", st->database);
    return 0;
}

void live_op_kv_incr(struct px_rt *prt, const struct px_kv_req *req, px_kv_cb cb, void *arg)
{
    struct live_rt *rt = live_rt_of(prt);
    FL_ASSERT(req && req->store && req->store->host && cb);
    FL_ASSERT(req->n >= 1 && req->n <= KV_KEYS_MAX && req->timeout_ns > 0);
    struct live_kv *kv = kv_of(rt);
    struct kv_op *op = fl_calloc(1, sizeof *op);
    op->rt = rt;
    op->cb = cb;
    op->arg = arg;
    op->n = req->n;
    op->next = kv->ops;
    if (kv->ops) kv->ops->prev = op;
    kv->ops = op;
    struct kv_store *st = store_find(rt, req->store);
    op->st = st;
    double after = (double)req->timeout_ns * 1e-9;
    if (store_connect(st)) {
        op->status = PX_ECONNREFUSED;
        after = 0; /* told from the loop, not from here */
    } else {
        for (size_t i = 0; i < req->n; i++) {
            char expire[24];
            snprintf(expire, sizeof expire, "%lld", (long long)req->expire_s[i]);
            const char *argv[] = {"EVAL", incr_script, "1", req->keys[i], expire};
            if (redisAsyncCommandArgv(st->ac, op_reply, op, 5, argv, NULL) != REDIS_OK) {
                op->status = PX_ECLOSED;
                after = 0;
                break;
            }
            op->replies++;
        }
    }
    ev_timer_init(&op->timer, op_deadline, after, 0);
    op->timer.data = op;
    FL_ASSERT(op->replies <= op->n && (op->replies == op->n || op->status != PX_OK));
    ev_timer_start(rt->loop, &op->timer);
}

void live_kv_fini(struct live_rt *rt)
{
    struct live_kv *kv = rt->kv;
    if (!kv) return;
    /* the connections first: hiredis fails their commands (PX_ECLOSED) */
    for (struct kv_store *st = kv->stores; st; st = st->next) store_drop(st);
    while (kv->ops) { /* what is left waited for nothing from hiredis */
        struct kv_op *op = kv->ops;
        FL_ASSERT(op->replies == 0);
        if (!op->answered)
            op_answer(op, PX_ECLOSED);
        else
            op_unlink_free(op);
    }
    while (kv->stores) {
        struct kv_store *st = kv->stores;
        kv->stores = st->next;
        free(st->host);
        free(st->username);
        free(st->password);
        free(st);
    }
    free(kv);
    rt->kv = NULL;
}
