/*
 * edge.h - the request-path policies a proxy applies around routing, as
 * plain data and two sans-I/O phases: Kong's traffic-changing plugins
 * (cors, request-size-limiting, request-termination, ip-restriction, acl,
 * correlation-id, request/response-transformer, proxy-cache) and Istio's
 * HTTPRoute fields (headers, redirect, directResponse, corsPolicy).
 *
 * A route's policies form one ordered list (struct px_edge_cfg), in the
 * order their request phase runs (Kong: plugin priority, highest first).
 * px_edge_request runs a slice of that list on the request: each policy
 * may change the request (headers, query) or answer it at once (a local
 * response: preflight, 403, 413, a cache hit...). px_edge_response runs
 * the response phase of the policies whose request phase ran, in the same
 * order, on the response going downstream, whoever made it (Kong runs
 * header_filter after kong.response.exit too).
 *
 * Not here: the rate-limiting plugin (ratelimit.c, run by the engine
 * between the two slices), the authentication plugins' own logic
 * (auth_key.c, auth_jwt.c, auth_acl.c: this file dispatches to them),
 * bodies beyond their sizes.
 */
#ifndef FL_PROXIES_EDGE_H
#define FL_PROXIES_EDGE_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/auth.h"
#include "proxies/http.h"
#include "proxies/match.h"
#include "proxies/rt.h"

struct px_respcache;

/* One edit of headers or query parameters. */
enum px_hdr_op_kind {
    PX_HDR_REMOVE,  /* every value of name */
    PX_HDR_RENAME,  /* name -> value (Kong: keeps the values; nothing if absent) */
    PX_HDR_REPLACE, /* only if present (Kong replace) */
    PX_HDR_ADD,     /* only if absent (Kong add) */
    PX_HDR_APPEND,  /* one more value (Kong append, Istio add) */
    PX_HDR_SET,     /* replace or add (Istio set) */
};

struct px_hdr_op {
    enum px_hdr_op_kind kind;
    char *name, *value;
};

/* Edits in the order they apply. */
struct px_hdr_ops {
    struct px_hdr_op *ops;
    size_t n;
};

enum px_edge_kind {
    PX_EDGE_CORRELATION, /* Kong correlation-id */
    PX_EDGE_CORS,        /* Kong cors, Istio corsPolicy */
    PX_EDGE_IP,          /* Kong ip-restriction */
    PX_EDGE_SIZE,        /* Kong request-size-limiting */
    PX_EDGE_ACL,         /* Kong acl (auth.h) */
    PX_EDGE_KEYAUTH,     /* Kong key-auth (auth.h) */
    PX_EDGE_JWT,         /* Kong jwt (auth.h) */
    PX_EDGE_HEADERS,     /* Kong request/response-transformer, Istio headers */
    PX_EDGE_CACHE,       /* Kong proxy-cache */
    PX_EDGE_RESPOND,     /* Kong request-termination, Istio directResponse and redirect */
};

enum px_corr_gen { PX_CORR_UUID, PX_CORR_UUID_COUNTER, PX_CORR_TRACKER };

struct px_edge_corr {
    char *header;
    enum px_corr_gen gen;
    int echo_downstream;
};

/* An allowed origin: "*" (any), exact, or a regex / prefix (px_match). */
struct px_edge_cors {
    struct px_match *origins; /* none: any ("*") */
    size_t n_origins;
    int any_origin;    /* "*" among them */
    int reflect;       /* Istio: answer with the request's origin; Kong: see edge.c */
    char *methods;     /* comma-joined; NULL: Kong's default list */
    char *headers;     /* NULL: echo Access-Control-Request-Headers */
    char *expose;      /* NULL: none */
    int64_t max_age_s; /* < 0: no Access-Control-Max-Age */
    int credentials;
    int preflight_continue; /* Kong: let the upstream answer preflights */
};

struct px_cidr {
    uint32_t addr, mask; /* IPv4 */
};

struct px_edge_ip {
    struct px_cidr *allow, *deny;
    size_t n_allow, n_deny;
    int status;    /* 403 */
    char *message; /* "Your IP address is not allowed" */
};

struct px_edge_size {
    uint64_t limit_bytes;
    int require_content_length;
};

struct px_edge_headers {
    struct px_hdr_ops req, req_query, resp;
    char *method; /* Kong http_method: the upstream request's method (NULL: kept) */
    char *uri;    /* Kong replace.uri: the upstream request's path (NULL: kept) */
};

#define PX_UUID_SIZE 40

struct px_edge_cache {
    int *codes;
    size_t n_codes;
    char **methods, **content_types, **vary_headers, **vary_query;
    size_t n_methods, n_content_types, n_vary_headers, n_vary_query;
    int64_t ttl_ns;
    int cache_control;
};

/* A local answer; location (redirects) and content_type may be NULL. */
struct px_edge_respond {
    int status;
    char *body;
    char *content_type;
    char *location;      /* Istio redirect: the whole Location, or built from the parts below */
    char *redirect_uri;  /* NULL: keep the path */
    char *redirect_host; /* NULL: keep the authority */
    char *redirect_scheme;
    int redirect_port; /* 0: keep */
    int redirect;
    char *trigger; /* Kong trigger: a header or query argument name (NULL: always) */
    char *message; /* Kong message (NULL: kong.response.error's default) */
    int kong;      /* without a body: Kong's JSON error (else an empty body) */
};

