#!/usr/bin/env bash
# tls.sh - TLS at the live gateway (`faultline gateway --tls-listen`), on
# loopback, against a `faultline stub`, driven with curl and openssl:
#  - usage and configuration errors: a bad PEM in the Kong file is
#    FILE:LINE:COL, a missing --tls-cert file names the option, no
#    certificate at all, a key that is not the certificate's: exit 2;
#  - an HTTPS request through the gateway gets the stub's answer; plain
#    HTTP on --listen too;
#  - the certificate by SNI: exact, "*.example.org" (one label only),
#    "api.example.*", upper case, no SNI and an unknown name get the
#    default (--tls-cert), each checked by the subject s_client prints;
#  - TLS 1.0 and 1.1 refused, TLS 1.2 without forward secrecy or with CBC
#    refused; TLS 1.3, and TLS 1.2 with ECDHE-RSA-AES128-GCM-SHA256, accepted;
#  - plain HTTP to the TLS port fails cleanly, and the gateway serves on;
#  - a handshake that stalls is closed at --header-timeout, and stalled
#    handshakes count against --max-conns-per-ip (the oldest makes room);
#  - sessions resume (TLS 1.3 and 1.2), also across two worker processes;
#  - a handshake flood (parallel openssl s_client and s_time loops) does not
#    starve a keep-alive client: each of its requests, on one connection,
#    gets a 200 within a generous timeout;
#  - TLS to upstreams (services with protocol https, `openssl s_server -www`
#    as the upstream): tls_verify off accepts any certificate, on checks it
#    against the trusted CAs (SSL_CERT_FILE here) and the service's host
#    (a wrong name: 502).
# Certificates are made here with `openssl req -x509`. Ports are the
# kernel's; every wait is bounded; whatever was started is killed on exit.
# Usage: FAULTLINE=build/faultline bash tests/tls.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh
# gateways with workers stop on SIGTERM (their supervisor takes the workers along)
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.3; cleanup' EXIT

for tool in curl openssl; do
    if ! command -v $tool >/dev/null; then
        echo "tls tests: $tool is missing (./setup.sh --deps installs it)" >&2
        exit 1
    fi
done
CURL=(curl -s -m 10 --noproxy '*')

# start NAME PATTERN ARGS...: tests/harness.sh's start_on (a daemon and the line it prints).
start() { start_on "$@"; }

# port_of NAME PATTERN: the port of another "PATTERN 127.0.0.1:PORT" line of NAME's stderr.
port_of() { sed -n "s/.*$2 127\.0\.0\.1:\([0-9][0-9]*\)\$/\1/p" "$tmp/$1.err"; }

# ---- certificates: a self-signed one per name
mkcert() { # NAME CN [ec]
    local alg=(-newkey rsa:2048)
    [ "${3:-}" = ec ] && alg=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
    openssl req -x509 "${alg[@]}" -nodes -days 2 -subj "/CN=$2" \
        -keyout "$tmp/$1.key" -out "$tmp/$1.crt" 2>/dev/null
}
mkcert def default.test
mkcert exact a.example.com
mkcert wild wild.example.org ec
mkcert suffix suffix.test
check "test certificates made" '[ -s "$tmp/def.crt" ] && [ -s "$tmp/suffix.key" ]'

# PEM text as a YAML block scalar, indented by $2 spaces
block() { sed "s/^/$(printf '%*s' "$2" '')/" "$1"; }

start stub "listening on" stub --workers 1 --listen 127.0.0.1:0 --name s1 --seed 1
stub=$started_port
check "the stub starts" '[ -n "$stub" ]'

kong() { # FILE: the configuration, three certificates (nested snis, top-level snis)
    cat >"$1" <<YAML
_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:$stub
    routes:
      - {name: all, paths: [/]}
certificates:
  - id: c-exact
    cert: |
$(block "$tmp/exact.crt" 6)
    key: |
$(block "$tmp/exact.key" 6)
    snis: [a.example.com]
  - id: c-wild
    cert: |
$(block "$tmp/wild.crt" 6)
    key: |
$(block "$tmp/wild.key" 6)
    snis:
      - name: "*.example.org"
  - id: c-suffix
    cert: |
$(block "$tmp/suffix.crt" 6)
    key: |
$(block "$tmp/suffix.key" 6)
    cert_alt: |
$(block "$tmp/wild.crt" 6)
    key_alt: |
$(block "$tmp/wild.key" 6)
snis:
  - name: api.example.*
    certificate: {id: c-suffix}
YAML
}
kong "$tmp/kong.yaml"

