"""kiln callgraph, end to end.

Ground truth comes from Python's own pstats reading the same .prof: which
functions and calls pass the thresholds, their total/self percentages and
call counts, recursion loops and the hidden counts must match what kiln
lays out (read back from its DOT output). The PNG must decode, stay within
32767 px and carry the heat colours; hostile names must neither crash nor
make Pango warn, and SVG output must be well-formed XML.

Env: KILN (the CLI), KILN_SRC (source dir), KILN_HOSTILE_SVG (written by
the unit test binary, fixture callgraph_svg).
"""
import marshal
import os
import pstats
import struct
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
import zlib

KILN = os.environ.get("KILN", "kiln")
SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
PROF = os.path.join(SRC, "fixtures", "python", "medium", "medium_pydoc.prof")

# The heat scale's ends (render/callgraph_model.c): deep blue and red.
HEAT_HOT = (214, 26, 31)
HEAT_COLD_MAX_RED = 90  # cold boxes are blue: little red, more blue than red


def run(*args, **kw):
    return subprocess.run([KILN, *args], capture_output=True, timeout=240, **kw)


# ---- a tiny DOT reader (enough for graphviz's own "dot" output) ----------

def dot_tokens(text):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j, out = i + 1, []
            while text[j] != '"':
                if text[j] == "\\" and text[j + 1] == '"':
                    out.append('"')
                    j += 2
                elif text[j] == "\\" and text[j + 1] == "\n":
                    j += 2  # line continuation
                else:
                    out.append(text[j])
                    j += 1
            yield ("str", "".join(out))
            i = j + 1
        elif text.startswith("->", i):
            yield ("sym", "->")
            i += 2
        elif c in "[]{}=,;":
            yield ("sym", c)
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '[]{}=,;"' and not text.startswith("->", j):
                j += 1
            yield ("id", text[i:j])
            i = j


def parse_dot(text):
    """Returns (graph_attrs, {node: attrs}, [(tail, head, attrs)])."""
    toks = list(dot_tokens(text))
    pos = 0
    while toks[pos] != ("sym", "{"):
        pos += 1
    pos += 1
    gattrs, nodes, edges = {}, {}, []

    def attrs():
        nonlocal pos
        a = {}
        if pos < len(toks) and toks[pos] == ("sym", "["):
            pos += 1
            while toks[pos] != ("sym", "]"):
                k = toks[pos][1]
                assert toks[pos + 1] == ("sym", "="), toks[pos:pos + 3]
                a[k] = toks[pos + 2][1]
                pos += 3
                if toks[pos] == ("sym", ","):
                    pos += 1
            pos += 1
        return a

    while toks[pos] != ("sym", "}"):
        if toks[pos] == ("sym", ";"):
            pos += 1
            continue
        name = toks[pos][1]
        pos += 1
        if toks[pos] == ("sym", "->"):
            head = toks[pos + 1][1]
            pos += 2
            edges.append((name, head, attrs()))
        elif toks[pos] == ("sym", "="):
            gattrs[name] = toks[pos + 1][1]
            pos += 2
        else:
            a = attrs()
            if name == "graph":
                gattrs.update(a)
            elif name not in ("node", "edge"):
                nodes[name] = a
    return gattrs, nodes, edges


# ---- a small PNG decoder (8-bit RGB/RGBA, no interlace) ------------------

