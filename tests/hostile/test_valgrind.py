#!/usr/bin/env python3
"""Valgrind memcheck over each renderer once (release build): kiln top,
convert, flame (HTML + PNG + SVG), callgraph (PNG + SVG) and report, on the
hostile-name profile (a real cProfile .prof whose invalid UTF-8, NUL,
controls and 70 KB name reach Pango, cairo and graphviz). Uninitialised
reads, invalid reads/writes and bad frees fail the test (--error-exitcode);
leaks are LeakSanitizer's job in the Asan build. Only known library noise
is suppressed, in tests/valgrind.supp. Env: KILN, KILN_SRC."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_hostile  # noqa: E402

KILN = os.environ.get("KILN", "kiln")
SRC = os.environ.get("KILN_SRC", os.path.join(HERE, "..", ".."))
SUPP = os.path.join(SRC, "tests", "valgrind.supp")


class Valgrind(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("valgrind"):
            raise unittest.SkipTest("valgrind not installed (apt-get install valgrind)")
        if os.environ.get("KILN_BUILD_TYPE") == "Asan":
            raise unittest.SkipTest("valgrind cannot run ASan binaries")
        cls.tmp = tempfile.mkdtemp(prefix="kiln_valgrind_")
        cls.hostile = gen_hostile.generate(os.path.join(cls.tmp, "h"), KILN)["prof"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def memcheck(self, *args):
        out = os.path.join(self.tmp, "out")
        os.makedirs(out, exist_ok=True)
        argv = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=no", "--track-origins=yes",
                "--suppressions=" + SUPP, KILN, *[a.replace("@", out + "/") for a in args]]
        r = subprocess.run(argv, capture_output=True, timeout=900,
                           env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
        self.assertNotEqual(r.returncode, 99, "memcheck errors:\n" + r.stderr.decode(errors="replace")[-4000:])
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace")[-1000:])

    def test_renderers(self):
        prof = self.hostile
        for cmd in (["top", prof], ["top", "--pstats", prof], ["convert", prof, "-o", "@x.kiln"],
                    ["convert", "--to", "folded", prof, "-o", "@x.folded"],
                    ["flame", prof, "-o", "@f.html", "--png", "@f.png", "--svg", "@f.svg"],
                    ["callgraph", prof, "-o", "@cg.png"], ["callgraph", prof, "-o", "@cg.svg"],
                    ["report", prof, "-o", "@rep", "--summary", "@sum.md"]):
            with self.subTest(cmd=" ".join(cmd[:2])):
                self.memcheck(*cmd)


if __name__ == "__main__":
    unittest.main(verbosity=2)
