/*
 * test_istio_gateway.c - proxies/istio_gateway.c and istio_ingress.c: the
 * Gateway resource read (servers, hosts, TLS refused where it would route),
 * Istio's host matching, which VirtualServices apply at the ingress gateway
 * and which at sidecars, and the ingress configuration's virtual hosts
 * (most specific first; no domain for a host no server serves: 404 NR).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/istio.h"
#include "proxies/resolve.h"
#include "tests/proxies/istiotest.h"

void suite_istio_gateway(void);

static char *add(struct px_istio *m, const char *text)
{
    return it_add(m, "gw.yaml", text);
}

static char *add_err(const char *text)
{
    return it_add_err("gw.yaml", text);
}

static void add_ok(struct px_istio *m, const char *text)
{
    it_add_ok(m, "gw.yaml", text);
}

static struct px_endpoint_cfg eps[2];
static struct px_mesh_service mesh[2];

static int setup(void)
{
    static const char *const names[] = {"web", "cart"};
    for (int i = 0; i < 2; i++) {
        memset(&eps[i], 0, sizeof eps[i]);
        eps[i].name = fl_asprintf("%s-0", names[i]);
        eps[i].addr = (uint64_t)i + 1;
        eps[i].weight = 1;
        eps[i].labels = fl_calloc(1, sizeof *eps[i].labels);
        mesh[i] = (struct px_mesh_service){names[i], &eps[i], 1};
    }
    return 0;
}

static int teardown(void)
{
    for (int i = 0; i < 2; i++) px_endpoint_cfg_free(&eps[i]);
    return 0;
}

static const char *const gateway = "apiVersion: networking.istio.io/v1beta1\n"
                                   "kind: Gateway\n"
                                   "metadata: {name: shop-gw}\n"
                                   "spec:\n"
                                   "  selector: {istio: ingressgateway}\n"
                                   "  servers:\n"
                                   "    - port: {number: 80, name: http, protocol: HTTP}\n"
                                   "      hosts: [shop.example.com, \"*.api.example.com\"]\n"
                                   "    - port: {number: 443, name: https, protocol: HTTPS}\n"
                                   "      hosts: [\"./shop.example.com\"]\n"
                                   "      tls: {mode: SIMPLE, credentialName: shop-cert}\n";

static char *vs(const char *name, const char *hosts, const char *gateways, const char *dest)
{
    return fl_asprintf("---\n"
                       "apiVersion: networking.istio.io/v1\n"
                       "kind: VirtualService\n"
                       "metadata: {name: %s}\n"
                       "spec:\n"
                       "  hosts: %s\n"
                       "%s%s%s"
                       "  http: [{name: %s, route: [{destination: {host: %s}}]}]\n",
                       name, hosts, gateways ? "  gateways: " : "", gateways ? gateways : "",
                       gateways ? "\n" : "", name, dest);
}

/* gateway followed by the VirtualServices, read into m. */
static void mesh_of(struct px_istio *m, char *a, char *b, char *c)
{
    char *text = fl_asprintf("%s%s%s%s", gateway, a, b ? b : "", c ? c : "");
    add_ok(m, text);
    free(text);
    free(a);
    free(b);
    free(c);
}

static void test_gateway_host_matching(void)
{
    CU_ASSERT_TRUE(px_istio_host_matches("*", "shop.example.com"));
    CU_ASSERT_TRUE(px_istio_host_matches("*", "*.example.com"));
    CU_ASSERT_TRUE(px_istio_host_matches("shop.example.com", "SHOP.Example.com"));
    CU_ASSERT_FALSE(px_istio_host_matches("shop.example.com", "shop.example.org"));
    CU_ASSERT_FALSE(px_istio_host_matches("shop.example.com", "*"));
    CU_ASSERT_TRUE(px_istio_host_matches("*.example.com", "shop.example.com"));
    CU_ASSERT_TRUE(px_istio_host_matches("*.example.com", "v1.api.example.com"));
    CU_ASSERT_TRUE(px_istio_host_matches("*.example.com", "*.api.example.com"));
    CU_ASSERT_FALSE(px_istio_host_matches("*.example.com", "example.com"));
    CU_ASSERT_FALSE(px_istio_host_matches("*.example.com", "shop.example.comx"));
    CU_ASSERT_FALSE(px_istio_host_matches("*.api.example.com", "*.example.com"));
    CU_ASSERT_FALSE(px_istio_host_matches("*.example.com", "*"));
}

