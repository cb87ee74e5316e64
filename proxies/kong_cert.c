/*
 * kong_cert.c - reads Kong's `certificates` and `snis` (see kong_cert.h),
 * as kong/db/schema/entities/certificates.lua and snis.lua have them:
 *  - a certificate: cert and key (PEM text, required), cert_alt and
 *    key_alt (a second pair, both or neither), id, tags, created_at,
 *    updated_at, and nested `snis`: names, or {name: ..} records as
 *    `kong config db_export` writes them;
 *  - an sni at the top level: name, and certificate naming a certificate
 *    by id (a string, or {id: ..}).
 *
 * Each cert and key is parsed with OpenSSL when read, and a key must match
 * its certificate (X509_check_private_key): a bad PEM is an error at its
 * line and column here, not a failed handshake later. An SNI name is
 * Kong's wildcard_host (a host name; one '*' as the whole leftmost or
 * rightmost label), unique across all certificates.
 *
 * Not here: choosing a certificate for a handshake (live/tls.c). Nothing
 * about the validity period is checked (it depends on the clock).
 */
#include "proxies/kong_cert.h"

#include <ctype.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

/* ---------------------------------------------------------------- PEM */

static void chain_free(STACK_OF(X509) * chain)
{
    sk_X509_pop_free(chain, X509_free);
}

int px_kong_pem_load(const char *cert_pem, const char *key_pem, X509 **leaf,
                     STACK_OF(X509) * *chain, EVP_PKEY **key, const char **why)
{
    FL_ASSERT(cert_pem && key_pem && leaf && chain && key && why);
    *leaf = NULL;
    *chain = sk_X509_new_null();
    *key = NULL;
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    *leaf = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    X509 *x;
    while (*leaf && b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
        if (!sk_X509_push(*chain, x)) X509_free(x);
    BIO_free(b);
    ERR_clear_error(); /* the end of the chain reads as an error */
    if (!*leaf) {
        *why = "cert: not a PEM certificate (-----BEGIN CERTIFICATE-----)";
        goto fail;
    }
    b = BIO_new_mem_buf(key_pem, -1);
    *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!*key) {
        *why = "key: not a PEM private key (or it is encrypted)";
        goto fail;
    }
    if (X509_check_private_key(*leaf, *key) != 1) {
        *why = "key: does not match the certificate's public key";
        goto fail;
    }
    ERR_clear_error();
    return 0;
fail:
    ERR_clear_error();
    X509_free(*leaf);
    chain_free(*chain);
    EVP_PKEY_free(*key);
    *leaf = NULL;
    *chain = NULL;
    *key = NULL;
    return -1;
}

/* ---------------------------------------------------------------- SNI names */

const char *px_kong_sni_invalid(const char *name)
{
    FL_ASSERT(name);
    size_t len = strlen(name);
    if (!len || len > 253) return "not a valid host name";
    const char *star = strchr(name, '*');
    if (star && strchr(star + 1, '*')) return "only one wildcard must be specified";
    if (star && len < 3) return "not a valid host name"; /* before looking around the star */
    if (star && !(star == name && name[1] == '.') &&
        !(star > name && star == name + len - 1 && star[-1] == '.'))
        return "invalid wildcard: must be placed at leftmost or rightmost label";
    /* each label: letters, digits, hyphens, not empty, not starting or ending with a hyphen */
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, ".");
        if (!n || n > 63) return "not a valid host name";
        if (!(n == 1 && *p == '*')) {
            for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)p[i]) && p[i] != '-') return "not a valid host name";
            if (p[0] == '-' || p[n - 1] == '-') return "not a valid host name";
        }
        p += n;
        if (*p == '.' && !p[1]) return "not a valid host name"; /* a trailing dot */
        if (*p) p++;
    }
    return NULL;
}

/* ---------------------------------------------------------------- reading */

/* The SNI name n for certificate ci: valid, unique, kept in lower case. */
static int add_sni(struct kp *c, const yaml_node_t *n, size_t ci)
{
    FL_ASSERT(c && n && ci < c->k->n_certs);
    const char *s, *why;
    if (fl_y_string(c->d, n, "sni name", &s)) return -1;
    if ((why = px_kong_sni_invalid(s))) return fl_y_error(c->d, n, "sni '%s': %s", s, why);
    char *low = fl_strdup(s);
    for (char *q = low; *q; q++) *q = (char)tolower((unsigned char)*q);
    for (size_t i = 0; i < c->k->n_certs; i++)
        for (size_t j = 0; j < c->k->certs[i].n_snis; j++)
            if (!strcmp(c->k->certs[i].snis[j], low)) {
                free(low);
                return fl_y_error(c->d, n, "sni '%s' is given twice (certificate #%zu has it)", s,
                                  i + 1);
            }
    struct px_kong_cert *ce = &c->k->certs[ci];
    ce->snis = fl_realloc(ce->snis, (ce->n_snis + 1) * sizeof *ce->snis);
    ce->snis[ce->n_snis++] = low;
    return 0;
}

/* A certificate's nested snis: names, or {name: ..} records. */
static int nested_snis(struct kp *c, const yaml_node_t *n, size_t ci)
{
    static const char *const keys[] = {"name", "id", "tags", "created_at", "updated_at", NULL};
    static const char *const required[] = {"name", NULL};
    FL_ASSERT(ci < c->k->n_certs);
    if (fl_y_want_seq(c->d, n, "snis")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *x = px_kong_item(c, n, i);
        if (x->type == YAML_MAPPING_NODE) {
            if (fl_y_check_keys(c->d, x, keys, required, "sni")) return -1;
            x = fl_y_get(c->d, x, "name");
        }
        if (add_sni(c, x, ci)) return -1;
    }
    return 0;
}

