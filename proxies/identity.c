/*
 * identity.c - workload certificates and their check (identity.h), with
 * OpenSSL 3's X.509 API. As istiod issues them (istio.io, "Certificate
 * management" and pkg/security): the workload certificate has an empty
 * subject and one URI subjectAltName, the SPIFFE id (critical, since the
 * subject is empty: RFC 5280 4.2.1.6), keyUsage digitalSignature and
 * keyEncipherment, extendedKeyUsage serverAuth and clientAuth; it is
 * signed by the mesh root (istiod's self-signed CA: no intermediate),
 * which has basicConstraints CA:TRUE and keyUsage keyCertSign, cRLSign.
 * The check is X509_verify_cert against the trust bundle at the checker's
 * time (X509_VERIFY_PARAM_set_time), then the SPIFFE id, as Envoy's
 * certificate validator with Istio's SAN matcher does.
 */
#include "proxies/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/alloc.h"
#include "base/assert.h"

struct px_ca {
    EVP_PKEY *key;
    X509 *cert;
    uint64_t serial; /* the next certificate's serial number */
};

struct px_id_cert {
    EVP_PKEY *key; /* NULL when read without its key */
    X509 *cert;
};

struct px_bundle {
    X509_STORE *store;
};

static void openssl_err(char *err, size_t errsz, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[160];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    if (err && errsz) snprintf(err, errsz, "%s%s%s", what, e ? ": " : "", e ? buf : "");
}

static EVP_PKEY *new_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* An extension from its OpenSSL config text (e.g. "critical,CA:TRUE"); 0 or -1. */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e) return -1;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

/* A certificate's fields, before its extensions and signature. */
static X509 *cert_base(EVP_PKEY *key, uint64_t serial, int64_t not_before, int64_t not_after)
{
    FL_ASSERT(key && not_before <= not_after);
    X509 *x = X509_new();
    if (!x) return NULL;
    int ok = X509_set_version(x, X509_VERSION_3) &&
             ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) && X509_set_pubkey(x, key);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

struct px_ca *px_ca_new(const char *name, int64_t not_before, int64_t not_after, char *err,
                        size_t errsz)
{
    FL_ASSERT(name && not_before <= not_after);
    struct px_ca *ca = fl_calloc(1, sizeof *ca);
    ca->serial = 1;
    ca->key = new_key();
    X509 *x = ca->key ? cert_base(ca->key, ca->serial++, not_before, not_after) : NULL;
    X509_NAME *n = x ? X509_get_subject_name(x) : NULL;
    int ok = n &&
             X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"faultline",
                                        -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1, -1,
                                        0) &&
             X509_set_issuer_name(x, n) &&
             !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
             !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             !add_ext(x, x, NID_subject_key_identifier, "hash") &&
             X509_sign(x, ca->key, EVP_sha256()) > 0;
    ca->cert = x;
    if (!ok) {
        openssl_err(err, errsz, "cannot make the root certificate");
        px_ca_free(ca);
        return NULL;
    }
    FL_ASSERT(ca->cert && ca->key && ca->serial == 2);
    return ca;
}

struct px_ca *px_ca_load(const char *cert_pem, const char *key_pem, char *err, size_t errsz)
{
    FL_ASSERT(cert_pem && key_pem);
    struct px_ca *ca = fl_calloc(1, sizeof *ca);
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    ca->cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    b = BIO_new_mem_buf(key_pem, -1);
    ca->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!ca->cert || !ca->key || X509_check_private_key(ca->cert, ca->key) != 1 ||
        X509_check_ca(ca->cert) < 1) {
        openssl_err(err, errsz,
                    !ca->cert  ? "not a PEM certificate"
                    : !ca->key ? "not a PEM private key"
                               : "not a CA certificate with its own key");
        px_ca_free(ca);
        return NULL;
    }
    /* a random 63-bit start, so that certificates issued in two sessions differ (RFC 5280 4.1.2.2)
     */
    unsigned char r[8];
    if (RAND_bytes(r, sizeof r) != 1) {
        openssl_err(err, errsz, "no random serial number");
        px_ca_free(ca);
        return NULL;
    }
    for (int i = 0; i < 8; i++) ca->serial = ca->serial << 8 | r[i];
    ca->serial = (ca->serial >> 1) | 1;
    return ca;
}

void px_ca_free(struct px_ca *ca)
{
    if (!ca) return;
    EVP_PKEY_free(ca->key);
    X509_free(ca->cert);
    free(ca);
}

struct px_id_cert *px_ca_issue(struct px_ca *ca, const char *spiffe, int64_t not_before,
                               int64_t not_after, char *err, size_t errsz)
{
    FL_ASSERT(ca && ca->cert && spiffe);
    if (strncmp(spiffe, "spiffe://", 9) || !spiffe[9] || strpbrk(spiffe, ", \t\r\n")) {
        if (err && errsz) snprintf(err, errsz, "'%s' is not a SPIFFE id (spiffe://...)", spiffe);
        return NULL;
    }
    if (not_before > not_after) {
        if (err && errsz) snprintf(err, errsz, "the validity ends before it begins");
        return NULL;
    }
    struct px_id_cert *c = fl_calloc(1, sizeof *c);
    char san[600];
    snprintf(san, sizeof san, "critical,URI:%s", spiffe);
    c->key = new_key();
    X509 *x = c->key ? cert_base(c->key, ca->serial++, not_before, not_after) : NULL;
    int ok = x && X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) &&
             !add_ext(x, ca->cert, NID_subject_alt_name, san) &&
             !add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
             !add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth") &&
             !add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always") &&
             X509_sign(x, ca->key, EVP_sha256()) > 0;
    c->cert = x;
    if (!ok) {
        openssl_err(err, errsz, "cannot issue the certificate");
        px_id_cert_free(c);
        return NULL;
    }
    return c;
}

