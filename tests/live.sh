#!/usr/bin/env bash
# live.sh - the live runtime end to end, on loopback, driven with curl:
#  - help and usage errors of `gateway` and `stub`; a bad Kong file exits 2
#    with FILE:LINE:COL;
#  - two stubs behind the gateway (one Kong upstream, both as targets,
#    service retries): requests are balanced over both, strip_path applies;
#  - Kong's passive health checks (circuit breaker): a stub that answers
#    every request with 503 is ejected after exactly http_failures of them
#    (the client sees those and no more; the stub answered no more);
#  - a stub killed: requests still succeed (Kong retries connection errors
#    on the other target), and after tcp_failures of them the dead target
#    is ejected: no more retries, no more connects to it; with retries 0
#    each failure is the 502 Kong (nginx) answers, and never ejects it (Kong
#    counts a last try's failed connection as that 502, which is not an
#    unhealthy status by default);
#  - the rate-limiting plugin on one route: 429 with Kong's headers after
#    the limit;
#  - ip-restriction sees the client's real address (127.0.0.1);
#  - cors answers a preflight at the gateway (200, Access-Control-Allow-*),
#    request-termination answers 503 with Kong's JSON message, proxy-cache
#    answers Miss then Hit (the same body, the same X-Cache-Key);
#  - spans of traced requests (traceparent, b3), written on SIGTERM with
#    --spans and --spans-otlp, valid for tests/tools/spancheck.c;
#  - SIGTERM: a request in flight still gets its answer, the gateway stops
#    accepting and exits 0, and so do the stubs;
#  - two worker processes on one port (gateway and stub): both serve, rate
#    limits count per worker, the spans of both land in one valid file.
# Hostile clients (bad requests, slowloris, limits) are tests/attack.sh's.
# Ports are the kernel's (port 0, read back from each daemon's stderr);
# every wait and every curl is bounded; whatever was started is killed on exit.
# Usage: FAULTLINE=build/faultline bash tests/live.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

if ! command -v curl >/dev/null; then
    echo "live tests: curl is missing (./setup.sh --deps installs it)" >&2
    exit 1
fi
CURL=(curl -s -m 5 --noproxy '*')

# wait_exit PID SECONDS: waits for PID to end; sets $rc (its status, or 124 if still running).
wait_exit() {
    local n=$(($2 * 20))
    while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do
        sleep 0.05
        n=$((n - 1))
    done
    if kill -0 "$1" 2>/dev/null; then rc=124; else wait "$1"; rc=$?; fi
}

