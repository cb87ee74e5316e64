/*
 * istio.c - Istio's VirtualService and DestinationRule, read as users keep
 * them and built into a sidecar's outbound configuration with Istio's
 * defaults (see istio.h).
 *
 * Reading (istio/api networking/v1alpha3 virtual_service.proto,
 * destination_rule.proto; apiVersion networking.istio.io/v1alpha3, v1beta1
 * or v1): every field of the parts modeled is checked, unknown ones are
 * errors with a suggestion. A Kubernetes List is read item by item. Other
 * kinds (Gateway, ServiceEntry, Sidecar, PeerAuthentication, ...) become a
 * warning, so does a VirtualService bound only to gateways (it does not
 * reach sidecars) or its tcp/tls routes.
 * Fields that would change traffic but are not modeled yet (redirect,
 * mirrors, consistent hashing, port-level settings, source labels, ...)
 * are refused by name; fields without effect here (tls, CORS, header
 * edits, keepalives, idle timeouts, ports of single-port services) are
 * read and ignored. Hosts may be short ("reviews") or qualified with the
 * resource's namespace (or "default"): "reviews.ns", "reviews.ns.svc",
 * "reviews.ns.svc.cluster.local"; they are stored short. Durations take
 * Go's forms ("1s", "500ms", "0.5s", "1m30s").
 *
 * Building follows istiod (istio/istio pilot/pkg/networking/core):
 *  - route/retry/retry.go: with no `retries`, the default policy (2
 *    retries on connect-failure, refused-stream, unavailable, cancelled and
 *    retriable-status-codes with no code, previous_hosts predicate, 5 host
 *    selection attempts, Envoy's 25 ms backoff); `retries` with attempts 0
 *    means no retries; otherwise the default with attempts, retryOn (bare
 *    status codes allowed), perTryTimeout, retryIgnorePreviousHosts and
 *    backoff applied.
 *  - route/route.go: the timeout is none unless set (setTimeout); a
 *    VirtualService's http routes in order, one route per match (any one
 *    matches), or, for a service without one (or whose VirtualService has
 *    no http route for sidecars), istiod's default route to the service
 *    with the default retry policy; a match bound to gateways without
 *    "mesh" is dropped; a
 *    single destination takes all traffic, several share it by weight with
 *    weight-0 ones left out; fault percentages absent mean 0% (TranslateFault).
 *  - cluster_traffic_policy.go: circuit breakers 2^32-1 unless the pool
 *    says otherwise; connectTimeout 10 s (mesh default); LEAST_REQUEST
 *    unless loadBalancer.simple says otherwise (defaultLBAlgorithm); with
 *    outlierDetection: success-rate ejection off, consecutive5xxErrors and
 *    consecutiveGatewayErrors enforced at 100% when above 0, and
 *    minHealthPercent (default 0) as the panic threshold; without it,
 *    Envoy's defaults (no detection; panic at 50%, which only detection
 *    could reach).
 *  - util.go MergeTrafficPolicy: a subset's loadBalancer, connectionPool or
 *    outlierDetection replaces the DestinationRule's one as a whole.
 *  - Clusters are named as istiod names them, "outbound|80||reviews" and
 *    "outbound|80|v1|reviews", with the short host (the model's services
 *    have one port, 80); a subset's endpoints are those carrying all its
 *    labels.
 *  - Per the proto ("timeouts or retries will not be enabled when faults
 *    are enabled on the client side"), a route with a fault gets neither
 *    retries nor a timeout.
 *
 * Not here: namespaces beyond the resource's own (services live in one),
 * delegate VirtualServices, exportTo, several VirtualServices or
 * DestinationRules for one host (refused: istiod would pick by age).
 */
#include "proxies/istio.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/units.h"

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

#define SEQ_ITEMS(n) ((n)->data.sequence.items.start)
#define SEQ_COUNT(n) ((size_t)((n)->data.sequence.items.top - (n)->data.sequence.items.start))
#define MAP_PAIRS(n) ((n)->data.mapping.pairs.start)
#define MAP_COUNT(n) ((size_t)((n)->data.mapping.pairs.top - (n)->data.mapping.pairs.start))

/* Parsing state for one resource. */
struct ip {
    struct fl_ydoc *d;
    struct px_istio *m;
    const char *kind, *name, *ns;
    char what[200]; /* "VirtualService 'reviews'" */
};

/* ---------------------------------------------------------------- small readers */

static yaml_node_t *item(struct ip *c, const yaml_node_t *seq, size_t i)
{
    return fl_y_node(c->d, SEQ_ITEMS(seq)[i]);
}

static void add_warning(struct px_istio *m, char *text)
{
    m->warnings = fl_realloc(m->warnings, (m->n_warnings + 1) * sizeof *m->warnings);
    m->warnings[m->n_warnings++] = text;
}

/* A field Istio has that would change traffic but is not modeled yet. */
static int refuse(struct ip *c, const yaml_node_t *m, const char *key, const char *what)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x) return 0;
    if (x->type == YAML_SEQUENCE_NODE && SEQ_COUNT(x) == 0) return 0;
    if (x->type == YAML_MAPPING_NODE && MAP_COUNT(x) == 0) return 0;
    return fl_y_error(c->d, fl_y_get_key(c->d, m, key), "%s: %s is not supported yet", c->what,
                      what);
}

/* A mapping read for its shape only (fields without effect here). */
static int ignored_map(struct ip *c, const yaml_node_t *m, const char *key)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    return x ? fl_y_want_map(c->d, x, key) : 0;
}

/* A list of strings, borrowed from the document. */
static int str_items(struct ip *c, const yaml_node_t *n, const char *what, size_t *count)
{
    if (fl_y_want_seq(c->d, n, what)) return -1;
    const char *s;
    for (size_t i = 0; i < SEQ_COUNT(n); i++)
        if (fl_y_string(c->d, item(c, n, i), what, &s)) return -1;
    *count = SEQ_COUNT(n);
    return 0;
}

static int list_has(struct ip *c, const yaml_node_t *seq, const char *word)
{
    for (size_t i = 0; i < SEQ_COUNT(seq); i++)
        if (!strcmp(fl_y_str(item(c, seq, i)), word)) return 1;
    return 0;
}

/*
 * A Go / protobuf duration: one or more number+unit parts ("1s", "0.5s",
 * "1m30s", "250ms"), at least min_ns.
 */
