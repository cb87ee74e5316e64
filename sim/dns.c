/*
 * dns.c - service name resolution and the `dns` fault (see dns.h).
 *
 * `dns: {name: SERVICE, fail: true}`: lookups of the name fail (kube-dns
 * answers SERVFAIL, or the record is gone): the caller's connect fails
 * at once with a DNS error, counted as outcome `dns` by a workload and
 * as a failed call (503) by an app. `dns: {name: SERVICE, delay: D}`:
 * lookups take D more (an overloaded kube-dns, a resolv.conf timeout and
 * retry), added before the handshake. Several active faults on one name
 * compose: any failure fails, delays add.
 */
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/units.h"
#include "sim/dns.h"
#include "sim/load_internal.h"
#include "sim/world.h"

#define DNS_DELAY_MAX (INT64_C(600) * 1000000000) /* ten minutes */

struct dns_params {
    int fail;
    int64_t delay_ns;
};

struct sim_conn *sim_dns_open(struct sim_world *w, int service, uint32_t src, uint32_t dst,
                              uint16_t port, const struct px_conn_cbs *cbs, void *ctx)
{
    FL_ASSERT(w && service >= 0 && (size_t)service < w->sc->n_services);
    int64_t delay_ns = 0;
    int fail = PX_OK;
    for (size_t i = 0; i < w->faults.n; i++) {
        const struct sim_fault_run *r = &w->faults.v[i];
        if (r->state != SIM_FAULT_ACTIVE || r->f->kind != SIM_FAULT_DNS) continue;
        if (r->f->target.service != service) continue;
        const struct dns_params *p = r->f->params;
        if (p->fail) fail = PX_EDNS;
        delay_ns += p->delay_ns;
    }
    FL_ASSERT(delay_ns >= 0);
    return sim_conn_open_after(w, src, dst, port, cbs, ctx, delay_ns, fail);
}

/* ---- the fault */

static int dns_load(struct fl_ydoc *d, const yaml_node_t *n, const yaml_node_t *item,
                    const struct sim_scenario *sc, struct sim_fault *f)
{
    static const char *const keys[] = {"name", "fail", "delay", NULL};
    static const char *const required[] = {"name", NULL};
    (void)item;
    if (fl_y_check_keys(d, n, keys, required, "dns")) return -1;
    FL_ASSERT(d && n && sc && f && f->params);
    struct dns_params *p = f->params;
    yaml_node_t *name = fl_y_get(d, n, "name"), *fail = fl_y_get(d, n, "fail"),
                *delay = fl_y_get(d, n, "delay");
    if (sim_fault_load_name(d, name, "dns.name", sc, &f->target)) return -1;
    if (f->target.pod >= 0)
        return fl_y_error(d, name, "dns.name is a service's name ('%s' is a pod)", fl_y_str(name));
    if (!fail == !delay) return fl_y_error(d, n, "dns needs one of 'fail: true' and 'delay'");
    if (fail) {
        if (fl_y_bool(d, fail, "dns.fail", &p->fail)) return -1;
        if (!p->fail) return fl_y_error(d, fail, "dns.fail: false does nothing (use 'delay')");
        return 0;
    }
    return fl_y_duration(d, delay, "dns.delay", 1, DNS_DELAY_MAX, &p->delay_ns);
}

static void dns_describe(const struct sim_fault *f, char *buf, size_t size)
{
    const struct dns_params *p = f->params;
    FL_ASSERT(p->fail || p->delay_ns > 0);
    char dur[32];
    if (p->fail) {
        snprintf(buf, size, "lookups fail");
        return;
    }
    snprintf(buf, size, "lookups take %s more", fl_format_duration(p->delay_ns, dur, sizeof dur));
}

/* Starting and stopping change nothing: sim_dns_open looks at the active faults. */
static void dns_change(struct sim_world *w, const struct sim_fault *f)
{
    (void)w;
    FL_ASSERT(f->kind == SIM_FAULT_DNS && f->target.service >= 0);
}

const struct sim_fault_kind sim_fault_dns = {
    .name = "dns",
    .params_size = sizeof(struct dns_params),
    .load = dns_load,
    .describe = dns_describe,
    .start = dns_change,
    .stop = dns_change,
};
