#!/usr/bin/env bash
# compare.sh - `faultline compare` as a user runs it:
#  - help, and usage errors (unknown option, a missing value, one variant,
#    -f before any FILE, a folder without run.db) exit 2 naming the problem;
#    a broken scenario exits 2 with its located message and writes nothing;
#  - two retry settings of scenarios/mesh-retries.yaml over 5 seeds give
#    byte-identical compare.json and compare.txt with -j 1 and -j 2, paired
#    (common random numbers), and a significant rise of the error rate with
#    fewer attempts;
#  - M/M/1 against a slower server: significant; the same scenario twice:
#    every difference exactly 0 and "not significant";
#  - common random numbers narrow the interval of a difference at least 3x
#    against --no-crn (Welch, seeds of its own);
#  - a finished run folder against the same scenario and seed: every
#    difference exactly 0, shown without an interval;
#  - progress on a terminal only, and not with --quiet.
# The runs are short (10 s to 60 s simulated): each command takes well under a second.
# Usage: FAULTLINE=build/faultline bash tests/compare.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

# compare.json flattened to PATH=VALUE lines (/comparisons/0/rows/all/p99/half=1.23), so the
# checks need no JSON tool: the file is written 2 spaces per level, one member per line.
jflat() {
    awk '
    function path(d,   p, i) { p = ""; for (i = 1; i <= d; i++) p = p "/" key[i]; return p }
    {
        match($0, /^ */); d = RLENGTH / 2; line = substr($0, RLENGTH + 1); sub(/,$/, "", line)
        if (line ~ /^"[^"]*": /) {
            k = line; sub(/^"/, "", k); sub(/": .*/, "", k); key[d] = k
            v = line; sub(/^"[^"]*": /, "", v)
            if (v == "[") n[d + 1] = -1
            else if (v != "{") print path(d) "=" v
        } else if (line == "{" || line == "[") {
            if (d > 0) { n[d]++; key[d] = n[d] }
        } else if (line != "}" && line != "]") {
            n[d]++; key[d] = n[d]; print path(d) "=" line
        }
    }' "$1"
}
# The value at PATH in a flattened file.
jget() { sed -n "s|^$2=||p" "$1"; }

# ---- help and usage
"$FL" compare --help >"$tmp/out" 2>&1
check "compare --help exits 0 and describes the options" '[ $? = 0 ] && grep -q "usage: faultline compare" "$tmp/out" && grep -q -- "--no-crn" "$tmp/out" && grep -q -- "--seeds N" "$tmp/out"'
"$FL" help >"$tmp/out" 2>&1; check "help lists compare" 'grep -q "^  compare " "$tmp/out"'
"$FL" compare scenarios/mm1.yaml scenarios/mm1.yaml --bogus >/dev/null 2>"$tmp/err"
check "an unknown option exits 2, named" '[ $? = 2 ] && grep -q "unknown option .--bogus." "$tmp/err"'
"$FL" compare scenarios/mm1.yaml scenarios/mm1.yaml --seeds >/dev/null 2>"$tmp/err"
check "a missing value exits 2, named" '[ $? = 2 ] && grep -q -- "--seeds needs a value" "$tmp/err"'
"$FL" compare scenarios/mm1.yaml scenarios/mm1.yaml --seeds two >/dev/null 2>"$tmp/err"
check "a bad --seeds exits 2" '[ $? = 2 ] && grep -q -- "--seeds needs a whole number" "$tmp/err"'
"$FL" compare scenarios/mm1.yaml scenarios/mm1.yaml -j 0 >/dev/null 2>"$tmp/err"
check "a bad -j exits 2" '[ $? = 2 ] && grep -q -- "-j needs a whole number from 1 to 64" "$tmp/err"'
"$FL" compare scenarios/mm1.yaml --set duration=1s >/dev/null 2>"$tmp/err"
check "one variant exits 2" '[ $? = 2 ] && grep -q "at least two variants" "$tmp/err"'
"$FL" compare -f x.yaml scenarios/mm1.yaml scenarios/mm1.yaml >/dev/null 2>"$tmp/err"
check "-f before any FILE exits 2" '[ $? = 2 ] && grep -q -- "-f belongs to a variant" "$tmp/err"'
mkdir -p "$tmp/empty"
"$FL" compare scenarios/mm1.yaml "$tmp/empty" >/dev/null 2>"$tmp/err"
check "a folder without run.db exits 2" '[ $? = 2 ] && grep -q "a folder without run.db" "$tmp/err"'
expect=$(sed -n 's/^# expect: //p' tests/bad/bad-distribution.yaml)
"$FL" compare scenarios/mm1.yaml tests/bad/bad-distribution.yaml --out "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
check "a broken scenario exits 2 with its located message, writing nothing" \
    '[ $? = 2 ] && [ "$(head -1 "$tmp/err")" = "$expect" ] && [ ! -s "$tmp/out" ] && [ ! -e "$tmp/bad" ]'

