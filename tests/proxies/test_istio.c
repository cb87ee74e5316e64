/*
 * test_istio.c - proxies/istio_*.c: VirtualServices and DestinationRules read
 * as users keep them (several apiVersions, short and qualified hosts, Go
 * durations), kinds not modeled kept as warnings, mistakes refused with
 * their exact "file:line:col: message", and a sidecar's outbound
 * configuration built with Istio's defaults: canary weights, header
 * matches, retries and timeouts (a fault switches both off), connection
 * pools, outlier detection and subsets with label-filtered endpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/istio.h"
#include "proxies/resolve.h"
#include "tests/testutil.h"

void suite_istio(void);

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr,
                "\n  test_istio.c:%d: got      \"%s\"\n  test_istio.c:%d: expected \"%s\"\n", line,
                actual ? actual : "(null)", line, expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

/* Reads every document of text (named "mesh.yaml") into m; returns 0 or -1 with *err. */
static int add_all(struct px_istio *m, const char *text, char **err)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    *err = NULL;
    if (fl_ydoc_load_buffer("mesh.yaml", text, strlen(text), &docs, &n, err)) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = px_istio_add(m, &docs[i], fl_y_root(&docs[i]));
        if (rc) {
            *err = docs[i].err;
            docs[i].err = NULL;
        }
    }
    fl_ydoc_free_all(docs, n);
    return rc;
}

