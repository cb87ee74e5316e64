/*
 * istio_vs.c - reads the spec of a VirtualService (istio/api
 * networking/v1alpha3 virtual_service.proto): hosts, gateways, exportTo,
 * and its http routes - matches (uri, headers, withoutHeaders, method,
 * ignoreUriCase), destinations (host, subset, weight), rewrite (uri,
 * authority, uriRegexRewrite), timeout, retries (attempts, perTryTimeout, retryOn,
 * retryIgnorePreviousHosts, backoff), fault (delay, abort, percentage).
 *
 * A match bound to gateways without "mesh" is left out (istiod's
 * sourceMatchHTTP), and so is a route whose every match is; a
 * VirtualService's own `gateways` are kept (sidecars: "mesh" or none;
 * ingress gateways: the Gateways named, istio_build.c), and its tcp and
 * tls routes are not modeled: a warning. For a header, a
 * StringMatch of {} or regex "*" means "present" (route.go
 * canBeConvertedToPresentMatch); for the uri, {} means any path. `retries`
 * starts from Istio's default policy (px_istio_default_retry), attempts 0
 * meaning none (ConvertPolicy); absent fault percentages mean 0% (route.go
 * TranslateFault). Hosts are stored short.
 *
 * headers, corsPolicy, redirect and directResponse are read by
 * istio_vs_http.c; mirror / mirrors with their percentages here.
 *
 * Refused by name, as not supported yet: scheme, authority matching,
 * sourceLabels, sourceNamespace, queryParams, method matches other than
 * exact, delegate, exponentialDelay, gRPC and HTTP/2
 * aborts. Read and without effect here: destination ports,
 * retryRemoteLocalities.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"

#define MS INT64_C(1000000)

/* Whether a sequence of strings holds word. */
static int list_has(struct ip *c, const yaml_node_t *seq, const char *word)
{
    for (size_t i = 0; i < SEQ_COUNT(seq); i++)
        if (!strcmp(fl_y_str(px_istio_item(c, seq, i)), word)) return 1;
    return 0;
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
    if (fl_y_check_keys(c->d, n, keys, NULL, "match") ||
        px_istio_refuse(c, n, "scheme", "scheme") ||
        px_istio_refuse(c, n, "authority", "authority matching") ||
        px_istio_refuse(c, n, "sourceLabels", "sourceLabels") ||
        px_istio_refuse(c, n, "sourceNamespace", "sourceNamespace") ||
        px_istio_refuse(c, n, "queryParams", "queryParams"))
        return -1;
    if ((x = fl_y_get(c->d, n, "name")) && fl_y_string(c->d, x, "match name", &s)) return -1;
    if ((x = fl_y_get(c->d, n, "port")) && fl_y_int(c->d, x, "port", 1, 65535, &port)) return -1;
    if ((x = fl_y_get(c->d, n, "gateways"))) {
        if (px_istio_str_items(c, x, "gateways", &n_gw)) return -1;
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
    yaml_node_t *d = fl_y_get(c->d, n, "destination"), *x;
    if (fl_y_check_keys(c->d, n, keys, req, "route destination") ||
        ((x = fl_y_get(c->d, n, "headers")) &&
         px_istio_parse_headers(c, x, &dst->req_headers, &dst->resp_headers)))
        return -1;
    if (fl_y_check_keys(c->d, d, dkeys, dreq, "destination") ||
        fl_y_string(c->d, fl_y_get(c->d, d, "host"), "destination host", &host))
        return -1;
    dst->host = px_istio_short_host(host, c->ns);
    dst->host_at = px_istio_at(c, fl_y_get(c->d, d, "host"));
    if ((x = fl_y_get(c->d, d, "subset"))) {
        if (fl_y_string(c->d, x, "subset", &subset)) return -1;
        dst->subset = fl_strdup(subset);
        dst->subset_at = px_istio_at(c, x);
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
        if (parse_dest(c, px_istio_item(c, n, i), &r->dests[r->n_dests++])) return -1;
        total += r->dests[i].weight;
    }
    FL_ASSERT(r->n_dests == SEQ_COUNT(n) && r->n_dests > 0);
    if (r->n_dests > 1 && total == 0)
        return fl_y_error(c->d, n, "%s: several destinations and no weight: give them weights",
                          c->what);
    return 0;
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
        px_istio_go_duration(c, x, "perTryTimeout", MS, &p->per_try_timeout_ns))
        return -1;
    if ((x = fl_y_get(c->d, n, "retryIgnorePreviousHosts")) &&
        fl_y_bool(c->d, x, "retryIgnorePreviousHosts", &p->previous_hosts))
        return -1;
    int remote;
    if ((x = fl_y_get(c->d, n, "retryRemoteLocalities")) &&
        fl_y_bool(c->d, x, "retryRemoteLocalities", &remote))
        return -1;
    if ((x = fl_y_get(c->d, n, "backoff"))) {
        if (px_istio_go_duration(c, x, "backoff", MS, &p->base_ns)) return -1;
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
    FL_ASSERT(attempts >= 0 && r->retry.n_codes <= PX_RETRY_CODES_MAX);
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
        px_istio_refuse(c, n, "exponentialDelay", "exponentialDelay") ||
        fault_percent(c, n, &f->delay_percent))
        return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "fixedDelay");
    if (!x) return fl_y_error(c->d, n, "%s: a fault delay needs 'fixedDelay'", c->what);
    FL_ASSERT(f->delay_percent >= 0 && f->delay_percent <= 100);
    return px_istio_go_duration(c, x, "fixedDelay", MS, &f->delay_ns);
}

