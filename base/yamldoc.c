/*
 * yamldoc.c - YAML loading with located errors, typed scalars and key
 * checks (see yamldoc.h). Editing a document is in yamltree.c (copies and
 * origins), yamlset.c (--set) and yamlmerge.c (overlays).
 */
#include "base/yamldoc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/text.h"
#include "base/units.h"

/* ---- loading ---- */

/*
 * The line and column (from 0) of a byte offset, counted as libyaml counts
 * them: CR LF, CR and LF each end a line; a column is a character, so the
 * continuation bytes of UTF-8 do not count.
 */
static void offset_mark(const char *text, size_t len, size_t offset, yaml_mark_t *m)
{
    m->line = m->column = 0;
    if (offset > len) offset = len;
    for (size_t i = 0; i < offset; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || (c == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
            m->line++;
            m->column = 0;
        } else if ((c & 0xC0) != 0x80 && c != '\r') {
            m->column++;
        }
    }
}

static char *syntax_error(const char *name, const char *text, size_t len, const yaml_parser_t *p)
{
    yaml_mark_t m = p->problem_mark;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    /* libyaml locates reader errors (bad encoding, control characters) by byte offset only */
    if (p->error == YAML_READER_ERROR) offset_mark(text, len, p->problem_offset, &m);
    if (p->context)
        return fl_asprintf("%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)", name, m.line + 1,
                           m.column + 1, problem, p->context, p->context_mark.line + 1);
    return fl_asprintf("%s:%zu:%zu: YAML syntax error: %s", name, m.line + 1, m.column + 1,
                       problem);
}

/* First pass: syntax and nesting depth, on the event stream (no tree is built). */
static int prescan(const char *name, const char *text, size_t len, char **err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int depth = 0, rc = 0;
    if (!yaml_parser_initialize(&p)) {
        *err = fl_asprintf("%s: cannot initialise the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            *err = syntax_error(name, text, len, &p);
            rc = -1;
            break;
        }
        yaml_event_type_t type = ev.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
            if (++depth > FL_Y_DEPTH_MAX) {
                *err =
                    fl_asprintf("%s:%zu:%zu: nesting deeper than %d levels", name,
                                ev.start_mark.line + 1, ev.start_mark.column + 1, FL_Y_DEPTH_MAX);
                rc = -1;
            }
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&ev);
        if (rc || type == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&p);
    return rc;
}

int fl_ydoc_load_buffer(const char *name, const char *text, size_t len, struct fl_ydoc **docs_out,
                        size_t *n_out, char **err)
{
    *docs_out = NULL;
    *n_out = 0;
    if (prescan(name, text, len, err)) return -1;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        *err = fl_asprintf("%s: cannot initialise the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    struct fl_ydoc *docs = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        FL_GROW(docs, cap, n + 1);
        struct fl_ydoc *d = &docs[n];
        memset(d, 0, sizeof *d);
        if (!yaml_parser_load(&p, &d->doc)) {
            *err = syntax_error(name, text, len, &p);
            fl_ydoc_free_all(docs, n);
            yaml_parser_delete(&p);
            return -1;
        }
        d->loaded = 1;
        if (!yaml_document_get_root_node(&d->doc)) {
            yaml_document_delete(&d->doc);
            break;
        }
        d->file = fl_strdup(name);
        n++;
    }
    yaml_parser_delete(&p);
    *docs_out = docs;
    *n_out = n;
    if (n == 0) {
        free(docs);
        *docs_out = NULL;
    }
    return 0;
}

int fl_ydoc_load_file(const char *path, struct fl_ydoc **docs_out, size_t *n_out, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = fl_asprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        FL_GROW(buf, cap, len + 65536);
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len > FL_Y_FILE_MAX) {
            fclose(f);
            free(buf);
            *err = fl_asprintf("%s: larger than %u MiB", path, FL_Y_FILE_MAX >> 20);
            return -1;
        }
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        *err = fl_asprintf("%s: read error", path);
        return -1;
    }
    int rc = fl_ydoc_load_buffer(path, buf, len, docs_out, n_out, err);
    free(buf);
    return rc;
}

