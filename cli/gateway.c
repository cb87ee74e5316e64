/*
 * gateway.c - `faultline gateway`: a Kong declarative configuration served
 * as a real reverse proxy, by the same proxy engine (proxies/proxy.h) that
 * `faultline run` simulates, on the live runtime (live/rt.h).
 *
 * Start-up reads the file (base/yamldoc.h), parses it as Kong does
 * (proxies/kong.h), resolves every service host and upstream target once
 * (live_rt_resolver), builds the proxy and listens. Errors in the file are
 * "file:line:col: message" and exit 2, before anything listens.
 *
 * SIGTERM or SIGINT: stop accepting, close idle client connections, let
 * requests in flight finish for up to --drain (their connections close
 * after the response), then close what is left, free everything and exit
 * 0. A second signal skips the wait.
 *
 * Hardening against hostile clients is the live runtime's (live/rt.h):
 * the options of CLI_LIMITS_HELP and --max-response-body set its limits
 * (struct live_limits), the connection count defaulting to what the
 * descriptor limit allows for two descriptors per client (its own and an
 * upstream connection).
 *
 * With --spans / --spans-otlp, the runtime keeps the proxy's sampled spans
 * (live_rt_keep_spans) and they are written on shutdown, after the drain.
 *
 * With --tls-listen, it also (or only) listens for TLS (live/tls.h): the
 * configuration's `certificates` chosen by SNI, the default one from
 * --tls-cert and --tls-key, else the first of the configuration. With
 * several workers, the supervisor draws the session ticket keys once so
 * that every worker resumes the sessions of the others; then only one
 * address can be served (--listen or --tls-listen).
 *
 * A service with protocol https is spoken to in TLS (its targets, when
 * its host names an upstream), with its host as the server name, the
 * certificate verified when its tls_verify is true (Kong's default: not).
 *
 * Not here: reloading the configuration, the admin API.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "base/yamldoc.h"
#include "cli/cli.h"
#include "live/rt.h"
#include "live/tls.h"
#include "proxies/kong.h"
#include "proxies/proxy.h"
#include "reports/spans_files.h"

static const char usage[] =
    "usage: faultline gateway --config FILE --listen HOST:PORT [--seed N] [--drain D]\n"
    "                         [--tls-listen HOST:PORT [--tls-cert FILE --tls-key FILE]]\n"
    "                         [--workers N]\n"
    "                         [--spans FILE] [--spans-otlp FILE] [--spans-max N]\n"
    "                         [limits] [--verbose]\n"
    "\n"
    "Serves a Kong declarative configuration (the kong.yaml of DB-less Kong) as a real\n"
    "HTTP/1.1 reverse proxy, with the proxy engine `faultline run` simulates: routes,\n"
    "upstreams and their targets, load balancing, retries on connection errors and\n"
    "timeouts, the rate-limiting plugin. Hosts and targets are resolved at start.\n"
    "\n"
    "  --config FILE       the Kong declarative configuration\n"
    "  --listen HOST:PORT  where to listen; port 0 takes a free port (see below)\n"
    "  --tls-listen HOST:PORT  where to listen for HTTPS (TLS 1.2 and 1.3), with --listen\n"
    "                      or without it. Certificates: the configuration's `certificates`\n"
    "                      (PEM text, chosen by their `snis`, Kong's wildcards included)\n"
    "  --tls-cert FILE     the default certificate (PEM: leaf, then its chain), for clients\n"
    "                      whose server name matches no `snis` (default: the first one of\n"
    "                      the configuration)\n"
    "  --tls-key FILE      its private key (PEM, not encrypted)\n"
    "  --seed N            seed of the proxy's random draws (default: random)\n"
    "  --drain D           on SIGTERM, how long requests in flight may finish (default 5s)\n"
    "  --workers N         serve with N processes on the same port (SO_REUSEPORT; default:\n"
    "                      the number of cores). They share nothing but the configuration:\n"
    "                      each counts its own rate limits (as Kong's `local` policy does\n"
    "                      per node), so N workers let up to N times a limit through\n"
    "  --spans FILE        on shutdown, write the sampled spans to FILE as Zipkin v2 JSON\n"
    "  --spans-otlp FILE   ... and to FILE as OTLP/JSON (either, or both)\n"
    "  --spans-max N       keep at most N spans (default 200000, about 30 MB); later\n"
    "                      ones are counted as dropped, not kept\n"
    "  --verbose           log connections, proxy events and a summary on stderr\n"
    "  -h, --help          show this help\n"
    "\n" CLI_LIMITS_HELP CLI_RESPONSE_LIMIT_HELP "\n"
    "Malformed requests get 400 (RFC 9112: whitespace before a colon, folded header\n"
    "lines, no Host in HTTP/1.1, conflicting lengths...), other versions than HTTP/1.0\n"
    "and 1.1 get 505, transfer codings other than chunked 501. A failed upstream\n"
    "connection is a 502 (a timeout 504), as in Kong.\n"
    "\n"
    "Spans: what the proxy samples (the configuration's tracing plugins and the\n"
    "requests' B3 or traceparent headers), written whole (a temporary file renamed)\n"
    "on SIGTERM or SIGINT. Their times are the monotonic clock since the gateway\n"
    "started plus the wall-clock time it started at, in epoch microseconds: a step\n"
    "of the wall clock while it runs moves no span. docs/tracing-export.md has the\n"
    "formats and how to load them into Zipkin, Jaeger or an OpenTelemetry collector.\n"
    "\n"
    "TLS: versions 1.2 and 1.3 only; TLS 1.2 with ECDHE key exchange and AEAD ciphers\n"
    "only (Mozilla's \"intermediate\" profile without DHE); session tickets on.\n"
    "Services with protocol https are reached in TLS (SNI: their host; their\n"
    "tls_verify: true checks the certificate against the system's CAs and the host).\n"
    "docs/security.md has the details. With --workers above 1, give --listen or\n"
    "--tls-listen, not both.\n"
    "\n"
    "When ready it prints `faultline gateway: listening on HOST:PORT` on stderr (and\n"
    "`faultline gateway: listening for TLS on HOST:PORT`).\n"
    "SIGTERM or SIGINT stop it cleanly (exit 0). Exit status 2: bad usage, a bad\n"
    "configuration (FILE:LINE:COL: message), it cannot listen, or the spans could\n"
    "not be written (their folder is checked at start).\n";

struct gw_opts {
    const char *config, *listen;
    const char *tls_listen, *tls_cert, *tls_key; /* NULL when not given */
    unsigned char ticket_keys[LIVE_TLS_TICKET_KEYS_BYTES];
    int has_ticket_keys;
    const char *spans, *spans_otlp; /* files to write the spans to, or NULL */
    uint64_t spans_max;
    uint64_t seed;
    int has_seed, verbose;
    int workers; /* processes serving the port (1: this one) */
    int64_t drain_ns;
    struct live_limits lim;
};

