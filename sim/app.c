/*
 * app.c - the modeled application in every pod: a pool of workers and a
 * bounded queue in front of it (a full queue answers 503 at once), a
 * service time drawn from the version's distribution, injected errors, and
 * downstream calls made one after the other, each over the network to a
 * pod of the callee chosen uniformly at random (as kube-proxy does).
 *
 * A worker is held from the start of the service time until the response
 * is sent, calls included: the thread-per-request server most services
 * are. A failed call (an error status, or no response) fails the request
 * with the callee's status, 503 when there was none, unless the call says
 * `on_error: ignore`. An injected error ends the request after its service
 * time, before any call.
 *
 * Faults (sim/fault_app.c) act here: `slow` multiplies the service time
 * of work started while it is active (pod->fault_slow), `errors` answers
 * a share of the arriving requests at once (pod->fault_error_rate), drawn
 * from a stream of its own so that the pod's service times stay the same.
 * Every arrival is shown to the fault triggers (sim_faults_on_request).
 *
 * Not here: sidecars (later the pod's listener will be its inbound proxy),
 * caches.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/series.h"
#include "sim/world.h"

struct sim_job {
    struct sim_pod *pod;
    struct sim_conn *conn; /* the request came on it (a reference is held) */
    struct px_msg *req;    /* the request, kept when calls forward its headers */
    int64_t arrived_ns;
    int status;
    uint32_t call;         /* the next downstream call */
    int64_t call_start_ns; /* when the call under way started (the edge series) */
    struct sim_conn *up;   /* the connection of the call under way */
    struct sim_timer work; /* the end of the service time */
    struct sim_job *next_free;
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
    memset(j, 0, sizeof *j);
    w->busy_jobs++;
    return j;
}

static void job_free(struct sim_world *w, struct sim_job *j)
{
    j->next_free = w->free_jobs;
    w->free_jobs = j;
    w->busy_jobs--;
    if (!w->busy_jobs) sim_world_maybe_stop(w);
}

static void start_job(struct sim_world *w, struct sim_job *j);

/* Sends the response, counts it, frees the worker (if one was held) and the job. */
static void respond(struct sim_world *w, struct sim_job *j, int held_worker)
{
    struct sim_pod *pod = j->pod;
    struct px_msg *m = sim_msg_new(w);
    m->status = j->status;
    m->body_bytes = (uint64_t)pod->cfg->response_bytes;
    if (pod->cfg->content_type[0])
        px_msg_add_header_static(m, "content-type", pod->cfg->content_type);
    sim_conn_send(w, j->conn, 1, m);
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
    pod->busy--;
    if (pod->q_len) {
        struct sim_job *next = pod->queue[pod->q_head];
        pod->q_head = (pod->q_head + 1) % pod->q_cap;
        pod->q_len--;
        start_job(w, next);
    }
}

static void call_next(struct sim_world *w, struct sim_job *j);

static void send_call(struct sim_world *w, struct sim_job *j)
{
    const struct sim_call_cfg *call = &j->pod->cfg->calls[j->call];
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
    sim_conn_send(w, j->up, 0, m);
}

/* The call under way ended with status (0: no response at all). */
static void call_done(struct sim_world *w, struct sim_job *j, int status)
{
    const struct sim_call_cfg *call = &j->pod->cfg->calls[j->call];
    if (w->series && j->arrived_ns >= w->sc->warmup_ns) /* 0: no answer, counted as a reset */
        sim_series_call(w, j->pod->service, (uint32_t)call->service,
                        sim_now(&w->k) - j->call_start_ns, status ? status : RPT_FAIL_RESET);
    if ((status == 0 || rpt_outcome_is_error(status)) && !call->ignore_errors) {
        j->status = status ? status : 503;
        respond(w, j, 1);
        return;
    }
    j->call++;
    call_next(w, j);
}

static void up_connected(void *ctx, struct px_conn *pc, int status)
{
    struct sim_job *j = ctx;
    struct sim_world *w = j->pod->w;
    if (status == PX_OK) {
        send_call(w, j);
        return;
    }
    j->up = NULL;
    sim_conn_release(w, sim_conn_of(pc));
    call_done(w, j, 0);
}

static void up_message(void *ctx, struct px_conn *pc, struct px_msg *m)
{
    struct sim_job *j = ctx;
    struct sim_world *w = j->pod->w;
    int status = m->status;
    sim_msg_free(w, m);
    j->up = NULL;
    sim_conn_park(w, sim_conn_of(pc));
    call_done(w, j, status);
}

