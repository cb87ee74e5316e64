/*
 * spancheck.c - checks a span export against the Zipkin v2 model or the
 * OTLP/JSON rules, and the shape of the traces in it.
 *
 *   spancheck zipkin FILE [--allow-orphans] [--allow-overrun]
 *   spancheck otlp FILE [--allow-orphans] [--allow-overrun]
 *
 * Zipkin v2 (openzipkin/zipkin-api zipkin2-api.yaml, ListOfSpans): a JSON
 * array of spans; traceId 16 or 32 lower-case hex digits, id and parentId
 * 16 (not all zeros); name and localEndpoint.serviceName lower case;
 * kind CLIENT, SERVER, PRODUCER or CONSUMER when present; timestamp and
 * duration whole microseconds, duration >= 1; tags a map of strings.
 * OTLP/JSON (opentelemetry-proto docs/specification.md, trace.proto): an
 * object with resourceSpans, each with a resource whose attributes hold
 * service.name and with scopeSpans holding spans; traceId 32 hex digits,
 * spanId and parentSpanId 16 (hex, not base64); kind and status.code
 * integers (not enum names), start/endTimeUnixNano decimal strings with
 * end >= start; every attribute a key and a value of exactly one kind.
 *
 * Then the traces (both formats): span ids unique in their trace, every
 * parent link to a span of the file in the same trace, no cycles, exactly
 * one root per trace, every child inside its parent's time (a Zipkin span
 * of the 1 us minimum duration may end 1 us after its parent), and client
 * spans carrying faultline.attempt numbered without gaps: under one parent
 * and one upstream (upstream_cluster, else the span's name), in start
 * order, an attempt k > 1 only after as many attempts k - 1.
 *
 * --allow-orphans: a parent missing from the file is accepted (a trace
 *   continued from a caller outside, such as curl sending traceparent to
 *   the live gateway, or spans of a store that hit its cap); such a span is
 *   the root of what the file has of its trace. Each trace must then have
 *   at least one root and at most one span without a parent.
 * --allow-overrun: a child may end after its parent (it must still start
 *   inside it): an upstream that kept working after its caller gave up.
 *
 * Each violation is printed as "spancheck: FILE: span ID (trace T): what"
 * (the first 100 of them); exit 1 if any. Else one line with the counts,
 * exit 0. Exit 2: bad usage, or the file cannot be read.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_MAX 100

struct span {
    char trace[33];
    char id_text[17];
    uint64_t id, parent;
    int has_parent;
    int64_t start, end; /* microseconds (Zipkin) or nanoseconds (OTLP) */
    int client;
    long attempt;      /* 0: none */
    const char *group; /* upstream_cluster, else the name (the JSON document's) */
    int min_duration;  /* Zipkin: the 1 us minimum (may stick out of its parent by 1 us) */
    size_t parent_at;  /* index of the parent, or SIZE_MAX */
    int walk;          /* cycle search: 0 not seen, 1 on the current path, 2 reaches a root */
};

struct check {
    const char *file;
    int otlp, allow_orphans, allow_overrun;
    size_t violations;
    struct span *v;
    size_t n, cap;
};

