/*
 * kernel.c - the hierarchical timing wheel behind sim_timer_* and sim_post
 * (see kernel.h for the design and its ordering guarantee).
 *
 * Invariant: a timer filed at level L > 0 differs from the cursor in bits
 * [10L, 10L+10) and agrees with it above; its index there is therefore greater
 * than the cursor's. A timer at level 0 agrees with the cursor in every bit
 * above 7, so every entry of a level-0 slot expires at the same instant.
 * Moving the cursor to the earliest expiry of the earliest non-empty slot
 * and re-filing that slot's entries in order (a cascade) keeps the
 * invariant and the insertion order.
 */
#include "sim/kernel.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"

struct sim_event {
    struct sim_timer timer; /* first: a fired timer is the event */
    sim_event_cb cb;
    void *a, *b;
    struct sim_event *next_free;
};

#define EVENT_CHUNK      4096
#define SLOT_COMPACT_MIN 64 /* slots shorter than this never compact */
/*
 * A slot that empties keeps its storage only up to this many entries: the
 * wheel's memory then follows the number of pending timers, not the
 * simulated time. (Without it, every level-2 slot, one second of time each,
 * kept room for the tens of thousands of timers it once held, and a long run
 * grew by that much per simulated second.)
 */
#define SLOT_KEEP 64

struct sim_event_chunk {
    struct sim_event_chunk *next;
    struct sim_event events[EVENT_CHUNK];
};

void sim_kernel_init(struct sim_kernel *k)
{
    memset(k, 0, sizeof *k);
    k->instant_ns = -1;
    FL_ASSERT(k->pending == 0 && k->now_ns == 0 && !k->free_events);
}

void sim_kernel_free(struct sim_kernel *k)
{
    struct sim_event_chunk *c = k->chunks;
    while (c) {
        struct sim_event_chunk *next = c->next;
        free(c);
        c = next;
    }
    for (int l = 0; l < SIM_WHEEL_LEVELS; l++)
        for (int s = 0; s < SIM_WHEEL_SLOTS; s++) free(k->slots[l][s].e);
    free(k->now_q);
    memset(k, 0, sizeof *k);
}

void sim_kernel_set_progress(struct sim_kernel *k, sim_progress_cb cb, void *arg)
{
    FL_ASSERT(k && (cb || !arg));
    k->progress_cb = cb;
    k->progress_arg = arg;
}

void sim_kernel_set_instant_guard(struct sim_kernel *k, sim_instant_cb cb, void *arg)
{
    FL_ASSERT(k);
    k->instant_cb = cb;
    k->instant_arg = arg;
}

void sim_timer_init(struct sim_timer *t, sim_timer_cb cb, void *data)
{
    FL_ASSERT(t && cb);
    memset(t, 0, sizeof *t);
    t->cb = cb;
    t->data = data;
}

static inline void set_bit(struct sim_kernel *k, unsigned level, unsigned idx)
{
    k->bits[level][idx >> 6] |= UINT64_C(1) << (idx & 63);
    k->words[level] |= UINT64_C(1) << (idx >> 6);
    k->levels_used |= 1u << level;
}

static inline void clear_bit(struct sim_kernel *k, unsigned level, unsigned idx)
{
    uint64_t *w = &k->bits[level][idx >> 6];
    *w &= ~(UINT64_C(1) << (idx & 63));
    if (!*w) k->words[level] &= ~(UINT64_C(1) << (idx >> 6));
}

static void file_timer(struct sim_kernel *k, struct sim_timer *t)
{
    uint64_t diff = (uint64_t)t->at_ns ^ (uint64_t)k->cursor;
    unsigned level = diff ? (unsigned)(63 - __builtin_clzll(diff)) / SIM_WHEEL_BITS : 0;
    unsigned idx =
        (unsigned)((uint64_t)t->at_ns >> (level * SIM_WHEEL_BITS)) & (SIM_WHEEL_SLOTS - 1);
    FL_ASSERT(level < SIM_WHEEL_LEVELS);
    struct sim_slot *s = &k->slots[level][idx];
    if (s->len == s->cap) {
        size_t cap = s->cap;
        FL_GROW(s->e, cap, (size_t)s->len + 1);
        FL_ASSERT(cap <= UINT32_MAX);
        s->cap = (uint32_t)cap;
    }
    if (s->live == 0) set_bit(k, level, idx);
    s->e[s->len].at_ns = t->at_ns;
    s->e[s->len].t = t;
    t->slot = level * SIM_WHEEL_SLOTS + idx + 1;
    t->entry = s->len++;
    s->live++;
}

