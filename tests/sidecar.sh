#!/usr/bin/env bash
# sidecar.sh - `faultline sidecar` on loopback: two stubs talk through two
# sidecars over mutual TLS, with certificates of `faultline ca`:
#   curl -> sidecar A (outbound) -> mTLS -> sidecar B (inbound) -> stub B
# B's workload has PeerAuthentication STRICT and an AuthorizationPolicy
# allowing only principal cluster.local/ns/default/sa/client (A's):
#  - usage errors: no certificate, --outbound without --upstream, a bad
#    policy file (FILE:LINE:COL): exit 2;
#  - a request through A reaches stub B (200), which learns A's SPIFFE id
#    from x-forwarded-client-cert (B's element appended to what came);
#  - plaintext straight to B's inbound port, and to its --inbound-plain port
#    (STRICT), is refused: no HTTP answer, nothing reaches the stub;
#  - a client certificate of the right CA is served when curl presents it
#    straight to B (the control), one from another CA is refused, one past
#    its --ttl 3s is refused (it was served before it expired);
#  - without a PeerAuthentication (PERMISSIVE) the plaintext port serves,
#    and a forged x-forwarded-client-cert does not reach the application;
#  - a sidecar C whose SPIFFE id is sa/intruder gets 403 "RBAC: access
#    denied" and nothing reaches the stub (counted with x-stub-served);
#  - rotation under load: four loops of requests through A while A's
#    certificate is issued again twice and A gets SIGHUP: no request fails,
#    and A says it reloaded; B's own certificate rotated: new handshakes
#    show the new one (openssl s_client), and a key file that does not load
#    keeps the one in use.
# Every wait is bounded; whatever was started is killed on exit.
# Usage: FAULTLINE=build/faultline bash tests/sidecar.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

for tool in curl openssl; do
    if ! command -v $tool >/dev/null; then
        echo "sidecar tests: $tool is missing (./setup.sh --deps installs it)" >&2
        exit 1
    fi
done
CURL=(curl -s -m 5 --noproxy '*')

# start NAME PATTERN ARGS...: tests/harness.sh's start_on (a daemon and the line it prints).
start() { start_on "$@"; }
# port NAME PATTERN: the port of another "PATTERN 127.0.0.1:PORT" line.
port() { sed -n "s/.*$2 127\.0\.0\.1:\([0-9][0-9]*\)\$/\1/p" "$tmp/$1.err"; }

# ---- certificates
"$FL" ca init "$tmp/ca" >/dev/null
"$FL" ca init "$tmp/other" >/dev/null
"$FL" ca issue "$tmp/ca" --sa server --out "$tmp/b" >/dev/null
"$FL" ca issue "$tmp/ca" --sa client --out "$tmp/a" >/dev/null
"$FL" ca issue "$tmp/ca" --sa intruder --out "$tmp/c" >/dev/null
"$FL" ca issue "$tmp/other" --sa client --out "$tmp/o" >/dev/null
ROOT=$tmp/ca/root-cert.pem

cat >"$tmp/istio.yaml" <<'EOF'
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: default
spec:
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: only-client
  namespace: default
spec:
  selector:
    matchLabels:
      app: server
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/client"]
EOF

# ---- usage errors
"$FL" sidecar --inbound 127.0.0.1:0 --app 127.0.0.1:1 2>"$tmp/u1.err"
check "no certificate: exit 2" '[ $? -eq 2 ] && grep -q -- "--cert" "$tmp/u1.err"'
"$FL" sidecar --cert "$tmp/a-chain.pem" --key "$tmp/a-key.pem" --bundle "$ROOT" \
    --inbound 127.0.0.1:0 --app 127.0.0.1:1 --outbound 127.0.0.1:0 2>"$tmp/u2.err"
check "--outbound without --upstream: exit 2" '[ $? -eq 2 ] && grep -q -- "--upstream" "$tmp/u2.err"'
printf 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: x\nspec:\n  mtls:\n    mode: SOMETIMES\n' >"$tmp/bad.yaml"
"$FL" sidecar --cert "$tmp/a-chain.pem" --key "$tmp/a-key.pem" --bundle "$ROOT" \
    --inbound 127.0.0.1:0 --app 127.0.0.1:1 --config "$tmp/bad.yaml" 2>"$tmp/u3.err"
check "a bad policy file: exit 2, FILE:LINE:COL" \
    '[ $? -eq 2 ] && grep -q "bad.yaml:[0-9]*:[0-9]*:" "$tmp/u3.err"'
"$FL" sidecar --cert "$tmp/a-chain.pem" --key "$tmp/b-key.pem" --bundle "$ROOT" \
    --inbound 127.0.0.1:0 --app 127.0.0.1:1 2>"$tmp/u4.err"
check "a key that is not the certificate's: exit 2" '[ $? -eq 2 ]'

