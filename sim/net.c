/*
 * net.c - the simulated network as the applications see it: nodes, paths
 * between them (a netem link each way), TCP connections kept alive in
 * per-path pools, and messages delivered when netem/tcp says they arrive.
 *
 * A message costs one kernel event: the time it reaches the receiving
 * application is computed when it is sent (netem/ is sans-I/O). Paths with
 * an ideal network in both directions skip the TCP model: connecting and
 * delivering take no time, but still go through the event queue, so an
 * application is never re-entered from its own send.
 *
 * Connections are reference counted: the end that holds one (a client, a
 * pool, a server busy with a request) and every event in flight count.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/tls.h"
#include "sim/netfault.h"
#include "sim/world.h"

struct msgbox {
    struct px_msg m; /* first: a message is its box */
    struct msgbox *next;
};

#define POOL_BLOCK 256
/* Paths live as long as the world: they are carved from blocks of this many, never freed alone. */
#define PATH_BLOCK 256

/*
 * Pooled objects (paths, connections, messages, requests...) are carved
 * from the world's arena of blocks (base/alloc.c fl_arena: 2 MiB chunks
 * that the kernel may back with a huge page): a large mesh's pooled state
 * is cold at every request, and one TLB entry then covers what 512 would.
 * Every block starts on a cache line.
 */
#define BLOCK_ALIGN 64

void *sim_world_block(struct sim_world *w, size_t n, size_t size)
{
    FL_ASSERT(n >= 1 && size >= 1 && size <= SIZE_MAX / n);
    size_t bytes = (n * size + BLOCK_ALIGN - 1) / BLOCK_ALIGN * BLOCK_ALIGN;
    void *p = fl_arena_alloc(&w->blocks, bytes); /* zeroed, as fl_calloc's blocks were */
    FL_ASSERT(((uintptr_t)p & (BLOCK_ALIGN - 1)) == 0);
    return p;
}

void sim_net_init(struct sim_world *w)
{
    fl_u64map_init(&w->paths);
}

static void free_path_links(void *val, void *arg)
{
    struct sim_path *p = val;
    (void)arg;
    net_link_free(&p->out);
}

void sim_net_free(struct sim_world *w)
{
    /* messages and connections live in world blocks; only the messages' arenas need
     * freeing: of every message, the free ones and those still in flight or held when the
     * run ended (clearing a free one again is harmless) */
    for (size_t k = 0; k < w->n_msg_blocks; k++) {
        struct msgbox *blk = w->msg_blocks[k];
        for (int i = 0; i < POOL_BLOCK; i++) px_msg_clear(&blk[i].m);
    }
    free(w->msg_blocks);
    w->msg_blocks = NULL;
    w->n_msg_blocks = 0;
    /* paths are in world blocks; only a network fault gives a link something of its own
     * (its windows' room), and every one sets w->netfaults first */
    if (w->netfaults) fl_u64map_each(&w->paths, free_path_links, NULL);
    sim_netfault_free(w);
    fl_u64map_free(&w->paths);
    w->last_path = NULL;
    w->path_room = NULL;
    w->n_path_room = 0;
}

/* ---- messages ---- */

struct px_msg *sim_msg_new(struct sim_world *w)
{
    struct msgbox *b = (struct msgbox *)w->free_msgs;
    if (!b) {
        struct msgbox *blk = sim_world_block(w, POOL_BLOCK, sizeof *blk);
        FL_GROW(w->msg_blocks, w->cap_msg_blocks, w->n_msg_blocks + 1);
        w->msg_blocks[w->n_msg_blocks++] = blk;
        for (int i = POOL_BLOCK - 1; i >= 0; i--) {
            px_msg_init(&blk[i].m);
            blk[i].next = b;
            b = &blk[i];
        }
    }
    w->free_msgs = (struct px_msg *)b->next;
    return &b->m;
}

