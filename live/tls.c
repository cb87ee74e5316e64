/*
 * tls.c - TLS over the live runtime's non-blocking connections (see
 * tls.h): the server's SSL_CTX and certificates, chosen by SNI in
 * OpenSSL's certificate callback; and each TLS connection's state, an SSL
 * object on the connection's socket, driven by rt_conn.c:
 *
 *   accepted --(live_tls_attach)--> HANDSHAKE --(SSL_do_handshake 1)--> ESTABLISHED
 *                                      |  (one step per readiness, within the turn's budget)
 *                                      +--(error: plain HTTP, TLS 1.0, weak suite...)--> FAILED
 *
 * In HANDSHAKE, each readiness of the socket takes one handshake step,
 * and a turn of the loop takes at most LIVE_TLS_HANDSHAKES_PER_TURN of
 * them: a connection over the budget stops watching its socket and waits
 * on the runtime's list; an ev_prepare watcher (before the loop next
 * polls) gives a fresh budget and watches their sockets again, and an
 * ev_idle watcher keeps the loop from sleeping while any wait. Established
 * connections never wait: their reads and writes are not budgeted.
 *
 * A handshaking connection is a client connection like any other (rt.h):
 * counted by the connection limits from its accept, idle (it may be closed
 * to make room), and bound by header_timeout from the accept: the
 * handshake and the first request's head must both arrive within it.
 *
 * ESTABLISHED: SSL_read and SSL_write stand for recv and send, with the
 * same errno conventions (EAGAIN when OpenSSL waits for the socket). A
 * read that must write first (a TLS 1.3 key update's answer) watches for
 * writability (live_tls_wants_write). Writes are partial as send's are
 * (SSL_MODE_ENABLE_PARTIAL_WRITE), from a buffer that may move between
 * retries (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). A peer closing without
 * close_notify is taken as an EOF (SSL_OP_IGNORE_UNEXPECTED_EOF), as
 * HTTP/1.1 delimits its messages itself. A graceful close sends
 * close_notify first (RFC 8446 section 6.1), best effort.
 *
 * Upstream connections to an address marked for TLS (live_rt_addr_set_tls)
 * get an SSL object in the connect state once the TCP connect succeeds,
 * with the address's server name; their handshake steps are not budgeted
 * (the gateway opens them itself, for requests already in hand).
 *
 * Mutual TLS (live_tls_server_set_mutual, live_tls_client_new_mutual):
 * both ends verify the other's certificate with OpenSSL's chain
 * verification against a store of the bundle's roots, and a verify
 * callback refuses a leaf without a spiffe:// URI subjectAltName. Once the
 * handshake is over the peer's principal is kept on the connection
 * (live_tls_principal). An SSL object holds a reference to its SSL_CTX,
 * so settings replaced on rotation (a new server or client given to the
 * listener or the address) leave connections made with the old ones as
 * they were.
 *
 * Not here: OCSP, ca_certificates of Kong services.
 */
#include "live/tls.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "live/rt_internal.h"
#include "proxies/kong_cert.h"

/* ---------------------------------------------------------------- the server */

struct tls_pair {
    X509 *leaf;
    STACK_OF(X509) * chain;
    EVP_PKEY *key;
};

struct tls_cert {
    struct tls_pair main, alt; /* alt.leaf NULL: none */
};

struct tls_name {
    char *name; /* lower case, Kong's wildcards kept */
    size_t cert;
};

struct live_tls_server {
    SSL_CTX *ctx;
    int mutual; /* clients must present a verified certificate (set_mutual) */
    struct tls_cert *certs;
    size_t n_certs;
    size_t def; /* the default certificate */
    struct tls_name *names;
    size_t n_names;
};

static char *ssl_error(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return e ? fl_asprintf("%s: %s", what, buf) : fl_asprintf("%s", what);
}

static void pair_free(struct tls_pair *p)
{
    X509_free(p->leaf);
    sk_X509_pop_free(p->chain, X509_free);
    EVP_PKEY_free(p->key);
    memset(p, 0, sizeof *p);
}

