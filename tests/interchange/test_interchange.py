"""Interchange formats and `kiln merge`, checked by the real tools that read
them (owner: helper "interchange"):

  - pprof: `go tool pprof -top` reads kiln's export with the same totals as
    the ground truth (stackcollapse-perf.pl's folding of the perf fixture,
    Python's pstats for cProfile); Go's own re-encoding (`-proto`) imports
    back to the same stacks; kiln -> pprof -> kiln keeps the folded output.
  - callgrind: `callgrind_annotate` totals equal the same ground truth, and
    an inclusive cost equals pstats' cumtime.
  - speedscope: kiln -> speedscope -> kiln keeps the folded output (the
    browser test loads the files in the real app).
  - merge: associative and commutative on real profiles (folded output and
    `kiln top --pstats`), equal to Python's pstats Stats.add(), and the sum of
    parts of the perf profile is the whole.
Env: KILN (the CLI), KILN_SRC (source tree)."""
import collections
import gzip
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

KILN = os.environ["KILN"]
SRC = os.environ["KILN_SRC"]
PROF = os.path.join(SRC, "fixtures/python/prof")
SLOW = os.path.join(PROF, "slow_n8000_runcall.prof")
FAST = os.path.join(PROF, "fast_n8000_runcall.prof")
SLOW4 = os.path.join(PROF, "slow_n4000.prof")
FAST4 = os.path.join(PROF, "fast_n4000.prof")
PERF_FOLDED = os.path.join(SRC, "fixtures/perf/medium.folded")
PERF_XZ = os.path.join(SRC, "fixtures/perf/medium.perf.xz")
GO = shutil.which("go")
CALLGRIND_ANNOTATE = shutil.which("callgrind_annotate")


