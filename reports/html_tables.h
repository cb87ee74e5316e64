/*
 * html_tables.h - the tables of index.html (html.h): the head line, the
 * routes (figures, outcomes) and services, the assertions, the slowest
 * requests and the event log. Each writes one <section> (the head line a
 * paragraph); every text from the run is escaped.
 */
#ifndef FL_REPORTS_HTML_TABLES_H
#define FL_REPORTS_HTML_TABLES_H

#include <stdio.h>

#include "reports/results.h"

void rpt_html_head_line(const struct rpt_run *run, FILE *f);
void rpt_html_routes(const struct rpt_run *run, FILE *f);
void rpt_html_checks(const struct rpt_run *run, FILE *f);
void rpt_html_slowest(const struct rpt_run *run, FILE *f);
void rpt_html_events(const struct rpt_run *run, FILE *f);

#endif
