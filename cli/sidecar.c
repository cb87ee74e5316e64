/*
 * sidecar.c - `faultline sidecar`: a workload's Istio sidecar, live: the
 * inbound proxy (mutual TLS from other sidecars, plaintext to the local
 * application, Istio's PeerAuthentication, RequestAuthentication and
 * AuthorizationPolicy enforced) and the outbound one (plaintext from the
 * local application, mutual TLS to the peer's sidecar), both the proxy
 * engine of proxies/proxy.h on one live runtime (live/rt.h).
 *
 * Each direction is a proxy configuration built here, as istiod's for a
 * single destination: one virtual host "*", one route "/" to one cluster
 * of one endpoint (--app inbound, --upstream outbound); the outbound route
 * retries as Istio's default (px_istio_default_retry), the inbound one
 * does not (Envoy's inbound routes have no retry policy). The inbound
 * configuration carries the security of the workload
 * (px_istio_sec_build over --config's resources, for the namespace of the
 * workload's own SPIFFE id and the --label labels).
 *
 * The inbound listener speaks mutual TLS only (live_tls_server_set_mutual:
 * a client without a certificate chaining to --bundle, valid now and with
 * a SPIFFE id, is refused in the handshake); the verified principal is what
 * the runtime's conn_principal gives the engine's checks. --inbound-plain
 * adds a plaintext port on which clients without a sidecar arrive: the
 * engine resets their connections when the mode is STRICT (Istio's
 * PERMISSIVE, its default without a PeerAuthentication, serves them).
 *
 * The inbound proxy tells the application who called in the
 * x-forwarded-client-cert header, as Istio's sidecars do (proxy.c:
 * "By=spiffe://<this workload>;URI=spiffe://<the caller>").
 *
 * SIGHUP re-reads --cert, --key and --bundle: new connections (inbound
 * handshakes, outbound connects) use the new files; connections already
 * made keep theirs (an SSL object holds its settings), so nothing in flight
 * is dropped. The old settings live until exit. SIGTERM or SIGINT stop it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/yamldoc.h"
#include "cli/cli.h"
#include "live/rt.h"
#include "live/tls.h"
#include "proxies/identity.h"
#include "proxies/istio.h"
#include "proxies/istio_sec.h"
#include "proxies/proxy.h"

#define CMD        "sidecar"
#define MAX_LABELS 16

static const char usage[] =
    "usage: faultline sidecar --cert FILE --key FILE --bundle FILE\n"
    "                         --inbound HOST:PORT --app HOST:PORT [--inbound-plain HOST:PORT]\n"
    "                         [--outbound HOST:PORT --upstream HOST:PORT]\n"
    "                         [--config FILE] [--label KEY=VALUE]... [--seed N] [--verbose]\n"
    "\n"
    "A workload's Istio sidecar on real sockets: mutual TLS between sidecars with the\n"
    "certificates of `faultline ca`, and Istio's security resources applied to what\n"
    "comes in.\n"
    "\n"
    "  --cert FILE       this workload's certificate (PEM: leaf, then its chain; the\n"
    "                    PREFIX-chain.pem of `faultline ca issue`), with a SPIFFE id\n"
    "  --key FILE        its private key (PEM)\n"
    "  --bundle FILE     the trust bundle: the root(s) peers' certificates must chain to\n"
    "  --inbound HOST:PORT   where other sidecars connect, in mutual TLS only: a client\n"
    "                    without a certificate of the bundle, valid now, with a SPIFFE\n"
    "                    id, is refused in the handshake\n"
    "  --app HOST:PORT   the local application inbound requests go to (plaintext)\n"
    "  --inbound-plain HOST:PORT  also a plaintext port for clients without a sidecar;\n"
    "                    refused (reset) when PeerAuthentication says STRICT\n"
    "  --outbound HOST:PORT   where the local application sends its calls (plaintext)\n"
    "  --upstream HOST:PORT   the peer sidecar's inbound port they go to, in mutual TLS\n"
    "  --config FILE     Istio resources (YAML, several documents or a List):\n"
    "                    PeerAuthentication, RequestAuthentication and AuthorizationPolicy\n"
    "                    applied to this workload; its namespace is its SPIFFE id's\n"
    "  --label KEY=VALUE a label of this workload (what selectors match), up to 16\n"
    "  --seed N          seed of the proxies' random draws (default: random)\n"
    "  --verbose         log connections, handshakes and a summary on stderr\n"
    "  -h, --help        show this help\n"
    "\n"
    "The application learns who called from x-forwarded-client-cert, as in Istio:\n"
    "By=spiffe://<this workload>;URI=spiffe://<the caller> (appended to what came).\n"
    "Without a PeerAuthentication the mode is Istio's default, PERMISSIVE. Refused by\n"
    "an AuthorizationPolicy: 403 `RBAC: access denied`; by RequestAuthentication: 401.\n"
    "SIGHUP re-reads --cert, --key and --bundle (certificate rotation) for new\n"
    "connections; those already made keep theirs, nothing in flight is dropped.\n"
    "\n"
    "When ready it prints `faultline sidecar: inbound listening on HOST:PORT` (and\n"
    "`outbound listening on`, `inbound-plain listening on`) on stderr. SIGTERM or\n"
    "SIGINT stop it (exit 0). Exit status 2: bad usage, a file that cannot be read,\n"
    "a bad configuration (FILE:LINE:COL: message), or it cannot listen.\n";

struct sc_opts {
    const char *cert, *key, *bundle, *inbound, *app, *plain, *outbound, *upstream, *config;
    const char *labels[MAX_LABELS];
    int n_labels;
    uint64_t seed;
    int has_seed, verbose;
};

struct sidecar {
    struct sc_opts o;
    struct ev_loop *loop;
    struct live_rt rt;
    struct fl_ydoc *docs;
    size_t n_docs;
    struct px_istio istio;
    struct px_label labels[MAX_LABELS];
    struct px_proxy_cfg in_cfg, out_cfg;
    struct px_proxy *in, *out;
    struct live_listener *in_l, *plain_l, *out_l;
    uint64_t up_addr;
    char self[256]; /* this workload's principal (its SPIFFE id without "spiffe://") */
    /* every TLS setting made (the last ones current): connections hold the older ones */
    struct live_tls_server **servers;
    struct live_tls_client **clients;
    size_t n_servers, n_clients;
    struct cli_signals signals;
    ev_signal hup;
};

