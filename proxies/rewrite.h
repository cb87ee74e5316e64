/*
 * rewrite.h - Envoy's regex_rewrite (RegexMatchAndSubstitute), which
 * istiod writes for a VirtualService's rewrite.uriRegexRewrite: every
 * non-overlapping match of the pattern in the path is replaced by the
 * substitution, where \0..\9 stand for the match and its groups (RE2's
 * GlobalReplace). The pattern is RE2 syntax, checked as px_match checks
 * regexes, and compiled with PCRE2.
 */
#ifndef FL_PROXIES_REWRITE_H
#define FL_PROXIES_REWRITE_H

#include <stddef.h>

struct px_regex_rewrite {
    char *pattern, *substitution; /* as given */
    char *pcre_subst;             /* the substitution in PCRE2's syntax ($1, $$) */
    void *re, *md;                /* pcre2_code, pcre2_match_data */
};

/*
 * Compiles pattern and substitution into rw. Returns 0, or -1 with *err
 * (caller frees) naming what RE2 or PCRE2 refuse; rw is then empty.
 */
int px_regex_rewrite_init(struct px_regex_rewrite *rw, const char *pattern,
                          const char *substitution, char **err);

/* The rewritten path (caller frees), or NULL when the pattern does not match (path unchanged). */
char *px_regex_rewrite_apply(const struct px_regex_rewrite *rw, const char *path);

/* A copy of src into dst (compiled again). */
void px_regex_rewrite_copy(struct px_regex_rewrite *dst, const struct px_regex_rewrite *src);

void px_regex_rewrite_free(struct px_regex_rewrite *rw);

#endif
