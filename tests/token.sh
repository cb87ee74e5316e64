#!/usr/bin/env bash
# token.sh - `faultline token` checked against the openssl command, an
# independent implementation:
#  - HS256/384/512 tokens: the signature part is openssl's HMAC over
#    header.payload (also with a --secret-base64 secret);
#  - RS256 and ES256 tokens verify with `openssl dgst -verify` (the ES256
#    r||s rebuilt as DER with asn1parse), and an edited payload does not;
#  - the JWK set's n and e are the modulus and exponent openssl prints, and
#    an EC JWK's x and y its public point;
#  - the header and claims exactly (JSON values, --iat-now, --exp, --nbf,
#    --now), the same token twice with --now, alg none unsigned;
#  - help, and usage errors exit 2 naming the option.
# Usage: FAULTLINE=build/faultline bash tests/token.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

# base64url (no padding) to bytes, and bytes to base64url.
b64d() {
    local s
    s=$(tr '_-' '/+' <<<"$1")
    case $((${#s} % 4)) in 2) s="$s==" ;; 3) s="$s=" ;; esac
    base64 -d <<<"$s"
}
b64e() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
part() { cut -d. -f"$2" <<<"$1"; }
hex() { od -An -v -tx1 | tr -d ' \n' | tr 'a-f' 'A-F'; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa.pem" 2>/dev/null
openssl pkey -in "$tmp/rsa.pem" -pubout -out "$tmp/rsa-pub.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.pem" 2>/dev/null
openssl pkey -in "$tmp/ec.pem" -pubout -out "$tmp/ec-pub.pem"

# ---- help
"$FL" token --help >"$tmp/out" 2>&1
check "token --help exits 0 and describes the options" '[ $? = 0 ] && grep -q "usage: faultline token" "$tmp/out" && grep -q -- "--jwks" "$tmp/out" && grep -q -- "--claim NAME=VALUE" "$tmp/out"'
"$FL" help >"$tmp/out" 2>&1; check "help lists token" 'grep -q "^  token " "$tmp/out"'

# ---- HMAC, against openssl's
for bits in 256 384 512; do
    t=$("$FL" token --alg HS$bits --secret 's3cr3t key' --claim iss=alice --now 1700000000)
    want=$(printf %s "$(part "$t" 1).$(part "$t" 2)" | openssl dgst -sha$bits -hmac 's3cr3t key' -binary | b64e)
    check "HS$bits: the signature is openssl's HMAC-SHA$bits of header.payload" '[ -n "$want" ] && [ "$(part "$t" 3)" = "$want" ]'
    check "HS$bits: the header" '[ "$(b64d "$(part "$t" 1)")" = "{\"alg\":\"HS$bits\",\"typ\":\"JWT\"}" ]'
done
# A binary secret given in base64 (Kong's secret_is_base64): openssl takes it in hex.
t=$("$FL" token --secret '3q2+7wABAgP/' --secret-base64 --kid k9 --now 1)
want=$(printf %s "$(part "$t" 1).$(part "$t" 2)" | openssl dgst -sha256 -mac HMAC -macopt hexkey:deadbeef00010203ff -binary | b64e)
check "--secret-base64: HMAC with the decoded bytes" '[ -n "$want" ] && [ "$(part "$t" 3)" = "$want" ]'
t2=$("$FL" token --secret '3q2-7wABAgP_' --secret-base64 --kid k9 --now 1)
check "--secret-base64 takes the base64url alphabet too" '[ "$t2" = "$t" ]'
check "--kid goes into the header" '[ "$(b64d "$(part "$t" 1)")" = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k9\"}" ]'
printf 'file secret\n' >"$tmp/secret"
t=$("$FL" token --secret-file "$tmp/secret" --now 1)
want=$(printf %s "$(part "$t" 1).$(part "$t" 2)" | openssl dgst -sha256 -hmac "$(printf 'file secret\n')" -binary | b64e)
want_nl=$(printf %s "$(part "$t" 1).$(part "$t" 2)" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf 'file secret\n' | hex) -binary | b64e)
check "--secret-file: every byte of the file is the secret (its newline too)" '[ "$(part "$t" 3)" = "$want_nl" ] && [ "$want" != "$want_nl" ]'

# ---- claims
t=$("$FL" token --secret s --claim iss=alice --claim 'aud=["a","b"]' --claim n=42 --claim ok=true \
    --claim 'q="7"' --claim word=hello --iat-now --nbf -1m --exp 10m --now 1700000000)
check "claims: JSON values, then iat, nbf, exp from --now" '[ "$(b64d "$(part "$t" 2)")" = "{\"iss\":\"alice\",\"aud\":[\"a\",\"b\"],\"n\":42,\"ok\":true,\"q\":\"7\",\"word\":\"hello\",\"iat\":1700000000,\"nbf\":1699999940,\"exp\":1700000600}" ]'
t2=$("$FL" token --secret s --claim iss=alice --claim 'aud=["a","b"]' --claim n=42 --claim ok=true \
    --claim 'q="7"' --claim word=hello --iat-now --nbf -1m --exp 10m --now 1700000000)
check "the same options with --now give the same token" '[ "$t" = "$t2" ]'
t=$("$FL" token --secret s --exp -1h --now 1700000000)
check "--exp -1h is an hour in the past" '[ "$(b64d "$(part "$t" 2)")" = "{\"exp\":1699996400}" ]'
before=$(date +%s)
t=$("$FL" token --secret s --iat-now)
after=$(date +%s)
iat=$(b64d "$(part "$t" 2)" | sed 's/.*"iat":\([0-9]*\).*/\1/')
check "--iat-now without --now is the clock's time" '[ "$iat" -ge "$before" ] && [ "$iat" -le "$after" ]'
t=$("$FL" token --alg none --claim iss=a)
check "--alg none: an unsigned token, empty signature part" '[ "$(b64d "$(part "$t" 1)")" = "{\"alg\":\"none\",\"typ\":\"JWT\"}" ] && [ "${t: -1}" = "." ]'

# ---- RS256 and ES256, verified by openssl
t=$("$FL" token --key "$tmp/rsa.pem" --kid r1 --claim iss=alice)
check "RS256 is the default alg of an RSA key" '[ "$(b64d "$(part "$t" 1)")" = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"r1\"}" ]'
b64d "$(part "$t" 3)" >"$tmp/rs.sig"
printf %s "$(part "$t" 1).$(part "$t" 2)" >"$tmp/rs.in"
check "RS256 verifies with openssl dgst -sha256 -verify" 'openssl dgst -sha256 -verify "$tmp/rsa-pub.pem" -signature "$tmp/rs.sig" "$tmp/rs.in" >/dev/null'
printf %s "$(part "$t" 1).$(printf '{"iss":"admin"}' | b64e)" >"$tmp/rs.edited"
check "... and an edited payload does not" '! openssl dgst -sha256 -verify "$tmp/rsa-pub.pem" -signature "$tmp/rs.sig" "$tmp/rs.edited" >/dev/null 2>&1'
t=$("$FL" token --alg RS512 --key "$tmp/rsa.pem")
b64d "$(part "$t" 3)" >"$tmp/rs.sig"
printf %s "$(part "$t" 1).$(part "$t" 2)" >"$tmp/rs.in"
check "RS512 verifies with openssl dgst -sha512 -verify" 'openssl dgst -sha512 -verify "$tmp/rsa-pub.pem" -signature "$tmp/rs.sig" "$tmp/rs.in" >/dev/null'
t=$("$FL" token --key "$tmp/ec.pem" --claim iss=alice)
sig=$(b64d "$(part "$t" 3)" | hex)
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sig:0:64}" "${sig:64:64}" >"$tmp/es.conf"
openssl asn1parse -genconf "$tmp/es.conf" -out "$tmp/es.der" >/dev/null
printf %s "$(part "$t" 1).$(part "$t" 2)" >"$tmp/es.in"
check "ES256: 64 bytes r||s" '[ ${#sig} = 128 ] && [ "$(b64d "$(part "$t" 1)")" = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}" ]'
check "ES256 verifies with openssl dgst -sha256 -verify (r, s as DER)" 'openssl dgst -sha256 -verify "$tmp/ec-pub.pem" -signature "$tmp/es.der" "$tmp/es.in" >/dev/null'

# ---- JWKS
"$FL" token --jwks --key "$tmp/rsa-pub.pem" --kid r1 --alg RS256 >"$tmp/jwks"
check "--jwks: one line, {\"keys\":[...]}, RSA, sig, alg, kid" 'grep -q "^{\"keys\":\[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"r1\",\"n\":\"[A-Za-z0-9_-]*\",\"e\":\"AQAB\"}\]}$" "$tmp/jwks" && [ $(wc -l <"$tmp/jwks") = 1 ]'
n=$(sed 's/.*"n":"\([^"]*\)".*/\1/' "$tmp/jwks")
e=$(sed 's/.*"e":"\([^"]*\)".*/\1/' "$tmp/jwks")
modulus=$(openssl rsa -pubin -in "$tmp/rsa-pub.pem" -noout -modulus | sed 's/^Modulus=//')
check "the JWK's n is openssl's modulus" '[ -n "$modulus" ] && [ "$(b64d "$n" | hex)" = "$modulus" ]'
check "the JWK's e is openssl's exponent (65537)" 'openssl rsa -pubin -in "$tmp/rsa-pub.pem" -noout -text | grep -q "Exponent: 65537 (0x10001)" && [ "$(b64d "$e" | hex)" = "010001" ]'
"$FL" token --jwks --key "$tmp/rsa.pem" >"$tmp/jwks2"
check "--jwks of the private key: the same public n, nothing private" '[ "$(sed "s/.*\"n\":\"\([^\"]*\)\".*/\1/" "$tmp/jwks2")" = "$n" ] && ! grep -q "\"d\"" "$tmp/jwks2"'
"$FL" token --jwks --key "$tmp/ec-pub.pem" >"$tmp/jwks"
point=$(openssl pkey -pubin -in "$tmp/ec-pub.pem" -outform DER | tail -c 65 | hex)
x=$(sed 's/.*"x":"\([^"]*\)".*/\1/' "$tmp/jwks")
y=$(sed 's/.*"y":"\([^"]*\)".*/\1/' "$tmp/jwks")
check "an EC JWK: crv P-256 and x, y of openssl's point" 'grep -q "\"kty\":\"EC\",\"crv\":\"P-256\"" "$tmp/jwks" && [ "04$(b64d "$x" | hex)$(b64d "$y" | hex)" = "$point" ]'

# ---- usage errors
usage_error() { # DESCRIPTION PATTERN ARGS...: exit 2 and PATTERN on stderr
    local what=$1 pat=$2
    shift 2
    "$FL" token "$@" >"$tmp/out" 2>"$tmp/err"
    check "$what exits 2, named" '[ $? = 2 ] && grep -q -- "$pat" "$tmp/err" && [ ! -s "$tmp/out" ]'
}
usage_error "an unknown option" "unknown argument '--bogus'" --secret s --bogus
usage_error "a missing value" "--kid needs a value" --secret s --kid
usage_error "an unknown alg" "--alg: 'HS999' is not" --alg HS999 --secret s
usage_error "no key" "a token needs --secret" --claim iss=a
usage_error "--alg without a key" "--alg needs --secret" --alg RS256
usage_error "two keys" "give one of --secret, --secret-file and --key" --secret s --key "$tmp/rsa.pem"
usage_error "a public key to sign with" "--key $tmp/rsa-pub.pem holds no private key" --key "$tmp/rsa-pub.pem"
usage_error "an alg that does not fit the key" "--alg HS256 does not fit" --alg HS256 --key "$tmp/rsa.pem"
usage_error "ES384 with a P-256 key" "--alg ES384 does not fit" --alg ES384 --key "$tmp/ec.pem"
usage_error "a missing key file" "--key $tmp/none.pem: No such file" --key "$tmp/none.pem"
usage_error "a key file that is no key" "no PEM public key" --key "$tmp/secret"
usage_error "--claim without =" "--claim needs NAME=VALUE, not 'iss'" --secret s --claim iss
usage_error "a claim twice" "--claim iss given twice" --secret s --claim iss=a --claim iss=b
usage_error "--exp and --claim exp" "--exp and --claim both set" --secret s --claim exp=1 --exp 1m
usage_error "--exp without a unit" "--exp '10': missing unit" --secret s --exp 10
usage_error "--exp of a fraction of a second" "--exp needs whole seconds" --secret s --exp 1500ms
usage_error "a bad --now" "--now needs seconds since 1970" --secret s --now yesterday
usage_error "--secret-base64 without a secret" "--secret-base64 needs --secret" --key "$tmp/rsa.pem" --secret-base64
usage_error "a secret that is not base64" "the secret is not base64" --secret 'not base64!' --secret-base64
usage_error "--alg none with a key" "--alg none signs nothing: drop --secret" --alg none --secret s
usage_error "--jwks without a key" "--jwks needs --key" --jwks
usage_error "--jwks with claims" "--claim does not go with --jwks" --jwks --key "$tmp/rsa.pem" --claim a=1
usage_error "a claim nested too deeply" "--claim: payload: too deeply nested" --secret s --claim "deep=$(printf '[%.0s' {1..20})1$(printf ']%.0s' {1..20})"
usage_error "a --kid that is not UTF-8" "--kid: kid is not UTF-8" --secret s --kid $'\xff'
usage_error "a --claim that is not UTF-8" "not UTF-8 text" --secret s --claim $'iss=\xff'
usage_error "--jwks with a --kid that is not UTF-8" "--kid: kid is not UTF-8" --jwks --key "$tmp/rsa.pem" --kid $'\xff'
usage_error "--jwks with an alg that does not fit" "alg ES256 does not fit the key" --jwks --key "$tmp/rsa.pem" --alg ES256

echo "token tests: $pass passed, $fail failed"
[ $fail = 0 ]