void px_id_cert_free(struct px_id_cert *c)
{
    if (!c) return;
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    free(c);
}

int64_t px_id_cert_not_after(const struct px_id_cert *c)
{
    FL_ASSERT(c && c->cert);
    struct tm tm;
    if (!ASN1_TIME_to_tm(X509_get0_notAfter(c->cert), &tm)) return 0;
    return (int64_t)timegm(&tm);
}

/* ---------------------------------------------------------------- PEM */

static char *bio_text(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = n > 0 ? fl_strndup(data, (size_t)n) : NULL;
    BIO_free(b);
    return out;
}

char *px_ca_cert_pem(const struct px_ca *ca)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_X509(b, ca->cert)) {
        BIO_free(b);
        return NULL;
    }
    return bio_text(b);
}

char *px_ca_key_pem(const struct px_ca *ca)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_PrivateKey(b, ca->key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(b);
        return NULL;
    }
    return bio_text(b);
}

char *px_id_cert_pem(const struct px_id_cert *c)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_X509(b, c->cert)) {
        BIO_free(b);
        return NULL;
    }
    return bio_text(b);
}

char *px_id_key_pem(const struct px_id_cert *c)
{
    BIO *b = c->key ? BIO_new(BIO_s_mem()) : NULL;
    if (!b || !PEM_write_bio_PrivateKey(b, c->key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(b);
        return NULL;
    }
    return bio_text(b);
}

struct px_id_cert *px_id_cert_load(const char *pem, char *err, size_t errsz)
{
    FL_ASSERT(pem);
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!x) {
        openssl_err(err, errsz, "not a PEM certificate");
        return NULL;
    }
    struct px_id_cert *c = fl_calloc(1, sizeof *c);
    c->cert = x;
    return c;
}

/* ---------------------------------------------------------------- trust bundles and the check */

struct px_bundle *px_bundle_new(struct px_ca *const *cas, size_t n)
{
    FL_ASSERT(cas || n == 0);
    struct px_bundle *b = fl_calloc(1, sizeof *b);
    b->store = X509_STORE_new();
    for (size_t i = 0; i < n; i++) X509_STORE_add_cert(b->store, cas[i]->cert);
    return b;
}

struct px_bundle *px_bundle_load(const char *pem, char *err, size_t errsz)
{
    FL_ASSERT(pem);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    struct px_bundle *b = fl_calloc(1, sizeof *b);
    b->store = X509_STORE_new();
    int n = 0;
    X509 *x;
    while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        X509_STORE_add_cert(b->store, x);
        X509_free(x);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the text reads as an error */
    if (!n) {
        if (err && errsz) snprintf(err, errsz, "no PEM certificate in the trust bundle");
        px_bundle_free(b);
        return NULL;
    }
    return b;
}

void px_bundle_free(struct px_bundle *b)
{
    if (!b) return;
    X509_STORE_free(b->store);
    free(b);
}

const char *px_id_result_text(enum px_id_result r)
{
    static const char *const t[] = {
        "ok", "expired", "not yet valid", "unknown issuer", "no SPIFFE id", "invalid certificate"};
    return (unsigned)r < sizeof t / sizeof *t ? t[r] : "?";
}

/* The URI subjectAltName that is a SPIFFE id, copied without "spiffe://"; 0, or -1 without one. */
static int spiffe_of(X509 *x, char *out, size_t size)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int found = -1;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && found < 0; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_URI) continue;
        const char *u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
        int len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
        if (len <= 9 || strncmp(u, "spiffe://", 9) || memchr(u, 0, (size_t)len)) continue;
        snprintf(out, size, "%.*s", len - 9, u + 9);
        found = 0;
    }
    GENERAL_NAMES_free(names);
    return found;
}

enum px_id_result px_id_check(const struct px_id_cert *c, const struct px_bundle *b, int64_t now,
                              char *principal, size_t size)
{
    FL_ASSERT(c && c->cert && b && b->store && principal && size > 0);
    principal[0] = '\0';
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || !X509_STORE_CTX_init(ctx, b->store, c->cert, NULL)) {
        X509_STORE_CTX_free(ctx);
        return PX_ID_INVALID;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)now);
    int ok = X509_verify_cert(ctx) == 1;
    int e = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        switch (e) {
        case X509_V_ERR_CERT_HAS_EXPIRED: return PX_ID_EXPIRED;
        case X509_V_ERR_CERT_NOT_YET_VALID: return PX_ID_NOT_YET_VALID;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return PX_ID_UNKNOWN_ISSUER;
        default: return PX_ID_INVALID;
        }
    }
    return spiffe_of(c->cert, principal, size) ? PX_ID_NO_SPIFFE_ID : PX_ID_OK;
}
