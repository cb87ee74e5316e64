/*
 * vhost_index.h - choosing the virtual host of a request as Envoy does,
 * in one hash lookup instead of a scan of every domain of every virtual
 * host (a sidecar of a 1000-service mesh has 1000 of them).
 *
 * Envoy's domain search order (route_components.proto, VirtualHost
 * `domains`): exact names first, then suffix wildcards (`*.foo.com`),
 * longest first, then the special `*`. Names compare without case and
 * without the request's port. Between equals the first virtual host of
 * the configuration wins.
 */
#ifndef FL_PROXIES_VHOST_INDEX_H
#define FL_PROXIES_VHOST_INDEX_H

#include "proxies/config.h"

struct px_vhost_index;

/* Builds the index of cfg's virtual hosts (caller frees with px_vhost_index_free). */
struct px_vhost_index *px_vhost_index_build(const struct px_proxy_cfg *cfg);
void px_vhost_index_free(struct px_vhost_index *x);

/* The virtual host (its index in cfg->vhosts) for a request's authority (may be NULL), or -1. */
long px_vhost_index_find(const struct px_vhost_index *x, const char *authority);

#endif
