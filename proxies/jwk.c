/*
 * jwk.c - keys for JWS (jwt.h): HMAC secrets, PEM keys and certificates,
 * JSON Web Keys and JWK sets (RFC 7517, RFC 7518 section 6), and the
 * public JWK of a key. OpenSSL 3 builds and checks the keys
 * (EVP_PKEY_fromdata, EVP_PKEY_public_check); jansson reads the JSON.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/b64url.h"
#include "proxies/jwt_internal.h"

int px_jwt_err(char *err, size_t errsz, const char *fmt, ...)
{
    FL_ASSERT(fmt);
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

size_t px_jwt_ec_coord_bytes(int alg)
{
    switch (alg) {
    case PX_JWT_ES256: return 32;
    case PX_JWT_ES384: return 48;
    case PX_JWT_ES512: return 66; /* P-521: ceil(521 / 8) */
    default: return 0;
    }
}

struct px_jwt_key *px_jwt_key_secret(const void *bytes, size_t n)
{
    FL_ASSERT(bytes || n == 0);
    struct px_jwt_key *k = fl_calloc(1, sizeof *k);
    k->kind = PX_KEY_SECRET;
    k->secret = fl_malloc(n ? n : 1);
    if (n) memcpy(k->secret, bytes, n);
    k->secret_len = n;
    k->curve_alg = -1;
    k->priv = 1;
    return k;
}

/* The ES alg of an EC key's curve, or -1 for another curve. */
static int ec_curve_alg(const EVP_PKEY *pkey)
{
    char name[64];
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
        1)
        return -1;
    switch (OBJ_sn2nid(name)) {
    case NID_X9_62_prime256v1: return PX_JWT_ES256;
    case NID_secp384r1: return PX_JWT_ES384;
    case NID_secp521r1: return PX_JWT_ES512;
    default: return -1;
    }
}

/* 1 iff pkey has the private parameter name. */
static int has_bn_param(const EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1;
    BN_clear_free(bn);
    return ok;
}

struct px_jwt_key *px_jwt_key_wrap(EVP_PKEY *pkey, char *err, size_t errsz)
{
    FL_ASSERT(pkey);
    enum px_jwt_key_kind kind;
    if (EVP_PKEY_is_a(pkey, "RSA"))
        kind = PX_KEY_RSA;
    else if (EVP_PKEY_is_a(pkey, "EC"))
        kind = PX_KEY_EC;
    else {
        px_jwt_err(err, errsz, "a %s key is neither RSA nor EC", EVP_PKEY_get0_type_name(pkey));
        EVP_PKEY_free(pkey);
        return NULL;
    }
    struct px_jwt_key *k = fl_calloc(1, sizeof *k);
    k->kind = kind;
    k->pkey = pkey;
    k->bits = EVP_PKEY_get_bits(pkey);
    k->curve_alg = kind == PX_KEY_EC ? ec_curve_alg(pkey) : -1;
    k->priv =
        has_bn_param(pkey, kind == PX_KEY_RSA ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY);
    FL_ASSERT(k->bits > 0);
    return k;
}

/* A passphrase callback that gives none: an encrypted key is refused, never prompted for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

struct px_jwt_key *px_jwt_key_pem(const char *pem, char *err, size_t errsz)
{
    FL_ASSERT(pem);
    EVP_PKEY *pkey = NULL;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    FL_ASSERT(bio);
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL, 0, NULL, NULL);
    if (dctx) {
        OSSL_DECODER_CTX_set_pem_password_cb(dctx, no_passphrase, NULL);
        if (OSSL_DECODER_from_bio(dctx, bio) != 1) pkey = NULL;
        OSSL_DECODER_CTX_free(dctx);
    }
    BIO_free(bio);
    if (!pkey) {
        /* Not a key: a certificate's public key then. */
        bio = BIO_new_mem_buf(pem, -1);
        FL_ASSERT(bio);
        X509 *cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        BIO_free(bio);
        if (cert) {
            pkey = X509_get_pubkey(cert);
            X509_free(cert);
        }
    }
    ERR_clear_error();
    if (!pkey) {
        px_jwt_err(err, errsz, "no PEM public key, private key or certificate");
        return NULL;
    }
    return px_jwt_key_wrap(pkey, err, errsz);
}