struct gateway {
    struct gw_opts o;
    struct live_rt rt;
    struct ev_loop *loop;
    struct fl_ydoc *docs;
    size_t n_docs;
    struct px_kong kong;
    int has_kong;
    struct px_proxy_cfg cfg;
    int has_cfg;
    struct px_proxy *proxy;
    struct live_listener *l;
    struct live_listener *tls_l;   /* the TLS listener, or NULL */
    struct live_tls_server *tls;   /* its certificates */
    struct live_tls_client *up[2]; /* TLS to upstreams: [0] not verified, [1] verified */
    struct rpt_spans spans;
    struct cli_signals signals;
    ev_timer drain_tick;
    int64_t drain_deadline_ns;
    int worker; /* -1: the only process; else which worker */
};

/* The supervisor of the workers (its pid names the files they hand their spans over in). */
static pid_t supervisor;

static int usage_error(const char *fmt, const char *arg)
{
    return cli_usage_error("gateway", fmt, arg);
}

static int parse_value(void *opts, const char *a, const char *v)
{
    struct gw_opts *o = opts;
    FL_ASSERT(o && a && v);
    int rc = cli_limits_option("gateway", &o->lim, a, v);
    if (rc != 1) return rc;
    if (!strcmp(a, "--config")) {
        o->config = v;
    } else if (!strcmp(a, "--listen")) {
        o->listen = v;
    } else if (!strcmp(a, "--tls-listen")) {
        o->tls_listen = v;
    } else if (!strcmp(a, "--tls-cert")) {
        o->tls_cert = v;
    } else if (!strcmp(a, "--tls-key")) {
        o->tls_key = v;
    } else if (!strcmp(a, "--spans")) {
        o->spans = v;
    } else if (!strcmp(a, "--spans-otlp")) {
        o->spans_otlp = v;
    } else if (!strcmp(a, "--spans-max")) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-' || n < 1 || n > RPT_SPANS_MAX)
            return usage_error("--spans-max needs a whole number from 1 to 2000000, not '%s'", v);
        o->spans_max = n;
    } else if (!strcmp(a, "--workers")) {
        return cli_parse_workers("gateway", v, &o->workers);
    } else if (!strcmp(a, "--drain")) {
        rc = fl_parse_duration(v, &o->drain_ns);
        if (rc) return usage_error("--drain: %s", fl_units_strerror(rc, FL_UNITS_DURATION));
    } else { /* --seed */
        if (cli_parse_seed("gateway", v, &o->seed)) return CLI_BAD_INPUT;
        o->has_seed = 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct gw_opts *o)
{
    static const char *const with_value[] = {
        "--config",     "--listen",    "--tls-listen",    "--tls-cert",
        "--tls-key",    "--seed",      "--drain",         "--spans",
        "--spans-otlp", "--spans-max", CLI_LIMIT_OPTIONS, "--max-response-body",
        "--workers",    NULL};
    const struct cli_opts_spec spec = {"gateway", usage, with_value, parse_value, o};
    cli_limits_init(&o->lim, 2); /* a client and its upstream connection */
    int rc = cli_parse_opts(&spec, argc, argv, &o->verbose);
    if (rc) return rc;
    cli_limits_finish(&o->lim);
    FL_ASSERT(o->drain_ns >= 0 && o->lim.conns_per_ip_max <= UINT32_MAX - 1);
    if (!o->config) return usage_error("%s", "which configuration? give --config FILE");
    if (!o->listen && !o->tls_listen)
        return usage_error("%s", "where? give --listen HOST:PORT (or --tls-listen HOST:PORT)");
    if (!o->tls_cert != !o->tls_key)
        return usage_error("%s", o->tls_cert ? "--tls-cert needs --tls-key FILE"
                                             : "--tls-key needs --tls-cert FILE");
    if (o->tls_cert && !o->tls_listen)
        return usage_error("%s", "--tls-cert and --tls-key need --tls-listen HOST:PORT");
    if (o->listen && o->tls_listen && o->workers > 1)
        return usage_error("%s", "with --workers above 1, give --listen or --tls-listen, not both "
                                 "(--workers 1 serves both)");
    return 0;
}

