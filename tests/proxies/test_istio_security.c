/*
 * test_istio_security.c - Istio's identity and policy at the inbound
 * sidecar (proxies/istio_sec.h): reading PeerAuthentication,
 * RequestAuthentication and AuthorizationPolicy (and refusing what is
 * malformed or not modeled, located), choosing what applies to a workload,
 * each match kind and not* field, `when` conditions, Istio's order of
 * evaluation, the token checks with Envoy's texts, and the 401 and 403
 * answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "proxies/istio.h"
#include "proxies/istio_sec.h"
#include "proxies/jwt.h"
#include "tests/proxies/istiotest.h"

void suite_istio_security(void);

/* ---- a runtime that makes messages (all px_istio_sec_request needs) ---- */

static struct px_msg *msg_new(struct px_rt *rt)
{
    (void)rt;
    struct px_msg *m = fl_calloc(1, sizeof *m);
    px_msg_init(m);
    return m;
}

static void msg_free(struct px_rt *rt, struct px_msg *m)
{
    (void)rt;
    px_msg_clear(m);
    free(m);
}

static const struct px_rt_ops msg_ops = {.msg_new = msg_new, .msg_free = msg_free};
static struct px_rt rt = {&msg_ops};

#define STOREFRONT "cluster.local/ns/default/sa/storefront"
#define NOW        1772355600 /* 2026-03-01T09:00:00Z */

/* the HS256 secret of the tests' JWK set, and the set (oct key, kid k1) */
static const char SECRET[] = "0123456789abcdef0123456789abcdef";
#define JWKS                                                                                       \
    "'{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"k1\","                               \
    "\"k\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\"}]}'"

static const struct px_label orders_labels[] = {{"app", "orders"}, {"version", "v1"}};

/* The security of a workload of namespace ns labelled app=orders, from text (m keeps it). */
static struct px_istio_sec *sec_for(struct px_istio *m, const char *text, const char *ns)
{
    it_add_ok(m, "sec.yaml", text);
    const struct px_istio *layers[] = {m};
    return px_istio_sec_build(layers, 1, ns, orders_labels, 2);
}

static struct px_msg *request(const char *method, const char *path)
{
    struct px_msg *m = msg_new(&rt);
    m->method = method;
    m->path = path;
    m->authority = "orders.default:80";
    return m;
}

static struct px_sec_peer peer(const char *principal)
{
    return (struct px_sec_peer){principal, "10.1.2.3", 80, NOW};
}

/* The status of req through s (0: let through); frees req; *body: the local answer's. */
static int check(const struct px_istio_sec *s, const struct px_sec_peer *p, struct px_msg *req,
                 char *body, size_t size, uint32_t *flags)
{
    struct px_msg *m = px_istio_sec_request(s, &rt, p, req);
    int status = m ? m->status : 0;
    if (body)
        snprintf(body, size, "%.*s", m ? (int)m->body_bytes : 0, m ? (const char *)m->body : "");
    if (flags) *flags = m ? m->flags : 0;
    if (m) msg_free(&rt, m);
    msg_free(&rt, req);
    return status;
}

static int status_of(const struct px_istio_sec *s, const char *principal, const char *method,
                     const char *path)
{
    struct px_sec_peer p = peer(principal);
    return check(s, &p, request(method, path), NULL, 0, NULL);
}

static char *policy(const char *name, const char *ns, const char *body)
{
    return fl_asprintf("apiVersion: security.istio.io/v1\n"
                       "kind: AuthorizationPolicy\n"
                       "metadata: {name: %s, namespace: %s}\n"
                       "spec:\n%s",
                       name, ns, body);
}

/* ---------------------------------------------------------------- matching */

static void test_sec_string_match_kinds(void)
{
    CU_ASSERT(px_authz_str_match("/orders", "/orders"));
    CU_ASSERT(!px_authz_str_match("/orders", "/orders/1"));
    CU_ASSERT(px_authz_str_match("/orders*", "/orders/1"));
    CU_ASSERT(px_authz_str_match("/orders*", "/orders"));
    CU_ASSERT(!px_authz_str_match("/orders*", "/order"));
    CU_ASSERT(px_authz_str_match("*/export", "/orders/export"));
    CU_ASSERT(!px_authz_str_match("*/export", "/orders/exports"));
    CU_ASSERT(px_authz_str_match("*", ""));
    CU_ASSERT(!px_authz_str_match("*", NULL)); /* presence: an absent value never matches */
    CU_ASSERT(!px_authz_str_match("/orders", NULL));
}

