/*
 * rt_listen.c - the live runtime's listeners (see rt.h): a non-blocking
 * listening socket whose accepted connections become server connections
 * of the runtime (rt_conn.c), each handed to the owner's callback.
 *
 * Up to ACCEPT_BURST connections are accepted per readiness event; each
 * gets TCP_NODELAY, the idle keep-alive timer (LIVE_IDLE_TIMEOUT_NS) and
 * its peer's IP address as conn_peer (what Kong's rate limits count by).
 * Out of file descriptors or memory, accepting pauses for 100 ms rather
 * than spinning.
 *
 * Not here: connection limits, TLS. Closing a listener leaves the
 * connections it accepted open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "live/rt_internal.h"

#define ACCEPT_BURST 64 /* connections accepted per readiness event */

struct live_listener {
    struct live_rt *rt;
    int fd;
    ev_io io;
    ev_timer pause; /* out of file descriptors: accept again a little later */
    live_accept_cb cb;
    void *arg;
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

static void accept_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct live_listener *l = w->data;
    struct live_rt *rt = l->rt;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int fd = accept4(l->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                live_logf(rt, "accept: %s; pausing 100ms", strerror(errno));
                ev_io_stop(loop, &l->io);
                ev_timer_set(&l->pause, 0.1, 0.0);
                ev_timer_start(loop, &l->pause);
            }
            return; /* EAGAIN, or an aborted connection */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct px_conn *c = live_conn_new(rt, fd, 1);
        uint16_t port;
        sockaddr_text(&sa, c->peer, sizeof c->peer, &port);
        c->state = C_OPEN;
        rt->st.accepted++;
        live_logf(rt, "conn %llu: accepted from %s:%u", (unsigned long long)c->id, c->peer,
                  (unsigned)port);
        if (rt->idle_timeout_ns > 0) {
            c->timer.repeat = (double)rt->idle_timeout_ns * 1e-9;
            ev_timer_again(loop, &c->timer);
        }
        ev_io_start(loop, &c->rio);
        c->busy++;
        l->cb(l->arg, c);
        c->busy--;
        live_conn_maybe_free(c);
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
        bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        *err = fl_asprintf("cannot listen on %s: %s", hostport, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    struct live_listener *l = fl_calloc(1, sizeof *l);
    l->rt = rt;
    l->fd = fd;
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

void live_listener_close(struct live_listener *l)
{
    if (!l) return;
    ev_io_stop(l->rt->loop, &l->io);
    ev_timer_stop(l->rt->loop, &l->pause);
    close(l->fd);
    free(l);
}
