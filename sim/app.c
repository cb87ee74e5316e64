/*
 * app.c - the modeled application in every pod: a pool of workers and a
 * bounded queue in front of it (a full queue answers 503 at once), a
 * service time drawn from the version's distribution, injected errors, and
 * downstream calls made one after the other, each over the network to a
 * pod of the callee chosen uniformly at random (as kube-proxy does).
 *
 * A worker is held from the start of the service time until the response
 * is sent, calls included: the thread-per-request server most services
 * are. A call may have a per-try `timeout` (the app gives up; the callee's
 * work is not cancelled), `retries` with backoff, a retry budget and
 * adaptive throttling (sim/retry_client.c). A call that fails for good (an
 * error status, or no response) fails the request with the callee's
 * status, 503 when there was none, unless the call says `on_error: ignore`. An injected error ends
 * the request after its service time, before any call.
 *
 * Faults (sim/fault_app.c) act here: `slow` multiplies the service time
 * of work started while it is active (pod->fault_slow), `errors` answers
 * a share of the arriving requests at once (pod->fault_error_rate), drawn
 * from a stream of its own so that the pod's service times stay the same.
 * Every arrival is shown to the fault triggers (sim_faults_on_request).
 *
 * A service with a cache (sim/cache.h) answers from it: the lookup takes
 * hit_time instead of the service time; a miss calls the cache's miss
 * path the way a downstream call goes, or waits on another request's fill
 * of the key when the cache coalesces.
 *
 * Not here: sidecars (later the pod's listener will be its inbound proxy),
 * the cache's own state (sim/cache.c).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/cache.h"
#include "sim/endpoints.h"
#include "sim/kv.h"
#include "sim/dns.h"
#include "proxies/trace.h"
#include "sim/series.h"
#include "sim/trace.h"
#include "sim/world.h"

struct sim_job {
    struct sim_pod *pod;
    struct sim_conn *conn; /* the request came on it (a reference is held) */
    struct px_msg *req;    /* the request, kept when calls forward its headers */
    int64_t arrived_ns;
    int status;
    uint32_t call;               /* the next downstream call */
    int64_t call_start_ns;       /* when the call under way started (the edge series) */
    struct sim_conn *up;         /* the connection of the call under way */
    struct sim_timer work;       /* the end of the service time */
    struct sim_timer call_timer; /* the call's per-try timeout, or its backoff */
    uint32_t tries;              /* of the call under way */
    int64_t prev_sleep_ns;       /* its last backoff (decorrelated jitter) */
    /* with a cache: the lookup's end is `work`'s */
    uint64_t key;               /* the request's key */
    int filling;                /* the call under way is the miss path's fill */
    struct sim_cache_wait wait; /* coalescing: waiting on another request's fill */
    uint32_t incarnation;       /* of the pod's process it belongs to */
    struct sim_job *next_free;
    /* tracing (sim/trace.h): the server span of the request, and of the call's try under way */
    uint64_t trace_hi, trace_lo; /* trace_lo 0: not traced */
    uint64_t span_id, parent_id;
    int sampled;      /* the decision the request came with, or the pod's own */
    uint32_t formats; /* the trace headers' forms it came in (kept on the calls) */
    int64_t queue_ns, service_ns, rtx_ns;
    uint64_t try_id;
    int64_t try_start_ns, try_rtx_ns;
    const char *try_peer; /* the pod the try went to, or the callee service */
};

static struct sim_job *job_new(struct sim_world *w)
{
    if (!w->free_jobs) {
        struct sim_job *blk = sim_world_block(w, 256, sizeof *blk);
        for (int i = 255; i >= 0; i--) {
            blk[i].next_free = w->free_jobs;
            w->free_jobs = &blk[i];
        }
    }
    struct sim_job *j = w->free_jobs;
    w->free_jobs = j->next_free;
    fl_zero(j, sizeof *j);
    w->busy_jobs++;
    FL_ASSERT(w->busy_jobs > 0 && !sim_timer_armed(&j->work));
    return j;
}

