/*
 * test_faults.c - faults in whole runs (sim/faults.c, sim/fault_app.c,
 * sim/monkey.c) on scenarios worked out by hand: constant arrivals and
 * constant service times make every figure exact, so the start and end of
 * a fault, the request a trigger fires at, and the work a `slow` fault
 * stretches can be checked to the nanosecond.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/results.h"
#include "reports/summary.h"
#include "sim/monkey.h"
#include "sim/scenario.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_faults(void);

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

/* One service, one pod, 100 workers, 10 ms of work, 100 requests/s from t = 0 (every 10 ms). */
#define STEADY                                                                                     \
    "faultline: 1\n"                                                                               \
    "duration: 10s\n"                                                                              \
    "services:\n"                                                                                  \
    "  - {name: api, workers: 100, service_time: 10ms}\n"                                          \
    "workload:\n"                                                                                  \
    "  - {name: c, target: api, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"

/*
 * Faults start at their times, in file order at one instant, and end `for`
 * later; at one instant, ends come before starts (a ends as late starts).
 */
static void test_faults_start_in_time_then_file_order(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {name: late, at: 3s, for: 1s, slow: {service: api, "
                                       "factor: 2}}\n"
                                       "  - {name: b, at: 2s, for: 2s, errors: {service: api, "
                                       "rate: 1%}}\n"
                                       "  - {name: a, at: 2s, for: 1s, slow: {service: api, "
                                       "factor: 3}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL_FATAL(r.n_timeline, 6);
    static const char *const what[] = {"fault-start", "fault-start", "fault-end",
                                       "fault-start", "fault-end",   "fault-end"};
    static const char *const who[] = {"b:", "a:", "a:", "late:", "b:", "late:"};
    static const int64_t at[] = {2 * S, 2 * S, 3 * S, 3 * S, 4 * S, 4 * S};
    for (size_t i = 0; i < 6; i++) {
        CU_ASSERT_STRING_EQUAL(r.timeline[i].what, what[i]);
        CU_ASSERT_EQUAL(strncmp(r.timeline[i].detail, who[i], strlen(who[i])), 0);
        CU_ASSERT_EQUAL(r.timeline[i].at_ns, at[i]);
        CU_ASSERT_STRING_EQUAL(r.timeline[i].subject, "api");
    }
    CU_ASSERT_STRING_EQUAL(r.timeline[0].detail, "b: errors rate 1% status 503, for 2s");
    /* work started at 3 s is slowed by late (x2) alone: nothing took 60 ms */
    CU_ASSERT_EQUAL(r.all.hist.max, 30 * MS);
    rpt_run_free(&r);
}

/*
 * The 50th request arrives at 490 ms; the fault starts right after it: that
 * request and the 49 before are served, the 950 after all answered 503 at once.
 */
static void test_faults_requests_trigger_fires_at_the_nth_request(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {when: {requests: 50, service: api}, errors: {service: "
                                       "api, rate: 100%}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 1000);
    CU_ASSERT_EQUAL(r.all.outcomes[200], 50);
    CU_ASSERT_EQUAL(r.all.outcomes[503], 950);
    const struct rpt_event *t = test_timeline_entry(&r, "trigger", 0),
                           *st = test_timeline_entry(&r, "fault-start", 0);
    CU_ASSERT_FATAL(t && st);
    CU_ASSERT_EQUAL(t->at_ns, 490 * MS);
    CU_ASSERT_EQUAL(st->at_ns, 490 * MS);
    CU_ASSERT(t < st); /* the trigger's entry comes first */
    CU_ASSERT_STRING_EQUAL(t->subject, "errors#1");
    /* injected errors take no time: the successes' 10 ms are the only time spent */
    CU_ASSERT_EQUAL(r.all.hist.max, 10 * MS);
    CU_ASSERT_EQUAL(r.all.hist.min, 0);
    rpt_run_free(&r);

    /* with a delay of 1 s the fault starts at 1.49 s, before that instant's arrival: 149 served */
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {when: {requests: 50, service: api, delay: 1s}, "
                                       "errors: {service: api, rate: 100%}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.outcomes[200], 149);
    st = test_timeline_entry(&r, "fault-start", 0);
    CU_ASSERT(st && st->at_ns == 1490 * MS);
    rpt_run_free(&r);
}

/*
 * slow x3 from 1 s for 1 s: work started in [1 s, 2 s) - exactly the 100
 * arrivals at 1.00 s ... 1.99 s - takes 30 ms, all other work 10 ms.
 */
static void test_faults_slow_applies_only_while_active(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {at: 1s, for: 1s, slow: {service: api, factor: 3}}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 1000);
    CU_ASSERT_EQUAL(r.all.errors, 0);
    CU_ASSERT_EQUAL(r.all.hist.min, 10 * MS);
    CU_ASSERT_EQUAL(r.all.hist.max, 30 * MS);
    /* the mean is exact: (900 x 10 ms + 100 x 30 ms) / 1000 = 12 ms */
    ASSERT_ABS(rpt_hist_mean(&r.all.hist), 12e6, 0.5);
    rpt_run_free(&r);

    /* a triggered slow x2 on top of an `at` slow x3: factors multiply (60 ms) while both are on */
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {at: 1s, for: 1s, slow: {service: api, factor: 3}}\n"
                                       "  - {when: {requests: 151, service: api}, for: 200ms, "
                                       "slow: {service: api, pod: api-0, factor: 2}}\n",
                                NULL, 0, &r));
    /*
     * the 151st arrives at 1.5 s; the fault ends at 1.7 s, before that instant's arrival (its
     * end was armed first): arrivals 1.51 .. 1.69 s (19) take 60 ms, 81 others 30 ms
     */
    CU_ASSERT_EQUAL(r.all.hist.max, 60 * MS);
    ASSERT_ABS(rpt_hist_mean(&r.all.hist), (900 * 10e6 + 81 * 30e6 + 19 * 60e6) / 1000, 0.5);
    rpt_run_free(&r);
}

/*
 * errors at 30% on 100000 requests: the count of 503s is binomial,
 * mean 30000, sigma sqrt(100000 x 0.3 x 0.7) = 144.9; within 4 sigma.
 * Version and pod targets: only the targeted pod answers errors.
 */
static void test_faults_errors_rate_is_binomial_and_targeted(void)
{
    struct rpt_run r;
    static const char *const text =
        "faultline: 1\n"
        "duration: 100s\n"
        "services:\n"
        "  - name: api\n"
        "    workers: 100\n"
        "    service_time: 1ms\n"
        "    versions: [{name: v1, replicas: 2}, {name: v2, replicas: 1}]\n"
        "workload:\n"
        "  - {name: c, target: api, arrival: constant, rate: 1000/s, requests: [{path: /x}]}\n"
        "faults:\n"
        "  - {at: 0s, errors: {service: api, version: v1, pod: api-v1-1, rate: 30%, status: "
        "502}}\n";
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    const struct rpt_service *s = &r.services[0];
    CU_ASSERT_EQUAL_FATAL(s->n_pods, 3);
    CU_ASSERT_EQUAL(s->pods[0].errors, 0);
    CU_ASSERT_EQUAL(s->pods[2].errors, 0);
    uint64_t n = s->pods[1].count;
    double mean = 0.3 * (double)n, sigma = sqrt((double)n * 0.3 * 0.7);
    CU_ASSERT(n > 30000);
    ASSERT_ABS((double)s->pods[1].errors, mean, 4 * sigma);
    CU_ASSERT_EQUAL(r.all.outcomes[502], s->pods[1].errors);
    rpt_run_free(&r);
}

/* A match trigger fires at the first request that matches: here the first call to `back`. */
static void test_faults_match_trigger_fires_at_the_first_match(void)
{
    struct rpt_run r;
    static const char *const text =
        "faultline: 1\n"
        "duration: 1s\n"
        "services:\n"
        "  - {name: back, workers: 100, service_time: 1ms}\n"
        "  - {name: front, workers: 100, service_time: 1ms,\n"
        "     calls: [{service: back, path: /deep, headers: {x-tier: gold}}]}\n"
        "workload:\n"
        "  - {name: c, target: front, arrival: constant, rate: 100/s, requests: [{path: /x}]}\n"
        "faults:\n"
        "  - {when: {match: {service: back, path: /deep, header: {x-tier: gold}}},\n"
        "     errors: {service: front, rate: 100%}}\n"
        "  - {when: {match: {path: /nope}}, slow: {service: back, factor: 2}}\n";
    RUN_OR_RETURN(test_run_text(text, NULL, 0, &r));
    CU_ASSERT_EQUAL(r.all.count, 100);
    CU_ASSERT_EQUAL(r.all.outcomes[200], 1); /* the first request; the 99 after it fail */
    CU_ASSERT_EQUAL(test_timeline_count(&r, "trigger"), 1);
    const struct rpt_event *t = test_timeline_entry(&r, "trigger", 0);
    CU_ASSERT(t && t->at_ns == 1 * MS && strstr(t->detail, "/deep"));
    rpt_run_free(&r);
}

/*
 * `during` assertions see the requests started while their fault was
 * active: exactly the 100 sent in [1 s, 2 s), all answered 503; a fault
 * whose trigger never fires leaves its assertion without a request (failed).
 */
static void test_faults_during_assertions_cover_the_active_window(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_text(STEADY "faults:\n"
                                       "  - {name: outage, at: 1s, for: 1s, errors: {service: "
                                       "api, rate: 100%}}\n"
                                       "  - {name: never, when: {match: {path: /nope}}, slow: "
                                       "{service: api, factor: 2}}\n"
                                       "assertions:\n"
                                       "  - {during: outage, route: /x, error_rate: \">= 100%\", "
                                       "count: \"<= 100\"}\n"
                                       "  - {during: never, count: \">= 0\"}\n"
                                       "  - {error_rate: \"< 11%\"}\n",
                                NULL, 0, &r));
    CU_ASSERT_EQUAL(rpt_checks_eval(&r), 1);
    CU_ASSERT_EQUAL_FATAL(r.n_checks, 4);
    CU_ASSERT(r.checks[0].ok && r.checks[0].value == 1.0);
    CU_ASSERT(r.checks[1].ok && r.checks[1].value == 100);
    CU_ASSERT(!r.checks[2].ok && !r.checks[2].evaluated);
    CU_ASSERT(r.checks[3].ok && r.checks[3].value == 0.1);
    CU_ASSERT_STRING_EQUAL(r.checks[0].text, "during outage route /x error_rate >= 100%");
    rpt_run_free(&r);
}

/* Reads a bundled scenario and appends text (a faults: section). */
static char *scenario_plus(const char *path, const char *more)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - strlen(more) - 1, f);
    fclose(f);
    memcpy(buf + n, more, strlen(more) + 1);
    return buf;
}