static void say(struct check *c, const char *id, const char *trace, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(struct check *c, const char *id, const char *trace, const char *fmt, ...)
{
    if (++c->violations > SHOWN_MAX) return;
    printf("spancheck: %s: span %s", c->file, id && *id ? id : "?");
    if (trace && *trace) printf(" (trace %s)", trace);
    printf(": ");
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* 1 if s is exactly `len` lower-case hex digits (len 0: 16 or 32), not all zeros. */
static int lower_hex(const char *s, size_t len)
{
    size_t n = strlen(s);
    if (len ? n != len : n != 16 && n != 32) return 0;
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

static int has_upper(const char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') return 1;
    return 0;
}

/* A decimal integer text ("-" allowed when sign); 0, or -1 if it is not one. */
static int decimal(const char *s, int sign, int64_t *out)
{
    const char *p = s;
    if (sign && *p == '-') p++;
    if (!*p || strlen(p) > 19) return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno) return -1;
    *out = v;
    return 0;
}

static struct span *new_span(struct check *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (!c->v) abort();
    }
    struct span *s = &c->v[c->n++];
    memset(s, 0, sizeof *s);
    s->parent_at = SIZE_MAX;
    s->group = "";
    return s;
}

/* The 16-hex id at key (or none, when optional and absent); -1 after saying why. */
static int span_id(struct check *c, json_t *o, const char *key, int optional, uint64_t *id,
                   const char *who, const char *trace)
{
    json_t *x = json_object_get(o, key);
    if (!x && optional) return 1;
    const char *t = json_string_value(x);
    if (!t || !lower_hex(t, 16)) {
        say(c, who, trace, "%s is not 16 lower-case hex digits (not all zeros)", key);
        return -1;
    }
    *id = strtoull(t, NULL, 16);
    return 0;
}

/* ---------------------------------------------------------------- Zipkin v2 */

static void zipkin_endpoint(struct check *c, json_t *o, const char *key, int required,
                            const char *who, const char *trace)
{
    json_t *e = json_object_get(o, key);
    if (!e) {
        if (required) say(c, who, trace, "no %s", key);
        return;
    }
    const char *name = json_string_value(json_object_get(e, "serviceName"));
    if (!json_is_object(e))
        say(c, who, trace, "%s is not an object", key);
    else if (required && (!name || !*name))
        say(c, who, trace, "%s has no serviceName", key);
    else if (json_object_get(e, "serviceName") && (!name || has_upper(name)))
        say(c, who, trace, "%s.serviceName is not a lower-case string", key);
    json_t *port = json_object_get(e, "port");
    if (port && (!json_is_integer(port) || json_integer_value(port) < 1 ||
                 json_integer_value(port) > 65535))
        say(c, who, trace, "%s.port is not 1..65535", key);
}

static void zipkin_tags(struct check *c, json_t *o, struct span *s, const char *trace)
{
    json_t *tags = json_object_get(o, "tags");
    if (!tags) return;
    if (!json_is_object(tags)) {
        say(c, s->id_text, trace, "tags is not an object");
        return;
    }
    const char *k;
    json_t *val;
    json_object_foreach(tags, k, val)
    {
        if (!json_is_string(val)) say(c, s->id_text, trace, "tag %s is not a string", k);
    }
    const char *attempt = json_string_value(json_object_get(tags, "faultline.attempt"));
    int64_t a;
    if (attempt && (decimal(attempt, 0, &a) || a < 1))
        say(c, s->id_text, trace, "faultline.attempt '%s' is not a positive number", attempt);
    else if (attempt)
        s->attempt = (long)a;
    const char *cluster = json_string_value(json_object_get(tags, "upstream_cluster"));
    if (cluster) s->group = cluster;
}

static void zipkin_span(struct check *c, json_t *o, size_t at)
{
    static const char *const known[] = {
        "traceId",        "id",          "parentId", "name",
        "kind",           "timestamp",   "duration", "localEndpoint",
        "remoteEndpoint", "annotations", "tags",     "debug",
        "shared",         NULL};
    char who[32];
    snprintf(who, sizeof who, "#%zu", at);
    if (!json_is_object(o)) {
        say(c, who, NULL, "not an object");
        return;
    }
    struct span *s = new_span(c);
    const char *trace = json_string_value(json_object_get(o, "traceId"));
    if (!trace || !lower_hex(trace, 0)) {
        say(c, who, NULL, "traceId is not 16 or 32 lower-case hex digits (not all zeros)");
        c->n--;
        return;
    }
    snprintf(s->trace, sizeof s->trace, "%s", trace);
    if (span_id(c, o, "id", 0, &s->id, who, trace)) {
        c->n--;
        return;
    }
    snprintf(s->id_text, sizeof s->id_text, "%016" PRIx64, s->id);
    int p = span_id(c, o, "parentId", 1, &s->parent, s->id_text, trace);
    s->has_parent = p == 0;
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        int ok = 0;
        for (int i = 0; known[i]; i++) ok |= !strcmp(known[i], k);
        if (!ok) say(c, s->id_text, trace, "unknown field %s", k);
    }
    json_t *name = json_object_get(o, "name");
    if (name && (!json_is_string(name) || has_upper(json_string_value(name))))
        say(c, s->id_text, trace, "name is not a lower-case string");
    if (name && json_is_string(name)) s->group = json_string_value(name);
    json_t *kind = json_object_get(o, "kind");
    const char *kt = json_string_value(kind);
    if (kind && (!kt || (strcmp(kt, "CLIENT") && strcmp(kt, "SERVER") && strcmp(kt, "PRODUCER") &&
                         strcmp(kt, "CONSUMER"))))
        say(c, s->id_text, trace, "kind is not CLIENT, SERVER, PRODUCER or CONSUMER");
    s->client = kt && !strcmp(kt, "CLIENT");
    json_t *ts = json_object_get(o, "timestamp"), *dur = json_object_get(o, "duration");
    if (!json_is_integer(ts) || json_integer_value(ts) <= 0)
        say(c, s->id_text, trace, "timestamp is not a positive whole number of microseconds");
    if (!json_is_integer(dur) || json_integer_value(dur) < 1)
        say(c, s->id_text, trace, "duration is not a whole number of microseconds >= 1");
    s->start = json_integer_value(ts);
    s->end = s->start + json_integer_value(dur);
    s->min_duration = json_integer_value(dur) == 1;
    zipkin_endpoint(c, o, "localEndpoint", 1, s->id_text, trace);
    zipkin_endpoint(c, o, "remoteEndpoint", 0, s->id_text, trace);
    zipkin_tags(c, o, s, trace);
}