static void job_free(struct sim_world *w, struct sim_job *j)
{
    /* a job ends with no call under way and none of its timers pending */
    FL_ASSERT(w->busy_jobs > 0 && !j->up);
    FL_ASSERT(!sim_timer_armed(&j->work) && !sim_timer_armed(&j->call_timer));
    j->next_free = w->free_jobs;
    w->free_jobs = j;
    w->busy_jobs--;
    if (!w->busy_jobs) sim_world_maybe_stop(w);
}

static void start_job(struct sim_world *w, struct sim_job *j);

/* Work of a process that died (sim_app_kill): dropped without an answer. */
static int orphan(struct sim_world *w, struct sim_job *j)
{
    FL_ASSERT(j->pod && j->conn && j->incarnation <= j->pod->incarnation);
    if (j->incarnation == j->pod->incarnation) return 0;
    sim_conn_release(w, j->conn);
    if (j->req) sim_msg_free(w, j->req);
    job_free(w, j);
    return 1;
}

/*
 * What the pod's spans of job j share, ending now: its trace, a name made
 * of method and path (into name), the pod's service, the sampling.
 */
static void job_span(struct sim_world *w, const struct sim_job *j, struct px_span *s, char *name,
                     size_t size, const char *method, const char *path)
{
    FL_ASSERT(j->trace_lo && name && size > 0);
    memset(s, 0, sizeof *s);
    s->method = method ? method : "GET";
    s->path = path ? path : "/";
    s->name = sim_trace_name(name, size, s->method, s->path);
    s->trace_hi = j->trace_hi;
    s->trace_lo = j->trace_lo;
    s->end_ns = sim_now(&w->k);
    s->service = w->sc->services[j->pod->service].name;
    s->sampled = j->sampled;
}

/* The pod's SERVER span of the request j answers now (reset: with an RST instead). */
static void server_span(struct sim_world *w, const struct sim_job *j, int reset)
{
    const struct px_msg *req = j->req;
    FL_ASSERT(j->trace_lo && j->span_id && req);
    char name[256];
    struct px_span s;
    job_span(w, j, &s, name, sizeof name, req->method, req->path);
    s.id = j->span_id;
    s.parent = j->parent_id;
    s.kind = PX_SPAN_SERVER;
    s.start_ns = j->arrived_ns;
    s.peer = w->nodes[j->conn->path->src].name; /* the caller: a proxy, a pod or a client */
    s.status = reset ? 0 : j->status;
    s.error = reset || rpt_outcome_is_error(j->status);
    s.reason = reset ? "reset" : NULL;
    s.queue_ns = j->queue_ns;
    s.service_ns = j->service_ns;
    s.rtx_ns = j->rtx_ns;
    sim_trace_span(w, &s);
}

/* Sends the response, counts it, frees the worker (if one was held) and the job. */
static void respond(struct sim_world *w, struct sim_job *j, int held_worker)
{
    struct sim_pod *pod = j->pod;
    FL_ASSERT(j->conn->refs > 0 && j->incarnation == pod->incarnation && !j->up);
    struct px_msg *m = sim_msg_new(w);
    m->status = j->status;
    m->body_bytes = (uint64_t)pod->cfg->response_bytes;
    if (pod->cfg->content_type[0])
        px_msg_add_header_static(m, "content-type", pod->cfg->content_type);
    /* a Redis pod runs the counter request when its work ends (sim/kv.c) */
    if (m->status == 200 && sim_kv_is_request(j->req)) sim_kv_serve(w, pod, j->req, m);
    if (pod->fault_reset_rate > 0 && fl_rng_chance(&pod->fault_rng, pod->fault_reset_rate)) {
        sim_msg_free(w, m); /* a `reset` fault: an RST instead of the response */
        if (j->trace_lo) server_span(w, j, 1);
        sim_conn_close(w, j->conn, 1, 1);
    } else {
        if (j->trace_lo) server_span(w, j, 0);
        sim_conn_send(w, j->conn, 1, m);
    }
    sim_conn_release(w, j->conn);
    if (j->req) sim_msg_free(w, j->req);
    if (j->arrived_ns >= w->sc->warmup_ns) {
        pod->stats->count++;
        if (rpt_outcome_is_error(j->status)) pod->stats->errors++;
        rpt_stats_record(pod->svc_stats, sim_now(&w->k) - j->arrived_ns, j->status, 1);
        if (w->series)
            sim_series_service(w, pod->service, sim_now(&w->k) - j->arrived_ns, j->status);
    }
    job_free(w, j);
    if (!held_worker) return;
    FL_ASSERT(pod->busy > 0);
    pod->busy--;
    if (pod->q_len) {
        struct sim_job *next = pod->queue[pod->q_head];
        pod->q_head = (pod->q_head + 1) % pod->q_cap;
        pod->q_len--;
        start_job(w, next);
    }
    FL_ASSERT(pod->busy <= pod->cfg->workers && (!pod->q_len || pod->busy == pod->cfg->workers));
}

