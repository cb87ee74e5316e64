/*
 * test_jwt.c - proxies/jwt.c, jwk.c, b64url.c: JWS compact tokens signed
 * and verified with every alg (keys made here with EVP_PKEY_Q_keygen), the
 * RFC 7515 appendix A.1 example as a known answer, JWKs and JWK sets, and
 * the attacks each refused: alg none, algorithm confusion, edited
 * signatures and payloads, malformed base64 and JSON, wrong part counts,
 * oversized tokens, claims of the wrong type.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "proxies/b64url.h"
#include "proxies/jwt.h"
#include "proxies/jwt_internal.h"
#include "tests/testutil.h"

void suite_jwt(void);

/* Keys made once for the suite: RSA 2048, EC P-256, P-384, P-521, and their PEM texts. */
enum { K_RSA, K_P256, K_P384, K_P521, K_N };
static EVP_PKEY *pkeys[K_N];
static char *priv_pem[K_N], *pub_pem[K_N];

static char *bio_text(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *s = fl_strndup(data, (size_t)n);
    BIO_free(b);
    return s;
}

static char *pem_of(EVP_PKEY *k, int private_key)
{
    BIO *b = BIO_new(BIO_s_mem());
    int ok = private_key ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PUBKEY(b, k);
    if (!ok) abort();
    return bio_text(b);
}

static int keys_init(void)
{
    pkeys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    pkeys[K_P256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    pkeys[K_P384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    pkeys[K_P521] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    for (int i = 0; i < K_N; i++) {
        if (!pkeys[i]) return -1;
        priv_pem[i] = pem_of(pkeys[i], 1);
        pub_pem[i] = pem_of(pkeys[i], 0);
    }
    return 0;
}

static int keys_cleanup(void)
{
    for (int i = 0; i < K_N; i++) {
        EVP_PKEY_free(pkeys[i]);
        free(priv_pem[i]);
        free(pub_pem[i]);
    }
    return 0;
}

static struct px_jwt_key *pem_key(const char *pem)
{
    char err[128] = "";
    struct px_jwt_key *k = px_jwt_key_pem(pem, err, sizeof err);
    if (!k) fprintf(stderr, "\n  pem: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    return k;
}

/* The key index and sizes of each signing alg. */
static const struct {
    enum px_jwt_alg alg;
    int key; /* K_*, or -1: a secret */
    size_t sig_len;
} algs[] = {
    {PX_JWT_HS256, -1, 32},     {PX_JWT_HS384, -1, 48},     {PX_JWT_HS512, -1, 64},
    {PX_JWT_RS256, K_RSA, 256}, {PX_JWT_RS384, K_RSA, 256}, {PX_JWT_RS512, K_RSA, 256},
    {PX_JWT_ES256, K_P256, 64}, {PX_JWT_ES384, K_P384, 96}, {PX_JWT_ES512, K_P521, 132},
};
#define N_ALGS (sizeof algs / sizeof algs[0])

static const char secret[] = "a secret of thirty-two bytes....";

/* The signing key of algs[i] (a secret or a private PEM key) and its verifying key. */
static void keys_for(size_t i, struct px_jwt_key **sign, struct px_jwt_key **verify)
{
    if (algs[i].key < 0) {
        *sign = px_jwt_key_secret(secret, strlen(secret));
        *verify = px_jwt_key_secret(secret, strlen(secret));
    } else {
        *sign = pem_key(priv_pem[algs[i].key]);
        *verify = pem_key(pub_pem[algs[i].key]);
    }
}

/* A token from header and payload JSON texts and a signature of sig_len bytes (all 0x5a). */
static char *craft(const char *header, const char *payload, size_t sig_len)
{
    char *h = px_b64url_encode(header, strlen(header), NULL);
    char *p = px_b64url_encode(payload, strlen(payload), NULL);
    unsigned char sig[256];
    memset(sig, 0x5a, sizeof sig);
    char *s = px_b64url_encode(sig, sig_len, NULL);
    char *t = fl_asprintf("%s.%s.%s", h, p, s);
    free(h);
    free(p);
    free(s);
    return t;
}

/* Decodes text; returns px_jwt_decode's result with its reason in err. */
static int decode(const char *text, struct px_jwt *t, char *err, size_t errsz)
{
    err[0] = '\0';
    return px_jwt_decode(text, strlen(text), t, err, errsz);
}

/* 1 iff token decodes and verifies under k. */
static int token_verifies(const char *token, const struct px_jwt_key *k)
{
    struct px_jwt t;
    char err[128];
    int ok = decode(token, &t, err, sizeof err) == 0 && px_jwt_verify(&t, k) == 0;
    px_jwt_free(&t);
    return ok;
}

/* The reason decode gives for text ("" when it decodes). */
static const char *decode_error(const char *text)
{
    static char err[128];
    struct px_jwt t;
    if (decode(text, &t, err, sizeof err) == 0) err[0] = '\0';
    px_jwt_free(&t);
    return err;
}

static void test_jwt_alg_names(void)
{
    for (int a = PX_JWT_NONE; a < PX_JWT_UNKNOWN; a++)
        CU_ASSERT_EQUAL(px_jwt_alg_parse(px_jwt_alg_name(a)), a);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("HS256"), PX_JWT_HS256);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("ES512"), PX_JWT_ES512);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("none"), PX_JWT_NONE);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("None"), -1);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("NONE"), -1);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("hs256"), -1);
    CU_ASSERT_EQUAL(px_jwt_alg_parse("PS256"), -1);
    CU_ASSERT_EQUAL(px_jwt_alg_parse(""), -1);
    CU_ASSERT_STRING_EQUAL(px_jwt_alg_name(PX_JWT_RS384), "RS384");
}

