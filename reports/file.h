/*
 * file.h - output files that appear whole or not at all.
 *
 * A file is written under a temporary name in its own folder (".NAME.PID.tmp",
 * created exclusively and never through a symbolic link), flushed to disk
 * (fsync), then renamed over NAME. rename() within one folder is atomic, so
 * a reader - or a run killed at any moment - sees the previous file or the
 * new one, never a torn one; a failed write leaves the previous file alone
 * and removes the temporary one.
 *
 * Not here: what goes in any file, and creating the folder.
 */
#ifndef FL_REPORTS_FILE_H
#define FL_REPORTS_FILE_H

#include <stdio.h>

/* Writes the content of a file to out; out's errors are checked by the caller. */
typedef void (*rpt_file_writer_cb)(const void *arg, FILE *out);

/*
 * Writes DIR/NAME with write(arg, f) as described above. NAME is one file
 * name (no '/'). Returns 0, or -1 with *err set (caller frees) to a
 * message naming the file.
 */
int rpt_file_write(const char *dir, const char *name, rpt_file_writer_cb write, const void *arg,
                   char **err);

#endif
