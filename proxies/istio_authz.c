/*
 * istio_authz.c - the AuthorizationPolicy resource (istio/api
 * security/v1beta1 authorization.proto; istio.io/latest/docs/reference/
 * config/security/authorization-policy/): reading it, matching a request,
 * Istio's order of evaluation, and the inbound sidecar's whole check of a
 * request (px_istio_sec_request: RequestAuthentication, then the
 * policies).
 *
 * Read: selector.matchLabels; action ALLOW (the default), DENY, AUDIT
 * (read; it changes no decision), CUSTOM (refused: it needs an external
 * authorizer, an extensionProvider faultline does not run); rules[]
 * {from[] {source: principals, notPrincipals, requestPrincipals,
 * notRequestPrincipals, namespaces, notNamespaces, ipBlocks,
 * notIpBlocks}, to[] {operation: methods, notMethods, paths, notPaths,
 * hosts, notHosts, ports, notPorts}, when[] {key, values, notValues}}.
 * Keys of `when`: request.headers[NAME], source.ip, remote.ip (the same
 * here: no proxy in front adds X-Forwarded-For), source.namespace,
 * source.principal, request.auth.principal, request.auth.audiences,
 * request.auth.presenter, request.auth.claims[NAME] (a top-level claim),
 * destination.port. Refused by name: remoteIpBlocks, serviceAccounts,
 * path templates ({*}, {**}), nested claims, other keys.
 *
 * Matching (authorization.proto): "a match occurs when at least one rule
 * matches the request"; in a rule "from", "to" and "when" must all match,
 * any one source of `from` and any one operation of `to` (none given:
 * any); every condition of `when`. In a source or an operation every field
 * given must match, a field matching when any of its values does; a not*
 * field matches when none does. Strings (the proto, "Istio supports exact,
 * prefix, suffix and presence match"): "abc" exact, "abc*" prefix, "*abc"
 * suffix, "*" any value that is present. Hosts match without regard to
 * case, and without the port of the Host header. A value that is absent
 * (no principal on a plaintext connection, no request principal without a
 * token) matches no value, so a not* field holds for it, as Envoy's RBAC
 * evaluates `not` of a principal that cannot match. source.namespace is
 * the namespace of the peer's principal (cluster.local/ns/NS/sa/SA).
 *
 * Deciding (authorization.proto): CUSTOM first (none here), then "If there
 * are any DENY policies that match the request, deny the request. If there
 * are no ALLOW policies for the workload, allow the request. If any of the
 * ALLOW policies match the request, allow the request. Deny the request."
 * A policy without rules matches nothing: an ALLOW one denies every
 * request, a DENY one none; `rules: [{}]` matches every request.
 *
 * Denied: 403 "RBAC: access denied", the body of Envoy's RBAC filter.
 * Envoy sets no response flag for it (envoyproxy/envoy#21197; its response
 * code details say rbac_access_denied_matched_policy[...]); faultline marks
 * the response UAEX, Envoy's flag for a request an authorization filter
 * (ext_authz) refused, so that the report tells a policy's 403 from the
 * application's.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"
#include "proxies/istio_sec.h"

static void strs_free(struct px_strs *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

void px_istio_authz_free(struct px_istio_authz *a)
{
    free(a->name);
    free(a->ns);
    free(a->at);
    px_istio_labels_free(a->selector, a->n_selector);
    for (size_t i = 0; i < a->n_rules; i++) {
        struct px_authz_rule *r = &a->rules[i];
        for (size_t k = 0; k < r->n_from; k++) {
            struct px_authz_source *s = &r->from[k];
            struct px_strs *all[] = {&s->principals,     &s->not_principals,
                                     &s->req_principals, &s->not_req_principals,
                                     &s->namespaces,     &s->not_namespaces};
            for (size_t j = 0; j < sizeof all / sizeof all[0]; j++) strs_free(all[j]);
            free(s->ip);
            free(s->not_ip);
        }
        free(r->from);
        for (size_t k = 0; k < r->n_to; k++) {
            struct px_authz_op *o = &r->to[k];
            struct px_strs *all[] = {&o->methods, &o->not_methods, &o->paths, &o->not_paths,
                                     &o->hosts,   &o->not_hosts,   &o->ports, &o->not_ports};
            for (size_t j = 0; j < sizeof all / sizeof all[0]; j++) strs_free(all[j]);
        }
        free(r->to);
        for (size_t k = 0; k < r->n_when; k++) {
            free(r->when[k].arg);
            strs_free(&r->when[k].values);
            strs_free(&r->when[k].not_values);
        }
        free(r->when);
    }
    free(a->rules);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- reading */

