"""kiln report: the bundle on real cProfile files, checked against Python's
own pstats numbers and by parsing the Markdown back with cmark-gfm (the
Debian CLI, GitHub's parser), not by grepping.

Env: KILN (the CLI), KILN_SRC (source tree)."""
import hashlib
import json
import html.parser
import lzma
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

KILN = os.environ.get("KILN", "kiln")
SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(SRC, "fixtures", "python")
SLOW = os.path.join(FIX, "prof", "slow_n8000_runcall.prof")
FAST = os.path.join(FIX, "prof", "fast_n8000_runcall.prof")
MEDIUM = os.path.join(FIX, "medium", "medium_pydoc.prof")
CMARK = shutil.which("cmark-gfm")
NS = "{http://commonmark.org/xml/1.0}"

SECTIONS = ["Executive summary", "Metadata", "Baseline measurements", "Slow leaf nodes and busy junctions",
            "Pattern findings", "Hotspot analysis", "Optimization recommendations",
            "Alternative architectural approaches", "Visualizations"]


def run_report(args, outdir, env_extra=None):
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    if env_extra:
        env.update(env_extra)
    p = subprocess.run([KILN, "report", "-o", outdir] + args, capture_output=True, env=env)
    return p


def text_of(el):
    """Concatenated text of a cmark XML element (text, code, softbreak)."""
    out = []
    for node in el.iter():
        tag = node.tag.replace(NS, "")
        if tag in ("text", "code", "html_inline"):
            out.append(node.text or "")
        elif tag == "softbreak":
            out.append(" ")
    return "".join(out)


def parse_md(path):
    """Parses the file with cmark-gfm and returns the XML document."""
    xml = subprocess.run([CMARK, "-e", "table", "-e", "autolink", "-e", "tagfilter", "-e", "strikethrough",
                          "-t", "xml", path], capture_output=True, check=True).stdout
    return ET.fromstring(xml)


def headings(doc, level):
    return [text_of(h) for h in doc.iter(NS + "heading") if h.get("level") == str(level)]


def tables(doc):
    """Each table as a list of rows (header first), each row a list of cell texts."""
    out = []
    for t in doc.iter(NS + "table"):
        rows = []
        for r in t:
            rows.append([text_of(c) for c in r])
        out.append(rows)
    return out


def table_after(doc, heading_text, level="3"):
    """The first table following the heading with this text."""
    seen = False
    for el in doc:
        tag = el.tag.replace(NS, "")
        if tag == "heading" and text_of(el) == heading_text:
            seen = True
        elif seen and tag == "table":
            return [[text_of(c) for c in r] for r in el]
        elif seen and tag == "heading" and el.get("level") <= level:
            return None
    return None


def pstats_funcs(prof):
    st = pstats.Stats(prof)
    return st.stats  # {(file, line, name): (cc, nc, tt, ct, callers)}


def read(path, mode="r"):
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
        return fh.read()


def md_file(outdir):
    mds = [f for f in os.listdir(outdir) if f.startswith("performance_analysis_") and f.endswith(".md")]
    assert len(mds) == 1, mds
    return os.path.join(outdir, mds[0])


