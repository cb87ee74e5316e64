/*
 * stub.c - `faultline stub`: a tiny HTTP/1.1 upstream for tests and demos,
 * on the live runtime (live/rt.h).
 *
 * Each request is answered after a fixed latency, with 200 and a short
 * JSON body naming the stub (and an x-stub header), or, for a fraction of
 * the requests drawn from a seeded stream, with an error status. Its
 * address goes to stderr when it is ready, so a script can start it on
 * port 0 and read where it listens. SIGTERM or SIGINT stop it: the
 * listener closes, connections close (requests still waiting for their
 * latency get no answer), and it exits 0.
 *
 * The runtime's limits (live/rt.h) come from the options of
 * CLI_LIMITS_HELP, the connection count defaulting to what the descriptor
 * limit allows for one descriptor per client.
 *
 * Not here: anything but answering (no routing, no keep-alive policy of
 * its own: the runtime's HTTP/1.1 rules and limits apply).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/rng.h"
#include "base/units.h"
#include "cli/cli.h"
#include "live/rt.h"

static const char usage[] =
    "usage: faultline stub --listen HOST:PORT [--latency D] [--error-rate F] [--status N]\n"
    "                      [--seed N] [--name NAME] [--workers N] [--echo HEADER]...\n"
    "                      [limits] [--verbose]\n"
    "\n"
    "A small HTTP/1.1 upstream for tests and demos: answers every request after D\n"
    "with 200 and a short JSON body naming itself (and an `x-stub: NAME` header), or,\n"
    "for a fraction F of the requests, with an error status. Every answer carries\n"
    "`x-stub-served: N`, the requests this process has answered, this one included.\n"
    "\n"
    "  --listen HOST:PORT  where to listen; port 0 takes a free port (see below)\n"
    "  --latency D         time before each answer, e.g. 5ms (default 0)\n"
    "  --error-rate F      fraction answered with an error, e.g. 10% or 0.1 (default 0)\n"
    "  --status N          the status of those errors (default 503)\n"
    "  --seed N            seed of the error draws (default: random)\n"
    "  --name NAME         its name in answers (default: stub)\n"
    "  --workers N         serve with N processes on the same port (SO_REUSEPORT;\n"
    "                      default: the number of cores)\n"
    "  --echo HEADER       answer with `x-stub-saw-HEADER: VALUE` for the request's\n"
    "                      HEADER, or `x-stub-saw-HEADER: -` without one (at most 8)\n"
    "  --verbose           log connections on stderr\n"
    "  -h, --help          show this help\n"
    "\n" CLI_LIMITS_HELP "\n"
    "When ready it prints `faultline stub NAME: listening on HOST:PORT` on stderr.\n"
    "SIGTERM or SIGINT stop it (exit 0). Exit status 2: bad usage, or it cannot listen.\n";

struct stub_opts {
    const char *listen, *name;
    int64_t latency_ns;
    double error_rate;
    int status;
    uint64_t seed;
    int has_seed, verbose;
    int workers; /* processes serving the port (1: this one) */
    struct live_limits lim;
    const char *echo[8]; /* --echo: request headers shown in the answer */
    int n_echo;
};

struct stub;

/* One client connection and the request waiting for its answer. */
struct sconn {
    struct stub *s;
    struct px_conn *c;
    struct px_msg *req;
    struct px_timer latency;
    struct sconn *prev, *next;
};

struct stub {
    struct live_rt rt;
    struct stub_opts o;
    struct fl_rng errors; /* the error draws, apart from the runtime's stream */
    struct live_listener *l;
    struct sconn *conns;
    uint64_t served;
    struct cli_signals signals;
    ev_timer linger;
    int linger_ticks;
};

static int usage_error(const char *fmt, const char *arg)
{
    return cli_usage_error("stub", fmt, arg);
}

