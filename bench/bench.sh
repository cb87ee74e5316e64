#!/usr/bin/env bash
# bench.sh - `make bench`: speed figures, printed, never judged.
#   1. the event kernel against a binary heap, in one process (bench/kernel_bench.c);
#   2. whole runs of the bundled queueing scenarios: simulated requests per wall second;
#   3. with PEERS=dir: the peers' heapbench (built from that folder) and their
#      workloads A and B on faultline and on the peer simulators (dir/run.sh);
#   4. the live gateway and nginx in front of the same stub, under wrk, then the
#      gateway's P99 with and without a slowloris of 1,000 connections
#      (bench/live_bench.sh; when wrk is installed, nginx's row when nginx is).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")

echo "== 1. event kernel vs binary heap (same process, same workload)"
"$BUILD/bench/kernel_bench" 2000000

echo
echo "== 2. whole runs (simulated requests per wall-clock second, one core)"
echo "(bench-gateway-mesh: through the Kong gateway, two sidecars and the service: 4 proxies)"
printf '%-20s %12s %10s %14s\n' scenario requests wall_s requests/s
for s in scenarios/mm1 scenarios/mmc scenarios/md1 scenarios/checkout bench/gateway-mesh; do
    out=$(mktemp -d)
    start=$(date +%s.%N)
    "$FL" run "$s.yaml" --quiet --out "$out" || true
    end=$(date +%s.%N)
    n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
    awk -v s="$(basename "$s")" -v n="$n" -v a="$start" -v b="$end" \
        'BEGIN { printf "%-20s %12d %10.2f %14.0f\n", s, n, b - a, n / (b - a) }'
    rm -rf "$out"
done

echo
echo "== 2b. the cost of time series: one million requests with series on and off (--no-series),"
echo "   the same runs back to back, best of 3 each; the bound is 15% (ratio <= 1.15)"
printf '%-20s %12s %10s %10s %8s\n' scenario requests on_s off_s ratio
series_cost() { # name scenario sets...
    local name=$1 file=$2
    shift 2
    local out best_on=999999 best_off=999999 n=0 t a b
    out=$(mktemp -d)
    for _ in 1 2 3; do
        for mode in on off; do
            a=$(date +%s.%N)
            if [ $mode = on ]; then
                "$FL" run "$file" --quiet --out "$out" "$@" || true
                n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
            else
                "$FL" run "$file" --quiet --out "$out" --no-series "$@" || true
            fi
            b=$(date +%s.%N)
            t=$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')
            if [ $mode = on ]; then
                best_on=$(awk -v x="$t" -v y="$best_on" 'BEGIN { print (x < y ? x : y) }')
            else
                best_off=$(awk -v x="$t" -v y="$best_off" 'BEGIN { print (x < y ? x : y) }')
            fi
        done
    done
    awk -v s="$name" -v n="$n" -v on="$best_on" -v off="$best_off" \
        'BEGIN { printf "%-20s %12d %10.2f %10.2f %7.3fx\n", s, n, on, off, on / off }'
    rm -rf "$out"
}
series_cost mm1-1M scenarios/mm1.yaml --set duration=1120s
series_cost gateway-mesh-1M bench/gateway-mesh.yaml --set duration=200s

if [ -n "${PEERS:-}" ]; then
    PEERS=$(realpath "$PEERS")
    echo
    echo "== 3a. the peers' heapbench (binary vs 4-ary heaps), built now from $PEERS/c"
    hb=$(mktemp -d)
    gcc -O2 -o "$hb/heapbench" "$PEERS/c/heapbench.c" -lm && "$hb/heapbench" 2000000 |
        grep -E 'rng_exp|kind=binary +op=pop\+push|kind=4-ary +op=pop\+push' |
        grep -E 'rng_exp|pending=1000 |pending=1000000 '
    rm -rf "$hb"
    echo
    echo "== 3b. workloads A (M/M/1) and B (fan-out) on faultline and the peer simulators"
    FAULTLINE="$FL" REPS=${REPS:-1} bash "$PEERS/run.sh" 2>/dev/null
fi

echo
echo "== 4. live: faultline gateway and nginx in front of the same stub, then the gateway"
echo "   under a slowloris of 1,000 connections (wrk, loopback)"
if command -v wrk >/dev/null; then
    BUILD=$BUILD bash bench/live_bench.sh
else
    echo "skipped: wrk is not installed (./setup.sh --bench installs wrk and nginx)"
fi
