/*
 * spans_files.c - span exports as files (spans_files.h).
 */
#include "reports/spans_files.h"

#include <inttypes.h>
#include <string.h>

#include "base/assert.h"
#include "reports/file.h"

struct export_arg {
    const struct rpt_spans *st;
    enum rpt_span_format format;
    const char *const *flag_names;
    int64_t epoch_us;
};

static void write_export(const void *arg, FILE *out)
{
    const struct export_arg *a = arg;
    FL_ASSERT(a->format == RPT_SPANS_ZIPKIN || a->format == RPT_SPANS_OTLP);
    /* a write error shows in out's error flag, which rpt_file_write checks */
    if (a->format == RPT_SPANS_ZIPKIN)
        rpt_spans_write_zipkin(a->st->v, a->st->n, a->epoch_us, a->flag_names, out);
    else
        rpt_spans_write_otlp(a->st->v, a->st->n, a->epoch_us, a->flag_names, out);
}

int rpt_spans_file(struct rpt_spans *st, enum rpt_span_format format, const char *const *flag_names,
                   int64_t epoch_us, const char *dir, const char *name, char **err)
{
    FL_ASSERT(st && dir && name && err && st->n <= st->cap);
    rpt_spans_sort(st);
    struct export_arg a = {st, format, flag_names, epoch_us};
    return rpt_file_write(dir, name, write_export, &a, err);
}

size_t rpt_spans_traces(const struct rpt_span *v, size_t n)
{
    FL_ASSERT(v || !n);
    size_t traces = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || v[i].trace_hi != v[i - 1].trace_hi || v[i].trace_lo != v[i - 1].trace_lo)
            traces++;
    return traces;
}

int rpt_spans_write_run(struct rpt_run *run, const char *dir, char **err)
{
    FL_ASSERT(run && dir && err);
    const char *const *names = run->flag_names;
    if (rpt_spans_file(&run->spans, RPT_SPANS_ZIPKIN, names, RPT_SPAN_EPOCH_US, dir, "spans.json",
                       err) < 0)
        return -1;
    if (rpt_spans_file(&run->spans, RPT_SPANS_OTLP, names, RPT_SPAN_EPOCH_US, dir,
                       "spans.otlp.json", err) < 0)
        return -1;
    run->spans_written = 1;
    return 0;
}

const char *rpt_spans_sampling(const struct rpt_run *run, char *buf, size_t size)
{
    FL_ASSERT(run && buf && size > 0);
    if (run->trace_sample >= 0)
        snprintf(buf, size, "tracing.sample %g%%", run->trace_sample);
    else
        snprintf(buf, size, "sampled as the gateway's and mesh's tracing settings say");
    return buf;
}

void rpt_spans_print(FILE *out, const struct rpt_run *run)
{
    FL_ASSERT(out && run && run->spans.n <= run->spans.cap);
    const struct rpt_spans *st = &run->spans;
    if (!run->spans_written || (!st->n && !st->dropped && run->trace_sample < 0)) return;
    char how[96];
    fprintf(out, "\nspans: %zu kept, of %zu traces (%s), in spans.json and spans.otlp.json", st->n,
            rpt_spans_traces(st->v, st->n), rpt_spans_sampling(run, how, sizeof how));
    if (st->dropped)
        fprintf(out, "; %" PRIu64 " more dropped past the cap of %d", st->dropped, RPT_SPANS_MAX);
    fputc('\n', out);
}