@unittest.skipIf(CMARK is None, "cmark-gfm CLI not installed (Debian package cmark-gfm)")
class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kiln-report-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_shape(self, doc):
        """Headings of the workflow in order; every table row as wide as its header."""
        self.assertEqual(len(headings(doc, 1)), 1)
        h2 = headings(doc, 2)
        self.assertEqual([h for h in h2 if h in SECTIONS], SECTIONS)
        for t in tables(doc):
            for row in t[1:]:
                self.assertEqual(len(row), len(t[0]), (t[0], row))

    def test_slow_bundle(self):
        out = os.path.join(self.tmp, "r")
        p = run_report([SLOW, "--source-root", os.path.join(FIX, "source", "slow"),
                        "--summary", os.path.join(self.tmp, "summary.md")], out)
        self.assertEqual(p.returncode, 0, p.stderr)
        md = md_file(out)
        self.assertTrue(md.endswith("performance_analysis_slow_n8000_runcall_2023-11-14.md"))
        for f in ["performance_analysis_slow_n8000_runcall_2023-11-14.html", "plan.md"]:
            self.assertTrue(os.path.getsize(os.path.join(out, f)) > 0, f)
        doc = parse_md(md)
        self.check_shape(doc)
        ps = pstats_funcs(SLOW)

        # baseline table = pstats sorted by cumulative time (ties aside)
        base = table_after(doc, "Baseline measurements", "2")
        self.assertEqual(base[0][:6], ["#", "Function", "Location", "Time (self)", "Calls", "Cumulative"])
        by_name = {}
        for (file, line, name), (cc, nc, tt, ct, _) in ps.items():
            by_name.setdefault(name, []).append((file, line, cc, nc, tt, ct))
        cums = []
        for row in base[1:]:
            name, loc, calls = row[1], row[2], row[4]
            cands = by_name[name]
            match = [c for c in cands if loc == "built-in" and c[0] == "~" or loc == f"{c[0]}:{c[1]}"]
            self.assertEqual(len(match), 1, row)
            file, line, cc, nc, tt, ct = match[0]
            self.assertEqual(calls, str(nc) if nc == cc else f"{nc}/{cc}")
            cums.append(ct)
        self.assertEqual(cums, sorted(cums, reverse=True))
        top = sorted(ps.values(), key=lambda v: -v[3])[:len(cums)]
        self.assertEqual(sorted(round(v[3], 9) for v in top), sorted(round(c, 9) for c in cums))

        # unique_events is the top slow leaf
        leaves = table_after(doc, "Slow leaf nodes")
        self.assertEqual(leaves[1][0], "unique_events")
        # retry_budget 57313/1 is a recursion blow-up; the re.compile family has 48,000 calls
        rb = [v for k, v in ps.items() if k[2] == "retry_budget"][0]
        rc_calls = [v[1] for k, v in ps.items() if k[2] == "compile" and k[0].endswith("re/__init__.py")][0]
        self.assertEqual((rb[1], rb[0]), (57313, 1))
        self.assertEqual(rc_calls, 48000)
        finds = table_after(doc, "Pattern findings", "2")
        rows = {(r[0], r[1]): r for r in finds[1:]}
        rec = rows[("Recursion blow-up", "retry_budget")]
        self.assertIn(f"{rb[1]} calls for {rb[0]} primitive", rec[4])
        rx = rows[("Regular expression compiled in a hot path", "parse_line")]
        self.assertEqual(rx[2], "compile")
        self.assertIn(f"{rc_calls} calls into the family", rx[4])
        # ranked recommendations, category letters as in the workflow
        h3 = headings(doc, 3)
        ranks = [h for h in h3 if h.startswith("Rank ")]
        self.assertTrue(ranks[0].startswith("Rank 1 - Highest Leverage: ") and ranks[0].endswith("unique_events"))
        self.assertTrue(any("Recursion blow-up in retry_budget" in h for h in ranks))
        # the excerpt comes from the mapped source
        codes = [c.text for c in doc.iter(NS + "code_block")]
        self.assertTrue(any("if k not in seen:" in c for c in codes))
        self.assertTrue(any("self.text += line" in c for c in codes))
        # visualisations: linked only when the file exists, else "not available"
        vis = [text_of(li) for li in self.section_items(doc, "Visualizations")]
        self.assertEqual(len(vis), 3)
        links = [el.get("destination") for el in doc.iter(NS + "link")] + \
                [el.get("destination") for el in doc.iter(NS + "image")]
        for dest in links:
            if dest and not dest.startswith("http"):
                self.assertTrue(os.path.exists(os.path.join(out, dest)), dest)
        self.assertIn("not available", vis[2])
        # plan.md: F001 = rank 1
        plan = parse_md(os.path.join(out, "plan.md"))
        feats = headings(plan, 2)
        self.assertEqual(feats[0], ranks[0].replace("Rank 1 - Highest Leverage: ", "F001: "))
        self.assertEqual(len(feats), len(ranks))
        # input hash
        meta = tables(doc)[1]
        self.assertEqual(meta[1][3], hashlib.sha256(read(SLOW, "rb")).hexdigest())
        self.assertEqual(meta[1][2], str(os.path.getsize(SLOW)))

    def section_items(self, doc, heading_text):
        seen = False
        for el in doc:
            tag = el.tag.replace(NS, "")
            if tag == "heading" and text_of(el) == heading_text:
                seen = True
            elif seen and tag == "list":
                return list(el)
            elif seen and tag == "heading":
                return []
        return []

    def test_fast_shows_fixes(self):
        out = os.path.join(self.tmp, "f")
        p = run_report([FAST, "--no-images"], out)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = parse_md(md_file(out))
        self.check_shape(doc)
        finds = table_after(doc, "Pattern findings", "2") or [[]]
        pats = {(r[0], r[1]) for r in finds[1:]}
        for bad in ["Recursion blow-up", "Regular expression compiled in a hot path", "Linear scan or copy per call"]:
            self.assertFalse([x for x in pats if x[0] == bad], pats)
        leaves = table_after(doc, "Slow leaf nodes") or [[]]
        self.assertNotIn("unique_events", [r[0] for r in leaves[1:]])

    def test_source_root_prefix_mapping(self):
        out = os.path.join(self.tmp, "m")
        mapping = "/home/dev/logpipe/scripts/src_slow=" + os.path.join(FIX, "source", "slow")
        p = run_report([SLOW, "--no-images", "--source-root", mapping], out)
        self.assertEqual(p.returncode, 0, p.stderr)
        codes = [c.text for c in parse_md(md_file(out)).iter(NS + "code_block")]
        self.assertTrue(any("return retry_budget(k - 1) + retry_budget(k - 2)" in c for c in codes))
        # without a root: said so, no excerpt
        out2 = os.path.join(self.tmp, "m2")
        run_report([SLOW, "--no-images"], out2)
        doc = parse_md(md_file(out2))
        self.assertFalse(list(doc.iter(NS + "code_block")))
        self.assertIn("source not found", "".join(text_of(x) for x in doc.iter(NS + "item")))

    def test_python_versions(self):
        xver = os.path.join(FIX, "xver")
        files = sorted(f for f in os.listdir(xver) if f.endswith(".prof"))
        self.assertGreaterEqual(len(files), 8)
        done = 0
        for f in files:
            out = os.path.join(self.tmp, f)
            p = run_report([os.path.join(xver, f), "--no-images"], out)
            if "2.7" in f and p.returncode != 0:
                self.assertEqual(p.returncode, 65, p.stderr)  # refused with a reason, not a crash
                continue
            self.assertEqual(p.returncode, 0, (f, p.stderr))
            doc = parse_md(md_file(out))
            self.check_shape(doc)
            base = table_after(doc, "Baseline measurements", "2")
            if "2.7" not in f:
                ps = pstats_funcs(os.path.join(xver, f))
                best = max(v[3] for v in ps.values())
                tops = {k[2] for k, v in ps.items() if v[3] == best}
                self.assertIn(base[1][1], tops, f)
                # fib's recursion (calls/primitive from pstats) is flagged when it passes the rule
                fib = [v for k, v in ps.items() if k[2] == "fib"][0]
                total = sum(v[2] for v in ps.values())
                expect = fib[1] >= 1000 and fib[1] / fib[0] >= 500 and fib[3] / total >= 0.01
                finds = table_after(doc, "Pattern findings", "2") or [[]]
                got = ("Recursion blow-up", "fib") in {(r[0], r[1]) for r in finds[1:]}
                self.assertEqual(got, expect, f)
            done += 1
        self.assertGreaterEqual(done, 8)

    def make_hostile(self):
        """A real cProfile file whose function names are hostile."""
        self.long_name = "L" * 70000 + "<tail>"
        names = ["</script><img src=x onerror=alert(1)>|x", "tick`s``and|pipes\\|", "new\nline\r\x1b[31mred",
                 "www.evil.com a@b.c http://x.y/z", "*emph* _u_ [l](javascript:alert(1)) ![i](x)",
                 "- list\n# head\n> quote", self.long_name]
        self.names = names
        script = f"""
import cProfile, sys
def make(name):
    def f(n):
        s = 0
        for i in range(n):
            s += i * i
        return s
    f.__code__ = f.__code__.replace(co_name=name)
    return f
fs = [make(n) for n in {names!r}]
def main():
    for f in fs:
        f(300000)
cProfile.run("main()", sys.argv[1])
"""
        prof = os.path.join(self.tmp, "hostile.prof")
        subprocess.run([sys.executable, "-c", script, prof], check=True)
        return prof

    def test_hostile_names(self):
        prof = self.make_hostile()
        out = os.path.join(self.tmp, "h")
        summ = os.path.join(self.tmp, "hs.md")
        p = run_report([prof, "--summary", summ], out)
        self.assertEqual(p.returncode, 0, p.stderr)
        md = md_file(out)
        doc = parse_md(md)
        self.check_shape(doc)
        # each hostile name is one cell, text intact (control bytes aside)
        base = table_after(doc, "Baseline measurements", "2")
        cells = [r[1] for r in base[1:]]
        for n in self.names[:-1]:
            # md_escape: line breaks become spaces, controls U+FFFD, '@' gets a
            # WORD JOINER (no e-mail autolink or @mention)
            clean = re.sub(r"[\n\r]", " ", n).replace("\x1b", "\ufffd").replace("@", "@\u2060")
            self.assertIn(clean, cells)
        self.assertIn("L" * 120 + "…", cells)  # shortened for display
        # the full (model-capped, 64 KiB) name is kept in a details block
        full = [c.text for c in doc.iter(NS + "code_block") if c.text.startswith("| LLLL")]
        self.assertEqual(len(full), 1)
        joined = "".join(line[2:] for line in full[0].splitlines())
        self.assertTrue(joined.startswith("L" * 65000))
        # no raw HTML from names anywhere in the Markdown
        for hb in list(doc.iter(NS + "html_block")) + list(doc.iter(NS + "html_inline")):
            self.assertRegex(hb.text.strip(), r"^(<details>|</details>|<summary>[^<>&]*</summary>)(\n.*)?$")
        # no links from names: only our own artifact links
        for el in list(doc.iter(NS + "link")) + list(doc.iter(NS + "image")):
            self.assertRegex(el.get("destination"), r"^(flame|callgraph|improvement)_hostile\.(html|png)$")
        # the HTML: only an allowlist of tags, no event handlers, no script
        page = read(md[:-3] + ".html")
        checker = TagCheck()
        checker.feed(page)
        self.assertEqual(checker.bad, [])
        self.assertNotIn("<script", page.lower())
        self.assertIn("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;|x", page)
        # summary: parses, tables intact, small
        sdoc = parse_md(summ)
        for t in tables(sdoc):
            for row in t[1:]:
                self.assertEqual(len(row), len(t[0]))
        self.assertLess(len(read(summ)), 65536)

    def test_summary_limit_huge(self):
        """Many huge hostile names: the summary stays under GitHub's limit."""
        lines = []
        for i in range(300):
            name = (f"f{i}_" + "<|`*_" * 12000)[:60000]
            lines.append(f"main;{name} {1000 - i}")
        folded = os.path.join(self.tmp, "huge.folded")
        with open(folded, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        summ = os.path.join(self.tmp, "huge_summary.md")
        p = run_report([folded, "--no-images", "--summary", summ, "--leaf-share", "0",
                        "--image-base-url", "https://example.org/run 1/"], os.path.join(self.tmp, "u"))
        self.assertEqual(p.returncode, 0, p.stderr)
        text = read(summ)
        self.assertLess(len(text), 65536)
        self.assertLessEqual(len(text.encode()), 262144)
        doc = parse_md(summ)
        for t in tables(doc):
            for row in t[1:]:
                self.assertEqual(len(row), len(t[0]))
        self.assertIn("<!-- kiln:report -->", text)

    def test_reproducible(self):
        a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        for d in (a, b):
            p = run_report([SLOW, "--source-root", os.path.join(FIX, "source", "slow")], d)
            self.assertEqual(p.returncode, 0, p.stderr)
        mine = [f for f in os.listdir(a) if f.endswith(".md") or f.startswith("performance_analysis_")]
        self.assertEqual(len(mine), 3)
        for f in sorted(os.listdir(a)):
            same = read(os.path.join(a, f), "rb") == read(os.path.join(b, f), "rb")
            if f in mine:
                self.assertTrue(same, f)
            elif not same:
                print(f"note: renderer output {f} differs between runs", file=sys.stderr)

    def test_large_profile_under_1s(self):
        out = os.path.join(self.tmp, "big")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = run_report([MEDIUM, "--no-images"], out)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.assertEqual(p.returncode, 0, p.stderr)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"medium_pydoc.prof report: {cpu:.3f} s CPU, {wall:.3f} s wall", file=sys.stderr)
        limit = 1.0 if os.environ.get("KILN_BUILD_TYPE") != "Asan" else 10.0
        self.assertLess(cpu, limit)
        self.check_shape(parse_md(md_file(out)))

    def test_before_after(self):
        base = os.path.join(FIX, "bench", "slow.json")
        new = os.path.join(self.tmp, "fast.json")
        with lzma.open(os.path.join(FIX, "bench", "fast.json.xz")) as fh, open(new, "wb") as w:
            w.write(fh.read())
        out = os.path.join(self.tmp, "ba")
        p = run_report([FAST, "--baseline", base, "--bench", new], out)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = parse_md(md_file(out))
        t = table_after(doc, "Before/after benchmarks", "2")
        self.assertEqual(t[0][:4], ["Benchmark", "Baseline", "Optimized", "Improvement %"])
        b = {x["fullname"]: x["stats"]["mean"] for x in json.loads(read(base))["benchmarks"]}
        n = {x["fullname"]: x["stats"]["mean"] for x in json.loads(read(new))["benchmarks"]}
        checked = 0
        for row in t[1:]:
            if row[0] in b and row[0] in n:
                want = (b[row[0]] - n[row[0]]) / b[row[0]] * 100
                self.assertAlmostEqual(float(row[3].rstrip("%")), want, delta=0.051)
                checked += 1
        self.assertGreater(checked, 5)
        vis = [text_of(li) for li in self.section_items(doc, "Visualizations")]
        if os.path.exists(os.path.join(out, "improvement_fast_n8000_runcall.png")):
            self.assertTrue(any(el.get("destination") == "improvement_fast_n8000_runcall.png"
                                for el in doc.iter(NS + "image")))
        else:
            self.assertIn("not available", vis[2])