# ---- errors
"$FL" gateway --workers 1 --config "$tmp/kong.yaml" --tls-listen 127.0.0.1:0 \
    --tls-cert "$tmp/nope.crt" --tls-key "$tmp/def.key" >/dev/null 2>"$tmp/err"
check "a missing --tls-cert file exits 2 naming the option" \
    '[ $? = 2 ] && grep -q -- "--tls-cert .*nope.crt: No such file" "$tmp/err"'
"$FL" gateway --workers 1 --config "$tmp/kong.yaml" --tls-listen 127.0.0.1:0 \
    --tls-cert "$tmp/def.crt" >/dev/null 2>"$tmp/err"
check "--tls-cert without --tls-key exits 2" '[ $? = 2 ] && grep -q -- "--tls-key" "$tmp/err"'
"$FL" gateway --workers 1 --config "$tmp/kong.yaml" --tls-listen 127.0.0.1:0 \
    --tls-cert "$tmp/def.crt" --tls-key "$tmp/exact.key" >/dev/null 2>"$tmp/err"
check "a key that is not the certificate's exits 2" \
    '[ $? = 2 ] && grep -q "does not match" "$tmp/err"'
line=$(grep -n "BEGIN CERTIFICATE" "$tmp/kong.yaml" | sed -n 2p | cut -d: -f1)
sed "${line}s/BEGIN CERTIFICATE/BEGIN CERTIFICAT/" "$tmp/kong.yaml" >"$tmp/bad.yaml"
"$FL" gateway --workers 1 --config "$tmp/bad.yaml" --tls-listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
check "a bad PEM in the configuration is FILE:LINE:COL, exit 2" \
    "[ \$? = 2 ] && grep -q \"bad.yaml:$((line - 1)):11: certificate cert: not a PEM certificate\" \"\$tmp/err\""
sed 's/certificate: {id: c-suffix}/certificate: {id: c-none}/' "$tmp/kong.yaml" >"$tmp/bad.yaml"
"$FL" gateway --workers 1 --config "$tmp/bad.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
check "an sni naming no certificate exits 2" \
    '[ $? = 2 ] && grep -q "no certificate with id .c-none." "$tmp/err"'
sed 's/- name: "\*.example.org"/- name: "a.*.org"/' "$tmp/kong.yaml" >"$tmp/bad.yaml"
"$FL" gateway --workers 1 --config "$tmp/bad.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
check "a wildcard inside a name exits 2" '[ $? = 2 ] && grep -q "leftmost or rightmost" "$tmp/err"'
printf '_format_version: "3.0"\nservices: []\n' >"$tmp/empty.yaml"
"$FL" gateway --workers 1 --config "$tmp/empty.yaml" --tls-listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
check "no certificate at all exits 2" '[ $? = 2 ] && grep -q "needs a certificate" "$tmp/err"'
"$FL" gateway --workers 2 --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
    >/dev/null 2>"$tmp/err"
check "two addresses with two workers exits 2" '[ $? = 2 ] && grep -q "not both" "$tmp/err"'

# ---- the gateway: plain and TLS
start gw "listening for TLS on" gateway --workers 1 --config "$tmp/kong.yaml" --seed 1 \
    --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 --tls-cert "$tmp/def.crt" --tls-key "$tmp/def.key" \
    --header-timeout 2s --verbose
tls=$started_port
gw_pid=$started_pid
plain=$(port_of gw "listening on")
check "the gateway listens on both ports" '[ -n "$tls" ] && [ -n "$plain" ]'

out=$("${CURL[@]}" --cacert "$tmp/exact.crt" --resolve "a.example.com:$tls:127.0.0.1" \
    "https://a.example.com:$tls/hello")
check "HTTPS through the gateway gets the stub's answer (certificate verified)" \
    '[[ "$out" == *"\"stub\":\"s1\""* && "$out" == *"\"path\":\"/hello\""* ]]'
out=$("${CURL[@]}" "http://127.0.0.1:$plain/plain")
check "plain HTTP on --listen still served" '[[ "$out" == *"\"path\":\"/plain\""* ]]'

