/*
 * db_read.c - reading run.db back into a struct rpt_run (db.h): every
 * figure the summaries print, with each latency histogram restored from
 * its blob, so that reports/summary.c writes the same bytes as the run
 * did; and the requests, spans, series, events and slowest requests the
 * plots and the page draw.
 *
 * A file is a faultline database when sqlite3 opens it and its PRAGMA
 * application_id is RPT_DB_APPLICATION_ID (https://sqlite.org/pragma.html
 * #pragma_application_id); its `run` row's schema_version must not be
 * newer than this build's.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/cache.h"
#include "reports/db.h"
#include "reports/db_internal.h"

struct reader {
    int64_t version; /* the file's schema version */
    sqlite3 *db;
    struct rpt_run *run;
    const char *path;
    char *err; /* the first failure */
};

static int fail(struct reader *r, const char *what)
{
    if (!r->err)
        r->err = fl_asprintf("%s: %s%s%s", r->path, what, r->db ? ": " : "",
                             r->db ? sqlite3_errmsg(r->db) : "");
    return -1;
}

static int bad(struct reader *r, const char *what)
{
    if (!r->err) r->err = fl_asprintf("%s: damaged faultline database: %s", r->path, what);
    return -1;
}

static sqlite3_stmt *query(struct reader *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(r, "cannot read");
        return NULL;
    }
    return st;
}

/* The next row: 1, 0 at the end, -1 on an error (recorded). */
static int next(struct reader *r, sqlite3_stmt *st)
{
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : fail(r, "cannot read");
}

static int64_t c_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_int64(st, i);
}

static uint64_t c_u64(sqlite3_stmt *st, int i)
{
    return (uint64_t)sqlite3_column_int64(st, i);
}

static const char *c_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static char *c_dup(sqlite3_stmt *st, int i)
{
    const char *s = c_text(st, i);
    return s ? fl_strdup(s) : NULL;
}

/* A time stored in units of 1/scale s, back to nanoseconds (exact: see db_schema.c). */
static int64_t c_ns(sqlite3_stmt *st, int i, double ns_per_unit)
{
    return (int64_t)llround(sqlite3_column_double(st, i) * ns_per_unit);
}

/* The same, or dflt when NULL. */
static int64_t c_ns_or(sqlite3_stmt *st, int i, double ns_per_unit, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : c_ns(st, i, ns_per_unit);
}

