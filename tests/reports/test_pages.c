/*
 * test_pages.c - reports/pages.c and what it is made of: the plots' data
 * files and scripts (plot*.c), the .hgrm text (hgrm.c), the DOT text
 * (topology.c), the page (html.c) and running the tools (render.c), on a
 * small run built by hand. Drawing is left out here (render = 0) but in
 * the render tests; tests/pages.sh draws a whole run.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "reports/hgrm.h"
#include "reports/html.h"
#include "reports/pages.h"
#include "reports/plot.h"
#include "reports/render.h"
#include "reports/topology.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_pages(void);

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

static void add_event(struct rpt_run *run, int64_t at, const char *what, const char *subject,
                      const char *detail)
{
    run->timeline = fl_realloc(run->timeline, (run->n_timeline + 1) * sizeof *run->timeline);
    struct rpt_event *e = &run->timeline[run->n_timeline++];
    memset(e, 0, sizeof *e);
    e->at_ns = at;
    e->what = fl_strdup(what);
    e->subject = fl_strdup(subject);
    e->detail = fl_strdup(detail);
}

static void add_request(struct rpt_run *run, uint32_t route, int64_t start, int64_t lat,
                        int outcome, uint32_t tries)
{
    struct rpt_request rq = {start, lat, 0, 0, 0, route, outcome, tries};
    rpt_run_add_request(run, &rq);
    rpt_stats_record(&run->routes[route], lat, outcome, tries);
    rpt_stats_record(&run->all, lat, outcome, tries);
    int64_t end = start + lat;
    rpt_series_record(&run->series.routes[route], run->series.window_ns, end, lat, outcome, tries);
    rpt_series_record(&run->series.all, run->series.window_ns, end, lat, outcome, tries);
}

static void add_edge(struct rpt_run *run, const char *name, int n, int errors, int64_t lat)
{
    struct rpt_stats *e = &run->edges[run->n_edges++];
    rpt_stats_init(e, name);
    for (int i = 0; i < n; i++) rpt_stats_record(e, lat, i < errors ? 503 : 200, 1);
}

/*
 * shop, seed 7, 4 s: /api (a 200 of 5 ms at 1 s, a 503 of 20 ms at 2 s,
 * a connect failure of 0 ms at 2.5 s) and a route whose name needs
 * escaping (a 200 of 1 ms at 3 s); a fault from 2 s to 3 s; 1 s windows;
 * web -> api (10% errors) and api -> db.
 */
static void build_run(struct rpt_run *run, const char *odd_name)
{
    memset(run, 0, sizeof *run);
    run->scenario = fl_strdup("shop");
    run->seed = 7;
    run->sim_ns = 4 * S;
    rpt_stats_init(&run->all, "all");
    run->n_routes = 2;
    run->routes = fl_calloc(2, sizeof *run->routes);
    rpt_stats_init(&run->routes[0], "/api");
    rpt_stats_init(&run->routes[1], odd_name);
    run->series.window_ns = S;
    rpt_series_init(&run->series.all, "all");
    run->series.n_routes = 2;
    run->series.routes = fl_calloc(2, sizeof *run->series.routes);
    rpt_series_init(&run->series.routes[0], "/api");
    rpt_series_init(&run->series.routes[1], odd_name);
    add_request(run, 0, 1 * S, 5 * MS, 200, 1);
    add_request(run, 0, 2 * S, 20 * MS, 503, 2);
    add_request(run, 0, 2 * S + S / 2, 0, RPT_FAIL_CONNECT, 1);
    add_request(run, 1, 3 * S, 1 * MS, 200, 1);
    rpt_series_finish(&run->series, 4);
    add_event(run, 2 * S, "fault-start", "api", "slow-net: delay add 100ms, for 1s");
    add_event(run, 3 * S, "fault-end", "api", "slow-net: delay");
    run->n_services = 2;
    run->services = fl_calloc(2, sizeof *run->services);
    rpt_stats_init(&run->services[0].st, "api");
    rpt_stats_init(&run->services[1].st, "db");
    run->edges = fl_calloc(2, sizeof *run->edges);
    add_edge(run, "web -> api", 40, 4, 30 * MS);
    add_edge(run, "api -> db", 40, 2, 2 * MS);
}

