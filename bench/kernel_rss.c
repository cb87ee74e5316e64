/*
 * kernel_rss.c - the event kernel's memory over simulated time: 100,000
 * timers always pending (requests in flight, each re-armed 1 ms to 2 s
 * after it fires), and the process's resident set after 10, 100 and 1000
 * simulated seconds, with the bytes the wheel's slots hold. Memory should
 * follow the pending timers, not the time simulated.
 *
 * Prints figures only; never a verdict. Usage: kernel_rss [pending]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "sim/kernel.h"

struct flight {
    struct sim_timer t;
    struct fl_rng *rng;
};

static void refire(struct sim_kernel *k, struct sim_timer *t)
{
    struct flight *f = t->data;
    sim_timer_arm(k, t, sim_now(k) + 1000000 + (int64_t)(fl_rng_next(f->rng) % 1999000000));
}

/* VmRSS of this process in KiB, from /proc/self/status (0 if unreadable). */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    struct sim_kernel *k = fl_malloc(sizeof *k);
    sim_kernel_init(k);
    struct fl_rng rng;
    fl_rng_seed(&rng, 3);
    struct flight *fs = fl_calloc(n, sizeof *fs);
    for (size_t i = 0; i < n; i++) {
        fs[i].rng = &rng;
        sim_timer_init(&fs[i].t, refire, &fs[i]);
        sim_timer_arm(k, &fs[i].t, (int64_t)(fl_rng_next(&rng) % 2000000000));
    }
    printf("%zu timers pending; resident set and wheel storage after simulated time\n", n);
    printf("%10s %14s %12s %12s\n", "simulated", "events", "rss_MiB", "wheel_MiB");
    static const int at_s[] = {10, 100, 1000};
    for (int i = 0; i < 3; i++) {
        sim_kernel_run(k, (int64_t)at_s[i] * 1000000000);
        printf("%9ds %14llu %12.1f %12.2f\n", at_s[i], (unsigned long long)k->events,
               (double)rss_kib() / 1024, (double)sim_kernel_wheel_bytes(k) / (1024 * 1024));
    }
    for (size_t i = 0; i < n; i++) sim_timer_cancel(k, &fs[i].t);
    free(fs);
    sim_kernel_free(k);
    free(k);
    return 0;
}
