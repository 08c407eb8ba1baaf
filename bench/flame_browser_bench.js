// Opens a kiln flame page in headless Chromium and measures time to first
// paint, zoom and search (in-page: handler start -> next animation frame +
// a task, i.e. the JS plus the frame's style/layout). Prints JSON.
// Usage: node flame_browser_bench.js PAGE.html  (NODE_PATH with playwright-core)
'use strict';
const path = require('path');
const { launch, open } = require(path.join(__dirname, '../tests/flame/browser.js'));

(async () => {
  const file = path.resolve(process.argv[2]);
  const { ctx, close } = await launch();
  const opens = [];
  let page, problems;
  for (let k = 0; k < 3; k++) {
    if (page) await page.close();
    const t0 = Date.now();
    ({ page, problems } = await open(ctx, file));
    const wall = Date.now() - t0;
    const fp = await page.evaluate(() => kiln.firstPaintAbs);
    opens.push({ wall, firstPaint: fp });
  }
  const settle = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const zooms = await page.evaluate(async (settleSrc) => {
    const settle2 = eval(settleSrc);
    // Zoom into the ten widest frames at depth 3..6, then back out.
    const v = kiln.views()[0];
    const out = [];
    const ids = [];
    for (let i = 1; i < v.n && ids.length < 10; i++) { const d = kiln.nodeInfo(i).depth; if (d >= 3 && d <= 8 && kiln.nodeInfo(i).total > v.total * 0.01) ids.push(i); }
    for (const i of ids) {
      let t0 = performance.now(); kiln.zoom(i); await settle2(); out.push(performance.now() - t0);
      t0 = performance.now(); kiln.zoom(0); await settle2(); out.push(performance.now() - t0);
    }
    return out;
  }, settle.toString());
  const searches = await page.evaluate(async (settleSrc) => {
    const settle2 = eval(settleSrc);
    const box = document.getElementById('search');
    const out = [];
    for (const q of ['malloc', '^_?Py', 'free|alloc', 'a', 'zzz_nomatch', '']) {
      const t0 = performance.now();
      box.value = q; box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
      await settle2(); out.push(performance.now() - t0);
    }
    return out;
  }, settle.toString());
  const info = await page.evaluate(() => kiln.views()[0]);
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  console.log(JSON.stringify({
    nodes: info.n,
    open_wall_ms: med(opens.map((o) => o.wall)),
    first_paint_ms: med(opens.map((o) => o.firstPaint)),
    zoom_ms_median: med(zooms), zoom_ms_max: Math.max(...zooms),
    search_ms_median: med(searches), search_ms_max: Math.max(...searches),
    problems,
  }));
  await close();
})().catch((e) => { console.error(e); process.exit(1); });
