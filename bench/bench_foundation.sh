#!/bin/sh
# bench_foundation.sh: the foundation benchmark, in one run.
#
#  1. `kiln top` against pstats (sort_stats("cumulative").print_stats()) on
#     a large cProfile file (thousands of functions, made by profiling
#     CPython's own test suite), with the ratio.
#  2. `kiln convert --to folded` on a >= 100 MB `perf script` file (a perf
#     recording of a Release build of kiln itself): MB/s and peak RSS, and
#     peak RSS on the same input doubled (2x the bytes, the same unique
#     stacks) to show memory is bounded by unique stacks, not input size.
#     With FLAMEGRAPH_DIR set to a FlameGraph checkout, stackcollapse-perf.pl
#     is timed on the same input, its output compared with kiln's.
#
# Usage: bench/bench_foundation.sh [RUNS]      (default 3; the best run counts)
# Env:
#   KILN            the kiln CLI (default: build/cmd/kiln; use a Release build)
#   FLAMEGRAPH_DIR  a FlameGraph checkout (optional)
#   PERF_MB         minimum size of the perf script input in MB (default 100)
# Generated inputs are cached in bench/.cache/ (git-ignored); delete it to
# regenerate. Needs python3 and, to make the perf input, perf + cmake + cc.
#
# Wall time and CPU time (user+sys, children included) are both shown: on a
# busy machine wall time also measures waiting for a CPU.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
kiln=${KILN:-$here/build/cmd/kiln}
cache=$here/bench/.cache
measure="python3 $here/bench/measure.py"
perf_mb=${PERF_MB:-100}
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$kiln" ] || { echo "bench_foundation: no kiln CLI at $kiln (set KILN)" >&2; exit 2; }