# subject SNI: the CN the gateway's certificate has for that server name
subject() {
    local sni=(-servername "$1")
    [ "$1" = - ] && sni=(-noservername)
    timeout 10 openssl s_client -connect "127.0.0.1:$tls" "${sni[@]}" </dev/null 2>/dev/null |
        sed -n 's/^subject=CN *= *//p'
}
check "SNI a.example.com: its certificate" '[ "$(subject a.example.com)" = a.example.com ]'
check "SNI A.Example.COM: the same (names are not case-sensitive)" '[ "$(subject A.Example.COM)" = a.example.com ]'
check "SNI x.example.org: the *.example.org certificate" '[ "$(subject x.example.org)" = wild.example.org ]'
check "SNI a.b.example.org: the default (a wildcard is one label)" '[ "$(subject a.b.example.org)" = default.test ]'
subject_sigalg() { # SNI SIGALGS: the subject with only those signature algorithms offered
    timeout 10 openssl s_client -connect "127.0.0.1:$tls" -servername "$1" -sigalgs "$2" \
        </dev/null 2>/dev/null | sed -n 's/^subject=CN *= *//p'
}
check "SNI api.example.net, RSA signatures: the api.example.* certificate" \
    '[ "$(subject_sigalg api.example.net rsa_pss_rsae_sha256:RSA+SHA256)" = suffix.test ]'
check "SNI api.example.net, ECDSA signatures: its cert_alt" \
    '[ "$(subject_sigalg api.example.net ECDSA+SHA256)" = wild.example.org ]'
check "SNI a.example.com, ECDSA signatures: refused (no ECDSA pair of its own)" \
    '[ -z "$(subject_sigalg a.example.com ECDSA+SHA256)" ]'
check "an unknown SNI: the default (--tls-cert)" '[ "$(subject other.test)" = default.test ]'
check "no SNI: the default" '[ "$(subject -)" = default.test ]'

# ---- versions and ciphers: "Cipher is X" on success, "(NONE)" when refused
handshake() { # s_client options...: prints the negotiated "VERSION CIPHER", or "refused"
    timeout 10 openssl s_client -connect "127.0.0.1:$tls" -servername a.example.com "$@" \
        </dev/null 2>&1 | sed -n 's/^New, \(.*\), Cipher is \(.*\)$/\1 \2/p' |
        sed 's/^(NONE) (NONE)$/refused/' | head -1
}
check "TLS 1.0 refused" '[ "$(handshake -tls1 -cipher DEFAULT@SECLEVEL=0)" = refused ]'
check "TLS 1.1 refused" '[ "$(handshake -tls1_1 -cipher DEFAULT@SECLEVEL=0)" = refused ]'
check "TLS 1.2 with AES128-SHA (no forward secrecy, CBC) refused" \
    '[ "$(handshake -tls1_2 -cipher AES128-SHA)" = refused ]'
check "TLS 1.2 with ECDHE-RSA-AES128-SHA (CBC) refused" \
    '[ "$(handshake -tls1_2 -cipher ECDHE-RSA-AES128-SHA)" = refused ]'
check "TLS 1.2 with ECDHE-RSA-AES128-GCM-SHA256 accepted" \
    '[ "$(handshake -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)" = "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" ]'
check "TLS 1.3 accepted" '[[ "$(handshake -tls1_3)" == "TLSv1.3 TLS_"* ]]'

