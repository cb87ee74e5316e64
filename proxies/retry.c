/*
 * retry.c - Envoy's retry conditions (retry_on) and backoff, as pure
 * functions of a policy, an attempt's outcome and a random number.
 *
 * How: px_retry_on_parse() turns a retry_on list into PX_RETRY_* bits (and
 * Istio's bare status codes into retriable-status-codes); px_retry_matches()
 * answers "would Envoy retry this?" the way RetryStateImpl::wouldRetryFromHeaders
 * and ::wouldRetryFromReset do; px_retry_backoff() replays
 * JitteredExponentialBackOffStrategy for retry k without keeping state.
 *
 * Checked against envoyproxy/envoy (current main):
 *  - source/common/router/retry_state_impl.cc, parseRetryOn / parseRetryGrpcOn
 *    (names), wouldRetryFromHeaders (x-envoy-ratelimited decides alone; then 5xx,
 *    gateway-error, 409, retriable codes, gRPC status from headers),
 *    wouldRetryFromReset (an overflow reset never retries; connect failures
 *    match connect-failure; any other reset matches reset, 5xx and
 *    gateway-error; reset-before-request only if nothing was sent;
 *    refused-stream only for REFUSED_STREAM).
 *  - source/common/router/router.cc, onPerTryTimeoutCommon: a per-try timeout
 *    is retried as a LocalReset, so 5xx, gateway-error and reset cover it.
 *  - envoy PR #10847: responses carrying x-envoy-overloaded are retried like
 *    any other (px_attempt has no such flag, which is the same thing).
 *  - source/common/common/backoff_strategy.cc: current code doubles the range
 *    while it is below max/2, else jumps to max, and returns random % range;
 *    the older JitteredBackOffStrategy (commit 18a4509c) returned
 *    min(random % ((2^n - 1) * base), max), n starting at 1 and growing only
 *    while (2^n - 1) * base <= max.
 *  - source/common/router/retry_policy_impl.cc: base and max are whole ms
 *    (truncated), under 1 ms becomes 1 ms; max defaults to 10 x base.
 *  - istio/istio pilot/pkg/networking/core/route/retry/retry.go, parseRetryOn:
 *    trimmed words; a number that is a known HTTP status (Go's StatusText)
 *    becomes a retriable status code, and retriable-status-codes is added.
 *
 * Deviations, on purpose: Envoy ignores unknown retry_on words; here they are
 * an error, so a typo in a pasted policy is reported instead of silently
 * disabling retries. reset-before-request matches only connect failures (a
 * px_attempt does not say whether request bytes left before a reset).
 *
 * Not here: counting retries against breakers or budgets (breaker.c), timers,
 * rate-limited backoff (reset headers), host predicates.
 */
#include "proxies/retry.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"

#define NS_PER_MS    INT64_C(1000000)
#define BASE_DEFAULT (25 * NS_PER_MS) /* runtime upstream.base_retry_backoff_ms */
#define WORD_MAX     64               /* longest word echoed back in *bad */

void px_retry_policy_default(struct px_retry_policy *p)
{
    memset(p, 0, sizeof *p);
    p->num_retries = 1;
    p->base_ns = BASE_DEFAULT;
    p->max_ns = 0; /* 10 x base, i.e. 250 ms */
    p->host_selection_attempts = 1;
    FL_ASSERT(p->base_ns > 0 && p->n_codes == 0);
}

/* ---------------------------------------------------------------- parsing */

struct name_bit {
    const char *name;
    uint32_t bit;
};

/*
 * Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on values
 * (router_filter.rst), in the order px_retry_on_format writes them: Istio's
 * default policy first, as istiod spells it.
 */
static const struct name_bit names[] = {
    {"connect-failure", PX_RETRY_CONNECT_FAILURE},
    {"refused-stream", PX_RETRY_REFUSED_STREAM},
    {"unavailable", PX_RETRY_GRPC_UNAVAILABLE},
    {"cancelled", PX_RETRY_GRPC_CANCELLED},
    {"retriable-status-codes", PX_RETRY_RETRIABLE_STATUS_CODES},
    {"5xx", PX_RETRY_5XX},
    {"gateway-error", PX_RETRY_GATEWAY_ERROR},
    {"reset", PX_RETRY_RESET},
    {"reset-before-request", PX_RETRY_RESET_BEFORE_REQUEST},
    {"envoy-ratelimited", PX_RETRY_ENVOY_RATELIMITED},
    {"retriable-4xx", PX_RETRY_RETRIABLE_4XX},
    {"retriable-headers", PX_RETRY_RETRIABLE_HEADERS},
    {"http3-post-connect-failure", PX_RETRY_HTTP3_POST_CONNECT_FAILURE},
    {"deadline-exceeded", PX_RETRY_GRPC_DEADLINE_EXCEEDED},
    {"internal", PX_RETRY_GRPC_INTERNAL},
    {"resource-exhausted", PX_RETRY_GRPC_RESOURCE_EXHAUSTED},
};

