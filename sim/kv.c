/*
 * kv.c - Redis in the simulated world (see kv.h): a pod's counters, and
 * the requests a proxy sends to them.
 *
 * The counters: a chained hash table per pod, key -> (count, expiry).
 * An expired counter reads as missing, as Redis's lazy expiry makes it;
 * the table is swept of expired counters when it has doubled since the
 * last sweep. The increment is what Kong's script does per period
 * (policies/init.lua: INCR, then EXPIRE when the INCR created the key,
 * the count before as the answer).
 *
 * The requests: one connection per request, kept in the world's idle pool
 * for the next one (Kong's lua-resty-redis keepalive pool), to a pod of
 * the service chosen as kube-proxy would (sim_endpoints_pick, from a
 * stream of the proxy's own for this); a deadline per request, the
 * plugin's redis timeout: at it the connection is closed and the request
 * fails PX_ETIMEDOUT. A refused connection fails PX_ECONNREFUSED (or the
 * network's error), a reset one PX_ECLOSED, an answer other than 200 (a
 * full queue, an `errors` fault) PX_ESTORE, a host that is no service of
 * the scenario PX_EDNS.
 */
#include "sim/kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/endpoints.h"
#include "sim/rt.h"
#include "sim/world.h"

#define KV_KEYS_MAX 8
#define NS_PER_S    INT64_C(1000000000)

/* ---------------------------------------------------------------- a pod's counters */

struct kv_entry {
    char *key;
    int64_t count;
    int64_t expire_ns;
    struct kv_entry *next;
};

struct sim_kv_table {
    struct kv_entry **buckets;
    size_t n_buckets, n, swept_at;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h =
        UINT64_C(14695981039346656037); /* FNV-1a: buckets only, never iterated for output */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static void table_free(struct sim_kv_table *t)
{
    for (size_t i = 0; t && i < t->n_buckets; i++)
        for (struct kv_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e);
        }
    if (t) free(t->buckets);
    free(t);
}

/* Drops the expired counters; doubles the buckets when the table is full. */
static void table_sweep(struct sim_kv_table *t, int64_t now_ns)
{
    for (size_t i = 0; i < t->n_buckets; i++) {
        struct kv_entry **pp = &t->buckets[i];
        while (*pp) {
            struct kv_entry *e = *pp;
            if (e->expire_ns > now_ns) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            free(e->key);
            free(e);
            t->n--;
        }
    }
    if (t->n >= t->n_buckets) {
        size_t nb = t->n_buckets * 2;
        struct kv_entry **b = fl_calloc(nb, sizeof *b);
        for (size_t i = 0; i < t->n_buckets; i++)
            for (struct kv_entry *e = t->buckets[i], *next; e; e = next) {
                next = e->next;
                size_t k = hash_key(e->key) & (nb - 1);
                e->next = b[k];
                b[k] = e;
            }
        free(t->buckets);
        t->buckets = b;
        t->n_buckets = nb;
    }
    t->swept_at = t->n;
    FL_ASSERT((t->n_buckets & (t->n_buckets - 1)) == 0);
}

/* INCR key (EXPIRE when created): the count before. */
static int64_t table_incr(struct sim_kv_table *t, const char *key, int64_t expire_s, int64_t now_ns)
{
    if (t->n >= 2 * t->swept_at + 64) table_sweep(t, now_ns);
    size_t k = hash_key(key) & (t->n_buckets - 1);
    struct kv_entry *e = t->buckets[k];
    while (e && strcmp(e->key, key)) e = e->next;
    if (!e) {
        e = fl_calloc(1, sizeof *e);
        e->key = fl_strdup(key);
        e->next = t->buckets[k];
        t->buckets[k] = e;
        t->n++;
        e->expire_ns = 0; /* expired: set below */
    }
    if (e->expire_ns <= now_ns) { /* missing or expired: created by this INCR */
        e->count = 0;
        e->expire_ns = now_ns + expire_s * NS_PER_S;
    }
    FL_ASSERT(e->count >= 0 && e->expire_ns > now_ns);
    return e->count++;
}

int sim_kv_is_request(const struct px_msg *m)
{
    /* the first letter first: this is asked of every request a pod receives */
    return m && m->status == 0 && m->method && m->method[0] == 'E' && !strcmp(m->method, "EVAL");
}

