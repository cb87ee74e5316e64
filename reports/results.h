/*
 * results.h - the figures of one run, as plain data, and the checks
 * (scenario assertions) made on them.
 *
 * The simulator fills a struct rpt_run as it goes (it owns the recording
 * hot path: rpt_stats_record is inline and allocation-free); the summary
 * writer (reports/summary.c) turns it into summary.txt / summary.json and
 * the run digest. Every struct here is owned by the rpt_run it hangs from
 * and released by rpt_run_free().
 *
 * Outcomes: a request ends with an HTTP status, or with a local failure
 * that has no status (the client timed out, could not connect, had its
 * connection reset, or the run ended before it finished). Local failures
 * use the small codes RPT_FAIL_* below, which no HTTP status uses. A
 * request is an error when it ends with a local failure or a status >= 500
 * (and, when the scenario says so, other statuses: see err_4xx).
 */
#ifndef FL_REPORTS_RESULTS_H
#define FL_REPORTS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/nameidx.h"
#include "reports/hist.h"
#include "reports/series.h"
#include "reports/spans.h"

enum {
    RPT_FAIL_TIMEOUT = 1,    /* the client's per-try timeout ran out */
    RPT_FAIL_CONNECT = 2,    /* connection refused or SYN retries exhausted */
    RPT_FAIL_RESET = 3,      /* connection reset or broken mid-exchange */
    RPT_FAIL_UNFINISHED = 4, /* still running when the run ended */
    RPT_FAIL_THROTTLED = 5,  /* rejected at the client by adaptive throttling (never sent) */
    RPT_FAIL_DNS = 6,        /* the target's name did not resolve (a `dns` fault) */
    RPT_FAIL_MAX = 7,
    RPT_STATUS_MAX = 600, /* outcome codes are < RPT_STATUS_MAX */
};

/* "timeout", "connect-failure", "reset", "unfinished", "throttled", "dns", or NULL for an HTTP
 * status. */
const char *rpt_fail_name(int code);

/* 1 if an outcome is an error: a local failure or a 5xx status. */
static inline int rpt_outcome_is_error(int code)
{
    return code < 100 || code >= 500;
}

#define RPT_FLAGS_MAX 16

struct rpt_stats {
    char *name;
    uint64_t count;  /* requests that ended (counted after warmup) */
    uint64_t errors; /* of which errors */
    uint64_t tries;  /* attempts made for them (>= count; retries included) */
    struct rpt_hist hist;
    uint64_t outcomes[RPT_STATUS_MAX];
    uint64_t flags[RPT_FLAGS_MAX]; /* final answers carrying proxy response flag bit i */
};

void rpt_stats_init(struct rpt_stats *s, const char *name);
void rpt_stats_free(struct rpt_stats *s);

/* Records one finished request: its latency, final outcome and number of attempts. */
static inline void rpt_stats_record(struct rpt_stats *s, int64_t latency_ns, int outcome,
                                    uint32_t tries)
{
    s->count++;
    s->tries += tries;
    if (rpt_outcome_is_error(outcome)) s->errors++;
    if (outcome >= 0 && outcome < RPT_STATUS_MAX) s->outcomes[outcome]++;
    rpt_hist_record(&s->hist, latency_ns);
}

/* Counts the proxy response flags (bit i: rpt_run.flag_names[i]) of one final answer. */
static inline void rpt_stats_flags(struct rpt_stats *s, uint32_t bits)
{
    while (bits) {
        int i = __builtin_ctz(bits);
        if (i < RPT_FLAGS_MAX) s->flags[i]++;
        bits &= bits - 1;
    }
}

/* A proxy cluster's counters, summed over every proxy that has it (Envoy's upstream_rq_*). */
struct rpt_cluster {
    char *name;
    uint64_t rq_total, rq_retry, rq_retry_overflow, rq_retry_limit;
    uint64_t rq_pending_overflow, rq_overflow, rq_timeout, rq_per_try_timeout;
    uint64_t cx_connect_fail, no_healthy, ejections, panics;
    uint64_t flags[RPT_FLAGS_MAX]; /* responses sent downstream carrying flag bit i */
};

/*
 * One entry of the run's event log (sim/log.h): a fault started or ended,
 * a trigger fired, a proxy ejected a host or let it back, panicked, or
 * turned a burst of requests away.
 */
struct rpt_event {
    int64_t at_ns;
    char *what;    /* "fault-start", "fault-end", "trigger", "eject", "uneject", "panic", ... */
    char *subject; /* what it happened to: a pod, a service, a proxy cluster */
    char *detail;  /* the parameters, in words */
    char *proxy, *cluster, *host; /* for events a proxy reported, else NULL */
    int64_t value_ns;             /* eject: how long the ejection lasts */
};

#define RPT_EVENTS_MAX 10000

