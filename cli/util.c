/*
 * util.c - small helpers of the command line: wall clock, folders, and
 * what the live commands (gateway, stub) share - their options loop, usage
 * errors, --seed, the signals they stop on, and the runtime's limits.
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
#include "base/assert.h"
#include "base/units.h"
#include "cli/cli.h"
#include "reports/pages.h"
#include "live/rt.h"

double cli_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_mkdirs(const char *path)
{
    FL_ASSERT(path && *path); /* p + 1 below is inside the string */
    char *p = fl_strdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && !rc; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) && errno != EEXIST) rc = -1;
        *s = '/';
    }
    FL_ASSERT(!strcmp(p, path)); /* every '/' cut was put back */
    if (!rc && mkdir(p, 0777) && errno != EEXIST) rc = -1;
    int saved = errno;
    free(p);
    errno = saved;
    return rc;
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    FL_ASSERT(cmd && fmt);
    fprintf(stderr, "faultline %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see faultline %s --help)\n", cmd);
    return CLI_BAD_INPUT;
}

int cli_parse_opts(const struct cli_opts_spec *spec, int argc, char **argv, int *verbose)
{
    FL_ASSERT(spec && spec->cmd && spec->usage && spec->with_value && spec->value && verbose);
    FL_ASSERT(argc >= 1 && argv);
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
        FL_ASSERT(i < argc);
    }
    return 0;
}

int cli_parse_seed(const char *cmd, const char *v, uint64_t *seed)
{
    FL_ASSERT(cmd && v && seed);
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
    FL_ASSERT(s && loop && cb);
    signal(SIGPIPE, SIG_IGN);
    ev_signal_init(&s->term, cb, SIGTERM);
    ev_signal_init(&s->intr, cb, SIGINT);
    s->term.data = s->intr.data = data;
    ev_signal_start(loop, &s->term);
    ev_signal_start(loop, &s->intr);
    FL_ASSERT(ev_is_active(&s->term) && ev_is_active(&s->intr));
}

void cli_signals_stop(struct cli_signals *s, struct ev_loop *loop)
{
    FL_ASSERT(s && loop);
    ev_signal_stop(loop, &s->term);
    ev_signal_stop(loop, &s->intr);
    FL_ASSERT(!ev_is_active(&s->term) && !ev_is_active(&s->intr));
}

/* ---------------------------------------------------------------- the live runtime's limits */

#define LIMIT_UNSET     UINT32_MAX
#define HEAD_BYTES_MAX  (64 * 1024) /* under http-parser's own 80 KiB for a head */
#define BODY_BYTES_MAX  (INT64_C(1) << 30)
#define LIMIT_CONNS_MAX 10000000

void cli_limits_init(struct live_limits *lim, unsigned fds_per_conn)
{
    FL_ASSERT(lim && fds_per_conn >= 1);
    live_limits_default(lim, fds_per_conn);
    lim->conns_per_ip_max = LIMIT_UNSET; /* half of --max-conns, unless given */
}

static int limit_duration(const char *cmd, const char *a, const char *v, int64_t *out)
{
    FL_ASSERT(cmd && a && v && out);
    int rc = fl_parse_duration(v, out);
    if (!rc) return 0;
    char *msg = fl_asprintf("%s: %s", a, fl_units_strerror(rc, FL_UNITS_DURATION));
    rc = cli_usage_error(cmd, "%s", msg);
    free(msg);
    return rc;
}

static int limit_size(const char *cmd, const char *a, const char *v, int64_t max, uint64_t *out)
{
    FL_ASSERT(cmd && a && v && out && max >= 1);
    int64_t n;
    int rc = fl_parse_size(v, &n);
    if (rc) {
        char *msg = fl_asprintf("%s: %s", a, fl_units_strerror(rc, FL_UNITS_SIZE));
        rc = cli_usage_error(cmd, "%s", msg);
        free(msg);
        return rc;
    }
    if (n < 1 || n > max) {
        char *msg = fl_asprintf("%s takes 1B to %lldKiB, not '%%s'", a, (long long)(max / 1024));
        rc = cli_usage_error(cmd, msg, v);
        free(msg);
        return rc;
    }
    *out = (uint64_t)n;
    FL_ASSERT(*out >= 1 && *out <= (uint64_t)max);
    return 0;
}