static void test_jwt_b64url_strict(void)
{
    unsigned char *out = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(px_b64url_decode("_-8", 3, &out, &n), 0);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT(out[0] == 0xff && out[1] == 0xef);
    free(out);
    char *s = px_b64url_encode("\xff\xef", 2, &n);
    CU_ASSERT_STRING_EQUAL(s, "_-8");
    CU_ASSERT_EQUAL(n, 3);
    free(s);
    CU_ASSERT_EQUAL(px_b64url_decode("", 0, &out, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    free(out);
    const char *bad[] = {"/+8", "_-8=", "QQ==", "QR", "Q", "QUJD RA", "QU\nJD", "QUJ*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(px_b64url_decode(bad[i], strlen(bad[i]), &out, &n), -1);
    CU_ASSERT_EQUAL(px_b64url_decode("QQ", 2, &out, &n), 0); /* "A"; "QR" has a stray low bit */
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(out[0], 'A');
    free(out);
}

/* Kong's secret_is_base64 decoding: either alphabet, padding optional. */
static void test_jwt_b64_any_as_kong(void)
{
    const struct {
        const char *in;
        int rc;
        const char *out;
    } cases[] = {
        {"QQ==", 0, "A"},
        {"QQ", 0, "A"},
        {"QR", 0, "A"},
        {"3q2+7w", 0, "\xde\xad\xbe\xef"},
        {"3q2-7w==", 0, "\xde\xad\xbe\xef"},
        {"c2VjcmV0", 0, "secret"},
        {"", 0, ""},
        {"QQ=", -1, NULL},
        {"Q===", -1, NULL},
        {"QQ ==", -1, NULL},
        {"Q=Q=", -1, NULL},
        {"QUJD\n", -1, NULL},
        {"Q", -1, NULL},
        {"QU*D", -1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *out = NULL;
        size_t n = 0;
        int rc = px_b64_decode_any(cases[i].in, strlen(cases[i].in), &out, &n);
        CU_ASSERT_EQUAL(rc, cases[i].rc);
        if (rc == 0 && cases[i].out) {
            CU_ASSERT_EQUAL(n, strlen(cases[i].out));
            CU_ASSERT_EQUAL(memcmp(out, cases[i].out, n), 0);
        }
        if (rc == 0) free(out);
    }
}

static void test_jwt_sign_verify_every_alg(void)
{
    for (size_t i = 0; i < N_ALGS; i++) {
        struct px_jwt_key *sk, *vk;
        keys_for(i, &sk, &vk);
        CU_ASSERT_TRUE(px_jwt_key_fits(vk, algs[i].alg));
        char err[128] = "";
        char *tok = px_jwt_sign(algs[i].alg, "k1", "{\"iss\":\"alice\",\"exp\":1700000000}", sk,
                                err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
        struct px_jwt t;
        CU_ASSERT_EQUAL_FATAL(decode(tok, &t, err, sizeof err), 0);
        CU_ASSERT_EQUAL(t.alg, (int)algs[i].alg);
        CU_ASSERT_STRING_EQUAL(t.alg_text, px_jwt_alg_name(algs[i].alg));
        CU_ASSERT_STRING_EQUAL(t.kid, "k1");
        char *want_header = fl_asprintf("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
                                        px_jwt_alg_name(algs[i].alg));
        CU_ASSERT_STRING_EQUAL(t.header_json, want_header);
        free(want_header);
        CU_ASSERT_STRING_EQUAL(t.payload_json, "{\"iss\":\"alice\",\"exp\":1700000000}");
        CU_ASSERT_EQUAL(t.sig_len, algs[i].sig_len);
        CU_ASSERT_EQUAL(t.signed_len, (size_t)(strrchr(tok, '.') - tok));
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), 0);
        CU_ASSERT_EQUAL(px_jwt_verify(&t, sk), 0); /* a private key verifies too */
        const char *iss = NULL;
        CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "iss", &iss), 0);
        CU_ASSERT_STRING_EQUAL(iss, "alice");
        px_jwt_free(&t);
        free(tok);
        px_jwt_key_free(sk);
        px_jwt_key_free(vk);
    }
}

/* A token of one alg fails under a key of another family, another curve, or another secret. */
static void test_jwt_wrong_keys_refused(void)
{
    struct px_jwt_key *other = px_jwt_key_secret("another secret", 14);
    for (size_t i = 0; i < N_ALGS; i++) {
        struct px_jwt_key *sk, *vk;
        keys_for(i, &sk, &vk);
        char err[128];
        char *tok = px_jwt_sign(algs[i].alg, NULL, "{}", sk, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
        CU_ASSERT_TRUE(token_verifies(tok, vk));
        CU_ASSERT_FALSE(token_verifies(tok, other));
        for (size_t j = 0; j < N_ALGS; j++) {
            if (algs[j].key == algs[i].key) continue;
            struct px_jwt_key *sk2, *vk2;
            keys_for(j, &sk2, &vk2);
            CU_ASSERT_FALSE(px_jwt_key_fits(vk2, algs[i].alg));
            CU_ASSERT_FALSE(token_verifies(tok, vk2));
            px_jwt_key_free(sk2);
            px_jwt_key_free(vk2);
        }
        free(tok);
        px_jwt_key_free(sk);
        px_jwt_key_free(vk);
    }
    px_jwt_key_free(other);
}

/* RFC 7515 appendix A.1 (the JWT of RFC 7519 section 3.1) and its JWK (appendix A.1.1). */
static const char rfc7515_a1[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
                                 ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
                                 "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
                                 ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char rfc7515_a1_jwk[] =
    "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4h"
    "cgUuTwjAzZr1Z9CAow\"}";

static void test_jwt_rfc7515_a1_known_answer(void)
{
    char err[128] = "";
    struct px_jwt_key *k = px_jwt_key_jwk(rfc7515_a1_jwk, strlen(rfc7515_a1_jwk), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_EQUAL(k->secret_len, 64);
    struct px_jwt t;
    CU_ASSERT_EQUAL_FATAL(decode(rfc7515_a1, &t, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.alg, PX_JWT_HS256);
    CU_ASSERT_PTR_NULL(t.kid);
    CU_ASSERT_STRING_EQUAL(t.header_json, "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");
    const char *iss = NULL;
    double exp = 0;
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "iss", &iss), 0);
    CU_ASSERT_STRING_EQUAL(iss, "joe");
    CU_ASSERT_EQUAL(px_jwt_claim_number(&t, "exp", &exp), 0);
    CU_ASSERT_EQUAL(exp, 1300819380.0);
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "http://example.com/is_root", &iss), -2);
    CU_ASSERT_EQUAL(px_jwt_verify(&t, k), 0);
    px_jwt_free(&t);
    /* The same token with the last signature character changed fails. */
    char *bad = fl_strdup(rfc7515_a1);
    bad[strlen(bad) - 1] = 'Y';
    CU_ASSERT_FALSE(token_verifies(bad, k));
    free(bad);
    px_jwt_key_free(k);
}

/* alg none is never verified, whatever its spelling, even with a valid HMAC appended. */
static void test_jwt_alg_none_refused(void)
{
    struct px_jwt_key *k = px_jwt_key_secret(secret, strlen(secret));
    char err[128];
    char *tok = px_jwt_sign(PX_JWT_NONE, NULL, "{\"iss\":\"alice\"}", NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(tok[strlen(tok) - 1], '.');
    struct px_jwt t;
    CU_ASSERT_EQUAL_FATAL(decode(tok, &t, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.alg, PX_JWT_NONE);
    CU_ASSERT_EQUAL(t.sig_len, 0);
    CU_ASSERT_EQUAL(px_jwt_verify(&t, k), -1);
    px_jwt_free(&t);
    free(tok);
    const char *spellings[] = {"none", "None", "NONE", "nOnE"};
    for (size_t i = 0; i < 4; i++) {
        char *header = fl_asprintf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", spellings[i]);
        char *u = craft(header, "{\"iss\":\"alice\"}", 0);
        /* Append a correct HMAC-SHA256 of the signing input. */
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t mac_len = 0;
        CU_ASSERT_PTR_NOT_NULL(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                                         (const unsigned char *)u, strlen(u) - 1, mac, sizeof mac,
                                         &mac_len));
        char *m = px_b64url_encode(mac, mac_len, NULL);
        char *signed_tok = fl_asprintf("%s%s", u, m);
        CU_ASSERT_EQUAL_FATAL(decode(signed_tok, &t, err, sizeof err), 0);
        CU_ASSERT_EQUAL(t.alg, i == 0 ? PX_JWT_NONE : PX_JWT_UNKNOWN);
        CU_ASSERT_STRING_EQUAL(t.alg_text, spellings[i]);
        CU_ASSERT_EQUAL(px_jwt_verify(&t, k), -1);
        CU_ASSERT_FALSE(px_jwt_key_fits(k, t.alg));
        px_jwt_free(&t);
        free(signed_tok);
        free(m);
        free(u);
        free(header);
    }
    px_jwt_key_free(k);
}

/* HS256 signed with the RSA public key's PEM text as the secret, verified against the RSA key. */
static void test_jwt_algorithm_confusion_refused(void)
{
    struct px_jwt_key *rsa = pem_key(pub_pem[K_RSA]);
    struct px_jwt_key *as_secret = px_jwt_key_secret(pub_pem[K_RSA], strlen(pub_pem[K_RSA]));
    char err[128];
    char *tok =
        px_jwt_sign(PX_JWT_HS256, NULL, "{\"iss\":\"mallory\"}", as_secret, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_TRUE(token_verifies(tok, as_secret)); /* a well-formed HS256 token */
    CU_ASSERT_FALSE(px_jwt_key_fits(rsa, PX_JWT_HS256));
    CU_ASSERT_FALSE(token_verifies(tok, rsa));
    /* The same with an EC key's PEM. */
    struct px_jwt_key *ec = pem_key(pub_pem[K_P256]);
    struct px_jwt_key *ec_secret = px_jwt_key_secret(pub_pem[K_P256], strlen(pub_pem[K_P256]));
    char *tok2 = px_jwt_sign(PX_JWT_HS256, NULL, "{}", ec_secret, err, sizeof err);
    CU_ASSERT_FALSE(token_verifies(tok2, ec));
    free(tok);
    free(tok2);
    px_jwt_key_free(rsa);
    px_jwt_key_free(as_secret);
    px_jwt_key_free(ec);
    px_jwt_key_free(ec_secret);
}

/* Every byte of every alg's signature flipped in turn fails (for RSA, every 16th byte). */
static void test_jwt_flipped_signature_refused(void)
{
    for (size_t i = 0; i < N_ALGS; i++) {
        struct px_jwt_key *sk, *vk;
        keys_for(i, &sk, &vk);
        char err[128];
        char *tok = px_jwt_sign(algs[i].alg, NULL, "{\"sub\":\"x\"}", sk, err, sizeof err);
        struct px_jwt t;
        CU_ASSERT_EQUAL_FATAL(decode(tok, &t, err, sizeof err), 0);
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), 0);
        size_t step = algs[i].key == K_RSA ? 16 : 1, refused = 0, tried = 0;
        for (size_t b = 0; b < t.sig_len; b += step, tried++) {
            t.sig[b] ^= 0x01;
            refused += px_jwt_verify(&t, vk) == -1;
            t.sig[b] ^= 0x01;
        }
        CU_ASSERT_EQUAL(refused, tried);
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), 0);
        px_jwt_free(&t);
        free(tok);
        px_jwt_key_free(sk);
        px_jwt_key_free(vk);
    }
}