static void zipkin_file(struct check *c, json_t *root)
{
    if (!json_is_array(root)) {
        say(c, "-", NULL, "the file is not a JSON array of spans (ListOfSpans)");
        return;
    }
    size_t i;
    json_t *o;
    json_array_foreach(root, i, o) zipkin_span(c, o, i);
}

/* ---------------------------------------------------------------- OTLP/JSON */

/* AnyValue: exactly one of its fields, of the right JSON type (common.proto). */
static int any_value_ok(json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1) return 0;
    json_t *x;
    int64_t n;
    if ((x = json_object_get(v, "stringValue"))) return json_is_string(x);
    if ((x = json_object_get(v, "boolValue"))) return json_is_boolean(x);
    if ((x = json_object_get(v, "intValue")))
        return json_is_integer(x) || (json_is_string(x) && !decimal(json_string_value(x), 1, &n));
    if ((x = json_object_get(v, "doubleValue"))) return json_is_number(x);
    if ((x = json_object_get(v, "bytesValue"))) return json_is_string(x);
    if ((x = json_object_get(v, "arrayValue"))) return json_is_object(x);
    if ((x = json_object_get(v, "kvlistValue"))) return json_is_object(x);
    return 0;
}

static int64_t int_value(json_t *v)
{
    json_t *x = json_object_get(v, "intValue");
    int64_t n = 0;
    if (json_is_integer(x)) return json_integer_value(x);
    if (json_is_string(x) && !decimal(json_string_value(x), 1, &n)) return n;
    return 0;
}

