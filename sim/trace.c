/*
 * trace.c - the simulator's span sink (sim/trace.h): sampled spans to the
 * run's store, and tail retention of the slowest requests' traces.
 *
 * Open traces are found by their id in a map of their own (open
 * addressing on the low 64 bits of the trace id, linear probing, deletion
 * by backward shift); the kept ones sit in a min-heap whose root is the
 * first to go. Buffered spans and trace entries come from pooled blocks
 * (sim_world_block) recycled through free lists; their strings are
 * interned in the run's span store, so a kept trace's spans point at the
 * strings the exports use.
 */
#include "sim/trace.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/trace.h"
#include "reports/results.h"
#include "sim/world.h"

#define POOL_BLOCK         256
#define TRACE_SPANS_MAX    10000 /* spans buffered per trace; more are dropped (a runaway fan-out) */
#define DEFAULT_SAMPLE_PCT 1.0   /* Istio's default sampling: 1% */

#define SPAN_TEXT 192 /* bytes of a buffered span's strings kept with it (longer ones interned) */

struct tspan {
    struct rpt_span s; /* its strings in text (or interned), interned when the trace is kept */
    struct tspan *next;
    char text[SPAN_TEXT];
};

struct tentry {
    uint64_t hi, lo;
    int decision;  /* PX_SAMPLE_*: the first deciding hop's, as its spans say */
    int buffering; /* its spans are kept (counted request, retention on) */
    int kept;      /* among the slowest (in the heap) */
    int in_map;
    struct tspan *head, *tail;
    uint32_t n_spans;
    struct rpt_request rq;
    uint64_t seq;
    struct tentry *next_free;
};

struct sim_tracer {
    struct tentry **slots; /* the open and kept traces by id */
    size_t cap, len;
    struct tentry **heap; /* the kept requests; heap[0] the first to go */
    size_t n_heap, max_heap;
    struct tentry *free_entries;
    struct tspan *free_spans;
};

