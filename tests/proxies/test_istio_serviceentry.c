/*
 * test_istio_serviceentry.c - proxies/istio_serviceentry.c and its effect
 * on the sidecars: an external service named by a ServiceEntry gets the
 * cluster outbound|PORT||HOST, with its DestinationRule and VirtualService
 * applied; without one, the Sidecar's outboundTrafficPolicy decides
 * (PassthroughCluster or 502); located refusals and resolve's warnings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/istio.h"
#include "proxies/resolve.h"
#include "tests/proxies/istiotest.h"

void suite_istio_serviceentry(void);

static char *add_err(const char *text)
{
    return it_add_err("se.yaml", text);
}

static void add_ok(struct px_istio *m, const char *text)
{
    it_add_ok(m, "se.yaml", text);
}

static struct px_endpoint_cfg eps[3];
static struct px_mesh_service mesh[3];

/* shop (in the mesh), api.pay.example.com (external, 2 endpoints) */
static int setup(void)
{
    static const char *const names[] = {"shop-0", "api.pay.example.com-0", "api.pay.example.com-1"};
    for (int i = 0; i < 3; i++) {
        memset(&eps[i], 0, sizeof eps[i]);
        eps[i].name = fl_strdup(names[i]);
        eps[i].addr = (uint64_t)i + 1;
        eps[i].weight = 1;
        eps[i].labels = fl_calloc(1, sizeof *eps[i].labels);
    }
    mesh[0] = (struct px_mesh_service){"shop", &eps[0], 1, 0};
    mesh[1] = (struct px_mesh_service){"api.pay.example.com", &eps[1], 2, 1};
    return 0;
}

static int teardown(void)
{
    for (int i = 0; i < 3; i++) px_endpoint_cfg_free(&eps[i]);
    return 0;
}

static const char *const entry = "apiVersion: networking.istio.io/v1\n"
                                 "kind: ServiceEntry\n"
                                 "metadata: {name: pay}\n"
                                 "spec:\n"
                                 "  hosts: [\"*.pay.example.com\"]\n"
                                 "  location: MESH_EXTERNAL\n"
                                 "  ports: [{number: 8080, name: http, protocol: HTTP}]\n"
                                 "  resolution: DNS\n"
                                 "  endpoints: [{address: 203.0.113.7}]\n";

static const char *const rules = "---\n"
                                 "apiVersion: networking.istio.io/v1\n"
                                 "kind: DestinationRule\n"
                                 "metadata: {name: pay}\n"
                                 "spec:\n"
                                 "  host: api.pay.example.com\n"
                                 "  trafficPolicy:\n"
                                 "    outlierDetection: {consecutive5xxErrors: 3, interval: 1s}\n"
                                 "---\n"
                                 "apiVersion: networking.istio.io/v1\n"
                                 "kind: VirtualService\n"
                                 "metadata: {name: pay}\n"
                                 "spec:\n"
                                 "  hosts: [api.pay.example.com]\n"
                                 "  http: [{name: pay, timeout: 2s, route: [{destination: {host: "
                                 "api.pay.example.com}}]}]\n";

static const struct px_vhost_cfg *vhost(const struct px_proxy_cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_vhosts; i++)
        if (!strcmp(c->vhosts[i].name, name)) return &c->vhosts[i];
    return NULL;
}

static void test_se_is_read(void)
{
    struct px_istio m;
    add_ok(&m, entry);
    CU_ASSERT_EQUAL_FATAL(m.n_ses, 1);
    ASSERT_STR(m.ses[0].hosts[0], "*.pay.example.com");
    CU_ASSERT_EQUAL(m.ses[0].port, 8080);
    CU_ASSERT_EQUAL(m.ses[0].resolution, 2);
    CU_ASSERT_EQUAL(m.ses[0].mesh_internal, 0);
    CU_ASSERT_PTR_EQUAL(px_istio_se_for(&m, "api.pay.example.com"), &m.ses[0]);
    CU_ASSERT_PTR_NULL(px_istio_se_for(&m, "pay.example.com"));
    px_istio_free(&m);
}

