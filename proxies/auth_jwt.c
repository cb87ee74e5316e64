/*
 * auth_jwt.c - Kong's jwt plugin, request phase (kong/plugins/jwt/
 * handler.lua and jwt_parser.lua, Kong 3; every refusal is a 401, the
 * body {"message": ...} or the claim errors as an object):
 *
 *  1. the token: the first of uri_param_names present in the query (given
 *     twice: "Multiple tokens provided"), else the first non-empty cookie
 *     of cookie_names, else the first of header_names whose value matches
 *     `\s*[Bb]earer\s+(.+)`; none: "Unauthorized";
 *  2. decoded (proxies/jwt.c): "Bad token; invalid JSON" when a part is
 *     not base64url or not JSON, "Bad token; invalid alg" when the header's
 *     alg is missing or not one Kong verifies (`none` among them);
 *  3. the key claim (key_claim_name, "iss"), from the claims, else from the
 *     header (kid only): missing "No mandatory 'iss' in claims", empty
 *     "Invalid 'iss' in claims", no jwt_secret with that key "No
 *     credentials found for given 'iss'";
 *  4. the token's alg must be the credential's algorithm, exactly:
 *     "Invalid algorithm" (what defeats algorithm confusion: an RS256
 *     credential never verifies an HS256 token);
 *  5. the signature, with the credential's secret (HS*, base64-decoded
 *     when secret_is_base64) or public key: "Invalid signature";
 *  6. claims_to_verify, in order: exp ("must be a number", "token
 *     expired" when exp <= now), nbf ("token not valid yet" when nbf >
 *     now), against the gateway's wall clock in whole seconds;
 *  7. maximum_expiration > 0: exp absent or exp - now above it: {"exp":
 *     "exceeds maximum allowed expiration"};
 *  8. the credential's consumer is authenticated (auth.c).
 * run_on_preflight and anonymous as key-auth (auth_key.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/b64url.h"
#include "proxies/edge.h"
#include "proxies/jwt.h"

#define TOKEN_MAX (64 * 1024 + 1) /* longer ones are refused by the decoder */

static struct px_msg *unauthorized(const struct px_edge_env *env, const char *message)
{
    /* Kong's texts; the one variable part, key_claim_name, has no '"' or '\\' (kong_plugin_auth.c)
     */
    FL_ASSERT(env && message && !strpbrk(message, "\"\\"));
    char *body = fl_asprintf("{\"message\":\"%s\"}", message);
    struct px_msg *m = px_edge_json(env, 401, body);
    free(body);
    return m;
}

/* `\s*[Bb]earer\s+(.+)` (Kong's regex, unanchored at the end): the token, or NULL. */
static const char *bearer(const char *v)
{
    FL_ASSERT(v);
    while (isspace((unsigned char)*v)) v++;
    if ((v[0] != 'B' && v[0] != 'b') || strncmp(v + 1, "earer", 5)) return NULL;
    v += 6;
    if (!isspace((unsigned char)*v)) return NULL;
    while (isspace((unsigned char)*v)) v++;
    return *v ? v : NULL;
}

/* The value of cookie `name` in a Cookie header, copied into out (size > 0); 1 if found. */
static int cookie(const char *h, const char *name, char *out, size_t size)
{
    FL_ASSERT(name && *name && out && size > 0);
    size_t len = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == ';') h++;
        size_t item = strcspn(h, ";");
        if (item > len && !strncmp(h, name, len) && h[len] == '=') {
            size_t v = item - len - 1, keep = v < size ? v : size - 1;
            memcpy(out, h + len + 1, keep);
            out[keep] = '\0';
            return 1;
        }
        h += item;
    }
    return 0;
}

/*
 * Step 1: the token into buf (or pointing into the request), NULL with
 * *err set to a 401 when there is none or several.
 */
static const char *find_token(const struct px_edge_jwt *j, const struct px_edge_env *env,
                              const struct px_msg *req, char *buf, size_t size, struct px_msg **err)
{
    FL_ASSERT(j && env && req && buf && size > 0 && err && !*err);
    for (size_t i = 0; i < j->n_uri_param_names; i++) {
        size_t n = px_query_arg(req->query, j->uri_param_names[i], buf, size);
        if (n > 1) {
            *err = unauthorized(env, "Multiple tokens provided");
            return NULL;
        }
        if (n == 1) return buf; /* Kong returns args[v] even when empty */
    }
    const char *ch = px_msg_header(req, "cookie");
    for (size_t i = 0; ch && i < j->n_cookie_names; i++)
        if (cookie(ch, j->cookie_names[i], buf, size) && buf[0]) return buf;
    for (size_t i = 0; i < j->n_header_names; i++) {
        const char *h = px_msg_header(req, j->header_names[i]);
        const char *t = h ? bearer(h) : NULL;
        if (t) return t;
    }
    *err = unauthorized(env, "Unauthorized");
    return NULL;
}

/* The HS* secret as the credential holds it, decoded when secret_is_base64 (as Kong's). */
static struct px_jwt_key *hmac_key(const struct px_edge_jwt *j, const struct px_jwt_cred *c)
{
    FL_ASSERT(j && c && !c->pub && c->alg >= PX_JWT_HS256 && c->alg <= PX_JWT_HS512);
    const char *s = c->secret ? c->secret : "";
    if (!j->secret_is_base64) return px_jwt_key_secret(s, strlen(s));
    unsigned char *raw;
    size_t len;
    if (px_b64_decode_any(s, strlen(s), &raw, &len)) return NULL;
    struct px_jwt_key *k = px_jwt_key_secret(raw, len);
    free(raw);
    return k;
}

