/*
 * istio_telemetry.c - Istio's Telemetry resource (telemetry.istio.io/v1,
 * istio/api telemetry/v1alpha1/telemetry.proto), for its tracing: the
 * share of requests the proxies sample and whether they report spans.
 *
 * Read: spec.tracing, at most one entry (randomSamplingPercentage 0..100,
 * disableSpanReporting; providers, customTags, useRequestIdForTraceSampling
 * and enableIstioTags read and without effect here; match.mode other than
 * CLIENT_AND_SERVER refused); spec.metrics and spec.accessLogging read for
 * their shape (no effect on traffic). A selector or targetRef (one
 * workload's settings) is refused: the proxies here take the mesh's or
 * the namespace's.
 *
 * Applied (px_istio_trace_cfg), as istiod resolves Telemetry: the root
 * namespace's (istio-system) is mesh-wide, a namespace's overrides it for
 * that namespace's workloads. Without one, Istio's default: tracing on,
 * 1% of new traces (meshConfig.defaultConfig.tracing.sampling, whose
 * default istiod takes from PILOT_TRACE_SAMPLING, 1.0; pilot/pkg/features),
 * 128-bit trace ids (pilot/pkg/networking/core/tracing.go zipkinConfig:
 * TraceId_128Bit unless the provider sets enable64bitTraceId), written as
 * the x-b3-* headers (Envoy's zipkin tracer, zipkin_tracer_impl.cc).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/istio_internal.h"
#include "proxies/trace.h"

#define ROOT_NS "istio-system"

void px_istio_telemetry_free(struct px_istio_telemetry *t)
{
    free(t->name);
    free(t->ns);
    free(t->at);
    memset(t, 0, sizeof *t);
}

static int parse_providers(struct ip *c, const yaml_node_t *n)
{
    FL_ASSERT(c && n);
    static const char *const keys[] = {"name", NULL};
    const char *name;
    if (fl_y_want_seq(c->d, n, "tracing.providers")) return -1;
    for (size_t i = 0; i < SEQ_COUNT(n); i++) {
        yaml_node_t *p = px_istio_item(c, n, i);
        if (fl_y_want_map(c->d, p, "a provider") ||
            fl_y_check_keys(c->d, p, keys, keys, "tracing provider") ||
            fl_y_string(c->d, fl_y_get(c->d, p, "name"), "provider name", &name))
            return -1;
    }
    return 0;
}

static int parse_match(struct ip *c, const yaml_node_t *n)
{
    FL_ASSERT(c && n);
    static const char *const keys[] = {"mode", NULL};
    static const char *const modes[] = {"CLIENT_AND_SERVER", "CLIENT", "SERVER", NULL};
    int mode = 0;
    yaml_node_t *x;
    if (fl_y_want_map(c->d, n, "tracing.match") ||
        fl_y_check_keys(c->d, n, keys, NULL, "tracing.match"))
        return -1;
    if ((x = fl_y_get(c->d, n, "mode")) && fl_y_enum(c->d, x, "tracing.match.mode", modes, &mode))
        return -1;
    if (mode == 0) return 0;
    return px_istio_unmodeled(c, x,
                              "tracing.match.mode: tracing only the client or the server "
                              "side is not supported yet",
                              0);
}

static int parse_tracing(struct ip *c, const yaml_node_t *n, struct px_istio_telemetry *t)
{
    static const char *const keys[] = {"match",
                                       "providers",
                                       "customTags",
                                       "disableSpanReporting",
                                       "randomSamplingPercentage",
                                       "useRequestIdForTraceSampling",
                                       "enableIstioTags",
                                       NULL};
    yaml_node_t *x;
    int b;
    if (fl_y_want_map(c->d, n, "a tracing entry") ||
        fl_y_check_keys(c->d, n, keys, NULL, "tracing"))
        return -1;
    if ((x = fl_y_get(c->d, n, "match")) && parse_match(c, x)) return -1;
    if ((x = fl_y_get(c->d, n, "providers")) && parse_providers(c, x)) return -1;
    if (px_istio_ignored_map(c, n, "customTags")) return -1;
    if ((x = fl_y_get(c->d, n, "useRequestIdForTraceSampling")) &&
        fl_y_bool(c->d, x, "useRequestIdForTraceSampling", &b))
        return -1;
    if ((x = fl_y_get(c->d, n, "enableIstioTags")) && fl_y_bool(c->d, x, "enableIstioTags", &b))
        return -1;
    if ((x = fl_y_get(c->d, n, "disableSpanReporting")) &&
        fl_y_bool(c->d, x, "disableSpanReporting", &t->disable_spans))
        return -1;
    if ((x = fl_y_get(c->d, n, "randomSamplingPercentage"))) {
        if (fl_y_double(c->d, x, "randomSamplingPercentage", 0, 100, &t->sampling)) return -1;
        t->has_sampling = 1;
    }
    FL_ASSERT(!t->has_sampling || (t->sampling >= 0 && t->sampling <= 100));
    return 0;
}

static int telemetry_body(struct ip *c, const yaml_node_t *spec, struct px_istio_telemetry *t)
{
    FL_ASSERT(c && spec && t && t->name);
    yaml_node_t *x;
    if (px_istio_refuse(c, spec, "selector", "a workload selector (one workload's tracing)") ||
        px_istio_refuse(c, spec, "targetRef", "targetRef (one workload's tracing)") ||
        px_istio_refuse(c, spec, "targetRefs", "targetRefs (one workload's tracing)"))
        return -1;
    if ((x = fl_y_get(c->d, spec, "metrics")) && fl_y_want_seq(c->d, x, "metrics")) return -1;
    if ((x = fl_y_get(c->d, spec, "accessLogging")) && fl_y_want_seq(c->d, x, "accessLogging"))
        return -1;
    if (!(x = fl_y_get(c->d, spec, "tracing"))) return 0;
    if (fl_y_want_seq(c->d, x, "tracing")) return -1;
    if (SEQ_COUNT(x) > 1)
        return px_istio_unmodeled(c, px_istio_item(c, x, 1),
                                  "more than one tracing entry is not supported yet", 0);
    return SEQ_COUNT(x) ? parse_tracing(c, px_istio_item(c, x, 0), t) : 0;
}

int px_istio_parse_telemetry(struct ip *c, const yaml_node_t *spec)
{
    FL_ASSERT(c && c->name && c->ns && spec);
    static const char *const keys[] = {"selector", "targetRef",     "targetRefs", "tracing",
                                       "metrics",  "accessLogging", NULL};
    if (fl_y_check_keys(c->d, spec, keys, NULL, c->what)) return -1;
    struct px_istio_telemetry t = {0};
    t.name = fl_strdup(c->name);
    t.ns = fl_strdup(c->ns);
    t.at = px_istio_at(c, c->node);
    if (telemetry_body(c, spec, &t)) {
        px_istio_telemetry_free(&t);
        return -1;
    }
    struct px_istio *m = c->m;
    for (size_t i = 0; i < m->n_telemetry; i++) /* kubectl apply: the later one replaces it */
        if (!strcmp(m->telemetry[i].name, t.name) && !strcmp(m->telemetry[i].ns, t.ns)) {
            px_istio_note_replaced(c, m->telemetry[i].at, t.at);
            px_istio_telemetry_free(&m->telemetry[i]);
            m->telemetry[i] = t;
            return 0;
        }
    m->telemetry = fl_realloc(m->telemetry, (m->n_telemetry + 1) * sizeof *m->telemetry);
    m->telemetry[m->n_telemetry++] = t;
    return 0;
}

/* What a Telemetry changes of the tracing so far. */
static void apply(const struct px_istio_telemetry *t, struct px_trace_cfg *out)
{
    FL_ASSERT(t && out && (!t->has_sampling || t->sampling <= 100));
    if (t->has_sampling) out->sample_pct = t->sampling;
    out->enabled = !t->disable_spans;
}

void px_istio_trace_cfg(const struct px_istio *m, int gateway, struct px_trace_cfg *out)
{
    FL_ASSERT(m && out);
    out->enabled = 1;
    out->sample_pct = 1.0;
    out->id128 = 1;
    out->formats = PX_TRACE_B3; /* Envoy's zipkin tracer writes the x-b3-* headers */
    for (size_t i = 0; i < m->n_telemetry; i++) /* mesh-wide first */
        if (!strcmp(m->telemetry[i].ns, ROOT_NS)) apply(&m->telemetry[i], out);
    for (size_t i = 0; !gateway && i < m->n_telemetry; i++) /* then the services' namespace */
        if (strcmp(m->telemetry[i].ns, ROOT_NS)) apply(&m->telemetry[i], out);
    FL_ASSERT(out->sample_pct >= 0 && out->sample_pct <= 100);
}
