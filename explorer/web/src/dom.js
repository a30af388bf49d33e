// Small DOM helpers. Data never passes through an HTML parser: attributes go through
// setAttribute, text through textContent or Text nodes, so names like "<script>" stay inert.

const LABELS = ['Person', 'Business', 'Location', 'Phone', 'Email', 'BankAccount', 'Vehicle', 'Website'];

// el('button', {class: 'x', onclick: fn, disabled: true}, 'text', childNode, ...)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${key} must be a function`);
      node.addEventListener(key.slice(2), value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  appendAll(node, children);
  return node;
}

// Replaces all children of node.
export function setChildren(node, ...children) {
  node.replaceChildren();
  appendAll(node, children);
}

// Nodes are appended as they are; anything else becomes a Text node via textContent.
function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    if (child instanceof Node) {
      node.append(child);
    } else {
      const text = document.createTextNode('');
      text.textContent = String(child);
      node.append(text);
    }
  }
}

export function fmtDate(iso) {
  return typeof iso === 'string' && iso ? iso.slice(0, 10) : '—';
}

export function fmtDateTime(iso) {
  return typeof iso === 'string' && iso ? iso.slice(0, 16).replace('T', ' ') : '—';
}

export function fmtNum(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '—';
}

export function fmtList(list) {
  return Array.isArray(list) && list.length ? list.join(', ') : '—';
}

// {a: 2, b: 1} -> "a 2, b 1"
export function fmtCounts(counts) {
  const entries = Object.entries(counts || {});
  return entries.length ? entries.map(([key, n]) => `${key} ${n}`).join(', ') : '—';
}

export function fmtValue(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(fmtValue).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// A definition list from [[term, value], ...]; value is text or a node.
export function defList(rows, attrs = {}) {
  return el('dl', attrs, rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

export function labelBadge(label) {
  const known = LABELS.includes(label) ? label : 'Other';
  return el('span', { class: `badge badge-${known}` }, label || '?');
}

// "kvk: 123, city: Tilburg" from the first few properties of an entity.
function keyProperties(properties, max = 4) {
  return Object.entries(properties || {})
    .filter(([, value]) => value !== null && value !== '')
    .slice(0, max)
    .map(([key, value]) => `${key}: ${fmtValue(value)}`)
    .join(' · ');
}

// Badge, name and key properties of an EntitySummary.
export function entitySummary(entity) {
  const props = keyProperties(entity.properties);
  return [
    labelBadge(entity.label),
    el('span', { class: 'name' }, entity.name || entity.entity_id),
    props ? el('span', { class: 'props' }, props) : null,
  ];
}
