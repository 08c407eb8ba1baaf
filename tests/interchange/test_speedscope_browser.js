// speedscope export read by its real consumer: the speedscope web app from
// npm (tests/interchange/package.json), in Debian's headless chromium driven
// by playwright-core. kiln writes a speedscope file from real profiles; the
// app must load it (no error), show the file's name in its toolbar and list
// the expected functions in its Sandwich view's table. Env: KILN, KILN_SRC,
// NODE_PATH (node_modules holding speedscope and playwright-core).
'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const KILN = process.env.KILN;
const SRC = process.env.KILN_SRC;
const { launch } = require(path.join(SRC, 'tests/flame/browser.js'));

function appIndex() {
  for (const dir of (process.env.NODE_PATH || '').split(':')) {
    const p = path.join(dir, 'speedscope/dist/release/index.html');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('speedscope package not found on NODE_PATH');
}

async function check(ctx, index, input, frames) {
  // kiln names the file after its input (no command metadata in these fixtures)
  const name = path.basename(input);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ss-')), name + '.speedscope.json');
  execFileSync(KILN, ['convert', '--to', 'speedscope', '-o', out, input]);
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('dialog', async (d) => { problems.push('dialog: ' + d.message()); await d.dismiss(); });
  await page.goto('file://' + index);
  await page.locator('input[type=file]').first().setInputFiles(out);
  // the toolbar shows the profile's name: "<name> (<sample type>) (1/N)"
  await page.waitForFunction((n) => document.body.innerText.includes(n), name + ' (', { timeout: 30000 });
  await page.getByText('Sandwich').first().click();
  const text = () => page.evaluate(() => document.body.innerText);
  for (const f of frames) {
    await page.waitForFunction((x) => document.body.innerText.includes(x), f, { timeout: 30000 })
      .catch(async () => { throw new Error(`frame '${f}' not shown; page text: ${(await text()).slice(0, 400)}`); });
  }
  assert.deepStrictEqual(problems, [], 'speedscope reported problems');
  await page.close();
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  console.log(`ok: speedscope app loaded ${name}, shows ${frames.join(', ')}`);
}

(async () => {
  const index = appIndex();
  const { ctx, close } = await launch();
  try {
    await check(ctx, index, path.join(SRC, 'fixtures/python/prof/slow_n8000_runcall.prof'),
      ['run_pipeline', 'unique_events', 'retry_budget']);
    await check(ctx, index, path.join(SRC, 'fixtures/perf/medium.folded'),
      ['lookdict_unicode', '_PyPegen_expect_token']);
  } finally {
    await close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
