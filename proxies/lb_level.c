/*
 * lb_level.c - Envoy's priority levels and locality weights as pure
 * arithmetic: the share of traffic each priority gets from the health of
 * its hosts, and a locality's effective weight.
 *
 * Checked against envoyproxy/envoy source/extensions/load_balancing_policies/
 * common/load_balancer_impl.cc (recalculatePerPriorityState,
 * calculateNormalizedTotalAvailability, distributeLoad, choosePriority) and
 * source/common/upstream/upstream_impl.cc (effectiveLocalityWeight); docs
 * intro/arch_overview/upstream/load_balancing/priority.rst: "traffic
 * spills to the next priority when healthy% x 1.4 < 100".
 *
 * Not here: degraded hosts (none are modeled), so the degraded load is
 * always 0.
 */
#include "base/assert.h"
#include "proxies/lb.h"

#define OVERPROVISIONING 140 /* Envoy's default factor 1.4, in percent */

uint32_t px_lb_priority_load(const uint32_t *healthy, const uint32_t *total, uint32_t n,
                             uint32_t *load)
{
    FL_ASSERT(healthy && total && load && n >= 1 && n <= PX_LB_PRIO_MAX);
    uint32_t health[PX_LB_PRIO_MAX], sum = 0;
    for (uint32_t p = 0; p < n; p++) {
        FL_ASSERT(healthy[p] <= total[p]);
        uint64_t h = total[p] ? (uint64_t)OVERPROVISIONING * healthy[p] / total[p] : 0;
        health[p] = h > 100 ? 100 : (uint32_t)h;
        sum += health[p];
        load[p] = 0;
    }
    uint32_t avail = sum > 100 ? 100 : sum;
    if (avail == 0) {
        load[0] = 100; /* everything is down: priority 0 takes it all */
        return 0;
    }
    uint32_t left = 100;
    int first = -1;
    for (uint32_t p = 0; p < n; p++) {
        uint32_t want = health[p] * 100 / avail;
        load[p] = want < left ? want : left;
        left -= load[p];
        if (load[p] > 0 && first < 0) first = (int)p;
    }
    /* avail > 0: some priority has health, and so a load of at least 1 */
    FL_ASSERT(first >= 0);
    if (left && first >= 0) load[first] += left; /* rounding */
    return avail;
}

uint32_t px_lb_priority_choose(const uint32_t *load, uint32_t n, uint64_t r)
{
    FL_ASSERT(load && n >= 1);
    uint64_t x = r % 100 + 1, sum = 0;
    for (uint32_t p = 0; p < n; p++) {
        sum += load[p];
        if (x <= sum) return p;
    }
    FL_ASSERT(0); /* loads sum to 100 */
    return 0;
}

uint32_t px_lb_locality_effective(uint32_t weight, uint32_t healthy, uint32_t total)
{
    FL_ASSERT(healthy <= total);
    if (total == 0) return 0;
    double ratio = (OVERPROVISIONING / 100.0) * healthy / total;
    return (uint32_t)(weight * (ratio < 1.0 ? ratio : 1.0));
}
