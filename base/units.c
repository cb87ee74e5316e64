/*
 * units.c - parsing and printing of unit-bearing numbers (see units.h).
 *
 * The number is read by hand (digits, one optional '.', digits) rather than
 * with strtod, so that "1e3s", "0x10ms", "inf" or a locale's decimal comma
 * are rejected rather than half-accepted.
 */
#include "base/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"

struct unit {
    const char *name;
    double scale;
};

/*
 * Reads [digits][.digits] from *s; returns 0 and advances, or
 * FL_UNITS_ENUMBER/ENEGATIVE/ERANGE. The digits are gathered as one integer
 * and divided once by a power of ten (exact up to 1e22), so a number of up
 * to 15 significant digits reads as the nearest double, as a C literal
 * would: "0.3" is 0.3, where adding 3 * 0.1 would give 0.30000000000000004.
 * Fraction digits past the 22nd are ignored (below 1e-22).
 */
static int read_number(const char **s, double *out)
{
    FL_ASSERT(s && *s && out);
    const char *p = *s;
    while (*p == ' ') p++;
    if (*p == '-') return FL_UNITS_ENEGATIVE;
    if (*p == '+') p++;
    double mant = 0, scale = 1;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) mant = mant * 10 + (*p - '0');
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            if (scale >= 1e22) continue;
            mant = mant * 10 + (*p - '0');
            scale *= 10;
        }
    }
    if (!digits) return FL_UNITS_ENUMBER;
    double v = mant / scale;
    if (!isfinite(v)) return FL_UNITS_ERANGE;
    while (*p == ' ') p++;
    FL_ASSERT(v >= 0 && p > *s); /* a number without sign was read */
    *s = p;
    *out = v;
    return 0;
}

/* Looks up the rest of the string (trailing spaces allowed) in a unit table. */
static int read_unit(const char *s, const struct unit *units, double *scale)
{
    FL_ASSERT(s && units && scale);
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ') n--;
    if (n == 0) return FL_UNITS_ENOUNIT;
    for (const struct unit *u = units; u->name; u++) {
        if (strlen(u->name) == n && strncmp(u->name, s, n) == 0) {
            *scale = u->scale;
            FL_ASSERT(*scale > 0);
            return 0;
        }
    }
    return FL_UNITS_EUNIT;
}

static int parse_with(const char *s, const struct unit *units, double *out)
{
    if (!s || !*s) return FL_UNITS_EEMPTY;
    double v, scale;
    int rc = read_number(&s, &v);
    if (rc) return rc;
    rc = read_unit(s, units, &scale);
    if (rc) return rc;
    v *= scale;
    if (!isfinite(v)) return FL_UNITS_ERANGE;
    FL_ASSERT(v >= 0);
    *out = v;
    return 0;
}

