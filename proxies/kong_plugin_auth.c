/*
 * kong_plugin_auth.c - the config of Kong's authentication plugins and of
 * acl (auth.h), with the keys and defaults of each schema.lua (Kong 3):
 *
 *   key-auth  key_names [apikey], hide_credentials false, anonymous,
 *             key_in_header true, key_in_query true, key_in_body false,
 *             run_on_preflight true, realm                    (PRIORITY 1250)
 *   jwt       uri_param_names [jwt], cookie_names [], header_names
 *             [authorization], key_claim_name iss, secret_is_base64 false,
 *             claims_to_verify (exp, nbf), maximum_expiration 0 (0 to
 *             31536000; above 0 it needs exp among claims_to_verify),
 *             anonymous, run_on_preflight true, realm         (1450)
 *   acl       allow or deny (exactly one), hide_groups_header false (950)
 *
 * `anonymous` names a consumer by id or username; unlike Kong, which
 * answers 500 at request time when it does not exist, faultline refuses
 * the file. Refused as not modelled: key_in_body true (bodies are sizes
 * here), acl include_consumer_groups true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

/* A list of strings under key (default: the NULL-terminated def when absent or null). */
static int list_or(struct kp *c, const yaml_node_t *m, const char *key, const char *const *def,
                   char ***out, size_t *n)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    char what[48];
    snprintf(what, sizeof what, "config.%s", key);
    if (x && !px_kong_is_null(x)) return px_kong_str_list(c, x, what, out, n);
    size_t k = 0;
    while (def[k]) k++;
    *out = fl_calloc(k + 1, sizeof **out);
    for (*n = 0; *n < k; (*n)++) (*out)[*n] = fl_strdup(def[*n]);
    return 0;
}

static int flag(struct kp *c, const yaml_node_t *m, const char *key, int def, int *out)
{
    char what[48];
    snprintf(what, sizeof what, "config.%s", key);
    *out = def;
    return px_kong_opt_bool(c, m, key, what, out);
}

static int text(struct kp *c, const yaml_node_t *m, const char *key, const char *def, char **out)
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    const char *s = def;
    char what[48];
    snprintf(what, sizeof what, "config.%s", key);
    if (x && !px_kong_is_null(x) && fl_y_string(c->d, x, what, &s)) return -1;
    *out = s ? fl_strdup(s) : NULL;
    return 0;
}

/* config.anonymous: a consumer's index, or -1 when not set. */
static int anonymous(struct kp *c, const yaml_node_t *m, long *out)
{
    yaml_node_t *x = fl_y_get(c->d, m, "anonymous");
    const char *s;
    *out = -1;
    if (!x || px_kong_is_null(x)) return 0;
    if (fl_y_string(c->d, x, "config.anonymous", &s)) return -1;
    if (!*s) return 0;
    *out = px_auth_consumer(c->k->auth, s);
    if (*out < 0)
        return fl_y_error(c->d, x, "config.anonymous: no consumer '%s' (by id or username)", s);
    return 0;
}

int px_kong_keyauth_read(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"key_names",
                                       "hide_credentials",
                                       "anonymous",
                                       "key_in_header",
                                       "key_in_query",
                                       "key_in_body",
                                       "run_on_preflight",
                                       "realm",
                                       NULL};
    static const char *const def_names[] = {"apikey", NULL};
    struct px_edge_keyauth *k = &e->u.keyauth;
    int body = 0;
    FL_ASSERT(e->kind == PX_EDGE_KEYAUTH && c->k->auth);
    k->store = px_auth_store_ref(c->k->auth);
    if (fl_y_check_keys(c->d, n, keys, NULL, "key-auth config") ||
        list_or(c, n, "key_names", def_names, &k->key_names, &k->n_key_names) ||
        flag(c, n, "hide_credentials", 0, &k->hide_credentials) ||
        flag(c, n, "key_in_header", 1, &k->key_in_header) ||
        flag(c, n, "key_in_query", 1, &k->key_in_query) || flag(c, n, "key_in_body", 0, &body) ||
        flag(c, n, "run_on_preflight", 1, &k->run_on_preflight) ||
        text(c, n, "realm", NULL, &k->realm) || anonymous(c, n, &k->anonymous))
        return -1;
    if (body)
        return fl_y_error(c->d, fl_y_get(c->d, n, "key_in_body"),
                          "key-auth: key_in_body is not supported (faultline models bodies by "
                          "their size only)");
    if (!k->n_key_names) return fl_y_error(c->d, n, "key-auth: config.key_names is empty");
    return 0;
}

