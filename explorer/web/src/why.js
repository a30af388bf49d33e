// Renders a GET /api/why answer: each reason with its supporting signals.
import { el, fmtDate, fmtList, fmtValue } from './dom.js';

export function whyContent(data, nameOf) {
  const a = nameOf(data.a.entity_id);
  const b = nameOf(data.b.entity_id);
  const heading = el('h4', {}, `Why linked: ${a} — ${b}`);
  if (!data.reasons.length) return [heading, el('p', { 'data-testid': 'why-empty', class: 'muted' }, 'not directly linked')];
  return [heading, el('ul', { class: 'why-reasons' }, data.reasons.map((reason) => el('li', { 'data-testid': 'why-reason' },
    el('strong', {}, reason.kind),
    ` ${nameOf(reason.source)} ${reason.kind === 'CO_MENTIONED' ? '—' : '→'} ${nameOf(reason.target)}`,
    el('ul', { class: 'plain' }, reason.support.map((s) => supportItem(s, a, b))))))];
}

function supportItem({ signal, roles_a: rolesA, roles_b: rolesB }, a, b) {
  return el('li', { 'data-testid': 'why-support' },
    el('code', {}, signal.signal_id),
    ` · ${signal.partner_id} · observed ${fmtDate(signal.observed_at)} · ${fmtValue(signal.category)} · ${fmtValue(signal.severity)}`,
    el('br'),
    `roles: ${a}: ${fmtList(rolesA)}; ${b}: ${fmtList(rolesB)}`);
}
