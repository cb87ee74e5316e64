/*
 * load_token.c - a workload request's `jwt:`: a JSON Web Token minted
 * once when loading (proxies/jwt.c px_jwt_sign, the code that verifies
 * them), carried by every request of that kind:
 *
 *   jwt:
 *     alg: HS256              # default; HS256/384/512, RS*, ES*, or none
 *     secret: alice-secret    # HS*: the shared secret (or secret_base64)
 *     private_key: keys/a.pem # RS*, ES*: a PEM file (relative to the scenario) or PEM text
 *     kid: k1
 *     claims: {iss: alice-key, sub: alice, aud: [orders]}
 *     expires_in: 10m         # exp = start_time + 10m (a leading '-': already expired)
 *     not_before: -1m         # nbf, the same way
 *     issued_at: 0s           # iat
 *     in: header              # header (default: Authorization: Bearer), query or cookie
 *     name: jwt               # the query argument or cookie (header: its name)
 *     tamper: bad-signature   # a crafted token, see below
 *
 * Times are relative to the scenario's start_time, so that a token can
 * expire during the run. tamper makes the attacks a gateway must refuse:
 * alg-none (header alg "none", no signature), bad-signature (one
 * signature character changed), payload-edit (a claim changed after
 * signing), garbage (a part that is not base64url), oversize (a padding
 * claim that makes the token 64 KiB and more). The algorithm confusion
 * attack is alg HS256 with the RSA public key's PEM text as secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/text.h"
#include "base/units.h"
#include "proxies/jwt.h"
#include "sim/load_internal.h"

#define TOKEN_OVERSIZE (64 * 1024 + 512)

/* A duration with an optional leading '-', in whole seconds. */
static int rel_seconds(struct fl_ydoc *d, const yaml_node_t *x, const char *what, int64_t *out)
{
    const char *v;
    int64_t ns;
    if (fl_y_string(d, x, what, &v)) return -1;
    int neg = v[0] == '-';
    if (fl_parse_duration(v + neg, &ns) || ns > INT64_C(100) * 365 * 86400 * 1000000000)
        return fl_y_error(d, x, "%s: '%s' is not a duration (e.g. 10m, -30s)", what, v);
    *out = (neg ? -ns : ns) / 1000000000;
    return 0;
}

/* A YAML scalar as JSON: plain numbers, true, false and null as such, anything else a string. */
static json_t *scalar_json(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        json_error_t e;
        json_t *j = json_loads(v, JSON_DECODE_ANY, &e);
        if (j && (json_is_number(j) || json_is_boolean(j) || json_is_null(j))) return j;
        json_decref(j);
    }
    return json_string(v);
}

static json_t *value_json(struct fl_ydoc *d, const yaml_node_t *n)
{
    if (n->type == YAML_SCALAR_NODE) return scalar_json(n);
    if (n->type != YAML_SEQUENCE_NODE) {
        fl_y_error(d, n, "a claim is a scalar or a list of scalars");
        return NULL;
    }
    json_t *a = json_array();
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = fl_y_node(d, *i);
        if (fl_y_want_scalar(d, e, "a claim's list item")) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, scalar_json(e));
    }
    return a;
}

/* The payload: claims, then exp / nbf / iat from start_time. Caller frees. */
static char *payload(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                     int oversize)
{
    json_t *o = json_object();
    yaml_node_t *c = fl_y_get(d, n, "claims");
    int rc = c ? fl_y_want_map(d, c, "claims") : 0;
    for (yaml_node_pair_t *p = c && !rc ? c->data.mapping.pairs.start : NULL;
         p && p < c->data.mapping.pairs.top && !rc; p++) {
        const char *k;
        json_t *v = NULL;
        rc = fl_y_string(d, fl_y_node(d, p->key), "claim name", &k) ||
             !(v = value_json(d, fl_y_node(d, p->value)));
        if (!rc) json_object_set_new(o, k, v);
    }
    static const char *const rel[][2] = {
        {"expires_in", "exp"}, {"not_before", "nbf"}, {"issued_at", "iat"}};
    for (size_t i = 0; i < 3 && !rc; i++) {
        yaml_node_t *x = fl_y_get(d, n, rel[i][0]);
        int64_t sec = 0;
        if (!x) continue;
        rc = rel_seconds(d, x, rel[i][0], &sec);
        if (!rc)
            json_object_set_new(o, rel[i][1], json_integer(s->start_unix_ns / 1000000000 + sec));
    }
    if (!rc && oversize) {
        char *pad = fl_malloc(TOKEN_OVERSIZE);
        memset(pad, 'x', TOKEN_OVERSIZE - 1);
        pad[TOKEN_OVERSIZE - 1] = '\0';
        json_object_set_new(o, "pad", json_string(pad));
        free(pad);
    }
    char *out = rc ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return out;
}

