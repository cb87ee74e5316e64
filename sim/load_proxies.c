/*
 * load_proxies.c - reads the sections that put proxies on the request
 * path: `gateway` (Kong's declarative configuration, inline or
 * {file: kong.yaml}, which include.c has read into the tree), `mesh` (mode,
 * and Istio resources, those of mesh.files included), and `proxy` (what each proxy costs in CPU).
 * The Kong and Istio formats themselves are read by proxies/kong_*.c and proxies/istio_*.c, with
 * errors located in whichever file holds them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

/* Inline, or {file: kong.yaml} already read into the tree (include.c). */

/* ---- names the gateway may send to, checked when the scenario loads ---- */

/* The names of the scenario's services, then of its pods (SERVICE-N, SERVICE-VERSION-N). */
static const char **gateway_names(const struct sim_scenario *s)
{
    size_t n = s->n_services, k = 0;
    for (size_t i = 0; i < s->n_services; i++) n += (size_t)sim_service_pods(&s->services[i]);
    const char **names = fl_calloc(n + 1, sizeof *names);
    for (size_t i = 0; i < s->n_services; i++) names[k++] = s->services[i].name;
    for (size_t i = 0; i < s->n_services; i++)
        for (size_t v = 0; v < s->services[i].n_versions; v++) {
            const struct sim_version_cfg *ver = &s->services[i].versions[v];
            for (int r = 0; r < ver->replicas; r++)
                names[k++] = ver->name ? fl_asprintf("%s-%s-%d", s->services[i].name, ver->name, r)
                                       : fl_asprintf("%s-%d", s->services[i].name, r);
        }
    FL_ASSERT(k == n);
    return names;
}

/*
 * A resolver that only checks names as sim/mesh.c will resolve them: a
 * service by its short or qualified name ("billing", "billing.default.svc"),
 * or a pod. The endpoint it gives is a placeholder.
 */
static int check_name(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                      size_t *n, char **err)
{
    const struct sim_scenario *s = arg;
    const char **names = gateway_names(s);
    int found = 0;
    for (size_t i = 0; names[i] && !found; i++) {
        size_t len = strlen(names[i]);
        found = !strncmp(host, names[i], len) &&
                (host[len] == '\0' || (i < s->n_services && host[len] == '.'));
    }
    (void)port;
    if (found) {
        *eps = fl_calloc(1, sizeof **eps);
        (*eps)->name = fl_strdup(host);
        *n = 1;
    } else {
        const char *hint = fl_did_you_mean(host, names);
        *err = fl_asprintf("'%s' is neither a service nor a pod of the scenario%s%s%s", host,
                           hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    }
    for (size_t i = s->n_services; names[i]; i++) free((char *)names[i]);
    free(names);
    return found ? 0 : -1;
}

/* Builds the gateway once to find names it cannot resolve; the error is located in its file. */
static int check_gateway(struct fl_ydoc *d, struct sim_scenario *s)
{
    struct px_resolver r = {check_name, s};
    struct px_proxy_cfg cfg;
    char *err = NULL;
    if (px_kong_build(&s->kong, "gateway", &r, &cfg, &err)) {
        free(d->err);
        d->err = err;
        return -1;
    }
    px_proxy_cfg_free(&cfg);
    return 0;
}

static int load_gateway(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    if (fl_y_want_map(d, n, "gateway")) return -1;
    s->has_gateway = 1;
    return px_kong_parse(d, n, &s->kong);
}

static int load_compat(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"backoff", "max_ejection_percent", NULL};
    static const char *const choices[] = {"current", "legacy", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "envoy_compat")) return -1;
    yaml_node_t *x;
    int v;
    if ((x = fl_y_get(d, n, "backoff"))) {
        if (fl_y_enum(d, x, "envoy_compat.backoff", choices, &v)) return -1;
        s->compat.legacy_backoff = v;
    }
    if ((x = fl_y_get(d, n, "max_ejection_percent"))) {
        if (fl_y_enum(d, x, "envoy_compat.max_ejection_percent", choices, &v)) return -1;
        s->compat.legacy_max_ejection_percent = v;
    }
    return 0;
}

/*
 * Checks the Istio resources against the scenario's services
 * (px_istio_resolve), each service seen as one endpoint per version with
 * that version's labels. An error is located in the Istio file and becomes
 * the scenario's.
 */
