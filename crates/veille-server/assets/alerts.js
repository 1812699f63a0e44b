// veille dashboard: the active alerts, their explanations and acknowledgement.
'use strict';

const Alerts = (() => {
  const { el, when, safeUrl } = Render;
  const active = new Map();
  let workspace = 'default';

  const RULES = {
    volume_spike: 'Volume spike',
    crisis_burst: 'Crisis burst',
    negative_surge: 'Negative surge',
    key_node_negative: 'Key node turns negative',
    flat_line: 'Flat line',
  };

  const list = () => document.getElementById('alert-list');

  function announce(text) {
    document.getElementById('alerts-note').textContent = text;
  }

  function countBadge() {
    document.getElementById('alert-count').textContent = String(active.size);
  }

  function explanation(x) {
    if (!x) return null;
    const terms = (x.top_terms || []).map((t) => el('li', {}, `${t.term} (${t.mentions})`));
    const authors = (x.top_authors || []).map((a) => el('li', {}, `@${a.handle} (${a.mentions})`));
    const platforms = (x.platforms || []).map((p) => `${p.platform} ${p.mentions}`).join(', ');
    const examples = (x.examples || []).map((e) => {
      const link = e.url && safeUrl(e.url);
      return el('li', { class: 'example' },
        el('span', { class: 'meta' }, when(e.created_at), ` @${e.author} on ${e.platform}`,
          link ? el('a', { href: link, rel: 'noopener noreferrer', target: '_blank' }, ' open') : null),
        el('q', {}, e.excerpt));
    });
    return el('div', { class: 'why' },
      x.description ? el('details', {}, el('summary', {}, 'Full description'), el('p', { class: 'desc' }, x.description)) : null,
      el('div', { class: 'facts' },
        terms.length ? el('div', {}, el('h4', {}, 'Top terms'), el('ul', { class: 'inline' }, terms)) : null,
        authors.length ? el('div', {}, el('h4', {}, 'Top authors'), el('ul', { class: 'inline' }, authors)) : null,
        platforms ? el('div', {}, el('h4', {}, 'Platforms'), el('p', {}, platforms)) : null),
      examples.length ? el('div', {}, el('h4', {}, 'Example posts'), el('ul', { class: 'examples' }, examples)) : null);
  }

  function ackArea(a) {
    if (a.ack) {
      return el('p', { class: 'acked' }, `Acknowledged by ${a.ack.by} at `, when(a.ack.at));
    }
    const button = el('button', { type: 'button', class: 'ack', 'data-id': a.id }, 'Acknowledge');
    button.addEventListener('click', () => acknowledge(a.id, button));
    return button;
  }

  function card(a) {
    const x = a.explanation || {};
    return el('li', { class: `alert ${a.severity || ''} ${a.state}`, id: `alert-${a.id}`, 'data-id': a.id,
      'data-state': a.state, 'data-acked': a.ack ? 'true' : 'false' },
      el('div', { class: 'alert-head' },
        el('h3', {}, `${RULES[a.rule] || a.rule} · ${a.watch}`),
        el('span', { class: `badge severity ${a.severity}` }, a.severity || ''),
        el('span', { class: 'badge state' }, a.state),
        el('span', { class: 'meta' }, 'since ', when(a.starts_at))),
      el('p', { class: 'summary' }, x.summary || ''),
      explanation(x),
      ackArea(a));
  }

  function upsert(a) {
    active.set(a.id, a);
    const fresh = card(a);
    const old = document.getElementById(`alert-${a.id}`);
    if (old) old.replaceWith(fresh);
    else list().prepend(fresh);
    countBadge();
  }

  function remove(id) {
    active.delete(id);
    const old = document.getElementById(`alert-${id}`);
    if (old) old.remove();
    countBadge();
  }

  async function acknowledge(id, button) {
    const by = document.getElementById('ack-by').value.trim();
    if (!by) {
      announce('Enter who acknowledges first.');
      document.getElementById('ack-by').focus();
      return;
    }
    button.disabled = true;
    try {
      const alert = await Api.json(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { workspace }, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ by }),
      });
      upsert(alert);
      announce(`Alert ${id} acknowledged by ${by}.`);
    } catch (e) {
      button.disabled = false;
      announce(`Could not acknowledge: ${e.message}`);
    }
  }

  /** Replaces the list with the workspace's active alerts. */
  async function load(ws) {
    workspace = ws;
    active.clear();
    list().replaceChildren();
    countBadge();
    try {
      const body = await Api.json('/api/v1/alerts', { workspace });
      for (const a of body.alerts.slice().reverse()) upsert(a);
      announce(body.alerts.length ? '' : 'No active alert.');
    } catch (e) {
      announce(e.status === 503 ? 'Alerts run with the pipeline: this server has none.' : `Alerts: ${e.message}`);
    }
  }

  /** Applies one `alert` event of the live stream. */
  function change(ev) {
    if (ev.change === 'resolved') {
      remove(ev.id);
      announce(`Alert resolved: ${ev.alert ? `${RULES[ev.alert.rule] || ev.alert.rule} on ${ev.alert.watch}` : ev.id}.`);
      return;
    }
    if (!ev.alert) return;
    upsert(ev.alert);
    if (ev.change === 'raised') {
      announce(`New alert: ${RULES[ev.alert.rule] || ev.alert.rule} on ${ev.alert.watch}.`);
    }
  }

  return { load, change };
})();
