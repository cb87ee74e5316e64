/*
 * edge.c - the request-path policies (see edge.h): what each does to a
 * request and to its response, with the rule it follows cited where it
 * is applied. Kong's local answers are Kong's: JSON {"message": ...} with
 * "application/json; charset=utf-8" (kong/pdk/response.lua error()).
 *
 * Deliberately not done: bodies (JSON body edits of the transformers are
 * refused when reading), Kong's normalisation of origins with default
 * ports, the Expect: 100-continue answer of request-size-limiting.
 */
#include "proxies/edge.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/respcache.h"

/* ---------------------------------------------------------------- header and query edits */

void px_hdr_ops_add(struct px_hdr_ops *o, enum px_hdr_op_kind kind, const char *name,
                    const char *value)
{
    FL_ASSERT(name != NULL);
    o->ops = fl_realloc(o->ops, (o->n + 1) * sizeof *o->ops);
    struct px_hdr_op *op = &o->ops[o->n++];
    /* a rename needs the new name */
    FL_ASSERT(kind != PX_HDR_RENAME || value != NULL);
    op->kind = kind;
    op->name = fl_strdup(name);
    op->value = value ? fl_strdup(value) : NULL;
}

void px_hdr_ops_free(struct px_hdr_ops *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->ops[i].name);
        free(o->ops[i].value);
    }
    free(o->ops);
    o->ops = NULL;
    o->n = 0;
}

/* Kong's rename: every value moves to the new name (nothing when absent). */
static void header_rename(struct px_msg *m, const char *from, const char *to)
{
    FL_ASSERT(from && to);
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (!strcasecmp(m->headers[i].name, from))
            m->headers[i].name = px_msg_strdup(m, to, strlen(to));
}

void px_hdr_ops_apply(const struct px_hdr_ops *o, struct px_msg *m)
{
    FL_ASSERT(o->n == 0 || o->ops != NULL);
    for (size_t i = 0; i < o->n; i++) {
        const struct px_hdr_op *op = &o->ops[i];
        int present = px_msg_header(m, op->name) != NULL;
        switch (op->kind) {
        case PX_HDR_REMOVE: px_msg_remove_header(m, op->name); break;
        case PX_HDR_RENAME: header_rename(m, op->name, op->value); break;
        case PX_HDR_REPLACE:
            if (present) px_msg_set_header(m, op->name, op->value);
            break;
        case PX_HDR_ADD:
            if (!present) px_msg_add_header(m, op->name, op->value);
            break;
        case PX_HDR_APPEND: px_msg_add_header(m, op->name, op->value); break;
        case PX_HDR_SET: px_msg_set_header(m, op->name, op->value); break;
        }
    }
}

/* Query parameters: "k=v" pairs split on '&', edited like headers (names exact). */
#define QUERY_PARAMS_MAX 128

struct qparam {
    char *name, *value; /* value NULL: "k" without '=' */
};

static size_t query_split(const char *q, struct qparam *out)
{
    size_t n = 0;
    while (q && *q && n < QUERY_PARAMS_MAX) {
        size_t len = strcspn(q, "&");
        if (len) {
            char *item = fl_asprintf("%.*s", (int)len, q);
            char *eq = strchr(item, '=');
            if (eq) *eq = '\0';
            out[n].name = item;
            out[n].value = eq ? eq + 1 : NULL;
            n++;
        }
        q += len + (q[len] == '&');
    }
    FL_ASSERT(n <= QUERY_PARAMS_MAX);
    return n;
}

static size_t query_find(struct qparam *v, size_t n, const char *name)
{
    FL_ASSERT(n <= QUERY_PARAMS_MAX && name);
    size_t i = 0;
    while (i < n && strcmp(v[i].name, name)) i++;
    return i;
}