/* Reads, parses and builds the configuration; prints the error and returns -1 on failure. */
static int load_config(struct gateway *g)
{
    FL_ASSERT(g && g->o.config && !g->docs && !g->has_kong && !g->has_cfg);
    char *err = NULL;
    if (fl_ydoc_load_file(g->o.config, &g->docs, &g->n_docs, &err)) {
        fprintf(stderr, "%s\n", err);
        free(err);
        return -1;
    }
    if (g->n_docs != 1 || !fl_y_root(&g->docs[0])) {
        fprintf(stderr, "%s:1:1: expected one YAML document holding a Kong configuration\n",
                g->o.config);
        return -1;
    }
    struct fl_ydoc *d = &g->docs[0];
    if (px_kong_parse(d, fl_y_root(d), &g->kong)) {
        fprintf(stderr, "%s\n", d->err ? d->err : "bad Kong configuration");
        return -1;
    }
    g->has_kong = 1;
    struct px_resolver r = live_rt_resolver(&g->rt);
    if (px_kong_build(&g->kong, "kong", &r, &g->cfg, &err)) {
        /* errors of the build (a host that does not resolve...) name the file */
        size_t n = strlen(g->o.config);
        if (!strncmp(err, g->o.config, n) && err[n] == ':')
            fprintf(stderr, "%s\n", err);
        else
            fprintf(stderr, "%s: %s\n", g->o.config, err);
        free(err);
        return -1;
    }
    g->has_cfg = 1;
    FL_ASSERT(g->has_kong && g->n_docs == 1);
    return 0;
}