static char *slurp(const char *dir, const char *name)
{
    char *path = fl_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

static char *make_dir(void)
{
    char *dir = fl_strdup("/tmp/fl-pages-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    return dir;
}

static void remove_tree(const char *dir)
{
    char *sub = fl_asprintf("%s/plots", dir);
    const char *const ds[] = {sub, dir};
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(ds[k]);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *p = fl_asprintf("%s/%s", ds[k], e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
        CU_ASSERT_EQUAL(rmdir(ds[k]), 0);
    }
    free(sub);
}

static int write_no_render(const struct rpt_run *run, const char *dir)
{
    struct rpt_pages_opts o = {0, 10};
    struct rpt_pages_result res;
    char *err = NULL;
    int rc = rpt_pages_write_opts(run, dir, &o, &res, &err);
    if (rc) fprintf(stderr, "\n  %s\n", err);
    free(err);
    CU_ASSERT_EQUAL(res.rendered, 0);
    CU_ASSERT_PTR_NOT_NULL(res.hint); /* nothing was drawn: the hint says how */
    rpt_pages_result_free(&res);
    return rc;
}

static void test_data_files(void)
{
    struct rpt_run run;
    build_run(&run, "/b");
    char *dir = make_dir();
    CU_ASSERT_EQUAL_FATAL(write_no_render(&run, dir), 0);
    char *lat = slurp(dir, "plots/latency.dat");
    CU_ASSERT_STRING_EQUAL(lat, "# faultline latency: one block per outcome class; columns: "
                                "start_s latency_ms\n"
                                "# 2xx\n"
                                "1.000000000 5.000000\n"
                                "3.000000000 1.000000\n"
                                "\n\n# 5xx\n"
                                "2.000000000 20.000000\n"
                                "\n\n# connect-failure\n"
                                "2.500000000 0.000000\n");
    char *win = slurp(dir, "plots/latency-windows.dat");
    CU_ASSERT_PTR_NOT_NULL_FATAL(win);
    /* windows 1, 2 and 3 hold one request each (by end time: 1.005, 2.02 / 2.5, 3.001) */
    CU_ASSERT_PTR_NOT_NULL(strstr(win, "\n1.000000000 2.000000000 5.000000 5.000000\n"
                                       "2.000000000 3.000000000 0.000000 20.000000\n"
                                       "3.000000000 4.000000000 1.000000 1.000000\n"));
    char *tput = slurp(dir, "plots/throughput.dat");
    CU_ASSERT_PTR_NOT_NULL(strstr(tput, "# /api\n0.500000000 0.000 0.000\n"
                                        "1.500000000 1.000 0.000\n"
                                        "2.500000000 2.000 100.000\n"
                                        "3.500000000 0.000 0.000\n\n\n# /b\n"));
    char *gp = slurp(dir, "plots/latency.gp");
    CU_ASSERT_PTR_NOT_NULL_FATAL(gp);
    /* the fault window shaded from its start to its end, and named */
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "set object 1 rect from 2.000000000, graph 0 to "
                                      "3.000000000, graph 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "set label 1 'slow-net (delay)' at 2.000000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "set title 'Request latency - shop (seed 7)'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "set ylabel 'latency (ms)'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "set output 'plots/latency.png'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "set output 'plots/latency.svg'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gp, "index 2 using 1:($2 > 0.001 ? $2 : 0.001) with points pt 7 "
                                      "ps 0.35 lc rgb '#8c564b' title 'connect-failure'"));
    /* no slowest trace: no waterfall, and the page says why */
    char *wf = slurp(dir, "plots/waterfall.dat");
    CU_ASSERT_PTR_NULL(wf);
    char *page = slurp(dir, "index.html");
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "Not drawn: no trace of the slowest request"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "Not drawn: gnuplot is not installed") ||
                           strstr(page, "Not drawn: drawing"));
    free(lat);
    free(win);
    free(tput);
    free(gp);
    free(page);
    remove_tree(dir);
    free(dir);
    rpt_run_free(&run);
}

