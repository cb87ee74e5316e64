/*
 * assert.c - the failure path of FL_ASSERT (see assert.h).
 */
#include "base/assert.h"

#include <stdlib.h>

static fl_assert_context_cb context_cb;
static void *context_arg;

void fl_assert_set_context(fl_assert_context_cb cb, void *arg)
{
    context_cb = cb;
    context_arg = arg;
}

void fl_assert_fail(const char *cond, const char *file, int line, const char *func)
{
    fflush(stdout);
    fprintf(stderr, "faultline: assertion failed: %s (%s:%d in %s)\n", cond, file, line, func);
    if (context_cb) context_cb(stderr, context_arg);
    fflush(stderr);
    abort();
}