void sim_kv_serve(struct sim_world *w, struct sim_pod *pod, const struct px_msg *req,
                  struct px_msg *resp)
{
    FL_ASSERT(sim_kv_is_request(req) && resp->status == 200);
    if (!pod->kv) {
        pod->kv = fl_calloc(1, sizeof *pod->kv);
        pod->kv->n_buckets = 64;
        pod->kv->buckets = fl_calloc(pod->kv->n_buckets, sizeof *pod->kv->buckets);
    }
    char name[48], value[32];
    for (int i = 0; i < KV_KEYS_MAX; i++) {
        snprintf(name, sizeof name, "x-redis-key-%d", i);
        const char *v = px_msg_header(req, name);
        if (!v) break;
        char *end;
        long long expire_s = strtoll(v, &end, 10);
        FL_ASSERT(end != v && *end == ' ' && expire_s > 0);
        int64_t before = table_incr(pod->kv, end + 1, expire_s, sim_now(&w->k));
        snprintf(name, sizeof name, "x-redis-value-%d", i);
        snprintf(value, sizeof value, "%lld", (long long)before);
        px_msg_add_header(resp, name, value);
    }
}

void sim_kv_pod_reset(struct sim_pod *pod)
{
    table_free(pod->kv);
    pod->kv = NULL;
}

/* ---------------------------------------------------------------- a proxy's requests */

struct sim_kv_op {
    struct sim_kv_op *prev, *next; /* the proxy's requests waiting */
    struct sim_proxy *sp;
    px_kv_cb cb;
    void *arg;
    struct sim_conn *conn; /* held while the request is on it */
    struct px_msg *msg;    /* to send once connected */
    struct sim_timer timer;
    int fail; /* told at once (the timer at now): PX_EDNS */
    size_t n;
    int64_t values[KV_KEYS_MAX];
};

static void op_finish(struct sim_kv_op *op, int status)
{
    struct sim_proxy *sp = op->sp;
    struct sim_world *w = sp->w;
    FL_ASSERT(!op->conn);
    sim_timer_cancel(&w->k, &op->timer);
    if (op->prev)
        op->prev->next = op->next;
    else
        sp->kv_ops = op->next;
    if (op->next) op->next->prev = op->prev;
    if (op->msg) sim_msg_free(w, op->msg);
    px_kv_cb cb = op->cb;
    void *arg = op->arg;
    int64_t values[KV_KEYS_MAX];
    memcpy(values, op->values, sizeof values);
    free(op);
    cb(&sp->rt, arg, status, status == PX_OK ? values : NULL);
}

static void op_send(struct sim_kv_op *op)
{
    FL_ASSERT(op->conn && op->msg);
    struct px_msg *m = op->msg;
    op->msg = NULL;
    sim_conn_send(op->sp->w, op->conn, 0, m);
}

static void op_connected(void *ctx, struct px_conn *pc, int status)
{
    struct sim_kv_op *op = ctx;
    FL_ASSERT(op->conn == sim_conn_of(pc));
    if (status == PX_OK) {
        op_send(op);
        return;
    }
    op->conn = NULL;
    sim_conn_release(op->sp->w, sim_conn_of(pc));
    op_finish(op, status);
}

static void op_message(void *ctx, struct px_conn *pc, struct px_msg *m)
{
    struct sim_kv_op *op = ctx;
    struct sim_world *w = op->sp->w;
    FL_ASSERT(op->conn == sim_conn_of(pc));
    int status = m->status == 200 ? PX_OK : PX_ESTORE;
    char name[48];
    for (size_t i = 0; i < op->n && status == PX_OK; i++) {
        snprintf(name, sizeof name, "x-redis-value-%zu", i);
        const char *v = px_msg_header(m, name);
        if (!v) status = PX_ESTORE;
        if (v) op->values[i] = strtoll(v, NULL, 10);
    }
    sim_msg_free(w, m);
    op->conn = NULL;
    sim_conn_park(w, sim_conn_of(pc));
    op_finish(op, status);
}

