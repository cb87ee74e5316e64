/*
 * test_load.c - the scenario loader (sim/load.c, load_services.c,
 * load_workload.c, load_dist.c): scenario text is written to a temporary
 * file and loaded as `faultline run` loads it. A full scenario comes back
 * field by field; absent keys take their documented defaults; --set and
 * --seed change what was written; mistakes are refused with the exact
 * "file:line:col: message". The files of tests/bad/ are run by
 * tests/scenarios.sh; the errors here are the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "sim/scenario.h"
#include "tests/testutil.h"

void suite_load(void);

#define US INT64_C(1000)
#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr, "\n  test_load.c:%d: got      \"%s\"\n  test_load.c:%d: expected \"%s\"\n",
                line, actual ? actual : "(null)", line, expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

/* Writes text to a new /tmp/fl-load-XXXXXX.yaml; returns its path (caller removes and frees). */
static char *write_temp(const char *text)
{
    char *path = fl_strdup("/tmp/fl-load-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    CU_ASSERT_FATAL(fd >= 0);
    size_t len = strlen(text);
    CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
    close(fd);
    return path;
}

/*
 * Loads text with the given overrides and seed (may be NULL). Returns the
 * loader's result; *path_out is the file's path (removed already; caller
 * frees) and *err its message.
 */
static int load_text(const char *text, const char *const *sets, size_t n_sets, const uint64_t *seed,
                     struct sim_scenario *s, char **path_out, char **err)
{
    char *path = write_temp(text);
    *err = NULL;
    int rc = sim_scenario_load(path, sets, n_sets, seed, s, err);
    unlink(path);
    *path_out = path;
    return rc;
}

/* Loads text that must be valid; fails the test otherwise. */
static void load_ok(const char *text, const char *const *sets, size_t n_sets, const uint64_t *seed,
                    struct sim_scenario *s)
{
    char *path, *err;
    int rc = load_text(text, sets, n_sets, seed, s, &path, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    ASSERT_STR(s->file, path);
    free(path);
}

/* An empty scenario, as a failed load must leave it. */
static int is_empty(const struct sim_scenario *s)
{
    static const struct sim_scenario zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}

/*
 * Loads text that must fail with "PATH:" + want (want starts with
 * "line:col: ", or is the whole message when it starts with "--set", where
 * PATH stands for the file's path).
 * The scenario must come back empty, and freeing it again is harmless.
 */
static void fails_with_sets(const char *text, const char *const *sets, size_t n_sets,
                            const char *want, int line)
{
    struct sim_scenario s;
    char *path, *err;
    int rc = load_text(text, sets, n_sets, NULL, &s, &path, &err);
    CU_ASSERT_EQUAL(rc, -1);
    char *full = strncmp(want, "--set", 5) ? fl_asprintf("%s:%s", path, want) : fl_strdup(want);
    char *at = strstr(full, "PATH"); /* "--set ...: 'services' (PATH:5:3) ..." */
    if (at) {
        char *with = fl_asprintf("%.*s%s%s", (int)(at - full), full, path, at + 4);
        free(full);
        full = with;
    }
    CU_ASSERT(str_is(err, full, line));
    CU_ASSERT(is_empty(&s));
    sim_scenario_free(&s);
    free(full);
    free(err);
    free(path);
}
#define FAILS(text, want) fails_with_sets((text), NULL, 0, (want), __LINE__)
#define FAILS_SET(text, sets, n_sets, want)                                                        \
    fails_with_sets((text), (sets), (n_sets), (want), __LINE__)

/* ---- a full scenario ---- */

static const char *const full_text =
    "faultline: 1\n"
    "name: shop\n"
    "seed: 42\n"
    "duration: 90s\n"
    "warmup: 5s\n"
    "drain: 30s\n"
    "network:\n"
    "  delay: 1ms\n"
    "  jitter: 200us\n"
    "  distribution: normal\n"
    "  correlation: 25%\n"
    "  loss: 0.1%\n"
    "  rate: 1gbit\n"
    "  queue: 500\n"
    "  links:\n"
    "    - {from: mobile, to: front, delay: 20ms, jitter: 2ms}\n"
    "    - {from: front, to: stock, loss: {model: gemodel, p: 2%}}\n"
    "    - {from: bots, to: front, distribution: pareto, rate: 10mbit,\n"
    "       loss: {model: gemodel, p: 1%, r: 30%, 1-h: 50%, 1-k: 0.5%}}\n"
    "services:\n"
    "  - name: stock\n"
    "    replicas: 3\n"
    "    workers: 8\n"
    "    queue: 128\n"
    "    service_time: {dist: exponential, mean: 5ms}\n"
    "    errors: {rate: 0.5%, status: 500}\n"
    "    response_size: 2KiB\n"
    "    labels: {tier: backend}\n"
    "  - name: pay\n"
    "    service_time: {dist: lognormal, p50: 10ms, p99: 80ms}\n"
    "    errors: {rate: 1%}\n"
    "    calls:\n"
    "      - {service: stock}\n"
    "  - name: front\n"
    "    replicas: 2\n"
    "    workers: 32\n"
    "    service_time: 8ms\n"
    "    labels: {tier: edge, team: web}\n"
    "    calls:\n"
    "      - {service: pay, method: POST, path: /charge, size: 2KiB}\n"
    "      - {service: stock, method: PUT, path: /reserve, on_error: ignore}\n"
    "    versions:\n"
    "      - {name: v1, replicas: 3}\n"
    "      - name: v2\n"
    "        workers: 4\n"
    "        service_time: {dist: uniform, min: 10ms, max: 14ms}\n"
    "        response_size: 512B\n"
    "        labels: {track: beta}\n"
    "        calls:\n"
    "          - {service: stock, path: /peek}\n"
    "workload:\n"
    "  - name: mobile\n"
    "    target: front\n"
    "    arrival: poisson\n"
    "    rate: 400/s\n"
    "    requests:\n"
    "      - {method: POST, path: /api/checkout, weight: 70, size: 4KiB}\n"
    "      - {path: /api/cart, weight: 30,\n"
    "         headers: {user-agent: \"Mozilla/5.0 (iPhone)\", x-trace: \"1\"}}\n"
    "    retry:\n"
    "      retries: 2\n"
    "      backoff: {base: 50ms, cap: 1s, jitter: equal}\n"
    "      timeout: 1s\n"
    "      retry_on: \"5xx,429\"\n"
    "  - name: bots\n"
    "    target: pay\n"
    "    arrival: closed\n"
    "    clients: 10\n"
    "    think_time: {dist: exponential, mean: 1s}\n"
    "    requests:\n"
    "      - {path: /api/cart}\n"
    "      - {path: /api/pay, weight: 0.5}\n"
    "  - name: ticker\n"
    "    target: stock\n"
    "    arrival: constant\n"
    "    rate: 30/m\n"
    "    requests: [{method: DELETE, path: /api/checkout}]\n"
    "assertions:\n"
    "  - {route: /api/checkout, p99: \"< 400ms\", error_rate: \"<= 1%\"}\n"
    "  - {service: stock, p50: \"> 1ms\"}\n"
    "  - {error_rate: \"< 0.5%\"}\n"
    "  - {retry_amplification: \">= 1.05\"}\n"
    "  - {count: \"> 100\"}\n";

static void test_load_full_scenario_top_level_fields(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    ASSERT_STR(s.name, "shop");
    CU_ASSERT_EQUAL(s.seed, 42);
    CU_ASSERT_EQUAL(s.duration_ns, 90 * S);
    CU_ASSERT_EQUAL(s.warmup_ns, 5 * S);
    CU_ASSERT_EQUAL(s.drain_ns, 30 * S);
    CU_ASSERT_EQUAL(s.n_services, 3);
    CU_ASSERT_EQUAL(s.n_workloads, 3);
    CU_ASSERT_EQUAL(s.network.tcp.mss, 1460);
    sim_scenario_free(&s);
    CU_ASSERT(is_empty(&s));
}

static void test_load_network_defaults_apply_to_every_hop(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct net_link_cfg *c = &s.network.defaults;
    CU_ASSERT_EQUAL(c->delay_ns, 1 * MS);
    CU_ASSERT_EQUAL(c->jitter_ns, 200 * US);
    CU_ASSERT_EQUAL(c->dist, NET_JITTER_NORMAL);
    ASSERT_REL(c->correlation, 0.25, 1e-12);
    CU_ASSERT_EQUAL(c->loss.model, NET_LOSS_RANDOM);
    ASSERT_REL(c->loss.p, 0.001, 1e-12);
    CU_ASSERT_EQUAL(c->rate_bps, 1e9);
    CU_ASSERT_EQUAL(c->queue_packets, 500);
    sim_scenario_free(&s);
}

static void test_load_links_override_some_keys_and_inherit_the_rest(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    CU_ASSERT_EQUAL_FATAL(s.network.n_links, 3);
    const struct sim_link_cfg *l = s.network.links;
    ASSERT_STR(l[0].from, "mobile");
    ASSERT_STR(l[0].to, "front");
    CU_ASSERT_EQUAL(l[0].link.delay_ns, 20 * MS);
    CU_ASSERT_EQUAL(l[0].link.jitter_ns, 2 * MS);
    CU_ASSERT_EQUAL(l[0].link.dist, NET_JITTER_NORMAL);
    ASSERT_REL(l[0].link.correlation, 0.25, 1e-12);
    CU_ASSERT_EQUAL(l[0].link.loss.model, NET_LOSS_RANDOM);
    ASSERT_REL(l[0].link.loss.p, 0.001, 1e-12);
    CU_ASSERT_EQUAL(l[0].link.rate_bps, 1e9);
    CU_ASSERT_EQUAL(l[0].link.queue_packets, 500);
    /* gemodel with p only: r = 1 - p, 1-h = 100%, 1-k = 0 (netem) */
    ASSERT_STR(l[1].from, "front");
    ASSERT_STR(l[1].to, "stock");
    CU_ASSERT_EQUAL(l[1].link.delay_ns, 1 * MS);
    CU_ASSERT_EQUAL(l[1].link.loss.model, NET_LOSS_GEMODEL);
    ASSERT_REL(l[1].link.loss.p, 0.02, 1e-12);
    ASSERT_REL(l[1].link.loss.r, 0.98, 1e-12);
    CU_ASSERT_EQUAL(l[1].link.loss.bad_loss, 1.0);
    CU_ASSERT_EQUAL(l[1].link.loss.good_loss, 0.0);
    /* gemodel with every parameter */
    CU_ASSERT_EQUAL(l[2].link.dist, NET_JITTER_PARETO);
    CU_ASSERT_EQUAL(l[2].link.rate_bps, 1e7);
    CU_ASSERT_EQUAL(l[2].link.jitter_ns, 200 * US);
    CU_ASSERT_EQUAL(l[2].link.loss.model, NET_LOSS_GEMODEL);
    ASSERT_REL(l[2].link.loss.p, 0.01, 1e-12);
    ASSERT_REL(l[2].link.loss.r, 0.30, 1e-12);
    ASSERT_REL(l[2].link.loss.bad_loss, 0.50, 1e-12);
    ASSERT_REL(l[2].link.loss.good_loss, 0.005, 1e-12);
    /* the defaults themselves are untouched by the links */
    CU_ASSERT_EQUAL(s.network.defaults.delay_ns, 1 * MS);
    CU_ASSERT_EQUAL(s.network.defaults.loss.model, NET_LOSS_RANDOM);
    sim_scenario_free(&s);
}

static void test_load_service_fields_as_written(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct sim_service_cfg *stock = &s.services[0];
    ASSERT_STR(stock->name, "stock");
    CU_ASSERT_EQUAL_FATAL(stock->n_versions, 1);
    const struct sim_version_cfg *v = &stock->versions[0];
    CU_ASSERT_PTR_NULL(v->name);
    CU_ASSERT_EQUAL(v->replicas, 3);
    CU_ASSERT_EQUAL(v->workers, 8);
    CU_ASSERT_EQUAL(v->queue, 128);
    CU_ASSERT_EQUAL(v->service_time.kind, FL_DIST_EXPONENTIAL);
    CU_ASSERT_EQUAL(v->service_time.a, 5e6);
    ASSERT_REL(v->error_rate, 0.005, 1e-12);
    CU_ASSERT_EQUAL(v->error_status, 500);
    CU_ASSERT_EQUAL(v->response_bytes, 2048);
    CU_ASSERT_EQUAL(v->n_calls, 0);
    CU_ASSERT_EQUAL_FATAL(v->n_labels, 2);
    ASSERT_STR(v->labels[0].key, "app");
    ASSERT_STR(v->labels[0].value, "stock");
    ASSERT_STR(v->labels[1].key, "tier");
    ASSERT_STR(v->labels[1].value, "backend");
    CU_ASSERT_EQUAL(sim_service_pods(stock), 3);

    const struct sim_version_cfg *pay = &s.services[1].versions[0];
    CU_ASSERT_EQUAL(pay->service_time.kind, FL_DIST_LOGNORMAL);
    ASSERT_REL(pay->service_time.a, log(10e6), 1e-12);
    ASSERT_REL(pay->service_time.b, log(8.0) / 2.3263478740408408, 1e-9);
    ASSERT_REL(pay->error_rate, 0.01, 1e-12);
    CU_ASSERT_EQUAL(pay->error_status, 503);
    sim_scenario_free(&s);
}

static void test_load_calls_resolve_to_service_indexes(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct sim_version_cfg *pay = &s.services[1].versions[0];
    CU_ASSERT_EQUAL_FATAL(pay->n_calls, 1);
    CU_ASSERT_EQUAL(pay->calls[0].service, 0);
    ASSERT_STR(pay->calls[0].method, "GET");
    ASSERT_STR(pay->calls[0].path, "/");
    CU_ASSERT_EQUAL(pay->calls[0].request_bytes, 0);
    CU_ASSERT_EQUAL(pay->calls[0].ignore_errors, 0);
    const struct sim_version_cfg *v1 = &s.services[2].versions[0];
    CU_ASSERT_EQUAL_FATAL(v1->n_calls, 2);
    CU_ASSERT_EQUAL(v1->calls[0].service, 1);
    ASSERT_STR(v1->calls[0].method, "POST");
    ASSERT_STR(v1->calls[0].path, "/charge");
    CU_ASSERT_EQUAL(v1->calls[0].request_bytes, 2048);
    CU_ASSERT_EQUAL(v1->calls[0].ignore_errors, 0);
    CU_ASSERT_EQUAL(v1->calls[1].service, 0);
    ASSERT_STR(v1->calls[1].method, "PUT");
    ASSERT_STR(v1->calls[1].path, "/reserve");
    CU_ASSERT_EQUAL(v1->calls[1].ignore_errors, 1);
    sim_scenario_free(&s);
}

static void test_load_versions_inherit_the_service_and_override_some_fields(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct sim_service_cfg *front = &s.services[2];
    ASSERT_STR(front->name, "front");
    CU_ASSERT_EQUAL_FATAL(front->n_versions, 2);
    const struct sim_version_cfg *v1 = &front->versions[0], *v2 = &front->versions[1];
    ASSERT_STR(v1->name, "v1");
    CU_ASSERT_EQUAL(v1->replicas, 3);
    CU_ASSERT_EQUAL(v1->workers, 32);
    CU_ASSERT_EQUAL(v1->queue, 1024);
    CU_ASSERT_EQUAL(v1->service_time.kind, FL_DIST_CONSTANT);
    CU_ASSERT_EQUAL(v1->service_time.a, 8e6);
    CU_ASSERT_EQUAL(v1->response_bytes, 1024);
    ASSERT_STR(v2->name, "v2");
    CU_ASSERT_EQUAL(v2->replicas, 2);
    CU_ASSERT_EQUAL(v2->workers, 4);
    CU_ASSERT_EQUAL(v2->service_time.kind, FL_DIST_UNIFORM);
    CU_ASSERT_EQUAL(v2->service_time.a, 10e6);
    CU_ASSERT_EQUAL(v2->service_time.b, 14e6);
    CU_ASSERT_EQUAL(v2->response_bytes, 512);
    CU_ASSERT_EQUAL_FATAL(v2->n_calls, 1);
    CU_ASSERT_EQUAL(v2->calls[0].service, 0);
    ASSERT_STR(v2->calls[0].path, "/peek");
    CU_ASSERT_EQUAL(sim_service_pods(front), 5);
    sim_scenario_free(&s);
}

/* Labels: app and version first, then the service's, then the version's. */
static void test_load_pod_labels_start_with_app_and_version(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct sim_version_cfg *v1 = &s.services[2].versions[0], *v2 = &s.services[2].versions[1];
    const char *want1[][2] = {
        {"app", "front"}, {"version", "v1"}, {"tier", "edge"}, {"team", "web"}};
    CU_ASSERT_EQUAL_FATAL(v1->n_labels, 4);
    for (size_t i = 0; i < 4; i++) {
        ASSERT_STR(v1->labels[i].key, want1[i][0]);
        ASSERT_STR(v1->labels[i].value, want1[i][1]);
    }
    const char *want2[][2] = {
        {"app", "front"}, {"version", "v2"}, {"tier", "edge"}, {"team", "web"}, {"track", "beta"}};
    CU_ASSERT_EQUAL_FATAL(v2->n_labels, 5);
    for (size_t i = 0; i < 5; i++) {
        ASSERT_STR(v2->labels[i].key, want2[i][0]);
        ASSERT_STR(v2->labels[i].value, want2[i][1]);
    }
    sim_scenario_free(&s);
}

/* README: a version may override labels. */
static void test_load_version_label_replaces_the_service_label_of_that_name(void)
{
    static const char *const text = "faultline: 1\n"
                                    "duration: 1s\n"
                                    "services:\n"
                                    "  - name: a\n"
                                    "    labels: {tier: edge, team: web}\n"
                                    "    versions:\n"
                                    "      - {name: v1}\n"
                                    "      - {name: v2, labels: {team: canary, zone: b}}\n"
                                    "workload:\n"
                                    "  - {name: w, target: a, rate: 1/s, requests: [{path: /}]}\n";
    struct sim_scenario s;
    load_ok(text, NULL, 0, NULL, &s);
    const struct sim_version_cfg *v1 = &s.services[0].versions[0], *v2 = &s.services[0].versions[1];
    CU_ASSERT_EQUAL_FATAL(v1->n_labels, 4);
    ASSERT_STR(v1->labels[3].key, "team");
    ASSERT_STR(v1->labels[3].value, "web");
    const char *want[][2] = {
        {"app", "a"}, {"version", "v2"}, {"tier", "edge"}, {"team", "canary"}, {"zone", "b"}};
    CU_ASSERT_EQUAL_FATAL(v2->n_labels, 5);
    for (size_t i = 0; i < 5; i++) {
        ASSERT_STR(v2->labels[i].key, want[i][0]);
        ASSERT_STR(v2->labels[i].value, want[i][1]);
    }
    sim_scenario_free(&s);
}

static void test_load_workloads_as_written(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct sim_workload_cfg *w = &s.workloads[0];
    ASSERT_STR(w->name, "mobile");
    CU_ASSERT_EQUAL(w->target, 2);
    CU_ASSERT_EQUAL(w->arrival, SIM_ARRIVAL_POISSON);
    CU_ASSERT_EQUAL(w->rate_per_s, 400);
    CU_ASSERT_EQUAL_FATAL(w->n_requests, 2);
    ASSERT_STR(w->requests[0].method, "POST");
    ASSERT_STR(w->requests[0].path, "/api/checkout");
    CU_ASSERT_EQUAL(w->requests[0].weight, 70);
    CU_ASSERT_EQUAL(w->requests[0].body_bytes, 4096);
    CU_ASSERT_EQUAL(w->requests[0].n_headers, 0);
    ASSERT_STR(w->requests[1].method, "GET");
    CU_ASSERT_EQUAL(w->requests[1].weight, 30);
    CU_ASSERT_EQUAL(w->requests[1].body_bytes, 0);
    CU_ASSERT_EQUAL_FATAL(w->requests[1].n_headers, 2);
    ASSERT_STR(w->requests[1].headers[0].name, "user-agent");
    ASSERT_STR(w->requests[1].headers[0].value, "Mozilla/5.0 (iPhone)");
    ASSERT_STR(w->requests[1].headers[1].name, "x-trace");
    ASSERT_STR(w->requests[1].headers[1].value, "1");
    CU_ASSERT_EQUAL(w->weight_total, 100);
    CU_ASSERT_EQUAL(w->retry.retries, 2);
    CU_ASSERT_EQUAL(w->retry.base_ns, 50 * MS);
    CU_ASSERT_EQUAL(w->retry.cap_ns, 1 * S);
    CU_ASSERT_EQUAL(w->retry.jitter, SIM_JITTER_EQUAL);
    CU_ASSERT_EQUAL(w->retry.timeout_ns, 1 * S);
    CU_ASSERT_EQUAL(w->retry.retry_on, SIM_RETRY_5XX | SIM_RETRY_429);

    w = &s.workloads[1];
    ASSERT_STR(w->name, "bots");
    CU_ASSERT_EQUAL(w->target, 1);
    CU_ASSERT_EQUAL(w->arrival, SIM_ARRIVAL_CLOSED);
    CU_ASSERT_EQUAL(w->clients, 10);
    CU_ASSERT_EQUAL(w->rate_per_s, 0);
    CU_ASSERT_EQUAL(w->think_time.kind, FL_DIST_EXPONENTIAL);
    CU_ASSERT_EQUAL(w->think_time.a, 1e9);
    CU_ASSERT_EQUAL(w->weight_total, 1.5);

    w = &s.workloads[2];
    CU_ASSERT_EQUAL(w->target, 0);
    CU_ASSERT_EQUAL(w->arrival, SIM_ARRIVAL_CONSTANT);
    ASSERT_REL(w->rate_per_s, 0.5, 1e-12);
    ASSERT_STR(w->requests[0].method, "DELETE");
    sim_scenario_free(&s);
}

static void test_load_client_retry_defaults_when_retry_is_absent(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    const struct sim_retry_cfg *r = &s.workloads[1].retry;
    CU_ASSERT_EQUAL(r->retries, 0);
    CU_ASSERT_EQUAL(r->timeout_ns, 0);
    CU_ASSERT_EQUAL(r->base_ns, 100 * MS);
    CU_ASSERT_EQUAL(r->cap_ns, 10 * S);
    CU_ASSERT_EQUAL(r->jitter, SIM_JITTER_FULL);
    CU_ASSERT_EQUAL(r->retry_on,
                    SIM_RETRY_5XX | SIM_RETRY_TIMEOUT | SIM_RETRY_CONNECT | SIM_RETRY_RESET);
    sim_scenario_free(&s);
}

static void test_load_routes_are_distinct_request_paths_in_order(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    CU_ASSERT_EQUAL_FATAL(s.n_routes, 3);
    ASSERT_STR(s.routes[0], "/api/checkout");
    ASSERT_STR(s.routes[1], "/api/cart");
    ASSERT_STR(s.routes[2], "/api/pay");
    CU_ASSERT_EQUAL(s.workloads[0].requests[0].route, 0);
    CU_ASSERT_EQUAL(s.workloads[0].requests[1].route, 1);
    CU_ASSERT_EQUAL(s.workloads[1].requests[0].route, 1);
    CU_ASSERT_EQUAL(s.workloads[1].requests[1].route, 2);
    CU_ASSERT_EQUAL(s.workloads[2].requests[0].route, 0);
    sim_scenario_free(&s);
}

static void test_load_assertions_have_scope_metric_op_threshold_and_text(void)
{
    struct sim_scenario s;
    load_ok(full_text, NULL, 0, NULL, &s);
    struct {
        enum rpt_scope scope;
        const char *target;
        enum rpt_metric metric;
        enum rpt_op op;
        double threshold;
        const char *text;
    } want[] = {
        {RPT_SCOPE_ROUTE, "/api/checkout", RPT_M_P99, RPT_LT, 400e6,
         "route /api/checkout p99 < 400ms"},
        {RPT_SCOPE_ROUTE, "/api/checkout", RPT_M_ERROR_RATE, RPT_LE, 0.01,
         "route /api/checkout error_rate <= 1%"},
        {RPT_SCOPE_SERVICE, "stock", RPT_M_P50, RPT_GT, 1e6, "service stock p50 > 1ms"},
        {RPT_SCOPE_ALL, NULL, RPT_M_ERROR_RATE, RPT_LT, 0.005, "error_rate < 0.5%"},
        {RPT_SCOPE_ALL, NULL, RPT_M_RETRY_AMPLIFICATION, RPT_GE, 1.05,
         "retry_amplification >= 1.05"},
        {RPT_SCOPE_ALL, NULL, RPT_M_COUNT, RPT_GT, 100, "count > 100"},
    };
    CU_ASSERT_EQUAL_FATAL(s.n_checks, 6);
    for (size_t i = 0; i < 6; i++) {
        const struct rpt_check *c = &s.checks[i];
        CU_ASSERT_EQUAL(c->scope, want[i].scope);
        ASSERT_STR(c->target, want[i].target);
        CU_ASSERT_EQUAL(c->metric, want[i].metric);
        CU_ASSERT_EQUAL(c->op, want[i].op);
        ASSERT_REL(c->threshold, want[i].threshold, 1e-12);
        ASSERT_STR(c->text, want[i].text);
        CU_ASSERT_EQUAL(c->evaluated, 0);
    }
    sim_scenario_free(&s);
}

static void test_load_reads_every_distribution_form(void)
{
    static const char *const text =
        "faultline: 1\n"
        "duration: 1s\n"
        "services:\n"
        "  - {name: a, service_time: 3ms}\n"
        "  - {name: b, service_time: {dist: constant, value: 4ms}}\n"
        "  - {name: c, service_time: {dist: uniform, min: 1ms, max: 3ms}}\n"
        "  - {name: d, service_time: {dist: normal, mean: 5ms, stddev: 1ms}}\n"
        "  - {name: e, service_time: {dist: exponential, mean: 6ms}}\n"
        "  - {name: f, service_time: {dist: lognormal, p50: 10ms, p99: 80ms}}\n"
        "  - {name: g, service_time: {dist: lognormal, mean: 12ms, stddev: 9ms}}\n"
        "  - {name: h, service_time: {dist: pareto, scale: 1ms, shape: 1.5}}\n"
        "  - name: i\n"
        "    service_time:\n"
        "      dist: empirical\n"
        "      quantiles: {p0: 1ms, p50: 3ms, p99.9: 50ms, p100: 200ms}\n"
        "workload:\n"
        "  - {name: w, target: a, rate: 1/s, requests: [{path: /}]}\n";
    struct sim_scenario s;
    load_ok(text, NULL, 0, NULL, &s);
    CU_ASSERT_EQUAL_FATAL(s.n_services, 9);
    const struct fl_dist *d[9];
    for (size_t i = 0; i < 9; i++) d[i] = &s.services[i].versions[0].service_time;
    CU_ASSERT_EQUAL(d[0]->kind, FL_DIST_CONSTANT);
    CU_ASSERT_EQUAL(d[0]->a, 3e6);
    CU_ASSERT_EQUAL(d[1]->kind, FL_DIST_CONSTANT);
    CU_ASSERT_EQUAL(d[1]->a, 4e6);
    CU_ASSERT_EQUAL(d[2]->kind, FL_DIST_UNIFORM);
    CU_ASSERT(d[2]->a == 1e6 && d[2]->b == 3e6);
    CU_ASSERT_EQUAL(d[3]->kind, FL_DIST_NORMAL);
    CU_ASSERT(d[3]->a == 5e6 && d[3]->b == 1e6);
    CU_ASSERT_EQUAL(d[4]->kind, FL_DIST_EXPONENTIAL);
    CU_ASSERT_EQUAL(d[4]->a, 6e6);
    CU_ASSERT_EQUAL(d[5]->kind, FL_DIST_LOGNORMAL);
    ASSERT_REL(d[5]->a, log(10e6), 1e-12);
    /* moments: sigma^2 = ln(1 + (9/12)^2), mu = ln 12ms - sigma^2 / 2 */
    CU_ASSERT_EQUAL(d[6]->kind, FL_DIST_LOGNORMAL);
    ASSERT_REL(d[6]->b, sqrt(log(1.5625)), 1e-12);
    ASSERT_REL(d[6]->a, log(12e6) - 0.5 * log(1.5625), 1e-12);
    CU_ASSERT_EQUAL(d[7]->kind, FL_DIST_PARETO);
    CU_ASSERT(d[7]->a == 1e6 && d[7]->b == 1.5);
    CU_ASSERT_EQUAL(d[8]->kind, FL_DIST_EMPIRICAL);
    CU_ASSERT_EQUAL_FATAL(d[8]->n, 4);
    const double p[] = {0, 0.5, 0.999, 1}, v[] = {1e6, 3e6, 50e6, 200e6};
    for (int i = 0; i < 4; i++) {
        ASSERT_REL(d[8]->p[i], p[i], 1e-12);
        CU_ASSERT_EQUAL(d[8]->v[i], v[i]);
    }
    sim_scenario_free(&s);
}

/* ---- defaults ---- */

static const char *const minimal_text = "faultline: 1\n"
                                        "duration: 10s\n"
                                        "services:\n"
                                        "  - name: a\n"
                                        "  - name: b\n"
                                        "workload:\n"
                                        "  - name: w\n"
                                        "    target: a\n"
                                        "    rate: 5/s\n"
                                        "    requests: [{path: /x}]\n";

static void test_load_defaults_when_keys_are_absent(void)
{
    struct sim_scenario s;
    char *path, *err;
    CU_ASSERT_EQUAL_FATAL(load_text(minimal_text, NULL, 0, NULL, &s, &path, &err), 0);
    /* the name is the file's, without its directory and extension */
    char *base = fl_strndup(path + strlen("/tmp/"), strlen(path) - strlen("/tmp/.yaml"));
    ASSERT_STR(s.name, base);
    free(base);
    free(path);
    CU_ASSERT_EQUAL(s.seed, 1);
    CU_ASSERT_EQUAL(s.warmup_ns, 0);
    CU_ASSERT_EQUAL(s.drain_ns, 5 * 60 * S);
    CU_ASSERT(net_link_cfg_ideal(&s.network.defaults));
    CU_ASSERT_EQUAL(s.network.defaults.queue_packets, 1000);
    CU_ASSERT_EQUAL(s.network.n_links, 0);
    const struct sim_service_cfg *a = &s.services[0];
    CU_ASSERT_EQUAL_FATAL(a->n_versions, 1);
    const struct sim_version_cfg *v = &a->versions[0];
    CU_ASSERT_PTR_NULL(v->name);
    CU_ASSERT_EQUAL(v->replicas, 1);
    CU_ASSERT_EQUAL(v->workers, 1);
    CU_ASSERT_EQUAL(v->queue, 1024);
    CU_ASSERT_EQUAL(v->service_time.kind, FL_DIST_CONSTANT);
    CU_ASSERT_EQUAL(v->service_time.a, 1e6);
    CU_ASSERT_EQUAL(v->error_rate, 0);
    CU_ASSERT_EQUAL(v->error_status, 503);
    CU_ASSERT_EQUAL(v->response_bytes, 1024);
    CU_ASSERT_EQUAL(v->n_calls, 0);
    CU_ASSERT_EQUAL_FATAL(v->n_labels, 1);
    ASSERT_STR(v->labels[0].key, "app");
    ASSERT_STR(v->labels[0].value, "a");
    const struct sim_workload_cfg *w = &s.workloads[0];
    CU_ASSERT_EQUAL(w->arrival, SIM_ARRIVAL_POISSON);
    CU_ASSERT_EQUAL(w->rate_per_s, 5);
    ASSERT_STR(w->requests[0].method, "GET");
    CU_ASSERT_EQUAL(w->requests[0].weight, 1);
    CU_ASSERT_EQUAL(w->requests[0].body_bytes, 0);
    CU_ASSERT_EQUAL(w->retry.retries, 0);
    CU_ASSERT_EQUAL(s.n_checks, 0);
    CU_ASSERT_PTR_NULL(s.checks);
    sim_scenario_free(&s);
}

/* ---- overrides ---- */

static void test_load_set_overrides_seed_services_by_name_and_workloads_by_index(void)
{
    const char *sets[] = {"seed=7", "services.b.replicas=4", "workload.0.rate=50/s",
                          "services.a.workers=3", "name=renamed"};
    struct sim_scenario s;
    load_ok(minimal_text, sets, 5, NULL, &s);
    CU_ASSERT_EQUAL(s.seed, 7);
    ASSERT_STR(s.name, "renamed");
    CU_ASSERT_EQUAL(s.services[0].versions[0].replicas, 1);
    CU_ASSERT_EQUAL(s.services[0].versions[0].workers, 3);
    CU_ASSERT_EQUAL(s.services[1].versions[0].replicas, 4);
    CU_ASSERT_EQUAL(s.services[1].versions[0].workers, 1);
    CU_ASSERT_EQUAL(s.workloads[0].rate_per_s, 50);
    sim_scenario_free(&s);
}

static void test_load_seed_override_wins_over_the_file_and_set(void)
{
    const char *sets[] = {"seed=7"};
    uint64_t seed = UINT64_C(18446744073709551615);
    struct sim_scenario s;
    load_ok(full_text, sets, 1, &seed, &s);
    CU_ASSERT_EQUAL(s.seed, UINT64_MAX);
    sim_scenario_free(&s);
}

static void test_load_set_errors_name_the_override(void)
{
    const char *bad_value[] = {"services.a.replicas=0"};
    FAILS_SET(minimal_text, bad_value, 1,
              "--set services.a.replicas=0: replicas must be between 1 and 10000, not 0");
    const char *bad_key[] = {"seed=3", "services.b.replica=2"};
    FAILS_SET(minimal_text, bad_key, 2,
              "--set services.b.replica=2: unknown key 'replica' in service 'b' (did you mean "
              "'replicas'?)");
    const char *no_such[] = {"services.nope.replicas=2"};
    FAILS_SET(minimal_text, no_such, 1,
              "--set services.nope.replicas=2: 'services' (PATH:4:3) has no item named 'nope'");
    const char *no_key[] = {".=2"};
    FAILS_SET(minimal_text, no_key, 1, "--set '.=2': expected KEY=VALUE, e.g. seed=7");
}

/* ---- errors ---- */

#define HEAD     "faultline: 1\nduration: 10s\n"
#define SERVICES "services:\n  - name: a\n  - name: b\n"
#define WORKLOAD "workload:\n  - {name: w, target: a, rate: 1/s, requests: [{path: /x}]}\n"

static void test_load_refuses_an_unknown_key_in_a_version(void)
{
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    versions:\n"
               "      - {name: v1, replica: 2}\n" WORKLOAD,
          "6:20: unknown key 'replica' in version (did you mean 'replicas'?)");
}

static void test_load_refuses_an_unknown_key_in_a_call(void)
{
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    calls:\n"
               "      - {service: b, methd: POST}\n"
               "  - name: b\n" WORKLOAD,
          "6:22: unknown key 'methd' in call (did you mean 'method'?)");
}

