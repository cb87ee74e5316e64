/*
 * timeline.c - the event log in the summaries (timeline.h). Entries keep
 * the run's order (time order); the counts per kind are listed in order of
 * each kind's first entry, so both outputs are functions of the log alone.
 */
#include "reports/timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"

#define MS_DECIMALS 6

void rpt_timeline_json(struct rpt_json *j, const struct rpt_run *run)
{
    rpt_json_key(j, "timeline");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_timeline; i++) {
        const struct rpt_event *e = &run->timeline[i];
        FL_ASSERT(e->what && (i == 0 || e->at_ns >= run->timeline[i - 1].at_ns));
        rpt_json_object_begin(j);
        rpt_json_key(j, "t_ms");
        rpt_json_decimal(j, e->at_ns, MS_DECIMALS);
        rpt_json_key(j, "event");
        rpt_json_string(j, e->what);
        rpt_json_key(j, "subject");
        rpt_json_string(j, e->subject ? e->subject : "");
        rpt_json_key(j, "detail");
        rpt_json_string(j, e->detail ? e->detail : "");
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
    if (run->timeline_dropped) {
        rpt_json_key(j, "timeline_dropped");
        rpt_json_uint(j, run->timeline_dropped);
    }
}

/* "events 14: fault-start 2, fault-end 2, eject 10". */
static void print_counts(FILE *out, const struct rpt_run *run)
{
    const char **kinds = fl_calloc(run->n_timeline, sizeof *kinds);
    uint64_t *counts = fl_calloc(run->n_timeline, sizeof *counts);
    size_t n = 0;
    for (size_t i = 0; i < run->n_timeline; i++) {
        size_t k = 0;
        while (k < n && strcmp(kinds[k], run->timeline[i].what)) k++;
        if (k == n) kinds[n++] = run->timeline[i].what;
        counts[k]++;
    }
    FL_ASSERT(n >= 1 && n <= run->n_timeline); /* called only with events */
    fprintf(out, "events %zu:", run->n_timeline);
    for (size_t k = 0; k < n; k++)
        fprintf(out, "%s %s %" PRIu64, k ? "," : "", kinds[k], counts[k]);
    if (run->timeline_dropped) fprintf(out, " (and %" PRIu64 " not kept)", run->timeline_dropped);
    fputc('\n', out);
    free(kinds);
    free(counts);
}

void rpt_timeline_print(FILE *out, const struct rpt_run *run)
{
    if (!run->n_timeline) return;
    print_counts(out, run);
    size_t shown = run->n_timeline < RPT_TIMELINE_LINES ? run->n_timeline : RPT_TIMELINE_LINES;
    FL_ASSERT(run->timeline && shown <= run->n_timeline);

    for (size_t i = 0; i < shown; i++) {
        const struct rpt_event *e = &run->timeline[i];
        char t[32];
        fl_format_duration(e->at_ns, t, sizeof t);
        fprintf(out, "  %10s  %-11s  %s  %s\n", t, e->what, e->subject ? e->subject : "",
                e->detail ? e->detail : "");
    }
    if (shown < run->n_timeline)
        fprintf(out, "  ... %zu more in summary.json\n", run->n_timeline - shown);
}