/* A signature one byte short or long, or empty, fails for every alg. */
static void test_jwt_wrong_signature_length_refused(void)
{
    for (size_t i = 0; i < N_ALGS; i++) {
        struct px_jwt_key *sk, *vk;
        keys_for(i, &sk, &vk);
        char err[128];
        char *tok = px_jwt_sign(algs[i].alg, NULL, "{}", sk, err, sizeof err);
        struct px_jwt t;
        CU_ASSERT_EQUAL_FATAL(decode(tok, &t, err, sizeof err), 0);
        size_t n = t.sig_len;
        unsigned char *longer = fl_calloc(n + 1, 1);
        memcpy(longer, t.sig, n);
        unsigned char *orig = t.sig;
        t.sig_len = n - 1;
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), -1);
        t.sig_len = 0;
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), -1);
        t.sig = longer;
        t.sig_len = n + 1;
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), -1);
        t.sig = orig;
        t.sig_len = n;
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), 0);
        free(longer);
        px_jwt_free(&t);
        free(tok);
        px_jwt_key_free(sk);
        px_jwt_key_free(vk);
    }
    /* ES256 with a 65-byte signature in the token text itself. */
    struct px_jwt_key *ec = pem_key(pub_pem[K_P256]);
    char *tok = craft("{\"alg\":\"ES256\"}", "{}", 65);
    CU_ASSERT_FALSE(token_verifies(tok, ec));
    free(tok);
    px_jwt_key_free(ec);
}

