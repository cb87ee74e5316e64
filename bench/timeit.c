/*
 * timeit.c - runs one command and writes what it cost: wall seconds (a
 * monotonic clock around fork and wait), user and system CPU seconds and
 * peak resident set in KiB (the child's rusage, from wait4), to microsecond
 * resolution. /usr/bin/time prints wall time to 10 ms, too coarse for runs of
 * a tenth of a second whose ratio is the figure (bench/peers.sh).
 *
 *   timeit -o FILE CMD [ARG...]     FILE gets "wall user sys maxrss_kb"
 *
 * Exits with the command's status (128 + signal if it was killed; 127 if
 * it could not be run). Prints figures only; never a verdict.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "-o") != 0) {
        fprintf(stderr, "usage: timeit -o FILE CMD [ARG...]\n");
        return 2;
    }
    const char *out = argv[2];
    char **cmd = argv + 3;
    FL_ASSERT(cmd[0]);
    double start = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(cmd[0], cmd);
        fprintf(stderr, "timeit: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
            return 2;
        }
    }
    double wall = now_s() - start;
    FL_ASSERT(wall >= 0);
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "timeit: %s: %s\n", out, strerror(errno));
        return 2;
    }
    fprintf(f, "%.6f %.6f %.6f %ld\n", wall, seconds(ru.ru_utime), seconds(ru.ru_stime),
            ru.ru_maxrss);
    if (fclose(f) != 0) {
        fprintf(stderr, "timeit: %s: %s\n", out, strerror(errno));
        return 2;
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
