/*
 * test_kong.c - proxies/kong_*.c: Kong declarative configuration read as
 * Kong 3 reads it (defaults, url shorthand, nested and top-level routes and
 * plugins, upstreams and targets, the rate-limiting schema), mistakes
 * refused with their exact "file:line:col: message", and the gateway
 * configuration built from it (clusters, Kong's retries and timeouts,
 * routes in Kong's router order, hosts as virtual hosts, the rate-limiting
 * plugin that applies to each route, an upstream's health checks as
 * outlier detection in Kong's mode and its threshold).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/kong.h"
#include "tests/testutil.h"

void suite_kong(void);

#define MS INT64_C(1000000)

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr, "\n  test_kong.c:%d: got      \"%s\"\n  test_kong.c:%d: expected \"%s\"\n",
                line, actual ? actual : "(null)", line, expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

/* Parses text as a Kong configuration named "kong.yaml"; returns the parser's result. */
static int parse(const char *text, struct px_kong *k, char **err)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    *err = NULL;
    if (fl_ydoc_load_buffer("kong.yaml", text, strlen(text), &docs, &n, err)) return -1;
    CU_ASSERT_EQUAL_FATAL(n, 1);
    int rc = px_kong_parse(&docs[0], fl_y_root(&docs[0]), k);
    if (rc) {
        *err = docs[0].err;
        docs[0].err = NULL;
    }
    fl_ydoc_free_all(docs, n);
    return rc;
}

static void parse_ok(const char *text, struct px_kong *k)
{
    char *err;
    int rc = parse(text, k, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    if (rc) free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The error of text that must be refused (caller frees). */
static char *parse_err(const char *text)
{
    struct px_kong k;
    char *err;
    if (parse(text, &k, &err) == 0) {
        px_kong_free(&k);
        return fl_strdup("(accepted)");
    }
    return err;
}

#define ASSERT_ERR(text, expected)                                                                 \
    do {                                                                                           \
        char *e__ = parse_err(text);                                                               \
        ASSERT_STR(e__, expected);                                                                 \
        free(e__);                                                                                 \
    } while (0)

/* ---- a resolver as the simulator's: services are pods, two for billing ---- */

struct fake_dns {
    char last_host[64];
    uint16_t last_port;
    int calls;
};

static void endpoint(struct px_endpoint_cfg *e, const char *name, uint64_t addr)
{
    memset(e, 0, sizeof *e);
    e->name = fl_strdup(name);
    e->addr = addr;
    e->weight = 1;
}

static int fake_resolve(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                        size_t *n, char **err)
{
    struct fake_dns *dns = arg;
    snprintf(dns->last_host, sizeof dns->last_host, "%s", host);
    dns->last_port = port;
    dns->calls++;
    if (!strcmp(host, "billing")) {
        *eps = fl_calloc(2, sizeof **eps);
        endpoint(&(*eps)[0], "billing-0", 10);
        endpoint(&(*eps)[1], "billing-1", 11);
        *n = 2;
        return 0;
    }
    if (!strcmp(host, "inventory") || !strcmp(host, "pod-a") || !strcmp(host, "pod-b") ||
        !strcmp(host, "pod-c") || !strcmp(host, "api.example.com")) {
        *eps = fl_calloc(1, sizeof **eps);
        endpoint(*eps, host, 20 + (uint64_t)host[4]);
        *n = 1;
        return 0;
    }
    *err = fl_asprintf("'%s' is neither a service nor a pod of the scenario", host);
    return -1;
}

static int build(const struct px_kong *k, struct fake_dns *dns, struct px_proxy_cfg *out,
                 char **err)
{
    struct px_resolver r = {fake_resolve, dns};
    *err = NULL;
    return px_kong_build(k, "gateway", &r, out, err);
}

static void build_ok(const char *text, struct px_kong *k, struct px_proxy_cfg *out)
{
    struct fake_dns dns = {0};
    char *err;
    parse_ok(text, k);
    int rc = build(k, &dns, out, &err);
    if (rc) fprintf(stderr, "\n  unexpected build error: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The vhost matching exactly this domain, or NULL. */
static const struct px_vhost_cfg *vhost(const struct px_proxy_cfg *c, const char *domain)
{
    for (size_t i = 0; i < c->n_vhosts; i++)
        if (!strcmp(c->vhosts[i].domains[0], domain)) return &c->vhosts[i];
    return NULL;
}

/* The route names of a vhost joined by spaces, into buf. */
static const char *route_names(const struct px_vhost_cfg *v, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; v && i < v->n_routes && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", v->routes[i].name);
    return buf;
}

/* ---- reading ---- */

static const char *const basic = "_format_version: \"3.0\"\n"
                                 "services:\n"
                                 "  - name: billing\n"
                                 "    url: http://billing:8080\n"
                                 "    routes:\n"
                                 "      - name: billing-route\n"
                                 "        paths: [/api/v1/billing]\n";

static void test_kong_defaults_are_kongs(void)
{
    struct px_kong k;
    parse_ok(basic, &k);
    ASSERT_STR(k.format_version, "3.0");
    CU_ASSERT_EQUAL_FATAL(k.n_services, 1);
    const struct px_kong_service *s = &k.services[0];
    ASSERT_STR(s->name, "billing");
    ASSERT_STR(s->protocol, "http");
    ASSERT_STR(s->host, "billing");
    CU_ASSERT_EQUAL(s->port, 8080);
    CU_ASSERT_PTR_NULL(s->path);
    CU_ASSERT_EQUAL(s->retries, 5);
    CU_ASSERT_EQUAL(s->connect_timeout_ns, 60000 * MS);
    CU_ASSERT_EQUAL(s->read_timeout_ns, 60000 * MS);
    CU_ASSERT_EQUAL(s->write_timeout_ns, 60000 * MS);
    CU_ASSERT_TRUE(s->enabled);
    CU_ASSERT_EQUAL_FATAL(k.n_routes, 1);
    const struct px_kong_route *r = &k.routes[0];
    ASSERT_STR(r->name, "billing-route");
    CU_ASSERT_EQUAL(r->service, 0);
    CU_ASSERT_TRUE(r->strip_path);
    CU_ASSERT_FALSE(r->preserve_host);
    CU_ASSERT_EQUAL(r->regex_priority, 0);
    CU_ASSERT_EQUAL_FATAL(r->n_paths, 1);
    ASSERT_STR(r->paths[0], "/api/v1/billing");
    CU_ASSERT_EQUAL(k.n_plugins, 0);
    px_kong_free(&k);
}

static void test_kong_url_shorthand_sets_protocol_host_port_path(void)
{
    struct px_kong k;
    parse_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - {name: a, url: \"https://api.example.com/v1/x?debug=1\"}\n"
             "  - {name: b, url: \"http://inventory\"}\n"
             "  - {name: c, url: \"https://pod-a:9443/\"}\n"
             "  - {name: d, protocol: https, host: pod-b, path: /p}\n",
             &k);
    CU_ASSERT_EQUAL_FATAL(k.n_services, 4);
    ASSERT_STR(k.services[0].protocol, "https");
    ASSERT_STR(k.services[0].host, "api.example.com");
    CU_ASSERT_EQUAL(k.services[0].port, 443);
    ASSERT_STR(k.services[0].path, "/v1/x");
    CU_ASSERT_EQUAL(k.services[1].port, 80);
    CU_ASSERT_PTR_NULL(k.services[1].path);
    CU_ASSERT_EQUAL(k.services[2].port, 9443);
    ASSERT_STR(k.services[2].path, "/");
    /* without url the port defaults to 80 whatever the protocol (services.lua) */
    CU_ASSERT_EQUAL(k.services[3].port, 80);
    ASSERT_STR(k.services[3].path, "/p");
    px_kong_free(&k);
}

static void test_kong_url_and_fields_conflict(void)
{
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing:8080\n"
               "    port: 9090\n",
               "kong.yaml:5:5: service 'billing': both 'url' and 'port' are given; use one or "
               "the other");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: billing:8080\n",
               "kong.yaml:4:10: service 'billing': url 'billing:8080' must look like "
               "http://host:port/path");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: billing, port: 80}\n",
               "kong.yaml:3:5: service 'billing' needs 'host' (or 'url')");
}