static void add_ok(struct px_istio *m, const char *text)
{
    char *err;
    memset(m, 0, sizeof *m);
    int rc = add_all(m, text, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    if (rc) free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* add_ok with --lenient: what is not modeled becomes a warning. */
static void add_lenient(struct px_istio *m, const char *text)
{
    char *err;
    memset(m, 0, sizeof *m);
    m->lenient = 1;
    int rc = add_all(m, text, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    if (rc) free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static char *add_err(const char *text)
{
    struct px_istio m = {0};
    char *err;
    int rc = add_all(&m, text, &err);
    px_istio_free(&m);
    return rc ? err : fl_strdup("(accepted)");
}

#define ASSERT_ERR(text, expected)                                                                 \
    do {                                                                                           \
        char *e__ = add_err(text);                                                                 \
        ASSERT_STR(e__, expected);                                                                 \
        free(e__);                                                                                 \
    } while (0)

/* ---- the mesh: reviews v1 (2 pods), v2, v3; ratings; productpage ---- */

static struct px_endpoint_cfg reviews_eps[4], ratings_eps[1], page_eps[1];
static struct px_mesh_service mesh[3];

static void pod(struct px_endpoint_cfg *e, const char *name, const char *app, const char *version,
                uint64_t addr)
{
    memset(e, 0, sizeof *e);
    e->name = fl_strdup(name);
    e->addr = addr;
    e->weight = 1;
    e->n_labels = 2;
    e->labels = fl_calloc(2, sizeof *e->labels);
    e->labels[0].key = fl_strdup("app");
    e->labels[0].value = fl_strdup(app);
    e->labels[1].key = fl_strdup("version");
    e->labels[1].value = fl_strdup(version);
}

static int mesh_setup(void)
{
    pod(&reviews_eps[0], "reviews-v1-0", "reviews", "v1", 1);
    pod(&reviews_eps[1], "reviews-v1-1", "reviews", "v1", 2);
    pod(&reviews_eps[2], "reviews-v2-0", "reviews", "v2", 3);
    pod(&reviews_eps[3], "reviews-v3-0", "reviews", "v3", 4);
    pod(&ratings_eps[0], "ratings-0", "ratings", "v1", 5);
    pod(&page_eps[0], "productpage-0", "productpage", "v1", 6);
    mesh[0] = (struct px_mesh_service){"reviews", reviews_eps, 4};
    mesh[1] = (struct px_mesh_service){"ratings", ratings_eps, 1};
    mesh[2] = (struct px_mesh_service){"productpage", page_eps, 1};
    return 0;
}

static int mesh_teardown(void)
{
    for (int i = 0; i < 4; i++) px_endpoint_cfg_free(&reviews_eps[i]);
    px_endpoint_cfg_free(&ratings_eps[0]);
    px_endpoint_cfg_free(&page_eps[0]);
    return 0;
}

static void build_ok(const char *text, struct px_istio *m, struct px_proxy_cfg *out)
{
    char *err = NULL;
    add_ok(m, text);
    int rc = px_istio_build_outbound(m, "sidecar", mesh, 3, out, &err);
    if (rc) fprintf(stderr, "\n  unexpected build error: %s\n", err);
    free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The build error for text (caller frees). */
static char *build_err(const char *text)
{
    struct px_istio m;
    struct px_proxy_cfg out;
    char *err = NULL;
    add_ok(&m, text);
    if (px_istio_build_outbound(&m, "sidecar", mesh, 3, &out, &err) == 0) {
        px_proxy_cfg_free(&out);
        err = fl_strdup("(built)");
    }
    px_istio_free(&m);
    return err;
}

static const struct px_vhost_cfg *vhost(const struct px_proxy_cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_vhosts; i++)
        if (!strcmp(c->vhosts[i].name, name)) return &c->vhosts[i];
    return NULL;
}

static const struct px_cluster_cfg *cluster(const struct px_proxy_cfg *c, const char *name)
{
    int i = px_proxy_cfg_cluster(c, name);
    return i < 0 ? NULL : &c->clusters[i];
}

static const char *const subsets_dr = "apiVersion: networking.istio.io/v1beta1\n"
                                      "kind: DestinationRule\n"
                                      "metadata: {name: reviews}\n"
                                      "spec:\n"
                                      "  host: reviews\n"
                                      "  subsets:\n"
                                      "    - {name: v1, labels: {version: v1}}\n"
                                      "    - {name: v2, labels: {version: v2}}\n"
                                      "    - {name: v3, labels: {version: v3}}\n";

/* ---- routing ---- */

static void test_istio_canary_95_5(void)
{
    char text[2048];
    snprintf(text, sizeof text,
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews-canary}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http:\n"
             "    - route:\n"
             "        - {destination: {host: reviews, subset: v1}, weight: 95}\n"
             "        - {destination: {host: reviews, subset: v2}, weight: 5}\n"
             "---\n%s",
             subsets_dr);
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok(text, &m, &c);
    CU_ASSERT_EQUAL(c.kind, PX_PROXY_OUTBOUND);
    CU_ASSERT_EQUAL(m.n_vs, 1);
    CU_ASSERT_EQUAL(m.n_dr, 1);
    const struct px_vhost_cfg *v = vhost(&c, "reviews");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL_FATAL(v->n_routes, 1);
    const struct px_route_cfg *r = &v->routes[0];
    ASSERT_STR(r->name, "reviews-canary");
    CU_ASSERT_EQUAL(r->path.kind, PX_MATCH_PREFIX);
    ASSERT_STR(r->path.value, "/");
    CU_ASSERT_EQUAL_FATAL(r->n_dests, 2);
    ASSERT_STR(c.clusters[r->dests[0].cluster].name, "outbound|80|v1|reviews");
    ASSERT_STR(c.clusters[r->dests[1].cluster].name, "outbound|80|v2|reviews");
    CU_ASSERT_EQUAL(r->dests[0].weight, 95);
    CU_ASSERT_EQUAL(r->dests[1].weight, 5);
    CU_ASSERT_EQUAL(r->total_weight, 100);
    CU_ASSERT_EQUAL(r->timeout_ns, 0);
    CU_ASSERT_TRUE(r->has_retry);
    CU_ASSERT_EQUAL(r->retry.num_retries, 2);
    /* subsets: clusters of their pods only */
    const struct px_cluster_cfg *v1 = cluster(&c, "outbound|80|v1|reviews");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v1);
    CU_ASSERT_EQUAL_FATAL(v1->n_endpoints, 2);
    ASSERT_STR(v1->endpoints[0].name, "reviews-v1-0");
    ASSERT_STR(v1->endpoints[1].name, "reviews-v1-1");
    CU_ASSERT_EQUAL(cluster(&c, "outbound|80|v2|reviews")->n_endpoints, 1);
    CU_ASSERT_EQUAL(cluster(&c, "outbound|80||reviews")->n_endpoints, 4);
    CU_ASSERT_EQUAL(c.n_clusters, 6); /* 3 services + 3 subsets */
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_header_regex_ab_test(void)
{
    char text[2048];
    snprintf(text, sizeof text,
             "apiVersion: networking.istio.io/v1alpha3\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http:\n"
             "    - name: iphone\n"
             "      match:\n"
             "        - headers:\n"
             "            user-agent: {regex: \".*iPhone.*Safari.*\"}\n"
             "      route: [{destination: {host: reviews, subset: v2}}]\n"
             "    - name: rest\n"
             "      route: [{destination: {host: reviews, subset: v1}}]\n"
             "---\n%s",
             subsets_dr);
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok(text, &m, &c);
    const struct px_vhost_cfg *v = vhost(&c, "reviews");
    CU_ASSERT_EQUAL_FATAL(v->n_routes, 2);
    const struct px_route_cfg *a = &v->routes[0], *b = &v->routes[1];
    ASSERT_STR(a->name, "iphone");
    ASSERT_STR(b->name, "rest");
    CU_ASSERT_EQUAL_FATAL(a->n_headers, 1);
    ASSERT_STR(a->headers[0].name, "user-agent");
    CU_ASSERT_FALSE(a->headers[0].invert);
    CU_ASSERT_TRUE(px_match_test(&a->headers[0].m, "Mozilla/5.0 (iPhone) Safari"));
    CU_ASSERT_FALSE(px_match_test(&a->headers[0].m, "Mozilla/5.0 (Android) Chrome"));
    CU_ASSERT_FALSE(px_match_test(&a->headers[0].m, NULL));
    ASSERT_STR(c.clusters[a->dests[0].cluster].name, "outbound|80|v2|reviews");
    CU_ASSERT_EQUAL(a->dests[0].weight, 100); /* a single destination takes everything */
    CU_ASSERT_EQUAL(b->n_headers, 0);
    ASSERT_STR(c.clusters[b->dests[0].cluster].name, "outbound|80|v1|reviews");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_match_list_means_any_and_order_is_kept(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: ratings}\n"
             "spec:\n"
             "  hosts: [ratings]\n"
             "  http:\n"
             "    - name: api\n"
             "      match:\n"
             "        - {uri: {prefix: /api}, method: {exact: GET}}\n"
             "        - {uri: {exact: /health}, ignoreUriCase: true}\n"
             "        - {uri: {prefix: /gw}, gateways: [my-gateway]}\n"
             "        - withoutHeaders: {x-debug: {}}\n"
             "      route: [{destination: {host: ratings}}]\n"
             "      rewrite: {uri: /v2, authority: ratings.internal}\n"
             "    - name: rest\n"
             "      route: [{destination: {host: ratings}}]\n",
             &m, &c);
    const struct px_vhost_cfg *v = vhost(&c, "ratings");
    CU_ASSERT_EQUAL_FATAL(v->n_routes, 4); /* the gateway-only match is not for sidecars */
    ASSERT_STR(v->routes[0].name, "api");
    ASSERT_STR(v->routes[0].path.value, "/api");
    CU_ASSERT_EQUAL_FATAL(v->routes[0].n_methods, 1);
    ASSERT_STR(v->routes[0].methods[0], "GET");
    CU_ASSERT_EQUAL(v->routes[1].path.kind, PX_MATCH_EXACT);
    CU_ASSERT_TRUE(px_match_test(&v->routes[1].path, "/HEALTH"));
    CU_ASSERT_EQUAL(v->routes[2].n_headers, 1);
    CU_ASSERT_TRUE(v->routes[2].headers[0].invert);
    CU_ASSERT_EQUAL(v->routes[2].headers[0].m.kind, PX_MATCH_PRESENT);
    for (int i = 0; i < 3; i++) {
        ASSERT_STR(v->routes[i].path_prefix, "/v2");
        CU_ASSERT_TRUE(v->routes[i].strip_path);
        ASSERT_STR(v->routes[i].authority, "ratings.internal");
    }
    ASSERT_STR(v->routes[3].name, "rest");
    CU_ASSERT_PTR_NULL(v->routes[3].path_prefix);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_default_route_for_services_without_virtualservice(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: ratings}\n"
             "spec:\n"
             "  hosts: [ratings]\n"
             "  http: [{route: [{destination: {host: ratings}}]}]\n",
             &m, &c);
    CU_ASSERT_EQUAL(c.n_vhosts, 3);
    const struct px_vhost_cfg *v = vhost(&c, "productpage");
    CU_ASSERT_EQUAL_FATAL(v->n_routes, 1);
    const struct px_route_cfg *r = &v->routes[0];
    ASSERT_STR(r->name, "default");
    CU_ASSERT_EQUAL(r->path.kind, PX_MATCH_PREFIX);
    ASSERT_STR(c.clusters[r->dests[0].cluster].name, "outbound|80||productpage");
    CU_ASSERT_EQUAL(r->timeout_ns, 0);
    CU_ASSERT_TRUE(r->has_retry);
    CU_ASSERT_FALSE(r->has_fault);
    CU_ASSERT_EQUAL(r->rate_limit, -1);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* ---- retries, timeouts, faults ---- */

static void test_istio_default_retry_policy_is_istios(void)
{
    struct px_retry_policy p;
    px_istio_default_retry(&p);
    CU_ASSERT_EQUAL(p.num_retries, 2);
    CU_ASSERT_EQUAL(p.retry_on, PX_RETRY_CONNECT_FAILURE | PX_RETRY_REFUSED_STREAM |
                                    PX_RETRY_GRPC_UNAVAILABLE | PX_RETRY_GRPC_CANCELLED |
                                    PX_RETRY_RETRIABLE_STATUS_CODES);
    /* retry.go DefaultPolicy: RetriableStatusCodes [503] */
    CU_ASSERT_EQUAL_FATAL(p.n_codes, 1);
    CU_ASSERT_EQUAL(p.codes[0], 503);
    CU_ASSERT_TRUE(p.previous_hosts);
    CU_ASSERT_EQUAL(p.host_selection_attempts, 5);
    CU_ASSERT_EQUAL(p.per_try_timeout_ns, 0);
    CU_ASSERT_EQUAL(p.base_ns, 25 * MS);
}

static const char *const retries_vs =
    "apiVersion: networking.istio.io/v1beta1\n"
    "kind: VirtualService\n"
    "metadata: {name: ratings}\n"
    "spec:\n"
    "  hosts: [ratings]\n"
    "  http:\n"
    "    - name: a\n"
    "      match: [{uri: {prefix: /a}}]\n"
    "      route: [{destination: {host: ratings}}]\n"
    "      timeout: 2s\n"
    "      retries: {attempts: 3, perTryTimeout: 500ms, retryOn: \"5xx,connect-failure\"}\n"
    "    - name: b\n"
    "      match: [{uri: {prefix: /b}}]\n"
    "      route: [{destination: {host: ratings}}]\n"
    "      retries: {attempts: 1, retryOn: \"503,reset\", backoff: 0.1s,\n"
    "                retryIgnorePreviousHosts: false}\n"
    "    - name: c\n"
    "      match: [{uri: {prefix: /c}}]\n"
    "      route: [{destination: {host: ratings}}]\n"
    "      retries: {attempts: 0, perTryTimeout: 1m30s}\n"
    "    - name: d\n"
    "      route: [{destination: {host: ratings}}]\n"
    "      timeout: 1.5s\n"
    "      retries: {attempts: 4}\n";

static void test_istio_retries_and_timeouts(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok(retries_vs, &m, &c);
    const struct px_vhost_cfg *v = vhost(&c, "ratings");
    CU_ASSERT_EQUAL_FATAL(v->n_routes, 4);
    const struct px_route_cfg *a = &v->routes[0], *b = &v->routes[1], *cc = &v->routes[2],
                              *d = &v->routes[3];
    CU_ASSERT_EQUAL(a->timeout_ns, 2 * S);
    CU_ASSERT_TRUE(a->has_retry);
    CU_ASSERT_EQUAL(a->retry.num_retries, 3);
    CU_ASSERT_EQUAL(a->retry.per_try_timeout_ns, 500 * MS);
    CU_ASSERT_EQUAL(a->retry.retry_on, PX_RETRY_5XX | PX_RETRY_CONNECT_FAILURE);
    CU_ASSERT_TRUE(a->retry.previous_hosts);
    CU_ASSERT_EQUAL(a->retry.host_selection_attempts, 5);
    CU_ASSERT_EQUAL(a->retry.n_codes, 0); /* a retryOn replaces the default's codes */
    /* bare status codes are retriable-status-codes; a reset does not match "503" */
    CU_ASSERT_EQUAL(b->timeout_ns, 0);
    CU_ASSERT_EQUAL(b->retry.retry_on, PX_RETRY_RESET | PX_RETRY_RETRIABLE_STATUS_CODES);
    CU_ASSERT_EQUAL_FATAL(b->retry.n_codes, 1);
    CU_ASSERT_EQUAL(b->retry.codes[0], 503);
    CU_ASSERT_EQUAL(b->retry.base_ns, 100 * MS);
    CU_ASSERT_FALSE(b->retry.previous_hosts);
    /* attempts 0 switches retries off */
    CU_ASSERT_FALSE(cc->has_retry);
    /* attempts without retryOn keep Istio's default conditions */
    CU_ASSERT_EQUAL(d->timeout_ns, 1500 * MS);
    CU_ASSERT_EQUAL(d->retry.num_retries, 4);
    CU_ASSERT_EQUAL(d->retry.retry_on, PX_RETRY_CONNECT_FAILURE | PX_RETRY_REFUSED_STREAM |
                                           PX_RETRY_GRPC_UNAVAILABLE | PX_RETRY_GRPC_CANCELLED |
                                           PX_RETRY_RETRIABLE_STATUS_CODES);
    /* ... and its retriable status code 503 (ConvertPolicy starts from DefaultPolicy) */
    CU_ASSERT_EQUAL_FATAL(d->retry.n_codes, 1);
    CU_ASSERT_EQUAL(d->retry.codes[0], 503);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_fault_switches_off_retries_and_timeout(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: ratings}\n"
             "spec:\n"
             "  hosts: [ratings]\n"
             "  http:\n"
             "    - name: faulty\n"
             "      match: [{uri: {prefix: /f}}]\n"
             "      route: [{destination: {host: ratings}}]\n"
             "      timeout: 3s\n"
             "      retries: {attempts: 3, retryOn: 5xx}\n"
             "      fault:\n"
             "        delay: {fixedDelay: 5s, percentage: {value: 10}}\n"
             "        abort: {httpStatus: 503, percentage: {value: 50.5}}\n"
             "    - name: no-percentage\n"
             "      route: [{destination: {host: ratings}}]\n"
             "      fault:\n"
             "        delay: {fixedDelay: 7s}\n"
             "        abort: {httpStatus: 500}\n",
             &m, &c);
    const struct px_vhost_cfg *v = vhost(&c, "ratings");
    const struct px_route_cfg *f = &v->routes[0], *n = &v->routes[1];
    CU_ASSERT_TRUE(f->has_fault);
    CU_ASSERT_EQUAL(f->fault.delay_ns, 5 * S);
    ASSERT_ABS(f->fault.delay_percent, 10, 1e-9);
    CU_ASSERT_EQUAL(f->fault.abort_status, 503);
    ASSERT_ABS(f->fault.abort_percent, 50.5, 1e-9);
    CU_ASSERT_FALSE(f->has_retry);
    CU_ASSERT_EQUAL(f->timeout_ns, 0);
    /* percentage absent: no request is faulted */
    CU_ASSERT_TRUE(n->has_fault);
    CU_ASSERT_EQUAL(n->fault.delay_ns, 7 * S);
    ASSERT_ABS(n->fault.delay_percent, 0, 0);
    ASSERT_ABS(n->fault.abort_percent, 0, 0);
    CU_ASSERT_EQUAL(n->fault.abort_status, 500);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* ---- destination rules ---- */

static void test_istio_clusters_carry_istio_defaults(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: ratings}\n"
             "spec: {host: ratings}\n",
             &m, &c);
    for (size_t i = 0; i < c.n_clusters; i++) {
        const struct px_cluster_cfg *cl = &c.clusters[i];
        CU_ASSERT_EQUAL(cl->lb.policy, PX_LB_LEAST_REQUEST);
        CU_ASSERT_EQUAL(cl->breaker.max_connections, UINT32_MAX);
        CU_ASSERT_EQUAL(cl->breaker.max_pending, UINT32_MAX);
        CU_ASSERT_EQUAL(cl->breaker.max_requests, UINT32_MAX);
        CU_ASSERT_EQUAL(cl->breaker.max_retries, UINT32_MAX);
        CU_ASSERT_EQUAL(cl->connect_timeout_ns, 10 * S);
        CU_ASSERT_EQUAL(cl->max_requests_per_connection, 0);
        CU_ASSERT_FALSE(cl->has_outlier);
    }
    CU_ASSERT_EQUAL(c.n_clusters, 3);
    ASSERT_STR(c.clusters[1].name, "outbound|80||ratings");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_connection_pool_and_outlier_mapping(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1beta1\n"
             "kind: DestinationRule\n"
             "metadata: {name: ratings}\n"
             "spec:\n"
             "  host: ratings\n"
             "  trafficPolicy:\n"
             "    loadBalancer: {simple: ROUND_ROBIN}\n"
             "    connectionPool:\n"
             "      tcp: {maxConnections: 10, connectTimeout: 250ms,\n"
             "            tcpKeepalive: {time: 7200s, interval: 75s}}\n"
             "      http: {http1MaxPendingRequests: 64, http2MaxRequests: 100, maxRetries: 5,\n"
             "             maxRequestsPerConnection: 1, idleTimeout: 1h}\n"
             "    outlierDetection:\n"
             "      consecutive5xxErrors: 7\n"
             "      consecutiveGatewayErrors: 3\n"
             "      interval: 5m\n"
             "      baseEjectionTime: 15m\n"
             "      maxEjectionPercent: 50\n",
             &m, &c);
    const struct px_cluster_cfg *cl = cluster(&c, "outbound|80||ratings");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
    CU_ASSERT_EQUAL(cl->lb.policy, PX_LB_ROUND_ROBIN);
    CU_ASSERT_EQUAL(cl->breaker.max_connections, 10);
    CU_ASSERT_EQUAL(cl->breaker.max_pending, 64);
    CU_ASSERT_EQUAL(cl->breaker.max_requests, 100);
    CU_ASSERT_EQUAL(cl->breaker.max_retries, 5);
    CU_ASSERT_EQUAL(cl->connect_timeout_ns, 250 * MS);
    CU_ASSERT_EQUAL(cl->max_requests_per_connection, 1);
    CU_ASSERT_TRUE_FATAL(cl->has_outlier);
    const struct px_outlier_cfg *o = &cl->outlier;
    CU_ASSERT_EQUAL(o->consecutive_5xx, 7);
    CU_ASSERT_EQUAL(o->enforcing_consecutive_5xx, 100);
    CU_ASSERT_EQUAL(o->consecutive_gateway_failure, 3);
    CU_ASSERT_EQUAL(o->enforcing_consecutive_gateway_failure, 100);
    CU_ASSERT_EQUAL(o->enforcing_success_rate, 0);
    CU_ASSERT_EQUAL(o->interval_ns, 300 * S);
    CU_ASSERT_EQUAL(o->base_ejection_ns, 900 * S);
    CU_ASSERT_EQUAL(o->max_ejection_ns, 900 * S); /* base above Envoy's 300 s max */
    CU_ASSERT_EQUAL(o->max_ejection_percent, 50);
    ASSERT_ABS(cl->lb.panic_threshold, 0, 0); /* minHealthPercent default 0: panic off */
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_outlier_defaults_and_zeroes(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: ratings}\n"
             "spec:\n"
             "  host: ratings\n"
             "  trafficPolicy:\n"
             "    outlierDetection: {minHealthPercent: 40}\n"
             "---\n"
             "apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  host: reviews\n"
             "  trafficPolicy:\n"
             "    outlierDetection: {consecutive5xxErrors: 0, consecutiveGatewayErrors: 0}\n",
             &m, &c);
    const struct px_cluster_cfg *r = cluster(&c, "outbound|80||ratings");
    /* unset fields keep Envoy's defaults; success rate is off */
    CU_ASSERT_EQUAL(r->outlier.consecutive_5xx, 5);
    CU_ASSERT_EQUAL(r->outlier.enforcing_consecutive_5xx, 100);
    CU_ASSERT_EQUAL(r->outlier.consecutive_gateway_failure, 5);
    CU_ASSERT_EQUAL(r->outlier.enforcing_consecutive_gateway_failure, 0);
    CU_ASSERT_EQUAL(r->outlier.enforcing_success_rate, 0);
    CU_ASSERT_EQUAL(r->outlier.interval_ns, 10 * S);
    CU_ASSERT_EQUAL(r->outlier.base_ejection_ns, 30 * S);
    CU_ASSERT_EQUAL(r->outlier.max_ejection_percent, 10);
    ASSERT_ABS(r->lb.panic_threshold, 40, 0);
    const struct px_cluster_cfg *v = cluster(&c, "outbound|80||reviews");
    CU_ASSERT_EQUAL(v->outlier.consecutive_5xx, 0);
    CU_ASSERT_EQUAL(v->outlier.enforcing_consecutive_5xx, 0);
    CU_ASSERT_EQUAL(v->outlier.enforcing_consecutive_gateway_failure, 0);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_subset_policy_replaces_parts(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  host: reviews\n"
             "  trafficPolicy:\n"
             "    loadBalancer: {simple: ROUND_ROBIN}\n"
             "    connectionPool: {http: {http1MaxPendingRequests: 64}}\n"
             "    outlierDetection: {consecutive5xxErrors: 3}\n"
             "  subsets:\n"
             "    - name: v1\n"
             "      labels: {version: v1}\n"
             "    - name: v2\n"
             "      labels: {version: v2}\n"
             "      trafficPolicy:\n"
             "        connectionPool: {tcp: {maxConnections: 5}}\n"
             "    - name: v3\n"
             "      labels: {version: v3, app: reviews}\n"
             "      trafficPolicy: {loadBalancer: {simple: RANDOM}}\n",
             &m, &c);
    const struct px_cluster_cfg *v1 = cluster(&c, "outbound|80|v1|reviews");
    const struct px_cluster_cfg *v2 = cluster(&c, "outbound|80|v2|reviews");
    const struct px_cluster_cfg *v3 = cluster(&c, "outbound|80|v3|reviews");
    CU_ASSERT_EQUAL(v1->breaker.max_pending, 64);
    CU_ASSERT_EQUAL(v1->lb.policy, PX_LB_ROUND_ROBIN);
    /* v2's pool replaces the whole pool: pending goes back to Istio's default */
    CU_ASSERT_EQUAL(v2->breaker.max_connections, 5);
    CU_ASSERT_EQUAL(v2->breaker.max_pending, UINT32_MAX);
    CU_ASSERT_EQUAL(v2->lb.policy, PX_LB_ROUND_ROBIN);
    CU_ASSERT_EQUAL(v2->outlier.consecutive_5xx, 3);
    /* v3 changes only the balancer; labels must all match */
    CU_ASSERT_EQUAL(v3->lb.policy, PX_LB_RANDOM);
    CU_ASSERT_EQUAL(v3->breaker.max_pending, 64);
    CU_ASSERT_EQUAL_FATAL(v3->n_endpoints, 1);
    ASSERT_STR(v3->endpoints[0].name, "reviews-v3-0");
    CU_ASSERT_EQUAL(v3->endpoints[0].n_labels, 2);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/*
 * consistentHash: ring hash unless maglev is given (ApplyRingHashLoadBalancer), the hash key
 * kept with the cluster, sizes 0 meaning Envoy's; a subset's own consistentHash replaces the
 * rule's balancer. retryBudget: the breaker's budget, Envoy's defaults for what is absent.
 */
