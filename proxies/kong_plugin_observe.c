/*
 * kong_plugin_observe.c - Kong's plugins that only watch the traffic
 * (metrics, logs, traces): accepted, their config keys checked against
 * each plugin's schema (kong/plugins/<name>/schema.lua, Kong 3), and
 * listed in the run's summary as not affecting the request path. Values
 * are not checked: nothing here acts on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies/kong_internal.h"

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

int px_kong_observer_check(struct kp *c, const char *name, const yaml_node_t *cfg)
{
    int i = find(name);
    char what[64];
    if (i < 0 || !cfg || px_kong_is_null(cfg)) return 0;
    snprintf(what, sizeof what, "%s config", name);
    if (fl_y_want_map(c->d, cfg, what)) return -1;
    return fl_y_check_keys(c->d, cfg, observers[i].keys, NULL, what);
}
