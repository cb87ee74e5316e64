/*
 * jwt.c - compact JWS tokens (jwt.h): decode, claims, verify, sign.
 * Keys are jwk.c's. RFC 7515 section 5.2 is the order of the checks:
 * three parts, each base64url, the header a JSON object with "alg", then
 * the signature over the first two parts' ASCII text.
 */
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/b64url.h"
#include "proxies/jwt_internal.h"

/* The names of RFC 7518 section 3.1, indexed by enum px_jwt_alg. */
static const char *const alg_names[] = {
    [PX_JWT_NONE] = "none",   [PX_JWT_HS256] = "HS256",     [PX_JWT_HS384] = "HS384",
    [PX_JWT_HS512] = "HS512", [PX_JWT_RS256] = "RS256",     [PX_JWT_RS384] = "RS384",
    [PX_JWT_RS512] = "RS512", [PX_JWT_ES256] = "ES256",     [PX_JWT_ES384] = "ES384",
    [PX_JWT_ES512] = "ES512", [PX_JWT_UNKNOWN] = "unknown",
};

int px_jwt_alg_parse(const char *name)
{
    FL_ASSERT(name);
    for (int a = PX_JWT_NONE; a < PX_JWT_UNKNOWN; a++)
        if (!strcmp(alg_names[a], name)) return a;
    return -1;
}

const char *px_jwt_alg_name(enum px_jwt_alg a)
{
    FL_ASSERT(a >= PX_JWT_NONE && a <= PX_JWT_UNKNOWN);
    return alg_names[a];
}

/* The digest of an HS, RS or ES alg (SHA-2 of its size). */
static const char *alg_digest(int a)
{
    switch (a) {
    case PX_JWT_HS256:
    case PX_JWT_RS256:
    case PX_JWT_ES256: return "SHA256";
    case PX_JWT_HS384:
    case PX_JWT_RS384:
    case PX_JWT_ES384: return "SHA384";
    case PX_JWT_HS512:
    case PX_JWT_RS512:
    case PX_JWT_ES512: return "SHA512";
    default: FL_ASSERT(!"an alg with a digest"); return NULL;
    }
}

static int is_hs(int a)
{
    return a >= PX_JWT_HS256 && a <= PX_JWT_HS512;
}

static int is_es(int a)
{
    return a >= PX_JWT_ES256 && a <= PX_JWT_ES512;
}

/* ---- JSON ---- */

/*
 * 1 iff arrays and objects nest at most PX_JWT_MAX_DEPTH deep in text (a
 * scan that skips strings; malformed text is left to the parser).
 */
static int depth_ok(const char *text, size_t len)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > PX_JWT_MAX_DEPTH) return 0;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 1;
}

json_t *px_jwt_json_parse(const char *text, size_t len, char *err, size_t errsz)
{
    FL_ASSERT(text || len == 0);
    if (!depth_ok(text, len)) return px_jwt_err(err, errsz, "too deeply nested"), NULL;
    json_error_t je;
    json_t *v = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v) px_jwt_err(err, errsz, "invalid JSON");
    return v;
}

/* ---- decoding ---- */

/* Decodes one base64url part holding a JSON object: the object, *text its text; NULL with err. */
static json_t *decode_json_part(const char *part, size_t n, const char *what, char **text,
                                char *err, size_t errsz)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (px_b64url_decode(part, n, &raw, &raw_len) != 0)
        return px_jwt_err(err, errsz, "invalid base64"), NULL;
    json_t *v = px_jwt_json_parse((const char *)raw, raw_len, err, errsz);
    if (v && !json_is_object(v)) {
        px_jwt_err(err, errsz, "%s is not an object", what);
        json_decref(v);
        v = NULL;
    }
    if (!v) {
        free(raw);
        return NULL;
    }
    *text = (char *)raw;
    return v;
}

/* The header's alg, kid and crit into t; 0 or -1 with err. */
static int read_header(struct px_jwt *t, const json_t *h, char *err, size_t errsz)
{
    FL_ASSERT(t && json_is_object(h));
    const json_t *alg = json_object_get(h, "alg"), *kid = json_object_get(h, "kid");
    if (!alg) return px_jwt_err(err, errsz, "header has no alg");
    if (!json_is_string(alg)) return px_jwt_err(err, errsz, "alg is not a string");
    if (kid && !json_is_string(kid)) return px_jwt_err(err, errsz, "kid is not a string");
    /* RFC 7515 section 4.1.11: a recipient that does not understand a crit extension rejects. */
    if (json_object_get(h, "crit")) return px_jwt_err(err, errsz, "unsupported crit");
    const char *a = json_string_value(alg);
    snprintf(t->alg_text, sizeof t->alg_text, "%s", a);
    int parsed = px_jwt_alg_parse(a);
    t->alg = parsed >= 0 ? parsed : PX_JWT_UNKNOWN;
    if (kid) t->kid = fl_strdup(json_string_value(kid));
    return 0;
}

