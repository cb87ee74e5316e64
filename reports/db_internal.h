/*
 * db_internal.h - what the writer (db_write.c) and the reader (db_read.c)
 * of run.db share: the schema, and the encodings of the values that are
 * not plain numbers or text (db_codec.c).
 */
#ifndef FL_REPORTS_DB_INTERNAL_H
#define FL_REPORTS_DB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "reports/results.h"

/* The tables and indexes (docs/database.md), as one script of CREATE statements. */
extern const char rpt_db_schema[];
/* The indexes, made once the rows are in. */
extern const char rpt_db_indexes[];

/* Scopes of the `outcomes` and `flags` tables, and of `series`. */
#define RPT_DB_ALL     "all"
#define RPT_DB_ROUTE   "route"
#define RPT_DB_SERVICE "service"
#define RPT_DB_WINDOW  "assertion"
#define RPT_DB_CLUSTER "cluster"
#define RPT_DB_EDGE    "edge"

/*
 * A histogram as a blob: count, min, max, the sum (low and high 64 bits),
 * the number of buckets, then (index u32, count u64) for every nonzero
 * bucket, all little-endian. Returns a buffer the caller frees.
 */
unsigned char *rpt_db_hist_encode(const struct rpt_hist *h, size_t *len);
/* Fills h (initialised, empty) from a blob; returns 0, or -1 when it does not fit h. */
int rpt_db_hist_decode(struct rpt_hist *h, const unsigned char *b, size_t len);

/* uint32 values as a little-endian blob (caller frees), and back (NULL on a bad length). */
unsigned char *rpt_db_u32_encode(const uint32_t *v, size_t n, size_t *len);
uint32_t *rpt_db_u32_decode(const unsigned char *b, size_t len, size_t *n);

/* A trace id as 32 lower-hex digits (16 when trace_hi is 0 is not used: always 32). */
void rpt_db_trace_hex(uint64_t hi, uint64_t lo, char buf[33]);
void rpt_db_id_hex(uint64_t id, char buf[17]);
/* Parses 1..32 hex digits into hi/lo (0 on success, -1 otherwise). */
int rpt_db_hex_parse(const char *s, uint64_t *hi, uint64_t *lo);

/* The flag bits as their names joined by ',' ("" for none), into buf. */
const char *rpt_db_flags_text(uint32_t bits, const char *const *names, char *buf, size_t size);
/* The bits of such a text; -1 when a name is not one of names. */
int64_t rpt_db_flags_parse(const char *text, const char *const *names);

/* An outcome as stored: the failure's name, or the status in decimal, into buf. */
const char *rpt_db_outcome_text(int code, char *buf, size_t size);
/* The outcome code of such a text (-1 when it is neither). */
int rpt_db_outcome_parse(const char *text);

/*
 * The counters table's rows (schema version 2): a name and where its value
 * lives in struct rpt_run (db_schema.c).
 */
struct rpt_db_counter {
    const char *name;
    size_t offset; /* of a uint64_t in struct rpt_run */
};
extern const struct rpt_db_counter rpt_db_counters[];
extern const size_t rpt_db_n_counters;

#endif