void sim_msg_free(struct sim_world *w, struct px_msg *m)
{
    struct msgbox *b = (struct msgbox *)m;
    FL_ASSERT(m && w->free_msgs != m); /* not freed twice in a row */
    px_msg_recycle(m);                 /* its arena chunk stays for the next message */
    b->next = (struct msgbox *)w->free_msgs;
    w->free_msgs = m;
}

/* ---- paths ---- */

/* The link settings between two groups: a scenario link (either direction), else the defaults. */
static const struct net_link_cfg *link_cfg(const struct sim_world *w, const char *a, const char *b)
{
    const struct sim_network_cfg *n = &w->sc->network;
    FL_ASSERT(a && b);
    for (size_t i = 0; i < n->n_links; i++) {
        const struct sim_link_cfg *l = &n->links[i];
        if ((!strcmp(l->from, a) && !strcmp(l->to, b)) ||
            (!strcmp(l->from, b) && !strcmp(l->to, a)))
            return &l->link;
    }
    return &n->defaults;
}

/*
 * network.zones: the delay added between two localities, one way: cross-
 * region when the regions differ, cross-zone when only the zones do; 0
 * when either end has no locality. The first '/' ends the region, the
 * second the zone ("region/zone/subzone").
 */
static int64_t zone_delay(const struct sim_world *w, const char *a, const char *b)
{
    const struct sim_network_cfg *n = &w->sc->network;
    if (!a || !b) return 0;
    size_t ra = strcspn(a, "/"), rb = strcspn(b, "/");
    if (ra != rb || strncmp(a, b, ra)) return n->cross_region_delay_ns;
    const char *za = a[ra] ? a + ra + 1 : "", *zb = b[rb] ? b + rb + 1 : "";
    size_t la = strcspn(za, "/"), lb = strcspn(zb, "/");
    return la != lb || strncmp(za, zb, la) ? n->cross_zone_delay_ns : 0;
}

void sim_path_set_ideal(struct sim_world *w, struct sim_path *p, int ideal)
{
    FL_ASSERT(w && p && w->n_nonideal >= (uint64_t)!p->ideal);
    w->n_nonideal += (uint64_t)!ideal;
    w->n_nonideal -= (uint64_t)!p->ideal;
    p->ideal = ideal ? 1 : 0;
}

/* A zeroed path from the world's current block (a new block when it is used up). */
static struct sim_path *path_alloc(struct sim_world *w)
{
    if (!w->n_path_room) {
        w->path_room = sim_world_block(w, PATH_BLOCK, sizeof *w->path_room);
        w->n_path_room = PATH_BLOCK;
    }
    FL_ASSERT(w->path_room && w->n_path_room <= PATH_BLOCK);
    w->n_path_room--;
    w->n_nonideal++; /* zeroed: not ideal until path_make says */
    return w->path_room++;
}

static struct sim_path *path_make(struct sim_world *w, uint32_t src, uint32_t dst)
{
    FL_ASSERT(src < w->n_nodes && dst < w->n_nodes);
    uint64_t key = ((uint64_t)(src + 1) << 32) | (dst + 1);
    struct sim_path *p = fl_u64map_get(&w->paths, key);
    if (p) {
        FL_ASSERT(p->src == src && p->dst == dst);
        return p;
    }
    p = path_alloc(w);
    p->src = src;
    p->dst = dst;
    const struct sim_node *a = &w->nodes[src], *b = &w->nodes[dst];
    struct net_link_cfg loopback;
    net_link_cfg_default(&loopback); /* within a node (app to sidecar): loopback, ideal */
    struct net_link_cfg zoned = src == dst ? loopback : *link_cfg(w, a->group, b->group);
    if (src != dst) zoned.delay_ns += zone_delay(w, a->locality, b->locality);
    const struct net_link_cfg *cfg = &zoned;
    /* the stream of "link/SRC/DST", hashed in place: a path is made per pair of nodes that
     * talk, often once per request or two in a large mesh */
    struct fl_rng rng;
    fl_rng_derive_parts(&rng, w->sc->seed, (const char *const[]){"link/", a->name, "/", b->name},
                        4);
    net_link_init(&p->out, cfg, &rng);
    sim_path_set_ideal(w, p, net_link_cfg_ideal(cfg));
    sim_netfault_on_path(w, p); /* network faults active now (sim/netfault.c) */
    fl_u64map_put(&w->paths, key, p);
    return p;
}

