/*
 * identity.c - workload certificates in the simulated mesh (identity.h).
 *
 * As Istio does it (istio.io "Certificate management", pilot-agent's
 * environment): istiod's self-signed root signs each workload's
 * certificate, SPIFFE id spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/ACCOUNT
 * (the node's mesh principal, sim/mesh.c: a pod's service's
 * service_account in namespace default, the gateway's sidecar, an ingress
 * gateway's),
 * lifetime `ttl` (Istio: 24 h); the agent asks for a new one once
 * `renew_at` of the lifetime has passed (SECRET_GRACE_PERIOD_RATIO, 0.5),
 * and while the CA cannot sign it tries again every `retry`. A
 * certificate is valid from the CA's time of signing (no backdating) to
 * that plus its lifetime.
 *
 * Every new mutual TLS connection (sim/tls.c) runs the real check of
 * proxies/identity.c twice: the server on the client's certificate and
 * the client on the server's, each at its own clock (the simulated time,
 * start_time, plus its clock_skew). A refusal fails the handshake (the
 * client sees the connection reset: a TLS alert and close). Checks are
 * cached per (checker, certificate, trust bundle): once a chain has been
 * verified, another time inside every certificate's validity gives the
 * same answer, so only the validity window is compared.
 *
 * Nodes with certificates: those with a mesh principal (the pods with
 * sidecars, the gateway's sidecar, an ingress gateway). Certificates are
 * issued when the run starts, at simulated time 0.
 */
#include "sim/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/identity.h"
#include "sim/kernel.h"
#include "sim/rt.h"
#include "sim/world.h"

#define ROOTS_MAX 8 /* root rotations in one run */

struct node_id {
    struct sim_world *w;
    uint32_t node;
    int has;                 /* this node takes part (holds a certificate) */
    struct px_id_cert *cert; /* its current certificate */
    int64_t not_after_s;
    int64_t skew_ns; /* its clock's offset (clock_skew faults) */
    struct sim_timer renew;
    char spiffe[160];
    /* the last check this node made that succeeded: that certificate, under that bundle,
     * is good at any time in [ok_from, ok_to] */
    const struct px_id_cert *ok_cert;
    const struct px_bundle *ok_bundle;
    int64_t ok_from, ok_to;
};

struct sim_identity {
    struct px_ca *roots[ROOTS_MAX];
    int n_roots;
    struct px_bundle *bundles[ROOTS_MAX]; /* one per rotation (the ones it replaced kept alive) */
    int n_bundles;
    int ca_down; /* active ca_down faults */
    struct node_id *nodes;
    uint32_t n_nodes;
};

static int64_t unix_s(const struct sim_world *w, int64_t skew_ns)
{
    return (w->sc->start_unix_ns + sim_now(&w->k) + skew_ns) / 1000000000;
}

static const struct px_bundle *bundle(const struct sim_identity *id)
{
    FL_ASSERT(id->n_bundles > 0);
    return id->bundles[id->n_bundles - 1];
}

/* Signs a new certificate for n now with the current root; 0, or -1 (the old one stays). */
static int issue(struct sim_world *w, struct node_id *n, char **err)
{
    struct sim_identity *id = w->identity;
    const struct sim_tls_cfg *t = &w->sc->tls;
    int64_t now = unix_s(w, 0);
    char why[200];
    struct px_id_cert *c = px_ca_issue(id->roots[id->n_roots - 1], n->spiffe, now,
                                       now + t->cert_ttl_ns / 1000000000, why, sizeof why);
    if (!c) {
        if (err) *err = fl_asprintf("certificate for %s: %s", n->spiffe, why);
        return -1;
    }
    px_id_cert_free(n->cert);
    n->cert = c;
    n->not_after_s = now + t->cert_ttl_ns / 1000000000;
    w->run->certs_issued++;
    return 0;
}

/* When n asks for its next certificate: renew_at of the lifetime after this one's start. */
static void schedule(struct sim_world *w, struct node_id *n, int64_t after_ns)
{
    FL_ASSERT(n->has && after_ns > 0);
    sim_timer_arm(&w->k, &n->renew, sim_now(&w->k) + after_ns);
}

static void renew(struct sim_kernel *k, struct sim_timer *t)
{
    struct node_id *n = t->data;
    struct sim_world *w = n->w;
    (void)k;
    FL_ASSERT(n->has && w->identity);
    const struct sim_tls_cfg *tc = &w->sc->tls;
    if (w->identity->ca_down || issue(w, n, NULL)) {
        w->run->cert_renewals_failed++;
        schedule(w, n, tc->retry_ns);
        return;
    }
    schedule(w, n, (int64_t)((double)tc->cert_ttl_ns * tc->renew_at));
}

/*
 * The SPIFFE id of node i, or 0 when it holds no certificate: its mesh
 * principal (sim/mesh.c: a pod's service account, the gateway's sidecar,
 * the ingress gateway) under the configured trust domain.
 */
static int spiffe_of(const struct sim_world *w, uint32_t i, char *out, size_t size)
{
    const char *p = w->nodes[i].principal; /* "cluster.local/ns/NS/sa/SA" */
    const char *path = p ? strchr(p, '/') : NULL;
    if (!path) return 0;
    const char *td = w->sc->tls.trust_domain ? w->sc->tls.trust_domain : "cluster.local";
    snprintf(out, size, "spiffe://%s%s", td, path);
    return 1;
}

