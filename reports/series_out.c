/*
 * series_out.c - the series in summary.json and in CSV (series_out.h).
 *
 * Numbers have fixed formats (integers; milliseconds with six decimals,
 * exact nanoseconds; t_s with three), so the files of a run are the same
 * bytes every time. CSV follows RFC 4180: a name holding a comma, a quote
 * or a line break is quoted, quotes doubled.
 */
#include "reports/series_out.h"

#include <inttypes.h>
#include <string.h>

#include "base/assert.h"
#include "reports/csv.h"
#include "reports/file.h"

#define MS_DECIMALS 6

/* ---------------------------------------------------------------- JSON */

static void key_uint(struct rpt_json *j, const char *key, uint64_t v)
{
    rpt_json_key(j, key);
    rpt_json_uint(j, v);
}

static void key_ms(struct rpt_json *j, const char *key, int64_t ns, int exists)
{
    rpt_json_key(j, key);
    if (exists)
        rpt_json_decimal(j, ns, MS_DECIMALS);
    else
        rpt_json_null(j);
}

static void key_t_s(struct rpt_json *j, int64_t window_ns, size_t k)
{
    rpt_json_key(j, "t_s");
    rpt_json_decimal(j, (int64_t)k * (window_ns / 1000000), 3); /* ms, written as s */
}

static void json_points(struct rpt_json *j, const struct rpt_series *s, int64_t window_ns)
{
    FL_ASSERT(s->name && window_ns > 0);
    rpt_json_object_begin(j);
    rpt_json_key(j, "name");
    rpt_json_string(j, s->name);
    rpt_json_key(j, "points");
    rpt_json_array_begin(j);
    for (size_t k = 0; k < s->n_pts; k++) {
        const struct rpt_point *p = &s->pts[k];
        rpt_json_object_begin(j);
        int indent = j->indent;
        j->indent = 0; /* a point on one line: the file stays readable and small */
        key_t_s(j, window_ns, k);
        key_uint(j, "count", p->count);
        key_uint(j, "errors", p->errors);
        key_uint(j, "tries", p->tries);
        key_ms(j, "p50_ms", p->p50_ns, p->count > 0);
        key_ms(j, "p95_ms", p->p95_ns, p->count > 0);
        key_ms(j, "p99_ms", p->p99_ns, p->count > 0);
        rpt_json_key(j, "outcomes");
        rpt_json_object_begin(j);
        for (int c = 0; c < RPT_CLASS_MAX; c++)
            if (p->classes[c]) key_uint(j, rpt_class_name((enum rpt_class)c), p->classes[c]);
        rpt_json_object_end(j);
        rpt_json_object_end(j);
        j->indent = indent;
    }
    rpt_json_array_end(j);
    rpt_json_object_end(j);
}

static void json_list(struct rpt_json *j, const char *key, const struct rpt_series *v, size_t n,
                      int64_t window_ns)
{
    rpt_json_key(j, key);
    rpt_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        FL_ASSERT(i == 0 || v[i].n_pts == v[0].n_pts); /* finished: every series padded alike */
        json_points(j, &v[i], window_ns);
    }
    rpt_json_array_end(j);
}

static void json_clusters(struct rpt_json *j, const struct rpt_series_set *set)
{
    rpt_json_key(j, "clusters");
    rpt_json_array_begin(j);
    for (size_t i = 0; i < set->n_clusters; i++) {
        const struct rpt_cseries *c = &set->clusters[i];
        rpt_json_object_begin(j);
        rpt_json_key(j, "name");
        rpt_json_string(j, c->name);
        rpt_json_key(j, "points");
        rpt_json_array_begin(j);
        for (size_t k = 0; k < c->n_pts; k++) {
            const struct rpt_cpoint *p = &c->pts[k];
            rpt_json_object_begin(j);
            int indent = j->indent;
            j->indent = 0; /* one line, as above */
            key_t_s(j, set->window_ns, k);
            key_uint(j, "rq_total", p->rq_total);
            key_uint(j, "rq_retry", p->rq_retry);
            key_uint(j, "overflows", p->overflows);
            key_uint(j, "timeouts", p->timeouts);
            key_uint(j, "ejections", p->ejections);
            rpt_json_object_end(j);
            j->indent = indent;
        }
        rpt_json_array_end(j);
        rpt_json_object_end(j);
    }
    rpt_json_array_end(j);
}