struct sim_path *sim_path_get(struct sim_world *w, uint32_t src, uint32_t dst)
{
    struct sim_path *p = w->last_path;
    /* a client that keeps calling one pod asks for the same path every request */
    if (p && p->src == src && p->dst == dst) return p;
    p = path_make(w, src, dst);
    if (!p->back) {
        p->back = path_make(w, dst, src);
        p->back->back = p;
        int ideal = p->ideal && p->back->ideal;
        sim_path_set_ideal(w, p, ideal);
        sim_path_set_ideal(w, p->back, ideal);
    }
    FL_ASSERT(p->back->back == p && p->back->src == dst && p->ideal == p->back->ideal);
    w->last_path = p;
    return p;
}

/* ---- connections ---- */

void sim_conn_ref(struct sim_conn *c)
{
    FL_ASSERT(c->refs > 0 && c->refs < UINT32_MAX); /* only a held connection gains one */
    c->refs++;
}

void sim_conn_release(struct sim_world *w, struct sim_conn *c)
{
    FL_ASSERT(c->refs > 0);
    if (--c->refs) return;
    if (c->live_prev)
        c->live_prev->live_next = c->live_next;
    else
        w->live_conns = c->live_next;
    if (c->live_next) c->live_next->live_prev = c->live_prev;
    /* every message in flight and the idle list hold a reference */
    FL_ASSERT(!c->parked && c->in_flight == 0);
    c->next_free = w->free_conns;
    w->free_conns = c;
}

static struct sim_conn *conn_alloc(struct sim_world *w)
{
    if (!w->free_conns) {
        struct sim_conn *blk = sim_world_block(w, POOL_BLOCK, sizeof *blk);
        for (int i = POOL_BLOCK - 1; i >= 0; i--) {
            blk[i].next_free = w->free_conns;
            w->free_conns = &blk[i];
        }
    }
    struct sim_conn *c = w->free_conns;
    w->free_conns = c->next_free;
    memset(c, 0, sizeof *c);
    c->id = w->next_conn_id++;
    c->live_next = w->live_conns;
    if (w->live_conns) w->live_conns->live_prev = c;
    w->live_conns = c;
    for (int side = 0; side < 2; side++) {
        c->end[side].c = c;
        c->end[side].side = side;
    }
    FL_ASSERT(c->refs == 0 && !c->live_prev && w->live_conns == c);
    return c;
}

struct sim_world *sim_conn_world(const struct sim_conn *c)
{
    return c->w;
}

void sim_conn_bind(struct sim_conn *c, int side, const struct px_conn_cbs *cbs, void *ctx)
{
    FL_ASSERT(side == 0 || side == 1);
    c->end[side].cbs = cbs;
    c->end[side].ctx = ctx;
}

void sim_listen(struct sim_world *w, uint32_t node, uint16_t port,
                void (*accept)(void *ctx, struct sim_conn *c), void *ctx)
{
    sim_listen_range(w, node, port, port, accept, ctx);
}

void sim_listen_range(struct sim_world *w, uint32_t node, uint16_t port, uint16_t port_last,
                      void (*accept)(void *ctx, struct sim_conn *c), void *ctx)
{
    struct sim_node *n = &w->nodes[node];
    FL_ASSERT(n->n_listeners < SIM_LISTENERS_MAX && port <= port_last);
    n->listeners[n->n_listeners].port = port;
    n->listeners[n->n_listeners].port_last = port_last;
    n->listeners[n->n_listeners].accept = accept;
    n->listeners[n->n_listeners].ctx = ctx;
    n->n_listeners++;
}