# ---- the mesh
start stub "listening on" stub --listen 127.0.0.1:0 --name b --workers 1 --echo x-forwarded-client-cert || no "stub starts"
STUB=$started_port
start sb "inbound listening on" sidecar --cert "$tmp/b-chain.pem" --key "$tmp/b-key.pem" \
    --bundle "$ROOT" --inbound 127.0.0.1:0 --inbound-plain 127.0.0.1:0 \
    --app "127.0.0.1:$STUB" --config "$tmp/istio.yaml" --label app=server --verbose ||
    no "sidecar B starts"
B=$started_port
echo "$started_pid" >"$tmp/sb.pid"
BPLAIN=$(port sb "inbound-plain listening on")
check "B is STRICT" 'grep -q "mTLS mode STRICT" "$tmp/sb.err"'
start sa "outbound listening on" sidecar --cert "$tmp/a-chain.pem" --key "$tmp/a-key.pem" \
    --bundle "$ROOT" --inbound 127.0.0.1:0 --app 127.0.0.1:1 \
    --outbound 127.0.0.1:0 --upstream "127.0.0.1:$B" || no "sidecar A starts"
A=$started_port
APID=$started_pid
start sc "outbound listening on" sidecar --cert "$tmp/c-chain.pem" --key "$tmp/c-key.pem" \
    --bundle "$ROOT" --inbound 127.0.0.1:0 --app 127.0.0.1:1 \
    --outbound 127.0.0.1:0 --upstream "127.0.0.1:$B" || no "sidecar C starts"
C=$started_port

# served: the stub's count so far (a request straight to it, which it counts too)
served() { "${CURL[@]}" -D - -o /dev/null "http://127.0.0.1:$STUB/count" | tr -d '\r' | sed -n 's/^x-stub-served: //p'; }

"${CURL[@]}" -D "$tmp/h1" -o "$tmp/b1" "http://127.0.0.1:$A/hello"
check "through A -> mTLS -> B: 200 from stub b" \
    'grep -q "^HTTP/1.1 200" "$tmp/h1" && grep -q "^x-stub: b" "$tmp/h1" && grep -q "\"path\":\"/hello\"" "$tmp/b1"'
check "stub b learns the caller from x-forwarded-client-cert" \
    'grep -q "^x-stub-saw-x-forwarded-client-cert: By=spiffe://cluster.local/ns/default/sa/server;URI=spiffe://cluster.local/ns/default/sa/client" "$tmp/h1"'
"${CURL[@]}" -H 'x-forwarded-client-cert: By=x;URI=spiffe://forged' -D "$tmp/h2" -o /dev/null "http://127.0.0.1:$A/forged"
check "a forged x-forwarded-client-cert is kept in front, the sidecar's element last" \
    'grep -q "^x-stub-saw-x-forwarded-client-cert: By=x;URI=spiffe://forged,By=spiffe://cluster.local/ns/default/sa/server;URI=spiffe://cluster.local/ns/default/sa/client" "$tmp/h2"'
check "B verified A's SPIFFE id" 'grep -q "peer spiffe://cluster.local/ns/default/sa/client" "$tmp/sb.err"'

n0=$(served)
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$B/plain")
check "plaintext to B's inbound port: refused (no HTTP answer)" '[ "$code" = 000 ]'
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BPLAIN/plain")
check "plaintext to B's plaintext port under STRICT: refused" '[ "$code" = 000 ]'
n1=$(served)
check "nothing of the plaintext reached the stub ($n0 then $n1)" '[ "$n1" = $((n0 + 1)) ]'

# straight to B with curl's client certificate (-k: the server's has no DNS name)
direct() { "${CURL[@]}" -k --cert "$tmp/$1-chain.pem" --key "$tmp/$1-key.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$B/direct"; }
# issued here, just before its first use: the daemons' starts before it may take seconds
# under a sanitizer on a loaded machine
"$FL" ca issue "$tmp/ca" --sa client --ttl 3s --out "$tmp/e" >/dev/null
e_issued=$(date +%s%N)
code=$(direct e)
check "a certificate of the CA, before it expires: served (200)" '[ "$code" = 200 ]'
code=$(direct a)
check "a certificate of the CA: served (200)" '[ "$code" = 200 ]'
code=$(direct o)
check "a client certificate of another CA: refused" '[ "$code" = 000 ]'
check "... B says why" 'grep -q "TLS handshake failed" "$tmp/sb.err"'
"${CURL[@]}" -k -o /dev/null "https://127.0.0.1:$B/nocert"
check "no client certificate: refused" '[ $? -ne 0 ]'
# the 3 s certificate: wait until 4 s after it was issued (bounded by construction)
left_ms=$(((e_issued + 4000000000 - $(date +%s%N)) / 1000000))
if [ "$left_ms" -gt 0 ]; then sleep "$(printf '%d.%03d' $((left_ms / 1000)) $((left_ms % 1000)))"; fi
code=$(direct e)
check "an expired certificate: refused" '[ "$code" = 000 ]'
check "... B says it expired" 'grep -q "certificate has expired" "$tmp/sb.err"'
n2=$(served)
check "only the two served certificates reached the stub ($n1 then $n2)" '[ "$n2" = $((n1 + 3)) ]'

