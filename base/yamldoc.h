/*
 * yamldoc.h - YAML documents with located errors, for every input file
 * faultline reads (scenarios now; Kong and Istio configuration later).
 *
 * Loading is two passes over the text with libyaml: first its event parser,
 * which rejects syntax errors and nesting deeper than FL_Y_DEPTH_MAX before
 * any tree is built (so hostile input cannot exhaust the stack or memory),
 * then its document loader. Files larger than FL_Y_FILE_MAX are refused.
 *
 * Every error is a value: the first one is kept, formatted as
 * "file:line:column: message" (line and column from 1), and returned to
 * the caller, who prints it and exits with status 2. The helpers below
 * check types, units and ranges and report unknown mapping keys with a
 * "did you mean" suggestion, and duplicate keys.
 *
 * A document can be edited before it is interpreted (yamltree.c,
 * yamlset.c, yamlmerge.c): nodes copied in from another document (an
 * included file, an overlay) keep their line and column and the name of
 * the file they came from, so errors about them point into that file;
 * nodes an override (`--set a.b.c=value`) made are located at the
 * override's text.
 *
 * Not here: what any key means (the loaders for each format).
 */
#ifndef FL_BASE_YAMLDOC_H
#define FL_BASE_YAMLDOC_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#define FL_Y_DEPTH_MAX 64
#define FL_Y_FILE_MAX  (64u << 20)

/* Where nodes first..last (indices) came from, when not from d->file. */
struct fl_yorigin {
    int first, last;
    char *text;  /* a file name, or an override's text */
    int located; /* 1: text is a file, and the nodes' own line and column apply */
};

struct fl_ydoc {
    char *file; /* the name used in messages */
    yaml_document_t doc;
    int loaded;
    char *err; /* the first error, or NULL */
    struct fl_yorigin *origins;
    size_t n_origins, cap_origins;
};

/*
 * Loads every document of a file. Returns 0 with *docs_out (an array of
 * *n_out documents; free with fl_ydoc_free_all) or -1 with *err set (the
 * caller frees). An empty file loads as zero documents.
 */
int fl_ydoc_load_file(const char *path, struct fl_ydoc **docs_out, size_t *n_out, char **err);

/* The same from memory; name is used in messages. */
int fl_ydoc_load_buffer(const char *name, const char *text, size_t len, struct fl_ydoc **docs_out,
                        size_t *n_out, char **err);

void fl_ydoc_free(struct fl_ydoc *d);
void fl_ydoc_free_all(struct fl_ydoc *docs, size_t n);

/* The root node, or NULL for a document with nothing in it. */
yaml_node_t *fl_y_root(struct fl_ydoc *d);

/* A node by index (for mapping pairs and sequence items). */
yaml_node_t *fl_y_node(struct fl_ydoc *d, int index);

/*
 * Records an error at node n (NULL: at the start of the file) unless one is
 * already recorded; always returns -1 so callers can `return fl_y_error(...)`.
 */
