/*
 * kong_health.c - reads an upstream's `healthchecks` as Kong does
 * (kong/db/schema/entities/upstreams.lua): active {type, timeout,
 * concurrency, http_path, https_sni, https_verify_certificate, headers,
 * healthy {interval, http_statuses, successes}, unhealthy {interval,
 * http_statuses, tcp_failures, timeouts, http_failures}}, passive {type,
 * healthy {http_statuses, successes}, unhealthy {http_statuses,
 * tcp_failures, timeouts, http_failures}}, threshold. Ranges as the
 * schema's: seconds 0..65535, concurrency 1..2^31, statuses 100..999,
 * threshold 0..100; counters 0..254, as lua-resty-healthcheck's new()
 * refuses more ("must be at most 254": its counters are 8 bits), whatever
 * the schema lets through.
 *
 * Passive checks and the threshold run: the passive statuses and counters
 * go to struct px_outlier_kong (outlier.h: lua-resty-healthcheck's
 * counters), on when a failure counter is above 0; the threshold stays in
 * percent, for the balancer. Active checks are read and checked whole, and
 * refused once an interval or counter of theirs is above 0 (the all-zero
 * block `kong config db_export` writes loads).
 *
 * Not done: active probing (refused). What the checks do to traffic is
 * set when building (kong_build.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "proxies/kong_internal.h"

#define HC_COUNTER_MAX 254

static const char *const hc_types[] = {"tcp", "http", "https", "grpc", "grpcs", NULL};

/* Health check parsing: where we are, and the first setting that turns active checks on. */
struct hcp {
    struct kp *c;
    char path[96];                /* "healthchecks.active.healthy" */
    const yaml_node_t *active_on; /* the first non-zero interval or counter under active */
    char active_key[128];
};

/* "healthchecks.passive.unhealthy.tcp_failures" into buf. */
static const char *hc_name(const struct hcp *h, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s", h->path, key);
    return buf;
}

static int hc_check_keys(struct hcp *h, const yaml_node_t *n, const char *const *keys)
{
    struct fl_ydoc *d = h->c->d;
    return fl_y_want_map(d, n, h->path) || fl_y_check_keys(d, n, keys, NULL, h->path) ? -1 : 0;
}

/* Remembers a non-zero setting under `active`: it would switch active probing on. */
static void hc_active_on(struct hcp *h, const yaml_node_t *x, const char *key, int nonzero)
{
    if (!nonzero || h->active_on || strncmp(h->path, "healthchecks.active", 19)) return;
    h->active_on = x;
    snprintf(h->active_key, sizeof h->active_key, "%s.%s: %s", h->path, key, fl_y_str(x));
}

static int hc_seconds(struct hcp *h, const yaml_node_t *m, const char *key, double *out)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, key);
    char name[160];
    if (!x) return 0;
    if (fl_y_double(h->c->d, x, hc_name(h, key, name, sizeof name), 0, 65535, out)) return -1;
    if (!strcmp(key, "interval")) hc_active_on(h, x, key, *out != 0);
    return 0;
}

static int hc_counter(struct hcp *h, const yaml_node_t *m, const char *key, uint32_t *out)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, key);
    char name[160];
    long long v;
    if (!x) return 0;
    if (fl_y_int(h->c->d, x, hc_name(h, key, name, sizeof name), 0, HC_COUNTER_MAX, &v)) return -1;
    *out = (uint32_t)v;
    hc_active_on(h, x, key, v != 0);
    FL_ASSERT(*out <= HC_COUNTER_MAX);
    return 0;
}

/* http_statuses: a list of 100..999; given, it replaces the default set. */
static int hc_statuses(struct hcp *h, const yaml_node_t *m, uint8_t *set)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, "http_statuses");
    char name[160];
    long long v;
    if (!x) return 0;
    hc_name(h, "http_statuses", name, sizeof name);
    if (fl_y_want_seq(h->c->d, x, name)) return -1;
    memset(set, 0, PX_STATUS_SET_BYTES);
    for (size_t i = 0; i < SEQ_COUNT(x); i++) {
        if (fl_y_int(h->c->d, px_kong_item(h->c, x, i), name, 100, 999, &v)) return -1;
        px_status_set_add(set, (int)v);
    }
    return 0;
}

