/*
 * rt_addr.c - the live runtime's addresses (see rt.h): "host:port" split
 * (live_parse_hostport), resolved with getaddrinfo (the first IPv4
 * address, else the first), and given out as px addresses - 1 + an index
 * into the runtime's table, the same one for the same name; and the
 * px_resolver that proxy configurations are built with.
 *
 * "localhost" (and names under .localhost) always means the loopback
 * address, as RFC 6761 section 6.3 says, whatever /etc/hosts holds (a
 * minimal system may have none).
 *
 * Not here: resolving a name again (it keeps its first address for the
 * runtime's life), several endpoints per name, lookups off the loop
 * (getaddrinfo blocks; names are resolved at start-up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "live/rt_internal.h"

int live_parse_hostport(const char *s, char **host, uint16_t *port, char **err)
{
    const char *colon, *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') goto bad;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) goto bad;
        hlen = (size_t)(colon - s);
        if (memchr(s, ':', hlen)) goto bad; /* an IPv6 address needs its brackets */
    }
    if (!hlen) goto bad;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p > 65535 || colon[1] == '-' || colon[1] == '+') goto bad;
    *host = fl_strndup(h, hlen);
    *port = (uint16_t)p;
    return 0;
bad:
    *err = fl_asprintf("'%s' is not HOST:PORT (e.g. 127.0.0.1:8000, [::1]:8000)", s);
    return -1;
}

/*
 * Resolves host:port. "localhost" (and names under .localhost) always means
 * the loopback address, as RFC 6761 section 6.3 says, whatever /etc/hosts
 * holds (a minimal system may have none).
 */
int live_addr_lookup(const char *host, uint16_t port, int passive, struct sockaddr_storage *sa,
                     socklen_t *len, char **err)
{
    size_t hl = host ? strlen(host) : 0;
    if (host &&
        (!strcasecmp(host, "localhost") || (hl > 10 && !strcasecmp(host + hl - 10, ".localhost"))))
        host = "127.0.0.1";
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc) {
        *err = fl_strdup(gai_strerror(rc)); /* the reason only: callers say what failed */
        return -1;
    }
    const struct addrinfo *pick = res;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    memcpy(sa, pick->ai_addr, pick->ai_addrlen);
    *len = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* live_rt_resolve, with *err the reason only ("Name or service not known"). */
static int resolve(struct live_rt *rt, const char *host, uint16_t port, uint64_t *addr, char **err)
{
    if (!port) port = 80;
    char *name = fl_asprintf("%s:%u", host, (unsigned)port);
    for (size_t i = 0; i < rt->n_addrs; i++)
        if (!strcmp(rt->addrs[i].name, name)) {
            free(name);
            *addr = i + 1;
            return 0;
        }
    struct live_addr a = {.name = name};
    if (live_addr_lookup(host, port, 0, &a.sa, &a.len, err)) {
        free(name);
        return -1;
    }
    FL_GROW(rt->addrs, rt->cap_addrs, rt->n_addrs + 1);
    rt->addrs[rt->n_addrs++] = a;
    *addr = rt->n_addrs;
    return 0;
}

int live_rt_resolve(struct live_rt *rt, const char *host, uint16_t port, uint64_t *addr, char **err)
{
    if (!resolve(rt, host, port, addr, err)) return 0;
    char *why = *err;
    *err = fl_asprintf("cannot resolve '%s': %s", host, why);
    free(why);
    return -1;
}

void live_rt_addr_set_tls(struct live_rt *rt, uint64_t addr, struct live_tls_client *cl,
                          const char *sni)
{
    FL_ASSERT(addr >= 1 && addr <= rt->n_addrs && cl);
    struct live_addr *a = &rt->addrs[addr - 1];
    struct in6_addr ip;
    a->tls = cl;
    free(a->sni);
    /* RFC 6066 section 3: no IP address literal as a server name */
    a->sni = sni && !inet_pton(AF_INET, sni, &ip) && !inet_pton(AF_INET6, sni, &ip) ? fl_strdup(sni)
                                                                                    : NULL;
}

const struct live_addr *live_rt_addr(const struct live_rt *rt, uint64_t addr)
{
    return addr >= 1 && addr <= rt->n_addrs ? &rt->addrs[addr - 1] : NULL;
}

static int resolve_cb(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                      size_t *n, char **err)
{
    struct live_rt *rt = arg;
    uint64_t addr;
    if (resolve(rt, host, port, &addr, err)) return -1; /* the caller names the host */
    struct px_endpoint_cfg *e = fl_calloc(1, sizeof *e);
    e->name = fl_strdup(rt->addrs[addr - 1].name);
    e->addr = addr;
    e->weight = 1;
    *eps = e;
    *n = 1;
    return 0;
}

struct px_resolver live_rt_resolver(struct live_rt *rt)
{
    struct px_resolver r = {resolve_cb, rt};
    return r;
}
