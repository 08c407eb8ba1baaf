"""kiln flame: the HTML file checked without a browser (CSP hashes, embedded
data decoded and compared with the folded input parsed here, escaping), the
static PNG/SVG, and the CLI contract. Env: KILN, KILN_SRC."""
import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import tempfile
import unittest
import xml.dom.minidom
import zlib

KILN = os.environ.get("KILN")
SRC = os.environ.get("KILN_SRC", ".")
FOLDED = os.path.join(SRC, "fixtures/perf/medium.folded")


def run(*args, check=True):
    p = subprocess.run([KILN, *args], capture_output=True)
    if check and p.returncode != 0:
        raise AssertionError(f"kiln {' '.join(args)} -> {p.returncode}: {p.stderr.decode()}")
    return p


def slurp(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def read_folded(path):
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip():
                stack, _, count = line.rpartition(" ")
                out.append((stack.split(";"), float(count)))
    return out


def decode_page(html):
    """Returns (meta, blob) from the page's JSON block."""
    m = re.search(r'<script type="application/json" id="kiln-data">(.*?)</script>', html, re.S)
    assert m, "no data block"
    meta = json.loads(m.group(1))
    blob = zlib.decompress(base64.b64decode(meta["blob"]))
    return meta, blob, m.group(1)


def parse_blob(b):
    h = struct.unpack_from("<16I", b, 0)
    assert h[0] == 0x314C464B and h[1] == 1
    nstr, sbytes, nf, n, flags = h[2:7]
    off = 64

    def al8(o):
        return (o + 7) & ~7

    offs = struct.unpack_from(f"<{nstr + 1}I", b, off)
    off = al8(off + 4 * (nstr + 1))
    sb = b[off:off + sbytes]
    off = al8(off + sbytes)
    strs = [sb[offs[i]:offs[i + 1]].decode("utf-8") for i in range(nstr)]
    cols = [struct.unpack_from(f"<{nf}I", b, off + 4 * nf * k) for k in range(6)]
    off = al8(off + 24 * nf) + 8 * nf
    depth = struct.unpack_from(f"<{n}I", b, off)
    frame = struct.unpack_from(f"<{n}I", b, off + 4 * n)
    off = al8(off + 8 * n)
    self_ = struct.unpack_from(f"<{n}d", b, off)
    names = [strs[cols[0][f]] for f in range(nf)]
    parse_blob.marks = {names[f]: cols[5][f] for f in range(nf) if cols[5][f]}
    return names, depth, frame, self_, flags


def stacks_of(names, depth, frame, self_):
    """Folded stacks rebuilt from the pre-order node table."""
    path, out = [], {}
    for i in range(1, len(depth)):
        del path[depth[i] - 1:]
        path.append(names[frame[i]])
        if self_[i]:
            key = ";".join(path)
            out[key] = out.get(key, 0) + self_[i]
    return out


@unittest.skipUnless(KILN, "KILN not set")
class FlameHtml(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.html = os.path.join(cls.tmp.name, "m.html")
        run("flame", FOLDED, "-o", cls.html)
        cls.text = slurp(cls.html)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_data_round_trips_the_folded_input(self):
        meta, blob, _ = decode_page(self.text)
        names, depth, frame, self_, _ = parse_blob(blob)
        want = {}
        for st, c in read_folded(FOLDED):
            key = ";".join(st)
            want[key] = want.get(key, 0) + c
        self.assertEqual(stacks_of(names, depth, frame, self_), want)
        self.assertEqual(meta["total"], sum(want.values()))

    def test_csp_hashes_match_the_inline_blocks(self):
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', self.text).group(1)
        self.assertIn("default-src 'none'", csp)
        scripts = re.findall(r"<script>(.*?)</script>", self.text, re.S)
        styles = re.findall(r"<style>(.*?)</style>", self.text, re.S)
        self.assertEqual((len(scripts), len(styles)), (1, 1))
        for body, kind in ((scripts[0], "script-src"), (styles[0], "style-src")):
            h = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            self.assertIn(f"{kind} 'sha256-{h}'", csp)
        self.assertNotIn("unsafe-inline", csp)
        # Self-contained: no URL the browser could fetch.
        self.assertIsNone(re.search(r'(src|href)\s*=|https?://|url\(', self.text.split('id="kiln-data"')[0]))
        self.assertFalse(re.search(r"\son[a-z]+\s*=", self.text), "no inline event handlers")

    def test_output_validity(self):
        self.assertTrue(self.text.startswith("<!doctype html>"))
        self.assertIn('<meta charset="utf-8">', self.text)
        self.assertIsNone(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", self.text))

    def test_hostile_names_escaped_in_json_block(self):
        names = ["</script><script>alert(1)</script>", "<!--<script>", "a&b>c", "\u2028x\u2029",
                 "q\"uote\\back", "\x1b[31mred\x01", "bad\xff\xfeutf8"]
        f = os.path.join(self.tmp.name, "h.folded")
        with open(f, "wb") as out:
            for i, n in enumerate(names):
                out.write(b"main;" + n.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe") + b" %d\n" % (i + 1))
        h = os.path.join(self.tmp.name, "h.html")
        run("flame", f, "-o", h, "--title", names[0])
        text = slurp(h)  # valid UTF-8
        _, blob, raw = decode_page(text)
        for bad in ("<", ">", "&", "\u2028", "\u2029"):
            self.assertNotIn(bad, raw)
        self.assertIn("<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>", text)
        got = set(parse_blob(blob)[0])
        for n in names[:5]:
            self.assertIn(n, got)
        self.assertIn("\u241b[31mred\u2401", got)  # control pictures
        self.assertIn("bad\ufffd\ufffdutf8", got)

    def test_analysis_marks_match_pstats(self):
        # Slow leaf: self >= 80% of its total and >= 5% of the run; busy
        # junction: total >= 10% of the run, self <= 20% of it (the
        # analysis defaults), computed here from pstats' own numbers.
        prof = os.path.join(SRC, "fixtures/python/prof/slow_n8000_runcall.prof")
        with open(os.path.join(SRC, "fixtures/python/text/slow_n8000_runcall.raw.json")) as f:
            raw = json.load(f)
        run_tt = raw["total_tt"]
        leaves = {s["func"] for s in raw["stats"] if s["ct"] > 0 and s["tt"] / s["ct"] >= 0.8
                  and s["tt"] / run_tt >= 0.05}
        junctions = {s["func"] for s in raw["stats"] if s["ct"] / run_tt >= 0.10
                     and s["tt"] / s["ct"] <= 0.20}
        h = os.path.join(self.tmp.name, "prof.html")
        run("flame", prof, "-o", h)
        parse_blob(decode_page(slurp(h))[1])
        marks = parse_blob.marks
        self.assertTrue(leaves)
        self.assertEqual({n for n, m in marks.items() if m & 1}, leaves)
        self.assertEqual({n for n, m in marks.items() if m & 2}, junctions)

    def test_weird_values_do_not_break_totals(self):
        f = os.path.join(self.tmp.name, "z.folded")
        with open(f, "w") as out:
            out.write("a;b 0\n")
        h = os.path.join(self.tmp.name, "z.html")
        run("flame", f, "-o", h)
        meta, _, _ = decode_page(slurp(h))
        self.assertEqual(meta["total"], 0)


@unittest.skipUnless(KILN, "KILN not set")
class FlameStatic(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def png_size(self, path):
        with open(path, "rb") as f:
            head = f.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        return struct.unpack(">II", head[16:24])

    def test_png_and_svg_of_a_deep_profile(self):
        # 281 levels, like the deep perf profile in the notes: the image must
        # keep the widest levels and say what was cut.
        f = os.path.join(self.tmp.name, "deep.folded")
        chain = ";".join(f"level{i}" for i in range(281))
        with open(f, "w") as out:
            out.write(chain + " 10\n" + "level0;side 30\n")
        png, svg = os.path.join(self.tmp.name, "d.png"), os.path.join(self.tmp.name, "d.svg")
        p = run("flame", f, "--png", png, "--svg", svg, "--levels", "40")
        self.assertEqual(p.stderr, b"")  # no Pango warnings
        w, h = self.png_size(png)
        self.assertEqual(w, 1200)
        self.assertLess(h, 32767)
        self.assertLess(h, 46 + 40 * 17 + 40)
        doc = xml.dom.minidom.parse(svg)  # well-formed XML
        self.assertEqual(doc.documentElement.tagName, "svg")
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "flame.html")))

    def test_level_cap_keeps_height_below_cairo_limit(self):
        f = os.path.join(self.tmp.name, "deep.folded")
        with open(f, "w") as out:
            out.write(";".join(f"f{i}" for i in range(3000)) + " 1\n")
        png = os.path.join(self.tmp.name, "d.png")
        run("flame", f, "--png", png, "--levels", "1500")
        self.assertLess(self.png_size(png)[1], 32767)

    def test_png_hostile_names_no_pango_warnings(self):
        f = os.path.join(self.tmp.name, "h.folded")
        with open(f, "wb") as out:
            out.write(b"main;<b>bold</b>&amp;;x\xff\xfe 10\nmain;" + b"W" * 70000 + b" 5\n")
        png = os.path.join(self.tmp.name, "h.png")
        p = run("flame", f, "--png", png)
        self.assertEqual(p.stderr, b"")

    def test_cli_errors(self):
        self.assertEqual(run("flame", check=False).returncode, 2)
        self.assertEqual(run("flame", "--diff", FOLDED, check=False).returncode, 2)
        self.assertEqual(run("flame", os.path.join(self.tmp.name, "missing"), "-o", "x.html",
                             check=False).returncode, 66)
        out = os.path.join(self.tmp.name, "nodir", "x.html")
        self.assertEqual(run("flame", FOLDED, "-o", out, check=False).returncode, 73)
        self.assertEqual(run("flame", FOLDED, "--type", "nope", "-o", "-", check=False).returncode, 2)

    def test_several_inputs_are_summed(self):
        h = os.path.join(self.tmp.name, "two.html")
        run("flame", FOLDED, FOLDED, "-o", h)
        meta, _, _ = decode_page(slurp(h))
        self.assertEqual(meta["total"], 2 * sum(c for _, c in read_folded(FOLDED)))


if __name__ == "__main__":
    unittest.main()