/*
 * 120,000 listed requests are thinned to at most 50,000 points, but never
 * the tail: each of the 120 requests of 100 ms (above the p99) and each of
 * the 155 503s is drawn; the bulk is drawn one in k, and the title says so.
 */
static void test_latency_thinning_keeps_the_tail(void)
{
    struct rpt_run run;
    build_run(&run, "/b");
    size_t slow = 0, errors = 0;
    for (int i = 0; i < 120000; i++) {
        int64_t lat = MS + (i % 100) * 1000;
        int outcome = 200;
        if (i % 1000 == 999) {
            lat = 100 * MS;
            slow++;
        } else if (i % 777 == 776) {
            outcome = 503;
            errors++;
        }
        add_request(&run, 0, (int64_t)i * 30000, lat, outcome, 1);
    }
    char *dir = make_dir();
    CU_ASSERT_EQUAL_FATAL(write_no_render(&run, dir), 0);
    char *lat = slurp(dir, "plots/latency.dat");
    CU_ASSERT_FATAL(lat != NULL);
    size_t points = 0, hundred = 0;
    for (char *line = strtok(lat, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        points++;
        if (strstr(line, " 100\0") ||
            (strlen(line) > 4 && !strcmp(line + strlen(line) - 4, " 100")))
            hundred++;
    }
    CU_ASSERT(points <= 50000 + 10);
    CU_ASSERT(points > 40000);
    CU_ASSERT_EQUAL(hundred, slow); /* every slow one */
    char *gp = slurp(dir, "plots/latency.gp");
    CU_ASSERT(gp && strstr(gp, "requests; all errors and above p99)"));
    free(gp);
    free(lat);
    /* every 503 drawn: the 5xx block holds them all (plus the one build_run made) */
    lat = slurp(dir, "plots/latency.dat");
    char *five = lat ? strstr(lat, "# 5xx\n") : NULL;
    CU_ASSERT_FATAL(five != NULL);
    size_t n5 = 0;
    for (char *c = five + 6; *c && *c != '#'; c++) /* lines of points, not the blank ones */
        n5 += *c == '\n' && c[1] >= '0' && c[1] <= '9';
    n5 += five[6] >= '0' && five[6] <= '9'; /* the block's first line */
    CU_ASSERT_EQUAL(n5, errors + 1);
    free(lat);
    remove_tree(dir);
    free(dir);
    rpt_run_free(&run);
}

static void test_hgrm(void)
{
    struct rpt_hist h;
    rpt_hist_init(&h);
    /* both values are their buckets' middles: 2^20 + 2^12 and 2^22 + 2^14 ns */
    for (int i = 0; i < 9; i++) rpt_hist_record(&h, 1052672);
    rpt_hist_record(&h, 4210688);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_hgrm_write(&h, f);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "       Value     Percentile TotalCount 1/(1-Percentile)\n"
                                "\n"
                                "       1.053 0.000000000000          9           1.00\n"
                                "       1.053 0.100000000000          9           1.11\n"
                                "       1.053 0.200000000000          9           1.25\n"
                                "       1.053 0.300000000000          9           1.43\n"
                                "       1.053 0.400000000000          9           1.67\n"
                                "       1.053 0.500000000000          9           2.00\n"
                                "       1.053 0.550000000000          9           2.22\n"
                                "       1.053 0.600000000000          9           2.50\n"
                                "       1.053 0.650000000000          9           2.86\n"
                                "       1.053 0.700000000000          9           3.33\n"
                                "       1.053 0.750000000000          9           4.00\n"
                                "       1.053 0.775000000000          9           4.44\n"
                                "       1.053 0.800000000000          9           5.00\n"
                                "       1.053 0.825000000000          9           5.71\n"
                                "       1.053 0.850000000000          9           6.67\n"
                                "       1.053 0.875000000000          9           8.00\n"
                                "       1.053 0.887500000000          9           8.89\n"
                                "       1.053 0.900000000000          9          10.00\n"
                                "       4.211 0.912500000000         10          11.43\n"
                                "       4.211 1.000000000000         10\n"
                                "#[Mean    =        1.368, StdDeviation   =        0.947]\n"
                                "#[Max     =        4.211, Total count    =           10]\n"
                                "#[Buckets =           16, SubBuckets     =          256]\n");
    free(buf);
    struct rpt_hgrm_row *rows;
    CU_ASSERT_EQUAL(rpt_hgrm_rows(&h, &rows), 20);
    CU_ASSERT_EQUAL(rows[17].total, 9);
    CU_ASSERT_EQUAL(rows[17].value_ns, rpt_hist_quantile(&h, 0.9)); /* the summary's p90 */
    free(rows);
    rpt_hist_free(&h);
}

