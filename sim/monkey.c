/*
 * monkey.c - the chaos monkey: faults at random, as Netflix's Chaos
 * Monkey kills instances at random, but reproducible: every draw comes
 * from one stream derived from the seed and the name "chaos-monkey", so
 * the replay line (same scenario, same seed) brings the same faults.
 *
 * Starts form a Poisson process of the configured rate over [start,
 * stop); each fault picks a kind and a target service uniformly from the
 * configured lists, a `for` from the duration distribution (at least
 * 1 ms), and its parameters from the kind's own draw (sim/fault.h): any
 * kind with a draw function can be listed in `kinds`. Faults are named
 * monkey#N in order of their start.
 *
 * Not here: scheduling (faults.c); the faults go into the event log when
 * they start and end, with their parameters.
 */
#include "sim/monkey.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/rng.h"

#define MONKEY_FOR_MIN_NS INT64_C(1000000)

size_t sim_monkey_draw(const struct sim_scenario *sc, struct sim_fault **out)
{
    const struct sim_monkey_cfg *m = &sc->monkey;
    *out = NULL;
    if (!m->on) return 0;
    FL_ASSERT(m->rate_per_s > 0 && m->n_kinds > 0 && m->n_targets > 0);
    FL_ASSERT(m->start_ns < m->stop_ns);
    struct fl_rng rng;
    fl_rng_derive(&rng, sc->seed, "chaos-monkey");
    size_t n = 0, cap = 0;
    int64_t t = m->start_ns;
    for (;;) {
        /* exponential gaps: -ln(U)/rate, U in (0, 1] */
        double gap_s = -log(fl_rng_open01(&rng)) / m->rate_per_s;
        if (gap_s * 1e9 >= (double)(m->stop_ns - t)) break;
        t += (int64_t)(gap_s * 1e9);
        if (n == SIM_FAULTS_MAX) break;
        FL_GROW(*out, cap, n + 1);
        struct sim_fault *f = &(*out)[n++];
        memset(f, 0, sizeof *f);
        f->kind = (enum sim_fault_kind_id)m->kinds[fl_rng_below(&rng, m->n_kinds)];
        const struct sim_fault_kind *k = sim_fault_kind(f->kind);
        FL_ASSERT(k && k->draw);
        f->name = fl_asprintf("monkey#%zu", n);
        f->from_monkey = 1;
        f->when.kind = SIM_TRIGGER_AT;
        f->when.at_ns = t;
        f->for_ns = fl_dist_sample(&m->duration, &rng);
        if (f->for_ns < MONKEY_FOR_MIN_NS) f->for_ns = MONKEY_FOR_MIN_NS;
        f->target.service = m->targets[fl_rng_below(&rng, m->n_targets)];
        f->target.version = f->target.pod = -1;
        f->params = fl_calloc(1, k->params_size ? k->params_size : 1);
        k->draw(&rng, sc, f);
    }
    return n;
}