static void test_istio_consistent_hash_and_retry_budget(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  host: reviews\n"
             "  trafficPolicy:\n"
             "    loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 2048}}\n"
             "    retryBudget: {percent: 25}\n"
             "  subsets:\n"
             "    - name: v1\n"
             "      labels: {version: v1}\n"
             "      trafficPolicy:\n"
             "        loadBalancer:\n"
             "          consistentHash: {httpCookie: {name: sid, path: /, ttl: 0s},\n"
             "                           maglev: {tableSize: 0}}\n"
             "        retryBudget: {percent: 50, minRetryConcurrency: 1}\n"
             "    - name: v2\n"
             "      labels: {version: v2}\n"
             "      trafficPolicy:\n"
             "        loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {}}}\n",
             &m, &c);
    const struct px_cluster_cfg *top = cluster(&c, "outbound|80||reviews");
    const struct px_cluster_cfg *v1 = cluster(&c, "outbound|80|v1|reviews");
    const struct px_cluster_cfg *v2 = cluster(&c, "outbound|80|v2|reviews");
    CU_ASSERT_EQUAL(top->lb.policy, PX_LB_RING_HASH);
    CU_ASSERT_EQUAL(top->lb.ring_size_min, 2048);
    CU_ASSERT_EQUAL(top->hash.key, PX_HASH_HEADER);
    ASSERT_STR(top->hash.name, "x-user");
    CU_ASSERT_EQUAL(top->breaker.budget, 1);
    ASSERT_ABS(top->breaker.budget_percent, 25.0, 1e-9);
    CU_ASSERT_EQUAL(top->breaker.min_retry_concurrency, 3);
    CU_ASSERT_EQUAL(v1->lb.policy, PX_LB_MAGLEV);
    CU_ASSERT_EQUAL(v1->lb.maglev_size, 65537);
    CU_ASSERT_EQUAL(v1->hash.key, PX_HASH_COOKIE);
    CU_ASSERT_EQUAL(v1->hash.has_ttl, 1);
    ASSERT_STR(v1->hash.path, "/");
    ASSERT_ABS(v1->breaker.budget_percent, 50.0, 1e-9);
    CU_ASSERT_EQUAL(v1->breaker.min_retry_concurrency, 1);
    CU_ASSERT_EQUAL(v2->lb.policy, PX_LB_RING_HASH);
    CU_ASSERT_EQUAL(v2->lb.ring_size_min, 1024);
    CU_ASSERT_EQUAL(v2->hash.key, PX_HASH_SOURCE_IP);
    ASSERT_ABS(v2->breaker.budget_percent, 25.0, 1e-9); /* the rule's budget */
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    char *e =
        add_err("apiVersion: networking.istio.io/v1\n"
                "kind: DestinationRule\n"
                "metadata: {name: d}\n"
                "spec:\n"
                "  host: ratings\n"
                "  trafficPolicy:\n"
                "    loadBalancer: {consistentHash: {httpHeaderName: a, useSourceIp: true}}\n");
    ASSERT_STR(e, "mesh.yaml:7:36: DestinationRule 'd': consistentHash needs exactly one of "
                  "httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName");
    free(e);
}

