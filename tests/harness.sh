# harness.sh - what the shell test drivers (scenarios.sh, live.sh, attack.sh, auth.sh)
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

# start_on NAME PATTERN ARGS...: runs `faultline ARGS...` in the background
# (stderr in $tmp/NAME.err) and waits up to 10 s for its line "... PATTERN
# 127.0.0.1:PORT". Sets $started_pid and $started_port (empty if it did not
# come up); returns 1 then.
start_on() {
    local name=$1 pattern=$2
    shift 2
    "$FL" "$@" 2>"$tmp/$name.err" &
    started_pid=$!
    pids+=("$started_pid")
    started_port=
    for _ in $(seq 200); do
        started_port=$(sed -n "s/.*$pattern 127\.0\.0\.1:\([0-9][0-9]*\)\$/\1/p" "$tmp/$name.err" 2>/dev/null)
        [ -n "$started_port" ] && return 0
        kill -0 "$started_pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# start NAME ARGS...: start_on for the daemons that say "listening on".
start() {
    local name=$1
    shift
    start_on "$name" "listening on" "$@"
}
