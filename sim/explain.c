/*
 * explain.c - what faultline understood of a scenario, in words, for
 * `faultline check`: the services and workloads, then each proxy as it
 * is built (sim_proxies_build), so that what is shown is what a run uses,
 * with every default applied: per route, its match, clusters, the retry
 * policy and timeouts in force; per cluster, load balancing, endpoints,
 * circuit-breaker limits and outlier detection. The mesh's sidecars all
 * share one outbound configuration, shown once.
 *
 * Deterministic text (no addresses, no wall clock): tests compare it
 * exactly. Long lists of endpoints are cut after ENDPOINTS_SHOWN.
 *
 * Not here: checking anything (the loader and the builders did).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/units.h"
#include "proxies/config.h"
#include "sim/cache.h"
#include "sim/explain.h"
#include "sim/run.h"

#define ENDPOINTS_SHOWN 8

static const char *dur(int64_t ns, char *buf, size_t size)
{
    if (ns <= 0) return "none";
    return fl_format_duration(ns, buf, size);
}

/* "    cache sessions: 10000 keys zipf 1.1, ttl 20s +- 0%, lookup 200us, miss GET inventory
 * /session, no coalescing, cold" */
static void cache_text(const struct sim_scenario *sc, const struct sim_cache_cfg *c, FILE *out)
{
    char ttl[32], hit[32];
    FL_ASSERT(c->miss.service >= 0 && (size_t)c->miss.service < sc->n_services);
    fprintf(out, "    cache %s: %llu keys ", c->name, (unsigned long long)c->keys);
    if (c->zipf_s > 0)
        fprintf(out, "zipf %g", c->zipf_s);
    else
        fprintf(out, "uniform");
    fprintf(out, ", ttl %s +- %g%%, lookup %s, miss %s %s %s, %s, %s\n",
            fl_format_duration(c->ttl_ns, ttl, sizeof ttl), c->ttl_jitter * 100,
            fl_format_duration(c->hit_ns, hit, sizeof hit), c->miss.method,
            sc->services[c->miss.service].name, c->miss.path,
            c->coalesce ? "coalescing" : "no coalescing", c->warm ? "warm" : "cold");
}

static void services(const struct sim_scenario *sc, FILE *out)
{
    fprintf(out, "services\n");
    for (size_t i = 0; i < sc->n_services; i++) {
        const struct sim_service_cfg *s = &sc->services[i];
        int pods = sim_service_pods(s);
        fprintf(out, "  %s: %d replica%s", s->name, pods, pods == 1 ? "" : "s");
        for (size_t v = 0; v < s->n_versions && s->versions[v].name; v++)
            fprintf(out, "%s%s x%d", v ? ", " : " (versions ", s->versions[v].name,
                    s->versions[v].replicas);
        if (s->n_versions && s->versions[0].name) fputc(')', out);
        fputc('\n', out);
        if (s->cache) cache_text(sc, s->cache, out);
    }
    fprintf(out, "workloads\n");
    for (size_t i = 0; i < sc->n_workloads; i++) {
        const struct sim_workload_cfg *w = &sc->workloads[i];
        fprintf(out, "  %s -> %s\n", w->name,
                w->target == SIM_TARGET_GATEWAY   ? "gateway"
                : w->target == SIM_TARGET_INGRESS ? SIM_INGRESS_NAME
                                                  : sc->services[w->target].name);
    }
}

static void match_text(const struct px_route_cfg *r, FILE *out)
{
    switch (r->path.kind) {
    case PX_MATCH_EXACT: fprintf(out, "path = %s", r->path.value); break;
    case PX_MATCH_PREFIX: fprintf(out, "path prefix %s", r->path.value); break;
    case PX_MATCH_REGEX: fprintf(out, "path regex %s", r->path.value); break;
    default: fprintf(out, "any path"); break;
    }
    for (size_t i = 0; i < r->n_methods; i++)
        fprintf(out, "%s%s", i ? "," : ", method ", r->methods[i]);
    for (size_t i = 0; i < r->n_headers; i++)
        fprintf(out, ", %sheader %s", r->headers[i].invert ? "without " : "", r->headers[i].name);
}