static int resolve_mesh(struct fl_ydoc *d, struct sim_scenario *s)
{
    struct px_mesh_service *ms = fl_calloc(s->n_services + 1, sizeof *ms);
    struct px_endpoint_cfg **eps = fl_calloc(s->n_services + 1, sizeof *eps);
    for (size_t i = 0; i < s->n_services; i++) {
        const struct sim_service_cfg *svc = &s->services[i];
        eps[i] = fl_calloc(svc->n_versions + 1, sizeof **eps);
        for (size_t v = 0; v < svc->n_versions; v++) {
            const struct sim_version_cfg *ver = &svc->versions[v];
            eps[i][v].labels = fl_calloc(ver->n_labels + 1, sizeof *eps[i][v].labels);
            for (size_t k = 0; k < ver->n_labels; k++) /* borrowed strings */
                eps[i][v].labels[k] = (struct px_label){ver->labels[k].key, ver->labels[k].value};
            eps[i][v].n_labels = ver->n_labels;
        }
        ms[i].name = svc->name;
        ms[i].endpoints = eps[i];
        ms[i].n_endpoints = svc->n_versions;
        ms[i].external = svc->external;
    }
    char *err = NULL;
    int rc = px_istio_resolve(&s->istio, ms, s->n_services, &err);
    for (size_t i = 0; i < s->n_services; i++) {
        for (size_t v = 0; v < s->services[i].n_versions; v++) free(eps[i][v].labels);
        free(eps[i]);
    }
    free(eps);
    free(ms);
    if (rc) {
        free(d->err);
        d->err = err;
    }
    return rc;
}

static int load_mesh(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    /* mesh.files are mesh.resources by now (include.c) */
    static const char *const keys[] = {"mode",    "resources", "envoy_compat",
                                       "ambient", "lenient",   NULL};
    static const char *const modes[] = {"sidecar", "ambient", "none", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "mesh")) return -1;
    yaml_node_t *x;
    int mode = 0;
    if ((x = fl_y_get(d, n, "mode"))) {
        if (fl_y_enum(d, x, "mesh mode", modes, &mode)) return -1;
    }
    s->mesh_mode = mode == 0 ? SIM_MESH_SIDECAR : mode == 1 ? SIM_MESH_AMBIENT : SIM_MESH_NONE;
    int lenient = 0;
    if ((x = fl_y_get(d, n, "lenient")) && fl_y_bool(d, x, "mesh lenient", &lenient)) return -1;
    s->istio.lenient |= lenient;
    if ((x = fl_y_get(d, n, "resources"))) {
        if (fl_y_want_seq(d, x, "mesh resources")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (px_istio_add(&s->istio, d, fl_y_node(d, SEQ_ITEMS(x)[i]))) return -1;
    }
    if ((x = fl_y_get(d, n, "envoy_compat")) && load_compat(d, x, s)) return -1;
    if (sim_load_ambient(d, fl_y_get(d, n, "ambient"), s)) return -1;
    for (size_t i = 0; s->mesh_mode == SIM_MESH_AMBIENT && i < s->n_services; i++)
        if (s->services[i].external)
            return fl_y_error(d, n,
                              "service '%s' is external: external services are modeled in mesh "
                              "mode sidecar (or none), not ambient yet",
                              s->services[i].name);
    if (s->mesh_mode != SIM_MESH_NONE && resolve_mesh(d, s)) return -1;
    if (s->mesh_mode != SIM_MESH_SIDECAR && s->istio.n_gateways) {
        s->istio.warnings =
            fl_realloc(s->istio.warnings, (s->istio.n_warnings + 1) * sizeof *s->istio.warnings);
        s->istio.warnings[s->istio.n_warnings++] =
            fl_asprintf("%s: Gateway '%s': the ingress gateway is modeled in mesh mode sidecar "
                        "only: not applied",
                        s->istio.gateways[0].at, s->istio.gateways[0].name);
    }
    size_t n_sec = s->istio.n_peerauthns + s->istio.n_reqauthns + s->istio.n_authzs;
    if (s->mesh_mode != SIM_MESH_SIDECAR && n_sec) {
        s->istio.warnings =
            fl_realloc(s->istio.warnings, (s->istio.n_warnings + 1) * sizeof *s->istio.warnings);
        s->istio.warnings[s->istio.n_warnings++] = fl_strdup(
            "PeerAuthentication, RequestAuthentication and AuthorizationPolicy are enforced by "
            "the inbound sidecars, in mesh mode sidecar only: not applied");
    }
    if (s->mesh_mode == SIM_MESH_NONE && (s->istio.n_vs || s->istio.n_dr)) {
        s->istio.warnings =
            fl_realloc(s->istio.warnings, (s->istio.n_warnings + 1) * sizeof *s->istio.warnings);
        s->istio.warnings[s->istio.n_warnings++] = fl_strdup(
            "mesh mode is none: the VirtualServices and DestinationRules are not applied");
    }
    return 0;
}

