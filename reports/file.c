/*
 * file.c - writing a whole file atomically (see file.h).
 */
#include "reports/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"

/* Writes to a new file at tmp; returns 0 or an errno value. The file is gone on error. */
static int write_new(const char *tmp, rpt_file_writer_cb write, const void *arg)
{
    FL_ASSERT(tmp && write);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);

    if (fd < 0) return errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return e;
    }
    errno = 0;
    write(arg, f);
    int rc = 0;
    if (fflush(f) != 0 || ferror(f)) rc = errno ? errno : EIO;
    /* the bytes reach the disk before the name does (a crash leaves the old file) */
    if (!rc && fsync(fileno(f)) != 0 && errno != EINVAL) rc = errno;
    if (fclose(f) != 0 && !rc) rc = errno ? errno : EIO;
    if (rc) unlink(tmp);
    return rc;
}

int rpt_file_write(const char *dir, const char *name, rpt_file_writer_cb write, const void *arg,
                   char **err)
{
    FL_ASSERT(dir && name && write && err);
    FL_ASSERT(!strchr(name, '/') && name[0] != '.');
    char *path = fl_asprintf("%s/%s", dir, name);
    char *tmp = fl_asprintf("%s/.%s.%ld.tmp", dir, name, (long)getpid());
    /* a temporary file left by a process killed with this pid earlier */
    unlink(tmp);
    int rc = write_new(tmp, write, arg);
    if (!rc && rename(tmp, path) != 0) {
        rc = errno;
        unlink(tmp);
    }
    if (rc) *err = fl_asprintf("%s: %s", path, strerror(rc));
    free(tmp);
    free(path);
    return rc ? -1 : 0;
}
