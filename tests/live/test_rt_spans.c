/*
 * test_rt_spans.c - live/rt_spans.c: the live runtime's span op keeps the
 * proxy's sampled spans (and drops the others at once), their times
 * counted from when keeping began, up to its cap; written out with the
 * start as epoch microseconds, the files are valid for spancheck
 * (tests/tools/spancheck.c) and carry the times to the microsecond.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "live/rt.h"
#include "reports/spans_files.h"
#include "tests/testutil.h"

void suite_live_rt_spans(void);

#define MS INT64_C(1000000)

/* A span of one trace as the proxy reports it: times of the runtime's clock (Unix ns). */
static struct px_span span_at(int64_t t0, uint64_t id, uint64_t parent, int kind, int64_t from_ms,
                              int64_t to_ms, uint32_t attempt)
{
    struct px_span s;
    memset(&s, 0, sizeof s);
    s.trace_hi = 0x4bf92f3577b34da6ULL;
    s.trace_lo = 0xa3ce929d0e0e4736ULL;
    s.id = id;
    s.parent = parent;
    s.name = "GET /api";
    s.kind = kind;
    s.start_ns = t0 + from_ms * MS;
    s.end_ns = t0 + to_ms * MS;
    s.service = "kong";
    s.peer = kind == PX_SPAN_CLIENT ? "127.0.0.1:8081" : NULL;
    s.cluster = kind == PX_SPAN_CLIENT ? "backend" : NULL;
    s.status = 200;
    s.attempt = attempt;
    s.sampled = 1;
    return s;
}

static int spancheck_ok(const char *format, const char *path)
{
    const char *sc = getenv("SPANCHECK") ? getenv("SPANCHECK") : "build/spancheck";
    char *cmd = fl_asprintf("%s %s %s >/dev/null", sc, format, path);
    int rc = system(cmd);
    free(cmd);
    return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

static void test_live_spans_kept_capped_and_written(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct live_rt rt;
    live_rt_init(&rt, loop, 1, 0);
    struct rpt_spans st = {0};
    struct px_span s = span_at(0, 1, 0, PX_SPAN_SERVER, 0, 1, 0);
    rt.base.ops->span(&rt.base, &s); /* before keeping began: not kept */
    live_rt_keep_spans(&rt, &st, 3);
    CU_ASSERT_EQUAL(st.n, 0);
    int64_t t0 = rt.spans_t0_ns;
    /* the clock reads as Unix time: t0 is after 2026-01-01 */
    CU_ASSERT(live_rt_spans_epoch_us(&rt) > 1767225600000000LL);
    CU_ASSERT_EQUAL(live_rt_spans_epoch_us(&rt), t0 / 1000);
    struct px_span v[5] = {
        span_at(t0, 0xa, 0, PX_SPAN_SERVER, 10, 50, 0),
        span_at(t0, 0xb, 0xa, PX_SPAN_CLIENT, 11, 20, 1),
        span_at(t0, 0xc, 0xa, PX_SPAN_CLIENT, 21, 40, 2),
        span_at(t0, 0xd, 0xa, PX_SPAN_CLIENT, 41, 45, 3),
        span_at(t0, 0xe, 0, PX_SPAN_SERVER, 60, 61, 0),
    };
    v[1].status = 503;
    v[1].error = 1;
    v[1].reason = "5xx";
    v[4].sampled = 0; /* dropped at once: not counted */
    v[4].trace_lo = 7;
    for (int i = 4; i >= 0; i--) rt.base.ops->span(&rt.base, &v[i]); /* any order */
    CU_ASSERT_EQUAL(st.n, 3);
    CU_ASSERT_EQUAL(st.dropped, 1); /* the cap of 3: 0xa, the last fed, is the one dropped */
    for (size_t i = 0; i < st.n; i++) CU_ASSERT(st.v[i].id != 0xa);

    /* within the cap: a whole trace, written and read back */
    struct rpt_spans whole = {0};
    rt.spans = NULL;
    live_rt_keep_spans(&rt, &whole, 10);
    t0 = rt.spans_t0_ns;
    v[0] = span_at(t0, 0xa, 0, PX_SPAN_SERVER, 10, 50, 0);
    for (int i = 1; i < 4; i++) /* attempts 1..3, 11-19 ms, 21-29 ms, 31-39 ms */
        v[i] = span_at(t0, 0xa + (uint64_t)i, 0xa, PX_SPAN_CLIENT, 10 * i + 1, 10 * i + 9,
                       (uint32_t)i);
    for (int i = 3; i >= 0; i--) rt.base.ops->span(&rt.base, &v[i]);
    CU_ASSERT_EQUAL_FATAL(whole.n, 4);
    CU_ASSERT_EQUAL(whole.dropped, 0);
    CU_ASSERT_EQUAL(whole.v[3].start_ns, 10 * MS); /* times since keeping began */
    CU_ASSERT_STRING_EQUAL(whole.v[0].service, "kong");
    char dir[] = "/tmp/fl-live-spans-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char *err = NULL;
    int64_t epoch_us = live_rt_spans_epoch_us(&rt);
    CU_ASSERT_EQUAL(rpt_spans_file(&whole, RPT_SPANS_ZIPKIN, NULL, epoch_us, dir, "z.json", &err),
                    0);
    CU_ASSERT_EQUAL(rpt_spans_file(&whole, RPT_SPANS_OTLP, NULL, epoch_us, dir, "o.json", &err), 0);
    char *z = fl_asprintf("%s/z.json", dir), *o = fl_asprintf("%s/o.json", dir);
    CU_ASSERT(spancheck_ok("zipkin", z));
    CU_ASSERT(spancheck_ok("otlp", o));
    /* the server span: its caller's 128-bit trace, the start 10 ms after keeping began */
    char want[160];
    snprintf(want, sizeof want,
             "{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"id\":\"000000000000000a\","
             "\"kind\":\"SERVER\",\"name\":\"get /api\",\"timestamp\":%lld,\"duration\":40000,",
             (long long)(epoch_us + 10000));
    FILE *f = fopen(z, "r");
    char line[1024] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f)); /* "[" */
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    fclose(f);
    CU_ASSERT(!strncmp(line, want, strlen(want)));
    if (strncmp(line, want, strlen(want))) fprintf(stderr, "\n  want %s\n  got  %s", want, line);
    char *rm = fl_asprintf("rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(rm), 0);
    free(rm);
    free(z);
    free(o);
    rpt_spans_free(&whole);
    rpt_spans_free(&st);
    live_rt_fini(&rt);
    ev_loop_destroy(loop);
}

void suite_live_rt_spans(void)
{
    TEST_SUITE("live/rt_spans");
    TEST_ADD(test_live_spans_kept_capped_and_written);
}
