/*
 * auth_acl.c - Kong's acl plugin, request phase (kong/plugins/acl/
 * handler.lua, Kong 3), on the consumer an authentication plugin found
 * (the acl runs after them: PRIORITY 950 against jwt's 1450 and
 * key-auth's 1250):
 *
 *  - no consumer: 403 "You cannot consume this service" when a credential
 *    was found, else 401 (kong.response.error's "Unauthorized");
 *  - a consumer without groups: with `deny`, nothing is denied; with
 *    `allow`, the same 403 / 401 as above;
 *  - allow: blocked unless one of the consumer's groups is listed; deny:
 *    blocked if one is; blocked is 403 "You cannot consume this service";
 *  - let through: X-Consumer-Groups (the consumer's groups joined by ", ")
 *    to the upstream, unless hide_groups_header.
 *
 * Not modelled: consumer groups (include_consumer_groups), authenticated
 * groups set by other plugins (always_use_authenticated_groups: the
 * consumer's own groups are used either way).
 */
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "proxies/edge.h"

static struct px_msg *denied(const struct px_edge_env *env, const struct px_edge_state *st)
{
    FL_ASSERT(env && st && (!st->credential || st->store));
    if (st->credential)
        return px_edge_json(env, 403, "{\"message\":\"You cannot consume this service\"}");
    return px_edge_json(env, 401, "{\"message\":\"Unauthorized\"}");
}

static int listed(const struct px_edge_acl *a, const struct px_consumer *c)
{
    FL_ASSERT(a && c && (a->groups || !a->n_groups));
    for (size_t i = 0; i < c->n_groups; i++)
        for (size_t j = 0; j < a->n_groups; j++)
            if (!strcmp(c->groups[i], a->groups[j])) return 1;
    return 0;
}

static void groups_header(const struct px_consumer *c, struct px_msg *req)
{
    FL_ASSERT(c && c->n_groups > 0 && req);
    char buf[1024];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_groups && at < sizeof buf; i++) {
        int n = snprintf(buf + at, sizeof buf - at, "%s%s", i ? ", " : "", c->groups[i]);
        if (n < 0) break;
        at += (size_t)n;
    }
    px_msg_set_header(req, "X-Consumer-Groups", buf);
}

struct px_msg *px_acl_request(const struct px_edge_acl *a, const struct px_edge_env *env,
                              struct px_msg *req, struct px_edge_state *st)
{
    FL_ASSERT(a && env && req && st && a->n_groups > 0);
    if (!st->consumer) return denied(env, st);
    FL_ASSERT(st->store && st->consumer <= st->store->n_consumers);
    const struct px_consumer *c = &st->store->consumers[st->consumer - 1];
    if (!c->n_groups) return a->deny ? NULL : denied(env, st);
    int blocked = a->deny ? listed(a, c) : !listed(a, c);
    if (blocked) return px_edge_json(env, 403, "{\"message\":\"You cannot consume this service\"}");
    if (!a->hide_groups_header) groups_header(c, req);
    return NULL;
}