static int bad(const char *fmt, const char *arg)
{
    return cli_usage_error(CMD, fmt, arg);
}

static int take(void *opts, const char *a, const char *v)
{
    struct sc_opts *o = opts;
    FL_ASSERT(o && a && v);
    const char **slot = !strcmp(a, "--cert")            ? &o->cert
                        : !strcmp(a, "--key")           ? &o->key
                        : !strcmp(a, "--bundle")        ? &o->bundle
                        : !strcmp(a, "--inbound")       ? &o->inbound
                        : !strcmp(a, "--app")           ? &o->app
                        : !strcmp(a, "--inbound-plain") ? &o->plain
                        : !strcmp(a, "--outbound")      ? &o->outbound
                        : !strcmp(a, "--upstream")      ? &o->upstream
                        : !strcmp(a, "--config")        ? &o->config
                                                        : NULL;
    if (slot) {
        *slot = v;
    } else if (!strcmp(a, "--label")) {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v) return bad("--label: want KEY=VALUE, not '%s'", v);
        if (o->n_labels == MAX_LABELS) return bad("%s", "--label: at most 16");
        o->labels[o->n_labels++] = v;
    } else { /* --seed */
        if (cli_parse_seed(CMD, v, &o->seed)) return CLI_BAD_INPUT;
        o->has_seed = 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct sc_opts *o)
{
    static const char *const with_value[] = {
        "--cert",     "--key",      "--bundle", "--inbound", "--app",  "--inbound-plain",
        "--outbound", "--upstream", "--config", "--label",   "--seed", NULL};
    const struct cli_opts_spec spec = {CMD, usage, with_value, take, o};
    int rc = cli_parse_opts(&spec, argc, argv, &o->verbose);
    if (rc) return rc;
    if (!o->cert || !o->key || !o->bundle)
        return bad("%s", "give the workload's --cert FILE, --key FILE and --bundle FILE");
    if (!o->inbound || !o->app) return bad("%s", "give --inbound HOST:PORT and --app HOST:PORT");
    if (!o->outbound != !o->upstream)
        return bad("%s", o->outbound ? "--outbound needs --upstream HOST:PORT"
                                     : "--upstream needs --outbound HOST:PORT");
    return 0;
}

/* A file named by an option, read whole; NULL after printing why. */
static char *read_opt(const char *opt, const char *path)
{
    char *text;
    if (live_tls_read_file(path, &text)) {
        fprintf(stderr, "faultline sidecar: %s %s: %s\n", opt, path, strerror(errno));
        return NULL;
    }
    return text;
}

