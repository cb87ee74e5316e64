/*
 * test_spans_out.c - reports/spans_out.c and spans_files.c: spans built by
 * hand, written as Zipkin v2 and OTLP/JSON and compared with the exact
 * text; escaping, 64- and 128-bit trace ids, duration rounding; a store
 * written as files that spancheck (tests/tools/spancheck.c) accepts.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "reports/spans.h"
#include "reports/spans_files.h"
#include "tests/testutil.h"

void suite_spans_out(void);

static const char *const flag_names[RPT_SPAN_FLAG_BITS] = {"UH", "UF", "UO"};

/* The request of a small trace: the gateway's server span, a failed attempt and a retry. */
static void small_trace(struct rpt_span v[3])
{
    memset(v, 0, 3 * sizeof *v);
    v[0] = (struct rpt_span){.trace_lo = 1,
                             .id = 0xa,
                             .name = "GET /api",
                             .service = "gateway",
                             .method = "GET",
                             .path = "/api",
                             .start_ns = 1000000,
                             .end_ns = 5000500,
                             .status = 200,
                             .kind = 2};
    v[1] = (struct rpt_span){.trace_lo = 1,
                             .id = 0xb,
                             .parent = 0xa,
                             .name = "GET /api",
                             .service = "gateway",
                             .peer = "api-0",
                             .method = "GET",
                             .path = "/api",
                             .cluster = "api",
                             .reason = "connect-failure",
                             .start_ns = 1100000,
                             .end_ns = 2000000,
                             .rtx_ns = 300000,
                             .status = 503,
                             .flags = 1u << 1,
                             .attempt = 1,
                             .kind = 1,
                             .error = 1};
    v[2] = (struct rpt_span){.trace_lo = 1,
                             .id = 0xc,
                             .parent = 0xa,
                             .name = "GET /api",
                             .service = "gateway",
                             .peer = "api-1",
                             .method = "GET",
                             .path = "/api",
                             .cluster = "api",
                             .start_ns = 2500000,
                             .end_ns = 4000000,
                             .status = 200,
                             .attempt = 2,
                             .kind = 1};
}

/* What a writer wrote (caller frees). */
static char *zipkin_text(const struct rpt_span *v, size_t n)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CU_ASSERT_EQUAL(rpt_spans_write_zipkin(v, n, RPT_SPAN_EPOCH_US, flag_names, f), 0);
    fclose(f);
    return buf;
}

static char *otlp_text(const struct rpt_span *v, size_t n)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CU_ASSERT_EQUAL(rpt_spans_write_otlp(v, n, RPT_SPAN_EPOCH_US, flag_names, f), 0);
    fclose(f);
    return buf;
}

static void test_spans_zipkin_exact_text(void)
{
    struct rpt_span v[3];
    small_trace(v);
    char *got = zipkin_text(v, 3);
    const char *want =
        "[\n"
        "{\"traceId\":\"0000000000000001\",\"id\":\"000000000000000a\",\"kind\":\"SERVER\","
        "\"name\":\"get /api\",\"timestamp\":1767225600001000,\"duration\":4001,"
        "\"localEndpoint\":{\"serviceName\":\"gateway\"},\"tags\":{\"http.method\":\"GET\","
        "\"http.path\":\"/api\",\"http.status_code\":\"200\"}},\n"
        "{\"traceId\":\"0000000000000001\",\"parentId\":\"000000000000000a\","
        "\"id\":\"000000000000000b\",\"kind\":\"CLIENT\",\"name\":\"get /api\","
        "\"timestamp\":1767225600001100,\"duration\":900,"
        "\"localEndpoint\":{\"serviceName\":\"gateway\"},"
        "\"remoteEndpoint\":{\"serviceName\":\"api-0\"},\"tags\":{\"error\":\"connect-failure\","
        "\"faultline.attempt\":\"1\",\"faultline.retry_reason\":\"connect-failure\","
        "\"faultline.tcp_retransmit_ns\":\"300000\",\"http.method\":\"GET\","
        "\"http.path\":\"/api\",\"http.status_code\":\"503\",\"peer.pod\":\"api-0\","
        "\"response_flags\":\"UF\",\"upstream_cluster\":\"api\"}},\n"
        "{\"traceId\":\"0000000000000001\",\"parentId\":\"000000000000000a\","
        "\"id\":\"000000000000000c\",\"kind\":\"CLIENT\",\"name\":\"get /api\","
        "\"timestamp\":1767225600002500,\"duration\":1500,"
        "\"localEndpoint\":{\"serviceName\":\"gateway\"},"
        "\"remoteEndpoint\":{\"serviceName\":\"api-1\"},\"tags\":{\"faultline.attempt\":\"2\","
        "\"http.method\":\"GET\",\"http.path\":\"/api\",\"http.status_code\":\"200\","
        "\"peer.pod\":\"api-1\",\"upstream_cluster\":\"api\"}}\n"
        "]\n";
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want)) fprintf(stderr, "\n%s", got);
    free(got);
}