static void test_kong_unknown_keys_and_ranges_are_refused(void)
{
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    retires: 3\n",
               "kong.yaml:5:5: unknown key 'retires' in service 'billing' (did you mean "
               "'retries'?)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: billing, url: \"http://billing\", retries: 40000}\n",
               "kong.yaml:3:53: retries must be between 0 and 32767, not 40000");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: billing, url: \"http://billing\", read_timeout: 0}\n",
               "kong.yaml:3:58: read_timeout must be between 1 and 2147483646, not 0");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "servces: []\n",
               "kong.yaml:2:1: unknown key 'servces' in Kong declarative configuration (did you "
               "mean 'services'?)");
    ASSERT_ERR("services: []\n",
               "kong.yaml:1:1: Kong declarative configuration needs '_format_version'");
    ASSERT_ERR("_format_version: \"2.0\"\n",
               "kong.yaml:1:18: _format_version: unknown value '2.0' (did you mean '2.1'? one "
               "of 1.1, 2.1, 3.0)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: \"bill ing\", url: \"http://billing\"}\n",
               "kong.yaml:3:12: service name 'bill ing': the only accepted ascii characters are "
               "alphanumerics or ., -, _, and ~");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: billing, url: \"http://billing\"}\n"
               "  - {name: billing, url: \"http://billing\"}\n",
               "kong.yaml:4:12: service 'billing' is defined twice");
}

static void test_kong_top_level_routes_name_their_service(void)
{
    struct px_kong k;
    parse_ok("_format_version: \"3.0\"\n"
             "routes:\n"
             "  - {name: r1, paths: [/a], service: billing}\n"
             "  - {name: r2, paths: [/b], service: {name: inventory}, strip_path: false,\n"
             "     preserve_host: true, methods: [GET, POST], hosts: [shop.example.com],\n"
             "     headers: {x-version: [v2]}, regex_priority: 7}\n"
             "  - {name: r3, paths: [/c], service: {id: 8d0e6a6c}}\n"
             "services:\n"
             "  - {name: billing, url: \"http://billing\"}\n"
             "  - {name: inventory, id: 8d0e6a6c, url: \"http://inventory\"}\n",
             &k);
    CU_ASSERT_EQUAL_FATAL(k.n_routes, 3);
    CU_ASSERT_EQUAL(k.routes[0].service, 0);
    CU_ASSERT_EQUAL(k.routes[1].service, 1);
    CU_ASSERT_EQUAL(k.routes[2].service, 1);
    const struct px_kong_route *r = &k.routes[1];
    CU_ASSERT_FALSE(r->strip_path);
    CU_ASSERT_TRUE(r->preserve_host);
    CU_ASSERT_EQUAL(r->n_methods, 2);
    ASSERT_STR(r->hosts[0], "shop.example.com");
    CU_ASSERT_EQUAL_FATAL(r->n_headers, 1);
    ASSERT_STR(r->headers[0].name, "x-version");
    ASSERT_STR(r->headers[0].values[0], "v2");
    CU_ASSERT_EQUAL(r->regex_priority, 7);
    px_kong_free(&k);
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: billing, url: \"http://billing\"}\n"
               "routes:\n"
               "  - {name: r1, paths: [/a], service: biling}\n",
               "kong.yaml:5:38: no service named 'biling' (did you mean 'billing'?)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "routes:\n"
               "  - {name: r1, paths: [/a]}\n",
               "kong.yaml:3:5: route 'r1' has no service (not supported yet)");
}

