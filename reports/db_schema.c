/*
 * db_schema.c - run.db's tables (docs/database.md describes every column
 * and its unit). Times are milliseconds (requests, series, events,
 * assertions' bounds) or microseconds (spans, as Zipkin's), as REAL: a
 * nanosecond count n is stored as n / 1e6 (or n / 1e3), which reads back
 * to n exactly for any run shorter than a century. Counts are INTEGER.
 * Columns ending in _hist or holding *_per_100ms are blobs read back by
 * faultline itself (reports/db_codec.c).
 */
#include <stddef.h>

#include "reports/db_internal.h"
#include "reports/results.h"

#define STATS_COLUMNS                                                                              \
    "id INTEGER PRIMARY KEY, name TEXT, count INTEGER NOT NULL, errors INTEGER NOT NULL, "         \
    "tries INTEGER NOT NULL, error_rate REAL, mean_ms REAL, min_ms REAL, p50_ms REAL, "            \
    "p90_ms REAL, p95_ms REAL, p99_ms REAL, p999_ms REAL, max_ms REAL, hist BLOB NOT NULL"

const char rpt_db_schema[] =
    "CREATE TABLE run (schema_version INTEGER NOT NULL, scenario TEXT NOT NULL, seed INTEGER, "
    "digest TEXT, events INTEGER, sim_seconds REAL, requests INTEGER, errors INTEGER, "
    "requests_every INTEGER, requests_seen INTEGER, trace_sample REAL, window_ms INTEGER, "
    "series_output INTEGER, leaf_arrivals INTEGER, cache_hits INTEGER, cache_stores INTEGER, "
    "mirrored INTEGER, timeline_dropped INTEGER, spans_dropped INTEGER, scenario_text TEXT, "
    "spans_written INTEGER);\n"
    "CREATE TABLE flag_names (bit INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE TABLE totals (" STATS_COLUMNS ");\n"
    "CREATE TABLE routes (" STATS_COLUMNS ");\n"
    "CREATE TABLE services (" STATS_COLUMNS ");\n"
    "CREATE TABLE assertion_windows (" STATS_COLUMNS ");\n"
    "CREATE TABLE edges (" STATS_COLUMNS ");\n"
    "CREATE TABLE outcomes (scope TEXT NOT NULL, id INTEGER NOT NULL, name TEXT, "
    "code INTEGER NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL);\n"
    "CREATE TABLE flags (scope TEXT NOT NULL, id INTEGER NOT NULL, name TEXT, "
    "bit INTEGER NOT NULL, flag TEXT NOT NULL, count INTEGER NOT NULL);\n"
    "CREATE TABLE pods (service_id INTEGER NOT NULL, service TEXT NOT NULL, id INTEGER NOT NULL, "
    "name TEXT NOT NULL, version TEXT, count INTEGER NOT NULL, errors INTEGER NOT NULL);\n"
    "CREATE TABLE clusters (id INTEGER PRIMARY KEY, name TEXT NOT NULL, rq_total INTEGER, "
    "rq_retry INTEGER, rq_retry_overflow INTEGER, rq_retry_limit_exceeded INTEGER, "
    "rq_pending_overflow INTEGER, rq_overflow INTEGER, rq_timeout INTEGER, "
    "rq_per_try_timeout INTEGER, cx_connect_fail INTEGER, no_healthy_upstream INTEGER, "
    "ejections INTEGER, panics INTEGER);\n"
    "CREATE TABLE hops (id INTEGER PRIMARY KEY, name TEXT NOT NULL, attempts INTEGER, "
    "retries INTEGER);\n"
    "CREATE TABLE client_retries (id INTEGER PRIMARY KEY, client TEXT NOT NULL, retries INTEGER, "
    "budget_denied INTEGER, throttled INTEGER);\n"
    "CREATE TABLE caches (id INTEGER PRIMARY KEY, name TEXT NOT NULL, service TEXT NOT NULL, "
    "miss_service TEXT, hits INTEGER, misses INTEGER, coalesced INTEGER, fills INTEGER, "
    "overlapping_fills INTEGER, expirations INTEGER, fills_per_100ms BLOB);\n"
    "CREATE TABLE texts (kind TEXT NOT NULL, id INTEGER NOT NULL, text TEXT NOT NULL);\n"
    /* schema version 2: named run-wide counts (TLS handshakes, certificates) */
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);\n"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, t_ms REAL NOT NULL, event TEXT NOT NULL, "
    "subject TEXT, detail TEXT, proxy TEXT, cluster TEXT, host TEXT, value_ms REAL);\n"
    "CREATE TABLE assertions (id INTEGER PRIMARY KEY, text TEXT, ok INTEGER NOT NULL, "
    "evaluated INTEGER NOT NULL, metric TEXT NOT NULL, unit TEXT NOT NULL, op TEXT NOT NULL, "
    "threshold REAL, value REAL, scope TEXT NOT NULL, target TEXT, hop TEXT, "
    "during_fault INTEGER, after_fault INTEGER, every_window INTEGER, within_ms REAL, "
    "fault_end_ms REAL, end_ms REAL, recovered_ms REAL, report TEXT);\n"
    /* one row per listed request: numbers only, so that a million rows cost little; the
       view `requests` below is what users read */
    "CREATE TABLE request_rows (id INTEGER PRIMARY KEY, route_id INTEGER NOT NULL, "
    "start_ms REAL NOT NULL, latency_ms REAL NOT NULL, code INTEGER NOT NULL, "
    "tries INTEGER NOT NULL, flag_bits INTEGER NOT NULL, trace_hi INTEGER, trace_lo INTEGER);\n"
    "CREATE TABLE failure_names (code INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE VIEW requests AS SELECT q.id AS id, routes.name AS route, q.route_id AS route_id, "
    "q.start_ms AS start_ms, q.latency_ms AS latency_ms, "
    "CASE WHEN q.code >= 100 THEN q.code END AS status, "
    "COALESCE((SELECT name FROM failure_names f WHERE f.code = q.code), "
    "CAST(q.code AS TEXT)) AS outcome, "
    "(q.code < 100 OR q.code >= 500) AS error, q.tries AS tries, "
    "COALESCE((SELECT group_concat(name, ',') FROM (SELECT name FROM flag_names "
    "WHERE (q.flag_bits >> bit) & 1 ORDER BY bit)), '') AS flags, "
    "CASE WHEN q.trace_hi IS NULL THEN NULL WHEN q.trace_hi = 0 THEN printf('%016x', q.trace_lo) "
    "ELSE printf('%016x%016x', q.trace_hi, q.trace_lo) END AS trace_id "
    "FROM request_rows q JOIN routes ON routes.id = q.route_id;\n"
    "CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, "
    "parent_id TEXT, name TEXT, kind TEXT NOT NULL, service TEXT, peer TEXT, method TEXT, "
    "path TEXT, cluster TEXT, start_us REAL NOT NULL, duration_us REAL NOT NULL, status INTEGER, "
    "attempt INTEGER, flags TEXT NOT NULL, reason TEXT, error INTEGER NOT NULL, queue_us REAL, "
    "service_us REAL, rtx_us REAL, exported INTEGER NOT NULL);\n"
    "CREATE TABLE series_index (scope TEXT NOT NULL, series_id INTEGER NOT NULL, "
    "name TEXT NOT NULL, points INTEGER NOT NULL);\n"
    "CREATE TABLE series (scope TEXT NOT NULL, series_id INTEGER NOT NULL, name TEXT NOT NULL, "
    "window INTEGER NOT NULL, t_s REAL NOT NULL, count INTEGER, errors INTEGER, tries INTEGER, "
    "n_2xx INTEGER, n_3xx INTEGER, n_4xx INTEGER, n_5xx INTEGER, n_timeout INTEGER, "
    "n_connect_failure INTEGER, n_reset INTEGER, n_unfinished INTEGER, p50_ms REAL, "
    "p95_ms REAL, p99_ms REAL);\n"
    "CREATE TABLE cluster_series (series_id INTEGER NOT NULL, name TEXT NOT NULL, "
    "window INTEGER NOT NULL, t_s REAL NOT NULL, rq_total INTEGER, rq_retry INTEGER, "
    "overflows INTEGER, timeouts INTEGER, ejections INTEGER);\n"
    "CREATE TABLE slowest (rank INTEGER PRIMARY KEY, trace_id TEXT, route TEXT, "
    "start_ms REAL, latency_ms REAL, status INTEGER, outcome TEXT NOT NULL, tries INTEGER, "
    "queue_ms REAL, service_ms REAL, network_ms REAL, rtx_ms REAL, backoff_ms REAL, "
    "other_ms REAL, hops TEXT);\n";

/* Made after the rows are in (an index built once is cheaper than one kept up to date). */
const char rpt_db_indexes[] = "CREATE INDEX spans_trace ON spans (trace_id);\n"
                              "CREATE INDEX series_name ON series (scope, name, window);\n";

#define COUNTER(name, field)                                                                       \
    {                                                                                              \
        name, offsetof(struct rpt_run, field)                                                      \
    }
const struct rpt_db_counter rpt_db_counters[] = {
    COUNTER("tls_full", tls_full),
    COUNTER("tls_mutual", tls_mutual),
    COUNTER("tls_resumed", tls_resumed),
    COUNTER("tls_failed", tls_failed),
    COUNTER("certs_issued", certs_issued),
    COUNTER("cert_renewals_failed", cert_renewals_failed),
    COUNTER("tls_refused_expired", tls_refused[1]),
    COUNTER("tls_refused_not_yet_valid", tls_refused[2]),
    COUNTER("tls_refused_unknown_issuer", tls_refused[3]),
    COUNTER("tls_refused_no_spiffe_id", tls_refused[4]),
    COUNTER("tls_refused_invalid", tls_refused[5]),
};
const size_t rpt_db_n_counters = sizeof rpt_db_counters / sizeof *rpt_db_counters;