static void test_load_refuses_an_unknown_key_in_a_request(void)
{
    FAILS(HEAD SERVICES "workload:\n"
                        "  - name: w\n"
                        "    target: a\n"
                        "    rate: 1/s\n"
                        "    requests:\n"
                        "      - {path: /x, wieght: 2}\n",
          "11:20: unknown key 'wieght' in request (did you mean 'weight'?)");
}

/* A scenario whose one request has the given headers mapping (line 12, from column 18). */
static char *with_headers(const char *headers)
{
    return fl_asprintf(HEAD SERVICES "workload:\n"
                                     "  - name: w\n"
                                     "    target: a\n"
                                     "    rate: 1/s\n"
                                     "    requests:\n"
                                     "      - path: /x\n"
                                     "        headers: %s\n",
                       headers);
}

static void test_load_refuses_invalid_header_names(void)
{
    char *t = with_headers("{\"user agent\": x}");
    FAILS(t, "12:19: 'user agent' is not a valid header name");
    free(t);
    t = with_headers("{\"x:y\": x}");
    FAILS(t, "12:19: 'x:y' is not a valid header name");
    free(t);
    t = with_headers("{\"x(y)\": x}");
    FAILS(t, "12:19: 'x(y)' is not a valid header name");
    free(t);
    t = with_headers("{ok: 1, \"caf\xc3\xa9\": x}");
    FAILS(t, "12:26: 'caf\xc3\xa9' is not a valid header name");
    free(t);
}

