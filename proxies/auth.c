/*
 * auth.c - the consumer store (auth.h): building its indexes, sharing it
 * by reference count, and the plugin configurations that hold it.
 */
#include "proxies/auth.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/edge.h"
#include "proxies/jwt.h"

struct px_auth_store *px_auth_store_new(void)
{
    struct px_auth_store *s = fl_calloc(1, sizeof *s);
    s->refs = 1;
    return s;
}

void px_auth_store_index(struct px_auth_store *s)
{
    FL_ASSERT(s && s->refs == 1 && s->by_key.len == 0 && s->by_jwt_key.len == 0);
    for (size_t i = 0; i < s->n_keys; i++) fl_nameidx_put(&s->by_key, s->keys[i].key, i);
    for (size_t i = 0; i < s->n_jwts; i++) fl_nameidx_put(&s->by_jwt_key, s->jwts[i].key, i);
    for (size_t i = 0; i < s->n_consumers; i++) {
        const struct px_consumer *c = &s->consumers[i];
        if (fl_nameidx_get(&s->by_consumer, c->id) < 0) fl_nameidx_put(&s->by_consumer, c->id, i);
        if (c->username && fl_nameidx_get(&s->by_consumer, c->username) < 0)
            fl_nameidx_put(&s->by_consumer, c->username, i);
    }
    FL_ASSERT(s->by_key.len == s->n_keys && s->by_jwt_key.len == s->n_jwts);
}

struct px_auth_store *px_auth_store_ref(struct px_auth_store *s)
{
    FL_ASSERT(!s || s->refs > 0);
    if (s) s->refs++;
    return s;
}

static void strs_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static char **strs_dup(char *const *v, size_t n)
{
    FL_ASSERT(v || n == 0);
    char **out = fl_calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = fl_strdup(v[i]);
    return out;
}

void px_auth_store_unref(struct px_auth_store *s)
{
    if (!s) return;
    FL_ASSERT(s->refs > 0);
    if (--s->refs > 0) return;
    for (size_t i = 0; i < s->n_consumers; i++) {
        struct px_consumer *c = &s->consumers[i];
        free(c->id);
        free(c->username);
        free(c->custom_id);
        strs_free(c->groups, c->n_groups);
    }
    for (size_t i = 0; i < s->n_keys; i++) {
        free(s->keys[i].key);
        free(s->keys[i].id);
    }
    for (size_t i = 0; i < s->n_jwts; i++) {
        struct px_jwt_cred *j = &s->jwts[i];
        free(j->key);
        free(j->id);
        free(j->secret);
        free(j->rsa_public_key);
        if (j->pub) px_jwt_key_free(j->pub);
    }
    free(s->consumers);
    free(s->keys);
    free(s->jwts);
    fl_nameidx_free(&s->by_key);
    fl_nameidx_free(&s->by_jwt_key);
    fl_nameidx_free(&s->by_consumer);
    free(s);
}

long px_auth_consumer(const struct px_auth_store *s, const char *id_or_name)
{
    FL_ASSERT(s && id_or_name);
    return fl_nameidx_get(&s->by_consumer, id_or_name);
}

/* ---------------------------------------------------------------- plugin configurations */

void px_edge_keyauth_free(struct px_edge_keyauth *k)
{
    px_auth_store_unref(k->store);
    strs_free(k->key_names, k->n_key_names);
    free(k->realm);
    memset(k, 0, sizeof *k);
}

void px_edge_jwt_free(struct px_edge_jwt *j)
{
    px_auth_store_unref(j->store);
    strs_free(j->uri_param_names, j->n_uri_param_names);
    strs_free(j->cookie_names, j->n_cookie_names);
    strs_free(j->header_names, j->n_header_names);
    free(j->key_claim_name);
    memset(j, 0, sizeof *j);
}

void px_edge_acl_free(struct px_edge_acl *a)
{
    strs_free(a->groups, a->n_groups);
    memset(a, 0, sizeof *a);
}

