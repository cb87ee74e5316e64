#!/usr/bin/env bash
# live_bench.sh - the live gateway under load, next to nginx, on loopback:
# wrk against (1) a faultline stub directly, (2) `faultline gateway` in
# front of that stub, (3) nginx (worker_processes 1, HTTP/1.1 keepalive
# upstream) in front of the same stub, in that order, in one run, with
# the same wrk settings. Then (4) a gateway of its own (its default limits,
# `ulimit -n` raised to 4096 when allowed, so that they hold 1,000
# connections) measured by wrk alone, then again under a slowloris of
# 1,000 connections from another loopback address (127.0.0.2; each sends a
# byte a second, and is reopened when the gateway closes it): the two P99s
# and their ratio (the goal: within 3x). Prints requests/s and latency
# percentiles side by side: figures only, never a verdict. Everything
# listens on 127.0.0.1 and is stopped on exit. nginx's row is skipped when
# nginx is not installed.
# Usage: BUILD=build bash bench/live_bench.sh   (called by bench/bench.sh)
#   LIVE_BENCH_DURATION (default 5s), LIVE_BENCH_CONNECTIONS (default 50),
#   LIVE_BENCH_THREADS (default 2), LIVE_BENCH_SLOWLORIS (default 1000)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")
DURATION=${LIVE_BENCH_DURATION:-5s}
CONNS=${LIVE_BENCH_CONNECTIONS:-50}
THREADS=${LIVE_BENCH_THREADS:-2}
LORIS=${LIVE_BENCH_SLOWLORIS:-1000}
if ! command -v wrk >/dev/null; then
    echo "skipped: wrk is not installed (./setup.sh --bench installs wrk and nginx)"
    exit 0
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.2
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/daemons.sh"

# measure LABEL URL: a short warm-up, then the measured run; prints one row
# (wrk's output stays in $tmp/wrk.out).
measure() {
    wrk -t"$THREADS" -c"$CONNS" -d1s "$2" >/dev/null 2>&1
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" >"$tmp/wrk.out" 2>&1
    awk -v label="$1" '
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
        /Non-2xx/ { errors += $NF } /Socket errors/ { socket = $0 }
        END {
            printf "%-28s %12.0f %10s %10s %10s %8d\n", label, rps, p50, p90, p99, errors
            if (socket != "") print "  " socket
        }' "$tmp/wrk.out"
}

# wrk's P99 in $1 (its output), in microseconds.
p99_us() {
    awk '/^ +99%/ {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        print v * (u == "s" ? 1e6 : u == "ms" ? 1e3 : 1); exit }' "$1"
}

start stub stub --workers 1 --listen 127.0.0.1:0 --name bench --seed 1
stub=$port
cat >"$tmp/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: bench
    url: http://127.0.0.1:$stub
    routes:
      - {name: all, paths: [/]}
YAML
start gw gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1
gw=$port
start gwn gateway --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1
gwn=$port

if command -v nginx >/dev/null; then
ngx=$(free_port)
nginx_start "$ngx" "http://127.0.0.1:$ngx/" ";"
fi

echo "wrk -t$THREADS -c$CONNS -d$DURATION on 127.0.0.1, $(nproc) CPUs; every server single-threaded"
echo "but the gateway's last row (its default: one worker process per core, SO_REUSEPORT);"
echo "the stub answers at once with a ~70-byte JSON body"
printf '%-28s %12s %10s %10s %10s %8s\n' target requests/s p50 p90 p99 non-2xx
measure "stub directly" "http://127.0.0.1:$stub/bench"
measure "faultline gateway -> stub" "http://127.0.0.1:$gw/bench"
measure "gateway, $(nproc) workers -> stub" "http://127.0.0.1:$gwn/bench"
if [ -n "${ngx:-}" ]; then
    measure "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') -> stub" "http://127.0.0.1:$ngx/bench"
else
    echo "nginx: skipped (not installed; ./setup.sh --bench installs it)"
fi

# ---- (4) a gateway under slowloris: the same wrk client, unloaded then loaded, in this run
echo
hostile=$tmp/hostile
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -o "$hostile" tests/live/attack/hostile.c; then
    echo "slowloris: skipped (cannot build tests/live/attack/hostile.c)"
    exit 0
fi
fds=4096
(ulimit -n $fds) 2>/dev/null || fds=$(ulimit -n)
(ulimit -n "$fds" 2>/dev/null; exec "$FL" gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 \
    --seed 1 --verbose) 2>"$tmp/gl.err" &
gl_pid=$!
pids+=("$gl_pid")
gl=
for _ in $(seq 100); do
    gl=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/gl.err" 2>/dev/null)
    [ -n "$gl" ] && break
    sleep 0.05
done
[ -n "$gl" ] || { echo "the slowloris gateway did not start: $(cat "$tmp/gl.err")" >&2; exit 1; }
echo "slowloris: $LORIS connections from 127.0.0.2, a byte a second each, reopened when closed;"
echo "the gateway's $(grep -o '[0-9]* connections ([0-9]* per address)' "$tmp/gl.err") (ulimit -n $fds, default limits)"
printf '%-28s %12s %10s %10s %10s %8s\n' target requests/s p50 p90 p99 non-2xx
measure "gateway, unloaded" "http://127.0.0.1:$gl/bench"
cp "$tmp/wrk.out" "$tmp/unloaded.out"
loris_s=$(( ${DURATION%s} + 4 ))
"$hostile" slowloris 127.0.0.1 "$gl" "$LORIS" --src 127.0.0.2 --every 1000 --for "$loris_s" \
    --reconnect >"$tmp/loris.out" &
loris_pid=$!
pids+=("$loris_pid")
sleep 1.5
held=$(ls "/proc/$gl_pid/fd" 2>/dev/null | wc -l)
measure "gateway, under slowloris" "http://127.0.0.1:$gl/bench"
cp "$tmp/wrk.out" "$tmp/loaded.out"
wait "$loris_pid" 2>/dev/null
a=$(p99_us "$tmp/unloaded.out") b=$(p99_us "$tmp/loaded.out")
echo "  descriptors open in the gateway under slowloris: $held; the attacker: $(tail -1 "$tmp/loris.out"), $(awk '$1 == "ended" && $3 == 408' "$tmp/loris.out" | wc -l) answered 408"
awk -v a="$a" -v b="$b" 'BEGIN {
    printf "P99 unloaded %.0fus, under slowloris %.0fus: %.2fx (goal: within 3x)\n", a, b, (a > 0 ? b / a : 0) }'