static void test_load_refuses_header_values_with_line_breaks(void)
{
    char *t = with_headers("{x-a: \"1\\r\\nx-b: 2\"}");
    FAILS(t, "12:24: header 'x-a': a value must not contain control characters (CR, LF, NUL...)");
    free(t);
    t = with_headers("{x-a: \"red\\e[31m\"}");
    FAILS(t, "12:24: header 'x-a': a value must not contain control characters (CR, LF, NUL...)");
    free(t);
    t = with_headers("{x-a: \"tab\\there is fine\"}");
    struct sim_scenario sc;
    char *path, *err = NULL;
    CU_ASSERT_EQUAL(load_text(t, NULL, 0, NULL, &sc, &path, &err), 0);
    sim_scenario_free(&sc);
    free(path);
    free(err);
    free(t);
    t = with_headers("{x-a: [1]}");
    FAILS(t, "12:24: header value must be a single value, not a list");
    free(t);
}

static void test_load_refuses_paths_and_methods_that_are_not_wire_text(void)
{
    FAILS(HEAD SERVICES "workload:\n"
                        "  - {name: w, target: a, rate: 1/s, requests: [{path: \"/a b\"}]}\n",
          "7:55: path '/a b': byte 3 is not visible ASCII; percent-encode spaces and other "
          "characters (RFC 3986)");
    FAILS(HEAD SERVICES
          "workload:\n"
          "  - {name: w, target: a, rate: 1/s, requests: [{path: \"/caf\\u00e9\"}]}\n",
          "7:55: path '/caf\xc3\xa9': byte 5 is not visible ASCII; percent-encode spaces and "
          "other characters (RFC 3986)");
    FAILS(HEAD SERVICES "workload:\n"
                        "  - {name: w, target: a, rate: 1/s, requests: [{method: get, path: /}]}\n",
          "7:57: method 'get': use an upper-case HTTP method such as GET (at most 32 letters)");
}