static const struct sim_listener *listener(const struct sim_world *w, uint32_t node, uint16_t port)
{
    FL_ASSERT(node < w->n_nodes);
    const struct sim_node *n = &w->nodes[node];
    if (!n->up) return NULL;
    for (uint32_t i = 0; i < n->n_listeners; i++)
        if (n->listeners[i].port <= port && port <= n->listeners[i].port_last)
            return &n->listeners[i];
    return NULL;
}

static void connected_event(struct sim_kernel *k, void *a, void *b)
{
    struct sim_conn *c = a;
    struct sim_world *w = (struct sim_world *)k;
    int status = (int)(intptr_t)b;
    FL_ASSERT(c->refs > 0 && status <= PX_OK); /* the handshake's own reference */
    /* the handshake ended as either node went down (a pod killed): reset */
    if (c->state == SIM_CONN_CONNECTING && status == PX_OK &&
        (!w->nodes[c->dst].up || !w->nodes[c->src].up))
        status = PX_ECONNREFUSED;
    if (c->state == SIM_CONN_CONNECTING) {
        c->state = status == PX_OK ? SIM_CONN_OPEN : SIM_CONN_CLOSED;
        const struct sim_end *e = &c->end[0];
        FL_ASSERT(c->state != SIM_CONN_CONNECTING);
        if (e->cbs && e->cbs->connected) e->cbs->connected(e->ctx, sim_px_conn(c, 0), status);
    }
    sim_conn_release(w, c);
}

struct sim_conn *sim_conn_open(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port,
                               const struct px_conn_cbs *cbs, void *ctx)
{
    return sim_conn_open_after(w, src, dst, port, cbs, ctx, 0, PX_OK);
}

struct sim_conn *sim_conn_open_after(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port,
                                     const struct px_conn_cbs *cbs, void *ctx, int64_t after_ns,
                                     int fail)
{
    return sim_conn_open_tls(w, src, dst, port, cbs, ctx, after_ns, fail, SIM_TLS_NONE);
}

struct sim_conn *sim_conn_open_tls(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port,
                                   const struct px_conn_cbs *cbs, void *ctx, int64_t after_ns,
                                   int fail, enum sim_tls_kind tls)
{
    FL_ASSERT(after_ns >= 0 && fail <= PX_OK && tls <= SIM_TLS_MUTUAL);
    struct sim_path *p = sim_path_get(w, src, dst);
    w->activity[src]++;
    struct sim_conn *c = conn_alloc(w);
    c->w = w;
    c->path = p;
    c->src = src;
    c->dst = dst;
    c->port = port;
    c->state = SIM_CONN_CONNECTING;
    c->refs = 2; /* the caller's, and the handshake's event */
    sim_conn_bind(c, 0, cbs, ctx);
    p->opened++;
    net_tcp_init(&c->tcp, &w->sc->network.tcp, &p->out, &p->back->out);
    int64_t now = sim_now(&w->k) + after_ns, done = now;
    int status = fail;
    if (fail != PX_OK) {
        /* failed before any packet (name resolution): nothing is sent */
    } else if (!listener(w, dst, port) || !w->nodes[src].up) { /* a dead pod cannot connect */
        /* the RST answering the SYN comes back after a round trip */
        status = PX_ECONNREFUSED;
        if (!p->ideal) done = now + p->out.cfg.delay_ns + p->back->out.cfg.delay_ns;
    } else if (!p->ideal && net_tcp_connect(&c->tcp, now, &done) != NET_OK) {
        status = PX_ETIMEDOUT;
    }
    if (status == PX_OK && tls != SIM_TLS_NONE)
        done = sim_tls_handshake(w, c, done, tls == SIM_TLS_MUTUAL, &status);
    sim_post(&w->k, done, connected_event, c, (void *)(intptr_t)status);
    return c;
}

