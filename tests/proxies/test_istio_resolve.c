/*
 * test_istio_resolve.c - proxies/istio_resolve.c and the replace-by-name
 * rule of istio_parse.c: resources applied in order as kubectl would (a
 * later one of the same kind, name and namespace replaces the earlier,
 * with a note), rules for hosts the scenario does not model kept as
 * warnings, and each reference that cannot be followed refused with the
 * exact "file:line:col: message" of the Istio file and the closest name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "proxies/istio.h"
#include "proxies/resolve.h"
#include "tests/proxies/istiotest.h"

void suite_istio_resolve(void);

/* Reads the documents of text, named file, into m (which keeps what it had), as sim/ does. */
static void add_file(struct px_istio *m, const char *file, const char *text)
{
    struct fl_ydoc *docs = NULL;
    size_t n = 0;
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(fl_ydoc_load_buffer(file, text, strlen(text), &docs, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *root = fl_y_root(&docs[i]);
        if (root->type == YAML_SCALAR_NODE && !*fl_y_str(root)) continue; /* empty "---" */
        int rc = px_istio_add(m, &docs[i], fl_y_root(&docs[i]));
        if (rc) fprintf(stderr, "\n  unexpected error: %s\n", docs[i].err);
        CU_ASSERT_EQUAL(rc, 0);
    }
    fl_ydoc_free_all(docs, n);
}

/* ---- the mesh: reviews v1 v2, ratings; no details ---- */

static struct px_endpoint_cfg eps[3];
static struct px_mesh_service svc[2];

static void ep(struct px_endpoint_cfg *e, const char *app, const char *version)
{
    memset(e, 0, sizeof *e);
    e->name = fl_asprintf("%s-%s", app, version);
    e->labels = fl_calloc(2, sizeof *e->labels);
    e->labels[0] = (struct px_label){fl_strdup("app"), fl_strdup(app)};
    e->labels[1] = (struct px_label){fl_strdup("version"), fl_strdup(version)};
    e->n_labels = 2;
}

static int setup(void)
{
    ep(&eps[0], "reviews", "v1");
    ep(&eps[1], "reviews", "v2");
    ep(&eps[2], "ratings", "v1");
    svc[0] = (struct px_mesh_service){"reviews", eps, 2};
    svc[1] = (struct px_mesh_service){"ratings", eps + 2, 1};
    return 0;
}

static int teardown(void)
{
    for (int i = 0; i < 3; i++) px_endpoint_cfg_free(&eps[i]);
    return 0;
}

/* The resolve error for the documents of text in "rules.yaml" (caller frees), or "(ok)". */
static char *resolve_err(const char *text)
{
    struct px_istio m = {0};
    char *err = NULL;
    add_file(&m, "rules.yaml", text);
    if (px_istio_resolve(&m, svc, 2, &err) == 0) err = fl_strdup("(ok)");
    px_istio_free(&m);
    return err;
}
#define ASSERT_RESOLVE_ERR(text, expected)                                                         \
    do {                                                                                           \
        char *e__ = resolve_err(text);                                                             \
        ASSERT_STR(e__, expected);                                                                 \
        free(e__);                                                                                 \
    } while (0)

static const char *const dr_reviews = "apiVersion: networking.istio.io/v1\n"
                                      "kind: DestinationRule\n"
                                      "metadata: {name: reviews}\n"
                                      "spec:\n"
                                      "  host: reviews\n"
                                      "  subsets:\n"
                                      "  - {name: v1, labels: {version: v1}}\n"
                                      "  - {name: v2, labels: {version: v2}}\n"
                                      "---\n";

/* ---- kubectl apply order ---- */

static void test_resolve_later_resource_replaces_earlier_by_name(void)
{
    struct px_istio m = {0};
    add_file(&m, "all-v1.yaml",
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http: [{route: [{destination: {host: reviews, subset: v1}}]}]\n");
    add_file(&m, "test-v2.yaml",
             "# jason sees v2\n"
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http:\n"
             "  - match: [{headers: {end-user: {exact: jason}}}]\n"
             "    route: [{destination: {host: reviews, subset: v2}}]\n"
             "  - route: [{destination: {host: reviews, subset: v1}}]\n");
    CU_ASSERT_EQUAL_FATAL(m.n_vs, 1);
    CU_ASSERT_EQUAL(m.vs[0].n_routes, 2);
    ASSERT_STR(m.vs[0].at, "test-v2.yaml:2:1");
    CU_ASSERT_EQUAL_FATAL(m.n_notes, 1);
    ASSERT_STR(m.notes[0], "VirtualService reviews from test-v2.yaml:2:1 replaces the one from "
                           "all-v1.yaml:1:1");
    /* another namespace: another object */
    add_file(&m, "other-ns.yaml",
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews, namespace: test}\n"
             "spec: {hosts: [reviews.test.svc.cluster.local]}\n");
    CU_ASSERT_EQUAL(m.n_vs, 2);
    CU_ASSERT_EQUAL(m.n_notes, 1);
    /* DestinationRules too; a same-named VirtualService does not replace a DestinationRule */
    add_file(&m, "dr1.yaml", dr_reviews);
    add_file(&m, "dr2.yaml",
             "apiVersion: networking.istio.io/v1beta1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews}\n"
             "spec: {host: reviews, subsets: [{name: v3, labels: {version: v3}}]}\n");
    CU_ASSERT_EQUAL_FATAL(m.n_dr, 1);
    CU_ASSERT_EQUAL(m.n_vs, 2);
    ASSERT_STR(m.dr[0].subsets[0].name, "v3");
    CU_ASSERT_EQUAL_FATAL(m.n_notes, 2);
    ASSERT_STR(m.notes[1], "DestinationRule reviews from dr2.yaml:1:1 replaces the one from "
                           "dr1.yaml:1:1");
    px_istio_free(&m);
}

/* ---- hosts the scenario does not model ---- */

static void test_resolve_rules_for_hosts_not_modeled_are_warnings(void)
{
    struct px_istio m = {0};
    add_file(&m, "rules.yaml",
             "apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: details}\n"
             "spec: {host: details}\n"
             "---\n"
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: details}\n"
             "spec:\n"
             "  hosts: [details]\n"
             "  http: [{route: [{destination: {host: details}}]}]\n"
             "---\n"
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: both}\n"
             "spec:\n"
             "  hosts: [ratings, ratngs.default.svc.cluster.local]\n"
             "  http: [{route: [{destination: {host: ratings}}]}]\n");
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_resolve(&m, svc, 2, &err), 0);
    CU_ASSERT_EQUAL(m.n_dr, 0);
    CU_ASSERT_EQUAL_FATAL(m.n_vs, 1);
    ASSERT_STR(m.vs[0].name, "both");
    CU_ASSERT_EQUAL_FATAL(m.vs[0].n_hosts, 1);
    ASSERT_STR(m.vs[0].hosts[0], "ratings");
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 3);
    ASSERT_STR(m.warnings[0], "rules.yaml:4:14: DestinationRule 'details': host 'details' is not "
                              "a service of the scenario: not applied");
    ASSERT_STR(m.warnings[1], "rules.yaml:10:11: VirtualService 'details': host 'details' is not "
                              "a service of the scenario: not applied to it");
    ASSERT_STR(m.warnings[2], "rules.yaml:17:20: VirtualService 'both': host 'ratngs' is not a "
                              "service of the scenario (did you mean 'ratings'?): not applied "
                              "to it");
    px_istio_free(&m);
}