static int parse_abort(struct ip *c, const yaml_node_t *n, struct px_fault_cfg *f)
{
    static const char *const keys[] = {"httpStatus", "grpcStatus", "http2Error", "percentage",
                                       NULL};
    long long status;
    if (fl_y_check_keys(c->d, n, keys, NULL, "fault abort") ||
        px_istio_refuse(c, n, "grpcStatus", "a gRPC abort") ||
        px_istio_refuse(c, n, "http2Error", "an HTTP/2 abort") ||
        fault_percent(c, n, &f->abort_percent))
        return -1;
    yaml_node_t *x = fl_y_get(c->d, n, "httpStatus");
    if (!x) return fl_y_error(c->d, n, "%s: a fault abort needs 'httpStatus'", c->what);
    if (fl_y_int(c->d, x, "httpStatus", 200, 599, &status)) return -1;
    f->abort_status = (int)status;
    FL_ASSERT(f->abort_status >= 200 && f->abort_percent >= 0 && f->abort_percent <= 100);
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

/*
 * uriRegexRewrite {match, rewrite}: Envoy's regex_rewrite of the path
 * (rewrite.h); not with uri (Istio's validation).
 */
static int parse_regex_rewrite(struct ip *c, const yaml_node_t *n, const yaml_node_t *x,
                               struct px_istio_route *r)
{
    static const char *const keys[] = {"match", "rewrite", NULL};
    const char *match, *rewrite;
    char *err = NULL;
    if (fl_y_get(c->d, n, "uri"))
        return fl_y_error(c->d, x, "%s: rewrite takes uri or uriRegexRewrite, not both", c->what);
    if (fl_y_want_map(c->d, x, "uriRegexRewrite") ||
        fl_y_check_keys(c->d, x, keys, keys, "uriRegexRewrite") ||
        fl_y_string(c->d, fl_y_get(c->d, x, "match"), "uriRegexRewrite match", &match) ||
        fl_y_string(c->d, fl_y_get(c->d, x, "rewrite"), "uriRegexRewrite rewrite", &rewrite))
        return -1;
    if (px_regex_rewrite_init(&r->rewrite_regex, match, rewrite, &err) == 0) return 0;
    fl_y_error(c->d, x, "uriRegexRewrite: %s", err);
    free(err);
    return -1;
}

static int parse_rewrite(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    static const char *const keys[] = {"uri", "authority", "uriRegexRewrite", NULL};
    yaml_node_t *x;
    const char *s;
    if (fl_y_check_keys(c->d, n, keys, NULL, "rewrite")) return -1;
    if ((x = fl_y_get(c->d, n, "uriRegexRewrite")) && parse_regex_rewrite(c, n, x, r)) return -1;
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
        free(r->dests[i].host_at);
        free(r->dests[i].subset_at);
        px_hdr_ops_free(&r->dests[i].req_headers);
        px_hdr_ops_free(&r->dests[i].resp_headers);
    }
    free(r->dests);
    free(r->rewrite_uri);
    free(r->rewrite_authority);
    px_regex_rewrite_free(&r->rewrite_regex);
    px_hdr_ops_free(&r->req_headers);
    px_hdr_ops_free(&r->resp_headers);
    for (size_t i = 0; i < r->n_mirrors; i++) {
        free(r->mirrors[i].dest.host);
        free(r->mirrors[i].dest.subset);
    }
    free(r->mirrors);
    struct px_edge *edges[] = {r->cors, r->respond};
    for (int i = 0; i < 2; i++)
        if (edges[i]) {
            px_edge_free(edges[i]);
            free(edges[i]);
        }
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
        if (parse_match(c, px_istio_item(c, n, i), m, &k)) {
            match_free(m);
            return -1;
        }
        if (k)
            r->n_matches++;
        else
            match_free(m);
    }
    FL_ASSERT(r->n_matches <= SEQ_COUNT(n));
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
    return px_istio_refuse(c, n, "delegate", "delegate");
}

