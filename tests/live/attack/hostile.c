/*
 * hostile.c - a hostile HTTP/1.1 client for the live attack tests
 * (tests/attack.sh) and the slowloris bench (bench/live_bench.sh). Not
 * part of faultline: the test script builds it with the system compiler.
 *
 *   hostile send HOST PORT [--src IP] [--wait S]
 *       sends stdin's bytes as they are (a request, NULs and all), reads
 *       until the server closes or S seconds (default 5) pass; prints the
 *       status of each response, then "closed" (EOF), "reset" or "open".
 *   hostile slowloris HOST PORT N [--src IP] [--every MS] [--for S]
 *                     [--head TEXT] [--trickle TEXT] [--reconnect]
 *       opens N connections, sends TEXT (\r and \n escapes; default an
 *       unfinished request head) on each, then one byte of the trickle
 *       text every MS milliseconds (default 1000) on each, for S seconds
 *       (default 10), reopening closed ones MS later with --reconnect (as
 *       slowloris tools keep their count of sockets). Prints one
 *       line per connection the server ended: "ended MS STATUS" (its life
 *       in ms, the status it was answered, 0 for none), then
 *       "summary opened O ended E open P".
 *   hostile idle HOST PORT N [--src IP] [--request PATH] [--hold S]
 *       opens N connections, sends each one GET of PATH (if given) and
 *       reads its answer, prints "ready N OK" (OK: answers that were 200),
 *       then holds them idle for S seconds (default 10) and prints
 *       "summary ended E" (E: closed by the server meanwhile).
 *
 * --src binds the client side to IP (127.0.0.2... on Linux loopback), so
 * the server sees another client address. Exit status 0, or 2 for bad
 * usage or a local failure (socket, bind).
 *
 * Not here: assertions (the script's), TLS, anything concurrent beyond
 * one poll() loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct target {
    struct sockaddr_in addr;
    const char *src;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* A non-blocking TCP connection to t, under way; -1 if no socket could be had. */
