/*
 * rt_limit.c - the live runtime's connection limits (see rt.h): client
 * connections counted in all and per client address, and the idle ones
 * kept in the order they became idle, so that a new connection over a
 * limit can take the place of the oldest idle one.
 *
 * An address is an IPv4 address or an IPv6 /64 (one host often owns a
 * whole /64, so counting single IPv6 addresses would count nothing), kept
 * as 16 bytes (IPv4 as ::ffff:a.b.c.d) in a chained hash table whose
 * entries go when their last connection does: a long run seeing many
 * clients keeps only those connected now. A connection counts from its
 * accept until its socket closes (conn_kill), lingering included: what is
 * limited is descriptors and memory.
 *
 * The idle lists (the runtime's, and each address's) are intrusive and
 * doubly linked: adding, removing and finding the oldest are O(1).
 *
 * Not here: deciding when a connection is idle (rt_conn.c's phases),
 * accepting or refusing (rt_listen.c), any clock.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/rng.h"
#include "live/rt_internal.h"

#define IPS_MIN 64 /* buckets at first; doubled when entries outnumber them */

struct live_ip {
    uint8_t key[16];
    uint32_t n_conns;
    struct px_conn *idle_head, *idle_tail; /* oldest first */
    struct live_ip *next;                  /* in its bucket */
};

/* The 16-byte key of a client's address: IPv4 as ::ffff:a.b.c.d, IPv6 its /64. */
static void ip_key(const struct sockaddr_storage *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
            memcpy(key, s6->sin6_addr.s6_addr, 16);
        else
            memcpy(key, s6->sin6_addr.s6_addr, 8);
        return;
    }
    FL_ASSERT(sa->ss_family == AF_INET);
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &s4->sin_addr.s_addr, 4);
}

static size_t ip_bucket(const struct live_rt *rt, const uint8_t key[16])
{
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    uint64_t x = a ^ (b * UINT64_C(0x9e3779b97f4a7c15));
    return (size_t)(fl_splitmix64(&x) & (rt->cap_ips - 1));
}

static void ips_grow(struct live_rt *rt)
{
    size_t old_cap = rt->cap_ips;
    struct live_ip **old = rt->ips;
    rt->cap_ips = old_cap ? old_cap * 2 : IPS_MIN;
    rt->ips = fl_calloc(rt->cap_ips, sizeof *rt->ips);
    for (size_t i = 0; i < old_cap; i++) {
        while (old[i]) {
            struct live_ip *ip = old[i];
            old[i] = ip->next;
            size_t b = ip_bucket(rt, ip->key);
            ip->next = rt->ips[b];
            rt->ips[b] = ip;
        }
    }
    free(old);
}

static struct live_ip *ip_find(const struct live_rt *rt, const uint8_t key[16])
{
    if (!rt->cap_ips) return NULL;
    for (struct live_ip *ip = rt->ips[ip_bucket(rt, key)]; ip; ip = ip->next)
        if (!memcmp(ip->key, key, 16)) return ip;
    return NULL;
}

static struct live_ip *ip_get(struct live_rt *rt, const uint8_t key[16])
{
    struct live_ip *ip = ip_find(rt, key);
    if (ip) return ip;
    if (rt->n_ips >= rt->cap_ips) ips_grow(rt);
    ip = fl_calloc(1, sizeof *ip);
    memcpy(ip->key, key, 16);
    size_t b = ip_bucket(rt, key);
    ip->next = rt->ips[b];
    rt->ips[b] = ip;
    rt->n_ips++;
    return ip;
}

/* An address with no connection left leaves the table. */
static void ip_release(struct live_rt *rt, struct live_ip *ip)
{
    if (ip->n_conns) return;
    FL_ASSERT(!ip->idle_head && !ip->idle_tail);
    for (struct live_ip **q = &rt->ips[ip_bucket(rt, ip->key)]; *q; q = &(*q)->next) {
        if (*q == ip) {
            *q = ip->next;
            rt->n_ips--;
            free(ip);
            return;
        }
    }
    FL_ASSERT(0); /* it was in the table */
}

struct live_ip *live_limit_admit(struct live_rt *rt, const struct sockaddr_storage *sa)
{
    const struct live_limits *lim = &rt->lim;
    uint8_t key[16];
    ip_key(sa, key);
    struct live_ip *ip = ip_find(rt, key);
    if (ip && lim->conns_per_ip_max && ip->n_conns >= lim->conns_per_ip_max) {
        if (!ip->idle_head) return NULL;
        live_conn_evict(ip->idle_head); /* may free ip: looked up again below */
    }
    if (lim->conns_max && rt->n_clients >= lim->conns_max) {
        if (!rt->idle_head) return NULL;
        live_conn_evict(rt->idle_head);
    }
    ip = ip_get(rt, key);
    FL_ASSERT(!lim->conns_per_ip_max || ip->n_conns < lim->conns_per_ip_max);
    ip->n_conns++;
    rt->n_clients++;
    return ip;
}

void live_limit_attach(struct px_conn *c, struct live_ip *ip)
{
    FL_ASSERT(c->server && !c->ip && ip->n_conns > 0);
    c->ip = ip;
}

void live_limit_detach(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    struct live_ip *ip = c->ip;
    if (!ip) return;
    if (c->phase == PH_IDLE) live_idle_remove(c);
    FL_ASSERT(ip->n_conns > 0 && rt->n_clients > 0);
    ip->n_conns--;
    rt->n_clients--;
    c->ip = NULL;
    ip_release(rt, ip);
}

/* ---------------------------------------------------------------- idle lists */

void live_idle_add(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    struct live_ip *ip = c->ip;
    FL_ASSERT(c->phase == PH_IDLE && ip);
    c->idle_next = NULL;
    c->idle_prev = rt->idle_tail;
    if (rt->idle_tail)
        rt->idle_tail->idle_next = c;
    else
        rt->idle_head = c;
    rt->idle_tail = c;
    c->ip_idle_next = NULL;
    c->ip_idle_prev = ip->idle_tail;
    if (ip->idle_tail)
        ip->idle_tail->ip_idle_next = c;
    else
        ip->idle_head = c;
    ip->idle_tail = c;
}

void live_idle_remove(struct px_conn *c)
{
    struct live_rt *rt = c->rt;
    struct live_ip *ip = c->ip;
    FL_ASSERT(c->phase == PH_IDLE && ip);
    if (c->idle_prev)
        c->idle_prev->idle_next = c->idle_next;
    else
        rt->idle_head = c->idle_next;
    if (c->idle_next)
        c->idle_next->idle_prev = c->idle_prev;
    else
        rt->idle_tail = c->idle_prev;
    if (c->ip_idle_prev)
        c->ip_idle_prev->ip_idle_next = c->ip_idle_next;
    else
        ip->idle_head = c->ip_idle_next;
    if (c->ip_idle_next)
        c->ip_idle_next->ip_idle_prev = c->ip_idle_prev;
    else
        ip->idle_tail = c->ip_idle_prev;
    c->idle_prev = c->idle_next = c->ip_idle_prev = c->ip_idle_next = NULL;
}

void live_limit_fini(struct live_rt *rt)
{
    FL_ASSERT(!rt->n_ips && !rt->n_clients && !rt->idle_head);
    free(rt->ips);
    rt->ips = NULL;
    rt->cap_ips = 0;
}
