/*
 * plot.c - what the plots share (see plot.h): fault windows, exact
 * numbers, gnuplot quoting, the two-terminal script frame, outcome
 * classes and writing a built file.
 *
 * Fault windows follow the event log (sim/faults.c): a fault-start's
 * detail begins "NAME: KIND ..." and its fault-end's "NAME: KIND"; the two
 * are paired by that prefix and the subject. A fault that never ended
 * lasts to the end of the run.
 */
#include "reports/plot.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/file.h"

/* "NAME: KIND ..." -> "NAME: KIND" (the pairing key), into buf. */
static void fault_key(const struct rpt_event *e, char *buf, size_t size)
{
    const char *d = e->detail ? e->detail : "";
    const char *colon = strstr(d, ": ");
    size_t n = strlen(d);
    if (colon) {
        const char *sp = strchr(colon + 2, ' ');
        const char *comma = strchr(colon + 2, ',');
        if (comma && (!sp || comma < sp)) sp = comma;
        if (sp) n = (size_t)(sp - d);
    }
    snprintf(buf, size, "%.*s|%s", (int)n, d, e->subject ? e->subject : "");
}

/* "NAME: KIND ..." -> "NAME (KIND)". */
static void fault_label(const struct rpt_event *e, char *buf, size_t size)
{
    char key[256];
    fault_key(e, key, sizeof key);
    *strchr(key, '|') = 0;
    char *colon = strstr(key, ": ");
    if (colon) {
        *colon = 0;
        snprintf(buf, size, "%.60s (%.30s)", key, colon + 2);
    } else {
        snprintf(buf, size, "%.90s", key);
    }
}

struct rpt_fault_window *rpt_fault_windows(const struct rpt_run *run, size_t *n)
{
    FL_ASSERT(run && n && (run->timeline || !run->n_timeline));
    struct rpt_fault_window *v = fl_calloc(run->n_timeline + 1, sizeof *v);
    char(*keys)[256] = fl_calloc(run->n_timeline + 1, sizeof *keys);
    int *open = fl_calloc(run->n_timeline + 1, sizeof *open);
    size_t k = 0;
    for (size_t i = 0; i < run->n_timeline; i++) {
        const struct rpt_event *e = &run->timeline[i];
        if (!e->what) continue;
        char key[256];
        if (!strcmp(e->what, "fault-start")) {
            fault_key(e, keys[k], sizeof keys[k]);
            fault_label(e, v[k].label, sizeof v[k].label);
            v[k].start_ns = e->at_ns;
            v[k].end_ns = run->sim_ns > e->at_ns ? run->sim_ns : e->at_ns;
            open[k++] = 1;
        } else if (!strcmp(e->what, "fault-end")) {
            fault_key(e, key, sizeof key);
            for (size_t j = 0; j < k; j++)
                if (open[j] && !strcmp(keys[j], key)) {
                    v[j].end_ns = e->at_ns;
                    open[j] = 0;
                    break;
                }
        }
    }
    FL_ASSERT(k <= run->n_timeline);
    free(keys);
    free(open);
    *n = k;
    return v;
}

void rpt_plot_ms(FILE *f, int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
    fprintf(f, "%s%llu.%06llu", sign, (unsigned long long)(a / 1000000),
            (unsigned long long)(a % 1000000));
}

void rpt_plot_s(FILE *f, int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
    fprintf(f, "%s%llu.%09llu", sign, (unsigned long long)(a / 1000000000),
            (unsigned long long)(a % 1000000000));
}

/* gnuplot's single-quoted strings: no escapes but '' for a quote (gnuplot manual, "Quote Marks").
 */
void rpt_plot_quote(FILE *f, const char *s)
{
    FL_ASSERT(f);
    fputc('\'', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '\'') fputc('\'', f);
        if (*p >= 0x20 && *p != 0x7f) fputc(*p, f);
    }
    fputc('\'', f);
}

void rpt_plot_title(FILE *f, const struct rpt_run *run, const char *what)
{
    FL_ASSERT(f && run && what);
    char buf[512];
    snprintf(buf, sizeof buf, "%s - %s (seed %llu)", what, run->scenario ? run->scenario : "run",
             (unsigned long long)run->seed);
    rpt_plot_quote(f, buf);
}