/* The payload part replaced after signing (a claim changed) fails for every alg. */
static void test_jwt_edited_payload_refused(void)
{
    char *evil = px_b64url_encode("{\"iss\":\"admin\"}", 15, NULL);
    for (size_t i = 0; i < N_ALGS; i++) {
        struct px_jwt_key *sk, *vk;
        keys_for(i, &sk, &vk);
        char err[128];
        char *tok = px_jwt_sign(algs[i].alg, NULL, "{\"iss\":\"alice\"}", sk, err, sizeof err);
        char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
        char *edited = fl_asprintf("%.*s.%s%s", (int)(d1 - tok), tok, evil, d2);
        struct px_jwt t;
        CU_ASSERT_EQUAL_FATAL(decode(edited, &t, err, sizeof err), 0);
        const char *iss = NULL;
        CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "iss", &iss), 0);
        CU_ASSERT_STRING_EQUAL(iss, "admin");
        CU_ASSERT_EQUAL(px_jwt_verify(&t, vk), -1);
        px_jwt_free(&t);
        free(edited);
        free(tok);
        px_jwt_key_free(sk);
        px_jwt_key_free(vk);
    }
    free(evil);
}

static void test_jwt_malformed_base64_refused(void)
{
    /* eyJhbGciOiJIUzI1NiJ9 = {"alg":"HS256"}; e30 = {} */
    const char *bad[] = {
        "eyJhbGciOiJIUzI1NiJ9.e30=.AAAA",      /* padding in the payload */
        "eyJhbGciOiJIUzI1NiJ9.e30.AAAA==",     /* padding in the signature */
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAA",      /* padding in the header */
        "eyJhbGciOiJIUzI1NiJ9.e3+.AAAA",       /* base64, not base64url */
        "eyJhbGciOiJIUzI1NiJ9.e30.AA/A",       /* the same in the signature */
        "eyJhbGciOiJIUzI1NiJ9.e30.AA A",       /* a space */
        "eyJhbGciOiJIUzI1NiJ9.e30.AA\xc3\xa9", /* not ASCII */
        "eyJhbGciOiJIUzI1NiJ9.e30.A",          /* 4k+1 characters */
        "eyJhbGciOiJIUzI1NiJ9.e31.AAAA",       /* stray low bits */
        "eyJhbGciOi*IUzI1NiJ9.e30.AAAA",       /* a bad character in the header */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_STRING_EQUAL(decode_error(bad[i]), "invalid base64");
    CU_ASSERT_STRING_EQUAL(decode_error("eyJhbGciOiJIUzI1NiJ9.e30.AAAA"), "");
    CU_ASSERT_STRING_EQUAL(decode_error("eyJhbGciOiJIUzI1NiJ9.e30."), "");
}

/* A token of header and payload texts, and the reason it does not decode. */
static const char *crafted_error(const char *header, const char *payload)
{
    char *tok = craft(header, payload, 32);
    const char *e = decode_error(tok);
    free(tok);
    return e;
}

static void test_jwt_malformed_json_refused(void)
{
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"", "{}"), "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\",}", "{}"), "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("{'alg':'HS256'}", "{}"), "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", "{\"iss\":"), "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", ""), "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}x", "{}"), "invalid JSON");
    /* Two algs: which one a reader takes is ambiguous, so none is (RFC 7515 section 5.2). */
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"none\",\"alg\":\"HS256\"}", "{}"),
                           "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", "{\"a\":1,\"a\":2}"),
                           "invalid JSON");
    CU_ASSERT_STRING_EQUAL(crafted_error("[\"alg\",\"HS256\"]", "{}"), "header is not an object");
    CU_ASSERT_STRING_EQUAL(crafted_error("\"HS256\"", "{}"), "header is not an object");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", "[1]"), "payload is not an object");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", "42"), "payload is not an object");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"typ\":\"JWT\"}", "{}"), "header has no alg");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":256}", "{}"), "alg is not a string");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\",\"kid\":7}", "{}"),
                           "kid is not a string");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", "{}"),
                           "unsupported crit");
    /* Nesting: PX_JWT_MAX_DEPTH levels decode, one more does not (even inside a string it counts
     * only outside strings). */
    char deep[64] = "{\"a\":", deeper[64] = "{\"a\":";
    for (int i = 1; i < PX_JWT_MAX_DEPTH; i++) strcat(deep, "[");
    for (int i = 1; i < PX_JWT_MAX_DEPTH; i++) strcat(deep, "]");
    strcat(deep, "}");
    for (int i = 0; i < PX_JWT_MAX_DEPTH; i++) strcat(deeper, "[");
    for (int i = 0; i < PX_JWT_MAX_DEPTH; i++) strcat(deeper, "]");
    strcat(deeper, "}");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", deep), "");
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\"}", deeper), "too deeply nested");
    CU_ASSERT_STRING_EQUAL(
        crafted_error("{\"alg\":\"HS256\",\"x\":\"[[[[[[[[[[[[[[[[[[[[\"}", "{}"), "");
    /* A NUL inside a string is refused by the parser. */
    CU_ASSERT_STRING_EQUAL(crafted_error("{\"alg\":\"HS256\\u0000\"}", "{}"), "invalid JSON");
}

