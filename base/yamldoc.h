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
 * fl_ydoc_set() applies a command-line override (`--set a.b.c=value`) to
 * the tree before it is interpreted; errors about such a value name the
 * override instead of a file position.
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

struct fl_yorigin {
    int node; /* node index created by an override */
    char *text;
};

struct fl_ydoc {
    char *file; /* the name used in messages */
    yaml_document_t doc;
    int loaded;
    int n_original; /* nodes that came from the file */
    char *err;      /* the first error, or NULL */
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

/*
 * Applies an override "a.b.c=value" to the tree: mapping keys by name,
 * list items by index or by the value of their `name` key; the last key is
 * replaced or added. Returns 0, or -1 with *err set (caller frees).
 */
int fl_ydoc_set(struct fl_ydoc *d, const char *assignment, char **err);

#endif
