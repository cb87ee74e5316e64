/*
 * mirror.c - request mirroring (Envoy's request_mirror_policies, which
 * istiod writes for a VirtualService's mirror / mirrors): when a request
 * is sent upstream, each mirror policy, by its percentage, sends a copy of
 * it to a host of the mirror's cluster, with the Host suffixed "-shadow"
 * before any port (Envoy's shadow writer). Fire and forget: the copy's
 * answer is read and dropped, its failures are nobody's concern, and it
 * loads the mirrored service like any request.
 *
 * Each shadow has its own connection, opened for it and closed after its
 * answer; it bypasses the cluster's pools, breakers, retries and outlier
 * detection (Envoy counts shadows against the mirror cluster's breakers:
 * not done here), and is not counted in the cluster's statistics.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/proxy_internal.h"

struct shadow {
    struct shadow *prev, *next; /* the proxy's shadows in flight */
    struct px_proxy *p;
    struct px_conn *c;
    struct px_msg *req; /* until sent */
};

static void shadow_drop(struct shadow *sh)
{
    struct px_proxy *p = sh->p;
    FL_ASSERT(p->shadows != NULL); /* it is on the list */
    if (sh->req) px_msg_free(p->rt, sh->req);
    p->rt->ops->conn_release(p->rt, sh->c);
    LIST_DEL(p->shadows, sh);
    free(sh);
}

static void shadow_connected(void *ctx, struct px_conn *c, int status)
{
    struct shadow *sh = ctx;
    (void)c;
    if (status != PX_OK) { /* a failed shadow affects nothing */
        shadow_drop(sh);
        return;
    }
    FL_ASSERT(sh->req != NULL);
    sh->p->rt->ops->send(sh->p->rt, sh->c, sh->req);
    sh->req = NULL;
}

static void shadow_message(void *ctx, struct px_conn *c, struct px_msg *m)
{
    struct shadow *sh = ctx;
    (void)c;
    /* an answer only comes after the request went */
    FL_ASSERT(sh->req == NULL);
    px_msg_free(sh->p->rt, m); /* the shadow's answer is dropped */
    sh->p->rt->ops->conn_close(sh->p->rt, sh->c);
    shadow_drop(sh);
}

static void shadow_closed(void *ctx, struct px_conn *c, int reason)
{
    (void)reason;
    struct shadow *sh = ctx;
    if (sh->req) { /* closed before it opened */
        shadow_connected(ctx, c, PX_ECLOSED);
        return;
    }
    shadow_drop(sh);
}

static const struct px_conn_cbs shadow_cbs = {shadow_connected, shadow_message, shadow_closed};

const char *px_mirror_shadow_host(struct px_msg *m, const char *host)
{
    FL_ASSERT(host);
    size_t n = strcspn(host, ":");
    char *s = fl_asprintf("%.*s-shadow%s", (int)n, host, host + n);
    const char *out = px_msg_strdup(m, s, strlen(s));
    free(s);
    return out;
}

/* A host of the cluster by its balancer, all hosts eligible; -1 if none. */
static int shadow_pick(struct px_proxy *p, struct cluster *cl)
{
    FL_ASSERT(cl->p == p);
    int panic = 0;
    for (uint32_t i = 0; i < cl->cfg->n_endpoints; i++) cl->lbh[i].excluded = 0;
    return px_lb_pick(&cl->lb, cl->lbh, px_rt_random, p->rt, &panic);
}

void px_mirror_start(struct stream *s)
{
    struct px_proxy *p = s->p;
    const struct px_route_cfg *r = s->route;
    /* the destination is picked: mirrors go once per request, with the first attempt */
    FL_ASSERT(s->cl && s->dest >= 0 && !s->att);
    for (size_t i = 0; i < r->n_mirrors; i++) {
        const struct px_mirror_cfg *m = &r->mirrors[i];
        FL_ASSERT(m->cluster < p->n_clusters && m->percent >= 0 && m->percent <= 100);
        /* Envoy's runtime_fraction: a draw per request, in millionths */
        if ((double)(px_random(p->rt) % 1000000) >= m->percent * 10000.0) continue;
        struct cluster *cl = px_cluster_at(p, m->cluster);
        int h = shadow_pick(p, cl);
        if (h < 0) continue;
        struct shadow *sh = fl_calloc(1, sizeof *sh);
        sh->p = p;
        sh->req = px_upstream_request(s);
        px_trace_shadow_inject(s, sh->req); /* the copy carries the request's trace and sampling */
        const char *host = sh->req->authority ? sh->req->authority : px_msg_header(sh->req, "host");
        if (host) sh->req->authority = px_mirror_shadow_host(sh->req, host);
        if (px_msg_header(sh->req, "host")) px_msg_set_header(sh->req, "host", sh->req->authority);
        LIST_ADD(p->shadows, sh);
        p->shadows_sent++;
        sh->c = p->rt->ops->connect(p->rt, cl->cfg->endpoints[h].addr, &shadow_cbs, sh);
    }
}

void px_mirror_drop_all(struct px_proxy *p)
{
    while (p->shadows) {
        p->rt->ops->conn_reset(p->rt, p->shadows->c);
        shadow_drop(p->shadows);
    }
}
