#!/bin/bash
# bench/fuzz.sh MINUTES [HARNESS...]
# A fuzzing campaign: every libFuzzer harness of tests/fuzz (or the ones
# named) for MINUTES each, under ASan+UBSan, two at a time, at nice 19.
#   - builds build/fuzz (clang, -DKILN_FUZZ=ON) when needed;
#   - each harness starts from the committed corpus tests/fuzz/corpus/<name>/
#     plus its work corpus build/fuzz/fuzz-work/<name>/ (kept between runs;
#     new coverage goes there, never into the committed corpus), which is
#     minimised with -merge=1 afterwards;
#   - limits: -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=25, and a
#     -max_len per harness;
#   - every crash, leak, timeout or OOM input is copied to
#     tests/fuzz/regressions/<name>/, which CTest replays (fuzz.regress.<name>);
#   - prints a Markdown table: executions, exec/s, new corpus files, findings.
# Exit status: 0 when nothing was found, 1 otherwise, 2 on usage errors.
# Env: KILN_FUZZ_BUILD (default build/fuzz), KILN_FUZZ_JOBS (default 2).
set -u
cd "$(dirname "$0")/.."
SRC=$PWD

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "usage: bench/fuzz.sh MINUTES [HARNESS...]" >&2
    exit 2
fi
minutes=$1
shift
seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); print (s < 1 ? 1 : s) }')
build=${KILN_FUZZ_BUILD:-build/fuzz}
jobs=${KILN_FUZZ_JOBS:-2}

if ! command -v clang >/dev/null; then
    echo "bench/fuzz.sh: clang not found (scripts/install-deps.sh --test)" >&2
    exit 2
fi
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DKILN_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 2
if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in tests/fuzz/fuzz_*.c; do
        n=${f##*/fuzz_}
        names+=("${n%.c}")
    done
fi

work=$build/fuzz-work
logs=$build/fuzz-logs
arts=$build/fuzz-artifacts
mkdir -p "$work" "$logs" "$arts"
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

max_len() {
    case $1 in
        pipeline|escape) echo 4097 ;;
        *) echo 65536 ;;
    esac
}

run_one() {
    local name=$1 bin=$build/tests/fuzz/fuzz_$1
    local dict=tests/fuzz/$1.dict extra=()
    [ -f "$dict" ] && extra+=(-dict="$dict")
    rm -rf "${arts:?}/$name"
    mkdir -p "$work/$name" "$arts/$name"
    local before
    before=$(find "$work/$name" -type f | wc -l)
    nice -n 19 "$bin" "${extra[@]}" -max_total_time="$seconds" -max_len="$(max_len "$name")" \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=25 -print_final_stats=1 \
        -artifact_prefix="$arts/$name/" "$work/$name" "tests/fuzz/corpus/$name" \
        >"$logs/$name.log" 2>&1
    echo $? >"$logs/$name.rc"
    # keep the work corpus small: minimise it (coverage kept)
    local merged=$work/$name.merged
    rm -rf "$merged" && mkdir -p "$merged"
    if nice -n 19 "$bin" -merge=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=25 \
        -max_len="$(max_len "$name")" "$merged" "$work/$name" >"$logs/$name.merge.log" 2>&1; then
        rm -rf "$work/$name" && mv "$merged" "$work/$name"
    else
        rm -rf "$merged"
    fi
    echo "$before" >"$logs/$name.before"
}

targets=()
for name in "${names[@]}"; do
    targets+=("fuzz_$name")
done
# only the harnesses: the rest of the tree may be mid-change
nice -n 19 cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1 ||
    { echo "bench/fuzz.sh: build failed (see $build/fuzz-build.log)" >&2; exit 2; }
for name in "${names[@]}"; do
    [ -x "$build/tests/fuzz/fuzz_$name" ] || { echo "bench/fuzz.sh: no harness fuzz_$name" >&2; exit 2; }
done
echo "fuzzing ${#names[@]} harnesses for ${seconds}s each, $jobs at a time" >&2
running=0
for name in "${names[@]}"; do
    run_one "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

found=0
printf '| harness | executions | exec/s | work corpus | change (after -merge) | findings |\n'
printf '|---|---:|---:|---:|---:|---|\n'
for name in "${names[@]}"; do
    log=$logs/$name.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    now=$(find "$work/$name" -type f | wc -l)
    before=$(cat "$logs/$name.before")
    findings=""
    mkdir -p "tests/fuzz/regressions/$name"
    for a in "$arts/$name"/crash-* "$arts/$name"/leak-* "$arts/$name"/timeout-* "$arts/$name"/oom-* \
             "$arts/$name"/slow-unit-*; do
        [ -f "$a" ] || continue
        case ${a##*/} in slow-unit-*) continue ;; esac   # slow units are not failures
        cp -n "$a" "tests/fuzz/regressions/$name/"
        findings="$findings ${a##*/}"
        found=1
    done
    rc=$(cat "$logs/$name.rc")
    if [ -z "$findings" ] && [ "$rc" != 0 ]; then
        findings="exit $rc (see $log)"
        found=1
    fi
    rmdir "tests/fuzz/regressions/$name" 2>/dev/null
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "${execs:-?}" "${rate:-?}" "$now" \
        "$((now - before))" "${findings:-none}"
done
if [ "$found" = 1 ]; then
    echo "findings copied to tests/fuzz/regressions/<harness>/ (replayed by ctest -R fuzz.regress);" \
         "fix the bug, then re-run cmake so the new directory is picked up" >&2
fi
exit "$found"
