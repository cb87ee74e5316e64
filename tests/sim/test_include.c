/*
 * test_include.c - sim/include.c and the loader's overlays and overrides
 * (sim/load.c): a scenario with its Kong and Istio files in a temporary
 * folder; --set and -f reach into the included files with the documented
 * paths, and errors stay located in the file (or override) that holds
 * the mistake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "sim/scenario.h"
#include "tests/testutil.h"

void suite_include(void);

#define S INT64_C(1000000000)

static int str_is(const char *actual, const char *expected, int line)
{
    int same = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;
    if (!same)
        fprintf(stderr,
                "\n  test_include.c:%d: got      \"%s\"\n  test_include.c:%d: expected \"%s\"\n",
                line, actual ? actual : "(null)", line, expected ? expected : "(null)");
    return same;
}
#define ASSERT_STR(actual, expected) CU_ASSERT(str_is((actual), (expected), __LINE__))

static const char *const scenario_text =
    "faultline: 1\n"
    "duration: 1s\n"
    "services:\n"
    "  - name: billing\n"
    "  - name: reviews\n"
    "workload:\n"
    "  - {name: w, target: gateway, rate: 1/s, requests: [{path: /api/billing}]}\n"
    "gateway: {file: kong.yaml}\n"
    "mesh:\n"
    "  files: [istio.yaml]\n"
    "  resources:\n"
    "    - apiVersion: networking.istio.io/v1\n"
    "      kind: DestinationRule\n"
    "      metadata: {name: billing}\n"
    "      spec: {host: billing}\n";

static const char *const kong_text = "_format_version: \"3.0\"\n"
                                     "services:\n"
                                     "  - name: billing\n"
                                     "    url: http://billing:80\n"
                                     "    routes:\n"
                                     "      - {name: r, paths: [/api/billing]}\n";

static const char *const istio_text = "apiVersion: networking.istio.io/v1\n"
                                      "kind: VirtualService\n"
                                      "metadata: {name: reviews}\n"
                                      "spec:\n"
                                      "  hosts: [reviews]\n"
                                      "  http:\n"
                                      "    - route: [{destination: {host: reviews}}]\n"
                                      "      timeout: 1s\n"
                                      "---\n"
                                      "apiVersion: networking.istio.io/v1\n"
                                      "kind: DestinationRule\n"
                                      "metadata: {name: reviews}\n"
                                      "spec: {host: reviews}\n";

struct folder {
    char dir[64];
    char path[5][128]; /* scenario, kong, istio, overlay, bad overlay */
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void make_folder(struct folder *f, const char *overlay)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/fl-include-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->dir));
    static const char *const names[] = {"s.yaml", "kong.yaml", "istio.yaml", "o.yaml"};
    for (int i = 0; i < 4; i++) snprintf(f->path[i], sizeof f->path[i], "%s/%s", f->dir, names[i]);
    write_file(f->path[0], scenario_text);
    write_file(f->path[1], kong_text);
    write_file(f->path[2], istio_text);
    write_file(f->path[3], overlay ? overlay : "{}\n");
}

static void remove_folder(struct folder *f)
{
    for (int i = 0; i < 4; i++) unlink(f->path[i]);
    rmdir(f->dir);
}

/* Loads the folder's scenario with the overlay (if any) and sets; returns the loader's result. */
static int load(struct folder *f, int with_overlay, const char *const *sets, size_t n_sets,
                struct sim_scenario *s, char **err)
{
    const char *overlays[] = {f->path[3]};
    struct sim_load_opts o = {overlays, with_overlay ? 1 : 0, sets, n_sets, NULL};
    *err = NULL;
    return sim_scenario_load_opts(f->path[0], &o, s, err);
}

static int64_t vs_timeout(const struct sim_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->istio.n_vs; i++)
        if (!strcmp(s->istio.vs[i].name, name)) return s->istio.vs[i].routes[0].timeout_ns;
    return -1;
}

