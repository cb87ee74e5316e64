/*
 * kernel_bench.c - cost per event of the simulator's event kernel, next to a
 * binary-heap baseline measured in the same process on the same workload.
 *
 * Two workloads, each at 4 (an M/M/1 queue's few), 10^3 and 10^6 pending events:
 *  - hold: pop the earliest event and schedule one follow-up at now + X,
 *    X exponential with mean P x 100 ns, so the pending set keeps its size
 *    and spread (the classic "hold model" of event-set benchmarks, also what
 *    heapbench in the peers folder measures);
 *  - mix: P flows, each with a response event and a timeout timer; when a
 *    response fires, the flow cancels its timeout, re-arms it 10 means later
 *    and schedules its next response. Per fired event: one cancel, two arms.
 *    The heap baseline cancels lazily (a generation mark, skipped when popped),
 *    the usual way to cancel in a binary heap.
 *
 * Prints figures only; never a verdict. Usage: kernel_bench [holds]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "sim/kernel.h"

#define TAB 65536
static double expo[TAB];

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- binary heap baseline: {time, seq} keys, payload index ---- */
struct hent {
    int64_t t;
    uint64_t seq;
    uint32_t id, gen;
};
struct heap {
    struct hent *a;
    size_t n, cap;
    uint64_t seq;
};

static inline int hless(const struct hent *x, const struct hent *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void hpush(struct heap *h, int64_t t, uint32_t id, uint32_t gen)
{
    FL_GROW(h->a, h->cap, h->n + 1);
    struct hent e = {t, h->seq++, id, gen};
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&e, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
}

static struct hent hpop(struct heap *h)
{
    struct hent top = h->a[0], last = h->a[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && hless(&h->a[c + 1], &h->a[c])) c++;
        if (!hless(&h->a[c], &last)) break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n) h->a[i] = last;
    return top;
}

static double heap_hold(size_t P, size_t H, double *chk)
{
    struct heap h = {0};
    struct fl_rng r;
    fl_rng_seed(&r, 1);
    double mean = (double)P * 100.0;
    for (size_t i = 0; i < P; i++) hpush(&h, (int64_t)(-log(fl_rng_open01(&r)) * mean), 0, 0);
    double sum = 0;
    for (size_t k = 0; k < P; k++) {
        struct hent e = hpop(&h);
        hpush(&h, e.t + (int64_t)(expo[k & (TAB - 1)] * mean), 0, 0);
    }
    double t0 = wall_s();
    for (size_t k = 0; k < H; k++) {
        struct hent e = hpop(&h);
        sum += (double)e.t;
        hpush(&h, e.t + (int64_t)(expo[k & (TAB - 1)] * mean), 0, 0);
    }
    double ns = (wall_s() - t0) * 1e9 / (double)H;
    free(h.a);
    *chk = sum;
    return ns;
}

/* mix on the heap: id = flow * 2 + kind (0 response, 1 timeout); gen invalidates timeouts */
static double heap_mix(size_t P, size_t H, double *chk)
{
    struct heap h = {0};
    uint32_t *gen = fl_calloc(P, sizeof *gen);
    double mean = (double)P * 100.0;
    size_t k = 0;
    for (size_t i = 0; i < P; i++) {
        hpush(&h, (int64_t)(expo[k++ & (TAB - 1)] * mean), (uint32_t)(i * 2), 0);
        hpush(&h, (int64_t)(10 * mean), (uint32_t)(i * 2 + 1), 0);
    }
    double sum = 0, t0 = 0;
    size_t fired = 0, warm = P;
    while (fired < H + warm) {
        if (fired == warm) t0 = wall_s();
        struct hent e = hpop(&h);
        uint32_t flow = e.id / 2;
        if (e.id & 1) {
            if (e.gen != gen[flow]) continue; /* cancelled */
            /* a timeout that really fires: restart the flow */
        }
        fired++;
        sum += (double)e.t;
        gen[flow]++;
        hpush(&h, e.t + (int64_t)(10 * mean), flow * 2 + 1, gen[flow]);
        hpush(&h, e.t + (int64_t)(expo[k++ & (TAB - 1)] * mean), flow * 2, 0);
    }
    double ns = (wall_s() - t0) * 1e9 / (double)H;
    free(h.a);
    free(gen);
    *chk = sum;
    return ns;
}

/* ---- the kernel ---- */

/*
 * How far each sim_kernel_run call goes: about 4096 events (a real run is
 * one call), so that arming the run's stop timer is not what a small
 * pending set measures.
 */
static int64_t run_window(double mean, size_t P)
{
    return (int64_t)(mean * (P < 4096 ? 4096.0 / (double)P : 1.0));
}
struct flow {
    struct sim_timer response, timeout;
    double mean;
    size_t *k;
    double *sum;
};