/* Certificate index of an SNI name, by Kong's order (tls.h), or the default. */
static size_t cert_for(const struct live_tls_server *s, const char *sni)
{
    char name[256], wild[260];
    FL_ASSERT(s && sni && s->def < s->n_certs);
    size_t len = strlen(sni);
    if (!len || len >= sizeof name) return s->def;
    for (size_t i = 0; i <= len; i++) name[i] = (char)tolower((unsigned char)sni[i]);
    const char *dot = strchr(name, '.'), *last = strrchr(name, '.');
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 0) {
            snprintf(wild, sizeof wild, "%s", name);
        } else if (pass == 1) { /* "*.example.com": the first label (there must be two) */
            if (!dot || dot == last) continue;
            snprintf(wild, sizeof wild, "*%s", dot);
        } else { /* "api.example.*": the last label */
            if (!last) continue;
            snprintf(wild, sizeof wild, "%.*s.*", (int)(last - name), name);
        }
        for (size_t i = 0; i < s->n_names; i++)
            if (!strcmp(s->names[i].name, wild)) return s->names[i].cert;
    }
    return s->def;
}

static int use_pair(SSL *ssl, const struct tls_pair *p)
{
    FL_ASSERT(ssl && p->leaf && p->key && p->chain);
    return SSL_use_cert_and_key(ssl, p->leaf, p->key, p->chain, 1) == 1;
}

/*
 * OpenSSL's certificate callback (SSL_CTX_set_cert_cb), called once the
 * ClientHello is read: the SNI's certificate replaces the default one.
 */
static int on_cert(SSL *ssl, void *arg)
{
    const struct live_tls_server *s = arg;
    FL_ASSERT(s && s->n_certs > 0);
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    size_t i = sni ? cert_for(s, sni) : s->def;
    FL_ASSERT(i < s->n_certs);
    if (i == s->def) return 1; /* the context's own */
    const struct tls_cert *c = &s->certs[i];
    SSL_certs_clear(ssl); /* none of the default's pairs stays beside these */
    if (!use_pair(ssl, &c->main)) return 0;
    if (c->alt.leaf && !use_pair(ssl, &c->alt)) return 0;
    return 1;
}

struct live_tls_server *live_tls_server_new(char **err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *err = ssl_error("SSL_CTX_new");
        return NULL;
    }
    /* TLS 1.2 and 1.3 only; ECDHE + AEAD for TLS 1.2 (tls.h) */
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, LIVE_TLS12_CIPHERS) ||
        !SSL_CTX_set_ciphersuites(ctx, LIVE_TLS13_SUITES) ||
        !SSL_CTX_set1_groups_list(ctx, LIVE_TLS_GROUPS) ||
        !SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"faultline", 9)) {
        *err = ssl_error("configuring TLS");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_NO_COMPRESSION);
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET); /* resumption by tickets (the default) */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    struct live_tls_server *s = fl_calloc(1, sizeof *s);
    s->ctx = ctx;
    SSL_CTX_set_cert_cb(ctx, on_cert, s);
    return s;
}

void live_tls_server_free(struct live_tls_server *s)
{
    if (!s) return;
    SSL_CTX_free(s->ctx);
    for (size_t i = 0; i < s->n_certs; i++) {
        pair_free(&s->certs[i].main);
        pair_free(&s->certs[i].alt);
    }
    free(s->certs);
    for (size_t i = 0; i < s->n_names; i++) free(s->names[i].name);
    free(s->names);
    free(s);
}

static int ctx_use(struct live_tls_server *s, size_t i, char **err)
{
    FL_ASSERT(s && i < s->n_certs && err);
    const struct tls_cert *c = &s->certs[i];
    if (SSL_CTX_use_cert_and_key(s->ctx, c->main.leaf, c->main.key, c->main.chain, 1) != 1 ||
        (c->alt.leaf &&
         SSL_CTX_use_cert_and_key(s->ctx, c->alt.leaf, c->alt.key, c->alt.chain, 1) != 1)) {
        *err = ssl_error("using the default certificate");
        return -1;
    }
    return 0;
}

