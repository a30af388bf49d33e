// The network filters form; params() turns it into the query of GET .../network.
import { el } from './dom.js';

const LISTS = ['partner', 'category', 'role'];

export function createFilters(onApply) {
  const depth = el('select', { name: 'depth' }, [1, 2, 3].map((n) => el('option', { value: n }, String(n))));
  const inputs = {
    since: el('input', { type: 'date', name: 'since' }),
    until: el('input', { type: 'date', name: 'until' }),
    partner: el('input', { name: 'partner', placeholder: 'e.g. politie, fiod' }),
    category: el('input', { name: 'category', placeholder: 'comma separated' }),
    role: el('input', { name: 'role', placeholder: 'comma separated' }),
  };
  const form = el('form', {
    'data-testid': 'network-filters', class: 'filters',
    onsubmit: (event) => { event.preventDefault(); onApply(); },
  },
  field('Depth', depth), field('Since', inputs.since), field('Until', inputs.until),
  field('Partners', inputs.partner), field('Categories', inputs.category), field('Roles', inputs.role),
  el('button', { type: 'submit', 'data-testid': 'network-apply' }, 'Apply'));

  // Comma-separated lists become repeated parameters (partner=a&partner=b).
  function params(depthOverride) {
    const query = new URLSearchParams({ depth: String(depthOverride ?? depth.value) });
    for (const key of ['since', 'until']) {
      if (inputs[key].value) query.set(key, inputs[key].value);
    }
    for (const key of LISTS) {
      for (const value of inputs[key].value.split(',').map((v) => v.trim()).filter(Boolean)) query.append(key, value);
    }
    return query;
  }

  return { form, params };
}

function field(title, control) {
  return el('label', { class: 'field' }, el('span', {}, title), control);
}
