/*
 * identity.h - workload identities as Istio's CA (istiod) issues them:
 * X.509 certificates whose subjectAltName is a SPIFFE id
 * (spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT), signed by a
 * mesh root, short-lived; and the check a peer's certificate gets on every
 * new mutual TLS connection: chain to a root of the trust bundle, validity
 * at a given time, a SPIFFE id.
 *
 * Real X.509 through OpenSSL 3, in the simulator (at simulated times) and
 * live (`faultline ca`, at the wall clock) alike. Keys are ECDSA P-256
 * (Istio's ECC option; its RSA 2048 default would make every issuance cost
 * a key generation of tens of milliseconds). Certificate bytes are not
 * reproducible (fresh keys, randomized ECDSA signatures); what the checks
 * decide depends only on the times, the issuers and the names.
 */
#ifndef FL_PROXIES_IDENTITY_H
#define FL_PROXIES_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

struct px_ca;      /* a signing authority: its key and self-signed root certificate */
struct px_id_cert; /* a certificate with its private key (and the chain above it) */
struct px_bundle;  /* a trust bundle: the roots a peer's chain may end in */

/* A root CA named `name`, valid [not_before, not_after] (seconds since 1970); NULL on failure. */
struct px_ca *px_ca_new(const char *name, int64_t not_before, int64_t not_after, char *err,
                        size_t errsz);
/* Reads a CA from its PEM certificate and key; NULL with err. */
struct px_ca *px_ca_load(const char *cert_pem, const char *key_pem, char *err, size_t errsz);
void px_ca_free(struct px_ca *ca);

/* A workload certificate for SPIFFE id `spiffe` (spiffe://...), valid [nb, na]; NULL with err. */
struct px_id_cert *px_ca_issue(struct px_ca *ca, const char *spiffe, int64_t not_before,
                               int64_t not_after, char *err, size_t errsz);
void px_id_cert_free(struct px_id_cert *c);
int64_t px_id_cert_not_after(const struct px_id_cert *c);

/* PEM texts (malloc'd): the CA's certificate and key; a certificate (leaf) and its key. */
char *px_ca_cert_pem(const struct px_ca *ca);
char *px_ca_key_pem(const struct px_ca *ca);
char *px_id_cert_pem(const struct px_id_cert *c);
char *px_id_key_pem(const struct px_id_cert *c);
/* Reads a leaf certificate (PEM; the key is not needed to check it); NULL with err. */
struct px_id_cert *px_id_cert_load(const char *pem, char *err, size_t errsz);

/* A trust bundle of the given CAs' roots (borrowed: they must outlive it). */
struct px_bundle *px_bundle_new(struct px_ca *const *cas, size_t n);
/* ... or of the roots in a PEM text; NULL with err. */
struct px_bundle *px_bundle_load(const char *pem, char *err, size_t errsz);
void px_bundle_free(struct px_bundle *b);

enum px_id_result {
    PX_ID_OK = 0,
    PX_ID_EXPIRED,        /* now is after notAfter (of the leaf or of a CA above it) */
    PX_ID_NOT_YET_VALID,  /* now is before notBefore */
    PX_ID_UNKNOWN_ISSUER, /* the chain does not end in a root of the bundle, or a bad signature */
    PX_ID_NO_SPIFFE_ID,   /* no URI subjectAltName spiffe://... */
    PX_ID_INVALID,        /* anything else OpenSSL refuses */
};

/* "expired", "not yet valid", "unknown issuer"... */
const char *px_id_result_text(enum px_id_result r);

/*
 * Checks peer certificate c against bundle b at time `now` (seconds since
 * 1970, the checker's clock): X509_verify_cert with that time, then the
 * SPIFFE id. On PX_ID_OK the principal (the id without "spiffe://", as
 * Istio's AuthorizationPolicy `principals` write it) is copied into
 * principal (size > 0).
 */
enum px_id_result px_id_check(const struct px_id_cert *c, const struct px_bundle *b, int64_t now,
                              char *principal, size_t size);

#endif
