/*
 * json.c - the streaming JSON writer of json.h.
 *
 * State: a stack of open containers, each remembering whether it is an
 * object and whether it has a member yet (so the next one needs a comma).
 * Every value goes through before_value(), which writes the separator and
 * checks the value is allowed there, and after_value(), which marks the
 * document complete when the value was the top-level one.
 *
 * Numbers are formatted from integers only ("%" PRIu64 has no locale
 * dependence; "%f" would take the locale's decimal point).
 *
 * Not here: pretty-printing choices beyond a fixed indent, and key
 * uniqueness (the caller writes each key once).
 */
#include "reports/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "base/assert.h"

void rpt_json_init(struct rpt_json *j, FILE *out, int indent)
{
    FL_ASSERT(out && indent >= 0);
    memset(j, 0, sizeof *j);
    j->out = out;
    j->indent = indent;
}

int rpt_json_end(struct rpt_json *j)
{
    FL_ASSERT(j->depth == 0 && j->done);
    fputc('\n', j->out);
    return ferror(j->out) ? -1 : 0;
}

static void newline(struct rpt_json *j)
{
    if (!j->indent) return;
    fputc('\n', j->out);
    for (int i = 0; i < j->depth * j->indent; i++) fputc(' ', j->out);
}

/* Before a member of the innermost container: a comma after the first, then the indent. */
static void separator(struct rpt_json *j)
{
    int top = j->depth - 1;
    if (j->has_member[top]) fputc(',', j->out);
    j->has_member[top] = 1;
    newline(j);
}

static void before_value(struct rpt_json *j)
{
    if (j->depth == 0) {
        FL_ASSERT(!j->done); /* one top-level value per document */
        return;
    }
    if (j->is_object[j->depth - 1]) {
        FL_ASSERT(j->after_key); /* an object member needs its key first */
        j->after_key = 0;
        return;
    }
    separator(j);
}

static void after_value(struct rpt_json *j)
{
    if (j->depth == 0) j->done = 1;
}

static void open_container(struct rpt_json *j, int is_object)
{
    before_value(j);
    FL_ASSERT(j->depth < RPT_JSON_DEPTH_MAX);
    fputc(is_object ? '{' : '[', j->out);
    j->is_object[j->depth] = (unsigned char)is_object;
    j->has_member[j->depth] = 0;
    j->depth++;
}

static void close_container(struct rpt_json *j, int is_object)
{
    FL_ASSERT(j->depth > 0 && j->is_object[j->depth - 1] == is_object);
    FL_ASSERT(!j->after_key); /* a key without its value */
    int had_members = j->has_member[j->depth - 1];
    j->depth--;
    if (had_members) newline(j);
    fputc(is_object ? '}' : ']', j->out);
    after_value(j);
}

void rpt_json_object_begin(struct rpt_json *j)
{
    open_container(j, 1);
}

void rpt_json_object_end(struct rpt_json *j)
{
    close_container(j, 1);
}

void rpt_json_array_begin(struct rpt_json *j)
{
    open_container(j, 0);
}

void rpt_json_array_end(struct rpt_json *j)
{
    close_container(j, 0);
}

/*
 * The length of the valid UTF-8 sequence at s (n bytes left), or 0 if the
 * bytes there are not one: bad lead or continuation bytes, truncation,
 * overlong forms, surrogates and code points above U+10FFFF (RFC 3629).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xc2 || c > 0xf4) return 0; /* a continuation byte, an overlong lead, or too big */
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    uint32_t cp = c & (0x7fu >> len); /* the lead byte's payload bits */
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

static void escape_byte(FILE *out, unsigned char c)
{
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default: fprintf(out, "\\u%04x", c); break;
    }
}

static int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static void write_string(FILE *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    fputc('"', out);
    while (i < len) {
        size_t run = i;
        while (run < len && plain(s[run])) run++;
        fwrite(s + i, 1, run - i, out);
        i = run;
        if (i == len) break;
        if (s[i] < 0x80) {
            escape_byte(out, s[i++]);
            continue;
        }
        size_t n = utf8_len(s + i, len - i);
        if (n)
            fwrite(s + i, 1, n, out);
        else
            fputs("\\ufffd", out); /* one replacement per invalid byte */
        i += n ? n : 1;
    }
    fputc('"', out);
}

void rpt_json_key(struct rpt_json *j, const char *key)
{
    FL_ASSERT(key && j->depth > 0 && j->is_object[j->depth - 1] && !j->after_key);
    separator(j);
    write_string(j->out, key, strlen(key));
    fputs(j->indent ? ": " : ":", j->out);
    j->after_key = 1;
}

void rpt_json_string_n(struct rpt_json *j, const char *s, size_t len)
{
    FL_ASSERT(s || len == 0);
    before_value(j);
    write_string(j->out, s ? s : "", len);
    after_value(j);
}

void rpt_json_string(struct rpt_json *j, const char *s)
{
    if (!s)
        rpt_json_null(j);
    else
        rpt_json_string_n(j, s, strlen(s));
}

void rpt_json_int(struct rpt_json *j, int64_t v)
{
    before_value(j);
    fprintf(j->out, "%" PRId64, v);
    after_value(j);
}

void rpt_json_uint(struct rpt_json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->out, "%" PRIu64, v);
    after_value(j);
}

void rpt_json_bool(struct rpt_json *j, int v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->out);
    after_value(j);
}

void rpt_json_null(struct rpt_json *j)
{
    before_value(j);
    fputs("null", j->out);
    after_value(j);
}

static uint64_t pow10_u64(int n)
{
    uint64_t p = 1;
    while (n-- > 0) p *= 10;
    return p;
}

/* units * 10^-decimals, exactly: sign, integer part, '.', zero-padded fraction. */
static void write_decimal(FILE *out, int64_t units, int decimals)
{
    uint64_t mag = units < 0 ? -(uint64_t)units : (uint64_t)units;
    uint64_t p = pow10_u64(decimals);
    if (units < 0) fputc('-', out);
    fprintf(out, "%" PRIu64, mag / p);
    if (decimals > 0) fprintf(out, ".%0*" PRIu64, decimals, mag % p);
}

void rpt_json_decimal(struct rpt_json *j, int64_t units, int decimals)
{
    FL_ASSERT(decimals >= 0 && decimals <= 18);
    before_value(j);
    write_decimal(j->out, units, decimals);
    after_value(j);
}

void rpt_json_double(struct rpt_json *j, double v, int decimals)
{
    FL_ASSERT(decimals >= 0 && decimals <= 9);
    if (!isfinite(v)) {
        rpt_json_null(j);
        return;
    }
    before_value(j);
    double scaled = v * (double)pow10_u64(decimals);
    if (fabs(scaled) < 9e18)
        write_decimal(j->out, (int64_t)llround(scaled), decimals);
    else
        fprintf(j->out, "%.0f", v); /* a whole number: no decimal point, so no locale */
    after_value(j);
}
