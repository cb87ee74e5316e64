/*
 * test_kong_plugins.c - Kong's traffic plugins (proxies/kong_plugin.c,
 * kong_plugin_edge.c, kong_plugin_observe.c) read from a kong.yaml, built
 * into a route's policies (kong_build.c) and run by proxies/edge.c and
 * respcache.c on messages: the exact statuses, headers and bodies Kong's
 * handlers give, the order of Kong's priorities, the precedence of scopes,
 * and the errors for what is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "proxies/edge.h"
#include "proxies/kong.h"
#include "proxies/respcache.h"
#include "proxies/trace.h"
#include "tests/proxies/kongtest.h"

void suite_kong_plugins(void);

#define KONG_HEAD                                                                                  \
    "_format_version: \"3.0\"\n"                                                                   \
    "services:\n"                                                                                  \
    "  - name: billing\n"                                                                          \
    "    url: http://billing:8080\n"                                                               \
    "    routes:\n"                                                                                \
    "      - name: r\n"                                                                            \
    "        paths: [/api]\n"                                                                      \
    "        strip_path: false\n"

/* ---------------------------------------------------------------- every plugin loads */

static const char *const all_plugins =
    KONG_HEAD "plugins:\n"
              "  - {name: correlation-id, config: {header_name: X-Req, generator: uuid}}\n"
              "  - {name: cors, config: {origins: ['*']}}\n"
              "  - {name: ip-restriction, config: {deny: [192.168.0.0/16]}}\n"
              "  - {name: request-size-limiting, config: {allowed_payload_size: 10}}\n"
              "  - {name: acl, config: {allow: [admins]}, enabled: false}\n"
              "  - {name: request-transformer, config: {add: {headers: ['a:1']}}}\n"
              "  - {name: response-transformer, config: {remove: {headers: [server]}}}\n"
              "  - {name: proxy-cache, config: {strategy: memory}}\n"
              "  - {name: request-termination, config: {trigger: x-stop}}\n"
              "  - {name: prometheus, config: {per_consumer: false}}\n"
              "  - {name: file-log, config: {path: /tmp/kong.log}}\n"
              "  - {name: http-log, config: {http_endpoint: 'http://logs:80'}}\n"
              "  - {name: tcp-log, config: {host: logs, port: 9000}}\n"
              "  - {name: udp-log, config: {host: logs, port: 9000}}\n"
              "  - {name: syslog}\n"
              "  - {name: statsd, config: {host: statsd, port: 8125}}\n"
              "  - {name: datadog, config: {host: dd, port: 8125}}\n"
              "  - {name: zipkin, config: {http_endpoint: 'http://zipkin:9411/api/v2/spans'}}\n"
              "  - {name: opentelemetry, config: {endpoint: 'http://otel:4318/v1/traces'}}\n";