static void test_spans_otlp_exact_text(void)
{
    struct rpt_span v[3];
    small_trace(v);
    v[1].queue_ns = 7;
    char *got = otlp_text(v, 2);
    const char *want =
        "{\"resourceSpans\":[\n"
        "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
        "\"gateway\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"faultline\"},\"spans\":[\n"
        "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"000000000000000a\","
        "\"name\":\"GET /api\",\"kind\":2,\"startTimeUnixNano\":\"1767225600001000000\","
        "\"endTimeUnixNano\":\"1767225600005000500\",\"attributes\":["
        "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
        "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}},"
        "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/api\"}}]},\n"
        "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"000000000000000b\","
        "\"parentSpanId\":\"000000000000000a\",\"name\":\"GET /api\",\"kind\":3,"
        "\"startTimeUnixNano\":\"1767225600001100000\","
        "\"endTimeUnixNano\":\"1767225600002000000\",\"attributes\":["
        "{\"key\":\"faultline.attempt\",\"value\":{\"intValue\":\"1\"}},"
        "{\"key\":\"faultline.queue_ns\",\"value\":{\"intValue\":\"7\"}},"
        "{\"key\":\"faultline.retry_reason\",\"value\":{\"stringValue\":\"connect-failure\"}},"
        "{\"key\":\"faultline.service_ns\",\"value\":{\"intValue\":\"0\"}},"
        "{\"key\":\"faultline.tcp_retransmit_ns\",\"value\":{\"intValue\":\"300000\"}},"
        "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
        "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}},"
        "{\"key\":\"peer.pod\",\"value\":{\"stringValue\":\"api-0\"}},"
        "{\"key\":\"response_flags\",\"value\":{\"stringValue\":\"UF\"}},"
        "{\"key\":\"upstream_cluster\",\"value\":{\"stringValue\":\"api\"}},"
        "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/api\"}}],"
        "\"status\":{\"message\":\"connect-failure\",\"code\":2}}\n"
        "]}]}\n"
        "]}\n";
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want)) fprintf(stderr, "\n%s", got);
    free(got);
}

static void test_spans_empty_exports_are_valid_json(void)
{
    char *z = zipkin_text(NULL, 0), *o = otlp_text(NULL, 0);
    CU_ASSERT_STRING_EQUAL(z, "[]\n");
    CU_ASSERT_STRING_EQUAL(o, "{\"resourceSpans\":[]}\n");
    free(z);
    free(o);
}

