#!/usr/bin/env bash
# lint.sh - the rules `make test` enforces before any test runs:
#  1. the dependency direction of docs/design.md (who may include whom);
#  2. determinism: no wall clock and no global random in simulated code;
#  3. no pointer printing (%p) where output must be reproducible;
#  4. the checked-in .clang-format.
set -u
cd "$(dirname "$0")/.."
fail=0
bad() { echo "lint: $*" >&2; fail=1; }

# 1. Dependency direction: which project folders each folder may include.
allowed() {
    case "$1" in
        base) echo "base" ;;
        netem) echo "base netem" ;;
        proxies) echo "base proxies" ;;
        reports) echo "base reports" ;;
        sim) echo "base netem proxies reports sim" ;;
        live) echo "base proxies reports live" ;;
        exp) echo "base reports sim exp" ;;
        cli) echo "base netem proxies reports sim live exp cli" ;;
        *) echo "base netem proxies reports sim live cli tests bench" ;;
    esac
}
for dir in base netem proxies reports sim live exp cli; do
    [ -d "$dir" ] || continue
    ok=" $(allowed "$dir") "
    while IFS=: read -r file line inc; do
        target=$(sed -E 's/.*#[[:space:]]*include[[:space:]]*"([^/"]+)\/.*/\1/' <<<"$inc")
        [[ "$ok" == *" $target "* ]] || bad "$file:$line: $dir/ must not include $target/ ($inc)"
    done < <(grep -nE '#[[:space:]]*include[[:space:]]*"[a-z]+/' "$dir"/*.[ch] 2>/dev/null | sed -E 's/^([^:]+):([0-9]+):/\1:\2:/')
done
# Runtime libraries stay out of the proxy code and the simulator's lower layers.
for dir in base netem proxies; do
    grep -nE '#[[:space:]]*include[[:space:]]*[<"](ev\.h|sqlite3\.h)' "$dir"/*.[ch] 2>/dev/null |
        while read -r hit; do echo "lint: $hit: $dir/ must not use libev or sqlite" >&2; echo x; done |
        grep -q x && fail=1
done

# 2. Determinism: no wall clock, no global random where time is simulated.
# (a call, not a struct member such as rt->ops->random)
pattern='(?<![>.\w])(rand|srand|random|srandom|drand48|lrand48|time|gettimeofday|clock_gettime|clock|localtime|gmtime|arc4random)\s*\('
for dir in base netem proxies sim reports; do
    [ -d "$dir" ] || continue
    while IFS= read -r hit; do
        # comment lines may name them
        code=$(cut -d: -f3- <<<"$hit")
        [[ "$code" =~ ^[[:space:]]*(/\*|\*|//) ]] && continue
        bad "$hit: wall clock or global random in $dir/ (docs/design.md, Determinism)"
    done < <(grep -nP "$pattern" "$dir"/*.[ch] 2>/dev/null)
done

# 3. Reproducible output never prints addresses.
for dir in base netem proxies sim reports; do
    [ -d "$dir" ] || continue
    if grep -nE '"[^"]*%p' "$dir"/*.c 2>/dev/null; then bad "$dir/ prints a pointer (%p)"; fi
done

# 4. Formatting.
if command -v clang-format >/dev/null; then
    files=$(ls base/*.[ch] netem/*.[ch] proxies/*.[ch] sim/*.[ch] reports/*.[ch] live/*.[ch] \
        cli/*.[ch] tests/*.[ch] tests/*/*.[ch] bench/*.[ch] fuzz/*.[ch] 2>/dev/null)
    if ! clang-format --dry-run --Werror $files 2>/dev/null; then
        clang-format --dry-run $files 2>&1 | grep -E '^[^ ].*warning' | sed 's/: warning.*//' | sort -u |
            sed 's/^/lint: not formatted: /' >&2
        echo "lint: run 'make format'" >&2
        fail=1
    fi
else
    bad "clang-format is missing: run ./setup.sh --deps"
fi

[ $fail = 0 ] && echo "lint: ok"
exit $fail
