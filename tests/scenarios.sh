#!/usr/bin/env bash
# scenarios.sh - tests of the faultline command as a user runs it:
#  - help and usage errors;
#  - every malformed scenario in tests/bad/ exits 2 with a located message
#    (and the one its "# expect:" line names), quickly, writing nothing;
#  - every bundled scenario in scenarios/ runs and its assertions hold;
#  - the same scenario and seed give byte-identical summaries and digest,
#    another seed another digest;
#  - --set and --seed change the run; a failing assertion exits 1.
# Usage: FAULTLINE=build/faultline bash tests/scenarios.sh
set -u
cd "$(dirname "$0")/.."
FL=${FAULTLINE:-build/faultline}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$2"; then ok; else no "$1"; fi; }

# ---- help and usage
"$FL" --help >"$tmp/out" 2>&1; check "faultline --help exits 0" '[ $? = 0 ] && grep -q "usage: faultline" "$tmp/out"'
"$FL" run --help >"$tmp/out" 2>&1; check "run --help exits 0" '[ $? = 0 ] && grep -q -- "--seed N" "$tmp/out"'
"$FL" >/dev/null 2>&1; check "no command exits 2" '[ $? = 2 ]'
"$FL" frobnicate >/dev/null 2>&1; check "unknown command exits 2" '[ $? = 2 ]'
"$FL" run >/dev/null 2>&1; check "run without a file exits 2" '[ $? = 2 ]'
"$FL" run scenarios/checkout.yaml --bogus >/dev/null 2>&1; check "unknown option exits 2" '[ $? = 2 ]'
"$FL" run scenarios/checkout.yaml --seed x >/dev/null 2>&1; check "bad seed exits 2" '[ $? = 2 ]'
"$FL" run /nonexistent.yaml >/dev/null 2>"$tmp/err"; check "missing file exits 2" '[ $? = 2 ] && grep -q "/nonexistent.yaml: No such file" "$tmp/err"'

# ---- malformed scenarios
for f in tests/bad/*.yaml; do
    out="$tmp/bad-$(basename "$f" .yaml)"
    timeout 10 "$FL" run "$f" --out "$out" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    msg=$(head -1 "$tmp/err")
    expect=$(sed -n 's/^# expect: //p' "$f" | head -1)
    if [ $rc != 2 ]; then no "$f: exit $rc, expected 2 ($msg)"; continue; fi
    if ! grep -qE "^$(printf '%s' "$f" | sed 's/[.]/\\./g'):[0-9]+:[0-9]+: " <<<"$msg"; then
        no "$f: message not located as FILE:LINE:COL: ($msg)"; continue
    fi
    if [ -n "$expect" ] && ! grep -qF -- "$expect" <<<"$msg"; then
        no "$f: expected '$expect' in: $msg"; continue
    fi
    if [ -e "$out" ]; then no "$f: wrote $out despite the error"; continue; fi
    ok
done

# ---- bundled scenarios: they run and their assertions hold
for f in scenarios/*.yaml; do
    "$FL" run "$f" --quiet --out "$tmp/run-$(basename "$f" .yaml)" 2>"$tmp/err"
    rc=$?
    check "$f: exit $rc ($(head -1 "$tmp/err"))" '[ $rc = 0 ]'
done

# ---- determinism
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/d1" &&
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/d2" &&
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/d3" --seed 43
check "two runs: byte-identical summary.txt" 'cmp -s "$tmp/d1/summary.txt" "$tmp/d2/summary.txt"'
check "two runs: byte-identical summary.json" 'cmp -s "$tmp/d1/summary.json" "$tmp/d2/summary.json"'
digest() { sed -n 's/.*"digest": "\([0-9a-f]*\)".*/\1/p' "$1"; }
d1=$(digest "$tmp/d1/summary.json"); d2=$(digest "$tmp/d2/summary.json"); d3=$(digest "$tmp/d3/summary.json")
check "digest is 64 hex digits" '[ ${#d1} = 64 ]'
check "same seed, same digest" '[ -n "$d1" ] && [ "$d1" = "$d2" ]'
check "another seed, another digest" '[ -n "$d3" ] && [ "$d1" != "$d3" ]'
check "the digest is printed in summary.txt" 'grep -q "digest $d1" "$tmp/d1/summary.txt"'
check "summary.txt is what the terminal shows" '"$FL" run scenarios/checkout.yaml --out "$tmp/d4" | grep -q "$(head -1 "$tmp/d1/summary.txt")"'

# ---- overrides and exit statuses
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/s1" --set duration=10s --set services.inventory.replicas=1
check "--set applies (10s, one inventory pod)" 'grep -q "\"sim_seconds\": 1[0-9]\." "$tmp/s1/summary.json" && [ $(grep -c "\"name\": \"inventory-" "$tmp/s1/summary.json") = 1 ]'
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/s2" --set services.nope.replicas=1 2>"$tmp/err"
check "--set on a missing path exits 2" '[ $? = 2 ] && grep -q "no .nope. there" "$tmp/err"'
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/s3" --set duration=fast 2>"$tmp/err"
check "--set with a bad value names the override" '[ $? = 2 ] && grep -q "^--set duration=fast: " "$tmp/err"'
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/s4" --set "assertions.0.p99=< 1ms" 2>"$tmp/err"
check "a failing assertion exits 1 and says how to replay" '[ $? = 1 ] && grep -q "replay with: faultline run scenarios/checkout.yaml --seed 42" "$tmp/err"'
check "the failing assertion is listed" 'grep -q "FAIL  route /api/v1/checkout p99 < 1ms" "$tmp/s4/summary.txt"'

echo "scenario tests: $pass passed, $fail failed"
[ $fail = 0 ]