static void call_next(struct sim_world *w, struct sim_job *j);

/* The call under way: the cache's fill, or the next of the service's calls. */
static const struct sim_call_cfg *job_call(const struct sim_world *w, const struct sim_job *j)
{
    if (j->filling) {
        FL_ASSERT(w->caches[j->pod->service].cfg); /* only a cached service fills */
        return &w->caches[j->pod->service].cfg->miss;
    }
    FL_ASSERT(j->call < j->pod->cfg->n_calls);
    return &j->pod->cfg->calls[j->call];
}

/* The retry budget and throttle state of the call under way (none for a cache's fill). */
static struct sim_retry_state *job_retry_state(const struct sim_job *j)
{
    return j->pod->call_retry && !j->filling ? &j->pod->call_retry[j->call] : NULL;
}

static void cache_filled(struct sim_world *w, struct sim_job *j, int status);

static void send_call(struct sim_world *w, struct sim_job *j)
{
    const struct sim_call_cfg *call = job_call(w, j);
    FL_ASSERT(j->up && j->tries >= 1 && (size_t)call->service < w->sc->n_services);
    struct px_msg *m = sim_msg_new(w);
    m->method = call->method;
    m->path = call->path;
    m->authority = w->sc->services[call->service].name;
    m->body_bytes = (uint64_t)call->request_bytes;
    for (size_t i = 0; i < call->n_headers; i++)
        px_msg_add_header_static(m, call->headers[i].name, call->headers[i].value);
    for (size_t i = 0; i < call->n_forward && j->req; i++) {
        const char *v = px_msg_header(j->req, call->forward[i]);
        if (v) px_msg_add_header(m, call->forward[i], v);
    }
    /* the app copies the trace context onto its call, as instrumented apps do; one that
       does not (propagate_trace: false) leaves its callees to start traces of their own */
    if (j->try_id && !w->sc->services[j->pod->service].drops_trace) {
        struct px_trace ctx = {j->trace_hi, j->trace_lo, j->try_id,
                               j->span_id,  j->sampled,  j->formats};
        px_trace_inject(m, &ctx);
    }
    sim_conn_send(w, j->up, 0, m);
}

/* The call ended for good: outcome is a status or RPT_FAIL_* (no response). */
static void call_done(struct sim_world *w, struct sim_job *j, int outcome)
{
    if (j->filling) {
        cache_filled(w, j, outcome >= 100 ? outcome : 0); /* 0: no response */
        return;
    }
    if (orphan(w, j)) return;
    FL_ASSERT(!j->up && j->call < j->pod->cfg->n_calls);
    const struct sim_call_cfg *call = &j->pod->cfg->calls[j->call];
    if (w->series && j->arrived_ns >= w->sc->warmup_ns)
        sim_series_call(w, j->pod->service, (uint32_t)call->service,
                        sim_now(&w->k) - j->call_start_ns, outcome);
    if (rpt_outcome_is_error(outcome) && !call->ignore_errors) {
        j->status = outcome >= 100 ? outcome : 503;
        respond(w, j, 1);
        return;
    }
    j->call++;
    call_next(w, j);
}

