/*
 * sha256.h - SHA-256 (FIPS 180-4), for the digests a run prints and an
 * experiment plan keys its cache on.
 *
 * Hand-written rather than taken from libcrypto for one reason: a run
 * hashes a few KiB once, and libcrypto's first digest sets up its provider
 * and reads the system's openssl.cnf (about 5 M instructions, 3-5 ms: a
 * few percent of a short run). The result is the same bytes; the tests
 * compare the two on the standard's vectors and on random inputs.
 */
#ifndef FL_BASE_SHA256_H
#define FL_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define FL_SHA256_BYTES 32

struct fl_sha256 {
    uint32_t h[8];
    uint64_t bytes;    /* hashed so far */
    uint8_t block[64]; /* a partial block */
    uint32_t n_block;  /* bytes in block[] (< 64) */
};

void fl_sha256_init(struct fl_sha256 *c);
void fl_sha256_update(struct fl_sha256 *c, const void *data, size_t len);
/* Writes the digest; c is spent (init it again to reuse it). */
void fl_sha256_final(struct fl_sha256 *c, uint8_t out[FL_SHA256_BYTES]);

/* fl_sha256_final as 64 lower-hex digits and a NUL. */
void fl_sha256_final_hex(struct fl_sha256 *c, char hex[2 * FL_SHA256_BYTES + 1]);

/* The digest of len bytes as 64 lower-hex digits and a NUL. */
void fl_sha256_hex(const void *data, size_t len, char hex[2 * FL_SHA256_BYTES + 1]);

#endif
