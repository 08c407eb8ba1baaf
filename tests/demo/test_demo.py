"""The demo (fixtures/demo): its committed outputs hold the deliberate
bottlenecks, checked against Python's own pstats and pytest-benchmark's JSON;
`kiln top --pstats` prints exactly what pstats prints for them; and, when
`kiln report` exists, its Markdown (read through cmark-gfm's AST) ranks each
bottleneck where it belongs and shows the optimized twin's improvement."""
import glob
import io
import json
import math
import os
import pstats
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (DEMO, KILN, kiln_has_command, markdown_blocks, numbers,  # noqa: E402
                    run, section)

OUT = os.path.join(DEMO, "out")
SLOW_PROF = os.path.join(OUT, "orders_slow.prof")
FAST_PROF = os.path.join(OUT, "orders_fast.prof")
BASELINE = os.path.join(OUT, "baseline.json")
OPTIMIZED = os.path.join(OUT, "optimized.json")
DEMO_FUNCS = ("drop_resent_orders", "audit_trail", "validate_order", "parse_order",
              "delivery_plans", "revenue_by_customer", "unique_customers", "process_orders")


def stats_of(path):
    """{(basename, funcname): (cc, nc, tt, ct)} from pstats itself."""
    return {(os.path.basename(k[0]), k[2]): v[:4] for k, v in pstats.Stats(path).stats.items()}


def re_compile_calls(path):
    return sum(v[1] for (f, name), v in stats_of(path).items()
               if f == "__init__.py" and name == "compile")


def spelled_number(n):
    """A regex for n as a report may print it: 128287, 128,287, 128 287."""
    groups = "{:,}".format(n).split(",")
    return re.compile(r"(?<![\d.,])" + r"[,.\u202f\u00a0 ]?".join(groups) + r"(?![\d]|[.,]\d)")


def means(path):
    with open(path) as f:
        return {b["fullname"]: b["stats"]["mean"] for b in json.load(f)["benchmarks"]}


class DemoFixture(unittest.TestCase):
    """Ground truth: the committed outputs show what the demo promises."""

    def test_quadratic_dedupe_has_most_self_time(self):
        s = stats_of(SLOW_PROF)
        top = max(s, key=lambda k: s[k][2])
        self.assertEqual(top, ("dedupe.py", "drop_resent_orders"))
        cc, nc, tt, ct = s[top]
        self.assertEqual((cc, nc), (1, 1))
        self.assertAlmostEqual(tt, ct, delta=1e-3)  # a leaf: all its time is its own
        runner_up = sorted((v[2] for v in s.values()), reverse=True)[1]
        self.assertGreater(tt, 1.5 * runner_up)

    def test_recursion_blow_up(self):
        cc, nc = stats_of(SLOW_PROF)[("scheduling.py", "delivery_plans")][:2]
        self.assertEqual((nc, cc), (128287, 1))
        cc, nc = stats_of(FAST_PROF)[("scheduling.py", "delivery_plans")][:2]
        self.assertEqual((nc, cc), (1, 1))

    def test_regex_compiled_in_loop(self):
        self.assertGreater(re_compile_calls(SLOW_PROF), 20000)
        self.assertEqual(re_compile_calls(FAST_PROF), 0)

    def test_repeated_serialisation(self):
        s, f = stats_of(SLOW_PROF), stats_of(FAST_PROF)
        dumps = ("__init__.py", "dumps")
        self.assertGreater(s[dumps][1], 3.5 * f[dumps][1])

    def test_optimized_run_is_faster(self):
        base, opt = means(BASELINE), means(OPTIMIZED)
        self.assertEqual(set(base), set(opt))
        self.assertEqual(len(base), 17)
        key = "tests/benchmarks/test_orders_benchmark.py::test_process_orders[4000]"
        self.assertLess(opt[key], 0.8 * base[key])
        key = "tests/benchmarks/test_orders_benchmark.py::test_drop_resent_orders[4000]"
        self.assertLess(opt[key], 0.1 * base[key])
        # quadratic in the baseline, linear in the twin (log-log slope over
        # 500..4000; measured 2.0 and 1.0, the margins allow for noise)
        def slope(m):
            return loglog_slope([(n, m[key.replace("4000", str(n))])
                                 for n in (500, 1000, 2000, 4000)])
        self.assertGreater(slope(base), 1.7)
        self.assertLess(slope(opt), 1.4)


