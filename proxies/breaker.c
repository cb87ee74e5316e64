/*
 * breaker.c - Envoy's cluster circuit breakers: thresholds and the checks
 * made before opening a connection, queueing a request, sending a request
 * or starting a retry.
 *
 * How: each check is Envoy's ResourceLimit::canCreate(), "count < max", on
 * counters the caller keeps in struct px_breaker. The retry budget follows
 * source/common/upstream/resource_manager_impl.h, RetryBudgetImpl (envoy
 * PR #9069): max = max((uint64)(budget_percent / 100.0 * (active requests +
 * pending requests)), min_retry_concurrency) - the proxy engine counts a
 * request in `requests` from its start, pending or not, so that sum is
 * `requests` here - computed in that order with
 * doubles so the truncation matches Envoy's; canCreate is retries < max.
 * Defaults checked in envoy/config/cluster/v3/circuit_breaker.proto (1024,
 * 1024, 1024, 3; budget 20% and 3) and Istio's cluster builder
 * (getDefaultCircuitBreakerThresholds: every limit math.MaxUint32).
 *
 * Not here: counting (the caller increments and decrements the fields, and
 * counts overflow[]), the 503 and x-envoy-overloaded (the proxy engine),
 * per-host limits, max_connection_pools, HIGH priority thresholds.
 */
#include "proxies/breaker.h"

#include <string.h>

#include "base/assert.h"

void px_breaker_cfg_envoy(struct px_breaker_cfg *c)
{
    FL_ASSERT(c);
    memset(c, 0, sizeof *c);
    c->max_connections = 1024;
    c->max_pending = 1024;
    c->max_requests = 1024;
    c->max_retries = 3;
    c->budget = 0;
    c->budget_percent = 20.0; /* RetryBudget defaults, used once `budget` is set */
    c->min_retry_concurrency = 3;
}

void px_breaker_cfg_istio(struct px_breaker_cfg *c)
{
    px_breaker_cfg_envoy(c);
    c->max_connections = UINT32_MAX;
    c->max_pending = UINT32_MAX;
    c->max_requests = UINT32_MAX;
    c->max_retries = UINT32_MAX;
    FL_ASSERT(c->budget_percent > 0.0 && c->min_retry_concurrency > 0);
}

void px_breaker_init(struct px_breaker *b, const struct px_breaker_cfg *cfg)
{
    FL_ASSERT(b && cfg);
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
}

int px_breaker_can_connect(const struct px_breaker *b)
{
    /* the caller opens a connection only when this allowed it: never over the limit */
    FL_ASSERT(b->connections <= b->cfg.max_connections);
    return b->connections < b->cfg.max_connections;
}

/* False exactly when max_pending requests already wait: the next one would overflow (UO). */
int px_breaker_can_pend(const struct px_breaker *b)
{
    FL_ASSERT(b->pending <= b->cfg.max_pending);
    return b->pending < b->cfg.max_pending;
}

int px_breaker_can_request(const struct px_breaker *b)
{
    FL_ASSERT(b->requests <= b->cfg.max_requests);
    return b->requests < b->cfg.max_requests;
}

uint32_t px_breaker_retry_limit(const struct px_breaker *b)
{
    /* without a budget, a retry is counted only when fewer than max_retries run */
    FL_ASSERT(b->cfg.budget || b->retries <= b->cfg.max_retries);
    if (!b->cfg.budget) return b->cfg.max_retries;
    /* Envoy's active + pending requests: here `requests` holds both (pending is a subset) */
    FL_ASSERT(b->pending <= b->requests);
    uint64_t active = b->requests;
    uint64_t by_budget = (uint64_t)(b->cfg.budget_percent / 100.0 * (double)active);
    FL_ASSERT(b->cfg.budget_percent >= 0.0);
    uint64_t limit =
        by_budget > b->cfg.min_retry_concurrency ? by_budget : b->cfg.min_retry_concurrency;
    return limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit;
}

int px_breaker_can_retry(const struct px_breaker *b)
{
    return b->retries < px_breaker_retry_limit(b);
}
