/*
 * outdir.c - the output folder of a run, and the command line that replays it.
 *
 * A run writes nothing until the scenario has loaded, its world has been
 * built and the run has finished: bad input leaves no folder behind. So
 * that a long run does not end in "cannot create DIR", the folder is
 * checked before the run: the nearest part of the path that exists must be
 * a folder this process may write into (cli_outdir_check); the folder
 * itself is made after the run (cli_mkdirs). Each file in it is replaced
 * whole (reports/ writes under a temporary name and renames).
 *
 * The replay line quotes every argument for a POSIX shell, so that what is
 * printed, pasted into a shell, runs the same scenario with the same seed
 * and the same overrides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"

int cli_outdir_check(const char *path, char **err)
{
    FL_ASSERT(path && err);
    if (!*path) {
        *err = fl_strdup("the output folder is an empty path");
        return -1;
    }
    char *p = fl_strdup(path);
    FL_ASSERT(*p);
    struct stat st;
    /* climb to the nearest existing ancestor */
    for (;;) {
        if (stat(p, &st) == 0) break;
        if (errno != ENOENT && errno != ENOTDIR) {
            *err =
                fl_asprintf("cannot use %s as the output folder: %s: %s", path, p, strerror(errno));
            free(p);
            return -1;
        }
        char *slash = strrchr(p, '/');
        while (slash && slash > p && slash[1] == '\0') { /* "a/b/" */
            *slash = '\0';
            slash = strrchr(p, '/');
        }
        if (!slash) {
            strcpy(p, ".");
        } else if (slash == p) {
            p[1] = '\0';
        } else {
            *slash = '\0';
        }
        FL_ASSERT(*p && strlen(p) <= strlen(path) + 1); /* shorter, or "." */
    }

    int rc = 0;
    if (!S_ISDIR(st.st_mode)) {
        *err = fl_asprintf("cannot use %s as the output folder: %s is not a folder", path, p);
        rc = -1;
    } else if (access(p, W_OK | X_OK) != 0) {
        *err = fl_asprintf("cannot use %s as the output folder: %s: %s", path, p, strerror(errno));
        rc = -1;
    }
    free(p);
    return rc;
}

/* Appends s to *buf (of *len bytes used, *cap allocated). */
static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    FL_ASSERT(buf && len && cap && s && (*buf || *len == 0));
    FL_GROW(*buf, *cap, *len + n + 1);
    FL_ASSERT(*cap >= *len + n + 1);
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Appends one argument, single-quoted unless it needs no quotes (POSIX sh quoting). */
static void append_arg(char **buf, size_t *len, size_t *cap, const char *arg)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789-_./=:,+@%";
    FL_ASSERT(arg && *buf && strlen(*buf) == *len);
    if (*len) append(buf, len, cap, " ", 1);
    size_t n = strlen(arg);
    if (n && strspn(arg, plain) == n) {
        append(buf, len, cap, arg, n);
        return;
    }
    append(buf, len, cap, "'", 1);
    for (const char *s = arg; *s; s++) {
        if (*s == '\'')
            append(buf, len, cap, "'\\''", 4); /* close, an escaped quote, reopen */
        else
            append(buf, len, cap, s, 1);
    }
    append(buf, len, cap, "'", 1);
    FL_ASSERT((*buf)[*len - 1] == '\'');
}

char *cli_shell_join(const char *const *args, size_t n)
{
    FL_ASSERT(args || n == 0);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, "", 0);
    for (size_t i = 0; i < n; i++) append_arg(&buf, &len, &cap, args[i]);
    FL_ASSERT(buf && strlen(buf) == len);
    return buf;
}
