#!/usr/bin/env bash
# auth.sh - Kong authentication on the live gateway, on loopback, driven
# with curl and tokens minted by `faultline token` (and `openssl`):
#  - jwt with HS256 (alice), RS256 (carol) and ES256 (erin) credentials:
#    valid tokens reach the stub, which sees Kong's X-Consumer-* headers;
#  - every attack is answered by the gateway and reaches nothing: alg none,
#    HS256 keyed with carol's RSA public key (algorithm confusion), a
#    changed signature, an edited payload, expired and not-yet-valid tokens
#    and one over maximum_expiration (with and without a skewed clock: the
#    token's times moved as a skewed issuer would), an unknown key claim,
#    no key claim, a 48 KiB token (and a 70 KB one, over the gateway's
#    header limit: 431), malformed base64 and JSON, a valid token
#    of a consumer the acl does not allow (403);
#  - key-auth on another route: no key, a wrong key, a good key (header and
#    query argument), hide_credentials;
#  - rate-limiting limit_by consumer: alice's limit does not touch carol.
# The stub counts what it served (x-stub-served): after all the attacks it
# has served exactly the valid requests.
# Usage: FAULTLINE=build/faultline bash tests/auth.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

for t in curl openssl; do
    if ! command -v $t >/dev/null; then
        echo "auth tests: $t is missing (./setup.sh installs it)" >&2
        exit 1
    fi
done
CURL=(curl -s -m 5 --noproxy '*')

# ---- keys and the Kong file
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/carol.pem" 2>/dev/null
openssl pkey -in "$tmp/carol.pem" -pubout -out "$tmp/carol.pub" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/erin.pem" 2>/dev/null
openssl pkey -in "$tmp/erin.pem" -pubout -out "$tmp/erin.pub" 2>/dev/null
indent() { sed 's/^/          /' "$1"; }
cat >"$tmp/kong.yaml" <<EOF
_format_version: "3.0"
services:
  - name: billing
    url: http://127.0.0.1:STUB
    routes:
      - name: api
        paths: [/api]
        plugins:
          - {name: jwt, config: {claims_to_verify: [exp, nbf], maximum_expiration: 86400}}
          - {name: acl, config: {allow: [customers]}}
          - {name: rate-limiting, config: {minute: 5, limit_by: consumer}}
      - name: keyed
        paths: [/keyed]
        plugins:
          - {name: key-auth, config: {hide_credentials: true}}
consumers:
  - username: alice
    jwt_secrets: [{key: alice-iss, secret: alice-secret}]
    keyauth_credentials: [{key: alice-key}]
    acls: [{group: customers}]
  - username: carol
    jwt_secrets:
      - key: carol-iss
        algorithm: RS256
        rsa_public_key: |
$(indent "$tmp/carol.pub")
    acls: [{group: customers}]
  - username: erin
    jwt_secrets:
      - key: erin-iss
        algorithm: ES256
        rsa_public_key: |
$(indent "$tmp/erin.pub")
    acls: [{group: customers}]
  - username: mallory
    jwt_secrets: [{key: mallory-iss, secret: mallory-secret}]
EOF

start stub stub --listen 127.0.0.1:0 --workers 1 --echo X-Consumer-Username \
    --echo X-Credential-Identifier --echo apikey ||
    { echo "auth tests: the stub did not start" >&2; exit 1; }
stub=$started_port
sed -i "s/STUB/$stub/" "$tmp/kong.yaml"
start gw gateway --config "$tmp/kong.yaml" --listen 127.0.0.1:0 --workers 1 \
    --max-header-size 64KiB ||
    { echo "auth tests: the gateway did not start"; cat "$tmp/gw.err"; exit 1; } >&2
gw=$started_port

valid=0 # requests that must reach the stub
# req NAME CURL-ARGS...: one request; its status in $status, headers in $tmp/NAME.h, body $tmp/NAME.b
req() {
    local name=$1
    shift
    status=$("${CURL[@]}" -o "$tmp/$name.b" -D "$tmp/$name.h" -w '%{http_code}' "$@")
}
header() { tr -d '\r' <"$tmp/$1.h" | sed -n "s/^$2: //Ip" | head -1; }
tok() { "$FL" token "$@" 2>"$tmp/token.err"; }

