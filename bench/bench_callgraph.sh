#!/bin/sh
# bench_callgraph.sh: time `kiln callgraph` against gprof2dot + Graphviz dot
# drawing the same cProfile file as PNG, and print the ratio.
#
# Usage: bench/bench_callgraph.sh [PROF] [RUNS]
#   PROF  default: fixtures/python/medium/medium_pydoc.prof (2,029 functions)
#   RUNS  default: 5; the best (minimum) run of each side is compared
# Env:
#   KILN       the kiln CLI (default: build/cmd/kiln); use a Release build
#   GPROF2DOT  path to gprof2dot.py (not packaged in Debian; without it only
#              kiln is timed). The reference pipeline is
#              python3 $GPROF2DOT -f pstats PROF | dot -Tpng -o OUT
#   DOT        Graphviz dot (default: dot; Debian package "graphviz")
#
# Both wall-clock time and CPU time (user + sys, children included) are
# reported: on a busy machine wall time mostly measures waiting for a CPU,
# CPU time what each pipeline costs. Outputs go to a temporary directory.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
prof=${1:-$here/fixtures/python/medium/medium_pydoc.prof}
runs=${2:-5}
kiln=${KILN:-$here/build/cmd/kiln}
dot=${DOT:-dot}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$kiln" ] || { echo "bench_callgraph: no kiln CLI at $kiln (set KILN)" >&2; exit 2; }
[ -r "$prof" ] || { echo "bench_callgraph: cannot read $prof" >&2; exit 2; }

# measure NAME COMMAND...: runs it $runs times, prints "wall cpu" of the best run.
measure() {
    name=$1; shift
    best_wall=""; best_cpu=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        python3 - "$@" >"$tmp/t" <<'PY'
import os, subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t0
res = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN)
if r.returncode != 0:
    sys.exit(f"command failed ({r.returncode}): {sys.argv[1:]}")
print(f"{wall:.4f} {res.ru_utime + res.ru_stime:.4f}")
PY
        read -r wall cpu <"$tmp/t"
        best_wall=$(python3 -c "print(min(float('$wall'), float('${best_wall:-1e9}')))")
        best_cpu=$(python3 -c "print(min(float('$cpu'), float('${best_cpu:-1e9}')))")
        i=$((i + 1))
    done
    printf '%-28s wall %7.3f s   cpu %7.3f s   (best of %d)\n' "$name" "$best_wall" "$best_cpu" "$runs"
    echo "$best_wall $best_cpu" >"$tmp/$name.best"
}

echo "input: $prof"
measure kiln "$kiln" callgraph "$prof" -o "$tmp/kiln.png"
python3 -c "import struct;d=open('$tmp/kiln.png','rb').read(24);print('kiln PNG: %dx%d px' % struct.unpack('>II', d[16:24]))"

if [ -z "${GPROF2DOT:-}" ]; then
    echo "GPROF2DOT is not set: reference pipeline skipped (gprof2dot is not in Debian)"
    exit 0
fi
command -v "$dot" >/dev/null 2>&1 || { echo "bench_callgraph: no '$dot' (apt-get install graphviz)" >&2; exit 2; }
measure gprof2dot+dot sh -c 'python3 "$1" -f pstats "$2" | "$3" -Tpng -o "$4"' sh \
    "$GPROF2DOT" "$prof" "$dot" "$tmp/ref.png"
python3 -c "import struct;d=open('$tmp/ref.png','rb').read(24);print('reference PNG: %dx%d px' % struct.unpack('>II', d[16:24]))"

read -r kw kc <"$tmp/kiln.best"
read -r rw rc <"$tmp/gprof2dot+dot.best"
python3 - "$kw" "$kc" "$rw" "$rc" <<'PY'
import sys
kw, kc, rw, rc = map(float, sys.argv[1:])
print(f"speed-up (reference / kiln): wall {rw / kw:.2f}x, cpu {rc / kc:.2f}x  (target >= 3x)")
PY
