/*
 * tls.c - what a TLS 1.3 handshake adds to a simulated connection (see
 * sim/tls.h): its flights over the connection's modelled TCP, and the CPU
 * of its public-key operations at each end.
 *
 * The handshake (RFC 8446 section 2), once TCP is up:
 *  - full: the client sends ClientHello (with its key share); the server
 *    does its key exchange and signs (CertificateVerify), and answers with
 *    ServerHello, EncryptedExtensions, [CertificateRequest,] Certificate,
 *    CertificateVerify, Finished; the client does its key exchange and
 *    verifies the chain (leaf and intermediate: two verifications) and the
 *    signature; with mutual TLS it also signs, and its Certificate,
 *    CertificateVerify and Finished travel with its first request, the
 *    server verifying them (two more verifications) before the request;
 *  - resumed (a session ticket from an earlier full handshake on the same
 *    path, PSK with (EC)DHE, section 2.2): no certificates, no signatures,
 *    the key exchanges only; still one round trip.
 * The client may send its request once it has the server's Finished: one
 * round trip after TCP's, plus the CPU. Flights are sent with the
 * connection's TCP model, so delay, loss (and the RTO it costs) and slow
 * start apply to them as to any message. The CPU is a fixed delay at each
 * end, not queued on the proxy's workers. The server's verification of
 * the client's certificate is charged before the connection counts as
 * open, as it delays the first request by the same time.
 *
 * Flight sizes (bytes of TLS records): ClientHello 320 (with a PSK 520);
 * the server's full flight 1120 + 1300 per certificate of a chain of two
 * (RSA 2048; EC chains are smaller, not modelled); the client's mTLS
 * flight likewise; a resumed server flight 250.
 */
#include "sim/tls.h"

#include "base/assert.h"
#include "proxies/identity.h"
#include "proxies/rt.h"
#include "reports/results.h"
#include "sim/identity.h"
#include "sim/rt.h"
#include "sim/world.h"

#define HELLO_BYTES     320
#define HELLO_PSK_BYTES 520
#define CHAIN_BYTES     (2 * 1300)
#define SERVER_FULL     (1120 + CHAIN_BYTES)
#define SERVER_RESUMED  250
#define CLIENT_MTLS     (300 + CHAIN_BYTES)
#define CHAIN_VERIFIES  2

/* One flight sent at *at: *at becomes its delivery (or, broken, when TCP gives up); 0 or -1. */
static int flight(struct sim_conn *c, int dir, int64_t *at, uint64_t bytes)
{
    FL_ASSERT(c && (dir == NET_C2S || dir == NET_S2C) && at && *at >= 0 && bytes > 0);
    int64_t done = *at;
    if (c->path->ideal) return 0;
    int rc = net_tcp_send(&c->tcp, dir, *at, bytes, &done);
    (void)net_tcp_take_rtx(&c->tcp); /* the handshake's retransmissions are its own time */
    FL_ASSERT(done >= *at);
    *at = done;
    return rc == NET_OK ? 0 : -1;
}

int64_t sim_tls_handshake(struct sim_world *w, struct sim_conn *c, int64_t tcp_done, int mutual,
                          int *status)
{
    const struct sim_tls_cfg *t = &w->sc->tls;
    FL_ASSERT(w && c && status && *status == PX_OK && tcp_done >= 0);
    int resumed = t->resumption && c->path->tls_ticket;
    int64_t at = tcp_done;
    if (flight(c, NET_C2S, &at, resumed ? HELLO_PSK_BYTES : HELLO_BYTES)) goto broken;
    /* the server: key exchange, and (full) its signature */
    at += t->key_exchange_ns + (resumed ? 0 : t->sign_ns);
    if (flight(c, NET_S2C, &at, resumed ? SERVER_RESUMED : SERVER_FULL + (mutual ? 60 : 0)))
        goto broken;
    /* the client: key exchange, and (full) the chain and the signature; mTLS: its own signature */
    at += t->key_exchange_ns;
    if (!resumed) {
        at += (CHAIN_VERIFIES + 1) * t->verify_ns;
        if (mutual) at += t->sign_ns + (CHAIN_VERIFIES + 1) * t->verify_ns;
    }
    if (mutual && sim_identity_handshake(w, c->path->src, c->path->dst) != PX_ID_OK) {
        *status = PX_ERESET; /* a TLS alert (bad_certificate, certificate_expired), then close */
        return at;
    }
    if (mutual && !resumed) w->run->tls_mutual++;
    if (resumed)
        w->run->tls_resumed++;
    else
        w->run->tls_full++;
    c->path->tls_ticket = 1;
    FL_ASSERT(at >= tcp_done);
    return at;
broken:
    *status = PX_ETIMEDOUT;
    w->run->tls_failed++;
    return at; /* when TCP gave up on the flight */
}

int sim_tls_mesh_conn(const struct sim_world *w, const struct sim_proxy *from, uint32_t dst,
                      uint16_t port)
{
    FL_ASSERT(w && from && dst < w->n_nodes);
    if (!w->sc->tls.mesh || w->sc->mesh_mode != SIM_MESH_SIDECAR) return 0;
    /* Kong is not in the mesh (its own sidecar is); inbound sidecars call their local app */
    if (from == w->gateway || !from->cfg || from->cfg->kind == PX_PROXY_INBOUND) return 0;
    /* Istio auto mTLS: to a pod's sidecar (the service port of a pod, in sidecar mode) */
    return port == SIM_PORT_SERVICE && w->nodes[dst].pod != UINT32_MAX;
}