/* No resource, or only Istio's default mode: nothing to check at all. */
static void test_sec_nothing_applies(void)
{
    struct px_istio m;
    CU_ASSERT_PTR_NULL(sec_for(&m, "kind: List\napiVersion: v1\nitems: []\n", "default"));
    px_istio_free(&m);
    CU_ASSERT_PTR_NULL(sec_for(&m,
                               "apiVersion: security.istio.io/v1beta1\n"
                               "kind: PeerAuthentication\n"
                               "metadata: {name: default, namespace: istio-system}\n"
                               "spec: {mtls: {mode: PERMISSIVE}}\n",
                               "default"));
    px_istio_free(&m);
    /* another namespace's policy, and one selecting other workloads, do not apply */
    char *a = policy("other", "shop", "  rules: [{}]\n");
    CU_ASSERT_PTR_NULL(sec_for(&m, a, "default"));
    px_istio_free(&m);
    free(a);
    a = policy("other", "default", "  selector: {matchLabels: {app: payments}}\n  rules: [{}]\n");
    CU_ASSERT_PTR_NULL(sec_for(&m, a, "default"));
    px_istio_free(&m);
    free(a);
}

/* spec: {} denies every request; rules: [{}] allows every request; DENY without rules none. */
static void test_sec_empty_rules(void)
{
    struct px_istio m;
    char *a = policy("deny-all", "default", "  {}\n");
    struct px_istio_sec *s = sec_for(&m, a, "default");
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(status_of(s, STOREFRONT, "GET", "/"), 403);
    CU_ASSERT_EQUAL(status_of(s, NULL, "GET", "/"), 403);
    px_istio_sec_free(s);
    px_istio_free(&m);
    free(a);
    a = policy("allow-all", "istio-system", "  rules: [{}]\n");
    s = sec_for(&m, a, "default"); /* the root namespace's: mesh-wide */
    CU_ASSERT_EQUAL(status_of(s, NULL, "DELETE", "/x"), 0);
    px_istio_sec_free(s);
    px_istio_free(&m);
    free(a);
    a = policy("deny-none", "default", "  action: DENY\n");
    s = sec_for(&m, a, "default");
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(status_of(s, NULL, "GET", "/"), 0);
    px_istio_sec_free(s);
    px_istio_free(&m);
    free(a);
}

/* CUSTOM (refused) -> DENY -> no ALLOW: allow -> any ALLOW matches: allow -> deny. */
static void test_sec_evaluation_order(void)
{
    struct px_istio m;
    char *deny = policy("no-delete", "istio-system",
                        "  action: DENY\n  rules: [{to: [{operation: {methods: [DELETE]}}]}]\n");
    char *allow = policy("storefront-only", "default",
                         "  selector: {matchLabels: {app: orders}}\n"
                         "  rules: [{from: [{source: {principals: [\"" STOREFRONT "\"]}}]}]\n");
    char *audit = policy("audit", "default", "  action: AUDIT\n  rules: [{}]\n");
    char *both = fl_asprintf("%s---\n%s---\n%s", deny, allow, audit);
    struct px_istio_sec *s = sec_for(&m, deny, "default");
    CU_ASSERT_EQUAL(status_of(s, NULL, "GET", "/"), 0); /* DENY does not match, no ALLOW */
    CU_ASSERT_EQUAL(status_of(s, NULL, "DELETE", "/"), 403);
    px_istio_sec_free(s);
    px_istio_free(&m);
    s = sec_for(&m, both, "default");
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(s->n_deny, 1);
    CU_ASSERT_EQUAL(s->n_allow, 1);
    CU_ASSERT_EQUAL(s->n_audit, 1);
    CU_ASSERT_EQUAL(status_of(s, STOREFRONT, "GET", "/"), 0);      /* ALLOW matches */
    CU_ASSERT_EQUAL(status_of(s, STOREFRONT, "DELETE", "/"), 403); /* DENY first */
    CU_ASSERT_EQUAL(status_of(s, "cluster.local/ns/default/sa/reporting", "GET", "/"), 403);
    CU_ASSERT_EQUAL(status_of(s, NULL, "GET", "/"), 403); /* plaintext: no principal */
    px_istio_sec_free(s);
    px_istio_free(&m);
    free(both);
    /* AUDIT alone changes nothing: nothing to check */
    CU_ASSERT_PTR_NULL(sec_for(&m, audit, "default"));
    px_istio_free(&m);
    free(deny);
    free(allow);
    free(audit);
}

