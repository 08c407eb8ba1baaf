"""Shared helpers of the demo and scaffold tests: the kiln binary, Debian's
python3 with pytest-benchmark, and a Markdown reader built on the real
cmark-gfm CLI (its XML AST), so report checks never grep raw Markdown."""
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

KILN = os.environ.get("KILN", "kiln")
KILN_SRC = os.environ.get("KILN_SRC", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
DEMO = os.path.join(KILN_SRC, "fixtures", "demo")
DEBIAN_PY = "/usr/bin/python3"
NS = "{http://commonmark.org/xml/1.0}"


def run(args, cwd=None, env=None, timeout=600):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def pytest_benchmark_missing():
    """Why Debian's pytest-benchmark cannot run here, or None."""
    if not os.path.exists(DEBIAN_PY):
        return "%s is absent" % DEBIAN_PY
    if run([DEBIAN_PY, "-c", "import pytest_benchmark"]).returncode != 0:
        return "python3-pytest-benchmark is not installed (scripts/install-deps.sh --test)"
    return None


def kiln_has_command(name):
    """True when `kiln NAME -h` works (another helper may not have landed it)."""
    proc = run([KILN, name, "-h"])
    return proc.returncode == 0, proc.stdout


def bench_env(**extra):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


# --- Markdown through cmark-gfm ---------------------------------------------

def _text(node):
    parts = []
    for el in node.iter():
        tag = el.tag.replace(NS, "")
        if tag in ("text", "code", "html_inline") and el.text:
            parts.append(el.text)
        elif tag in ("softbreak", "linebreak"):
            parts.append(" ")
    return "".join(parts)


class Block:
    """One block of the document in reading order: a heading (level), a
    paragraph, a list item's paragraph, or a table (header + rows of cell
    texts)."""

    def __init__(self, kind, text="", level=0, header=None, rows=None):
        self.kind, self.text, self.level = kind, text, level
        self.header, self.rows = header or [], rows or []

    def __repr__(self):
        return "Block(%s, %r)" % (self.kind, self.text[:60] if self.text else self.header)


def markdown_blocks(path):
    """Parses a Markdown file with `cmark-gfm -e table --to xml`."""
    proc = run(["cmark-gfm", "-e", "table", "--to", "xml", path])
    if proc.returncode != 0:
        raise AssertionError("cmark-gfm failed on %s: %s" % (path, proc.stderr))
    root = ET.fromstring(proc.stdout.encode())
    blocks = []

    def walk(node):
        for child in node:
            tag = child.tag.replace(NS, "")
            if tag == "heading":
                blocks.append(Block("heading", _text(child), int(child.get("level"))))
            elif tag == "paragraph":
                blocks.append(Block("paragraph", _text(child)))
            elif tag == "table":
                header, rows = [], []
                for row in child:
                    cells = [_text(c) for c in row]
                    if row.tag.replace(NS, "") == "table_header":
                        header = cells
                    else:
                        rows.append(cells)
                blocks.append(Block("table", " | ".join(header), header=header, rows=rows))
            elif tag == "code_block":
                blocks.append(Block("code", child.text or ""))
            else:
                walk(child)  # lists, items, block quotes

    walk(root)
    return blocks


def section(blocks, heading_re):
    """The blocks under the first heading matching heading_re, up to the
    next heading of the same or a higher level (None when absent)."""
    rx = re.compile(heading_re, re.I)
    for i, b in enumerate(blocks):
        if b.kind == "heading" and rx.search(b.text):
            out = []
            for c in blocks[i + 1:]:
                if c.kind == "heading" and c.level <= b.level:
                    break
                out.append(c)
            return out
    return None


def numbers(text):
    """Every number in text (thousands separators and units tolerated)."""
    return [float(m.replace(",", "")) for m in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]
