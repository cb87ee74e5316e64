/*
 * fault.h - faults: what a scenario's `faults:` section (and the chaos
 * monkey) schedules, and the extension API for kinds of fault.
 *
 * A fault is a kind (slow, errors, ...), a target (a service, optionally
 * one version or one pod), kind-specific parameters, and a schedule: it
 * starts `at` a time or `when` a trigger fires (plus an optional delay)
 * and lasts `for` a duration, or to the end of the run.
 *
 * Kinds are rows of one table (sim/fault_kinds.c). A family of kinds lives
 * in a file of its own (sim/fault_app.c: slow, errors) that defines one
 * struct sim_fault_kind per kind: how to read its parameters, how to
 * describe them in the event log, how the chaos monkey draws them, and what
 * starting and stopping it does to the world. Adding a kind (kill, delay,
 * loss...) means: a value in enum sim_fault_kind_id, a struct
 * sim_fault_kind in a family file, and a line in the table. The loader
 * (sim/load_faults.c), the scheduler (sim/faults.c) and the monkey
 * (sim/monkey.c) never switch on the kind.
 *
 * Not here: the scheduler's running state (sim/faults.c), the event log
 * (sim/log.h).
 */
#ifndef FL_SIM_FAULT_H
#define FL_SIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "base/yamldoc.h"

struct sim_scenario;
struct sim_world;
struct sim_header;

#define SIM_FAULTS_MAX 10000 /* faults in a scenario, the monkey's included */

enum sim_fault_kind_id {
    SIM_FAULT_SLOW,          /* service time x factor */
    SIM_FAULT_ERRORS,        /* injected 5xx, answered without doing the work */
    SIM_FAULT_HERD,          /* every key of a cache expires now (sim/fault_herd.c) */
    SIM_FAULT_KILL,          /* a pod's process dies (sim/fault_pods.c) */
    SIM_FAULT_RESTART,       /* a pod deleted gracefully and replaced */
    SIM_FAULT_ROLLOUT,       /* every pod of a service, in turn */
    SIM_FAULT_DELAY,         /* added network delay towards a service or pod */
    SIM_FAULT_LOSS,          /* packet loss towards a target or between two groups */
    SIM_FAULT_PARTITION,     /* packets between two groups vanish */
    SIM_FAULT_NODE_DOWN,     /* a pod's node blackholed: every packet to or from it vanishes */
    SIM_FAULT_RESET,         /* connections reset instead of answered, with a probability */
    SIM_FAULT_DNS,           /* a service's name fails to resolve, or resolves slowly */
    SIM_FAULT_CA_DOWN,       /* the mesh CA signs nothing (sim/fault_identity.c) */
    SIM_FAULT_CLOCK_SKEW,    /* a pod's clock offset, as it judges certificates */
    SIM_FAULT_ROOT_ROTATION, /* a new mesh root; the old one kept in the trust bundle or not */
    SIM_FAULT_POLICY,        /* Istio security resources applied (sim/fault_policy.c) */
    SIM_FAULT_KINDS
};

/*
 * What a fault acts on: a service, or one version of it, or one pod of it.
 * Kinds whose targets are something else (groups of services, a name)
 * keep them in their params, leave service at -1 and give a `subject`.
 */
struct sim_fault_target {
    int service; /* index into sim_scenario.services, or -1: not a pod target */
    int version; /* index into the service's versions, or -1: every version */
    int pod;     /* index among the service's pods (scenario order), or -1: every pod */
};

enum sim_trigger_kind {
    SIM_TRIGGER_AT,       /* at a time */
    SIM_TRIGGER_REQUESTS, /* after the Nth request arriving at a service's pods */
    SIM_TRIGGER_EJECTED,  /* at the first outlier ejection of a pod, or of any pod of a service */
    SIM_TRIGGER_OVERFLOW, /* at the first circuit-breaker overflow towards a service */
    SIM_TRIGGER_MATCH,    /* at the first request arriving at a pod that matches */
};

struct sim_trigger {
    enum sim_trigger_kind kind;
    int64_t at_ns;    /* AT: when */
    int64_t delay_ns; /* the others: how long after the trigger fires */
    uint64_t nth;     /* REQUESTS */
    int service;      /* REQUESTS, EJECTED, OVERFLOW: the service; MATCH: -1 for any */
    int pod;          /* EJECTED: the pod's index in the service, or -1 for any of its pods */
    char *path;       /* MATCH: the request's path, exactly; NULL for any */
    struct sim_header *headers; /* MATCH: headers the request must carry with these values */
    size_t n_headers;
};