# ---- valid tokens
t_alice=$(tok --alg HS256 --secret alice-secret --claim iss=alice-iss --exp 10m --nbf -1m)
req alice "http://127.0.0.1:$gw/api/x" -H "Authorization: Bearer $t_alice"
check "alice's HS256 token: 200" '[ "$status" = 200 ]'
check "the stub sees X-Consumer-Username alice" '[ "$(header alice x-stub-saw-X-Consumer-Username)" = alice ]'
check "... and X-Credential-Identifier alice-iss" '[ "$(header alice x-stub-saw-X-Credential-Identifier)" = alice-iss ]'
valid=$((valid + 1))
t_carol=$(tok --alg RS256 --key "$tmp/carol.pem" --claim iss=carol-iss --exp 10m --nbf -1m)
req carol "http://127.0.0.1:$gw/api/x" -H "Authorization: Bearer $t_carol"
check "carol's RS256 token: 200" '[ "$status" = 200 ] && [ "$(header carol x-stub-saw-X-Consumer-Username)" = carol ]'
valid=$((valid + 1))
t_erin=$(tok --alg ES256 --key "$tmp/erin.pem" --claim iss=erin-iss --exp 10m --nbf -1m)
req erin "http://127.0.0.1:$gw/api/x?jwt=$t_erin"
check "erin's ES256 token as ?jwt=: 200" '[ "$status" = 200 ] && [ "$(header erin x-stub-saw-X-Consumer-Username)" = erin ]'
valid=$((valid + 1))

# ---- attacks: each refused by the gateway with Kong's answer
# refused NAME STATUS BODY TOKEN: the token as a bearer gets STATUS and exactly BODY
refused() {
    req "$1" "http://127.0.0.1:$gw/api/x" -H "Authorization: Bearer $4"
    local body want_status=$2 want_body=$3
    body=$(cat "$tmp/$1.b")
    check "$1: $2 $3" '[ "$status" = "$want_status" ] && [ "$body" = "$want_body" ]'
}
refused alg-none 401 '{"message":"Bad token; invalid alg"}' \
    "$(tok --alg none --claim iss=carol-iss --exp 10m --nbf -1m)"
refused confusion 401 '{"message":"Invalid algorithm"}' \
    "$(tok --alg HS256 --secret-file "$tmp/carol.pub" --claim iss=carol-iss --exp 10m --nbf -1m)"
