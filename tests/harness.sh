# harness.sh - what the shell test drivers (scenarios.sh, live.sh, attack.sh)
# share, sourced after `cd` to the repository: FL (the binary under test), a
# scratch folder $tmp, the daemons started ($pids, killed on exit with the
# folder removed), and the check counters:
#   check DESCRIPTION 'SHELL CONDITION'   counts a pass, or prints FAIL: DESCRIPTION
# (VERBOSE=1 prints every check as it passes).
FL=${FAULTLINE:-build/faultline}
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); if [ -n "${VERBOSE:-}" ]; then echo "ok: $*"; fi; }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