static void test_load_refuses_request_weights_that_add_up_to_zero(void)
{
    FAILS(HEAD SERVICES "workload:\n"
                        "  - name: w\n"
                        "    target: a\n"
                        "    rate: 1/s\n"
                        "    requests:\n"
                        "      - {path: /x, weight: 0}\n"
                        "      - {path: /y, weight: 0.0}\n",
          "11:7: the request weights add up to 0: no request would be sent");
}

static void test_load_refuses_a_backoff_cap_below_its_base(void)
{
    FAILS(HEAD SERVICES "workload:\n"
                        "  - name: w\n"
                        "    target: a\n"
                        "    rate: 1/s\n"
                        "    requests: [{path: /x}]\n"
                        "    retry:\n"
                        "      retries: 1\n"
                        "      backoff: {base: 2s, cap: 1s}\n",
          "13:16: backoff cap must not be below its base");
    /* the default cap (10s) holds against a larger base too */
    FAILS(HEAD SERVICES "workload:\n"
                        "  - name: w\n"
                        "    target: a\n"
                        "    rate: 1/s\n"
                        "    requests: [{path: /x}]\n"
                        "    retry: {backoff: {base: 20s}}\n",
          "11:22: backoff cap must not be below its base");
}

/* A scenario whose service a has the given service_time (line 4, from column 29). */
static char *with_service_time(const char *st)
{
    return fl_asprintf(HEAD "services:\n  - {name: a, service_time: %s}\n" WORKLOAD, st);
}

