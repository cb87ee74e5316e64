/*
 * spans_dump.c - a span store in a private binary form, for handing the
 * spans of one process to another on the same machine (the live gateway's
 * workers to the process that writes the span files). Not an exchange
 * format: host byte order, no versioning beyond a magic.
 *
 * Layout: "FLSPANS1", the epoch (int64 µs) the times count from, the number
 * of spans (uint64), then each span's fixed fields and its seven strings as
 * a uint32 length (UINT32_MAX for NULL) and the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/spans.h"

static const char magic[8] = {'F', 'L', 'S', 'P', 'A', 'N', 'S', '1'};

static void put_str(FILE *f, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
    fwrite(&n, sizeof n, 1, f);
    if (s) fwrite(s, 1, n, f);
}

int rpt_spans_dump(const struct rpt_spans *st, int64_t epoch_us, const char *path, char **err)
{
    FL_ASSERT(st && path && err && st->n <= st->cap);
    FILE *f = fopen(path, "wb");
    if (!f) {
        *err = fl_asprintf("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    uint64_t n = st->n;
    fwrite(magic, 1, sizeof magic, f);
    fwrite(&epoch_us, sizeof epoch_us, 1, f);
    fwrite(&n, sizeof n, 1, f);
    for (size_t i = 0; i < st->n; i++) {
        const struct rpt_span *s = &st->v[i];
        fwrite(s, sizeof *s, 1, f); /* the pointers in it are meaningless on reading */
        const char *strs[7] = {s->name, s->service, s->peer,  s->method,
                               s->path, s->cluster, s->reason};
        for (int k = 0; k < 7; k++) put_str(f, strs[k]);
    }
    if (ferror(f) | fclose(f)) {
        *err = fl_asprintf("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads one string; *out NULL for a NULL one. Returns 0, or -1 on a short or absurd file. */
static int get_str(FILE *f, char **out)
{
    uint32_t n;
    *out = NULL;
    if (fread(&n, sizeof n, 1, f) != 1) return -1;
    if (n == UINT32_MAX) return 0;
    if (n > (1u << 20)) return -1;
    *out = fl_malloc((size_t)n + 1);
    if (fread(*out, 1, n, f) != n) {
        free(*out);
        *out = NULL;
        return -1;
    }
    (*out)[n] = '\0';
    return 0;
}

int rpt_spans_load(struct rpt_spans *into, int64_t into_epoch_us, const char *path, char **err)
{
    FL_ASSERT(into && path && err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = fl_asprintf("cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char m[8];
    int64_t epoch_us;
    uint64_t n;
    int bad = fread(m, 1, sizeof m, f) != sizeof m || memcmp(m, magic, sizeof m) ||
              fread(&epoch_us, sizeof epoch_us, 1, f) != 1 || fread(&n, sizeof n, 1, f) != 1;
    /* times count from into's epoch: shift by the difference of the two */
    int64_t shift_ns = (epoch_us - into_epoch_us) * 1000;
    for (uint64_t i = 0; !bad && i < n; i++) {
        struct rpt_span s;
        char *strs[7] = {0};
        bad = fread(&s, sizeof s, 1, f) != 1;
        for (int k = 0; k < 7 && !bad; k++) bad = get_str(f, &strs[k]);
        if (!bad) {
            s.name = strs[0], s.service = strs[1], s.peer = strs[2], s.method = strs[3];
            s.path = strs[4], s.cluster = strs[5], s.reason = strs[6];
            s.start_ns += shift_ns;
            s.end_ns += shift_ns;
            bad = s.end_ns < s.start_ns || !s.id || (!s.trace_hi && !s.trace_lo) || s.kind > 2;
            if (!bad) rpt_spans_add(into, &s);
        }
        for (int k = 0; k < 7; k++) free(strs[k]);
    }
    fclose(f);
    if (bad) {
        *err = fl_asprintf("%s: not a span dump, or cut short", path);
        return -1;
    }
    return 0;
}

int rpt_spans_dump_epoch(const char *path, int64_t *epoch_us)
{
    FL_ASSERT(path && epoch_us);
    FILE *f = fopen(path, "rb");
    char m[8];
    int ok = f && fread(m, 1, sizeof m, f) == sizeof m && !memcmp(m, magic, sizeof m) &&
             fread(epoch_us, sizeof *epoch_us, 1, f) == 1;
    if (f) fclose(f);
    return ok ? 0 : -1;
}
