/*
 * test_yamldoc.c - base/yamldoc.c: documents loaded from memory, located
 * syntax and nesting errors, key checks with suggestions, typed scalars
 * with their exact messages, the first-error-wins rule, and --set
 * overrides applied to the tree (and located as "--set KEY=VALUE").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "tests/testutil.h"

void suite_yamldoc(void);

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

/* 1 when actual is expected (NULL equals NULL only); prints both otherwise. */
static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr, "\n  test_yamldoc.c:%d: got \"%s\"\n  %*s expected \"%s\"\n", line,
                actual ? actual : "(null)", (int)strlen("test_yamldoc.c") + 6, "",
                expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

/* Loads text that must hold exactly one document, named "t.yaml" in messages. */
static struct fl_ydoc *load1(const char *text)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    char *err = NULL;
    int rc = fl_ydoc_load_buffer("t.yaml", text, strlen(text), &docs, &n, &err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_PTR_NULL(err);
    return docs;
}

/* Loads text that must fail; returns the message (caller frees). */
static char *load_error(const char *text, size_t len)
{
    struct fl_ydoc *docs = (struct fl_ydoc *)1;
    size_t n = 99;
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_load_buffer("t.yaml", text, len, &docs, &n, &err), -1);
    CU_ASSERT_PTR_NULL(docs);
    CU_ASSERT_EQUAL(n, 0);
    return err;
}

/* The value of a top-level key. */
static yaml_node_t *top(struct fl_ydoc *d, const char *key)
{
    return fl_y_get(d, fl_y_root(d), key);
}

/* ---- loading ---- */

static void test_ydoc_loads_a_mapping_with_its_scalars_and_lists(void)
{
    struct fl_ydoc *d = load1("name: shop\nsizes: [1, 2, 3]\nnested: {k: v}\n");
    yaml_node_t *root = fl_y_root(d);
    CU_ASSERT_EQUAL(root->type, YAML_MAPPING_NODE);
    ASSERT_STR(d->file, "t.yaml");
    ASSERT_STR(fl_y_str(top(d, "name")), "shop");
    yaml_node_t *sizes = top(d, "sizes");
    CU_ASSERT_EQUAL(sizes->type, YAML_SEQUENCE_NODE);
    CU_ASSERT_EQUAL(sizes->data.sequence.items.top - sizes->data.sequence.items.start, 3);
    ASSERT_STR(fl_y_str(fl_y_node(d, sizes->data.sequence.items.start[2])), "3");
    ASSERT_STR(fl_y_str(fl_y_get(d, top(d, "nested"), "k")), "v");
    CU_ASSERT_PTR_NULL(top(d, "absent"));
    CU_ASSERT_PTR_NULL(fl_y_str(sizes));
    CU_ASSERT_PTR_NULL(d->err);
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_loads_every_document_of_a_stream_in_order(void)
{
    const char *text = "a: 1\n---\nb: 2\n---\nc: 3\n";
    struct fl_ydoc *docs;
    size_t n;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(fl_ydoc_load_buffer("t.yaml", text, strlen(text), &docs, &n, &err), 0);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    ASSERT_STR(fl_y_str(top(&docs[0], "a")), "1");
    ASSERT_STR(fl_y_str(top(&docs[1], "b")), "2");
    ASSERT_STR(fl_y_str(top(&docs[2], "c")), "3");
    CU_ASSERT_PTR_NULL(top(&docs[1], "a"));
    char where[64];
    ASSERT_STR(fl_y_where(&docs[2], top(&docs[2], "c"), where, sizeof where), "t.yaml:5:4");
    fl_ydoc_free_all(docs, n);
}

static void test_ydoc_empty_text_and_comments_load_as_no_document(void)
{
    const char *texts[] = {"", "# only a comment\n", "\n\n   \n"};
    for (size_t i = 0; i < 3; i++) {
        struct fl_ydoc *docs = (struct fl_ydoc *)1;
        size_t n = 99;
        char *err = NULL;
        CU_ASSERT_EQUAL(fl_ydoc_load_buffer("t.yaml", texts[i], strlen(texts[i]), &docs, &n, &err),
                        0);
        CU_ASSERT_EQUAL(n, 0);
        CU_ASSERT_PTR_NULL(docs);
        CU_ASSERT_PTR_NULL(err);
    }
}

static void test_ydoc_syntax_error_is_located_at_line_and_column(void)
{
    const char *text = "a: 1\nb: [1, 2\n";
    char *err = load_error(text, strlen(text));
    ASSERT_STR(err, "t.yaml:3:1: YAML syntax error: did not find expected ',' or ']' "
                    "(while parsing a flow sequence at line 2)");
    free(err);
    text = "a: 1\n  b: 2\n";
    err = load_error(text, strlen(text));
    ASSERT_STR(err,
               "t.yaml:2:4: YAML syntax error: mapping values are not allowed in this context");
    free(err);
}

/* libyaml gives reader errors a byte offset only; the message still names line and column. */
static void test_ydoc_control_character_is_located_where_it_is(void)
{
    const char *text = "a: 1\nb: 2\nc: x\001\n";
    char *err = load_error(text, strlen(text));
    ASSERT_STR(err, "t.yaml:3:5: YAML syntax error: control characters are not allowed");
    free(err);
    /* columns count characters: the two bytes of e-acute are one column */
    text = "a: 1\r\nb: \xc3\xa9\001\n";
    err = load_error(text, strlen(text));
    ASSERT_STR(err, "t.yaml:2:5: YAML syntax error: control characters are not allowed");
    free(err);
    const char nul[] = "a: 1\nb: \"x\0y\"\n";
    err = load_error(nul, sizeof nul - 1);
    ASSERT_STR(err, "t.yaml:2:6: YAML syntax error: control characters are not allowed");
    free(err);
    text = "a: 1\nb: \xff\n";
    err = load_error(text, strlen(text));
    ASSERT_STR(err, "t.yaml:2:4: YAML syntax error: invalid leading UTF-8 octet");
    free(err);
}

/* "[[[...x...]]]" nested depth times. */
static char *nested_lists(int depth)
{
    char *s = fl_malloc((size_t)depth * 2 + 2);
    memset(s, '[', (size_t)depth);
    s[depth] = 'x';
    memset(s + depth + 1, ']', (size_t)depth);
    s[2 * depth + 1] = '\0';
    return s;
}

static void test_ydoc_nesting_of_depth_max_loads(void)
{
    char *text = nested_lists(FL_Y_DEPTH_MAX);
    struct fl_ydoc *d = load1(text);
    CU_ASSERT_EQUAL(fl_y_root(d)->type, YAML_SEQUENCE_NODE);
    fl_ydoc_free_all(d, 1);
    free(text);
}

static void test_ydoc_nesting_deeper_than_max_is_refused_where_it_goes_too_deep(void)
{
    char *text = nested_lists(FL_Y_DEPTH_MAX + 1);
    char *err = load_error(text, strlen(text));
    ASSERT_STR(err, "t.yaml:1:65: nesting deeper than 64 levels");
    free(err);
    free(text);
    /* block mappings: the 65th opens on line 65 */
    char *blk = NULL;
    size_t len = 0, cap = 0;
    for (int i = 0; i < FL_Y_DEPTH_MAX + 1; i++) {
        FL_GROW(blk, cap, len + (size_t)i + 8);
        memset(blk + len, ' ', (size_t)i);
        len += (size_t)i;
        memcpy(blk + len, i == FL_Y_DEPTH_MAX ? "k: v\n" : "k:\n", i == FL_Y_DEPTH_MAX ? 5 : 3);
        len += i == FL_Y_DEPTH_MAX ? 5 : 3;
    }
    err = load_error(blk, len);
    ASSERT_STR(err, "t.yaml:65:65: nesting deeper than 64 levels");
    free(err);
    free(blk);
}

/*
 * Far too deep to build as a tree (and followed by broken YAML): the first
 * pass stops at level 65, before any node exists or the rest is read.
 */
static void test_ydoc_nesting_is_refused_before_a_tree_is_built(void)
{
    size_t depth = 1000000;
    char *text = fl_malloc(depth + 8);
    memset(text, '[', depth);
    memcpy(text + depth, ": : }", 6);
    char *err = load_error(text, depth + 5);
    ASSERT_STR(err, "t.yaml:1:65: nesting deeper than 64 levels");
    free(err);
    free(text);
}

static void test_ydoc_load_file_reports_a_missing_file(void)
{
    struct fl_ydoc *docs;
    size_t n;
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_load_file("/nonexistent/faultline.yaml", &docs, &n, &err), -1);
    ASSERT_STR(err, "/nonexistent/faultline.yaml: No such file or directory");
    free(err);
}

