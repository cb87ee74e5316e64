/*
 * lb_hash.c - xxHash64, and the hash key of a request (Envoy's hash
 * policies: source/common/http/hash_policy.cc).
 *
 * xxHash64 is written from its public specification (Cyan4973/xxHash,
 * doc/xxhash_spec.md): four 64-bit lanes over 32-byte stripes, then the
 * remaining 8-, 4- and 1-byte pieces, then the avalanche. It is checked
 * against the specification's reference values in tests/proxies/test_lb_hash.c.
 *
 * Request keys, each hashed with xxHash64 (seed 0) as Envoy does:
 *  - header: the first value of the header (Envoy hashes all values of a
 *    repeated header, sorted; a request here carries one);
 *  - cookie: the value of the first cookie of that name in the Cookie
 *    header(s); absent and a ttl configured: a generated value (see
 *    lb_hash.h); absent without ttl: no hash;
 *  - source IP: the client's address (the peer's name in the simulator);
 *  - query parameter: the value of the first parameter of that name.
 */
#include "proxies/lb_hash.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "proxies/http.h"

#define P1 UINT64_C(0x9E3779B185EBCA87)
#define P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define P3 UINT64_C(0x165667B19E3779F9)
#define P4 UINT64_C(0x85EBCA77C2B2AE63)
#define P5 UINT64_C(0x27D4EB2F165667C5)

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Little-endian reads, whatever the machine. */
static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t lane_round(uint64_t acc, uint64_t lane)
{
    acc += lane * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static uint64_t merge_round(uint64_t acc, uint64_t v)
{
    acc ^= lane_round(0, v);
    return acc * P1 + P4;
}

/* The 32-byte stripes: returns the accumulator and advances *pp. */
static uint64_t stripes(const uint8_t **pp, const uint8_t *end, uint64_t seed)
{
    const uint8_t *p = *pp;
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    while (end - p >= 32) {
        v1 = lane_round(v1, rd64(p));
        v2 = lane_round(v2, rd64(p + 8));
        v3 = lane_round(v3, rd64(p + 16));
        v4 = lane_round(v4, rd64(p + 24));
        p += 32;
    }
    *pp = p;
    uint64_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge_round(h, v1);
    h = merge_round(h, v2);
    h = merge_round(h, v3);
    return merge_round(h, v4);
}

uint64_t px_xxhash64(const void *data, size_t len, uint64_t seed)
{
    FL_ASSERT(data || len == 0);
    const uint8_t *p = data ? data : (const uint8_t *)"", *end = p + len;
    uint64_t h = len >= 32 ? stripes(&p, end, seed) : seed + P5;
    h += (uint64_t)len;
    for (; end - p >= 8; p += 8) h = rotl(h ^ lane_round(0, rd64(p)), 27) * P1 + P4;
    if (end - p >= 4) {
        h = rotl(h ^ (uint64_t)rd32(p) * P1, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++) h = rotl(h ^ (uint64_t)*p * P5, 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    return h ^ (h >> 32);
}

static uint64_t hash_str(const char *s, size_t len)
{
    return px_xxhash64(s, len, 0);
}

/* The value of cookie `name` in a Cookie header "a=1; b=2" (Http::Utility::parseCookieValue). */
static int cookie_value(const char *hdr, const char *name, const char **v, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = hdr;
    while (*p) {
        while (*p == ' ' || *p == ';') p++;
        const char *end = strchr(p, ';');
        if (!end) end = p + strlen(p);
        if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            *v = p + nl + 1;
            *len = (size_t)(end - *v);
            if (*len >= 2 && (*v)[0] == '"' && (*v)[*len - 1] == '"') { /* quoted value */
                (*v)++;
                *len -= 2;
            }
            return 1;
        }
        p = end;
    }
    return 0;
}

/* The value of query parameter `name` in "a=1&b=2" (the first one). */
static int query_value(const char *q, const char *name, const char **v, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *p = q; p && *p;) {
        const char *end = strchr(p, '&');
        if (!end) end = p + strlen(p);
        if ((size_t)(end - p) >= nl && !strncmp(p, name, nl) && (p[nl] == '=' || p + nl == end)) {
            *v = p + nl + (p[nl] == '=');
            *len = (size_t)(end - *v);
            return 1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int hash_cookie(const struct px_hash_policy *hp, const struct px_msg *req,
                       uint64_t (*next)(void *), void *arg, uint64_t *out)
{
    const char *v;
    size_t len;
    FL_ASSERT(hp->key == PX_HASH_COOKIE && hp->name[0]);
    for (uint32_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, "cookie")) continue;
        if (cookie_value(req->headers[i].value, hp->name, &v, &len)) {
            *out = hash_str(v, len);
            return 1;
        }
    }
    if (!hp->has_ttl) return 0;
    /* hash_policy.cc CookieHashMethod: no cookie and a ttl: the router makes one up */
    char made[17];
    snprintf(made, sizeof made, "%016llx", (unsigned long long)next(arg));
    *out = hash_str(made, 16);
    return 1;
}

int px_hash_request(const struct px_hash_policy *hp, const struct px_msg *req, const char *peer,
                    uint64_t (*next)(void *), void *random_arg, uint64_t *out)
{
    FL_ASSERT(hp && req && out);
    const char *v = NULL;
    size_t len = 0;
    switch (hp->key) {
    case PX_HASH_NONE: return 0;
    case PX_HASH_HEADER:
        if (!(v = px_msg_header(req, hp->name))) return 0;
        len = strlen(v);
        break;
    case PX_HASH_COOKIE: return hash_cookie(hp, req, next, random_arg, out);
    case PX_HASH_SOURCE_IP:
        if (!(v = peer)) return 0;
        len = strlen(v);
        break;
    case PX_HASH_QUERY:
        if (!req->query || !query_value(req->query, hp->name, &v, &len)) return 0;
        break;
    }
    *out = hash_str(v, len);
    return 1;
}

int px_is_prime(uint64_t n)
{
    if (n < 2) return 0;
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}