static size_t count_rows(struct reader *r, const char *table)
{
    char *sql = fl_asprintf("SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = query(r, sql);
    free(sql);
    size_t n = next(r, st) == 1 ? (size_t)c_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

/* ---------------------------------------------------------------- identity, run */

/*
 * The flag names of the file, as strings that live as long as the process
 * (rpt_run.flag_names holds static strings): every name read is kept once.
 */
static const char *flag_name_keep(const char *name)
{
    static char pool[4 * RPT_FLAGS_MAX][16];
    static size_t n;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(pool[i], name)) return pool[i];
    if (n == sizeof pool / sizeof pool[0] || strlen(name) >= sizeof pool[0]) return NULL;
    snprintf(pool[n], sizeof pool[n], "%s", name);
    return pool[n++];
}

static int read_identity(struct reader *r)
{
    sqlite3_stmt *st = NULL;
    /* a file that is not a database fails here (SQLITE_NOTADB) */
    if (sqlite3_prepare_v2(r->db, "PRAGMA application_id", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != RPT_DB_APPLICATION_ID) {
        sqlite3_finalize(st);
        r->err = fl_asprintf("%s: not a faultline database", r->path);
        return -1;
    }
    sqlite3_finalize(st);
    st = query(r, "SELECT schema_version FROM run");
    if (next(r, st) != 1) {
        sqlite3_finalize(st);
        return bad(r, "no run row");
    }
    int64_t v = c_int(st, 0);
    r->version = v;
    sqlite3_finalize(st);
    if (v > RPT_DB_SCHEMA_VERSION || v < 1) {
        r->err = fl_asprintf("%s: written by a newer faultline (database schema version %lld; "
                             "this one reads versions 1 to %d)",
                             r->path, (long long)v, RPT_DB_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

static int read_run(struct reader *r, char **scenario_text)
{
    struct rpt_run *run = r->run;
    sqlite3_stmt *st =
        query(r, "SELECT scenario, seed, digest, events, sim_seconds, "
                 "requests_every, requests_seen, trace_sample, window_ms, "
                 "series_output, leaf_arrivals, cache_hits, cache_stores, mirrored, "
                 "timeline_dropped, spans_dropped, scenario_text, spans_written FROM run");
    if (next(r, st) != 1) {
        sqlite3_finalize(st);
        return bad(r, "no run row");
    }
    run->scenario = c_dup(st, 0);
    run->seed = c_u64(st, 1);
    const char *digest = c_text(st, 2);
    if (digest && strlen(digest) == 64) memcpy(run->digest, digest, 65);
    run->events = c_u64(st, 3);
    run->sim_ns = c_ns(st, 4, 1e9);
    run->requests_every = (uint32_t)c_int(st, 5);
    run->requests_seen = c_u64(st, 6);
    run->trace_sample = sqlite3_column_double(st, 7);
    run->series.window_ns = c_int(st, 8) * 1000000;
    run->series.output = (int)c_int(st, 9);
    run->leaf_arrivals = c_u64(st, 10);
    run->cache_hits = c_u64(st, 11);
    run->cache_stores = c_u64(st, 12);
    run->shadows = c_u64(st, 13);
    run->timeline_dropped = c_u64(st, 14);
    run->spans.dropped = c_u64(st, 15);
    if (scenario_text) *scenario_text = c_dup(st, 16);
    /* whether the run wrote its span files: report writes them again (and says so) */
    run->spans_written = (int)c_int(st, 17);
    sqlite3_finalize(st);
    if (!run->scenario) return bad(r, "no scenario name");

    st = query(r, "SELECT bit, name FROM flag_names");
    int rc;
    while ((rc = next(r, st)) == 1) {
        int64_t bit = c_int(st, 0);
        const char *name = c_text(st, 1);
        if (bit < 0 || bit >= RPT_FLAGS_MAX || !name || !(name = flag_name_keep(name))) {
            rc = bad(r, "flag_names");
            break;
        }
        run->flag_names[bit] = name;
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- figures */

static int read_stats_table(struct reader *r, const char *table, struct rpt_stats **v, size_t *n,
                            size_t stride)
{
    *n = count_rows(r, table);
    *v = fl_calloc(*n + 1, stride);
    char *sql =
        fl_asprintf("SELECT id, name, count, errors, tries, hist FROM %s ORDER BY id", table);
    sqlite3_stmt *st = query(r, sql);
    free(sql);
    size_t i = 0;
    int rc;
    while ((rc = next(r, st)) == 1) {
        struct rpt_stats *s = (struct rpt_stats *)((char *)*v + i * stride);
        if (i >= *n) break;
        rpt_stats_init(s, c_text(st, 1));
        s->count = c_u64(st, 2);
        s->errors = c_u64(st, 3);
        s->tries = c_u64(st, 4);
        i++;
        if (rpt_db_hist_decode(&s->hist, sqlite3_column_blob(st, 5),
                               (size_t)sqlite3_column_bytes(st, 5)) ||
            s->hist.count != s->count || s->errors > s->count) {
            s->errors = 0; /* what rpt_stats_free checks */
            rc = bad(r, table);
            break;
        }
    }
    sqlite3_finalize(st);
    *n = i; /* what rpt_run_free frees */
    return rc;
}

/* The stats a row of `outcomes` or `flags` is about; NULL for a cluster. */
static struct rpt_stats *stats_of(struct rpt_run *run, const char *scope, int64_t id)
{
    if (!strcmp(scope, RPT_DB_ALL) && id == 0) return &run->all;
    if (!strcmp(scope, RPT_DB_ROUTE) && id >= 0 && (size_t)id < run->n_routes)
        return &run->routes[id];
    if (!strcmp(scope, RPT_DB_SERVICE) && id >= 0 && (size_t)id < run->n_services)
        return &run->services[id].st;
    if (!strcmp(scope, RPT_DB_WINDOW) && id >= 0 && (size_t)id < run->n_checks)
        return run->checks[id].window_stats;
    if (!strcmp(scope, RPT_DB_EDGE) && id >= 0 && (size_t)id < run->n_edges) return &run->edges[id];
    return NULL;
}

static int read_counts(struct reader *r)
{
    struct rpt_run *run = r->run;
    sqlite3_stmt *st = query(r, "SELECT scope, id, code, count FROM outcomes");
    int rc;
    while ((rc = next(r, st)) == 1) {
        struct rpt_stats *s = stats_of(run, c_text(st, 0), c_int(st, 1));
        int64_t code = c_int(st, 2);
        if (!s || code < 0 || code >= RPT_STATUS_MAX) {
            rc = bad(r, "outcomes");
            break;
        }
        s->outcomes[code] = c_u64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    st = query(r, "SELECT scope, id, bit, flag, count FROM flags");
    while ((rc = next(r, st)) == 1) {
        const char *scope = c_text(st, 0);
        int64_t id = c_int(st, 1), bit = c_int(st, 2);
        uint64_t *flags = NULL;
        if (scope && !strcmp(scope, RPT_DB_CLUSTER) && id >= 0 && (size_t)id < run->n_clusters)
            flags = run->clusters[id].flags;
        else if (scope && stats_of(run, scope, id))
            flags = stats_of(run, scope, id)->flags;
        if (!flags || bit < 0 || bit >= RPT_FLAGS_MAX) {
            rc = bad(r, "flags");
            break;
        }
        flags[bit] = c_u64(st, 4);
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_pods(struct reader *r)
{
    struct rpt_run *run = r->run;
    sqlite3_stmt *st = query(
        r, "SELECT service_id, name, version, count, errors FROM pods ORDER BY service_id, id");
    int rc;
    while ((rc = next(r, st)) == 1) {
        int64_t sid = c_int(st, 0);
        if (sid < 0 || (size_t)sid >= run->n_services) {
            rc = bad(r, "pods");
            break;
        }
        struct rpt_service *sv = &run->services[sid];
        sv->pods = fl_realloc(sv->pods, (sv->n_pods + 1) * sizeof *sv->pods);
        struct rpt_pod *p = &sv->pods[sv->n_pods++];
        p->name = c_dup(st, 1);
        p->version = c_dup(st, 2);
        p->count = c_u64(st, 3);
        p->errors = c_u64(st, 4);
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_clusters(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "clusters");
    run->clusters = fl_calloc(n + 1, sizeof *run->clusters);
    sqlite3_stmt *st = query(r, "SELECT * FROM clusters ORDER BY id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_clusters < n) {
        struct rpt_cluster *c = &run->clusters[run->n_clusters++];
        uint64_t *v[] = {&c->rq_total,
                         &c->rq_retry,
                         &c->rq_retry_overflow,
                         &c->rq_retry_limit,
                         &c->rq_pending_overflow,
                         &c->rq_overflow,
                         &c->rq_timeout,
                         &c->rq_per_try_timeout,
                         &c->cx_connect_fail,
                         &c->no_healthy,
                         &c->ejections,
                         &c->panics};
        c->name = c_dup(st, 1);
        for (int k = 0; k < 12; k++) *v[k] = c_u64(st, 2 + k);
        if (!c->name) {
            rc = bad(r, "clusters");
            break;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_hops_retries(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "hops");
    run->hops = fl_calloc(n + 1, sizeof *run->hops);
    sqlite3_stmt *st = query(r, "SELECT name, attempts, retries FROM hops ORDER BY id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_hops < n) {
        struct rpt_hop *h = &run->hops[run->n_hops++];
        h->name = c_dup(st, 0);
        h->attempts = c_u64(st, 1);
        h->retries = c_u64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    n = count_rows(r, "client_retries");
    run->retry_counts = fl_calloc(n + 1, sizeof *run->retry_counts);
    st = query(r, "SELECT client, retries, budget_denied, throttled FROM client_retries "
                  "ORDER BY id");
    while ((rc = next(r, st)) == 1 && run->n_retry_counts < n) {
        struct rpt_retry_count *c = &run->retry_counts[run->n_retry_counts++];
        c->who = c_dup(st, 0);
        c->retries = c_u64(st, 1);
        c->denied = c_u64(st, 2);
        c->throttled = c_u64(st, 3);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The counters table (schema version 2 on; older files have none: zeros). */
static int read_counters(struct reader *r)
{
    if (r->version < 2) return 0;
    sqlite3_stmt *st = query(r, "SELECT name, value FROM counters");
    int rc;
    while ((rc = next(r, st)) == 1) {
        const char *name = c_text(st, 0);
        for (size_t i = 0; name && i < rpt_db_n_counters; i++)
            if (!strcmp(rpt_db_counters[i].name, name))
                *(uint64_t *)((char *)r->run + rpt_db_counters[i].offset) = c_u64(st, 1);
    }
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

static int read_texts(struct reader *r)
{
    struct rpt_run *run = r->run;
    sqlite3_stmt *st = query(r, "SELECT kind, text FROM texts ORDER BY kind, id");
    int rc;
    while ((rc = next(r, st)) == 1) {
        const char *kind = c_text(st, 0);
        char ***v;
        size_t *n;
        if (kind && !strcmp(kind, "note")) {
            v = &run->notes;
            n = &run->n_notes;
        } else if (kind && !strcmp(kind, "warning")) {
            v = &run->warnings;
            n = &run->n_warnings;
        } else if (kind && !strcmp(kind, "observer")) {
            v = &run->observers;
            n = &run->n_observers;
        } else {
            rc = bad(r, "texts");
            break;
        }
        *v = fl_realloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = c_dup(st, 1);
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_caches(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "caches");
    run->caches = fl_calloc(n + 1, sizeof *run->caches);
    sqlite3_stmt *st = query(r, "SELECT name, service, miss_service, hits, misses, coalesced, "
                                "fills, overlapping_fills, expirations, fills_per_100ms "
                                "FROM caches ORDER BY id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_caches < n) {
        struct rpt_cache *c = &run->caches[run->n_caches++];
        c->name = c_dup(st, 0);
        c->service = c_dup(st, 1);
        c->miss_service = c_dup(st, 2);
        c->hits = c_u64(st, 3);
        c->misses = c_u64(st, 4);
        c->coalesced = c_u64(st, 5);
        c->fills = c_u64(st, 6);
        c->overlapping = c_u64(st, 7);
        c->expirations = c_u64(st, 8);
        c->ticks = rpt_db_u32_decode(sqlite3_column_blob(st, 9),
                                     (size_t)sqlite3_column_bytes(st, 9), &c->n_ticks);
        if (!c->name || !c->service || !c->ticks || c->fills + c->coalesced != c->misses) {
            rc = bad(r, "caches");
            break;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_events(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "events");
    run->timeline = fl_calloc(n + 1, sizeof *run->timeline);
    sqlite3_stmt *st = query(r, "SELECT t_ms, event, subject, detail, proxy, cluster, host, "
                                "value_ms FROM events ORDER BY id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_timeline < n) {
        struct rpt_event *e = &run->timeline[run->n_timeline++];
        e->at_ns = c_ns(st, 0, 1e6);
        e->what = c_dup(st, 1);
        e->subject = c_dup(st, 2);
        e->detail = c_dup(st, 3);
        e->proxy = c_dup(st, 4);
        e->cluster = c_dup(st, 5);
        e->host = c_dup(st, 6);
        e->value_ns = c_ns(st, 7, 1e6);
        if (!e->what) {
            rc = bad(r, "events");
            break;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- assertions */

static int index_of(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

static int metric_of(const char *name)
{
    for (int m = 0; name && m < RPT_M_MAX_; m++)
        if (rpt_metric_name((enum rpt_metric)m) &&
            !strcmp(rpt_metric_name((enum rpt_metric)m), name))
            return m;
    return -1;
}

static int read_check_row(struct reader *r, sqlite3_stmt *st, struct rpt_check *c)
{
    static const char *const scopes[] = {"all", "route", "service", "edge"};
    static const char *const ops[] = {"<", "<=", ">", ">="};
    int metric = metric_of(c_text(st, 3)), op = index_of(c_text(st, 4), ops, 4);
    int scope = index_of(c_text(st, 7), scopes, 4);
    if (metric < 0 || op < 0 || scope < 0) return bad(r, "assertions");
    c->text = c_dup(st, 0);
    c->ok = (int)c_int(st, 1);
    c->evaluated = (int)c_int(st, 2);
    c->metric = (enum rpt_metric)metric;
    c->op = (enum rpt_op)op;
    c->threshold = sqlite3_column_double(st, 5);
    c->value = sqlite3_column_double(st, 6);
    c->scope = (enum rpt_scope)scope;
    c->target = c_dup(st, 8);
    c->hop = c_dup(st, 9);
    c->window = (int)c_int(st, 10);
    c->after = (int)c_int(st, 11);
    c->every_window = (int)c_int(st, 12);
    c->within_ns = c_ns(st, 13, 1e6);
    c->fault_end_ns = c_ns_or(st, 14, 1e6, -1);
    c->end_ns = c_ns_or(st, 15, 1e6, -1);
    c->recovered_ns = c_ns_or(st, 16, 1e6, -1);
    c->report = c_dup(st, 17);
    return 0;
}

static int read_checks(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "assertions");
    run->checks = fl_calloc(n + 1, sizeof *run->checks);
    sqlite3_stmt *st = query(r, "SELECT text, ok, evaluated, metric, op, threshold, value, scope, "
                                "target, hop, during_fault, after_fault, every_window, within_ms, "
                                "fault_end_ms, end_ms, recovered_ms, report "
                                "FROM assertions ORDER BY id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_checks < n)
        if ((rc = read_check_row(r, st, &run->checks[run->n_checks++]))) break;
    sqlite3_finalize(st);
    if (rc) return rc;
    /* the requests of `during` checks' windows */
    struct rpt_stats *ws;
    size_t n_ws;
    if (read_stats_table(r, "assertion_windows", &ws, &n_ws, sizeof *ws)) {
        for (size_t i = 0; i < n_ws; i++) rpt_stats_free(&ws[i]);
        free(ws);
        return -1;
    }
    st = query(r, "SELECT id FROM assertion_windows ORDER BY id");
    for (size_t i = 0; (rc = next(r, st)) == 1 && i < n_ws; i++) {
        int64_t id = c_int(st, 0);
        if (id < 0 || (size_t)id >= run->n_checks || run->checks[id].window_stats) {
            rc = bad(r, "assertion_windows");
            break;
        }
        run->checks[id].window_stats = fl_malloc(sizeof *ws);
        *run->checks[id].window_stats = ws[i];
        memset(&ws[i], 0, sizeof ws[i]);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n_ws; i++)
        if (ws[i].hist.n_buckets) rpt_stats_free(&ws[i]); /* initialised, not handed over */
    free(ws);
    return rc;
}

/* ---------------------------------------------------------------- requests, spans */

static int read_trace(sqlite3_stmt *st, int i, uint64_t *hi, uint64_t *lo)
{
    *hi = *lo = 0;
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : rpt_db_hex_parse(c_text(st, i), hi, lo);
}

static int read_requests(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "request_rows");
    run->requests = fl_calloc(n + 1, sizeof *run->requests);
    run->cap_requests = n + 1;
    sqlite3_stmt *st = query(r, "SELECT route_id, start_ms, latency_ms, code, tries, flag_bits, "
                                "trace_hi, trace_lo FROM request_rows ORDER BY id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_requests < n) {
        struct rpt_request *q = &run->requests[run->n_requests++];
        int64_t route = c_int(st, 0), code = c_int(st, 3);
        q->start_ns = c_ns(st, 1, 1e6);
        q->latency_ns = c_ns(st, 2, 1e6);
        q->outcome = (int32_t)code;
        q->tries = (uint32_t)c_int(st, 4);
        q->flags = (uint32_t)c_int(st, 5);
        q->trace_hi = c_u64(st, 6);
        q->trace_lo = c_u64(st, 7);
        q->route = (uint32_t)route;
        if (route < 0 || (size_t)route >= run->n_routes || code < 0 || code >= RPT_STATUS_MAX) {
            rc = bad(r, "request_rows");
            break;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

#define SPAN_COLUMNS                                                                               \
    "trace_id, span_id, parent_id, name, kind, service, peer, method, path, cluster, start_us, "   \
    "duration_us, status, attempt, flags, reason, error, queue_us, service_us, rtx_us"

/* One span of a row of SPAN_COLUMNS (its strings are the row's until the next step). */
static int span_of_row(struct reader *r, sqlite3_stmt *st, struct rpt_span *s)
{
    static const char *const kinds[] = {"local", "client", "server"};
    uint64_t hi;
    int kind = index_of(c_text(st, 4), kinds, 3);
    int64_t flags = rpt_db_flags_parse(c_text(st, 14), r->run->flag_names);
    memset(s, 0, sizeof *s);
    if (read_trace(st, 0, &s->trace_hi, &s->trace_lo) ||
        rpt_db_hex_parse(c_text(st, 1), &hi, &s->id) ||
        (sqlite3_column_type(st, 2) != SQLITE_NULL &&
         rpt_db_hex_parse(c_text(st, 2), &hi, &s->parent)) ||
        kind < 0 || flags < 0)
        return bad(r, "spans");
    s->name = c_text(st, 3);
    s->kind = (uint8_t)kind;
    s->service = c_text(st, 5);
    s->peer = c_text(st, 6);
    s->method = c_text(st, 7);
    s->path = c_text(st, 8);
    s->cluster = c_text(st, 9);
    s->start_ns = c_ns(st, 10, 1e3);
    s->end_ns = s->start_ns + c_ns(st, 11, 1e3);
    s->status = (int)c_int(st, 12);
    s->attempt = (uint32_t)c_int(st, 13);
    s->flags = (uint32_t)flags;
    s->reason = c_text(st, 15);
    s->error = (uint8_t)c_int(st, 16);
    s->queue_ns = c_ns(st, 17, 1e3);
    s->service_ns = c_ns(st, 18, 1e3);
    s->rtx_ns = c_ns(st, 19, 1e3);
    return s->id && (s->trace_hi || s->trace_lo) ? 0 : bad(r, "spans");
}

static int read_spans(struct reader *r)
{
    struct rpt_run *run = r->run;
    uint64_t dropped = run->spans.dropped;
    sqlite3_stmt *st = query(r, "SELECT " SPAN_COLUMNS " FROM spans WHERE exported ORDER BY id");
    struct rpt_span s;
    int rc;
    while ((rc = next(r, st)) == 1) {
        if ((rc = span_of_row(r, st, &s))) break;
        rpt_spans_add(&run->spans, &s);
    }
    sqlite3_finalize(st);
    run->spans.dropped = dropped;
    return rc;
}

/* The spans of slowest request sl's trace, sorted by start, strings in the run's store. */
static int read_slow_spans(struct reader *r, sqlite3_stmt *st, struct rpt_slow *sl)
{
    char hex[33];
    if (!sl->trace_hi && !sl->trace_lo) return 0;
    if (sl->trace_hi)
        rpt_db_trace_hex(sl->trace_hi, sl->trace_lo, hex);
    else
        rpt_db_id_hex(sl->trace_lo, hex);
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int rc;
    struct rpt_strtab *strs = &r->run->spans.strs;
    while ((rc = next(r, st)) == 1) {
        struct rpt_span s;
        if ((rc = span_of_row(r, st, &s))) break;
        if (sl->n_spans == cap) {
            cap = cap ? 2 * cap : 16;
            sl->spans = fl_realloc(sl->spans, cap * sizeof *sl->spans);
        }
        s.name = rpt_strtab_intern(strs, s.name);
        s.service = rpt_strtab_intern(strs, s.service);
        s.peer = rpt_strtab_intern(strs, s.peer);
        s.method = rpt_strtab_intern(strs, s.method);
        s.path = rpt_strtab_intern(strs, s.path);
        s.cluster = rpt_strtab_intern(strs, s.cluster);
        s.reason = rpt_strtab_intern(strs, s.reason);
        sl->spans[sl->n_spans++] = s;
    }
    sqlite3_reset(st);
    return rc;
}

static int read_slowest(struct reader *r)
{
    struct rpt_run *run = r->run;
    size_t n = count_rows(r, "slowest");
    run->slowest = fl_calloc(n + 1, sizeof *run->slowest);
    sqlite3_stmt *st = query(r, "SELECT trace_id, route, start_ms, latency_ms, outcome, tries, "
                                "queue_ms, service_ms, network_ms, rtx_ms, backoff_ms, other_ms, "
                                "hops FROM slowest ORDER BY rank");
    sqlite3_stmt *sp =
        query(r, "SELECT " SPAN_COLUMNS " FROM spans WHERE trace_id = ? ORDER BY start_us, id");
    int rc;
    while ((rc = next(r, st)) == 1 && run->n_slowest < n) {
        struct rpt_slow *sl = &run->slowest[run->n_slowest++];
        if (read_trace(st, 0, &sl->trace_hi, &sl->trace_lo)) {
            rc = bad(r, "slowest");
            break;
        }
        sl->route = c_dup(st, 1);
        sl->start_ns = c_ns(st, 2, 1e6);
        sl->latency_ns = c_ns(st, 3, 1e6);
        sl->outcome = rpt_db_outcome_parse(c_text(st, 4));
        sl->tries = (uint32_t)c_int(st, 5);
        int64_t *parts[] = {&sl->queue_ns, &sl->service_ns, &sl->network_ns,
                            &sl->rtx_ns,   &sl->backoff_ns, &sl->other_ns};
        for (int k = 0; k < 6; k++) *parts[k] = c_ns(st, 6 + k, 1e6);
        sl->hops = c_dup(st, 12);
        if (sl->outcome < 0 || (rc = read_slow_spans(r, sp, sl))) {
            rc = bad(r, "slowest");
            break;
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(sp);
    return rc;
}

/* ---------------------------------------------------------------- series */

static struct rpt_series *series_slot(struct rpt_series_set *set, const char *scope, int64_t id)
{
    if (!strcmp(scope, RPT_DB_ALL)) return id == 0 ? &set->all : NULL;
    if (id < 0) return NULL;
    if (!strcmp(scope, RPT_DB_ROUTE)) return (size_t)id < set->n_routes ? &set->routes[id] : NULL;
    if (!strcmp(scope, RPT_DB_SERVICE))
        return (size_t)id < set->n_services ? &set->services[id] : NULL;
    if (!strcmp(scope, RPT_DB_EDGE)) return (size_t)id < set->n_edges ? &set->edges[id] : NULL;
    return NULL;
}

/* The series named in series_index, their points allocated (and zero). */
static int read_series_index(struct reader *r)
{
    struct rpt_series_set *set = &r->run->series;
    const char *counts = "SELECT scope, count(*) FROM series_index GROUP BY scope";
    sqlite3_stmt *st = query(r, counts);
    int rc;
    size_t n_routes = 0, n_services = 0, n_edges = 0, n_clusters = 0;
    while ((rc = next(r, st)) == 1) {
        const char *scope = c_text(st, 0);
        size_t n = (size_t)c_int(st, 1);
        if (!strcmp(scope, RPT_DB_ROUTE)) n_routes = n;
        if (!strcmp(scope, RPT_DB_SERVICE)) n_services = n;
        if (!strcmp(scope, RPT_DB_EDGE)) n_edges = n;
        if (!strcmp(scope, RPT_DB_CLUSTER)) n_clusters = n;
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    set->routes = fl_calloc(n_routes + 1, sizeof *set->routes);
    set->services = fl_calloc(n_services + 1, sizeof *set->services);
    set->edges = fl_calloc(n_edges + 1, sizeof *set->edges);
    set->clusters = fl_calloc(n_clusters + 1, sizeof *set->clusters);
    st = query(r, "SELECT scope, series_id, name, points FROM series_index "
                  "ORDER BY scope, series_id");
    while ((rc = next(r, st)) == 1) {
        const char *scope = c_text(st, 0), *name = c_text(st, 2);
        int64_t id = c_int(st, 1), pts = c_int(st, 3);
        size_t *n = !strcmp(scope, RPT_DB_ROUTE)     ? &set->n_routes
                    : !strcmp(scope, RPT_DB_SERVICE) ? &set->n_services
                    : !strcmp(scope, RPT_DB_EDGE)    ? &set->n_edges
                    : !strcmp(scope, RPT_DB_CLUSTER) ? &set->n_clusters
                                                     : NULL;
        if (!name || pts < 0 || pts > 100000000 || (n && (size_t)id != *n) ||
            (!n && (strcmp(scope, RPT_DB_ALL) || id != 0 || set->all.name))) {
            rc = bad(r, "series_index");
            break;
        }
        if (n == &set->n_clusters) {
            struct rpt_cseries *c = &set->clusters[(*n)++];
            c->name = fl_strdup(name);
            c->pts = fl_calloc((size_t)pts + 1, sizeof *c->pts);
            c->n_pts = (size_t)pts;
            continue;
        }
        if (n) (*n)++;
        struct rpt_series *s = n ? series_slot(set, scope, id) : &set->all;
        FL_ASSERT(s);
        rpt_series_init(s, name);
        s->pts = fl_calloc((size_t)pts + 1, sizeof *s->pts);
        s->n_pts = s->cap = (size_t)pts;
        s->cur = s->n_pts;
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_points(struct reader *r)
{
    struct rpt_series_set *set = &r->run->series;
    sqlite3_stmt *st = query(r, "SELECT scope, series_id, window, count, errors, tries, n_2xx, "
                                "n_3xx, n_4xx, n_5xx, n_timeout, n_connect_failure, n_reset, "
                                "n_unfinished, p50_ms, p95_ms, p99_ms FROM series");
    int rc;
    while ((rc = next(r, st)) == 1) {
        struct rpt_series *s = series_slot(set, c_text(st, 0), c_int(st, 1));
        int64_t k = c_int(st, 2);
        if (!s || k < 0 || (size_t)k >= s->n_pts) {
            rc = bad(r, "series");
            break;
        }
        struct rpt_point *p = &s->pts[k];
        p->count = c_u64(st, 3);
        p->errors = c_u64(st, 4);
        p->tries = c_u64(st, 5);
        for (int c = 0; c < RPT_CLASS_MAX; c++) p->classes[c] = c_u64(st, 6 + c);
        p->p50_ns = c_ns_or(st, 14, 1e6, 0);
        p->p95_ns = c_ns_or(st, 15, 1e6, 0);
        p->p99_ns = c_ns_or(st, 16, 1e6, 0);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    st = query(r, "SELECT series_id, window, rq_total, rq_retry, overflows, timeouts, ejections "
                  "FROM cluster_series");
    while ((rc = next(r, st)) == 1) {
        int64_t id = c_int(st, 0), k = c_int(st, 1);
        if (id < 0 || (size_t)id >= set->n_clusters || k < 0 ||
            (size_t)k >= set->clusters[id].n_pts) {
            rc = bad(r, "cluster_series");
            break;
        }
        struct rpt_cpoint *p = &set->clusters[id].pts[k];
        p->rq_total = c_u64(st, 2);
        p->rq_retry = c_u64(st, 3);
        p->overflows = c_u64(st, 4);
        p->timeouts = c_u64(st, 5);
        p->ejections = c_u64(st, 6);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- all */

static int read_all(struct reader *r, char **scenario_text)
{
    struct rpt_run *run = r->run;
    struct rpt_stats *all;
    size_t n_all;
    if (read_identity(r) || read_run(r, scenario_text)) return -1;
    if (read_stats_table(r, "totals", &all, &n_all, sizeof *all)) {
        if (n_all) rpt_stats_free(all);
        free(all);
        return -1;
    }
    if (n_all != 1) {
        if (n_all) rpt_stats_free(all);
        free(all);
        return bad(r, "totals");
    }
    run->all = *all;
    free(all);
    if (read_stats_table(r, "routes", &run->routes, &run->n_routes, sizeof *run->routes)) return -1;
    /* services: their stats are the head of struct rpt_service */
    struct rpt_stats *sv = NULL;
    int rc = read_stats_table(r, "services", &sv, &run->n_services, sizeof *run->services);
    run->services = (struct rpt_service *)sv;
    if (rc) return -1;
    /* whole-run edge figures (the topology's) */
    if (read_stats_table(r, "edges", &run->edges, &run->n_edges, sizeof *run->edges)) return -1;
    if (read_clusters(r) || read_checks(r) || read_counts(r) || read_pods(r)) return -1;
    if (read_hops_retries(r) || read_texts(r) || read_counters(r) || read_caches(r) ||
        read_events(r))
        return -1;
    if (read_requests(r) || read_spans(r) || read_slowest(r)) return -1;
    if (run->series.window_ns && (read_series_index(r) || read_points(r))) return -1;
    return 0;
}

int rpt_db_read(const char *path, struct rpt_run *out, char **scenario_text, char **err)
{
    FL_ASSERT(path && out && err);
    memset(out, 0, sizeof *out);
    if (scenario_text) *scenario_text = NULL;
    struct reader r = {0, NULL, out, path, NULL};
    int rc = -1;
    if (sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK)
        fail(&r, "cannot open");
    else
        rc = read_all(&r, scenario_text);
    sqlite3_close(r.db);
    if (rc) {
        *err = r.err ? r.err : fl_asprintf("%s: cannot read", path);
        if (scenario_text) {
            free(*scenario_text);
            *scenario_text = NULL;
        }
        rpt_run_free(out);
        return -1;
    }
    FL_ASSERT(!r.err && out->scenario);
    return 0;
}