/* cert and key (or cert_alt and key_alt) of m, checked with OpenSSL; copies into *cert, *key. */
static int pem_pair(struct kp *c, const yaml_node_t *m, const char *cert_key, const char *key_key,
                    char **cert, char **key)
{
    const yaml_node_t *cn = fl_y_get(c->d, m, cert_key), *kn = fl_y_get(c->d, m, key_key);
    const char *cs, *ks, *why;
    FL_ASSERT(!*cert && !*key);
    if (!cn && !kn) return 0;
    if (!cn || !kn)
        return fl_y_error(c->d, cn ? cn : kn, "certificate: %s and %s go together", cert_key,
                          key_key);
    if (fl_y_string(c->d, cn, cert_key, &cs) || fl_y_string(c->d, kn, key_key, &ks)) return -1;
    X509 *leaf;
    STACK_OF(X509) * chain;
    EVP_PKEY *pk;
    if (px_kong_pem_load(cs, ks, &leaf, &chain, &pk, &why))
        return fl_y_error(c->d, !strncmp(why, "cert", 4) ? cn : kn, "certificate %s", why);
    X509_free(leaf);
    chain_free(chain);
    EVP_PKEY_free(pk);
    *cert = fl_strdup(cs);
    *key = fl_strdup(ks);
    return 0;
}

static int parse_cert(struct kp *c, const yaml_node_t *n)
{
    static const char *const keys[] = {"id",   "cert",       "key",        "cert_alt", "key_alt",
                                       "tags", "created_at", "updated_at", "snis",     NULL};
    static const char *const required[] = {"cert", "key", NULL};
    if (fl_y_want_map(c->d, n, "a certificate") ||
        fl_y_check_keys(c->d, n, keys, required, "certificate"))
        return -1;
    struct px_kong *k = c->k;
    k->certs = fl_realloc(k->certs, (k->n_certs + 1) * sizeof *k->certs);
    size_t ci = k->n_certs++;
    struct px_kong_cert *ce = &k->certs[ci];
    memset(ce, 0, sizeof *ce);
    char at[160];
    ce->at = fl_strdup(fl_y_where(c->d, n, at, sizeof at));
    const yaml_node_t *x = fl_y_get(c->d, n, "id");
    const char *s;
    if (x) {
        if (fl_y_string(c->d, x, "certificate id", &s)) return -1;
        for (size_t i = 0; i < ci; i++)
            if (k->certs[i].id && !strcmp(k->certs[i].id, s))
                return fl_y_error(c->d, x, "certificate id '%s' is given twice", s);
        ce->id = fl_strdup(s);
    }
    if (pem_pair(c, n, "cert", "key", &ce->cert, &ce->key) ||
        pem_pair(c, n, "cert_alt", "key_alt", &ce->cert_alt, &ce->key_alt))
        return -1;
    FL_ASSERT(ce->cert && ce->key); /* required above */
    if ((x = fl_y_get(c->d, n, "snis")) && !px_kong_is_null(x) && nested_snis(c, x, ci)) return -1;
    return 0;
}

/* A top-level sni: its certificate named by id (a string or {id: ..}). */
static int parse_top_sni(struct kp *c, const yaml_node_t *n)
{
    static const char *const keys[] = {"name",       "certificate", "id", "tags",
                                       "created_at", "updated_at",  NULL};
    static const char *const required[] = {"name", "certificate", NULL};
    if (fl_y_want_map(c->d, n, "an sni") || fl_y_check_keys(c->d, n, keys, required, "sni"))
        return -1;
    const yaml_node_t *ref = fl_y_get(c->d, n, "certificate");
    FL_ASSERT(ref); /* required above */
    if (ref->type == YAML_MAPPING_NODE) {
        static const char *const ref_keys[] = {"id", NULL};
        if (fl_y_check_keys(c->d, ref, ref_keys, ref_keys, "certificate reference")) return -1;
        ref = fl_y_get(c->d, ref, "id");
    }
    const char *id;
    if (fl_y_string(c->d, ref, "certificate id", &id)) return -1;
    for (size_t i = 0; i < c->k->n_certs; i++)
        if (c->k->certs[i].id && !strcmp(c->k->certs[i].id, id))
            return add_sni(c, fl_y_get(c->d, n, "name"), i);
    return fl_y_error(c->d, ref, "no certificate with id '%s'", id);
}

int px_kong_parse_certs(struct kp *c, const yaml_node_t *n)
{
    FL_ASSERT(c && c->k && n && n->type == YAML_MAPPING_NODE);
    const char *keys[2] = {"certificates", "snis"};
    int (*fn[2])(struct kp *, const yaml_node_t *) = {parse_cert, parse_top_sni};
    for (int i = 0; i < 2; i++) { /* certificates first: snis name them */
        const yaml_node_t *x = fl_y_get(c->d, n, keys[i]);
        if (!x || px_kong_is_null(x)) continue;
        if (fl_y_want_seq(c->d, x, keys[i])) return -1;
        for (size_t j = 0; j < SEQ_COUNT(x); j++)
            if (fn[i](c, px_kong_item(c, x, j))) return -1;
    }
    return 0;
}

void px_kong_certs_free(struct px_kong *k)
{
    for (size_t i = 0; i < k->n_certs; i++) {
        struct px_kong_cert *ce = &k->certs[i];
        free(ce->id);
        free(ce->cert);
        free(ce->key);
        free(ce->cert_alt);
        free(ce->key_alt);
        free(ce->at);
        px_kong_strs_free(ce->snis, ce->n_snis);
    }
    free(k->certs);
    k->certs = NULL;
    k->n_certs = 0;
}
