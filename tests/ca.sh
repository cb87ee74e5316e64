#!/usr/bin/env bash
# ca.sh - `faultline ca` checked against the openssl command:
#  - init makes a root openssl reads as a CA (basicConstraints CA:TRUE,
#    keyCertSign), its key mode 0600; a second init into the same folder is
#    refused;
#  - issue signs a workload certificate that `openssl verify` accepts with
#    the root, whose only subjectAltName is the SPIFFE id (critical), with
#    clientAuth and serverAuth, valid for --ttl; the chain file is the
#    certificate then the root;
#  - check prints the principal (exit 0), and refuses (exit 1) an expired
#    certificate (--at past notAfter), one not valid yet (--at before), one
#    of another root, the root itself (no SPIFFE id);
#  - help, and usage errors exit 2.
# Usage: FAULTLINE=build/faultline bash tests/ca.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

now=$(date +%s)
"$FL" ca init "$tmp/ca" >"$tmp/out" 2>"$tmp/err"
check "init exits 0 and names its two files" '[ $? = 0 ] && [ "$(wc -l <"$tmp/out")" = 2 ]'
check "the root is a CA to openssl" 'openssl x509 -in "$tmp/ca/root-cert.pem" -noout -ext basicConstraints,keyUsage | grep -q "CA:TRUE" && openssl x509 -in "$tmp/ca/root-cert.pem" -noout -ext keyUsage | grep -q "Certificate Sign"'
check "the root key is private (0600)" '[ "$(stat -c %a "$tmp/ca/root-key.pem")" = 600 ]'
"$FL" ca init "$tmp/ca" 2>"$tmp/err"
check "a second init into the same folder: exit 2" '[ $? = 2 ] && grep -q "already has a root" "$tmp/err"'

"$FL" ca issue "$tmp/ca" --sa reviews --ns shop --ttl 1h --out "$tmp/reviews" >"$tmp/out"
check "issue prints the SPIFFE id first" '[ "$(head -1 "$tmp/out")" = spiffe://cluster.local/ns/shop/sa/reviews ]'
check "openssl verifies it with the root" 'openssl verify -CAfile "$tmp/ca/root-cert.pem" "$tmp/reviews-cert.pem" >/dev/null 2>&1'
san=$(openssl x509 -in "$tmp/reviews-cert.pem" -noout -ext subjectAltName 2>/dev/null | tr -d ' ' | tr '\n' '|')
check "its subjectAltName is the SPIFFE id alone, critical" '[ "$san" = "X509v3SubjectAlternativeName:critical|URI:spiffe://cluster.local/ns/shop/sa/reviews|" ]'
check "clientAuth and serverAuth" 'openssl x509 -in "$tmp/reviews-cert.pem" -noout -ext extendedKeyUsage | grep -q "TLS Web Server Authentication, TLS Web Client Authentication"'
end=$(date -d "$(openssl x509 -in "$tmp/reviews-cert.pem" -noout -enddate | cut -d= -f2)" +%s)
start=$(date -d "$(openssl x509 -in "$tmp/reviews-cert.pem" -noout -startdate | cut -d= -f2)" +%s)
check "valid for exactly --ttl 1h" '[ $((end - start)) = 3600 ] && [ $((start - now)) -ge 0 ] && [ $((start - now)) -le 5 ]'
check "the key matches the certificate" '[ "$(openssl pkey -in "$tmp/reviews-key.pem" -pubout)" = "$(openssl x509 -in "$tmp/reviews-cert.pem" -noout -pubkey)" ]'
check "the chain is the certificate, then the root" '[ "$(cat "$tmp/reviews-cert.pem" "$tmp/ca/root-cert.pem")" = "$(cat "$tmp/reviews-chain.pem")" ]'

out=$("$FL" ca check "$tmp/ca" "$tmp/reviews-cert.pem")
check "check: the principal, exit 0" '[ $? = 0 ] && [ "$out" = cluster.local/ns/shop/sa/reviews ]'
out=$("$FL" ca check "$tmp/ca" "$tmp/reviews-cert.pem" --at $((end)))
check "check at notAfter: expired, exit 1" '[ $? = 1 ] && [ "$out" = "refused: expired" ]'
out=$("$FL" ca check "$tmp/ca" "$tmp/reviews-cert.pem" --at $((start - 1)))
check "check before notBefore: not yet valid, exit 1" '[ $? = 1 ] && [ "$out" = "refused: not yet valid" ]'
"$FL" ca init "$tmp/other" >/dev/null
out=$("$FL" ca check "$tmp/other" "$tmp/reviews-cert.pem")
check "check against another root: unknown issuer, exit 1" '[ $? = 1 ] && [ "$out" = "refused: unknown issuer" ]'
out=$("$FL" ca check "$tmp/ca" "$tmp/ca/root-cert.pem")
check "the root is no workload identity" '[ $? = 1 ] && [ "$out" = "refused: no SPIFFE id" ]'
"$FL" ca issue "$tmp/ca" --spiffe spiffe://example.org/ns/a/sa/b --out "$tmp/b" >/dev/null
check "issue --spiffe: the id as given, 24h by default" '[ "$("$FL" ca check "$tmp/ca" "$tmp/b-cert.pem")" = example.org/ns/a/sa/b ] && [ $(( $(date -d "$(openssl x509 -in "$tmp/b-cert.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date -d "$(openssl x509 -in "$tmp/b-cert.pem" -noout -startdate | cut -d= -f2)" +%s) )) = 86400 ]'

"$FL" ca --help >"$tmp/out"
check "--help exits 0" '[ $? = 0 ] && grep -q "usage: faultline ca init" "$tmp/out"'
for args in "" "mint $tmp/ca" "init" "issue $tmp/ca --sa x" "issue $tmp/ca --out $tmp/x" \
    "issue $tmp/ca --sa x --spiffe spiffe://a/b --out $tmp/x" "issue $tmp/ca --spiffe http://x --out $tmp/x" \
    "check $tmp/ca" "check $tmp/ca $tmp/missing.pem" "check $tmp/ca $tmp/reviews-cert.pem --at soon" \
    "init $tmp/n --ttl 0s" "issue $tmp/nothing --sa x --out $tmp/x" "init $tmp/n --bogus 1"; do
    # shellcheck disable=SC2086
    "$FL" ca $args >/dev/null 2>"$tmp/err"
    rc=$?
    check "ca $args: exit 2 with a message" '[ $rc = 2 ] && [ -s "$tmp/err" ]'
done
check "no partial files left by the refusals" '[ ! -e "$tmp/x-cert.pem" ] && [ ! -e "$tmp/n/root-cert.pem" ]'

echo "ca tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
