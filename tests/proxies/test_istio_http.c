/*
 * test_istio_http.c - a VirtualService's HTTPRoute fields that answer or
 * edit requests (proxies/istio_vs_http.c), built into the sidecar's routes
 * (istio_build.c) and run as the engine runs them (edge.c; header edits of
 * the destination, then of the route): headers, redirect, directResponse,
 * corsPolicy, and their errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/edge.h"
#include "proxies/istio.h"
#include "proxies/proxy_internal.h"
#include "proxies/resolve.h"
#include "proxies/istio.h"
#include "tests/testutil.h"

void suite_istio_http(void);

static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr, "\n  line %d: got      \"%s\"\n  line %d: expected \"%s\"\n", line,
                actual ? actual : "(null)", line, expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

/* ---- messages ---- */

static struct px_msg *msg_new(struct px_rt *rt)
{
    (void)rt;
    struct px_msg *m = fl_calloc(1, sizeof *m);
    px_msg_init(m);
    return m;
}

static void msg_free(struct px_rt *rt, struct px_msg *m)
{
    (void)rt;
    px_msg_clear(m);
    free(m);
}

static const struct px_rt_ops ops = {.msg_new = msg_new, .msg_free = msg_free};
static struct px_rt rt = {&ops};

/* ---- a mesh of one service, reviews (v1, v2) ---- */

static struct px_endpoint_cfg eps[2];
static struct px_mesh_service mesh[1];

static int setup(void)
{
    const char *versions[] = {"v1", "v2"};
    for (int i = 0; i < 2; i++) {
        memset(&eps[i], 0, sizeof eps[i]);
        eps[i].name = fl_asprintf("reviews-%s-0", versions[i]);
        eps[i].addr = (uint64_t)i + 1;
        eps[i].weight = 1;
        eps[i].n_labels = 1;
        eps[i].labels = fl_calloc(1, sizeof *eps[i].labels);
        eps[i].labels[0].key = fl_strdup("version");
        eps[i].labels[0].value = fl_strdup(versions[i]);
    }
    mesh[0] = (struct px_mesh_service){"reviews", eps, 2};
    return 0;
}

static int teardown(void)
{
    for (int i = 0; i < 2; i++) px_endpoint_cfg_free(&eps[i]);
    return 0;
}

#define VS_HEAD                                                                                    \
    "apiVersion: networking.istio.io/v1\n"                                                         \
    "kind: VirtualService\n"                                                                       \
    "metadata: {name: reviews}\n"                                                                  \
    "spec:\n"                                                                                      \
    "  hosts: [reviews]\n"                                                                         \
    "  http:\n"

#define DR                                                                                         \
    "---\n"                                                                                        \
    "apiVersion: networking.istio.io/v1\n"                                                         \
    "kind: DestinationRule\n"                                                                      \
    "metadata: {name: reviews}\n"                                                                  \
    "spec:\n"                                                                                      \
    "  host: reviews\n"                                                                            \
    "  subsets:\n"                                                                                 \
    "    - {name: v1, labels: {version: v1}}\n"                                                    \
    "    - {name: v2, labels: {version: v2}}\n"

/* Reads text ("mesh.yaml"); 0, or -1 with *err (caller frees). */
static int load(struct px_istio *m, const char *text, char **err)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    int rc = 0;
    memset(m, 0, sizeof *m);
    *err = NULL;
    if (fl_ydoc_load_buffer("mesh.yaml", text, strlen(text), &docs, &n, err)) return -1;
    for (size_t i = 0; i < n && !rc; i++)
        if ((rc = px_istio_add(m, &docs[i], fl_y_root(&docs[i])))) {
            *err = docs[i].err;
            docs[i].err = NULL;
        }
    fl_ydoc_free_all(docs, n);
    return rc;
}

