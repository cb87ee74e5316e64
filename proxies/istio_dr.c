/*
 * istio_dr.c - reads the spec of a DestinationRule (istio/api
 * networking/v1alpha3 destination_rule.proto): host, exportTo,
 * trafficPolicy (loadBalancer.simple, connectionPool tcp / http,
 * outlierDetection) and subsets (labels, their own trafficPolicy).
 *
 * UNSPECIFIED is istiod's default balancer, LEAST_CONN a deprecated name
 * of LEAST_REQUEST. Connection-pool integers of 0 mean "unset", as istiod
 * takes them. outlierDetection starts from Envoy's defaults with
 * success-rate ejection off and minHealthPercent 0; consecutive5xxErrors
 * and consecutiveGatewayErrors are enforced at 100% when above 0
 * (applyOutlierDetection). How a subset's policy merges with the rule's
 * is istio_build.c's (MergeTrafficPolicy).
 *
 * consistentHash (cluster_traffic_policy.go ApplyRingHashLoadBalancer):
 * maglev given -> MAGLEV (tableSize, 0 meaning Envoy's 65537), else RING_HASH
 * (ringHash.minimumRingSize, or the deprecated top-level minimumRingSize; 0
 * meaning Envoy's 1024): ring hash is Istio's default algorithm. The hash
 * key (one of httpHeaderName, httpCookie, useSourceIp,
 * httpQueryParameterName) becomes the route's hash policy
 * (route.go consistentHashToHashPolicy); here it is kept with the cluster.
 * Envoy's limits are checked: a ring of at most 8M entries, a Maglev table
 * size that is prime and at most 5000011.
 *
 * retryBudget {percent, minRetryConcurrency} becomes the cluster's
 * circuit-breaker retry_budget (budget_percent, min_retry_concurrency),
 * which replaces max_retries; percent absent: Envoy's 20%,
 * minRetryConcurrency 0 or absent: Envoy's 3 [inferred: istiod sets only
 * what is given, and proto3 cannot tell 0 from absent].
 *
 * localityLbSetting is read by istio_locality.c and applied per client by
 * lb_locality.c.
 *
 * Refused by name, as not supported yet: warmup,
 * PASSTHROUGH, portLevelSettings, workloadSelector; and the
 * deprecated consecutiveErrors, which istiod ignores. Read and without
 * effect here: tls, tunnel, proxyProtocol,
 * tcpKeepalive, idle timeouts, maxConnectionDuration, h2UpgradePolicy,
 * useClientProtocol, maxConcurrentStreams.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

#define MS INT64_C(1000000)

/* A name for the hash key: a non-empty string that fits. */
static int hash_name(struct ip *c, const yaml_node_t *x, const char *what, char *out)
{
    const char *v;
    if (fl_y_string(c->d, x, what, &v)) return -1;
    if (!*v || strlen(v) >= PX_HASH_NAME_MAX)
        return fl_y_error(c->d, x, "%s: %s must have 1 to %d characters", c->what, what,
                          PX_HASH_NAME_MAX - 1);
    strcpy(out, v);
    return 0;
}

static int parse_cookie(struct ip *c, const yaml_node_t *n, struct px_hash_policy *h)
{
    static const char *const keys[] = {"name", "path", "ttl", NULL};
    static const char *const req[] = {"name", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, req, "httpCookie") ||
        hash_name(c, fl_y_get(c->d, n, "name"), "httpCookie.name", h->name))
        return -1;
    h->key = PX_HASH_COOKIE;
    if ((x = fl_y_get(c->d, n, "path")) && hash_name(c, x, "httpCookie.path", h->path)) return -1;
    if ((x = fl_y_get(c->d, n, "ttl"))) {
        if (px_istio_go_duration(c, x, "httpCookie.ttl", 0, &h->ttl_ns)) return -1;
        h->has_ttl = 1; /* even 0s: Envoy then makes session cookies */
    }
    return 0;
}

