/*
 * kong.c - fuzz target: Kong's declarative configuration, read
 * (px_kong_parse, proxies/kong_*.c) and, when it reads, built into a
 * gateway's proxy configuration (px_kong_build) whose matchers are then
 * tried on a few paths and header values.
 *
 * The input is a Kong file (kong.yaml), loaded with fl_ydoc_load_buffer;
 * every document of it is read on its own. Building needs a resolver: the
 * one here answers every host with one to three endpoints, and refuses
 * one host in seven, so both outcomes are exercised, the same way for the
 * same name.
 *
 * Checked: a refusal records a message in the document (kong.h's
 * contract) or, when building, returns one; a success records none.
 *
 * Not here: running the gateway (the proxy engine needs a runtime), the
 * scenario around a `gateway:` section (fuzz/scenario.c reaches it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "fuzz/fuzz.h"
#include "proxies/config.h"
#include "proxies/kong.h"

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int resolve(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                   size_t *n, char **err)
{
    (void)arg;
    uint32_t h = hash(host);
    if (h % 7 == 0) {
        *err = fl_asprintf("'%s' is not a name the fuzzer resolves", host);
        return -1;
    }
    *n = 1 + h % 3;
    *eps = fl_calloc(*n, sizeof **eps);
    for (size_t i = 0; i < *n; i++) {
        (*eps)[i].name = fl_asprintf("%s-%zu:%u", host, i, (unsigned)port);
        (*eps)[i].addr = i + 1;
        (*eps)[i].weight = (uint32_t)(i % 2);
    }
    return 0;
}

/* Tries every matcher of the built configuration on a few subjects. */
static void try_matchers(const struct px_proxy_cfg *cfg)
{
    static const char *const subjects[] = {"/", "/api/v1/billing", "/A/b%20c?d", "", "x", NULL};
    for (size_t v = 0; v < cfg->n_vhosts; v++)
        for (size_t r = 0; r < cfg->vhosts[v].n_routes; r++) {
            const struct px_route_cfg *rc = &cfg->vhosts[v].routes[r];
            FUZZ_CHECK(rc->n_dests == 0 || rc->dests[0].cluster < cfg->n_clusters,
                       "a route's cluster exists");
            for (int s = 0; subjects[s]; s++) {
                px_match_test(&rc->path, subjects[s]);
                for (size_t h = 0; h < rc->n_headers; h++)
                    px_match_test(&rc->headers[h].m, subjects[s]);
            }
        }
}

static void build(const struct px_kong *k)
{
    struct px_resolver r = {resolve, NULL};
    struct px_proxy_cfg cfg;
    char *err = NULL;
    if (px_kong_build(k, "gateway", &r, &cfg, &err)) {
        FUZZ_CHECK(err && *err, "a refused build has a message");
        free(err);
        return;
    }
    FUZZ_CHECK(!err, "a build that succeeds has no message");
    FUZZ_CHECK(cfg.n_vhosts >= 1, "there is always the \"*\" virtual host");
    try_matchers(&cfg);
    px_proxy_cfg_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fl_ydoc *docs;
    size_t n_docs;
    char *err = NULL;
    if (fl_ydoc_load_buffer("kong.yaml", (const char *)data, size, &docs, &n_docs, &err)) {
        FUZZ_CHECK(err && *err, "a YAML error has a message");
        free(err);
        return 0;
    }
    for (size_t i = 0; i < n_docs; i++) {
        struct px_kong k;
        if (px_kong_parse(&docs[i], fl_y_root(&docs[i]), &k)) {
            FUZZ_CHECK(docs[i].err && *docs[i].err, "a refused configuration has a message");
            continue;
        }
        FUZZ_CHECK(!docs[i].err, "a configuration that reads has no message");
        build(&k);
        px_kong_free(&k);
    }
    fl_ydoc_free_all(docs, n_docs);
    return 0;
}