/* A mirror's destination (host, subset, port), as a route destination's. */
static int mirror_dest(struct ip *c, const yaml_node_t *d, struct px_istio_dest *dst)
{
    static const char *const dkeys[] = {"host", "subset", "port", NULL};
    static const char *const req[] = {"host", NULL};
    const char *host, *subset;
    yaml_node_t *x;
    if (fl_y_want_map(c->d, d, "mirror") || fl_y_check_keys(c->d, d, dkeys, req, "mirror") ||
        fl_y_string(c->d, fl_y_get(c->d, d, "host"), "mirror host", &host))
        return -1;
    dst->host = px_istio_short_host(host, c->ns);
    if ((x = fl_y_get(c->d, d, "subset"))) {
        if (fl_y_string(c->d, x, "mirror subset", &subset)) return -1;
        dst->subset = fl_strdup(subset);
    }
    return 0;
}

/* Percent {value: 0..100}; absent: 100 (Istio: mirror everything). */
static int mirror_percent(struct ip *c, const yaml_node_t *n, double *out)
{
    static const char *const keys[] = {"value", NULL};
    *out = 100;
    if (!n) return 0;
    if (fl_y_want_map(c->d, n, "mirror percentage") ||
        fl_y_check_keys(c->d, n, keys, NULL, "mirror percentage"))
        return -1;
    yaml_node_t *v = fl_y_get(c->d, n, "value");
    return v ? fl_y_double(c->d, v, "percentage value", 0, 100, out) : 0;
}

static int mirror_one(struct ip *c, const yaml_node_t *n, const yaml_node_t *one,
                      struct px_istio_route *r)
{
    yaml_node_t *x;
    long long pct;
    r->mirrors = fl_calloc(1, sizeof *r->mirrors);
    r->n_mirrors = 1;
    if (mirror_dest(c, one, &r->mirrors[0].dest) ||
        mirror_percent(c, fl_y_get(c->d, n, "mirrorPercentage"), &r->mirrors[0].percent))
        return -1;
    if ((x = fl_y_get(c->d, n, "mirrorPercent"))) { /* deprecated: an integer percent */
        if (fl_y_int(c->d, x, "mirrorPercent", 0, 100, &pct)) return -1;
        if (!fl_y_get(c->d, n, "mirrorPercentage")) r->mirrors[0].percent = (double)pct;
    }
    return 0;
}

/*
 * mirror with mirrorPercentage (or the deprecated integer mirrorPercent),
 * or mirrors [{destination, percentage}]: not both (Istio's validation).
 */
static int parse_mirrors(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    static const char *const keys[] = {"destination", "percentage", NULL};
    static const char *const req[] = {"destination", NULL};
    yaml_node_t *one = fl_y_get(c->d, n, "mirror"), *many = fl_y_get(c->d, n, "mirrors");
    if (one && many)
        return fl_y_error(c->d, many, "%s: an http route takes mirror or mirrors, not both",
                          c->what);
    if (one) return mirror_one(c, n, one, r);
    if (!many) return 0;
    if (fl_y_want_seq(c->d, many, "mirrors")) return -1;
    r->mirrors = fl_calloc(SEQ_COUNT(many) + 1, sizeof *r->mirrors);
    for (size_t i = 0; i < SEQ_COUNT(many); i++) {
        yaml_node_t *m = px_istio_item(c, many, i);
        struct px_istio_mirror *o = &r->mirrors[r->n_mirrors++];
        if (fl_y_want_map(c->d, m, "mirrors item") ||
            fl_y_check_keys(c->d, m, keys, req, "mirrors item") ||
            mirror_dest(c, fl_y_get(c->d, m, "destination"), &o->dest) ||
            mirror_percent(c, fl_y_get(c->d, m, "percentage"), &o->percent))
            return -1;
    }
    FL_ASSERT(r->n_mirrors == SEQ_COUNT(many));
    return 0;
}