int live_tls_server_add(struct live_tls_server *s, const char *cert_pem, const char *key_pem,
                        const char *cert_alt, const char *key_alt, char *const *snis, size_t n_snis,
                        char **err)
{
    FL_ASSERT(s && cert_pem && key_pem && (!cert_alt == !key_alt));
    struct tls_cert c = {0};
    const char *why;
    if (px_kong_pem_load(cert_pem, key_pem, &c.main.leaf, &c.main.chain, &c.main.key, &why)) {
        *err = fl_strdup(why);
        return -1;
    }
    if (cert_alt &&
        px_kong_pem_load(cert_alt, key_alt, &c.alt.leaf, &c.alt.chain, &c.alt.key, &why)) {
        pair_free(&c.main);
        *err = fl_asprintf("alternate %s", why);
        return -1;
    }
    s->certs = fl_realloc(s->certs, (s->n_certs + 1) * sizeof *s->certs);
    s->certs[s->n_certs] = c;
    s->names = fl_realloc(s->names, (s->n_names + n_snis + 1) * sizeof *s->names);
    for (size_t i = 0; i < n_snis; i++) {
        char *low = fl_strdup(snis[i]);
        for (char *q = low; *q; q++) *q = (char)tolower((unsigned char)*q);
        s->names[s->n_names++] = (struct tls_name){low, s->n_certs};
    }
    if (s->n_certs++ == 0 && ctx_use(s, 0, err)) return -1;
    return 0;
}

void live_tls_server_set_default(struct live_tls_server *s, size_t i)
{
    FL_ASSERT(s && i < s->n_certs);
    char *err = NULL;
    s->def = i;
    if (ctx_use(s, i, &err)) FL_ASSERT(0); /* each was loaded and checked when added */
}

size_t live_tls_server_count(const struct live_tls_server *s)
{
    return s->n_certs;
}

void live_tls_server_set_ticket_keys(struct live_tls_server *s,
                                     const unsigned char keys[LIVE_TLS_TICKET_KEYS_BYTES])
{
    FL_ASSERT(s && keys);
    long ok = SSL_CTX_set_tlsext_ticket_keys(s->ctx, (void *)keys, LIVE_TLS_TICKET_KEYS_BYTES);
    FL_ASSERT(ok == 1);
}

int live_tls_read_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, len = 0;
    char *buf = fl_malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len <= 1) buf = fl_realloc(buf, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return -1;
    }
    buf[len] = 0;
    *out = buf;
    return 0;
}

/* ---------------------------------------------------------------- the client */

struct live_tls_client {
    SSL_CTX *ctx;
    int verify;
};

struct live_tls_client *live_tls_client_new(int verify, char **err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, LIVE_TLS12_CIPHERS) ||
        !SSL_CTX_set_ciphersuites(ctx, LIVE_TLS13_SUITES) ||
        !SSL_CTX_set1_groups_list(ctx, LIVE_TLS_GROUPS) ||
        (verify && !SSL_CTX_set_default_verify_paths(ctx))) {
        *err = ssl_error("configuring TLS to upstreams");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    struct live_tls_client *cl = fl_calloc(1, sizeof *cl);
    cl->ctx = ctx;
    cl->verify = verify;
    return cl;
}

void live_tls_client_free(struct live_tls_client *cl)
{
    if (!cl) return;
    SSL_CTX_free(cl->ctx);
    free(cl);
}

/* ---------------------------------------------------------------- mutual TLS */

/* The first URI subjectAltName of x that starts with "spiffe://", copied into out; 0, or -1. */
static int spiffe_of(X509 *x, char *out, size_t size)
{
    FL_ASSERT(x && out && size > 0);
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int rc = -1;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && rc; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_URI) continue;
        const unsigned char *u = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
        int len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
        if (len > 9 && len - 9 < (int)size && !memcmp(u, "spiffe://", 9) &&
            !memchr(u, 0, (size_t)len)) {
            memcpy(out, u + 9, (size_t)len - 9);
            out[len - 9] = 0;
            rc = 0;
        }
    }
    GENERAL_NAMES_free(names);
    return rc;
}