static void test_kong_plugins_every_plugin_loads_in_kong_priority_order(void)
{
    struct kt_gw g;
    kt_gw_open(&g, all_plugins);
    /* acl is disabled: checked, then skipped; the observers are listed, not run */
    CU_ASSERT_EQUAL(g.k.n_plugins, 18);
    size_t observers = 0;
    for (size_t i = 0; i < g.k.n_plugins; i++) observers += g.k.plugins[i].observer;
    CU_ASSERT_EQUAL(observers, 10);
    const struct px_edge_cfg *e = kt_edges(&g, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    char names[512] = "";
    for (size_t i = 0; i < e->n; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? " " : "",
                 e->v[i]->name);
    ASSERT_STR(names, "correlation-id cors ip-restriction request-size-limiting "
                      "request-transformer response-transformer proxy-cache request-termination");
    CU_ASSERT_EQUAL(e->n_early, 4); /* above rate-limiting's 910 */
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- cors */

static const char *const cors_cfg = KONG_HEAD "        plugins:\n"
                                              "          - name: cors\n"
                                              "            config:\n"
                                              "              origins: [https://shop.example.com]\n"
                                              "              credentials: true\n"
                                              "              max_age: 3600\n"
                                              "              exposed_headers: [X-Total]\n";

static void test_kong_plugins_cors_answers_preflight_with_200(void)
{
    struct kt_gw g;
    char buf[1024];
    kt_gw_open(&g, cors_cfg);
    struct px_msg *req = kt_request("OPTIONS", "/api/items");
    px_msg_add_header(req, "Origin", "https://shop.example.com");
    px_msg_add_header(req, "Access-Control-Request-Method", "POST");
    px_msg_add_header(req, "Access-Control-Request-Headers", "x-a");
    struct px_msg *m = kt_pass(&g, "r", req, kt_answer(204, NULL));
    CU_ASSERT_EQUAL(m->status, 200);
    ASSERT_STR(kt_headers(m, buf, sizeof buf),
               "vary: Origin|access-control-allow-origin: https://shop.example.com|"
               "access-control-allow-credentials: true|access-control-allow-headers: x-a|"
               "access-control-allow-methods: GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,"
               "CONNECT|access-control-max-age: 3600");
    kt_msg_free(&kt_rt, m);
    /* a request: proxied, then the response gets the origin, credentials, exposed headers */
    req = kt_request("GET", "/api/items");
    px_msg_add_header(req, "Origin", "https://shop.example.com");
    m = kt_pass(&g, "r", req, kt_answer(200, "application/json"));
    CU_ASSERT_EQUAL(m->status, 200);
    ASSERT_STR(kt_headers(m, buf, sizeof buf),
               "content-type: application/json|vary: Origin|"
               "access-control-allow-origin: https://shop.example.com|"
               "access-control-allow-credentials: true|access-control-expose-headers: X-Total");
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

static void test_kong_plugins_cors_regex_origins_and_preflight_continue(void)
{
    struct kt_gw g;
    char buf[512];
    kt_gw_open(&g, KONG_HEAD "plugins:\n"
                             "  - name: cors\n"
                             "    config: {origins: ['.*\\.example\\.com', https://a.test],"
                             " preflight_continue: true}\n");
    struct px_msg *req = kt_request("GET", "/api");
    px_msg_add_header(req, "Origin", "https://shop.example.com:8443");
    struct px_msg *m = kt_pass(&g, "r", req, kt_answer(200, NULL));
    ASSERT_STR(px_msg_header(m, "access-control-allow-origin"), "https://shop.example.com:8443");
    kt_msg_free(&kt_rt, m);
    req = kt_request("GET", "/api");
    px_msg_add_header(req, "Origin", "https://evil.test");
    m = kt_pass(&g, "r", req, kt_answer(200, NULL));
    ASSERT_STR(kt_headers(m, buf, sizeof buf), "vary: Origin");
    kt_msg_free(&kt_rt, m);
    /* preflight_continue: the upstream answers, and no CORS header is added */
    req = kt_request("OPTIONS", "/api");
    px_msg_add_header(req, "Origin", "https://a.test");
    px_msg_add_header(req, "Access-Control-Request-Method", "GET");
    m = kt_pass(&g, "r", req, kt_answer(204, NULL));
    CU_ASSERT_EQUAL(m->status, 204);
    CU_ASSERT_EQUAL(m->n_headers, 0);
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- request-size-limiting */

static void test_kong_plugins_request_size_limiting_answers_413(void)
{
    struct kt_gw g;
    char buf[256];
    kt_gw_open(&g, KONG_HEAD "plugins:\n"
                             "  - {name: request-size-limiting,"
                             " config: {allowed_payload_size: 2, size_unit: kilobytes}}\n");
    struct px_msg *req = kt_request("POST", "/api");
    req->body_bytes = 2049;
    struct px_msg *m = kt_pass(&g, "r", req, kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 413);
    ASSERT_STR(kt_body(m), "{\"message\":\"Request size limit exceeded\"}");
    ASSERT_STR(kt_headers(m, buf, sizeof buf), "content-type: application/json; charset=utf-8");
    kt_msg_free(&kt_rt, m);
    req = kt_request("POST", "/api");
    req->body_bytes = 2048; /* exactly the limit passes */
    m = kt_pass(&g, "r", req, kt_answer(201, NULL));
    CU_ASSERT_EQUAL(m->status, 201);
    kt_msg_free(&kt_rt, m);
    req = kt_request("POST", "/api"); /* Content-Length is what Kong reads first */
    px_msg_add_header(req, "Content-Length", "5000");
    m = kt_pass(&g, "r", req, kt_answer(201, NULL));
    CU_ASSERT_EQUAL(m->status, 413);
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
    /* the default: 128 megabytes */
    kt_gw_open(&g, KONG_HEAD "plugins:\n  - {name: request-size-limiting}\n");
    req = kt_request("POST", "/api");
    req->body_bytes = UINT64_C(128) << 20;
    m = kt_pass(&g, "r", req, kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    req = kt_request("POST", "/api");
    req->body_bytes = (UINT64_C(128) << 20) + 1;
    m = kt_pass(&g, "r", req, kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 413);
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- request-termination */

static void test_kong_plugins_request_termination(void)
{
    struct kt_gw g;
    char buf[256];
    kt_gw_open(&g, KONG_HEAD "        plugins: [{name: request-termination}]\n");
    struct px_msg *m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 503);
    ASSERT_STR(kt_body(m), "{\"message\":\"Service unavailable\"}");
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
    kt_gw_open(&g, KONG_HEAD "        plugins:\n"
                             "          - name: request-termination\n"
                             "            config: {status_code: 418, body: '<teapot/>',"
                             " content_type: application/xml, trigger: x-stop}\n");
    m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 200); /* no trigger: proxied */
    kt_msg_free(&kt_rt, m);
    struct px_msg *req = kt_request("GET", "/api");
    req->query = "x-stop=1";
    m = kt_pass(&g, "r", req, kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 418);
    ASSERT_STR(kt_body(m), "<teapot/>");
    ASSERT_STR(kt_headers(m, buf, sizeof buf), "content-type: application/xml");
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
    /* a status without a default message: an empty body */
    kt_gw_open(&g, KONG_HEAD "        plugins: [{name: request-termination, config: "
                             "{status_code: 410}}]\n");
    m = kt_pass(&g, "r", kt_request("GET", "/api"), NULL);
    CU_ASSERT_EQUAL(m->status, 410);
    CU_ASSERT_EQUAL(m->body_bytes, 0);
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- ip-restriction, acl */

static void test_kong_plugins_ip_restriction(void)
{
    struct kt_gw g;
    kt_gw_open(&g, KONG_HEAD "plugins:\n"
                             "  - {name: ip-restriction, config: {allow: [10.1.0.0/16],"
                             " deny: [10.1.0.9]}}\n");
    struct px_msg *m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 200); /* 10.1.0.7 is allowed */
    kt_msg_free(&kt_rt, m);
    g.env.peer = "10.1.0.9"; /* denied, though in allow: deny comes first */
    m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 403);
    ASSERT_STR(kt_body(m), "{\"message\":\"Your IP address is not allowed\"}");
    kt_msg_free(&kt_rt, m);
    g.env.peer = "10.2.0.1"; /* not in allow */
    m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 403);
    kt_msg_free(&kt_rt, m);
    g.env.peer = "mobile"; /* a simulated client without an address */
    m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 403);
    ASSERT_STR(kt_body(m), "{\"message\":\"Cannot identify the client IP address, unix domain "
                           "sockets are not supported.\"}");
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

static void test_kong_plugins_acl_without_consumers_is_401(void)
{
    struct kt_gw g;
    kt_gw_open(&g, KONG_HEAD "plugins: [{name: acl, config: {allow: [admins]}}]\n");
    struct px_msg *m = kt_pass(&g, "r", kt_request("GET", "/api"), kt_answer(200, NULL));
    CU_ASSERT_EQUAL(m->status, 401);
    ASSERT_STR(kt_body(m), "{\"message\":\"Unauthorized\"}");
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- correlation-id */

static void test_kong_plugins_correlation_id(void)
{
    struct kt_gw g;
    kt_gw_open(&g,
               KONG_HEAD "plugins: [{name: correlation-id, config: {echo_downstream: true}}]\n");
    const struct px_edge_cfg *e = kt_edges(&g, "r");
    struct px_edge_state st;
    memset(&st, 0, sizeof st);
    struct px_msg *req = kt_request("GET", "/api");
    CU_ASSERT_PTR_NULL(px_edge_request(e, 0, e->n, &g.env, req, &st));
    const char *id = px_msg_header(req, "Kong-Request-ID");
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    /* uuid#counter: the worker's uuid (v4), '#', the counter from 1 */
    CU_ASSERT_EQUAL(strlen(id), 36 + 2);
    CU_ASSERT_EQUAL(id[14], '4');
    CU_ASSERT(strchr("89ab", id[19]) != NULL);
    CU_ASSERT_STRING_EQUAL(id + 36, "#1");
    char first[64];
    snprintf(first, sizeof first, "%s", id);
    struct px_msg *m = kt_answer(200, NULL);
    px_edge_response(e, &g.env, req, m, &st);
    ASSERT_STR(px_msg_header(m, "Kong-Request-ID"), first); /* echo_downstream */
    kt_msg_free(&kt_rt, m);
    kt_msg_free(&kt_rt, req);
    memset(&st, 0, sizeof st);
    req = kt_request("GET", "/api");
    px_edge_request(e, 0, e->n, &g.env, req, &st);
    first[36] = '\0';
    CU_ASSERT(!strncmp(px_msg_header(req, "Kong-Request-ID"), first, 36));
    CU_ASSERT_STRING_EQUAL(px_msg_header(req, "Kong-Request-ID") + 36, "#2");
    kt_msg_free(&kt_rt, req);
    /* a request that has one keeps it */
    memset(&st, 0, sizeof st);
    req = kt_request("GET", "/api");
    px_msg_add_header(req, "kong-request-id", "abc");
    px_edge_request(e, 0, e->n, &g.env, req, &st);
    ASSERT_STR(px_msg_header(req, "Kong-Request-ID"), "abc");
    CU_ASSERT_EQUAL(req->n_headers, 1);
    kt_msg_free(&kt_rt, req);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- transformers */

static void test_kong_plugins_transformers_edit_headers_and_query(void)
{
    struct kt_gw g;
    char buf[512];
    kt_gw_open(&g,
               KONG_HEAD "        plugins:\n"
                         "          - name: request-transformer\n"
                         "            config:\n"
                         "              http_method: POST\n"
                         "              remove: {headers: [x-drop], querystring: [debug]}\n"
                         "              rename: {headers: ['x-old:x-new']}\n"
                         "              replace: {headers: ['x-a:2', 'x-missing:9'],"
                         " querystring: ['page:5']}\n"
                         "              add: {headers: ['x-a:3', 'x-b:1'], querystring: ['v:1']}\n"
                         "              append: {headers: ['x-b:2']}\n"
                         "          - name: response-transformer\n"
                         "            config: {remove: {headers: [server]},"
                         " add: {headers: ['x-gw:kong']}}\n");
    const struct px_edge_cfg *e = kt_edges(&g, "r");
    struct px_edge_state st;
    memset(&st, 0, sizeof st);
    struct px_msg *req = kt_request("GET", "/api");
    req->query = "debug=1&page=2&q";
    px_msg_add_header(req, "X-Drop", "1");
    px_msg_add_header(req, "X-Old", "o");
    px_msg_add_header(req, "X-A", "1");
    CU_ASSERT_PTR_NULL(px_edge_request(e, 0, e->n, &g.env, req, &st));
    ASSERT_STR(kt_headers(req, buf, sizeof buf), "x-new: o|x-a: 2|x-b: 1|x-b: 2");
    ASSERT_STR(req->query, "page=5&q&v=1");
    ASSERT_STR(req->method, "POST");
    struct px_msg *m = kt_answer(200, NULL);
    px_msg_add_header(m, "Server", "nginx");
    px_edge_response(e, &g.env, req, m, &st);
    ASSERT_STR(kt_headers(m, buf, sizeof buf), "x-gw: kong");
    kt_msg_free(&kt_rt, m);
    kt_msg_free(&kt_rt, req);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- proxy-cache */

static struct px_msg *cached(struct kt_gw *g, const char *method, const char *path, int status,
                             const char *ct, int *upstream_calls)
{
    const struct px_edge_cfg *e = kt_edges(g, "r");
    struct px_edge_state st;
    memset(&st, 0, sizeof st);
    struct px_msg *req = kt_request(method, path);
    struct px_msg *m = px_edge_request(e, 0, e->n, &g->env, req, &st);
    if (!m) {
        m = kt_answer(status, ct);
        st.from_upstream = 1;
        ++*upstream_calls;
    }
    px_edge_response(e, &g->env, req, m, &st);
    kt_msg_free(&kt_rt, req);
    return m;
}

static void test_kong_plugins_proxy_cache_miss_hit_refresh_bypass(void)
{
    struct kt_gw g;
    int calls = 0;
    kt_gw_open(&g, KONG_HEAD "plugins: [{name: proxy-cache, config: {strategy: memory,"
                             " cache_ttl: 10}}]\n");
    g.env.now_ns = 1000 * MS;
    struct px_msg *m = cached(&g, "GET", "/api/a", 200, "application/json; charset=utf-8", &calls);
    ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Miss");
    char key[32];
    snprintf(key, sizeof key, "%s", px_msg_header(m, "X-Cache-Key"));
    CU_ASSERT_EQUAL(strlen(key), 16);
    kt_msg_free(&kt_rt, m);
    g.env.now_ns = 4000 * MS;
    m = cached(&g, "GET", "/api/a", 500, NULL, &calls);
    CU_ASSERT_EQUAL(m->status, 200); /* answered at the gateway */
    CU_ASSERT_EQUAL(m->body_bytes, 100);
    ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Hit");
    ASSERT_STR(px_msg_header(m, "X-Cache-Key"), key);
    ASSERT_STR(px_msg_header(m, "Age"), "3");
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_EQUAL(calls, 1);
    g.env.now_ns = 11000 * MS; /* 10 s after it was stored: stale */
    m = cached(&g, "GET", "/api/a", 200, "application/json", &calls);
    ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Refresh");
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_EQUAL(calls, 2);
    /* POST is not in request_method; text/html not in content_type; 500 not in response_code */
    m = cached(&g, "POST", "/api/a", 200, "application/json", &calls);
    ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Bypass");
    CU_ASSERT_PTR_NULL(px_msg_header(m, "X-Cache-Key"));
    kt_msg_free(&kt_rt, m);
    const char *bypassed[][2] = {{"/api/b", "text/html"}, {"/api/c", NULL}};
    for (int i = 0; i < 2; i++) {
        m = cached(&g, "GET", bypassed[i][0], 200, bypassed[i][1], &calls);
        ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Bypass");
        kt_msg_free(&kt_rt, m);
        m = cached(&g, "GET", bypassed[i][0], 200, bypassed[i][1], &calls);
        ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Bypass");
        kt_msg_free(&kt_rt, m);
    }
    m = cached(&g, "GET", "/api/d", 500, "text/plain", &calls);
    m = (kt_msg_free(&kt_rt, m), cached(&g, "GET", "/api/d", 200, "text/plain", &calls));
    ASSERT_STR(px_msg_header(m, "X-Cache-Status"), "Miss"); /* the 500 was not stored */
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_EQUAL(calls, 9);
    CU_ASSERT_EQUAL(g.cache.stores, 3);
    CU_ASSERT_EQUAL(g.cache.hits, 1);
    kt_gw_close(&g);
}

static void test_kong_plugins_proxy_cache_varies_by_headers(void)
{
    struct kt_gw g;
    int calls = 0;
    kt_gw_open(&g, KONG_HEAD "plugins: [{name: proxy-cache, config: {strategy: memory,"
                             " vary_headers: [accept-language]}}]\n");
    const struct px_edge_cfg *e = kt_edges(&g, "r");
    const char *langs[] = {"en", "fr", "en"};
    const char *expect[] = {"Miss", "Miss", "Hit"};
    for (int i = 0; i < 3; i++) {
        struct px_edge_state st;
        memset(&st, 0, sizeof st);
        struct px_msg *req = kt_request("GET", "/api/a");
        px_msg_add_header(req, "Accept-Language", langs[i]);
        struct px_msg *m = px_edge_request(e, 0, e->n, &g.env, req, &st);
        if (!m) {
            m = kt_answer(200, "text/plain");
            st.from_upstream = 1;
            calls++;
        }
        px_edge_response(e, &g.env, req, m, &st);
        ASSERT_STR(px_msg_header(m, "X-Cache-Status"), expect[i]);
        kt_msg_free(&kt_rt, m);
        kt_msg_free(&kt_rt, req);
    }
    CU_ASSERT_EQUAL(calls, 2);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- scopes and errors */

static void test_kong_plugins_route_plugin_wins_over_global(void)
{
    struct kt_gw g;
    kt_gw_open(&g,
               KONG_HEAD "        plugins: [{name: request-termination, config:"
                         " {status_code: 404}}]\n"
                         "      - {name: other, paths: [/other]}\n"
                         "plugins: [{name: request-termination, config: {status_code: 401}}]\n");
    struct px_msg *m = kt_pass(&g, "r", kt_request("GET", "/api"), NULL);
    CU_ASSERT_EQUAL(m->status, 404);
    ASSERT_STR(kt_body(m), "{\"message\":\"Not found\"}");
    kt_msg_free(&kt_rt, m);
    m = kt_pass(&g, "other", kt_request("GET", "/other"), NULL);
    CU_ASSERT_EQUAL(m->status, 401);
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_EQUAL(kt_edges(&g, "r")->n, 1);
    kt_gw_close(&g);
}

static void test_kong_plugins_refused_with_their_place(void)
{
    ASSERT_ERR(KONG_HEAD "plugins: [{name: hmac-auth}]\n",
               "kong.yaml:9:18: plugin 'hmac-auth' is not supported yet (key-auth and jwt are)");
    ASSERT_ERR(KONG_HEAD "plugins:\n  - name: openid-connect\n",
               "kong.yaml:10:11: plugin 'openid-connect' is not supported yet (key-auth and jwt "
               "are)");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: corz}]\n",
               "kong.yaml:9:18: plugin 'corz' is not supported (did you mean 'cors'?)");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: graphql-proxy-cache-advanced}]\n",
               "kong.yaml:9:18: plugin 'graphql-proxy-cache-advanced' is not supported");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: proxy-cache, config: {cache_ttl: 5}}]\n",
               "kong.yaml:9:39: proxy-cache config needs 'strategy'");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: request-transformer, config:"
                         " {add: {body: ['a:1']}}}]\n",
               "kong.yaml:9:60: config.add.body: body edits are not modelled yet");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: ip-restriction, config: {allow: [10.0.0.300]}}]\n",
               "kong.yaml:9:51: config.allow: '10.0.0.300' is not an IPv4 address or CIDR range");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: cors}, {name: cors}]\n",
               "kong.yaml:9:25: a second cors plugin for the whole gateway (Kong allows one)");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: prometheus, config: {per_consumr: true}}]\n",
               "kong.yaml:9:39: unknown key 'per_consumr' in prometheus config (did you mean "
               "'per_consumer'?)");
    ASSERT_ERR(KONG_HEAD "plugins: [{name: acl, config: {allow: [a], deny: [b]}}]\n",
               "kong.yaml:9:31: acl: exactly one of these fields must be non-empty: "
               "'config.allow', 'config.deny'");
}

