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

# ---- determinism with the chaos monkey: the seed decides the faults
"$FL" run scenarios/chaos-monkey.yaml --quiet --out "$tmp/m1" &&
"$FL" run scenarios/chaos-monkey.yaml --quiet --out "$tmp/m2" &&
"$FL" run scenarios/chaos-monkey.yaml --quiet --out "$tmp/m3" --seed 8
check "monkey: same seed, byte-identical summary.json" 'cmp -s "$tmp/m1/summary.json" "$tmp/m2/summary.json"'
check "monkey: another seed, other faults" '[ "$(grep monkey# "$tmp/m1/summary.json")" != "$(grep monkey# "$tmp/m3/summary.json")" ]'
check "monkey: drawn faults are in the event log with their parameters" 'grep -q "monkey#1: .* (chaos monkey)" "$tmp/m1/summary.txt"'
"$FL" run scenarios/fault-errors.yaml --quiet --out "$tmp/f1" && "$FL" run scenarios/fault-errors.yaml --quiet --out "$tmp/f2"
check "faults: same seed, same digest" 'cmp -s "$tmp/f1/summary.json" "$tmp/f2/summary.json"'
check "faults: the trigger is in the timeline" 'grep -q "\"event\": \"trigger\"" "$tmp/f1/summary.json"'

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

# ---- golden results: every bundled scenario's digest and event count, and the README's example
bash tests/golden.sh check "$tmp" 2>"$tmp/err"
rc=$?
check "bundled scenarios give their recorded digests ($(head -3 "$tmp/err" | tr '\n' ' '))" '[ $rc = 0 ]'

# ---- hostile input: no crash, no hang, nothing written outside or half-way
FLABS=$(realpath "$FL")
min="$tmp/min.yaml"
cat >"$min" <<'YAML'
faultline: 1
duration: 1s
services: [{name: a}]
workload: [{name: c, target: a, rate: 10/s, requests: [{path: /}]}]
YAML
"$FL" run "$min" --out "$tmp/h1" --set $'newkey\xff=1' >/dev/null 2>"$tmp/err"
rc=$?
check "--set key not UTF-8: exit 2, not a crash ($(head -1 "$tmp/err"))" '[ $rc = 2 ] && grep -q "not valid UTF-8" "$tmp/err" && [ ! -e "$tmp/h1" ]'
"$FL" run "$min" --out "$tmp/h1" --set $'seed=\xff' >/dev/null 2>"$tmp/err"
rc=$?
check "--set value not UTF-8: exit 2, not silently dropped" '[ $rc = 2 ] && grep -q "byte 6 (0xff) is not valid UTF-8" "$tmp/err" && [ ! -e "$tmp/h1" ]'
"$FL" run "$min" --out "$tmp/h1" --set $'name=a\x1b[2Jb' >/dev/null 2>"$tmp/err"
rc=$?
check "--set with a control character: exit 2" '[ $rc = 2 ] && grep -q "control character (0x1b)" "$tmp/err"'
mkdir -p "$tmp/cwd/x/y"
(cd "$tmp/cwd/x/y" && "$FLABS" run "$min" --set 'name=../../../esc' >/dev/null 2>"$tmp/err")
rc=$?
check "name with '..' is refused, nothing written above reports/out" '[ $rc = 2 ] && grep -q "cannot name the output folder" "$tmp/err" && [ -z "$(find "$tmp/cwd" -name summary.txt)" ]'
printf 'faultline: 1\nname: "a/b"\nduration: 1s\nservices: [{name: a}]\nworkload: [{name: c, target: a, rate: 10/s, requests: [{path: /}]}]\n' >"$tmp/slash.yaml"
"$FL" run "$tmp/slash.yaml" --out "$tmp/h2" >/dev/null 2>"$tmp/err"
rc=$?
check "name with '/' is refused with its line and column" '[ $rc = 2 ] && grep -q "slash.yaml:2:7: name .a/b. cannot name the output folder" "$tmp/err"'
cp "$min" "$tmp/cwd/..yaml"
(cd "$tmp/cwd" && "$FLABS" run ..yaml --quiet 2>"$tmp/err")
rc=$?
check "a file name that is not a safe folder name is made one (reports/out/_)" '[ $rc = 0 ] && [ -f "$tmp/cwd/reports/out/_/summary.json" ]'
for f in tests/bad-late/*.yaml; do
    "$FL" run "$f" --out "$tmp/late" >/dev/null 2>"$tmp/err"
    check "$f: an error found after loading exits 2 and writes nothing" '[ $? = 2 ] && [ ! -e "$tmp/late" ] && [ -s "$tmp/err" ]'
done
: >"$tmp/afile"
"$FL" run "$min" --out "$tmp/afile/sub" >/dev/null 2>"$tmp/err"
rc=$?
check "an output folder under a file: exit 2 before the run" '[ $rc = 2 ] && grep -q "is not a folder" "$tmp/err"'
# a zero-time loop: a closed-loop client of a 0 ms service on an ideal network
cat >"$tmp/zero.yaml" <<'YAML'
faultline: 1
duration: 10s
services: [{name: instant, service_time: 0ms}]
workload: [{name: eager, target: instant, arrival: closed, clients: 2, requests: [{path: /}]}]
YAML
limit=""
grep -q __asan_init "$FL" 2>/dev/null || limit="ulimit -v 1000000;" # ASan maps terabytes
(eval "$limit" timeout 120 "$FL" run "$tmp/zero.yaml" --out "$tmp/z" >/dev/null 2>"$tmp/err")
rc=$?
check "a zero-time loop stops with exit 2 in bounded memory (rc $rc)" '[ $rc = 2 ] && [ ! -e "$tmp/z" ]'
check "the zero-time loop is named: workload and pod" 'grep -q "simulated time stands still at 0ns" "$tmp/err" && grep -q "workload .eager." "$tmp/err" && grep -q "pod .instant-0." "$tmp/err"'

# ---- the replay line replays the same run, overrides included
"$FL" run scenarios/checkout.yaml --quiet --out "$tmp/r1" --set duration=10s \
    --set "assertions.0.p99=< 1ms" --set "workload.0.requests.0.headers.x-note=it's here" 2>"$tmp/err"
rc=$?
check "a failing run exits 1" '[ $rc = 1 ]'
replay=$(sed -n 's/.*replay with: //p' "$tmp/err")
check "the replay line carries every --set (quoted)" 'grep -qF -- "--set '"'"'assertions.0.p99=< 1ms'"'"'" <<<"$replay"'
(eval "${replay/faultline/\"\$FL\"} --quiet --out \"\$tmp/r2\"") 2>/dev/null
check "the replay line, run as printed, gives the same digest" '[ -n "$(digest "$tmp/r1/summary.json")" ] && [ "$(digest "$tmp/r1/summary.json")" = "$(digest "$tmp/r2/summary.json")" ]'

echo "scenario tests: $pass passed, $fail failed"
[ $fail = 0 ]
