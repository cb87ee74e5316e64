/*
 * run.c - `faultline run FILE`: load a scenario, run it, print and write
 * the summary, check the assertions.
 *
 * Nothing is written until the scenario has loaded without error, and the
 * summary files are replaced whole (reports/summary.c), so bad input never
 * leaves half a result behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/units.h"
#include "cli/cli.h"
#include "reports/spans_files.h"
#include "reports/db.h"
#include "reports/summary.h"
#include "sim/run.h"
#include "sim/scenario.h"

static const char usage[] =
    "usage: faultline run FILE [--seed N] [--out DIR] [-f OVERLAY]... [--set KEY=VALUE]...\n"
    "                     [--lenient] [--no-series] [--no-plots] [--no-db] [--quiet]\n"
    "\n"
    "Runs the scenario FILE in virtual time and reports, per route and per service,\n"
    "request counts, errors and latency percentiles, then checks its assertions.\n"
    "The same scenario and seed give byte-identical results and the same digest.\n"
    "\n"
    "  --seed N         use seed N instead of the scenario's `seed`\n"
    "  --out DIR        write summary.txt, summary.json and run.db into DIR\n"
    "                   (default: reports/out/NAME, NAME being the scenario's name),\n"
    "                   the sampled spans as spans.json (Zipkin v2) and\n"
    "                   spans.otlp.json (OTLP/JSON) unless report.spans is false,\n"
    "                   the plots, the topology and index.html\n"
    "  -f OVERLAY       merge the YAML file OVERLAY onto the scenario (maps by key, lists\n"
    "                   of named items by name, anything else replaced); repeatable\n"
    "  --set KEY=VALUE  change a value after the overlays; KEY is a path of keys, list\n"
    "                   items by index, name or Kind/name, \"quoted\" keys hold dots; it\n"
    "                   reaches into included files: --set duration=30s,\n"
    "                   --set services.billing.replicas=4, --set workload.0.rate=500/s,\n"
    "                   --set gateway.services.billing.retries=2,\n"
    "                   --set mesh.VirtualService/reviews.spec.http.0.timeout=2s,\n"
    "                   --set 'network.loss={model: gemodel, p: 1%}' (a flow value)\n"
    "  --lenient        leave out, with a warning, the Istio kinds and fields faultline\n"
    "                   does not model (by default they are refused)\n"
    "  --no-series      record no time series (report.series: false): no `series` in\n"
    "                   summary.json, no series-*.csv files\n"
    "  --no-plots       write no plots, topology or index.html (report.plots: false)\n"
    "  --no-db          write no run.db (report.db: false); `faultline report DIR`\n"
    "                   writes the summaries again from DIR/run.db\n"
    "  --quiet          print nothing but errors\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 every assertion held, 1 an assertion failed, 2 bad input or usage.\n";

struct run_opts {
    const char *file, *out;
    struct cli_scenario_opts sc;
    uint64_t seed;
    int has_seed, quiet, lenient, no_series, no_plots, no_db;
};

static int usage_error(const char *fmt, const char *arg)
{
    FL_ASSERT(fmt);
    fprintf(stderr, "faultline run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see faultline run --help)\n");
    return CLI_BAD_INPUT;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
    FL_ASSERT(argc >= 1 && argv && o && !o->file && !o->has_seed);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(CLI_OK);
        }
        int taken = cli_scenario_opt("run", &o->sc, argc, argv, &i);
        if (taken == CLI_BAD_INPUT) return CLI_BAD_INPUT;
        if (taken) continue;
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--lenient")) {
            o->lenient = 1;
        } else if (!strcmp(a, "--no-series")) {
            o->no_series = 1;
        } else if (!strcmp(a, "--no-plots")) {
            o->no_plots = 1;
        } else if (!strcmp(a, "--no-db")) {
            o->no_db = 1;
        } else if (!strcmp(a, "--seed") || !strcmp(a, "--out")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) {
                o->out = v;
            } else {
                char *end;
                errno = 0;
                unsigned long long s = strtoull(v, &end, 10);
                if (!*v || *end || errno || v[0] == '-')
                    return usage_error("--seed needs a whole number, not '%s'", v);
                o->seed = s;
                o->has_seed = 1;
            }
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (o->file) {
            return usage_error("one scenario at a time ('%s' is extra)", a);
        } else {
            o->file = a;
        }
        FL_ASSERT(i < argc);
    }
    if (!o->file) return usage_error("%s", "which scenario? give a FILE");
    return 0;
}

struct progress_line {
    double start, last;
    int shown;
};

static void show_progress(const struct sim_progress *p, void *arg)
{
    struct progress_line *pl = arg;
    FL_ASSERT(p && pl && p->now_ns >= 0);
    double now = cli_wall_s();
    if (now - pl->last < 0.2 && p->now_ns < p->end_ns) return;
    pl->last = now;
    double wall = now - pl->start;
    double done = p->end_ns > 0 ? (double)p->now_ns / (double)p->end_ns : 1;
    if (done > 1) done = 1;
    char sim[32], end[32];
    fl_format_duration(p->now_ns, sim, sizeof sim);
    fl_format_duration(p->end_ns, end, sizeof end);
    FL_ASSERT(done >= 0 && done <= 1);
    double eta = done > 0 ? wall * (1 - done) / done : 0;
    fprintf(stderr, "\r  simulated %s / %s  %5.1f%%  %.2fM events/s  ETA %.0fs   ", sim, end,
            100 * done, wall > 0 ? (double)p->events / wall / 1e6 : 0.0, eta);
    pl->shown = 1;
}

/*
 * The command that runs the same scenario again, exactly: file, seed,
 * every overlay then every override (the order the loader applies them
 * in), each word quoted for a POSIX shell (caller frees).
 */
