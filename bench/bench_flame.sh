#!/bin/sh
# kiln flame vs flamegraph.pl on the same folded input, plus kiln's page in
# headless Chromium (time to first paint, zoom, search).
#
# usage: bench/bench_flame.sh [INPUT]
#   INPUT   perf script text, perf.data, folded stacks or any profile kiln
#           reads. Without it, a perf recording of a kiln Release build is
#           made (perf record --call-graph dwarf; needs perf and a kernel
#           that allows it).
# env:
#   KILN            the kiln CLI (default: build/cmd/kiln)
#   FLAMEGRAPH_PL   path to flamegraph.pl (not in Debian; the column is
#                   skipped without it)
#   NODE_PATH       a node_modules holding playwright-core (default: the
#                   build tree's tests/flame-node/node_modules); the browser
#                   column is skipped when it or /usr/bin/chromium is absent
#   BENCH_OUT       output directory (default: a new temporary directory)
# Targets (issue 4): >= 20x faster than flamegraph.pl, file <= 1/4 of its
# SVG, open <= 0.5 s, zoom <= 50 ms, search <= 50 ms.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
KILN=${KILN:-$src/build/cmd/kiln}
out=${BENCH_OUT:-$(mktemp -d /tmp/kiln-bench-flame.XXXXXX)}
mkdir -p "$out"
[ -x "$KILN" ] || { echo "bench_flame: no kiln at $KILN (set KILN)" >&2; exit 2; }

now_ms() { date +%s%3N; }
# best of 3 wall-clock milliseconds of a command
best3() {
    best=""
    for _ in 1 2 3; do
        t0=$(now_ms); "$@"; t1=$(now_ms)
        t=$((t1 - t0))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    echo "$best"
}

input=${1:-}
if [ -z "$input" ]; then
    command -v perf >/dev/null || { echo "bench_flame: no INPUT and no perf to record one" >&2; exit 2; }
    echo "recording: perf record --call-graph dwarf of a kiln Release build..." >&2
    cmake -S "$src" -B "$out/build" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
    perf record -q -F 1499 --call-graph dwarf,8192 -o "$out/perf.data" -- \
        cmake --build "$out/build" -j2 >/dev/null 2>&1
    input=$out/perf.data
fi
case $input in
    *.data) perf script -i "$input" > "$out/input.perf" 2>/dev/null; input=$out/input.perf ;;
esac

folded=$out/input.folded
"$KILN" convert "$input" --to folded -o "$folded"
stacks=$(wc -l < "$folded")
in_mb=$(du -m "$input" | cut -f1)
echo "input: $input ($in_mb MB), $stacks unique stacks" >&2

k_ms=$(best3 "$KILN" flame "$folded" -o "$out/kiln.html")
k_size=$(stat -c %s "$out/kiln.html")

f_ms=""; f_size=""
if [ -n "${FLAMEGRAPH_PL:-}" ] && [ -r "$FLAMEGRAPH_PL" ]; then
    f_ms=$(best3 sh -c 'perl "$1" --minwidth 0 "$2" > "$3"' sh "$FLAMEGRAPH_PL" "$folded" "$out/flamegraph.svg")
    f_size=$(stat -c %s "$out/flamegraph.svg")
else
    echo "FLAMEGRAPH_PL not set: skipping the flamegraph.pl column" >&2
fi

browser="{}"
node_path=${NODE_PATH:-$src/build/tests/flame-node/node_modules}
if command -v node >/dev/null && [ -x /usr/bin/chromium ] && [ -d "$node_path/playwright-core" ]; then
    browser=$(NODE_PATH=$node_path node "$here/flame_browser_bench.js" "$out/kiln.html")
else
    echo "no node, chromium or playwright-core (NODE_PATH): skipping the browser column" >&2
fi

python3 - "$stacks" "$k_ms" "$k_size" "${f_ms:-}" "${f_size:-}" "$browser" "$out" <<'EOF'
import json, sys
stacks, k_ms, k_size, f_ms, f_size, browser, out = sys.argv[1:]
b = json.loads(browser)
k_ms, k_size = int(k_ms), int(k_size)
rows = [("unique stacks", stacks, ""), ("kiln flame time", f"{k_ms} ms", ""),
        ("kiln HTML size", f"{k_size / 1e6:.2f} MB", "")]
if f_ms:
    f_ms, f_size = int(f_ms), int(f_size)
    rows += [("flamegraph.pl --minwidth 0 time", f"{f_ms} ms", f"kiln {f_ms / max(k_ms, 1):.1f}x faster (target >= 20x)"),
             ("flamegraph.pl SVG size", f"{f_size / 1e6:.2f} MB", f"kiln file = {k_size / f_size:.3f} of it (target <= 0.25)")]
if b:
    rows += [("frames (nodes)", str(b["nodes"]), ""),
             ("Chromium first paint", f"{b['first_paint_ms']:.0f} ms", "target <= 500 ms"),
             ("Chromium open (goto -> ready, wall)", f"{b['open_wall_ms']} ms", ""),
             ("zoom (median / max)", f"{b['zoom_ms_median']:.1f} / {b['zoom_ms_max']:.1f} ms", "target <= 50 ms"),
             ("search (median / max)", f"{b['search_ms_median']:.1f} / {b['search_ms_max']:.1f} ms", "target <= 50 ms")]
    if b.get("problems"):
        rows.append(("page problems", "; ".join(b["problems"]), "should be none"))
w = max(len(r[0]) for r in rows)
for name, val, note in rows:
    print(f"{name:<{w}}  {val:>16}  {note}")
json.dump({"rows": rows, "browser": b}, open(out + "/bench_flame.json", "w"), indent=1)
print(f"(results in {out})")
EOF