enum val_kind { VAL_STRING, VAL_PATH, VAL_PORT, VAL_CIDR };

/* One value: a pattern with '*' only at an end; a path without templates; a port; a CIDR. */
static int check_value(struct ip *c, const yaml_node_t *n, const char *what, const char *v,
                       enum val_kind kind)
{
    struct px_cidr cidr;
    size_t len = strlen(v);
    if (kind == VAL_CIDR)
        return px_cidr_parse(v, &cidr) ? fl_y_error(c->d, n,
                                                    "%s: %s '%s' is not an IPv4 address or "
                                                    "CIDR block (a.b.c.d or a.b.c.d/n)",
                                                    c->what, what, v)
                                       : 0;
    if (!len) return fl_y_error(c->d, n, "%s: %s has an empty value", c->what, what);
    if (kind == VAL_PATH && (strstr(v, "{*}") || strstr(v, "{**}")))
        return fl_y_error(c->d, n, "%s: %s '%s': path templates ({*}, {**}) are not supported yet",
                          c->what, what, v);
    if (len > 1 && strchr(v + 1, '*') && strchr(v + 1, '*') != v + len - 1)
        return fl_y_error(c->d, n,
                          "%s: %s '%s': '*' may only begin or end a value (exact, \"abc*\" prefix, "
                          "\"*abc\" suffix, \"*\" present)",
                          c->what, what, v);
    if (kind == VAL_PORT) {
        char *end;
        long p = strtol(v, &end, 10);
        if (*end || p < 1 || p > 65535 || !isdigit((unsigned char)v[0]))
            return fl_y_error(c->d, n, "%s: %s '%s' is not a port (1-65535)", c->what, what, v);
    }
    return 0;
}

static int read_strs(struct ip *c, const yaml_node_t *m, const char *key, enum val_kind kind,
                     struct px_strs *out, int *given)
{
    yaml_node_t *n = fl_y_get(c->d, m, key);
    size_t k;
    if (!n) return 0;
    if (px_istio_str_items(c, n, key, &k)) return -1;
    if (!k)
        return fl_y_error(c->d, n, "%s: %s is empty (leave it out to match anything)", c->what,
                          key);
    out->v = fl_calloc(k + 1, sizeof *out->v);
    for (size_t i = 0; i < k; i++) {
        yaml_node_t *item = px_istio_item(c, n, i);
        if (check_value(c, item, key, fl_y_str(item), kind)) return -1;
        out->v[out->n++] = fl_strdup(fl_y_str(item));
    }
    *given = 1;
    return 0;
}

static int read_cidrs(struct ip *c, const yaml_node_t *m, const char *key, struct px_cidr **out,
                      size_t *n, int *given)
{
    struct px_strs s = {0};
    if (read_strs(c, m, key, VAL_CIDR, &s, given)) {
        strs_free(&s);
        return -1;
    }
    *out = fl_calloc(s.n + 1, sizeof **out);
    for (size_t i = 0; i < s.n; i++) px_cidr_parse(s.v[i], &(*out)[i]);
    *n = s.n;
    strs_free(&s);
    return 0;
}