/* Gives back the storage of an emptied slot beyond SLOT_KEEP entries. */
static void slot_release(struct sim_slot *s)
{
    FL_ASSERT(s->live == 0 && s->len == 0);
    if (s->cap <= SLOT_KEEP) return;
    free(s->e);
    s->e = NULL;
    s->cap = 0;
}

/* Empties a slot that has no live entry left. */
static void slot_reset(struct sim_kernel *k, unsigned where)
{
    struct sim_slot *s = &k->slots[where / SIM_WHEEL_SLOTS][where % SIM_WHEEL_SLOTS];
    FL_ASSERT(s->live == 0); /* the slot being fired may be emptied too: it re-reads s->e */
    s->len = s->head = 0;
    slot_release(s);
    clear_bit(k, where / SIM_WHEEL_SLOTS, where % SIM_WHEEL_SLOTS);
}

/* Squeezes the tombstones out of a slot (never the one being fired). */
static void slot_compact(struct sim_slot *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->len; i++) {
        if (!s->e[i].t) continue;
        s->e[n] = s->e[i];
        s->e[n].t->entry = n;
        n++;
    }
    s->len = n;
}

static void unfile_timer(struct sim_kernel *k, struct sim_timer *t)
{
    unsigned where = t->slot - 1;
    struct sim_slot *s = &k->slots[where / SIM_WHEEL_SLOTS][where % SIM_WHEEL_SLOTS];
    FL_ASSERT(s->live > 0 && s->e[t->entry].t == t); /* filed where it says */
    s->e[t->entry].t = NULL;
    t->slot = 0;
    if (--s->live == 0)
        slot_reset(k, where);
    else if (s != k->firing && s->len >= SLOT_COMPACT_MIN && s->live < s->len / 4)
        slot_compact(s);
}

/* ---- the small set: a sorted array while few timers are pending ---- */

/*
 * The small set is kept in reverse firing order: small[n_small - 1] fires
 * next, so taking it moves nothing. Timers in it do not track their
 * position (t->entry is unused): a cancel searches the few entries.
 */

/* Moves every timer of the small set into the wheel, in order (the wheel's order is the same). */
static void small_to_wheel(struct sim_kernel *k)
{
    FL_ASSERT(!k->wheel_mode && !k->firing && k->n_small <= SIM_SMALL_MAX);
    k->wheel_mode = 1;
    k->cursor = k->now_ns; /* <= every pending expiry: the wheel's invariant holds */
    for (uint32_t i = k->n_small; i-- > 0;) {
        FL_ASSERT(k->small[i].t->slot == SIM_SLOT_SMALL && k->small[i].at_ns >= k->now_ns);
        file_timer(k, k->small[i].t);
    }
    k->n_small = 0;
}

/* Files t in the small set to fire after every timer due no later (arming order among equals). */
static inline __attribute__((always_inline)) void small_insert(struct sim_kernel *k,
                                                               struct sim_timer *t)
{
    FL_ASSERT(!k->wheel_mode && k->n_small < SIM_SMALL_MAX);
    /* from the end (the earliest): a new timer is most often due after those */
    uint32_t i = k->n_small;
    while (i > 0 && k->small[i - 1].at_ns <= t->at_ns) {
        k->small[i] = k->small[i - 1];
        i--;
    }
    /* (the loop leaves every entry above i due no later than t: the order holds) */
    k->small[i].at_ns = t->at_ns;
    k->small[i].t = t;
    t->slot = SIM_SLOT_SMALL;
    k->n_small++;
}

static void small_remove(struct sim_kernel *k, struct sim_timer *t)
{
    FL_ASSERT(!k->wheel_mode && k->n_small > 0);
    uint32_t i = k->n_small - 1;
    while (k->small[i].t != t) {
        FL_ASSERT(i > 0); /* a timer marked as in the small set is in it */
        i--;
    }
    for (; i + 1 < k->n_small; i++) k->small[i] = k->small[i + 1];
    k->n_small--;
    t->slot = 0;
}

/*
 * Moves the wheel's timers (few: the caller checked) into the small set in
 * the order they would fire: the wheel hands out its earliest timers one
 * instant at a time, as when running them.
 */
