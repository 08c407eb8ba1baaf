#!/bin/sh
# bench_record.sh: the cost and quality of `kiln record` against no profiler,
# gperftools' libprofiler.so (CPUPROFILE, LD_PRELOAD) and `perf record -g`,
# at 100 Hz and 1000 Hz, on a call-heavy C program, `xz -6` on a large file
# and an 8-thread program; plus the fixed start-up cost on /bin/true.
#
# Per (workload, condition), the median of RUNS runs (interleaved, so drift in
# background load hits every condition alike) of:
#   cpu      CPU seconds, user+sys of the whole process tree (the reliable
#            figure on a shared machine), and its ratio to no profiler;
#   rate     samples actually delivered per CPU-second;
#   main     share of samples whose stack reaches main (or the thread start);
#   rss      peak RSS of the largest process, MB.
# Usage: bench/bench_record.sh [RUNS]   (default 3)
# Env: KILN (default build/cmd/kiln). Needs gcc, xz; google-perftools and perf
# are used when installed. Inputs are cached in bench/.cache/.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_RUNS=${1:-3}
export KILN=${KILN:-$here/build/cmd/kiln}
export BENCH_HERE=$here
exec python3 - <<'PY'
import os, re, shutil, statistics, struct, subprocess, sys, tempfile, time

here = os.environ["BENCH_HERE"]; kiln = os.environ["KILN"]; runs = int(os.environ["BENCH_RUNS"])
cache = os.path.join(here, "bench", ".cache"); os.makedirs(cache, exist_ok=True)
tmp = tempfile.mkdtemp(prefix="bench-record-")
def sh(*a, **k): return subprocess.run(a, check=True, **k)

callheavy = os.path.join(tmp, "callheavy"); mt = os.path.join(tmp, "mt")
sh("gcc", "-O2", "-g", "-o", callheavy, os.path.join(here, "bench", "callheavy.c"))
sh("gcc", "-O2", "-g", "-o", mt, os.path.join(here, "tests", "record", "burn.c"), "-lpthread")
corpus = os.path.join(cache, "xz-input-3m.bin")
if not os.path.exists(corpus):   # 3 MB of text-like data: xz -6 works for a few seconds
    import random
    rnd = random.Random(1); words = [("w%d" % i).encode() for i in range(5000)]
    with open(corpus, "wb") as f:
        while f.tell() < 3 << 20:
            f.write(b" ".join(rnd.choice(words) for _ in range(2000)) + b"\n")
xz = shutil.which("xz")
workloads = {
    "callheavy": [callheavy, "12"],
    "xz -6": [xz, "-6", "-T1", "-c", corpus],
    "8 threads": [mt, "8", "4", "100"],
    "startup (/bin/true)": ["/bin/true"],
}
libprofiler = next((p for p in ("/usr/lib/x86_64-linux-gnu/libprofiler.so.0",) if os.path.exists(p)), None)
perf = shutil.which("perf")
preload = os.path.join(os.path.dirname(os.path.dirname(kiln)), "collector", "libkiln-preload.so")
pprof = shutil.which("google-pprof")

def conditions():
    yield "none", None
    yield "kiln preload only", ("preload", 100)
    for hz in (100, 1000):
        yield "kiln %d Hz" % hz, ("kiln", hz)
        if libprofiler: yield "gperftools %d Hz" % hz, ("gperf", hz)
        if perf: yield "perf -g %d Hz" % hz, ("perf", hz)

timefile = os.path.join(tmp, "time.out")
def run(cmd, env=None):
    # GNU time: CPU of the whole waited-for tree, and peak RSS of the largest
    # process (measured from a small parent: RSS high-water marks survive exec)
    # (CPU from wait4 on `time`: it includes everything time waited for, in µs)
    t0 = time.time()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", timefile] + cmd, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    m = open(timefile).read().split()[-1]
    return ru.ru_utime + ru.ru_stime, int(m) / 1024.0, time.time() - t0