def png_decode(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        ln, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if zlib.crc32(typ + body) != struct.unpack(">I", data[pos + 8 + ln:pos + 12 + ln])[0]:
            raise AssertionError("bad CRC in " + typ.decode())
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + ln
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    assert len(raw) == h * (stride + 1), "IDAT size does not match IHDR"
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png_size(data):
    w, h = struct.unpack(">II", data[16:24])
    return w, h


class CallgraphOnRealProfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.stats = pstats.Stats(PROF).stats
        cls.total = sum(v[2] for v in cls.stats.values())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.tmp.name, name)

    def expected(self, node_thr, edge_thr, max_nodes=300):
        ranked = sorted(((v[3] / self.total * 100, k) for k, v in self.stats.items()
                         if v[3] / self.total * 100 >= node_thr), key=lambda t: -t[0])
        kept = {k for _, k in ranked[:max_nodes]}
        edges, loops = {}, {}
        for callee, (cc, nc, tt, ct, callers) in self.stats.items():
            # pstats caller tuples are (nc, cc, tt, ct) (see print_call_line)
            for caller, (enc, ecc, ett, ect) in callers.items():
                if caller not in kept or callee not in kept:
                    continue
                if caller == callee:
                    loops[callee] = enc
                elif ect / self.total * 100 >= edge_thr:
                    edges[(caller, callee)] = (enc, ect / self.total * 100)
        return kept, edges, loops

    def check_dot_against_pstats(self, node_thr, edge_thr):
        path = self.out(f"g_{node_thr}_{edge_thr}.dot")
        r = run("callgraph", PROF, "-o", path, "-n", str(node_thr), "-e", str(edge_thr))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stderr, b"")
        with open(path, encoding="utf-8") as f:
            gattrs, nodes, dedges = parse_dot(f.read())
        kept, edges, loops = self.expected(node_thr, edge_thr)
        key_of = {}
        for nid, a in nodes.items():
            key = (a.get("kiln_file") or "~", int(a.get("kiln_line", 0)), a.get("kiln_name", ""))
            key_of[nid] = key
            self.assertIn(key, self.stats, key)
            cc, nc, tt, ct, _ = self.stats[key]
            self.assertEqual(int(a["kiln_calls"]), nc, key)
            self.assertEqual(int(a["kiln_prim_calls"]), cc, key)
            self.assertAlmostEqual(float(a["kiln_total_pct"]), ct / self.total * 100, places=4)
            self.assertAlmostEqual(float(a["kiln_self_pct"]), tt / self.total * 100, places=4)
            self.assertIn("pos", a)  # laid out
        self.assertEqual(set(key_of.values()), kept)
        got_edges, got_loops = {}, {}
        for t, h, a in dedges:
            kt, kh = key_of[t], key_of[h]
            if kt == kh:
                got_loops[kt] = int(a["kiln_calls"])
            else:
                got_edges[(kt, kh)] = (int(a["kiln_calls"]), float(a["kiln_total_pct"]))
            self.assertIn("pos", a)  # routed
        self.assertEqual(set(got_edges), set(edges))
        for k, (calls, pct) in edges.items():
            self.assertEqual(got_edges[k][0], calls, k)
            self.assertAlmostEqual(got_edges[k][1], pct, places=4)
        self.assertEqual(got_loops, loops)
        n_edges = sum(len(v[4]) for v in self.stats.values())
        self.assertEqual(int(gattrs["kiln_funcs_hidden"]), len(self.stats) - len(kept))
        self.assertEqual(int(gattrs["kiln_edges_hidden"]), n_edges - len(edges) - len(loops))
        return kept, edges, loops

    def test_default_thresholds_match_pstats(self):
        kept, edges, loops = self.check_dot_against_pstats(0.5, 0.1)
        self.assertGreater(len(kept), 50)
        self.assertTrue(loops, "medium_pydoc has recursive functions above 0.5%")

    def test_other_thresholds_match_pstats(self):
        kept, _, _ = self.check_dot_against_pstats(5, 1)
        self.assertLess(len(kept), 40)

    def test_png_decodes_with_heat_colours(self):
        path = self.out("g.png")
        r = run("callgraph", PROF, "-o", path)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stderr, b"")
        with open(path, "rb") as f:
            data = f.read()
        w, h = png_size(data)
        self.assertTrue(800 < w <= 32767 and 400 < h <= 32767, (w, h))
        # Decode a smaller rendering fully (pure Python is slow) and look for
        # the hot red of the 100 % nodes and for cold blue boxes.
        path = self.out("small.png")
        r = run("callgraph", PROF, "-o", path, "--scale", "0.4")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(path, "rb") as f:
            sw, sh, bpp, rows = png_decode(f.read())
        self.assertLess(abs(sw - w * 0.4 / 1.25), 3)
        hot = cold = 0
        for row in rows:
            for x in range(0, sw * bpp, bpp):
                r_, g_, b_ = row[x], row[x + 1], row[x + 2]
                if abs(r_ - HEAT_HOT[0]) <= 3 and abs(g_ - HEAT_HOT[1]) <= 3 and abs(b_ - HEAT_HOT[2]) <= 3:
                    hot += 1
                elif r_ < HEAT_COLD_MAX_RED and b_ > r_ + 40 and b_ > 90:
                    cold += 1
        self.assertGreater(hot, 200)
        self.assertGreater(cold, 2000)

    def test_svg_and_pdf(self):
        for ext in ("svg", "pdf"):
            path = self.out("g." + ext)
            r = run("callgraph", PROF, "-o", path)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            with open(path, "rb") as f:
                data = f.read()
            if ext == "svg":
                root = ET.fromstring(data)
                self.assertTrue(root.tag.endswith("svg"))
            else:
                self.assertTrue(data.startswith(b"%PDF-") and b"%%EOF" in data[-64:])

    def test_cli_errors(self):
        r = run("callgraph", self.out("missing.prof"), "-o", self.out("x.png"))
        self.assertEqual(r.returncode, 66)
        r = run("callgraph", PROF, "-o", self.out("x.png"), "--format", "gif")
        self.assertEqual(r.returncode, 2)
        r = run("callgraph", PROF, "-o", self.out("x.png"), "-n", "200")
        self.assertEqual(r.returncode, 2)
        r = run("callgraph", PROF, "-o", self.out("x.png"), "--max-nodes", "0")
        self.assertEqual(r.returncode, 2)
        r = run("callgraph", PROF, "-o", os.path.join(self.tmp.name, "no", "dir", "x.png"))
        self.assertEqual(r.returncode, 73)
        self.assertFalse(os.path.exists(self.out("x.png")))
        bad = self.out("garbage.prof")
        with open(bad, "wb") as f:
            f.write(b"{\x00\x00\x00garbage")
        r = run("callgraph", bad, "-o", self.out("y.png"), "--from", "prof")
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertEqual(len(r.stderr.decode(errors="replace").strip().splitlines()), 1)
        self.assertFalse(os.path.exists(self.out("y.png")))