static struct sim_slot *wheel_first(struct sim_kernel *k, struct sim_timer **lone);

static void wheel_to_small(struct sim_kernel *k)
{
    FL_ASSERT(k->wheel_mode && !k->firing && k->pending - k->now_live <= SIM_SMALL_MAX);
    struct sim_entry moved[SIM_SMALL_MAX];
    uint32_t n = 0;
    for (;;) {
        struct sim_timer *lone;
        struct sim_slot *s = wheel_first(k, &lone);
        if (lone) {
            FL_ASSERT(n < SIM_SMALL_MAX);
            moved[n].at_ns = lone->at_ns;
            moved[n++].t = lone;
            continue;
        }
        if (!s) break;
        for (uint32_t i = s->head; i < s->len; i++) {
            if (!s->e[i].t) continue;
            FL_ASSERT(n < SIM_SMALL_MAX);
            moved[n++] = s->e[i];
        }
        s->len = s->head = s->live = 0;
        slot_release(s);
        clear_bit(k, 0, (unsigned)(s - k->slots[0]));
    }
    FL_ASSERT(n + k->now_live == k->pending);
    k->wheel_mode = 0;
    for (uint32_t i = 0; i < n; i++) {
        FL_ASSERT(i == 0 || moved[i - 1].at_ns <= moved[i].at_ns);
        k->small[n - 1 - i] = moved[i];
        moved[i].t->slot = SIM_SLOT_SMALL;
    }
    k->n_small = n;
}

/* ---- the now queue: timers due at the instant they were armed (see kernel.h) ---- */

static void now_append(struct sim_kernel *k, struct sim_timer *t)
{
    FL_ASSERT(t->at_ns == k->now_ns && k->now_head <= k->now_len);
    if (k->now_len == k->now_cap) {
        if (k->now_head >= k->now_len / 2 && k->now_head > 0) {
            /* half of it has fired: move the rest down rather than grow */
            uint32_t n = 0;
            for (uint32_t i = k->now_head; i < k->now_len; i++) {
                if (!k->now_q[i]) continue;
                k->now_q[n] = k->now_q[i];
                k->now_q[n]->entry = n;
                n++;
            }
            FL_ASSERT(n == k->now_live);
            k->now_head = 0;
            k->now_len = n;
        } else {
            size_t cap = k->now_cap;
            FL_GROW(k->now_q, cap, (size_t)k->now_len + 1);
            FL_ASSERT(cap <= UINT32_MAX);
            k->now_cap = (uint32_t)cap;
        }
    }
    t->slot = SIM_SLOT_NOW;
    t->entry = k->now_len;
    k->now_q[k->now_len++] = t;
    k->now_live++;
}

static void now_remove(struct sim_kernel *k, struct sim_timer *t)
{
    FL_ASSERT(k->now_live > 0 && t->entry < k->now_len && k->now_q[t->entry] == t);
    k->now_q[t->entry] = NULL;
    t->slot = 0;
    if (--k->now_live == 0) k->now_head = k->now_len = 0;
}

/* Takes the next timer of the now queue (it has one). */
static struct sim_timer *now_take(struct sim_kernel *k)
{
    FL_ASSERT(k->now_live > 0);
    struct sim_timer *t;
    while (!(t = k->now_q[k->now_head++])) FL_ASSERT(k->now_head < k->now_len);
    if (--k->now_live == 0) k->now_head = k->now_len = 0;
    FL_ASSERT(t->slot == SIM_SLOT_NOW && t->at_ns == k->now_ns);
    return t;
}

/*
 * Whether the wheel or the small set holds a timer due now: those were
 * armed before this instant began, so they fire before the now queue. In
 * the wheel, every timer due at the cursor is in the cursor's level-0 slot.
 */
static int armed_before_for_now(const struct sim_kernel *k)
{
    if (!k->wheel_mode) return k->n_small > 0 && k->small[k->n_small - 1].at_ns == k->now_ns;
    return k->cursor == k->now_ns &&
           k->slots[0][(uint64_t)k->now_ns & (SIM_WHEEL_SLOTS - 1)].live > 0;
}

