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

void rpt_amplify_head(FILE *out, const struct rpt_run *run)
{
    FL_ASSERT(out && run);
    double client = rpt_hop_amplification(run, "client");
    if (client < 0) client = 0;
    if (!run->n_hops) {
        fprintf(out, "%.2fx", client);
        return;
    }
    double e2e = rpt_hop_amplification(run, "end_to_end");
    fprintf(out, "%.2fx client, %.2fx end to end", client, e2e < 0 ? 0 : e2e);
}

void rpt_amplify_hops_line(FILE *out, const struct rpt_run *run)
{
    FL_ASSERT(out && run);
    if (!run->n_hops || !run->all.count) return;
    fprintf(out, "tries per client request by hop: client %.2fx",
            rpt_hop_amplification(run, "client"));
    if (has_gateway(run)) fprintf(out, ", gateway %.2fx", rpt_hop_amplification(run, "gateway"));
    for (size_t i = 0; i < run->n_hops; i++)
        if (strncmp(run->hops[i].name, "gateway ", 8))
            fprintf(out, ", %s %.2fx", run->hops[i].name,
                    rpt_hop_amplification(run, run->hops[i].name));
    fprintf(out, ", end to end %.2fx\n", rpt_hop_amplification(run, "end_to_end"));
}
