/*
 * cache.c - the services' caches in the summaries (reports/cache.h), and
 * the peak of the fills they sent to their miss paths.
 */
#include "reports/cache.h"

#include <inttypes.h>
#include <stdlib.h>

#include "base/assert.h"

#define TICKS_PER_S (1000000000 / RPT_CACHE_TICK_NS)

uint64_t rpt_cache_peak_per_s(const struct rpt_cache *c, int64_t *at_s)
{
    FL_ASSERT(c && at_s && (c->ticks || !c->n_ticks));
    uint64_t peak = 0;
    *at_s = 0;
    for (size_t first = 0; first < c->n_ticks; first += TICKS_PER_S) {
        uint64_t sum = 0;
        for (size_t t = first; t < first + TICKS_PER_S && t < c->n_ticks; t++) sum += c->ticks[t];
        if (sum > peak) {
            peak = sum;
            *at_s = (int64_t)(first / TICKS_PER_S);
        }
    }
    FL_ASSERT(*at_s >= 0 && (size_t)*at_s * TICKS_PER_S <= c->n_ticks);
    return peak;
}

void rpt_caches_print(FILE *out, const struct rpt_run *run)
{
    if (!run->n_caches) return;
    fprintf(out, "\ncaches\n");
    for (size_t i = 0; i < run->n_caches; i++) {
        const struct rpt_cache *c = &run->caches[i];
        uint64_t lookups = c->hits + c->misses;
        FL_ASSERT(c->fills + c->coalesced == c->misses && c->overlapping <= c->fills);
        int64_t at;
        uint64_t peak = rpt_cache_peak_per_s(c, &at);
        fprintf(out,
                "  %s (%s): %" PRIu64 " hits, %" PRIu64 " misses (%.1f%% hit), %" PRIu64
                " expired, %" PRIu64 " coalesced\n",
                c->name, c->service, c->hits, c->misses,
                lookups ? 100.0 * (double)c->hits / (double)lookups : 0.0, c->expirations,
                c->coalesced);
        fprintf(out,
                "    fills to %s: %" PRIu64 " (%" PRIu64 " overlapping), peak %" PRIu64
                "/s in second %" PRId64 "\n",
                c->miss_service, c->fills, c->overlapping, peak, at);
    }
}

void rpt_caches_json(struct rpt_json *j, const struct rpt_run *run)
{
    if (!run->n_caches) return;
    rpt_json_key(j, "caches");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_caches; i++) {
        const struct rpt_cache *c = &run->caches[i];
        int64_t at;
        uint64_t peak = rpt_cache_peak_per_s(c, &at);
        FL_ASSERT(c->name && c->service);
        rpt_json_object_begin(j);
        rpt_json_key(j, "name");
        rpt_json_string(j, c->name);
        rpt_json_key(j, "service");
        rpt_json_string(j, c->service);
        rpt_json_key(j, "miss_service");
        rpt_json_string(j, c->miss_service);
        const char *keys[] = {"hits",       "misses", "coalesced", "fills", "overlapping_fills",
                              "expirations"};
        const uint64_t vals[] = {c->hits,  c->misses,      c->coalesced,
                                 c->fills, c->overlapping, c->expirations};
        for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
            rpt_json_key(j, keys[k]);
            rpt_json_uint(j, vals[k]);
        }
        rpt_json_key(j, "peak_fills_per_s");
        rpt_json_uint(j, peak);
        rpt_json_key(j, "peak_second");
        rpt_json_int(j, at);
        rpt_json_key(j, "fills_per_100ms");
        rpt_json_array_begin(j);
        for (size_t t = 0; t < c->n_ticks; t++) rpt_json_uint(j, c->ticks[t]);
        rpt_json_array_end(j);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

void rpt_caches_free(struct rpt_run *run)
{
    FL_ASSERT(run->caches || !run->n_caches);
    for (size_t i = 0; i < run->n_caches; i++) {
        free(run->caches[i].name);

        free(run->caches[i].service);
        free(run->caches[i].miss_service);
        free(run->caches[i].ticks);
    }
    free(run->caches);
    run->caches = NULL;
    run->n_caches = 0;
}