static void test_kong_route_checks(void)
{
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - name: r\n"
               "        strip_path: false\n",
               "kong.yaml:6:9: route 'r': must set one of 'methods', 'hosts', 'headers', "
               "'paths' when 'protocols' is 'http'");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, paths: [api]}\n",
               "kong.yaml:6:27: path 'api' should start with: / (or ~ for a regex)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, paths: [\"~/a(?=b)\"]}\n",
               "kong.yaml:6:27: regex '(?:/a(?=b))(?s:.*)': lookahead (?= (?! not supported by "
               "RE2, the regex engine Envoy uses");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, paths: [/a], service: billing}\n",
               "kong.yaml:6:32: unknown key 'service' in route 'r'");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, headers: {Host: [a.com]}}\n",
               "kong.yaml:6:29: cannot contain 'host' header, which must be specified in the "
               "'hosts' attribute");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, methods: [get]}\n",
               "kong.yaml:6:29: method 'get': invalid value, use uppercase letters (GET)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, hosts: [\"a.*.com\"]}\n",
               "kong.yaml:6:27: host 'a.*.com': invalid wildcard: must be placed at leftmost or "
               "rightmost label");
}

static void test_kong_unsupported_parts_are_refused_by_name(void)
{
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "consumers:\n"
               "  - username: alice\n",
               "kong.yaml:2:1: Kong's consumers are not supported yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    plugins:\n"
               "      - name: key-auth\n",
               "kong.yaml:6:15: plugin 'key-auth' is not supported yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: billing, url: \"grpc://billing:50051\"}\n",
               "kong.yaml:3:26: service 'billing': protocol 'grpc' is not supported yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, paths: [/a], protocols: [https]}\n",
               "kong.yaml:6:43: route 'r': routes without 'http' in protocols are not supported "
               "yet (faultline's clients speak plain HTTP)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    routes:\n"
               "      - {name: r, expression: 'http.path == \"/a\"'}\n",
               "kong.yaml:6:19: route 'r': expressions routes are not supported yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "upstreams:\n"
               "  - {name: up, algorithm: consistent-hashing}\n",
               "kong.yaml:3:27: upstream 'up': algorithm 'consistent-hashing' is not supported "
               "yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "upstreams:\n"
               "  - name: up\n"
               "    healthchecks: {active: {healthy: {interval: 5}}}\n",
               "kong.yaml:4:49: upstream 'up': active health checks are not supported yet "
               "(healthchecks.active.healthy.interval: 5)");
}

static void test_kong_rate_limiting_config(void)
{
    struct px_kong k;
    parse_ok("_format_version: \"3.0\"\n"
             "plugins:\n"
             "  - name: rate-limiting\n"
             "    config: {second: 5, minute: 100, hour: 1000, limit_by: header,\n"
             "             header_name: x-api-key, hide_client_headers: true,\n"
             "             error_code: 503, error_message: slow down, policy: local,\n"
             "             fault_tolerant: true, sync_rate: -1}\n"
             "  - name: rate-limiting\n"
             "    enabled: false\n"
             "    config: {minute: 1}\n",
             &k);
    CU_ASSERT_EQUAL_FATAL(k.n_plugins, 1); /* the disabled one is dropped, as Kong skips it */
    const struct px_kong_plugin *p = &k.plugins[0];
    ASSERT_STR(p->name, "rate-limiting");
    CU_ASSERT_EQUAL(p->scope, PX_KONG_GLOBAL);
    CU_ASSERT_EQUAL(p->rl.limit[PX_RL_SECOND], 5);
    CU_ASSERT_EQUAL(p->rl.limit[PX_RL_MINUTE], 100);
    CU_ASSERT_EQUAL(p->rl.limit[PX_RL_HOUR], 1000);
    CU_ASSERT_EQUAL(p->rl.limit[PX_RL_DAY], 0);
    CU_ASSERT_EQUAL(p->rl.limit_by, PX_RL_BY_HEADER);
    ASSERT_STR(p->rl.header_name, "x-api-key");
    CU_ASSERT_TRUE(p->rl.hide_client_headers);
    CU_ASSERT_EQUAL(p->rl.error_code, 503);
    ASSERT_STR(p->rl.error_message, "slow down");
    px_kong_free(&k);
}

static void test_kong_rate_limiting_mistakes(void)
{
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {policy: local}}\n",
               "kong.yaml:3:35: rate-limiting: at least one of these fields must be non-empty: "
               "'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', "
               "'config.year'");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, hour: 5}}\n",
               "kong.yaml:3:54: rate-limiting: The limit for hour(5.0) cannot be lower than the "
               "limit for minute(10.0)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, policy: cluster}}\n",
               "kong.yaml:3:56: config.policy: unknown value 'cluster' (one of local, redis)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 0}}\n",
               "kong.yaml:3:44: config.minute must be between 1 and 9007199254740992, not 0");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, limit_by: header}}\n",
               "kong.yaml:3:35: rate-limiting: limit_by header needs 'header_name'");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, minutes: 5}}\n",
               "kong.yaml:3:48: unknown key 'minutes' in rate-limiting config (did you mean "
               "'minute'?)");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10}}\n"
               "  - {name: rate-limiting, config: {minute: 20}}\n",
               "kong.yaml:4:5: a second rate-limiting plugin for the whole gateway (Kong allows "
               "one)");
}

