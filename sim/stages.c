/*
 * stages.c - time-varying load (k6 stages). k6's ramping-arrival-rate
 * executor (grafana.com/docs/k6, "Ramping arrival rate") starts at
 * startRate, 0 by default, and moves linearly to each stage's target over
 * its duration; so does the rate here, from 0 before the first stage.
 *
 * Arrivals follow the rate by inverting its integral, the expected number
 * of arrivals L(t): a Poisson client places its n-th arrival where L
 * reaches E1 + ... + En (Ei exponential with mean 1), which makes a
 * non-homogeneous Poisson process (the time-change theorem; the same law
 * as thinning, without rejected draws); a constant client where L reaches
 * 0, 1, 2, ...: spacing 1/rate as the rate moves.
 */
#include <math.h>

#include "base/assert.h"
#include "sim/stages.h"

double sim_stages_rate(const struct sim_stage *st, size_t n, int64_t t_ns)
{
    FL_ASSERT(t_ns >= 0);
    double from = 0;
    for (size_t i = 0; i < n; i++) {
        if (t_ns < st[i].for_ns) {
            double f = (double)t_ns / (double)st[i].for_ns;
            return from + (st[i].rate_per_s - from) * f;
        }
        t_ns -= st[i].for_ns;
        from = st[i].rate_per_s;
    }
    return 0;
}

int64_t sim_stages_time_of(const struct sim_stage *st, size_t n, double lambda)
{
    FL_ASSERT(lambda >= 0);
    double from = 0, t0 = 0; /* t0: the stage's start, in seconds */
    for (size_t i = 0; i < n; i++) {
        double d = (double)st[i].for_ns / 1e9, to = st[i].rate_per_s;
        double area = (from + to) / 2 * d; /* the arrivals expected in this stage */
        if (lambda < area) {
            /* L(x) = from x + (to - from) x^2 / (2 d) = lambda, solved for x in [0, d]
             * in the form that stays exact when to == from */
            double a = (to - from) / (2 * d), disc = from * from + 4 * a * lambda;
            double x = lambda > 0 ? 2 * lambda / (from + sqrt(disc > 0 ? disc : 0)) : 0;
            if (!(x <= d)) x = d; /* rounding */
            return (int64_t)llround((t0 + x) * 1e9);
        }
        lambda -= area;
        t0 += d;
        from = to;
    }
    return -1;
}