/* Each field of a source and of an operation, and each not* field. */
static void test_sec_source_and_operation_fields(void)
{
    static const struct {
        const char *rule, *principal, *method, *path;
        int port, status;
    } cases[] = {
        {"from: [{source: {principals: [\"*/sa/storefront\"]}}]", STOREFRONT, "GET", "/", 80, 0},
        {"from: [{source: {principals: [\"*/sa/storefront\"]}}]", NULL, "GET", "/", 80, 403},
        {"from: [{source: {notPrincipals: [\"" STOREFRONT "\"]}}]", STOREFRONT, "GET", "/", 80,
         403},
        {"from: [{source: {notPrincipals: [\"" STOREFRONT "\"]}}]", NULL, "GET", "/", 80, 0},
        {"from: [{source: {namespaces: [default]}}]", STOREFRONT, "GET", "/", 80, 0},
        {"from: [{source: {namespaces: [shop]}}]", STOREFRONT, "GET", "/", 80, 403},
        {"from: [{source: {notNamespaces: [\"def*\"]}}]", STOREFRONT, "GET", "/", 80, 403},
        {"from: [{source: {namespaces: [\"*\"]}}]", NULL, "GET", "/", 80, 403},
        {"from: [{source: {ipBlocks: [10.1.0.0/16]}}]", NULL, "GET", "/", 80, 0},
        {"from: [{source: {ipBlocks: [10.2.0.0/16, 10.1.2.4]}}]", NULL, "GET", "/", 80, 403},
        {"from: [{source: {notIpBlocks: [10.1.2.3]}}]", NULL, "GET", "/", 80, 403},
        {"from: [{source: {requestPrincipals: [\"*\"]}}]", STOREFRONT, "GET", "/", 80, 403},
        {"from: [{source: {notRequestPrincipals: [\"*\"]}}]", STOREFRONT, "GET", "/", 80, 0},
        {"to: [{operation: {methods: [GET, HEAD]}}]", NULL, "HEAD", "/", 80, 0},
        {"to: [{operation: {methods: [GET]}}]", NULL, "get", "/", 80, 403},
        {"to: [{operation: {notMethods: [POST]}}]", NULL, "GET", "/", 80, 0},
        {"to: [{operation: {paths: [\"/orders*\"]}}]", NULL, "GET", "/orders/7", 80, 0},
        {"to: [{operation: {paths: [\"*/export\"]}}]", NULL, "GET", "/orders/7", 80, 403},
        {"to: [{operation: {notPaths: [\"/admin*\"]}}]", NULL, "GET", "/admin/x", 80, 403},
        {"to: [{operation: {hosts: [\"ORDERS.default\"]}}]", NULL, "GET", "/", 80, 0},
        {"to: [{operation: {hosts: [\"*.svc.cluster.local\"]}}]", NULL, "GET", "/", 80, 403},
        {"to: [{operation: {notHosts: [\"orders*\"]}}]", NULL, "GET", "/", 80, 403},
        {"to: [{operation: {ports: [\"80\"]}}]", NULL, "GET", "/", 80, 0},
        {"to: [{operation: {ports: [\"8080\"]}}]", NULL, "GET", "/", 80, 403},
        {"to: [{operation: {notPorts: [\"80\"]}}]", NULL, "GET", "/", 80, 403},
        {"to: [{operation: {ports: [\"80\"]}}]", NULL, "GET", "/", 0, 403}, /* port unknown */
        /* fields of one source AND; sources of one rule OR; from and to AND */
        {"from: [{source: {principals: [\"" STOREFRONT "\"], namespaces: [shop]}}]", STOREFRONT,
         "GET", "/", 80, 403},
        {"from: [{source: {namespaces: [shop]}}, {source: {principals: [\"" STOREFRONT "\"]}}]",
         STOREFRONT, "GET", "/", 80, 0},
        {"from: [{source: {namespaces: [default]}}]\n    to: [{operation: {methods: [POST]}}]",
         STOREFRONT, "GET", "/", 80, 403},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = fl_asprintf("  rules:\n  - %s\n", cases[i].rule);
        char *text = policy("p", "default", body);
        struct px_istio m;
        struct px_istio_sec *s = sec_for(&m, text, "default");
        struct px_sec_peer p = peer(cases[i].principal);
        p.port = (uint32_t)cases[i].port;
        int got = check(s, &p, request(cases[i].method, cases[i].path), NULL, 0, NULL);
        if (got != cases[i].status)
            fprintf(stderr, "\n  case %zu: %s: %d\n", i, cases[i].rule, got);
        CU_ASSERT_EQUAL(got, cases[i].status);
        px_istio_sec_free(s);
        px_istio_free(&m);
        free(text);
        free(body);
    }
}

