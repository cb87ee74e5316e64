/*
 * test_kong.c - proxies/kong_parse.c, kong_service.c, kong_route.c, kong_plugin.c,
 * kong_upstream.c: Kong declarative configuration read as Kong 3 reads it
 * (defaults, url shorthand, nested and top-level routes and plugins,
 * upstreams and targets, the rate-limiting schema, format 1.1/2.1 paths),
 * mistakes refused with their exact "file:line:col: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/kong.h"
#include "tests/proxies/kongtest.h"

void suite_kong(void);

static void test_kong_defaults_are_kongs(void)
{
    struct px_kong k;
    kt_parse_ok(kt_basic, &k);
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
    kt_parse_ok("_format_version: \"3.0\"\n"
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
    kt_parse_ok("_format_version: \"3.0\"\n"
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
               "consumer_groups:\n"
               "  - name: gold\n",
               "kong.yaml:2:1: Kong's consumer_groups are not supported yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "services:\n"
               "  - name: billing\n"
               "    url: http://billing\n"
               "    plugins:\n"
               "      - name: basic-auth\n",
               "kong.yaml:6:15: plugin 'basic-auth' is not supported yet (key-auth and jwt are)");
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
    kt_parse_ok("_format_version: \"3.0\"\n"
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

/* Policy redis: Kong 3's config.redis, or the older flat redis_* fields (which win). */
static void test_kong_rate_limiting_redis(void)
{
    struct px_kong k;
    kt_parse_ok(
        "_format_version: \"3.0\"\n"
        "services:\n"
        "  - name: billing\n"
        "    url: http://billing:80\n"
        "    plugins:\n"
        "      - name: rate-limiting\n"
        "        config: {second: 5, policy: redis, fault_tolerant: false,\n"
        "                 redis: {host: redis.local, port: 6380, timeout: 250, database: 2,\n"
        "                         username: kong, password: s3cret, ssl: false,\n"
        "                         server_name: null}}\n"
        "plugins:\n"
        "  - name: rate-limiting\n"
        "    config: {minute: 9, policy: redis, redis_host: r2, redis_timeout: 40,\n"
        "             redis: {host: ignored, port: 7000}}\n",
        &k);
    CU_ASSERT_EQUAL_FATAL(k.n_plugins, 2);
    const struct px_rl_cfg *a = &k.plugins[0].rl, *b = &k.plugins[1].rl;
    CU_ASSERT_EQUAL(a->policy, PX_RL_REDIS);
    CU_ASSERT_EQUAL(a->fault_tolerant, 0);
    ASSERT_STR(a->redis.host, "redis.local");
    CU_ASSERT_EQUAL(a->redis.port, 6380);
    CU_ASSERT_EQUAL(a->redis.timeout_ms, 250);
    CU_ASSERT_EQUAL(a->redis.database, 2);
    ASSERT_STR(a->redis.username, "kong");
    ASSERT_STR(a->redis.password, "s3cret");
    CU_ASSERT_EQUAL(b->policy, PX_RL_REDIS);
    CU_ASSERT_EQUAL(b->fault_tolerant, 1); /* Kong's default */
    ASSERT_STR(b->redis.host, "r2");
    CU_ASSERT_EQUAL(b->redis.port, 7000);
    CU_ASSERT_EQUAL(b->redis.timeout_ms, 40);
    CU_ASSERT_EQUAL(b->redis.database, 0);
    CU_ASSERT_PTR_NULL(b->redis.password);
    px_kong_free(&k);
    /* the defaults: port 6379, timeout 2000 ms */
    kt_parse_ok("_format_version: \"3.0\"\n"
                "plugins:\n"
                "  - {name: rate-limiting, config: {hour: 1, policy: redis, redis: {host: r}}}\n",
                &k);
    CU_ASSERT_EQUAL(k.plugins[0].rl.redis.port, 6379);
    CU_ASSERT_EQUAL(k.plugins[0].rl.redis.timeout_ms, 2000);
    px_kong_free(&k);
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, policy: redis}}\n",
               "kong.yaml:3:56: rate-limiting: policy redis needs config.redis.host");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, policy: redis, sync_rate: 1,\n"
               "                                   redis: {host: r}}}\n",
               "kong.yaml:3:74: rate-limiting: sync_rate 1 is not supported yet (faultline counts "
               "in real time, as sync_rate -1)");
    ASSERT_ERR(
        "_format_version: \"3.0\"\n"
        "plugins:\n"
        "  - {name: rate-limiting, config: {minute: 10, policy: redis,\n"
        "                                   redis: {host: r, ssl: true}}}\n",
        "kong.yaml:4:58: rate-limiting: config.redis.ssl: TLS to Redis is not supported yet");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, policy: redis,\n"
               "                                   redis: {host: r, port: 70000}}}\n",
               "kong.yaml:4:59: config.redis.port must be between 1 and 65535, not 70000");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, config: {minute: 10, policy: redis,\n"
               "                                   redis: {host: r, timeout_ms: 5}}}\n",
               "kong.yaml:4:53: unknown key 'timeout_ms' in rate-limiting config.redis (did you "
               "mean 'timeout'?)");
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
               "kong.yaml:3:56: rate-limiting: config.policy: expected one of: local, redis (Kong "
               "without a database has no 'cluster' policy; 'redis' shares counters between "
               "gateways)");
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

/*
 * A disabled plugin is skipped, but its config is checked as Kong checks it
 * (found by fuzz/kong.c: the reader used to accept it and leave the error
 * recorded in the document; fuzz/crashes/kong/disabled-plugin-null-config).
 */
static void test_kong_disabled_plugin_config_is_still_checked(void)
{
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - name: rate-limiting\n"
               "    enabled: false\n"
               "    config:\n",
               "kong.yaml:5:12: rate-limiting config must be a mapping (key: value), not a single "
               "value");
    ASSERT_ERR("_format_version: \"3.0\"\n"
               "plugins:\n"
               "  - {name: rate-limiting, enabled: false, config: {minute: 0}}\n",
               "kong.yaml:3:60: config.minute must be between 1 and 9007199254740992, not 0");
}

static void test_kong_upstreams_and_targets(void)
{
    struct px_kong k;
    kt_parse_ok("_format_version: \"3.0\"\n"
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
static void test_kong_legacy_format_paths_become_regexes(void)
{
    struct px_kong k;
    kt_parse_ok("_format_version: \"2.1\"\n"
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
    TEST_ADD(test_kong_rate_limiting_redis);
    TEST_ADD(test_kong_disabled_plugin_config_is_still_checked);
    TEST_ADD(test_kong_upstreams_and_targets);
    TEST_ADD(test_kong_legacy_format_paths_become_regexes);
}
