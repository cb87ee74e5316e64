/*
 * test_istio_sidecar.c - proxies/istio_sidecar.c and its effect on the
 * built outbound configuration: egress hosts in every form the proto
 * allows, which Sidecar applies to a workload (selector, then the
 * namespace's default, then the root namespace's), and what a hidden
 * service gets: PassthroughCluster with ALLOW_ANY, a 502 with REGISTRY_ONLY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/istio.h"
#include "proxies/resolve.h"
#include "tests/proxies/istiotest.h"

void suite_istio_sidecar(void);

static char *add_err(const char *text)
{
    return it_add_err("sc.yaml", text);
}

static void add_ok(struct px_istio *m, const char *text)
{
    it_add_ok(m, "sc.yaml", text);
}

static const char *sidecar(const char *name, const char *ns, const char *selector,
                           const char *hosts, const char *mode, char *buf, size_t size)
{
    snprintf(buf, size,
             "apiVersion: networking.istio.io/v1\n"
             "kind: Sidecar\n"
             "metadata: {name: %s, namespace: %s}\n"
             "spec:\n"
             "  %s\n"
             "  egress: [{hosts: %s}]\n"
             "  outboundTrafficPolicy: {mode: %s}\n",
             name, ns, selector, hosts, mode);
    return buf;
}

static void test_sidecar_egress_hosts_in_every_form(void)
{
    static const struct {
        const char *hosts;
        int reviews, ratings;
    } cases[] = {
        {"[\"./*\"]", 1, 1},
        {"[\"*/*\"]", 1, 1},
        {"[\"./reviews\"]", 1, 0},
        {"[\"*/reviews.default.svc.cluster.local\"]", 1, 0},
        {"[\"default/ratings.default\"]", 0, 1},
        {"[\"./*.default.svc.cluster.local\"]", 1, 1},
        {"[\"./*.svc.cluster.local\"]", 1, 1},
        {"[\"./*.other.svc.cluster.local\"]", 0, 0},
        {"[\"istio-system/*\"]", 0, 0},
        {"[\"~/*\"]", 0, 0},
        {"[\"prod/reviews\"]", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[512];
        struct px_istio m;
        add_ok(&m, sidecar("default", "default", "", cases[i].hosts, "ALLOW_ANY", buf, sizeof buf));
        CU_ASSERT_EQUAL_FATAL(m.n_sidecars, 1);
        if (px_istio_sidecar_sees(&m.sidecars[0], "reviews") != cases[i].reviews ||
            px_istio_sidecar_sees(&m.sidecars[0], "ratings") != cases[i].ratings) {
            fprintf(stderr, "\n  egress %s: reviews %d ratings %d\n", cases[i].hosts,
                    px_istio_sidecar_sees(&m.sidecars[0], "reviews"),
                    px_istio_sidecar_sees(&m.sidecars[0], "ratings"));
            CU_FAIL("egress hosts");
        }
        px_istio_free(&m);
    }
    CU_ASSERT_EQUAL(px_istio_sidecar_sees(NULL, "reviews"), 1); /* no Sidecar: everything */
    /* a Sidecar without egress (only a policy): every service, as sidecar.proto documents */
    struct px_istio m;
    add_ok(&m, "apiVersion: networking.istio.io/v1\n"
               "kind: Sidecar\n"
               "metadata: {name: default, namespace: default}\n"
               "spec:\n"
               "  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n");
    CU_ASSERT_EQUAL_FATAL(m.n_sidecars, 1);
    CU_ASSERT_EQUAL(px_istio_sidecar_sees(&m.sidecars[0], "reviews"), 1);
    CU_ASSERT_EQUAL(px_istio_sidecar_sees(&m.sidecars[0], "ratings"), 1);
    px_istio_free(&m);
}

