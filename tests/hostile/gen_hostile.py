#!/usr/bin/env python3
"""Profiles whose function names are hostile, in every input format kiln reads.

    gen_hostile.py OUTDIR KILN   writes hostile.folded, hostile.perf,
                                 hostile.prof (the real cProfile, code objects
                                 renamed), hostile.kiln (kiln convert) and
                                 names.json (the names, as latin-1 text)

Every name carries a unique ASCII prefix "HN<k>_" and suffix "_EN<k>" so a
checker can tell whether a name stayed in one piece (one table cell, one
line); file names use HF<k>_ (they are cut). Payloads that would run script set an attribute data-pwned<k> on
<body>; the browser test looks for them."""
import json
import os
import subprocess
import sys


def pwn(k):
    return "document.body.setAttribute('data-pwned%d','1')" % k


# raw payloads (bytes; some are not valid UTF-8 on purpose)
PAYLOADS = [
    ("script", ("</script><script>%s</script>" % pwn(1)).encode()),
    ("img", ('<img src=x onerror="%s">' % pwn(2)).encode()),
    ("svg", ('<svg><animate onbegin="%s" attributeName=x dur=1s>' % pwn(3)).encode()),
    ("attr", ("\"'><img src=x onerror=%s>" % pwn(4)).encode()),
    ("comment", ("<!--<script>%s</script>-->" % pwn(5)).encode()),
    ("mdlink", ("[click](javascript:%s) <https://evil.example/> www.evil.example" % pwn(6)).encode()),
    ("pipes", b"a|b||c \\| d"),
    ("backticks", b"``` `code` ``x``"),
    ("newline", b"line1\nline2\r\nline3\rline4"),
    ("ansi", b"\x1b[31mred\x1b[0m \x1b]0;owned title\x07 \x1b[2J"),
    ("c0", b"nul\x00bel\x07bs\x08del\x7f"),
    ("badutf8", b"\xff\xfe \xc0\xaf \xed\xa0\x80 \xe2\x82"),
    ("bidi", "abc\u202edcba\u2066x\u2069 \u200bzw \u2028ls".encode()),
    ("proto", b"__proto__"),
    ("ctor", b"constructor"),
    ("template", b"${alert(1)} {{7*7}} %s %n"),
    ("markdown", b"# head\n- item\n> quote *em* _u_ ~~s~~ <div>"),
    ("long", b"L" * 70000),
]


def names():
    """[(label, bytes)]: every payload wrapped in its markers."""
    out = []
    for k, (label, raw) in enumerate(PAYLOADS):
        out.append((label, b"HN%d_" % k + raw + b"_EN%d" % k))
    return out


def folded_name(raw):
    """Folded stacks split on ';' and lines: keep those out of frame names."""
    return raw.replace(b";", b":").replace(b"\n", b" ").replace(b"\r", b" ").replace(b"\x00", b"?")


def write_folded(path, ns):
    with open(path, "wb") as f:
        for k, (_, raw) in enumerate(ns):
            f.write(b"main;" + folded_name(raw) + b" %d\n" % (10 + k))
            f.write(b"main;" + folded_name(raw) + b";leaf_%d %d\n" % (k, 5 + k))


def write_perf(path, ns):
    with open(path, "wb") as f:
        for k, (_, raw) in enumerate(ns):
            sym = folded_name(raw)
            for rep in range(1 + k % 3):
                f.write(b"prog 1234 %d.%06d: 1000 cycles:u: \n" % (1 + k, rep))
                f.write(b"\t%12x %s+0x10 (/usr/bin/prog)\n" % (0x1000 + k, sym))
                f.write(b"\t%12x main+0x20 (/usr/bin/prog)\n\n" % 0x900)


CPROFILE = r"""
import cProfile, json, sys
names = [bytes.fromhex(h).decode('utf-8', 'surrogateescape') for h in json.load(open(sys.argv[1]))]
def make(name, k):
    def f(n):
        s = 0
        for i in range(n):
            s += i * i
        return s
    f.__code__ = f.__code__.replace(co_name=name, co_filename='/src/' + name.replace('HN', 'HF', 1)[:40] + '.py')
    return f
fns = [make(n, k) for k, n in enumerate(names)]
def main():
    for k, f in enumerate(fns):
        f(2000 * (k + 1))
cProfile.run('main()', sys.argv[2])
"""


def write_prof(path, ns, tmpdir):
    hexes = os.path.join(tmpdir, "names.hex.json")
    with open(hexes, "w") as f:
        json.dump([raw.hex() for _, raw in ns], f)
    subprocess.run([sys.executable, "-c", CPROFILE, hexes, path], check=True, timeout=120)


def generate(outdir, kiln):
    os.makedirs(outdir, exist_ok=True)
    ns = names()
    files = {}
    files["folded"] = os.path.join(outdir, "hostile.folded")
    write_folded(files["folded"], ns)
    files["perf"] = os.path.join(outdir, "hostile.perf")
    write_perf(files["perf"], ns)
    files["prof"] = os.path.join(outdir, "hostile.prof")
    write_prof(files["prof"], ns, outdir)
    files["kiln"] = os.path.join(outdir, "hostile.kiln")
    subprocess.run([kiln, "convert", files["prof"], "-o", files["kiln"]], check=True, timeout=120,
                   capture_output=True)
    with open(os.path.join(outdir, "names.json"), "w") as f:
        json.dump([[label, raw.decode("latin-1")] for label, raw in ns], f)
    return files


if __name__ == "__main__":
    print(json.dumps(generate(sys.argv[1], sys.argv[2])))
