/*
 * fault_kinds.c - the table of kinds of fault (sim/fault.h). A new kind is
 * a line here, after its value in enum sim_fault_kind_id and its struct
 * sim_fault_kind in its family's file; nothing else switches on kinds.
 */
#include <string.h>

#include "base/assert.h"
#include "sim/fault.h"

static const struct sim_fault_kind *const kinds[SIM_FAULT_KINDS] = {
    [SIM_FAULT_SLOW] = &sim_fault_slow,
    [SIM_FAULT_ERRORS] = &sim_fault_errors,
    [SIM_FAULT_HERD] = &sim_fault_herd,
    [SIM_FAULT_KILL] = &sim_fault_kill,
    [SIM_FAULT_RESTART] = &sim_fault_restart,
    [SIM_FAULT_ROLLOUT] = &sim_fault_rollout,
    [SIM_FAULT_DELAY] = &sim_fault_delay,
    [SIM_FAULT_LOSS] = &sim_fault_loss,
    [SIM_FAULT_PARTITION] = &sim_fault_partition,
    [SIM_FAULT_NODE_DOWN] = &sim_fault_node_down,
    [SIM_FAULT_RESET] = &sim_fault_reset,
    [SIM_FAULT_DNS] = &sim_fault_dns,
    [SIM_FAULT_CA_DOWN] = &sim_fault_ca_down,
    [SIM_FAULT_CLOCK_SKEW] = &sim_fault_clock_skew,
    [SIM_FAULT_ROOT_ROTATION] = &sim_fault_root_rotation,
    [SIM_FAULT_POLICY] = &sim_fault_policy,
};

static const char *names[SIM_FAULT_KINDS + 1];

const struct sim_fault_kind *sim_fault_kind(enum sim_fault_kind_id id)
{
    if ((int)id < 0 || id >= SIM_FAULT_KINDS) return NULL;
    FL_ASSERT(kinds[id] != NULL);
    return kinds[id];
}

int sim_fault_kind_find(const char *name)
{
    for (int i = 0; i < SIM_FAULT_KINDS; i++)
        if (!strcmp(kinds[i]->name, name)) return i;
    return -1;
}

const char *const *sim_fault_kind_names(void)
{
    for (int i = 0; i < SIM_FAULT_KINDS; i++) names[i] = kinds[i]->name;
    names[SIM_FAULT_KINDS] = NULL;
    return names;
}
