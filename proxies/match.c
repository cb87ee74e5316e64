/*
 * match.c - string matchers (see match.h): exact, prefix, regex, presence,
 * anything.
 *
 * How: exact and prefix compare bytes (ASCII case folding when asked).
 * Regexes follow Envoy's safe_regex, which is Google RE2 matched against
 * the whole string. They are compiled with PCRE2 in UTF-8 mode, anchored at
 * both ends (PCRE2_ANCHORED | PCRE2_ENDANCHORED), with `$` matching only at
 * the very end (PCRE2_DOLLAR_ENDONLY, as RE2 without (?m)), and with a
 * match and depth limit written into the pattern ((*LIMIT_MATCH=...)), so a
 * pathological pattern cannot stall the simulation. Before compiling, the
 * pattern is scanned for what RE2 does not have, so that a pattern means
 * here what it means in Envoy and a user learns at load time, not in
 * production, that Envoy would refuse it: backreferences (\1..\9, \g, \k,
 * (?P=name)), lookahead and lookbehind, atomic groups, recursion and
 * subroutine calls, conditionals, possessive quantifiers, \C, \G \K \R \X
 * \Z, callouts, comments, branch reset, PCRE's backtracking verbs, inline
 * flags other than i m s U, and counted repetition above 1000 (RE2's limit).
 *
 * Not here: RE2's exact semantics for every corner (PCRE2's leftmost-first
 * alternation and RE2's agree for a whole-string yes/no answer, which is all
 * a matcher returns); a subject that exhausts the match limit counts as no
 * match, where RE2 (linear time) would have answered.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "proxies/match.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"

/* Limits written into every compiled pattern (PCRE2's own defaults are 10,000,000). */
#define RE_LIMITS "(*LIMIT_MATCH=1000000)(*LIMIT_DEPTH=10000)"
/* RE2 refuses counted repetition above this. */
#define RE2_REPEAT_MAX 1000

/* What a "(?" group opener is, or NULL when RE2 has it too. */
static const char *group_unsupported(const char *q)
{
    switch (q[0]) {
    case '=':
    case '!': return "lookahead (?= (?!";
    case '>': return "atomic groups (?>";
    case '(': return "conditional groups (?(";
    case '#': return "comments (?#";
    case '|': return "branch reset groups (?|";
    case 'C': return "callouts (?C";
    case 'R':
    case '&':
    case '+': return "recursion and subroutine calls";
    case '\'': return "named groups written (?'name'";
    case '<':
        if (q[1] == '=' || q[1] == '!') return "lookbehind (?<= (?<!";
        return NULL; /* (?<name> */
    case 'P':
        if (q[1] == '=') return "named backreferences (?P=name)";
        if (q[1] == '>') return "recursion and subroutine calls";
        return NULL; /* (?P<name> */
    default: break;
    }
    if (q[0] >= '0' && q[0] <= '9') return "recursion and subroutine calls";
    if (q[0] == '-' && q[1] >= '0' && q[1] <= '9') return "recursion and subroutine calls";
    /* inline flags: RE2 knows i, m, s and U */
    for (const char *f = q; *f && *f != ')' && *f != ':'; f++)
        if (!strchr("imsU-", *f)) return "inline flags other than i, m, s and U";
    return NULL;
}

/* What an escape \c (outside a class) is, or NULL when RE2 has it too. */
static const char *escape_unsupported(char c)
{
    if (c >= '1' && c <= '9') return "backreferences \\1..\\9";
    switch (c) {
    case 'g': return "backreferences and subroutine calls \\g";
    case 'k': return "named backreferences \\k";
    case 'C': return "\\C (one code unit)";
    case 'G': return "\\G";
    case 'K': return "\\K";
    case 'R': return "\\R";
    case 'X': return "\\X";
    case 'Z': return "\\Z (use \\z)";
    default: return NULL;
    }
}

/*
 * If p starts a counted repetition {n}, {n,} or {n,m}, returns its length
 * and the largest count in *max; otherwise 0 (then '{' is a literal).
 */
static size_t counted_repeat(const char *p, long *max)
{
    FL_ASSERT(p[0] == '{');
    const char *q = p + 1;
    long a = 0, b = -1;
    if (*q < '0' || *q > '9') return 0;
    for (; *q >= '0' && *q <= '9'; q++)
        if (a < 100000) a = a * 10 + (*q - '0');
    if (*q == ',') {
        q++;
        if (*q >= '0' && *q <= '9') b = 0;
        for (; *q >= '0' && *q <= '9'; q++)
            if (b < 100000) b = b * 10 + (*q - '0');
    }
    if (*q != '}') return 0;
    *max = b > a ? b : a;
    return (size_t)(q - p) + 1;
}