/* One resourceSpans per service, services in name order, spans in the array's order in each. */
static void test_spans_otlp_one_resource_per_service(void)
{
    struct rpt_span v[3];
    small_trace(v);
    v[0].service = "web";
    v[2].service = NULL; /* OpenTelemetry's unknown_service */
    char *got = otlp_text(v, 3);
    const char *gw = strstr(got, "\"gateway\""), *unk = strstr(got, "\"unknown_service\"");
    const char *web = strstr(got, "\"web\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(gw);
    CU_ASSERT_PTR_NOT_NULL_FATAL(unk);
    CU_ASSERT_PTR_NOT_NULL_FATAL(web);
    CU_ASSERT(gw < unk && unk < web);
    size_t resources = 0;
    for (const char *p = got; (p = strstr(p, "\"resource\":")); p++) resources++;
    CU_ASSERT_EQUAL(resources, 3);
    /* span b under gateway, c under unknown_service, a under web */
    const char *b = strstr(got, "\"000000000000000b\""), *c = strstr(got, "\"000000000000000c\"");
    const char *a = strstr(got, "\"spanId\":\"000000000000000a\"");
    CU_ASSERT(gw < b && b < unk && unk < c && c < web && web < a);
    free(got);
}

/* Any byte: quotes, backslashes, control characters, bytes that are not UTF-8. */
static void test_spans_escape_any_byte(void)
{
    struct rpt_span v[3];
    small_trace(v);
    v[0].name = "Q\"B\\N\nT\tC\x01X\xffY\xc3\xa9Z";
    v[0].path = "/a\x7f\x80";
    char *z = zipkin_text(v, 1), *o = otlp_text(v, 1);
    /* Zipkin's names are lower case (ASCII letters only: é stays é) */
    CU_ASSERT_PTR_NOT_NULL(strstr(z, "\"name\":\"q\\\"b\\\\n\\nt\\tc\\u0001x\\ufffdy\xc3\xa9z\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(o, "\"name\":\"Q\\\"B\\\\N\\nT\\tC\\u0001X\\ufffdY\xc3\xa9Z\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(z, "\"http.path\":\"/a\x7f\\ufffd\"" /* DEL needs no escape */));
    free(z);
    free(o);
}

/* 64-bit trace ids: 16 hex in Zipkin, 32 (zeros on the left) in OTLP; 128-bit: 32 in both. */
static void test_spans_trace_id_widths(void)
{
    struct rpt_span v[3];
    small_trace(v);
    v[0].trace_lo = 0x0123456789abcdefULL;
    char *z = zipkin_text(v, 1), *o = otlp_text(v, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(z, "\"traceId\":\"0123456789abcdef\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(o, "\"traceId\":\"00000000000000000123456789abcdef\""));
    free(z);
    free(o);
    v[0].trace_hi = 0xfedcba9876543210ULL;
    z = zipkin_text(v, 1);
    o = otlp_text(v, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(z, "\"traceId\":\"fedcba98765432100123456789abcdef\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(o, "\"traceId\":\"fedcba98765432100123456789abcdef\""));
    free(z);
    free(o);
}

/* The start floored, the end rounded up, to microseconds; at least 1 us. */
static void test_spans_duration_rounding(void)
{
    static const struct {
        int64_t start_ns, end_ns, ts_us, dur_us;
    } cases[] = {
        {1500, 1700, 1, 1}, /* within one microsecond */
        {1000, 1000, 1, 1}, /* zero long, on a microsecond: the 1 us minimum */
        {999, 2001, 0, 3},  /* touches microseconds 0, 1 and 2 */
        {2000, 5000, 2, 3}, /* exact */
        {0, 1, 0, 1},       /* one nanosecond */
        {7000001, 7999999, 7000, 1000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rpt_span v[3];
        small_trace(v);
        v[0].start_ns = cases[i].start_ns;
        v[0].end_ns = cases[i].end_ns;
        char *z = zipkin_text(v, 1), want[96];
        snprintf(want, sizeof want, "\"timestamp\":%lld,\"duration\":%lld,",
                 (long long)(RPT_SPAN_EPOCH_US + cases[i].ts_us), (long long)cases[i].dur_us);
        CU_ASSERT_PTR_NOT_NULL(strstr(z, want));
        if (!strstr(z, want)) fprintf(stderr, "\n  case %zu: want %s in %s", i, want, z);
        free(z);
    }
}

/* Flag bits without a name, and a local span: no kind, no remote endpoint. */
static void test_spans_unnamed_flags_and_local_spans(void)
{
    struct rpt_span v[3];
    small_trace(v);
    v[1].flags = (1u << 0) | (1u << 20);
    v[1].kind = 0;
    char *z = zipkin_text(v + 1, 1), *o = otlp_text(v + 1, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(z, "\"response_flags\":\"UH,bit20\""));
    CU_ASSERT_PTR_NULL(strstr(z, "\"kind\""));
    CU_ASSERT_PTR_NULL(strstr(z, "peer.pod")); /* a client's upstream pod only */
    CU_ASSERT_PTR_NOT_NULL(strstr(o, "\"kind\":1,"));
    free(z);
    free(o);
}

static const char *spancheck_path(void)
{
    const char *p = getenv("SPANCHECK");
    return p ? p : "build/spancheck";
}

/* spancheck FORMAT DIR/NAME; its exit status (-1 when it did not run). */
static int spancheck(const char *format, const char *dir, const char *name, const char *opts)
{
    char *cmd = fl_asprintf("%s %s %s/%s %s >/dev/null", spancheck_path(), format, dir, name,
                            opts ? opts : "");
    int rc = system(cmd);
    free(cmd);
    return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* A store filled out of order is written sorted, as files spancheck accepts. */
static void test_spans_files_sorted_and_valid(void)
{
    CU_ASSERT_EQUAL_FATAL(access(spancheck_path(), X_OK), 0);
    struct rpt_span v[3];
    small_trace(v);
    struct rpt_spans st = {0};
    rpt_spans_add(&st, &v[2]);
    rpt_spans_add(&st, &v[1]);
    rpt_spans_add(&st, &v[0]);
    char dir[] = "/tmp/fl-spans-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char *err = NULL;
    CU_ASSERT_EQUAL(rpt_spans_file(&st, RPT_SPANS_ZIPKIN, flag_names, RPT_SPAN_EPOCH_US, dir,
                                   "spans.json", &err),
                    0);
    CU_ASSERT_EQUAL(rpt_spans_file(&st, RPT_SPANS_OTLP, flag_names, RPT_SPAN_EPOCH_US, dir,
                                   "spans.otlp.json", &err),
                    0);
    CU_ASSERT_EQUAL(st.v[0].id, 0xa);
    CU_ASSERT_EQUAL(st.v[2].id, 0xc);
    CU_ASSERT_EQUAL(rpt_spans_traces(st.v, st.n), 1);
    CU_ASSERT_EQUAL(spancheck("zipkin", dir, "spans.json", NULL), 0);
    CU_ASSERT_EQUAL(spancheck("otlp", dir, "spans.otlp.json", NULL), 0);
    /* the same check fails when the retry's first attempt is missing */
    struct rpt_spans gap = {0};
    rpt_spans_add(&gap, &v[0]);
    rpt_spans_add(&gap, &v[2]);
    CU_ASSERT_EQUAL(rpt_spans_file(&gap, RPT_SPANS_ZIPKIN, flag_names, RPT_SPAN_EPOCH_US, dir,
                                   "gap.json", &err),
                    0);
    CU_ASSERT_EQUAL(spancheck("zipkin", dir, "gap.json", NULL), 1);
    /* a folder that is not there: the error names the file */
    CU_ASSERT_EQUAL(
        rpt_spans_file(&st, RPT_SPANS_ZIPKIN, flag_names, 0, "/nonexistent/x", "spans.json", &err),
        -1);
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "/nonexistent/x/spans.json"));
    free(err);
    char *rm = fl_asprintf("rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(rm), 0);
    free(rm);
    rpt_spans_free(&gap);
    rpt_spans_free(&st);
}

/*
 * A random subtree under p: calls of 1 to 3 attempts in sequence (the
 * failed ones with an error), each answered by a server span inside it,
 * which calls on; times in nanoseconds off the microsecond grid, some
 * spans zero long.
 */
static void grow(struct rpt_spans *st, struct fl_rng *r, const struct rpt_span *p, int depth,
                 uint64_t *next_id)
{
    int64_t len = p->end_ns - p->start_ns;
    if (depth >= 4 || len < 8) return;
    uint32_t k = 1 + (uint32_t)fl_rng_below(r, 3);
    int64_t slot = len / k;
    for (uint32_t a = 1; a <= k; a++) {
        struct rpt_span c = *p;
        c.id = (*next_id)++;
        c.parent = p->id;
        c.kind = 1;
        c.attempt = a;
        c.cluster = "api";
        c.peer = "api-0";
        c.error = a < k;
        c.reason = a < k ? "5xx" : NULL;
        c.start_ns =
            p->start_ns + (a - 1) * slot + (int64_t)fl_rng_below(r, (uint64_t)slot / 4 + 1);
        c.end_ns = c.start_ns + (int64_t)fl_rng_below(r, (uint64_t)slot / 2 + 1);
        rpt_spans_add(st, &c);
        struct rpt_span sv = c;
        sv.id = (*next_id)++;
        sv.parent = c.id;
        sv.kind = 2;
        sv.attempt = 0;
        sv.service = depth % 2 ? "api" : "db";
        sv.peer = sv.cluster = NULL;
        int64_t clen = c.end_ns - c.start_ns;
        sv.start_ns = c.start_ns + (int64_t)fl_rng_below(r, (uint64_t)clen / 8 + 1);
        sv.end_ns = c.end_ns - (int64_t)fl_rng_below(r, (uint64_t)(c.end_ns - sv.start_ns) + 1);
        rpt_spans_add(st, &sv);
        grow(st, r, &sv, depth + 1, next_id);
    }
}

/*
 * 300 random traces (64- and 128-bit ids, nested times off the microsecond
 * grid, retries): spancheck accepts both files without any allowance, so
 * the rounding to microseconds keeps every child inside its parent.
 */
static void test_spans_random_traces_valid(void)
{
    CU_ASSERT_EQUAL_FATAL(access(spancheck_path(), X_OK), 0);
    struct fl_rng r;
    fl_rng_seed(&r, 20260101);
    struct rpt_spans st = {0};
    uint64_t next_id = 1;
    for (int t = 0; t < 300; t++) {
        struct rpt_span root = {.trace_hi = t % 2 ? fl_rng_next(&r) : 0,
                                .trace_lo = fl_rng_next(&r) | 1,
                                .id = next_id++,
                                .name = "GET /api",
                                .service = "gateway",
                                .method = "GET",
                                .path = "/api",
                                .status = 200,
                                .kind = 2};
        root.start_ns = (int64_t)fl_rng_below(&r, 60000000000ULL);
        root.end_ns = root.start_ns + (int64_t)fl_rng_below(&r, 50000000);
        rpt_spans_add(&st, &root);
        grow(&st, &r, &root, 0, &next_id);
    }
    CU_ASSERT(st.n > 1000);
    char dir[] = "/tmp/fl-spans-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char *err = NULL;
    CU_ASSERT_EQUAL(rpt_spans_file(&st, RPT_SPANS_ZIPKIN, flag_names, RPT_SPAN_EPOCH_US, dir,
                                   "spans.json", &err),
                    0);
    CU_ASSERT_EQUAL(rpt_spans_file(&st, RPT_SPANS_OTLP, flag_names, RPT_SPAN_EPOCH_US, dir,
                                   "spans.otlp.json", &err),
                    0);
    CU_ASSERT_EQUAL(rpt_spans_traces(st.v, st.n), 300);
    CU_ASSERT_EQUAL(spancheck("zipkin", dir, "spans.json", NULL), 0);
    CU_ASSERT_EQUAL(spancheck("otlp", dir, "spans.otlp.json", NULL), 0);
    char *rm = fl_asprintf("rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(rm), 0);
    free(rm);
    rpt_spans_free(&st);
}

void suite_spans_out(void)
{
    TEST_SUITE("spans_out");
    TEST_ADD(test_spans_zipkin_exact_text);
    TEST_ADD(test_spans_otlp_exact_text);
    TEST_ADD(test_spans_empty_exports_are_valid_json);
    TEST_ADD(test_spans_otlp_one_resource_per_service);
    TEST_ADD(test_spans_escape_any_byte);
    TEST_ADD(test_spans_trace_id_widths);
    TEST_ADD(test_spans_duration_rounding);
    TEST_ADD(test_spans_unnamed_flags_and_local_spans);
    TEST_ADD(test_spans_files_sorted_and_valid);
    TEST_ADD(test_spans_random_traces_valid);
}