/* proxy.gateway or proxy.sidecar; locality (non-NULL: the gateway's) where the proxy runs. */
static int load_cost(struct fl_ydoc *d, const yaml_node_t *n, const char *what,
                     struct sim_proxy_cost *c, char **locality)
{
    static const char *const keys[] = {"cost", "workers", NULL};
    static const char *const gw_keys[] = {"cost", "workers", "locality", NULL};
    if (fl_y_check_keys(d, n, locality ? gw_keys : keys, NULL, what)) return -1;
    yaml_node_t *x;
    if (locality && (x = fl_y_get(d, n, "locality")) && sim_load_locality(d, x, locality))
        return -1;
    if ((x = fl_y_get(d, n, "cost")) && sim_load_dist(d, x, "cost", &c->cost)) return -1;
    long long workers;
    if ((x = fl_y_get(d, n, "workers"))) {
        if (fl_y_int(d, x, "workers", 1, 1024, &workers)) return -1;
        c->workers = (uint32_t)workers;
    }
    return 0;
}

/*
 * The public-key operations of a TLS handshake by key kind, as `openssl
 * speed rsa2048 ecdsap256 ecdhx25519` measures them on one core of the
 * reference machine (OpenSSL 3.0, x86-64): RSA 2048 sign 967 us, verify
 * 23 us; ECDSA P-256 sign 29 us, verify 93 us; X25519 key exchange 50 us.
 * Istio's workload certificates are RSA 2048 unless ECC_SIGNATURE_ALGORITHM
 * asks for ECDSA (istio.io, "Istio CA" / pilot-agent environment).
 */
static const struct tls_key {
    const char *name;
    int64_t sign_ns, verify_ns;
} tls_keys[] = {{"rsa-2048", 967000, 23000}, {"ecdsa-p256", 29000, 93000}};

static void tls_default(struct sim_tls_cfg *t)
{
    t->mesh = 0;
    t->resumption = 1;
    t->sign_ns = tls_keys[0].sign_ns;
    t->verify_ns = tls_keys[0].verify_ns;
    t->key_exchange_ns = 50000;
    t->certificates = 0;
    t->cert_ttl_ns = INT64_C(24) * 3600 * 1000000000; /* Istio's DEFAULT_WORKLOAD_CERT_TTL */
    t->renew_at = 0.5;                                /* Istio's SECRET_GRACE_PERIOD_RATIO */
    t->retry_ns = INT64_C(5) * 1000000000;
    t->root_ttl_ns = INT64_C(10) * 365 * 86400 * 1000000000;
}

/*
 * proxy.tls.certificates: the mesh CA's workload certificates (sim/identity.c):
 * ttl, renew_at, retry, root_ttl, trust_domain.
 */