static int go_duration(struct ip *c, const yaml_node_t *n, const char *what, int64_t min_ns,
                       int64_t *out)
{
    const char *s;
    if (fl_y_string(c->d, n, what, &s)) return -1;
    int64_t total = 0;
    for (const char *p = s; *p;) {
        const char *q = p;
        while (*q && (isdigit((unsigned char)*q) || *q == '.')) q++;
        while (*q && !isdigit((unsigned char)*q) && *q != '.') q++;
        char part[64];
        int64_t v;
        int rc = (size_t)(q - p) < sizeof part ? 0 : FL_UNITS_ERANGE;
        if (!rc) {
            memcpy(part, p, (size_t)(q - p));
            part[q - p] = '\0';
            rc = fl_parse_duration(part, &v);
        }
        if (rc)
            return fl_y_error(c->d, n, "%s '%s': %s", what, s,
                              fl_units_strerror(rc, FL_UNITS_DURATION));
        total += v;
        p = q;
    }
    if (total < min_ns) return fl_y_error(c->d, n, "%s must be at least 1ms, not %s", what, s);
    *out = total;
    return 0;
}

/* "reviews.ns.svc.cluster.local" (ns: the resource's or "default") -> "reviews". */
static char *short_host(const char *host, const char *ns)
{
    const char *dot = strchr(host, '.');
    if (!dot) return fl_strdup(host);
    static const char *const tails[] = {"", ".svc", ".svc.cluster.local"};
    const char *spaces[] = {ns, "default"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(spaces[i]);
        if (strncmp(dot + 1, spaces[i], n)) continue;
        for (int t = 0; t < 3; t++)
            if (!strcmp(dot + 1 + n, tails[t])) return fl_strndup(host, (size_t)(dot - host));
    }
    return fl_strdup(host);
}

/* ---------------------------------------------------------------- matches */

/*
 * A StringMatch {exact | prefix | regex}. For headers, {} and regex "*"
 * mean "present" (route.go canBeConvertedToPresentMatch); for the uri, {}
 * means any path (prefix "/").
 */
static int string_match(struct ip *c, const yaml_node_t *n, const char *what, int header,
                        int ignore_case, struct px_match *out)
{
    static const char *const keys[] = {"exact", "prefix", "regex", NULL};
    static const enum px_match_kind kinds[] = {PX_MATCH_EXACT, PX_MATCH_PREFIX, PX_MATCH_REGEX};
    if (fl_y_check_keys(c->d, n, keys, NULL, what)) return -1;
    if (MAP_COUNT(n) > 1) return fl_y_error(c->d, n, "%s takes one of exact, prefix, regex", what);
    char *err = NULL;
    if (MAP_COUNT(n) == 0)
        return px_match_init(out, header ? PX_MATCH_PRESENT : PX_MATCH_PREFIX, "/", ignore_case,
                             &err);
    for (int k = 0; keys[k]; k++) {
        yaml_node_t *x = fl_y_get(c->d, n, keys[k]);
        const char *v;
        if (!x) continue;
        if (fl_y_string(c->d, x, what, &v)) return -1;
        if (header && k == 2 && !strcmp(v, "*"))
            return px_match_init(out, PX_MATCH_PRESENT, NULL, 0, &err);
        if (px_match_init(out, kinds[k], v, ignore_case, &err) == 0) return 0;
        fl_y_error(c->d, x, "%s", err);
        free(err);
        return -1;
    }
    return -1;
}

static int header_matches(struct ip *c, const yaml_node_t *n, int invert, struct px_istio_match *m)
{
    const char *what = invert ? "withoutHeaders" : "headers";
    if (fl_y_want_map(c->d, n, what)) return -1;
    m->headers = fl_realloc(m->headers, (m->n_headers + MAP_COUNT(n) + 1) * sizeof *m->headers);
    for (yaml_node_pair_t *p = MAP_PAIRS(n); p < n->data.mapping.pairs.top; p++) {
        const char *name;
        yaml_node_t *v = fl_y_node(c->d, p->value);
        if (fl_y_string(c->d, fl_y_node(c->d, p->key), "header name", &name)) return -1;
        struct px_header_match *h = &m->headers[m->n_headers];
        memset(h, 0, sizeof *h);
        if (string_match(c, v, "a header match", 1, 0, &h->m)) return -1;
        h->name = fl_strdup(name);
        h->invert = invert;
        m->n_headers++;
    }
    return 0;
}

static void match_free(struct px_istio_match *m)
{
    px_match_free(&m->uri);
    px_match_free(&m->method);
    for (size_t i = 0; i < m->n_headers; i++) {
        free(m->headers[i].name);
        px_match_free(&m->headers[i].m);
    }
    free(m->headers);
    memset(m, 0, sizeof *m);
}

static int match_method(struct ip *c, const yaml_node_t *n, struct px_istio_match *m)
{
    yaml_node_t *x = fl_y_get(c->d, n, "method");
    char *err = NULL;
    if (!x) return px_match_init(&m->method, PX_MATCH_ANY, NULL, 0, &err);
    if (string_match(c, x, "method", 0, 0, &m->method)) return -1;
    if (m->method.kind != PX_MATCH_EXACT)
        return fl_y_error(c->d, x, "%s: method matches other than exact are not supported yet",
                          c->what);
    return 0;
}

/*
 * One HTTPMatchRequest. *keep is 0 when the match is bound to gateways
 * without "mesh": istiod leaves it out of sidecars (sourceMatchHTTP).
 */
