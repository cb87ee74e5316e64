/*
 * test_identity.c - workload certificates (proxies/identity.c): issued
 * with a SPIFFE id by a root, checked against a trust bundle at a given
 * time: the principal when good, and each reason a check refuses (expired
 * leaf or root, not yet valid, another root, a bundle that kept or dropped
 * the old root), PEM round trips, bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies/identity.h"
#include "tests/testutil.h"

void suite_identity(void);

#define T0  INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define DAY INT64_C(86400)

static enum px_id_result at(const struct px_id_cert *c, const struct px_bundle *b, int64_t t,
                            char *p, size_t size)
{
    return px_id_check(c, b, t, p, size);
}

static void test_identity_check(void)
{
    char err[200], p[200];
    struct px_ca *ca = px_ca_new("mesh root 1", T0, T0 + 3650 * DAY, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
    struct px_id_cert *c = px_ca_issue(ca, "spiffe://cluster.local/ns/shop/sa/web", T0 + 100,
                                       T0 + 100 + DAY, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(px_id_cert_not_after(c), T0 + 100 + DAY);
    struct px_bundle *b = px_bundle_new(&ca, 1);
    CU_ASSERT_EQUAL(at(c, b, T0 + 100, p, sizeof p), PX_ID_OK);
    CU_ASSERT_STRING_EQUAL(p, "cluster.local/ns/shop/sa/web");
    CU_ASSERT_EQUAL(at(c, b, T0 + 99 + DAY, p, sizeof p), PX_ID_OK);
    /* OpenSSL's X509_cmp_time: at notAfter itself the certificate has expired */
    CU_ASSERT_EQUAL(at(c, b, T0 + 100 + DAY, p, sizeof p), PX_ID_EXPIRED);
    CU_ASSERT_STRING_EQUAL(p, "");
    CU_ASSERT_EQUAL(at(c, b, T0 + 99, p, sizeof p), PX_ID_NOT_YET_VALID);
    /* another root: unknown issuer; a bundle with both roots: good */
    struct px_ca *other = px_ca_new("mesh root 2", T0, T0 + 3650 * DAY, err, sizeof err);
    struct px_bundle *ob = px_bundle_new(&other, 1);
    CU_ASSERT_EQUAL(at(c, ob, T0 + 200, p, sizeof p), PX_ID_UNKNOWN_ISSUER);
    struct px_ca *both[2] = {other, ca};
    struct px_bundle *bb = px_bundle_new(both, 2);
    CU_ASSERT_EQUAL(at(c, bb, T0 + 200, p, sizeof p), PX_ID_OK);
    /* a root that has expired takes its certificates with it */
    struct px_ca *brief = px_ca_new("short root", T0, T0 + 1000, err, sizeof err);
    struct px_id_cert *bc =
        px_ca_issue(brief, "spiffe://cluster.local/ns/shop/sa/api", T0, T0 + DAY, err, sizeof err);
    struct px_bundle *brb = px_bundle_new(&brief, 1);
    CU_ASSERT_EQUAL(at(bc, brb, T0 + 500, p, sizeof p), PX_ID_OK);
    CU_ASSERT_EQUAL(at(bc, brb, T0 + 2000, p, sizeof p), PX_ID_EXPIRED);
    CU_ASSERT_STRING_EQUAL(px_id_result_text(PX_ID_UNKNOWN_ISSUER), "unknown issuer");
    px_bundle_free(brb);
    px_id_cert_free(bc);
    px_ca_free(brief);
    px_bundle_free(bb);
    px_bundle_free(ob);
    px_ca_free(other);
    px_bundle_free(b);
    px_id_cert_free(c);
    px_ca_free(ca);
}

/* PEM out and back in: the CA signs again after loading; a leaf read back checks the same. */
static void test_identity_pem_round_trip(void)
{
    char err[200], p[200];
    struct px_ca *ca = px_ca_new("root", T0, T0 + 3650 * DAY, err, sizeof err);
    char *cert = px_ca_cert_pem(ca), *key = px_ca_key_pem(ca);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cert);
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT(!strncmp(cert, "-----BEGIN CERTIFICATE-----", 27));
    struct px_ca *again = px_ca_load(cert, key, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(again);
    struct px_id_cert *c =
        px_ca_issue(again, "spiffe://example.org/ns/a/sa/b", T0, T0 + DAY, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *leaf = px_id_cert_pem(c), *lkey = px_id_key_pem(c);
    CU_ASSERT_PTR_NOT_NULL(lkey);
    struct px_id_cert *read = px_id_cert_load(leaf, err, sizeof err);
    struct px_bundle *b = px_bundle_load(cert, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(read);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(px_id_check(read, b, T0 + 10, p, sizeof p), PX_ID_OK);
    CU_ASSERT_STRING_EQUAL(p, "example.org/ns/a/sa/b");
    CU_ASSERT_PTR_NULL(px_id_key_pem(read)); /* read without its key */
    /* the CA's own certificate is no workload identity */
    struct px_id_cert *root_as_leaf = px_id_cert_load(cert, err, sizeof err);
    CU_ASSERT_EQUAL(px_id_check(root_as_leaf, b, T0 + 10, p, sizeof p), PX_ID_NO_SPIFFE_ID);
    /* a CA from a leaf and its key is refused; garbage is refused */
    CU_ASSERT_PTR_NULL(px_ca_load(leaf, lkey, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a CA certificate"));
    CU_ASSERT_PTR_NULL(px_id_cert_load("garbage", err, sizeof err));
    CU_ASSERT_PTR_NULL(px_bundle_load("garbage", err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "no PEM certificate in the trust bundle");
    CU_ASSERT_PTR_NULL(px_ca_issue(again, "https://not-spiffe", T0, T0 + 1, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "'https://not-spiffe' is not a SPIFFE id (spiffe://...)");
    CU_ASSERT_PTR_NULL(px_ca_issue(again, "spiffe://a/b", T0 + 2, T0 + 1, err, sizeof err));
    px_id_cert_free(root_as_leaf);
    px_bundle_free(b);
    px_id_cert_free(read);
    free(leaf);
    free(lkey);
    px_id_cert_free(c);
    px_ca_free(again);
    free(cert);
    free(key);
    px_ca_free(ca);
}

void suite_identity(void)
{
    TEST_SUITE("proxies/identity");
    TEST_ADD(test_identity_check);
    TEST_ADD(test_identity_pem_round_trip);
}