/* Takes c off its path's idle list (doubly linked: closing many parked ones stays linear). */
static void idle_unlink(struct sim_conn *c)
{
    FL_ASSERT(c->parked);
    if (c->prev_idle)
        c->prev_idle->next_idle = c->next_idle;
    else
        c->path->idle = c->next_idle;
    if (c->next_idle) c->next_idle->prev_idle = c->prev_idle;
    c->next_idle = c->prev_idle = NULL;
    c->parked = 0;
}

struct sim_conn *sim_conn_take_idle(struct sim_world *w, uint32_t src, uint32_t dst, uint16_t port)
{
    struct sim_path *p = sim_path_get(w, src, dst);
    for (struct sim_conn *c = p->idle; c; c = c->next_idle) {
        if (c->port != port) continue;
        FL_ASSERT(c->state == SIM_CONN_OPEN && c->refs > 0);
        idle_unlink(c);
        return c;
    }
    return NULL;
}

void sim_conn_park(struct sim_world *w, struct sim_conn *c)
{
    (void)w;
    FL_ASSERT(c->state == SIM_CONN_OPEN);
    FL_ASSERT(!c->parked);
    sim_conn_bind(c, 0, NULL, NULL);
    c->prev_idle = NULL;
    c->next_idle = c->path->idle;
    if (c->next_idle) c->next_idle->prev_idle = c;
    c->path->idle = c;
    c->parked = 1;
    FL_ASSERT(c->refs > 0); /* the parker's reference is the idle list's now */
}

static void deliver(struct sim_world *w, struct sim_conn *c, int side, struct px_msg *m)
{
    struct sim_end *e = &c->end[side];
    FL_ASSERT(c->in_flight > 0);
    c->in_flight--;
    if (c->state == SIM_CONN_OPEN && side == 1 && !e->cbs && !c->accepted) {
        const struct sim_listener *l = listener(w, c->dst, c->port);
        c->accepted = 1;
        if (l) l->accept(l->ctx, c);
    }
    if (c->state == SIM_CONN_OPEN && e->cbs && e->cbs->message)
        e->cbs->message(e->ctx, sim_px_conn(c, side), m);
    else
        sim_msg_free(w, m);
    sim_conn_release(w, c);
}

static void to_server_event(struct sim_kernel *k, void *a, void *b)
{
    deliver((struct sim_world *)k, a, 1, b);
}

static void to_client_event(struct sim_kernel *k, void *a, void *b)
{
    deliver((struct sim_world *)k, a, 0, b);
}

static void unpark(struct sim_conn *c)
{
    if (c->parked) idle_unlink(c);
}

/* The connection ended under both ends at once (retransmissions exhausted). */
static void broken_event(struct sim_kernel *k, void *a, void *b)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_conn *c = a;
    (void)b;
    FL_ASSERT(c->refs > 0);
    if (c->state != SIM_CONN_CLOSED) {
        c->state = SIM_CONN_CLOSED;
        unpark(c);
        for (int side = 0; side < 2; side++) {
            struct sim_end *e = &c->end[side];
            if (e->cbs && e->cbs->closed)
                e->cbs->closed(e->ctx, sim_px_conn(c, side), PX_ETIMEDOUT);
        }
    }
    sim_conn_release(w, c);
}

