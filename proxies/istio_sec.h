/*
 * istio_sec.h - Istio's identity and policy at a workload's inbound
 * sidecar (security.istio.io/v1beta1 and v1): PeerAuthentication
 * (istio_peerauthn.c), RequestAuthentication (istio_authn.c) and
 * AuthorizationPolicy (istio_authz.c), read from the users' files into
 * struct px_istio, then chosen for one workload (px_istio_sec_build) and
 * enforced by the proxy engine on every connection and request it accepts.
 *
 * Where they run: Istio enforces all three at the server side, in the
 * inbound sidecar of the pod a request is for, before the application
 * (istio.io "Security" concepts: "the server-side Envoy ... enforces
 * authorization"). The engine (proxy.c) asks px_istio_sec_refuses when it
 * accepts a connection (STRICT mTLS refuses plaintext: the connection is
 * reset, as Envoy closes a plaintext connection that matches no TLS filter
 * chain), then px_istio_sec_request on each request, before routing:
 * Envoy's inbound filter chain runs jwt_authn, then the RBAC filters, then
 * the router.
 *
 * Identity (the peer): the runtime's conn_principal op gives the client's
 * principal, "cluster.local/ns/NS/sa/SA" (its SPIFFE id without the
 * "spiffe://" prefix, as `principals` are written), or NULL for a
 * plaintext connection (a client without a sidecar).
 */
#ifndef FL_PROXIES_ISTIO_SEC_H
#define FL_PROXIES_ISTIO_SEC_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/config.h"
#include "proxies/edge.h"
#include "proxies/jwt.h"

/* The root namespace: a resource there without a selector is mesh-wide. */
#define PX_ISTIO_ROOT_NS "istio-system"

/* ---------------------------------------------------------------- PeerAuthentication */

enum px_mtls_mode { PX_MTLS_UNSET, PX_MTLS_DISABLE, PX_MTLS_PERMISSIVE, PX_MTLS_STRICT };

struct px_mtls_port {
    uint32_t port;
    enum px_mtls_mode mode;
};

struct px_istio_peerauthn {
    char *name, *ns, *at;
    struct px_label *selector; /* selector.matchLabels; none: namespace- or mesh-wide */
    size_t n_selector;
    enum px_mtls_mode mode;     /* mtls.mode (UNSET: inherit) */
    struct px_mtls_port *ports; /* portLevelMtls (needs a selector) */
    size_t n_ports;
};

/* ---------------------------------------------------------------- RequestAuthentication */

struct px_jwt_from_header {
    char *name, *prefix; /* prefix "" when none */
};

struct px_jwt_rule {
    char *issuer;
    char **audiences; /* none: the audience is not checked */
    size_t n_audiences;
    struct px_jwks jwks;
    struct px_jwt_from_header *from_headers; /* none given: Authorization "Bearer " */
    size_t n_from_headers;
    char **from_params; /* none given (and no fromHeaders): access_token */
    size_t n_from_params;
    char *output_payload_to_header; /* or NULL */
    int forward_original_token;
};

struct px_istio_reqauthn {
    char *name, *ns, *at;
    struct px_label *selector;
    size_t n_selector;
    struct px_jwt_rule *rules;
    size_t n_rules;
};

/* ---------------------------------------------------------------- AuthorizationPolicy */

/* Strings as Istio matches them: "abc" exact, "abc*" prefix, "*abc" suffix, "*" any present. */
struct px_strs {
    char **v;
    size_t n;
};

struct px_authz_source {
    struct px_strs principals, not_principals, req_principals, not_req_principals, namespaces,
        not_namespaces;
    struct px_cidr *ip, *not_ip; /* ipBlocks, notIpBlocks */
    size_t n_ip, n_not_ip;
    int has_ip, has_not_ip;
};

struct px_authz_op {
    struct px_strs methods, not_methods, paths, not_paths, hosts, not_hosts, ports, not_ports;
};

/* when: key, values, notValues. */
enum px_authz_key {
    PX_KEY_HEADER,    /* request.headers[NAME] */
    PX_KEY_SOURCE_IP, /* source.ip, remote.ip: CIDRs */
    PX_KEY_SOURCE_NS, /* source.namespace */
    PX_KEY_SOURCE_PR, /* source.principal */
    PX_KEY_REQ_PR,    /* request.auth.principal */
    PX_KEY_REQ_AUD,   /* request.auth.audiences */
    PX_KEY_REQ_AZP,   /* request.auth.presenter */
    PX_KEY_REQ_CLAIM, /* request.auth.claims[NAME] */
    PX_KEY_DEST_PORT, /* destination.port */
};

struct px_authz_cond {
    enum px_authz_key key;
    char *arg; /* the header's or the claim's name */
    struct px_strs values, not_values;
};

struct px_authz_rule {
    struct px_authz_source *from; /* any of them; none: any source */
    size_t n_from;
    struct px_authz_op *to; /* any of them; none: any operation */
    size_t n_to;
    struct px_authz_cond *when; /* all of them */
    size_t n_when;
};

enum px_authz_action { PX_AUTHZ_ALLOW, PX_AUTHZ_DENY, PX_AUTHZ_AUDIT, PX_AUTHZ_CUSTOM };

struct px_istio_authz {
    char *name, *ns, *at;
    struct px_label *selector;
    size_t n_selector;
    enum px_authz_action action;
    struct px_authz_rule *rules; /* none: matches no request (an ALLOW one then denies all) */
    size_t n_rules;
};