/* The signing key: secret, secret_base64 or private_key (a file or PEM text). */
static struct px_jwt_key *signing_key(struct fl_ydoc *d, const yaml_node_t *n, int alg)
{
    yaml_node_t *x;
    const char *v;
    char why[160];
    if (alg == PX_JWT_NONE) return px_jwt_key_secret("", 0);
    if (alg <= PX_JWT_HS512) {
        if ((x = fl_y_get(d, n, "secret"))) {
            if (fl_y_string(d, x, "secret", &v)) return NULL;
            return px_jwt_key_secret(v, strlen(v));
        }
        fl_y_error(d, n, "jwt: %s needs a 'secret'", px_jwt_alg_name((enum px_jwt_alg)alg));
        return NULL;
    }
    if (!(x = fl_y_get(d, n, "private_key"))) {
        fl_y_error(d, n, "jwt: %s needs a 'private_key'", px_jwt_alg_name((enum px_jwt_alg)alg));
        return NULL;
    }
    if (fl_y_string(d, x, "private_key", &v)) return NULL;
    char *pem = NULL;
    if (strncmp(v, "-----BEGIN", 10)) {
        const char *slash = d->file ? strrchr(d->file, '/') : NULL;
        char *path = v[0] == '/' || !slash
                         ? fl_strdup(v)
                         : fl_asprintf("%.*s/%s", (int)(slash - d->file), d->file, v);
        size_t len = 0;
        pem = fl_read_file(path, 1 << 20, &len);
        free(path);
        if (!pem) {
            fl_y_error(d, x, "private_key: cannot read '%s'", v);
            return NULL;
        }
    }
    struct px_jwt_key *k = px_jwt_key_pem(pem ? pem : v, why, sizeof why);
    free(pem);
    if (!k)
        fl_y_error(d, x, "private_key: %s", why);
    else if (!px_jwt_key_fits(k, (enum px_jwt_alg)alg)) {
        px_jwt_key_free(k);
        k = NULL;
        fl_y_error(d, x, "private_key: not a key for %s", px_jwt_alg_name((enum px_jwt_alg)alg));
    }
    return k;
}

static const char *const tampers[] = {
    "none", "alg-none", "bad-signature", "payload-edit", "garbage", "oversize", NULL};

/* Applies a tamper (index into tampers) to a minted token; returns the token to send. */
static char *tamper(char *tok, int how)
{
    FL_ASSERT(tok && how >= 0 && how <= 5);
    char *dot1 = strchr(tok, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    FL_ASSERT(dot1 && dot2);
    if (how == 2 && dot2[1]) { /* a character in the middle of the signature */
        char *c = dot2 + 1 + strlen(dot2 + 1) / 2;
        *c = *c == 'A' ? 'B' : 'A';
    } else if (how == 3) { /* {"tampered":true} in place of the payload, signature kept */
        char *t = fl_asprintf("%.*s.eyJ0YW1wZXJlZCI6dHJ1ZX0%s", (int)(dot1 - tok), tok, dot2);
        free(tok);
        tok = t;
    } else if (how == 4) { /* '!' is no base64url character */
        dot1[1] = '!';
    }
    return tok;
}

int sim_load_token(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                   struct sim_request_cfg *r)
{
    static const char *const keys[] = {"alg",    "secret",     "private_key", "kid",
                                       "claims", "expires_in", "not_before",  "issued_at",
                                       "in",     "name",       "tamper",      NULL};
    static const char *const places[] = {"header", "query", "cookie", NULL};
    yaml_node_t *x;
    const char *alg_text = "HS256", *kid = NULL, *name = NULL;
    int how = 0, where = 0;
    if (fl_y_want_map(d, n, "jwt") || fl_y_check_keys(d, n, keys, NULL, "jwt")) return -1;
    if ((x = fl_y_get(d, n, "alg")) && fl_y_string(d, x, "alg", &alg_text)) return -1;
    int alg = px_jwt_alg_parse(alg_text);
    if (alg < 0 || alg == PX_JWT_UNKNOWN)
        return fl_y_error(d, x,
                          "jwt: unknown alg '%s' (HS256/384/512, RS256/384/512, "
                          "ES256/384/512 or none)",
                          alg_text);
    if (((x = fl_y_get(d, n, "tamper")) && fl_y_enum(d, x, "tamper", tampers, &how)) ||
        ((x = fl_y_get(d, n, "in")) && fl_y_enum(d, x, "in", places, &where)) ||
        ((x = fl_y_get(d, n, "kid")) && fl_y_string(d, x, "kid", &kid)) ||
        ((x = fl_y_get(d, n, "name")) && fl_y_string(d, x, "name", &name)))
        return -1;
    if (how == 1) alg = PX_JWT_NONE;
    struct px_jwt_key *k = signing_key(d, n, alg);
    if (!k) return -1;
    char *body = payload(d, n, s, how == 5), why[160];
    char *tok = body ? px_jwt_sign((enum px_jwt_alg)alg, kid, body, k, why, sizeof why) : NULL;
    free(body);
    px_jwt_key_free(k);
    if (!tok) return body ? fl_y_error(d, n, "jwt: cannot sign: %s", why) : -1;
    tok = tamper(tok, how);
    char *hname = NULL, *value = NULL;
    if (where == 0) {
        hname = fl_strdup(name ? name : "Authorization");
        value = fl_asprintf("Bearer %s", tok);
    } else if (where == 2) {
        hname = fl_strdup("Cookie");
        value = fl_asprintf("%s=%s", name ? name : "jwt", tok);
    } else {
        char *q = fl_asprintf("%s%s%s=%s", r->query ? r->query : "", r->query ? "&" : "",
                              name ? name : "jwt", tok);
        free(r->query);
        r->query = q;
    }
    free(tok);
    if (hname) {
        r->headers = fl_realloc(r->headers, (r->n_headers + 1) * sizeof *r->headers);
        r->headers[r->n_headers].name = hname;
        r->headers[r->n_headers].value = value;
        r->n_headers++;
    }
    return 0;
}
