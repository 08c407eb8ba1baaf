"""kiln top (kiln's own table) and the .prof importer's error contract.

Ground truth: Python's own marshal/pstats reading the same files (the stats
dict gives every function's nc/cc/tt/ct), and files written by Python's
marshal module for the hostile cases.
"""
import marshal
import os
import pstats
import subprocess
import tempfile
import unittest

KILN = os.environ.get("KILN")
SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(SRC, "fixtures", "python")
SLOW = os.path.join(FIX, "prof", "slow_n4000.prof")
SMALL = os.path.join(FIX, "prof", "fast_n8000_runcall.prof")


def run(*args, stdin=None):
    return subprocess.run([KILN] + list(args), capture_output=True, timeout=120, input=stdin)


def parse_rows(out):
    """Rows of `kiln top --no-marks`: (total%, self%, calls, name, location)."""
    lines = out.decode("utf-8").split("\n")
    assert lines[1] == "" and "function" in lines[2], lines[:3]
    rows = []
    for line in lines[3:]:
        if not line:
            continue
        rest = line[52:]
        name, _, loc = rest.partition("  ")
        rows.append((float(line[0:7].strip().rstrip("%")), float(line[8:15].strip().rstrip("%")),
                     line[38:50].strip(), name, loc))
    return rows


def pstats_calls(nc, cc):
    return str(nc) if nc == cc else "%d/%d" % (nc, cc)


def truth(path):
    st = pstats.Stats(path)
    by_loc = {}
    for (f, line, name), (cc, nc, tt, ct, _) in st.stats.items():
        loc = "" if (f == "~" and line == 0) else "%s:%d" % (f, line)
        by_loc.setdefault((name, loc), []).append((cc, nc, tt, ct))
    return st.total_tt, by_loc


