/*
 * cli.h - what the faultline subcommands share: the exit statuses, the
 * entry point of each subcommand (one file each), and the helpers of
 * util.c.
 */
#ifndef FL_CLI_CLI_H
#define FL_CLI_CLI_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CLI_OK = 0,       /* done; every assertion held */
    CLI_FAILED = 1,   /* an assertion failed */
    CLI_BAD_INPUT = 2 /* bad input or usage */
};

int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_compare(int argc, char **argv);
/* Mints a JSON Web Token, or prints a key's JWK set (token.c). */
int cli_token(int argc, char **argv);

/* A mesh certificate authority on files: init, issue, check (ca.c). */
int cli_ca(int argc, char **argv);
int cli_sidecar(int argc, char **argv);

/* The Makefile's VERSION, and git describe of the checkout ("" if none) (version.c). */
extern const char cli_version[];
extern const char cli_version_git[];

/* The options that change a scenario: --set KEY=VALUE and -f OVERLAY (scenario_opts.c). */
struct cli_scenario_opts {
    const char **sets;
    size_t n_sets;
    const char **overlays;
    size_t n_overlays;
};

/*
 * If argv[*i] is --set or -f, takes it and its value (advancing *i) and
 * returns 1; returns 0 for another argument, CLI_BAD_INPUT after a usage
 * error (no value).
 */
int cli_scenario_opt(const char *cmd, struct cli_scenario_opts *o, int argc, char **argv, int *i);
void cli_scenario_opts_free(struct cli_scenario_opts *o);

/* The live runtime's commands: a Kong gateway on real sockets, and a small upstream. */
int cli_gateway(int argc, char **argv);
int cli_stub(int argc, char **argv);

/* Wall-clock seconds (monotonic), for progress and timing only. */
double cli_wall_s(void);

/* Creates a folder and its parents; returns 0 or -1 with errno. */
int cli_mkdirs(const char *path);

/*
 * Whether path can become the output folder (outdir.c): it, or its nearest
 * existing ancestor, is a folder this process may write into. Nothing is
 * created. Returns 0, or -1 with *err set (caller frees).
 */
int cli_outdir_check(const char *path, char **err);

/* args joined into one line a POSIX shell reads back as the same words (caller frees). */
char *cli_shell_join(const char *const *args, size_t n);

/*
 * A command that takes only options (gateway, stub): cmd names it in
 * messages, usage is what --help prints, with_value lists the options
 * that take the next argument (NULL-terminated), and value(opts, option,
 * argument) reads one: it returns 0, or CLI_BAD_INPUT after printing a
 * usage error.
 */
struct cli_opts_spec {
    const char *cmd;
    const char *usage;
    const char *const *with_value;
    int (*value)(void *opts, const char *option, const char *arg);
    void *opts;
};

/*
 * Reads argv[1..argc-1]: -h or --help prints the usage on stdout and exits
 * CLI_OK; -v or --verbose sets *verbose; an option of with_value goes to
 * value with its argument. Returns 0, or CLI_BAD_INPUT after printing a
 * usage error (an unknown argument, a missing value, or value's). Checking
 * that the required options were given is the caller's.
 */
int cli_parse_opts(const struct cli_opts_spec *spec, int argc, char **argv, int *verbose);

/*
 * Prints "faultline CMD: " and fmt (with arg) on stderr, then where to
 * find help. Returns CLI_BAD_INPUT.
 */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);

/* A --seed value: a whole number. Returns 0 with *seed, or CLI_BAD_INPUT after a usage error. */
int cli_parse_seed(const char *cmd, const char *v, uint64_t *seed);

/*
 * A run's plots, topology and index.html (reports/pages.h) into out; warns
 * of plots that could not be drawn and says how to draw them without
 * gnuplot or dot, and where the page is unless quiet. Returns 0, or -1
 * after printing why.
 */
struct rpt_run;
int cli_write_pages(const struct rpt_run *run, const char *out, int quiet);

/* ---- worker processes (workers.c) ---- */

#define CLI_WORKERS_MAX 64

/* The number of worker processes by default: the machine's online cores (1 to 64). */
int cli_workers_default(void);
/* A --workers value. Returns 0 with *out, or CLI_BAD_INPUT after a usage error. */
int cli_parse_workers(const char *cmd, const char *v, int *out);

/*
 * A worker's life: listen on `listen` (SO_REUSEPORT: live_rt_set_reuseport),
 * call cli_worker_ready once listening, serve until SIGTERM or SIGINT, and
 * return the command's exit status. worker: 0 to n - 1.
 */
