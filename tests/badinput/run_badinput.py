#!/usr/bin/env python3
"""The bad-input table: every importer (prof, folded, perf, kiln) through the
CLI (`kiln top FILE`, `kiln convert FILE -o OUT`) on generated bad inputs.
One row of CASES per case; tests/README.md documents each row.

Every run is checked against the error contract:
  * exit code: 0, or 65 for bad data / an exceeded limit (as the row expects);
  * on failure exactly ONE stderr line: "kiln: '<file>': offset N ..." or
    "kiln: '<file>': line N ..."; N inside the input (<= the cut for prefixes);
  * on success only well-formed warning lines ("kiln: '<file>': warning: ...");
  * no sanitizer report, no signal;
  * `convert`: no output file after a failure, and never a *.tmp.* left;
  * under a wall-clock timeout, CPU-time limit, and a memory budget (max RSS
    measured with wait4; plus an address-space limit outside ASan builds).

Inputs are made by real tools where the format has one: .prof files by
CPython's cProfile/marshal (pstats' own serializer), .kiln by `kiln convert`,
perf/folded text from the fixtures made by perf and stackcollapse-perf.pl.

Environment: KILN (the CLI), KILN_SRC (source tree), KILN_BUILD_TYPE (Asan
relaxes the memory budget and drops the address-space limit),
KILN_BADINPUT_ONLY (comma-separated row ids to run)."""
import concurrent.futures
import lzma
import marshal
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

KILN = os.environ.get("KILN", "kiln")
SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIX = os.path.join(SRC, "fixtures")
ASAN = os.environ.get("KILN_BUILD_TYPE", "") == "Asan"
SLOW = 3 if ASAN else 1
RSS_BUDGET_MB = 3000 if ASAN else 1200     # the big rows; small inputs are checked tighter
SMALL_RSS_MB = 400 if ASAN else 120
TIMEOUT_S = 60 * SLOW
WORKERS = max(1, min(2, os.cpu_count() or 1))
MAGIC = b"\x89KILN\r\n\x1a"

LOC = re.compile(r"^kiln: '(?P<file>[^']*)': (?P<kind>offset|line) (?P<n>\d+)\b")
WARN = re.compile(r"^kiln: '(?P<file>[^']*)': warning: (?P<kind>offset|line) (?P<n>\d+)\b")
SANITIZER = re.compile(rb"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")


# ---- running one command under limits ---------------------------------------------

class Result:
    def __init__(self, argv, code, out, err, wall, rss_mb):
        self.argv, self.code, self.out, self.err, self.wall, self.rss_mb = argv, code, out, err, wall, rss_mb