/* A service's cache (sim/cache.h): what its lookups found, and the load its misses sent on. */
#define RPT_CACHE_TICK_NS 100000000 /* fills are counted per 100 ms of simulated time */
struct rpt_cache {
    char *name, *service, *miss_service;
    uint64_t hits, misses;
    uint64_t coalesced;   /* misses that waited on another request's fill of the key */
    uint64_t fills;       /* calls to the miss path */
    uint64_t overlapping; /* fills started while another fill of the key was under way */
    uint64_t expirations; /* misses on a key that was stored and had expired */
    uint32_t *ticks;      /* fills started in each 100 ms from t = 0 (after warmup only) */
    size_t n_ticks;
};

/* The most fills started in one second (aligned on whole seconds); *at_s: which one. */
uint64_t rpt_cache_peak_per_s(const struct rpt_cache *c, int64_t *at_s);

struct rpt_pod {
    char *name;    /* SERVICE-N or SERVICE-VERSION-N */
    char *version; /* NULL when the service has no versions */
    uint64_t count, errors;
};

struct rpt_service {
    struct rpt_stats st; /* server-side: arrival at a pod to its response */
    struct rpt_pod *pods;
    size_t n_pods;
};

enum rpt_scope { RPT_SCOPE_ALL, RPT_SCOPE_ROUTE, RPT_SCOPE_SERVICE, RPT_SCOPE_EDGE };

enum rpt_metric {
    RPT_M_P50,
    RPT_M_P90,
    RPT_M_P95,
    RPT_M_P99,
    RPT_M_P999,
    RPT_M_MEAN,
    RPT_M_MIN,
    RPT_M_MAX,
    RPT_M_ERROR_RATE,          /* errors / count, a fraction */
    RPT_M_RETRY_AMPLIFICATION, /* tries / count */
    RPT_M_COUNT,               /* requests */
    RPT_M_SHARE_404,           /* outcome shares: fractions of the requests */
    RPT_M_SHARE_429,
    RPT_M_SHARE_503,
    RPT_M_SHARE_4XX,
    RPT_M_SHARE_5XX,
    RPT_M_EJECTIONS, /* outlier ejections of the proxy clusters (all, or hop's) */
    RPT_M_OVERFLOWS, /* circuit breaker overflows (rq_overflow + rq_pending_overflow) */
    RPT_M_MAX_,
};

enum rpt_op { RPT_LT, RPT_LE, RPT_GT, RPT_GE };

/* One assertion of the scenario; the evaluator fills in the last three fields. */
struct rpt_check {
    enum rpt_scope scope;
    char *target; /* route, service or edge ("A -> B") name; NULL for RPT_SCOPE_ALL */
    enum rpt_metric metric;
    enum rpt_op op;
    double threshold; /* ns for latency metrics; a fraction; a ratio; a count */
    char *text;       /* how the scenario wrote it, e.g. "route /api p99 < 200ms" */
    int window;       /* -1, or the fault (its index in the scenario) the check is `during` */
    struct rpt_stats *window_stats; /* then: the requests started while it was active (owned) */
    int evaluated;                  /* 0 when the target had no request (the check then fails) */
    int ok;
    double value;
    char *hop;            /* retry_amplification, ejections, overflows at a hop (rpt_hop) or NULL */
    int after;            /* -1, or the fault (its index) a recovers_within check follows */
    int64_t within_ns;    /* recovers_within: how long after the fault ends the bound holds again */
    int64_t fault_end_ns; /* set by the run: when `after` ended; -1 when it never did */
    int64_t end_ns;       /* set by the run: the workloads' end; later windows are not judged */
    char *report;         /* set by the evaluation: why a window check failed (owned) */
    int64_t recovered_ns; /* set by the evaluation: fault end to the last bad window's end */
    int every_window;     /* 1: the bound must hold in every window (with requests) */
};

/* The metric's name as written in scenarios ("p99", "error_rate"...); NULL if out of range. */
const char *rpt_metric_name(enum rpt_metric m);
/* 1 for metrics measured in time (p50 ... max). */
int rpt_metric_is_duration(enum rpt_metric m);
/* 1 for metrics that are fractions (error_rate, share_*). */
int rpt_metric_is_fraction(enum rpt_metric m);

/*
 * One hop of retry amplification: a proxy (its clusters summed: "gateway")
 * or one sidecar cluster ("sidecar reviews"): the attempts it sent
 * upstream, of which retries, counted after warmup.
 */
struct rpt_hop {
    char *name;
    uint64_t attempts, retries;
};

/* A client's retries: a workload's, or a service's downstream calls (all its pods). */
struct rpt_retry_count {
    char *who;          /* "workload NAME" or "service NAME" */
    uint64_t retries;   /* tries after the first */
    uint64_t denied;    /* retries the retry budget refused */
    uint64_t throttled; /* tries adaptive throttling rejected locally */
};