/* The hash key: exactly one of the four (the proto's oneof hash_key). */
static int parse_hash_key(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const oneof[] = {"httpHeaderName", "httpCookie", "useSourceIp",
                                        "httpQueryParameterName", NULL};
    int given = 0, on = 0;
    yaml_node_t *x;
    for (int i = 0; oneof[i]; i++) given += fl_y_get(c->d, n, oneof[i]) != NULL;
    if (given != 1)
        return fl_y_error(c->d, n,
                          "%s: consistentHash needs exactly one of httpHeaderName, httpCookie, "
                          "useSourceIp, httpQueryParameterName",
                          c->what);
    if ((x = fl_y_get(c->d, n, "httpHeaderName"))) {
        p->hash.key = PX_HASH_HEADER;
        return hash_name(c, x, "httpHeaderName", p->hash.name);
    }
    if ((x = fl_y_get(c->d, n, "httpQueryParameterName"))) {
        p->hash.key = PX_HASH_QUERY;
        return hash_name(c, x, "httpQueryParameterName", p->hash.name);
    }
    if ((x = fl_y_get(c->d, n, "httpCookie"))) return parse_cookie(c, x, &p->hash);
    x = fl_y_get(c->d, n, "useSourceIp");
    if (fl_y_bool(c->d, x, "useSourceIp", &on)) return -1;
    if (!on) return fl_y_error(c->d, x, "%s: useSourceIp: false gives no hash key", c->what);
    p->hash.key = PX_HASH_SOURCE_IP;
    return 0;
}

/* A size in a one-key mapping ({minimumRingSize: N} or {tableSize: N}); 0 means the default. */
static int table_size(struct ip *c, const yaml_node_t *n, const char *key, long long max,
                      uint64_t *out)
{
    const char *const keys[] = {key, NULL};
    yaml_node_t *x;
    long long v;
    if (fl_y_check_keys(c->d, n, keys, NULL, key)) return -1;
    if (!(x = fl_y_get(c->d, n, key))) return 0;
    if (fl_y_int(c->d, x, key, 0, max, &v)) return -1;
    if (v && !strcmp(key, "tableSize") && !px_is_prime((uint64_t)v))
        return fl_y_error(c->d, x, "%s: maglev tableSize %lld is not prime (Envoy requires it)",
                          c->what, v);
    FL_ASSERT(v >= 0 && v <= max);
    *out = (uint64_t)v;
    return 0;
}

static int parse_hash(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {"httpHeaderName",         "httpCookie", "useSourceIp",
                                       "httpQueryParameterName", "ringHash",   "maglev",
                                       "minimumRingSize",        NULL};
    yaml_node_t *ring = fl_y_get(c->d, n, "ringHash"), *mag = fl_y_get(c->d, n, "maglev");
    yaml_node_t *x;
    long long v;
    if (fl_y_check_keys(c->d, n, keys, NULL, "consistentHash") || parse_hash_key(c, n, p))
        return -1;
    if (ring && mag)
        return fl_y_error(c->d, mag, "%s: consistentHash takes ringHash or maglev, not both",
                          c->what);
    p->lb = mag ? PX_LB_MAGLEV : PX_LB_RING_HASH; /* ring hash unless maglev is given */
    if (mag) return table_size(c, mag, "tableSize", PX_MAGLEV_SIZE_MAX, &p->maglev_size);
    if (ring)
        return table_size(c, ring, "minimumRingSize", PX_RING_SIZE_MAX_DFLT, &p->ring_size_min);
    if ((x = fl_y_get(c->d, n, "minimumRingSize"))) { /* deprecated */
        if (fl_y_int(c->d, x, "minimumRingSize", 0, PX_RING_SIZE_MAX_DFLT, &v)) return -1;
        p->ring_size_min = (uint64_t)v;
    }
    return 0;
}

