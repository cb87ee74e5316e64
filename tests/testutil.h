/*
 * testutil.h - small helpers shared by the CUnit suites.
 */
#ifndef FL_TESTS_TESTUTIL_H
#define FL_TESTS_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <math.h>

/* Adds a suite, then each test named by its function. */
#define TEST_SUITE(name) CU_pSuite suite__ = CU_add_suite(name, NULL, NULL)
#define TEST_ADD(fn)     CU_add_test(suite__, #fn, fn)

/* |actual - expected| <= rel * |expected|, with a message on failure. */
#define ASSERT_REL(actual, expected, rel)                                                          \
    do {                                                                                           \
        double a__ = (double)(actual), e__ = (double)(expected);                                   \
        if (!(fabs(a__ - e__) <= (rel)*fabs(e__)))                                                 \
            fprintf(stderr, "\n  %s:%d: %s = %.6g, expected %.6g within %.3g%%\n", __FILE__,       \
                    __LINE__, #actual, a__, e__, 100.0 * (rel));                                   \
        CU_ASSERT(fabs(a__ - e__) <= (rel)*fabs(e__));                                             \
    } while (0)

/* |actual - expected| <= tol, with a message on failure. */
#define ASSERT_ABS(actual, expected, tol)                                                          \
    do {                                                                                           \
        double a__ = (double)(actual), e__ = (double)(expected);                                   \
        if (!(fabs(a__ - e__) <= (tol)))                                                           \
            fprintf(stderr, "\n  %s:%d: %s = %.6g, expected %.6g +- %.3g\n", __FILE__, __LINE__,   \
                    #actual, a__, e__, (double)(tol));                                             \
        CU_ASSERT(fabs(a__ - e__) <= (tol));                                                       \
    } while (0)

#endif
