/*
 * test_gateway.c - the Kong gateway on the simulated request path, where
 * the outcome can be worked out by hand: passive health checks eject a
 * target that fails them after exactly unhealthy.http_failures of its
 * answers and never bring it back (Kong's health-checks-circuit-breakers.md,
 * lua-resty-healthcheck incr_counter); the upstream's threshold turns the
 * whole upstream away once too little weight is left healthy
 * (kong/runloop/balancer/balancers.lua).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_gateway(void);

#define SCENARIO "scenarios/kong-health.yaml"

static const struct rpt_pod *pod(const struct rpt_run *r, const char *name)
{
    for (size_t s = 0; s < r->n_services; s++)
        for (size_t p = 0; p < r->services[s].n_pods; p++)
            if (!strcmp(r->services[s].pods[p].name, name)) return &r->services[s].pods[p];
    return NULL;
}

static const struct rpt_cluster *cluster(const struct rpt_run *r, const char *name)
{
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strcmp(r->clusters[i].name, name)) return &r->clusters[i];
    return NULL;
}

static size_t timeline_count(const struct rpt_run *r, const char *what)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_timeline; i++) n += !strcmp(r->timeline[i].what, what);
    return n;
}

/*
 * Round robin over three pods, one answering 503 to everything, passive
 * http_failures 3: Kong does not retry an answer, so the clients see
 * exactly three 503s; the third ejects the pod for the rest of the run.
 */
static void test_gateway_passive_checks_eject_after_exactly_http_failures(void)
{
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, NULL, 0, &r));
    const struct rpt_stats *s = &r.routes[0];
    CU_ASSERT_EQUAL(s->count, 6000);
    CU_ASSERT_EQUAL(s->errors, 3);
    CU_ASSERT_EQUAL(s->outcomes[503], 3);
    CU_ASSERT_EQUAL(s->tries, 6000); /* no retry: Kong retries no answer */
    const struct rpt_pod *bad = pod(&r, "catalog-v2-0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    CU_ASSERT_EQUAL(bad->count, 3);
    CU_ASSERT_EQUAL(bad->errors, 3);
    /* one ejection, of that pod, by the gateway, for good */
    CU_ASSERT_EQUAL_FATAL(r.n_timeline, 1);
    const struct rpt_event *e = &r.timeline[0];
    CU_ASSERT_STRING_EQUAL(e->what, "eject");
    CU_ASSERT_STRING_EQUAL(e->proxy, "gateway");
    CU_ASSERT_STRING_EQUAL(e->cluster, "catalog");
    CU_ASSERT_STRING_EQUAL(e->host, "catalog-v2-0");
    CU_ASSERT(e->value_ns > INT64_C(10) * 365 * 24 * 3600 * 1000000000); /* over ten years */
    CU_ASSERT_EQUAL(timeline_count(&r, "uneject"), 0);
    /* the bad pod's third request is among the first nine (round robin over three) */
    CU_ASSERT(e->at_ns < 100 * 1000000);
    const struct rpt_cluster *c = cluster(&r, "gateway catalog");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->ejections, 1);
    CU_ASSERT_EQUAL(c->rq_retry, 0);
    CU_ASSERT_EQUAL(c->no_healthy, 0);
    rpt_run_free(&r);
}

/* Passive checks off (every counter 0, Kong's default): a third of the requests fail. */
static void test_gateway_without_checks_every_third_request_fails(void)
{
    static const char *const off[] = {
        "gateway.upstreams.catalog-up.healthchecks.passive.unhealthy.http_failures=0"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, off, 1, &r));
    CU_ASSERT_EQUAL(r.routes[0].count, 6000);
    CU_ASSERT_EQUAL(r.routes[0].errors, 2000);
    CU_ASSERT_EQUAL(r.n_timeline, 0);
    rpt_run_free(&r);
}

/*
 * The upstream's threshold: healthy while the healthy targets hold more
 * than that percent of the weight. One target of three out leaves 66.7%:
 * above 60, so only the three 503s; not above 70, so from the ejection on
 * every request is turned away (503, no healthy upstream).
 */
static void test_gateway_threshold_turns_the_upstream_away(void)
{
    static const char *const t60[] = {"gateway.upstreams.catalog-up.healthchecks.threshold=60"};
    static const char *const t70[] = {"gateway.upstreams.catalog-up.healthchecks.threshold=70"};
    struct rpt_run r;
    RUN_OR_RETURN(test_run_file(SCENARIO, t60, 1, &r));
    CU_ASSERT_EQUAL(r.routes[0].errors, 3);
    rpt_run_free(&r);
    RUN_OR_RETURN(test_run_file(SCENARIO, t70, 1, &r));
    const struct rpt_cluster *c = cluster(&r, "gateway catalog");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(timeline_count(&r, "eject"), 1);
    /* three answered 503s, then every request after the ejection refused */
    CU_ASSERT_EQUAL(r.routes[0].errors, 3 + c->no_healthy);
    CU_ASSERT_EQUAL(r.routes[0].outcomes[503], r.routes[0].errors);
    CU_ASSERT(c->no_healthy > 5990);
    CU_ASSERT_EQUAL(c->rq_total, 6000 - c->no_healthy);
    rpt_run_free(&r);
}

void suite_gateway(void)
{
    TEST_SUITE("sim/gateway");
    TEST_ADD(test_gateway_passive_checks_eject_after_exactly_http_failures);
    TEST_ADD(test_gateway_without_checks_every_third_request_fails);
    TEST_ADD(test_gateway_threshold_turns_the_upstream_away);
}
