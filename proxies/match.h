/*
 * match.h - string matchers as Istio's StringMatch and Kong's route paths
 * use them: exact, prefix, regex (RE2 syntax, whole-string match, as
 * Envoy's safe_regex), presence, and match-anything.
 *
 * Regexes are compiled with PCRE2, anchored at both ends; constructs RE2
 * does not have (backreferences, lookaround, atomic groups, recursion,
 * possessive quantifiers, \C) are refused at compile time, so a pattern
 * means here what it means in Envoy.
 */
#ifndef FL_PROXIES_MATCH_H
#define FL_PROXIES_MATCH_H

enum px_match_kind {
    PX_MATCH_ANY, /* matches everything, absent included */
    PX_MATCH_EXACT,
    PX_MATCH_PREFIX,
    PX_MATCH_REGEX,
    PX_MATCH_PRESENT, /* any value, as long as there is one (Istio's empty StringMatch) */
};

struct px_match {
    enum px_match_kind kind;
    char *value; /* exact / prefix / regex text */
    int ignore_case;
    void *re; /* compiled regex (pcre2_code) */
    void *md; /* its match data */
};

/*
 * Prepares a matcher (value copied). Returns 0, or -1 with *err set to a
 * message (caller frees) for a regex that does not compile or is not RE2.
 */
int px_match_init(struct px_match *m, enum px_match_kind kind, const char *value, int ignore_case,
                  char **err);
void px_match_free(struct px_match *m);

/* 1 if s matches; s NULL means absent (only PX_MATCH_ANY matches it). */
int px_match_test(const struct px_match *m, const char *s);

#endif