/* Skips a character class starting at p ('['); returns the index after its ']'. */
static size_t skip_class(const char *p, const char **why)
{
    FL_ASSERT(p[0] == '[');
    size_t i = 1;
    if (p[i] == '^') i++;
    if (p[i] == ']') i++; /* a leading ']' is literal */
    while (p[i] && p[i] != ']') {
        if (p[i] == '\\' && p[i + 1]) {
            if (p[i + 1] == 'C') *why = "\\C (one code unit)";
            i += 2;
        } else if (p[i] == '[' && p[i + 1] == ':') {
            const char *end = strstr(p + i + 2, ":]");
            i = end ? (size_t)(end - p) + 2 : i + 1;
        } else {
            i++;
        }
    }
    return p[i] ? i + 1 : i;
}

/*
 * Returns a description of the first construct of pattern p that RE2 does
 * not have, or NULL. Malformed patterns are left for PCRE2 to report.
 */
static const char *re2_unsupported(const char *p)
{
    const char *why = NULL;
    size_t i = 0;
    while (p[i] && !why) {
        char c = p[i];
        if (c == '\\') {
            if (!p[i + 1]) break;
            if (p[i + 1] == 'Q') { /* literal text up to \E */
                const char *end = strstr(p + i + 2, "\\E");
                i = end ? (size_t)(end - p) + 2 : strlen(p);
                continue;
            }
            why = escape_unsupported(p[i + 1]);
            i += 2;
        } else if (c == '[') {
            i += skip_class(p + i, &why);
        } else if (c == '(' && p[i + 1] == '?') {
            why = group_unsupported(p + i + 2);
            i += 2;
        } else if (c == '(' && p[i + 1] == '*') {
            why = "PCRE's (*VERB) controls";
        } else if ((c == '*' || c == '+' || c == '?') && p[i + 1] == '+') {
            why = "possessive quantifiers (*+ ++ ?+ {n}+)";
        } else if (c == '{') {
            long max = 0;
            size_t n = counted_repeat(p + i, &max);
            if (n && p[i + n] == '+')
                why = "possessive quantifiers (*+ ++ ?+ {n}+)";
            else if (n && max > RE2_REPEAT_MAX)
                why = "repeat counts above 1000";
            i += n ? n : 1;
        } else {
            i++;
        }
    }
    return why;
}

static int compile_regex(struct px_match *m, const char *value, char **err)
{
    FL_ASSERT(m->kind == PX_MATCH_REGEX && !m->re && value && err);
    const char *why = re2_unsupported(value);
    if (why) {
        *err = fl_asprintf("regex '%s': %s not supported by RE2, the regex engine Envoy uses",
                           value, why);
        return -1;
    }
    char *full = fl_asprintf(RE_LIMITS "%s", value);
    uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
                    PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
    if (m->ignore_case) opts |= PCRE2_CASELESS;
    int code;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)full, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
    free(full);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        size_t at = off >= strlen(RE_LIMITS) ? off - strlen(RE_LIMITS) : 0;
        *err = fl_asprintf("regex '%s': %s (at offset %zu)", value, (const char *)msg, at);
        return -1;
    }
    m->re = re;
    FL_ASSERT(m->re == re);
    m->md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!m->md) {
        fprintf(stderr, "faultline: out of memory\n");
        abort();
    }
    return 0;
}

int px_match_init(struct px_match *m, enum px_match_kind kind, const char *value, int ignore_case,
                  char **err)
{
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->ignore_case = ignore_case;
    if (kind == PX_MATCH_ANY || kind == PX_MATCH_PRESENT) return 0;
    m->value = fl_strdup(value ? value : "");
    if (kind != PX_MATCH_REGEX) return 0;
    FL_ASSERT(m->value);
    if (compile_regex(m, m->value, err)) {
        free(m->value);
        m->value = NULL;
        return -1;
    }
    return 0;
}

void px_match_free(struct px_match *m)
{
    if (m->md) pcre2_match_data_free(m->md);
    if (m->re) pcre2_code_free(m->re);
    free(m->value);
    memset(m, 0, sizeof *m);
}

static int regex_test(const struct px_match *m, const char *s)
{
    FL_ASSERT(m->re && m->md);
    int rc = pcre2_match(m->re, (PCRE2_SPTR)s, strlen(s), 0, 0, m->md, NULL);
    /* no match, a limit reached, or invalid UTF-8 that cannot match: all "no" */
    return rc >= 0;
}

int px_match_test(const struct px_match *m, const char *s)
{
    if (m->kind == PX_MATCH_ANY) return 1;
    if (!s) return 0;
    /* every kind but ANY and PRESENT has its value (px_match_init) */
    FL_ASSERT(m->kind == PX_MATCH_PRESENT || m->value);
    switch (m->kind) {
    case PX_MATCH_PRESENT: return 1;
    case PX_MATCH_EXACT: return m->ignore_case ? !strcasecmp(s, m->value) : !strcmp(s, m->value);
    case PX_MATCH_PREFIX: {
        size_t n = strlen(m->value);
        return m->ignore_case ? !strncasecmp(s, m->value, n) : !strncmp(s, m->value, n);
    }
    case PX_MATCH_REGEX: return regex_test(m, s);
    default: return 0;
    }
}
