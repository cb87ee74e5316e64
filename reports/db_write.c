/*
 * db_write.c - writing run.db (db.h): one transaction on a fresh
 * temporary file with journaling and syncing off (nothing else reads the
 * file until it is renamed into place, and a failed write removes it),
 * one prepared statement per table reused for every row, the indexes
 * built once at the end; then the file is synced and renamed over the
 * old one, as reports/file.c does for the text files.
 *
 * sqlite3's C interface (https://sqlite.org/c3ref/intro.html): prepare,
 * bind, step, reset per row; PRAGMA journal_mode=OFF and synchronous=OFF
 * (https://sqlite.org/pragma.html).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/db.h"
#include "reports/db_internal.h"

struct writer {
    sqlite3 *db;
    const struct rpt_run *run;
    char *err; /* the first failure */
};

static int fail(struct writer *w, const char *what)
{
    if (!w->err) w->err = fl_asprintf("%s: %s", what, w->db ? sqlite3_errmsg(w->db) : "?");
    return -1;
}

static int exec(struct writer *w, const char *sql)
{
    FL_ASSERT(w->db && sql);
    return sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(w, "sqlite");
}

static sqlite3_stmt *prep(struct writer *w, const char *sql)
{
    sqlite3_stmt *st = NULL;
    FL_ASSERT(w->db && sql);
    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK) fail(w, "sqlite prepare");
    return st;
}

/* Runs a bound statement and makes it ready for the next row. */
static int step(struct writer *w, sqlite3_stmt *st)
{
    FL_ASSERT(st);
    int rc = sqlite3_step(st);
    sqlite3_reset(st); /* every column is bound again for the next row */
    return rc == SQLITE_DONE ? 0 : fail(w, "sqlite insert");
}

static void b_int(sqlite3_stmt *st, int *c, int64_t v)
{
    sqlite3_bind_int64(st, (*c)++, v);
}

static void b_u64(sqlite3_stmt *st, int *c, uint64_t v)
{
    sqlite3_bind_int64(st, (*c)++, (int64_t)v); /* counts stay below 2^63 */
}

static void b_real(sqlite3_stmt *st, int *c, double v)
{
    sqlite3_bind_double(st, (*c)++, v);
}

static void b_ms(sqlite3_stmt *st, int *c, int64_t ns)
{
    sqlite3_bind_double(st, (*c)++, (double)ns / 1e6);
}

static void b_ms_or_null(sqlite3_stmt *st, int *c, int64_t ns, int exists)
{
    if (exists)
        b_ms(st, c, ns);
    else
        sqlite3_bind_null(st, (*c)++);
}

static void b_text(sqlite3_stmt *st, int *c, const char *s)
{
    if (s)
        sqlite3_bind_text(st, (*c)++, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, (*c)++);
}

/* A string that outlives the statement (interned in the run's span store): not copied. */
static void b_interned(sqlite3_stmt *st, int *c, const char *s)
{
    if (s)
        sqlite3_bind_text(st, (*c)++, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, (*c)++);
}

/* ---------------------------------------------------------------- figures */

static int write_counts(struct writer *w, sqlite3_stmt *oc, sqlite3_stmt *fl, const char *scope,
                        size_t id, const char *name, const uint64_t *outcomes,
                        const uint64_t *flags)
{
    const char *const *names = w->run->flag_names;
    for (int code = 0; outcomes && code < RPT_STATUS_MAX; code++) {
        if (!outcomes[code]) continue;
        char buf[16];
        int c = 1;
        b_text(oc, &c, scope);
        b_int(oc, &c, (int64_t)id);
        b_text(oc, &c, name);
        b_int(oc, &c, code);
        b_text(oc, &c, rpt_db_outcome_text(code, buf, sizeof buf));
        b_u64(oc, &c, outcomes[code]);
        if (step(w, oc)) return -1;
    }
    for (int f = 0; f < RPT_FLAGS_MAX; f++) {
        if (!flags[f]) continue;
        int c = 1;
        b_text(fl, &c, scope);
        b_int(fl, &c, (int64_t)id);
        b_text(fl, &c, name);
        b_int(fl, &c, f);
        b_text(fl, &c, names[f] ? names[f] : "?");
        b_u64(fl, &c, flags[f]);
        if (step(w, fl)) return -1;
    }
    return 0;
}