static void test_gateway_is_read(void)
{
    struct px_istio m;
    add_ok(&m, gateway);
    CU_ASSERT_EQUAL_FATAL(m.n_gateways, 1);
    const struct px_istio_gateway *g = &m.gateways[0];
    ASSERT_STR(g->name, "shop-gw");
    ASSERT_STR(g->ns, "default");
    ASSERT_STR(g->at, "gw.yaml:1:1");
    CU_ASSERT_EQUAL_FATAL(g->n_selector, 1);
    ASSERT_STR(g->selector[0].value, "ingressgateway");
    CU_ASSERT_EQUAL_FATAL(g->n_servers, 2);
    CU_ASSERT_EQUAL(g->servers[0].port, 80);
    ASSERT_STR(g->servers[1].protocol, "HTTPS");
    CU_ASSERT_EQUAL_FATAL(g->servers[0].n_hosts, 2);
    ASSERT_STR(g->servers[0].hosts[1], "*.api.example.com");
    ASSERT_STR(g->servers[1].hosts[0], "shop.example.com"); /* "./" left out */
    px_istio_free(&m);
}

/* Most specific domain first; a VirtualService host no server serves gets no virtual host. */
static void test_gateway_ingress_virtual_hosts(void)
{
    struct px_istio m;
    mesh_of(&m, vs("any", "[\"*\"]", "[shop-gw]", "cart"),
            vs("shop", "[shop.example.com, other.example.org]", "[default/shop-gw]", "web"),
            vs("internal", "[web]", NULL, "cart"));
    struct px_proxy_cfg c;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_build_ingress(&m, "istio-ingressgateway", mesh, 2, &c, &err), 0);
    CU_ASSERT_EQUAL(c.kind, PX_PROXY_GATEWAY);
    /* any ("*") takes shop.example.com first (the narrower name), then *.api.example.com */
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 2);
    ASSERT_STR(c.vhosts[0].domains[0], "shop.example.com");
    ASSERT_STR(c.vhosts[0].name, "shop.example.com:any");
    ASSERT_STR(c.vhosts[1].domains[0], "*.api.example.com");
    CU_ASSERT_EQUAL(c.vhosts[1].n_domains, 1);
    /* clusters are the mesh's; internal (no gateways) is not here */
    CU_ASSERT_EQUAL(c.n_clusters, 2);
    ASSERT_STR(c.clusters[0].name, "outbound|80||web");
    ASSERT_STR(c.clusters[0].endpoints[0].name, "web-0");
    for (size_t i = 0; i < c.n_vhosts; i++) CU_ASSERT_STRING_NOT_EQUAL(c.vhosts[i].name, "web");
    /* the default retry policy applies at gateways too */
    CU_ASSERT_TRUE(c.vhosts[1].routes[0].has_retry);
    CU_ASSERT_EQUAL(c.vhosts[1].routes[0].retry.num_retries, 2);
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

static void test_gateway_exact_before_wildcard(void)
{
    struct px_istio m;
    mesh_of(&m, vs("wild", "[\"*.api.example.com\"]", "[shop-gw]", "cart"),
            vs("v1", "[v1.api.example.com]", "[shop-gw]", "web"), NULL);
    struct px_proxy_cfg c;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_build_ingress(&m, "ingress", mesh, 2, &c, &err), 0);
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 2);
    ASSERT_STR(c.vhosts[0].domains[0], "v1.api.example.com");
    ASSERT_STR(c.vhosts[1].domains[0], "*.api.example.com");
    px_proxy_cfg_free(&c);
    px_istio_free(&m);
}

/* A VirtualService only for a gateway does not reach sidecars; with "mesh" it reaches both. */
static void test_gateway_binding_semantics(void)
{
    struct px_istio m;
    mesh_of(&m, vs("edge", "[cart]", "[shop-gw]", "web"),
            vs("both", "[web, shop.example.com]", "[mesh, shop-gw]", "cart"),
            vs("elsewhere", "[shop.example.com]", "[other/shop-gw]", "web"));
    struct px_proxy_cfg c, g;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_build_outbound(&m, "sidecar", mesh, 2, &c, &err), 0);
    CU_ASSERT_EQUAL_FATAL(c.n_vhosts, 2);
    ASSERT_STR(c.vhosts[1].name, "cart");
    ASSERT_STR(c.vhosts[1].routes[0].name, "default"); /* edge: gateway only */
    ASSERT_STR(c.vhosts[0].routes[0].name, "both");    /* both: mesh too */
    CU_ASSERT_EQUAL(c.vhosts[0].routes[0].dests[0].cluster, 1);
    CU_ASSERT_EQUAL_FATAL(px_istio_build_ingress(&m, "ingress", mesh, 2, &g, &err), 0);
    /* edge's host cart matches no server: nothing; both serves shop.example.com; elsewhere
     * names a Gateway of namespace other */
    CU_ASSERT_EQUAL_FATAL(g.n_vhosts, 1);
    ASSERT_STR(g.vhosts[0].name, "shop.example.com:both");
    px_proxy_cfg_free(&c);
    px_proxy_cfg_free(&g);
    /* resolving: a binding to a Gateway that does not exist is a warning */
    CU_ASSERT_EQUAL_FATAL(px_istio_resolve(&m, mesh, 2, &err), 0);
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 1);
    ASSERT_STR(m.warnings[0], "gw.yaml:29:1: VirtualService 'elsewhere': gateway 'other/shop-gw' "
                              "is not a Gateway of the mesh (did you mean 'shop-gw'?): not "
                              "applied");
    px_istio_free(&m);
}