void px_jwt_key_free(struct px_jwt_key *k)
{
    if (!k) return;
    FL_ASSERT(k->kind == PX_KEY_SECRET || k->pkey);
    if (k->secret) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        free(k->secret);
    }
    EVP_PKEY_free(k->pkey);
    free(k);
}

int px_jwt_key_fits(const struct px_jwt_key *k, enum px_jwt_alg a)
{
    if (!k) return 0;
    switch (a) {
    case PX_JWT_HS256:
    case PX_JWT_HS384:
    case PX_JWT_HS512: return k->kind == PX_KEY_SECRET && k->secret_len > 0;
    case PX_JWT_RS256:
    case PX_JWT_RS384:
    case PX_JWT_RS512: return k->kind == PX_KEY_RSA && k->bits >= 2048;
    case PX_JWT_ES256:
    case PX_JWT_ES384:
    case PX_JWT_ES512: return k->kind == PX_KEY_EC && k->curve_alg == (int)a;
    default: return 0;
    }
}

int px_jwt_key_can_sign(const struct px_jwt_key *k)
{
    FL_ASSERT(k);
    return k->priv;
}

/* ---- JWK ---- */

/* The base64url member name of o, decoded; -1 with err when absent or malformed. */
static int member_b64(const json_t *o, const char *name, unsigned char **out, size_t *len,
                      char *err, size_t errsz)
{
    FL_ASSERT(json_is_object(o) && name);
    const json_t *v = json_object_get(o, name);
    if (!v) return px_jwt_err(err, errsz, "JWK has no \"%s\"", name);
    if (!json_is_string(v)) return px_jwt_err(err, errsz, "JWK \"%s\" is not a string", name);
    if (px_b64url_decode(json_string_value(v), json_string_length(v), out, len) != 0)
        return px_jwt_err(err, errsz, "JWK \"%s\" is not base64url", name);
    return 0;
}

/* Builds a public key of type from params; NULL with err when OpenSSL refuses it or its check
 * fails. */
static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, char *err, size_t errsz)
{
    FL_ASSERT(type && bld);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
        EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!check || EVP_PKEY_public_check(check) != 1) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
        EVP_PKEY_CTX_free(check);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    ERR_clear_error();
    if (!pkey) px_jwt_err(err, errsz, "JWK is not a valid %s public key", type);
    return pkey;
}

static EVP_PKEY *jwk_rsa(const json_t *o, char *err, size_t errsz)
{
    unsigned char *n = NULL, *e = NULL;
    size_t n_len = 0, e_len = 0;
    if (member_b64(o, "n", &n, &n_len, err, errsz) || member_b64(o, "e", &e, &e_len, err, errsz)) {
        free(n);
        return NULL;
    }
    EVP_PKEY *pkey = NULL;
    if (n_len == 0 || e_len == 0 || n_len > 2048 || e_len > 8) {
        px_jwt_err(err, errsz, "JWK RSA \"n\" or \"e\" of a wrong length");
    } else {
        BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        FL_ASSERT(bn_n && bn_e && bld);
        if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
            pkey = pkey_from_params("RSA", bld, err, errsz);
        else
            px_jwt_err(err, errsz, "JWK RSA key refused");
        OSSL_PARAM_BLD_free(bld);
        BN_free(bn_n);
        BN_free(bn_e);
    }
    free(n);
    free(e);
    return pkey;
}

