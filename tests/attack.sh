#!/usr/bin/env bash
# attack.sh - the live gateway and stub against hostile clients, on loopback
# (live/rt.h, live/http1.h say what they hold to). Each case asserts the
# exact status, and every daemon is checked alive with its memory (VmRSS)
# bounded after the attacks:
#  - RFC 9112 where http-parser is lenient, and request smuggling: space
#    before a colon, obs-fold, CL+TE, two Content-Lengths, bad chunk sizes,
#    NUL and CR in values, no Host, two Hosts, versions (400, 501, 505);
#  - limits: a 100 KB target (414, the answer read whole: lingering close),
#    a huge head (431), a body over --max-request-body (413), an upstream
#    answer over --max-response-body (502, flag UC), a refused upstream
#    with retries 0 (502, as Kong);
#  - deadlines, as totals: a head trickled a byte at a time gets 408 at
#    --header-timeout, a body at --body-timeout, a silent connection is
#    closed at --header-timeout, a kept-alive one at --idle-timeout
#    (bounds: the deadline to the deadline plus 4 s);
#  - connection limits: over --max-conns-per-ip the new connection is
#    reset, the oldest idle one is closed to make room, and a client of
#    another address is served meanwhile;
#  - slowloris: 300 trickling connections (reconnecting) against a gateway
#    under `ulimit -n 256` with its default limits: every request of a
#    normal client from another address is answered 200;
#  - out of descriptors (--max-conns above what `ulimit -n` allows): no
#    busy loop (CPU time over 2 s bounded), refused connections, and the
#    gateway serves again once the trickle is over;
#  - 5,000 idle kept-alive connections (skipped with a message when the
#    descriptor limit cannot be raised): held, memory bounded, a normal
#    client served meanwhile.
# Raw requests go through tests/live/attack/hostile.c, built here with the
# system compiler. Timing is asserted only as generous bounds on deadlines.
# Usage: FAULTLINE=build/faultline bash tests/attack.sh   (VERBOSE=1: every check as it passes)
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

if ! command -v curl >/dev/null; then
    echo "attack tests: curl is missing (./setup.sh --deps installs it)" >&2
    exit 1
fi
CURL=(curl -s -m 5 --noproxy '*')
H=$tmp/hostile
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$H" tests/live/attack/hostile.c; then
    echo "attack tests: cannot build tests/live/attack/hostile.c" >&2
    exit 1
fi
# the sanitizers make everything bigger: memory bounds scale with them
MEM_SCALE=1
if ldd "$FL" 2>/dev/null | grep -q asan || nm "$FL" 2>/dev/null | grep -q __asan_init; then MEM_SCALE=4; fi

# start NAME [ULIMIT] -- ARGS...: runs `faultline ARGS...` in the background
# (under `ulimit -n ULIMIT` if given), stderr in $tmp/NAME.err; waits up to
# 5 s for its "listening on" line. Sets $started_pid and $started_port.
start() {
    local name=$1 lim=$2
    shift 3
    if [ "$lim" = - ]; then
        "$FL" "$@" 2>"$tmp/$name.err" &
    else
        (ulimit -n "$lim" && exec "$FL" "$@") 2>"$tmp/$name.err" &
    fi
    started_pid=$!
    pids+=("$started_pid")
    started_port=
    for _ in $(seq 100); do
        started_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/$name.err" 2>/dev/null)
        [ -n "$started_port" ] && return 0
        kill -0 "$started_pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
alive() { kill -0 "$1" 2>/dev/null; }
# raw PORT FORMAT [ARGS]: the request printf makes, sent as is; prints "STATUS... closed|reset|open"
raw() {
    local port=$1
    shift
    # shellcheck disable=SC2059
    printf "$@" | "$H" send 127.0.0.1 "$port" --wait 5
}
# every_status CODE FILE: every "ended MS STATUS" line of FILE has STATUS CODE; prints their count
ended_with() { awk -v c="$2" '$1 == "ended" && $3 == c' "$1" | wc -l; }
# lives_within FILE CODE LO HI: every connection that ended with CODE lived LO..HI ms
lives_within() { awk -v c="$2" -v lo="$3" -v hi="$4" '$1 == "ended" && $3 == c && ($2 < lo || $2 > hi) {bad = 1} END {exit bad}' "$1"; }
http_code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }

