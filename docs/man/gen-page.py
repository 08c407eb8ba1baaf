#!/usr/bin/env python3
"""Writes the skeleton of docs/man/kiln-CMD.1.scd from `kiln CMD --help`.
Used once per new subcommand; the page is then edited by hand and
tests/interchange/test_cli_conventions.py keeps page and --help in sync.
Usage: docs/man/gen-page.py path/to/kiln CMD > docs/man/kiln-CMD.1.scd"""
import re
import subprocess
import sys


def esc(s):
    return re.sub(r"([*_\\])", r"\\\1", s)


def main():
    kiln, cmd = sys.argv[1], sys.argv[2]
    text = subprocess.run([kiln, cmd, "--help"], capture_output=True, check=True).stdout.decode()
    summary = ""
    for line in subprocess.run([kiln, "--help"], capture_output=True).stdout.decode().splitlines():
        m = re.match(r"^  (\S+)\s+(.*)$", line)
        if m and m.group(1) == cmd:
            summary = m.group(2)
    head, _, opts = text.partition("\noptions:\n")
    usage, _, desc = head.partition("\n\n")
    synopsis = []
    for u in usage.replace("usage: ", "", 1).strip().splitlines():
        rest = u.strip().split(" ", 2)
        synopsis.append("*kiln %s* %s" % (cmd, esc(rest[2] if len(rest) > 2 else "")))
    out = ["kiln-%s(1)" % cmd, "", "# NAME", "", "kiln-%s - %s" % (cmd, esc(summary)), "", "# SYNOPSIS", "",
           " ++\n".join(synopsis), "",
           "# DESCRIPTION", ""]
    for l in desc.strip().splitlines():
        l = esc(l.strip())
        if l[:1] in ("-", "`", "#", "+", ".", "|"):
            l = "\\" + l  # not a list item, literal block, heading or table
        out.append(l)
    out += ["", "# OPTIONS", ""]
    for line in opts.splitlines():
        m = re.match(r"^\s+(?:-(\w), )?--([\w-]+)(?: ([A-Z]\S*))?\s+(.*)$", line)
        if not m:
            if out and line.strip():
                out[-2] += " " + esc(line.strip())
            continue
        short, long_, arg, help_ = m.groups()
        names = ("*-%s*, " % short if short else "") + "*--%s*" % long_ + (" _%s_" % esc(arg) if arg else "")
        out += [names, "\t" + esc(help_), ""]
    out += ["# EXIT STATUS", "", "0 on success; see *kiln*(1) for every code.", "",
            "# SEE ALSO", "", "*kiln*(1)", ""]
    sys.stdout.write("\n".join(out))


main()
