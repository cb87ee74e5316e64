/*
 * simrun.c - running scenarios in-process for tests (see simrun.h).
 */
#include "tests/simrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run.h"
#include "sim/scenario.h"

int test_run_file(const char *path, const char *const *sets, size_t n_sets, struct rpt_run *run)
{
    struct sim_scenario sc;
    char *err = NULL;
    if (sim_scenario_load(path, sets, n_sets, NULL, &sc, &err)) {
        fprintf(stderr, "\n  %s\n", err);
        free(err);
        return -1;
    }
    int rc = sim_run(&sc, NULL, NULL, run, &err);
    if (rc) {
        fprintf(stderr, "\n  %s\n", err);
        free(err);
    }
    sim_scenario_free(&sc);
    return rc;
}

int test_run_text(const char *text, const char *const *sets, size_t n_sets, struct rpt_run *run)
{
    char path[] = "/tmp/faultline-test-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len;
    close(fd);
    int rc = ok ? test_run_file(path, sets, n_sets, run) : -1;
    unlink(path);
    return rc;
}

const struct rpt_event *test_timeline_entry(const struct rpt_run *r, const char *what, size_t i)
{
    for (size_t k = 0; k < r->n_timeline; k++)
        if (!strcmp(r->timeline[k].what, what) && i-- == 0) return &r->timeline[k];
    return NULL;
}

size_t test_timeline_count(const struct rpt_run *r, const char *what)
{
    size_t n = 0;
    for (size_t k = 0; k < r->n_timeline; k++) n += !strcmp(r->timeline[k].what, what);
    return n;
}
