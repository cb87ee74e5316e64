/*
 * kernel.h - the event kernel: virtual clock, timers, one-shot events.
 *
 * Time is an int64_t count of nanoseconds since the start of the run; there
 * is no other clock in the simulator. Pending timers live in a hierarchical
 * timing wheel with 1 ns resolution: seven levels of 1024 slots, a timer
 * filed by the highest bit in which its expiry differs from the wheel's
 * cursor, slots cascaded down as the cursor reaches them (the design of
 * Varghese and Lauck's "hashed and hierarchical timing wheels", made exact).
 * Arming and cancelling are O(1); firing is O(1) amortised (each timer is
 * moved at most once per level). Slots keep insertion order and a cascade
 * preserves it, so timers that expire at the same instant fire in the order
 * they were armed - the (time, sequence) order of docs/design.md, without
 * storing the sequence - and never in pointer order.
 *
 * A slot is an array of (expiry, timer) entries, so a cascade reads memory
 * in order instead of chasing pointers, and prefetches the timers it will
 * soon fire. Each timer knows where its entry is; cancelling leaves a
 * tombstone there (a slot compacts itself when tombstones dominate), so a
 * cancelled timer is gone at once and its owner may free it.
 *
 * Timers are embedded in their owner (the libuv handle model): the kernel
 * never allocates or frees them, so a cancelled timer cannot leak. For
 * fire-and-forget work, sim_post() takes an event from a pooled free list
 * and returns it to the list when it has fired.
 *
 * Few pending timers (an M/M/1 queue has about four) would still pay for
 * the wheel's levels and bitmaps: while at most SIM_SMALL_MAX timers are
 * pending they live instead in a small array sorted by (expiry, arming
 * order), which costs a few compares and moves per timer. The kernel moves
 * them into the wheel when a ninth is armed and back when the run loop
 * finds SIM_SMALL_LOW or fewer pending (the hysteresis keeps a count that
 * hovers at the limit from moving them every event). Both keep the same
 * order, so which one holds the timers never changes a result.
 *
 * Timers due at the very instant they are armed (half of all arms in a
 * mesh: a message over loopback or an ideal network, a response that
 * costs no CPU) skip the wheel: they go to a FIFO of their own, the now queue,
 * and fire once every timer that was pending for this instant before it
 * has. That is still the (time, sequence) order exactly: whatever the wheel
 * or the small set holds for this instant was armed before the instant
 * began, so before anything in the now queue. Cancelling one leaves a
 * tombstone, as in a slot.
 *
 * Not here: what events mean (the world, the network and the workloads are
 * built on top), and any wall clock (progress reporting is a hook the CLI
 * fills in).
 */
#ifndef FL_SIM_KERNEL_H
#define FL_SIM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define SIM_NS_PER_US INT64_C(1000)
#define SIM_NS_PER_MS INT64_C(1000000)
#define SIM_NS_PER_S  INT64_C(1000000000)
#define SIM_TIME_MAX  INT64_MAX

#define SIM_WHEEL_BITS   10
#define SIM_WHEEL_SLOTS  (1 << SIM_WHEEL_BITS)
#define SIM_WHEEL_LEVELS 7

struct sim_kernel;
struct sim_timer;

/* Called when a timer fires; the timer is disarmed first, so the callback may re-arm it. */
typedef void (*sim_timer_cb)(struct sim_kernel *k, struct sim_timer *t);

/* Called when a posted event fires; a and b are what sim_post() was given. */
typedef void (*sim_event_cb)(struct sim_kernel *k, void *a, void *b);

/* Called every SIM_PROGRESS_EVENTS events (for a progress line); must not touch timers. */
typedef void (*sim_progress_cb)(struct sim_kernel *k, void *arg);
#define SIM_PROGRESS_EVENTS (1u << 18)

struct sim_timer {
    int64_t at_ns;
    sim_timer_cb cb;
    void *data;     /* the owner's; the kernel never reads it */
    uint32_t slot;  /* 0 when idle; else level * SIM_WHEEL_SLOTS + index + 1 */
    uint32_t entry; /* position of its entry in that slot */
};

struct sim_entry {
    int64_t at_ns;
    struct sim_timer *t; /* NULL: a cancelled timer's tombstone */
};

struct sim_slot {
    struct sim_entry *e;
    uint32_t len, cap; /* entries used and allocated */
    uint32_t head;     /* level 0: entries before head have fired */
    uint32_t live;     /* entries that are not tombstones */
};

struct sim_event_chunk;
struct sim_event;

/*
 * The zero-time guard. A model in which something answers in no time and
 * is asked again at once (a closed-loop client of a 0 ms service on an
 * ideal network) never lets the clock move: the run would never end. The
 * kernel counts the events of each instant; past
 * max(SIM_INSTANT_EVENTS_MIN, SIM_INSTANT_EVENTS_PER_PENDING x the timers
 * pending when the instant began) it calls the guard hook (or, without
 * one, stops with `stalled` set). Legitimate bursts stay far below: every
 * event of a burst was pending, or was caused by one that was, a bounded
 * number of times over.
 */