int fl_y_error(struct fl_ydoc *d, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "file:line:col" (or "--set k=v") of a node, into buf. */
const char *fl_y_where(const struct fl_ydoc *d, const yaml_node_t *n, char *buf, size_t size);

/* The text of a scalar node, or NULL if n is not a scalar. */
const char *fl_y_str(const yaml_node_t *n);

/* Type checks: 0, or -1 with an error such as "services must be a list". */
int fl_y_want_map(struct fl_ydoc *d, const yaml_node_t *n, const char *what);
int fl_y_want_seq(struct fl_ydoc *d, const yaml_node_t *n, const char *what);
int fl_y_want_scalar(struct fl_ydoc *d, const yaml_node_t *n, const char *what);

/* The value of key in mapping m, or NULL. */
yaml_node_t *fl_y_get(struct fl_ydoc *d, const yaml_node_t *m, const char *key);

/* The key node of key in m (for error positions), or NULL. */
yaml_node_t *fl_y_get_key(struct fl_ydoc *d, const yaml_node_t *m, const char *key);

/*
 * Checks that every key of mapping m is a scalar in the NULL-terminated
 * list `known`, appears once, and that every key of `required` (may be
 * NULL) is present. `what` names the mapping in messages, e.g. "service
 * 'billing'". Unknown keys get the closest known one as a suggestion.
 */
int fl_y_check_keys(struct fl_ydoc *d, const yaml_node_t *m, const char *const *known,
                    const char *const *required, const char *what);

/* The closest word in a NULL-terminated list, or NULL if none is close. */
const char *fl_did_you_mean(const char *word, const char *const *candidates);

/*
 * Typed scalars. Each returns 0 and writes *out, or -1 with a located
 * error that names `what` and the allowed form or range.
 */
int fl_y_string(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char **out);
int fl_y_int(struct fl_ydoc *d, const yaml_node_t *n, const char *what, long long min,
             long long max, long long *out);
int fl_y_double(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double min, double max,
                double *out);
int fl_y_bool(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int *out);
/* One of a NULL-terminated list of names; *out is its index. */
int fl_y_enum(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char *const *names,
              int *out);
/* Durations within [min_ns, max_ns]. */
int fl_y_duration(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int64_t min_ns,
                  int64_t max_ns, int64_t *out);
/* Rates per second, > 0 and <= max. */
int fl_y_rate(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double max, double *out);
int fl_y_fraction(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double *out);
int fl_y_size(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int64_t min, int64_t max,
              int64_t *out);
int fl_y_bandwidth(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double *out);

/* ---- editing (yamltree.c, yamlset.c, yamlmerge.c) ---- */

/* Records that nodes first..last came from text (a file when located, else an override). */
void fl_ydoc_note_origin(struct fl_ydoc *d, int first, int last, const char *text, int located);

/*
 * Copies node src_index of src, and everything under it, into d, and
 * returns the copy's index. The copies keep their line and column and are
 * located in src->file. memo (src's node count of ints, zeroed, or NULL)
 * maps src nodes already copied to their copies, so shared (aliased) nodes
 * are copied once and an alias bomb stays small.
 */
int fl_ydoc_graft(struct fl_ydoc *d, const struct fl_ydoc *src, int src_index, int *memo);

/* The number of nodes of d (for memo arrays). */
int fl_ydoc_count(const struct fl_ydoc *d);

/*
 * The name of a list item: its `name`, or its `metadata.name` (an
 * Istio or Kubernetes resource, whose `kind` goes to *kind, else NULL).
 * NULL when it has neither.
 */
const char *fl_y_item_name(struct fl_ydoc *d, const yaml_node_t *item, const char **kind);

/* Removes key from mapping node m (nothing if absent). */
void fl_y_remove_key(struct fl_ydoc *d, int m, const char *key);

/*
 * Applies an override "a.b.c=value" to the tree. The key is a path of
 * segments separated by dots; a segment in double quotes is taken as is
 * ("a.b" holds a dot). Mapping keys are found by name; list items by
 * index, by the `name` or `metadata.name` of the item, or by "Kind/name"
 * (kind and metadata.name, for Istio resources). The last segment is
 * replaced or added (a list item is replaced); a missing key on the way
 * becomes an empty mapping. A value that starts with '{' or '[' is a YAML
 * flow collection ({model: gemodel, p: 1%}), parsed as such; any other
 * value is one plain scalar, as given. Returns 0, or -1 with *err set
 * (caller frees) naming the override and where in the file the path
 * stopped; the tree is then unchanged.
 */
int fl_ydoc_set(struct fl_ydoc *d, const char *assignment, char **err);

/* The same, naming the override `shown` in messages and locations (a shorthand the user typed). */
int fl_ydoc_set_as(struct fl_ydoc *d, const char *assignment, const char *shown, char **err);

/*
 * Merges the overlay document o onto d (both mappings): mappings merge key
 * by key, recursively; a list whose items all have a name (fl_y_item_name)
 * merges item by item with the items of the same name (and kind), new ones
 * appended; anything else replaces what d had. What comes from o stays
 * located in o's file. Returns 0, or -1 with *err set (caller frees).
 */
int fl_ydoc_merge(struct fl_ydoc *d, const struct fl_ydoc *o, char **err);

#endif
