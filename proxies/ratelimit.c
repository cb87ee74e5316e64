/*
 * ratelimit.c - Kong's rate-limiting plugin, policy local (see ratelimit.h).
 *
 * How, following Kong (kong/plugins/rate-limiting/handler.lua,
 * expiration.lua, policies/init.lua; kong/tools/timestamp.lua):
 *  - Time is read in whole seconds (ngx.time()). Each period has a fixed
 *    window aligned to its UTC boundary: the second, minute, hour, day,
 *    calendar month or calendar year holding the request (timestamp.lua
 *    get_timestamps). Months and years are found with civil-from-days
 *    arithmetic on the proleptic Gregorian calendar; no libc time function.
 *  - One counter per identifier and period, tagged with its window start; a
 *    counter from an older window reads as 0 (Kong keys the shared-memory
 *    counter by the window start).
 *  - get_usage: remaining = limit - usage for each period; the request is
 *    refused ("stop") when any remaining <= 0. An allowed request counts in
 *    every period (Kong's increment); a refused one counts nowhere.
 *  - Headers: for each period X-RateLimit-Limit-<Period> and
 *    X-RateLimit-Remaining-<Period>, where remaining is decremented for
 *    this request unless it was refused, never below 0. RateLimit-Limit,
 *    -Remaining and -Reset describe the period with the fewest remaining
 *    requests (ties: the longest window). RateLimit-Reset is Kong's
 *    max(1, EXPIRATION[period] - (now - window start)), where EXPIRATION is
 *    1, 60, 3600, 86400, 2592000 (30 days) and 31536000 (365 days): for
 *    months and years Kong counts a fixed length, not the calendar's, and so
 *    does this file. Retry-After carries the same value on a refusal. With
 *    hide_client_headers none of them is sent, Retry-After included (Kong
 *    computes the reset only when it builds the headers).
 *
 * Not here: working out the identifier from a request (limit_by: consumer,
 * credential, ip, service, header, path -- the caller's); Kong's
 * asynchronous increment of policy local (timer_at), which lets concurrent
 * requests overshoot a little: here the count is exact.
 *
 * Policy redis (policies/init.lua, Kong 3.x with sync_rate -1, its
 * default and the only value faultline takes): for each limited period the
 * usage is read and counted in one atomic step on the store -- INCR of the
 * period's key, EXPIRE with the period's length when the INCR created it,
 * the count before the INCR as the usage ("the usage of redis command incr
 * instead of get is to avoid race conditions in concurrent calls") -- and
 * the increment after the response is then a no-op. So a refused request
 * counts too, and gateways sharing a store let exactly the limit through
 * per window. The caller talks to the store (px_rl_keys, then px_rl_decide
 * or px_rl_store_failed); the verdict's arithmetic is policy local's.
 */
#include "proxies/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#define NS_PER_S INT64_C(1000000000)
#define DAY_S    INT64_C(86400)

struct px_rl_counter {
    char *id;
    int64_t window[PX_RL_PERIODS]; /* start of the window the count belongs to */
    int64_t count[PX_RL_PERIODS];
    struct px_rl_counter *next;
};

/* Kong's expiration.lua: the length it counts for each period, in seconds. */
static const int64_t kong_expiration_s[PX_RL_PERIODS] = {1, 60, 3600, 86400, 2592000, 31536000};

static const char *const period_name[PX_RL_PERIODS] = {"Second", "Minute", "Hour",
                                                       "Day",    "Month",  "Year"};

void px_rl_cfg_default(struct px_rl_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->limit_by = PX_RL_BY_CONSUMER;
    c->error_code = 429;
    c->error_message = fl_strdup("API rate limit exceeded");
    c->fault_tolerant = 1;
    c->redis.port = 6379;
    c->redis.timeout_ms = 2000;
}

static char *dup_or_null(const char *s)
{
    return s ? fl_strdup(s) : NULL;
}

