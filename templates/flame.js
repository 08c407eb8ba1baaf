// kiln flame graph viewer. Plain ES2020, no dependencies, no network.
// The data arrives deflated and base64-encoded in the JSON block
// #kiln-data; names are only ever shown with textContent or fillText.
// This file must never contain the two characters "<" "/" in a row.
'use strict';
(function () {
  const ROW = 18;          // row height, CSS px
  const FONT_PX = 12;
  const MIN_PX = 0.4;      // frames narrower than this are merged when drawn
  const KINDS = ['unknown', 'native', 'Python', 'built-in', 'kernel', 'JIT', 'inlined', 'process'];
  const $ = (id) => document.getElementById(id);
  const T0 = performance.now();

  // ---------------------------------------------------------------- data
  function b64bytes(s) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(s);
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  async function inflate(bytes) {
    const ds = new DecompressionStream('deflate');
    const stream = new Blob([bytes]).stream().pipeThrough(ds);
    return new Response(stream).arrayBuffer();
  }

  // Parses the blob (layout in render/flame_data.h) into the main tree.
  function parseBlob(buf) {
    const h = new Uint32Array(buf, 0, 16);
    if (h[0] !== 0x314c464b || h[1] !== 1) throw new Error('unsupported data');
    const nstr = h[2], strBytes = h[3], nf = h[4], n = h[5], flags = h[6];
    let off = 64;
    const al8 = () => { off = (off + 7) & ~7; };
    const u32 = (count) => { const a = new Uint32Array(buf, off, count); off += 4 * count; return a; };
    const f64 = (count) => { al8(); const a = new Float64Array(buf, off, count); off += 8 * count; return a; };
    const strOff = u32(nstr + 1); al8();
    const bytes = new Uint8Array(buf, off, strBytes); off += strBytes; al8();
    const fName = u32(nf), fFile = u32(nf), fModule = u32(nf), fLine = u32(nf), fKind = u32(nf), fMark = u32(nf);
    const fCalls = f64(nf);
    const depth = u32(n), nframe = u32(n);
    const self = f64(n);
    const base = (flags & 1) ? f64(n) : null;
    const calls = (flags & 2) ? f64(n) : null;
    let timeline = null;
    if (flags & 4) {
      const m = h[7];
      const t0 = f64(1)[0];
      const dt = u32(m), leaf = u32(m);
      const value = new Float32Array(buf, off, m); off += 4 * m;
      timeline = { n: m, t0, dt, leaf, value };
    }
    const dec = new TextDecoder();
    const cache = new Array(nstr);
    // Pure ASCII tables (the common case) decode in one call; byte offsets
    // are then character offsets.
    const all = dec.decode(bytes);
    if (all.length === strBytes) for (let i = 0; i < nstr; i++) cache[i] = all.slice(strOff[i], strOff[i + 1]);
    const str = (i) => {
      let s = cache[i];
      if (s === undefined) s = cache[i] = dec.decode(bytes.subarray(strOff[i], strOff[i + 1]));
      return s;
    };
    const frames = { n: nf, name: fName, file: fFile, module: fModule, line: fLine, kind: fKind, mark: fMark, calls: fCalls, str };
    // Parent of each pre-order node: the nearest earlier node one level up.
    const parent = new Int32Array(n);
    const frame = new Int32Array(n);
    const stack = [];
    parent[0] = -1; frame[0] = -1;
    for (let i = 0; i < n; i++) {
      const d = depth[i];
      stack.length = d;
      if (i > 0) { parent[i] = d > 0 ? stack[d - 1] : 0; frame[i] = nframe[i] >= nf ? -1 : nframe[i]; }
      stack.push(i);
    }
    return { frames, tree: makeTree(parent, frame, clean(self), base && clean(base), calls, true), timeline };
  }

  function clean(a) {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) { const v = a[i]; out[i] = v > 0 && v < Infinity ? v : 0; }
    return out;
  }

  // A tree: parent[i] < i for every node but the root 0. Totals, depths,
  // subtree heights and child lists are derived here.
  function makeTree(parent, frame, self, base, calls, preorder) {
    const n = parent.length;
    const total = Float64Array.from(self);
    const btotal = base ? Float64Array.from(base) : null;
    const depth = new Int32Array(n), height = new Int32Array(n);
    const nchild = new Int32Array(n + 1);
    for (let i = 1; i < n; i++) { depth[i] = depth[parent[i]] + 1; nchild[parent[i] + 1]++; }
    for (let i = n - 1; i > 0; i--) {
      const p = parent[i];
      total[p] += total[i];
      if (btotal) btotal[p] += btotal[i];
      if (height[i] + 1 > height[p]) height[p] = height[i] + 1;
    }
    const cstart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) cstart[i + 1] = cstart[i] + nchild[i + 1];
    const fill = cstart.slice(0, n);
    const kids = new Int32Array(Math.max(0, n - 1));
    for (let i = 1; i < n; i++) kids[fill[parent[i]]++] = i;
    let maxDepth = 0;
    for (let i = 0; i < n; i++) if (depth[i] > maxDepth) maxDepth = depth[i];
    return { n, parent, frame, self, base, calls, total, btotal, depth, height, cstart, kids,
      maxDepth, preorder, w: null, x: null, orderKey: '' };
  }

  // Mutable tree builder for the sandwich views.
  function builder(withBase) {
    const parent = [-1], frame = [-1], self = [0], base = withBase ? [0] : null;
    const index = new Map();
    return {
      child(p, f) {
        const key = p * 16777259 + f;
        let c = index.get(key);
        if (c === undefined) {
          c = parent.length; parent.push(p); frame.push(f); self.push(0); if (base) base.push(0);
          index.set(key, c);
        }
        return c;
      },
      add(i, v, b) { self[i] += v; if (base) base[i] += b; },
      done() {
        return makeTree(Int32Array.from(parent), Int32Array.from(frame), Float64Array.from(self),
          base ? Float64Array.from(base) : null, null, false);
      },
    };
  }

  // The time-ordered flame chart: one node per run of consecutive samples
  // that share a frame at a depth (under the same run above it), children
  // in time order, so the view draws stacks left to right as they were
  // sampled. Widths are the samples' values. start/end: sample indexes.
  function buildChart(tl, t) {
    const parent = [-1], frame = [-1], self = [0], first = [0], last = [tl.n];
    const open = [0], openMain = [0], path = [];
    for (let s = 0; s < tl.n; s++) {
      path.length = 0;
      for (let m = tl.leaf[s]; m > 0 && m < t.n; m = t.parent[m]) path.push(m);
      const L = path.length;
      let d = 1;
      while (d <= L && d < openMain.length && openMain[d] === path[L - d]) d++;
      for (let k = d; k < open.length; k++) last[open[k]] = s;
      open.length = d; openMain.length = d;
      for (; d <= L; d++) {
        const m = path[L - d], c = parent.length;
        parent.push(open[d - 1]); frame.push(t.frame[m]); self.push(0); first.push(s); last.push(tl.n);
        open.push(c); openMain.push(m);
      }
      self[open[L]] += tl.value[s];
    }
    const tree = makeTree(Int32Array.from(parent), Int32Array.from(frame), Float64Array.from(self), null, null, false);
    tree.timeOrder = true;
    // seconds since the first sample, per sample index (n = the end)
    const at = new Float64Array(tl.n + 1);
    for (let s = 1; s < tl.n; s++) at[s] = at[s - 1] + tl.dt[s] / 1e6;
    at[tl.n] = tl.n ? at[tl.n - 1] : 0;
    tree.span = (i) => [at[first[i]], at[Math.min(last[i], tl.n)]];
    return tree;
  }

  // ---------------------------------------------------------------- state
  let meta, frames, main, timeline = null, chart = null, chartView = null;
  let nameRank = null;            // frame -> rank of its name in sorted order
  const st = { z: 0, sel: -1, s: '', c: false, v: 'flame', o: 'alpha', m: 'name', d: 'diff', f: -1 };
  let match = null;               // Uint8Array per frame, or null when no search
  let colorCache = null;
  let views = [];

  function fname(f) { return f < 0 ? 'all' : frames.str(frames.name[f]); }

  function fmtValue(v) {
    const u = meta.unit;
    const trim = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
    if (u === 'nanoseconds' || u === 'seconds') {
      let s = u === 'seconds' ? v : v / 1e9;
      if (s >= 1) return trim(s) + ' s';
      if (s >= 1e-3) return trim(s * 1e3) + ' ms';
      if (s >= 1e-6) return trim(s * 1e6) + ' \u00b5s';
      return s === 0 ? '0 s' : trim(s * 1e9) + ' ns';
    }
    if (u === 'bytes') {
      const k = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      while (v >= 1024 && i < k.length - 1) { v /= 1024; i++; }
      return (i ? trim(v) : v.toFixed(0)) + ' ' + k[i];
    }
    const r = Math.abs(v) >= 1e15 ? v.toExponential(3) : (Math.round(v * 1000) / 1000).toLocaleString('en-US');
    return r + (meta.type && meta.type !== 'count' ? ' ' + meta.type : '');
  }
  const pct = (a, b) => (b > 0 ? (100 * a / b) : 0).toFixed(2) + '%';

  // ------------------------------------------------------- widths & order
  // The value each node's width stands for, by diff side.
  function widths(t) {
    const key = meta.diff ? st.d : 'new';
    if (t.w && t.wkey === key) return t.w;
    let w;
    if (!meta.diff || key === 'new') w = t.total;
    else if (key === 'base') w = t.btotal;
    else {
      // Union: each node's own share is the larger of its two shares, and a
      // parent is as wide as its own share plus its children, so the
      // layout stays nested.
      const T = meta.total || 1, B = meta.baseTotal || 1, n = t.n;
      w = new Float64Array(n);
      for (let i = 0; i < n; i++) w[i] = Math.max(t.self[i] / T, t.base[i] / B);
      for (let i = n - 1; i > 0; i--) w[t.parent[i]] += w[i];
    }
    t.w = w; t.wkey = key; t.orderKey = '';
    return w;
  }

  function ensureRank() {
    if (nameRank) return;
    const idx = new Array(frames.n);
    for (let i = 0; i < frames.n; i++) idx[i] = i;
    const names = idx.map(fname);
    idx.sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b));
    nameRank = new Int32Array(frames.n);
    idx.forEach((f, r) => { nameRank[f] = r; });
  }

  // Sorts every child list and computes x (left edge) of every node.
  function layout(t) {
    const w = widths(t);
    const key = st.o + '/' + t.wkey;
    if (t.orderKey === key) return;
    const { cstart, kids, frame, n } = t;
    let cmp = null;
    if (st.o === 'heavy') cmp = (a, b) => (w[b] - w[a]) || (a - b);
    else { ensureRank(); cmp = (a, b) => (nameRank[frame[a]] - nameRank[frame[b]]) || (a - b); }
    // the flame chart keeps its children in time order
    if (!t.timeOrder) for (let i = 0; i < n; i++) {
      const s = cstart[i], e = cstart[i + 1];
      if (e - s > 1) kids.subarray(s, e).sort(cmp);
    }
    const x = t.x || (t.x = new Float64Array(n));
    x[0] = 0;
    for (let p = 0; p < n; p++) {
      let acc = x[p];
      for (let k = cstart[p]; k < cstart[p + 1]; k++) { const c = kids[k]; x[c] = acc; acc += w[c]; }
    }
    t.orderKey = key;
  }

  // --------------------------------------------------------------- colours
  function hash32(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return h >>> 0;
  }
  const KIND_HUE = [35, 18, 130, 270, 205, 55, 28, 0];

  function frameColor(f) {
    if (f < 0) return '#c9c6c0';
    if (!colorCache) colorCache = new Array(frames.n);
    let c = colorCache[f];
    if (c) return c;
    const h = hash32(fname(f));
    const v1 = (h & 0xff) / 255, v2 = ((h >>> 8) & 0xff) / 255;
    if (st.m === 'kind') {
      const k = frames.kind[f] | 0;
      c = 'hsl(' + (KIND_HUE[k] || 0) + ',' + (k ? 62 : 12) + '%,' + (58 + 16 * v1).toFixed(1) + '%)';
    } else if (st.m === 'module') {
      const m = frames.str(frames.module[f]) || frames.str(frames.file[f]);
      const hm = hash32(m);
      c = 'hsl(' + (m ? hm % 360 : 0) + ',' + (m ? 55 : 0) + '%,' + (60 + 14 * v1).toFixed(1) + '%)';
    } else {
      // flamegraph.pl's warm palette, seeded by the name.
      c = 'rgb(' + (205 + 50 * v2 | 0) + ',' + (230 * v1 | 0) + ',' + (55 * v2 | 0) + ')';
    }
    colorCache[f] = c;
    return c;
  }

  // Red when a frame's share of the total grew, blue when it shrank.
  function diffColor(t, i) {
    const T = meta.total || 1, B = meta.baseTotal || 1;
    const nv = t.total[i] / T, bv = t.btotal[i] / B;
    if (t.btotal[i] === 0 && t.total[i] > 0) return 'rgb(214,39,40)';
    if (t.total[i] === 0 && t.btotal[i] > 0) return 'rgb(31,86,199)';
    const d = nv - bv;
    const a = Math.min(1, Math.abs(d) / (t.maxDelta || 1));
    if (a < 0.02) return 'rgb(236,234,230)';
    const mix = (x, y) => Math.round(x + (y - x) * (0.15 + 0.85 * a));
    return d > 0 ? 'rgb(' + mix(245, 214) + ',' + mix(232, 39) + ',' + mix(228, 40) + ')'
                 : 'rgb(' + mix(232, 31) + ',' + mix(236, 86) + ',' + mix(245, 199) + ')';
  }

  function maxDelta(t) {
    if (t.maxDelta !== undefined) return;
    const T = meta.total || 1, B = meta.baseTotal || 1;
    let m = 0;
    for (let i = 1; i < t.n; i++) {
      if (t.total[i] === 0 || t.btotal[i] === 0) continue;
      const d = Math.abs(t.total[i] / T - t.btotal[i] / B);
      if (d > m) m = d;
    }
    t.maxDelta = m || 1;
  }

  // ------------------------------------------------------------ the view
  // One canvas over a virtual scroll area. orient: 'flame' (root at the
  // bottom) or 'icicle' (root at the top).
  class FlameView {
    constructor(host, tree, orient, onZoom) {
      this.host = host;
      this.tree = tree;
      this.orient = orient;
      this.z = 0;
      this.onZoom = onZoom;
      host.textContent = '';
      this.scroller = document.createElement('div');
      this.scroller.className = 'scroller';
      this.canvas = document.createElement('canvas');
      this.canvas.tabIndex = 0;
      this.canvas.setAttribute('aria-label', 'flame graph');
      this.spacer = document.createElement('div');
      this.scroller.append(this.canvas, this.spacer);
      host.append(this.scroller);
      this.ctx = this.canvas.getContext('2d', { alpha: false });
      this.charW = 7;
      this.hover = -1;
      this.scroller.addEventListener('scroll', () => this.draw(), { passive: true });
      this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
      this.canvas.addEventListener('mouseleave', () => { this.hover = -1; hideTip(); this.draw(); });
      this.canvas.addEventListener('click', (e) => {
        const i = this.hitAt(e);
        if (i >= 0) { st.sel = i; this.zoom(i, true); }
      });
      this.canvas.addEventListener('dblclick', (e) => {
        const i = this.hitAt(e);
        if (i > 0 && this.tree.frame[i] >= 0) openSandwich(this.tree.frame[i]);
      });
      this.ro = new ResizeObserver(() => { this.sized = false; this.draw(); });
      this.ro.observe(this.scroller);
    }

    rows() { return this.tree.maxDepth + 1; }

    size() {
      const s = this.scroller;
      const cssW = Math.max(50, s.clientWidth);
      const full = this.rows() * ROW + 4;
      const cssH = Math.max(ROW, Math.min(s.clientHeight, full));
      const dpr = window.devicePixelRatio || 1;
      if (this.cssW !== cssW || this.cssH !== cssH || this.dpr !== dpr) {
        this.cssW = cssW; this.cssH = cssH; this.dpr = dpr;
        this.canvas.width = Math.round(cssW * dpr);
        this.canvas.height = Math.round(cssH * dpr);
        this.canvas.style.width = cssW + 'px';
        this.canvas.style.height = cssH + 'px';
      }
      const sp = Math.max(0, Math.min(full, 3.3e7) - cssH);
      if (this.spacerH !== sp) { this.spacerH = sp; this.spacer.style.height = sp + 'px'; }
      this.ctx.font = FONT_PX + 'px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
      this.charW = this.ctx.measureText('MMMMMMMMMM').width / 10 || 7;
      this.sized = true;
    }

    // Content y (CSS px from the top of the scroll area) of a depth.
    rowY(d) { return this.orient === 'icicle' ? d * ROW : (this.rows() - 1 - d) * ROW + 4; }

    depthAtY(y) {
      const d = this.orient === 'icicle' ? Math.floor(y / ROW) : this.rows() - 1 - Math.floor((y - 4) / ROW);
      return d;
    }

    scrollToDepth(d, where) {
      const y = this.rowY(d);
      const s = this.scroller, h = this.cssH || s.clientHeight;
      if (where === 'ensure') {
        if (y >= s.scrollTop && y + ROW <= s.scrollTop + h) return;
      }
      s.scrollTop = this.orient === 'icicle' ? Math.max(0, y - ROW * 2) : Math.max(0, y + ROW * 3 - h);
    }

    zoom(i, user) {
      this.z = i;
      this.draw();
      if (this.onZoom) this.onZoom(i, user);
    }

    draw() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.paint(); });
    }

    paint() {
      const t0 = performance.now();
      if (!window.kiln.firstPaint) window.kiln.timings.beforeFirstPaint = t0 - T0;
      if (!this.host.offsetParent && this.host.getClientRects().length === 0) return;
      if (!this.sized) this.size();
      const t = this.tree, ctx = this.ctx, dpr = this.dpr;
      layout(t);
      if (meta.diff) maxDelta(t);
      const w = t.w, x = t.x, z = this.z;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = '#fbfbfa';
      ctx.fillRect(0, 0, this.cssW, this.cssH);
      if (!(w[0] > 0)) {
        ctx.fillStyle = '#777';
        ctx.fillText('no samples', 12, 20);
        return;
      }
      const W = this.cssW, top = this.scroller.scrollTop, H = this.cssH;
      const X0 = x[z], span = w[z] || 1, scale = W / span;
      const dz = t.depth[z];
      // Visible depth range.
      let dA = this.depthAtY(top), dB = this.depthAtY(top + H);
      if (dA > dB) { const q = dA; dA = dB; dB = q; }
      dA -= 1; dB += 1;
      ctx.textBaseline = 'middle';
      const cw = this.charW;
      const sel = st.sel;
      let drawn = 0;
      const box = (i, px, pw, d, faded) => {
        const y = this.rowY(d) - top;
        const f = t.frame[i];
        let fill = meta.diff ? diffColor(t, i) : frameColor(f);
        if (match && f >= 0 && match[f]) fill = '#d54ee0';
        ctx.globalAlpha = faded ? 0.55 : 1;
        ctx.fillStyle = fill;
        const gw = pw > 2 ? pw - 1 : pw;
        ctx.fillRect(px, y, gw, ROW - 1);
        const mk = f >= 0 ? frames.mark[f] : 0;
        if (mk && gw > 3) {
          // Analysis marks: a band along the frame's lower edge, kept below
          // the label so underscores in names stay visible.
          ctx.fillStyle = mk & 1 ? '#7a0019' : '#17408b';
          ctx.fillRect(px, y + ROW - 3, gw, 2);
        }
        if (i === sel || i === this.hover) {
          ctx.strokeStyle = i === sel ? '#111' : '#444';
          ctx.lineWidth = i === sel ? 2 : 1;
          ctx.strokeRect(px + 0.5, y + 0.5, Math.max(1, gw - 1), ROW - 2);
        }
        if (gw > cw * 3 + 6) {
          const name = fname(f);
          const fit = Math.floor((gw - 6) / cw);
          const label = name.length > fit ? name.slice(0, fit - 1) + '\u2026' : name;
          ctx.fillStyle = '#000';
          ctx.fillText(label, px + 3, y + ROW / 2 - 1);
        }
        ctx.globalAlpha = 1;
        drawn++;
      };
      // Ancestors of the zoomed frame span the full width, faded.
      for (let a = t.parent[z]; a >= 0; a = t.parent[a]) {
        const d = t.depth[a];
        if (d >= dA && d <= dB) box(a, 0, W, d, true);
      }
      // The zoomed subtree, depth first, left to right; narrow frames are
      // merged per row into runs that also cover their subtrees' heights.
      const runs = [];
      const flush = (d) => {
        const r = runs[d];
        if (!r) return;
        // One block from this row over the deepest merged subtree.
        ctx.fillStyle = '#b9b4ab';
        const d0 = Math.max(d, dA), d1 = Math.min(d + r.h, dB);
        if (d0 <= d1) {
          const ya = this.rowY(d0) - top, yb = this.rowY(d1) - top;
          const y = Math.min(ya, yb), h = Math.abs(yb - ya) + ROW - 1;
          ctx.fillRect(r.x0, y, Math.max(0.6, r.x1 - r.x0), h);
        }
        runs[d] = null;
      };
      const stack = [z];
      const cs = t.cstart, kids = t.kids;
      while (stack.length) {
        const i = stack.pop();
        const d = t.depth[i];
        const px = (x[i] - X0) * scale, pw = w[i] * scale;
        if (px > W || px + pw < 0) continue;
        if (pw < MIN_PX && i !== z) {
          const r = runs[d];
          if (r && px <= r.x1 + 0.5) { if (px + pw > r.x1) r.x1 = px + pw; if (t.height[i] > r.h) r.h = t.height[i]; }
          else { flush(d); runs[d] = { x0: px, x1: px + pw, h: t.height[i] }; }
          continue;
        }
        if (d > dB) continue; // children are deeper still
        if (d >= dA && d <= dB) box(i, px, pw, d, false);
        for (let k = cs[i + 1] - 1; k >= cs[i]; k--) stack.push(kids[k]);
      }
      for (let d = 0; d < runs.length; d++) flush(d);
      this.lastPaintMs = performance.now() - t0;
      this.drawn = drawn;
      if (!window.kiln.firstPaint) {
        window.kiln.firstPaint = performance.now() - T0;
        window.kiln.firstPaintAbs = performance.now(); // from navigation start
        document.body.setAttribute('data-rendered', String(main.n));
      }
    }

    // The node under a mouse event, or -1.
    hitAt(e) {
      const r = this.canvas.getBoundingClientRect();
      return this.nodeAt(e.clientX - r.left, e.clientY - r.top);
    }

    nodeAt(cx, cy) {
      const t = this.tree;
      if (!t.x) return -1;
      const d = this.depthAtY(cy + this.scroller.scrollTop);
      if (this.rowY(d) - this.scroller.scrollTop + ROW - 1 <= cy) return -1;
      if (d < 0 || d > t.maxDepth) return -1;
      const z = this.z, w = t.w, x = t.x;
      if (d < t.depth[z]) { let a = z; while (t.depth[a] > d) a = t.parent[a]; return a; }
      const X = x[z] + cx / this.cssW * w[z];
      let i = z;
      if (X < x[z] || X > x[z] + w[z]) return -1;
      while (t.depth[i] < d) {
        let lo = t.cstart[i], hi = t.cstart[i + 1] - 1, found = -1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1, c = t.kids[mid];
          if (X < x[c]) hi = mid - 1;
          else if (X >= x[c] + w[c]) lo = mid + 1;
          else { found = c; break; }
        }
        if (found < 0) return -1;
        i = found;
      }
      return i;
    }

    // CSS rect (page coordinates) of node i if drawn, for tests and focus.
    rectOf(i) {
      const t = this.tree;
      layout(t);
      const r = this.canvas.getBoundingClientRect();
      const z = this.z, scale = this.cssW / (t.w[z] || 1);
      const inZoom = this.isUnder(i, z);
      const px = inZoom ? (t.x[i] - t.x[z]) * scale : 0, pw = inZoom ? t.w[i] * scale : this.cssW;
      const y = this.rowY(t.depth[i]) - this.scroller.scrollTop;
      return { x: r.left + px, y: r.top + y, w: pw, h: ROW - 1 };
    }

    isUnder(i, a) { while (i > a) i = this.tree.parent[i]; return i === a; }

    onMove(e) {
      const i = this.hitAt(e);
      if (i !== this.hover) { this.hover = i; this.draw(); }
      if (i < 0) { hideTip(); return; }
      showTip(this.tree, i, e.clientX, e.clientY, this.z);
    }
  }

  // ------------------------------------------------------------- tooltip
  function describe(t, i, z) {
    const f = t.frame[i];
    const rows = [];
    if (f >= 0) {
      const file = frames.str(frames.file[f]), line = frames.line[f], mod = frames.str(frames.module[f]);
      if (file) rows.push(['file', file + (line ? ':' + line : '')]);
      if (mod) rows.push(['module', mod]);
      if (frames.kind[f]) rows.push(['kind', KINDS[frames.kind[f]] || '?']);
      const mk = frames.mark[f];
      if (mk & 1) rows.push(['analysis', 'slow leaf: most of its time is its own']);
      if (mk & 2) rows.push(['analysis', 'busy junction: large total, time spread over callees']);
    }
    if (meta.diff) {
      const T = meta.total, B = meta.baseTotal;
      const nv = t.total[i], bv = t.btotal[i];
      rows.push([meta.newLabel, fmtValue(nv) + ' (' + pct(nv, T) + ')']);
      rows.push([meta.baseLabel, fmtValue(bv) + ' (' + pct(bv, B) + ')']);
      const dd = (T > 0 ? nv / T : 0) - (B > 0 ? bv / B : 0);
      const tag = bv === 0 && nv > 0 ? ' only in ' + meta.newLabel : nv === 0 && bv > 0 ? ' only in ' + meta.baseLabel : '';
      rows.push(['change', (dd >= 0 ? '+' : '') + (100 * dd).toFixed(2) + ' pp of total' + tag, dd > 0 ? 'up' : dd < 0 ? 'down' : '']);
      rows.push(['self', fmtValue(t.self[i]) + ' new, ' + fmtValue(t.base[i]) + ' base']);
    } else {
      const T = t.total[0];
      rows.push(['total', fmtValue(t.total[i]) + ' (' + pct(t.total[i], T) + (z > 0 ? ', ' + pct(t.total[i], t.total[z]) + ' of zoom' : '') + ')']);
      rows.push(['self', fmtValue(t.self[i]) + ' (' + pct(t.self[i], T) + ')']);
      if (t.span) { const [a, b] = t.span(i); rows.push(['time', a.toFixed(3) + ' s \u2013 ' + b.toFixed(3) + ' s after the first sample']); }
    }
    let calls = t.calls ? t.calls[i] : 0;
    if (!calls && f >= 0 && frames.calls[f]) rows.push(['calls', frames.calls[f].toLocaleString('en-US') + ' (all contexts)']);
    else if (calls) rows.push(['calls', calls.toLocaleString('en-US')]);
    return rows;
  }

  function showTip(t, i, cx, cy, z) {
    const tip = $('tip');
    tip.textContent = '';
    const nm = document.createElement('div');
    nm.className = 'name';
    nm.textContent = fname(t.frame[i]);
    tip.append(nm);
    for (const [k, v, cls] of describe(t, i, z)) {
      const row = document.createElement('div');
      row.className = 'row' + (cls ? ' ' + cls : '');
      const ks = document.createElement('span');
      ks.className = 'k';
      ks.textContent = k;
      row.append(ks, document.createTextNode(v));
      tip.append(row);
    }
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    let left = cx + 14, topp = cy + 16;
    if (left + r.width > innerWidth - 4) left = Math.max(4, cx - r.width - 14);
    if (topp + r.height > innerHeight - 4) topp = Math.max(4, cy - r.height - 12);
    tip.style.left = left + 'px';
    tip.style.top = topp + 'px';
    const det = describe(t, i, z).map((r2) => r2[0] + ' ' + r2[1]).join('  \u00b7  ');
    $('details').textContent = fname(t.frame[i]) + '  \u00b7  ' + det;
  }
  function hideTip() { $('tip').hidden = true; }

  // --------------------------------------------------------------- search
  function applySearch() {
    const t0 = performance.now();
    try { doSearch(); } finally { window.kiln.timings.search = performance.now() - t0; }
  }
  function doSearch() {
    const box = $('search');
    box.classList.remove('bad');
    match = null;
    if (!st.s) { $('matched').textContent = ''; return; }
    let re;
    try { re = new RegExp(st.s, st.c ? '' : 'i'); } catch (e) { box.classList.add('bad'); $('matched').textContent = 'bad regex'; return; }
    match = new Uint8Array(frames.n);
    let any = 0;
    for (let f = 0; f < frames.n; f++) if (re.test(fname(f))) { match[f] = 1; any++; }
    // Overlapping (recursive) matches count once: only a match with no
    // matching ancestor adds its total.
    const t = main, n = t.n, inm = new Uint8Array(n);
    let sum = 0, bsum = 0;
    for (let i = 1; i < n; i++) {
      const p = t.parent[i];
      const f = t.frame[i];
      if (inm[p]) { inm[i] = 1; continue; }
      if (f >= 0 && match[f]) { inm[i] = 1; sum += t.total[i]; if (t.btotal) bsum += t.btotal[i]; }
    }
    let txt = 'matched ' + pct(sum, t.total[0]);
    if (meta.diff) txt += ' (' + meta.baseLabel + ' ' + pct(bsum, t.btotal[0]) + ')';
    $('matched').textContent = any ? txt : 'no match';
    window.kiln.matched = t.total[0] > 0 ? sum / t.total[0] : 0;
  }

  // ---------------------------------------------------------- breadcrumbs
  function crumbs() {
    const nav = $('crumbs');
    nav.textContent = '';
    const v = views[0];
    if (!v || st.v === 'table') return;
    const t = v.tree;
    const path = [];
    for (let a = v.z; a >= 0; a = t.parent[a]) path.push(a);
    path.reverse();
    const MAXC = 12;
    path.forEach((a, k) => {
      if (path.length > MAXC && k > 2 && k < path.length - (MAXC - 4)) {
        if (k === 3) { const s = document.createElement('span'); s.className = 'sep'; s.textContent = '\u2026 \u203a'; nav.append(s); }
        return;
      }
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = a === 0 ? (st.v === 'sandwich' ? fname(t.frame[0]) : 'all') : fname(t.frame[a]);
      if (a === 0 && st.v === 'sandwich') b.textContent = fname(swFrame());
      b.title = b.textContent;
      b.addEventListener('click', () => { st.sel = a; v.zoom(a, true); });
      nav.append(b);
      if (k < path.length - 1) { const s = document.createElement('span'); s.className = 'sep'; s.textContent = '\u203a'; nav.append(s); }
    });
  }

  // ------------------------------------------------------------- sandwich
  function swFrame() { return st.f; }

  function outermost(f) {
    // Nodes with frame f and no ancestor with frame f.
    const t = main, n = t.n, inside = new Uint8Array(n), out = [];
    for (let i = 1; i < n; i++) {
      if (inside[t.parent[i]]) { inside[i] = 1; continue; }
      if (t.frame[i] === f) { inside[i] = 1; out.push(i); }
    }
    return out;
  }

  function buildSandwich(f) {
    const t = main, occ = outermost(f), withBase = !!t.base;
    const up = builder(withBase), down = builder(withBase);
    up.frame0 = down.frame0 = f;
    for (const i of occ) {
      // Callers: the path to the root, reversed, carrying the total.
      let cur = 0;
      for (let a = t.parent[i]; a > 0; a = t.parent[a]) cur = up.child(cur, t.frame[a]);
      up.add(cur, t.total[i], withBase ? t.btotal[i] : 0);
      // Callees: the subtree merged under one root. In pre-order the
      // subtree is the run of following nodes that are deeper.
      const map = new Map([[i, 0]]);
      down.add(0, t.self[i], withBase ? t.base[i] : 0);
      const d0 = t.depth[i];
      if (t.preorder) {
        for (let j = i + 1; j < t.n && t.depth[j] > d0; j++) {
          const c = down.child(map.get(t.parent[j]), t.frame[j]);
          map.set(j, c);
          down.add(c, t.self[j], withBase ? t.base[j] : 0);
        }
      }
    }
    const a = up.done(), b = down.done();
    a.frame[0] = f; b.frame[0] = f;
    return { callers: a, callees: b, count: occ.length };
  }

  function openSandwich(f) {
    st.f = f;
    setView('sandwich');
  }

  // --------------------------------------------------------------- table
  let tableSort = 'self';
  function funcStats() {
    if (funcStats.cache) return funcStats.cache;
    const t = main, n = t.n, nf = frames.n;
    const self = new Float64Array(nf), total = new Float64Array(nf), calls = new Float64Array(nf);
    const bself = t.base ? new Float64Array(nf) : null, btotal = t.base ? new Float64Array(nf) : null;
    // Pre-order walk with the frames on the current path counted, so a
    // recursive function's total counts each sample once.
    const on = new Int32Array(nf), path = [];
    for (let i = 1; i < n; i++) {
      const d = t.depth[i];
      while (path.length >= d) { const q = t.frame[path.pop()]; if (q >= 0) on[q]--; }
      const f = t.frame[i];
      if (f < 0) { path.push(i); continue; }
      self[f] += t.self[i];
      if (bself) bself[f] += t.base[i];
      if (t.calls) calls[f] += t.calls[i];
      if (on[f] === 0) { total[f] += t.total[i]; if (btotal) btotal[f] += t.btotal[i]; }
      on[f]++;
      path.push(i);
    }
    for (let f = 0; f < nf; f++) if (frames.calls[f]) calls[f] = frames.calls[f];
    return (funcStats.cache = { self, total, calls, bself, btotal });
  }

  function renderTable() {
    const fs = funcStats(), T = main.total[0];
    const ids = [];
    for (let f = 0; f < frames.n; f++) if (fs.total[f] > 0 || fs.self[f] > 0 || (fs.btotal && fs.btotal[f] > 0)) ids.push(f);
    const k = tableSort;
    const val = {
      name: (f) => fname(f), file: (f) => frames.str(frames.file[f]),
      self: (f) => fs.self[f], selfp: (f) => fs.self[f], total: (f) => fs.total[f], totalp: (f) => fs.total[f],
      calls: (f) => fs.calls[f],
    }[k] || ((f) => fs.self[f]);
    if (k === 'name' || k === 'file') ids.sort((a, b) => (val(a) < val(b) ? -1 : val(a) > val(b) ? 1 : a - b));
    else ids.sort((a, b) => (val(b) - val(a)) || (a - b));
    for (const th of document.querySelectorAll('#table th')) th.classList.toggle('sorted', th.dataset.k === k);
    const body = $('tbody');
    body.textContent = '';
    const LIMIT = 1000;
    const frag = document.createDocumentFragment();
    for (const f of ids.slice(0, LIMIT)) {
      const tr = document.createElement('tr');
      if (match && match[f]) tr.className = 'hit';
      const file = frames.str(frames.file[f]);
      const cells = [fname(f), file ? file + (frames.line[f] ? ':' + frames.line[f] : '') : '',
        fmtValue(fs.self[f]), pct(fs.self[f], T), fmtValue(fs.total[f]), pct(fs.total[f], T),
        fs.calls[f] ? fs.calls[f].toLocaleString('en-US') : '\u2013'];
      cells.forEach((c, j) => {
        const td = document.createElement('td');
        td.textContent = c;
        if (j >= 2) td.className = 'num';
        if (j === 0) td.title = c;
        tr.append(td);
      });
      tr.dataset.f = String(f);
      tr.addEventListener('click', () => openSandwich(f));
      frag.append(tr);
    }
    body.append(frag);
    $('tablenote').textContent = ids.length > LIMIT ? (ids.length - LIMIT) + ' more functions not listed (sort by another column to see them)' :
      ids.length + ' functions; click one for its sandwich view (callers above, callees below)';
  }

  // ----------------------------------------------------------- view state
  function setView(v) {
    st.v = v;
    $('view').value = v;
    hideTip();
    const g = $('graph'), sw = $('sandwich'), tb = $('table'), ch = $('chart');
    g.hidden = !(v === 'flame' || v === 'icicle');
    ch.hidden = v !== 'chart';
    $('order').disabled = v === 'chart';   // the chart is in time order
    sw.hidden = v !== 'sandwich';
    tb.hidden = v !== 'table';
    views = [];
    if (v === 'flame' || v === 'icicle') {
      if (!mainView) mainView = new FlameView(g, main, v, onMainZoom);
      const changed = mainView.orient !== v;
      mainView.orient = v;
      mainView.z = st.z < main.n ? st.z : 0;
      views = [mainView];
      mainView.sized = false;
      if (changed || !mainView.placed) { mainView.size(); mainView.scrollToDepth(main.depth[mainView.z]); mainView.placed = true; }
      mainView.draw();
    } else if (v === 'chart') {
      if (!chart) { const t1 = performance.now(); chart = buildChart(timeline, main); window.kiln.timings.chart = performance.now() - t1; }
      if (!chartView) chartView = new FlameView(ch, chart, 'icicle', () => { crumbs(); });
      views = [chartView];
      chartView.sized = false;
      chartView.size();
      chartView.draw();
    } else if (v === 'sandwich') {
      if (st.f < 0 || st.f >= frames.n) {
        // Default to the function with the largest self value.
        const fs = funcStats();
        let best = 0;
        for (let f = 1; f < frames.n; f++) if (fs.self[f] > fs.self[best]) best = f;
        st.f = best;
      }
      const s = buildSandwich(st.f);
      $('swcallers').textContent = 'callers of ' + fname(st.f) + ' (' + s.count + ' outermost call sites; merged over all contexts)';
      $('swcallees').textContent = 'callees of ' + fname(st.f);
      const top = new FlameView($('swtop'), s.callers, 'flame', () => crumbs());
      const bot = new FlameView($('swbottom'), s.callees, 'icicle', () => crumbs());
      views = [top, bot];
      top.size(); top.scrollToDepth(0);
      top.draw(); bot.draw();
    } else {
      renderTable();
    }
    crumbs();
    saveHash();
  }

  let mainView = null;
  function onMainZoom(i, user) {
    st.z = i;
    if (user) mainView.scrollToDepth(main.depth[i], 'ensure');
    crumbs();
    saveHash();
  }

  function redrawAll() { for (const v of views) v.draw(); if (st.v === 'table') renderTable(); }

  function saveHash() {
    const p = new URLSearchParams();
    if (st.z) p.set('z', String(st.z));
    if (st.s) p.set('s', st.s);
    if (st.c) p.set('c', '1');
    if (st.v !== 'flame') p.set('v', st.v);
    if (st.o !== 'alpha') p.set('o', st.o);
    if (st.m !== 'name') p.set('m', st.m);
    if (meta.diff && st.d !== 'diff') p.set('d', st.d);
    if (st.v === 'sandwich' && st.f >= 0) p.set('f', String(st.f));
    const h = p.toString();
    const url = location.href.split('#')[0] + (h ? '#' + h : '');
    if (url !== location.href) {
      try { history.replaceState(null, '', url); } catch (e) { lastHash = '#' + h; location.hash = h; }
    }
    lastHash = location.hash;
  }
  let lastHash = '';

  function loadHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    const num = (k, d) => { const v = parseInt(p.get(k) || '', 10); return Number.isFinite(v) && v >= 0 ? v : d; };
    st.z = num('z', 0); if (st.z >= main.n) st.z = 0;
    st.s = p.get('s') || '';
    st.c = p.get('c') === '1';
    const v = p.get('v');
    st.v = ['flame', 'icicle', 'sandwich', 'table'].includes(v) || (v === 'chart' && timeline) ? v : (meta.inverted ? 'icicle' : 'flame');
    st.o = p.get('o') === 'heavy' || (!p.has('o') && meta.heavy) ? 'heavy' : 'alpha';
    const m = p.get('m');
    st.m = ['name', 'kind', 'module'].includes(m) ? m : 'name';
    const d = p.get('d');
    st.d = meta.diff && ['diff', 'new', 'base'].includes(d) ? d : 'diff';
    st.f = num('f', -1);
    st.sel = -1;
    $('search').value = st.s;
    $('case').checked = st.c;
    $('order').value = st.o;
    $('color').value = st.m;
    $('side').value = st.d;
  }

  // ------------------------------------------------------------ keyboard
  function moveSel(dir) {
    const v = views[0];
    if (!v || views.length !== 1) return;
    const t = v.tree;
    let i = st.sel >= 0 && st.sel < t.n ? st.sel : v.z;
    if (st.sel < 0) { st.sel = i; v.draw(); return; }
    layout(t);
    const toward = (v.orient === 'icicle') === (dir === 'down') ? 'child' : 'parent';
    if (dir === 'up' || dir === 'down') {
      if (toward === 'parent') { if (t.parent[i] >= 0) i = t.parent[i]; }
      else {
        // The widest child.
        let best = -1;
        for (let k = t.cstart[i]; k < t.cstart[i + 1]; k++) { const c = t.kids[k]; if (best < 0 || t.w[c] > t.w[best]) best = c; }
        if (best >= 0) i = best;
      }
    } else {
      const p = t.parent[i];
      if (p >= 0) {
        let k = t.cstart[p];
        while (t.kids[k] !== i) k++;
        k += dir === 'left' ? -1 : 1;
        if (k >= t.cstart[p] && k < t.cstart[p + 1]) i = t.kids[k];
      }
    }
    if (!v.isUnder(i, v.z) && i !== v.z) v.z = i; // stepping above the zoom re-zooms
    st.sel = i;
    v.scrollToDepth(t.depth[i], 'ensure');
    const r = v.rectOf(i);
    showTip(t, i, r.x + Math.min(r.w / 2, 40), r.y, v.z);
    v.draw();
  }

  function onKey(e) {
    const inText = e.target && (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT');
    if (e.key === '/' && !inText) { e.preventDefault(); $('search').focus(); $('search').select(); return; }
    if (e.key === 'Escape') {
      if (inText) { e.target.blur(); return; }
      hideTip();
      const v = views[0];
      if (v && v.z !== 0) { st.sel = 0; v.zoom(0, true); }
      else if (st.s) { st.s = ''; $('search').value = ''; applySearch(); redrawAll(); saveHash(); }
      return;
    }
    if (inText) return;
    const dir = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' }[e.key];
    if (dir) { e.preventDefault(); moveSel(dir); return; }
    if (e.key === 'Enter' && views.length === 1 && st.sel >= 0) { e.preventDefault(); views[0].zoom(st.sel, true); return; }
  }

  // --------------------------------------------------------------- setup
  function wire() {
    let timer = 0;
    $('search').addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { st.s = $('search').value; applySearch(); redrawAll(); saveHash(); }, 60);
    });
    $('search').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { clearTimeout(timer); st.s = $('search').value; applySearch(); redrawAll(); saveHash(); }
    });
    $('case').addEventListener('change', () => { st.c = $('case').checked; applySearch(); redrawAll(); saveHash(); });
    $('view').addEventListener('change', () => setView($('view').value));
    $('order').addEventListener('change', () => { st.o = $('order').value; redrawAll(); saveHash(); });
    $('color').addEventListener('change', () => { st.m = $('color').value; colorCache = null; redrawAll(); saveHash(); });
    $('side').addEventListener('change', () => { st.d = $('side').value; redrawAll(); crumbs(); saveHash(); });
    $('reset').addEventListener('click', () => { const v = views[0]; if (v) { st.sel = 0; v.zoom(0, true); } });
    for (const th of document.querySelectorAll('#table th')) th.addEventListener('click', () => { tableSort = th.dataset.k; renderTable(); });
    document.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', () => {
      if (location.hash === lastHash) return;
      loadHash(); applySearch(); colorCache = null; setView(st.v);
    });
  }

  async function start() {
    const tm = window.kiln.timings, t0 = performance.now();
    meta = JSON.parse($('kiln-data').textContent);
    const bytes = b64bytes(meta.blob);
    tm.json = performance.now() - t0;
    const buf = await inflate(bytes);
    tm.inflate = performance.now() - t0;
    meta.blob = null;
    const parsed = parseBlob(buf);
    tm.tree = performance.now() - t0;
    frames = parsed.frames;
    main = parsed.tree;
    timeline = parsed.timeline;
    if (!timeline) $('view').querySelector('[value=chart]').remove();
    $('title').textContent = meta.title;
    $('subtitle').textContent = meta.subtitle || '';
    let tot = 'total ' + fmtValue(main.total[0]) + ' \u00b7 ' + main.n.toLocaleString('en-US') + ' frames';
    if (meta.diff) tot = meta.newLabel + ' ' + fmtValue(meta.total) + ' vs ' + meta.baseLabel + ' ' + fmtValue(meta.baseTotal) +
      ' \u00b7 red: larger share in ' + meta.newLabel + ', blue: smaller';
    let marks = 0;
    for (let f = 0; f < frames.n; f++) marks |= frames.mark[f];
    if (marks) tot += ' \u00b7 bands: dark red = slow leaf, dark blue = busy junction';
    $('totals').textContent = tot;
    $('side').hidden = !meta.diff;
    if (meta.diff) { $('side').querySelector('[value=new]').textContent = meta.newLabel; $('side').querySelector('[value=base]').textContent = meta.baseLabel; }
    loadHash();
    wire();
    applySearch();
    setView(st.v);
    if (!document.body.hasAttribute('data-rendered')) document.body.setAttribute('data-rendered', String(main.n));
    window.kiln.ready = true;
  }

  // A small surface for tests and the benchmark.
  window.kiln = {
    ready: false, firstPaint: 0, matched: 0, timings: {},
    state: () => Object.assign({}, st),
    // The widest node of the main tree with this name, or -1.
    find: (name) => { let b = -1; for (let i = 1; i < main.n; i++) if (fname(main.frame[i]) === name && (b < 0 || main.total[i] + (main.btotal ? main.btotal[i] : 0) > main.total[b] + (main.btotal ? main.btotal[b] : 0))) b = i; return b; },
    rectOf: (i, k) => views[k || 0].rectOf(i),
    nodeAt: (x, y, k) => views[k || 0].nodeAt(x, y),
    views: () => views.map((v) => ({ z: v.z, n: v.tree.n, rootName: fname(v.tree.frame[0]), drawn: v.drawn, paintMs: v.lastPaintMs,
      total: v.tree.total[0], orient: v.orient })),
    zoom: (i) => { st.sel = i; views[0].zoom(i, true); },
    nodeInfo: (i, k) => {
      const t = views[k || 0].tree, path = [];
      for (let a = i; a > 0; a = t.parent[a]) path.unshift(fname(t.frame[a]));
      return { name: fname(t.frame[i]), total: t.total[i], self: t.self[i], depth: t.depth[i], base: t.btotal ? t.btotal[i] : null, path };
    },
    color: (i, k) => { const t = views[k || 0].tree; return meta.diff ? diffColor(t, i) : frameColor(t.frame[i]); },
    edgeLeaf: (k, right) => { const t = views[k || 0].tree; layout(t); let i = 0; while (t.cstart[i + 1] > t.cstart[i]) i = t.kids[right ? t.cstart[i + 1] - 1 : t.cstart[i]]; return i; },
    span: (i, k) => { const t = views[k || 0].tree; return t.span ? t.span(i) : null; },
    childrenNames: (i, k) => { const t = views[k || 0].tree; layout(t); const out = []; for (let c = t.cstart[i]; c < t.cstart[i + 1]; c++) out.push(fname(t.frame[t.kids[c]])); return out; },
  };

  start().catch((e) => {
    const m = $('main');
    m.textContent = '';
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = 'Could not open the flame graph data: ' + (e && e.message ? e.message : String(e));
    m.append(p);
    document.body.setAttribute('data-error', String(e && e.message));
  });
})();
