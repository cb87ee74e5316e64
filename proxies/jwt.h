/*
 * jwt.h - JSON Web Tokens in JWS compact form (RFC 7519, RFC 7515) and
 * JSON Web Keys (RFC 7517, RFC 7518): decode a token, read its claims,
 * verify its signature with a key, mint one; keys from a secret, a PEM
 * file or a JWK, and JWK sets. The core that Kong's jwt plugin and Istio's
 * RequestAuthentication call; they decide which key and which claims.
 *
 * Every cryptographic step is OpenSSL 3's (EVP_Q_mac, EVP_DigestSign and
 * EVP_DigestVerify, EVP_PKEY_fromdata, CRYPTO_memcmp); JSON is jansson's.
 * No global state: every call is thread-safe on distinct objects, and a key
 * or a decoded token may be read by several threads at once.
 *
 * Hostile input costs little: a token over PX_JWT_MAX_TOKEN bytes is
 * refused before anything is decoded, JSON nested deeper than
 * PX_JWT_MAX_DEPTH is refused before it is parsed, duplicate member names
 * are refused (RFC 7515 section 5.2, step 4), and so is any "crit" header
 * (RFC 7515 section 4.1.11: no extension is understood here).
 */
#ifndef FL_PROXIES_JWT_H
#define FL_PROXIES_JWT_H

#include <stddef.h>

/* The longest compact token (bytes), the deepest nesting of arrays and objects in JSON. */
#define PX_JWT_MAX_TOKEN 65536
#define PX_JWT_MAX_DEPTH 16

enum px_jwt_alg {
    PX_JWT_NONE,
    PX_JWT_HS256,
    PX_JWT_HS384,
    PX_JWT_HS512,
    PX_JWT_RS256,
    PX_JWT_RS384,
    PX_JWT_RS512,
    PX_JWT_ES256,
    PX_JWT_ES384,
    PX_JWT_ES512,
    PX_JWT_UNKNOWN
};

/* "HS256" -> PX_JWT_HS256, "none" -> PX_JWT_NONE (names are case-sensitive, RFC 7515 4.1.1); else
 * -1. */
int px_jwt_alg_parse(const char *name);
/* The alg's name ("HS256", "none"; "unknown" for PX_JWT_UNKNOWN). */
const char *px_jwt_alg_name(enum px_jwt_alg a);

/* A key: an HMAC secret, or an OpenSSL EVP_PKEY (RSA or EC; public or private). */
struct px_jwt_key;

/* A copy of n bytes as an HMAC secret (n may be 0: such a key fits no alg). */
struct px_jwt_key *px_jwt_key_secret(const void *bytes, size_t n);
/* The first key of a PEM text: a public key (SPKI or PKCS#1), a private key, or a certificate's. */
struct px_jwt_key *px_jwt_key_pem(const char *pem, char *err, size_t errsz);
/*
 * One JWK object: kty RSA (n, e), EC (crv P-256/P-384/P-521, x, y, each
 * coordinate its full length; the point must be on the curve), oct (k).
 * Private members are ignored: the key is public. NULL with err otherwise.
 */
struct px_jwt_key *px_jwt_key_jwk(const char *json, size_t len, char *err, size_t errsz);
void px_jwt_key_free(struct px_jwt_key *k);

/*
 * 1 iff k can verify a: a non-empty HMAC secret only for HS*; an RSA key of
 * at least 2048 bits only for RS* (RFC 7518 section 3.3: "A key of size
 * 2048 bits or larger MUST be used with these algorithms"); an EC key on
 * the alg's curve only for ES* (P-256 ES256, P-384 ES384, P-521 ES512;
 * RFC 7518 section 3.4). 0 for none and unknown.
 */
int px_jwt_key_fits(const struct px_jwt_key *k, enum px_jwt_alg a);
/* 1 iff k holds a private key (RSA or EC) or a secret, so it can sign. */
int px_jwt_key_can_sign(const struct px_jwt_key *k);

