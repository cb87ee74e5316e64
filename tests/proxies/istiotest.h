/*
 * istiotest.h - what the Istio test suites share: reading resources given
 * as text (named like a file, so messages can be checked whole) and a
 * string comparison that prints both sides.
 */
#ifndef FL_TESTS_PROXIES_ISTIOTEST_H
#define FL_TESTS_PROXIES_ISTIOTEST_H

#include "proxies/istio.h"
#include "tests/testutil.h"

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
int it_str_is(const char *actual, const char *expected, int line);
#define ASSERT_STR(actual, expected) CU_ASSERT(it_str_is((actual), (expected), __LINE__))

/* Reads the documents of text, named file, into m; the first error (caller frees) or NULL. */
char *it_add(struct px_istio *m, const char *file, const char *text);
/* The error of text that must be refused (caller frees); "(read)" when it was not. */
char *it_add_err(const char *file, const char *text);
/* Reads text into a fresh m, which must take it. */
void it_add_ok(struct px_istio *m, const char *file, const char *text);

#endif