static void call_try(struct sim_world *w, struct sim_job *j);

static void call_backoff_done(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_job *j = t->data;
    FL_ASSERT(!j->up && j->tries >= 1);              /* a backoff follows a try */
    if (j->filling || !orphan(w, j)) call_try(w, j); /* a fill goes on: others wait on it */
}

/* The CLIENT span of the call's try that ended now with outcome; `again`: it is retried. */
static void call_span(struct sim_world *w, struct sim_job *j, int outcome, int again)
{
    const struct sim_call_cfg *call = job_call(w, j);
    FL_ASSERT(j->try_id && j->trace_lo && sim_now(&w->k) >= j->try_start_ns);
    char name[256];
    struct px_span s;
    job_span(w, j, &s, name, sizeof name, call->method, call->path);
    s.id = j->try_id;
    s.parent = j->span_id;
    s.kind = PX_SPAN_CLIENT;
    s.start_ns = j->try_start_ns;
    s.peer = j->try_peer;
    s.cluster = w->sc->services[call->service].name;
    s.status = outcome >= 100 ? outcome : 0;
    s.attempt = j->tries;
    s.error = rpt_outcome_is_error(outcome);
    s.reason = again ? sim_trace_reason(outcome) : NULL;
    s.rtx_ns = j->try_rtx_ns;
    sim_trace_span(w, &s);
    j->try_id = 0;
}

/* A try of the call under way ended (its connection is already dealt with). */
static void call_try_done(struct sim_world *w, struct sim_job *j, int outcome)
{
    struct sim_pod *pod = j->pod;
    const struct sim_call_cfg *call = job_call(w, j);
    FL_ASSERT(j->up == NULL && j->tries >= 1);
    sim_timer_cancel(&w->k, &j->call_timer);
    struct sim_retry_state *st = job_retry_state(j);
    int again = sim_retry_after(&call->retry, st, j->tries, outcome, sim_now(&w->k));
    if (j->try_id) call_span(w, j, outcome, again);
    if (!again) {
        call_done(w, j, outcome);
        return;
    }
    int64_t sleep = sim_backoff(&call->retry, (int)j->tries - 1, &j->prev_sleep_ns, &pod->rng);
    sim_timer_init(&j->call_timer, call_backoff_done, j);
    sim_timer_arm(&w->k, &j->call_timer, sim_now(&w->k) + sleep);
}

static void up_connected(void *ctx, struct px_conn *pc, int status)
{
    struct sim_job *j = ctx;
    struct sim_world *w = j->pod->w;
    FL_ASSERT(j->up == sim_conn_of(pc)); /* the call under way */
    if (status == PX_OK && j->incarnation == j->pod->incarnation) {
        send_call(w, j);
        return;
    }
    if (status == PX_OK) sim_conn_close(w, sim_conn_of(pc), 0, 1); /* its process died */
    j->up = NULL;
    sim_conn_release(w, sim_conn_of(pc));
    call_try_done(w, j, RPT_FAIL_CONNECT);
}

static void up_message(void *ctx, struct px_conn *pc, struct px_msg *m)
{
    struct sim_job *j = ctx;
    struct sim_world *w = j->pod->w;
    FL_ASSERT(j->up == sim_conn_of(pc));
    int status = m->status;
    j->try_rtx_ns = m->rtx_ns;
    sim_msg_free(w, m);
    j->up = NULL;
    sim_conn_park(w, sim_conn_of(pc));
    call_try_done(w, j, status);
}