int px_jwt_decode(const char *token, size_t len, struct px_jwt *out, char *err, size_t errsz)
{
    FL_ASSERT(out && (token || len == 0));
    memset(out, 0, sizeof *out);
    out->alg = PX_JWT_UNKNOWN;
    if (len > PX_JWT_MAX_TOKEN) return px_jwt_err(err, errsz, "too large");
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return px_jwt_err(err, errsz, "not 3 parts");
    FL_ASSERT(d1 < d2 && d2 < token + len + 1);
    out->token = token;
    out->signed_len = (size_t)(d2 - token);
    json_t *h =
        decode_json_part(token, (size_t)(d1 - token), "header", &out->header_json, err, errsz);
    if (!h) goto fail;
    int rc = read_header(out, h, err, errsz);
    json_decref(h);
    if (rc) goto fail;
    json_t *p =
        decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &out->payload_json, err, errsz);
    if (!p) goto fail;
    out->payload = p;
    if (px_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &out->sig, &out->sig_len) != 0) {
        px_jwt_err(err, errsz, "invalid base64");
        goto fail;
    }
    FL_ASSERT(out->header_json && out->payload_json && out->sig);
    return 0;
fail:
    px_jwt_free(out);
    out->alg = PX_JWT_UNKNOWN;
    return -1;
}

void px_jwt_free(struct px_jwt *t)
{
    if (!t) return;
    free(t->kid);
    free(t->header_json);
    free(t->payload_json);
    json_decref((json_t *)t->payload);
    free(t->sig);
    memset(t, 0, sizeof *t);
}

/* ---- claims ---- */

static const json_t *claim(const struct px_jwt *t, const char *name)
{
    FL_ASSERT(t && name);
    return t->payload ? json_object_get((const json_t *)t->payload, name) : NULL;
}

int px_jwt_claim_string(const struct px_jwt *t, const char *name, const char **out)
{
    const json_t *v = claim(t, name);
    if (!v) return -1;
    if (!json_is_string(v)) return -2;
    if (out) *out = json_string_value(v);
    return 0;
}

int px_jwt_claim_number(const struct px_jwt *t, const char *name, double *out)
{
    const json_t *v = claim(t, name);
    if (!v) return -1;
    if (!json_is_number(v)) return -2;
    if (out) *out = json_number_value(v);
    return 0;
}

int px_jwt_claim_has(const struct px_jwt *t, const char *name, const char *value)
{
    FL_ASSERT(value);
    const json_t *v = claim(t, name);
    if (json_is_string(v)) return !strcmp(json_string_value(v), value);
    if (!json_is_array(v)) return 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        if (json_is_string(e) && !strcmp(json_string_value(e), value)) return 1;
    }
    return 0;
}

/* ---- signatures ---- */

/* HMAC of data with k's secret into mac (EVP_MAX_MD_SIZE); its length, or 0 on failure. */
static size_t hmac(int alg, const struct px_jwt_key *k, const void *data, size_t n,
                   unsigned char *mac)
{
    FL_ASSERT(is_hs(alg) && k->kind == PX_KEY_SECRET);
    size_t len = 0;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, alg_digest(alg), NULL, k->secret, k->secret_len, data, n,
                   mac, EVP_MAX_MD_SIZE, &len))
        return 0;
    return len;
}

/* A raw r || s signature (2 * coord bytes) as DER (malloc'd); NULL if it is not one. */
static unsigned char *ecdsa_raw_to_der(const unsigned char *sig, size_t coord, int *der_len)
{
    BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL), *s = BN_bin2bn(sig + coord, (int)coord, NULL);
    ECDSA_SIG *es = ECDSA_SIG_new();
    FL_ASSERT(r && s && es);
    FL_ASSERT(ECDSA_SIG_set0(es, r, s) == 1);
    unsigned char *der = NULL;
    *der_len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (*der_len <= 0) return NULL;
    return der;
}

int px_jwt_verify(const struct px_jwt *t, const struct px_jwt_key *k)
{
    FL_ASSERT(t);
    if (!t->token || !t->sig || !px_jwt_key_fits(k, t->alg)) return -1;
    FL_ASSERT(t->alg > PX_JWT_NONE && t->alg < PX_JWT_UNKNOWN);
    if (is_hs(t->alg)) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t n = hmac(t->alg, k, t->token, t->signed_len, mac);
        int ok = n > 0 && n == t->sig_len && CRYPTO_memcmp(mac, t->sig, n) == 0;
        OPENSSL_cleanse(mac, sizeof mac);
        return ok ? 0 : -1;
    }
    const unsigned char *sig = t->sig;
    size_t sig_len = t->sig_len;
    unsigned char *der = NULL;
    if (is_es(t->alg)) {
        /* RFC 7518 section 3.4: the JWS signature is R || S, each the curve's coordinate size. */
        size_t coord = px_jwt_ec_coord_bytes(t->alg);
        if (t->sig_len != 2 * coord) return -1;
        int der_len = 0;
        der = ecdsa_raw_to_der(t->sig, coord, &der_len);
        if (!der) return -1;
        sig = der;
        sig_len = (size_t)der_len;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    FL_ASSERT(md);
    int ok =
        EVP_DigestVerifyInit_ex(md, NULL, alg_digest(t->alg), NULL, NULL, k->pkey, NULL) == 1 &&
        EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)t->token, t->signed_len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ERR_clear_error();
    return ok ? 0 : -1;
}

