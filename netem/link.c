/*
 * link.c - one direction of a path, shaped the way Linux netem shapes it.
 *
 * How a packet goes through (net_link_packet), in netem_enqueue()'s order:
 *  1. loss: Bernoulli(p), or netem's Gilbert-Elliott step (loss_gilb_ell);
 *  2. transmit queue: a packet starts serializing at max(send, busy_until);
 *     it is dropped when the bytes still waiting exceed queue_packets * 1500;
 *  3. delay: base delay + jitter (netem's tabledist), clamped at 0, added
 *     after serialization ends.
 * An ideal link (net_link_cfg_ideal) returns arrive = send and draws nothing.
 * `packets` and `bytes` count everything offered, lost and dropped included.
 *
 * What was checked against the sources (Linux net/sched/sch_netem.c, as of
 * 5.10 and 6.x; iproute2 netem/normal.c, pareto.c, paretonormal.c, and
 * tc/q_netem.c):
 *  - get_crandom(): next = (fresh * (2^32 - rho') + last * rho') >> 32 with
 *    rho' = rho + 1 and rho = correlation * (2^32 - 1) as tc encodes a
 *    percentage; rho = 0 returns the fresh value and leaves `last` alone.
 *    So correlation 1 repeats the previous value exactly. init_crandom()
 *    starts `last` at a random value; so does net_link_init().
 *  - tabledist(): jitter 0 returns the delay with no draw; no table gives
 *    delay - jitter + (rnd mod 2 jitter), uniform on [delay - jitter,
 *    delay + jitter); a table gives delay + jitter * table[rnd mod size] /
 *    NETEM_DIST_SCALE (8192). A negative result means "send now": clamp at 0.
 *  - the tables hold a scaled inverse CDF of a standardized distribution,
 *    4096 s16 entries for u = 0, 1/4096, ...:
 *      normal:       Phi^-1(u)                          (mean 0, sd 1)
 *      pareto:       (X(u) - 1.5) * 4/3,  X(u) = (1 - u)^(-1/3), i.e. a
 *                    Pareto of scale 1 and shape 3 (mean 1.5, sd sqrt(3)/2)
 *                    shifted to mean 0; so the table's sd is 2/sqrt(3), not 1
 *      paretonormal: (Phi^-1(u) + 3 * pareto(u)) / 4 with the SAME u: a sum
 *                    of quantile functions, not a 25/75 mixture
 *    each entry clamped to the s16 range [-32768, 32767] / 8192 (the pareto
 *    term alone to 32767 / 8192, i.e. X <= 4.49991). Here those inverse CDFs
 *    are evaluated directly at the correlated uniform, with the same clamps.
 *  - loss_gilb_ell(): from the state the packet finds, one draw decides the
 *    transition (good->bad with p, bad->good with r), then a second draw
 *    decides the loss with the loss probability of the state the packet
 *    FOUND (good: 1-k, bad: 1-h); two draws per packet, start in good.
 *
 * Deliberate deviations from netem:
 *  - netem maps the correlated 32-bit value to the distribution with
 *    `rnd % size` (and `rnd % (2 jitter)`), which keeps only its low bits, so
 *    in the kernel the correlation barely survives; here the value is used as
 *    a fraction u = (rnd + 1/2) / 2^32, so the configured correlation shows.
 *    The tables' 4096-step discretization is not reproduced (netem's normal
 *    jitter stops near 3.4 sd; here it reaches the s16 clamp at 4 sd).
 *  - one correlation, for the delay only: random loss is uncorrelated.
 *  - rate: netem sends a packet at max(now + delay, last packet's send time)
 *    plus its serialization time; here the delay follows serialization
 *    (arrival = transmission end + delay), and the queue bound is in bytes
 *    (queue_packets * 1500) rather than netem's packet count.
 *  - lognormal is not a netem table: the whole delay is lognormal with mean
 *    delay and standard deviation jitter (a zero delay stays zero).
 *
 * Not here: duplication, reordering, corruption, slotting, ECN marking,
 * netem's 4-state loss model, partitions; which link joins which nodes.
 */
#include <math.h>
#include <string.h>

#include "base/assert.h"
#include "netem/link.h"

#define MTU_BYTES        1500.0
#define NS_PER_S         1e9
#define DIST_SCALE       8192.0 /* NETEM_DIST_SCALE */
#define TABLE_MIN        (-32768.0 / DIST_SCALE)
#define TABLE_MAX        (32767.0 / DIST_SCALE)
#define LOGNORMAL_NS_MAX 2e18 /* far beyond any run, far below INT64_MAX */

