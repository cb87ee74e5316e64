/*
 * test_summary.c - reports/summary.c, with reports/results.c (checks,
 * names) and reports/json.c (the writer) under it: a small run built by
 * hand is written to a temporary folder and read back.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "reports/amplify.h"
#include "reports/json.h"
#include "reports/results.h"
#include "reports/summary.h"
#include "tests/testutil.h"

void suite_summary(void);

#define MS INT64_C(1000000)

static void add_check(struct rpt_run *run, enum rpt_scope scope, const char *target,
                      enum rpt_metric m, enum rpt_op op, double threshold, const char *text)
{
    struct rpt_check *c = &run->checks[run->n_checks++];
    memset(c, 0, sizeof *c);
    c->scope = scope;
    c->target = target ? fl_strdup(target) : NULL;
    c->metric = m;
    c->op = op;
    c->threshold = threshold;
    c->text = fl_strdup(text);
}

/* Records into the route and into all. */
static void record(struct rpt_run *run, size_t route, int64_t ns, int outcome, uint32_t tries)
{
    rpt_stats_record(&run->routes[route], ns, outcome, tries);
    rpt_stats_record(&run->all, ns, outcome, tries);
}

static void add_pod(struct rpt_service *sv, const char *name, const char *version, uint64_t count,
                    uint64_t errors)
{
    struct rpt_pod *p = &sv->pods[sv->n_pods++];
    p->name = fl_strdup(name);
    p->version = version ? fl_strdup(version) : NULL;
    p->count = count;
    p->errors = errors;
}

static void build_services(struct rpt_run *run)
{
    run->n_services = 2;
    run->services = fl_calloc(2, sizeof *run->services);
    rpt_stats_init(&run->services[0].st, "billing");
    rpt_stats_init(&run->services[1].st, "inventory");
    rpt_stats_record(&run->services[0].st, 8 * MS, 200, 1);
    rpt_stats_record(&run->services[0].st, 9 * MS, 503, 1);
    run->services[0].pods = fl_calloc(2, sizeof(struct rpt_pod));
    add_pod(&run->services[0], "billing-v1-0", "v1", 1, 0);
    add_pod(&run->services[0], "billing-v2-0", "v2", 1, 1);
    run->services[1].pods = fl_calloc(1, sizeof(struct rpt_pod));
    add_pod(&run->services[1], "inventory-0", NULL, 0, 0);
}

/*
 * checkout, seed 42: billing 3 x 200 (10, 12, 50 ms) and one timeout
 * (1 s, 3 tries); users one 200 (5 ms) and one 503 (7 ms, 2 tries).
 */
static void build_run(struct rpt_run *run)
{
    memset(run, 0, sizeof *run);
    run->scenario = fl_strdup("checkout");
    run->seed = 42;
    run->events = 12345;
    run->sim_ns = 120 * 1000 * MS;
    run->wall_s = 0.25;
    rpt_stats_init(&run->all, "all");
    run->n_routes = 2;
    run->routes = fl_calloc(2, sizeof *run->routes);
    rpt_stats_init(&run->routes[0], "/api/v1/billing");
    rpt_stats_init(&run->routes[1], "/api/v1/users");
    record(run, 0, 10 * MS, 200, 1);
    record(run, 0, 12 * MS, 200, 1);
    record(run, 0, 50 * MS, 200, 1);
    record(run, 0, 1000 * MS, RPT_FAIL_TIMEOUT, 3);
    record(run, 1, 5 * MS, 200, 1);
    record(run, 1, 7 * MS, 503, 2);
    build_services(run);
    run->checks = fl_calloc(5, sizeof *run->checks);
    add_check(run, RPT_SCOPE_ROUTE, "/api/v1/billing", RPT_M_P50, RPT_LT, 200.0 * MS,
              "route /api/v1/billing p50 < 200ms");
    add_check(run, RPT_SCOPE_ALL, NULL, RPT_M_ERROR_RATE, RPT_LT, 0.01, "error_rate < 1%");
    add_check(run, RPT_SCOPE_ROUTE, "/nope", RPT_M_P99, RPT_LT, 1000.0 * MS,
              "route /nope p99 < 1s");
    add_check(run, RPT_SCOPE_SERVICE, "billing", RPT_M_COUNT, RPT_GE, 2,
              "service billing count >= 2");
    add_check(run, RPT_SCOPE_ALL, NULL, RPT_M_RETRY_AMPLIFICATION, RPT_LE, 1.5,
              "retry_amplification <= 1.5");
}

