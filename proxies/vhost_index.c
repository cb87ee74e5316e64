/*
 * vhost_index.c - Envoy's virtual host selection by hashed exact domain,
 * then suffix wildcards longest first, then `*` (see vhost_index.h).
 */
#include "proxies/vhost_index.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/nameidx.h"

#define DOMAIN_MAX 255 /* longer authorities match no exact name (DNS names are shorter) */

struct suffix {
    const char *text; /* ".foo.com" of "*.foo.com" (borrowed from the configuration) */
    size_t len;
    uint32_t vhost;
};

struct px_vhost_index {
    struct fl_nameidx exact; /* lower-case names -> virtual host */
    char **names;            /* the lower-case copies the index borrows */
    size_t n_names;
    struct suffix *suffixes; /* longest first, then configuration order */
    size_t n_suffixes;
    long star; /* the virtual host of `*`, or -1 */
};

static int longer_first(const void *a, const void *b)
{
    const struct suffix *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->vhost < y->vhost ? -1 : x->vhost > y->vhost; /* stable: the first one wins */
}

struct px_vhost_index *px_vhost_index_build(const struct px_proxy_cfg *cfg)
{
    FL_ASSERT(cfg && (cfg->vhosts || !cfg->n_vhosts));
    struct px_vhost_index *x = fl_calloc(1, sizeof *x);
    x->star = -1;
    size_t total = 0;
    for (size_t v = 0; v < cfg->n_vhosts; v++) total += cfg->vhosts[v].n_domains;
    x->names = fl_calloc(total ? total : 1, sizeof *x->names);
    x->suffixes = fl_calloc(total ? total : 1, sizeof *x->suffixes);
    for (size_t v = 0; v < cfg->n_vhosts; v++) {
        const struct px_vhost_cfg *vh = &cfg->vhosts[v];
        for (size_t d = 0; d < vh->n_domains; d++) {
            const char *dom = vh->domains[d];
            if (!strcmp(dom, "*")) {
                if (x->star < 0) x->star = (long)v;
            } else if (dom[0] == '*' && dom[1] == '.') {
                struct suffix *s = &x->suffixes[x->n_suffixes++];
                s->text = dom + 1;
                s->len = strlen(dom + 1);
                s->vhost = (uint32_t)v;
            } else if (!strchr(dom, ':') && strlen(dom) <= DOMAIN_MAX) {
                /* a name with a port never matches: the request's port is not compared */
                char *lower = fl_strdup(dom);
                for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
                if (fl_nameidx_get(&x->exact, lower) >= 0) {
                    free(lower); /* a later virtual host naming it again: the first wins */
                    continue;
                }
                x->names[x->n_names++] = lower;
                fl_nameidx_put(&x->exact, lower, v);
            }
        }
    }
    if (x->n_suffixes > 1) qsort(x->suffixes, x->n_suffixes, sizeof *x->suffixes, longer_first);
    FL_ASSERT(x->n_names + x->n_suffixes <= total);
    return x;
}

void px_vhost_index_free(struct px_vhost_index *x)
{
    if (!x) return;
    FL_ASSERT(x->n_names == x->exact.len);
    for (size_t i = 0; i < x->n_names; i++) free(x->names[i]);
    free(x->names);
    fl_nameidx_free(&x->exact);
    free(x->suffixes);
    free(x);
}

long px_vhost_index_find(const struct px_vhost_index *x, const char *authority)
{
    FL_ASSERT(x);
    if (!authority) return x->star;
    size_t n = strcspn(authority, ":"); /* the port does not matter */
    if (n <= DOMAIN_MAX) {
        char lower[DOMAIN_MAX + 1];
        for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)authority[i]);
        lower[n] = '\0';
        long v = fl_nameidx_get(&x->exact, lower);
        if (v >= 0) return v;
    }
    for (size_t i = 0; i < x->n_suffixes; i++) {
        const struct suffix *s = &x->suffixes[i];
        if (n > s->len && !strncasecmp(authority + n - s->len, s->text, s->len))
            return (long)s->vhost;
    }
    return x->star;
}
