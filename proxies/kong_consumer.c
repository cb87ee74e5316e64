/*
 * kong_consumer.c - reads Kong's consumers (kong/db/schema/entities/
 * consumers.lua) and the credentials the modelled plugins use, nested
 * under a consumer or at the top level naming one (`consumer:` by id or
 * username): keyauth_credentials (kong/plugins/key-auth/daos.lua),
 * jwt_secrets (kong/plugins/jwt/daos.lua) and acls (kong/plugins/acl/
 * daos.lua), into the consumer store (auth.h).
 *
 * As Kong: a consumer needs a username or a custom_id, both unique; a
 * key-auth key and a jwt key are unique; a jwt credential's algorithm is
 * HS256 by default, one of HS256/384/512, RS256/384/512, ES256/384/512,
 * and the RS and ES ones need an rsa_public_key that OpenSSL reads
 * (Kong's validate_ssl_key: "invalid key"), of the algorithm's kind.
 * Unlike Kong, which generates random keys and secrets when they are
 * left out, faultline needs them written (a test cannot send a key
 * nobody knows). An entity without an id gets its username (consumers)
 * or key (credentials) as id, so that results are the same every run.
 *
 * Refused by name, as not supported yet: basic-auth, hmac-auth and
 * oauth2 credentials, consumer groups, plugins scoped to a consumer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/jwt.h"
#include "proxies/kong_internal.h"

static const char *const unsupported_creds[] = {"basicauth_credentials", "hmacauth_credentials",
                                                "oauth2_credentials", NULL};

/* An optional string under key, copied (NULL when absent or null). */
static int opt_string(struct kp *c, const yaml_node_t *m, const char *key, const char *what,
                      char **out)
{
    FL_ASSERT(c && m && key && what && out);
    yaml_node_t *x = fl_y_get(c->d, m, key);
    const char *s;
    *out = NULL;
    if (!x || px_kong_is_null(x)) return 0;
    if (fl_y_string(c->d, x, what, &s)) return -1;
    *out = fl_strdup(s);
    return 0;
}

/* The consumer a top-level credential names (`consumer:` id, username or {id|username: ...}). */
static int consumer_ref(struct kp *c, const yaml_node_t *n, size_t *out)
{
    FL_ASSERT(c && c->k->auth && n && out);
    yaml_node_t *x = fl_y_get(c->d, n, "consumer");
    const char *s;
    if (x && x->type == YAML_MAPPING_NODE) {
        static const char *const keys[] = {"id", "username", NULL};
        if (fl_y_check_keys(c->d, x, keys, NULL, "consumer reference")) return -1;
        yaml_node_t *y = fl_y_get(c->d, x, "id");
        x = y ? y : fl_y_get(c->d, x, "username");
        if (!x) return fl_y_error(c->d, n, "consumer reference needs an 'id' or 'username'");
    }
    if (fl_y_string(c->d, x, "consumer", &s)) return -1;
    long i = -1;
    for (size_t k = 0; k < c->k->auth->n_consumers && i < 0; k++) {
        const struct px_consumer *p = &c->k->auth->consumers[k];
        if (!strcmp(p->id, s) || (p->username && !strcmp(p->username, s))) i = (long)k;
    }
    if (i < 0)
        return fl_y_error(c->d, x, "no consumer '%s' (consumers are named by id or username)", s);
    *out = (size_t)i;
    return 0;
}

/* ---------------------------------------------------------------- credentials */

static int key_cred(struct kp *c, const yaml_node_t *n, size_t consumer, int top)
{
    static const char *const nested[] = {"id", "key", "tags", "ttl", "created_at", NULL};
    static const char *const at_top[] = {"id",         "key",      "tags", "ttl",
                                         "created_at", "consumer", NULL};
    static const char *const req[] = {"key", NULL};
    struct px_auth_store *s = c->k->auth;
    if (fl_y_want_map(c->d, n, "a key-auth credential") ||
        fl_y_check_keys(c->d, n, top ? at_top : nested, req, "keyauth_credential") ||
        (top && consumer_ref(c, n, &consumer)))
        return -1;
    struct px_key_cred k = {.consumer = consumer};
    if (opt_string(c, n, "key", "key", &k.key) || opt_string(c, n, "id", "id", &k.id)) {
        free(k.key);
        return -1;
    }
    for (size_t i = 0; i < s->n_keys; i++)
        if (!strcmp(s->keys[i].key, k.key)) {
            free(k.key);
            free(k.id);
            return fl_y_error(c->d, fl_y_get(c->d, n, "key"),
                              "UNIQUE violation detected on '{key=\"%s\"}'", s->keys[i].key);
        }
    if (!k.id) k.id = fl_strdup(k.key);
    s->keys = fl_realloc(s->keys, (s->n_keys + 1) * sizeof *s->keys);
    s->keys[s->n_keys++] = k;
    FL_ASSERT(k.consumer < s->n_consumers);
    return 0;
}