void rpt_series_json(struct rpt_json *j, const struct rpt_run *run)
{
    const struct rpt_series_set *set = &run->series;
    if (!set->window_ns || !set->output) return;
    FL_ASSERT(set->window_ns % 1000000 == 0); /* the loader's unit: whole milliseconds */
    rpt_json_key(j, "series");
    rpt_json_object_begin(j);
    key_uint(j, "window_ms", (uint64_t)(set->window_ns / 1000000));
    rpt_json_key(j, "all");
    json_points(j, &set->all, set->window_ns);
    json_list(j, "routes", set->routes, set->n_routes, set->window_ns);
    json_list(j, "services", set->services, set->n_services, set->window_ns);
    json_list(j, "edges", set->edges, set->n_edges, set->window_ns);
    json_clusters(j, set);
    rpt_json_object_end(j);
}

/* ---------------------------------------------------------------- CSV */

static void csv_ms(FILE *out, int64_t ns, int exists)
{
    if (exists) fprintf(out, "%" PRId64 ".%06" PRId64, ns / 1000000, ns % 1000000);
    fputc(',', out);
}

static void csv_t_s(FILE *out, int64_t window_ns, size_t k)
{
    int64_t ms = (int64_t)k * (window_ns / 1000000);
    fprintf(out, "%" PRId64 ".%03" PRId64 ",", ms / 1000, ms % 1000);
}

struct csv_arg {
    const struct rpt_series *v;
    size_t n;
    int64_t window_ns;
    const char *first; /* the name column's title */
};

static void write_series_csv(const void *arg, FILE *out)
{
    const struct csv_arg *a = arg;
    FL_ASSERT(a->window_ns > 0 && a->first);
    fprintf(out, "%s,t_s,count,errors,tries,p50_ms,p95_ms,p99_ms", a->first);
    for (int c = 0; c < RPT_CLASS_MAX; c++) fprintf(out, ",%s", rpt_class_name((enum rpt_class)c));
    fputc('\n', out);
    for (size_t i = 0; i < a->n; i++)
        for (size_t k = 0; k < a->v[i].n_pts; k++) {
            const struct rpt_point *p = &a->v[i].pts[k];
            rpt_csv_field(out, a->v[i].name);
            fputc(',', out);
            csv_t_s(out, a->window_ns, k);
            fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", p->count, p->errors, p->tries);
            csv_ms(out, p->p50_ns, p->count > 0);
            csv_ms(out, p->p95_ns, p->count > 0);
            csv_ms(out, p->p99_ns, p->count > 0);
            for (int c = 0; c < RPT_CLASS_MAX; c++)
                fprintf(out, "%" PRIu64 "%s", p->classes[c], c + 1 < RPT_CLASS_MAX ? "," : "\n");
        }
}

static void write_clusters_csv(const void *arg, FILE *out)
{
    const struct rpt_series_set *set = arg;
    FL_ASSERT(set->window_ns > 0);
    fputs("cluster,t_s,rq_total,rq_retry,overflows,timeouts,ejections\n", out);
    for (size_t i = 0; i < set->n_clusters; i++)
        for (size_t k = 0; k < set->clusters[i].n_pts; k++) {
            const struct rpt_cpoint *p = &set->clusters[i].pts[k];
            rpt_csv_field(out, set->clusters[i].name);
            fputc(',', out);
            csv_t_s(out, set->window_ns, k);
            fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                    p->rq_total, p->rq_retry, p->overflows, p->timeouts, p->ejections);
        }
}

int rpt_series_write(const struct rpt_run *run, const char *dir, char **err)
{
    const struct rpt_series_set *set = &run->series;
    if (!set->window_ns || !set->output) return 0;
    struct csv_arg routes = {set->routes, set->n_routes, set->window_ns, "route"};
    struct csv_arg services = {set->services, set->n_services, set->window_ns, "service"};
    struct csv_arg edges = {set->edges, set->n_edges, set->window_ns, "edge"};
    if (rpt_file_write(dir, "series-routes.csv", write_series_csv, &routes, err) < 0) return -1;
    if (rpt_file_write(dir, "series-services.csv", write_series_csv, &services, err) < 0) return -1;
    if (rpt_file_write(dir, "series-edges.csv", write_series_csv, &edges, err) < 0) return -1;
    return rpt_file_write(dir, "series-clusters.csv", write_clusters_csv, set, err);
}