# ---- plain HTTP to the TLS port
code=$(curl -s -m 5 --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$tls/" 2>/dev/null)
rc=$?
check "plain HTTP to the TLS port fails (no answer)" '[ $rc != 0 ] && [ "$code" = 000 ]'
check "... the gateway logs why" 'grep -q "TLS handshake failed: http request" "$tmp/gw.err"'
out=$("${CURL[@]}" -k "https://127.0.0.1:$tls/after")
check "... and serves on" '[[ "$out" == *"\"path\":\"/after\""* ]]'

# ---- a stalled handshake: a TLS record header, then nothing; closed at --header-timeout (2s)
exec 3<>"/dev/tcp/127.0.0.1/$tls"
printf '\026\003\001\000\200' >&3
start_s=$(date +%s.%N)
timeout 8 cat <&3 >/dev/null
held=$(awk -v a="$start_s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
exec 3<&-
check "a stalled handshake is closed at --header-timeout (held ${held}s)" \
    'awk -v h="$held" "BEGIN { exit !(h >= 1.5 && h < 7) }"'

# ---- handshaking connections count against the connection limits: with room for 3 per
# address, 3 stalled handshakes fill it; a 4th connection closes the oldest (idle) of them
start gwl "listening for TLS on" gateway --workers 1 --config "$tmp/kong.yaml" --seed 1 \
    --tls-listen 127.0.0.1:0 --tls-cert "$tmp/def.crt" --tls-key "$tmp/def.key" \
    --max-conns-per-ip 3 --header-timeout 30s
gwl=$started_port
for fd in 4 5 6; do
    eval "exec $fd<>/dev/tcp/127.0.0.1/$gwl"
    printf '\026\003\001\000\200' >&$fd
    sleep 0.2
done
out=$("${CURL[@]}" -k "https://127.0.0.1:$gwl/room")
check "3 stalled handshakes fill --max-conns-per-ip 3; a 4th client is still served" \
    '[[ "$out" == *"\"path\":\"/room\""* ]]'
timeout 3 cat <&4 >/dev/null
rc4=$?
timeout 1 cat <&6 >/dev/null
rc6=$?
exec 4<&- 5<&- 6<&-
check "... the oldest stalled handshake was closed for it (EOF), the newest not (still open)" \
    '[ $rc4 = 0 ] && [ $rc6 = 124 ]'

# ---- resumption: the session saved by one connection resumes on the next
resumed() { # version option: "New" then "Reused"?
    rm -f "$tmp/sess"
    (sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$tls" "$1" -sess_out "$tmp/sess" \
        2>/dev/null | grep -o '^New' | head -1
    (sleep 0.3) | timeout 10 openssl s_client -connect "127.0.0.1:$tls" "$1" -sess_in "$tmp/sess" \
        2>/dev/null | grep -o '^Reused' | head -1
}
check "TLS 1.3 sessions resume" '[ "$(resumed -tls1_3 | tr "\n" " ")" = "New Reused " ]'
check "TLS 1.2 sessions resume" '[ "$(resumed -tls1_2 | tr "\n" " ")" = "New Reused " ]'

# ---- a handshake flood against a keep-alive client
flood_s=6
flood() { # a loop of batches of parallel new handshakes, some never finished
    local end=$((SECONDS + flood_s))
    while [ $SECONDS -lt $end ]; do
        for _ in $(seq 10); do
            timeout 5 openssl s_client -connect "127.0.0.1:$tls" </dev/null >/dev/null 2>&1 &
        done
        printf 'GET / HTTP/1.1\r\n\r\n' | timeout 2 openssl s_client -connect "127.0.0.1:$tls" \
            -quiet >/dev/null 2>&1
        wait
    done
}
flood &
f1=$!
flood &
f2=$!
timeout $((flood_s + 10)) openssl s_time -connect "127.0.0.1:$tls" -new -time "$flood_s" \
    >"$tmp/s_time.out" 2>&1 &
f3=$!
pids+=("$f1" "$f2" "$f3")
sleep 1
urls=()
for i in $(seq 40); do urls+=("https://a.example.com:$tls/ka/$i"); done
curl -s --noproxy '*' -m 20 --rate 10/s --cacert "$tmp/exact.crt" \
    --resolve "a.example.com:$tls:127.0.0.1" -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "${urls[@]}" >"$tmp/ka.out" 2>/dev/null
wait "$f1" "$f2" "$f3" 2>/dev/null
ok200=$(grep -c '^200 ' "$tmp/ka.out")
conns=$(awk '{ n += $2 } END { print n + 0 }' "$tmp/ka.out")
flood_n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]*s;.*/\1/p' "$tmp/s_time.out" | head -1)
check "during a handshake flood ($flood_n s_time handshakes and the s_client batches), a keep-alive client's 40 requests all get 200 (got $ok200)" \
    '[ "$ok200" = 40 ]'
check "... on one connection (connects: $conns)" '[ "$conns" = 1 ]'
check "... and the flood's handshakes were served (s_time: ${flood_n:-none})" '[ "${flood_n:-0}" -gt 0 ]'

kill -TERM "$gw_pid"
wait_s=0
while kill -0 "$gw_pid" 2>/dev/null && [ $wait_s -lt 100 ]; do sleep 0.05; wait_s=$((wait_s + 1)); done
check "the gateway stops cleanly on SIGTERM" '! kill -0 "$gw_pid" 2>/dev/null && wait "$gw_pid"'
check "its summary counts handshakes, resumptions and failures" \
    'grep -Eq "tls: [1-9][0-9]* handshakes \([1-9][0-9]* resumed\), [1-9][0-9]* failed" "$tmp/gw.err"'
echo "tls tests: the gateway's$(grep -o ' tls: .*' "$tmp/gw.err")"

# ---- two workers on the TLS port only: one set of ticket keys, so any worker resumes
start gw2 "listening on" gateway --workers 2 --config "$tmp/kong.yaml" --seed 1 \
    --tls-listen 127.0.0.1:0
tls=$started_port
check "two workers serve the TLS port alone" '[ -n "$tls" ]'
out=$("${CURL[@]}" -k "https://127.0.0.1:$tls/w")
check "... HTTPS through them" '[[ "$out" == *"\"path\":\"/w\""* ]]'
rm -f "$tmp/sess"
(sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$tls" -sess_out "$tmp/sess" >/dev/null 2>&1
reused=0
for _ in $(seq 8); do
    (sleep 0.2) | timeout 10 openssl s_client -connect "127.0.0.1:$tls" -sess_in "$tmp/sess" \
        2>/dev/null | grep -q '^Reused' && reused=$((reused + 1))
done
check "... a session resumes on whichever worker takes the connection (8 of 8: $reused)" '[ $reused = 8 ]'
kill -TERM "$started_pid"
wait_exit_s=0
while kill -0 "$started_pid" 2>/dev/null && [ $wait_exit_s -lt 100 ]; do sleep 0.05; wait_exit_s=$((wait_exit_s + 1)); done
check "... and they stop on SIGTERM" '! kill -0 "$started_pid" 2>/dev/null'

# ---- TLS to upstreams: `openssl s_server -www` behind services with protocol https
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$tmp/up.key" -out "$tmp/up.crt" 2>/dev/null
up1=$(free_port)
up2=$(free_port)
openssl s_server -accept "127.0.0.1:$up1" -cert "$tmp/up.crt" -key "$tmp/up.key" -www -quiet \
    </dev/null >/dev/null 2>&1 &
pids+=($!)
openssl s_server -accept "127.0.0.1:$up2" -cert "$tmp/exact.crt" -key "$tmp/exact.key" -www -quiet \
    </dev/null >/dev/null 2>&1 &
pids+=($!)
for p in $up1 $up2; do
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done
cat >"$tmp/up.yaml" <<YAML
_format_version: "3.0"
services:
  - name: open
    url: https://127.0.0.1:$up2
    routes: [{name: open, paths: [/open]}]
  - name: verified
    url: https://localhost:$up1
    tls_verify: true
    routes: [{name: verified, paths: [/verified]}]
  - name: wrong-name
    url: https://localhost:$up2
    tls_verify: true
    retries: 0
    routes: [{name: wrong-name, paths: [/wrong-name]}]
YAML
cat "$tmp/up.crt" "$tmp/exact.crt" >"$tmp/trusted.pem"
# the trusted CAs: OpenSSL's default store, here a file of the two certificates
SSL_CERT_FILE=$tmp/trusted.pem start gwu "listening on" gateway --workers 1 --config "$tmp/up.yaml" \
    --listen 127.0.0.1:0 --verbose
gwu=$started_port
check "a gateway with https services starts" '[ -n "$gwu" ]'
out=$("${CURL[@]}" -m 20 -w '\n%{http_code}' "http://127.0.0.1:$gwu/open")
check "https service, tls_verify off (Kong's default): the upstream's answer over TLS" \
    '[[ "$out" == *"Cipher is"* && "$out" == *$'"'"'\n200'"'"' ]]'
# (openssl s_server serves one connection at a time: under a loaded machine a first try can
# find it still closing the previous one; one more try, and the gateway's log if both fail)
for _ in 1 2; do
    out=$("${CURL[@]}" -m 20 -w '\n%{http_code}' "http://127.0.0.1:$gwu/verified")
    [[ "$out" == *$'\n200' ]] && break
done
check "tls_verify true, a trusted certificate for the service's host: 200" \
    '[[ "$out" == *"Cipher is"* && "$out" == *$'"'"'\n200'"'"' ]]' || tail -5 "$tmp/gwu.err" >&2
code=$("${CURL[@]}" -m 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gwu/wrong-name")
check "tls_verify true, a trusted certificate for another name: 502" '[ "$code" = 502 ]'
check "... the gateway logs the hostname mismatch" 'grep -q "TLS handshake failed: .*hostname mismatch" "$tmp/gwu.err"'
sed "s/url: https:\/\/localhost:$up1/url: https:\/\/127.0.0.1:$up2/" "$tmp/up.yaml" >"$tmp/bad.yaml"
"$FL" gateway --workers 1 --config "$tmp/bad.yaml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err"
check "one address with and without tls_verify exits 2" '[ $? = 2 ] && grep -q "other TLS settings" "$tmp/err"'

echo "tls tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
