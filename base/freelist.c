/*
 * freelist.c - a free list of objects of one size (freelist.h).
 */
#include "base/freelist.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define FL_FREELIST_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_FREELIST_OFF 1
#endif
#endif
#ifndef FL_FREELIST_OFF
#define FL_FREELIST_OFF 0
#endif

void fl_freelist_init(struct fl_freelist *f, size_t size)
{
    FL_ASSERT(f && size >= sizeof(void *));
    f->head = NULL;
    f->size = size;
    f->n = 0;
}

void *fl_freelist_get(struct fl_freelist *f)
{
    FL_ASSERT(f && f->size >= sizeof(void *) && (f->n == 0) == (f->head == NULL));
    void *obj = f->head;
    if (!obj) return fl_calloc(1, f->size);
    memcpy(&f->head, obj, sizeof f->head);
    f->n--;
    memset(obj, 0, f->size);
    return obj;
}

void fl_freelist_put(struct fl_freelist *f, void *obj)
{
    FL_ASSERT(f && obj && f->size >= sizeof(void *));
    if (FL_FREELIST_OFF) {
        free(obj);
        return;
    }
    memcpy(obj, &f->head, sizeof f->head);
    f->head = obj;
    f->n++;
}

void fl_freelist_free(struct fl_freelist *f)
{
    FL_ASSERT(f);
    while (f->head) {
        void *next;
        memcpy(&next, f->head, sizeof next);
        free(f->head);
        f->head = next;
        f->n--;
    }
    FL_ASSERT(f->n == 0);
}
