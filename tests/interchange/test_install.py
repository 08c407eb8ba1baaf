"""`cmake --install` into a fresh prefix gives the binary, libkiln, headers,
kiln.pc, the CMake package, man pages and completions; a small external C
program (tests/install/example.c) builds against the prefix both with
`pkg-config --cflags --libs kiln` and with find_package(kiln), and reads a
.kiln file with the library (its totals equal `kiln convert --to folded`'s).
Env: KILN, KILN_SRC, KILN_BUILD. Owner: helper "interchange"."""
import os
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ["KILN_SRC"]
BUILD = os.environ["KILN_BUILD"]
KILN = os.environ["KILN"]
CC = shutil.which("cc") or shutil.which("gcc")


def run(*cmd, env=None, cwd=None):
    r = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), r.returncode,
                                                          r.stdout.decode(errors="replace")[-2000:],
                                                          r.stderr.decode(errors="replace")[-2000:]))
    return r.stdout.decode()


@unittest.skipUnless(CC and shutil.which("pkg-config"), "cc or pkg-config missing")
class InstallTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kiln-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        run("cmake", "--install", BUILD, "--prefix", cls.prefix)
        libdir = [d for d in ("lib", "lib64", "lib/x86_64-linux-gnu")
                  if os.path.exists(os.path.join(cls.prefix, d, "pkgconfig", "kiln.pc"))]
        cls.libdir = os.path.join(cls.prefix, libdir[0]) if libdir else None
        # a real .kiln to read: the perf fixture's stackcollapse folding
        cls.kfile = os.path.join(cls.tmp, "medium.kiln")
        run(KILN, "convert", "-o", cls.kfile, os.path.join(SRC, "fixtures/perf/medium.folded"))
        folded = run(KILN, "convert", "--to", "folded", cls.kfile)
        cls.total = sum(float(l.rpartition(" ")[2]) for l in folded.splitlines() if l.strip())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def test_layout(self):
        self.assertIsNotNone(self.libdir, "kiln.pc not installed")
        p = self.prefix
        for rel in ("bin/kiln", "include/kiln/profile.h", "include/kiln/import.h", "include/kiln/export.h",
                    "include/kiln/merge.h", "share/man/man1/kiln.1", "share/man/man1/kiln-merge.1",
                    "share/man/man1/kiln-convert.1", "share/bash-completion/completions/kiln",
                    "share/zsh/vendor-completions/_kiln"):
            self.assertTrue(os.path.exists(os.path.join(p, rel)), rel)
        for rel in ("libkiln.so", "cmake/kiln/kilnConfig.cmake", "cmake/kiln/kilnConfigVersion.cmake",
                    "cmake/kiln/kilnTargets.cmake"):
            self.assertTrue(os.path.exists(os.path.join(self.libdir, rel)), rel)
        # one man page per command `kiln --help` lists
        out = run(os.path.join(p, "bin/kiln"), "--help")
        cmds = [l.split()[0] for l in out.split("commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
        for c in cmds:
            self.assertTrue(os.path.exists(os.path.join(p, "share/man/man1/kiln-%s.1" % c)), c)
        # the page renders with man (groff)
        if shutil.which("man"):
            text = run("man", "-l", os.path.join(p, "share/man/man1/kiln-merge.1"),
                       env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
            self.assertIn("--scale", text)

    def check_example(self, exe):
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        out = run(exe, self.kfile, env=env)
        self.assertIn("format folded", out)  # .kiln keeps the source format
        lines = [l.split() for l in out.splitlines() if l.startswith("type ")]
        self.assertEqual(lines[0][1], "samples")
        self.assertEqual(float(lines[0][3]), self.total)

    def test_pkg_config(self):
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(self.libdir, "pkgconfig"))
        flags = run("pkg-config", "--cflags", "--libs", "kiln", env=env).split()
        incs = [os.path.normpath(f[2:]) for f in flags if f.startswith("-I")]
        self.assertIn(os.path.join(self.prefix, "include"), incs)
        exe = os.path.join(self.tmp, "example-pc")
        run(CC, "-o", exe, os.path.join(SRC, "tests/install/example.c"), *flags)
        self.check_example(exe)

    def test_find_package(self):
        b = os.path.join(self.tmp, "cmake-example")
        run("cmake", "-S", os.path.join(SRC, "tests/install"), "-B", b, "-DCMAKE_PREFIX_PATH=" + self.prefix)
        run("cmake", "--build", b)
        self.check_example(os.path.join(b, "example"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
