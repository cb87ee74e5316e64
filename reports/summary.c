/*
 * summary.c - the run summary: a table for people (terminal, summary.txt),
 * the same figures as JSON for machines (summary.json), and the run digest.
 *
 * The JSON body is written by one function, json_doc(), with or without
 * the fields that are not part of the digest (the digest itself; the
 * wall-clock time, which only a caller that wants it adds). The digest is
 * the SHA-256 of the body written without them into memory; summary.json
 * is the same body with the digest, and no wall-clock time, so that the
 * same run gives byte-identical files. Both
 * outputs are functions of the figures alone: numbers have fixed formats,
 * arrays keep the run's order, nothing depends on addresses or time.
 *
 * JSON figures: counts as integers; durations as milliseconds with six
 * decimals (exact nanoseconds; the mean is rounded to a nanosecond);
 * fractions and ratios with six decimals; figures that do not exist (a
 * route with no request) as null.
 *
 * Not here: computing the figures (sim/, results.c), other output files.
 * The table is for reading, not parsing; it does not show wall-clock time,
 * so summary.txt is identical for identical runs.
 */
#include "reports/spans_files.h"
#include "reports/summary.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/sha256.h"
#include "base/units.h"
#include "reports/amplify.h"
#include "reports/file.h"
#include "reports/json.h"
#include "reports/retries.h"
#include "reports/cache.h"
#include "reports/series_out.h"
#include "reports/slowest.h"
#include "reports/timeline.h"

#define MS_DECIMALS    6 /* ns written as ms: exact */
#define RATIO_DECIMALS 6 /* error rates, retry amplification */

/* ---------------------------------------------------------------- JSON */

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

static void key_ns_as_ms(struct rpt_json *j, const char *key, int64_t ns, int exists)
{
    rpt_json_key(j, key);
    if (exists)
        rpt_json_decimal(j, ns, MS_DECIMALS);
    else
        rpt_json_null(j);
}

static void key_uint(struct rpt_json *j, const char *key, uint64_t v)
{
    rpt_json_key(j, key);
    rpt_json_uint(j, v);
}

static void key_string(struct rpt_json *j, const char *key, const char *s)
{
    rpt_json_key(j, key);
    rpt_json_string(j, s);
}

/* {"200": n, "timeout": n, ...}: nonzero outcomes in ascending code order. */
static void json_outcomes(struct rpt_json *j, const struct rpt_stats *s)
{
    FL_ASSERT(s->errors <= s->count);
    rpt_json_key(j, "outcomes");
    rpt_json_object_begin(j);
    for (int code = 0; code < RPT_STATUS_MAX; code++) {
        if (!s->outcomes[code]) continue;
        const char *name = rpt_fail_name(code);
        char num[16];
        snprintf(num, sizeof num, "%d", code);
        key_uint(j, name ? name : num, s->outcomes[code]);
    }
    rpt_json_object_end(j);
}

static void json_latency(struct rpt_json *j, const struct rpt_stats *s)
{
    static const struct {
        const char *key;
        double q;
    } qs[] = {
        {"p50_ms", 0.5}, {"p90_ms", 0.9}, {"p95_ms", 0.95}, {"p99_ms", 0.99}, {"p999_ms", 0.999}};
    int any = s->count > 0;
    FL_ASSERT(s->hist.count == s->count); /* rpt_stats_record feeds both */
    FL_ASSERT(!any || s->hist.min <= s->hist.max);
    rpt_json_key(j, "mean_ms");
    if (any)
        rpt_json_double(j, rpt_hist_mean(&s->hist) / 1e6, MS_DECIMALS);
    else
        rpt_json_null(j);
    key_ns_as_ms(j, "min_ms", s->hist.min, any);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        key_ns_as_ms(j, qs[i].key, rpt_hist_quantile(&s->hist, qs[i].q), any);
    key_ns_as_ms(j, "max_ms", s->hist.max, any);
}

