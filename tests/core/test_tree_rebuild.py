"""The calling-context tree kiln rebuilds from a cProfile call graph.

Ground truth is Python's own pstats on the same files: the tree's total must
equal pstats' total_tt (the "in X seconds" figure: every bit of self time is
placed exactly once, nothing lost or doubled, cycles through builtins.exec
included), and each of the costliest functions must get within 10% of its pstats
cumtime as inclusive time in the tree. Checked through `kiln convert --to
folded`, the tree's plainest form."""
import glob
import os
import pstats
import subprocess
import unittest

KILN = os.environ["KILN"]
SRC = os.environ["KILN_SRC"]
FILES = sorted(glob.glob(os.path.join(SRC, "fixtures/python/prof/*.prof")) +
               glob.glob(os.path.join(SRC, "fixtures/python/medium/*.prof")) +
               [f for f in glob.glob(os.path.join(SRC, "fixtures/python/xver/*.prof")) if "2.7" not in f] +
               glob.glob(os.path.join(SRC, "fixtures/demo/out/*.prof")))


def folded(path):
    out = subprocess.run([KILN, "convert", "--to", "folded", path], check=True,
                         capture_output=True).stdout.decode("utf-8", "replace")
    stacks = []
    for line in out.splitlines():
        stack, count = line.rsplit(" ", 1)
        stacks.append((stack.split(";"), float(count)))
    return stacks


class TreeRebuild(unittest.TestCase):
    def test_totals_and_cumtimes(self):
        self.assertGreater(len(FILES), 10)
        for path in FILES:
            with self.subTest(path=os.path.relpath(path, SRC)):
                st = pstats.Stats(path)
                stacks = folded(path)
                unit = 1.0  # folded counts are in the profile's unit: seconds
                total = sum(c for _, c in stacks) / unit
                self.assertAlmostEqual(total, st.total_tt, delta=1e-6 + 1e-6 * st.total_tt)
                # inclusive time per name, each stack counted once per name
                incl = {}
                for frames, c in stacks:
                    for name in set(frames):
                        incl[name] = incl.get(name, 0.0) + c / unit
                names = {}
                for (fn, line, name), v in st.stats.items():
                    names.setdefault(name, []).append(v[3])
                top = sorted(st.stats.items(), key=lambda kv: -kv[1][3])[:8]
                for (fn, line, name), v in top:
                    if len(names[name]) > 1 or v[3] < 0.05 * st.total_tt:
                        continue  # names shared by several functions fold together
                    label = "{%s}" % name[1:-1] if fn == "~" and name.startswith("<") else name
                    got = max((t for n, t in incl.items() if n == name or n == label), default=0.0)
                    self.assertAlmostEqual(got, v[3], delta=0.10 * v[3] + 1e-6,
                                           msg="%s: tree %.6f vs pstats cumtime %.6f" % (name, got, v[3]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
