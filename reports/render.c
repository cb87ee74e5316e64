/*
 * render.c - running gnuplot and dot (see render.h).
 *
 * fork + execv, never a shell: file names reach the program as they are.
 * The child's stdout and stderr go to one pipe, which the parent reads to
 * its end (the last 2 KiB are kept for the error message). The time limit
 * is alarm(2) set in the child before execv: a pending alarm survives
 * execve (POSIX), and SIGALRM's default action ends the program, so a
 * stuck renderer dies without the parent reading any clock.
 */
#include "reports/render.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"

#define TAIL_MAX 2048

char *rpt_render_which(const char *prog)
{
    FL_ASSERT(prog && *prog);
    if (strchr(prog, '/')) return access(prog, X_OK) == 0 ? fl_strdup(prog) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path) return NULL;
    char *copy = fl_strdup(path), *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *full = fl_asprintf("%s/%s", *d ? d : ".", prog);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
            free(copy);
            return full;
        }
        free(full);
    }
    free(copy);
    return NULL;
}

/* In the child: never returns. */
static void child(const char *const *argv, const char *cwd, unsigned limit_s, int out)
{
    FL_ASSERT(argv && argv[0] && out >= 0 && limit_s > 0);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    if (out > STDERR_FILENO) close(out);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, STDIN_FILENO);
    signal(SIGALRM, SIG_DFL);
    if (cwd && chdir(cwd) != 0) {
        dprintf(STDERR_FILENO, "cannot enter %s: %s\n", cwd, strerror(errno));
        _exit(126);
    }
    alarm(limit_s);
    execv(argv[0], (char *const *)argv);
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Reads fd to its end, keeping the last TAIL_MAX bytes in tail (NUL-terminated). */
static void drain(int fd, char *tail)
{
    FL_ASSERT(fd >= 0 && tail);
    size_t len = 0;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t k = (size_t)n;
        if (k >= TAIL_MAX) {
            memcpy(tail, buf + k - TAIL_MAX, TAIL_MAX);
            len = TAIL_MAX;
        } else {
            if (len + k > TAIL_MAX) {
                size_t drop = len + k - TAIL_MAX;
                memmove(tail, tail + drop, len - drop);
                len -= drop;
            }
            memcpy(tail + len, buf, k);
            len += k;
        }
        FL_ASSERT(len <= TAIL_MAX);
    }
    tail[len] = 0;
}

int rpt_render_run(const char *const *argv, const char *cwd, unsigned limit_s, char **err)
{
    FL_ASSERT(argv && argv[0] && err && limit_s > 0);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        *err = fl_asprintf("%s: cannot make a pipe: %s", argv[0], strerror(errno));
        return -1;
    }
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        *err = fl_asprintf("%s: cannot start: %s", argv[0], strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) child(argv, cwd, limit_s, fds[1]);
    close(fds[1]);
    char *tail = fl_malloc(TAIL_MAX + 1);
    drain(fds[0], tail);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    FL_ASSERT(WIFEXITED(status) || WIFSIGNALED(status)); /* waitpid without WUNTRACED */
    int rc = 0;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        *err = fl_asprintf("%s took more than %us and was stopped\n%s", argv[0], limit_s, tail);
        rc = -1;
    } else if (WIFSIGNALED(status)) {
        *err = fl_asprintf("%s died of signal %d\n%s", argv[0], WTERMSIG(status), tail);
        rc = -1;
    } else if (WEXITSTATUS(status) != 0) {
        *err = fl_asprintf("%s exited with status %d\n%s", argv[0], WEXITSTATUS(status), tail);
        rc = -1;
    }
    free(tail);
    return rc;
}