static void test_load_refuses_empirical_quantiles_out_of_order(void)
{
    char *t = with_service_time("{dist: empirical, quantiles: {p0: 1ms, p90: 5ms, p50: 3ms, "
                                "p100: 9ms}}");
    FAILS(t, "4:78: quantiles must be listed in ascending order");
    free(t);
}

static void test_load_refuses_empirical_quantiles_without_p0(void)
{
    char *t = with_service_time("{dist: empirical, quantiles: {p50: 3ms, p100: 9ms}}");
    FAILS(t, "4:58: service_time: the first point must be at p = 0");
    free(t);
    t = with_service_time("{dist: empirical, quantiles: {p0: 3ms, p50: 9ms}}");
    FAILS(t, "4:58: service_time: the last point must be at p = 1");
    free(t);
    t = with_service_time("{dist: empirical, quantiles: {p0: 3ms, pnan: 5ms, p100: 9ms}}");
    FAILS(t, "4:68: quantile keys are p0 .. p100 (e.g. p99.9), not 'pnan'");
    free(t);
}

static void test_load_refuses_lognormal_mixing_p50_and_mean(void)
{
    char *t = with_service_time("{dist: lognormal, p50: 10ms, mean: 12ms}");
    FAILS(t, "4:29: service_time: give either p50 and p99, or mean and stddev");
    free(t);
    t = with_service_time("{dist: lognormal, p50: 10ms}");
    FAILS(t, "4:29: service_time needs 'p99'");
    free(t);
    t = with_service_time("{dist: lognormal, p50: 10ms, p99: 5ms}");
    FAILS(t, "4:29: service_time: p99 must be above p50");
    free(t);
}

