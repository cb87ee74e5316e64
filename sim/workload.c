/*
 * workload.c - the clients: requests arriving open loop (poisson or at a
 * constant rate) or from a closed population (each client sends, waits for
 * the answer, thinks, and sends again), a weighted mix of requests, and the
 * client's own per-try timeout and retries with exponential backoff
 * (sim/retry_client.c: also the retry budget and adaptive throttling).
 * Workloads send from `start` to `stop`; `stages` vary the rate of open
 * loop ones (sim/stages.c).
 *
 * A request's latency runs from its first try to its final answer,
 * backoffs included. A client that gives up on a try closes that
 * connection (HTTP/1.1 cannot reuse it) but does not cancel the server's
 * work, as in most real systems. Requests started before `warmup` are run
 * but not counted. Workloads stop sending at `duration`; requests under way
 * may finish during the drain; whatever is left then is counted as
 * unfinished.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/stages.h"
#include "sim/endpoints.h"
#include "sim/dns.h"
#include "proxies/trace.h"
#include "sim/series.h"
#include "sim/trace.h"
#include "sim/world.h"

struct sim_req {
    uint64_t id;
    struct sim_client *client;
    const struct sim_request_cfg *rq;
    int64_t start_ns;
    uint32_t tries;
    int outcome;
    uint32_t flags;         /* Envoy response flags of the final answer */
    struct sim_conn *conn;  /* the try under way, if any */
    struct sim_timer timer; /* per-try timeout, or the backoff before the next try */
    int backing_off;
    int64_t prev_sleep_ns;
    struct sim_req *prev_live, *next_live;
    struct sim_req *next_free;
    uint64_t trace_hi, trace_lo; /* the request's trace (0 0: not traced) */
    uint64_t root_id, try_id;    /* its root span, and the span of the try under way */
    int64_t try_start_ns;        /* when the try under way began */
    int64_t rtx_ns;              /* the try's response: its TCP retransmission delay */
    const char *try_peer;        /* the pod the try went to (a service as target) */
};

static struct sim_req *req_new(struct sim_world *w)
{
    if (!w->free_reqs) {
        struct sim_req *blk = sim_world_block(w, 256, sizeof *blk);
        for (int i = 255; i >= 0; i--) {
            blk[i].next_free = w->free_reqs;
            w->free_reqs = &blk[i];
        }
    }
    struct sim_req *r = w->free_reqs;
    w->free_reqs = r->next_free;
    fl_zero(r, sizeof *r);
    r->id = w->next_req_id++;
    /* live list: oldest first */
    if (w->live) {
        r->prev_live = w->live->prev_live;
        r->prev_live->next_live = r;
        w->live->prev_live = r;
    } else {
        w->live = r;
        r->prev_live = r;
    }
    FL_ASSERT(w->live->prev_live == r && !r->next_live); /* the newest is last */
    return r;
}

static void req_unlink(struct sim_world *w, struct sim_req *r)
{
    FL_ASSERT(w->live && r->prev_live && !w->live->prev_live->next_live);
    if (r == w->live) {
        w->live = r->next_live;
        if (w->live) w->live->prev_live = r->prev_live;
    } else {
        r->prev_live->next_live = r->next_live;
        if (r->next_live)
            r->next_live->prev_live = r->prev_live;
        else
            w->live->prev_live = r->prev_live;
    }
}

static void try_start(struct sim_world *w, struct sim_req *r);
static void client_send(struct sim_world *w, struct sim_client *cl);
static void closed_client_event(struct sim_kernel *k, void *a, void *b);

/* What a workload's spans say: its name, the request's method and path (name: a buffer). */
static void req_span(const struct sim_req *r, struct px_span *s, char *name, size_t size)
{
    const struct sim_request_cfg *rq = r->rq;
    FL_ASSERT(r->trace_lo && rq->method && rq->path);
    sim_trace_name(name, size, rq->method, rq->path);
    memset(s, 0, sizeof *s);
    s->trace_hi = r->trace_hi;
    s->trace_lo = r->trace_lo;
    s->name = name;
    s->service = r->client->cfg->name;
    s->method = rq->method;
    s->path = rq->path;
    s->sampled = PX_SAMPLE_DEFER; /* as the first hop that decides says (sim/trace.h) */
}