/* ---------------------------------------------------------------- tracing plugins */

/* The tracing of route r of a built gateway (the route's own, else the proxy's). */
static const struct px_trace_cfg *route_trace(const struct kt_gw *g, const char *route)
{
    for (size_t v = 0; v < g->c.n_vhosts; v++)
        for (size_t i = 0; i < g->c.vhosts[v].n_routes; i++) {
            const struct px_route_cfg *r = &g->c.vhosts[v].routes[i];
            if (!strcmp(r->name, route)) return r->has_trace ? &r->trace : &g->c.trace;
        }
    CU_FAIL("no such route");
    return &g->c.trace;
}

static void test_kong_plugins_tracing_defaults_and_scopes(void)
{
    struct kt_gw g;
    /* none: the gateway does not trace */
    kt_gw_open(&g, KONG_HEAD);
    CU_ASSERT_EQUAL(route_trace(&g, "r")->enabled, 0);
    CU_ASSERT_EQUAL(g.c.trace.enabled, 0);
    kt_gw_close(&g);
    /* zipkin's defaults: 0.001, 16-byte ids */
    kt_gw_open(&g, KONG_HEAD "plugins:\n  - {name: zipkin}\n");
    CU_ASSERT_EQUAL(g.c.trace.enabled, 1);
    CU_ASSERT_DOUBLE_EQUAL(g.c.trace.sample_pct, 0.1, 1e-12);
    CU_ASSERT_EQUAL(g.c.trace.id128, 1);
    CU_ASSERT_EQUAL(g.c.trace.formats, PX_TRACE_B3); /* default_header_type b3 */
    CU_ASSERT_DOUBLE_EQUAL(route_trace(&g, "r")->sample_pct, 0.1, 1e-12);
    kt_gw_close(&g);
    /* opentelemetry's: kong.conf's tracing_sampling_rate 0.01; null is the default */
    kt_gw_open(&g,
               KONG_HEAD "plugins:\n  - {name: opentelemetry, config: {sampling_rate: null}}\n");
    CU_ASSERT_DOUBLE_EQUAL(g.c.trace.sample_pct, 1.0, 1e-12);
    CU_ASSERT_EQUAL(g.c.trace.id128, 1);
    CU_ASSERT_EQUAL(g.c.trace.formats, PX_TRACE_W3C); /* default_header_type w3c */
    kt_gw_close(&g);
    /* the route's own beats the global one; the global one covers unrouted requests */
    kt_gw_open(&g, KONG_HEAD
               "        plugins: [{name: opentelemetry, config: {sampling_rate: 0.5}}]\n"
               "plugins:\n"
               "  - {name: zipkin, config: {sample_ratio: 0.25, traceid_byte_count: 8}}\n");
    CU_ASSERT_DOUBLE_EQUAL(route_trace(&g, "r")->sample_pct, 50, 1e-12);
    CU_ASSERT_EQUAL(route_trace(&g, "r")->id128, 1);
    CU_ASSERT_DOUBLE_EQUAL(g.c.trace.sample_pct, 25, 1e-12);
    CU_ASSERT_EQUAL(g.c.trace.id128, 0);
    kt_gw_close(&g);
    /* a disabled plugin is checked, then skipped */
    kt_gw_open(&g, KONG_HEAD "plugins:\n  - {name: zipkin, enabled: false}\n");
    CU_ASSERT_EQUAL(g.c.trace.enabled, 0);
    kt_gw_close(&g);
}

