/*
 * pct.h - the percent-encoding of names and arguments in the experiments'
 * line-oriented files (a result line, plan.txt): '%', tab, CR and LF become
 * %XX, so a field never holds a separator.
 */
#ifndef FL_EXP_PCT_H
#define FL_EXP_PCT_H

#include <stdio.h>

/* Writes s to f, encoded. */
void exp_pct_put(FILE *f, const char *s);

/* s decoded (caller frees), or NULL when a '%' is not followed by two hex digits. */
char *exp_pct_decode(const char *s);

#endif