# a changed signature: one character in its middle
sig=${t_carol##*.}
mid=$((${#sig} / 2))
c=${sig:$mid:1}
[ "$c" = A ] && n=B || n=A
refused bad-signature 401 '{"message":"Invalid signature"}' "${t_carol%.*}.${sig:0:$mid}$n${sig:$((mid + 1))}"
# an edited payload: mallory's claims under carol's signature
t_m=$(tok --alg HS256 --secret x --claim iss=carol-iss --exp 10m --nbf -1m --claim admin=true)
p=${t_m#*.}
p=${p%%.*}
refused payload-edit 401 '{"message":"Invalid signature"}' "${t_carol%%.*}.$p.${t_carol##*.}"
refused expired 401 '{"exp":"token expired"}' \
    "$(tok --alg HS256 --secret alice-secret --claim iss=alice-iss --exp -1s --nbf -1m)"
refused not-yet-valid 401 '{"nbf":"token not valid yet"}' \
    "$(tok --alg HS256 --secret alice-secret --claim iss=alice-iss --exp 10m --nbf 5m)"
refused over-maximum 401 '{"exp":"exceeds maximum allowed expiration"}' \
    "$(tok --alg HS256 --secret alice-secret --claim iss=alice-iss --exp 25h --nbf -1m)"
# an issuer whose clock runs 2 hours fast: nbf in our future, refused; one 2 hours slow: expired
now=$(date +%s)
refused skew-fast 401 '{"nbf":"token not valid yet"}' \
    "$(tok --alg HS256 --secret alice-secret --claim iss=alice-iss --now $((now + 7200)) --exp 10m --nbf -1m)"
refused skew-slow 401 '{"exp":"token expired"}' \
    "$(tok --alg HS256 --secret alice-secret --claim iss=alice-iss --now $((now - 7200)) --exp 10m --nbf -1m)"
refused unknown-iss 401 "{\"message\":\"No credentials found for given 'iss'\"}" \
    "$(tok --alg HS256 --secret alice-secret --claim iss=nobody --exp 10m --nbf -1m)"
refused no-iss 401 "{\"message\":\"No mandatory 'iss' in claims\"}" \
    "$(tok --alg HS256 --secret alice-secret --claim sub=alice --exp 10m --nbf -1m)"
big=$(head -c 49152 /dev/zero | tr '\0' A)
refused oversize 401 '{"message":"Bad token; invalid JSON"}' "${t_alice%.*}$big.${t_alice##*.}"
big=$(head -c 70000 /dev/zero | tr '\0' A)
req huge "http://127.0.0.1:$gw/api/x" -H "Authorization: Bearer ${t_alice%.*}$big.${t_alice##*.}"
check "a 70 KB token: 431 from the gateway's header limit" '[ "$status" = 431 ]'
refused bad-base64 401 '{"message":"Bad token; invalid JSON"}' "${t_alice%%.*}.!!!.${t_alice##*.}"
refused bad-json 401 '{"message":"Bad token; invalid JSON"}' "${t_alice%%.*}.eyJpc3MiOi.${t_alice##*.}"
refused other-consumer 403 '{"message":"You cannot consume this service"}' \
    "$(tok --alg HS256 --secret mallory-secret --claim iss=mallory-iss --exp 10m --nbf -1m)"
req none "http://127.0.0.1:$gw/api/x"
check "no token: 401 Unauthorized" '[ "$status" = 401 ] && [ "$(cat "$tmp/none.b")" = "{\"message\":\"Unauthorized\"}" ]'

# ---- key-auth
req nokey "http://127.0.0.1:$gw/keyed/x"
check "key-auth, no key: 401 with WWW-Authenticate" '[ "$status" = 401 ] && [ "$(header nokey www-authenticate)" = "Key realm=\"kong\"" ]'
req badkey "http://127.0.0.1:$gw/keyed/x" -H "apikey: guess"
check "key-auth, a wrong key: 401" '[ "$status" = 401 ] && [ "$(cat "$tmp/badkey.b")" = "{\"message\":\"Invalid authentication credentials\"}" ]'
req goodkey "http://127.0.0.1:$gw/keyed/x" -H "apikey: alice-key"
check "key-auth, alice's key: 200, the key hidden from the stub" '[ "$status" = 200 ] && [ "$(header goodkey x-stub-saw-apikey)" = - ] && [ "$(header goodkey x-stub-saw-X-Consumer-Username)" = alice ]'
valid=$((valid + 1))
req querykey "http://127.0.0.1:$gw/keyed/x?apikey=alice-key"
check "key-auth, the key as a query argument: 200" '[ "$status" = 200 ]'
valid=$((valid + 1))

# ---- rate-limiting by consumer: 5 a minute each; alice has used 1 of hers, carol 1
codes=
for _ in 1 2 3 4 5; do
    req rl "http://127.0.0.1:$gw/api/x" -H "Authorization: Bearer $t_alice"
    codes="$codes$status "
done
check "alice: 4 more requests then 429 (limit_by consumer)" '[ "$codes" = "200 200 200 200 429 " ]'
valid=$((valid + 4))
req carol2 "http://127.0.0.1:$gw/api/x" -H "Authorization: Bearer $t_carol"
check "carol is counted on her own: 200" '[ "$status" = 200 ]'
valid=$((valid + 1))

# ---- the stub served exactly the valid requests: nothing of the attacks reached it
check "the stub served the $valid valid requests and nothing else" '[ "$(header carol2 x-stub-served)" = "$valid" ]'

echo "auth tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
