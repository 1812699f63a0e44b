// veille dashboard: active incidents, their alerts, explanations and acknowledgement.
//
// Alerts whose conditions started close together (the server's `incident` id) are one
// incident: one card, its newest alerts first, acknowledged in one action. An incident
// stays on screen while any of its alerts is active; its resolved alerts stay listed in it
// until then.
'use strict';

const Alerts = (() => {
  const { el, when, safeUrl } = Render;
  /** Alerts shown, by id: the active ones and the resolved members of active incidents. */
  const shown = new Map();
  let workspace = 'default';

  const RULES = {
    volume_spike: 'Volume spike',
    crisis_burst: 'Crisis burst',
    negative_surge: 'Negative surge',
    key_node_negative: 'Key node turns negative',
    flat_line: 'Flat line',
  };
  const SEVERITY = { info: 0, warning: 1, critical: 2 };

  const list = () => document.getElementById('alert-list');
  const incidentOf = (a) => a.incident || a.id;
  const ruleName = (a) => RULES[a.rule] || a.rule;
  const isActive = (a) => a.state !== 'resolved';
  const newestFirst = (a, b) => b.starts_at.localeCompare(a.starts_at) || a.id.localeCompare(b.id);

  function announce(text) {
    document.getElementById('alerts-note').textContent = text;
  }

  /** The alerts of each incident, by incident id. */
  function incidents() {
    const out = new Map();
    for (const a of shown.values()) {
      const id = incidentOf(a);
      if (!out.has(id)) out.set(id, []);
      out.get(id).push(a);
    }
    for (const members of out.values()) members.sort(newestFirst);
    return out;
  }

  function countBadge() {
    const active = [...shown.values()].filter(isActive).length;
    document.getElementById('alert-count').textContent = String(active);
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

  /** One alert of an incident: its state, rule and watch, since when, and what it says. */
  function member(a) {
    return el('li', { class: `member ${a.state}`, 'data-id': a.id, 'data-state': a.state, 'data-rule': a.rule,
      'data-watch': a.watch, 'data-acked': a.ack ? 'true' : 'false' },
      el('span', { class: 'badge state' }, a.state),
      el('span', { class: 'what' }, `${ruleName(a)} · ${a.watch}`),
      el('span', { class: 'meta' }, 'since ', when(a.starts_at),
        a.ack ? ` · acknowledged by ${a.ack.by}` : ''),
      a.explanation && a.explanation.summary ? el('span', { class: 'member-summary' }, a.explanation.summary) : null);
  }

  function ackArea(id, active) {
    const open = active.filter((a) => !a.ack);
    if (!open.length) {
      const last = active.map((a) => a.ack).sort((x, y) => y.at.localeCompare(x.at))[0];
      return el('p', { class: 'acked' }, `Acknowledged by ${last.by} at `, when(last.at));
    }
    const what = active.length === 1 ? 'Acknowledge' : `Acknowledge incident (${open.length} of ${active.length} alerts open)`;
    const button = el('button', { type: 'button', class: 'ack', 'data-incident': id }, what);
    button.addEventListener('click', () => acknowledge(id, button));
    return button;
  }

  /** The card of one incident: the most severe, newest alert leads; every alert is listed. */
  function card(id, members) {
    const active = members.filter(isActive);
    const lead = active.slice().sort((a, b) => (SEVERITY[b.severity] || 0) - (SEVERITY[a.severity] || 0))[0];
    const severity = lead.severity || '';
    const state = active.some((a) => a.state === 'firing') ? 'firing' : 'pending';
    const since = members.map((a) => a.starts_at).sort()[0];
    const watches = [...new Set(members.map((a) => a.watch))].sort();
    const x = lead.explanation || {};
    const title = members.length === 1
      ? `${ruleName(lead)} · ${lead.watch}`
      : `Incident: ${ruleName(lead)} · ${lead.watch}, ${members.length} alerts`;
    return el('li', { class: `alert incident ${severity} ${state}`, id: `incident-${id}`, 'data-incident': id,
      'data-alerts': members.length, 'data-active': active.length, 'data-state': state,
      'data-acked': active.every((a) => a.ack) ? 'true' : 'false', 'aria-label': title },
      el('div', { class: 'alert-head' },
        el('h3', {}, title),
        el('span', { class: `badge severity ${severity}` }, severity),
        el('span', { class: 'badge state' }, state),
        el('span', { class: 'meta' }, 'since ', when(since), ` · ${watches.join(', ')}`)),
      el('p', { class: 'summary' }, x.summary || ''),
      el('ul', { class: 'members', 'aria-label': 'Alerts of this incident, newest first' }, members.map(member)),
      explanation(x),
      ackArea(id, active));
  }

  /** What a card shows, to redraw only the cards that changed. */
  const signature = (members) => JSON.stringify(members.map((a) =>
    [a.id, a.state, a.ack, a.events, a.explanation && a.explanation.summary]));

  /**
   * Brings the cards up to date: one per incident with an active alert, newest first. Cards
   * that did not change stay as they are (screen readers hear only what is new); a redrawn
   * card keeps the keyboard focus it had.
   */
  function render() {
    const all = incidents();
    for (const [id, members] of all) {
      if (!members.some(isActive)) {
        members.forEach((a) => shown.delete(a.id));
        all.delete(id);
      }
    }
    const order = [...all].sort((a, b) => newestFirst(a[1][0], b[1][0]));
    const ul = list();
    const wanted = new Set(order.map(([id]) => `incident-${id}`));
    for (const old of [...ul.children]) {
      if (!wanted.has(old.id)) old.remove();
    }
    order.forEach(([id, members], i) => {
      const sig = signature(members);
      let node = document.getElementById(`incident-${id}`);
      if (!node || node.dataset.sig !== sig) {
        const fresh = card(id, members);
        fresh.dataset.sig = sig;
        const hadFocus = node && node.contains(document.activeElement);
        if (node) node.replaceWith(fresh);
        node = fresh;
        if (hadFocus) {
          const target = fresh.querySelector('button.ack') || fresh;
          if (target === fresh) fresh.tabIndex = -1;
          target.focus();
        }
      }
      if (ul.children[i] !== node) ul.insertBefore(node, ul.children[i] || null);
    });
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
      const body = await Api.json(`/api/v1/alerts/incidents/${encodeURIComponent(id)}/ack`, { workspace }, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ by }),
      });
      body.alerts.forEach((a) => shown.set(a.id, a));
      render();
      // The button is gone: the keyboard focus goes to the card it was on.
      const cardNow = document.getElementById(`incident-${id}`);
      if (cardNow && !cardNow.contains(document.activeElement)) {
        cardNow.tabIndex = -1;
        cardNow.focus();
      }
      const n = body.acknowledged.length;
      announce(`Incident acknowledged by ${by}: ${n} alert${n === 1 ? '' : 's'}.`);
    } catch (e) {
      button.disabled = false;
      announce(`Could not acknowledge: ${e.message}`);
    }
  }

  /** Replaces the cards with the workspace's active incidents. */
  async function load(ws) {
    workspace = ws;
    shown.clear();
    render();
    try {
      const body = await Api.json('/api/v1/alerts', { workspace, state: 'all' });
      const open = new Set(body.alerts.filter(isActive).map(incidentOf));
      for (const a of body.alerts) {
        if (open.has(incidentOf(a))) shown.set(a.id, a);
      }
      render();
      announce(open.size ? '' : 'No active alert.');
    } catch (e) {
      announce(e.status === 503 ? 'Alerts run with the pipeline: this server has none.' : `Alerts: ${e.message}`);
    }
  }

  /** Applies one `alert` event of the live stream. */
  function change(ev) {
    const a = ev.alert;
    if (ev.change === 'resolved') {
      if (a) shown.set(a.id, Object.assign({}, a, { state: 'resolved' }));
      else shown.delete(ev.id);
      render();
      announce(`Alert resolved: ${a ? `${ruleName(a)} on ${a.watch}` : ev.id}.`);
      return;
    }
    if (!a) return;
    const joins = [...shown.values()].some((b) => b.id !== a.id && incidentOf(b) === incidentOf(a));
    shown.set(a.id, a);
    render();
    if (ev.change === 'raised') {
      announce(joins ? `${ruleName(a)} on ${a.watch} joins an active incident.` : `New alert: ${ruleName(a)} on ${a.watch}.`);
    }
  }

  return { load, change };
})();