void fl_ydoc_free(struct fl_ydoc *d)
{
    FL_ASSERT(d && (d->origins || !d->n_origins));
    if (d->loaded) yaml_document_delete(&d->doc);
    for (size_t i = 0; i < d->n_origins; i++) free(d->origins[i].text);
    free(d->origins);
    free(d->file);
    free(d->err);
    memset(d, 0, sizeof *d);
}

void fl_ydoc_free_all(struct fl_ydoc *docs, size_t n)
{
    FL_ASSERT(docs || !n);
    for (size_t i = 0; i < n; i++) fl_ydoc_free(&docs[i]);

    free(docs);
}

yaml_node_t *fl_y_root(struct fl_ydoc *d)
{
    return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *fl_y_node(struct fl_ydoc *d, int index)
{
    return yaml_document_get_node(&d->doc, index);
}

static int same_mark(const yaml_mark_t *a, const yaml_mark_t *b)
{
    return a->index == b->index && a->line == b->line && a->column == b->column;
}

/*
 * n's index in the document. A node outside it stands in for an absent
 * value (a plugin without `config`, read as an empty mapping) and carries
 * the marks of the node it stands for: that node's index, found by its
 * marks (only on the way to an error message), or 0 when none matches.
 */
static int node_index(const struct fl_ydoc *d, const yaml_node_t *n)
{
    if (n >= d->doc.nodes.start && n < d->doc.nodes.top) return (int)(n - d->doc.nodes.start) + 1;
    for (const yaml_node_t *k = d->doc.nodes.start; k < d->doc.nodes.top; k++)
        if (same_mark(&k->start_mark, &n->start_mark) && same_mark(&k->end_mark, &n->end_mark))
            return (int)(k - d->doc.nodes.start) + 1;
    return 0;
}

/* ---- errors ---- */

const char *fl_y_where(const struct fl_ydoc *d, const yaml_node_t *n, char *buf, size_t size)
{
    FL_ASSERT(d && buf && size > 0);
    if (!n) {
        snprintf(buf, size, "%s:1:1", d->file);
        return buf;
    }
    const char *file = d->file;
    int idx = node_index(d, n);
    for (size_t i = d->n_origins; i-- > 0;) {
        const struct fl_yorigin *o = &d->origins[i];
        FL_ASSERT(o->first <= o->last && o->text);
        if (idx < o->first || idx > o->last) continue;
        if (!o->located) {
            snprintf(buf, size, "%s", o->text);
            return buf;
        }
        file = o->text;
        break;
    }
    snprintf(buf, size, "%s:%zu:%zu", file, n->start_mark.line + 1, n->start_mark.column + 1);
    return buf;
}

int fl_y_error(struct fl_ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
    if (d->err) return -1;
    FL_ASSERT(fmt);
    char where[512];
    fl_y_where(d, n, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* the message quotes the user's text: keep terminal control sequences out of it */
    fl_control_scrub(msg);
    fl_control_scrub(where);
    d->err = fl_asprintf("%s: %s", where, msg);
    FL_ASSERT(d->err); /* the first error is kept, never replaced */
    return -1;
}

/* ---- access ---- */

const char *fl_y_str(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE) return NULL;
    return (const char *)n->data.scalar.value;
}

static const char *type_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a single value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

int fl_y_want_map(struct fl_ydoc *d, const yaml_node_t *n, const char *what)
{
    if (n && n->type == YAML_MAPPING_NODE) return 0;
    return fl_y_error(d, n, "%s must be a mapping (key: value), not %s", what,
                      n ? type_name(n) : "nothing");
}

int fl_y_want_seq(struct fl_ydoc *d, const yaml_node_t *n, const char *what)
{
    if (n && n->type == YAML_SEQUENCE_NODE) return 0;
    return fl_y_error(d, n, "%s must be a list, not %s", what, n ? type_name(n) : "nothing");
}

int fl_y_want_scalar(struct fl_ydoc *d, const yaml_node_t *n, const char *what)
{
    if (n && n->type == YAML_SCALAR_NODE) return 0;
    return fl_y_error(d, n, "%s must be a single value, not %s", what,
                      n ? type_name(n) : "nothing");
}

yaml_node_t *fl_y_get_key(struct fl_ydoc *d, const yaml_node_t *m, const char *key)
{
    FL_ASSERT(d && key);
    if (!m || m->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = fl_y_node(d, p->key);
        const char *s = fl_y_str(k);
        if (s && strcmp(s, key) == 0) return k;
    }
    return NULL;
}

yaml_node_t *fl_y_get(struct fl_ydoc *d, const yaml_node_t *m, const char *key)
{
    FL_ASSERT(d && key);
    if (!m || m->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *s = fl_y_str(fl_y_node(d, p->key));
        if (s && strcmp(s, key) == 0) return fl_y_node(d, p->value);
    }
    return NULL;
}

/* Levenshtein distance, bounded to short words (keys are short). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 1000;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    FL_ASSERT(row[lb] <= (la > lb ? la : lb)); /* never more than the longer word */
    return row[lb];
}

