/*
 * istio_authn.c - the RequestAuthentication resource (istio/api
 * security/v1beta1 request_authentication.proto, jwt.proto;
 * istio.io/latest/docs/reference/config/security/request_authentication/):
 * reading it, and checking a request's token at the inbound sidecar as
 * Envoy's jwt_authn filter does with the configuration istiod gives it.
 *
 * Read: selector.matchLabels; jwtRules[] {issuer (required), audiences,
 * jwks (the JWK set inline, as a JSON string; read by proxies/jwt.h),
 * fromHeaders [{name, prefix}], fromParams, outputPayloadToHeader,
 * forwardOriginalToken, timeout (inert: nothing is fetched)}. Refused:
 * jwksUri and a rule with neither jwks nor jwksUri (Istio would fetch the
 * keys over the network, from the URI or the issuer's OpenID discovery;
 * faultline fetches nothing: give the set inline), fromCookies,
 * outputClaimToHeaders, targetRef(s).
 *
 * Checking (request_authentication.proto: "If a token is present it must
 * be valid ... requests with invalid tokens will be rejected ... requests
 * without tokens are accepted ... only an AuthorizationPolicy can require
 * one"):
 *  1. the token: the rules in order, each rule's locations in order -
 *     fromHeaders (the header's value must start with the prefix; the rest
 *     is the token), then fromParams; a rule with neither uses jwt.proto's
 *     defaults, "Authorization: Bearer <token>" then the `access_token`
 *     query parameter. None: the request goes on with no request
 *     principal;
 *  2. decoded (proxies/jwt.c): not three parts is "Jwt is not in the form
 *     of Header.Payload.Signature with two dots and 3 sections"; any other
 *     malformed token (base64, JSON, alg none...) "Jwt verification fails"
 *     (Envoy names the part that is malformed; here they are one);
 *  3. Envoy's order (jwt_authn authenticator.cc): the issuer ("Jwt issuer
 *     is not configured" when no rule has the token's iss), the audiences
 *     when the rule lists some ("Audiences in Jwt are not allowed"), the
 *     time with Envoy's default clock skew of 60 s (JwtProvider
 *     clock_skew_seconds: "Jwt not yet valid" when now + 60 < nbf, "Jwt is
 *     expired" when now > exp + 60), the key (a JWK whose kid and alg fit
 *     the token's, when they have them: "Jwks doesn't have key to match kid
 *     or alg from Jwt"), the signature ("Jwt verification fails");
 *  4. each refusal is 401 with that text as the body (Envoy sends its
 *     status message) and `www-authenticate: Bearer realm="http://HOST
 *     PATH", error="invalid_token"`;
 *  5. valid: the request principal is iss "/" sub; outputPayloadToHeader
 *     gets the payload, base64url; unless forwardOriginalToken, a token
 *     found in a header is removed from the request (Envoy `forward:
 *     false`).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"
#include "proxies/istio_sec.h"

#define CLOCK_SKEW_S 60 /* Envoy JwtProvider clock_skew_seconds' default */

/* Envoy jwt_verify_lib's status texts (status.cc), as jwt_authn answers them. */
static const char BAD_FORMAT[] =
    "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
static const char VERIFY_FAILS[] = "Jwt verification fails";
static const char UNKNOWN_ISSUER[] = "Jwt issuer is not configured";
static const char BAD_AUDIENCE[] = "Audiences in Jwt are not allowed";
static const char NOT_YET[] = "Jwt not yet valid";
static const char EXPIRED[] = "Jwt is expired";
static const char NO_KEY[] = "Jwks doesn't have key to match kid or alg from Jwt";

void px_jwt_rule_free(struct px_jwt_rule *r)
{
    free(r->issuer);
    for (size_t i = 0; i < r->n_audiences; i++) free(r->audiences[i]);
    free(r->audiences);
    px_jwks_free(&r->jwks);
    for (size_t i = 0; i < r->n_from_headers; i++) {
        free(r->from_headers[i].name);
        free(r->from_headers[i].prefix);
    }
    free(r->from_headers);
    for (size_t i = 0; i < r->n_from_params; i++) free(r->from_params[i]);
    free(r->from_params);
    free(r->output_payload_to_header);
    memset(r, 0, sizeof *r);
}