/* ---- errors and positions ---- */

static void test_ydoc_first_error_wins(void)
{
    struct fl_ydoc *d = load1("a: 1\nb: x\n");
    CU_ASSERT_EQUAL(fl_y_error(d, top(d, "a"), "first %d", 1), -1);
    CU_ASSERT_EQUAL(fl_y_error(d, top(d, "b"), "second"), -1);
    long long v;
    CU_ASSERT_EQUAL(fl_y_int(d, top(d, "b"), "b", 0, 9, &v), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: first 1");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_error_without_a_node_is_at_the_start_of_the_file(void)
{
    struct fl_ydoc *d = load1("\n\na: 1\n");
    char where[64];
    ASSERT_STR(fl_y_where(d, NULL, where, sizeof where), "t.yaml:1:1");
    ASSERT_STR(fl_y_where(d, top(d, "a"), where, sizeof where), "t.yaml:3:4");
    fl_y_error(d, NULL, "nothing here");
    ASSERT_STR(d->err, "t.yaml:1:1: nothing here");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_type_checks_name_what_they_got(void)
{
    struct fl_ydoc *d = load1("l: [1]\nm: {k: v}\ns: x\n");
    CU_ASSERT_EQUAL(fl_y_want_seq(d, top(d, "l"), "l"), 0);
    CU_ASSERT_EQUAL(fl_y_want_map(d, top(d, "m"), "m"), 0);
    CU_ASSERT_EQUAL(fl_y_want_scalar(d, top(d, "s"), "s"), 0);
    CU_ASSERT_PTR_NULL(d->err);
    CU_ASSERT_EQUAL(fl_y_want_map(d, top(d, "l"), "services"), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: services must be a mapping (key: value), not a list");
    fl_ydoc_free_all(d, 1);
    d = load1("m: {k: v}\n");
    CU_ASSERT_EQUAL(fl_y_want_seq(d, top(d, "m"), "services"), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: services must be a list, not a mapping");
    fl_ydoc_free_all(d, 1);
    d = load1("m: {k: v}\n");
    CU_ASSERT_EQUAL(fl_y_want_scalar(d, top(d, "m"), "seed"), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: seed must be a single value, not a mapping");
    fl_ydoc_free_all(d, 1);
}

/* ---- key checks ---- */

static const char *const svc_keys[] = {"name", "replicas", "workers", "service_time", NULL};
static const char *const svc_required[] = {"name", NULL};

/* Runs fl_y_check_keys on the mapping under "svc" and returns its result. */
static int check_svc(struct fl_ydoc *d)
{
    return fl_y_check_keys(d, top(d, "svc"), svc_keys, svc_required, "service 'billing'");
}

static void test_ydoc_check_keys_accepts_known_keys_once_each(void)
{
    struct fl_ydoc *d = load1("svc:\n  name: billing\n  workers: 2\n");
    CU_ASSERT_EQUAL(check_svc(d), 0);
    CU_ASSERT_PTR_NULL(d->err);
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_unknown_key_gets_the_closest_known_one(void)
{
    struct fl_ydoc *d = load1("svc:\n  name: billing\n  replica: 3\n");
    CU_ASSERT_EQUAL(check_svc(d), -1);
    ASSERT_STR(d->err,
               "t.yaml:3:3: unknown key 'replica' in service 'billing' (did you mean 'replicas'?)");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_unknown_key_far_from_every_known_one_gets_no_suggestion(void)
{
    struct fl_ydoc *d = load1("svc:\n  name: billing\n  colour: red\n");
    CU_ASSERT_EQUAL(check_svc(d), -1);
    ASSERT_STR(d->err, "t.yaml:3:3: unknown key 'colour' in service 'billing'");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_duplicate_key_is_located_at_its_second_use(void)
{
    struct fl_ydoc *d = load1("svc:\n  name: billing\n  workers: 1\n  name: other\n");
    CU_ASSERT_EQUAL(check_svc(d), -1);
    ASSERT_STR(d->err, "t.yaml:4:3: key 'name' appears twice in service 'billing'");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_missing_required_key_is_located_at_the_mapping(void)
{
    struct fl_ydoc *d = load1("x: 1\nsvc:\n  workers: 4\n");
    CU_ASSERT_EQUAL(check_svc(d), -1);
    ASSERT_STR(d->err, "t.yaml:3:3: service 'billing' needs 'name'");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_non_scalar_key_is_refused(void)
{
    struct fl_ydoc *d = load1("svc:\n  name: billing\n  ? [a, b]\n  : 1\n");
    CU_ASSERT_EQUAL(check_svc(d), -1);
    ASSERT_STR(d->err, "t.yaml:3:5: keys of service 'billing' must be plain names");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_check_keys_wants_a_mapping(void)
{
    struct fl_ydoc *d = load1("svc: [name]\n");
    CU_ASSERT_EQUAL(check_svc(d), -1);
    ASSERT_STR(d->err, "t.yaml:1:6: service 'billing' must be a mapping (key: value), not a list");
    fl_ydoc_free_all(d, 1);
}

static void test_did_you_mean_allows_one_edit_per_three_letters_up_to_three(void)
{
    /* limit = len / 3 + 1, at most 3 */
    const char *const two[] = {"abc", NULL}, *const two_far[] = {"abcd", NULL};
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("ab", two), two[0]); /* 1 <= 1 */
    CU_ASSERT_PTR_NULL(fl_did_you_mean("ab", two_far));      /* 2 > 1 */
    const char *const five[] = {"abcXY", NULL}, *const five_far[] = {"abXYZ", NULL};
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("abcde", five), five[0]); /* 2 <= 2 */
    CU_ASSERT_PTR_NULL(fl_did_you_mean("abcde", five_far));       /* 3 > 2 */
    const char *const six[] = {"abcXYZ", NULL}, *const six_far[] = {"abWXYZ", NULL};
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("abcdef", six), six[0]); /* 3 <= 3 */
    CU_ASSERT_PTR_NULL(fl_did_you_mean("abcdef", six_far));      /* 4 > 3 */
    /* a long word is still held to 3 */
    const char *const twelve[] = {"abcdefghiXYZ", NULL}, *const twelve_far[] = {"abcdefghWXYZ",
                                                                                NULL};
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("abcdefghijkl", twelve), twelve[0]);
    CU_ASSERT_PTR_NULL(fl_did_you_mean("abcdefghijkl", twelve_far));
}

static void test_did_you_mean_picks_the_closest_and_the_first_of_a_tie(void)
{
    const char *const keys[] = {"rate", "replicas", "retries", "queue", NULL};
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("replica", keys), keys[1]);
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("retires", keys), keys[2]);
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("queue", keys), keys[3]);
    const char *const tie[] = {"cat", "bat", NULL};
    CU_ASSERT_PTR_EQUAL(fl_did_you_mean("hat", tie), tie[0]);
    const char *const none[] = {NULL};
    CU_ASSERT_PTR_NULL(fl_did_you_mean("rate", none));
    CU_ASSERT_PTR_NULL(fl_did_you_mean("zzzzzz", keys));
}

/* ---- typed scalars ---- */

/* A document "v: <value>"; the value node is at 1:4. */
static struct fl_ydoc *value_doc(const char *value)
{
    char *text = fl_asprintf("v: %s\n", value);
    struct fl_ydoc *d = load1(text);
    free(text);
    return d;
}

/* fl_y_int on "v: value" in [min, max]: 0 and *out, or -1 and the message in *err. */
static int get_int(const char *value, long long min, long long max, long long *out, char **err)
{
    struct fl_ydoc *d = value_doc(value);
    int rc = fl_y_int(d, top(d, "v"), "replicas", min, max, out);
    *err = d->err ? fl_strdup(d->err) : NULL;
    CU_ASSERT_EQUAL(rc != 0, *err != NULL);
    fl_ydoc_free_all(d, 1);
    return rc;
}

static void test_y_int_reads_whole_numbers_in_range(void)
{
    long long v = 0;
    char *err;
    CU_ASSERT_EQUAL(get_int("42", 1, 100, &v, &err), 0);
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_EQUAL(get_int("-7", -10, 0, &v, &err), 0);
    CU_ASSERT_EQUAL(v, -7);
    CU_ASSERT_EQUAL(get_int("9223372036854775807", 0, INT64_MAX, &v, &err), 0);
    CU_ASSERT_EQUAL(v, INT64_MAX);
}

static void test_y_int_out_of_range_names_the_range(void)
{
    long long v = 5;
    char *err;
    CU_ASSERT_EQUAL(get_int("0", 1, 10000, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be between 1 and 10000, not 0");
    free(err);
    CU_ASSERT_EQUAL(get_int("10001", 1, 10000, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be between 1 and 10000, not 10001");
    free(err);
    CU_ASSERT_EQUAL(v, 5);
}

static void test_y_int_refuses_garbage_fractions_and_empty_values(void)
{
    long long v = 5;
    char *err;
    CU_ASSERT_EQUAL(get_int("12abc", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be a whole number, not '12abc'");
    free(err);
    CU_ASSERT_EQUAL(get_int("1.5", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be a whole number, not '1.5'");
    free(err);
    CU_ASSERT_EQUAL(get_int("0x10", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be a whole number, not '0x10'");
    free(err);
    CU_ASSERT_EQUAL(get_int("\"\"", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must not be empty");
    free(err);
    CU_ASSERT_EQUAL(get_int("[3]", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be a single value, not a list");
    free(err);
    CU_ASSERT_EQUAL(v, 5);
}

static void test_y_int_overflow_is_a_range_error_not_a_wrap(void)
{
    long long v = 5;
    char *err;
    CU_ASSERT_EQUAL(get_int("99999999999999999999", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be between 1 and 100, not 99999999999999999999");
    free(err);
    CU_ASSERT_EQUAL(get_int("-99999999999999999999", 1, 100, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: replicas must be between 1 and 100, not -99999999999999999999");
    free(err);
    CU_ASSERT_EQUAL(v, 5);
}

static void test_y_double_reads_numbers_and_refuses_nan_and_infinity(void)
{
    const char *bad[] = {"nan", "NAN", "inf", "-infinity", "1e999", ".nan", "2x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fl_ydoc *d = value_doc(bad[i]);
        double v = 3;
        CU_ASSERT_EQUAL(fl_y_double(d, top(d, "v"), "weight", 0, 1e9, &v), -1);
        char *want = fl_asprintf("t.yaml:1:4: weight must be a number, not '%s'", bad[i]);
        ASSERT_STR(d->err, want);
        free(want);
        CU_ASSERT_EQUAL(v, 3);
        fl_ydoc_free_all(d, 1);
    }
    struct fl_ydoc *d = value_doc("2.5");
    double v = 0;
    CU_ASSERT_EQUAL(fl_y_double(d, top(d, "v"), "weight", 0, 1e9, &v), 0);
    CU_ASSERT_EQUAL(v, 2.5);
    fl_ydoc_free_all(d, 1);
    d = value_doc("-1");
    CU_ASSERT_EQUAL(fl_y_double(d, top(d, "v"), "weight", 0, 1e9, &v), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: weight must be between 0 and 1e+09, not -1");
    fl_ydoc_free_all(d, 1);
}

static void test_y_bool_takes_true_and_false_only(void)
{
    const char *yes[] = {"true", "True", "TRUE"}, *no[] = {"false", "False", "FALSE"};
    for (size_t i = 0; i < 3; i++) {
        int b = -1;
        struct fl_ydoc *d = value_doc(yes[i]);
        CU_ASSERT_EQUAL(fl_y_bool(d, top(d, "v"), "enabled", &b), 0);
        CU_ASSERT_EQUAL(b, 1);
        fl_ydoc_free_all(d, 1);
        d = value_doc(no[i]);
        CU_ASSERT_EQUAL(fl_y_bool(d, top(d, "v"), "enabled", &b), 0);
        CU_ASSERT_EQUAL(b, 0);
        fl_ydoc_free_all(d, 1);
    }
    int b = -1;
    struct fl_ydoc *d = value_doc("yes");
    CU_ASSERT_EQUAL(fl_y_bool(d, top(d, "v"), "enabled", &b), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: enabled must be true or false, not 'yes'");
    CU_ASSERT_EQUAL(b, -1);
    fl_ydoc_free_all(d, 1);
}

static const char *const dists[] = {"constant", "uniform", "exponential", NULL};

static void test_y_enum_gives_the_index_of_the_name(void)
{
    struct fl_ydoc *d = value_doc("exponential");
    int k = -1;
    CU_ASSERT_EQUAL(fl_y_enum(d, top(d, "v"), "dist", dists, &k), 0);
    CU_ASSERT_EQUAL(k, 2);
    fl_ydoc_free_all(d, 1);
}

static void test_y_enum_unknown_value_lists_the_names_with_a_suggestion(void)
{
    struct fl_ydoc *d = value_doc("exponentail");
    int k = -1;
    CU_ASSERT_EQUAL(fl_y_enum(d, top(d, "v"), "dist", dists, &k), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: dist: unknown value 'exponentail' (did you mean "
                       "'exponential'? one of constant, uniform, exponential)");
    CU_ASSERT_EQUAL(k, -1);
    fl_ydoc_free_all(d, 1);
    d = value_doc("gaussian");
    CU_ASSERT_EQUAL(fl_y_enum(d, top(d, "v"), "dist", dists, &k), -1);
    ASSERT_STR(
        d->err,
        "t.yaml:1:4: dist: unknown value 'gaussian' (one of constant, uniform, exponential)");
    fl_ydoc_free_all(d, 1);
}

/* fl_y_duration on "v: value" within [min, max]; the message (or NULL) in *err. */
static int get_duration(const char *value, int64_t min, int64_t max, int64_t *out, char **err)
{
    struct fl_ydoc *d = value_doc(value);
    int rc = fl_y_duration(d, top(d, "v"), "timeout", min, max, out);
    *err = d->err ? fl_strdup(d->err) : NULL;
    fl_ydoc_free_all(d, 1);
    return rc;
}

static void test_y_duration_reads_units_to_nanoseconds(void)
{
    int64_t v = 0;
    char *err;
    CU_ASSERT_EQUAL(get_duration("250ms", 0, 10 * S, &v, &err), 0);
    CU_ASSERT_EQUAL(v, 250 * MS);
    CU_ASSERT_EQUAL(get_duration("1.5s", 0, 10 * S, &v, &err), 0);
    CU_ASSERT_EQUAL(v, 1500 * MS);
    CU_ASSERT_EQUAL(get_duration("40us", 0, 10 * S, &v, &err), 0);
    CU_ASSERT_EQUAL(v, 40000);
    CU_ASSERT_EQUAL(get_duration("2m", 0, 3600 * S, &v, &err), 0);
    CU_ASSERT_EQUAL(v, 120 * S);
}

static void test_y_duration_range_messages_say_at_least_or_between(void)
{
    int64_t v = 7;
    char *err;
    CU_ASSERT_EQUAL(get_duration("0ms", 1 * MS, 1 * S, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: timeout must be at least 1ms, not 0ms");
    free(err);
    CU_ASSERT_EQUAL(get_duration("2s", 1 * MS, 1 * S, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: timeout must be between 1ms and 1s, not 2s");
    free(err);
    CU_ASSERT_EQUAL(get_duration("2h", 0, 90 * 60 * S, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: timeout must be between 0ns and 1h30m, not 2h");
    free(err);
    CU_ASSERT_EQUAL(v, 7);
}

static void test_y_duration_unit_errors_list_the_units(void)
{
    int64_t v = 7;
    char *err;
    CU_ASSERT_EQUAL(get_duration("10", 0, S, &v, &err), -1);
    ASSERT_STR(err,
               "t.yaml:1:4: timeout '10': missing unit (use ns, us, ms, s, m or h, e.g. 250ms)");
    free(err);
    CU_ASSERT_EQUAL(get_duration("-5ms", 0, S, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: timeout '-5ms': must not be negative (use ns, us, ms, s, m or h, "
                    "e.g. 250ms)");
    free(err);
    CU_ASSERT_EQUAL(get_duration("5 parsecs", 0, S, &v, &err), -1);
    ASSERT_STR(err, "t.yaml:1:4: timeout '5 parsecs': unknown unit (use ns, us, ms, s, m or h, "
                    "e.g. 250ms)");
    free(err);
    CU_ASSERT_EQUAL(v, 7);
}

static void test_y_rate_reads_per_second_and_refuses_zero_and_above_max(void)
{
    struct fl_ydoc *d = value_doc("100/m");
    double r = 0;
    CU_ASSERT_EQUAL(fl_y_rate(d, top(d, "v"), "rate", 1e8, &r), 0);
    ASSERT_REL(r, 100.0 / 60, 1e-12);
    fl_ydoc_free_all(d, 1);
    d = value_doc("0/s");
    r = 9;
    CU_ASSERT_EQUAL(fl_y_rate(d, top(d, "v"), "rate", 1e8, &r), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: rate must be above 0, not 0/s");
    CU_ASSERT_EQUAL(r, 9);
    fl_ydoc_free_all(d, 1);
    d = value_doc("2000/s");
    CU_ASSERT_EQUAL(fl_y_rate(d, top(d, "v"), "rate", 1000, &r), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: rate must be at most 1000/s, not 2000/s");
    fl_ydoc_free_all(d, 1);
    d = value_doc("400");
    CU_ASSERT_EQUAL(fl_y_rate(d, top(d, "v"), "rate", 1e8, &r), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: rate '400': missing unit (use /s, /ms, /m or /h, e.g. 2000/s)");
    fl_ydoc_free_all(d, 1);
}

static void test_y_fraction_reads_percentages_and_refuses_above_100_percent(void)
{
    struct fl_ydoc *d = value_doc("0.5%");
    double f = 0;
    CU_ASSERT_EQUAL(fl_y_fraction(d, top(d, "v"), "loss", &f), 0);
    ASSERT_REL(f, 0.005, 1e-12);
    fl_ydoc_free_all(d, 1);
    d = value_doc("0.25");
    CU_ASSERT_EQUAL(fl_y_fraction(d, top(d, "v"), "loss", &f), 0);
    CU_ASSERT_EQUAL(f, 0.25);
    fl_ydoc_free_all(d, 1);
    d = value_doc("100%");
    CU_ASSERT_EQUAL(fl_y_fraction(d, top(d, "v"), "loss", &f), 0);
    CU_ASSERT_EQUAL(f, 1.0);
    fl_ydoc_free_all(d, 1);
    d = value_doc("150%");
    f = 0.125;
    CU_ASSERT_EQUAL(fl_y_fraction(d, top(d, "v"), "loss", &f), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: loss '150%': a fraction above 1 (100%) (use a fraction like "
                       "0.005 or a percentage like 0.5%)");
    CU_ASSERT_EQUAL(f, 0.125);
    fl_ydoc_free_all(d, 1);
    d = value_doc("1.5");
    CU_ASSERT_EQUAL(fl_y_fraction(d, top(d, "v"), "loss", &f), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: loss '1.5': a fraction above 1 (100%) (use a fraction like "
                       "0.005 or a percentage like 0.5%)");
    fl_ydoc_free_all(d, 1);
}

static void test_y_size_reads_binary_and_decimal_units_within_range(void)
{
    struct fl_ydoc *d = value_doc("4KiB");
    int64_t b = 0;
    CU_ASSERT_EQUAL(fl_y_size(d, top(d, "v"), "size", 0, INT64_C(1) << 30, &b), 0);
    CU_ASSERT_EQUAL(b, 4096);
    fl_ydoc_free_all(d, 1);
    d = value_doc("1KB");
    CU_ASSERT_EQUAL(fl_y_size(d, top(d, "v"), "size", 0, INT64_C(1) << 30, &b), 0);
    CU_ASSERT_EQUAL(b, 1000);
    fl_ydoc_free_all(d, 1);
    d = value_doc("2KiB");
    CU_ASSERT_EQUAL(fl_y_size(d, top(d, "v"), "size", 0, 1024, &b), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: size must be between 0B and 1024B, not 2KiB");
    CU_ASSERT_EQUAL(b, 1000);
    fl_ydoc_free_all(d, 1);
    d = value_doc("12");
    CU_ASSERT_EQUAL(fl_y_size(d, top(d, "v"), "size", 0, 1024, &b), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: size '12': missing unit (use B, KB, MB, GB, KiB, MiB or GiB, "
                       "e.g. 4KiB)");
    fl_ydoc_free_all(d, 1);
}

static void test_y_bandwidth_reads_bits_and_bytes_per_second_from_1kbit(void)
{
    struct fl_ydoc *d = value_doc("100mbit");
    double bps = 0;
    CU_ASSERT_EQUAL(fl_y_bandwidth(d, top(d, "v"), "rate", &bps), 0);
    CU_ASSERT_EQUAL(bps, 1e8);
    fl_ydoc_free_all(d, 1);
    d = value_doc("1gbps");
    CU_ASSERT_EQUAL(fl_y_bandwidth(d, top(d, "v"), "rate", &bps), 0);
    CU_ASSERT_EQUAL(bps, 8e9);
    fl_ydoc_free_all(d, 1);
    d = value_doc("1kbit");
    CU_ASSERT_EQUAL(fl_y_bandwidth(d, top(d, "v"), "rate", &bps), 0);
    CU_ASSERT_EQUAL(bps, 1000);
    fl_ydoc_free_all(d, 1);
    d = value_doc("999bit");
    CU_ASSERT_EQUAL(fl_y_bandwidth(d, top(d, "v"), "rate", &bps), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: rate must be at least 1kbit, not 999bit");
    fl_ydoc_free_all(d, 1);
    d = value_doc("fast");
    CU_ASSERT_EQUAL(fl_y_bandwidth(d, top(d, "v"), "rate", &bps), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: rate 'fast': not a number (use bit, kbit, mbit, gbit (or bps, "
                       "kbps, mbps, gbps), e.g. 100mbit)");
    fl_ydoc_free_all(d, 1);
}

static void test_y_string_refuses_empty_values_and_nul_characters(void)
{
    struct fl_ydoc *d = value_doc("\"a\\0b\"");
    const char *s = NULL;
    CU_ASSERT_EQUAL(fl_y_string(d, top(d, "v"), "name", &s), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: name contains a NUL character");
    CU_ASSERT_PTR_NULL(s);
    fl_ydoc_free_all(d, 1);
    d = value_doc("''");
    CU_ASSERT_EQUAL(fl_y_string(d, top(d, "v"), "name", &s), -1);
    ASSERT_STR(d->err, "t.yaml:1:4: name must not be empty");
    fl_ydoc_free_all(d, 1);
}

/* ---- overrides ---- */

static const char *const scenario = "seed: 1\n"
                                    "network:\n"
                                    "  delay: 1ms\n"
                                    "services:\n"
                                    "  - name: inventory\n"
                                    "    replicas: 3\n"
                                    "  - name: billing\n"
                                    "    replicas: 2\n";

/* The service item at index i of the scenario above. */
static yaml_node_t *service(struct fl_ydoc *d, int i)
{
    return fl_y_node(d, top(d, "services")->data.sequence.items.start[i]);
}

static void test_ydoc_set_replaces_a_nested_scalar(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "network.delay=5ms", &err), 0);
    CU_ASSERT_PTR_NULL(err);
    yaml_node_t *net = top(d, "network");
    ASSERT_STR(fl_y_str(fl_y_get(d, net, "delay")), "5ms");
    CU_ASSERT_EQUAL(net->data.mapping.pairs.top - net->data.mapping.pairs.start, 1);
    ASSERT_STR(fl_y_str(top(d, "seed")), "1");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_set_adds_a_missing_last_key_to_a_mapping(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "network.jitter=200us", &err), 0);
    yaml_node_t *net = top(d, "network");
    CU_ASSERT_EQUAL(net->data.mapping.pairs.top - net->data.mapping.pairs.start, 2);
    ASSERT_STR(fl_y_str(fl_y_get(d, net, "delay")), "1ms");
    ASSERT_STR(fl_y_str(fl_y_get(d, net, "jitter")), "200us");
    /* both the new key and its value are located at the override */
    char where[128];
    ASSERT_STR(fl_y_where(d, fl_y_get_key(d, net, "jitter"), where, sizeof where),
               "--set network.jitter=200us");
    ASSERT_STR(fl_y_where(d, fl_y_get(d, net, "jitter"), where, sizeof where),
               "--set network.jitter=200us");
    ASSERT_STR(fl_y_where(d, fl_y_get(d, net, "delay"), where, sizeof where), "t.yaml:3:10");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_set_finds_list_items_by_index_and_by_name(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "services.1.replicas=7", &err), 0);
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "services.inventory.replicas=9", &err), 0);
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "services.inventory.workers=4", &err), 0);
    CU_ASSERT_PTR_NULL(err);
    ASSERT_STR(fl_y_str(fl_y_get(d, service(d, 0), "replicas")), "9");
    ASSERT_STR(fl_y_str(fl_y_get(d, service(d, 0), "workers")), "4");
    ASSERT_STR(fl_y_str(fl_y_get(d, service(d, 1), "replicas")), "7");
    CU_ASSERT_PTR_NULL(fl_y_get(d, service(d, 1), "workers"));
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_set_keeps_everything_after_the_first_equals_sign(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "name=a=b", &err), 0);
    ASSERT_STR(fl_y_str(top(d, "name")), "a=b");
    fl_ydoc_free_all(d, 1);
}

/* fl_ydoc_set on the scenario above must fail with exactly `want`. */
static void set_fails(const char *assignment, const char *want, int line)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, assignment, &err), -1);
    CU_ASSERT(str_is(err, want, line));
    free(err);
    /* the tree is unchanged */
    ASSERT_STR(fl_y_str(fl_y_get(d, service(d, 0), "replicas")), "3");
    ASSERT_STR(fl_y_str(fl_y_get(d, service(d, 1), "replicas")), "2");
    CU_ASSERT_EQUAL(d->n_origins, 0);
    fl_ydoc_free_all(d, 1);
}

#define SET_FAILS(assignment, want) set_fails((assignment), (want), __LINE__)

/* Missing list items and keys under a scalar cannot be made up; the message says where the path
 * stopped. */
static void test_ydoc_set_refuses_a_missing_list_item_or_a_key_under_a_value(void)
{
    SET_FAILS("services.payments.replicas=1",
              "--set services.payments.replicas=1: 'services' (t.yaml:5:3) has no item named "
              "'payments'");
    SET_FAILS("services.inventroy.replicas=1",
              "--set services.inventroy.replicas=1: 'services' (t.yaml:5:3) has no item named "
              "'inventroy' (did you mean 'inventory'?)");
    SET_FAILS("services.2.replicas=1",
              "--set services.2.replicas=1: 'services' (t.yaml:5:3) has 2 items; there is no item "
              "2");
    SET_FAILS("seed.x=1", "--set seed.x=1: 'seed' (t.yaml:1:7) is a single value; it has no 'x'");
    SET_FAILS("services.0.replicas.x.y=1", "--set services.0.replicas.x.y=1: 'replicas' "
                                           "(t.yaml:6:15) is a single value; it has no 'x'");
}

/* A missing key on the way becomes a mapping (the loader then checks the keys it got). */
static void test_ydoc_set_adds_missing_middle_mappings(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "mesh.envoy_compat.backoff=legacy", &err), 0);
    yaml_node_t *mesh = top(d, "mesh");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mesh);
    CU_ASSERT_EQUAL(mesh->type, YAML_MAPPING_NODE);
    yaml_node_t *compat = fl_y_get(d, mesh, "envoy_compat");
    CU_ASSERT_PTR_NOT_NULL_FATAL(compat);
    ASSERT_STR(fl_y_str(fl_y_get(d, compat, "backoff")), "legacy");
    char where[128];
    ASSERT_STR(fl_y_where(d, compat, where, sizeof where),
               "--set mesh.envoy_compat.backoff=legacy");
    fl_ydoc_free_all(d, 1);
}

/* The last segment may name a list item: the item is replaced. */
static void test_ydoc_set_replaces_a_list_item(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "services.billing={name: billing, replicas: 5}", &err), 0);
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "services.0=x", &err), 0);
    CU_ASSERT_PTR_NULL(err);
    ASSERT_STR(fl_y_str(service(d, 0)), "x");
    ASSERT_STR(fl_y_str(fl_y_get(d, service(d, 1), "replicas")), "5");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_set_refuses_an_assignment_without_a_key(void)
{
    SET_FAILS("seed", "--set 'seed': expected KEY=VALUE, e.g. seed=7");
    SET_FAILS("=7", "--set '=7': expected KEY=VALUE, e.g. seed=7");
    SET_FAILS("..=7", "--set '..=7': expected KEY=VALUE, e.g. seed=7");
}

static void test_ydoc_errors_about_a_set_value_name_the_override(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(fl_ydoc_set(d, "services.billing.replicas=lots", &err), 0);
    long long v;
    CU_ASSERT_EQUAL(fl_y_int(d, fl_y_get(d, service(d, 1), "replicas"), "replicas", 1, 10, &v), -1);
    ASSERT_STR(d->err, "--set services.billing.replicas=lots: replicas must be a whole number, "
                       "not 'lots'");
    fl_ydoc_free_all(d, 1);
    d = load1(scenario);
    CU_ASSERT_EQUAL_FATAL(fl_ydoc_set(d, "services.billing.replica=2", &err), 0);
    CU_ASSERT_EQUAL(fl_y_check_keys(d, service(d, 1), svc_keys, svc_required, "service 'billing'"),
                    -1);
    ASSERT_STR(d->err, "--set services.billing.replica=2: unknown key 'replica' in service "
                       "'billing' (did you mean 'replicas'?)");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_set_refuses_text_that_is_not_utf8_or_has_controls(void)
{
    struct fl_ydoc *d = load1(scenario);
    char *err = NULL;
    /* a key libyaml would assert on, and a value it would silently refuse */
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "newkey\xff=1", &err), -1);
    ASSERT_STR(err, "--set: byte 7 (0xff) is not valid UTF-8; overrides must be UTF-8 text");
    free(err);
    err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "seed=\xc0\xaf", &err), -1);
    ASSERT_STR(err, "--set: byte 6 (0xc0) is not valid UTF-8; overrides must be UTF-8 text");
    free(err);
    err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "name=a\nb", &err), -1);
    ASSERT_STR(err, "--set: byte 7 is a control character (0x0a); overrides are one line of text");
    free(err);
    err = NULL;
    /* the tree is untouched, and UTF-8 text goes in */
    ASSERT_STR(fl_y_str(top(d, "seed")), "1");
    CU_ASSERT_EQUAL(fl_ydoc_set(d, "name=caf\xc3\xa9", &err), 0);
    ASSERT_STR(fl_y_str(top(d, "name")), "caf\xc3\xa9");
    fl_ydoc_free_all(d, 1);
}

static void test_ydoc_errors_scrub_control_characters(void)
{
    struct fl_ydoc *d = load1("name: \"a\\e[2Jb\"\n");
    fl_y_error(d, top(d, "name"), "bad name '%s'", fl_y_str(top(d, "name")));
    ASSERT_STR(d->err, "t.yaml:1:7: bad name 'a?[2Jb'");
    fl_ydoc_free_all(d, 1);
}

void suite_yamldoc(void)
{
    TEST_SUITE("base/yamldoc");
    TEST_ADD(test_ydoc_loads_a_mapping_with_its_scalars_and_lists);
    TEST_ADD(test_ydoc_loads_every_document_of_a_stream_in_order);
    TEST_ADD(test_ydoc_empty_text_and_comments_load_as_no_document);
    TEST_ADD(test_ydoc_syntax_error_is_located_at_line_and_column);
    TEST_ADD(test_ydoc_control_character_is_located_where_it_is);
    TEST_ADD(test_ydoc_nesting_of_depth_max_loads);
    TEST_ADD(test_ydoc_nesting_deeper_than_max_is_refused_where_it_goes_too_deep);
    TEST_ADD(test_ydoc_nesting_is_refused_before_a_tree_is_built);
    TEST_ADD(test_ydoc_load_file_reports_a_missing_file);
    TEST_ADD(test_ydoc_first_error_wins);
    TEST_ADD(test_ydoc_error_without_a_node_is_at_the_start_of_the_file);
    TEST_ADD(test_ydoc_type_checks_name_what_they_got);
    TEST_ADD(test_ydoc_check_keys_accepts_known_keys_once_each);
    TEST_ADD(test_ydoc_unknown_key_gets_the_closest_known_one);
    TEST_ADD(test_ydoc_unknown_key_far_from_every_known_one_gets_no_suggestion);
    TEST_ADD(test_ydoc_duplicate_key_is_located_at_its_second_use);
    TEST_ADD(test_ydoc_missing_required_key_is_located_at_the_mapping);
    TEST_ADD(test_ydoc_non_scalar_key_is_refused);
    TEST_ADD(test_ydoc_check_keys_wants_a_mapping);
    TEST_ADD(test_did_you_mean_allows_one_edit_per_three_letters_up_to_three);
    TEST_ADD(test_did_you_mean_picks_the_closest_and_the_first_of_a_tie);
    TEST_ADD(test_y_int_reads_whole_numbers_in_range);
    TEST_ADD(test_y_int_out_of_range_names_the_range);
    TEST_ADD(test_y_int_refuses_garbage_fractions_and_empty_values);
    TEST_ADD(test_y_int_overflow_is_a_range_error_not_a_wrap);
    TEST_ADD(test_y_double_reads_numbers_and_refuses_nan_and_infinity);
    TEST_ADD(test_y_bool_takes_true_and_false_only);
    TEST_ADD(test_y_enum_gives_the_index_of_the_name);
    TEST_ADD(test_y_enum_unknown_value_lists_the_names_with_a_suggestion);
    TEST_ADD(test_y_duration_reads_units_to_nanoseconds);
    TEST_ADD(test_y_duration_range_messages_say_at_least_or_between);
    TEST_ADD(test_y_duration_unit_errors_list_the_units);
    TEST_ADD(test_y_rate_reads_per_second_and_refuses_zero_and_above_max);
    TEST_ADD(test_y_fraction_reads_percentages_and_refuses_above_100_percent);
    TEST_ADD(test_y_size_reads_binary_and_decimal_units_within_range);
    TEST_ADD(test_y_bandwidth_reads_bits_and_bytes_per_second_from_1kbit);
    TEST_ADD(test_y_string_refuses_empty_values_and_nul_characters);
    TEST_ADD(test_ydoc_set_replaces_a_nested_scalar);
    TEST_ADD(test_ydoc_set_adds_a_missing_last_key_to_a_mapping);
    TEST_ADD(test_ydoc_set_finds_list_items_by_index_and_by_name);
    TEST_ADD(test_ydoc_set_keeps_everything_after_the_first_equals_sign);
    TEST_ADD(test_ydoc_set_refuses_a_missing_list_item_or_a_key_under_a_value);
    TEST_ADD(test_ydoc_set_adds_missing_middle_mappings);
    TEST_ADD(test_ydoc_set_replaces_a_list_item);
    TEST_ADD(test_ydoc_set_refuses_an_assignment_without_a_key);
    TEST_ADD(test_ydoc_errors_about_a_set_value_name_the_override);
    TEST_ADD(test_ydoc_set_refuses_text_that_is_not_utf8_or_has_controls);
    TEST_ADD(test_ydoc_errors_scrub_control_characters);
}