/* What answers or edits: headers, corsPolicy, and the action: route, redirect or directResponse. */
static int parse_action(struct ip *c, const yaml_node_t *n, struct px_istio_route *r)
{
    yaml_node_t *x, *route = fl_y_get(c->d, n, "route"), *redirect = fl_y_get(c->d, n, "redirect"),
                    *direct = fl_y_get(c->d, n, "directResponse");
    if ((x = fl_y_get(c->d, n, "headers")) &&
        px_istio_parse_headers(c, x, &r->req_headers, &r->resp_headers))
        return -1;
    if ((x = fl_y_get(c->d, n, "corsPolicy")) && px_istio_parse_cors(c, x, &r->cors)) return -1;
    /* virtual_service.proto: exactly one of route, redirect, directResponse */
    if (!!route + !!redirect + !!direct != 1)
        return fl_y_error(c->d, n,
                          "%s: an http route needs exactly one of 'route', 'redirect', "
                          "'directResponse'",
                          c->what);
    if (redirect) return px_istio_parse_redirect(c, redirect, &r->respond);
    if (direct) return px_istio_parse_direct(c, direct, &r->respond);
    return parse_dests(c, route, r);
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
    if (parse_action(c, n, r) || parse_mirrors(c, n, r)) return -1;
    if ((x = fl_y_get(c->d, n, "rewrite")) && parse_rewrite(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "timeout"))) {
        if (px_istio_go_duration(c, x, "timeout", MS, &r->timeout_ns)) return -1;
        r->has_timeout = 1;
    }
    if ((x = fl_y_get(c->d, n, "retries")) && parse_retries(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "fault")) && parse_fault(c, x, r)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- VirtualService */

void px_istio_vs_free(struct px_istio_vs *v)
{
    free(v->name);
    free(v->ns);
    free(v->at);
    for (size_t i = 0; i < v->n_hosts; i++) {
        free(v->hosts[i]);
        free(v->host_at[i]);
    }
    free(v->hosts);
    free(v->host_at);
    for (size_t i = 0; i < v->n_routes; i++) route_free(&v->routes[i]);
    free(v->routes);
    for (size_t i = 0; i < v->n_gateways; i++) free(v->gateways[i]);
    free(v->gateways);
    memset(v, 0, sizeof *v);
}

static int vs_routes(struct ip *c, const yaml_node_t *n, struct px_istio_vs *v)
{
    if (fl_y_want_seq(c->d, n, "http")) return -1;
    v->routes = fl_calloc(SEQ_COUNT(n) + 1, sizeof *v->routes);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        int keep;
        struct px_istio_route *r = &v->routes[v->n_routes];
        if (parse_http(c, px_istio_item(c, n, i), r, &keep)) {
            route_free(r);
            return -1;
        }
        if (keep)
            v->n_routes++;
        else
            route_free(r);
    }
    FL_ASSERT(v->n_routes <= SEQ_COUNT(n));
    return 0;
}

static int vs_hosts(struct ip *c, const yaml_node_t *n, struct px_istio_vs *v)
{
    size_t count;
    if (px_istio_str_items(c, n, "hosts", &count)) return -1;
    if (!count) return fl_y_error(c->d, n, "%s: hosts must not be empty", c->what);
    v->hosts = fl_calloc(count, sizeof *v->hosts);
    v->host_at = fl_calloc(count, sizeof *v->host_at);
    for (; v->n_hosts < count; v->n_hosts++) {
        const yaml_node_t *h = px_istio_item(c, n, v->n_hosts);
        v->hosts[v->n_hosts] = px_istio_short_host(fl_y_str(h), c->ns);
        v->host_at[v->n_hosts] = px_istio_at(c, h);
    }
    FL_ASSERT(v->n_hosts == count && count > 0);
    return 0;
}

