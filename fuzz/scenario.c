/*
 * scenario.c - fuzz target: the scenario loader (sim/load*.c) on a
 * scenario file and its command-line overrides.
 *
 * The input is the file, then, after each NUL byte, one `--set` override
 * ("key=value", any bytes but NUL): "faultline: 1\n...\0seed=7\0network.loss=1%".
 * A file cannot hold a NUL (libyaml refuses it), so nothing is lost by
 * splitting there; the seed corpus and the dictionary use the separator.
 * An odd number of overrides also sets --seed. The whole is given to
 * sim_scenario_load_buffer, as `faultline run FILE --set ...` would.
 *
 * Checked: a refusal comes with a message located as the README promises
 * (FILE:LINE:COL, or the override's own text); a success needs no message.
 *
 * Files the scenario includes (`gateway: {file: ..}`, `mesh: {files: ..}`)
 * are found next to a scenario file that does not exist, so a relative
 * path fails cleanly; an input whose scenario (overrides applied) names an
 * absolute path is skipped, so the fuzzer never reads /dev/stdin or a
 * whole disk.
 *
 * Override bytes go in as they are, UTF-8 or not (a key that was not
 * UTF-8 used to abort inside libyaml: fuzz/crashes/scenario/set-not-utf8).
 *
 * Not here: running the scenario (the world, the proxies), which takes
 * virtual minutes per input.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/yamldoc.h"
#include "fuzz/fuzz.h"
#include "sim/scenario.h"

/* A scenario file in a folder that does not exist: its relative includes fail. */
#define NAME "/nonexistent-faultline-fuzz/scenario.yaml"
#define DIR  "/nonexistent-faultline-fuzz/"

#define OVERRIDES_MAX 16

static int absolute(const yaml_node_t *n)
{
    const char *s = fl_y_str(n);
    return s && s[0] == '/';
}

/* Whether the scenario, overrides applied, names a file by an absolute path. */
static int names_absolute_file(struct fl_ydoc *d)
{
    yaml_node_t *root = fl_y_root(d);
    yaml_node_t *gw = fl_y_get(d, root, "gateway");
    if (gw && gw->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = gw->data.mapping.pairs.start; p < gw->data.mapping.pairs.top;
             p++) {
            const char *key = fl_y_str(fl_y_node(d, p->key));
            if (key && !strcmp(key, "file") && absolute(fl_y_node(d, p->value))) return 1;
        }
    yaml_node_t *mesh = fl_y_get(d, root, "mesh");
    if (!mesh || mesh->type != YAML_MAPPING_NODE) return 0;
    for (yaml_node_pair_t *p = mesh->data.mapping.pairs.start; p < mesh->data.mapping.pairs.top;
         p++) {
        const char *key = fl_y_str(fl_y_node(d, p->key));
        yaml_node_t *files = fl_y_node(d, p->value);
        if (!key || strcmp(key, "files") || !files || files->type != YAML_SEQUENCE_NODE) continue;
        for (yaml_node_item_t *i = files->data.sequence.items.start;
             i < files->data.sequence.items.top; i++)
            if (absolute(fl_y_node(d, *i))) return 1;
    }
    return 0;
}

/*
 * Whether loading would open a file by an absolute path. Only a text that
 * can spell the key "file" (literally, or through an escape) is loaded to
 * look, so most inputs cost one load, not two.
 */
static int opens_absolute(const char *text, size_t len, char **ovr, size_t n_ovr)
{
    int maybe = memmem(text, len, "file", 4) || memchr(text, '\\', len);
    for (size_t i = 0; i < n_ovr && !maybe; i++) maybe = strstr(ovr[i], "file") != NULL;
    if (!maybe) return 0;
    struct fl_ydoc *docs;
    size_t n_docs;
    char *err = NULL;
    if (fl_ydoc_load_buffer(NAME, text, len, &docs, &n_docs, &err)) {
        free(err);
        return 0; /* the loader stops at the same syntax error */
    }
    int found = 0;
    if (n_docs == 1) {
        for (size_t i = 0; i < n_ovr && !err; i++) fl_ydoc_set(&docs[0], ovr[i], &err);
        free(err);
        found = names_absolute_file(&docs[0]);
    }
    fl_ydoc_free_all(docs, n_docs);
    return found;
}

static void check_error(const char *err)
{
    FUZZ_CHECK(err && *err, "a refused scenario has a message");
    int located = !strncmp(err, DIR, strlen(DIR)) || !strncmp(err, "--set", 5);
    if (!located) fprintf(stderr, "fuzz: message: %s\n", err);
    FUZZ_CHECK(located, "the message names the file (FILE:LINE:COL) or the override");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t len = nul ? (size_t)(nul - text) : size;
    /* the overrides: NUL-separated after the file, copied so that the last one ends too */
    char *tail = NULL, *ovr[OVERRIDES_MAX];
    size_t n_ovr = 0;
    if (nul) {
        size_t tail_len = size - len - 1;
        tail = fl_malloc(tail_len + 1);
        memcpy(tail, nul + 1, tail_len);
        tail[tail_len] = '\0';
        for (char *p = tail; n_ovr < OVERRIDES_MAX; p += strlen(p) + 1) {
            ovr[n_ovr++] = p;
            if (p + strlen(p) >= tail + tail_len) break;
        }
    }
    if (opens_absolute(text, len, ovr, n_ovr)) {
        free(tail);
        return 0;
    }
    const uint64_t seed = 7;
    struct sim_scenario s;
    char *err = NULL;
    int rc = sim_scenario_load_buffer(NAME, text, len, (const char *const *)ovr, n_ovr,
                                      n_ovr % 2 ? &seed : NULL, &s, &err);
    if (rc) {
        check_error(err);
        free(err);
    } else {
        FUZZ_CHECK(!err, "a loaded scenario has no error message");
        FUZZ_CHECK(s.name && s.n_services && s.n_workloads, "a loaded scenario is whole");
        sim_scenario_free(&s);
    }
    free(tail);
    return 0;
}
