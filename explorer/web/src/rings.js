// Rings tab: ranked rings of suspects and the shared-address clusters.
import { api } from './api.js';
import { defList, el, entitySummary, fmtList, fmtValue, setChildren } from './dom.js';
import { reportError } from './status.js';

export function createRingsView(ctx) {
  const rings = el('section', { class: 'stack' });
  const clusters = el('section', { class: 'stack' });
  const panel = el('section', { class: 'panel', hidden: true },
    el('h2', {}, 'Rings'), rings, el('h2', {}, 'Shared addresses'), clusters);

  const member = (entity, testid, note = '') => el('button', {
    type: 'button', class: 'member', 'data-testid': testid, 'data-entity-id': entity.entity_id,
    onclick: () => ctx.openEntity(entity.entity_id),
  }, entitySummary(entity), note ? el('span', { class: 'props' }, note) : null);

  function ringCard(ring) {
    return el('article', { 'data-testid': 'ring', class: 'card' },
      el('h3', {}, `Ring #${ring.rank}`),
      defList([
        ['Size', String(ring.members.length)],
        ['Partners', `${ring.risk.partners} (${fmtList(ring.partners)})`],
        ['Max severity', fmtValue(ring.risk.max_severity)],
        ['Suspects', String(ring.risk.suspects)],
        ['Signals', String(ring.risk.signals)],
      ], { class: 'inline' }),
      el('div', { class: 'members' }, ring.members.map((m) => member(m, 'ring-member'))));
  }

  function clusterCard(cluster) {
    return el('article', { 'data-testid': 'cluster', class: 'card' },
      el('h3', {}, cluster.location.name),
      defList([
        ['Municipality', fmtValue(cluster.municipality)],
        ['Partners', fmtList(cluster.partners)],
        ['Members', String(cluster.members.length)],
      ], { class: 'inline' }),
      el('div', { class: 'members' },
        member(cluster.location, 'cluster-location'),
        cluster.members.map((m) => member(m.entity, 'cluster-member', fmtList(m.kinds)))));
  }

  // Rings and clusters load independently: each shows as soon as it is there.
  function onShow() {
    load(rings, '/api/rings', 'Loading rings…', (data) => [
      data.rings.length ? data.rings.map(ringCard) : el('p', { class: 'muted' }, 'No rings found.'),
      data.truncated ? el('p', { class: 'warning' }, 'The search for rings hit its limit; more may exist.') : null,
    ]);
    load(clusters, '/api/clusters', 'Loading shared addresses…', (data) =>
      (data.clusters.length ? data.clusters.map(clusterCard) : el('p', { class: 'muted' }, 'No shared addresses found.')));
  }

  return { panel, onShow };
}

async function load(section, path, waiting, render) {
  setChildren(section, el('p', { class: 'muted' }, waiting));
  try {
    setChildren(section, render(await api.get(path)));
  } catch (err) {
    setChildren(section, el('p', { class: 'error' }, err.detail || String(err)));
    reportError(err);
  }
}
