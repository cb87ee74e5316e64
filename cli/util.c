/*
 * util.c - small helpers of the command line: wall clock, folders.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "cli/cli.h"

double cli_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_mkdirs(const char *path)
{
    char *p = fl_strdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && !rc; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) && errno != EEXIST) rc = -1;
        *s = '/';
    }
    if (!rc && mkdir(p, 0777) && errno != EEXIST) rc = -1;
    int saved = errno;
    free(p);
    errno = saved;
    return rc;
}