static char *replay_line(const struct run_opts *o, uint64_t seed)
{
    FL_ASSERT(o && o->file && (o->lenient == 0 || o->lenient == 1));
    size_t want = 5 + 2 * (o->sc.n_overlays + o->sc.n_sets) + (size_t)o->lenient;
    const char **args = fl_calloc(want + 1, sizeof *args);
    char seed_text[24];
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    size_t n = 0;
    args[n++] = "faultline";
    args[n++] = "run";
    args[n++] = o->file;
    args[n++] = "--seed";
    args[n++] = seed_text;
    for (size_t i = 0; i < o->sc.n_overlays; i++) {
        args[n++] = "-f";
        args[n++] = o->sc.overlays[i];
    }
    for (size_t i = 0; i < o->sc.n_sets; i++) {
        args[n++] = "--set";
        args[n++] = o->sc.sets[i];
    }
    if (o->lenient) args[n++] = "--lenient";
    FL_ASSERT(n == want);
    char *line = cli_shell_join(args, n);
    free(args);
    return line;
}

/*
 * run.db in out: the figures, and the scenario's text as the file holds it,
 * headed by the command that replays the run when overlays or overrides
 * changed it.
 */
static int write_db(const struct run_opts *o, const struct rpt_run *run, const char *out,
                    char **err)
{
    FL_ASSERT(o && o->file && run && out);
    char *text = NULL, *path = fl_asprintf("%s/run.db", out);
    size_t len = 0;
    FILE *f = fopen(o->file, "rb");
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        fprintf(stderr, "faultline: out of memory (open_memstream)\n");
        abort();
    }
    if (o->sc.n_overlays || o->sc.n_sets) {
        char *replay = replay_line(o, run->seed);
        fprintf(mem, "# run as: %s\n", replay);
        free(replay);
    }
    char buf[8192];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, mem);
    if (f) fclose(f);
    fclose(mem);
    int rc = rpt_db_write(run, text, path, err);
    free(text);
    free(path);
    return rc;
}

