#!/usr/bin/env bash
# setup.sh - from a fresh Debian 12 machine to a running faultline demo.
#
#   ./setup.sh                  install what is missing, build, run the demo scenario
#   ./setup.sh --deps           only install the Debian packages
#   ./setup.sh --bench          install what `make bench` compares with (wrk, nginx, peers)
#   ./setup.sh --fuzz           install what `make fuzz` builds with (clang, libFuzzer)
#   ./setup.sh --print-packages print the package list (used by .ci/run)
#
# Needs root or sudo for apt-get. Installs only Debian packages.
set -euo pipefail
cd "$(dirname "$0")"

# Build tools, the libraries faultline links (libev, OpenSSL, sqlite, libyaml;
# PCRE2 for Istio's RE2-style regexes; http-parser for the live HTTP/1.1
# codec), the test framework, jansson for the tests' JSON checks, the plot and
# graph renderers (gnuplot, graphviz's dot), the formatter `make lint` checks
# with, curl for the live tests, the sqlite3 shell (to query run.db; the tests
# compare databases with it), and chromium, only to test that index.html
# renders (tests/pages.sh), GNU parallel to run a planned sweep (tests/sweep.sh),
# hiredis (the live gateway's Redis client, for rate limits with policy redis)
# and redis-server (tests/redis.sh starts its own on loopback).
PACKAGES=(build-essential pkg-config libev-dev libssl-dev libsqlite3-dev libyaml-dev
          libpcre2-dev libhttp-parser-dev libcunit1-dev libjansson-dev gnuplot-nox graphviz
          clang-format curl ca-certificates sqlite3 chromium parallel libhiredis-dev
          redis-server)
# What `make bench` compares with: wrk and nginx, and the peer simulators.
BENCH_PACKAGES=(wrk nginx-light time libsimgrid-dev python3-simpy ns3 libns3-dev)
# What `make fuzz` builds with: clang and its runtime libraries (libFuzzer, the sanitizers).
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

if [ "${1:-}" = --print-packages ]; then
    echo "${PACKAGES[@]}"
    exit 0
fi
if [ "${1:-}" = --bench ]; then
    PACKAGES=("${BENCH_PACKAGES[@]}")
fi
if [ "${1:-}" = --fuzz ]; then
    PACKAGES=("${FUZZ_PACKAGES[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
[ "${1:-}" = --deps ] || [ "${1:-}" = --bench ] || [ "${1:-}" = --fuzz ] && exit 0

make -j"$(nproc)"
make demo