/* The first ejection of inventory-v2-0 starts the fault, 2 s later with a delay. */
static void test_faults_ejected_trigger_follows_the_first_ejection(void)
{
    char *text = scenario_plus("scenarios/outlier.yaml",
                               "faults:\n"
                               "  - {name: after, when: {ejected: inventory-v2-0, delay: 2s},\n"
                               "     for: 1s, slow: {service: cart, factor: 1}}\n"
                               "  - {name: never, when: {ejected: inventory-v1-0}, slow: "
                               "{service: cart, factor: 1}}\n");
    CU_ASSERT_FATAL(text != NULL);
    struct rpt_run r;
    int rc = test_run_text(text, NULL, 0, &r);
    free(text);
    RUN_OR_RETURN(rc);
    const struct rpt_event *ej = test_timeline_entry(&r, "eject", 0),
                           *t = test_timeline_entry(&r, "trigger", 0),
                           *st = test_timeline_entry(&r, "fault-start", 0),
                           *end = test_timeline_entry(&r, "fault-end", 0);
    CU_ASSERT_FATAL(ej && t && st && end);
    CU_ASSERT_STRING_EQUAL(ej->subject, "inventory-v2-0");
    CU_ASSERT_STRING_EQUAL(t->subject, "after");
    CU_ASSERT_EQUAL(t->at_ns, ej->at_ns);
    CU_ASSERT_EQUAL(st->at_ns, ej->at_ns + 2 * S);
    CU_ASSERT_EQUAL(end->at_ns, ej->at_ns + 3 * S);
    CU_ASSERT_EQUAL(test_timeline_count(&r, "trigger"), 1); /* v1 pods are never ejected */
    CU_ASSERT(test_timeline_count(&r, "eject") >= 2);       /* and a trigger fires once */
    rpt_run_free(&r);
}

