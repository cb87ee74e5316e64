/*
 * log.c - the event log (log.h): a growing array of entries, and the
 * bursts' bookkeeping (a short array searched linearly: there is one
 * burst key per proxy cluster or rate limit, not per request).
 */
#include "sim/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"

void sim_log_init(struct sim_log *l)
{
    memset(l, 0, sizeof *l);
}

void sim_log_free(struct sim_log *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].subject);
        free(l->v[i].detail);
        free(l->v[i].proxy);
        free(l->v[i].cluster);
        free(l->v[i].host);
    }
    free(l->v);
    for (size_t i = 0; i < l->n_bursts; i++) free(l->bursts[i].subject);
    free(l->bursts);
    memset(l, 0, sizeof *l);
}

struct sim_log_entry *sim_log_add(struct sim_log *l, int64_t at_ns, const char *kind,
                                  const char *subject, const char *fmt, ...)
{
    FL_ASSERT(kind && subject && fmt);
    FL_ASSERT(l->n == 0 || at_ns >= l->v[l->n - 1].at_ns);
    if (l->n == SIM_LOG_MAX) {
        l->dropped++;
        return NULL;
    }
    FL_GROW(l->v, l->cap, l->n + 1);
    struct sim_log_entry *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    e->at_ns = at_ns;
    e->kind = kind;
    e->subject = fl_strdup(subject);
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&e->detail, fmt, ap) < 0) {
        fprintf(stderr, "faultline: out of memory\n");
        abort();
    }
    va_end(ap);
    return e;
}

/* Writes the burst's count into its entry. */
static void burst_close(struct sim_log *l, struct sim_burst *b, const char *what)
{
    if (b->entry == SIZE_MAX) return;
    FL_ASSERT(b->entry < l->n && b->count > 0);
    char span[32];
    fl_format_duration(b->last_ns - b->first_ns, span, sizeof span);
    struct sim_log_entry *e = &l->v[b->entry];
    free(e->detail);
    e->detail = fl_asprintf("%llu %s in %s", (unsigned long long)b->count, what, span);
    b->entry = SIZE_MAX;
}

static const char *burst_what(const char *kind)
{
    if (!strcmp(kind, "ratelimit")) return "rejected by the rate limit";
    if (!strcmp(kind, "ratelimit-unchecked")) return "let through unchecked: redis unavailable";
    if (!strcmp(kind, "ratelimit-error")) return "refused with 500: redis unavailable";
    return "turned away by the circuit breaker";
}

void sim_log_burst(struct sim_log *l, int64_t at_ns, const char *kind, const char *subject,
                   const char *what)
{
    struct sim_burst *b = NULL;
    for (size_t i = 0; i < l->n_bursts && !b; i++)
        if (l->bursts[i].kind == kind && !strcmp(l->bursts[i].subject, subject)) b = &l->bursts[i];
    if (!b) {
        FL_GROW(l->bursts, l->cap_bursts, l->n_bursts + 1);
        b = &l->bursts[l->n_bursts++];
        memset(b, 0, sizeof *b);
        b->kind = kind;
        b->subject = fl_strdup(subject);
        b->entry = SIZE_MAX;
    }
    if (b->entry != SIZE_MAX && at_ns - b->last_ns >= SIM_BURST_GAP_NS) burst_close(l, b, what);
    if (b->entry == SIZE_MAX) {
        struct sim_log_entry *e = sim_log_add(l, at_ns, kind, subject, "%s", what);
        if (!e) return;
        b->entry = (size_t)(e - l->v);
        b->count = 0;
        b->first_ns = at_ns;
    }
    b->count++;
    b->last_ns = at_ns;
}

void sim_log_close(struct sim_log *l)
{
    for (size_t i = 0; i < l->n_bursts; i++)
        burst_close(l, &l->bursts[i], burst_what(l->bursts[i].kind));
}

static char *dup_or_null(const char *s)
{
    return s ? fl_strdup(s) : NULL;
}

void sim_log_to_run(const struct sim_log *l, struct rpt_run *run)
{
    size_t n = l->n < RPT_EVENTS_MAX ? l->n : RPT_EVENTS_MAX;
    run->timeline_dropped = l->dropped + (l->n - n);
    run->n_timeline = n;
    run->timeline = fl_calloc(n ? n : 1, sizeof *run->timeline);
    for (size_t i = 0; i < n; i++) {
        const struct sim_log_entry *e = &l->v[i];
        struct rpt_event *r = &run->timeline[i];
        r->at_ns = e->at_ns;
        r->what = fl_strdup(e->kind);
        r->subject = fl_strdup(e->subject);
        r->detail = fl_strdup(e->detail);
        r->proxy = dup_or_null(e->proxy);
        r->cluster = dup_or_null(e->cluster);
        r->host = dup_or_null(e->host);
        r->value_ns = e->value_ns;
    }
}
