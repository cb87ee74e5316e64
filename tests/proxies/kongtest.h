/*
 * kongtest.h - what the Kong test suites share: parsing and building a
 * configuration given as text, a resolver that answers as the simulator's
 * (billing has two pods), and small lookups.
 */
#ifndef FL_TESTS_PROXIES_KONGTEST_H
#define FL_TESTS_PROXIES_KONGTEST_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/edge.h"
#include "proxies/kong.h"
#include "proxies/respcache.h"
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

/* ---- kongtest_gw.c: a gateway's route policies run on messages ---- */

extern struct px_rt kt_rt; /* makes messages; draws from a counter */
struct px_msg *kt_msg_new(struct px_rt *rt);
void kt_msg_free(struct px_rt *rt, struct px_msg *m);

struct kt_gw {
    struct px_kong k;
    struct px_proxy_cfg c;
    struct px_respcache cache;
    uint64_t counter;
    char uuid[PX_UUID_SIZE];
    struct px_edge_env env;
    struct px_msg *last_req; /* kt_pass_st: the request the upstream got */
};

void kt_gw_open(struct kt_gw *g, const char *text);
void kt_gw_close(struct kt_gw *g);
/* The policies of the first route named `route` (NULL if it has none). */
const struct px_edge_cfg *kt_edges(struct kt_gw *g, const char *route);
struct px_msg *kt_request(const char *method, const char *path);
struct px_msg *kt_answer(int status, const char *content_type);
/*
 * Runs req through a route's policies: the local answer, or (NULL from the
 * request phase) the upstream's answer `up`; then the response phase.
 * Returns the response (caller frees); req is freed. kt_pass_st also
 * gives the stream's state, and keeps req when it reached the upstream
 * (g->last_req, until the next such call or kt_gw_close).
 */
struct px_msg *kt_pass(struct kt_gw *g, const char *route, struct px_msg *req, struct px_msg *up);
struct px_msg *kt_pass_st(struct kt_gw *g, const char *route, struct px_msg *req, struct px_msg *up,
                          struct px_edge_state *out);
/* A message's body as text ("" when none). */
const char *kt_body(const struct px_msg *m);
/* The headers of m as "name: value|name: value" into buf. */
const char *kt_headers(const struct px_msg *m, char *buf, size_t size);

#endif