/* ---- signing ---- */

/* The signature of data under k for alg (raw r || s for ES), malloc'd; NULL with err. */
static unsigned char *sign_bytes(int alg, const struct px_jwt_key *k, const char *data, size_t n,
                                 size_t *sig_len, char *err, size_t errsz)
{
    FL_ASSERT(px_jwt_key_fits(k, alg) && k->priv);
    if (is_hs(alg)) {
        unsigned char *mac = fl_malloc(EVP_MAX_MD_SIZE);
        *sig_len = hmac(alg, k, data, n, mac);
        if (*sig_len) return mac;
        free(mac);
        return px_jwt_err(err, errsz, "HMAC failed"), NULL;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    FL_ASSERT(md);
    unsigned char *sig = NULL;
    size_t len = 0;
    if (EVP_DigestSignInit_ex(md, NULL, alg_digest(alg), NULL, NULL, k->pkey, NULL) == 1 &&
        EVP_DigestSign(md, NULL, &len, (const unsigned char *)data, n) == 1) {
        sig = fl_malloc(len);
        if (EVP_DigestSign(md, sig, &len, (const unsigned char *)data, n) != 1) {
            free(sig);
            sig = NULL;
        }
    }
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    if (!sig) return px_jwt_err(err, errsz, "signing failed"), NULL;
    if (!is_es(alg)) {
        *sig_len = len;
        return sig;
    }
    /* DER ECDSA-Sig-Value to R || S (RFC 7518 section 3.4). */
    size_t coord = px_jwt_ec_coord_bytes(alg);
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
    free(sig);
    FL_ASSERT(es);
    unsigned char *raw = fl_malloc(2 * coord);
    FL_ASSERT(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)coord) == (int)coord);
    FL_ASSERT(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + coord, (int)coord) == (int)coord);
    ECDSA_SIG_free(es);
    *sig_len = 2 * coord;
    return raw;
}

/* header_b64 '.' payload_b64 for alg, kid and payload_json; NULL with err. */
static char *signing_input(enum px_jwt_alg alg, const char *kid, const char *payload_json,
                           char *err, size_t errsz)
{
    char why[64];
    json_t *p = px_jwt_json_parse(payload_json, strlen(payload_json), why, sizeof why);
    int is_object = json_is_object(p);
    json_decref(p);
    if (!p) return px_jwt_err(err, errsz, "payload: %s", why), NULL;
    if (!is_object) return px_jwt_err(err, errsz, "payload is not a JSON object"), NULL;
    json_t *h = json_object();
    json_object_set_new(h, "alg", json_string(px_jwt_alg_name(alg)));
    json_object_set_new(h, "typ", json_string("JWT"));
    json_t *kid_v = kid ? json_string(kid) : NULL;
    if (kid && !kid_v) {
        json_decref(h);
        return px_jwt_err(err, errsz, "kid is not UTF-8"), NULL;
    }
    if (kid_v) json_object_set_new(h, "kid", kid_v);
    char *hj = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(h);
    FL_ASSERT(hj);
    char *h64 = px_b64url_encode(hj, strlen(hj), NULL);
    char *p64 = px_b64url_encode(payload_json, strlen(payload_json), NULL);
    char *input = fl_asprintf("%s.%s", h64, p64);
    free(hj);
    free(h64);
    free(p64);
    return input;
}

char *px_jwt_sign(enum px_jwt_alg alg, const char *kid, const char *payload_json,
                  const struct px_jwt_key *k, char *err, size_t errsz)
{
    FL_ASSERT(payload_json);
    if (alg < PX_JWT_NONE || alg >= PX_JWT_UNKNOWN)
        return px_jwt_err(err, errsz, "unknown alg"), NULL;
    if (alg != PX_JWT_NONE && !px_jwt_key_fits(k, alg))
        return px_jwt_err(err, errsz, "the key does not fit %s", px_jwt_alg_name(alg)), NULL;
    if (alg != PX_JWT_NONE && !k->priv)
        return px_jwt_err(err, errsz, "%s needs a private key", px_jwt_alg_name(alg)), NULL;
    char *input = signing_input(alg, kid, payload_json, err, errsz);
    if (!input) return NULL;
    size_t n = strlen(input);
    if (alg == PX_JWT_NONE) {
        char *tok = fl_asprintf("%s.", input);
        free(input);
        return tok;
    }
    size_t sig_len = 0;
    unsigned char *sig = sign_bytes(alg, k, input, n, &sig_len, err, errsz);
    char *tok = NULL;
    if (sig) {
        char *s64 = px_b64url_encode(sig, sig_len, NULL);
        tok = fl_asprintf("%s.%s", input, s64);
        free(s64);
        free(sig);
    }
    free(input);
    FL_ASSERT(!tok || strlen(tok) > n);
    return tok;
}
