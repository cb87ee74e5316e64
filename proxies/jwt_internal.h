/*
 * jwt_internal.h - what jwt.c (tokens) and jwk.c (keys) share: the key
 * object, the bounded JSON parser, the error helper.
 */
#ifndef FL_PROXIES_JWT_INTERNAL_H
#define FL_PROXIES_JWT_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>

#include "proxies/jwt.h"

enum px_jwt_key_kind { PX_KEY_SECRET, PX_KEY_RSA, PX_KEY_EC };

struct px_jwt_key {
    enum px_jwt_key_kind kind;
    unsigned char *secret; /* PX_KEY_SECRET */
    size_t secret_len;
    EVP_PKEY *pkey; /* PX_KEY_RSA, PX_KEY_EC */
    int bits;       /* RSA modulus or EC field size */
    int curve_alg;  /* PX_KEY_EC: the ES alg of its curve, else -1 */
    int priv;       /* holds a private key (or is a secret) */
};

/* A key around pkey (taken over; freed on failure): NULL with err when it is neither RSA nor EC. */
struct px_jwt_key *px_jwt_key_wrap(EVP_PKEY *pkey, char *err, size_t errsz);

/*
 * Parses len bytes of JSON (duplicate member names refused) after checking
 * that arrays and objects nest at most PX_JWT_MAX_DEPTH deep. NULL with err
 * ("invalid JSON", "too deeply nested").
 */
json_t *px_jwt_json_parse(const char *text, size_t len, char *err, size_t errsz);

/* The bytes of one ECDSA coordinate (r, s, x, y) for ES256/384/512; 0 for others. */
size_t px_jwt_ec_coord_bytes(int alg);

/* snprintf into err (when err and errsz); returns -1. */
int px_jwt_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
