#!/usr/bin/env bash
# redis.sh - Kong rate-limiting with policy redis on the live gateway, against
# a real redis-server the test starts on loopback (its own port, folder, no
# persistence) and stops whatever happens:
#  - two gateway processes sharing one Redis let exactly the limit through
#    together (policy local, for contrast: each lets the limit through);
#  - the counters are Kong's keys (ratelimit:<route>:<service>:<id>:<window
#    ms>:<period>) with the period's expiry, in the configured database;
#  - Redis stopped (SIGSTOP: no answer within config.redis.timeout) and gone
#    (SIGKILL: connection refused): fault_tolerant true lets requests
#    through without the rate limit's headers, false answers 500 with Kong's
#    body; the gateway's summary counts them;
#  - Redis started again: the limits hold again.
# Windows are hours: a phase is moved past the top of the hour if it would
# straddle it.
# Usage: FAULTLINE=build/faultline bash tests/redis.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

for t in curl redis-server redis-cli; do
    if ! command -v $t >/dev/null; then
        echo "redis tests: $t is missing (./setup.sh installs it)" >&2
        exit 1
    fi
done
CURL=(curl -s -m 5 --noproxy '*')

# ---- redis-server on a free port (it cannot pick one: try a few)
rport= rpid=
start_redis() { # PORT: 0 when it came up
    mkdir -p "$tmp/redis"
    redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp/redis" \
        >"$tmp/redis.log" 2>&1 &
    rpid=$!
    pids+=("$rpid")
    for _ in $(seq 100); do
        [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        kill -0 "$rpid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
for _ in $(seq 20); do
    rport=$((20000 + RANDOM % 30000))
    start_redis "$rport" && break
    kill -KILL "$rpid" 2>/dev/null
    rport=
done
[ -n "$rport" ] || { echo "redis tests: redis-server did not start" >&2; cat "$tmp/redis.log" >&2; exit 1; }
rcli() { redis-cli -p "$rport" "$@"; }

start stub stub --listen 127.0.0.1:0 --workers 1 ||
    { echo "redis tests: the stub did not start" >&2; exit 1; }
stub=$started_port

cat >"$tmp/kong.yaml" <<EOF
_format_version: "3.0"
services:
  - name: api
    url: http://127.0.0.1:$stub
    routes:
      - name: shared
        paths: [/shared]
        plugins:
          - name: rate-limiting
            config:
              hour: 6
              limit_by: header
              header_name: X-Who
              policy: redis
              redis: {host: 127.0.0.1, port: $rport, timeout: 300}
      - name: strict
        paths: [/strict]
        plugins:
          - name: rate-limiting
            config: {hour: 6, limit_by: header, header_name: X-Who, policy: redis,
                     fault_tolerant: false, redis_host: 127.0.0.1, redis_port: $rport,
                     redis_timeout: 300, redis_database: 3}
      - name: local
        paths: [/local]
        plugins:
          - {name: rate-limiting, config: {hour: 6, limit_by: header, header_name: X-Who}}
EOF
start gw1 gateway --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --workers 1 --verbose ||
    { echo "redis tests: gateway 1 did not start"; cat "$tmp/gw1.err"; exit 1; } >&2
gw1=$started_port gw1_pid=$started_pid
start gw2 gateway --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --workers 1 ||
    { echo "redis tests: gateway 2 did not start"; cat "$tmp/gw2.err"; exit 1; } >&2
gw2=$started_port

# req NAME PORT PATH WHO: one request; $status, headers in $tmp/NAME.h, body in $tmp/NAME.b
req() {
    status=$("${CURL[@]}" -o "$tmp/$1.b" -D "$tmp/$1.h" -w '%{http_code}' -H "X-Who: $4" \
        "http://127.0.0.1:$2$3")
}
header() { tr -d '\r' <"$tmp/$1.h" | sed -n "s/^$2: //Ip" | head -1; }
# the next 20 s stay in this hour's window
hour_room() { local s=$(($(date +%s) % 3600)); [ "$s" -lt 3580 ] || sleep $((3601 - s)); }
# alternate PATH WHO N: N requests to each gateway, in turn; the statuses in $codes
alternate() {
    codes=
    for _ in $(seq "$3"); do
        req a "$gw1" "$1" "$2"
        codes="$codes$status "
        req a "$gw2" "$1" "$2"
        codes="$codes$status "
    done
}
count() { echo "$codes" | tr ' ' '\n' | grep -c "^$1\$"; }

# ---- one limit for both gateways
hour_room
alternate /shared/x alice 5
check "policy redis, 10 requests over two gateways, hour: 6: exactly 6 pass" \
    '[ "$codes" = "200 200 200 200 200 200 429 429 429 429 " ]'
req last "$gw1" /shared/x alice
check "... the refusal is Kong's: 429 with its body and Retry-After" \
    '[ "$status" = 429 ] && grep -q "API rate limit exceeded" "$tmp/last.b" && [ -n "$(header last Retry-After)" ]'
key=$(rcli --scan --pattern 'ratelimit:*:alice:*')
check "the counter is Kong's key: ratelimit:<route>:<service>:<id>:<window ms>:hour" \
    '[[ "$key" =~ ^ratelimit:shared:00000000-0000-0000-0000-000000000000:alice:[0-9]+:hour$ ]]'
win=$(echo "$key" | sed 's/.*:alice:\([0-9]*\):hour/\1/')
check "... its window is this hour's start, in ms" '[ $((win % 3600000)) = 0 ] && [ $((win / 1000)) -le "$(date +%s)" ]'
check "... it counts every request, refused ones too (11)" '[ "$(rcli get "$key")" = 11 ]'
ttl=$(rcli ttl "$key")
check "... and expires within the hour (ttl $ttl)" '[ "$ttl" -gt 0 ] && [ "$ttl" -le 3600 ]'

# ---- policy local, for contrast: each gateway counts alone
hour_room
alternate /local/x alice 8
check "policy local, 16 requests over two gateways, hour: 6: 12 pass (6 each)" \
    '[ "$(count 200)" = 12 ] && [ "$(count 429)" = 4 ]'

# ---- redis_database: the counters of /strict live in database 3
req s1 "$gw2" /strict/x bob
check "redis_database 3: the counter is there" \
    '[ "$status" = 200 ] && [ -n "$(rcli -n 3 --scan --pattern "ratelimit:strict:*:bob:*")" ] &&
     [ -z "$(rcli -n 0 --scan --pattern "ratelimit:strict:*")" ]'

# ---- Redis stopped: no answer within the timeout (300 ms)
kill -STOP "$rpid"
t0=$(date +%s%N)
req ft "$gw1" /shared/x carol
t1=$(date +%s%N)
check "redis stopped, fault_tolerant true: 200 after the timeout ($(( (t1 - t0) / 1000000 )) ms)" \
    '[ "$status" = 200 ] && [ $(( (t1 - t0) / 1000000 )) -ge 290 ] && [ $(( (t1 - t0) / 1000000 )) -lt 2000 ]'
check "... without the rate limit's headers" '[ -z "$(header ft X-RateLimit-Limit-Hour)" ]'
req st "$gw1" /strict/x carol
check "redis stopped, fault_tolerant false: 500 with Kong's body" \
    '[ "$status" = 500 ] && grep -q "\"message\":\"An unexpected error occurred\"" "$tmp/st.b"'
alternate /shared/x alice 2
check "redis stopped: alice, over her limit, passes unchecked (4 x 200)" '[ "$codes" = "200 200 200 200 " ]'

# ---- Redis gone: connection refused
kill -KILL "$rpid"
wait "$rpid" 2>/dev/null
t0=$(date +%s%N)
req ft2 "$gw2" /shared/x alice
t1=$(date +%s%N)
check "redis gone, fault_tolerant true: 200 at once ($(( (t1 - t0) / 1000000 )) ms)" \
    '[ "$status" = 200 ] && [ $(( (t1 - t0) / 1000000 )) -lt 290 ]'
req st2 "$gw2" /strict/x alice
check "redis gone, fault_tolerant false: 500" '[ "$status" = 500 ]'

# ---- Redis back (an empty one, on the same port): the limit holds again
start_redis "$rport" || { echo "redis tests: redis-server did not restart" >&2; exit 1; }
hour_room
alternate /shared/x dave 4
check "redis back: 8 requests over two gateways, hour: 6: exactly 6 pass" \
    '[ "$codes" = "200 200 200 200 200 200 429 429 " ]'
req st3 "$gw1" /strict/x erin
check "redis back: fault_tolerant false passes again" '[ "$status" = 200 ]'

# ---- the gateway's summary counts what passed unchecked
kill -TERM "$gw1_pid"
for _ in $(seq 100); do kill -0 "$gw1_pid" 2>/dev/null || break; sleep 0.05; done
check "gateway 1's summary: 3 passed unchecked, 1 refused with 500" \
    'grep -q "ratelimit: 3 passed unchecked, 1 refused with 500, redis unavailable" "$tmp/gw1.err"'

echo "redis tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