static void retry_text(const struct px_route_cfg *r, FILE *out)
{
    const struct px_retry_policy *p = &r->retry;
    FL_ASSERT(p->n_codes <= PX_RETRY_CODES_MAX);
    if (!r->has_retry || p->num_retries == 0) {
        fprintf(out, "      retry: none\n");
        return;
    }
    char on[512], a[32], b[32];
    fprintf(out, "      retry: retry_on %s", px_retry_on_format(p->retry_on, on, sizeof on));
    for (size_t i = 0; i < p->n_codes; i++)
        fprintf(out, "%s%u", i ? "," : " codes ", (unsigned)p->codes[i]);
    fprintf(out, ", %" PRIu32 " attempt%s, per-try timeout %s", p->num_retries,
            p->num_retries == 1 ? "" : "s", dur(p->per_try_timeout_ns, a, sizeof a));
    if (p->base_ns < 0)
        fprintf(out, ", no backoff");
    else
        fprintf(out, ", backoff %s..%s", dur(p->base_ns, a, sizeof a),
                dur(p->max_ns ? p->max_ns : 10 * p->base_ns, b, sizeof b));
    if (p->previous_hosts)
        fprintf(out, ", hosts not tried yet (%" PRIu32 " pick%s)", p->host_selection_attempts,
                p->host_selection_attempts == 1 ? "" : "s");
    fputc('\n', out);
}

/* "off (...)" or "10% of new or deferred traces, 128-bit ids" (proxies/proxy_trace.c). */
static void trace_text(const struct px_trace_cfg *t, FILE *out)
{
    if (!t->enabled) {
        fprintf(out, "off (trace headers pass through)\n");
        return;
    }
    fprintf(out, "samples %g%% of new or deferred traces, %s-bit ids\n", t->sample_pct,
            t->id128 ? "128" : "64");
}

static void route(const struct px_proxy_cfg *c, const struct px_route_cfg *r, FILE *out)
{
    char a[32];
    fprintf(out, "    route %s: ", r->name ? r->name : "(unnamed)");
    match_text(r, out);
    fprintf(out, " ->");
    for (size_t i = 0; i < r->n_dests; i++) {
        FL_ASSERT(r->dests[i].cluster < c->n_clusters);
        fprintf(out, "%s %s", i ? "," : "", c->clusters[r->dests[i].cluster].name);
        if (r->n_dests > 1) fprintf(out, " (weight %" PRIu32 ")", r->dests[i].weight);
    }
    fputc('\n', out);
    if (r->has_fault)
        fprintf(out, "      fault: delay %g%% %s, abort %g%% status %d\n", r->fault.delay_percent,
                dur(r->fault.delay_ns, a, sizeof a), r->fault.abort_percent, r->fault.abort_status);
    retry_text(r, out);
    fprintf(out, "      timeout: %s\n", dur(r->timeout_ns, a, sizeof a));
    if (r->rate_limit >= 0) fprintf(out, "      rate limit: Kong's rate-limiting\n");
    if (r->has_trace) {
        fprintf(out, "      tracing: ");
        trace_text(&r->trace, out);
    }
}

static const char *lb_name(enum px_lb_policy p)
{
    switch (p) {
    case PX_LB_ROUND_ROBIN: return "round-robin";
    case PX_LB_LEAST_REQUEST: return "least-request";
    case PX_LB_RANDOM: return "random";
    default: return "another policy";
    }
}

static void outlier_text(const struct px_cluster_cfg *cl, FILE *out)
{
    const struct px_outlier_cfg *o = &cl->outlier;
    char a[32], b[32];
    if (!cl->has_outlier) {
        fprintf(out, "    outlier detection: none\n");
        return;
    }
    if (o->kong.on) {
        /* Kong's passive health checks: an ejected target stays out */
        fprintf(out,
                "    passive health checks: eject after %" PRIu32 " http failures, %" PRIu32
                " tcp failures, %" PRIu32 " timeouts (0: off)",
                o->kong.http_failures, o->kong.tcp_failures, o->kong.timeouts);
        if (cl->lb.min_healthy_weight > 0)
            fprintf(out, "; threshold %g%%", cl->lb.min_healthy_weight);
        fputc('\n', out);
        return;
    }
    /* only what is enforced ejects: Envoy keeps the others' counters */
    fprintf(out, "    outlier detection:");
    if (o->consecutive_5xx && o->enforcing_consecutive_5xx)
        fprintf(out, " consecutive 5xx %" PRIu32 ",", o->consecutive_5xx);
    if (o->consecutive_gateway_failure && o->enforcing_consecutive_gateway_failure)
        fprintf(out, " consecutive gateway errors %" PRIu32 ",", o->consecutive_gateway_failure);
    if (o->enforcing_success_rate) fprintf(out, " success rate,");
    if (o->enforcing_failure_percentage)
        fprintf(out, " failure percentage %" PRIu32 "%%,", o->failure_percentage_threshold);
    fprintf(out, " interval %s, base ejection %s, max ejection %" PRIu32 "%%",
            dur(o->interval_ns, a, sizeof a), dur(o->base_ejection_ns, b, sizeof b),
            o->max_ejection_percent);
    if (cl->lb.panic_threshold > 0)
        fprintf(out, ", panic below %g%% healthy", cl->lb.panic_threshold);
    fputc('\n', out);
}