/*
 * localityLbSetting: read into the cluster (enabled by default, failover
 * only with outlier detection); mistakes located as istiod's validation
 * words them.
 */
static void test_istio_locality_lb_setting(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  host: reviews\n"
             "  trafficPolicy:\n"
             "    outlierDetection: {consecutive5xxErrors: 3}\n"
             "    loadBalancer:\n"
             "      localityLbSetting:\n"
             "        failover: [{from: us-east, to: us-west}]\n"
             "  subsets:\n"
             "    - name: v1\n"
             "      labels: {version: v1}\n"
             "      trafficPolicy:\n"
             "        loadBalancer:\n"
             "          localityLbSetting:\n"
             "            enabled: true\n"
             "            distribute:\n"
             "              - {from: us-east/*, to: {us-east/a/*: 80, us-east/b/*: 20}}\n"
             "    - name: v2\n"
             "      labels: {version: v2}\n"
             "      trafficPolicy: {loadBalancer: {simple: RANDOM}}\n",
             &m, &c);
    const struct px_cluster_cfg *top = cluster(&c, "outbound|80||reviews");
    const struct px_cluster_cfg *v1 = cluster(&c, "outbound|80|v1|reviews");
    const struct px_cluster_cfg *v2 = cluster(&c, "outbound|80|v2|reviews");
    CU_ASSERT_EQUAL(top->locality.enabled, 1);
    CU_ASSERT_EQUAL(top->locality.outlier, 1);
    CU_ASSERT_EQUAL_FATAL(top->locality.n_failover, 1);
    ASSERT_STR(top->locality.failover[0].to, "us-west");
    CU_ASSERT_EQUAL_FATAL(v1->locality.n_distribute, 1);
    CU_ASSERT_EQUAL_FATAL(v1->locality.distribute[0].n_to, 2);
    ASSERT_STR(v1->locality.distribute[0].to[1], "us-east/b/*");
    CU_ASSERT_EQUAL(v1->locality.distribute[0].weight[1], 20);
    /* v2's loadBalancer replaces the rule's, locality setting included: the mesh default */
    CU_ASSERT_EQUAL(v2->locality.n_failover, 0);
    CU_ASSERT_EQUAL(v2->locality.enabled, 1);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: DestinationRule\n"
               "metadata: {name: d}\n"
               "spec:\n"
               "  host: ratings\n"
               "  trafficPolicy:\n"
               "    loadBalancer: {localityLbSetting: {failover: [{from: eu, to: eu}]}}\n",
               "mesh.yaml:7:66: DestinationRule 'd': failover from 'eu' to itself: 'to' must be "
               "another region");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: DestinationRule\n"
               "metadata: {name: d}\n"
               "spec:\n"
               "  host: ratings\n"
               "  trafficPolicy:\n"
               "    loadBalancer: {localityLbSetting: {failoverPriority: [a, \"=b\"]}}\n",
               "mesh.yaml:7:62: DestinationRule 'd': failoverPriority label '=b' is not a label "
               "name");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: DestinationRule\n"
               "metadata: {name: d}\n"
               "spec:\n"
               "  host: ratings\n"
               "  trafficPolicy:\n"
               "    loadBalancer: {localityLbSetting: {failover: [{from: eu/*, to: us}]}}\n",
               "mesh.yaml:7:58: DestinationRule 'd': failover.from 'eu/*' is not a region");
}