/* The span of the try under way, which ended at now with outcome; `again`: it is retried. */
static void try_span(struct sim_world *w, struct sim_req *r, int outcome, uint32_t flags, int again)
{
    struct px_span s;
    char name[256];
    const struct sim_workload_cfg *wc = r->client->cfg;
    FL_ASSERT(r->try_id && r->tries >= 1 && sim_now(&w->k) >= r->try_start_ns);
    req_span(r, &s, name, sizeof name);
    s.id = r->try_id;
    s.parent = r->root_id;
    s.kind = PX_SPAN_CLIENT;
    s.start_ns = r->try_start_ns;
    s.end_ns = sim_now(&w->k);
    s.peer = wc->target >= 0                    ? r->try_peer
             : wc->target == SIM_TARGET_INGRESS ? SIM_INGRESS_NAME
                                                : "gateway";
    s.status = outcome >= 100 ? outcome : 0;
    s.flags = flags;
    s.attempt = r->tries;
    s.error = rpt_outcome_is_error(outcome);
    s.reason = again ? sim_trace_reason(outcome) : NULL;
    s.rtx_ns = r->rtx_ns;
    sim_trace_span(w, &s);
    r->try_id = 0;
}

/* The request's root span: from its first try to its final answer. */
static void root_span(struct sim_world *w, struct sim_req *r, int64_t now)
{
    struct px_span s;
    char name[256];
    req_span(r, &s, name, sizeof name);
    s.id = r->root_id;
    s.kind = PX_SPAN_LOCAL;
    s.start_ns = r->start_ns;
    s.end_ns = now;
    s.status = r->outcome >= 100 ? r->outcome : 0;
    s.flags = r->flags;
    s.error = rpt_outcome_is_error(r->outcome);
    sim_trace_span(w, &s);
}

/* Counts a request that ended at `now` (if it started after warmup): figures, series, list. */
static void record(struct sim_world *w, struct sim_req *r, int64_t now)
{
    FL_ASSERT(now >= r->start_ns && r->rq->route >= 0);
    if (r->trace_lo) root_span(w, r, now);
    if (r->start_ns < w->sc->warmup_ns) {
        if (r->trace_lo) sim_trace_close(w, r->trace_hi, r->trace_lo);
        return;
    }
    int64_t lat = now - r->start_ns;
    uint32_t route = (uint32_t)r->rq->route;
    rpt_stats_record(&w->run->routes[route], lat, r->outcome, r->tries);
    rpt_stats_record(&w->run->all, lat, r->outcome, r->tries);
    /* the figures of window checks (sim/faults.c): most runs have none, so not even the call */
    if (w->run->n_checks)
        sim_faults_record(w, r->rq->route, r->start_ns, lat, r->outcome, r->tries);
    if (w->series) sim_series_request(w, r->client, r->rq->route, lat, r->outcome, r->tries);
    if (r->flags) {
        rpt_stats_flags(&w->run->routes[route], r->flags);
        rpt_stats_flags(&w->run->all, r->flags);
    }
    /* the lists of requests: without either (most runs), the entry is not even built */
    if (!w->sc->requests_every && !w->tracer) return;
    struct rpt_request rq = {r->start_ns, lat,   r->trace_hi, r->trace_lo,
                             r->flags,    route, r->outcome,  r->tries};
    if (w->sc->requests_every) rpt_run_add_request(w->run, &rq);
    sim_trace_request_end(w, &rq, r->id); /* does nothing without a tracer */
}