struct stats_stmts {
    sqlite3_stmt *outcomes, *flags;
};

static int write_stats(struct writer *w, const char *table, const char *scope, size_t id,
                       const struct rpt_stats *s, const struct stats_stmts *ss)
{
    static const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    FL_ASSERT(s->hist.count == s->count && s->errors <= s->count);
    char *sql = fl_asprintf("INSERT INTO %s VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", table);
    sqlite3_stmt *st = prep(w, sql);
    free(sql);
    if (!st) return -1;
    int any = s->count > 0, c = 1;
    b_int(st, &c, (int64_t)id);
    b_text(st, &c, s->name);
    b_u64(st, &c, s->count);
    b_u64(st, &c, s->errors);
    b_u64(st, &c, s->tries);
    if (any)
        b_real(st, &c, (double)s->errors / (double)s->count);
    else
        sqlite3_bind_null(st, c++);
    if (any)
        b_real(st, &c, rpt_hist_mean(&s->hist) / 1e6);
    else
        sqlite3_bind_null(st, c++);
    b_ms_or_null(st, &c, s->hist.min, any);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        b_ms_or_null(st, &c, rpt_hist_quantile(&s->hist, qs[i]), any);
    b_ms_or_null(st, &c, s->hist.max, any);
    size_t len;
    unsigned char *blob = rpt_db_hist_encode(&s->hist, &len);
    sqlite3_bind_blob(st, c++, blob, (int)len, free);
    int rc = step(w, st);
    sqlite3_finalize(st);
    if (rc) return -1;
    return write_counts(w, ss->outcomes, ss->flags, scope, id, s->name, s->outcomes, s->flags);
}

