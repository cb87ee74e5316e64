#!/usr/bin/env bash
# live_bench.sh - the live gateway under load, next to nginx, on loopback:
# wrk against (1) a faultline stub directly, then, at each worker count (1,
# and the number of cores when above 1), (2) `faultline gateway --workers W`
# in front of that stub and (3) nginx (worker_processes W, HTTP/1.1
# keepalive upstream) in front of the same stub, with the same wrk
# settings, interleaved (gateway, nginx, gateway, nginx ... ROUNDS times)
# so that a machine that slows down mid-way slows both alike: the medians
# of the rounds and their ratio. With at least W + 2 cores, wrk, the stub
# and the server each get cores of their own (taskset); otherwise nothing
# is pinned and the output says so. Then (4) a gateway of its own (its
# default limits, `ulimit -n` raised to 4096 when allowed, so that they hold
# 1,000 connections) measured by wrk alone, then again under a slowloris of
# 1,000 connections from another loopback address (127.0.0.2; each sends a
# byte a second, and is reopened when the gateway closes it): the two P99s
# and their ratio (the goal: within 3x). Prints requests/s and latency
# percentiles side by side: figures only, never a verdict. Everything
# listens on 127.0.0.1 and is stopped on exit. nginx's rows are skipped when
# nginx is not installed.
# Usage: BUILD=build bash bench/live_bench.sh   (called by bench/bench.sh)
#   LIVE_BENCH_DURATION (default 5s), LIVE_BENCH_CONNECTIONS (default 50),
#   LIVE_BENCH_THREADS (default 2), LIVE_BENCH_ROUNDS (default 3),
#   LIVE_BENCH_SLOWLORIS (default 1000)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")
DURATION=${LIVE_BENCH_DURATION:-5s}
CONNS=${LIVE_BENCH_CONNECTIONS:-50}
THREADS=${LIVE_BENCH_THREADS:-2}
ROUNDS=${LIVE_BENCH_ROUNDS:-3}
LORIS=${LIVE_BENCH_SLOWLORIS:-1000}
if ! command -v wrk >/dev/null; then
    echo "skipped: wrk is not installed (./setup.sh --bench installs wrk and nginx)"
    exit 0
fi
. "$(dirname "$0")/daemons.sh"

# measure LABEL URL: a short warm-up, then the measured run; prints one row
# (wrk's output stays in $tmp/wrk.out). WRK_PIN (a taskset prefix) pins wrk.
measure() {
    ${WRK_PIN:-} wrk -t"$THREADS" -c"$CONNS" -d1s "$2" >/dev/null 2>&1
    ${WRK_PIN:-} wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" >"$tmp/wrk.out" 2>&1
    awk -v label="$1" '
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
        /Non-2xx/ { errors += $NF } /Socket errors/ { socket = $0 }
        END {
            printf "%-32s %12.0f %10s %10s %10s %8d\n", label, rps, p50, p90, p99, errors
            if (socket != "") print "  " socket
        }' "$tmp/wrk.out"
}

# round NAME URL: one measured wrk run (after a short warm-up); appends
# "requests/s p50_us p90_us p99_us non-2xx" to $tmp/NAME.rounds.
round() {
    ${WRK_PIN:-} wrk -t"$THREADS" -c"$CONNS" -d1s "$2" >/dev/null 2>&1
    ${WRK_PIN:-} wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" >"$tmp/wrk.out" 2>&1
    awk 'function us(v,  u) { u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                              return v * (u == "s" ? 1e6 : u == "ms" ? 1e3 : 1) }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = us($2) } /^ +90%/ { p90 = us($2) } /^ +99%/ { p99 = us($2) }
        /Non-2xx/ { errors += $NF }
        END { printf "%.0f %.0f %.0f %.0f %d\n", rps, p50, p90, p99, errors }' "$tmp/wrk.out" \
        >>"$tmp/$1.rounds"
}

# median_col FILE N: the median of column N of FILE.
median_col() {
    cut -d' ' -f"$2" "$1" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# summary LABEL NAME: one row of the medians of $tmp/NAME.rounds.
summary() {
    local f=$tmp/$2.rounds
    awk -v label="$1" -v rps="$(median_col "$f" 1)" -v p50="$(median_col "$f" 2)" \
        -v p90="$(median_col "$f" 3)" -v p99="$(median_col "$f" 4)" \
        -v err="$(awk '{ s += $5 } END { print s + 0 }' "$f")" 'BEGIN {
        printf "%-32s %12.0f %9.2fms %9.2fms %9.2fms %8d\n", label, rps, p50 / 1e3, p90 / 1e3,
            p99 / 1e3, err }'
}