static int parse_match(struct ip *c, const yaml_node_t *n, struct px_istio_match *m, int *keep)
{
    /* clang-format off */
    static const char *const keys[] = {
        "name", "uri", "scheme", "method", "authority", "headers", "port", "sourceLabels",
        "gateways", "queryParams", "ignoreUriCase", "withoutHeaders", "sourceNamespace",
        "statPrefix", NULL};
    /* clang-format on */
    int ignore_case = 0;
    long long port;
    size_t n_gw;
    const char *s;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "match") || refuse(c, n, "scheme", "scheme") ||
        refuse(c, n, "authority", "authority matching") ||
        refuse(c, n, "sourceLabels", "sourceLabels") ||
        refuse(c, n, "sourceNamespace", "sourceNamespace") ||
        refuse(c, n, "queryParams", "queryParams"))
        return -1;
    if ((x = fl_y_get(c->d, n, "name")) && fl_y_string(c->d, x, "match name", &s)) return -1;
    if ((x = fl_y_get(c->d, n, "port")) && fl_y_int(c->d, x, "port", 1, 65535, &port)) return -1;
    if ((x = fl_y_get(c->d, n, "gateways"))) {
        if (str_items(c, x, "gateways", &n_gw)) return -1;
        *keep = !n_gw || list_has(c, x, "mesh");
    }
    if ((x = fl_y_get(c->d, n, "ignoreUriCase")) &&
        fl_y_bool(c->d, x, "ignoreUriCase", &ignore_case))
        return -1;
    char *err = NULL;
    if ((x = fl_y_get(c->d, n, "uri"))) {
        if (string_match(c, x, "uri", 0, ignore_case, &m->uri)) return -1;
    } else {
        px_match_init(&m->uri, PX_MATCH_PREFIX, "/", ignore_case, &err);
    }
    if (match_method(c, n, m)) return -1;
    if ((x = fl_y_get(c->d, n, "headers")) && header_matches(c, x, 0, m)) return -1;
    if ((x = fl_y_get(c->d, n, "withoutHeaders")) && header_matches(c, x, 1, m)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- routes */

static int parse_dest(struct ip *c, const yaml_node_t *n, struct px_istio_dest *dst)
{
    static const char *const keys[] = {"destination", "weight", "headers", NULL};
    static const char *const dkeys[] = {"host", "subset", "port", NULL};
    static const char *const req[] = {"destination", NULL}, *const dreq[] = {"host", NULL};
    const char *host, *subset;
    long long w = 0, port;
    if (fl_y_check_keys(c->d, n, keys, req, "route destination") || ignored_map(c, n, "headers"))
        return -1;
    yaml_node_t *d = fl_y_get(c->d, n, "destination"), *x;
    if (fl_y_check_keys(c->d, d, dkeys, dreq, "destination") ||
        fl_y_string(c->d, fl_y_get(c->d, d, "host"), "destination host", &host))
        return -1;
    dst->host = short_host(host, c->ns);
    if ((x = fl_y_get(c->d, d, "subset"))) {
        if (fl_y_string(c->d, x, "subset", &subset)) return -1;
        dst->subset = fl_strdup(subset);
    }
    if ((x = fl_y_get(c->d, d, "port"))) {
        static const char *const pkeys[] = {"number", NULL};
        if (fl_y_check_keys(c->d, x, pkeys, NULL, "destination port") ||
            (fl_y_get(c->d, x, "number") &&
             fl_y_int(c->d, fl_y_get(c->d, x, "number"), "port number", 1, 65535, &port)))
            return -1;
    }
    if ((x = fl_y_get(c->d, n, "weight")) && fl_y_int(c->d, x, "weight", 0, INT32_MAX, &w))
        return -1;
    dst->weight = (uint32_t)w;
    return 0;
}

static int parse_dests(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    if (fl_y_want_seq(c->d, n, "route")) return -1;
    if (!SEQ_COUNT(n)) return fl_y_error(c->d, n, "%s: route needs a destination", c->what);
    r->dests = fl_calloc(SEQ_COUNT(n), sizeof *r->dests);
    uint64_t total = 0;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        if (parse_dest(c, item(c, n, i), &r->dests[r->n_dests++])) return -1;
        total += r->dests[i].weight;
    }
    if (r->n_dests > 1 && total == 0)
        return fl_y_error(c->d, n, "%s: several destinations and no weight: give them weights",
                          c->what);
    return 0;
}

/* Istio's retry policy for routes that set none (retry.go DefaultPolicy). */
void px_istio_default_retry(struct px_retry_policy *p)
{
    px_retry_policy_default(p); /* Envoy's 25 ms backoff */
    p->retry_on = PX_RETRY_CONNECT_FAILURE | PX_RETRY_REFUSED_STREAM | PX_RETRY_GRPC_UNAVAILABLE |
                  PX_RETRY_GRPC_CANCELLED | PX_RETRY_RETRIABLE_STATUS_CODES;
    p->num_retries = 2;
    p->previous_hosts = 1;
    p->host_selection_attempts = 5;
}

static int retry_fields(struct ip *c, const yaml_node_t *n, struct px_retry_policy *p)
{
    yaml_node_t *x;
    const char *s, *bad = NULL;
    if ((x = fl_y_get(c->d, n, "retryOn"))) {
        if (fl_y_string(c->d, x, "retryOn", &s)) return -1;
        if (px_retry_on_parse(s, p, &bad))
            return fl_y_error(c->d, x,
                              "retryOn: '%s' is not a retry condition (e.g. 5xx, "
                              "gateway-error, reset, connect-failure, 503)",
                              bad ? bad : s);
    }
    if ((x = fl_y_get(c->d, n, "perTryTimeout")) &&
        go_duration(c, x, "perTryTimeout", MS, &p->per_try_timeout_ns))
        return -1;
    if ((x = fl_y_get(c->d, n, "retryIgnorePreviousHosts")) &&
        fl_y_bool(c->d, x, "retryIgnorePreviousHosts", &p->previous_hosts))
        return -1;
    int remote;
    if ((x = fl_y_get(c->d, n, "retryRemoteLocalities")) &&
        fl_y_bool(c->d, x, "retryRemoteLocalities", &remote))
        return -1;
    if ((x = fl_y_get(c->d, n, "backoff"))) {
        if (go_duration(c, x, "backoff", MS, &p->base_ns)) return -1;
        p->max_ns = 0; /* Envoy: 10 x base */
    }
    return 0;
}

static int parse_retries(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    /* clang-format off */
    static const char *const keys[] = {
        "attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts",
        "backoff", NULL};
    /* clang-format on */
    long long attempts = 0;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "retries")) return -1;
    if ((x = fl_y_get(c->d, n, "attempts")) &&
        fl_y_int(c->d, x, "attempts", 0, INT32_MAX, &attempts))
        return -1;
    r->has_retries = 1;
    px_istio_default_retry(&r->retry);
    if (retry_fields(c, n, &r->retry)) return -1;
    r->retry.num_retries = (uint32_t)attempts; /* 0: retries switched off (ConvertPolicy) */
    return 0;
}

/* Percent {value}; absent: 0 (route.go TranslateFault). */
static int fault_percent(struct ip *c, const yaml_node_t *n, double *out)
{
    static const char *const keys[] = {"value", NULL};
    yaml_node_t *x = fl_y_get(c->d, n, "percentage"), *v;
    long long legacy;
    *out = 0;
    if (x) {
        if (fl_y_check_keys(c->d, x, keys, NULL, "percentage")) return -1;
        v = fl_y_get(c->d, x, "value");
        return v ? fl_y_double(c->d, v, "percentage value", 0, 100, out) : 0;
    }
    if ((x = fl_y_get(c->d, n, "percent"))) { /* deprecated integer form */
        if (fl_y_int(c->d, x, "percent", 0, 100, &legacy)) return -1;
        *out = (double)legacy;
    }
    return 0;
}

static int parse_delay(struct ip *c, const yaml_node_t *n, struct px_fault_cfg *f)
{
    static const char *const keys[] = {"fixedDelay", "percentage", "percent", "exponentialDelay",
                                       NULL};
    if (fl_y_check_keys(c->d, n, keys, NULL, "fault delay") ||
        refuse(c, n, "exponentialDelay", "exponentialDelay") ||
        fault_percent(c, n, &f->delay_percent))
        return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "fixedDelay");
    if (!x) return fl_y_error(c->d, n, "%s: a fault delay needs 'fixedDelay'", c->what);
    return go_duration(c, x, "fixedDelay", MS, &f->delay_ns);
}

