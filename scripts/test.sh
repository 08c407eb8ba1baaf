#!/bin/sh
# The README's second command: install what is missing, build, run every test.
#   1. a normal optimised build and the whole test suite;
#   2. the same suite again under ASan+UBSan (nothing recovers);
#   3. libFuzzer harnesses (clang) with a short smoke run each over its corpus.
# Stops at the first failing stage; exits non-zero when any test fails.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

jobs=$(nproc 2>/dev/null || echo 2)
export CTEST_OUTPUT_ON_FAILURE=1
# LeakSanitizer: fontconfig/pango keep caches for the life of the process.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

echo "== release build and tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$jobs"
ctest --test-dir build/release -j"$jobs" --timeout 900

echo "== ASan+UBSan build and tests"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Asan >/dev/null
cmake --build build/asan -j"$jobs"
ctest --test-dir build/asan -j"$jobs" --timeout 1800 -LE "nosan|valgrind"

echo "== libFuzzer smoke runs"
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DKILN_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=Debug -DKILN_FUZZ_SECONDS="${KILN_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build/fuzz -j"$jobs"
ctest --test-dir build/fuzz -j"$jobs" -L fuzz --timeout 600