/* The cluster is named as istiod names it, and the DestinationRule and VirtualService apply. */
static void test_se_cluster_and_rules(void)
{
    struct px_istio m;
    char *text = fl_asprintf("%s%s", entry, rules);
    add_ok(&m, text);
    free(text);
    struct px_proxy_cfg c;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_resolve(&m, mesh, 2, &err), 0);
    CU_ASSERT_EQUAL(m.n_warnings, 0);
    CU_ASSERT_EQUAL_FATAL(px_istio_build_outbound(&m, "sidecar", mesh, 2, &c, &err), 0);
    CU_ASSERT_EQUAL_FATAL(c.n_clusters, 2);
    ASSERT_STR(c.clusters[1].name, "outbound|8080||api.pay.example.com");
    CU_ASSERT_EQUAL(c.clusters[1].n_endpoints, 2);
    CU_ASSERT_TRUE(c.clusters[1].has_outlier);
    CU_ASSERT_EQUAL(c.clusters[1].outlier.consecutive_5xx, 3);
    const struct px_vhost_cfg *vh = vhost(&c, "api.pay.example.com");
    CU_ASSERT_PTR_NOT_NULL_FATAL(vh);
    CU_ASSERT_EQUAL(vh->n_domains, 1); /* its own name, not name.default.svc... */
    ASSERT_STR(vh->routes[0].name, "pay");
    CU_ASSERT_EQUAL(vh->routes[0].timeout_ns, 2 * INT64_C(1000000000));
    CU_ASSERT_EQUAL(vh->routes[0].dests[0].cluster, 1);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* Without a ServiceEntry: ALLOW_ANY passes through, REGISTRY_ONLY answers 502. */
static void test_se_absent_follows_outbound_policy(void)
{
    struct px_istio m;
    add_ok(&m, "apiVersion: networking.istio.io/v1\n"
               "kind: Sidecar\n"
               "metadata: {name: default}\n"
               "spec:\n"
               "  egress: [{hosts: [\"./*\"]}]\n"
               "  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n");
    struct px_proxy_cfg c;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_build_outbound(&m, "sidecar", mesh, 2, &c, &err), 0);
    CU_ASSERT_EQUAL(c.n_clusters, 2); /* shop's and the passthrough: no outbound|... */
    const struct px_vhost_cfg *vh = vhost(&c, "api.pay.example.com");
    CU_ASSERT_PTR_NOT_NULL_FATAL(vh);
    ASSERT_STR(vh->routes[0].name, "allow_any"); /* no Sidecar applies to px_istio_build_outbound */
    ASSERT_STR(c.clusters[vh->routes[0].dests[0].cluster].name,
               "PassthroughCluster|api.pay.example.com");
    CU_ASSERT_FALSE(vh->routes[0].has_retry);
    px_proxy_cfg_free(&c);
    CU_ASSERT_EQUAL_FATAL(
        px_istio_build_outbound_for(&m, "sidecar", mesh, 2, &m.sidecars[0], &c, &err), 0);
    vh = vhost(&c, "api.pay.example.com");
    ASSERT_STR(vh->routes[0].name, "block_all");
    CU_ASSERT_EQUAL(vh->routes[0].direct_status, 502);
    ASSERT_STR(vhost(&c, "shop")->routes[0].name, "default");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_se_mistakes_and_warnings(void)
{
    char *e = add_err("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
                      "metadata: {name: s}\nspec:\n  hosts: [api.example.com]\n"
                      "  ports: [{number: 443, protocol: HTTPS}]\n");
    ASSERT_STR(e, "se.yaml:6:35: ServiceEntry 's': port 443 protocol HTTPS is not modeled (the "
                  "sidecar would proxy it as TCP, so no http route, retry or outlier detection on "
                  "5xx applies; use HTTP with TLS origination by a DestinationRule) (--lenient "
                  "leaves it out with a warning)");
    free(e);
    e = add_err("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
                "metadata: {name: s}\nspec:\n  hosts: [api.example.com]\n"
                "  ports: [{number: 80}]\n  resolution: DNSX\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "se.yaml:7:15: "));
    free(e);
    e = add_err("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
                "metadata: {name: s}\nspec:\n  hosts: [api.example.com]\n"
                "  ports: [{number: 80}]\n  endpoints: [{adress: 1.2.3.4}]\n");
    ASSERT_STR(e, "se.yaml:7:16: unknown key 'adress' in endpoint (did you mean 'address'?)");
    free(e);
    /* hosts naming nothing external: warnings, as for other rules */
    struct px_istio m;
    add_ok(&m, "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
               "metadata: {name: s}\nspec:\n  hosts: [api.example.org, shop]\n"
               "  ports: [{number: 80}]\n");
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_resolve(&m, mesh, 2, &err), 0);
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 2);
    ASSERT_STR(m.warnings[0], "se.yaml:5:11: ServiceEntry 's': host 'api.example.org' is not an "
                              "external service of the scenario: not applied to it");
    ASSERT_STR(m.warnings[1], "se.yaml:5:28: ServiceEntry 's': host 'shop' is a service of the "
                              "mesh, not an external one (external: true): not applied to it");
    px_istio_free(&m);
}

void suite_istio_serviceentry(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/istio_serviceentry", setup, teardown);
    TEST_ADD(test_se_is_read);
    TEST_ADD(test_se_cluster_and_rules);
    TEST_ADD(test_se_absent_follows_outbound_policy);
    TEST_ADD(test_se_mistakes_and_warnings);
}