/* RFC 7518 section 6.2.1.1: "P-256", "P-384", "P-521"; their OpenSSL names and ES algs. */
static const struct {
    const char *crv, *group;
    int alg;
} curves[] = {
    {"P-256", "prime256v1", PX_JWT_ES256},
    {"P-384", "secp384r1", PX_JWT_ES384},
    {"P-521", "secp521r1", PX_JWT_ES512},
};

static EVP_PKEY *jwk_ec(const json_t *o, char *err, size_t errsz)
{
    const char *crv = json_string_value(json_object_get(o, "crv"));
    if (!crv) return px_jwt_err(err, errsz, "JWK EC has no \"crv\" string"), NULL;
    size_t c = 0;
    while (c < sizeof curves / sizeof curves[0] && strcmp(curves[c].crv, crv)) c++;
    if (c == sizeof curves / sizeof curves[0])
        return px_jwt_err(err, errsz, "JWK EC curve \"%.20s\" is not P-256, P-384 or P-521", crv),
               NULL;
    size_t coord = px_jwt_ec_coord_bytes(curves[c].alg);
    unsigned char *x = NULL, *y = NULL;
    size_t x_len = 0, y_len = 0;
    if (member_b64(o, "x", &x, &x_len, err, errsz) || member_b64(o, "y", &y, &y_len, err, errsz)) {
        free(x);
        return NULL;
    }
    EVP_PKEY *pkey = NULL;
    /* RFC 7518 section 6.2.1.2: x and y are the full length of a coordinate. */
    if (x_len != coord || y_len != coord) {
        px_jwt_err(err, errsz, "JWK EC \"x\" or \"y\" is not %zu bytes long", coord);
    } else {
        unsigned char point[1 + 2 * 66];
        point[0] = 0x04; /* uncompressed: 04 || x || y */
        memcpy(point + 1, x, coord);
        memcpy(point + 1 + coord, y, coord);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        FL_ASSERT(bld);
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curves[c].group, 0) ==
                1 &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * coord) ==
                1)
            pkey = pkey_from_params("EC", bld, err, errsz);
        else
            px_jwt_err(err, errsz, "JWK EC key refused");
        OSSL_PARAM_BLD_free(bld);
    }
    free(x);
    free(y);
    return pkey;
}

/* One JWK object: 0 with *out, 1 for a kty not understood here, -1 with err. */
static int jwk_from_object(const json_t *o, struct px_jwt_key **out, char *err, size_t errsz)
{
    FL_ASSERT(out);
    *out = NULL;
    if (!json_is_object(o)) return px_jwt_err(err, errsz, "JWK is not an object");
    const char *kty = json_string_value(json_object_get(o, "kty"));
    if (!kty) return px_jwt_err(err, errsz, "JWK has no \"kty\" string");
    EVP_PKEY *pkey = NULL;
    if (!strcmp(kty, "oct")) {
        unsigned char *k = NULL;
        size_t n = 0;
        if (member_b64(o, "k", &k, &n, err, errsz)) return -1;
        if (n == 0) {
            free(k);
            return px_jwt_err(err, errsz, "JWK oct \"k\" is empty");
        }
        *out = px_jwt_key_secret(k, n);
        OPENSSL_cleanse(k, n);
        free(k);
        return 0;
    }
    if (!strcmp(kty, "RSA"))
        pkey = jwk_rsa(o, err, errsz);
    else if (!strcmp(kty, "EC"))
        pkey = jwk_ec(o, err, errsz);
    else {
        px_jwt_err(err, errsz, "JWK kty \"%.20s\" is not RSA, EC or oct", kty);
        return 1;
    }
    if (!pkey) return -1;
    *out = px_jwt_key_wrap(pkey, err, errsz);
    return *out ? 0 : -1;
}

struct px_jwt_key *px_jwt_key_jwk(const char *json, size_t len, char *err, size_t errsz)
{
    FL_ASSERT(json || len == 0);
    json_t *o = px_jwt_json_parse(json, len, err, errsz);
    if (!o) return NULL;
    struct px_jwt_key *k = NULL;
    jwk_from_object(o, &k, err, errsz);
    json_decref(o);
    return k;
}

