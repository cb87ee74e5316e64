/*
 * yamltree.c - editing a loaded YAML document: where nodes came from,
 * copying nodes in from another document, naming list items, removing a
 * key (see yamldoc.h).
 *
 * libyaml keeps a document's nodes in one growing array and refers to
 * them by index, so every node added may move all of them: code here and
 * in its callers holds indices across additions, never node pointers.
 * Copies keep the line and column of their source; a range of indices
 * records the file they came from (fl_ydoc_note_origin), so that
 * fl_y_where names that file.
 *
 * Not here: what a path means (yamlset.c) or how documents combine
 * (yamlmerge.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/yamldoc.h"

int fl_ydoc_count(const struct fl_ydoc *d)
{
    return (int)(d->doc.nodes.top - d->doc.nodes.start);
}

void fl_ydoc_note_origin(struct fl_ydoc *d, int first, int last, const char *text, int located)
{
    FL_ASSERT(first >= 1 && first <= last && last <= fl_ydoc_count(d) && text);
    FL_GROW(d->origins, d->cap_origins, d->n_origins + 1);
    struct fl_yorigin *o = &d->origins[d->n_origins++];
    o->first = first;
    o->last = last;
    o->text = fl_strdup(text);
    o->located = located;
}

/* Copies one node (and below) without recording origins; returns the copy's index. */
static int copy(struct fl_ydoc *d, const struct fl_ydoc *src, int si, int *memo, int depth)
{
    FL_ASSERT(si >= 1 && si <= fl_ydoc_count(src) && depth <= 2 * FL_Y_DEPTH_MAX + 2);
    if (memo && memo[si - 1]) return memo[si - 1];
    const yaml_node_t *sn = &src->doc.nodes.start[si - 1];
    yaml_char_t *tag = sn->tag;
    int di;
    if (sn->type == YAML_SCALAR_NODE) {
        di = yaml_document_add_scalar(&d->doc, tag, sn->data.scalar.value,
                                      (int)sn->data.scalar.length, sn->data.scalar.style);
    } else if (sn->type == YAML_SEQUENCE_NODE) {
        di = yaml_document_add_sequence(&d->doc, tag, sn->data.sequence.style);
    } else {
        di = yaml_document_add_mapping(&d->doc, tag, sn->data.mapping.style);
    }
    /* libyaml refuses only text that is not UTF-8, and what it loaded is */
    FL_ASSERT(di > 0);
    if (memo) memo[si - 1] = di;
    d->doc.nodes.start[di - 1].start_mark = sn->start_mark;
    d->doc.nodes.start[di - 1].end_mark = sn->end_mark;
    if (sn->type == YAML_SEQUENCE_NODE) {
        size_t n = (size_t)(sn->data.sequence.items.top - sn->data.sequence.items.start);
        for (size_t i = 0; i < n; i++) {
            int item = copy(d, src, src->doc.nodes.start[si - 1].data.sequence.items.start[i], memo,
                            depth + 1);
            yaml_document_append_sequence_item(&d->doc, di, item);
        }
    } else if (sn->type == YAML_MAPPING_NODE) {
        size_t n = (size_t)(sn->data.mapping.pairs.top - sn->data.mapping.pairs.start);
        for (size_t i = 0; i < n; i++) {
            yaml_node_pair_t p = src->doc.nodes.start[si - 1].data.mapping.pairs.start[i];
            int k = copy(d, src, p.key, memo, depth + 1);
            int v = copy(d, src, p.value, memo, depth + 1);
            yaml_document_append_mapping_pair(&d->doc, di, k, v);
        }
    }
    return di;
}

int fl_ydoc_graft(struct fl_ydoc *d, const struct fl_ydoc *src, int src_index, int *memo)
{
    FL_ASSERT(d && src && d != src);
    int first = fl_ydoc_count(d) + 1;
    int di = copy(d, src, src_index, memo, 0);
    int last = fl_ydoc_count(d);
    /* nothing new when every node was copied before (memo) */
    if (last >= first) fl_ydoc_note_origin(d, first, last, src->file, 1);
    return di;
}

const char *fl_y_item_name(struct fl_ydoc *d, const yaml_node_t *item, const char **kind)
{
    *kind = NULL;
    if (!item || item->type != YAML_MAPPING_NODE) return NULL;
    const char *name = fl_y_str(fl_y_get(d, item, "name"));
    if (name) return name;
    yaml_node_t *meta = fl_y_get(d, item, "metadata");
    name = fl_y_str(fl_y_get(d, meta, "name"));
    if (name) *kind = fl_y_str(fl_y_get(d, item, "kind"));
    return name;
}

void fl_y_remove_key(struct fl_ydoc *d, int m, const char *key)
{
    yaml_node_t *n = fl_y_node(d, m);
    FL_ASSERT(n && n->type == YAML_MAPPING_NODE);
    yaml_node_pair_t *p = n->data.mapping.pairs.start;
    size_t count = (size_t)(n->data.mapping.pairs.top - p);
    for (size_t i = 0; i < count; i++) {
        const char *s = fl_y_str(fl_y_node(d, p[i].key));
        if (!s || strcmp(s, key)) continue;
        memmove(&p[i], &p[i + 1], (count - i - 1) * sizeof *p);
        n->data.mapping.pairs.top--;
        return;
    }
}