def folded_kiln(path):
    r = subprocess.run([kiln, "convert", "--to", "folded", "--type", "samples", "-o", "-", path],
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        stack, _, n = line.rpartition(" ")
        yield stack.split(";"), float(n)

OUTER = ("main", "start_thread", "__libc_start_main", "__libc_start_call_main", "_start", "__clone3", "clone3")
def reaches(frames):
    # the stack reaches main, or the libc frames around it (stripped programs
    # such as Debian's xz have no symbol for main), or a thread's start
    return any(f.split(" ")[0].split("@")[0] in OUTER for f in frames)

def measure(work, cond):
    out = os.path.join(tmp, "prof"); 
    for f in os.listdir(tmp):
        if f.startswith("prof"): os.remove(os.path.join(tmp, f))
    cmd = workloads[work]; env = dict(os.environ)
    kind = cond[0] if cond else None; hz = cond[1] if cond else 0
    if kind == "kiln": cmd = [kiln, "record", "-q", "-F", str(hz), "-o", out, "--"] + cmd
    elif kind == "preload":   # the collector without the kiln CLI around it
        cmd = ["env", "LD_PRELOAD=" + preload, "KILN_OUTPUT=" + out, "KILN_HZ=%d" % hz] + cmd
    elif kind == "gperf":
        # preloaded through env, never into `time` itself
        cmd = ["env", "LD_PRELOAD=" + libprofiler, "CPUPROFILE=" + out, "CPUPROFILE_FREQUENCY=%d" % hz] + cmd
    elif kind == "perf":
        cmd = [perf, "record", "-q", "--no-bpf-event", "-F", str(hz), "-g", "-o", out, "--"] + cmd
    cpu, rss, wall = run(cmd, env)
    samples = main = None
    if kind in ("kiln", "preload") and os.path.exists(out):
        tot = m = 0.0
        for frames, n in folded_kiln(out):
            tot += n; m += n * reaches(frames)
        samples, main = tot, (m / tot if tot else None)
    elif kind == "gperf" and os.path.exists(out):
        data = open(out, "rb").read(); i = 5 * 8; tot = 0
        while i + 16 <= len(data):
            c, n = struct.unpack_from("<QQ", data, i); i += 16
            if c == 0 and n == 1: break
            tot += c; i += 8 * n
        samples = tot
        if pprof and tot:
            r = subprocess.run([pprof, "--text", "--cum", "--nodecount=40", cmd_binary(work), out],
                               capture_output=True, text=True)
            best = 0.0
            for line in r.stdout.splitlines():
                f = line.split()
                if len(f) >= 6 and f[-1] in OUTER:
                    best = max(best, float(f[4].rstrip("%")) / 100)
            main = best
    elif kind == "perf" and os.path.exists(out):
        r = subprocess.run([perf, "script", "-i", out, "-F", "ip,sym"], capture_output=True, text=True)
        tot = m = 0; cur = []
        for line in r.stdout.splitlines() + [""]:
            if not line.strip():
                if cur: tot += 1; m += reaches(cur)
                cur = []
            else:
                f = line.split(); cur.append(f[1] if len(f) > 1 else "?")
        samples, main = tot, (m / tot if tot else None)
    return cpu, rss, wall, samples, main

def cmd_binary(work): return workloads[work][0]

results = {}
conds = list(conditions())
for work in workloads:
    for r in range(runs):
        for name, cond in conds:
            results.setdefault((work, name), []).append(measure(work, cond))

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

print("kiln record benchmark: median of %d runs; cpu = user+sys of the process tree" % runs)
for work in workloads:
    base = med([x[0] for x in results[(work, "none")]])
    print("\n## %s (no profiler: %.4f s CPU)" % (work, base))
    print("%-18s %9s %8s %10s %8s %8s" % ("condition", "cpu s", "x base", "samples/s", "main", "rss MB"))
    for name, cond in conds:
        rs = results[(work, name)]
        cpu = med([x[0] for x in rs]); rss = med([x[1] for x in rs])
        rate = med([x[3] / x[0] if x[3] is not None and x[0] > 0 else None for x in rs])
        main = med([x[4] for x in rs])
        print("%-18s %9.4f %8.3f %10s %8s %8.1f" % (name, cpu, cpu / base if base else 0,
              "-" if rate is None else "%.0f" % rate, "-" if main is None else "%.0f%%" % (100 * main), rss))
shutil.rmtree(tmp, ignore_errors=True)
PY