def loglog_slope(points):
    """Least-squares slope of log(y) against log(x): the exponent k of y = c x^k."""
    import math
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((a - mx) * (b - my) for a, b in zip(xs, ys)) /
            sum((a - mx) ** 2 for a in xs))


@unittest.skipIf(CMARK is None, "cmark-gfm CLI not installed (Debian package cmark-gfm)")
class GrowthEvidence(unittest.TestCase):
    """kiln report --sizes: cProfile files of one workload at four sizes (made
    now by the real cProfile, tests/compare/scaling_workload.py): the
    quadratic pair scan gets a Category B recommendation whose exponents are
    the log-log slopes of pstats' own numbers; its linear twin gets none; the
    callee called n(n-1)/2 times is not blamed for its caller's loop."""
    SIZES = (200, 400, 800, 1600)

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kiln-growth-")
        cls.profs = []
        for n in cls.SIZES:
            out = os.path.join(cls.tmp, "w%d.prof" % n)
            subprocess.run([sys.executable, os.path.join(SRC, "tests", "compare", "scaling_workload.py"),
                            str(n), out], check=True)
            cls.profs.append(out)
        # the largest profile is analysed: give it first
        order = list(range(len(cls.SIZES)))[::-1]
        cls.out = os.path.join(cls.tmp, "bundle")
        cls.proc = run_report([cls.profs[i] for i in order] + ["--no-images", "--sizes",
                               ",".join(str(cls.SIZES[i]) for i in order)], cls.out)
        cls.doc = parse_md(md_file(cls.out)) if cls.proc.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def pstats_of(self, name):
        """Per size: (cumtime, calls made to other functions) from pstats."""
        rows = []
        for n, prof in zip(self.SIZES, self.profs):
            st = pstats.Stats(prof).stats
            key = next(k for k in st if k[2] == name)
            made = sum(callers[key][0] for k, (cc, nc, tt, ct, callers) in st.items() if key in callers)
            rows.append((n, st[key][3], made))
        return rows

    def recommendation(self, title):
        """(heading, list items) of the recommendation with this heading text."""
        els = list(self.doc)
        for i, el in enumerate(els):
            if el.tag == NS + "heading" and title in text_of(el):
                items = els[i + 1] if i + 1 < len(els) else None
                return text_of(el), [text_of(li) for li in items.iter(NS + "item")]
        return None, []

    def test_quadratic_scan_is_category_b_with_pstats_exponents(self):
        head, items = self.recommendation("Superlinear growth with input size in duplicates_quadratic")
        self.assertIsNotNone(head, [text_of(h) for h in self.doc.iter(NS + "heading")])
        self.assertTrue(any(i.startswith("Category: B") for i in items), items)
        evidence = next(i for i in items if i.startswith("Evidence"))
        rows = self.pstats_of("duplicates_quadratic")
        k_time = loglog_slope([(n, ct) for n, ct, _ in rows])
        k_made = loglog_slope([(n, made) for n, _, made in rows])
        self.assertAlmostEqual(k_made, 2.0, delta=0.05)   # n(n-1)/2 comparisons
        m = re.search(r"time ∝ n\^(-?\d+\.\d+)", evidence)
        self.assertIsNotNone(m, evidence)
        self.assertAlmostEqual(float(m.group(1)), k_time, delta=0.006)
        m = re.search(r"calls made ∝ n\^(-?\d+\.\d+), R² [0-9.]+: quadratic", evidence)
        self.assertIsNotNone(m, evidence)
        self.assertAlmostEqual(float(m.group(1)), k_made, delta=0.006)

    def test_linear_twin_and_callee_not_blamed(self):
        for name in ("duplicates_linear", "same", "key"):
            with self.subTest(name=name):
                head, _ = self.recommendation("Superlinear growth with input size in " + name)
                self.assertIsNone(head)

    def test_complexity_table_lists_measured_functions(self):
        t = None
        els = list(self.doc)
        for i, el in enumerate(els):
            if el.tag == NS + "heading" and text_of(el) == "Empirical complexity":
                t = next(e for e in els[i:] if e.tag == NS + "table")
                break
        self.assertIsNotNone(t, "no Empirical complexity section")
        rows = {r[0]: r for r in ([text_of(c) for c in row] for row in list(t)[1:])}
        for name in ("duplicates_quadratic", "duplicates_linear", "same"):
            self.assertIn(name, rows)
            self.assertEqual(rows[name][1], "200–1600 (4)")
        calls = [nc for n, prof in zip(self.SIZES, self.profs)
                 for k, (cc, nc, tt, ct, callers) in pstats.Stats(prof).stats.items() if k[2] == "same"]
        k_same = loglog_slope(list(zip(self.SIZES, calls)))
        m = re.match(r"n\^(\d+\.\d+)", rows["same"][3])
        self.assertAlmostEqual(float(m.group(1)), k_same, delta=0.006)

    def test_sizes_must_match_profiles(self):
        p = run_report(self.profs[:2] + ["--no-images", "--sizes", "1,2,3"], os.path.join(self.tmp, "x"))
        self.assertEqual(p.returncode, 2, p.stderr)
        p = run_report(self.profs[:2] + ["--no-images", "--sizes", "1,-2"], os.path.join(self.tmp, "x"))
        self.assertEqual(p.returncode, 2, p.stderr)


class TagCheck(html.parser.HTMLParser):
    OK = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "h4", "p", "table",
          "thead", "tbody", "tr", "th", "td", "ul", "ol", "li", "strong", "em", "code", "pre", "a", "img",
          "details", "summary", "br", "hr", "del"}

    def __init__(self):
        super().__init__()
        self.bad = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.OK:
            self.bad.append(tag)
        for k, v in attrs:
            if k.startswith("on") or (v and v.strip().lower().startswith(("javascript:", "data:", "vbscript:"))):
                self.bad.append(f"{tag} {k}={v}")

    def handle_comment(self, data):
        pass


if __name__ == "__main__":
    unittest.main()