/* Applies one edit; returns the new count. Owned strings: name (value points into it). */
static size_t query_edit(struct qparam *v, size_t n, const struct px_hdr_op *op)
{
    FL_ASSERT(n <= QUERY_PARAMS_MAX && op->name != NULL);
    size_t at = query_find(v, n, op->name);
    int present = at < n;
    if (op->kind == PX_HDR_REMOVE || (op->kind == PX_HDR_SET && present)) {
        for (size_t i = 0; i < n;) {
            if (strcmp(v[i].name, op->name)) {
                i++;
                continue;
            }
            free(v[i].name);
            memmove(v + i, v + i + 1, (n - i - 1) * sizeof *v);
            n--;
        }
        if (op->kind == PX_HDR_REMOVE) return n;
        present = 0;
    }
    FL_ASSERT(!present || at < n); /* `at` still indexes the name when present */
    if (op->kind == PX_HDR_RENAME) {
        FL_ASSERT(op->value != NULL);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v[i].name, op->name)) continue;
            char *item =
                v[i].value ? fl_asprintf("%s=%s", op->value, v[i].value) : fl_strdup(op->value);
            free(v[i].name);
            v[i].name = item;
            char *eq = strchr(item, '=');
            if (eq) *eq = '\0';
            v[i].value = eq ? eq + 1 : NULL;
        }
        return n;
    }
    int add =
        op->kind == PX_HDR_APPEND || op->kind == PX_HDR_SET || (op->kind == PX_HDR_ADD && !present);
    if (op->kind == PX_HDR_REPLACE && present) {
        char *item = fl_asprintf("%s=%s", op->name, op->value ? op->value : "");
        free(v[at].name);
        item[strlen(op->name)] = '\0';
        v[at].name = item;
        v[at].value = item + strlen(op->name) + 1;
    }
    if (add && n < QUERY_PARAMS_MAX) {
        char *item = fl_asprintf("%s=%s", op->name, op->value ? op->value : "");
        item[strlen(op->name)] = '\0';
        v[n].name = item;
        v[n].value = item + strlen(op->name) + 1;
        n++;
    }
    FL_ASSERT(n <= QUERY_PARAMS_MAX);
    return n;
}

void px_query_ops_apply(const struct px_hdr_ops *o, struct px_msg *m)
{
    if (!o->n) return;
    FL_ASSERT(o->ops != NULL);
    struct qparam v[QUERY_PARAMS_MAX];
    size_t n = query_split(m->query, v);
    for (size_t i = 0; i < o->n; i++) n = query_edit(v, n, &o->ops[i]);
    char *q = fl_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = v[i].value ? fl_asprintf("%s%s%s=%s", q, i ? "&" : "", v[i].name, v[i].value)
                                : fl_asprintf("%s%s%s", q, i ? "&" : "", v[i].name);
        free(q);
        q = next;
        free(v[i].name);
    }
    m->query = *q ? px_msg_strdup(m, q, strlen(q)) : NULL;
    free(q);
}

/* ---------------------------------------------------------------- small helpers */

int px_cidr_parse(const char *s, struct px_cidr *out)
{
    unsigned a, b, c, d, bits = 32;
    char tail;
    int n = sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &bits, &tail);
    if (n < 4 || n == 6 || a > 255 || b > 255 || c > 255 || d > 255 || bits > 32) return -1;
    if (n == 4 && strchr(s, '/')) return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.' && *p != '/') return -1;
    out->mask = bits ? ~UINT32_C(0) << (32 - bits) : 0;
    out->addr = ((a << 24) | (b << 16) | (c << 8) | d) & out->mask;
    FL_ASSERT((out->addr & ~out->mask) == 0);
    return 0;
}

static int cidr_any(const struct px_cidr *v, size_t n, uint32_t ip)
{
    for (size_t i = 0; i < n; i++)
        if ((ip & v[i].mask) == v[i].addr) return 1;
    return 0;
}

/* kong/pdk/response.lua: the default message of kong.response.error(status). */
static const char *kong_default_message(int status, char *buf, size_t size)
{
    switch (status) {
    case 400: return "Bad request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 500: return "An unexpected error occurred";
    case 502: return "An invalid response was received from the upstream server";
    case 503: return "The upstream server is currently unavailable";
    case 504: return "The upstream server is timing out";
    default: snprintf(buf, size, "The upstream server responded with %d", status); return buf;
    }
}

static struct px_msg *respond(const struct px_edge_env *env, int status, const char *body,
                              const char *content_type)
{
    struct px_msg *m = px_msg_new(env->rt);
    FL_ASSERT(status >= 100);
    m->status = status;
    if (body && *body) {
        m->body = (const uint8_t *)px_msg_strdup(m, body, strlen(body));
        m->body_bytes = strlen(body);
    }
    if (content_type) px_msg_add_header(m, "content-type", content_type);
    return m;
}

/* kong.response.error(status, message): {"message":"..."} as JSON. */
static struct px_msg *kong_error(const struct px_edge_env *env, int status, const char *message)
{
    char buf[64];
    if (!message) message = kong_default_message(status, buf, sizeof buf);
    char *body = fl_asprintf("{\"message\":\"%s\"}", message);
    struct px_msg *m = respond(env, status, body, "application/json; charset=utf-8");
    free(body);
    return m;
}

struct px_msg *px_edge_json(const struct px_edge_env *env, int status, const char *json)
{
    FL_ASSERT(status >= 100 && status <= 599 && json);
    return respond(env, status, json, "application/json; charset=utf-8");
}