# ---- help and usage
"$FL" gateway --help >"$tmp/out" 2>&1; check "gateway --help exits 0" '[ $? = 0 ] && grep -q -- "--config FILE" "$tmp/out"'
check "gateway --help lists the limits" '(for o in --header-timeout --body-timeout --idle-timeout --max-conns --max-conns-per-ip --max-uri-size --max-header-size --max-request-body --max-response-body; do grep -q -- "^  $o " "$tmp/out" || exit 1; done)'
"$FL" stub --help >"$tmp/out" 2>&1; check "stub --help exits 0" '[ $? = 0 ] && grep -q -- "--latency D" "$tmp/out"'
check "stub --help lists the limits" 'grep -q -- "^  --header-timeout D" "$tmp/out" && grep -q -- "^  --max-conns-per-ip N" "$tmp/out"'
"$FL" gateway --workers 1 --config x --listen 127.0.0.1:0 --header-timeout 5 >/dev/null 2>"$tmp/err"; check "a limit without its unit exits 2" '[ $? = 2 ] && grep -q "header-timeout" "$tmp/err"'
"$FL" stub --workers 1 --listen 127.0.0.1:0 --max-uri-size 1MiB >/dev/null 2>"$tmp/err"; check "a head limit above 64KiB exits 2" '[ $? = 2 ] && grep -q "max-uri-size" "$tmp/err"'
"$FL" stub --workers 1 --listen 127.0.0.1:0 --max-response-body 1MiB >/dev/null 2>&1; check "the stub has no --max-response-body" '[ $? = 2 ]'
"$FL" --help >"$tmp/out" 2>&1; check "faultline --help lists gateway and stub" 'grep -q "^  gateway" "$tmp/out" && grep -q "^  stub" "$tmp/out"'
"$FL" gateway --listen 127.0.0.1:0 >/dev/null 2>&1; check "gateway without --config exits 2" '[ $? = 2 ]'
printf '_format_version: "3.0"\n' >"$tmp/empty-kong.yaml"
timeout 5 "$FL" gateway --workers 1 --config "$tmp/empty-kong.yaml" --listen 127.0.0.1:0 --spans "$tmp/nowhere/spans.json" >/dev/null 2>"$tmp/err"
check "--spans into a folder that is not there exits 2 at start" '[ $? = 2 ] && grep -qF -- "--spans $tmp/nowhere/spans.json: No such file or directory" "$tmp/err" && ! grep -q listening "$tmp/err"'
timeout 5 "$FL" gateway --workers 1 --config "$tmp/empty-kong.yaml" --listen 127.0.0.1:0 --spans-otlp "$tmp/" >/dev/null 2>"$tmp/err"
check "--spans-otlp without a file name exits 2" '[ $? = 2 ] && grep -q "give a file name" "$tmp/err"'
"$FL" gateway --workers 1 --config "$tmp/empty-kong.yaml" --listen 127.0.0.1:0 --spans-max 0 >/dev/null 2>"$tmp/err"
check "--spans-max 0 exits 2" '[ $? = 2 ] && grep -q -- "--spans-max needs a whole number" "$tmp/err"'
"$FL" stub --workers 1 --listen 127.0.0.1:0 --latency 5 >/dev/null 2>"$tmp/err"; check "stub --latency without unit exits 2" '[ $? = 2 ] && grep -q "latency" "$tmp/err"'
"$FL" stub --workers 1 --listen nowhere >/dev/null 2>&1; check "stub with a bad address exits 2" '[ $? = 2 ]'
printf '_format_version: "3.0"\nservices:\n  - name: api\n    url: http://127.0.0.1:1\n    retriez: 3\n' >"$tmp/bad.yaml"
timeout 5 "$FL" gateway --workers 1 --config "$tmp/bad.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
rc=$?
check "a bad Kong file exits 2 with FILE:LINE:COL (exit $rc: $(head -1 "$tmp/err"))" '[ $rc = 2 ] && grep -qE "^$tmp/bad.yaml:5:[0-9]+: .*retriez" "$tmp/err"'
timeout 5 "$FL" gateway --workers 1 --config "$tmp/missing.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
rc=$?
check "a missing Kong file exits 2" '[ $rc = 2 ] && grep -q "missing.yaml" "$tmp/err"'

# ---- two stubs, a slow one, and the gateway in front
start a stub --workers 1 --listen 127.0.0.1:0 --name a --seed 1; pa=$started_port pid_a=$started_pid
start b stub --workers 1 --listen 127.0.0.1:0 --name b --seed 2; pb=$started_port pid_b=$started_pid
start c stub --workers 1 --listen 127.0.0.1:0 --name c --latency 300ms --verbose; pc=$started_port pid_c=$started_pid
start d stub --workers 1 --listen 127.0.0.1:0 --name d --error-rate 100% --verbose; pd=$started_port pid_d=$started_pid
check "the stubs are up" '[ -n "$pa" ] && [ -n "$pb" ] && [ -n "$pc" ] && [ -n "$pd" ]'
cat >"$tmp/kong.yaml" <<YAML
_format_version: "3.0"
upstreams:
  - name: backend
    targets:
      - {target: "127.0.0.1:$pa", weight: 100}
      - {target: "127.0.0.1:$pb", weight: 100}
    healthchecks:
      passive:
        unhealthy: {tcp_failures: 2, http_failures: 3}
  - name: flaky
    targets:
      - {target: "127.0.0.1:$pd", weight: 100}
      - {target: "127.0.0.1:$pb", weight: 100}
    healthchecks:
      active: {healthy: {interval: 0, successes: 0}, unhealthy: {interval: 0}}
      passive:
        healthy: {successes: 1}
        unhealthy: {http_statuses: [500, 503], http_failures: 3}
      threshold: 0
