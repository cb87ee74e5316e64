/*
 * slowest_out.c - the slowest requests in summary.txt and summary.json
 * (reports/slowest.h). Trace ids are written in lower hex as spans.json
 * has them; a request that carried no trace (an uninstrumented client)
 * is listed with trace_id null and no breakdown of its time.
 */
#include "reports/slowest.h"

#include <inttypes.h>
#include <string.h>

#include "base/assert.h"
#include "base/units.h"

#define MS_DECIMALS 6 /* ns written as ms: exact */

/* Lower hex, 32 digits (16 for a 64-bit id), as spans.json writes trace ids. */
static const char *trace_hex(const struct rpt_slow *sl, char buf[33])
{
    if (sl->trace_hi)
        snprintf(buf, 33, "%016" PRIx64 "%016" PRIx64, sl->trace_hi, sl->trace_lo);
    else
        snprintf(buf, 33, "%016" PRIx64, sl->trace_lo);
    return buf;
}

static int traced(const struct rpt_slow *sl)
{
    return sl->trace_hi || sl->trace_lo;
}

static void outcome_text(int outcome, char *buf, size_t size)
{
    FL_ASSERT(buf && size > 0);
    const char *name = rpt_fail_name(outcome);
    if (name)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%d", outcome);
}

void rpt_slowest_print(FILE *out, const struct rpt_run *run)
{
    FL_ASSERT(out && run && (run->slowest || !run->n_slowest));
    if (!run->n_slowest) return;
    fprintf(out, "\nslowest requests\n");
    for (size_t i = 0; i < run->n_slowest; i++) {
        const struct rpt_slow *sl = &run->slowest[i];
        char lat[32], start[32], outc[32], id[33], line[2048];
        fl_format_duration(sl->latency_ns, lat, sizeof lat);
        fl_format_duration(sl->start_ns, start, sizeof start);
        outcome_text(sl->outcome, outc, sizeof outc);
        fprintf(out, "  %zu. %s at %s: %s, %s, %" PRIu32 " %s, trace %s\n", i + 1, sl->route, start,
                lat, outc, sl->tries, sl->tries == 1 ? "try" : "tries",
                traced(sl) ? trace_hex(sl, id) : "none");
        if (traced(sl)) fprintf(out, "     %s\n", rpt_slow_line(sl, line, sizeof line));
    }
}

static void key_ms(struct rpt_json *j, const char *key, int64_t ns)
{
    FL_ASSERT(j && key);
    rpt_json_key(j, key);
    rpt_json_decimal(j, ns, MS_DECIMALS);
}

void rpt_slowest_json(struct rpt_json *j, const struct rpt_run *run)
{
    FL_ASSERT(j && run && (run->slowest || !run->n_slowest));
    if (!run->n_slowest) return;
    rpt_json_key(j, "slowest");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_slowest; i++) {
        const struct rpt_slow *sl = &run->slowest[i];
        char id[33];
        rpt_json_object_begin(j);
        rpt_json_key(j, "trace_id");
        if (traced(sl))
            rpt_json_string(j, trace_hex(sl, id));
        else
            rpt_json_null(j);
        rpt_json_key(j, "route");
        rpt_json_string(j, sl->route);
        key_ms(j, "start_ms", sl->start_ns);
        key_ms(j, "latency_ms", sl->latency_ns);
        rpt_json_key(j, "outcome");
        const char *name = rpt_fail_name(sl->outcome);
        if (name)
            rpt_json_string(j, name);
        else
            rpt_json_int(j, sl->outcome);
        rpt_json_key(j, "tries");
        rpt_json_uint(j, sl->tries);
        key_ms(j, "queue_ms", sl->queue_ns);
        key_ms(j, "service_ms", sl->service_ns);
        key_ms(j, "network_ms", sl->network_ns);
        key_ms(j, "tcp_retransmit_ms", sl->rtx_ns);
        key_ms(j, "backoff_ms", sl->backoff_ns);
        key_ms(j, "other_ms", sl->other_ns);
        rpt_json_key(j, "hops");
        rpt_json_string(j, sl->hops ? sl->hops : "");
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}