size_t px_query_arg(const char *q, const char *name, char *out, size_t size)
{
    FL_ASSERT(name && out && size > 0);
    size_t n = 0, len = strlen(name);
    out[0] = '\0';
    while (q && *q) {
        size_t item = strcspn(q, "&");
        if (item >= len && !strncmp(q, name, len) && (item == len || q[len] == '=')) {
            if (n++ == 0) {
                size_t vlen = item > len ? item - len - 1 : 0, keep = vlen < size ? vlen : size - 1;
                memcpy(out, q + item - vlen, keep);
                out[keep] = '\0';
            }
        }
        q += item + (q[item] == '&');
    }
    return n;
}

/* ---------------------------------------------------------------- correlation-id */

static void uuid_text(struct px_rt *rt, char *out, size_t size)
{
    FL_ASSERT(size >= 37); /* 36 characters and the NUL */
    uint64_t hi = px_random(rt), lo = px_random(rt);
    hi = (hi & ~UINT64_C(0xF000)) | UINT64_C(0x4000);       /* version 4 */
    lo = (lo & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62); /* RFC 4122 variant */
    snprintf(out, size, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
             hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48, lo & UINT64_C(0xFFFFFFFFFFFF));
}

/*
 * Kong correlation-id (kong/plugins/correlation-id/handler.lua): a request
 * that has the header keeps it; otherwise the generator makes one:
 * uuid (random v4), uuid#counter (the worker's uuid, '#', a per-worker
 * counter from 1), tracker (here: peer-counter-msec, not nginx's variables).
 */
static void corr_request(const struct px_edge_corr *c, const struct px_edge_env *env,
                         struct px_msg *req, struct px_edge_state *st)
{
    FL_ASSERT(c->header && *c->header);
    const char *have = px_msg_header(req, c->header);
    if (have) {
        snprintf(st->corr_value, sizeof st->corr_value, "%s", have);
        return;
    }
    uint64_t n = env->counter ? ++*env->counter : 0;
    switch (c->gen) {
    case PX_CORR_UUID: uuid_text(env->rt, st->corr_value, sizeof st->corr_value); break;
    case PX_CORR_UUID_COUNTER:
        if (env->worker_uuid && !env->worker_uuid[0])
            uuid_text(env->rt, env->worker_uuid, PX_UUID_SIZE);
        snprintf(st->corr_value, sizeof st->corr_value, "%s#%" PRIu64,
                 env->worker_uuid ? env->worker_uuid : "", n);
        break;
    case PX_CORR_TRACKER:
        snprintf(st->corr_value, sizeof st->corr_value, "%s-%" PRIu64 "-%" PRId64,
                 env->peer ? env->peer : "-", n, env->now_ns / 1000000);
        break;
    }
    px_msg_set_header(req, c->header, st->corr_value);
}

/* ---------------------------------------------------------------- cors */

/* The host of an origin ("https://a.example.com:8443" -> "a.example.com"), into buf. */
static const char *origin_host(const char *origin, char *buf, size_t size)
{
    const char *h = strstr(origin, "://");
    h = h ? h + 3 : origin;
    snprintf(buf, size, "%.*s", (int)strcspn(h, ":/"), h);
    return buf;
}

/* Kong adds "Vary: Origin"; here once, even when a cached answer has it already. */
static void add_vary_origin(struct px_msg *m)
{
    for (uint32_t i = 0; i < m->n_headers; i++)
        if (!strcasecmp(m->headers[i].name, "vary") && strcasestr(m->headers[i].value, "origin"))
            return;
    px_msg_add_header(m, "vary", "Origin");
}

/*
 * Kong's configure_origin (kong/plugins/cors/handler.lua): no origins or
 * only "*": "*" (allow all); else Vary: Origin, and a single literal
 * origin is sent as it is; otherwise the request's origin when one entry
 * matches it ("*" allows all; a regex entry is matched whole against the
 * origin's host when it has no ':', else against the origin), or none.
 * Istio (Envoy's CORS filter): the request's origin when allowed.
 * Returns 1 when every origin is allowed ("*").
 */
