#!/usr/bin/env bash
# bench.sh - `make bench`: speed figures, printed, never judged.
#   1. the event kernel against a binary heap, in one process (bench/kernel_bench.c);
#   2. whole runs of the bundled queueing scenarios: simulated requests per wall second;
#      2b. the cost of chaos: bench/chaos.yaml with and without its faults;
#      2d. the cost of run.db: bench/db.yaml (a million requests) with and without it;
#      2e. the cost of every output a run writes (db, spans, plots, page) on top of the
#          simulation alone (the other rows of section 2 time the simulation alone);
#   3. with PEERS=dir: the peers' heapbench (built from that folder) and their
#      workloads A and B on faultline and on the peer simulators, each process
#      timed alone, in interleaved pairs (bench/peers.sh);
#   5. scaling: services 10/100/1000 x replicas 1/10/100, without and with sidecars
#      (bench/scale.sh), and the kernel's memory over 1000 simulated s (kernel_rss);
#      5b. a whole world's peak RSS after 10, 100 and 1000 simulated s with 10^5
#      requests in flight (bench/inflight.yaml);
#   4. the live gateway and nginx in front of the same stub, under wrk, then the
#      gateway's P99 with and without a slowloris of 1,000 connections
#      (bench/live_bench.sh; when wrk is installed, nginx's row when nginx is);
#   7. TLS: the gateway's --tls-listen and nginx's ssl listener with the same certificate,
#      handshakes/s and keep-alive requests/s, interleaved (bench/tls_bench.sh).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")
# The simulation alone: none of the outputs a run writes besides the summaries (their cost
# is section 2e's; each other section compares like with like)
SIM_ONLY=(--no-db --no-plots --set report.spans=false --set report.slowest=0
    --set report.requests=none)

echo "== 1. event kernel vs binary heap (same process, same workload)"
"$BUILD/bench/kernel_bench" 2000000

echo
echo "== 1b. the kernel's memory over simulated time (bench/kernel_rss.c)"
"$BUILD/bench/kernel_rss" 100000

echo
echo "== 2. whole runs (simulated requests per wall-clock second, one core)"
echo "(bench-gateway-mesh: through the Kong gateway, two sidecars and the service: 4 proxies)"
printf '%-20s %12s %10s %14s\n' scenario requests wall_s requests/s
for s in scenarios/mm1 scenarios/mmc scenarios/md1 scenarios/checkout bench/gateway-mesh; do
    out=$(mktemp -d)
    start=$(date +%s.%N)
    "$FL" run "$s.yaml" --quiet --out "$out" "${SIM_ONLY[@]}" || true
    end=$(date +%s.%N)
    n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
    awk -v s="$(basename "$s")" -v n="$n" -v a="$start" -v b="$end" \
        'BEGIN { printf "%-20s %12d %10.2f %14.0f\n", s, n, b - a, n / (b - a) }'
    rm -rf "$out"
done

echo
echo "== 2b. the cost of chaos: bench/chaos.yaml (the four-proxy path with a fault every few"
echo "   seconds and the chaos monkey) against the same scenario with no faults, same run"
printf '%-22s %12s %10s %14s\n' variant requests wall_s requests/s
nofaults=$(mktemp)
sed -e '/^faults:/,$d' bench/chaos.yaml >"$nofaults"
for v in faults none; do
    f=bench/chaos.yaml
    [ $v = none ] && f=$nofaults
    out=$(mktemp -d)
    start=$(date +%s.%N)
    "$FL" run "$f" --quiet --out "$out" "${SIM_ONLY[@]}" || true
    end=$(date +%s.%N)
    n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
    awk -v s="chaos ($v)" -v n="$n" -v a="$start" -v b="$end" \
        'BEGIN { printf "%-22s %12d %10.2f %14.0f\n", s, n, b - a, n / (b - a) }'
    rm -rf "$out"
done
rm -f "$nofaults"