static int parse_source(struct ip *c, const yaml_node_t *item, struct px_authz_source *s)
{
    /* clang-format off */
    static const char *const keys[] = {
        "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
        "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks",
        "serviceAccounts", "notServiceAccounts", NULL};
    /* clang-format on */
    static const char *const item_keys[] = {"source", NULL};
    yaml_node_t *n = fl_y_get(c->d, item, "source");
    int given = 0;
    if (fl_y_want_map(c->d, item, "a from item") ||
        fl_y_check_keys(c->d, item, item_keys, item_keys, "from item") ||
        fl_y_want_map(c->d, n, "source") || fl_y_check_keys(c->d, n, keys, NULL, "source") ||
        px_istio_refuse(c, n, "remoteIpBlocks", "remoteIpBlocks") ||
        px_istio_refuse(c, n, "notRemoteIpBlocks", "notRemoteIpBlocks") ||
        px_istio_refuse(c, n, "serviceAccounts", "serviceAccounts") ||
        px_istio_refuse(c, n, "notServiceAccounts", "notServiceAccounts") ||
        read_strs(c, n, "principals", VAL_STRING, &s->principals, &given) ||
        read_strs(c, n, "notPrincipals", VAL_STRING, &s->not_principals, &given) ||
        read_strs(c, n, "requestPrincipals", VAL_STRING, &s->req_principals, &given) ||
        read_strs(c, n, "notRequestPrincipals", VAL_STRING, &s->not_req_principals, &given) ||
        read_strs(c, n, "namespaces", VAL_STRING, &s->namespaces, &given) ||
        read_strs(c, n, "notNamespaces", VAL_STRING, &s->not_namespaces, &given) ||
        read_cidrs(c, n, "ipBlocks", &s->ip, &s->n_ip, &s->has_ip) ||
        read_cidrs(c, n, "notIpBlocks", &s->not_ip, &s->n_not_ip, &s->has_not_ip))
        return -1;
    if (!given && !s->has_ip && !s->has_not_ip)
        return fl_y_error(c->d, n, "%s: a source needs at least one field", c->what);
    return 0;
}

static int parse_op(struct ip *c, const yaml_node_t *item, struct px_authz_op *o)
{
    static const char *const keys[] = {"hosts",      "notHosts", "ports",    "notPorts", "methods",
                                       "notMethods", "paths",    "notPaths", NULL};
    static const char *const item_keys[] = {"operation", NULL};
    yaml_node_t *n = fl_y_get(c->d, item, "operation");
    int given = 0;
    if (fl_y_want_map(c->d, item, "a to item") ||
        fl_y_check_keys(c->d, item, item_keys, item_keys, "to item") ||
        fl_y_want_map(c->d, n, "operation") || fl_y_check_keys(c->d, n, keys, NULL, "operation") ||
        read_strs(c, n, "hosts", VAL_STRING, &o->hosts, &given) ||
        read_strs(c, n, "notHosts", VAL_STRING, &o->not_hosts, &given) ||
        read_strs(c, n, "ports", VAL_PORT, &o->ports, &given) ||
        read_strs(c, n, "notPorts", VAL_PORT, &o->not_ports, &given) ||
        read_strs(c, n, "methods", VAL_STRING, &o->methods, &given) ||
        read_strs(c, n, "notMethods", VAL_STRING, &o->not_methods, &given) ||
        read_strs(c, n, "paths", VAL_PATH, &o->paths, &given) ||
        read_strs(c, n, "notPaths", VAL_PATH, &o->not_paths, &given))
        return -1;
    if (!given) return fl_y_error(c->d, n, "%s: an operation needs at least one field", c->what);
    return 0;
}