static int parse_lb(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {
        "simple", "consistentHash", "localityLbSetting", "warmupDurationSecs", "warmup", NULL};
    static const char *const simple[] = {"UNSPECIFIED", "LEAST_CONN",    "RANDOM", "PASSTHROUGH",
                                         "ROUND_ROBIN", "LEAST_REQUEST", NULL};
    int v = 0;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "loadBalancer") ||
        px_istio_refuse(c, n, "warmupDurationSecs", "warmupDurationSecs") ||
        px_istio_refuse(c, n, "warmup", "warmup"))
        return -1;
    if ((x = fl_y_get(c->d, n, "localityLbSetting"))) {
        p->has_locality = 1;
        if (px_istio_parse_locality(c, x, &p->locality)) return -1;
    }
    if ((x = fl_y_get(c->d, n, "simple")) && fl_y_enum(c->d, x, "simple", simple, &v)) return -1;
    if (v == 3) return fl_y_error(c->d, x, "%s: PASSTHROUGH is not supported yet", c->what);
    p->has_lb = 1;
    /* UNSPECIFIED: istiod's default; LEAST_CONN is a deprecated name of LEAST_REQUEST */
    p->lb = v == 2 ? PX_LB_RANDOM : v == 4 ? PX_LB_ROUND_ROBIN : PX_LB_LEAST_REQUEST;
    if (!(x = fl_y_get(c->d, n, "consistentHash"))) return 0;
    if (fl_y_get(c->d, n, "simple"))
        return fl_y_error(c->d, x, "%s: loadBalancer takes simple or consistentHash, not both",
                          c->what);
    return parse_hash(c, x, p);
}

static int parse_budget(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {"percent", "minRetryConcurrency", NULL};
    yaml_node_t *x;
    long long v;
    if (fl_y_check_keys(c->d, n, keys, NULL, "retryBudget")) return -1;
    p->has_budget = 1;
    p->budget_percent = 20.0; /* Envoy's RetryBudget defaults */
    p->min_retry_concurrency = 3;
    if ((x = fl_y_get(c->d, n, "percent")) &&
        fl_y_double(c->d, x, "retryBudget.percent", 0.0, 100.0, &p->budget_percent))
        return -1;
    if ((x = fl_y_get(c->d, n, "minRetryConcurrency"))) {
        if (fl_y_int(c->d, x, "retryBudget.minRetryConcurrency", 0, UINT32_MAX, &v)) return -1;
        if (v > 0) p->min_retry_concurrency = (uint32_t)v;
    }
    FL_ASSERT(p->budget_percent >= 0.0 && p->budget_percent <= 100.0);
    FL_ASSERT(p->min_retry_concurrency > 0);
    return 0;
}

/* An int32 setting where 0 means "unset" (istiod's FIXME); > 0 sets *out. */
static int pool_int(struct ip *c, const yaml_node_t *n, const char *key, int *has, uint32_t *out)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    long long v;
    if (!x) return 0;
    if (fl_y_int(c->d, x, key, 0, INT32_MAX, &v)) return -1;
    if (v > 0) {
        *has = 1;
        *out = (uint32_t)v;
    }
    return 0;
}

static int parse_tcp(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {"maxConnections",        "connectTimeout", "tcpKeepalive",
                                       "maxConnectionDuration", "idleTimeout",    NULL};
    yaml_node_t *x;
    int64_t ignored;
    if (fl_y_check_keys(c->d, n, keys, NULL, "connectionPool.tcp") ||
        pool_int(c, n, "maxConnections", &p->has_max_connections, &p->max_connections) ||
        px_istio_ignored_map(c, n, "tcpKeepalive"))
        return -1;
    if ((x = fl_y_get(c->d, n, "connectTimeout"))) {
        if (px_istio_go_duration(c, x, "connectTimeout", MS, &p->connect_timeout_ns)) return -1;
        p->has_connect_timeout = 1;
    }
    if ((x = fl_y_get(c->d, n, "maxConnectionDuration")) &&
        px_istio_go_duration(c, x, "maxConnectionDuration", MS, &ignored))
        return -1;
    if ((x = fl_y_get(c->d, n, "idleTimeout")) &&
        px_istio_go_duration(c, x, "idleTimeout", 0, &ignored))
        return -1;
    return 0;
}