void px_istio_reqauthn_free(struct px_istio_reqauthn *a)
{
    free(a->name);
    free(a->ns);
    free(a->at);
    px_istio_labels_free(a->selector, a->n_selector);
    for (size_t i = 0; i < a->n_rules; i++) px_jwt_rule_free(&a->rules[i]);
    free(a->rules);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- reading */

/* A list of strings, copied. */
static int str_list(struct ip *c, const yaml_node_t *n, const char *what, char ***out, size_t *cnt)
{
    size_t k;
    if (px_istio_str_items(c, n, what, &k)) return -1;
    *out = fl_calloc(k + 1, sizeof **out);
    for (size_t i = 0; i < k; i++) (*out)[i] = fl_strdup(fl_y_str(px_istio_item(c, n, i)));
    *cnt = k;
    return 0;
}

static int from_headers(struct ip *c, const yaml_node_t *n, struct px_jwt_rule *r)
{
    static const char *const keys[] = {"name", "prefix", NULL};
    static const char *const req[] = {"name", NULL};
    if (fl_y_want_seq(c->d, n, "fromHeaders")) return -1;
    r->from_headers = fl_calloc(SEQ_COUNT(n) + 1, sizeof *r->from_headers);
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *h = px_istio_item(c, n, i), *x;
        const char *name, *prefix = "";
        if (fl_y_want_map(c->d, h, "a fromHeaders item") ||
            fl_y_check_keys(c->d, h, keys, req, "fromHeaders item") ||
            fl_y_string(c->d, fl_y_get(c->d, h, "name"), "fromHeaders name", &name) ||
            ((x = fl_y_get(c->d, h, "prefix")) &&
             fl_y_string(c->d, x, "fromHeaders prefix", &prefix)))
            return -1;
        r->from_headers[r->n_from_headers++] =
            (struct px_jwt_from_header){fl_strdup(name), fl_strdup(prefix)};
    }
    return 0;
}

static int rule_jwks(struct ip *c, const yaml_node_t *n, struct px_jwt_rule *r)
{
    yaml_node_t *uri = fl_y_get(c->d, n, "jwksUri"), *x = fl_y_get(c->d, n, "jwks");
    const char *text;
    char err[256];
    if (uri)
        return fl_y_error(c->d, fl_y_get_key(c->d, n, "jwksUri"),
                          "%s: jwksUri is not supported: faultline fetches nothing from the "
                          "network; give the key set inline with `jwks` (faultline token --jwks "
                          "makes one)",
                          c->what);
    if (!x)
        return fl_y_error(c->d, n,
                          "%s: a jwtRule needs `jwks` (the JWK set inline): without it Istio "
                          "fetches the keys from the issuer, and faultline fetches nothing",
                          c->what);
    if (fl_y_string(c->d, x, "jwks", &text)) return -1;
    if (px_jwks_parse(text, strlen(text), &r->jwks, err, sizeof err))
        return fl_y_error(c->d, x, "%s: jwks: %s", c->what, err);
    return 0;
}

static int parse_rule(struct ip *c, const yaml_node_t *n, struct px_jwt_rule *r)
{
    /* clang-format off */
    static const char *const keys[] = {
        "issuer", "audiences", "jwksUri", "jwks", "fromHeaders", "fromParams", "fromCookies",
        "outputPayloadToHeader", "forwardOriginalToken", "outputClaimToHeaders", "timeout", NULL};
    /* clang-format on */
    static const char *const req[] = {"issuer", NULL};
    const char *s;
    yaml_node_t *x;
    int64_t ns;
    if (fl_y_want_map(c->d, n, "a jwtRule") || fl_y_check_keys(c->d, n, keys, req, "jwtRule") ||
        px_istio_refuse(c, n, "fromCookies", "fromCookies") ||
        px_istio_refuse(c, n, "outputClaimToHeaders", "outputClaimToHeaders") ||
        fl_y_string(c->d, fl_y_get(c->d, n, "issuer"), "issuer", &s))
        return -1;
    r->issuer = fl_strdup(s);
    if (rule_jwks(c, n, r)) return -1;
    if ((x = fl_y_get(c->d, n, "audiences")) &&
        str_list(c, x, "audiences", &r->audiences, &r->n_audiences))
        return -1;
    if ((x = fl_y_get(c->d, n, "fromHeaders")) && from_headers(c, x, r)) return -1;
    if ((x = fl_y_get(c->d, n, "fromParams")) &&
        str_list(c, x, "fromParams", &r->from_params, &r->n_from_params))
        return -1;
    if ((x = fl_y_get(c->d, n, "outputPayloadToHeader"))) {
        if (fl_y_string(c->d, x, "outputPayloadToHeader", &s)) return -1;
        r->output_payload_to_header = fl_strdup(s);
    }
    if ((x = fl_y_get(c->d, n, "forwardOriginalToken")) &&
        fl_y_bool(c->d, x, "forwardOriginalToken", &r->forward_original_token))
        return -1;
    if ((x = fl_y_get(c->d, n, "timeout")) && px_istio_go_duration(c, x, "timeout", 0, &ns))
        return -1;
    FL_ASSERT(r->issuer && r->jwks.n > 0);
    return 0;
}

