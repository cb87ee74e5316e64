/*
 * spans_out.c - the span exports of spans.h: Zipkin v2 JSON and OTLP/JSON.
 *
 * Both are written one span a line (compact JSON through reports/json.h,
 * which escapes any byte: control characters, quotes, and bytes that are
 * not UTF-8 become U+FFFD), in the order of the array given (the store
 * sorts it with rpt_spans_sort), so that the same spans give the same
 * bytes. The field mapping is in docs/tracing-export.md.
 *
 * Not here: which spans are kept (the sinks), the files (spans_files.c).
 */
#include "reports/spans.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/json.h"

/* The service of a span without one: OpenTelemetry's resource semantic conventions. */
#define UNKNOWN_SERVICE "unknown_service"

/* ---------------------------------------------------------------- shared pieces */

static void hex64(char out[17], uint64_t v)
{
    snprintf(out, 17, "%016" PRIx64, v);
}

/* 32 hex digits, or 16 when the high half is 0 and short is allowed (Zipkin's 64-bit ids). */
static void trace_hex(char out[33], uint64_t hi, uint64_t lo, int allow_short)
{
    FL_ASSERT(hi || lo);
    if (allow_short && !hi)
        snprintf(out, 33, "%016" PRIx64, lo);
    else
        snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, hi, lo);
}

/* Rounding towards minus infinity and plus infinity, to whole microseconds. */
static int64_t floor_us(int64_t ns)
{
    return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
}

static int64_t ceil_us(int64_t ns)
{
    return -floor_us(-ns);
}

