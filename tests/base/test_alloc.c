/*
 * test_alloc.c - base/alloc.c's arena: objects zeroed and aligned (16
 * bytes, 64 from 64 bytes on), none overlapping another across many
 * chunks, a large object in a chunk of its own without losing the current
 * chunk's room, and an arena empty again after fl_arena_free.
 */
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "tests/testutil.h"

void suite_alloc(void);

static void test_arena_objects(void)
{
    struct fl_arena a;
    fl_arena_init(&a);
    enum { N = 20000 };
    static unsigned char *obj[N];
    static size_t len[N];
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        len[i] = 1 + (size_t)(x >> 33) % 700; /* 20000 x 350 B on average: several chunks */
        obj[i] = fl_arena_alloc(&a, len[i]);
        size_t align = len[i] >= 64 ? 64 : 16;
        CU_ASSERT_EQUAL((uintptr_t)obj[i] % align, 0);
        int zero = 1;
        for (size_t k = 0; k < len[i]; k++) zero &= obj[i][k] == 0;
        CU_ASSERT(zero);
        memset(obj[i], (unsigned char)(i * 7 + 1), len[i]); /* its own pattern */
    }
    CU_ASSERT(a.n_chunks >= 3);
    /* every object still holds its pattern: none overlapped a later one */
    int intact = 1;
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < len[i]; k++) intact &= obj[i][k] == (unsigned char)(i * 7 + 1);
    CU_ASSERT(intact);
    /* a large object: a chunk of its own, and the current chunk's room is kept */
    size_t chunks = a.n_chunks;
    char *before = a.next;
    unsigned char *big = fl_arena_alloc(&a, (size_t)3 << 20);
    CU_ASSERT_EQUAL(a.n_chunks, chunks + 1);
    CU_ASSERT_PTR_EQUAL(a.next, before);
    CU_ASSERT(big[0] == 0 && big[((size_t)3 << 20) - 1] == 0);
    fl_arena_free(&a);
    CU_ASSERT_EQUAL(a.n_chunks, 0);
    CU_ASSERT_PTR_NULL(a.next);
    /* and it can be used again */
    CU_ASSERT_PTR_NOT_NULL(fl_arena_alloc(&a, 10));
    fl_arena_free(&a);
}

void suite_alloc(void)
{
    TEST_SUITE("alloc");
    TEST_ADD(test_arena_objects);
}