echo
echo "== 2b2. the simulated cost of mutual TLS on the mesh path: scenarios/gateway-mesh.yaml (Kong,"
echo "   its sidecar, the service's sidecar) plaintext and with Istio's auto mTLS (proxy.tls.mesh,"
echo "   RSA 2048 workload certificates), with kept-alive connections and with one request per"
echo "   connection (a DestinationRule's maxRequestsPerConnection: 1), without session resumption"
echo "   too; 250 us one-way delay between nodes; same seed"
printf '%-32s %10s %10s %10s %12s %10s\n' variant p50_ms p99_ms mean_ms handshakes wall_s
one_per_conn='mesh.resources=[{apiVersion: networking.istio.io/v1, kind: DestinationRule,'
one_per_conn+=' metadata: {name: orders}, spec: {host: orders,'
one_per_conn+=' trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 1}}}}}]'
for conn in kept-alive one-per-conn; do
    for tls in plaintext mtls mtls-no-resumption; do
        [ $conn = kept-alive ] && [ $tls = mtls-no-resumption ] && continue
        args=(--set duration=20s --set network.delay=250us)
        [ $tls = mtls ] && args+=(--set proxy.tls.mesh=true)
        [ $tls = mtls-no-resumption ] && args+=(--set 'proxy.tls={mesh: true, resumption: false}')
        [ $conn = one-per-conn ] && args+=(--set "$one_per_conn")
        out=$(mktemp -d)
        start=$(date +%s.%N)
        "$FL" run scenarios/gateway-mesh.yaml --quiet --out "$out" "${SIM_ONLY[@]}" "${args[@]}" || true
        end=$(date +%s.%N)
        python3 - "$out/summary.json" "$conn $tls" "$start" "$end" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["routes"][0]
t = d.get("tls_handshakes", {})
hs = t.get("full", 0) + t.get("resumed", 0)
print("%-32s %10.3f %10.3f %10.3f %12d %10.2f" % (sys.argv[2], r["p50_ms"], r["p99_ms"], r["mean_ms"],
      hs, float(sys.argv[4]) - float(sys.argv[3])))
PY
        rm -rf "$out"
    done
done

echo
echo "== 2c. the cost of time series: one million requests with series on and off (--no-series),"
echo "   back to back, best of 5 each, in CPU seconds (user + system: the files' fsync and a"
echo "   shared machine's waits are not the series' cost); the bound is 15% (ratio <= 1.15)"
printf '%-20s %12s %10s %10s %8s\n' scenario requests on_cpu_s off_cpu_s ratio
cpu_of() { # command...: prints the command's user + system CPU seconds
    local TIMEFORMAT='%3U %3S' t
    t=$({ time "$@" >/dev/null 2>&1; } 2>&1)
    awk -v t="$t" 'BEGIN { split(t, a, " "); print a[1] + a[2] }'
}
series_cost() { # name scenario sets...
    local name=$1 file=$2
    shift 2
    local out on=999999 off=999999 n t
    out=$(mktemp -d)
    for _ in 1 2 3 4 5; do
        t=$(cpu_of "$FL" run "$file" --quiet --out "$out" "${SIM_ONLY[@]}" "$@")
        on=$(awk -v x="$t" -v y="$on" 'BEGIN { print (x < y ? x : y) }')
        n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
        t=$(cpu_of "$FL" run "$file" --quiet --out "$out" --no-series "${SIM_ONLY[@]}" "$@")
        off=$(awk -v x="$t" -v y="$off" 'BEGIN { print (x < y ? x : y) }')
    done
    awk -v s="$name" -v n="$n" -v on="$on" -v off="$off" \
        'BEGIN { printf "%-20s %12d %10.2f %10.2f %7.3fx\n", s, n, on, off, on / off }'
    rm -rf "$out"
}
series_cost mm1-1M scenarios/mm1.yaml --set duration=1120s --set report.window=1s
series_cost gateway-mesh-1M bench/gateway-mesh.yaml --set duration=200s