/*
 * The TLS settings from the files (at start and on SIGHUP): a mutual
 * server and client, appended as the current ones. The namespace of the
 * certificate's SPIFFE id into ns when asked. Returns 0, or -1 after
 * printing why (the current settings stay).
 */
static int tls_load(struct sidecar *s, char *ns, size_t ns_size)
{
    const struct sc_opts *o = &s->o;
    char *cert = read_opt("--cert", o->cert), *key = cert ? read_opt("--key", o->key) : NULL;
    char *bundle = key ? read_opt("--bundle", o->bundle) : NULL, *err = NULL;
    struct live_tls_server *srv = NULL;
    struct live_tls_client *cl = NULL;
    int rc = -1;
    if (!bundle) goto out;
    if (!(srv = live_tls_server_new(&err)) ||
        live_tls_server_add(srv, cert, key, NULL, NULL, NULL, 0, &err) ||
        live_tls_server_set_mutual(srv, bundle, &err) ||
        !(cl = live_tls_client_new_mutual(cert, key, bundle, &err))) {
        fprintf(stderr, "faultline sidecar: --cert %s, --key %s, --bundle %s: %s\n", o->cert,
                o->key, o->bundle, err);
        free(err);
        goto out;
    }
    if (ns) { /* the workload's namespace: spiffe://TD/ns/NS/sa/SA */
        char why[160];
        struct px_id_cert *id = px_id_cert_load(cert, why, sizeof why);
        const char *p = NULL;
        struct px_bundle *b = px_bundle_load(bundle, why, sizeof why);
        char principal[256] = "";
        if (id && b) {
            int64_t now = px_unix_now(&s->rt.base) / LIVE_S_NS;
            enum px_id_result r = px_id_check(id, b, now, principal, sizeof principal);
            if (r != PX_ID_OK) snprintf(why, sizeof why, "%s", px_id_result_text(r));
        }
        px_id_cert_free(id);
        px_bundle_free(b);
        if (principal[0]) p = strstr(principal, "/ns/");
        const char *end = p ? strchr(p + 4, '/') : NULL;
        if (!end || (size_t)(end - p - 4) >= ns_size || end == p + 4) {
            fprintf(stderr, "faultline sidecar: --cert %s: %s\n", o->cert,
                    principal[0] ? "its SPIFFE id names no namespace (want .../ns/NS/sa/SA)" : why);
            goto out;
        }
        snprintf(ns, ns_size, "%.*s", (int)(end - p - 4), p + 4);
        snprintf(s->self, sizeof s->self, "%s", principal);
    }
    s->servers = fl_realloc(s->servers, (s->n_servers + 1) * sizeof *s->servers);
    s->clients = fl_realloc(s->clients, (s->n_clients + 1) * sizeof *s->clients);
    s->servers[s->n_servers++] = srv;
    s->clients[s->n_clients++] = cl;
    srv = NULL;
    cl = NULL;
    rc = 0;
out:
    live_tls_server_free(srv);
    live_tls_client_free(cl);
    free(cert);
    free(key);
    free(bundle);
    return rc;
}

/* Makes the last TLS settings current: the inbound listener's and the upstream address's. */
static void tls_use(struct sidecar *s)
{
    FL_ASSERT(s->n_servers > 0 && s->n_clients == s->n_servers && s->in_l);
    live_listener_set_tls(s->in_l, s->servers[s->n_servers - 1]);
    if (s->up_addr) live_rt_addr_set_tls(&s->rt, s->up_addr, s->clients[s->n_clients - 1], NULL);
}

/* Istio's resources of --config, and what applies to this workload. Returns 0, or -1 (printed). */
static int load_config(struct sidecar *s, const char *ns)
{
    const struct sc_opts *o = &s->o;
    FL_ASSERT(o->config && !s->docs);
    char *err = NULL;
    if (fl_ydoc_load_file(o->config, &s->docs, &s->n_docs, &err)) {
        fprintf(stderr, "%s\n", err);
        free(err);
        return -1;
    }
    for (size_t i = 0; i < s->n_docs; i++) {
        const yaml_node_t *root = fl_y_root(&s->docs[i]);
        if (!root) continue;
        if (px_istio_add(&s->istio, &s->docs[i], root)) {
            fprintf(stderr, "%s\n", s->docs[i].err ? s->docs[i].err : "bad Istio resource");
            return -1;
        }
    }
    for (int i = 0; i < o->n_labels; i++) {
        const char *eq = strchr(o->labels[i], '=');
        s->labels[i].key = fl_strndup(o->labels[i], (size_t)(eq - o->labels[i]));
        s->labels[i].value = fl_strdup(eq + 1);
    }
    const struct px_istio *layers[1] = {&s->istio};
    s->in_cfg.sec = px_istio_sec_build(layers, 1, ns, s->labels, (size_t)o->n_labels);
    return 0;
}