static void test_load_refuses_clients_on_a_constant_arrival(void)
{
    FAILS(HEAD SERVICES "workload:\n"
                        "  - name: w\n"
                        "    target: a\n"
                        "    arrival: constant\n"
                        "    rate: 1/s\n"
                        "    clients: 5\n"
                        "    requests: [{path: /x}]\n",
          "11:14: clients and think_time are for arrival: closed");
}

static void test_load_refuses_a_closed_arrival_without_clients(void)
{
    FAILS(HEAD SERVICES "workload:\n"
                        "  - name: w\n"
                        "    target: a\n"
                        "    arrival: closed\n"
                        "    requests: [{path: /x}]\n",
          "7:5: workload 'w' needs 'clients'");
}

static void test_load_refuses_an_unknown_key_in_a_link(void)
{
    FAILS(HEAD "network:\n"
               "  links:\n"
               "    - {from: w, to: a, delya: 5ms}\n" SERVICES WORKLOAD,
          "5:24: unknown key 'delya' in link (did you mean 'delay'?)");
}

static void test_load_refuses_a_label_named_app_or_version(void)
{
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    labels: {tier: x, app: y}\n" WORKLOAD,
          "5:23: label 'app' comes from the service or version name");
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    versions:\n"
               "      - {name: v1, labels: {version: v9}}\n" WORKLOAD,
          "6:29: label 'version' comes from the service or version name");
}