static int cors_origin(const struct px_edge_cors *c, const char *origin, struct px_msg *m)
{
    FL_ASSERT(c->n_origins == 0 || c->origins != NULL);
    if (c->reflect) {
        int ok = 0;
        for (size_t i = 0; origin && i < c->n_origins && !ok; i++)
            ok = px_match_test(&c->origins[i], origin);
        if (ok) px_msg_set_header(m, "access-control-allow-origin", origin);
        return 0;
    }
    if (!c->n_origins || (c->n_origins == 1 && c->any_origin)) {
        px_msg_set_header(m, "access-control-allow-origin", "*");
        return 1;
    }
    add_vary_origin(m);
    if (c->n_origins == 1 && c->origins[0].kind == PX_MATCH_EXACT) {
        px_msg_set_header(m, "access-control-allow-origin", c->origins[0].value);
        return 0;
    }
    if (c->any_origin) {
        px_msg_set_header(m, "access-control-allow-origin", "*");
        return 1;
    }
    char host[256];
    for (size_t i = 0; origin && i < c->n_origins; i++) {
        const struct px_match *o = &c->origins[i];
        const char *subject = o->kind == PX_MATCH_REGEX && !strchr(o->value, ':')
                                  ? origin_host(origin, host, sizeof host)
                                  : origin;
        if (px_match_test(o, subject)) {
            px_msg_set_header(m, "access-control-allow-origin", origin);
            return 0;
        }
    }
    px_msg_remove_header(m, "access-control-allow-origin");
    return 0;
}

/* Kong's configure_credentials: with "*", the request's origin replaces it. */
static void cors_credentials(const struct px_edge_cors *c, int allow_all, const char *origin,
                             struct px_msg *m)
{
    if (!c->credentials) return;
    if (c->reflect && !px_msg_header(m, "access-control-allow-origin")) return;
    if (!allow_all) {
        px_msg_set_header(m, "access-control-allow-credentials", "true");
        return;
    }
    if (!origin) return;
    add_vary_origin(m);
    px_msg_set_header(m, "access-control-allow-origin", origin);
    px_msg_set_header(m, "access-control-allow-credentials", "true");
}

static int origin_allowed(const struct px_edge_cors *c, const char *origin)
{
    for (size_t i = 0; i < c->n_origins; i++)
        if (px_match_test(&c->origins[i], origin)) return 1;
    return 0;
}

/*
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
 * answered here with 200 (Kong: kong.response.exit(200) unless
 * preflight_continue; Envoy: only when the origin is allowed, else it goes
 * upstream).
 */
static struct px_msg *cors_request(const struct px_edge_cors *c, const struct px_edge_env *env,
                                   const struct px_msg *req, struct px_edge_state *st)
{
    const char *origin = px_msg_header(req, "origin");
    if (strcmp(req->method ? req->method : "GET", "OPTIONS") || !origin ||
        !px_msg_header(req, "access-control-request-method"))
        return NULL;
    if (c->reflect && !origin_allowed(c, origin)) return NULL;
    FL_ASSERT(!st->cors_preflight);
    st->cors_preflight = 1;
    if (c->preflight_continue) return NULL;
    struct px_msg *m = respond(env, 200, NULL, NULL);
    int all = cors_origin(c, origin, m);
    cors_credentials(c, all, origin, m);
    /* Kong: without headers, the requested ones; without methods, its nine. Envoy: as given */
    const char *acrh = px_msg_header(req, "access-control-request-headers");
    if (c->headers)
        px_msg_set_header(m, "access-control-allow-headers", c->headers);
    else if (acrh && !c->reflect)
        px_msg_set_header(m, "access-control-allow-headers", acrh);
    if (c->methods || !c->reflect)
        px_msg_set_header(m, "access-control-allow-methods",
                          c->methods ? c->methods
                                     : "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT");
    if (c->max_age_s >= 0) {
        char age[32];
        snprintf(age, sizeof age, "%" PRId64, c->max_age_s);
        px_msg_set_header(m, "access-control-max-age", age);
    }
    return m;
}

/* Kong's header_filter (allow_origin_absent defaults to true); Envoy: only with an Origin. */
static void cors_response(const struct px_edge_cors *c, const struct px_msg *req, struct px_msg *m,
                          const struct px_edge_state *st)
{
    const char *origin = px_msg_header(req, "origin");
    if (st->cors_preflight || (c->reflect && !origin)) return;
    int all = cors_origin(c, origin, m);
    cors_credentials(c, all, origin, m);
    if (c->expose && (!c->reflect || px_msg_header(m, "access-control-allow-origin")))
        px_msg_set_header(m, "access-control-expose-headers", c->expose);
}

/* ---------------------------------------------------------------- limits and access */

/*
 * Kong ip-restriction (kong/plugins/ip-restriction/handler.lua): an
 * address in deny is refused, then one not in a non-empty allow; a client
 * without an address cannot be identified (403 too).
 */
