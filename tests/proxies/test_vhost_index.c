/*
 * test_vhost_index.c - proxies/vhost_index.c: Envoy's domain search order
 * (exact names, then suffix wildcards longest first, then `*`), names
 * compared without case and without the port, the first virtual host
 * winning between equals.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "proxies/vhost_index.h"
#include "tests/testutil.h"

void suite_vhost_index(void);

static void vhost(struct px_vhost_cfg *v, const char *const *domains)
{
    memset(v, 0, sizeof *v);
    while (domains[v->n_domains]) v->n_domains++;
    v->domains = fl_calloc(v->n_domains, sizeof *v->domains);
    for (size_t i = 0; i < v->n_domains; i++) v->domains[i] = fl_strdup(domains[i]);
}

static void test_vhost_index_follows_envoys_search_order(void)
{
    static const char *const d0[] = {"*", NULL};
    static const char *const d1[] = {"*.example.com", NULL};
    static const char *const d2[] = {"*.api.example.com", "reviews:9080", NULL};
    static const char *const d3[] = {"Reviews", "shop.example.com", NULL};
    static const char *const d4[] = {"reviews", "*.api.example.com", NULL};
    struct px_proxy_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_vhosts = 5;
    cfg.vhosts = fl_calloc(5, sizeof *cfg.vhosts);
    vhost(&cfg.vhosts[0], d0);
    vhost(&cfg.vhosts[1], d1);
    vhost(&cfg.vhosts[2], d2);
    vhost(&cfg.vhosts[3], d3);
    vhost(&cfg.vhosts[4], d4);
    struct px_vhost_index *x = px_vhost_index_build(&cfg);
    /* exact names first, whatever comes before them; no case, no port */
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "shop.example.com"), 3);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "SHOP.Example.com:8443"), 3);
    /* between equals the first virtual host wins ("Reviews" in 3, "reviews" in 4) */
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "reviews"), 3);
    /* a name with a port never matches (the request's port is not compared): the `*` */
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "reviews:9080"), 3);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "ratings:9080"), 0);
    /* then suffix wildcards, the longest first, the first between equals */
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "v1.api.example.com"), 2);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "www.example.com"), 1);
    /* a wildcard needs something before its suffix */
    CU_ASSERT_EQUAL(px_vhost_index_find(x, ".example.com"), 0);
    /* then `*`; no authority at all: `*` only */
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "other.org"), 0);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, NULL), 0);
    px_vhost_index_free(x);
    /* without `*` nothing else matches */
    cfg.vhosts[0].domains[0][0] = 'x';
    x = px_vhost_index_build(&cfg);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "other.org"), -1);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, NULL), -1);
    CU_ASSERT_EQUAL(px_vhost_index_find(x, "x"), 0);
    px_vhost_index_free(x);
    px_proxy_cfg_free(&cfg);
}

void suite_vhost_index(void)
{
    TEST_SUITE("proxies/vhost_index");
    TEST_ADD(test_vhost_index_follows_envoys_search_order);
}
