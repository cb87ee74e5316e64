/*
 * istio_internal.h - what the files reading Istio's resources share
 * (proxies/istio_parse.c, istio_vs.c, istio_dr.c, istio_sidecar.c,
 * istio_resolve.c): the parsing state of one resource, the small readers
 * of istio_parse.c, and the reader of each kind of resource.
 *
 * Every reader takes the parsing state and a node of the document, and
 * returns 0, or -1 with the error recorded in the document
 * (file:line:col), as px_istio_add does.
 *
 * Not a public API: outside proxies/istio_*.c, use istio.h.
 */
#ifndef FL_PROXIES_ISTIO_INTERNAL_H
#define FL_PROXIES_ISTIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/yamldoc.h"
#include "proxies/istio.h"

/* The items of a sequence node, the pairs of a mapping node. */
#define SEQ_ITEMS(n) ((n)->data.sequence.items.start)
#define SEQ_COUNT(n) ((size_t)((n)->data.sequence.items.top - (n)->data.sequence.items.start))
#define MAP_PAIRS(n) ((n)->data.mapping.pairs.start)
#define MAP_COUNT(n) ((size_t)((n)->data.mapping.pairs.top - (n)->data.mapping.pairs.start))

/* Parsing state for one resource. */
struct ip {
    struct fl_ydoc *d;
    struct px_istio *m;
    const char *kind, *name, *ns;
    const yaml_node_t *node; /* the resource's mapping */
    char what[200];          /* "VirtualService 'reviews'" */
};

/* ---------------------------------------------------------------- small readers (istio_parse.c) */

/* Item i of the sequence node seq. */
yaml_node_t *px_istio_item(struct ip *c, const yaml_node_t *seq, size_t i);

/* Adds a warning (text: allocated, m owns it from now on). */
void px_istio_warn(struct px_istio *m, char *text);

/* "file:line:col" of node n (allocated: the caller owns it). */
char *px_istio_at(const struct ip *c, const yaml_node_t *n);

/*
 * Something faultline does not model, at node n: an error `text` located
 * at n (with hint: saying that --lenient leaves it out), or with
 * m->lenient a warning "file:line:col: text; left out (--lenient)" and 0.
 */
int px_istio_unmodeled(struct ip *c, const yaml_node_t *n, const char *text, int hint);

/*
 * Notes that the resource being read (c: kind, name, namespace), found at
 * new_at, replaces the one read earlier at old_at, as `kubectl apply` of
 * the later file would.
 */
void px_istio_note_replaced(struct ip *c, const char *old_at, const char *new_at);

/* A field Istio has that would change traffic but is not modeled yet: an error if given. */
int px_istio_refuse(struct ip *c, const yaml_node_t *m, const char *key, const char *what);

/* A mapping read for its shape only (fields without effect here). */
int px_istio_ignored_map(struct ip *c, const yaml_node_t *m, const char *key);

/* A list of strings, borrowed from the document; *count is how many. */
int px_istio_str_items(struct ip *c, const yaml_node_t *n, const char *what, size_t *count);

/*
 * A Go / protobuf duration: one or more number+unit parts ("1s", "0.5s",
 * "1m30s", "250ms"), at least min_ns.
 */
int px_istio_go_duration(struct ip *c, const yaml_node_t *n, const char *what, int64_t min_ns,
                         int64_t *out);

/* "reviews.ns.svc.cluster.local" (ns: the resource's or "default") -> "reviews" (caller frees). */
char *px_istio_short_host(const char *host, const char *ns);

/* ---------------------------------------------------------------- resources */

/* istio_vs.c: a VirtualService's spec, added to c->m (or left out with a warning). */
int px_istio_parse_vs(struct ip *c, const yaml_node_t *spec);
void px_istio_vs_free(struct px_istio_vs *v);

/* istio_sidecar.c: a Sidecar's spec, added to c->m. */
int px_istio_parse_sidecar(struct ip *c, const yaml_node_t *spec);
void px_istio_sidecar_free(struct px_istio_sidecar *s);

/* istio_gateway.c: a Gateway's spec, added to c->m. */
int px_istio_parse_gateway(struct ip *c, const yaml_node_t *spec);
void px_istio_gateway_free(struct px_istio_gateway *g);

/* Whether a VirtualService's binding "namespace/name" names Gateway g. */
int px_istio_vs_bound_one(const char *binding, const struct px_istio_gateway *g);

/* istio_serviceentry.c: a ServiceEntry's spec, added to c->m. */
int px_istio_parse_se(struct ip *c, const yaml_node_t *spec);
void px_istio_se_free(struct px_istio_se *s);

/* istio_locality.c: a localityLbSetting into *out (which the caller frees, error or not). */
int px_istio_parse_locality(struct ip *c, const yaml_node_t *n, struct px_locality_cfg *out);
/* istio_vs_http.c: headers {request, response} {set, add, remove} into edits (appended). */
int px_istio_parse_headers(struct ip *c, const yaml_node_t *n, struct px_hdr_ops *req,
                           struct px_hdr_ops *resp);

/* istio_vs_http.c: redirect, directResponse, corsPolicy as a policy (caller owns *out). */
int px_istio_parse_redirect(struct ip *c, const yaml_node_t *n, struct px_edge **out);
int px_istio_parse_direct(struct ip *c, const yaml_node_t *n, struct px_edge **out);
int px_istio_parse_cors(struct ip *c, const yaml_node_t *n, struct px_edge **out);

/* istio_dr.c: a DestinationRule's spec, added to c->m. */
int px_istio_parse_dr(struct ip *c, const yaml_node_t *spec);
void px_istio_dr_free(struct px_istio_dr *r);

/* istio_peerauthn.c, istio_authn.c, istio_authz.c: the security resources (istio_sec.h). */
int px_istio_parse_peerauthn(struct ip *c, const yaml_node_t *spec);
int px_istio_parse_reqauthn(struct ip *c, const yaml_node_t *spec);
int px_istio_parse_authz(struct ip *c, const yaml_node_t *spec);
/* Frees n labels and their array (istio_peerauthn.c). */
void px_istio_labels_free(struct px_label *l, size_t n);
/* selector: {matchLabels: {...}} into *out (allocated; *n labels). */

int px_istio_parse_match_labels(struct ip *c, const yaml_node_t *sel, struct px_label **out,
                                size_t *n);

/* ---------------------------------------------------------------- building (istio_build.c) */

/* The references of every rule checked against the services: 0, or -1 with *err. */
int px_istio_check_refs(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                        char **err);

/* The mesh's clusters into out: one per service and subset; first[i] is service i's. */
void px_istio_build_clusters(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                             struct px_proxy_cfg *out, size_t *first);

/* istio_build.c: whether an endpoint carries every label of subset s (NULL: yes). */
int px_istio_has_labels(const struct px_endpoint_cfg *e, const struct px_istio_subset *s);

/* VirtualService v's http routes into vh (a virtual host of out), in order. */
int px_istio_vs_routes(const struct px_istio *m, const struct px_mesh_service *svc, size_t n,
                       const size_t *first, const struct px_istio_vs *v, struct px_proxy_cfg *out,
                       struct px_vhost_cfg *vh, char **err);

/* istio_telemetry.c: a Telemetry's spec; px_istio_telemetry_free frees one. */
int px_istio_parse_telemetry(struct ip *c, const yaml_node_t *spec);
void px_istio_telemetry_free(struct px_istio_telemetry *t);

#endif