"${CURL[@]}" -D "$tmp/h3" -o "$tmp/b3" "http://127.0.0.1:$C/secret"
check "C (sa/intruder) is denied by the AuthorizationPolicy: 403 RBAC: access denied" \
    'grep -q "^HTTP/1.1 403" "$tmp/h3" && grep -q "RBAC: access denied" "$tmp/b3"'
n3=$(served)
check "nothing of C's request reached the stub ($n2 then $n3)" '[ "$n3" = $((n2 + 1)) ]'

# PERMISSIVE (no PeerAuthentication): the plaintext port serves, without a caller's id
start sd "inbound-plain listening on" sidecar --cert "$tmp/b-chain.pem" --key "$tmp/b-key.pem" \
    --bundle "$ROOT" --inbound 127.0.0.1:0 --inbound-plain 127.0.0.1:0 \
    --app "127.0.0.1:$STUB" --verbose || no "sidecar D starts"
"${CURL[@]}" -H 'x-forwarded-client-cert: By=x;URI=spiffe://forged' -D "$tmp/h5" -o /dev/null \
    "http://127.0.0.1:$started_port/permissive"
check "PERMISSIVE by default: plaintext served, a forged x-forwarded-client-cert removed" \
    'grep -q "mTLS mode PERMISSIVE" "$tmp/sd.err" && grep -q "^HTTP/1.1 200" "$tmp/h5" && grep -q "^x-stub-saw-x-forwarded-client-cert: -.$" "$tmp/h5"'

# ---- rotation under load
loop() {
    local i
    for i in $(seq 60); do
        "${CURL[@]}" -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$A/load/$1/$i"
    done >"$tmp/load.$1"
}
loops=()
for k in 1 2 3 4; do
    loop $k &
    loops+=($!)
done
sleep 0.3
"$FL" ca issue "$tmp/ca" --sa client --out "$tmp/a" >/dev/null
kill -HUP "$APID"
sleep 0.3
"$FL" ca issue "$tmp/ca" --sa client --out "$tmp/a" >/dev/null
kill -HUP "$APID"
for p in "${loops[@]}"; do wait "$p"; done
total=$(cat "$tmp"/load.* | wc -l)
ok200=$(grep -c '^200$' "$tmp"/load.* | awk -F: '{s += $2} END {print s}')
check "rotation under load: 240 requests, all 200 (got $ok200 of $total)" \
    '[ "$total" = 240 ] && [ "$ok200" = 240 ]'
check "A reloaded its certificate twice" 'grep -q "certificate reloaded (2)" "$tmp/sa.err"'
# after rotation, a new connection from A uses the new certificate: still allowed
"${CURL[@]}" -H 'Connection: close' -D "$tmp/h4" -o /dev/null "http://127.0.0.1:$A/after"
check "after rotation: 200" 'grep -q "^HTTP/1.1 200" "$tmp/h4"'

# B's own certificate rotated: new handshakes show the new one (its serial), a file
# that does not load keeps the one in use
BPID=$(sed -n 1p "$tmp/sb.pid")
serial_seen() {
    openssl s_client -connect "127.0.0.1:$B" -cert "$tmp/a-chain.pem" -key "$tmp/a-key.pem" \
        </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}
old_serial=$(openssl x509 -noout -serial -in "$tmp/b-cert.pem")
check "B shows its certificate" '[ "$(serial_seen)" = "$old_serial" ]'
"$FL" ca issue "$tmp/ca" --sa server --out "$tmp/b" >/dev/null
new_serial=$(openssl x509 -noout -serial -in "$tmp/b-cert.pem")
kill -HUP "$BPID"
for _ in $(seq 100); do grep -q "certificate reloaded (1)" "$tmp/sb.err" && break; sleep 0.05; done
check "after SIGHUP, B's new handshakes show the new certificate" \
    '[ "$new_serial" != "$old_serial" ] && [ "$(serial_seen)" = "$new_serial" ]'
echo garbage >"$tmp/b-key.pem"
kill -HUP "$BPID"
for _ in $(seq 100); do grep -q "keeping the certificate in use" "$tmp/sb.err" && break; sleep 0.05; done
check "a key that does not load: B keeps the certificate in use" \
    'grep -q "keeping the certificate in use" "$tmp/sb.err" && [ "$(serial_seen)" = "$new_serial" ]'

echo "sidecar tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