static void hold_fire(struct sim_kernel *kn, struct sim_timer *t)
{
    struct flow *f = t->data;
    *f->sum += (double)t->at_ns;
    sim_timer_arm(kn, t, t->at_ns + (int64_t)(expo[(*f->k)++ & (TAB - 1)] * f->mean));
}

static double kernel_hold(size_t P, size_t H, double *chk)
{
    struct sim_kernel *kn = fl_malloc(sizeof *kn);
    sim_kernel_init(kn);
    struct flow *f = fl_calloc(P, sizeof *f);
    struct fl_rng r;
    fl_rng_seed(&r, 1);
    size_t k = 0;
    double sum = 0, mean = (double)P * 100.0;
    for (size_t i = 0; i < P; i++) {
        f[i].mean = mean;
        f[i].k = &k;
        f[i].sum = &sum;
        sim_timer_init(&f[i].response, hold_fire, &f[i]);
        sim_timer_arm(kn, &f[i].response, (int64_t)(-log(fl_rng_open01(&r)) * mean));
    }
    /* warm-up: P events, like the heap */
    while (kn->events < P) sim_kernel_run(kn, kn->now_ns + run_window(mean, P));
    uint64_t target = kn->events + H;
    sum = 0;
    double t0 = wall_s();
    while (kn->events < target) sim_kernel_run(kn, kn->now_ns + run_window(mean, P));
    double ns = (wall_s() - t0) * 1e9 / (double)(kn->events - (target - H));
    sim_kernel_free(kn);
    free(kn);
    free(f);
    *chk = sum;
    return ns;
}

static void mix_response(struct sim_kernel *kn, struct sim_timer *t)
{
    struct flow *f = t->data;
    *f->sum += (double)t->at_ns;
    sim_timer_cancel(kn, &f->timeout);
    sim_timer_arm(kn, &f->timeout, t->at_ns + (int64_t)(10 * f->mean));
    sim_timer_arm(kn, t, t->at_ns + (int64_t)(expo[(*f->k)++ & (TAB - 1)] * f->mean));
}

static void mix_timeout(struct sim_kernel *kn, struct sim_timer *t)
{
    struct flow *f = t->data;
    mix_response(kn, &f->response);
}

static double kernel_mix(size_t P, size_t H, double *chk)
{
    struct sim_kernel *kn = fl_malloc(sizeof *kn);
    sim_kernel_init(kn);
    struct flow *f = fl_calloc(P, sizeof *f);
    size_t k = 0;
    double sum = 0, mean = (double)P * 100.0;
    for (size_t i = 0; i < P; i++) {
        f[i].mean = mean;
        f[i].k = &k;
        f[i].sum = &sum;
        sim_timer_init(&f[i].response, mix_response, &f[i]);
        sim_timer_init(&f[i].timeout, mix_timeout, &f[i]);
        sim_timer_arm(kn, &f[i].response, (int64_t)(expo[k++ & (TAB - 1)] * mean));
        sim_timer_arm(kn, &f[i].timeout, (int64_t)(10 * mean));
    }
    while (kn->events < P) sim_kernel_run(kn, kn->now_ns + run_window(mean, P));
    uint64_t start = kn->events;
    sum = 0;
    double t0 = wall_s();
    while (kn->events < start + H) sim_kernel_run(kn, kn->now_ns + run_window(mean, P));
    double ns = (wall_s() - t0) * 1e9 / (double)(kn->events - start);
    sim_kernel_free(kn);
    free(kn);
    free(f);
    *chk = sum;
    return ns;
}

int main(int argc, char **argv)
{
    size_t H = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    struct fl_rng r;
    fl_rng_seed(&r, 12345);
    for (int i = 0; i < TAB; i++) expo[i] = -log(fl_rng_open01(&r));
    /* hold with P pending; mix with P flows, 2P pending (2 flows: 4, an M/M/1 queue's few) */
    static const struct {
        int mix;
        size_t P;
    } rows[] = {{0, 4}, {1, 2}, {0, 1000}, {1, 1000}, {0, 1000000}, {1, 1000000}};
    printf("kernel cost per event (ns), %zu events per figure; lower is better\n", H);
    printf("%-6s %10s %12s %12s %8s\n", "model", "pending", "binary-heap", "kernel", "ratio");
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        size_t P = rows[i].P;
        double c1, c2;
        double h = rows[i].mix ? heap_mix(P, H, &c1) : heap_hold(P, H, &c1);
        double w = rows[i].mix ? kernel_mix(P, H, &c2) : kernel_hold(P, H, &c2);
        printf("%-6s %10zu %12.1f %12.1f %7.2fx\n", rows[i].mix ? "mix" : "hold",
               rows[i].mix ? 2 * P : P, h, w, h / w);
    }
    printf("(ratio = heap / kernel: above 1 means the kernel is faster)\n");
    return 0;
}