void px_rl_cfg_copy(struct px_rl_cfg *dst, const struct px_rl_cfg *src)
{
    *dst = *src;
    dst->header_name = dup_or_null(src->header_name);
    dst->path = dup_or_null(src->path);
    dst->error_message = dup_or_null(src->error_message);
    dst->redis.host = dup_or_null(src->redis.host);
    dst->redis.username = dup_or_null(src->redis.username);
    dst->redis.password = dup_or_null(src->redis.password);
    dst->redis.host_at = dup_or_null(src->redis.host_at);
    dst->scope = dup_or_null(src->scope);
    FL_ASSERT(!src->error_message || dst->error_message);
}

void px_rl_cfg_free(struct px_rl_cfg *c)
{
    free(c->redis.host);
    free(c->redis.username);
    free(c->redis.password);
    free(c->redis.host_at);
    free(c->scope);
    free(c->header_name);
    free(c->path);
    free(c->error_message);
    memset(c, 0, sizeof *c);
}

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    FL_ASSERT(b > 0);
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
 * Years are counted from March, so that the leap day ends a year: a
 * 400-year era then has 146097 days and the day of a March-based year is
 * (153 * month + 2) / 5 + day - 1.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    FL_ASSERT(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                         /* 0..399 */
    int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;                  /* 719468: 0000-03-01 to 1970-01-01 */
}

/* The inverse: year and month (1..12) of a day number. */
static void civil_from_days(int64_t z, int64_t *y_out, int *m_out)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y_out = yoe + era * 400 + (m <= 2);
    FL_ASSERT(m >= 1 && m <= 12);
    *m_out = m;
}

int64_t px_rl_window_start(enum px_rl_period period, int64_t t)
{
    static const int64_t fixed[] = {1, 60, 3600, DAY_S};
    FL_ASSERT((int)period >= 0 && period < PX_RL_PERIODS);
    if (period <= PX_RL_DAY) return floor_div(t, fixed[period]) * fixed[period];
    int64_t y;
    int m;
    civil_from_days(floor_div(t, DAY_S), &y, &m);
    if (period == PX_RL_MONTH) return days_from_civil(y, m, 1) * DAY_S;
    FL_ASSERT(period == PX_RL_YEAR);
    return days_from_civil(y, 1, 1) * DAY_S;
}

int64_t px_rl_window_end(enum px_rl_period period, int64_t t)
{
    static const int64_t fixed[] = {1, 60, 3600, DAY_S};
    int64_t start = px_rl_window_start(period, t);
    FL_ASSERT(start <= t);
    if (period <= PX_RL_DAY) return start + fixed[period];
    int64_t y;
    int m;
    civil_from_days(floor_div(start, DAY_S), &y, &m);
    if (period == PX_RL_MONTH)
        return days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * DAY_S;
    return days_from_civil(y + 1, 1, 1) * DAY_S;
}

/* ---- counters ---- */

void px_rl_init(struct px_rl *rl, struct px_rl_cfg *cfg)
{
    memset(rl, 0, sizeof *rl);
    rl->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    rl->n_buckets = 64;
    rl->buckets = fl_calloc(rl->n_buckets, sizeof *rl->buckets);
    /* a power of two: a bucket is the hash's low bits */
    FL_ASSERT((rl->n_buckets & (rl->n_buckets - 1)) == 0);
}

void px_rl_free(struct px_rl *rl)
{
    for (size_t i = 0; i < rl->n_buckets; i++) {
        struct px_rl_counter *c = rl->buckets[i], *next;
        for (; c; c = next) {
            next = c->next;
            free(c->id);
            free(c);
        }
    }
    free(rl->buckets);
    px_rl_cfg_free(&rl->cfg);
    memset(rl, 0, sizeof *rl);
}

