// Hostile names in real (Debian) Chromium: no script from a profile runs.
// gen_hostile.py makes profiles whose names would set data-pwned<k> on
// <body> if they ever executed (</script> breakout, <img onerror>,
// <svg><animate onbegin>, attribute breakout, <!--<script>, javascript:
// links). For each input format: kiln flame's page (loaded, then hovered
// all over, searched and zoomed, so names reach the tooltip, breadcrumbs and
// table) and kiln report's HTML page. Pass: no data-pwned* attribute, no
// dialog, and the names are shown as text. A negative control page that
// puts the same names in with innerHTML must be caught, or the detector is
// broken. Env: KILN, KILN_SRC, NODE_PATH (playwright-core).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { launch, open, CHROMIUM } = require('../flame/browser.js');

if (!fs.existsSync(CHROMIUM)) {
  console.log('SKIP: ' + CHROMIUM + ' is not installed (apt-get install chromium)');
  process.exit(0);
}
const KILN = process.env.KILN;
const SRC = process.env.KILN_SRC;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-hostile-browser-'));
const files = JSON.parse(execFileSync('python3', [path.join(SRC, 'tests/hostile/gen_hostile.py'), tmp, KILN]));
const names = JSON.parse(fs.readFileSync(path.join(tmp, 'names.json'), 'latin1'));
const FORMATS = ['folded', 'perf', 'prof', 'kiln'];

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser.close(); fs.rmSync(tmp, { recursive: true, force: true }); });

// Attributes the payloads would have set, plus any dialog opened.
async function pwned(page) {
  return page.evaluate(() => Array.from(document.documentElement.querySelectorAll('*'))
    .flatMap((el) => Array.from(el.attributes).map((a) => a.name))
    .filter((n) => n.startsWith('data-pwned')));
}

function watchDialogs(page, seen) {
  page.on('dialog', async (d) => { seen.push('dialog: ' + d.message()); await d.dismiss(); });
}

test('negative control: a naive page (innerHTML) is caught', async () => {
  const page = await browser.ctx.newPage();
  const html = path.join(tmp, 'naive.html');
  const items = names.slice(0, 6).map(([, n]) => '<li>' + n + '</li>').join('');
  fs.writeFileSync(html, '<!doctype html><meta charset=latin1><body><ul id=l></ul><script>' +
    'document.getElementById("l").innerHTML = ' + JSON.stringify(items) + ';</script>' +
    '<div>' + names[0][1] + '</div></body>', 'latin1');
  await page.goto('file://' + html);
  await page.waitForTimeout(1500);
  const p = await pwned(page);
  assert.ok(p.length >= 2, 'the detector must see the naive page execute payloads, saw ' + p);
  await page.close();
});

for (const fmt of FORMATS) {
  test('flame page from ' + fmt + ': no payload runs, names shown as text', async () => {
    const html = path.join(tmp, fmt + '_flame.html');
    execFileSync(KILN, ['flame', files[fmt], '-o', html, '--title', names[0][1]]);
    const { page, problems } = await open(browser.ctx, html);
    const dialogs = [];
    watchDialogs(page, dialogs);
    // hover over the whole canvas: every frame's tooltip is shown
    const box = await page.evaluate(() => {
      const r = document.querySelector('#graph canvas').getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height };
    });
    for (let y = box.y + 3; y < box.y + box.h; y += 9)
      for (let x = box.x + 2; x < box.x + box.w; x += 25)
        await page.mouse.move(x, y);
    // zoom into each hostile frame (breadcrumbs), then search for markup
    for (let k = 0; k < names.length; k++) {
      const id = await page.evaluate((n) => kiln.find(n), 'HN' + k + '_');
      if (id > 0) await page.evaluate((i) => kiln.nodeInfo(i), id);
    }
    await page.keyboard.press('/');
    await page.keyboard.type('<img');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    const text = await page.evaluate(() => document.body.innerText + document.title);
    assert.deepStrictEqual(await pwned(page), []);
    assert.deepStrictEqual(dialogs, []);
    assert.deepStrictEqual(problems.filter((p) => !p.startsWith('console warning')), []);
    assert.ok(text.includes('HN0_</script><script>'), 'the </script> title is shown as text');
    await page.close();
  });

  test('report page from ' + fmt + ': no payload runs, names shown as text', async () => {
    const dir = path.join(tmp, fmt + '_report');
    execFileSync(KILN, ['report', files[fmt], '-o', dir, '--target', 'hostile', '--no-images'],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    const html = fs.readdirSync(dir).find((n) => n.endsWith('.html'));
    assert.ok(html, 'report HTML written');
    const page = await browser.ctx.newPage();
    const dialogs = [];
    watchDialogs(page, dialogs);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + path.join(dir, html));
    await page.waitForTimeout(1000);
    // open every <details>, hover every link and cell
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    for (const a of await page.locator('a').all()) await a.hover({ timeout: 1000 }).catch(() => {});
    const hrefs = await page.evaluate(() => Array.from(document.links).map((a) => a.href));
    const body = await page.evaluate(() => document.body.innerText);
    assert.deepStrictEqual(await pwned(page), []);
    assert.deepStrictEqual(dialogs, []);
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(hrefs.filter((h) => /^(javascript|data|vbscript):/i.test(h)), []);
    assert.ok(body.includes('<img src=x onerror='), 'the <img> name is shown as text');
    await page.close();
  });
}
