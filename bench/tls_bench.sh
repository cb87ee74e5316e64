#!/usr/bin/env bash
# tls_bench.sh - TLS at the live gateway next to nginx, on loopback, in one
# run: `faultline gateway --workers 1 --tls-listen` and nginx
# (worker_processes 1, `listen ... ssl`, the same RSA-2048 certificate and
# key, TLS 1.2 and 1.3, HTTP/1.1 keepalive upstream) in front of the same
# `faultline stub`. Rounds alternate between the two servers (gateway,
# nginx, gateway, nginx...), ROUNDS of each, and the table shows each
# server's mean over its rounds:
#   - handshakes/s, one client: `openssl s_time -new` (a full handshake per
#     connection, one after the other; TLS 1.3, then TLS 1.2), so the client's
#     own CPU is part of the figure, the same for both servers;
#   - new connections/s under load: wrk with "Connection: close" (each
#     request on a new TLS connection, CONNS at once): handshake-bound;
#   - keep-alive requests/s: wrk, CONNS connections kept open.
# Figures only, never a verdict. Everything listens on 127.0.0.1 and is
# stopped on exit. Skipped without openssl or wrk; nginx's rows without nginx.
# Usage: BUILD=build bash bench/tls_bench.sh   (called by bench/bench.sh)
#   TLS_BENCH_SECONDS (default 3), TLS_BENCH_ROUNDS (default 2),
#   TLS_BENCH_CONNECTIONS (default 50), TLS_BENCH_THREADS (default 2)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")
SECS=${TLS_BENCH_SECONDS:-3}
ROUNDS=${TLS_BENCH_ROUNDS:-2}
CONNS=${TLS_BENCH_CONNECTIONS:-50}
THREADS=${TLS_BENCH_THREADS:-2}
for tool in openssl wrk; do
    if ! command -v $tool >/dev/null; then
        echo "skipped: $tool is not installed (./setup.sh --bench installs wrk and nginx)"
        exit 0
    fi
done
. "$(dirname "$0")/daemons.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench.test \
    -keyout "$tmp/bench.key" -out "$tmp/bench.crt" 2>/dev/null

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
start_on gw "listening for TLS on" gateway --workers 1 --config "$tmp/kong.yaml" --seed 1 \
    --tls-listen 127.0.0.1:0 --tls-cert "$tmp/bench.crt" --tls-key "$tmp/bench.key" \
    --listen 127.0.0.1:0
gw=$port
servers=(gw)
declare -A addr=([gw]="127.0.0.1:$gw")
declare -A label=([gw]="faultline gateway (TLS)")

if command -v nginx >/dev/null; then
    ngx=$(free_port)
    nginx_start "$ngx" "https://127.0.0.1:$ngx/" "ssl;
        ssl_certificate $tmp/bench.crt;
        ssl_certificate_key $tmp/bench.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_session_tickets on;"
    servers+=(ngx)
    addr[ngx]="127.0.0.1:$ngx"
    label[ngx]="nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (TLS)"
fi

# One measurement of KIND on server S: prints a number per second.
measure() {
    local kind=$1 s=$2 a=${addr[$2]}
    case $kind in
        hs13 | hs12)
            local v=-tls1_3
            [ "$kind" = hs12 ] && v=-tls1_2
            openssl s_time -connect "$a" -new $v -time "$SECS" 2>/dev/null |
                awk '/connections in [0-9.]+ real seconds/ { printf "%.0f\n", $1 / $4; exit }'
            ;;
        new)
            wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" -H "Connection: close" "https://$a/bench" 2>/dev/null |
                awk '/Requests\/sec:/ { printf "%.0f\n", $2 }'
            ;;
        ka)
            wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" "https://$a/bench" 2>/dev/null |
                awk '/Requests\/sec:/ { printf "%.0f\n", $2 }'
            ;;
    esac
}

kinds=(hs13 hs12 new ka)
declare -A what=([hs13]="handshakes/s, TLS 1.3, one s_time client"
    [hs12]="handshakes/s, TLS 1.2, one s_time client"
    [new]="new connections/s, wrk -c$CONNS, Connection: close"
    [ka]="keep-alive requests/s, wrk -c$CONNS")
declare -A sum
for s in "${servers[@]}"; do
    wrk -t1 -c4 -d1s "https://${addr[$s]}/bench" >/dev/null 2>&1 # warm-up
    for k in "${kinds[@]}"; do sum[$k.$s]=0; done
done
for _ in $(seq "$ROUNDS"); do
    for k in "${kinds[@]}"; do
        for s in "${servers[@]}"; do # interleaved: each kind on each server in turn
            v=$(measure "$k" "$s")
            sum[$k.$s]=$((${sum[$k.$s]} + ${v:-0}))
        done
    done
done

echo "127.0.0.1, $(nproc) CPUs, both servers single-threaded, the same RSA-2048 certificate;"
echo "$ROUNDS interleaved rounds of ${SECS}s per figure (the mean shown); the stub answers at once"
printf '%-48s' "figure"
for s in "${servers[@]}"; do printf ' %26s' "${label[$s]}"; done
echo
for k in "${kinds[@]}"; do
    printf '%-48s' "${what[$k]}"
    for s in "${servers[@]}"; do printf ' %26d' $((${sum[$k.$s]} / ROUNDS)); done
    echo
done
[ -n "${ngx:-}" ] || echo "nginx: skipped (not installed; ./setup.sh --bench installs it)"