uint64_t sim_trace_new_id(struct sim_world *w)
{
    FL_ASSERT(w && w->sc);
    /* splitmix64 over a counter keyed by the seed: distinct, non-zero, reproducible */
    uint64_t z;
    do {
        z = (w->trace_ids++ + w->sc->seed * 0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
    } while (!z);
    FL_ASSERT(z != 0);
    return z;
}

double sim_trace_default_percent(const struct sim_world *w)
{
    FL_ASSERT(w && w->sc);
    return w->sc->trace_sample >= 0 ? w->sc->trace_sample : DEFAULT_SAMPLE_PCT;
}

const char *sim_trace_reason(int outcome)
{
    switch (outcome) {
    case RPT_FAIL_TIMEOUT: return "per-try-timeout";
    case RPT_FAIL_CONNECT: return "connect-failure";
    case RPT_FAIL_DNS: return "dns-failure";
    case RPT_FAIL_RESET: return "reset";
    case RPT_FAIL_THROTTLED: return "throttled";
    case RPT_FAIL_UNFINISHED: return "unfinished";
    case 429: return "429";
    default: return outcome >= 500 ? "5xx" : outcome >= 400 ? "4xx" : NULL;
    }
}

const char *sim_trace_name(char *buf, size_t size, const char *method, const char *path)
{
    FL_ASSERT(buf && size >= 2 && method && path);
    size_t m = strlen(method), p = strlen(path);
    if (m > size - 2) m = size - 2;
    if (p > size - 2 - m) p = size - 2 - m;
    memcpy(buf, method, m);
    buf[m] = ' ';
    memcpy(buf + m + 1, path, p);
    buf[m + 1 + p] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- the map of traces */

static size_t slot_of(const struct sim_tracer *t, uint64_t lo)
{
    return (size_t)((lo * 0x9e3779b97f4a7c15ULL) >> 20) & (t->cap - 1);
}

static struct tentry *map_get(const struct sim_tracer *t, uint64_t hi, uint64_t lo)
{
    if (!t->len) return NULL;
    for (size_t i = slot_of(t, lo);; i = (i + 1) & (t->cap - 1)) {
        struct tentry *e = t->slots[i];
        if (!e) return NULL;
        if (e->lo == lo && e->hi == hi) return e;
    }
}

static void map_put(struct sim_tracer *t, struct tentry *e);

static void map_grow(struct sim_tracer *t)
{
    struct tentry **old = t->slots;
    size_t old_cap = t->cap;
    t->cap = t->cap ? 2 * t->cap : 256;
    t->slots = fl_calloc(t->cap, sizeof *t->slots);
    t->len = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) map_put(t, old[i]);
    free(old);
    FL_ASSERT(2 * t->len < t->cap);
}

static void map_put(struct sim_tracer *t, struct tentry *e)
{
    if (2 * (t->len + 1) > t->cap) map_grow(t);
    size_t i = slot_of(t, e->lo);
    while (t->slots[i]) i = (i + 1) & (t->cap - 1);
    t->slots[i] = e;
    t->len++;
    e->in_map = 1;
}

/* Linear probing's deletion: later entries of the run move back into the hole. */
static void map_del(struct sim_tracer *t, struct tentry *e)
{
    FL_ASSERT(e->in_map && t->len > 0);
    size_t i = slot_of(t, e->lo);
    while (t->slots[i] != e) i = (i + 1) & (t->cap - 1);
    t->slots[i] = NULL;
    t->len--;
    e->in_map = 0;
    for (size_t j = (i + 1) & (t->cap - 1); t->slots[j]; j = (j + 1) & (t->cap - 1)) {
        size_t home = slot_of(t, t->slots[j]->lo);
        /* j's entry may fill the hole at i when its home is not within (i, j] */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        t->slots[i] = t->slots[j];
        t->slots[j] = NULL;
        i = j;
    }
}

/* ---------------------------------------------------------------- pools */

static struct tentry *entry_new(struct sim_world *w)
{
    struct sim_tracer *t = w->tracer;
    if (!t->free_entries) {
        struct tentry *blk = sim_world_block(w, POOL_BLOCK, sizeof *blk);
        for (int i = POOL_BLOCK - 1; i >= 0; i--) {
            blk[i].next_free = t->free_entries;
            t->free_entries = &blk[i];
        }
    }
    struct tentry *e = t->free_entries;
    t->free_entries = e->next_free;
    memset(e, 0, sizeof *e);
    e->decision = PX_SAMPLE_DEFER;
    return e;
}

static void entry_free(struct sim_tracer *t, struct tentry *e)
{
    FL_ASSERT(!e->in_map);
    if (e->head) {
        e->tail->next = t->free_spans;
        t->free_spans = e->head;
    }
    e->head = e->tail = NULL;
    e->next_free = t->free_entries;
    t->free_entries = e;
}

static void buffer_span(struct sim_world *w, struct tentry *e, const struct rpt_span *s)
{
    struct sim_tracer *t = w->tracer;
    FL_ASSERT(e->buffering && (e->n_spans == 0) == (e->head == NULL));
    if (e->n_spans >= TRACE_SPANS_MAX) return;
    if (!t->free_spans) {
        struct tspan *blk = sim_world_block(w, POOL_BLOCK, sizeof *blk);
        for (int i = POOL_BLOCK - 1; i >= 0; i--) {
            blk[i].next = t->free_spans;
            t->free_spans = &blk[i];
        }
    }
    struct tspan *b = t->free_spans;
    t->free_spans = b->next;
    b->s = *s;
    /* copied, not interned: most traces are freed, and copying costs no hashing */
    size_t used = 0;
    const char **str[] = {&b->s.name, &b->s.service, &b->s.peer,  &b->s.method,
                          &b->s.path, &b->s.cluster, &b->s.reason};
    for (size_t i = 0; i < sizeof str / sizeof *str; i++) {
        if (!*str[i]) continue;
        size_t len = strlen(*str[i]);
        if (len + 1 > SPAN_TEXT - used) {
            *str[i] = rpt_strtab_intern(&w->run->spans.strs, *str[i]);
            continue;
        }
        memcpy(b->text + used, *str[i], len + 1);
        *str[i] = b->text + used;
        used += len + 1;
    }
    FL_ASSERT(used <= SPAN_TEXT);
    b->next = NULL;
    if (e->tail)
        e->tail->next = b;
    else
        e->head = b;
    e->tail = b;
    e->n_spans++;
}

/* ---------------------------------------------------------------- the sink */

void sim_trace_init(struct sim_world *w)
{
    FL_ASSERT(w && w->sc && !w->tracer);
    if (!w->sc->spans && !w->sc->slowest) return; /* nothing would be kept: no tracing at all */
    w->tracer = fl_calloc(1, sizeof *w->tracer);
    w->tracer->max_heap = w->sc->slowest;
    if (w->sc->slowest) w->tracer->heap = fl_calloc(w->sc->slowest, sizeof *w->tracer->heap);
}

void sim_trace_open(struct sim_world *w, uint64_t hi, uint64_t lo, int counted)
{
    struct sim_tracer *t = w->tracer;
    FL_ASSERT(t && (hi || lo) && !map_get(t, hi, lo));
    struct tentry *e = entry_new(w);
    e->hi = hi;
    e->lo = lo;
    e->buffering = counted && t->max_heap > 0;
    map_put(t, e);
}

void sim_trace_span(struct sim_world *w, const struct px_span *s)
{
    FL_ASSERT(w && w->run && s && s->end_ns >= s->start_ns && s->id);
    FL_ASSERT(s->sampled == PX_SAMPLE_DEFER || s->sampled == 0 || s->sampled == 1);
    struct tentry *e = w->tracer ? map_get(w->tracer, s->trace_hi, s->trace_lo) : NULL;
    int sampled = s->sampled;
    if (e && sampled != PX_SAMPLE_DEFER && e->decision == PX_SAMPLE_DEFER) e->decision = sampled;
    if (sampled == PX_SAMPLE_DEFER) sampled = e && e->decision == PX_SAMPLE_YES;
    if (!(e && e->buffering) && !(sampled && w->sc->spans)) return;
    struct rpt_span r = {
        .trace_hi = s->trace_hi,
        .trace_lo = s->trace_lo,
        .id = s->id,
        .parent = s->parent,
        .name = s->name,
        .service = s->service,
        .peer = s->peer,
        .method = s->method,
        .path = s->path,
        .cluster = s->cluster,
        .reason = s->reason,
        .start_ns = s->start_ns,
        .end_ns = s->end_ns,
        .queue_ns = s->queue_ns,
        .service_ns = s->service_ns,
        .rtx_ns = s->rtx_ns,
        .status = s->status,
        .flags = s->flags,
        .attempt = s->attempt,
        .kind = (uint8_t)s->kind,
        .error = (uint8_t)(s->error != 0),
    };
    if (sampled && w->sc->spans) rpt_spans_add(&w->run->spans, &r);
    if (e && e->buffering) buffer_span(w, e, &r);
}

/* 1 when a goes before b: the faster, then the later start, then the later request. */
static int goes_first(const struct tentry *a, const struct tentry *b)
{
    if (a->rq.latency_ns != b->rq.latency_ns) return a->rq.latency_ns < b->rq.latency_ns;
    if (a->rq.start_ns != b->rq.start_ns) return a->rq.start_ns > b->rq.start_ns;
    return a->seq > b->seq;
}

static void heap_down(struct sim_tracer *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n_heap && goes_first(t->heap[l], t->heap[m])) m = l;
        if (r < t->n_heap && goes_first(t->heap[r], t->heap[m])) m = r;
        if (m == i) return;
        struct tentry *x = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = x;
        i = m;
    }
}