typedef int (*cli_worker_fn)(void *arg, const char *listen, int worker);
/* Runs in the supervisor after every worker exited 0; returns 0, or -1 after printing why. */
typedef int (*cli_workers_done_fn)(void *arg, int n);

/*
 * Runs fn in n (>= 2) forked worker processes sharing the port of listen
 * (port 0: a free one, the same for all); prints "faultline CMD: N worker
 * processes" and "faultline CMD: listening on HOST:PORT" on stderr once all
 * listen (CMD may be "stub NAME"); forwards SIGTERM and
 * SIGINT; returns the worst exit status of the workers (2 if one could not
 * start), after done when all exited 0.
 */
int cli_workers_run(const char *cmd, int n, const char *listen, cli_worker_fn fn,
                    cli_workers_done_fn done, void *arg);

/* In a worker: tells the supervisor it listens (does nothing in a single process). */
void cli_worker_ready(void);

/* The signals a long-running command (gateway, stub) stops on. */
struct cli_signals {
    ev_signal term, intr;
};

/*
 * Ignores SIGPIPE (a write to a peer that reset is an error, EPIPE, not the
 * end of the process) and starts watchers calling cb for SIGTERM and
 * SIGINT on loop, with data as each watcher's data.
 */
void cli_signals_start(struct cli_signals *s, struct ev_loop *loop,
                       void (*cb)(struct ev_loop *loop, ev_signal *w, int revents), void *data);

/* Stops the watchers of cli_signals_start. */
void cli_signals_stop(struct cli_signals *s, struct ev_loop *loop);

/*
 * The live runtime's limits (struct live_limits, live/rt.h) on the command
 * line of gateway and stub: CLI_LIMIT_OPTIONS go in with_value and
 * CLI_LIMITS_HELP in the usage; the gateway adds --max-response-body
 * (CLI_RESPONSE_LIMIT_HELP). cli_limits_init fills lim with the defaults
 * (fds_per_conn as for live_limits_default); cli_limits_option reads one
 * of those options: 0, 1 when a is none of them, or CLI_BAD_INPUT after a
 * usage error; cli_limits_finish makes the per-address limit, unless
 * given, half of --max-conns. cli_limits_format writes them on one line
 * (for --verbose) into buf and returns it.
 */
struct live_limits;
#define CLI_LIMIT_OPTIONS                                                                          \
    "--header-timeout", "--body-timeout", "--idle-timeout", "--max-conns", "--max-conns-per-ip",   \
        "--max-uri-size", "--max-header-size", "--max-request-body"
#define CLI_LIMITS_HELP                                                                            \
    "Limits, against slow and greedy clients (a timeout or count of 0: none):\n"                   \
    "  --header-timeout D      time for a whole request head to arrive, from its first\n"          \
    "                          byte (from the accept on a new connection); then 408\n"             \
    "                          and close (default 10s)\n"                                          \
    "  --body-timeout D        time for a whole request body, after its head; then 408\n"          \
    "                          and close (default 30s)\n"                                          \
    "  --idle-timeout D        a kept-alive connection without a request is closed\n"              \
    "                          after D, one whose answer is not read is reset (default\n"          \
    "                          60s)\n"                                                             \
    "  --max-conns N           client connections at once (default: what `ulimit -n`\n"            \
    "                          allows, at most 16384); over it the oldest idle one is\n"           \
    "                          closed, or if none is idle the new one is reset\n"                  \
    "  --max-conns-per-ip N    the same for one IPv4 address or IPv6 /64 (default:\n"              \
    "                          half of --max-conns)\n"                                             \
    "  --max-uri-size SIZE     longest request target, else 414 (default 8KiB)\n"                  \
    "  --max-header-size SIZE  longest request line and headers, else 431 (default\n"              \
    "                          60KiB)\n"                                                           \
    "  --max-request-body SIZE largest request body, else 413 (default 16MiB)\n"
#define CLI_RESPONSE_LIMIT_HELP                                                                    \
    "  --max-response-body SIZE  largest upstream response body: a larger answer is\n"             \
    "                          replaced by a 502, response flag UC (default 16MiB)\n"
void cli_limits_init(struct live_limits *lim, unsigned fds_per_conn);
int cli_limits_option(const char *cmd, struct live_limits *lim, const char *a, const char *v);
void cli_limits_finish(struct live_limits *lim);
const char *cli_limits_format(const struct live_limits *lim, char *buf, size_t size);

#endif
