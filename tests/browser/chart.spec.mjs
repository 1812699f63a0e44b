// The dashboard's chart helper (assets/scale.js) and the chart it draws (assets/render.js),
// checked in the system Chromium with the real uPlot and the real fonts: whatever the data
// (one bucket, two buckets, a week of minutes, nothing), the x-axis spans the period, the
// chart has at least 20 buckets where there is data, and the y-axis is wide enough for its
// labels. Run by tests/dashboard.rs, which passes:
//   VEILLE_ASSETS     the dashboard's assets folder
//   VEILLE_ARTEFACTS  where a screenshot of the four charts goes
// Prints one JSON line of findings last; exits non-zero on the first failed check.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const assets = process.env.VEILLE_ASSETS;
const artefacts = process.env.VEILLE_ARTEFACTS;
if (!assets || !artefacts) throw new Error('VEILLE_ASSETS and VEILLE_ARTEFACTS are required');
mkdirSync(artefacts, { recursive: true });

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

const profile = mkdtempSync(join(tmpdir(), 'veille-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 900, height: 1200 },
});
const findings = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  const figures = ['one', 'two', 'week', 'empty']
    .map((id) => `<figure id="${id}" class="chart"><figcaption>${id}</figcaption><div class="plot"></div></figure>`);
  await page.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"></head>
    <body><main style="display:block;width:860px">${figures.join('')}</main></body></html>`);
  await page.addStyleTag({ path: join(assets, 'vendor/uplot-1.6.32.min.css') });
  await page.addStyleTag({ path: join(assets, 'app.css') });
  for (const file of ['vendor/uplot-1.6.32.min.js', 'scale.js', 'render.js']) {
    await page.addScriptTag({ path: join(assets, file) });
  }

  // The bucket rule alone, over every period the page offers and spans of data in it.
  const rule = await page.evaluate(() => {
    const to = 1772452800; // 2026-03-02T12:00:00Z
    const periods = [900, 3600, 21600, 86400, 604800, 2592000];
    const out = [];
    for (const period of periods) {
      for (const share of [1, 0.5, 0.1, 0.01, 0.001, 0]) {
        const first = to - Math.round(period * share);
        const p = Scale.plan(to - period, to, first);
        const buckets = Scale.grid(p, [], ['x']).xs.length;
        out.push({ period, share, interval: p.text, buckets, fetch: p.fetch, ratio: p.interval / p.fetch });
      }
    }
    return out;
  });
  const thin = rule.filter((r) => r.buckets < 20);
  check(thin.length === 0, `at least 20 buckets from the first mention on: ${JSON.stringify(thin)}`);
  check(rule.every((r) => r.buckets <= 200), `at most 200 buckets: ${JSON.stringify(rule.filter((r) => r.buckets > 200))}`);
  // The server is asked for buckets a tenth as wide or less, added up into whole chart buckets.
  check(rule.every((r) => r.ratio >= 10 || r.fetch === 1), `fetched buckets are fine enough: ${JSON.stringify(rule)}`);
  findings.rule = Object.fromEntries(rule.filter((r) => r.share === 1).map((r) => [r.period, r.interval]));

  // Four charts, as the dashboard draws them.
  const drawn = await page.evaluate(async () => {
    const to = 1772452800;
    const day = 86400;
    const cases = {
      // A first run's first minutes: every mention in one bucket, two minutes before now.
      one: { from: to - day, first: to - 120, rows: [{ t: to - 120, values: { x: 10000 } }] },
      two: { from: to - day, first: to - day + 3600, rows: [{ t: to - day + 3600, values: { x: 3 } }, { t: to - 3600, values: { x: 12345 } }] },
      // A week of per-minute counts, between 1,000 and 3,000 a minute.
      week: {
        from: to - 7 * day,
        first: to - 7 * day,
        rows: Array.from({ length: 7 * 1440 }, (_, i) => ({ t: to - 7 * day + 60 * i, values: { x: 2000 + Math.round(1000 * Math.sin(i / 200)) } })),
      },
      empty: { from: to - day, first: null, rows: [] },
    };
    const out = {};
    const grids = {};
    for (const [id, c] of Object.entries(cases)) {
      const plan = Scale.plan(c.from, to, c.first);
      const g = Scale.grid(plan, c.rows, ['x']);
      Render.chart(document.getElementById(id), plan, g.xs, [{ label: 'mentions', color: '#1f5fbf', values: g.series.x }]);
      grids[id] = { plan, g };
    }
    // uPlot draws on the next frame.
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    for (const [id, c] of Object.entries(cases)) {
      const { plan, g } = grids[id];
      const figure = document.getElementById(id);
      const plot = Render.plotOf(id);
      const labels = JSON.parse(figure.dataset.yLabels || '[]');
      const widest = labels.reduce((w, l) => Math.max(w, Render.measure(l)), 0);
      out[id] = {
        from: c.from,
        to,
        xMin: plot.scales.x.min,
        xMax: plot.scales.x.max,
        buckets: g.xs.length,
        points: Number(figure.dataset.points),
        total: g.total,
        rowsTotal: c.rows.reduce((n, r) => n + r.values.x, 0),
        newest: g.series.x[g.series.x.length - 1],
        typical: g.series.x.slice().sort((a, b) => a - b)[Math.floor(g.series.x.length / 2)],
        interval: plan.text,
        labels,
        widest: Math.ceil(widest),
        // The plotting area starts after the y-axis: its labels, tick and gap (15 px) sit left of it.
        axis: plot.bbox.left / devicePixelRatio,
        empty: figure.querySelector('.empty') ? figure.querySelector('.empty').textContent : null,
      };
    }
    return out;
  });
  for (const [id, c] of Object.entries(drawn)) {
    check(c.xMin === c.from && c.xMax === c.to, `${id}: the x-axis spans the period [${c.from}, ${c.to}], not [${c.xMin}, ${c.xMax}]`);
    check(c.widest + 15 <= c.axis, `${id}: the y-axis (${c.axis} px) holds its widest label (${c.widest} px): ${c.labels}`);
  }
  check(drawn.one.buckets >= 20 && drawn.one.points === 1, `one bucket: ${drawn.one.buckets} buckets, ${drawn.one.points} drawn`);
  check(drawn.one.labels.includes('10,000'), `one bucket: the top label reads 10,000: ${drawn.one.labels}`);
  check(drawn.two.buckets >= 20 && drawn.two.points === 2, `two buckets: ${drawn.two.buckets} buckets, ${drawn.two.points} drawn`);
  check(drawn.week.buckets >= 20 && drawn.week.points >= 20, `a week of minutes: ${drawn.week.buckets} buckets, ${drawn.week.points} drawn`);
  for (const [id, c] of Object.entries(drawn)) {
    check(c.total === c.rowsTotal, `${id}: every mention is in a bucket (${c.total} of ${c.rowsTotal})`);
  }
  check(drawn.week.newest > 0.5 * drawn.week.typical,
    `a week of minutes: the newest bucket is whole (${drawn.week.newest} vs ${drawn.week.typical} typically)`);
  check(drawn.week.labels.some((l) => /^\d{3},\d{3}$/.test(l)), `a week of minutes: labels such as 500,000: ${drawn.week.labels}`);
  check(drawn.empty.empty === 'No mentions in this period.' && drawn.empty.total === 0,
    `an empty period says so: ${drawn.empty.empty}`);
  check(drawn.one.empty === null, 'a chart with data has no empty note');
  findings.charts = Object.fromEntries(Object.entries(drawn).map(([id, c]) =>
    [id, { interval: c.interval, buckets: c.buckets, points: c.points, labels: c.labels, axis: c.axis, widest: c.widest }]));
  await page.screenshot({ path: join(artefacts, 'charts.png'), fullPage: true });
  check(problems.length === 0, `no script errors: ${problems.join('; ')}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(findings));