int cli_run(int argc, char **argv)
{
    struct run_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        cli_scenario_opts_free(&o.sc);
        return rc;
    }
    struct sim_scenario sc;
    char *err = NULL;
    struct sim_load_opts lo = {
        o.sc.overlays, o.sc.n_overlays, o.sc.sets, o.sc.n_sets, o.has_seed ? &o.seed : NULL,
        o.lenient};
    if (sim_scenario_load_opts(o.file, &lo, &sc, &err)) {
        fprintf(stderr, "%s\n", err);
        free(err);
        cli_scenario_opts_free(&o.sc);
        return CLI_BAD_INPUT;
    }
    FL_ASSERT(o.file && sc.name && *sc.name);
    if (o.no_series) sc.series = 0;
    if (o.no_plots) sc.plots = 0;
    if (o.no_db) sc.db = 0;
    /* the loader made sure the name is one safe file name */
    char *out = o.out ? fl_strdup(o.out) : fl_asprintf("reports/out/%s", sc.name);
    if (cli_outdir_check(out, &err)) {
        fprintf(stderr, "faultline run: %s\n", err);
        free(err);
        free(out);
        cli_scenario_opts_free(&o.sc);
        sim_scenario_free(&sc);
        return CLI_BAD_INPUT;
    }
    struct progress_line pl = {cli_wall_s(), 0, 0};
    int tty = !o.quiet && isatty(STDERR_FILENO);
    for (size_t i = 0; !o.quiet && i < sc.istio.n_notes; i++)
        fprintf(stderr, "faultline: note: %s\n", sc.istio.notes[i]);
    for (size_t i = 0; i < sc.istio.n_warnings; i++)
        fprintf(stderr, "faultline: warning: %s\n", sc.istio.warnings[i]);
    struct rpt_run run;
    if (sim_run(&sc, tty ? show_progress : NULL, &pl, &run, &err)) {
        if (pl.shown) fprintf(stderr, "\r%*s\r", 78, "");
        fprintf(stderr, "%s: %s\n", o.file, err);
        free(err);
        free(out);
        cli_scenario_opts_free(&o.sc);
        sim_scenario_free(&sc);
        return CLI_BAD_INPUT;
    }
    if (pl.shown) fprintf(stderr, "\r%*s\r", 78, "");
    run.wall_s = cli_wall_s() - pl.start;
    FL_ASSERT(run.wall_s >= 0);
    size_t failed = rpt_checks_eval(&run);

    /* only now, with the whole scenario valid and run, does the folder appear */
    rc = 0;
    if (cli_mkdirs(out)) {
        err = fl_asprintf("cannot create %s: %s", out, strerror(errno));
        rc = -1;
    }
    /* before the summary, which says what they hold */
    if (!rc && sc.spans) rc = rpt_spans_write_run(&run, out, &err);
    if (!rc) rc = rpt_summary_write(&run, out, &err);
    if (!rc && sc.db) rc = write_db(&o, &run, out, &err);
    if (rc) {
        fprintf(stderr, "faultline run: %s\n", err);
        free(err);
    } else if (!o.quiet) {
        rpt_summary_print(&run, stdout);
        printf("wall time %.2fs; wrote %s/summary.txt and %s/summary.json%s%s%s\n", run.wall_s, out,
               out, sc.db ? " and " : "", sc.db ? out : "", sc.db ? "/run.db" : "");
        if (run.spans_written) {
            char how[96];
            printf("wrote %s/spans.json and %s/spans.otlp.json: %zu spans of %zu traces (%s)\n",
                   out, out, run.spans.n, rpt_spans_traces(run.spans.v, run.spans.n),
                   rpt_spans_sampling(&run, how, sizeof how));
        }
    }
    if (!rc && sc.plots) rc = cli_write_pages(&run, out, o.quiet);
    if (failed) {
        char *replay = replay_line(&o, sc.seed);
        fprintf(stderr, "faultline: %zu assertion%s failed; replay with: %s\n", failed,
                failed == 1 ? "" : "s", replay);
        free(replay);
    }
    cli_scenario_opts_free(&o.sc);
    rpt_run_free(&run);
    sim_scenario_free(&sc);
    free(out);
    if (rc) return CLI_BAD_INPUT;
    return failed ? CLI_FAILED : CLI_OK;
}
