/*
 * text.h - checks on text that arrives from outside (the command line,
 * files, the environment) before anything uses it: UTF-8 validity, control
 * characters, and names that become file names.
 *
 * UTF-8 is checked as RFC 3629 defines it: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. libyaml refuses such input too,
 * but by assertion on some of its paths, so faultline checks first.
 *
 * Not here: what any text means, and path handling beyond one file name.
 */
#ifndef FL_BASE_TEXT_H
#define FL_BASE_TEXT_H

#include <stddef.h>

/* The offset of the first byte of s[0..len) that is not valid UTF-8, or len if all is. */
size_t fl_utf8_check(const char *s, size_t len);

/*
 * The offset of the first control character (C0, DEL) in s[0..len), or len.
 * allow_tab: a tab is not counted.
 */
size_t fl_control_check(const char *s, size_t len, int allow_tab);

/* Replaces every control character of s (C0, DEL) with '?', in place: for messages. */
void fl_control_scrub(char *s);

/* A name fit to be one file or folder name: see fl_file_name_problem. */
#define FL_FILE_NAME_MAX 128

/*
 * Why name cannot be used as one file or folder name, or NULL if it can:
 * empty, longer than FL_FILE_NAME_MAX bytes, not UTF-8, containing '/',
 * '\\' or a control character, or starting with '.' (which covers "." and
 * ".." and hidden files).
 */
const char *fl_file_name_problem(const char *name);

/*
 * A copy of name made fit to be a file name (the caller frees): every byte
 * of an invalid UTF-8 sequence, '/', '\\' and control character becomes
 * '_', a leading '.' becomes '_', an empty name "scenario", and the result
 * is cut to FL_FILE_NAME_MAX bytes on a character boundary.
 */
char *fl_file_name_safe(const char *name);

/*
 * The whole of a file of at most max bytes, NUL-terminated (caller frees),
 * its length in *len (may be NULL); NULL if it cannot be read or is larger.
 */
char *fl_read_file(const char *path, size_t max, size_t *len);

#endif