static void finish(struct sim_world *w, struct sim_req *r)
{
    struct sim_client *cl = r->client;
    int64_t now = sim_now(&w->k);
    FL_ASSERT(!r->conn && !r->backing_off && now >= r->start_ns);
    FL_ASSERT(r->rq->route >= 0 && (size_t)r->rq->route < w->run->n_routes);
    record(w, r, now);
    req_unlink(w, r);
    sim_timer_cancel(&w->k, &r->timer);
    r->next_free = w->free_reqs;
    w->free_reqs = r;
    sim_world_maybe_stop(w);
    if (cl->cfg->arrival == SIM_ARRIVAL_CLOSED) {
        int64_t think = fl_dist_sample(&cl->cfg->think_time, &cl->rng);
        if (now + think < cl->end_ns) {
            if (think == 0)
                client_send(w, cl);
            else
                sim_post(&w->k, now + think, closed_client_event, cl, NULL);
        }
    }
}

static void backoff_done(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_req *r = t->data;
    FL_ASSERT(r->backing_off && !r->conn && r->tries >= 1);
    r->backing_off = 0;
    try_start((struct sim_world *)k, r);
}

/* The try under way ended (its connection is already dealt with). */
static void try_done(struct sim_world *w, struct sim_req *r, int outcome, uint32_t flags)
{
    FL_ASSERT(r->tries >= 1 && !r->backing_off);
    r->conn = NULL;
    r->outcome = outcome;
    r->flags = flags;
    sim_timer_cancel(&w->k, &r->timer);
    struct sim_client *cl = r->client;
    int again = sim_retry_after(&cl->cfg->retry, cl->retry, r->tries, outcome, sim_now(&w->k));
    if (r->try_id) try_span(w, r, outcome, flags, again);
    if (!again) {
        finish(w, r);
        return;
    }
    int64_t sleep = sim_backoff(&cl->cfg->retry, (int)r->tries - 1, &r->prev_sleep_ns, &cl->rng);
    r->backing_off = 1;
    sim_timer_init(&r->timer, backoff_done, r);
    sim_timer_arm(&w->k, &r->timer, sim_now(&w->k) + sleep);
}

static void send_request(struct sim_world *w, struct sim_req *r)
{
    FL_ASSERT(r->conn && r->conn->refs > 0 && r->tries >= 1);
    struct px_msg *m = sim_msg_new(w);
    const struct sim_request_cfg *rq = r->rq;
    m->method = rq->method;
    m->path = rq->path;
    m->query = rq->query;
    m->authority = r->client->authority;
    m->body_bytes = (uint64_t)rq->body_bytes;
    for (size_t i = 0; i < rq->n_headers; i++)
        px_msg_add_header_static(m, rq->headers[i].name, rq->headers[i].value);
    if (r->try_id) {
        /* the try's context, sampling deferred: the first proxy (or pod) decides */
        struct px_trace ctx = {r->trace_hi, r->trace_lo, r->try_id, r->root_id, PX_SAMPLE_DEFER, 0};
        px_trace_inject(m, &ctx);
    }
    sim_conn_send(w, r->conn, 0, m);
}

static void cl_connected(void *ctx, struct px_conn *pc, int status)
{
    struct sim_req *r = ctx;
    struct sim_world *w = r->client->w;
    FL_ASSERT(r->conn == sim_conn_of(pc)); /* the try under way */
    if (status == PX_OK) {
        send_request(w, r);
        return;
    }
    sim_conn_release(w, sim_conn_of(pc));
    try_done(w, r, status == PX_EDNS ? RPT_FAIL_DNS : RPT_FAIL_CONNECT, 0);
}

static void cl_message(void *ctx, struct px_conn *pc, struct px_msg *m)
{
    struct sim_req *r = ctx;
    struct sim_world *w = r->client->w;
    FL_ASSERT(r->conn == sim_conn_of(pc));
    int status = m->status;
    uint32_t flags = m->flags;
    r->rtx_ns = m->rtx_ns;
    sim_msg_free(w, m);
    sim_conn_park(w, sim_conn_of(pc));
    try_done(w, r, status, flags);
}

static void cl_closed(void *ctx, struct px_conn *pc, int reason)
{
    struct sim_req *r = ctx;
    struct sim_world *w = r->client->w;
    (void)reason;
    FL_ASSERT(r->conn == sim_conn_of(pc));
    sim_conn_release(w, sim_conn_of(pc));
    try_done(w, r, RPT_FAIL_RESET, 0);
}