static int parse_http_pool(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    /* clang-format off */
    static const char *const keys[] = {
        "http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries",
        "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams", NULL};
    /* clang-format on */
    static const char *const upgrade[] = {"DEFAULT", "DO_NOT_UPGRADE", "UPGRADE", NULL};
    yaml_node_t *x;
    int64_t ignored;
    int e;
    uint32_t streams;
    if (fl_y_check_keys(c->d, n, keys, NULL, "connectionPool.http") ||
        pool_int(c, n, "http1MaxPendingRequests", &p->has_pending, &p->max_pending) ||
        pool_int(c, n, "http2MaxRequests", &p->has_requests, &p->max_requests) ||
        pool_int(c, n, "maxRequestsPerConnection", &p->has_per_connection,
                 &p->max_per_connection) ||
        pool_int(c, n, "maxRetries", &p->has_retries, &p->max_retries) ||
        pool_int(c, n, "maxConcurrentStreams", &e, &streams))
        return -1;
    if ((x = fl_y_get(c->d, n, "idleTimeout")) &&
        px_istio_go_duration(c, x, "idleTimeout", 0, &ignored))
        return -1;
    if ((x = fl_y_get(c->d, n, "h2UpgradePolicy")) &&
        fl_y_enum(c->d, x, "h2UpgradePolicy", upgrade, &e))
        return -1;
    if ((x = fl_y_get(c->d, n, "useClientProtocol")) && fl_y_bool(c->d, x, "useClientProtocol", &e))
        return -1;
    return 0;
}

static int parse_pool(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {"tcp", "http", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "connectionPool")) return -1;
    p->has_pool = 1;
    if ((x = fl_y_get(c->d, n, "tcp")) && parse_tcp(c, x, p)) return -1;
    if ((x = fl_y_get(c->d, n, "http")) && parse_http_pool(c, x, p)) return -1;
    return 0;
}

/* A UInt32Value: returns 1 and *out when given, 0 when absent, -1 on error. */
static int outlier_count(struct ip *c, const yaml_node_t *n, const char *key, uint32_t *out)
{
    yaml_node_t *x = fl_y_get(c->d, n, key);
    long long v;
    if (!x) return 0;
    if (fl_y_int(c->d, x, key, 0, UINT32_MAX, &v)) return -1;
    *out = (uint32_t)v;
    return 1;
}

/* The consecutive-error thresholds, enforced at 100% when above 0 (applyOutlierDetection). */
static int outlier_thresholds(struct ip *c, const yaml_node_t *n, struct px_outlier_cfg *o)
{
    uint32_t v;
    int split = 0, rc;
    if ((rc = outlier_count(c, n, "consecutive5xxErrors", &v)) < 0) return -1;
    if (rc) {
        o->consecutive_5xx = v;
        o->enforcing_consecutive_5xx = v > 0 ? 100 : 0;
    }
    if ((rc = outlier_count(c, n, "consecutiveGatewayErrors", &v)) < 0) return -1;
    if (rc) {
        o->consecutive_gateway_failure = v;
        o->enforcing_consecutive_gateway_failure = v > 0 ? 100 : 0;
    }
    yaml_node_t *x = fl_y_get(c->d, n, "splitExternalLocalOriginErrors");
    if (x && fl_y_bool(c->d, x, "splitExternalLocalOriginErrors", &split)) return -1;
    if ((rc = outlier_count(c, n, "consecutiveLocalOriginFailures", &v)) < 0) return -1;
    o->split_external_local_origin_errors = split;
    if (split && rc && v > 0) {
        o->consecutive_local_origin_failure = v;
        o->enforcing_consecutive_local_origin_failure = 100;
    }
    /* a detector is enforced only with a threshold above 0 */
    FL_ASSERT(o->enforcing_consecutive_5xx == 0 || o->consecutive_5xx > 0);
    FL_ASSERT(o->enforcing_consecutive_gateway_failure == 0 || o->consecutive_gateway_failure > 0);
    return 0;
}