/* ---- hosts, kinds, warnings ---- */

static void test_istio_qualified_hosts_name_the_service(void)
{
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok("apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews, namespace: default}\n"
             "spec:\n"
             "  hosts: [reviews.default.svc.cluster.local]\n"
             "  http:\n"
             "    - route:\n"
             "        - {destination: {host: reviews.default, subset: v2}}\n"
             "---\n"
             "apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews, namespace: shop}\n"
             "spec:\n"
             "  host: reviews.shop.svc\n"
             "  subsets: [{name: v2, labels: {version: v2}}]\n",
             &m, &c);
    ASSERT_STR(m.vs[0].hosts[0], "reviews");
    ASSERT_STR(m.vs[0].routes[0].dests[0].host, "reviews");
    ASSERT_STR(m.dr[0].host, "reviews");
    const struct px_vhost_cfg *v = vhost(&c, "reviews");
    CU_ASSERT_EQUAL_FATAL(v->n_domains, 4);
    ASSERT_STR(v->domains[0], "reviews");
    ASSERT_STR(v->domains[1], "reviews.default");
    ASSERT_STR(v->domains[2], "reviews.default.svc");
    ASSERT_STR(v->domains[3], "reviews.default.svc.cluster.local");
    ASSERT_STR(c.clusters[v->routes[0].dests[0].cluster].name, "outbound|80|v2|reviews");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_istio_kubernetes_lists_are_read_item_by_item(void)
{
    struct px_istio m;
    add_lenient(&m, "apiVersion: v1\n"
                    "kind: List\n"
                    "metadata: {resourceVersion: \"\"}\n"
                    "items:\n"
                    "  - apiVersion: networking.istio.io/v1\n"
                    "    kind: DestinationRule\n"
                    "    metadata: {name: ratings, namespace: default, uid: 7f1c}\n"
                    "    spec: {host: ratings}\n"
                    "  - apiVersion: extensions.istio.io/v1alpha1\n"
                    "    kind: WasmPlugin\n"
                    "    metadata: {name: default}\n"
                    "    spec: {}\n");
    CU_ASSERT_EQUAL(m.n_dr, 1);
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 1);
    ASSERT_STR(m.warnings[0], "mesh.yaml:10:11: WasmPlugin 'default' is not modeled: Wasm "
                              "filters are not modeled; left out (--lenient)");
    px_istio_free(&m);
}