static struct px_msg *ip_request(const struct px_edge_ip *c, const struct px_edge_env *env)
{
    FL_ASSERT(c->n_allow + c->n_deny > 0 && c->status >= 100);
    struct px_cidr peer;
    if (!env->peer || px_cidr_parse(env->peer, &peer) || peer.mask != ~UINT32_C(0))
        return kong_error(env, 403,
                          "Cannot identify the client IP address, unix domain sockets are not "
                          "supported.");
    int blocked = cidr_any(c->deny, c->n_deny, peer.addr) ||
                  (c->n_allow && !cidr_any(c->allow, c->n_allow, peer.addr));
    return blocked ? kong_error(env, c->status, c->message) : NULL;
}

/*
 * Kong request-size-limiting (kong/plugins/request-size-limiting/
 * handler.lua): the Content-Length, else the body read, above the limit:
 * 413 "Request size limit exceeded". Every message of the model carries a
 * Content-Length (http.h); require_content_length refuses (411) a request
 * sent with Transfer-Encoding and no Content-Length.
 */
static struct px_msg *size_request(const struct px_edge_size *c, const struct px_edge_env *env,
                                   const struct px_msg *req)
{
    const char *cl = px_msg_header(req, "content-length");
    if (c->require_content_length && !cl && px_msg_header(req, "transfer-encoding"))
        return kong_error(env, 411, "A valid Content-Length header is required");
    uint64_t n = req->body_bytes;
    if (cl) {
        char *end;
        unsigned long long v = strtoull(cl, &end, 10);
        if (end != cl && !*end) n = v;
    }
    return n > c->limit_bytes ? kong_error(env, 413, "Request size limit exceeded") : NULL;
}

/* Kong request-termination: trigger (a header or query argument) or always. */
static int trigger_present(const char *name, const struct px_msg *req)
{
    if (px_msg_header(req, name)) return 1;
    struct qparam v[QUERY_PARAMS_MAX];
    size_t n = query_split(req->query, v), at = query_find(v, n, name);
    for (size_t i = 0; i < n; i++) free(v[i].name);
    return at < n;
}

/* request-termination's DEFAULT_RESPONSE (not kong.response.error's). */
static const char *termination_default(int status)
{
    switch (status) {
    case 401: return "Unauthorized";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 500: return "An unexpected error occurred";
    case 502: return "Bad Gateway";
    case 503: return "Service unavailable";
    default: return NULL;
    }
}

/*
 * Envoy's redirect (RouteEntryImplBase::newUri): scheme://host[:port]path
 * [?query]; each part is kept unless given, but a host_redirect replaces
 * the whole authority (the request's port goes with it).
 */
static char *redirect_location(const struct px_edge_respond *r, const struct px_msg *req)
{
    FL_ASSERT(r->redirect);
    const char *auth = req->authority ? req->authority : px_msg_header(req, "host");
    if (!auth) auth = "";
    size_t host_len = strcspn(auth, ":");
    const char *port = auth[host_len] == ':' ? auth + host_len + 1 : NULL;
    const char *host = r->redirect_host ? r->redirect_host : NULL;
    char portbuf[16] = "";
    if (r->redirect_port)
        snprintf(portbuf, sizeof portbuf, ":%d", r->redirect_port);
    else if (port && !r->redirect_host)
        snprintf(portbuf, sizeof portbuf, ":%s", port);
    const char *path = r->redirect_uri ? r->redirect_uri : req->path ? req->path : "/";
    return fl_asprintf("%s://%.*s%s%s%s%s", r->redirect_scheme ? r->redirect_scheme : "http",
                       host ? (int)strlen(host) : (int)host_len, host ? host : auth, portbuf, path,
                       req->query ? "?" : "", req->query ? req->query : "");
}

static struct px_msg *respond_request(const struct px_edge_respond *r,
                                      const struct px_edge_env *env, const struct px_msg *req)
{
    FL_ASSERT(r->status >= 100 && r->status <= 599);
    if (r->trigger && !trigger_present(r->trigger, req)) return NULL;
    if (r->redirect) {
        char *loc = redirect_location(r, req);
        struct px_msg *m = respond(env, r->status, NULL, NULL);
        px_msg_add_header(m, "location", loc);
        free(loc);
        return m;
    }
    /*
     * Kong (kong/plugins/request-termination/handler.lua): the body with
     * content_type (none if not given), else {"message": message or the
     * plugin's own default for the status}, else an empty body.
     */
    if (r->body) return respond(env, r->status, r->body, r->content_type);
    const char *msg = r->kong ? r->message ? r->message : termination_default(r->status) : NULL;
    if (msg) return kong_error(env, r->status, msg);
    return respond(env, r->status, NULL, NULL); /* and Envoy's direct_response without a body */
}

/* ---------------------------------------------------------------- proxy-cache */

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
    return (h ^ 0xFF) * UINT64_C(0x100000001b3); /* a separator */
}

static int list_has(char **v, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcasecmp(v[i], s)) return 1;
    return 0;
}

