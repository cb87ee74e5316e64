/*
 * auth_key.c - Kong's key-auth plugin, request phase
 * (kong/plugins/key-auth/handler.lua, Kong 3):
 *
 *  - OPTIONS with run_on_preflight false: not authenticated;
 *  - with `anonymous` set and a credential already found by an earlier
 *    plugin: nothing to do (the plugins are a logical OR);
 *  - for each name of key_names in order: the header of that name (when
 *    key_in_header), else the query argument (when key_in_query); a name
 *    given twice is 401 "Duplicate API key found"; the first found is the
 *    key, and hide_credentials removes it from the upstream request;
 *  - no key (or an empty one): 401 "No API key found in request" with
 *    WWW-Authenticate: Key realm="kong";
 *  - a key no credential has: 401 "Invalid authentication credentials";
 *  - else the credential's consumer is authenticated (auth.c).
 * A failure with `anonymous` set authenticates the anonymous consumer
 * instead (no credential, X-Anonymous-Consumer: true).
 *
 * Not modelled: key_in_body (bodies are sizes here; refused when reading
 * the configuration).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "proxies/edge.h"

#define KEY_MAX 4096 /* longer query keys are cut (and then match no credential) */

static int header_count(const struct px_msg *m, const char *name)
{
    FL_ASSERT(m && name);
    int n = 0;
    for (uint32_t i = 0; i < m->n_headers; i++) n += !strcasecmp(m->headers[i].name, name);
    return n;
}

static void hide(struct px_msg *req, const char *name)
{
    FL_ASSERT(req && name && *name);
    struct px_hdr_op op = {PX_HDR_REMOVE, (char *)name, NULL};
    struct px_hdr_ops ops = {&op, 1};
    px_msg_remove_header(req, name);
    px_query_ops_apply(&ops, req);
}

/* The key's credential, or a local answer (*out) when there is none. */
static long find_key(const struct px_edge_keyauth *k, const struct px_edge_env *env,
                     struct px_msg *req, struct px_msg **out)
{
    FL_ASSERT(k && k->store && k->n_key_names > 0 && env && req && out && !*out);
    char qbuf[KEY_MAX];
    const char *key = NULL;
    size_t at = 0;
    for (size_t i = 0; i < k->n_key_names && !key; i++) {
        const char *name = k->key_names[i];
        int nh = k->key_in_header ? header_count(req, name) : 0;
        size_t nq = 0;
        at = i;
        if (nh == 1)
            key = px_msg_header(req, name);
        else if (!nh && k->key_in_query && (nq = px_query_arg(req->query, name, qbuf, sizeof qbuf)))
            key = qbuf;
        if (nh > 1 || nq > 1) {
            *out = px_edge_json(env, 401, "{\"message\":\"Duplicate API key found\"}");
            return -1;
        }
    }
    if (!key || !*key) {
        *out = px_edge_json(env, 401, "{\"message\":\"No API key found in request\"}");
        char realm[160];
        snprintf(realm, sizeof realm, "Key realm=\"%s\"", k->realm ? k->realm : "kong");
        px_msg_add_header(*out, "WWW-Authenticate", realm);
        return -1;
    }
    long cred = fl_nameidx_get(&k->store->by_key, key);
    if (cred < 0) {
        *out = px_edge_json(env, 401, "{\"message\":\"Invalid authentication credentials\"}");
        return -1;
    }
    if (k->hide_credentials) hide(req, k->key_names[at]); /* only the name the key came in */
    return cred;
}

struct px_msg *px_keyauth_request(const struct px_edge_keyauth *k, const struct px_edge_env *env,
                                  struct px_msg *req, struct px_edge_state *st)
{
    FL_ASSERT(k && k->store && env && req && st);
    if (!k->run_on_preflight && req->method && !strcmp(req->method, "OPTIONS")) return NULL;
    if (k->anonymous >= 0 && st->credential) return NULL;
    struct px_msg *err = NULL;
    long cred = find_key(k, env, req, &err);
    if (cred >= 0) {
        FL_ASSERT((size_t)cred < k->store->n_keys && !err);
        px_auth_set_consumer(st, k->store, (long)k->store->keys[cred].consumer, PX_CRED_KEY, cred,
                             req);
        return NULL;
    }
    FL_ASSERT(err);
    if (k->anonymous < 0) return err;
    px_msg_free(env->rt, err);
    px_auth_set_consumer(st, k->store, k->anonymous, PX_CRED_KEY, -1, req);
    return NULL;
}
