/*
 * test_nameidx.c - base/nameidx.c: every name put is found at its
 * position, names never put are not, and the table grows without losing any.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/nameidx.h"
#include "tests/testutil.h"

void suite_nameidx(void);

static void test_nameidx_finds_every_name_at_its_position(void)
{
    enum { N = 5000 };
    char **names = fl_calloc(N, sizeof *names);
    struct fl_nameidx m = {0};
    CU_ASSERT_EQUAL(fl_nameidx_get(&m, "anything"), -1);
    for (size_t i = 0; i < N; i++) {
        names[i] = fl_asprintf("sidecar outbound|80||svc-%zu", i);
        fl_nameidx_put(&m, names[i], i);
    }
    CU_ASSERT_EQUAL(m.len, N);
    CU_ASSERT(2 * m.len <= m.cap);
    int wrong = 0;
    for (size_t i = 0; i < N; i++) {
        char probe[64];
        snprintf(probe, sizeof probe, "sidecar outbound|80||svc-%zu", i);
        if (fl_nameidx_get(&m, probe) != (long)i) wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(fl_nameidx_get(&m, "sidecar outbound|80||svc-5000"), -1);
    CU_ASSERT_EQUAL(fl_nameidx_get(&m, ""), -1);
    fl_nameidx_free(&m);
    CU_ASSERT_EQUAL(m.cap, 0);
    for (size_t i = 0; i < N; i++) free(names[i]);
    free(names);
}

static void test_nameidx_text_hash_is_fnv1a(void)
{
    /* FNV-1a 64-bit test vectors (Fowler, Noll, Vo: offset basis, "a", "foobar") */
    CU_ASSERT_EQUAL(fl_text_hash(""), 0xcbf29ce484222325ULL);
    CU_ASSERT_EQUAL(fl_text_hash("a"), 0xaf63dc4c8601ec8cULL);
    CU_ASSERT_EQUAL(fl_text_hash("foobar"), 0x85944171f73967e8ULL);
}

void suite_nameidx(void)
{
    TEST_SUITE("base/nameidx");
    TEST_ADD(test_nameidx_finds_every_name_at_its_position);
    TEST_ADD(test_nameidx_text_hash_is_fnv1a);
}