/* "request.headers[x-user]" -> PX_KEY_HEADER, arg "x-user". */
static int parse_key(struct ip *c, const yaml_node_t *n, const char *key,
                     struct px_authz_cond *cond)
{
    static const struct {
        const char *name;
        enum px_authz_key key;
    } plain[] = {{"source.ip", PX_KEY_SOURCE_IP},
                 {"remote.ip", PX_KEY_SOURCE_IP},
                 {"source.namespace", PX_KEY_SOURCE_NS},
                 {"source.principal", PX_KEY_SOURCE_PR},
                 {"request.auth.principal", PX_KEY_REQ_PR},
                 {"request.auth.audiences", PX_KEY_REQ_AUD},
                 {"request.auth.presenter", PX_KEY_REQ_AZP},
                 {"destination.port", PX_KEY_DEST_PORT}};
    static const struct {
        const char *prefix;
        enum px_authz_key key;
    } indexed[] = {{"request.headers[", PX_KEY_HEADER}, {"request.auth.claims[", PX_KEY_REQ_CLAIM}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!strcmp(key, plain[i].name)) {
            cond->key = plain[i].key;
            return 0;
        }
    for (size_t i = 0; i < 2; i++) {
        size_t lp = strlen(indexed[i].prefix), len = strlen(key);
        if (strncmp(key, indexed[i].prefix, lp)) continue;
        const char *close = strchr(key + lp, ']');
        if (!close || close == key + lp || close != key + len - 1)
            return fl_y_error(c->d, n,
                              "%s: when key '%s': %s names one %s in brackets (nested claims "
                              "[a][b] are not supported yet)",
                              c->what, key, indexed[i].prefix, i ? "claim" : "header");
        cond->key = indexed[i].key;
        cond->arg = fl_strndup(key + lp, (size_t)(close - key - lp));
        return 0;
    }
    return fl_y_error(c->d, n,
                      "%s: when key '%s' is not supported (supported: request.headers[NAME], "
                      "source.ip, remote.ip, source.namespace, source.principal, "
                      "request.auth.principal, request.auth.audiences, request.auth.presenter, "
                      "request.auth.claims[NAME], destination.port)",
                      c->what, key);
}

static int parse_cond(struct ip *c, const yaml_node_t *n, struct px_authz_cond *cond)
{
    static const char *const keys[] = {"key", "values", "notValues", NULL};
    static const char *const req[] = {"key", NULL};
    const char *key;
    int given = 0;
    if (fl_y_want_map(c->d, n, "a when condition") ||
        fl_y_check_keys(c->d, n, keys, req, "when condition") ||
        fl_y_string(c->d, fl_y_get(c->d, n, "key"), "when key", &key) ||
        parse_key(c, fl_y_get(c->d, n, "key"), key, cond))
        return -1;
    enum val_kind kind = cond->key == PX_KEY_SOURCE_IP   ? VAL_CIDR
                         : cond->key == PX_KEY_DEST_PORT ? VAL_PORT
                                                         : VAL_STRING;
    if (read_strs(c, n, "values", kind, &cond->values, &given) ||
        read_strs(c, n, "notValues", kind, &cond->not_values, &given))
        return -1;
    if (!given) return fl_y_error(c->d, n, "%s: when '%s' needs values or notValues", c->what, key);
    return 0;
}

/* A list of mappings into an array of `size`-byte items, each read by fn. */
static int parse_list(struct ip *c, const yaml_node_t *m, const char *key, void **out, size_t *n,
                      size_t size, int (*fn)(struct ip *, const yaml_node_t *, void *))
{
    yaml_node_t *x = fl_y_get(c->d, m, key);
    if (!x) return 0;
    if (fl_y_want_seq(c->d, x, key)) return -1;
    *out = fl_calloc(SEQ_COUNT(x) + 1, size);
    for (size_t i = 0; i < SEQ_COUNT(x); i++) {
        (*n)++; /* freed with the rest, read whole or not */
        if (fn(c, px_istio_item(c, x, i), (char *)*out + i * size)) return -1;
    }
    return 0;
}

static int source_fn(struct ip *c, const yaml_node_t *n, void *o)
{
    return parse_source(c, n, o);
}
static int op_fn(struct ip *c, const yaml_node_t *n, void *o)
{
    return parse_op(c, n, o);
}
static int cond_fn(struct ip *c, const yaml_node_t *n, void *o)
{
    return parse_cond(c, n, o);
}

static int rule_fn(struct ip *c, const yaml_node_t *n, void *o)
{
    static const char *const keys[] = {"from", "to", "when", NULL};
    struct px_authz_rule *r = o;
    if (fl_y_want_map(c->d, n, "a rule") || fl_y_check_keys(c->d, n, keys, NULL, "rule")) return -1;
    return parse_list(c, n, "from", (void **)&r->from, &r->n_from, sizeof *r->from, source_fn) ||
                   parse_list(c, n, "to", (void **)&r->to, &r->n_to, sizeof *r->to, op_fn) ||
                   parse_list(c, n, "when", (void **)&r->when, &r->n_when, sizeof *r->when, cond_fn)
               ? -1
               : 0;
}

