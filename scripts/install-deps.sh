#!/bin/sh
# Install the Debian packages kiln needs to build and test, and nothing else.
# Idempotent: when every package is already installed it does nothing (no
# apt-get update, no network). Needs root (or sudo) only when something is
# missing. Usage: scripts/install-deps.sh [--test]
#   (no flag)  what building and running kiln needs
#   --test     also what the test suite needs (clang for fuzzing and
#              sanitizers, python3 for pstats ground truth, perf, ...)
set -eu

build_pkgs="build-essential cmake pkg-config zlib1g-dev libcairo2-dev
libpango1.0-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libjansson-dev
libdw-dev libelf-dev libiberty-dev libgraphviz-dev python3 python3-dev fonts-dejavu-core scdoc"

test_pkgs="clang-14 libclang-rt-14-dev linux-perf xz-utils valgrind
python3-pytest-benchmark python3-scipy cmark-gfm chromium nodejs graphviz time
heaptrack uftrace google-perftools golang-go bash-completion zsh"

pkgs=$build_pkgs
[ "${1:-}" = "--test" ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