/*
 * Kong proxy-cache's key (kong/plugins/proxy-cache/cache_key.lua): route,
 * method, path, the query (only vary_query_params when set) and the
 * values of vary_headers. Here a 64-bit FNV-1a, not Kong's sha256.
 */
static uint64_t cache_key(const struct px_edge_cache *c, const struct px_edge_env *env,
                          const struct px_msg *req)
{
    uint64_t h = fnv(UINT64_C(0xcbf29ce484222325), env->route_name);
    h = fnv(h, req->method ? req->method : "GET");
    h = fnv(h, req->path ? req->path : "/");
    if (!c->n_vary_query) {
        h = fnv(h, req->query);
    } else {
        struct qparam v[QUERY_PARAMS_MAX];
        size_t n = query_split(req->query, v);
        for (size_t i = 0; i < c->n_vary_query; i++) {
            size_t at = query_find(v, n, c->vary_query[i]);
            h = fnv(h, at < n ? (v[at].value ? v[at].value : "") : NULL);
        }
        for (size_t i = 0; i < n; i++) free(v[i].name);
    }
    for (size_t i = 0; i < c->n_vary_headers; i++)
        h = fnv(h, px_msg_header(req, c->vary_headers[i]));
    return h ? h : 1;
}

static void cache_headers(struct px_msg *m, int status, uint64_t key)
{
    char buf[24];
    px_msg_set_header(m, "x-cache-status", px_cache_status_name(status));
    if (status == PX_CACHE_BYPASS) return;
    snprintf(buf, sizeof buf, "%016" PRIx64, key);
    px_msg_set_header(m, "x-cache-key", buf);
}

/* Kong: a method not in request_method bypasses; a fresh entry answers (Hit, with Age). */
static struct px_msg *cache_request(const struct px_edge_cache *c, const struct px_edge_env *env,
                                    const struct px_msg *req, struct px_edge_state *st, size_t i)
{
    FL_ASSERT(c->ttl_ns >= 0 && c->n_codes > 0);
    st->cache_index = i;
    if (!list_has(c->methods, c->n_methods, req->method ? req->method : "GET") || !env->cache) {
        st->cache_status = PX_CACHE_BYPASS;
        return NULL;
    }
    st->cache_key = cache_key(c, env, req);
    struct px_msg *hit;
    int64_t age_ns;
    st->cache_status = px_respcache_lookup(env->cache, env->rt, st->cache_key, env->now_ns,
                                           c->ttl_ns, &hit, &age_ns);
    /* only a hit hands back a response */
    FL_ASSERT((st->cache_status == PX_CACHE_HIT) == (hit != NULL));
    if (st->cache_status != PX_CACHE_HIT) return NULL;
    char age[32];
    snprintf(age, sizeof age, "%" PRId64, age_ns / 1000000000);
    px_msg_set_header(hit, "age", age);
    return hit;
}

static int cacheable_type(const struct px_edge_cache *c, const char *ct)
{
    if (!ct) return 0;
    size_t len = strcspn(ct, ";");
    while (len && ct[len - 1] == ' ') len--;
    for (size_t i = 0; i < c->n_content_types; i++)
        if (!strcmp(c->content_types[i], "*/*") ||
            (strlen(c->content_types[i]) == len && !strncasecmp(c->content_types[i], ct, len)))
            return 1;
    return 0;
}

/* Kong: a response outside response_code or content_type is not stored (Bypass). */
static void cache_response(const struct px_edge_cache *c, const struct px_edge_env *env,
                           struct px_msg *resp, struct px_edge_state *st)
{
    int status = st->cache_status;
    FL_ASSERT(status != PX_CACHE_HIT);
    if (status == PX_CACHE_MISS || status == PX_CACHE_REFRESH) {
        int code_ok = 0;
        for (size_t i = 0; i < c->n_codes; i++) code_ok |= c->codes[i] == resp->status;
        if (!st->from_upstream || !code_ok ||
            !cacheable_type(c, px_msg_header(resp, "content-type")))
            status = PX_CACHE_BYPASS;
        else if (env->cache)
            px_respcache_store(env->cache, st->cache_key, resp, env->now_ns);
    }
    if (status) cache_headers(resp, status, st->cache_key);
}

/* ---------------------------------------------------------------- the two phases */