static int parse_abort(struct ip *c, const yaml_node_t *n, struct px_fault_cfg *f)
{
    static const char *const keys[] = {"httpStatus", "grpcStatus", "http2Error", "percentage",
                                       NULL};
    long long status;
    if (fl_y_check_keys(c->d, n, keys, NULL, "fault abort") ||
        refuse(c, n, "grpcStatus", "a gRPC abort") ||
        refuse(c, n, "http2Error", "an HTTP/2 abort") || fault_percent(c, n, &f->abort_percent))
        return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "httpStatus");
    if (!x) return fl_y_error(c->d, n, "%s: a fault abort needs 'httpStatus'", c->what);
    if (fl_y_int(c->d, x, "httpStatus", 200, 599, &status)) return -1;
    f->abort_status = (int)status;
    return 0;
}

static int parse_fault(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    static const char *const keys[] = {"delay", "abort", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "fault")) return -1;
    if (!fl_y_get(c->d, n, "delay") && !fl_y_get(c->d, n, "abort"))
        return fl_y_error(c->d, n, "%s: HTTP fault injection must have an abort and/or a delay",
                          c->what);
    memset(&r->fault, 0, sizeof r->fault);
    if ((x = fl_y_get(c->d, n, "delay")) && parse_delay(c, x, &r->fault)) return -1;
    if ((x = fl_y_get(c->d, n, "abort")) && parse_abort(c, x, &r->fault)) return -1;
    r->has_fault = 1;
    return 0;
}

static int parse_rewrite(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    static const char *const keys[] = {"uri", "authority", "uriRegexRewrite", NULL};
    yaml_node_t *x;
    const char *s;
    if (fl_y_check_keys(c->d, n, keys, NULL, "rewrite") ||
        refuse(c, n, "uriRegexRewrite", "uriRegexRewrite"))
        return -1;
    if ((x = fl_y_get(c->d, n, "uri"))) {
        if (fl_y_string(c->d, x, "rewrite uri", &s)) return -1;
        r->rewrite_uri = fl_strdup(s);
    }
    if ((x = fl_y_get(c->d, n, "authority"))) {
        if (fl_y_string(c->d, x, "rewrite authority", &s)) return -1;
        r->rewrite_authority = fl_strdup(s);
    }
    return 0;
}

static void route_free(struct px_istio_route *r)
{
    free(r->name);
    for (size_t i = 0; i < r->n_matches; i++) match_free(&r->matches[i]);
    free(r->matches);
    for (size_t i = 0; i < r->n_dests; i++) {
        free(r->dests[i].host);
        free(r->dests[i].subset);
    }
    free(r->dests);
    free(r->rewrite_uri);
    free(r->rewrite_authority);
    memset(r, 0, sizeof *r);
}

/* The match list; *keep is 0 when every match was left out (gateways only). */
static int parse_matches(struct ip *c, const yaml_node_t *n, struct px_istio_route *r, int *keep)
{
    if (fl_y_want_seq(c->d, n, "match")) return -1;
    r->matches = fl_calloc(SEQ_COUNT(n) + 1, sizeof *r->matches);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        int k = 1;
        struct px_istio_match *m = &r->matches[r->n_matches];
        if (parse_match(c, item(c, n, i), m, &k)) {
            match_free(m);
            return -1;
        }
        if (k)
            r->n_matches++;
        else
            match_free(m);
    }
    *keep = r->n_matches > 0 || SEQ_COUNT(n) == 0;
    return 0;
}

/* clang-format off */
static const char *const http_keys[] = {
    "name", "match", "route", "redirect", "delegate", "rewrite", "timeout", "retries", "fault",
    "mirror", "mirrors", "mirrorPercent", "mirrorPercentage", "corsPolicy", "headers",
    "directResponse", NULL};
/* clang-format on */

static int http_unsupported(struct ip *c, const yaml_node_t *n)
{
    static const char *const keys[] = {"redirect", "delegate",      "directResponse",   "mirror",
                                       "mirrors",  "mirrorPercent", "mirrorPercentage", NULL};
    for (int i = 0; keys[i]; i++)
        if (refuse(c, n, keys[i], keys[i])) return -1;
    return ignored_map(c, n, "corsPolicy") || ignored_map(c, n, "headers") ? -1 : 0;
}

/* One HTTPRoute; *keep is 0 when it does not apply to sidecars. */
static int parse_http(struct ip *c, const yaml_node_t *n, struct px_istio_route *r, int *keep)
{
    yaml_node_t *x;
    const char *s;
    *keep = 1;
    if (fl_y_want_map(c->d, n, "an http route") ||
        fl_y_check_keys(c->d, n, http_keys, NULL, "http route") || http_unsupported(c, n))
        return -1;
    if ((x = fl_y_get(c->d, n, "name"))) {
        if (fl_y_string(c->d, x, "route name", &s)) return -1;
        r->name = fl_strdup(s);
    }
    if ((x = fl_y_get(c->d, n, "match")) && parse_matches(c, x, r, keep)) return -1;
    if (!(x = fl_y_get(c->d, n, "route")))
        return fl_y_error(c->d, n, "%s: an http route needs 'route'", c->what);
    if (parse_dests(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "rewrite")) && parse_rewrite(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "timeout"))) {
        if (go_duration(c, x, "timeout", MS, &r->timeout_ns)) return -1;
        r->has_timeout = 1;
    }
    if ((x = fl_y_get(c->d, n, "retries")) && parse_retries(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "fault")) && parse_fault(c, x, r)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- VirtualService */

static void vs_free(struct px_istio_vs *v)
{
    free(v->name);
    for (size_t i = 0; i < v->n_hosts; i++) free(v->hosts[i]);
    free(v->hosts);
    for (size_t i = 0; i < v->n_routes; i++) route_free(&v->routes[i]);
    free(v->routes);
    memset(v, 0, sizeof *v);
}

static int vs_routes(struct ip *c, const yaml_node_t *n, struct px_istio_vs *v)
{
    if (fl_y_want_seq(c->d, n, "http")) return -1;
    v->routes = fl_calloc(SEQ_COUNT(n) + 1, sizeof *v->routes);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        int keep;
        struct px_istio_route *r = &v->routes[v->n_routes];
        if (parse_http(c, item(c, n, i), r, &keep)) {
            route_free(r);
            return -1;
        }
        if (keep)
            v->n_routes++;
        else
            route_free(r);
    }
    return 0;
}

static int vs_hosts(struct ip *c, const yaml_node_t *n, struct px_istio_vs *v)
{
    size_t count;
    if (str_items(c, n, "hosts", &count)) return -1;
    if (!count) return fl_y_error(c->d, n, "%s: hosts must not be empty", c->what);
    v->hosts = fl_calloc(count, sizeof *v->hosts);
    for (; v->n_hosts < count; v->n_hosts++)
        v->hosts[v->n_hosts] = short_host(fl_y_str(item(c, n, v->n_hosts)), c->ns);
    return 0;
}

