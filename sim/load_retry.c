/*
 * load_retry.c - a client's retry settings, the same on a workload's
 * `retry:` and on a service's `calls` items: timeout (per try), retries,
 * backoff {base, cap, jitter}, retry_on, budget {ratio, min_per_s} and
 * adaptive_throttle {k} (sim/retry_client.c runs them).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

void sim_retry_defaults(struct sim_retry_cfg *r)
{
    memset(r, 0, sizeof *r);
    /* Envoy's retry_on `5xx` also covers connect failures and resets, and a per-try timeout
     * counts as a 5xx there (envoyproxy.io, x-envoy-retry-on): the same set by default. */
    r->retry_on = SIM_RETRY_5XX | SIM_RETRY_TIMEOUT | SIM_RETRY_CONNECT | SIM_RETRY_RESET;
    r->base_ns = 100 * INT64_C(1000000);
    r->cap_ns = 10 * INT64_C(1000000000);
    r->jitter = SIM_JITTER_FULL;
}

static int load_retry_on(struct fl_ydoc *d, const yaml_node_t *n, unsigned *out)
{
    static const char *const names[] = {"5xx", "timeout", "connect-failure", "reset", "429", NULL};
    const char *s;
    if (fl_y_string(d, n, "retry_on", &s)) return -1;
    char *copy = fl_strdup(s), *save = NULL;
    *out = 0;
    int rc = 0;
    for (char *w = strtok_r(copy, ", ", &save); w && !rc; w = strtok_r(NULL, ", ", &save)) {
        int i = 0;
        while (names[i] && strcmp(names[i], w)) i++;
        if (names[i]) {
            *out |= 1u << i;
            continue;
        }
        const char *hint = fl_did_you_mean(w, names);
        rc = hint ? fl_y_error(d, n, "retry_on: unknown condition '%s' (did you mean '%s'?)", w,
                               hint)
                  : fl_y_error(d, n,
                               "retry_on: unknown condition '%s' (use 5xx, timeout, "
                               "connect-failure, reset, 429)",
                               w);
    }
    free(copy);
    return rc;
}

static int load_backoff(struct fl_ydoc *d, const yaml_node_t *b, struct sim_retry_cfg *r)
{
    static const char *const bkeys[] = {"base", "cap", "jitter", NULL};
    static const char *const jitters[] = {"none", "full", "equal", "decorrelated", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(d, b, bkeys, NULL, "backoff")) return -1;
    if ((x = fl_y_get(d, b, "base")) &&
        fl_y_duration(d, x, "backoff base", 0, SIM_DURATION_MAX, &r->base_ns))
        return -1;
    if ((x = fl_y_get(d, b, "cap")) &&
        fl_y_duration(d, x, "backoff cap", 0, SIM_DURATION_MAX, &r->cap_ns))
        return -1;
    if (r->cap_ns < r->base_ns) return fl_y_error(d, b, "backoff cap must not be below its base");
    int j;
    if ((x = fl_y_get(d, b, "jitter"))) {
        if (fl_y_enum(d, x, "jitter", jitters, &j)) return -1;
        r->jitter = (enum sim_jitter)j;
    }
    return 0;
}

/* budget: {ratio: 20%, min_per_s: 10} - Finagle's RetryBudget defaults when left out */
static int load_budget(struct fl_ydoc *d, const yaml_node_t *n, struct sim_retry_cfg *r)
{
    static const char *const keys[] = {"ratio", "min_per_s", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(d, n, keys, NULL, "budget")) return -1;
    r->has_budget = 1;
    r->budget_ratio = 0.2;
    r->budget_min_per_s = 10;
    if ((x = fl_y_get(d, n, "ratio")) && fl_y_fraction(d, x, "budget ratio", &r->budget_ratio))
        return -1;
    if ((x = fl_y_get(d, n, "min_per_s")) &&
        fl_y_double(d, x, "budget min_per_s", 0, SIM_RATE_MAX, &r->budget_min_per_s))
        return -1;
    return 0;
}

/* adaptive_throttle: {k: 2} - the SRE book's multiplier, 2 when left out */
static int load_throttle(struct fl_ydoc *d, const yaml_node_t *n, struct sim_retry_cfg *r)
{
    static const char *const keys[] = {"k", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(d, n, keys, NULL, "adaptive_throttle")) return -1;
    r->throttle_k = 2;
    if ((x = fl_y_get(d, n, "k")) &&
        fl_y_double(d, x, "adaptive_throttle k", 1, 1e6, &r->throttle_k))
        return -1;
    return 0;
}

int sim_load_retry_fields(struct fl_ydoc *d, const yaml_node_t *n, struct sim_retry_cfg *r)
{
    FL_ASSERT(n && n->type == YAML_MAPPING_NODE && r->retry_on != 0);
    yaml_node_t *x;
    long long retries = 0;
    if ((x = fl_y_get(d, n, "retries")) && fl_y_int(d, x, "retries", 0, SIM_RETRIES_MAX, &retries))
        return -1;
    r->retries = (int)retries;
    if ((x = fl_y_get(d, n, "timeout")) &&
        fl_y_duration(d, x, "timeout", 1, SIM_DURATION_MAX, &r->timeout_ns))
        return -1;
    if ((x = fl_y_get(d, n, "retry_on")) && load_retry_on(d, x, &r->retry_on)) return -1;
    if ((x = fl_y_get(d, n, "backoff")) && load_backoff(d, x, r)) return -1;
    if ((x = fl_y_get(d, n, "budget")) && load_budget(d, x, r)) return -1;
    if ((x = fl_y_get(d, n, "adaptive_throttle")) && load_throttle(d, x, r)) return -1;
    return 0;
}
