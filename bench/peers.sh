#!/usr/bin/env bash
# peers.sh - faultline against the peer simulators on the same two workloads,
# timed fairly: each measured command is the simulator's own process (no
# shell or interpreter around it: bench/timeit.c runs the binary and reads
# its wall time to the microsecond and its CPU time from wait4), runs are
# paired and interleaved (faultline, peer, faultline, peer ...) so that a
# machine that slows down mid-way slows both alike, the figure is the median
# of the pairs' ratios, and every run writes into a temporary folder of its
# own, removed afterwards.
#
#   PEERS=dir FAULTLINE=build/faultline [TIMEIT=build/bench/timeit] [PAIRS=3] bash bench/peers.sh
#
# dir holds the peers' sources: c/mm1.c and c/fanout.c (the hand-written C
# event loop, built here with gcc -O2) and, when ns-3's headers are
# installed, ns3/mm1.cc. Workload A is bench/peers-A.yaml (M/M/1, 10^6
# customers), B is bench/peers-B.yaml (1000 closed-loop clients, 10
# replicas, 60 s). Prints figures only; never a verdict.
set -u
PEERS=$(realpath "${PEERS:?set PEERS to the peers folder}")
FL=$(realpath "${FAULTLINE:?set FAULTLINE to the faultline binary}")
TIMEIT=$(realpath "${TIMEIT:-$(dirname "$FL")/bench/timeit}")
[ -x "$TIMEIT" ] || { echo "peers.sh: no $TIMEIT (make $TIMEIT)" >&2; exit 1; }
PAIRS=${PAIRS:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

gcc -O2 -o "$bin/c_mm1" "$PEERS/c/mm1.c" -lm || exit 1
gcc -O2 -o "$bin/c_fanout" "$PEERS/c/fanout.c" -lm || exit 1
have_ns3=0
if [ -f /usr/include/ns3/core-module.h ] && [ -f "$PEERS/ns3/mm1.cc" ]; then
    g++ -O2 -std=c++17 -I"$PEERS/common" -o "$bin/ns3_mm1" "$PEERS/ns3/mm1.cc" -lns3-core &&
        have_ns3=1
fi

# timed NAME CMD...: runs CMD alone under timeit in a fresh folder, appends
# "wall cpu maxrss_kb" to $bin/NAME.times; the command's output goes to $bin/NAME.out.
timed() {
    local name=$1
    shift
    local dir
    dir=$(mktemp -d "$bin/run.XXXXXX")
    (cd "$dir" && "$TIMEIT" -o "$dir/time" "$@" >"$bin/$name.out" 2>&1) ||
        echo "   $name failed (see $bin/$name.out)" >&2
    awk '{ printf "%s %.6f %s\n", $1, $2 + $3, $4 }' "$dir/time" >>"$bin/$name.times"
    [ -f "$dir/out/summary.json" ] && cp "$dir/out/summary.json" "$bin/$name.json"
    rm -rf "$dir"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# pair WORKLOAD PEER CMD...: PAIRS interleaved runs of faultline and the peer, then one line.
pair() {
    local wl=$1 peer=$2
    shift 2
    rm -f "$bin"/fl.times "$bin"/peer.times
    for ((i = 1; i <= PAIRS; i++)); do
        timed fl "$FL" run "$here/peers-$wl.yaml" --quiet --no-db --out out
        timed peer "$@"
    done
    local ratios cpu_ratios fl_wall peer_wall fl_rss peer_rss
    ratios=$(paste "$bin/fl.times" "$bin/peer.times" | awk '{ print $4 / $1 }' | median)
    cpu_ratios=$(paste "$bin/fl.times" "$bin/peer.times" | awk '{ print $5 / $2 }' | median)
    fl_wall=$(cut -d' ' -f1 "$bin/fl.times" | median)
    peer_wall=$(cut -d' ' -f1 "$bin/peer.times" | median)
    fl_rss=$(cut -d' ' -f3 "$bin/fl.times" | median)
    peer_rss=$(cut -d' ' -f3 "$bin/peer.times" | median)
    local fl_fig peer_fig
    fl_fig=$(sed -n 's/.*"mean_ms": \([0-9.]*\).*/\1/p' "$bin/fl.json" | head -1)
    peer_fig=$(sed -n 's/.*mean\(_ms\)*=\([0-9.]*\).*/\2/p' "$bin/peer.out" | head -1)
    printf '%-3s %-14s %10.3f %10.3f %9.2fx %9.2fx %9d %9d %9.2f %9.2f\n' "$wl" "$peer" \
        "$fl_wall" "$peer_wall" "$ratios" "$cpu_ratios" "$fl_rss" "$peer_rss" "${fl_fig:-0}" \
        "${peer_fig:-0}"
}

echo "$PAIRS interleaved pairs per row; wall seconds and peak RSS (KiB) are medians;"
echo "ratio = the median of (peer wall / faultline wall) over the pairs: above 1, faultline is faster;"
echo "cpu_ratio the same for process (user + system) time"
printf '%-3s %-14s %10s %10s %10s %10s %9s %9s %9s %9s\n' wl peer fl_wall peer_wall ratio cpu_ratio \
    fl_rss peer_rss fl_mean_ms peer_mean
pair A c-baseline "$bin/c_mm1" 1000000 42
[ $have_ns3 = 1 ] && pair A ns3-map "$bin/ns3_mm1" --n=1000000 --seed=42 --scheduler=ns3::MapScheduler
pair B c-baseline "$bin/c_fanout" 60 42
[ $have_ns3 = 1 ] || echo "(ns-3 rows left out: libns3-dev is not installed)"
exit 0
