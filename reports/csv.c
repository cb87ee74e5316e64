/*
 * csv.c - a CSV field (csv.h).
 */
#include "reports/csv.h"

#include <string.h>

#include "base/assert.h"

void rpt_csv_field(FILE *out, const char *s)
{
    FL_ASSERT(out && s);
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