def loglog_slope(points):
    """Least-squares slope of log(time) against log(size)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys)) /
            sum((x - mx) ** 2 for x in xs))


class DemoThroughKiln(unittest.TestCase):
    """kiln compare and kiln scaling on the demo's two runs."""

    def test_compare_shows_the_twin_faster(self):
        have, _ = kiln_has_command("compare")
        if not have:
            self.skipTest("kiln compare is not available")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "cmp.json")
            proc = run([KILN, "compare", BASELINE, OPTIMIZED, "--json", out])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(out) as f:
                rows = {b["fullname"]: b for b in json.load(f)["benchmarks"]}
        base, opt = means(BASELINE), means(OPTIMIZED)
        for name in ("test_process_orders[4000]", "test_drop_resent_orders[4000]",
                     "test_audit_trail[4000]", "test_delivery_plans"):
            full = "tests/benchmarks/test_orders_benchmark.py::" + name
            with self.subTest(benchmark=name):
                expect = (base[full] - opt[full]) / base[full] * 100.0
                self.assertAlmostEqual(rows[full]["improvement_pct"], expect, places=6)
                self.assertEqual(rows[full]["verdict"], "faster")

    def test_scaling_names_the_quadratic(self):
        have, _ = kiln_has_command("scaling")
        if not have:
            self.skipTest("kiln scaling is not available")
        with open(BASELINE) as f:
            runs = json.load(f)["benchmarks"]
        proc = run([KILN, "scaling", BASELINE])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = {l.split(":")[0]: l for l in proc.stdout.splitlines() if ":" in l}
        for test in ("test_drop_resent_orders", "test_audit_trail"):
            points = sorted((b["params"]["size"], b["stats"]["mean"]) for b in runs
                            if b["name"].startswith(test + "["))
            slope = loglog_slope(points)
            with self.subTest(test=test):
                m = re.search(r"n\^(\d+\.\d+)", lines[test])
                self.assertIsNotNone(m, lines[test])
                self.assertAlmostEqual(float(m.group(1)), slope, delta=0.011)
        self.assertRegex(lines["test_drop_resent_orders"], r"quadratic")
        self.assertRegex(lines["test_audit_trail"], r": linear")


class KilnTopMatchesPstats(unittest.TestCase):
    def test_pstats_output_identical(self):
        for prof in (SLOW_PROF, FAST_PROF):
            for key in ("cumulative", "tottime", "calls", "name"):
                with self.subTest(prof=os.path.basename(prof), sort=key):
                    buf = io.StringIO()
                    pstats.Stats(prof, stream=buf).sort_stats(key).print_stats()
                    proc = run([KILN, "top", "--pstats", "--sort", key, prof])
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.assertEqual(proc.stdout, buf.getvalue())