static int parse_value(void *opts, const char *a, const char *v)
{
    struct stub_opts *o = opts;
    FL_ASSERT(o && a && v);
    int rc = cli_limits_option("stub", &o->lim, a, v);
    if (rc != 1) return rc;
    if (!strcmp(a, "--listen")) {
        o->listen = v;
    } else if (!strcmp(a, "--workers")) {
        return cli_parse_workers("stub", v, &o->workers);
    } else if (!strcmp(a, "--name")) {
        if (!*v || strpbrk(v, "\"\\\r\n")) return usage_error("--name '%s': use a plain word", v);
        o->name = v;
    } else if (!strcmp(a, "--echo")) {
        if (o->n_echo == 8) return usage_error("%s", "--echo: at most 8 headers");
        for (const char *c = v; *c; c++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *c))
                return usage_error("--echo '%s': a header name is letters, digits, '-', '_'", v);
        if (!*v || strlen(v) > 64) return usage_error("--echo '%s': 1 to 64 characters", v);
        o->echo[o->n_echo++] = v;
    } else if (!strcmp(a, "--latency")) {
        if ((rc = fl_parse_duration(v, &o->latency_ns)))
            return usage_error("--latency: %s", fl_units_strerror(rc, FL_UNITS_DURATION));
    } else if (!strcmp(a, "--error-rate")) {
        if ((rc = fl_parse_fraction(v, &o->error_rate)))
            return usage_error("--error-rate: %s", fl_units_strerror(rc, FL_UNITS_FRACTION));
    } else if (!strcmp(a, "--status")) {
        char *end;
        long s = strtol(v, &end, 10);
        if (!*v || *end || s < 200 || s > 599)
            return usage_error("--status needs a status code from 200 to 599, not '%s'", v);
        o->status = (int)s;
    } else { /* --seed */
        if (cli_parse_seed("stub", v, &o->seed)) return CLI_BAD_INPUT;
        o->has_seed = 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct stub_opts *o)
{
    static const char *const with_value[] = {
        "--listen", "--latency", "--error-rate", "--status",        "--seed",
        "--name",   "--workers", "--echo",       CLI_LIMIT_OPTIONS, NULL};
    const struct cli_opts_spec spec = {"stub", usage, with_value, parse_value, o};
    cli_limits_init(&o->lim, 1); /* no upstream connections */
    int rc = cli_parse_opts(&spec, argc, argv, &o->verbose);
    if (rc) return rc;
    cli_limits_finish(&o->lim);
    FL_ASSERT(o->name && o->status >= 200 && o->status <= 599);
    FL_ASSERT(o->error_rate >= 0 && o->error_rate <= 1);
    if (!o->listen) return usage_error("%s", "where? give --listen HOST:PORT");
    return 0;
}

/* ---------------------------------------------------------------- answering */

static void answer(struct sconn *sc)
{
    struct stub *s = sc->s;
    struct px_rt *rt = &s->rt.base;
    struct px_msg *req = sc->req;
    FL_ASSERT(req && sc->c && sc->s == s); /* one request waits per connection */
    sc->req = NULL;
    int status = fl_rng_chance(&s->errors, s->o.error_rate) ? s->o.status : 200;
    struct px_msg *m = px_msg_new(rt);
    m->status = status;
    px_msg_add_header_static(m, "Content-Type", "application/json");
    px_msg_add_header_static(m, "x-stub", s->o.name);
    char name[96], served[24];
    snprintf(served, sizeof served, "%llu", (unsigned long long)s->served + 1);
    px_msg_add_header(m, "x-stub-served", served);
    for (int i = 0; i < s->o.n_echo; i++) {
        const char *v = px_msg_header(req, s->o.echo[i]);
        snprintf(name, sizeof name, "x-stub-saw-%s", s->o.echo[i]);
        px_msg_add_header(m, name, v ? v : "-");
    }
    /* the path is the client's: keep the JSON valid whatever it holds */
    char *path = fl_strdup(req->path ? req->path : "/");
    for (char *p = path; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
    char *body = fl_asprintf("{\"stub\":\"%s\",\"status\":%d,\"method\":\"%s\",\"path\":\"%s\","
                             "\"request_bytes\":%llu}\n",
                             s->o.name, status, req->method ? req->method : "GET", path,
                             (unsigned long long)req->body_bytes);
    free(path);
    m->body_bytes = strlen(body);
    m->body = (const uint8_t *)px_msg_strdup(m, body, m->body_bytes);
    free(body);
    px_msg_free(rt, req);
    s->served++;
    FL_ASSERT(!sc->req && s->served > 0);
    rt->ops->send(rt, sc->c, m);
}

static void latency_done(struct px_rt *rt, void *arg)
{
    (void)rt;
    answer(arg);
}

static void sconn_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct sconn *sc = ctx;
    (void)c;
    /* the runtime hands over the next request only once this one is answered */
    FL_ASSERT(!sc->req && m && c == sc->c);
    sc->req = m;
    if (sc->s->o.latency_ns <= 0) {
        answer(sc);
        return;
    }
    struct px_rt *rt = &sc->s->rt.base;
    px_timer_arm(rt, &sc->latency, px_now(rt) + sc->s->o.latency_ns);
}

static void sconn_free(struct sconn *sc)
{
    struct stub *s = sc->s;
    struct px_rt *rt = &s->rt.base;
    FL_ASSERT(s->conns && (sc->prev || s->conns == sc)); /* sc is on the list */
    FL_ASSERT(!sc->prev || sc->prev->next == sc);
    FL_ASSERT(!sc->next || sc->next->prev == sc);
    px_timer_cancel(rt, &sc->latency);
    if (sc->req) px_msg_free(rt, sc->req);
    rt->ops->conn_release(rt, sc->c);
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        s->conns = sc->next;
    if (sc->next) sc->next->prev = sc->prev;
    free(sc);
}

