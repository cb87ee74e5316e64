/*
 * yamlset.c - fl_ydoc_set: a command-line override ("--set KEY=VALUE")
 * applied to a loaded document (see yamldoc.h for the forms).
 *
 * The text is checked first (UTF-8, no control characters: libyaml asserts
 * on a key that is not UTF-8 and silently refuses such a value), then the
 * key is split into segments, then the path is walked from the root. A
 * value that opens a flow collection is parsed by libyaml as a document
 * of its own and copied in; nodes made here are located at the
 * override's text. Every error is found before the tree changes, except
 * that missing middle keys are added as the walk goes: the walk is done
 * twice, first without changing anything.
 *
 * Not here: what the keys mean (the loaders check the result as they
 * would check the file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/text.h"
#include "base/yamldoc.h"

#define SEGMENTS_MAX 64

struct seg {
    char *text;
    int quoted; /* "..." : a key or a name, taken as is */
};

struct path {
    struct seg segs[SEGMENTS_MAX];
    size_t n;
};

static int check_text(const char *assignment, char **err)
{
    size_t len = strlen(assignment);
    size_t bad = fl_utf8_check(assignment, len);
    if (bad < len) {
        *err = fl_asprintf("--set: byte %zu (0x%02x) is not valid UTF-8; overrides must be UTF-8 "
                           "text",
                           bad + 1, (unsigned char)assignment[bad]);
        return -1;
    }
    bad = fl_control_check(assignment, len, 0);
    if (bad < len) {
        *err = fl_asprintf("--set: byte %zu is a control character (0x%02x); overrides are one "
                           "line of text",
                           bad + 1, (unsigned char)assignment[bad]);
        return -1;
    }
    return 0;
}

static void path_free(struct path *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->segs[i].text);
    p->n = 0;
}

/*
 * Splits the key of `a` into p and returns the value (after the first '='
 * outside quotes), or NULL with *err set.
 */
static const char *split(const char *a, struct path *p, char **err)
{
    FL_ASSERT(a && p);
    const char *s = a;
    p->n = 0;
    for (;;) {
        const char *start = s;
        int quoted = *s == '"';
        if (quoted) {
            const char *close = strchr(s + 1, '"');
            if (!close) {
                *err = fl_asprintf("--set '%s': a quoted key has no closing '\"'", a);
                return NULL;
            }
            s = close + 1;
            if (*s && *s != '.' && *s != '=') {
                *err = fl_asprintf("--set '%s': a quoted key must end at '.' or '='", a);
                return NULL;
            }
        } else {
            while (*s && *s != '.' && *s != '=') s++;
        }
        size_t len = (size_t)(s - start);
        if ((!quoted && len == 0) || !*s || p->n == SEGMENTS_MAX) {
            *err = p->n == SEGMENTS_MAX
                       ? fl_asprintf("--set '%s': more than %d keys in the path", a, SEGMENTS_MAX)
                       : fl_asprintf("--set '%s': expected KEY=VALUE, e.g. seed=7", a);
            return NULL;
        }
        p->segs[p->n].quoted = quoted;
        p->segs[p->n].text = quoted ? fl_strndup(start + 1, len - 2) : fl_strndup(start, len);
        p->n++;
        if (*s == '=') return s + 1;
        s++;
    }
}

/* What the walk found at one segment. */
enum found { FOUND, MISSING_KEY, FAILED };

struct walk {
    struct fl_ydoc *d;
    const char *a; /* the assignment, for messages */
    char *err;
    char desc[640]; /* describe()'s text */
};

/* "'key' (file:line:col)" naming node n reached by `via` (NULL at the root), in w->desc. */
static const char *describe(struct walk *w, const char *via, int n)
{
    char where[512];
    FL_ASSERT(n >= 1 && n <= fl_ydoc_count(w->d));
    fl_y_where(w->d, fl_y_node(w->d, n), where, sizeof where);
    if (!via)
        snprintf(w->desc, sizeof w->desc, "the document (%s)", where);
    else
        snprintf(w->desc, sizeof w->desc, "'%s' (%s)", via, where);
    return w->desc;
}

static enum found fail(struct walk *w, char *msg)
{
    FL_ASSERT(msg && !w->err); /* the first error ends the walk */
    w->err = fl_asprintf("--set %s: %s", w->a, msg);
    fl_control_scrub(w->err);
    free(msg);
    return FAILED;
}

