/*
 * b64url.h - base64url without padding (RFC 4648 section 5, as JWS uses
 * it: RFC 7515 section 2, "Base64url Encoding"), on top of OpenSSL's
 * EVP_EncodeBlock and EVP_DecodeBlock with the alphabet translated.
 *
 * Decoding is strict: only the characters A-Z a-z 0-9 - _, no padding
 * ('='), no whitespace, no length of 4k+1, and the unused low bits of the
 * last character zero (so one byte string has exactly one encoding).
 */
#ifndef FL_PROXIES_B64URL_H
#define FL_PROXIES_B64URL_H

#include <stddef.h>

/* The encoding of n bytes (NUL-terminated, malloc'd); *out_len its length if out_len. */
char *px_b64url_encode(const void *bytes, size_t n, size_t *out_len);

/*
 * Decodes n characters of text into a malloc'd buffer (NUL-terminated, for
 * JSON texts) and its length. Returns 0, or -1 when text is not strict
 * base64url (nothing allocated).
 */
int px_b64url_decode(const char *text, size_t n, unsigned char **out, size_t *out_len);

/*
 * Decodes base64 as Kong's jwt plugin does for `secret_is_base64`
 * (kong/plugins/jwt/jwt_parser.lua, base64_decode: "-" and "_" become "+"
 * and "/", padding is added, then ngx.decode_base64): either alphabet,
 * padding optional (but whole when present), no whitespace. 0 or -1 as
 * px_b64url_decode.
 */
int px_b64_decode_any(const char *text, size_t n, unsigned char **out, size_t *out_len);

#endif