# wrk's P99 in $1 (its output), in microseconds.
p99_us() {
    awk '/^ +99%/ {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        print v * (u == "s" ? 1e6 : u == "ms" ? 1e3 : 1); exit }' "$1"
}

cores=$(nproc)
counts=1
[ "$cores" -gt 1 ] && counts="1 $cores"
# Pinning: wrk on CPU 0, the stub on CPU 1, the server under test on the next W CPUs,
# when the machine has that many; else nothing is pinned (and the output says so).
pin_cpus() { [ "$cores" -ge $(($1 + 2)) ] && echo "2-$(($1 + 1))"; }
STUB_PIN=
WRK_PIN=
if [ "$cores" -ge 3 ]; then
    STUB_PIN="taskset -c 1"
    WRK_PIN="taskset -c 0"
fi

if [ -n "$STUB_PIN" ]; then
    start_on stub "listening on" stub --workers 1 --listen 127.0.0.1:0 --name bench --seed 1
    taskset -pc 1 "${pids[-1]}" >/dev/null
else
    start stub stub --workers 1 --listen 127.0.0.1:0 --name bench --seed 1
fi
stub=$port
cat >"$tmp/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: bench
    url: http://127.0.0.1:$stub
    routes:
      - {name: all, paths: [/]}
YAML

echo "wrk -t$THREADS -c$CONNS -d$DURATION on 127.0.0.1, $cores CPUs; the stub answers at once with a"
echo "~70-byte JSON body; at each worker count W the gateway and nginx run W worker processes"
echo "(the gateway: SO_REUSEPORT; nginx: worker_processes W), measured in $ROUNDS interleaved rounds"
echo "(gateway, nginx, gateway, nginx...): medians of the rounds"
printf '%-32s %12s %10s %10s %10s %8s\n' target requests/s p50 p90 p99 non-2xx
measure "stub directly" "http://127.0.0.1:$stub/bench"
have_nginx=0
command -v nginx >/dev/null && have_nginx=1
for w in $counts; do
    cpus=$(pin_cpus "$w")
    if [ -n "$cpus" ] && [ -n "$WRK_PIN" ]; then
        echo "-- $w worker(s): pinned apart: wrk on CPU 0, the stub on CPU 1, the server on CPUs $cpus"
    else
        echo "-- $w worker(s): not pinned ($cores CPUs: wrk, the stub and the server share them)"
    fi
    start gw$w gateway --workers "$w" --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1
    gw=$port
    [ -n "$cpus" ] && for p in $(pgrep -f "gateway --workers $w --config $tmp/kong.yaml"); do
        taskset -pc "$cpus" "$p" >/dev/null
    done
    if [ $have_nginx = 1 ]; then
        ngx=$(free_port)
        nginx_start "$ngx" "http://127.0.0.1:$ngx/" ";" "$w"
        [ -n "$cpus" ] && for p in $(pgrep -f "nginx -p $tmp/nginx-$ngx") $(pgrep -P "$(pgrep -f "nginx -p $tmp/nginx-$ngx" | head -1)"); do
            taskset -pc "$cpus" "$p" >/dev/null
        done
    fi
    rm -f "$tmp"/gw.rounds "$tmp"/ngx.rounds
    for ((i = 1; i <= ROUNDS; i++)); do
        round gw "http://127.0.0.1:$gw/bench"
        [ $have_nginx = 1 ] && round ngx "http://127.0.0.1:$ngx/bench"
    done
    summary "faultline gateway, $w worker(s)" gw
    if [ $have_nginx = 1 ]; then
        summary "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $w worker(s)" ngx
        awk -v g="$(median_col "$tmp/gw.rounds" 1)" -v n="$(median_col "$tmp/ngx.rounds" 1)" \
            -v gp="$(median_col "$tmp/gw.rounds" 4)" -v np="$(median_col "$tmp/ngx.rounds" 4)" \
            -v w="$w" 'BEGIN { printf "   %s worker(s): gateway / nginx requests/s %.2fx; P99 %.2fms vs %.2fms\n",
                w, (n > 0 ? g / n : 0), gp / 1e3, np / 1e3 }'
    else
        echo "   nginx: skipped (not installed; ./setup.sh --bench installs it)"
    fi
done

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
printf '%-32s %12s %10s %10s %10s %8s\n' target requests/s p50 p90 p99 non-2xx
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