/* file_any's general case: the now queue, a move into the wheel, or the wheel. */
static void file_slow(struct sim_kernel *k, struct sim_timer *t)
{
    /*
     * Into the now queue in the wheel's mode (the small set's insertion of a
     * timer due now moves nothing: no gain there), and behind what the
     * queue already holds in either mode (arming order).
     */
    if (t->at_ns == k->now_ns && (k->wheel_mode || k->now_live)) {
        now_append(k, t);
        return;
    }
    if (!k->wheel_mode && k->n_small == SIM_SMALL_MAX) small_to_wheel(k);
    if (k->wheel_mode)
        file_timer(k, t);
    else
        small_insert(k, t);
}

/*
 * Files a timer (its at_ns set) wherever pending timers are kept now. The
 * case of few pending timers and an empty now queue (every arm and post of
 * an M/M/1 queue) is inlined into the callers: file_slow would take the
 * same branch to small_insert.
 */
static inline void file_any(struct sim_kernel *k, struct sim_timer *t)
{
    if (__builtin_expect(!k->wheel_mode && !k->now_live && k->n_small < SIM_SMALL_MAX, 1))
        small_insert(k, t);
    else
        file_slow(k, t);
}

static void unfile_any(struct sim_kernel *k, struct sim_timer *t)
{
    FL_ASSERT(t->slot != 0);
    if (t->slot == SIM_SLOT_NOW) {
        now_remove(k, t);
        return;
    }
    FL_ASSERT((t->slot == SIM_SLOT_SMALL) == !k->wheel_mode);
    if (t->slot == SIM_SLOT_SMALL)
        small_remove(k, t);
    else
        unfile_timer(k, t);
}

/* sim_timer_arm of a timer that is armed already: out of line (see below). */
static __attribute__((noinline)) void rearm(struct sim_kernel *k, struct sim_timer *t,
                                            int64_t at_ns)
{
    unfile_any(k, t);
    t->at_ns = at_ns;
    file_any(k, t);
}

void sim_timer_arm(struct sim_kernel *k, struct sim_timer *t, int64_t at_ns)
{
    FL_ASSERT(at_ns >= k->now_ns);
    /* re-arming is rare; calling out only for it keeps this path free of saved registers */
    if (t->slot) {
        rearm(k, t, at_ns);
        return;
    }
    k->pending++;
    t->at_ns = at_ns;
    file_any(k, t); /* sets t->slot; pending counts t */
}

void sim_timer_cancel(struct sim_kernel *k, struct sim_timer *t)
{
    if (!t->slot) return;
    FL_ASSERT(k->pending > 0);
    unfile_any(k, t);
    k->pending--;
}

static void event_fire(struct sim_kernel *k, struct sim_timer *t)
{
    struct sim_event *e = (struct sim_event *)t;
    sim_event_cb cb = e->cb;
    void *a = e->a, *b = e->b;
    FL_ASSERT(cb);
    e->next_free = k->free_events;
    k->free_events = e;
    cb(k, a, b);
}

static void refill_events(struct sim_kernel *k)
{
    struct sim_event_chunk *c = fl_malloc(sizeof *c);
    c->next = k->chunks;
    k->chunks = c;
    for (int i = EVENT_CHUNK - 1; i >= 0; i--) {
        sim_timer_init(&c->events[i].timer, event_fire, NULL);
        c->events[i].next_free = k->free_events;
        k->free_events = &c->events[i];
    }
    FL_ASSERT(k->free_events == &c->events[0]);
}

/* sim_post with an empty pool: out of line (see below). */
static __attribute__((noinline)) void post_refill(struct sim_kernel *k, int64_t at_ns,
                                                  sim_event_cb cb, void *a, void *b)
{
    refill_events(k);
    sim_post(k, at_ns, cb, a, b);
}

void sim_post(struct sim_kernel *k, int64_t at_ns, sim_event_cb cb, void *a, void *b)
{
    FL_ASSERT(at_ns >= k->now_ns && cb);
    /* refilling is rare; calling out only for it keeps this path free of saved registers */
    if (!k->free_events) {
        post_refill(k, at_ns, cb, a, b);
        return;
    }
    struct sim_event *e = k->free_events;
    k->free_events = e->next_free;
    e->timer.at_ns = at_ns;
    e->cb = cb;
    e->a = a;
    e->b = b;
    k->pending++;
    file_any(k, &e->timer);
}

