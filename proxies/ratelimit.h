/*
 * ratelimit.h - Kong's rate-limiting plugin with policy local: fixed
 * windows aligned to period boundaries (second, minute, hour, day, month,
 * year; months and years are calendar ones, UTC), one counter per
 * identifier and period, and Kong's response headers.
 *
 * Semantics (Kong kong/plugins/rate-limiting handler.lua, schema.lua,
 * expiration.lua): a request is refused when, for any
 * configured period, the usage already in the current window has reached
 * the limit; a refused request is not counted. An allowed one counts in
 * every period. Headers: X-RateLimit-Limit-<Period> and
 * X-RateLimit-Remaining-<Period> for each period, RateLimit-Limit,
 * RateLimit-Remaining and RateLimit-Reset for the period closest to its
 * limit, and Retry-After on a refusal; error_code (429) and error_message
 * ("API rate limit exceeded") on a refusal; none of the headers with
 * hide_client_headers.
 *
 * Time is the runtime's clock, taken as seconds since the Unix epoch (the
 * simulator's clock starts at 0, i.e. 1970-01-01T00:00:00Z).
 */
#ifndef FL_PROXIES_RATELIMIT_H
#define FL_PROXIES_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/http.h"

enum px_rl_period {
    PX_RL_SECOND,
    PX_RL_MINUTE,
    PX_RL_HOUR,
    PX_RL_DAY,
    PX_RL_MONTH,
    PX_RL_YEAR,
    PX_RL_PERIODS
};

enum px_rl_limit_by {
    PX_RL_BY_CONSUMER,
    PX_RL_BY_CREDENTIAL,
    PX_RL_BY_IP,
    PX_RL_BY_SERVICE,
    PX_RL_BY_HEADER,
    PX_RL_BY_PATH
};

/* Where the counters live (Kong's config.policy; DB-less Kong has no 'cluster'). */
enum px_rl_policy { PX_RL_LOCAL, PX_RL_REDIS };

/* Kong 3's config.redis (or the older flat redis_* fields). */
struct px_rl_redis {
    char *host;
    int port;                  /* 6379 */
    int64_t timeout_ms;        /* 2000 */
    int database;              /* 0 */
    char *username, *password; /* NULL: none */
    char *host_at;             /* "file:line:col" of the host (NULL: built in code) */
};

struct px_rl_cfg {
    int64_t limit[PX_RL_PERIODS]; /* 0: no limit for that period */
    enum px_rl_policy policy;
    int fault_tolerant; /* 1: a request goes through when the store fails; 0: 500 */
    struct px_rl_redis redis;
    char *scope; /* "<route>:<service>" of the counters' keys (NULL: both unset) */
    enum px_rl_limit_by limit_by;
    char *header_name; /* limit_by header */
    char *path;        /* limit_by path */
    int hide_client_headers;
    int error_code;      /* 429 */
    char *error_message; /* "API rate limit exceeded" */
};

void px_rl_cfg_default(struct px_rl_cfg *c);
void px_rl_cfg_free(struct px_rl_cfg *c);
/* A deep copy (dst's old contents are not freed). */
void px_rl_cfg_copy(struct px_rl_cfg *dst, const struct px_rl_cfg *src);

struct px_rl_counter;

struct px_rl {
    struct px_rl_cfg cfg; /* owned */
    struct px_rl_counter **buckets;
    size_t n_buckets, n_counters;
    uint64_t allowed, refused;
    uint64_t unchecked; /* let through unchecked: the store failed (fault_tolerant) */
    uint64_t failed;    /* refused with 500: the store failed (fault_tolerant false) */
};

/* Takes ownership of cfg's strings. */
void px_rl_init(struct px_rl *rl, struct px_rl_cfg *cfg);
void px_rl_free(struct px_rl *rl);

struct px_rl_verdict {
    int allowed;
    int64_t limit[PX_RL_PERIODS]; /* -1 where no limit */
    int64_t remaining[PX_RL_PERIODS];
    int stop;        /* the period closest to its limit (the one that refused) */
    int64_t reset_s; /* seconds until that period's window ends (at least 1) */
};

/*
 * Checks (and, when allowed, counts) one request from `identifier` at
 * now_ns. Fills *v; returns v->allowed.
 */
int px_rl_check(struct px_rl *rl, const char *identifier, int64_t now_ns, struct px_rl_verdict *v);

/*
 * Policy redis, the keys of one request from `identifier` at now_ns: one
 * per limited period, Kong's ratelimit:<route>:<service>:<identifier>:
 * <window start, ms>:<period> with the period's expiry (policies/init.lua
 * get_local_key, expiration.lua). Writes at most PX_RL_PERIODS keys
 * (malloc'd: the caller frees them), periods[i] and expire_s[i]; returns
 * how many.
 */
size_t px_rl_keys(const struct px_rl *rl, const char *identifier, int64_t now_ns,
                  char *keys[PX_RL_PERIODS], int periods[PX_RL_PERIODS],
                  int64_t expire_s[PX_RL_PERIODS]);

/*
 * Policy redis, the verdict from the store's answer: usage[p] is the count
 * of period p's window before this request (the store counted the request
 * itself already). Fills *v; returns v->allowed.
 */
int px_rl_decide(struct px_rl *rl, const int64_t usage[PX_RL_PERIODS], int64_t now_ns,
                 struct px_rl_verdict *v);

/*
 * Policy redis, the store failed: with fault_tolerant the request goes
 * through without headers (returns 1), else it is refused (returns 0, the
 * caller answers 500). Counts either.
 */
int px_rl_store_failed(struct px_rl *rl, struct px_rl_verdict *v);

/* Adds Kong's headers for the verdict to a response (unless hide_client_headers). */
void px_rl_headers(const struct px_rl *rl, const struct px_rl_verdict *v, struct px_msg *m);

/* The start of the window of `period` holding second t (UTC calendar for months and years). */
int64_t px_rl_window_start(enum px_rl_period period, int64_t t);

/* The start of the next window after the one holding second t. */
int64_t px_rl_window_end(enum px_rl_period period, int64_t t);

#endif
