/*
 * test_db.c - run.db (reports/db.h): runs of bundled scenarios written to
 * a database and read back give the same summaries byte for byte, the
 * same histograms bucket for bucket and the same request list; the
 * database's rows agree with summary.json (read with jansson); files that
 * are not a faultline database, or of a newer schema, are refused.
 */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "reports/db.h"
#include "reports/summary.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_db(void);

static char *make_dir(void)
{
    char *dir = fl_strdup("/tmp/fl-db-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    return dir;
}

static void remove_dir(char *dir)
{
    static const char *const names[] = {"run.db",
                                        "summary.txt",
                                        "summary.json",
                                        "series-routes.csv",
                                        "series-services.csv",
                                        "series-edges.csv",
                                        "series-clusters.csv",
                                        "not-a-db",
                                        "other.db"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = fl_asprintf("%s/%s", dir, names[i]);
        unlink(path);
        free(path);
    }
    CU_ASSERT_EQUAL(rmdir(dir), 0); /* no temporary file left behind */
    free(dir);
}

/* What a writer puts in a FILE, as a string (caller frees). */
static char *text_of(void (*fn)(const struct rpt_run *, FILE *), const struct rpt_run *run)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_FATAL(f != NULL);
    fn(run, f);
    fclose(f);
    return buf;
}

static void same_stats(const struct rpt_stats *a, const struct rpt_stats *b)
{
    static const double qs[] = {0, 0.5, 0.9, 0.99, 0.999, 1};
    CU_ASSERT_STRING_EQUAL(a->name ? a->name : "", b->name ? b->name : "");
    CU_ASSERT_EQUAL(a->count, b->count);
    CU_ASSERT_EQUAL(a->errors, b->errors);
    CU_ASSERT_EQUAL(a->tries, b->tries);
    CU_ASSERT(!memcmp(a->outcomes, b->outcomes, sizeof a->outcomes));
    CU_ASSERT(!memcmp(a->flags, b->flags, sizeof a->flags));
    CU_ASSERT_EQUAL(a->hist.n_buckets, b->hist.n_buckets);
    CU_ASSERT(rpt_hist_same_buckets(&a->hist, &b->hist));
    CU_ASSERT(a->hist.sum == b->hist.sum);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        CU_ASSERT_EQUAL(rpt_hist_quantile(&a->hist, qs[i]), rpt_hist_quantile(&b->hist, qs[i]));
}

/* Runs path, writes its database, reads it back and compares everything summary.c prints. */
static void round_trip(const char *path, const char *const *sets, size_t n_sets)
{
    struct rpt_run run, back;
    RUN_OR_RETURN(test_run_file(path, sets, n_sets, &run));
    rpt_checks_eval(&run);
    rpt_summary_digest(&run);
    char *dir = make_dir(), *err = NULL, *db = fl_asprintf("%s/run.db", dir), *text = NULL;
    CU_ASSERT_EQUAL_FATAL(rpt_db_write(&run, "name: x\n", db, &err), 0);
    CU_ASSERT_EQUAL_FATAL(rpt_db_read(db, &back, &text, &err), 0);
    CU_ASSERT_STRING_EQUAL(text, "name: x\n");
    /* the digest of the figures read back, computed again, is the run's */
    back.digest[0] = '\0';
    rpt_summary_digest(&back);
    CU_ASSERT_STRING_EQUAL(back.digest, run.digest);
    char *t1 = text_of(rpt_summary_print, &run), *t2 = text_of(rpt_summary_print, &back);
    char *j1 = text_of(rpt_summary_json, &run), *j2 = text_of(rpt_summary_json, &back);
    CU_ASSERT_STRING_EQUAL(t1, t2);
    CU_ASSERT_STRING_EQUAL(j1, j2);
    same_stats(&run.all, &back.all);
    CU_ASSERT_EQUAL_FATAL(back.n_routes, run.n_routes);
    for (size_t i = 0; i < run.n_routes; i++) same_stats(&run.routes[i], &back.routes[i]);
    CU_ASSERT_EQUAL_FATAL(back.n_services, run.n_services);
    for (size_t i = 0; i < run.n_services; i++)
        same_stats(&run.services[i].st, &back.services[i].st);
    /* the requests, exactly (times through milliseconds as REAL, back to the nanosecond) */
    CU_ASSERT(run.n_requests > 0);
    CU_ASSERT_EQUAL_FATAL(back.n_requests, run.n_requests);
    CU_ASSERT(!memcmp(run.requests, back.requests, run.n_requests * sizeof *run.requests));
    CU_ASSERT_EQUAL(back.n_timeline, run.n_timeline);
    CU_ASSERT_EQUAL(back.series.n_routes, run.series.n_routes);
    CU_ASSERT_EQUAL(back.series.all.n_pts, run.series.all.n_pts);
    if (back.series.all.n_pts == run.series.all.n_pts && run.series.all.n_pts)
        CU_ASSERT(!memcmp(run.series.all.pts, back.series.all.pts,
                          run.series.all.n_pts * sizeof *run.series.all.pts));
    free(t1);
    free(t2);
    free(j1);
    free(j2);
    free(text);
    free(db);
    rpt_run_free(&back);
    rpt_run_free(&run);
    remove_dir(dir);
}

