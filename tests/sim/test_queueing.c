/*
 * test_queueing.c - the simulator against queueing theory and TCP: the
 * bundled scenarios mm1, mmc, md1 and loss, run in-process, must reproduce
 * the M/M/1 sojourn distribution, Erlang C's mean wait, the
 * Pollaczek-Khinchine mean wait (each within 3%), and loss turning into an
 * RTO of tail latency with no request lost.
 *
 * The runs are long (millions of requests) because at high load
 * successive waits are strongly correlated: short runs scatter by several
 * percent from seed to seed, and the point is to test the model, not luck.
 */
#include <math.h>
#include <stdlib.h>

#include "reports/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "tests/simrun.h"
#include "tests/testutil.h"

void suite_queueing(void);
static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static void test_queueing_mm1_matches_exponential_sojourn(void)
{
    struct rpt_run run;
    if (test_run_file("scenarios/mm1.yaml", NULL, 0, &run)) {
        CU_FAIL("scenarios/mm1.yaml did not load");
        return;
    }
    const struct rpt_stats *r = &run.routes[0];
    double rate = 1.0 / (1.0 - 0.9); /* 1 / (mu - lambda) in ms */
    CU_ASSERT_EQUAL(r->errors, 0);
    ASSERT_REL(rpt_hist_mean(&r->hist) / 1e6, rate, 0.03);
    ASSERT_REL(ms(rpt_hist_quantile(&r->hist, 0.50)), rate * log(2.0), 0.03);
    ASSERT_REL(ms(rpt_hist_quantile(&r->hist, 0.95)), rate * log(20.0), 0.03);
    ASSERT_REL(ms(rpt_hist_quantile(&r->hist, 0.99)), rate * log(100.0), 0.03);
    /* 900/s for 19990 counted seconds, within 5 standard deviations of the poisson count */
    ASSERT_ABS((double)r->count, 900.0 * 19990, 5 * sqrt(900.0 * 19990));
    rpt_run_free(&run);
}

/* Erlang's C formula: the chance an arrival waits, c servers, offered load a = lambda / mu. */
static double erlang_c(int c, double a)
{
    double sum = 0, term = 1;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term / (1 - a / c);
    return top / (sum + top);
}

static void test_queueing_mmc_mean_wait_matches_erlang_c(void)
{
    struct rpt_run run;
    if (test_run_file("scenarios/mmc.yaml", NULL, 0, &run)) {
        CU_FAIL("scenarios/mmc.yaml did not load");
        return;
    }
    double lambda = 3.2, mu = 1.0; /* per ms */
    int c = 4;
    double wait = erlang_c(c, lambda / mu) / (c * mu - lambda);
    ASSERT_REL(erlang_c(c, 3.2), 0.5964, 0.001); /* the formula itself, against a table value */
    double measured = rpt_hist_mean(&run.routes[0].hist) / 1e6 - 1.0 / mu;
    ASSERT_REL(measured, wait, 0.03);
    CU_ASSERT_EQUAL(run.routes[0].errors, 0);
    rpt_run_free(&run);
}

static void test_queueing_md1_mean_wait_matches_pollaczek_khinchine(void)
{
    struct rpt_run run;
    if (test_run_file("scenarios/md1.yaml", NULL, 0, &run)) {
        CU_FAIL("scenarios/md1.yaml did not load");
        return;
    }
    double rho = 0.9, mu = 1.0;
    double wait = rho / (2 * mu * (1 - rho)); /* P-K with deterministic service */
    double measured = rpt_hist_mean(&run.routes[0].hist) / 1e6 - 1.0 / mu;
    ASSERT_REL(measured, wait, 0.03);
    /* deterministic service: nobody is faster than the service time */
    CU_ASSERT_EQUAL(run.routes[0].hist.min, 1000000);
    rpt_run_free(&run);
}

static void test_queueing_loss_costs_one_rto_of_tail_and_loses_nothing(void)
{
    struct rpt_run lossy, clean;
    static const char *const no_loss[] = {"network.loss=0"};
    if (test_run_file("scenarios/loss.yaml", NULL, 0, &lossy) ||
        test_run_file("scenarios/loss.yaml", no_loss, 1, &clean)) {
        CU_FAIL("scenarios/loss.yaml did not load");
        return;
    }
    const struct rpt_stats *l = &lossy.routes[0], *c = &clean.routes[0];
    /* every request completes, with or without loss */
    CU_ASSERT_EQUAL(l->errors, 0);
    CU_ASSERT_EQUAL(c->errors, 0);
    CU_ASSERT_EQUAL(l->count, c->count);
    CU_ASSERT_EQUAL(l->outcomes[200], l->count);
    /*
     * About 4% of requests lose one of their two segments and wait one RTO
     * (SRTT + 200 ms with a 4 ms round trip): P99 moves up by about that.
     */
    double rise = ms(rpt_hist_quantile(&l->hist, 0.99)) - ms(rpt_hist_quantile(&c->hist, 0.99));
    CU_ASSERT(rise > 150 && rise < 260);
    if (!(rise > 150 && rise < 260)) fprintf(stderr, "\n  P99 rose by %.1f ms\n", rise);
    /* the median barely moves: most requests see no loss */
    ASSERT_ABS(ms(rpt_hist_quantile(&l->hist, 0.5)), ms(rpt_hist_quantile(&c->hist, 0.5)), 1.0);
    rpt_run_free(&lossy);
    rpt_run_free(&clean);
}

void suite_queueing(void)
{
    TEST_SUITE("sim/queueing");
    TEST_ADD(test_queueing_mm1_matches_exponential_sojourn);
    TEST_ADD(test_queueing_mmc_mean_wait_matches_erlang_c);
    TEST_ADD(test_queueing_md1_mean_wait_matches_pollaczek_khinchine);
    TEST_ADD(test_queueing_loss_costs_one_rto_of_tail_and_loses_nothing);
}