static const double SQRT2 = 1.41421356237309504880;
static const double SQRT_2PI = 2.50662827463100050242;

void net_link_cfg_default(struct net_link_cfg *c)
{
    FL_ASSERT(c);
    memset(c, 0, sizeof *c);
    c->dist = NET_JITTER_UNIFORM;
    c->loss.model = NET_LOSS_NONE;
    c->queue_packets = 1000;
}

static int loss_none(const struct net_loss *l)
{
    switch (l->model) {
    case NET_LOSS_NONE: return 1;
    case NET_LOSS_RANDOM: return l->p <= 0.0;
    case NET_LOSS_GEMODEL: return l->good_loss <= 0.0 && l->bad_loss <= 0.0;
    }
    return 0;
}

int net_link_cfg_ideal(const struct net_link_cfg *c)
{
    FL_ASSERT(c);
    return c->delay_ns == 0 && c->jitter_ns == 0 && c->rate_bps <= 0.0 && loss_none(&c->loss);
}

static int unit_ok(double x)
{
    return x >= 0.0 && x <= 1.0;
}

void net_link_init(struct net_link *l, const struct net_link_cfg *cfg, const struct fl_rng *rng)
{
    FL_ASSERT(l && cfg && rng);
    FL_ASSERT(cfg->delay_ns >= 0 && cfg->jitter_ns >= 0 && cfg->rate_bps >= 0.0);
    FL_ASSERT(unit_ok(cfg->correlation) && unit_ok(cfg->loss.p) && unit_ok(cfg->loss.r));
    FL_ASSERT(unit_ok(cfg->loss.bad_loss) && unit_ok(cfg->loss.good_loss));
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    l->rng = *rng;
    l->corr_last = (uint32_t)(fl_rng_next(&l->rng) >> 32); /* netem's init_crandom() */
}

void net_link_free(struct net_link *l)
{
    FL_ASSERT(l);
    net_impairs_free(&l->impair);
}

/* netem's get_crandom(): a fresh 32-bit value mixed with the previous one. */
static uint32_t crandom(struct net_link *l)
{
    uint64_t rho = (uint64_t)llround(l->cfg.correlation * (double)UINT32_MAX);
    uint64_t fresh = fl_rng_next(&l->rng) >> 32;
    if (rho == 0) return (uint32_t)fresh;
    rho += 1; /* weights sum to 2^32, so the sum below fits 64 bits */
    l->corr_last = (uint32_t)((fresh * ((1ULL << 32) - rho) + l->corr_last * rho) >> 32);
    return l->corr_last;
}

