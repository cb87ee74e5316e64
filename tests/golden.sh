#!/usr/bin/env bash
# golden.sh - the recorded results of the bundled scenarios, so that a change
# of any result is seen and explained, and the README's example output can
# never go stale.
#
#   bash tests/golden.sh check DIR   compare DIR/run-NAME/summary.json (the
#                                    runs tests/scenarios.sh made) with
#                                    tests/golden/digests.txt, and
#                                    DIR/run-checkout/summary.txt with the
#                                    README's example output
#   bash tests/golden.sh update      run every bundled scenario and rewrite
#                                    both (`make golden`)
#
# tests/golden/digests.txt holds one line per scenario: file, digest, events.
# A commit that changes a line must say why in its message: a digest changes
# only when a result does.
set -u
cd "$(dirname "$0")/.."
FL=${FAULTLINE:-build/faultline}
GOLDEN=tests/golden/digests.txt
BEGIN='<!-- golden:checkout begin (tests/golden.sh writes this block) -->'
END='<!-- golden:checkout end -->'

field() { sed -n "s/^  \"$2\": \"\{0,1\}\([0-9a-f]*\)\"\{0,1\},\$/\1/p" "$1" | head -1; }

# The README's example: summary.txt indented four spaces (a Markdown code block).
readme_block() { awk -v b="$BEGIN" -v e="$END" '$0 == e {p = 0} p {print} $0 == b {p = 1}' README.md; }
indent() { sed -e 's/^\(.\)/    \1/' "$1"; }

case "${1:-}" in
check)
    dir=$2 fail=0
    while read -r file digest events; do
        name=$(basename "$file" .yaml)
        json="$dir/run-$name/summary.json"
        if [ ! -f "$json" ]; then echo "golden: $file did not run" >&2; fail=1; continue; fi
        got_d=$(field "$json" digest) got_e=$(field "$json" events)
        if [ "$got_d" != "$digest" ] || [ "$got_e" != "$events" ]; then
            echo "golden: $file: digest $got_d, $got_e events; recorded $digest, $events events" >&2
            fail=1
        fi
    done <"$GOLDEN"
    for f in scenarios/*.yaml; do
        grep -q "^$f " "$GOLDEN" || { echo "golden: $f has no recorded digest" >&2; fail=1; }
    done
    if ! diff <(readme_block) <(indent "$dir/run-checkout/summary.txt") >&2; then
        echo "golden: README's example output differs from scenarios/checkout.yaml's summary.txt" >&2
        fail=1
    fi
    if [ $fail = 1 ]; then
        echo "golden: if the change of results is intended, run 'make golden' and say why in" \
            "the commit message" >&2
    fi
    exit $fail
    ;;
update)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    : >"$tmp/digests"
    for f in scenarios/*.yaml; do
        name=$(basename "$f" .yaml)
        "$FL" run "$f" --quiet --out "$tmp/run-$name" || { echo "golden: $f failed" >&2; exit 1; }
        echo "$f $(field "$tmp/run-$name/summary.json" digest) $(field "$tmp/run-$name/summary.json" events)" >>"$tmp/digests"
    done
    cp "$tmp/digests" "$GOLDEN"
    indent "$tmp/run-checkout/summary.txt" >"$tmp/block"
    awk -v b="$BEGIN" -v e="$END" -v blk="$tmp/block" '
        $0 == e {skip = 0}
        !skip {print}
        $0 == b {while ((getline l < blk) > 0) print l; skip = 1}' README.md >"$tmp/readme"
    cp "$tmp/readme" README.md
    echo "golden: recorded $(wc -l <"$GOLDEN") scenarios in $GOLDEN and the README's example"
    ;;
*)
    echo "usage: bash tests/golden.sh check DIR | update" >&2
    exit 2
    ;;
esac