@unittest.skipUnless(KILN, "KILN is not set (run through ctest)")
class TopTable(unittest.TestCase):
    def rows(self, *args, path=SLOW):
        r = run("top", "--no-marks", *args, path)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout, parse_rows(r.stdout)

    def test_values_match_pstats(self):
        total_tt, by_loc = truth(SLOW)
        out, rows = self.rows("--limit", "100000")
        self.assertEqual(len(rows), len(pstats.Stats(SLOW).stats))
        for tot_pct, self_pct, calls, name, loc in rows:
            cands = by_loc[(name, loc)]
            self.assertEqual(len(cands), 1, (name, loc))
            cc, nc, tt, ct = cands[0]
            self.assertEqual(calls, pstats_calls(nc, cc), name)
            self.assertAlmostEqual(tot_pct, 100 * ct / total_tt, delta=0.051)
            self.assertAlmostEqual(self_pct, 100 * tt / total_tt, delta=0.051)
        self.assertIn(b"%d functions" % len(rows), out.split(b"\n")[0])
        self.assertIn(b"from prof (cProfile (Python 3))", out.split(b"\n")[0])

    def test_orders(self):
        _, by_loc = truth(SLOW)
        for sort, field, desc in (("cumulative", 3, True), ("self", 2, True), ("tottime", 2, True),
                                  ("calls", 1, True)):
            with self.subTest(sort=sort):
                _, rows = self.rows("--sort", sort, "--limit", "100000")
                vals = [by_loc[(r[3], r[4])][0][field] for r in rows]
                self.assertEqual(vals, sorted(vals, reverse=desc))
        _, rows = self.rows("--sort", "name", "--limit", "100000")
        names = [r[3].encode() for r in rows]
        self.assertEqual(names, sorted(names))

    def test_limit(self):
        self.assertEqual(len(self.rows()[1]), 25)
        self.assertEqual(len(self.rows("--limit", "3")[1]), 3)
        self.assertEqual(len(self.rows("--limit", "0")[1]), 0)

    def test_marks_follow_pstats_numbers(self):
        # L (slow leaf) and J (busy junction) use kiln_analysis_opts' defaults:
        # leaf: self/total >= 0.80 and self >= 5% of the run; junction: total >=
        # 10% of the run and self/total <= 0.20. Checked against pstats' tt/ct.
        total_tt, by_loc = truth(SLOW)
        r = run("top", "--limit", "100000", SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().split("\n")
        marked = 0
        for line in lines[3:]:
            if not line or line[0] == " ":
                continue
            mark, rest = line[0], line[2:]
            name, _, loc = rest[52:].partition("  ")
            cc, nc, tt, ct = by_loc[(name, loc)][0]
            marked += 1
            if mark == "L":
                self.assertGreaterEqual(tt / ct, 0.80 - 1e-9, name)
                self.assertGreaterEqual(tt / total_tt, 0.05 - 1e-9, name)
            else:
                self.assertEqual(mark, "J")
                self.assertGreaterEqual(ct / total_tt, 0.10 - 1e-9, name)
                self.assertLessEqual(tt / ct, 0.20 + 1e-9, name)
        self.assertGreater(marked, 0)

    def test_python2_file(self):
        out, rows = self.rows("--limit", "100000", path=os.path.join(FIX, "xver", "xver_pyenv-2.7.18.prof"))
        self.assertIn(b"(Python 2)", out.split(b"\n")[0])
        self.assertIn("8361/1", [r[2] for r in rows])  # fib's recursion, as 2.7's pstats shows it

    def test_stdin(self):
        with open(SMALL, "rb") as fh:
            data = fh.read()
        r = run("top", "--pstats", "-", stdin=data)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = subprocess.run(["python3", "-c", "import pstats,sys; pstats.Stats(sys.argv[1]).sort_stats("
                               "'cumulative').print_stats()", SMALL], capture_output=True,
                              env=dict(os.environ, PYTHONIOENCODING="utf-8")).stdout
        # without a file name pstats has no "ctime    path" line: the rest is equal
        self.assertEqual(r.stdout, b"\n".join(want.split(b"\n")[2:]))


@unittest.skipUnless(KILN, "KILN is not set (run through ctest)")
class HostileNames(unittest.TestCase):
    """Names written by Python's marshal with control bytes, ANSI escapes,
    bidi overrides and a lone surrogate."""

    NAMES = ["evil\x1b[31mred\x1b[0m", "bell\x07", "rtl\u202eevil", "nul\x00byte", "surr\udcffogate", "ok"]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln-top-")
        stats = {}
        for i, n in enumerate(cls.NAMES):
            stats[("/srv/x.py", i + 1, n)] = (1, 1, 0.1 * (i + 1), 0.1 * (i + 1), {})
        cls.path = os.path.join(cls.tmp.name, "evil.prof")
        with open(cls.path, "wb") as fh:
            marshal.dump(stats, fh)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_terminal_view_is_inert(self):
        r = run("top", self.path)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for bad in (b"\x1b", b"\x07", b"\x00", "\u202e".encode(), b"\xed\xb3\xbf"):
            self.assertNotIn(bad, out)
        self.assertIn(b"evil\\x1b[31mred\\x1b[0m", out)
        self.assertIn(b"rtl\\u202eevil", out)
        self.assertIn(b"nul\\x00byte", out)
        self.assertIn("surr\ufffd".encode(), out)
        out.decode("utf-8")  # valid UTF-8 throughout

    def test_pstats_to_a_pipe_is_exact(self):
        # Not a terminal: the bytes pstats would print (surrogate excluded: Python
        # cannot print it to UTF-8 at all).
        r = run("top", "--pstats", "--sort", "name", self.path)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = [line for line in r.stdout.split(b"\n") if b"/srv/x.py" in line and b"surr" not in line]
        st = pstats.Stats(self.path)
        want = sorted(n for (_, _, n) in st.stats if "surr" not in n)
        self.assertEqual([line.split(b"(", 1)[1][:-1].decode() for line in got], want)


@unittest.skipUnless(KILN, "KILN is not set (run through ctest)")
class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln-badprof-")
        with open(SMALL, "rb") as fh:
            cls.data = fh.read()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, data):
        p = os.path.join(self.tmp.name, name)
        with open(p, "wb") as fh:
            fh.write(data)
        return p

    def check_error(self, path, code=65, max_offset=None):
        r = run("top", "--from", "prof", path)
        self.assertEqual(r.returncode, code, r.stderr)
        err = r.stderr.decode()
        self.assertEqual(err.count("\n"), 1, err)
        self.assertTrue(err.startswith("kiln: '%s': " % path), err)
        if max_offset is not None:
            rest = err.split("': ", 1)[1]
            self.assertTrue(rest.startswith("offset "), err)
            off = int(rest.split()[1])
            self.assertIn("(0x%x)" % off, rest)
            self.assertLessEqual(off, max_offset)
        self.assertEqual(r.stdout, b"")
        return err

    def test_truncations(self):
        # CPython's marshal.loads rejects every one of these prefixes too.
        for cut in list(range(0, 40)) + list(range(40, len(self.data), 53)):
            with self.subTest(cut=cut):
                try:
                    marshal.loads(self.data[:cut])
                    self.fail("Python accepted a prefix")
                except (EOFError, ValueError, TypeError):
                    pass
                self.check_error(self.write("cut.prof", self.data[:cut]), max_offset=cut)

    def test_not_a_stats_dict(self):
        for name, obj in (("list", [1, 2]), ("badkey", {1: (1, 1, 0.0, 0.0, {})}),
                          ("badval", {("a", 1, "f"): (1, 2, 3)}),
                          ("badcaller", {("a", 1, "f"): (1, 1, 0.0, 0.0, {("a", 1, "g"): "x"})})):
            with self.subTest(name=name):
                self.check_error(self.write(name + ".prof", marshal.dumps(obj)), max_offset=100)

    def test_code_object_key_is_accepted(self):
        # The pure-Python profile module keys the script by its code object.
        code = compile("x = 1\n", "/srv/script.py", "exec")
        stats = {("profile", 0, code): (1, 1, 0.0, 0.5, {}), ("/srv/script.py", 1, "<module>"):
                 (1, 1, 0.5, 0.5, {("profile", 0, code): 1})}
        p = self.write("code.prof", marshal.dumps(stats))
        r = run("top", "--pstats", p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b'profile:0(<code object <module> at 0x0, file "/srv/script.py", line 1>)', r.stdout)

    def test_trailing_garbage_warns(self):
        p = self.write("trail.prof", self.data + b"JUNK")
        r = run("top", p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"warning", r.stderr)
        self.assertIn(b"4 trailing bytes", r.stderr)
        r = run("top", "--strict", p)
        self.assertEqual(r.returncode, 65)

    def test_reference_bomb_is_bounded(self):
        # One entry whose callers dict has 20000 entries, shared by 20000 keys
        # through marshal references: 4e8 caller records if expanded.
        callers = {("c", i, "f"): (1, 1, 0.0, 0.0) for i in range(20000)}
        value = (1, 1, 0.0, 0.0, callers)
        stats = {("k", i, "f"): value for i in range(20000)}
        p = self.write("bomb.prof", marshal.dumps(stats))
        r = run("top", p)
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertIn(b"reference", r.stderr)

    def test_json_is_not_prof(self):
        p = self.write("x.json", b'{"benchmarks": []}')
        self.check_error(p)

    def test_missing_file(self):
        r = run("top", os.path.join(self.tmp.name, "nope.prof"))
        self.assertEqual(r.returncode, 66)

    def test_usage(self):
        self.assertEqual(run("top").returncode, 2)
        self.assertEqual(run("top", "--sort", "bogus", SLOW).returncode, 2)
        self.assertEqual(run("top", "--limit", "-3", SLOW).returncode, 2)
        r = run("top", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--pstats", r.stdout)


@unittest.skipUnless(KILN, "KILN is not set (run through ctest)")
class SampledProfile(unittest.TestCase):
    def test_calls_unknown(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "s.folded")
            with open(p, "w") as fh:
                fh.write("main;work;leaf 30\nmain;work 10\nmain;other 60\n")
            r = run("top", "--no-marks", "--from", "folded", p)
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = parse_rows(r.stdout)
            self.assertEqual({row[3] for row in rows}, {"main", "work", "leaf", "other"})
            self.assertTrue(all(row[2] == "-" for row in rows))
            main = [row for row in rows if row[3] == "main"][0]
            self.assertAlmostEqual(main[0], 100.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