/* Proxy response flags seen on final answers: {"UO": 3, ...}, flags in bit order. */
static void json_flags(struct rpt_json *j, const struct rpt_stats *s, const char *const *names)
{
    FL_ASSERT(names);
    rpt_json_key(j, "flags");
    rpt_json_object_begin(j);
    for (int i = 0; i < RPT_FLAGS_MAX; i++)
        if (s->flags[i] && names[i]) key_uint(j, names[i], s->flags[i]);
    rpt_json_object_end(j);
}

/* The members every route and service has (the caller opens and closes the object). */
static void json_stats_members(struct rpt_json *j, const struct rpt_stats *s,
                               const char *const *names)
{
    key_string(j, "name", s->name);
    key_uint(j, "count", s->count);
    key_uint(j, "errors", s->errors);
    rpt_json_key(j, "error_rate");
    if (s->count)
        rpt_json_double(j, ratio(s->errors, s->count), RATIO_DECIMALS);
    else
        rpt_json_null(j);
    json_latency(j, s);
    key_uint(j, "tries", s->tries);
    json_outcomes(j, s);
    json_flags(j, s, names);
}

static void json_routes(struct rpt_json *j, const struct rpt_run *run)
{
    FL_ASSERT(run->routes || !run->n_routes);
    rpt_json_key(j, "routes");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_routes; i++) {
        rpt_json_object_begin(j);
        json_stats_members(j, &run->routes[i], run->flag_names);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

static void json_pods(struct rpt_json *j, const struct rpt_service *sv)
{
    rpt_json_key(j, "pods");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < sv->n_pods; i++) {
        const struct rpt_pod *p = &sv->pods[i];
        FL_ASSERT(p->errors <= p->count);
        rpt_json_object_begin(j);
        key_string(j, "name", p->name);
        key_string(j, "version", p->version);
        key_uint(j, "count", p->count);
        key_uint(j, "errors", p->errors);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

/* Proxy clusters and their counters, in the run's order. */
static void json_clusters(struct rpt_json *j, const struct rpt_run *run)
{
    rpt_json_key(j, "clusters");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_clusters; i++) {
        const struct rpt_cluster *c = &run->clusters[i];
        FL_ASSERT(c->name);
        rpt_json_object_begin(j);
        key_string(j, "name", c->name);
        key_uint(j, "rq_total", c->rq_total);
        key_uint(j, "rq_retry", c->rq_retry);
        key_uint(j, "rq_retry_overflow", c->rq_retry_overflow);
        key_uint(j, "rq_retry_limit_exceeded", c->rq_retry_limit);
        key_uint(j, "rq_pending_overflow", c->rq_pending_overflow);
        key_uint(j, "rq_overflow", c->rq_overflow);
        key_uint(j, "rq_timeout", c->rq_timeout);
        key_uint(j, "rq_per_try_timeout", c->rq_per_try_timeout);
        key_uint(j, "cx_connect_fail", c->cx_connect_fail);
        key_uint(j, "no_healthy_upstream", c->no_healthy);
        key_uint(j, "ejections", c->ejections);
        key_uint(j, "panics", c->panics);
        rpt_json_key(j, "flags");
        rpt_json_object_begin(j);
        for (int f = 0; f < RPT_FLAGS_MAX; f++)
            if (c->flags[f] && run->flag_names[f]) key_uint(j, run->flag_names[f], c->flags[f]);
        rpt_json_object_end(j);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

static void json_services(struct rpt_json *j, const struct rpt_run *run)
{
    FL_ASSERT(run->services || !run->n_services);
    rpt_json_key(j, "services");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_services; i++) {
        rpt_json_object_begin(j);
        json_stats_members(j, &run->services[i].st, run->flag_names);
        json_pods(j, &run->services[i]);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

/* A check's value in the unit its JSON figures use: ms for durations. */
static void json_check_value(struct rpt_json *j, const struct rpt_check *c, double v)
{
    if (rpt_metric_is_duration(c->metric))
        rpt_json_double(j, v / 1e6, MS_DECIMALS);
    else if (c->metric == RPT_M_COUNT || c->metric == RPT_M_EJECTIONS ||
             c->metric == RPT_M_OVERFLOWS)
        rpt_json_double(j, v, 0);
    else
        rpt_json_double(j, v, RATIO_DECIMALS);
}

static const char *unit_of(enum rpt_metric m)
{
    if (rpt_metric_is_duration(m)) return "ms";
    if (rpt_metric_is_fraction(m)) return "fraction";
    if (m == RPT_M_RETRY_AMPLIFICATION) return "ratio";
    return "count";
}

static void json_checks(struct rpt_json *j, const struct rpt_run *run)
{
    rpt_json_key(j, "assertions");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < run->n_checks; i++) {
        const struct rpt_check *c = &run->checks[i];
        rpt_json_object_begin(j);
        key_string(j, "text", c->text);
        rpt_json_key(j, "ok");
        rpt_json_bool(j, c->ok);
        key_string(j, "metric", rpt_metric_name(c->metric));
        key_string(j, "unit", unit_of(c->metric));
        rpt_json_key(j, "threshold");
        json_check_value(j, c, c->threshold);
        rpt_json_key(j, "value");
        if (c->evaluated)
            json_check_value(j, c, c->value);
        else
            rpt_json_null(j);
        if (c->within_ns > 0) { /* recovers_within: value is the worst window after the deadline */
            key_ns_as_ms(j, "recovers_within_ms", c->within_ns, 1);
            key_ns_as_ms(j, "fault_ended_ms", c->fault_end_ns, c->fault_end_ns >= 0);
            key_ns_as_ms(j, "recovered_after_ms", c->recovered_ns, c->recovered_ns >= 0);
        }
        if (c->report) key_string(j, "report", c->report);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

/* A list of strings under key; nothing when it is empty (older digests stay as they were). */
static void json_texts(struct rpt_json *j, const char *key, char *const *texts, size_t n)
{
    if (!n) return;
    FL_ASSERT(key && texts);
    rpt_json_key(j, key);
    rpt_json_array_begin(j);
    for (size_t i = 0; i < n; i++) rpt_json_string(j, texts[i]);
    rpt_json_array_end(j);
}

static void json_requests(struct rpt_json *j, const struct rpt_stats *all)
{
    FL_ASSERT(all->errors <= all->count); /* "ok" below is their difference */
    rpt_json_key(j, "requests");
    rpt_json_object_begin(j);
    key_uint(j, "total", all->count);
    key_uint(j, "ok", all->count - all->errors);
    key_uint(j, "errors", all->errors);
    rpt_json_object_end(j);
    rpt_json_key(j, "retry_amplification");
    rpt_json_double(j, ratio(all->tries, all->count), RATIO_DECIMALS);
}

/* The whole document; digest and wall_s are left out when NULL (the digested body). */
static void json_doc(const struct rpt_run *run, FILE *out, const char *digest, const double *wall_s)
{
    FL_ASSERT(run && out && (!digest || strlen(digest) == 64));
    struct rpt_json j;
    rpt_json_init(&j, out, 2);
    rpt_json_object_begin(&j);
    key_string(&j, "scenario", run->scenario);
    key_uint(&j, "seed", run->seed);
    if (digest) key_string(&j, "digest", digest);
    key_uint(&j, "events", run->events);
    rpt_json_key(&j, "sim_seconds");
    rpt_json_decimal(&j, run->sim_ns, 9);
    json_requests(&j, &run->all);
    rpt_amplify_json(&j, run);
    json_routes(&j, run);
    json_services(&j, run);
    json_clusters(&j, run);
    rpt_timeline_json(&j, run);
    rpt_series_json(&j, run);
    json_checks(&j, run);
    json_texts(&j, "notes", run->notes, run->n_notes);
    json_texts(&j, "warnings", run->warnings, run->n_warnings);
    /* only when there is a cache */
    rpt_caches_json(&j, run);
    if (run->cache_stores || run->shadows) { /* only then: other runs' digests stay as they were */
        rpt_json_key(&j, "policies");
        rpt_json_object_begin(&j);
        key_uint(&j, "cache_hits", run->cache_hits);
        key_uint(&j, "cache_stores", run->cache_stores);
        key_uint(&j, "mirrored", run->shadows);
        rpt_json_object_end(&j);
    }
    if (run->tls_full || run->tls_resumed || run->tls_failed) { /* others' digests unchanged */
        rpt_json_key(&j, "tls_handshakes");
        rpt_json_object_begin(&j);
        key_uint(&j, "full", run->tls_full);
        key_uint(&j, "mutual", run->tls_mutual);
        key_uint(&j, "resumed", run->tls_resumed);
        key_uint(&j, "failed", run->tls_failed);
        if (run->certs_issued) {
            static const char *const keys[RPT_TLS_REASONS] = {
                NULL, "expired", "not_yet_valid", "unknown_issuer", "no_spiffe_id", "invalid"};
            key_uint(&j, "certificates_issued", run->certs_issued);
            key_uint(&j, "renewals_failed", run->cert_renewals_failed);
            rpt_json_key(&j, "refused");
            rpt_json_object_begin(&j);
            for (int i = 1; i < RPT_TLS_REASONS; i++) key_uint(&j, keys[i], run->tls_refused[i]);
            rpt_json_object_end(&j);
        }
        rpt_json_object_end(&j);
    }
    rpt_retries_json(&j, run);
    rpt_slowest_json(&j, run);
    if (run->n_observers) { /* only when there are some: other runs' digests stay as they were */
        rpt_json_key(&j, "observers_not_on_request_path");
        rpt_json_array_begin(&j);
        for (size_t i = 0; i < run->n_observers; i++) rpt_json_string(&j, run->observers[i]);
        rpt_json_array_end(&j);
    }
    if (wall_s) {
        rpt_json_key(&j, "wall_seconds");
        rpt_json_double(&j, *wall_s, 3);
    }
    rpt_json_object_end(&j);
    rpt_json_end(&j);
}

/* ---------------------------------------------------------------- digest */

static void compute_digest(const struct rpt_run *run, char hex[65])
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        fprintf(stderr, "faultline: out of memory (open_memstream)\n");
        abort();
    }
    json_doc(run, mem, NULL, NULL);
    if (fclose(mem) != 0 || !buf) {
        fprintf(stderr, "faultline: out of memory writing the summary\n");
        abort();
    }
    fl_sha256_hex(buf, len, hex);
    free(buf);
    FL_ASSERT(strlen(hex) == 64); /* SHA-256: 32 bytes, two hex digits each */
}

void rpt_summary_digest(struct rpt_run *run)
{
    compute_digest(run, run->digest);
}

/* run->digest, or when it has not been computed, the digest of the figures now. */
static const char *digest_of(const struct rpt_run *run, char local[65])
{
    if (run->digest[0]) {
        FL_ASSERT(strlen(run->digest) == 64);
        return run->digest;
    }
    compute_digest(run, local);
    return local;
}

void rpt_summary_json(const struct rpt_run *run, FILE *out)
{
    char local[65];
    json_doc(run, out, digest_of(run, local), NULL);
}

/* ---------------------------------------------------------------- table */

#define NCOL 9 /* count errors mean p50 p90 p95 p99 p99.9 max */

struct row {
    const char *name;
    int indent;       /* 2 for a pod under its service */
    int ncells;       /* NCOL, or 2 for a pod (count, errors) */
    const char *tail; /* after the cells: a pod's version, or NULL */
    char cell[NCOL][24];
};

static void fmt_percent(char *buf, size_t size, uint64_t num, uint64_t den)
{
    FL_ASSERT(buf && size > 0 && num <= den); /* errors of so many requests */
    double pct = 100.0 * ratio(num, den);
    if (!den)
        snprintf(buf, size, "-");
    else if (num && pct < 0.01)
        snprintf(buf, size, "<0.01%%");
    else
        snprintf(buf, size, "%.2f%%", pct);
}

static void fmt_ns(char *buf, size_t size, int64_t ns, int exists)
{
    if (exists)
        fl_format_duration(ns, buf, size);
    else
        snprintf(buf, size, "-");
}

static void header_row(struct row *r, const char *first)
{
    static const char *const names[NCOL] = {"count", "errors", "mean",  "p50", "p90",
                                            "p95",   "p99",    "p99.9", "max"};
    FL_ASSERT(r && first);
    memset(r, 0, sizeof *r);
    r->name = first;
    r->ncells = NCOL;
    for (int i = 0; i < NCOL; i++) snprintf(r->cell[i], sizeof r->cell[i], "%s", names[i]);
}

static void stats_row(struct row *r, const struct rpt_stats *s)
{
    static const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    const struct rpt_hist *h = &s->hist;
    int any = s->count > 0;
    FL_ASSERT(h->count == s->count && (!any || h->min <= h->max));
    memset(r, 0, sizeof *r);
    r->name = s->name ? s->name : "?";
    r->ncells = NCOL;
    snprintf(r->cell[0], sizeof r->cell[0], "%" PRIu64, s->count);
    fmt_percent(r->cell[1], sizeof r->cell[1], s->errors, s->count);
    fmt_ns(r->cell[2], sizeof r->cell[2], (int64_t)llround(rpt_hist_mean(h)), any);
    for (int i = 0; i < 5; i++)
        fmt_ns(r->cell[3 + i], sizeof r->cell[3 + i], rpt_hist_quantile(h, qs[i]), any);
    fmt_ns(r->cell[8], sizeof r->cell[8], h->max, any);
}

static void pod_row(struct row *r, const struct rpt_pod *p)
{
    FL_ASSERT(r && p && p->errors <= p->count);
    memset(r, 0, sizeof *r);
    r->name = p->name ? p->name : "?";
    r->indent = 2;
    r->ncells = 2;
    r->tail = p->version;
    snprintf(r->cell[0], sizeof r->cell[0], "%" PRIu64, p->count);
    fmt_percent(r->cell[1], sizeof r->cell[1], p->errors, p->count);
}

/*
 * Left-aligned names, right-aligned figures; every column as wide as its
 * widest cell, figures at least as wide as "12.34ms" so tables line up.
 */
static void print_rows(FILE *out, const struct row *rows, size_t n)
{
    FL_ASSERT(rows && n >= 1); /* at least the header */
    size_t w[NCOL + 1];
    w[0] = 0;
    for (int c = 1; c <= NCOL; c++) w[c] = 7;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(rows[i].name) + (size_t)rows[i].indent;
        if (len > w[0]) w[0] = len;
        for (int c = 0; c < rows[i].ncells; c++)
            if (strlen(rows[i].cell[c]) > w[c + 1]) w[c + 1] = strlen(rows[i].cell[c]);
    }
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        FL_ASSERT(r->ncells <= NCOL && (size_t)r->indent <= w[0]);
        fprintf(out, "%*s%-*s", r->indent, "", (int)(w[0] - (size_t)r->indent), r->name);
        for (int c = 0; c < r->ncells; c++) fprintf(out, "  %*s", (int)w[c + 1], r->cell[c]);
        if (r->tail) fprintf(out, "  version %s", r->tail);
        fputc('\n', out);
    }
}

/* "  /api: 503 UO 12, URX 3" lines for routes whose answers carry proxy flags. */
static void print_flags(FILE *out, const struct rpt_run *run)
{
    for (size_t i = 0; i < run->n_routes; i++) {
        const struct rpt_stats *s = &run->routes[i];
        int any = 0;
        for (int f = 0; f < RPT_FLAGS_MAX; f++) {
            if (!s->flags[f] || !run->flag_names[f]) continue;
            fprintf(out, "%s%s %" PRIu64, any ? ", " : "  flags ", run->flag_names[f], s->flags[f]);
            if (!any) any = 1;
        }
        if (any) fprintf(out, "  (%s)\n", s->name);
    }
}

/*
 * "  outcomes /api: 200 9081 (99.9%), 404 3, timeout 2": what every route
 * answered, so that a route answering 404 or 429 (not errors) never looks
 * healthy in a table of error rates. Shares below 0.1% are left out.
 */
static void print_outcomes(FILE *out, const struct rpt_run *run)
{
    for (size_t i = 0; i < run->n_routes; i++) {
        const struct rpt_stats *s = &run->routes[i];
        if (!s->count) continue;
        fprintf(out, "  outcomes %s:", s->name);
        int first = 1;
        uint64_t seen = 0;
        for (int k = 0; k < RPT_STATUS_MAX; k++) {
            int code = (k + 100) % RPT_STATUS_MAX; /* statuses first, then local failures */
            uint64_t n = s->outcomes[code];
            if (!n) continue;
            seen += n;
            const char *name = rpt_fail_name(code);
            fprintf(out, "%s ", first ? "" : ",");
            if (name)
                fprintf(out, "%s", name);
            else
                fprintf(out, "%d", code);
            fprintf(out, " %" PRIu64, n);
            double pct = 100.0 * ratio(n, s->count);
            if (pct >= 0.1) fprintf(out, " (%.1f%%)", pct);
            first = 0;
        }
        FL_ASSERT(seen <= s->count); /* outcomes past RPT_STATUS_MAX are not listed */
        fputc('\n', out);
    }
}

static void print_routes(FILE *out, const struct rpt_run *run)
{
    struct row *rows = fl_calloc(run->n_routes + 1, sizeof *rows);
    header_row(&rows[0], "route");
    for (size_t i = 0; i < run->n_routes; i++) stats_row(&rows[i + 1], &run->routes[i]);
    print_rows(out, rows, run->n_routes + 1);
    free(rows);
    print_outcomes(out, run);
    print_flags(out, run);
}

static int cluster_idle(const struct rpt_cluster *c)
{
    return !c->rq_total && !c->rq_overflow && !c->rq_pending_overflow && !c->no_healthy &&
           !c->rq_timeout;
}

/* One line per proxy cluster that saw traffic: counters, then the response flags it set. */
static void print_clusters(FILE *out, const struct rpt_run *run)
{
    int w = 13;
    for (size_t i = 0; i < run->n_clusters; i++)
        if (!cluster_idle(&run->clusters[i]) && (int)strlen(run->clusters[i].name) > w)
            w = (int)strlen(run->clusters[i].name);
    fprintf(out, "%-*s %9s %8s %9s %8s %8s %7s %8s %6s  %s\n", w, "proxy cluster", "requests",
            "retries", "retry-ovf", "overflow", "timeouts", "no-host", "connfail", "ejects",
            "flags");
    for (size_t i = 0; i < run->n_clusters; i++) {
        const struct rpt_cluster *c = &run->clusters[i];
        if (cluster_idle(c)) continue;
        FL_ASSERT(c->name && (int)strlen(c->name) <= w);
        fprintf(out,
                "%-*s %9" PRIu64 " %8" PRIu64 " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 " %7" PRIu64
                " %8" PRIu64 " %6" PRIu64 " ",
                w, c->name, c->rq_total, c->rq_retry, c->rq_retry_overflow,
                c->rq_overflow + c->rq_pending_overflow, c->rq_timeout + c->rq_per_try_timeout,
                c->no_healthy, c->cx_connect_fail, c->ejections);
        int any = 0;
        for (int f = 0; f < RPT_FLAGS_MAX; f++) {
            if (!c->flags[f] || !run->flag_names[f]) continue;
            fprintf(out, "%s%s %" PRIu64, any ? ", " : " ", run->flag_names[f], c->flags[f]);
            any = 1;
        }
        fputs(any ? "\n" : " -\n", out);
    }
}

static void print_services(FILE *out, const struct rpt_run *run)
{
    size_t n = 1;
    for (size_t i = 0; i < run->n_services; i++) n += 1 + run->services[i].n_pods;
    struct row *rows = fl_calloc(n, sizeof *rows);
    size_t k = 0;
    header_row(&rows[k++], "service");
    for (size_t i = 0; i < run->n_services; i++) {
        const struct rpt_service *sv = &run->services[i];
        stats_row(&rows[k++], &sv->st);
        for (size_t p = 0; p < sv->n_pods; p++) pod_row(&rows[k++], &sv->pods[p]);
    }
    FL_ASSERT(k == n);
    print_rows(out, rows, n);
    free(rows);
}

void rpt_check_value_text(char *buf, size_t size, const struct rpt_check *c)
{
    char v[32];
    FL_ASSERT(buf && size > 0 && c);
    if (!c->evaluated) {
        snprintf(buf, size, "not evaluated: %s", c->report ? c->report : "no requests");
        return;
    }
    if (c->within_ns > 0 && c->ok && !c->recovered_ns) {
        snprintf(buf, size, "held in every window after the fault");
        return;
    }
    if (c->within_ns > 0 && c->ok) {
        fl_format_duration(c->recovered_ns, v, sizeof v);
        snprintf(buf, size, "recovered %s after the fault", v);
        return;
    }
    if ((c->within_ns > 0 || c->every_window) && !c->ok) {
        snprintf(buf, size, "%s", c->report ? c->report : "out of bounds");
        return;
    }
    if (rpt_metric_is_duration(c->metric))
        fl_format_duration(llround(c->value), v, sizeof v);
    else if (rpt_metric_is_fraction(c->metric))
        snprintf(v, sizeof v, "%.4g%%", 100.0 * c->value);
    else if (c->metric == RPT_M_RETRY_AMPLIFICATION)
        snprintf(v, sizeof v, "%.3fx", c->value);
    else
        snprintf(v, sizeof v, "%.0f", c->value);
    const char *name = rpt_metric_name(c->metric);
    snprintf(buf, size, "%s = %s", name ? name : "?", v);
}

static void print_checks(FILE *out, const struct rpt_run *run)
{
    int w = 0;
    for (size_t i = 0; i < run->n_checks; i++) {
        const char *t = run->checks[i].text ? run->checks[i].text : "";
        if ((int)strlen(t) > w) w = (int)strlen(t);
    }
    fprintf(out, "assertions\n");
    for (size_t i = 0; i < run->n_checks; i++) {
        const struct rpt_check *c = &run->checks[i];
        char value[512];
        rpt_check_value_text(value, sizeof value, c);
        fprintf(out, "  %s  %-*s  %s\n", c->ok ? "PASS" : "FAIL", w, c->text ? c->text : "", value);
    }
}

static void print_texts(FILE *out, const char *title, char *const *texts, size_t n)
{
    if (!n) return;
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < n; i++) fprintf(out, "  %s\n", texts[i]);
}