# ---- two retry settings, -j 1 and -j 2
MR=(scenarios/mesh-retries.yaml --set duration=10s)
ATT=mesh.VirtualService/search.spec.http.0.retries.attempts
for j in 1 2; do
    "$FL" compare "${MR[@]}" "${MR[@]}" --set $ATT=1 --seeds 5 -j $j --out "$tmp/retries-j$j" \
        >"$tmp/retries-j$j.out" 2>"$tmp/err"
    check "retries compare -j $j exits 0, nothing on stderr (no terminal: no progress)" '[ $? = 0 ] && [ ! -s "$tmp/err" ]'
done
check "-j 1 and -j 2 give byte-identical compare.json" 'cmp -s "$tmp/retries-j1/compare.json" "$tmp/retries-j2/compare.json"'
check "... and compare.txt, which is what stdout showed" 'cmp -s "$tmp/retries-j1/compare.txt" "$tmp/retries-j2/compare.txt" && head -n -2 "$tmp/retries-j1.out" | cmp -s - "$tmp/retries-j1/compare.txt"'
jflat "$tmp/retries-j1/compare.json" >"$tmp/r.flat"
check "common random numbers: the same seeds 41..45, paired" '[ "$(jget "$tmp/r.flat" /comparisons/0/method)" = "\"paired\"" ] && [ "$(jget "$tmp/r.flat" /variants/1/seeds/4)" = 45 ] && [ "$(jget "$tmp/r.flat" /variants/0/seeds/0)" = 41 ] && grep -q "^common random numbers" "$tmp/retries-j1.out"'
# 0.2^2 = 4% of requests fail with 1 retry against 0.2^4 = 0.16% with 3: on 5000 requests a
# run the binomial sd of a run's rate is 0.3%, the difference 3.8% is over 10 sd
check "one attempt instead of three: the error rate rises, significantly" '[ "$(jget "$tmp/r.flat" /comparisons/0/rows/all/error_rate/significant)" = true ] && grep -qE "^  error %.*\+[0-9.]+±[0-9.]+ \(\+[0-9]+%\) +significant$" "$tmp/retries-j1.out"'
check "assertions per variant: A 5 of 5, B 0 of 5 (error_rate < 0.5%)" 'grep -q "^  A   5 of 5$" "$tmp/retries-j1.out" && grep -q "^  B   0 of 5$" "$tmp/retries-j1.out" && grep -q "failed in 5 of 5: error_rate < 0.5%" "$tmp/retries-j1.out"'
# (± is two bytes, one column: made one byte first, whatever awk's idea of characters)
check "no line wider than 100 columns" '[ "$(sed "s/±/+/g" "$tmp/retries-j1/compare.txt" | awk "{ if (length(\$0) > m) m = length(\$0) } END { print m + 0 }")" -le 100 ]'
check "no wall-clock time in the outputs" '! grep -qiE "elapsed|wall|[0-9]+:[0-9]+:[0-9]+" "$tmp/retries-j1/compare.txt" "$tmp/retries-j1/compare.json"'

# ---- M/M/1: a much slower server is significantly slower; the same scenario twice is not
MM=(scenarios/mm1.yaml --set duration=60s)
# Load 0.9 -> 0.945: the mean time in system goes from 10 ms to 19.1 ms; the paired
# differences of the mean scatter by about 2.3 ms (sd) between seeds, so over 5 seeds the
# difference is about 9 of its standard errors, the interval's half about 3.
"$FL" compare "${MM[@]}" "${MM[@]}" --set services.server.service_time.mean=1.05ms --seeds 5 -j 2 \
    --out "$tmp/slow" >"$tmp/slow.out" 2>"$tmp/err"