/* Steps 6 and 7: NULL, or the 401 with the claims' errors. */
static struct px_msg *check_claims(const struct px_edge_jwt *j, const struct px_edge_env *env,
                                   const struct px_jwt *t)
{
    FL_ASSERT(j && env && t && j->maximum_expiration >= 0);
    char body[256];
    size_t at = 0;
    double v;
    const char *what[2] = {NULL, NULL};
    if (j->verify_exp) {
        int rc = px_jwt_claim_number(t, "exp", &v);
        what[0] = rc ? "must be a number" : v <= (double)env->unix_s ? "token expired" : NULL;
    }
    if (j->verify_nbf) {
        int rc = px_jwt_claim_number(t, "nbf", &v);
        what[1] = rc ? "must be a number" : v > (double)env->unix_s ? "token not valid yet" : NULL;
    }
    if (what[0] || what[1]) {
        at += (size_t)snprintf(body + at, sizeof body - at, "{");
        if (what[0]) at += (size_t)snprintf(body + at, sizeof body - at, "\"exp\":\"%s\"", what[0]);
        if (what[1])
            at += (size_t)snprintf(body + at, sizeof body - at, "%s\"nbf\":\"%s\"",
                                   what[0] ? "," : "", what[1]);
        snprintf(body + at, sizeof body - at, "}");
        return px_edge_json(env, 401, body);
    }
    if (j->maximum_expiration > 0 && (px_jwt_claim_number(t, "exp", &v) ||
                                      v - (double)env->unix_s > (double)j->maximum_expiration))
        return px_edge_json(env, 401, "{\"exp\":\"exceeds maximum allowed expiration\"}");
    return NULL;
}

/* Steps 3-5 on a decoded token: the credential, or -1 with *err set. */
static long credential(const struct px_edge_jwt *j, const struct px_edge_env *env,
                       const struct px_jwt *t, struct px_msg **err)
{
    FL_ASSERT(j && j->store && t && t->alg > PX_JWT_NONE && t->alg < PX_JWT_UNKNOWN && !*err);
    char msg[200];
    const char *key = NULL;
    int rc = px_jwt_claim_string(t, j->key_claim_name, &key);
    if (rc == -1 && !strcmp(j->key_claim_name, "kid") && t->kid) {
        key = t->kid;
        rc = 0;
    }
    if (rc == -1) {
        snprintf(msg, sizeof msg, "No mandatory '%s' in claims", j->key_claim_name);
        *err = unauthorized(env, msg);
        return -1;
    }
    if (rc == 0 && !*key) {
        snprintf(msg, sizeof msg, "Invalid '%s' in claims", j->key_claim_name);
        *err = unauthorized(env, msg);
        return -1;
    }
    long cred = rc == 0 ? fl_nameidx_get(&j->store->by_jwt_key, key) : -1;
    if (cred < 0) {
        snprintf(msg, sizeof msg, "No credentials found for given '%s'", j->key_claim_name);
        *err = unauthorized(env, msg);
        return -1;
    }
    FL_ASSERT((size_t)cred < j->store->n_jwts);
    const struct px_jwt_cred *c = &j->store->jwts[cred];
    if (t->alg != c->alg) {
        *err = unauthorized(env, "Invalid algorithm");
        return -1;
    }
    struct px_jwt_key *hk = c->pub ? NULL : hmac_key(j, c);
    if (!c->pub && !hk) {
        *err = unauthorized(env, "Invalid key/secret");
        return -1;
    }
    int ok = px_jwt_verify(t, c->pub ? c->pub : hk) == 0;
    if (hk) px_jwt_key_free(hk);
    if (!ok) {
        *err = unauthorized(env, "Invalid signature");
        return -1;
    }
    return cred;
}

/* Steps 2-7: the credential, or -1 with *err set. */
static long authenticate(const struct px_edge_jwt *j, const struct px_edge_env *env,
                         const char *token, struct px_msg **err)
{
    FL_ASSERT(j && env && token && err && !*err);
    struct px_jwt t;
    char why[120];
    if (px_jwt_decode(token, strlen(token), &t, why, sizeof why)) {
        *err = unauthorized(env, strstr(why, "alg") ? "Bad token; invalid alg"
                                                    : "Bad token; invalid JSON");
        return -1;
    }
    long cred = -1;
    if (t.alg == PX_JWT_NONE || t.alg == PX_JWT_UNKNOWN)
        *err = unauthorized(env, "Bad token; invalid alg");
    else if ((cred = credential(j, env, &t, err)) >= 0 && (*err = check_claims(j, env, &t)))
        cred = -1;
    px_jwt_free(&t);
    return cred;
}

struct px_msg *px_jwt_request(const struct px_edge_jwt *j, const struct px_edge_env *env,
                              struct px_msg *req, struct px_edge_state *st)
{
    FL_ASSERT(j && j->store && j->key_claim_name && env && req && st);
    if (!j->run_on_preflight && req->method && !strcmp(req->method, "OPTIONS")) return NULL;
    if (j->anonymous >= 0 && st->credential) return NULL;
    struct px_msg *err = NULL;
    char *buf = fl_malloc(TOKEN_MAX + 1);
    const char *token = find_token(j, env, req, buf, TOKEN_MAX + 1, &err);
    long cred = token ? authenticate(j, env, token, &err) : -1;
    free(buf);
    if (cred >= 0) {
        FL_ASSERT(!err && (size_t)cred < j->store->n_jwts);
        px_auth_set_consumer(st, j->store, (long)j->store->jwts[cred].consumer, PX_CRED_JWT, cred,
                             req);
        return NULL;
    }
    FL_ASSERT(err);
    if (j->anonymous < 0) return err;
    px_msg_free(env->rt, err);
    px_auth_set_consumer(st, j->store, j->anonymous, PX_CRED_JWT, -1, req);
    return NULL;
}
