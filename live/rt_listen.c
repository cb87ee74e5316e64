/*
 * rt_listen.c - the live runtime's listeners (see rt.h): a non-blocking
 * listening socket whose accepted connections become server connections
 * of the runtime (rt_conn.c), each handed to the owner's callback.
 *
 * Up to ACCEPT_BURST connections are accepted per readiness event. Each
 * must first be admitted by the connection limits (rt_limit.c: an idle
 * connection may be closed to make room); one that is not is refused,
 * closed at once with a reset (SO_LINGER 0: no FIN handshake, no
 * TIME_WAIT on our side however many come), before any byte is read or
 * written. An admitted one gets TCP_NODELAY, its first deadline (rt.h)
 * and its peer's IP address as conn_peer (what Kong's rate limits count by).
 *
 * Out of file descriptors (EMFILE, ENFILE), a level-triggered accept
 * watcher would wake at once for the same waiting connection, forever
 * (the busy loop libev's documentation warns of). So the listener's
 * reserve descriptor (/dev/null, opened at listen) is given up to accept
 * the waiting connection; the oldest idle connection is closed to make
 * room for it, or with none idle it is reset, and the reserve is taken
 * back; only without a reserve (or out of memory) does accepting pause
 * for 100 ms.
 *
 * A listener given a TLS server (live_listener_set_tls) attaches TLS to
 * each connection it accepts (tls.c); the handshake starts when the
 * client's first bytes arrive.
 *
 * Not here: counting connections (rt_limit.c), the handshake. Closing a listener
 * leaves the connections it accepted open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "live/rt_internal.h"

#define ACCEPT_BURST 64 /* connections accepted per readiness event */

struct live_listener {
    struct live_rt *rt;
    int fd;
    int reserve_fd; /* given up to accept (and reset) a connection when out of descriptors */
    ev_io io;
    ev_timer pause; /* out of file descriptors: accept again a little later */
    live_accept_cb cb;
    void *arg;
    struct live_tls_server *tls; /* accepted connections speak TLS, or NULL */
    char name[80];
};

static void sockaddr_text(const struct sockaddr_storage *sa, char *ip, size_t ip_size,
                          uint16_t *port)
{
    const void *a;
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        a = &s6->sin6_addr;
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        a = &s4->sin_addr;
        *port = ntohs(s4->sin_port);
    }
    if (!inet_ntop(sa->ss_family, a, ip, (socklen_t)ip_size)) snprintf(ip, ip_size, "?");
}

/* Closes an accepted socket at once with a reset: the connection is refused. */
static void reset_close(int fd)
{
    FL_ASSERT(fd >= 0);
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* An accepted socket: refused over a limit, else a server connection handed to the owner. */
static void accepted(struct live_listener *l, int fd, const struct sockaddr_storage *sa)
{
    struct live_rt *rt = l->rt;
    FL_ASSERT(fd >= 0 && !rt->draining); /* a draining runtime has no listener */
    char ip[INET6_ADDRSTRLEN];
    uint16_t port;
    sockaddr_text(sa, ip, sizeof ip, &port);
    struct live_ip *who = live_limit_admit(rt, sa);
    if (!who) {
        rt->st.refused++;
        live_logf(rt, "refused %s:%u: %u connections (limits %u, %u per address), none idle", ip,
                  (unsigned)port, (unsigned)rt->n_clients, (unsigned)rt->lim.conns_max,
                  (unsigned)rt->lim.conns_per_ip_max);
        reset_close(fd);
        return;
    }
    FL_ASSERT(!rt->lim.conns_max || rt->n_clients <= rt->lim.conns_max);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct px_conn *c = live_conn_new(rt, fd, 1);
    live_limit_attach(c, who);
    if (l->tls && live_tls_attach(c, l->tls)) { /* out of memory in OpenSSL: as a refusal */
        rt->st.refused++;
        c->state = C_OPEN;
        live_op_conn_reset(&rt->base, c);
        live_op_conn_release(&rt->base, c);
        return;
    }
    snprintf(c->peer, sizeof c->peer, "%s", ip);
    rt->st.accepted++;
    live_logf(rt, "conn %llu: accepted from %s:%u", (unsigned long long)c->id, ip, (unsigned)port);
    live_conn_start_server(c);
    c->busy++;
    l->cb(l->arg, c);
    live_conn_read_now(c); /* nginx too reads at once what came with the connection */
    c->busy--;
    live_conn_maybe_free(c);
}

/*
 * accept() failed for want of a descriptor (see the top). Linux says
 * EMFILE before it looks at the queue, so the reserve descriptor is given
 * up to learn whether a connection waits, and to take it if one does:
 * then the oldest idle connection makes room for it (and the reserve
 * takes that one's descriptor), or with none idle it is refused. Returns
 * 1 when accepting may go on, 0 when no connection waits, -1 when
 * accepting must pause (no reserve, or another error).
 */
static int out_of_descriptors(struct live_listener *l)
{
    struct live_rt *rt = l->rt;
    if (l->reserve_fd < 0) return -1;
    FL_ASSERT(l->fd >= 0 && l->reserve_fd != l->fd);
    close(l->reserve_fd);
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    int fd = accept4(l->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    int e = errno, refused = 0;
    if (fd >= 0 && rt->idle_head) {
        live_conn_evict(rt->idle_head);
    } else if (fd >= 0) {
        rt->st.refused++;
        live_logf(rt, "refused a connection: out of file descriptors, none idle");
        reset_close(fd);
        fd = -1;
        refused = 1;
    }
    l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        accepted(l, fd, &sa);
        return 1;
    }
    if (refused || e == ECONNABORTED || e == EINTR) return 1;
    return e == EAGAIN || e == EWOULDBLOCK ? 0 : -1;
}

static void accept_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct live_listener *l = w->data;
    FL_ASSERT(l->rt->loop == loop);
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int fd = accept4(l->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            accepted(l, fd, &sa);
            continue;
        }
        int e = errno, r = e == EMFILE || e == ENFILE ? out_of_descriptors(l) : -1;
        if (r > 0) continue;
        if (r == 0) return; /* nothing waits after all */
        if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
            live_logf(l->rt, "accept: %s; pausing 100ms", strerror(e));
            ev_io_stop(loop, &l->io);
            ev_timer_set(&l->pause, 0.1, 0.0);
            ev_timer_start(loop, &l->pause);
        }
        return; /* EAGAIN, or an aborted connection */
    }
}