static const struct unit duration_units[] = {
    {"ns", 1},  {"us", 1e3}, {"µs", 1e3},   {"ms", 1e6},
    {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {NULL, 0},
};

int fl_parse_duration(const char *s, int64_t *ns_out)
{
    double v;
    int rc = parse_with(s, duration_units, &v);
    if (rc) return rc;
    if (v >= 9.2e18) return FL_UNITS_ERANGE;
    *ns_out = (int64_t)llround(v);
    FL_ASSERT(*ns_out >= 0);
    return 0;
}

static const struct unit rate_units[] = {
    {"/s", 1}, {"/ms", 1e3}, {"/m", 1.0 / 60}, {"/min", 1.0 / 60}, {"/h", 1.0 / 3600}, {NULL, 0},
};

int fl_parse_rate(const char *s, double *per_s_out)
{
    return parse_with(s, rate_units, per_s_out);
}

int fl_parse_fraction(const char *s, double *out)
{
    static const struct unit units[] = {{"%", 0.01}, {NULL, 0}};
    if (!s || !*s) return FL_UNITS_EEMPTY;
    const char *p = s;
    double v;
    int rc = read_number(&p, &v);
    if (rc) return rc;
    if (*p) {
        double scale;
        rc = read_unit(p, units, &scale);
        if (rc) return rc;
        v *= scale;
    }
    if (v > 1.0) return FL_UNITS_EFRACTION;
    FL_ASSERT(v >= 0 && v <= 1);
    *out = v;
    return 0;
}

static const struct unit size_units[] = {
    {"B", 1},           {"KB", 1e3},           {"MB", 1e6}, {"GB", 1e9}, {"KiB", 1024.0},
    {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"kB", 1e3}, {NULL, 0},
};

int fl_parse_size(const char *s, int64_t *bytes_out)
{
    double v;
    int rc = parse_with(s, size_units, &v);
    if (rc) return rc;
    if (v >= 9.2e18) return FL_UNITS_ERANGE;
    *bytes_out = (int64_t)llround(v);
    FL_ASSERT(*bytes_out >= 0);
    return 0;
}

static const struct unit bandwidth_units[] = {
    {"bit", 1},    {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"bps", 8},    {"kbps", 8e3},
    {"mbps", 8e6}, {"gbps", 8e9}, {"Kbit", 1e3}, {"Mbit", 1e6}, {"Gbit", 1e9}, {NULL, 0},
};

int fl_parse_bandwidth(const char *s, double *bps_out)
{
    return parse_with(s, bandwidth_units, bps_out);
}

static const char *unit_list(enum fl_units_kind kind)
{
    switch (kind) {
    case FL_UNITS_DURATION: return "ns, us, ms, s, m or h, e.g. 250ms";
    case FL_UNITS_RATE: return "/s, /ms, /m or /h, e.g. 2000/s";
    case FL_UNITS_FRACTION: return "a fraction like 0.005 or a percentage like 0.5%";
    case FL_UNITS_SIZE: return "B, KB, MB, GB, KiB, MiB or GiB, e.g. 4KiB";
    case FL_UNITS_BANDWIDTH:
        return "bit, kbit, mbit, gbit (or bps, kbps, mbps, gbps), e.g. 100mbit";
    }
    return "";
}

const char *fl_units_strerror(int code, enum fl_units_kind kind)
{
    static char buf[160];
    const char *what;
    switch (code) {
    case FL_UNITS_OK: return "ok";
    case FL_UNITS_EEMPTY: what = "empty value"; break;
    case FL_UNITS_ENUMBER: what = "not a number"; break;
    case FL_UNITS_ENOUNIT: what = "missing unit"; break;
    case FL_UNITS_EUNIT: what = "unknown unit"; break;
    case FL_UNITS_ENEGATIVE: what = "must not be negative"; break;
    case FL_UNITS_ERANGE: what = "too large"; break;
    case FL_UNITS_EFRACTION: what = "a fraction above 1 (100%)"; break;
    default: what = "invalid value"; break;
    }
    snprintf(buf, sizeof buf, "%s (use %s)", what, unit_list(kind));
    return buf;
}

/* Rounds a to 4 significant digits (half up), so that a unit is chosen after rounding. */
static uint64_t round_4_digits(uint64_t a)
{
    uint64_t p = 1;
    while (a / p >= 10000) p *= 10;
    FL_ASSERT(p >= 1 && a / p < 10000);
    return (a + p / 2) / p * p;
}

/* Drops the trailing zeros of a decimal fraction, and the point if nothing follows it. */
static void strip_zeros(char *num)
{
    if (!strchr(num, '.')) return;
    size_t n = strlen(num);
    FL_ASSERT(num[0] != '.'); /* a digit before the point stops the loops */
    while (num[n - 1] == '0') n--;
    if (num[n - 1] == '.') n--;
    FL_ASSERT(n > 0);
    num[n] = '\0';
}

char *fl_format_duration(int64_t ns, char *buf, size_t size)
{
    static const struct {
        const char *name;
        uint64_t scale;
    } u[] = {{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
    FL_ASSERT(buf && size > 0);
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
    uint64_t r = round_4_digits(a);
    if (r >= UINT64_C(60000000000)) {
        unsigned long long s = (a + 500000000) / 1000000000;
        if (s >= 3600)
            snprintf(buf, size, "%s%lluh%02llum", sign, s / 3600, s % 3600 / 60);
        else
            snprintf(buf, size, "%s%llum%02llus", sign, s / 60, s % 60);
        return buf;
    }
    size_t i = 0;
    while (i < 3 && r < u[i].scale) i++;
    FL_ASSERT(i <= 3 && (i == 3 || r >= u[i].scale));

    /* r has 4 significant digits and x < 1000, so 4 printed digits are exact */
    double x = (double)r / (double)u[i].scale;
    char num[32];
    snprintf(num, sizeof num, "%.*f", x >= 100 ? 1 : x >= 10 ? 2 : 3, x);
    strip_zeros(num);
    snprintf(buf, size, "%s%s%s", sign, num, u[i].name);
    return buf;
}
