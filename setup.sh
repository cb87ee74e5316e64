#!/usr/bin/env bash
# setup.sh - from a fresh Debian 12 machine to a running faultline demo.
#
#   ./setup.sh                  install what is missing, build, run the demo scenario
#   ./setup.sh --deps           only install the Debian packages
#   ./setup.sh --print-packages print the package list (used by .ci/run)
#
# Needs root or sudo for apt-get. Installs only Debian packages.
set -euo pipefail
cd "$(dirname "$0")"

# Build tools, the libraries faultline links, the test framework, the plot
# renderer, the formatter `make lint` checks with, and curl for the live tests.
PACKAGES=(build-essential pkg-config libev-dev libssl-dev libsqlite3-dev libyaml-dev
          libcunit1-dev gnuplot-nox clang-format curl ca-certificates)

if [ "${1:-}" = --print-packages ]; then
    echo "${PACKAGES[@]}"
    exit 0
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
[ "${1:-}" = --deps ] && exit 0

make -j"$(nproc)"
make demo