static int hc_type(struct hcp *h, const yaml_node_t *m)
{
    yaml_node_t *x = fl_y_get(h->c->d, m, "type");
    char name[160];
    int t;
    return x && fl_y_enum(h->c->d, x, hc_name(h, "type", name, sizeof name), hc_types, &t) ? -1 : 0;
}

/* One of `healthy` / `unhealthy` under path `sub` (active or passive): into k. */
static int hc_side(struct hcp *h, const yaml_node_t *m, const char *sub, int healthy,
                   struct px_outlier_kong *k)
{
    static const char *const active_healthy[] = {"interval", "http_statuses", "successes", NULL};
    static const char *const active_unhealthy[] = {"interval", "http_statuses", "tcp_failures",
                                                   "timeouts", "http_failures", NULL};
    static const char *const passive_healthy[] = {"http_statuses", "successes", NULL};
    static const char *const passive_unhealthy[] = {"http_statuses", "tcp_failures", "timeouts",
                                                    "http_failures", NULL};
    const int active = !strcmp(sub, "active");
    FL_ASSERT(active || !strcmp(sub, "passive"));
    yaml_node_t *n = fl_y_get(h->c->d, m, healthy ? "healthy" : "unhealthy");
    double interval;
    if (!n) return 0;
    size_t len = strlen(h->path);
    snprintf(h->path + len, sizeof h->path - len, ".%s", healthy ? "healthy" : "unhealthy");
    int rc = hc_check_keys(h, n,
                           active ? (healthy ? active_healthy : active_unhealthy)
                                  : (healthy ? passive_healthy : passive_unhealthy));
    if (!rc && active) rc = hc_seconds(h, n, "interval", &interval);
    if (!rc) rc = hc_statuses(h, n, healthy ? k->healthy_statuses : k->unhealthy_statuses);
    if (!rc && healthy) rc = hc_counter(h, n, "successes", &k->successes);
    if (!rc && !healthy)
        rc = hc_counter(h, n, "tcp_failures", &k->tcp_failures) ||
             hc_counter(h, n, "timeouts", &k->timeouts) ||
             hc_counter(h, n, "http_failures", &k->http_failures);
    h->path[len] = '\0';
    FL_ASSERT(strlen(h->path) == len); /* the path is back to the caller's */
    return rc ? -1 : 0;
}

/* Active health checks: read and checked as Kong does, refused if they would probe. */
static int hc_active(struct hcp *h, const yaml_node_t *n, const char *what)
{
    static const char *const keys[] = {
        "type",    "timeout", "concurrency", "http_path", "https_sni", "https_verify_certificate",
        "headers", "healthy", "unhealthy",   NULL};
    struct fl_ydoc *d = h->c->d;
    struct px_outlier_kong unused = {0};
    yaml_node_t *x;
    double timeout;
    long long concurrency;
    const char *s;
    int b;
    snprintf(h->path, sizeof h->path, "healthchecks.active");
    if (hc_check_keys(h, n, keys) || hc_type(h, n) || hc_seconds(h, n, "timeout", &timeout))
        return -1;
    if ((x = fl_y_get(d, n, "concurrency")) &&
        fl_y_int(d, x, "healthchecks.active.concurrency", 1, INT64_C(1) << 31, &concurrency))
        return -1;
    if ((x = fl_y_get(d, n, "http_path"))) {
        if (fl_y_string(d, x, "healthchecks.active.http_path", &s)) return -1;
        if (s[0] != '/')
            return fl_y_error(d, x, "healthchecks.active.http_path should start with: /");
    }
    if ((x = fl_y_get(d, n, "https_sni")) && !px_kong_is_null(x) &&
        fl_y_string(d, x, "healthchecks.active.https_sni", &s))
        return -1;
    if (px_kong_opt_bool(h->c, n, "https_verify_certificate",
                         "healthchecks.active.https_verify_certificate", &b))
        return -1;
    if ((x = fl_y_get(d, n, "headers")) && !px_kong_is_null(x)) {
        if (fl_y_want_map(d, x, "healthchecks.active.headers")) return -1;
        for (yaml_node_pair_t *p = x->data.mapping.pairs.start; p < x->data.mapping.pairs.top;
             p++) {
            char **values = NULL;
            size_t n_values = 0;
            int rc = fl_y_string(d, fl_y_node(d, p->key), "healthchecks.active.headers name", &s) ||
                     px_kong_str_list(h->c, fl_y_node(d, p->value),
                                      "healthchecks.active.headers values", &values, &n_values);
            px_kong_strs_free(values, n_values);
            if (rc) return -1;
        }
    }
    if (hc_side(h, n, "active", 1, &unused) || hc_side(h, n, "active", 0, &unused)) return -1;
    if (h->active_on)
        return fl_y_error(d, h->active_on, "%s: active health checks are not supported yet (%s)",
                          what, h->active_key);
    return 0;
}

