/*
 * ztunnel.c - Istio ambient mode's node proxy (see ztunnel.h): a tunnel
 * per accepted connection, bytes (here: whole messages) copied both ways,
 * nothing looked at above L4.
 *
 * A tunnel lives from accept until either end closes; the other end is then
 * closed the same way (a reset stays a reset). A tunnel that cannot reach
 * its endpoint resets the client's connection: ztunnel has no HTTP to
 * answer with, so the client sees its connection die (Istio ambient docs,
 * "ztunnel": L4 only; L7 needs a waypoint).
 */
#include "proxies/ztunnel.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#define QUEUE_MAX 4096 /* messages waiting in one direction of one tunnel */

struct msgq {
    struct px_msg **m;
    size_t head, len, cap;
};

struct tunnel {
    struct tunnel *prev, *next; /* the ztunnel's live tunnels; next: its free list */
    struct px_ztunnel *z;
    struct px_conn *down, *up;
    int svc;          /* the service (outbound), or -1 (inbound) */
    uint64_t target;  /* where the upstream connection goes */
    int up_ready;     /* the upstream connection is open */
    int busy[2];      /* a message of that direction is being forwarded (CPU) */
    uint32_t in_work; /* CPU continuations queued for it */
    int dead;         /* ended: freed once nothing is queued for it */
    struct msgq q[2]; /* [0] down -> up, [1] up -> down */
};

struct px_ztunnel {
    struct px_rt *rt;
    const struct px_ztunnel_cfg *cfg;
    struct px_zt_stats st;
    struct tunnel *tunnels;
    struct tunnel *free_tunnels; /* ended ones, reused (their queues keep their arrays) */
};

/* ---- queues ---- */

static void q_push(struct msgq *q, struct px_msg *m)
{
    if (q->head + q->len == q->cap && q->head) {
        memmove(q->m, q->m + q->head, q->len * sizeof *q->m);
        q->head = 0;
    }
    FL_GROW(q->m, q->cap, q->head + q->len + 1);
    q->m[q->head + q->len++] = m;
    FL_ASSERT(q->head + q->len <= q->cap);
}

static struct px_msg *q_pop(struct msgq *q)
{
    FL_ASSERT(q->len > 0);
    struct px_msg *m = q->m[q->head++];
    if (--q->len == 0) q->head = 0;
    return m;
}

/* Frees the messages waiting; the array stays for the tunnel's next use. */
static void q_drop(struct px_rt *rt, struct msgq *q)
{
    while (q->len) px_msg_free(rt, q_pop(q));
    q->head = 0;
}

/* ---- tunnels ---- */

static void tunnel_maybe_free(struct tunnel *t)
{
    if (!t->dead || t->in_work) return;
    /* an ended tunnel holds no connection and no message */
    FL_ASSERT(!t->down && !t->up && !t->q[0].len && !t->q[1].len);
    struct px_ztunnel *z = t->z;
    if (t->prev)
        t->prev->next = t->next;
    else
        z->tunnels = t->next;
    if (t->next) t->next->prev = t->prev;
    t->next = z->free_tunnels;
    z->free_tunnels = t;
}

static struct tunnel *tunnel_new(struct px_ztunnel *z)
{
    struct tunnel *t = z->free_tunnels;
    struct msgq q[2] = {{0}, {0}};
    if (t) {
        z->free_tunnels = t->next;
        FL_ASSERT(t->dead && !t->in_work && !t->q[0].len && !t->q[1].len);
        memcpy(q, t->q, sizeof q);
    } else {
        t = fl_malloc(sizeof *t);
    }
    memset(t, 0, sizeof *t);
    memcpy(t->q, q, sizeof q);
    t->z = z;
    t->next = z->tunnels;
    if (z->tunnels) z->tunnels->prev = t;
    z->tunnels = t;
    return t;
}

/* Ends the tunnel: closes (or resets) both ends that are still there. */
static void tunnel_end(struct tunnel *t, int reset)
{
    if (t->dead) return;
    struct px_rt *rt = t->z->rt;
    t->dead = 1;
    if (t->down) {
        if (reset)
            rt->ops->conn_reset(rt, t->down);
        else
            rt->ops->conn_close(rt, t->down);
        rt->ops->conn_release(rt, t->down);
        t->down = NULL;
    }
    if (t->up) {
        if (reset)
            rt->ops->conn_reset(rt, t->up);
        else
            rt->ops->conn_close(rt, t->up);
        rt->ops->conn_release(rt, t->up);
        t->up = NULL;
    }
    q_drop(rt, &t->q[0]);
    q_drop(rt, &t->q[1]);
    FL_ASSERT(!t->down && !t->up);
    tunnel_maybe_free(t);
}

