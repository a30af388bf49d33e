// Entity view: profile, risk breakdown, network and timeline of one entity.
import { api, latestOnly, seg } from './api.js';
import { defList, el, fmtCounts, fmtDate, fmtList, fmtNum, fmtValue, labelBadge, plural, setChildren } from './dom.js';
import { reportError } from './status.js';
import { createNetworkView } from './network.js';

export function createEntityView(ctx) {
  const heading = el('h2');
  const profile = el('section', { 'data-testid': 'profile', class: 'card' });
  const risk = el('section', { 'data-testid': 'risk', class: 'card' });
  const timeline = el('section', { 'data-testid': 'timeline', class: 'card' });
  const network = createNetworkView(ctx);
  const root = el('section', { 'data-testid': 'entity-view', class: 'entity-view', hidden: true },
    heading, el('div', { class: 'columns' }, profile, risk), network.root, timeline);
  const entityTurn = latestOnly();

  // Loads all parts at once; answers for an entity that is no longer shown are dropped.
  function open(id) {
    const isCurrent = entityTurn();
    const fresh = (render) => (value) => isCurrent() && render(value);
    root.hidden = false;
    heading.textContent = 'Loading…';
    setChildren(profile, el('p', { class: 'muted' }, 'Loading profile…'));
    setChildren(risk);
    setChildren(timeline, el('p', { class: 'muted' }, 'Loading timeline…'));
    root.scrollIntoView({ block: 'start' });
    api.get(`/api/entities/${seg(id)}`).then(fresh(renderEntity), fresh(failed(profile)));
    api.get(`/api/entities/${seg(id)}/timeline`).then(fresh(renderTimeline), fresh(failed(timeline)));
    network.load(id);
  }

  function renderEntity(data) {
    heading.textContent = data.profile.entity.name || data.profile.entity.entity_id;
    setChildren(profile, el('h3', {}, 'Profile'), profileDetails(data.profile));
    setChildren(risk, riskDetails(data.risk));
  }

  function renderTimeline(data) {
    setChildren(timeline, el('h3', {}, 'Timeline'), timelineList(data.entries),
      data.truncated ? el('p', { class: 'warning' }, 'Older entries are not shown.') : null);
  }

  return { root, open, onShow: network.onShow, destroy: network.destroy };
}

function failed(section) {
  return (err) => {
    setChildren(section, el('p', { class: 'error' }, err.detail || String(err)));
    reportError(err);
  };
}

function profileDetails(p) {
  const { anchor, entity } = p;
  const merged = anchor.redirected_from && anchor.redirected_from.length
    ? el('p', { 'data-testid': 'merged', class: 'note' },
      `merged from ${anchor.redirected_from.join(', ')} into ${anchor.entity_id}`)
    : null;
  return [
    merged,
    defList([
      ['Name', entity.name],
      ['Label', labelBadge(entity.label)],
      ['Entity id', el('code', {}, entity.entity_id)],
      ['Signals', String(p.signal_count)],
      ['Partners', fmtList(p.partners)],
      ['Roles', fmtCounts(p.roles)],
      ['First seen', fmtDate(p.first_seen)],
      ['Last seen', fmtDate(p.last_seen)],
      ['Links', fmtCounts(p.links)],
      ...Object.entries(entity.properties || {}).map(([key, value]) => [key, fmtValue(value)]),
    ]),
  ];
}

// How each reason of a risk part reads in the table.
const RISK_PARTS = [
  ['partners', 'Partners', (r) => `${r.partner} (decay ${fmtNum(r.decay)})`],
  ['severity', 'Severity', (r) => `${r.signal_id} · ${r.partner} · ${r.severity}: ${fmtNum(r.points)}`],
  ['stages', 'Barrier stages', (r) => `${r.stage}: ${fmtNum(r.points)}`],
  ['indicators', 'Indicators', (r) => `${r.code} (weight ${fmtNum(r.weight)}): ${fmtNum(r.points)}`],
];

function riskDetails(risk) {
  const breakdown = risk.breakdown || {};
  const rows = RISK_PARTS.map(([key, title, describe]) => {
    const part = breakdown[key] || { points: 0, reasons: [] };
    const reasons = part.reasons || [];
    return el('tr', { 'data-testid': 'risk-part', 'data-part': key },
      el('th', { scope: 'row' }, title),
      el('td', { class: 'num' }, fmtNum(part.points)),
      el('td', {}, reasons.length ? el('ul', { class: 'plain' }, reasons.map((r) => el('li', {}, describe(r)))) : '—'));
  });
  return [
    el('h3', {}, 'Risk ', el('span', { 'data-testid': 'risk-score', class: 'score' }, fmtNum(risk.score))),
    el('table', { class: 'risk-table' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Part'), el('th', {}, 'Points'), el('th', {}, 'Reasons'))),
      el('tbody', {}, rows)),
    el('p', { class: 'muted' },
      `${plural(breakdown.signals ?? 0, 'signal')}, computed ${fmtDate(breakdown.at)}, half-life ${fmtNum(breakdown.half_life_days)} days`),
  ];
}

function timelineList(entries) {
  if (!entries.length) return el('p', { class: 'muted' }, 'No signals.');
  return el('ol', { class: 'timeline' }, entries.map(({ signal, roles }) => el('li', { 'data-testid': 'timeline-entry' },
    el('time', { datetime: signal.observed_at }, fmtDate(signal.observed_at)),
    el('span', {}, signal.partner_id),
    el('span', {}, fmtValue(signal.category)),
    el('span', { class: `severity severity-${severityClass(signal.severity)}` }, fmtValue(signal.severity)),
    el('span', {}, `roles: ${fmtList(roles)}`),
    el('span', {}, `indicators: ${fmtList(signal.indicators)}`),
    el('code', { class: 'muted' }, signal.signal_id))));
}

function severityClass(severity) {
  return ['low', 'medium', 'high', 'critical'].includes(severity) ? severity : 'other';
}