static void print_head(FILE *out, const struct rpt_run *run)
{
    const struct rpt_stats *all = &run->all;
    FL_ASSERT(all->errors <= all->count && run->sim_ns >= 0);
    char sim[32], errs[16];
    fl_format_duration(run->sim_ns, sim, sizeof sim);
    fmt_percent(errs, sizeof errs, all->errors, all->count);
    fprintf(out, "faultline run: %s (seed %" PRIu64 "), %s simulated, %" PRIu64 " events\n",
            run->scenario ? run->scenario : "?", run->seed, sim, run->events);
    fprintf(out,
            "requests %" PRIu64 "   ok %" PRIu64 "   errors %" PRIu64
            " (%s)   retry amplification ",
            all->count, all->count - all->errors, all->errors, errs);
    rpt_amplify_head(out, run);
    fputc('\n', out);
    rpt_amplify_hops_line(out, run);
}

void rpt_summary_print(const struct rpt_run *run, FILE *out)
{
    char local[65];
    print_head(out, run);
    if (run->n_routes) {
        fputc('\n', out);
        print_routes(out, run);
    }
    if (run->n_services) {
        fputc('\n', out);
        print_services(out, run);
    }
    if (run->n_clusters) {
        fputc('\n', out);
        print_clusters(out, run);
    }
    if (run->cache_stores)
        fprintf(out, "\nresponse cache: %" PRIu64 " hits, %" PRIu64 " responses stored\n",
                run->cache_hits, run->cache_stores);
    /* only when there is a cache */
    rpt_caches_print(out, run);
    if (run->shadows) fprintf(out, "\nmirrored: %" PRIu64 " copies sent\n", run->shadows);
    if (run->tls_full || run->tls_resumed || run->tls_failed)
        fprintf(out,
                "\ntls handshakes: %" PRIu64 " full (%" PRIu64 " mutual), %" PRIu64
                " resumed, %" PRIu64 " failed\n",
                run->tls_full, run->tls_mutual, run->tls_resumed, run->tls_failed);
    if (run->certs_issued) {
        static const char *const why[RPT_TLS_REASONS] = {
            NULL, "expired", "not yet valid", "unknown issuer", "no SPIFFE id", "invalid"};
        fprintf(out,
                "workload certificates: %" PRIu64 " issued, %" PRIu64
                " renewals the CA did not sign; mTLS handshakes refused:",
                run->certs_issued, run->cert_renewals_failed);
        uint64_t any = 0;
        for (int i = 1; i < RPT_TLS_REASONS; i++)
            if (run->tls_refused[i]) {
                fprintf(out, "%s %" PRIu64 " %s", any ? "," : "", run->tls_refused[i], why[i]);
                any += run->tls_refused[i];
            }
        fprintf(out, "%s\n", any ? "" : " none");
    }
    rpt_retries_print(out, run);
    if (run->n_observers) {
        fprintf(out, "\ngateway plugins not affecting the request path:");
        for (size_t i = 0; i < run->n_observers; i++)
            fprintf(out, "%s %s", i ? "," : "", run->observers[i]);
        fputc('\n', out);
    }
    if (run->n_timeline) {
        fputc('\n', out);
        rpt_timeline_print(out, run);
    }
    rpt_slowest_print(out, run);
    if (run->n_checks) {
        fputc('\n', out);
        print_checks(out, run);
    }
    rpt_spans_print(out, run);
    if (run->requests_every > 1 && run->n_requests)
        fprintf(
            out,
            "\nrequests listed (run.db, latency plot): %zu, one in %u of %llu (report.requests)\n",
            run->n_requests, run->requests_every, (unsigned long long)run->requests_seen);
    print_texts(out, "notes", run->notes, run->n_notes);
    print_texts(out, "warnings", run->warnings, run->n_warnings);
    fprintf(out, "\ndigest %s\n", digest_of(run, local));
}

/* ---------------------------------------------------------------- files */

static void write_txt(const void *run, FILE *out)
{
    rpt_summary_print(run, out);
}

static void write_json(const void *run, FILE *out)
{
    rpt_summary_json(run, out);
}

int rpt_summary_write(struct rpt_run *run, const char *dir, char **err)
{
    FL_ASSERT(run && dir && err);
    rpt_summary_digest(run);
    FL_ASSERT(run->digest[0]); /* the files carry it */
    if (rpt_series_write(run, dir, err) < 0) return -1;

    if (rpt_file_write(dir, "summary.txt", write_txt, run, err) < 0) return -1;
    return rpt_file_write(dir, "summary.json", write_json, run, err);
}
