/*
 * token.c - `faultline token`: mints a JSON Web Token (JWS compact form)
 * for tests and scenarios, signed with an HMAC secret or a private PEM
 * key, with the claims given; or, with --jwks, prints the JWK set of a
 * key, as Istio's RequestAuthentication `jwks` takes it. The signing and
 * the JWK are proxies/jwt.h's, the same code that verifies tokens.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "cli/cli.h"
#include "proxies/b64url.h"
#include "proxies/jwt.h"

static const char usage[] =
    "usage: faultline token [--alg ALG] (--secret TEXT | --secret-file FILE) [--secret-base64]\n"
    "                       [--kid K] [--claim NAME=VALUE]... [--iat-now] [--exp D] [--nbf D]\n"
    "                       [--now EPOCH]\n"
    "       faultline token [--alg ALG] --key FILE.pem [--kid K] [--claim ...] ...\n"
    "       faultline token --alg none [--claim ...] ...\n"
    "       faultline token --jwks --key FILE.pem [--kid K] [--alg ALG]\n"
    "\n"
    "Prints a JSON Web Token (JWS compact serialization, RFC 7515) with the header\n"
    "{\"alg\":ALG,\"typ\":\"JWT\"[,\"kid\":K]} and the claims given, signed with an HMAC\n"
    "secret or a private key: for Kong's jwt plugin, Istio's RequestAuthentication and\n"
    "the workloads of scenarios. With --jwks it prints instead the JWK set (RFC 7517)\n"
    "of a key's public part, one line, for Istio's `jwks` field.\n"
    "\n"
    "  --alg ALG           HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512, or\n"
    "                      none (an unsigned token, to test that it is refused);\n"
    "                      default: HS256 for a secret, RS256 for an RSA key, ES256,\n"
    "                      ES384 or ES512 for an EC key on P-256, P-384 or P-521\n"
    "  --secret TEXT       the HMAC secret (HS*), as Kong's credential `secret`\n"
    "  --secret-file FILE  the HMAC secret is the bytes of FILE\n"
    "  --secret-base64     the secret is base64 text, either alphabet, padding optional\n"
    "                      (as Kong's `secret_is_base64` decodes it)\n"
    "  --key FILE.pem      a PEM private key (RSA of at least 2048 bits, or EC on\n"
    "                      P-256, P-384, P-521) to sign with; for --jwks, a public\n"
    "                      key, private key or certificate\n"
    "  --kid K             the header's (or the JWK's) key id\n"
    "  --claim NAME=VALUE  a claim; VALUE is taken as JSON when it is valid JSON (42,\n"
    "                      true, null, [\"a\",\"b\"], {\"k\":1}, \"quoted\"), else as a string\n"
    "  --iat-now           claim iat: now\n"
    "  --exp D             claim exp: now + D in whole seconds, e.g. 10m, 1h; -D is in\n"
    "                      the past (an expired token)\n"
    "  --nbf D             claim nbf: now + D (e.g. 5m: not valid yet; -1m: valid)\n"
    "  --now EPOCH         now, in seconds since 1970-01-01 UTC (default: the clock),\n"
    "                      for reproducible tokens\n"
    "  --jwks              print the JWK set {\"keys\":[JWK]} of --key (or of the secret,\n"
    "                      as an oct key); --alg, if given, becomes the JWK's alg\n"
    "  -h, --help          show this help\n"
    "\n"
    "The claims appear in the order given, then iat, nbf, exp. Examples:\n"
    "  faultline token --secret s3cr3t --claim iss=alice --exp 1h\n"
    "  faultline token --key rsa.pem --kid k1 --claim 'aud=[\"api\"]' --iat-now\n"
    "  faultline token --jwks --key rsa-pub.pem --kid k1 --alg RS256\n"
    "\n"
    "Exit status: 0 printed, 2 bad usage or a key that cannot sign (the message\n"
    "names the option).\n";

#define CMD            "token"
#define MAX_FILE_BYTES (1 << 20)

struct token_opts {
    int alg; /* enum px_jwt_alg, or -1: from the key */
    const char *secret, *secret_file, *key_file, *kid;
    int secret_b64, jwks, iat_now;
    const char *exp, *nbf, *now; /* as given */
    json_t *claims;              /* the --claim ones, in order */
};

