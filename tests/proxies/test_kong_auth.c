/*
 * test_kong_auth.c - Kong's consumers and authentication plugins
 * (proxies/kong_consumer.c, kong_plugin_auth.c, auth*.c) read from a
 * kong.yaml and run on messages: key-auth, jwt (with every attack a
 * gateway must refuse, each answered before anything reaches the
 * upstream), acl on the consumer found, anonymous consumers, and the
 * errors for what is refused. Statuses and bodies are Kong 3's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/alloc.h"
#include "proxies/auth.h"
#include "proxies/jwt.h"
#include "tests/proxies/kongtest.h"

void suite_kong_auth(void);

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z: the tests' "now" */

#define HEAD                                                                                       \
    "_format_version: \"3.0\"\n"                                                                   \
    "services:\n"                                                                                  \
    "  - name: billing\n"                                                                          \
    "    url: http://billing:8080\n"                                                               \
    "    routes:\n"                                                                                \
    "      - name: r\n"                                                                            \
    "        paths: [/api]\n"

#define CONSUMERS                                                                                  \
    "consumers:\n"                                                                                 \
    "  - username: alice\n"                                                                        \
    "    custom_id: A-1\n"                                                                         \
    "    keyauth_credentials: [{key: alice-key}]\n"                                                \
    "    jwt_secrets: [{key: alice-iss, secret: alice-secret}]\n"                                  \
    "    acls: [{group: admins}, {group: staff}]\n"                                                \
    "  - username: bob\n"                                                                          \
    "    id: 8f1c0b7e-0000-4000-8000-000000000002\n"                                               \
    "    keyauth_credentials: [{key: bob-key, id: cred-bob}]\n"                                    \
    "    jwt_secrets: [{key: bob-iss, secret: bob-secret, algorithm: HS512}]\n"                    \
    "  - username: guest\n"

static struct px_msg *with_header(struct px_msg *m, const char *name, const char *value)
{
    px_msg_add_header(m, name, value);
    return m;
}

/* Runs a GET /api with one header through route r; the response (caller frees). */
static struct px_msg *get(struct kt_gw *g, const char *name, const char *value,
                          struct px_edge_state *st)
{
    struct px_msg *req = kt_request("GET", "/api");
    if (name) with_header(req, name, value);
    return kt_pass_st(g, "r", req, kt_answer(200, NULL), st);
}

static void expect(struct px_msg *m, int status, const char *body)
{
    CU_ASSERT_EQUAL(m->status, status);
    ASSERT_STR(kt_body(m), body);
    kt_msg_free(&kt_rt, m);
}

/* ---------------------------------------------------------------- key-auth */

static void test_kong_auth_key_auth(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, HEAD CONSUMERS "plugins: [{name: key-auth}]\n");
    struct px_msg *m = get(&g, NULL, NULL, &st);
    CU_ASSERT_EQUAL(m->status, 401);
    ASSERT_STR(kt_body(m), "{\"message\":\"No API key found in request\"}");
    ASSERT_STR(px_msg_header(m, "www-authenticate"), "Key realm=\"kong\"");
    kt_msg_free(&kt_rt, m);
    expect(get(&g, "apikey", "mallory-key", &st), 401,
           "{\"message\":\"Invalid authentication credentials\"}");
    /* a key given twice */
    struct px_msg *req = with_header(with_header(kt_request("GET", "/api"), "apikey", "alice-key"),
                                     "apikey", "bob-key");
    expect(kt_pass_st(&g, "r", req, kt_answer(200, NULL), &st), 401,
           "{\"message\":\"Duplicate API key found\"}");
    /* alice: her headers reach the upstream */
    m = get(&g, "apikey", "alice-key", &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g.last_req);
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-username"), "alice");
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-id"), "alice");
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-custom-id"), "A-1");
    ASSERT_STR(px_msg_header(g.last_req, "x-credential-identifier"), "alice-key");
    ASSERT_STR(px_msg_header(g.last_req, "apikey"), "alice-key"); /* hide_credentials false */
    ASSERT_STR(px_auth_consumer_id(&st), "alice");
    /* bob by query argument: his own ids */
    req = kt_request("GET", "/api");
    req->query = "page=2&apikey=bob-key";
    m = kt_pass_st(&g, "r", req, kt_answer(200, NULL), &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-id"), "8f1c0b7e-0000-4000-8000-000000000002");
    ASSERT_STR(px_auth_credential_id(&st), "cred-bob");
    CU_ASSERT_PTR_NULL(px_msg_header(g.last_req, "x-consumer-custom-id"));
    kt_gw_close(&g);
}