HOSTILE = ["<b>bold</b>", "a & b", "</svg><script>alert(1)</script>", "esc\x1b[31mred\x07",
           "nul\x00byte", "\u202etxt.exe", "bad\udcff\udcfeutf8", "x" * 70000 + "<end>"]


class CallgraphHostileNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        # A cProfile file written the way pstats.dump_stats writes it
        # (marshal of {(file, line, name): (cc, nc, tt, ct, callers)}).
        stats, root = {}, ("main.py", 1, "main")
        callers_of_root = {}
        stats[root] = (1, 1, 0.01, 1.0, callers_of_root)
        for i, name in enumerate(HOSTILE):
            key = ("we<ird>&.py", 10 + i, name)
            stats[key] = (3, 3, 0.12, 0.12, {root: (3, 3, 0.12, 0.12)})
        stats[HOSTILE_REC] = (50, 1, 0.02, 0.02, {HOSTILE_REC: (49, 0, 0.0, 0.0), root: (1, 1, 0.02, 0.02)})
        cls.prof = os.path.join(cls.tmp.name, "hostile.prof")
        with open(cls.prof, "wb") as f:
            f.write(marshal.dumps(stats))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_format(self):
        for ext in ("png", "svg", "pdf", "dot"):
            out = os.path.join(self.tmp.name, "h." + ext)
            r = run("callgraph", self.prof, "-o", out, "--title", "t<i>&\x1b")
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
            self.assertEqual(r.stderr, b"", "no Pango/graphviz warning expected")
            with open(out, "rb") as f:
                data = f.read()
            if ext == "svg":
                ET.fromstring(data)
                self.assertNotIn(b"<script", data)
            elif ext == "png":
                w, h = png_size(data)
                self.assertTrue(0 < w <= 32767 and 0 < h <= 32767)
            elif ext == "dot":
                text = data.decode("utf-8")  # valid UTF-8 despite the input
                _, nodes, edges = parse_dot(text)
                names = [a["kiln_name"] for a in nodes.values()]
                self.assertIn("<b>bold</b>", names)      # kept literally, as data
                self.assertIn("esc\\x1b[31mred\\x07", names)  # control bytes escaped
                self.assertTrue(any(n.endswith("\u2026") for n in names))  # 70 KB name cut
                self.assertTrue(any(t == h for t, h, _ in edges))  # the recursion loop

    def test_unit_svg_is_well_formed(self):
        path = os.environ.get("KILN_HOSTILE_SVG")
        if not path or not os.path.exists(path):
            self.skipTest("KILN_HOSTILE_SVG not written (run through ctest)")
        ET.parse(path)


HOSTILE_REC = ("rec.py", 5, "rec<&>")

if __name__ == "__main__":
    unittest.main(verbosity=2)
