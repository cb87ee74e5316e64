/*
 * retries.c - the clients' retry counters in the summaries (see retries.h).
 */
#include <inttypes.h>

#include "base/assert.h"
#include "reports/retries.h"

static int row_used(const struct rpt_retry_count *c)
{
    return c->retries || c->denied || c->throttled;
}

static int any_used(const struct rpt_run *run)
{
    FL_ASSERT(run->retry_counts || !run->n_retry_counts);
    for (size_t i = 0; i < run->n_retry_counts; i++)
        if (row_used(&run->retry_counts[i])) return 1;

    return 0;
}

void rpt_retries_print(FILE *out, const struct rpt_run *run)
{
    if (!any_used(run)) return;
    fprintf(out, "\nclient retries:\n");
    for (size_t i = 0; i < run->n_retry_counts; i++) {
        const struct rpt_retry_count *c = &run->retry_counts[i];
        if (!row_used(c)) continue;
        FL_ASSERT(c->who != NULL);
        fprintf(out, "  %s: %" PRIu64 " retries", c->who, c->retries);
        if (c->denied) fprintf(out, ", %" PRIu64 " denied by the budget", c->denied);
        if (c->throttled) fprintf(out, ", %" PRIu64 " throttled", c->throttled);
        fputc('\n', out);
    }
}

void rpt_retries_json(struct rpt_json *j, const struct rpt_run *run)
{
    if (!any_used(run)) return;
    rpt_json_key(j, "client_retries");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_retry_counts; i++) {
        const struct rpt_retry_count *c = &run->retry_counts[i];
        if (!row_used(c)) continue;
        FL_ASSERT(c->who != NULL);
        rpt_json_object_begin(j);
        rpt_json_key(j, "client");
        rpt_json_string(j, c->who);
        rpt_json_key(j, "retries");
        rpt_json_uint(j, c->retries);
        rpt_json_key(j, "budget_denied");
        rpt_json_uint(j, c->denied);
        rpt_json_key(j, "throttled");
        rpt_json_uint(j, c->throttled);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}
