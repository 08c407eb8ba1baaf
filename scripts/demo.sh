#!/bin/sh
# The README's first command: install what is missing, build, and run kiln's
# main job on the bundled demo (a small Python project with deliberate
# bottlenecks, its cProfile .prof files and pytest-benchmark runs).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build build/release -j"$jobs" >/dev/null
kiln=build/release/cmd/kiln
demo=fixtures/demo/out
out=reports
"$kiln" report "$demo/orders_slow.prof" --target orders --baseline "$demo/baseline.json" \
    --bench "$demo/optimized.json" --source-root fixtures/demo -o "$out"
echo
echo "The report bundle is in $out/:"
ls -1 "$out"
