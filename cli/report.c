/*
 * report.c - `faultline report DIR`: the summaries (and the series CSV
 * files) of a run written again from its database, DIR/run.db
 * (reports/db.h), into DIR or another folder. The figures come from the
 * database alone: the scenario is not run again, and need not exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "cli/cli.h"
#include "reports/spans_files.h"
#include "reports/db.h"
#include "reports/summary.h"

static const char usage[] =
    "usage: faultline report DIR [--out DIR2] [--no-plots] [--quiet]\n"
    "\n"
    "Writes the outputs of a run again from its database: reads DIR/run.db, which\n"
    "`faultline run` leaves in its output folder, and writes summary.txt,\n"
    "summary.json and the series-*.csv files as the run wrote them (byte for byte,\n"
    "digest included), spans.json and spans.otlp.json when the run kept spans, and\n"
    "the plots, the topology and index.html, without running the scenario again.\n"
    "\n"
    "  --out DIR2   write into DIR2 (created if needed) instead of DIR\n"
    "  --no-plots   write no plots, topology or index.html\n"
    "  --quiet      print nothing but errors\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 written, 2 bad input or usage (no folder, no run.db, not a\n"
    "faultline database, or one written by a newer faultline).\n";

struct report_opts {
    const char *dir, *out;
    int quiet, no_plots;
};

static int parse_args(int argc, char **argv, struct report_opts *o)
{
    FL_ASSERT(argc >= 1 && argv && o && !o->dir);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(CLI_OK);
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--no-plots")) {
            o->no_plots = 1;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc) return cli_usage_error("report", "%s needs a value", a);
            o->out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("report", "unknown option '%s'", a);
        } else if (o->dir) {
            return cli_usage_error("report", "one run folder at a time ('%s' is extra)", a);
        } else {
            o->dir = a;
        }
    }
    if (!o->dir) return cli_usage_error("report", "%s", "which run? give its output folder DIR");
    return 0;
}

/* Opens DIR/run.db; prints why not and returns CLI_BAD_INPUT when it cannot. */
static int read_db(const struct report_opts *o, struct rpt_run *run, char **text)
{
    struct stat sb;
    if (stat(o->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "faultline report: %s: %s\n", o->dir,
                errno == ENOENT ? "no such folder"
                : errno         ? strerror(errno)
                                : "not a folder");
        return CLI_BAD_INPUT;
    }
    char *path = fl_asprintf("%s/run.db", o->dir);
    if (stat(path, &sb) != 0) {
        fprintf(stderr,
                "faultline report: %s: no run.db in this folder (`faultline run` writes it, "
                "unless report.db is false or --no-db is given)\n",
                o->dir);
        free(path);
        return CLI_BAD_INPUT;
    }
    char *err = NULL;
    int rc = rpt_db_read(path, run, text, &err);
    free(path);
    if (rc) {
        fprintf(stderr, "faultline report: %s\n", err);
        free(err);
        return CLI_BAD_INPUT;
    }
    return 0;
}

int cli_report(int argc, char **argv)
{
    struct report_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    struct rpt_run run;
    char *text = NULL;
    if (read_db(&o, &run, &text)) return CLI_BAD_INPUT;
    const char *out = o.out ? o.out : o.dir;
    char stored[65];
    memcpy(stored, run.digest, sizeof stored);
    char *err = NULL;
    if (cli_mkdirs(out)) {
        err = fl_asprintf("cannot create %s: %s", out, strerror(errno));
        rc = -1;
    }
    /* the span files first, when the run wrote them (summary.txt says what they hold) */
    if (!rc && run.spans_written) rc = rpt_spans_write_run(&run, out, &err);
    /* rpt_summary_write computes the digest of the figures read back: the run's own */
    if (!rc) rc = rpt_summary_write(&run, out, &err);
    if (!rc && stored[0] && strcmp(stored, run.digest))
        fprintf(stderr,
                "faultline report: warning: the figures read back give digest %s, the run "
                "gave %s (a database altered, or of another faultline version)\n",
                run.digest, stored);
    if (rc) {
        fprintf(stderr, "faultline report: %s\n", err);
        free(err);
    } else {
        if (!o.quiet) {
            rpt_summary_print(&run, stdout);
            printf("wrote %s/summary.txt and %s/summary.json from %s/run.db\n", out, out, o.dir);
        }
        if (!o.no_plots) rc = cli_write_pages(&run, out, o.quiet);
    }
    free(text);
    rpt_run_free(&run);
    return rc ? CLI_BAD_INPUT : CLI_OK;
}