static void up_closed(void *ctx, struct px_conn *pc, int reason)
{
    struct sim_job *j = ctx;
    struct sim_world *w = j->pod->w;
    (void)reason;
    FL_ASSERT(j->up == sim_conn_of(pc));
    j->up = NULL;
    sim_conn_release(w, sim_conn_of(pc));
    call_try_done(w, j, RPT_FAIL_RESET);
}

static const struct px_conn_cbs up_cbs = {up_connected, up_message, up_closed};

/* The app gives up on the try (the callee's work goes on, as a real server's would). */
static void call_try_timeout(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_job *j = t->data;
    struct sim_conn *c = j->up;
    FL_ASSERT(c != NULL);
    j->up = NULL;
    sim_conn_close(w, c, 0, 0);
    sim_conn_bind(c, 0, NULL, NULL); /* an answer already under way finds nobody */
    sim_conn_release(w, c);
    call_try_done(w, j, RPT_FAIL_TIMEOUT);
}

static void call_next(struct sim_world *w, struct sim_job *j)
{
    const struct sim_version_cfg *cfg = j->pod->cfg;
    if (!j->filling && j->call == cfg->n_calls) {
        j->status = 200;
        respond(w, j, 1);
        return;
    }
    FL_ASSERT(!j->up && (j->filling || j->call < cfg->n_calls));
    const struct sim_retry_cfg *rc = &job_call(w, j)->retry;
    j->tries = 0;
    j->call_start_ns =
        sim_now(&w->k); /* the edge series: the call as the app sees it, tries and all */
    j->prev_sleep_ns = rc->base_ns;
    struct sim_retry_state *st = job_retry_state(j);
    if (st) sim_retry_on_request(rc, st, sim_now(&w->k));
    call_try(w, j);
}

static void call_try(struct sim_world *w, struct sim_job *j)
{
    const struct sim_retry_cfg *rc = &job_call(w, j)->retry;
    FL_ASSERT(j->up == NULL);
    struct sim_retry_state *st = job_retry_state(j);
    if (st && sim_retry_throttled(rc, st, sim_now(&w->k), &j->pod->rng)) {
        call_done(w, j, RPT_FAIL_THROTTLED); /* rejected locally: fails at once */
        return;
    }
    j->tries++;
    if (j->trace_lo) {
        j->try_id = sim_trace_new_id(w);
        j->try_start_ns = sim_now(&w->k);
        j->try_rtx_ns = 0;
        j->try_peer = w->sc->services[job_call(w, j)->service].name; /* a proxy picks the pod */
    }
    /* with sidecars the call goes to the pod's own outbound sidecar, which routes it */
    uint32_t src = j->pod->node, dst = src;
    uint16_t port = SIM_PORT_OUTBOUND;
    if (w->sc->mesh_mode == SIM_MESH_AMBIENT) {
        /* ambient: the service's address, which the node's ztunnel captures */
        port = (uint16_t)(SIM_PORT_VIP + job_call(w, j)->service);
    } else if (!j->pod->outbound) {
        uint32_t pod = sim_endpoints_pick(w, job_call(w, j)->service, &j->pod->rng);
        dst = w->pods[pod].node;
        port = SIM_PORT_SERVICE;
        if (j->trace_lo) j->try_peer = w->nodes[dst].name;
    }
    FL_ASSERT(j->tries >= 1 && src < w->n_nodes && dst < w->n_nodes);
    struct sim_conn *c = sim_conn_take_idle(w, src, dst, port);
    if (c) {
        j->up = c;
        sim_conn_bind(c, 0, &up_cbs, j);
        send_call(w, j);
    } else {
        j->up = sim_dns_open(w, job_call(w, j)->service, src, dst, port, &up_cbs, j);
    }
    if (rc->timeout_ns && j->up) {
        sim_timer_init(&j->call_timer, call_try_timeout, j);
        sim_timer_arm(&w->k, &j->call_timer, sim_now(&w->k) + rc->timeout_ns);
    }
    FL_ASSERT(!j->up || j->up->refs > 0);
}