/* Warnings for the parts of a VirtualService that do not reach sidecars; 0: skip it. */
static int vs_applies(struct ip *c, const yaml_node_t *spec)
{
    yaml_node_t *gw = fl_y_get(c->d, spec, "gateways");
    static const char *const other[] = {"tcp", "tls", NULL};
    for (int i = 0; other[i]; i++) {
        yaml_node_t *x = fl_y_get(c->d, spec, other[i]);
        if (x && x->type == YAML_SEQUENCE_NODE && SEQ_COUNT(x))
            add_warning(c->m, fl_asprintf("%s: %s routes are not modeled yet", c->what, other[i]));
    }
    if (!gw || !SEQ_COUNT(gw) || list_has(c, gw, "mesh")) return 1;
    add_warning(c->m, fl_asprintf("%s is bound to gateways, not to sidecars (no 'mesh' in "
                                  "gateways): not applied",
                                  c->what));
    return 0;
}

static int parse_vs(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"hosts", "gateways", "http", "tls", "tcp", "exportTo", NULL};
    static const char *const req[] = {"hosts", NULL};
    size_t n;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, spec, keys, req, c->what)) return -1;
    if ((x = fl_y_get(c->d, spec, "gateways")) && str_items(c, x, "gateways", &n)) return -1;
    if ((x = fl_y_get(c->d, spec, "exportTo")) && str_items(c, x, "exportTo", &n)) return -1;
    static const char *const lists[] = {"tcp", "tls", NULL};
    for (int i = 0; lists[i]; i++)
        if ((x = fl_y_get(c->d, spec, lists[i])) && fl_y_want_seq(c->d, x, lists[i])) return -1;
    struct px_istio_vs v = {0};
    v.name = fl_strdup(c->name);
    if (vs_hosts(c, fl_y_get(c->d, spec, "hosts"), &v) ||
        ((x = fl_y_get(c->d, spec, "http")) && vs_routes(c, x, &v))) {
        vs_free(&v);
        return -1;
    }
    if (!vs_applies(c, spec)) {
        vs_free(&v);
        return 0;
    }
    c->m->vs = fl_realloc(c->m->vs, (c->m->n_vs + 1) * sizeof *c->m->vs);
    c->m->vs[c->m->n_vs++] = v;
    return 0;
}

/* ---------------------------------------------------------------- DestinationRule */

static int parse_lb(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    static const char *const keys[] = {
        "simple", "consistentHash", "localityLbSetting", "warmupDurationSecs", "warmup", NULL};
    static const char *const simple[] = {"UNSPECIFIED", "LEAST_CONN",    "RANDOM", "PASSTHROUGH",
                                         "ROUND_ROBIN", "LEAST_REQUEST", NULL};
    int v = 0;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, NULL, "loadBalancer") ||
        refuse(c, n, "consistentHash", "consistentHash") ||
        refuse(c, n, "warmupDurationSecs", "warmupDurationSecs") ||
        refuse(c, n, "warmup", "warmup") || ignored_map(c, n, "localityLbSetting"))
        return -1;
    if ((x = fl_y_get(c->d, n, "simple")) && fl_y_enum(c->d, x, "simple", simple, &v)) return -1;
    if (v == 3) return fl_y_error(c->d, x, "%s: PASSTHROUGH is not supported yet", c->what);
    p->has_lb = 1;
    /* UNSPECIFIED: istiod's default; LEAST_CONN is a deprecated name of LEAST_REQUEST */
    p->lb = v == 2 ? PX_LB_RANDOM : v == 4 ? PX_LB_ROUND_ROBIN : PX_LB_LEAST_REQUEST;
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
        ignored_map(c, n, "tcpKeepalive"))
        return -1;
    if ((x = fl_y_get(c->d, n, "connectTimeout"))) {
        if (go_duration(c, x, "connectTimeout", MS, &p->connect_timeout_ns)) return -1;
        p->has_connect_timeout = 1;
    }
    if ((x = fl_y_get(c->d, n, "maxConnectionDuration")) &&
        go_duration(c, x, "maxConnectionDuration", MS, &ignored))
        return -1;
    if ((x = fl_y_get(c->d, n, "idleTimeout")) && go_duration(c, x, "idleTimeout", 0, &ignored))
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
    if ((x = fl_y_get(c->d, n, "idleTimeout")) && go_duration(c, x, "idleTimeout", 0, &ignored))
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
    return 0;
}

static int outlier_times(struct ip *c, const yaml_node_t *n, struct px_istio_policy *p)
{
    struct px_outlier_cfg *o = &p->outlier;
    yaml_node_t *x;
    long long v;
    if ((x = fl_y_get(c->d, n, "interval")) && go_duration(c, x, "interval", MS, &o->interval_ns))
        return -1;
    if ((x = fl_y_get(c->d, n, "baseEjectionTime")) &&
        go_duration(c, x, "baseEjectionTime", MS, &o->base_ejection_ns))
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
        refuse(c, n, "portLevelSettings", "portLevelSettings") ||
        refuse(c, n, "retryBudget", "retryBudget") || ignored_map(c, n, "tls") ||
        ignored_map(c, n, "tunnel") || ignored_map(c, n, "proxyProtocol"))
        return -1;
    if ((x = fl_y_get(c->d, n, "loadBalancer")) && parse_lb(c, x, p)) return -1;
    if ((x = fl_y_get(c->d, n, "connectionPool")) && parse_pool(c, x, p)) return -1;
    if ((x = fl_y_get(c->d, n, "outlierDetection")) && parse_outlier(c, x, p)) return -1;
    return 0;
}

static void subset_free(struct px_istio_subset *s)
{
    free(s->name);
    for (size_t i = 0; i < s->n_labels; i++) {
        free(s->labels[i].key);
        free(s->labels[i].value);
    }
    free(s->labels);
    memset(s, 0, sizeof *s);
}

static void dr_free(struct px_istio_dr *r)
{
    free(r->name);
    free(r->host);
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
    struct px_istio_subset *s = &r->subsets[r->n_subsets++];
    s->name = fl_strdup(name);
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
    r->host = short_host(host, c->ns);
    if ((x = fl_y_get(c->d, spec, "exportTo")) && str_items(c, x, "exportTo", &n)) return -1;
    if ((x = fl_y_get(c->d, spec, "trafficPolicy")) && parse_policy(c, x, &r->policy)) return -1;
    if (!(x = fl_y_get(c->d, spec, "subsets"))) return 0;
    if (fl_y_want_seq(c->d, x, "subsets")) return -1;
    r->subsets = fl_calloc(SEQ_COUNT(x) + 1, sizeof *r->subsets);
    for (size_t i = 0; i < SEQ_COUNT(x); i++)
        if (parse_subset(c, item(c, x, i), r)) return -1;
    return 0;
}