static void test_gateway_mistakes_are_located(void)
{
    char *e;
    e = add_err("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                "spec:\n  servers:\n    - port: {number: 443, protocol: HTTPS}\n"
                "      hosts: [\"*\"]\n      tls: {mode: PASSTHROUGH}\n");
    ASSERT_STR(e, "gw.yaml:8:13: Gateway 'g': tls.mode PASSTHROUGH / AUTO_PASSTHROUGH (SNI "
                  "routing of TLS the gateway does not terminate) is not supported yet");
    free(e);
    e = add_err("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                "spec:\n  servers:\n    - port: {number: 5432, protocol: TCP}\n"
                "      hosts: [\"*\"]\n");
    ASSERT_STR(e, "gw.yaml:6:38: Gateway 'g': protocol TCP is not modeled (the scenario's traffic "
                  "is HTTP: use HTTP, HTTP2 or HTTPS) (--lenient leaves it out with a warning)");
    free(e);
    e = add_err("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                "spec:\n  servers:\n    - port: {number: 80, protocol: HTTP}\n"
                "      host: [\"*\"]\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "gw.yaml:7:7: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "host"));
    free(e);
    e = add_err("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                "spec:\n  servers:\n    - port: {number: 80, protocol: HTTP}\n"
                "      hosts: []\n");
    ASSERT_STR(e, "gw.yaml:7:14: Gateway 'g': a server needs at least one host");
    free(e);
}

/* Two VirtualServices for one host at one Gateway: refused, located; --lenient drops a TCP server.
 */
static void test_gateway_conflicts_and_lenient(void)
{
    struct px_istio m;
    mesh_of(&m, vs("a", "[shop.example.com]", "[shop-gw]", "web"),
            vs("b", "[shop.example.com]", "[shop-gw]", "cart"), NULL);
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_resolve(&m, mesh, 2, &err), -1);
    ASSERT_STR(err, "gw.yaml:25:11: VirtualService 'b': host 'shop.example.com' is already routed "
                    "at the same Gateway by VirtualService 'a' (gw.yaml:13:1); istiod would merge "
                    "them by age: merge them");
    free(err);
    px_istio_free(&m);
    memset(&m, 0, sizeof m);
    m.lenient = 1;
    err = add(&m, "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                  "spec:\n  servers:\n    - port: {number: 5432, protocol: TCP}\n"
                  "      hosts: [\"*\"]\n    - port: {number: 80, protocol: http}\n"
                  "      hosts: [\"*\"]\n");
    CU_ASSERT_PTR_NULL_FATAL(err);
    CU_ASSERT_EQUAL_FATAL(m.n_gateways, 1);
    CU_ASSERT_EQUAL_FATAL(m.gateways[0].n_servers, 1);
    CU_ASSERT_EQUAL(m.gateways[0].servers[0].port, 80);
    ASSERT_STR(m.gateways[0].servers[0].protocol, "HTTP");
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.warnings[0], "gw.yaml:6:38: Gateway 'g': protocol TCP is not "
                                                 "modeled"));
    px_istio_free(&m);
}

void suite_istio_gateway(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/istio_gateway", setup, teardown);
    TEST_ADD(test_gateway_host_matching);
    TEST_ADD(test_gateway_is_read);
    TEST_ADD(test_gateway_ingress_virtual_hosts);
    TEST_ADD(test_gateway_exact_before_wildcard);
    TEST_ADD(test_gateway_binding_semantics);
    TEST_ADD(test_gateway_mistakes_are_located);
    TEST_ADD(test_gateway_conflicts_and_lenient);
}