static int authz_body(struct ip *c, const yaml_node_t *spec, struct px_istio_authz *a)
{
    static const char *const actions[] = {"ALLOW", "DENY", "AUDIT", "CUSTOM", NULL};
    yaml_node_t *x;
    int action = PX_AUTHZ_ALLOW;
    if ((x = fl_y_get(c->d, spec, "selector")) &&
        px_istio_parse_match_labels(c, x, &a->selector, &a->n_selector))
        return -1;
    if ((x = fl_y_get(c->d, spec, "action")) && fl_y_enum(c->d, x, "action", actions, &action))
        return -1;
    a->action = (enum px_authz_action)action;
    if (fl_y_get(c->d, spec, "provider") && a->action != PX_AUTHZ_CUSTOM)
        return fl_y_error(c->d, fl_y_get_key(c->d, spec, "provider"),
                          "%s: provider is for action CUSTOM only", c->what);
    return parse_list(c, spec, "rules", (void **)&a->rules, &a->n_rules, sizeof *a->rules, rule_fn);
}

int px_istio_parse_authz(struct ip *c, const yaml_node_t *spec)
{
    static const char *const keys[] = {"selector",  "action",     "rules", "provider",
                                       "targetRef", "targetRefs", NULL};
    if (fl_y_check_keys(c->d, spec, keys, NULL, c->what) ||
        px_istio_refuse(c, spec, "targetRef", "targetRef (Gateway API attachment)") ||
        px_istio_refuse(c, spec, "targetRefs", "targetRefs (Gateway API attachment)"))
        return -1;
    struct px_istio_authz a = {0};
    a.name = fl_strdup(c->name);
    a.ns = fl_strdup(c->ns);
    a.at = px_istio_at(c, c->node);
    if (authz_body(c, spec, &a)) {
        px_istio_authz_free(&a);
        return -1;
    }
    if (a.action == PX_AUTHZ_CUSTOM) {
        char text[512];
        snprintf(text, sizeof text,
                 "%s: action CUSTOM is not supported: it needs an external authorizer (an "
                 "extensionProvider), which faultline does not run",
                 c->what);
        px_istio_authz_free(&a);
        return px_istio_unmodeled(c, fl_y_get(c->d, spec, "action"), text, 1);
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_authzs; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->authzs[i].name, a.name) && !strcmp(m->authzs[i].ns, a.ns)) {
            px_istio_note_replaced(c, m->authzs[i].at, a.at);
            px_istio_authz_free(&m->authzs[i]);
            m->authzs[i] = a;
            return 0;
        }
    m->authzs = fl_realloc(m->authzs, (m->n_authzs + 1) * sizeof *m->authzs);
    m->authzs[m->n_authzs++] = a;
    return 0;
}

/* ---------------------------------------------------------------- matching */

int px_authz_str_match(const char *pattern, const char *s)
{
    FL_ASSERT(pattern);
    if (!s) return 0;
    size_t lp = strlen(pattern), ls = strlen(s);
    if (!strcmp(pattern, "*")) return 1; /* presence */
    if (lp && pattern[lp - 1] == '*') return !strncmp(s, pattern, lp - 1);
    if (pattern[0] == '*') return ls >= lp - 1 && !strcmp(s + ls - (lp - 1), pattern + 1);
    return !strcmp(pattern, s);
}

/* Whether any pattern of p matches s (NULL: none does). */
static int any(const struct px_strs *p, const char *s)
{
    for (size_t i = 0; i < p->n; i++)
        if (px_authz_str_match(p->v[i], s)) return 1;
    return 0;
}

/* A field given (n > 0) must match; a not* field given must not. */
static int field(const struct px_strs *yes, const struct px_strs *no, const char *s)
{
    return (!yes->n || any(yes, s)) && (!no->n || !any(no, s));
}

