/*
 * test_kong_health.c - proxies/kong_health.c: an upstream's healthchecks block read with
 * Kong's defaults and ranges, and passive checks built as outlier
 * detection in Kong's mode with the upstream's threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/kong.h"
#include "tests/proxies/kongtest.h"

void suite_kong_health(void);

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
        kt_build_ok(texts[t], &k, &c);
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
    kt_build_ok("_format_version: \"3.0\"\n"
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
    kt_parse_ok("_format_version: \"3.0\"\n"
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

void suite_kong_health(void)
{
    TEST_SUITE("proxies/kong_health");
    TEST_ADD(test_kong_healthchecks_defaults_load_and_stay_off);
    TEST_ADD(test_kong_build_passive_checks_as_kong_outlier_detection);
    TEST_ADD(test_kong_healthchecks_mistakes);
}
