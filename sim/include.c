/*
 * include.c - the files a scenario (or an overlay) includes, read into
 * its tree before anything else happens: `gateway: {file: kong.yaml}`
 * becomes the Kong configuration itself, and each document of
 * `mesh.files` becomes an item of `mesh.resources`, before the inline
 * ones (the order istiod would see them in does not matter, but messages
 * keep the file order). Paths are relative to the including file's folder.
 *
 * Why in the tree: so that overlays and --set reach into included files
 * with the same paths as inline configuration (`gateway.services.billing.
 * retries=2`, `mesh.resources.VirtualService/reviews.spec...`), and so
 * that the copied nodes, which keep their file, line and column, give
 * errors located in the included file.
 *
 * Not here: reading what the files say (proxies/kong_*.c, istio_*.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sim/load_internal.h"

/* A path relative to the including file's folder (absolute paths stay). */
static char *relative_to(const char *base, const char *path)
{
    if (path[0] == '/') return fl_strdup(path);
    const char *slash = strrchr(base, '/');
    if (!slash) return fl_strdup(path);
    return fl_asprintf("%.*s/%s", (int)(slash - base), base, path);
}

static int index_of(struct fl_ydoc *d, const yaml_node_t *n)
{
    return (int)(n - d->doc.nodes.start) + 1;
}

/* Loads a whole file named by node at; on error the message says where it was included from. */
static int load_other(struct fl_ydoc *d, const yaml_node_t *at, const char *path,
                      struct fl_ydoc **docs, size_t *n)
{
    char *err = NULL;
    if (fl_ydoc_load_file(path, docs, n, &err)) {
        char where[512];
        fl_y_where(d, at, where, sizeof where);
        free(d->err);
        d->err = fl_asprintf("%s (included from %s)", err, where);
        free(err);
        return -1;
    }
    return 0;
}

/* The value node of key in mapping m, and the pair's position in *pos. */
static yaml_node_t *get_pair(struct fl_ydoc *d, int m, const char *key, size_t *pos)
{
    yaml_node_t *n = fl_y_node(d, m);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *s = fl_y_str(fl_y_node(d, p->key));
        if (s && !strcmp(s, key)) {
            *pos = (size_t)(p - n->data.mapping.pairs.start);
            return fl_y_node(d, p->value);
        }
    }
    return NULL;
}

static int gateway_file(struct fl_ydoc *d, const char *base, int root)
{
    FL_ASSERT(fl_y_node(d, root)->type == YAML_MAPPING_NODE);
    size_t pos;
    yaml_node_t *g = get_pair(d, root, "gateway", &pos);
    if (!g || g->type != YAML_MAPPING_NODE || !fl_y_get(d, g, "file")) return 0;
    static const char *const keys[] = {"file", NULL};
    const char *name;
    yaml_node_t *file = fl_y_get(d, g, "file");
    if (fl_y_check_keys(d, g, keys, NULL, "gateway (with file, nothing else)") ||
        fl_y_string(d, file, "gateway file", &name))
        return -1;
    char *path = relative_to(base, name);
    struct fl_ydoc *docs = NULL;
    size_t n_docs = 0;
    int rc = load_other(d, file, path, &docs, &n_docs);
    if (!rc && n_docs != 1)
        rc = fl_y_error(d, file, "%s must hold one YAML document (it has %zu)", path, n_docs);
    if (!rc) {
        int *memo = fl_calloc((size_t)fl_ydoc_count(&docs[0]) + 1, sizeof *memo);
        int kong = fl_ydoc_graft(d, &docs[0], 1, memo);
        fl_y_node(d, root)->data.mapping.pairs.start[pos].value = kong;
        free(memo);
    }
    fl_ydoc_free_all(docs, n_docs);
    free(path);
    return rc;
}

/* Appends to seq (index) the resources of one mesh file (node f names it). */
static int mesh_file(struct fl_ydoc *d, const char *base, int seq, int f)
{
    FL_ASSERT(fl_y_node(d, seq)->type == YAML_SEQUENCE_NODE);
    const char *name;
    if (fl_y_string(d, fl_y_node(d, f), "mesh file", &name)) return -1;
    char *path = relative_to(base, name);
    struct fl_ydoc *docs = NULL;
    size_t n_docs = 0;
    int rc = load_other(d, fl_y_node(d, f), path, &docs, &n_docs);
    for (size_t k = 0; k < n_docs && !rc; k++) {
        yaml_node_t *root = fl_y_root(&docs[k]);
        if (root->type == YAML_SCALAR_NODE && !*fl_y_str(root)) continue; /* empty "---" */
        int *memo = fl_calloc((size_t)fl_ydoc_count(&docs[k]) + 1, sizeof *memo);
        yaml_document_append_sequence_item(&d->doc, seq, fl_ydoc_graft(d, &docs[k], 1, memo));
        free(memo);
    }
    fl_ydoc_free_all(docs, n_docs);
    free(path);
    return rc;
}

static int mesh_files(struct fl_ydoc *d, const char *base, int root)
{
    size_t pos;
    yaml_node_t *mesh = get_pair(d, root, "mesh", &pos);
    if (!mesh || mesh->type != YAML_MAPPING_NODE) return 0;
    int mi = index_of(d, mesh);
    yaml_node_t *files = get_pair(d, mi, "files", &pos);
    if (!files) return 0;
    if (fl_y_want_seq(d, files, "mesh files")) return -1;
    int fi = index_of(d, files);
    FL_ASSERT(fl_y_node(d, mi)->type == YAML_MAPPING_NODE);
    /* the new list: every file's resources, then the inline ones */
    int seq = yaml_document_add_sequence(&d->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
    size_t n_files = SEQ_COUNT(fl_y_node(d, fi));
    for (size_t i = 0; i < n_files; i++)
        if (mesh_file(d, base, seq, SEQ_ITEMS(fl_y_node(d, fi))[i])) return -1;
    size_t rpos;
    yaml_node_t *inline_res = get_pair(d, mi, "resources", &rpos);
    if (inline_res && inline_res->type != YAML_SEQUENCE_NODE)
        return fl_y_want_seq(d, inline_res, "mesh resources");
    if (inline_res) {
        int ri = index_of(d, inline_res);
        d->doc.nodes.start[seq - 1].start_mark = fl_y_node(d, ri)->start_mark;
        for (size_t i = 0; i < SEQ_COUNT(fl_y_node(d, ri)); i++)
            yaml_document_append_sequence_item(&d->doc, seq, SEQ_ITEMS(fl_y_node(d, ri))[i]);
        fl_y_node(d, mi)->data.mapping.pairs.start[rpos].value = seq;
    } else {
        d->doc.nodes.start[seq - 1].start_mark = fl_y_node(d, fi)->start_mark;
        int k = yaml_document_add_scalar(&d->doc, NULL, (yaml_char_t *)"resources", 9,
                                         YAML_PLAIN_SCALAR_STYLE);
        d->doc.nodes.start[k - 1].start_mark = fl_y_node(d, fi)->start_mark;
        yaml_document_append_mapping_pair(&d->doc, mi, k, seq);
    }
    fl_y_remove_key(d, mi, "files");
    return 0;
}

int sim_include_files(struct fl_ydoc *d, const char *base)
{
    FL_ASSERT(d && base);
    yaml_node_t *root = fl_y_root(d);
    if (!root || root->type != YAML_MAPPING_NODE) return 0; /* the loader says what is wrong */
    int ri = index_of(d, root);
    if (gateway_file(d, base, ri)) return -1;
    return mesh_files(d, base, ri);
}
