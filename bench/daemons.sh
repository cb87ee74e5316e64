# daemons.sh - what the live benchmarks (live_bench.sh, tls_bench.sh) share,
# sourced after FL is set: a temporary folder ($tmp) and the daemons started
# (the pids array), both cleaned up on exit; starting a faultline daemon on
# port 0, a free port and nginx.

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

# start_on NAME PATTERN ARGS...: a faultline daemon on port 0; sets $port from
# its stderr line "... PATTERN 127.0.0.1:PORT"; exits if it does not come up.
start_on() {
    local name=$1 pattern=$2
    shift 2
    "$FL" "$@" 2>"$tmp/$name.err" &
    pids+=($!)
    port=
    for _ in $(seq 100); do
        port=$(sed -n "s/.*$pattern 127\.0\.0\.1:\([0-9][0-9]*\)\$/\1/p" "$tmp/$name.err" 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "$name did not start: $(cat "$tmp/$name.err")" >&2
    exit 1
}

# start NAME ARGS...: the same for a daemon that says "listening on".
start() {
    local name=$1
    shift
    start_on "$name" "listening on" "$@"
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

# nginx_start PORT URL SERVER_LINES [WORKERS]: nginx (WORKERS worker processes, default 1,
# in $tmp/nginx-PORT) on 127.0.0.1:PORT proxying to the stub at 127.0.0.1:$stub over
# kept-alive connections; SERVER_LINES (e.g. "ssl; ssl_certificate ...;") follow the
# listen address; waits until URL answers.
nginx_start() {
    local port=$1 url=$2 server_lines=$3 workers=${4:-1} user_line=
    local dir=$tmp/nginx-$port
    mkdir -p "$dir/logs"
    [ "$(id -u)" = 0 ] && user_line="user root;"
    cat >"$dir/nginx.conf" <<NGINX
$user_line
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream stub {
        server 127.0.0.1:$stub;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$port $server_lines
        location / {
            proxy_pass http://stub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGINX
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
    pids+=($!)
    for _ in $(seq 100); do
        curl -sk -m 1 -o /dev/null "$url" && break
        sleep 0.05
    done
}