echo
echo "== 2d. the cost of run.db: bench/db.yaml (one million requests, gateway and service, every"
echo "   request a row), with the database and with --no-db, 3 paired runs, median wall time;"
echo "   the bound is 30%"
DB_ONLY=(--no-plots --set report.spans=false --set report.slowest=0) # the db is the difference
db_cost() { # prints the median of 3 paired runs' wall seconds, with and without run.db
    local out on=() off=() a b i
    out=$(mktemp -d)
    for i in 1 2 3; do
        a=$(date +%s.%N); "$FL" run bench/db.yaml --quiet --out "$out" "${DB_ONLY[@]}"; b=$(date +%s.%N)
        on+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')")
        a=$(date +%s.%N); "$FL" run bench/db.yaml --quiet --no-db --out "$out" "${DB_ONLY[@]}"; b=$(date +%s.%N)
        off+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')")
    done
    n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
    rows=$(sqlite3 "$out/run.db" "SELECT count(*) FROM request_rows" 2>/dev/null || echo "?")
    rm -rf "$out"
    printf '%s\n' "${on[@]}" | sort -g | sed -n 2p >"$out.on"
    printf '%s\n' "${off[@]}" | sort -g | sed -n 2p >"$out.off"
    awk -v n="$n" -v rows="$rows" -v on="$(cat "$out.on")" -v off="$(cat "$out.off")" \
        'BEGIN { printf "%-12s %10s %10s %10s %10s %9s\n", "scenario", "requests", "rows", \
                 "db_s", "no_db_s", "overhead";
                 printf "%-12s %10d %10s %10.2f %10.2f %8.1f%%\n", "bench-db", n, rows, on, off,
                 100 * (on - off) / off;
                 if (on - off > 0.3 * off)
                     print "over 30%: `report: {requests: 10%}` lists one request in ten" }'
    rm -f "$out.on" "$out.off"
}
db_cost

echo
echo "== 2e. the cost of a run's outputs: the same runs with everything a run writes by default"
echo "   (run.db, spans, the slowest traces, plots and page) and with the summaries only,"
echo "   CPU seconds, best of 3 each"
printf '%-20s %12s %10s %10s %8s\n' scenario requests all_cpu_s sim_cpu_s ratio
outputs_cost() { # name scenario sets...
    local name=$1 file=$2
    shift 2
    local out all=999999 sim=999999 n t
    out=$(mktemp -d)
    for _ in 1 2 3; do
        t=$(cpu_of "$FL" run "$file" --quiet --out "$out" "$@")
        all=$(awk -v x="$t" -v y="$all" 'BEGIN { print (x < y ? x : y) }')
        n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
        t=$(cpu_of "$FL" run "$file" --quiet --out "$out" "${SIM_ONLY[@]}" "$@")
        sim=$(awk -v x="$t" -v y="$sim" 'BEGIN { print (x < y ? x : y) }')
    done
    rm -rf "$out"
    awk -v s="$name" -v n="$n" -v on="$all" -v off="$sim" \
        'BEGIN { printf "%-20s %12d %10.2f %10.2f %7.2fx\n", s, n, on, off, on / off }'
}
outputs_cost mm1-1M scenarios/mm1.yaml --set duration=1120s
outputs_cost gateway-mesh-300k bench/gateway-mesh.yaml

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
    echo "== 3b. workloads A (M/M/1) and B (fan-out): faultline and the peers, paired runs"
    FAULTLINE="$FL" PAIRS=${PAIRS:-3} PEERS="$PEERS" bash bench/peers.sh
fi

echo
echo "== 6. experiments: a sweep of scenarios/sweep-retries.yaml, 8 points x 4 seeds, on -j 1 and"
echo "   -j 2 worker processes (wall time, median of 3 paired runs), then the same sweep planned,"
echo "   run job by job and merged (what a plan adds per job: planning, one process per job, merge)"
sweep_args=(scenarios/sweep-retries.yaml
    --vary mesh.VirtualService/search.spec.http.0.retries.attempts=0..3/1
    --vary mesh.VirtualService/search.spec.http.0.retries.perTryTimeout=25ms,100ms --seeds 4)