static void test_load_refuses_a_label_set_twice_in_one_place(void)
{
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    versions:\n"
               "      - {name: v1, labels: {tier: x, tier: y}}\n" WORKLOAD,
          "6:38: label 'tier' is set twice");
    /* a version may replace a service label once, not twice */
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    labels: {tier: x}\n"
               "    versions:\n"
               "      - {name: v1, labels: {tier: y, tier: z}}\n" WORKLOAD,
          "7:38: label 'tier' is set twice");
}

static void test_load_refuses_a_service_named_gateway(void)
{
    FAILS(HEAD "services:\n"
               "  - name: gateway\n" WORKLOAD,
          "4:11: 'gateway' is reserved for the API gateway; name the service otherwise");
}

static void test_load_refuses_a_workload_named_like_a_service_or_gateway(void)
{
    FAILS(HEAD SERVICES "workload:\n  - {name: b, target: a, rate: 1/s, requests: [{path: /x}]}\n",
          "7:12: workload 'b' has the name of a service");
    FAILS(HEAD SERVICES "workload:\n"
                        "  - {name: gateway, target: a, rate: 1/s, requests: [{path: /x}]}\n",
          "7:12: 'gateway' is reserved for the API gateway; name the workload otherwise");
}

static void test_load_refuses_an_error_status_out_of_range(void)
{
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    errors: {rate: 1%, status: 200}\n" WORKLOAD,
          "5:32: errors.status must be between 400 and 599, not 200");
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    errors: {rate: 1%, status: 600}\n" WORKLOAD,
          "5:32: errors.status must be between 400 and 599, not 600");
}

