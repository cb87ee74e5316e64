/*
 * csv.h - a field of a CSV file (RFC 4180): as it is, or in double quotes
 * with its quotes doubled when it holds a comma, a quote or a line break.
 */
#ifndef FL_REPORTS_CSV_H
#define FL_REPORTS_CSV_H

#include <stdio.h>

void rpt_csv_field(FILE *out, const char *s);

#endif