/*
 * A proxy configuration of one route "/" to one endpoint (target): the
 * inbound's, or the outbound's (with Istio's default retries).
 */
static int build_cfg(struct sidecar *s, struct px_proxy_cfg *c, enum px_proxy_kind kind,
                     const char *opt, const char *target, uint64_t *addr)
{
    FL_ASSERT(s && c && target && addr);
    char *host = NULL, *err = NULL;
    uint16_t port;
    if (live_parse_hostport(target, &host, &port, &err) ||
        live_rt_resolve(&s->rt, host, port, addr, &err)) {
        fprintf(stderr, "faultline sidecar: %s %s: %s\n", opt, target, err);
        free(err);
        free(host);
        return -1;
    }
    free(host);
    int in = kind == PX_PROXY_INBOUND;
    c->name = fl_strdup(in ? "inbound" : "outbound");
    c->kind = kind;
    px_cost_default(&c->cost);
    c->workers = 1;
    c->clusters = fl_calloc(1, sizeof *c->clusters);
    c->n_clusters = 1;
    struct px_cluster_cfg *cl = &c->clusters[0];
    cl->name = fl_asprintf("%s|%s", in ? "inbound" : "outbound", target);
    px_lb_cfg_envoy(&cl->lb);
    px_breaker_cfg_istio(&cl->breaker);
    cl->connect_timeout_ns = 10 * LIVE_S_NS; /* Istio's connectTimeout default */
    cl->endpoints = fl_calloc(1, sizeof *cl->endpoints);
    cl->n_endpoints = 1;
    cl->endpoints[0] =
        (struct px_endpoint_cfg){.name = fl_strdup(target), .addr = *addr, .weight = 1};
    c->vhosts = fl_calloc(1, sizeof *c->vhosts);
    c->n_vhosts = 1;
    struct px_vhost_cfg *vh = &c->vhosts[0];
    vh->name = fl_strdup("all");
    vh->domains = fl_calloc(1, sizeof *vh->domains);
    vh->domains[0] = fl_strdup("*");
    vh->n_domains = 1;
    vh->routes = fl_calloc(1, sizeof *vh->routes);
    vh->n_routes = 1;
    struct px_route_cfg *rc = &vh->routes[0];
    rc->name = fl_strdup("default");
    rc->rate_limit = -1;
    if (px_match_init(&rc->path, PX_MATCH_PREFIX, "/", 0, &err)) FL_ASSERT(0);
    rc->dests = fl_calloc(1, sizeof *rc->dests);
    rc->dests[0] = (struct px_route_dest){.cluster = 0, .weight = 100};
    rc->n_dests = 1;
    rc->total_weight = 100;
    rc->has_retry = !in;
    if (!in) px_istio_default_retry(&rc->retry);
    return 0;
}

static void in_accepted(void *arg, struct px_conn *c)
{
    struct sidecar *s = arg;
    FL_ASSERT(s->in && c);
    px_proxy_accept(s->in, c);
}

static void out_accepted(void *arg, struct px_conn *c)
{
    struct sidecar *s = arg;
    FL_ASSERT(s->out && c);
    px_proxy_accept(s->out, c);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    (void)w;
    ev_break(loop, EVBREAK_ALL);
}

/* SIGHUP: the certificate files again, for new connections. */
static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    struct sidecar *s = w->data;
    FL_ASSERT(s && s->n_servers > 0);
    if (tls_load(s, NULL, 0)) {
        fprintf(stderr, "faultline sidecar: SIGHUP: keeping the certificate in use\n");
        return;
    }
    tls_use(s);
    fprintf(stderr, "faultline sidecar: certificate reloaded (%zu)\n", s->n_servers - 1);
}

static void sidecar_free(struct sidecar *s)
{
    FL_ASSERT(s && s->loop);
    if (s->in_l) live_listener_close(s->in_l);
    if (s->plain_l) live_listener_close(s->plain_l);
    if (s->out_l) live_listener_close(s->out_l);
    live_rt_close_all(&s->rt);
    if (s->in) px_proxy_free(s->in);
    if (s->out) px_proxy_free(s->out);
    live_rt_fini(&s->rt);
    for (size_t i = 0; i < s->n_servers; i++) live_tls_server_free(s->servers[i]);
    for (size_t i = 0; i < s->n_clients; i++) live_tls_client_free(s->clients[i]);
    free(s->servers);
    free(s->clients);
    px_proxy_cfg_free(&s->in_cfg); /* its sec too */
    px_proxy_cfg_free(&s->out_cfg);
    px_istio_free(&s->istio);
    for (int i = 0; i < s->o.n_labels; i++) {
        free(s->labels[i].key);
        free(s->labels[i].value);
    }
    if (s->docs) fl_ydoc_free_all(s->docs, s->n_docs);
    ev_loop_destroy(s->loop);
    free(s);
}