static const struct px_conn_cbs client_cbs = {cl_connected, cl_message, cl_closed};

static void try_timeout(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_req *r = t->data;
    struct sim_conn *c = r->conn;
    FL_ASSERT(c && !r->backing_off);
    sim_conn_close(w, c, 0, 0);
    sim_conn_release(w, c);
    try_done(w, r, RPT_FAIL_TIMEOUT, 0);
}

static void try_start(struct sim_world *w, struct sim_req *r)
{
    struct sim_client *cl = r->client;
    FL_ASSERT(!r->conn && !r->backing_off);
    if (sim_retry_throttled(&cl->cfg->retry, cl->retry, sim_now(&w->k), &cl->rng)) {
        r->outcome = RPT_FAIL_THROTTLED; /* rejected locally: fails at once, nothing sent */
        r->flags = 0;
        finish(w, r);
        return;
    }
    uint32_t dst = cl->target_node;
    if (cl->cfg->target >= 0) {
        uint32_t pod = sim_endpoints_pick(w, (uint32_t)cl->cfg->target, &cl->rng);
        dst = w->pods[pod].node;
        r->try_peer = w->nodes[dst].name;
    }
    r->tries++;
    if (r->trace_lo) {
        r->try_id = sim_trace_new_id(w);
        r->try_start_ns = sim_now(&w->k);
        r->rtx_ns = 0;
    }
    FL_ASSERT(dst < w->n_nodes && cl->node < w->n_nodes);
    struct sim_conn *c = sim_conn_take_idle(w, cl->node, dst, cl->target_port);
    if (c) {
        r->conn = c;
        sim_conn_bind(c, 0, &client_cbs, r);
        send_request(w, r);
    } else {
        r->conn =
            cl->cfg->target >= 0
                ? sim_dns_open(w, cl->cfg->target, cl->node, dst, cl->target_port, &client_cbs, r)
                : sim_conn_open_tls(w, cl->node, dst, cl->target_port, &client_cbs, r, 0, PX_OK,
                                    cl->cfg->tls ? SIM_TLS_SERVER : SIM_TLS_NONE);
    }
    if (cl->cfg->retry.timeout_ns) {
        sim_timer_init(&r->timer, try_timeout, r);
        sim_timer_arm(&w->k, &r->timer, sim_now(&w->k) + cl->cfg->retry.timeout_ns);
    }
}

static const struct sim_request_cfg *pick_request(struct sim_client *cl)
{
    const struct sim_workload_cfg *wc = cl->cfg;
    FL_ASSERT(wc->n_requests >= 1);
    if (wc->n_requests == 1) return &wc->requests[0];
    double x = fl_rng_unit(&cl->rng) * wc->weight_total;
    for (size_t i = 0; i < wc->n_requests; i++) {
        x -= wc->requests[i].weight;
        if (x < 0) return &wc->requests[i];
    }
    /* rounding at the very end: the last request with a weight */
    size_t i = wc->n_requests;
    while (i > 1 && wc->requests[i - 1].weight <= 0) i--;
    return &wc->requests[i - 1];
}

static void client_send(struct sim_world *w, struct sim_client *cl)
{
    /* no request is sent from the client's end on */
    FL_ASSERT(cl->retry && sim_now(&w->k) < cl->end_ns);
    struct sim_req *r = req_new(w);
    r->client = cl;
    r->rq = pick_request(cl);
    r->start_ns = sim_now(&w->k);
    r->prev_sleep_ns = cl->cfg->retry.base_ns;
    if (!cl->cfg->untraced && w->tracer) { /* an instrumented client: a trace per request */
        r->trace_hi = sim_trace_new_id(w);
        r->trace_lo = sim_trace_new_id(w);
        r->root_id = sim_trace_new_id(w);
        sim_trace_open(w, r->trace_hi, r->trace_lo, r->start_ns >= w->sc->warmup_ns);
    }
    sim_retry_on_request(&cl->cfg->retry, cl->retry, r->start_ns);
    try_start(w, r);
}