/*
 * A file the spans go to, split into its folder and name (caller frees
 * both); checked at start so that a typo does not lose the spans at the
 * end. Returns 0, or -1 after printing why.
 */
static int spans_path(const char *opt, const char *path, char **dir, char **name)
{
    FL_ASSERT(opt && path && dir && name);
    const char *slash = strrchr(path, '/');
    *dir = slash ? fl_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : fl_strdup(".");
    *name = fl_strdup(slash ? slash + 1 : path);
    const char *why = NULL;
    if (!**name || **name == '.')
        why = "give a file name that does not start with '.'";
    else if (access(*dir, W_OK | X_OK))
        why = strerror(errno);
    if (why) {
        fprintf(stderr, "faultline gateway: %s %s: %s\n", opt, path, why);
        free(*dir);
        free(*name);
        *dir = *name = NULL;
        return -1;
    }
    return 0;
}

/* Checks where the spans go, and starts keeping them. Returns 0, or -1 after printing why. */
static int spans_start(struct gateway *g)
{
    FL_ASSERT(g && !g->rt.spans);
    const char *opts[2] = {"--spans", "--spans-otlp"}, *paths[2] = {g->o.spans, g->o.spans_otlp};
    for (int i = 0; i < 2; i++) {
        char *dir, *name;
        if (!paths[i]) continue;
        if (spans_path(opts[i], paths[i], &dir, &name)) return -1;
        free(dir);
        free(name);
    }
    if (g->o.spans || g->o.spans_otlp) live_rt_keep_spans(&g->rt, &g->spans, g->o.spans_max);
    return 0;
}

/* On shutdown: the spans of st (times from epoch_us) into the files asked for. Returns 0, or -1. */
static int spans_write(const struct gw_opts *o, struct rpt_spans *st, int64_t epoch_us)
{
    FL_ASSERT(o && st && (o->spans || o->spans_otlp));
    const char *names[RPT_SPAN_FLAG_BITS] = {0};
    for (int i = 0; i < PX_FLAG_COUNT && i < RPT_SPAN_FLAG_BITS; i++)
        names[i] = px_flag_name(1u << i);
    const char *opts[2] = {"--spans", "--spans-otlp"}, *paths[2] = {o->spans, o->spans_otlp};
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        char *dir, *name, *err = NULL;
        if (!paths[i] || spans_path(opts[i], paths[i], &dir, &name)) {
            rc = paths[i] ? -1 : rc;
            continue;
        }
        if (rpt_spans_file(st, i ? RPT_SPANS_OTLP : RPT_SPANS_ZIPKIN, names, epoch_us, dir, name,
                           &err)) {
            fprintf(stderr, "faultline gateway: %s\n", err);
            free(err);
            rc = -1;
        } else {
            fprintf(stderr, "faultline gateway: wrote %zu spans of %zu traces to %s", st->n,
                    rpt_spans_traces(st->v, st->n), paths[i]);
            if (st->dropped)
                fprintf(stderr, " (%llu more dropped past --spans-max %llu)",
                        (unsigned long long)st->dropped, (unsigned long long)o->spans_max);
            fputc('\n', stderr);
        }
        free(dir);
        free(name);
    }
    return rc;
}

/* Where worker k hands its spans to the supervisor: next to the first span file (caller frees). */
static char *spans_part(const struct gw_opts *o, int k)
{
    const char *path = o->spans ? o->spans : o->spans_otlp;
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path) + 1 : 0;
    return fl_asprintf("%.*s.faultline-spans.%ld.%d", dir_len, path, (long)supervisor, k);
}

/*
 * The supervisor, once every worker exited: their spans gathered into one
 * store (times from the earliest worker's start), written as one process
 * would. Returns 0, or -1 after printing why.
 */
