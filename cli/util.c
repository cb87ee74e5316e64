/*
 * util.c - small helpers of the command line: wall clock, folders, and
 * what the live commands (gateway, stub) share - their options loop, usage
 * errors, --seed, and the signals they stop on.
 *
 * Each command keeps its own usage text and the meaning of its options;
 * only the loop over argv and the shape of the messages are here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "faultline %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see faultline %s --help)\n", cmd);
    return CLI_BAD_INPUT;
}

int cli_parse_opts(const struct cli_opts_spec *spec, int argc, char **argv, int *verbose)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(spec->usage, stdout);
            exit(CLI_OK);
        }
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            *verbose = 1;
            continue;
        }
        int known = 0;
        for (int k = 0; spec->with_value[k]; k++) known |= !strcmp(a, spec->with_value[k]);
        if (!known) return cli_usage_error(spec->cmd, "unknown argument '%s'", a);
        if (i + 1 >= argc) return cli_usage_error(spec->cmd, "%s needs a value", a);
        if (spec->value(spec->opts, a, argv[++i])) return CLI_BAD_INPUT;
    }
    return 0;
}

int cli_parse_seed(const char *cmd, const char *v, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long s = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-')
        return cli_usage_error(cmd, "--seed needs a whole number, not '%s'", v);
    *seed = s;
    return 0;
}

void cli_signals_start(struct cli_signals *s, struct ev_loop *loop,
                       void (*cb)(struct ev_loop *loop, ev_signal *w, int revents), void *data)
{
    signal(SIGPIPE, SIG_IGN);
    ev_signal_init(&s->term, cb, SIGTERM);
    ev_signal_init(&s->intr, cb, SIGINT);
    s->term.data = s->intr.data = data;
    ev_signal_start(loop, &s->term);
    ev_signal_start(loop, &s->intr);
}

void cli_signals_stop(struct cli_signals *s, struct ev_loop *loop)
{
    ev_signal_stop(loop, &s->term);
    ev_signal_stop(loop, &s->intr);
}