static void test_jwt_part_count_refused(void)
{
    const char *bad[] = {"",
                         ".",
                         "eyJhbGciOiJIUzI1NiJ9",
                         "eyJhbGciOiJIUzI1NiJ9.e30",
                         "eyJhbGciOiJIUzI1NiJ9.e30.AAAA.AAAA",
                         "eyJhbGciOiJIUzI1NiJ9.e30..",
                         "...."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_STRING_EQUAL(decode_error(bad[i]), "not 3 parts");
    CU_ASSERT_STRING_EQUAL(decode_error(".."), "invalid JSON"); /* 3 empty parts */
    /* The length given is the token's: a dot after it does not count. */
    struct px_jwt t;
    char err[64];
    const char *two = "eyJhbGciOiJIUzI1NiJ9.e30.AAAA";
    CU_ASSERT_EQUAL(px_jwt_decode(two, strlen(two) - 5, &t, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "not 3 parts");
    px_jwt_free(&t);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The length of the base64url encoding of n bytes. */
static size_t b64_len(size_t n)
{
    return 4 * (n / 3) + (n % 3 ? n % 3 + 1 : 0);
}

/* A token of exactly len bytes: an HS256 header, a payload with one long claim, a wrong signature.
 */
static char *token_of_len(size_t len)
{
    const char *header = "{\"alg\":\"HS256\"}";
    for (size_t sig = 32; sig <= 33; sig++)
        for (size_t claim = len / 2; claim < len; claim++) {
            size_t total = b64_len(strlen(header)) + 1 + b64_len(claim + 8) + 1 + b64_len(sig);
            if (total > len) break;
            if (total < len) continue;
            char *text = fl_malloc(claim + 1);
            memset(text, 'x', claim);
            text[claim] = '\0';
            char *payload = fl_asprintf("{\"p\":\"%s\"}", text);
            free(text);
            char *tok = craft(header, payload, sig);
            free(payload);
            return tok;
        }
    return NULL;
}

static void test_jwt_oversized_token_refused_quickly(void)
{
    char *big = fl_malloc(PX_JWT_MAX_TOKEN + 2);
    memset(big, 'A', PX_JWT_MAX_TOKEN + 1);
    big[10] = big[20] = '.';
    big[PX_JWT_MAX_TOKEN + 1] = '\0';
    CU_ASSERT_STRING_EQUAL(decode_error(big), "too large");
    /* Refusing is constant work: 100000 refusals of a 64 KiB + 1 token take well under 1 s. */
    double t0 = now_s();
    struct px_jwt t;
    char err[32];
    int refused = 0;
    for (int i = 0; i < 100000; i++) {
        refused += px_jwt_decode(big, PX_JWT_MAX_TOKEN + 1, &t, err, sizeof err) == -1;
        px_jwt_free(&t);
    }
    double dt = now_s() - t0;
    CU_ASSERT_EQUAL(refused, 100000);
    CU_ASSERT(dt < 1.0);
    free(big);
    /* A token of exactly 64 KiB is decoded, and its (wrong) signature checked, in well under 1 s.
     */
    char *edge = token_of_len(PX_JWT_MAX_TOKEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(edge);
    CU_ASSERT_EQUAL(strlen(edge), PX_JWT_MAX_TOKEN);
    size_t len = PX_JWT_MAX_TOKEN;
    struct px_jwt_key *k = px_jwt_key_secret(secret, strlen(secret));
    t0 = now_s();
    CU_ASSERT_EQUAL(px_jwt_decode(edge, len, &t, err, sizeof err), 0);
    CU_ASSERT_EQUAL(px_jwt_verify(&t, k), -1);
    dt = now_s() - t0;
    CU_ASSERT(dt < 0.5);
    CU_ASSERT(t.payload_json && strlen(t.payload_json) > 40000);
    px_jwt_free(&t);
    px_jwt_key_free(k);
    free(edge);
}

static void test_jwt_claims_typed(void)
{
    char *tok = craft("{\"alg\":\"HS256\"}",
                      "{\"iss\":\"a\",\"exp\":\"1700000000\",\"nbf\":true,\"iat\":1.5,"
                      "\"aud\":[\"x\",\"y\",3],\"sub\":5,\"n\":null,\"o\":{\"iss\":\"z\"}}",
                      32);
    struct px_jwt t;
    char err[64];
    CU_ASSERT_EQUAL_FATAL(decode(tok, &t, err, sizeof err), 0);
    const char *s = NULL;
    double d = 0;
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "iss", &s), 0);
    CU_ASSERT_STRING_EQUAL(s, "a");
    CU_ASSERT_EQUAL(px_jwt_claim_number(&t, "exp", &d), -2); /* a string, not a number */
    CU_ASSERT_EQUAL(px_jwt_claim_number(&t, "nbf", &d), -2); /* a boolean */
    CU_ASSERT_EQUAL(px_jwt_claim_number(&t, "n", &d), -2);
    CU_ASSERT_EQUAL(px_jwt_claim_number(&t, "iat", &d), 0);
    CU_ASSERT_EQUAL(d, 1.5);
    CU_ASSERT_EQUAL(px_jwt_claim_number(&t, "absent", &d), -1);
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "sub", &s), -2);
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "aud", &s), -2);
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "o", &s), -2);
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "absent", &s), -1);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "aud", "x"), 1);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "aud", "y"), 1);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "aud", "3"), 0);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "aud", "z"), 0);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "iss", "a"), 1);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "iss", "A"), 0);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "sub", "5"), 0);
    CU_ASSERT_EQUAL(px_jwt_claim_has(&t, "absent", "a"), 0);
    px_jwt_free(&t);
    free(tok);
}