check "M/M/1 against a slower server exits 0" '[ $? = 0 ]'
jflat "$tmp/slow/compare.json" >"$tmp/s.flat"
check "... the mean and P50 are significantly longer" '[ "$(jget "$tmp/s.flat" /comparisons/0/rows/all/mean/significant)" = true ] && [ "$(jget "$tmp/s.flat" "/comparisons/0/rows//serve/p50/significant")" = true ] && grep -qE "^  mean ms .*\+[0-9.]+±[0-9.]+ \(\+[0-9.]+%\) +significant$" "$tmp/slow.out"'
"$FL" compare "${MM[@]}" "${MM[@]}" --seeds 5 -j 2 --out "$tmp/same" >"$tmp/same.out" 2>"$tmp/err"
jflat "$tmp/same/compare.json" >"$tmp/m.flat"
# 13 figures: 7 for every request (end-to-end amplification included), 6 for the route
check "the same scenario twice: every difference exactly 0 with a zero interval" '[ "$(grep -E "^/comparisons/0/rows/[^=]*/(difference|half)=" "$tmp/m.flat" | grep -cv "=null$")" = 26 ] && ! grep -E "^/comparisons/0/rows/[^=]*/(difference|half)=" "$tmp/m.flat" | grep -v "=null$" | grep -qv "=0.000000000$"'
check "... and never significant, said plainly" '! grep -q "/significant=true" "$tmp/m.flat" && [ "$(grep -c "not significant (interval contains 0)$" "$tmp/same.out")" = 13 ] && ! grep -qE "  significant$" "$tmp/same.out"'

# ---- common random numbers against independent seeds
# A small change (1 ms -> 1.01 ms): with the same seeds the two runs' queues rise and fall
# together and the difference scatters little; measured 5.9x narrower for the mean.
for crn in crn no-crn; do
    flag=; [ $crn = no-crn ] && flag=--no-crn
    "$FL" compare "${MM[@]}" "${MM[@]}" --set services.server.service_time.mean=1.01ms --seeds 10 \
        $flag --quiet --out "$tmp/$crn" 2>"$tmp/err"
    jflat "$tmp/$crn/compare.json" >"$tmp/$crn.flat"
done
hc=$(jget "$tmp/crn.flat" /comparisons/0/rows/all/mean/half)
hn=$(jget "$tmp/no-crn.flat" /comparisons/0/rows/all/mean/half)
check "common random numbers narrow the mean's difference interval at least 3x ($hc vs $hn)" \
    'awk -v c="$hc" -v n="$hn" "BEGIN { exit !(c > 0 && n >= 3 * c) }"'
check "--no-crn: Welch, the variants on seeds of their own (B from 52)" '[ "$(jget "$tmp/no-crn.flat" /comparisons/0/method)" = "\"welch\"" ] && [ "$(jget "$tmp/no-crn.flat" /variants/1/seeds/0)" = 52 ] && grep -q "^independent seeds (--no-crn)" "$tmp/no-crn/compare.txt"'

# ---- a finished run against the same scenario and seed
"$FL" run "${MM[@]}" --out "$tmp/run" --quiet --no-plots 2>/dev/null
"$FL" compare "$tmp/run" "${MM[@]}" --seeds 1 --seed 42 --out "$tmp/fin" >"$tmp/fin.out" 2>"$tmp/err"
check "a finished run compared with a scenario exits 0" '[ $? = 0 ] && grep -q "a finished run, seed 42" "$tmp/fin.out"'
jflat "$tmp/fin/compare.json" >"$tmp/f.flat"
check "... read back, it equals the replication run again: every difference exactly 0" '[ "$(grep -E "^/comparisons/0/rows/[^=]*/difference=" "$tmp/f.flat" | grep -cv "=null$")" = 13 ] && ! grep -E "^/comparisons/0/rows/[^=]*/difference=" "$tmp/f.flat" | grep -v "=null$" | grep -qv "=0.000000000$"'
check "... without an interval, saying so" '[ "$(jget "$tmp/f.flat" /comparisons/0/method)" = "\"none\"" ] && [ "$(jget "$tmp/f.flat" /comparisons/0/rows/all/p99/half)" = null ] && [ "$(grep -c "no interval (one replication)$" "$tmp/fin.out")" = 13 ]'
"$FL" compare "${MM[@]}" "$tmp/run" --seeds 3 --quiet >/dev/null 2>&1
check "a finished run as the second variant, the file run with --seeds" '[ $? = 0 ]'

# ---- progress on a terminal (script(1) gives the command one), none with --quiet or into a file
if command -v script >/dev/null; then
    script -qc "$FL compare ${MM[*]} ${MM[*]} --seeds 3 -j 2 >/dev/null" /dev/null </dev/null \
        | tr '\r' '\n' >"$tmp/tty"
    check "progress on a terminal: runs done of the total, time left" 'grep -q "runs 6 / 6 .*about 0s left" "$tmp/tty"'
    script -qc "$FL compare ${MM[*]} ${MM[*]} --seeds 3 -j 2 --quiet" /dev/null </dev/null >"$tmp/tty"
    check "... nothing with --quiet" '[ ! -s "$tmp/tty" ]'
fi

echo "compare tests: $pass passed, $fail failed"
[ $fail = 0 ]