static void heap_up(struct sim_tracer *t, size_t i)
{
    while (i > 0 && goes_first(t->heap[i], t->heap[(i - 1) / 2])) {
        struct tentry *x = t->heap[i];
        t->heap[i] = t->heap[(i - 1) / 2];
        t->heap[(i - 1) / 2] = x;
        i = (i - 1) / 2;
    }
}

static void drop(struct sim_tracer *t, struct tentry *e)
{
    if (e->in_map) map_del(t, e);
    entry_free(t, e);
}

void sim_trace_request_end(struct sim_world *w, const struct rpt_request *rq, uint64_t seq)
{
    struct sim_tracer *t = w->tracer;
    if (!t) return;
    FL_ASSERT(rq && rq->latency_ns >= 0 && t->n_heap <= t->max_heap);
    int traced = rq->trace_hi || rq->trace_lo;
    struct tentry *e = traced ? map_get(t, rq->trace_hi, rq->trace_lo) : NULL;
    if (!t->max_heap) {
        if (e) drop(t, e);
        return;
    }
    if (!e) e = entry_new(w); /* an untraced request: listed without a trace */
    e->rq = *rq;
    e->seq = seq;
    if (t->n_heap < t->max_heap) {
        t->heap[t->n_heap++] = e;
        heap_up(t, t->n_heap - 1);
    } else if (goes_first(t->heap[0], e)) {
        struct tentry *out = t->heap[0];
        out->kept = 0;
        drop(t, out);
        t->heap[0] = e;
        heap_down(t, 0);
    } else {
        drop(t, e);
        return;
    }
    e->kept = 1;
    FL_ASSERT(t->n_heap <= t->max_heap && t->heap[0]);
}