static void test_jwt_sign_errors(void)
{
    char err[128] = "";
    struct px_jwt_key *pub = pem_key(pub_pem[K_RSA]);
    struct px_jwt_key *priv = pem_key(priv_pem[K_RSA]);
    struct px_jwt_key *sec = px_jwt_key_secret(secret, strlen(secret));
    CU_ASSERT_FALSE(px_jwt_key_can_sign(pub));
    CU_ASSERT_TRUE(px_jwt_key_can_sign(priv));
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_RS256, NULL, "{}", pub, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "RS256 needs a private key");
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_HS256, NULL, "{}", priv, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "the key does not fit HS256");
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_ES256, NULL, "{}", priv, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "the key does not fit ES256");
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_HS256, NULL, "[1]", sec, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "payload is not a JSON object");
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_HS256, NULL, "{", sec, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "payload: invalid JSON");
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_HS256, NULL, "{\"a\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}",
                                   sec, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "payload: too deeply nested");
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_HS256, "\xff", "{}", sec, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "kid is not UTF-8");
    struct px_jwt_key *empty = px_jwt_key_secret("", 0);
    CU_ASSERT_FALSE(px_jwt_key_fits(empty, PX_JWT_HS256));
    px_jwt_key_free(empty);
    px_jwt_key_free(pub);
    px_jwt_key_free(priv);
    px_jwt_key_free(sec);
}