static void work_done(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_job *j = t->data;
    if (orphan(w, j)) return;
    FL_ASSERT(j->pod->busy > 0 && j->call == 0); /* it holds a worker; no call made yet */
    const struct sim_version_cfg *cfg = j->pod->cfg;
    if (cfg->error_rate > 0 && fl_rng_chance(&j->pod->rng, cfg->error_rate)) {
        j->status = cfg->error_status;
        respond(w, j, 1);
        return;
    }
    call_next(w, j);
}

/* ---- the cache: lookup, fill, and the requests that waited on the fill */

/* The fill of j's key ended: j and every request that waited on it answer with its outcome. */
static void cache_filled(struct sim_world *w, struct sim_job *j, int status)
{
    struct sim_cache *cache = &w->caches[j->pod->service];
    struct sim_cache_wait *waiting = sim_cache_filled(cache, j->key, sim_now(&w->k), status);
    int answer = status == 0 ? 503 : status;
    uint64_t key = j->key;
    uint32_t service = j->pod->service;
    j->filling = 0;
    j->status = answer;
    if (!orphan(w, j)) respond(w, j, 1); /* a killed pod's fill still frees its waiters */
    while (waiting) {
        struct sim_job *o = (struct sim_job *)((char *)waiting - offsetof(struct sim_job, wait));
        waiting = waiting->next;
        FL_ASSERT(o->key == key || o->pod->service != service);
        o->status = answer; /* singleflight: every waiter gets the one result */
        if (!orphan(w, o)) respond(w, o, 1);
    }
}

static void cache_looked_up(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_job *j = t->data;
    if (orphan(w, j)) return;
    struct sim_cache *cache = &w->caches[j->pod->service];
    FL_ASSERT(cache->cfg && j->pod->busy > 0 && !j->filling);
    switch (sim_cache_lookup(cache, j->key, sim_now(k), &j->wait)) {
    case SIM_CACHE_HIT:
        j->status = 200;
        respond(w, j, 1);
        break;
    case SIM_CACHE_FILL:
        j->filling = 1;
        call_next(w, j);
        break;
    case SIM_CACHE_WAIT: break; /* cache_filled answers it */
    }
}

static void start_job(struct sim_world *w, struct sim_job *j)
{
    struct sim_pod *pod = j->pod;
    FL_ASSERT(pod->busy < pod->cfg->workers && j->incarnation == pod->incarnation);
    pod->busy++;
    j->queue_ns = sim_now(&w->k) - j->arrived_ns; /* waiting for a worker */
    struct sim_cache *cache = &w->caches[pod->service];
    if (cache->cfg) { /* the lookup instead of the service time */
        int64_t look = cache->cfg->hit_ns;
        if (pod->fault_slow != 1.0) look = (int64_t)((double)look * pod->fault_slow + 0.5);
        j->key = sim_cache_key(cache);
        j->service_ns = look;
        sim_timer_init(&j->work, cache_looked_up, j);
        sim_timer_arm(&w->k, &j->work, sim_now(&w->k) + look);
        return;
    }
    int64_t st = fl_dist_sample(&pod->cfg->service_time, &pod->rng);
    if (pod->fault_slow != 1.0) st = (int64_t)((double)st * pod->fault_slow + 0.5); /* slow */
    j->service_ns = st;
    sim_timer_init(&j->work, work_done, j);
    sim_timer_arm(&w->k, &j->work, sim_now(&w->k) + st);
}

static void enqueue(struct sim_pod *pod, struct sim_job *j)
{
    FL_ASSERT(pod->busy == pod->cfg->workers && (int)pod->q_len < pod->cfg->queue);
    if (pod->q_len == pod->q_cap) {
        uint32_t cap = pod->q_cap ? pod->q_cap * 2 : 16;
        struct sim_job **q = fl_malloc(cap * sizeof *q);
        for (uint32_t i = 0; i < pod->q_len; i++) q[i] = pod->queue[(pod->q_head + i) % pod->q_cap];
        free(pod->queue);
        pod->queue = q;
        pod->q_cap = cap;
        pod->q_head = 0;
    }
    pod->queue[(pod->q_head + pod->q_len) % pod->q_cap] = j;
    pod->q_len++;
    FL_ASSERT(pod->q_len <= pod->q_cap && pod->q_head < pod->q_cap);
}