services:
  - name: api
    host: backend
    port: 80
    retries: 5
    connect_timeout: 1000
    routes:
      - {name: api, paths: [/api]}
      - {name: limited, paths: [/limited]}
  - name: slow
    url: http://127.0.0.1:$pc
    routes:
      - {name: slow, paths: [/slow]}
  - name: flaky
    host: flaky
    routes:
      - {name: flaky, paths: [/flaky]}
  - name: once
    host: backend
    retries: 0
    connect_timeout: 1000
    routes:
      - {name: once, paths: [/once]}
  - name: edge
    url: http://127.0.0.1:$pb
    routes:
      - name: cached
        paths: [/cached]
        plugins: [{name: proxy-cache, config: {strategy: memory}}]
      - name: closed
        paths: [/closed]
        plugins: [{name: request-termination, config: {message: down for maintenance}}]
      - name: private
        paths: [/private]
        plugins: [{name: ip-restriction, config: {deny: [127.0.0.0/8]}}]
      - name: local
        paths: [/local]
        plugins: [{name: ip-restriction, config: {allow: [127.0.0.1]}}]
      - name: browser
        paths: [/browser]
        plugins: [{name: cors, config: {origins: [https://shop.example.com], max_age: 600}}]
plugins:
  - name: rate-limiting
    route: limited
    config: {minute: 3, policy: local}
  # traces: the callers' sampled ones (a trace started here would be sampled at 0%)
  - name: zipkin
    config: {sample_ratio: 0}
YAML
start gw gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 7 --verbose \
    --spans "$tmp/gw-spans.json" --spans-otlp "$tmp/gw-spans.otlp.json"
gw=$started_port pid_gw=$started_pid
check "the gateway is up ($(grep -v '^faultline: conn' "$tmp/gw.err" | head -3))" '[ -n "$gw" ]'
[ -n "$gw" ] || { echo "live tests: $pass passed, $fail failed"; exit 1; }
base="http://127.0.0.1:$gw"

# ---- balancing over both targets
: >"$tmp/bodies"
codes=
for i in $(seq 20); do
    codes="$codes $("${CURL[@]}" -o "$tmp/body" -w '%{http_code}' "$base/api/items/$i")"
    cat "$tmp/body" >>"$tmp/bodies"
done
na=$(grep -c '"stub":"a"' "$tmp/bodies") nb=$(grep -c '"stub":"b"' "$tmp/bodies")
check "20 requests, all 200 ($codes)" '[ "$(tr " " "\n" <<<"$codes" | grep -c "^200$")" = 20 ]'
check "balanced over both stubs (a $na, b $nb)" '[ "$na" -ge 5 ] && [ "$nb" -ge 5 ] && [ $((na + nb)) = 20 ]'
check "strip_path: the stub saw /items/N" 'grep -q "\"path\":\"/items/20\"" "$tmp/bodies"'
"${CURL[@]}" -D "$tmp/headers" -o /dev/null "$base/api/h"
check "the upstream's headers come through" 'grep -qi "^x-stub: [ab]" "$tmp/headers"'
check "an unknown path is 404" '[ "$("${CURL[@]}" -o /dev/null -w "%{http_code}" "$base/nothing")" = 404 ]'

# ---- the rate limit: 3 a minute on /limited
# Kong's windows are calendar minutes: a minute turning over between two
# requests starts the window again (and a second run would find the count of
# the first one's last request). So the run starts early in a minute.
sec=$(date +%S)
sec=${sec#0}
if [ "$sec" -ge 55 ]; then sleep $((61 - sec)); fi
limit_run() {
    codes=
    for i in 1 2 3 4; do
        codes="$codes $("${CURL[@]}" -D "$tmp/rl$i" -o "$tmp/rlbody" -w '%{http_code}' "$base/limited/x")"
    done
}
limit_run
check "3 requests pass, the 4th is 429 ($codes)" '[ "$codes" = " 200 200 200 429" ]'
check "429 says Kong's message" 'grep -q "API rate limit exceeded" "$tmp/rlbody"'
h="$tmp/rl4"
check "429 carries X-RateLimit-Limit-Minute: 3" 'grep -qi "^x-ratelimit-limit-minute: 3" "$h"'
check "429 carries X-RateLimit-Remaining-Minute: 0" 'grep -qi "^x-ratelimit-remaining-minute: 0" "$h"'
check "429 carries RateLimit-Limit, -Remaining, -Reset" 'grep -qi "^ratelimit-limit: 3" "$h" && grep -qi "^ratelimit-remaining: 0" "$h" && grep -qiE "^ratelimit-reset: [0-9]+" "$h"'
check "429 carries Retry-After" 'grep -qiE "^retry-after: [0-9]+" "$h"'
check "an allowed request counts down (Remaining 2 after the first)" 'grep -qi "^x-ratelimit-remaining-minute: 2" "$tmp/rl1"'
check "the other route is not limited" '[ "$("${CURL[@]}" -o /dev/null -w "%{http_code}" "$base/api/free")" = 200 ]'

# ---- Kong's traffic plugins, the same code as in the simulator
"${CURL[@]}" -D "$tmp/pre" -o "$tmp/prebody" -w '%{http_code}' -X OPTIONS -H 'Origin: https://shop.example.com' -H 'Access-Control-Request-Method: POST' "$base/browser/x" >"$tmp/code"
check "cors: a preflight is answered 200 by the gateway ($(cat "$tmp/code"))" '[ "$(cat "$tmp/code")" = 200 ] && [ ! -s "$tmp/prebody" ]'
check "cors: with Access-Control-Allow-Origin, -Methods, -Max-Age" 'grep -qi "^access-control-allow-origin: https://shop.example.com" "$tmp/pre" && grep -qi "^access-control-allow-methods: GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT" "$tmp/pre" && grep -qi "^access-control-max-age: 600" "$tmp/pre" && ! grep -qi "^x-stub" "$tmp/pre"'
"${CURL[@]}" -D "$tmp/simple" -o /dev/null -H 'Origin: https://shop.example.com' "$base/browser/y"
check "cors: a request is proxied and gets Access-Control-Allow-Origin" 'grep -qi "^x-stub: b" "$tmp/simple" && grep -qi "^access-control-allow-origin: https://shop.example.com" "$tmp/simple"'
"${CURL[@]}" -D "$tmp/term" -o "$tmp/termbody" -w '%{http_code}' "$base/closed/x" >"$tmp/code"
check "request-termination: 503 with Kong's JSON message ($(cat "$tmp/code"): $(cat "$tmp/termbody"))" '[ "$(cat "$tmp/code")" = 503 ] && [ "$(cat "$tmp/termbody")" = "{\"message\":\"down for maintenance\"}" ] && ! grep -qi "^x-stub" "$tmp/term"'
"${CURL[@]}" -D "$tmp/c1" -o "$tmp/cb1" "$base/cached/item"
"${CURL[@]}" -D "$tmp/c2" -o "$tmp/cb2" "$base/cached/item"
code_priv=$("${CURL[@]}" -o "$tmp/privbody" -w '%{http_code}' "$base/private/x")
check "ip-restriction: the real peer 127.0.0.1 is denied with Kong's 403 ($code_priv: $(cat "$tmp/privbody"))" '[ "$code_priv" = 403 ] && [ "$(cat "$tmp/privbody")" = "{\"message\":\"Your IP address is not allowed\"}" ]'
check "ip-restriction: ... and allowed where it is listed" '[ "$("${CURL[@]}" -o /dev/null -w "%{http_code}" "$base/local/x")" = 200 ]'
check "proxy-cache: X-Cache-Status Miss, then Hit" 'grep -qi "^x-cache-status: Miss" "$tmp/c1" && grep -qi "^x-cache-status: Hit" "$tmp/c2"'
check "proxy-cache: the hit is the stored answer, with the same X-Cache-Key" 'cmp -s "$tmp/cb1" "$tmp/cb2" && grep -q "\"stub\":\"b\"" "$tmp/cb2" && [ "$(grep -i "^x-cache-key" "$tmp/c1")" = "$(grep -i "^x-cache-key" "$tmp/c2")" ]'

# ---- passive health checks: stub d answers 503 to everything. Kong does not
# retry an answer, so the client sees each 503 until the third one (round
# robin alternates d and b) ejects d; then b answers everything.
codes=
for i in $(seq 16); do
    codes="$codes $("${CURL[@]}" -o /dev/null -w '%{http_code}' "$base/flaky/$i")"
done
check "flaky: exactly 3 of 16 requests get d's 503 ($codes)" '[ "$(tr " " "\n" <<<"$codes" | grep -c "^503$")" = 3 ] && [ "$(tr " " "\n" <<<"$codes" | grep -c "^200$")" = 13 ]'
check "flaky: the 503s are the first answers from d, nothing after" '[ "$(tr " " "\n" <<<"$codes" | grep . | grep -n "^503$" | tail -1 | cut -d: -f1)" -le 6 ]'
check "flaky: the gateway ejected d ($(grep -c "event eject" "$tmp/gw.err") ejections)" 'grep -q "event eject proxy kong cluster flaky host 127.0.0.1:$pd " "$tmp/gw.err"'
kill -TERM "$pid_d"
wait_exit "$pid_d" 5
check "stub d answered exactly 3 requests ($(grep answered "$tmp/d.err"))" '[ $rc = 0 ] && grep -q "answered 3 requests" "$tmp/d.err"'

# ---- one stub goes away: Kong retries connection errors on the other target;
# after 2 of them (tcp_failures) the dead target is ejected and left alone.
kill -TERM "$pid_a"
wait_exit "$pid_a" 5
check "stub a stops cleanly on SIGTERM (exit $rc)" '[ $rc = 0 ]'
: >"$tmp/bodies"
codes=
for i in $(seq 20); do
    codes="$codes $("${CURL[@]}" -o "$tmp/body" -w '%{http_code}' "$base/api/after/$i")"
    cat "$tmp/body" >>"$tmp/bodies"
done
check "with stub a gone, 20 requests still all 200 ($codes)" '[ "$(tr " " "\n" <<<"$codes" | grep -c "^200$")" = 20 ]'
check "... all answered by stub b" '[ "$(grep -c "\"stub\":\"b\"" "$tmp/bodies")" = 20 ]'
check "the gateway ejected stub a once, for good" '[ "$(grep -c "event eject proxy kong cluster api host 127.0.0.1:$pa " "$tmp/gw.err")" = 1 ] && ! grep -q "event uneject" "$tmp/gw.err"'
after=$(awk -v a="127.0.0.1:$pa" '$0 ~ "event eject .* host " a " " {e = 1; next} e && index($0, "connecting to " a) {n++} END {print n + 0}' "$tmp/gw.err")
check "no connect to stub a after its ejection ($after)" '[ "$after" = 0 ] && [ "$(grep -c "connecting to 127.0.0.1:$pa" "$tmp/gw.err")" -ge 1 ]'
# ... but without retries, each failure is the last try: reported as nginx's 502
codes=
for i in $(seq 10); do
    codes="$codes $("${CURL[@]}" -o /dev/null -w '%{http_code}' "$base/once/$i")"
done
check "retries 0: every other request fails with Kong's 502, and stub a is never ejected ($codes)" '[ "$(tr " " "\n" <<<"$codes" | grep -c "^200$")" = 5 ] && [ "$(tr " " "\n" <<<"$codes" | grep -c "^502$")" = 5 ]'

# ---- traced requests: a caller's W3C traceparent, sampled (its parent span is the caller's,
# not in the file: spancheck --allow-orphans), and a B3 one
for i in 1 2 3; do
    "${CURL[@]}" -o /dev/null -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e473$i-00f067aa0ba902b7-01" "$base/api/traced/$i"
done
"${CURL[@]}" -o /dev/null -H "b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" "$base/api/traced/b3"

# ---- SIGTERM: the request in flight finishes, then the gateway exits 0
"${CURL[@]}" -o "$tmp/slow" -w '%{http_code}' "$base/slow/x" >"$tmp/slow.code" &
curl_pid=$!
for _ in $(seq 100); do grep -q "accepted" "$tmp/c.err" 2>/dev/null && break; sleep 0.02; done
sleep 0.05 # the request is on its way to stub c (300ms)
kill -TERM "$pid_gw"
wait_exit "$curl_pid" 5
check "a request in flight at SIGTERM gets its answer ($(cat "$tmp/slow.code"))" '[ "$(cat "$tmp/slow.code")" = 200 ] && grep -q "\"stub\":\"c\"" "$tmp/slow"'
wait_exit "$pid_gw" 10
check "the gateway exits 0 on SIGTERM (exit $rc)" '[ $rc = 0 ]'
check "the gateway stopped listening" '! "${CURL[@]}" -o /dev/null "$base/api/x"'
check "after 2 retries (tcp_failures) nothing more went to stub a ($(grep "cluster api:" "$tmp/gw.err"))" 'grep -qE "cluster api: [0-9]+ attempts, 2 retries, [12] connect failures, 1 ejections" "$tmp/gw.err"'
check "cluster once: never ejected ($(grep "cluster once:" "$tmp/gw.err"))" 'grep -qE "cluster once: [0-9]+ attempts, 0 retries, 5 connect failures, 0 ejections" "$tmp/gw.err"'
check "cluster flaky: 1 ejection, no retry ($(grep "cluster flaky:" "$tmp/gw.err"))" 'grep -qE "cluster flaky: 16 attempts, 0 retries, 0 connect failures, 1 ejections" "$tmp/gw.err"'
check "the gateway's stderr has no sanitizer report" '! grep -q "Sanitizer" "$tmp/gw.err"'
# ---- the spans, written on SIGTERM: valid Zipkin v2 and OTLP/JSON (tests/tools/spancheck.c)
SC=${SPANCHECK:-build/spancheck}
check "spans: written on shutdown, and said so ($(grep "wrote .* spans" "$tmp/gw.err" | head -1))" 'grep -qF "spans of " "$tmp/gw.err" && grep -qF "to $tmp/gw-spans.json" "$tmp/gw.err" && grep -qF "to $tmp/gw-spans.otlp.json" "$tmp/gw.err"'
check "spans: the gateway's spans.json is valid Zipkin v2 ($("$SC" zipkin "$tmp/gw-spans.json" --allow-orphans 2>&1 | head -1))" '"$SC" zipkin "$tmp/gw-spans.json" --allow-orphans >/dev/null'
check "spans: the gateway's OTLP file is valid OTLP/JSON ($("$SC" otlp "$tmp/gw-spans.otlp.json" --allow-orphans 2>&1 | head -1))" '"$SC" otlp "$tmp/gw-spans.otlp.json" --allow-orphans >/dev/null'
check "spans: no temporary file left" '[ -z "$(ls -A "$tmp" | grep "^\.gw-spans")" ]'
# the sampled requests above left their spans, in the callers' traces, timed around now
check "spans: the traced requests' spans are there, in their callers' traces" 'grep -q "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4731\"" "$tmp/gw-spans.json" && grep -q "\"traceId\":\"80f198ee56343ba864fe8b2a57d3eff7\"" "$tmp/gw-spans.json"'
now_us=$(($(date +%s) * 1000000))
ts=$(sed -n 's/.*"timestamp":\([0-9]*\).*/\1/p' "$tmp/gw-spans.json" | head -1)
check "spans: timestamps are wall-clock epoch microseconds (within 10 minutes of now: $ts)" '[ -n "$ts" ] && [ $((now_us - ts)) -lt 600000000 ] && [ $((ts - now_us)) -lt 600000000 ]'
# ---- several workers on one port (SO_REUSEPORT): the kernel spreads the connections, each
# worker counts its own rate limits (as Kong's `local` policy counts per node), and the spans
# of all of them are gathered into one file
cat >"$tmp/kong-w.yaml" <<YAML
_format_version: "3.0"
services:
  - name: w
    url: http://127.0.0.1:$pb
    routes:
      - {name: w, paths: [/w]}
      - {name: wl, paths: [/wl]}
plugins:
  - name: rate-limiting
    route: wl
    config: {minute: 10, policy: local}
  - name: zipkin
    config: {sample_ratio: 0}
YAML
sec=$(date +%S)
sec=${sec#0}
if [ "$sec" -ge 45 ]; then sleep $((61 - sec)); fi
start gww gateway --workers 2 --config "$tmp/kong-w.yaml" --listen 127.0.0.1:0 --seed 3 --verbose \
    --spans "$tmp/w-spans.json"
gww=$started_port pid_gww=$started_pid
check "two workers: one listening line, on one port ($(grep -v "^faultline: conn" "$tmp/gww.err" | head -2 | tr '\n' ' '))" '[ -n "$gww" ] && grep -q "^faultline gateway: 2 worker processes$" "$tmp/gww.err"'
codes=
for i in $(seq 40); do
    codes="$codes $("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "traceparent: 00-5bf92f3577b34da6a3ce929d0e0e$(printf %04d "$i")-00f067aa0ba902b7-01" "http://127.0.0.1:$gww/w/$i")"
done
check "two workers: 40 requests, all 200" '[ "$(tr " " "\n" <<<"$codes" | grep -c "^200$")" = 40 ]'
# 100 new connections split between two workers: P(one gets fewer than 10) < 1e-16
codes=
for i in $(seq 100); do
    codes="$codes $("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gww/wl/$i")"
done
allowed=$(tr " " "\n" <<<"$codes" | grep -c "^200$")
check "two workers, 10 a minute each: more than 10 and at most 20 of 100 pass ($allowed), the rest 429" '[ "$allowed" -gt 10 ] && [ "$allowed" -le 20 ] && [ "$(tr " " "\n" <<<"$codes" | grep -c "^429$")" = $((100 - allowed)) ]'
kill -TERM "$pid_gww"
wait_exit "$pid_gww" 10
check "two workers: the supervisor exits 0 on SIGTERM (exit $rc)" '[ $rc = 0 ]'
w0=$(sed -n 's/.*worker 0: [0-9]* connections accepted, \([0-9]*\) requests.*/\1/p' "$tmp/gww.err")
w1=$(sed -n 's/.*worker 1: [0-9]* connections accepted, \([0-9]*\) requests.*/\1/p' "$tmp/gww.err")
check "two workers: both served, 140 requests in all (worker 0: $w0, worker 1: $w1)" '[ "${w0:-0}" -gt 0 ] && [ "${w1:-0}" -gt 0 ] && [ $((w0 + w1)) = 140 ]'
check "two workers: one spans file, valid ($("$SC" zipkin "$tmp/w-spans.json" --allow-orphans 2>&1 | head -1))" '"$SC" zipkin "$tmp/w-spans.json" --allow-orphans >/dev/null'
check "two workers: no hand-over file left" '[ -z "$(ls -A "$tmp" | grep "faultline-spans")" ]'
check "two workers: the spans of the 40 traced requests, gathered from both workers" '[ "$(grep -c "\"traceId\":\"5bf92f3577b34da6a3ce929d0e0e00[0-9][0-9]\".*\"kind\":\"SERVER\"" "$tmp/w-spans.json")" = 40 ]'
start sw stub --workers 2 --listen 127.0.0.1:0 --name sw --verbose
sw=$started_port pid_sw=$started_pid
for i in $(seq 30); do "${CURL[@]}" -o /dev/null "http://127.0.0.1:$sw/x"; done
kill -TERM "$pid_sw"
wait_exit "$pid_sw" 5
s0=$(sed -n 's/.*stub sw: worker 0 answered \([0-9]*\) requests.*/\1/p' "$tmp/sw.err")
s1=$(sed -n 's/.*stub sw: worker 1 answered \([0-9]*\) requests.*/\1/p' "$tmp/sw.err")
check "a stub with two workers: both answered, 30 in all ($s0 + $s1), exit $rc" '[ $rc = 0 ] && [ "${s0:-0}" -gt 0 ] && [ "${s1:-0}" -gt 0 ] && [ $((s0 + s1)) = 30 ]'
"$FL" gateway --workers 0 --config "$tmp/kong-w.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
check "--workers 0 exits 2" '[ $? = 2 ] && grep -q -- "--workers needs a whole number" "$tmp/err"'
timeout 5 "$FL" gateway --workers 2 --config "$tmp/bad.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
rc=$?
check "two workers: a bad Kong file still exits 2 with FILE:LINE:COL, once (exit $rc)" '[ $rc = 2 ] && [ "$(grep -cE "^$tmp/bad.yaml:5:[0-9]+: .*retriez" "$tmp/err")" = 1 ]'

for p in "$pid_b" "$pid_c"; do kill -TERM "$p"; done
wait_exit "$pid_b" 5
check "stub b stops cleanly (exit $rc)" '[ $rc = 0 ]'
check "no stub left a sanitizer report" '! grep -q "Sanitizer" "$tmp/a.err" "$tmp/b.err" "$tmp/c.err" "$tmp/d.err" "$tmp/sw.err" "$tmp/gww.err"'

echo "live tests: $pass passed, $fail failed"
[ $fail = 0 ]