/* OpenSSL's verify callback: the chain's verdict, and a SPIFFE id on the leaf. */
static int on_verify(int ok, X509_STORE_CTX *x)
{
    if (!ok || X509_STORE_CTX_get_error_depth(x) != 0) return ok;
    char id[256];
    if (spiffe_of(X509_STORE_CTX_get_current_cert(x), id, sizeof id)) {
        X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    return 1;
}

/* A store of the roots in a PEM text (at least one). NULL with *err. */
static X509_STORE *bundle_store(const char *pem, char **err)
{
    FL_ASSERT(pem && err);
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509_STORE *st = X509_STORE_new();
    int n = 0;
    X509 *x;
    while (b && st && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        n += X509_STORE_add_cert(st, x) == 1;
        X509_free(x);
    }
    BIO_free(b);
    ERR_clear_error();
    if (!st || !n) {
        X509_STORE_free(st);
        *err = fl_strdup("the trust bundle holds no certificate (want PEM roots)");
        return NULL;
    }
    return st;
}

int live_tls_server_set_mutual(struct live_tls_server *s, const char *bundle_pem, char **err)
{
    FL_ASSERT(s && s->ctx && bundle_pem);
    X509_STORE *st = bundle_store(bundle_pem, err);
    if (!st) return -1;
    SSL_CTX_set_cert_store(s->ctx, st); /* the context owns it */
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, on_verify);
    s->mutual = 1;
    return 0;
}

struct live_tls_client *live_tls_client_new_mutual(const char *cert_pem, const char *key_pem,
                                                   const char *bundle_pem, char **err)
{
    FL_ASSERT(cert_pem && key_pem && bundle_pem && err);
    X509 *leaf = NULL;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    const char *why;
    if (px_kong_pem_load(cert_pem, key_pem, &leaf, &chain, &key, &why)) {
        *err = fl_strdup(why);
        return NULL;
    }
    X509_STORE *st = bundle_store(bundle_pem, err);
    struct live_tls_client *cl = st ? live_tls_client_new(0, err) : NULL;
    if (cl && SSL_CTX_use_cert_and_key(cl->ctx, leaf, key, chain, 1) != 1) {
        *err = ssl_error("using the workload certificate");
        live_tls_client_free(cl);
        cl = NULL;
    }
    if (cl) {
        SSL_CTX_set_cert_store(cl->ctx, st);
        st = NULL;
        SSL_CTX_set_verify(cl->ctx, SSL_VERIFY_PEER, on_verify);
    }
    X509_STORE_free(st);
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    return cl;
}

/* ---------------------------------------------------------------- the handshake budget */

struct live_tls_rt {
    ev_prepare prepare; /* each turn: a fresh budget, the waiting connections watched again */
    ev_idle idle;       /* keeps the loop from sleeping while any wait */
    int budget;
    struct px_conn *wait_head, *wait_tail;
};

struct live_tls_conn {
    SSL *ssl;
    int done;            /* the handshake finished */
    int failed;          /* a fatal error: no close_notify */
    int notified;        /* close_notify sent */
    int want_write;      /* the last step or read waits for the socket to take bytes */
    int waiting;         /* on the budget's list */
    int mutual;          /* a server connection whose client must present a certificate */
    char principal[256]; /* the verified peer's SPIFFE id without "spiffe://" ("": none) */
    struct px_conn *wait_next, *wait_prev;
};

static void wait_remove(struct live_tls_rt *r, struct px_conn *c)
{
    struct live_tls_conn *t = c->tls;
    FL_ASSERT(t->waiting);
    if (t->wait_prev)
        t->wait_prev->tls->wait_next = t->wait_next;
    else
        r->wait_head = t->wait_next;
    if (t->wait_next)
        t->wait_next->tls->wait_prev = t->wait_prev;
    else
        r->wait_tail = t->wait_prev;
    t->wait_next = t->wait_prev = NULL;
    t->waiting = 0;
}

static void watch(struct px_conn *c)
{
    FL_ASSERT(c->tls && c->state == C_OPEN && !c->tls->waiting);
    struct ev_loop *loop = c->rt->loop;
    ev_io_start(loop, &c->rio);
    if (c->tls->want_write)
        ev_io_start(loop, &c->wio);
    else
        ev_io_stop(loop, &c->wio);
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    struct live_tls_rt *r = w->data;
    FL_ASSERT(r && r->budget <= LIVE_TLS_HANDSHAKES_PER_TURN);
    r->budget = LIVE_TLS_HANDSHAKES_PER_TURN;
    while (r->wait_head) {
        struct px_conn *c = r->wait_head;
        wait_remove(r, c);
        watch(c); /* level-triggered: what is waiting in the socket is reported again */
    }
    ev_idle_stop(loop, &r->idle);
}

