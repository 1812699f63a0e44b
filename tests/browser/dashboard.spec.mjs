// A newcomer's first minutes, in the system Chromium: `veille run` with the default
// configuration has just started from an empty data directory; its simulator writes two days
// of history, then goes live, and a crisis comes a few minutes after the start. Run by
// tests/dashboard.rs, which passes:
//   VEILLE_URL           the server, e.g. http://127.0.0.1:7700
//   VEILLE_KEY           the admin API key to sign in with
//   VEILLE_ARTEFACTS     where screenshots go
//   VEILLE_STARTED_MS    when `veille run` started (Unix milliseconds)
//   VEILLE_FIRST_SCREEN_S  how long after that the first screen must show the history (seconds)
//   VEILLE_ALERT_WAIT_S  how long to wait for the crisis incident (seconds)
//   VEILLE_CRISIS_AT_MS  when the crisis starts (Unix milliseconds): no alert may show before it
// Prints one JSON line of findings last; exits non-zero on the first failed check.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.VEILLE_URL;
const artefacts = process.env.VEILLE_ARTEFACTS;
const firstScreenMs = Number(process.env.VEILLE_FIRST_SCREEN_S || '60') * 1000;
const alertWaitMs = Number(process.env.VEILLE_ALERT_WAIT_S || '300') * 1000;
const crisisAt = Number(process.env.VEILLE_CRISIS_AT_MS || '0');
if (!base || !artefacts) throw new Error('VEILLE_URL and VEILLE_ARTEFACTS are required');
mkdirSync(artefacts, { recursive: true });
const started = Number(process.env.VEILLE_STARTED_MS || Date.now());

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

