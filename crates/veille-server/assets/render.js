// veille dashboard: building the page's pieces from API answers.
//
// Nothing from the API is ever assigned to innerHTML: text goes into text
// nodes, and search snippets (HTML-escaped text with <b> around matches) are
// split on their <b> tags and rebuilt as text and <mark> elements.
'use strict';

const Render = (() => {
  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const ENTITIES = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#x27;': "'", '&#39;': "'" };

  /** A server snippet as text nodes, with matched words in <mark>. */
  function snippet(html) {
    const out = document.createDocumentFragment();
    let marked = false;
    for (const part of html.split(/(<\/?b>)/)) {
      if (part === '<b>') marked = true;
      else if (part === '</b>') marked = false;
      else if (part) {
        const text = part.replace(/&(?:lt|gt|amp|quot|#x27|#39);/g, (e) => ENTITIES[e]);
        out.append(marked ? el('mark', {}, text) : document.createTextNode(text));
      }
    }
    return out;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });

  function when(iso) {
    const d = new Date(iso);
    return el('time', { datetime: iso }, Number.isNaN(d.getTime()) ? iso : timeFormat.format(d));
  }

  /** Only http(s) links are made clickable. */
  function safeUrl(url) {
    try {
      const u = new URL(url);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function sentimentBadge(sentiment) {
    if (!sentiment) return el('span', { class: 'badge unscored' }, 'unscored');
    const score = Number(sentiment.compound).toFixed(2);
    return el('span', { class: `badge ${sentiment.label}`, title: `compound ${score}` }, `${sentiment.label} ${score}`);
  }

  /** One mention as a list item; `snippetHtml` replaces its text when given. */
  function mention(m, snippetHtml) {
    const scores = m.scores || {};
    const tags = (m.tags || []).map((t) => el('span', { class: `tag ${t.kind}`, title: `${t.kind} watch` }, t.watch));
    const link = m.url && safeUrl(m.url);
    const author = (m.author && m.author.handle) || 'unknown';
    return el('li', { class: 'mention', 'data-key': m.key },
      el('div', { class: 'meta' },
        when(m.created_at),
        el('span', { class: 'platform' }, m.platform),
        el('span', { class: 'author' }, `@${author}`),
        sentimentBadge(scores.sentiment),
        tags,
        link ? el('a', { href: link, rel: 'noopener noreferrer', target: '_blank' }, 'open') : null),
      m.title ? el('p', { class: 'title' }, m.title) : null,
      el('p', { class: 'text' }, snippetHtml !== undefined ? snippet(snippetHtml) : m.text));
  }

  /** Fills `table` with a header row and rows of cells. */
  function table(tableEl, head, rows) {
    tableEl.replaceChildren(
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
    tableEl.dataset.rows = String(rows.length);
  }

  const charts = new Map();
  let measurer = null;

  /** Width of `text` in the axes' font, in CSS pixels. */
  function measure(text) {
    measurer = measurer || document.createElement('canvas').getContext('2d');
    measurer.font = Scale.FONT;
    return measurer.measureText(text).width;
  }

  /** Counts are whole: the y-axis ticks never fall between them. */
  const COUNT_STEPS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8].map((p) => m * p))
    .sort((a, b) => a - b);

  /**
   * Draws a time series chart in `figure` (replacing the previous one) over the period of
   * `plan` (see Scale.plan): `xs` are bucket starts in seconds, `series` is
   * [{label, color, values}]. The x-axis spans the period; an empty period says so.
   */
  function chart(figure, plan, xs, series) {
    const target = figure.querySelector('.plot');
    const old = charts.get(figure.id);
    if (old) old.destroy();
    charts.delete(figure.id);
    target.replaceChildren();
    const points = series.reduce((n, s) => n + s.values.filter((v) => v > 0).length, 0);
    const total = series.reduce((n, s) => n + s.values.reduce((a, b) => a + b, 0), 0);
    Object.assign(figure.dataset, {
      points: String(points), total: String(total), buckets: String(xs.length), interval: plan.text,
      from: String(plan.from), to: String(plan.to), empty: String(total === 0),
    });
    if (typeof uPlot === 'undefined') {
      target.append(el('p', { class: 'empty' }, 'The chart library did not load.'));
      return;
    }
    const shown = { y: [] };
    const opts = {
      width: Math.max(280, target.clientWidth || 600),
      height: 220,
      scales: {
        x: { time: true, range: () => Scale.xRange(plan) },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { font: Scale.FONT },
        {
          font: Scale.FONT,
          incrs: COUNT_STEPS,
          values: (u, splits) => {
            shown.y = splits.map(Scale.label);
            return shown.y;
          },
          size: (u, values) => Scale.axisWidth(values, measure),
        },
      ],
      series: [{}].concat(series.map((s) => ({
        label: s.label, stroke: s.color, width: 2, fill: `${s.color}22`, points: { show: total > 0 && xs.length < 60 },
      }))),
      // The labels drawn, for whoever checks that they fit (uPlot draws after this returns).
      hooks: { draw: [() => { figure.dataset.yLabels = JSON.stringify(shown.y); }] },
    };
    const plot = new uPlot(opts, [xs].concat(series.map((s) => s.values)), target);
    charts.set(figure.id, plot);
    if (total === 0) target.append(el('p', { class: 'empty' }, 'No mentions in this period.'));
  }

  /** The uPlot chart drawn in the figure `id`, if any. */
  const plotOf = (id) => charts.get(id) || null;

  /** Resizes every chart to its container. */
  function resizeCharts() {
    for (const [id, plot] of charts) {
      const target = document.getElementById(id).querySelector('.plot');
      plot.setSize({ width: Math.max(280, target.clientWidth || 600), height: 220 });
    }
  }

  return { el, snippet, when, safeUrl, mention, table, chart, resizeCharts, measure, plotOf };
})();