void sim_conn_send(struct sim_world *w, struct sim_conn *c, int side, struct px_msg *msg)
{
    FL_ASSERT((side == 0 || side == 1) && c->refs > 0);
    if (c->state != SIM_CONN_OPEN) {
        sim_msg_free(w, msg);
        return;
    }
    int64_t now = sim_now(&w->k), at = now;
    w->activity[side ? c->dst : c->src]++;
    int ideal = sim_conn_ideal(w, c);
    if (!ideal && net_tcp_send(&c->tcp, side ? NET_S2C : NET_C2S, now, px_msg_wire_bytes(msg),
                               &at) != NET_OK) {
        sim_msg_free(w, msg);
        sim_conn_ref(c);
        sim_post(&w->k, at, broken_event, c, NULL);
        return;
    }
    /* this hop's retransmission delay (a forwarded copy's earlier hops do not count) */
    msg->rtx_ns = ideal ? 0 : net_tcp_take_rtx(&c->tcp);
    FL_ASSERT(msg->rtx_ns >= 0 && at >= now);
    sim_conn_ref(c);
    c->in_flight++;
    sim_post(&w->k, at, side ? to_client_event : to_server_event, c, msg);
}

static void closed_event(struct sim_kernel *k, void *a, void *b)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_conn *c = a;
    intptr_t v = (intptr_t)b;
    int side = (int)(v & 1), reason = v & 2 ? PX_ERESET : PX_ECLOSED;
    struct sim_end *e = &c->end[side];
    FL_ASSERT(c->refs > 0 && c->state == SIM_CONN_CLOSED);
    if (e->cbs && e->cbs->closed) e->cbs->closed(e->ctx, sim_px_conn(c, side), reason);
    sim_conn_release(w, c);
}

void sim_conn_close(struct sim_world *w, struct sim_conn *c, int side, int reset)
{
    if (c->state == SIM_CONN_CLOSED) return;
    int was_open = c->state == SIM_CONN_OPEN;
    c->state = SIM_CONN_CLOSED;
    unpark(c);
    sim_conn_bind(c, side, NULL, NULL);
    FL_ASSERT(c->state == SIM_CONN_CLOSED && !c->parked);
    int other = !side;

    if (!was_open || !c->end[other].cbs || !c->end[other].cbs->closed) return;
    /* the FIN (or RST) reaches the other end after the one-way base delay */
    struct sim_path *p = side == 0 ? c->path : c->path->back;
    sim_conn_ref(c);
    sim_post(&w->k, sim_now(&w->k) + (p->ideal ? 0 : p->out.cfg.delay_ns), closed_event, c,
             (void *)(intptr_t)(other | (reset ? 2 : 0)));
}

size_t sim_net_node_close(struct sim_world *w, uint32_t node, int reset)
{
    FL_ASSERT(node < w->n_nodes);
    size_t n = 0, cap = 16;
    struct sim_conn **v = fl_malloc(cap * sizeof *v);
    for (struct sim_conn *c = w->live_conns; c; c = c->live_next) {
        if (c->state != SIM_CONN_OPEN || (c->src != node && c->dst != node)) continue;
        if (n == cap) v = fl_realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = c;
    }
    /* collected first: the closed callbacks open and free connections */
    for (size_t i = 0; i < n; i++) {
        struct sim_conn *c = v[i];
        FL_ASSERT(c->state == SIM_CONN_OPEN);
        c->state = SIM_CONN_CLOSED;
        unpark(c);
        for (int side = 0; side < 2; side++) {
            uint32_t at_node = side ? c->dst : c->src;
            const struct sim_end *e = &c->end[side];
            if (!e->cbs || !e->cbs->closed) continue;
            /* the far end hears the FIN or RST after the one-way delay; the node's own at once */
            struct sim_path *p = side ? c->path : c->path->back;
            int64_t delay = at_node == node || p->ideal ? 0 : p->out.cfg.delay_ns;
            sim_conn_ref(c);
            sim_post(&w->k, sim_now(&w->k) + delay, closed_event, c,
                     (void *)(intptr_t)(side | (reset ? 2 : 0)));
        }
    }
    free(v);
    return n;
}

int sim_net_node_quiet(const struct sim_world *w, uint32_t node)
{
    for (const struct sim_conn *c = w->live_conns; c; c = c->live_next)
        if (c->state == SIM_CONN_OPEN && c->in_flight && (c->src == node || c->dst == node))
            return 0;
    return 1;
}