static void on_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents; /* only keeps the loop polling without sleeping */
}

static struct live_tls_rt *tls_rt(struct live_rt *rt)
{
    if (rt->tls) return rt->tls;
    struct live_tls_rt *r = fl_calloc(1, sizeof *r);
    r->budget = LIVE_TLS_HANDSHAKES_PER_TURN;
    ev_prepare_init(&r->prepare, on_prepare);
    r->prepare.data = r;
    ev_idle_init(&r->idle, on_idle);
    ev_prepare_start(rt->loop, &r->prepare);
    ev_unref(rt->loop); /* the prepare watcher alone does not keep the loop running */
    rt->tls = r;
    return r;
}

void live_tls_rt_fini(struct live_rt *rt)
{
    struct live_tls_rt *r = rt->tls;
    if (!r) return;
    FL_ASSERT(!r->wait_head); /* every connection was closed first */
    ev_ref(rt->loop);
    ev_prepare_stop(rt->loop, &r->prepare);
    ev_idle_stop(rt->loop, &r->idle);
    free(r);
    rt->tls = NULL;
}

/* ---------------------------------------------------------------- a connection */

int live_tls_attach(struct px_conn *c, struct live_tls_server *s)
{
    FL_ASSERT(c && s && c->server && !c->tls && c->fd >= 0);
    tls_rt(c->rt);
    SSL *ssl = SSL_new(s->ctx);
    if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
        SSL_free(ssl);
        ERR_clear_error();
        return -1;
    }
    SSL_set_accept_state(ssl);
    c->tls = fl_calloc(1, sizeof *c->tls);
    c->tls->ssl = ssl;
    c->tls->mutual = s->mutual;
    return 0;
}

int live_tls_attach_client(struct px_conn *c, struct live_tls_client *cl, const char *sni)
{
    FL_ASSERT(c && cl && !c->server && !c->tls && c->fd >= 0);
    SSL *ssl = SSL_new(cl->ctx);
    if (!ssl || SSL_set_fd(ssl, c->fd) != 1 || (sni && SSL_set_tlsext_host_name(ssl, sni) != 1) ||
        (sni && cl->verify && SSL_set1_host(ssl, sni) != 1)) {
        SSL_free(ssl);
        ERR_clear_error();
        return -1;
    }
    SSL_set_connect_state(ssl);
    tls_rt(c->rt);
    c->tls = fl_calloc(1, sizeof *c->tls);
    c->tls->ssl = ssl;
    return 0;
}

/* Once the handshake is over: the peer's verified SPIFFE id, if it showed one. */
static void peer_principal(struct live_tls_conn *t)
{
    FL_ASSERT(t && t->done);
    t->principal[0] = 0;
    X509 *peer = SSL_get0_peer_certificate(t->ssl);
    if (!peer || SSL_get_verify_result(t->ssl) != X509_V_OK ||
        SSL_get_verify_mode(t->ssl) == SSL_VERIFY_NONE)
        return;
    if (spiffe_of(peer, t->principal, sizeof t->principal)) t->principal[0] = 0;
}

const char *live_tls_principal(const struct px_conn *c)
{
    const struct live_tls_conn *t = c->tls;
    FL_ASSERT(t);
    if (!t->done) return t->mutual ? "" : NULL; /* verified before any request, or closed */
    return t->principal[0] ? t->principal : NULL;
}

int live_tls_established(const struct px_conn *c)
{
    return c->tls->done;
}

int live_tls_wants_write(const struct px_conn *c)
{
    return c->tls && c->tls->want_write;
}

/* Why OpenSSL failed, for the log: its last error's reason, else errno's. */
static const char *fail_reason(int e)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    if (r) return r;
    if (e == SSL_ERROR_SYSCALL) return errno ? strerror(errno) : "connection closed";
    return "TLS error";
}