static int load_certificates(struct fl_ydoc *d, const yaml_node_t *n, struct sim_tls_cfg *t)
{
    static const char *const keys[] = {"ttl",      "renew_at",     "retry",
                                       "root_ttl", "trust_domain", NULL};
    const int64_t year = INT64_C(365) * 86400 * 1000000000;
    yaml_node_t *x;
    const char *td = "cluster.local";
    t->certificates = 1;
    if (fl_y_want_map(d, n, "proxy.tls.certificates") ||
        fl_y_check_keys(d, n, keys, NULL, "proxy.tls.certificates") ||
        ((x = fl_y_get(d, n, "ttl")) && fl_y_duration(d, x, "certificates.ttl", INT64_C(1000000000),
                                                      100 * year, &t->cert_ttl_ns)) ||
        ((x = fl_y_get(d, n, "renew_at")) &&
         fl_y_fraction(d, x, "certificates.renew_at", &t->renew_at)) ||
        ((x = fl_y_get(d, n, "retry")) &&
         fl_y_duration(d, x, "certificates.retry", INT64_C(1000000), year, &t->retry_ns)) ||
        ((x = fl_y_get(d, n, "root_ttl")) &&
         fl_y_duration(d, x, "certificates.root_ttl", INT64_C(1000000000), 100 * year,
                       &t->root_ttl_ns)) ||
        ((x = fl_y_get(d, n, "trust_domain")) &&
         fl_y_string(d, x, "certificates.trust_domain", &td)))
        return -1;
    if (t->renew_at <= 0 || t->renew_at >= 1)
        return fl_y_error(
            d, fl_y_get(d, n, "renew_at"),
            "certificates.renew_at: a share of the lifetime above 0%% and below 100%%");
    for (const char *c = td; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", *c) || !*td)
            return fl_y_error(
                d, fl_y_get(d, n, "trust_domain"),
                "certificates.trust_domain '%s': lower-case letters, digits, '.', '-'", td);
    free(t->trust_domain);
    t->trust_domain = fl_strdup(td);
    return 0;
}

/* proxy.tls: {mesh, resumption, key, sign, verify, key_exchange}. */
static int load_tls(struct fl_ydoc *d, const yaml_node_t *n, struct sim_tls_cfg *t)
{
    static const char *const keys[] = {"mesh",   "resumption",   "key",          "sign",
                                       "verify", "key_exchange", "certificates", NULL};
    static const char *const kinds[] = {"rsa-2048", "ecdsa-p256", NULL};
    yaml_node_t *x;
    int k = 0;
    if (fl_y_want_map(d, n, "proxy.tls") || fl_y_check_keys(d, n, keys, NULL, "proxy.tls") ||
        ((x = fl_y_get(d, n, "mesh")) && fl_y_bool(d, x, "proxy.tls.mesh", &t->mesh)) ||
        ((x = fl_y_get(d, n, "resumption")) &&
         fl_y_bool(d, x, "proxy.tls.resumption", &t->resumption)) ||
        ((x = fl_y_get(d, n, "key")) && fl_y_enum(d, x, "proxy.tls.key", kinds, &k)))
        return -1;
    t->sign_ns = tls_keys[k].sign_ns;
    t->verify_ns = tls_keys[k].verify_ns;
    const int64_t max = INT64_C(10000000000);
    if (((x = fl_y_get(d, n, "sign")) &&
         fl_y_duration(d, x, "proxy.tls.sign", 0, max, &t->sign_ns)) ||
        ((x = fl_y_get(d, n, "verify")) &&
         fl_y_duration(d, x, "proxy.tls.verify", 0, max, &t->verify_ns)) ||
        ((x = fl_y_get(d, n, "key_exchange")) &&
         fl_y_duration(d, x, "proxy.tls.key_exchange", 0, max, &t->key_exchange_ns)))
        return -1;
    FL_ASSERT(t->sign_ns >= 0 && t->verify_ns >= 0 && t->key_exchange_ns >= 0);
    if ((x = fl_y_get(d, n, "certificates")) && load_certificates(d, x, t)) return -1;
    if (t->certificates && !t->mesh)
        return fl_y_error(d, x,
                          "proxy.tls.certificates: the certificates are checked on the mesh's "
                          "mutual TLS: set proxy.tls.mesh: true");
    return 0;
}

static int load_proxy_costs(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s)
{
    static const char *const keys[] = {"gateway", "sidecar", "ingress", "tls", NULL};
    if (fl_y_check_keys(d, n, keys, NULL, "proxy")) return -1;
    yaml_node_t *x;
    if ((x = fl_y_get(d, n, "gateway")) &&
        load_cost(d, x, "proxy.gateway", &s->gateway_cost, &s->gateway_locality))
        return -1;
    if ((x = fl_y_get(d, n, "sidecar")) && load_cost(d, x, "proxy.sidecar", &s->sidecar_cost, NULL))
        return -1;
    if ((x = fl_y_get(d, n, "ingress")) && load_cost(d, x, "proxy.ingress", &s->ingress_cost, NULL))
        return -1;
    if ((x = fl_y_get(d, n, "tls")) && load_tls(d, x, &s->tls)) return -1;
    if (s->tls.mesh && s->mesh_mode != SIM_MESH_SIDECAR)
        return fl_y_error(d, fl_y_get(d, x, "mesh"),
                          "proxy.tls.mesh: mutual TLS between sidecars needs mesh mode sidecar");
    return 0;
}

int sim_load_proxies(struct fl_ydoc *d, const yaml_node_t *root, struct sim_scenario *s)
{
    /* Istio's published figures for both kinds of proxy unless the scenario says otherwise */
    px_cost_default(&s->gateway_cost.cost);
    px_cost_default(&s->sidecar_cost.cost);
    px_cost_default(&s->ingress_cost.cost);
    s->gateway_cost.workers = s->sidecar_cost.workers = s->ingress_cost.workers = 2;
    tls_default(&s->tls);
    yaml_node_t *x;
    if ((x = fl_y_get(d, root, "gateway")) && (load_gateway(d, x, s) || check_gateway(d, s)))
        return -1;
    if ((x = fl_y_get(d, root, "mesh")) && load_mesh(d, x, s)) return -1;
    if ((x = fl_y_get(d, root, "proxy")) && load_proxy_costs(d, x, s)) return -1;
    return 0;
}