static void test_istio_other_kinds_are_refused_or_unknown(void)
{
    ASSERT_ERR("apiVersion: networking.istio.io/v1alpha3\n"
               "kind: EnvoyFilter\n"
               "metadata: {name: patch}\n"
               "spec: {}\n",
               "mesh.yaml:2:7: EnvoyFilter 'patch' is not modeled: raw Envoy configuration "
               "patches are not modeled (--lenient leaves it out with a warning)");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualServices\n"
               "metadata: {name: r}\n"
               "spec: {hosts: [r]}\n",
               "mesh.yaml:2:7: unknown kind 'VirtualServices' (did you mean 'VirtualService'?)");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: Destinationrule\n"
               "metadata: {name: r}\n"
               "spec: {host: r}\n",
               "mesh.yaml:2:7: unknown kind 'Destinationrule' (did you mean 'DestinationRule'?)");
    /* a field not modeled: refused; lenient, a warning and the rest is read */
    static const char *const mirror = "apiVersion: networking.istio.io/v1\n"
                                      "kind: VirtualService\n"
                                      "metadata: {name: r}\n"
                                      "spec:\n"
                                      "  hosts: [reviews]\n"
                                      "  http:\n"
                                      "  - route: [{destination: {host: reviews}}]\n"
                                      "    delegate: {name: x}\n";
    ASSERT_ERR(mirror, "mesh.yaml:8:5: VirtualService 'r': delegate is not supported yet");
    struct px_istio m;
    add_lenient(&m, mirror);
    CU_ASSERT_EQUAL(m.n_vs, 1);
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 1);
    ASSERT_STR(m.warnings[0], "mesh.yaml:8:5: VirtualService 'r': delegate is not supported yet; "
                              "left out (--lenient)");
    px_istio_free(&m);
}