static void pump(struct tunnel *t, int dir);

static void forwarded(struct tunnel *t, int dir)
{
    FL_ASSERT(t->in_work > 0 && t->busy[dir]);
    t->in_work--;
    t->busy[dir] = 0;
    if (t->dead) {
        tunnel_maybe_free(t);
        return;
    }
    struct px_ztunnel *z = t->z;
    /* a live tunnel has the connection the message goes to */
    FL_ASSERT(dir == 0 ? t->up_ready && t->up : t->down != NULL);
    struct px_msg *m = q_pop(&t->q[dir]);
    if (dir == 0 && t->svc >= 0) z->st.rq_outbound[t->svc]++;
    if (dir == 0 && t->svc < 0) z->st.rq_inbound++;
    z->rt->ops->send(z->rt, dir == 0 ? t->up : t->down, m);
    pump(t, dir);
}

static void forwarded_up(struct px_rt *rt, void *arg)
{
    (void)rt;
    forwarded(arg, 0);
}

static void forwarded_down(struct px_rt *rt, void *arg)
{
    (void)rt;
    forwarded(arg, 1);
}

/* Forwards the next message of one direction, one at a time (order is kept). */
static void pump(struct tunnel *t, int dir)
{
    if (t->dead || t->busy[dir] || !t->q[dir].len) return;
    if (dir == 0 && !t->up_ready) return;
    struct px_rt *rt = t->z->rt;
    t->busy[dir] = 1;
    t->in_work++;
    /* one continuation per direction at most; the setup's ran before the upstream opened */
    FL_ASSERT(t->in_work <= 2 && (dir == 0 || t->up));
    rt->ops->work(rt, t->z->cfg->message_ns, dir == 0 ? forwarded_up : forwarded_down, t);
}

static void push(struct tunnel *t, int dir, struct px_msg *m)
{
    FL_ASSERT(dir == 0 || dir == 1);
    if (t->dead || t->q[dir].len >= QUEUE_MAX) {
        px_msg_free(t->z->rt, m);
        return;
    }
    q_push(&t->q[dir], m);
    pump(t, dir);
}

/* ---- the two ends ---- */

static void down_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    (void)c;
    push(ctx, 0, m);
}

static void down_closed(void *ctx, struct px_conn *c, int reason)
{
    struct tunnel *t = ctx;
    FL_ASSERT(t->down == c);
    t->z->rt->ops->conn_release(t->z->rt, c);
    t->down = NULL;
    tunnel_end(t, reason == PX_ERESET);
}

static const struct px_conn_cbs down_cbs = {NULL, down_message, down_closed};

static void up_connected(void *ctx, struct px_conn *c, int status)
{
    struct tunnel *t = ctx;
    FL_ASSERT(t->up == c && !t->up_ready);
    if (status == PX_OK) {
        t->up_ready = 1;
        pump(t, 0);
        return;
    }
    struct px_ztunnel *z = t->z;
    if (t->svc >= 0)
        z->st.connect_fail[t->svc]++;
    else
        z->st.inbound_connect_fail++;
    z->rt->ops->conn_release(z->rt, c);
    t->up = NULL;
    tunnel_end(t, 1);
}

static void up_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    (void)c;
    push(ctx, 1, m);
}

static void up_closed(void *ctx, struct px_conn *c, int reason)
{
    struct tunnel *t = ctx;
    FL_ASSERT(t->up == c);
    t->z->rt->ops->conn_release(t->z->rt, c);
    t->up = NULL;
    tunnel_end(t, reason != PX_ECLOSED);
}

static const struct px_conn_cbs up_cbs = {up_connected, up_message, up_closed};

