"""Symbolization against real binaries and real tools.

A PIE program (-g -O2, an always-inlined static function), a C++ shared
library (template method) and a library without debug info whose symbols are
Rust-mangled are compiled here and run once; they print the raw addresses a
sampling collector records and their executable mappings. symtool (built with
the tests) turns those into a profile through the profile.h API and
symbolizes it. Ground truth: binutils' addr2line -f -i -C (names, inline
chains, files), addr2line at the function's entry (first line), c++filt
(Rust names), readelf (build-ids, program headers), and node's own
--perf-basic-prof map for JIT code.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
SYMTOOL = os.environ.get("SYMTOOL")
KILN = os.environ.get("KILN")
TARGET = os.path.join(SRC, "tests", "symbolize", "target")
TOOLS = ["gcc", "g++", "addr2line", "readelf", "objcopy", "nm", "c++filt"]


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def build_id(path):
    m = re.search(r"Build ID: ([0-9a-f]+)", run("readelf", "-n", path))
    return m.group(1) if m else "-"


def loads(path):
    """(p_offset, p_vaddr, p_filesz) of each PT_LOAD."""
    out = []
    for line in run("readelf", "-lW", path).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            out.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    return out


def vaddr(path, maps, addr):
    """The ELF virtual address of a runtime address (via its mapping)."""
    for start, end, off, p in maps:
        if p == path and start <= addr < end:
            for po, pv, fs in loads(path):
                if po & ~4095 <= off < po + fs:
                    return addr - start + off - po + pv
    raise AssertionError("no mapping for %x" % addr)


def addr2line(path, va):
    """[(function, file, line)] innermost first."""
    out = run("addr2line", "-f", "-i", "-C", "-e", path, hex(va)).splitlines()
    res = []
    for i in range(0, len(out) - 1, 2):
        file, _, line = out[i + 1].rpartition(":")
        line = re.sub(r"\s.*", "", line)
        res.append((out[i], file, int(line) if line.isdigit() else 0))
    return res


def marker_line(src, marker):
    with open(src) as f:
        for i, line in enumerate(f, 1):
            if marker in line:
                return i
    raise AssertionError(marker)


def parse_dump(text):
    nodes, totals, in_totals, meta = [], {}, {}, {}
    for line in text.splitlines():
        f = line.split("\t")
        if f[0] == "node":
            nodes.append(dict(depth=int(f[1]), kind=f[2], name=f[3], file=f[4], line=int(f[5]),
                              module=f[6], address=int(f[7], 16), self=float(f[8]),
                              calls=int(f[9])))
        elif f[0] == "total":
            totals[int(f[1])] = float(f[2])
        elif f[0] == "in_total":
            in_totals[int(f[1])] = float(f[2])
        elif f[0] == "meta":
            meta[f[1]] = f[2]
    return nodes, totals, in_totals, meta


def paths_to_leaves(nodes):
    """Every node's chain of nodes from the root (pre-order dump)."""
    stack, chains = [], []
    for n in nodes:
        del stack[n["depth"] - 1:]
        stack.append(n)
        chains.append(list(stack))
    return chains


