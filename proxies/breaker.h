/*
 * breaker.h - Envoy's circuit breakers for one cluster (one priority), as
 * counters and thresholds: connections, pending requests, requests,
 * concurrent retries, and the retry budget.
 *
 * Envoy (cluster/v3/circuit_breaker.proto, docs "Circuit breaking"): defaults 1024 connections,
 * 1024 pending, 1024 requests, 3 retries. Overflow of pending or requests answers 503 with flag UO
 * and `x-envoy-overloaded: true`; overflow of connections only makes requests wait as pending. A
 * retry that the breaker or budget turns away is not made: the client gets the original error. A
 * retry budget, when set, replaces max_retries: concurrent retries may be max(budget_percent x
 * (active + pending requests), min_retry_concurrency) (defaults 20%, 3). Istio sets all four
 * thresholds to 2^32-1 unless a DestinationRule says otherwise.
 *
 * The counters are maintained by the caller through the inc/dec calls; the
 * can_* calls only read.
 */
#ifndef FL_PROXIES_BREAKER_H
#define FL_PROXIES_BREAKER_H

#include <stdint.h>

enum px_breaker_kind {
    PX_BREAKER_CONNECTIONS,
    PX_BREAKER_PENDING,
    PX_BREAKER_REQUESTS,
    PX_BREAKER_RETRIES,
};

struct px_breaker_cfg {
    uint32_t max_connections, max_pending, max_requests, max_retries;
    int budget;            /* a retry budget replaces max_retries */
    double budget_percent; /* of active + pending requests, 0..100 */
    uint32_t min_retry_concurrency;
};

/* Envoy's defaults (1024, 1024, 1024, 3, no budget). */
void px_breaker_cfg_envoy(struct px_breaker_cfg *c);
/* Istio's defaults: everything 2^32-1, no budget. */
void px_breaker_cfg_istio(struct px_breaker_cfg *c);

struct px_breaker {
    struct px_breaker_cfg cfg;
    /* active now; `requests` counts every request from its start, those waiting for a
     * connection included, and `pending` those waiting (a subset of requests) */
    uint32_t connections, pending, requests, retries;
    uint64_t overflow[4]; /* turned away, by px_breaker_kind */
};

void px_breaker_init(struct px_breaker *b, const struct px_breaker_cfg *cfg);

/* 1 if one more connection / pending request / request / retry is allowed now. */
int px_breaker_can_connect(const struct px_breaker *b);
int px_breaker_can_pend(const struct px_breaker *b);
int px_breaker_can_request(const struct px_breaker *b);
int px_breaker_can_retry(const struct px_breaker *b);

/* The number of concurrent retries allowed now (max_retries, or the budget's limit). */
uint32_t px_breaker_retry_limit(const struct px_breaker *b);

#endif