static void otlp_attributes(struct check *c, json_t *o, struct span *s)
{
    json_t *attrs = json_object_get(o, "attributes");
    if (!attrs) return;
    if (!json_is_array(attrs)) {
        say(c, s->id_text, s->trace, "attributes is not an array");
        return;
    }
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        const char *key = json_string_value(json_object_get(a, "key"));
        json_t *value = json_object_get(a, "value");
        if (!key || !*key) {
            say(c, s->id_text, s->trace, "attribute %zu has no key", i);
            continue;
        }
        if (!any_value_ok(value)) {
            say(c, s->id_text, s->trace, "attribute %s: value is not one AnyValue field", key);
            continue;
        }
        if (!strcmp(key, "faultline.attempt")) {
            s->attempt = (long)int_value(value);
            if (s->attempt < 1)
                say(c, s->id_text, s->trace, "faultline.attempt is not a positive intValue");
        }
        const char *cluster = json_string_value(json_object_get(value, "stringValue"));
        if (!strcmp(key, "upstream_cluster") && cluster) s->group = cluster;
    }
}

static int64_t nano_time(struct check *c, json_t *o, const char *key, struct span *s)
{
    const char *t = json_string_value(json_object_get(o, key));
    int64_t v;
    if (!t || decimal(t, 0, &v) || v <= 0) {
        say(c, s->id_text, s->trace, "%s is not a decimal string of nanoseconds", key);
        return 0;
    }
    return v;
}

static void otlp_span(struct check *c, json_t *o, const char *where)
{
    if (!json_is_object(o)) {
        say(c, where, NULL, "not an object");
        return;
    }
    struct span *s = new_span(c);
    const char *trace = json_string_value(json_object_get(o, "traceId"));
    if (!trace || !lower_hex(trace, 32)) {
        say(c, where, NULL, "traceId is not 32 lower-case hex digits (not all zeros)");
        c->n--;
        return;
    }
    snprintf(s->trace, sizeof s->trace, "%s", trace);
    if (span_id(c, o, "spanId", 0, &s->id, where, trace)) {
        c->n--;
        return;
    }
    snprintf(s->id_text, sizeof s->id_text, "%016" PRIx64, s->id);
    json_t *parent = json_object_get(o, "parentSpanId");
    /* proto3: an empty string is the default, i.e. no parent */
    if (parent && !(json_is_string(parent) && !*json_string_value(parent)))
        s->has_parent = !span_id(c, o, "parentSpanId", 0, &s->parent, s->id_text, trace);
    json_t *name = json_object_get(o, "name");
    if (!json_is_string(name)) say(c, s->id_text, trace, "name is not a string");
    if (json_is_string(name)) s->group = json_string_value(name);
    json_t *kind = json_object_get(o, "kind");
    if (kind &&
        (!json_is_integer(kind) || json_integer_value(kind) < 0 || json_integer_value(kind) > 5))
        say(c, s->id_text, trace, "kind is not an integer 0..5 (enums are integers)");
    s->client = json_integer_value(kind) == 3;
    s->start = nano_time(c, o, "startTimeUnixNano", s);
    s->end = nano_time(c, o, "endTimeUnixNano", s);
    if (s->end < s->start) say(c, s->id_text, trace, "ends before it starts");
    otlp_attributes(c, o, s);
    json_t *st = json_object_get(o, "status");
    json_t *code = json_object_get(st, "code");
    if (st &&
        (!json_is_object(st) || (code && (!json_is_integer(code) || json_integer_value(code) < 0 ||
                                          json_integer_value(code) > 2))))
        say(c, s->id_text, trace, "status.code is not an integer 0..2");
}

static int service_named(json_t *resource)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(resource, "attributes"), i, a)
    {
        const char *key = json_string_value(json_object_get(a, "key"));
        const char *name =
            json_string_value(json_object_get(json_object_get(a, "value"), "stringValue"));
        if (key && !strcmp(key, "service.name") && name && *name) return 1;
    }
    return 0;
}

