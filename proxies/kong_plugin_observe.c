/*
 * kong_plugin_observe.c - Kong's plugins that only watch the traffic
 * (metrics, logs, traces): accepted, their config keys checked against
 * each plugin's schema (kong/plugins/<name>/schema.lua, Kong 3), and
 * listed in the run's summary as not affecting the request path. Values
 * are not checked: nothing here acts on them - except the tracing plugins'
 * sampling, which decides which requests the gateway traces:
 *  - zipkin (kong/plugins/zipkin/schema.lua): sample_ratio, a number 0..1,
 *    default 0.001; traceid_byte_count 8 or 16, default 16 (128-bit ids);
 *  - opentelemetry (kong/plugins/opentelemetry/schema.lua): sampling_rate,
 *    0..1, no default: kong.conf's tracing_sampling_rate then applies,
 *    whose default is 0.01 (kong/templates/kong_defaults.lua); trace ids
 *    are 16 bytes (OpenTelemetry's).
 * header_type "preserve" (both plugins' default) is what the proxy engine
 * does (proxies/trace.h): the forms that arrived, and for a trace started
 * at the gateway default_header_type's default, b3 (zipkin, the x-b3-*
 * headers) or w3c (opentelemetry, traceparent); the other values are
 * refused as not modeled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "proxies/kong_internal.h"
#include "proxies/trace.h"

/* clang-format off */
static const char *const k_prometheus[] = {"per_consumer", "status_code_metrics",
    "latency_metrics", "bandwidth_metrics", "upstream_health_metrics", "ai_metrics", NULL};
static const char *const k_file_log[] = {"path", "reopen", "custom_fields_by_lua", NULL};
static const char *const k_http_log[] = {"http_endpoint", "method", "content_type", "timeout",
    "keepalive", "retry_count", "queue_size", "flush_timeout", "headers", "queue",
    "custom_fields_by_lua", NULL};
static const char *const k_tcp_log[] = {"host", "port", "timeout", "keepalive", "tls",
    "tls_sni", "custom_fields_by_lua", NULL};
static const char *const k_udp_log[] = {"host", "port", "timeout", "custom_fields_by_lua", NULL};
static const char *const k_syslog[] = {"log_level", "successful_severity",
    "client_errors_severity", "server_errors_severity", "custom_fields_by_lua", "facility", NULL};
static const char *const k_statsd[] = {"host", "port", "prefix", "metrics",
    "allow_status_codes", "udp_packet_size", "use_tcp", "hostname_in_prefix",
    "consumer_identifier_default", "service_identifier_default",
    "workspace_identifier_default", "retry_count", "queue_size", "flush_timeout", "queue",
    "tag_style", NULL};
static const char *const k_datadog[] = {"host", "port", "prefix", "metrics", "service_name_tag",
    "status_tag", "consumer_tag", "retry_count", "queue_size", "flush_timeout", "queue", NULL};
static const char *const k_zipkin[] = {"local_service_name", "http_endpoint", "sample_ratio",
    "default_service_name", "include_credential", "traceid_byte_count", "header_type",
    "default_header_type", "tags_header", "static_tags", "http_span_name", "connect_timeout",
    "send_timeout", "read_timeout", "http_response_header_for_traceid", "phase_duration_flavor",
    "queue", "propagation", NULL};
static const char *const k_otel[] = {"endpoint", "traces_endpoint", "logs_endpoint", "headers",
    "resource_attributes", "queue", "batch_span_count", "batch_flush_delay", "connect_timeout",
    "send_timeout", "read_timeout", "http_response_header_for_traceid", "header_type",
    "sampling_rate", "propagation", NULL};
/* clang-format on */

static const struct {
    const char *name;
    const char *const *keys;
} observers[] = {
    {"prometheus", k_prometheus}, {"file-log", k_file_log}, {"http-log", k_http_log},
    {"tcp-log", k_tcp_log},       {"udp-log", k_udp_log},   {"syslog", k_syslog},
    {"statsd", k_statsd},         {"datadog", k_datadog},   {"zipkin", k_zipkin},
    {"opentelemetry", k_otel},
};

static int find(const char *name)
{
    for (size_t i = 0; i < sizeof observers / sizeof *observers; i++)
        if (!strcmp(observers[i].name, name)) return (int)i;
    return -1;
}

int px_kong_observer(const char *name)
{
    return find(name) >= 0;
}

/* A key of cfg that is given and not null, or NULL. */
static yaml_node_t *given(struct kp *c, const yaml_node_t *cfg, const char *key)
{
    yaml_node_t *x = cfg ? fl_y_get(c->d, cfg, key) : NULL;
    return x && !px_kong_is_null(x) ? x : NULL;
}

/* zipkin's and opentelemetry's sampling, into p->trace. */
static int tracing(struct kp *c, const char *name, const yaml_node_t *cfg, struct px_kong_plugin *p)
{
    int zipkin = !strcmp(name, "zipkin");
    FL_ASSERT(zipkin || !strcmp(name, "opentelemetry"));
    char what[64];
    double ratio = zipkin ? 0.001 : 0.01;
    long long bytes = 16;
    yaml_node_t *x;
    snprintf(what, sizeof what, "%s %s", name, zipkin ? "sample_ratio" : "sampling_rate");
    if ((x = given(c, cfg, zipkin ? "sample_ratio" : "sampling_rate")) &&
        fl_y_double(c->d, x, what, 0, 1, &ratio))
        return -1;
    if (zipkin && (x = given(c, cfg, "traceid_byte_count"))) {
        if (fl_y_int(c->d, x, "zipkin traceid_byte_count", 8, 16, &bytes)) return -1;
        if (bytes != 8 && bytes != 16)
            return fl_y_error(c->d, x, "zipkin traceid_byte_count must be 8 or 16, not %lld",
                              bytes);
    }
    const char *ht;
    if ((x = given(c, cfg, "header_type"))) {
        if (fl_y_string(c->d, x, "header_type", &ht)) return -1;
        if (strcmp(ht, "preserve"))
            return fl_y_error(c->d, x,
                              "%s header_type '%s' is not modeled yet (only 'preserve', the "
                              "default: the forms that arrived, else x-b3-* and traceparent)",
                              name, ht);
    }
    p->trace.enabled = 1;
    p->trace.sample_pct = 100 * ratio;
    p->trace.id128 = bytes == 16;
    /* a trace started here: default_header_type, b3 (zipkin) or w3c (opentelemetry) */
    p->trace.formats = zipkin ? PX_TRACE_B3 : PX_TRACE_W3C;
    FL_ASSERT(p->trace.sample_pct >= 0 && p->trace.sample_pct <= 100);
    return 0;
}

int px_kong_observer_check(struct kp *c, const char *name, const yaml_node_t *cfg,
                           struct px_kong_plugin *p)
{
    int i = find(name);
    char what[64];
    if (i < 0) return 0;
    if (cfg && px_kong_is_null(cfg)) cfg = NULL;
    snprintf(what, sizeof what, "%s config", name);
    if (cfg && (fl_y_want_map(c->d, cfg, what) ||
                fl_y_check_keys(c->d, cfg, observers[i].keys, NULL, what)))
        return -1;
    if (!strcmp(name, "zipkin") || !strcmp(name, "opentelemetry")) return tracing(c, name, cfg, p);
    return 0;
}
