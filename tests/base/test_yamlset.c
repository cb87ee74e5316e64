/*
 * test_yamlset.c - base/yamlset.c, base/yamlmerge.c and base/yamltree.c:
 * --set with flow values, quoted keys and Kind/name items, its refusals
 * with exact messages; overlays merged onto a document (maps by key, named
 * lists by name, anything else replaced) and located in the overlay's
 * file; copies that keep aliases shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "tests/testutil.h"

void suite_yamlset(void);

static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr, "\n  test_yamlset.c:%d: got \"%s\"\n  %*s expected \"%s\"\n", line,
                actual ? actual : "(null)", (int)strlen("test_yamlset.c") + 6, "",
                expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

static struct fl_ydoc *load_named(const char *name, const char *text)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    char *err = NULL;
    int rc = fl_ydoc_load_buffer(name, text, strlen(text), &docs, &n, &err);
    if (rc) fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    return docs;
}

/* The node at a path of keys and indices ("services/1/replicas"), or NULL. */
static yaml_node_t *at(struct fl_ydoc *d, const char *path)
{
    yaml_node_t *n = fl_y_root(d);
    char *copy = fl_strdup(path), *save = NULL;
    for (char *s = strtok_r(copy, "/", &save); s && n; s = strtok_r(NULL, "/", &save)) {
        if (n->type == YAML_SEQUENCE_NODE) {
            long i = atol(s);
            long count = n->data.sequence.items.top - n->data.sequence.items.start;
            n = i < count ? fl_y_node(d, n->data.sequence.items.start[i]) : NULL;
        } else {
            n = fl_y_get(d, n, s);
        }
    }
    free(copy);
    return n;
}

static size_t count(const yaml_node_t *n)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static const char *const scenario = "network:\n"
                                    "  loss: 1%\n"
                                    "services:\n"
                                    "  - name: a\n"
                                    "    labels: {app.kubernetes.io/name: a}\n"
                                    "  - name: b\n"
                                    "    calls: [{service: a}]\n"
                                    "mesh:\n"
                                    "  resources:\n"
                                    "    - kind: VirtualService\n"
                                    "      metadata: {name: reviews}\n"
                                    "      spec: {http: [{timeout: 1s}]}\n"
                                    "    - kind: DestinationRule\n"
                                    "      metadata: {name: reviews}\n"
                                    "      spec: {host: reviews}\n";

static void set_ok(struct fl_ydoc *d, const char *a)
{
    char *err = NULL;
    int rc = fl_ydoc_set(d, a, &err);
    if (rc) fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    free(err);
}

static void test_set_flow_values_become_trees_located_at_the_override(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    set_ok(d, "network.loss={model: gemodel, p: 1%}");
    set_ok(d, "services.a.calls=[{service: b, path: /x}]");
    yaml_node_t *loss = at(d, "network/loss");
    CU_ASSERT_EQUAL_FATAL(loss->type, YAML_MAPPING_NODE);
    ASSERT_STR(fl_y_str(fl_y_get(d, loss, "model")), "gemodel");
    ASSERT_STR(fl_y_str(fl_y_get(d, loss, "p")), "1%");
    ASSERT_STR(fl_y_str(at(d, "services/0/calls/0/path")), "/x");
    char where[256];
    ASSERT_STR(fl_y_where(d, fl_y_get(d, loss, "p"), where, sizeof where),
               "--set network.loss={model: gemodel, p: 1%}");
    /* a plain value stays one scalar, braces inside or not */
    set_ok(d, "services.b.calls.0.path=/a{b}");
    ASSERT_STR(fl_y_str(at(d, "services/1/calls/0/path")), "/a{b}");
    fl_ydoc_free_all(d, 1);
}

static void test_set_quoted_keys_hold_dots(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    set_ok(d, "services.a.labels.\"app.kubernetes.io/name\"=shop");
    set_ok(d, "services.\"b\".replicas=2");
    ASSERT_STR(fl_y_str(fl_y_get(d, at(d, "services/0/labels"), "app.kubernetes.io/name")), "shop");
    CU_ASSERT_EQUAL(count(at(d, "services/0/labels")), 1);
    ASSERT_STR(fl_y_str(at(d, "services/1/replicas")), "2");
    fl_ydoc_free_all(d, 1);
}

static void test_set_finds_resources_by_kind_and_name(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    set_ok(d, "mesh.resources.VirtualService/reviews.spec.http.0.timeout=2s");
    set_ok(d, "mesh.resources.DestinationRule/reviews.spec.host=ratings");
    ASSERT_STR(fl_y_str(at(d, "mesh/resources/0/spec/http/0/timeout")), "2s");
    ASSERT_STR(fl_y_str(at(d, "mesh/resources/1/spec/host")), "ratings");
    fl_ydoc_free_all(d, 1);
}

static void set_fails(const char *a, const char *want, int line)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    int nodes = fl_ydoc_count(d);
    char *err = NULL;
    CU_ASSERT_EQUAL(fl_ydoc_set(d, a, &err), -1);
    CU_ASSERT(str_is(err, want, line));
    CU_ASSERT_EQUAL(fl_ydoc_count(d), nodes); /* nothing added */
    free(err);
    fl_ydoc_free_all(d, 1);
}
#define SET_FAILS(a, want) set_fails((a), (want), __LINE__)

