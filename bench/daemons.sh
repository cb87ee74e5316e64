# daemons.sh - what the live benchmarks (live_bench.sh, tls_bench.sh) share,
# sourced after FL, $tmp and the pids array are set: starting a faultline
# daemon on port 0 and a free port for nginx.

# start_on NAME PATTERN ARGS...: a faultline daemon on port 0; sets $port from
# its stderr line "... PATTERN 127.0.0.1:PORT"; exits if it does not come up.
start_on() {
    local name=$1 pattern=$2
    shift 2
    "$FL" "$@" 2>"$tmp/$name.err" &
    pids+=($!)
    port=
    for _ in $(seq 100); do
        port=$(sed -n "s/.*$pattern 127\.0\.0\.1:\([0-9][0-9]*\)\$/\1/p" "$tmp/$name.err" 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "$name did not start: $(cat "$tmp/$name.err")" >&2
    exit 1
}

# start NAME ARGS...: the same for a daemon that says "listening on".
start() {
    local name=$1
    shift
    start_on "$name" "listening on" "$@"
}

# A port nothing listens on now (nginx cannot take port 0 and say which it got).
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    echo "no free port found" >&2
    exit 1
}