int px_kong_jwt_read(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"uri_param_names",
                                       "cookie_names",
                                       "key_claim_name",
                                       "secret_is_base64",
                                       "claims_to_verify",
                                       "anonymous",
                                       "run_on_preflight",
                                       "maximum_expiration",
                                       "header_names",
                                       "realm",
                                       NULL};
    static const char *const def_uri[] = {"jwt", NULL}, *const def_cookie[] = {NULL},
                             *const def_header[] = {"authorization", NULL};
    static const char *const claims[] = {"exp", "nbf", NULL};
    struct px_edge_jwt *j = &e->u.jwt;
    char *realm = NULL, **verify = NULL;
    size_t n_verify = 0;
    long long max = 0;
    FL_ASSERT(e->kind == PX_EDGE_JWT && c->k->auth);
    j->store = px_auth_store_ref(c->k->auth);
    int rc =
        fl_y_check_keys(c->d, n, keys, NULL, "jwt config") ||
        list_or(c, n, "uri_param_names", def_uri, &j->uri_param_names, &j->n_uri_param_names) ||
        list_or(c, n, "cookie_names", def_cookie, &j->cookie_names, &j->n_cookie_names) ||
        list_or(c, n, "header_names", def_header, &j->header_names, &j->n_header_names) ||
        text(c, n, "key_claim_name", "iss", &j->key_claim_name) ||
        flag(c, n, "secret_is_base64", 0, &j->secret_is_base64) ||
        flag(c, n, "run_on_preflight", 1, &j->run_on_preflight) ||
        text(c, n, "realm", NULL, &realm) || anonymous(c, n, &j->anonymous) ||
        list_or(c, n, "claims_to_verify", def_cookie, &verify, &n_verify);
    free(realm);
    yaml_node_t *x = fl_y_get(c->d, n, "claims_to_verify");
    for (size_t i = 0; !rc && i < n_verify; i++) {
        int v = 0;
        yaml_node_t *item = px_kong_item(c, x, i);
        rc = fl_y_enum(c->d, item, "config.claims_to_verify", claims, &v);
        if (!rc) *(v == 0 ? &j->verify_exp : &j->verify_nbf) = 1;
    }
    px_kong_strs_free(verify, n_verify);
    /* it is quoted in the plugin's JSON answers: plain visible text only */
    for (const char *k = j->key_claim_name; !rc && k && *k; k++)
        if (*k == '"' || *k == '\\' || (unsigned char)*k < 0x20 || *k == 0x7f)
            rc = fl_y_error(c->d, fl_y_get(c->d, n, "key_claim_name"),
                            "jwt: config.key_claim_name: no quotes, backslashes or control "
                            "characters");
    if (!rc && j->key_claim_name && !*j->key_claim_name)
        rc = fl_y_error(c->d, fl_y_get(c->d, n, "key_claim_name"),
                        "jwt: config.key_claim_name is empty");
    if (!rc && (x = fl_y_get(c->d, n, "maximum_expiration")) &&
        fl_y_int(c->d, x, "config.maximum_expiration", 0, 31536000, &max))
        rc = -1;
    j->maximum_expiration = max;
    if (!rc && max > 0 && !j->verify_exp)
        rc = fl_y_error(c->d, x,
                        "jwt: config.maximum_expiration above 0 needs 'exp' in "
                        "config.claims_to_verify (Kong's entity check)");
    return rc ? -1 : 0;
}

/*
 * Kong acl (kong/plugins/acl/schema.lua): allow or deny, exactly one
 * non-empty.
 */
int px_kong_acl_read(struct kp *c, const yaml_node_t *n, struct px_edge *e)
{
    static const char *const keys[] = {"allow",
                                       "deny",
                                       "hide_groups_header",
                                       "include_consumer_groups",
                                       "always_use_authenticated_groups",
                                       NULL};
    static const char *const none[] = {NULL};
    struct px_edge_acl *a = &e->u.acl;
    char **allow = NULL, **deny = NULL;
    size_t na = 0, nd = 0;
    int inc = 0, always = 0;
    int rc = fl_y_check_keys(c->d, n, keys, NULL, "acl config") ||
             list_or(c, n, "allow", none, &allow, &na) || list_or(c, n, "deny", none, &deny, &nd) ||
             flag(c, n, "hide_groups_header", 0, &a->hide_groups_header) ||
             flag(c, n, "include_consumer_groups", 0, &inc) ||
             flag(c, n, "always_use_authenticated_groups", 0, &always);
    if (!rc && !na == !nd)
        rc = fl_y_error(c->d, n,
                        "acl: exactly one of these fields must be non-empty: 'config.allow', "
                        "'config.deny'");
    if (!rc && inc)
        rc = fl_y_error(c->d, fl_y_get(c->d, n, "include_consumer_groups"),
                        "acl: consumer groups are not supported yet");
    a->deny = nd > 0;
    a->groups = na ? allow : deny;
    a->n_groups = na ? na : nd;
    px_kong_strs_free(na ? deny : allow, na ? nd : na);
    return rc ? -1 : 0;
}