/* The flags as Envoy's access log prints them ("UF,URX"); bits without a name as "bitN". */
static const char *flags_text(uint32_t flags, const char *const *names, char *buf, size_t size)
{
    FL_ASSERT(buf && size >= 64 && flags);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < 32 && used < size; i++) {
        if (!(flags & (1u << i))) continue;
        const char *name = names && i < RPT_SPAN_FLAG_BITS ? names[i] : NULL;
        int w = name ? snprintf(buf + used, size - used, "%s%s", used ? "," : "", name)
                     : snprintf(buf + used, size - used, "%sbit%d", used ? "," : "", i);
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* One tag (Zipkin) or attribute (OTLP): a text, or an integer. */
struct attr {
    const char *key;
    const char *text; /* NULL: the integer */
    int64_t num;
};

enum { ATTRS_MAX = 12 };

struct attrs {
    struct attr v[ATTRS_MAX];
    size_t n;
    char flags[128];
};

static void attr_text(struct attrs *a, const char *key, const char *text)
{
    FL_ASSERT(a->n < ATTRS_MAX && key && text);
    a->v[a->n++] = (struct attr){key, text, 0};
}

static void attr_num(struct attrs *a, const char *key, int64_t num)
{
    FL_ASSERT(a->n < ATTRS_MAX && key);
    a->v[a->n++] = (struct attr){key, NULL, num};
}

/*
 * A span's tags, in key order (alphabetical). HTTP ones are named as Zipkin's and
 * Envoy's tracers name them, or (otlp) as OpenTelemetry's HTTP semantic
 * conventions do; the error is a tag in Zipkin (its convention: "error"
 * holds the reason, or "true") and the span's status in OTLP.
 */
static void span_attrs(const struct rpt_span *s, const char *const *flag_names, int otlp,
                       struct attrs *a)
{
    FL_ASSERT(s && a);
    a->n = 0;
    if (!otlp && s->error) attr_text(a, "error", s->reason ? s->reason : "true");
    if (s->attempt) attr_num(a, "faultline.attempt", s->attempt);
    if (s->queue_ns || s->service_ns) attr_num(a, "faultline.queue_ns", s->queue_ns);
    if (s->reason) attr_text(a, "faultline.retry_reason", s->reason);
    if (s->queue_ns || s->service_ns) attr_num(a, "faultline.service_ns", s->service_ns);
    if (s->rtx_ns) attr_num(a, "faultline.tcp_retransmit_ns", s->rtx_ns);
    if (s->method) attr_text(a, otlp ? "http.request.method" : "http.method", s->method);
    if (!otlp && s->path) attr_text(a, "http.path", s->path);
    if (s->status > 0)
        attr_num(a, otlp ? "http.response.status_code" : "http.status_code", s->status);
    if (s->peer && s->kind == 1) attr_text(a, "peer.pod", s->peer);
    if (s->flags)
        attr_text(a, "response_flags", flags_text(s->flags, flag_names, a->flags, sizeof a->flags));
    if (s->cluster) attr_text(a, "upstream_cluster", s->cluster);
    if (otlp && s->path) attr_text(a, "url.path", s->path);
    FL_ASSERT(a->n <= ATTRS_MAX);
}

/* A compact JSON value written whole (one line of the file, no newline of its own). */
static void value_done(struct rpt_json *j)
{
    FL_ASSERT(j->depth == 0 && j->done);
}

/* ---------------------------------------------------------------- Zipkin v2 */

/* The text in lower case (ASCII letters; Zipkin lowercases names and service names). */
static void json_lower(struct rpt_json *j, const char *s)
{
    FL_ASSERT(s);
    char *t = fl_strdup(s);
    for (char *p = t; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    rpt_json_string(j, t);
    free(t);
}

static void zipkin_endpoint(struct rpt_json *j, const char *key, const char *service)
{
    rpt_json_key(j, key);
    rpt_json_object_begin(j);
    rpt_json_key(j, "serviceName");
    json_lower(j, service);
    rpt_json_object_end(j);
}

/* Zipkin v2 Span: zipkin2-api.yaml, definitions/Span (field order as Zipkin writes them). */
static void zipkin_span(const struct rpt_span *s, int64_t epoch_us, const char *const *flag_names,
                        FILE *f)
{
    static const char *const kinds[] = {NULL, "CLIENT", "SERVER"};
    FL_ASSERT(s->kind <= 2 && s->id && s->end_ns >= s->start_ns);
    char trace[33], id[17], parent[17], num[24];
    struct rpt_json j;
    rpt_json_init(&j, f, 0);
    rpt_json_object_begin(&j);
    trace_hex(trace, s->trace_hi, s->trace_lo, 1);
    rpt_json_key(&j, "traceId");
    rpt_json_string(&j, trace);
    if (s->parent) { /* "absent on the root" */
        hex64(parent, s->parent);
        rpt_json_key(&j, "parentId");
        rpt_json_string(&j, parent);
    }
    hex64(id, s->id);
    rpt_json_key(&j, "id");
    rpt_json_string(&j, id);
    if (kinds[s->kind]) { /* a local span has no kind */
        rpt_json_key(&j, "kind");
        rpt_json_string(&j, kinds[s->kind]);
    }
    if (s->name) {
        rpt_json_key(&j, "name");
        json_lower(&j, s->name);
    }
    /* epoch microseconds; "duration ... rounds up to 1" below a microsecond */
    int64_t start = floor_us(s->start_ns), end = ceil_us(s->end_ns);
    rpt_json_key(&j, "timestamp");
    rpt_json_int(&j, epoch_us + start);
    rpt_json_key(&j, "duration");
    rpt_json_int(&j, end - start > 0 ? end - start : 1);
    zipkin_endpoint(&j, "localEndpoint", s->service ? s->service : UNKNOWN_SERVICE);
    if (s->peer) zipkin_endpoint(&j, "remoteEndpoint", s->peer);
    struct attrs a;
    span_attrs(s, flag_names, 0, &a);
    if (a.n) {
        rpt_json_key(&j, "tags");
        rpt_json_object_begin(&j);
        for (size_t i = 0; i < a.n; i++) {
            rpt_json_key(&j, a.v[i].key);
            if (!a.v[i].text) snprintf(num, sizeof num, "%" PRId64, a.v[i].num);
            rpt_json_string(&j, a.v[i].text ? a.v[i].text : num); /* tags are strings */
        }
        rpt_json_object_end(&j);
    }
    rpt_json_object_end(&j);
    value_done(&j);
}

int rpt_spans_write_zipkin(const struct rpt_span *v, size_t n, int64_t epoch_us,
                           const char *const *flag_names, FILE *f)
{
    FL_ASSERT(f && (v || !n));
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n" : "\n", f);
        zipkin_span(&v[i], epoch_us, flag_names, f);
    }
    fputs(n ? "\n]\n" : "]\n", f);
    return ferror(f) ? -1 : 0;
}

/* ---------------------------------------------------------------- OTLP/JSON */

/* int64 and fixed64 fields are decimal strings in the proto3 JSON mapping */
static void json_int64_string(struct rpt_json *j, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    rpt_json_string(j, num);
}

/* trace.proto Span; kind: SPAN_KIND_INTERNAL 1, SERVER 2, CLIENT 3; status STATUS_CODE_ERROR 2 */
static void otlp_span(const struct rpt_span *s, int64_t epoch_us, const char *const *flag_names,
                      FILE *f)
{
    static const int kinds[] = {1, 3, 2};
    FL_ASSERT(s->kind <= 2 && s->id && s->end_ns >= s->start_ns);
    char trace[33], id[17];
    struct rpt_json j;
    rpt_json_init(&j, f, 0);
    rpt_json_object_begin(&j);
    trace_hex(trace, s->trace_hi, s->trace_lo, 0); /* always 16 bytes: zeros on the left */
    rpt_json_key(&j, "traceId");
    rpt_json_string(&j, trace);
    hex64(id, s->id);
    rpt_json_key(&j, "spanId");
    rpt_json_string(&j, id);
    if (s->parent) {
        hex64(id, s->parent);
        rpt_json_key(&j, "parentSpanId");
        rpt_json_string(&j, id);
    }
    rpt_json_key(&j, "name");
    rpt_json_string(&j, s->name ? s->name : "");
    rpt_json_key(&j, "kind");
    rpt_json_int(&j, kinds[s->kind]);
    rpt_json_key(&j, "startTimeUnixNano");
    json_int64_string(&j, epoch_us * 1000 + s->start_ns);
    rpt_json_key(&j, "endTimeUnixNano");
    json_int64_string(&j, epoch_us * 1000 + s->end_ns);
    struct attrs a;
    span_attrs(s, flag_names, 1, &a);
    if (a.n) {
        rpt_json_key(&j, "attributes");
        rpt_json_array_begin(&j);
        for (size_t i = 0; i < a.n; i++) {
            rpt_json_object_begin(&j);
            rpt_json_key(&j, "key");
            rpt_json_string(&j, a.v[i].key);
            rpt_json_key(&j, "value");
            rpt_json_object_begin(&j);
            rpt_json_key(&j, a.v[i].text ? "stringValue" : "intValue");
            if (a.v[i].text)
                rpt_json_string(&j, a.v[i].text);
            else
                json_int64_string(&j, a.v[i].num);
            rpt_json_object_end(&j);
            rpt_json_object_end(&j);
        }
        rpt_json_array_end(&j);
    }
    if (s->error) {
        rpt_json_key(&j, "status");
        rpt_json_object_begin(&j);
        if (s->reason) {
            rpt_json_key(&j, "message");
            rpt_json_string(&j, s->reason);
        }
        rpt_json_key(&j, "code");
        rpt_json_int(&j, 2);
        rpt_json_object_end(&j);
    }
    rpt_json_object_end(&j);
    value_done(&j);
}

static const char *service_of(const struct rpt_span *s)
{
    return s->service ? s->service : UNKNOWN_SERVICE;
}

/* A span's place in the OTLP file: by service, then in the array's order. */
struct by_service {
    const char *service;
    size_t i;
};

static int by_service_cmp(const void *a, const void *b)
{
    const struct by_service *x = a, *y = b;
    int c = strcmp(x->service, y->service);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* A resource (one service) and its scope, up to the opening of the span list. */
static void otlp_resource_begin(const char *service, int first, FILE *f)
{
    FL_ASSERT(service);
    fputs(first ? "\n" : "\n]}]},\n", f);
    fputs("{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":",
          f);
    struct rpt_json j;
    rpt_json_init(&j, f, 0);
    rpt_json_string(&j, service);
    value_done(&j);
    fputs("}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"faultline\"},\"spans\":[", f);
}

int rpt_spans_write_otlp(const struct rpt_span *v, size_t n, int64_t epoch_us,
                         const char *const *flag_names, FILE *f)
{
    FL_ASSERT(f && (v || !n));
    struct by_service *idx = fl_calloc(n ? n : 1, sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = (struct by_service){service_of(&v[i]), i};
    if (n > 1) qsort(idx, n, sizeof *idx, by_service_cmp);
    fputs("{\"resourceSpans\":[", f);
    const char *service = NULL;
    for (size_t k = 0; k < n; k++) {
        const struct rpt_span *s = &v[idx[k].i];
        int first_of_service = !service || strcmp(service, service_of(s));
        if (first_of_service) {
            otlp_resource_begin(service_of(s), !service, f);
            service = service_of(s);
        }
        fputs(first_of_service ? "\n" : ",\n", f);
        otlp_span(s, epoch_us, flag_names, f);
    }
    fputs(n ? "\n]}]}\n]}\n" : "]}\n", f);
    free(idx);
    FL_ASSERT(!n || service);
    return ferror(f) ? -1 : 0;
}
