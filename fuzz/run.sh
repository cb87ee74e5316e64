#!/usr/bin/env bash
# run.sh - what `make fuzz` and `make fuzz-replay` run (see the Makefile):
#
#   run.sh check              clang and libFuzzer are installed (else: how to install them)
#   run.sh run TARGET...      each target under libFuzzer for FUZZ_TIME seconds, one at a time
#   run.sh replay TARGET...   each target's replay driver on its seeds and past crashes
#
# Environment: BUILD (the build folder holding fuzz/fuzz-TARGET or fuzz/replay-TARGET),
# FUZZ_TIME (seconds per target, default 60), FUZZ_CC (default clang).
#
# A target's seeds are fuzz/corpus/TARGET; the scenario target also starts from the
# bundled and the malformed scenarios (scenarios/, tests/bad/), read where they are.
# Past crashes, kept as regression inputs, are fuzz/crashes/TARGET/. libFuzzer adds
# the inputs it finds interesting to BUILD/corpus/TARGET (kept between runs) and
# writes what crashes, leaks, hangs or breaks a sanitizer to BUILD/findings/TARGET/.
# `run` prints libFuzzer's final figures per target and fails if anything was found.
# The runs are sequential and niced: one core each, one after the other.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fuzz}
FUZZ_TIME=${FUZZ_TIME:-60}

seeds() {
    case "$1" in
        scenario) echo "fuzz/corpus/scenario scenarios tests/bad" ;;
        *) echo "fuzz/corpus/$1" ;;
    esac
}

dict() {
    case "$1" in
        http1) echo fuzz/http.dict ;;
        *) echo fuzz/yaml.dict ;;
    esac
}

# Largest input libFuzzer makes: a few times the largest seed that matters.
max_len() {
    case "$1" in
        http1) echo 4096 ;;
        *) echo 8192 ;;
    esac
}

check() {
    local cc=${FUZZ_CC:-clang} tmp rc
    if ! command -v "$cc" >/dev/null; then
        echo "make fuzz: $cc is not installed; './setup.sh --fuzz' installs clang and" \
            "libFuzzer (Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
        return 1
    fi
    tmp=$(mktemp -d)
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        >"$tmp/t.c"
    "$cc" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" 2>"$tmp/err"
    rc=$?
    if [ $rc != 0 ]; then
        echo "make fuzz: $cc cannot link libFuzzer ($(head -1 "$tmp/err")); './setup.sh" \
            "--fuzz' installs it (Debian 12: apt-get install libclang-rt-14-dev)" >&2
    fi
    rm -rf "$tmp"
    return $rc
}

# The figures of libFuzzer's last status line ("#N DONE cov: C ft: F corp: U/S ... exec/s: E").
figure() {
    sed -n "s/.* $1: \([^ ]*\).*/\1/p" <<<"$2"
}

run_one() {
    local t=$1 log="$BUILD/logs/$1.log" found_before found_after rc last secs
    mkdir -p "$BUILD/corpus/$t" "$BUILD/findings/$t" "$BUILD/logs"
    found_before=$(ls "$BUILD/findings/$t" | wc -l)
    # shellcheck disable=SC2046
    nice -n 10 "$BUILD/fuzz/fuzz-$t" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" -dict="$(dict "$t")" -print_final_stats=1 \
        -artifact_prefix="$BUILD/findings/$t/" "$BUILD/corpus/$t" $(seeds "$t") >"$log" 2>&1
    rc=$?
    found_after=$(ls "$BUILD/findings/$t" | wc -l)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
    printf 'fuzz %-8s %5ss %10s runs %7s exec/s  cov %6s  ft %6s  corpus %s' "$t" "${secs:--}" \
        "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
        "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
        "$(figure cov "$last")" "$(figure ft "$last")" "$(figure corp "$last")"
    if [ $rc = 0 ] && [ "$found_after" = "$found_before" ]; then
        echo "  ok"
        return 0
    fi
    echo "  FOUND (exit $rc): $BUILD/findings/$t/, log $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: contract|faultline: assertion|artifact_prefix|Test unit written)' \
        "$log" | head -8 | sed 's/^/    /'
    return 1
}

run() {
    local fail=0
    for t in "$@"; do run_one "$t" || fail=1; done
    if [ $fail != 0 ]; then
        echo "make fuzz: findings above: minimize each ($BUILD/fuzz/fuzz-TARGET -minimize_crash=1" \
            "-runs=100000 -exact_artifact_path=fuzz/crashes/TARGET/NAME FINDING) and fix it" >&2
    fi
    return $fail
}

replay() {
    local fail=0 dirs
    for t in "$@"; do
        dirs=$(seeds "$t")
        [ -d "fuzz/crashes/$t" ] && dirs="$dirs fuzz/crashes/$t"
        # shellcheck disable=SC2086
        "$BUILD/fuzz/replay-$t" $dirs || fail=1
    done
    return $fail
}

cmd=${1:-}
shift || true
case "$cmd" in
    check) check ;;
    run) run "$@" ;;
    replay) replay "$@" ;;
    *)
        echo "usage: fuzz/run.sh check | run TARGET... | replay TARGET..." >&2
        exit 2
        ;;
esac