static void test_kong_upstreams_and_targets(void)
{
    struct px_kong k;
    parse_ok("_format_version: \"3.0\"\n"
             "upstreams:\n"
             "  - name: billing-up\n"
             "    algorithm: least-connections\n"
             "    targets:\n"
             "      - {target: \"pod-a:8080\", weight: 300}\n"
             "      - target: pod-b\n"
             "targets:\n"
             "  - {upstream: billing-up, target: \"pod-c:81\", weight: 0}\n",
             &k);
    CU_ASSERT_EQUAL_FATAL(k.n_upstreams, 1);
    const struct px_kong_upstream *u = &k.upstreams[0];
    CU_ASSERT_EQUAL(u->lb, PX_LB_LEAST_REQUEST);
    CU_ASSERT_EQUAL_FATAL(u->n_targets, 3);
    ASSERT_STR(u->targets[0].host, "pod-a");
    CU_ASSERT_EQUAL(u->targets[0].port, 8080);
    CU_ASSERT_EQUAL(u->targets[0].weight, 300);
    ASSERT_STR(u->targets[1].host, "pod-b");
    CU_ASSERT_EQUAL(u->targets[1].port, 8000); /* Kong's default target port */
    CU_ASSERT_EQUAL(u->targets[1].weight, 100);
    CU_ASSERT_EQUAL(u->targets[2].weight, 0);
    px_kong_free(&k);
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "targets:\n"
               "  - {upstream: nope, target: pod-a}\n",
               "kong.yaml:3:16: no upstream named 'nope'");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "upstreams:\n"
               "  - {name: up, targets: [{target: \"pod-a:99999\"}]}\n",
               "kong.yaml:3:35: Invalid target ('pod-a:99999'); not a valid port");
}

/* ---- health checks ---- */

/* What `kong config db_export` writes for an upstream left at its defaults. */
static const char *const exported =
    "_format_version: \"3.0\"\n"
    "upstreams:\n"
    "- algorithm: round-robin\n"
    "  client_certificate: ~\n"
    "  created_at: 1730264799\n"
    "  hash_fallback: none\n"
    "  hash_fallback_header: ~\n"
    "  hash_on: none\n"
    "  hash_on_cookie_path: /\n"
    "  healthchecks:\n"
    "    active:\n"
    "      concurrency: 10\n"
    "      headers: ~\n"
    "      healthy:\n"
    "        http_statuses: [200, 302]\n"
    "        interval: 0\n"
    "        successes: 0\n"
    "      http_path: /\n"
    "      https_sni: ~\n"
    "      https_verify_certificate: true\n"
    "      timeout: 1\n"
    "      type: http\n"
    "      unhealthy:\n"
    "        http_failures: 0\n"
    "        http_statuses: [429, 404, 500, 501, 502, 503, 504, 505]\n"
    "        interval: 0\n"
    "        tcp_failures: 0\n"
    "        timeouts: 0\n"
    "    passive:\n"
    "      healthy:\n"
    "        http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302,\n"
    "                        303, 304, 305, 306, 307, 308]\n"
    "        successes: 0\n"
    "      type: http\n"
    "      unhealthy:\n"
    "        http_failures: 0\n"
    "        http_statuses: [429, 500, 503]\n"
    "        tcp_failures: 0\n"
    "        timeouts: 0\n"
    "    threshold: 0\n"
    "  host_header: ~\n"
    "  id: 00f62da1-73b3-4308-8ae5-856268388aa9\n"
    "  name: billing-up\n"
    "  slots: 10000\n"
    "  tags: ~\n"
    "  updated_at: 1747296460\n"
    "  use_srv_name: false\n"
    "  targets: [{target: \"pod-a:8080\"}, {target: \"pod-b:8080\"}]\n"
    "services:\n"
    "  - name: billing\n"
    "    host: billing-up\n"
    "    routes: [{name: r, paths: [/]}]\n";

/* Kong's defaults: passive checks off, its status lists, threshold 0; nothing to run. */
static void test_kong_healthchecks_defaults_load_and_stay_off(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    const char *const texts[] = {"_format_version: \"3.0\"\n"
                                 "upstreams:\n"
                                 "  - {name: billing-up, targets: [{target: \"pod-a:8080\"}]}\n"
                                 "services:\n"
                                 "  - {name: billing, host: billing-up, routes: [{paths: [/]}]}\n",
                                 exported};
    for (int t = 0; t < 2; t++) {
        build_ok(texts[t], &k, &c);
        const struct px_kong_upstream *u = &k.upstreams[0];
        CU_ASSERT_FALSE(u->passive.on);
        CU_ASSERT_EQUAL(u->passive.http_failures + u->passive.tcp_failures + u->passive.timeouts +
                            u->passive.successes,
                        0);
        CU_ASSERT_EQUAL(u->threshold, 0);
        static const int healthy[] = {200, 204, 226, 300, 308};
        static const int unhealthy[] = {429, 500, 503};
        static const int neither[] = {100, 209, 400, 404, 501, 502, 504};
        for (size_t i = 0; i < sizeof healthy / sizeof *healthy; i++)
            CU_ASSERT_TRUE(px_status_set_has(u->passive.healthy_statuses, healthy[i]));
        for (size_t i = 0; i < sizeof unhealthy / sizeof *unhealthy; i++)
            CU_ASSERT_TRUE(px_status_set_has(u->passive.unhealthy_statuses, unhealthy[i]));
        for (size_t i = 0; i < sizeof neither / sizeof *neither; i++) {
            CU_ASSERT_FALSE(px_status_set_has(u->passive.healthy_statuses, neither[i]));
            CU_ASSERT_FALSE(px_status_set_has(u->passive.unhealthy_statuses, neither[i]));
        }
        CU_ASSERT_FALSE(c.clusters[0].has_outlier);
        CU_ASSERT_EQUAL(c.clusters[0].lb.min_healthy_weight, 0);
        CU_ASSERT_EQUAL(c.clusters[0].lb.panic_threshold, 0);
        px_proxy_cfg_free(&c);
        px_kong_free(&k);
    }
}