/*
 * One counted request (started after warmup), as run.db's `requests` table
 * and the latency plot show it.
 */
struct rpt_request {
    int64_t start_ns, latency_ns;
    uint64_t trace_hi, trace_lo; /* both 0: not traced */
    uint32_t flags;              /* the final answer's PX_FLAG_* bits */
    uint32_t route;              /* index into rpt_run.routes */
    int32_t outcome;             /* HTTP status or RPT_FAIL_* */
    uint32_t tries;
};

struct rpt_run {
    char *scenario;
    uint64_t seed;
    uint64_t events;
    int64_t sim_ns;       /* simulated time at the end of the run */
    struct rpt_stats all; /* every counted request, whatever its route */
    struct rpt_stats *routes;
    size_t n_routes;
    struct rpt_service *services;
    size_t n_services;
    struct rpt_check *checks;
    size_t n_checks;
    struct rpt_cluster *clusters; /* proxy clusters (gateway, sidecars), when there are proxies */
    size_t n_clusters, cap_clusters;
    struct fl_nameidx cluster_index; /* clusters by name */
    struct rpt_event *timeline;      /* at most RPT_EVENTS_MAX, in time order */
    size_t n_timeline;
    uint64_t timeline_dropped;             /* events past RPT_EVENTS_MAX */
    const char *flag_names[RPT_FLAGS_MAX]; /* names of the response flag bits (static strings) */
    char **notes; /* what loading did that a user should know ("X from b replaces ...") */
    size_t n_notes;
    char **warnings; /* configuration the run does not apply, and why (owned) */
    size_t n_warnings;
    uint64_t cache_hits, cache_stores; /* the proxies' response caches (Kong proxy-cache) */
    uint64_t shadows;                  /* mirrored copies the proxies sent (Istio mirror) */
    /* TLS handshakes of simulated connections (sim/tls.c): full ones (of which mutual),
     * resumed ones, and those whose flights TCP gave up on */
    uint64_t tls_full, tls_mutual, tls_resumed, tls_failed;
    /* workload certificates (sim/identity.c): issued, renewals the CA could not sign, and
     * mutual TLS handshakes refused by reason (index: enum px_id_result, 0 unused) */
    uint64_t certs_issued, cert_renewals_failed;
#define RPT_TLS_REASONS 6
    uint64_t tls_refused[RPT_TLS_REASONS];
    struct rpt_cache *caches; /* the services' caches, in scenario order */
    size_t n_caches;
    char **observers; /* the gateway's plugins that only observe (prometheus...), listed */
    size_t n_observers;
    struct rpt_retry_count *retry_counts; /* workloads, then services (sim/retry_client.c) */
    size_t n_retry_counts;
    struct rpt_series_set series; /* per window figures (reports/series.h) */
    struct rpt_hop *hops;         /* retry amplification per hop (sim/amplify.c) */
    size_t n_hops;
    uint64_t leaf_arrivals; /* requests arriving at services that call no other (after warmup) */
    struct rpt_request *requests; /* counted requests in the order they ended (one in
                                     requests_every of them), for run.db and the plots */
    size_t n_requests, cap_requests;
    uint32_t requests_every; /* 1: every counted request is listed; k: one in k (report.requests) */
    uint64_t requests_seen;  /* counted requests offered to the list */
    size_t requests_max;     /* 0, or the most listed: past it, every other one is dropped
                                and requests_every doubles (report.requests by default) */
    struct rpt_spans spans;  /* the sampled spans (spans.json, run.db) */
    double trace_sample;     /* the sampling the run applied, in percent (-1: per proxy config) */
    struct rpt_slow *slowest; /* the slowest requests with their traces, slowest first */
    size_t n_slowest;
    double wall_s; /* wall-clock time of the run: printed, never part of the digest */
    char digest[65];
    int spans_written; /* spans.json and spans.otlp.json were written (rpt_spans_write_run) */
    /* whole-run figures per edge ("A -> B", the names of series.edges), recorded with the
     * series (caller side: a workload's requests, a service's calls); not in the digest */
    struct rpt_stats *edges;
    size_t n_edges;
};

void rpt_run_free(struct rpt_run *run);

/*
 * Lists one counted request (every requests_every-th of them); grows the
 * list, up to requests_max entries when that is set, halving it (and
 * doubling requests_every) each time it is reached.
 */
void rpt_run_add_request(struct rpt_run *run, const struct rpt_request *rq);

/* Evaluates every check against the run; returns how many failed (reports/checks.c). */
size_t rpt_checks_eval(struct rpt_run *run);

/* The hop's attempts per client request: "client", "end_to_end", a hop's name; <0 unknown. */
double rpt_hop_amplification(const struct rpt_run *run, const char *hop);

#endif