const char *px_retry_on_format(uint32_t retry_on, char *buf, size_t size)
{
    FL_ASSERT(buf && size > 0);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i <= sizeof names / sizeof names[0]; i++) {
        int last = i == sizeof names / sizeof names[0];
        uint32_t bit = last ? PX_RETRY_TIMEOUT : names[i].bit;
        if (!(retry_on & bit) || used >= size) continue;
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "",
                                 last ? "timeout" : names[i].name);
    }
    return buf;
}

/* Status codes Go's net/http StatusText knows: the ones Istio accepts bare in retryOn. */
static int known_status(long c)
{
    static const short extra[] = {226, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 510, 511};
    if ((c >= 100 && c <= 103) || (c >= 200 && c <= 208) || (c >= 300 && c <= 308 && c != 306) ||
        (c >= 400 && c <= 418) || (c >= 500 && c <= 508))
        return 1;
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (c == extra[i]) return 1;
    return 0;
}

/* The status code spelled by word[0..n), or -1 if it is not all digits. */
static long word_number(const char *word, size_t n)
{
    if (n == 0 || n > 4) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (word[i] < '0' || word[i] > '9') return -1;
        v = v * 10 + (word[i] - '0');
    }
    return v;
}

static uint32_t word_bit(const char *word, size_t n)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, word, n) == 0) return names[i].bit;
    return 0;
}

static int add_code(struct px_retry_policy *p, uint16_t code)
{
    for (size_t i = 0; i < p->n_codes; i++)
        if (p->codes[i] == code) return 0;
    if (p->n_codes == PX_RETRY_CODES_MAX) return -1;
    p->codes[p->n_codes++] = code;
    FL_ASSERT(p->n_codes <= PX_RETRY_CODES_MAX);
    return 0;
}