static int parse_dr(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"host",     "trafficPolicy",    "subsets",
                                       "exportTo", "workloadSelector", NULL};
    static const char *const req[] = {"host", NULL};
    if (fl_y_check_keys(c->d, spec, keys, req, c->what) ||
        refuse(c, spec, "workloadSelector", "workloadSelector"))
        return -1;
    struct px_istio_dr r = {0};
    r.name = fl_strdup(c->name);
    if (dr_body(c, spec, &r)) {
        dr_free(&r);
        return -1;
    }
    c->m->dr = fl_realloc(c->m->dr, (c->m->n_dr + 1) * sizeof *c->m->dr);
    c->m->dr[c->m->n_dr++] = r;
    return 0;
}

/* ---------------------------------------------------------------- resources */

static int parse_metadata(struct ip *c, const yaml_node_t *n)
{
    /* clang-format off */
    static const char *const keys[] = {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields", NULL};
    /* clang-format on */
    static const char *const req[] = {"name", NULL};
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, n, keys, req, "metadata") ||
        fl_y_string(c->d, fl_y_get(c->d, n, "name"), "metadata.name", &c->name))
        return -1;
    c->ns = "default";
    if ((x = fl_y_get(c->d, n, "namespace")) && fl_y_string(c->d, x, "metadata.namespace", &c->ns))
        return -1;
    snprintf(c->what, sizeof c->what, "%s '%s'", c->kind, c->name);
    return 0;
}

/* A kind faultline does not model: a warning naming it. */
static int other_kind(struct ip *c, const yaml_node_t *n)
{
    const char *name = fl_y_str(fl_y_get(c->d, fl_y_get(c->d, n, "metadata"), "name"));
    add_warning(c->m,
                fl_asprintf("kind %s (name %s) is not modeled yet", c->kind, name ? name : "?"));
    return 0;
}

/* A Kubernetes List (what `kubectl get ... -o yaml` prints): each item in turn. */
static int list_items(struct px_istio *m, struct fl_ydoc *d, const yaml_node_t *n)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "items", NULL};
    yaml_node_t *items = fl_y_get(d, n, "items");
    if (fl_y_check_keys(d, n, keys, NULL, "List") || (items && fl_y_want_seq(d, items, "items")))
        return -1;
    for (size_t i = 0; items && i < SEQ_COUNT(items); i++)
        if (px_istio_add(m, d, fl_y_node(d, SEQ_ITEMS(items)[i]))) return -1;
    return 0;
}

int px_istio_add(struct px_istio *m, struct fl_ydoc *d, const yaml_node_t *n)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const req[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const versions[] = {"networking.istio.io/v1alpha3",
                                           "networking.istio.io/v1beta1", "networking.istio.io/v1",
                                           NULL};
    struct ip c = {.d = d, .m = m};
    int v;
    if (fl_y_want_map(d, n, "an Istio resource")) return -1;
    yaml_node_t *kind = fl_y_get(d, n, "kind");
    if (!kind) return fl_y_error(d, n, "an Istio resource needs 'kind'");
    if (fl_y_string(d, kind, "kind", &c.kind)) return -1;
    if (!strcmp(c.kind, "List")) return list_items(m, d, n);
    int is_vs = !strcmp(c.kind, "VirtualService"), is_dr = !strcmp(c.kind, "DestinationRule");
    if (!is_vs && !is_dr) return other_kind(&c, n);
    if (fl_y_check_keys(d, n, keys, req, c.kind) ||
        fl_y_enum(d, fl_y_get(d, n, "apiVersion"), "apiVersion", versions, &v) ||
        parse_metadata(&c, fl_y_get(d, n, "metadata")))
        return -1;
    yaml_node_t *spec = fl_y_get(d, n, "spec");
    if (fl_y_want_map(d, spec, "spec")) return -1;
    return is_vs ? parse_vs(&c, spec) : parse_dr(&c, spec);
}

void px_istio_free(struct px_istio *m)
{
    for (size_t i = 0; i < m->n_vs; i++) vs_free(&m->vs[i]);
    free(m->vs);
    for (size_t i = 0; i < m->n_dr; i++) dr_free(&m->dr[i]);
    free(m->dr);
    for (size_t i = 0; i < m->n_warnings; i++) free(m->warnings[i]);
    free(m->warnings);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- building */

static int service_index(const struct px_mesh_service *svc, size_t n, const char *host)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(svc[i].name, host)) return (int)i;
    return -1;
}

static const struct px_istio_dr *dr_for(const struct px_istio *m, const char *host)
{
    for (size_t i = 0; i < m->n_dr; i++)
        if (!strcmp(m->dr[i].host, host)) return &m->dr[i];
    return NULL;
}

/*
 * The VirtualService routing host, or NULL. One without http routes for
 * sidecars (tcp only, or every match bound to gateways) builds no route,
 * and istiod skips it: the service keeps its default route.
 */
static const struct px_istio_vs *vs_for(const struct px_istio *m, const char *host)
{
    for (size_t i = 0; i < m->n_vs; i++)
        if (m->vs[i].n_routes)
            for (size_t h = 0; h < m->vs[i].n_hosts; h++)
                if (!strcmp(m->vs[i].hosts[h], host)) return &m->vs[i];
    return NULL;
}

static int subset_index(const struct px_istio_dr *r, const char *name)
{
    for (size_t i = 0; r && i < r->n_subsets; i++)
        if (!strcmp(r->subsets[i].name, name)) return (int)i;
    return -1;
}

static int check_drs(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                     char **err)
{
    for (size_t i = 0; i < m->n_dr; i++) {
        const struct px_istio_dr *r = &m->dr[i];
        if (service_index(svc, n, r->host) < 0) {
            *err = fl_asprintf("DestinationRule '%s': host '%s' is not a service of the mesh",
                               r->name, r->host);
            return -1;
        }
        if (dr_for(m, r->host) != r) {
            *err = fl_asprintf("DestinationRules '%s' and '%s' both configure host '%s' (istiod "
                               "would pick by age): merge them",
                               dr_for(m, r->host)->name, r->name, r->host);
            return -1;
        }
    }
    return 0;
}

static int check_dest(const struct px_istio *m, const struct px_istio_vs *v,
                      const struct px_istio_dest *dst, const struct px_mesh_service *svc, size_t n,
                      char **err)
{
    if (service_index(svc, n, dst->host) < 0) {
        *err = fl_asprintf("VirtualService '%s': destination host '%s' is not a service of the "
                           "mesh",
                           v->name, dst->host);
        return -1;
    }
    if (dst->subset && subset_index(dr_for(m, dst->host), dst->subset) < 0) {
        *err = fl_asprintf("VirtualService '%s': service '%s' has no subset '%s' (no "
                           "DestinationRule defines it)",
                           v->name, dst->host, dst->subset);
        return -1;
    }
    return 0;
}