/* Acklam's rational approximation of Phi^-1 for 0 < p <= 1/2. */
static double acklam_low(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

/*
 * The standard normal quantile, 0 < p < 1. Acklam's approximation (relative
 * error 1.2e-9) then one Halley step on Phi(x) - p, with Phi from erfc; the
 * upper half by symmetry so that erfc's argument stays positive (accurate).
 */
static double norm_inv(double p)
{
    FL_ASSERT(p > 0.0 && p < 1.0);
    if (p > 0.5) return -norm_inv(1.0 - p);
    double x = acklam_low(p);
    double e = 0.5 * erfc(-x / SQRT2) - p;
    double u = e * SQRT_2PI * exp(0.5 * x * x);
    return x - u / (1.0 + 0.5 * x * u);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* iproute2 pareto.c: Pareto(scale 1, shape 3) shifted to mean 0, times 4/3. */
static double table_pareto(double u)
{
    double x = pow(1.0 - u, -1.0 / 3.0);
    return fmin((x - 1.5) * (4.0 / 3.0), TABLE_MAX);
}

/* The value netem's table for `dist` holds at uniform u, in units of jitter. */
static double table_value(enum net_jitter_dist dist, double u)
{
    switch (dist) {
    case NET_JITTER_NORMAL: return clamp(norm_inv(u), TABLE_MIN, TABLE_MAX);
    case NET_JITTER_PARETO: return table_pareto(u);
    case NET_JITTER_PARETONORMAL:
        return clamp(0.25 * norm_inv(u) + 0.75 * table_pareto(u), TABLE_MIN, TABLE_MAX);
    default: FL_ASSERT(!"not a table distribution");
    }
    return 0.0;
}

/* A lognormal delay with mean delay_ns and standard deviation jitter_ns. */
static int64_t lognormal_ns(int64_t delay_ns, int64_t jitter_ns, double u)
{
    if (delay_ns <= 0) return 0;
    double cv = (double)jitter_ns / (double)delay_ns;
    double s2 = log1p(cv * cv);
    double x = exp(log((double)delay_ns) - 0.5 * s2 + sqrt(s2) * norm_inv(u));
    return llround(fmin(x, LOGNORMAL_NS_MAX));
}

/* netem's tabledist(): base delay plus jitter, never negative. */
static int64_t draw_delay_ns(struct net_link *l)
{
    const struct net_link_cfg *c = &l->cfg;
    if (c->jitter_ns == 0) return c->delay_ns;
    uint32_t rnd = crandom(l);
    double u = ((double)rnd + 0.5) * 0x1.0p-32;
    int64_t d;
    if (c->dist == NET_JITTER_UNIFORM) {
        unsigned __int128 span = (unsigned __int128)rnd * (uint64_t)(2 * c->jitter_ns);
        d = c->delay_ns - c->jitter_ns + (int64_t)(span >> 32);
    } else if (c->dist == NET_JITTER_LOGNORMAL) {
        d = lognormal_ns(c->delay_ns, c->jitter_ns, u);
    } else {
        d = c->delay_ns + llround((double)c->jitter_ns * table_value(c->dist, u));
    }
    return d < 0 ? 0 : d;
}

/* netem's loss_gilb_ell(): transition first, then loss in the state found. */
static int ge_lost(struct net_link *l)
{
    const struct net_loss *g = &l->cfg.loss;
    int bad = l->ge_bad;
    double move = fl_rng_unit(&l->rng), lose = fl_rng_unit(&l->rng);
    if (!bad && move < g->p) l->ge_bad = 1;
    if (bad && move < g->r) l->ge_bad = 0;
    return lose < (bad ? g->bad_loss : g->good_loss);
}

static int lost(struct net_link *l)
{
    switch (l->cfg.loss.model) {
    case NET_LOSS_NONE: return 0;
    case NET_LOSS_RANDOM: return fl_rng_chance(&l->rng, l->cfg.loss.p);
    case NET_LOSS_GEMODEL: return ge_lost(l);
    }
    FL_ASSERT(!"unknown loss model");
    return 0;
}

/*
 * Serialization behind the transmit queue. Returns 0 when the queue is full,
 * else 1 with *end_ns = when the last bit has left. A retransmission is
 * serialized on its own: it neither waits for nor delays other traffic.
 */
static int transmit(struct net_link *l, int64_t send_ns, uint32_t bytes, unsigned flags,
                    int64_t *end_ns)
{
    double rate = l->cfg.rate_bps;
    if (rate <= 0.0) {
        *end_ns = send_ns;
        return 1;
    }
    int64_t ser_ns = llround((double)bytes * 8.0 * NS_PER_S / rate);
    if (flags & NET_PKT_RETRANSMIT) {
        *end_ns = send_ns + ser_ns;
        return 1;
    }
    if (l->busy_until_ns > send_ns) {
        double waiting_bytes = (double)(l->busy_until_ns - send_ns) * rate / (8.0 * NS_PER_S);
        if (waiting_bytes > (double)l->cfg.queue_packets * MTU_BYTES) return 0;
    }
    int64_t start_ns = send_ns > l->busy_until_ns ? send_ns : l->busy_until_ns;
    l->busy_until_ns = start_ns + ser_ns;
    *end_ns = l->busy_until_ns;
    return 1;
}

int net_link_packet(struct net_link *l, int64_t send_ns, uint32_t bytes, unsigned flags,
                    int64_t *arrive_ns)
{
    FL_ASSERT(l && arrive_ns && send_ns >= 0);
    l->packets++;
    l->bytes += bytes;
    int64_t add_ns = 0;
    if (l->impair.n && !net_impairs_apply(&l->impair, send_ns, &add_ns)) return 0;
    if (net_link_cfg_ideal(&l->cfg)) {
        *arrive_ns = send_ns + add_ns;
        return 1;
    }
    if (lost(l)) {
        l->lost++;
        return 0;
    }
    int64_t end_ns;
    if (!transmit(l, send_ns, bytes, flags, &end_ns)) {
        l->dropped++;
        return 0;
    }
    *arrive_ns = end_ns + draw_delay_ns(l) + add_ns;
    return 1;
}