static int spans_gather(void *arg, int n)
{
    const struct gw_opts *o = arg;
    FL_ASSERT(o && n >= 2);
    if (!o->spans && !o->spans_otlp) return 0;
    struct rpt_spans all = {0};
    int64_t epoch_us = INT64_MAX;
    int rc = 0;
    /* the earliest start of a worker is the epoch: read each dump's header first */
    for (int k = 0; k < n; k++) {
        char *part = spans_part(o, k);
        int64_t e;
        if (!rpt_spans_dump_epoch(part, &e) && e < epoch_us) epoch_us = e;
        free(part);
    }
    for (int k = 0; k < n; k++) {
        char *part = spans_part(o, k), *err = NULL;
        if (rpt_spans_load(&all, epoch_us, part, &err)) {
            fprintf(stderr, "faultline gateway: worker %d's spans: %s\n", k, err);
            free(err);
            rc = -1;
        }
        unlink(part);
        free(part);
    }
    all.dropped = 0;
    if (!rc) rc = spans_write(o, &all, epoch_us);
    rpt_spans_free(&all);
    return rc;
}

/* A worker's spans, handed to the supervisor. Returns 0, or -1 after printing why. */
static int spans_hand_over(struct gateway *g)
{
    FL_ASSERT(g && g->worker >= 0 && g->rt.spans);
    char *part = spans_part(&g->o, g->worker), *err = NULL;
    int rc = rpt_spans_dump(&g->spans, live_rt_spans_epoch_us(&g->rt), part, &err);
    if (rc) {
        fprintf(stderr, "faultline gateway: %s\n", err);
        free(err);
    }
    free(part);
    return rc;
}

/* One of the TLS options' files (PEM), read whole; NULL after printing why (naming the option). */
static char *read_pem(const char *opt, const char *path)
{
    char *text;
    if (live_tls_read_file(path, &text)) {
        fprintf(stderr, "faultline gateway: %s %s: %s\n", opt, path, strerror(errno));
        return NULL;
    }
    return text;
}

/*
 * The TLS server of --tls-listen: the configuration's certificates, and
 * the default one (--tls-cert, else the first). Returns 0, or -1 after
 * printing why.
 */
static int tls_load(struct gateway *g)
{
    const struct gw_opts *o = &g->o;
    FL_ASSERT(o->tls_listen && g->has_kong && !g->tls);
    char *err = NULL;
    if (!(g->tls = live_tls_server_new(&err))) {
        fprintf(stderr, "faultline gateway: %s\n", err);
        free(err);
        return -1;
    }
    for (size_t i = 0; i < g->kong.n_certs; i++) {
        const struct px_kong_cert *c = &g->kong.certs[i];
        if (live_tls_server_add(g->tls, c->cert, c->key, c->cert_alt, c->key_alt, c->snis,
                                c->n_snis, &err)) {
            fprintf(stderr, "%s: certificate %s\n", c->at, err); /* checked when read: rare */
            free(err);
            return -1;
        }
    }
    if (o->tls_cert) {
        char *cert = read_pem("--tls-cert", o->tls_cert), *key = NULL;
        int rc = !cert || !(key = read_pem("--tls-key", o->tls_key)) ? -1 : 0;
        if (!rc && (rc = live_tls_server_add(g->tls, cert, key, NULL, NULL, NULL, 0, &err))) {
            fprintf(stderr, "faultline gateway: --tls-cert %s, --tls-key %s: %s\n", o->tls_cert,
                    o->tls_key, err);
            free(err);
        }
        free(cert);
        free(key);
        if (rc) return -1;
        live_tls_server_set_default(g->tls, live_tls_server_count(g->tls) - 1);
    }
    if (!live_tls_server_count(g->tls)) {
        fprintf(stderr,
                "faultline gateway: --tls-listen needs a certificate: give --tls-cert FILE "
                "--tls-key FILE, or `certificates` in %s\n",
                o->config);
        return -1;
    }
    if (o->has_ticket_keys) live_tls_server_set_ticket_keys(g->tls, o->ticket_keys);
    return 0;
}

/* The px address of host:port, resolved by the build already. Returns 0, or -1 after printing why.
 */
static int service_addr(struct gateway *g, const struct px_kong_service *s, const char *host,
                        uint16_t port, uint64_t *addr)
{
    char *err = NULL;
    if (!live_rt_resolve(&g->rt, host, port, addr, &err)) return 0;
    fprintf(stderr, "%s: %s\n", s->host_at ? s->host_at : g->o.config, err);
    free(err);
    return -1;
}

