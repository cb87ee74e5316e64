/*
 * json.h - a small streaming JSON writer (RFC 8259) for the files a run
 * writes: summary.json now, Zipkin span export later.
 *
 * The writer keeps the nesting and comma state, so callers only say what
 * comes next: begin an object, a key, a value, end the object. Using it
 * wrongly (a value without its key inside an object, a key inside an
 * array, closing what is not open, two top-level values) is a programmer
 * error and asserts.
 *
 * Output is a function of the calls alone, byte for byte: numbers never go
 * through the locale (the decimal point is always '.'), doubles are written
 * with a fixed number of decimals chosen by the caller, and NaN or infinity
 * become null (JSON has neither). Strings are escaped as RFC 8259 requires
 * ('"', '\\' and U+0000..U+001F; \b \f \n \r \t in their short forms);
 * bytes that are not valid UTF-8 are written as U+FFFD, so the output is
 * always valid JSON whatever the input.
 *
 * Not here: parsing, a document tree, or I/O errors as they happen (the
 * FILE's error flag collects them; rpt_json_end reports it).
 */
#ifndef FL_REPORTS_JSON_H
#define FL_REPORTS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RPT_JSON_DEPTH_MAX 32 /* deepest nesting of objects and arrays */

struct rpt_json {
    FILE *out;
    int indent;    /* spaces per level; 0 writes compact JSON on one line */
    int depth;     /* open containers */
    int after_key; /* a key was written; its value comes next */
    int done;      /* the top-level value is complete */
    unsigned char is_object[RPT_JSON_DEPTH_MAX];
    unsigned char has_member[RPT_JSON_DEPTH_MAX];
};

/* Starts a document on out (not owned). indent: 0 for compact, else spaces per level. */
void rpt_json_init(struct rpt_json *j, FILE *out, int indent);

/*
 * Checks the document is complete, ends it with a newline and returns 0,
 * or -1 when out has had a write error (ferror).
 */
int rpt_json_end(struct rpt_json *j);

void rpt_json_object_begin(struct rpt_json *j);
void rpt_json_object_end(struct rpt_json *j);
void rpt_json_array_begin(struct rpt_json *j);
void rpt_json_array_end(struct rpt_json *j);

/* The key of the next member of the current object (a NUL-terminated string). */
void rpt_json_key(struct rpt_json *j, const char *key);

/* A string value; NULL writes null. */
void rpt_json_string(struct rpt_json *j, const char *s);
/* A string value of len bytes (may contain NUL, written as \u0000). */
void rpt_json_string_n(struct rpt_json *j, const char *s, size_t len);

void rpt_json_int(struct rpt_json *j, int64_t v);
void rpt_json_uint(struct rpt_json *j, uint64_t v);
void rpt_json_bool(struct rpt_json *j, int v);
void rpt_json_null(struct rpt_json *j);

/*
 * v rounded to `decimals` places (0..9), always with exactly that many
 * digits after the point ("%.*f" without the locale): 1.5 with 3 -> 1.500.
 * NaN and infinities write null; -0 and values that round to zero write
 * no sign. Magnitudes of 9e18 / 10^decimals and above are written as
 * whole numbers.
 */
void rpt_json_double(struct rpt_json *j, double v, int decimals);

/*
 * The exact decimal units * 10^-decimals (0..18): (12345678, 6) writes
 * 12.345678. For integer quantities in a smaller unit, e.g. nanoseconds
 * written as milliseconds, without any rounding.
 */
void rpt_json_decimal(struct rpt_json *j, int64_t units, int decimals);

#endif