static void cluster(const struct px_cluster_cfg *cl, FILE *out)
{
    FL_ASSERT(cl->name && (cl->n_endpoints == 0 || cl->endpoints));
    char a[32];
    fprintf(out, "  cluster %s: %s, connect timeout %s, %zu endpoint%s", cl->name,
            lb_name(cl->lb.policy), dur(cl->connect_timeout_ns, a, sizeof a), cl->n_endpoints,
            cl->n_endpoints == 1 ? "" : "s");
    for (size_t i = 0; i < cl->n_endpoints && i < ENDPOINTS_SHOWN; i++)
        fprintf(out, "%s%s", i ? ", " : " (", cl->endpoints[i].name);
    if (cl->n_endpoints > ENDPOINTS_SHOWN) fprintf(out, ", ...");
    fprintf(out, "%s\n", cl->n_endpoints ? ")" : "");
    const struct px_breaker_cfg *b = &cl->breaker;
    fprintf(out,
            "    circuit breaker: max connections %" PRIu32 ", max pending %" PRIu32
            ", max requests %" PRIu32,
            b->max_connections, b->max_pending, b->max_requests);
    if (b->budget)
        fprintf(out, ", retry budget %g%% (min %" PRIu32 ")\n", b->budget_percent,
                b->min_retry_concurrency);
    else
        fprintf(out, ", max retries %" PRIu32 "\n", b->max_retries);
    outlier_text(cl, out);
}

static void proxy(const char *title, const struct px_proxy_cfg *c, FILE *out)
{
    FL_ASSERT(c && (c->n_clusters == 0 || c->clusters));
    fprintf(out, "%s\n", title);
    for (size_t v = 0; v < c->n_vhosts; v++) {
        const struct px_vhost_cfg *vh = &c->vhosts[v];
        fprintf(out, "  host %s\n", vh->name);
        for (size_t r = 0; r < vh->n_routes; r++) route(c, &vh->routes[r], out);
    }
    for (size_t i = 0; i < c->n_clusters; i++) cluster(&c->clusters[i], out);
    fprintf(out, "  tracing: ");
    trace_text(&c->trace, out);
}

struct ctx {
    const struct sim_scenario *sc;
    FILE *out;
};

static void show_proxies(const struct px_proxy_cfg *gateway, const struct px_proxy_cfg *sidecar,
                         const struct px_proxy_cfg *ingress, void *arg)
{
    struct ctx *x = arg;
    if (gateway) {
        char title[64];
        snprintf(title, sizeof title, "gateway (Kong, _format_version %s)",
                 x->sc->kong.format_version ? x->sc->kong.format_version : "?");
        proxy(title, gateway, x->out);
    }
    if (sidecar)
        proxy("mesh: every sidecar's outbound routes", sidecar, x->out);
    else if (x->sc->mesh_mode == SIM_MESH_NONE)
        fprintf(x->out, "mesh: none (calls go straight to a pod)\n");
    if (ingress) proxy("ingress gateway " SIM_INGRESS_NAME " (Istio Gateways)", ingress, x->out);
}

int sim_explain(const struct sim_scenario *sc, FILE *out, char **err)
{
    FL_ASSERT(sc && out && err);
    char a[32], b[32], c[32];
    fprintf(out, "scenario %s (seed %" PRIu64 "): duration %s, warmup %s, drain %s\n", sc->name,
            sc->seed, dur(sc->duration_ns, a, sizeof a),
            fl_format_duration(sc->warmup_ns, b, sizeof b),
            fl_format_duration(sc->drain_ns, c, sizeof c));
    services(sc, out);
    struct ctx x = {sc, out};
    if (sim_proxies_build(sc, show_proxies, &x, err)) return -1;
    for (size_t i = 0; i < sc->istio.n_warnings; i++)
        fprintf(out, "%s  %s\n", i ? "" : "warnings\n", sc->istio.warnings[i]);
    return 0;
}
