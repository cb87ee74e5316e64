/*
 * ca.c - `faultline ca`: a mesh certificate authority on files, as
 * istiod's self-signed CA: a root (`init`), workload certificates with
 * SPIFFE ids signed by it (`issue`), and the check a sidecar makes of a
 * peer's certificate (`check`), all with proxies/identity.c, the code the
 * simulator checks its mutual TLS with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/text.h"
#include "base/units.h"
#include "cli/cli.h"
#include "proxies/identity.h"

#define CMD "ca"

static const char usage[] =
    "usage: faultline ca init DIR [--ttl D] [--name NAME]\n"
    "       faultline ca issue DIR (--spiffe ID | --sa ACCOUNT [--ns NAMESPACE]\n"
    "                          [--trust-domain TD]) [--ttl D] --out PREFIX\n"
    "       faultline ca check DIR CERT.pem [--at EPOCH]\n"
    "\n"
    "A mesh certificate authority on files, as Istio's (istiod's self-signed root):\n"
    "\n"
    "  init   makes a root: DIR/root-cert.pem and DIR/root-key.pem (mode 0600), an\n"
    "         ECDSA P-256 key and a self-signed CA certificate valid for --ttl (10y)\n"
    "  issue  signs a workload certificate with a SPIFFE id (the URI subjectAltName\n"
    "         spiffe://TD/ns/NAMESPACE/sa/ACCOUNT; TD cluster.local, NAMESPACE default),\n"
    "         valid from now for --ttl (24h, Istio's default): PREFIX-cert.pem,\n"
    "         PREFIX-key.pem (0600) and PREFIX-chain.pem (the certificate and the root)\n"
    "  check  checks CERT.pem against the root of DIR at --at (seconds since 1970;\n"
    "         default: now) as a sidecar checks a peer: prints the principal\n"
    "         (cluster.local/ns/default/sa/web, as AuthorizationPolicy `principals`\n"
    "         write it) and exits 0, or prints why not (expired, not yet valid,\n"
    "         unknown issuer, no SPIFFE id) and exits 1\n"
    "\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status 2: bad usage, or a file that cannot be read or written. Files are\n"
    "written whole (a temporary file renamed); init refuses a DIR that has a root.\n";

struct ca_opts {
    const char *action, *dir, *cert, *spiffe, *sa, *ns, *td, *name, *out;
    int64_t ttl_s;
    int64_t at;
    int has_ttl, has_at;
};

static int bad(const char *fmt, const char *arg)
{
    return cli_usage_error(CMD, fmt, arg);
}

static int take(struct ca_opts *o, const char *a, const char *v)
{
    int64_t ns;
    int rc;
    if (!strcmp(a, "--ttl")) {
        if ((rc = fl_parse_duration(v, &ns)) || ns < 1000000000)
            return bad("--ttl: want a duration of a second or more, such as 24h, not '%s'", v);
        o->ttl_s = ns / 1000000000;
        o->has_ttl = 1;
    } else if (!strcmp(a, "--at")) {
        char *end;
        errno = 0;
        long long t = strtoll(v, &end, 10);
        if (!*v || *end || errno || t < 0) return bad("--at: want seconds since 1970, not '%s'", v);
        o->at = t;
        o->has_at = 1;
    } else if (!strcmp(a, "--spiffe")) {
        o->spiffe = v;
    } else if (!strcmp(a, "--sa")) {
        o->sa = v;
    } else if (!strcmp(a, "--ns")) {
        o->ns = v;
    } else if (!strcmp(a, "--trust-domain")) {
        o->td = v;
    } else if (!strcmp(a, "--name")) {
        o->name = v;
    } else {
        FL_ASSERT(!strcmp(a, "--out"));
        o->out = v;
    }
    return 0;
}

static int parse(struct ca_opts *o, int argc, char **argv)
{
    static const char *const with_value[] = {"--ttl",          "--at",   "--spiffe", "--sa", "--ns",
                                             "--trust-domain", "--name", "--out",    NULL};
    const char *pos[3] = {NULL, NULL, NULL};
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(CLI_OK);
        }
        if (a[0] == '-' && a[1]) {
            int known = 0;
            for (int k = 0; with_value[k]; k++) known |= !strcmp(with_value[k], a);
            if (!known) return bad("unknown option '%s'", a);
            if (i + 1 >= argc) return bad("%s needs a value", a);
            if (take(o, a, argv[++i])) return CLI_BAD_INPUT;
            continue;
        }
        if (n_pos == 3) return bad("one argument too many: '%s'", a);
        pos[n_pos++] = a;
    }
    if (!n_pos) return bad("%s", "which action? init, issue or check");
    o->action = pos[0];
    o->dir = pos[1];
    o->cert = pos[2];
    if (strcmp(o->action, "init") && strcmp(o->action, "issue") && strcmp(o->action, "check"))
        return bad("unknown action '%s' (init, issue or check)", o->action);
    if (!o->dir) return bad("%s needs the CA's folder", o->action);
    if (strcmp(o->action, "check") && o->cert) return bad("one argument too many: '%s'", o->cert);
    if (!strcmp(o->action, "check") && !o->cert) return bad("%s", "check needs CERT.pem");
    if (strcmp(o->action, "issue") && (o->spiffe || o->sa || o->ns || o->td || o->out))
        return bad("--spiffe, --sa, --ns, --trust-domain and --out are for issue, not %s",
                   o->action);
    if (strcmp(o->action, "check") && o->has_at) return bad("--at is for check, not %s", o->action);
    if (strcmp(o->action, "init") && o->name) return bad("--name is for init, not %s", o->action);
    if (!strcmp(o->action, "check") && o->has_ttl) return bad("%s", "--ttl is not for check");
    if (!strcmp(o->action, "issue")) {
        if (!o->out) return bad("%s", "issue needs --out PREFIX");
        if (!o->spiffe == !o->sa) return bad("%s", "issue needs one of --spiffe and --sa");
        if (o->spiffe && (o->ns || o->td))
            return bad("%s", "--ns and --trust-domain go with --sa, not --spiffe");
    }
    return 0;
}

/* Writes text to path whole (a temporary file renamed), with mode; 0, or -1 after a message. */
static int write_file(const char *path, const char *text, mode_t mode)
{
    char *tmp = fl_asprintf("%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t len = strlen(text);
    int ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;
    if (fd >= 0 && close(fd)) ok = 0;
    if (ok && rename(tmp, path)) ok = 0;
    if (!ok) {
        fprintf(stderr, "faultline " CMD ": cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

static char *read_or_say(const char *path)
{
    char *s = fl_read_file(path, 1 << 20, NULL);
    if (!s) fprintf(stderr, "faultline " CMD ": cannot read %s\n", path);
    return s;
}

static int ca_init(const struct ca_opts *o)
{
    char *cert_path = fl_asprintf("%s/root-cert.pem", o->dir);
    char *key_path = fl_asprintf("%s/root-key.pem", o->dir);
    int rc = CLI_BAD_INPUT;
    char why[200];
    struct px_ca *ca = NULL;
    char *cert = NULL, *key = NULL;
    if (mkdir(o->dir, 0700) && errno != EEXIST) {
        fprintf(stderr, "faultline " CMD ": cannot make %s: %s\n", o->dir, strerror(errno));
    } else if (!access(cert_path, F_OK) || !access(key_path, F_OK)) {
        fprintf(stderr, "faultline " CMD ": %s already has a root (remove it first)\n", o->dir);
    } else {
        int64_t now = (int64_t)time(NULL);
        ca = px_ca_new(o->name ? o->name : "faultline mesh root", now,
                       now + (o->has_ttl ? o->ttl_s : INT64_C(10) * 365 * 86400), why, sizeof why);
        cert = ca ? px_ca_cert_pem(ca) : NULL;
        key = ca ? px_ca_key_pem(ca) : NULL;
        if (!cert || !key)
            fprintf(stderr, "faultline " CMD ": %s\n", ca ? "cannot write the PEM" : why);
        else if (!write_file(key_path, key, 0600) && !write_file(cert_path, cert, 0644)) {
            printf("%s\n%s\n", cert_path, key_path);
            rc = CLI_OK;
        }
    }
    free(cert);
    free(key);
    px_ca_free(ca);
    free(cert_path);
    free(key_path);
    return rc;
}

static struct px_ca *load_ca(const char *dir)
{
    char *cp = fl_asprintf("%s/root-cert.pem", dir), *kp = fl_asprintf("%s/root-key.pem", dir);
    char *cert = read_or_say(cp), *key = cert ? read_or_say(kp) : NULL, why[200];
    struct px_ca *ca = key ? px_ca_load(cert, key, why, sizeof why) : NULL;
    if (key && !ca) fprintf(stderr, "faultline " CMD ": %s: %s\n", dir, why);
    free(cert);
    free(key);
    free(cp);
    free(kp);
    return ca;
}

static int ca_issue(const struct ca_opts *o)
{
    struct px_ca *ca = load_ca(o->dir);
    if (!ca) return CLI_BAD_INPUT;
    char *id = o->spiffe ? fl_strdup(o->spiffe)
                         : fl_asprintf("spiffe://%s/ns/%s/sa/%s", o->td ? o->td : "cluster.local",
                                       o->ns ? o->ns : "default", o->sa);
    int64_t now = (int64_t)time(NULL);
    char why[200];
    struct px_id_cert *c =
        px_ca_issue(ca, id, now, now + (o->has_ttl ? o->ttl_s : 86400), why, sizeof why);
    int rc = CLI_BAD_INPUT;
    if (!c) {
        fprintf(stderr, "faultline " CMD ": %s\n", why);
    } else {
        char *cert = px_id_cert_pem(c), *key = px_id_key_pem(c), *root = px_ca_cert_pem(ca);
        char *chain = fl_asprintf("%s%s", cert, root);
        char *cp = fl_asprintf("%s-cert.pem", o->out), *kp = fl_asprintf("%s-key.pem", o->out);
        char *hp = fl_asprintf("%s-chain.pem", o->out);
        if (!write_file(kp, key, 0600) && !write_file(cp, cert, 0644) &&
            !write_file(hp, chain, 0644)) {
            printf("%s\n%s\n%s\n%s\n", id, cp, kp, hp);
            rc = CLI_OK;
        }
        free(cert);
        free(key);
        free(root);
        free(chain);
        free(cp);
        free(kp);
        free(hp);
    }
    px_id_cert_free(c);
    free(id);
    px_ca_free(ca);
    return rc;
}

static int ca_check(const struct ca_opts *o)
{
    char *rp = fl_asprintf("%s/root-cert.pem", o->dir);
    char *root = read_or_say(rp), *leaf = root ? read_or_say(o->cert) : NULL, why[200];
    free(rp);
    struct px_bundle *b = leaf ? px_bundle_load(root, why, sizeof why) : NULL;
    struct px_id_cert *c = b ? px_id_cert_load(leaf, why, sizeof why) : NULL;
    int rc = CLI_BAD_INPUT;
    if (leaf && !c) {
        fprintf(stderr, "faultline " CMD ": %s: %s\n", b ? o->cert : o->dir, why);
    } else if (c) {
        char principal[300];
        enum px_id_result r =
            px_id_check(c, b, o->has_at ? o->at : (int64_t)time(NULL), principal, sizeof principal);
        if (r == PX_ID_OK) {
            printf("%s\n", principal);
            rc = CLI_OK;
        } else {
            printf("refused: %s\n", px_id_result_text(r));
            rc = CLI_FAILED;
        }
    }
    px_id_cert_free(c);
    px_bundle_free(b);
    free(root);
    free(leaf);
    return rc;
}

int cli_ca(int argc, char **argv)
{
    struct ca_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(&o, argc, argv);
    if (rc) return rc;
    FL_ASSERT(o.action && o.dir);
    if (!strcmp(o.action, "init")) return ca_init(&o);
    if (!strcmp(o.action, "issue")) return ca_issue(&o);
    return ca_check(&o);
}