static int check_vss(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                     char **err)
{
    for (size_t i = 0; i < m->n_vs; i++) {
        const struct px_istio_vs *v = &m->vs[i];
        for (size_t h = 0; h < v->n_hosts; h++) {
            if (service_index(svc, n, v->hosts[h]) < 0) {
                *err = fl_asprintf("VirtualService '%s': host '%s' is not a service of the mesh",
                                   v->name, v->hosts[h]);
                return -1;
            }
            if (v->n_routes && vs_for(m, v->hosts[h]) != v) {
                *err = fl_asprintf("VirtualServices '%s' and '%s' both route host '%s' (istiod "
                                   "would use only the oldest): merge them",
                                   vs_for(m, v->hosts[h])->name, v->name, v->hosts[h]);
                return -1;
            }
        }
        for (size_t r = 0; r < v->n_routes; r++)
            for (size_t k = 0; k < v->routes[r].n_dests; k++)
                if (check_dest(m, v, &v->routes[r].dests[k], svc, n, err)) return -1;
    }
    return 0;
}

/* ---- clusters ---- */

static void copy_pool(struct px_istio_policy *dst, const struct px_istio_policy *src)
{
    dst->has_pool = src->has_pool;
    dst->has_max_connections = src->has_max_connections;
    dst->has_connect_timeout = src->has_connect_timeout;
    dst->has_pending = src->has_pending;
    dst->has_requests = src->has_requests;
    dst->has_retries = src->has_retries;
    dst->has_per_connection = src->has_per_connection;
    dst->max_connections = src->max_connections;
    dst->max_pending = src->max_pending;
    dst->max_requests = src->max_requests;
    dst->max_retries = src->max_retries;
    dst->max_per_connection = src->max_per_connection;
    dst->connect_timeout_ns = src->connect_timeout_ns;
}

/* MergeTrafficPolicy: each part a subset gives replaces the DestinationRule's as a whole. */
static struct px_istio_policy merge_policy(const struct px_istio_policy *top,
                                           const struct px_istio_policy *sub)
{
    struct px_istio_policy p = *top;
    if (sub->has_lb) {
        p.has_lb = 1;
        p.lb = sub->lb;
    }
    if (sub->has_pool) copy_pool(&p, sub);
    if (sub->has_outlier) {
        p.has_outlier = 1;
        p.outlier = sub->outlier;
        p.min_health_percent = sub->min_health_percent;
    }
    return p;
}

static void apply_policy(const struct px_istio_policy *p, struct px_cluster_cfg *cl)
{
    px_lb_cfg_envoy(&cl->lb);
    cl->lb.policy = p->has_lb ? p->lb : PX_LB_LEAST_REQUEST; /* istiod's defaultLBAlgorithm */
    px_breaker_cfg_istio(&cl->breaker);
    cl->connect_timeout_ns = 10 * S; /* MeshConfig connectTimeout */
    if (p->has_max_connections) cl->breaker.max_connections = p->max_connections;
    if (p->has_pending) cl->breaker.max_pending = p->max_pending;
    if (p->has_requests) cl->breaker.max_requests = p->max_requests;
    if (p->has_retries) cl->breaker.max_retries = p->max_retries;
    if (p->has_connect_timeout) cl->connect_timeout_ns = p->connect_timeout_ns;
    if (p->has_per_connection) cl->max_requests_per_connection = p->max_per_connection;
    if (p->has_outlier) {
        cl->has_outlier = 1;
        cl->outlier = p->outlier;
        cl->lb.panic_threshold = p->min_health_percent; /* healthy_panic_threshold */
    }
}

static void endpoint_copy(const struct px_endpoint_cfg *src, struct px_endpoint_cfg *dst)
{
    *dst = *src;
    dst->name = fl_strdup(src->name);
    dst->labels = fl_calloc(src->n_labels + 1, sizeof *dst->labels);
    for (size_t i = 0; i < src->n_labels; i++) {
        dst->labels[i].key = fl_strdup(src->labels[i].key);
        dst->labels[i].value = fl_strdup(src->labels[i].value);
    }
}

/* Whether an endpoint carries every label of a subset. */
static int has_labels(const struct px_endpoint_cfg *e, const struct px_istio_subset *s)
{
    for (size_t i = 0; s && i < s->n_labels; i++) {
        size_t k = 0;
        while (k < e->n_labels && (strcmp(e->labels[k].key, s->labels[i].key) ||
                                   strcmp(e->labels[k].value, s->labels[i].value)))
            k++;
        if (k == e->n_labels) return 0;
    }
    return 1;
}

static void cluster_cfg(const struct px_mesh_service *svc, const struct px_istio_subset *subset,
                        const struct px_istio_policy *policy, struct px_cluster_cfg *cl)
{
    memset(cl, 0, sizeof *cl);
    cl->name = fl_asprintf("outbound|80|%s|%s", subset ? subset->name : "", svc->name);
    apply_policy(policy, cl);
    cl->endpoints = fl_calloc(svc->n_endpoints + 1, sizeof *cl->endpoints);
    for (size_t i = 0; i < svc->n_endpoints; i++)
        if (has_labels(&svc->endpoints[i], subset))
            endpoint_copy(&svc->endpoints[i], &cl->endpoints[cl->n_endpoints++]);
}

/* One cluster per service, then one per subset of its DestinationRule; first[i] is the service's.
 */
static void build_clusters(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                           struct px_proxy_cfg *out, size_t *first)
{
    static const struct px_istio_policy none;
    size_t total = n;
    for (size_t i = 0; i < n; i++) {
        const struct px_istio_dr *r = dr_for(m, svc[i].name);
        total += r ? r->n_subsets : 0;
    }
    out->clusters = fl_calloc(total + 1, sizeof *out->clusters);
    for (size_t i = 0; i < n; i++) {
        const struct px_istio_dr *r = dr_for(m, svc[i].name);
        const struct px_istio_policy *top = r ? &r->policy : &none;
        first[i] = out->n_clusters;
        cluster_cfg(&svc[i], NULL, top, &out->clusters[out->n_clusters++]);
        for (size_t s = 0; r && s < r->n_subsets; s++) {
            struct px_istio_policy p = merge_policy(top, &r->subsets[s].policy);
            cluster_cfg(&svc[i], &r->subsets[s], &p, &out->clusters[out->n_clusters++]);
        }
    }
}

/* ---- routes ---- */

struct bctx {
    const struct px_istio *m;
    const struct px_mesh_service *svc;
    size_t n_svc;
    const size_t *first; /* each service's cluster */
};

static uint32_t dest_cluster(const struct bctx *b, const struct px_istio_dest *d)
{
    int i = service_index(b->svc, b->n_svc, d->host);
    size_t c = b->first[i];
    if (d->subset) c += 1 + (size_t)subset_index(dr_for(b->m, d->host), d->subset);
    return (uint32_t)c;
}