static int open_conn(const struct target *t)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (t->src) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, t->src, &src.sin_addr) != 1) die("--src");
        if (bind(fd, (struct sockaddr *)&src, sizeof src)) die("bind");
    }
    if (connect(fd, (const struct sockaddr *)&t->addr, sizeof t->addr) && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends all of p on a socket (blocking the short while the kernel needs). */
static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, 100);
            continue;
        }
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Turns \r, \n, \t and \\ escapes into their bytes, in place; returns the length. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1]) {
            char c = s[++i];
            s[o++] = c == 'r' ? '\r' : c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

/* The status of the first response in buf, or 0. */
static int status_of(const char *buf, size_t n)
{
    if (n < 12 || strncmp(buf, "HTTP/1.", 7)) return 0;
    return atoi(buf + 9);
}

/* Prints the status of every response in buf[0..n) (heads found by their blank line). */
static void print_statuses(const char *buf, size_t n)
{
    size_t i = 0;
    int any = 0;
    while (i < n) {
        int st = status_of(buf + i, n - i);
        if (!st) break;
        printf("%s%d", any++ ? " " : "", st);
        const char *end = memmem(buf + i, n - i, "\r\n\r\n", 4);
        if (!end) break;
        size_t head = (size_t)(end - (buf + i)) + 4;
        long len = 0;
        for (size_t k = i; k + 16 < i + head; k++)
            if (!strncasecmp(buf + k, "\r\ncontent-length:", 17)) len = atol(buf + k + 17);
        i += head + (size_t)len;
    }
    if (!any) printf("none");
}

static int cmd_send(const struct target *t, double wait_s)
{
    size_t cap = 1 << 16, n = 0;
    char *req = malloc(cap);
    for (ssize_t k; (k = read(0, req + n, cap - n)) > 0;) {
        n += (size_t)k;
        if (n == cap) req = realloc(req, cap *= 2);
    }
    int fd = open_conn(t);
    if (fd < 0) die("connect");
    struct pollfd pf = {fd, POLLOUT, 0};
    poll(&pf, 1, 5000);
    const char *end = "open";
    size_t got = 0, rcap = 1 << 16;
    char *resp = malloc(rcap);
    if (send_all(fd, req, n)) end = "reset";
    double until = now_ms() + wait_s * 1e3;
    while (strcmp(end, "reset") && now_ms() < until) {
        pf = (struct pollfd){fd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0) continue;
        if (got == rcap) resp = realloc(resp, rcap *= 2);
        ssize_t k = recv(fd, resp + got, rcap - got, 0);
        if (k > 0) {
            got += (size_t)k;
        } else if (k == 0) {
            end = "closed";
            break;
        } else if (errno != EAGAIN && errno != EINTR) {
            end = "reset";
        }
    }
    print_statuses(resp, got);
    printf(" %s\n", end);
    close(fd);
    free(req);
    free(resp);
    return 0;
}

/* ---------------------------------------------------------------- many connections */

struct conn {
    int fd;
    int connected; /* the handshake is over (and the head sent) */
    double opened_ms;
    size_t sent; /* bytes of the trickle text sent */
    double next_ms;
    char first[16]; /* the first bytes answered */
    size_t got;
    int done; /* idle: its answer was read */
};

struct many {
    const struct target *t;
    struct conn *c;
    size_t n;
    const char *head, *trickle;
    size_t head_len, trickle_len;
    double every_ms;
    unsigned opened, ended;
};

static void conn_open(struct many *m, struct conn *c, double at)
{
    memset(c, 0, sizeof *c);
    c->fd = open_conn(m->t);
    c->opened_ms = at;
    c->next_ms = at + m->every_ms * (double)(rand() % 1000) / 1000.0; /* staggered */
    if (c->fd >= 0) m->opened++;
}

/* The server ended c (EOF or reset): one line, and the slot is free. */
static void conn_ended(struct many *m, struct conn *c, int quiet)
{
    if (!quiet) printf("ended %.0f %d\n", now_ms() - c->opened_ms, status_of(c->first, c->got));
    close(c->fd);
    c->fd = -1;
    m->ended++;
}

/* Reads what the server sends on c; returns 1 if it ended the connection. */
static int conn_read(struct conn *c)
{
    char buf[4096];
    for (;;) {
        ssize_t k = recv(c->fd, buf, sizeof buf, 0);
        if (k > 0) {
            size_t take =
                sizeof c->first - c->got < (size_t)k ? sizeof c->first - c->got : (size_t)k;
            memcpy(c->first + c->got, buf, take);
            c->got += take;
            continue;
        }
        if (k == 0) return 1;
        return errno != EAGAIN && errno != EINTR;
    }
}

/* A connection's handshake ended (writable): sends the head, or it ended (refused). */
static void conn_connected(struct many *m, struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (m->head_len && send_all(c->fd, m->head, m->head_len))) {
        conn_ended(m, c, 0);
        return;
    }
    c->connected = 1;
}

static int cmd_slowloris(struct many *m, double for_s, int reconnect)
{
    double until = now_ms() + for_s * 1e3;
    for (size_t i = 0; i < m->n; i++) conn_open(m, &m->c[i], now_ms());
    struct pollfd *pf = calloc(m->n, sizeof *pf);
    while (now_ms() < until) {
        double now = now_ms();
        for (size_t i = 0; i < m->n; i++) {
            struct conn *c = &m->c[i];
            if (c->fd < 0 && reconnect && now >= c->next_ms) conn_open(m, c, now);
            if (c->fd >= 0 && c->connected && now >= c->next_ms && m->trickle_len) {
                send(c->fd, m->trickle + c->sent % m->trickle_len, 1, MSG_NOSIGNAL);
                c->sent++;
                c->next_ms = now + m->every_ms;
            }
            pf[i] = (struct pollfd){c->fd, c->connected ? POLLIN : POLLOUT, 0};
        }
        poll(pf, m->n, 20);
        for (size_t i = 0; i < m->n; i++) {
            struct conn *c = &m->c[i];
            if (c->fd < 0 || !pf[i].revents) continue;
            if (!c->connected)
                conn_connected(m, c);
            else if (conn_read(c))
                conn_ended(m, c, 0);
            if (c->fd < 0) c->next_ms = now + m->every_ms; /* reconnect after a pause */
        }
    }
    unsigned open = 0;
    for (size_t i = 0; i < m->n; i++) open += m->c[i].fd >= 0;
    printf("summary opened %u ended %u open %u\n", m->opened, m->ended, open);
    free(pf);
    return 0;
}

