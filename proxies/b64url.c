/*
 * b64url.c - base64url without padding over OpenSSL's base64 (b64url.h).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/b64url.h"

char *px_b64url_encode(const void *bytes, size_t n, size_t *out_len)
{
    FL_ASSERT(bytes || n == 0);
    FL_ASSERT(n <= (size_t)1 << 30);
    size_t cap = 4 * ((n + 2) / 3) + 1;
    char *s = fl_malloc(cap);
    int len = EVP_EncodeBlock((unsigned char *)s, bytes, (int)n);
    FL_ASSERT(len >= 0 && (size_t)len < cap);
    while (len > 0 && s[len - 1] == '=') len--;
    for (int i = 0; i < len; i++) {
        if (s[i] == '+')
            s[i] = '-';
        else if (s[i] == '/')
            s[i] = '_';
    }
    s[len] = '\0';
    if (out_len) *out_len = (size_t)len;
    return s;
}

/* The 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/*
 * Decodes n base64 characters of the standard alphabet, without padding,
 * already checked (n % 4 != 1), into a malloc'd NUL-terminated buffer.
 */
static int decode_unpadded(const char *std_chars, size_t n, unsigned char **out, size_t *out_len)
{
    FL_ASSERT(n % 4 != 1);
    size_t pad = n % 4 ? 4 - n % 4 : 0;
    char *std = fl_malloc(n + pad + 1);
    memcpy(std, std_chars, n);
    memset(std + n, '=', pad);
    std[n + pad] = '\0';
    unsigned char *buf = fl_malloc(3 * ((n + pad) / 4) + 1);
    int len = EVP_DecodeBlock(buf, (unsigned char *)std, (int)(n + pad));
    free(std);
    if (len < 0) {
        free(buf);
        return -1;
    }
    /* EVP_DecodeBlock counts the padding's zero bytes too. */
    FL_ASSERT((size_t)len == 3 * ((n + pad) / 4) && (size_t)len >= pad);
    len -= (int)pad;
    buf[len] = '\0';
    *out = buf;
    *out_len = (size_t)len;
    return 0;
}

int px_b64url_decode(const char *text, size_t n, unsigned char **out, size_t *out_len)
{
    FL_ASSERT((text || n == 0) && out && out_len);
    FL_ASSERT(n <= (size_t)1 << 30);
    if (n % 4 == 1) return -1;
    for (size_t i = 0; i < n; i++)
        if (b64url_value((unsigned char)text[i]) < 0) return -1;
    /* The bits the last character carries beyond the last whole byte must be zero. */
    size_t rem = n % 4;
    if (rem) {
        int last = b64url_value((unsigned char)text[n - 1]);
        if ((rem == 2 && (last & 0x0f)) || (rem == 3 && (last & 0x03))) return -1;
    }
    char *std = fl_malloc(n + 1);
    for (size_t i = 0; i < n; i++) std[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
    int rc = decode_unpadded(std, n, out, out_len);
    free(std);
    return rc;
}

int px_b64_decode_any(const char *text, size_t n, unsigned char **out, size_t *out_len)
{
    FL_ASSERT((text || n == 0) && out && out_len);
    FL_ASSERT(n <= (size_t)1 << 30);
    size_t pad = 0;
    while (pad < 2 && n > pad && text[n - 1 - pad] == '=') pad++;
    if (pad && n % 4) return -1; /* padding pads to a multiple of 4 */
    n -= pad;
    if (n % 4 == 1) return -1;
    char *std = fl_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
        if (c != '+' && c != '/' && b64url_value((unsigned char)c) < 0) {
            free(std);
            return -1;
        }
    }
    int rc = decode_unpadded(std, n, out, out_len);
    free(std);
    return rc;
}
