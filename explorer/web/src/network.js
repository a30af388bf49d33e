// The network of the current entity: a Cytoscape graph, a side panel for the selected node
// and the why-linked answer, and node/link lists that offer the same actions as the canvas.
import cytoscape from 'cytoscape';
import { api, latestOnly, seg } from './api.js';
import { defList, el, fmtDate, fmtList, fmtValue, labelBadge, plural, setChildren } from './dom.js';
import { clearStatus, reportError, showStatus } from './status.js';
import { createFilters } from './filters.js';
import { graphStyle } from './graphstyle.js';
import { whyContent } from './why.js';

const LAYOUT = { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true, padding: 30 };
// A loaded network is an ego network: the anchor in the middle, each ring one connection further
// out. Co-mentions make these neighbourhoods dense, and a force layout packs them into a knot.
const RINGS = {
  name: 'concentric', animate: false, padding: 30, minNodeSpacing: 28,
  nodeDimensionsIncludeLabels: true, avoidOverlap: true,
  concentric: (node) => 10 - (node.data('distance') ?? 9), levelWidth: () => 1,
};

export function createNetworkView(ctx) {
  let cy = null;
  let anchorId = null;
  const loadTurn = latestOnly();
  const whyTurn = latestOnly();
  const filters = createFilters(() => {
    clearStatus();
    if (anchorId) load(anchorId);
  });
  const canvas = el('div', {
    id: 'network', 'data-testid': 'network', class: 'network-canvas', role: 'img',
    'aria-label': 'Network graph; the node and link lists below hold the same content',
  });
  const truncated = el('p', { 'data-testid': 'network-truncated', class: 'warning', hidden: true },
    'Truncated: there are more connected entities than shown. Narrow the filters or expand single nodes.');
  const selection = el('section', { class: 'selection' });
  const why = el('section', { 'data-testid': 'why-linked', class: 'why', hidden: true, 'aria-live': 'polite' });
  const nodeList = el('ul', { 'data-testid': 'node-list', class: 'item-list' });
  const edgeList = el('ul', { 'data-testid': 'edge-list', class: 'item-list' });
  const root = el('section', { class: 'card network-view' },
    el('h3', {}, 'Network'),
    filters.form,
    truncated,
    el('div', { class: 'network-layout' }, canvas, el('aside', { class: 'side-panel' }, selection, why)),
    el('div', { class: 'columns' },
      el('section', {}, el('h4', {}, 'Entities'), nodeList),
      el('section', {}, el('h4', {}, 'Links'), edgeList)));

  function graph() {
    if (cy) return cy;
    cy = cytoscape({ container: canvas, style: graphStyle, minZoom: 0.2, maxZoom: 3 });
    cy.on('tap', 'node', (event) => select(event.target.id()));
    cy.on('dbltap', 'node', (event) => expand(event.target.id()));
    cy.on('tap', 'edge', (event) => showWhy(event.target.data('source'), event.target.data('target')));
    window.ketenlinkCy = cy;
    return cy;
  }

  async function load(id) {
    const isCurrent = loadTurn();
    anchorId = id;
    resetPanels();
    setChildren(nodeList, el('li', { class: 'muted' }, 'Loading network…'));
    setChildren(edgeList);
    try {
      const data = await api.get(`/api/entities/${seg(id)}/network`, filters.params());
      if (!isCurrent()) return;
      anchorId = data.anchor.entity_id;
      const g = graph();
      g.elements().remove();
      g.add(data.nodes.map((node) => nodeElement(node, { distance: data.distance[node.entity_id] })));
      addLinks(data.links);
      g.getElementById(anchorId).addClass('anchor');
      g.layout(RINGS).run();
      truncated.hidden = !data.truncated;
      renderLists();
    } catch (err) {
      if (!isCurrent()) return;
      setChildren(nodeList, el('li', { class: 'error' }, err.detail || String(err)));
      reportError(err);
    }
  }

  // Merges the node's depth-1 network: new nodes start around it and are laid out while
  // the nodes already shown stay where they are.
  async function expand(id) {
    try {
      const data = await api.get(`/api/entities/${seg(id)}/network`, filters.params(1));
      const around = cy && cy.getElementById(id);
      if (!around || around.empty()) return; // the graph was reloaded meanwhile
      const shown = cy.nodes();
      const fresh = data.nodes.filter((node) => cy.getElementById(node.entity_id).empty());
      const centre = around.position();
      cy.add(fresh.map((node, i) => nodeElement(node, {}, circlePosition(centre, i, fresh.length))));
      const links = addLinks(data.links);
      if (fresh.length) {
        shown.lock();
        const layout = cy.layout({ ...LAYOUT, randomize: false, fit: false });
        layout.one('layoutstop', () => shown.unlock());
        layout.run();
        cy.fit(undefined, 30);
      }
      if (data.truncated) truncated.hidden = false;
      renderLists();
      showStatus(`Expanded ${nameOf(id)}: ${fresh.length} new ${fresh.length === 1 ? 'entity' : 'entities'}, `
        + `${plural(links, 'new link')}.`);
    } catch (err) {
      reportError(err);
    }
  }

  // Adds the links not shown yet whose both ends are shown; returns how many were added.
  function addLinks(links) {
    const fresh = links.filter((link) => cy.getElementById(linkId(link)).empty()
      && cy.getElementById(link.source).nonempty() && cy.getElementById(link.target).nonempty());
    cy.add(fresh.map((link) => ({
      group: 'edges',
      data: { id: linkId(link), source: link.source, target: link.target, kind: link.kind, link },
    })));
    return fresh.length;
  }

  function select(id) {
    const node = cy.getElementById(id);
    if (node.empty()) return;
    cy.elements(':selected').unselect();
    node.select();
    const entity = node.data('entity');
    const distance = node.data('distance');
    setChildren(selection,
      el('h4', {}, labelBadge(entity.label), ' ', entity.name),
      defList([
        ['Entity id', el('code', {}, entity.entity_id)],
        ...(distance === undefined ? [] : [['Distance', String(distance)]]),
        ...Object.entries(entity.properties || {}).map(([key, value]) => [key, fmtValue(value)]),
      ]),
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-testid': 'open-entity', onclick: () => ctx.openEntity(id) }, 'Open'),
        el('button', { type: 'button', 'data-testid': 'expand-selected', onclick: () => expand(id) }, 'Expand')));
  }

  async function showWhy(a, b) {
    const isCurrent = whyTurn();
    why.hidden = false;
    setChildren(why, el('p', { class: 'muted' }, 'Loading why-linked…'));
    try {
      const data = await api.get('/api/why', new URLSearchParams({ a, b }));
      if (isCurrent()) setChildren(why, whyContent(data, nameOf));
    } catch (err) {
      if (!isCurrent()) return;
      setChildren(why, el('p', { class: 'error' }, err.detail || String(err)));
      reportError(err);
    }
  }

  function renderLists() {
    const nodes = cy.nodes().sort((x, y) => Number(y.hasClass('anchor')) - Number(x.hasClass('anchor'))
      || x.data('name').localeCompare(y.data('name')));
    setChildren(nodeList, nodes.map((node) => el('li', { 'data-testid': 'node-item', 'data-entity-id': node.id() },
      el('button', { type: 'button', class: 'link', onclick: () => select(node.id()) }, node.data('name')),
      labelBadge(node.data('label')),
      el('button', {
        type: 'button', 'data-testid': 'expand-button', 'aria-label': `Expand ${node.data('name')}`,
        onclick: () => expand(node.id()),
      }, 'Expand'))));
    setChildren(edgeList, cy.edges().map((edge) => {
      const link = edge.data('link');
      return el('li', { 'data-testid': 'edge-item', 'data-source': link.source, 'data-target': link.target, 'data-kind': link.kind },
        el('span', {}, linkText(link, nameOf)),
        el('button', { type: 'button', 'data-testid': 'why-button', onclick: () => showWhy(link.source, link.target) }, 'Why?'));
    }));
  }

  function resetPanels() {
    setChildren(selection, el('p', { class: 'muted' }, 'Select an entity in the graph or the list to see it here.'));
    setChildren(why);
    why.hidden = true;
    truncated.hidden = true;
  }

  function nameOf(id) {
    const node = cy && cy.getElementById(id);
    return node && node.nonempty() ? node.data('name') : id;
  }

  return {
    root,
    load,
    onShow: () => cy && cy.resize(),
    destroy() {
      if (!cy) return;
      cy.destroy();
      cy = null;
      window.ketenlinkCy = null;
    },
  };
}

function nodeElement(entity, extra, position) {
  return {
    group: 'nodes',
    data: { id: entity.entity_id, name: entity.name || entity.entity_id, label: entity.label, entity, ...extra },
    ...(position ? { position } : {}),
  };
}

function linkId(link) {
  return JSON.stringify([link.source, link.kind, link.target]);
}

// "A —KIND→ B (2 signals, politie, kmar)"; CO_MENTIONED has no direction.
function linkText(link, nameOf) {
  const arrow = link.kind === 'CO_MENTIONED' ? `—${link.kind}—` : `—${link.kind}→`;
  const partners = link.partners.length ? `, ${fmtList(link.partners)}` : '';
  const seen = link.last_seen ? `, last ${fmtDate(link.last_seen)}` : '';
  return `${nameOf(link.source)} ${arrow} ${nameOf(link.target)} (${plural(link.signal_ids.length, 'signal')}${partners}${seen})`;
}

function circlePosition(centre, i, count) {
  const angle = (2 * Math.PI * i) / Math.max(count, 1);
  const radius = 80 + 4 * count;
  return { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) };
}