static void test_include_set_reaches_into_included_files(void)
{
    struct folder f;
    make_folder(&f, NULL);
    static const char *const sets[] = {
        "gateway.services.billing.retries=2",
        "gateway.services.billing.routes.r.paths.0=/x",
        "mesh.VirtualService/reviews.spec.http.0.timeout=2s",
        "mesh.resources.DestinationRule/billing.spec.trafficPolicy={loadBalancer: {simple: "
        "RANDOM}}",
    };
    struct sim_scenario s;
    char *err;
    int rc = load(&f, 0, sets, 4, &s, &err);
    if (rc) fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(s.kong.services[0].retries, 2);
    ASSERT_STR(s.kong.routes[0].paths[0], "/x");
    CU_ASSERT_EQUAL(vs_timeout(&s, "reviews"), 2 * S);
    /* the files' resources come first, then the inline one */
    CU_ASSERT_EQUAL_FATAL(s.istio.n_dr, 2);
    ASSERT_STR(s.istio.dr[0].name, "reviews");
    ASSERT_STR(s.istio.dr[1].name, "billing");
    CU_ASSERT_TRUE(s.istio.dr[1].policy.has_lb);
    CU_ASSERT_EQUAL(s.istio.dr[1].policy.lb, PX_LB_RANDOM);
    sim_scenario_free(&s);
    remove_folder(&f);
}

/* A mistake in an included file is located there, and one made by --set at the override. */
static void test_include_errors_stay_located(void)
{
    struct folder f;
    make_folder(&f, NULL);
    write_file(f.path[1], "_format_version: \"3.0\"\nservices:\n  - name: billing\n    url: "
                          "http://billing:80\n    retries: many\n");
    struct sim_scenario s;
    char *err, *want;
    CU_ASSERT_EQUAL(load(&f, 0, NULL, 0, &s, &err), -1);
    want = fl_asprintf("%s:5:14: retries must be a whole number, not 'many'", f.path[1]);
    ASSERT_STR(err, want);
    free(want);
    free(err);
    write_file(f.path[1], kong_text);
    static const char *const sets[] = {"mesh.VirtualService/reviews.spec.http.0.timeout=soon"};
    CU_ASSERT_EQUAL(load(&f, 0, sets, 1, &s, &err), -1);
    ASSERT_STR(err, "--set mesh.VirtualService/reviews.spec.http.0.timeout=soon: timeout 'soon': "
                    "not a number (use ns, us, ms, s, m or h, e.g. 250ms)");
    free(err);
    remove_folder(&f);
}

static void test_include_overlay_merges_and_is_located(void)
{
    struct folder f;
    make_folder(&f,
                "duration: 2s\n"
                "gateway:\n"
                "  services: [{name: billing, retries: 1}]\n"
                "mesh:\n"
                "  resources:\n"
                "    - kind: VirtualService\n"
                "      metadata: {name: reviews}\n"
                "      spec: {http: [{route: [{destination: {host: reviews}}], timeout: 3s}]}\n");
    struct sim_scenario s;
    char *err;
    static const char *const sets[] = {"gateway.services.billing.retries=4"};
    int rc = load(&f, 1, sets, 1, &s, &err);
    if (rc) fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(s.duration_ns, 2 * S);
    CU_ASSERT_EQUAL(s.kong.services[0].retries, 4); /* --set after -f */
    ASSERT_STR(s.kong.routes[0].paths[0], "/api/billing");
    CU_ASSERT_EQUAL(vs_timeout(&s, "reviews"), 3 * S);
    sim_scenario_free(&s);
    /* a mistake the overlay brings is located in the overlay */
    write_file(f.path[3], "gateway:\n  services: [{name: billing, retries: -1}]\n");
    CU_ASSERT_EQUAL(load(&f, 1, NULL, 0, &s, &err), -1);
    char *want = fl_asprintf("%s:2:39: retries must be between 0 and 32767, not -1", f.path[3]);
    ASSERT_STR(err, want);
    free(want);
    free(err);
    /* a broken overlay is refused where it breaks */
    write_file(f.path[3], "services: [\n");
    CU_ASSERT_EQUAL(load(&f, 1, NULL, 0, &s, &err), -1);
    CU_ASSERT(err && !strncmp(err, f.path[3], strlen(f.path[3])) &&
              strstr(err, ":2:1: YAML syntax"));
    free(err);
    remove_folder(&f);
}

void suite_include(void)
{
    TEST_SUITE("sim/include");
    TEST_ADD(test_include_set_reaches_into_included_files);
    TEST_ADD(test_include_errors_stay_located);
    TEST_ADD(test_include_overlay_merges_and_is_located);
}
