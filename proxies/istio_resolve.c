/*
 * istio_resolve.c - px_istio_resolve: the resources read by istio_parse.c
 * checked against the services a scenario models, before any sidecar is
 * built, so that every mistake is reported where it is written.
 *
 * Istio accepts a VirtualService or DestinationRule for any host (a host
 * the registry does not know simply gets no traffic), so a rule for a
 * host the scenario does not model is a warning, and the host is left
 * out; a resource left without hosts is dropped. What the mesh would get
 * wrong is an error located in the Istio file, with the closest name:
 *  - a route destination whose host is not a service (Envoy would answer
 *    503 with no cluster: istiod drops routes to unknown clusters);
 *  - a subset no DestinationRule of the host defines (istiod builds no
 *    such cluster; the route answers 503 NC);
 *  - a subset a route uses whose labels select no pod (every request to it
 *    would be 503 UH);
 *  - two VirtualServices routing one host, two DestinationRules for one
 *    host (istiod would keep only the oldest: its conflict validation,
 *    pilot/pkg/model/virtualservice.go and destination_rule.go, merges
 *    only for gateways or with PILOT_ENABLE_DESTINATION_RULE_INHERITANCE).
 * A subset no route uses that selects no pod is a warning.
 *
 * Not here: reading (istio_parse.c, istio_vs.c, istio_dr.c) and building
 * (istio_build.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/yamldoc.h"
#include "proxies/istio_internal.h"

struct rs {
    struct px_istio *m;
    const struct px_mesh_service *svc;
    size_t n_svc;
    const char **names; /* the services' names, NULL-terminated (suggestions) */
    char **err;
};

static int service_index(const struct rs *r, const char *host)
{
    for (size_t i = 0; i < r->n_svc; i++)
        if (!strcmp(r->svc[i].name, host)) return (int)i;
    return -1;
}

/* " (did you mean 'x'?)" for word among names, or "" (static storage: use at once). */
static const char *hint_of(const char *word, const char *const *names)
{
    static char buf[200];
    const char *h = fl_did_you_mean(word, names);
    if (!h) return "";
    snprintf(buf, sizeof buf, " (did you mean '%s'?)", h);
    return buf;
}

static void warn(struct px_istio *m, char *text)
{
    m->warnings = fl_realloc(m->warnings, (m->n_warnings + 1) * sizeof *m->warnings);
    m->warnings[m->n_warnings++] = text;
}

static const struct px_istio_dr *dr_for(const struct px_istio *m, const char *host)
{
    for (size_t i = 0; i < m->n_dr; i++)
        if (!strcmp(m->dr[i].host, host)) return &m->dr[i];
    return NULL;
}

/* ---------------------------------------------------------------- hosts not modeled */

static void drop_dr_hosts(struct rs *r)
{
    struct px_istio *m = r->m;
    size_t kept = 0;
    for (size_t i = 0; i < m->n_dr; i++) {
        struct px_istio_dr *d = &m->dr[i];
        if (service_index(r, d->host) >= 0) {
            m->dr[kept++] = *d;
            continue;
        }
        warn(m, fl_asprintf("%s: DestinationRule '%s': host '%s' is not a service of the "
                            "scenario%s: not applied",
                            d->host_at, d->name, d->host, hint_of(d->host, r->names)));
        px_istio_dr_free(d);
    }
    m->n_dr = kept;
}

/* Leaves out the hosts of v that are not services; 0 when none is left. */
static int keep_vs_hosts(struct rs *r, struct px_istio_vs *v)
{
    FL_ASSERT(v->n_hosts == 0 || (v->hosts && v->host_at));
    size_t kept = 0;
    for (size_t h = 0; h < v->n_hosts; h++) {
        if (service_index(r, v->hosts[h]) >= 0) {
            v->host_at[kept] = v->host_at[h];
            v->hosts[kept++] = v->hosts[h];
            continue;
        }
        warn(r->m,
             fl_asprintf("%s: VirtualService '%s': host '%s' is not a service of the "
                         "scenario%s: not applied to it",
                         v->host_at[h], v->name, v->hosts[h], hint_of(v->hosts[h], r->names)));
        free(v->hosts[h]);
        free(v->host_at[h]);
    }
    v->n_hosts = kept;
    return kept > 0;
}