const char *fl_did_you_mean(const char *word, const char *const *candidates)
{
    FL_ASSERT(word && candidates);
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t limit = strlen(word) / 3 + 1;
    if (limit > 3) limit = 3;
    for (const char *const *c = candidates; *c; c++) {
        size_t dist = edit_distance(word, *c);
        if (dist < best_d) {
            best_d = dist;
            best = *c;
        }
    }
    return best_d <= limit ? best : NULL;
}

int fl_y_check_keys(struct fl_ydoc *d, const yaml_node_t *m, const char *const *known,
                    const char *const *required, const char *what)
{
    FL_ASSERT(known && what);
    if (fl_y_want_map(d, m, what)) return -1;
    size_t n_known = 0;
    while (known[n_known]) n_known++;
    unsigned char seen[64] = {0};
    if (n_known > sizeof seen) n_known = sizeof seen;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = fl_y_node(d, p->key);
        const char *s = fl_y_str(k);
        if (!s) return fl_y_error(d, k, "keys of %s must be plain names", what);
        size_t i = 0;
        while (i < n_known && strcmp(known[i], s) != 0) i++;
        if (i == n_known) {
            const char *hint = fl_did_you_mean(s, known);
            if (hint)
                return fl_y_error(d, k, "unknown key '%s' in %s (did you mean '%s'?)", s, what,
                                  hint);
            return fl_y_error(d, k, "unknown key '%s' in %s", s, what);
        }
        FL_ASSERT(i < n_known && !strcmp(known[i], s));
        if (seen[i]++) return fl_y_error(d, k, "key '%s' appears twice in %s", s, what);
    }
    for (const char *const *r = required; r && *r; r++) {
        if (!fl_y_get(d, m, *r)) return fl_y_error(d, m, "%s needs '%s'", what, *r);
    }
    return 0;
}

/* ---- typed scalars ---- */

int fl_y_string(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char **out)
{
    if (fl_y_want_scalar(d, n, what)) return -1;
    const char *s = fl_y_str(n);
    if (!*s) return fl_y_error(d, n, "%s must not be empty", what);
    if (strlen(s) != n->data.scalar.length)
        return fl_y_error(d, n, "%s contains a NUL character", what);
    FL_ASSERT(out && *s);
    *out = s;
    return 0;
}

int fl_y_int(struct fl_ydoc *d, const yaml_node_t *n, const char *what, long long min,
             long long max, long long *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s) return fl_y_error(d, n, "%s must be a whole number, not '%s'", what, s);
    if (errno == ERANGE)
        return fl_y_error(d, n, "%s must be between %lld and %lld, not %s", what, min, max, s);
    if (v < min || v > max)
        return fl_y_error(d, n, "%s must be between %lld and %lld, not %lld", what, min, max, v);
    FL_ASSERT(min <= v && v <= max);
    *out = v;
    return 0;
}

