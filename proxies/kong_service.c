/*
 * kong_service.c - reads Kong's services (kong/db/schema/entities/
 * services.lua): name, url or protocol/host/port/path, retries, the
 * connect/write/read timeouts, enabled, and the routes and plugins nested
 * under a service.
 *
 * Defaults as Kong's: protocol http, port 80, retries 5, timeouts 60000
 * ms, enabled. A service's `url` is a shorthand for protocol, host, port
 * and path (services.lua shorthand_fields; port 80 for http, 443 for
 * https); giving both is an error here. Timeouts are whole ms between 1
 * and 2^31 - 2, as Kong's, kept in ns.
 *
 * Not done: protocols other than http and https (refused by name); TLS
 * settings (client_certificate, tls_verify_depth, ca_certificates) and
 * tags are read and have no effect; tls_verify is kept for the live
 * gateway's TLS to upstreams (null, Kong's default, is off: nginx's
 * proxy_ssl_verify off).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "proxies/kong_internal.h"

#define MS INT64_C(1000000)

/* Kong's protocols for a service; only http and https run. */
static int service_protocol(struct kp *c, const yaml_node_t *at, const char *proto,
                            const char *what)
{
    for (int i = 0; px_kong_protocols[i]; i++) {
        if (strcmp(px_kong_protocols[i], proto)) continue;
        if (i > 1)
            return fl_y_error(c->d, at, "%s: protocol '%s' is not supported yet", what, proto);
        return 0;
    }
    const char *hint = fl_did_you_mean(proto, px_kong_protocols);
    if (hint)
        return fl_y_error(c->d, at, "%s: unknown protocol '%s' (did you mean '%s'?)", what, proto,
                          hint);
    return fl_y_error(c->d, at, "%s: unknown protocol '%s'", what, proto);
}

/* Where a host is written, for errors found when the gateway is built. */
static char *host_where(struct kp *c, const yaml_node_t *n)
{
    char where[512];
    return fl_strdup(fl_y_where(c->d, n, where, sizeof where));
}

/* The url shorthand: scheme://host[:port][/path][?query] (services.lua shorthand_fields). */
static int service_url(struct kp *c, const yaml_node_t *n, struct px_kong_service *s,
                       const char *what)
{
    const char *url, *sep;
    if (fl_y_string(c->d, n, "url", &url)) return -1;
    if (!(sep = strstr(url, "://")) || sep == url)
        return fl_y_error(c->d, n, "%s: url '%s' must look like http://host:port/path", what, url);
    free(s->protocol);
    s->protocol = fl_strndup(url, (size_t)(sep - url));
    if (service_protocol(c, n, s->protocol, what)) return -1;
    const char *h = sep + 3, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        end = end ? end + 1 : h + strlen(h);
    } else {
        end = h + strcspn(h, ":/?#");
    }
    if (end == h) return fl_y_error(c->d, n, "%s: url '%s' has no host", what, url);
    s->host = fl_strndup(h, (size_t)(end - h));
    s->host_at = host_where(c, n);
    s->port = strcmp(s->protocol, "https") ? 80 : 443;
    if (*end == ':') {
        size_t len = strcspn(end + 1, "/?#");
        if (px_kong_parse_port(end + 1, len, &s->port))
            return fl_y_error(c->d, n, "%s: url '%s' has an invalid port", what, url);
        end += 1 + len;
    }
    FL_ASSERT(s->host[0] && s->port > 0 && (!*end || strchr("/?#", *end)));
    if (*end == '/') s->path = fl_strndup(end, strcspn(end, "?#"));
    return 0;
}

/* protocol, host, port, path as separate fields. */
static int service_fields(struct kp *c, const yaml_node_t *n, struct px_kong_service *s,
                          const char *what)
{
    yaml_node_t *x;
    const char *v;
    long long port;
    if ((x = fl_y_get(c->d, n, "protocol"))) {
        if (fl_y_string(c->d, x, "protocol", &v) || service_protocol(c, x, v, what)) return -1;
        free(s->protocol);
        s->protocol = fl_strdup(v);
    }
    if (!(x = fl_y_get(c->d, n, "host")))
        return fl_y_error(c->d, n, "%s needs 'host' (or 'url')", what);
    if (fl_y_string(c->d, x, "host", &v)) return -1;
    s->host = fl_strdup(v);
    s->host_at = host_where(c, x);
    FL_ASSERT(s->host && s->protocol);
    if ((x = fl_y_get(c->d, n, "port"))) {
        if (fl_y_int(c->d, x, "port", 0, 65535, &port)) return -1;
        s->port = (uint16_t)port;
    }
    if ((x = fl_y_get(c->d, n, "path"))) {
        if (fl_y_string(c->d, x, "path", &v)) return -1;
        if (v[0] != '/') return fl_y_error(c->d, x, "path '%s' should start with: /", v);
        s->path = fl_strdup(v);
    }
    return 0;
}