/*
 * The request's trace: the context it carries (B3 or traceparent), or a
 * new trace when it carries none. A deferred decision is the pod's to make
 * (no proxy before it decided): sampled by tracing.sample, else 1%.
 */
static void trace_arrival(struct sim_world *w, struct sim_job *j, const struct px_msg *m)
{
    struct px_trace ctx;
    if (px_trace_extract(m, &ctx)) {
        j->trace_hi = ctx.trace_hi;
        j->trace_lo = ctx.trace_lo;
        j->parent_id = ctx.span_id;
        j->formats = ctx.formats;
    } else {
        j->trace_hi = sim_trace_new_id(w);
        j->trace_lo = sim_trace_new_id(w);
    }
    j->sampled = ctx.sampled;
    if (j->sampled == PX_SAMPLE_DEFER)
        j->sampled = px_trace_sample(j->trace_lo, sim_trace_default_percent(w));
    j->span_id = sim_trace_new_id(w);
    j->rtx_ns = m->rtx_ns;
    FL_ASSERT(j->trace_lo && j->span_id && (j->sampled == 0 || j->sampled == 1));
}

/* A request arrives at the pod. */
static void pod_message(void *ctx, struct px_conn *pc, struct px_msg *m)
{
    struct sim_pod *pod = ctx;
    struct sim_world *w = pod->w;
    struct sim_conn *c = sim_conn_of(pc);
    FL_ASSERT(pod >= w->pods && pod < w->pods + w->n_pods && c->refs > 0);
    FL_ASSERT(pod->busy <= pod->cfg->workers && (int)pod->q_len <= pod->cfg->queue);
    /* request-triggered faults: most runs have none waiting, so not even the call */
    if (w->faults.waiting_requests) sim_faults_on_request(w, (uint32_t)(pod - w->pods), m);
    struct sim_job *j = job_new(w);
    if (w->tracer) trace_arrival(w, j, m);
    if (pod->forwards || j->trace_lo || sim_kv_is_request(m))
        j->req = m;
    else
        sim_msg_free(w, m);
    j->pod = pod;
    j->incarnation = pod->incarnation;
    j->conn = c;
    sim_conn_ref(c);
    j->arrived_ns = sim_now(&w->k);
    if (pod->fault_error_rate > 0 && fl_rng_chance(&pod->fault_rng, pod->fault_error_rate)) {
        j->status = pod->fault_error_status; /* an `errors` fault: answered without the work */
        respond(w, j, 0);
    } else if (pod->busy < pod->cfg->workers) {
        start_job(w, j);
    } else if ((int)pod->q_len < pod->cfg->queue) {
        enqueue(pod, j);
    } else {
        j->status = 503; /* the queue is full */
        respond(w, j, 0);
    }
}

static const struct px_conn_cbs pod_cbs = {NULL, pod_message, NULL};

static void pod_accept(void *ctx, struct sim_conn *c)
{
    FL_ASSERT(ctx && c && c->state != SIM_CONN_CLOSED);
    sim_conn_bind(c, 1, &pod_cbs, ctx);
}

/* Each pod whose calls retry or throttle gets a retry state per call, counted for its service. */
static void init_call_retries(struct sim_world *w, struct sim_pod *pod)
{
    const struct sim_version_cfg *cfg = pod->cfg;
    int any = 0;
    for (size_t c = 0; c < cfg->n_calls; c++)
        if (cfg->calls[c].retry.retries > 0 || cfg->calls[c].retry.throttle_k > 0) any = 1;
    if (!any) return;
    FL_ASSERT(w->sc->n_workloads + pod->service < w->run->n_retry_counts);
    struct rpt_retry_count *counts = &w->run->retry_counts[w->sc->n_workloads + pod->service];
    pod->call_retry = fl_calloc(cfg->n_calls, sizeof *pod->call_retry);
    for (size_t c = 0; c < cfg->n_calls; c++) sim_retry_state_init(&pod->call_retry[c], counts);
}