/* The bytes of path (at most 1 MiB), NUL-terminated; NULL after printing why. */
static char *read_file(const char *option, const char *path, size_t *len)
{
    FL_ASSERT(option && path && len);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "faultline " CMD ": %s %s: %s\n", option, path, strerror(errno));
        return NULL;
    }
    char *buf = fl_malloc(MAX_FILE_BYTES + 1);
    size_t n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > MAX_FILE_BYTES) {
        fprintf(stderr, "faultline " CMD ": %s %s: %s\n", option, path,
                bad ? "cannot be read" : "larger than 1 MiB");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A --claim NAME=VALUE into o->claims; 0 or CLI_BAD_INPUT. */
static int add_claim(struct token_opts *o, const char *arg)
{
    FL_ASSERT(o && o->claims && arg);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return cli_usage_error(CMD, "--claim needs NAME=VALUE, not '%s'", arg);
    char *name = fl_strndup(arg, (size_t)(eq - arg));
    int rc = 0;
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!v) v = json_string(eq + 1);
    json_t *name_v = json_string(name); /* NULL when name is not UTF-8 */
    int name_ok = name_v != NULL;
    json_decref(name_v);
    if (!v || !name_ok)
        rc = cli_usage_error(CMD, "--claim %s: not UTF-8 text", arg);
    else if (json_object_get(o->claims, name))
        rc = cli_usage_error(CMD, "--claim %s given twice", name);
    else
        json_object_set_new(o->claims, name, v), v = NULL;
    json_decref(v);
    free(name);
    return rc;
}

/* Reads one option with its value; 0 or CLI_BAD_INPUT. */
static int take_value(struct token_opts *o, const char *a, const char *v)
{
    FL_ASSERT(o && a && v);
    if (!strcmp(a, "--alg")) {
        o->alg = px_jwt_alg_parse(v);
        if (o->alg < 0)
            return cli_usage_error(CMD,
                                   "--alg: '%s' is not HS256, HS384, HS512, RS256, RS384, "
                                   "RS512, ES256, ES384, ES512 or none",
                                   v);
    } else if (!strcmp(a, "--secret"))
        o->secret = v;
    else if (!strcmp(a, "--secret-file"))
        o->secret_file = v;
    else if (!strcmp(a, "--key"))
        o->key_file = v;
    else if (!strcmp(a, "--kid"))
        o->kid = v;
    else if (!strcmp(a, "--claim"))
        return add_claim(o, v);
    else if (!strcmp(a, "--exp"))
        o->exp = v;
    else if (!strcmp(a, "--nbf"))
        o->nbf = v;
    else {
        FL_ASSERT(!strcmp(a, "--now"));
        o->now = v;
    }
    return 0;
}

static int parse_args(struct token_opts *o, int argc, char **argv)
{
    FL_ASSERT(o && o->claims && argc >= 1 && argv);
    static const char *const with_value[] = {"--alg", "--secret", "--secret-file", "--key",
                                             "--kid", "--claim",  "--exp",         "--nbf",
                                             "--now", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return -1;
        }
        if (!strcmp(a, "--secret-base64"))
            o->secret_b64 = 1;
        else if (!strcmp(a, "--jwks"))
            o->jwks = 1;
        else if (!strcmp(a, "--iat-now"))
            o->iat_now = 1;
        else {
            int known = 0;
            for (int k = 0; with_value[k]; k++) known |= !strcmp(a, with_value[k]);
            if (!known) return cli_usage_error(CMD, "unknown argument '%s'", a);
            if (i + 1 >= argc) return cli_usage_error(CMD, "%s needs a value", a);
            if (take_value(o, a, argv[++i])) return CLI_BAD_INPUT;
        }
    }
    return 0;
}

