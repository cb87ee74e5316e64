/*
 * retry_client.c - a client's retries, shared by the workload's clients
 * and the applications' downstream calls.
 *
 * Retry: a try that ended with an outcome named in retry_on is tried again
 * while tries are left, after a backoff (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", Marc Brooker, 2015).
 *
 * Retry budget (`budget: {ratio, min_per_s}`), Finagle's RetryBudget
 * (twitter.github.io/finagle, RetryBudget.apply(ttl, minRetriesPerSec,
 * percentCanRetry); blog "Retry Budgets", 2016): every request deposits,
 * deposits expire after ttl = 10 s, and a retry is allowed while
 *   retries + 1 <= ratio x requests + min_per_s x ttl
 * over that window. Finagle keeps its deposits in a windowed adder of time
 * slices; here the window is ten slots of 1 s.
 *
 * Adaptive throttling (`adaptive_throttle: {k}`), Google's SRE book,
 * chapter 21 "Handling Overload", client-side throttling: over the last two
 * minutes the client counts the requests it attempted (locally rejected
 * ones included) and the accepts (the backend's answers that were not a
 * rejection), and rejects a new try locally with probability
 *   max(0, (requests - k x accepts) / (requests + 1)).
 * A try counts as accepted when its outcome is not an error: not a 5xx, not
 * 429 and not a local failure (timeout, refused or reset connection), which
 * is what an overloaded backend returns here. A rejected try never leaves
 * the client; its request fails at once with outcome `throttled`.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/retry_client.h"

#define SLOT_NS        INT64_C(1000000000)
#define BUDGET_SLOTS   10  /* Finagle's default ttl: 10 s */
#define THROTTLE_SLOTS 120 /* the SRE book's two minutes */

static void window_init(struct sim_window *w, int n_slots)
{
    FL_ASSERT(n_slots > 0 && n_slots <= SIM_WINDOW_SLOTS);
    memset(w, 0, sizeof *w);
    w->n_slots = n_slots;
}

/* Moves the window to now: the slots that fell out of it are emptied. */
static void window_advance(struct sim_window *w, int64_t now)
{
    int64_t s = now / SLOT_NS;
    FL_ASSERT(s >= w->cur);
    if (s - w->cur >= w->n_slots) {
        memset(w->a, 0, sizeof w->a);
        memset(w->b, 0, sizeof w->b);
        w->sum_a = w->sum_b = 0;
        w->cur = s;
        return;
    }
    while (w->cur < s) {
        w->cur++;
        int i = (int)(w->cur % w->n_slots);
        w->sum_a -= w->a[i];
        w->sum_b -= w->b[i];
        w->a[i] = w->b[i] = 0;
    }
}

static void window_add(struct sim_window *w, int64_t now, uint64_t da, uint64_t db)
{
    window_advance(w, now);
    int i = (int)(w->cur % w->n_slots);
    w->a[i] += da;
    w->b[i] += db;
    w->sum_a += da;
    w->sum_b += db;
}

void sim_retry_state_init(struct sim_retry_state *st, struct rpt_retry_count *counts)
{
    FL_ASSERT(st && counts);
    window_init(&st->budget, BUDGET_SLOTS);
    window_init(&st->throttle, THROTTLE_SLOTS);
    st->counts = counts;
}

void sim_retry_on_request(const struct sim_retry_cfg *r, struct sim_retry_state *st, int64_t now)
{
    if (r->has_budget) window_add(&st->budget, now, 1, 0);
}

int sim_retry_throttled(const struct sim_retry_cfg *r, struct sim_retry_state *st, int64_t now,
                        struct fl_rng *rng)
{
    if (r->throttle_k <= 0) return 0;
    FL_ASSERT(st != NULL);
    window_advance(&st->throttle, now);
    double req = (double)st->throttle.sum_a, acc = (double)st->throttle.sum_b;
    double p = (req - r->throttle_k * acc) / (req + 1);
    window_add(&st->throttle, now, 1, 0); /* the request counts, rejected or not */
    /* no draw when p <= 0: the client's random stream stays as without throttling */
    if (p <= 0 || !fl_rng_chance(rng, p)) return 0;
    st->counts->throttled++;
    return 1;
}

