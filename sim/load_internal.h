/*
 * load_internal.h - what the scenario loader's files share (sim/load*.c).
 * Each function reads one part of the YAML into struct sim_scenario and
 * returns 0, or -1 with the error recorded in the document.
 */
#ifndef FL_SIM_LOAD_INTERNAL_H
#define FL_SIM_LOAD_INTERNAL_H

#include "base/yamldoc.h"
#include "sim/scenario.h"

/* A duration distribution (docs/scenario.md "Distributions"). */
int sim_load_dist(struct fl_ydoc *d, const yaml_node_t *n, const char *what, struct fl_dist *out);

int sim_load_network(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
int sim_load_services(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
/* A locality "region[/zone[/subzone]]" (load_services.c); *out allocated. */
int sim_load_locality(struct fl_ydoc *d, const yaml_node_t *n, char **out);
int sim_load_workloads(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
/* `kubernetes:` (n may be NULL: the defaults). */
int sim_load_kube(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
int sim_load_faults(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
int sim_load_chaos(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
int sim_load_assertions(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
/* `report:` (n may be NULL: the defaults). */
int sim_load_report(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
/* `tracing:` (may be NULL): the scenario's sampling, over the configs' own. */
int sim_load_tracing(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);
/* The gateway, mesh and proxy sections (root: the scenario's mapping). */
int sim_load_proxies(struct fl_ydoc *d, const yaml_node_t *root, struct sim_scenario *s);
/* The `mesh.ambient` section (n may be NULL: the defaults); after services and mesh resources. */
int sim_load_ambient(struct fl_ydoc *d, const yaml_node_t *n, struct sim_scenario *s);

/*
 * Reads the files d includes (gateway.file, mesh.files; paths relative to
 * base's folder) into its tree (include.c). Returns 0, or -1 with the
 * error recorded in d.
 */
int sim_include_files(struct fl_ydoc *d, const char *base);

/*
 * A service's `cache:` (load_cache.c), read with the service; its miss
 * service is resolved once every service is known (sim_resolve_caches).
 */
int sim_load_cache(struct fl_ydoc *d, const yaml_node_t *n, struct sim_service_cfg *svc);
int sim_resolve_caches(struct fl_ydoc *d, const yaml_node_t *list, struct sim_scenario *s);

/* Frees what a call owns; frees an array of n calls and the array. */
void sim_call_cfg_free(struct sim_call_cfg *c);
void sim_calls_free(struct sim_call_cfg *calls, size_t n);

/* A mapping of HTTP headers (names are RFC 9110 tokens, values without CR, LF or NUL). */
/* load_retry.c: the client retry defaults, and the retry keys of a map (the caller checks keys) */
void sim_retry_defaults(struct sim_retry_cfg *r);
int sim_load_retry_fields(struct fl_ydoc *d, const yaml_node_t *n, struct sim_retry_cfg *r);
#define SIM_RETRY_KEYS "timeout", "retries", "backoff", "retry_on", "budget", "adaptive_throttle"

/* load_stages.c: a workload's start, stop and stages (instead of a rate) */
int sim_load_schedule(struct fl_ydoc *d, const yaml_node_t *n, struct sim_workload_cfg *w);

int sim_load_headers(struct fl_ydoc *d, const yaml_node_t *n, struct sim_header **hs,
                     size_t *n_out);

/* Checks a name (service, version, workload): DNS-label characters, 1..63 long. */
int sim_load_name(struct fl_ydoc *d, const yaml_node_t *n, const char *what, const char **out);

/*
 * A request path as it goes on the wire (RFC 9112 section 3.2: origin-form):
 * '/' first, then visible ASCII only (RFC 3986: anything else is
 * percent-encoded), at most SIM_PATH_MAX bytes.
 */
#define SIM_PATH_MAX 8192
/* load_token.c: a request's jwt: (a token minted now, added as a header, query or cookie). */
int sim_load_token(struct fl_ydoc *d, const yaml_node_t *n, const struct sim_scenario *s,
                   struct sim_request_cfg *r);

int sim_load_path(struct fl_ydoc *d, const yaml_node_t *n, const char **out);

/* An HTTP method: upper-case letters (RFC 9110 section 9.1 methods are case-sensitive). */
int sim_load_method(struct fl_ydoc *d, const yaml_node_t *n, const char **out);

/* The items of a sequence node. */
#define SEQ_ITEMS(n) ((n)->data.sequence.items.start)
#define SEQ_COUNT(n) ((size_t)((n)->data.sequence.items.top - (n)->data.sequence.items.start))

#endif