/* Passive checks on: Kong's counters as outlier detection; its threshold for the balancer. */
static void test_kong_build_passive_checks_as_kong_outlier_detection(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    build_ok("_format_version: \"3.0\"\n"
             "upstreams:\n"
             "  - name: billing-up\n"
             "    targets: [{target: \"pod-a:8080\"}, {target: \"pod-b:8080\"}]\n"
             "    healthchecks:\n"
             "      passive:\n"
             "        type: https\n"
             "        healthy: {http_statuses: [200, 202], successes: 2}\n"
             "        unhealthy: {http_statuses: [502, 503], tcp_failures: 2, timeouts: 4,\n"
             "                    http_failures: 3}\n"
             "      threshold: 33.5\n"
             "services:\n"
             "  - {name: billing, host: billing-up, routes: [{paths: [/b]}]}\n"
             "  - {name: plain, url: \"http://inventory\", routes: [{paths: [/p]}]}\n",
             &k, &c);
    const struct px_kong_upstream *u = &k.upstreams[0];
    CU_ASSERT_TRUE(u->passive.on);
    CU_ASSERT_EQUAL(u->threshold, 33.5);
    CU_ASSERT_EQUAL_FATAL(c.n_clusters, 2);
    const struct px_cluster_cfg *cl = &c.clusters[0];
    CU_ASSERT_TRUE_FATAL(cl->has_outlier);
    const struct px_outlier_cfg *o = &cl->outlier;
    CU_ASSERT_TRUE(o->kong.on);
    CU_ASSERT_EQUAL(o->kong.successes, 2);
    CU_ASSERT_EQUAL(o->kong.tcp_failures, 2);
    CU_ASSERT_EQUAL(o->kong.timeouts, 4);
    CU_ASSERT_EQUAL(o->kong.http_failures, 3);
    /* a list given replaces Kong's default one */
    CU_ASSERT_TRUE(px_status_set_has(o->kong.healthy_statuses, 202));
    CU_ASSERT_FALSE(px_status_set_has(o->kong.healthy_statuses, 201));
    CU_ASSERT_TRUE(px_status_set_has(o->kong.unhealthy_statuses, 502));
    CU_ASSERT_FALSE(px_status_set_has(o->kong.unhealthy_statuses, 500));
    /* ejected for good; any target may be; none of Envoy's detectors */
    CU_ASSERT(o->base_ejection_ns >= INT64_C(1) << 60);
    CU_ASSERT_EQUAL(o->max_ejection_ns, o->base_ejection_ns);
    CU_ASSERT(o->interval_ns >= INT64_C(1) << 60);
    CU_ASSERT_EQUAL(o->max_ejection_percent, 100);
    CU_ASSERT_EQUAL(o->consecutive_5xx, 0);
    CU_ASSERT_EQUAL(o->consecutive_gateway_failure, 0);
    CU_ASSERT_EQUAL(o->enforcing_success_rate, 0);
    CU_ASSERT_EQUAL(o->enforcing_failure_percentage, 0);
    CU_ASSERT_EQUAL(o->max_ejection_jitter_ns, 0);
    CU_ASSERT_EQUAL(cl->lb.min_healthy_weight, 33.5);
    CU_ASSERT_EQUAL(cl->lb.panic_threshold, 0);
    /* a service without an upstream has no balancer, so no health checks */
    CU_ASSERT_FALSE(c.clusters[1].has_outlier);
    CU_ASSERT_EQUAL(c.clusters[1].lb.min_healthy_weight, 0);
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
    /* one failure counter is enough to switch them on; successes alone is not */
    parse_ok("_format_version: \"3.0\"\n"
             "upstreams:\n"
             "  - {name: a, healthchecks: {passive: {unhealthy: {timeouts: 1}}}}\n"
             "  - {name: b, healthchecks: {passive: {healthy: {successes: 5}}}}\n",
             &k);
    CU_ASSERT_TRUE(k.upstreams[0].passive.on);
    CU_ASSERT_FALSE(k.upstreams[1].passive.on);
    px_kong_free(&k);
}

#define UP "_format_version: \"3.0\"\nupstreams:\n  - name: up\n    healthchecks:\n"

static void test_kong_healthchecks_mistakes(void)
{
    ASSERT_ERR(UP "      passive: {unhealthy: {tcp_failure: 2}}\n",
               "kong.yaml:5:29: unknown key 'tcp_failure' in healthchecks.passive.unhealthy (did "
               "you mean 'tcp_failures'?)");
    ASSERT_ERR(UP "      passiv: {}\n",
               "kong.yaml:5:7: unknown key 'passiv' in healthchecks (did you mean 'passive'?)");
    ASSERT_ERR(UP "      passive: {unhealthy: {interval: 5}}\n",
               "kong.yaml:5:29: unknown key 'interval' in healthchecks.passive.unhealthy");
    ASSERT_ERR(UP "      passive: {unhealthy: {http_failures: 255}}\n",
               "kong.yaml:5:44: healthchecks.passive.unhealthy.http_failures must be between 0 "
               "and 254, not 255");
    ASSERT_ERR(UP "      passive: {healthy: {successes: -1}}\n",
               "kong.yaml:5:38: healthchecks.passive.healthy.successes must be between 0 and "
               "254, not -1");
    ASSERT_ERR(UP "      passive: {unhealthy: {http_statuses: [503, 99]}}\n",
               "kong.yaml:5:50: healthchecks.passive.unhealthy.http_statuses must be between "
               "100 and 999, not 99");
    ASSERT_ERR(UP "      passive: {unhealthy: {http_statuses: 503}}\n",
               "kong.yaml:5:44: healthchecks.passive.unhealthy.http_statuses must be a list, "
               "not a single value");
    ASSERT_ERR(UP "      passive: {type: udp}\n",
               "kong.yaml:5:23: healthchecks.passive.type: unknown value 'udp' (did you mean "
               "'tcp'? one of tcp, http, https, grpc, grpcs)");
    ASSERT_ERR(UP "      threshold: 101\n",
               "kong.yaml:5:18: healthchecks.threshold must be between 0 and 100, not 101");
    ASSERT_ERR(UP "      active: {concurrency: 0}\n",
               "kong.yaml:5:29: healthchecks.active.concurrency must be between 1 and 2147483648, "
               "not 0");
    ASSERT_ERR(UP "      active: {http_path: status}\n",
               "kong.yaml:5:27: healthchecks.active.http_path should start with: /");
    ASSERT_ERR(UP "      active: {timeout: 70000}\n",
               "kong.yaml:5:25: healthchecks.active.timeout must be between 0 and 65535, not "
               "70000");
    ASSERT_ERR(UP "      active: {headers: {x-probe: yes}}\n",
               "kong.yaml:5:35: healthchecks.active.headers values must be a list, not a "
               "single value");
    /* active checks on: refused, whichever setting turns them on */
    ASSERT_ERR(UP "      active: {unhealthy: {http_statuses: [500], tcp_failures: 1}}\n",
               "kong.yaml:5:64: upstream 'up': active health checks are not supported yet "
               "(healthchecks.active.unhealthy.tcp_failures: 1)");
    ASSERT_ERR(UP "      active:\n"
                  "        healthy: {interval: 0, successes: 0}\n"
                  "        unhealthy: {interval: 0.5}\n",
               "kong.yaml:7:31: upstream 'up': active health checks are not supported yet "
               "(healthchecks.active.unhealthy.interval: 0.5)");
}