static int outlier_times(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    struct px_outlier_cfg *o = &p->outlier;
    yaml_node_t *x;
    long long v;
    if ((x = fl_y_get(c->d, n, "interval")) &&
        px_istio_go_duration(c, x, "interval", MS, &o->interval_ns))
        return -1;
    if ((x = fl_y_get(c->d, n, "baseEjectionTime")) &&
        px_istio_go_duration(c, x, "baseEjectionTime", MS, &o->base_ejection_ns))
        return -1;
    if (o->base_ejection_ns > o->max_ejection_ns) o->max_ejection_ns = o->base_ejection_ns;
    if ((x = fl_y_get(c->d, n, "maxEjectionPercent"))) {
        if (fl_y_int(c->d, x, "maxEjectionPercent", 0, 100, &v)) return -1;
        if (v > 0) o->max_ejection_percent = (uint32_t)v;
    }
    if ((x = fl_y_get(c->d, n, "minHealthPercent"))) {
        if (fl_y_int(c->d, x, "minHealthPercent", 0, 100, &v)) return -1;
        p->min_health_percent = (double)v;
    }
    FL_ASSERT(o->max_ejection_ns >= o->base_ejection_ns && o->max_ejection_percent <= 100);
    return 0;
}

static int parse_outlier(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    /* clang-format off */
    static const char *const keys[] = {
        "consecutiveErrors", "splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures",
        "consecutiveGatewayErrors", "consecutive5xxErrors", "interval", "baseEjectionTime",
        "maxEjectionPercent", "minHealthPercent", NULL};
    /* clang-format on */
    if (fl_y_check_keys(c->d, n, keys, NULL, "outlierDetection")) return -1;
    if (fl_y_get(c->d, n, "consecutiveErrors"))
        return fl_y_error(c->d, fl_y_get_key(c->d, n, "consecutiveErrors"),
                          "%s: consecutiveErrors is deprecated and ignored by istiod; use "
                          "consecutive5xxErrors or consecutiveGatewayErrors",
                          c->what);
    p->has_outlier = 1;
    p->min_health_percent = 0;
    px_outlier_cfg_envoy(&p->outlier);
    p->outlier.enforcing_success_rate = 0; /* istiod: success-rate ejection off */
    return outlier_thresholds(c, n, &p->outlier) || outlier_times(c, n, p) ? -1 : 0;
}

static int parse_policy(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {"loadBalancer",  "connectionPool",    "outlierDetection",
                                       "tls",           "portLevelSettings", "tunnel",
                                       "proxyProtocol", "retryBudget",       NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "trafficPolicy") ||
        px_istio_refuse(c, n, "portLevelSettings", "portLevelSettings") ||
        px_istio_ignored_map(c, n, "tls") || px_istio_ignored_map(c, n, "tunnel") ||
        px_istio_ignored_map(c, n, "proxyProtocol"))
        return -1;
    if ((x = fl_y_get(c->d, n, "loadBalancer")) && parse_lb(c, x, p)) return -1;
    if ((x = fl_y_get(c->d, n, "connectionPool")) && parse_pool(c, x, p)) return -1;
    if ((x = fl_y_get(c->d, n, "outlierDetection")) && parse_outlier(c, x, p)) return -1;
    if ((x = fl_y_get(c->d, n, "retryBudget")) && parse_budget(c, x, p)) return -1;
    return 0;
}

static void subset_free(struct px_istio_subset *s)
{
    px_locality_cfg_free(&s->policy.locality);
    free(s->name);
    free(s->at);
    for (size_t i = 0; i < s->n_labels; i++) {
        free(s->labels[i].key);
        free(s->labels[i].value);
    }
    free(s->labels);
    memset(s, 0, sizeof *s);
}

void px_istio_dr_free(struct px_istio_dr *r)
{
    free(r->name);
    free(r->ns);
    free(r->host);
    free(r->at);
    free(r->host_at);
    px_locality_cfg_free(&r->policy.locality);
    for (size_t i = 0; i < r->n_subsets; i++) subset_free(&r->subsets[i]);
    free(r->subsets);
    memset(r, 0, sizeof *r);
}