/* Breaker overflows: one burst entry, its count the clusters' overflows; the trigger fires at it.
 */
static void test_faults_overflow_bursts_and_trigger(void)
{
    char *text = scenario_plus("scenarios/circuit-breaker.yaml",
                               "faults:\n"
                               "  - {when: {overflow: payments}, for: 1s, slow: {service: "
                               "payments, factor: 1}}\n");
    CU_ASSERT_FATAL(text != NULL);
    struct rpt_run r;
    int rc = test_run_text(text, NULL, 0, &r);
    free(text);
    RUN_OR_RETURN(rc);
    const struct rpt_event *ov = test_timeline_entry(&r, "overflow", 0),
                           *t = test_timeline_entry(&r, "trigger", 0);
    CU_ASSERT_FATAL(ov && t);
    CU_ASSERT_EQUAL(t->at_ns, ov->at_ns);
    uint64_t logged = 0, counted = 0;
    for (size_t i = 0; i < r.n_timeline; i++)
        if (!strcmp(r.timeline[i].what, "overflow"))
            logged += strtoull(r.timeline[i].detail, NULL, 10);
    for (size_t i = 0; i < r.n_clusters; i++)
        counted += r.clusters[i].rq_pending_overflow + r.clusters[i].rq_overflow +
                   r.clusters[i].rq_retry_overflow;
    CU_ASSERT(logged > 0);
    CU_ASSERT_EQUAL(logged, counted);
    rpt_run_free(&r);
}