static void test_dot(void)
{
    struct rpt_run run;
    build_run(&run, "/b");
    run.series.window_ns = 0; /* rates over the whole run: 40 requests in 4 s */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_topology_dot(&run, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "label=\"Service graph - shop (seed 7)\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  \"web\" [shape=ellipse, style=filled, fillcolor="
                                       "\"#e8eef7\", label=\"web\\n(workload)\"];\n"));
    /* 10% errors: above 5%, red */
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  \"web\" -> \"api\" [label=\"10.0 rps\\n10.00% err\\n"
                                       "P99 30ms\", color=\"#d62728\", fontcolor=\"#d62728\", "
                                       "penwidth=2.5];\n"));
    /* 5%: not above, grey */
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  \"api\" -> \"db\" [label=\"10.0 rps\\n5.00% err\\n"
                                       "P99 2ms\", color=\"#555555\", fontcolor=\"#333333\"];\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  \"db\" [shape=box"));
    free(buf);
    rpt_run_free(&run);
}

static void test_html_escaping(void)
{
    struct rpt_run run;
    build_run(&run, "/q?a=1&b=<script>alert(\"x\")</script>'");
    char *dir = make_dir();
    CU_ASSERT_EQUAL_FATAL(write_no_render(&run, dir), 0);
    char *page = slurp(dir, "index.html");
    CU_ASSERT_PTR_NOT_NULL_FATAL(page);
    CU_ASSERT_PTR_NULL(strstr(page, "<script"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<td>/q?a=1&amp;b=&lt;script&gt;alert(&quot;x&quot;)&lt;"
                                        "/script&gt;&#39;</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<meta name=\"viewport\""));
    CU_ASSERT_PTR_NULL(strstr(page, "http://"));
    CU_ASSERT_PTR_NULL(strstr(page, "https://"));
    /* the fault in the event log, the outcomes per route */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<td>fault-start</td><td>api</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<th>connect-failure</th>"));
    /* in gnuplot's quotes a quote is doubled */
    char *gp = slurp(dir, "plots/throughput.gp");
    CU_ASSERT_PTR_NOT_NULL(gp && strstr(gp, "title '/q?a=1&b=<script>alert(\"x\")</script>'''"));
    free(gp);
    free(page);
    remove_tree(dir);
    free(dir);
    rpt_run_free(&run);
}

static void test_html_base64(void)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {
        "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"}; /* RFC 4648, section 10 */
    for (size_t i = 0; i < 7; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        rpt_html_base64(f, (const unsigned char *)in[i], strlen(in[i]));
        fclose(f);
        CU_ASSERT_STRING_EQUAL(buf, out[i]);
        free(buf);
    }
}

static const char *const det_files[] = {
    "plots/latency.dat",       "plots/latency-windows.dat", "plots/latency.gp",
    "plots/throughput.dat",    "plots/throughput.gp",       "plots/percentiles.dat",
    "plots/percentiles.gp",    "plots/latency.hgrm",        "plots/latency-1-_api.hgrm",
    "plots/latency-2-_b.hgrm", "plots/topology.dot",        "index.html",
};