static int cmd_idle(struct many *m, const char *path, double hold_s)
{
    char req[512];
    int req_len =
        path ? snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: hostile\r\n\r\n", path) : 0;
    unsigned ok = 0, answered = 0;
    for (size_t i = 0; i < m->n; i++) {
        conn_open(m, &m->c[i], now_ms());
        if (m->c[i].fd < 0) die("connect");
        if (i % 256 == 255) usleep(20000); /* the listen backlog is finite */
    }
    struct pollfd *pf = calloc(m->n, sizeof *pf);
    for (size_t i = 0; i < m->n && req_len; i++) {
        pf[0] = (struct pollfd){m->c[i].fd, POLLOUT, 0};
        poll(pf, 1, 5000);
        if (send_all(m->c[i].fd, req, (size_t)req_len)) {
            m->c[i].done = 1;
            answered++;
        }
    }
    double until = now_ms() + 20e3;
    while (req_len && answered < m->n && now_ms() < until) {
        for (size_t i = 0; i < m->n; i++)
            pf[i] = (struct pollfd){m->c[i].done ? -1 : m->c[i].fd, POLLIN, 0};
        poll(pf, m->n, 50);
        for (size_t i = 0; i < m->n; i++) {
            struct conn *c = &m->c[i];
            if (c->done || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int ended = conn_read(c);
            if (c->got < 12 && !ended) continue;
            c->done = 1;
            answered++;
            ok += status_of(c->first, c->got) == 200;
            if (ended) conn_ended(m, c, 1);
        }
    }
    printf("ready %zu %u\n", m->n, ok);
    fflush(stdout);
    until = now_ms() + hold_s * 1e3;
    while (now_ms() < until) {
        for (size_t i = 0; i < m->n; i++) pf[i] = (struct pollfd){m->c[i].fd, POLLIN, 0};
        poll(pf, m->n, 100);
        for (size_t i = 0; i < m->n; i++) {
            struct conn *c = &m->c[i];
            c->got = sizeof c->first; /* the answer is read: ignore further bytes */
            if (c->fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(c))
                conn_ended(m, c, 1);
        }
    }
    printf("summary ended %u\n", m->ended);
    free(pf);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: hostile send|slowloris|idle HOST PORT [N] [options] (see hostile.c)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 4) return usage();
    const char *cmd = argv[1];
    struct target t = {.addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))}};
    if (inet_pton(AF_INET, argv[2], &t.addr.sin_addr) != 1) return usage();
    int first_opt = strcmp(cmd, "send") ? 5 : 4;
    if (argc < first_opt) return usage();
    static char head[4096] = "GET / HTTP/1.1\r\nHost: hostile\r\n", trickle[256] = "X-a: b\r\n";
    double every_ms = 1000, for_s = 10, hold_s = 10, wait_s = 5;
    int reconnect = 0;
    const char *path = NULL;
    for (int i = first_opt; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--reconnect")) {
            reconnect = 1;
            continue;
        }
        if (!v) return usage();
        i++;
        if (!strcmp(a, "--src"))
            t.src = v;
        else if (!strcmp(a, "--every"))
            every_ms = atof(v);
        else if (!strcmp(a, "--for"))
            for_s = atof(v);
        else if (!strcmp(a, "--hold"))
            hold_s = atof(v);
        else if (!strcmp(a, "--wait"))
            wait_s = atof(v);
        else if (!strcmp(a, "--request"))
            path = v;
        else if (!strcmp(a, "--head"))
            snprintf(head, sizeof head, "%s", v);
        else if (!strcmp(a, "--trickle"))
            snprintf(trickle, sizeof trickle, "%s", v);
        else
            return usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(cmd, "send")) return cmd_send(&t, wait_s);
    struct many m = {.t = &t, .n = (size_t)atol(argv[4]), .every_ms = every_ms};
    if (!m.n) return usage();
    m.c = calloc(m.n, sizeof *m.c);
    m.head = head;
    m.head_len = unescape(head);
    m.trickle = trickle;
    m.trickle_len = unescape(trickle);
    srand(1);
    int rc = !strcmp(cmd, "slowloris") ? cmd_slowloris(&m, for_s, reconnect)
             : !strcmp(cmd, "idle")    ? cmd_idle(&m, path, hold_s)
                                       : usage();
    for (size_t i = 0; i < m.n; i++)
        if (m.c[i].fd >= 0) close(m.c[i].fd);
    free(m.c);
    return rc;
}