static void test_db_round_trip_faults_and_assertions(void)
{
    round_trip("scenarios/fault-errors.yaml", NULL, 0);
}

static void test_db_round_trip_gateway_and_cache(void)
{
    round_trip("scenarios/herd-kong.yaml", NULL, 0);
}

static void test_db_round_trip_mesh_recovery(void)
{
    round_trip("scenarios/recovery.yaml", NULL, 0);
}

/* ---------------------------------------------------------------- agreement with summary.json */

static int64_t count_where(sqlite3 *db, const char *sql, const char *route)
{
    sqlite3_stmt *st = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, route, -1, SQLITE_STATIC);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* The nearest-rank q-quantile of the route's latencies from the rows (as hist.c defines it). */
static double rows_quantile_ms(sqlite3 *db, const char *route, double q, int64_t n)
{
    double r = q * (double)n;
    r -= r * 1e-12;
    int64_t rank = (int64_t)ceil(r);
    if (rank < 1) rank = 1;
    sqlite3_stmt *st = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db,
                                             "SELECT latency_ms FROM requests WHERE route = ? "
                                             "ORDER BY latency_ms LIMIT 1 OFFSET ?",
                                             -1, &st, NULL),
                          SQLITE_OK);
    sqlite3_bind_text(st, 1, route, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, rank - 1);
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/*
 * Every request listed (report.requests: all): per route, the rows count
 * and errors are summary.json's exactly; P50/P90/P99 from the rows are
 * summary.json's within the histogram's error (a bucket's middle is
 * within 2^-8 = 0.39% of any value in it: 0.4% allowed, and 1 ns).
 */