static int reqauthn_body(struct ip *c, const yaml_node_t *spec, struct px_istio_reqauthn *a)
{
    yaml_node_t *x;
    if ((x = fl_y_get(c->d, spec, "selector")) &&
        px_istio_parse_match_labels(c, x, &a->selector, &a->n_selector))
        return -1;
    if (!(x = fl_y_get(c->d, spec, "jwtRules"))) return 0;
    if (fl_y_want_seq(c->d, x, "jwtRules")) return -1;
    a->rules = fl_calloc(SEQ_COUNT(x) + 1, sizeof *a->rules);
    for (size_t i = 0; i < SEQ_COUNT(x); i++) {
        a->n_rules++; /* freed with the rest, read whole or not */
        if (parse_rule(c, px_istio_item(c, x, i), &a->rules[i])) return -1;
    }
    return 0;
}

int px_istio_parse_reqauthn(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"selector", "jwtRules", "targetRef", "targetRefs", NULL};
    if (fl_y_check_keys(c->d, spec, keys, NULL, c->what) ||
        px_istio_refuse(c, spec, "targetRef", "targetRef (Gateway API attachment)") ||
        px_istio_refuse(c, spec, "targetRefs", "targetRefs (Gateway API attachment)"))
        return -1;
    struct px_istio_reqauthn a = {0};
    a.name = fl_strdup(c->name);
    a.ns = fl_strdup(c->ns);
    a.at = px_istio_at(c, c->node);
    if (reqauthn_body(c, spec, &a)) {
        px_istio_reqauthn_free(&a);
        return -1;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_reqauthns; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->reqauthns[i].name, a.name) && !strcmp(m->reqauthns[i].ns, a.ns)) {
            px_istio_note_replaced(c, m->reqauthns[i].at, a.at);
            px_istio_reqauthn_free(&m->reqauthns[i]);
            m->reqauthns[i] = a;
            return 0;
        }
    m->reqauthns = fl_realloc(m->reqauthns, (m->n_reqauthns + 1) * sizeof *m->reqauthns);
    m->reqauthns[m->n_reqauthns++] = a;
    return 0;
}

/* ---------------------------------------------------------------- checking */

/* Where a token was found. */
struct found {
    char *token;        /* allocated */
    const char *header; /* the header it came from (NULL: a query parameter) */
};

/* The first token of rule r's locations (jwt.proto's defaults without any). */
static int find_in_rule(const struct px_jwt_rule *r, const struct px_msg *req, struct found *f)
{
    static const struct px_jwt_from_header dflt = {"authorization", "Bearer "};
    static char *const dflt_param[] = {"access_token"};
    int none = !r->n_from_headers && !r->n_from_params;
    size_t nh = none ? 1 : r->n_from_headers, np = none ? 1 : r->n_from_params;
    for (size_t i = 0; i < nh; i++) {
        const struct px_jwt_from_header *h = none ? &dflt : &r->from_headers[i];
        const char *v = px_msg_header(req, h->name);
        size_t lp = strlen(h->prefix);
        if (!v || strncmp(v, h->prefix, lp) || !v[lp]) continue;
        f->token = fl_strdup(v + lp);
        f->header = h->name;
        return 1;
    }
    for (size_t i = 0; i < np && req->query; i++) {
        const char *name = none ? dflt_param[0] : r->from_params[i];
        char *buf = fl_malloc(PX_JWT_MAX_TOKEN + 2);
        if (px_query_arg(req->query, name, buf, PX_JWT_MAX_TOKEN + 2) && *buf) {
            f->token = buf;
            f->header = NULL;
            return 1;
        }
        free(buf);
    }
    return 0;
}

