/*
 * kongtest.h - what the Kong test suites share: parsing and building a
 * configuration given as text, a resolver that answers as the simulator's
 * (billing has two pods), and small lookups.
 */
#ifndef FL_TESTS_PROXIES_KONGTEST_H
#define FL_TESTS_PROXIES_KONGTEST_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/kong.h"
#include "tests/testutil.h"

#define MS INT64_C(1000000)

struct fake_dns {
    char last_host[64];
    uint16_t last_port;
    int calls;
};

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
int kt_str_is(const char *actual, const char *expected, int line);
#define ASSERT_STR(actual, expected) CU_ASSERT(kt_str_is((actual), (expected), __LINE__))
/* Parses text as a Kong configuration named "kong.yaml"; returns the parser's result. */
int kt_parse(const char *text, struct px_kong *k, char **err);
void kt_parse_ok(const char *text, struct px_kong *k);
/* The error of text that must be refused (caller frees). */
char *kt_parse_err(const char *text);
#define ASSERT_ERR(text, expected)                                                                 \
    do {                                                                                           \
        char *e__ = kt_parse_err(text);                                                            \
        ASSERT_STR(e__, expected);                                                                 \
        free(e__);                                                                                 \
    } while (0)

void kt_endpoint(struct px_endpoint_cfg *e, const char *name, uint64_t addr);
int kt_fake_resolve(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                    size_t *n, char **err);
int kt_build(const struct px_kong *k, struct fake_dns *dns, struct px_proxy_cfg *out, char **err);
void kt_build_ok(const char *text, struct px_kong *k, struct px_proxy_cfg *out);
/* The vhost matching exactly this domain, or NULL. */
const struct px_vhost_cfg *kt_vhost(const struct px_proxy_cfg *c, const char *domain);
/* The route names of a vhost joined by spaces, into buf. */
const char *kt_route_names(const struct px_vhost_cfg *v, char *buf, size_t size);

/* billing at http://billing:8080 with one route, /api/v1/billing */
extern const char *const kt_basic;

#endif