/* 1 iff a JWK's alg a (known, not none) names k's kind of key (RFC 7517 section 4.4). */
static int alg_matches_kind(int a, const struct px_jwt_key *k)
{
    FL_ASSERT(k);
    if (a >= PX_JWT_HS256 && a <= PX_JWT_HS512) return k->kind == PX_KEY_SECRET;
    if (a >= PX_JWT_RS256 && a <= PX_JWT_RS512) return k->kind == PX_KEY_RSA;
    if (a >= PX_JWT_ES256 && a <= PX_JWT_ES512) return k->kind == PX_KEY_EC;
    return 0;
}

/* Adds keys[i] of a JWK set to s: 0 (added or left out), or -1 with err. */
static int jwks_add(struct px_jwks *s, size_t *cap, const json_t *o, size_t i, char *err,
                    size_t errsz)
{
    char why[160];
    const json_t *use = json_object_get(o, "use");
    if (json_is_object(o) && use &&
        !(json_is_string(use) && !strcmp(json_string_value(use), "sig")))
        return 0; /* an encryption key: not for signatures */
    struct px_jwt_key *k = NULL;
    int rc = jwk_from_object(o, &k, why, sizeof why);
    if (rc == 1) return 0;
    if (rc < 0) return px_jwt_err(err, errsz, "keys[%zu]: %s", i, why);
    const json_t *kid = json_object_get(o, "kid"), *alg = json_object_get(o, "alg");
    int a = -1;
    if ((kid && !json_is_string(kid)) || (alg && !json_is_string(alg))) {
        px_jwt_key_free(k);
        return px_jwt_err(err, errsz, "keys[%zu]: \"kid\" or \"alg\" is not a string", i);
    }
    if (alg) {
        a = px_jwt_alg_parse(json_string_value(alg));
        if (a < 0) a = PX_JWT_UNKNOWN;
        if (a == PX_JWT_NONE || (a != PX_JWT_UNKNOWN && !alg_matches_kind(a, k))) {
            px_jwt_key_free(k);
            return px_jwt_err(err, errsz, "keys[%zu]: alg %.20s does not fit a %s key", i,
                              json_string_value(alg), json_string_value(json_object_get(o, "kty")));
        }
    }
    FL_GROW(s->keys, *cap, s->n + 1);
    s->keys[s->n++] = (struct px_jwks_entry){
        .kid = kid ? fl_strdup(json_string_value(kid)) : NULL, .alg = a, .key = k};
    return 0;
}

int px_jwks_parse(const char *json, size_t len, struct px_jwks *out, char *err, size_t errsz)
{
    FL_ASSERT((json || len == 0) && out);
    memset(out, 0, sizeof *out);
    json_t *doc = px_jwt_json_parse(json, len, err, errsz);
    if (!doc) return -1;
    const json_t *keys = json_object_get(doc, "keys");
    int rc = 0;
    if (!json_is_array(keys)) rc = px_jwt_err(err, errsz, "JWKS has no \"keys\" array");
    size_t cap = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(keys); i++)
        rc = jwks_add(out, &cap, json_array_get(keys, i), i, err, errsz);
    if (rc == 0 && out->n == 0) rc = px_jwt_err(err, errsz, "JWKS has no RSA, EC or oct key");
    json_decref(doc);
    if (rc) px_jwks_free(out);
    FL_ASSERT(rc == 0 ? out->n > 0 : out->n == 0);
    return rc;
}

void px_jwks_free(struct px_jwks *s)
{
    FL_ASSERT(s);
    for (size_t i = 0; i < s->n; i++) {
        free(s->keys[i].kid);
        px_jwt_key_free(s->keys[i].key);
    }
    free(s->keys);
    memset(s, 0, sizeof *s);
}