/* The options that combine badly; 0 or CLI_BAD_INPUT naming one. */
static int check_args(const struct token_opts *o)
{
    FL_ASSERT(o && o->claims && o->alg >= -1 && o->alg < PX_JWT_UNKNOWN);
    int sources = !!o->secret + !!o->secret_file + !!o->key_file;
    if (sources > 1)
        return cli_usage_error(CMD, "%s: give one of --secret, --secret-file and --key",
                               o->key_file ? "--key" : "--secret-file");
    if (o->secret_b64 && !o->secret && !o->secret_file)
        return cli_usage_error(CMD, "%s needs --secret or --secret-file", "--secret-base64");
    if (o->jwks) {
        const char *extra = json_object_size(o->claims) ? "--claim"
                            : o->iat_now                ? "--iat-now"
                            : o->exp                    ? "--exp"
                            : o->nbf                    ? "--nbf"
                            : o->now                    ? "--now"
                                                        : NULL;
        if (extra) return cli_usage_error(CMD, "%s does not go with --jwks", extra);
        if (!sources) return cli_usage_error(CMD, "%s needs --key FILE.pem", "--jwks");
        if (o->alg == PX_JWT_NONE)
            return cli_usage_error(CMD, "%s: a JWK has no alg none", "--alg");
        return 0;
    }
    if (o->alg == PX_JWT_NONE && sources)
        return cli_usage_error(CMD, "--alg none signs nothing: drop %s",
                               o->key_file ? "--key"
                               : o->secret ? "--secret"
                                           : "--secret-file");
    if (o->alg != PX_JWT_NONE && !sources)
        return cli_usage_error(CMD, "%s needs --secret, --secret-file or --key (or --alg none)",
                               o->alg >= 0 ? "--alg" : "a token");
    return 0;
}

/* The key of the options; NULL after printing why. */
static struct px_jwt_key *load_key(const struct token_opts *o)
{
    FL_ASSERT(o->secret || o->secret_file || o->key_file);
    size_t n = 0;
    if (o->key_file) {
        char *pem = read_file("--key", o->key_file, &n);
        if (!pem) return NULL;
        char err[160];
        struct px_jwt_key *k = px_jwt_key_pem(pem, err, sizeof err);
        OPENSSL_cleanse(pem, n);
        free(pem);
        if (!k) fprintf(stderr, "faultline " CMD ": --key %s: %s\n", o->key_file, err);
        return k;
    }
    char *text = o->secret ? fl_strdup(o->secret) : read_file("--secret-file", o->secret_file, &n);
    if (!text) return NULL;
    if (o->secret) n = strlen(text);
    struct px_jwt_key *k = NULL;
    if (!o->secret_b64) {
        k = px_jwt_key_secret(text, n);
    } else {
        unsigned char *raw = NULL;
        size_t len = 0;
        size_t m = n; /* a file's last newline is not base64 */
        while (m > 0 && (text[m - 1] == '\n' || text[m - 1] == '\r')) m--;
        if (px_b64_decode_any(text, m, &raw, &len) == 0) {
            k = px_jwt_key_secret(raw, len);
            OPENSSL_cleanse(raw, len);
            free(raw);
        } else {
            fprintf(stderr, "faultline " CMD ": %s: the secret is not base64 (--secret-base64)\n",
                    o->secret ? "--secret" : o->secret_file);
        }
    }
    OPENSSL_cleanse(text, n);
    free(text);
    return k;
}

/* The alg of the options, or the key's natural one; -1 after printing why. */
static int choose_alg(const struct token_opts *o, const struct px_jwt_key *k)
{
    FL_ASSERT(k);
    const char *src = o->key_file ? o->key_file : "the secret";
    if (o->alg >= 0) {
        if (px_jwt_key_fits(k, o->alg)) return o->alg;
        fprintf(stderr,
                "faultline " CMD ": --alg %s does not fit %s (HS* take a secret, RS* an RSA key "
                "of 2048 bits or more, ES256/384/512 an EC key on P-256/384/521)\n",
                px_jwt_alg_name(o->alg), src);
        return -1;
    }
    static const int natural[] = {PX_JWT_HS256, PX_JWT_RS256, PX_JWT_ES256, PX_JWT_ES384,
                                  PX_JWT_ES512};
    for (size_t i = 0; i < sizeof natural / sizeof natural[0]; i++)
        if (px_jwt_key_fits(k, natural[i])) return natural[i];
    fprintf(stderr,
            "faultline " CMD ": %s fits no alg (an empty secret, an RSA key under 2048 bits, "
            "or an EC key off P-256/384/521)\n",
            src);
    return -1;
}

/* A --exp or --nbf duration, [-]D in whole seconds; 0 with *s, or CLI_BAD_INPUT. */
static int duration_s(const char *option, const char *v, int64_t *s)
{
    FL_ASSERT(option && v && s);
    int neg = v[0] == '-';
    int64_t ns = 0;
    int rc = fl_parse_duration(v + neg, &ns);
    if (rc) {
        fprintf(stderr, "faultline " CMD ": %s '%s': %s\n(see faultline " CMD " --help)\n", option,
                v, fl_units_strerror(rc, FL_UNITS_DURATION));
        return CLI_BAD_INPUT;
    }
    if (ns % 1000000000)
        return cli_usage_error(CMD, "%s needs whole seconds (e.g. 90s, 10m)", option);
    *s = (neg ? -1 : 1) * (ns / 1000000000);
    return 0;
}