static void test_determinism(void)
{
    struct rpt_run a, b;
    build_run(&a, "/b");
    build_run(&b, "/b");
    char *d1 = make_dir(), *d2 = make_dir();
    CU_ASSERT_EQUAL_FATAL(write_no_render(&a, d1), 0);
    CU_ASSERT_EQUAL_FATAL(write_no_render(&b, d2), 0);
    CU_ASSERT_EQUAL_FATAL(write_no_render(&a, d1), 0); /* again over the first: the same */
    for (size_t i = 0; i < sizeof det_files / sizeof det_files[0]; i++) {
        char *x = slurp(d1, det_files[i]), *y = slurp(d2, det_files[i]);
        if (!x || !y || strcmp(x, y)) fprintf(stderr, "\n  %s differs\n", det_files[i]);
        CU_ASSERT(x && y && !strcmp(x, y));
        free(x);
        free(y);
    }
    remove_tree(d1);
    remove_tree(d2);
    free(d1);
    free(d2);
    rpt_run_free(&a);
    rpt_run_free(&b);
}

static void test_waterfall(void)
{
    struct rpt_run run;
    build_run(&run, "/b");
    run.n_slowest = 1;
    run.slowest = fl_calloc(1, sizeof *run.slowest);
    struct rpt_slow *sl = &run.slowest[0];
    sl->route = fl_strdup("/api");
    sl->latency_ns = 40 * MS;
    sl->trace_lo = 0xabc;
    sl->n_spans = 4;
    sl->spans = fl_calloc(4, sizeof *sl->spans);
    /* gateway server span; its first attempt fails (503), the retry succeeds at the pod */
    sl->spans[0] = (struct rpt_span){.trace_lo = 0xabc,
                                     .id = 1,
                                     .name = "GET /api",
                                     .service = "gateway",
                                     .start_ns = 1 * S,
                                     .end_ns = 1 * S + 40 * MS,
                                     .status = 200,
                                     .kind = 2};
    sl->spans[1] = (struct rpt_span){.trace_lo = 0xabc,
                                     .id = 2,
                                     .parent = 1,
                                     .name = "api",
                                     .service = "gateway",
                                     .start_ns = 1 * S + 1 * MS,
                                     .end_ns = 1 * S + 11 * MS,
                                     .status = 503,
                                     .attempt = 1,
                                     .kind = 1,
                                     .error = 1};
    sl->spans[2] = (struct rpt_span){.trace_lo = 0xabc,
                                     .id = 3,
                                     .parent = 1,
                                     .name = "api",
                                     .service = "gateway",
                                     .start_ns = 1 * S + 20 * MS,
                                     .end_ns = 1 * S + 39 * MS,
                                     .status = 200,
                                     .attempt = 2,
                                     .kind = 1,
                                     .reason = "5xx"};
    sl->spans[3] = (struct rpt_span){.trace_lo = 0xabc,
                                     .id = 4,
                                     .parent = 3,
                                     .name = "GET /api",
                                     .service = "api",
                                     .start_ns = 1 * S + 21 * MS,
                                     .end_ns = 1 * S + 38 * MS,
                                     .status = 200,
                                     .kind = 2};
    char *dir = make_dir();
    CU_ASSERT_EQUAL_FATAL(write_no_render(&run, dir), 0);
    char *wf = slurp(dir, "plots/waterfall.dat");
    CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
    CU_ASSERT_STRING_EQUAL(strchr(wf, '\n') + 1,
                           "0 0.000000 40.000000 1 \"gateway: GET /api\" \"\"\n"
                           "1 1.000000 11.000000 4 \"  gateway: api\" \"error 503\"\n"
                           "2 20.000000 39.000000 3 \"  gateway: api\" \"retry 1, 5xx\"\n"
                           "3 21.000000 38.000000 1 \"    api: GET /api\" \"\"\n");
    char *gp = slurp(dir, "plots/waterfall.gp");
    CU_ASSERT_PTR_NOT_NULL(gp && strstr(gp, "Slowest request: /api, 40ms, trace "
                                            "00000000000000000000000000000abc - shop (seed 7)"));
    CU_ASSERT_PTR_NOT_NULL(gp && strstr(gp, "set xlabel 'time since the request started (ms)'"));
    free(gp);
    free(wf);
    remove_tree(dir);
    free(dir);
    rpt_run_free(&run);
}