static void test_istio_other_kinds_become_warnings_when_lenient(void)
{
    struct px_istio m;
    add_lenient(&m, "apiVersion: networking.istio.io/v1\n"
                    "kind: WorkloadEntry\n"
                    "metadata: {name: vm-1}\n"
                    "spec: {address: 10.0.0.1}\n"
                    "---\n"
                    "apiVersion: networking.istio.io/v1alpha3\n"
                    "kind: EnvoyFilter\n"
                    "metadata: {name: patch}\n"
                    "spec: {}\n"
                    "---\n"
                    "apiVersion: networking.istio.io/v1\n"
                    "kind: VirtualService\n"
                    "metadata: {name: edge}\n"
                    "spec:\n"
                    "  hosts: [reviews]\n"
                    "  gateways: [bookinfo-gateway]\n"
                    "  http: [{route: [{destination: {host: reviews}}]}]\n"
                    "---\n"
                    "apiVersion: networking.istio.io/v1\n"
                    "kind: VirtualService\n"
                    "metadata: {name: db}\n"
                    "spec:\n"
                    "  hosts: [ratings]\n"
                    "  tcp: [{route: [{destination: {host: ratings}}]}]\n");
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 3);
    ASSERT_STR(m.warnings[0], "mesh.yaml:2:7: WorkloadEntry 'vm-1' is not modeled: "
                              "workloads outside Kubernetes are not modeled; left out "
                              "(--lenient)");
    ASSERT_STR(m.warnings[1], "mesh.yaml:7:7: EnvoyFilter 'patch' is not modeled: raw "
                              "Envoy configuration patches are not modeled; left out "
                              "(--lenient)");
    ASSERT_STR(m.warnings[2], "mesh.yaml:24:3: VirtualService 'db': tcp routes are not modeled "
                              "yet (the scenario's traffic is HTTP)");
    /* edge is kept for its gateway, but bound to no sidecar: reviews keeps its default route */
    CU_ASSERT_EQUAL_FATAL(m.n_vs, 2);
    ASSERT_STR(m.vs[0].name, "edge");
    CU_ASSERT_EQUAL(m.vs[0].mesh, 0);
    CU_ASSERT_EQUAL_FATAL(m.vs[0].n_gateways, 1);
    ASSERT_STR(m.vs[0].gateways[0], "default/bookinfo-gateway");
    /* db has no http route: ratings keeps its default route */
    struct px_proxy_cfg c;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_build_outbound(&m, "sidecar", mesh, 3, &c, &err), 0);
    ASSERT_STR(vhost(&c, "ratings")->routes[0].name, "default");
    ASSERT_STR(vhost(&c, "reviews")->routes[0].name, "default");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* ---- mistakes ---- */

static void test_istio_parse_errors_are_located(void)
{
    ASSERT_ERR("apiVersion: networking.istio.io/v2\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec: {hosts: [ratings]}\n",
               "mesh.yaml:1:13: apiVersion: unknown value 'networking.istio.io/v2' (did you "
               "mean 'networking.istio.io/v1'? one of networking.istio.io/v1alpha3, "
               "networking.istio.io/v1beta1, networking.istio.io/v1)");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - route: [{destination: {host: ratings}}]\n"
               "      retries: {attempts: 3, perTryTimout: 1s}\n",
               "mesh.yaml:8:30: unknown key 'perTryTimout' in retries (did you mean "
               "'perTryTimeout'?)");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - route: [{destination: {host: ratings}}]\n"
               "      timeout: 5 seconds\n",
               "mesh.yaml:8:16: timeout '5 seconds': unknown unit (use ns, us, ms, s, m or h, e.g. "
               "250ms)");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - route: [{destination: {host: ratings}}]\n"
               "      retries: {attempts: 2, retryOn: \"5xx,gateway-eror\"}\n",
               "mesh.yaml:8:39: retryOn: 'gateway-eror' is not a retry condition (e.g. 5xx, "
               "gateway-error, reset, connect-failure, 503)");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - match: [{headers: {x-user: {regex: \"(a)\\\\1\"}}}]\n"
               "      route: [{destination: {host: ratings}}]\n",
               "mesh.yaml:7:42: regex '(a)\\1': backreferences \\1..\\9 not supported by RE2, "
               "the regex engine Envoy uses");
}

static void test_istio_more_parse_errors(void)
{
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - timeout: 1s\n",
               "mesh.yaml:7:7: VirtualService 'r': an http route needs exactly one of 'route', "
               "'redirect', 'directResponse'");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - route: [{destination: {host: ratings}}]\n"
               "      redirect: {uri: /elsewhere}\n",
               "mesh.yaml:7:7: VirtualService 'r': an http route needs exactly one of 'route', "
               "'redirect', 'directResponse'");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec:\n"
               "  hosts: [ratings]\n"
               "  http:\n"
               "    - route: [{destination: {host: ratings}}]\n"
               "      fault: {}\n",
               "mesh.yaml:8:14: VirtualService 'r': HTTP fault injection must have an abort "
               "and/or a delay");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: DestinationRule\n"
               "metadata: {name: d}\n"
               "spec:\n"
               "  host: ratings\n"
               "  trafficPolicy:\n"
               "    outlierDetection: {consecutiveErrors: 5}\n",
               "mesh.yaml:7:24: DestinationRule 'd': consecutiveErrors is deprecated and ignored "
               "by istiod; use consecutive5xxErrors or consecutiveGatewayErrors");
    ASSERT_ERR("apiVersion: networking.istio.io/v1\n"
               "kind: DestinationRule\n"
               "metadata: {name: d}\n"
               "spec:\n"
               "  host: ratings\n"
               "  trafficPolicy:\n"
               "    connectionPool: {http: {http1MaxPendingRequest: 5}}\n",
               "mesh.yaml:7:29: unknown key 'http1MaxPendingRequest' in connectionPool.http (did "
               "you mean 'http1MaxPendingRequests'?)");
    ASSERT_ERR(
        "apiVersion: networking.istio.io/v1\n"
        "kind: DestinationRule\n"
        "metadata: {name: d}\n"
        "spec:\n"
        "  host: ratings\n"
        "  trafficPolicy:\n"
        "    loadBalancer: {consistentHash: {maglev: {tableSize: 65536}, useSourceIp: true}}\n",
        "mesh.yaml:7:57: DestinationRule 'd': maglev tableSize 65536 is not prime (Envoy "
        "requires it)");
    ASSERT_ERR("kind: VirtualService\n"
               "metadata: {name: r}\n"
               "spec: {hosts: [ratings]}\n",
               "mesh.yaml:1:1: VirtualService needs 'apiVersion'");
}