/*
 * TLS to the upstreams of the https services: their host:port, or their
 * upstream's targets. An address reached both in TLS and not, or with and
 * without verification, is refused (the runtime keeps one setting per
 * address). Returns 0, or -1 after printing why.
 */
static int upstream_tls(struct gateway *g)
{
    FL_ASSERT(g && g->has_cfg);
    int *mode =
        fl_calloc(g->rt.n_addrs + 1, sizeof *mode); /* 0 unseen, 1 plain, 2 TLS, 3 verified */
    const char **who = fl_calloc(g->rt.n_addrs + 1, sizeof *who);
    int rc = 0;
    for (size_t i = 0; i < g->kong.n_services && !rc; i++) {
        const struct px_kong_service *s = &g->kong.services[i];
        int m = strcmp(s->protocol, "https") ? 1 : s->tls_verify ? 3 : 2;
        const struct px_kong_upstream *u = NULL;
        for (size_t j = 0; j < g->kong.n_upstreams && !u; j++)
            if (!strcmp(g->kong.upstreams[j].name, s->host)) u = &g->kong.upstreams[j];
        size_t count = u ? u->n_targets : 1;
        for (size_t j = 0; j < count && !rc; j++) {
            uint64_t addr;
            const char *host = u ? u->targets[j].host : s->host;
            uint16_t port = u ? u->targets[j].port : s->port;
            if (service_addr(g, s, host, port, &addr)) {
                rc = -1;
                break;
            }
            FL_ASSERT(addr >= 1 &&
                      addr <= g->rt.n_addrs); /* no new address: the build resolved it */
            if (mode[addr] && mode[addr] != m) {
                fprintf(stderr,
                        "%s: service '%s' reaches %s:%u with other TLS settings (protocol, "
                        "tls_verify) than service '%s'; the live gateway keeps one per "
                        "address\n",
                        s->host_at ? s->host_at : g->o.config, s->name ? s->name : "?", host,
                        (unsigned)port, who[addr] ? who[addr] : "?");
                rc = -1;
                break;
            }
            mode[addr] = m;
            who[addr] = s->name;
            if (m == 1) continue;
            char *err = NULL;
            int v = m == 3;
            if (!g->up[v] && !(g->up[v] = live_tls_client_new(v, &err))) {
                fprintf(stderr, "faultline gateway: %s\n", err);
                free(err);
                rc = -1;
                break;
            }
            /* the service's host is the server name, as Kong's (nginx's proxy_ssl_server_name) */
            live_rt_addr_set_tls(&g->rt, addr, g->up[v], s->host);
        }
    }
    free(mode);
    free(who);
    return rc;
}

static void accepted(void *arg, struct px_conn *c)
{
    struct gateway *g = arg;
    FL_ASSERT(g->proxy && c);
    px_proxy_accept(g->proxy, c);
}