int sim_identity_init(struct sim_world *w, char **err)
{
    const struct sim_tls_cfg *t = &w->sc->tls;
    if (!t->certificates) return 0;
    FL_ASSERT(t->mesh && !w->identity);
    struct sim_identity *id = fl_calloc(1, sizeof *id);
    w->identity = id;
    int64_t now = unix_s(w, 0);
    char why[200];
    id->roots[0] =
        px_ca_new("mesh root 1", now, now + t->root_ttl_ns / 1000000000, why, sizeof why);
    if (!id->roots[0]) {
        *err = fl_asprintf("the mesh CA: %s", why);
        return -1;
    }
    id->n_roots = 1;
    id->bundles[id->n_bundles++] = px_bundle_new(id->roots, 1);
    id->n_nodes = w->n_nodes;
    id->nodes = fl_calloc(w->n_nodes, sizeof *id->nodes);
    for (uint32_t i = 0; i < w->n_nodes; i++) {
        struct node_id *n = &id->nodes[i];
        n->w = w;
        n->node = i;
        if (!spiffe_of(w, i, n->spiffe, sizeof n->spiffe)) continue;
        n->has = 1;
        sim_timer_init(&n->renew, renew, n);
        if (issue(w, n, err)) return -1;
        schedule(w, n, (int64_t)((double)t->cert_ttl_ns * t->renew_at));
    }
    return 0;
}

void sim_identity_free(struct sim_world *w)
{
    struct sim_identity *id = w->identity;
    if (!id) return;
    for (uint32_t i = 0; i < id->n_nodes; i++) {
        if (id->nodes[i].has) sim_timer_cancel(&w->k, &id->nodes[i].renew);
        px_id_cert_free(id->nodes[i].cert);
    }
    free(id->nodes);
    for (int i = 0; i < id->n_bundles; i++) px_bundle_free(id->bundles[i]);
    for (int i = 0; i < id->n_roots; i++) px_ca_free(id->roots[i]);
    free(id);
    w->identity = NULL;
}

/* checker's check of peer's certificate now, at checker's clock. */
static int check(struct sim_world *w, struct node_id *checker, const struct node_id *peer)
{
    const struct px_bundle *b = bundle(w->identity);
    int64_t now = unix_s(w, checker->skew_ns);
    if (checker->ok_cert == peer->cert && checker->ok_bundle == b && now >= checker->ok_from &&
        now <= checker->ok_to)
        return PX_ID_OK;
    char principal[200];
    int r = px_id_check(peer->cert, b, now, principal, sizeof principal);
    if (r == PX_ID_OK) {
        /* the leaf's window (the root's is wider: it signed the leaf within its own) */
        checker->ok_cert = peer->cert;
        checker->ok_bundle = b;
        checker->ok_from = peer->not_after_s - w->sc->tls.cert_ttl_ns / 1000000000;
        checker->ok_to = peer->not_after_s - 1; /* expired at notAfter itself (X509_cmp_time) */
    }
    return r;
}

int sim_identity_handshake(struct sim_world *w, uint32_t src, uint32_t dst)
{
    struct sim_identity *id = w->identity;
    if (!id) return PX_ID_OK;
    FL_ASSERT(src < id->n_nodes && dst < id->n_nodes);
    struct node_id *c = &id->nodes[src], *s = &id->nodes[dst];
    if (!c->has || !s->has) return PX_ID_OK; /* not both in the mesh: the caller decided on TLS */
    int r = check(w, s, c);                  /* the server checks the client's certificate */
    if (r == PX_ID_OK) r = check(w, c, s);
    if (r != PX_ID_OK) {
        FL_ASSERT(r > 0 && r < RPT_TLS_REASONS);
        w->run->tls_refused[r]++;
    }
    return r;
}

const char *sim_identity_principal(const struct sim_world *w, uint32_t node)
{
    const struct sim_identity *id = w->identity;
    if (!id || node >= id->n_nodes || !id->nodes[node].has) return NULL;
    return id->nodes[node].spiffe + strlen("spiffe://");
}

void sim_identity_ca_down(struct sim_world *w, int delta)
{
    struct sim_identity *id = w->identity;
    if (!id) return;
    id->ca_down += delta;
    FL_ASSERT(id->ca_down >= 0);
}

void sim_identity_skew(struct sim_world *w, uint32_t node, int64_t delta_ns)
{
    struct sim_identity *id = w->identity;
    if (!id || node >= id->n_nodes) return;
    id->nodes[node].skew_ns += delta_ns;
}

/*
 * A new root signs from now on. keep_old: the trust bundle holds the old
 * and the new root (Istio's documented procedure: both are trusted while
 * workloads move to the new one); otherwise only the new root, and every
 * certificate the old one signed is refused until its holder renews.
 */
void sim_identity_rotate_root(struct sim_world *w, int keep_old)
{
    struct sim_identity *id = w->identity;
    if (!id || id->n_roots == ROOTS_MAX) return;
    int64_t now = unix_s(w, 0);
    char name[32], why[200];
    snprintf(name, sizeof name, "mesh root %d", id->n_roots + 1);
    struct px_ca *ca =
        px_ca_new(name, now, now + w->sc->tls.root_ttl_ns / 1000000000, why, sizeof why);
    if (!ca) return;
    id->roots[id->n_roots++] = ca;
    if (keep_old)
        id->bundles[id->n_bundles++] = px_bundle_new(id->roots, (size_t)id->n_roots);
    else
        id->bundles[id->n_bundles++] = px_bundle_new(&id->roots[id->n_roots - 1], 1);
    FL_ASSERT(id->n_bundles <= ROOTS_MAX);
}