static void test_kong_legacy_format_paths_become_regexes(void)
{
    struct px_kong k;
    parse_ok("_format_version: \"2.1\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    routes:\n"
             "      - {name: r, paths: [\"/users/\\\\d+\", /plain-path_1.x~]}\n",
             &k);
    ASSERT_STR(k.routes[0].paths[0], "~/users/\\d+");
    ASSERT_STR(k.routes[0].paths[1], "/plain-path_1.x~");
    px_kong_free(&k);
}

/* ---- building ---- */

static void test_kong_build_cluster_retries_and_timeouts(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing:8080/internal\n"
             "    retries: 3\n"
             "    connect_timeout: 2000\n"
             "    read_timeout: 5000\n"
             "    routes:\n"
             "      - {name: billing-route, paths: [/api/v1/billing]}\n",
             &k, &c);
    ASSERT_STR(c.name, "gateway");
    CU_ASSERT_EQUAL(c.kind, PX_PROXY_GATEWAY);
    CU_ASSERT_EQUAL_FATAL(c.n_clusters, 1);
    const struct px_cluster_cfg *cl = &c.clusters[0];
    ASSERT_STR(cl->name, "billing");
    CU_ASSERT_EQUAL(cl->connect_timeout_ns, 2000 * MS);
    CU_ASSERT_EQUAL(cl->lb.policy, PX_LB_ROUND_ROBIN);
    CU_ASSERT_EQUAL(cl->lb.panic_threshold, 0);
    CU_ASSERT_EQUAL(cl->breaker.max_connections, UINT32_MAX);
    CU_ASSERT_EQUAL(cl->breaker.max_pending, UINT32_MAX);
    CU_ASSERT_EQUAL(cl->breaker.max_requests, UINT32_MAX);
    CU_ASSERT_EQUAL(cl->breaker.max_retries, UINT32_MAX);
    CU_ASSERT_FALSE(cl->breaker.budget);
    CU_ASSERT_FALSE(cl->has_outlier);
    CU_ASSERT_EQUAL_FATAL(cl->n_endpoints, 2);
    ASSERT_STR(cl->endpoints[0].name, "billing-0");
    CU_ASSERT_EQUAL(cl->endpoints[1].addr, 11);
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 1);
    const struct px_vhost_cfg *v = &c.vhosts[0];
    ASSERT_STR(v->domains[0], "*");
    CU_ASSERT_EQUAL_FATAL(v->n_routes, 1);
    const struct px_route_cfg *r = &v->routes[0];
    ASSERT_STR(r->name, "billing-route");
    CU_ASSERT_EQUAL(r->path.kind, PX_MATCH_PREFIX);
    ASSERT_STR(r->path.value, "/api/v1/billing");
    CU_ASSERT_EQUAL(r->n_dests, 1);
    CU_ASSERT_EQUAL(r->dests[0].cluster, 0);
    CU_ASSERT_EQUAL(r->timeout_ns, 0);
    CU_ASSERT_TRUE(r->has_retry);
    CU_ASSERT_EQUAL(r->retry.retry_on,
                    PX_RETRY_CONNECT_FAILURE | PX_RETRY_RESET | PX_RETRY_TIMEOUT);
    CU_ASSERT_EQUAL(r->retry.num_retries, 3);
    CU_ASSERT_EQUAL(r->retry.per_try_timeout_ns, 5000 * MS);
    CU_ASSERT_EQUAL(r->retry.base_ns, -1); /* no backoff */
    CU_ASSERT_EQUAL(px_retry_backoff(&r->retry, 1, 12345), 0);
    CU_ASSERT_EQUAL(r->retry.max_ns, 0);
    CU_ASSERT_TRUE(r->retry.previous_hosts);
    CU_ASSERT_FALSE(r->has_fault);
    CU_ASSERT_TRUE(r->strip_path);
    ASSERT_STR(r->path_prefix, "/internal");
    ASSERT_STR(r->authority, "billing:8080");
    CU_ASSERT_EQUAL(r->rate_limit, -1);
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_upstream_targets_with_weights(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    build_ok("_format_version: \"3.0\"\n"
             "upstreams:\n"
             "  - name: billing-up\n"
             "    algorithm: least-connections\n"
             "    targets:\n"
             "      - {target: \"pod-a:8080\", weight: 300}\n"
             "      - {target: \"pod-b:8080\"}\n"
             "      - {target: \"pod-c:8080\", weight: 0}\n"
             "      - {target: \"billing:8080\", weight: 50}\n"
             "services:\n"
             "  - name: billing\n"
             "    host: billing-up\n"
             "    routes: [{name: r, paths: [/], preserve_host: true}]\n",
             &k, &c);
    const struct px_cluster_cfg *cl = &c.clusters[0];
    CU_ASSERT_EQUAL(cl->lb.policy, PX_LB_LEAST_REQUEST);
    CU_ASSERT_EQUAL_FATAL(cl->n_endpoints, 4); /* pod-c has weight 0: no traffic */
    ASSERT_STR(cl->endpoints[0].name, "pod-a");
    CU_ASSERT_EQUAL(cl->endpoints[0].weight, 300);
    CU_ASSERT_EQUAL(cl->endpoints[1].weight, 100);
    ASSERT_STR(cl->endpoints[2].name, "billing-0");
    CU_ASSERT_EQUAL(cl->endpoints[2].weight, 50); /* each address gets the target's weight */
    CU_ASSERT_EQUAL(cl->endpoints[3].weight, 50);
    CU_ASSERT_EQUAL(cl->lb.choice_count, 4);
    CU_ASSERT_PTR_NULL(c.vhosts[0].routes[0].authority); /* preserve_host */
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_routes_in_kong_router_order(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    char names[512];
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    routes:\n"
             "      - {name: short, paths: [/api]}\n"
             "      - {name: long, paths: [/api/v1/billing]}\n"
             "      - {name: regex-low, paths: [\"~/api/v[0-9]+/users\"]}\n"
             "      - {name: regex-high, paths: [\"~/api/.*\"], regex_priority: 5}\n"
             "      - {name: with-method, paths: [/], methods: [GET]}\n"
             "      - {name: with-header, paths: [/], headers: {x-beta: [\"1\"]}}\n"
             "      - {name: two-headers, paths: [/], headers: {a: [\"1\"], b: [\"2\"]}}\n"
             "      - {name: only-method, methods: [DELETE]}\n",
             &k, &c);
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 1);
    /*
     * weight 2 first (two headers > one header > none), then weight 1:
     * regexes (by regex_priority) before prefixes (longest first); a route
     * without paths has weight 1 and no length, so it comes last
     */
    ASSERT_STR(route_names(&c.vhosts[0], names, sizeof names),
               "two-headers with-header with-method regex-high regex-low long short only-method");
    const struct px_route_cfg *rx = &c.vhosts[0].routes[3];
    CU_ASSERT_EQUAL(rx->path.kind, PX_MATCH_REGEX);
    CU_ASSERT_TRUE(px_match_test(&rx->path, "/api/x/y"));
    const struct px_route_cfg *low = &c.vhosts[0].routes[4];
    CU_ASSERT_TRUE(px_match_test(&low->path, "/api/v2/users/42")); /* anchored at the start */
    CU_ASSERT_FALSE(px_match_test(&low->path, "/x/api/v2/users"));
    CU_ASSERT_EQUAL(c.vhosts[0].routes[7].path.kind, PX_MATCH_ANY);
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_splits_routes_by_path(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    char names[256];
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    routes:\n"
             "      - {name: multi, paths: [/a, /abcdef]}\n"
             "      - {name: mid, paths: [/abc]}\n",
             &k, &c);
    ASSERT_STR(route_names(&c.vhosts[0], names, sizeof names), "multi mid multi");
    ASSERT_STR(c.vhosts[0].routes[0].path.value, "/abcdef");
    ASSERT_STR(c.vhosts[0].routes[2].path.value, "/a");
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_hosts_become_virtual_hosts(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    char names[256];
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    routes:\n"
             "      - {name: any, paths: [/]}\n"
             "      - {name: shop, hosts: [shop.example.com], paths: [/]}\n"
             "      - {name: wild, hosts: [\"*.example.com\"], paths: [/api]}\n"
             "      - {name: admin, hosts: [admin.example.com]}\n",
             &k, &c);
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 4);
    ASSERT_STR(c.vhosts[0].domains[0], "shop.example.com");
    ASSERT_STR(c.vhosts[1].domains[0], "admin.example.com");
    ASSERT_STR(c.vhosts[2].domains[0], "*.example.com");
    ASSERT_STR(c.vhosts[3].domains[0], "*");
    /* exact host (plain_hosts) beats the wildcard at equal weight; host-less routes stay */
    ASSERT_STR(route_names(vhost(&c, "shop.example.com"), names, sizeof names), "shop wild any");
    ASSERT_STR(route_names(vhost(&c, "admin.example.com"), names, sizeof names), "wild admin any");
    ASSERT_STR(route_names(vhost(&c, "*.example.com"), names, sizeof names), "wild any");
    ASSERT_STR(route_names(vhost(&c, "*"), names, sizeof names), "any");
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_header_conditions(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    routes:\n"
             "      - {name: one, headers: {x-version: [V1]}}\n"
             "      - {name: many, headers: {x-tier: [gold, \"a.b\", \"~*beta-[0-9]\"]}}\n",
             &k, &c);
    /* one header each: equal priority, file order */
    const struct px_route_cfg *one = &c.vhosts[0].routes[0];
    const struct px_route_cfg *many = &c.vhosts[0].routes[1];
    ASSERT_STR(one->name, "one");
    CU_ASSERT_EQUAL(one->headers[0].m.kind, PX_MATCH_EXACT);
    CU_ASSERT_TRUE(px_match_test(&one->headers[0].m, "v1")); /* Kong lowercases both */
    CU_ASSERT_EQUAL(many->headers[0].m.kind, PX_MATCH_REGEX);
    CU_ASSERT_TRUE(px_match_test(&many->headers[0].m, "GOLD"));
    CU_ASSERT_TRUE(px_match_test(&many->headers[0].m, "a.b"));
    CU_ASSERT_FALSE(px_match_test(&many->headers[0].m, "axb")); /* the dot is literal */
    CU_ASSERT_TRUE(px_match_test(&many->headers[0].m, "my-BETA-7-build"));
    CU_ASSERT_FALSE(px_match_test(&many->headers[0].m, "silver"));
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_most_specific_rate_limit_wins(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    plugins: [{name: rate-limiting, config: {minute: 20}}]\n"
             "    routes:\n"
             "      - name: r-route\n"
             "        paths: [/r]\n"
             "        plugins: [{name: rate-limiting, config: {minute: 30}}]\n"
             "      - {name: r-service, paths: [/s]}\n"
             "      - {name: r-top, paths: [/t]}\n"
             "  - name: inventory\n"
             "    url: http://inventory\n"
             "    routes: [{name: r-global, paths: [/g]}]\n"
             "plugins:\n"
             "  - {name: rate-limiting, config: {minute: 10}}\n"
             "  - {name: rate-limiting, route: r-top, service: billing, config: {minute: 40}}\n",
             &k, &c);
    CU_ASSERT_EQUAL_FATAL(c.n_rate_limits, 4);
    const struct px_vhost_cfg *v = &c.vhosts[0];
    for (size_t i = 0; i < v->n_routes; i++) {
        const struct px_route_cfg *r = &v->routes[i];
        CU_ASSERT_FATAL(r->rate_limit >= 0);
        int64_t minute = c.rate_limits[r->rate_limit].limit[PX_RL_MINUTE];
        int64_t want = !strcmp(r->name, "r-route")     ? 30
                       : !strcmp(r->name, "r-service") ? 20
                       : !strcmp(r->name, "r-top")     ? 40
                                                       : 10;
        if (minute != want) fprintf(stderr, "\n  %s: %lld\n", r->name, (long long)minute);
        CU_ASSERT_EQUAL(minute, want);
    }
    ASSERT_STR(c.rate_limits[0].error_message, "API rate limit exceeded");
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - {name: a, url: \"http://pod-a\", routes: [{name: ra, paths: [/a]}]}\n"
               "  - {name: b, url: \"http://pod-b\"}\n"
               "plugins:\n"
               "  - {name: rate-limiting, route: ra, service: b, config: {minute: 1}}\n",
               "kong.yaml:6:34: plugin 'rate-limiting': route 'ra' is not a route of service 'b'");
}

