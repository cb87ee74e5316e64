/*
 * rng.h - seeded random streams: xoshiro256** seeded through splitmix64.
 *
 * Every simulated entity (a pod, a link, a workload) owns one stream,
 * derived from the scenario seed and the entity's name, so that adding a
 * pod does not change the draws of another one. The algorithm lives here,
 * in-tree, with golden-value tests: a library upgrade can never change a
 * run's results. There is no global stream.
 *
 * xoshiro256** is by D. Blackman and S. Vigna ("Scrambled linear
 * pseudorandom number generators", 2018); splitmix64 is Steele, Lea and
 * Flood's SplittableRandom finaliser, as the xoshiro authors recommend for
 * seeding.
 */
#ifndef FL_BASE_RNG_H
#define FL_BASE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct fl_rng {
    uint64_t s[4];
};

/* One step of splitmix64: advances *state and returns the next output. */
static inline uint64_t fl_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds a stream from one 64-bit value (four splitmix64 outputs). */
void fl_rng_seed(struct fl_rng *r, uint64_t seed);

/*
 * Seeds the stream of the entity called `name` in a run with root seed
 * `seed`. The same (seed, name) always gives the same stream; different
 * names give independent-looking streams.
 */
void fl_rng_derive(struct fl_rng *r, uint64_t seed, const char *name);
/*
 * The same for the name made of the n parts one after the other (no string
 * is built): fl_rng_derive_parts(r, seed, (const char *[]){"a/", "b"}, 2)
 * seeds the stream of "a/b".
 */
void fl_rng_derive_parts(struct fl_rng *r, uint64_t seed, const char *const *parts, size_t n);

/* 64-bit FNV-1a of a string, finished with splitmix64's mixer. */
uint64_t fl_hash_str(const char *s);

static inline uint64_t fl_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits. */
static inline uint64_t fl_rng_next(struct fl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = fl_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fl_rng_rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1), 53 random bits. */
static inline double fl_rng_unit(struct fl_rng *r)
{
    return (double)(fl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1]: never 0, so log() of it is finite. */
static inline double fl_rng_open01(struct fl_rng *r)
{
    return (double)((fl_rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Uniform integer in [0, n), without bias (Lemire's method); n > 0. */
uint64_t fl_rng_below(struct fl_rng *r, uint64_t n);

/* True with probability p (p <= 0: never; p >= 1: always, and no draw is made). */
static inline int fl_rng_chance(struct fl_rng *r, double p)
{
    if (p <= 0.0) return 0;
    if (p >= 1.0) return 1;
    return fl_rng_unit(r) < p;
}

#endif