static void up_closed(void *ctx, struct px_conn *pc, int reason)
{
    struct sim_job *j = ctx;
    struct sim_world *w = j->pod->w;
    (void)reason;
    j->up = NULL;
    sim_conn_release(w, sim_conn_of(pc));
    call_done(w, j, 0);
}

static const struct px_conn_cbs up_cbs = {up_connected, up_message, up_closed};

static void call_next(struct sim_world *w, struct sim_job *j)
{
    const struct sim_version_cfg *cfg = j->pod->cfg;
    if (j->call == cfg->n_calls) {
        j->status = 200;
        respond(w, j, 1);
        return;
    }
    /* with sidecars the call goes to the pod's own outbound sidecar, which routes it */
    uint32_t src = j->pod->node, dst = src;
    uint16_t port = SIM_PORT_OUTBOUND;
    if (w->sc->mesh_mode == SIM_MESH_AMBIENT) {
        /* ambient: the service's address, which the node's ztunnel captures */
        port = (uint16_t)(SIM_PORT_VIP + cfg->calls[j->call].service);
    } else if (!j->pod->outbound) {
        const struct sim_service *callee = &w->services[cfg->calls[j->call].service];
        uint32_t pod = callee->first_pod;
        if (callee->n_pods > 1) pod += (uint32_t)fl_rng_below(&j->pod->rng, callee->n_pods);
        dst = w->pods[pod].node;
        port = SIM_PORT_SERVICE;
    }
    j->call_start_ns = sim_now(&w->k);
    struct sim_conn *c = sim_conn_take_idle(w, src, dst, port);
    if (c) {
        j->up = c;
        sim_conn_bind(c, 0, &up_cbs, j);
        send_call(w, j);
    } else {
        j->up = sim_conn_open(w, src, dst, port, &up_cbs, j);
    }
}

static void work_done(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_world *w = (struct sim_world *)k;
    struct sim_job *j = t->data;
    const struct sim_version_cfg *cfg = j->pod->cfg;
    if (cfg->error_rate > 0 && fl_rng_chance(&j->pod->rng, cfg->error_rate)) {
        j->status = cfg->error_status;
        respond(w, j, 1);
        return;
    }
    call_next(w, j);
}

static void start_job(struct sim_world *w, struct sim_job *j)
{
    struct sim_pod *pod = j->pod;
    pod->busy++;
    int64_t st = fl_dist_sample(&pod->cfg->service_time, &pod->rng);
    if (pod->fault_slow != 1.0) st = (int64_t)((double)st * pod->fault_slow + 0.5); /* slow */
    sim_timer_init(&j->work, work_done, j);
    sim_timer_arm(&w->k, &j->work, sim_now(&w->k) + st);
}

static void enqueue(struct sim_pod *pod, struct sim_job *j)
{
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
}

/* A request arrives at the pod. */
static void pod_message(void *ctx, struct px_conn *pc, struct px_msg *m)
{
    struct sim_pod *pod = ctx;
    struct sim_world *w = pod->w;
    struct sim_conn *c = sim_conn_of(pc);
    sim_faults_on_request(w, (uint32_t)(pod - w->pods), m);
    struct sim_job *j = job_new(w);
    if (pod->forwards)
        j->req = m;
    else
        sim_msg_free(w, m);
    j->pod = pod;
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
    sim_conn_bind(c, 1, &pod_cbs, ctx);
}

void sim_app_init(struct sim_world *w)
{
    for (uint32_t i = 0; i < w->n_pods; i++)
        for (size_t c = 0; c < w->pods[i].cfg->n_calls; c++)
            if (w->pods[i].cfg->calls[c].n_forward) w->pods[i].forwards = 1;
    /* behind an inbound sidecar or a ztunnel the app listens on its own port; else the service's */
    uint16_t port = w->sc->mesh_mode != SIM_MESH_NONE ? SIM_PORT_APP : SIM_PORT_SERVICE;
    for (uint32_t i = 0; i < w->n_pods; i++)
        sim_listen(w, w->pods[i].node, port, pod_accept, &w->pods[i]);
}

void sim_app_free(struct sim_world *w)
{
    for (uint32_t i = 0; i < w->n_pods; i++) free(w->pods[i].queue);
}