/* The connection's CPU is spent: open the tunnel's upstream end. */
static void setup_done(struct px_rt *rt, void *arg)
{
    struct tunnel *t = arg;
    FL_ASSERT(t->in_work > 0);
    t->in_work--;
    if (t->dead) {
        tunnel_maybe_free(t);
        return;
    }
    /* setup runs before the upstream opens, and nothing else was queued meanwhile */
    FL_ASSERT(!t->up && !t->up_ready && t->down && t->in_work == 0);
    if (rt->ops->connect_local)
        t->up = rt->ops->connect_local(rt, t->down, t->target, &up_cbs, t);
    else
        t->up = rt->ops->connect(rt, t->target, &up_cbs, t);
}

/*
 * Where a connection dialled to `local` goes: a service address picks one
 * of the service's endpoints at random for the whole connection (istio/
 * ztunnel src/state.rs find_upstream: "Randomly pick an upstream",
 * svc.endpoints.iter().choose(...)); a local pod's ports go to its
 * application. Returns 0 with *svc and *target set, or -1 (unknown, or no
 * endpoint).
 */
static int classify(struct px_ztunnel *z, uint64_t local, int *svc, uint64_t *target)
{
    const struct px_ztunnel_cfg *cfg = z->cfg;
    for (size_t i = 0; i < cfg->n_services; i++) {
        const struct px_zt_service *s = &cfg->services[i];
        if (s->vip != local) continue;
        *svc = (int)i;
        if (!s->n_endpoints) {
            z->st.connect_fail[i]++;
            return -1;
        }
        *target = s->endpoints[px_random(z->rt) % s->n_endpoints];
        z->st.cx_outbound[i]++;
        return 0;
    }
    for (size_t i = 0; i < cfg->n_locals; i++) {
        const struct px_zt_local *l = &cfg->locals[i];
        if (l->hbone != local && l->plain != local) continue;
        *svc = -1;
        *target = l->app;
        z->st.cx_inbound++;
        return 0;
    }
    z->st.unknown++;
    return -1;
}

void px_ztunnel_accept(struct px_ztunnel *z, struct px_conn *c)
{
    struct px_rt *rt = z->rt;
    struct tunnel *t = tunnel_new(z);
    t->down = c;
    rt->ops->conn_bind(rt, c, &down_cbs, t);
    uint64_t local = rt->ops->conn_local ? rt->ops->conn_local(rt, c) : 0;
    if (classify(z, local, &t->svc, &t->target)) {
        tunnel_end(t, 1);
        return;
    }
    t->in_work++;
    FL_ASSERT(t->svc < (int)z->cfg->n_services && t->in_work == 1);
    rt->ops->work(rt, z->cfg->connection_ns, setup_done, t);
}

struct px_ztunnel *px_ztunnel_new(struct px_rt *rt, const struct px_ztunnel_cfg *cfg)
{
    FL_ASSERT(rt && cfg && cfg->connection_ns >= 0 && cfg->message_ns >= 0);
    struct px_ztunnel *z = fl_calloc(1, sizeof *z);
    z->rt = rt;
    z->cfg = cfg;
    size_t n = cfg->n_services ? cfg->n_services : 1;
    z->st.cx_outbound = fl_calloc(n, sizeof *z->st.cx_outbound);
    z->st.rq_outbound = fl_calloc(n, sizeof *z->st.rq_outbound);
    z->st.connect_fail = fl_calloc(n, sizeof *z->st.connect_fail);
    return z;
}

void px_ztunnel_free(struct px_ztunnel *z)
{
    while (z->tunnels) {
        struct tunnel *t = z->tunnels;
        t->in_work = 0; /* work still queued for it goes away with the runtime */
        if (t->dead)
            tunnel_maybe_free(t);
        else
            tunnel_end(t, 0);
    }
    while (z->free_tunnels) {
        struct tunnel *t = z->free_tunnels;
        z->free_tunnels = t->next;
        free(t->q[0].m);
        free(t->q[1].m);
        free(t);
    }
    free(z->st.cx_outbound);
    free(z->st.rq_outbound);
    free(z->st.connect_fail);
    free(z);
}

const struct px_zt_stats *px_ztunnel_stats(const struct px_ztunnel *z)
{
    return &z->st;
}

void px_ztunnel_cfg_free(struct px_ztunnel_cfg *c)
{
    for (size_t i = 0; i < c->n_locals; i++) free(c->locals[i].name);
    free(c->locals);
    free(c->name);
    memset(c, 0, sizeof *c);
}
