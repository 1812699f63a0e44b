// veille dashboard: the page. Reads the scope (workspace, watch, period) from
// the form and the address, loads the charts and tables, runs searches, and
// keeps the live stream and the alerts up to date without reloading.
'use strict';

(() => {
  const { el, mention, table, chart } = Render;
  const $ = (id) => document.getElementById(id);

  /** The periods the page offers, in seconds. */
  const RANGES = { '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400, '7d': 604800, '30d': 2592000 };
  const STREAM_MAX = 100;
  const REFRESH_MS = 30000;
  const CATCH_UP_REFRESH_MS = 5000;
  const COLORS = ['#1f5fbf', '#b35c00', '#2f7d32', '#8e24aa', '#00838f', '#c62828', '#5d4037', '#455a64'];
  const SENTIMENT = [
    { key: 'positive', label: 'Positive', color: '#2f7d32' },
    { key: 'neutral', label: 'Neutral', color: '#5f6b7a' },
    { key: 'negative', label: 'Negative', color: '#c62828' },
  ];

  const scope = { workspace: 'default', watch: '', range: '24h' };
  let watches = [];
  let live = null;
  let refreshTimer = null;
  let gapTimer = null;
  let catchUpTimer = null;

  const watchQuery = () => (scope.watch ? `watch:"${scope.watch.replace(/["\\]/g, '\\$&')}"` : '');
  const period = () => ({ workspace: scope.workspace, from: `now-${scope.range}` });
  const seconds = (iso) => Math.floor(new Date(iso).getTime() / 1000);

  function readScope() {
    const p = new URLSearchParams(window.location.search);
    scope.workspace = p.get('workspace') || scope.workspace;
    scope.watch = p.get('watch') || '';
    scope.range = RANGES[p.get('range')] ? p.get('range') : scope.range;
    $('workspace').value = scope.workspace;
    $('range').value = scope.range;
    $('ack-by').value = localStorage.getItem('veille.ackBy') || $('ack-by').value;
  }

  function writeScope() {
    const p = new URLSearchParams({ workspace: scope.workspace, range: scope.range });
    if (scope.watch) p.set('watch', scope.watch);
    window.history.replaceState(null, '', `?${p}`);
  }

  function note(id, text) {
    $(id).textContent = text;
  }

  async function loadWatches() {
    const select = $('watch');
    try {
      watches = (await Api.json('/api/v1/watches', { workspace: scope.workspace })).watches;
    } catch (e) {
      watches = [];
    }
    const options = watches.map((w) => el('option', { value: w.name }, w.kind ? `${w.name} (${w.kind})` : w.name));
    select.replaceChildren(el('option', { value: '' }, 'All watches'), ...options);
    select.value = watches.some((w) => w.name === scope.watch) ? scope.watch : '';
    scope.watch = select.value;
  }

  const iso = (secs) => new Date(secs * 1000).toISOString();

  /**
   * The charts' period (the selected one, ending now), and the bucket width that suits it
   * and the data in it: the oldest mention of the period is looked up first (see Scale.plan).
   */
  async function planCharts() {
    const to = Math.floor(Date.now() / 1000);
    const from = to - RANGES[scope.range];
    const body = await Api.json('/api/v1/search',
      { workspace: scope.workspace, q: watchQuery(), from: iso(from), sort: 'timeasc', limit: 1, snippets: false });
    const first = body.hits.length ? seconds(body.hits[0].mention.created_at) : null;
    return Scale.plan(from, to, first);
  }

  /** The request parameters of a chart drawn with `plan`. */
  const chartParams = (plan) =>
    ({ workspace: scope.workspace, q: watchQuery(), from: iso(plan.queryFrom), to: iso(plan.to), interval: plan.fetchText });

  /** What a caption says about the buckets of `plan`. */
  function bucketNote(plan) {
    const since = plan.queryFrom > plan.from ? `; nothing before ${Render.when(iso(plan.queryFrom)).textContent}` : '';
    return `per ${plan.text}${since}`;
  }

  async function loadVolume(plan) {
    const params = Object.assign(chartParams(plan), { split: 'platform' });
    const { body } = await Api.jsonOr('/api/v1/analytics/volume', '/api/v1/stats/volume', params);
    const rows = body.buckets.map((b) => ({ t: seconds(b.start), values: Object.assign({ '': b.count }, b.split || {}) }));
    const platforms = [...new Set(body.buckets.flatMap((b) => Object.keys(b.split || {})))].sort();
    const keys = platforms.length ? platforms : [''];
    const g = Scale.grid(plan, rows, keys);
    const series = keys.map((k, i) => ({ label: k || 'mentions', color: COLORS[i % COLORS.length], values: g.series[k] }));
    chart($('volume-chart'), plan, g.xs, series);
    table($('volume-table'), ['Bucket start'].concat(series.map((s) => s.label)),
      g.xs.map((x, i) => [iso(x)].concat(series.map((s) => String(s.values[i])))));
    note('volume-caption', `${body.total} mentions, ${bucketNote(plan)}.`);
  }

  async function loadSentiment(plan) {
    const params = chartParams(plan);
    let rows;
    let caption;
    try {
      const body = await Api.json('/api/v1/analytics/sentiment', params);
      rows = body.trend;
      caption = `Net sentiment ${Number(body.net_sentiment).toFixed(1)} over ${body.total} mentions, ${bucketNote(plan)}.`;
    } catch (e) {
      if (e.status !== 404) throw e;
      const body = await Api.json('/api/v1/stats/volume', Object.assign(params, { split: 'sentiment' }));
      rows = body.buckets.map((b) => Object.assign({ start: b.start }, b.split || {}));
      const sum = (k) => rows.reduce((n, r) => n + (r[k] || 0), 0);
      const scored = sum('positive') + sum('neutral') + sum('negative');
      const net = scored ? (100 * (sum('positive') - sum('negative'))) / scored : 0;
      caption = `Net sentiment ${net.toFixed(1)} over ${scored} scored mentions, ${bucketNote(plan)}.`;
    }
    const keys = SENTIMENT.map((s) => s.key);
    const g = Scale.grid(plan, rows.map((r) => ({ t: seconds(r.start), values: r })), keys);
    const series = SENTIMENT.map((s) => ({ label: s.label, color: s.color, values: g.series[s.key] }));
    chart($('sentiment-chart'), plan, g.xs, series);
    table($('sentiment-table'), ['Bucket start'].concat(SENTIMENT.map((s) => s.label)),
      g.xs.map((x, i) => [iso(x)].concat(series.map((s) => String(s.values[i])))));
    note('sentiment-caption', caption);
  }

  /** Both time charts, on one plan. */
  async function loadCharts() {
    let plan;
    try {
      plan = await planCharts();
    } catch (e) {
      note('volume-caption', `Could not load: ${e.message}`);
      note('sentiment-caption', `Could not load: ${e.message}`);
      return;
    }
    await Promise.all([['volume-caption', loadVolume], ['sentiment-caption', loadSentiment]]
      .map(([where, load]) => load(plan).catch((e) => note(where, `Could not load: ${e.message}`))));
  }

  async function loadShareOfVoice() {
    let rows;
    try {
      const body = await Api.json('/api/v1/analytics/share-of-voice', period());
      rows = body.watches.map((w) => ({ watch: w.watch, kind: w.kind, count: w.count, share: w.share }));
    } catch (e) {
      if (e.status !== 404) throw e;
      // Without the analytics endpoints: brand and competitor watches counted over the period.
      const body = await Api.json('/api/v1/stats/volume', Object.assign(period(), { interval: '1d', split: 'watch' }));
      const kinds = new Map(watches.map((w) => [w.name.toLowerCase(), w.kind]));
      const counts = new Map();
      for (const b of body.buckets) {
        for (const [w, n] of Object.entries(b.split || {})) counts.set(w, (counts.get(w) || 0) + n);
      }
      const compared = [...counts].filter(([w]) => ['brand', 'competitor'].includes(kinds.get(w)));
      const total = compared.reduce((n, [, c]) => n + c, 0);
      rows = compared.map(([w, c]) => ({ watch: w, kind: kinds.get(w), count: c, share: total ? (100 * c) / total : 0 }))
        .sort((a, b) => b.count - a.count);
    }
    table($('sov'), ['Watch', 'Mentions', 'Share'], rows.map((r) => [
      `${r.watch}${r.kind ? ` (${r.kind})` : ''}`,
      String(r.count),
      el('span', { class: 'bar-cell' }, el('span', { class: 'bar', 'data-share': r.share.toFixed(1) }),
        `${r.share.toFixed(1)} %`),
    ]));
    for (const bar of $('sov').querySelectorAll('.bar')) bar.style.width = `${bar.dataset.share}%`;
    note('sov-note', rows.length ? '' : 'No brand or competitor watch has mentions in this period.');
  }

  async function loadAuthors() {
    const params = { workspace: scope.workspace, watch: scope.watch, window: scope.range, limit: 10 };
    try {
      const body = await Api.json('/api/v1/keynodes', params);
      table($('authors'), ['Author', 'Platform', 'Key-node score', 'Followers'], body.key_nodes.map((k) => [
        `@${k.handle}`, k.platform, Number(k.score).toFixed(3), k.followers == null ? '–' : String(k.followers)]));
      note('authors-note', 'Key nodes: reach, centrality in the conversation and engagement.');
    } catch (e) {
      if (e.status !== 503) throw e;
      try {
        const body = await Api.json('/api/v1/analytics/authors', Object.assign(period(), { q: watchQuery(), limit: 10 }));
        table($('authors'), ['Author', 'Mentions', 'Engagement', 'Followers'], body.authors.map((a) => [
          `@${a.author}`, String(a.mentions), String(a.engagement), a.followers == null ? '–' : String(a.followers)]));
        note('authors-note', 'Most active authors in the period.');
      } catch (e2) {
        table($('authors'), [], []);
        note('authors-note', 'Top authors are not available on this server.');
      }
    }
  }

  async function loadPanels() {
    const loads = [['sov-note', loadShareOfVoice], ['authors-note', loadAuthors]];
    await Promise.all([loadCharts()].concat(
      loads.map(([where, load]) => load().catch((e) => note(where, `Could not load: ${e.message}`)))));
    document.body.dataset.loaded = 'true';
  }

  async function search(event) {
    if (event) event.preventDefault();
    const q = $('search-q').value.trim();
    const params = Object.assign(period(), { q, limit: 20, snippets: true });
    note('search-summary', 'Searching…');
    try {
      const body = await Api.json('/api/v1/search', params);
      $('search-results').replaceChildren(...body.hits.map((h) => mention(h.mention, h.snippet || undefined)));
      note('search-summary', `${body.total} mentions match (${Number(body.took_ms).toFixed(0)} ms); newest first.`);
    } catch (e) {
      $('search-results').replaceChildren();
      note('search-summary', e.status === 400 ? `The query is not valid: ${e.message}` : `Search failed: ${e.message}`);
    }
  }

  function addToStream(m) {
    const list = $('stream');
    if (list.querySelector(`[data-key="${CSS.escape(m.key)}"]`)) return;
    list.prepend(mention(m));
    while (list.children.length > STREAM_MAX) list.lastElementChild.remove();
    const count = $('stream-count');
    count.textContent = String(Number(count.textContent) + 1);
  }

  async function fillStream() {
    $('stream').replaceChildren();
    $('stream-count').textContent = '0';
    try {
      const body = await Api.json('/api/v1/search', { workspace: scope.workspace, q: watchQuery(), limit: 20, snippets: false });
      body.hits.slice().reverse().forEach((h) => addToStream(h.mention));
    } catch (e) {
      note('live-status', `Could not read recent mentions: ${e.message}`);
    }
  }

  function onLiveEvent(name, data) {
    let value;
    try {
      value = JSON.parse(data);
    } catch (_) {
      return;
    }
    if (name === 'ready') {
      note('live-status', 'Live');
      document.body.dataset.live = 'true';
    } else if (name === 'mention' && !$('stream-pause').checked) {
      addToStream(value);
    } else if (name === 'alert') {
      Alerts.change(value);
    } else if (name === 'gap') {
      note('live-status', `Live (busy: ${value.missed} mentions skipped; search to see them)`);
      // Said while it lasts: a catch-up (a first run's history) is over in seconds. Meanwhile
      // the charts follow it every few seconds rather than every REFRESH_MS.
      clearTimeout(gapTimer);
      gapTimer = setTimeout(() => { if (document.body.dataset.live === 'true') note('live-status', 'Live'); }, 10000);
      if (!catchUpTimer) {
        catchUpTimer = setTimeout(() => {
          catchUpTimer = null;
          loadPanels();
        }, CATCH_UP_REFRESH_MS);
      }
    } else if (name === 'problem') {
      note('live-status', `Live, with a problem: ${value.error}`);
    }
  }

  /** Keeps one live stream open for the current scope, reconnecting after a pause. */
  function connect() {
    if (live) live.abort();
    const controller = new AbortController();
    live = controller;
    document.body.dataset.live = 'false';
    const run = async () => {
      let delay = 3000;
      try {
        delay = await Api.stream('/api/v1/live', { workspace: scope.workspace, q: watchQuery() }, controller.signal, onLiveEvent);
      } catch (e) {
        if (controller.signal.aborted) return;
        if (e.status === 401) return;
        note('live-status', `Disconnected: ${e.message}`);
      }
      if (controller.signal.aborted) return;
      document.body.dataset.live = 'false';
      note('live-status', `Reconnecting in ${Math.round(delay / 1000)} s…`);
      setTimeout(() => {
        if (!controller.signal.aborted) run();
      }, delay);
    };
    run();
  }

  async function apply() {
    writeScope();
    document.body.dataset.loaded = 'false';
    await loadWatches();
    writeScope();
    connect();
    await Promise.all([loadPanels(), Alerts.load(scope.workspace), fillStream()]);
    clearInterval(refreshTimer);
    refreshTimer = setInterval(loadPanels, REFRESH_MS);
  }

  function wire() {
    $('scope').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!$('workspace').checkValidity()) {
        $('workspace').reportValidity();
        return;
      }
      scope.workspace = $('workspace').value.trim();
      scope.watch = $('watch').value;
      scope.range = $('range').value;
      apply();
    });
    $('watch').addEventListener('change', () => $('scope').requestSubmit());
    $('range').addEventListener('change', () => $('scope').requestSubmit());
    $('search-form').addEventListener('submit', search);
    $('ack-by').addEventListener('change', () => localStorage.setItem('veille.ackBy', $('ack-by').value.trim()));
    $('stream-pause').addEventListener('change', () => {
      $('stream').setAttribute('aria-live', $('stream-pause').checked ? 'off' : 'polite');
    });
    Api.onUnauthorized(() => {
      const dialog = $('login');
      if (!dialog.open) dialog.showModal();
    });
    $('login-form').addEventListener('submit', () => {
      Api.setKey($('api-key').value.trim());
      $('api-key').value = '';
      apply();
    });
    let resizing = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = setTimeout(Render.resizeCharts, 150);
    });
  }

  readScope();
  wire();
  apply();
})();