def run_limited(argv, cwd, timeout=TIMEOUT_S, stdout_to_file=True):
    limits = ["prlimit", "--cpu=%d" % timeout, "--core=0"]
    if not ASAN:
        limits.append("--as=%d" % (4 << 30))
    # Peak RSS comes from /usr/bin/time: ru_maxrss of a process forked from
    # this (large) Python process would include the parent's pages, which
    # survive fork and exec; time forks kiln from a small process instead.
    rss_fd, rss_path = tempfile.mkstemp()
    os.close(rss_fd)
    full = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_path] + limits + ["--"] + argv
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(full, stdout=out if stdout_to_file else subprocess.DEVNULL, stderr=err,
                             cwd=cwd, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"))
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        try:
            with open(rss_path) as f:
                rss_kb = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            rss_kb = ru.ru_maxrss
        os.unlink(rss_path)
        return Result(argv, p.returncode, out.read(1 << 20), err.read(1 << 20), wall, rss_kb / 1024)


# ---- checking one run ----------------------------------------------------------------

class Run:
    """One CLI invocation and what it must do.
    expect: "reject" (65), "ok" (0), "safe" (0 or 65), "warn1" (0 with exactly
    one warning). bound: the largest location N allowed (a cut, a size)."""

    def __init__(self, path, cmd, expect, bound=None, extra=(), rss_mb=None, msg=None, timeout=None):
        self.path, self.cmd, self.expect, self.bound = path, cmd, expect, bound
        self.extra, self.rss_mb, self.msg = list(extra), rss_mb or SMALL_RSS_MB, msg
        self.timeout = timeout or TIMEOUT_S


def check_run(run):
    """Runs it; returns (problems, wall seconds, max RSS MB)."""
    problems = []
    workdir = tempfile.mkdtemp(prefix="badin_")
    try:
        out = os.path.join(workdir, "out.kiln")
        if run.cmd == "top":
            argv = [KILN, "top", *run.extra, run.path]
        else:
            argv = [KILN, "convert", *run.extra, run.path, "-o", out]
        r = run_limited(argv, workdir, run.timeout)
        where = "%s %s" % (run.cmd, os.path.basename(run.path))
        lines = r.err.decode("utf-8", "replace").splitlines()
        if r.code < 0 or r.code not in (0, 65):
            problems.append("%s: exit %d (signal or unexpected code): %s" % (where, r.code, lines[:3]))
        if SANITIZER.search(r.err):
            problems.append("%s: sanitizer report: %s" % (where, lines[:5]))
        if r.wall > run.timeout:
            problems.append("%s: timed out after %.1f s" % (where, r.wall))
        if r.rss_mb > run.rss_mb:
            problems.append("%s: max RSS %.0f MB over the %d MB budget" % (where, r.rss_mb, run.rss_mb))
        want = {"reject": (65,), "ok": (0,), "warn1": (0,), "safe": (0, 65)}[run.expect]
        if r.code not in want:
            problems.append("%s: exit %d, expected %s: %s" % (where, r.code, want, lines[:3]))
        if r.code == 65:
            if len(lines) != 1:
                problems.append("%s: %d stderr lines, expected one: %s" % (where, len(lines), lines[:4]))
            m = LOC.match(lines[0]) if lines else None
            if not m or m.group("file") != run.path:
                problems.append("%s: error line lacks file and location: %r" % (where, lines[:1]))
            elif run.bound is not None and int(m.group("n")) > run.bound:
                problems.append("%s: location %s %s past the bound %d" % (where, m.group("kind"),
                                                                          m.group("n"), run.bound))
            if run.msg and lines and run.msg not in lines[0]:
                problems.append("%s: error %r lacks %r" % (where, lines[0], run.msg))
        elif r.code == 0:
            for ln in lines:
                m = WARN.match(ln)
                if not m or m.group("file") != run.path:
                    problems.append("%s: malformed stderr line on success: %r" % (where, ln[:200]))
                elif run.bound is not None and int(m.group("n")) > run.bound:
                    problems.append("%s: warning location %s past the bound %d" % (where, m.group("n"),
                                                                                   run.bound))
            if run.expect == "warn1" and len(lines) != 1:
                problems.append("%s: %d warnings, expected exactly one: %s" % (where, len(lines), lines[:3]))
            if run.expect == "warn1" and run.msg and lines and run.msg not in lines[0]:
                problems.append("%s: warning %r lacks %r" % (where, lines[0], run.msg))
        if run.cmd == "convert":
            if r.code != 0 and os.path.exists(out):
                problems.append("%s: output file left after a failure" % where)
            if r.code == 0:
                with open(out, "rb") as f:
                    if f.read(8) != MAGIC:
                        problems.append("%s: output is not a .kiln file" % where)
        leftovers = [n for n in os.listdir(workdir) if ".tmp." in n]
        if leftovers:
            problems.append("%s: temporary files left: %s" % (where, leftovers))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return problems, r.wall, r.rss_mb


# ---- inputs ------------------------------------------------------------------------

class Inputs:
    """Generates the base inputs once, in a temporary directory."""

    def __init__(self, tmp):
        self.tmp = tmp

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def cprofile(self, name, code):
        """A .prof written by the real cProfile (in a child Python)."""
        p = self.path(name)
        subprocess.run([sys.executable, "-c", code, p], check=True, timeout=300)
        return p

    def convert(self, src, name, fmt=None):
        p = self.path(name)
        frm = ["--from", fmt] if fmt else []
        r = subprocess.run([KILN, "convert", *frm, src, "-o", p], capture_output=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("kiln convert %s failed: %s" % (src, r.stderr.decode()[:300]))
        return p


TINY_PROF = """
import cProfile, sys
def leaf(i): return i * i
def work(n): return sum(leaf(i) for i in range(n))
cProfile.run('work(5)', sys.argv[1])
"""

NAMED_PROF = """
import cProfile, sys
def make(name):
    def f(): return 1
    f.__code__ = f.__code__.replace(co_name=name)
    return f
fns = [make(n) for n in %r]
def main():
    for f in fns: f()
cProfile.run('main()', sys.argv[1])
"""


def marshal_prof(nfuncs, chain):
    """A pstats stats dict as marshal writes it (pstats.Stats.dump_stats):
    {(file, line, name): (cc, nc, tt, ct, {caller: (nc, cc, tt, ct)})}.
    chain: function i is called by i-1 (a deep graph); else all called by f0."""
    stats = {}
    for i in range(nfuncs):
        key = ("m.py", i + 1, "fn_%d" % i)
        callers = {}
        if i:
            parent = ("m.py", i, "fn_%d" % (i - 1)) if chain else ("m.py", 1, "fn_0")
            callers[parent] = (1, 1, 1e-6, (nfuncs - i) * 1e-6 if chain else 1e-6)
        ct = (nfuncs - i) * 1e-6 if chain else (1e-6 if i else nfuncs * 1e-6)
        stats[key] = (1, 1, 1e-6, ct, callers)
    return marshal.dumps(stats)


def perf_sample(frames, period=1000, comm="prog", ts=1.0):
    head = "%s 1234 %.6f: %d cycles:u: \n" % (comm, ts, period)
    body = "".join("\t%12x %s+0x0 (/usr/bin/prog)\n" % (0x1000 + i, f) for i, f in enumerate(frames))
    return head + body + "\n"


def small_perf_text():
    with lzma.open(os.path.join(FIX, "perf", "medium.perf.xz"), "rb") as f:
        data = f.read(200000)
    # the first three samples (samples are separated by blank lines)
    parts = data.split(b"\n\n")
    return b"\n\n".join(parts[:3]) + b"\n\n"


def small_folded_text():
    with open(os.path.join(FIX, "perf", "medium.folded"), "rb") as f:
        lines = f.read(200000).split(b"\n")
    return b"\n".join([l for l in lines[:-1] if len(l) < 400][:12]) + b"\n"


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def kiln_first_chunk_end(data):
    clen = int.from_bytes(data[20:24], "little")
    return 16 + 16 + clen


def text_cuts(n):
    return sorted(set(list(range(0, min(n, 120))) + list(range(120, n, 29))))


# ---- the table -------------------------------------------------------------------
# Each row: (id, format, what, expected, generator(inputs) -> [Run]).

def rows():
    R = []

    def row(rid, fmt, what, expect):
        def deco(fn):
            R.append((rid, fmt, what, expect, fn))
            return fn
        return deco

    # -- empty and wrong format
    for fmt, ext in (("prof", "prof"), ("folded", "folded"), ("perf", "perf"), ("kiln", "kiln")):
        @row("%s-empty" % fmt, fmt, "empty file (sniffed, and forced with --from)",
             "REJECT when sniffed; forced text formats: SAFE")
        def _(inp, fmt=fmt, ext=ext):
            p = inp.write("empty." + ext, b"")
            forced = "safe" if fmt in ("folded", "perf") else "reject"
            return [Run(p, "top", "reject", 0), Run(p, "convert", "reject", 0),
                    Run(p, "top", forced, 0, ["--from", fmt])]

    @row("all-wrong-format", "all", "each format forced (--from) on every other format's file; "
         "random bytes sniffed", "binary importers REJECT; text importers SAFE")
    def _(inp):
        runs = []
        files = {"prof": inp.tiny_prof, "kiln": inp.tiny_kiln, "folded": inp.small_folded,
                 "perf": inp.small_perf}
        for forced in files:
            for fmt, path in files.items():
                if fmt != forced:
                    exp = "reject" if forced in ("prof", "kiln") else "safe"
                    runs.append(Run(path, "top", exp, os.path.getsize(path), ["--from", forced]))
        rnd = bytes((i * 97 + 13) % 251 for i in range(4096))
        p = inp.write("random.bin", b"\x00" + rnd)
        runs += [Run(p, "top", "reject", len(rnd) + 1), Run(p, "convert", "reject", len(rnd) + 1)]
        return runs

    # -- every prefix
    @row("prof-truncate", "prof", "every prefix of a real 0.6 KB cProfile file", "REJECT, offset <= cut")
    def _(inp):
        data = read_bytes(inp.tiny_prof)
        runs = []
        for cut in range(len(data)):
            p = inp.write("prof_cut_%d.prof" % cut, data[:cut])
            runs.append(Run(p, "top", "reject", cut))
            if cut % 10 == 0:
                runs.append(Run(p, "convert", "reject", cut))
        return runs

    @row("kiln-truncate", "kiln", "every prefix of a .kiln converted from the cProfile file",
         "before the first complete chunk: REJECT; after: OK with ONE warning, offset <= cut")
    def _(inp):
        data = read_bytes(inp.tiny_kiln)
        first = kiln_first_chunk_end(data)
        runs = []
        for cut in range(len(data)):
            p = inp.write("kiln_cut_%d.kiln" % cut, data[:cut])
            exp = "reject" if cut < first else "warn1"
            runs.append(Run(p, "top", exp, cut, msg="incomplete" if cut >= first else None))
            if cut % 10 == 0:
                runs.append(Run(p, "convert", exp, cut))
            if cut >= first and cut % 13 == 0:
                runs.append(Run(p, "top", "reject", cut, ["--strict"]))
        return runs

    for fmt in ("folded", "perf"):
        @row("%s-truncate" % fmt, fmt, "prefixes of a small real file (every byte of the first 120, "
             "then every 29th)", "SAFE (a shorter profile, or REJECT at line <= lines)")
        def _(inp, fmt=fmt):
            src = inp.small_folded if fmt == "folded" else inp.small_perf
            data = read_bytes(src)
            runs = []
            for cut in text_cuts(len(data)):
                p = inp.write("%s_cut_%d.%s" % (fmt, cut, fmt), data[:cut])
                bound = data[:cut].count(b"\n") + 1
                runs.append(Run(p, "top", "safe", max(bound, cut), ["--from", fmt]))
                if cut % 8 == 0:
                    runs.append(Run(p, "convert", "safe", max(bound, cut), ["--from", fmt]))
            return runs

    # -- bit flips
    for fmt in ("prof", "kiln", "folded", "perf"):
        @row("%s-bitflip" % fmt, fmt, "single-bit flips (binary: every 3rd byte, text: every 7th; bit = offset mod 8; "
             "the unit tests flip every bit of .kiln in-process)", "SAFE, location inside the file")
        def _(inp, fmt=fmt):
            src = {"prof": inp.tiny_prof, "kiln": inp.tiny_kiln, "folded": inp.small_folded,
                   "perf": inp.small_perf}[fmt]
            data = read_bytes(src)
            step = 3 if fmt in ("prof", "kiln") else 7
            runs = []
            for i in range(0, len(data), step):
                d = bytearray(data)
                d[i] ^= 1 << (i % 8)
                p = inp.write("%s_flip_%d.%s" % (fmt, i, fmt), bytes(d))
                runs.append(Run(p, "top", "safe", len(data), ["--from", fmt]))
                if i % (10 * step) == 0:
                    runs.append(Run(p, "convert", "safe", len(data), ["--from", fmt]))
            return runs

    # -- lengths and counts past the end
    @row("prof-count-past-end", "prof", "marshal string length 2^31-1, tuple/list/dict sizes past the "
         "end, negative length", "REJECT (no allocation of the declared size)")
    def _(inp):
        cases = {
            "str": b"{" + b"\xda" + b"\xff\xff\xff\x7f" + b"abc",          # TYPE_UNICODE|FLAG_REF
            "tuple": b"{" + b"(" + b"\xff\xff\xff\x7f" + b"i\x01\x00\x00\x00",
            "list": b"[" + b"\xff\xff\xff\x7f",
            "neglen": b"{" + b"u" + b"\xff\xff\xff\xff" + b"x",
            "short": b"{" + b")\x05" + b"i\x01\x00\x00\x00",
        }
        runs = []
        for name, data in cases.items():
            p = inp.write("past_%s.prof" % name, data)
            runs += [Run(p, "top", "reject", len(data), ["--from", "prof"]),
                     Run(p, "convert", "reject", len(data), ["--from", "prof"])]
        return runs

    @row("kiln-count-past-end", "kiln", "chunk lengths 0, past the end, 2^32-1; ulen over 64 MiB; "
         "ratio over 1100:1 (a zip bomb header)", "REJECT (limit), before reading or inflating")
    def _(inp):
        data = read_bytes(inp.tiny_kiln)
        first = kiln_first_chunk_end(data)
        runs = []

        def patched(name, offset, value, exp, msg):
            d = bytearray(data)
            d[offset:offset + 4] = value.to_bytes(4, "little")
            p = inp.write("kiln_%s.kiln" % name, bytes(d))
            runs.append(Run(p, "top", exp, len(d), msg=msg))
            runs.append(Run(p, "convert", exp, len(d), msg=msg))

        patched("clen0", 20, 0, "reject", "compressed length is 0")
        patched("clenmax", 20, 0xFFFFFFFF, "reject", "exceeds the cap")
        patched("ulenbig", 24, (64 << 20) + 1, "reject", "exceeds the cap")
        patched("ratio", 24, 60 << 20, "reject", "ratio")
        # a length running past the end of the file in the second chunk: torn, one warning
        patched("pastend", first + 4, 1 << 20, "warn1", "torn")
        return runs

    for fmt in ("folded", "perf"):
        @row("%s-count-past-end" % fmt, fmt, "counts/periods of 2^64 and 10^30", "SAFE")
        def _(inp, fmt=fmt):
            if fmt == "folded":
                data = b"a;b 18446744073709551616\na;c 1000000000000000000000000000000\n"
            else:
                data = (perf_sample(["main", "f"], period=2 ** 64) +
                        perf_sample(["main", "g"], period=10 ** 30)).encode()
            p = inp.write("huge_count." + fmt, data)
            return [Run(p, "top", "safe", len(data), ["--from", fmt]),
                    Run(p, "convert", "safe", len(data), ["--from", fmt])]

    # -- hostile names
    long_name = "x" * 70000
    for fmt in ("prof", "folded", "perf", "kiln"):
        @row("%s-long-name" % fmt, fmt, "a 70 KB function name", "OK (name cut to 64 KiB)")
        def _(inp, fmt=fmt):
            if fmt == "prof":
                p = inp.cprofile("long.prof", NAMED_PROF % ([long_name, "short"],))
            elif fmt == "folded":
                p = inp.write("long.folded", ("main;%s 3\nmain;g 1\n" % long_name).encode())
            elif fmt == "perf":
                p = inp.write("long.perf", perf_sample(["main", long_name]).encode())
            else:
                p = inp.convert(inp.write("long_src.folded", ("main;%s 3\n" % long_name).encode()),
                                "long.kiln")
            return [Run(p, "top", "ok"), Run(p, "convert", "ok")]

    for fmt in ("prof", "folded", "perf", "kiln"):
        @row("%s-nul-bytes" % fmt, fmt, "NUL bytes inside function names", "OK (prof, kiln); SAFE (text)")
        def _(inp, fmt=fmt):
            exp = "ok" if fmt in ("prof", "kiln") else "safe"
            if fmt == "prof":
                p = inp.cprofile("nul.prof", NAMED_PROF % (["a\0b", "\0"],))
            elif fmt == "folded":
                p = inp.write("nul.folded", b"main;a\x00b 2\nmain;\x00 1\n")
            elif fmt == "perf":
                p = inp.write("nul.perf", perf_sample(["main", "a\0b"]).encode())
            else:
                p = inp.convert(inp.cprofile("nul_src.prof", NAMED_PROF % (["a\0b"],)), "nul.kiln")
            return [Run(p, "top", exp), Run(p, "convert", exp)]

    for fmt in ("prof", "folded", "perf", "kiln"):
        @row("%s-invalid-utf8" % fmt, fmt, "invalid UTF-8 in names (lone surrogates from CPython; "
             "C0/C1, overlong, F5-FF, truncated sequences in text)", "OK (prof, kiln); SAFE (text)")
        def _(inp, fmt=fmt):
            bad = b"\xc0\xaf \xff\xfe \xed\xa0\x80 \xe2\x82 \xf5\x80"
            exp = "ok" if fmt in ("prof", "kiln") else "safe"
            if fmt == "prof":
                p = inp.cprofile("utf.prof", NAMED_PROF % (["\ud800x", "\udcff"],))
            elif fmt == "folded":
                p = inp.write("utf.folded", b"main;" + bad + b" 2\n\xff;\xfe 1\n")
            elif fmt == "perf":
                p = inp.write("utf.perf", perf_sample(["main", "BAD"]).encode().replace(b"BAD", bad))
            else:
                p = inp.convert(inp.write("utf_src.folded", b"main;" + bad + b" 2\n"), "utf.kiln")
            return [Run(p, "top", exp), Run(p, "convert", exp)]

    # -- pathological sizes
    MILLION = 10 ** 6
    for fmt in ("prof", "folded", "perf", "kiln"):
        @row("%s-deep" % fmt, fmt, "a 10^6-frame stack (prof: a call chain of 10^5 functions, "
             "whose tree is rebuilt from the graph)", "OK in bounded time and memory")
        def _(inp, fmt=fmt):
            if fmt == "prof":
                p = inp.write("deep.prof", marshal_prof(10 ** 5, chain=True))
            elif fmt == "folded":
                p = inp.write("deep.folded", (";".join(["f"] * (MILLION - 1) + ["leaf"]) + " 1\n").encode())
            elif fmt == "perf":
                frames = ["leaf"] + ["f"] * (MILLION - 1)   # perf lists the leaf first
                p = inp.write("deep.perf", perf_sample(frames).encode())
            else:
                src = inp.write("deep_src.folded", (";".join(["f"] * (MILLION - 1) + ["leaf"]) + " 1\n").encode())
                p = inp.convert(src, "deep.kiln", "folded")
            # a 2 MB first line is past what sniffing looks at: name the format
            frm = ["--from", fmt]
            return [Run(p, "top", "ok", extra=frm, rss_mb=RSS_BUDGET_MB, timeout=120 * SLOW),
                    Run(p, "convert", "ok", extra=frm, rss_mb=RSS_BUDGET_MB, timeout=120 * SLOW)]

        @row("%s-many-names" % fmt, fmt, "10^6 distinct function names (prof: 2x10^5 functions)",
             "OK in bounded time and memory")
        def _(inp, fmt=fmt):
            if fmt == "prof":
                p = inp.write("many.prof", marshal_prof(2 * 10 ** 5, chain=False))
            elif fmt == "folded":
                p = inp.write("many.folded", "".join("main;fn_%d 1\n" % i for i in range(MILLION)).encode())
            elif fmt == "perf":
                p = inp.write("many.perf", "".join(
                    perf_sample(["a%d" % i, "b%d" % i, "c%d" % i, "d%d" % i], ts=1 + i * 1e-6)
                    for i in range(MILLION // 4)).encode())
            else:
                src = inp.write("many_src.folded", "".join("main;fn_%d 1\n" % i for i in range(MILLION)).encode())
                p = inp.convert(src, "many.kiln")
            return [Run(p, "top", "ok", rss_mb=RSS_BUDGET_MB, timeout=120 * SLOW),
                    Run(p, "convert", "ok", rss_mb=RSS_BUDGET_MB, timeout=120 * SLOW)]

    # -- .kiln specifics
    @row("kiln-damage", "kiln", "CRC mismatch in a middle chunk; unknown chunk type; future version; "
         "data after END", "WARN (one warning; --strict REJECT); OK+WARN; REJECT; WARN")
    def _(inp):
        data = read_bytes(inp.tiny_kiln)
        first = kiln_first_chunk_end(data)
        runs = []
        d = bytearray(data)
        d[first + 16 + 2] ^= 0x40          # inside the second chunk's compressed bytes
        p = inp.write("crc.kiln", bytes(d))
        runs += [Run(p, "top", "warn1", first, msg="CRC mismatch"),
                 Run(p, "top", "reject", first, ["--strict"], msg="CRC mismatch")]
        d = bytearray(data)
        d[first:first + 4] = b"XTRA"        # the second chunk becomes an unknown type
        p = inp.write("unknown.kiln", bytes(d))
        runs.append(Run(p, "top", "safe", len(d)))
        d = bytearray(data)
        d[8:12] = (3).to_bytes(2, "little") + (2).to_bytes(2, "little")
        p = inp.write("future.kiln", bytes(d))
        runs.append(Run(p, "top", "reject", 8, msg="needs a reader of version 2"))
        p = inp.write("trailing.kiln", data + b"junk")
        runs += [Run(p, "top", "warn1", len(data), msg="after the end marker"),
                 Run(p, "convert", "reject", len(data), ["--strict"])]
        return runs

    return R


# ---- the unittest wrapper ---------------------------------------------------------

class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("prlimit",):
            if not shutil.which(tool):
                raise unittest.SkipTest("%s not installed (util-linux)" % tool)
        r = subprocess.run([KILN, "convert", "--help"], capture_output=True)
        if r.returncode != 0:
            raise unittest.SkipTest("`kiln convert` not available")
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="kiln_badinput_")
        inp = Inputs(cls.tmpdir.name)
        inp.tiny_prof = inp.cprofile("tiny.prof", TINY_PROF)
        inp.tiny_kiln = inp.convert(inp.tiny_prof, "tiny.kiln")
        inp.small_folded = inp.write("small.folded", small_folded_text())
        inp.small_perf = inp.write("small.perf", small_perf_text())
        cls.inp = inp

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def test_table(self):
        only = set(filter(None, os.environ.get("KILN_BADINPUT_ONLY", "").split(",")))
        failures = []
        total_runs = 0
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            for rid, fmt, what, expect, gen in rows():
                if only and rid not in only:
                    continue
                t0 = time.monotonic()
                runs = gen(self.inp)
                results = list(pool.map(check_run, runs))
                problems = [p for res in results for p in res[0]]
                total_runs += len(runs)
                print("%-24s %5d runs %6.1f s (slowest %.2f s, max RSS %.0f MB)  %s" % (
                    rid, len(runs), time.monotonic() - t0, max(r[1] for r in results),
                    max(r[2] for r in results), "ok" if not problems else "%d PROBLEMS" % len(problems)),
                    flush=True)
                for p in problems[:10]:
                    print("    " + p, flush=True)
                failures += ["%s: %s" % (rid, p) for p in problems]
                for name in os.listdir(self.inp.tmp):   # drop per-row generated files
                    if "_cut_" in name or "_flip_" in name:
                        os.unlink(os.path.join(self.inp.tmp, name))
        print("%d runs in all" % total_runs)
        self.assertEqual(failures, [], "\n".join(failures[:40]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