static void print_summary(const struct sidecar *s)
{
    const struct live_stats *st = &s->rt.st;
    fprintf(stderr,
            "faultline sidecar: %llu connections accepted, %llu requests; upstream: %llu "
            "connects (%llu failed), %llu responses; tls: %llu handshakes, %llu failed\n",
            (unsigned long long)st->accepted, (unsigned long long)st->requests_in,
            (unsigned long long)st->connects, (unsigned long long)st->connect_failures,
            (unsigned long long)st->responses_in, (unsigned long long)st->tls_handshakes,
            (unsigned long long)st->tls_failures);
}

/* Listens on hostport for proxy cb; prints "WHAT listening on". Returns 0, or -1 (printed). */
static int listen_on(struct sidecar *s, const char *what, const char *hostport, live_accept_cb cb,
                     struct live_listener **l)
{
    char *err = NULL;
    if (live_listen(&s->rt, hostport, cb, s, l, &err)) {
        fprintf(stderr, "faultline sidecar: %s %s: %s\n", what, hostport, err);
        free(err);
        return -1;
    }
    return 0;
}

int cli_sidecar(int argc, char **argv)
{
    struct sc_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    struct sidecar *s = fl_calloc(1, sizeof *s);
    s->o = o;
    s->loop = ev_loop_new(EVFLAG_AUTO);
    live_rt_init(&s->rt, s->loop, o.has_seed ? o.seed : live_seed_random(), o.verbose);
    uint64_t app_addr;
    char ns[128];
    if (tls_load(s, ns, sizeof ns) || (o.config && load_config(s, ns)) ||
        build_cfg(s, &s->in_cfg, PX_PROXY_INBOUND, "--app", o.app, &app_addr) ||
        (o.outbound &&
         build_cfg(s, &s->out_cfg, PX_PROXY_OUTBOUND, "--upstream", o.upstream, &s->up_addr))) {
        sidecar_free(s);
        return CLI_BAD_INPUT;
    }
    FL_ASSERT(s->self[0]);
    s->in_cfg.xfcc_by = fl_asprintf("spiffe://%s", s->self);
    s->in = px_proxy_new(&s->rt.base, &s->in_cfg);
    if (o.outbound) s->out = px_proxy_new(&s->rt.base, &s->out_cfg);
    if (listen_on(s, "--inbound", o.inbound, in_accepted, &s->in_l) ||
        (o.plain && listen_on(s, "--inbound-plain", o.plain, in_accepted, &s->plain_l)) ||
        (o.outbound && listen_on(s, "--outbound", o.outbound, out_accepted, &s->out_l))) {
        sidecar_free(s);
        return CLI_BAD_INPUT;
    }
    tls_use(s);
    if (o.verbose)
        fprintf(stderr, "faultline sidecar: namespace %s, mTLS mode %s\n", ns,
                !s->in_cfg.sec                                           ? "PERMISSIVE (no policy)"
                : px_istio_sec_mode(s->in_cfg.sec, 0) == PX_MTLS_STRICT  ? "STRICT"
                : px_istio_sec_mode(s->in_cfg.sec, 0) == PX_MTLS_DISABLE ? "DISABLE"
                                                                         : "PERMISSIVE");
    cli_signals_start(&s->signals, s->loop, on_signal, s);
    ev_signal_init(&s->hup, on_hup, SIGHUP);
    s->hup.data = s;
    ev_signal_start(s->loop, &s->hup);
    fprintf(stderr, "faultline sidecar: inbound listening on %s\n", live_listener_name(s->in_l));
    if (s->plain_l)
        fprintf(stderr, "faultline sidecar: inbound-plain listening on %s\n",
                live_listener_name(s->plain_l));
    if (s->out_l)
        fprintf(stderr, "faultline sidecar: outbound listening on %s\n",
                live_listener_name(s->out_l));
    ev_run(s->loop, 0);
    ev_signal_stop(s->loop, &s->hup);
    cli_signals_stop(&s->signals, s->loop);
    if (o.verbose) print_summary(s);
    sidecar_free(s);
    return CLI_OK;
}
