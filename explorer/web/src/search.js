// Search tab: the search form, its results and, below them, the entity view.
import { api, latestOnly } from './api.js';
import { el, entitySummary, fmtList, setChildren } from './dom.js';
import { clearStatus, reportError, showStatus } from './status.js';
import { createEntityView } from './entity.js';

export function createSearchView(ctx) {
  const input = el('input', {
    type: 'search', name: 'q', 'data-testid': 'search-input', 'aria-label': 'Search',
    placeholder: 'Name, KvK number, postcode, phone, IBAN, plate, e-mail',
  });
  const results = el('div', { class: 'results', 'aria-live': 'polite' });
  const entity = createEntityView(ctx);
  const searchTurn = latestOnly();

  async function search(event) {
    event.preventDefault();
    clearStatus();
    const q = input.value.trim();
    if (q.length < 2) return showStatus('Type at least 2 characters to search.', 'error');
    const isCurrent = searchTurn();
    setChildren(results, el('p', { class: 'muted' }, 'Searching…'));
    try {
      const data = await api.get('/api/search', new URLSearchParams({ q }));
      if (isCurrent()) renderResults(data);
    } catch (err) {
      if (!isCurrent()) return;
      setChildren(results);
      reportError(err);
    }
  }

  function renderResults(data) {
    if (!data.results.length) {
      return setChildren(results, el('p', { 'data-testid': 'search-empty', class: 'muted' }, `No results for “${data.query}”.`));
    }
    setChildren(results,
      el('ul', { class: 'result-list' }, data.results.map((item) => el('li', {},
        el('button', {
          type: 'button', class: 'result', 'data-testid': 'search-result', 'data-entity-id': item.entity_id,
          onclick: () => openEntity(item.entity_id),
        }, entitySummary(item), el('span', { class: 'matched' }, `matched: ${fmtList(item.matched)}`))))),
      data.truncated ? el('p', { class: 'warning' }, 'More results exist; refine the search.') : null);
  }

  function openEntity(id) {
    clearStatus();
    entity.open(id);
  }

  const panel = el('section', { class: 'panel' },
    el('form', { class: 'search-form', role: 'search', onsubmit: search },
      input, el('button', { type: 'submit', 'data-testid': 'search-submit' }, 'Search')),
    results,
    entity.root);

  return { panel, openEntity, onShow: entity.onShow, destroy: entity.destroy };
}