static const char *const jwt_algs[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
                                       "RS512", "ES256", "ES384", "ES512", NULL};

/* The jwt credential's algorithm and key; j->key etc. already read. */
static int jwt_cred_key(struct kp *c, const yaml_node_t *n, struct px_jwt_cred *j)
{
    FL_ASSERT(c && n && j && j->key && !j->pub);
    yaml_node_t *x = fl_y_get(c->d, n, "algorithm");
    int a = 0;
    if (x && fl_y_enum(c->d, x, "algorithm", jwt_algs, &a)) return -1;
    j->alg = px_jwt_alg_parse(jwt_algs[a]);
    FL_ASSERT(j->alg > PX_JWT_NONE && j->alg < PX_JWT_UNKNOWN);
    if (jwt_algs[a][0] == 'H') {
        if (!j->secret)
            return fl_y_error(c->d, n,
                              "jwt credential '%s' needs a 'secret' for %s (Kong would make a "
                              "random one nobody knows)",
                              j->key, jwt_algs[a]);
        return 0;
    }
    if (!j->rsa_public_key)
        return fl_y_error(c->d, n, "jwt credential '%s': %s needs an 'rsa_public_key'", j->key,
                          jwt_algs[a]);
    char why[160];
    j->pub = px_jwt_key_pem(j->rsa_public_key, why, sizeof why);
    x = fl_y_get(c->d, n, "rsa_public_key");
    if (!j->pub) return fl_y_error(c->d, x, "rsa_public_key: invalid key (%s)", why);
    if (!px_jwt_key_fits(j->pub, (enum px_jwt_alg)j->alg))
        return fl_y_error(c->d, x, "rsa_public_key: not a key for %s", jwt_algs[a]);
    return 0;
}

static void jwt_cred_free(struct px_jwt_cred *j)
{
    free(j->key);
    free(j->id);
    free(j->secret);
    free(j->rsa_public_key);
    if (j->pub) px_jwt_key_free(j->pub);
}

static int jwt_cred(struct kp *c, const yaml_node_t *n, size_t consumer, int top)
{
    static const char *const nested[] = {
        "id", "key", "secret", "algorithm", "rsa_public_key", "tags", "created_at", NULL};
    static const char *const at_top[] = {
        "id",   "key",        "secret",   "algorithm", "rsa_public_key",
        "tags", "created_at", "consumer", NULL};
    static const char *const req[] = {"key", NULL};
    struct px_auth_store *s = c->k->auth;
    if (fl_y_want_map(c->d, n, "a jwt credential") ||
        fl_y_check_keys(c->d, n, top ? at_top : nested, req, "jwt_secret") ||
        (top && consumer_ref(c, n, &consumer)))
        return -1;
    struct px_jwt_cred j = {.consumer = consumer};
    int rc = opt_string(c, n, "key", "key", &j.key) || opt_string(c, n, "id", "id", &j.id) ||
             opt_string(c, n, "secret", "secret", &j.secret) ||
             opt_string(c, n, "rsa_public_key", "rsa_public_key", &j.rsa_public_key);
    for (size_t i = 0; !rc && i < s->n_jwts; i++)
        if (!strcmp(s->jwts[i].key, j.key))
            rc = fl_y_error(c->d, fl_y_get(c->d, n, "key"),
                            "UNIQUE violation detected on '{key=\"%s\"}'", j.key);
    if (rc || jwt_cred_key(c, n, &j)) {
        jwt_cred_free(&j);
        return -1;
    }
    if (!j.id) j.id = fl_strdup(j.key);
    s->jwts = fl_realloc(s->jwts, (s->n_jwts + 1) * sizeof *s->jwts);
    s->jwts[s->n_jwts++] = j;
    return 0;
}

static int acl_entry(struct kp *c, const yaml_node_t *n, size_t consumer, int top)
{
    FL_ASSERT(c && n && (top || consumer < c->k->auth->n_consumers));
    static const char *const nested[] = {"id", "group", "tags", "created_at", NULL};
    static const char *const at_top[] = {"id", "group", "tags", "created_at", "consumer", NULL};
    static const char *const req[] = {"group", NULL};
    const char *g;
    if (fl_y_want_map(c->d, n, "an acl") ||
        fl_y_check_keys(c->d, n, top ? at_top : nested, req, "acl") ||
        (top && consumer_ref(c, n, &consumer)) ||
        fl_y_string(c->d, fl_y_get(c->d, n, "group"), "group", &g))
        return -1;
    struct px_consumer *p = &c->k->auth->consumers[consumer];
    for (size_t i = 0; i < p->n_groups; i++)
        if (!strcmp(p->groups[i], g)) return 0; /* Kong: unique (consumer, group); kept once */
    p->groups = fl_realloc(p->groups, (p->n_groups + 2) * sizeof *p->groups);
    p->groups[p->n_groups++] = fl_strdup(g);
    p->groups[p->n_groups] = NULL;
    return 0;
}

typedef int (*cred_reader)(struct kp *, const yaml_node_t *, size_t, int);