/* A token signed with the tests' secret, with these claims. */
static char *token(const char *claims)
{
    char err[128];
    struct px_jwt_key *k = px_jwt_key_secret(SECRET, strlen(SECRET));
    char *t = px_jwt_sign(PX_JWT_HS256, "k1", claims, k, err, sizeof err);
    px_jwt_key_free(k);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

static const char *const reqauthn =
    "apiVersion: security.istio.io/v1\n"
    "kind: RequestAuthentication\n"
    "metadata: {name: jwt, namespace: default}\n"
    "spec:\n"
    "  selector: {matchLabels: {app: orders}}\n"
    "  jwtRules:\n"
    "  - issuer: https://login.example.com\n"
    "    audiences: [orders]\n"
    "    jwks: " JWKS "\n"
    "    outputPayloadToHeader: x-jwt-payload\n"
    "  - issuer: partner\n"
    "    jwks: " JWKS "\n"
    "    fromHeaders: [{name: x-partner-token, prefix: \"Token \"}]\n"
    "    fromParams: [t]\n"
    "    forwardOriginalToken: true\n";

/* `when`: headers, source.namespace, claims (string and array), notValues, destination.port. */
static void test_sec_when_conditions(void)
{
    static const struct {
        const char *when;
        int status;
    } cases[] = {
        {"[{key: \"request.headers[x-tenant]\", values: [\"acme*\"]}]", 0},
        {"[{key: \"request.headers[x-tenant]\", notValues: [acme-eu]}]", 403},
        {"[{key: \"request.headers[x-missing]\", values: [\"*\"]}]", 403},
        {"[{key: source.namespace, values: [default]}]", 0},
        {"[{key: source.principal, values: [\"*/sa/storefront\"]}]", 0},
        {"[{key: source.ip, values: [10.0.0.0/8]}]", 0},
        {"[{key: request.auth.principal, values: [\"https://login.example.com/alice\"]}]", 0},
        {"[{key: \"request.auth.claims[groups]\", values: [admins]}]", 0},
        {"[{key: \"request.auth.claims[groups]\", values: [root]}]", 403},
        {"[{key: \"request.auth.claims[iss]\", notValues: [\"https://*\"]}]", 403},
        {"[{key: request.auth.audiences, values: [orders]}]", 0},
        {"[{key: request.auth.presenter, values: [\"*\"]}]", 403}, /* no azp claim */
        {"[{key: destination.port, values: [\"80\"]}, {key: source.namespace, values: [x]}]", 403},
        {"[{key: destination.port, values: [\"80\"]}]", 0},
    };
    char *tok = token("{\"iss\":\"https://login.example.com\",\"sub\":\"alice\","
                      "\"aud\":[\"orders\",\"audit\"],\"groups\":[\"staff\",\"admins\"]}");
    char *authz = fl_asprintf("Bearer %s", tok);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = fl_asprintf("  rules: [{when: %s}]\n", cases[i].when);
        char *ap = policy("p", "default", body);
        char *text = fl_asprintf("%s---\n%s", reqauthn, ap);
        struct px_istio m;
        struct px_istio_sec *s = sec_for(&m, text, "default");
        struct px_sec_peer p = peer(STOREFRONT);
        struct px_msg *req = request("GET", "/");
        px_msg_add_header(req, "authorization", authz);
        px_msg_add_header(req, "x-tenant", "acme-eu");
        int got = check(s, &p, req, NULL, 0, NULL);
        if (got != cases[i].status)
            fprintf(stderr, "\n  case %zu: %s: %d\n", i, cases[i].when, got);
        CU_ASSERT_EQUAL(got, cases[i].status);
        px_istio_sec_free(s);
        px_istio_free(&m);
        free(text);
        free(ap);
        free(body);
    }
    free(authz);
    free(tok);
}

/* ---------------------------------------------------------------- tokens */

/* The 401 body (or "" when let through) of a request carrying `header: value`. */
static int token_status(const struct px_istio_sec *s, const char *header, const char *value,
                        const char *query, char *body, size_t size)
{
    struct px_sec_peer p = peer(STOREFRONT);
    struct px_msg *req = request("GET", "/pay");
    if (header) px_msg_add_header(req, header, value);
    req->query = query;
    return check(s, &p, req, body, size, NULL);
}