static void accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct live_listener *l = w->data;
    ev_io_start(loop, &l->io);
}

int live_listen(struct live_rt *rt, const char *hostport, live_accept_cb cb, void *arg,
                struct live_listener **out, char **err)
{
    char *host;
    uint16_t port;
    if (live_parse_hostport(hostport, &host, &port, err)) return -1;
    struct sockaddr_storage sa;
    socklen_t len;
    int rc = live_addr_lookup(host, port, 1, &sa, &len, err);
    if (rc) {
        char *why = *err;
        *err = fl_asprintf("cannot listen on %s: %s", hostport, why);
        free(why);
    }
    free(host);
    if (rc) return -1;
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (rt->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
        bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        *err = fl_asprintf("cannot listen on %s: %s", hostport, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    struct live_listener *l = fl_calloc(1, sizeof *l);
    l->rt = rt;
    l->fd = fd;
    l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    l->cb = cb;
    l->arg = arg;
    len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[INET6_ADDRSTRLEN];
    sockaddr_text(&sa, ip, sizeof ip, &port);
    snprintf(l->name, sizeof l->name, sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
             (unsigned)port);
    ev_io_init(&l->io, accept_ready, fd, EV_READ);
    l->io.data = l;
    ev_init(&l->pause, accept_resume);
    l->pause.data = l;
    ev_io_start(rt->loop, &l->io);
    *out = l;
    return 0;
}

const char *live_listener_name(const struct live_listener *l)
{
    return l->name;
}

void live_listener_set_tls(struct live_listener *l, struct live_tls_server *s)
{
    FL_ASSERT(l && s);
    l->tls = s;
}

void live_listener_close(struct live_listener *l)
{
    if (!l) return;
    ev_io_stop(l->rt->loop, &l->io);
    ev_timer_stop(l->rt->loop, &l->pause);
    close(l->fd);
    if (l->reserve_fd >= 0) close(l->reserve_fd);
    free(l);
}

void live_rt_set_reuseport(struct live_rt *rt, int on)
{
    FL_ASSERT(rt && (on == 0 || on == 1));
    rt->reuseport = on;
}

int live_reserve_port(const char *hostport, int *fd, char **where, char **err)
{
    FL_ASSERT(hostport && fd && where && err);
    char *host;
    uint16_t port;
    if (live_parse_hostport(hostport, &host, &port, err)) return -1;
    struct sockaddr_storage sa;
    socklen_t len;
    if (live_addr_lookup(host, port, 1, &sa, &len, err)) {
        char *why = *err;
        *err = fl_asprintf("cannot listen on %s: %s", hostport, why);
        free(why);
        free(host);
        return -1;
    }
    int one = 1;
    *fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*fd < 0 || setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(*fd, (struct sockaddr *)&sa, len) < 0 ||
        getsockname(*fd, (struct sockaddr *)&sa, &(socklen_t){sizeof sa}) < 0) {
        *err = fl_asprintf("cannot listen on %s: %s", hostport, strerror(errno));
        if (*fd >= 0) close(*fd);
        free(host);
        return -1;
    }
    char ip[INET6_ADDRSTRLEN];
    sockaddr_text(&sa, ip, sizeof ip, &port);
    FL_ASSERT(port != 0);
    *where = sa.ss_family == AF_INET6 ? fl_asprintf("[%s]:%u", ip, port)
                                      : fl_asprintf("%s:%u", ip, port);
    free(host);
    return 0;
}