static int subset_labels(struct ip *c, const yaml_node_t *n, struct px_istio_subset *s)
{
    if (fl_y_want_map(c->d, n, "labels")) return -1;
    s->labels = fl_calloc(MAP_COUNT(n) + 1, sizeof *s->labels);
    for (yaml_node_pair_t *p = MAP_PAIRS(n); p < n->data.mapping.pairs.top; p++) {
        const char *k, *v;
        if (fl_y_string(c->d, fl_y_node(c->d, p->key), "label name", &k) ||
            fl_y_string(c->d, fl_y_node(c->d, p->value), "label value", &v))
            return -1;
        s->labels[s->n_labels].key = fl_strdup(k);
        s->labels[s->n_labels++].value = fl_strdup(v);
    }
    FL_ASSERT(s->n_labels == MAP_COUNT(n));
    return 0;
}

static int parse_subset(struct ip *c, const yaml_node_t *n, struct px_istio_dr *r)
{
    static const char *const keys[] = {"name", "labels", "trafficPolicy", NULL};
    static const char *const req[] = {"name", NULL};
    const char *name;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, req, "subset") ||
        fl_y_string(c->d, fl_y_get(c->d, n, "name"), "subset name", &name))
        return -1;
    for (size_t i = 0; i < r->n_subsets; i++)
        if (!strcmp(r->subsets[i].name, name))
            return fl_y_error(c->d, fl_y_get(c->d, n, "name"), "%s: subset '%s' appears twice",
                              c->what, name);
    FL_ASSERT(r->subsets != NULL); /* sized by dr_body */
    struct px_istio_subset *s = &r->subsets[r->n_subsets++];
    s->name = fl_strdup(name);
    s->at = px_istio_at(c, fl_y_get(c->d, n, "name"));
    if ((x = fl_y_get(c->d, n, "labels")) && subset_labels(c, x, s)) return -1;
    if ((x = fl_y_get(c->d, n, "trafficPolicy")) && parse_policy(c, x, &s->policy)) return -1;
    return 0;
}

static int dr_body(struct ip *c, const yaml_node_t *spec, struct px_istio_dr *r)
{
    const char *host;
    yaml_node_t *x;
    size_t n;
    if (fl_y_string(c->d, fl_y_get(c->d, spec, "host"), "host", &host)) return -1;
    r->host = px_istio_short_host(host, c->ns);
    r->host_at = px_istio_at(c, fl_y_get(c->d, spec, "host"));
    if ((x = fl_y_get(c->d, spec, "exportTo")) && px_istio_str_items(c, x, "exportTo", &n))
        return -1;
    if ((x = fl_y_get(c->d, spec, "trafficPolicy")) && parse_policy(c, x, &r->policy)) return -1;
    if (!(x = fl_y_get(c->d, spec, "subsets"))) return 0;
    if (fl_y_want_seq(c->d, x, "subsets")) return -1;
    r->subsets = fl_calloc(SEQ_COUNT(x) + 1, sizeof *r->subsets);
    for (size_t i = 0; i < SEQ_COUNT(x); i++)
        if (parse_subset(c, px_istio_item(c, x, i), r)) return -1;
    FL_ASSERT(r->n_subsets == SEQ_COUNT(x));
    return 0;
}

int px_istio_parse_dr(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"host",     "trafficPolicy",    "subsets",
                                       "exportTo", "workloadSelector", NULL};
    static const char *const req[] = {"host", NULL};
    if (fl_y_check_keys(c->d, spec, keys, req, c->what) ||
        px_istio_refuse(c, spec, "workloadSelector", "workloadSelector"))
        return -1;
    struct px_istio_dr r = {0};
    r.name = fl_strdup(c->name);
    r.ns = fl_strdup(c->ns);
    r.at = px_istio_at(c, c->node);
    if (dr_body(c, spec, &r)) {
        px_istio_dr_free(&r);
        return -1;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_dr; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->dr[i].name, r.name) && !strcmp(m->dr[i].ns, r.ns)) {
            px_istio_note_replaced(c, m->dr[i].at, r.at);
            px_istio_dr_free(&m->dr[i]);
            m->dr[i] = r;
            return 0;
        }
    m->dr = fl_realloc(m->dr, (m->n_dr + 1) * sizeof *m->dr);
    m->dr[m->n_dr++] = r;
    FL_ASSERT(m->n_dr > 0 && m->dr[m->n_dr - 1].host);
    return 0;
}