static void test_sec_token_checks(void)
{
    static const struct {
        const char *claims;
        int64_t now;
        const char *body;
    } cases[] = {
        {"{\"iss\":\"https://login.example.com\",\"sub\":\"a\",\"aud\":\"orders\"}", NOW, ""},
        {"{\"iss\":\"https://evil.example.com\",\"aud\":\"orders\"}", NOW,
         "Jwt issuer is not configured"},
        {"{\"sub\":\"a\"}", NOW, "Jwt issuer is not configured"},
        {"{\"iss\":\"https://login.example.com\",\"aud\":\"billing\"}", NOW,
         "Audiences in Jwt are not allowed"},
        {"{\"iss\":\"https://login.example.com\"}", NOW, "Audiences in Jwt are not allowed"},
        /* Envoy's 60 s of clock skew either side */
        {"{\"iss\":\"partner\",\"exp\":1772355540}", NOW, ""},
        {"{\"iss\":\"partner\",\"exp\":1772355539}", NOW, "Jwt is expired"},
        {"{\"iss\":\"partner\",\"nbf\":1772355660}", NOW, ""},
        {"{\"iss\":\"partner\",\"nbf\":1772355661}", NOW, "Jwt not yet valid"},
        {"{\"iss\":\"partner\",\"exp\":\"soon\"}", NOW, "Jwt verification fails"},
    };
    struct px_istio m;
    struct px_istio_sec *s = sec_for(&m, reqauthn, "default");
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(s->n_rules, 2);
    char body[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *tok = token(cases[i].claims);
        char *v = fl_asprintf("Bearer %s", tok);
        char *pv = fl_asprintf("Token %s", tok);
        int partner = strstr(cases[i].claims, "partner") != NULL;
        int st = token_status(s, partner ? "x-partner-token" : "authorization", partner ? pv : v,
                              NULL, body, sizeof body);
        if (strcmp(body, cases[i].body)) fprintf(stderr, "\n  case %zu: %s\n", i, body);
        ASSERT_STR(body, cases[i].body);
        CU_ASSERT_EQUAL(st, *cases[i].body ? 401 : 0);
        free(pv);
        free(v);
        free(tok);
    }
    /* no token: let through (only a policy can demand one); a prefix that does not fit: none */
    CU_ASSERT_EQUAL(token_status(s, NULL, NULL, NULL, body, sizeof body), 0);
    CU_ASSERT_EQUAL(token_status(s, "authorization", "Basic YWxpY2U6cHc=", NULL, body, sizeof body),
                    0);
    /* malformed, forged, signed with another key, unknown kid, alg none */
    char *good = token("{\"iss\":\"partner\"}");
    char *forged = fl_strdup(good);
    forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
    char err[128];
    struct px_jwt_key *other = px_jwt_key_secret("another secret of 32 bytes here!", 32);
    char *wrong_key =
        px_jwt_sign(PX_JWT_HS256, "k1", "{\"iss\":\"partner\"}", other, err, sizeof err);
    char *wrong_kid =
        px_jwt_sign(PX_JWT_HS256, "k9", "{\"iss\":\"partner\"}", other, err, sizeof err);
    char *none = px_jwt_sign(PX_JWT_NONE, NULL, "{\"iss\":\"partner\"}", NULL, err, sizeof err);
    px_jwt_key_free(other);
    const struct {
        const char *tok, *body;
    } bad[] = {
        {"a.b", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"},
        {"e30.e30.!!", "Jwt verification fails"},
        {forged, "Jwt verification fails"},
        {wrong_key, "Jwt verification fails"},
        {wrong_kid, "Jwks doesn't have key to match kid or alg from Jwt"},
        {none, "Jwt verification fails"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *q = fl_asprintf("t=%s", bad[i].tok);
        CU_ASSERT_EQUAL(token_status(s, NULL, NULL, q, body, sizeof body), 401);
        ASSERT_STR(body, bad[i].body);
        free(q);
    }
    char *q = fl_asprintf("t=%s", good);
    CU_ASSERT_EQUAL(token_status(s, NULL, NULL, q, body, sizeof body), 0); /* fromParams */
    free(q);
    /* the first rule's defaults are Authorization: Bearer and access_token */
    char *dq = fl_asprintf("access_token=%s", forged);
    CU_ASSERT_EQUAL(token_status(s, NULL, NULL, dq, body, sizeof body), 401);
    free(dq);
    free(good);
    free(forged);
    free(wrong_key);
    free(wrong_kid);
    free(none);
    px_istio_sec_free(s);
    px_istio_free(&m);
}

/* 401 and 403 as Envoy answers them; what a valid token leaves on the request. */
static void test_sec_answers_and_forwarding(void)
{
    char *ap = policy("need-token", "default",
                      "  rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]\n");
    char *text = fl_asprintf("%s---\n%s", reqauthn, ap);
    struct px_istio m;
    struct px_istio_sec *s = sec_for(&m, text, "default");
    struct px_sec_peer p = peer(STOREFRONT);
    /* no token: 403 RBAC, flag UAEX */
    struct px_msg *req = request("GET", "/pay"), *resp;
    resp = px_istio_sec_request(s, &rt, &p, req);
    CU_ASSERT_FATAL(resp != NULL);
    CU_ASSERT_EQUAL(resp->status, 403);
    CU_ASSERT_EQUAL(resp->flags, PX_FLAG_UAEX);
    CU_ASSERT_EQUAL(resp->body_bytes, 19);
    CU_ASSERT(!memcmp(resp->body, "RBAC: access denied", 19));
    msg_free(&rt, resp);
    msg_free(&rt, req);
    /* a bad token: 401, Envoy's challenge, no flag */
    req = request("GET", "/pay");
    px_msg_add_header(req, "authorization", "Bearer a.b.c");
    resp = px_istio_sec_request(s, &rt, &p, req);
    CU_ASSERT_FATAL(resp != NULL);
    CU_ASSERT_EQUAL(resp->status, 401);
    CU_ASSERT_EQUAL(resp->flags, 0);
    ASSERT_STR(px_msg_header(resp, "www-authenticate"),
               "Bearer realm=\"http://orders.default:80/pay\", error=\"invalid_token\"");
    msg_free(&rt, resp);
    msg_free(&rt, req);
    /* a valid token: through, the token removed, the payload passed on */
    char *tok =
        token("{\"iss\":\"https://login.example.com\",\"sub\":\"alice\",\"aud\":\"orders\"}");
    char *v = fl_asprintf("Bearer %s", tok);
    req = request("GET", "/pay");
    px_msg_add_header(req, "authorization", v);
    CU_ASSERT_PTR_NULL(px_istio_sec_request(s, &rt, &p, req));
    CU_ASSERT_PTR_NULL(px_msg_header(req, "authorization"));
    const char *dot = strchr(tok, '.');
    char *payload = fl_strndup(dot + 1, (size_t)(strchr(dot + 1, '.') - dot - 1));
    ASSERT_STR(px_msg_header(req, "x-jwt-payload"), payload);
    msg_free(&rt, req);
    /* forwardOriginalToken keeps it */
    char *ptok = token("{\"iss\":\"partner\",\"sub\":\"p\"}");
    char *pv = fl_asprintf("Token %s", ptok);
    req = request("GET", "/pay");
    px_msg_add_header(req, "x-partner-token", pv);
    CU_ASSERT_PTR_NULL(px_istio_sec_request(s, &rt, &p, req));
    ASSERT_STR(px_msg_header(req, "x-partner-token"), pv);
    CU_ASSERT_PTR_NULL(px_msg_header(req, "x-jwt-payload"));
    msg_free(&rt, req);
    free(pv);
    free(ptok);
    free(payload);
    free(v);
    free(tok);
    px_istio_sec_free(s);
    px_istio_free(&m);
    free(text);
    free(ap);
}

/* ---------------------------------------------------------------- mTLS */

static char *peerauthn(const char *name, const char *ns, const char *spec)
{
    return fl_asprintf("apiVersion: security.istio.io/v1beta1\n"
                       "kind: PeerAuthentication\n"
                       "metadata: {name: %s, namespace: %s}\n"
                       "spec: %s\n",
                       name, ns, spec);
}

static void test_sec_peer_authentication(void)
{
    static const struct {
        const char *mesh, *ns, *wl;
        int mode, port8080;
    } cases[] = {
        {"{mtls: {mode: STRICT}}", NULL, NULL, PX_MTLS_STRICT, PX_MTLS_STRICT},
        {"{mtls: {mode: STRICT}}", "{mtls: {mode: PERMISSIVE}}", NULL, PX_MTLS_PERMISSIVE,
         PX_MTLS_PERMISSIVE},
        {"{mtls: {mode: STRICT}}", "{mtls: {mode: UNSET}}", NULL, PX_MTLS_STRICT, PX_MTLS_STRICT},
        {"{mtls: {mode: STRICT}}", "{}", "{selector: {matchLabels: {app: orders}}}", PX_MTLS_STRICT,
         PX_MTLS_STRICT},
        {NULL, "{mtls: {mode: STRICT}}",
         "{selector: {matchLabels: {app: orders}}, mtls: {mode: DISABLE}}", PX_MTLS_DISABLE,
         PX_MTLS_DISABLE},
        {NULL, NULL,
         "{selector: {matchLabels: {app: orders}}, mtls: {mode: STRICT}, portLevelMtls: {8080: "
         "{mode: PERMISSIVE}}}",
         PX_MTLS_STRICT, PX_MTLS_PERMISSIVE},
        {"{mtls: {mode: DISABLE}}", NULL,
         "{selector: {matchLabels: {app: orders}}, portLevelMtls: {8080: {mode: STRICT}, 9090: "
         "{}}}",
         PX_MTLS_DISABLE, PX_MTLS_STRICT},
        {NULL, NULL, "{selector: {matchLabels: {app: payments}}, mtls: {mode: STRICT}}",
         PX_MTLS_PERMISSIVE, PX_MTLS_PERMISSIVE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* a List of the resources given */
        char *a = cases[i].mesh ? fl_asprintf("- {apiVersion: security.istio.io/v1, kind: "
                                              "PeerAuthentication, metadata: {name: mesh, "
                                              "namespace: istio-system}, spec: %s}\n",
                                              cases[i].mesh)
                                : fl_strdup("");
        char *b = cases[i].ns ? fl_asprintf("- {apiVersion: security.istio.io/v1, kind: "
                                            "PeerAuthentication, metadata: {name: ns}, spec: %s}\n",
                                            cases[i].ns)
                              : fl_strdup("");
        char *c = cases[i].wl ? fl_asprintf("- {apiVersion: security.istio.io/v1, kind: "
                                            "PeerAuthentication, metadata: {name: wl}, spec: %s}\n",
                                            cases[i].wl)
                              : fl_strdup("");
        char *text = fl_asprintf("apiVersion: v1\nkind: List\nitems:\n%s%s%s", a, b, c);
        struct px_istio m;
        struct px_istio_sec *s = sec_for(&m, text, "default");
        CU_ASSERT_EQUAL(px_istio_sec_mode(s, 80), cases[i].mode);
        CU_ASSERT_EQUAL(px_istio_sec_mode(s, 8080), cases[i].port8080);
        CU_ASSERT_EQUAL(px_istio_sec_mode(s, 9090), cases[i].mode); /* UNSET: the workload's */
        CU_ASSERT_EQUAL(px_istio_sec_refuses(s, 80, NULL), cases[i].mode == PX_MTLS_STRICT);
        CU_ASSERT_EQUAL(px_istio_sec_refuses(s, 80, STOREFRONT), 0);
        px_istio_sec_free(s);
        px_istio_free(&m);
        free(text);
        free(a);
        free(b);
        free(c);
    }
}

/* DISABLE: the connection is plaintext, so the client's principal is not known. */
static void test_sec_disable_hides_the_principal(void)
{
    char *pa = peerauthn("wl", "default",
                         "{selector: {matchLabels: {app: orders}}, mtls: {mode: DISABLE}}");
    char *ap = policy("p", "default",
                      "  rules: [{from: [{source: {principals: [\"" STOREFRONT "\"]}}]}]\n");
    char *text = fl_asprintf("%s---\n%s", pa, ap);
    struct px_istio m;
    struct px_istio_sec *s = sec_for(&m, text, "default");
    CU_ASSERT_EQUAL(status_of(s, STOREFRONT, "GET", "/"), 403);
    px_istio_sec_free(s);
    px_istio_free(&m);
    free(text);
    free(ap);
    free(pa);
}

/* A later set replaces a resource of the same kind, name and namespace (a policy rollout). */
static void test_sec_layers_replace(void)
{
    char *a = policy("callers", "default",
                     "  rules: [{from: [{source: {principals: [\"" STOREFRONT "\"]}}]}]\n");
    char *b = policy("callers", "default",
                     "  rules: [{from: [{source: {principals: [\"*/sa/store-front\"]}}]}]\n");
    struct px_istio m1, m2;
    it_add_ok(&m1, "a.yaml", a);
    it_add_ok(&m2, "b.yaml", b);
    const struct px_istio *one[] = {&m1}, *two[] = {&m1, &m2};
    struct px_istio_sec *s = px_istio_sec_build(one, 1, "default", orders_labels, 2);
    CU_ASSERT_EQUAL(status_of(s, STOREFRONT, "GET", "/"), 0);
    px_istio_sec_free(s);
    s = px_istio_sec_build(two, 2, "default", orders_labels, 2);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(s->n_allow, 1);
    CU_ASSERT_EQUAL(status_of(s, STOREFRONT, "GET", "/"), 403);
    px_istio_sec_free(s);
    px_istio_free(&m1);
    px_istio_free(&m2);
    free(a);
    free(b);
}

/* ---------------------------------------------------------------- refused */

static void test_sec_refused_located(void)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {action: REJECT}\n",
         "sec.yaml:4:16: action: unknown value 'REJECT' (one of ALLOW, DENY, AUDIT, CUSTOM)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {action: CUSTOM, provider: {name: ext}}\n",
         "sec.yaml:4:16: AuthorizationPolicy 'a': action CUSTOM is not supported: it needs an "
         "external authorizer (an extensionProvider), which faultline does not run (--lenient "
         "leaves it out with a warning)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{form: []}]}\n",
         "sec.yaml:4:17: unknown key 'form' in rule (did you mean 'from'?)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{from: [{source: {ipBlocks: [10.0.0.300]}}]}]}\n",
         "sec.yaml:4:45: AuthorizationPolicy 'a': ipBlocks '10.0.0.300' is not an IPv4 address "
         "or CIDR block (a.b.c.d or a.b.c.d/n)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{to: [{operation: {paths: [\"/a/{*}\"]}}]}]}\n",
         "sec.yaml:4:43: AuthorizationPolicy 'a': paths '/a/{*}': path templates ({*}, {**}) are "
         "not supported yet"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{to: [{operation: {paths: [\"/a*b\"]}}]}]}\n",
         "sec.yaml:4:43: AuthorizationPolicy 'a': paths '/a*b': '*' may only begin or end a "
         "value (exact, \"abc*\" prefix, \"*abc\" suffix, \"*\" present)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{from: [{source: {}}]}]}\n",
         "sec.yaml:4:33: AuthorizationPolicy 'a': a source needs at least one field"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{when: [{key: request.time, values: [x]}]}]}\n",
         "sec.yaml:4:30: AuthorizationPolicy 'a': when key 'request.time' is not supported "
         "(supported: request.headers[NAME], source.ip, remote.ip, source.namespace, "
         "source.principal, request.auth.principal, request.auth.audiences, "
         "request.auth.presenter, request.auth.claims[NAME], destination.port)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{when: [{key: \"request.auth.claims[a][b]\", values: [x]}]}]}\n",
         "sec.yaml:4:30: AuthorizationPolicy 'a': when key 'request.auth.claims[a][b]': "
         "request.auth.claims[ names one claim in brackets (nested claims [a][b] are not "
         "supported yet)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{to: [{operation: {ports: [http]}}]}]}\n",
         "sec.yaml:4:43: AuthorizationPolicy 'a': ports 'http' is not a port (1-65535)"},
        {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\n"
         "spec: {rules: [{from: [{source: {remoteIpBlocks: [1.2.3.4]}}]}]}\n",
         "sec.yaml:4:34: AuthorizationPolicy 'a': remoteIpBlocks is not supported yet"},
        {"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
         "spec: {portLevelMtls: {8080: {mode: STRICT}}}\n",
         "sec.yaml:4:8: PeerAuthentication 'p': portLevelMtls needs a selector "
         "(selector.matchLabels): port-level mTLS applies to selected workloads only"},
        {"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
         "spec: {mtls: {mode: strict}}\n",
         "sec.yaml:4:21: mtls.mode: unknown value 'strict' (one of UNSET, DISABLE, PERMISSIVE, "
         "STRICT)"},
        {"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
         "spec: {selector: {matchLabels: {app: a}}, portLevelMtls: {0: {mode: STRICT}}}\n",
         "sec.yaml:4:59: portLevelMtls port must be between 1 and 65535, not 0"},
        {"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r}\n"
         "spec: {jwtRules: [{issuer: i, jwksUri: \"https://i/keys\"}]}\n",
         "sec.yaml:4:31: RequestAuthentication 'r': jwksUri is not supported: faultline fetches "
         "nothing from the network; give the key set inline with `jwks` (faultline token --jwks "
         "makes one)"},
        {"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r}\n"
         "spec: {jwtRules: [{issuer: i}]}\n",
         "sec.yaml:4:19: RequestAuthentication 'r': a jwtRule needs `jwks` (the JWK set "
         "inline): without it Istio fetches the keys from the issuer, and faultline fetches "
         "nothing"},
        {"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r}\n"
         "spec: {jwtRules: [{issuer: i, jwks: '{\"keys\":[]}'}]}\n",
         "sec.yaml:4:37: RequestAuthentication 'r': jwks: JWKS has no RSA, EC or oct key"},
        {"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r}\n"
         "spec: {jwtRules: [{jwks: x}]}\n",
         "sec.yaml:4:19: jwtRule needs 'issuer'"},
        {"apiVersion: security.istio.io/v2\nkind: RequestAuthentication\nmetadata: {name: r}\n"
         "spec: {}\n",
         "sec.yaml:1:13: apiVersion: unknown value 'security.istio.io/v2' (did you mean "
         "'security.istio.io/v1'? one of security.istio.io/v1beta1, security.istio.io/v1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = it_add_err("sec.yaml", cases[i].text);
        if (strcmp(err, cases[i].err)) fprintf(stderr, "\n  case %zu", i);
        ASSERT_STR(err, cases[i].err);
        free(err);
    }
}

/* --lenient: CUSTOM is left out with a warning, never silently. */
static void test_sec_custom_lenient(void)
{
    struct px_istio m = {0};
    m.lenient = 1;
    char *err = it_add(&m, "sec.yaml",
                       "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
                       "metadata: {name: a}\nspec: {action: CUSTOM, provider: {name: ext}}\n");
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_EQUAL(m.n_authzs, 0);
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 1);
    ASSERT_STR(
        m.warnings[0],
        "sec.yaml:4:16: AuthorizationPolicy 'a': action CUSTOM is not supported: it needs an "
        "external authorizer (an extensionProvider), which faultline does not run; left "
        "out (--lenient)");
    px_istio_free(&m);
    free(err);
}

void suite_istio_security(void)
{
    TEST_SUITE("proxies/istio_security");
    TEST_ADD(test_sec_string_match_kinds);
    TEST_ADD(test_sec_nothing_applies);
    TEST_ADD(test_sec_empty_rules);
    TEST_ADD(test_sec_evaluation_order);
    TEST_ADD(test_sec_source_and_operation_fields);
    TEST_ADD(test_sec_when_conditions);
    TEST_ADD(test_sec_token_checks);
    TEST_ADD(test_sec_answers_and_forwarding);
    TEST_ADD(test_sec_peer_authentication);
    TEST_ADD(test_sec_disable_hides_the_principal);
    TEST_ADD(test_sec_layers_replace);
    TEST_ADD(test_sec_refused_located);
    TEST_ADD(test_sec_custom_lenient);
}