struct px_msg *px_edge_request(const struct px_edge_cfg *e, size_t from, size_t to,
                               const struct px_edge_env *env, struct px_msg *req,
                               struct px_edge_state *st)
{
    FL_ASSERT(from <= to && to <= e->n && env->rt);
    for (size_t i = from; i < to; i++) {
        const struct px_edge *x = e->v[i];
        struct px_msg *m = NULL;
        st->ran = i + 1;
        switch (x->kind) {
        case PX_EDGE_CORRELATION: corr_request(&x->u.corr, env, req, st); break;
        case PX_EDGE_CORS: m = cors_request(&x->u.cors, env, req, st); break;
        case PX_EDGE_IP: m = ip_request(&x->u.ip, env); break;
        case PX_EDGE_SIZE: m = size_request(&x->u.size, env, req); break;
        case PX_EDGE_ACL: m = px_acl_request(&x->u.acl, env, req, st); break;
        case PX_EDGE_KEYAUTH: m = px_keyauth_request(&x->u.keyauth, env, req, st); break;
        case PX_EDGE_JWT: m = px_jwt_request(&x->u.jwt, env, req, st); break;
        case PX_EDGE_HEADERS:
            px_hdr_ops_apply(&x->u.hdr.req, req);
            px_query_ops_apply(&x->u.hdr.req_query, req);
            if (x->u.hdr.method) req->method = x->u.hdr.method; /* config outlives the message */
            if (x->u.hdr.uri) req->path = x->u.hdr.uri;
            break;
        case PX_EDGE_CACHE: m = cache_request(&x->u.cache, env, req, st, i); break;
        case PX_EDGE_RESPOND:
            m = respond_request(&x->u.respond, env, req);
            st->direct = m != NULL;
            break;
        }
        if (m) return m;
    }
    return NULL;
}

void px_edge_response(const struct px_edge_cfg *e, const struct px_edge_env *env,
                      const struct px_msg *req, struct px_msg *resp, struct px_edge_state *st)
{
    FL_ASSERT(st->ran <= e->n && resp->status > 0);
    for (size_t i = 0; i < st->ran; i++) {
        const struct px_edge *x = e->v[i];
        switch (x->kind) {
        case PX_EDGE_CORRELATION:
            if (x->u.corr.echo_downstream && st->corr_value[0])
                px_msg_set_header(resp, x->u.corr.header, st->corr_value);
            break;
        case PX_EDGE_CORS: cors_response(&x->u.cors, req, resp, st); break;
        case PX_EDGE_HEADERS: px_hdr_ops_apply(&x->u.hdr.resp, resp); break;
        case PX_EDGE_CACHE:
            if (st->cache_status == PX_CACHE_HIT)
                cache_headers(resp, PX_CACHE_HIT, st->cache_key);
            else
                cache_response(&x->u.cache, env, resp, st);
            break;
        default: break;
        }
    }
}

/* ---------------------------------------------------------------- configuration */

static void strs_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void px_edge_free(struct px_edge *x)
{
    free(x->name);
    switch (x->kind) {
    case PX_EDGE_CORRELATION: free(x->u.corr.header); break;
    case PX_EDGE_CORS:
        for (size_t i = 0; i < x->u.cors.n_origins; i++) px_match_free(&x->u.cors.origins[i]);
        free(x->u.cors.origins);
        free(x->u.cors.methods);
        free(x->u.cors.headers);
        free(x->u.cors.expose);
        break;
    case PX_EDGE_IP:
        free(x->u.ip.allow);
        free(x->u.ip.deny);
        free(x->u.ip.message);
        break;
    case PX_EDGE_HEADERS:
        px_hdr_ops_free(&x->u.hdr.req);
        px_hdr_ops_free(&x->u.hdr.req_query);
        px_hdr_ops_free(&x->u.hdr.resp);
        free(x->u.hdr.method);
        free(x->u.hdr.uri);
        break;
    case PX_EDGE_CACHE:
        free(x->u.cache.codes);
        strs_free(x->u.cache.methods, x->u.cache.n_methods);
        strs_free(x->u.cache.content_types, x->u.cache.n_content_types);
        strs_free(x->u.cache.vary_headers, x->u.cache.n_vary_headers);
        strs_free(x->u.cache.vary_query, x->u.cache.n_vary_query);
        break;
    case PX_EDGE_ACL: px_edge_acl_free(&x->u.acl); break;
    case PX_EDGE_KEYAUTH: px_edge_keyauth_free(&x->u.keyauth); break;
    case PX_EDGE_JWT: px_edge_jwt_free(&x->u.jwt); break;
    case PX_EDGE_RESPOND:
        free(x->u.respond.body);
        free(x->u.respond.content_type);
        free(x->u.respond.location);
        free(x->u.respond.redirect_uri);
        free(x->u.respond.redirect_host);
        free(x->u.respond.redirect_scheme);
        free(x->u.respond.trigger);
        free(x->u.respond.message);
        break;
    default: break;
    }
    memset(x, 0, sizeof *x);
}