static void op_closed(void *ctx, struct px_conn *pc, int reason)
{
    struct sim_kv_op *op = ctx;
    (void)reason;
    FL_ASSERT(op->conn == sim_conn_of(pc));
    op->conn = NULL;
    sim_conn_release(op->sp->w, sim_conn_of(pc));
    op_finish(op, PX_ECLOSED);
}

static const struct px_conn_cbs op_cbs = {op_connected, op_message, op_closed};

/* Drops the request's connection: closed, and an answer under way finds nobody. */
static void op_drop_conn(struct sim_kv_op *op)
{
    struct sim_conn *c = op->conn;
    if (!c) return;
    op->conn = NULL;
    sim_conn_close(op->sp->w, c, 0, 0);
    sim_conn_bind(c, 0, NULL, NULL);
    sim_conn_release(op->sp->w, c);
}

static void op_deadline(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_kv_op *op = t->data;
    (void)k;
    int status = op->fail ? op->fail : PX_ETIMEDOUT;
    op_drop_conn(op);
    op_finish(op, status);
}

static int service_named(const struct sim_world *w, const char *host)
{
    for (size_t s = 0; s < w->sc->n_services; s++)
        if (!strcmp(w->sc->services[s].name, host)) return (int)s;
    return -1;
}

void sim_kv_request(struct sim_proxy *sp, const struct px_kv_req *req, px_kv_cb cb, void *arg)
{
    struct sim_world *w = sp->w;
    FL_ASSERT(req && req->store && req->store->host && cb);
    FL_ASSERT(req->n >= 1 && req->n <= KV_KEYS_MAX && req->timeout_ns > 0);
    if (!sp->kv_rng_ready) { /* a stream of its own: the proxy's other draws stay the same */
        char *stream = fl_asprintf("kv/%s", sp->name);
        fl_rng_derive(&sp->kv_rng, w->sc->seed, stream);
        free(stream);
        sp->kv_rng_ready = 1;
    }
    struct sim_kv_op *op = fl_calloc(1, sizeof *op);
    op->sp = sp;
    op->cb = cb;
    op->arg = arg;
    op->n = req->n;
    op->next = sp->kv_ops;
    if (sp->kv_ops) sp->kv_ops->prev = op;
    sp->kv_ops = op;
    sim_timer_init(&op->timer, op_deadline, op);
    int svc = service_named(w, req->store->host);
    if (svc < 0 || w->services[svc].n_pods == 0) {
        op->fail = PX_EDNS;
        sim_timer_arm(&w->k, &op->timer, sim_now(&w->k)); /* told from the kernel, not from here */
        return;
    }
    struct px_msg *m = sim_msg_new(w);
    m->method = "EVAL";
    m->path = "/";
    m->authority = w->sc->services[svc].name;
    char name[48];
    for (size_t i = 0; i < req->n; i++) {
        snprintf(name, sizeof name, "x-redis-key-%zu", i);
        char *value = fl_asprintf("%lld %s", (long long)req->expire_s[i], req->keys[i]);
        px_msg_add_header(m, name, value);
        free(value);
    }
    m->body_bytes = 64 * req->n; /* EVAL, the script's digest, a key, an expiry */
    op->msg = m;
    uint32_t dst = w->pods[sim_endpoints_pick(w, (uint32_t)svc, &sp->kv_rng)].node;
    struct sim_conn *c = sim_conn_take_idle(w, sp->node, dst, SIM_PORT_SERVICE);
    if (c) {
        op->conn = c;
        sim_conn_bind(c, 0, &op_cbs, op);
        op_send(op);
    } else {
        op->conn = sim_conn_open(w, sp->node, dst, SIM_PORT_SERVICE, &op_cbs, op);
    }
    sim_timer_arm(&w->k, &op->timer, sim_now(&w->k) + req->timeout_ns);
    FL_ASSERT(op->conn && op->conn->refs > 0);
}

void sim_kv_proxy_free(struct sim_proxy *sp)
{
    while (sp->kv_ops) {
        struct sim_kv_op *op = sp->kv_ops;
        if (op->conn) { /* the world goes away too: let go of it quietly */
            sim_conn_bind(op->conn, 0, NULL, NULL);
            sim_conn_release(sp->w, op->conn);
            op->conn = NULL;
        }
        op_finish(op, PX_ECLOSED);
    }
}