/* A JWK of the rule that fits the token's kid and alg verifies it: 0, or the refusal. */
static const char *verify_keys(const struct px_jwt_rule *r, const struct px_jwt *t)
{
    int candidates = 0;
    for (size_t i = 0; i < r->jwks.n; i++) {
        const struct px_jwks_entry *e = &r->jwks.keys[i];
        if (t->kid && e->kid && strcmp(t->kid, e->kid)) continue;
        if (e->alg >= 0 && e->alg != t->alg) continue;
        if (!px_jwt_key_fits(e->key, (enum px_jwt_alg)t->alg)) continue;
        candidates++;
        if (!px_jwt_verify(t, e->key)) return NULL;
    }
    return candidates ? VERIFY_FAILS : NO_KEY;
}

/* Envoy's checks, in its order, of a decoded token: NULL valid, else the refusal. */
static const char *check_token(const struct px_jwt_rule *const *rules, size_t n, int64_t now,
                               const struct px_jwt *t, const struct px_jwt_rule **rule)
{
    const char *iss;
    double v;
    int rc;
    if (t->alg == PX_JWT_NONE || t->alg == PX_JWT_UNKNOWN) return VERIFY_FAILS;
    if (px_jwt_claim_string(t, "iss", &iss)) return UNKNOWN_ISSUER;
    size_t k = 0;
    while (k < n && strcmp(rules[k]->issuer, iss)) k++;
    if (k == n) return UNKNOWN_ISSUER;
    const struct px_jwt_rule *r = *rule = rules[k];
    if (r->n_audiences) {
        size_t a = 0;
        while (a < r->n_audiences && !px_jwt_claim_has(t, "aud", r->audiences[a])) a++;
        if (a == r->n_audiences) return BAD_AUDIENCE;
    }
    if ((rc = px_jwt_claim_number(t, "nbf", &v)) == -2) return VERIFY_FAILS; /* not a number */
    if (!rc && (double)(now + CLOCK_SKEW_S) < v) return NOT_YET;
    if ((rc = px_jwt_claim_number(t, "exp", &v)) == -2) return VERIFY_FAILS;
    if (!rc && (double)now > v + CLOCK_SKEW_S) return EXPIRED;
    return verify_keys(r, t);
}

/* What a valid token leaves on the request: the payload header, the token removed. */
static void pass_on(const struct px_jwt_rule *r, const struct found *f, struct px_msg *req)
{
    if (r->output_payload_to_header) {
        /* the payload part of the compact token is its base64url form */
        const char *dot = strchr(f->token, '.');
        const char *end = dot ? strchr(dot + 1, '.') : NULL;
        FL_ASSERT(dot && end); /* it decoded */
        char *payload = fl_strndup(dot + 1, (size_t)(end - dot - 1));
        px_msg_set_header(req, r->output_payload_to_header, payload);
        free(payload);
    }
    if (!r->forward_original_token && f->header) px_msg_remove_header(req, f->header);
}

int px_authn_check(const struct px_jwt_rule *const *rules, size_t n, int64_t unix_s,
                   struct px_msg *req, struct px_jwt *t, struct px_sec_auth *auth, const char **why)
{
    FL_ASSERT(req && t && auth && why && (rules || !n));
    memset(auth, 0, sizeof *auth);
    memset(t, 0, sizeof *t);
    struct found f = {0};
    for (size_t i = 0; i < n && !f.token; i++) find_in_rule(rules[i], req, &f);
    if (!f.token) return 0; /* no token: no request principal; a policy may demand one */
    char err[128];
    const struct px_jwt_rule *r = NULL;
    if (px_jwt_decode(f.token, strlen(f.token), t, err, sizeof err))
        *why = !strcmp(err, "not 3 parts") ? BAD_FORMAT : VERIFY_FAILS;
    else
        *why = check_token(rules, n, unix_s, t, &r);
    if (!*why) pass_on(r, &f, req);
    t->token = NULL; /* borrowed from f.token, freed below; the claims stay */
    if (*why) {
        free(f.token);
        return 401;
    }
    FL_ASSERT(r);
    const char *iss = NULL, *sub = NULL;
    px_jwt_claim_string(t, "iss", &iss);
    if (px_jwt_claim_string(t, "sub", &sub)) sub = "";
    auth->req_principal = fl_asprintf("%s/%s", iss, sub);
    auth->jwt = t;
    free(f.token);
    return 0;
}