int live_tls_handshake(struct px_conn *c)
{
    struct live_tls_conn *t = c->tls;
    struct live_rt *rt = c->rt;
    struct live_tls_rt *r = tls_rt(rt);
    FL_ASSERT(t && !t->done && !t->failed && c->state == C_OPEN);
    if (t->waiting) return 0;
    if (c->server && r->budget <= 0) { /* this turn's budget is spent: wait for the next */
        ev_io_stop(rt->loop, &c->rio);
        ev_io_stop(rt->loop, &c->wio);
        t->waiting = 1;
        t->wait_next = NULL;
        t->wait_prev = r->wait_tail;
        if (r->wait_tail)
            r->wait_tail->tls->wait_next = c;
        else
            r->wait_head = c;
        r->wait_tail = c;
        ev_idle_start(rt->loop, &r->idle);
        rt->st.tls_deferred++;
        return 0;
    }
    if (c->server) r->budget--;
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1) {
        t->done = 1;
        peer_principal(t);
        t->want_write = 0;
        watch(c);
        rt->st.tls_handshakes++;
        if (SSL_session_reused(t->ssl)) rt->st.tls_resumed++;
        live_logf(rt, "conn %llu: %s %s%s%s%s", (unsigned long long)c->id, SSL_get_version(t->ssl),
                  SSL_get_cipher_name(t->ssl), SSL_session_reused(t->ssl) ? ", resumed" : "",
                  t->principal[0] ? ", peer spiffe://" : "", t->principal);
        return 1;
    }
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t->want_write = e == SSL_ERROR_WANT_WRITE;
        watch(c);
        return 0;
    }
    t->failed = 1;
    rt->st.tls_failures++;
    long v = c->server && !t->mutual ? X509_V_OK : SSL_get_verify_result(t->ssl);
    live_logf(rt, "conn %llu: TLS handshake failed: %s%s%s", (unsigned long long)c->id,
              fail_reason(e), v != X509_V_OK ? ": " : "",
              v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
    ERR_clear_error();
    return -1;
}

ssize_t live_tls_recv(struct px_conn *c, void *buf, size_t len)
{
    struct live_tls_conn *t = c->tls;
    FL_ASSERT(t && t->done && len > 0);
    ERR_clear_error();
    int n = SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    t->want_write = 0;
    if (n > 0) {
        /* decrypted bytes OpenSSL holds do not show on the socket: read them next */
        if (SSL_pending(t->ssl) > 0) ev_feed_event(c->rt->loop, &c->rio, EV_READ);
        return n;
    }
    int e = SSL_get_error(t->ssl, n);
    switch (e) {
    case SSL_ERROR_ZERO_RETURN: return 0; /* close_notify, or an EOF (tls.c's top) */
    case SSL_ERROR_WANT_WRITE:
        t->want_write = 1;
        ev_io_start(c->rt->loop, &c->wio);
        /* fall through */
    case SSL_ERROR_WANT_READ: errno = EAGAIN; return -1;
    case SSL_ERROR_SYSCALL:
        t->failed = 1;
        if (!errno) return 0;
        return -1;
    default:
        t->failed = 1;
        live_logf(c->rt, "conn %llu: TLS: %s", (unsigned long long)c->id, fail_reason(e));
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

ssize_t live_tls_send(struct px_conn *c, const void *buf, size_t len)
{
    struct live_tls_conn *t = c->tls;
    FL_ASSERT(t && len > 0);
    if (!t->done) { /* nothing goes out before the handshake is over */
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();
    int n = SSL_write(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (n > 0) return n;
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        errno = EAGAIN;
        return -1;
    }
    t->failed = 1;
    if (e != SSL_ERROR_SYSCALL || !errno) errno = EPIPE;
    ERR_clear_error();
    return -1;
}

void live_tls_close_notify(struct px_conn *c)
{
    struct live_tls_conn *t = c->tls;
    if (!t || !t->done || t->failed || t->notified) return;
    FL_ASSERT(c->fd >= 0); /* before the socket closes */
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl); /* non-blocking: sends close_notify if the socket takes it */
    ERR_clear_error();
    t->notified = 1;
}

void live_tls_detach(struct px_conn *c)
{
    struct live_tls_conn *t = c->tls;
    if (!t) return;
    FL_ASSERT(t->ssl && (!t->waiting || c->rt->tls));
    if (t->waiting) wait_remove(c->rt->tls, c);
    SSL_free(t->ssl);
    free(t);
    c->tls = NULL;
}