static char *slurp(const char *dir, const char *name, size_t *len_out)
{
    char *path = fl_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return fl_strdup("");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        FL_GROW(buf, cap, len + n + 1);
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf) buf = fl_strdup("");
    buf[len] = '\0';
    if (len_out) *len_out = len;
    return buf;
}

static char *make_dir(void)
{
    char *dir = fl_strdup("/tmp/fl-summary-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    return dir;
}

static void remove_dir(char *dir)
{
    static const char *const names[] = {"summary.txt", "summary.json"};
    for (size_t i = 0; i < 2; i++) {
        char *path = fl_asprintf("%s/%s", dir, names[i]);
        unlink(path);
        free(path);
    }
    CU_ASSERT_EQUAL(rmdir(dir), 0); /* no temporary file left behind */
    free(dir);
}

/* Writes the run into a new folder; returns the folder. */
static char *write_run(struct rpt_run *run)
{
    char *dir = make_dir(), *err = NULL;
    CU_ASSERT_EQUAL(rpt_summary_write(run, dir, &err), 0);
    CU_ASSERT_PTR_NULL(err);
    free(err);
    return dir;
}

#define ASSERT_HAS(text, needle)                                                                   \
    do {                                                                                           \
        if (!strstr((text), (needle))) fprintf(stderr, "\n  missing: %s\n", (needle));             \
        CU_ASSERT(strstr((text), (needle)) != NULL);                                               \
    } while (0)

static void test_summary_checks_pass_fail_and_not_evaluated(void)
{
    struct rpt_run run;
    build_run(&run);
    CU_ASSERT_EQUAL(rpt_checks_eval(&run), 2);
    struct rpt_check *c = run.checks;
    CU_ASSERT(c[0].evaluated && c[0].ok);
    CU_ASSERT_EQUAL(c[0].value, (double)rpt_hist_quantile(&run.routes[0].hist, 0.5));
    ASSERT_REL(c[0].value, 12.0 * MS, 1.0 / 256); /* rank 2 of 10, 12, 50, 1000 ms */
    CU_ASSERT(c[1].evaluated && !c[1].ok);
    CU_ASSERT_EQUAL(c[1].value, 2.0 / 6.0);
    CU_ASSERT(!c[2].evaluated && !c[2].ok);
    CU_ASSERT(c[3].evaluated && c[3].ok);
    CU_ASSERT_EQUAL(c[3].value, 2.0);
    CU_ASSERT(c[4].evaluated && c[4].ok); /* 9 tries / 6 requests = 1.5 <= 1.5 */
    CU_ASSERT_EQUAL(c[4].value, 1.5);
    /* a route that exists but saw no request is not evaluated either */
    rpt_stats_free(&run.routes[1]);
    rpt_stats_init(&run.routes[1], "/api/v1/users");
    free(run.checks[2].target);
    run.checks[2].target = fl_strdup("/api/v1/users");
    CU_ASSERT_EQUAL(rpt_checks_eval(&run), 2);
    CU_ASSERT(!c[2].evaluated && !c[2].ok);
    rpt_run_free(&run);
}

static void test_summary_json_has_the_figures(void)
{
    struct rpt_run run;
    build_run(&run);
    rpt_checks_eval(&run);
    char *dir = write_run(&run);
    char *json = slurp(dir, "summary.json", NULL);
    ASSERT_HAS(json, "\"scenario\": \"checkout\"");
    ASSERT_HAS(json, "\"seed\": 42");
    ASSERT_HAS(json, "\"events\": 12345");
    ASSERT_HAS(json, "\"sim_seconds\": 120.000000000");
    ASSERT_HAS(json, "\"requests\": {\n    \"total\": 6,\n    \"ok\": 4,\n    \"errors\": 2\n  }");
    ASSERT_HAS(json, "\"retry_amplification\": 1.500000");
    ASSERT_HAS(json, "\"name\": \"/api/v1/billing\",\n      \"count\": 4,\n      \"errors\": 1,\n"
                     "      \"error_rate\": 0.250000,\n      \"mean_ms\": 268.000000");
    ASSERT_HAS(json, "\"min_ms\": 10.000000");
    ASSERT_HAS(json, "\"max_ms\": 1000.000000");
    ASSERT_HAS(json, "\"outcomes\": {\n        \"timeout\": 1,\n        \"200\": 3\n      }");
    ASSERT_HAS(json, "\"503\": 1");
    ASSERT_HAS(json, "\"name\": \"billing-v1-0\",\n          \"version\": \"v1\"");
    ASSERT_HAS(json, "\"version\": null");
    ASSERT_HAS(json, "\"text\": \"route /nope p99 < 1s\",\n      \"ok\": false");
    ASSERT_HAS(json, "\"value\": null");
    ASSERT_HAS(json, "\"text\": \"service billing count >= 2\",\n      \"ok\": true");
    ASSERT_HAS(json, "\"p50_ms\": 12.025856"); /* the middle of 12ms's bucket */
    ASSERT_HAS(json, "\"metric\": \"p50\",\n      \"unit\": \"ms\",\n"
                     "      \"threshold\": 200.000000,\n      \"value\": 12.025856");
    CU_ASSERT_PTR_NULL(strstr(json, "wall")); /* never in the file: it must be reproducible */
    char want[128];
    snprintf(want, sizeof want, "\"digest\": \"%s\"", run.digest);
    ASSERT_HAS(json, want);
    CU_ASSERT_EQUAL(strlen(run.digest), 64);
    CU_ASSERT_EQUAL(strspn(run.digest, "0123456789abcdef"), 64);
    CU_ASSERT_EQUAL(json[strlen(json) - 1], '\n');
    free(json);
    remove_dir(dir);
    rpt_run_free(&run);
}

static void test_summary_same_run_gives_same_bytes_and_digest(void)
{
    struct rpt_run run;
    build_run(&run);
    rpt_checks_eval(&run);
    char *d1 = write_run(&run);
    char digest[65];
    memcpy(digest, run.digest, sizeof digest);
    run.wall_s = 99.5; /* wall time changes nothing in the files */
    char *d2 = write_run(&run);
    CU_ASSERT_STRING_EQUAL(run.digest, digest);
    size_t l1, l2;
    char *t1 = slurp(d1, "summary.txt", &l1), *t2 = slurp(d2, "summary.txt", &l2);
    CU_ASSERT(l1 > 0 && l1 == l2 && memcmp(t1, t2, l1) == 0);
    char *j1 = slurp(d1, "summary.json", NULL), *j2 = slurp(d2, "summary.json", NULL);
    run.wall_s = 0.25;
    char *d3 = write_run(&run);
    char *j3 = slurp(d3, "summary.json", NULL);
    CU_ASSERT_STRING_EQUAL(j1, j2);
    CU_ASSERT_STRING_EQUAL(j1, j3);
    free(t1), free(t2), free(j1), free(j2), free(j3);
    remove_dir(d1), remove_dir(d2), remove_dir(d3);
    rpt_run_free(&run);
}

static void test_summary_one_count_changes_the_digest(void)
{
    struct rpt_run run;
    build_run(&run);
    rpt_summary_digest(&run);
    char before[65];
    memcpy(before, run.digest, sizeof before);
    run.services[0].pods[1].errors = 0;
    rpt_summary_digest(&run);
    CU_ASSERT_STRING_NOT_EQUAL(run.digest, before);
    run.services[0].pods[1].errors = 1;
    rpt_summary_digest(&run);
    CU_ASSERT_STRING_EQUAL(run.digest, before);
    run.routes[1].outcomes[503]--;
    run.routes[1].outcomes[502]++;
    rpt_summary_digest(&run);
    CU_ASSERT_STRING_NOT_EQUAL(run.digest, before);
    rpt_run_free(&run);
}

static void test_summary_text_has_the_table_and_pass_fail_lines(void)
{
    struct rpt_run run;
    build_run(&run);
    rpt_checks_eval(&run);
    char *dir = write_run(&run);
    char *txt = slurp(dir, "summary.txt", NULL);
    ASSERT_HAS(txt, "faultline run: checkout (seed 42), 2m00s simulated, 12345 events\n");
    ASSERT_HAS(txt, "requests 6   ok 4   errors 2 (33.33%)   retry amplification 1.50x\n");
    ASSERT_HAS(txt, "\n"
                    "route              count   errors     mean      p50      p90      p95      "
                    "p99    p99.9      "
                    "max\n"
                    "/api/v1/billing        4   25.00%    268ms  12.03ms       1s       1s       "
                    "1s       1s       "
                    "1s\n"
                    "/api/v1/users          2   50.00%      6ms      5ms  6.996ms  6.996ms  "
                    "6.996ms  6.996ms      "
                    "7ms\n"
                    "  outcomes /api/v1/billing: 200 3 (75.0%), timeout 1 (25.0%)\n"
                    "  outcomes /api/v1/users: 200 1 (50.0%), 503 1 (50.0%)\n"
                    "\n");
    ASSERT_HAS(txt, "\n"
                    "service           count   errors     mean      p50      p90      p95      p99 "
                    "   p99.9      "
                    "max\n"
                    "billing               2   50.00%    8.5ms  8.012ms      9ms      9ms      9ms "
                    "     9ms      "
                    "9ms\n"
                    "  billing-v1-0        1    0.00%  version v1\n"
                    "  billing-v2-0        1  100.00%  version v2\n"
                    "inventory             0        -        -        -        -        -        - "
                    "       -        "
                    "-\n"
                    "  inventory-0         0        -\n"
                    "\n");
    ASSERT_HAS(txt, "\nassertions\n"
                    "  PASS  route /api/v1/billing p50 < 200ms  p50 = 12.03ms\n"
                    "  FAIL  error_rate < 1%                    error_rate = 33.33%\n"
                    "  FAIL  route /nope p99 < 1s               not evaluated: no requests\n"
                    "  PASS  service billing count >= 2         count = 2\n"
                    "  PASS  retry_amplification <= 1.5         retry_amplification = 1.500x\n");
    char want[128];
    snprintf(want, sizeof want, "\ndigest %s\n", run.digest);
    ASSERT_HAS(txt, want);
    CU_ASSERT_PTR_NULL(strstr(txt, "wall"));
    CU_ASSERT_PTR_NULL(strstr(txt, "0.25"));
    free(txt);
    remove_dir(dir);
    rpt_run_free(&run);
}

static void test_summary_columns_widen_for_long_names(void)
{
    struct rpt_run run;
    build_run(&run);
    free(run.routes[1].name);
    run.routes[1].name = fl_strdup("/a/very/long/route/name/that/is/wider/than/the/rest");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_summary_print(&run, f);
    fclose(f);
    ASSERT_HAS(buf, "/api/v1/billing                                            4   25.00%");
    ASSERT_HAS(buf, "/a/very/long/route/name/that/is/wider/than/the/rest        2   50.00%");
    free(buf);
    rpt_run_free(&run);
}

/* A route that answers 404 to everything has no errors, and the outcome line says what it answered.
 */
static void test_summary_outcomes_show_a_route_answering_404(void)
{
    struct rpt_run run;
    build_run(&run);
    for (int i = 0; i < 3; i++) record(&run, 1, 2 * MS, 404, 1);
    for (int i = 0; i < 995; i++) record(&run, 0, 2 * MS, 200, 1);
    record(&run, 0, 2 * MS, 429, 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_summary_print(&run, f);
    fclose(f);
    ASSERT_HAS(buf, "  outcomes /api/v1/users: 200 1 (20.0%), 404 3 (60.0%), 503 1 (20.0%)\n");
    /* 1 in 1000 is 0.1%: shown; the share is left out below that */
    ASSERT_HAS(buf,
               "  outcomes /api/v1/billing: 200 998 (99.8%), 429 1 (0.1%), timeout 1 (0.1%)\n");
    record(&run, 0, 2 * MS, 200, 1);
    free(buf);
    f = open_memstream(&buf, &len);
    rpt_summary_print(&run, f);
    fclose(f);
    ASSERT_HAS(buf, "  outcomes /api/v1/billing: 200 999 (99.8%), 429 1, timeout 1\n");
    free(buf);
    rpt_run_free(&run);
}

/*
 * The request list in bounded memory: at requests_max entries every other
 * one is dropped and the step doubles, so the list stays an even one in N
 * of all the requests (their places 0, N, 2N...).
 */
static void test_summary_request_list_halves_when_full(void)
{
    struct rpt_run run;
    build_run(&run);
    run.requests_max = 4;
    for (int i = 0; i < 21; i++) {
        struct rpt_request rq = {.start_ns = i, .latency_ns = 1, .route = 0, .outcome = 200};
        rpt_run_add_request(&run, &rq);
    }
    /* 0..3 fill it; at 4 it halves to 0, 2 (one in 2) and takes 4, 6; at 8 it halves to 0, 4
     * (one in 4) and takes 8, 12; at 16: 0, 8, then 16; 20 is not a multiple of 8 */
    CU_ASSERT_EQUAL(run.requests_every, 8);
    CU_ASSERT_EQUAL(run.requests_seen, 21);
    CU_ASSERT_EQUAL_FATAL(run.n_requests, 3);
    CU_ASSERT_EQUAL(run.requests[0].start_ns, 0);
    CU_ASSERT_EQUAL(run.requests[1].start_ns, 8);
    CU_ASSERT_EQUAL(run.requests[2].start_ns, 16);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_summary_print(&run, f);
    fclose(f);
    ASSERT_HAS(buf,
               "\nrequests listed (run.db, latency plot): 3, one in 8 of 21 (report.requests)\n");
    free(buf);
    rpt_run_free(&run);
}

static char *json_of_string(const char *s, size_t len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    struct rpt_json j;
    rpt_json_init(&j, f, 0);
    rpt_json_string_n(&j, s, len);
    CU_ASSERT_EQUAL(rpt_json_end(&j), 0);
    fclose(f);
    return buf;
}

static void test_summary_json_escapes_strings(void)
{
    static const char in[] =
        "a\"b\\c/\n\t\r\b\f\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    char *out = json_of_string(in, sizeof in - 1);
    CU_ASSERT_STRING_EQUAL(out, "\"a\\\"b\\\\c/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f caf\xc3\xa9 "
                                "\xe2\x82\xac \xf0\x9f\x98\x80\"\n");
    free(out);
    /* NUL, a stray continuation byte, a truncated sequence, an overlong '/', a surrogate */
    static const char bad[] = "x\0y\x80z\xe2\x82q\xc0\xaf\xed\xa0\x80";
    out = json_of_string(bad, sizeof bad - 1);
    CU_ASSERT_STRING_EQUAL(out, "\"x\\u0000y\\ufffdz\\ufffd\\ufffdq\\ufffd\\ufffd"
                                "\\ufffd\\ufffd\\ufffd\"\n");
    free(out);
    /* and in a summary: a route name with quotes and control characters */
    struct rpt_run run;
    build_run(&run);
    free(run.routes[1].name);
    run.routes[1].name = fl_strdup("/say \"hi\"\n\x02");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_summary_json(&run, f);
    fclose(f);
    ASSERT_HAS(buf, "\"name\": \"/say \\\"hi\\\"\\n\\u0002\"");
    free(buf);
    rpt_run_free(&run);
}

static void test_summary_json_writer_numbers_and_nesting(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct rpt_json j;
    rpt_json_init(&j, f, 0);
    rpt_json_object_begin(&j);
    rpt_json_key(&j, "a");
    rpt_json_array_begin(&j);
    rpt_json_int(&j, -5);
    rpt_json_uint(&j, UINT64_MAX);
    rpt_json_double(&j, 1.5, 3);
    rpt_json_double(&j, -0.00001, 2);
    rpt_json_double(&j, -2.345, 1);
    rpt_json_double(&j, NAN, 3);
    rpt_json_double(&j, -INFINITY, 3);
    rpt_json_double(&j, 1e20, 3);
    rpt_json_decimal(&j, -12345678, 6);
    rpt_json_decimal(&j, 7, 3);
    rpt_json_object_begin(&j);
    rpt_json_object_end(&j);
    rpt_json_array_begin(&j);
    rpt_json_array_end(&j);
    rpt_json_array_end(&j);
    rpt_json_key(&j, "b");
    rpt_json_bool(&j, 1);
    rpt_json_key(&j, "c");
    rpt_json_string(&j, NULL);
    rpt_json_object_end(&j);
    CU_ASSERT_EQUAL(rpt_json_end(&j), 0);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "{\"a\":[-5,18446744073709551615,1.500,0.00,-2.3,null,null,"
                                "100000000000000000000,-12.345678,0.007,{},[]],"
                                "\"b\":true,\"c\":null}\n");
    free(buf);
}

static void test_summary_write_error_names_the_file(void)
{
    struct rpt_run run;
    build_run(&run);
    char *err = NULL;
    CU_ASSERT_EQUAL(rpt_summary_write(&run, "/nonexistent-faultline-dir", &err), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_STRING_EQUAL(err,
                           "/nonexistent-faultline-dir/summary.txt: No such file or directory");
    free(err);
    rpt_run_free(&run);
}

static void test_summary_names_of_failures_and_metrics(void)
{
    CU_ASSERT_STRING_EQUAL(rpt_fail_name(RPT_FAIL_TIMEOUT), "timeout");
    CU_ASSERT_STRING_EQUAL(rpt_fail_name(RPT_FAIL_CONNECT), "connect-failure");
    CU_ASSERT_STRING_EQUAL(rpt_fail_name(RPT_FAIL_RESET), "reset");
    CU_ASSERT_STRING_EQUAL(rpt_fail_name(RPT_FAIL_UNFINISHED), "unfinished");
    CU_ASSERT_PTR_NULL(rpt_fail_name(200));
    CU_ASSERT_PTR_NULL(rpt_fail_name(0));
    CU_ASSERT_STRING_EQUAL(rpt_metric_name(RPT_M_P999), "p999");
    CU_ASSERT_STRING_EQUAL(rpt_metric_name(RPT_M_RETRY_AMPLIFICATION), "retry_amplification");
    CU_ASSERT_STRING_EQUAL(rpt_metric_name(RPT_M_COUNT), "count");
    CU_ASSERT_PTR_NULL(rpt_metric_name((enum rpt_metric)99));
    CU_ASSERT_TRUE(rpt_metric_is_duration(RPT_M_P50));
    CU_ASSERT_TRUE(rpt_metric_is_duration(RPT_M_MAX));
    CU_ASSERT_FALSE(rpt_metric_is_duration(RPT_M_ERROR_RATE));
    CU_ASSERT_FALSE(rpt_metric_is_duration(RPT_M_COUNT));
}

/* The headline never reads 1.00x for a run that retried: three decimals, or ">1.00x". */
static void test_summary_amplification_above_one_never_reads_one(void)
{
    static const struct {
        uint64_t count, tries;
        const char *text;
    } cases[] = {
        {22095, 22095, "1.00x"},    {22095, 22200, "1.005x"}, {22095, 22210, "1.01x"},
        {100000, 100001, ">1.00x"}, {1000, 1005, "1.005x"},   {1000, 1500, "1.50x"},
        {1000, 1004, "1.004x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rpt_run run;
        memset(&run, 0, sizeof run);
        run.all.count = cases[i].count;
        run.all.tries = cases[i].tries;
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        rpt_amplify_head(mem, &run);
        fclose(mem);
        if (strcmp(text, cases[i].text))
            fprintf(stderr, "\n  %llu/%llu: got %s, expected %s\n",
                    (unsigned long long)cases[i].tries, (unsigned long long)cases[i].count, text,
                    cases[i].text);
        CU_ASSERT_STRING_EQUAL(text, cases[i].text);
        free(text);
    }
}

void suite_summary(void)
{
    TEST_SUITE("reports/summary");
    TEST_ADD(test_summary_checks_pass_fail_and_not_evaluated);
    TEST_ADD(test_summary_json_has_the_figures);
    TEST_ADD(test_summary_same_run_gives_same_bytes_and_digest);
    TEST_ADD(test_summary_one_count_changes_the_digest);
    TEST_ADD(test_summary_text_has_the_table_and_pass_fail_lines);
    TEST_ADD(test_summary_columns_widen_for_long_names);
    TEST_ADD(test_summary_outcomes_show_a_route_answering_404);
    TEST_ADD(test_summary_request_list_halves_when_full);
    TEST_ADD(test_summary_json_escapes_strings);
    TEST_ADD(test_summary_json_writer_numbers_and_nesting);
    TEST_ADD(test_summary_write_error_names_the_file);
    TEST_ADD(test_summary_names_of_failures_and_metrics);
    TEST_ADD(test_summary_amplification_above_one_never_reads_one);
}