static void closed_client_event(struct sim_kernel *k, void *a, void *b)
{
    (void)b;
    client_send((struct sim_world *)k, a);
}

static int64_t interarrival(struct sim_client *cl)
{
    FL_ASSERT(cl->cfg->rate_per_s > 0 && cl->cfg->arrival != SIM_ARRIVAL_CLOSED);
    double mean_ns = 1e9 / cl->cfg->rate_per_s;
    if (cl->cfg->arrival == SIM_ARRIVAL_CONSTANT) return (int64_t)llround(mean_ns);
    int64_t gap = fl_round_nonneg(-log(fl_rng_open01(&cl->rng)) * mean_ns);
    FL_ASSERT(gap >= 0);
    return gap;
}

/* stages: the time of the next arrival (sim/stages.c), or -1 when the stages are over */
static int64_t staged_arrival(struct sim_client *cl, int first)
{
    const struct sim_workload_cfg *wc = cl->cfg;
    FL_ASSERT(wc->n_stages > 0);
    if (wc->arrival == SIM_ARRIVAL_CONSTANT)
        cl->stage_lambda += first ? 0 : 1;
    else
        cl->stage_lambda += -log(fl_rng_open01(&cl->rng));
    int64_t t = sim_stages_time_of(wc->stages, wc->n_stages, cl->stage_lambda);
    return t < 0 ? -1 : wc->start_ns + t;
}

static void arrival(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_client *cl = t->data;
    FL_ASSERT(cl->cfg->arrival != SIM_ARRIVAL_CLOSED && t == &cl->arrival);
    client_send(w, cl);
    int64_t next = cl->cfg->n_stages ? staged_arrival(cl, 0) : sim_now(k) + interarrival(cl);
    if (next >= 0 && next < cl->end_ns) sim_timer_arm(k, t, next);
}

void sim_workload_start(struct sim_world *w)
{
    sim_retry_counts_alloc(w->run, w->sc);
    for (uint32_t i = 0; i < w->n_clients; i++) {
        struct sim_client *cl = &w->clients[i];
        const struct sim_workload_cfg *wc = cl->cfg;
        size_t idx = (size_t)(wc - w->sc->workloads);
        FL_ASSERT(idx < w->sc->n_workloads);
        cl->retry = fl_malloc(sizeof *cl->retry);
        sim_retry_state_init(cl->retry, &w->run->retry_counts[idx]);
        cl->end_ns =
            wc->stop_ns && wc->stop_ns < w->sc->duration_ns ? wc->stop_ns : w->sc->duration_ns;
        FL_ASSERT(cl->end_ns <= w->sc->duration_ns && cl->node < w->n_nodes);
        if (wc->arrival != SIM_ARRIVAL_CLOSED) {
            sim_timer_init(&cl->arrival, arrival, cl);
            int64_t first;
            if (wc->n_stages)
                first = staged_arrival(cl, 1);
            else
                first = wc->start_ns + (wc->arrival == SIM_ARRIVAL_CONSTANT ? 0 : interarrival(cl));
            if (first >= 0 && first < cl->end_ns) sim_timer_arm(&w->k, &cl->arrival, first);
            continue;
        }
        /* every client sends its first request at the start, together (a load test's start) */
        if (wc->start_ns >= cl->end_ns) continue;
        for (int c = 0; c < wc->clients; c++)
            sim_post(&w->k, wc->start_ns, closed_client_event, cl, NULL);
    }
}

void sim_workload_finish(struct sim_world *w)
{
    while (w->live) {
        struct sim_req *r = w->live;
        r->outcome = RPT_FAIL_UNFINISHED;
        if (r->try_id) try_span(w, r, RPT_FAIL_UNFINISHED, 0, 0);
        record(w, r, sim_now(&w->k));
        req_unlink(w, r);
    }
    FL_ASSERT(!w->live);
}

void sim_workload_free(struct sim_world *w)
{
    for (uint32_t i = 0; i < w->n_clients; i++) free(w->clients[i].retry);
}