#define SIM_INSTANT_EVENTS_MIN         (UINT64_C(10) * 1000 * 1000)
#define SIM_INSTANT_EVENTS_PER_PENDING 64

/*
 * Called when the events of one instant reach the guard's limit (n of them
 * so far). Returns how many more events to allow at this instant before
 * calling again (to watch what the loop does), or 0 to stop the run with
 * `stalled` set. Must not touch timers.
 */
typedef uint64_t (*sim_instant_cb)(struct sim_kernel *k, void *arg, uint64_t n);

#define SIM_SMALL_MAX  8 /* the small set holds at most this many timers */
#define SIM_SMALL_LOW  4 /* the run loop moves the wheel's timers back at this many or fewer */
#define SIM_SLOT_SMALL UINT32_MAX       /* sim_timer.slot of a timer in the small set */
#define SIM_SLOT_NOW   (UINT32_MAX - 1) /* sim_timer.slot of a timer in the now queue */

struct sim_kernel {
    int64_t now_ns;    /* time of the event being run, or of the last one */
    int wheel_mode;    /* 0: pending timers are in small[], 1: in the wheel */
    uint32_t n_small;  /* small[]'s entries, in reverse firing order (the last fires next) */
    uint32_t now_live; /* now queue entries that are not tombstones (file_any reads these three) */
    struct sim_entry small[SIM_SMALL_MAX];
    int64_t cursor;       /* the wheel's position; <= every pending expiry */
    uint64_t events;      /* events fired so far */
    uint64_t pending;     /* timers armed now (posted events included) */
    uint32_t levels_used; /* bit L set: level L may hold timers */
    struct sim_slot slots[SIM_WHEEL_LEVELS][SIM_WHEEL_SLOTS];
    uint64_t bits[SIM_WHEEL_LEVELS][SIM_WHEEL_SLOTS / 64]; /* non-empty slots */
    uint64_t words[SIM_WHEEL_LEVELS];                      /* non-zero words of bits */
    struct sim_slot *firing;                               /* the level-0 slot being run, if any */
    struct sim_timer *
        *now_q; /* the now queue: timers due at now_ns, in arming order (NULL: cancelled) */
    uint32_t now_head, now_len, now_cap; /* entries before now_head have fired */
    struct sim_event *free_events;
    struct sim_event_chunk *chunks;
    struct sim_timer stop;
    int stopped;
    sim_progress_cb progress_cb;
    void *progress_arg;
    int64_t instant_ns;      /* the instant being counted */
    uint64_t instant_events; /* events run at instant_ns */
    uint64_t instant_limit;  /* when the guard is called next */
    sim_instant_cb instant_cb;
    void *instant_arg;
    int stalled; /* the guard stopped the run: time could not advance */
};

void sim_kernel_init(struct sim_kernel *k);
/* Frees the event pool. Armed embedded timers are simply forgotten (their owners own them). */
void sim_kernel_free(struct sim_kernel *k);

/* Bytes the wheel's slots and the now queue hold for entries (the kernel's memory besides its event
 * pool). */
size_t sim_kernel_wheel_bytes(const struct sim_kernel *k);

static inline int64_t sim_now(const struct sim_kernel *k)
{
    return k->now_ns;
}

/*
 * Runs events in time order until none is left (the clock then reads the
 * time of the last one), or until the next one is after until_ns (the clock
 * then reads until_ns), or until sim_kernel_stop().
 * Returns the number of events fired by this call.
 */
uint64_t sim_kernel_run(struct sim_kernel *k, int64_t until_ns);

/* Makes sim_kernel_run() return after the current event. */
void sim_kernel_stop(struct sim_kernel *k);

/* Sets the progress hook (NULL: none). */
void sim_kernel_set_progress(struct sim_kernel *k, sim_progress_cb cb, void *arg);

/* Sets the zero-time guard's hook (NULL: stop at the limit without asking). */
void sim_kernel_set_instant_guard(struct sim_kernel *k, sim_instant_cb cb, void *arg);

/* Prepares an embedded timer; data is the owner's. */
void sim_timer_init(struct sim_timer *t, sim_timer_cb cb, void *data);

/*
 * Arms t to fire at at_ns (>= sim_now()); an armed timer is re-armed.
 * Timers for the same instant fire in the order they were armed.
 */
void sim_timer_arm(struct sim_kernel *k, struct sim_timer *t, int64_t at_ns);

/* Disarms t if it is armed; otherwise does nothing. O(1). */
void sim_timer_cancel(struct sim_kernel *k, struct sim_timer *t);

static inline int sim_timer_armed(const struct sim_timer *t)
{
    return t->slot != 0;
}

/*
 * Runs cb(k, a, b) at at_ns (>= sim_now()). The event comes from a pool and
 * goes back to it when it has fired; it cannot be cancelled (use an embedded
 * timer for that).
 */
void sim_post(struct sim_kernel *k, int64_t at_ns, sim_event_cb cb, void *a, void *b);

#endif
