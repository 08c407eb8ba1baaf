#!/bin/sh
# Overhead of `kiln record --python` against no profiler and against
# `python3 -m cProfile`, on a recursion-heavy script, a string-processing
# script and a test suite (pytest on fixtures/demo, benchmarks run once).
# CPU time (user+sys, children included: /usr/bin/time) of the whole run,
# median of REPS runs; CPU time rather than wall time because the machine
# is shared and wall time swings with its load. Usage:
#   bench/bench_pyrecord.sh [BUILD_DIR]     (default: build)
# Env: REPS (default 5), PY (default /usr/bin/python3, which has pytest).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
KILN=$BUILD/cmd/kiln
PY=${PY:-/usr/bin/python3}
REPS=${REPS:-5}
W=$(mktemp -d /tmp/kiln-bench-pyrecord.XXXXXX)
trap 'rm -rf "$W"' EXIT
export PYTHONDONTWRITEBYTECODE=1   # leave fixtures/demo untouched

cat > "$W/recursion.py" <<'E'
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))

print(fib(27), ackermann(2, 300))
E
cat > "$W/strings.py" <<'E'
import re
words = ["alpha", "beta", "gamma", "delta", "epsilon"] * 40
pattern = re.compile(r"(\w)(\w*)")
total = 0
for i in range(1500):
    text = " ".join(w.upper() if (i + j) % 3 == 0 else w for j, w in enumerate(words))
    parts = [p.strip().lower() for p in text.split(" ") if p]
    total += len(pattern.sub(lambda m: m.group(2) + m.group(1), ",".join(parts)))
    total += sum(1 for p in parts if p.startswith("e"))
print(total)
E

# median CPU seconds of REPS runs of "$@"
median() {
    for _ in $(seq "$REPS"); do
        /usr/bin/time -f "%U %S" -o "$W/time" "$@" >/dev/null 2>&1
        awk '{print $1 + $2}' "$W/time"
    done | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}
[ -x /usr/bin/time ] || { echo "bench_pyrecord: needs /usr/bin/time (Debian package time)" >&2; exit 1; }

run_case() {  # name, then the python arguments
    name=$1; shift
    plain=$(median "$PY" "$@")
    cprof=$(median "$PY" -m cProfile -o "$W/c.prof" "$@")
    kiln=$(median "$KILN" record --python -q -o "$W/k.kiln" -- "$PY" "$@")
    kilnp=$(median "$KILN" record --python -q -o "$W/k.kiln" --also-prof "$W/k.prof" -- "$PY" "$@")
    printf "%-12s %8s %8s %8s %8s   %6.2fx %6.2fx %6.2fx  %s\n" "$name" "$plain" "$cprof" "$kiln" "$kilnp" \
        "$(echo "$cprof / $plain" | bc -l)" "$(echo "$kiln / $plain" | bc -l)" \
        "$(echo "$kiln / $cprof" | bc -l)" \
        "$(if [ "$(echo "$kiln <= $cprof" | bc -l)" = 1 ]; then echo ok; else echo OVER; fi)"
}

echo "kiln record --python overhead ($($PY --version 2>&1), median of $REPS, CPU seconds)"
printf "%-12s %8s %8s %8s %8s   %7s %7s %7s  %s\n" case plain cProfile kiln kiln+prof \
    "cP/pl" "kiln/pl" "kiln/cP" target
run_case recursion "$W/recursion.py"
run_case strings "$W/strings.py"
if "$PY" -c "import pytest" 2>/dev/null; then
    cd "$SRC/fixtures/demo"
    run_case pytest -m pytest -q -p no:cacheprovider --benchmark-disable tests
else
    echo "pytest: not installed for $PY, skipped"
fi