static const char *const monkey_text =
    "faultline: 1\n"
    "name: monkey\n" /* the digest covers the name, which is otherwise the file's */
    "duration: 1000s\n"
    "services:\n"
    "  - {name: api, replicas: 2, workers: 100, service_time: 1ms}\n"
    "  - {name: db, workers: 100, service_time: 1ms}\n"
    "workload:\n"
    "  - {name: c, target: api, arrival: constant, rate: 10/s, requests: [{path: /x}]}\n"
    "chaos:\n"
    "  monkey: {rate: 1/s, kinds: [slow, errors], targets: [api], start: 100s, stop: 900s,\n"
    "           duration: {dist: exponential, mean: 2s}}\n";

/*
 * The monkey's starts are a Poisson process: 1/s over 800 s gives 800
 * faults, sigma sqrt(800) = 28.3; within 4 sigma, all in [start, stop), on
 * the listed target; the same seed draws the same faults.
 */
static void test_faults_monkey_draws_poisson_and_reproducibly(void)
{
    struct sim_scenario sc;
    char *err = NULL;
    char path[] = "/tmp/faultline-monkey-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, monkey_text, strlen(monkey_text)) == (ssize_t)strlen(monkey_text));
    close(fd);
    int rc = sim_scenario_load(path, NULL, 0, NULL, &sc, &err);
    unlink(path);
    CU_ASSERT_FATAL(rc == 0);
    struct sim_fault *a, *b;
    size_t na = sim_monkey_draw(&sc, &a), nb = sim_monkey_draw(&sc, &b);
    CU_ASSERT_EQUAL(na, nb);
    ASSERT_ABS((double)na, 800, 4 * sqrt(800));
    size_t kinds[SIM_FAULT_KINDS] = {0};
    for (size_t i = 0; i < na; i++) {
        CU_ASSERT(a[i].when.at_ns >= 100 * S && a[i].when.at_ns < 900 * S);
        CU_ASSERT(i == 0 || a[i].when.at_ns >= a[i - 1].when.at_ns);
        CU_ASSERT_EQUAL(a[i].target.service, 0);
        CU_ASSERT(a[i].for_ns >= MS);
        kinds[a[i].kind]++;
        CU_ASSERT(a[i].when.at_ns == b[i].when.at_ns && a[i].for_ns == b[i].for_ns &&
                  a[i].kind == b[i].kind);
        size_t size = sim_fault_kind(a[i].kind)->params_size;
        CU_ASSERT_EQUAL(memcmp(a[i].params, b[i].params, size), 0);
    }
    /* both kinds drawn, each about half: binomial sigma sqrt(800/4) = 14.1 */
    ASSERT_ABS((double)kinds[SIM_FAULT_SLOW], (double)na / 2, 4 * sqrt((double)na / 4));
    for (size_t i = 0; i < na; i++) sim_fault_free(&a[i]), sim_fault_free(&b[i]);
    free(a);
    free(b);
    sim_scenario_free(&sc);
}

