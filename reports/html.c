/*
 * html.c - index.html (see html.h): the frame, the style, escaping and
 * inlined images; the tables are in html_tables.c.
 */
#include "reports/html.h"

#include <string.h>

#include "base/assert.h"
#include "reports/html_tables.h"

void rpt_html_text(FILE *f, const char *s)
{
    FL_ASSERT(f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n') fputc(*p, f);
        }
    }
}

void rpt_html_base64(FILE *f, const unsigned char *data, size_t len)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FL_ASSERT(sizeof al == 65);
    FL_ASSERT(f && (data || !len));
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        fputc(al[v >> 18], f);
        fputc(al[(v >> 12) & 63], f);
        fputc(al[(v >> 6) & 63], f);
        fputc(al[v & 63], f);
    }
    FL_ASSERT(len - i < 3);
    if (len - i == 1) {
        unsigned v = (unsigned)data[i] << 16;
        fputc(al[v >> 18], f);
        fputc(al[(v >> 12) & 63], f);
        fputs("==", f);
    } else if (len - i == 2) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8;
        fputc(al[v >> 18], f);
        fputc(al[(v >> 12) & 63], f);
        fputc(al[(v >> 6) & 63], f);
        fputc('=', f);
    }
}

static const char style[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0 auto;max-width:1280px;padding:12px 16px 40px;font:15px/1.45 system-ui,"
    "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d2330;background:#fff}\n"
    "h1{font-size:1.5em;margin:.4em 0 .1em}h2{font-size:1.2em;margin:1.6em 0 .5em;"
    "border-bottom:1px solid #d8dde6;padding-bottom:.2em}h3{font-size:1.02em;margin:1.2em 0 .4em}\n"
    "nav a{margin-right:.9em;white-space:nowrap}a{color:#1f5fa8}\n"
    ".meta{color:#505a6b;margin:.2em 0}\n"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}\n"
    "table{border-collapse:collapse;font-size:.9em;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:.25em .6em;border-bottom:1px solid #e6e9ef;text-align:right;"
    "white-space:nowrap}\n"
    "th{background:#f3f5f8;font-weight:600}th:first-child,td:first-child{text-align:left}\n"
    "td.text,th.text{text-align:left;white-space:normal;min-width:16em}\n"
    ".pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}\n"
    ".bad{color:#c62828}\n"
    "figure{margin:1em 0 2em}figure img{display:block;max-width:100%;height:auto;"
    "border:1px solid #e6e9ef;background:#fff}\n"
    "figcaption{color:#404a5a;font-size:.9em;margin-top:.4em}\n"
    ".missing{padding:1em;background:#fff8e1;border:1px solid #f0d98c}\n"
    "code{font:.88em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "background:#f3f5f8;padding:0 .2em}\n"
    "footer{margin-top:3em;color:#6b7585;font-size:.85em}\n"
    "@media (max-width:600px){body{padding:8px;font-size:14px}th,td{padding:.2em .4em}}\n";

static void figure(FILE *f, const struct rpt_html_figure *g)
{
    FL_ASSERT(g && g->id && g->title);
    fputs("<figure id=\"", f);
    rpt_html_text(f, g->id);
    fputs("\">\n<h3>", f);
    rpt_html_text(f, g->title);
    fputs("</h3>\n", f);
    if (g->mime && g->len) {
        fprintf(f, "<img alt=\"");
        rpt_html_text(f, g->title);
        fprintf(f, "\" src=\"data:%s;base64,", g->mime);
        rpt_html_base64(f, g->data, g->len);
        fputs("\">\n", f);
    } else {
        fputs("<p class=\"missing\">Not drawn: ", f);
        rpt_html_text(f, g->missing ? g->missing : "no image");
        fputs("</p>\n", f);
    }
    fputs("<figcaption>", f);
    rpt_html_text(f, g->caption);
    if (g->files) {
        fputs(" Files: <code>", f);
        rpt_html_text(f, g->files);
        fputs("</code>.", f);
    }
    fputs("</figcaption>\n</figure>\n", f);
}

void rpt_html_page(const struct rpt_run *run, const struct rpt_html_figure *figs, size_t n_figs,
                   FILE *f)
{
    FL_ASSERT(run && f && (figs || !n_figs));
    char title[400];
    snprintf(title, sizeof title, "%s (seed %llu)", run->scenario ? run->scenario : "run",
             (unsigned long long)run->seed);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>faultline: ",
          f);
    rpt_html_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", style);
    rpt_html_text(f, title);
    fputs("</h1>\n", f);
    rpt_html_head_line(run, f);
    fputs("<nav><a href=\"#routes\">Routes</a>\n<a href=\"#assertions\">Assertions</a>\n", f);
    for (size_t i = 0; i < n_figs; i++) {
        fputs("<a href=\"#", f);
        rpt_html_text(f, figs[i].id);
        fputs("\">", f);
        rpt_html_text(f, figs[i].title);
        fputs("</a>\n", f);
    }
    fputs("<a href=\"#slowest\">Slowest</a>\n<a href=\"#events\">Events</a></nav>\n</header>\n", f);
    rpt_html_routes(run, f);
    rpt_html_checks(run, f);
    fputs("<section id=\"figures\">\n<h2>Plots</h2>\n", f);
    for (size_t i = 0; i < n_figs; i++) figure(f, &figs[i]);
    fputs("</section>\n", f);
    rpt_html_slowest(run, f);
    rpt_html_events(run, f);
    fputs(
        "<footer>Written by faultline. Every figure here is also in summary.json; the plots' "
        "data and gnuplot scripts are in plots/ (render again: <code>gnuplot plots/NAME.gp</code> "
        "from the run's folder).</footer>\n</body>\n</html>\n",
        f);
}