/* First non-empty slot at index >= from on a level, or -1 (two ctz at most). */
static inline int find_from(const struct sim_kernel *k, unsigned level, unsigned from)
{
    if (from >= SIM_WHEEL_SLOTS) return -1;
    const uint64_t *w = k->bits[level];
    unsigned wi = from >> 6;
    uint64_t m = w[wi] & (~UINT64_C(0) << (from & 63));
    if (!m) {
        uint64_t rest = wi + 1 < 64 ? k->words[level] & (~UINT64_C(0) << (wi + 1)) : 0;
        if (!rest) return -1;
        wi = (unsigned)__builtin_ctzll(rest);
        m = w[wi];
    }
    return (int)(wi * 64 + (unsigned)__builtin_ctzll(m));
}

/*
 * Empties slot (level, idx), the earliest non-empty slot of the wheel (every
 * lower level is empty), re-filing its live entries in order. The cursor
 * moves to the earliest expiry in the slot rather than to the slot's start:
 * that expiry is the earliest of all, so the invariant holds, and entries
 * close to it drop several levels at once. A lone live entry is not
 * re-filed at all: it is the next timer to fire, and is returned (what keeps
 * sparse event sets cheap); otherwise NULL.
 */
static struct sim_timer *cascade(struct sim_kernel *k, unsigned level, unsigned idx)
{
    struct sim_slot *s = &k->slots[level][idx];
    struct sim_entry *e = s->e;
    uint32_t n = s->len;
    int64_t first = INT64_MAX;
    struct sim_timer *lone = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].t && e[i].at_ns < first) {
            first = e[i].at_ns;
            lone = e[i].t;
        }
    }
    FL_ASSERT(lone && first >= k->now_ns); /* a set bit means a live timer, none in the past */
    k->cursor = first;
    if (s->live != 1) {
        lone = NULL;
        for (uint32_t i = 0; i < n; i++) {
            if (i + 16 < n && e[i + 16].t) __builtin_prefetch(e[i + 16].t, 1);
            if (e[i].t) file_timer(k, e[i].t);
        }
    }
    s->len = s->live = 0;
    slot_release(s);
    clear_bit(k, level, idx);
    return lone;
}

/*
 * Advances the cursor to the earliest pending timers: returns the level-0
 * slot that holds them, or sets *lone to a timer that is alone in being
 * next (it is then in no slot) and returns NULL; both NULL when none is
 * pending.
 */
static struct sim_slot *wheel_first(struct sim_kernel *k, struct sim_timer **lone)
{
    *lone = NULL;
    for (;;) {
        uint64_t cur = (uint64_t)k->cursor;
        int s = find_from(k, 0, (unsigned)(cur & (SIM_WHEEL_SLOTS - 1)));
        if (s >= 0) {
            k->cursor = (int64_t)((cur & ~(uint64_t)(SIM_WHEEL_SLOTS - 1)) | (uint64_t)s);
            return &k->slots[0][s];
        }
        unsigned level;
        for (level = 1; level < SIM_WHEEL_LEVELS; level++) {
            if (!(k->levels_used & (1u << level))) continue;
            unsigned shift = level * SIM_WHEEL_BITS;
            unsigned idx = (unsigned)(cur >> shift) & (SIM_WHEEL_SLOTS - 1);
            s = find_from(k, level, idx + 1);
            if (s >= 0) break;
            k->levels_used &= ~(1u << level);
        }
        if (level == SIM_WHEEL_LEVELS) return NULL;
        if ((*lone = cascade(k, level, (unsigned)s))) return NULL;
    }
}

static void stop_fire(struct sim_kernel *k, struct sim_timer *t)
{
    (void)t;
    k->stopped = 1;
}

void sim_kernel_stop(struct sim_kernel *k)
{
    k->stopped = 1;
}

/* The events of one instant reached the guard's limit: ask the hook, or stop. */
static int instant_over(struct sim_kernel *k)
{
    FL_ASSERT(k->instant_events >= k->instant_limit);
    uint64_t more = k->instant_cb ? k->instant_cb(k, k->instant_arg, k->instant_events) : 0;
    if (more) {
        k->instant_limit += more;
        return 1;
    }
    k->stalled = k->stopped = 1;
    return 0;
}