/* Adds one trimmed, non-empty word to q; 0, or -1 if it is not accepted. */
static int parse_word(struct px_retry_policy *q, const char *word, size_t n)
{
    /* the caller trimmed the word and skips empty ones */
    FL_ASSERT(n > 0 && word[0] != ' ' && word[n - 1] != ' ');
    long code = word_number(word, n);
    if (code >= 0) {
        if (!known_status(code) || add_code(q, (uint16_t)code) < 0) return -1;
        FL_ASSERT(code >= 100 && code <= 599 && q->n_codes > 0);
        q->retry_on |= PX_RETRY_RETRIABLE_STATUS_CODES;
        return 0;
    }
    uint32_t bit = word_bit(word, n);
    if (!bit) return -1;
    q->retry_on |= bit;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *echo_word(const char *word, size_t n)
{
    static char buf[WORD_MAX + 1];
    FL_ASSERT(word || n == 0);
    if (n > WORD_MAX) n = WORD_MAX;
    memcpy(buf, word, n);
    buf[n] = '\0';
    return buf;
}

/*
 * Replaces p->retry_on with the words of `list` and p->codes with its bare
 * status codes (as Istio's parseRetryOn replaces RetriableStatusCodes). An
 * Envoy reader that has a separate retriable_status_codes list parses
 * retry_on first, then adds the codes. On error p is left unchanged and *bad
 * (if bad is not NULL) points to the offending word in a static buffer.
 */
int px_retry_on_parse(const char *list, struct px_retry_policy *p, const char **bad)
{
    FL_ASSERT(list && p);
    struct px_retry_policy q = *p;
    q.retry_on = 0;
    q.n_codes = 0;
    const char *s = list;
    while (*s) {
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        const char *a = s, *b = end;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        if (b > a && parse_word(&q, a, (size_t)(b - a)) < 0) {
            if (bad) *bad = echo_word(a, (size_t)(b - a));
            return -1;
        }
        s = *end ? end + 1 : end;
    }
    *p = q;
    /* a status code in the list turns retriable-status-codes on */
    FL_ASSERT(q.n_codes == 0 || (q.retry_on & PX_RETRY_RETRIABLE_STATUS_CODES));
    return 0;
}

/* ---------------------------------------------------------------- matching */

static int in_codes(const struct px_retry_policy *p, int status)
{
    for (size_t i = 0; i < p->n_codes; i++)
        if (p->codes[i] == status) return 1;
    return 0;
}

static int grpc_matches(uint32_t on, int g)
{
    /* grpc-status values: CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8,
       INTERNAL 13, UNAVAILABLE 14 */
    return (g == 1 && (on & PX_RETRY_GRPC_CANCELLED)) ||
           (g == 4 && (on & PX_RETRY_GRPC_DEADLINE_EXCEEDED)) ||
           (g == 8 && (on & PX_RETRY_GRPC_RESOURCE_EXHAUSTED)) ||
           (g == 13 && (on & PX_RETRY_GRPC_INTERNAL)) ||
           (g == 14 && (on & PX_RETRY_GRPC_UNAVAILABLE));
}

/* Envoy's wouldRetryFromHeaders. */
static int matches_response(const struct px_retry_policy *p, const struct px_attempt *a)
{
    uint32_t on = p->retry_on;
    int st = a->status;
    /* an answer: the attempt reached the upstream and got a status */
    FL_ASSERT(st > 0 && !a->connect_failed && !a->reset && !a->timed_out);
    /* An upstream Envoy's rate-limit answer is retried only under envoy-ratelimited,
       whatever else the policy says. */
    if (a->ratelimited) return (on & PX_RETRY_ENVOY_RATELIMITED) != 0;
    if ((on & PX_RETRY_5XX) && st >= 500 && st <= 599) return 1;
    if ((on & PX_RETRY_GATEWAY_ERROR) && st >= 502 && st <= 504) return 1;
    if ((on & PX_RETRY_RETRIABLE_4XX) && st == 409) return 1;
    if ((on & PX_RETRY_RETRIABLE_STATUS_CODES) && in_codes(p, st)) return 1;
    return a->grpc_status >= 0 && grpc_matches(on, a->grpc_status);
}

/* Envoy's wouldRetryFromReset, with a per-try timeout counted as a local reset. */
static int matches_no_response(const struct px_retry_policy *p, const struct px_attempt *a)
{
    uint32_t on = p->retry_on;
    if ((on & PX_RETRY_TIMEOUT) && a->timed_out) return 1; /* Kong */
    if ((on & PX_RETRY_CONNECT_FAILURE) && a->connect_failed) return 1;
    if ((on & PX_RETRY_RESET_BEFORE_REQUEST) && a->connect_failed) return 1;
    if (on & (PX_RETRY_RESET | PX_RETRY_5XX | PX_RETRY_GATEWAY_ERROR)) return 1;
    return (on & PX_RETRY_REFUSED_STREAM) && a->refused;
}

int px_retry_matches(const struct px_retry_policy *p, const struct px_attempt *a)
{
    FL_ASSERT(p && a);
    int no_response = a->status <= 0 || a->connect_failed || a->reset || a->timed_out || a->refused;
    return no_response ? matches_no_response(p, a) : matches_response(p, a);
}

/* ---------------------------------------------------------------- backoff */

/* A duration in whole ms as Envoy stores it: truncated, and at least 1 ms. */
static uint64_t whole_ms(int64_t ns)
{
    FL_ASSERT(ns >= 0);
    int64_t ms = ns / NS_PER_MS;
    return ms < 1 ? 1 : (uint64_t)ms;
}

/* Current Envoy: the range of retry k is base, doubled while below max/2, then max. */
static uint64_t range_current(uint64_t base, uint64_t max, uint32_t k)
{
    FL_ASSERT(base >= 1 && base <= max);
    uint64_t range = base;
    for (uint32_t i = 1; i < k && range < max; i++) range = range < max / 2 ? range * 2 : max;
    FL_ASSERT(range >= base && range <= max);
    return range;
}

/* Older Envoy: (2^n - 1) * base, n = k until the product first exceeds max. */
static uint64_t range_legacy(uint64_t base, uint64_t max, uint32_t k)
{
    uint32_t n = 1;
    for (uint32_t i = 1; i < k && ((UINT64_C(1) << n) - 1) * base <= max; i++) n++;
    FL_ASSERT(n >= 1 && n < 64);
    return ((UINT64_C(1) << n) - 1) * base;
}

int64_t px_retry_backoff(const struct px_retry_policy *p, uint32_t k, uint64_t random)
{
    FL_ASSERT(p && k >= 1);
    if (p->base_ns < 0) return 0; /* no backoff at all (Kong's balancer retries at once) */
    uint64_t base = whole_ms(p->base_ns);
    uint64_t max = p->max_ns > 0 ? whole_ms(p->max_ns) : 10 * base;
    if (max < base) max = base; /* Envoy rejects such a policy; treat it as a fixed cap */
    uint64_t ms;
    if (p->legacy_backoff) {
        ms = random % range_legacy(base, max, k);
        if (ms > max) ms = max;
    } else {
        ms = random % range_current(base, max, k);
    }
    FL_ASSERT(ms <= max);
    return (int64_t)ms * NS_PER_MS;
}
