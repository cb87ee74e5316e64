/*
 * test_tls_mutual.c - live/tls.c's mutual TLS settings (the sidecar's):
 * a server asking for client certificates and a client presenting one,
 * both checking against a trust bundle, made from certificates of
 * proxies/identity.c; and what they refuse: a bundle without a
 * certificate, a key that is not the certificate's. tests/sidecar.sh
 * runs the handshakes between real sidecars.
 */
#include <stdlib.h>
#include <string.h>

#include "live/tls.h"
#include "proxies/identity.h"
#include "tests/testutil.h"

void suite_live_tls_mutual(void);

#define T0 INT64_C(1700000000)

struct pems {
    struct px_ca *ca;
    struct px_id_cert *a, *b;
    char *root, *a_cert, *a_key, *b_key;
};

static void pems_make(struct pems *p)
{
    char err[160];
    memset(p, 0, sizeof *p);
    p->ca = px_ca_new("test root", T0 - 3600, T0 + 86400 * 3650LL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p->ca);
    p->a = px_ca_issue(p->ca, "spiffe://cluster.local/ns/default/sa/a", T0 - 60,
                       T0 + 86400 * 3650LL, err, sizeof err);
    p->b = px_ca_issue(p->ca, "spiffe://cluster.local/ns/default/sa/b", T0 - 60,
                       T0 + 86400 * 3650LL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p->a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p->b);
    p->root = px_ca_cert_pem(p->ca);
    p->a_cert = px_id_cert_pem(p->a);
    p->a_key = px_id_key_pem(p->a);
    p->b_key = px_id_key_pem(p->b);
}

static void pems_free(struct pems *p)
{
    free(p->root);
    free(p->a_cert);
    free(p->a_key);
    free(p->b_key);
    px_id_cert_free(p->a);
    px_id_cert_free(p->b);
    px_ca_free(p->ca);
}

static void test_tls_mutual_settings_load(void)
{
    struct pems p;
    pems_make(&p);
    char *err = NULL;
    struct live_tls_server *s = live_tls_server_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(live_tls_server_add(s, p.a_cert, p.a_key, NULL, NULL, NULL, 0, &err), 0);
    CU_ASSERT_EQUAL(live_tls_server_set_mutual(s, p.root, &err), 0);
    CU_ASSERT_PTR_NULL(err);
    struct live_tls_client *cl = live_tls_client_new_mutual(p.a_cert, p.a_key, p.root, &err);
    CU_ASSERT_PTR_NOT_NULL(cl);
    CU_ASSERT_PTR_NULL(err);
    live_tls_client_free(cl);
    live_tls_server_free(s);
    pems_free(&p);
}

static void test_tls_mutual_refusals(void)
{
    struct pems p;
    pems_make(&p);
    char *err = NULL;
    struct live_tls_server *s = live_tls_server_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(live_tls_server_set_mutual(s, "not a PEM\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "trust bundle holds no certificate"));
    free(err);
    err = NULL;
    /* a's certificate with b's key */
    CU_ASSERT_PTR_NULL(live_tls_client_new_mutual(p.a_cert, p.b_key, p.root, &err));
    CU_ASSERT_PTR_NOT_NULL(err);
    free(err);
    err = NULL;
    /* the right pair, no root in the bundle */
    CU_ASSERT_PTR_NULL(live_tls_client_new_mutual(p.a_cert, p.a_key, "", &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "trust bundle"));
    free(err);
    live_tls_server_free(s);
    pems_free(&p);
}

void suite_live_tls_mutual(void)
{
    TEST_SUITE("live/tls_mutual");
    TEST_ADD(test_tls_mutual_settings_load);
    TEST_ADD(test_tls_mutual_refusals);
}
