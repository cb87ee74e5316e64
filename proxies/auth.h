/*
 * auth.h - who a request comes from: Kong's consumers and their
 * credentials (key-auth keys, jwt secrets, acl groups) as one immutable,
 * shared store, and the request phase of the authentication plugins that
 * read it (key-auth, jwt) and of acl, which reads what they found.
 *
 * The store is built once from the configuration (kong_consumer.c) and
 * shared by reference count among the policies that use it, whichever
 * proxy (simulated or live) runs them: lookups by key are hashed
 * (base/nameidx.h), never iterated.
 *
 * A stream's authentication result lives in its struct px_edge_state
 * (consumer, credential): acl and the rate-limiting plugin's limit_by
 * consumer | credential read it there.
 */
#ifndef FL_PROXIES_AUTH_H
#define FL_PROXIES_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/nameidx.h"

struct px_jwt_key;

/* A Kong consumer: id (Kong's, or the username when the file gives none), username, custom_id. */
struct px_consumer {
    char *id, *username, *custom_id;
    char **groups; /* acl groups (acls entities), in file order */
    size_t n_groups;
};

enum px_cred_kind { PX_CRED_KEY = 1, PX_CRED_JWT = 2 };

/* A key-auth credential (keyauth_credentials). */
struct px_key_cred {
    char *key, *id; /* id: Kong's, or the key itself */
    size_t consumer;
};

/* A jwt credential (jwt_secrets). */
struct px_jwt_cred {
    char *key, *id; /* the value the key claim must have; id as above */
    size_t consumer;
    int alg;                /* enum px_jwt_alg (HS256 when the file gives none, as Kong) */
    char *secret;           /* HS*: the shared secret as written (may be base64, see jwt) */
    char *rsa_public_key;   /* RS*, ES*: the PEM */
    struct px_jwt_key *pub; /* the PEM, read once when loading (NULL for HS*) */
};

struct px_auth_store {
    int refs;
    struct px_consumer *consumers;
    size_t n_consumers;
    struct px_key_cred *keys;
    size_t n_keys;
    struct px_jwt_cred *jwts;
    size_t n_jwts;
    struct fl_nameidx by_key, by_jwt_key, by_consumer; /* consumers by id and by username */
};

struct px_auth_store *px_auth_store_new(void);
/* Indexes what was added (call once, after filling the arrays). */
void px_auth_store_index(struct px_auth_store *s);
struct px_auth_store *px_auth_store_ref(struct px_auth_store *s);
void px_auth_store_unref(struct px_auth_store *s);
/* The consumer named by id or username, or -1. */
long px_auth_consumer(const struct px_auth_store *s, const char *id_or_name);

/* Kong key-auth (kong/plugins/key-auth): config. */
struct px_edge_keyauth {
    struct px_auth_store *store; /* a reference */
    char **key_names;
    size_t n_key_names;
    int hide_credentials, key_in_header, key_in_query, run_on_preflight;
    long anonymous; /* consumer index, -1: none */
    char *realm;    /* WWW-Authenticate realm ("kong") */
};

/* Kong jwt (kong/plugins/jwt): config. */
struct px_edge_jwt {
    struct px_auth_store *store; /* a reference */
    char **uri_param_names, **cookie_names, **header_names;
    size_t n_uri_param_names, n_cookie_names, n_header_names;
    char *key_claim_name;
    int secret_is_base64, verify_exp, verify_nbf, run_on_preflight;
    int64_t maximum_expiration; /* s; 0: none */
    long anonymous;
};

/* Kong acl: allow or deny groups. */
struct px_edge_acl {
    char **groups;
    size_t n_groups;
    int deny;
    int hide_groups_header;
};

struct px_edge_state;
struct px_msg;

/*
 * Records the consumer (index, -1: none) and credential (index into the
 * kind's array, -1: anonymous) a plugin authenticated in st, and sets
 * Kong's X-Consumer-* / X-Credential-Identifier / X-Anonymous-Consumer
 * headers on req for the upstream.
 */
void px_auth_set_consumer(struct px_edge_state *st, const struct px_auth_store *s, long consumer,
                          enum px_cred_kind kind, long cred, struct px_msg *req);
/* The authenticated consumer's id, credential's id, or NULL (rate-limiting limit_by). */
const char *px_auth_consumer_id(const struct px_edge_state *st);
const char *px_auth_credential_id(const struct px_edge_state *st);

void px_edge_keyauth_free(struct px_edge_keyauth *k);
void px_edge_jwt_free(struct px_edge_jwt *j);
void px_edge_acl_free(struct px_edge_acl *a);
void px_edge_keyauth_copy(struct px_edge_keyauth *d, const struct px_edge_keyauth *s);
void px_edge_jwt_copy(struct px_edge_jwt *d, const struct px_edge_jwt *s);
void px_edge_acl_copy(struct px_edge_acl *d, const struct px_edge_acl *s);

#endif