static int limit_count(const char *cmd, const char *a, const char *v, uint32_t *out)
{
    FL_ASSERT(cmd && a && v && out);
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || n > LIMIT_CONNS_MAX) {
        char *msg = fl_asprintf("%s takes a whole number up to %d, not '%%s'", a, LIMIT_CONNS_MAX);
        int rc = cli_usage_error(cmd, msg, v);
        free(msg);
        return rc;
    }
    *out = (uint32_t)n;
    FL_ASSERT(*out <= LIMIT_CONNS_MAX && *out != LIMIT_UNSET);
    return 0;
}

int cli_limits_option(const char *cmd, struct live_limits *lim, const char *a, const char *v)
{
    FL_ASSERT(cmd && lim && a && v);
    uint64_t n = 0;
    int rc;
    if (!strcmp(a, "--header-timeout")) return limit_duration(cmd, a, v, &lim->header_timeout_ns);
    if (!strcmp(a, "--body-timeout")) return limit_duration(cmd, a, v, &lim->body_timeout_ns);
    if (!strcmp(a, "--idle-timeout")) return limit_duration(cmd, a, v, &lim->idle_timeout_ns);
    if (!strcmp(a, "--max-conns")) return limit_count(cmd, a, v, &lim->conns_max);
    if (!strcmp(a, "--max-conns-per-ip")) return limit_count(cmd, a, v, &lim->conns_per_ip_max);
    if (!strcmp(a, "--max-uri-size")) {
        if ((rc = limit_size(cmd, a, v, HEAD_BYTES_MAX, &n))) return rc;
        lim->request.uri_bytes_max = (uint32_t)n;
    } else if (!strcmp(a, "--max-header-size")) {
        if ((rc = limit_size(cmd, a, v, HEAD_BYTES_MAX, &n))) return rc;
        lim->request.header_bytes_max = (uint32_t)n;
    } else if (!strcmp(a, "--max-request-body")) {
        return limit_size(cmd, a, v, BODY_BYTES_MAX, &lim->request.body_bytes_max);
    } else if (!strcmp(a, "--max-response-body")) {
        return limit_size(cmd, a, v, BODY_BYTES_MAX, &lim->response_body_bytes_max);
    } else {
        return 1;
    }
    return 0;
}

void cli_limits_finish(struct live_limits *lim)
{
    FL_ASSERT(lim->conns_max <= LIMIT_CONNS_MAX);
    if (lim->conns_per_ip_max != LIMIT_UNSET) return;
    lim->conns_per_ip_max = lim->conns_max > 1 ? lim->conns_max / 2 : lim->conns_max;
    FL_ASSERT(lim->conns_per_ip_max <= lim->conns_max);
}

const char *cli_limits_format(const struct live_limits *lim, char *buf, size_t size)
{
    FL_ASSERT(buf && size > 0 && lim->conns_per_ip_max != LIMIT_UNSET); /* after _finish */
    char h[32], b[32], i[32];
    snprintf(buf, size,
             "header timeout %s, body timeout %s, idle timeout %s, %u connections (%u per "
             "address), target %u B, head %u B, request body %llu B, response body %llu B",
             fl_format_duration(lim->header_timeout_ns, h, sizeof h),
             fl_format_duration(lim->body_timeout_ns, b, sizeof b),
             fl_format_duration(lim->idle_timeout_ns, i, sizeof i), (unsigned)lim->conns_max,
             (unsigned)lim->conns_per_ip_max, (unsigned)lim->request.uri_bytes_max,
             (unsigned)lim->request.header_bytes_max,
             (unsigned long long)lim->request.body_bytes_max,
             (unsigned long long)lim->response_body_bytes_max);
    return buf;
}

/* ---------------------------------------------------------------- a run's pages */

int cli_write_pages(const struct rpt_run *run, const char *out, int quiet)
{
    FL_ASSERT(run && out);
    struct rpt_pages_opts po = {1, RPT_PAGES_LIMIT_S};
    struct rpt_pages_result res;
    char *err = NULL;
    if (rpt_pages_write_opts(run, out, &po, &res, &err)) {
        fprintf(stderr, "faultline: %s\n", err);
        free(err);
        rpt_pages_result_free(&res);
        return -1;
    }
    for (size_t i = 0; i < res.n_problems; i++)
        fprintf(stderr, "faultline: warning: drawing a plot failed: %s\n", res.problems[i]);
    if (res.hint) fprintf(stderr, "faultline: %s\n", res.hint);
    if (!quiet) printf("open %s/index.html\n", out);
    rpt_pages_result_free(&res);
    return 0;
}