void px_edge_keyauth_copy(struct px_edge_keyauth *d, const struct px_edge_keyauth *s)
{
    FL_ASSERT(d && s && d != s);
    *d = *s;
    d->store = px_auth_store_ref(s->store);
    d->key_names = strs_dup(s->key_names, s->n_key_names);
    d->realm = s->realm ? fl_strdup(s->realm) : NULL;
}

void px_edge_jwt_copy(struct px_edge_jwt *d, const struct px_edge_jwt *s)
{
    FL_ASSERT(d && s && d != s && s->key_claim_name);
    *d = *s;
    d->store = px_auth_store_ref(s->store);
    d->uri_param_names = strs_dup(s->uri_param_names, s->n_uri_param_names);
    d->cookie_names = strs_dup(s->cookie_names, s->n_cookie_names);
    d->header_names = strs_dup(s->header_names, s->n_header_names);
    d->key_claim_name = fl_strdup(s->key_claim_name);
}

void px_edge_acl_copy(struct px_edge_acl *d, const struct px_edge_acl *s)
{
    FL_ASSERT(d && s && d != s);
    *d = *s;
    d->groups = strs_dup(s->groups, s->n_groups);
}

/* ---------------------------------------------------------------- the authenticated consumer */

/*
 * Kong's set_consumer (key-auth and jwt handler.lua): the consumer's
 * headers to the upstream (X-Consumer-ID, -Custom-ID, -Username, each
 * cleared when the consumer has none), X-Credential-Identifier with a
 * credential, else X-Anonymous-Consumer: true; kong.client.authenticate.
 */
void px_auth_set_consumer(struct px_edge_state *st, const struct px_auth_store *s, long consumer,
                          enum px_cred_kind kind, long cred, struct px_msg *req)
{
    FL_ASSERT(s && consumer >= -1 && (size_t)(consumer + 1) <= s->n_consumers);
    const struct px_consumer *c = consumer >= 0 ? &s->consumers[consumer] : NULL;
    px_msg_remove_header(req, "x-consumer-id");
    px_msg_remove_header(req, "x-consumer-custom-id");
    px_msg_remove_header(req, "x-consumer-username");
    px_msg_remove_header(req, "x-credential-identifier");
    px_msg_remove_header(req, "x-anonymous-consumer");
    if (c) px_msg_add_header(req, "X-Consumer-ID", c->id);
    if (c && c->custom_id) px_msg_add_header(req, "X-Consumer-Custom-ID", c->custom_id);
    if (c && c->username) px_msg_add_header(req, "X-Consumer-Username", c->username);
    st->store = s;
    st->consumer = c ? (uint32_t)consumer + 1 : 0;
    st->anonymous = cred < 0;
    st->cred_kind = cred >= 0 ? (uint8_t)kind : 0;
    st->credential = cred >= 0 ? (uint32_t)cred + 1 : 0;
    if (cred >= 0) {
        FL_ASSERT(kind == PX_CRED_KEY ? (size_t)cred < s->n_keys : (size_t)cred < s->n_jwts);
        /* key-auth: the credential's id; jwt: its key (Kong 3's set_consumer of each) */
        const char *ident = kind == PX_CRED_KEY ? s->keys[cred].id : s->jwts[cred].key;
        px_msg_add_header(req, "X-Credential-Identifier", ident);
    } else {
        px_msg_add_header_static(req, "X-Anonymous-Consumer", "true");
    }
}

const char *px_auth_credential_id(const struct px_edge_state *st)
{
    FL_ASSERT(st);
    if (!st->store || !st->credential) return NULL;
    size_t i = st->credential - 1;
    return st->cred_kind == PX_CRED_KEY ? st->store->keys[i].id : st->store->jwts[i].id;
}

const char *px_auth_consumer_id(const struct px_edge_state *st)
{
    FL_ASSERT(st);
    if (!st->store || !st->consumer) return NULL;
    FL_ASSERT(st->consumer <= st->store->n_consumers);
    return st->store->consumers[st->consumer - 1].id;
}
