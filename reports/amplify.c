/*
 * amplify.c - retry amplification per hop in summary.txt and summary.json
 * (amplify.h). A run where a proxy retried never shows 1.00x alone: the
 * headline then gives the end-to-end figure beside the client's, and a
 * line below gives every hop.
 */
#include "reports/amplify.h"

#include <string.h>

#include "base/assert.h"

#define RATIO_DECIMALS 6

static int has_gateway(const struct rpt_run *run)
{
    FL_ASSERT(run->hops || !run->n_hops);
    for (size_t i = 0; i < run->n_hops; i++)
        if (!strncmp(run->hops[i].name, "gateway ", 8)) return 1;

    return 0;
}

static void key_ratio(struct rpt_json *j, const char *key, double v)
{
    rpt_json_key(j, key);
    if (v >= 0)
        rpt_json_double(j, v, RATIO_DECIMALS);
    else
        rpt_json_null(j); /* no client request */
}

void rpt_amplify_json(struct rpt_json *j, const struct rpt_run *run)
{
    if (!run->n_hops) return; /* no proxy sent a request: retry_amplification says it all */
    rpt_json_key(j, "amplification");
    rpt_json_object_begin(j);
    key_ratio(j, "client", rpt_hop_amplification(run, "client"));
    if (has_gateway(run)) key_ratio(j, "gateway", rpt_hop_amplification(run, "gateway"));
    key_ratio(j, "end_to_end", rpt_hop_amplification(run, "end_to_end"));
    rpt_json_key(j, "leaf_arrivals");
    rpt_json_uint(j, run->leaf_arrivals);
    rpt_json_key(j, "hops");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_hops; i++) {
        const struct rpt_hop *h = &run->hops[i];
        FL_ASSERT(h->retries <= h->attempts);
        rpt_json_object_begin(j);
        rpt_json_key(j, "name");
        rpt_json_string(j, h->name);
        rpt_json_key(j, "attempts");
        rpt_json_uint(j, h->attempts);
        rpt_json_key(j, "retries");
        rpt_json_uint(j, h->retries);
        key_ratio(j, "per_request", rpt_hop_amplification(run, h->name));
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
    rpt_json_object_end(j);
}

/*
 * A ratio as "1.23x"; a value above 1 that two decimals would show as
 * 1.00 gets three ("1.005x") or, below that, ">1.00x": a run that retried
 * never reads 1.00x.
 */
static void print_ratio(FILE *out, double r)
{
    FL_ASSERT(out);
    char text[32];
    snprintf(text, sizeof text, "%.2f", r < 0 ? 0 : r);
    if (r > 1.0 && !strcmp(text, "1.00")) {
        snprintf(text, sizeof text, "%.3f", r);
        if (!strcmp(text, "1.000")) snprintf(text, sizeof text, ">1.00");
    }
    fprintf(out, "%sx", text);
}

void rpt_amplify_head(FILE *out, const struct rpt_run *run)
{
    FL_ASSERT(out && run);
    double client = rpt_hop_amplification(run, "client");
    if (client < 0) client = 0;
    if (!run->n_hops) {
        print_ratio(out, client);
        return;
    }
    print_ratio(out, client);
    fputs(" client, ", out);
    print_ratio(out, rpt_hop_amplification(run, "end_to_end"));
    fputs(" end to end", out);
}

void rpt_amplify_hops_line(FILE *out, const struct rpt_run *run)
{
    FL_ASSERT(out && run);
    if (!run->n_hops || !run->all.count) return;
    fputs("tries per client request by hop: client ", out);
    print_ratio(out, rpt_hop_amplification(run, "client"));
    if (has_gateway(run)) {
        fputs(", gateway ", out);
        print_ratio(out, rpt_hop_amplification(run, "gateway"));
    }
    for (size_t i = 0; i < run->n_hops; i++)
        if (strncmp(run->hops[i].name, "gateway ", 8)) {
            fprintf(out, ", %s ", run->hops[i].name);
            print_ratio(out, rpt_hop_amplification(run, run->hops[i].name));
        }
    fputs(", end to end ", out);
    print_ratio(out, rpt_hop_amplification(run, "end_to_end"));
    fputc('\n', out);
}