static int write_run(struct writer *w, const char *scenario_text)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st =
        prep(w, "INSERT INTO run VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    int c = 1;
    FL_ASSERT(r->scenario && r->sim_ns >= 0);
    b_int(st, &c, RPT_DB_SCHEMA_VERSION);
    b_text(st, &c, r->scenario);
    b_u64(st, &c, r->seed);
    b_text(st, &c, r->digest[0] ? r->digest : NULL);
    b_u64(st, &c, r->events);
    b_real(st, &c, (double)r->sim_ns / 1e9);
    b_u64(st, &c, r->all.count);
    b_u64(st, &c, r->all.errors);
    b_int(st, &c, r->requests_every);
    b_u64(st, &c, r->requests_seen);
    b_real(st, &c, r->trace_sample);
    b_int(st, &c, r->series.window_ns / 1000000);
    b_int(st, &c, r->series.output);
    b_u64(st, &c, r->leaf_arrivals);
    b_u64(st, &c, r->cache_hits);
    b_u64(st, &c, r->cache_stores);
    b_u64(st, &c, r->shadows);
    b_u64(st, &c, r->timeline_dropped);
    b_u64(st, &c, r->spans.dropped);
    b_text(st, &c, scenario_text);
    b_int(st, &c, r->spans_written);
    int rc = step(w, st);
    sqlite3_finalize(st);
    if (rc) return -1;
    st = prep(w, "INSERT INTO flag_names VALUES (?,?)");
    for (int f = 0; st && f < RPT_FLAGS_MAX; f++) {
        if (!r->flag_names[f]) continue;
        c = 1;
        b_int(st, &c, f);
        b_text(st, &c, r->flag_names[f]);
        if (step(w, st)) break;
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static int write_pods(struct writer *w, sqlite3_stmt *st, size_t sid, const struct rpt_service *sv)
{
    for (size_t p = 0; p < sv->n_pods; p++) {
        const struct rpt_pod *pod = &sv->pods[p];
        int c = 1;
        b_int(st, &c, (int64_t)sid);
        b_text(st, &c, sv->st.name);
        b_int(st, &c, (int64_t)p);
        b_text(st, &c, pod->name);
        b_text(st, &c, pod->version);
        b_u64(st, &c, pod->count);
        b_u64(st, &c, pod->errors);
        if (step(w, st)) return -1;
    }
    return 0;
}

static int write_stats_all(struct writer *w)
{
    const struct rpt_run *r = w->run;
    struct stats_stmts ss = {prep(w, "INSERT INTO outcomes VALUES (?,?,?,?,?,?)"),
                             prep(w, "INSERT INTO flags VALUES (?,?,?,?,?,?)")};
    sqlite3_stmt *pods = prep(w, "INSERT INTO pods VALUES (?,?,?,?,?,?,?)");
    int rc = w->err ? -1 : write_stats(w, "totals", RPT_DB_ALL, 0, &r->all, &ss);
    for (size_t i = 0; !rc && i < r->n_routes; i++)
        rc = write_stats(w, "routes", RPT_DB_ROUTE, i, &r->routes[i], &ss);
    for (size_t i = 0; !rc && i < r->n_services; i++) {
        rc = write_stats(w, "services", RPT_DB_SERVICE, i, &r->services[i].st, &ss);
        if (!rc) rc = write_pods(w, pods, i, &r->services[i]);
    }
    for (size_t i = 0; !rc && i < r->n_checks; i++)
        if (r->checks[i].window_stats)
            rc = write_stats(w, "assertion_windows", RPT_DB_WINDOW, i, r->checks[i].window_stats,
                             &ss);
    for (size_t i = 0; !rc && i < r->n_edges; i++)
        rc = write_stats(w, "edges", RPT_DB_EDGE, i, &r->edges[i], &ss);
    for (size_t i = 0; !rc && i < r->n_clusters; i++)
        rc = write_counts(w, ss.outcomes, ss.flags, RPT_DB_CLUSTER, i, r->clusters[i].name, NULL,
                          r->clusters[i].flags);
    sqlite3_finalize(ss.outcomes);
    sqlite3_finalize(ss.flags);
    sqlite3_finalize(pods);
    return rc;
}

static int write_clusters(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st = prep(w, "INSERT INTO clusters VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_clusters; i++) {
        const struct rpt_cluster *cl = &r->clusters[i];
        const uint64_t v[] = {cl->rq_total,
                              cl->rq_retry,
                              cl->rq_retry_overflow,
                              cl->rq_retry_limit,
                              cl->rq_pending_overflow,
                              cl->rq_overflow,
                              cl->rq_timeout,
                              cl->rq_per_try_timeout,
                              cl->cx_connect_fail,
                              cl->no_healthy,
                              cl->ejections,
                              cl->panics};
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_text(st, &c, cl->name);
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) b_u64(st, &c, v[k]);
        if (step(w, st)) break;
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static int write_small_lists(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st = prep(w, "INSERT INTO hops VALUES (?,?,?,?)");
    for (size_t i = 0; st && i < r->n_hops && !w->err; i++) {
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_text(st, &c, r->hops[i].name);
        b_u64(st, &c, r->hops[i].attempts);
        b_u64(st, &c, r->hops[i].retries);
        step(w, st);
    }
    sqlite3_finalize(st);
    st = prep(w, "INSERT INTO client_retries VALUES (?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_retry_counts && !w->err; i++) {
        const struct rpt_retry_count *rc = &r->retry_counts[i];
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_text(st, &c, rc->who);
        b_u64(st, &c, rc->retries);
        b_u64(st, &c, rc->denied);
        b_u64(st, &c, rc->throttled);
        step(w, st);
    }
    sqlite3_finalize(st);
    st = prep(w, "INSERT INTO texts VALUES (?,?,?)");
    struct {
        const char *kind;
        char *const *v;
        size_t n;
    } lists[] = {{"note", r->notes, r->n_notes},
                 {"warning", r->warnings, r->n_warnings},
                 {"observer", r->observers, r->n_observers}};
    for (size_t l = 0; st && l < 3; l++)
        for (size_t i = 0; i < lists[l].n && !w->err; i++) {
            int c = 1;
            b_text(st, &c, lists[l].kind);
            b_int(st, &c, (int64_t)i);
            b_text(st, &c, lists[l].v[i]);
            step(w, st);
        }
    sqlite3_finalize(st);
    st = prep(w, "INSERT INTO counters VALUES (?,?)");
    for (size_t i = 0; st && i < rpt_db_n_counters && !w->err; i++) {
        int c = 1;
        b_text(st, &c, rpt_db_counters[i].name);
        b_u64(st, &c, *(const uint64_t *)((const char *)r + rpt_db_counters[i].offset));
        step(w, st);
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static int write_caches(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st = prep(w, "INSERT INTO caches VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_caches && !w->err; i++) {
        const struct rpt_cache *ca = &r->caches[i];
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_text(st, &c, ca->name);
        b_text(st, &c, ca->service);
        b_text(st, &c, ca->miss_service);
        b_u64(st, &c, ca->hits);
        b_u64(st, &c, ca->misses);
        b_u64(st, &c, ca->coalesced);
        b_u64(st, &c, ca->fills);
        b_u64(st, &c, ca->overlapping);
        b_u64(st, &c, ca->expirations);
        size_t len;
        unsigned char *blob = rpt_db_u32_encode(ca->ticks, ca->n_ticks, &len);
        sqlite3_bind_blob(st, c++, blob, (int)len, free);
        step(w, st);
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static int write_events(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st = prep(w, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_timeline && !w->err; i++) {
        const struct rpt_event *e = &r->timeline[i];
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_ms(st, &c, e->at_ns);
        b_text(st, &c, e->what);
        b_text(st, &c, e->subject);
        b_text(st, &c, e->detail);
        b_text(st, &c, e->proxy);
        b_text(st, &c, e->cluster);
        b_text(st, &c, e->host);
        b_ms(st, &c, e->value_ns);
        step(w, st);
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static const char *const scope_names[] = {"all", "route", "service", "edge"};
static const char *const op_names[] = {"<", "<=", ">", ">="};

static const char *unit_of(enum rpt_metric m)
{
    if (rpt_metric_is_duration(m)) return "ns";
    if (rpt_metric_is_fraction(m)) return "fraction";
    return m == RPT_M_RETRY_AMPLIFICATION ? "ratio" : "count";
}

static int write_checks(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st =
        prep(w, "INSERT INTO assertions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_checks && !w->err; i++) {
        const struct rpt_check *k = &r->checks[i];
        FL_ASSERT((unsigned)k->scope < 4 && (unsigned)k->op < 4);
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_text(st, &c, k->text);
        b_int(st, &c, k->ok);
        b_int(st, &c, k->evaluated);
        b_text(st, &c, rpt_metric_name(k->metric));
        b_text(st, &c, unit_of(k->metric));
        b_text(st, &c, op_names[k->op]);
        b_real(st, &c, k->threshold);
        b_real(st, &c, k->value);
        b_text(st, &c, scope_names[k->scope]);
        b_text(st, &c, k->target);
        b_text(st, &c, k->hop);
        b_int(st, &c, k->window);
        b_int(st, &c, k->after);
        b_int(st, &c, k->every_window);
        b_ms(st, &c, k->within_ns);
        b_ms_or_null(st, &c, k->fault_end_ns, k->fault_end_ns >= 0);
        b_ms_or_null(st, &c, k->end_ns, k->end_ns >= 0);
        b_ms_or_null(st, &c, k->recovered_ns, k->recovered_ns >= 0);
        b_text(st, &c, k->report);
        step(w, st);
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

/* ---------------------------------------------------------------- rows by the million */

static void b_trace(sqlite3_stmt *st, int *c, uint64_t hi, uint64_t lo)
{
    char hex[33];
    if (!hi && !lo) {
        sqlite3_bind_null(st, (*c)++);
        return;
    }
    if (hi)
        rpt_db_trace_hex(hi, lo, hex);
    else
        rpt_db_id_hex(lo, hex); /* a 64-bit trace id: 16 digits, as B3 and Zipkin write it */
    sqlite3_bind_text(st, (*c)++, hex, -1, SQLITE_TRANSIENT);
}

static int write_requests(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st = prep(w, "INSERT INTO failure_names VALUES (?,?)");
    for (int code = 0; st && code < RPT_FAIL_MAX; code++) {
        int c = 1;
        if (!rpt_fail_name(code)) continue;
        b_int(st, &c, code);
        b_text(st, &c, rpt_fail_name(code));
        if (step(w, st)) break;
    }
    sqlite3_finalize(st);
    st = w->err ? NULL : prep(w, "INSERT INTO request_rows VALUES (?,?,?,?,?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_requests; i++) {
        const struct rpt_request *q = &r->requests[i];
        FL_ASSERT(q->route < r->n_routes);
        int c = 1;
        b_int(st, &c, (int64_t)i);
        b_int(st, &c, q->route);
        b_ms(st, &c, q->start_ns);
        b_ms(st, &c, q->latency_ns);
        b_int(st, &c, q->outcome);
        b_int(st, &c, q->tries);
        b_int(st, &c, q->flags);
        if (q->trace_hi || q->trace_lo) {
            b_u64(st, &c, q->trace_hi);
            b_u64(st, &c, q->trace_lo);
        } else {
            sqlite3_bind_null(st, c++);
            sqlite3_bind_null(st, c++);
        }
        if (step(w, st)) break;
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static const char *kind_name(uint8_t kind)
{
    return kind == 1 ? "client" : kind == 2 ? "server" : "local";
}

static int write_span(struct writer *w, sqlite3_stmt *st, int64_t id, const struct rpt_span *s,
                      int exported)
{
    FL_ASSERT(s->end_ns >= s->start_ns);
    char hex[17], flags[128];
    int c = 1;
    b_int(st, &c, id);
    b_trace(st, &c, s->trace_hi, s->trace_lo);
    rpt_db_id_hex(s->id, hex);
    sqlite3_bind_text(st, c++, hex, -1, SQLITE_TRANSIENT);
    if (s->parent) {
        rpt_db_id_hex(s->parent, hex);
        sqlite3_bind_text(st, c++, hex, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, c++);
    }
    b_interned(st, &c, s->name);
    sqlite3_bind_text(st, c++, kind_name(s->kind), -1, SQLITE_STATIC);
    b_interned(st, &c, s->service);
    b_interned(st, &c, s->peer);
    b_interned(st, &c, s->method);
    b_interned(st, &c, s->path);
    b_interned(st, &c, s->cluster);
    b_real(st, &c, (double)s->start_ns / 1e3);
    b_real(st, &c, (double)(s->end_ns - s->start_ns) / 1e3);
    b_int(st, &c, s->status);
    b_int(st, &c, s->attempt);
    sqlite3_bind_text(st, c++, rpt_db_flags_text(s->flags, w->run->flag_names, flags, sizeof flags),
                      -1, SQLITE_TRANSIENT);
    b_interned(st, &c, s->reason);
    b_int(st, &c, s->error);
    b_real(st, &c, (double)s->queue_ns / 1e3);
    b_real(st, &c, (double)s->service_ns / 1e3);
    b_real(st, &c, (double)s->rtx_ns / 1e3);
    b_int(st, &c, exported);
    return step(w, st);
}

struct slow_key {
    uint64_t hi, lo;
    size_t rank;
};

static int cmp_key(const void *a, const void *b)
{
    const struct slow_key *x = a, *y = b;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * in_store[k] = 1 when the store holds spans of slowest request k's trace:
 * one pass over the spans, each looked up among the sorted slowest traces.
 */
static void slow_traces_in_store(const struct rpt_run *r, char *in_store)
{
    struct slow_key *keys = fl_calloc(r->n_slowest + 1, sizeof *keys);
    for (size_t k = 0; k < r->n_slowest; k++)
        keys[k] = (struct slow_key){r->slowest[k].trace_hi, r->slowest[k].trace_lo, k};
    qsort(keys, r->n_slowest, sizeof *keys, cmp_key);
    for (size_t i = 0; i < r->spans.n && r->n_slowest; i++) {
        struct slow_key want = {r->spans.v[i].trace_hi, r->spans.v[i].trace_lo, 0};
        const struct slow_key *hit = bsearch(&want, keys, r->n_slowest, sizeof *keys, cmp_key);
        /* equal keys (one trace twice) sit together: mark them all */
        for (const struct slow_key *k = hit; k && k > keys && !cmp_key(k - 1, &want);) hit = --k;
        for (; hit && hit < keys + r->n_slowest && !cmp_key(hit, &want); hit++)
            in_store[hit->rank] = 1;
    }
    free(keys);
}

/* The store's spans, then those of slowest requests whose traces the store does not hold. */
static int write_spans(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st =
        prep(w, "INSERT INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int64_t id = 0;
    for (size_t i = 0; st && i < r->spans.n; i++)
        if (write_span(w, st, id++, &r->spans.v[i], 1)) break;
    char *in_store = fl_calloc(r->n_slowest + 1, 1);
    slow_traces_in_store(r, in_store);
    for (size_t k = 0; st && !w->err && k < r->n_slowest; k++) {
        const struct rpt_slow *sl = &r->slowest[k];
        if (!sl->n_spans || in_store[k]) continue;
        for (size_t i = 0; i < sl->n_spans; i++)
            if (write_span(w, st, id++, &sl->spans[i], 0)) break;
    }
    free(in_store);
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

static int write_series(struct writer *w, sqlite3_stmt *idx, sqlite3_stmt *st, const char *scope,
                        size_t id, const struct rpt_series *s)
{
    int64_t window_ms = w->run->series.window_ns / 1000000;
    int c = 1;
    b_text(idx, &c, scope);
    b_int(idx, &c, (int64_t)id);
    b_text(idx, &c, s->name);
    b_int(idx, &c, (int64_t)s->n_pts);
    if (step(w, idx)) return -1;
    for (size_t k = 0; k < s->n_pts; k++) {
        const struct rpt_point *p = &s->pts[k];
        c = 1;
        b_text(st, &c, scope);
        b_int(st, &c, (int64_t)id);
        b_text(st, &c, s->name);
        b_int(st, &c, (int64_t)k);
        b_real(st, &c, (double)((int64_t)k * window_ms) / 1e3);
        b_u64(st, &c, p->count);
        b_u64(st, &c, p->errors);
        b_u64(st, &c, p->tries);
        for (int cl = 0; cl < RPT_CLASS_MAX; cl++) b_u64(st, &c, p->classes[cl]);
        b_ms_or_null(st, &c, p->p50_ns, p->count > 0);
        b_ms_or_null(st, &c, p->p95_ns, p->count > 0);
        b_ms_or_null(st, &c, p->p99_ns, p->count > 0);
        if (step(w, st)) return -1;
    }
    return 0;
}

static int write_cseries(struct writer *w, sqlite3_stmt *idx, sqlite3_stmt *st, size_t id,
                         const struct rpt_cseries *s)
{
    int64_t window_ms = w->run->series.window_ns / 1000000;
    int c = 1;
    b_text(idx, &c, RPT_DB_CLUSTER);
    b_int(idx, &c, (int64_t)id);
    b_text(idx, &c, s->name);
    b_int(idx, &c, (int64_t)s->n_pts);
    if (step(w, idx)) return -1;
    for (size_t k = 0; k < s->n_pts; k++) {
        const struct rpt_cpoint *p = &s->pts[k];
        c = 1;
        b_int(st, &c, (int64_t)id);
        b_text(st, &c, s->name);
        b_int(st, &c, (int64_t)k);
        b_real(st, &c, (double)((int64_t)k * window_ms) / 1e3);
        b_u64(st, &c, p->rq_total);
        b_u64(st, &c, p->rq_retry);
        b_u64(st, &c, p->overflows);
        b_u64(st, &c, p->timeouts);
        b_u64(st, &c, p->ejections);
        if (step(w, st)) return -1;
    }
    return 0;
}

static int write_all_series(struct writer *w)
{
    const struct rpt_series_set *set = &w->run->series;
    if (!set->window_ns) return 0;
    sqlite3_stmt *idx = prep(w, "INSERT INTO series_index VALUES (?,?,?,?)");
    sqlite3_stmt *st = prep(w, "INSERT INTO series VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt *cs = prep(w, "INSERT INTO cluster_series VALUES (?,?,?,?,?,?,?,?,?)");
    int rc = w->err ? -1 : write_series(w, idx, st, RPT_DB_ALL, 0, &set->all);
    for (size_t i = 0; !rc && i < set->n_routes; i++)
        rc = write_series(w, idx, st, RPT_DB_ROUTE, i, &set->routes[i]);
    for (size_t i = 0; !rc && i < set->n_services; i++)
        rc = write_series(w, idx, st, RPT_DB_SERVICE, i, &set->services[i]);
    for (size_t i = 0; !rc && i < set->n_edges; i++)
        rc = write_series(w, idx, st, RPT_DB_EDGE, i, &set->edges[i]);
    for (size_t i = 0; !rc && i < set->n_clusters; i++)
        rc = write_cseries(w, idx, cs, i, &set->clusters[i]);
    sqlite3_finalize(idx);
    sqlite3_finalize(st);
    sqlite3_finalize(cs);
    return rc;
}

static int write_slowest(struct writer *w)
{
    const struct rpt_run *r = w->run;
    sqlite3_stmt *st = prep(w, "INSERT INTO slowest VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (size_t i = 0; st && i < r->n_slowest && !w->err; i++) {
        const struct rpt_slow *sl = &r->slowest[i];
        char out[16];
        int c = 1;
        b_int(st, &c, (int64_t)i + 1);
        b_trace(st, &c, sl->trace_hi, sl->trace_lo);
        b_text(st, &c, sl->route);
        b_ms(st, &c, sl->start_ns);
        b_ms(st, &c, sl->latency_ns);
        if (sl->outcome >= 100)
            b_int(st, &c, sl->outcome);
        else
            sqlite3_bind_null(st, c++);
        b_text(st, &c, rpt_db_outcome_text(sl->outcome, out, sizeof out));
        b_int(st, &c, sl->tries);
        b_ms(st, &c, sl->queue_ns);
        b_ms(st, &c, sl->service_ns);
        b_ms(st, &c, sl->network_ns);
        b_ms(st, &c, sl->rtx_ns);
        b_ms(st, &c, sl->backoff_ns);
        b_ms(st, &c, sl->other_ns);
        b_text(st, &c, sl->hops);
        step(w, st);
    }
    sqlite3_finalize(st);
    return w->err ? -1 : 0;
}

/* ---------------------------------------------------------------- the file */

static int write_db(struct writer *w, const char *tmp, const char *scenario_text)
{
    FL_ASSERT(tmp && !w->db);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW;
    if (sqlite3_open_v2(tmp, &w->db, flags, NULL) != SQLITE_OK) {
        fail(w, "cannot create the database");
        sqlite3_close(w->db); /* a handle comes back even from a failed open */
        w->db = NULL;
        return -1;
    }
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; "
             "PRAGMA page_size=65536; PRAGMA cache_size=-32768; PRAGMA application_id=%d; PRAGMA "
             "user_version=%d; BEGIN;",
             RPT_DB_APPLICATION_ID, RPT_DB_SCHEMA_VERSION);
    int rc = exec(w, pragmas);
    if (!rc) rc = exec(w, rpt_db_schema);
    if (!rc) rc = write_run(w, scenario_text);
    if (!rc) rc = write_stats_all(w);
    if (!rc) rc = write_clusters(w);
    if (!rc) rc = write_small_lists(w);
    if (!rc) rc = write_caches(w);
    if (!rc) rc = write_events(w);
    if (!rc) rc = write_checks(w);
    if (!rc) rc = write_requests(w);
    if (!rc) rc = write_spans(w);
    if (!rc) rc = write_all_series(w);
    if (!rc) rc = write_slowest(w);
    if (!rc) rc = exec(w, rpt_db_indexes);
    if (!rc) rc = exec(w, "COMMIT");
    if (sqlite3_close(w->db) != SQLITE_OK && !rc) rc = fail(w, "sqlite close");
    w->db = NULL;
    return rc;
}

/* The bytes reach the disk before the name does (as reports/file.c). */
static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno;
    int rc = fsync(fd) != 0 && errno != EINVAL ? errno : 0;
    close(fd);
    return rc;
}

int rpt_db_write(const struct rpt_run *run, const char *scenario_text, const char *path, char **err)
{
    FL_ASSERT(run && path && err);
    const char *slash = strrchr(path, '/');
    char *tmp = slash ? fl_asprintf("%.*s/.%s.%ld.tmp", (int)(slash - path), path, slash + 1,
                                    (long)getpid())
                      : fl_asprintf(".%s.%ld.tmp", path, (long)getpid());
    struct writer w = {NULL, run, NULL};
    unlink(tmp); /* left by a process killed with this pid earlier */
    int rc = write_db(&w, tmp, scenario_text);
    int e = 0;
    if (!rc && ((e = sync_file(tmp)) || rename(tmp, path) != 0)) {
        w.err = fl_asprintf("%s", strerror(e ? e : errno));
        rc = -1;
    }
    if (rc) {
        unlink(tmp);
        *err = fl_asprintf("%s: %s", path, w.err ? w.err : "write failed");
    }
    free(w.err);
    free(tmp);
    return rc;
}
