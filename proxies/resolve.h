/*
 * resolve.h - how configuration names become endpoints: a Kong service
 * host, an upstream target, an Istio destination host. The runtime answers:
 * the simulator with pods (or the local sidecar), the live runtime with
 * socket addresses.
 */
#ifndef FL_PROXIES_RESOLVE_H
#define FL_PROXIES_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "proxies/config.h"

struct px_resolver {
    /*
     * Endpoints for host:port (port 0: the default). Fills a new array
     * *eps of *n endpoints (each owned: free with px_endpoint_cfg_free) and
     * returns 0, or returns -1 with *err set (caller frees) when the name
     * means nothing to the runtime.
     */
    int (*resolve)(void *arg, const char *host, uint16_t port, struct px_endpoint_cfg **eps,
                   size_t *n, char **err);
    void *arg;
};

void px_endpoint_cfg_free(struct px_endpoint_cfg *e);

#endif