/* ---------------------------------------------------------------- one workload */

/*
 * What applies to one workload, borrowed from the resources (which must
 * outlive it): its mTLS mode (and per port), every RequestAuthentication
 * rule, and its DENY and ALLOW policies.
 */
struct px_istio_sec {
    enum px_mtls_mode mode; /* resolved: DISABLE, PERMISSIVE or STRICT */
    struct px_mtls_port *ports;
    size_t n_ports;
    const struct px_jwt_rule **rules;
    size_t n_rules;
    const struct px_istio_authz **deny, **allow, **audit;
    size_t n_deny, n_allow, n_audit;
};

/* What a request's check knows beside the request. */
struct px_sec_peer {
    const char *principal; /* the client's ("cluster.local/ns/NS/sa/SA"), NULL: plaintext */
    const char *ip;        /* the client's address (an IPv4 text), or NULL */
    uint32_t port;         /* the port the client dialled (0: unknown) */
    int64_t unix_s;        /* the wall clock, seconds since 1970 (token expiry) */
};

/* What the authentication found, for the authorization's checks. */
struct px_sec_auth {
    char *req_principal;      /* iss "/" sub (allocated), or NULL: no token */
    const struct px_jwt *jwt; /* its claims, or NULL */
};

struct px_istio; /* istio.h */

/*
 * What applies to a workload of namespace ns with these labels, from the
 * resources of n_layers sets, a later set's resource replacing an earlier
 * one's of the same kind, name and namespace (kubectl apply of a later
 * file; the simulator's policy faults are later sets): the
 * PeerAuthentication with a selector that selects it, else its namespace's
 * without one, else the root namespace's (UNSET inheriting from the next;
 * PERMISSIVE at the end), port by port for portLevelMtls; every
 * RequestAuthentication and AuthorizationPolicy that applies (selected,
 * its namespace's without selector, or the root namespace's without
 * selector). NULL when nothing applies but Istio's default (PERMISSIVE,
 * no policy): the engine then checks nothing.
 */
struct px_istio_sec *px_istio_sec_build(const struct px_istio *const *layers, size_t n_layers,
                                        const char *ns, const struct px_label *labels,
                                        size_t n_labels);
void px_istio_sec_free(struct px_istio_sec *s);

/* The mTLS mode for a connection to port (portLevelMtls, else the workload's). */
enum px_mtls_mode px_istio_sec_mode(const struct px_istio_sec *s, uint32_t port);

/* 1 when a connection to port from principal (NULL: plaintext) is refused (STRICT). */
int px_istio_sec_refuses(const struct px_istio_sec *s, uint32_t port, const char *principal);

/*
 * Checks a request at the inbound sidecar: its token (RequestAuthentication:
 * an invalid one is 401 with Envoy jwt_authn's text, none passes without a
 * request principal), then the AuthorizationPolicies (DENY, then ALLOW:
 * 403 "RBAC: access denied", flag UAEX). Returns NULL to let it through
 * (the request may have been changed: outputPayloadToHeader, the token
 * removed unless forwardOriginalToken), or the local response (caller owns
 * it, made with px_msg_new(rt)).
 */
struct px_msg *px_istio_sec_request(const struct px_istio_sec *s, struct px_rt *rt,
                                    const struct px_sec_peer *peer, struct px_msg *req);

/* ---- istio_authn.c ---- */

/*
 * Authenticates a request against the rules: 0 with *auth (a valid token:
 * t holds it decoded, auth->jwt points to it, auth->req_principal is
 * allocated) or with auth->req_principal NULL (no token); or 401 with
 * *why set to the body (Envoy jwt_authn's status text, static). The
 * caller frees auth->req_principal and px_jwt_free(t) in every case.
 */
int px_authn_check(const struct px_jwt_rule *const *rules, size_t n, int64_t unix_s,
                   struct px_msg *req, struct px_jwt *t, struct px_sec_auth *auth,
                   const char **why);
void px_jwt_rule_free(struct px_jwt_rule *r);
void px_istio_reqauthn_free(struct px_istio_reqauthn *a);

/* ---- istio_authz.c ---- */

/* Istio's string match: "*" any, "abc*" prefix, "*abc" suffix, else exact; s NULL never. */
int px_authz_str_match(const char *pattern, const char *s);

/* Whether policy a matches the request (any rule). */
int px_authz_matches(const struct px_istio_authz *a, const struct px_sec_peer *peer,
                     const struct px_msg *req, const struct px_sec_auth *auth);

/*
 * Istio's order: a DENY policy that matches denies; no ALLOW policy
 * allows; an ALLOW policy that matches allows; else deny. 1 allowed, 0
 * denied. (CUSTOM is refused when read; AUDIT changes nothing.)
 */
int px_authz_allows(const struct px_istio_sec *s, const struct px_sec_peer *peer,
                    const struct px_msg *req, const struct px_sec_auth *auth);
void px_istio_authz_free(struct px_istio_authz *a);

/* ---- istio_peerauthn.c ---- */
void px_istio_peerauthn_free(struct px_istio_peerauthn *p);

/* Whether a selector's labels all hold among a workload's (none: selects nothing here). */
int px_istio_selects(const struct px_label *sel, size_t n_sel, const struct px_label *labels,
                     size_t n_labels);

#endif
