/*
 * test_kong_build.c - proxies/kong_build.c: the gateway configuration built from Kong's
 * (clusters, Kong's retries and timeouts, routes in Kong's router order,
 * hosts as virtual hosts, header conditions, the rate-limiting plugin that
 * applies to each route, names that do not resolve).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/kong.h"
#include "tests/proxies/kongtest.h"

void suite_kong_build(void);

static void test_kong_build_cluster_retries_and_timeouts(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    kt_build_ok("_format_version: \"3.0\"\n"
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
    kt_build_ok("_format_version: \"3.0\"\n"
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

/*
 * How a route path is read depends on _format_version (kong_parse.c): in
 * 3.0 only "~" makes a regex, anything else is a prefix, regex characters
 * included; in 1.1 and 2.1 a path with a character outside
 * [a-zA-Z0-9.-_~/%] is a regex (Kong 3's declarative migration,
 * route_path.lua). Checks the built matcher: its kind, a path it matches
 * and one it does not.
 */
static void path_is(const char *format, const char *path, enum px_match_kind kind, const char *yes,
                    const char *no)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    char text[512];
    snprintf(text, sizeof text,
             "_format_version: \"%s\"\n"
             "services:\n"
             "  - name: billing\n"
             "    url: http://billing\n"
             "    routes:\n"
             "      - {name: r, paths: ['%s']}\n",
             format, path);
    kt_build_ok(text, &k, &c);
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 1);
    CU_ASSERT_EQUAL_FATAL(c.vhosts[0].n_routes, 1);
    const struct px_match *m = &c.vhosts[0].routes[0].path;
    if (m->kind != kind) fprintf(stderr, "\n  %s path '%s': kind %d\n", format, path, m->kind);
    CU_ASSERT_EQUAL(m->kind, kind);
    CU_ASSERT_TRUE(px_match_test(m, yes));
    CU_ASSERT_FALSE(px_match_test(m, no));
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_path_forms_follow_the_format_version(void)
{
    /* 3.0: "~" makes a regex, a plain path is a prefix, even with regex characters */
    path_is("3.0", "~/v\\d+", PX_MATCH_REGEX, "/v12/users", "/vx");
    path_is("3.0", "/v1", PX_MATCH_PREFIX, "/v1/users", "/v2");
    path_is("3.0", "/v\\d+", PX_MATCH_PREFIX, "/v\\d+/x", "/v12");
    /* 1.1 and 2.1: a path with regex characters is a regex, a plain one a prefix */
    path_is("1.1", "/v\\d+", PX_MATCH_REGEX, "/v12/users", "/vx");
    path_is("2.1", "/v\\d+", PX_MATCH_REGEX, "/v12/users", "/vx");
    path_is("2.1", "/v1", PX_MATCH_PREFIX, "/v1/users", "/v2");
}

static void test_kong_build_routes_in_kong_router_order(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    char names[512];
    kt_build_ok("_format_version: \"3.0\"\n"
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
    ASSERT_STR(kt_route_names(&c.vhosts[0], names, sizeof names),
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
    kt_build_ok("_format_version: \"3.0\"\n"
                "services:\n"
                "  - name: billing\n"
                "    url: http://billing\n"
                "    routes:\n"
                "      - {name: multi, paths: [/a, /abcdef]}\n"
                "      - {name: mid, paths: [/abc]}\n",
                &k, &c);
    ASSERT_STR(kt_route_names(&c.vhosts[0], names, sizeof names), "multi mid multi");
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
    kt_build_ok("_format_version: \"3.0\"\n"
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
    ASSERT_STR(kt_route_names(kt_vhost(&c, "shop.example.com"), names, sizeof names),
               "shop wild any");
    ASSERT_STR(kt_route_names(kt_vhost(&c, "admin.example.com"), names, sizeof names),
               "wild admin any");
    ASSERT_STR(kt_route_names(kt_vhost(&c, "*.example.com"), names, sizeof names), "wild any");
    ASSERT_STR(kt_route_names(kt_vhost(&c, "*"), names, sizeof names), "any");
    px_proxy_cfg_free(&c);
    px_kong_free(&k);
}

static void test_kong_build_header_conditions(void)
{
    struct px_kong k;
    struct px_proxy_cfg c;
    kt_build_ok("_format_version: \"3.0\"\n"
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
    kt_build_ok("_format_version: \"3.0\"\n"
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
    kt_build_ok(
        "_format_version: \"3.0\"\n"
        "services:\n"
        "  - {name: off, url: \"http://nowhere\", enabled: false,\n"
        "     routes: [{name: dead, paths: [/dead]}]}\n"
        "  - {name: billing, url: \"http://billing\", routes: [{name: live, paths: [/]}]}\n",
        &k, &c);
    CU_ASSERT_EQUAL(c.n_clusters, 1);
    ASSERT_STR(c.clusters[0].name, "billing");
    ASSERT_STR(kt_route_names(&c.vhosts[0], names, sizeof names), "live");
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
    kt_parse_ok("_format_version: \"3.0\"\n"
                "services:\n"
                "  - {name: billing, url: \"http://billing\"}\n"
                "  - {name: ghost, url: \"http://ghost:81\", routes: [{name: r, paths: [/]}]}\n",
                &k);
    CU_ASSERT_EQUAL(kt_build(&k, &dns, &c, &err), -1);
    /* located at the url in the Kong file: the error is where the mistake is */
    ASSERT_STR(err, "kong.yaml:4:24: service 'ghost': cannot resolve 'ghost': 'ghost' is neither "
                    "a service nor a pod of the scenario");
    CU_ASSERT_EQUAL(dns.last_port, 81);
    CU_ASSERT_EQUAL(c.n_clusters, 0); /* released */
    free(err);
    px_kong_free(&k);
}

void suite_kong_build(void)
{
    TEST_SUITE("proxies/kong_build");
    TEST_ADD(test_kong_build_cluster_retries_and_timeouts);
    TEST_ADD(test_kong_build_upstream_targets_with_weights);
    TEST_ADD(test_kong_build_routes_in_kong_router_order);
    TEST_ADD(test_kong_build_path_forms_follow_the_format_version);
    TEST_ADD(test_kong_build_splits_routes_by_path);
    TEST_ADD(test_kong_build_hosts_become_virtual_hosts);
    TEST_ADD(test_kong_build_header_conditions);
    TEST_ADD(test_kong_build_most_specific_rate_limit_wins);
    TEST_ADD(test_kong_build_skips_disabled_services);
    TEST_ADD(test_kong_build_reports_names_that_do_not_resolve);
}