/* Closes the connection and forgets it. */
static void sconn_drop(struct sconn *sc)
{
    struct px_rt *rt = &sc->s->rt.base;
    rt->ops->conn_close(rt, sc->c);
    sconn_free(sc);
}

static void sconn_closed(void *ctx, struct px_conn *c, int reason)
{
    (void)c;
    (void)reason;
    sconn_free(ctx);
}

static const struct px_conn_cbs sconn_cbs = {NULL, sconn_message, sconn_closed};

static void accepted(void *arg, struct px_conn *c)
{
    struct stub *s = arg;
    struct px_rt *rt = &s->rt.base;
    struct sconn *sc = fl_calloc(1, sizeof *sc);
    sc->s = s;
    sc->c = c;
    px_timer_init(rt, &sc->latency, latency_done, sc);
    sc->next = s->conns;
    if (s->conns) s->conns->prev = sc;
    s->conns = sc;
    FL_ASSERT(!sc->prev && (!sc->next || sc->next->prev == sc));
    rt->ops->conn_bind(rt, c, &sconn_cbs, sc);
}

/* ---------------------------------------------------------------- running */

static void linger_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct stub *s = w->data;
    if (!live_rt_flushing(&s->rt) || ++s->linger_ticks >= 100) ev_break(loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    struct stub *s = w->data;
    if (!s->l) { /* a second signal: stop at once */
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    live_listener_close(s->l);
    s->l = NULL;
    while (s->conns) sconn_drop(s->conns);
    FL_ASSERT(!s->conns);

    /* answers already written are flushed for at most a second */
    ev_timer_set(&s->linger, 0.01, 0.01);
    ev_timer_start(loop, &s->linger);
}

/* One stub process: alone (worker -1) or one of several on a shared port. Returns the exit status.
 */
static int stub_main(void *arg, const char *listen, int worker)
{
    const struct stub_opts *o = arg;
    FL_ASSERT(o && listen && worker >= -1);
    struct stub *s = fl_calloc(1, sizeof *s);
    s->o = *o;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    /* each worker its own stream: the seed plus its number */
    uint64_t seed =
        o->has_seed ? o->seed + (uint64_t)(worker > 0 ? worker : 0) : live_seed_random();
    live_rt_init(&s->rt, loop, seed, o->verbose);
    live_rt_set_limits(&s->rt, &o->lim);
    if (worker >= 0) live_rt_set_reuseport(&s->rt, 1);
    if (o->verbose && worker <= 0) {
        char line[320];
        fprintf(stderr, "faultline stub %s: limits: %s\n", o->name,
                cli_limits_format(&o->lim, line, sizeof line));
    }
    fl_rng_derive(&s->errors, seed, "stub/errors");
    char *err = NULL;
    if (live_listen(&s->rt, listen, accepted, s, &s->l, &err)) {
        fprintf(stderr, "faultline stub: %s\n", err);
        free(err);
        live_rt_fini(&s->rt);
        ev_loop_destroy(loop);
        free(s);
        return CLI_BAD_INPUT;
    }
    cli_signals_start(&s->signals, loop, on_signal, s);
    ev_init(&s->linger, linger_check);
    s->linger.data = s;
    if (worker < 0)
        fprintf(stderr, "faultline stub %s: listening on %s\n", o->name, live_listener_name(s->l));
    else
        cli_worker_ready();
    ev_run(loop, 0);
    ev_timer_stop(loop, &s->linger);
    cli_signals_stop(&s->signals, loop);
    live_listener_close(s->l);
    while (s->conns) sconn_drop(s->conns);
    if (o->verbose) {
        const struct live_stats *st = &s->rt.st;
        char who[32] = "";
        if (worker >= 0) snprintf(who, sizeof who, "worker %d ", worker);
        fprintf(stderr,
                "faultline stub %s: %sanswered %llu requests; %llu connections accepted, %llu "
                "refused, %llu idle ones closed for new ones, %llu header and %llu body "
                "timeouts, %llu bad requests\n",
                o->name, who, (unsigned long long)s->served, (unsigned long long)st->accepted,
                (unsigned long long)st->refused, (unsigned long long)st->evicted,
                (unsigned long long)st->header_timeouts, (unsigned long long)st->body_timeouts,
                (unsigned long long)st->bad_requests);
    }
    live_rt_fini(&s->rt);
    ev_loop_destroy(loop);
    free(s);
    return CLI_OK;
}

int cli_stub(int argc, char **argv)
{
    struct stub_opts o = {0};
    o.name = "stub";
    o.status = 503;
    o.workers = cli_workers_default();
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    if (o.workers == 1) return stub_main(&o, o.listen, -1);
    char *who = fl_asprintf("stub %s", o.name);
    rc = cli_workers_run(who, o.workers, o.listen, stub_main, NULL, &o);
    free(who);
    return rc;
}