void rpt_plot_fault_windows(FILE *f, const struct rpt_fault_window *w, size_t n)
{
    FL_ASSERT(f && (w || !n));
    for (size_t i = 0; i < n; i++) {
        /* Jepsen's latency plots: each fault's period a shaded band, named at its top */
        fprintf(f, "set object %zu rect from ", i + 1);
        rpt_plot_s(f, w[i].start_ns);
        fputs(", graph 0 to ", f);
        rpt_plot_s(f, w[i].end_ns);
        fputs(", graph 1 behind fc rgb '#f4a6a6' fs transparent solid 0.25 noborder\n", f);
        fprintf(f, "set label %zu ", i + 1);
        rpt_plot_quote(f, w[i].label);
        fputs(" at ", f);
        rpt_plot_s(f, w[i].start_ns);
        fprintf(f, ", graph %.2f left offset 0.5,0 font ',9' tc rgb '#a02020' front\n",
                0.97 - 0.04 * (double)(i % 4));
    }
}

void rpt_plot_script(FILE *f, const char *name, const char *what, int width, int height,
                     rpt_plot_body_cb body, const void *arg)
{
    FL_ASSERT(f && name && what && body && width > 0 && height > 0);
    fprintf(f,
            "# %s\n"
            "# Written by faultline; render from the run's folder: gnuplot plots/%s.gp\n"
            "# (writes plots/%s.png and plots/%s.svg from the data in plots/)\n"
            "set encoding utf8\n",
            what, name, name, name);
    static const char *const terms[2][2] = {
        {"pngcairo noenhanced font 'sans,10'", "png"},
        {"svg noenhanced font 'sans,10' dynamic background '#ffffff'", "svg"},
    };
    for (int t = 0; t < 2; t++) {
        fprintf(f, "\nset terminal %s size %d,%d\n", terms[t][0], width, height);
        fprintf(f, "set output 'plots/%s.%s'\n", name, terms[t][1]);
        fputs("reset\n", f);
        body(arg, f);
        fputs("unset multiplot\nset output\n", f);
    }
}

static const char *const class_names[RPT_PC_MAX] = {
    "2xx",   "3xx",        "4xx",       "5xx", "timeout", "connect-failure",
    "reset", "unfinished", "throttled", "dns",
};

static const char *const class_colours[RPT_PC_MAX] = {
    "#2e8b57", "#4682b4", "#e6a800", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#ff7f0e",
};

enum rpt_plot_class rpt_plot_class_of(int outcome)
{
    switch (outcome) {
    case RPT_FAIL_TIMEOUT: return RPT_PC_TIMEOUT;
    case RPT_FAIL_CONNECT: return RPT_PC_CONNECT;
    case RPT_FAIL_RESET: return RPT_PC_RESET;
    case RPT_FAIL_UNFINISHED: return RPT_PC_UNFINISHED;
    case RPT_FAIL_THROTTLED: return RPT_PC_THROTTLED;
    case RPT_FAIL_DNS: return RPT_PC_DNS;
    default: break;
    }
    if (outcome >= 500) return RPT_PC_5XX;
    if (outcome >= 400) return RPT_PC_4XX;
    if (outcome >= 300) return RPT_PC_3XX;
    return RPT_PC_2XX;
}

const char *rpt_plot_class_name(enum rpt_plot_class c)
{
    FL_ASSERT((unsigned)c < RPT_PC_MAX);
    return class_names[c];
}

const char *rpt_plot_class_colour(enum rpt_plot_class c)
{
    FL_ASSERT((unsigned)c < RPT_PC_MAX);
    return class_colours[c];
}

struct put_arg {
    const char *buf;
    size_t len;
};

static void put_writer(const void *arg, FILE *out)
{
    const struct put_arg *a = arg;
    if (a->len) fwrite(a->buf, 1, a->len, out);
}

int rpt_plot_put(const char *dir, const char *name, const char *buf, size_t len, char **err)
{
    FL_ASSERT(dir && name && (buf || !len) && err);
    char *sub = fl_asprintf("%s/%s", dir, RPT_PLOT_DIR);
    struct put_arg a = {buf, len};
    int rc = rpt_file_write(sub, name, put_writer, &a, err);
    free(sub);
    return rc;
}

void rpt_membuf_open(struct rpt_membuf *m)
{
    FL_ASSERT(m);
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    FL_ASSERT(m->f); /* fails only without memory */
}

int rpt_membuf_put(struct rpt_membuf *m, const char *dir, const char *name, char **err)
{
    FL_ASSERT(m && m->f);
    fclose(m->f);
    m->f = NULL;
    int rc = rpt_plot_put(dir, name, m->buf, m->len, err);
    free(m->buf);
    m->buf = NULL;
    return rc;
}