struct px_edge {
    enum px_edge_kind kind;
    char *name; /* the plugin or field it comes from, for reports */
    union {
        struct px_edge_corr corr;
        struct px_edge_cors cors;
        struct px_edge_ip ip;
        struct px_edge_size size;
        struct px_edge_headers hdr;
        struct px_edge_cache cache;
        struct px_edge_respond respond;
        struct px_edge_acl acl;
        struct px_edge_keyauth keyauth;
        struct px_edge_jwt jwt;
    } u;
};

/* A route's policies, borrowed from the configuration that owns them (px_proxy_cfg.policies). */
struct px_edge_cfg {
    const struct px_edge **v;
    size_t n;
    /* the first n_early run before the rate limit (Kong: priority above rate-limiting's 910)
     * and fault injection (Istio: the CORS filter comes before the fault filter) */
    size_t n_early;
};

/* What a stream carries between the two phases. */
struct px_edge_state {
    size_t ran;          /* policies whose request phase ran */
    int cors_preflight;  /* a preflight: no CORS headers on its response (Kong) */
    char corr_value[80]; /* the correlation id given to the request */
    int cache_status;    /* 0 none, then PX_CACHE_* (respcache.h) */
    uint64_t cache_key;  /* the request's key (cache_status != 0) */
    size_t cache_index;  /* which policy holds the cache */
    int from_upstream;   /* the response is the upstream's own */
    int direct;          /* a redirect or direct response answered (Envoy: a route's answer) */
    /* who the authentication plugins found (auth.h): consumer and credential are
     * 1 + an index into store's arrays (0: none); anonymous: the plugin's anonymous
     * consumer stands in after a failed authentication */
    const struct px_auth_store *store;
    uint32_t consumer, credential;
    uint8_t cred_kind; /* enum px_cred_kind */
    uint8_t anonymous;
};

/* What the phases need from the proxy. */
struct px_edge_env {
    struct px_rt *rt;
    int64_t now_ns;
    const char *peer; /* the client's address (an IPv4 text), or NULL */
    struct px_respcache *cache;
    uint64_t *counter; /* the proxy's request counter (correlation-id uuid#counter) */
    char *worker_uuid; /* PX_UUID_SIZE bytes: the proxy's uuid, drawn when first needed */
    const char *route_name;
    int64_t unix_s; /* the wall-clock time, in seconds since 1970 (token expiry) */
};

/*
 * Runs the request phase of policies [from, to) of e on req (which it may
 * change). Returns NULL to go on, or a local response (the caller owns it)
 * that ends the request. st->ran counts the policies that ran.
 */
struct px_msg *px_edge_request(const struct px_edge_cfg *e, size_t from, size_t to,
                               const struct px_edge_env *env, struct px_msg *req,
                               struct px_edge_state *st);

/*
 * Runs the response phase of the policies that ran (st->ran) on resp, for
 * req (the request as the policies left it). Stores a cacheable upstream
 * response in the cache.
 */
void px_edge_response(const struct px_edge_cfg *e, const struct px_edge_env *env,
                      const struct px_msg *req, struct px_msg *resp, struct px_edge_state *st);

/* kong.response.exit(status, body) with a JSON body (copied), as the plugins answer. */
struct px_msg *px_edge_json(const struct px_edge_env *env, int status, const char *json);

/* The request phases of the authentication plugins and acl (auth_*.c), as px_edge_request's. */
struct px_msg *px_keyauth_request(const struct px_edge_keyauth *k, const struct px_edge_env *env,
                                  struct px_msg *req, struct px_edge_state *st);
struct px_msg *px_jwt_request(const struct px_edge_jwt *j, const struct px_edge_env *env,
                              struct px_msg *req, struct px_edge_state *st);
struct px_msg *px_acl_request(const struct px_edge_acl *a, const struct px_edge_env *env,
                              struct px_msg *req, struct px_edge_state *st);

/*
 * The value of the query argument `name` in q (NULL: none) copied into out
 * (truncated to size - 1, no percent-decoding); returns how many times the
 * argument occurs.
 */
size_t px_query_arg(const char *q, const char *name, char *out, size_t size);

/* Applies header edits to a message; query edits to its query string. */
void px_hdr_ops_apply(const struct px_hdr_ops *o, struct px_msg *m);
void px_query_ops_apply(const struct px_hdr_ops *o, struct px_msg *m);

/* Adds an edit (copies name and value; value may be NULL). */
void px_hdr_ops_add(struct px_hdr_ops *o, enum px_hdr_op_kind kind, const char *name,
                    const char *value);

/* Parses "a.b.c.d" or "a.b.c.d/n". Returns 0, or -1 when it is not one. */
int px_cidr_parse(const char *s, struct px_cidr *out);

/* A deep copy of s into d (free with px_edge_free). */
void px_edge_copy(struct px_edge *d, const struct px_edge *s);

/* Frees the list (not the policies it borrows). */
void px_edge_cfg_free(struct px_edge_cfg *e);
/* Frees what a policy holds (not x itself). */
void px_edge_free(struct px_edge *x);
void px_hdr_ops_free(struct px_hdr_ops *o);

/* Adds a policy at the end (borrowed: x must outlive e). */
void px_edge_cfg_push(struct px_edge_cfg *e, const struct px_edge *x);

#endif
