#!/usr/bin/env bash
# live_bench.sh - the live gateway under load, next to nginx, on loopback:
# wrk against (1) a faultline stub directly, (2) `faultline gateway` in
# front of that stub, (3) nginx (worker_processes 1, HTTP/1.1 keepalive
# upstream) in front of the same stub, in that order, in one run, with
# the same wrk settings. Prints requests/s and latency percentiles side by
# side: figures only, never a verdict. Everything listens on 127.0.0.1 and
# is stopped on exit.
# Usage: BUILD=build bash bench/live_bench.sh   (called by bench/bench.sh)
#   LIVE_BENCH_DURATION (default 5s), LIVE_BENCH_CONNECTIONS (default 50),
#   LIVE_BENCH_THREADS (default 2)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")
DURATION=${LIVE_BENCH_DURATION:-5s}
CONNS=${LIVE_BENCH_CONNECTIONS:-50}
THREADS=${LIVE_BENCH_THREADS:-2}
for tool in wrk nginx; do
    if ! command -v "$tool" >/dev/null; then
        echo "skipped: $tool is not installed (./setup.sh --bench installs wrk and nginx)"
        exit 0
    fi
done
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

# start NAME ARGS...: a faultline daemon on port 0; sets $port (from its stderr).
start() {
    local name=$1
    shift
    "$FL" "$@" 2>"$tmp/$name.err" &
    pids+=($!)
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/$name.err" 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "$name did not start: $(cat "$tmp/$name.err")" >&2
    exit 1
}

# A port nothing listens on now (nginx cannot take port 0 and say which it got).
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    echo "no free port found" >&2
    exit 1
}

# measure LABEL URL: a short warm-up, then the measured run; prints one row.
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

start stub stub --listen 127.0.0.1:0 --name bench --seed 1
stub=$port
cat >"$tmp/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: bench
    url: http://127.0.0.1:$stub
    routes:
      - {name: all, paths: [/]}
YAML
start gw gateway --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1
gw=$port

ngx=$(free_port)
mkdir -p "$tmp/nginx/logs"
user_line=
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$tmp/nginx/nginx.conf" <<NGINX
$user_line
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    upstream stub {
        server 127.0.0.1:$stub;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$ngx;
        location / {
            proxy_pass http://stub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGINX
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
pids+=($!)
for _ in $(seq 100); do
    curl -s -m 1 -o /dev/null "http://127.0.0.1:$ngx/" && break
    sleep 0.05
done

echo "wrk -t$THREADS -c$CONNS -d$DURATION on 127.0.0.1, $(nproc) CPUs; every server single-threaded;"
echo "the stub answers at once with a ~70-byte JSON body"
printf '%-28s %12s %10s %10s %10s %8s\n' target requests/s p50 p90 p99 non-2xx
measure "stub directly" "http://127.0.0.1:$stub/bench"
measure "faultline gateway -> stub" "http://127.0.0.1:$gw/bench"
measure "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') -> stub" "http://127.0.0.1:$ngx/bench"