/* Item of sequence node `at` named by segment s: index, name, metadata.name or Kind/name. */
static enum found find_item(struct walk *w, int at, const char *via, const struct seg *s,
                            int *item_out, size_t *pos_out)
{
    yaml_node_t *n = fl_y_node(w->d, at);
    FL_ASSERT(n && n->type == YAML_SEQUENCE_NODE && s->text);
    yaml_node_item_t *items = n->data.sequence.items.start;
    size_t count = (size_t)(n->data.sequence.items.top - items);
    const char *t = s->text;
    size_t len = strlen(t);
    if (!s->quoted && len > 0 && strspn(t, "0123456789") == len) {
        char *end;
        unsigned long long i = strtoull(t, &end, 10);
        if (i >= count)
            return fail(w, fl_asprintf("%s has %zu item%s; there is no item %s",
                                       describe(w, via, at), count, count == 1 ? "" : "s", t));
        *item_out = items[i];
        *pos_out = (size_t)i;
        return FOUND;
    }
    const char *slash = s->quoted ? NULL : strchr(t, '/');
    size_t hits = 0;
    const char *names[65];
    size_t n_names = 0;
    char list[512] = "";
    for (size_t i = 0; i < count; i++) {
        const char *kind;
        const char *name = fl_y_item_name(w->d, fl_y_node(w->d, items[i]), &kind);
        if (!name) continue;
        if (n_names < 64) names[n_names++] = name;
        int hit = slash ? kind && !strncmp(kind, t, (size_t)(slash - t)) && !kind[slash - t] &&
                              !strcmp(name, slash + 1)
                        : !strcmp(name, t);
        if (!hit) continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s%s%s", hits ? ", " : "", kind ? kind : "",
                 kind ? "/" : "", name);
        if (hits++ == 0) {
            *item_out = items[i];
            *pos_out = i;
        }
    }
    names[n_names] = NULL;
    if (hits == 1) return FOUND;
    if (hits > 1)
        return fail(w, fl_asprintf("%s has several items named '%s' (%s): write Kind/name",
                                   describe(w, via, at), t, list));
    const char *hint = slash ? NULL : fl_did_you_mean(t, names);
    if (hint)
        return fail(w, fl_asprintf("%s has no item named '%s' (did you mean '%s'?)",
                                   describe(w, via, at), t, hint));
    return fail(w, fl_asprintf("%s has no item named '%s'", describe(w, via, at), t));
}

/* The value index of key s in mapping `at`, its pair position, or MISSING_KEY. */
static enum found find_key(struct walk *w, int at, const char *key, int *value_out, size_t *pos_out)
{
    yaml_node_t *n = fl_y_node(w->d, at);
    FL_ASSERT(n && n->type == YAML_MAPPING_NODE && key);
    yaml_node_pair_t *p = n->data.mapping.pairs.start;
    size_t count = (size_t)(n->data.mapping.pairs.top - p);
    for (size_t i = 0; i < count; i++) {
        const char *k = fl_y_str(fl_y_node(w->d, p[i].key));
        if (k && !strcmp(k, key)) {
            *value_out = p[i].value;
            *pos_out = i;
            return FOUND;
        }
    }
    return MISSING_KEY;
}

static int add_scalar(struct fl_ydoc *d, const char *text)
{
    int idx = yaml_document_add_scalar(&d->doc, NULL, (yaml_char_t *)text, (int)strlen(text),
                                       YAML_PLAIN_SCALAR_STYLE);
    FL_ASSERT(idx > 0); /* check_text ruled out what libyaml refuses */
    return idx;
}

/*
 * The new value's node: a copy of the parsed flow collection (vdoc), or
 * one plain scalar; located at the override either way.
 */
static int make_value(struct walk *w, const char *v, const struct fl_ydoc *vdoc, const char *origin)
{
    if (!vdoc) {
        int idx = add_scalar(w->d, v);
        fl_ydoc_note_origin(w->d, idx, idx, origin, 0);
        return idx;
    }
    int first = fl_ydoc_count(w->d) + 1;
    int idx = fl_ydoc_graft(w->d, vdoc, 1, NULL);
    struct fl_yorigin *o = &w->d->origins[w->d->n_origins - 1];
    FL_ASSERT(o->first == first && o->last == fl_ydoc_count(w->d));
    free(o->text);
    o->text = fl_strdup(origin);
    o->located = 0;
    return idx;
}

