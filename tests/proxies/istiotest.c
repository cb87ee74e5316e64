/*
 * istiotest.c - the Istio test suites' shared readers (istiotest.h).
 */
#include "tests/proxies/istiotest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"

int it_str_is(const char *actual, const char *expected, int line)
{
    int ok = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!ok)
        fprintf(stderr, "\n  line %d: got      \"%s\"\n  line %d: expected \"%s\"\n", line,
                actual ? actual : "(null)", line, expected ? expected : "(null)");
    return ok;
}

char *it_add(struct px_istio *m, const char *file, const char *text)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    char *err = NULL;
    if (fl_ydoc_load_buffer(file, text, strlen(text), &docs, &n, &err)) return err;
    for (size_t i = 0; i < n && !err; i++)
        if (px_istio_add(m, &docs[i], fl_y_root(&docs[i]))) {
            err = docs[i].err;
            docs[i].err = NULL;
        }
    fl_ydoc_free_all(docs, n);
    return err;
}

char *it_add_err(const char *file, const char *text)
{
    struct px_istio m = {0};
    char *err = it_add(&m, file, text);
    px_istio_free(&m);
    return err ? err : fl_strdup("(read)");
}

void it_add_ok(struct px_istio *m, const char *file, const char *text)
{
    memset(m, 0, sizeof *m);
    char *err = it_add(m, file, text);
    if (err) fprintf(stderr, "\n  unexpected error: %s\n", err);
    CU_ASSERT_PTR_NULL_FATAL(err);
}