static void test_resolve_unused_subset_selecting_no_pod_is_a_warning(void)
{
    struct px_istio m = {0};
    add_file(&m, "rules.yaml",
             "apiVersion: networking.istio.io/v1\n"
             "kind: DestinationRule\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  host: reviews\n"
             "  subsets:\n"
             "  - {name: v1, labels: {version: v1}}\n"
             "  - {name: v3, labels: {version: v3, app: reviews}}\n");
    char *err = NULL;
    CU_ASSERT_EQUAL_FATAL(px_istio_resolve(&m, svc, 2, &err), 0);
    CU_ASSERT_EQUAL_FATAL(m.n_warnings, 1);
    ASSERT_STR(m.warnings[0], "rules.yaml:8:12: DestinationRule 'reviews': subset 'v3' selects no "
                              "pod of 'reviews' (none has the labels version=v3, app=reviews)");
    px_istio_free(&m);
}

/* ---- references that cannot be followed ---- */

static void test_resolve_errors_are_located_with_the_closest_name(void)
{
    char text[2048];
    snprintf(text, sizeof text,
             "%s"
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http: [{route: [{destination: {host: reviewz}}]}]\n",
             dr_reviews);
    ASSERT_RESOLVE_ERR(text, "rules.yaml:15:40: VirtualService 'reviews': destination host "
                             "'reviewz' is not a service of the scenario (did you mean "
                             "'reviews'?)");
    snprintf(text, sizeof text,
             "%s"
             "apiVersion: networking.istio.io/v1\n"
             "kind: VirtualService\n"
             "metadata: {name: reviews}\n"
             "spec:\n"
             "  hosts: [reviews]\n"
             "  http: [{route: [{destination: {host: reviews, subset: v22}}]}]\n",
             dr_reviews);
    ASSERT_RESOLVE_ERR(text, "rules.yaml:15:57: VirtualService 'reviews': host 'reviews' has no "
                             "subset 'v22' (DestinationRule 'reviews' at rules.yaml:1:1 does not "
                             "define it) (did you mean 'v2'?)");
    ASSERT_RESOLVE_ERR("apiVersion: networking.istio.io/v1\n"
                       "kind: VirtualService\n"
                       "metadata: {name: ratings}\n"
                       "spec:\n"
                       "  hosts: [ratings]\n"
                       "  http: [{route: [{destination: {host: ratings, subset: v1}}]}]\n",
                       "rules.yaml:6:57: VirtualService 'ratings': host 'ratings' has no subset "
                       "'v1' (no DestinationRule for 'ratings' defines subsets)");
    ASSERT_RESOLVE_ERR("apiVersion: networking.istio.io/v1\n"
                       "kind: DestinationRule\n"
                       "metadata: {name: ratings}\n"
                       "spec: {host: ratings, subsets: [{name: v2, labels: {version: v2}}]}\n"
                       "---\n"
                       "apiVersion: networking.istio.io/v1\n"
                       "kind: VirtualService\n"
                       "metadata: {name: ratings}\n"
                       "spec:\n"
                       "  hosts: [ratings]\n"
                       "  http: [{route: [{destination: {host: ratings, subset: v2}}]}]\n",
                       "rules.yaml:11:57: VirtualService 'ratings': subset 'v2' of host 'ratings' "
                       "(rules.yaml:4:40) selects no pod: none has the labels version=v2");
}

