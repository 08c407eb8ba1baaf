"""A small independent reader of .kiln files (docs/format.md) for the record
tests: strings, frames, maps, the tree and the per-node values. It follows
the spec, not kiln's C reader, so the two check each other."""
import struct
import zlib


def _varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


class Kiln:
    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        assert data[:8] == b"\x89KILN\r\n\x1a", "not a .kiln file"
        self.strings = [b""]
        self.frames = []      # (name, file, module, line, kind, address)
        self.maps = []        # (start, end, offset, path, build_id)
        self.parent = [None]  # node -> parent node
        self.node_frame = [None]
        self.values = {}      # node -> [v0, v1, ...]
        self.types = []
        self.meta = {}
        self.complete = False
        self.torn = False
        off = 16
        while off < len(data):
            if len(data) - off < 16:
                self.torn = True
                break
            typ, clen, ulen, crc = struct.unpack_from("<4sIII", data, off)
            payload = data[off + 16: off + 16 + clen]
            if len(payload) < clen or zlib.crc32(payload) != crc:
                self.torn = True
                break
            self._chunk(typ, zlib.decompress(payload))
            off += 16 + clen
            if typ == b"END ":
                self.complete = True
                break

    def _chunk(self, typ, b):
        i = 0
        n = len(b)
        if typ == b"META":
            while i < n:
                kl, i = _varint(b, i); k = b[i:i + kl].decode(); i += kl
                vl, i = _varint(b, i); v = b[i:i + vl].decode(errors="replace"); i += vl
                self.meta[k] = v
        elif typ == b"STYP":
            while i < n:
                kl, i = _varint(b, i); k = b[i:i + kl].decode(); i += kl
                vl, i = _varint(b, i); v = b[i:i + vl].decode(); i += vl
                self.types.append((k, v))
        elif typ == b"STRS":
            first, i = _varint(b, i)
            assert first == len(self.strings)
            while i < n:
                ln, i = _varint(b, i)
                self.strings.append(b[i:i + ln]); i += ln
        elif typ == b"FRMS":
            first, i = _varint(b, i)
            assert first == len(self.frames)
            while i < n:
                rec = []
                for _ in range(6):
                    v, i = _varint(b, i)
                    rec.append(v)
                self.frames.append(tuple(rec))
        elif typ == b"MAPS":
            while i < n:
                rec = []
                for _ in range(5):
                    v, i = _varint(b, i)
                    rec.append(v)
                s, e, o, p, bid = rec
                self.maps.append((s, e, o, self.strings[p].decode(), self.strings[bid].decode()))
        elif typ == b"NODE":
            first, i = _varint(b, i)
            assert first == len(self.parent)
            while i < n:
                d, i = _varint(b, i)
                f, i = _varint(b, i)
                nid = len(self.parent)
                self.parent.append(nid - d)
                self.node_frame.append(f)
        elif typ == b"SAMP":
            t = len(self.types)
            while i < n:
                node, i = _varint(b, i)
                vals = struct.unpack_from("<%dd" % t, b, i)
                i += 8 * t
                acc = self.values.setdefault(node, [0.0] * t)
                for k in range(t):
                    acc[k] += vals[k]

    def stack(self, node):
        """Addresses from the root to `node` (outermost first)."""
        out = []
        while node:
            out.append(self.frames[self.node_frame[node]][5])
            node = self.parent[node]
        return out[::-1]

    def samples(self, type_index=1):
        """(stack addresses outermost first, value) for every node with a value."""
        for node, vals in self.values.items():
            yield self.stack(node), vals[type_index]
