/*
 * explain.h - what faultline understood of a loaded scenario, as text
 * (explain.c): services, workloads, and the proxies as built, with every
 * default applied. For `faultline check`.
 */
#ifndef FL_SIM_EXPLAIN_H
#define FL_SIM_EXPLAIN_H

#include <stdio.h>

#include "sim/scenario.h"

/*
 * Builds the scenario's proxies (as a run would, without running) and
 * writes what they do to out. Returns 0, or -1 with *err set (caller
 * frees) when building fails (a reference to something the scenario does
 * not have); out may then hold part of the text.
 */
int sim_explain(const struct sim_scenario *sc, FILE *out, char **err);

#endif