static void test_kong_build_skips_disabled_services(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    char names[256];
    build_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - {name: off, url: \"http://nowhere\", enabled: false,\n"
             "     routes: [{name: dead, paths: [/dead]}]}\n"
             "  - {name: billing, url: \"http://billing\", routes: [{name: live, paths: [/]}]}\n",
             &k, &c);
    CU_ASSERT_EQUAL(c.n_clusters, 1);
    ASSERT_STR(c.clusters[0].name, "billing");
    ASSERT_STR(route_names(&c.vhosts[0], names, sizeof names), "live");
    CU_ASSERT_EQUAL(c.vhosts[0].routes[0].dests[0].cluster, 0);
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_reports_names_that_do_not_resolve(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    struct fake_dns dns = {0};
    char *err;
    parse_ok("_format_version: \"3.0\"\n"
             "services:\n"
             "  - {name: billing, url: \"http://billing\"}\n"
             "  - {name: ghost, url: \"http://ghost:81\", routes: [{name: r, paths: [/]}]}\n",
             &k);
    CU_ASSERT_EQUAL(build(&k, &dns, &c, &err), -1);
    ASSERT_STR(err, "service 'ghost': cannot resolve 'ghost': 'ghost' is neither a service nor "
                    "a pod of the scenario");
    CU_ASSERT_EQUAL(dns.last_port, 81);
    CU_ASSERT_EQUAL(c.n_clusters, 0); /* released */
    free(err);
    px_kong_free(&k);
}

void suite_kong(void)
{
    TEST_SUITE("proxies/kong");
    TEST_ADD(test_kong_defaults_are_kongs);
    TEST_ADD(test_kong_url_shorthand_sets_protocol_host_port_path);
    TEST_ADD(test_kong_url_and_fields_conflict);
    TEST_ADD(test_kong_unknown_keys_and_ranges_are_refused);
    TEST_ADD(test_kong_top_level_routes_name_their_service);
    TEST_ADD(test_kong_route_checks);
    TEST_ADD(test_kong_unsupported_parts_are_refused_by_name);
    TEST_ADD(test_kong_rate_limiting_config);
    TEST_ADD(test_kong_rate_limiting_mistakes);
    TEST_ADD(test_kong_upstreams_and_targets);
    TEST_ADD(test_kong_healthchecks_defaults_load_and_stay_off);
    TEST_ADD(test_kong_build_passive_checks_as_kong_outlier_detection);
    TEST_ADD(test_kong_healthchecks_mistakes);
    TEST_ADD(test_kong_legacy_format_paths_become_regexes);
    TEST_ADD(test_kong_build_cluster_retries_and_timeouts);
    TEST_ADD(test_kong_build_upstream_targets_with_weights);
    TEST_ADD(test_kong_build_routes_in_kong_router_order);
    TEST_ADD(test_kong_build_splits_routes_by_path);
    TEST_ADD(test_kong_build_hosts_become_virtual_hosts);
    TEST_ADD(test_kong_build_header_conditions);
    TEST_ADD(test_kong_build_most_specific_rate_limit_wins);
    TEST_ADD(test_kong_build_skips_disabled_services);
    TEST_ADD(test_kong_build_reports_names_that_do_not_resolve);
}