static void otlp_file(struct check *c, json_t *root)
{
    json_t *rss = json_object_get(root, "resourceSpans");
    if (!json_is_object(root) || !json_is_array(rss)) {
        say(c, "-", NULL, "the file is not an object with a resourceSpans array");
        return;
    }
    size_t i, k, m;
    json_t *rs, *ss, *o;
    json_array_foreach(rss, i, rs)
    {
        char where[128];
        snprintf(where, sizeof where, "resourceSpans[%zu]", i);
        if (!service_named(json_object_get(rs, "resource")))
            say(c, where, NULL, "resource has no service.name stringValue attribute");
        json_t *sss = json_object_get(rs, "scopeSpans");
        if (!json_is_array(sss)) {
            say(c, where, NULL, "scopeSpans is not an array");
            continue;
        }
        json_array_foreach(sss, k, ss)
        {
            json_t *spans = json_object_get(ss, "spans");
            if (!json_is_array(spans)) {
                say(c, where, NULL, "scopeSpans[%zu].spans is not an array", k);
                continue;
            }
            json_array_foreach(spans, m, o)
            {
                snprintf(where, sizeof where, "resourceSpans[%zu].scopeSpans[%zu].spans[%zu]", i, k,
                         m);
                otlp_span(c, o, where);
            }
        }
    }
}

/* ---------------------------------------------------------------- the traces */

static int by_trace_id(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    int t = strcmp(x->trace, y->trace);
    if (t) return t;
    return x->id < y->id ? -1 : x->id > y->id;
}

static size_t find(const struct check *c, const char *trace, uint64_t id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int t = strcmp(c->v[mid].trace, trace);
        if (!t && c->v[mid].id == id) return mid;
        if (t < 0 || (!t && c->v[mid].id < id))
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* Follows parent links up from span i; says so when they go round in a circle. */
static void walk_up(struct check *c, size_t i)
{
    size_t j = i;
    while (j != SIZE_MAX && c->v[j].walk == 0) {
        c->v[j].walk = 1;
        j = c->v[j].parent_at;
    }
    int cycle = j != SIZE_MAX && c->v[j].walk == 1;
    if (cycle) say(c, c->v[j].id_text, c->v[j].trace, "its parent links go round in a circle");
    for (j = i; j != SIZE_MAX && c->v[j].walk == 1; j = c->v[j].parent_at) c->v[j].walk = 2;
}

static void check_links(struct check *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct span *s = &c->v[i];
        if (i && !by_trace_id(&c->v[i - 1], s)) say(c, s->id_text, s->trace, "id used twice");
        if (!s->has_parent) continue;
        if (s->parent == s->id) {
            say(c, s->id_text, s->trace, "is its own parent");
            continue;
        }
        s->parent_at = find(c, s->trace, s->parent);
        if (s->parent_at == SIZE_MAX && !c->allow_orphans)
            say(c, s->id_text, s->trace, "parent %016" PRIx64 " is not in the file", s->parent);
        if (s->parent_at == SIZE_MAX) continue;
        const struct span *p = &c->v[s->parent_at];
        int64_t slack = !c->otlp && s->min_duration ? 1 : 0;
        if (s->start < p->start)
            say(c, s->id_text, s->trace, "starts %" PRId64 " %s before its parent %s",
                p->start - s->start, c->otlp ? "ns" : "us", p->id_text);
        else if (s->end > p->end + slack && !c->allow_overrun)
            say(c, s->id_text, s->trace, "ends %" PRId64 " %s after its parent %s", s->end - p->end,
                c->otlp ? "ns" : "us", p->id_text);
    }
    for (size_t i = 0; i < c->n; i++)
        if (!c->v[i].walk) walk_up(c, i);
}