/* Runs one timer that has left the wheel; returns 0 if it was the stop timer (or the guard's). */
static inline int fire(struct sim_kernel *k, struct sim_timer *t)
{
    FL_ASSERT(t->at_ns >= k->now_ns && k->pending > 0); /* the clock never goes back */
    t->slot = 0;
    k->pending--;
    k->now_ns = t->at_ns;
    if (t == &k->stop) {
        k->stopped = 1;
        return 0;
    }
    if (t->at_ns != k->instant_ns) {
        k->instant_ns = t->at_ns;
        k->instant_events = 0;
        uint64_t by_pending = SIM_INSTANT_EVENTS_PER_PENDING * (k->pending + 1);
        k->instant_limit =
            by_pending > SIM_INSTANT_EVENTS_MIN ? by_pending : SIM_INSTANT_EVENTS_MIN;
    } else if (++k->instant_events >= k->instant_limit && !instant_over(k)) {
        /* the event is not run: put it back so that the world's state stays whole */
        file_any(k, t);
        k->pending++;
        return 0;
    }
    k->events++;
    t->cb(k, t);
    if (k->progress_cb && !(k->events & (SIM_PROGRESS_EVENTS - 1)))
        k->progress_cb(k, k->progress_arg);
    return 1;
}

/*
 * Moves the entries of the slot being fired that have not fired yet to its
 * start: an instant that keeps arming events for itself would otherwise grow
 * the slot without bound. Done when at least half the slot has fired, so
 * each entry moves O(1) times on average.
 */
static void firing_compact(struct sim_slot *s)
{
    FL_ASSERT(s->head <= s->len);
    uint32_t n = 0;
    for (uint32_t i = s->head; i < s->len; i++) {
        if (!s->e[i].t) continue;
        s->e[n] = s->e[i];
        s->e[n].t->entry = n;
        n++;
    }
    FL_ASSERT(n == s->live);
    s->len = n;
    s->head = 0;
}

/* Fires the entries of one level-0 slot (one instant), including any armed for that instant. */
static void fire_slot(struct sim_kernel *k, struct sim_slot *s)
{
    FL_ASSERT(!k->firing && s->live > 0);
    k->firing = s;
    while (!k->stopped && s->head < s->len) {
        if (s->head >= SLOT_COMPACT_MIN && s->head >= s->len / 2) firing_compact(s);
        struct sim_timer *t = s->e[s->head++].t;
        if (!t) continue;
        if (--s->live == 0) s->len = s->head = 0;
        if (!fire(k, t)) break;
    }
    k->firing = NULL;
    if (s->live == 0) {
        s->len = s->head = 0;
        slot_release(s);
        clear_bit(k, 0, (unsigned)(s - k->slots[0]));
    }
}

uint64_t sim_kernel_run(struct sim_kernel *k, int64_t until_ns)
{
    uint64_t start = k->events;
    FL_ASSERT(until_ns >= 0);
    k->stopped = k->stalled = 0;
    if (until_ns < SIM_TIME_MAX) {
        sim_timer_init(&k->stop, stop_fire, NULL);
        sim_timer_arm(k, &k->stop, until_ns > k->now_ns ? until_ns : k->now_ns);
    }
    uint64_t stop_armed = sim_timer_armed(&k->stop);
    while (!k->stopped && k->pending > stop_armed) {
        if (k->now_live && !armed_before_for_now(k)) {
            fire(k, now_take(k));
            continue;
        }
        if (!k->wheel_mode) {
            /* the small set: its last entry is the next to fire */
            FL_ASSERT(k->n_small + k->now_live == k->pending && k->n_small > 0);
            do fire(k, k->small[--k->n_small].t);
            while (!k->stopped && !k->wheel_mode && !k->now_live && k->n_small > stop_armed);
            continue;
        }
        if (k->pending - k->now_live <= SIM_SMALL_LOW) {
            wheel_to_small(k);
            continue;
        }
        struct sim_timer *lone;
        struct sim_slot *s = wheel_first(k, &lone);
        if (lone)
            fire(k, lone);
        else if (s)
            fire_slot(k, s);
        else
            break;
    }
    sim_timer_cancel(k, &k->stop);
    FL_ASSERT(!sim_timer_armed(&k->stop) && k->events >= start);
    return k->events - start;
}

size_t sim_kernel_wheel_bytes(const struct sim_kernel *k)
{
    FL_ASSERT(k);
    size_t bytes = 0;
    for (int l = 0; l < SIM_WHEEL_LEVELS; l++)
        for (int i = 0; i < SIM_WHEEL_SLOTS; i++)
            bytes += (size_t)k->slots[l][i].cap * sizeof(struct sim_entry);
    return bytes + (size_t)k->now_cap * sizeof *k->now_q;
}