@unittest.skipUnless(SYMTOOL, "SYMTOOL not set (run through ctest)")
class RealBinaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [t for t in TOOLS if not shutil.which(t)]
        if missing:
            raise unittest.SkipTest("missing tools: %s" % " ".join(missing))
        cls.tmp = tempfile.mkdtemp(prefix="kiln-sym-")
        t = cls.tmp
        run("g++", "-g", "-O2", "-fPIC", "-shared", "-o", os.path.join(t, "libsymcpp.so"),
            os.path.join(TARGET, "libsymcpp.cpp"))
        run("gcc", "-O2", "-fPIC", "-shared", "-o", os.path.join(t, "libsymrust.so"),
            os.path.join(TARGET, "libsymrust.c"))
        cls.prog = os.path.join(t, "prog")
        run("gcc", "-g", "-O2", "-fPIE", "-pie", "-o", cls.prog, os.path.join(TARGET, "prog.c"),
            "-L" + t, "-lsymcpp", "-lsymrust", "-Wl,-rpath," + t)
        out = run(cls.prog)
        cls.pcs, cls.maps = {}, []
        for line in out.splitlines():
            f = line.split()
            if f[0] == "pc":
                cls.pcs[f[1]] = int(f[2], 16)
            elif f[0] == "maps":
                lo, hi = f[1].split("-")
                path = f[6] if len(f) > 6 else ""
                cls.maps.append((int(lo, 16), int(hi, 16), int(f[3], 16), path))
        p = cls.pcs
        cls.stacks = [  # (value, calls, pcs outermost first)
            (10, 0, [p["in_main"], p["inlined_helper"]]),
            (20, 3, [p["in_main"], p["in_work"]]),
            (5, 0, [p["in_main"], p["entry_work"]]),
            (7, 0, [p["in_main"], p["lib_entry"], p["cpp_add"]]),
            (3, 0, [p["in_main"], p["rust_legacy"]]),
            (2, 0, [p["in_main"], p["rust_v0"]]),
            (1, 0, [0xdead0000dead]),
        ]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def spec(self, name, path_for=None, build_ids=True, stacks=None, extra=""):
        lines = ["type samples count", "meta command prog"]
        for start, end, off, path in self.maps:
            bid = build_id(path) if build_ids and path.startswith("/") else "-"
            if path_for:
                path = path_for.get(path, path)
            lines.append("map %x %x %x %s %s" % (start, end, off, bid, path))
        for value, calls, pcs in stacks or self.stacks:
            lines.append("stack %g %d %s" % (value, calls, " ".join("%x" % a for a in pcs)))
        spec = os.path.join(self.tmp, name)
        with open(spec, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)
        return spec

    def symbolize(self, spec, *opts):
        r = subprocess.run([SYMTOOL, "dump", *opts, spec], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse_dump(r.stdout)

    def chain_for(self, nodes, names_prefix):
        for chain in paths_to_leaves(nodes):
            if [n["name"] for n in chain[:len(names_prefix)]] == names_prefix:
                return chain
        self.fail("no chain %r in %r" % (names_prefix, [n["name"] for n in nodes]))

    def check_leaf_against_addr2line(self, nodes, key, module, callers=("main",)):
        """The chain below callers for pcs[key] equals addr2line's inline chain."""
        va = vaddr(module, self.maps, self.pcs[key])
        truth = list(reversed(addr2line(module, va)))  # outermost first
        k = len(callers)
        chains = [c for c in paths_to_leaves(nodes)
                  if len(c) == k + len(truth) and [n["name"] for n in c[:k]] == list(callers)
                  and [n["name"] for n in c[k:]] == [t[0] for t in truth]]
        self.assertTrue(chains, "addr2line %r not found in %r" %
                        (truth, [[n["name"] for n in c] for c in paths_to_leaves(nodes)]))
        got = chains[0][k:]
        for i, (node, (fn, file, _)) in enumerate(zip(got, truth)):
            self.assertEqual(node["module"], module)
            self.assertEqual(node["kind"], "native" if i == 0 else "inlined")
            # addr2line names the file of each frame's code line; for the
            # innermost that is the function's own file.
            if i == len(got) - 1:
                self.assertEqual(node["file"], file)
            else:
                self.assertEqual(os.path.basename(node["file"]), os.path.basename(file))
        return got

    def test_names_lines_inlines(self):
        nodes, totals, in_totals, meta = self.symbolize(self.spec("a.spec"))
        self.assertEqual(totals, in_totals)
        self.assertEqual(meta.get("command"), "prog")
        self.assertEqual(meta.get("symbolized"), "8 of 9 addresses")
        prog_c = os.path.join(TARGET, "prog.c")
        # Inlined helper inside work, as addr2line -i reports it.
        got = self.check_leaf_against_addr2line(nodes, "inlined_helper", self.prog)
        self.assertEqual([n["name"] for n in got], ["work", "helper"])
        self.assertEqual(got[1]["kind"], "inlined")
        self.assertEqual(got[1]["line"], marker_line(prog_c, "HELPER_DECL"))
        self.assertEqual(got[0]["line"], marker_line(prog_c, "WORK_DECL"))
        self.assertEqual(got[1]["self"], 10)
        # Plain work (two addresses: the call site and the entry) merges.
        got = self.check_leaf_against_addr2line(nodes, "in_work", self.prog)
        self.assertEqual(got[0]["self"], 25)
        self.assertEqual(got[0]["calls"], 3)
        # The frame is the function: its entry address is nm's, its line
        # the declaration's (the source marker; addr2line at the entry gives
        # the first line with code, at or after it), its file addr2line's.
        nm = {f[2]: int(f[0], 16) for f in (l.split() for l in run("nm", self.prog).splitlines())
              if len(f) == 3}
        for fn, marker in (("work", "WORK_DECL"), ("main", "MAIN_DECL")):
            node = next(n for n in nodes if n["name"] == fn)
            _, file, line = addr2line(self.prog, nm[fn])[-1]
            self.assertEqual(node["line"], marker_line(prog_c, marker), fn)
            self.assertTrue(node["line"] <= line < node["line"] + 10, (fn, line))
            self.assertEqual(node["file"], file)
            self.assertEqual(node["address"], nm[fn])
        # C++ in a shared library at its load bias, demangled like addr2line -C.
        lib = os.path.join(self.tmp, "libsymcpp.so")
        got = self.check_leaf_against_addr2line(nodes, "cpp_add", lib, ("main", "lib_entry"))
        add = next(n for n in nodes if "Acc" in n["name"])
        self.assertEqual(add["name"], "kiln_test::Acc<double>::add(double)")
        self.assertEqual(add["line"], marker_line(os.path.join(TARGET, "libsymcpp.cpp"), "ADD_DECL"))
        # Symbol-table-only library: Rust names as c++filt demangles them,
        # without the legacy hash and v0 crate disambiguator (rustc's own
        # {:#} display, and perf's).
        rlib = os.path.join(self.tmp, "libsymrust.so")
        syms = {int(f[0], 16): f[2] for f in (l.split() for l in run("nm", rlib).splitlines())
                if len(f) == 3 and f[1] in "tT"}
        for key in ("rust_legacy", "rust_v0"):
            va = vaddr(rlib, self.maps, self.pcs[key])
            sym = syms[max(a for a in syms if a <= va)]
            want = re.sub(r"::h[0-9a-f]{16}$|\[[0-9a-f]+\]", "", run("c++filt", sym).strip())
            node = next(n for n in nodes if n["name"] == want)
            self.assertEqual(node["module"], rlib)
            self.assertEqual(node["file"], "")
        self.assertIn("kiln_test::legacy", [n["name"] for n in nodes])
        # The unmapped address stays visible.
        unk = [n for n in nodes if n["name"] == "[unknown]+0xdead0000dead"]
        self.assertEqual(len(unk), 1)
        self.assertEqual(unk[0]["self"], 1)

    def test_no_inline_and_no_demangle(self):
        nodes, totals, in_totals, _ = self.symbolize(self.spec("b.spec"), "--no-inline",
                                                     "--no-demangle")
        self.assertEqual(totals, in_totals)
        self.assertNotIn("inlined", [n["kind"] for n in nodes])
        self.assertIn("_ZN9kiln_test3AccIdE3addEd", [n["name"] for n in nodes])
        work = [n for n in nodes if n["name"] == "work"]
        self.assertEqual(len(work), 1)
        self.assertEqual(work[0]["self"], 35)

    def test_debuglink_and_build_id_dirs(self):
        t = self.tmp
        dbg = os.path.join(t, "prog.debug")
        run("objcopy", "--only-keep-debug", self.prog, dbg)
        linked = os.path.join(t, "prog.linked")
        run("objcopy", "--strip-debug", "--add-gnu-debuglink=" + dbg, self.prog, linked)
        stripped = os.path.join(t, "prog.stripped")
        run("objcopy", "--strip-all", self.prog, stripped)
        full, *_ = self.symbolize(self.spec("c0.spec"))
        want = [(n["name"], n["line"]) for n in full if n["module"] == self.prog]

        def names(nodes, module):
            return [(n["name"], n["line"]) for n in nodes if n["module"] == module]
        # .gnu_debuglink next to the file.
        nodes, *_ = self.symbolize(self.spec("c1.spec", {self.prog: linked}))
        self.assertEqual(names(nodes, linked), want)
        # Fully stripped, no debug directory: names are gone, offsets stay.
        nodes, *_ = self.symbolize(self.spec("c2.spec", {self.prog: stripped}),
                                   "--debuginfo-path", os.path.join(t, "nodebug"))
        self.assertTrue(all(n["name"].startswith("prog.stripped+0x")
                            for n in nodes if n["module"] == stripped))
        # The debug file by build-id under a debug directory.
        bid = build_id(self.prog)
        d = os.path.join(t, "debugroot", ".build-id", bid[:2])
        os.makedirs(d, exist_ok=True)
        shutil.copy(dbg, os.path.join(d, bid[2:] + ".debug"))
        nodes, *_ = self.symbolize(self.spec("c3.spec", {self.prog: stripped}),
                                   "--debuginfo-path", os.path.join(t, "debugroot"))
        self.assertEqual(names(nodes, stripped), want)
        # A file rebuilt since recording (other build-id) is not trusted; the
        # recorded build-id still finds the right debug file.
        other = os.path.join(t, "prog.other")
        run("gcc", "-g", "-O0", "-fPIE", "-pie", "-o", other, os.path.join(TARGET, "prog.c"),
            "-L" + t, "-lsymcpp", "-lsymrust")
        self.assertNotEqual(build_id(other), bid)
        r = subprocess.run([SYMTOOL, "dump", "--debuginfo-path", os.path.join(t, "debugroot"),
                            self.spec("c4.spec", {self.prog: other})],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("differs from the recorded", r.stderr)
        got = [(n["name"], n["line"]) for n in parse_dump(r.stdout)[0]
               if n["name"] in ("main", "work", "helper")]
        self.assertEqual(sorted(set(got)), sorted(set(w for w in want if w[0] in
                                                      ("main", "work", "helper"))))

    def test_import_hook(self):
        kfile = os.path.join(self.tmp, "raw.kiln")
        run(SYMTOOL, "write", self.spec("d.spec"), kfile)
        direct, *_ = self.symbolize(self.spec("d.spec"))
        loaded = parse_dump(run(SYMTOOL, "load", kfile))[0]
        self.assertEqual([(n["name"], n["self"]) for n in loaded],
                         [(n["name"], n["self"]) for n in direct])
        raw = parse_dump(run(SYMTOOL, "load", "--no-symbolize", kfile))[0]
        self.assertTrue(all(n["name"] == "" for n in raw))
        if KILN:
            folded = run(KILN, "convert", "--to", "folded", kfile)
            self.assertIn("main;work;helper 10", folded.splitlines())
            # (folded output drops parameter lists, like stackcollapse-perf)
            self.assertIn("main;lib_entry;kiln_test::Acc<double>::add 7",
                          folded.splitlines())


@unittest.skipUnless(SYMTOOL, "SYMTOOL not set (run through ctest)")
class NodeJit(unittest.TestCase):
    def test_perf_basic_prof(self):
        node = shutil.which("node") or shutil.which("nodejs")
        if not node:
            self.skipTest("node is not installed")
        tmp = tempfile.mkdtemp(prefix="kiln-jit-")
        try:
            js = os.path.join(tmp, "hot.js")
            with open(js, "w") as f:
                f.write("function kilnHotFunction(n) { let s = 0;"
                        " for (let i = 0; i < n; i++) s = (s + i * i) % 1000003; return s; }\n"
                        "let t = 0; for (let k = 0; k < 200; k++) t += kilnHotFunction(20000);\n"
                        "console.log(process.pid, t);\n")
            pid = run(node, "--perf-basic-prof", js).split()[0]
            pmap = "/tmp/perf-%s.map" % pid
            self.assertTrue(os.path.exists(pmap), "node wrote no %s" % pmap)
            try:
                entries = []
                with open(pmap) as f:
                    for line in f:
                        start, size, name = line.rstrip("\n").split(" ", 2)
                        entries.append((int(start, 16), int(size, 16), name))
                hot = [e for e in entries if "kilnHotFunction" in e[2]]
                self.assertTrue(hot)
                start, size, name = hot[-1]
                # Latest entry covering the chosen address is the expected name.
                pc = start + size // 2
                covering = [e for e in entries if e[0] <= pc < e[0] + e[1]]
                want = covering[-1][2]
                spec = os.path.join(tmp, "jit.spec")
                with open(spec, "w") as f:
                    f.write("type samples count\nmeta pid %s\n"
                            "map %x %x 0 - \nstack 4 0 %x\nstack 1 0 %x\n"
                            % (pid, start & ~4095, (start + size + 4095) & ~4095, pc,
                               0x10))
                nodes, totals, in_totals, _ = parse_dump(run(SYMTOOL, "dump", spec))
                self.assertEqual(totals, in_totals)
                jit = [n for n in nodes if n["kind"] == "jit"]
                self.assertEqual(len(jit), 1, nodes)
                self.assertEqual(jit[0]["name"], want)
                self.assertIn("kilnHotFunction", jit[0]["name"])
                self.assertEqual(jit[0]["module"], pmap)
                self.assertEqual(jit[0]["self"], 4)
            finally:
                os.unlink(pmap)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