const log = (...args) => console.error('[dashboard]', ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const profile = mkdtempSync(join(tmpdir(), 'veille-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
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

  // 1. The page loads and asks for the key printed at the first start.
  await page.goto(`${base}/?workspace=default&range=24h`, { waitUntil: 'domcontentloaded' });
  if (process.env.VEILLE_KEY) {
    await page.waitForSelector('#login[open]', { timeout: 30000 });
    await page.fill('#api-key', process.env.VEILLE_KEY);
    await page.click('#login-form button[type="submit"]');
    findings.login = 'signed in with an API key through the login dialog';
  }
  await page.evaluate(() => { window.loadedOnce = true; });
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  await page.waitForSelector('body[data-live="true"]', { timeout: 30000 });

  // 2. The first screen: the last 24 hours of history charted, as soon as the history is in.
  // The page redraws its panels every 30 s; Apply redraws them at once, as a user would.
  const chartState = (id) => page.evaluate((sel) => {
    const f = document.getElementById(sel);
    const plot = Render.plotOf(sel);
    const labels = JSON.parse(f.dataset.yLabels || '[]');
    return {
      points: Number(f.dataset.points),
      total: Number(f.dataset.total),
      buckets: Number(f.dataset.buckets),
      interval: f.dataset.interval,
      from: Number(f.dataset.from),
      to: Number(f.dataset.to),
      xMin: plot ? plot.scales.x.min : null,
      xMax: plot ? plot.scales.x.max : null,
      widest: Math.ceil(labels.reduce((w, l) => Math.max(w, Render.measure(l)), 0)),
      axis: plot ? plot.bbox.left / devicePixelRatio : 0,
    };
  }, id);
  const drawn = async () => Math.min(...await Promise.all(['volume-chart', 'sentiment-chart']
    .map(async (id) => (await chartState(id)).points)));
  while ((await drawn()) < 20 && Date.now() - started < firstScreenMs) {
    await sleep(3000);
    await page.click('#scope button[type="submit"]');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  }
  findings.first_screen_s = Math.round((Date.now() - started) / 1000);
  const volume = await chartState('volume-chart');
  check(volume.points >= 20, `within ${firstScreenMs / 1000} s the volume chart shows ${volume.points} non-zero points (20 wanted)`);
  for (const id of ['volume-chart', 'sentiment-chart']) {
    const c = await chartState(id);
    check(c.points >= 20 && c.total >= 1000, `${id} has ${c.points} non-zero points for ${c.total} mentions`);
    check(c.to - c.from === 86400 && c.xMin === c.from && c.xMax === c.to, `${id}: the x-axis spans the last 24 hours: ${JSON.stringify(c)}`);
    check(c.widest + 15 <= c.axis, `${id}: y labels (${c.widest} px) fit their axis (${c.axis} px)`);
    const inked = await page.evaluate((sel) => {
      const canvas = document.querySelector(`${sel} canvas`);
      if (!canvas) return 0;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
      return n;
    }, `#${id}`);
    check(inked > 500, `${id} canvas has ${inked} drawn pixels`);
    findings[id] = { points: c.points, total: c.total, interval: c.interval, buckets: c.buckets, inked };
  }
  const series = await page.$$eval('#volume-chart .u-legend .u-series', (rows) => rows.length);
  check(series >= 2, `volume chart legend lists ${series} series (time and at least one platform)`);
  const sov = await page.$$eval('#sov tbody tr', (rows) => rows.map((r) => r.cells[0].textContent));
  check(['acme', 'globex', 'initech'].every((b) => sov.some((w) => w.startsWith(b))),
    `share of voice compares the three brands: ${JSON.stringify(sov)}`);
  const authors = Number(await page.getAttribute('#authors', 'data-rows'));
  check(authors >= 3, `top authors lists ${authors} rows`);
  const watchOptions = await page.$$eval('#watch option', (o) => o.map((x) => x.value).filter(Boolean));
  check(watchOptions.includes('acme'), `watch picker offers acme: ${watchOptions}`);
  const calm = await page.$$eval('#alert-list li.incident', (l) => l.length);
  check(calm === 0, `no alert is active before the crisis (found ${calm})`);
  check(Date.now() < crisisAt || !crisisAt, 'the first screen was checked before the crisis began');
  findings.share_of_voice = sov;
  findings.authors = authors;
  await page.screenshot({ path: join(artefacts, '1-overview.png'), fullPage: true });

  // 3. A search in the query syntax shows highlighted results.
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

  // 4. Until the crisis, nothing is active; then its alerts come live into one incident card.
  const streamed = Number(await page.textContent('#stream-count'));
  log(`waiting up to ${alertWaitMs / 1000} s for the crisis incident`);
  const waitFrom = Date.now();
  while (Date.now() - waitFrom < alertWaitMs) {
    const cards = await page.$$eval('#alert-list li.incident', (l) => l.length);
    if (cards > 0) {
      check(crisisAt === 0 || Date.now() >= crisisAt, `an alert showed before the crisis began (${cards} cards)`);
      break;
    }
    await sleep(1000);
  }
  await page.waitForSelector('#alert-list li.incident', { timeout: 1000 });
  findings.alert_after_s = Math.round((Date.now() - waitFrom) / 1000);
  check(await page.evaluate(() => window.loadedOnce === true), 'the page was not reloaded');
  // The crisis trips several rules and watches; their alerts gather in the one card.
  const gather = Date.now();
  let card = await page.$$eval('#alert-list li.incident', (l) => l.map((c) => ({
    id: c.dataset.incident, alerts: Number(c.dataset.alerts),
    members: [...c.querySelectorAll('li.member')].map((m) => `${m.dataset.rule} · ${m.dataset.watch}`),
  })));
  while (card.length === 1 && card[0].alerts < 2 && Date.now() - gather < 120000) {
    await sleep(1000);
    card = await page.$$eval('#alert-list li.incident', (l) => l.map((c) => ({
      id: c.dataset.incident, alerts: Number(c.dataset.alerts),
      members: [...c.querySelectorAll('li.member')].map((m) => `${m.dataset.rule} · ${m.dataset.watch}`),
    })));
  }
  check(card.length === 1, `the crisis is one incident card: ${JSON.stringify(card)}`);
  check(card[0].alerts >= 2 && card[0].members.length === card[0].alerts,
    `the incident card lists its alerts with rule and watch: ${JSON.stringify(card[0])}`);
  const incident = card[0].id;
  const el = page.locator(`#incident-${incident}`);
  const summaryText = await el.locator('.summary').textContent();
  const examples = await el.locator('.example').count();
  check(summaryText.trim().length > 0 && examples > 0, `the incident explains itself: "${summaryText}", ${examples} example posts`);
  const live = Number(await page.textContent('#stream-count'));
  check(live > streamed, `live mentions arrived while the page was open (${streamed} then ${live})`);
  findings.incident = { id: incident, alerts: card[0].alerts, members: card[0].members, summary: summaryText, examples };
  findings.stream = live;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, '3-incident.png'), fullPage: true });
  // What a newcomer sees at the top of the page, small enough to keep in the repository.
  await page.screenshot({ path: join(artefacts, 'first-minutes.jpg'), type: 'jpeg', quality: 60, fullPage: true,
    clip: { x: 0, y: 0, width: 1280, height: 1120 } });

  // 5. The incident is acknowledged through its button, from the keyboard: every alert in it.
  await page.fill('#ack-by', 'browser-test');
  await el.locator('button.ack').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#incident-${incident}[data-acked="true"] .acked`, { timeout: 15000 });
  const acked = await page.textContent(`#incident-${incident} .acked`);
  check(acked.includes('browser-test'), `acknowledgement shown: ${acked}`);
  const memberAcks = await page.$$eval(`#incident-${incident} li.member`, (l) => l.map((m) => m.dataset.state === 'resolved' || m.dataset.acked === 'true'));
  check(memberAcks.every(Boolean), `every active alert of the incident shows acknowledged: ${memberAcks}`);
  const focus = await page.evaluate(() => document.activeElement && document.activeElement.closest('.incident') ? 'card' : document.activeElement.tagName);
  check(focus === 'card', `the keyboard focus stays on the incident card (${focus})`);
  await page.screenshot({ path: join(artefacts, '4-acknowledged.png'), fullPage: true });

  check(problems.length === 0, `no script errors: ${problems.join('; ')}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(findings));