struct px_jwks_entry {
    char *kid; /* or NULL */
    int alg;   /* enum px_jwt_alg; -1: no "alg" member; PX_JWT_UNKNOWN: one not known here */
    struct px_jwt_key *key;
};
struct px_jwks {
    struct px_jwks_entry *keys;
    size_t n;
};
/*
 * A JWK set {"keys":[...]} (RFC 7517 section 5). Keys of another kty, or
 * whose "use" is not "sig", are left out (RFC 7517 section 5: "Implementations
 * SHOULD ignore JWKs within a JWK Set that use "kty" (key type) values that are
 * not understood"); a malformed RSA, EC or oct key is an error naming its
 * index, and so is a set left with no key. 0, or -1 with err (*out empty).
 */
int px_jwks_parse(const char *json, size_t len, struct px_jwks *out, char *err, size_t errsz);
void px_jwks_free(struct px_jwks *s);

/*
 * The public JWK of k (compact JSON, malloc'd): {"kty":"RSA","n","e"} or
 * {"kty":"EC","crv","x","y"} (or {"kty":"oct","k"} for a secret), with
 * "use":"sig", and "kid" when kid, "alg" when alg >= 0 (it must fit k).
 * NULL with err otherwise.
 */
char *px_jwk_public_json(const struct px_jwt_key *k, const char *kid, int alg, char *err,
                         size_t errsz);

struct px_jwt {                       /* a decoded, not yet verified, compact JWS */
    int alg;                          /* enum px_jwt_alg; PX_JWT_UNKNOWN for any other alg text */
    char alg_text[16];                /* the header's alg (cut at 15 bytes) */
    char *kid;                        /* or NULL */
    char *header_json, *payload_json; /* the decoded JSON texts */
    void *payload;                    /* internal: the parsed payload */
    const char *token;                /* borrowed */
    size_t signed_len;                /* bytes of token the signature covers (header '.' payload) */
    unsigned char *sig;
    size_t sig_len;
};

/*
 * Splits and decodes token[0..len). 0, or -1 with a short reason in err:
 * "too large", "not 3 parts", "invalid base64", "invalid JSON", "too deeply
 * nested", "header is not an object", "header has no alg", "alg is not a
 * string", "kid is not a string", "unsupported crit", "payload is not an
 * object"; *out is then empty (px_jwt_free is harmless).
 */
int px_jwt_decode(const char *token, size_t len, struct px_jwt *out, char *err, size_t errsz);
void px_jwt_free(struct px_jwt *t);

/*
 * The payload's claims. claim_string and claim_number: 0 with *out, -1
 * absent, -2 not a string (not a number). claim_has: 1 if the claim is
 * value or an array holding it (aud), else 0.
 */
int px_jwt_claim_string(const struct px_jwt *t, const char *name, const char **out);
int px_jwt_claim_number(const struct px_jwt *t, const char *name, double *out);
int px_jwt_claim_has(const struct px_jwt *t, const char *name, const char *value);

/*
 * 0 iff t's signature is valid under k for t's OWN alg; -1 otherwise, and
 * always -1 when !px_jwt_key_fits(k, t->alg) (algorithm confusion: an RSA
 * public key's bytes used as an HMAC secret are refused because the key
 * object is an RSA key) and for alg none. HMAC compared with CRYPTO_memcmp;
 * ES* signatures are raw r||s (RFC 7518 3.4) converted to DER for EVP;
 * wrong-length ES signatures refused.
 */
int px_jwt_verify(const struct px_jwt *t, const struct px_jwt_key *k);

/*
 * Mints header {"alg":A,"typ":"JWT"[,"kid":K]} . payload_json (given
 * compact; it must be a JSON object) signed with k (HMAC secret or PRIVATE
 * key); alg none gives an empty signature part (k may be NULL). Malloc'd,
 * or NULL with err.
 */
char *px_jwt_sign(enum px_jwt_alg alg, const char *kid, const char *payload_json,
                  const struct px_jwt_key *k, char *err, size_t errsz);

#endif
