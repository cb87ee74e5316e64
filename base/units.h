/*
 * units.h - the unit-bearing numbers of scenario files and command lines.
 *
 *   durations  250ns 40us 5ms 1.5s 2m 1h        -> int64 nanoseconds
 *   rates      2000/s 100/m 5/h 3/ms            -> per second (double)
 *   fractions  0.5% or 0.005                    -> [0, 1]
 *   sizes      512B 4KiB 1MiB 1GiB 1KB 1MB      -> bytes (KB = 1000, KiB = 1024)
 *   bandwidth  100mbit 1gbit 56kbit 9600bit 1gbps 10mbps -> bits per second
 *
 * A number without a unit where a unit is needed is an error, and so is a
 * negative value, a value that overflows, trailing text, or an unknown unit.
 * Parsing never depends on the locale (the decimal point is '.').
 *
 * Every parser returns 0 and writes *out, or a negative FL_UNITS_E* code;
 * fl_units_strerror() says what is wrong in words a user can act on (it
 * lists the units accepted).
 */
#ifndef FL_BASE_UNITS_H
#define FL_BASE_UNITS_H

#include <stddef.h>
#include <stdint.h>

enum {
    FL_UNITS_OK = 0,
    FL_UNITS_EEMPTY = -1,    /* empty string */
    FL_UNITS_ENUMBER = -2,   /* does not start with a number */
    FL_UNITS_ENOUNIT = -3,   /* a number without its unit */
    FL_UNITS_EUNIT = -4,     /* unknown unit */
    FL_UNITS_ENEGATIVE = -5, /* below zero */
    FL_UNITS_ERANGE = -6,    /* too large to represent */
    FL_UNITS_EFRACTION = -7, /* a fraction above 1 (or 100%) */
};

/* kind: which parser produced the error, so the message can list the right units */
enum fl_units_kind {
    FL_UNITS_DURATION,
    FL_UNITS_RATE,
    FL_UNITS_FRACTION,
    FL_UNITS_SIZE,
    FL_UNITS_BANDWIDTH,
};

int fl_parse_duration(const char *s, int64_t *ns_out);
int fl_parse_rate(const char *s, double *per_s_out);
int fl_parse_fraction(const char *s, double *out);
int fl_parse_size(const char *s, int64_t *bytes_out);
int fl_parse_bandwidth(const char *s, double *bps_out);

/* A sentence for an error code, e.g. "missing unit (use ns, us, ms, s, m or h)". */
const char *fl_units_strerror(int code, enum fl_units_kind kind);

/*
 * Writes a duration the way a person reads it: "0ns", "850ns", "12.3us",
 * "4.56ms", "1.5s", "2m30s"... at most 4 significant digits. Returns buf.
 */
char *fl_format_duration(int64_t ns, char *buf, size_t size);

#endif