static int retryable(unsigned on, int outcome)
{
    switch (outcome) {
    case RPT_FAIL_TIMEOUT: return !!(on & SIM_RETRY_TIMEOUT);
    case RPT_FAIL_CONNECT: /* fall through: a failed lookup is a failed connect */
    case RPT_FAIL_DNS: return !!(on & SIM_RETRY_CONNECT);
    case RPT_FAIL_RESET: return !!(on & SIM_RETRY_RESET);
    case RPT_FAIL_THROTTLED: /* rejected locally: fails at once, never retried */
    case RPT_FAIL_UNFINISHED: return 0;
    case 429: return !!(on & SIM_RETRY_429);
    default: return outcome >= 500 && (on & SIM_RETRY_5XX);
    }
}

int sim_retry_after(const struct sim_retry_cfg *r, struct sim_retry_state *st, uint32_t tries,
                    int outcome, int64_t now)
{
    FL_ASSERT(tries >= 1);
    if (r->throttle_k > 0 && outcome != RPT_FAIL_THROTTLED && !rpt_outcome_is_error(outcome) &&
        outcome != 429)
        window_add(&st->throttle, now, 0, 1); /* an accept */
    if ((int)tries > r->retries || !retryable(r->retry_on, outcome)) return 0;
    if (r->has_budget) {
        window_advance(&st->budget, now);
        double allowed =
            r->budget_ratio * (double)st->budget.sum_a + r->budget_min_per_s * (double)BUDGET_SLOTS;
        if ((double)st->budget.sum_b + 1 > allowed) {
            st->counts->denied++;
            return 0;
        }
        window_add(&st->budget, now, 0, 1);
    }
    FL_ASSERT(st != NULL);
    st->counts->retries++;
    return 1;
}

void sim_retry_counts_alloc(struct rpt_run *run, const struct sim_scenario *sc)
{
    if (run->retry_counts) return;
    run->n_retry_counts = sc->n_workloads + sc->n_services;
    run->retry_counts = fl_calloc(run->n_retry_counts, sizeof *run->retry_counts);
    for (size_t i = 0; i < sc->n_workloads; i++)
        run->retry_counts[i].who = fl_asprintf("workload %s", sc->workloads[i].name);
    for (size_t i = 0; i < sc->n_services; i++)
        run->retry_counts[sc->n_workloads + i].who =
            fl_asprintf("service %s", sc->services[i].name);
}

int64_t sim_backoff(const struct sim_retry_cfg *r, int attempt, int64_t *prev_ns,
                    struct fl_rng *rng)
{
    FL_ASSERT(attempt >= 0 && r->cap_ns >= r->base_ns);
    /* temp = min(cap, base * 2^attempt) */
    double temp = (double)r->base_ns * ldexp(1.0, attempt < 62 ? attempt : 62);
    if (temp > (double)r->cap_ns) temp = (double)r->cap_ns;
    double sleep;
    switch (r->jitter) {
    case SIM_JITTER_NONE: sleep = temp; break;
    case SIM_JITTER_FULL: /* sleep = random_between(0, temp) */
        sleep = fl_rng_unit(rng) * temp;
        break;
    case SIM_JITTER_EQUAL: /* sleep = temp / 2 + random_between(0, temp / 2) */
        sleep = temp / 2 + fl_rng_unit(rng) * (temp / 2);
        break;
    default: { /* decorrelated: sleep = min(cap, random_between(base, sleep * 3)) */
        double lo = (double)r->base_ns, hi = 3.0 * (double)*prev_ns;
        if (hi < lo) hi = lo;
        sleep = lo + fl_rng_unit(rng) * (hi - lo);
        if (sleep > (double)r->cap_ns) sleep = (double)r->cap_ns;
        break;
    }
    }
    *prev_ns = (int64_t)llround(sleep);
    return *prev_ns;
}