static void test_db_agrees_with_summary_json(void)
{
    const char *sets[] = {"report.requests=all"};
    struct rpt_run run;
    RUN_OR_RETURN(test_run_file("scenarios/fault-errors.yaml", sets, 1, &run));
    rpt_checks_eval(&run);
    char *dir = make_dir(), *err = NULL, *path = fl_asprintf("%s/run.db", dir);
    CU_ASSERT_EQUAL_FATAL(rpt_summary_write(&run, dir, &err), 0);
    CU_ASSERT_EQUAL_FATAL(rpt_db_write(&run, NULL, path, &err), 0);
    char *jpath = fl_asprintf("%s/summary.json", dir);
    json_error_t jerr;
    json_t *doc = json_load_file(jpath, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    json_int_t total =
        json_integer_value(json_object_get(json_object_get(doc, "requests"), "total"));
    CU_ASSERT(total > 5000);
    CU_ASSERT_EQUAL(count_where(db, "SELECT count(*) FROM requests WHERE ?1 IS NOT NULL", ""),
                    total);
    json_t *routes = json_object_get(doc, "routes"), *r;
    size_t i, checked = 0;
    json_array_foreach(routes, i, r)
    {
        const char *name = json_string_value(json_object_get(r, "name"));
        json_int_t n = json_integer_value(json_object_get(r, "count"));
        CU_ASSERT_EQUAL(count_where(db, "SELECT count(*) FROM requests WHERE route = ?", name), n);
        CU_ASSERT_EQUAL(count_where(db, "SELECT sum(error) FROM requests WHERE route = ?", name),
                        json_integer_value(json_object_get(r, "errors")));
        CU_ASSERT_EQUAL(count_where(db, "SELECT sum(tries) FROM requests WHERE route = ?", name),
                        json_integer_value(json_object_get(r, "tries")));
        if (n < 100) continue;
        static const struct {
            const char *key;
            double q;
        } qs[] = {{"p50_ms", 0.5}, {"p90_ms", 0.9}, {"p99_ms", 0.99}};
        for (size_t k = 0; k < 3; k++) {
            json_t *v = json_object_get(r, qs[k].key);
            if (!v) continue; /* a summary without this percentile */
            double rows = rows_quantile_ms(db, name, qs[k].q, n);
            ASSERT_ABS(json_real_value(v), rows, 0.004 * rows + 1e-6);
            checked++;
        }
    }
    CU_ASSERT(checked >= 2);
    sqlite3_close(db);
    json_decref(doc);
    free(jpath);
    free(path);
    rpt_run_free(&run);
    remove_dir(dir);
}

/* report.requests: 10% lists one counted request in ten, the first of each ten. */
static void test_db_sampled_requests(void)
{
    const char *sets[] = {"report.requests=10%"};
    struct rpt_run run, back;
    RUN_OR_RETURN(test_run_file("scenarios/fault-errors.yaml", sets, 1, &run));
    char *dir = make_dir(), *err = NULL, *path = fl_asprintf("%s/run.db", dir);
    CU_ASSERT_EQUAL_FATAL(rpt_db_write(&run, NULL, path, &err), 0);
    CU_ASSERT_EQUAL_FATAL(rpt_db_read(path, &back, NULL, &err), 0);
    CU_ASSERT_EQUAL(back.requests_every, 10);
    CU_ASSERT_EQUAL(back.requests_seen, run.all.count);
    CU_ASSERT_EQUAL(back.n_requests, (run.all.count + 9) / 10);
    free(path);
    rpt_run_free(&back);
    rpt_run_free(&run);
    remove_dir(dir);
}

/* ---------------------------------------------------------------- spans, slowest */

static struct rpt_span span(uint64_t hi, uint64_t lo, uint64_t id, uint64_t parent, int64_t start,
                            int64_t end, uint8_t kind, const char *service)
{
    struct rpt_span s;
    memset(&s, 0, sizeof s);
    s.trace_hi = hi;
    s.trace_lo = lo;
    s.id = id;
    s.parent = parent;
    s.start_ns = start;
    s.end_ns = end;
    s.kind = kind;
    s.service = service;
    s.name = kind == 1 ? "gateway orders" : "GET /api";
    return s;
}

/*
 * The store's spans come back in order with every field; a slowest
 * request's trace comes back from the store, or from its own spans
 * (exported 0) when the store does not hold it.
 */
static void test_db_spans_and_slowest(void)
{
    struct rpt_run run, back;
    memset(&run, 0, sizeof run);
    run.scenario = fl_strdup("spans");
    rpt_stats_init(&run.all, NULL);
    run.flag_names[2] = "UO";
    run.flag_names[4] = "URX";
    struct rpt_span a = span(0x1234, 0xabcdef, 0x11, 0, 1000, 9001234, 2, "gateway");
    struct rpt_span b = span(0x1234, 0xabcdef, 0x12, 0x11, 2001, 9000001, 1, "gateway");
    b.flags = (1u << 2) | (1u << 4);
    b.attempt = 2;
    b.reason = "per_try_timeout";
    b.status = 503;
    b.error = 1;
    b.rtx_ns = 200000001;
    b.peer = "orders-1";
    struct rpt_span c = span(0, 0x77, 0x21, 0, 5, 6, 2, "orders"); /* a 64-bit trace id */
    rpt_spans_add(&run.spans, &a);
    rpt_spans_add(&run.spans, &b);
    rpt_spans_add(&run.spans, &c);
    run.n_slowest = 2;
    run.slowest = fl_calloc(2, sizeof *run.slowest);
    struct rpt_slow *s0 = &run.slowest[0], *s1 = &run.slowest[1];
    s0->trace_hi = 0x1234;
    s0->trace_lo = 0xabcdef;
    s0->route = fl_strdup("/api");
    s0->latency_ns = 9000234;
    s0->outcome = RPT_FAIL_TIMEOUT;
    s0->rtx_ns = 200000001;
    s0->hops = fl_strdup("gateway 9ms");
    s0->n_spans = 2;
    s0->spans = fl_calloc(2, sizeof *s0->spans);
    s0->spans[0] = run.spans.v[0];
    s0->spans[1] = run.spans.v[1];
    s1->trace_hi = 0x9;
    s1->trace_lo = 0x9;
    s1->route = fl_strdup("/api");
    s1->outcome = 200;
    s1->n_spans = 1;
    s1->spans = fl_calloc(1, sizeof *s1->spans);
    s1->spans[0] = span(0x9, 0x9, 0x31, 0, 10, 20, 2, "orders");
    char *dir = make_dir(), *err = NULL, *path = fl_asprintf("%s/run.db", dir);
    CU_ASSERT_EQUAL_FATAL(rpt_db_write(&run, NULL, path, &err), 0);
    CU_ASSERT_EQUAL_FATAL(rpt_db_read(path, &back, NULL, &err), 0);
    CU_ASSERT_EQUAL_FATAL(back.spans.n, 3); /* the slowest's own span is not exported */
    const struct rpt_span *rb = &back.spans.v[1];
    CU_ASSERT(rb->trace_hi == 0x1234 && rb->trace_lo == 0xabcdef && rb->id == 0x12);
    CU_ASSERT(rb->parent == 0x11 && rb->start_ns == 2001 && rb->end_ns == 9000001);
    CU_ASSERT(rb->flags == b.flags && rb->attempt == 2 && rb->status == 503 && rb->error == 1);
    CU_ASSERT(rb->kind == 1 && rb->rtx_ns == 200000001);
    CU_ASSERT_STRING_EQUAL(rb->reason, "per_try_timeout");
    CU_ASSERT_STRING_EQUAL(rb->peer, "orders-1");
    CU_ASSERT_STRING_EQUAL(rb->service, "gateway");
    CU_ASSERT(back.spans.v[2].trace_hi == 0 && back.spans.v[2].trace_lo == 0x77);
    CU_ASSERT_EQUAL_FATAL(back.n_slowest, 2);
    CU_ASSERT_EQUAL(back.slowest[0].n_spans, 2);
    CU_ASSERT_EQUAL(back.slowest[0].outcome, RPT_FAIL_TIMEOUT);
    CU_ASSERT_EQUAL(back.slowest[0].rtx_ns, 200000001);
    CU_ASSERT_STRING_EQUAL(back.slowest[0].hops, "gateway 9ms");
    CU_ASSERT_EQUAL_FATAL(back.slowest[1].n_spans, 1);
    CU_ASSERT_EQUAL(back.slowest[1].spans[0].id, 0x31);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    CU_ASSERT_EQUAL(count_where(db, "SELECT count(*) FROM spans WHERE flags = ?", "UO,URX"), 1);
    CU_ASSERT_EQUAL(count_where(db, "SELECT count(*) FROM spans WHERE trace_id = ?",
                                "000000000000123400000000"
                                "00abcdef"),
                    2);
    CU_ASSERT_EQUAL(
        count_where(db, "SELECT count(*) FROM spans WHERE trace_id = ?", "0000000000000077"), 1);
    CU_ASSERT_EQUAL(
        count_where(db, "SELECT exported FROM spans WHERE span_id = ?", "0000000000000031"), 0);
    sqlite3_close(db);
    free(path);
    rpt_run_free(&back);
    rpt_run_free(&run);
    remove_dir(dir);
}

/* ---------------------------------------------------------------- refused files */

static void expect_refused(const char *path, const char *want)
{
    struct rpt_run back;
    char *err = NULL;
    CU_ASSERT_EQUAL(rpt_db_read(path, &back, NULL, &err), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    if (!strstr(err, want)) fprintf(stderr, "\n  error '%s' lacks '%s'\n", err, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    free(err);
}

static void test_db_refuses_other_files(void)
{
    char *dir = make_dir();
    char *missing = fl_asprintf("%s/run.db", dir), *text = fl_asprintf("%s/not-a-db", dir);
    char *other = fl_asprintf("%s/other.db", dir);
    expect_refused(missing, "cannot open");
    FILE *f = fopen(text, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("faultline: 1\nname: not a database, a scenario\n", f);
    fclose(f);
    expect_refused(text, "not a faultline database");
    /* an sqlite3 database of something else */
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(other, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(
        sqlite3_exec(db, "CREATE TABLE run (x); INSERT INTO run VALUES (1)", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    expect_refused(other, "not a faultline database");
    free(missing);
    free(text);
    free(other);
    remove_dir(dir);
}

static void test_db_refuses_a_newer_schema(void)
{
    struct rpt_run run;
    RUN_OR_RETURN(test_run_file("scenarios/fault-errors.yaml", NULL, 0, &run));
    char *dir = make_dir(), *err = NULL, *path = fl_asprintf("%s/run.db", dir);
    CU_ASSERT_EQUAL_FATAL(rpt_db_write(&run, NULL, path, &err), 0);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(
        sqlite3_exec(db, "UPDATE run SET schema_version = schema_version + 1", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    char want[80];
    snprintf(want, sizeof want, "newer faultline (database schema version %d",
             RPT_DB_SCHEMA_VERSION + 1);
    expect_refused(path, want);
    free(path);
    rpt_run_free(&run);
    remove_dir(dir);
}

/* A write that cannot happen names the file and leaves nothing behind. */
static void test_db_write_error_names_the_file(void)
{
    struct rpt_run run;
    memset(&run, 0, sizeof run);
    run.scenario = fl_strdup("x");
    rpt_stats_init(&run.all, NULL);
    char *err = NULL;
    CU_ASSERT_EQUAL(rpt_db_write(&run, NULL, "/nonexistent-folder/run.db", &err), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-folder/run.db"));
    free(err);
    rpt_run_free(&run);
}

void suite_db(void)
{
    TEST_SUITE("reports/db");
    TEST_ADD(test_db_round_trip_faults_and_assertions);
    TEST_ADD(test_db_round_trip_gateway_and_cache);
    TEST_ADD(test_db_round_trip_mesh_recovery);
    TEST_ADD(test_db_agrees_with_summary_json);
    TEST_ADD(test_db_sampled_requests);
    TEST_ADD(test_db_spans_and_slowest);
    TEST_ADD(test_db_refuses_other_files);
    TEST_ADD(test_db_refuses_a_newer_schema);
    TEST_ADD(test_db_write_error_names_the_file);
}