int fl_y_double(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double min, double max,
                double *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !isfinite(v))
        return fl_y_error(d, n, "%s must be a number, not '%s'", what, s);
    if (v < min || v > max)
        return fl_y_error(d, n, "%s must be between %g and %g, not %g", what, min, max, v);
    FL_ASSERT(isfinite(v) && min <= v && v <= max);
    *out = v;
    return 0;
}

int fl_y_bool(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = 0;
        return 0;
    }
    return fl_y_error(d, n, "%s must be true or false, not '%s'", what, s);
}

int fl_y_enum(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char *const *names,
              int *out)
{
    const char *s;
    FL_ASSERT(names && names[0] && out);
    if (fl_y_string(d, n, what, &s)) return -1;
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; names[i] && used < sizeof list - 1; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    const char *hint = fl_did_you_mean(s, names);
    if (hint)
        return fl_y_error(d, n, "%s: unknown value '%s' (did you mean '%s'? one of %s)", what, s,
                          hint, list);
    return fl_y_error(d, n, "%s: unknown value '%s' (one of %s)", what, s, list);
}

static int units_error(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char *s,
                       int rc, enum fl_units_kind kind)
{
    return fl_y_error(d, n, "%s '%s': %s", what, s, fl_units_strerror(rc, kind));
}

int fl_y_duration(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int64_t min_ns,
                  int64_t max_ns, int64_t *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    int64_t v;
    int rc = fl_parse_duration(s, &v);
    if (rc) return units_error(d, n, what, s, rc, FL_UNITS_DURATION);
    if (v < min_ns || v > max_ns) {
        char a[32], b[32];
        fl_format_duration(min_ns, a, sizeof a);
        fl_format_duration(max_ns, b, sizeof b);
        if (v < min_ns && min_ns > 0)
            return fl_y_error(d, n, "%s must be at least %s, not %s", what, a, s);
        return fl_y_error(d, n, "%s must be between %s and %s, not %s", what, a, b, s);
    }
    FL_ASSERT(v >= 0 && min_ns <= v && v <= max_ns);
    *out = v;
    return 0;
}

int fl_y_rate(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double max, double *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    double v;
    int rc = fl_parse_rate(s, &v);
    if (rc) return units_error(d, n, what, s, rc, FL_UNITS_RATE);
    if (v <= 0) return fl_y_error(d, n, "%s must be above 0, not %s", what, s);
    if (v > max) return fl_y_error(d, n, "%s must be at most %g/s, not %s", what, max, s);
    FL_ASSERT(v > 0 && v <= max);
    *out = v;
    return 0;
}

int fl_y_fraction(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    int rc = fl_parse_fraction(s, out);
    if (rc) return units_error(d, n, what, s, rc, FL_UNITS_FRACTION);
    FL_ASSERT(*out >= 0 && *out <= 1);
    return 0;
}

int fl_y_size(struct fl_ydoc *d, const yaml_node_t *n, const char *what, int64_t min, int64_t max,
              int64_t *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    int64_t v;
    int rc = fl_parse_size(s, &v);
    if (rc) return units_error(d, n, what, s, rc, FL_UNITS_SIZE);
    if (v < min || v > max)
        return fl_y_error(d, n, "%s must be between %lldB and %lldB, not %s", what, (long long)min,
                          (long long)max, s);
    FL_ASSERT(v >= 0 && min <= v && v <= max);
    *out = v;
    return 0;
}

int fl_y_bandwidth(struct fl_ydoc *d, const yaml_node_t *n, const char *what, double *out)
{
    const char *s;
    if (fl_y_string(d, n, what, &s)) return -1;
    int rc = fl_parse_bandwidth(s, out);
    if (rc) return units_error(d, n, what, s, rc, FL_UNITS_BANDWIDTH);
    if (*out < 1000) return fl_y_error(d, n, "%s must be at least 1kbit, not %s", what, s);
    return 0;
}