field() { # field JSON NAME
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
calc() { python3 -c "print($1)"; }

# ---- inputs -----------------------------------------------------------------
prof=$cache/big.prof
if [ ! -s "$prof" ]; then
    echo "== making $prof (cProfile of CPython's test_json test_argparse test_email test_decimal test_statistics; ~1-2 min)"
    python3 -m cProfile -o "$prof.tmp" -m test test_json test_argparse test_email test_decimal \
        test_statistics >/dev/null 2>&1 || true
    [ -s "$prof.tmp" ] || { echo "bench_foundation: profiling the test suite failed" >&2; exit 1; }
    mv "$prof.tmp" "$prof"
fi
nfuncs=$(python3 -c 'import pstats,sys; print(len(pstats.Stats(sys.argv[1]).stats))' "$prof")

perfin=$cache/build.perf
size_mb() { python3 -c 'import os,sys; print(round(os.path.getsize(sys.argv[1])/1e6,1))' "$1"; }
if [ ! -s "$perfin" ] || [ "$(python3 -c "import os; print(int(os.path.getsize('$perfin') < $perf_mb*1e6))")" = 1 ]; then
    command -v perf >/dev/null || { echo "bench_foundation: perf is needed to make the perf input" >&2; exit 2; }
    echo "== making $perfin (perf record -F 4999 -g of a Release build of kiln; a few minutes)"
    rm -f "$perfin.tmp"
    round=0
    while :; do
        round=$((round + 1))
        rm -rf "$cache/kbuild"
        cmake -S "$here" -B "$cache/kbuild" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
        perf record -q -F 4999 -g -o "$cache/build.data" -- \
            cmake --build "$cache/kbuild" -j2 >/dev/null 2>&1 || true
        perf script -i "$cache/build.data" >>"$perfin.tmp" 2>/dev/null
        rm -f "$cache/build.data"
        sz=$(size_mb "$perfin.tmp")
        echo "   round $round: $sz MB of perf script text"
        [ "$(calc "int($sz >= $perf_mb)")" = 1 ] && break
        [ $round -ge 6 ] && break
    done
    rm -rf "$cache/kbuild"
    mv "$perfin.tmp" "$perfin"
fi
perfin2=$cache/build2x.perf
if [ ! -s "$perfin2" ] || [ "$perfin2" -ot "$perfin" ]; then
    cat "$perfin" "$perfin" >"$perfin2"
fi
mb=$(size_mb "$perfin")
mb2=$(size_mb "$perfin2")

# ---- 1. kiln top vs pstats --------------------------------------------------
echo "== 1. kiln top vs pstats on $prof ($nfuncs functions), best of $runs"
k1=$($measure "$runs" "$tmp/top.txt" -- "$kiln" top "$prof")
p1=$($measure "$runs" "$tmp/pstats.txt" -- python3 -c \
    'import pstats,sys; pstats.Stats(sys.argv[1]).sort_stats("cumulative").print_stats()' "$prof")
[ "$(field "$k1" rc)" = 0 ] || echo "   warning: kiln top exited $(field "$k1" rc)"
echo "   kiln top: $(field "$k1" wall) s wall, $(field "$k1" cpu) s cpu, $(field "$k1" rss_kb) KiB"
echo "   pstats:   $(field "$p1" wall) s wall, $(field "$p1" cpu) s cpu, $(field "$p1" rss_kb) KiB"
top_ratio=$(calc "round($(field "$p1" wall) / max($(field "$k1" wall), 1e-9), 1)")
echo "   kiln top is ${top_ratio}x faster (wall)"

# ---- 2. kiln convert --to folded on perf script -----------------------------
echo "== 2. kiln convert --to folded on $perfin ($mb MB), best of $runs"
k2=$($measure "$runs" "$tmp/kiln.folded" -- "$kiln" convert --to folded "$perfin")
[ "$(field "$k2" rc)" = 0 ] || echo "   warning: kiln convert exited $(field "$k2" rc)"
k2mbs=$(calc "round($mb / $(field "$k2" wall))")
k2cpu=$(calc "round($mb / max($(field "$k2" cpu), 1e-9))")
stacks=$(wc -l <"$tmp/kiln.folded")
echo "   kiln: $(field "$k2" wall) s wall = $k2mbs MB/s ($k2cpu MB/s per CPU second), peak RSS $(field "$k2" rss_kb) KiB, $stacks unique stacks"
k3=$($measure 1 "$tmp/kiln2.folded" -- "$kiln" convert --to folded "$perfin2")
k3mbs=$(calc "round($mb2 / $(field "$k3" wall))")
echo "   kiln on 2x input ($mb2 MB): $(field "$k3" wall) s = $k3mbs MB/s, peak RSS $(field "$k3" rss_kb) KiB"
same2=$(python3 - "$tmp/kiln.folded" "$tmp/kiln2.folded" <<'EOF'
import sys
a = [l.rsplit(' ', 1) for l in open(sys.argv[1], encoding='utf-8', errors='replace')]
b = [l.rsplit(' ', 1) for l in open(sys.argv[2], encoding='utf-8', errors='replace')]
ok = [x[0] for x in a] == [y[0] for y in b] and all(2 * float(x[1]) == float(y[1]) for x, y in zip(a, b))
print('yes' if ok else 'NO')
EOF
)
echo "   2x input gives the same stacks with doubled counts: $same2"

sc_line="(FLAMEGRAPH_DIR not set)"
sc_ratio="-"
if [ -n "${FLAMEGRAPH_DIR:-}" ] && [ -r "$FLAMEGRAPH_DIR/stackcollapse-perf.pl" ]; then
    s2=$($measure 1 "$tmp/sc.folded" -- perl "$FLAMEGRAPH_DIR/stackcollapse-perf.pl" "$perfin")
    sc_ratio=$(calc "round($(field "$s2" wall) / max($(field "$k2" wall), 1e-9), 1)")
    same=$(python3 - "$tmp/kiln.folded" "$tmp/sc.folded" <<'EOF'
import sys
a = sorted(open(sys.argv[1], 'rb').read().splitlines())
b = sorted(open(sys.argv[2], 'rb').read().splitlines())
print('identical' if a == b else 'DIFFERENT (%d vs %d lines)' % (len(a), len(b)))
EOF
)
    sc_line="$(field "$s2" wall) s, peak RSS $(field "$s2" rss_kb) KiB; output $same"
    echo "   stackcollapse-perf.pl: $sc_line; kiln is ${sc_ratio}x faster"
fi

# ---- summary ----------------------------------------------------------------
echo
echo "== summary"
printf '%-44s %12s %12s %12s\n' "measurement" "kiln" "reference" "ratio"
printf '%-44s %11ss %11ss %11sx\n' "top vs pstats ($nfuncs funcs), wall" "$(field "$k1" wall | cut -c1-6)" \
    "$(field "$p1" wall | cut -c1-6)" "$top_ratio"
printf '%-44s %10sMB/s %12s %12s\n' "convert perf->folded ($mb MB)" "$k2mbs" "-" "-"
printf '%-44s %10sKiB %12s %12s\n' "  peak RSS, 1x input" "$(field "$k2" rss_kb)" "-" "-"
printf '%-44s %10sKiB %12s %12s\n' "  peak RSS, 2x input" "$(field "$k3" rss_kb)" "-" "-"
if [ "$sc_ratio" != "-" ]; then
    printf '%-44s %11ss %11ss %11sx\n' "convert vs stackcollapse-perf.pl, wall" \
        "$(field "$k2" wall | cut -c1-6)" "$(field "$s2" wall | cut -c1-6)" "$sc_ratio"
else
    echo "stackcollapse-perf.pl: $sc_line"
fi
