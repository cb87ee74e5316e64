/*
 * rewrite.c - Envoy's regex_rewrite of the path (see rewrite.h).
 *
 * RE2's substitution writes \N for group N and \\ for a backslash; PCRE2's
 * pcre2_substitute writes ${N} and $$: the substitution is translated once.
 * The pattern goes through px_match_init first so that what RE2 would
 * refuse (backreferences, lookaround...) is refused here with the same
 * message, then is compiled unanchored, with the same match limits.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "proxies/rewrite.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/match.h"

#define RE_LIMITS   "(*LIMIT_MATCH=1000000)(*LIMIT_DEPTH=10000)"
#define REWRITE_MAX 8192 /* the longest rewritten path */

/* \N -> ${N}, \\ -> \, $ -> $$; NULL with *err for a stray backslash. */
static char *pcre_substitution(const char *s, char **err)
{
    size_t cap = strlen(s) * 4 + 1, n = 0;
    char *out = fl_malloc(cap);
    for (; *s; s++) {
        if (*s == '$') {
            out[n++] = '$';
            out[n++] = '$';
        } else if (*s == '\\' && s[1] >= '0' && s[1] <= '9') {
            n += (size_t)snprintf(out + n, cap - n, "${%c}", s[1]);
            s++;
        } else if (*s == '\\' && s[1] == '\\') {
            out[n++] = '\\';
            s++;
        } else if (*s == '\\') {
            free(out);
            *err = fl_strdup("a backslash must be followed by a digit or a backslash (RE2)");
            return NULL;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return out;
}

int px_regex_rewrite_init(struct px_regex_rewrite *rw, const char *pattern,
                          const char *substitution, char **err)
{
    struct px_match check;
    memset(rw, 0, sizeof *rw);
    if (px_match_init(&check, PX_MATCH_REGEX, pattern, 0, err)) return -1;
    px_match_free(&check);
    char *subst = pcre_substitution(substitution, err);
    if (!subst) return -1;
    char *full = fl_asprintf(RE_LIMITS "%s", pattern);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)full, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
                                   &code, &off, NULL);
    free(full);
    FL_ASSERT(re != NULL); /* px_match_init compiled the same pattern */
    rw->re = re;
    rw->md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!rw->md) {
        fprintf(stderr, "faultline: out of memory\n");
        abort();
    }
    rw->pattern = fl_strdup(pattern);
    rw->substitution = fl_strdup(substitution);
    rw->pcre_subst = subst;
    return 0;
}

char *px_regex_rewrite_apply(const struct px_regex_rewrite *rw, const char *path)
{
    FL_ASSERT(rw->re != NULL && path != NULL);
    char *out = fl_malloc(REWRITE_MAX);
    PCRE2_SIZE len = REWRITE_MAX;
    int rc = pcre2_substitute(rw->re, (PCRE2_SPTR)path, PCRE2_ZERO_TERMINATED, 0,
                              PCRE2_SUBSTITUTE_GLOBAL, rw->md, NULL, (PCRE2_SPTR)rw->pcre_subst,
                              PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)out, &len);
    if (rc <= 0) { /* no match, or a result too long (left unchanged) */
        free(out);
        return NULL;
    }
    return out;
}

void px_regex_rewrite_copy(struct px_regex_rewrite *dst, const struct px_regex_rewrite *src)
{
    char *err = NULL;
    memset(dst, 0, sizeof *dst);
    if (!src->re) return;
    int rc = px_regex_rewrite_init(dst, src->pattern, src->substitution, &err);
    FL_ASSERT(rc == 0); /* it compiled once already */
    free(err);
}

void px_regex_rewrite_free(struct px_regex_rewrite *rw)
{
    if (rw->md) pcre2_match_data_free(rw->md);
    if (rw->re) pcre2_code_free(rw->re);
    free(rw->pattern);
    free(rw->substitution);
    free(rw->pcre_subst);
    memset(rw, 0, sizeof *rw);
}
