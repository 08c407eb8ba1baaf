"""The -finstrument-functions runtime (libkiln-instrument) and the
allocation tracker (libkiln-alloc): exact counts against the arithmetic of
the test programs, the fault suite against plain runs, allocation totals
against heaptrack's on the same program. Profiles are read back through
libkiln (tree_dump: kiln_import_path + the tree walk, symbolized)."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

KILN = os.environ.get("KILN", "kiln")
SRC = os.environ.get("KILN_SRC", ".")
BUILD = os.environ.get("KILN_BUILD", ".")
DUMP = os.environ.get("KILN_TREE_DUMP", "")
HERE = os.path.join(SRC, "tests", "instrument")
COLLECTOR = os.path.join(BUILD, "collector")
K = 1000


def fib_depth_counts(n):
    """calls of fib at each recursion depth (1 = the outermost) for fib(n)"""
    counts = {}
    stack = [(n, 1)]
    while stack:
        m, d = stack.pop()
        counts[d] = counts.get(d, 0) + 1
        if m >= 2:
            stack.append((m - 1, d + 1))
            stack.append((m - 2, d + 1))
    return counts


def dump(path):
    r = subprocess.run([DUMP, path], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("tree_dump %s: %s" % (path, r.stderr))
    prof = {"types": [], "meta": {}, "nodes": {}, "edges": []}
    for line in r.stdout.splitlines():
        kind, rest = line[0], line[2:]
        if kind == "T":
            prof["types"].append(rest.split()[0])
        elif kind == "M":
            k, _, v = rest.partition(" ")
            prof["meta"][k] = v
        elif kind == "N":
            f = rest.split(" ")
            nt = len(prof["types"])
            vals = [float(x) for x in f[3:3 + 2 * nt]]
            path_ = " ".join(f[3 + 2 * nt:])
            prof["nodes"][int(f[0])] = {
                "parent": int(f[1]), "calls": int(f[2]),
                "self": vals[0::2], "total": vals[1::2], "path": path_,
                "name": path_.split(";")[-1]}
        elif kind == "E":
            calls, a, b = rest.split(" ", 2)
            prof["edges"].append((a, b, int(calls)))
    return prof


def calls_of(prof, name):
    return sum(n["calls"] for n in prof["nodes"].values() if n["name"] == name)


def self_of(prof, name, t):
    i = prof["types"].index(t)
    return sum(n["self"][i] for n in prof["nodes"].values() if n["name"] == name)


def record_works(mode):
    r = subprocess.run([KILN, "record", "--help"], capture_output=True, text=True)
    return r.returncode == 0 and mode in r.stdout


class InstrumentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not DUMP or not os.path.exists(DUMP):
            raise unittest.SkipTest("tree_dump not built")
        cls.tmp = tempfile.mkdtemp(prefix="kiln-instr-")
        cls.bin = {}
        flags = ["-O1", "-g", "-finstrument-functions", "-pthread"]
        for name in ("fib", "fault"):
            out = os.path.join(cls.tmp, name)
            subprocess.run(["gcc"] + flags + [os.path.join(HERE, name + ".c"), "-o", out], check=True)
            cls.bin[name] = out
        out = os.path.join(cls.tmp, "alloc")
        subprocess.run(["gcc", "-O1", "-g", os.path.join(HERE, "alloc.c"), "-o", out], check=True)
        cls.bin["alloc"] = out
        # linked in: the flags `kiln cflags` prints
        cf = subprocess.run([KILN, "cflags"], capture_output=True, text=True, check=True).stdout.split()
        out = os.path.join(cls.tmp, "fib_linked")
        subprocess.run(["gcc", "-O1", "-g", os.path.join(HERE, "fib.c")] + cf + ["-o", out], check=True)
        cls.bin["fib_linked"] = out

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_under(self, mode, argv, out, use_record=False):
        """runs argv with the collector of mode ("calls"/"alloc"), profile to out"""
        env = dict(os.environ)
        env.pop("KILN_ROOT_PID", None)
        if use_record:
            opt = ["--calls"] if mode == "calls" else ["--mode", "alloc"]
            cmd = [KILN, "record", "-q", "-o", out] + opt + ["--"] + argv
        else:
            lib = "libkiln-instrument.so" if mode == "calls" else "libkiln-alloc.so"
            env["LD_PRELOAD"] = os.path.join(COLLECTOR, lib)
            env["KILN_OUTPUT"] = out
            cmd = argv
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    def check_tree_sums(self, prof):
        """self + children's totals == total for every node and type"""
        kids = {}
        for i, n in prof["nodes"].items():
            kids.setdefault(n["parent"], []).append(i)
        for i, n in prof["nodes"].items():
            for t in range(len(prof["types"])):
                s = n["self"][t] + sum(prof["nodes"][c]["total"][t] for c in kids.get(i, []))
                self.assertAlmostEqual(s, n["total"][t], delta=1e-9 * max(1.0, abs(n["total"][t])),
                                       msg="node %s" % n["path"])

    def check_fib(self, prof):
        expect = fib_depth_counts(20)
        got = {}
        for n in prof["nodes"].values():
            parts = n["path"].split(";")
            if n["name"] == "fib":
                self.assertEqual(parts[:parts.index("fib")], parts[:parts.index("fib")])
                self.assertTrue(all(p == "fib" for p in parts[parts.index("fib"):]), n["path"])
                self.assertEqual(parts[parts.index("fib") - 1], "main", n["path"])
                got[len(parts) - parts.index("fib")] = n["calls"]
        self.assertEqual(got, {d: 40 * c for d, c in expect.items()})
        self.assertEqual(sum(got.values()), 875640)
        edges = {(a, b): c for a, b, c in prof["edges"]}
        self.assertEqual(edges[("main", "fib")], 40)
        self.assertEqual(edges[("fib", "fib")], 875640 - 40)
        self.assertEqual(calls_of(prof, "main"), 1)
        self.assertEqual(prof["types"], ["time"])
        self.check_tree_sums(prof)
        for k in ("pid", "command", "host", "tool"):
            self.assertIn(k, prof["meta"])

    def test_fib_preloaded(self):
        out = os.path.join(self.tmp, "fib_pre.kiln")
        r = self.run_under("calls", [self.bin["fib"]], out)
        self.assertEqual((r.returncode, r.stdout), (0, "270600\n"), r.stderr)
        self.check_fib(dump(out))

    def test_fib_linked(self):
        out = os.path.join(self.tmp, "fib_lnk.kiln")
        env = dict(os.environ, KILN_OUTPUT=out)
        env.pop("KILN_ROOT_PID", None)
        r = subprocess.run([self.bin["fib_linked"]], capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, "270600\n"), r.stderr)
        self.check_fib(dump(out))

    def test_fib_kiln_top_pstats_style(self):
        out = os.path.join(self.tmp, "fib_top.kiln")
        self.run_under("calls", [self.bin["fib"]], out)
        r = subprocess.run([KILN, "top", out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"875640/40\s+fib")

    def test_record_calls(self):
        if not record_works("calls"):
            self.skipTest("kiln record has no calls mode in this build")
        out = os.path.join(self.tmp, "fib_rec.kiln")
        r = self.run_under("calls", [self.bin["fib"]], out, use_record=True)
        self.assertEqual((r.returncode, r.stdout), (0, "270600\n"), r.stderr)
        self.check_fib(dump(out))

    def test_eight_threads(self):
        out = os.path.join(self.tmp, "thr8.kiln")
        r = self.run_under("calls", [self.bin["fault"], "threads", str(K), "8"], out)
        self.assertEqual(r.returncode, 0, r.stderr)
        prof = dump(out)
        self.assertEqual(calls_of(prof, "leaf"), K + 8 * 1000)
        self.assertEqual(calls_of(prof, "work"), 1 + 8)
        self.assertEqual(calls_of(prof, "thread_main"), 8)
        self.check_tree_sums(prof)

    # ---- the fault suite, in both modes ----------------------------------------

    FAULTS = [  # mode, expected work calls in the main profile (None: at most)
        ("normal", K), ("fork", 2 * K), ("exec", K), ("threads", K + 64 * 1000),
        ("segv", K), ("abort", K), ("exit", K), ("kill", None)]

    def fault_suite(self, mode):
        for fault, expect in self.FAULTS:
            with self.subTest(fault=fault):
                argv = [self.bin["fault"], fault, str(K)] + (["64"] if fault == "threads" else [])
                base = subprocess.run(argv, capture_output=True, text=True, timeout=120)
                out = os.path.join(self.tmp, "fault-%s-%s.kiln" % (mode, fault))
                for f in glob.glob(out + "*"):
                    os.unlink(f)
                r = self.run_under(mode, argv, out)
                if fault == "fork":  # the child's line and the parent's may interleave
                    self.assertEqual(sorted(r.stdout.splitlines()), sorted(base.stdout.splitlines()))
                else:
                    self.assertEqual(r.stdout, base.stdout)
                self.assertEqual(r.returncode, base.returncode)
                self.assertEqual(r.stderr, base.stderr)
                files = [f for f in glob.glob(out + "*") if ".tmp." not in f]
                self.assertIn(out, files)
                profs = {f: dump(f) for f in files}  # every file reads
                main = profs[out]
                got = (calls_of(main, "leaf") if mode == "calls"
                       else int(self_of(main, "work", "alloc_count")))
                if expect is None:
                    self.assertLessEqual(got, K)
                else:
                    self.assertEqual(got, expect)
                if fault == "fork":
                    kids = [f for f in files if f != out]
                    self.assertEqual(len(kids), 1, files)
                    kid = profs[kids[0]]
                    kgot = (calls_of(kid, "leaf") if mode == "calls"
                            else int(self_of(kid, "work", "alloc_count")))
                    self.assertEqual(kgot, K)  # post-fork work only: no double counting
                if mode == "alloc" and expect is not None:
                    self.assertEqual(int(self_of(main, "work", "alloc_bytes")), 64 * expect)
                    self.assertEqual(int(self_of(main, "work", "leak_bytes")), 0)

    def test_fault_suite_calls(self):
        self.fault_suite("calls")

    def test_fault_suite_alloc(self):
        self.fault_suite("alloc")

    # ---- allocation totals ------------------------------------------------------------

    def alloc_profile(self):
        out = os.path.join(self.tmp, "alloc.kiln")
        r = self.run_under("alloc", [self.bin["alloc"]], out)
        self.assertEqual((r.returncode, r.stdout), (0, "done 1\n"), r.stderr)
        return dump(out)

    def test_alloc_exact(self):
        prof = self.alloc_profile()
        self.assertEqual(prof["types"], ["alloc_bytes", "alloc_count", "leak_bytes", "mmap_bytes"])
        self.assertEqual(self_of(prof, "leaky", "alloc_count"), 10)
        self.assertEqual(self_of(prof, "leaky", "leak_bytes"), 10000)
        self.assertEqual(self_of(prof, "hold", "alloc_bytes"), 100000)
        self.assertEqual(self_of(prof, "hold", "leak_bytes"), 0)
        self.assertEqual(self_of(prof, "churn", "alloc_count"), 5000)
        self.assertEqual(self_of(prof, "churn", "alloc_bytes"), sum(100 + i % 7 for i in range(5000)))
        # calloc 300, realloc 600, posix_memalign 256, aligned_alloc 128 in main itself
        self.assertEqual(self_of(prof, "main", "alloc_count"), 4)
        self.assertEqual(self_of(prof, "main", "alloc_bytes"), 300 + 600 + 256 + 128)
        self.assertEqual(int(prof["meta"]["peak_bytes"]), 110000)
        self.check_tree_sums(prof)

    def test_alloc_walker_matches_backtrace(self):
        """the cached CFI walker gives the same contexts as glibc's backtrace()"""
        profs = []
        for uw in ("", "backtrace"):
            out = os.path.join(self.tmp, "walk%s.kiln" % uw)
            env = dict(os.environ, LD_PRELOAD=os.path.join(COLLECTOR, "libkiln-alloc.so"),
                       KILN_OUTPUT=out, KILN_ALLOC_UNWIND=uw)
            env.pop("KILN_ROOT_PID", None)
            r = subprocess.run([self.bin["fault"], "threads", "300", "4"], capture_output=True,
                               text=True, env=env, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            p = dump(out)
            i = p["types"].index("alloc_count")
            got = {}
            for n in p["nodes"].values():
                if n["self"][i] and "main" in n["path"].split(";") or "thread_main" in n["path"]:
                    got[n["path"]] = got.get(n["path"], 0) + int(n["self"][i])
            profs.append({k: v for k, v in got.items() if v})
        self.assertIn(300, profs[1].values())
        self.assertEqual(profs[0], profs[1])

    def test_alloc_matches_heaptrack(self):
        if not shutil.which("heaptrack") or not shutil.which("heaptrack_print"):
            self.skipTest("heaptrack not installed (Debian package heaptrack)")
        prof = self.alloc_profile()
        raw = os.path.join(self.tmp, "ht")
        r = subprocess.run(["heaptrack", "-o", raw, self.bin["alloc"]], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        data = glob.glob(raw + "*")[0]

        def folded(cost):
            f = os.path.join(self.tmp, "ht.%s.folded" % cost)
            subprocess.run(["heaptrack_print", "-F", f, "--flamegraph-cost-type", cost, data],
                           capture_output=True, check=True, timeout=120)
            per_fn = {}
            with open(f) as fh:
                for line in fh:
                    stack, _, n = line.rstrip("\n").rpartition(" ")
                    frames = [re.sub(r" \(.*\)$", "", x) for x in stack.rstrip(";").split(";")]
                    if "main" not in frames:
                        continue  # heaptrack's own start-up (libstdc++'s pool)
                    # the innermost frame of the program: the allocating site
                    own = [x for x in frames if x in ("main", "leaky", "hold", "churn")][-1]
                    per_fn[own] = per_fn.get(own, 0) + int(n)
            return per_fn

        ht_count, ht_leak = folded("allocations"), folded("leaked")
        ours_count = {}
        ours_leak = {}
        i_count, i_leak = prof["types"].index("alloc_count"), prof["types"].index("leak_bytes")
        for n in prof["nodes"].values():
            parts = n["path"].split(";")
            if "main" not in parts:
                continue
            own = [x for x in parts if x in ("main", "leaky", "hold", "churn")][-1]
            ours_count[own] = ours_count.get(own, 0) + int(n["self"][i_count])
            ours_leak[own] = ours_leak.get(own, 0) + int(n["self"][i_leak])
        drop0 = lambda d: {k: v for k, v in d.items() if v}
        self.assertEqual(drop0(ht_count).get("churn"), 5000)  # the comparison is not vacuous
        self.assertEqual(drop0(ht_leak).get("leaky"), 10000)
        self.assertEqual(drop0(ours_count), drop0(ht_count))
        self.assertEqual(drop0(ours_leak), drop0(ht_leak))


class CallsRuntimeEdgeTest(unittest.TestCase):
    """--calls under longjmp, C++ exceptions, signals arriving inside the
    hooks, 10^6-deep recursion, and a program without the hooks."""

    @classmethod
    def setUpClass(cls):
        if not DUMP or not os.path.exists(DUMP):
            raise unittest.SkipTest("tree_dump not built")
        cls.tmp = tempfile.mkdtemp(prefix="kiln-instr-edge-")
        cls.bin = {}
        for name in ("jump", "sig", "deep"):
            out = os.path.join(cls.tmp, name)
            subprocess.run(["gcc", "-O1", "-g", "-finstrument-functions", "-pthread",
                            os.path.join(HERE, name + ".c"), "-o", out], check=True)
            cls.bin[name] = out
        out = os.path.join(cls.tmp, "plain")
        subprocess.run(["gcc", "-O1", "-g", os.path.join(HERE, "fib.c"), "-o", out], check=True)
        cls.bin["plain"] = out
        if shutil.which("g++"):
            out = os.path.join(cls.tmp, "throw")
            subprocess.run(["g++", "-O1", "-g", "-finstrument-functions",
                            os.path.join(HERE, "throw.cc"), "-o", out], check=True)
            cls.bin["throw"] = out

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def record(self, argv, name, timeout=120):
        out = os.path.join(self.tmp, name + ".kiln")
        env = dict(os.environ)
        env.pop("KILN_ROOT_PID", None)
        r = subprocess.run([KILN, "record", "-q", "--calls", "-o", out, "--"] + argv,
                           capture_output=True, text=True, env=env, timeout=timeout)
        return r, out

    def paths(self, prof):
        got = {}
        for n in prof["nodes"].values():
            if n["calls"]:
                got[n["path"]] = got.get(n["path"], 0) + n["calls"]
        return got

    def check_skipped_exits(self, prog, names, n=1000, m=500):
        deep, mid, after = names
        base = subprocess.run([self.bin[prog], str(n), str(m)], capture_output=True, text=True)
        r, out = self.record([self.bin[prog], str(n), str(m)], prog)
        self.assertEqual((r.returncode, r.stdout), (base.returncode, base.stdout), r.stderr)
        prof = dump(out)
        got = {re.sub(r"\(int\)", "", k): v for k, v in self.paths(prof).items()}
        # every context exact: the jumps/throws leave no stale frames behind
        self.assertEqual(got, {
            "main": 1, "main;round_trip": n, "main;round_trip;" + mid: n,
            "main;round_trip;%s;%s" % (mid, deep[0]): n,
            "main;round_trip;%s;%s;%s" % ((mid,) + deep): n,
            "main;round_trip;" + after: n, "main;tail": m}
            if len(deep) == 2 else {
            "main": 1, "main;round_trip": n, "main;round_trip;" + mid: n,
            "main;round_trip;%s;%s" % (mid, deep[0]): n,
            "main;round_trip;" + after: n, "main;tail": m})
        InstrumentTest.check_tree_sums(self, prof)
        top = subprocess.run([KILN, "top", out], capture_output=True, text=True)
        self.assertEqual(top.returncode, 0, top.stderr)
        self.assertRegex(top.stdout, r"\b%d\s+tail" % m)
        self.assertRegex(top.stdout, r"\b%d\s+round_trip" % n)

    def test_longjmp_skips_exits(self):
        self.check_skipped_exits("jump", (("deep2", "deep3"), "deep1", "after_jump"))

    def test_cxx_exceptions(self):
        if "throw" not in self.bin:
            self.skipTest("g++ not installed")
        self.check_skipped_exits("throw", (("thrower",), "middle", "after_throw"))

    def test_signal_handler_inside_hooks(self):
        r, out = self.record([self.bin["sig"], "3000000"], "sig")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.match(r"ticks (\d+) handled (\d+)\n$", r.stdout)
        self.assertTrue(m, r.stdout)
        ticks, handled = int(m.group(1)), int(m.group(2))
        self.assertEqual(ticks, 3000000)
        if handled == 0:
            self.skipTest("no signal was delivered during the run")
        prof = dump(out)
        self.assertEqual(calls_of(prof, "tick"), ticks)  # the interrupted thread's counts stay exact
        self.assertEqual(calls_of(prof, "main"), 1)
        missed = int(prof["meta"]["calls_missed_in_signal_handlers"])
        # each handler run: on_signal + in_handler, either recorded or counted as missed
        self.assertEqual(calls_of(prof, "on_signal") + calls_of(prof, "in_handler") + missed,
                         2 * handled)
        self.assertEqual(calls_of(prof, "on_signal"), calls_of(prof, "in_handler"))
        for n in prof["nodes"].values():
            if n["name"] == "in_handler":
                self.assertTrue(n["path"].endswith("on_signal;in_handler"), n["path"])
        InstrumentTest.check_tree_sums(self, prof)

    def test_million_deep_recursion(self):
        depth = 1000000
        r, out = self.record([self.bin["deep"], str(depth)], "deep", timeout=300)
        self.assertEqual((r.returncode, r.stdout), (0, "depth %d\n" % depth), r.stderr)
        top = subprocess.run([KILN, "top", "--sort", "calls", out], capture_output=True, text=True,
                             timeout=300)
        self.assertEqual(top.returncode, 0, top.stderr)
        # run() + 10^6 down() frames: the deepest call is one past the .kiln
        # depth cap (10^6 frames) and is counted as truncated, not recorded
        self.assertRegex(top.stdout, r"\b%d/1\s+down\b" % (depth - 1))
        meta = {}
        with subprocess.Popen([DUMP, out], stdout=subprocess.PIPE, text=True) as p:
            for line in p.stdout:  # the metadata comes first; the paths are huge
                if not line.startswith(("T ", "M ")):
                    break
                if line.startswith("M "):
                    k, _, v = line[2:].rstrip("\n").partition(" ")
                    meta[k] = v
            p.kill()
        self.assertEqual(meta.get("calls_truncated_depth"), "1")

    def test_program_without_hooks(self):
        nm = subprocess.run(["nm", "-D", "-u", self.bin["plain"]], capture_output=True, text=True)
        if nm.returncode != 0:
            self.skipTest("nm failed: %s" % nm.stderr)
        self.assertNotIn("__cyg_profile_func_enter", nm.stdout)  # really not instrumented
        base = subprocess.run([self.bin["plain"], "3", "10"], capture_output=True, text=True)
        r, out = self.record([self.bin["plain"], "3", "10"], "plain")
        self.assertEqual((r.returncode, r.stdout), (base.returncode, base.stdout))
        self.assertIn("no function called the -finstrument-functions hooks", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertEqual([n for n in dump(out)["nodes"].values() if n["calls"]], [])
        # an instrumented program gets no such line
        r2, _ = self.record([self.bin["jump"], "10", "10"], "jump_quiet")
        self.assertNotIn("finstrument-functions", r2.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
