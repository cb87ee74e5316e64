/*
 * kongtest_gw.c - a Kong gateway's route policies run on messages, with a
 * runtime that makes messages and counts random draws (kongtest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "tests/proxies/kongtest.h"

/* ---- a runtime with messages and a counter for random draws ---- */

static uint64_t draws;

static uint64_t fake_draw(struct px_rt *rt)
{
    (void)rt;
    uint64_t z = (++draws) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    return z ^ (z >> 31);
}

struct px_msg *kt_msg_new(struct px_rt *rt)
{
    (void)rt;
    struct px_msg *m = fl_calloc(1, sizeof *m);
    px_msg_init(m);
    return m;
}

void kt_msg_free(struct px_rt *rt, struct px_msg *m)
{
    (void)rt;
    px_msg_clear(m);
    free(m);
}

static const struct px_rt_ops fake_ops = {
    .draw = fake_draw, .msg_new = kt_msg_new, .msg_free = kt_msg_free};
struct px_rt kt_rt = {&fake_ops};

/* ---- a gateway built from text, and its routes' policies ---- */

void kt_gw_open(struct kt_gw *g, const char *text)
{
    memset(g, 0, sizeof *g);
    kt_build_ok(text, &g->k, &g->c);
    px_respcache_init(&g->cache);
    g->env.rt = &kt_rt;
    g->env.peer = "10.1.0.7";
    g->env.cache = &g->cache;
    g->env.counter = &g->counter;
    g->env.worker_uuid = g->uuid;
}

void kt_gw_close(struct kt_gw *g)
{
    if (g->last_req) kt_msg_free(&kt_rt, g->last_req);
    px_respcache_free(&g->cache);
    px_proxy_cfg_free(&g->c);
    px_kong_free(&g->k);
}

/* The policies of the first route named `route` (NULL if it has none). */
const struct px_edge_cfg *kt_edges(struct kt_gw *g, const char *route)
{
    for (size_t v = 0; v < g->c.n_vhosts; v++)
        for (size_t r = 0; r < g->c.vhosts[v].n_routes; r++) {
            const struct px_route_cfg *rc = &g->c.vhosts[v].routes[r];
            if (strcmp(rc->name, route)) continue;
            g->env.route_name = rc->name;
            return rc->edge ? &g->c.edges[rc->edge - 1] : NULL;
        }
    return NULL;
}

struct px_msg *kt_request(const char *method, const char *path)
{
    struct px_msg *m = kt_msg_new(&kt_rt);
    m->method = method;
    m->path = path;
    m->authority = "shop.example.com";
    return m;
}

struct px_msg *kt_answer(int status, const char *content_type)
{
    struct px_msg *m = kt_msg_new(&kt_rt);
    m->status = status;
    m->body_bytes = 100;
    if (content_type) px_msg_add_header(m, "content-type", content_type);
    return m;
}

/*
 * Runs a request through a route's policies: the local answer, or (NULL
 * from the request phase) the upstream's answer `up`; then the response
 * phase. Returns the response (caller frees); req is freed.
 */
struct px_msg *kt_pass_st(struct kt_gw *g, const char *route, struct px_msg *req, struct px_msg *up,
                          struct px_edge_state *out)
{
    const struct px_edge_cfg *e = kt_edges(g, route);
    struct px_edge_state st;
    memset(&st, 0, sizeof st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    struct px_msg *m = px_edge_request(e, 0, e->n, &g->env, req, &st);
    if (m) {
        if (up) kt_msg_free(&kt_rt, up);
    } else {
        m = up;
        st.from_upstream = 1;
    }
    px_edge_response(e, &g->env, req, m, &st);
    if (out) *out = st;
    if (!out || m != up)
        kt_msg_free(&kt_rt, req);
    else { /* the upstream saw it: kept for the caller until the next such call */
        if (g->last_req) kt_msg_free(&kt_rt, g->last_req);
        g->last_req = req;
    }
    return m;
}

struct px_msg *kt_pass(struct kt_gw *g, const char *route, struct px_msg *req, struct px_msg *up)
{
    return kt_pass_st(g, route, req, up, NULL);
}

const char *kt_body(const struct px_msg *m)
{
    return m->body ? (const char *)m->body : "";
}

/* The headers of m as "name: value|name: value" into buf. */
const char *kt_headers(const struct px_msg *m, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < m->n_headers && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s: %s", i ? "|" : "",
                                 m->headers[i].name, m->headers[i].value);
    return buf;
}
