#!/usr/bin/env python3
"""Hostile names through every command that renders (gen_hostile.py makes
the profiles: folded, perf script, .prof from the real cProfile, .kiln).

For each input format:
  * kiln top and kiln top --pstats run under a pseudo-terminal (so kiln
    believes it writes to a terminal): the bytes read back hold no raw ESC,
    C0 (but CR/LF/TAB), DEL, C1 or bidi control, and every name stays on one
    line (its HN<k>_ and _EN<k> markers on the same line);
  * kiln convert --to folded: every line is "stack count" and reads back;
  * kiln flame (HTML + PNG + SVG) and kiln callgraph (PNG + SVG): exit 0, the
    SVG parses as XML (xml.etree), the PNG has its signature, the HTML's
    JSON block holds no '<', stderr holds no Pango/GLib warning;
  * kiln report (+ --summary): each Markdown file is parsed by the real
    cmark-gfm CLI (-e table -e autolink -e strikethrough -e tagfilter
    -t xml, under a timeout): every table has as many rows as its source
    has lines, every name stays in one cell/paragraph (markers together),
    no link to javascript:, no raw HTML from data.
The browser half (no script runs in Chromium) is test_hostile_browser.js.
Env: KILN, KILN_SRC."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_hostile  # noqa: E402

KILN = os.environ.get("KILN", "kiln")
FORMATS = ("folded", "perf", "prof", "kiln")
WARNING = re.compile(rb"WARNING|CRITICAL|Pango|GLib|Fontconfig|runtime error|Sanitizer")
CM = "{http://commonmark.org/xml/1.0}"
N_NAMES = len(gen_hostile.PAYLOADS)


def run(argv, timeout=120):
    return subprocess.run(argv, capture_output=True, timeout=timeout)


def run_pty(argv, timeout=120):
    """Runs argv with stdout on a pseudo-terminal; returns (exit code, bytes).

    Reading the master until EIO loses output on a loaded machine: Linux
    moves the slave's bytes to the master through a work queue, and the
    hang-up at the child's exit can overtake the last of them. So the
    parent keeps the slave open, waits for the child, then writes an end
    marker through the same slave and reads until the marker: the tty
    queue is FIFO, so everything the child wrote comes before it."""
    import pty
    import select
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    marker = b"@@kiln-pty-end@@"
    chunks = []

    def drain(wait):
        while select.select([master], [], [], wait)[0]:
            data = os.read(master, 65536)
            if not data:
                return
            chunks.append(data)
            if marker in b"".join(chunks[-2:]):
                return

    # the child may fill the pty buffer before it exits: read while it runs
    while p.poll() is None:
        drain(0.05)
    err = p.stderr.read()
    p.wait(timeout=timeout)
    os.write(slave, marker)
    while marker not in b"".join(chunks):
        before = len(chunks)
        drain(timeout)
        if len(chunks) == before:
            raise AssertionError("pty: end marker never arrived")
    os.close(slave)
    os.close(master)
    out = b"".join(chunks)
    return p.returncode, out[:out.index(marker)], err


TERMINAL_BAD = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|"
                          rb"\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def markers_together(text, what, problems, allow_cut=True):
    """Every name whose start marker is in a piece of text must end there."""
    for k in range(N_NAMES):
        start = "HN%d_" % k
        for piece in text:
            if start in piece and ("_EN%d" % k) not in piece:
                if allow_cut and "\u2026" in piece[piece.index(start):]:
                    continue   # shortened for display ("…"), full name elsewhere
                problems.append("%s: name %d (%s) split: %r" % (what, k, gen_hostile.PAYLOADS[k][0],
                                                               piece[:160]))


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kiln_hostile_")
        cls.files = gen_hostile.generate(cls.tmp, KILN)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, fmt, name):
        return os.path.join(self.tmp, "%s_%s" % (fmt, name))

    def check_stderr(self, r, what):
        self.assertNotRegex(r.stderr, WARNING, "%s: warning on stderr: %r" % (what, r.stderr[:400]))

    # -- terminal --------------------------------------------------------------------

    def test_top_terminal(self):
        for fmt in FORMATS:
            for extra in ([], ["--pstats"]):
                with self.subTest(fmt=fmt, pstats=bool(extra)):
                    code, out, err = run_pty([KILN, "top", "--limit", "100", *extra, self.files[fmt]])
                    self.assertEqual(code, 0, err[:300])
                    bad = TERMINAL_BAD.search(out)
                    self.assertIsNone(bad, "raw control bytes on the terminal near %r" %
                                      (out[max(0, bad.start() - 40):bad.end() + 40] if bad else b""))
                    self.assertIn(b"HN9_", out, "the ANSI name is shown")
                    self.assertIn(b"\\x1b[31mred", out, "ESC shown as text")
                    lines = out.decode("utf-8", "strict").split("\r\n")
                    problems = []
                    markers_together(lines, "top", problems)
                    # names over 64 KiB are cut on import, with "…"
                    for k in range(N_NAMES):
                        if not any(("HN%d_" % k) in ln and (("_EN%d" % k) in ln or "\u2026" in ln)
                                   for ln in lines):
                            problems.append("name %d not on one line" % k)
                    self.assertEqual(problems, [])

    # -- folded export ---------------------------------------------------------------

    def test_convert_folded(self):
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                out = self.out(fmt, "out.folded")
                r = run([KILN, "convert", "--to", "folded", self.files[fmt], "-o", out])
                self.assertEqual(r.returncode, 0, r.stderr[:300])
                with open(out, "rb") as f:
                    lines = f.read().split(b"\n")
                self.assertEqual(lines[-1], b"")
                for ln in lines[:-1]:
                    self.assertRegex(ln, rb"^[^\r\n]+ [0-9.e+-]+$")
                r = run([KILN, "top", "--from", "folded", out])
                self.assertEqual(r.returncode, 0, r.stderr[:300])

    # -- pictures and the flame page ---------------------------------------------------

    def check_svg(self, path):
        with open(path, "rb") as f:
            data = f.read()
        ET.fromstring(data)      # raises on broken XML
        self.assertNotIn(b"<script", data.lower())
        self.assertNotIn(b"onerror=", data)
        self.assertNotIn(b"onbegin=", data)

    def check_png(self, path):
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_flame(self):
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                html, png, svg = (self.out(fmt, "flame." + e) for e in ("html", "png", "svg"))
                r = run([KILN, "flame", self.files[fmt], "-o", html, "--png", png, "--svg", svg,
                         "--title", gen_hostile.names()[0][1].decode()])
                self.assertEqual(r.returncode, 0, r.stderr[:300])
                self.check_stderr(r, "flame")
                self.check_svg(svg)
                self.check_png(png)
                with open(html, "rb") as f:
                    page = f.read()
                m = re.search(rb'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
                self.assertIsNotNone(m)
                self.assertNotIn(b"<", m.group(1))
                # outside the JSON block, no payload markup survives
                rest = page[:m.start()] + page[m.end():]
                for bad in (b"<script>document", b"<img src=x", b"<svg><animate", b"<!--<script>"):
                    self.assertNotIn(bad, rest)

    def test_callgraph(self):
        for fmt in FORMATS:
            for ext in ("png", "svg"):
                with self.subTest(fmt=fmt, ext=ext):
                    out = self.out(fmt, "cg." + ext)
                    r = run([KILN, "callgraph", self.files[fmt], "-o", out, "-n", "0", "-e", "0"])
                    self.assertEqual(r.returncode, 0, r.stderr[:300])
                    self.check_stderr(r, "callgraph")
                    (self.check_svg if ext == "svg" else self.check_png)(out)

    # -- Markdown reports --------------------------------------------------------------

    def check_markdown(self, path):
        with open(path, "rb") as f:
            src = f.read()
        r = run(["cmark-gfm", "-e", "table", "-e", "autolink", "-e", "strikethrough", "-e", "tagfilter",
                 "-t", "xml", path], timeout=60)
        self.assertEqual(r.returncode, 0)
        doc = ET.fromstring(r.stdout)
        problems = []
        # rows per table: cmark's against the source's table blocks
        blocks, cur, in_fence = [], 0, False
        for ln in src.split(b"\n"):
            if ln.startswith(b"```"):
                in_fence = not in_fence
            if ln.startswith(b"|") and not in_fence:
                cur += 1
            elif cur:
                blocks.append(cur - 1)   # minus the delimiter row
                cur = 0
        if cur:
            blocks.append(cur - 1)
        tables = [len([c for c in t if c.tag in (CM + "table_header", CM + "table_row")])
                  for t in doc.iter(CM + "table")]
        if tables != blocks:
            problems.append("table rows %s, source lines %s" % (tables, blocks))
        for t in doc.iter(CM + "table"):
            head = t.find(CM + "table_header")
            ncols = len(list(head))
            for row in t:
                if row.tag == CM + "table_row" and len(list(row)) != ncols:
                    problems.append("row with %d cells, header %d" % (len(list(row)), ncols))

        def text_of(el):
            return "".join((e.text or "") for e in el.iter() if e.tag in (CM + "text", CM + "code"))

        pieces = [text_of(e) for tag in ("table_cell", "paragraph", "heading", "item")
                  for e in doc.iter(CM + tag)]
        markers_together(pieces, os.path.basename(path), problems)
        for link in doc.iter(CM + "link"):
            if link.get("destination", "").lower().startswith(("javascript", "vbscript", "data")):
                problems.append("link to %r" % link.get("destination"))
            if "HN" in text_of(link):
                problems.append("a name became a link: %r" % text_of(link)[:100])
        for tag in ("html_inline", "html_block"):
            for e in doc.iter(CM + tag):
                if re.search(r"script|onerror|onbegin|<img|<svg", e.text or "", re.I):
                    problems.append("raw HTML from data: %r" % (e.text or "")[:100])
        self.assertEqual(problems, [], path)

    def test_report(self):
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                d = self.out(fmt, "report")
                summary = os.path.join(d, "summary.md")
                os.makedirs(d, exist_ok=True)
                r = subprocess.run([KILN, "report", self.files[fmt], "-o", d, "--target", "hostile",
                                    "--summary", summary], capture_output=True, timeout=300, env=env)
                self.assertEqual(r.returncode, 0, r.stderr[:300])
                self.check_stderr(r, "report")
                mds = [os.path.join(d, n) for n in os.listdir(d) if n.endswith(".md")]
                self.assertGreaterEqual(len(mds), 3, os.listdir(d))
                for md in mds:
                    self.check_markdown(md)
                for n in os.listdir(d):
                    if n.endswith(".svg"):
                        self.check_svg(os.path.join(d, n))


if __name__ == "__main__":
    if not shutil.which("cmark-gfm"):
        print("SKIP: cmark-gfm CLI not installed (apt-get install cmark-gfm)")
        sys.exit(0)
    unittest.main(verbosity=2)
