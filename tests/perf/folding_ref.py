"""An independent reference for folding `perf script` text, written in
Python from the documented rules of stackcollapse-perf.pl (FlameGraph) and
formats-interchange.md 1.2 -- used by the tests as the oracle that kiln's C
importer + folded exporter must agree with. Not shared code with kiln."""
import os
import re

TID = re.compile(r'(\S.*?)\s+(\d+(?:/\d+)?)(?=\s|$)')
TIME = re.compile(r'^\d+(\.\d+)?:$')


def frame_name(sym, dso):
    """stackcollapse-perf's spelling of one frame (None = left out)."""
    sym = re.sub(r'\+0x[0-9a-fA-F]+$', '', sym)
    if sym.startswith('('):
        return None
    if sym == '[unknown]' and dso != '[unknown]':
        sym = '[' + dso.rsplit('/', 1)[-1] + ']'
    sym = sym.replace(';', ':')
    if not re.search(r'\.\(.*\)\.', sym):
        sym = re.sub(r'\((?!anonymous namespace\)).*', '', sym)
    return sym.replace('"', '').replace("'", '')


def split_frame(rest):
    """'sym+0x1 (dso)' -> (sym, dso) by balancing the closing group."""
    rest = rest.rstrip()
    if not rest.endswith(')'):
        return None
    depth = 0
    for j in range(len(rest) - 1, -1, -1):
        if rest[j] == ')':
            depth += 1
        elif rest[j] == '(':
            depth -= 1
            if depth == 0:
                if j == 0 or rest[j - 1] != ' ':
                    return None
                dso = rest[j + 1:-1]
                if dso.endswith(' (deleted)'):
                    dso = dso[:-10]
                return rest[:j].rstrip(), dso
    return None


def fold(text, event=None, weight='period'):
    """Returns ({stack: count}, kept_event, skipped_samples).
    weight: 'period' (period, 1 when absent) or 'samples'."""
    out = {}
    skipped = 0
    cur = None

    def flush():
        nonlocal cur
        if cur is not None:
            pname, w, frames = cur
            names = [pname] + [f for f in reversed(frames) if f is not None]
            key = ';'.join(names)
            out[key] = out.get(key, 0) + w
        cur = None

    for line in text.split('\n'):
        line = line.rstrip('\r')
        if line.startswith('#'):
            continue
        if not line.strip():
            flush()
            continue
        if line[0] not in ' \t':
            flush()
            m = TID.match(line)
            if not m:
                continue
            toks = line[m.end():].split()
            ev = None
            period = None
            for t in toks:
                if t.startswith('[') and t.endswith(']'):
                    continue
                if TIME.match(t):
                    continue
                if t.isdigit():
                    period = int(t)
                    continue
                if t.endswith(':'):
                    ev = t[:-1]
                    break
            ev = ev or ''
            if event is None:
                event = ev
            if not (ev == event or ev.startswith(event + ':')):
                skipped += 1
                cur = None
                continue
            w = 1 if weight == 'samples' else (period if period is not None else 1)
            cur = (m.group(1).replace(' ', '_'), w, [])
            continue
        if cur is None:
            continue
        m = re.match(r'^\s+([0-9a-fA-F]+)\s+(.*)$', line)
        if not m:
            continue
        sd = split_frame(m.group(2))
        if sd is None:
            continue
        cur[2].append(frame_name(*sd))
    flush()
    return out, event, skipped


def parse_folded(text):
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rstrip().rpartition(' ')
        c = float(count)
        out[stack] = out.get(stack, 0) + c
    return out