static size_t check_roots(struct check *c)
{
    size_t traces = 0;
    for (size_t i = 0; i < c->n;) {
        size_t j = i, roots = 0, orphans = 0;
        for (; j < c->n && !strcmp(c->v[j].trace, c->v[i].trace); j++) {
            roots += !c->v[j].has_parent;
            orphans += c->v[j].has_parent && c->v[j].parent_at == SIZE_MAX;
            if (roots > 1 && !c->v[j].has_parent)
                say(c, c->v[j].id_text, c->v[j].trace, "a second root in the trace");
        }
        if (!roots && !orphans) say(c, "-", c->v[i].trace, "the trace has no root");
        traces++;
        i = j;
    }
    return traces;
}

/* Client spans in attempt order: trace, parent, upstream, start, attempt. */
static int by_attempt(const void *a, const void *b)
{
    const struct span *x = *(const struct span *const *)a, *y = *(const struct span *const *)b;
    int t = strcmp(x->trace, y->trace);
    if (t) return t;
    if (x->parent != y->parent) return x->parent < y->parent ? -1 : 1;
    if ((t = strcmp(x->group, y->group))) return t;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->attempt < y->attempt ? -1 : x->attempt > y->attempt;
}

static void check_attempts(struct check *c)
{
    struct span **cl = calloc(c->n + 1, sizeof *cl);
    size_t n = 0;
    if (!cl) abort();
    for (size_t i = 0; i < c->n; i++) {
        if (!c->v[i].client) continue;
        if (!c->v[i].attempt)
            say(c, c->v[i].id_text, c->v[i].trace, "client span without faultline.attempt");
        else
            cl[n++] = &c->v[i];
    }
    if (n > 1) qsort(cl, n, sizeof *cl, by_attempt);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        long max = 0;
        while (j < n && !strcmp(cl[j]->trace, cl[i]->trace) && cl[j]->parent == cl[i]->parent &&
               !strcmp(cl[j]->group, cl[i]->group))
            max = cl[j]->attempt > max ? cl[j]->attempt : max, j++;
        size_t *seen = calloc((size_t)max + 1, sizeof *seen);
        if (!seen) abort();
        for (size_t k = i; k < j; k++) {
            long a = cl[k]->attempt;
            if (a > 1 && seen[a - 1] <= seen[a])
                say(c, cl[k]->id_text, cl[k]->trace,
                    "attempt %ld to %s without an attempt %ld before it under the same parent", a,
                    cl[k]->group, a - 1);
            seen[a]++;
        }
        free(seen);
        i = j;
    }
    free(cl);
}

static int usage(void)
{
    fprintf(stderr, "usage: spancheck zipkin|otlp FILE [--allow-orphans] [--allow-overrun]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct check c = {0};
    if (argc < 3) return usage();
    if (!strcmp(argv[1], "otlp"))
        c.otlp = 1;
    else if (strcmp(argv[1], "zipkin"))
        return usage();
    c.file = argv[2];
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--allow-orphans"))
            c.allow_orphans = 1;
        else if (!strcmp(argv[i], "--allow-overrun"))
            c.allow_overrun = 1;
        else
            return usage();
    }
    FILE *f = fopen(c.file, "rb");
    if (!f) {
        fprintf(stderr, "spancheck: %s: %s\n", c.file, strerror(errno));
        return 2;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!root) {
        printf("spancheck: %s:%d:%d: not JSON: %s\n", c.file, jerr.line, jerr.column, jerr.text);
        return 1;
    }
    if (c.otlp)
        otlp_file(&c, root);
    else
        zipkin_file(&c, root);
    if (c.n > 1) qsort(c.v, c.n, sizeof *c.v, by_trace_id);
    check_links(&c);
    size_t traces = check_roots(&c);
    check_attempts(&c);
    if (c.violations > SHOWN_MAX)
        printf("spancheck: %s: ... %zu violations in all\n", c.file, c.violations);
    else if (!c.violations)
        printf("spancheck: %s: %zu spans in %zu traces: valid %s\n", c.file, c.n, traces,
               c.otlp ? "OTLP/JSON" : "Zipkin v2");
    json_decref(root);
    free(c.v);
    return c.violations ? 1 : 0;
}