/* RSA under 2048 bits fits no RS alg (RFC 7518 section 3.3); a P-256 key fits ES256 only. */
static void test_jwt_key_fits_policy(void)
{
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    CU_ASSERT_PTR_NOT_NULL_FATAL(small);
    char err[64];
    struct px_jwt_key *k = px_jwt_key_wrap(small, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_FALSE(px_jwt_key_fits(k, PX_JWT_RS256));
    CU_ASSERT_PTR_NULL(px_jwt_sign(PX_JWT_RS256, NULL, "{}", k, err, sizeof err));
    px_jwt_key_free(k);
    struct px_jwt_key *ec = pem_key(pub_pem[K_P256]);
    for (int a = PX_JWT_NONE; a <= PX_JWT_UNKNOWN; a++)
        CU_ASSERT_EQUAL(px_jwt_key_fits(ec, a), a == PX_JWT_ES256);
    px_jwt_key_free(ec);
    struct px_jwt_key *rsa = pem_key(pub_pem[K_RSA]);
    for (int a = PX_JWT_NONE; a <= PX_JWT_UNKNOWN; a++)
        CU_ASSERT_EQUAL(px_jwt_key_fits(rsa, a), a >= PX_JWT_RS256 && a <= PX_JWT_RS512);
    px_jwt_key_free(rsa);
    CU_ASSERT_FALSE(px_jwt_key_fits(NULL, PX_JWT_HS256));
}

static void test_jwt_pem_forms(void)
{
    char err[128] = "";
    CU_ASSERT_PTR_NULL(px_jwt_key_pem("not a key", err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "no PEM public key, private key or certificate");
    /* A self-signed certificate: its public key. */
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkeys[K_P384]);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"jwt test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    CU_ASSERT(X509_sign(x, pkeys[K_P384], EVP_sha384()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    X509_free(x);
    char *cert = bio_text(b);
    struct px_jwt_key *k = px_jwt_key_pem(cert, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_TRUE(px_jwt_key_fits(k, PX_JWT_ES384));
    CU_ASSERT_FALSE(px_jwt_key_can_sign(k));
    CU_ASSERT_EQUAL(EVP_PKEY_eq(k->pkey, pkeys[K_P384]), 1);
    struct px_jwt_key *sk = pem_key(priv_pem[K_P384]);
    char *tok = px_jwt_sign(PX_JWT_ES384, NULL, "{}", sk, err, sizeof err);
    CU_ASSERT_TRUE(token_verifies(tok, k));
    free(tok);
    px_jwt_key_free(sk);
    px_jwt_key_free(k);
    free(cert);
    /* An Ed25519 key is neither RSA nor EC. */
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *ed_pem = pem_of(ed, 0);
    CU_ASSERT_PTR_NULL(px_jwt_key_pem(ed_pem, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "a ED25519 key is neither RSA nor EC");
    free(ed_pem);
    EVP_PKEY_free(ed);
}

/* Each public key to its JWK and back gives the same key, which verifies the private key's tokens.
 */
static void test_jwt_jwk_round_trip(void)
{
    const enum px_jwt_alg alg_of[K_N] = {PX_JWT_RS256, PX_JWT_ES256, PX_JWT_ES384, PX_JWT_ES512};
    const char *kty_of[K_N] = {"RSA", "EC", "EC", "EC"};
    for (int i = 0; i < K_N; i++) {
        char err[128] = "";
        struct px_jwt_key *pub = pem_key(pub_pem[i]), *priv = pem_key(priv_pem[i]);
        char *jwk = px_jwk_public_json(priv, "key-1", alg_of[i], err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(jwk);
        char *prefix = fl_asprintf("{\"kty\":\"%s\",", kty_of[i]);
        CU_ASSERT_EQUAL(strncmp(jwk, prefix, strlen(prefix)), 0);
        free(prefix);
        CU_ASSERT_PTR_NOT_NULL(strstr(jwk, "\"kid\":\"key-1\""));
        CU_ASSERT_PTR_NULL(strstr(jwk, "\"d\"")); /* nothing private */
        struct px_jwt_key *back = px_jwt_key_jwk(jwk, strlen(jwk), err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(back);
        CU_ASSERT_EQUAL(EVP_PKEY_eq(back->pkey, pkeys[i]), 1);
        CU_ASSERT_FALSE(px_jwt_key_can_sign(back));
        char *tok = px_jwt_sign(alg_of[i], "key-1", "{\"sub\":\"s\"}", priv, err, sizeof err);
        CU_ASSERT_TRUE(token_verifies(tok, back));
        free(tok);
        free(jwk);
        px_jwt_key_free(back);
        px_jwt_key_free(pub);
        px_jwt_key_free(priv);
    }
    /* A secret's JWK: exactly the oct form of RFC 7517. */
    struct px_jwt_key *s = px_jwt_key_secret("\xff\xef", 2);
    char err[64];
    char *jwk = px_jwk_public_json(s, NULL, PX_JWT_HS256, err, sizeof err);
    CU_ASSERT_STRING_EQUAL(jwk,
                           "{\"kty\":\"oct\",\"use\":\"sig\",\"alg\":\"HS256\",\"k\":\"_-8\"}");
    free(jwk);
    CU_ASSERT_PTR_NULL(px_jwk_public_json(s, "\xff", -1, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "kid is not UTF-8");
    CU_ASSERT_PTR_NULL(px_jwk_public_json(s, NULL, PX_JWT_RS256, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "alg RS256 does not fit the key");
    px_jwt_key_free(s);
}

/* The x coordinate of the P-256 key's JWK, to craft JWKs around. */
static void p256_xy(char **x, char **y)
{
    char err[64];
    struct px_jwt_key *k = pem_key(pub_pem[K_P256]);
    char *jwk = px_jwk_public_json(k, NULL, -1, err, sizeof err);
    json_t *o = json_loads(jwk, 0, NULL);
    *x = fl_strdup(json_string_value(json_object_get(o, "x")));
    *y = fl_strdup(json_string_value(json_object_get(o, "y")));
    json_decref(o);
    free(jwk);
    px_jwt_key_free(k);
}

static const char *jwk_error(const char *json)
{
    static char err[128];
    err[0] = '\0';
    struct px_jwt_key *k = px_jwt_key_jwk(json, strlen(json), err, sizeof err);
    px_jwt_key_free(k);
    return err;
}

static void test_jwt_jwk_malformed_refused(void)
{
    char *x, *y;
    p256_xy(&x, &y);
    char *ok = fl_asprintf("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    CU_ASSERT_STRING_EQUAL(jwk_error(ok), "");
    char *wrong_curve =
        fl_asprintf("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    CU_ASSERT_STRING_EQUAL(jwk_error(wrong_curve), "JWK EC \"x\" or \"y\" is not 48 bytes long");
    /* y of another point: not on the curve. */
    char *off = fl_asprintf("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x, x);
    CU_ASSERT_STRING_EQUAL(jwk_error(off), "JWK is not a valid EC public key");
    CU_ASSERT_STRING_EQUAL(
        jwk_error("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"\",\"y\":\"\"}"),
        "JWK EC curve \"secp256k1\" is not P-256, P-384 or P-521");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), "JWK has no \"n\"");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":5}"),
                           "JWK \"e\" is not a string");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":\"RSA\",\"n\":\"AQA=\",\"e\":\"AQAB\"}"),
                           "JWK \"n\" is not base64url");
    /* An even modulus is no RSA key. */
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":\"RSA\",\"n\":\"AAAAAAAAAAAA\",\"e\":\"AQAB\"}"),
                           "JWK is not a valid RSA public key");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":\"oct\",\"k\":\"\"}"), "JWK oct \"k\" is empty");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}"),
                           "JWK kty \"OKP\" is not RSA, EC or oct");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"n\":\"AQAB\"}"), "JWK has no \"kty\" string");
    CU_ASSERT_STRING_EQUAL(jwk_error("[]"), "JWK is not an object");
    CU_ASSERT_STRING_EQUAL(jwk_error("{\"kty\":"), "invalid JSON");
    free(ok);
    free(wrong_curve);
    free(off);
    free(x);
    free(y);
}

