/*
 * kong_cert.h - Kong's `certificates` and `snis` (kong_cert.c): the PEM
 * text of each certificate and key, checked with OpenSSL when read, and
 * the server names each one answers for.
 *
 * Used by kong_parse.c (reading) and by the live runtime's TLS
 * (live/tls.c: loading what was read).
 */
#ifndef FL_PROXIES_KONG_CERT_H
#define FL_PROXIES_KONG_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proxies/kong.h"

struct kp;

/*
 * Reads the top level's `certificates` (each with nested `snis`) and
 * `snis` (each naming its certificate by id) of node n into c->k.
 * Returns 0, or -1 with the error recorded (file:line:col).
 */
int px_kong_parse_certs(struct kp *c, const yaml_node_t *n);

/* Frees what px_kong_parse_certs added to k. */
void px_kong_certs_free(struct px_kong *k);

/*
 * Loads a certificate chain (the first PEM certificate of cert_pem is the
 * leaf, those after it the chain) and its private key (key_pem). Returns
 * 0 with *leaf, *chain (may be empty) and *key (caller frees them:
 * X509_free, OSSL_STACK_OF_X509_free or sk_X509_pop_free, EVP_PKEY_free),
 * or -1 with *why a static reason.
 */
int px_kong_pem_load(const char *cert_pem, const char *key_pem, X509 **leaf,
                     STACK_OF(X509) * *chain, EVP_PKEY **key, const char **why);

/*
 * Kong's SNI name (typedefs.wildcard_host): a host name, lower case or
 * not, with at most one wildcard, as the whole leftmost label ("*.x.com")
 * or the whole rightmost one ("x.*"). Returns NULL if name is one, else why not.
 */
const char *px_kong_sni_invalid(const char *name);

#endif