static void test_resolve_two_rules_for_one_host_are_refused(void)
{
    ASSERT_RESOLVE_ERR("apiVersion: networking.istio.io/v1\n"
                       "kind: DestinationRule\n"
                       "metadata: {name: a}\n"
                       "spec: {host: ratings}\n"
                       "---\n"
                       "apiVersion: networking.istio.io/v1\n"
                       "kind: DestinationRule\n"
                       "metadata: {name: b}\n"
                       "spec: {host: ratings.default.svc.cluster.local}\n",
                       "rules.yaml:9:14: DestinationRule 'b': host 'ratings' already has "
                       "DestinationRule 'a' (rules.yaml:1:1); istiod would use only the older "
                       "one: merge them");
    ASSERT_RESOLVE_ERR("apiVersion: networking.istio.io/v1\n"
                       "kind: VirtualService\n"
                       "metadata: {name: a}\n"
                       "spec: {hosts: [ratings], http: [{route: [{destination: {host: "
                       "ratings}}]}]}\n"
                       "---\n"
                       "apiVersion: networking.istio.io/v1\n"
                       "kind: VirtualService\n"
                       "metadata: {name: b}\n"
                       "spec: {hosts: [ratings], http: [{route: [{destination: {host: "
                       "ratings}}]}]}\n",
                       "rules.yaml:9:16: VirtualService 'b': host 'ratings' is already routed by "
                       "VirtualService 'a' (rules.yaml:1:1); istiod would use only the older one: "
                       "merge them");
}

void suite_istio_resolve(void)
{
    CU_pSuite suite__ = CU_add_suite("proxies/istio_resolve", setup, teardown);
    TEST_ADD(test_resolve_later_resource_replaces_earlier_by_name);
    TEST_ADD(test_resolve_rules_for_hosts_not_modeled_are_warnings);
    TEST_ADD(test_resolve_unused_subset_selecting_no_pod_is_a_warning);
    TEST_ADD(test_resolve_errors_are_located_with_the_closest_name);
    TEST_ADD(test_resolve_two_rules_for_one_host_are_refused);
}