/* iat, nbf, exp into o->claims from now; 0 or CLI_BAD_INPUT. */
static int add_time_claims(struct token_opts *o)
{
    FL_ASSERT(o && json_is_object(o->claims) && !o->jwks);
    int64_t now = 0;
    if (o->now) {
        char *end;
        errno = 0;
        long long v = strtoll(o->now, &end, 10);
        if (!*o->now || *end || errno || v < 0)
            return cli_usage_error(CMD, "--now needs seconds since 1970 (a whole number), not '%s'",
                                   o->now);
        now = v;
    } else {
        now = (int64_t)time(NULL);
    }
    const struct {
        const char *claim, *option, *value;
        int on;
    } t[] = {
        {"iat", "--iat-now", NULL, o->iat_now},
        {"nbf", "--nbf", o->nbf, o->nbf != NULL},
        {"exp", "--exp", o->exp, o->exp != NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        if (!t[i].on) continue;
        int64_t d = 0;
        if (t[i].value && duration_s(t[i].option, t[i].value, &d)) return CLI_BAD_INPUT;
        if (json_object_get(o->claims, t[i].claim))
            return cli_usage_error(CMD, "%s and --claim both set the claim", t[i].option);
        json_object_set_new(o->claims, t[i].claim, json_integer(now + d));
    }
    return 0;
}

static int print_jwks(const struct token_opts *o, const struct px_jwt_key *k)
{
    FL_ASSERT(o->jwks && k);
    char err[160];
    char *jwk = px_jwk_public_json(k, o->kid, o->alg, err, sizeof err);
    if (!jwk) {
        fprintf(stderr, "faultline " CMD ": %s: %s\n", strstr(err, "kid") ? "--kid" : "--alg", err);
        return CLI_BAD_INPUT;
    }
    printf("{\"keys\":[%s]}\n", jwk);
    free(jwk);
    return CLI_OK;
}

static int print_token(struct token_opts *o, const struct px_jwt_key *k)
{
    FL_ASSERT(!o->jwks && (k != NULL) == (o->alg != PX_JWT_NONE));
    if (add_time_claims(o)) return CLI_BAD_INPUT;
    int alg = k ? choose_alg(o, k) : PX_JWT_NONE;
    if (alg < 0) return CLI_BAD_INPUT;
    if (k && !px_jwt_key_can_sign(k)) {
        fprintf(stderr,
                "faultline " CMD ": --key %s holds no private key: a token needs one (a public "
                "key makes --jwks)\n",
                o->key_file);
        return CLI_BAD_INPUT;
    }
    char *payload = json_dumps(o->claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
    FL_ASSERT(payload);
    char err[160];
    char *tok = px_jwt_sign(alg, o->kid, payload, k, err, sizeof err);
    free(payload);
    if (!tok) {
        fprintf(stderr, "faultline " CMD ": %s%s\n",
                strstr(err, "kid")       ? "--kid: "
                : strstr(err, "payload") ? "--claim: "
                                         : "",
                err);
        return CLI_BAD_INPUT;
    }
    puts(tok);
    free(tok);
    return CLI_OK;
}

int cli_token(int argc, char **argv)
{
    FL_ASSERT(argc >= 1 && argv);
    struct token_opts o = {.alg = -1, .claims = json_object()};
    int rc = parse_args(&o, argc, argv);
    if (rc) {
        json_decref(o.claims);
        return rc < 0 ? CLI_OK : rc;
    }
    rc = check_args(&o);
    struct px_jwt_key *k = NULL;
    if (!rc && (o.secret || o.secret_file || o.key_file)) {
        k = load_key(&o);
        if (!k) rc = CLI_BAD_INPUT;
    }
    if (!rc) rc = o.jwks ? print_jwks(&o, k) : print_token(&o, k);
    px_jwt_key_free(k);
    json_decref(o.claims);
    FL_ASSERT(rc == CLI_OK || rc == CLI_BAD_INPUT);
    return rc;
}