/* ---- export ---- */

/* Sets o[name] to the base64url of bn, left-padded with zeros to pad bytes (0: its own length). */
static void set_bn(json_t *o, const char *name, const BIGNUM *bn, size_t pad)
{
    FL_ASSERT(bn);
    size_t n = pad ? pad : (size_t)BN_num_bytes(bn);
    unsigned char *buf = fl_malloc(n ? n : 1);
    FL_ASSERT(BN_bn2binpad(bn, buf, (int)n) == (int)n);
    char *s = px_b64url_encode(buf, n, NULL);
    json_object_set_new(o, name, json_string(s));
    free(s);
    free(buf);
}

/* The key members of k's public JWK into o; 0 or -1 with err. */
static int export_key(json_t *o, const struct px_jwt_key *k, char *err, size_t errsz)
{
    FL_ASSERT(o && k);
    if (k->kind == PX_KEY_SECRET) {
        char *s = px_b64url_encode(k->secret, k->secret_len, NULL);
        json_object_set_new(o, "k", json_string(s));
        free(s);
        return 0;
    }
    const char *p1 = k->kind == PX_KEY_RSA ? OSSL_PKEY_PARAM_RSA_N : OSSL_PKEY_PARAM_EC_PUB_X;
    const char *p2 = k->kind == PX_KEY_RSA ? OSSL_PKEY_PARAM_RSA_E : OSSL_PKEY_PARAM_EC_PUB_Y;
    BIGNUM *a = NULL, *b = NULL;
    int rc = 0;
    if (k->kind == PX_KEY_EC && k->curve_alg < 0)
        rc = px_jwt_err(err, errsz, "the EC key is not on P-256, P-384 or P-521");
    else if (EVP_PKEY_get_bn_param(k->pkey, p1, &a) != 1 ||
             EVP_PKEY_get_bn_param(k->pkey, p2, &b) != 1)
        rc = px_jwt_err(err, errsz, "the key's public parameters cannot be read");
    else if (k->kind == PX_KEY_RSA) {
        set_bn(o, "n", a, 0);
        set_bn(o, "e", b, 0);
    } else {
        size_t coord = px_jwt_ec_coord_bytes(k->curve_alg);
        set_bn(o, "x", a, coord);
        set_bn(o, "y", b, coord);
    }
    BN_free(a);
    BN_free(b);
    ERR_clear_error();
    return rc;
}

char *px_jwk_public_json(const struct px_jwt_key *k, const char *kid, int alg, char *err,
                         size_t errsz)
{
    FL_ASSERT(k);
    if (alg >= 0 && !px_jwt_key_fits(k, alg)) {
        px_jwt_err(err, errsz, "alg %s does not fit the key", px_jwt_alg_name(alg));
        return NULL;
    }
    json_t *o = json_object();
    const char *kty = k->kind == PX_KEY_SECRET ? "oct" : k->kind == PX_KEY_RSA ? "RSA" : "EC";
    json_object_set_new(o, "kty", json_string(kty));
    if (k->kind == PX_KEY_EC && k->curve_alg >= 0)
        for (size_t c = 0; c < sizeof curves / sizeof curves[0]; c++)
            if (curves[c].alg == k->curve_alg)
                json_object_set_new(o, "crv", json_string(curves[c].crv));
    json_object_set_new(o, "use", json_string("sig"));
    if (alg >= 0) json_object_set_new(o, "alg", json_string(px_jwt_alg_name(alg)));
    json_t *kid_v = kid ? json_string(kid) : NULL;
    if (kid_v) json_object_set_new(o, "kid", kid_v);
    char *out = NULL;
    if (kid && !kid_v)
        px_jwt_err(err, errsz, "kid is not UTF-8");
    else if (export_key(o, k, err, errsz) == 0) {
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        FL_ASSERT(s);
        out = fl_strdup(s);
        free(s);
    }
    json_decref(o);
    return out;
}