static void test_render(void)
{
    CU_ASSERT_PTR_NULL(rpt_render_which("faultline-no-such-program"));
    char *sh = rpt_render_which("sh");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
    char *err = NULL;
    const char *ok[] = {sh, "-c", "echo fine; exit 0", NULL};
    CU_ASSERT_EQUAL(rpt_render_run(ok, "/", 5, &err), 0);
    const char *bad[] = {sh, "-c", "echo oops >&2; exit 3", NULL};
    CU_ASSERT_EQUAL(rpt_render_run(bad, "/", 5, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "exited with status 3") && strstr(err, "oops"));
    free(err);
    err = NULL;
    /* the time limit: a program that would run 30 s is stopped after 1 s */
    const char *slow[] = {sh, "-c", "exec sleep 30", NULL};
    CU_ASSERT_EQUAL(rpt_render_run(slow, "/", 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "took more than 1s"));
    free(err);
    free(sh);
}

static uint64_t series_count(const struct rpt_series *s)
{
    uint64_t n = 0;
    for (size_t k = 0; k < s->n_pts; k++) n += s->pts[k].count;
    return n;
}

/* The simulator records each edge's whole-run figures with its series. */
static void test_edges_recorded(void)
{
    static const char text[] =
        "faultline: 1\n"
        "duration: 10s\n"
        "services:\n"
        "  - {name: db, workers: 8, service_time: 2ms, errors: {rate: 20%, status: 503}}\n"
        "  - {name: api, workers: 8, service_time: 1ms, calls: [{service: db, path: /q}]}\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n";
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL_FATAL(r.n_edges, 2);
    CU_ASSERT_EQUAL_FATAL(r.series.n_edges, 2);
    for (size_t i = 0; i < 2; i++) {
        CU_ASSERT_STRING_EQUAL(r.edges[i].name, r.series.edges[i].name);
        CU_ASSERT_EQUAL(r.edges[i].count, series_count(&r.series.edges[i]));
    }
    CU_ASSERT_STRING_EQUAL(r.edges[0].name, "c -> api");
    CU_ASSERT_STRING_EQUAL(r.edges[1].name, "api -> db");
    /* the workload's edge sees exactly the run's requests */
    CU_ASSERT_EQUAL(r.edges[0].count, r.all.count);
    CU_ASSERT_EQUAL(r.edges[0].errors, r.all.errors);
    CU_ASSERT_EQUAL(rpt_hist_quantile(&r.edges[0].hist, 0.99),
                    rpt_hist_quantile(&r.all.hist, 0.99));
    /* ~1000 calls, 20% failing: sigma 1.3%, bound 5 sigma */
    CU_ASSERT(r.edges[1].count >= 990 && r.edges[1].count <= 1000);
    ASSERT_ABS((double)r.edges[1].errors / (double)r.edges[1].count, 0.20, 0.065);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rpt_topology_dot(&r, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"api\" -> \"db\" [label=\"99.9 rps\\n") ||
                           strstr(buf, "\"api\" -> \"db\" [label=\"100.0 rps\\n"));
    const char *db = strstr(buf, "\"api\" -> \"db\"");
    CU_ASSERT_PTR_NOT_NULL(db && strstr(db, "color=\"#d62728\"")); /* 20% errors: red */
    free(buf);
    rpt_run_free(&r);
}

void suite_pages(void)
{
    TEST_SUITE("pages");
    TEST_ADD(test_data_files);
    TEST_ADD(test_latency_thinning_keeps_the_tail);
    TEST_ADD(test_hgrm);
    TEST_ADD(test_dot);
    TEST_ADD(test_html_escaping);
    TEST_ADD(test_html_base64);
    TEST_ADD(test_determinism);
    TEST_ADD(test_waterfall);
    TEST_ADD(test_render);
    TEST_ADD(test_edges_recorded);
}