/* One fault of the schedule; the scenario owns it (sim_fault_free). */
struct sim_fault {
    char *name; /* `name:`, or "KIND#N" (N: its position in faults:, from 1) */
    enum sim_fault_kind_id kind;
    struct sim_trigger when;
    int64_t for_ns; /* 0: to the end of the run */
    struct sim_fault_target target;
    void *params; /* the kind's own (struct sim_fault_kind.params_size bytes) */
    int from_monkey;
};

/*
 * A kind of fault. Callbacks get the fault with its target and params set.
 *
 * load: reads the kind's mapping n (the value of the kind's key) into
 *   f->target and f->params (already allocated and zeroed); item is the
 *   whole fault, for the keys in extra_keys; returns 0, or -1 with a
 *   located error in d.
 * subject: what the event log names as the fault's subject; NULL: the
 *   target (sim_fault_target_text), which then must be set.
 * describe: writes the parameters for the event log ("factor 5").
 * draw: the chaos monkey's choice of parameters for a fault on service
 *   `service` (f->target is set to the service); may narrow the target.
 *   Draws only from rng. NULL: the monkey cannot draw this kind.
 * start, stop: what the fault does to the world while it is active. Both
 *   run at the instant of the transition; stop never runs without start.
 *   Several faults of one kind may be active on one pod at once (triggers
 *   and the monkey can make them overlap): the kind composes them.
 */
struct sim_fault_kind {
    const char *name; /* the scenario's key */
    size_t params_size;
    int exclusive; /* two overlapping `at` faults of this kind on one pod are an error */
    const char *const *extra_keys; /* keys of the fault item it reads (restart_after), or NULL */
    int (*load)(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                const struct sim_scenario *sc, struct sim_fault *f);
    void (*subject)(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                    size_t size);
    void (*describe)(const struct sim_fault *f, char *buf, size_t size);
    void (*draw)(struct fl_rng *rng, const struct sim_scenario *sc, struct sim_fault *f);
    void (*start)(struct sim_world *w, const struct sim_fault *f);
    void (*stop)(struct sim_world *w, const struct sim_fault *f);
    /* frees what params own beside themselves (NULL: nothing) */
    void (*free_params)(void *params);
};

/* The kind of a fault; NULL when id is out of range. */
const struct sim_fault_kind *sim_fault_kind(enum sim_fault_kind_id id);
/* The kind called name, or -1. */
int sim_fault_kind_find(const char *name);
/* The kinds' names, NULL-terminated (for messages). */
const char *const *sim_fault_kind_names(void);

/* The kinds of each family (defined in the family's file). */
extern const struct sim_fault_kind sim_fault_slow, sim_fault_errors;
extern const struct sim_fault_kind sim_fault_herd;
extern const struct sim_fault_kind sim_fault_kill, sim_fault_restart, sim_fault_rollout;
extern const struct sim_fault_kind sim_fault_delay, sim_fault_loss, sim_fault_partition,
    sim_fault_node_down;                            /* sim/fault_net.c */
extern const struct sim_fault_kind sim_fault_reset; /* sim/fault_reset.c */
extern const struct sim_fault_kind sim_fault_dns;   /* sim/dns.c */
extern const struct sim_fault_kind sim_fault_ca_down, sim_fault_clock_skew,
    sim_fault_root_rotation;                         /* sim/fault_identity.c */
extern const struct sim_fault_kind sim_fault_policy; /* sim/fault_policy.c */

/*
 * Reads a fault's target from a kind's mapping: `service`, `version` and
 * `pod` (the pod's name, which must belong to the service and the version
 * when they are given); `service` or `pod` is required (a pod alone names
 * its service). Returns 0 or -1.
 */
int sim_fault_load_target(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *sc,
                          struct sim_fault_target *t);

/*
 * Reads a target named by one scalar n (`to: billing`, `pod: billing-1`):
 * a service's name, else a pod's; `what` names the key in messages.
 * Returns 0 or -1 (with "did you mean" among services and pods).
 */
int sim_fault_load_name(struct fl_ydoc *d, const yaml_node_t *n, const char *what,
                        const struct sim_scenario *sc, struct sim_fault_target *t);

/* 1 if the target covers pod number `pod` (index among its service's pods) of version v. */
int sim_fault_target_has(const struct sim_fault_target *t, int version, int pod);

/* "billing", "billing version v2", "pod billing-v2-0" for the log (into buf). */
const char *sim_fault_target_text(const struct sim_scenario *sc, const struct sim_fault_target *t,
                                  char *buf, size_t size);

/* The fault's subject for the event log (the kind's subject, or its target). */
const char *sim_fault_subject(const struct sim_scenario *sc, const struct sim_fault *f, char *buf,
                              size_t size);

/* Frees what a fault owns (not the fault itself). */
void sim_fault_free(struct sim_fault *f);

#endif
