// Shared helper: launch Debian's chromium headless through playwright-core,
// open a kiln flame page from disk, fail on any network request, console
// error, page error or CSP violation.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-flame-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: Number(process.env.KILN_DPR || 1),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const close = async () => { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); };
  return { ctx, close };
}

// Opens file (absolute path) and waits for the page to be ready. Returns
// { page, problems } where problems collects requests and errors seen.
async function open(ctx, file, hash) {
  const page = await ctx.newPage();
  const problems = [];
  const url = 'file://' + file + (hash ? '#' + hash : '');
  page.on('request', (r) => {
    if (r.url().split('#')[0] !== url.split('#')[0]) problems.push('request: ' + r.url());
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => (window.kiln && window.kiln.ready) || document.body.hasAttribute('data-error'), null, { timeout: 30000 });
  await page.waitForFunction(() => document.body.hasAttribute('data-rendered') || document.body.hasAttribute('data-error'), null, { timeout: 30000 });
  return { page, problems };
}

module.exports = { launch, open, CHROMIUM };