static void test_istio_build_errors_name_what_is_missing(void)
{
    char *e = build_err("apiVersion: networking.istio.io/v1\n"
                        "kind: VirtualService\n"
                        "metadata: {name: r}\n"
                        "spec:\n"
                        "  hosts: [ratings]\n"
                        "  http: [{route: [{destination: {host: ratingz}}]}]\n");
    ASSERT_STR(e, "VirtualService 'r': destination host 'ratingz' is not a service of the mesh");
    free(e);
    e = build_err("apiVersion: networking.istio.io/v1\n"
                  "kind: VirtualService\n"
                  "metadata: {name: r}\n"
                  "spec:\n"
                  "  hosts: [reviews]\n"
                  "  http: [{route: [{destination: {host: reviews, subset: v9}}]}]\n");
    ASSERT_STR(e, "VirtualService 'r': service 'reviews' has no subset 'v9' (no DestinationRule "
                  "defines it)");
    free(e);
    e = build_err("apiVersion: networking.istio.io/v1\n"
                  "kind: VirtualService\n"
                  "metadata: {name: r}\n"
                  "spec:\n"
                  "  hosts: [reviews.example.com]\n"
                  "  http: [{route: [{destination: {host: reviews}}]}]\n");
    ASSERT_STR(e, "VirtualService 'r': host 'reviews.example.com' is not a service of the mesh");
    free(e);
    e = build_err("apiVersion: networking.istio.io/v1\n"
                  "kind: DestinationRule\n"
                  "metadata: {name: d}\n"
                  "spec: {host: details}\n");
    ASSERT_STR(e, "DestinationRule 'd': host 'details' is not a service of the mesh");
    free(e);
    e = build_err("apiVersion: networking.istio.io/v1\n"
                  "kind: VirtualService\n"
                  "metadata: {name: a}\n"
                  "spec: {hosts: [ratings], http: [{route: [{destination: {host: ratings}}]}]}\n"
                  "---\n"
                  "apiVersion: networking.istio.io/v1\n"
                  "kind: VirtualService\n"
                  "metadata: {name: b}\n"
                  "spec: {hosts: [ratings], http: [{route: [{destination: {host: ratings}}]}]}\n");
    ASSERT_STR(e, "VirtualServices 'a' and 'b' both route host 'ratings' (istiod would use only "
                  "the oldest): merge them");
    free(e);
}

static void test_istio_weights_and_zero_weight_destinations(void)
{
    char text[2048];
    snprintf(text, sizeof text,
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http:\n"
             "    - route:\n"
             "        - {destination: {host: reviews, subset: v1}, weight: 2}\n"
             "        - {destination: {host: reviews, subset: v2}, weight: 0}\n"
             "        - {destination: {host: reviews, subset: v3}, weight: 1}\n"
             "---\n%s",
             subsets_dr);
    struct px_istio m;
    struct px_proxy_cfg c;
    build_ok(text, &m, &c);
    const struct px_route_cfg *r = &vhost(&c, "reviews")->routes[0];
    CU_ASSERT_EQUAL_FATAL(r->n_dests, 2); /* weight 0 gets nothing */
    CU_ASSERT_EQUAL(r->dests[0].weight, 2);
    CU_ASSERT_EQUAL(r->dests[1].weight, 1);
    CU_ASSERT_EQUAL(r->total_weight, 3);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

void suite_istio(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/istio", mesh_setup, mesh_teardown);
    TEST_ADD(test_istio_canary_95_5);
    TEST_ADD(test_istio_header_regex_ab_test);
    TEST_ADD(test_istio_match_list_means_any_and_order_is_kept);
    TEST_ADD(test_istio_default_route_for_services_without_virtualservice);
    TEST_ADD(test_istio_default_retry_policy_is_istios);
    TEST_ADD(test_istio_retries_and_timeouts);
    TEST_ADD(test_istio_fault_switches_off_retries_and_timeout);
    TEST_ADD(test_istio_clusters_carry_istio_defaults);
    TEST_ADD(test_istio_connection_pool_and_outlier_mapping);
    TEST_ADD(test_istio_outlier_defaults_and_zeroes);
    TEST_ADD(test_istio_subset_policy_replaces_parts);
    TEST_ADD(test_istio_consistent_hash_and_retry_budget);
    TEST_ADD(test_istio_locality_lb_setting);
    TEST_ADD(test_istio_qualified_hosts_name_the_service);
    TEST_ADD(test_istio_other_kinds_are_refused_or_unknown);
    TEST_ADD(test_istio_other_kinds_become_warnings_when_lenient);
    TEST_ADD(test_istio_kubernetes_lists_are_read_item_by_item);
    TEST_ADD(test_istio_parse_errors_are_located);
    TEST_ADD(test_istio_more_parse_errors);
    TEST_ADD(test_istio_build_errors_name_what_is_missing);
    TEST_ADD(test_istio_weights_and_zero_weight_destinations);
}
