/*
 * spans.c - the span store: spans copied in as they end, their strings
 * interned (each distinct text kept once), sorted for export.
 */
#include "reports/spans.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/nameidx.h"

static void strtab_grow(struct rpt_strtab *t)
{
    size_t cap = t->cap ? 2 * t->cap : 64;
    char **slots = fl_calloc(cap, sizeof *slots);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i]) continue;
        size_t j = (size_t)fl_text_hash(t->slots[i]) & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    FL_ASSERT(t->n < t->cap / 2 + 1);
}

const char *rpt_strtab_intern(struct rpt_strtab *t, const char *s)
{
    FL_ASSERT(t && t->n <= t->cap);
    if (!s) return NULL;
    if (2 * (t->n + 1) > t->cap) strtab_grow(t);
    size_t j = (size_t)fl_text_hash(s) & (t->cap - 1);
    while (t->slots[j]) {
        if (!strcmp(t->slots[j], s)) return t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j] = fl_strdup(s);
    t->n++;
    FL_ASSERT(2 * t->n <= t->cap);
    return t->slots[j];
}

void rpt_strtab_free(struct rpt_strtab *t)
{
    FL_ASSERT(t && t->n <= t->cap);
    for (size_t i = 0; i < t->cap; i++) free(t->slots[i]);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

void rpt_spans_add(struct rpt_spans *st, const struct rpt_span *s)
{
    FL_ASSERT(st && s && st->n <= st->cap && s->end_ns >= s->start_ns);
    FL_ASSERT(s->id && (s->trace_hi || s->trace_lo) && s->kind <= 2);
    if (st->n >= RPT_SPANS_MAX) {
        st->dropped++;
        return;
    }
    if (st->n == st->cap) FL_GROW(st->v, st->cap, st->n + 1);
    struct rpt_span *d = &st->v[st->n++];
    *d = *s;
    d->name = rpt_strtab_intern(&st->strs, s->name);
    d->service = rpt_strtab_intern(&st->strs, s->service);
    d->peer = rpt_strtab_intern(&st->strs, s->peer);
    d->method = rpt_strtab_intern(&st->strs, s->method);
    d->path = rpt_strtab_intern(&st->strs, s->path);
    d->cluster = rpt_strtab_intern(&st->strs, s->cluster);
    d->reason = rpt_strtab_intern(&st->strs, s->reason);
}

void rpt_spans_free(struct rpt_spans *st)
{
    FL_ASSERT(st && st->n <= st->cap);
    free(st->v);
    rpt_strtab_free(&st->strs);
    memset(st, 0, sizeof *st);
}

static int span_cmp(const void *a, const void *b)
{
    const struct rpt_span *x = a, *y = b;
    if (x->trace_hi != y->trace_hi) return x->trace_hi < y->trace_hi ? -1 : 1;
    if (x->trace_lo != y->trace_lo) return x->trace_lo < y->trace_lo ? -1 : 1;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return 0;
}

void rpt_spans_sort(struct rpt_spans *st)
{
    FL_ASSERT(st && st->n <= st->cap);
    if (st->n > 1) qsort(st->v, st->n, sizeof *st->v, span_cmp);
}