# ---- the daemons: a stub, and a gateway in front of it
start stub - -- stub --workers 1 --listen 127.0.0.1:0 --name a --header-timeout 1s --verbose
sp=$started_port pid_stub=$started_pid
# a port nothing listens on
dead=1
for p in 1 9 19 $((20000 + RANDOM % 20000)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then dead=$p && break; fi
done
cat >"$tmp/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: api
    url: http://127.0.0.1:$sp
    routes:
      - {name: api, paths: [/api]}
  - name: dead
    url: http://127.0.0.1:$dead
    retries: 0
    routes:
      - {name: dead, paths: [/dead]}
YAML
start gw - -- gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1 --verbose \
    --header-timeout 1s --body-timeout 1s --idle-timeout 1s --max-request-body 64KiB
gw=$started_port pid_gw=$started_pid
check "the stub and the gateway are up ($sp, $gw)" '[ -n "$sp" ] && [ -n "$gw" ]'
[ -n "$gw" ] && [ -n "$sp" ] || { echo "attack tests: $pass passed, $fail failed"; exit 1; }
check "--verbose shows the limits" 'grep -q "limits: header timeout 1s, body timeout 1s, idle timeout 1s, [0-9]* connections ([0-9]* per address), target 8192 B, head 61440 B, request body 65536 B, response body 16777216 B" "$tmp/gw.err"'
check "a plain request is answered 200" '[ "$(http_code "http://127.0.0.1:$gw/api/x")" = 200 ]'
rss_gw0=$(rss "$pid_gw") rss_stub0=$(rss "$pid_stub")

# ---- RFC 9112 and smuggling: exact statuses, then the connection is closed. These
# go to a gateway of their own, in front of a stub of its own that must answer nothing.
start smug - -- stub --workers 1 --listen 127.0.0.1:0 --name smug --verbose
sed "s/127.0.0.1:$sp/127.0.0.1:$started_port/" "$tmp/kong.yaml" >"$tmp/kong-smug.yaml"
pid_smug=$started_pid
start gws - -- gateway --workers 1 --config "$tmp/kong-smug.yaml" --listen 127.0.0.1:0 --seed 1 --verbose
gws=$started_port pid_gws=$started_pid
R="HTTP/1.1\r\nHost: h\r\n"
port=$gws
expect() { # DESC WANT FORMAT [ARGS]: a raw request to $port is answered WANT
    local desc=$1 want=$2
    shift 2
    out=$(raw "$port" "$@")
    check "$desc: $want (got $out)" '[ "$out" = "$want" ]'
}
expect "space before a colon (Transfer-Encoding : chunked)" "400 closed" \
    "POST /api/x ${R}Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"
expect "space before a colon (Host : h)" "400 closed" "GET /api/x HTTP/1.1\r\nHost : h\r\n\r\n"
expect "tab in a field name" "400 closed" "GET /api/x ${R}X-A\t: b\r\n\r\n"
expect "obs-fold" "400 closed" "GET /api/x ${R}X-A: b\r\n c\r\n\r\n"
expect "whitespace before the first field" "400 closed" "GET /api/x HTTP/1.1\r\n Host: h\r\n\r\n"
expect "CL + TE" "400 closed" "POST /api/x ${R}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect "TE + CL" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"
expect "two equal Content-Lengths" "400 closed" "POST /api/x ${R}Content-Length: 1\r\nContent-Length: 1\r\n\r\na"
expect "two different Content-Lengths" "400 closed" "POST /api/x ${R}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"
expect "Content-Length: 1, 2" "400 closed" "POST /api/x ${R}Content-Length: 1, 2\r\n\r\nab"
expect "a negative Content-Length" "400 closed" "POST /api/x ${R}Content-Length: -1\r\n\r\n"
expect "TE twice" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect "chunked not last" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"
expect "TE in HTTP/1.0" "400 closed" "POST /api/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect "a coding besides chunked" "501 closed" "POST /api/x ${R}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
expect "chunk size zz" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\n\r\nzz\r\n"
expect "chunk size -1" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\n\r\n-1\r\n"
expect "chunk size 0x1" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\n\r\n0x1\r\na\r\n0\r\n\r\n"
expect "chunk size overflowing 64 bits" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n"
expect "chunk longer than its size" "400 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n"
expect "NUL in a value" "400 closed" "GET /api/x ${R}X-A: a\0b\r\n\r\n"
expect "CR in a value" "400 closed" "GET /api/x ${R}X-A: a\rb\r\n\r\n"
expect "HTTP/1.1 without Host" "400 closed" "GET /api/x HTTP/1.1\r\n\r\n"
expect "two Hosts" "400 closed" "GET /api/x ${R}Host: h\r\n\r\n"
expect "a Host with a slash" "400 closed" "GET /api/x HTTP/1.1\r\nHost: a/b\r\n\r\n"
expect "HTTP/9.9" "505 closed" "GET /api/x HTTP/9.9\r\nHost: h\r\n\r\n"
expect "HTTP/2.0 in HTTP/1 syntax" "505 closed" "GET /api/x HTTP/2.0\r\nHost: h\r\n\r\n"
expect "a request smuggled behind a hidden Transfer-Encoding" "400 closed" \
    "POST /api/x ${R}Content-Length: 40\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET /api/smuggled ${R}\r\n"
expect "a request smuggled behind a folded Transfer-Encoding" "400 closed" \
    "POST /api/x ${R}Content-Length: 40\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/smuggled ${R}\r\n"
kill -TERM "$pid_smug" "$pid_gws"
for _ in $(seq 100); do alive "$pid_smug" || alive "$pid_gws" || break; sleep 0.05; done
bad=$(grep -c "refused request" "$tmp/gws.err")
check "none of those $bad bad requests reached the upstream ($(grep answered "$tmp/smug.err"))" \
    'grep -q "answered 0 requests" "$tmp/smug.err" && grep -q "[0-9]* connections accepted, 0 requests, $bad bad requests" "$tmp/gws.err"'
port=$gw
expect "HTTP/1.0 without Host is fine" "200 closed" "GET /api/x HTTP/1.0\r\n\r\n"
# pipelined: the good request is answered, then the bad one refused
expect "a good request, then a bad one on the same connection" "200 400 closed" \
    "GET /api/1 ${R}\r\nGET /api/2 ${R}X-A: b\r\n c\r\n\r\n"

# ---- sizes
uri=$(head -c 100000 /dev/zero | tr '\0' a)
expect "a 100 KB target: 414, read whole (no reset)" "414 closed" "GET /api/$uri ${R}\r\n"
expect "an 8 KiB target is fine" "200 closed" "GET /api/${uri:0:8180} ${R}Connection: close\r\n\r\n"
big=$(head -c 70000 /dev/zero | tr '\0' b)
expect "a 70 KB header" "431 closed" "GET /api/x ${R}X-Big: $big\r\n\r\n"
body=$(head -c 100000 /dev/zero | tr '\0' c)
expect "a body over --max-request-body: 413, read whole" "413 closed" "POST /api/x ${R}Content-Length: 100000\r\n\r\n$body"
expect "a chunked body over --max-request-body" "413 closed" "POST /api/x ${R}Transfer-Encoding: chunked\r\n\r\n186a0\r\n$body\r\n0\r\n\r\n"
check "a refused upstream with retries 0: 502, as Kong" '[ "$(http_code "http://127.0.0.1:$gw/dead/x")" = 502 ]'
"${CURL[@]}" -o "$tmp/body" "http://127.0.0.1:$gw/dead/x"
check "... with Kong's message" 'grep -q "An invalid response was received from the upstream server" "$tmp/body"'

# the stub holds to the same rules
out=$(printf 'GET / HTTP/9.9\r\nHost: h\r\n\r\n' | "$H" send 127.0.0.1 "$sp")
check "the stub: HTTP/9.9 is 505 ($out)" '[ "$out" = "505 closed" ]'
out=$(printf 'GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n' | "$H" send 127.0.0.1 "$sp")
check "the stub: space before a colon is 400 ($out)" '[ "$out" = "400 closed" ]'

# an upstream answer over --max-response-body: 502 with flag UC, not a 503 reset
start gw2 - -- gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1 --verbose --max-response-body 32B
gw2=$started_port pid_gw2=$started_pid
code=$("${CURL[@]}" -o "$tmp/body" -w '%{http_code}' "http://127.0.0.1:$gw2/api/x")
check "a response body over --max-response-body: 502 ($code)" '[ "$code" = 502 ] && grep -q "upstream response too large: body too large" "$tmp/body"'
check "... said in the log" 'grep -q "upstream response too large: body too large (limits: 32 body bytes" "$tmp/gw2.err"'
kill -TERM "$pid_gw2"
for _ in $(seq 100); do alive "$pid_gw2" || break; sleep 0.05; done
check "... with response flag UC ($(grep "cluster api:" "$tmp/gw2.err"))" 'grep -q "cluster api: .*, flags UC 1$" "$tmp/gw2.err"'
start gw3 - -- gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1 --max-response-body 1KiB
gw3=$started_port
check "... and one within it passes (200)" '[ "$(http_code "http://127.0.0.1:$gw3/api/x")" = 200 ]'

# ---- deadlines (1 s each on the gateway): totals, whatever trickles in
"$H" slowloris 127.0.0.1 "$gw" 4 --every 200 --for 6 >"$tmp/head.out"
check "a head trickled a byte every 200ms: 408 at 1..5 s ($(tr '\n' ' ' <"$tmp/head.out"))" \
    '[ "$(ended_with "$tmp/head.out" 408)" = 4 ] && lives_within "$tmp/head.out" 408 900 5000'
"$H" slowloris 127.0.0.1 "$gw" 2 --every 200 --for 6 --head 'POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n' --trickle 'z' >"$tmp/body.out"
check "a body trickled a byte every 200ms: 408 at 1..5 s ($(tr '\n' ' ' <"$tmp/body.out"))" \
    '[ "$(ended_with "$tmp/body.out" 408)" = 2 ] && lives_within "$tmp/body.out" 408 900 5000'
"$H" slowloris 127.0.0.1 "$gw" 2 --every 200 --for 6 --head '' --trickle '' >"$tmp/silent.out"
check "a silent connection is closed without an answer at 1..5 s ($(tr '\n' ' ' <"$tmp/silent.out"))" \
    '[ "$(ended_with "$tmp/silent.out" 0)" = 2 ] && lives_within "$tmp/silent.out" 0 900 5000'
"$H" slowloris 127.0.0.1 "$gw" 1 --every 200 --for 5 --head '' --trickle '\r\n' >"$tmp/crlf.out"
check "empty lines do not keep a connection: closed at 1..5 s ($(tr '\n' ' ' <"$tmp/crlf.out"))" \
    '[ "$(ended_with "$tmp/crlf.out" 0)" = 1 ] && lives_within "$tmp/crlf.out" 0 900 5000'
"$H" idle 127.0.0.1 "$gw" 3 --request /api/x --hold 6 >"$tmp/ka.out"
check "kept-alive connections are closed after --idle-timeout ($(tr '\n' ' ' <"$tmp/ka.out"))" \
    'grep -q "^ready 3 3$" "$tmp/ka.out" && grep -q "^summary ended 3$" "$tmp/ka.out"'
out=$(printf 'GET / HTTP/1.1\r\nHost: h\r\n' | "$H" send 127.0.0.1 "$sp" --wait 6)
check "the stub: an unfinished head gets 408 at --header-timeout ($out)" '[ "$out" = "408 closed" ]'

# ---- connection limits: 8 per address (on a gateway of its own, with long deadlines)
start gwl - -- gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1 --verbose \
    --max-conns 64 --max-conns-per-ip 8 --header-timeout 5s --idle-timeout 60s
gl=$started_port pid_gl=$started_pid
"$H" slowloris 127.0.0.1 "$gl" 8 --src 127.0.0.2 --every 100 --for 2 >"$tmp/perip1.out" &
hp=$!
sleep 0.5 # the 8 are trickling their heads: none is idle
"$H" slowloris 127.0.0.1 "$gl" 4 --src 127.0.0.2 --every 100 --for 1 >"$tmp/perip2.out"
code=$(http_code "http://127.0.0.1:$gl/api/x")
wait "$hp"
check "over --max-conns-per-ip 8 with none idle: the new connections are reset at once ($(tr '\n' ' ' <"$tmp/perip2.out"))" \
    '[ "$(awk '"'"'$1 == "ended" && $3 == 0 && $2 < 500'"'"' "$tmp/perip2.out" | wc -l)" = 4 ] && grep -q "summary opened 4 ended 4 open 0" "$tmp/perip2.out"'
check "... the 8 are untouched ($(tail -1 "$tmp/perip1.out"))" 'grep -q "summary opened 8 ended 0 open 8" "$tmp/perip1.out"'
check "... and another address is served meanwhile ($code)" '[ "$code" = 200 ]'
"$H" idle 127.0.0.1 "$gl" 8 --src 127.0.0.3 --request /api/x --hold 2 >"$tmp/evict.out" &
hp=$!
for _ in $(seq 100); do grep -q "^ready" "$tmp/evict.out" && break; sleep 0.05; done
out=$(printf "GET /api/x ${R}Connection: close\r\n\r\n" | "$H" send 127.0.0.1 "$gl" --src 127.0.0.3)
wait "$hp"
check "at --max-conns-per-ip with 8 idle: the oldest idle one makes room ($out; $(tr '\n' ' ' <"$tmp/evict.out"))" \
    '[ "$out" = "200 closed" ] && grep -q "^ready 8 8$" "$tmp/evict.out" && grep -q "^summary ended 1$" "$tmp/evict.out"'
hps=()
for src in 4 5 6 7 8 9 10 11; do
    "$H" slowloris 127.0.0.1 "$gl" 8 --src "127.0.0.$src" --every 100 --for 1.5 >/dev/null &
    hps+=($!)
done
sleep 0.5
code=$(http_code "http://127.0.0.1:$gl/api/x")
wait "${hps[@]}"
check "at --max-conns 64 with none idle, a new connection is reset ($code)" '[ "$code" = 000 ]'
check "... and once they are gone, served again" '[ "$(http_code "http://127.0.0.1:$gl/api/x")" = 200 ]'
kill -TERM "$pid_gl"
for _ in $(seq 100); do alive "$pid_gl" || break; sleep 0.05; done
check "its summary counts the refused and evicted connections ($(grep "limits:" "$tmp/gwl.err" | tail -1))" \
    'grep -qE "limits: 5 connections refused, 1 idle ones closed for new ones" "$tmp/gwl.err"'

# ---- memory and life after all that
check "the gateway is alive" 'alive "$pid_gw"'
check "the stub is alive" 'alive "$pid_stub"'
check "the gateway answers" '[ "$(http_code "http://127.0.0.1:$gw/api/x")" = 200 ]'
r=$(rss "$pid_gw")
check "the gateway's memory stayed bounded (VmRSS ${rss_gw0} -> ${r} kB)" '[ $((r - rss_gw0)) -lt $((32768 * MEM_SCALE)) ]'
r=$(rss "$pid_stub")
check "the stub's memory stayed bounded (VmRSS ${rss_stub0} -> ${r} kB)" '[ $((r - rss_stub0)) -lt $((16384 * MEM_SCALE)) ]'
kill -TERM "$pid_gw"
for _ in $(seq 100); do alive "$pid_gw" || break; sleep 0.05; done
check "the gateway stops cleanly" '! alive "$pid_gw" && wait "$pid_gw"'
check "its summary counts the timeouts ($(grep "limits:" "$tmp/gw.err" | tail -1))" \
    'grep -qE "limits: 0 connections refused, 0 idle ones closed for new ones, 4 header and 2 body timeouts" "$tmp/gw.err"'
check "the refused upstream's 502s carried flag UF ($(grep "cluster dead:" "$tmp/gw.err"))" \
    'grep -q "cluster dead: 0 attempts, 0 retries, 2 connect failures, 0 ejections, flags UF 2, URX 2$" "$tmp/gw.err"'

# ---- slowloris: 300 trickling connections against a gateway under `ulimit -n 256`
start slow 256 -- gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1 --header-timeout 2s --verbose
gs=$started_port pid_gs=$started_pid
check "a gateway under ulimit -n 256 takes its limits from it ($(grep -o "[0-9]* connections ([0-9]* per address)" "$tmp/slow.err"))" \
    'grep -q "96 connections (48 per address)" "$tmp/slow.err"'
rss0=$(rss "$pid_gs")
"$H" slowloris 127.0.0.1 "$gs" 300 --src 127.0.0.2 --every 500 --for 7 --reconnect >"$tmp/loris.out" &
hp=$!
sleep 1
codes=
for i in $(seq 20); do
    codes="$codes $(http_code "http://127.0.0.1:$gs/api/loris/$i")"
    sleep 0.2
done
wait "$hp"
check "under slowloris, a normal client gets 20 of 20 answered 200 ($codes)" '[ "$(tr " " "\n" <<<"$codes" | grep -c "^200$")" = 20 ]'
check "... the trickling connections got 408 at 2..6 s ($(ended_with "$tmp/loris.out" 408) of them)" \
    '[ "$(ended_with "$tmp/loris.out" 408)" -ge 48 ] && lives_within "$tmp/loris.out" 408 1900 6000'
check "... and those over the limit were reset at once" '[ "$(ended_with "$tmp/loris.out" 0)" -ge 252 ]'
r=$(rss "$pid_gs")
check "... the gateway is alive, memory bounded (VmRSS ${rss0} -> ${r} kB)" 'alive "$pid_gs" && [ $((r - rss0)) -lt $((16384 * MEM_SCALE)) ]'
check "... and does not spin on EMFILE (no pause was needed)" '! grep -q "pausing" "$tmp/slow.err"'

# ---- out of descriptors: --max-conns above what ulimit -n 128 allows
start emfile 128 -- gateway --workers 1 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --seed 1 --header-timeout 3s \
    --max-conns 1000 --max-conns-per-ip 0 --verbose
ge=$started_port pid_ge=$started_pid
"$H" slowloris 127.0.0.1 "$ge" 200 --src 127.0.0.2 --every 300 --for 3 >"$tmp/emfile.out" &
hp=$!
sleep 0.8
t0=$(cpu_ticks "$pid_ge")
code=$(http_code "http://127.0.0.1:$ge/api/x")
sleep 1.5
t1=$(cpu_ticks "$pid_ge")
wait "$hp"
check "out of descriptors with none idle: a new connection is refused ($code)" '[ "$code" = 000 ] && grep -q "out of file descriptors" "$tmp/emfile.err"'
check "... without a busy loop ($((t1 - t0)) ticks of CPU in 1.5 s)" '[ $((t1 - t0)) -lt 75 ]'
sleep 0.5
check "... and once the trickle is over, the gateway serves again" '[ "$(http_code "http://127.0.0.1:$ge/api/x")" = 200 ] && alive "$pid_ge"'

# ---- 5,000 idle kept-alive connections (a header deadline of 60 s, so that a slow
# machine opening them all is not mistaken for clients that send nothing)
N=5000
if (ulimit -n 12000) 2>/dev/null; then
    start idle_stub 12000 -- stub --workers 1 --listen 127.0.0.1:0 --name i
    is=$started_port
    sed "s/127.0.0.1:$sp/127.0.0.1:$is/" "$tmp/kong.yaml" >"$tmp/kong-idle.yaml"
    start idle_gw 12000 -- gateway --workers 1 --config "$tmp/kong-idle.yaml" --listen 127.0.0.1:0 --seed 1 \
        --max-conns 6000 --max-conns-per-ip 0 --idle-timeout 60s --header-timeout 60s
    gi=$started_port pid_gi=$started_pid
    http_code "http://127.0.0.1:$gi/api/warm" >/dev/null
    rss0=$(rss "$pid_gi")
    (ulimit -n 12000 && exec "$H" idle 127.0.0.1 "$gi" $N --src 127.0.0.2 --request /api/idle --hold 8) >"$tmp/idle.out" &
    hp=$!
    for _ in $(seq 300); do grep -q "^ready" "$tmp/idle.out" && break; sleep 0.1; done
    r=$(rss "$pid_gi")
    codes=
    for i in 1 2 3 4 5; do codes="$codes $(http_code "http://127.0.0.1:$gi/api/also/$i")"; done
    check "$N connections, each answered 200 then idle ($(head -1 "$tmp/idle.out"))" 'grep -q "^ready $N $N$" "$tmp/idle.out"'
    check "... held: $(ls "/proc/$pid_gi/fd" | wc -l) descriptors open in the gateway" '[ "$(ls "/proc/$pid_gi/fd" | wc -l)" -ge $N ]'
    check "... a normal client is served meanwhile ($codes)" '[ "$codes" = " 200 200 200 200 200" ]'
    check "... memory bounded: VmRSS ${rss0} -> ${r} kB (under 6 KiB a connection, its upstream one included: no read buffer is kept, that alone would be 16 KiB)" \
        '[ $((r - rss0)) -lt $((N * 6 * MEM_SCALE)) ]'
    wait "$hp"
    check "... none was closed by the gateway ($(tail -1 "$tmp/idle.out"))" 'grep -q "^summary ended 0$" "$tmp/idle.out"'
    check "... and it is alive" 'alive "$pid_gi"'
else
    echo "attack tests: skipped the $N idle connections: cannot raise ulimit -n to 12000 (hard limit $(ulimit -Hn))" >&2
fi

check "no daemon left a sanitizer report" '! grep -q "Sanitizer" "$tmp"/*.err'
echo "attack tests: $pass passed, $fail failed"
[ $fail = 0 ]
