/*
 * slowest.c - the slowest requests of a run, and where their time went.
 */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "reports/spans.h"

void rpt_slow_free(struct rpt_slow *sl)
{
    FL_ASSERT(sl && (sl->spans || !sl->n_spans));
    free(sl->route);
    free(sl->hops);
    free(sl->spans);
    memset(sl, 0, sizeof *sl);
}