static int ip_in(const struct px_cidr *v, size_t n, const char *ip)
{
    struct px_cidr a;
    if (!ip || px_cidr_parse(ip, &a) || a.mask != UINT32_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((a.addr & v[i].mask) == (v[i].addr & v[i].mask)) return 1;
    return 0;
}

/* The namespace of "cluster.local/ns/NS/sa/SA" into buf, or NULL. */
static const char *principal_ns(const char *principal, char *buf, size_t size)
{
    const char *p = principal ? strstr(principal, "/ns/") : NULL;
    if (!p) return NULL;
    p += 4;
    size_t len = strcspn(p, "/");
    if (len >= size) return NULL;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

static int source_matches(const struct px_authz_source *s, const struct px_sec_peer *peer,
                          const struct px_sec_auth *auth)
{
    char nsbuf[256];
    const char *ns = principal_ns(peer->principal, nsbuf, sizeof nsbuf);
    return field(&s->principals, &s->not_principals, peer->principal) &&
           field(&s->req_principals, &s->not_req_principals, auth->req_principal) &&
           field(&s->namespaces, &s->not_namespaces, ns) &&
           (!s->has_ip || ip_in(s->ip, s->n_ip, peer->ip)) &&
           (!s->has_not_ip || !ip_in(s->not_ip, s->n_not_ip, peer->ip));
}

/* Any pattern matches the host, case aside, without its port. */
static int host_any(const struct px_strs *p, const char *authority)
{
    if (!authority) return 0;
    char host[256];
    size_t len = strcspn(authority, ":");
    if (len >= sizeof host) len = sizeof host - 1;
    for (size_t i = 0; i < len; i++) host[i] = (char)tolower((unsigned char)authority[i]);
    host[len] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        char pat[256];
        size_t lp = strlen(p->v[i]);
        if (lp >= sizeof pat) continue;
        for (size_t k = 0; k <= lp; k++) pat[k] = (char)tolower((unsigned char)p->v[i][k]);
        if (px_authz_str_match(pat, host)) return 1;
    }
    return 0;
}

static int op_matches(const struct px_authz_op *o, const struct px_sec_peer *peer,
                      const struct px_msg *req)
{
    char port[16];
    const char *authority = req->authority ? req->authority : px_msg_header(req, "host");
    snprintf(port, sizeof port, "%u", (unsigned)peer->port);
    return field(&o->methods, &o->not_methods, req->method ? req->method : "GET") &&
           field(&o->paths, &o->not_paths, req->path ? req->path : "/") &&
           field(&o->ports, &o->not_ports, peer->port ? port : NULL) &&
           (!o->hosts.n || host_any(&o->hosts, authority)) &&
           (!o->not_hosts.n || !host_any(&o->not_hosts, authority));
}

/* The values of a claim: a string, or the strings of an array. */
static int claim_any(const struct px_strs *p, const struct px_jwt *t, const char *name)
{
    const json_t *payload = t ? (const json_t *)t->payload : NULL; /* jansson's (jwt.c) */
    const json_t *v = payload ? json_object_get(payload, name) : NULL;
    if (json_is_string(v)) return any(p, json_string_value(v));
    for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        if (json_is_string(e) && any(p, json_string_value(e))) return 1;
    }
    return 0;
}

/* Whether condition c's values hold (not: its notValues). */
static int cond_any(const struct px_authz_cond *c, const struct px_strs *p,
                    const struct px_sec_peer *peer, const struct px_msg *req,
                    const struct px_sec_auth *auth)
{
    char buf[256], port[16];
    switch (c->key) {
    case PX_KEY_HEADER: return any(p, px_msg_header(req, c->arg));
    case PX_KEY_SOURCE_IP:
        for (size_t i = 0; i < p->n; i++) {
            struct px_cidr cidr;
            if (!px_cidr_parse(p->v[i], &cidr) && ip_in(&cidr, 1, peer->ip)) return 1;
        }
        return 0;
    case PX_KEY_SOURCE_NS: return any(p, principal_ns(peer->principal, buf, sizeof buf));
    case PX_KEY_SOURCE_PR: return any(p, peer->principal);
    case PX_KEY_REQ_PR: return any(p, auth->req_principal);
    case PX_KEY_REQ_AUD: return claim_any(p, auth->jwt, "aud");
    case PX_KEY_REQ_AZP: return claim_any(p, auth->jwt, "azp");
    case PX_KEY_REQ_CLAIM: return claim_any(p, auth->jwt, c->arg);
    case PX_KEY_DEST_PORT:
        snprintf(port, sizeof port, "%u", (unsigned)peer->port);
        return any(p, peer->port ? port : NULL);
    }
    return 0;
}

