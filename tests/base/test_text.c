/*
 * test_text.c - base/text.c: UTF-8 validity as RFC 3629 defines it,
 * control characters, and names that become file names.
 */
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "tests/testutil.h"

void suite_text(void);

static size_t check(const char *s)
{
    return fl_utf8_check(s, strlen(s));
}

static void test_utf8_accepts_ascii_and_every_sequence_length(void)
{
    CU_ASSERT_EQUAL(check(""), 0);
    CU_ASSERT_EQUAL(check("plain"), 5);
    CU_ASSERT_EQUAL(check("caf\xc3\xa9"), 5);      /* U+00E9, 2 bytes */
    CU_ASSERT_EQUAL(check("\xe2\x82\xac"), 3);     /* U+20AC, 3 bytes */
    CU_ASSERT_EQUAL(check("\xf0\x9f\x98\x80"), 4); /* U+1F600, 4 bytes */
    CU_ASSERT_EQUAL(check("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF, the last one */
    CU_ASSERT_EQUAL(check("\xed\x9f\xbf"), 3);     /* U+D7FF, just below surrogates */
}

static void test_utf8_points_at_the_first_bad_byte(void)
{
    CU_ASSERT_EQUAL(check("newkey\xff"), 6);       /* never a UTF-8 byte */
    CU_ASSERT_EQUAL(check("ab\x80"), 2);           /* a continuation without a lead */
    CU_ASSERT_EQUAL(check("\xc0\xaf"), 0);         /* overlong '/' (C0 is never valid) */
    CU_ASSERT_EQUAL(check("\xe0\x80\xaf"), 0);     /* overlong in three bytes */
    CU_ASSERT_EQUAL(check("\xf0\x80\x80\xaf"), 0); /* overlong in four bytes */
    CU_ASSERT_EQUAL(check("x\xed\xa0\x80"), 1);    /* U+D800, a surrogate */
    CU_ASSERT_EQUAL(check("\xf4\x90\x80\x80"), 0); /* above U+10FFFF */
    CU_ASSERT_EQUAL(check("ok\xe2\x82"), 2);       /* cut short at the end */
    CU_ASSERT_EQUAL(check("\xe2\x28\xa1"), 0);     /* a lead followed by ASCII */
}

static void test_control_check_finds_c0_and_del_and_may_allow_tab(void)
{
    CU_ASSERT_EQUAL(fl_control_check("a\tb", 3, 0), 1);
    CU_ASSERT_EQUAL(fl_control_check("a\tb", 3, 1), 3);
    CU_ASSERT_EQUAL(fl_control_check("ab\x7f", 3, 1), 2);
    CU_ASSERT_EQUAL(fl_control_check("\x1b[2J", 4, 1), 0);
    CU_ASSERT_EQUAL(fl_control_check("caf\xc3\xa9", 5, 0), 5); /* UTF-8 bytes are not controls */
    char s[] = "a\x1b[31mb\n";
    fl_control_scrub(s);
    CU_ASSERT_STRING_EQUAL(s, "a?[31mb?");
}

static void test_file_name_problem_names_each_unsafe_form(void)
{
    CU_ASSERT_PTR_NULL(fl_file_name_problem("checkout-under-stress"));
    CU_ASSERT_PTR_NULL(fl_file_name_problem("R\xc3\xa9sum\xc3\xa9 v2_1"));
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem(""), "it is empty");
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem("../../x"), "it holds '/' or '\\'");
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem("a\\b"), "it holds '/' or '\\'");
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem(".."), "it starts with '.'");
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem(".hidden"), "it starts with '.'");
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem("a\nb"), "it holds a control character");
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem("a\xff"), "it is not valid UTF-8");
    char longname[FL_FILE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CU_ASSERT_STRING_EQUAL(fl_file_name_problem(longname), "it is longer than 128 bytes");
    longname[FL_FILE_NAME_MAX] = '\0';
    CU_ASSERT_PTR_NULL(fl_file_name_problem(longname));
}

static void expect_safe(const char *in, const char *want)
{
    char *got = fl_file_name_safe(in);
    CU_ASSERT_STRING_EQUAL(got, want);
    CU_ASSERT_PTR_NULL(fl_file_name_problem(got));
    free(got);
}

static void test_file_name_safe_maps_unsafe_bytes_and_keeps_characters(void)
{
    expect_safe("checkout", "checkout");
    expect_safe("", "scenario");
    expect_safe(".", "_");
    expect_safe("..", "_.");
    expect_safe("a/b\\c", "a_b_c");
    expect_safe("x\xff\xfey", "x__y");
    expect_safe("tab\there", "tab_here");
    expect_safe("caf\xc3\xa9", "caf\xc3\xa9");
    /* cut at 128 bytes on a character boundary: 127 'a' then a 2-byte character does not fit */
    char in[200];
    memset(in, 'a', 127);
    strcpy(in + 127, "\xc3\xa9zz");
    char *got = fl_file_name_safe(in);
    CU_ASSERT_EQUAL(strlen(got), 127);
    CU_ASSERT_PTR_NULL(fl_file_name_problem(got));
    free(got);
}

void suite_text(void)
{
    TEST_SUITE("base/text");
    TEST_ADD(test_utf8_accepts_ascii_and_every_sequence_length);
    TEST_ADD(test_utf8_points_at_the_first_bad_byte);
    TEST_ADD(test_control_check_finds_c0_and_del_and_may_allow_tab);
    TEST_ADD(test_file_name_problem_names_each_unsafe_form);
    TEST_ADD(test_file_name_safe_maps_unsafe_bytes_and_keeps_characters);
}
