/*
 * workers.c - several worker processes serving one port (the live gateway
 * and stub): the kernel spreads new connections among their listening
 * sockets, bound to the same address with SO_REUSEPORT (socket(7)), and the
 * workers share nothing but the configuration each reads at start (so the
 * rate limits count per worker, as Kong's `local` policy does per node).
 *
 * The supervisor (the process the user started) binds the address once
 * without listening, to learn the port when 0 was asked for and to hold it
 * while the workers start; forks the workers, each of which runs the
 * command's single-process path on that port and reports when it listens
 * (a byte on a pipe, then it closes its end); prints one "listening on"
 * line when all are ready; forwards SIGTERM and SIGINT to them; and exits
 * with the worst of their exit statuses. A worker that fails to start makes
 * the supervisor stop the others and exit 2 (the worker said why).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"
#include "live/rt.h"

static int ready_fd = -1; /* a worker's end of the readiness pipe; -1 in the supervisor */

int cli_workers_default(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > CLI_WORKERS_MAX) n = CLI_WORKERS_MAX;
    FL_ASSERT(n >= 1 && n <= CLI_WORKERS_MAX);
    return (int)n;
}

int cli_parse_workers(const char *cmd, const char *v, int *out)
{
    FL_ASSERT(cmd && v && out);
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 1 || n > CLI_WORKERS_MAX)
        return cli_usage_error(cmd, "--workers needs a whole number from 1 to 64, not '%s'", v);
    *out = (int)n;
    return 0;
}

void cli_worker_ready(void)
{
    if (ready_fd < 0) return;
    char one = 1;
    ssize_t w;
    do w = write(ready_fd, &one, 1);
    while (w < 0 && errno == EINTR);
    close(ready_fd);
    ready_fd = -1;
}

static void signal_all(const pid_t *pids, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0) kill(pids[i], sig);
}

/* Waits for every worker still running; returns the worst exit status (a signal counts as 1). */
static int reap_all(pid_t *pids, int n, int worst)
{
    for (int i = 0; i < n; i++) {
        if (pids[i] <= 0) continue;
        int st;
        while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) continue;
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        if (rc > worst) worst = rc;
        pids[i] = 0;
    }
    return worst;
}

/* The supervisor's life once every worker listens: forward stop signals, wait for them all. */
static int supervise(pid_t *pids, int n, const sigset_t *set)
{
    int running = n, worst = 0;
    while (running > 0) {
        int sig;
        if (sigwait(set, &sig)) continue;
        if (sig == SIGTERM || sig == SIGINT) {
            signal_all(pids, n, sig);
            continue;
        }
        /* SIGCHLD: collect whoever ended */
        pid_t pid;
        int st;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
            for (int i = 0; i < n; i++) {
                if (pids[i] != pid) continue;
                int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
                if (rc > worst) worst = rc;
                pids[i] = 0;
                running--;
            }
        }
    }
    FL_ASSERT(running == 0);
    return worst;
}

int cli_workers_run(const char *cmd, int n, const char *listen, cli_worker_fn fn,
                    cli_workers_done_fn done, void *arg)
{
    FL_ASSERT(cmd && n >= 2 && n <= CLI_WORKERS_MAX && listen && fn);
    int hold = -1, pipefd[2];
    char *where = NULL, *err = NULL;
    if (live_reserve_port(listen, &hold, &where, &err)) {
        fprintf(stderr, "faultline %s: %s\n", cmd, err);
        free(err);
        return CLI_BAD_INPUT;
    }
    if (pipe(pipefd)) {
        fprintf(stderr, "faultline %s: pipe: %s\n", cmd, strerror(errno));
        close(hold);
        free(where);
        return CLI_BAD_INPUT;
    }
    /* the supervisor takes its signals with sigwait; each worker unblocks them */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    fflush(NULL);
    pid_t *pids = fl_calloc((size_t)n, sizeof *pids);
    int started = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            close(hold);
            close(pipefd[0]);
            ready_fd = pipefd[1];
            free(pids);
            int rc = fn(arg, where, i);
            free(where);
            fflush(NULL);
            _exit(rc);
        }
        if (pid < 0) {
            fprintf(stderr, "faultline %s: fork: %s\n", cmd, strerror(errno));
            break;
        }
        pids[i] = pid;
        started++;
    }
    close(pipefd[1]);
    /* every worker writes one byte when it listens, then closes its end: EOF once all did or died
     */
    int ready = 0;
    char buf[CLI_WORKERS_MAX];
    ssize_t got;
    while ((got = read(pipefd[0], buf, sizeof buf)) != 0) {
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) break;
        ready += (int)got;
    }
    close(pipefd[0]);
    close(hold);
    int rc;
    if (ready < n) {
        signal_all(pids, n, SIGTERM);
        rc = reap_all(pids, n, started < n ? CLI_BAD_INPUT : 0);
        if (rc == 0) rc = CLI_BAD_INPUT;
    } else {
        fprintf(stderr, "faultline %s: %d worker processes\n", cmd, n);
        fprintf(stderr, "faultline %s: listening on %s\n", cmd, where);
        rc = supervise(pids, n, &set);
        if (!rc && done && done(arg, n)) rc = CLI_BAD_INPUT;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(pids);
    free(where);
    FL_ASSERT(rc >= 0);
    return rc;
}