static int service_address(struct kp *c, const yaml_node_t *n, struct px_kong_service *s,
                           const char *what)
{
    yaml_node_t *url = fl_y_get(c->d, n, "url");
    if (!url) return service_fields(c, n, s, what);
    static const char *const parts[] = {"protocol", "host", "port", "path", NULL};
    for (int i = 0; parts[i]; i++)
        if (fl_y_get(c->d, n, parts[i]))
            return fl_y_error(c->d, fl_y_get_key(c->d, n, parts[i]),
                              "%s: both 'url' and '%s' are given; use one or the other", what,
                              parts[i]);
    return service_url(c, url, s, what);
}

static int service_timeouts(struct kp *c, const yaml_node_t *n, struct px_kong_service *s)
{
    static const char *const keys[] = {"connect_timeout", "write_timeout", "read_timeout"};
    int64_t *dst[] = {&s->connect_timeout_ns, &s->write_timeout_ns, &s->read_timeout_ns};
    yaml_node_t *x;
    long long v;
    for (int i = 0; i < 3; i++) {
        *dst[i] = 60000 * MS;
        if (!(x = fl_y_get(c->d, n, keys[i]))) continue;
        /* Kong: integers in ms, between 1 and 2^31 - 2 */
        if (fl_y_int(c->d, x, keys[i], 1, 2147483646, &v)) return -1;
        *dst[i] = v * MS;
    }
    FL_ASSERT(s->connect_timeout_ns > 0 && s->write_timeout_ns > 0 && s->read_timeout_ns > 0);
    if ((x = fl_y_get(c->d, n, "retries"))) {
        if (fl_y_int(c->d, x, "retries", 0, 32767, &v)) return -1;
        s->retries = (int)v;
    }
    FL_ASSERT(s->retries >= 0 && s->retries <= 32767);
    return px_kong_opt_bool(c, n, "enabled", "enabled", &s->enabled);
}

/* clang-format off */
static const char *const service_keys[] = {
    "id", "created_at", "updated_at", "name", "retries", "protocol", "host", "port", "path",
    "connect_timeout", "write_timeout", "read_timeout", "tags", "client_certificate", "tls_verify",
    "tls_verify_depth", "ca_certificates", "enabled", "url", "routes", "plugins", NULL};
/* clang-format on */

static struct px_kong_service *service_new(struct kp *c, const yaml_node_t *n)
{
    size_t idx = c->k->n_services;
    FL_GROW(c->k->services, c->cap_services, idx + 1);
    struct px_kong_service *s = &c->k->services[idx];
    memset(s, 0, sizeof *s);
    s->protocol = fl_strdup("http");
    s->port = 80;
    s->retries = 5;
    s->enabled = 1;
    c->k->n_services++;
    FL_ASSERT(c->k->n_services == idx + 1 && c->k->n_services <= c->cap_services);
    if (px_kong_read_id(c, n, &c->service_ids, &c->cap_sids, idx)) return NULL;
    return s;
}

int px_kong_parse_service(struct kp *c, const yaml_node_t *n)
{
    const char *name = NULL;
    char what[160];
    if (fl_y_want_map(c->d, n, "a service")) return -1;
    yaml_node_t *nn = fl_y_get(c->d, n, "name"), *x;
    if (nn && px_kong_utf8_name(c, nn, "service name", &name)) return -1;
    for (size_t i = 0; name && i < c->k->n_services; i++)
        if (c->k->services[i].name && !strcmp(c->k->services[i].name, name))
            return fl_y_error(c->d, nn, "service '%s' is defined twice", name);
    px_kong_describe(what, sizeof what, "service", name, c->k->n_services);
    if (fl_y_check_keys(c->d, n, service_keys, NULL, what)) return -1;
    struct px_kong_service *s = service_new(c, n);
    if (!s) return -1;
    s->name = name ? fl_strdup(name) : NULL;
    if (service_address(c, n, s, what) || service_timeouts(c, n, s)) return -1;
    if ((x = fl_y_get(c->d, n, "tls_verify")) && !px_kong_is_null(x) &&
        fl_y_bool(c->d, x, "tls_verify", &s->tls_verify))
        return -1;
    int idx = (int)(c->k->n_services - 1);
    FL_ASSERT(s == &c->k->services[idx] && s->host && s->protocol);
    if ((x = fl_y_get(c->d, n, "routes"))) {
        if (fl_y_want_seq(c->d, x, "routes")) return -1;
        for (size_t i = 0; i < SEQ_COUNT(x); i++)
            if (px_kong_parse_route(c, px_kong_item(c, x, i), idx)) return -1;
    }
    /* nested routes belong to this service, the last one */
    FL_ASSERT(c->k->n_services == (size_t)idx + 1);
    if ((x = fl_y_get(c->d, n, "plugins")) && px_kong_parse_plugins(c, x, PX_KONG_SERVICE, idx))
        return -1;
    return 0;
}