/* The services' caches and their rows in the results (in scenario order). */
static void caches_init(struct sim_world *w)
{
    const struct sim_scenario *sc = w->sc;
    w->caches = fl_calloc(sc->n_services, sizeof *w->caches);
    size_t n = 0;
    for (size_t s = 0; s < sc->n_services; s++) n += sc->services[s].cache != NULL;
    if (!n) return;
    w->run->caches = fl_calloc(n, sizeof *w->run->caches);
    for (size_t s = 0; s < sc->n_services; s++) {
        const struct sim_cache_cfg *cfg = sc->services[s].cache;
        if (!cfg) continue;
        struct rpt_cache *row = &w->run->caches[w->run->n_caches++];
        row->name = fl_strdup(cfg->name);
        row->service = fl_strdup(sc->services[s].name);
        row->miss_service = fl_strdup(sc->services[cfg->miss.service].name);
        sim_cache_init(&w->caches[s], cfg, sc->seed, sc->services[s].name, sc->warmup_ns, row);
    }
    FL_ASSERT(w->run->n_caches == n);
}

void sim_app_init(struct sim_world *w)
{
    FL_ASSERT(w->run && w->sc && (w->pods || !w->n_pods) && !w->caches);
    sim_retry_counts_alloc(w->run, w->sc);
    for (uint32_t i = 0; i < w->n_pods; i++) init_call_retries(w, &w->pods[i]);
    caches_init(w);
    for (uint32_t i = 0; i < w->n_pods; i++)
        for (size_t c = 0; c < w->pods[i].cfg->n_calls; c++)
            if (w->pods[i].cfg->calls[c].n_forward) w->pods[i].forwards = 1;
    /* behind an inbound sidecar or a ztunnel the app listens on its own port; else the service's */
    uint16_t port = w->sc->mesh_mode != SIM_MESH_NONE ? SIM_PORT_APP : SIM_PORT_SERVICE;
    for (uint32_t i = 0; i < w->n_pods; i++) {
        /* an external service has no sidecar: it answers on the service's port */
        int ext = w->sc->services[w->pods[i].service].external;
        sim_listen(w, w->pods[i].node, ext ? SIM_PORT_SERVICE : port, pod_accept, &w->pods[i]);
    }
}

void sim_app_free(struct sim_world *w)
{
    for (size_t s = 0; w->caches && s < w->sc->n_services; s++)
        if (w->caches[s].cfg) sim_cache_free(&w->caches[s]);
    free(w->caches);
    for (uint32_t i = 0; i < w->n_pods; i++) {
        free(w->pods[i].queue);
        free(w->pods[i].call_retry);
        sim_kv_pod_reset(&w->pods[i]);
    }
}

void sim_app_kill(struct sim_world *w, struct sim_pod *pod)
{
    FL_ASSERT(pod->busy >= 0 && pod->q_len <= pod->q_cap);
    pod->incarnation++;    /* work under way is dropped when its timer or call ends (orphan) */
    sim_kv_pod_reset(pod); /* a Redis without persistence comes back empty */
    pod->busy = 0;
    while (pod->q_len) {
        struct sim_job *j = pod->queue[pod->q_head];
        pod->q_head = (pod->q_head + 1) % pod->q_cap;
        pod->q_len--;
        int dropped = orphan(w, j);
        FL_ASSERT(dropped);
    }
    FL_ASSERT(pod->busy == 0 && pod->q_len == 0);
}

int sim_app_idle(const struct sim_pod *pod)
{
    FL_ASSERT(pod->busy >= 0 && pod->busy <= pod->cfg->workers);
    return pod->busy == 0 && pod->q_len == 0;
}