/* Warnings for the parts of a VirtualService that carry no HTTP; 0: skip it. */
static int vs_applies(struct ip *c, const yaml_node_t *spec)
{
    yaml_node_t *gw = fl_y_get(c->d, spec, "gateways");
    static const char *const other[] = {"tcp", "tls", NULL};
    char *at;
    for (int i = 0; other[i]; i++) {
        yaml_node_t *x = fl_y_get(c->d, spec, other[i]);
        if (!x || x->type != YAML_SEQUENCE_NODE || !SEQ_COUNT(x)) continue;
        at = px_istio_at(c, fl_y_get_key(c->d, spec, other[i]));
        px_istio_warn(c->m, fl_asprintf("%s: %s: %s routes are not modeled yet (the scenario's "
                                        "traffic is HTTP)",
                                        at, c->what, other[i]));
        free(at);
    }
    (void)gw; /* bound to gateways: istio_resolve.c checks that they exist */
    return 1;
}

/*
 * `gateways`: each as "namespace/name" (a bare name is in the
 * VirtualService's namespace); "mesh" means sidecars. Without the field
 * the VirtualService applies to sidecars only (virtual_service.proto).
 */
static void vs_gateways(struct ip *c, const yaml_node_t *gw, struct px_istio_vs *v)
{
    size_t n = gw ? SEQ_COUNT(gw) : 0;
    v->mesh = n == 0;
    v->gateways = fl_calloc(n + 1, sizeof *v->gateways);
    for (size_t i = 0; i < n; i++) {
        const char *g = fl_y_str(px_istio_item(c, gw, i));
        if (!strcmp(g, "mesh"))
            v->mesh = 1;
        else
            v->gateways[v->n_gateways++] =
                strchr(g, '/') ? fl_strdup(g) : fl_asprintf("%s/%s", c->ns, g);
    }
    /* every item but "mesh" names a gateway */
    FL_ASSERT(v->n_gateways <= n && (v->mesh || v->n_gateways == n));
}

/*
 * Keeps v (taking it over) if it applies; an earlier VirtualService of the
 * same name and namespace is replaced in place, or removed when v does
 * not apply, as `kubectl apply` of the later file replaces the object.
 */
static void vs_store(struct ip *c, struct px_istio_vs *v, int applies)
{
    struct px_istio *m = c->m;
    size_t i = 0;
    while (i < m->n_vs && (strcmp(m->vs[i].name, v->name) || strcmp(m->vs[i].ns, v->ns))) i++;
    if (i < m->n_vs) {
        px_istio_note_replaced(c, m->vs[i].at, v->at);
        px_istio_vs_free(&m->vs[i]);
        if (applies) {
            m->vs[i] = *v;
            return;
        }
        memmove(&m->vs[i], &m->vs[i + 1], (m->n_vs - i - 1) * sizeof *m->vs);
        m->n_vs--;
    }
    if (!applies) {
        px_istio_vs_free(v);
        return;
    }
    m->vs = fl_realloc(m->vs, (m->n_vs + 1) * sizeof *m->vs);
    m->vs[m->n_vs++] = *v;
    FL_ASSERT(m->n_vs >= 1);
}

int px_istio_parse_vs(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"hosts", "gateways", "http", "tls", "tcp", "exportTo", NULL};
    static const char *const req[] = {"hosts", NULL};
    size_t n;
    yaml_node_t *x;
    if (fl_y_check_keys(c->d, spec, keys, req, c->what)) return -1;
    if ((x = fl_y_get(c->d, spec, "gateways")) && px_istio_str_items(c, x, "gateways", &n))
        return -1;
    if ((x = fl_y_get(c->d, spec, "exportTo")) && px_istio_str_items(c, x, "exportTo", &n))
        return -1;
    static const char *const lists[] = {"tcp", "tls", NULL};
    for (int i = 0; lists[i]; i++)
        if ((x = fl_y_get(c->d, spec, lists[i])) && fl_y_want_seq(c->d, x, lists[i])) return -1;
    struct px_istio_vs v = {0};
    v.name = fl_strdup(c->name);
    v.ns = fl_strdup(c->ns);
    v.at = px_istio_at(c, c->node);
    if (vs_hosts(c, fl_y_get(c->d, spec, "hosts"), &v) ||
        ((x = fl_y_get(c->d, spec, "http")) && vs_routes(c, x, &v))) {
        px_istio_vs_free(&v);
        return -1;
    }
    vs_gateways(c, fl_y_get(c->d, spec, "gateways"), &v);
    vs_store(c, &v, vs_applies(c, spec));
    return 0;
}