/* Draining: done when no request is in flight and every last answer is written. */
static void drain_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct gateway *g = w->data;
    FL_ASSERT(!g->l && !g->tls_l && g->proxy); /* draining only after the listeners closed */
    int64_t now = px_now(&g->rt.base);
    if ((!px_proxy_active(g->proxy) && !live_rt_flushing(&g->rt)) || now >= g->drain_deadline_ns)
        ev_break(loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    struct gateway *g = w->data;
    if (!g->l && !g->tls_l) { /* a second signal: stop waiting */
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    if (g->o.verbose) fprintf(stderr, "faultline gateway: stopping (signal %d)\n", w->signum);
    live_listener_close(g->l);
    live_listener_close(g->tls_l);
    g->l = g->tls_l = NULL;
    live_rt_drain(&g->rt);
    g->drain_deadline_ns = px_now(&g->rt.base) + g->o.drain_ns;
    FL_ASSERT(!g->l && g->drain_deadline_ns >= px_now(&g->rt.base));
    ev_timer_set(&g->drain_tick, 0.0, 0.005);
    ev_timer_start(loop, &g->drain_tick);
}

static void print_summary(struct gateway *g)
{
    FL_ASSERT(g->proxy);
    const struct live_stats *st = &g->rt.st;
    char who[32] = "";
    if (g->worker >= 0) snprintf(who, sizeof who, "worker %d: ", g->worker);
    fprintf(stderr,
            "faultline gateway: %s%llu connections accepted, %llu requests, %llu bad requests; "
            "upstream: %llu connects (%llu failed), %llu responses\n",
            who, (unsigned long long)st->accepted, (unsigned long long)st->requests_in,
            (unsigned long long)st->bad_requests, (unsigned long long)st->connects,
            (unsigned long long)st->connect_failures, (unsigned long long)st->responses_in);
    fprintf(stderr,
            "  limits: %llu connections refused, %llu idle ones closed for new ones, "
            "%llu header and %llu body timeouts, %llu upstream responses too large\n",
            (unsigned long long)st->refused, (unsigned long long)st->evicted,
            (unsigned long long)st->header_timeouts, (unsigned long long)st->body_timeouts,
            (unsigned long long)st->responses_too_large);
    if (g->tls)
        fprintf(stderr,
                "  tls: %llu handshakes (%llu resumed), %llu failed, %llu steps put off to a "
                "later turn\n",
                (unsigned long long)st->tls_handshakes, (unsigned long long)st->tls_resumed,
                (unsigned long long)st->tls_failures, (unsigned long long)st->tls_deferred);
    if (st->rl_unchecked || st->rl_failed) /* rate limits with policy redis */
        fprintf(stderr,
                "  ratelimit: %llu passed unchecked, %llu refused with 500, redis unavailable\n",
                (unsigned long long)st->rl_unchecked, (unsigned long long)st->rl_failed);
    for (size_t i = 0; i < g->cfg.n_clusters; i++) {
        const struct px_cluster_stats *cs = px_proxy_cluster_stats(g->proxy, i);
        fprintf(stderr,
                "  cluster %s: %llu attempts, %llu retries, %llu connect failures, "
                "%llu ejections, flags",
                g->cfg.clusters[i].name, (unsigned long long)cs->rq_total,
                (unsigned long long)cs->rq_retry, (unsigned long long)cs->cx_connect_fail,
                (unsigned long long)cs->ejections);
        /* the answers that carried each response flag (why they are not the upstream's own) */
        int any = 0;
        for (int f = 0; f < PX_FLAG_COUNT; f++)
            if (cs->flags[f])
                fprintf(stderr, "%s %s %llu", any++ ? "," : "", px_flag_name(1u << f),
                        (unsigned long long)cs->flags[f]);
        fprintf(stderr, "%s\n", any ? "" : " -");
    }
}

static void gateway_free(struct gateway *g)
{
    FL_ASSERT(g && g->loop);
    FL_ASSERT(g->has_kong || !g->has_cfg); /* the config is built from the parsed Kong file */
    if (g->l) live_listener_close(g->l);
    if (g->tls_l) live_listener_close(g->tls_l);
    if (g->proxy) {
        live_rt_close_all(&g->rt); /* the proxy's clients are told, and let go of */
        px_proxy_free(g->proxy);
    }
    live_rt_fini(&g->rt);
    live_tls_server_free(g->tls); /* after its connections */
    live_tls_client_free(g->up[0]);
    live_tls_client_free(g->up[1]);
    if (g->has_cfg) px_proxy_cfg_free(&g->cfg);
    if (g->has_kong) px_kong_free(&g->kong);
    if (g->docs) fl_ydoc_free_all(g->docs, g->n_docs);
    rpt_spans_free(&g->spans);
    ev_loop_destroy(g->loop);
    free(g);
}

/*
 * One gateway process: the whole life of a gateway serving alone (worker
 * -1), or of one of several workers on a shared port. Returns the exit status.
 */
static int gateway_main(void *arg, const char *listen, int worker)
{
    const struct gw_opts *o = arg;
    FL_ASSERT(o && listen && worker >= -1);
    struct gateway *g = fl_calloc(1, sizeof *g);
    g->o = *o;
    g->worker = worker;
    g->loop = ev_loop_new(EVFLAG_AUTO);
    /* each worker its own stream: the seed plus its number */
    uint64_t seed =
        o->has_seed ? o->seed + (uint64_t)(worker > 0 ? worker : 0) : live_seed_random();
    live_rt_init(&g->rt, g->loop, seed, o->verbose);
    live_rt_set_limits(&g->rt, &o->lim);
    if (worker >= 0) live_rt_set_reuseport(&g->rt, 1);
    if (o->verbose && worker <= 0) {
        char line[320];
        fprintf(stderr, "faultline gateway: limits: %s\n",
                cli_limits_format(&o->lim, line, sizeof line));
    }
    char *err = NULL;
    if (load_config(g)) {
        gateway_free(g);
        return CLI_BAD_INPUT;
    }
    FL_ASSERT(g->has_cfg && !g->proxy);
    g->proxy = px_proxy_new(&g->rt.base, &g->cfg);

    if (spans_start(g) || (o->tls_listen && tls_load(g)) || upstream_tls(g)) {
        gateway_free(g);
        return CLI_BAD_INPUT;
    }
    /* with workers, `listen` is the one address they share (--listen or --tls-listen) */
    const char *plain = o->listen ? listen : NULL;
    const char *tls = o->tls_listen ? (o->listen ? o->tls_listen : listen) : NULL;
    if ((plain && live_listen(&g->rt, plain, accepted, g, &g->l, &err)) ||
        (tls && live_listen(&g->rt, tls, accepted, g, &g->tls_l, &err))) {
        fprintf(stderr, "faultline gateway: %s\n", err);
        free(err);
        gateway_free(g);
        return CLI_BAD_INPUT;
    }
    if (g->tls_l) live_listener_set_tls(g->tls_l, g->tls);
    cli_signals_start(&g->signals, g->loop, on_signal, g);
    ev_init(&g->drain_tick, drain_check);
    g->drain_tick.data = g;
    if (worker < 0 && g->l)
        fprintf(stderr, "faultline gateway: listening on %s\n", live_listener_name(g->l));
    if (worker < 0 && g->tls_l)
        fprintf(stderr, "faultline gateway: listening for TLS on %s\n",
                live_listener_name(g->tls_l));
    if (worker >= 0) cli_worker_ready();
    ev_run(g->loop, 0);
    ev_timer_stop(g->loop, &g->drain_tick);
    cli_signals_stop(&g->signals, g->loop);
    if (o->verbose) print_summary(g);
    int rc = 0;
    if (g->rt.spans)
        rc = worker < 0 ? spans_write(o, &g->spans, live_rt_spans_epoch_us(&g->rt))
                        : spans_hand_over(g);
    gateway_free(g);
    return rc ? CLI_BAD_INPUT : CLI_OK;
}

int cli_gateway(int argc, char **argv)
{
    struct gw_opts o = {0};
    o.drain_ns = 5 * INT64_C(1000000000);
    o.spans_max = LIVE_SPANS_MAX;
    o.workers = cli_workers_default();
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    if (o.tls_listen) { /* one set of ticket keys for every worker (tls.h) */
        if (RAND_bytes(o.ticket_keys, sizeof o.ticket_keys) != 1) {
            fprintf(stderr, "faultline gateway: cannot draw session ticket keys\n");
            return CLI_BAD_INPUT;
        }
        o.has_ticket_keys = 1;
    }
    const char *addr = o.listen ? o.listen : o.tls_listen;
    if (o.workers == 1) return gateway_main(&o, addr, -1);
    /* several workers: check the configuration and the span files once, here, before any starts */
    struct gateway *g = fl_calloc(1, sizeof *g);
    g->o = o;
    g->worker = -1;
    g->loop = ev_loop_new(EVFLAG_AUTO);
    live_rt_init(&g->rt, g->loop, 1, 0);
    int bad = load_config(g) || spans_start(g) || (o.tls_listen && tls_load(g));
    gateway_free(g);
    if (bad) return CLI_BAD_INPUT;
    supervisor = getpid();
    int code = cli_workers_run("gateway", o.workers, addr, gateway_main, spans_gather, &o);
    OPENSSL_cleanse(o.ticket_keys, sizeof o.ticket_keys);
    return code;
}