def kiln(*args, check=True):
    r = subprocess.run([KILN, *args], capture_output=True)
    if check and r.returncode != 0:
        raise AssertionError("kiln %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                         r.stderr.decode(errors="replace")))
    return r


def folded(path, *extra):
    """kiln's folded output of a profile, as {stack: value}."""
    out = kiln("convert", "--to", "folded", *extra, path).stdout.decode()
    return parse_folded(out)


def parse_folded(text):
    d = collections.defaultdict(float)
    for line in text.splitlines():
        if line.strip():
            stack, _, v = line.rpartition(" ")
            d[stack] += float(v)
    return dict(d)


def folded_total(path):
    with open(path) as f:
        return sum(parse_folded(f.read()).values())


def pstats_total_ns(path):
    return pstats.Stats(path).total_tt * 1e9


def assert_close_dicts(tc, a, b, rel=1e-9, abs_=0.0):
    tc.assertEqual(sorted(a), sorted(b))
    for k in a:
        tc.assertTrue(abs(a[k] - b[k]) <= max(abs_, rel * max(abs(a[k]), abs(b[k]))),
                      "%r: %r != %r" % (k, a[k], b[k]))


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kiln-interchange-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.perf = os.path.join(self.tmp, "medium.perf")
        with open(self.perf, "wb") as f:
            f.write(subprocess.run(["xz", "-dc", PERF_XZ], check=True, capture_output=True).stdout)

    def path(self, name):
        return os.path.join(self.tmp, name)


@unittest.skipUnless(GO, "go (Debian golang-go) is not installed: no pprof oracle")
class PprofTests(Tmp):
    def go_pprof(self, *args):
        env = dict(os.environ, HOME=self.tmp, GOCACHE=self.path("gocache"), GOFLAGS="")
        r = subprocess.run([GO, "tool", "pprof", *args], capture_output=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout.decode(errors="replace")

    def go_total(self, path, index):
        out = self.go_pprof("-top", "-unit=ns", "-sample_index=%d" % index, path)
        m = re.search(r"of (\d+)(ns)? total", out)
        self.assertIsNotNone(m, out[:500])
        return int(m.group(1))

    def test_perf_totals_equal_stackcollapse(self):
        out = self.path("perf.pb.gz")
        kiln("convert", "-o", out, self.perf)
        with open(out, "rb") as f:
            self.assertEqual(f.read(2), b"\x1f\x8b")  # gzip, as the spec requires
        self.assertEqual(self.go_total(out, 0), folded_total(PERF_FOLDED))
        self.assertEqual(self.go_total(out, 1), 766)  # samples, per the fixture's README

    def test_prof_total_equals_pstats(self):
        out = self.path("slow.pb.gz")
        kiln("convert", "--to", "pprof", "-o", out, SLOW)
        n_funcs = len(pstats.Stats(SLOW).stats)
        self.assertAlmostEqual(self.go_total(out, 0), pstats_total_ns(SLOW), delta=n_funcs)

    def test_metadata_in_comments(self):
        out = self.path("slow.pb.gz")
        kiln("convert", "-o", out, SLOW)
        raw = self.go_pprof("-raw", out)
        self.assertIn("Comment: kiln:source_format=prof", raw)
        self.assertIn("time/nanoseconds", raw)

    def test_roundtrip_keeps_folded(self):
        out = self.path("perf.pb.gz")
        kiln("convert", "-o", out, self.perf)
        self.assertEqual(kiln("convert", "--to", "folded", out).stdout,
                         kiln("convert", "--to", "folded", self.perf).stdout)
        # raw (not gzipped) protobuf is read too
        raw = self.path("perf.pb")
        with gzip.open(out) as f, open(raw, "wb") as g:
            g.write(f.read())
        self.assertEqual(kiln("convert", "--from", "pprof", "--to", "folded", raw).stdout,
                         kiln("convert", "--to", "folded", self.perf).stdout)
        # cProfile: seconds come back as nanoseconds
        out = self.path("slow.pb.gz")
        kiln("convert", "-o", out, SLOW)
        want = {k: round(v * 1e9) for k, v in folded(SLOW).items()}
        assert_close_dicts(self, folded(out), want, abs_=1.0)

    def test_go_written_profile_imports(self):
        """Go's own encoder (go tool pprof -proto) writes the file in its
        layout (its string order, its ids); kiln reads the same stacks."""
        ours = self.path("perf.pb.gz")
        kiln("convert", "-o", ours, self.perf)
        theirs = self.path("go.pb.gz")
        env = dict(os.environ, HOME=self.tmp, GOCACHE=self.path("gocache"))
        with open(theirs, "wb") as f:
            r = subprocess.run([GO, "tool", "pprof", "-proto", ours], stdout=f, stderr=subprocess.PIPE, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(folded(theirs), folded(self.perf))

    def test_bad_pprof_is_data_error(self):
        out = self.path("perf.pb.gz")
        kiln("convert", "-o", out, self.perf)
        with gzip.open(out) as f:
            data = f.read()
        cut = self.path("cut.pb")
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 2])
        r = kiln("convert", "--from", "pprof", "--to", "folded", cut, check=False)
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertRegex(r.stderr.decode(), r"^kiln: '.*cut\.pb': offset \d+ \(0x[0-9a-f]+\): ")
        self.assertEqual(r.stderr.decode().count("\n"), 1)


@unittest.skipUnless(CALLGRIND_ANNOTATE, "callgrind_annotate (Debian valgrind) is not installed")
class CallgrindTests(Tmp):
    def annotate(self, path, *args):
        r = subprocess.run([CALLGRIND_ANNOTATE, *args, path], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout.decode(errors="replace")

    def totals(self, text):
        m = re.search(r"^(.*)PROGRAM TOTALS", text, re.M)
        self.assertIsNotNone(m, text[:800])
        return [int(x.replace(",", "")) for x in re.findall(r"([\d,]+) \(", m.group(1))]

    def test_perf_totals(self):
        out = self.path("callgrind.out.perf")
        kiln("convert", "-o", out, self.perf)
        self.assertEqual(self.totals(self.annotate(out)), [folded_total(PERF_FOLDED), 766])

    def test_prof_totals_and_inclusive(self):
        out = self.path("callgrind.out.slow")
        kiln("convert", "-o", out, SLOW)
        n_funcs = len(pstats.Stats(SLOW).stats)
        [total] = self.totals(self.annotate(out))
        self.assertAlmostEqual(total, pstats_total_ns(SLOW), delta=n_funcs)
        text = self.annotate(out, "--inclusive=yes")
        m = re.search(r"^\s*([\d,]+) \([^)]*\)\s+\S*pipeline\.py:run_pipeline", text, re.M)
        self.assertIsNotNone(m, text[:1500])
        st = pstats.Stats(SLOW)
        cum = [v[3] for k, v in st.stats.items() if k[2] == "run_pipeline"][0]
        self.assertAlmostEqual(int(m.group(1).replace(",", "")), cum * 1e9, delta=cum * 1e9 * 1e-6 + n_funcs)


class SpeedscopeImportTests(Tmp):
    def test_roundtrip_folded_fixture(self):
        """stackcollapse-perf.pl's real output -> speedscope -> kiln: same stacks."""
        out = self.path("medium.speedscope.json")
        kiln("convert", "-o", out, PERF_FOLDED)
        with open(PERF_FOLDED) as f:
            want = parse_folded(f.read())
        self.assertEqual(folded(out), want)

    def test_roundtrip_prof_keeps_types(self):
        out = self.path("slow.speedscope.json")
        kiln("convert", "-o", out, SLOW)
        assert_close_dicts(self, folded(out), folded(SLOW), rel=1e-15)
        r = kiln("top", out)
        self.assertIn(b"time", r.stdout)

    def test_foreign_threads_and_events(self):
        """A file written the way other exporters write it: two profiles (one
        evented, in milliseconds; one sampled) become two root frames."""
        import json
        doc = {"$schema": "https://www.speedscope.app/file-format-schema.json",
               "shared": {"frames": [{"name": "main"}, {"name": "work", "file": "w.c", "line": 3}]},
               "profiles": [
                   {"type": "evented", "name": "thread 1", "unit": "milliseconds", "startValue": 0,
                    "endValue": 10, "events": [{"type": "O", "frame": 0, "at": 0}, {"type": "O", "frame": 1, "at": 2},
                                                {"type": "C", "frame": 1, "at": 7}, {"type": "C", "frame": 0, "at": 10}]},
                   {"type": "sampled", "name": "thread 2", "unit": "seconds", "startValue": 0, "endValue": 1,
                    "samples": [[0, 1], [0]], "weights": [0.5, 0.25]}]}
        p = self.path("foreign.json")
        with open(p, "w") as f:
            json.dump(doc, f)
        self.assertEqual(folded(p), {"thread_1;main": 5e6, "thread_1;main;work": 5e6,
                                     "thread_2;main;work": 5e8, "thread_2;main": 2.5e8})
        doc["profiles"][0]["events"][2]["frame"] = 0  # closes the wrong frame
        with open(p, "w") as f:
            json.dump(doc, f)
        r = kiln("convert", "--to", "folded", p, check=False)
        self.assertEqual(r.returncode, 65, r.stderr)


class MergeTests(Tmp):
    def merge(self, name, *inputs, extra=()):
        out = self.path(name)
        kiln("merge", *extra, "-o", out, *inputs)
        return out

    def pstats_rows(self, path):
        """`kiln top --pstats` without its first line (file name and date)."""
        return kiln("top", "--pstats", path).stdout.decode().split("\n", 1)[1]

    def test_prof_associative_commutative_and_pstats_add(self):
        a, b, c = SLOW4, FAST4, SLOW
        ab = self.merge("ab.kiln", a, b)
        bc = self.merge("bc.kiln", b, c)
        m1 = self.merge("m1.kiln", ab, c)
        m2 = self.merge("m2.kiln", a, bc)
        m3 = self.merge("m3.kiln", c, b, a)
        self.assertEqual(self.pstats_rows(m1), self.pstats_rows(m2))
        self.assertEqual(self.pstats_rows(m1), self.pstats_rows(m3))
        assert_close_dicts(self, folded(m1), folded(m2), rel=1e-9)
        assert_close_dicts(self, folded(m1), folded(m3), rel=1e-9)
        # ground truth: Python's own Stats.add(); rows compared as a multiset
        # (ties in the sort keep each tool's insertion order)
        r = subprocess.run([sys.executable, "-c",
                            "import pstats,sys; s=pstats.Stats(sys.argv[1]); s.add(sys.argv[2]); s.add(sys.argv[3]);"
                            "s.sort_stats('cumulative').print_stats()", a, b, c], capture_output=True, check=True)
        py = r.stdout.decode()
        ours = self.pstats_rows(m1)
        tail = lambda t: sorted(l for l in t.split("Ordered by:", 1)[1].splitlines() if l.strip())
        self.assertEqual(tail(ours), tail(py))
        calls = lambda t: re.search(r"\d+ function calls.*seconds", t).group(0)
        self.assertEqual(calls(ours), calls(py))

    def test_perf_parts_sum_to_whole(self):
        """The stackcollapse fixture split in three: any grouping or order of
        the parts merges back to exactly the whole."""
        with open(PERF_FOLDED) as f:
            lines = f.read().splitlines()
        parts = []
        for i in range(3):
            p = self.path("part%d.folded" % i)
            with open(p, "w") as f:
                f.write("\n".join(lines[i::3]) + "\n")
            parts.append(p)
        a, b, c = parts
        m1 = self.merge("m1.kiln", self.merge("ab.kiln", a, b), c)
        m2 = self.merge("m2.kiln", a, self.merge("bc.kiln", b, c))
        m3 = self.merge("m3.kiln", c, b, a)
        whole = kiln("convert", "--to", "folded", PERF_FOLDED).stdout
        for m in (m1, m2, m3):
            self.assertEqual(kiln("convert", "--to", "folded", m).stdout, whole)
        # metadata of every input is kept, flattened across nested merges
        out = self.path("m1.speedscope.json")  # any text export shows it: use pprof comments
        pb = self.path("m1.pb")
        kiln("convert", "-o", pb, "--to", "pprof", m1)
        with gzip.open(pb) as f:
            blob = f.read()
        for i in range(3):
            self.assertIn(b"kiln:input.%d.source_format=folded" % i, blob)
        self.assertIn(b"kiln:source_format=merge", blob)
        del out

    def test_scale_weighs_inputs_equally(self):
        with open(PERF_FOLDED) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        double = self.path("double.folded")
        with open(double, "w") as f:
            for l in lines:
                s, _, v = l.rpartition(" ")
                f.write("%s %d\n" % (s, 2 * int(v)))
        m = self.merge("scaled.kiln", PERF_FOLDED, double, extra=("--scale",))
        base = folded(PERF_FOLDED)
        # mean total = 1.5 T: each input is scaled to 1.5 T, the sum is 3 T per stack
        assert_close_dicts(self, folded(m), {k: 3 * v for k, v in base.items()}, rel=1e-12)
        unscaled = self.merge("plain.kiln", PERF_FOLDED, double)
        assert_close_dicts(self, folded(unscaled), {k: 3 * v for k, v in base.items()}, rel=0)
        m2 = self.merge("scaled2.kiln", PERF_FOLDED, PERF_FOLDED, double, extra=("--scale",))
        # mean = 4/3 T: stacks get 4/3 + 4/3 + 4/3 of the base
        assert_close_dicts(self, folded(m2), {k: 4 * v for k, v in base.items()}, rel=1e-12)

    def test_usage_errors(self):
        self.assertEqual(kiln("merge", SLOW, check=False).returncode, 2)
        self.assertEqual(kiln("merge", "-o", self.path("x.kiln"), check=False).returncode, 2)
        r = kiln("merge", "-o", self.path("x.kiln"), SLOW, self.path("missing.prof"), check=False)
        self.assertEqual(r.returncode, 66)
        self.assertFalse(os.path.exists(self.path("x.kiln")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