static void test_kong_plugins_tracing_errors(void)
{
    ASSERT_ERR(KONG_HEAD "plugins:\n  - {name: zipkin, config: {sample_ratio: 1.5}}\n",
               "kong.yaml:10:43: zipkin sample_ratio must be between 0 and 1, not 1.5");
    ASSERT_ERR(KONG_HEAD "plugins:\n  - {name: zipkin, config: {traceid_byte_count: 12}}\n",
               "kong.yaml:10:49: zipkin traceid_byte_count must be 8 or 16, not 12");
    ASSERT_ERR(KONG_HEAD "plugins:\n  - {name: opentelemetry, config: {sampling_rate: -0.1}}\n",
               "kong.yaml:10:51: opentelemetry sampling_rate must be between 0 and 1, not -0.1");
    ASSERT_ERR(KONG_HEAD "plugins:\n  - {name: zipkin, config: {header_type: w3c}}\n",
               "kong.yaml:10:42: zipkin header_type 'w3c' is not modeled yet (only 'preserve', the "
               "default: the forms that arrived, else x-b3-* and traceparent)");
}

void suite_kong_plugins(void)
{
    TEST_SUITE("proxies/kong_plugins");
    TEST_ADD(test_kong_plugins_every_plugin_loads_in_kong_priority_order);
    TEST_ADD(test_kong_plugins_tracing_defaults_and_scopes);
    TEST_ADD(test_kong_plugins_tracing_errors);
    TEST_ADD(test_kong_plugins_cors_answers_preflight_with_200);
    TEST_ADD(test_kong_plugins_cors_regex_origins_and_preflight_continue);
    TEST_ADD(test_kong_plugins_request_size_limiting_answers_413);
    TEST_ADD(test_kong_plugins_request_termination);
    TEST_ADD(test_kong_plugins_ip_restriction);
    TEST_ADD(test_kong_plugins_acl_without_consumers_is_401);
    TEST_ADD(test_kong_plugins_correlation_id);
    TEST_ADD(test_kong_plugins_transformers_edit_headers_and_query);
    TEST_ADD(test_kong_plugins_proxy_cache_miss_hit_refresh_bypass);
    TEST_ADD(test_kong_plugins_proxy_cache_varies_by_headers);
    TEST_ADD(test_kong_plugins_route_plugin_wins_over_global);
    TEST_ADD(test_kong_plugins_refused_with_their_place);
}
