/*
 * log.h - the run's event log: an append-only list of what happened and
 * when (fault start and end, trigger firings, outlier ejections and
 * returns, panics, circuit-breaker overflow bursts, rate-limit bursts),
 * in the order it happened. It becomes the summary's `timeline`.
 *
 * A burst groups events that come in floods (a breaker turning requests
 * away): its entry is written at the first one, and its detail says how
 * many came until the first gap of SIM_BURST_GAP_NS without one. A burst
 * is keyed by (kind, subject); its entry is completed when the next event
 * of that key comes after the gap, or at the end of the run.
 *
 * Not here: what the events mean (faults.c, rt.c), their output (reports/).
 */
#ifndef FL_SIM_LOG_H
#define FL_SIM_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "reports/results.h"

#define SIM_BURST_GAP_NS INT64_C(1000000000) /* 1 s without one ends a burst */
#define SIM_LOG_MAX      1000000             /* entries kept; later ones are counted */

struct sim_log_entry {
    int64_t at_ns;
    const char *kind; /* static: "fault-start", "eject", "overflow"... */
    char *subject;    /* what it happened to: a pod, a service, a cluster */
    char *detail;
    char *proxy, *cluster, *host; /* events a proxy reported; else NULL */
    int64_t value_ns;             /* eject: for how long */
};

struct sim_burst {
    const char *kind;
    char *subject;
    size_t entry; /* its entry in the log */
    uint64_t count;
    int64_t first_ns, last_ns;
};

struct sim_log {
    struct sim_log_entry *v;
    size_t n, cap;
    uint64_t dropped;
    struct sim_burst *bursts; /* one per key, in order of first appearance */
    size_t n_bursts, cap_bursts;
};

void sim_log_init(struct sim_log *l);
void sim_log_free(struct sim_log *l);

/*
 * Appends an entry (at_ns must not be before the last one's). subject is
 * copied; detail is printf-formatted. Returns the entry, or NULL when the
 * log is full (the entry is then counted in dropped).
 */
struct sim_log_entry *sim_log_add(struct sim_log *l, int64_t at_ns, const char *kind,
                                  const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Counts one event of a burst keyed (kind, subject); what: "requests turned away". */
void sim_log_burst(struct sim_log *l, int64_t at_ns, const char *kind, const char *subject,
                   const char *what);

/* Completes the open bursts' entries (at the end of the run). */
void sim_log_close(struct sim_log *l);

/* Copies the log into run->timeline (at most RPT_EVENTS_MAX entries; the rest counted). */
void sim_log_to_run(const struct sim_log *l, struct rpt_run *run);

#endif
