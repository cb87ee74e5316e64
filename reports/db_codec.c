/*
 * db_codec.c - the encodings of run.db's values that are not plain
 * numbers or text (see db_internal.h): histogram and counter blobs, hex
 * ids, response flags and outcomes as text.
 */
#include <stdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "reports/db_internal.h"

#define HIST_HEAD 44 /* count, min, max, sum lo, sum hi (8 bytes each), n_buckets (4) */

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

unsigned char *rpt_db_hist_encode(const struct rpt_hist *h, size_t *len)
{
    FL_ASSERT(h && len);
    size_t used = 0;
    for (uint32_t i = rpt_hist_next(h, 0); i < h->n_buckets; i = rpt_hist_next(h, i + 1)) used++;
    unsigned char *b = fl_malloc(HIST_HEAD + 12 * used);
    unsigned __int128 sum = (unsigned __int128)h->sum;
    put64(b, h->count);
    put64(b + 8, (uint64_t)h->min);
    put64(b + 16, (uint64_t)h->max);
    put64(b + 24, (uint64_t)sum);
    put64(b + 32, (uint64_t)(sum >> 64));
    put32(b + 40, h->n_buckets);
    unsigned char *p = b + HIST_HEAD;
    for (uint32_t i = rpt_hist_next(h, 0); i < h->n_buckets; i = rpt_hist_next(h, i + 1)) {
        put32(p, i);
        put64(p + 4, rpt_hist_bucket(h, i));
        p += 12;
    }
    *len = (size_t)(p - b);
    FL_ASSERT(*len == HIST_HEAD + 12 * used);
    return b;
}

int rpt_db_hist_decode(struct rpt_hist *h, const unsigned char *b, size_t len)
{
    FL_ASSERT(h && h->count == 0 && rpt_hist_next(h, 0) == h->n_buckets); /* an empty one */
    if (!b || len < HIST_HEAD || (len - HIST_HEAD) % 12) return -1;
    if (get32(b + 40) != h->n_buckets) return -1; /* another bucket layout */
    h->count = get64(b);
    h->min = (int64_t)get64(b + 8);
    h->max = (int64_t)get64(b + 16);
    h->sum = (__int128)(((unsigned __int128)get64(b + 32) << 64) | get64(b + 24));
    uint64_t total = 0;
    for (const unsigned char *p = b + HIST_HEAD; p < b + len; p += 12) {
        uint32_t i = get32(p);
        /* each bucket once (the encoder writes them in order, only those with a count) */
        if (i >= h->n_buckets || rpt_hist_bucket(h, i)) return -1;
        uint64_t n = get64(p + 4);
        rpt_hist_add_bucket(h, i, n);
        total += n;
    }
    return total == h->count ? 0 : -1;
}

unsigned char *rpt_db_u32_encode(const uint32_t *v, size_t n, size_t *len)
{
    FL_ASSERT(len && (v || !n));
    unsigned char *b = fl_malloc(4 * n + 1);
    for (size_t i = 0; i < n; i++) put32(b + 4 * i, v[i]);
    *len = 4 * n;
    return b;
}

uint32_t *rpt_db_u32_decode(const unsigned char *b, size_t len, size_t *n)
{
    FL_ASSERT(n);
    if (len % 4) return NULL;
    *n = len / 4;
    uint32_t *v = fl_calloc(*n + 1, sizeof *v);
    for (size_t i = 0; i < *n; i++) v[i] = get32(b + 4 * i);
    return v;
}

void rpt_db_trace_hex(uint64_t hi, uint64_t lo, char buf[33])
{
    snprintf(buf, 33, "%016llx%016llx", (unsigned long long)hi, (unsigned long long)lo);
}

void rpt_db_id_hex(uint64_t id, char buf[17])
{
    snprintf(buf, 17, "%016llx", (unsigned long long)id);
}

int rpt_db_hex_parse(const char *s, uint64_t *hi, uint64_t *lo)
{
    FL_ASSERT(hi && lo);
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 32) return -1;
    *hi = *lo = 0;
    for (size_t i = 0; i < n; i++) {
        int d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return -1;
        *hi = (*hi << 4) | (*lo >> 60);
        *lo = (*lo << 4) | (uint64_t)d;
    }
    return 0;
}

const char *rpt_db_flags_text(uint32_t bits, const char *const *names, char *buf, size_t size)
{
    FL_ASSERT(names && buf && size > 0);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < RPT_FLAGS_MAX && used < size; i++)
        if ((bits & (1u << i)) && names[i])
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", names[i]);
    return buf;
}

int64_t rpt_db_flags_parse(const char *text, const char *const *names)
{
    FL_ASSERT(names);
    int64_t bits = 0;
    if (!text) return 0;
    while (*text) {
        size_t n = strcspn(text, ",");
        int found = -1;
        for (int i = 0; i < RPT_FLAGS_MAX && found < 0; i++)
            if (names[i] && strlen(names[i]) == n && !strncmp(names[i], text, n)) found = i;
        if (found < 0) return -1;
        bits |= INT64_C(1) << found;
        text += n + (text[n] == ',');
    }
    return bits;
}

const char *rpt_db_outcome_text(int code, char *buf, size_t size)
{
    const char *name = rpt_fail_name(code);
    FL_ASSERT(buf && size >= 8);
    if (name) return name;
    snprintf(buf, size, "%d", code);
    return buf;
}

int rpt_db_outcome_parse(const char *text)
{
    if (!text || !*text) return -1;
    for (int code = 1; code < RPT_FAIL_MAX; code++)
        if (rpt_fail_name(code) && !strcmp(rpt_fail_name(code), text)) return code;
    char *end;
    long v = strtol(text, &end, 10);
    return *end || v < 0 || v >= RPT_STATUS_MAX ? -1 : (int)v;
}
