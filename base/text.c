/*
 * text.c - UTF-8, control characters and safe file names (see text.h).
 */
#include "base/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

/* The length of the valid UTF-8 sequence at s[0..len), or 0 if it is not one (RFC 3629 §4). */
static size_t seq_len(const unsigned char *s, size_t len)
{
    FL_ASSERT(len > 0);
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0; /* a continuation byte, an overlong lead (C0, C1) or F5..FF */
    }
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

size_t fl_utf8_check(const char *s, size_t len)
{
    FL_ASSERT(s || len == 0);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = seq_len(u + i, len - i);
        if (!n) return i;
        i += n;
    }
    FL_ASSERT(i == len);
    return len;
}

size_t fl_control_check(const char *s, size_t len, int allow_tab)
{
    FL_ASSERT(s || len == 0);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7F) return i;
    }
    return len;
}

void fl_control_scrub(char *s)
{
    FL_ASSERT(s);
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F) *s = '?';
}

const char *fl_file_name_problem(const char *name)
{
    FL_ASSERT(name);
    size_t len = strlen(name);
    if (len == 0) return "it is empty";
    if (len > FL_FILE_NAME_MAX) return "it is longer than 128 bytes";
    if (fl_utf8_check(name, len) != len) return "it is not valid UTF-8";
    if (fl_control_check(name, len, 0) != len) return "it holds a control character";
    if (strpbrk(name, "/\\")) return "it holds '/' or '\\'";
    if (name[0] == '.') return "it starts with '.'";
    return NULL;
}

char *fl_file_name_safe(const char *name)
{
    FL_ASSERT(name);
    size_t len = strlen(name);
    if (len == 0) return fl_strdup("scenario");
    char *out = fl_malloc(len + 1);
    const unsigned char *u = (const unsigned char *)name;
    size_t i = 0, o = 0, cut = 0;
    while (i < len) {
        size_t n = seq_len(u + i, len - i);
        if (n == 1 && (u[i] < 0x20 || u[i] == 0x7F || u[i] == '/' || u[i] == '\\')) n = 0;
        if (n == 0) {
            out[o++] = '_';
            i++;
        } else {
            memcpy(out + o, name + i, n);
            o += n;
            i += n;
        }
        if (o <= FL_FILE_NAME_MAX) cut = o; /* the last character boundary that fits */
    }
    out[cut] = '\0';
    if (out[0] == '.') out[0] = '_';
    FL_ASSERT(fl_file_name_problem(out) == NULL);
    return out;
}

char *fl_read_file(const char *path, size_t max, size_t *len)
{
    FL_ASSERT(path && max > 0);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = fl_malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= max) break;
            cap = cap * 2 > max ? max : cap * 2;
            buf = fl_realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got) break;
        n += got;
    }
    int bad = ferror(f) || (n == cap && cap >= max && fgetc(f) != EOF);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}
