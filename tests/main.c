/*
 * main.c - the CUnit runner: registers every suite of test_list.h and runs
 * them in basic mode (whose summary CI reads).
 *
 *   run-tests            every suite
 *   run-tests NAME...    only the suites whose name contains one of NAME
 *
 * Exit status: 0 when every test passed, 1 otherwise.
 *
 * Built with -DFL_ONE_SUITE=name it knows only that suite, so one module's
 * tests can be compiled and run on their own while other modules are in
 * pieces: cc ... tests/main.c tests/<dir>/test_<name>.c <module sources>.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#ifdef FL_ONE_SUITE
#define FL_CAT_(a, b) a##b
#define FL_CAT(a, b)  FL_CAT_(a, b)
#define FL_STR_(a)    #a
#define FL_STR(a)     FL_STR_(a)
void FL_CAT(suite_, FL_ONE_SUITE)(void);
#else
#define SUITE(name) void suite_##name(void);
#include "tests/test_list.h"
#undef SUITE
#endif

static int wanted(int argc, char **argv, const char *name)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
#ifdef FL_ONE_SUITE
    if (wanted(argc, argv, FL_STR(FL_ONE_SUITE))) FL_CAT(suite_, FL_ONE_SUITE)();
#else
#define SUITE(name)                                                                                \
    if (wanted(argc, argv, #name)) suite_##name();
#include "tests/test_list.h"
#undef SUITE
#endif
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "run-tests: no test matched\n");
        return 1;
    }
    return failed ? 1 : 0;
}