/* Same seed, same digest with the monkey; another seed, other faults and another digest. */
static void test_faults_monkey_runs_are_reproducible(void)
{
    struct rpt_run r1, r2, r3;
    RUN_OR_RETURN(test_run_text(monkey_text, NULL, 0, &r1));
    RUN_OR_RETURN(test_run_text(monkey_text, NULL, 0, &r2));
    static const char *const other[] = {"seed=2"};
    RUN_OR_RETURN(test_run_text(monkey_text, other, 1, &r3));
    rpt_summary_digest(&r1);
    rpt_summary_digest(&r2);
    rpt_summary_digest(&r3);
    CU_ASSERT_STRING_EQUAL(r1.digest, r2.digest);
    CU_ASSERT_STRING_NOT_EQUAL(r1.digest, r3.digest);
    CU_ASSERT(test_timeline_count(&r1, "fault-start") > 700);
    CU_ASSERT_EQUAL(test_timeline_count(&r1, "fault-start"),
                    test_timeline_count(&r2, "fault-start"));
    const struct rpt_event *e = test_timeline_entry(&r1, "fault-start", 0);
    CU_ASSERT(e && strstr(e->detail, "(chaos monkey)") && !strncmp(e->detail, "monkey#1: ", 10));
    CU_ASSERT(r1.all.errors > 0);
    rpt_run_free(&r1);
    rpt_run_free(&r2);
    rpt_run_free(&r3);
}

void suite_faults(void)
{
    TEST_SUITE("sim/faults");
    TEST_ADD(test_faults_start_in_time_then_file_order);
    TEST_ADD(test_faults_requests_trigger_fires_at_the_nth_request);
    TEST_ADD(test_faults_slow_applies_only_while_active);
    TEST_ADD(test_faults_errors_rate_is_binomial_and_targeted);
    TEST_ADD(test_faults_match_trigger_fires_at_the_first_match);
    TEST_ADD(test_faults_during_assertions_cover_the_active_window);
    TEST_ADD(test_faults_ejected_trigger_follows_the_first_ejection);
    TEST_ADD(test_faults_overflow_bursts_and_trigger);
    TEST_ADD(test_faults_monkey_draws_poisson_and_reproducibly);
    TEST_ADD(test_faults_monkey_runs_are_reproducible);
}
