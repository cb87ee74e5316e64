/*
 * freelist.h - a free list of objects of one size: what the hot paths keep
 * instead of calling malloc and free per request (a proxy's streams and
 * attempts). fl_freelist_get hands out zeroed memory, as fl_calloc does;
 * fl_freelist_put keeps the object for the next get. The list holds at most
 * what was alive at once; fl_freelist_free releases it.
 *
 * Under AddressSanitizer every get is a fresh fl_calloc and every put a
 * free, so that a use after release is still caught.
 */
#ifndef FL_BASE_FREELIST_H
#define FL_BASE_FREELIST_H

#include <stddef.h>

struct fl_freelist {
    void *head;  /* the first object kept: its first bytes point to the next */
    size_t size; /* the objects' size (at least a pointer's) */
    size_t n;    /* objects kept */
};

void fl_freelist_init(struct fl_freelist *f, size_t size);
/* A zeroed object of f's size. */
void *fl_freelist_get(struct fl_freelist *f);
/* Gives obj (from fl_freelist_get on f) back. */
void fl_freelist_put(struct fl_freelist *f, void *obj);
/* Frees every object kept. */
void fl_freelist_free(struct fl_freelist *f);

#endif
