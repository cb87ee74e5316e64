/*
 * rng.c - stream seeding and bounded draws (the generator itself is inline
 * in rng.h).
 */
#include "base/rng.h"

#include "base/assert.h"

void fl_rng_seed(struct fl_rng *r, uint64_t seed)
{
    FL_ASSERT(r);
    for (int i = 0; i < 4; i++) r->s[i] = fl_splitmix64(&seed);
    FL_ASSERT(r->s[0] | r->s[1] | r->s[2] | r->s[3]); /* xoshiro's one forbidden state */
}

/* FNV-1a over the parts one after the other: the hash of their concatenation. */
static uint64_t hash_parts(const char *const *parts, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        FL_ASSERT(parts[i]);
        for (const char *s = parts[i]; *s; s++) {
            h ^= (unsigned char)*s;
            h *= 0x100000001b3ULL;
        }
    }
    return fl_splitmix64(&h);
}

uint64_t fl_hash_str(const char *s)
{
    FL_ASSERT(s);
    return hash_parts(&s, 1);
}

void fl_rng_derive_parts(struct fl_rng *r, uint64_t seed, const char *const *parts, size_t n)
{
    FL_ASSERT(r && parts && n > 0);
    uint64_t x = seed;

    uint64_t a = fl_splitmix64(&x);
    fl_rng_seed(r, a ^ hash_parts(parts, n));
}

void fl_rng_derive(struct fl_rng *r, uint64_t seed, const char *name)
{
    FL_ASSERT(r && name);
    fl_rng_derive_parts(r, seed, &name, 1);
}

uint64_t fl_rng_below(struct fl_rng *r, uint64_t n)
{
    /* Lemire, "Fast Random Integer Generation in an Interval" (2019). */
    unsigned __int128 m = (unsigned __int128)fl_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)fl_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