static void build_ok(const char *text, struct px_istio *m, struct px_proxy_cfg *out)
{
    char *err = NULL;
    int rc = load(m, text, &err);
    if (!rc) rc = px_istio_build_outbound(m, "sidecar", mesh, 1, out, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static char *load_err(const char *text)
{
    struct px_istio m;
    char *err;
    int rc = load(&m, text, &err);
    px_istio_free(&m);
    return rc ? err : fl_strdup("(accepted)");
}

#define ASSERT_ERR(text, expected)                                                                 \
    do {                                                                                           \
        char *e__ = load_err(text);                                                                \
        ASSERT_STR(e__, expected);                                                                 \
        free(e__);                                                                                 \
    } while (0)

static const struct px_route_cfg *route0(const struct px_proxy_cfg *c)
{
    CU_ASSERT_FATAL(c->n_vhosts >= 1 && c->vhosts[0].n_routes >= 1);
    return &c->vhosts[0].routes[0];
}

static struct px_msg *req_new(const char *method, const char *path)
{
    struct px_msg *m = msg_new(&rt);
    m->method = method;
    m->path = path;
    m->authority = "reviews:9080";
    return m;
}

/* The route's policies on req: the local answer (caller frees) or NULL. */
static struct px_msg *answer(const struct px_proxy_cfg *c, struct px_msg *req,
                             struct px_edge_state *st)
{
    const struct px_route_cfg *r = route0(c);
    struct px_edge_env env = {.rt = &rt, .route_name = r->name};
    memset(st, 0, sizeof *st);
    if (!r->edge) return NULL;
    const struct px_edge_cfg *e = &c->edges[r->edge - 1];
    return px_edge_request(e, 0, e->n, &env, req, st);
}

static const char *headers(const struct px_msg *m, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < m->n_headers && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s: %s", i ? "|" : "",
                                 m->headers[i].name, m->headers[i].value);
    return buf;
}

/* ---------------------------------------------------------------- headers */

static void test_istio_http_headers_destination_then_route(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    char buf[512];
    build_ok(VS_HEAD "    - headers:\n"
                     "        request:\n"
                     "          set: {x-env: prod, x-v: route}\n"
                     "          add: {x-tag: r}\n"
                     "          remove: [cookie]\n"
                     "        response: {remove: [server], set: {x-served: mesh}}\n"
                     "      route:\n"
                     "        - destination: {host: reviews, subset: v2}\n"
                     "          headers:\n"
                     "            request: {set: {x-v: dest, x-d: '1'}}\n"
                     "            response: {add: {x-dest: v2}}\n" DR,
             &m, &c);
    const struct px_route_cfg *r = route0(&c);
    CU_ASSERT_EQUAL(r->edge, 0); /* edits only: no policy */
    CU_ASSERT_EQUAL_FATAL(r->n_dests, 1);
    /* the engine: the destination's edits, then the route's (the route wins) */
    struct px_msg *up = req_new("GET", "/");
    px_msg_add_header(up, "Cookie", "a=1");
    px_msg_add_header(up, "x-tag", "client");
    px_hdr_ops_apply(&r->dests[0].req_headers, up);
    px_hdr_ops_apply(&r->req_headers, up);
    ASSERT_STR(headers(up, buf, sizeof buf),
               "x-tag: client|x-d: 1|x-env: prod|x-v: route|x-tag: r");
    msg_free(&rt, up);
    struct px_msg *resp = msg_new(&rt);
    resp->status = 200;
    px_msg_add_header(resp, "server", "envoy");
    px_hdr_ops_apply(&r->dests[0].resp_headers, resp);
    px_hdr_ops_apply(&r->resp_headers, resp);
    ASSERT_STR(headers(resp, buf, sizeof buf), "x-dest: v2|x-served: mesh");
    msg_free(&rt, resp);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* ---------------------------------------------------------------- redirect, directResponse */

static void test_istio_http_redirect(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    struct px_edge_state st;
    build_ok(VS_HEAD "    - redirect: {uri: /v2/reviews, authority: new.example.com}\n", &m, &c);
    CU_ASSERT_EQUAL(route0(&c)->n_dests, 0);
    /* Envoy's newUri: a host_redirect replaces the whole authority, port included */
    struct px_msg *req = req_new("GET", "/v1/reviews");
    req->query = "id=3";
    struct px_msg *a = answer(&c, req, &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(a->status, 301);
    ASSERT_STR(px_msg_header(a, "location"), "http://new.example.com/v2/reviews?id=3");
    CU_ASSERT(st.direct);
    msg_free(&rt, a);
    msg_free(&rt, req);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    build_ok(VS_HEAD "    - redirect: {scheme: https, port: 8443, redirectCode: 308}\n", &m, &c);
    req = req_new("POST", "/a");
    a = answer(&c, req, &st);
    CU_ASSERT_EQUAL(a->status, 308);
    ASSERT_STR(px_msg_header(a, "location"), "https://reviews:8443/a");
    msg_free(&rt, a);
    msg_free(&rt, req);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_http_direct_response(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    struct px_edge_state st;
    build_ok(VS_HEAD "    - directResponse: {status: 503, body: {string: down for maintenance}}\n",
             &m, &c);
    struct px_msg *req = req_new("GET", "/");
    struct px_msg *a = answer(&c, req, &st);
    CU_ASSERT_EQUAL(a->status, 503);
    CU_ASSERT_EQUAL(a->body_bytes, 20);
    ASSERT_STR((const char *)a->body, "down for maintenance");
    ASSERT_STR(px_msg_header(a, "content-type"), "text/plain");
    msg_free(&rt, a);
    msg_free(&rt, req);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    build_ok(VS_HEAD "    - directResponse: {status: 200, body: {bytes: aGVsbG8=}}\n"
                     "    - directResponse: {status: 204}\n",
             &m, &c);
    req = req_new("GET", "/");
    a = answer(&c, req, &st);
    ASSERT_STR((const char *)a->body, "hello");
    CU_ASSERT_EQUAL(a->body_bytes, 5);
    msg_free(&rt, a);
    msg_free(&rt, req);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* ---------------------------------------------------------------- corsPolicy */

static void test_istio_http_cors_policy(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    struct px_edge_state st;
    char buf[512];
    build_ok(VS_HEAD "    - corsPolicy:\n"
                     "        allowOrigins: [{exact: 'https://a.example.com'}, {regex: "
                     "'https://.*\\.test'}]\n"
                     "        allowMethods: [GET, POST]\n"
                     "        allowHeaders: [x-a]\n"
                     "        exposeHeaders: [x-total]\n"
                     "        maxAge: 24h\n"
                     "        allowCredentials: true\n"
                     "      route: [{destination: {host: reviews}}]\n",
             &m, &c);
    struct px_msg *req = req_new("OPTIONS", "/");
    px_msg_add_header(req, "origin", "https://b.test");
    px_msg_add_header(req, "access-control-request-method", "POST");
    struct px_msg *a = answer(&c, req, &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(a->status, 200);
    ASSERT_STR(headers(a, buf, sizeof buf),
               "access-control-allow-origin: https://b.test|access-control-allow-credentials: "
               "true|access-control-allow-headers: x-a|access-control-allow-methods: GET,POST|"
               "access-control-max-age: 86400");
    msg_free(&rt, a);
    msg_free(&rt, req);
    /* an origin not allowed: the preflight goes upstream, and nothing is added */
    req = req_new("OPTIONS", "/");
    px_msg_add_header(req, "origin", "https://evil.example.com");
    px_msg_add_header(req, "access-control-request-method", "POST");
    CU_ASSERT_PTR_NULL(answer(&c, req, &st));
    const struct px_edge_cfg *e = &c.edges[route0(&c)->edge - 1];
    struct px_edge_env env = {.rt = &rt};
    struct px_msg *resp = msg_new(&rt);
    resp->status = 200;
    px_edge_response(e, &env, req, resp, &st);
    CU_ASSERT_EQUAL(resp->n_headers, 0);
    msg_free(&rt, resp);
    msg_free(&rt, req);
    /* a request from an allowed origin: its response gets the CORS headers */
    req = req_new("GET", "/");
    px_msg_add_header(req, "origin", "https://a.example.com");
    CU_ASSERT_PTR_NULL(answer(&c, req, &st));
    resp = msg_new(&rt);
    resp->status = 200;
    px_edge_response(e, &env, req, resp, &st);
    ASSERT_STR(headers(resp, buf, sizeof buf),
               "access-control-allow-origin: https://a.example.com|"
               "access-control-allow-credentials: true|access-control-expose-headers: x-total");
    msg_free(&rt, resp);
    msg_free(&rt, req);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* ---------------------------------------------------------------- mirror */

static void test_istio_http_mirror(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok(VS_HEAD "    - route: [{destination: {host: reviews, subset: v1}}]\n"
                     "      mirror: {host: reviews, subset: v2}\n"
                     "      mirrorPercentage: {value: 12.5}\n" DR,
             &m, &c);
    const struct px_route_cfg *r = route0(&c);
    CU_ASSERT_EQUAL_FATAL(r->n_mirrors, 1);
    CU_ASSERT_EQUAL(r->mirrors[0].percent, 12.5);
    ASSERT_STR(c.clusters[r->mirrors[0].cluster].name, "outbound|80|v2|reviews");
    ASSERT_STR(c.clusters[r->dests[0].cluster].name, "outbound|80|v1|reviews");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    /* mirrors, each with its percentage (default 100); the deprecated mirrorPercent */
    build_ok(VS_HEAD
             "    - route: [{destination: {host: reviews}}]\n"
             "      mirrors:\n"
             "        - {destination: {host: reviews, subset: v1}}\n"
             "        - {destination: {host: reviews, subset: v2}, percentage: {value: 5}}\n"
             "    - route: [{destination: {host: reviews}}]\n"
             "      mirror: {host: reviews}\n"
             "      mirrorPercent: 30\n" DR,
             &m, &c);
    r = route0(&c);
    CU_ASSERT_EQUAL_FATAL(r->n_mirrors, 2);
    CU_ASSERT_EQUAL(r->mirrors[0].percent, 100);
    CU_ASSERT_EQUAL(r->mirrors[1].percent, 5);
    CU_ASSERT_EQUAL_FATAL(c.vhosts[0].n_routes, 2);
    CU_ASSERT_EQUAL(c.vhosts[0].routes[1].mirrors[0].percent, 30);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    struct px_msg *msg = msg_new(&rt);
    ASSERT_STR(px_mirror_shadow_host(msg, "reviews:9080"), "reviews-shadow:9080");
    ASSERT_STR(px_mirror_shadow_host(msg, "reviews"), "reviews-shadow");
    msg_free(&rt, msg);
}

/* ---------------------------------------------------------------- uriRegexRewrite */

/* istio.io's example: /service/foo/v1/api -> /v1/api/instance/foo; every match replaced. */
static void test_istio_http_uri_regex_rewrite(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok(VS_HEAD "    - rewrite:\n"
                     "        uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: "
                     "'\\2/instance/\\1'}\n"
                     "      route: [{destination: {host: reviews}}]\n",
             &m, &c);
    const struct px_regex_rewrite *rw = &route0(&c)->regex_rewrite;
    CU_ASSERT_PTR_NOT_NULL_FATAL(rw->re);
    char *out = px_regex_rewrite_apply(rw, "/service/foo/v1/api");
    ASSERT_STR(out, "/v1/api/instance/foo");
    free(out);
    CU_ASSERT_PTR_NULL(px_regex_rewrite_apply(rw, "/other")); /* no match: unchanged */
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    struct px_regex_rewrite g;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_regex_rewrite_init(&g, "a", "x$\\\\", &err), 0);
    out = px_regex_rewrite_apply(&g, "/a/b/a");
    ASSERT_STR(out, "/x$\\/b/x$\\");
    free(out);
    px_regex_rewrite_free(&g);
}

/* ---------------------------------------------------------------- errors */

static void test_istio_http_errors(void)
{
    ASSERT_ERR(VS_HEAD "    - redirect: {uri: /x, redirectCode: 200}\n",
               "mesh.yaml:7:41: redirectCode must be between 300 and 399, not 200");
    ASSERT_ERR(VS_HEAD "    - directResponse: {body: {string: x}}\n",
               "mesh.yaml:7:23: directResponse needs 'status'");
    ASSERT_ERR(VS_HEAD "    - headers: {request: {sett: {a: b}}}\n"
                       "      route: [{destination: {host: reviews}}]\n",
               "mesh.yaml:7:27: unknown key 'sett' in headers request (did you mean 'set'?)");
    ASSERT_ERR(VS_HEAD "    - corsPolicy: {allowOrigins: [{exact: a, prefix: b}]}\n"
                       "      route: [{destination: {host: reviews}}]\n",
               "mesh.yaml:7:35: allowOrigins item takes one of exact, prefix, regex");
    ASSERT_ERR(VS_HEAD "    - rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}\n"
                       "      route: [{destination: {host: reviews}}]\n",
               "mesh.yaml:7:43: VirtualService 'reviews': rewrite takes uri or uriRegexRewrite, "
               "not both");
    ASSERT_ERR(VS_HEAD "    - rewrite: {uriRegexRewrite: {match: '(a)\\1', rewrite: b}}\n"
                       "      route: [{destination: {host: reviews}}]\n",
               "mesh.yaml:7:34: uriRegexRewrite: regex '(a)\\1': backreferences \\1..\\9 not "
               "supported by RE2, the regex engine Envoy uses");
    ASSERT_ERR(VS_HEAD "    - mirror: {host: reviews}\n"
                       "      mirrors: [{destination: {host: reviews}}]\n"
                       "      route: [{destination: {host: reviews}}]\n",
               "mesh.yaml:8:16: VirtualService 'reviews': an http route takes mirror or mirrors, "
               "not both");
    ASSERT_ERR(VS_HEAD "    - mirror: {host: reviews}\n"
                       "      mirrorPercentage: {value: 150}\n"
                       "      route: [{destination: {host: reviews}}]\n",
               "mesh.yaml:8:33: percentage value must be between 0 and 100, not 150");
}

void suite_istio_http(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/istio_http", setup, teardown);
    TEST_ADD(test_istio_http_headers_destination_then_route);
    TEST_ADD(test_istio_http_redirect);
    TEST_ADD(test_istio_http_direct_response);
    TEST_ADD(test_istio_http_cors_policy);
    TEST_ADD(test_istio_http_mirror);
    TEST_ADD(test_istio_http_uri_regex_rewrite);
    TEST_ADD(test_istio_http_errors);
}