/*
 * Walks p from the root. With apply 0 only checks (missing middle keys
 * are fine: they would be added); with apply 1 changes the tree.
 */
static int walk(struct walk *w, const struct path *p, const char *value, const struct fl_ydoc *vdoc,
                const char *origin, int apply)
{
    struct fl_ydoc *d = w->d;
    FL_ASSERT(fl_y_root(d));
    int at = 1; /* the root */
    const char *via = NULL;
    int virtual_map = 0; /* at a mapping that apply 1 would have added */
    for (size_t i = 0; i < p->n; i++) {
        const struct seg *s = &p->segs[i];
        int last = i + 1 == p->n;
        if (virtual_map) continue;
        yaml_node_t *n = fl_y_node(d, at);
        int next = 0;
        size_t pos = 0;
        enum found f;
        if (n->type == YAML_SEQUENCE_NODE) {
            f = find_item(w, at, via, s, &next, &pos);
            if (f == FAILED) return -1;
            if (last && apply) {
                int v = make_value(w, value, vdoc, origin);
                fl_y_node(d, at)->data.sequence.items.start[pos] = v;
            }
        } else if (n->type == YAML_MAPPING_NODE) {
            f = find_key(w, at, s->text, &next, &pos);
            if (last && apply) {
                int v = make_value(w, value, vdoc, origin);
                if (f == FOUND) {
                    fl_y_node(d, at)->data.mapping.pairs.start[pos].value = v;
                } else {
                    int k = add_scalar(d, s->text);
                    fl_ydoc_note_origin(d, k, k, origin, 0);
                    yaml_document_append_mapping_pair(&d->doc, at, k, v);
                }
            } else if (f == MISSING_KEY && !last) {
                if (!apply) {
                    virtual_map = 1;
                    continue;
                }
                /* a key missing on the way: an empty mapping (mesh.envoy_compat.x=...) */
                int k = add_scalar(d, s->text);
                next = yaml_document_add_mapping(&d->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
                fl_ydoc_note_origin(d, k, next, origin, 0);
                yaml_document_append_mapping_pair(&d->doc, at, k, next);
            }
        } else {
            fail(w, fl_asprintf("%s is a single value; it has no '%s'", describe(w, via, at),
                                s->text));
            return -1;
        }
        via = s->text;
        at = next;
    }
    return 0;
}

int fl_ydoc_set(struct fl_ydoc *d, const char *assignment, char **err)
{
    return fl_ydoc_set_as(d, assignment, assignment, err);
}

int fl_ydoc_set_as(struct fl_ydoc *d, const char *assignment, const char *shown, char **err)
{
    FL_ASSERT(d && assignment && shown && err);
    if (check_text(shown, err) || check_text(assignment, err)) return -1;
    struct path p;
    const char *value = split(assignment, &p, err);
    if (!value) {
        path_free(&p);
        return -1;
    }
    struct walk w = {d, shown, NULL};
    char *origin = fl_asprintf("--set %s", shown);
    int rc = walk(&w, &p, value, NULL, origin, 0);
    /* a flow value is parsed, as a document of its own, before anything changes */
    struct fl_ydoc *vdoc = NULL;
    size_t n_vdoc = 0;
    if (!rc && (value[0] == '{' || value[0] == '[')) {
        char *e = NULL;
        if (fl_ydoc_load_buffer("value", value, strlen(value), &vdoc, &n_vdoc, &e) || n_vdoc != 1) {
            w.err = fl_asprintf("--set %s: the value is not one YAML flow collection%s%s", shown,
                                e ? ": " : "", e ? e : "");
            fl_control_scrub(w.err);
            rc = -1;
        }
        free(e);
    }
    if (!rc) rc = walk(&w, &p, value, vdoc, origin, 1);
    fl_ydoc_free_all(vdoc, n_vdoc);
    FL_ASSERT(rc == 0 || w.err);
    if (rc) *err = w.err;
    free(origin);
    path_free(&p);
    return rc;
}