static void test_jwt_jwks_parse(void)
{
    char err[160] = "";
    struct px_jwt_key *rsa = pem_key(priv_pem[K_RSA]), *ec = pem_key(priv_pem[K_P256]);
    char *j_rsa = px_jwk_public_json(rsa, "r1", PX_JWT_RS256, err, sizeof err);
    char *j_ec = px_jwk_public_json(ec, "e1", -1, err, sizeof err);
    char *doc =
        fl_asprintf("{\"keys\":[%s,{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"},%s,"
                    "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"use\":\"enc\"},"
                    "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"s1\",\"alg\":\"XX999\"}]}",
                    j_rsa, j_ec);
    struct px_jwks set;
    CU_ASSERT_EQUAL_FATAL(px_jwks_parse(doc, strlen(doc), &set, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(set.n, 3);
    CU_ASSERT_STRING_EQUAL(set.keys[0].kid, "r1");
    CU_ASSERT_EQUAL(set.keys[0].alg, PX_JWT_RS256);
    CU_ASSERT_STRING_EQUAL(set.keys[1].kid, "e1");
    CU_ASSERT_EQUAL(set.keys[1].alg, -1);
    CU_ASSERT_STRING_EQUAL(set.keys[2].kid, "s1");
    CU_ASSERT_EQUAL(set.keys[2].alg, PX_JWT_UNKNOWN);
    CU_ASSERT_EQUAL(set.keys[2].key->secret_len, 6);
    char *tok = px_jwt_sign(PX_JWT_RS256, "r1", "{}", rsa, err, sizeof err);
    CU_ASSERT_TRUE(token_verifies(tok, set.keys[0].key));
    CU_ASSERT_FALSE(token_verifies(tok, set.keys[1].key));
    free(tok);
    tok = px_jwt_sign(PX_JWT_ES256, "e1", "{}", ec, err, sizeof err);
    CU_ASSERT_TRUE(token_verifies(tok, set.keys[1].key));
    free(tok);
    px_jwks_free(&set);
    CU_ASSERT_EQUAL(set.n, 0);
    free(doc);

    const struct {
        const char *doc, *err;
    } bad[] = {
        {"{}", "JWKS has no \"keys\" array"},
        {"{\"keys\":{}}", "JWKS has no \"keys\" array"},
        {"{\"keys\":[]}", "JWKS has no RSA, EC or oct key"},
        {"{\"keys\":[{\"kty\":\"OKP\"}]}", "JWKS has no RSA, EC or oct key"},
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AQ\"},{\"kty\":\"oct\",\"k\":\"A=\"}]}",
         "keys[1]: JWK \"k\" is not base64url"},
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AQ\",\"alg\":\"RS256\"}]}",
         "keys[0]: alg RS256 does not fit a oct key"},
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AQ\",\"alg\":\"none\"}]}",
         "keys[0]: alg none does not fit a oct key"},
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AQ\",\"kid\":1}]}",
         "keys[0]: \"kid\" or \"alg\" is not a string"},
        {"{\"keys\":[7]}", "keys[0]: JWK is not an object"},
        {"{\"keys\":[", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CU_ASSERT_EQUAL(px_jwks_parse(bad[i].doc, strlen(bad[i].doc), &set, err, sizeof err), -1);
        CU_ASSERT_STRING_EQUAL(err, bad[i].err);
        CU_ASSERT_EQUAL(set.n, 0);
        CU_ASSERT_PTR_NULL(set.keys);
    }
    free(j_rsa);
    free(j_ec);
    px_jwt_key_free(rsa);
    px_jwt_key_free(ec);
}

/* A failed decode leaves *out empty: freeing it twice is harmless and verify refuses it. */
static void test_jwt_failed_decode_is_empty(void)
{
    struct px_jwt t;
    char err[64];
    CU_ASSERT_EQUAL(decode("eyJhbGciOiJIUzI1NiJ9.e30=.AAAA", &t, err, sizeof err), -1);
    CU_ASSERT_PTR_NULL(t.header_json);
    CU_ASSERT_PTR_NULL(t.payload);
    CU_ASSERT_PTR_NULL(t.sig);
    CU_ASSERT_EQUAL(t.alg, PX_JWT_UNKNOWN);
    struct px_jwt_key *k = px_jwt_key_secret(secret, strlen(secret));
    CU_ASSERT_EQUAL(px_jwt_verify(&t, k), -1);
    const char *s;
    CU_ASSERT_EQUAL(px_jwt_claim_string(&t, "iss", &s), -1);
    px_jwt_free(&t);
    px_jwt_free(&t);
    px_jwt_key_free(k);
}

void suite_jwt(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/jwt", keys_init, keys_cleanup);
    TEST_ADD(test_jwt_alg_names);
    TEST_ADD(test_jwt_b64url_strict);
    TEST_ADD(test_jwt_b64_any_as_kong);
    TEST_ADD(test_jwt_sign_verify_every_alg);
    TEST_ADD(test_jwt_wrong_keys_refused);
    TEST_ADD(test_jwt_rfc7515_a1_known_answer);
    TEST_ADD(test_jwt_alg_none_refused);
    TEST_ADD(test_jwt_algorithm_confusion_refused);
    TEST_ADD(test_jwt_flipped_signature_refused);
    TEST_ADD(test_jwt_wrong_signature_length_refused);
    TEST_ADD(test_jwt_edited_payload_refused);
    TEST_ADD(test_jwt_malformed_base64_refused);
    TEST_ADD(test_jwt_malformed_json_refused);
    TEST_ADD(test_jwt_part_count_refused);
    TEST_ADD(test_jwt_oversized_token_refused_quickly);
    TEST_ADD(test_jwt_claims_typed);
    TEST_ADD(test_jwt_sign_errors);
    TEST_ADD(test_jwt_key_fits_policy);
    TEST_ADD(test_jwt_pem_forms);
    TEST_ADD(test_jwt_jwk_round_trip);
    TEST_ADD(test_jwt_jwk_malformed_refused);
    TEST_ADD(test_jwt_jwks_parse);
    TEST_ADD(test_jwt_failed_decode_is_empty);
}
