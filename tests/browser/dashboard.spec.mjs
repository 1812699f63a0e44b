// Drives the veille dashboard in the system Chromium while `veille run` ingests a
// simulated stream with a crisis burst coming. Run by tests/dashboard.rs, which
// passes:
//   VEILLE_URL        the server, e.g. http://127.0.0.1:7700
//   VEILLE_ARTEFACTS  where screenshots go
//   VEILLE_ALERT_WAIT_S  how long to wait for the crisis alert (seconds)
// Prints one JSON line of findings last; exits non-zero on the first failed check.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.VEILLE_URL;
const artefacts = process.env.VEILLE_ARTEFACTS;
const alertWaitMs = Number(process.env.VEILLE_ALERT_WAIT_S || '300') * 1000;
if (!base || !artefacts) throw new Error('VEILLE_URL and VEILLE_ARTEFACTS are required');
mkdirSync(artefacts, { recursive: true });

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

const log = (...args) => console.error('[dashboard]', ...args);

const profile = mkdtempSync(join(tmpdir(), 'veille-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 1600 },
});
const findings = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Failed requests are logged by the browser too; the page falls back on its own (a server
  // without the analytics endpoints answers 404), so only script errors count.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });

  // 1. The page loads, and its charts draw non-empty data.
  await page.goto(`${base}/?workspace=default&range=24h`, { waitUntil: 'domcontentloaded' });
  // 0. The server asks for an API key: sign in through the login dialog.
  if (process.env.VEILLE_KEY) {
    await page.waitForSelector('#login[open]', { timeout: 30000 });
    await page.fill('#api-key', process.env.VEILLE_KEY);
    await page.click('#login-form button[type="submit"]');
    findings.login = 'signed in with an API key through the login dialog';
  }
  await page.evaluate(() => { window.loadedOnce = true; });
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  await page.waitForSelector('body[data-live="true"]', { timeout: 30000 });
  for (const id of ['volume-chart', 'sentiment-chart']) {
    const points = Number(await page.getAttribute(`#${id}`, 'data-points'));
    const total = Number(await page.getAttribute(`#${id}`, 'data-total'));
    check(points >= 5 && total >= 100, `${id} has ${points} non-zero points for ${total} mentions`);
    // The canvas holds drawn strokes, not just a blank surface.
    const inked = await page.evaluate((sel) => {
      const canvas = document.querySelector(`${sel} canvas`);
      if (!canvas) return 0;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
      return n;
    }, `#${id}`);
    check(inked > 500, `${id} canvas has ${inked} drawn pixels`);
    findings[id] = { points, total, inked };
  }
  const series = await page.$$eval('#volume-chart .u-legend .u-series', (rows) => rows.length);
  check(series >= 2, `volume chart legend lists ${series} series (time and at least one platform)`);
  const sov = await page.$$eval('#sov tbody tr', (rows) => rows.map((r) => r.cells[0].textContent));
  check(sov.some((w) => w.startsWith('acme')) && sov.some((w) => w.startsWith('globex')),
    `share of voice compares acme and globex: ${JSON.stringify(sov)}`);
  const authors = Number(await page.getAttribute('#authors', 'data-rows'));
  check(authors >= 3, `top authors lists ${authors} rows`);
  const watchOptions = await page.$$eval('#watch option', (o) => o.map((x) => x.value).filter(Boolean));
  check(watchOptions.includes('acme'), `watch picker offers acme: ${watchOptions}`);
  findings.share_of_voice = sov;
  findings.authors = authors;
  await page.screenshot({ path: join(artefacts, '1-overview.png'), fullPage: true });

  // 2. A search in the query syntax shows highlighted results.
  await page.fill('#search-q', 'acme AND sentiment:negative');
  await page.press('#search-q', 'Enter');
  await page.waitForSelector('#search-results li.mention mark', { timeout: 15000 });
  const marks = await page.$$eval('#search-results mark', (m) => m.map((x) => x.textContent.toLowerCase()));
  check(marks.length > 0 && marks.every((m) => m.includes('acme')), `highlights are the query's words: ${marks}`);
  const injected = await page.$$eval('#search-results .text', (t) => t.some((x) => x.querySelector('b, script, img')));
  check(!injected, 'snippets are rebuilt as text and <mark>, nothing else');
  const summary = await page.textContent('#search-summary');
  check(/^\d+ mentions match/.test(summary), `search summary: ${summary}`);
  findings.search = { highlights: marks.length, summary };
  await page.locator('#search-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artefacts, '2-search.png'), fullPage: true });

  // 3. A crisis alert appears live, without a reload.
  const before = await page.$$eval('#alert-list li.alert', (l) => l.length);
  check(before === 0, `no alert is active before the burst (found ${before}: the burst came too early)`);
  const streamed = Number(await page.textContent('#stream-count'));
  log(`waiting up to ${alertWaitMs / 1000} s for the crisis alert`);
  const started = Date.now();
  await page.waitForSelector('#alert-list li.alert', { timeout: alertWaitMs });
  findings.alert_after_s = Math.round((Date.now() - started) / 1000);
  check(await page.evaluate(() => window.loadedOnce === true), 'the page was not reloaded');
  const card = page.locator('#alert-list li.alert').first();
  const alertId = await card.getAttribute('data-id');
  const summaryText = await card.locator('.summary').textContent();
  const examples = await card.locator('.example').count();
  check(summaryText.trim().length > 0 && examples > 0, `the alert explains itself: "${summaryText}", ${examples} example posts`);
  const live = Number(await page.textContent('#stream-count'));
  check(live > streamed, `live mentions arrived while the page was open (${streamed} then ${live})`);
  findings.alert = { id: alertId, summary: summaryText, examples };
  findings.stream = live;
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artefacts, '3-alert.png'), fullPage: true });

  // 4. It is acknowledged through its button, from the keyboard.
  await page.fill('#ack-by', 'browser-test');
  await card.locator('button.ack').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#alert-${alertId}[data-acked="true"] .acked`, { timeout: 15000 });
  const acked = await page.textContent(`#alert-${alertId} .acked`);
  check(acked.includes('browser-test'), `acknowledgement shown: ${acked}`);
  await page.screenshot({ path: join(artefacts, '4-acknowledged.png'), fullPage: true });

  check(problems.length === 0, `no script errors: ${problems.join('; ')}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(findings));
