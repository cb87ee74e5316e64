/*
 * monkey.h - the chaos monkey (`chaos: {monkey: ...}`): random faults
 * drawn from the scenario's seed when the run starts.
 */
#ifndef FL_SIM_MONKEY_H
#define FL_SIM_MONKEY_H

#include <stddef.h>

#include "sim/scenario.h"

/*
 * Draws the monkey's faults (none when the scenario has no monkey) into a
 * new array *out (caller frees each with sim_fault_free, then the array).
 * Returns how many. The draws depend only on the scenario and its seed.
 */
size_t sim_monkey_draw(const struct sim_scenario *sc, struct sim_fault **out);

#endif