/* FNV-1a: the bucket of an identifier (lookups only; never iterated for behaviour). */
static uint64_t hash_id(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static void grow(struct px_rl *rl)
{
    size_t n = rl->n_buckets * 2;
    struct px_rl_counter **b = fl_calloc(n, sizeof *b);
    for (size_t i = 0; i < rl->n_buckets; i++) {
        struct px_rl_counter *c = rl->buckets[i], *next;
        for (; c; c = next) {
            next = c->next;
            size_t k = hash_id(c->id) & (n - 1);
            c->next = b[k];
            b[k] = c;
        }
    }
    free(rl->buckets);
    rl->buckets = b;
    rl->n_buckets = n;
    FL_ASSERT((n & (n - 1)) == 0 && rl->n_counters <= n);
}

static struct px_rl_counter *counter(struct px_rl *rl, const char *id)
{
    size_t k = hash_id(id) & (rl->n_buckets - 1);
    for (struct px_rl_counter *c = rl->buckets[k]; c; c = c->next)
        if (!strcmp(c->id, id)) return c;
    if (rl->n_counters >= 2 * rl->n_buckets) {
        grow(rl);
        k = hash_id(id) & (rl->n_buckets - 1);
    }
    struct px_rl_counter *c = fl_calloc(1, sizeof *c);
    c->id = fl_strdup(id);
    for (int p = 0; p < PX_RL_PERIODS; p++) c->window[p] = INT64_MIN;
    c->next = rl->buckets[k];
    rl->buckets[k] = c;
    rl->n_counters++;
    FL_ASSERT(rl->n_counters <= 2 * rl->n_buckets);
    return c;
}

/* ---- the check ---- */

/* The period whose headers Kong reports: fewest remaining, ties to the longest window. */
static int closest_period(const struct px_rl_verdict *v)
{
    int best = -1;
    for (int p = 0; p < PX_RL_PERIODS; p++) {
        if (v->limit[p] < 0) continue;
        if (best < 0 || v->remaining[p] <= v->remaining[best]) best = p;
    }
    FL_ASSERT(best < PX_RL_PERIODS);
    return best;
}

/*
 * Kong's get_usage and its headers' arithmetic, from usage[p] (the count of
 * period p's window before this request): remaining = limit - usage, a stop
 * when any remaining <= 0.
 */
static void verdict(struct px_rl *rl, const int64_t usage[PX_RL_PERIODS], int64_t t,
                    struct px_rl_verdict *v)
{
    int stop = 0;
    for (int p = 0; p < PX_RL_PERIODS; p++)
        if (rl->cfg.limit[p] > 0 && rl->cfg.limit[p] - usage[p] <= 0) stop = 1;
    v->allowed = !stop;
    for (int p = 0; p < PX_RL_PERIODS; p++) {
        v->limit[p] = v->remaining[p] = -1;
        if (rl->cfg.limit[p] <= 0) continue;
        v->limit[p] = rl->cfg.limit[p];
        /* Kong: this request is taken off unless it was refused; never below 0 */
        int64_t r = rl->cfg.limit[p] - usage[p] - (v->allowed ? 1 : 0);
        v->remaining[p] = r > 0 ? r : 0;
    }
    v->stop = closest_period(v);
    v->reset_s = 0;
    if (v->stop >= 0) {
        int64_t elapsed = t - px_rl_window_start((enum px_rl_period)v->stop, t);
        int64_t reset = kong_expiration_s[v->stop] - elapsed;
        v->reset_s = reset > 1 ? reset : 1;
    }
    FL_ASSERT(v->stop < 0 || (v->reset_s >= 1 && v->limit[v->stop] > 0));
    if (v->allowed)
        rl->allowed++;
    else
        rl->refused++;
}

int px_rl_check(struct px_rl *rl, const char *identifier, int64_t now_ns, struct px_rl_verdict *v)
{
    FL_ASSERT(identifier && rl->cfg.policy == PX_RL_LOCAL);
    int64_t t = floor_div(now_ns, NS_PER_S); /* whole seconds, as ngx.time */
    struct px_rl_counter *c = counter(rl, identifier);
    int64_t usage[PX_RL_PERIODS] = {0};
    for (int p = 0; p < PX_RL_PERIODS; p++) {
        if (rl->cfg.limit[p] <= 0) continue;
        int64_t start = px_rl_window_start((enum px_rl_period)p, t);
        if (c->window[p] != start) {
            c->window[p] = start;
            c->count[p] = 0;
        }
        usage[p] = c->count[p];
    }
    verdict(rl, usage, t, v);
    for (int p = 0; p < PX_RL_PERIODS && v->allowed; p++) {
        if (rl->cfg.limit[p] <= 0) continue;
        c->count[p]++;
        /* a request is let through only while every window has room: counts stay within limits */
        FL_ASSERT(c->count[p] <= rl->cfg.limit[p]);
    }
    return v->allowed;
}

/* ---- policy redis ---- */

size_t px_rl_keys(const struct px_rl *rl, const char *identifier, int64_t now_ns,
                  char *keys[PX_RL_PERIODS], int periods[PX_RL_PERIODS],
                  int64_t expire_s[PX_RL_PERIODS])
{
    static const char *const lower[PX_RL_PERIODS] = {"second", "minute", "hour",
                                                     "day",    "month",  "year"};
    /* Kong's EMPTY_UUID stands for a route or service the plugin is not scoped to */
    static const char *const none = "00000000-0000-0000-0000-000000000000:"
                                    "00000000-0000-0000-0000-000000000000";
    FL_ASSERT(identifier && rl->cfg.policy == PX_RL_REDIS);
    int64_t t = floor_div(now_ns, NS_PER_S);
    size_t n = 0;
    for (int p = 0; p < PX_RL_PERIODS; p++) {
        if (rl->cfg.limit[p] <= 0) continue;
        int64_t start_ms = px_rl_window_start((enum px_rl_period)p, t) * 1000;
        keys[n] = fl_asprintf("ratelimit:%s:%s:%lld:%s", rl->cfg.scope ? rl->cfg.scope : none,
                              identifier, (long long)start_ms, lower[p]);
        periods[n] = p;
        expire_s[n] = kong_expiration_s[p];
        n++;
    }
    FL_ASSERT(n >= 1 && n <= PX_RL_PERIODS);
    return n;
}

int px_rl_decide(struct px_rl *rl, const int64_t usage[PX_RL_PERIODS], int64_t now_ns,
                 struct px_rl_verdict *v)
{
    FL_ASSERT(rl->cfg.policy == PX_RL_REDIS);
    for (int p = 0; p < PX_RL_PERIODS; p++) FL_ASSERT(usage[p] >= 0);
    verdict(rl, usage, floor_div(now_ns, NS_PER_S), v);
    return v->allowed;
}

int px_rl_store_failed(struct px_rl *rl, struct px_rl_verdict *v)
{
    FL_ASSERT(rl->cfg.policy == PX_RL_REDIS);
    memset(v, 0, sizeof *v);
    for (int p = 0; p < PX_RL_PERIODS; p++) v->limit[p] = v->remaining[p] = -1;
    v->stop = -1; /* Kong: no usage, so no headers */
    v->allowed = rl->cfg.fault_tolerant;
    if (v->allowed)
        rl->unchecked++;
    else
        rl->failed++;
    return v->allowed;
}

static void add_number(struct px_msg *m, const char *name, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)value);
    px_msg_add_header(m, name, buf);
}

void px_rl_headers(const struct px_rl *rl, const struct px_rl_verdict *v, struct px_msg *m)
{
    if (rl->cfg.hide_client_headers || v->stop < 0) return;
    FL_ASSERT(v->stop < PX_RL_PERIODS && v->limit[v->stop] > 0 && v->remaining[v->stop] >= 0);
    char name[64];
    for (int p = 0; p < PX_RL_PERIODS; p++) {
        if (v->limit[p] < 0) continue;
        snprintf(name, sizeof name, "X-RateLimit-Limit-%s", period_name[p]);
        add_number(m, name, v->limit[p]);
        snprintf(name, sizeof name, "X-RateLimit-Remaining-%s", period_name[p]);
        add_number(m, name, v->remaining[p]);
    }
    add_number(m, "RateLimit-Limit", v->limit[v->stop]);
    add_number(m, "RateLimit-Remaining", v->remaining[v->stop]);
    add_number(m, "RateLimit-Reset", v->reset_s);
    if (!v->allowed) add_number(m, "Retry-After", v->reset_s);
}
