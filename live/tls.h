/*
 * tls.h - TLS for the live runtime's connections, with OpenSSL 3: a
 * server's certificates chosen by SNI (struct live_tls_server), and the
 * TLS state of a connection accepted on a listener that has one
 * (live_listener_set_tls, rt.h).
 *
 * The server speaks TLS 1.2 and 1.3 only (SSL_CTX_set_min_proto_version),
 * HTTP/1.1 inside. Its cipher choice follows Mozilla's "intermediate"
 * server-side profile (wiki.mozilla.org/Security/Server_Side_TLS, v5.7)
 * without its finite-field DHE suites: TLS 1.3's three AEAD suites, and
 * for TLS 1.2 only ECDHE key exchange with AEAD ciphers (LIVE_TLS12_CIPHERS);
 * no CBC, no static RSA key exchange, no SHA-1 MAC. The client's
 * preference among these is honoured (Mozilla: all are strong).
 * Renegotiation is off. Sessions resume by tickets (RFC 5077, RFC 8446
 * section 4.6.1), whose keys can be given (live_tls_server_set_ticket_keys)
 * so that several worker processes resume each other's sessions.
 *
 * Certificates are Kong's (kong/runloop/certificate.lua chooses by SNI):
 * the exact name first, then the name with its first label made "*"
 * ("*.example.com" for "api.example.com"), then with its last one made "*"
 * ("api.example.*"); a name that matches none, or no SNI, gets the default
 * certificate. Names are compared in lower case.
 */
#ifndef FL_LIVE_TLS_H
#define FL_LIVE_TLS_H

#include <stddef.h>
#include <stdint.h>

/* TLS 1.2's suites (OpenSSL names): ECDHE, AEAD. TLS 1.3 keeps OpenSSL's three. */
#define LIVE_TLS12_CIPHERS                                                                         \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define LIVE_TLS13_SUITES                                                                          \
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
/* Key exchange groups, Mozilla's intermediate order. */
#define LIVE_TLS_GROUPS "X25519:prime256v1:secp384r1"

/*
 * Handshake steps (SSL_do_handshake calls) taken per turn of the event
 * loop, over all connections: a flood of new connections waits for later
 * turns rather than delaying the answers of established ones by more than
 * this many signatures per turn.
 */
#define LIVE_TLS_HANDSHAKES_PER_TURN 8

/* The bytes of a ticket key set (SSL_CTX_set_tlsext_ticket_keys: name, HMAC, AES keys). */
#define LIVE_TLS_TICKET_KEYS_BYTES 80

struct live_tls_server;

/* A server with no certificate yet. Returns NULL with *err (caller frees) if OpenSSL fails. */
struct live_tls_server *live_tls_server_new(char **err);
void live_tls_server_free(struct live_tls_server *s);

/*
 * Adds a certificate (cert_pem: the leaf then its chain; key_pem its key;
 * cert_alt and key_alt a second pair or NULL) for the server names snis
 * (Kong's wildcards allowed). The first one added is the default until
 * live_tls_server_set_default. Returns 0, or -1 with *err (caller frees).
 */
int live_tls_server_add(struct live_tls_server *s, const char *cert_pem, const char *key_pem,
                        const char *cert_alt, const char *key_alt, char *const *snis, size_t n_snis,
                        char **err);

/* Makes certificate i (in the order added) the default. */
void live_tls_server_set_default(struct live_tls_server *s, size_t i);

/* The certificates added so far. */
size_t live_tls_server_count(const struct live_tls_server *s);

/* Session tickets are sealed with these keys (else random ones of this process). */
void live_tls_server_set_ticket_keys(struct live_tls_server *s,
                                     const unsigned char keys[LIVE_TLS_TICKET_KEYS_BYTES]);

struct live_tls_client;

/*
 * Settings for connections to upstreams (live_rt_addr_set_tls): TLS 1.2
 * and 1.3 with the same suites as the server. verify: check the server's
 * certificate against the system's trusted CAs (OpenSSL's default paths)
 * and its name against the SNI sent; else anything is accepted (Kong's
 * default: tls_verify off). Returns NULL with *err (caller frees) if
 * OpenSSL fails.
 */
struct live_tls_client *live_tls_client_new(int verify, char **err);
void live_tls_client_free(struct live_tls_client *cl);

/* ---------------------------------------------------------------- mutual TLS (the mesh) */

/*
 * Mutual TLS as Istio's sidecars speak it: each end presents its workload
 * certificate (an X.509 with a SPIFFE id, `faultline ca issue`) and checks
 * the other's against the trust bundle's roots (OpenSSL's chain
 * verification at the wall clock: issuer, signatures, validity) and for a
 * URI subjectAltName spiffe://... A peer that fails is refused in the
 * handshake: no request is read from it or sent to it.
 */

/*
 * From now on the server asks every client for its certificate and
 * refuses a client without one, or whose one fails the checks above
 * against the roots in bundle_pem. Returns 0, or -1 with *err (caller frees).
 */
int live_tls_server_set_mutual(struct live_tls_server *s, const char *bundle_pem, char **err);

/*
 * Client settings presenting cert_pem (leaf, then its chain) with key_pem,
 * and checking the server's certificate against bundle_pem as above (no
 * host name check: mesh servers are named by their SPIFFE ids). NULL with
 * *err (caller frees).
 */
struct live_tls_client *live_tls_client_new_mutual(const char *cert_pem, const char *key_pem,
                                                   const char *bundle_pem, char **err);

/* Reads a whole file (a PEM) into *out (caller frees). Returns 0, or -1 with errno set. */
int live_tls_read_file(const char *path, char **out);

#endif