class DemoReport(unittest.TestCase):
    """kiln report on the demo: assumes the seed workflow's section names
    (Executive Summary, Baseline Measurements, Hotspot Analysis, Optimization
    Recommendations); everything else is matched loosely."""

    @classmethod
    def setUpClass(cls):
        have, cls.help = kiln_has_command("report")
        if not have:
            raise unittest.SkipTest("kiln report is not available yet: skipping the report checks")
        cls.tmp = tempfile.mkdtemp(prefix="kiln-demo-report-")
        args = [KILN, "report", SLOW_PROF]
        if "--baseline" in cls.help:
            args += ["--baseline", BASELINE]
        if "--bench" in cls.help:
            args += ["--bench", OPTIMIZED]
        if "--target" in cls.help:
            args += ["--target", "orders"]
        if "--source-root" in cls.help:
            args += ["--source-root", DEMO]
        cls.proc = run(args, cwd=cls.tmp, timeout=300)
        found = glob.glob(os.path.join(cls.tmp, "**", "performance_analysis_*.md"),
                          recursive=True)
        cls.md = found[0] if len(found) == 1 else None
        cls.blocks = markdown_blocks(cls.md) if cls.md else []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout + self.proc.stderr)
        self.assertIsNotNone(self.md, "no single performance_analysis_*.md written; stdout: "
                             + self.proc.stdout)

    def test_seed_sections_present(self):
        for rx in (r"executive summary", r"baseline measurements", r"hotspot analysis",
                   r"optimi[sz]ation recommendations"):
            with self.subTest(section=rx):
                self.assertIsNotNone(section(self.blocks, rx),
                                     [b.text for b in self.blocks if b.kind == "heading"])

    def first_demo_function_after(self, marker_rx):
        """The first demo function named after the first block matching
        marker_rx: the first row of the next table, or the next paragraph or
        list item naming one."""
        rx = re.compile(marker_rx, re.I)
        start = next((i for i, b in enumerate(self.blocks)
                      if b.kind in ("heading", "paragraph") and rx.search(b.text)), None)
        self.assertIsNotNone(start, "nothing in the report mentions %s" % marker_rx)
        for b in self.blocks[start + 1:]:
            texts = [" ".join(r) for r in b.rows] if b.kind == "table" else [b.text]
            for text in texts:
                named = [(text.find(f), f) for f in DEMO_FUNCS if f in text]
                if named:
                    return min(named)[1]
        return None

    def test_quadratic_is_first_slow_leaf(self):
        self.assertEqual(self.first_demo_function_after(r"slow[ -]lea(f|ves)"),
                         "drop_resent_orders")

    def rows_and_blocks(self):
        for i, b in enumerate(self.blocks):
            heading = next((h.text for h in reversed(self.blocks[:i]) if h.kind == "heading"), "")
            if b.kind == "table":
                for r in b.rows:
                    yield heading, " | ".join(b.header), " ".join(r)
            else:
                yield heading, "", b.text

    def test_recursion_flagged_with_counts(self):
        cc, nc = stats_of(SLOW_PROF)[("scheduling.py", "delivery_plans")][:2]
        calls = spelled_number(nc)
        hits = []
        for heading, header, text in self.rows_and_blocks():
            if "delivery_plans" in text and re.search(r"recurs", heading + header + text, re.I):
                hits.append(text)
        self.assertTrue(hits, "delivery_plans is never flagged as recursion")
        # "128287/1", "128,287 calls, 1 primitive", "128287 calls (1 primitive)"...
        counts = re.compile(calls.pattern + r"\s*/\s*%d(?!\d)" % cc)
        self.assertTrue(any(counts.search(t) or (calls.search(t) and
                                                 re.search(r"\b%d\b[^.]*primitive|primitive\D*%d\b"
                                                           % (cc, cc), t, re.I))
                            for t in hits), hits)

    def test_regex_family_found(self):
        spelled = spelled_number(re_compile_calls(SLOW_PROF))
        hits = [text for heading, header, text in self.rows_and_blocks()
                if re.search(r"regex|regular expression|re\.compile|\bre\b", heading + header + text,
                             re.I) and re.search(r"compil", text, re.I)]
        self.assertTrue(hits, "no regex-compile finding")
        self.assertTrue(any(spelled.search(t) or "validate_order" in t for t in hits), hits)

    def test_before_after_shows_improvement(self):
        base, opt = means(BASELINE), means(OPTIMIZED)
        tables = [b for b in self.blocks if b.kind == "table"
                  and re.search(r"baseline|before", b.text, re.I)
                  and re.search(r"optimi[sz]ed|after|new|current|change|speed", b.text, re.I)]
        self.assertTrue(tables, "no before/after table")
        checked = 0
        for name in ("test_process_orders[4000]", "test_drop_resent_orders[4000]"):
            full = "tests/benchmarks/test_orders_benchmark.py::" + name
            pct = (base[full] - opt[full]) / base[full] * 100.0
            ratio = base[full] / opt[full]
            self.assertGreater(pct, 30.0, "the committed runs show no improvement for " + name)
            rows = [" ".join(r) for t in tables for r in t.rows if name in " ".join(r)]
            if not rows:
                continue
            checked += 1
            nums = numbers(rows[0])
            self.assertTrue(any(abs(n - pct) <= 1.0 or abs(n - ratio) <= 0.05 * ratio
                                for n in nums),
                            "%s: expected %.1f%% faster or %.2fx in %r" % (name, pct, ratio, rows[0]))
            self.assertNotRegex(rows[0], r"(?i)regress|slower")
        self.assertGreater(checked, 0, "the before/after table names no pipeline benchmark")

    def test_quadratic_growth_is_category_b_evidence(self):
        """The baseline's sized benchmark test_drop_resent_orders is fitted and
        its exponent (the log-log slope of pytest-benchmark's means) stated
        as evidence of the Category B recommendation in drop_resent_orders."""
        with open(BASELINE) as f:
            runs = json.load(f)["benchmarks"]
        points = sorted((b["params"]["size"], b["stats"]["mean"]) for b in runs
                        if b["name"].startswith("test_drop_resent_orders["))
        slope = loglog_slope(points)
        hits = [text for heading, header, text in self.rows_and_blocks()
                if re.search(r"^Rank \d", heading) and "drop_resent_orders" in heading]
        self.assertTrue(hits, "no recommendation in drop_resent_orders")
        joined = " ".join(hits)
        self.assertRegex(joined, r"Category: B\b")
        m = re.search(r"sized benchmark\): time ∝ n\^(\d+\.\d+), R² [0-9.]+: quadratic", joined)
        self.assertIsNotNone(m, joined)
        self.assertAlmostEqual(float(m.group(1)), slope, delta=0.006)


if __name__ == "__main__":
    unittest.main()