static int rule_matches(const struct px_authz_rule *r, const struct px_sec_peer *peer,
                        const struct px_msg *req, const struct px_sec_auth *auth)
{
    size_t i = 0;
    while (i < r->n_from && !source_matches(&r->from[i], peer, auth)) i++;
    if (r->n_from && i == r->n_from) return 0;
    i = 0;
    while (i < r->n_to && !op_matches(&r->to[i], peer, req)) i++;
    if (r->n_to && i == r->n_to) return 0;
    for (i = 0; i < r->n_when; i++) {
        const struct px_authz_cond *c = &r->when[i];
        if (c->values.n && !cond_any(c, &c->values, peer, req, auth)) return 0;
        if (c->not_values.n && cond_any(c, &c->not_values, peer, req, auth)) return 0;
    }
    return 1;
}

int px_authz_matches(const struct px_istio_authz *a, const struct px_sec_peer *peer,
                     const struct px_msg *req, const struct px_sec_auth *auth)
{
    FL_ASSERT(a && peer && req && auth);
    for (size_t i = 0; i < a->n_rules; i++)
        if (rule_matches(&a->rules[i], peer, req, auth)) return 1;
    return 0; /* no rules: never */
}

int px_authz_allows(const struct px_istio_sec *s, const struct px_sec_peer *peer,
                    const struct px_msg *req, const struct px_sec_auth *auth)
{
    FL_ASSERT(s && peer && req && auth);
    for (size_t i = 0; i < s->n_deny; i++)
        if (px_authz_matches(s->deny[i], peer, req, auth)) return 0;
    if (!s->n_allow) return 1;
    for (size_t i = 0; i < s->n_allow; i++)
        if (px_authz_matches(s->allow[i], peer, req, auth)) return 1;
    return 0;
}

/* ---------------------------------------------------------------- the inbound check */

static struct px_msg *local_reply(struct px_rt *rt, int status, uint32_t flags, const char *body)
{
    struct px_msg *m = px_msg_new(rt);
    m->status = status;
    m->flags = flags;
    m->body_bytes = strlen(body);
    m->body = (const uint8_t *)px_msg_strdup(m, body, strlen(body));
    px_msg_add_header_static(m, "content-type", "text/plain");
    return m;
}

struct px_msg *px_istio_sec_request(const struct px_istio_sec *s, struct px_rt *rt,
                                    const struct px_sec_peer *peer, struct px_msg *req)
{
    FL_ASSERT(s && rt && peer && req);
    struct px_sec_peer p = *peer;
    /* DISABLE: the connection is plaintext, whatever the client could have sent */
    if (px_istio_sec_mode(s, p.port) == PX_MTLS_DISABLE) p.principal = NULL;
    struct px_jwt t;
    struct px_sec_auth auth;
    const char *why = NULL;
    int status = px_authn_check(s->rules, s->n_rules, p.unix_s, req, &t, &auth, &why);
    struct px_msg *m = NULL;
    if (status) {
        FL_ASSERT(status == 401 && why);
        m = local_reply(rt, 401, 0, why);
        const char *host = req->authority ? req->authority : px_msg_header(req, "host");
        char *challenge = fl_asprintf("Bearer realm=\"http://%s%s\", error=\"invalid_token\"",
                                      host ? host : "", req->path ? req->path : "/");
        px_msg_add_header(m, "www-authenticate", challenge);
        free(challenge);
    } else if (!px_authz_allows(s, &p, req, &auth)) {
        m = local_reply(rt, 403, PX_FLAG_UAEX, "RBAC: access denied");
    }
    free(auth.req_principal);
    px_jwt_free(&t);
    return m;
}
