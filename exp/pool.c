/*
 * pool.c - replications on worker processes (pool.h).
 *
 * Each worker is a fork of this process with two pipes: it reads a job
 * position ("K\n") and answers one line ("K\tOK\t<result line>\n" or
 * "K\tERR\t<message>\n"), until its job pipe closes. A worker holds one job
 * at a time, so the parent's buffered reader never holds more than the
 * line poll(2) announced.
 */
#include "exp/pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"

int exp_pool_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

struct worker {
    pid_t pid;
    FILE *to, *from;
    long job; /* the position it works on, or -1 */
};

/* One line: the newlines of a message or result made spaces. */
static void flat(char *s)
{
    FL_ASSERT(s);
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

static void worker_loop(const size_t *jobs, size_t n_jobs, exp_job_fn fn, void *arg, FILE *in,
                        FILE *out)
{
    char *buf = NULL;
    size_t cap = 0;
    while (getline(&buf, &cap, in) > 0) {
        char *end;
        unsigned long long k = strtoull(buf, &end, 10);
        FL_ASSERT(*end == '\n' && k < n_jobs);
        char *line = NULL, *err = NULL;
        if (fn(jobs[k], arg, &line, &err) == 0) {
            flat(line);
            fprintf(out, "%llu\tOK\t%s\n", k, line);
        } else {
            if (!err) err = fl_strdup("failed");
            flat(err);
            fprintf(out, "%llu\tERR\t%s\n", k, err);
        }
        free(line);
        free(err);
        fflush(out);
    }
    free(buf);
}

static int start_worker(struct worker *w, const size_t *jobs, size_t n_jobs, exp_job_fn fn,
                        void *arg, struct worker *all, int n_started)
{
    FL_ASSERT(w && fn && all && n_started >= 0 && w == &all[n_started]);
    int down[2], up[2];
    if (pipe(down)) return -1;
    if (pipe(up)) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(down[0]);
        close(down[1]);
        close(up[0]);
        close(up[1]);
        return -1;
    }
    if (pid == 0) {
        /* the other workers' pipes are not this worker's to hold open */
        for (int i = 0; i < n_started; i++) {
            fclose(all[i].to);
            fclose(all[i].from);
        }
        close(down[1]);
        close(up[0]);
        signal(SIGINT, SIG_DFL);
        FILE *in = fdopen(down[0], "r"), *out = fdopen(up[1], "w");
        if (!in || !out) _exit(3);
        worker_loop(jobs, n_jobs, fn, arg, in, out);
        fclose(out);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    w->pid = pid;
    w->to = fdopen(down[1], "w");
    w->from = fdopen(up[0], "r");
    w->job = -1;
    FL_ASSERT(w->to && w->from);
    return 0;
}

static void give(struct worker *w, size_t k)
{
    FL_ASSERT(w->job < 0);
    fprintf(w->to, "%zu\n", k);
    fflush(w->to);
    w->job = (long)k;
}

/* Reads a worker's answer into lines / the error; returns 0, or -1 if it died. */
static int take(struct worker *w, char **lines, size_t n_jobs, long *failed, char **err)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len = getline(&buf, &cap, w->from);
    if (len <= 0 || buf[len - 1] != '\n') {
        free(buf);
        return -1;
    }
    buf[len - 1] = '\0';
    char *end;
    unsigned long long k = strtoull(buf, &end, 10);
    FL_ASSERT(k < n_jobs && (long)k == w->job && *end == '\t');
    w->job = -1;
    if (!strncmp(end + 1, "OK\t", 3)) {
        lines[k] = fl_strdup(end + 4);
    } else {
        FL_ASSERT(!strncmp(end + 1, "ERR\t", 4));
        if (*failed < 0 || (long)k < *failed) {
            free(*err);
            *err = fl_strdup(end + 5);
            *failed = (long)k;
        }
    }
    free(buf);
    return 0;
}

/* The jobs in this process, in order: the same lines and errors as workers give. */
static int run_here(const size_t *jobs, size_t n_jobs, exp_job_fn fn, void *arg, char **lines,
                    exp_done_fn done, void *done_arg, char **err)
{
    for (size_t k = 0; k < n_jobs; k++) {
        char *why = NULL;
        if (fn(jobs[k], arg, &lines[k], &why)) {
            for (size_t i = 0; i <= k; i++) {
                free(lines[i]);
                lines[i] = NULL;
            }
            if (why) flat(why);
            *err = why ? why : fl_strdup("failed");
            return -1;
        }
        FL_ASSERT(lines[k]);
        flat(lines[k]);
        if (done) done(k + 1, n_jobs, done_arg);
    }
    return 0;
}

int exp_pool_run(const size_t *jobs, size_t n_jobs, int workers, exp_job_fn fn, void *arg,
                 char **lines, exp_done_fn done, void *done_arg, char **err)
{
    FL_ASSERT(fn && lines && err && workers >= 1 && (jobs || !n_jobs));
    for (size_t k = 0; k < n_jobs; k++) lines[k] = NULL;
    if (workers > (int)n_jobs) workers = (int)n_jobs;
    if (workers <= 1) return run_here(jobs, n_jobs, fn, arg, lines, done, done_arg, err);
    struct worker *w = fl_calloc((size_t)workers, sizeof *w);
    int n = 0;
    while (n < workers && start_worker(&w[n], jobs, n_jobs, fn, arg, w, n) == 0) n++;
    if (n == 0) {
        free(w);
        *err = fl_asprintf("cannot start worker processes: %s", strerror(errno));
        return -1;
    }
    size_t next = 0, finished = 0;
    long failed = -1;
    int died = 0;
    for (int i = 0; i < n && next < n_jobs; i++) give(&w[i], next++);
    struct pollfd *pf = fl_calloc((size_t)n, sizeof *pf);
    while (finished < next && !died) {
        int busy = 0;
        for (int i = 0; i < n; i++) {
            pf[i].fd = w[i].job >= 0 ? fileno(w[i].from) : -1;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
            busy += w[i].job >= 0;
        }
        FL_ASSERT(busy > 0);
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            died = 1;
            break;
        }
        for (int i = 0; i < n && !died; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (take(&w[i], lines, n_jobs, &failed, err)) {
                died = 1;
                break;
            }
            finished++;
            if (done) done(finished, n_jobs, done_arg);
            /* after a failure no new job starts: the error is reported once all have ended */
            if (failed < 0 && next < n_jobs) give(&w[i], next++);
        }
    }
    for (int i = 0; i < n; i++) fclose(w[i].to);
    int status_bad = 0;
    for (int i = 0; i < n; i++) {
        int st;
        while (waitpid(w[i].pid, &st, 0) < 0 && errno == EINTR) {}
        fclose(w[i].from);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) status_bad = 1;
    }
    free(pf);
    free(w);
    if (failed < 0 && !died && !status_bad && finished == n_jobs) return 0;
    if (failed < 0) {
        free(*err);
        *err = fl_strdup("a worker process ended before its job was done");
    }
    for (size_t k = 0; k < n_jobs; k++) {
        free(lines[k]);
        lines[k] = NULL;
    }
    return -1;
}