wall_of() { # command...: prints the command's wall seconds
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}
sw=$(mktemp -d)
j1s=() j2s=()
for _ in 1 2 3; do
    j1s+=("$(wall_of "$FL" sweep "${sweep_args[@]}" -j 1 --out "$sw/j1" --quiet)")
    j2s+=("$(wall_of "$FL" sweep "${sweep_args[@]}" -j 2 --out "$sw/j2" --quiet)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
j1=$(median "${j1s[@]}")
j2=$(median "${j2s[@]}")
same=$(cmp -s "$sw/j1/sweep.json" "$sw/j2/sweep.json" && echo yes || echo NO)
awk -v a="$j1" -v b="$j2" -v n="$(nproc)" -v same="$same" 'BEGIN {
    printf "-j 1 %.2fs   -j 2 %.2fs   speed-up %.2fx (%d cores here)   sweep.json identical: %s\n",
        a, b, a / b, n, same }'
t_plan=$(wall_of "$FL" sweep "${sweep_args[@]}" --plan "$sw/plan" --quiet)
jobs=$(wc -l <"$sw/plan/jobs.txt")
t_jobs=$(wall_of env FAULTLINE="$FL" sh "$sw/plan/jobs.txt")
t_merge=$(wall_of "$FL" merge "$sw/plan" --out "$sw/m" --quiet)
same=$(cmp -s "$sw/j1/sweep.json" "$sw/m/sweep.json" && echo yes || echo NO)
awk -v p="$t_plan" -v j="$t_jobs" -v m="$t_merge" -v n="$jobs" -v a="$j1" -v same="$same" 'BEGIN {
    printf "plan %.3fs, %d jobs one process each %.2fs (in-process sweep -j 1: %.2fs), merge %.3fs\n",
        p, n, j, a, m
    printf "overhead per job: %.1f ms (planning + a process + merging, over the in-process run);",
        1000 * (p + j + m - a) / n
    printf " merged sweep.json identical: %s\n", same }'
rm -rf "$sw"

echo
echo "== 5. scaling: S services x R replicas in pairs, without and with sidecars, ${SCALE_REQUESTS:-100000} requests"
echo "   (bench/scale.sh: one process per row, at most 8 GB and 300 s each)"
FAULTLINE="$FL" REQUESTS=${SCALE_REQUESTS:-100000} bash bench/scale.sh

echo
echo "== 5b. a whole world's memory over simulated time: bench/inflight.yaml, 10^5 requests in"
echo "   flight (10,000/s, 10 s each); peak RSS of one run per duration"
printf '%-10s %12s %10s %10s\n' simulated requests wall_s peak_MB
for d in 10 100 1000; do
    out=$(mktemp -d)
    /usr/bin/time -f "%e %M" -o "$out/time" "$FL" run bench/inflight.yaml --quiet --no-db \
        --out "$out/o" --set duration=${d}s || true
    n=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$out/o/summary.json" | head -1)
    read -r wall rss <"$out/time"
    awk -v d="$d" -v n="$n" -v w="$wall" -v r="$rss" \
        'BEGIN { printf "%-10s %12d %10.2f %10.1f\n", d "s", n, w, r / 1024 }'
    rm -rf "$out"
done

echo
echo "== 4. live: faultline gateway and nginx in front of the same stub, then the gateway"
echo "   under a slowloris of 1,000 connections (wrk, loopback)"
if command -v wrk >/dev/null; then
    BUILD=$BUILD bash bench/live_bench.sh
else
    echo "skipped: wrk is not installed (./setup.sh --bench installs wrk and nginx)"
fi

echo
echo "== 7. TLS: faultline gateway --tls-listen and nginx (ssl) with the same certificate, in front"
echo "   of the same stub: handshakes per second and keep-alive requests per second, interleaved"
BUILD=$BUILD bash bench/tls_bench.sh
