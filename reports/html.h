/*
 * html.h - index.html: one self-contained page of a run, to open offline
 * or paste into a design document. It holds the summary (routes with
 * count, errors, p50/p90/p99; outcomes per route; services), the
 * assertions, the figures and the topology (each an image inlined as a
 * data: URI: SVG, or PNG when the SVG is missing or too large), the
 * slowest requests and the event log. No script, no external style sheet,
 * font or image: the page makes no network request. It reads on a phone
 * (viewport set, images at most the screen's width, wide tables scroll
 * sideways).
 */
#ifndef FL_REPORTS_HTML_H
#define FL_REPORTS_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "reports/results.h"

/* One figure of the page. */
struct rpt_html_figure {
    const char *id, *title; /* anchor and heading */
    const char *caption;    /* how to read it */
    const char *mime;       /* "image/svg+xml" or "image/png"; NULL: no image */
    const unsigned char *data;
    size_t len;
    const char *missing; /* without an image: why, and how to draw it */
    const char *files;   /* its files in the run's folder */
};

#define RPT_HTML_EVENTS_MAX 2000 /* event log rows shown (the rest are counted) */

/* Writes the page. */
void rpt_html_page(const struct rpt_run *run, const struct rpt_html_figure *figs, size_t n_figs,
                   FILE *f);

/* Writes s with &, <, >, " and ' escaped (HTML's five); control characters but tab dropped. */
void rpt_html_text(FILE *f, const char *s);

/* Writes len bytes as base64 (RFC 4648 section 4, with padding). */
void rpt_html_base64(FILE *f, const unsigned char *data, size_t len);

#endif