static void drop_vs_hosts(struct rs *r)
{
    struct px_istio *m = r->m;
    size_t kept = 0;
    for (size_t i = 0; i < m->n_vs; i++) {
        /* bound to gateways: its hosts are names clients send, not services */
        if (m->vs[i].n_gateways || keep_vs_hosts(r, &m->vs[i]))
            m->vs[kept++] = m->vs[i];
        else
            px_istio_vs_free(&m->vs[i]);
    }
    m->n_vs = kept;
}

/* ---------------------------------------------------------------- conflicts */

static int check_dr_conflicts(struct rs *r)
{
    const struct px_istio *m = r->m;
    for (size_t i = 0; i < m->n_dr; i++) {
        const struct px_istio_dr *first = dr_for(m, m->dr[i].host);
        FL_ASSERT(first && first <= &m->dr[i]);
        if (first == &m->dr[i]) continue;
        *r->err =
            fl_asprintf("%s: DestinationRule '%s': host '%s' already has DestinationRule "
                        "'%s' (%s); istiod would use only the older one: merge them",
                        m->dr[i].host_at, m->dr[i].name, m->dr[i].host, first->name, first->at);
        return -1;
    }
    return 0;
}

static int check_vs_conflicts(struct rs *r)
{
    const struct px_istio *m = r->m;
    for (size_t i = 0; i < m->n_vs; i++) {
        const struct px_istio_vs *v = &m->vs[i];
        if (!v->n_routes || !v->mesh) continue; /* istio_build.c vs_for: not for sidecars */
        for (size_t h = 0; h < v->n_hosts; h++)
            for (size_t k = 0; k < i; k++) {
                const struct px_istio_vs *o = &m->vs[k];
                for (size_t oh = 0; o->n_routes && o->mesh && oh < o->n_hosts; oh++) {
                    if (strcmp(o->hosts[oh], v->hosts[h])) continue;
                    *r->err = fl_asprintf("%s: VirtualService '%s': host '%s' is already routed "
                                          "by VirtualService '%s' (%s); istiod would use only "
                                          "the older one: merge them",
                                          v->host_at[h], v->name, v->hosts[h], o->name, o->at);
                    return -1;
                }
            }
    }
    return 0;
}

/* Whether v and o are bound to one Gateway (by the same "namespace/name"). */
static int share_gateway(const struct px_istio_vs *v, const struct px_istio_vs *o)
{
    for (size_t a = 0; a < v->n_gateways; a++)
        for (size_t b = 0; b < o->n_gateways; b++)
            if (!strcmp(v->gateways[a], o->gateways[b])) return 1;
    return 0;
}

/*
 * Two VirtualServices for one host at one Gateway: istiod merges them in
 * the order of creation, which the files do not say; refused, as for
 * sidecars.
 */
static int check_gateway_conflicts(struct rs *r)
{
    const struct px_istio *m = r->m;
    for (size_t i = 0; i < m->n_vs; i++)
        for (size_t k = 0; k < i; k++) {
            const struct px_istio_vs *v = &m->vs[i], *o = &m->vs[k];
            if (!v->n_routes || !o->n_routes || !share_gateway(v, o)) continue;
            for (size_t h = 0; h < v->n_hosts; h++)
                for (size_t oh = 0; oh < o->n_hosts; oh++) {
                    if (strcmp(o->hosts[oh], v->hosts[h])) continue;
                    *r->err = fl_asprintf("%s: VirtualService '%s': host '%s' is already routed "
                                          "at the same Gateway by VirtualService '%s' (%s); "
                                          "istiod would merge them by age: merge them",
                                          v->host_at[h], v->name, v->hosts[h], o->name, o->at);
                    return -1;
                }
        }
    return 0;
}

/* ---------------------------------------------------------------- destinations */

static int selects_any(const struct px_mesh_service *svc, const struct px_istio_subset *s)
{
    for (size_t i = 0; i < svc->n_endpoints; i++)
        if (px_istio_has_labels(&svc->endpoints[i], s)) return 1;
    return 0;
}

/* "version=v3, app=reviews" (caller frees). */
static char *labels_text(const struct px_istio_subset *s)
{
    char *t = fl_strdup("");
    for (size_t i = 0; i < s->n_labels; i++) {
        char *n = fl_asprintf("%s%s%s=%s", t, i ? ", " : "", s->labels[i].key, s->labels[i].value);
        free(t);
        t = n;
    }
    return t;
}

