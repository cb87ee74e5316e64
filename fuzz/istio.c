/*
 * istio.c - fuzz target: Istio's traffic resources, read (px_istio_add,
 * proxies/istio_*.c) and, when they read, built into a sidecar's outbound
 * configuration (px_istio_build_outbound) whose matchers are then tried.
 *
 * The input is a file of resources as `kubectl apply -f` takes them: every
 * document of it is added in turn (an empty "---" document is skipped, as
 * the scenario loader skips it), until one is refused. The mesh they are
 * built for has a service for every host the resources name, each with a
 * pod labelled version v1, one labelled v2, and one carrying the labels of
 * each subset of its DestinationRule, so that references resolve and
 * subsets select pods.
 *
 * Checked: a refusal records a message in the document (istio.h's
 * contract) or, when building, returns one; a success records none; every
 * route's destinations are clusters of the configuration.
 *
 * Not here: running the sidecar (the proxy engine needs a runtime), the
 * scenario's `mesh:` section around the resources (fuzz/scenario.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "fuzz/fuzz.h"
#include "proxies/config.h"
#include "proxies/istio.h"
#include "proxies/resolve.h"

#define SERVICES_MAX 64

struct mesh {
    const char *names[SERVICES_MAX];
    struct px_mesh_service svc[SERVICES_MAX];
    size_t n;
};

static void add_name(struct mesh *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->names[i], name)) return;
    if (m->n < SERVICES_MAX) m->names[m->n++] = name;
}

static void label(struct px_label *l, const char *key, const char *value)
{
    l->key = fl_strdup(key);
    l->value = fl_strdup(value);
}

/* The pods of one service: v1, v2, and one per subset of its DestinationRule. */
static struct px_endpoint_cfg *pods(const struct px_istio *is, const char *name, size_t *n_out)
{
    const struct px_istio_dr *dr = NULL;
    for (size_t i = 0; i < is->n_dr && !dr; i++)
        if (!strcmp(is->dr[i].host, name)) dr = &is->dr[i];
    size_t n = 2 + (dr ? dr->n_subsets : 0);
    struct px_endpoint_cfg *e = fl_calloc(n, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[i].name = fl_asprintf("%s-%zu", name, i);
        e[i].addr = i + 1;
        e[i].weight = 1;
        if (i < 2) {
            e[i].labels = fl_calloc(2, sizeof *e[i].labels);
            label(&e[i].labels[0], "app", name);
            label(&e[i].labels[1], "version", i ? "v2" : "v1");
            e[i].n_labels = 2;
            continue;
        }
        const struct px_istio_subset *s = &dr->subsets[i - 2];
        e[i].labels = fl_calloc(s->n_labels + 1, sizeof *e[i].labels);
        for (size_t k = 0; k < s->n_labels; k++)
            label(&e[i].labels[k], s->labels[k].key, s->labels[k].value);
        e[i].n_labels = s->n_labels;
    }
    *n_out = n;
    return e;
}

/* A service for every host the resources name. */
static void mesh_of(const struct px_istio *is, struct mesh *m)
{
    m->n = 0;
    for (size_t i = 0; i < is->n_dr; i++) add_name(m, is->dr[i].host);
    for (size_t i = 0; i < is->n_vs; i++) {
        const struct px_istio_vs *v = &is->vs[i];
        for (size_t h = 0; h < v->n_hosts; h++) add_name(m, v->hosts[h]);
        for (size_t r = 0; r < v->n_routes; r++)
            for (size_t d = 0; d < v->routes[r].n_dests; d++)
                add_name(m, v->routes[r].dests[d].host);
    }
    for (size_t i = 0; i < m->n; i++) {
        size_t n_eps;
        m->svc[i].name = m->names[i];
        m->svc[i].endpoints = pods(is, m->names[i], &n_eps);
        m->svc[i].n_endpoints = n_eps;
    }
}

static void mesh_free(struct mesh *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct px_endpoint_cfg *e = (struct px_endpoint_cfg *)m->svc[i].endpoints;
        for (size_t k = 0; k < m->svc[i].n_endpoints; k++) px_endpoint_cfg_free(&e[k]);
        free(e);
    }
}

static void try_routes(const struct px_proxy_cfg *cfg)
{
    static const char *const subjects[] = {"/", "/reviews/1", "/A%20b?c=d", "", NULL};
    for (size_t v = 0; v < cfg->n_vhosts; v++)
        for (size_t r = 0; r < cfg->vhosts[v].n_routes; r++) {
            const struct px_route_cfg *rc = &cfg->vhosts[v].routes[r];
            for (size_t d = 0; d < rc->n_dests; d++)
                FUZZ_CHECK(rc->dests[d].cluster < cfg->n_clusters, "a route's cluster exists");
            for (int s = 0; subjects[s]; s++) {
                px_match_test(&rc->path, subjects[s]);
                for (size_t h = 0; h < rc->n_headers; h++)
                    px_match_test(&rc->headers[h].m, subjects[s]);
            }
        }
}

static void build(const struct px_istio *is)
{
    struct mesh m;
    mesh_of(is, &m);
    struct px_proxy_cfg cfg;
    char *err = NULL;
    if (px_istio_build_outbound(is, "sidecar", m.svc, m.n, &cfg, &err)) {
        FUZZ_CHECK(err && *err, "a refused build has a message");
        free(err);
    } else {
        FUZZ_CHECK(!err, "a build that succeeds has no message");
        try_routes(&cfg);
        px_proxy_cfg_free(&cfg);
    }
    mesh_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fl_ydoc *docs;
    size_t n_docs;
    char *err = NULL;
    if (fl_ydoc_load_buffer("istio.yaml", (const char *)data, size, &docs, &n_docs, &err)) {
        FUZZ_CHECK(err && *err, "a YAML error has a message");
        free(err);
        return 0;
    }
    struct px_istio is;
    memset(&is, 0, sizeof is);
    int rc = 0;
    for (size_t i = 0; i < n_docs && !rc; i++) {
        yaml_node_t *root = fl_y_root(&docs[i]);
        if (root->type == YAML_SCALAR_NODE && !*fl_y_str(root)) continue; /* empty "---" */
        rc = px_istio_add(&is, &docs[i], root);
        if (rc)
            FUZZ_CHECK(docs[i].err && *docs[i].err, "a refused resource has a message");
        else
            FUZZ_CHECK(!docs[i].err, "a resource that reads has no message");
    }
    if (!rc) build(&is);
    px_istio_free(&is);
    fl_ydoc_free_all(docs, n_docs);
    return 0;
}