/* Destinations: one takes everything; several share by weight, weight 0 left out. */
static void route_dests(const struct bctx *b, const struct px_istio_route *r,
                        struct px_route_cfg *rc)
{
    rc->dests = fl_calloc(r->n_dests + 1, sizeof *rc->dests);
    for (size_t i = 0; i < r->n_dests; i++) {
        uint32_t w = r->n_dests == 1 ? 100 : r->dests[i].weight;
        if (!w) continue;
        rc->dests[rc->n_dests].cluster = dest_cluster(b, &r->dests[i]);
        rc->dests[rc->n_dests++].weight = w;
        rc->total_weight += w;
    }
}

static int route_match(const struct px_istio_match *mt, struct px_route_cfg *rc, char **err)
{
    if (!mt) return px_match_init(&rc->path, PX_MATCH_PREFIX, "/", 0, err);
    if (px_match_init(&rc->path, mt->uri.kind, mt->uri.value, mt->uri.ignore_case, err)) return -1;
    rc->methods = fl_calloc(2, sizeof *rc->methods);
    if (mt->method.kind == PX_MATCH_EXACT)
        rc->methods[rc->n_methods++] = fl_strdup(mt->method.value);
    rc->headers = fl_calloc(mt->n_headers + 1, sizeof *rc->headers);
    for (size_t i = 0; i < mt->n_headers; i++) {
        const struct px_header_match *h = &mt->headers[i];
        struct px_header_match *o = &rc->headers[rc->n_headers++];
        o->name = fl_strdup(h->name);
        o->invert = h->invert;
        if (px_match_init(&o->m, h->m.kind, h->m.value, h->m.ignore_case, err)) return -1;
    }
    return 0;
}

static int route_cfg(const struct bctx *b, const struct px_istio_route *r,
                     const struct px_istio_match *mt, const char *name, struct px_route_cfg *rc,
                     char **err)
{
    memset(rc, 0, sizeof *rc);
    rc->rate_limit = -1;
    rc->name = fl_strdup(name);
    if (route_match(mt, rc, err)) return -1;
    route_dests(b, r, rc);
    rc->timeout_ns = r->has_timeout ? r->timeout_ns : 0; /* no route timeout unless set */
    rc->has_retry = 1;
    if (r->has_retries)
        rc->retry = r->retry;
    else
        px_istio_default_retry(&rc->retry);
    if (r->has_retries && r->retry.num_retries == 0) rc->has_retry = 0;
    if (r->has_fault) { /* virtual_service.proto: no timeouts or retries with client faults */
        rc->has_fault = 1;
        rc->fault = r->fault;
        rc->has_retry = 0;
        rc->timeout_ns = 0;
    }
    rc->path_prefix = r->rewrite_uri ? fl_strdup(r->rewrite_uri) : NULL; /* prefix_rewrite */
    rc->strip_path = r->rewrite_uri != NULL;
    rc->authority = r->rewrite_authority ? fl_strdup(r->rewrite_authority) : NULL;
    return 0;
}

/* A VirtualService's routes in order: one per match, or one for a route without matches. */
static int vs_route_cfgs(const struct bctx *b, const struct px_istio_vs *v, struct px_vhost_cfg *vh,
                         char **err)
{
    size_t total = 0;
    for (size_t r = 0; r < v->n_routes; r++)
        total += v->routes[r].n_matches ? v->routes[r].n_matches : 1;
    vh->routes = fl_calloc(total + 1, sizeof *vh->routes);
    for (size_t r = 0; r < v->n_routes; r++) {
        const struct px_istio_route *rt = &v->routes[r];
        char *name = rt->name           ? fl_strdup(rt->name)
                     : v->n_routes == 1 ? fl_strdup(v->name)
                                        : fl_asprintf("%s-%zu", v->name, r + 1);
        size_t n = rt->n_matches ? rt->n_matches : 1;
        int rc = 0;
        for (size_t k = 0; k < n && !rc; k++)
            rc = route_cfg(b, rt, rt->n_matches ? &rt->matches[k] : NULL, name,
                           &vh->routes[vh->n_routes++], err);
        free(name);
        if (rc) return -1;
    }
    return 0;
}

/* The route istiod gives a service without a VirtualService (BuildDefaultHTTPOutboundRoute). */
static int default_route(const struct bctx *b, size_t svc, struct px_vhost_cfg *vh, char **err)
{
    vh->routes = fl_calloc(1, sizeof *vh->routes);
    struct px_route_cfg *rc = &vh->routes[vh->n_routes++];
    rc->rate_limit = -1;
    rc->name = fl_strdup("default");
    if (px_match_init(&rc->path, PX_MATCH_PREFIX, "/", 0, err)) return -1;
    rc->dests = fl_calloc(1, sizeof *rc->dests);
    rc->dests[0].cluster = (uint32_t)b->first[svc];
    rc->dests[0].weight = 100;
    rc->n_dests = 1;
    rc->total_weight = 100;
    rc->has_retry = 1;
    px_istio_default_retry(&rc->retry);
    return 0;
}

/* The names a service answers to in the mesh's namespace. */
static void vhost_domains(const char *name, struct px_vhost_cfg *vh)
{
    static const char *const forms[] = {"%s", "%s.default", "%s.default.svc",
                                        "%s.default.svc.cluster.local"};
    vh->domains = fl_calloc(4, sizeof *vh->domains);
    for (int i = 0; i < 4; i++) vh->domains[vh->n_domains++] = fl_asprintf(forms[i], name);
}

int px_istio_build_outbound(const struct px_istio *m, const char *name,
                            const struct px_mesh_service *services, size_t n_services,
                            struct px_proxy_cfg *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->name = fl_strdup(name);
    out->kind = PX_PROXY_OUTBOUND;
    px_cost_default(&out->cost);
    out->workers = 2; /* the sidecar's default concurrency */
    out->envoy_headers = 1;
    if (check_drs(m, services, n_services, err) || check_vss(m, services, n_services, err)) {
        px_proxy_cfg_free(out);
        return -1;
    }
    size_t *first = fl_calloc(n_services + 1, sizeof *first);
    struct bctx b = {m, services, n_services, first};
    build_clusters(m, services, n_services, out, first);
    out->vhosts = fl_calloc(n_services + 1, sizeof *out->vhosts);
    int rc = 0;
    for (size_t i = 0; i < n_services && !rc; i++) {
        struct px_vhost_cfg *vh = &out->vhosts[out->n_vhosts++];
        vh->name = fl_strdup(services[i].name);
        vhost_domains(services[i].name, vh);
        const struct px_istio_vs *v = vs_for(m, services[i].name);
        rc = v ? vs_route_cfgs(&b, v, vh, err) : default_route(&b, i, vh, err);
    }
    free(first);
    if (rc) px_proxy_cfg_free(out);
    return rc;
}
