/*
 * lb_hash.h - consistent hashing as Envoy does it: the request's hash key
 * (RouteAction.hash_policy, which istiod builds from a DestinationRule's
 * consistentHash), the 64-bit hash (xxHash64), and the two tables that map
 * a hash to a host: the ring (ring_hash_lb.cc, Karger's consistent hashing
 * in the "ketama" style) and the Maglev table (maglev_lb.cc, Eisenbud et
 * al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI
 * 2016).
 *
 * The tables are plain data built from a list of member hosts (index,
 * weight, address string); lb.c decides which hosts are members (the
 * healthy ones, or all in panic) and rebuilds when that changes, as Envoy's
 * ThreadAwareLoadBalancerBase::refresh does.
 *
 * The simulator has no IP addresses: a host's "address" is its endpoint
 * name (the pod name, or "host:port" in the live runtime), and a client's
 * source address is the name of the node it runs on (a pod, or a workload's
 * client node). Both are what Envoy hashes in their place.
 */
#ifndef FL_PROXIES_LB_HASH_H
#define FL_PROXIES_LB_HASH_H

#include <stddef.h>
#include <stdint.h>

struct px_msg;

#define PX_HASH_NAME_MAX 128 /* header, cookie, query parameter names and cookie paths */

enum px_hash_key {
    PX_HASH_NONE,      /* no hash policy */
    PX_HASH_HEADER,    /* Istio httpHeaderName */
    PX_HASH_COOKIE,    /* Istio httpCookie {name, path, ttl} */
    PX_HASH_SOURCE_IP, /* Istio useSourceIp */
    PX_HASH_QUERY,     /* Istio httpQueryParameterName */
};

struct px_hash_policy {
    enum px_hash_key key;
    char name[PX_HASH_NAME_MAX]; /* header / cookie / query parameter */
    char path[PX_HASH_NAME_MAX]; /* cookie path ("" : none) */
    int has_ttl;                 /* cookie: a ttl was given, so Envoy generates missing cookies */
    int64_t ttl_ns;
};

/* xxHash64 of len bytes with seed, written from the xxHash specification (Cyan4973/xxHash
 * doc/xxhash_spec.md); Envoy's HashUtil::xxHash64 is this function. */
uint64_t px_xxhash64(const void *data, size_t len, uint64_t seed);

/*
 * The hash of a request under policy hp (Envoy's Http::HashPolicyImpl::
 * generateHash with one hash method): 1 and *out when the request yields a
 * hash, 0 when it does not (header, cookie or parameter absent; no peer), in
 * which case Envoy's hash balancers use a random hash. peer: the client's
 * address (may be NULL). A cookie that is missing when hp->has_ttl is set is
 * generated, as Envoy's router does (it answers with Set-Cookie): here its
 * value is 16 hex digits from next(random_arg), the sim's seeded stream,
 * and the request is hashed on it (simulated clients do not keep cookies).
 */
int px_hash_request(const struct px_hash_policy *hp, const struct px_msg *req, const char *peer,
                    uint64_t (*next)(void *), void *random_arg, uint64_t *out);

/* A member host of a table: its index in the cluster, weight >= 1, and address. */
struct px_hash_member {
    uint32_t host;
    uint32_t weight;
    const char *addr;
};

/* ---- ring hash (lb_ring.c) ---- */

#define PX_RING_SIZE_MIN_DFLT 1024    /* RingHashLbConfig.minimum_ring_size */
#define PX_RING_SIZE_MAX_DFLT 8388608 /* RingHashLbConfig.maximum_ring_size (8M) */

struct px_ring_entry {
    uint64_t hash;
    uint32_t host;
};

struct px_ring {
    struct px_ring_entry *e; /* sorted by hash */
    size_t n;
};

/* Builds the ring over m[0..n) (n >= 1); frees what r held before. */
void px_ring_build(struct px_ring *r, const struct px_hash_member *m, size_t n, uint64_t size_min,
                   uint64_t size_max);
/* The host for hash h; attempt > 0 (a host predicate rejected the previous pick) steps along. */
uint32_t px_ring_find(const struct px_ring *r, uint64_t h, uint32_t attempt);
void px_ring_free(struct px_ring *r);

/* ---- Maglev (lb_maglev.c) ---- */

#define PX_MAGLEV_SIZE_DFLT 65537   /* MaglevLbConfig.table_size */
#define PX_MAGLEV_SIZE_MAX  5000011 /* the proto's limit */

struct px_maglev {
    uint32_t *table; /* host per slot */
    uint64_t size;   /* prime */
};

/* Builds the table over m[0..n) (n >= 1, size prime); frees what t held before. */
void px_maglev_build(struct px_maglev *t, const struct px_hash_member *m, size_t n, uint64_t size);
uint32_t px_maglev_find(const struct px_maglev *t, uint64_t h, uint32_t attempt);
void px_maglev_free(struct px_maglev *t);

/* 1 if n is prime (Envoy refuses a Maglev table size that is not). */
int px_is_prime(uint64_t n);

#endif
