/*
 * test_match.c - proxies/match.c: exact, prefix, presence and anything;
 * regexes matched against the whole string as Envoy's RE2 safe_regex does;
 * the constructs RE2 lacks refused at compile time with a message naming
 * RE2; compile errors located; absent values; the match limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies/match.h"
#include "tests/testutil.h"

void suite_match(void);

/* Compiles a regex that must be accepted; fails the test otherwise. */
static void re_ok(struct px_match *m, const char *re, int ignore_case)
{
    char *err = NULL;
    int rc = px_match_init(m, PX_MATCH_REGEX, re, ignore_case, &err);
    if (rc) fprintf(stderr, "\n  unexpected error: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NULL(err);
}

/* 1 if re matches s (compiled for this call). */
static int re_test(const char *re, const char *s)
{
    struct px_match m;
    re_ok(&m, re, 0);
    int r = px_match_test(&m, s);
    px_match_free(&m);
    return r;
}

/* The error for a regex that must be refused (caller frees); NULL if it was accepted. */
static char *re_refused(const char *re)
{
    struct px_match m;
    char *err = NULL;
    if (px_match_init(&m, PX_MATCH_REGEX, re, 0, &err) == 0) {
        fprintf(stderr, "\n  regex '%s' was accepted\n", re);
        px_match_free(&m);
        return NULL;
    }
    CU_ASSERT_PTR_NULL(m.re);
    return err;
}

/* The regex is refused with a message that names RE2 and contains `what`. */
static int refused_as(const char *re, const char *what)
{
    char *err = re_refused(re);
    int ok = err && strstr(err, "RE2") && strstr(err, what);
    if (err && !ok) fprintf(stderr, "\n  '%s': %s\n", re, err);
    free(err);
    return ok;
}

static void test_match_exact_is_case_sensitive_unless_asked(void)
{
    struct px_match m, mi;
    char *err = NULL;
    CU_ASSERT_EQUAL(px_match_init(&m, PX_MATCH_EXACT, "GET", 0, &err), 0);
    CU_ASSERT_EQUAL(px_match_init(&mi, PX_MATCH_EXACT, "GET", 1, &err), 0);
    CU_ASSERT_TRUE(px_match_test(&m, "GET"));
    CU_ASSERT_FALSE(px_match_test(&m, "get"));
    CU_ASSERT_FALSE(px_match_test(&m, "GETX"));
    CU_ASSERT_TRUE(px_match_test(&mi, "get"));
    CU_ASSERT_FALSE(px_match_test(&mi, NULL));
    px_match_free(&m);
    px_match_free(&mi);
}

static void test_match_prefix_compares_the_start_only(void)
{
    struct px_match m, mi;
    char *err = NULL;
    CU_ASSERT_EQUAL(px_match_init(&m, PX_MATCH_PREFIX, "/api/v1", 0, &err), 0);
    CU_ASSERT_EQUAL(px_match_init(&mi, PX_MATCH_PREFIX, "/API", 1, &err), 0);
    CU_ASSERT_TRUE(px_match_test(&m, "/api/v1"));
    CU_ASSERT_TRUE(px_match_test(&m, "/api/v1/billing"));
    CU_ASSERT_TRUE(px_match_test(&m, "/api/v10")); /* a prefix, not a path segment */
    CU_ASSERT_FALSE(px_match_test(&m, "/api"));
    CU_ASSERT_TRUE(px_match_test(&mi, "/api/x"));
    px_match_free(&m);
    px_match_free(&mi);
}

static void test_match_absent_value_matches_only_any(void)
{
    struct px_match any, present, exact;
    char *err = NULL;
    CU_ASSERT_EQUAL(px_match_init(&any, PX_MATCH_ANY, NULL, 0, &err), 0);
    CU_ASSERT_EQUAL(px_match_init(&present, PX_MATCH_PRESENT, NULL, 0, &err), 0);
    CU_ASSERT_EQUAL(px_match_init(&exact, PX_MATCH_EXACT, "", 0, &err), 0);
    CU_ASSERT_TRUE(px_match_test(&any, NULL));
    CU_ASSERT_TRUE(px_match_test(&any, "x"));
    CU_ASSERT_FALSE(px_match_test(&present, NULL));
    CU_ASSERT_TRUE(px_match_test(&present, ""));
    CU_ASSERT_TRUE(px_match_test(&present, "anything"));
    CU_ASSERT_FALSE(px_match_test(&exact, NULL));
    CU_ASSERT_TRUE(px_match_test(&exact, ""));
    px_match_free(&any);
    px_match_free(&present);
    px_match_free(&exact);
}

static void test_match_regex_matches_the_whole_string(void)
{
    CU_ASSERT_TRUE(re_test("abc", "abc"));
    CU_ASSERT_FALSE(re_test("abc", "xabc"));
    CU_ASSERT_FALSE(re_test("abc", "abcx"));
    CU_ASSERT_TRUE(re_test("/users/[0-9]+", "/users/42"));
    CU_ASSERT_FALSE(re_test("/users/[0-9]+", "/users/42/orders"));
    /* alternation must still cover the whole string: RE2 full match of a|ab on "ab" */
    CU_ASSERT_TRUE(re_test("a|ab", "ab"));
    CU_ASSERT_TRUE(re_test(".*iPhone.*Safari.*", "Mozilla/5.0 (iPhone) Safari"));
    CU_ASSERT_FALSE(re_test(".*iPhone.*Safari.*", "Mozilla/5.0 (Android) Chrome"));
    CU_ASSERT_TRUE(re_test("", ""));
    CU_ASSERT_FALSE(re_test("", "x"));
}

static void test_match_regex_dollar_and_dot_behave_as_in_re2(void)
{
    /* RE2 without (?m): $ only at the very end, not before a final newline */
    CU_ASSERT_FALSE(re_test("abc$", "abc\n"));
    CU_ASSERT_TRUE(re_test("abc$", "abc"));
    /* . does not match a newline unless (?s) */
    CU_ASSERT_FALSE(re_test("a.b", "a\nb"));
    CU_ASSERT_TRUE(re_test("(?s)a.b", "a\nb"));
    /* \d is ASCII only in RE2 */
    CU_ASSERT_FALSE(re_test("\\d", "\xd9\xa3")); /* ARABIC-INDIC DIGIT THREE */
    CU_ASSERT_TRUE(re_test("é+", "ééé"));        /* UTF-8: one character, repeated */
}

static void test_match_regex_ignore_case(void)
{
    struct px_match m;
    re_ok(&m, "v[0-9]-beta", 1);
    CU_ASSERT_TRUE(px_match_test(&m, "V2-BETA"));
    CU_ASSERT_FALSE(px_match_test(&m, NULL));
    px_match_free(&m);
    CU_ASSERT_TRUE(re_test("(?i)chrome", "CHROME"));
}

static void test_match_regex_accepts_what_re2_has(void)
{
    CU_ASSERT_TRUE(re_test("(?P<id>[0-9]+)", "12"));
    CU_ASSERT_TRUE(re_test("(?<id>[0-9]+)", "12"));
    CU_ASSERT_TRUE(re_test("(?:ab)+?", "abab"));
    CU_ASSERT_TRUE(re_test("[(?=)]+", "(?=)"));      /* a class, not a lookahead */
    CU_ASSERT_TRUE(re_test("\\Q(?=a)\\E", "(?=a)")); /* quoted text */
    CU_ASSERT_TRUE(re_test("a{2,1000}", "aaa"));
    CU_ASSERT_TRUE(re_test("x{,3}", "x{,3}")); /* not a repetition: literal */
    CU_ASSERT_TRUE(re_test("\\\\1", "\\1"));   /* an escaped backslash, then 1 */
    CU_ASSERT_TRUE(re_test("[[:alpha:]]+\\z", "abc"));
    CU_ASSERT_TRUE(re_test("(?i:A)b", "ab"));
}

static void test_match_regex_refuses_what_re2_lacks(void)
{
    CU_ASSERT_TRUE(refused_as("(a)\\1", "backreferences"));
    CU_ASSERT_TRUE(refused_as("(a)\\9", "backreferences"));
    CU_ASSERT_TRUE(refused_as("(?<n>a)\\k<n>", "named backreferences"));
    CU_ASSERT_TRUE(refused_as("(a)\\g1", "\\g"));
    CU_ASSERT_TRUE(refused_as("(?P<n>a)(?P=n)", "named backreferences"));
    CU_ASSERT_TRUE(refused_as("a(?=b)", "lookahead"));
    CU_ASSERT_TRUE(refused_as("a(?!b)", "lookahead"));
    CU_ASSERT_TRUE(refused_as("(?<=a)b", "lookbehind"));
    CU_ASSERT_TRUE(refused_as("(?<!a)b", "lookbehind"));
    CU_ASSERT_TRUE(refused_as("(?>a+)b", "atomic"));
    CU_ASSERT_TRUE(refused_as("a(?R)?b", "recursion"));
    CU_ASSERT_TRUE(refused_as("(a)(?1)", "recursion"));
    CU_ASSERT_TRUE(refused_as("(?<n>a)(?&n)", "recursion"));
    CU_ASSERT_TRUE(refused_as("a++", "possessive"));
    CU_ASSERT_TRUE(refused_as("a*+", "possessive"));
    CU_ASSERT_TRUE(refused_as("a?+", "possessive"));
    CU_ASSERT_TRUE(refused_as("a{2}+", "possessive"));
    CU_ASSERT_TRUE(refused_as("a\\Cb", "\\C"));
    CU_ASSERT_TRUE(refused_as("(?(1)a|b)", "conditional"));
    CU_ASSERT_TRUE(refused_as("(*SKIP)a", "VERB"));
    CU_ASSERT_TRUE(refused_as("(?x) a b", "inline flags"));
    CU_ASSERT_TRUE(refused_as("a{1001}", "repeat counts"));
    CU_ASSERT_TRUE(refused_as("abc\\Z", "\\Z"));
}

static void test_match_regex_refusal_message_is_exact(void)
{
    char *err = re_refused("a(?=b)");
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_STRING_EQUAL(
        err, "regex 'a(?=b)': lookahead (?= (?! not supported by RE2, the regex engine "
             "Envoy uses");
    free(err);
}

static void test_match_regex_syntax_error_is_reported_with_offset(void)
{
    char *err = re_refused("a(b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "regex 'a(b': "));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "(at offset 3)"));
    free(err);
    err = re_refused("[a-");
    CU_ASSERT_PTR_NOT_NULL(err);
    free(err);
}

static void test_match_regex_backtracking_is_bounded(void)
{
    char s[64];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    /* exponential in a backtracking engine; the match limit ends it as "no match" */
    CU_ASSERT_FALSE(re_test("(a|aa)*c", s));
    CU_ASSERT_FALSE(re_test("abc", "ab\xff")); /* invalid UTF-8 never crashes */
}

void suite_match(void)
{
    TEST_SUITE("proxies/match");
    TEST_ADD(test_match_exact_is_case_sensitive_unless_asked);
    TEST_ADD(test_match_prefix_compares_the_start_only);
    TEST_ADD(test_match_absent_value_matches_only_any);
    TEST_ADD(test_match_regex_matches_the_whole_string);
    TEST_ADD(test_match_regex_dollar_and_dot_behave_as_in_re2);
    TEST_ADD(test_match_regex_ignore_case);
    TEST_ADD(test_match_regex_accepts_what_re2_has);
    TEST_ADD(test_match_regex_refuses_what_re2_lacks);
    TEST_ADD(test_match_regex_refusal_message_is_exact);
    TEST_ADD(test_match_regex_syntax_error_is_reported_with_offset);
    TEST_ADD(test_match_regex_backtracking_is_bounded);
}