static char *dup(const char *s)
{
    return s ? fl_strdup(s) : NULL;
}

static char **strs_dup(char **v, size_t n)
{
    FL_ASSERT(v || n == 0);
    char **out = fl_calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = fl_strdup(v[i]);
    return out;
}

static void *mem_dup(const void *p, size_t size)
{
    FL_ASSERT(p || size == 0);
    void *out = fl_malloc(size ? size : 1);
    if (size) memcpy(out, p, size);
    return out;
}

static void ops_copy(struct px_hdr_ops *dst, const struct px_hdr_ops *src)
{
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->n; i++)
        px_hdr_ops_add(dst, src->ops[i].kind, src->ops[i].name, src->ops[i].value);
    FL_ASSERT(dst->n == src->n);
}

static void cors_copy(struct px_edge_cors *d, const struct px_edge_cors *s)
{
    d->origins = fl_calloc(s->n_origins + 1, sizeof *d->origins);
    for (size_t i = 0; i < s->n_origins; i++) {
        char *err = NULL;
        const struct px_match *m = &s->origins[i];
        int rc = px_match_init(&d->origins[i], m->kind, m->value, m->ignore_case, &err);
        FL_ASSERT(rc == 0); /* it compiled once already */
        free(err);
    }
    d->methods = dup(s->methods);
    d->headers = dup(s->headers);
    d->expose = dup(s->expose);
}

void px_edge_copy(struct px_edge *d, const struct px_edge *s)
{
    FL_ASSERT(d != s);
    *d = *s;
    d->name = dup(s->name);
    switch (s->kind) {
    case PX_EDGE_CORRELATION: d->u.corr.header = dup(s->u.corr.header); break;
    case PX_EDGE_CORS: cors_copy(&d->u.cors, &s->u.cors); break;
    case PX_EDGE_IP:
        d->u.ip.allow = mem_dup(s->u.ip.allow, s->u.ip.n_allow * sizeof *s->u.ip.allow);
        d->u.ip.deny = mem_dup(s->u.ip.deny, s->u.ip.n_deny * sizeof *s->u.ip.deny);
        d->u.ip.message = dup(s->u.ip.message);
        break;
    case PX_EDGE_HEADERS:
        ops_copy(&d->u.hdr.req, &s->u.hdr.req);
        ops_copy(&d->u.hdr.req_query, &s->u.hdr.req_query);
        ops_copy(&d->u.hdr.resp, &s->u.hdr.resp);
        d->u.hdr.method = dup(s->u.hdr.method);
        d->u.hdr.uri = dup(s->u.hdr.uri);
        break;
    case PX_EDGE_CACHE:
        d->u.cache.codes = mem_dup(s->u.cache.codes, s->u.cache.n_codes * sizeof(int));
        d->u.cache.methods = strs_dup(s->u.cache.methods, s->u.cache.n_methods);
        d->u.cache.content_types = strs_dup(s->u.cache.content_types, s->u.cache.n_content_types);
        d->u.cache.vary_headers = strs_dup(s->u.cache.vary_headers, s->u.cache.n_vary_headers);
        d->u.cache.vary_query = strs_dup(s->u.cache.vary_query, s->u.cache.n_vary_query);
        break;
    case PX_EDGE_ACL: px_edge_acl_copy(&d->u.acl, &s->u.acl); break;
    case PX_EDGE_KEYAUTH: px_edge_keyauth_copy(&d->u.keyauth, &s->u.keyauth); break;
    case PX_EDGE_JWT: px_edge_jwt_copy(&d->u.jwt, &s->u.jwt); break;
    case PX_EDGE_RESPOND: {
        struct px_edge_respond *r = &d->u.respond;
        const struct px_edge_respond *o = &s->u.respond;
        r->body = dup(o->body);
        r->content_type = dup(o->content_type);
        r->location = dup(o->location);
        r->redirect_uri = dup(o->redirect_uri);
        r->redirect_host = dup(o->redirect_host);
        r->redirect_scheme = dup(o->redirect_scheme);
        r->trigger = dup(o->trigger);
        r->message = dup(o->message);
        break;
    }
    default: break;
    }
}

void px_edge_cfg_free(struct px_edge_cfg *e)
{
    free(e->v);
    memset(e, 0, sizeof *e);
}

void px_edge_cfg_push(struct px_edge_cfg *e, const struct px_edge *x)
{
    FL_ASSERT(x && (e->n == 0 || e->v));
    e->v = fl_realloc(e->v, (e->n + 1) * sizeof *e->v);
    e->v[e->n++] = x;
    FL_ASSERT(e->n_early <= e->n);
}
