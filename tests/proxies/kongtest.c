/*
 * kongtest.c - helpers of the Kong test suites (see kongtest.h).
 */
#include "tests/proxies/kongtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
int kt_str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr, "\n  line %d: got      \"%s\"\n  line %d: expected \"%s\"\n", line,
                actual ? actual : "(null)", line, expected ? expected : "(null)");
    return same;
}

/* Parses text as a Kong configuration named "kong.yaml"; returns the parser's result. */
int kt_parse(const char *text, struct px_kong *k, char **err)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    *err = NULL;
    if (fl_ydoc_load_buffer("kong.yaml", text, strlen(text), &docs, &n, err)) return -1;
    CU_ASSERT_EQUAL_FATAL(n, 1);
    int rc = px_kong_parse(&docs[0], fl_y_root(&docs[0]), k);
    if (rc) {
        *err = docs[0].err;
        docs[0].err = NULL;
    }
    fl_ydoc_free_all(docs, n);
    return rc;
}

void kt_parse_ok(const char *text, struct px_kong *k)
{
    char *err;
    int rc = kt_parse(text, k, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    if (rc) free(err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The error of text that must be refused (caller frees). */
char *kt_parse_err(const char *text)
{
    struct px_kong k;
    char *err;
    if (kt_parse(text, &k, &err) == 0) {
        px_kong_free(&k);
        return fl_strdup("(accepted)");
    }
    return err;
}

/* ---- a resolver as the simulator's: services are pods, two for billing ---- */

void kt_endpoint(struct px_endpoint_cfg *e, const char *name, uint64_t addr)
{
    memset(e, 0, sizeof *e);
    e->name = fl_strdup(name);
    e->addr = addr;
    e->weight = 1;
}

int kt_fake_resolve(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                    size_t *n, char **err)
{
    struct fake_dns *dns = arg;
    snprintf(dns->last_host, sizeof dns->last_host, "%s", host);
    dns->last_port = port;
    dns->calls++;
    if (!strcmp(host, "billing")) {
        *eps = fl_calloc(2, sizeof **eps);
        kt_endpoint(&(*eps)[0], "billing-0", 10);
        kt_endpoint(&(*eps)[1], "billing-1", 11);
        *n = 2;
        return 0;
    }
    if (!strcmp(host, "inventory") || !strcmp(host, "pod-a") || !strcmp(host, "pod-b") ||
        !strcmp(host, "pod-c") || !strcmp(host, "api.example.com")) {
        *eps = fl_calloc(1, sizeof **eps);
        kt_endpoint(*eps, host, 20 + (uint64_t)host[4]);
        *n = 1;
        return 0;
    }
    *err = fl_asprintf("'%s' is neither a service nor a pod of the scenario", host);
    return -1;
}

int kt_build(const struct px_kong *k, struct fake_dns *dns, struct px_proxy_cfg *out, char **err)
{
    struct px_resolver r = {kt_fake_resolve, dns};
    *err = NULL;
    return px_kong_build(k, "gateway", &r, out, err);
}

void kt_build_ok(const char *text, struct px_kong *k, struct px_proxy_cfg *out)
{
    struct fake_dns dns = {0};
    char *err;
    kt_parse_ok(text, k);
    int rc = kt_build(k, &dns, out, &err);
    if (rc) fprintf(stderr, "\n  unexpected build error: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The vhost matching exactly this domain, or NULL. */
const struct px_vhost_cfg *kt_vhost(const struct px_proxy_cfg *c, const char *domain)
{
    for (size_t i = 0; i < c->n_vhosts; i++)
        if (!strcmp(c->vhosts[i].domains[0], domain)) return &c->vhosts[i];
    return NULL;
}

/* The route names of a vhost joined by spaces, into buf. */
const char *kt_route_names(const struct px_vhost_cfg *v, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; v && i < v->n_routes && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", v->routes[i].name);
    return buf;
}

/* ---- reading ---- */

const char *const kt_basic = "_format_version: \"3.0\"\n"
                             "services:\n"
                             "  - name: billing\n"
                             "    url: http://billing:8080\n"
                             "    routes:\n"
                             "      - name: billing-route\n"
                             "        paths: [/api/v1/billing]\n";