void sim_trace_close(struct sim_world *w, uint64_t hi, uint64_t lo)
{
    struct sim_tracer *t = w->tracer;
    FL_ASSERT(hi || lo);
    if (!t) return;
    struct tentry *e = map_get(t, hi, lo);
    if (e && !e->kept) drop(t, e);
}

static int span_order(const void *a, const void *b)
{
    const struct rpt_span *x = a, *y = b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    if (x->end_ns != y->end_ns) return x->end_ns > y->end_ns ? -1 : 1; /* the enclosing first */
    if (!x->parent != !y->parent) return !x->parent ? -1 : 1;          /* then a root */
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1; /* a client before its server */
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return 0;
}

static int slowest_order(const void *a, const void *b)
{
    const struct tentry *x = *(struct tentry *const *)a, *y = *(struct tentry *const *)b;
    if (x == y) return 0;
    return goes_first(x, y) ? 1 : -1; /* the slowest first */
}

void sim_trace_finish(struct sim_world *w)
{
    struct sim_tracer *t = w->tracer;
    struct rpt_run *run = w->run;
    FL_ASSERT(run && !run->slowest);
    if (!t || !t->n_heap) return;
    qsort(t->heap, t->n_heap, sizeof *t->heap, slowest_order);
    run->slowest = fl_calloc(t->n_heap, sizeof *run->slowest);
    for (size_t i = 0; i < t->n_heap; i++) {
        const struct tentry *e = t->heap[i];
        struct rpt_slow *sl = &run->slowest[run->n_slowest++];
        FL_ASSERT(e->rq.route < run->n_routes && e->kept);
        sl->trace_hi = e->rq.trace_hi;
        sl->trace_lo = e->rq.trace_lo;
        sl->route = fl_strdup(run->routes[e->rq.route].name);
        sl->start_ns = e->rq.start_ns;
        sl->latency_ns = e->rq.latency_ns;
        sl->outcome = e->rq.outcome;
        sl->tries = e->rq.tries;
        if (e->n_spans) sl->spans = fl_malloc(e->n_spans * sizeof *sl->spans);
        struct rpt_strtab *strs = &run->spans.strs;
        for (const struct tspan *b = e->head; b; b = b->next) {
            struct rpt_span *d = &sl->spans[sl->n_spans++];
            *d = b->s; /* its strings now the run's (the buffer goes with the world) */
            d->name = rpt_strtab_intern(strs, d->name);
            d->service = rpt_strtab_intern(strs, d->service);
            d->peer = rpt_strtab_intern(strs, d->peer);
            d->method = rpt_strtab_intern(strs, d->method);
            d->path = rpt_strtab_intern(strs, d->path);
            d->cluster = rpt_strtab_intern(strs, d->cluster);
            d->reason = rpt_strtab_intern(strs, d->reason);
        }
        FL_ASSERT(sl->n_spans == e->n_spans);
        if (sl->n_spans > 1) qsort(sl->spans, sl->n_spans, sizeof *sl->spans, span_order);
        rpt_slow_explain(sl);
    }
    FL_ASSERT(run->n_slowest == t->n_heap);
}

void sim_trace_free(struct sim_world *w)
{
    struct sim_tracer *t = w->tracer;
    if (!t) return;
    /* entries and spans live in world blocks, freed with the world */
    free(t->slots);
    free(t->heap);
    free(t);
    w->tracer = NULL;
}
