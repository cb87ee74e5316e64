/*
 * test_list.h - the one list of CUnit suites (an X-macro).
 *
 * Each suite lives in tests/<folder>/test_<file>.c and defines
 * `void suite_<name>(void)`, which adds its suite and tests to the registry.
 * Add a line here for a new one; tests/main.c does the rest.
 */
SUITE(rng)
SUITE(text)
SUITE(kernel)
SUITE(dist)
SUITE(units)
SUITE(link)
SUITE(tcp)
SUITE(hist)
SUITE(summary)
SUITE(queueing)
SUITE(world)
SUITE(yamldoc)
SUITE(load)
SUITE(retry)
SUITE(breaker)
SUITE(lb)
SUITE(outlier)
SUITE(ratelimit)
SUITE(match)
SUITE(kong)
SUITE(kong_health)
SUITE(kong_build)
SUITE(istio)
SUITE(http1)
SUITE(live_rt)
SUITE(mesh)
SUITE(gateway)
SUITE(faults)
SUITE(log)