/* Each item of the list under key of m, read for consumer (top: each names its own). */
static int each_cred(struct kp *c, const yaml_node_t *m, const char *key, size_t consumer, int top,
                     cred_reader fn)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x || px_kong_is_null(x)) return 0;
    if (fl_y_want_seq(c->d, x, key)) return -1;
    for (size_t i = 0; i < SEQ_COUNT(x); i++)
        if (fn(c, px_kong_item(c, x, i), consumer, top)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- consumers */

static int unique_consumer(struct kp *c, const yaml_node_t *n, const struct px_consumer *p)
{
    FL_ASSERT(c && n && p && p->id);
    const struct px_auth_store *s = c->k->auth;
    for (size_t i = 0; i < s->n_consumers; i++) {
        const struct px_consumer *o = &s->consumers[i];
        if (p->username && o->username && !strcmp(p->username, o->username))
            return fl_y_error(c->d, fl_y_get(c->d, n, "username"),
                              "UNIQUE violation detected on '{username=\"%s\"}'", p->username);
        if (p->custom_id && o->custom_id && !strcmp(p->custom_id, o->custom_id))
            return fl_y_error(c->d, fl_y_get(c->d, n, "custom_id"),
                              "UNIQUE violation detected on '{custom_id=\"%s\"}'", p->custom_id);
        if (!strcmp(p->id, o->id))
            return fl_y_error(c->d, n, "a second consumer with id '%s'", p->id);
    }
    return 0;
}

static int consumer(struct kp *c, const yaml_node_t *n)
{
    static const char *const keys[] = {"id",
                                       "username",
                                       "custom_id",
                                       "tags",
                                       "created_at",
                                       "updated_at",
                                       "keyauth_credentials",
                                       "jwt_secrets",
                                       "acls",
                                       "basicauth_credentials",
                                       "hmacauth_credentials",
                                       "oauth2_credentials",
                                       "plugins",
                                       "groups",
                                       NULL};
    struct px_auth_store *s = c->k->auth;
    char msg[120];
    if (fl_y_want_map(c->d, n, "a consumer") || fl_y_check_keys(c->d, n, keys, NULL, "consumer"))
        return -1;
    for (int i = 0; unsupported_creds[i]; i++) {
        snprintf(msg, sizeof msg, "Kong's %s are not supported yet", unsupported_creds[i]);
        if (px_kong_refuse_nonempty(c, n, unsupported_creds[i], msg)) return -1;
    }
    if (px_kong_refuse_nonempty(c, n, "plugins",
                                "plugins scoped to a consumer are not supported yet") ||
        px_kong_refuse_nonempty(c, n, "groups", "consumer groups are not supported yet"))
        return -1;
    struct px_consumer p = {0};
    if (opt_string(c, n, "username", "username", &p.username) ||
        opt_string(c, n, "custom_id", "custom_id", &p.custom_id) ||
        opt_string(c, n, "id", "id", &p.id))
        goto fail;
    if (!p.username && !p.custom_id) {
        fl_y_error(c->d, n,
                   "consumer: at least one of these fields must be non-empty: 'custom_id', "
                   "'username'");
        goto fail;
    }
    if (!p.id) p.id = fl_strdup(p.username ? p.username : p.custom_id);
    if (unique_consumer(c, n, &p)) goto fail;
    s->consumers = fl_realloc(s->consumers, (s->n_consumers + 1) * sizeof *s->consumers);
    s->consumers[s->n_consumers] = p;
    size_t at = s->n_consumers++;
    return each_cred(c, n, "keyauth_credentials", at, 0, key_cred) ||
                   each_cred(c, n, "jwt_secrets", at, 0, jwt_cred) ||
                   each_cred(c, n, "acls", at, 0, acl_entry)
               ? -1
               : 0;
fail:
    free(p.username);
    free(p.custom_id);
    free(p.id);
    return -1;
}

int px_kong_parse_consumers(struct kp *c, const yaml_node_t *top)
{
    FL_ASSERT(c->k->auth && c->k->auth->n_consumers == 0);
    char msg[120];
    for (int i = 0; unsupported_creds[i]; i++) {
        snprintf(msg, sizeof msg, "Kong's %s are not supported yet", unsupported_creds[i]);
        if (px_kong_refuse_nonempty(c, top, unsupported_creds[i], msg)) return -1;
    }
    yaml_node_t *x = fl_y_get(c->d, top, "consumers");
    if (x && !px_kong_is_null(x)) {
        if (fl_y_want_seq(c->d, x, "consumers")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (consumer(c, px_kong_item(c, x, i))) return -1;
    }
    if (each_cred(c, top, "keyauth_credentials", 0, 1, key_cred) ||
        each_cred(c, top, "jwt_secrets", 0, 1, jwt_cred) ||
        each_cred(c, top, "acls", 0, 1, acl_entry))
        return -1;
    px_auth_store_index(c->k->auth);
    return 0;
}
