// veille dashboard: the time axis of a chart, its buckets, and axis labels that fit.
//
// Pure functions of numbers (no DOM, no requests), so that the charts' rules are checked
// on their own (tests/browser/chart.spec.mjs):
// - the x-axis spans the selected period, whatever the data (one bucket never stretches it);
// - the bucket width suits both the period and the span that holds data: at least
//   MIN_POINTS buckets from the first mention to the end of the period, the newest one whole;
// - y-axis labels are grouped numbers ("10,000") and the axis is as wide as its widest label.
'use strict';

const Scale = (() => {
  /** Bucket widths the charts use, in seconds, narrowest first; each is a server `interval`. */
  const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  /** Buckets a chart draws from its first mention to the end of the period: at least MIN_POINTS. */
  const MIN_POINTS = 20;
  /** Buckets a chart aims for, when the span allows it. */
  const TARGET_POINTS = 40;
  /** Spans shorter than this (seconds) are drawn as if they were this long. */
  const MIN_SPAN = 60;
  /** Most buckets a grid holds, whatever it is asked (a chart wider than this has no use for more). */
  const MAX_POINTS = 2000;
  /** Tick length and gap between tick and label of a uPlot axis, in CSS pixels. */
  const TICK = 10;
  const GAP = 5;
  /** Room kept beside the widest label, in CSS pixels. */
  const PAD = 6;
  /** The font the chart axes are drawn with (and measured in). */
  const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

  /** The widest step cutting `span` seconds into TARGET_POINTS buckets (never fewer than MIN_POINTS). */
  function step(span) {
    let best = STEPS[0];
    for (const s of STEPS) {
      if (span / s >= TARGET_POINTS) best = s;
    }
    return best;
  }

  /** A step as the server's `interval` parameter: `30s`, `5m`, `3h`, `1d`. */
  function intervalText(seconds) {
    if (seconds % 86400 === 0) return `${seconds / 86400}d`;
    if (seconds % 3600 === 0) return `${seconds / 3600}h`;
    if (seconds % 60 === 0) return `${seconds / 60}m`;
    return `${seconds}s`;
  }

  /**
   * What to ask the server for and how to draw it, for the period [from, to] (Unix seconds)
   * whose first mention is at `first` (null when the period has none):
   * `{from, to, interval, text, queryFrom, fetch, fetchText, empty}`.
   *
   * The axis spans [from, to]. The chart draws buckets of `interval` seconds that end at `to`
   * (so the newest bucket is whole, not a bucket under way that looks like a drop), from
   * `queryFrom`, the start of the bucket holding the first mention. The server's buckets are
   * aligned on the clock, not on `to`: they are asked `fetch` seconds wide (a tenth of
   * `interval` or less) and added up into the chart's buckets.
   */
  function plan(from, to, first) {
    const none = first === null || first === undefined || !Number.isFinite(first);
    // A span shorter than MIN_SPAN (a first run's first seconds) is drawn over MIN_SPAN.
    const start = none ? from : Math.max(from, Math.min(first, to - MIN_SPAN));
    const interval = step(Math.max(to - start, MIN_SPAN));
    const n = Math.max(1, Math.min(Math.ceil((to - start) / interval), Math.floor((to - from) / interval)));
    const fetch = STEPS.filter((s) => s <= interval / 10).pop() || STEPS[0];
    return {
      from, to, interval, text: intervalText(interval), queryFrom: to - n * interval, fetch,
      fetchText: intervalText(fetch), empty: none,
    };
  }

  /**
   * The chart's buckets: `rows` (`{t, values: {key: count}}`, t in Unix seconds, as the server
   * answers for `fetch`-wide buckets) added up into the plan's buckets, which end at `to`.
   * A row goes to the bucket holding its start; rows the server's clock-aligned buckets put just
   * outside the range (they only hold mentions inside it) go to the nearest bucket. Answers
   * `{xs, series: {key: [counts]}, total, points}`, `points` being the non-zero values.
   */
  function grid(p, rows, keys) {
    const n = Math.max(1, Math.min(MAX_POINTS, Math.round((p.to - p.queryFrom) / p.interval)));
    const first = p.to - n * p.interval;
    const xs = Array.from({ length: n }, (_, i) => first + i * p.interval);
    const series = Object.fromEntries(keys.map((k) => [k, new Array(n).fill(0)]));
    let total = 0;
    for (const r of rows) {
      const i = Math.min(n - 1, Math.max(0, Math.floor((r.t - first) / p.interval)));
      for (const k of keys) {
        const v = Number((r.values || {})[k]) || 0;
        series[k][i] += v;
        total += v;
      }
    }
    const points = keys.reduce((sum, k) => sum + series[k].filter((v) => v > 0).length, 0);
    return { xs, series, total, points };
  }

  /** A y-axis value as a label: grouped thousands ("10,000"), at most two decimals. */
  function label(value) {
    return value === null || value === undefined ? '' : number.format(value);
  }

  /** Width in CSS pixels of a y-axis showing `labels`, measured with `measure(text)`. */
  function axisWidth(labels, measure) {
    const widest = (labels || []).reduce((w, l) => Math.max(w, l ? measure(String(l)) : 0), 0);
    return Math.ceil(widest + TICK + GAP + PAD);
  }

  /** The x range of a chart: the period, whatever the data. */
  function xRange(p) {
    return [p.from, p.to];
  }

  return { STEPS, MIN_POINTS, FONT, step, intervalText, plan, grid, label, axisWidth, xRange };
})();