static void test_set_refusals_say_what_and_where(void)
{
    SET_FAILS("mesh.resources.reviews.spec.host=x",
              "--set mesh.resources.reviews.spec.host=x: 'resources' (t.yaml:10:5) has several "
              "items named 'reviews' (VirtualService/reviews, DestinationRule/reviews): write "
              "Kind/name");
    SET_FAILS("mesh.resources.Gateway/reviews.spec=x",
              "--set mesh.resources.Gateway/reviews.spec=x: 'resources' (t.yaml:10:5) has no item "
              "named 'Gateway/reviews'");
    SET_FAILS("services.\"a.replicas=2", "--set 'services.\"a.replicas=2': a quoted key has no "
                                         "closing '\"'");
    SET_FAILS("network.loss={model: gemodel",
              "--set network.loss={model: gemodel: the value is not one YAML flow collection: "
              "value:2:1: YAML syntax error: did not find expected ',' or '}' (while parsing a "
              "flow mapping at line 1)");
    SET_FAILS("network.loss.p.q=1",
              "--set network.loss.p.q=1: 'loss' (t.yaml:2:9) is a single value; it has no 'p'");
    SET_FAILS("services.7=x", "--set services.7=x: 'services' (t.yaml:4:3) has 2 items; there is "
                              "no item 7");
}

/* ---- overlays ---- */

static int merge(struct fl_ydoc *d, const char *overlay, char **err)
{
    struct fl_ydoc *o = load_named("o.yaml", overlay);
    int rc = fl_ydoc_merge(d, o, err);
    fl_ydoc_free_all(o, 1);
    return rc;
}

static void test_merge_maps_by_key_named_lists_by_name(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(merge(d,
                                "network: {delay: 1ms}\n"
                                "services:\n"
                                "  - {name: b, replicas: 3}\n"
                                "  - {name: c}\n"
                                "mesh:\n"
                                "  resources:\n"
                                "    - kind: DestinationRule\n"
                                "      metadata: {name: reviews}\n"
                                "      spec: {host: ratings}\n",
                                &err),
                          0);
    CU_ASSERT_PTR_NULL(err);
    /* maps merge: loss stays, delay is added */
    ASSERT_STR(fl_y_str(at(d, "network/loss")), "1%");
    ASSERT_STR(fl_y_str(at(d, "network/delay")), "1ms");
    /* b merged (its calls kept), c appended */
    CU_ASSERT_EQUAL(count(at(d, "services")), 3);
    ASSERT_STR(fl_y_str(at(d, "services/1/replicas")), "3");
    ASSERT_STR(fl_y_str(at(d, "services/1/calls/0/service")), "a");
    ASSERT_STR(fl_y_str(at(d, "services/2/name")), "c");
    /* same name, another kind: the DestinationRule only */
    ASSERT_STR(fl_y_str(at(d, "mesh/resources/1/spec/host")), "ratings");
    ASSERT_STR(fl_y_str(at(d, "mesh/resources/0/spec/http/0/timeout")), "1s");
    char where[256];
    ASSERT_STR(fl_y_where(d, at(d, "services/1/replicas"), where, sizeof where), "o.yaml:3:25");
    ASSERT_STR(fl_y_where(d, at(d, "services/2"), where, sizeof where), "o.yaml:4:5");
    ASSERT_STR(fl_y_where(d, at(d, "services/1/calls"), where, sizeof where), "t.yaml:7:12");
    fl_ydoc_free_all(d, 1);
}

static void test_merge_replaces_scalars_and_unnamed_lists(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(merge(d,
                                "network: {loss: {model: gemodel, p: 2%}}\n"
                                "services: [{name: b, calls: [{service: c}]}]\n",
                                &err),
                          0);
    ASSERT_STR(fl_y_str(at(d, "network/loss/p")), "2%");
    CU_ASSERT_EQUAL(count(at(d, "services/1/calls")), 1);
    ASSERT_STR(fl_y_str(at(d, "services/1/calls/0/service")), "c");
    fl_ydoc_free_all(d, 1);
}

static void test_merge_refuses_an_overlay_that_is_not_a_mapping(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    char *err = NULL;
    CU_ASSERT_EQUAL(merge(d, "- a\n- b\n", &err), -1);
    ASSERT_STR(err,
               "o.yaml:1:1: an overlay is a mapping of the keys to change, as in the scenario");
    free(err);
    fl_ydoc_free_all(d, 1);
}

/* An alias bomb in an overlay is copied once per distinct node, not expanded. */
static void test_graft_keeps_aliases_shared(void)
{
    struct fl_ydoc *d = load_named("t.yaml", scenario);
    char *err = NULL;
    int before = fl_ydoc_count(d);
    CU_ASSERT_EQUAL(merge(d,
                          "x: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
                          "y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                          "z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                          "w: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
                          &err),
                    0);
    /* 4 keys, 4 lists, 9 numbers */
    CU_ASSERT_EQUAL(fl_ydoc_count(d) - before, 17);
    fl_ydoc_free_all(d, 1);
}

void suite_yamlset(void)
{
    TEST_SUITE("base/yamlset");
    TEST_ADD(test_set_flow_values_become_trees_located_at_the_override);
    TEST_ADD(test_set_quoted_keys_hold_dots);
    TEST_ADD(test_set_finds_resources_by_kind_and_name);
    TEST_ADD(test_set_refusals_say_what_and_where);
    TEST_ADD(test_merge_maps_by_key_named_lists_by_name);
    TEST_ADD(test_merge_replaces_scalars_and_unnamed_lists);
    TEST_ADD(test_merge_refuses_an_overlay_that_is_not_a_mapping);
    TEST_ADD(test_graft_keeps_aliases_shared);
}