static int check_subset(struct rs *r, const struct px_istio_vs *v, const struct px_istio_dest *d,
                        int svc)
{
    FL_ASSERT(d->subset && d->subset_at && svc >= 0 && (size_t)svc < r->n_svc);
    const struct px_istio_dr *dr = dr_for(r->m, d->host);
    size_t n = dr ? dr->n_subsets : 0;
    const char **names = fl_calloc(n + 1, sizeof *names);
    int found = -1;
    for (size_t i = 0; i < n; i++) {
        names[i] = dr->subsets[i].name;
        if (!strcmp(names[i], d->subset)) found = (int)i;
    }
    if (found < 0) {
        if (dr)
            *r->err = fl_asprintf("%s: VirtualService '%s': host '%s' has no subset '%s' "
                                  "(DestinationRule '%s' at %s does not define it)%s",
                                  d->subset_at, v->name, d->host, d->subset, dr->name, dr->at,
                                  hint_of(d->subset, names));
        else
            *r->err = fl_asprintf("%s: VirtualService '%s': host '%s' has no subset '%s' (no "
                                  "DestinationRule for '%s' defines subsets)",
                                  d->subset_at, v->name, d->host, d->subset, d->host);
        free(names);
        return -1;
    }
    free(names);
    const struct px_istio_subset *s = &dr->subsets[found];
    if (selects_any(&r->svc[svc], s)) return 0;
    char *labels = labels_text(s);
    *r->err = fl_asprintf("%s: VirtualService '%s': subset '%s' of host '%s' (%s) selects no "
                          "pod: none has the labels %s",
                          d->subset_at, v->name, d->subset, d->host, s->at, labels);
    free(labels);
    return -1;
}

static int check_dests(struct rs *r)
{
    for (size_t i = 0; i < r->m->n_vs; i++) {
        const struct px_istio_vs *v = &r->m->vs[i];
        for (size_t k = 0; k < v->n_routes; k++)
            for (size_t j = 0; j < v->routes[k].n_dests; j++) {
                const struct px_istio_dest *d = &v->routes[k].dests[j];
                FL_ASSERT(d->host && d->host_at);
                int svc = service_index(r, d->host);
                if (svc < 0) {
                    *r->err = fl_asprintf("%s: VirtualService '%s': destination host '%s' is "
                                          "not a service of the scenario%s",
                                          d->host_at, v->name, d->host, hint_of(d->host, r->names));
                    return -1;
                }
                if (r->svc[svc].external && !px_istio_se_for(r->m, d->host)) {
                    *r->err = fl_asprintf("%s: VirtualService '%s': destination host '%s' is "
                                          "outside the mesh and no ServiceEntry names it (the "
                                          "sidecars have no cluster for it): add one",
                                          d->host_at, v->name, d->host);
                    return -1;
                }
                if (d->subset && check_subset(r, v, d, svc)) return -1;
            }
    }
    return 0;
}

/* Subsets that select no pod and that no route uses: warnings. */
static void warn_empty_subsets(struct rs *r)
{
    for (size_t i = 0; i < r->m->n_dr; i++) {
        const struct px_istio_dr *dr = &r->m->dr[i];
        int k = service_index(r, dr->host);
        FL_ASSERT(k >= 0); /* drop_dr_hosts left only rules for services */
        const struct px_mesh_service *svc = &r->svc[k];
        for (size_t s = 0; s < dr->n_subsets; s++) {
            if (selects_any(svc, &dr->subsets[s])) continue;
            char *labels = labels_text(&dr->subsets[s]);
            warn(r->m,
                 fl_asprintf("%s: DestinationRule '%s': subset '%s' selects no pod of "
                             "'%s' (none has the labels %s)",
                             dr->subsets[s].at, dr->name, dr->subsets[s].name, dr->host, labels));
            free(labels);
        }
    }
}

/*
 * ServiceEntry hosts that name no external service of the scenario: a
 * warning, as for VirtualService and DestinationRule hosts (Istio accepts
 * any host; here nothing would answer it).
 */
