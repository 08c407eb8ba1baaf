"""Real profiles through .kiln: `kiln convert X.prof -o X.kiln`, then
`kiln top --pstats X.kiln` must print what Python's own pstats prints for
X.prof (all but the first line, which names the file and its mtime). Also:
folded stacks survive the .kiln round trip, a torn .kiln keeps its earlier
chunks with one warning, and --strict turns that into exit 65."""
import os
import subprocess
import sys
import tempfile
import unittest

KILN = os.environ.get("KILN", "kiln")
SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(SRC, "fixtures")
PROFS = [
    "python/prof/slow_n4000.prof",
    "python/prof/fast_n4000.prof",
    "python/prof/slow_n8000_runcall.prof",
    "python/prof/slow_n1000_pyprofile.prof",
    "python/medium/medium_pydoc.prof",
    "python/xver/xver_debian-3.11.2.prof",
]


def run(*args, **kw):
    return subprocess.run([KILN, *args], capture_output=True, timeout=120, **kw)


def has_command(name, flag=None):
    try:
        r = run(name, "--help")
    except OSError:
        return False
    return r.returncode == 0 and (flag is None or flag.encode() in r.stdout)


def pstats_text(path, sort):
    code = ("import pstats,sys; pstats.Stats(sys.argv[1]).sort_stats(sys.argv[2]).print_stats()")
    return subprocess.run([sys.executable, "-c", code, path, sort], capture_output=True,
                          check=True, timeout=120).stdout


def body(text):
    return text.split(b"\n", 1)[1]


class KilnRoundTrip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not has_command("convert") or not has_command("top", "--pstats"):
            raise unittest.SkipTest("`kiln convert` or `kiln top --pstats` not available yet")
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def convert(self, src, name):
        out = os.path.join(self.tmp.name, name)
        r = run("convert", src, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89KILN\r\n\x1a")
        return out

    def test_pstats_through_kiln(self):
        for rel in PROFS:
            src = os.path.join(FIX, rel)
            k = self.convert(src, os.path.basename(rel) + ".kiln")
            self.assertLess(os.path.getsize(k), os.path.getsize(src) * 2)
            for sort in ("cumulative", "tottime", "calls"):
                with self.subTest(profile=rel, sort=sort):
                    want = pstats_text(src, sort)
                    got = run("top", "--pstats", "--sort", sort, k)
                    self.assertEqual(got.returncode, 0, got.stderr)
                    self.assertEqual(got.stderr, b"")
                    self.assertEqual(body(got.stdout), body(want))

    def test_kiln_to_kiln_is_identical(self):
        src = os.path.join(FIX, PROFS[0])
        a = self.convert(src, "a.kiln")
        b = self.convert(a, "b.kiln")
        with open(a, "rb") as fa, open(b, "rb") as fb:
            da, db = fa.read(), fb.read()
        # Only the metadata may differ (none does today): compare byte for byte.
        self.assertEqual(da, db)

    def test_folded_through_kiln(self):
        src = os.path.join(FIX, "perf/medium.folded")
        k = self.convert(src, "medium.kiln")
        direct = run("convert", src, "--to", "folded", "-o", "-")
        via = run("convert", k, "--to", "folded", "-o", "-")
        self.assertEqual(direct.returncode, 0, direct.stderr)
        self.assertEqual(via.returncode, 0, via.stderr)
        self.assertEqual(sorted(via.stdout.splitlines()), sorted(direct.stdout.splitlines()))
        # Ground truth: the per-stack sums of the file stackcollapse-perf.pl wrote.
        want = {}
        with open(src, "rb") as f:
            for line in f:
                stack, _, n = line.rstrip(b"\n").rpartition(b" ")
                want[stack] = want.get(stack, 0) + int(n)
        got = {}
        for line in via.stdout.splitlines():
            stack, _, n = line.rpartition(b" ")
            got[stack] = got.get(stack, 0) + int(n)
        self.assertEqual(got, want)

    def test_torn_kiln_from_the_cli(self):
        src = os.path.join(FIX, PROFS[2])
        k = self.convert(src, "torn_src.kiln")
        with open(k, "rb") as f:
            data = f.read()
        torn = os.path.join(self.tmp.name, "torn.kiln")
        with open(torn, "wb") as f:
            f.write(data[: len(data) - 30])  # inside the last chunks
        r = run("top", torn)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^kiln: '.*torn\.kiln': warning: offset \d+ \(0x[0-9a-f]+\): ")
        off = int(lines[0].split("offset ")[1].split(" ")[0])
        self.assertLessEqual(off, len(data) - 30)
        r = run("top", "--strict", torn)
        self.assertEqual(r.returncode, 65)
        self.assertRegex(r.stderr.decode(), r"^kiln: '.*torn\.kiln': offset \d+ \(0x[0-9a-f]+\): .*\n$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