static void test_kong_auth_key_auth_hides_and_names(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g,
               HEAD CONSUMERS "plugins: [{name: key-auth, config: {key_names: [x-api-key, apikey],"
                              " hide_credentials: true, key_in_query: false, realm: shop}}]\n");
    struct px_msg *m = get(&g, "X-API-Key", "alice-key", &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_PTR_NULL(px_msg_header(g.last_req, "x-api-key")); /* hidden from the upstream */
    struct px_msg *req = kt_request("GET", "/api");
    req->query = "apikey=alice-key"; /* key_in_query false: not looked at */
    m = kt_pass_st(&g, "r", req, kt_answer(200, NULL), &st);
    CU_ASSERT_EQUAL(m->status, 401);
    ASSERT_STR(px_msg_header(m, "www-authenticate"), "Key realm=\"shop\"");
    kt_msg_free(&kt_rt, m);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- acl */

static void test_kong_auth_acl_on_the_consumer(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, HEAD CONSUMERS
               "plugins: [{name: key-auth}, {name: acl, config: {allow: [admins]}}]\n");
    struct px_msg *m = get(&g, "apikey", "alice-key", &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-groups"), "admins, staff");
    /* bob has a valid key and no group: his credential is good, the service is not his */
    expect(get(&g, "apikey", "bob-key", &st), 403,
           "{\"message\":\"You cannot consume this service\"}");
    /* no key at all: key-auth answers first (priority 1250 > 950) */
    expect(get(&g, NULL, NULL, &st), 401, "{\"message\":\"No API key found in request\"}");
    kt_gw_close(&g);
    kt_gw_open(&g, HEAD CONSUMERS "plugins: [{name: key-auth}, {name: acl, config: {deny: [staff],"
                                  " hide_groups_header: true}}]\n");
    expect(get(&g, "apikey", "alice-key", &st), 403,
           "{\"message\":\"You cannot consume this service\"}");
    m = get(&g, "apikey", "bob-key", &st); /* no group: nothing to deny */
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    CU_ASSERT_PTR_NULL(px_msg_header(g.last_req, "x-consumer-groups"));
    kt_gw_close(&g);
}

static void test_kong_auth_anonymous(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, HEAD CONSUMERS "plugins: [{name: key-auth, config: {anonymous: guest}}]\n");
    struct px_msg *m = get(&g, "apikey", "mallory-key", &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-username"), "guest");
    ASSERT_STR(px_msg_header(g.last_req, "x-anonymous-consumer"), "true");
    CU_ASSERT_PTR_NULL(px_auth_credential_id(&st));
    ASSERT_STR(px_auth_consumer_id(&st), "guest");
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- jwt */

static char *mint(enum px_jwt_alg alg, const struct px_jwt_key *k, const char *payload)
{
    char err[160];
    char *t = px_jwt_sign(alg, NULL, payload, k, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(t);
    return t;
}

static char *mint_hs(enum px_jwt_alg alg, const char *secret, const char *payload)
{
    struct px_jwt_key *k = px_jwt_key_secret(secret, strlen(secret));
    char *t = mint(alg, k, payload);
    px_jwt_key_free(k);
    return t;
}

static struct px_msg *bearer(struct kt_gw *g, const char *token, struct px_edge_state *st)
{
    char *v = fl_asprintf("Bearer %s", token ? token : "");
    struct px_msg *m = get(g, "Authorization", v, st);
    free(v);
    return m;
}

#define JWT_PLUGIN "plugins: [{name: jwt, config: {claims_to_verify: [exp, nbf]}}]\n"

static void test_kong_auth_jwt_valid(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, HEAD CONSUMERS JWT_PLUGIN);
    g.env.unix_s = T0;
    char *t = mint_hs(PX_JWT_HS256, "alice-secret",
                      "{\"iss\":\"alice-iss\",\"exp\":1767229200,\"nbf\":1767225000}");
    struct px_msg *m = bearer(&g, t, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-username"), "alice");
    ASSERT_STR(px_msg_header(g.last_req, "x-credential-identifier"), "alice-iss");
    free(t);
    /* bob's credential is HS512 */
    t = mint_hs(PX_JWT_HS512, "bob-secret", "{\"iss\":\"bob-iss\",\"exp\":1767229200,\"nbf\":1}");
    m = bearer(&g, t, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    ASSERT_STR(px_auth_consumer_id(&st), "8f1c0b7e-0000-4000-8000-000000000002");
    free(t);
    kt_gw_close(&g);
}

static void test_kong_auth_jwt_claims(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, HEAD CONSUMERS JWT_PLUGIN);
    g.env.unix_s = T0;
    char *t = mint_hs(PX_JWT_HS256, "alice-secret",
                      "{\"iss\":\"alice-iss\",\"exp\":1767225600,\"nbf\":1}"); /* exp == now */
    expect(bearer(&g, t, &st), 401, "{\"exp\":\"token expired\"}");
    free(t);
    t = mint_hs(PX_JWT_HS256, "alice-secret",
                "{\"iss\":\"alice-iss\",\"exp\":1767229200,\"nbf\":1767225601}");
    expect(bearer(&g, t, &st), 401, "{\"nbf\":\"token not valid yet\"}");
    g.env.unix_s = T0 + 1; /* one second later it is valid */
    struct px_msg *m = bearer(&g, t, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    free(t);
    t = mint_hs(PX_JWT_HS256, "alice-secret", "{\"iss\":\"alice-iss\",\"exp\":\"soon\"}");
    expect(bearer(&g, t, &st), 401, "{\"exp\":\"must be a number\",\"nbf\":\"must be a number\"}");
    free(t);
    kt_gw_close(&g);
    /* maximum_expiration: a token valid for longer than an hour is refused */
    kt_gw_open(&g, HEAD CONSUMERS "plugins: [{name: jwt, config: {claims_to_verify: [exp],"
                                  " maximum_expiration: 3600}}]\n");
    g.env.unix_s = T0;
    t = mint_hs(PX_JWT_HS256, "alice-secret", "{\"iss\":\"alice-iss\",\"exp\":1767229201}");
    expect(bearer(&g, t, &st), 401, "{\"exp\":\"exceeds maximum allowed expiration\"}");
    free(t);
    t = mint_hs(PX_JWT_HS256, "alice-secret", "{\"iss\":\"alice-iss\",\"exp\":1767229200}");
    m = bearer(&g, t, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    free(t);
    kt_gw_close(&g);
}

/* The PEM of a fresh key's public half (caller frees); *priv gets the signing key. */
static char *fresh_key(const char *kind, const char *param, struct px_jwt_key **priv)
{
    EVP_PKEY *p = !strcmp(kind, "RSA") ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                                       : EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, p, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *pem = fl_strndup(data, (size_t)n), err[160];
    BIO_free(b);
    *priv = px_jwt_key_pem(pem, err, sizeof err);
    free(pem);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, p);
    n = BIO_get_mem_data(b, &data);
    pem = fl_strndup(data, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(p);
    return pem;
}

/* A Kong file whose consumer carol holds an RS256 and an ES256 credential. */
static char *rsa_config(const char *rsa_pub, const char *ec_pub, const char *plugins)
{
    return fl_asprintf(HEAD "consumers:\n"
                            "  - username: carol\n"
                            "    acls: [{group: admins}]\n"
                            "    jwt_secrets:\n"
                            "      - {key: carol-rs, algorithm: RS256, rsa_public_key: \"%s\"}\n"
                            "      - {key: carol-es, algorithm: ES256, rsa_public_key: \"%s\"}\n"
                            "  - username: dave\n"
                            "    jwt_secrets: [{key: dave-iss, secret: dave-secret}]\n"
                            "%s",
                       rsa_pub, ec_pub, plugins);
}

/* "\n" as the two characters YAML's double quotes want. */
static char *yaml_escape(const char *pem)
{
    char *out = fl_malloc(strlen(pem) * 2 + 1), *o = out;
    for (const char *p = pem; *p; p++) {
        if (*p == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/*
 * The attacks: each is a 401 from the gateway, and nothing reaches the
 * upstream (kt_pass_st keeps a request only when the upstream got it).
 */
static void test_kong_auth_jwt_attacks(void)
{
    struct px_jwt_key *rs_priv, *es_priv;
    char *rs_pem = fresh_key("RSA", NULL, &rs_priv), *es_pem = fresh_key("EC", "P-256", &es_priv);
    char *rs_y = yaml_escape(rs_pem), *es_y = yaml_escape(es_pem);
    char *cfg = rsa_config(rs_y, es_y,
                           "plugins: [{name: jwt, config: {claims_to_verify: [exp]}},"
                           " {name: acl, config: {allow: [admins]}}]\n");
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, cfg);
    g.env.unix_s = T0;
    const char *claims = "{\"iss\":\"carol-rs\",\"exp\":1767229200}";
    char *good = mint(PX_JWT_RS256, rs_priv, claims);
    struct px_msg *m = bearer(&g, good, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    ASSERT_STR(px_msg_header(g.last_req, "x-consumer-username"), "carol");
    char *es_good = mint(PX_JWT_ES256, es_priv, "{\"iss\":\"carol-es\",\"exp\":1767229200}");
    m = bearer(&g, es_good, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    kt_msg_free(&kt_rt, g.last_req);
    g.last_req = NULL;

    /* alg none */
    struct px_jwt_key *empty = px_jwt_key_secret("", 0);
    char *t = mint(PX_JWT_NONE, empty, claims);
    expect(bearer(&g, t, &st), 401, "{\"message\":\"Bad token; invalid alg\"}");
    free(t);
    px_jwt_key_free(empty);
    /* algorithm confusion: HS256 keyed with the RSA public key's PEM */
    t = mint_hs(PX_JWT_HS256, rs_pem, claims);
    expect(bearer(&g, t, &st), 401, "{\"message\":\"Invalid algorithm\"}");
    free(t);
    /* a bad signature: one character of the RS256 signature changed */
    t = fl_strdup(good);
    char *c = strrchr(t, '.') + 10;
    *c = *c == 'A' ? 'B' : 'A';
    expect(bearer(&g, t, &st), 401, "{\"message\":\"Invalid signature\"}");
    free(t);
    /* the payload edited after signing (iss kept, exp pushed to 2100) */
    char *dot = strchr(good, '.');
    struct px_jwt_key *hk = px_jwt_key_secret("x", 1);
    char *other = mint(PX_JWT_HS256, hk, "{\"iss\":\"carol-rs\",\"exp\":4102444800}");
    px_jwt_key_free(hk);
    char *o1 = strchr(other, '.'), *o2 = strchr(o1 + 1, '.');
    t = fl_asprintf("%.*s%.*s%s", (int)(dot - good), good, (int)(o2 - o1), o1, strrchr(good, '.'));
    expect(bearer(&g, t, &st), 401, "{\"message\":\"Invalid signature\"}");
    free(t);
    free(other);
    /* expired, and expired for a gateway whose clock is 2 hours behind no more */
    t = mint(PX_JWT_RS256, rs_priv, "{\"iss\":\"carol-rs\",\"exp\":1767225000}");
    expect(bearer(&g, t, &st), 401, "{\"exp\":\"token expired\"}");
    g.env.unix_s = T0 - 7200; /* a skewed clock lets it through: what clock skew does */
    m = bearer(&g, t, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    kt_msg_free(&kt_rt, g.last_req);
    g.last_req = NULL;
    g.env.unix_s = T0;
    free(t);
    /* an unknown key claim; no key claim */
    t = mint(PX_JWT_RS256, rs_priv, "{\"iss\":\"mallory\",\"exp\":1767229200}");
    expect(bearer(&g, t, &st), 401, "{\"message\":\"No credentials found for given 'iss'\"}");
    free(t);
    t = mint(PX_JWT_RS256, rs_priv, "{\"sub\":\"carol\",\"exp\":1767229200}");
    expect(bearer(&g, t, &st), 401, "{\"message\":\"No mandatory 'iss' in claims\"}");
    free(t);
    /* malformed base64 and JSON */
    expect(bearer(&g, "eyJhbGciOiJIUzI1NiJ9.!!!.abc", &st), 401,
           "{\"message\":\"Bad token; invalid JSON\"}");
    expect(bearer(&g, "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOi.abc", &st), 401,
           "{\"message\":\"Bad token; invalid JSON\"}");
    expect(bearer(&g, "not-a-token", &st), 401, "{\"message\":\"Bad token; invalid JSON\"}");
    /* a token of 64 KiB */
    char *big = fl_malloc(strlen(good) + 64 * 1024 + 1);
    memcpy(big, good, strlen(good));
    memset(big + strlen(good), 'A', 64 * 1024);
    big[strlen(good) + 64 * 1024] = '\0';
    expect(bearer(&g, big, &st), 401, "{\"message\":\"Bad token; invalid JSON\"}");
    free(big);
    /* a valid token of another consumer: dave's is good, the service is not his */
    t = mint_hs(PX_JWT_HS256, "dave-secret", "{\"iss\":\"dave-iss\",\"exp\":1767229200}");
    expect(bearer(&g, t, &st), 403, "{\"message\":\"You cannot consume this service\"}");
    free(t);
    /* no token */
    expect(get(&g, NULL, NULL, &st), 401, "{\"message\":\"Unauthorized\"}");
    expect(get(&g, "Authorization", "Basic Zm9vOmJhcg==", &st), 401,
           "{\"message\":\"Unauthorized\"}");
    CU_ASSERT_PTR_NULL(g.last_req); /* none of these reached the upstream */
    kt_gw_close(&g);
    free(good);
    free(es_good);
    free(cfg);
    free(rs_y);
    free(es_y);
    free(rs_pem);
    free(es_pem);
    px_jwt_key_free(rs_priv);
    px_jwt_key_free(es_priv);
}

static void test_kong_auth_jwt_places(void)
{
    struct kt_gw g;
    struct px_edge_state st;
    kt_gw_open(&g, HEAD CONSUMERS "plugins: [{name: jwt, config: {cookie_names: [session],"
                                  " header_names: [x-token, authorization]}}]\n");
    char *t = mint_hs(PX_JWT_HS256, "alice-secret", "{\"iss\":\"alice-iss\"}");
    char *v = fl_asprintf("theme=dark; session=%s", t);
    struct px_msg *m = get(&g, "Cookie", v, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    free(v);
    v = fl_asprintf("bearer   %s", t);
    m = get(&g, "X-Token", v, &st);
    CU_ASSERT_EQUAL(m->status, 200);
    kt_msg_free(&kt_rt, m);
    free(v);
    v = fl_asprintf("jwt=%s&jwt=%s", t, t);
    struct px_msg *req = kt_request("GET", "/api");
    req->query = v;
    expect(kt_pass_st(&g, "r", req, kt_answer(200, NULL), &st), 401,
           "{\"message\":\"Multiple tokens provided\"}");
    free(v);
    free(t);
    kt_gw_close(&g);
}

/* ---------------------------------------------------------------- errors */

static void test_kong_auth_errors(void)
{
    ASSERT_ERR(HEAD "consumers: [{tags: [a]}]\n",
               "kong.yaml:8:13: consumer: at least one of these fields must be non-empty: "
               "'custom_id', 'username'");
    ASSERT_ERR(HEAD "consumers: [{username: a}, {username: a}]\n",
               "kong.yaml:8:39: UNIQUE violation detected on '{username=\"a\"}'");
    ASSERT_ERR(HEAD "consumers:\n"
                    "  - {username: a, keyauth_credentials: [{key: k}]}\n"
                    "  - {username: b, keyauth_credentials: [{key: k}]}\n",
               "kong.yaml:10:47: UNIQUE violation detected on '{key=\"k\"}'");
    ASSERT_ERR(HEAD "consumers: [{username: a, jwt_secrets: [{key: k, algorithm: RS256}]}]\n",
               "kong.yaml:8:41: jwt credential 'k': RS256 needs an 'rsa_public_key'");
    ASSERT_ERR(HEAD "consumers: [{username: a, jwt_secrets: [{key: k}]}]\n",
               "kong.yaml:8:41: jwt credential 'k' needs a 'secret' for HS256 (Kong would make "
               "a random one nobody knows)");
    ASSERT_ERR(HEAD "keyauth_credentials: [{key: k, consumer: nobody}]\n",
               "kong.yaml:8:42: no consumer 'nobody' (consumers are named by id or username)");
    ASSERT_ERR(HEAD "consumers: [{username: a, basicauth_credentials: [{username: a}]}]\n",
               "kong.yaml:8:27: Kong's basicauth_credentials are not supported yet");
    ASSERT_ERR(HEAD "plugins: [{name: key-auth, config: {anonymous: ghost}}]\n",
               "kong.yaml:8:48: config.anonymous: no consumer 'ghost' (by id or username)");
    ASSERT_ERR(HEAD "plugins: [{name: key-auth, config: {key_in_body: true}}]\n",
               "kong.yaml:8:50: key-auth: key_in_body is not supported (faultline models "
               "bodies by their size only)");
    ASSERT_ERR(HEAD "plugins: [{name: jwt, config: {maximum_expiration: 60}}]\n",
               "kong.yaml:8:52: jwt: config.maximum_expiration above 0 needs 'exp' in "
               "config.claims_to_verify (Kong's entity check)");
    ASSERT_ERR(HEAD "plugins: [{name: basic-auth}]\n",
               "kong.yaml:8:18: plugin 'basic-auth' is not supported yet (key-auth and jwt "
               "are)");
}

/* Errors whose exact text comes from elsewhere (OpenSSL, the enum reader): where and what. */
static void test_kong_auth_error_prefixes(void)
{
    char *e = kt_parse_err(HEAD "consumers: [{username: a, jwt_secrets: [{key: k,"
                                " algorithm: RS256, rsa_public_key: nope}]}]\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT(!strncmp(e, "kong.yaml:8:", 12) && strstr(e, "rsa_public_key: invalid key"));
    free(e);
    e = kt_parse_err(HEAD "consumers: [{username: a, jwt_secrets: [{key: k, secret: s,"
                          " algorithm: PS256}]}]\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT(!strncmp(e, "kong.yaml:8:", 12) && strstr(e, "PS256"));
    free(e);
    e = kt_parse_err(HEAD "plugins: [{name: jwt, config: {claims_to_verify: [iat]}}]\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT(!strncmp(e, "kong.yaml:8:", 12) && strstr(e, "iat"));
    free(e);
}

void suite_kong_auth(void)
{
    TEST_SUITE("proxies/kong_auth");
    TEST_ADD(test_kong_auth_key_auth);
    TEST_ADD(test_kong_auth_key_auth_hides_and_names);
    TEST_ADD(test_kong_auth_acl_on_the_consumer);
    TEST_ADD(test_kong_auth_anonymous);
    TEST_ADD(test_kong_auth_jwt_valid);
    TEST_ADD(test_kong_auth_jwt_claims);
    TEST_ADD(test_kong_auth_jwt_attacks);
    TEST_ADD(test_kong_auth_jwt_places);
    TEST_ADD(test_kong_auth_errors);
    TEST_ADD(test_kong_auth_error_prefixes);
}