static void test_load_refuses_a_call_whose_service_is_not_a_name(void)
{
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    calls: [{service: [b]}]\n"
               "  - name: b\n" WORKLOAD,
          "5:23: service must be a single value, not a list");
    FAILS(HEAD "services:\n"
               "  - name: a\n"
               "    calls: [{service: ''}]\n"
               "  - name: b\n" WORKLOAD,
          "5:23: service must not be empty");
}

static void test_load_refuses_a_threshold_that_is_not_a_finite_number(void)
{
    FAILS(HEAD SERVICES WORKLOAD "assertions:\n  - {count: \"> nan\"}\n",
          "9:13: count '> nan': expected a number after the comparison");
    FAILS(HEAD SERVICES WORKLOAD "assertions:\n  - {retry_amplification: \"< inf\"}\n",
          "9:27: retry_amplification '< inf': expected a number after the comparison");
}

/*
 * Failures at the last checks, once nearly everything is allocated: the
 * scenario comes back empty (LeakSanitizer, in `make asan`, checks that
 * nothing was left behind).
 */
static void test_load_failure_late_in_the_file_leaves_nothing_behind(void)
{
    char *t = fl_strdup(full_text);
    char *at = strstr(t, "to: stock");
    memcpy(at, "to: stick", 9);
    FAILS(t, "17:25: link end 'stick' is neither a service nor a workload");
    free(t);
    t = fl_asprintf("%s  - {service: stock, p50: \"< 1ms\", p99: \"< 5 parsecs\"}\n", full_text);
    FAILS(t, "84:41: p99 '< 5 parsecs': unknown unit (use ns, us, ms, s, m or h, e.g. 250ms)");
    free(t);
    t = fl_strdup(full_text);
    at = strstr(t, "{path: /api/pay, weight: 0.5}");
    memcpy(at, "{path: /api/pay, weight: -01}", 29);
    FAILS(t, "72:34: weight must be between 0 and 1e+09, not -1");
    free(t);
}

void suite_load(void)
{
    TEST_SUITE("sim/load");
    TEST_ADD(test_load_full_scenario_top_level_fields);
    TEST_ADD(test_load_network_defaults_apply_to_every_hop);
    TEST_ADD(test_load_links_override_some_keys_and_inherit_the_rest);
    TEST_ADD(test_load_service_fields_as_written);
    TEST_ADD(test_load_calls_resolve_to_service_indexes);
    TEST_ADD(test_load_versions_inherit_the_service_and_override_some_fields);
    TEST_ADD(test_load_pod_labels_start_with_app_and_version);
    TEST_ADD(test_load_version_label_replaces_the_service_label_of_that_name);
    TEST_ADD(test_load_workloads_as_written);
    TEST_ADD(test_load_client_retry_defaults_when_retry_is_absent);
    TEST_ADD(test_load_routes_are_distinct_request_paths_in_order);
    TEST_ADD(test_load_assertions_have_scope_metric_op_threshold_and_text);
    TEST_ADD(test_load_reads_every_distribution_form);
    TEST_ADD(test_load_defaults_when_keys_are_absent);
    TEST_ADD(test_load_set_overrides_seed_services_by_name_and_workloads_by_index);
    TEST_ADD(test_load_seed_override_wins_over_the_file_and_set);
    TEST_ADD(test_load_set_errors_name_the_override);
    TEST_ADD(test_load_refuses_an_unknown_key_in_a_version);
    TEST_ADD(test_load_refuses_an_unknown_key_in_a_call);
    TEST_ADD(test_load_refuses_an_unknown_key_in_a_request);
    TEST_ADD(test_load_refuses_invalid_header_names);
    TEST_ADD(test_load_refuses_header_values_with_line_breaks);
    TEST_ADD(test_load_refuses_paths_and_methods_that_are_not_wire_text);
    TEST_ADD(test_load_refuses_request_weights_that_add_up_to_zero);
    TEST_ADD(test_load_refuses_a_backoff_cap_below_its_base);
    TEST_ADD(test_load_refuses_empirical_quantiles_out_of_order);
    TEST_ADD(test_load_refuses_empirical_quantiles_without_p0);
    TEST_ADD(test_load_refuses_lognormal_mixing_p50_and_mean);
    TEST_ADD(test_load_refuses_clients_on_a_constant_arrival);
    TEST_ADD(test_load_refuses_a_closed_arrival_without_clients);
    TEST_ADD(test_load_refuses_an_unknown_key_in_a_link);
    TEST_ADD(test_load_refuses_a_label_named_app_or_version);
    TEST_ADD(test_load_refuses_a_label_set_twice_in_one_place);
    TEST_ADD(test_load_refuses_a_service_named_gateway);
    TEST_ADD(test_load_refuses_a_workload_named_like_a_service_or_gateway);
    TEST_ADD(test_load_refuses_an_error_status_out_of_range);
    TEST_ADD(test_load_refuses_a_call_whose_service_is_not_a_name);
    TEST_ADD(test_load_refuses_a_threshold_that_is_not_a_finite_number);
    TEST_ADD(test_load_failure_late_in_the_file_leaves_nothing_behind);
}
