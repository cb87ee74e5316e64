/*
 * yamlmerge.c - fl_ydoc_merge: an overlay document (`-f OVERLAY.yaml`)
 * deep-merged onto a loaded one (see yamldoc.h).
 *
 * The rules, as Kustomize's strategic merge and Helm's values files do it
 * for the common cases: mappings merge key by key, recursively; a list
 * whose overlay items all have a name (`name`, or `metadata.name` with
 * `kind`, fl_y_item_name) merges item by item with the base items of the
 * same name (and kind, when the overlay item gives one), new names
 * appended in the overlay's order; anything else (a scalar, a list of
 * unnamed items, a change of type) replaces the base's value. What comes
 * from the overlay is copied in (fl_ydoc_graft) and stays located in the
 * overlay's file.
 *
 * The walk follows the overlay; shared (aliased) overlay nodes are copied
 * once, and the number of merge steps is bounded (MERGE_STEPS_MAX) so a
 * hostile overlay cannot make it exponential.
 *
 * Not here: reading the overlay file, or including the files it names
 * (sim/include.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/yamldoc.h"

#define MERGE_STEPS_MAX 1000000

struct merge {
    struct fl_ydoc *d;
    const struct fl_ydoc *o;
    int *memo; /* overlay node -> its copy in d */
    long steps;
    char *err;
};

static int merge_node(struct merge *m, int di, int oi, int depth);

static yaml_node_t *onode(const struct merge *m, int oi)
{
    FL_ASSERT(oi >= 1 && oi <= fl_ydoc_count(m->o));
    return &m->o->doc.nodes.start[oi - 1];
}

static int graft(struct merge *m, int oi)
{
    return fl_ydoc_graft(m->d, m->o, oi, m->memo);
}

/* The pair position of key in d's mapping di, or -1. */
static long pair_of(struct merge *m, int di, const char *key)
{
    yaml_node_t *dn = fl_y_node(m->d, di);
    size_t count = (size_t)(dn->data.mapping.pairs.top - dn->data.mapping.pairs.start);
    for (size_t j = 0; key && j < count; j++) {
        const char *k = fl_y_str(fl_y_node(m->d, dn->data.mapping.pairs.start[j].key));
        if (k && !strcmp(k, key)) return (long)j;
    }
    return -1;
}

static int merge_map(struct merge *m, int di, int oi, int depth)
{
    yaml_node_t *on = onode(m, oi);
    FL_ASSERT(on->type == YAML_MAPPING_NODE && fl_y_node(m->d, di)->type == YAML_MAPPING_NODE);
    size_t n = (size_t)(on->data.mapping.pairs.top - on->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t op = onode(m, oi)->data.mapping.pairs.start[i];
        long j = pair_of(m, di, fl_y_str(onode(m, op.key)));
        if (j < 0) {
            int k = graft(m, op.key);
            int v = graft(m, op.value);
            yaml_document_append_mapping_pair(&m->d->doc, di, k, v);
            continue;
        }
        int dv = fl_y_node(m->d, di)->data.mapping.pairs.start[j].value;
        int v = merge_node(m, dv, op.value, depth + 1);
        if (!v) return -1;
        fl_y_node(m->d, di)->data.mapping.pairs.start[j].value = v;
    }
    return 0;
}

/* Whether every item of overlay sequence oi has a name (and there is at least one). */
static int all_named(struct merge *m, int oi)
{
    yaml_node_t *on = onode(m, oi);
    FL_ASSERT(on->type == YAML_SEQUENCE_NODE);
    size_t n = (size_t)(on->data.sequence.items.top - on->data.sequence.items.start);
    for (size_t i = 0; i < n; i++) {
        const char *kind;
        if (!fl_y_item_name((struct fl_ydoc *)m->o, onode(m, on->data.sequence.items.start[i]),
                            &kind))
            return 0;
    }
    return n > 0;
}

static int merge_named_list(struct merge *m, int di, int oi, int depth)
{
    FL_ASSERT(fl_y_node(m->d, di)->type == YAML_SEQUENCE_NODE);
    size_t n =
        (size_t)(onode(m, oi)->data.sequence.items.top - onode(m, oi)->data.sequence.items.start);
    for (size_t i = 0; i < n; i++) {
        int item = onode(m, oi)->data.sequence.items.start[i];
        const char *okind, *dkind;
        const char *name = fl_y_item_name((struct fl_ydoc *)m->o, onode(m, item), &okind);
        yaml_node_t *dn = fl_y_node(m->d, di);
        size_t count = (size_t)(dn->data.sequence.items.top - dn->data.sequence.items.start);
        size_t j = 0;
        for (; j < count; j++) {
            const char *dname =
                fl_y_item_name(m->d, fl_y_node(m->d, dn->data.sequence.items.start[j]), &dkind);
            if (dname && !strcmp(dname, name) && (!okind || (dkind && !strcmp(okind, dkind))))
                break;
        }
        if (j == count) {
            yaml_document_append_sequence_item(&m->d->doc, di, graft(m, item));
            continue;
        }
        int v = merge_node(m, dn->data.sequence.items.start[j], item, depth + 1);
        if (!v) return -1;
        fl_y_node(m->d, di)->data.sequence.items.start[j] = v;
    }
    return 0;
}

/* Merges overlay node oi onto d's node di; returns the node to use in its place, 0 on error. */
static int merge_node(struct merge *m, int di, int oi, int depth)
{
    FL_ASSERT(di > 0 && oi > 0 && depth <= FL_Y_DEPTH_MAX + 1);
    if (++m->steps > MERGE_STEPS_MAX) {
        char where[512];
        fl_y_where(m->o, onode(m, oi), where, sizeof where);
        m->err = fl_asprintf("%s: the overlay takes more than %d steps to merge (aliases "
                             "repeating large parts?)",
                             where, MERGE_STEPS_MAX);
        return 0;
    }
    yaml_node_type_t dt = fl_y_node(m->d, di)->type, ot = onode(m, oi)->type;
    if (dt == YAML_MAPPING_NODE && ot == YAML_MAPPING_NODE)
        return merge_map(m, di, oi, depth) ? 0 : di;
    if (dt == YAML_SEQUENCE_NODE && ot == YAML_SEQUENCE_NODE && all_named(m, oi))
        return merge_named_list(m, di, oi, depth) ? 0 : di;
    return graft(m, oi);
}

int fl_ydoc_merge(struct fl_ydoc *d, const struct fl_ydoc *o, char **err)
{
    FL_ASSERT(d && o && err && fl_y_root(d));
    const yaml_node_t *root = yaml_document_get_root_node((yaml_document_t *)&o->doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        char where[512];
        fl_y_where(o, root, where, sizeof where);
        *err = fl_asprintf("%s: an overlay is a mapping of the keys to change, as in the "
                           "scenario",
                           where);
        return -1;
    }
    struct merge m = {d, o, fl_calloc((size_t)fl_ydoc_count(o) + 1, sizeof(int)), 0, NULL};
    int rc = merge_node(&m, 1, 1, 0) ? 0 : -1;
    free(m.memo);
    if (rc) *err = m.err;
    return rc;
}