static void test_sidecar_selector_then_namespace_then_root(void)
{
    char a[512], b[512], c[512], all[1600];
    snprintf(all, sizeof all, "%s---\n%s---\n%s",
             sidecar("root", "istio-system", "", "[\"./*\"]", "ALLOW_ANY", a, sizeof a),
             sidecar("reviews-only", "default", "workloadSelector: {labels: {app: reviews}}",
                     "[\"./ratings\"]", "REGISTRY_ONLY", b, sizeof b),
             sidecar("default", "default", "", "[\"./reviews\"]", "ALLOW_ANY", c, sizeof c));
    struct px_istio m;
    add_ok(&m, all);
    CU_ASSERT_EQUAL_FATAL(m.n_sidecars, 3);
    struct px_label reviews[] = {{"app", "reviews"}, {"version", "v1"}};
    struct px_label page[] = {{"app", "productpage"}};
    const struct px_istio_sidecar *s = px_istio_sidecar_for(&m, reviews, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ASSERT_STR(s->name, "reviews-only");
    CU_ASSERT_EQUAL(s->registry_only, 1);
    s = px_istio_sidecar_for(&m, page, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ASSERT_STR(s->name, "default");
    CU_ASSERT_EQUAL(s->registry_only, 0);
    px_istio_free(&m);
    /* without the namespace's default, the root namespace's applies */
    add_ok(&m, a);
    s = px_istio_sidecar_for(&m, page, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ASSERT_STR(s->name, "root");
    px_istio_free(&m);
    /* none at all: NULL, every service reachable */
    memset(&m, 0, sizeof m);
    CU_ASSERT_PTR_NULL(px_istio_sidecar_for(&m, page, 1));
}

static void test_sidecar_mistakes_and_refusals_are_located(void)
{
    char buf[512];
    char *e = add_err(sidecar("s", "default", "", "[reviews]", "ALLOW_ANY", buf, sizeof buf));
    ASSERT_STR(e, "sc.yaml:6:21: Sidecar 's': egress host 'reviews' must be namespace/dnsName "
                  "(e.g. \"./*\", \"istio-system/*\", \"default/reviews\")");
    free(e);
    e = add_err(sidecar("s", "default", "", "[\"./*\"]", "REGISTRY_ONLLY", buf, sizeof buf));
    ASSERT_STR(e, "sc.yaml:7:33: outboundTrafficPolicy.mode: unknown value 'REGISTRY_ONLLY' (did "
                  "you mean 'REGISTRY_ONLY'? one of ALLOW_ANY, REGISTRY_ONLY)");
    free(e);
    e = add_err("apiVersion: networking.istio.io/v1\n"
                "kind: Sidecar\n"
                "metadata: {name: s}\n"
                "spec:\n"
                "  ingress: [{port: {number: 9080, protocol: HTTP}, defaultEndpoint: "
                "127.0.0.1:8080}]\n");
    ASSERT_STR(e, "sc.yaml:5:3: Sidecar 's': ingress is not supported yet");
    free(e);
}

/* ---- building ---- */

static struct px_endpoint_cfg eps[2];
static struct px_mesh_service svc[2];

static int setup(void)
{
    for (int i = 0; i < 2; i++) {
        memset(&eps[i], 0, sizeof eps[i]);
        eps[i].name = fl_strdup(i ? "ratings-0" : "reviews-0");
        eps[i].addr = (uint64_t)i + 1;
        eps[i].weight = 1;
    }
    svc[0] = (struct px_mesh_service){"reviews", &eps[0], 1};
    svc[1] = (struct px_mesh_service){"ratings", &eps[1], 1};
    return 0;
}

static int teardown(void)
{
    for (int i = 0; i < 2; i++) px_endpoint_cfg_free(&eps[i]);
    return 0;
}

static const struct px_route_cfg *route_of(const struct px_proxy_cfg *c, const char *vhost)
{
    for (size_t i = 0; i < c->n_vhosts; i++)
        if (!strcmp(c->vhosts[i].name, vhost) && c->vhosts[i].n_routes == 1)
            return &c->vhosts[i].routes[0];
    return NULL;
}

static void test_sidecar_hidden_services_pass_through_or_get_502(void)
{
    char buf[512];
    struct px_istio m;
    struct px_proxy_cfg c;
    char *err = NULL;
    add_ok(&m, sidecar("s", "default", "", "[\"./reviews\"]", "ALLOW_ANY", buf, sizeof buf));
    CU_ASSERT_EQUAL_FATAL(px_istio_build_outbound_for(&m, "x", svc, 2, &m.sidecars[0], &c, &err),
                          0);
    const struct px_route_cfg *r = route_of(&c, "reviews");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    ASSERT_STR(r->name, "default"); /* visible: istiod's default route, default retries */
    CU_ASSERT_EQUAL(r->has_retry, 1);
    r = route_of(&c, "ratings");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    ASSERT_STR(r->name, "allow_any");
    CU_ASSERT_EQUAL(r->has_retry, 0);
    CU_ASSERT_EQUAL(r->direct_status, 0);
    CU_ASSERT_EQUAL_FATAL(r->n_dests, 1);
    ASSERT_STR(c.clusters[r->dests[0].cluster].name, "PassthroughCluster|ratings");
    CU_ASSERT_EQUAL(c.clusters[r->dests[0].cluster].n_endpoints, 1);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);

    add_ok(&m, sidecar("s", "default", "", "[\"./reviews\"]", "REGISTRY_ONLY", buf, sizeof buf));
    CU_ASSERT_EQUAL_FATAL(px_istio_build_outbound_for(&m, "x", svc, 2, &m.sidecars[0], &c, &err),
                          0);
    r = route_of(&c, "ratings");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    ASSERT_STR(r->name, "block_all");
    CU_ASSERT_EQUAL(r->direct_status, 502);
    CU_ASSERT_EQUAL(r->n_dests, 0);
    CU_ASSERT_EQUAL(c.n_clusters, 2); /* no passthrough cluster */
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

void suite_istio_sidecar(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/istio_sidecar", setup, teardown);
    TEST_ADD(test_sidecar_egress_hosts_in_every_form);
    TEST_ADD(test_sidecar_selector_then_namespace_then_root);
    TEST_ADD(test_sidecar_mistakes_and_refusals_are_located);
    TEST_ADD(test_sidecar_hidden_services_pass_through_or_get_502);
}
