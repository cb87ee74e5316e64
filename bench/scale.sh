#!/usr/bin/env bash
# scale.sh - how faultline scales with the size of the system it runs: a
# generated mesh of S services x R replicas (in pairs: each even-numbered
# service is called by a workload of its own and calls the next one once,
# so every request crosses two services), with and without
# sidecars, at a fixed number of requests. One process per row (so rows do
# not share a heap), each bounded in memory (ulimit -v) and time.
#
# Columns: set-up (wall time of the same scenario run for 1 ms: loading and
# building the world), run wall time, simulated events, ns per event of the
# run without its set-up, peak RSS.
#
#   FAULTLINE=build/faultline [SIZES="10 100 1000"] [REPLICAS="1 10 100"]
#       [REQUESTS=20000] [MEM_GB=8] [LIMIT_S=300] bash bench/scale.sh
set -u
FL=$(realpath "${FAULTLINE:?set FAULTLINE to the faultline binary}")
SIZES=${SIZES:-"10 100 1000"}
REPLICAS=${REPLICAS:-"1 10 100"}
REQUESTS=${REQUESTS:-20000}
MEM_GB=${MEM_GB:-8}
LIMIT_S=${LIMIT_S:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# gen S R MESH: the scenario on stdout. Workloads share REQUESTS over 10 s.
gen() {
    local s=$1 r=$2 mesh=$3
    local rate
    rate=$(awk -v n="$REQUESTS" -v s="$s" 'BEGIN { printf "%.6g", n / 10 / (s / 2) }')
    echo "faultline: 1"
    echo "name: scale-$s-$r-$mesh"
    echo "seed: 1"
    echo "duration: 10s"
    echo "report: {series: false, requests: none, spans: false, plots: false, slowest: 0}"
    echo "services:"
    for ((i = 0; i < s; i += 2)); do
        echo "  - {name: svc-$i, replicas: $r, workers: 8, service_time: 1ms,"
        echo "     calls: [{service: svc-$((i + 1)), path: /next}]}"
        echo "  - {name: svc-$((i + 1)), replicas: $r, workers: 8, service_time: 1ms}"
    done
    [ "$mesh" = sidecars ] && echo "mesh: {mode: sidecar}"
    echo "workload:"
    for ((i = 0; i < s; i += 2)); do
        echo "  - {name: w-$i, target: svc-$i, arrival: poisson, rate: $rate/s, requests: [{path: /r}]}"
    done
}

# measure FILE: "wall_s rss_kb" of one run, or "oom" / "timeout" / "failed"
measure() {
    local out
    out=$(mktemp -d "$tmp/run.XXXXXX")
    (ulimit -v $((MEM_GB * 1024 * 1024)) && exec timeout "$LIMIT_S" /usr/bin/time -f "%e %M" \
        -o "$out/time" "$FL" run "$1" --quiet --no-db --out "$out/o" "${@:2}") >/dev/null 2>"$out/err"
    local rc=$?
    if [ $rc = 124 ]; then
        echo timeout
    elif [ $rc != 0 ] && [ $rc != 1 ]; then
        if grep -qi "memory\|alloc" "$out/err"; then echo oom; else echo failed; fi
    else
        local ev
        ev=$(sed -n 's/.*"events": \([0-9]*\).*/\1/p' "$out/o/summary.json" | head -1)
        echo "$(cat "$out/time") ${ev:-0}"
    fi
    rm -rf "$out"
}

printf '%-9s %8s %9s %9s %9s %11s %9s %10s\n' mesh services replicas setup_s wall_s events \
    ns/event peak_MB
for mesh in none sidecars; do
    for s in $SIZES; do
        for r in $REPLICAS; do
            f="$tmp/scale-$s-$r-$mesh.yaml"
            gen "$s" "$r" "$mesh" >"$f"
            read -r setup _ <<<"$(measure "$f" --set duration=1ms)"
            read -r wall rss events <<<"$(measure "$f")"
            case $wall in
            oom | timeout | failed)
                printf '%-9s %8d %9d %9s %9s %11s %9s %10s\n' "$mesh" "$s" "$r" "${setup:-?}" \
                    "$wall" - - "(>${MEM_GB}GB?)"
                continue
                ;;
            esac
            awk -v m="$mesh" -v s="$s" -v r="$r" -v su="$setup" -v w="$wall" -v rss="$rss" \
                -v ev="$events" 'BEGIN {
                    run = w - (su ~ /^[0-9.]+$/ ? su : 0); if (run < 0) run = 0
                    nspe = ev > 0 ? run * 1e9 / ev : 0
                    printf "%-9s %8d %9d %9s %9.2f %11d %9.0f %10.0f\n", m, s, r, su, w, ev, nspe,
                        rss / 1024 }'
        done
    done
done