static void warn_service_entries(struct rs *r)
{
    const struct px_istio *m = r->m;
    for (size_t i = 0; i < m->n_ses; i++)
        for (size_t h = 0; h < m->ses[i].n_hosts; h++) {
            const char *host = m->ses[i].hosts[h];
            size_t k = 0;
            while (k < r->n_svc &&
                   !(r->svc[k].external && px_istio_host_matches(host, r->svc[k].name)))
                k++;
            if (k < r->n_svc) continue;
            int in_mesh = service_index(r, host) >= 0;
            warn(r->m, fl_asprintf("%s: ServiceEntry '%s': host '%s' %s: not applied to it",
                                   m->ses[i].host_at[h], m->ses[i].name, host,
                                   in_mesh ? "is a service of the mesh, not an external one "
                                             "(external: true)"
                                           : "is not an external service of the scenario"));
        }
}

/*
 * A VirtualService bound to a Gateway that is not defined: a warning, as
 * istiod accepts it (the binding selects nothing); if it is bound to no
 * Gateway that exists nor to sidecars, it is not applied anywhere.
 */
static void warn_gateway_bindings(struct rs *r)
{
    struct px_istio *m = r->m;
    const char **names = fl_calloc(m->n_gateways + 1, sizeof *names);
    for (size_t g = 0; g < m->n_gateways; g++) names[g] = m->gateways[g].name;
    for (size_t i = 0; i < m->n_vs; i++) {
        const struct px_istio_vs *v = &m->vs[i];
        int bound = 0;
        for (size_t k = 0; k < v->n_gateways; k++) {
            size_t g = 0;
            while (g < m->n_gateways && !px_istio_vs_bound_one(v->gateways[k], &m->gateways[g]))
                g++;
            if (g < m->n_gateways) {
                bound = 1;
                continue;
            }
            const char *slash = strchr(v->gateways[k], '/');
            warn(m,
                 fl_asprintf("%s: VirtualService '%s': gateway '%s' is not a Gateway of the "
                             "mesh%s%s",
                             v->at, v->name, v->gateways[k], hint_of(slash + 1, names),
                             !bound && !v->mesh && k + 1 == v->n_gateways ? ": not applied" : ""));
        }
    }
    free(names);
}

/* Sidecars that apply to no workload, egress hosts that name no service: warnings. */
static void warn_sidecars(struct rs *r)
{
    for (size_t i = 0; i < r->m->n_sidecars; i++) {
        const struct px_istio_sidecar *s = &r->m->sidecars[i];
        if (strcmp(s->ns, "default") && strcmp(s->ns, "istio-system")) {
            warn(r->m, fl_asprintf("%s: Sidecar '%s' is in namespace '%s', where the scenario "
                                   "has no workload: not applied",
                                   s->at, s->name, s->ns));
            continue;
        }
        for (size_t e = 0; e < s->n_egress; e++) {
            const char *h = s->egress[e], *slash = strchr(h, '/');
            FL_ASSERT(slash); /* istio_sidecar.c refuses hosts without a namespace */
            const char *name = slash + 1;
            int ours = h[0] == '.' || h[0] == '*' || !strncmp(h, "default/", 8);
            if (!ours || strchr(name, '*')) continue;
            char *short_name = px_istio_short_host(name, "default");
            if (service_index(r, short_name) < 0)
                warn(r->m, fl_asprintf("%s: Sidecar '%s': egress host '%s' is not a service of "
                                       "the scenario%s",
                                       s->at, s->name, h, hint_of(short_name, r->names)));
            free(short_name);
        }
    }
}

int px_istio_resolve(struct px_istio *m, const struct px_mesh_service *services, size_t n,
                     char **err)
{
    FL_ASSERT(m && err);
    FL_ASSERT(services || n == 0);
    struct rs r = {m, services, n, fl_calloc(n + 1, sizeof(char *)), err};
    for (size_t i = 0; i < n; i++) r.names[i] = services[i].name;
    drop_dr_hosts(&r);
    drop_vs_hosts(&r);
    int rc = check_dr_conflicts(&r) || check_vs_conflicts(&r) || check_gateway_conflicts(&r) ||
                     check_dests(&r)
                 ? -1
                 : 0;
    if (!rc) warn_empty_subsets(&r);
    if (!rc) warn_sidecars(&r);
    if (!rc) warn_gateway_bindings(&r);
    if (!rc) warn_service_entries(&r);
    free(r.names);
    return rc;
}
