/*
 * assert.h - assertions that stay on in every build.
 *
 * Programmer errors stop the program: FL_ASSERT(cond) prints the failed
 * condition and its place, then whatever context the running layer has
 * registered (the simulator registers its seed and simulated time so a
 * failure can be replayed), then aborts. Operating errors (bad input,
 * refused connections, 5xx) are never asserted: they are values.
 */
#ifndef FL_BASE_ASSERT_H
#define FL_BASE_ASSERT_H

#include <stdio.h>

#define FL_ASSERT(cond) ((cond) ? (void)0 : fl_assert_fail(#cond, __FILE__, __LINE__, __func__))

/* Prints the failure and the registered context to stderr and aborts. */
_Noreturn void fl_assert_fail(const char *cond, const char *file, int line, const char *func);

/*
 * Registers a function that prints the current context (one or more lines)
 * when an assertion fails; NULL removes it. Only one context is kept: the
 * last registration wins.
 */
typedef void (*fl_assert_context_cb)(FILE *out, void *arg);
void fl_assert_set_context(fl_assert_context_cb cb, void *arg);

#endif
