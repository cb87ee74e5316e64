/*
 * retry.h - Envoy's retry policy as a pure state machine: which attempt
 * results are retriable (x-envoy-retry-on / RetryPolicy.retry_on), and how
 * long to back off before retry number k.
 *
 * Semantics (Envoy docs "HTTP router filter", config/route/v3 RetryPolicy):
 *  - 5xx: any 5xx, or no response at all (connect failure, reset, per-try
 *    timeout); gateway-error: 502, 503, 504; reset: a reset or disconnect
 *    before a response; connect-failure; refused-stream; retriable-4xx: 409;
 *    retriable-status-codes: the codes listed; envoy-ratelimited: a 429
 *    carrying x-envoy-ratelimited. The gRPC conditions (cancelled,
 *    deadline-exceeded, internal, resource-exhausted, unavailable) read the
 *    grpc-status of the response.
 *  - Istio also accepts bare status codes in retryOn ("503,reset"); they
 *    mean retriable-status-codes with that code. A reset shows up as a 503
 *    to the client but does not match "503".
 *  - Backoff, current Envoy (JitteredExponentialBackOffStrategy): retry k
 *    (1-based) waits a uniform integer number of ms in
 *    [0, min(base * 2^(k-1), max)); base defaults to 25 ms, max to 10 x base.
 *    Older Envoy (selectable): min(random % ((2^k - 1) * base), max).
 *
 * Not here: counting retries against budgets (breaker.h), timers.
 */
#ifndef FL_PROXIES_RETRY_H
#define FL_PROXIES_RETRY_H

#include <stddef.h>
#include <stdint.h>

enum px_retry_on {
    PX_RETRY_5XX = 1u << 0,
    PX_RETRY_GATEWAY_ERROR = 1u << 1,
    PX_RETRY_RESET = 1u << 2,
    PX_RETRY_CONNECT_FAILURE = 1u << 3,
    PX_RETRY_REFUSED_STREAM = 1u << 4,
    PX_RETRY_RETRIABLE_4XX = 1u << 5,
    PX_RETRY_RETRIABLE_STATUS_CODES = 1u << 6,
    PX_RETRY_ENVOY_RATELIMITED = 1u << 7,
    PX_RETRY_RESET_BEFORE_REQUEST = 1u << 8,
    PX_RETRY_GRPC_CANCELLED = 1u << 9,
    PX_RETRY_GRPC_DEADLINE_EXCEEDED = 1u << 10,
    PX_RETRY_GRPC_INTERNAL = 1u << 11,
    PX_RETRY_GRPC_RESOURCE_EXHAUSTED = 1u << 12,
    PX_RETRY_GRPC_UNAVAILABLE = 1u << 13,
    /* not Envoy's: Kong (nginx proxy_next_upstream "error timeout") retries on timeouts */
    PX_RETRY_TIMEOUT = 1u << 14,
    /* Envoy names kept so a pasted policy parses; px_attempt carries neither response
       headers nor HTTP/3, so these never match */
    PX_RETRY_RETRIABLE_HEADERS = 1u << 15,
    PX_RETRY_HTTP3_POST_CONNECT_FAILURE = 1u << 16,
};

#define PX_RETRY_CODES_MAX 16

struct px_retry_policy {
    uint32_t retry_on;          /* PX_RETRY_* */
    uint32_t num_retries;       /* retries after the first attempt */
    int64_t per_try_timeout_ns; /* 0: the attempt may use the whole route timeout */
    int64_t base_ns;            /* backoff base (default 25 ms; under 1 ms rounds up to 1 ms;
                                   negative: no backoff, as Kong) */
    int64_t max_ns;             /* backoff cap; 0: 10 x base (Envoy's default) */
    int legacy_backoff;         /* the older Envoy range */
    uint16_t codes[PX_RETRY_CODES_MAX]; /* retriable-status-codes */
    size_t n_codes;
    int previous_hosts; /* retry_host_predicate previous_hosts (Istio: on by default) */
    uint32_t host_selection_attempts; /* tries to pick a host not tried before (default 1) */
};

/* Envoy's defaults for a policy that names only retry_on: 1 retry, 25 ms base, 250 ms cap. */
void px_retry_policy_default(struct px_retry_policy *p);

/*
 * Parses a retry_on list ("5xx,connect-failure", Envoy names; bare status
 * codes as Istio allows). Returns 0, or -1 with *bad set to the first
 * unknown word (pointing into a static buffer).
 */
int px_retry_on_parse(const char *list, struct px_retry_policy *p, const char **bad);

/*
 * Writes retry_on as Envoy's comma-separated names into buf ("timeout"
 * for Kong's PX_RETRY_TIMEOUT; "" for none) and returns buf.
 */
const char *px_retry_on_format(uint32_t retry_on, char *buf, size_t size);

/* How one attempt ended. */
struct px_attempt {
    int status;          /* the response's status, 0 when none came */
    int grpc_status;     /* -1 when absent */
    int connect_failed;  /* no connection could be made */
    int connect_timeout; /* ... because connecting timed out (nginx: a timeout, for Kong) */
    int reset;           /* the connection was reset or closed before the response */
    int timed_out;       /* the per-try timeout ran out */
    int ratelimited;     /* the response carried x-envoy-ratelimited */
    int refused;         /* refused stream (HTTP/2) */
};

/* 1 if the policy retries an attempt that ended this way. */
int px_retry_matches(const struct px_retry_policy *p, const struct px_attempt *a);

/* The backoff before retry k (k >= 1), given 64 random bits; in ns, whole ms. */
int64_t px_retry_backoff(const struct px_retry_policy *p, uint32_t k, uint64_t random);

#endif