static int hc_passive(struct hcp *h, const yaml_node_t *n, struct px_outlier_kong *k)
{
    static const char *const keys[] = {"type", "healthy", "unhealthy", NULL};
    snprintf(h->path, sizeof h->path, "healthchecks.passive");
    if (hc_check_keys(h, n, keys) || hc_type(h, n) || hc_side(h, n, "passive", 1, k) ||
        hc_side(h, n, "passive", 0, k))
        return -1;
    /* kong/runloop/balancer/healthcheckers.lua is_upstream_using_healthcheck */
    k->on = k->tcp_failures || k->timeouts || k->http_failures;
    /* every counter came through hc_counter (or is the default 0) */
    FL_ASSERT(k->successes <= HC_COUNTER_MAX && k->tcp_failures <= HC_COUNTER_MAX);
    FL_ASSERT(k->timeouts <= HC_COUNTER_MAX && k->http_failures <= HC_COUNTER_MAX);
    return 0;
}

/* Kong's defaults for passive checks: statuses as upstreams.lua lists them, counters off. */
void px_kong_passive_defaults(struct px_outlier_kong *k)
{
    static const int healthy[] = {200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                  300, 301, 302, 303, 304, 305, 306, 307, 308};
    static const int unhealthy[] = {429, 500, 503};
    memset(k, 0, sizeof *k);
    for (size_t i = 0; i < sizeof healthy / sizeof *healthy; i++)
        px_status_set_add(k->healthy_statuses, healthy[i]);
    for (size_t i = 0; i < sizeof unhealthy / sizeof *unhealthy; i++)
        px_status_set_add(k->unhealthy_statuses, unhealthy[i]);
    FL_ASSERT(px_status_set_has(k->healthy_statuses, 200) && !k->on);
}

int px_kong_parse_healthchecks(struct kp *c, const yaml_node_t *n, struct px_kong_upstream *u,
                               const char *what)
{
    static const char *const keys[] = {"active", "passive", "threshold", NULL};
    struct hcp h = {.c = c};
    yaml_node_t *x;
    snprintf(h.path, sizeof h.path, "healthchecks");
    if (hc_check_keys(&h, n, keys)) return -1;
    if ((x = fl_y_get(c->d, n, "threshold")) &&
        fl_y_double(c->d, x, "healthchecks.threshold", 0, 100, &u->threshold))
        return -1;
    if ((x = fl_y_get(c->d, n, "passive")) && hc_passive(&h, x, &u->passive)) return -1;
    if ((x = fl_y_get(c->d, n, "active")) && hc_active(&h, x, what)) return -1;
    FL_ASSERT(u->threshold >= 0 && u->threshold <= 100);
    return 0;
}
